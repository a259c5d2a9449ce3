/* SPDX-License-Identifier: MIT */
/* train.c — one configuration trained (train.h): its parameters, the
 * optimizer's state and the buffers of the passes, and the step loop
 * (train_kernels.inc, once per precision).
 *
 * What the trainer holds for a configuration of L layers, B samples, layers
 * of at most n units, P = Σ fan_in·fan_out weights and Q = Σ fan_out biases,
 * in its precision:
 *     draws         U[l], β[l] (draw.h, store-all), a drawn x and r we do not use
 *     w, b          (P), (Q)            the parameters
 *     state         (0, 1 or 2) × (P + Q)  momentum's v, Adam's m and v
 *     acts, derivs  (L + 1, B, n)       a[l] (a[0] = the minibatch) and φ'(z[l])
 *     z, delta, delta_prev  (B, n)
 *     grad_w, grad_b        the largest ∂loss/∂W[l], ∂loss/∂b[l]
 * plus the minibatch's rows and labels or targets, and double scratch. */
#include "gradsweep/train.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buffer.h"
#include "gradsweep/arch.h"
#include "gradsweep/draw.h"
#include "gradsweep/layer.h"
#include "gradsweep/minibatch.h"
#include "gradsweep/optim.h"
#include "gradsweep/parametrization.h"
#include "gradsweep/plan.h"
#include "gradsweep/stats.h"
#include "gradsweep/train_loss.h"

struct gs_trainer {
    gs_config cfg;
    const gs_train_settings *t;
    const gs_train_data *data;
    int layers_room;
    gs_layer *units;  /* the layers as drawn (net_layers): fans, scales, draw offsets */
    gs_layer *layers; /* the layers as trained: sigma_w = m, sigma_b = 1 */
    gs_layer_scale *scale;
    gs_layer_stats *delta_stats; /* [L]: stats_delta's delta_sq of every layer */
    int widest;
    size_t slot_bytes;
    size_t n_weights, n_biases; /* P and Q */
    bool abandoned;
    gs_draws *draws;
    gs_buffer draw_input; /* the x draws_prepare draws (unused by training) */
    gs_buffer w, b, state, acts, derivs, z, delta, delta_prev, grad_w, grad_b;
    gs_buffer rows, labels, targets, scratch;
    gs_batch_order order;
    uint64_t order_key[2]; /* the order's base_seed and seed */
    bool order_ready;
};

gs_trainer *trainer_create(void) {
    gs_trainer *tr = gs_calloc(1, sizeof *tr);
    tr->draws = draws_create();
    return tr;
}

void trainer_destroy(gs_trainer **trainer) {
    if (!trainer || !*trainer) return;
    gs_trainer *tr = *trainer;
    gs_buffer *all[] = {&tr->draw_input, &tr->w,    &tr->b,      &tr->state,      &tr->acts,
                        &tr->derivs,     &tr->z,    &tr->delta,  &tr->delta_prev, &tr->grad_w,
                        &tr->grad_b,     &tr->rows, &tr->labels, &tr->targets,    &tr->scratch};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        buffer_free(all[i]);
    draws_destroy(&tr->draws);
    if (tr->order_ready) batch_order_free(&tr->order);
    free(tr->units);
    free(tr->layers);
    free(tr->scale);
    free(tr->delta_stats);
    free(tr);
    *trainer = NULL;
}

/* ---- sizes ------------------------------------------------------------------------ */

/* The buffers of training cfg, in reals of its precision (and doubles). */
typedef struct train_sizes {
    gs_workspace draws; /* the unit draws, store-all */
    size_t params;      /* P + Q */
    size_t state;       /* (0, 1 or 2) × (P + Q) */
    size_t slots;       /* acts and derivs: (L + 1) × B × n each */
    size_t layer_io;    /* B × n: z, delta, delta_prev */
    size_t grad_w, grad_b;
    size_t scratch; /* doubles */
} train_sizes;

static train_sizes sizes_of(const gs_config *cfg, const gs_train_settings *t) {
    gs_net_shape shape = net_shape(cfg);
    gs_memory_plan all = {GS_MEMORY_STORE_ALL, 0, 0};
    size_t B = (size_t)cfg->batch, n = (size_t)shape.widest;
    train_sizes s = {.draws = plan_workspace(cfg, &all)};
    s.params = shape.unit_weights + shape.unit_biases;
    s.state = (size_t)optim_state_buffers(t->optimizer) * s.params;
    s.slots = ((size_t)cfg->depth + 1) * B * n;
    s.layer_io = B * n;
    s.grad_w = shape.largest_weights;
    s.grad_b = n;
    size_t backward = 3 * n, forward = STATS_SCRATCH_DOUBLES(n);
    s.scratch = backward > forward ? backward : forward;
    return s;
}

