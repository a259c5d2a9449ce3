/* SPDX-License-Identifier: MIT */
/* blas.h — the BLAS library's own settings: how many threads a rank's GEMMs
 * use, and the library's configuration string for the results file. */
#ifndef GRADSWEEP_BLAS_H
#define GRADSWEEP_BLAS_H

/* Threads for every following BLAS/LAPACK call of this process (>= 1). */
void blas_set_threads(int threads);
int blas_threads(void);
/* OpenBLAS's description of itself, e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH
 * NO_AFFINITY Haswell MAX_THREADS=64" (the kernel actually in use). */
const char *blas_config(void);

/* This process's GEMM rate in flop/s for a (batch × width) · (width × width)
 * product in single (f32 != 0) or double precision, measured for about
 * `seconds`: the --dry-run time estimate's yardstick. */
double blas_measure_flops(int f32, int width, int batch, double seconds);

#endif
