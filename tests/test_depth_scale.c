/* SPDX-License-Identifier: MIT */
/* test_depth_scale.c — the measured depth scales (depth_scale.h) alone, on
 * series whose answer is known: a noise-free exponential (exact), first-order
 * autoregressive series with the noise the fit assumes (its estimate unbiased
 * and its standard error right, over many replicates), every failure case
 * with its reason, and the two sampling-error formulas against Monte Carlo
 * batches of Gaussian pre-activations. Random numbers: gradsweep's own Philox
 * streams with fixed seeds, so every run checks the same numbers. */
#include <stdlib.h>

#include "gradsweep/depth_scale.h"
#include "gradsweep/rng.h"
#include "testing.h"

enum { MAX_DEPTH = 200 };

/* A series's noise: sd, either fixed or a fraction of the expected deviation. */
typedef struct synthetic_noise {
    double sd;       /* additive: every layer's fluctuation */
    double relative; /* multiplicative: sd = relative · |expected − f| */
    double f;
} synthetic_noise;

static double noise_of(void *ctx, int layer, double expected) {
    const synthetic_noise *k = ctx;
    (void)layer;
    return k->relative > 0 ? k->relative * fabs(expected - k->f) : k->sd;
}

typedef struct series_buf {
    double measured[MAX_DEPTH], theory[MAX_DEPTH];
    synthetic_noise noise;
    gs_decay_series s;
} series_buf;

/* theory[l] = f + d1 χ^(l−1); measured the AR(1) d[l] = χ d[l−1] + η[l] from
 * d[1] = d1, η of the noise's sd, from Philox stream `seed`. */
static void make_series(series_buf *b, int depth, double f, double d1, double chi,
                        synthetic_noise noise, uint64_t seed) {
    b->noise = noise;
    b->noise.f = f;
    double eta[MAX_DEPTH];
    gs_stream st = rng_stream(15, seed, 1, 0, 0, GS_DRAW_INPUT);
    rng_normal(&st, 0, (size_t)depth, eta);
    double d = d1;
    for (int l = 1; l <= depth; l++) {
        b->theory[l - 1] = f + d1 * pow(chi, l - 1);
        if (l > 1) {
            double expected = f + chi * d;
            d = chi * d + eta[l - 1] * noise_of(&b->noise, l, expected);
        }
        b->measured[l - 1] = f + d;
    }
    b->s = (gs_decay_series){.depth = depth,
                             .measured = b->measured,
                             .measured_stride = sizeof(double),
                             .theory = b->theory,
                             .theory_stride = sizeof(double),
                             .fixed_point = f,
                             .xi_theory = -1 / log(chi),
                             .precision_floor = 1e-13,
                             .noise = noise_of,
                             .noise_ctx = &b->noise};
}

/* ---- exact answers ------------------------------------------------------------------ */

/* Without noise the measured curve is the theory's exponential: the fit
 * returns its ξ to rounding, over the whole network (start at layer 2: the
 * curve is exponential from the first step). */
static void test_noise_free_exponential(void) {
    series_buf b;
    make_series(&b, 30, 0.25, -0.2, 0.8, (synthetic_noise){.sd = 1e-9}, 1);
    for (int l = 1; l <= 30; l++) /* exactly the theory: no noise at all */
        b.measured[l - 1] = b.theory[l - 1];
    gs_decay_fit fit;
    decay_fit(&b.s, &fit);
    CHECK(fit.reason == GS_XI_FITTED);
    CHECK_NEAR(fit.xi, -1 / log(0.8), 1e-9);
    CHECK_NEAR(fit.chi, 0.8, 1e-12);
    CHECK(fit.first_layer == 2 && fit.last_layer == 30 && fit.steps == 29);
    CHECK(fit.chi2_dof < 1e-12 && fit.xi_stderr > 0 && fit.xi_stderr < 1e-3);
}

/* The window starts where the theory's local depth scale settles within the
 * tolerance: a theory curve that decays twice as fast for its first 6 steps
 * (a non-linear transient) puts the start at layer 8. */
static void test_window_starts_after_the_transient(void) {
    series_buf b;
    make_series(&b, 40, 1.0, -0.9, 0.85, (synthetic_noise){.relative = 0.01}, 2);
    double d = -0.9;
    for (int l = 1; l <= 40; l++) { /* steps l = 2 … 7 at χ², then at χ */
        if (l > 1) d *= l <= 7 ? 0.85 * 0.85 : 0.85;
        b.theory[l - 1] = 1.0 + d;
        b.measured[l - 1] = 1.0 + d;
    }
    gs_decay_fit fit;
    decay_fit(&b.s, &fit);
    CHECK(fit.reason == GS_XI_FITTED && fit.first_layer == 8 && fit.last_layer == 40);
    CHECK_NEAR(fit.xi, -1 / log(0.85), 1e-9);
}

