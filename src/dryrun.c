/* dryrun.c — what --dry-run prints: the grid, the largest configuration, the
 * memory a rank needs, and a time estimate from this machine.
 *
 * The estimate runs real two-layer networks of every distinct shape
 * (activation, init, width, batch), because at small widths drawing weights,
 * activations and statistics cost as much as the GEMMs and a flop count alone
 * would be off several-fold. Each shape runs at depths 1 and 3, which gives a
 * fixed cost (inputs, probe vectors) and a cost per layer; a configuration
 * takes fixed + depth × per-layer. Shapes too costly to probe, or left when
 * the time budget runs out, are estimated from their two main costs measured
 * apart: the GEMMs (at this machine's GEMM rate) and the random draws (at
 * this machine's rate of normal draws). */
#include "gradsweep/dryrun.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "gradsweep/blas.h"
#include "gradsweep/net.h"
#include "gradsweep/rng.h"

#define PROBE_DEPTH     3
#define PROBE_BUDGET_S  2.0 /* total time spent probing */
#define PROBE_MAX_FLOPS 2e9 /* a probe costing more is estimated from the GEMM rate */

typedef struct shape {
    gs_config example; /* a configuration of this shape, at PROBE_DEPTH */
    double fixed_s;    /* measured seconds per configuration, besides the layers */
    double layer_s;    /* measured seconds per layer; NAN if not probed */
} shape;

static bool same_shape(const gs_config *a, const gs_config *b) {
    return a->act.kind == b->act.kind && a->init == b->init && a->width == b->width &&
           a->batch == b->batch;
}

/* The distinct shapes of the grid (configurations differ in shape only along
 * the activation, init, width and batch axes, so walk those). */
static shape *distinct_shapes(const gs_grid *g, int *count) {
    const gs_spec *spec = g->spec;
    size_t n = spec->axis[GS_AXIS_ACTIVATION].count * spec->axis[GS_AXIS_INIT].count *
               spec->axis[GS_AXIS_WIDTH].count * spec->axis[GS_AXIS_BATCH].count;
    shape *shapes = gs_calloc(n, sizeof *shapes);
    int m = 0;
    for (int64_t i = 0; i < g->count && (size_t)m < n; i++) {
        gs_config cfg;
        grid_config(g, i, &cfg);
        bool seen = false;
        for (int k = 0; k < m && !seen; k++)
            seen = same_shape(&shapes[k].example, &cfg);
        if (seen) continue;
        cfg.depth = PROBE_DEPTH;
        shapes[m++] = (shape){cfg, NAN, NAN};
    }
    *count = m;
    return shapes;
}

/* Seconds a real network of this shape and depth takes: best of two runs. */
static double time_run(gs_net *net, gs_config cfg, int depth) {
    gs_layer_stats layers[PROBE_DEPTH];
    gs_result res = {.layers = layers};
    gs_error err = {0};
    double best = INFINITY;
    cfg.depth = depth;
    for (int run = 0; run < 2; run++) {
        if (net_run(net, &cfg, &res, NULL, &err)) return NAN;
        if (res.elapsed_s < best) best = res.elapsed_s;
    }
    return best;
}

/* Fixed and per-layer cost of a shape, from depths 1 and PROBE_DEPTH. */
static void probe(gs_net *net, shape *s) {
    double shallow = time_run(net, s->example, 1), deep = time_run(net, s->example, PROBE_DEPTH);
    s->layer_s = fmax((deep - shallow) / (PROBE_DEPTH - 1), 0.0);
    s->fixed_s = fmax(shallow - s->layer_s, 0.0);
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
        double start = gs_now();
        rng_normal(&st, 0, COUNT, out);
        best = fmin(best, (gs_now() - start) / COUNT);
    }
    free(out);
    return best;
}

/* Seconds a configuration of an unprobed shape should take: its GEMMs (and
 * QR) at the GEMM rate, plus its weight, input and probe draws. */
static double modelled_seconds(const gs_config *cfg, double gemm_rate, double draw_s) {
    double n = cfg->width, draws = cfg->depth * (n * n + n) + 2.0 * cfg->batch * n;
    return net_flops(cfg) / gemm_rate + draws * draw_s;
}

