/* SPDX-License-Identifier: MIT */
/* loss.h — the per-sample loss ℓ on the network's output z[L] (B, n_out) and
 * its backward pass δ[L] = ∂ℓ/∂z[L], once per precision. The vectors r
 * (probe) or y (mse targets) are unit normal draws (draw.h), (B, n_out).
 *   probe  ℓ = <r, z[L]>          δ[L] = r
 *   mse    ℓ = ½‖z[L] - y‖²       δ[L] = z[L] - y
 * The loss of a batch is the mean of ℓ over its samples. */
#ifndef GRADSWEEP_LOSS_H
#define GRADSWEEP_LOSS_H

#include <stddef.h>

#include "gradsweep/config.h"

/* The batch-mean loss of z (count = B·n_out values), accumulated in double. */
double loss_forward_f32(gs_loss loss, const float *z, const float *r, size_t count, int B);
double loss_forward_f64(gs_loss loss, const double *z, const double *r, size_t count, int B);
/* δ[L] per sample (count values) into delta. */
void loss_backward_f32(gs_loss loss, float *delta, const float *z, const float *r, size_t count);
void loss_backward_f64(gs_loss loss, double *delta, const double *z, const double *r, size_t count);

#endif