/* ---- statistics: unbiased, and the standard error right -------------------------------- */

/* R replicates of an AR(1) series with the assumed noise: the mean of the
 * fitted χ lies within a quarter of one fit's standard deviation of the true
 * one (what is left is the least-squares estimator's own small-sample bias,
 * 3 % of a standard deviation or less over long windows, 16 % over a short
 * window near the floor; the mean of R = 400 is known to 5 % of one), and (χ̂ − χ)/SE has a root
 * mean square near 1: between 0.8 and 1.15, the standard error never being scaled below the
 * sampling model (so slightly conservative), and an RMS of R = 400 values itself uncertain by
 * 1/√(2R) = 3.5 %. */
static void check_calibration(const char *what, double chi, double d1, synthetic_noise noise,
                              int depth) {
    enum { R = 400 };
    double sum = 0, sum_sq = 0, sum_z2 = 0;
    int fitted = 0;
    for (int r = 0; r < R; r++) {
        series_buf b;
        make_series(&b, depth, 0.3, d1, chi, noise, 1000 + (uint64_t)r);
        gs_decay_fit fit;
        decay_fit(&b.s, &fit);
        if (fit.reason != GS_XI_FITTED) continue;
        fitted++;
        sum += fit.chi;
        sum_sq += fit.chi * fit.chi;
        double z = (fit.chi - chi) / fit.chi_stderr;
        sum_z2 += z * z;
    }
    double mean = sum / fitted, sd = sqrt(fmax(0, sum_sq / fitted - mean * mean));
    double rms_z = sqrt(sum_z2 / fitted);
    CHECK_MSG(fitted >= R * 0.98, "%s: only %d of %d fitted", what, fitted, R);
    CHECK_MSG(fabs(mean - chi) <= 0.25 * sd, "%s: mean chi %.5f vs %.5f (sd %.4f)", what, mean, chi,
              sd);
    CHECK_MSG(rms_z >= 0.8 && rms_z <= 1.15, "%s: rms z %.3f", what, rms_z);
}

static void test_calibration(void) {
    /* chaotic-like: additive noise, a window ending at the noise floor */
    check_calibration("additive", 0.86, -0.25, (synthetic_noise){.sd = 0.008}, 40);
    check_calibration("additive, fast", 0.6, 0.8, (synthetic_noise){.sd = 0.005}, 30);
    /* starting 6 noise-sd above the floor: a window of ~9 steps, where ending it at the
     * measured (rather than expected) deviation's first dip would bias χ up */
    check_calibration("additive, near the floor", 0.86, 0.2, (synthetic_noise){.sd = 0.01}, 40);
    /* ordered-like: the noise shrinks with the deviation (c → 1), no floor */
    check_calibration("multiplicative", 0.7, -0.5, (synthetic_noise){.relative = 0.044}, 40);
}

/* ---- failure cases ----------------------------------------------------------------------- */

static gs_xi_reason reason_of(const series_buf *b) {
    gs_decay_fit fit;
    decay_fit(&b->s, &fit);
    bool nan_value = isnan(fit.xi) && isnan(fit.xi_stderr);
    if (fit.reason != GS_XI_FITTED) CHECK(nan_value && fit.first_layer == 0 && fit.last_layer == 0);
    return fit.reason;
}

