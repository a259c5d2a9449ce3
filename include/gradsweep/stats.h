/* SPDX-License-Identifier: MIT */
/* stats.h — per-layer statistics of one configuration, from the network's
 * buffers (row-major (B, n): B samples of n units), accumulated in double
 * whatever the precision of the buffers.
 *
 * Each function also reports whether any value it read was not finite, which
 * is how a configuration's inf/NaN is detected without an extra pass. */
#ifndef GRADSWEEP_STATS_H
#define GRADSWEEP_STATS_H

#include <stdbool.h>
#include <stddef.h>

#include "gradsweep/config.h"

/* Scratch space the forward statistics need: 7·n doubles. */
#define STATS_SCRATCH_DOUBLES(n) (7 * (size_t)(n))

/* q, preact_mean, c, act_ch_sq_mean, act_ch_var, saturated_frac and dead_frac
 * of one layer from z (B, n), a = φ(z) (B, n) and d = φ'(z) (B, n).
 * Returns true if every value of z and a was finite. */
bool stats_forward_f32(const float *z, const float *a, const float *d, int B, int n,
                       double *scratch, gs_layer_stats *out);
bool stats_forward_f64(const double *z, const double *a, const double *d, int B, int n,
                       double *scratch, gs_layer_stats *out);

/* delta_sq of δ (B, n), and its per-unit sums unit_sum[i] = Σ_s δ[s,i] (the
 * bias gradient needs them). With scale (B, n) given, δ is first multiplied
 * by it in place — δ[l-1] = (δ[l] W[l]) ⊙ φ'(z[l-1]) — so that one pass does
 * both. scratch: 2·n doubles. Returns true if every value of δ was finite. */
bool stats_delta_f32(float *delta, const float *scale, int B, int n, double *unit_sum,
                     double *scratch, gs_layer_stats *out);
bool stats_delta_f64(double *delta, const double *scale, int B, int n, double *unit_sum,
                     double *scratch, gs_layer_stats *out);

/* Euclidean norm of v (count values), accumulated in double with scaling so
 * that it neither overflows nor underflows before the result itself would. */
double stats_norm_f32(const float *v, size_t count);
double stats_norm_f64(const double *v, size_t count);

/* Mean over units of the batch variance of v (B, n) (two passes, in
 * double): a residual branch's channel variance. scratch: 2·n doubles. */
double stats_channel_var_f32(const float *v, int B, int n, double *scratch);
double stats_channel_var_f64(const double *v, int B, int n, double *scratch);

/* Fills the per-configuration summary of res from res->layers[0 … depth-1]
 * and the first nonfinite layers already recorded: the three log10 ratios,
 * first_underflow_layer and status (done, nonfinite or underflow). */
void stats_finish(gs_result *res, int depth);

#endif
