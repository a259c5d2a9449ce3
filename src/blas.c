/* SPDX-License-Identifier: MIT */
/* blas.c — OpenBLAS's runtime settings, behind blas.h so nothing else names
 * the library. */
#include "gradsweep/blas.h"

#include <cblas.h>
#include <stdlib.h>

#include "gradsweep/common.h"

void blas_set_threads(int threads) { openblas_set_num_threads(threads < 1 ? 1 : threads); }

int blas_threads(void) { return openblas_get_num_threads(); }

const char *blas_config(void) {
    const char *config = openblas_get_config();
    return config ? config : "unknown";
}

double blas_measure_flops(int f32, int width, int batch, double seconds) {
    /* Large shapes are measured at a capped size: the rate has saturated by
     * then and the measurement stays short. */
    int n = width < 1024 ? width : 1024, B = batch < 512 ? batch : 512;
    size_t es = f32 ? sizeof(float) : sizeof(double);
    char *a = gs_calloc((size_t)B * n, es), *w = gs_calloc((size_t)n * n, es);
    char *c = gs_calloc((size_t)B * n, es);
    double start = gs_now(), elapsed = 0;
    long calls = 0;
    do {
        if (f32)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, n, n, 1.0f, (float *)a, n,
                        (float *)w, n, 0.0f, (float *)c, n);
        else
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, n, n, 1.0, (double *)a, n,
                        (double *)w, n, 0.0, (double *)c, n);
        calls++;
        elapsed = gs_now() - start;
    } while (elapsed < seconds);
    free(a);
    free(w);
    free(c);
    return 2.0 * B * n * (double)n * calls / elapsed;
}
