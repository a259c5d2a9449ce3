/* SPDX-License-Identifier: MIT */
/* test_loss.c — the training losses: the backward pass is the derivative of
 * the forward pass (central differences in double), cross entropy stays
 * finite for huge logits, NaN is NaN, the one-hot mse is the mse against
 * explicit one-hot targets, accuracy follows torch.argmax's tie rule, and the
 * float versions agree with the double ones. (Values against PyTorch:
 * tests/test_train_kernels.py.) */
#include <stdint.h>
#include <stdlib.h>

#include "gradsweep/train_loss.h"
#include "testing.h"

enum { B = 4, K = 5 };

static const double logits[B * K] = {0.3,  -1.2, 2.0,  0.0, 0.7,  1.5, 1.5, -0.4, 0.2, -2.0,
                                     -0.1, 0.4,  0.05, 3.1, -1.0, 0.0, 0.0, 0.0,  0.0, 0.0};
static const int32_t labels[B] = {2, 1, 0, 4};

/* The batch mean of ℓ at z, by the named loss (mse against one-hot labels). */
static double loss_at(int cross_entropy, const double *z) {
    double probs[B * K];
    return cross_entropy ? cross_entropy_forward_f64(probs, NULL, z, labels, B, K, NULL)
                         : mse_forward_f64(NULL, z, NULL, labels, B, K, NULL);
}

/* δ per sample is B × ∂(batch mean)/∂z: compare with central differences. */
static void check_gradient(int cross_entropy) {
    double probs[B * K], delta[B * K], z[B * K];
    if (cross_entropy) {
        cross_entropy_forward_f64(probs, NULL, logits, labels, B, K, NULL);
        cross_entropy_backward_f64(delta, probs, labels, B, K);
    } else {
        mse_backward_f64(delta, logits, NULL, labels, B, K);
    }
    const double h = 1e-6;
    for (int i = 0; i < B * K; i++) {
        for (int j = 0; j < B * K; j++)
            z[j] = logits[j];
        z[i] = logits[i] + h;
        double up = loss_at(cross_entropy, z);
        z[i] = logits[i] - h;
        double down = loss_at(cross_entropy, z);
        CHECK_NEAR(delta[i], B * (up - down) / (2 * h), 1e-8);
    }
}

static void test_cross_entropy_gradient(void) { check_gradient(1); }
static void test_mse_gradient(void) { check_gradient(0); }

/* ℓ = log Σ exp z − z_y, evaluated directly where that is safe. */
static void test_cross_entropy_values(void) {
    double probs[B * K], losses[B];
    int64_t correct = 0;
    double mean = cross_entropy_forward_f64(probs, losses, logits, labels, B, K, &correct);
    double total = 0;
    for (int i = 0; i < B; i++) {
        double sum = 0, prob_sum = 0;
        for (int j = 0; j < K; j++)
            sum += exp(logits[i * K + j]), prob_sum += probs[i * K + j];
        CHECK_NEAR(losses[i], log(sum) - logits[i * K + labels[i]], 1e-14);
        CHECK_NEAR(prob_sum, 1.0, 1e-15);
        total += losses[i];
    }
    CHECK_NEAR(mean, total / B, 1e-15);
    CHECK_NEAR(losses[3], log(5.0), 1e-15); /* uniform logits */
    /* sample 0: argmax 2 = label; 1: tie 0/1, first wins, label 1 wrong;
     * 2: argmax 3, label 0 wrong; 3: all equal, argmax 0, label 4 wrong */
    CHECK(correct == 1);
}

/* Logits of ±1e308 would overflow exp without the max shift. */
static void test_cross_entropy_extremes(void) {
    double z[2 * 3] = {1e308, -1e308, 0, 800, 799, -5}, probs[6], losses[2];
    int32_t y[2] = {2, 0};
    cross_entropy_forward_f64(probs, losses, z, y, 2, 3, NULL);
    CHECK(losses[0] == 1e308); /* log(1 + 0 + 0) + 1e308 − 0 */
    CHECK_NEAR(losses[1], log(1 + exp(-1.0) + exp(-805.0)), 1e-15);
    CHECK(probs[0] == 1.0 && probs[1] == 0.0);
    double bad[3] = {0.5, NAN, 1.0}, p3[3], l3;
    int64_t correct = 0;
    int32_t y0 = 2;
    cross_entropy_forward_f64(p3, &l3, bad, &y0, 1, 3, &correct);
    CHECK(isnan(l3) && isnan(p3[0]));
    CHECK(correct == 0); /* a NaN row is never correct, though 1.0 is the largest number */
    double inf_row[3] = {0.5, INFINITY, 1.0};
    cross_entropy_forward_f64(p3, &l3, inf_row, &y0, 1, 3, NULL);
    CHECK(isnan(l3));
}

/* mse against labels is mse against their one-hot vectors, with targets. */
static void test_mse_one_hot(void) {
    double one_hot[B * K] = {0}, losses_labels[B], losses_targets[B];
    for (int i = 0; i < B; i++)
        one_hot[i * K + labels[i]] = 1;
    int64_t correct_labels = 0, correct_targets = 0;
    double a = mse_forward_f64(losses_labels, logits, NULL, labels, B, K, &correct_labels);
    double b = mse_forward_f64(losses_targets, logits, one_hot, NULL, B, K, &correct_targets);
    CHECK(a == b);
    for (int i = 0; i < B; i++)
        CHECK(losses_labels[i] == losses_targets[i]);
    CHECK(correct_labels == 1 && correct_targets == 0); /* targets have no accuracy */
    double d1[B * K], d2[B * K];
    mse_backward_f64(d1, logits, NULL, labels, B, K);
    mse_backward_f64(d2, logits, one_hot, NULL, B, K);
    for (int i = 0; i < B * K; i++)
        CHECK(d1[i] == d2[i] && d1[i] == logits[i] - one_hot[i]);
}

/* Float: the same arithmetic on rounded inputs, so within float rounding. */
static void test_float_matches_double(void) {
    float zf[B * K], pf[B * K], df[B * K];
    double pd[B * K], dd[B * K], lf[B], ld[B];
    for (int i = 0; i < B * K; i++)
        zf[i] = (float)logits[i];
    double zd[B * K];
    for (int i = 0; i < B * K; i++)
        zd[i] = zf[i];
    int64_t cf = 0, cd = 0;
    double mf = cross_entropy_forward_f32(pf, lf, zf, labels, B, K, &cf);
    double md = cross_entropy_forward_f64(pd, ld, zd, labels, B, K, &cd);
    CHECK(mf == md && cf == cd); /* same double arithmetic on the same values */
    cross_entropy_backward_f32(df, pf, labels, B, K);
    cross_entropy_backward_f64(dd, pd, labels, B, K);
    for (int i = 0; i < B * K; i++)
        CHECK_NEAR(df[i], dd[i], 1e-7);
    mse_backward_f32(df, zf, NULL, labels, B, K);
    for (int i = 0; i < B * K; i++)
        CHECK(df[i] == (float)(zd[i] - (i % K == labels[i / K])));
    CHECK(output_argmax_f32(zf + K, K) == 0 && output_argmax_f64(logits + 2 * K, K) == 3);
}

int main(void) {
    RUN(test_cross_entropy_gradient);
    RUN(test_mse_gradient);
    RUN(test_cross_entropy_values);
    RUN(test_cross_entropy_extremes);
    RUN(test_mse_one_hot);
    RUN(test_float_matches_double);
    TEST_MAIN_END();
}
