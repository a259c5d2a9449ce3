/* SPDX-License-Identifier: MIT */
/* test_parametrization.c — the abc table against what the papers state about
 * the *effective* network, W = m·w:
 *   - Tensor Programs V (Yang et al. 2021), Table 3, μP: initial Var(W) ∝
 *     1/fan_in for input and hidden weights and 1/fan_in² for output weights;
 *     SGD learning rate ∝ fan_out (input weights and biases of n units), 1
 *     (hidden), 1/fan_in (output); Adam ∝ 1 (input, biases), 1/fan_in
 *     (hidden and output). Standard (SP): 1/fan_in and 1 everywhere.
 *   - Jacot et al. 2018 (NTK): the initial network is standard's; SGD moves
 *     W of fan_in n with effective learning rate ∝ 1/fan_in.
 * Effective quantities of w's update: SGD changes W by m²·(lr of w)·∂/∂W,
 * Adam by m·(lr of w)·(a unit-size direction). With r = width / base_width
 * these must scale as the stated powers of the width relative to standard
 * (fan_in of hidden and output layers = n ∝ r; the input's fan_in and the
 * output's fan_out are the data's, fixed). */
#include <math.h>

#include "gradsweep/parametrization.h"
#include "testing.h"

/* The exponent x of r^x that quantity f(r) follows, from two widths. */
static double exponent(double at_r1, double at_r2, double r1, double r2) {
    return log(at_r2 / at_r1) / log(r2 / r1);
}

typedef struct effective {
    double init_var; /* Var(W) relative to standard's σw²/fan_in */
    double sgd_lr;   /* m² · lr factor */
    double adam_lr;  /* m · lr factor */
    double bias_sgd_lr, bias_adam_lr;
} effective;

static effective effective_at(gs_parametrization p, gs_layer_role kind, double width) {
    gs_layer_scale sgd = parametrization_scale(p, kind, GS_OPT_SGD, width, 64);
    gs_layer_scale adam = parametrization_scale(p, kind, GS_OPT_ADAM, width, 64);
    gs_layer_scale momentum = parametrization_scale(p, kind, GS_OPT_MOMENTUM, width, 64);
    CHECK(sgd.multiplier == momentum.multiplier && sgd.lr == momentum.lr &&
          sgd.init_std == momentum.init_std && sgd.bias_lr == momentum.bias_lr);
    CHECK(sgd.multiplier == adam.multiplier && sgd.init_std == adam.init_std);
    double m = sgd.multiplier, init = m * sgd.init_std;
    return (effective){init * init, m * m * sgd.lr, m * adam.lr, sgd.bias_lr, adam.bias_lr};
}

/* The width exponents of one kind's effective quantities, relative to
 * standard, must be {init_var, sgd, adam, bias sgd, bias adam}. */
static void check_kind(gs_parametrization p, gs_layer_role kind, const double want[5]) {
    effective a = effective_at(p, kind, 128), b = effective_at(p, kind, 8192);
    double got[5] = {exponent(a.init_var, b.init_var, 2, 128), exponent(a.sgd_lr, b.sgd_lr, 2, 128),
                     exponent(a.adam_lr, b.adam_lr, 2, 128),
                     exponent(a.bias_sgd_lr, b.bias_sgd_lr, 2, 128),
                     exponent(a.bias_adam_lr, b.bias_adam_lr, 2, 128)};
    static const char *const what[5] = {"init variance", "SGD lr", "Adam lr", "bias SGD lr",
                                        "bias Adam lr"};
    for (int i = 0; i < 5; i++)
        CHECK_MSG(fabs(got[i] - want[i]) < 1e-12, "%s, %s layer: %s ∝ r^%g, expected r^%g",
                  parametrization_name(p), layer_kind_name(kind), what[i], got[i], want[i]);
}

static void test_mup_is_table_3(void) {
    /* input: Var 1/fan_in (fixed fan_in: r^0); SGD ∝ fan_out = n; Adam 1; biases (n units)
     * SGD ∝ n, Adam 1 */
    check_kind(GS_PARAM_MUP, GS_LAYER_INPUT, (double[5]){0, 1, 0, 1, 0});
    /* hidden: Var 1/fan_in as standard; SGD 1; Adam 1/fan_in */
    check_kind(GS_PARAM_MUP, GS_LAYER_HIDDEN, (double[5]){0, 0, -1, 1, 0});
    /* output: Var 1/fan_in², i.e. standard's 1/fan_in times 1/n; SGD 1/fan_in; Adam 1/fan_in;
     * its bias (k units, fixed) 1 */
    check_kind(GS_PARAM_MUP, GS_LAYER_OUTPUT, (double[5]){-1, -1, -1, 0, 0});
}

