/* SPDX-License-Identifier: MIT */
/* optim.c — SGD, heavy-ball momentum and Adam as elementwise kernels, in
 * torch.optim's order of operations (optim.h), for float and double. */
#include "gradsweep/optim.h"

#include <math.h>

#include "gradsweep/train_spec.h"

/* The per-element formulas once, for both buffer types: REAL is the type. */
#define DEFINE_UPDATES(REAL, SUFFIX)                                                               \
    void sgd_update_##SUFFIX(REAL *p, const REAL *g, size_t n, double lr) {                        \
        double step = -lr;                                                                         \
        for (size_t i = 0; i < n; i++)                                                             \
            p[i] = (REAL)((double)p[i] + step * (double)g[i]);                                     \
    }                                                                                              \
                                                                                                   \
    void momentum_update_##SUFFIX(REAL *p, REAL *v, const REAL *g, size_t n, double lr,            \
                                  double mu) {                                                     \
        double step = -lr;                                                                         \
        for (size_t i = 0; i < n; i++) {                                                           \
            double velocity = (double)v[i] * mu + (double)g[i];                                    \
            v[i] = (REAL)velocity;                                                                 \
            p[i] = (REAL)((double)p[i] + step * (double)v[i]);                                     \
        }                                                                                          \
    }                                                                                              \
                                                                                                   \
    void adam_update_##SUFFIX(REAL *p, REAL *m, REAL *v, const REAL *g, size_t n, double lr,       \
                              const gs_optim_params *hp, int64_t step) {                           \
        adam_factors f = adam_step_factors(lr, hp, step);                                          \
        for (size_t i = 0; i < n; i++) {                                                           \
            double gi = (double)g[i];                                                              \
            m[i] = (REAL)((double)m[i] * hp->beta1 + f.one_minus_beta1 * gi);                      \
            v[i] = (REAL)((double)v[i] * hp->beta2 + f.one_minus_beta2 * gi * gi);                 \
            double denom = sqrt((double)v[i]) / f.bias_correction2_sqrt + hp->eps;                 \
            p[i] = (REAL)((double)p[i] + f.neg_step_size * (double)m[i] / denom);                  \
        }                                                                                          \
    }

/* What torch.optim.Adam computes once per step (as Python floats). */
typedef struct adam_factors {
    double one_minus_beta1, one_minus_beta2;
    double neg_step_size;         /* −lr / (1 − β1ᵗ) */
    double bias_correction2_sqrt; /* √(1 − β2ᵗ) */
} adam_factors;

static adam_factors adam_step_factors(double lr, const gs_optim_params *hp, int64_t step) {
    double t = (double)step;
    adam_factors f;
    f.one_minus_beta1 = 1 - hp->beta1;
    f.one_minus_beta2 = 1 - hp->beta2;
    double bias_correction1 = 1 - pow(hp->beta1, t);
    f.neg_step_size = -(lr / bias_correction1);
    f.bias_correction2_sqrt = sqrt(1 - pow(hp->beta2, t));
    return f;
}

DEFINE_UPDATES(float, f32)
DEFINE_UPDATES(double, f64)

int optim_state_buffers(int optimizer) {
    switch (optimizer) {
    case GS_OPT_MOMENTUM: return 1;
    case GS_OPT_ADAM: return 2;
    default: return 0;
    }
}
