/* SPDX-License-Identifier: MIT */
/* layer_norm.c — LayerNorm's forward and backward passes and a layer's
 * output side a = φ(N(z)) (layer.h), written once in layer_norm_kernels.inc
 * and included for each precision. */
#include <math.h>
#include <stddef.h>

#include "gradsweep/activation.h"
#include "gradsweep/layer.h"

#define KERNELS "layer_norm_kernels.inc"
#include "each_precision.h"
