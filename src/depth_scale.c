/* SPDX-License-Identifier: MIT */
/* depth_scale.c — measured depth scales: the window, the one-layer
 * regression and its failure cases (see depth_scale.h). */
#include "gradsweep/depth_scale.h"

#include <float.h>
#include <math.h>

/* The theory's curve is resolved while its deviation from the fixed point
 * exceeds this (relative to max(1, |f|)): the maps are iterated in double and
 * stop changing at ~1e-15, after which their local rate means nothing. */
#define THEORY_RESOLUTION 1e-9

static double at(const double *first, size_t stride, int layer) {
    return *(const double *)((const char *)first + (size_t)(layer - 1) * stride);
}

static void no_fit(gs_decay_fit *out, gs_xi_reason reason) {
    *out = (gs_decay_fit){.reason = reason,
                          .xi = NAN,
                          .xi_stderr = NAN,
                          .chi = NAN,
                          .chi_stderr = NAN,
                          .chi2_dof = NAN};
}

/* What the theory alone decides: whether there is a finite fixed point with an
 * exponential approach to measure. GS_XI_FITTED means "go on". */
static gs_xi_reason theory_verdict(const gs_decay_series *s) {
    if (!isfinite(s->fixed_point)) return GS_XI_NO_FIXED_POINT;
    if (isnan(s->xi_theory)) return GS_XI_REPELLING;
    if (isinf(s->xi_theory)) return GS_XI_MARGINAL;
    if (!(s->xi_theory > 0)) return GS_XI_SHORT_TRANSIENT; /* χ = 0: gone within a layer */
    if (s->depth < DEPTH_SCALE_MIN_STEPS + 1) return GS_XI_TOO_SHALLOW;
    return GS_XI_FITTED;
}

/* The first layer l (≥ 2) from which on every step l−1 → l of the theory's
 * curve, while it is resolved, decays at a local depth scale within the
 * tolerance of ξ_theory; depth + 1 if the curve never settles so. */
static int window_start(const gs_decay_series *s) {
    const double f = s->fixed_point, xi = s->xi_theory;
    const double resolution = THEORY_RESOLUTION * fmax(1.0, fabs(f));
    int resolved = 0; /* the last layer whose theory deviation is resolved */
    for (int l = 1; l <= s->depth; l++) {
        double d = at(s->theory, s->theory_stride, l) - f;
        if (!(fabs(d) > resolution)) break; /* also NaN */
        resolved = l;
    }
    int start = 2;
    for (int l = 2; l <= resolved; l++) {
        double ratio =
            (at(s->theory, s->theory_stride, l) - f) / (at(s->theory, s->theory_stride, l - 1) - f);
        bool settled =
            ratio > 0 && ratio < 1 && fabs(-1.0 / log(ratio) / xi - 1.0) <= DEPTH_SCALE_TOLERANCE;
        if (!settled) start = l + 1;
    }
    /* resolved < 2: the curve sits at f (within resolution) from layer 1 or 2
     * on; whatever the network shows there is noise, which the floor judges. */
    return resolved >= 2 && start > resolved ? s->depth + 1 : start;
}

void decay_fit(const gs_decay_series *s, gs_decay_fit *out) {
    gs_xi_reason verdict = theory_verdict(s);
    if (verdict != GS_XI_FITTED) {
        no_fit(out, verdict);
        return;
    }
    for (int l = 1; l <= s->depth; l++)
        if (!isfinite(at(s->measured, s->measured_stride, l))) {
            no_fit(out, GS_XI_NO_DATA);
            return;
        }
    const int start = window_start(s);
    if (start > s->depth) {
        no_fit(out, GS_XI_LONG_TRANSIENT);
        return;
    }
    const double f = s->fixed_point, chi_theory = exp(-1.0 / s->xi_theory);
    const double stationary = 1.0 / sqrt(1.0 - chi_theory * chi_theory);
    double sum_w = 0, sum_wr = 0, sum_wrr = 0;
    int steps = 0, last = 0;
    for (int l = start; l <= s->depth; l++) {
        /* The window ends where the expected deviation (the theory's) reaches
         * the noise floor, not where the measured one does: which steps are
         * fitted must not depend on the noise being fitted. */
        double expected = at(s->theory, s->theory_stride, l - 1) - f;
        double floor = DEPTH_SCALE_FLOOR_SIGMAS * stationary *
                       s->noise(s->noise_ctx, l, at(s->theory, s->theory_stride, l));
        if (!(fabs(expected) >= fmax(floor, s->precision_floor))) break;
        double previous = at(s->measured, s->measured_stride, l - 1) - f;
        double current = at(s->measured, s->measured_stride, l) - f;
        if (!(fabs(previous) >= s->precision_floor) || !(fabs(current) >= s->precision_floor))
            break; /* the statistic's rounding: no ratio to take */
        double sd = s->noise(s->noise_ctx, l, f + chi_theory * previous);
        if (!(sd > 0 && isfinite(sd))) break;
        double w = previous * previous / (sd * sd), r = current / previous;
        sum_w += w;
        sum_wr += w * r;
        sum_wrr += w * r * r;
        steps++;
        last = l;
    }
    no_fit(out, GS_XI_SHORT_TRANSIENT);
    out->steps = steps;
    if (steps < DEPTH_SCALE_MIN_STEPS) return;
    const double chi = sum_wr / sum_w;
    const double chi2_dof = fmax(0.0, sum_wrr - sum_wr * chi) / (steps - 1);
    const double se = fmax(1.0, sqrt(chi2_dof)) / sqrt(sum_w);
    out->chi = chi;
    out->chi_stderr = se;
    out->chi2_dof = chi2_dof;
    if (chi - 1 > DEPTH_SCALE_SIGNIFICANCE * se) {
        out->reason = GS_XI_REPELLING;
    } else if (chi >= 1 - DEPTH_SCALE_SIGNIFICANCE * se) {
        out->reason = GS_XI_NO_DECAY;
    } else if (chi <= 0) {
        out->reason = GS_XI_SHORT_TRANSIENT; /* overshoots within a layer: no rate */
    } else {
        double log_chi = log(chi);
        out->reason = GS_XI_FITTED;
        out->xi = -1.0 / log_chi;
        out->xi_stderr = se / (chi * log_chi * log_chi); /* dξ/dχ = 1/(χ log²χ) */
        out->first_layer = start;
        out->last_layer = last;
    }
}

