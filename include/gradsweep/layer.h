/* SPDX-License-Identifier: MIT */
/* layer.h — one layer of a network: what a layer is (its kind and shapes),
 * and each kind's forward and backward pass, a pair in its own file as in
 * llm.c, once per precision (_f32 with float buffers, _f64 with double).
 *
 * Shapes: B samples, a sample per row (row-major); a layer maps an input of
 * fan_in units to an output of fan_out units; W is (fan_out, fan_in), as
 * (out, in). Statistics accumulate in double whatever the precision (stats.h).
 *
 * The kinds:
 *   dense     z = a_prev Wᵀ + b,                a = φ(N(z))   (layer_dense.c)
 *   residual  z = z_prev + α·(a_prev Wᵀ + b),   a = φ(N(z))   (layer_residual.c)
 * where N is the layer's norm (none: the identity; layernorm: LayerNorm per
 * sample over the units, no affine, layer_norm.c) and a_prev = φ(N(z_prev))
 * is the previous layer's a. A new kind adds its enumerator, its pair in its
 * own file, and its case in the network's passes (net_kernels.inc) and in
 * net_layers (arch.c); and its
 * Jacobian step (as dense_jacobian) in jacobian_layer of net_kernels.inc
 * (only dense layers have one yet: a sweep with blocks or a norm cannot ask
 * for the Jacobian). */
#ifndef GRADSWEEP_LAYER_H
#define GRADSWEEP_LAYER_H

#include <stdbool.h>
#include <stddef.h>

#include "gradsweep/activation.h"
#include "gradsweep/config.h"

typedef enum gs_layer_kind {
    GS_LAYER_DENSE = 0,
    GS_LAYER_RESIDUAL, /* a pre-activation residual block: fan_in = fan_out */
} gs_layer_kind;

/* One layer, as the configuration builds it (net_layers, arch.h). */
typedef struct gs_layer {
    gs_layer_kind kind;
    int fan_in, fan_out;     /* units in, units out: W is (fan_out, fan_in) */
    double sigma_w, sigma_b; /* W = sigma_w·U, b = sigma_b·β (U, β: unit draws, draw.h) */
    gs_activation act;       /* φ */
    size_t unit_weights_at;  /* where U of this layer starts among the stored draws (elements) */
    size_t unit_biases_at;   /* where β starts */
    /* How U and β are drawn (draw.h): the layer's own, since its fans may
     * differ from the others'. */
    bool uniform_biases; /* β ~ U(-1, 1) (torch_default's biases) instead of N(0, 1) */
    double trunc_k;      /* torch_trunc_normal: U is cut at ±trunc_k of its standard deviation */
    gs_norm norm;        /* N before φ: a = φ(N(z)) */
    double branch_scale; /* α of a residual block (NaN for dense layers) */
} gs_layer;

/* What a LayerNorm keeps of its forward pass for the backward, per sample:
 * the mean and 1/sqrt(var + eps) of z's row, in double whatever the
 * precision (the normalised values are recomputed from z). NULL pointers
 * where the layer has no norm. */
typedef struct gs_norm_saved {
    double *mean, *rstd; /* (B) each */
} gs_norm_saved;

/* ---- dense (layer_dense.c) -------------------------------------------------------
 * Forward:  z = a_prev Wᵀ + b (B, fan_out), a = φ(z), d = φ'(z); the layer's
 *           forward statistics into st unless st is NULL (a recomputation).
 *           Returns false if a value of z or a was not finite.
 *           scratch: STATS_SCRATCH_DOUBLES(fan_out) doubles.
 * Backward: from δ = ∂ℓ/∂z (B, fan_out) per sample and delta_sum = Σ_s δ[s,:]:
 *             grad_w = ∂loss/∂W = (1/B) δᵀ a_prev   (fan_out, fan_in)
 *             grad_b = ∂loss/∂b = delta_sum / B     (fan_out)
 *           (loss is the batch mean of ℓ, hence the 1/B), and unless
 *           delta_prev is NULL (the first layer, whose input is the data):
 *             δ_prev = (δ W) ⊙ d_prev               (B, fan_in), d_prev = φ'(z_prev)
 *           measured into st_prev (delta_sq), its sums replacing delta_sum.
 *           Returns false if a value of δ_prev was not finite.
 *           scratch: 2·fan_in doubles. */
