/* SPDX-License-Identifier: MIT */
/* test_theory.c — the mean-field theory module against closed forms,
 * independent high-precision references and known results: quadrature vs the
 * arc-cosine (relu, leaky_relu) and Williams (erf) kernels, the SELU fixed
 * point, the edge of chaos of relu, linear and tanh, Schoenholz et al.'s
 * tanh criticality, the degenerate fixed points, and the per-layer maps. */
#include <stdlib.h>

#include "gradsweep/theory.h"
#include "testing.h"

/* |a - b| <= rel · |b| */
#define CHECK_REL(a, b, rel) CHECK_NEAR((a), (b), (rel)*fabs((double)(b)))

static gs_activation act_of(gs_activation_kind kind, double slope) {
    return (gs_activation){kind, slope};
}

/* ---- quadrature against closed forms ---------------------------------------------- */

/* Linear, relu, leaky_relu and erf have closed forms, which theory_moments
 * and theory_kernel use; the quadrature path alone (split at the kink, scaled
 * to φ and to the Gaussian) must reproduce them to 1e-10 relative, from tiny
 * to huge q and for correlations up to 0.9999. */
static void test_quadrature_matches_closed_forms(void) {
    const gs_activation acts[] = {act_of(GS_ACT_LINEAR, 0), act_of(GS_ACT_RELU, 0),
                                  act_of(GS_ACT_LEAKY_RELU, 0.2), act_of(GS_ACT_ERF, 0)};
    const double qs[] = {1e-3, 0.5, 1, 7, 300};
    const double cs[] = {-0.7, 0, 0.3, 0.95, 0.9999};
    for (size_t a = 0; a < sizeof acts / sizeof *acts; a++) {
        for (size_t i = 0; i < sizeof qs / sizeof *qs; i++) {
            double q = qs[i];
            gs_moments exact = theory_moments(&acts[a], q);
            gs_moments quad = theory_moments_quadrature(&acts[a], q);
            CHECK_REL(quad.v, exact.v, 1e-10);
            CHECK_REL(quad.d, exact.d, 1e-10);
            CHECK_REL(quad.dv, exact.dv, 1e-10);
            if (acts[a].kind != GS_ACT_ERF) CHECK_REL(quad.p, exact.p, 1e-10);
            for (size_t j = 0; j < sizeof cs / sizeof *cs; j++) {
                double c = cs[j];
                /* relative to E|φ(u1)φ(u2)| <= v and E|φ'φ'| <= d (Cauchy–Schwarz) */
                CHECK_NEAR(theory_kernel_quadrature(&acts[a], q, c), theory_kernel(&acts[a], q, c),
                           1e-10 * exact.v);
                CHECK_NEAR(theory_dkernel_quadrature(&acts[a], q, c),
                           theory_dkernel(&acts[a], q, c), 1e-10 * exact.d);
            }
        }
    }
    /* the closed forms themselves: relu's arc-cosine kernel at c = 0 is q/(2π) */
    gs_activation relu = act_of(GS_ACT_RELU, 0);
    CHECK_REL(theory_kernel(&relu, 3, 0), 3 / (2 * M_PI), 1e-15);
    CHECK_REL(theory_dkernel(&relu, 3, 0), 0.25, 1e-15);
}

/* ---- against independent references ------------------------------------------------ */

/* Reference values from mpmath (30 digits, adaptive tanh-sinh quadrature on
 * (-inf, inf) split at 0 and ±1/√q, ±8/√q; tests/test_theory.c's provenance
 * script is in docs/theory.md, "Checking the numbers"), computed once on
 * 2026-11-29 and recorded here. */
