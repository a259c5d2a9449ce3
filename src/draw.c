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
 * layers 1 … layers; output_top: layer `layers` was drawn as a network's
 * last layer of output_width ≠ width units, which a deeper network has as a
 * hidden layer of another shape. */
typedef struct drawn {
    bool valid;
    gs_draw_key key;
    int layers;
    bool output_top;
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
                       .precision = cfg->precision,
                       .input_width = config_input_width(cfg),
                       .output_width = config_output_width(cfg)};
    if (set == GS_DRAWS_WEIGHTS) {
        key.width = cfg->width;
        key.init = cfg->init;
        key.uniform_biases = cfg->scale_name == GS_SCALE_TORCH_DEFAULT;
        if (cfg->init == GS_INIT_TORCH_TRUNC_NORMAL) {
            key.trunc_sigma_w = cfg->sigma_w;
            key.trunc_fan = cfg->fan;
        }
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
           a->loss == b->loss && a->input_width == b->input_width &&
           a->output_width == b->output_width && a->uniform_biases == b->uniform_biases &&
           a->trunc_sigma_w == b->trunc_sigma_w && a->trunc_fan == b->trunc_fan &&
           a->input_correlation == b->input_correlation;
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

/* A Haar-random (semi-)orthogonal U (out, in), row-major: the Q of a
 * Gaussian m × k matrix's QR (m the larger fan, k the smaller), each column
 * multiplied by the sign of R's diagonal entry (without that the
 * distribution is not uniform; Mezzadri 2007), as torch.nn.init.orthogonal_
 * draws it. Q (column-major in u, lda m) read row-major is Qᵀ: U itself when
 * the layer does not widen (orthonormal rows; square layers included). A
 * widening layer's U has Q's orthonormal columns, transposed after work's
 * first 66·k doubles and scaled by sqrt(out/in), so that Var(U_ij) =
 * 1/fan_in as for every init. work: τ, the signs of R's diagonal and
 * LAPACK's work (66·k), then m·k for the transposition. *result: where U is. */
static int draw_orthogonal(double *u, double *work, int in, int out, const gs_stream *st,
                           double **result, gs_error *err) {
    int m = in > out ? in : out, k = in > out ? out : in;
    double *tau = work, *sign = work + k, *lapack = work + 2 * (size_t)k;
    int lwork = 64 * k, info = 0;
    rng_normal(st, 0, (size_t)m * k, u); /* column-major view for LAPACK */
    dgeqrf_(&m, &k, u, &m, tau, lapack, &lwork, &info);
    if (info != 0)
        return gs_fail(err, GS_EXIT_INTERNAL,
                       "LAPACK dgeqrf failed (info %d) for a %d x %d orthogonal draw", info, m, k);
    for (int j = 0; j < k; j++)
        sign[j] = u[(size_t)j * m + j] < 0 ? -1.0 : 1.0;
    dorgqr_(&m, &k, &k, u, &m, tau, lapack, &lwork, &info);
    if (info != 0)
        return gs_fail(err, GS_EXIT_INTERNAL,
                       "LAPACK dorgqr failed (info %d) for a %d x %d orthogonal draw", info, m, k);
    for (int j = 0; j < k; j++)
        if (sign[j] < 0)
            for (int i = 0; i < m; i++)
                u[(size_t)j * m + i] = -u[(size_t)j * m + i];
    *result = u;
    if (out <= in) return 0;
    double *t = work + 66 * (size_t)k, scale = sqrt((double)out / in);
    for (int r = 0; r < out; r++)
        for (int c = 0; c < in; c++)
            t[(size_t)r * in + c] = u[(size_t)c * out + r] * scale;
    *result = t;
    return 0;
}

/* The standard deviation of N(0, 1) cut at ±k: sqrt(1 − 2kφ(k)/(2Φ(k) − 1)),
 * 0.87962566103423978… at k = 2 (the constant of Keras' VarianceScaling). */
static double truncated_sd(double k) {
    if (isinf(k)) return 1;
    double inside = erf(k * M_SQRT1_2), density = exp(-0.5 * k * k) / sqrt(2 * M_PI);
    return sqrt(1 - 2 * k * density / inside);
}

/* count draws of N(0, 1) cut at ±k (inf: not cut), elements first … of a
 * stream, by inverse transform (as trunc_normal_ draws them): for the
 * uniform v in (-1, 1) of each element, the normal quantile of the lower
 * tail probability Φ(-k) + (1 - |v|)(½ - Φ(-k)), negated, with v's sign. */
static void truncated_normals(const gs_stream *st, uint64_t first, size_t count, double k,
                              double *out) {
    rng_uniform_pm1(st, first, count, out);
    double tail = isinf(k) ? 0 : 0.5 * erfc(k * M_SQRT1_2), half = 0.5 - tail;
    for (size_t e = 0; e < count; e++) {
        double v = out[e], x = -rng_normal_quantile(tail + (1 - fabs(v)) * half);
        out[e] = v < 0 ? -x : x;
    }
}

/* U[l] into the weights buffer from element offset on: unit weights with
 * Var(U_ij) = 1/fan_in (torch_trunc_normal: less, by its cut), so that
 * W = sigma_w[l]·U has Var(W_ij) = sigma_w[l]²/fan_in (arch.c's sigma_w[l]
 * turns fan_in into the configuration's fan). */
static int draw_unit_weights(gs_draws *d, int l, size_t offset, gs_error *err) {
    const gs_config *cfg = &d->cfg;
    const gs_layer *layer = &d->layers[l - 1];
    const int in = layer->fan_in, out = layer->fan_out;
    gs_stream st = rng_stream(cfg->base_seed, (uint64_t)cfg->seed, (uint32_t)cfg->width, cfg->init,
                              (uint32_t)l, GS_DRAW_WEIGHT);
    double *row = d->scratch.p;
    if (cfg->init == GS_INIT_ORTHOGONAL) {
        const size_t count = (size_t)out * in;
        double *u = NULL;
        int rc = draw_orthogonal(row, row + count, in, out, &st, &u, err);
        if (rc) return rc;
        store_reals(d->unit_weights.p, cfg->precision, offset, u, count);
        return 0;
    }
    /* U(-1, 1) has variance 1/3: scale by sqrt(3/fan_in); N(0, 1) by sqrt(1/fan_in),
     * and Keras' truncated normal also by 1 over its standard deviation */
    double scale = sqrt((cfg->init == GS_INIT_UNIFORM ? 3.0 : 1.0) / in);
    if (cfg->init == GS_INIT_TRUNCATED_NORMAL) scale /= truncated_sd(2);
    for (int i = 0; i < out; i++) {
        uint64_t first = (uint64_t)i * in;
        if (cfg->init == GS_INIT_UNIFORM)
            rng_uniform_pm1(&st, first, (size_t)in, row);
        else if (cfg->init == GS_INIT_TRUNCATED_NORMAL)
            truncated_normals(&st, first, (size_t)in, 2, row);
        else if (cfg->init == GS_INIT_TORCH_TRUNC_NORMAL)
            truncated_normals(&st, first, (size_t)in, layer->trunc_k, row);
        else
            rng_normal(&st, first, (size_t)in, row);
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
    void *dst = (char *)d->unit_biases.p + layer->unit_biases_at * precision_size(cfg->precision);
    if (!layer->uniform_biases) {
        draw_normals(d, dst, &bias, (size_t)layer->fan_out);
        return;
    }
    double *row = d->scratch.p; /* fan_out ≤ the widest layer: room in the scratch */
    rng_uniform_pm1(&bias, 0, (size_t)layer->fan_out, row);
    store_reals(dst, cfg->precision, 0, row, (size_t)layer->fan_out);
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

/* U[l] and β[l] for the layers not drawn yet. A last layer of output_width
 * ≠ width units is this network's own: a deeper network's layer of that
 * number is a hidden one, and a shallower network's last layer is drawn
 * again as its output layer. */
static int draw_layers(gs_draws *d, gs_keep_going keep_going, void *ctx, gs_error *err) {
    drawn *w = &d->weights_drawn;
    const int L = d->cfg.depth;
    const bool output_layer = config_output_width(&d->cfg) != d->cfg.width;
    gs_draw_key key = draw_key(&d->cfg, GS_DRAWS_WEIGHTS);
    if (!w->valid || !draw_key_equal(&w->key, &key)) *w = (drawn){false, key, 0, false};
    const bool same_top = output_layer && w->output_top && w->layers == L;
    int reusable = same_top ? L : w->layers - (w->output_top ? 1 : 0);
    if (output_layer && !same_top && reusable > L - 1) reusable = L - 1;
    if (reusable < w->layers) *w = (drawn){reusable > 0, key, reusable, false};
    for (int l = w->layers + 1; l <= L; l++) {
        w->valid = false; /* until layer l is complete */
        int rc = draw_unit_weights(d, l, d->layers[l - 1].unit_weights_at, err);
        if (rc) return rc;
        draw_biases(d, l);
        w->layers = l;
        w->output_top = output_layer && l == L;
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
    const gs_layer *first = &d->layers[0], *last = &d->layers[cfg->depth - 1];
    gs_stream x = rng_stream(cfg->base_seed, (uint64_t)cfg->seed, (uint32_t)first->fan_in, 0, 0,
                             GS_DRAW_INPUT);
    gs_stream vectors = rng_stream(cfg->base_seed, (uint64_t)cfg->seed, (uint32_t)last->fan_out, 0,
                                   0, cfg->loss == GS_LOSS_PROBE ? GS_DRAW_PROBE : GS_DRAW_TARGET);
    if (input_correlation(cfg) > 0) {
        gs_stream shared = rng_stream(cfg->base_seed, (uint64_t)cfg->seed, (uint32_t)first->fan_in,
                                      0, 0, GS_DRAW_INPUT_SHARED);
        draw_correlated_inputs(cfg, input, first->fan_in, &x, &shared);
    } else {
        draw_normals(d, input, &x, (size_t)cfg->batch * first->fan_in);
    }
    draw_normals(d, d->loss_vectors.p, &vectors, (size_t)cfg->batch * last->fan_out);
    d->data_drawn = (drawn){true, key, 0, false};
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
