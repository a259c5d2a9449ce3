/* SPDX-License-Identifier: MIT */
/* draw.c — a network's unit draws and the draw caches (see draw.h). */
#include "gradsweep/draw.h"

#include <math.h>
#include <string.h>

#include "buffer.h"
#include "gradsweep/rng.h"

/* LAPACK (OpenBLAS ships it; Debian has no LAPACKE for it): QR factorisation
 * and the explicit Q, for orthogonal draws. */
void dgeqrf_(const int *m, const int *n, double *a, const int *lda, double *tau, double *work,
             const int *lwork, int *info);
void dorgqr_(const int *m, const int *n, const int *k, double *a, const int *lda, const double *tau,
             double *work, const int *lwork, int *info);

/* What a set of buffers holds: the draws of key, for the weights those of
 * layers 1 … layers. */
typedef struct drawn {
    bool valid;
    gs_draw_key key;
    int layers;
} drawn;

struct gs_draws {
    gs_config cfg;          /* the configuration drawn for */
    const gs_layer *layers; /* its layers (the caller's) */
    bool store_weights;     /* every U[l] held; else one at a time */
    int loaded_layer;       /* one at a time: the layer whose U is held; 0: none */
    gs_error failure;       /* a weight draw that failed in the middle of a pass */
    drawn weights_drawn, data_drawn;
    gs_buffer unit_weights, unit_biases, loss_vectors; /* in the precision */
    gs_buffer scratch; /* doubles: draws before rounding; QR workspace */
};

/* ρ of correlated inputs; 0 for independent samples (no axis: NaN). */
static double input_correlation(const gs_config *cfg) {
    return cfg->input_correlation > 0 ? cfg->input_correlation : 0.0;
}

gs_draw_key draw_key(const gs_config *cfg, gs_draw_set set) {
    gs_draw_key key = {.base_seed = cfg->base_seed,
                       .seed = cfg->seed,
                       .width = cfg->width,
                       .precision = cfg->precision};
    if (set == GS_DRAWS_WEIGHTS) {
        key.init = cfg->init;
    } else {
        key.batch = cfg->batch;
        key.loss = cfg->loss;
        key.input_correlation = input_correlation(cfg);
    }
    return key;
}

bool draw_key_equal(const gs_draw_key *a, const gs_draw_key *b) {
    return a->base_seed == b->base_seed && a->seed == b->seed && a->width == b->width &&
           a->precision == b->precision && a->init == b->init && a->batch == b->batch &&
           a->loss == b->loss && a->input_correlation == b->input_correlation;
}

gs_draws *draws_create(void) { return gs_calloc(1, sizeof(gs_draws)); }

void draws_destroy(gs_draws **draws) {
    if (!draws || !*draws) return;
    gs_draws *d = *draws;
    buffer_free(&d->unit_weights);
    buffer_free(&d->unit_biases);
    buffer_free(&d->loss_vectors);
    buffer_free(&d->scratch);
    free(d);
    *draws = NULL;
}

void draws_forget(gs_draws *d, gs_draw_set set) {
    if (set == GS_DRAWS_WEIGHTS)
        d->weights_drawn.valid = false;
    else
        d->data_drawn.valid = false;
}

bool draws_reserve(gs_draws *d, const gs_workspace *w, gs_precision p) {
    size_t es = precision_size(p);
    bool data_moved = false;
    bool ok = buffer_reserve(&d->unit_weights, w->unit_weights * es, true, &data_moved) &&
              buffer_reserve(&d->unit_biases, w->unit_biases * es, true, &data_moved) &&
              buffer_reserve(&d->loss_vectors, w->loss_vectors * es, false, &data_moved) &&
              buffer_grow(&d->scratch, w->draw_scratch * sizeof(double));
    if (data_moved) draws_forget(d, GS_DRAWS_DATA);
    if (!ok) {
        draws_forget(d, GS_DRAWS_WEIGHTS);
        draws_forget(d, GS_DRAWS_DATA);
    }
    return ok;
}

/* ---- drawing ----------------------------------------------------------------- */

/* Rounds count doubles into dst in the precision. */
static void store_reals(void *dst, gs_precision p, size_t offset, const double *src, size_t count) {
    if (p == GS_FLOAT32) {
        float *d = (float *)dst + offset;
        for (size_t k = 0; k < count; k++)
            d[k] = (float)src[k];
    } else {
        memcpy((double *)dst + offset, src, count * sizeof(double));
    }
}

/* A Haar-random orthogonal n×n matrix into q (Mezzadri 2007): QR of a
 * Gaussian matrix, with each column of Q multiplied by the sign of R's
 * diagonal entry (without that the distribution is not uniform). */