static void test_failure_reasons(void) {
    series_buf b;
    synthetic_noise noise = {.sd = 0.005};
    make_series(&b, 30, 0.3, -0.3, 0.8, noise, 3);
    CHECK(reason_of(&b) == GS_XI_FITTED);

    series_buf x = b; /* the theory's verdicts come first */
    x.s.measured = x.measured, x.s.theory = x.theory, x.s.noise_ctx = &x.noise;
    x.s.fixed_point = INFINITY;
    CHECK(reason_of(&x) == GS_XI_NO_FIXED_POINT);
    x.s.fixed_point = NAN;
    CHECK(reason_of(&x) == GS_XI_NO_FIXED_POINT);
    x.s.fixed_point = 0.3;
    x.s.xi_theory = NAN; /* χ > 1 at f: it repels */
    CHECK(reason_of(&x) == GS_XI_REPELLING);
    x.s.xi_theory = INFINITY; /* χ = 1: a power law */
    CHECK(reason_of(&x) == GS_XI_MARGINAL);
    x.s.xi_theory = b.s.xi_theory;
    x.s.depth = DEPTH_SCALE_MIN_STEPS; /* L − 1 steps < 3 */
    CHECK(reason_of(&x) == GS_XI_TOO_SHALLOW);
    x.s.depth = 30;
    x.measured[7] = NAN;
    CHECK(reason_of(&x) == GS_XI_NO_DATA);

    /* The theory's curve decays at 1.3 times its own ξ's rate all along: it
     * never settles into its asymptotic approach within the network. */
    make_series(&x, 30, 0.3, -0.3, 0.8, noise, 3);
    for (int l = 1; l <= 30; l++)
        x.theory[l - 1] = 0.3 - 0.3 * pow(0.8, 1.3 * (l - 1));
    CHECK(reason_of(&x) == GS_XI_LONG_TRANSIENT);

    /* Starting at the fixed point: nothing but noise to fit. */
    make_series(&x, 30, 0.3, 0.001, 0.8, noise, 4);
    CHECK(reason_of(&x) == GS_XI_SHORT_TRANSIENT);
    /* A decay within two layers: the floor is reached after 2 steps. */
    make_series(&x, 30, 0.3, 0.05, 0.3, noise, 5);
    CHECK(reason_of(&x) == GS_XI_SHORT_TRANSIENT);

    /* The network does not follow a stable theory: its deviation stays
     * (χ = 1: no decay) or grows (χ = 1.08: it repels). */
    make_series(&x, 30, 0.3, -0.3, 1.0, noise, 6);
    for (int l = 1; l <= 30; l++) /* the theory still says 0.8 */
        x.theory[l - 1] = 0.3 - 0.3 * pow(0.8, l - 1);
    x.s.xi_theory = -1 / log(0.8);
    CHECK(reason_of(&x) == GS_XI_NO_DECAY);
    make_series(&x, 30, 0.3, -0.3, 1.08, noise, 7);
    for (int l = 1; l <= 30; l++)
        x.theory[l - 1] = 0.3 - 0.3 * pow(0.8, l - 1);
    x.s.xi_theory = -1 / log(0.8);
    CHECK(reason_of(&x) == GS_XI_REPELLING);
}

/* A measured curve that reaches the fixed point exactly (c = 1 in float) ends
 * the window at the precision floor rather than dividing by zero. */
static void test_precision_floor(void) {
    series_buf b;
    make_series(&b, 60, 1.0, -0.5, 0.5, (synthetic_noise){.relative = 0.01}, 8);
    for (int l = 30; l <= 60; l++)
        b.measured[l - 1] = 1.0;
    b.s.precision_floor = 1e-12;
    gs_decay_fit fit;
    decay_fit(&b.s, &fit);
    CHECK(fit.reason == GS_XI_FITTED && fit.last_layer < 30 && isfinite(fit.xi));
    CHECK_NEAR(fit.xi, -1 / log(0.5), 5 * fit.xi_stderr);
}

/* ---- the sampling errors against Monte Carlo --------------------------------------------- */

/* R batches of B samples, n units each, with z_si = √c u_i + √(1−c) v_si
 * (u, v standard normals): every pair correlated c. The standard deviations
 * of their mean cosine over pairs and of their mean z² agree with
 * depth_scale_c_noise and depth_scale_q_noise: an estimated sd of R = 1500
 * values is uncertain by 1/√(2(R−1)) = 1.8 %, and the delta method's own
 * error is O(1/n) = 0.4 % here; tolerance 4 × 1.8 % + 1 % = 8 %. */