static void test_moments_match_references(void) {
    static const struct {
        gs_activation_kind kind;
        double q, v, d;
    } ref[] = {
        {GS_ACT_TANH, 0.01, 0.0098054687555324056423, 0.98067024346498151754},
        {GS_ACT_TANH, 1, 0.39429449039784117442, 0.46440290244826824197},
        {GS_ACT_TANH, 100, 0.92053686343051667121, 0.053106787748115834101},
        {GS_ACT_TANH, 1e6, 0.99920211576731372516, 0.00053192295477144597219},
        {GS_ACT_SIGMOID, 0.01, 0.25062189693581391382, 0.062190204178377763831},
        {GS_ACT_SIGMOID, 1, 0.29337903585809296274, 0.044836241350194371793},
        {GS_ACT_SIGMOID, 100, 0.46074043989063592308, 0.0066066455035341532991},
        {GS_ACT_SIGMOID, 1e6, 0.4996010583758300482, 0.000066490337185043917976},
        {GS_ACT_GELU, 0.01, 0.0025469634945774958812, 0.25624131882887735862},
        {GS_ACT_GELU, 1, 0.42522148257029867492, 0.45585086564928712211},
        {GS_ACT_GELU, 100, 49.981482730022822178, 0.50539986418341693201},
        {GS_ACT_GELU, 1e6, 499999.99981243434276, 0.50005626953999186095},
        {GS_ACT_SILU, 0.01, 0.0025185952815587471878, 0.25247528776878615028},
        {GS_ACT_SILU, 1, 0.35577551981735215623, 0.379482351632829309},
        {GS_ACT_SILU, 100, 49.87717310747202107, 0.50715382912831716619},
        {GS_ACT_SILU, 1e6, 499999.99868754157193, 0.5000857623112094491},
        {GS_ACT_SOFTPLUS, 0.01, 0.48468839105428872462, 0.25062189693581391382},
        {GS_ACT_SOFTPLUS, 1, 0.92124590885930027868, 0.29337903585809296274},
        {GS_ACT_SOFTPLUS, 100, 50.093617027251567165, 0.46074043989063592308},
        {GS_ACT_SOFTPLUS, 1e6, 500000.00095910023924, 0.4996010583758300482},
    };
    for (size_t i = 0; i < sizeof ref / sizeof *ref; i++) {
        gs_activation act = act_of(ref[i].kind, 0);
        gs_moments m = theory_moments(&act, ref[i].q);
        CHECK_REL(m.v, ref[i].v, 1e-10);
        CHECK_REL(m.d, ref[i].d, 1e-10);
    }
    static const struct {
        gs_activation_kind kind;
        double q, c, k, dk;
    } kref[] = {
        {GS_ACT_TANH, 1, 0.5, 0.18632441320344808611, 0.38474702844103890153},
        {GS_ACT_TANH, 4, 0.9, 0.54424830801213165584, 0.20604717160736720961},
    };
    for (size_t i = 0; i < sizeof kref / sizeof *kref; i++) {
        gs_activation act = act_of(kref[i].kind, 0);
        gs_moments m = theory_moments(&act, kref[i].q);
        CHECK_NEAR(theory_kernel(&act, kref[i].q, kref[i].c), kref[i].k, 1e-10 * m.v);
        CHECK_NEAR(theory_dkernel(&act, kref[i].q, kref[i].c), kref[i].dk, 1e-10 * m.d);
    }
}

/* ---- fixed points and the edge of chaos ------------------------------------------------ */

/* SELU (Klambauer et al. 2017) is built so that σw = 1, σb = 0 keeps mean 0
 * and variance 1: q* = 1, E[selu(z)²] = 1 and E[selu(z1) selu(z2)] = E[selu]² = 0
 * for independent z1, z2 (the mean is 0). */
static void test_selu_fixed_point(void) {
    gs_activation selu = act_of(GS_ACT_SELU, 0);
    CHECK_NEAR(theory_moments(&selu, 1).v, 1, 1e-9); /* λ, α are given to 17 digits */
    CHECK_NEAR(theory_kernel(&selu, 1, 0), 0, 1e-9);
    gs_mean_field mf = {selu, 1, 0};
    gs_fixed_point fp;
    theory_fixed_point(&mf, 1, &fp);
    CHECK_NEAR(fp.q_star, 1, 1e-8);
    CHECK(fp.stability == GS_STABILITY_STABLE);
    theory_fixed_point(&mf, 5, &fp); /* attracting: from elsewhere too */
    CHECK_NEAR(fp.q_star, 1, 1e-8);
    CHECK(fp.chi1 > 1.05 && fp.chi1 < 1.1); /* SELU at σw = 1 is mildly chaotic: χ1 ≈ 1.07 */
}

