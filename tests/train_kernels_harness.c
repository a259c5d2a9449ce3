/* SPDX-License-Identifier: MIT */
/* train_kernels_harness.c — runs the training kernels (train_loss.h, optim.h) in
 * double on numbers read from stdin and prints what they give, for
 * tests/test_train_kernels.py to compare with PyTorch. One case per run:
 *
 *   cross_entropy B k  z[B·k] labels[B]
 *   mse B k targets|labels  z[B·k] (targets[B·k] | labels[B])
 *   sgd n lr steps  p[n] g[steps·n]
 *   momentum n lr mu steps  p[n] g[steps·n]
 *   adam n lr beta1 beta2 eps steps  p[n] g[steps·n]
 *   scale PARAMETRIZATION KIND OPTIMIZER width base_width   (names as in files)
 *
 * Output lines "name v1 v2 …" with every value as %.17g: loss, correct,
 * losses, probs and delta for the losses; p_1 … p_steps (the parameters
 * after each step) for the optimizers; "scale m init_std lr bias_lr" for
 * parametrization_scale. Exit 2 on malformed input. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gradsweep/optim.h"
#include "gradsweep/parametrization.h"
#include "gradsweep/train_loss.h"

static void die(const char *what) {
    fprintf(stderr, "train_kernels_harness: cannot read %s\n", what);
    exit(2);
}

static double *read_doubles(size_t n, const char *what) {
    double *v = malloc((n ? n : 1) * sizeof *v);
    for (size_t i = 0; i < n; i++)
        if (scanf("%lf", &v[i]) != 1) die(what);
    return v;
}

static int32_t *read_labels(size_t n) {
    int32_t *v = malloc((n ? n : 1) * sizeof *v);
    for (size_t i = 0; i < n; i++)
        if (scanf("%d", &v[i]) != 1) die("labels");
    return v;
}

static void print_values(const char *name, const double *v, size_t n) {
    printf("%s", name);
    for (size_t i = 0; i < n; i++)
        printf(" %.17g", v[i]);
    printf("\n");
}

static void run_loss(const char *kind) {
    int B, k;
    char form[16] = "labels";
    if (scanf("%d %d", &B, &k) != 2 || B < 1 || k < 1) die("B and k");
    int mse = strcmp(kind, "mse") == 0;
    if (mse && scanf("%15s", form) != 1) die("targets|labels");
    size_t n = (size_t)B * k;
    double *z = read_doubles(n, "z"), *targets = NULL, *probs = malloc(n * sizeof *probs);
    double *delta = malloc(n * sizeof *delta), *losses = malloc((size_t)B * sizeof *losses);
    int32_t *labels = NULL;
    if (mse && strcmp(form, "targets") == 0)
        targets = read_doubles(n, "targets");
    else
        labels = read_labels((size_t)B);
    int64_t correct = 0;
    double mean;
    if (mse) {
        mean = mse_forward_f64(losses, z, targets, labels, B, k, &correct);
        mse_backward_f64(delta, z, targets, labels, B, k);
    } else {
        mean = cross_entropy_forward_f64(probs, losses, z, labels, B, k, &correct);
        print_values("probs", probs, n);
        cross_entropy_backward_f64(delta, probs, labels, B, k);
    }
    print_values("loss", &mean, 1);
    printf("correct %lld\n", (long long)correct);
    print_values("losses", losses, (size_t)B);
    print_values("delta", delta, n);
    free(z), free(targets), free(labels), free(probs), free(delta), free(losses);
}

static void run_optimizer(const char *kind) {
    size_t n;
    int steps;
    double lr;
    gs_optim_params hp = {0, 0, 0, 0};
    if (scanf("%zu %lf", &n, &lr) != 2) die("n and lr");
    if (strcmp(kind, "momentum") == 0 && scanf("%lf", &hp.momentum) != 1) die("mu");
    if (strcmp(kind, "adam") == 0 && scanf("%lf %lf %lf", &hp.beta1, &hp.beta2, &hp.eps) != 3)
        die("beta1 beta2 eps");
    if (scanf("%d", &steps) != 1 || steps < 1) die("steps");
    double *p = read_doubles(n, "p"), *g = read_doubles(n * (size_t)steps, "g");
    double *m = calloc(n ? n : 1, sizeof *m), *v = calloc(n ? n : 1, sizeof *v);
    for (int t = 1; t <= steps; t++) {
        const double *gt = g + (size_t)(t - 1) * n;
        if (strcmp(kind, "sgd") == 0)
            sgd_update_f64(p, gt, n, lr);
        else if (strcmp(kind, "momentum") == 0)
            momentum_update_f64(p, v, gt, n, lr, hp.momentum);
        else
            adam_update_f64(p, m, v, gt, n, lr, &hp, t);
        char name[32];
        snprintf(name, sizeof name, "p_%d", t);
        print_values(name, p, n);
    }
    free(p), free(g), free(m), free(v);
}

static void run_scale(void) {
    char p[32], kind[32], opt[32];
    double width, base;
    if (scanf("%31s %31s %31s %lf %lf", p, kind, opt, &width, &base) != 5)
        die("parametrization, kind, optimizer, width and base width");
    int kind_code = -1;
    for (int k = 0; k < GS_LAYER_KIND_COUNT; k++)
        if (strcmp(kind, layer_kind_name((gs_layer_role)k)) == 0) kind_code = k;
    if (parametrization_parse(p) < 0 || kind_code < 0 || optimizer_parse(opt) < 0)
        die("known names");
    gs_layer_scale s = parametrization_scale((gs_parametrization)parametrization_parse(p),
                                             (gs_layer_role)kind_code,
                                             (gs_optimizer)optimizer_parse(opt), width, base);
    double values[4] = {s.multiplier, s.init_std, s.lr, s.bias_lr};
    print_values("scale", values, 4);
}

int main(void) {
    char kind[32];
    if (scanf("%31s", kind) != 1) die("the case's kind");
    if (strcmp(kind, "cross_entropy") == 0 || strcmp(kind, "mse") == 0)
        run_loss(kind);
    else if (strcmp(kind, "scale") == 0)
        run_scale();
    else if (strcmp(kind, "sgd") == 0 || strcmp(kind, "momentum") == 0 || strcmp(kind, "adam") == 0)
        run_optimizer(kind);
    else
        die("a known kind (cross_entropy mse sgd momentum adam scale)");
    return 0;
}
