/* SPDX-License-Identifier: MIT */
/* bench_net.c — how close whole configurations come to the BLAS limit.
 *
 * For each (width, batch) it runs a sweep-shaped block of configurations
 * through one workspace, exactly as one rank of a sweep would: every seed
 * with SIGMAS values of sigma_w (so random weights are drawn once per seed
 * and reused, as the scheduler arranges), and, in the same run, the raw
 * OpenBLAS GEMMs those configurations contain (per layer: forward a·Wᵀ,
 * backward δᵀ·a and δ·W; no δ·W on layer 1), on buffers of the same shapes
 * and layout (time_gemms).
 *
 *   efficiency = GEMM-only time / whole-configuration time
 *
 * Both are best-of-N timings taken alternately, side by side, N at least
 * MIN_REPEATS and large enough that the GEMMs have run for half a second (a
 * twentieth with --quick): on a shared, noisy machine the best of many short
 * runs is the one least disturbed, and the ratio holds. Prints a table and
 * writes CSV rows:
 *   bench_net [--quick] [--precision float32|float64] [--activation NAME]
 *             [--shapes WIDTHxBATCH,...] [--csv FILE]
 * Exit status 0, or 2 on a bad argument. */
#include <cblas.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gradsweep/blas.h"
#include "gradsweep/common.h"
#include "gradsweep/net.h"

#define SIGMAS          8
#define BIG_BLOCK_FLOPS 400e9 /* one seed's configurations: beyond this, one seed */
#define MIN_REPEATS     3
#define MAX_REPEATS     200

typedef struct shape {
    int width, batch;
} shape;

typedef struct options {
    bool quick;
    shape only[16]; /* --shapes WxB,WxB: measure these instead */
    int n_only;
    gs_precision precision;
    gs_activation act;
    const char *csv;
    int depth, seeds;
} options;

/* Seconds for the sweep-shaped block: seeds × SIGMAS configurations. */
static double time_configurations(gs_net *net, const options *o, shape s, int seeds,
                                  int64_t *configs) {
    gs_layer_stats *layers = gs_calloc((size_t)o->depth, sizeof *layers);
    gs_result res = {.layers = layers};
    gs_error err = {0};
    double start = gs_now();
    *configs = 0;
    for (int seed = 0; seed < seeds; seed++) {
        for (int k = 0; k < SIGMAS; k++) {
            gs_config cfg = {.index = *configs,
                             .depth = o->depth,
                             .width = s.width,
                             .batch = s.batch,
                             .act = o->act,
                             .init = GS_INIT_GAUSSIAN,
                             .sigma_w = 0.5 + 1.5 * k / (SIGMAS - 1),
                             .sigma_b = 0.05,
                             .seed = 1000 + seed,
                             .base_seed = 1,
                             .precision = o->precision,
                             .loss = GS_LOSS_PROBE};
            if (net_run(net, &cfg, &res, NULL, &err)) {
                fprintf(stderr, "bench_net: %s\n", err.msg);
                exit(1);
            }
            (*configs)++;
        }
    }
    double elapsed = gs_now() - start;
    free(layers);
    return elapsed;
}

/* Seconds for the same GEMMs alone, on buffers laid out as the network's: a
 * weight matrix and an activation buffer per layer, so the reference moves
 * the same data through the caches as the configurations do (at width 1024
 * the weights of 20 layers are 80 MB, far beyond the last-level cache; a
 * single hot matrix would flatter the GEMMs by 5-10 %). */
static double time_gemms(const options *o, shape s, int64_t configs) {
    const int n = s.width, B = s.batch, L = o->depth;
    const size_t es = o->precision == GS_FLOAT32 ? sizeof(float) : sizeof(double);
    const size_t bn = (size_t)B * n, nn = (size_t)n * n;
    char *act = gs_calloc((L + 1) * bn, es), *w = gs_calloc(L * nn, es); /* a[0…L], W[1…L] */
    char *delta = gs_calloc(bn, es), *delta_prev = gs_calloc(bn, es), *g = gs_calloc(nn, es);
    for (size_t k = 0; k < (L + 1) * bn; k++) {
        if (o->precision == GS_FLOAT32)
            ((float *)act)[k] = 0.5f;
        else
            ((double *)act)[k] = 0.5;
    }
    double start = gs_now();
    for (int64_t c = 0; c < configs; c++) {
        for (int l = 1; l <= L; l++) { /* forward: a[l] = a[l-1] W[l]ᵀ */
            if (o->precision == GS_FLOAT32)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, n, n, 1.1f,
                            (float *)act + (l - 1) * bn, n, (float *)w + (l - 1) * nn, n, 0.0f,
                            (float *)act + l * bn, n);
            else
                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, n, n, 1.1,
                            (double *)act + (l - 1) * bn, n, (double *)w + (l - 1) * nn, n, 0.0,
                            (double *)act + l * bn, n);
        }
        for (int l = L; l >= 1; l--) { /* backward: G = δᵀ a[l-1], δ[l-1] = δ W[l] */
            if (o->precision == GS_FLOAT32) {
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n, n, B, 0.01f, (float *)delta,
                            n, (float *)act + (l - 1) * bn, n, 0.0f, (float *)g, n);
                if (l > 1)
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, n, n, 1.1f,
                                (float *)delta, n, (float *)w + (l - 1) * nn, n, 0.0f,
                                (float *)delta_prev, n);
            } else {
                cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n, n, B, 0.01, (double *)delta,
                            n, (double *)act + (l - 1) * bn, n, 0.0, (double *)g, n);
                if (l > 1)
                    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, n, n, 1.1,
                                (double *)delta, n, (double *)w + (l - 1) * nn, n, 0.0,
                                (double *)delta_prev, n);
            }
            char *t = delta;
            delta = delta_prev;
            delta_prev = t;
        }
    }
    double elapsed = gs_now() - start;
    free(act);
    free(w);
    free(delta);
    free(delta_prev);
    free(g);
    return elapsed;
}

