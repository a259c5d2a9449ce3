/* SPDX-License-Identifier: MIT */
/* dryrun.c — what --dry-run prints: the grid, the largest configuration, the
 * memory a rank needs, and a time estimate from this machine, for one rank
 * and for the ranks it runs on.
 *
 * A configuration's time is the sum of what a rank spends on it:
 *   - its forward and backward passes: real networks of every distinct
 *     shape (activation, init, width, batch, input and output width, blocks
 *     or not, norm) run at
 *     the smallest and the
 *     largest depth the grid has for that shape (a deep network's workspace
 *     falls out of the caches that hold a shallow one's: probing at depths 1
 *     and 3 alone underestimated deep sweeps), giving a fixed cost and a cost
 *     per layer, interpolated linearly in depth. The probes run on drawn,
 *     reused weights, as a sweep's configurations mostly do;
 *   - the random draws, measured apart (this machine's rate of normal
 *     draws) and shared by the configurations of a draw group (seed, width,
 *     init), which a rank draws once for its deepest member;
 *   - the mean-field theory every configuration carries (theory.h): computed
 *     once per (activation, sigma_w, sigma_b) at the deepest depth by each
 *     rank that meets it. A few such predictions per activation are timed;
 *     on one rank it was a fifth of jobs/example.yaml's time, missing from
 *     the old estimate;
 *   - what a memory plan adds (redrawn weights, recomputed segments).
 * Shapes too costly to probe, or left when the time budget runs out, are
 * estimated from their GEMMs at this machine's GEMM rate. The time on N ranks
 * is the scheduler's own hand-out replayed over these times (simulate.h),
 * with the theory recomputed by every rank that takes a draw group.
 *
 * Every probe is timed with the thread's CPU clock: the estimate is what the
 * sweep costs a core, which is its wall time on an allocation of its own,
 * and it does not grow when the dry run itself shares a login node or a
 * workstation with other work. */
#include "gradsweep/dryrun.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "gradsweep/blas.h"
#include "gradsweep/net.h"
#include "gradsweep/rng.h"
#include "gradsweep/simulate.h"
#include "gradsweep/theory.h"
#include "gradsweep/train.h"
#include "gradsweep/workload.h"

#define PROBE_BUDGET_S   2.0 /* time spent probing networks at their depths */
#define SCALES_BUDGET_S  4.0 /* CPU time spent probing them at the grid's scales */
#define THEORY_BUDGET_S  1.0 /* total time spent timing the theory */
#define PROBE_MAX_FLOPS  2e9 /* a probe costing more is estimated from the GEMM rate */
#define THEORY_SAMPLES   3   /* sigma_w values timed per activation */
#define SUBNORMAL_EXCESS 1.3 /* a scale slower than this × the typical one has an excess */

typedef struct shape {
    gs_config example;      /* a configuration of this shape, at the median sigma_w */
    int depth_lo, depth_hi; /* the grid's depths for it */
    int probed_depth;       /* the depth the sigma_w probes ran at */
    double fixed_s;         /* measured seconds per configuration, besides the layers */
    double layer_s;         /* measured seconds per layer; NAN if not probed */
    double *excess_s;       /* [sigma_w position]: seconds beyond fixed + layers at
                             * probed_depth, NAN where not probed */
} shape;

static bool same_shape(const gs_config *a, const gs_config *b) {
    return a->act.kind == b->act.kind && a->init == b->init && a->width == b->width &&
           a->batch == b->batch && config_input_width(a) == config_input_width(b) &&
           config_output_width(a) == config_output_width(b) &&
           (a->branch == GS_BRANCH_NONE) == (b->branch == GS_BRANCH_NONE) && a->norm == b->norm;
}

/* Values of axis a the grid has (1 for an axis it does not have). */
static size_t axis_count(const gs_spec *spec, gs_axis_id a) {
    return spec_has_axis(spec, a) ? spec->axis[a].count : 1;
}

/* The distinct shapes of the grid (configurations differ in shape only along
 * the activation, init, width, batch and the input and output width axes,
 * and whether they have residual blocks and which norm: a block adds a pass
 * over its trunk, LayerNorm two) and each one's depth range. */
