/* SPDX-License-Identifier: MIT */
/* bench_jacobian.c — what the input-output Jacobian (jacobian_samples K > 0)
 * costs a configuration, measured: the same network with K = 0 and with K,
 * in each precision, as one rank of a sweep runs it (net_run: draws reused,
 * forward, backward, and the Jacobian carried through every layer), and
 * beside it the Jacobian's own BLAS and LAPACK calls alone on buffers of the
 * same shapes — per layer one GEMM (J[l]ᵀ = J[l-1]ᵀ Wᵀ, K·n × n × n) and
 * per sample one SYRK (J Jᵀ), and the singular values of J[L] once (dgesdd):
 *
 *   extra       CPU seconds the Jacobian adds to the configuration
 *   rate        its floating-point operations (net_jacobian_flops) per second
 *   of BLAS     BLAS-and-LAPACK-only seconds / extra: how much of the added
 *               time is the unavoidable products (the rest: renormalising,
 *               the centred Gram sums, copies)
 *
 * Times are the thread's CPU time, best of `repeats` runs (noisy shared
 * machines: the least disturbed run). Issue 13's target is width 1024,
 * depth 100, K = 1 in seconds on one core (the default).
 *   bench_jacobian [--quick] [--width N] [--depth L] [--samples K]
 * Exit status 0, 2 on a bad argument, 9 if the BLAS fails its self-check. */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gradsweep/blas.h"
#include "gradsweep/common.h"
#include "gradsweep/jacobian.h"
#include "gradsweep/net.h"
#include "gradsweep/plan.h"

/* Best CPU seconds of `repeats` runs of cfg (the first run draws the weights). */
static double time_network(gs_net *net, gs_config cfg, int repeats) {
    gs_layer_stats *layers = gs_calloc((size_t)cfg.depth, sizeof *layers);
    gs_jacobian_stats *jacobian = gs_calloc((size_t)cfg.depth, sizeof *jacobian);
    double *sv = gs_calloc((size_t)cfg.width, sizeof *sv);
    gs_result res = {
        .layers = layers, .jacobian = jacobian, .jac_sv = sv, .jac_sv_room = cfg.width};
    gs_error err = {0};
    double best = INFINITY;
    for (int r = 0; r <= repeats; r++) {
        double start = gs_cpu_now();
        if (net_run(net, &cfg, &res, NULL, &err)) {
            fprintf(stderr, "bench_jacobian: %s\n", err.msg);
            exit(1);
        }
        if (r > 0) best = fmin(best, gs_cpu_now() - start);
    }
    free(layers);
    free(jacobian);
    free(sv);
    return best;
}

/* Best CPU seconds of the Jacobian's BLAS and LAPACK calls alone. */
static double time_blas(const gs_config *cfg, int repeats) {
    const int n = cfg->width, K = cfg->jacobian_samples, L = cfg->depth;
    const size_t es = cfg->precision == GS_FLOAT32 ? sizeof(float) : sizeof(double);
    const size_t block = (size_t)n * n;
    char *a = gs_calloc((size_t)K * block, es), *b = gs_calloc((size_t)K * block, es);
    char *w = gs_calloc(block, es), *g = gs_calloc(block, es);
    double *work = gs_calloc(block + n + jacobian_svd_work_doubles(n, n), sizeof(double));
    double *svd_in = gs_malloc(block * sizeof(double)), *sv = gs_malloc(n * sizeof(double));
    for (size_t k = 0; k < block; k++) { /* a well-conditioned matrix for LAPACK */
        svd_in[k] = (k % (n + 1) == 0 ? 1.0 : 0.0) + 1e-3 * sin((double)k);
        if (es == sizeof(float))
            ((float *)w)[k] = (float)svd_in[k], ((float *)a)[k] = (float)svd_in[k];
        else
            ((double *)w)[k] = svd_in[k], ((double *)a)[k] = svd_in[k];
    }
    double best = INFINITY;
    for (int r = 0; r < repeats; r++) {
        double start = gs_cpu_now();
        for (int l = 2; l <= L; l++)
            if (es == sizeof(float))
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, K * n, n, n, 1.0f, (float *)a,
                            n, (float *)w, n, 0.0f, (float *)b, n);
            else
                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, K * n, n, n, 1.0, (double *)a,
                            n, (double *)w, n, 0.0, (double *)b, n);
        for (int l = 1; l <= L; l++)
            for (int k = 0; k < K; k++)
                if (es == sizeof(float))
                    cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, n, n, 1.0f,
                                (float *)b + k * block, n, 0.0f, (float *)g, n);
                else
                    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, n, n, 1.0,
                                (double *)b + k * block, n, 0.0, (double *)g, n);
        double largest, smallest;
        jacobian_singular_values_f64(svd_in, n, n, 0, work, sv, n, &largest, &smallest);
        best = fmin(best, gs_cpu_now() - start);
    }
    free(a), free(b), free(w), free(g), free(work), free(svd_in), free(sv);
    return best;
}

int main(int argc, char **argv) {
    int width = 1024, depth = 100, samples = 1, repeats = 3;
    for (int k = 1; k < argc; k++) {
        if (!strcmp(argv[k], "--quick"))
            width = 256, depth = 20, repeats = 2;
        else if (!strcmp(argv[k], "--width") && k + 1 < argc)
            width = atoi(argv[++k]);
        else if (!strcmp(argv[k], "--depth") && k + 1 < argc)
            depth = atoi(argv[++k]);
        else if (!strcmp(argv[k], "--samples") && k + 1 < argc)
            samples = atoi(argv[++k]);
        else {
            fprintf(stderr, "usage: bench_jacobian [--quick] [--width N] [--depth L] "
                            "[--samples K]\n");
            return 2;
        }
    }
    if (width < 1 || depth < 1 || samples < 1) return 2;
    gs_error err = {0};
    if (blas_choose_kernel(&err) || blas_self_check(&err)) {
        fprintf(stderr, "bench_jacobian: %s\n", err.msg);
        return 9;
    }
    printf("# the Jacobian's cost: width %d, depth %d, K = %d, batch 128, tanh, one core, "
           "GEMM kernel %s; CPU seconds, best of %d\n",
           width, depth, samples, blas_kernel(), repeats);
    printf("%-9s %10s %10s %10s %12s %10s %10s\n", "precision", "K = 0 (s)", "with (s)",
           "extra (s)", "rate GF/s", "BLAS (s)", "of BLAS");
    for (int p = 0; p < 2; p++) {
        gs_config cfg = {.depth = depth,
                         .width = width,
                         .batch = 128,
                         .act = {GS_ACT_TANH, 0.01},
                         .init = GS_INIT_GAUSSIAN,
                         .sigma_w = 1.0,
                         .seed = 1,
                         .base_seed = 13,
                         .precision = p ? GS_FLOAT64 : GS_FLOAT32,
                         .loss = GS_LOSS_PROBE};
        gs_net *net = net_create();
        double without = time_network(net, cfg, repeats);
        cfg.jacobian_samples = samples;
        double with = time_network(net, cfg, repeats);
        double blas = time_blas(&cfg, repeats);
        double extra = with - without;
        printf("%-9s %10.3f %10.3f %10.3f %12.1f %10.3f %10.2f\n", precision_name(cfg.precision),
               without, with, extra, net_jacobian_flops(&cfg) / extra / 1e9, blas, blas / extra);
        net_destroy(&net);
    }
    return 0;
}
