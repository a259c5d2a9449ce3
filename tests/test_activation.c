/* SPDX-License-Identifier: MIT */
/* test_activation.c — every φ' against central differences of φ, known
 * values, kinks, NaN propagation, and the array versions against the scalar
 * ones in both precisions. */
#include <float.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "gradsweep/activation.h"
#include "testing.h"

static gs_activation act_of(gs_activation_kind k) {
    gs_activation a = {k, 0.2}; /* a slope far from 0 and 1 tests leaky_relu properly */
    return a;
}

/* Central differences with step h have error h²/6·|φ'''| + ε|φ|/h; at
 * h = 1e-5 both stay below 1e-9 here, so 1e-8 relative (absolute near 0)
 * is a real check. Points stay 1e-3 away from kinks. */
static void test_derivative_central_differences(void) {
    const double h = 1e-5;
    for (int k = 0; k < GS_ACT_COUNT; k++) {
        gs_activation a = act_of((gs_activation_kind)k);
        double worst = 0;
        for (double z = -8.0; z <= 8.0; z += 0.0137) {
            if (fabs(z) < 1e-3) continue;
            double fd = (activation_phi(&a, z + h) - activation_phi(&a, z - h)) / (2 * h);
            double d = activation_dphi(&a, z);
            double err = fabs(fd - d) / fmax(1.0, fabs(d));
            if (err > worst) worst = err;
        }
        CHECK_MSG(worst < 1e-8, "%s: worst relative error %.3g", activation_name(a.kind), worst);
    }
}

static void test_known_values(void) {
    gs_activation selu = act_of(GS_ACT_SELU), gelu = act_of(GS_ACT_GELU);
    gs_activation silu = act_of(GS_ACT_SILU), sig = act_of(GS_ACT_SIGMOID);
    gs_activation sp = act_of(GS_ACT_SOFTPLUS), relu = act_of(GS_ACT_RELU);
    gs_activation leaky = act_of(GS_ACT_LEAKY_RELU), elu = act_of(GS_ACT_ELU);
    CHECK_NEAR(activation_phi(&selu, 1.0), GS_SELU_LAMBDA, 1e-15);
    CHECK_NEAR(activation_phi(&selu, -50.0), -GS_SELU_LAMBDA * GS_SELU_ALPHA, 1e-14);
    CHECK_NEAR(activation_phi(&gelu, 1.0), 0.8413447460685429, 1e-15); /* Φ(1) */
    CHECK_NEAR(activation_phi(&silu, 1.0), 0.7310585786300049, 1e-15); /* σ(1) */
    CHECK_NEAR(activation_phi(&sig, -800.0), 0.0, 1e-300);             /* no overflow */
    CHECK_NEAR(activation_phi(&sp, 800.0), 800.0, 1e-12);
    CHECK_NEAR(activation_phi(&sp, 0.0), log(2.0), 1e-15);
    /* PyTorch's choices at the kink. */
    CHECK(activation_dphi(&relu, 0.0) == 0.0);
    CHECK(activation_dphi(&leaky, 0.0) == 0.2);
    CHECK(activation_phi(&leaky, -1.0) == -0.2);
    CHECK(activation_dphi(&elu, 0.0) == 1.0);
}

static void test_nan_propagates(void) {
    for (int k = 1; k < GS_ACT_COUNT; k++) { /* linear's φ' is 1 whatever z is */
        gs_activation a = act_of((gs_activation_kind)k);
        CHECK_MSG(isnan(activation_phi(&a, NAN)), "%s", activation_name(a.kind));
        CHECK_MSG(isnan(activation_dphi(&a, NAN)), "%s'", activation_name(a.kind));
    }
}

/* Units in the last place of a float of magnitude `scale` between x and the
 * exact value y. */
static double float_ulps_at(float x, double y, double scale) {
    if (x == y || (isnan(x) && isnan(y))) return 0;
    double ulp = nextafterf((float)fabs(scale), INFINITY) - (float)fabs(scale);
    return fabs(x - y) / fmax(ulp, 1e-45);
}

static double float_ulps(float x, double y) { return float_ulps_at(x, y, y); }

static double sigma(double z) { return z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z)); }