static shape *distinct_shapes(const gs_grid *g, int *count) {
    const gs_spec *spec = g->spec;
    size_t n = spec->axis[GS_AXIS_ACTIVATION].count * spec->axis[GS_AXIS_INIT].count *
               spec->axis[GS_AXIS_WIDTH].count * spec->axis[GS_AXIS_BATCH].count *
               axis_count(spec, GS_AXIS_INPUT_WIDTH) * axis_count(spec, GS_AXIS_OUTPUT_WIDTH) *
               axis_count(spec, GS_AXIS_BRANCH_SCALE) * axis_count(spec, GS_AXIS_NORM);
    const gs_axis *depth = &spec->axis[GS_AXIS_DEPTH];
    int lo = (int)depth->integer[0], hi = lo;
    for (size_t k = 1; k < depth->count; k++) {
        lo = depth->integer[k] < lo ? (int)depth->integer[k] : lo;
        hi = depth->integer[k] > hi ? (int)depth->integer[k] : hi;
    }
    shape *shapes = gs_calloc(n, sizeof *shapes);
    int m = 0;
    for (int64_t i = 0; i < g->count && (size_t)m < n; i++) {
        gs_config cfg;
        grid_config(g, i, &cfg);
        bool seen = false;
        for (int k = 0; k < m && !seen; k++)
            seen = same_shape(&shapes[k].example, &cfg);
        if (seen) continue;
        const gs_axis *ws = &spec->axis[GS_AXIS_SIGMA_W];
        cfg.sigma_w = ws->real[ws->count / 2]; /* a typical scale: see probe_scales */
        shapes[m] = (shape){cfg, lo, hi, 0, NAN, NAN, gs_malloc(ws->count * sizeof(double))};
        for (size_t w = 0; w < ws->count; w++)
            shapes[m].excess_s[w] = NAN;
        m++;
    }
    *count = m;
    return shapes;
}

/* Seconds a real network of this shape and depth takes: best of `runs`. */
static double time_run(gs_net *net, gs_config cfg, int depth, int runs) {
    gs_layer_stats *layers = gs_calloc((size_t)depth, sizeof *layers);
    gs_result res = {.layers = layers};
    gs_error err = {0};
    double best = INFINITY;
    cfg.depth = depth;
    for (int run = 0; run < runs; run++) {
        double start = gs_cpu_now();
        if (net_run(net, &cfg, &res, NULL, &err)) {
            best = NAN;
            break;
        }
        best = fmin(best, gs_cpu_now() - start);
    }
    free(layers);
    return best;
}

/* The deepest depth ≤ want whose configuration costs at most PROBE_MAX_FLOPS. */
static int affordable_depth(const gs_config *example, int want) {
    gs_config one = *example;
    one.depth = 1;
    double per_layer = net_flops(&one);
    int cap = per_layer > 0 ? (int)(PROBE_MAX_FLOPS / per_layer) : want;
    return want < cap ? want : cap;
}

/* Fixed and per-layer cost of a shape at a typical scale, from its smallest
 * and largest depth (the largest affordable one); the weights are drawn by a
 * first run at the larger depth, so the timed runs reuse them. */
static void probe(gs_net *net, shape *s) {
    int hi = affordable_depth(&s->example, s->depth_hi);
    if (hi < 1) return;
    int lo = s->depth_lo < hi ? s->depth_lo : (hi > 1 ? hi / 2 : 1);
    time_run(net, s->example, hi, 1); /* draws U[1 … hi] */
    double deep = time_run(net, s->example, hi, 2);
    s->probed_depth = hi;
    if (lo == hi) {
        s->layer_s = deep / hi;
        s->fixed_s = 0;
        return;
    }
    double shallow = time_run(net, s->example, lo, 2);
    s->layer_s = fmax((deep - shallow) / (hi - lo), 0.0);
    s->fixed_s = fmax(shallow - s->layer_s * lo, 0.0);
}

/* The scale matters to the time where it drives values into the subnormal
 * range (below 1e-38 in float32, 1e-308 in float64): a network in the
 * ordered phase whose signal vanishes over the depth passes through it, and
 * a layer of subnormal arithmetic costs tens of times a normal one
 * (jobs/example.yaml: relu, sigma_w 0.5, depth 100 took 40× as long as at
 * sigma_w 1). So each shape is also run at the other scales of the grid, the
 * extremes first, then halving the gaps, while the budget lasts; what a run
 * takes beyond fixed + layers is that scale's excess. */
