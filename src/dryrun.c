/* dryrun.c — what --dry-run prints: the grid, the largest configuration, the
 * memory a rank needs, and a time estimate from this machine.
 *
 * The estimate runs real two-layer networks of every distinct shape
 * (activation, init, width, batch), because at small widths drawing weights,
 * activations and statistics cost as much as the GEMMs and a flop count alone
 * would be off several-fold. Each shape runs at depths 1 and 3, which gives a
 * fixed cost (inputs, probe vectors) and a cost per layer; a configuration
 * takes fixed + depth × per-layer. Shapes too costly to probe, or left when
 * the time budget runs out, are estimated from the GEMM rate, scaled by the
 * probed shapes' ratio of real to GEMM-only time. */
#include "gradsweep/dryrun.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "gradsweep/blas.h"
#include "gradsweep/net.h"

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

static void estimate(const gs_grid *g, double *core_s, double *total_flops) {
    int count;
    shape *shapes = distinct_shapes(g, &count);
    gs_net *net = net_create();
    bool f32 = g->spec->precision == GS_FLOAT32;
    double gemm_rate = blas_measure_flops(f32, g->max_width, g->max_batch, 0.1);
    double start = gs_now(), measured = 0, gemm_only = 0;
    for (int k = 0; k < count && gs_now() - start < PROBE_BUDGET_S; k++) {
        if (net_flops(&shapes[k].example) > PROBE_MAX_FLOPS) continue;
        probe(net, &shapes[k]);
        if (isfinite(shapes[k].layer_s)) {
            measured += shapes[k].fixed_s + shapes[k].layer_s * PROBE_DEPTH;
            gemm_only += net_flops(&shapes[k].example) / gemm_rate;
        }
    }
    double overhead = measured > 0 && gemm_only > 0 ? measured / gemm_only : 1.0;
    *core_s = *total_flops = 0;
    for (int64_t i = 0; i < g->count; i++) {
        gs_config cfg;
        grid_config(g, i, &cfg);
        double flops = net_flops(&cfg);
        const shape *s = shape_of(shapes, count, &cfg);
        *total_flops += flops;
        *core_s += s && isfinite(s->layer_s) ? s->fixed_s + s->layer_s * cfg.depth
                                             : overhead * flops / gemm_rate;
    }
    net_destroy(&net);
    free(shapes);
}

void dry_run_print(FILE *out, const gs_grid *g, const char *sweep_path, const char *output,
                   int ranks) {
    const gs_spec *spec = g->spec;
    double largest_flops = -1;
    size_t largest_bytes = 0;
    gs_config largest = {0};
    for (int64_t i = 0; i < g->count; i++) {
        gs_config cfg;
        grid_config(g, i, &cfg);
        double f = net_flops(&cfg);
        size_t bytes = net_memory_bytes(&cfg);
        if (f > largest_flops) largest_flops = f, largest = cfg;
        if (bytes > largest_bytes) largest_bytes = bytes;
    }
    fprintf(out, "sweep \"%s\"%s%s\n", spec->name, sweep_path ? " from " : "",
            sweep_path ? sweep_path : "");
    fprintf(out, "configurations: %lld =", (long long)g->count);
    for (int a = 0; a < GS_AXIS_COUNT; a++)
        fprintf(out, "%s %s %zu", a ? " ×" : "", axis_name((gs_axis_id)a), spec->axis[a].count);
    fprintf(out, "\n");
    char b1[64], b2[64];
    fprintf(out, "largest: #%lld %s, depth %d, width %d, batch %d, %s, %s: %.3g GFLOP, %s\n",
            (long long)largest.index, activation_name(largest.act.kind), largest.depth,
            largest.width, largest.batch, init_name(largest.init),
            precision_name(largest.precision), largest_flops / 1e9,
            gs_format_bytes((double)net_memory_bytes(&largest), b1, sizeof b1));
    fprintf(out, "memory per rank: %s (the largest configuration's workspace)\n",
            gs_format_bytes((double)largest_bytes, b1, sizeof b1));
    double core_s, flops;
    estimate(g, &core_s, &flops);
    fprintf(out, "work: %.3g GFLOP, about %s of one core here", flops / 1e9,
            gs_format_seconds(core_s, b1, sizeof b1));
    if (ranks > 1)
        fprintf(out, ", %s on %d ranks", gs_format_seconds(core_s / ranks, b2, sizeof b2), ranks);
    fprintf(out, " (measured on this machine: real networks of each shape)\n");
    fprintf(out, "output: %s\n", output);
}