static void test_noise_formulas(void) {
    enum { R = 1500, N = 256, B = 8 };
    const double cs[] = {0.0, 0.3, 0.8};
    static double z[B][N];
    double u[N], v[N];
    for (size_t k = 0; k < sizeof cs / sizeof *cs; k++) {
        const double c = cs[k];
        double sum_c = 0, sum_c2 = 0, sum_q = 0, sum_q2 = 0;
        for (int r = 0; r < R; r++) {
            gs_stream st = rng_stream(16, (uint64_t)(k * R + r), N, 0, 0, GS_DRAW_PROBE);
            rng_normal(&st, 0, N, u);
            for (int s = 0; s < B; s++) {
                rng_normal(&st, (uint64_t)(s + 1) * N, N, v);
                for (int i = 0; i < N; i++)
                    z[s][i] = sqrt(c) * u[i] + sqrt(1 - c) * v[i];
            }
            double norm[B], mean_cos = 0, q = 0;
            for (int s = 0; s < B; s++) {
                double ss = 0;
                for (int i = 0; i < N; i++)
                    ss += z[s][i] * z[s][i];
                norm[s] = sqrt(ss);
                q += ss / ((double)N * B);
            }
            for (int s = 0; s < B; s++)
                for (int t = s + 1; t < B; t++) {
                    double dot = 0;
                    for (int i = 0; i < N; i++)
                        dot += z[s][i] * z[t][i];
                    mean_cos += dot / (norm[s] * norm[t]) / (B * (B - 1) / 2.0);
                }
            sum_c += mean_cos, sum_c2 += mean_cos * mean_cos;
            sum_q += q, sum_q2 += q * q;
        }
        double sd_c = sqrt(sum_c2 / R - (sum_c / R) * (sum_c / R));
        double sd_q = sqrt(sum_q2 / R - (sum_q / R) * (sum_q / R));
        double model_c = depth_scale_c_noise(c, N, B), model_q = depth_scale_q_noise(1, c, N, B);
        CHECK_MSG(fabs(sd_c / model_c - 1) <= 0.08, "c = %g: sd of c %.5f, model %.5f", c, sd_c,
                  model_c);
        CHECK_MSG(fabs(sd_q / model_q - 1) <= 0.08, "c = %g: sd of q %.5f, model %.5f", c, sd_q,
                  model_q);
    }
    /* two samples: the classical (1 − c²)/√n */
    CHECK_NEAR(depth_scale_c_noise(0.6, 400, 2), (1 - 0.36) / 20, 1e-15);
    CHECK(depth_scale_c_noise(1.0, 400, 128) == 0 && depth_scale_c_noise(1.5, 400, 128) == 0);
}

/* ---- one configuration ----------------------------------------------------------------------- */

static void test_measure_configuration(void) {
    enum { L = 40 };
    gs_layer_stats layers[L];
    gs_layer_theory theory[L];
    gs_config cfg = {.depth = L, .width = 1024, .batch = 128, .precision = GS_FLOAT64};
    gs_result res = {.layers = layers, .theory = theory};
    result_clear(&res, L);
    /* a chaotic-like c approaching 0.26 at χ_c = 0.86; q settled from layer 1 */
    for (int l = 1; l <= L; l++) {
        theory[l - 1] = (gs_layer_theory){.q = 2.25, .c = 0.26 - 0.25 * pow(0.86, l - 1)};
        layers[l - 1].c = theory[l - 1].c;
        layers[l - 1].q = 2.25;
    }
    res.status = GS_STATUS_DONE;
    res.q_star_theory = 2.25, res.c_star_theory = 0.26;
    res.xi_c_theory = -1 / log(0.86), res.xi_q_theory = 0.85;
    depth_scales_measure(&cfg, &res);
    CHECK(res.xi_c_measured_reason == GS_XI_FITTED);
    CHECK_NEAR(res.xi_c_measured, -1 / log(0.86), 1e-9);
    CHECK(res.xi_c_fit_first_layer == 2 && res.xi_c_fit_last_layer > 2);
    CHECK(res.xi_q_measured_reason == GS_XI_SHORT_TRANSIENT && isnan(res.xi_q_measured));

    gs_result other = res;
    other.status = GS_STATUS_NONFINITE; /* nothing of a nonfinite network is fitted */
    depth_scales_measure(&cfg, &other);
    CHECK(other.xi_c_measured_reason == GS_XI_NO_DATA &&
          other.xi_q_measured_reason == GS_XI_NO_DATA);
    CHECK(isnan(other.xi_c_measured) && other.xi_c_fit_first_layer == 0);
    other = res;
    other.q_star_theory = 0; /* the signal dies out: no correlation fixed point */
    depth_scales_measure(&cfg, &other);
    CHECK(other.xi_c_measured_reason == GS_XI_NO_FIXED_POINT);
    other = res;
    other.xi_q_theory = NAN; /* q* repels: so does c* */
    depth_scales_measure(&cfg, &other);
    CHECK(other.xi_c_measured_reason == GS_XI_REPELLING);
    CHECK(other.xi_q_measured_reason == GS_XI_REPELLING);
    /* a fresh result's fill is no_data, as in a file's pending rows */
    result_clear(&other, L);
    CHECK(other.xi_c_measured_reason == GS_XI_NO_DATA && isnan(other.xi_q_measured_stderr));
    CHECK(strcmp(xi_reason_flag_meanings(), "no_data fitted no_fixed_point repelling marginal "
                                            "too_shallow long_transient short_transient "
                                            "no_decay") == 0);
}

int main(void) {
    RUN(test_noise_free_exponential);
    RUN(test_window_starts_after_the_transient);
    RUN(test_calibration);
    RUN(test_failure_reasons);
    RUN(test_precision_floor);
    RUN(test_noise_formulas);
    RUN(test_measure_configuration);
    TEST_MAIN_END();
}