static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The next scale to probe, given those probed (t[w] finite): first the two
 * ends; then an unprobed neighbour of a scale slower than SUBNORMAL_EXCESS ×
 * the fastest so far, so that the edge of a slow range is found; else the
 * middle of the widest gap between probed scales. count when none is left. */
static size_t next_scale(const double *t, size_t count) {
    if (isnan(t[0])) return 0;
    if (isnan(t[count - 1])) return count - 1;
    double fastest = INFINITY;
    for (size_t w = 0; w < count; w++)
        if (!isnan(t[w])) fastest = fmin(fastest, t[w]);
    for (size_t w = 0; w < count; w++) {
        if (isnan(t[w]) || !(t[w] > SUBNORMAL_EXCESS * fastest)) continue;
        if (w > 0 && isnan(t[w - 1])) return w - 1;
        if (w + 1 < count && isnan(t[w + 1])) return w + 1;
    }
    size_t best = count, widest = 1, last = 0;
    for (size_t w = 1; w < count; w++) {
        if (isnan(t[w])) continue;
        if (w - last > widest) widest = w - last, best = (last + w) / 2;
        last = w;
    }
    return best;
}

/* Each shape at the grid's scales, one run each at the probed depth, one
 * scale after another as a sweep runs them, within the shape's share of the
 * budget (at least three). A scale's excess is what its run takes beyond the
 * median run; runs within SUBNORMAL_EXCESS of the median differ by noise
 * only (which, clipped at 0, would only ever add). The median also rescales
 * the shape's fixed and per-layer cost: a run after another configuration is
 * slower than a repeat of the same one, whose best probe() takes. */
static void probe_scales(gs_net *net, shape *shapes, int count, const gs_axis *ws, double until) {
    double *t = gs_malloc(ws->count * sizeof *t), *sorted = gs_malloc(ws->count * sizeof *sorted);
    for (int k = 0; k < count; k++) {
        shape *s = &shapes[k];
        if (!isfinite(s->layer_s) || s->probed_depth < 1) continue;
        double stop = gs_cpu_now() + (until - gs_cpu_now()) / (count - k); /* its share */
        for (size_t w = 0; w < ws->count; w++)
            t[w] = NAN;
        size_t m = 0, w;
        while ((m < 3 || gs_cpu_now() < stop) && (w = next_scale(t, ws->count)) < ws->count) {
            gs_config cfg = s->example;
            cfg.sigma_w = ws->real[w];
            double run = time_run(net, cfg, s->probed_depth, 1);
            t[w] = isfinite(run) ? run : INFINITY; /* failed: probed, no excess */
            if (isfinite(run)) sorted[m++] = run;
        }
        if (m == 0) continue;
        qsort(sorted, m, sizeof *sorted, compare_doubles);
        double median = sorted[m / 2], base = s->fixed_s + s->layer_s * s->probed_depth;
        if (base > 0) {
            s->fixed_s *= median / base;
            s->layer_s *= median / base;
        }
        for (size_t v = 0; v < ws->count; v++)
            if (!isnan(t[v]))
                s->excess_s[v] =
                    isfinite(t[v]) && t[v] > SUBNORMAL_EXCESS * median ? t[v] - median : 0.0;
    }
    free(t);
    free(sorted);
}

/* A scale's excess at the probed depth: measured, or the smaller of its
 * nearest measured neighbours' in the grid's list (probing follows a slow
 * range to its edge, so an unprobed scale between a slow and a normal one
 * is past the edge); 0 if none was measured. */
static double excess_at(const shape *s, size_t n_scales, size_t w) {
    if (!isnan(s->excess_s[w])) return s->excess_s[w];
    double below = NAN, above = NAN;
    for (size_t k = w; k-- > 0 && isnan(below);)
        below = s->excess_s[k];
    for (size_t k = w + 1; k < n_scales && isnan(above); k++)
        above = s->excess_s[k];
    if (isnan(below) && isnan(above)) return 0;
    if (isnan(below)) return above;
    if (isnan(above)) return below;
    return fmin(below, above);
}

static const shape *shape_of(const shape *shapes, int count, const gs_config *cfg) {
    for (int k = 0; k < count; k++)
        if (same_shape(&shapes[k].example, cfg)) return &shapes[k];
    return NULL;
}

