/* SPDX-License-Identifier: MIT */
/* test_optim.c — properties of the update kernels that hold whatever the
 * numbers: momentum with μ = 0 is SGD and its first step is SGD's, Adam's
 * first step moves every parameter by lr·g/(|g| + ε) (bias correction makes
 * m̂ = g and v̂ = g² exactly when β's powers are exact), Adam minimises a
 * quadratic, and float follows double. Values against torch.optim:
 * tests/test_train_kernels.py. */
#include <stdint.h>
#include <string.h>

#include "gradsweep/optim.h"
#include "gradsweep/train_spec.h"
#include "testing.h"

enum { N = 6 };
static const double p0[N] = {0.5, -1.0, 2.0, 0.0, 1e-3, -7.5};
static const double g0[N] = {0.25, 0.5, -1.0, 0.0, 3.0, -0.125};

static void test_sgd(void) {
    double p[N];
    memcpy(p, p0, sizeof p);
    sgd_update_f64(p, g0, N, 0.5);
    for (int i = 0; i < N; i++)
        CHECK(p[i] == p0[i] - 0.5 * g0[i]);
}

static void test_momentum(void) {
    double p[N], q[N], v[N] = {0}, w[N] = {0};
    memcpy(p, p0, sizeof p);
    memcpy(q, p0, sizeof q);
    momentum_update_f64(p, v, g0, N, 0.1, 0.9); /* first step: v = g, as torch's */
    sgd_update_f64(q, g0, N, 0.1);
    for (int i = 0; i < N; i++)
        CHECK(p[i] == q[i] && v[i] == g0[i]);
    momentum_update_f64(p, v, g0, N, 0.1, 0.9); /* second: v = 0.9 g + g */
    for (int i = 0; i < N; i++)
        CHECK_NEAR(v[i], 1.9 * g0[i], 1e-15);
    memcpy(p, p0, sizeof p);
    memcpy(q, p0, sizeof q);
    for (int step = 0; step < 3; step++) { /* μ = 0: SGD, bit for bit */
        momentum_update_f64(p, w, g0, N, 0.3, 0.0);
        sgd_update_f64(q, g0, N, 0.3);
    }
    for (int i = 0; i < N; i++)
        CHECK(p[i] == q[i]);
    CHECK(optim_state_buffers(GS_OPT_SGD) == 0 && optim_state_buffers(GS_OPT_MOMENTUM) == 1 &&
          optim_state_buffers(GS_OPT_ADAM) == 2);
}

static void test_adam_first_step(void) {
    gs_optim_params hp = {0, 0.5, 0.75, 1e-8}; /* powers of ½: bias correction exact */
    double p[N], m[N] = {0}, v[N] = {0};
    memcpy(p, p0, sizeof p);
    adam_update_f64(p, m, v, g0, N, 0.01, &hp, 1);
    for (int i = 0; i < N; i++) {
        double expected = p0[i] - 0.01 * g0[i] / (fabs(g0[i]) + 1e-8);
        CHECK_NEAR(p[i], expected, 1e-15 * fmax(1, fabs(expected)));
        CHECK(m[i] == 0.5 * g0[i] && v[i] == 0.25 * g0[i] * g0[i]);
    }
    CHECK(p[3] == p0[3]); /* g = 0: no move */
}

/* ½‖p − t‖² from p0 with Adam's defaults: after 2000 steps of lr 0.01 every
 * coordinate is within a few lr of its target. */
static void test_adam_minimises(void) {
    gs_optim_params hp = {0, 0.9, 0.999, 1e-8};
    const double target[N] = {1, 2, -3, 0.5, 0, -1};
    double p[N], m[N] = {0}, v[N] = {0}, g[N];
    memcpy(p, p0, sizeof p);
    for (int64_t t = 1; t <= 2000; t++) {
        for (int i = 0; i < N; i++)
            g[i] = p[i] - target[i];
        adam_update_f64(p, m, v, g, N, 0.01, &hp, t);
    }
    for (int i = 0; i < N; i++)
        CHECK_NEAR(p[i], target[i], 0.05);
}

static void test_float_follows_double(void) {
    gs_optim_params hp = {0.9, 0.9, 0.999, 1e-8};
    float pf[N], mf[N] = {0}, vf[N] = {0}, gf[N];
    double pd[N], md[N] = {0}, vd[N] = {0}, gd[N];
    for (int i = 0; i < N; i++)
        pf[i] = (float)p0[i], pd[i] = pf[i], gf[i] = (float)g0[i], gd[i] = gf[i];
    for (int64_t t = 1; t <= 5; t++) {
        adam_update_f32(pf, mf, vf, gf, N, 1e-3, &hp, t);
        adam_update_f64(pd, md, vd, gd, N, 1e-3, &hp, t);
    }
    for (int i = 0; i < N; i++)
        CHECK_NEAR(pf[i], pd[i], 1e-6 * fmax(1, fabs(pd[i])));
    float vm[N] = {0};
    double vmd[N] = {0};
    momentum_update_f32(pf, vm, gf, N, 0.1, hp.momentum);
    momentum_update_f64(pd, vmd, gd, N, 0.1, hp.momentum);
    for (int i = 0; i < N; i++)
        CHECK_NEAR(pf[i], pd[i], 1e-6 * fmax(1, fabs(pd[i])));
    sgd_update_f32(pf, gf, N, 0.1);
    for (int i = 0; i < N; i++)
        CHECK(isfinite(pf[i]));
}

int main(void) {
    RUN(test_sgd);
    RUN(test_momentum);
    RUN(test_adam_first_step);
    RUN(test_adam_minimises);
    RUN(test_float_follows_double);
    TEST_MAIN_END();
}
