/* SPDX-License-Identifier: MIT */
/* test_jacobian.c — the input-output Jacobian (issue 13; jacobian.h): J[L]
 * against central differences of the network's own output, every layer's
 * statistics against J[l] of the prefix network computed by hand, LAPACK's
 * singular values against traces, exact isometries, the power-of-two
 * renormalisation past float32's and double's range, memory plans and
 * buffer reuse, dead networks; and the free-probability theory: E[φ'⁴]
 * against closed forms and mpmath, and its sums and products against a
 * recomputation from the length map. */
#include <float.h>
#include <stdlib.h>

#include "gradsweep/net.h"
#include "gradsweep/theory.h"
#include "testing.h"

enum { MAX_DEPTH = 1200, MAX_WIDTH = 64 };

static gs_config config(gs_activation_kind act, gs_init init, int depth, int width, int batch,
                        int samples) {
    gs_config c = {.depth = depth,
                   .width = width,
                   .batch = batch,
                   .act = {act, 0.2},
                   .init = init,
                   .sigma_w = 1.3,
                   .sigma_b = 0.4,
                   .seed = 3,
                   .base_seed = 11,
                   .precision = GS_FLOAT64,
                   .loss = GS_LOSS_PROBE,
                   .jacobian_samples = samples};
    return c;
}

/* A result with room for everything, reset by net_run. */
typedef struct holder {
    gs_layer_stats layers[MAX_DEPTH];
    gs_jacobian_stats jacobian[MAX_DEPTH];
    double sv[MAX_WIDTH];
    gs_result res;
} holder;

static gs_result *fresh(holder *h) {
    h->res = (gs_result){
        .layers = h->layers, .jacobian = h->jacobian, .jac_sv = h->sv, .jac_sv_room = MAX_WIDTH};
    return &h->res;
}

static gs_result *run(gs_net *net, holder *h, gs_config cfg) {
    gs_error err = {0};
    gs_result *res = fresh(h);
    CHECK_MSG(net_run(net, &cfg, res, NULL, &err) == 0, "%s", err.msg);
    return res;
}

/* mean λ and Var λ / mean² of J J^T for J (rows × cols, row-major), by hand:
 * tr(JJᵀ)/rows and tr((JJᵀ)²)/rows. */
static void spectrum_by_hand(const double *J, int rows, int cols, double *mean, double *ratio) {
    double t1 = 0, t2 = 0;
    for (int i = 0; i < rows; i++)
        for (int k = 0; k < rows; k++) {
            double g = 0;
            for (int j = 0; j < cols; j++)
                g += J[i * cols + j] * J[k * cols + j];
            if (i == k) t1 += g;
            t2 += g * g;
        }
    *mean = t1 / rows;
    *ratio = (t2 / rows) / (*mean * *mean) - 1;
}

/* J[L] of sample s by central differences of a[L] with respect to x[s, :]:
 * column j is (a[L](x + h e_j) − a[L](x − h e_j)) / 2h, row s of the output. */
static void jacobian_by_differences(gs_net *net, holder *h, const gs_config *cfg, int s,
                                    double step, double *J) {
    const int n = cfg->width;
    double *x = net_input(net);
    for (int j = 0; j < n; j++) {
        double keep = x[s * n + j], up[MAX_WIDTH], down[MAX_WIDTH];
        x[s * n + j] = keep + step;
        net_forward(net, fresh(h), NULL);
        memcpy(up, (const double *)net_output(net) + s * n, n * sizeof(double));
        x[s * n + j] = keep - step;
        net_forward(net, fresh(h), NULL);
        memcpy(down, (const double *)net_output(net) + s * n, n * sizeof(double));
        x[s * n + j] = keep;
        for (int i = 0; i < n; i++)
            J[i * n + j] = (up[i] - down[i]) / (2 * step);
    }
    net_forward(net, fresh(h), NULL); /* leave the unperturbed pass behind */
}

static double relative_difference(const double *a, const double *b, size_t count) {
    double diff = 0, norm = 0;
    for (size_t k = 0; k < count; k++) {
        diff += (a[k] - b[k]) * (a[k] - b[k]);
        norm += b[k] * b[k];
    }
    return sqrt(diff) / fmax(sqrt(norm), 1e-300);
}

/* J[L] of every one of K = 3 samples against central differences (step
 * 1e-6: truncation ~1e-12·|a'''|, rounding ~1e-16/1e-6 = 1e-10 relative),
 * for every activation and init, with biases. Then each layer's statistics
 * of the deep network against those of J[l] of the depth-l network (the
 * same draws: a prefix), computed by hand. */
