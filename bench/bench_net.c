/* SPDX-License-Identifier: MIT */
/* bench_net.c — how close whole configurations come to the machine's limits.
 *
 * For each (width, batch) it runs a sweep-shaped block of configurations
 * through one workspace, exactly as one rank of a sweep would: every seed
 * with SIGMAS values of sigma_w (so random weights are drawn once per seed
 * and reused, as the scheduler arranges), and, in the same run, the raw
 * GEMMs those configurations contain (per layer: forward a·Wᵀ, backward δᵀ·a
 * and δ·W; no δ·W on layer 1), on buffers of the same shapes and layout
 * (time_gemms). Three yardsticks, each measured in this process:
 *
 *   GEMM    the same GEMMs alone, with the kernel gradsweep runs
 *   best    the same GEMMs with the fastest correct kernel the BLAS offers
 *           on this CPU (every kernel it can execute is self-checked and
 *           timed on a 512 × 256 product; the three fastest and the chosen
 *           one are timed on every shape, on a block capped at CAP_FLOPS,
 *           and the best one's rate relative to the chosen one's there
 *           scales the GEMM rate above)
 *   peak    the core's peak: independent FMAs in its widest vector ISA (roof.c)
 *
 *   efficiency = GEMM-only time / whole-configuration time
 *   of best    = configurations' rate / best kernel's GEMM rate
 *   of peak    = configurations' rate / peak
 *
 * Times are the thread's CPU time (gs_cpu_now: what a core spent, not
 * the wall time, which on a shared machine counts waiting for a core),
 * best-of-N, taken alternately, side by side, N at least
 * MIN_REPEATS and large enough that the GEMMs have run for half a second (a
 * twentieth with --quick): on a shared, noisy machine the best of many short
 * runs is the one least disturbed, and the ratio holds. Prints a table and
 * writes CSV rows:
 *   bench_net [--quick] [--precision float32|float64] [--activation NAME]
 *             [--shapes WIDTHxBATCH,...] [--kernels all|none] [--csv FILE]
 * Exit status 0, 2 on a bad argument, 9 if the BLAS fails its self-check. */
#include <cblas.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gradsweep/blas.h"
#include "gradsweep/common.h"
#include "gradsweep/net.h"
#include "roof.h"

#define SIGMAS          8
#define BIG_BLOCK_FLOPS 400e9 /* one seed's configurations: beyond this, one seed */
#define MIN_REPEATS     3
#define MAX_REPEATS     200
#define CAP_FLOPS       20e9 /* kernel comparison: GEMMs per timing, at most */
#define TOP_KERNELS     3    /* kernels compared on every shape */

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
    bool kernels; /* compare the BLAS's kernels (--kernels all, the default) */
} options;

/* Seconds for the sweep-shaped block: seeds × SIGMAS configurations. */
static double time_configurations(gs_net *net, const options *o, shape s, int seeds,
                                  int64_t *configs) {
    gs_layer_stats *layers = gs_calloc((size_t)o->depth, sizeof *layers);
    gs_result res = {.layers = layers};
    gs_error err = {0};
    double start = gs_cpu_now();
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
    double elapsed = gs_cpu_now() - start;
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
    /* every page touched before the clock starts: calloc's pages are mapped
     * and zeroed on first use, which would count page faults as GEMM time
     * (3 % of it at width 1024) where the network's reused buffers have none */
    memset(w, 0, L * nn * es);
    memset(delta, 0, bn * es);
    memset(delta_prev, 0, bn * es);
    memset(g, 0, nn * es);
    double start = gs_cpu_now();
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
    double elapsed = gs_cpu_now() - start;
    free(act);
    free(w);
    free(delta);
    free(delta_prev);
    free(g);
    return elapsed;
}