bool dense_forward_f32(const gs_layer *layer, const float *a_prev, const float *unit_w,
                       const float *unit_b, float *z, float *a, float *d, int B, double *scratch,
                       gs_layer_stats *st);
bool dense_forward_f64(const gs_layer *layer, const double *a_prev, const double *unit_w,
                       const double *unit_b, double *z, double *a, double *d, int B,
                       double *scratch, gs_layer_stats *st);
bool dense_backward_f32(const gs_layer *layer, const float *delta, const float *a_prev,
                        const float *d_prev, const float *unit_w, double *delta_sum, float *grad_w,
                        float *grad_b, float *delta_prev, int B, double *scratch,
                        gs_layer_stats *st_prev);
bool dense_backward_f64(const gs_layer *layer, const double *delta, const double *a_prev,
                        const double *d_prev, const double *unit_w, double *delta_sum,
                        double *grad_w, double *grad_b, double *delta_prev, int B, double *scratch,
                        gs_layer_stats *st_prev);
/* Jacobian (forward mode, jacobian.h): K samples' J[l]ᵀ stacked, (K·n0,
 * fan_out), sample k's n0 rows at jt + k·n0·fan_out, from J[l-1]ᵀ (K·n0,
 * fan_in) the same way:
 *           J[l]ᵀ = J[l-1]ᵀ Wᵀ D,  D = diag d[k, :] for sample k's rows
 *           (one GEMM for the K samples). jt_prev NULL: the first layer,
 *           J[0] = I (n0 = fan_in): J[1]ᵀ = Wᵀ D, a scaled copy of Uᵀ.
 *           d (B, fan_out) = φ'(z) of the forward pass: its first K rows. */
void dense_jacobian_f32(const gs_layer *layer, const float *unit_w, const float *d,
                        const float *jt_prev, float *jt, int K, int n0);
void dense_jacobian_f64(const gs_layer *layer, const double *unit_w, const double *d,
                        const double *jt_prev, double *jt, int K, int n0);

/* The same with the layer's norm (layer->norm; without one, exactly the
 * functions above): forward saves N's statistics into saved; backward takes
 * δ_prev through prev's φ' and N (prev: the layer that made z_prev, a_prev
 * and d_prev; z_prev and saved_prev are its z and N's statistics). */
bool dense_forward_norm_f32(const gs_layer *layer, const float *a_prev, const float *unit_w,
                            const float *unit_b, float *z, float *a, float *d, int B,
                            const gs_norm_saved *saved, double *scratch, gs_layer_stats *st);
bool dense_forward_norm_f64(const gs_layer *layer, const double *a_prev, const double *unit_w,
                            const double *unit_b, double *z, double *a, double *d, int B,
                            const gs_norm_saved *saved, double *scratch, gs_layer_stats *st);
bool dense_backward_norm_f32(const gs_layer *layer, const gs_layer *prev, const float *delta,
                             const float *z_prev, const float *a_prev, const float *d_prev,
                             const gs_norm_saved *saved_prev, const float *unit_w,
                             double *delta_sum, float *grad_w, float *grad_b, float *delta_prev,
                             int B, double *scratch, gs_layer_stats *st_prev);
bool dense_backward_norm_f64(const gs_layer *layer, const gs_layer *prev, const double *delta,
                             const double *z_prev, const double *a_prev, const double *d_prev,
                             const gs_norm_saved *saved_prev, const double *unit_w,
                             double *delta_sum, double *grad_w, double *grad_b, double *delta_prev,
                             int B, double *scratch, gs_layer_stats *st_prev);

/* ---- the linear map W a + b, shared by dense layers and residual branches ---------
 * (layer_dense.c) z = sigma_w · a_prev Uᵀ + sigma_b · β   (B, out), bias broadcast first. */
void linear_forward_f32(float *z, const float *a_prev, const float *unit_w, const float *unit_b,
                        double sigma_w, double sigma_b, int B, int in, int out);
void linear_forward_f64(double *z, const double *a_prev, const double *unit_w, const double *unit_b,
                        double sigma_w, double sigma_b, int B, int in, int out);

