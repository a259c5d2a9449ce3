/* SPDX-License-Identifier: MIT */
/* each_precision.h — includes the kernel file named by KERNELS twice, as
 * every *_kernels.inc expects: once with REAL = float, SUFFIX(x) = x##_f32 and
 * GEMM = cblas_sgemm, once with REAL = double, x##_f64 and cblas_dgemm;
 * PRECISION_FLOAT is 1 and 0 respectively, for the few choices that differ.
 *     #define KERNELS "loss_kernels.inc"
 *     #include "each_precision.h"
 * No include guard: a file includes it once per kernel file. */
#define REAL            float
#define SUFFIX(name)    name##_f32
#define GEMM            cblas_sgemm
#define PRECISION_FLOAT 1
#include KERNELS
#undef REAL
#undef SUFFIX
#undef GEMM
#undef PRECISION_FLOAT

#define REAL            double
#define SUFFIX(name)    name##_f64
#define GEMM            cblas_dgemm
#define PRECISION_FLOAT 0
#include KERNELS
#undef REAL
#undef SUFFIX
#undef GEMM
#undef PRECISION_FLOAT

#undef KERNELS
