/* SPDX-License-Identifier: MIT */
/* train_loss.h — the losses of training on the network's output units, each a
 * forward/backward pair in the manner of llm.c, in float and double.
 *
 * Shapes: B samples, k output units; z is (B, k) row-major, a sample per row;
 * labels[B] are class indices 0 … k-1; targets are (B, k). As everywhere in
 * gradsweep, the backward pass gives the per-sample δ = ∂ℓ/∂z (B, k): the
 * network's backward applies the batch mean's 1/B (net.h).
 *
 *   cross_entropy   ℓ_i = log Σ_j exp z_ij − z_i,y_i   (softmax over the k units)
 *                   δ_ij = p_ij − [j = y_i],  p_i = softmax(z_i)
 *   mse             ℓ_i = ½ Σ_j (z_ij − y_ij)²,  y the targets, or the one-hot
 *                   vector of the label (y_ij = [j = label_i]: no centring, no
 *                   1/k; torch: 0.5 * ((z - one_hot) ** 2).sum(1))
 *                   δ_ij = z_ij − y_ij
 *
 * Every row is computed in double whatever the precision (k is small), so the
 * float versions differ from the double ones only by the rounding of their
 * inputs and outputs. The log-sum-exp is shifted by the row's largest z, so no
 * exponential overflows: finite z give a finite ℓ. A row with NaN or ±inf
 * gives ℓ = NaN (and NaN probabilities), as it would in PyTorch for NaN; such
 * a sample is never counted correct.
 *
 * Accuracy: a sample is correct when its label is the first index of the
 * largest z (torch.argmax's tie rule) and no z of its row is NaN. */
#ifndef GRADSWEEP_TRAIN_LOSS_H
#define GRADSWEEP_TRAIN_LOSS_H

#include <stdint.h>

/* Cross entropy. Fills probs (B, k) = softmax(z) for the backward pass and,
 * if losses is not NULL, losses[B] = ℓ_i; returns the batch mean of ℓ and adds
 * the number of correct samples to *correct (if not NULL). */
double cross_entropy_forward_f32(float *probs, double *losses, const float *z,
                                 const int32_t *labels, int B, int k, int64_t *correct);
double cross_entropy_forward_f64(double *probs, double *losses, const double *z,
                                 const int32_t *labels, int B, int k, int64_t *correct);
/* δ (B, k) = probs − one_hot(labels). delta may alias probs. */
void cross_entropy_backward_f32(float *delta, const float *probs, const int32_t *labels, int B,
                                int k);
void cross_entropy_backward_f64(double *delta, const double *probs, const int32_t *labels, int B,
                                int k);

/* Mean squared error against targets (B, k), or, when targets is NULL, the
 * one-hot vectors of labels. Returns the batch mean of ℓ; losses and correct
 * as above (correct counts only with labels: regression targets have no
 * accuracy). */
double mse_forward_f32(double *losses, const float *z, const float *targets, const int32_t *labels,
                       int B, int k, int64_t *correct);
double mse_forward_f64(double *losses, const double *z, const double *targets,
                       const int32_t *labels, int B, int k, int64_t *correct);
/* δ (B, k) = z − y. delta may alias z. */
void mse_backward_f32(float *delta, const float *z, const float *targets, const int32_t *labels,
                      int B, int k);
void mse_backward_f64(double *delta, const double *z, const double *targets, const int32_t *labels,
                      int B, int k);

/* The first index of row's largest value (k values), or -1 if one is NaN. */
int output_argmax_f32(const float *row, int k);
int output_argmax_f64(const double *row, int k);

#endif