/* ---- N and φ (layer_norm.c) -------------------------------------------------------
 * LayerNorm per sample (row) over its n units, no affine, ε = GS_LAYERNORM_EPS:
 *   out = (z − mean) / sqrt(var + ε),   var the biased variance of the row
 * (torch.nn.functional.layer_norm(z, (n,), eps = 1e-5)), mean and rstd saved.
 * out may alias z. Backward, in place: from g = ∂ℓ/∂out to ∂ℓ/∂z,
 *   ∂ℓ/∂z = rstd · (g − mean(g) − x̂ · mean(g ⊙ x̂)),   x̂ = (z − mean)·rstd. */
void layernorm_forward_f32(const float *z, float *out, double *mean, double *rstd, int B, int n);
void layernorm_forward_f64(const double *z, double *out, double *mean, double *rstd, int B, int n);
void layernorm_backward_f32(float *g, const float *z, const double *mean, const double *rstd, int B,
                            int n);
void layernorm_backward_f64(double *g, const double *z, const double *mean, const double *rstd,
                            int B, int n);
/* A layer's output side: a = φ(N(z)) and d = φ'(N(z)) (N saved into saved when
 * the layer has a norm); and its backward pair: g = ∂ℓ/∂a becomes ∂ℓ/∂z in
 * place, g ⊙= d, then through N. */
void norm_activation_forward_f32(const gs_layer *layer, const float *z, float *a, float *d, int B,
                                 const gs_norm_saved *saved);
void norm_activation_forward_f64(const gs_layer *layer, const double *z, double *a, double *d,
                                 int B, const gs_norm_saved *saved);
void norm_activation_backward_f32(const gs_layer *layer, float *g, const float *d, const float *z,
                                  int B, const gs_norm_saved *saved);
void norm_activation_backward_f64(const gs_layer *layer, double *g, const double *d,
                                  const double *z, int B, const gs_norm_saved *saved);

/* ---- residual (layer_residual.c) ---------------------------------------------------
 * Forward:  z = z_prev + r with the branch r = α·(a_prev Wᵀ + b) (B, n),
 *           a = φ(N(z)), d = φ'(N(z)); st's forward statistics (q, c, … of
 *           the trunk z, trunk_ch_var) and branch_ch_var of r unless st is
 *           NULL. z_prev and z are different buffers. Returns false if a
 *           value of z or a was not finite. scratch: STATS_SCRATCH_DOUBLES(n).
 * Backward: from δ = ∂ℓ/∂z and delta_sum = Σ_s δ[s,:]:
 *             grad_w = α (1/B) δᵀ a_prev,   grad_b = α delta_sum / B
 *             δ_prev = δ + N'ᵀ((α δ W) ⊙ d_prev)      (N' through prev's norm)
 *           measured into st_prev (delta_sq), its sums replacing delta_sum.
 *           prev: the layer that made z_prev, a_prev, d_prev (its norm).
 *           Returns false if a value of δ_prev was not finite. scratch: 2·n. */
bool residual_forward_f32(const gs_layer *layer, const float *z_prev, const float *a_prev,
                          const float *unit_w, const float *unit_b, float *z, float *a, float *d,
                          int B, const gs_norm_saved *saved, double *scratch, gs_layer_stats *st);
bool residual_forward_f64(const gs_layer *layer, const double *z_prev, const double *a_prev,
                          const double *unit_w, const double *unit_b, double *z, double *a,
                          double *d, int B, const gs_norm_saved *saved, double *scratch,
                          gs_layer_stats *st);
bool residual_backward_f32(const gs_layer *layer, const gs_layer *prev, const float *delta,
                           const float *z_prev, const float *a_prev, const float *d_prev,
                           const gs_norm_saved *saved_prev, const float *unit_w, double *delta_sum,
                           float *grad_w, float *grad_b, float *delta_prev, int B, double *scratch,
                           gs_layer_stats *st_prev);
bool residual_backward_f64(const gs_layer *layer, const gs_layer *prev, const double *delta,
                           const double *z_prev, const double *a_prev, const double *d_prev,
                           const gs_norm_saved *saved_prev, const double *unit_w, double *delta_sum,
                           double *grad_w, double *grad_b, double *delta_prev, int B,
                           double *scratch, gs_layer_stats *st_prev);

#endif