static void test_homogeneous_critical_points(void) {
    double sigma_w;
    gs_fixed_point fp;
    gs_activation relu = act_of(GS_ACT_RELU, 0), linear = act_of(GS_ACT_LINEAR, 0);
    gs_activation leaky = act_of(GS_ACT_LEAKY_RELU, 0.2);
    CHECK(theory_critical(&relu, 0, &sigma_w, &fp));
    CHECK_REL(sigma_w, sqrt(2), 1e-15);
    CHECK_NEAR(fp.chi1, 1, 1e-15);
    CHECK_NEAR(fp.q_star, 2, 1e-14); /* every q is fixed: q[1] = σw² stays */
    CHECK(fp.stability == GS_STABILITY_MARGINAL && isinf(fp.xi_q) && isinf(fp.xi_c));
    CHECK(theory_critical(&relu, 0.3, &sigma_w, &fp)); /* q grows by σb² a layer: q* = inf */
    CHECK_REL(sigma_w, sqrt(2), 1e-15);
    CHECK(isinf(fp.q_star) && isnan(fp.xi_q));
    CHECK(theory_critical(&linear, 0, &sigma_w, &fp));
    CHECK_REL(sigma_w, 1, 1e-15);
    CHECK(theory_critical(&leaky, 0, &sigma_w, &fp));
    CHECK_REL(sigma_w, sqrt(2 / 1.04), 1e-15);
}

/* tanh without bias: the edge of chaos is σw = 1 with q* = 0 (q decays like
 * 1/(2l) there); with bias, Schoenholz et al. 2017's Fig. 1 puts it at
 * σw² ≈ 1.76 for σb² = 0.05. References: mpmath findroot on
 * (q − σb²) E[φ'²]/E[φ²] = 1 (the same provenance as above). */
static void test_tanh_critical_points(void) {
    gs_activation tanh_act = act_of(GS_ACT_TANH, 0);
    double sigma_w;
    gs_fixed_point fp;
    CHECK(theory_critical(&tanh_act, 0, &sigma_w, &fp));
    CHECK_NEAR(sigma_w, 1, 1e-15);
    CHECK(fp.q_star == 0 && fp.stability == GS_STABILITY_MARGINAL);
    static const double ref[][3] = {/* σb², σw, q* */
                                    {0.01, 1.1934007250243296775, 0.27330091345823129145},
                                    {0.05, 1.3270096607058816479, 0.57004788164076414999},
                                    {0.1, 1.4092808950439455266, 0.80579918191348740671}};
    for (int i = 0; i < 3; i++) {
        CHECK(theory_critical(&tanh_act, sqrt(ref[i][0]), &sigma_w, &fp));
        CHECK_REL(sigma_w, ref[i][1], 1e-10);
        CHECK_REL(fp.q_star, ref[i][2], 1e-10);
        CHECK_NEAR(fp.chi1, 1, 1e-10);
        CHECK(fp.stability == GS_STABILITY_STABLE && isinf(fp.xi_c) && isfinite(fp.xi_q));
    }
    CHECK_NEAR(ref[1][1] * ref[1][1], 1.76, 0.005); /* the published number */
    gs_activation erf_act = act_of(GS_ACT_ERF, 0);
    CHECK(theory_critical(&erf_act, 0, &sigma_w, &fp)); /* erf'(0) = 2/√π */
    CHECK_REL(sigma_w, sqrt(M_PI) / 2, 1e-15);
}

/* silu and gelu with a bias: the critical fixed point repels (the length map's
 * slope there exceeds 1), as the issue anticipated. */
static void test_silu_gelu_critical_points_repel(void) {
    static const struct {
        gs_activation_kind kind;
        double sigma_w, q_star;
    } ref[] = {{GS_ACT_SILU, 1.6795316006916457682, 0.68945250291376798608},
               {GS_ACT_GELU, 1.5470094704162285653, 0.57563711661920748475}};
    for (int i = 0; i < 2; i++) {
        gs_activation act = act_of(ref[i].kind, 0);
        double sigma_w;
        gs_fixed_point fp;
        CHECK(theory_critical(&act, 0.2, &sigma_w, &fp));
        CHECK_REL(sigma_w, ref[i].sigma_w, 1e-10);
        CHECK_REL(fp.q_star, ref[i].q_star, 1e-10);
        CHECK(fp.stability == GS_STABILITY_UNSTABLE && fp.chi_q > 1.05);
        CHECK(isnan(fp.xi_q));
    }
}

