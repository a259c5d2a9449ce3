/* SPDX-License-Identifier: MIT */
/* optim.h — the optimizers as pure update kernels: one parameter buffer p of
 * n values, its gradient g (∂loss/∂p, loss the batch mean), and the
 * optimizer's state, updated in place. Nothing is allocated here; the caller
 * owns the state (zeroed before the first step) and chooses the learning rate
 * per buffer (parametrization.h scales it per layer).
 *
 * Each update is PyTorch's (torch.optim, 1.13; weight_decay 0, no Nesterov,
 * no AMSGrad), with its operations in its order, so that float64 results
 * agree with torch to rounding (tests/test_train_kernels.py: 1e-12):
 *   sgd       p ← p + (−lr)·g
 *   momentum  v ← μ·v + g;  p ← p + (−lr)·v          (heavy ball, dampening 0:
 *             with v = 0 before the first step, v₁ = g as torch's first step)
 *   adam      m ← β1·m + (1−β1)·g;  v ← β2·v + ((1−β2)·g)·g
 *             p ← p + ((−lr/(1−β1ᵗ))·m) / (√v / √(1−β2ᵗ) + ε)
 *             t = 1, 2, … the number of this step (bias correction).
 * Memory: sgd keeps no state, momentum one buffer v (n values), adam two (m
 * and v). Arithmetic is done in double and rounded once to the buffer's type;
 * float state stays float. */
#ifndef GRADSWEEP_OPTIM_H
#define GRADSWEEP_OPTIM_H

#include <stddef.h>
#include <stdint.h>

/* The optimizer's settings that do not change during training. */
typedef struct gs_optim_params {
    double momentum; /* μ, momentum only */
    double beta1;    /* Adam */
    double beta2;
    double eps;
} gs_optim_params;

void sgd_update_f32(float *p, const float *g, size_t n, double lr);
void sgd_update_f64(double *p, const double *g, size_t n, double lr);

void momentum_update_f32(float *p, float *v, const float *g, size_t n, double lr, double mu);
void momentum_update_f64(double *p, double *v, const double *g, size_t n, double lr, double mu);

/* step is t ≥ 1, counted per parameter buffer from its first update. */
void adam_update_f32(float *p, float *m, float *v, const float *g, size_t n, double lr,
                     const gs_optim_params *hp, int64_t step);
void adam_update_f64(double *p, double *m, double *v, const double *g, size_t n, double lr,
                     const gs_optim_params *hp, int64_t step);

/* Buffers of state per parameter buffer: 0 (sgd), 1 (momentum) or 2 (adam),
 * for memory plans. optimizer is a gs_optimizer code (train_spec.h). */
int optim_state_buffers(int optimizer);

#endif
