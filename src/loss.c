/* loss.c — the losses' forward and backward passes (loss.h), written once in
 * loss_kernels.inc and included for each precision. */
#include "gradsweep/loss.h"

#include <string.h>

#define REAL         float
#define SUFFIX(name) name##_f32
#include "loss_kernels.inc"
#undef REAL
#undef SUFFIX

#define REAL         double
#define SUFFIX(name) name##_f64
#include "loss_kernels.inc"
#undef REAL
#undef SUFFIX