/* What a memory plan adds to a configuration's time: redrawing weights
 * draws every layer once more (checkpointing twice more), and checkpointing
 * recomputes the forward pass (a third of the GEMMs). */
static double plan_seconds(const gs_config *cfg, const gs_memory_plan *plan, double gemm_rate,
                           double draw_s) {
    double n = cfg->width, layer_draws = cfg->depth * n * n;
    double qr = cfg->init == GS_INIT_ORTHOGONAL ? cfg->depth * (8.0 / 3.0) * n * n * n : 0;
    switch (plan->mode) {
    case GS_MEMORY_REDRAW_WEIGHTS: return layer_draws * draw_s + qr / gemm_rate;
    case GS_MEMORY_CHECKPOINT:
        return 2 * (layer_draws * draw_s + qr / gemm_rate) +
               2.0 * cfg->depth * n * n * cfg->batch / gemm_rate;
    case GS_MEMORY_STORE_ALL: break;
    }
    return 0;
}

double dry_run_estimate(const gs_grid *g, size_t limit, double *seconds, double *total_flops) {
    int count;
    shape *shapes = distinct_shapes(g, &count);
    gs_net *net = net_create();
    double start = gs_now();
    for (int k = 0; k < count && gs_now() - start < PROBE_BUDGET_S; k++)
        if (net_flops(&shapes[k].example) <= PROBE_MAX_FLOPS) probe(net, &shapes[k]);
    net_destroy(&net);
    double gemm_rate =
        blas_measure_flops(g->spec->precision == GS_FLOAT32, g->max_width, g->max_batch, 0.1);
    double draw_s = draw_seconds();
    double core_s = 0;
    *total_flops = 0;
    for (int64_t i = 0; i < g->count; i++) {
        gs_config cfg;
        grid_config(g, i, &cfg);
        const shape *s = shape_of(shapes, count, &cfg);
        gs_memory_plan plan;
        net_memory_plan(&cfg, limit, &plan);
        double t = s && isfinite(s->layer_s) ? s->fixed_s + s->layer_s * cfg.depth
                                             : modelled_seconds(&cfg, gemm_rate, draw_s);
        t += plan_seconds(&cfg, &plan, gemm_rate, draw_s);
        if (seconds) seconds[i] = t;
        core_s += t;
        *total_flops += net_flops(&cfg);
    }
    free(shapes);
    return core_s;
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
        gs_memory_plan plan;
        if (!net_memory_plan(&cfg, limit, &plan))
            misfits++;
        else if (plan.mode != GS_MEMORY_STORE_ALL)
            squeezed++;
        if (f > largest_flops) largest_flops = f, largest = cfg;
        if (plan.bytes > largest_bytes) largest_bytes = plan.bytes;
    }
    fprintf(out, "sweep \"%s\"%s%s\n", spec->name, sweep_path ? " from " : "",
            sweep_path ? sweep_path : "");
    fprintf(out, "configurations: %lld =", (long long)g->count);
    for (int a = 0; a < spec_axis_count(spec); a++)
        fprintf(out, "%s %s %zu", a ? " ×" : "", axis_name((gs_axis_id)a), spec->axis[a].count);
    fprintf(out, "\n");
    char b1[64], b2[64];
    gs_memory_plan plan;
    bool fits = net_memory_plan(&largest, limit, &plan);
    fprintf(out, "largest: #%lld %s, depth %d, width %d, batch %d, %s, %s: %.3g GFLOP, %s (%s)\n",
            (long long)largest.index, activation_name(largest.act.kind), largest.depth,
            largest.width, largest.batch, init_name(largest.init),
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
    double flops, core_s = dry_run_estimate(g, limit, NULL, &flops);
    fprintf(out, "work: %.3g GFLOP, about %s of one core here", flops / 1e9,
            gs_format_seconds(core_s, b1, sizeof b1));
    if (ranks > 1)
        fprintf(out, ", %s on %d ranks", gs_format_seconds(core_s / ranks, b2, sizeof b2), ranks);
    fprintf(out, " (measured on this machine)\n");
    fprintf(out, "output: %s\n", output);
}