static int draw_orthogonal(double *q, double *work, int n, const gs_stream *st, gs_error *err) {
    double *tau = work, *sign = work + n, *lapack = work + 2 * (size_t)n;
    int lwork = 64 * n, info = 0;
    rng_normal(st, 0, (size_t)n * n, q); /* column-major view for LAPACK */
    dgeqrf_(&n, &n, q, &n, tau, lapack, &lwork, &info);
    if (info != 0)
        return gs_fail(err, GS_EXIT_INTERNAL, "LAPACK dgeqrf failed (info %d) for width %d", info,
                       n);
    for (int j = 0; j < n; j++)
        sign[j] = q[(size_t)j * n + j] < 0 ? -1.0 : 1.0;
    dorgqr_(&n, &n, &n, q, &n, tau, lapack, &lwork, &info);
    if (info != 0)
        return gs_fail(err, GS_EXIT_INTERNAL, "LAPACK dorgqr failed (info %d) for width %d", info,
                       n);
    for (int j = 0; j < n; j++)
        if (sign[j] < 0)
            for (int i = 0; i < n; i++)
                q[(size_t)j * n + i] = -q[(size_t)j * n + i];
    return 0;
}

/* U[l] into the weights buffer from element offset on: unit weights with
 * Var(U_ij) = 1/fan_in, so that W = sigma_w·U has Var(W_ij) =
 * sigma_w²/fan_in. (For orthogonal draws, square layers, U is Qᵀ, equally
 * Haar-distributed.) */
static int draw_unit_weights(gs_draws *d, int l, size_t offset, gs_error *err) {
    const gs_config *cfg = &d->cfg;
    const gs_layer *layer = &d->layers[l - 1];
    const int in = layer->fan_in, out = layer->fan_out;
    gs_stream st = rng_stream(cfg->base_seed, (uint64_t)cfg->seed, (uint32_t)cfg->width, cfg->init,
                              (uint32_t)l, GS_DRAW_WEIGHT);
    double *row = d->scratch.p;
    if (cfg->init == GS_INIT_ORTHOGONAL) {
        const size_t count = (size_t)out * in;
        int rc = draw_orthogonal(row, row + count, in, &st, err);
        if (rc) return rc;
        store_reals(d->unit_weights.p, cfg->precision, offset, row, count);
        return 0;
    }
    /* U(-1, 1) has variance 1/3: scale by sqrt(3/fan_in); N(0, 1) by sqrt(1/fan_in). */
    double scale = sqrt((cfg->init == GS_INIT_UNIFORM ? 3.0 : 1.0) / in);
    for (int i = 0; i < out; i++) {
        if (cfg->init == GS_INIT_UNIFORM)
            rng_uniform_pm1(&st, (uint64_t)i * in, (size_t)in, row);
        else
            rng_normal(&st, (uint64_t)i * in, (size_t)in, row);
        for (int j = 0; j < in; j++)
            row[j] *= scale;
        store_reals(d->unit_weights.p, cfg->precision, offset + (size_t)i * in, row, (size_t)in);
    }
    return 0;
}

/* count standard normals of a stream into dst (in the precision), a row of
 * width at a time through the double scratch. */
static void draw_normals(gs_draws *d, void *dst, const gs_stream *st, size_t count) {
    const size_t n = (size_t)d->cfg.width;
    double *row = d->scratch.p;
    for (size_t first = 0; first < count; first += n) {
        size_t m = count - first < n ? count - first : n;
        rng_normal(st, first, m, row);
        store_reals(dst, d->cfg.precision, first, row, m);
    }
}

static void draw_biases(gs_draws *d, int l) {
    const gs_config *cfg = &d->cfg;
    const gs_layer *layer = &d->layers[l - 1];
    gs_stream bias = rng_stream(cfg->base_seed, (uint64_t)cfg->seed, (uint32_t)cfg->width,
                                cfg->init, (uint32_t)l, GS_DRAW_BIAS);
    draw_normals(d,
                 (char *)d->unit_biases.p + layer->unit_biases_at * precision_size(cfg->precision),
                 &bias, (size_t)layer->fan_out);
}

/* Without room for every U[l]: all β[l] now, each U[l] when a pass needs it. */
static void draw_biases_only(gs_draws *d, gs_keep_going keep_going, void *ctx) {
    d->weights_drawn.valid = false; /* the weights buffer holds one layer from now on */
    d->loaded_layer = 0;
    for (int l = 1; l <= d->cfg.depth; l++) {
        draw_biases(d, l);
        if (l % 64 == 0 && keep_going && !keep_going(ctx)) return;
    }
}

/* U[l] and β[l] for the layers not drawn yet. */
static int draw_layers(gs_draws *d, gs_keep_going keep_going, void *ctx, gs_error *err) {
    drawn *w = &d->weights_drawn;
    gs_draw_key key = draw_key(&d->cfg, GS_DRAWS_WEIGHTS);
    if (!w->valid || !draw_key_equal(&w->key, &key)) *w = (drawn){false, key, 0};
    for (int l = w->layers + 1; l <= d->cfg.depth; l++) {
        w->valid = false; /* until layer l is complete */
        int rc = draw_unit_weights(d, l, d->layers[l - 1].unit_weights_at, err);
        if (rc) return rc;
        draw_biases(d, l);
        w->layers = l;
        w->valid = true;
        if (keep_going && !keep_going(ctx)) return 0; /* what is drawn stays valid for later */
    }
    return 0;
}