static void test_standard_and_ntk(void) {
    for (int kind = 0; kind < GS_LAYER_KIND_COUNT; kind++)
        check_kind(GS_PARAM_STANDARD, (gs_layer_role)kind, (double[5]){0, 0, 0, 0, 0});
    check_kind(GS_PARAM_NTK, GS_LAYER_INPUT, (double[5]){0, 0, -0.5, 0, -0.5});
    /* standard's initial network; SGD's effective rate ∝ 1/fan_in; Adam's updates a
     * further r^-½ smaller than μP's, so that ΔW·x stays O(n^-½) */
    check_kind(GS_PARAM_NTK, GS_LAYER_HIDDEN, (double[5]){0, -1, -1.5, 0, -0.5});
    check_kind(GS_PARAM_NTK, GS_LAYER_OUTPUT, (double[5]){0, -1, -1, 0, 0});
}

/* At the base width every parametrization is standard; one layer has no width. */
static void test_base_width_and_fixed(void) {
    for (int p = 0; p < GS_PARAMETRIZATION_COUNT; p++)
        for (int kind = 0; kind < GS_LAYER_KIND_COUNT; kind++)
            for (int opt = 0; opt < GS_OPTIMIZER_COUNT; opt++) {
                gs_layer_scale at_base = parametrization_scale(
                    (gs_parametrization)p, (gs_layer_role)kind, (gs_optimizer)opt, 96, 96);
                CHECK(at_base.multiplier == 1 && at_base.init_std == 1 && at_base.lr == 1 &&
                      at_base.bias_lr == 1);
                gs_layer_scale fixed = parametrization_scale((gs_parametrization)p, GS_LAYER_FIXED,
                                                             (gs_optimizer)opt, 4096, 1);
                CHECK(fixed.multiplier == 1 && fixed.init_std == 1 && fixed.lr == 1 &&
                      fixed.bias_lr == 1);
            }
    CHECK(layer_kind_at(1, 1) == GS_LAYER_FIXED && layer_kind_at(1, 3) == GS_LAYER_INPUT &&
          layer_kind_at(2, 3) == GS_LAYER_HIDDEN && layer_kind_at(3, 3) == GS_LAYER_OUTPUT &&
          layer_kind_at(2, 2) == GS_LAYER_OUTPUT);
}

/* The numbers themselves at r = 4 (width 256, base 64), as a user would
 * compute them from docs/theory.md's table. */
static void test_values_at_r4(void) {
    gs_layer_scale out = parametrization_scale(GS_PARAM_MUP, GS_LAYER_OUTPUT, GS_OPT_SGD, 256, 64);
    CHECK(out.multiplier == 0.25 && out.init_std == 2 && out.lr == 4 && out.bias_lr == 1);
    gs_layer_scale in = parametrization_scale(GS_PARAM_MUP, GS_LAYER_INPUT, GS_OPT_SGD, 256, 64);
    CHECK(in.multiplier == 1 && in.init_std == 1 && in.lr == 4 && in.bias_lr == 4);
    gs_layer_scale hidden =
        parametrization_scale(GS_PARAM_MUP, GS_LAYER_HIDDEN, GS_OPT_ADAM, 256, 64);
    CHECK(hidden.lr == 0.25 && hidden.bias_lr == 1);
    gs_layer_scale ntk = parametrization_scale(GS_PARAM_NTK, GS_LAYER_HIDDEN, GS_OPT_SGD, 256, 64);
    CHECK(ntk.multiplier == 0.5 && ntk.init_std == 2 && ntk.lr == 1);
    gs_abc abc = parametrization_abc(GS_PARAM_MUP, GS_LAYER_OUTPUT, GS_OPT_ADAM);
    CHECK(abc.a == 1 && abc.b == -0.5 && abc.c == 0 && abc.c_bias == 0);
}

int main(void) {
    RUN(test_mup_is_table_3);
    RUN(test_standard_and_ntk);
    RUN(test_base_width_and_fixed);
    RUN(test_values_at_r4);
    TEST_MAIN_END();
}