size_t train_memory_bytes(const gs_config *cfg, const gs_train_settings *t) {
    train_sizes s = sizes_of(cfg, t);
    size_t es = precision_size(cfg->precision);
    size_t reals = s.draws.unit_weights + s.draws.unit_biases + s.draws.loss_vectors +
                   (size_t)cfg->batch * (size_t)config_input_width(cfg) + s.params + s.state +
                   2 * s.slots + 3 * s.layer_io + s.grad_w + s.grad_b +
                   (size_t)cfg->batch * (size_t)config_output_width(cfg);
    return reals * es + (s.scratch + s.draws.draw_scratch) * sizeof(double) +
           (size_t)cfg->batch * (sizeof(int64_t) + sizeof(int32_t)) +
           (size_t)cfg->depth *
               (sizeof(gs_layer) * 2 + sizeof(gs_layer_scale) + sizeof(gs_layer_stats));
}

double train_flops(const gs_config *cfg, const gs_train_settings *t, int64_t test_rows) {
    double weights = (double)net_shape(cfg).unit_weights, B = cfg->batch;
    double steps = (double)t->steps;
    double forward = 2.0 * B * weights, backward = 4.0 * B * weights;
    return (steps + 1) * forward + steps * backward + 2.0 * (double)test_rows * weights +
           net_draw_flops(cfg);
}

/* ---- preparing a configuration ------------------------------------------------------ */

static int out_of_memory(const gs_config *cfg, const gs_train_settings *t, gs_error *err) {
    char need[32];
    return gs_fail(err, GS_EXIT_RESOURCES,
                   "configuration %lld (depth %d, width %d, batch %d) needs %s to train and "
                   "memory ran out; lower the largest configuration or run fewer ranks per node",
                   (long long)cfg->index, cfg->depth, cfg->width, cfg->batch,
                   gs_format_bytes((double)train_memory_bytes(cfg, t), need, sizeof need));
}

static int reserve_all(gs_trainer *tr, const gs_config *cfg, const gs_train_settings *t,
                       gs_error *err) {
    train_sizes s = sizes_of(cfg, t);
    size_t es = precision_size(cfg->precision), B = (size_t)cfg->batch;
    bool moved = false;
    bool ok =
        draws_reserve(tr->draws, &s.draws, cfg->precision) &&
        buffer_reserve(&tr->draw_input, B * (size_t)config_input_width(cfg) * es, false, &moved) &&
        buffer_grow(&tr->w, (s.params - s.draws.unit_biases) * es) &&
        buffer_grow(&tr->b, s.draws.unit_biases * es) &&
        buffer_grow(&tr->state, (s.state ? s.state : 1) * es) &&
        buffer_grow(&tr->acts, s.slots * es) && buffer_grow(&tr->derivs, s.slots * es) &&
        buffer_grow(&tr->z, s.layer_io * es) && buffer_grow(&tr->delta, s.layer_io * es) &&
        buffer_grow(&tr->delta_prev, s.layer_io * es) && buffer_grow(&tr->grad_w, s.grad_w * es) &&
        buffer_grow(&tr->grad_b, s.grad_b * es) && buffer_grow(&tr->rows, B * sizeof(int64_t)) &&
        buffer_grow(&tr->labels, B * sizeof(int32_t)) &&
        buffer_grow(&tr->targets, B * (size_t)config_output_width(cfg) * es) &&
        buffer_grow(&tr->scratch, s.scratch * sizeof(double));
    if (moved) draws_forget(tr->draws, GS_DRAWS_DATA);
    if (!ok) {
        draws_forget(tr->draws, GS_DRAWS_WEIGHTS);
        draws_forget(tr->draws, GS_DRAWS_DATA);
        return out_of_memory(cfg, t, err);
    }
    if (cfg->depth > tr->layers_room) {
        size_t L = (size_t)cfg->depth;
        gs_layer *units = realloc(tr->units, L * sizeof *units);
        if (units) tr->units = units;
        gs_layer *layers = realloc(tr->layers, L * sizeof *layers);
        if (layers) tr->layers = layers;
        gs_layer_scale *scale = realloc(tr->scale, L * sizeof *scale);
        if (scale) tr->scale = scale;
        gs_layer_stats *st = realloc(tr->delta_stats, L * sizeof *st);
        if (st) tr->delta_stats = st;
        if (!units || !layers || !scale || !st) return out_of_memory(cfg, t, err);
        tr->layers_room = cfg->depth;
    }
    return 0;
}

static bool keep_going(gs_trainer *tr, const gs_net_observer *obs) {
    if (!tr->abandoned && obs && obs->between_layers && !obs->between_layers(obs->ctx))
        tr->abandoned = true;
    return !tr->abandoned;
}