/* Correlated inputs (draw.h): x_s = √ρ g + √(1−ρ) e_s with g = √d v/‖v‖, in
 * double, rounded once into input ((B, d) in the precision). Chunks of CHUNK
 * features at a time, so that no scratch beyond the stack is needed: v's
 * chunk once, then every sample's e_s chunk (element s·d + j of the input
 * stream, as for independent samples). */
static void draw_correlated_inputs(const gs_config *cfg, void *input, int d, const gs_stream *x,
                                   const gs_stream *shared) {
    enum { CHUNK = 256 };
    double v[CHUNK], e[CHUNK];
    double norm_sq = 0; /* ‖v‖², summed in chunk order: the same bits on every rank */
    for (int j0 = 0; j0 < d; j0 += CHUNK) {
        int m = d - j0 < CHUNK ? d - j0 : CHUNK;
        rng_normal(shared, (uint64_t)j0, (size_t)m, v);
        for (int j = 0; j < m; j++)
            norm_sq += v[j] * v[j];
    }
    const double rho = cfg->input_correlation;
    const double a = sqrt(rho) * sqrt(d / norm_sq), b = sqrt(1 - rho);
    for (int j0 = 0; j0 < d; j0 += CHUNK) {
        int m = d - j0 < CHUNK ? d - j0 : CHUNK;
        rng_normal(shared, (uint64_t)j0, (size_t)m, v);
        for (int s = 0; s < cfg->batch; s++) {
            size_t at = (size_t)s * d + j0;
            rng_normal(x, at, (size_t)m, e);
            for (int j = 0; j < m; j++) {
                double shared_part = a * v[j], own_part = b * e[j]; /* no FMA: same bits anywhere */
                e[j] = shared_part + own_part;
            }
            store_reals(input, cfg->precision, at, e, (size_t)m);
        }
    }
}

/* The input x = a[0] and the probe vectors r (or targets y). */
static void draw_data(gs_draws *d, void *input) {
    const gs_config *cfg = &d->cfg;
    gs_draw_key key = draw_key(cfg, GS_DRAWS_DATA);
    if (d->data_drawn.valid && draw_key_equal(&d->data_drawn.key, &key)) return;
    const uint32_t n = (uint32_t)cfg->width;
    const gs_layer *first = &d->layers[0], *last = &d->layers[cfg->depth - 1];
    gs_stream x = rng_stream(cfg->base_seed, (uint64_t)cfg->seed, n, 0, 0, GS_DRAW_INPUT);
    gs_stream vectors = rng_stream(cfg->base_seed, (uint64_t)cfg->seed, n, 0, 0,
                                   cfg->loss == GS_LOSS_PROBE ? GS_DRAW_PROBE : GS_DRAW_TARGET);
    if (input_correlation(cfg) > 0) {
        gs_stream shared =
            rng_stream(cfg->base_seed, (uint64_t)cfg->seed, n, 0, 0, GS_DRAW_INPUT_SHARED);
        draw_correlated_inputs(cfg, input, first->fan_in, &x, &shared);
    } else {
        draw_normals(d, input, &x, (size_t)cfg->batch * first->fan_in);
    }
    draw_normals(d, d->loss_vectors.p, &vectors, (size_t)cfg->batch * last->fan_out);
    d->data_drawn = (drawn){true, key, 0};
}

int draws_prepare(gs_draws *d, const gs_config *cfg, const gs_layer *layers, bool store_weights,
                  void *input, gs_keep_going keep_going, void *ctx, gs_error *err) {
    d->cfg = *cfg;
    d->layers = layers;
    d->store_weights = store_weights;
    d->failure = (gs_error){0};
    if (store_weights) {
        int rc = draw_layers(d, keep_going, ctx, err);
        if (rc) return rc;
    } else {
        draw_biases_only(d, keep_going, ctx);
    }
    draw_data(d, input);
    return 0;
}

/* ---- what the passes read ------------------------------------------------------ */

const void *draws_unit_weights(gs_draws *d, int l) {
    const gs_layer *layer = &d->layers[l - 1];
    const gs_precision p = d->cfg.precision;
    if (d->store_weights)
        return (char *)d->unit_weights.p + layer->unit_weights_at * precision_size(p);
    if (d->loaded_layer != l) {
        if (draw_unit_weights(d, l, 0, &d->failure)) {
            size_t count = (size_t)layer->fan_out * layer->fan_in;
            for (size_t k = 0; k < count; k++) {
                if (p == GS_FLOAT32)
                    ((float *)d->unit_weights.p)[k] = NAN;
                else
                    ((double *)d->unit_weights.p)[k] = NAN;
            }
        }
        d->loaded_layer = l;
    }
    return d->unit_weights.p;
}

const void *draws_unit_biases(const gs_draws *d, int l) {
    return (const char *)d->unit_biases.p +
           d->layers[l - 1].unit_biases_at * precision_size(d->cfg.precision);
}

const void *draws_loss_vectors(const gs_draws *d) { return d->loss_vectors.p; }

const gs_error *draws_failure(const gs_draws *d) { return &d->failure; }
