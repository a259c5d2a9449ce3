/* SPDX-License-Identifier: MIT */
/* train_loss.c — cross entropy and mean squared error, forward and backward, in
 * float and double (the kernels are in train_loss_kernels.inc). */
#include "gradsweep/train_loss.h"

#include <math.h>
#include <stddef.h>

#define REAL         float
#define SUFFIX(name) name##_f32
#include "train_loss_kernels.inc"
#undef REAL
#undef SUFFIX

#define REAL         double
#define SUFFIX(name) name##_f64
#include "train_loss_kernels.inc"
#undef REAL
#undef SUFFIX