/* φ' to double accuracy where the scalar formula cancels (1 - tanh², 1 - σ),
 * and the magnitude its float error is measured against: silu' crosses 0 at
 * z ≈ -1.28 as a difference of terms of size σ(z), so near there only an
 * absolute error at that scale is meaningful. */
static double exact_dphi(const gs_activation *act, double z, double *scale) {
    double d;
    switch (act->kind) {
    case GS_ACT_TANH: d = 1 / (cosh(z) * cosh(z)); break;
    case GS_ACT_SIGMOID: d = sigma(z) * sigma(-z); break;
    case GS_ACT_SILU: d = sigma(z) * (1 + z * sigma(-z)); break;
    default: d = activation_dphi(act, z); break;
    }
    *scale = act->kind == GS_ACT_SILU ? fmax(fabs(d), sigma(z)) : d;
    return d;
}

/* The exact φ and φ' in long double (64-bit significand: 11 bits beyond
 * double) for the activations with SIMD kernels in double. */
static long double sigma_ld(long double z) {
    return z >= 0 ? 1 / (1 + expl(-z)) : expl(z) / (1 + expl(z));
}

static bool exact_ld(const gs_activation *act, double zd, long double *phi, long double *dphi,
                     long double *dscale) {
    long double z = zd, lambda = 1, alpha = 1;
    switch (act->kind) {
    case GS_ACT_TANH:
        *phi = tanhl(z);
        *dphi = 1 / (coshl(z) * coshl(z));
        break;
    case GS_ACT_SIGMOID:
        *phi = sigma_ld(z);
        *dphi = sigma_ld(z) * sigma_ld(-z);
        break;
    case GS_ACT_SILU:
        *phi = z * sigma_ld(z);
        *dphi = sigma_ld(z) * (1 + z * sigma_ld(-z));
        break;
    case GS_ACT_SELU: lambda = GS_SELU_LAMBDA, alpha = GS_SELU_ALPHA; /* fall through */
    case GS_ACT_ELU:
        *phi = lambda * (z > 0 ? z : alpha * expm1l(z));
        *dphi = lambda * (z > 0 ? 1 : alpha * expl(z));
        break;
    default: return false;
    }
    /* silu' crosses 0 as a difference of terms of size σ(z) (see exact_dphi) */
    *dscale = act->kind == GS_ACT_SILU ? fmaxl(fabsl(*dphi), sigma_ld(z)) : *dphi;
    return true;
}

/* Units in the last place of a double of magnitude `scale` between x and y.
 * Below the smallest normal double the kernels flush to 0 (fastmath.h), so an
 * absolute error under DBL_MIN counts as none. */
static double double_ulps_at(double x, long double y, long double scale) {
    if (x == y || (isnan(x) && isnan(y))) return 0;
    double s = (double)fabsl(scale), ulp = nextafter(s, INFINITY) - s;
    return (double)(fabsl(x - y) / fmax(ulp, DBL_MIN));
}

/* The arrays against the scalar functions. Where a SIMD kernel serves (tanh,
 * sigmoid, silu, elu, selu) within a few ulps of the exact value, in both
 * tails and at NaN; elsewhere in double bit for bit (the same library
 * formulas). In float within a few ulps everywhere. */
