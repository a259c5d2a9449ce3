/* net.c — building a network from the counter-based generator, and the
 * dispatch of the forward/backward kernels (net_kernels.inc) by precision.
 *
 * What the workspace holds for a configuration (L layers, B samples, n units,
 * in its precision):
 *     weights      (L, n, n)     U[l], unit draws
 *     biases       (L, n)        β[l], unit draws
 *     acts         (L+1, B, n)   a[0] = x, a[1] … a[L]: kept for ∂loss/∂W
 *     derivs       (L, B, n)     φ'(z[l]): kept for the backward pass
 *     z            (B, n)        z[l] of the layer in hand; z[L] after forward
 *     loss_vectors (B, n)        r (probe) or y (mse)
 *     delta, delta_prev (B, n)   δ[l] and δ[l-1]
 *     grad_w (n, n), grad_b (n)  ∂loss/∂W[l], ∂loss/∂b[l] of the layer in hand
 * plus double scratch for the statistics and for drawing.
 *
 * When that does not fit in the memory limit, two fallbacks trade time for
 * memory, giving the same numbers bit for bit (net.h, gs_memory_mode):
 *     redraw       weights (1, n, n): U[l] is drawn again from its stream
 *                  whenever it is needed (forward, then backward)
 *     checkpoint   redraw, and a[l], φ'(z[l]) kept only at every k-th layer
 *                  (plus k - 1 slots for one segment); the backward pass
 *                  recomputes each segment from its checkpoint. */
#include "gradsweep/net.h"

#include <cblas.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "gradsweep/rng.h"
#include "gradsweep/stats.h"

/* LAPACK (OpenBLAS ships it; Debian has no LAPACKE for it): QR factorisation
 * and the explicit Q, for orthogonal draws. */
void dgeqrf_(const int *m, const int *n, double *a, const int *lda, double *tau, double *work,
             const int *lwork, int *info);
void dorgqr_(const int *m, const int *n, const int *k, double *a, const int *lda, const double *tau,
             double *work, const int *lwork, int *info);

typedef struct buffer {
    void *p;
    size_t cap; /* bytes */
} buffer;

/* Which draws the buffers hold. Configurations that differ only in sigma_w,
 * sigma_b, activation or depth share their unit draws (that is what the
 * keyed streams promise), so a rank that computes them one after another
 * draws once: the weights for as many layers as the deepest so far, the data
 * for the (seed, width, batch). */
typedef struct drawn_weights {
    bool valid;
    uint64_t base_seed;
    int64_t seed;
    int width;
    gs_init init;
    gs_precision precision;
    int layers; /* U[1 … layers] and β[1 … layers] are drawn */
} drawn_weights;

typedef struct drawn_data {
    bool valid;
    uint64_t base_seed;
    int64_t seed;
    int width, batch;
    gs_loss loss;
    gs_precision precision;
} drawn_data;

struct gs_net {
    gs_config cfg;
    size_t memory_limit; /* bytes; 0: none */
    gs_memory_plan plan; /* how cfg is held */
    int loaded_layer;    /* redraw, checkpoint: the layer whose U is in `weights`; 0: none */
    int valid_segment;   /* checkpoint: the segment base whose slots hold a and φ'; -1: none */
    gs_error draw_error; /* a weight draw that failed in the middle of a pass */
    bool abandoned;      /* the observer asked to stop this configuration */
    drawn_weights weights_drawn;
    drawn_data data_drawn;
    buffer weights, biases, acts, derivs, z, loss_vectors, delta, delta_prev, grad_w, grad_b;
    buffer scratch; /* doubles: statistics, bias sums */
    buffer draw;    /* doubles: unit draws before rounding to the precision; QR workspace */
};

/* Grows b to hold at least bytes, keeping its contents when keep is set.
 * Sets *moved when the contents are gone. Returns false when memory runs out
 * (the configuration fails, the rank goes on). */
static bool reserve_buffer(buffer *b, size_t bytes, bool keep, bool *moved) {
    if (b->cap >= bytes) return true;
    if (keep) {
        void *p = realloc(b->p, bytes);
        if (!p) return false;
        b->p = p;
    } else {
        free(b->p);
        b->p = malloc(bytes);
        *moved = true;
    }
    b->cap = b->p ? bytes : 0;
    return b->p != NULL;
}

