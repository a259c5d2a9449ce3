/* SPDX-License-Identifier: MIT */
/* activation.h — the nonlinearities φ and their exact derivatives φ'.
 *
 * Codes are stored in results files (the `activation` variable's flag_values):
 * a code never changes meaning; new activations are appended.
 *
 * At a kink the derivative follows PyTorch's autograd, so that the oracle
 * test can compare entry by entry: relu'(0) = 0, leaky_relu'(0) = slope,
 * elu'(0) = selu'(0) = the left-hand value. NaN inputs give NaN outputs. */
#ifndef GRADSWEEP_ACTIVATION_H
#define GRADSWEEP_ACTIVATION_H

#include <stddef.h>

/* X(enumerator, name): the activations in code order, named as files and
 * sweep files spell them.
 *   linear      φ(z) = z
 *   relu        max(z, 0)
 *   leaky_relu  z if z > 0 else slope·z
 *   tanh        tanh(z)
 *   sigmoid     1 / (1 + e^-z)
 *   selu        λ·z if z > 0 else λα(e^z - 1) (Klambauer et al. 2017)
 *   gelu        z·Φ(z), Φ the standard normal CDF (exact, not the tanh fit)
 *   silu        z·sigmoid(z) (a.k.a. swish)
 *   elu         z if z > 0 else e^z - 1
 *   softplus    log(1 + e^z)
 *   erf         erf(z): tanh-like, with closed-form mean-field kernels */
#define GS_ACTIVATION_LIST(X)                                                                      \
    X(GS_ACT_LINEAR, "linear")                                                                     \
    X(GS_ACT_RELU, "relu")                                                                         \
    X(GS_ACT_LEAKY_RELU, "leaky_relu")                                                             \
    X(GS_ACT_TANH, "tanh")                                                                         \
    X(GS_ACT_SIGMOID, "sigmoid")                                                                   \
    X(GS_ACT_SELU, "selu")                                                                         \
    X(GS_ACT_GELU, "gelu")                                                                         \
    X(GS_ACT_SILU, "silu")                                                                         \
    X(GS_ACT_ELU, "elu")                                                                           \
    X(GS_ACT_SOFTPLUS, "softplus")                                                                 \
    X(GS_ACT_ERF, "erf")

#define GS_ACTIVATION_ENUMERATOR(enumerator, name) enumerator,
typedef enum gs_activation_kind {
    GS_ACTIVATION_LIST(GS_ACTIVATION_ENUMERATOR) GS_ACT_COUNT
} gs_activation_kind;

#define GS_LEAKY_RELU_DEFAULT_SLOPE 0.01 /* PyTorch's default negative_slope */
#define GS_SELU_LAMBDA              1.0507009873554804934193349852946
#define GS_SELU_ALPHA               1.6732632423543772848170429916717

typedef struct gs_activation {
    gs_activation_kind kind;
    double slope; /* leaky_relu's negative slope; ignored by the others */
} gs_activation;

/* "relu", …; NULL for an invalid code. */
const char *activation_name(gs_activation_kind kind);
/* Parses a name (as activation_name spells it); returns 0, or -1 if unknown. */
int activation_parse(const char *name, gs_activation_kind *kind);
/* "linear relu leaky_relu …": the CF flag_meanings string, codes 0, 1, 2, … */
const char *activation_flag_meanings(void);

/* Scalar φ and φ' in double precision (tests, theory). */
double activation_phi(const gs_activation *act, double z);
double activation_dphi(const gs_activation *act, double z);

/* Elementwise over n values: a[i] = φ(z[i]) and d[i] = φ'(z[i]), in one pass.
 * tanh, sigmoid, silu, elu and selu go through SIMD kernels within 6 ulps of
 * the exact values (measured ≤ 4 in both precisions), accurate in the
 * saturated tails where 1 - tanh² would cancel; the others give
 * activation_phi / activation_dphi bit for bit (rounded once to float in the
 * float version). a may alias z; d may not. */
void activation_apply_f32(const gs_activation *act, const float *z, float *a, float *d, size_t n);
void activation_apply_f64(const gs_activation *act, const double *z, double *a, double *d,
                          size_t n);

#endif