/* The degenerate cases say what they are instead of failing. */
static void test_degenerate_fixed_points(void) {
    gs_fixed_point fp;
    gs_mean_field tanh_ordered = {act_of(GS_ACT_TANH, 0), 0.9, 0};
    theory_fixed_point(&tanh_ordered, 0.81, &fp); /* odd φ, no bias, σw < 1: the signal dies */
    CHECK(fp.q_star == 0);
    CHECK_REL(fp.chi1, 0.81, 1e-12);
    CHECK_REL(fp.xi_q, -1 / log(0.81), 1e-10);
    CHECK_REL(fp.xi_c, -1 / log(0.81), 1e-10);
    gs_mean_field relu = {act_of(GS_ACT_RELU, 0), 1, 0};
    theory_fixed_point(&relu, 1, &fp); /* q halves every layer */
    CHECK(fp.q_star == 0 && fp.chi1 == 0.5 && isinf(fp.xi_c));
    relu.sigma_w = 1.4142135623730951; /* `he`, σw² = 2(1 + 2e-16): still marginal */
    theory_fixed_point(&relu, 2, &fp);
    CHECK(fp.q_star == 2 && fp.stability == GS_STABILITY_MARGINAL);
    relu.sigma_w = 1.5;
    theory_fixed_point(&relu, 2.25, &fp);
    CHECK(isinf(fp.q_star) && fp.chi1 == 1.125 && fp.stability == GS_STABILITY_UNSTABLE);
    gs_mean_field linear = {act_of(GS_ACT_LINEAR, 0), 0.9, 0.3};
    theory_fixed_point(&linear, 0.9, &fp);
    CHECK_REL(fp.q_star, 0.09 / (1 - 0.81), 1e-14);
    CHECK_REL(fp.chi1, 0.81, 1e-15);
    /* NaN in, NaN out; infinities neither hang nor crash */
    gs_mean_field bad = {act_of(GS_ACT_TANH, 0), NAN, 0};
    theory_fixed_point(&bad, 1, &fp);
    CHECK(isnan(fp.q_star) && isnan(fp.chi1) && isnan(fp.xi_c));
    double sigma_w;
    CHECK(!theory_critical(&bad.act, NAN, &sigma_w, &fp) && isnan(sigma_w));
    gs_mean_field huge = {act_of(GS_ACT_TANH, 0), INFINITY, 0.1};
    theory_fixed_point(&huge, INFINITY, &fp);
    CHECK(isinf(fp.q_star));
    gs_mean_field gelu_inf = {act_of(GS_ACT_GELU, 0), 3, 0};
    theory_fixed_point(&gelu_inf, 9, &fp); /* grows like relu with σw² = 9 */
    CHECK(isinf(fp.q_star) && fp.chi1 == 4.5 && isinf(fp.xi_c));
}

/* In the chaotic phase c* < 1: tanh without bias has c* = 0 (φ odd), with
 * bias the map's own fixed point. */
static void test_chaotic_correlation(void) {
    gs_fixed_point fp;
    gs_mean_field odd = {act_of(GS_ACT_TANH, 0), 2.5, 0};
    theory_fixed_point(&odd, 1, &fp);
    CHECK(fp.chi1 > 1 && fp.c_star == 0 && fp.chi_c < 1 && isfinite(fp.xi_c));
    gs_mean_field biased = {act_of(GS_ACT_TANH, 0), 2, 0.3};
    theory_fixed_point(&biased, 1, &fp);
    CHECK(fp.chi1 > 1 && fp.c_star > 0 && fp.c_star < 1);
    CHECK_NEAR(theory_correlation_map(&biased, fp.q_star, fp.c_star, fp.q_star), fp.c_star, 1e-10);
    CHECK(fp.chi_c < 1 && fp.xi_c > 0);
}

/* ---- per-layer predictions --------------------------------------------------------- */

static gs_config config(gs_activation_kind kind, double sigma_w, double sigma_b, int depth,
                        gs_loss loss, gs_init init) {
    return (gs_config){.depth = depth,
                       .width = 8,
                       .batch = 4,
                       .act = act_of(kind, 0.01),
                       .init = init,
                       .sigma_w = sigma_w,
                       .sigma_b = sigma_b,
                       .precision = GS_FLOAT64,
                       .loss = loss};
}

