/* SPDX-License-Identifier: MIT */
/* net.c — a network of a configuration, run: its layers (arch.h) and draws
 * (draw.h) in a workspace held the way its memory plan says (plan.h), and
 * the forward and backward passes over the layers (net_kernels.inc, once per
 * precision), each layer's maths in its kind's file (layer.h) and the loss's
 * in loss.c.
 *
 * What the workspace holds besides the draws, for a configuration of L
 * layers, B samples and layers of at most n units, in its precision:
 *     acts         (slots, B, n)   a[0] = x, a[1] … a[L]: kept for ∂loss/∂W
 *     derivs       (slots, B, n)   φ'(z[l]): kept for the backward pass
 *     z            (B, n)          z[l] of the layer in hand; z[L] after forward
 *     delta, delta_prev (B, n)     δ[l] and δ[l-1]
 *     grad_w, grad_b               ∂loss/∂W[l], ∂loss/∂b[l] of the layer in hand
 *     trunks       (slots, B, n)   z[l] of networks with residual blocks or a norm
 *     norm_stats   (slots, 2, B)   doubles: N's mean and rstd per sample
 * plus double scratch for the statistics. A slot per layer (L + 1) unless
 * checkpointing (plan_slot). With jacobian_samples K > 0 (jacobian.h):
 *     jac, jac_prev (K·n0, n)      J[l]ᵀ and J[l-1]ᵀ of the K samples, renormalised
 *     jac_gram      (n, n)         J[l] J[l]ᵀ of one sample
 *     jac_svd       doubles        J[L] for LAPACK, its work; the samples' scales 2^e */
#include "gradsweep/net.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "buffer.h"
#include "gradsweep/arch.h"
#include "gradsweep/draw.h"
#include "gradsweep/jacobian.h"
#include "gradsweep/layer.h"
#include "gradsweep/loss.h"
#include "gradsweep/stats.h"

struct gs_net {
    gs_config cfg;
    gs_layer *layers;    /* cfg's network, layer l at index l-1 */
    int layers_room;     /* entries layers has room for */
    size_t memory_limit; /* bytes; 0: none */
    gs_memory_plan plan; /* how cfg is held */
    int valid_segment;   /* checkpoint: the segment base whose slots hold a and φ'; -1: none */
    int widest;          /* the most units of any layer's input or output */
    size_t slot_bytes;   /* one slot of acts or derivs: (B, widest) reals */
    bool abandoned;      /* the observer asked to stop this configuration */
    gs_draws *draws;     /* U[l], β[l], x (into acts' slot 0), r or y */
    gs_buffer acts, derivs, z, delta, delta_prev, grad_w, grad_b;
    gs_buffer scratch; /* doubles: statistics, bias sums */
    /* the Jacobian (jacobian_samples > 0) */
    gs_buffer jac, jac_prev, jac_gram, jac_svd;
    int jac_layers; /* layers whose Jacobian the last forward pass carried (L when complete) */
    /* residual blocks and norms: z[l] per slot, and N's mean and rstd per slot
     * ((B) doubles each); empty for a plain network */
    gs_buffer trunks, norm_stats;
    bool blocks; /* config_has_blocks: z[l] lives in trunks, not in z */
};

gs_net *net_create(void) {
    gs_net *net = gs_calloc(1, sizeof(gs_net));
    net->draws = draws_create();
    return net;
}

void net_destroy(gs_net **net) {
    if (!net || !*net) return;
    gs_net *n = *net;
    gs_buffer *all[] = {&n->acts,   &n->derivs, &n->z,       &n->delta,  &n->delta_prev,
                        &n->grad_w, &n->grad_b, &n->scratch, &n->trunks, &n->norm_stats};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        buffer_free(all[i]);
    gs_buffer *jacobian[] = {&n->jac, &n->jac_prev, &n->jac_gram, &n->jac_svd};
    for (size_t i = 0; i < sizeof jacobian / sizeof jacobian[0]; i++)
        buffer_free(jacobian[i]);
    draws_destroy(&n->draws);
    free(n->layers);
    free(n);
    *net = NULL;
}

void net_set_memory_limit(gs_net *net, size_t bytes) { net->memory_limit = bytes; }

/* The observer's hook between layers; once it answers false (the sweep is
 * being stopped and this configuration abandoned), every later call does too
 * and the passes return at once. */
static bool keep_going(gs_net *net, const gs_net_observer *obs) {
    if (!net->abandoned && obs && obs->between_layers && !obs->between_layers(obs->ctx))
        net->abandoned = true;
    return !net->abandoned;
}

/* The same for the draws, which see only a context. */
typedef struct drawing {
    gs_net *net;
    const gs_net_observer *obs;
} drawing;

static bool keep_drawing(void *ctx) {
    drawing *d = ctx;
    return keep_going(d->net, d->obs);
}

