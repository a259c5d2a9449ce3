/* SPDX-License-Identifier: MIT */
/* activation.c — φ and φ' for every activation, as scalars and over arrays.
 *
 * Each φ sits next to its φ' so that one can be checked against the other
 * (tests/test_activation.c does it with central differences). Single precision
 * arrays are evaluated through the double formulas and rounded once, which is
 * at least as accurate as the float libm functions. */
#include "gradsweep/activation.h"

#include "fastmath.h"
#include "simd.h"

#include <math.h>
#include <string.h>

#define NAME(enumerator, name)      [enumerator] = name,
#define FLAG_WORD(enumerator, name) " " name
static const char *const names[GS_ACT_COUNT] = {GS_ACTIVATION_LIST(NAME)};

const char *activation_name(gs_activation_kind kind) {
    return (unsigned)kind < GS_ACT_COUNT ? names[kind] : NULL;
}

int activation_parse(const char *name, gs_activation_kind *kind) {
    for (int k = 0; k < GS_ACT_COUNT; k++) {
        if (strcmp(names[k], name) == 0) {
            *kind = (gs_activation_kind)k;
            return 0;
        }
    }
    return -1;
}

/* The compiler joins the words; the indexing skips the first space. */
const char *activation_flag_meanings(void) { return &(GS_ACTIVATION_LIST(FLAG_WORD))[1]; }

/* ---- scalar φ / φ' pairs --------------------------------------------------------
 * Comparisons are written so that NaN falls through to NaN: `z > 0` and
 * `z <= 0` are both false for NaN. */

static inline double relu(double z) { return z > 0 ? z : (z <= 0 ? 0.0 : z); }
static inline double relu_d(double z) { return z > 0 ? 1.0 : (z <= 0 ? 0.0 : z); }

static inline double leaky(double z, double s) { return z > 0 ? z : s * z; }
static inline double leaky_d(double z, double s) { return z > 0 ? 1.0 : (z <= 0 ? s : z); }

static inline double tanh_d(double z) {
    double t = tanh(z);
    return 1.0 - t * t;
}

/* Written to never overflow: e^-|z| ≤ 1. */
static inline double sigmoid(double z) {
    if (z >= 0) return 1.0 / (1.0 + exp(-z));
    double e = exp(z);
    return e / (1.0 + e);
}
static inline double sigmoid_d(double z) {
    double s = sigmoid(z);
    return s * (1.0 - s);
}

static inline double selu(double z) {
    return GS_SELU_LAMBDA * (z > 0 ? z : GS_SELU_ALPHA * expm1(z));
}
static inline double selu_d(double z) {
    return GS_SELU_LAMBDA * (z > 0 ? 1.0 : GS_SELU_ALPHA * exp(z));
}

/* Φ(z) = ½ erfc(-z/√2): accurate in both tails. */
static inline double normal_cdf(double z) { return 0.5 * erfc(-z * M_SQRT1_2); }
static inline double normal_pdf(double z) {
    return exp(-0.5 * z * z) * (0.5 * M_2_SQRTPI * M_SQRT1_2);
}
static inline double gelu(double z) { return z * normal_cdf(z); }
static inline double gelu_d(double z) { return normal_cdf(z) + z * normal_pdf(z); }

static inline double silu(double z) { return z * sigmoid(z); }
static inline double silu_d(double z) {
    double s = sigmoid(z);
    return s * (1.0 + z * (1.0 - s));
}

static inline double elu(double z) { return z > 0 ? z : expm1(z); }
static inline double elu_d(double z) { return z > 0 ? 1.0 : exp(z); }

/* log(1 + e^z) = max(z, 0) + log1p(e^-|z|): no overflow, no cancellation. */
static inline double softplus(double z) { return fmax(z, 0.0) + log1p(exp(-fabs(z))); }
static inline double softplus_d(double z) { return sigmoid(z); }

static inline double erf_d(double z) { return M_2_SQRTPI * exp(-z * z); }

double activation_phi(const gs_activation *act, double z) {
    switch (act->kind) {
    case GS_ACT_LINEAR: return z;
    case GS_ACT_RELU: return relu(z);
    case GS_ACT_LEAKY_RELU: return leaky(z, act->slope);
    case GS_ACT_TANH: return tanh(z);
    case GS_ACT_SIGMOID: return sigmoid(z);
    case GS_ACT_SELU: return selu(z);
    case GS_ACT_GELU: return gelu(z);
    case GS_ACT_SILU: return silu(z);
    case GS_ACT_ELU: return elu(z);
    case GS_ACT_SOFTPLUS: return softplus(z);
    case GS_ACT_ERF: return erf(z);
    case GS_ACT_COUNT: break;
    }
    return NAN;
}

