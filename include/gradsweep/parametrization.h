/* SPDX-License-Identifier: MIT */
/* parametrization.h — how width enters a layer's initialization, its forward
 * multiplier and its learning rate: the abc-parametrizations of Tensor
 * Programs IV and V (Yang & Hu 2021; Yang et al. 2021, Table 3), as a table.
 *
 * A layer's trained parameter is w; the network uses W = m·w, with
 *     m = r^(−a),   w = r^(−b) · (the standard draw: std sigma_w / √fan_in),
 *     learning rate of w = learning_rate · r^(−c)
 * and its bias b (init N(0, sigma_b²), multiplier 1 in every parametrization)
 * with learning rate learning_rate · r^(−c_bias). Here r = width / base_width
 * (train_spec.h; base_width 1 gives the papers' pure powers of the width n),
 * and the exponents are relative to the standard parametrization, whose
 * a = b = c = 0 everywhere: what the standard init's 1/fan_in already holds
 * is not repeated. The effective network at initialization, W = m·w, has
 * Var(W_ij) = sigma_w²/fan_in · r^(−2(a+b)).
 *
 * A layer's kind says which of its dimensions grows with the width: the input
 * layer maps the data's d features to n units, hidden layers n to n, the output
 * layer n units to the k classes or targets. A network of one layer maps d to
 * k: nothing in it grows (GS_LAYER_FIXED, every factor 1). The kind must come
 * from the layer's position, not from comparing fans with the width: width
 * 784 on Fashion-MNIST has an input layer of fan_in 784 all the same.
 *
 * The table (docs/theory.md, "Parametrizations", derives it):
 *                          input            hidden           output        bias (n / k units)
 *                          a   b   c        a   b    c       a    b    c     c
 *   standard  sgd, adam    0   0   0        0   0    0       0    0    0     0 / 0
 *   ntk       sgd          0   0   0        ½  −½    0       ½   −½    0     0 / 0
 *   ntk       adam         0   0   ½        ½  −½    1       ½   −½    ½     ½ / 0
 *   mup       sgd          0   0  −1        0   0    0       1   −½   −1    −1 / 0
 *   mup       adam         0   0   0        0   0    1       1   −½    0     0 / 0
 * momentum follows sgd's rows (an SGD-like optimizer: mup's MuSGD). */
#ifndef GRADSWEEP_PARAMETRIZATION_H
#define GRADSWEEP_PARAMETRIZATION_H

#include "gradsweep/train_spec.h"

typedef enum gs_layer_role {
    GS_LAYER_INPUT = 0,  /* d features → n units (layer 1 of a deeper network) */
    GS_LAYER_HIDDEN = 1, /* n → n (layers 2 … L−1) */
    GS_LAYER_OUTPUT = 2, /* n → k outputs (layer L) */
    GS_LAYER_FIXED = 3,  /* d → k: a one-layer network; nothing grows with the width */
    GS_LAYER_KIND_COUNT
} gs_layer_role;

/* The kind of layer l (1 … depth) of a network whose input features and
 * output units are fixed by its data. */
gs_layer_role layer_kind_at(int l, int depth);
const char *layer_kind_name(gs_layer_role kind); /* "input", …; NULL if invalid */

/* The exponents of one row of the table (relative to standard, see above). */
typedef struct gs_abc {
    double a;      /* multiplier m = r^(−a) */
    double b;      /* init std factor r^(−b) on top of the standard draw */
    double c;      /* learning-rate factor r^(−c) of the weights */
    double c_bias; /* learning-rate factor r^(−c_bias) of the biases */
} gs_abc;

gs_abc parametrization_abc(gs_parametrization p, gs_layer_role kind, gs_optimizer opt);

/* The factors for one layer at a width ratio r = width / base_width > 0. */
typedef struct gs_layer_scale {
    double multiplier; /* m: the network uses W = m·w */
    double init_std;   /* w = init_std · (standard draw of std sigma_w/√fan_in) */
    double lr;         /* weights' learning rate = learning_rate · lr */
    double bias_lr;    /* biases' learning rate = learning_rate · bias_lr */
} gs_layer_scale;

gs_layer_scale parametrization_scale(gs_parametrization p, gs_layer_role kind, gs_optimizer opt,
                                     double width, double base_width);

#endif