/* A linear network is the lecture's example: q and δ² scale by σw² a layer. */
static void test_linear_layers(void) {
    enum { L = 50 };
    gs_layer_theory t[L];
    gs_config cfg = config(GS_ACT_LINEAR, 1.1, 0, L, GS_LOSS_PROBE, GS_INIT_GAUSSIAN);
    theory_layers(&cfg, 1, 0, t);
    for (int l = 1; l <= L; l++) {
        CHECK_REL(t[l - 1].q, pow(1.21, l), 1e-13);
        CHECK_REL(t[l - 1].delta_sq, pow(1.21, L - l), 1e-13);
        CHECK(t[l - 1].c == 0);
    }
    /* relu, σb = 0: c[2] = κ(0)/κ(1) = 1/π (the arc-cosine kernel) */
    cfg = config(GS_ACT_RELU, 1, 0, 3, GS_LOSS_PROBE, GS_INIT_GAUSSIAN);
    theory_layers(&cfg, 1, 0, t);
    CHECK_REL(t[1].c, 1 / M_PI, 1e-14);
    CHECK_REL(t[2].q, 0.25, 1e-15);
}

/* mse: δ[L] = z[L] − y, and δ[L] W[L] = σw² a[L-1] + noise (gaussian W: noise
 * variance σw² E δ[L]²; orthogonal W: WᵀW = σw² I, so only the bias and target
 * part remain). For a linear net by hand, three layers. */
static void test_mse_layers(void) {
    gs_layer_theory t[3];
    double w2 = 1.44, b2 = 0.09;
    gs_config cfg = config(GS_ACT_LINEAR, 1.2, 0.3, 3, GS_LOSS_MSE, GS_INIT_GAUSSIAN);
    theory_layers(&cfg, 1, 0, t);
    double q1 = w2 + b2, q2 = w2 * q1 + b2, q3 = w2 * q2 + b2;
    double d3 = q3 + 1, d2 = w2 * d3 + w2 * w2 * q2, d1 = w2 * d2 + pow(w2, 4) * q1;
    CHECK_REL(t[2].delta_sq, d3, 1e-14);
    CHECK_REL(t[1].delta_sq, d2, 1e-14);
    CHECK_REL(t[0].delta_sq, d1, 1e-14);
    cfg.init = GS_INIT_ORTHOGONAL; /* |v W| = σw |v|: δ² scales by σw² exactly */
    theory_layers(&cfg, 1, 0, t);
    CHECK_REL(t[1].delta_sq, w2 * d3, 1e-14);
    CHECK_REL(t[0].delta_sq, w2 * w2 * d3, 1e-14);
}

/* tanh at σw = 1, σb = 0: q[l+1] = q − 2q² + O(q³), so q[l] ≈ 1/(2l): a power
 * law, not an exponential. */
static void test_tanh_power_law(void) {
    enum { L = 2000 };
    gs_layer_theory *t = malloc(L * sizeof *t);
    gs_config cfg = config(GS_ACT_TANH, 1, 0, L, GS_LOSS_PROBE, GS_INIT_GAUSSIAN);
    theory_layers(&cfg, 1, 0, t);
    /* 1/q[l] = 2l + O(log l): within 1% of 1/(2l) by l = 2000 */
    CHECK_NEAR(t[L - 1].q * 2 * L, 1, 0.01);
    /* exponential decay would have q[2000]/q[1000] = (q[1000]/q[1])^(1000/999) */
    CHECK_NEAR(t[L - 1].q / t[L / 2 - 1].q, 0.5, 0.01);
    free(t);
}

/* Layers of other widths and fans (issue 12), by hand for relu (E φ² = q/2,
 * E φ'² = 1/2): q[l] = v_w[l] q[l-1]/2 + v_b[l] with v_w = σw² fan_in/fan and
 * torch_default's bias variance 1/(3 fan_in); backward through the last
 * layer by v_w[L] fan_out/fan_in (docs/theory.md). */