static bool reserve(buffer *b, size_t bytes) {
    bool moved = false;
    return reserve_buffer(b, bytes, false, &moved);
}

gs_net *net_create(void) { return gs_calloc(1, sizeof(gs_net)); }

void net_destroy(gs_net **net) {
    if (!net || !*net) return;
    buffer *all[] = {&(*net)->weights, &(*net)->biases,       &(*net)->acts,    &(*net)->derivs,
                     &(*net)->z,       &(*net)->loss_vectors, &(*net)->delta,   &(*net)->delta_prev,
                     &(*net)->grad_w,  &(*net)->grad_b,       &(*net)->scratch, &(*net)->draw};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        free(all[i]->p);
    free(*net);
    *net = NULL;
}

/* The observer's hook between layers; once it answers false (the sweep is
 * being stopped and this configuration abandoned), every later call does too
 * and the passes return at once. */
static bool keep_going(gs_net *net, const gs_net_observer *obs) {
    if (!net->abandoned && obs && obs->between_layers && !obs->between_layers(obs->ctx))
        net->abandoned = true;
    return !net->abandoned;
}

void net_set_memory_limit(gs_net *net, size_t bytes) { net->memory_limit = bytes; }

/* ---- drawing ---------------------------------------------------------------- */

/* Rounds count doubles into dst in the network's precision. */
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

/* U[l] into slot `slot` of the weights buffer: unit weights with Var(U_ij) =
 * 1/n, so that W = sigma_w·U has Var(W_ij) = sigma_w²/fan_in. Element (i, j)
 * is draw i·n + j of the layer's stream. (For orthogonal draws U is Qᵀ,
 * equally Haar-distributed.) */
static int draw_unit_weights(gs_net *net, int layer, size_t slot, gs_error *err) {
    const gs_config *cfg = &net->cfg;
    const int n = cfg->width;
    const size_t nn = (size_t)n * n, offset = slot * nn;
    gs_stream st = rng_stream(cfg->base_seed, (uint64_t)cfg->seed, (uint32_t)n, cfg->init,
                              (uint32_t)layer, GS_DRAW_WEIGHT);
    double *row = net->draw.p;
    switch (cfg->init) {
    case GS_INIT_ORTHOGONAL: {
        int rc = draw_orthogonal(row, row + nn, n, &st, err);
        if (rc) return rc;
        store_reals(net->weights.p, cfg->precision, offset, row, nn);
        return 0;
    }
    case GS_INIT_UNIFORM:
    case GS_INIT_GAUSSIAN:
    default: {
        /* U(-1, 1) has variance 1/3: scale by sqrt(3/n); N(0, 1) by sqrt(1/n). */
        double scale = sqrt((cfg->init == GS_INIT_UNIFORM ? 3.0 : 1.0) / n);
        for (int i = 0; i < n; i++) {
            if (cfg->init == GS_INIT_UNIFORM)
                rng_uniform_pm1(&st, (uint64_t)i * n, (size_t)n, row);
            else
                rng_normal(&st, (uint64_t)i * n, (size_t)n, row);
            for (int j = 0; j < n; j++)
                row[j] *= scale;
            store_reals(net->weights.p, cfg->precision, offset + (size_t)i * n, row, (size_t)n);
        }
        return 0;
    }
    }
}

/* count standard normals of a stream into dst (in the precision), a row of
 * n at a time through the double draw buffer. */
static void draw_normals(gs_net *net, void *dst, const gs_stream *st, size_t count) {
    const size_t n = (size_t)net->cfg.width;
    double *row = net->draw.p;
    for (size_t first = 0; first < count; first += n) {
        size_t m = count - first < n ? count - first : n;
        rng_normal(st, first, m, row);
        store_reals(dst, net->cfg.precision, first, row, m);
    }
}