/* Seconds per standard normal draw: best of three batches of 2^16. */
static double draw_seconds(void) {
    enum { COUNT = 1 << 16 };
    double *out = gs_malloc(COUNT * sizeof *out), best = INFINITY;
    gs_stream st = rng_stream(0, 0, 1, 0, 1, GS_DRAW_WEIGHT);
    for (int run = 0; run < 3; run++) {
        double start = gs_cpu_now();
        rng_normal(&st, 0, COUNT, out);
        best = fmin(best, (gs_cpu_now() - start) / COUNT);
    }
    free(out);
    return best;
}

/* LAPACK's bidiagonalisation (the Jacobian's singular values) is half
 * matrix-vector work: dgesdd of width 1024 took 0.33 s, an eighth of the
 * GEMM rate. */
#define SVD_SLOWDOWN 8.0

/* Seconds a configuration of an unprobed shape should take: its GEMMs at the
 * GEMM rate, the Jacobian's singular values slower (its draws are counted
 * apart). */
static double modelled_seconds(const gs_config *cfg, double gemm_rate) {
    double n = cfg->width;
    double svd = cfg->jacobian_samples > 0 ? (8.0 / 3.0) * n * n * n : 0;
    return (net_flops(cfg) - net_draw_flops(cfg) - svd + SVD_SLOWDOWN * svd) / gemm_rate;
}

/* What a memory plan adds to a configuration's time: redrawing weights
 * draws every layer once more (checkpointing twice more), and checkpointing
 * recomputes the forward pass (a third of the GEMMs). */
static double plan_seconds(const gs_config *cfg, const gs_memory_plan *plan, double gemm_rate,
                           double draw_s) {
    double layer_draws = (double)net_shape(cfg).unit_weights;
    double qr = net_draw_flops(cfg), gemms = net_flops(cfg) - qr;
    switch (plan->mode) {
    case GS_MEMORY_REDRAW_WEIGHTS: return layer_draws * draw_s + qr / gemm_rate;
    case GS_MEMORY_CHECKPOINT:
        return 2 * (layer_draws * draw_s + qr / gemm_rate) + gemms / 3 / gemm_rate;
    case GS_MEMORY_STORE_ALL: break;
    }
    return 0;
}

/* Seconds the theory of one (activation, sigma_w, sigma_b) takes at the
 * grid's largest depth, averaged over up to THEORY_SAMPLES sigma_w values of
 * the grid, per activation of the grid (theory_s[position on the activation
 * axis]); unmeasured activations (budget spent) take the mean of the others. */
static void time_theory(const gs_grid *g, double *theory_s, const gs_config *blocks) {
    const gs_spec *spec = g->spec;
    const gs_axis *acts = &spec->axis[GS_AXIS_ACTIVATION], *ws = &spec->axis[GS_AXIS_SIGMA_W];
    const gs_axis *bs = &spec->axis[GS_AXIS_SIGMA_B];
    gs_layer_theory *layers = gs_calloc((size_t)g->max_depth, sizeof *layers);
    gs_layer_stats *stats = gs_calloc((size_t)g->max_depth, sizeof *stats);
    gs_jacobian_stats *jacobian = gs_calloc((size_t)g->max_depth, sizeof *jacobian);
    double start = gs_now(), known = 0;
    int measured = 0;
    for (size_t a = 0; a < acts->count; a++) {
        theory_s[a] = NAN;
        if (gs_now() - start > THEORY_BUDGET_S) continue;
        double total = 0;
        int samples = 0;
        for (int k = 0; k < THEORY_SAMPLES && k < (int)ws->count; k++) {
            size_t w = ws->count <= THEORY_SAMPLES
                           ? (size_t)k
                           : (size_t)k * (ws->count - 1) / (THEORY_SAMPLES - 1);
            gs_config cfg;
            grid_config(g, 0, &cfg);
            cfg.act = (gs_activation){(gs_activation_kind)acts->integer[a], spec->leaky_relu_slope};
            cfg.sigma_w = ws->real[w];
            cfg.sigma_b = bs->real[0];
            cfg.depth = g->max_depth;
            if (blocks) cfg.branch = blocks->branch, cfg.branch_scale = 1, cfg.norm = blocks->norm;
            gs_result res = {.layers = stats, .theory = layers, .jacobian_theory = jacobian};
            gs_theory *theory = theory_create(); /* fresh: nothing remembered */
            double t0 = gs_cpu_now();
            theory_predict(theory, &cfg, &res, NULL, NULL);
            total += gs_cpu_now() - t0;
            samples++;
            theory_destroy(&theory);
            if (gs_now() - start > THEORY_BUDGET_S) break;
        }
        theory_s[a] = total / samples;
        known += theory_s[a];
        measured++;
    }
    for (size_t a = 0; a < acts->count; a++)
        if (isnan(theory_s[a])) theory_s[a] = measured ? known / measured : 0;
    free(layers);
    free(stats);
    free(jacobian);
}