static void test_shaped_layers(void) {
    gs_layer_theory t[4];
    /* PyTorch's nn.Linear, 784 → 512 → 512 → 512 → 10 */
    gs_config cfg =
        config(GS_ACT_RELU, GS_TORCH_DEFAULT_SIGMA_W, 0, 4, GS_LOSS_PROBE, GS_INIT_UNIFORM);
    cfg.width = 512, cfg.input_width = 784, cfg.output_width = 10;
    cfg.scale_name = GS_SCALE_TORCH_DEFAULT;
    theory_layers(&cfg, 1, 0, t);
    double q = 1.0 / 3 + 1.0 / (3 * 784);
    CHECK_REL(t[0].q, q, 1e-14);
    for (int l = 2; l <= 4; l++) {
        q = q / 6 + 1.0 / (3 * 512);
        CHECK_REL(t[l - 1].q, q, 1e-14);
    }
    CHECK(t[3].delta_sq == 1);
    double d = (1.0 / 3) * 10 / 512 * 0.5; /* through W[4], 10 × 512 */
    CHECK_REL(t[2].delta_sq, d, 1e-14);
    CHECK_REL(t[1].delta_sq, d / 6, 1e-14);
    CHECK_REL(t[0].delta_sq, d / 36, 1e-14);
    /* He, fan out, 50 → 100 → 100 → 20: v_w = 2·50/100 = 1, then 2, then 2·100/20 = 10 */
    cfg = config(GS_ACT_RELU, sqrt(2), 0, 3, GS_LOSS_PROBE, GS_INIT_GAUSSIAN);
    cfg.width = 100, cfg.input_width = 50, cfg.output_width = 20, cfg.fan = GS_FAN_OUT;
    theory_layers(&cfg, 1, 0, t);
    CHECK_REL(t[0].q, 1, 1e-14);
    CHECK_REL(t[1].q, 1, 1e-14);
    CHECK_REL(t[2].q, 5, 1e-14);
    CHECK_REL(t[1].delta_sq, 10 * 20 / 100.0 * 0.5, 1e-14); /* back = v_w fan_out/fan_in = 2 */
    CHECK_REL(t[0].delta_sq, 1, 1e-14);
    /* fan avg (Glorot): layer 1's fan 75, layer 3's 60 */
    cfg.fan = GS_FAN_AVG;
    theory_layers(&cfg, 1, 0, t);
    CHECK_REL(t[0].q, 2 * 50 / 75.0, 1e-14);
    CHECK_REL(t[2].q, 2 * 100 / 60.0 * t[1].q / 2, 1e-14);
    /* torch_trunc_normal: N(0, σw²/fan) cut at ±2; at σw = sqrt(fan_in) = 4 the
     * cut is at ±2 standard deviations, which keep 0.87962566103423978² of the
     * variance (Keras' constant) */
    cfg = config(GS_ACT_LINEAR, 4, 0, 1, GS_LOSS_PROBE, GS_INIT_TORCH_TRUNC_NORMAL);
    cfg.width = 16;
    theory_layers(&cfg, 1, 0, t);
    CHECK_REL(t[0].q, 16 * 0.87962566103423978 * 0.87962566103423978, 1e-13);
    cfg.init = GS_INIT_TRUNCATED_NORMAL; /* rescaled: the full variance */
    theory_layers(&cfg, 1, 0, t);
    CHECK_REL(t[0].q, 16, 1e-14);
}

/* theory_predict fills everything a results file holds. */
static void test_predict(void) {
    gs_layer_theory t[20];
    gs_result res = {.theory = t};
    gs_theory *theory = theory_create();
    gs_config cfg =
        config(GS_ACT_TANH, 1.3270096607058816479, sqrt(0.05), 20, GS_LOSS_PROBE, GS_INIT_GAUSSIAN);
    theory_predict(theory, &cfg, &res, NULL, NULL);
    CHECK_NEAR(res.chi1_theory, 1, 1e-9);
    CHECK_REL(res.q_star_theory, 0.57004788164076414999, 1e-9);
    CHECK_REL(res.sigma_w_critical_theory, cfg.sigma_w, 1e-10);
    CHECK(isfinite(res.xi_q_theory) && res.xi_c_theory > 1e6);
    CHECK(t[0].delta_sq > 0 && t[19].delta_sq == 1 && t[0].c > 0);
    gs_config sigmoid = config(GS_ACT_SIGMOID, 1, 0, 5, GS_LOSS_PROBE, GS_INIT_GAUSSIAN);
    theory_predict(theory, &sigmoid, &res, NULL, NULL);
    CHECK(isfinite(res.sigma_w_critical_theory)); /* ≈ 10: σ(0) = 1/2 needs a large scale */
    theory_destroy(&theory);
    CHECK(theory == NULL);
}