static int reserve_all(gs_net *net, const gs_config *cfg, gs_error *err) {
    gs_workspace w = plan_workspace(cfg, &net->plan);
    size_t es = precision_size(cfg->precision);
    bool data_moved = false;
    bool ok = reserve_buffer(&net->weights, w.unit_weights * es, true, &data_moved) &&
              reserve_buffer(&net->biases, w.unit_biases * es, true, &data_moved) &&
              reserve_buffer(&net->acts, w.acts * es, false, &data_moved) &&
              reserve_buffer(&net->loss_vectors, w.loss_vectors * es, false, &data_moved) &&
              reserve(&net->derivs, w.derivs * es) && reserve(&net->z, w.layer_io * es) &&
              reserve(&net->delta, w.layer_io * es) && reserve(&net->delta_prev, w.layer_io * es) &&
              reserve(&net->grad_w, w.grad_w * es) && reserve(&net->grad_b, w.grad_b * es) &&
              reserve(&net->scratch, w.stats_scratch * sizeof(double)) &&
              reserve(&net->draw, w.draw_scratch * sizeof(double));
    if (data_moved) net->data_drawn.valid = false;
    if (!ok) {
        net->weights_drawn.valid = net->data_drawn.valid = false;
        char need[32];
        return gs_fail(err, GS_EXIT_RESOURCES,
                       "configuration %lld (depth %d, width %d, batch %d) needs %s and memory "
                       "ran out; lower the largest configuration or run fewer ranks per node",
                       (long long)cfg->index, cfg->depth, cfg->width, cfg->batch,
                       gs_format_bytes((double)net->plan.bytes, need, sizeof need));
    }
    return 0;
}

static bool same_weights(const drawn_weights *w, const gs_config *cfg) {
    return w->valid && w->base_seed == cfg->base_seed && w->seed == cfg->seed &&
           w->width == cfg->width && w->init == cfg->init && w->precision == cfg->precision;
}

static bool same_data(const drawn_data *d, const gs_config *cfg) {
    return d->valid && d->base_seed == cfg->base_seed && d->seed == cfg->seed &&
           d->width == cfg->width && d->batch == cfg->batch && d->loss == cfg->loss &&
           d->precision == cfg->precision;
}

static void draw_biases(gs_net *net, int l) {
    const gs_config *cfg = &net->cfg;
    const uint32_t n = (uint32_t)cfg->width;
    gs_stream bias =
        rng_stream(cfg->base_seed, (uint64_t)cfg->seed, n, cfg->init, (uint32_t)l, GS_DRAW_BIAS);
    draw_normals(net, (char *)net->biases.p + (size_t)(l - 1) * n * precision_size(cfg->precision),
                 &bias, n);
}

/* Without room for every U[l]: all β[l] now, each U[l] when a pass needs it. */
static void draw_biases_only(gs_net *net, const gs_net_observer *obs) {
    net->weights_drawn.valid = false; /* the weights buffer holds one layer from now on */
    net->loaded_layer = 0;
    for (int l = 1; l <= net->cfg.depth; l++) {
        draw_biases(net, l);
        if (l % 64 == 0 && !keep_going(net, obs)) return;
    }
}

/* U[l] and β[l] for the layers not drawn yet. */
static int draw_layers(gs_net *net, const gs_net_observer *obs, gs_error *err) {
    const gs_config *cfg = &net->cfg;
    drawn_weights *w = &net->weights_drawn;
    if (!same_weights(w, cfg)) {
        *w = (drawn_weights){false,     cfg->base_seed, cfg->seed, cfg->width,
                             cfg->init, cfg->precision, 0};
    }
    for (int l = w->layers + 1; l <= cfg->depth; l++) {
        w->valid = false; /* until layer l is complete */
        int rc = draw_unit_weights(net, l, (size_t)(l - 1), err);
        if (rc) return rc;
        draw_biases(net, l);
        w->layers = l;
        w->valid = true;
        if (!keep_going(net, obs)) return 0; /* what is drawn stays valid for later */
    }
    return 0;
}

