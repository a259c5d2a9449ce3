/* SPDX-License-Identifier: MIT */
/* plan.c — memory plans and the workspace sizes they imply (see plan.h). */
#include "gradsweep/plan.h"

#include <stdint.h>

#include "gradsweep/arch.h"
#include "gradsweep/stats.h"

/* dgeqrf and dorgqr of the m × k matrix of an orthogonal draw (m the larger
 * fan, k the smaller): the matrix, τ and the signs of R's diagonal, LAPACK's
 * work of 64·k, and for a layer that widens (fan_out > fan_in) room to
 * transpose Q (draw.c). n² + 66·n for a square layer of n units. */
static size_t qr_workspace_doubles(int fan_in, int fan_out) {
    size_t m = (size_t)(fan_in > fan_out ? fan_in : fan_out);
    size_t k = (size_t)(fan_in > fan_out ? fan_out : fan_in);
    return m * k * (fan_out > fan_in ? 2 : 1) + 2 * k + 64 * k;
}

/* The largest QR workspace of cfg's layers: the first, a hidden and the last
 * layer are the only shapes. */
static size_t orthogonal_workspace(const gs_config *cfg) {
    int n = cfg->width, in = config_input_width(cfg), out = config_output_width(cfg);
    size_t most = qr_workspace_doubles(in, cfg->depth == 1 ? out : n);
    size_t hidden = cfg->depth > 2 ? qr_workspace_doubles(n, n) : 0;
    size_t last = cfg->depth > 1 ? qr_workspace_doubles(n, out) : 0;
    most = hidden > most ? hidden : most;
    return last > most ? last : most;
}

/* Slots for a[l] and φ'(z[l]) when checkpointing every k layers: one per
 * multiple of k in 0 … L, plus k - 1 for the layers of one segment. */
static size_t checkpoint_slots(int depth, int k) {
    return (size_t)(depth / k + 1) + (size_t)(k - 1);
}

gs_workspace plan_workspace(const gs_config *cfg, const gs_memory_plan *plan) {
    gs_net_shape shape = net_shape(cfg);
    size_t B = (size_t)shape.batch, widest = (size_t)shape.widest;
    size_t slots = plan->mode == GS_MEMORY_CHECKPOINT
                       ? checkpoint_slots(shape.depth, plan->checkpoint_every)
                       : (size_t)shape.depth + 1;
    gs_workspace w = {
        .unit_weights =
            plan->mode == GS_MEMORY_STORE_ALL ? shape.unit_weights : shape.largest_weights,
        .unit_biases = shape.unit_biases,
        .loss_vectors = B * (size_t)shape.outputs,
        .draw_scratch = cfg->init == GS_INIT_ORTHOGONAL ? orthogonal_workspace(cfg) : widest,
        .acts = slots * B * widest,
        .derivs = slots * B * widest,
        .layer_io = B * widest,
        .grad_w = shape.largest_weights,
        .grad_b = widest,
        .stats_scratch = STATS_SCRATCH_DOUBLES(widest),
        .trunks = config_has_blocks(cfg) ? slots * B * widest : 0,
        .norm_stats = cfg->norm != GS_NORM_NONE ? slots * 2 * B : 0,
    };
    if (cfg->jacobian_samples > 0) {
        size_t K = (size_t)cfg->jacobian_samples, n0 = (size_t)shape.inputs;
        size_t rows = (size_t)shape.outputs;
        w.jacobian = K * n0 * widest;
        w.jacobian_gram = widest * widest;
        w.jacobian_svd = rows * n0 + (rows < n0 ? rows : n0) +
                         jacobian_svd_work_doubles((int)rows, (int)n0) + 2 * K;
    }
    return w;
}

size_t jacobian_svd_work_doubles(int m, int n) {
    size_t mn = (size_t)(m < n ? m : n), mx = (size_t)(m < n ? n : m);
    size_t lwork = 7 * mn > mx ? 7 * mn : mx;
    if ((mx + mn) * 64 > lwork) lwork = (mx + mn) * 64;
    return 3 * mn + lwork + 4 * mn; /* work, then iwork: 8·mn ints */
}

static size_t bytes_of(const gs_config *cfg, const gs_memory_plan *plan) {
    gs_workspace w = plan_workspace(cfg, plan);
    size_t reals = w.unit_weights + w.unit_biases + w.loss_vectors + w.acts + w.derivs +
                   3 * w.layer_io + w.grad_w + w.grad_b + 2 * w.jacobian + w.jacobian_gram +
                   w.trunks;
    return reals * precision_size(cfg->precision) +
           (w.stats_scratch + w.draw_scratch + w.jacobian_svd + w.norm_stats) * sizeof(double);
}

size_t net_memory_bytes(const gs_config *cfg) {
    gs_memory_plan all = {GS_MEMORY_STORE_ALL, 0, 0};
    return bytes_of(cfg, &all);
}

const char *memory_mode_name(gs_memory_mode mode) {
    static const char *const names[] = {"store all", "redraw weights", "checkpoint"};
    return (unsigned)mode < 3 ? names[mode] : NULL;
}

bool net_memory_plan(const gs_config *cfg, size_t limit, gs_memory_plan *plan) {
    *plan = (gs_memory_plan){GS_MEMORY_STORE_ALL, 0, 0};
    plan->bytes = bytes_of(cfg, plan);
    if (limit == 0 || plan->bytes <= limit) return true;
    *plan = (gs_memory_plan){GS_MEMORY_REDRAW_WEIGHTS, 0, 0};
    plan->bytes = bytes_of(cfg, plan);
    if (plan->bytes <= limit) return true;
    /* Every layer is recomputed once whatever k is, so take the k that needs
     * the least memory (about sqrt(L)). */
    gs_memory_plan best = {GS_MEMORY_CHECKPOINT, 1, SIZE_MAX};
    for (int k = 1; k <= cfg->depth; k++) {
        gs_memory_plan candidate = {GS_MEMORY_CHECKPOINT, k, 0};
        candidate.bytes = bytes_of(cfg, &candidate);
        if (candidate.bytes < best.bytes) best = candidate;
    }
    *plan = best;
    return best.bytes <= limit;
}

size_t plan_slot(const gs_memory_plan *plan, int depth, int l) {
    int k = plan->checkpoint_every;
    if (plan->mode != GS_MEMORY_CHECKPOINT) return (size_t)l;
    if (l % k == 0) return (size_t)(l / k);               /* a checkpoint */
    return (size_t)(depth / k + 1) + (size_t)(l % k - 1); /* the segment's slots */
}

int plan_segment_base(const gs_memory_plan *plan, int l) {
    int k = plan->checkpoint_every;
    return l / k * k;
}
