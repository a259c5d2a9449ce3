/* SPDX-License-Identifier: MIT */
/* stats.c — per-layer statistics (the kernels, once per precision, are in
 * stats_kernels.inc) and the per-configuration summary. */
#include "gradsweep/stats.h"

#include <math.h>

#include "gradsweep/config.h"

#include "simd.h"

/* Partial sums per row reduction: enough for the compiler to fill two AVX
 * registers of doubles, and a fixed summation order on every machine. */
#define LANES 8

#define KERNELS "stats_kernels.inc"
#include "each_precision.h"

/* Where a signal died: the first layer whose z is exactly zero everywhere
 * (q = 0: the forward signal underflowed), else the first layer met on the
 * way back whose δ is (delta_sq = 0: the backward signal underflowed, or
 * every unit of that layer is dead, φ' = 0). 0 if neither happened. Either
 * way every log10 ratio past that layer is ±inf or NaN, not a measurement. */
static int first_underflow_layer(const gs_layer_stats *layers, int depth) {
    for (int l = 1; l <= depth; l++)
        if (layers[l - 1].q == 0) return l;
    for (int l = depth; l >= 1; l--)
        if (layers[l - 1].delta_sq == 0) return l;
    return 0;
}

void stats_finish(gs_result *res, int depth) {
    const gs_layer_stats *first = &res->layers[0], *last = &res->layers[depth - 1];
    res->log10_delta_ratio = 0.5 * log10(first->delta_sq / last->delta_sq);
    res->log10_grad_ratio = log10(first->grad_w_norm / last->grad_w_norm);
    res->log10_q_ratio = log10(last->q / first->q);

    int fwd = res->first_nonfinite_forward_layer, bwd = res->first_nonfinite_backward_layer;
    if (fwd && bwd)
        res->first_nonfinite_layer = fwd < bwd ? fwd : bwd;
    else
        res->first_nonfinite_layer = fwd ? fwd : bwd;
    res->first_underflow_layer = first_underflow_layer(res->layers, depth);
    res->status = res->first_nonfinite_layer   ? GS_STATUS_NONFINITE
                  : res->first_underflow_layer ? GS_STATUS_UNDERFLOW
                                               : GS_STATUS_DONE;
}