static void test_finite_differences(void) {
    static holder h, prefix;
    const int n = 6, L = 4, B = 4, K = 3;
    gs_net *net = net_create(), *shallow = net_create();
    double J[MAX_WIDTH * MAX_WIDTH], fd[MAX_WIDTH * MAX_WIDTH];
    double worst = 0;
    for (int act = 0; act < GS_ACT_COUNT; act++)
        for (int init = 0; init < GS_INIT_COUNT; init++) {
            gs_config cfg = config((gs_activation_kind)act, (gs_init)init, L, n, B, K);
            gs_error err = {0};
            CHECK(net_prepare(net, &cfg, NULL, &err) == 0);
            net_forward(net, fresh(&h), NULL);
            for (int s = 0; s < K; s++) {
                CHECK(net_jacobian(net, s, J) == 0);
                jacobian_by_differences(net, &h, &cfg, s, 1e-6, fd);
                double e = relative_difference(J, fd, (size_t)n * n);
                CHECK_MSG(e < 1e-7,
                          "%s %s sample %d: J[L] differs from central differences by "
                          "%.3g",
                          activation_name((gs_activation_kind)act), init_name((gs_init)init), s, e);
                worst = fmax(worst, e);
            }
            CHECK(net_jacobian(net, K, J) == -1); /* only K samples are carried */
            const gs_jacobian_stats *deep = h.res.jacobian;
            for (int l = 1; l <= L; l++) {
                gs_config part = cfg;
                part.depth = l;
                run(shallow, &prefix, part);
                double mean_sum = 0, ratio_sum = 0;
                for (int s = 0; s < K; s++) {
                    double mean, ratio;
                    CHECK(net_jacobian(shallow, s, J) == 0);
                    spectrum_by_hand(J, n, n, &mean, &ratio);
                    mean_sum += mean, ratio_sum += ratio;
                }
                CHECK_NEAR(deep[l - 1].jac_sq_sv_mean, mean_sum / K, 1e-12 * mean_sum / K);
                /* a relu layer whose 6 units all died: J = 0, no shape (NaN) in both */
                double r = deep[l - 1].jac_sq_sv_var_ratio;
                if (!(isnan(r) && isnan(ratio_sum)))
                    CHECK_NEAR(r, ratio_sum / K, 1e-10 * fmax(1.0, ratio_sum / K));
            }
        }
    fprintf(stderr, "  worst relative difference from central differences: %.2g\n", worst);
    net_destroy(&net);
    net_destroy(&shallow);
}

/* LAPACK's singular values of J[L]: descending, Σσ² = ‖J‖_F², Σσ⁴ =
 * ‖JJᵀ‖_F², largest and smallest as stored, NaN past the width. */
static void test_singular_values(void) {
    static holder h;
    const int n = 24;
    gs_net *net = net_create();
    gs_config cfg = config(GS_ACT_TANH, GS_INIT_GAUSSIAN, 5, n, 2, 2);
    gs_result *res = run(net, &h, cfg);
    double J[MAX_WIDTH * MAX_WIDTH], mean, ratio, s2 = 0, s4 = 0;
    CHECK(net_jacobian(net, 0, J) == 0);
    spectrum_by_hand(J, n, n, &mean, &ratio);
    for (int k = 0; k < n; k++) {
        double s = res->jac_sv[k];
        CHECK(s > 0 && (k == 0 || s <= res->jac_sv[k - 1]));
        s2 += s * s, s4 += s * s * s * s;
    }
    CHECK_NEAR(s2 / n, mean, 1e-13 * mean);
    CHECK_NEAR((s4 / n) / ((s2 / n) * (s2 / n)) - 1, ratio, 1e-11 * ratio);
    CHECK(res->jac_sv_max == res->jac_sv[0] && res->jac_sv_min == res->jac_sv[n - 1]);
    for (int k = n; k < MAX_WIDTH; k++)
        CHECK(isnan(res->jac_sv[k]));
    net_destroy(&net);
}

/* Orthogonal linear networks are isometries times σw^L: every singular value
 * σw^L to rounding (a GEMM adds ~1e-16·√n relative per layer, so after L
 * layers ~1e-16·√(nL): 2e-14 at n = 64, L = 1000; bound 1e-12), normalised
 * variance ~1e-30. Past double's range (σw = 2 and 1/2 at depth 1100:
 * 2^±1100) the scale is inf or 0 while the shape stays exact; in float32,
 * 2^200 (beyond float's 2^128) is right to float's rounding. */