/* Training: the floating-point rate of training steps here, measured on the
 * configuration whose steps cost most, on rows of zeros, which cost what real
 * rows cost (no subnormal numbers arise: training flushes them). Runs of
 * doubling length until one takes TRAIN_PROBE_S, then the fastest of three
 * (a shared machine's noise only ever slows a run down). */
#define TRAIN_PROBE_S 0.25
static double train_rate(const gs_grid *g) {
    const gs_spec *spec = g->spec;
    gs_config probe = {0};
    double most = -1;
    for (int64_t i = 0; i < g->count; i++) {
        gs_config cfg;
        grid_config(g, i, &cfg);
        gs_train_settings one = spec->train;
        one.steps = 1;
        double f = train_flops(&cfg, &one, 0);
        if (f > most) most = f, probe = cfg;
    }
    gs_train_settings t = spec->train;
    t.steps = 1;
    t.record_every = 1;
    t.n_stats_steps = 0;
    const gs_data_shape *d = &spec->data_shape;
    size_t es = precision_size(spec->precision), B = (size_t)probe.batch;
    void *x = gs_calloc(B * (size_t)d->inputs, es);
    void *targets = gs_calloc(B * (size_t)d->outputs, es);
    int32_t *labels = gs_calloc(B, sizeof *labels);
    bool classes = spec->train.loss == GS_TRAIN_CROSS_ENTROPY;
    gs_train_data data = {.inputs = d->inputs,
                          .outputs = d->outputs,
                          .rows = {(int64_t)B, 0},
                          .x = {x, NULL},
                          .labels = {classes ? labels : NULL, NULL},
                          .targets = {classes ? NULL : targets, NULL}};
    gs_trainer *tr = trainer_create();
    gs_train_result res;
    train_result_alloc(&res, &t, probe.depth);
    gs_error err = {0};
    int rc = trainer_run(tr, &probe, &t, &data, &res, NULL, &err); /* the draws, once */
    double seconds = INFINITY, flops = 0;
    for (int64_t steps = 1; rc == 0 && steps <= 64; steps *= 2) {
        t.steps = t.record_every = steps;
        train_result_free(&res);
        train_result_alloc(&res, &t, probe.depth);
        double best = INFINITY;
        for (int k = 0; k < 3 && rc == 0; k++) {
            double start = gs_now();
            rc = trainer_run(tr, &probe, &t, &data, &res, NULL, &err);
            best = fmin(best, gs_now() - start);
            if (k == 0 && best < TRAIN_PROBE_S && steps < 64) break; /* too short: longer */
        }
        seconds = best;
        flops = train_flops(&probe, &t, 0) - net_draw_flops(&probe);
        if (best >= TRAIN_PROBE_S) break;
    }
    train_result_free(&res);
    trainer_destroy(&tr);
    free(x);
    free(targets);
    free(labels);
    return rc || !(seconds > 0) || !isfinite(seconds) ? NAN : flops / seconds;
}

/* The draw groups of the grid: configurations with the same weights' draw
 * key (seed, width, init, and the input and output widths) draw the same
 * weights, once per rank for the deepest of them. */
static int64_t groups_of(const gs_grid *g) {
    const gs_spec *spec = g->spec;
    return (int64_t)(spec->axis[GS_AXIS_SEED].count * spec->axis[GS_AXIS_WIDTH].count *
                     spec->axis[GS_AXIS_INIT].count * axis_count(spec, GS_AXIS_INPUT_WIDTH) *
                     axis_count(spec, GS_AXIS_OUTPUT_WIDTH));
}

