/* SPDX-License-Identifier: MIT */
/* loss.c — the losses' forward and backward passes (loss.h), written once in
 * loss_kernels.inc and included for each precision. */
#include "gradsweep/loss.h"

#include <string.h>

#define KERNELS "loss_kernels.inc"
#include "each_precision.h"
