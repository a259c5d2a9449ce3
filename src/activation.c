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

static const char *const names[GS_ACT_COUNT] = {
    "linear", "relu", "leaky_relu", "tanh",     "sigmoid", "selu",
    "gelu",   "silu", "elu",        "softplus", "erf",
};

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

const char *activation_flag_meanings(void) {
    return "linear relu leaky_relu tanh sigmoid selu gelu silu elu softplus erf";
}

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

/* ---- float32: SIMD kernels ---------------------------------------------------------------
 * For the activations whose φ and φ' reduce to exp and tanh, single precision
 * gets its own branch-free kernels (fastmath.h) that the compiler vectorises,
 * each built for AVX2 and for the baseline (simd.h). They agree with the double formulas to a
 * few float ulps (tested), and 1 - |tanh| and σ(-|z|) come without
 * cancellation, so saturated derivatives stay accurate. The rest (gelu,
 * softplus, erf) round the double formulas. */


SIMD_CLONES static void linear_f32(const float *z, float *a, float *d, size_t n) {
    for (size_t i = 0; i < n; i++) {
        a[i] = z[i];
        d[i] = 1.0f;
    }
}

/* Each kernel computes every candidate value unconditionally and then picks
 * one: under the default -ftrapping-math the compiler may not speculate a
 * floating-point operation that sits behind a condition, and would give up
 * on vectorising the loop. */

SIMD_CLONES static void relu_f32(const float *z, float *a, float *d, size_t n, float slope) {
    for (size_t i = 0; i < n; i++) {
        float v = z[i], sv = slope * v;
        a[i] = v > 0 ? v : (v <= 0 ? sv : v);
        d[i] = v > 0 ? 1.0f : (v <= 0 ? slope : v);
    }
}

SIMD_CLONES static void tanh_f32(const float *z, float *a, float *d, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float rest, t = fast_tanhf(z[i], &rest);
        a[i] = t;
        d[i] = rest * (2.0f - rest); /* 1 - t² = (1 - |t|)(1 + |t|) */
    }
}

/* σ(z) and 1 - σ(z) from e = e^-|z|, neither losing precision: for z >= 0
 * σ = 1/(1+e) and 1 - σ = e/(1+e); for z < 0 the other way round. */
static inline void sigmoid_parts(float v, float *g, float *rest) {
    float e = fast_expf(-fabsf(v)), p = 1.0f / (1.0f + e), ep = e * p;
    *g = v >= 0 ? p : ep;
    *rest = v >= 0 ? ep : p;
}

SIMD_CLONES static void sigmoid_f32(const float *z, float *a, float *d, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float g, rest;
        sigmoid_parts(z[i], &g, &rest);
        a[i] = g;
        d[i] = g * rest;
    }
}

/* silu: z·σ(z), and σ(z)(1 + z(1 - σ(z))) */
SIMD_CLONES static void silu_f32(const float *z, float *a, float *d, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float v = z[i], g, rest;
        sigmoid_parts(v, &g, &rest);
        a[i] = v * g;
        d[i] = g * (1.0f + v * rest);
    }
}

/* elu (scale 1, alpha 1) and selu (λ, α): z > 0 ? λz : λα(e^z - 1). */
SIMD_CLONES static void elu_f32(const float *z, float *a, float *d, size_t n, float scale,
                                float alpha) {
    for (size_t i = 0; i < n; i++) {
        float v = z[i], e = fast_expf(v);
        float negative = alpha * fast_expm1f(v, e), negative_d = alpha * e;
        a[i] = scale * (v > 0 ? v : negative);
        d[i] = scale * (v > 0 ? 1.0f : negative_d);
    }
}

static void rounded_double_f32(const gs_activation *act, const float *z, float *a, float *d,
                               size_t n) {
    FORWARD_DERIVATIVE_BODY
}

void activation_apply_f32(const gs_activation *act, const float *z, float *a, float *d, size_t n) {
    switch (act->kind) {
    case GS_ACT_LINEAR: linear_f32(z, a, d, n); return;
    case GS_ACT_RELU: relu_f32(z, a, d, n, 0.0f); return;
    case GS_ACT_LEAKY_RELU: relu_f32(z, a, d, n, (float)act->slope); return;
    case GS_ACT_TANH: tanh_f32(z, a, d, n); return;
    case GS_ACT_SIGMOID: sigmoid_f32(z, a, d, n); return;
    case GS_ACT_SILU: silu_f32(z, a, d, n); return;
    case GS_ACT_ELU: elu_f32(z, a, d, n, 1.0f, 1.0f); return;
    case GS_ACT_SELU: elu_f32(z, a, d, n, (float)GS_SELU_LAMBDA, (float)GS_SELU_ALPHA); return;
    default: rounded_double_f32(act, z, a, d, n); return;
    }
}

void activation_apply_f64(const gs_activation *act, const double *z, double *a, double *d,
                          size_t n) {
    FORWARD_DERIVATIVE_BODY
}