static void estimate(const gs_grid *g, size_t limit, gs_estimate *out, double *seconds) {
    const gs_spec *spec = g->spec;
    int count;
    shape *shapes = distinct_shapes(g, &count);
    gs_net *net = net_create();
    double start = gs_now();
    for (int k = 0; k < count && gs_now() - start < PROBE_BUDGET_S; k++)
        probe(net, &shapes[k]);
    probe_scales(net, shapes, count, &spec->axis[GS_AXIS_SIGMA_W], gs_cpu_now() + SCALES_BUDGET_S);
    net_destroy(&net);
    double gemm_rate =
        blas_measure_flops(spec->precision == GS_FLOAT32, g->max_width, g->max_batch, 0.1);
    double draw_s = draw_seconds();
    size_t n_acts = spec->axis[GS_AXIS_ACTIVATION].count;
    double *theory_s = gs_calloc(n_acts, sizeof *theory_s);
    time_theory(g, theory_s, NULL);
    /* Networks with residual blocks or a norm have their theory computed per
     * configuration (α may depend on the depth): timed apart, at the most
     * costly kind the sweep has, and charged in proportion to the depth. */
    double *block_theory_s = NULL;
    gs_config blocks = {.branch = GS_BRANCH_NONE, .norm = GS_NORM_NONE};
    const gs_axis *branch_axis = &spec->axis[GS_AXIS_BRANCH_SCALE];
    for (size_t k = 0; spec_has_axis(spec, GS_AXIS_BRANCH_SCALE) && k < branch_axis->count; k++)
        if (!isnan(branch_axis->real[k])) blocks.branch = GS_BRANCH_NUMBER;
    for (size_t k = 0; spec_has_axis(spec, GS_AXIS_NORM) && k < spec->axis[GS_AXIS_NORM].count; k++)
        if (spec->axis[GS_AXIS_NORM].integer[k] != GS_NORM_NONE) blocks.norm = GS_NORM_LAYERNORM;
    if (config_has_blocks(&blocks)) {
        block_theory_s = gs_calloc(n_acts, sizeof *block_theory_s);
        time_theory(g, block_theory_s, &blocks);
    }
    const bool training = spec_has_training(spec);
    double training_rate = training ? train_rate(g) : NAN;
    if (training && !isfinite(training_rate)) training_rate = gemm_rate;

    /* Per (activation, sigma_w, sigma_b): computed once per rank at the
     * deepest depth, so each of its configurations carries a share. */
    int64_t combos_per_act =
        (int64_t)(spec->axis[GS_AXIS_SIGMA_W].count * spec->axis[GS_AXIS_SIGMA_B].count);
    int64_t per_combo = g->count / ((int64_t)n_acts * combos_per_act);
    /* Per draw group: U[1 … max depth] of its width (and its QR), and the data. */
    int64_t groups = groups_of(g), per_group = g->count / groups;

    *out = (gs_estimate){0};
    for (int64_t i = 0; i < g->count; i++) {
        gs_config cfg;
        grid_config(g, i, &cfg);
        const shape *s = shape_of(shapes, count, &cfg);
        gs_memory_plan plan;
        net_memory_plan(&cfg, workload_net_limit(spec, &cfg, limit), &plan);
        double net_s = modelled_seconds(&cfg, gemm_rate);
        if (s && isfinite(s->layer_s)) {
            /* the scale's excess spread over the layers: a shallower network
             * has a share of it in proportion */
            size_t w = (size_t)grid_position(g, i, GS_AXIS_SIGMA_W);
            double excess = excess_at(s, spec->axis[GS_AXIS_SIGMA_W].count, w);
            net_s = s->fixed_s + (s->layer_s + excess / s->probed_depth) * cfg.depth;
        }
        net_s += plan_seconds(&cfg, &plan, gemm_rate, draw_s);
        gs_config deep = cfg;
        deep.depth = g->max_depth;
        gs_net_shape drawn = net_shape(&deep);
        double data = (double)cfg.batch * (config_input_width(&cfg) + config_output_width(&cfg));
        double draws = ((double)(drawn.unit_weights + drawn.unit_biases) * draw_s +
                        net_draw_flops(&deep) / gemm_rate +
                        data * draw_s * (double)spec->axis[GS_AXIS_BATCH].count) /
                       (double)per_group;
        size_t act = (size_t)grid_position(g, i, GS_AXIS_ACTIVATION);
        double theory = config_has_blocks(&cfg) && block_theory_s
                            ? block_theory_s[act] * cfg.depth / g->max_depth
                            : theory_s[act] / (double)per_combo;
        double train = 0;
        if (training) {
            double f = train_flops(&cfg, &spec->train, spec->data_shape.test_rows);
            train = (f - net_draw_flops(&cfg)) / training_rate + net_draw_flops(&cfg) / gemm_rate +
                    (double)(drawn.unit_weights + drawn.unit_biases) * draw_s / (double)per_group;
            out->flops += f;
        }
        if (seconds) seconds[i] = net_s + draws + theory + train;
        out->train_s += train;
        out->net_s += net_s;
        out->draw_s += draws;
        out->theory_s += theory;
        out->flops += net_flops(&cfg);
    }
    out->core_s = out->net_s + out->draw_s + out->theory_s + out->train_s;
    out->groups = groups;
    free(theory_s);
    free(block_theory_s);
    for (int k = 0; k < count; k++)
        free(shapes[k].excess_s);
    free(shapes);
}