static void test_isometry(void) {
    static holder h;
    const int n = 64;
    gs_net *net = net_create();
    const struct {
        int depth;
        double sigma_w;
        gs_precision precision;
        double expect, tol; /* the singular values' value and relative tolerance */
    } cases[] = {
        {1, 1.0, GS_FLOAT64, 1, 1e-12},
        {1000, 1.0, GS_FLOAT64, 1, 1e-12},
        {30, 1.25, GS_FLOAT64, 807.79356694631609, 1e-12}, /* 1.25^30 */
        {1100, 2.0, GS_FLOAT64, INFINITY, 0},
        {1100, 0.5, GS_FLOAT64, 0, 0},
        {200, 2.0, GS_FLOAT32, 0x1p200, 1e-4},
        {200, 1.0, GS_FLOAT32, 1, 1e-4},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        gs_config cfg = config(GS_ACT_LINEAR, GS_INIT_ORTHOGONAL, cases[c].depth, n, 1, 1);
        cfg.sigma_w = cases[c].sigma_w;
        cfg.sigma_b = 0;
        cfg.precision = cases[c].precision;
        gs_result *res = run(net, &h, cfg);
        double worst = 0;
        for (int k = 0; k < n; k++) {
            double s = res->jac_sv[k], e = cases[c].expect;
            worst = fmax(worst, isfinite(e) && e > 0 ? fabs(s / e - 1) : (s == e ? 0 : INFINITY));
        }
        CHECK_MSG(worst <= cases[c].tol, "case %zu: singular values off by %.3g relative", c,
                  worst);
        fprintf(stderr,
                "  orthogonal linear, depth %d, sigma_w %g, %s: worst relative error %.2g\n",
                cfg.depth, cfg.sigma_w, precision_name(cfg.precision), worst);
        double isometry = cases[c].precision == GS_FLOAT64 ? 1e-25 : 1e-8;
        for (int l = 0; l < cfg.depth; l++)
            CHECK_MSG(res->jacobian[l].jac_sq_sv_var_ratio >= 0 &&
                          res->jacobian[l].jac_sq_sv_var_ratio < isometry,
                      "case %zu layer %d: var ratio %.3g", c, l + 1,
                      res->jacobian[l].jac_sq_sv_var_ratio);
        double mean = res->jacobian[cfg.depth - 1].jac_sq_sv_mean, e2 = cases[c].expect;
        e2 *= e2;
        CHECK(isfinite(e2) && e2 > 0 ? fabs(mean / e2 - 1) <= 2 * cases[c].tol : mean == e2);
    }
    net_destroy(&net);
}

/* float32 and float64 carry the same Jacobian to float's rounding. */
static void test_precisions_agree(void) {
    static holder a, b;
    gs_net *net = net_create();
    gs_config cfg = config(GS_ACT_TANH, GS_INIT_GAUSSIAN, 12, 48, 3, 2);
    cfg.sigma_w = 1.1;
    gs_result *r64 = run(net, &a, cfg);
    cfg.precision = GS_FLOAT32;
    gs_result *r32 = run(net, &b, cfg);
    for (int l = 0; l < cfg.depth; l++) {
        CHECK_NEAR(r32->jacobian[l].jac_sq_sv_mean, r64->jacobian[l].jac_sq_sv_mean,
                   1e-4 * r64->jacobian[l].jac_sq_sv_mean);
        CHECK_NEAR(r32->jacobian[l].jac_sq_sv_var_ratio, r64->jacobian[l].jac_sq_sv_var_ratio,
                   1e-4 * r64->jacobian[l].jac_sq_sv_var_ratio);
    }
    CHECK_NEAR(r32->jac_sv_max, r64->jac_sv_max, 1e-4 * r64->jac_sv_max);
    net_destroy(&net);
}

/* The Jacobian is carried forward under every memory plan, bit for bit the
 * same, and a configuration computed after another (buffers reused and
 * grown, draws shared) gives the same bits as one computed alone. */