/* ---- the sampling errors of one layer's statistics --------------------------------- */

double depth_scale_c_noise(double c, int width, int batch) {
    const double n = width, B = batch;
    c = fmin(1.0, fmax(0.0, c));
    const double e = 1 - c;
    double variance = e * e / n * (2 * c * c * (1 + 1 / B) + 4 * c * e / B + 2 / (B * (B - 1)));
    return sqrt(variance);
}

double depth_scale_q_noise(double q, double c, int width, int batch) {
    const double n = width, B = batch;
    c = fmin(1.0, fmax(0.0, c));
    return fabs(q) * sqrt(2 * (1 + (B - 1) * c * c) / (n * B));
}

/* Measured where a float32 tanh network's 1 − c stops decaying (5e-14) and
 * ×20; in float64 the double sums of the cosine (B² terms) set the floor. */
double depth_scale_c_precision(gs_precision p) { return p == GS_FLOAT32 ? 1e-12 : 1e-13; }
double depth_scale_q_precision(gs_precision p) { return p == GS_FLOAT32 ? 1e-6 : 1e-13; }

/* ---- one configuration ------------------------------------------------------------- */

typedef struct noise_ctx {
    const gs_config *cfg;
    const gs_layer_stats *layers;
} noise_ctx;

static double c_noise(void *vctx, int layer, double expected) {
    const noise_ctx *k = vctx;
    (void)layer;
    return depth_scale_c_noise(expected, k->cfg->width, k->cfg->batch);
}

/* q's fluctuation grows with the batch's correlation (the samples' z move
 * together): c of the same layer, the one the layer's draws are correlated at. */
static double q_noise(void *vctx, int layer, double expected) {
    const noise_ctx *k = vctx;
    return depth_scale_q_noise(expected, k->layers[layer - 1].c, k->cfg->width, k->cfg->batch);
}

static void keep(const gs_decay_fit *fit, double *xi, double *stderr_, int *reason, int *first,
                 int *last) {
    *xi = fit->xi;
    *stderr_ = fit->xi_stderr;
    *reason = (int)fit->reason;
    *first = fit->first_layer;
    *last = fit->last_layer;
}

void depth_scales_measure(const gs_config *cfg, gs_result *res) {
    gs_decay_fit c_fit, q_fit;
    no_fit(&c_fit, GS_XI_NO_DATA);
    no_fit(&q_fit, GS_XI_NO_DATA);
    if (res->status == GS_STATUS_DONE && res->layers && res->theory && cfg->depth >= 1) {
        noise_ctx ctx = {cfg, res->layers};
        const double q_star = res->q_star_theory;
        gs_decay_series q = {
            .depth = cfg->depth,
            .measured = &res->layers[0].q,
            .measured_stride = sizeof *res->layers,
            .theory = &res->theory[0].q,
            .theory_stride = sizeof *res->theory,
            .fixed_point = q_star,
            .xi_theory = res->xi_q_theory,
            .precision_floor =
                fmax(depth_scale_q_precision(cfg->precision) * fabs(q_star), DBL_MIN),
            .noise = q_noise,
            .noise_ctx = &ctx,
        };
        decay_fit(&q, &q_fit);
        /* c's fixed point lives at q*: none if q* is not a positive number (at
         * q* = 0 the network turns linear and the c map into the identity),
         * and it repels with q*. */
        gs_decay_series c = q;
        c.measured = &res->layers[0].c;
        c.theory = &res->theory[0].c;
        c.fixed_point = res->c_star_theory;
        c.xi_theory = res->xi_c_theory;
        c.precision_floor = depth_scale_c_precision(cfg->precision);
        c.noise = c_noise;
        if (!(q_star > 0 && isfinite(q_star)))
            no_fit(&c_fit, GS_XI_NO_FIXED_POINT);
        else if (isnan(res->xi_q_theory))
            no_fit(&c_fit, GS_XI_REPELLING);
        else
            decay_fit(&c, &c_fit);
    }
    keep(&c_fit, &res->xi_c_measured, &res->xi_c_measured_stderr, &res->xi_c_measured_reason,
         &res->xi_c_fit_first_layer, &res->xi_c_fit_last_layer);
    keep(&q_fit, &res->xi_q_measured, &res->xi_q_measured_stderr, &res->xi_q_measured_reason,
         &res->xi_q_fit_first_layer, &res->xi_q_fit_last_layer);
}