/* The input x = a[0] and the probe vectors r (or targets y). */
static void draw_data(gs_net *net) {
    const gs_config *cfg = &net->cfg;
    if (same_data(&net->data_drawn, cfg)) return;
    const uint32_t n = (uint32_t)cfg->width;
    const size_t bn = (size_t)cfg->batch * n;
    gs_stream input = rng_stream(cfg->base_seed, (uint64_t)cfg->seed, n, 0, 0, GS_DRAW_INPUT);
    gs_stream vectors = rng_stream(cfg->base_seed, (uint64_t)cfg->seed, n, 0, 0,
                                   cfg->loss == GS_LOSS_PROBE ? GS_DRAW_PROBE : GS_DRAW_TARGET);
    draw_normals(net, net->acts.p, &input, bn);
    draw_normals(net, net->loss_vectors.p, &vectors, bn);
    net->data_drawn = (drawn_data){true,       cfg->base_seed, cfg->seed,     cfg->width,
                                   cfg->batch, cfg->loss,      cfg->precision};
}

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
    net->draw_error = (gs_error){0};
    net->abandoned = false;
    if (net->plan.mode == GS_MEMORY_STORE_ALL) {
        if ((rc = draw_layers(net, obs, err))) return rc;
    } else {
        draw_biases_only(net, obs);
    }
    draw_data(net);
    return 0;
}

/* ---- where each layer's buffers are, whatever the plan -------------------------- */

/* a[l], 0 ≤ l ≤ L (a[0] = x) and φ'(z[l]), 1 ≤ l ≤ L. */
static void *act_at(gs_net *net, int l) {
    return (char *)net->acts.p + plan_slot(&net->plan, net->cfg.depth, l) * (size_t)net->cfg.batch *
                                     net->cfg.width * precision_size(net->cfg.precision);
}

static void *deriv_at(gs_net *net, int l) {
    return (char *)net->derivs.p + plan_slot(&net->plan, net->cfg.depth, l) *
                                       (size_t)net->cfg.batch * net->cfg.width *
                                       precision_size(net->cfg.precision);
}

/* U[l]: stored, or drawn now into the one-layer buffer. A failed draw (LAPACK)
 * leaves NaN weights, so the configuration reads as nonfinite, and is
 * reported as failed by net_run. */
static const void *weights_at(gs_net *net, int l) {
    size_t layer_bytes =
        (size_t)net->cfg.width * net->cfg.width * precision_size(net->cfg.precision);
    if (net->plan.mode == GS_MEMORY_STORE_ALL)
        return (char *)net->weights.p + (size_t)(l - 1) * layer_bytes;
    if (net->loaded_layer != l) {
        if (draw_unit_weights(net, l, 0, &net->draw_error)) {
            size_t count = (size_t)net->cfg.width * net->cfg.width;
            for (size_t k = 0; k < count; k++) {
                if (net->cfg.precision == GS_FLOAT32)
                    ((float *)net->weights.p)[k] = NAN;
                else
                    ((double *)net->weights.p)[k] = NAN;
            }
        }
        net->loaded_layer = l;
    }
    return net->weights.p;
}

/* ---- the passes, once per precision ---------------------------------------------- */

#define REAL         float
#define SUFFIX(name) name##_f32
#define GEMM         cblas_sgemm
#include "net_kernels.inc"
#undef REAL
#undef SUFFIX
#undef GEMM

#define REAL         double
#define SUFFIX(name) name##_f64
#define GEMM         cblas_dgemm
#include "net_kernels.inc"
#undef REAL
#undef SUFFIX
#undef GEMM

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
    if (rc == 0 && net->draw_error.code)
        rc = gs_fail(err, net->draw_error.code, "%s", net->draw_error.msg);
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
    net->weights_drawn.valid = false;
    return (void *)weights_at(net, layer);
}

void *net_unit_biases(gs_net *net, int layer) {
    net->weights_drawn.valid = false;
    return (char *)net->biases.p +
           (size_t)(layer - 1) * net->cfg.width * precision_size(net->cfg.precision);
}

void *net_input(gs_net *net) {
    net->data_drawn.valid = false;
    return act_at(net, 0);
}

void *net_loss_vectors(gs_net *net) {
    net->data_drawn.valid = false;
    return net->loss_vectors.p;
}
