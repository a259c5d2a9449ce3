/* SPDX-License-Identifier: MIT */
/* layer_dense.c — the dense layer's forward and backward passes (layer.h),
 * written once in layer_dense_kernels.inc and included for each precision. */
#include <cblas.h>
#include <string.h>

#include "gradsweep/layer.h"
#include "gradsweep/stats.h"

#define KERNELS "layer_dense_kernels.inc"
#include "each_precision.h"