double activation_dphi(const gs_activation *act, double z) {
    switch (act->kind) {
    case GS_ACT_LINEAR: return 1.0;
    case GS_ACT_RELU: return relu_d(z);
    case GS_ACT_LEAKY_RELU: return leaky_d(z, act->slope);
    case GS_ACT_TANH: return tanh_d(z);
    case GS_ACT_SIGMOID: return sigmoid_d(z);
    case GS_ACT_SELU: return selu_d(z);
    case GS_ACT_GELU: return gelu_d(z);
    case GS_ACT_SILU: return silu_d(z);
    case GS_ACT_ELU: return elu_d(z);
    case GS_ACT_SOFTPLUS: return softplus_d(z);
    case GS_ACT_ERF: return erf_d(z);
    case GS_ACT_COUNT: break;
    }
    return NAN;
}

/* ---- array version ------------------------------------------------------------------
 * φ and φ' in one pass: the switch sits outside the loops so each loop is a
 * tight map, and where φ' reuses φ's transcendental (tanh, sigmoid, silu,
 * softplus, gelu's Φ) it is computed once. Each pair gives bit for bit what
 * activation_phi / activation_dphi give. The same body serves float and
 * double arrays. */

#define MAP2(SHARED, PHI, DPHI)                                                                    \
    for (size_t i = 0; i < n; i++) {                                                               \
        double v = (double)z[i];                                                                   \
        (void)v; /* unused where φ and φ' are constant */                                        \
        SHARED;                                                                                    \
        a[i] = (PHI);                                                                              \
        d[i] = (DPHI);                                                                             \
    }                                                                                              \
    break

#define NOTHING_SHARED (void)0

#define FORWARD_DERIVATIVE_BODY                                                                    \
    double s = act->slope;                                                                         \
    switch (act->kind) {                                                                           \
    case GS_ACT_LINEAR: MAP2(NOTHING_SHARED, v, 1.0);                                              \
    case GS_ACT_RELU: MAP2(NOTHING_SHARED, relu(v), relu_d(v));                                    \
    case GS_ACT_LEAKY_RELU: MAP2(NOTHING_SHARED, leaky(v, s), leaky_d(v, s));                      \
    case GS_ACT_TANH: MAP2(double t = tanh(v), t, 1.0 - t * t);                                    \
    case GS_ACT_SIGMOID: MAP2(double g = sigmoid(v), g, g * (1.0 - g));                            \
    case GS_ACT_SELU: MAP2(NOTHING_SHARED, selu(v), selu_d(v));                                    \
    case GS_ACT_GELU: MAP2(double p = normal_cdf(v), v * p, p + v * normal_pdf(v));                \
    case GS_ACT_SILU: MAP2(double g = sigmoid(v), v * g, g * (1.0 + v * (1.0 - g)));               \
    case GS_ACT_ELU: MAP2(NOTHING_SHARED, elu(v), elu_d(v));                                       \
    case GS_ACT_SOFTPLUS:                                                                          \
        /* e^-|z| serves both: log1p for φ, and σ(z) = 1/(1+e) or e/(1+e) for φ' */             \
        MAP2(double e = exp(-fabs(v)), fmax(v, 0.0) + log1p(e),                                    \
             v >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e));                                            \
    case GS_ACT_ERF: MAP2(NOTHING_SHARED, erf(v), erf_d(v));                                       \
    case GS_ACT_COUNT: MAP2(NOTHING_SHARED, NAN, NAN);                                             \
    }

/* ---- SIMD kernels -------------------------------------------------------------------
 * For the activations whose φ and φ' reduce to exp and tanh, both precisions
 * get branch-free kernels (fastmath.h, activation_kernels.inc) that the
 * compiler vectorises, each built for AVX2 and for the baseline (simd.h).
 * They agree with the scalar functions to a few ulps (tested), and 1 - |tanh|
 * and σ(-|z|) come without cancellation, so saturated derivatives stay
 * accurate (libm's tanh gives φ' = 1 - t² = 0 once t rounds to ±1). The rest
 * (gelu, softplus, erf) use the library functions: the double formulas,
 * rounded to float in single precision. */

static void library_f32(const gs_activation *act, const float *z, float *a, float *d, size_t n) {
    FORWARD_DERIVATIVE_BODY
}

static void library_f64(const gs_activation *act, const double *z, double *a, double *d, size_t n) {
    FORWARD_DERIVATIVE_BODY
}

#define REAL       float
#define SUFFIX(x)  x##_f32
#define FABS       fabsf
#define FAST_EXP   fast_expf
#define FAST_EXPM1 fast_expm1f
#define FAST_TANH  fast_tanhf
#include "activation_kernels.inc"
#undef REAL
#undef SUFFIX
#undef FABS
#undef FAST_EXP
#undef FAST_EXPM1
#undef FAST_TANH

#define REAL       double
#define SUFFIX(x)  x##_f64
#define FABS       fabs
#define FAST_EXP   fast_exp
#define FAST_EXPM1 fast_expm1
#define FAST_TANH  fast_tanh
#include "activation_kernels.inc"
#undef REAL
#undef SUFFIX
#undef FABS
#undef FAST_EXP
#undef FAST_EXPM1
#undef FAST_TANH