/* The cache of a sweep (shared forward paths, prefixes, critical scales)
 * changes nothing: any sequence gives what a fresh computation gives. */
static void test_predict_cache_changes_nothing(void) {
    gs_config seq[] = {
        config(GS_ACT_TANH, 1.1, 0.1, 12, GS_LOSS_PROBE, GS_INIT_GAUSSIAN),
        config(GS_ACT_TANH, 1.1, 0.1, 30, GS_LOSS_PROBE, GS_INIT_GAUSSIAN), /* extends the path */
        config(GS_ACT_TANH, 1.1, 0.1, 7, GS_LOSS_MSE, GS_INIT_ORTHOGONAL),  /* a prefix */
        config(GS_ACT_GELU, 1.1, 0.1, 30, GS_LOSS_PROBE, GS_INIT_GAUSSIAN),
        config(GS_ACT_TANH, 0.7, 0.1, 30, GS_LOSS_MSE, GS_INIT_GAUSSIAN),
        config(GS_ACT_TANH, 1.1, 0.1, 25, GS_LOSS_MSE, GS_INIT_UNIFORM),
    };
    gs_theory *cached = theory_create();
    for (size_t k = 0; k < sizeof seq / sizeof *seq; k++) {
        gs_layer_theory a[30], b[30];
        gs_result ra = {.theory = a}, rb = {.theory = b};
        theory_predict(cached, &seq[k], &ra, NULL, NULL);
        gs_theory *fresh = theory_create();
        theory_predict(fresh, &seq[k], &rb, NULL, NULL);
        theory_destroy(&fresh);
        gs_layer_theory c[30];
        theory_layers(&seq[k], 1, 0, c);
        size_t bytes = (size_t)seq[k].depth * sizeof a[0];
        CHECK_MSG(memcmp(a, b, bytes) == 0 && memcmp(a, c, bytes) == 0, "configuration %zu", k);
        CHECK(ra.chi1_theory == rb.chi1_theory && ra.xi_c_theory == rb.xi_c_theory);
        CHECK(ra.sigma_w_critical_theory == rb.sigma_w_critical_theory);
    }
    theory_destroy(&cached);
}

/* Residual blocks (issue 12): a linear residual net's q and δ² grow by
 * exactly 1 + α²σw² a block (q[1] = σw² from the dense first layer), with
 * biases by q[l] = q[l-1] + α²(σw² q[l-1] + σb²); relu's branch adds
 * α²σw² q/2; α = 1/sqrt(depth) is the configuration's own; the scalars
 * have no fixed point (q* inf, χ1 and the critical σw NaN). */
static void test_residual_layers(void) {
    enum { L = 40 };
    gs_layer_theory t[L];
    gs_config cfg = config(GS_ACT_LINEAR, 1.1, 0, L, GS_LOSS_PROBE, GS_INIT_GAUSSIAN);
    cfg.branch = GS_BRANCH_NUMBER, cfg.branch_scale = 0.5;
    theory_layers(&cfg, 1, 0, t);
    double g = 1 + 0.25 * 1.21;
    for (int l = 1; l <= L; l++) {
        CHECK_REL(t[l - 1].q, 1.21 * pow(g, l - 1), 1e-13);
        CHECK_REL(t[l - 1].delta_sq, pow(g, L - l), 1e-13);
    }
    cfg.sigma_b = 0.3;
    theory_layers(&cfg, 1, 0, t);
    for (int l = 2; l <= L; l++)
        CHECK_REL(t[l - 1].q, t[l - 2].q + 0.25 * (1.21 * t[l - 2].q + 0.09), 1e-14);
    cfg = config(GS_ACT_RELU, M_SQRT2, 0, 16, GS_LOSS_PROBE, GS_INIT_GAUSSIAN);
    cfg.branch = GS_BRANCH_INV_SQRT_DEPTH; /* α² = 1/16 */
    theory_layers(&cfg, 1, 0, t);
    CHECK_REL(t[15].q, 2 * pow(1 + 1.0 / 16, 15), 1e-13);
    CHECK_REL(t[0].delta_sq, pow(1 + 1.0 / 16, 15), 1e-13);
    gs_result res = {.theory = t};
    gs_theory *theory = theory_create();
    theory_predict(theory, &cfg, &res, NULL, NULL);
    CHECK(isinf(res.q_star_theory) && isnan(res.chi1_theory) && isnan(res.xi_q_theory));
    CHECK(isnan(res.sigma_w_critical_theory));
    CHECK_REL(t[15].q, 2 * pow(1 + 1.0 / 16, 15), 1e-13); /* the same numbers as theory_layers */
    /* mse: no map for blocks */
    cfg.loss = GS_LOSS_MSE;
    theory_predict(theory, &cfg, &res, NULL, NULL);
    CHECK(isnan(t[0].delta_sq) && isfinite(t[0].q));
    theory_destroy(&theory);
}