/* ---- the workspace ---------------------------------------------------------------- */

static int out_of_memory(const gs_net *net, const gs_config *cfg, gs_error *err) {
    char need[32];
    return gs_fail(err, GS_EXIT_RESOURCES,
                   "configuration %lld (depth %d, width %d, batch %d) needs %s and memory "
                   "ran out; lower the largest configuration or run fewer ranks per node",
                   (long long)cfg->index, cfg->depth, cfg->width, cfg->batch,
                   gs_format_bytes((double)net->plan.bytes, need, sizeof need));
}

static int reserve_all(gs_net *net, const gs_config *cfg, gs_error *err) {
    gs_workspace w = plan_workspace(cfg, &net->plan);
    size_t es = precision_size(cfg->precision);
    bool input_moved = false;
    bool ok = draws_reserve(net->draws, &w, cfg->precision) &&
              buffer_reserve(&net->acts, w.acts * es, false, &input_moved) &&
              buffer_grow(&net->derivs, w.derivs * es) && buffer_grow(&net->z, w.layer_io * es) &&
              buffer_grow(&net->delta, w.layer_io * es) &&
              buffer_grow(&net->delta_prev, w.layer_io * es) &&
              buffer_grow(&net->grad_w, w.grad_w * es) &&
              buffer_grow(&net->grad_b, w.grad_b * es) &&
              buffer_grow(&net->scratch, w.stats_scratch * sizeof(double)) &&
              buffer_grow(&net->trunks, w.trunks * es) &&
              buffer_grow(&net->norm_stats, w.norm_stats * sizeof(double));
    /* the Jacobian's (none unless jacobian_samples > 0) */
    ok = ok && buffer_grow(&net->jac, w.jacobian * es) &&
         buffer_grow(&net->jac_prev, w.jacobian * es) &&
         buffer_grow(&net->jac_gram, w.jacobian_gram * es) &&
         buffer_grow(&net->jac_svd, w.jacobian_svd * sizeof(double));
    if (input_moved) draws_forget(net->draws, GS_DRAWS_DATA); /* x lived in acts */
    if (!ok) {
        draws_forget(net->draws, GS_DRAWS_WEIGHTS);
        draws_forget(net->draws, GS_DRAWS_DATA);
        return out_of_memory(net, cfg, err);
    }
    if (cfg->depth > net->layers_room) {
        gs_layer *layers = realloc(net->layers, (size_t)cfg->depth * sizeof *layers);
        if (!layers) return out_of_memory(net, cfg, err);
        net->layers = layers;
        net->layers_room = cfg->depth;
    }
    return 0;
}

/* ---- where each layer's buffers are, whatever the plan -------------------------- */

/* a[l], 0 ≤ l ≤ L (a[0] = x) and φ'(z[l]), 1 ≤ l ≤ L. */
static void *act_at(gs_net *net, int l) {
    return (char *)net->acts.p + plan_slot(&net->plan, net->cfg.depth, l) * net->slot_bytes;
}

static void *deriv_at(gs_net *net, int l) {
    return (char *)net->derivs.p + plan_slot(&net->plan, net->cfg.depth, l) * net->slot_bytes;
}

/* z[l], 1 ≤ l ≤ L, of a network with residual blocks or a norm. */
static void *trunk_at(gs_net *net, int l) {
    return (char *)net->trunks.p + plan_slot(&net->plan, net->cfg.depth, l) * net->slot_bytes;
}

/* N's saved statistics of layer l (NULLs without a norm). */
static gs_norm_saved norm_saved_at(gs_net *net, int l) {
    if (net->cfg.norm == GS_NORM_NONE) return (gs_norm_saved){NULL, NULL};
    size_t B = (size_t)net->cfg.batch;
    double *at = (double *)net->norm_stats.p + plan_slot(&net->plan, net->cfg.depth, l) * 2 * B;
    return (gs_norm_saved){at, at + B};
}

/* U[l]: stored, or drawn now (draw.h). */
static const void *weights_at(gs_net *net, int l) { return draws_unit_weights(net->draws, l); }

int net_prepare(gs_net *net, const gs_config *cfg, const gs_net_observer *obs, gs_error *err) {
    if (!net_memory_plan(cfg, net->memory_limit, &net->plan)) {
        char need[32], limit[32];
        return gs_fail(err, GS_EXIT_RESOURCES,
                       "configuration %lld (depth %d, width %d, batch %d) needs %s even with "
                       "weights redrawn and activations checkpointed; the limit is %s",
                       (long long)cfg->index, cfg->depth, cfg->width, cfg->batch,
                       gs_format_bytes((double)net->plan.bytes, need, sizeof need),
                       gs_format_bytes((double)net->memory_limit, limit, sizeof limit));
    }
    int rc = reserve_all(net, cfg, err);
    if (rc) return rc;
    net->cfg = *cfg;
    net_layers(cfg, net->layers);
    net->widest = net_shape(cfg).widest;
    net->slot_bytes = (size_t)cfg->batch * (size_t)net->widest * precision_size(cfg->precision);
    net->abandoned = false;
    net->jac_layers = 0;
    net->blocks = config_has_blocks(cfg);
    drawing ctx = {net, obs};
    return draws_prepare(net->draws, cfg, net->layers, net->plan.mode == GS_MEMORY_STORE_ALL,
                         act_at(net, 0), keep_drawing, &ctx, err);
}