static void test_plans_and_reuse(void) {
    static holder ref, other, again;
    gs_config cfg = config(GS_ACT_RELU, GS_INIT_ORTHOGONAL, 17, 40, 5, 3);
    cfg.sigma_w = M_SQRT2;
    gs_net *net = net_create();
    gs_result *reference = run(net, &ref, cfg);
    gs_memory_plan full, least;
    CHECK(net_memory_plan(&cfg, 0, &full));
    CHECK(!net_memory_plan(&cfg, 1, &least) && least.mode == GS_MEMORY_CHECKPOINT);
    size_t limits[] = {full.bytes - 1, least.bytes}; /* redraw weights; checkpoint */
    for (size_t k = 0; k < 2; k++) {
        gs_net *tight = net_create();
        net_set_memory_limit(tight, limits[k]);
        gs_result *res = run(tight, &other, cfg);
        CHECK(memcmp(res->jacobian, reference->jacobian, 17 * sizeof *res->jacobian) == 0);
        CHECK(memcmp(res->jac_sv, reference->jac_sv, 40 * sizeof(double)) == 0);
        net_destroy(&tight);
    }
    gs_config bigger = cfg;
    bigger.width = 64, bigger.depth = 30, bigger.jacobian_samples = 5;
    gs_net *shared = net_create();
    run(shared, &other, bigger);
    gs_result *res = run(shared, &again, cfg);
    CHECK(memcmp(res->jacobian, reference->jacobian, 17 * sizeof *res->jacobian) == 0);
    CHECK(memcmp(res->jac_sv, reference->jac_sv, 40 * sizeof(double)) == 0);
    /* K = 0 carries nothing and writes nothing */
    cfg.jacobian_samples = 0;
    res = run(shared, &again, cfg);
    CHECK(isnan(res->jacobian[0].jac_sq_sv_mean) && isnan(res->jac_sv[0]));
    CHECK(net_jacobian(shared, 0, NULL) == -1);
    net_destroy(&net);
    net_destroy(&shared);
}

/* A relu network whose units all die (large negative bias) has J = 0: mean 0,
 * no shape (NaN), singular values 0. */
static void test_dead_network(void) {
    static holder h;
    gs_config cfg = config(GS_ACT_RELU, GS_INIT_GAUSSIAN, 3, 16, 2, 1);
    cfg.sigma_w = 0.01, cfg.sigma_b = 1;
    gs_net *net = net_create();
    gs_error err = {0};
    CHECK(net_prepare(net, &cfg, NULL, &err) == 0);
    double *beta = net_unit_biases(net, 1); /* every bias of layer 1 −1: z < 0 everywhere */
    for (int i = 0; i < 16; i++)
        beta[i] = -1;
    gs_result *res = fresh(&h);
    net_forward(net, res, NULL);
    CHECK(res->jacobian[0].jac_sq_sv_mean == 0 && isnan(res->jacobian[0].jac_sq_sv_var_ratio));
    CHECK(res->jacobian[2].jac_sq_sv_mean == 0);
    CHECK(res->jac_sv_max == 0 && res->jac_sv_min == 0);
    net_destroy(&net);
}

/* ---- theory ---------------------------------------------------------------------- */

/* E[φ'(√q z)⁴]: closed forms (linear 1, relu ½, leaky (1 + s⁴)/2, erf
 * (16/π²)/√(1 + 8q)) against the quadrature, and tanh and gelu against
 * mpmath at 30 digits (tanh-sinh quadrature split at 0, ±1/√q, ±8/√q). */
static void test_dphi4(void) {
    const gs_activation linear = {GS_ACT_LINEAR, 0}, relu = {GS_ACT_RELU, 0},
                        leaky = {GS_ACT_LEAKY_RELU, 0.2}, erf_act = {GS_ACT_ERF, 0},
                        tanh_act = {GS_ACT_TANH, 0}, gelu = {GS_ACT_GELU, 0};
    const double qs[] = {1e-3, 0.1, 1, 3, 30, 1000};
    for (size_t i = 0; i < 6; i++) {
        double q = qs[i];
        CHECK_NEAR(theory_dphi4_quadrature(&linear, q), 1, 1e-12);
        CHECK_NEAR(theory_dphi4_quadrature(&relu, q), 0.5, 1e-12);
        CHECK_NEAR(theory_dphi4_quadrature(&leaky, q), 0.5 * (1 + 0.0016), 1e-12);
        double e = theory_dphi4(&erf_act, q);
        CHECK_NEAR(e, 16 / (M_PI * M_PI) / sqrt(1 + 8 * q), 1e-15);
        CHECK_NEAR(theory_dphi4_quadrature(&erf_act, q), e, 1e-10 * e);
    }
    const double tanh_ref[] = {0.9960257990998799202880385,  0.7497889837714670453735363,
                               0.3415092073166635394720844,  0.2057905883956442680071848,
                               0.06643652975514032851451335, 0.01153350176963811385931118};
    for (size_t i = 0; i < 6; i++)
        CHECK_NEAR(theory_dphi4(&tanh_act, qs[i]), tanh_ref[i], 1e-11 * tanh_ref[i]);
    const double gelu_q[] = {0.1, 1, 10},
                 gelu_ref[] = {0.1488712351960123080044778, 0.4339558388563377235480765,
                               0.5325227590154829057921603};
    for (size_t i = 0; i < 3; i++)
        CHECK_NEAR(theory_dphi4(&gelu, gelu_q[i]), gelu_ref[i], 1e-11 * gelu_ref[i]);
    /* limits: q = 0 (φ'(0)⁴; relu's one-sided slopes), q = inf (bounded: 0) */
    CHECK_NEAR(theory_dphi4(&tanh_act, 0), 1, 0);
    CHECK_NEAR(theory_dphi4(&relu, 0), 0.5, 0);
    CHECK(theory_dphi4(&tanh_act, INFINITY) == 0);
    CHECK(isnan(theory_dphi4(&tanh_act, NAN)));
}

