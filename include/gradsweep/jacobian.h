/* SPDX-License-Identifier: MIT */
/* jacobian.h — measuring the input-output Jacobian of a network, layer by
 * layer (issue 13; docs/theory.md, "Jacobian spectra").
 *
 * For one input sample, J[0] = I and J[l] = D[l] W[l] J[l-1] with
 * D[l] = diag φ'(z[l]): J[l] = ∂a[l]/∂x, (fan_out of layer l) × n0, n0 the
 * input's features. The network carries it forward with its layers (net.c;
 * each layer kind's step is beside its forward pass, layer.h), for K samples
 * at once, stored transposed and stacked: the rows of sample k's block are
 * the n0 tangents J[l] e_r, r = 0 … n0-1, so that
 *     J[l]ᵀ = J[l-1]ᵀ W[l]ᵀ D[l]     is one GEMM for all K samples,
 * the same product as the forward pass's a[l-1] W[l]ᵀ.
 *
 * Scale. A network in the ordered or chaotic phase shrinks or grows J
 * geometrically: at depth 200 its entries leave float32's range, and soon
 * double's. Each sample's block is therefore kept as 2^e · J̃ with the block
 * J̃ renormalised after every layer by a power of two (exact: no rounding
 * unless entries become subnormal), and e an integer kept beside it. Every
 * statistic of the spectrum's shape (the normalised variance, the condition
 * number) comes from J̃ and stays finite whatever the phase; the scale enters
 * only the mean and the singular values themselves, in double (inf or 0 where
 * even double cannot hold them).
 *
 * Statistics (λ the eigenvalues of J Jᵀ, the squared singular values):
 *     mean λ = ‖J‖_F² / rows
 *     Var λ / mean² = ‖G − mean λ · I‖_F² / (rows · mean²),  G = J Jᵀ
 * the Gram matrix G by one SYRK (rows²·n0 flops), its centred sum of squares
 * in double: no eigendecomposition per layer, and no cancellation (an
 * isometry gives exactly its rounding, ~1e-30 in double). */
#ifndef GRADSWEEP_JACOBIAN_H
#define GRADSWEEP_JACOBIAN_H

#include <stdbool.h>
#include <stddef.h>

#include "gradsweep/config.h"

/* Measures the K samples' blocks of jt (K·n0 rows of `rows` columns: sample
 * k's J[l]ᵀ at jt + k·n0·rows), renormalising each in place by a power of two
 * and adding that power to exponent[k] (the block is 2^exponent[k] times the
 * Jacobian). gram has room for rows × rows reals. Into st (unless NULL): the
 * mean over the K samples of each sample's mean λ and of its normalised
 * variance. Non-finite entries give NaN (inf where the scale overflows). */
void jacobian_measure_f32(float *jt, int K, int n0, int rows, float *gram, double *exponent,
                          gs_jacobian_stats *st);
void jacobian_measure_f64(double *jt, int K, int n0, int rows, double *gram, double *exponent,
                          gs_jacobian_stats *st);

/* The singular values of one sample's J = 2^exponent · (its block of jt, n0
 * rows of `rows` columns, J's transpose) by LAPACK dgesdd, descending, into
 * sv[0 … min(rows, n0) - 1], NaN from there up to room; *largest and
 * *smallest of them. work: rows·n0 + min(rows, n0) + jacobian_svd_work_doubles
 * (plan.h) doubles. A block with inf or NaN, or one LAPACK cannot do, gives
 * NaN; returns false then (LAPACK's failure only: info ≠ 0). */
bool jacobian_singular_values_f32(const float *block, int n0, int rows, double exponent,
                                  double *work, double *sv, int room, double *largest,
                                  double *smallest);
bool jacobian_singular_values_f64(const double *block, int n0, int rows, double exponent,
                                  double *work, double *sv, int room, double *largest,
                                  double *smallest);

#endif