static int parse(int argc, char **argv, options *o) {
    *o = (options){.precision = GS_FLOAT32, .act = {GS_ACT_TANH, 0.01}, .depth = 20, .seeds = 2};
    for (int k = 1; k < argc; k++) {
        if (!strcmp(argv[k], "--quick")) {
            o->quick = true;
        } else if (!strcmp(argv[k], "--precision") && k + 1 < argc) {
            if (precision_parse(argv[++k], &o->precision)) return 2;
        } else if (!strcmp(argv[k], "--activation") && k + 1 < argc) {
            gs_activation_kind kind;
            if (activation_parse(argv[++k], &kind)) return 2;
            o->act.kind = kind;
        } else if (!strcmp(argv[k], "--csv") && k + 1 < argc) {
            o->csv = argv[++k];
        } else if (!strcmp(argv[k], "--shapes") && k + 1 < argc) {
            for (char *item = strtok(argv[++k], ","); item && o->n_only < 16;
                 item = strtok(NULL, ",")) {
                shape sh;
                if (sscanf(item, "%dx%d", &sh.width, &sh.batch) != 2 || sh.width < 1 ||
                    sh.batch < 1)
                    return 2;
                o->only[o->n_only++] = sh;
            }
        } else {
            return 2;
        }
    }
    if (o->quick) o->depth = 6, o->seeds = 1;
    return 0;
}

int main(int argc, char **argv) {
    options o;
    if (parse(argc, argv, &o)) {
        fprintf(stderr, "usage: bench_net [--quick] [--precision float32|float64] "
                        "[--activation NAME] [--shapes WxB,...] [--csv FILE]\n");
        return 2;
    }
    blas_set_threads(1);
    static const shape full[] = {{64, 64},    {64, 128},   {64, 512},   {128, 128},
                                 {256, 256},  {512, 64},   {512, 256},  {512, 512},
                                 {1024, 256}, {1024, 512}, {2048, 256}, {2048, 512}};
    static const shape quick[] = {{64, 128}, {256, 128}, {512, 256}};
    const shape *shapes = o.n_only ? o.only : o.quick ? quick : full;
    size_t n_shapes = o.n_only  ? (size_t)o.n_only
                      : o.quick ? sizeof quick / sizeof *quick
                                : sizeof full / sizeof *full;
    FILE *csv = o.csv ? fopen(o.csv, "w") : NULL;
    if (o.csv && !csv) {
        fprintf(stderr, "bench_net: cannot write %s\n", o.csv);
        return 1;
    }
    if (csv)
        fprintf(csv, "width,batch,precision,activation,depth,configs,config_s,gemm_s,efficiency,"
                     "config_gflops,gemm_gflops\n");
    printf("GEMM efficiency: %s %s, depth %d, %d sigma_w per seed, %d seed%s (1 where %d "
           "configurations are over %.0f GFLOP), 1 thread (%s)\n",
           precision_name(o.precision), activation_name(o.act.kind), o.depth, SIGMAS, o.seeds,
           o.seeds > 1 ? "s" : "", SIGMAS, BIG_BLOCK_FLOPS / 1e9, blas_config());
    printf("%6s %6s %8s %11s %11s %10s %10s %10s\n", "width", "batch", "configs", "configs s",
           "GEMMs s", "GFLOP/s", "GEMM GF/s", "efficiency");
    gs_net *net = net_create();
    for (size_t k = 0; k < n_shapes; k++) {
        int64_t configs = 0;
        gs_config one = {.depth = o.depth, .width = shapes[k].width, .batch = shapes[k].batch};
        int seeds = net_flops(&one) * SIGMAS > BIG_BLOCK_FLOPS ? 1 : o.seeds;
        double config_s = INFINITY, gemm_s = INFINITY, spent = 0;
        const double min_seconds = o.quick ? 0.05 : 0.5;
        /* long runs vary little: two of them do where one takes seconds */
        int min_repeats = MIN_REPEATS;
        for (int r = 0; r < MAX_REPEATS && (r < min_repeats || spent < min_seconds); r++) {
            double c = time_configurations(net, &o, shapes[k], seeds, &configs);
            double g = time_gemms(&o, shapes[k], configs);
            config_s = fmin(config_s, c);
            gemm_s = fmin(gemm_s, g);
            spent += g;
            if (g > 5) min_repeats = 2;
        }
        double flops = net_flops(&one) * (double)configs;
        printf("%6d %6d %8lld %11.4f %11.4f %10.1f %10.1f %10.3f\n", shapes[k].width,
               shapes[k].batch, (long long)configs, config_s, gemm_s, flops / config_s / 1e9,
               flops / gemm_s / 1e9, gemm_s / config_s);
        if (csv)
            fprintf(csv, "%d,%d,%s,%s,%d,%lld,%.6f,%.6f,%.4f,%.2f,%.2f\n", shapes[k].width,
                    shapes[k].batch, precision_name(o.precision), activation_name(o.act.kind),
                    o.depth, (long long)configs, config_s, gemm_s, gemm_s / config_s,
                    flops / config_s / 1e9, flops / gemm_s / 1e9);
        fflush(stdout);
    }
    net_destroy(&net);
    if (csv) fclose(csv);
    return 0;
}
