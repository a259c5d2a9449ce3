/* layer_dense.c — the dense layer's forward and backward passes (layer.h),
 * written once in layer_dense_kernels.inc and included for each precision. */
#include <cblas.h>
#include <string.h>

#include "gradsweep/layer.h"
#include "gradsweep/stats.h"

#define REAL         float
#define SUFFIX(name) name##_f32
#define GEMM         cblas_sgemm
#include "layer_dense_kernels.inc"
#undef REAL
#undef SUFFIX
#undef GEMM

#define REAL         double
#define SUFFIX(name) name##_f64
#define GEMM         cblas_dgemm
#include "layer_dense_kernels.inc"
#undef REAL
#undef SUFFIX
#undef GEMM
