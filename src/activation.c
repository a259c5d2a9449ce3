/* activation.c — φ and φ' for every activation, as scalars and over arrays.
 *
 * Each φ sits next to its φ' so that one can be checked against the other
 * (tests/test_activation.c does it with central differences). Single precision
 * arrays are evaluated through the double formulas and rounded once, which is
 * at least as accurate as the float libm functions. */
#include "gradsweep/activation.h"

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

/* ---- array versions --------------------------------------------------------------
 * The switch sits outside the loops so each loop is a tight map the compiler
 * can unroll; the same body serves float and double arrays. */

#define MAP(EXPR)                                                                                  \
    for (size_t i = 0; i < n; i++) {                                                               \
        double v = (double)in[i];                                                                  \
        (void)v; /* unused where φ' is constant */                                                \
        out[i] = (EXPR);                                                                           \
    }                                                                                              \
    break

#define FORWARD_BODY                                                                               \
    double s = act->slope;                                                                         \
    switch (act->kind) {                                                                           \
    case GS_ACT_LINEAR: MAP(v);                                                                    \
    case GS_ACT_RELU: MAP(relu(v));                                                                \
    case GS_ACT_LEAKY_RELU: MAP(leaky(v, s));                                                      \
    case GS_ACT_TANH: MAP(tanh(v));                                                                \
    case GS_ACT_SIGMOID: MAP(sigmoid(v));                                                          \
    case GS_ACT_SELU: MAP(selu(v));                                                                \
    case GS_ACT_GELU: MAP(gelu(v));                                                                \
    case GS_ACT_SILU: MAP(silu(v));                                                                \
    case GS_ACT_ELU: MAP(elu(v));                                                                  \
    case GS_ACT_SOFTPLUS: MAP(softplus(v));                                                        \
    case GS_ACT_ERF: MAP(erf(v));                                                                  \
    case GS_ACT_COUNT: MAP(NAN);                                                                   \
    }

#define DERIVATIVE_BODY                                                                            \
    double s = act->slope;                                                                         \
    switch (act->kind) {                                                                           \
    case GS_ACT_LINEAR: MAP(1.0);                                                                  \
    case GS_ACT_RELU: MAP(relu_d(v));                                                              \
    case GS_ACT_LEAKY_RELU: MAP(leaky_d(v, s));                                                    \
    case GS_ACT_TANH: MAP(tanh_d(v));                                                              \
    case GS_ACT_SIGMOID: MAP(sigmoid_d(v));                                                        \
    case GS_ACT_SELU: MAP(selu_d(v));                                                              \
    case GS_ACT_GELU: MAP(gelu_d(v));                                                              \
    case GS_ACT_SILU: MAP(silu_d(v));                                                              \
    case GS_ACT_ELU: MAP(elu_d(v));                                                                \
    case GS_ACT_SOFTPLUS: MAP(softplus_d(v));                                                      \
    case GS_ACT_ERF: MAP(erf_d(v));                                                                \
    case GS_ACT_COUNT: MAP(NAN);                                                                   \
    }

void activation_forward_f32(const gs_activation *act, const float *in, float *out, size_t n) {
    FORWARD_BODY
}
void activation_forward_f64(const gs_activation *act, const double *in, double *out, size_t n) {
    FORWARD_BODY
}
void activation_derivative_f32(const gs_activation *act, const float *in, float *out, size_t n) {
    DERIVATIVE_BODY
}
void activation_derivative_f64(const gs_activation *act, const double *in, double *out, size_t n) {
    DERIVATIVE_BODY
}