double dry_run_estimate(const gs_grid *g, size_t limit, double *seconds, double *total_flops) {
    gs_estimate e;
    estimate(g, limit, &e, seconds);
    *total_flops = e.flops;
    return e.core_s;
}

double dry_run_wall(const gs_grid *g, const double *seconds, const gs_estimate *e, int ranks) {
    if (ranks <= 1) return e->core_s;
    /* every rank that takes a draw group computes the theory of its
     * configurations again (each rank remembers only its own) */
    double again = (fmin((double)ranks, (double)e->groups) - 1) * e->theory_s / (double)g->count;
    double *each = gs_malloc((size_t)g->count * sizeof *each);
    int *layers = gs_malloc((size_t)g->count * sizeof *layers);
    for (int64_t i = 0; i < g->count; i++) {
        gs_config cfg;
        grid_config(g, i, &cfg);
        each[i] = seconds[i] + again;
        layers[i] = cfg.depth;
    }
    gs_sim_model model = {5e-6, 20e-6, false}; /* as gradsweep simulate's defaults */
    gs_sim_result res;
    simulate_sweep(g->count, each, layers, NULL, ranks, &model, &res);
    free(each);
    free(layers);
    return res.wall_s;
}

void dry_run_print(FILE *out, const gs_grid *g, const char *sweep_path, const char *output,
                   int ranks, size_t limit) {
    const gs_spec *spec = g->spec;
    double largest_flops = -1;
    size_t largest_bytes = 0;
    gs_config largest = {0};
    int64_t squeezed = 0; /* configurations that redraw or checkpoint to fit */
    int64_t misfits = 0;  /* configurations that do not fit even then */
    for (int64_t i = 0; i < g->count; i++) {
        gs_config cfg;
        grid_config(g, i, &cfg);
        double f = net_flops(&cfg);
        if (spec_has_training(spec))
            f += train_flops(&cfg, &spec->train, spec->data_shape.test_rows);
        gs_memory_plan plan;
        size_t training = workload_training_bytes(spec, &cfg);
        if (!net_memory_plan(&cfg, workload_net_limit(spec, &cfg, limit), &plan) ||
            (limit && training >= limit))
            misfits++;
        else if (plan.mode != GS_MEMORY_STORE_ALL)
            squeezed++;
        if (f > largest_flops) largest_flops = f, largest = cfg;
        if (plan.bytes + training > largest_bytes) largest_bytes = plan.bytes + training;
    }
    fprintf(out, "sweep \"%s\"%s%s\n", spec->name, sweep_path ? " from " : "",
            sweep_path ? sweep_path : "");
    fprintf(out, "configurations: %lld =", (long long)g->count);
    for (int a = 0; a < GS_AXIS_ALL_COUNT; a++)
        if (spec_has_axis(spec, (gs_axis_id)a))
            fprintf(out, "%s %s %zu", a ? " ×" : "", axis_name((gs_axis_id)a), spec->axis[a].count);
    fprintf(out, "\n");
    char b1[64], b2[64];
    gs_memory_plan plan;
    bool fits = net_memory_plan(&largest, workload_net_limit(spec, &largest, limit), &plan);
    size_t largest_training = workload_training_bytes(spec, &largest);
    plan.bytes += largest_training;
    fits = fits && (!limit || largest_training < limit);
    char io[64] = "";
    if (config_input_width(&largest) != largest.width ||
        config_output_width(&largest) != largest.width)
        snprintf(io, sizeof io, " (%d -> %d)", config_input_width(&largest),
                 config_output_width(&largest));
    fprintf(out, "largest: #%lld %s, depth %d, width %d%s, batch %d, %s, %s: %.3g GFLOP, %s (%s)\n",
            (long long)largest.index, activation_name(largest.act.kind), largest.depth,
            largest.width, io, largest.batch, init_name(largest.init),
            precision_name(largest.precision), largest_flops / 1e9,
            gs_format_bytes((double)plan.bytes, b1, sizeof b1),
            fits ? memory_mode_name(plan.mode) : "does not fit");
    fprintf(out, "memory per rank: %s (the largest workspace), of %s allowed",
            gs_format_bytes((double)largest_bytes, b1, sizeof b1),
            gs_format_bytes((double)limit, b2, sizeof b2));
    if (squeezed)
        fprintf(out,
                "; %lld configuration%s weights or checkpoint%s to fit (same numbers, "
                "more time)",
                (long long)squeezed, squeezed == 1 ? " redraws its" : "s redraw their",
                squeezed == 1 ? "s" : "");
    if (misfits)
        fprintf(out, "; %lld configuration%s too large even checkpointed: a run refuses to start",
                (long long)misfits, misfits == 1 ? " is" : "s are");
    fprintf(out, "\n");
    double *seconds = gs_malloc((size_t)g->count * sizeof *seconds);
    gs_estimate e;
    estimate(g, limit, &e, seconds);
    char b3[64], b4[64];
    fprintf(out,
            "work: %.3g GFLOP, about %s of one core here (networks %s, random draws %s, "
            "mean-field theory %s",
            e.flops / 1e9, gs_format_seconds(e.core_s, b1, sizeof b1),
            gs_format_seconds(e.net_s, b2, sizeof b2), gs_format_seconds(e.draw_s, b3, sizeof b3),
            gs_format_seconds(e.theory_s, b4, sizeof b4));
    if (spec_has_training(spec))
        fprintf(out, ", training %s: %lld steps and the test split's %lld rows per configuration",
                gs_format_seconds(e.train_s, b2, sizeof b2), (long long)spec->train.steps,
                (long long)spec->data_shape.test_rows);
    fprintf(out, "; measured on this machine)\n");
    if (spec_has_training(spec)) {
        char b5[64];
        fprintf(out,
                "training: the data takes %s on every rank (%d features, %d outputs, %lld "
                "training rows); the largest configuration's parameters, optimizer state and "
                "activations %s\n",
                gs_format_bytes((double)spec->data_shape.bytes, b5, sizeof b5),
                spec->data_shape.inputs, spec->data_shape.outputs,
                (long long)spec->data_shape.train_rows,
                gs_format_bytes((double)train_memory_bytes(&largest, &spec->train), b1, sizeof b1));
    }
    if (spec->jacobian_samples > 0) {
        double jacobian_flops = 0;
        for (int64_t i = 0; i < g->count; i++) {
            gs_config cfg;
            grid_config(g, i, &cfg);
            jacobian_flops += net_jacobian_flops(&cfg);
        }
        gs_config widest = largest;
        widest.jacobian_samples = 0;
        fprintf(out,
                "jacobian: %d sample%s per configuration, %.3g GFLOP of the work (J[l] = D W "
                "J[l-1], Gram matrices, singular values of J[L]), %s of the largest "
                "configuration's workspace\n",
                spec->jacobian_samples, spec->jacobian_samples > 1 ? "s" : "", jacobian_flops / 1e9,
                gs_format_bytes((double)(net_memory_bytes(&largest) - net_memory_bytes(&widest)),
                                b1, sizeof b1));
    }
    if (ranks > 1)
        fprintf(out, "on %d ranks: about %s (the hand-out replayed over these times)\n", ranks,
                gs_format_seconds(dry_run_wall(g, seconds, &e, ranks), b1, sizeof b1));
    free(seconds);
    fprintf(out, "output: %s\n", output);
}
