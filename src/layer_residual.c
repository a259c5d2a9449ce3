/* SPDX-License-Identifier: MIT */
/* layer_residual.c — the pre-activation residual block's forward and
 * backward passes (layer.h), written once in layer_residual_kernels.inc and
 * included for each precision. */
#include <cblas.h>
#include <stddef.h>

#include "gradsweep/layer.h"
#include "gradsweep/stats.h"

#define KERNELS "layer_residual_kernels.inc"
#include "each_precision.h"