/* LayerNorm: φ sees q/(q + ε) whatever q is, so with N a plain relu net's q
 * is σw² q̂/2 from layer 2 on, and a residual one adds α²σw² q̂/2 a block;
 * δ² goes through N's 1/(q + ε) and its projection ρ = 1 − 2/n (relu). A
 * plain LayerNorm net's fixed point is that q, with χ1 = σw² ρ/(2(q* + ε)). */
static void test_layernorm_layers(void) {
    enum { L = 12 };
    gs_layer_theory t[L];
    gs_config cfg = config(GS_ACT_RELU, 3.0, 0, L, GS_LOSS_PROBE, GS_INIT_GAUSSIAN);
    cfg.norm = GS_NORM_LAYERNORM;
    theory_layers(&cfg, 1, 0, t);
    const double eps = GS_LAYERNORM_EPS, rho = 1 - 2.0 / cfg.width;
    CHECK_REL(t[0].q, 9, 1e-15);
    double q = 9;
    for (int l = 2; l <= L; l++) {
        q = 9 * 0.5 * q / (q + eps);
        CHECK_REL(t[l - 1].q, q, 1e-13);
    }
    double next = 1;
    for (int l = L; l >= 2; l--) {
        next *= 9 * 0.5 * rho / (t[l - 2].q + eps);
        CHECK_REL(t[l - 2].delta_sq, next, 1e-12);
    }
    gs_result res = {.theory = t};
    gs_theory *theory = theory_create();
    theory_predict(theory, &cfg, &res, NULL, NULL);
    CHECK_REL(res.q_star_theory, q, 1e-12);
    CHECK_REL(res.chi1_theory, 9 * 0.5 * rho / (q + eps), 1e-9);
    CHECK(isnan(res.sigma_w_critical_theory));
    cfg.branch = GS_BRANCH_NUMBER, cfg.branch_scale = 2;
    theory_layers(&cfg, 1, 0, t);
    for (int l = 2; l <= L; l++)
        CHECK_REL(t[l - 1].q, t[l - 2].q + 4 * 9 * 0.5 * t[l - 2].q / (t[l - 2].q + eps), 1e-13);
    /* tanh: what φ sees is q/(q + ε) ≈ 1, so q[l] = σw² E[tanh(u)²], u ~ N(0, q̂) */
    cfg = config(GS_ACT_TANH, 1.7, 0.2, 4, GS_LOSS_PROBE, GS_INIT_GAUSSIAN);
    cfg.norm = GS_NORM_LAYERNORM;
    theory_layers(&cfg, 1, 0, t);
    gs_activation tanh_act = act_of(GS_ACT_TANH, 0);
    for (int l = 2; l <= 4; l++) {
        double seen = t[l - 2].q / (t[l - 2].q + eps);
        CHECK_REL(t[l - 1].q, 2.89 * theory_moments(&tanh_act, seen).v + 0.04, 1e-13);
    }
    theory_destroy(&theory);
}

int main(void) {
    RUN(test_quadrature_matches_closed_forms);
    RUN(test_moments_match_references);
    RUN(test_selu_fixed_point);
    RUN(test_homogeneous_critical_points);
    RUN(test_tanh_critical_points);
    RUN(test_silu_gelu_critical_points_repel);
    RUN(test_degenerate_fixed_points);
    RUN(test_chaotic_correlation);
    RUN(test_linear_layers);
    RUN(test_mse_layers);
    RUN(test_tanh_power_law);
    RUN(test_predict);
    RUN(test_predict_cache_changes_nothing);
    RUN(test_shaped_layers);
    RUN(test_residual_layers);
    RUN(test_layernorm_layers);
    TEST_MAIN_END();
}