typedef struct drawing {
    gs_trainer *tr;
    const gs_net_observer *obs;
} drawing;

static bool keep_drawing(void *ctx) {
    drawing *d = ctx;
    return keep_going(d->tr, d->obs);
}

/* The layers as trained: each layer's multiplier as its GEMM alpha, its
 * parameters w and b standing where the unit draws stood. */
static void build_layers(gs_trainer *tr, const gs_config *cfg, const gs_train_settings *t) {
    net_layers(cfg, tr->units);
    double base = t->base_width > 0 ? t->base_width : 1;
    for (int l = 1; l <= cfg->depth; l++) {
        gs_layer_role role = layer_kind_at(l, cfg->depth);
        tr->scale[l - 1] = parametrization_scale((gs_parametrization)cfg->parametrization, role,
                                                 t->optimizer, cfg->width, base);
        tr->layers[l - 1] = tr->units[l - 1];
        tr->layers[l - 1].sigma_w = tr->scale[l - 1].multiplier;
        tr->layers[l - 1].sigma_b = 1;
    }
}

#define KERNELS "train_kernels.inc"
#include "each_precision.h"

int trainer_run(gs_trainer *tr, const gs_config *cfg, const gs_train_settings *t,
                const gs_train_data *data, gs_train_result *res, const gs_net_observer *obs,
                gs_error *err) {
    train_result_clear(res);
    if (config_input_width(cfg) != data->inputs || config_output_width(cfg) != data->outputs)
        return gs_fail(err, GS_EXIT_INTERNAL,
                       "configuration %lld: a network of %d inputs and %d outputs cannot train "
                       "on data of %d features and %d outputs",
                       (long long)cfg->index, config_input_width(cfg), config_output_width(cfg),
                       data->inputs, data->outputs);
    if (cfg->batch > data->rows[0])
        return gs_fail(err, GS_EXIT_USAGE,
                       "configuration %lld: batch %d is more than the %lld training rows",
                       (long long)cfg->index, cfg->batch, (long long)data->rows[0]);
    int rc = reserve_all(tr, cfg, t, err);
    if (rc) return rc;
    tr->cfg = *cfg;
    tr->t = t;
    tr->data = data;
    tr->abandoned = false;
    gs_net_shape shape = net_shape(cfg);
    tr->widest = shape.widest;
    tr->slot_bytes = (size_t)cfg->batch * (size_t)shape.widest * precision_size(cfg->precision);
    tr->n_weights = shape.unit_weights;
    tr->n_biases = shape.unit_biases;
    build_layers(tr, cfg, t);
    drawing ctx = {tr, obs};
    rc = draws_prepare(tr->draws, cfg, tr->units, true, tr->draw_input.p, keep_drawing, &ctx, err);
    if (rc) return rc;
    if (tr->abandoned) goto abandoned;
    if (tr->order_ready &&
        (tr->order.n_rows != data->rows[0] || tr->order.batch != cfg->batch ||
         tr->order_key[0] != cfg->base_seed || tr->order_key[1] != (uint64_t)cfg->seed)) {
        batch_order_free(&tr->order);
        tr->order_ready = false;
    }
    if (!tr->order_ready) {
        if (batch_order_init(&tr->order, cfg->base_seed, (uint64_t)cfg->seed, data->rows[0],
                             cfg->batch))
            return out_of_memory(cfg, t, err);
        tr->order_key[0] = cfg->base_seed;
        tr->order_key[1] = (uint64_t)cfg->seed;
        tr->order_ready = true;
    }
    if (cfg->precision == GS_FLOAT32)
        train_f32(tr, res, obs);
    else
        train_f64(tr, res, obs);
    const gs_error *failure = draws_failure(tr->draws);
    if (failure->code) return gs_fail(err, failure->code, "%s", failure->msg);
    if (!tr->abandoned) return 0;
abandoned:
    return gs_fail(err, GS_EXIT_INTERRUPTED, "configuration %lld abandoned: the sweep is stopping",
                   (long long)cfg->index);
}

const void *trainer_weights(gs_trainer *tr, int layer) {
    return (const char *)tr->w.p +
           tr->units[layer - 1].unit_weights_at * precision_size(tr->cfg.precision);
}

const void *trainer_biases(gs_trainer *tr, int layer) {
    return (const char *)tr->b.p +
           tr->units[layer - 1].unit_biases_at * precision_size(tr->cfg.precision);
}

const void *trainer_unit_weights(gs_trainer *tr, int layer) {
    return draws_unit_weights(tr->draws, layer);
}

const void *trainer_unit_biases(gs_trainer *tr, int layer) {
    return draws_unit_biases(tr->draws, layer);
}