/* ---- the Jacobian's bookkeeping (jacobian.h) -------------------------------------- */

/* The samples whose Jacobian is carried: the first jacobian_samples of the batch. */
static int jacobian_count(const gs_config *cfg) {
    int K = cfg->jacobian_samples;
    return K < 0 ? 0 : K < cfg->batch ? K : cfg->batch;
}

/* Where the K samples' exponents (doubles holding integers) sit in jac_svd:
 * after J[L]'s copy, its singular values and LAPACK's work (plan.c). */
static size_t jacobian_exponents_at(const gs_net *net) {
    const int n0 = net->layers[0].fan_in, rows = net->layers[net->cfg.depth - 1].fan_out;
    size_t mn = (size_t)(rows < n0 ? rows : n0);
    return (size_t)rows * n0 + mn + jacobian_svd_work_doubles(rows, n0);
}

/* ---- the passes, once per precision ---------------------------------------------- */

#define KERNELS "net_kernels.inc"
#include "each_precision.h"

double net_forward(gs_net *net, gs_result *res, const gs_net_observer *obs) {
    return net->cfg.precision == GS_FLOAT32 ? forward_f32(net, res, obs)
                                            : forward_f64(net, res, obs);
}

void net_backward(gs_net *net, gs_result *res, const gs_net_observer *obs) {
    if (net->cfg.precision == GS_FLOAT32)
        backward_f32(net, res, obs);
    else
        backward_f64(net, res, obs);
    if (!net->abandoned) stats_finish(res, net->cfg.depth);
}

int net_run(gs_net *net, const gs_config *cfg, gs_result *res, const gs_net_observer *obs,
            gs_error *err) {
    double start = gs_now();
    result_clear(res, cfg->depth);
    int rc = net_prepare(net, cfg, obs, err);
    if (rc == 0 && !net->abandoned) net_forward(net, res, obs);
    if (rc == 0 && !net->abandoned) net_backward(net, res, obs);
    const gs_error *failure = draws_failure(net->draws);
    if (rc == 0 && failure->code) rc = gs_fail(err, failure->code, "%s", failure->msg);
    if (rc == 0 && net->abandoned) {
        res->status = GS_STATUS_PENDING; /* nothing of it is kept */
        rc = gs_fail(err, GS_EXIT_INTERRUPTED,
                     "configuration %lld abandoned: the sweep is stopping", (long long)cfg->index);
    } else if (rc) {
        res->status = GS_STATUS_FAILED;
    }
    res->elapsed_s = gs_now() - start;
    return rc;
}

/* The accessors hand out writable buffers: whatever the caller does to them,
 * the next net_prepare draws afresh. */
void *net_unit_weights(gs_net *net, int layer) {
    draws_forget(net->draws, GS_DRAWS_WEIGHTS);
    return (void *)weights_at(net, layer);
}

void *net_unit_biases(gs_net *net, int layer) {
    draws_forget(net->draws, GS_DRAWS_WEIGHTS);
    return (void *)draws_unit_biases(net->draws, layer);
}

void *net_input(gs_net *net) {
    draws_forget(net->draws, GS_DRAWS_DATA);
    return act_at(net, 0);
}

void *net_loss_vectors(gs_net *net) {
    draws_forget(net->draws, GS_DRAWS_DATA);
    return (void *)draws_loss_vectors(net->draws);
}

const void *net_output(gs_net *net) { return act_at(net, net->cfg.depth); }

int net_jacobian(const gs_net *net, int sample, double *out) {
    const int K = jacobian_count(&net->cfg);
    if (sample < 0 || sample >= K || net->jac_layers != net->cfg.depth) return -1;
    const int n0 = net->layers[0].fan_in, rows = net->layers[net->cfg.depth - 1].fan_out;
    const size_t count = (size_t)n0 * rows;
    const int e = (int)((const double *)net->jac_svd.p)[jacobian_exponents_at(net) + sample];
    for (int r = 0; r < n0; r++)
        for (int i = 0; i < rows; i++) {
            size_t at = (size_t)sample * count + (size_t)r * rows + i;
            double v = net->cfg.precision == GS_FLOAT32 ? ((const float *)net->jac.p)[at]
                                                        : ((const double *)net->jac.p)[at];
            out[(size_t)i * n0 + r] = ldexp(v, e);
        }
    return 0;
}