static void test_arrays_match_scalars(void) {
    enum { N = 4001, EXTRA = 16 };
    static const double extra[EXTRA] = {1e-300, -1e-300, 1e-8, -1e-8, 0.2999999, 0.3,  -0.3, 0.35,
                                        -0.35,  35,      -35,  300,   -700,      -720, 710,  -1e4};
    static double z[N + EXTRA], a[N + EXTRA], d[N + EXTRA];
    static float zf[N], af[N], df[N];
    for (int i = 0; i < N; i++) {
        z[i] = -20.0 + 40.0 * i / (N - 1);
        zf[i] = (float)z[i];
    }
    for (int i = 0; i < EXTRA; i++)
        z[N + i] = extra[i];
    for (int k = 0; k < GS_ACT_COUNT; k++) {
        gs_activation act = act_of((gs_activation_kind)k);
        activation_apply_f64(&act, z, a, d, N + EXTRA);
        activation_apply_f32(&act, zf, af, df, N);
        int bad = 0;
        double worst = 0, worst64 = 0;
        for (int i = 0; i < N + EXTRA; i++) {
            long double phi, dphi, dscale;
            if (exact_ld(&act, z[i], &phi, &dphi, &dscale))
                worst64 = fmax(worst64, fmax(double_ulps_at(a[i], phi, phi),
                                             double_ulps_at(d[i], dphi, dscale)));
            else
                bad += a[i] != activation_phi(&act, z[i]) || d[i] != activation_dphi(&act, z[i]);
            if (i >= N) continue;
            double scale, exact_a = activation_phi(&act, (double)zf[i]);
            double exact_d = exact_dphi(&act, (double)zf[i], &scale);
            worst =
                fmax(worst, fmax(float_ulps(af[i], exact_a), float_ulps_at(df[i], exact_d, scale)));
        }
        CHECK_MSG(bad == 0, "%s: %d double mismatches", activation_name(act.kind), bad);
        /* Error budget of the float kernels: fast_expf ≤ 2.5 ulp (reduction
         * and Horner roundings; its series truncation is 0.02 ulp), then at
         * most four more roundings of 0.5 ulp (1 + e, a division, up to two
         * products): 4.5 ulp, plus 0.5 for comparing with the exact value
         * rather than its rounding. Measured: ≤ 4 (sigmoid, silu). The
         * double kernels have the same structure (their series truncations
         * are below 0.05 ulp): the same budget. */
        CHECK_MSG(worst <= 6, "%s: float worst error %.2f ulp", activation_name(act.kind), worst);
        CHECK_MSG(worst64 <= 6, "%s: double worst error %.2f ulp", activation_name(act.kind),
                  worst64);
        if (getenv("GS_PRINT_ULPS"))
            printf("%-10s float %.2f ulp, double %.2f ulp\n", activation_name(act.kind), worst,
                   worst64);
        double nan_in = NAN, nan_a, nan_d;
        float nan_f = NAN, nan_af, nan_df;
        activation_apply_f64(&act, &nan_in, &nan_a, &nan_d, 1);
        activation_apply_f32(&act, &nan_f, &nan_af, &nan_df, 1);
        bool linear = k == GS_ACT_LINEAR; /* its φ' is 1 whatever z is */
        CHECK_MSG(isnan(nan_a) && (linear || isnan(nan_d)) && isnan(nan_af) &&
                      (linear || isnan(nan_df)),
                  "%s: NaN in, not out", activation_name(act.kind));
    }
    /* φ in place is allowed. */
    gs_activation tanh_act = act_of(GS_ACT_TANH);
    double w[3] = {-1, 0, 2}, dw[3];
    activation_apply_f64(&tanh_act, w, w, dw, 3);
    CHECK(fabs(w[0] - tanh(-1.0)) < 1e-15 && w[1] == 0 && fabs(w[2] - tanh(2.0)) < 1e-15);
    CHECK(dw[1] == 1.0 && fabs(dw[2] - (1.0 - tanh(2.0) * tanh(2.0))) < 1e-15);
    float wf[3] = {-1, 0, 2}, dwf[3];
    activation_apply_f32(&tanh_act, wf, wf, dwf, 3);
    CHECK(float_ulps(wf[0], tanh(-1.0)) <= 4 && wf[1] == 0 && float_ulps(wf[2], tanh(2.0)) <= 4);
}

static void test_names(void) {
    char meanings[256] = "";
    for (int k = 0; k < GS_ACT_COUNT; k++) {
        gs_activation_kind back;
        CHECK(activation_parse(activation_name((gs_activation_kind)k), &back) == 0 &&
              (int)back == k);
        if (k) strcat(meanings, " ");
        strcat(meanings, activation_name((gs_activation_kind)k));
    }
    CHECK(strcmp(meanings, activation_flag_meanings()) == 0);
    gs_activation_kind unused;
    CHECK(activation_parse("ReLU", &unused) == -1);
    CHECK(activation_name(GS_ACT_COUNT) == NULL);
}

int main(void) {
    RUN(test_derivative_central_differences);
    RUN(test_known_values);
    RUN(test_nan_propagates);
    RUN(test_arrays_match_scalars);
    RUN(test_names);
    TEST_MAIN_END();
}