static int parse(int argc, char **argv, options *o) {
    *o = (options){.precision = GS_FLOAT32,
                   .act = {GS_ACT_TANH, 0.01},
                   .depth = 20,
                   .seeds = 2,
                   .kernels = true};
    for (int k = 1; k < argc; k++) {
        if (!strcmp(argv[k], "--quick")) {
            o->quick = true;
        } else if (!strcmp(argv[k], "--precision") && k + 1 < argc) {
            if (precision_parse(argv[++k], &o->precision)) return 2;
        } else if (!strcmp(argv[k], "--activation") && k + 1 < argc) {
            gs_activation_kind kind;
            if (activation_parse(argv[++k], &kind)) return 2;
            o->act.kind = kind;
        } else if (!strcmp(argv[k], "--kernels") && k + 1 < argc) {
            k++;
            if (strcmp(argv[k], "all") && strcmp(argv[k], "none")) return 2;
            o->kernels = !strcmp(argv[k], "all");
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

/* The kernels to compare: every one this CPU can execute that passes the
 * self-check, ranked by its rate on a 512 × 256 product; the TOP_KERNELS
 * fastest (the one gradsweep chose among them or not). Leaves the chosen
 * kernel in place. */
static int candidate_kernels(const options *o, const char *chosen, const char **top) {
    const char *names[32];
    double rate[32];
    int count = o->kernels ? blas_runnable_kernels(names, 32) : 0, kept = 0;
    for (int k = 0; k < count; k++) {
        gs_error err = {0};
        if (blas_use_kernel(names[k]) || blas_self_check(&err)) {
            printf("kernel %s: %s\n", names[k], err.code ? err.msg : "cannot switch to it");
            continue;
        }
        rate[kept] = blas_measure_flops(o->precision == GS_FLOAT32, 512, 256, 0.05);
        names[kept++] = names[k];
    }
    blas_use_kernel(chosen);
    for (int i = 0; i < kept; i++) /* by rate, fastest first */
        for (int j = i + 1; j < kept; j++)
            if (rate[j] > rate[i]) {
                double r = rate[i];
                const char *nm = names[i];
                rate[i] = rate[j], names[i] = names[j];
                rate[j] = r, names[j] = nm;
            }
    if (kept) {
        printf("kernels (self-checked; GFLOP/s at 512 x 256):");
        for (int i = 0; i < kept; i++)
            printf(" %s %.1f", names[i], rate[i] / 1e9);
        printf("\n");
    }
    int n_top = kept < TOP_KERNELS ? kept : TOP_KERNELS;
    bool has_chosen = false;
    for (int i = 0; i < n_top; i++) {
        top[i] = names[i];
        has_chosen = has_chosen || !strcmp(names[i], chosen);
    }
    if (kept && !has_chosen) top[n_top++] = chosen; /* the yardstick for the others */
    return n_top;
}

int main(int argc, char **argv) {
    options o;
    if (parse(argc, argv, &o)) {
        fprintf(stderr, "usage: bench_net [--quick] [--precision float32|float64] "
                        "[--activation NAME] [--shapes WxB,...] [--kernels all|none] "
                        "[--csv FILE]\n");
        return 2;
    }
    gs_error err = {0}; /* the kernel gradsweep would run, checked as it checks it */
    if (blas_choose_kernel(&err) || blas_self_check(&err)) {
        fprintf(stderr, "bench_net: %s\n", err.msg);
        return err.code;
    }
    blas_set_threads(1);
    char chosen[64];
    snprintf(chosen, sizeof chosen, "%s", blas_kernel());
    const bool f32 = o.precision == GS_FLOAT32;
    roof peak = roof_measure(o.quick ? 0.1 : 0.5);
    double peak_flops = f32 ? peak.flops_f32 : peak.flops_f64;
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
                     "config_gflops,gemm_gflops,kernel,best_kernel,best_gemm_gflops,of_best,"
                     "peak_gflops,peak_isa,of_peak,gemm_of_peak\n");
    printf("GEMM efficiency: %s %s, depth %d, %d sigma_w per seed, %d seed%s (1 where %d "
           "configurations are over %.0f GFLOP), 1 thread\n",
           precision_name(o.precision), activation_name(o.act.kind), o.depth, SIGMAS, o.seeds,
           o.seeds > 1 ? "s" : "", SIGMAS, BIG_BLOCK_FLOPS / 1e9);
    printf("BLAS: %s\nkernel: %s (%s)\n", blas_config(), chosen, blas_kernel_choice());
    printf("peak: %.1f GFLOP/s (%s FMA loop, %s, one core)\n", peak_flops / 1e9, peak.isa,
           precision_name(o.precision));
    const char *top[TOP_KERNELS + 1];
    int n_top = candidate_kernels(&o, chosen, top);
    printf("%6s %6s %7s %10s %10s %8s %8s %-10s %8s %6s %8s %8s %8s\n", "width", "batch", "configs",
           "configs s", "GEMMs s", "GFLOP/s", "GEMM", "best", "best GF", "peak", "of GEMM",
           "of best", "of peak");
    gs_net *net = net_create();
    for (size_t k = 0; k < n_shapes; k++) {
        int64_t configs = 0;
        gs_config one = {.depth = o.depth, .width = shapes[k].width, .batch = shapes[k].batch};
        int seeds = net_flops(&one) * SIGMAS > BIG_BLOCK_FLOPS ? 1 : o.seeds;
        double config_s = INFINITY, gemm_s = INFINITY, spent = 0;
        double kernel_s[TOP_KERNELS + 1];
        int64_t kernel_configs = 1;
        for (int i = 0; i < n_top; i++)
            kernel_s[i] = INFINITY;
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
            /* the other kernels, on a block of at most CAP_FLOPS */
            kernel_configs = (int64_t)fmax(1, fmin((double)configs, CAP_FLOPS / net_flops(&one)));
            for (int i = 0; i < n_top; i++) {
                blas_use_kernel(top[i]);
                kernel_s[i] = fmin(kernel_s[i], time_gemms(&o, shapes[k], kernel_configs));
            }
            blas_use_kernel(chosen);
        }
        /* the peak again, beside each shape: the best of all is the least disturbed */
        roof again = roof_measure(0.05);
        peak_flops = fmax(peak_flops, f32 ? again.flops_f32 : again.flops_f64);
        double flops = net_flops(&one) * (double)configs;
        double config_rate = flops / config_s, gemm_rate = flops / gemm_s;
        /* the best kernel's rate relative to the chosen one's, both on the
         * capped block (short runs fare better under load, so only their
         * ratio is comparable), applied to the chosen kernel's full block */
        const char *best = chosen;
        double best_rate = gemm_rate, chosen_capped = NAN, best_capped = 0;
        for (int i = 0; i < n_top; i++) {
            double rate = net_flops(&one) * (double)kernel_configs / kernel_s[i];
            if (!strcmp(top[i], chosen)) chosen_capped = rate;
            if (rate > best_capped) best_capped = rate, best = top[i];
        }
        if (best_capped > chosen_capped)
            best_rate = gemm_rate * best_capped / chosen_capped;
        else
            best = chosen;
        printf("%6d %6d %7lld %10.4f %10.4f %8.1f %8.1f %-10s %8.1f %6.1f %8.3f %8.3f %8.3f\n",
               shapes[k].width, shapes[k].batch, (long long)configs, config_s, gemm_s,
               config_rate / 1e9, gemm_rate / 1e9, best, best_rate / 1e9, peak_flops / 1e9,
               gemm_s / config_s, config_rate / best_rate, config_rate / peak_flops);
        if (csv)
            fprintf(csv,
                    "%d,%d,%s,%s,%d,%lld,%.6f,%.6f,%.4f,%.2f,%.2f,%s,%s,%.2f,%.4f,%.2f,%s,%.4f,"
                    "%.4f\n",
                    shapes[k].width, shapes[k].batch, precision_name(o.precision),
                    activation_name(o.act.kind), o.depth, (long long)configs, config_s, gemm_s,
                    gemm_s / config_s, config_rate / 1e9, gemm_rate / 1e9, chosen, best,
                    best_rate / 1e9, config_rate / best_rate, peak_flops / 1e9, peak.isa,
                    config_rate / peak_flops, gemm_rate / peak_flops);
        fflush(stdout);
    }
    net_destroy(&net);
    if (csv) fclose(csv);
    return 0;
}