/* The predictions per layer against a recomputation from the length map
 * (theory_layers) and the moments, and the exact cases: linear gaussian
 * nets have normalised variance l (the Fuss–Catalan second moment l + 1,
 * less 1) and mean σw^(2l); orthogonal linear 0; relu at σw² = 2 has
 * μ2/μ1² = 2: 2l (gaussian), l (orthogonal). */
static void test_theory_jacobian(void) {
    gs_layer_theory path[60];
    gs_jacobian_stats jt[60];
    const gs_activation_kind acts[] = {GS_ACT_TANH, GS_ACT_GELU, GS_ACT_SELU, GS_ACT_SIGMOID};
    for (size_t a = 0; a < 4; a++)
        for (int init = 0; init < GS_INIT_COUNT; init++) {
            gs_config cfg = config(acts[a], (gs_init)init, 60, 100, 1, 1);
            theory_layers(&cfg, 1.0, 0.0, path);
            theory_jacobian(&cfg, 1.0, jt);
            double mean = 1, ratio = 0, s1 = init == GS_INIT_ORTHOGONAL ? 0 : -1;
            for (int l = 0; l < 60; l++) {
                gs_moments m = theory_moments(&cfg.act, path[l].q);
                double mu2 = theory_dphi4(&cfg.act, path[l].q);
                mean *= cfg.sigma_w * cfg.sigma_w * m.d;
                ratio += mu2 / (m.d * m.d) - 1 - s1;
                CHECK_NEAR(jt[l].jac_sq_sv_mean, mean, 1e-13 * mean);
                CHECK_NEAR(jt[l].jac_sq_sv_var_ratio, ratio, 1e-12 * fmax(ratio, 1));
            }
        }
    gs_config lin = config(GS_ACT_LINEAR, GS_INIT_GAUSSIAN, 50, 100, 1, 1);
    lin.sigma_w = 1.1;
    theory_jacobian(&lin, 1.0, jt);
    for (int l = 0; l < 50; l++) {
        CHECK_NEAR(jt[l].jac_sq_sv_var_ratio, l + 1, 1e-12 * (l + 1));
        CHECK_NEAR(jt[l].jac_sq_sv_mean, pow(1.21, l + 1), 1e-12 * pow(1.21, l + 1));
    }
    lin.init = GS_INIT_ORTHOGONAL;
    theory_jacobian(&lin, 1.0, jt);
    CHECK(jt[49].jac_sq_sv_var_ratio == 0);
    gs_config relu = config(GS_ACT_RELU, GS_INIT_GAUSSIAN, 50, 100, 1, 1);
    relu.sigma_w = M_SQRT2;
    relu.sigma_b = 0;
    theory_jacobian(&relu, 1.0, jt);
    CHECK_NEAR(jt[49].jac_sq_sv_var_ratio, 100, 1e-12);
    CHECK_NEAR(jt[49].jac_sq_sv_mean, 1, 1e-13);
    relu.init = GS_INIT_ORTHOGONAL;
    theory_jacobian(&relu, 1.0, jt);
    CHECK_NEAR(jt[49].jac_sq_sv_var_ratio, 50, 1e-12);
    /* theory_predict fills the Jacobian's rows only when asked, and bit for
     * bit as theory_jacobian */
    gs_theory *cache = theory_create();
    gs_layer_theory layers[60];
    gs_jacobian_stats predicted[60];
    gs_result res = {.theory = layers, .jacobian_theory = predicted};
    gs_config cfg = config(GS_ACT_TANH, GS_INIT_ORTHOGONAL, 60, 100, 1, 1);
    theory_predict(cache, &cfg, &res, NULL, NULL);
    theory_jacobian(&cfg, 1.0, jt);
    CHECK(memcmp(predicted, jt, sizeof jt) == 0);
    theory_destroy(&cache);
}

int main(void) {
    RUN(test_finite_differences);
    RUN(test_singular_values);
    RUN(test_isometry);
    RUN(test_precisions_agree);
    RUN(test_plans_and_reuse);
    RUN(test_dead_network);
    RUN(test_dphi4);
    RUN(test_theory_jacobian);
    TEST_MAIN_END();
}
