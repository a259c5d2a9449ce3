/* SPDX-License-Identifier: MIT */
/* parametrization.c — the abc table of parametrization.h and the factors it
 * gives at a width. */
#include "gradsweep/parametrization.h"

#include <math.h>
#include <stddef.h>

/* SGD-like (sgd, momentum) or Adam-like: the two columns of Table 3. */
enum { SGD_LIKE, ADAM_LIKE, OPTIMIZER_CLASSES };

/* Exponents of the weights (a, b, c) per kind, and of the biases: the biases
 * of input and hidden layers have n units, the output layer's has k. */
typedef struct abc_row {
    double a, b, c;
    double c_bias;
} abc_row;

#define HALF 0.5
static const abc_row table[GS_PARAMETRIZATION_COUNT][OPTIMIZER_CLASSES][GS_LAYER_KIND_COUNT] =
    {
        [GS_PARAM_STANDARD] = {{{0}}},
        /* Jacot et al. 2018 for SGD: W = sigma_w w / √fan_in; the input layer's
         * fan_in is the data's, fixed (Tensor Programs IV: a_1 = 0). For Adam the
         * learning rates that keep every update in the kernel regime (docs/theory.md). */
        [GS_PARAM_NTK] =
            {
                [SGD_LIKE] = {[GS_LAYER_INPUT] = {0, 0, 0, 0},
                              [GS_LAYER_HIDDEN] = {HALF, -HALF, 0, 0},
                              [GS_LAYER_OUTPUT] = {HALF, -HALF, 0, 0}},
                [ADAM_LIKE] = {[GS_LAYER_INPUT] = {0, 0, HALF, HALF},
                               [GS_LAYER_HIDDEN] = {HALF, -HALF, 1, HALF},
                               [GS_LAYER_OUTPUT] = {HALF, -HALF, HALF, 0}},
            },
        /* Tensor Programs V, Table 3, in the form of the mup package: an output
         * multiplier 1/r (MuReadout) instead of an output init variance 1/fan_in². */
        [GS_PARAM_MUP] =
            {
                [SGD_LIKE] = {[GS_LAYER_INPUT] = {0, 0, -1, -1},
                              [GS_LAYER_HIDDEN] = {0, 0, 0, -1},
                              [GS_LAYER_OUTPUT] = {1, -HALF, -1, 0}},
                [ADAM_LIKE] = {[GS_LAYER_INPUT] = {0, 0, 0, 0},
                               [GS_LAYER_HIDDEN] = {0, 0, 1, 0},
                               [GS_LAYER_OUTPUT] = {1, -HALF, 0, 0}},
            },
};
#undef HALF

gs_layer_role layer_kind_at(int l, int depth) {
    if (depth == 1) return GS_LAYER_FIXED;
    if (l == 1) return GS_LAYER_INPUT;
    return l == depth ? GS_LAYER_OUTPUT : GS_LAYER_HIDDEN;
}

const char *layer_kind_name(gs_layer_role kind) {
    static const char *const names[GS_LAYER_KIND_COUNT] = {"input", "hidden", "output", "fixed"};
    return (unsigned)kind < GS_LAYER_KIND_COUNT ? names[kind] : NULL;
}

gs_abc parametrization_abc(gs_parametrization p, gs_layer_role kind, gs_optimizer opt) {
    gs_abc abc = {0, 0, 0, 0}; /* GS_LAYER_FIXED, and invalid codes: standard */
    if ((unsigned)p >= GS_PARAMETRIZATION_COUNT || (unsigned)kind >= GS_LAYER_FIXED) return abc;
    const abc_row *row = &table[p][opt == GS_OPT_ADAM ? ADAM_LIKE : SGD_LIKE][kind];
    abc.a = row->a;
    abc.b = row->b;
    abc.c = row->c;
    abc.c_bias = row->c_bias;
    return abc;
}

/* r^(−e): for the table's exponents 0, ±½ and ±1 one correctly rounded
 * division or square root instead of pow. */
static double power_of_ratio(double r, double e) {
    if (e == 0) return 1;
    if (e == 1) return 1 / r;
    if (e == -1) return r;
    if (e == 0.5) return 1 / sqrt(r);
    if (e == -0.5) return sqrt(r);
    return pow(r, -e);
}

gs_layer_scale parametrization_scale(gs_parametrization p, gs_layer_role kind, gs_optimizer opt,
                                     double width, double base_width) {
    gs_abc e = parametrization_abc(p, kind, opt);
    double r = width / base_width;
    gs_layer_scale s = {power_of_ratio(r, e.a), power_of_ratio(r, e.b), power_of_ratio(r, e.c),
                        power_of_ratio(r, e.c_bias)};
    return s;
}
