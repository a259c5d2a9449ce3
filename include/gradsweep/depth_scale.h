/* SPDX-License-Identifier: MIT */
/* depth_scale.h — depth scales measured on one network: how fast its
 * measured c[l] and q[l] approach the mean-field fixed points c* and q*, as
 * ξ = −1/log χ with χ the fitted per-layer decay factor of |c[l] − c*| (or
 * |q[l] − q*|), beside the theory's ξ_c and ξ_q (Schoenholz et al. 2017, who
 * measured the same thing: their Figures 2–3). Pure maths on a configuration's
 * per-layer statistics after it ran (no pass over the network): no MPI, no
 * HDF5, no allocation. docs/theory.md, "Measured depth scales", derives and
 * checks everything here.
 *
 * The fit, for a measured series m[l] with fixed point f and deviation
 * d[l] = m[l] − f, l = 1 … L:
 *   - Finite width makes each layer add its own fluctuation: d[l] = χ d[l−1]
 *     + η[l], η[l] of standard deviation s[l] (the sampling error of layer
 *     l's statistic given layer l−1, at width n and batch B, below). Because
 *     each η propagates to every later layer, the errors of a straight-line
 *     fit of log|d[l]| against l accumulate like a random walk; the
 *     generalized least-squares fit for that is the one-layer regression of
 *     d[l] on d[l−1] through the origin: χ = Σ w r / Σ w over the window's
 *     steps, r[l] = d[l]/d[l−1] with weight w[l] = d[l−1]²/s[l]² (1/w is r's
 *     sampling variance). Its standard error is 1/√Σw, scaled up by
 *     √(χ²/dof) when the residuals exceed the sampling error.
 *   - The window: from the first layer after which the mean-field curve's own
 *     local depth scale −1/log(d_th[l]/d_th[l−1]) stays within
 *     DEPTH_SCALE_TOLERANCE of ξ_theory (before it the approach is still
 *     non-linear: the rate there is not ξ), to the last step whose expected
 *     deviation d_th[l−1] lies above the noise floor
 *     DEPTH_SCALE_FLOOR_SIGMAS · s / √(1 − χ_th²) (the stationary spread of the
 *     fluctuation about the fixed point) and the precision floor (rounding of
 *     the statistic). The window depends on the configuration, not on the
 *     measured noise: ending it where the measured deviation first dips below
 *     the floor would make the steps kept depend on the noise being fitted.
 *   - Fewer than DEPTH_SCALE_MIN_STEPS steps: short_transient; a fitted χ
 *     within DEPTH_SCALE_SIGNIFICANCE standard errors of 1: no_decay; above
 *     1 by more: repelling. The theory classifies first: a fixed point that
 *     is 0, inf or NaN (no_fixed_point), repels (ξ_theory NaN: repelling),
 *     or is marginal (ξ_theory inf: marginal, the approach is a power law).
 * The theory enters in four places only: the fixed point f (the stable c*, or
 * q*), where the window starts and ends, the width of the noise floor and the
 * value at which s is evaluated; the decay factor itself is the data's. */
#ifndef GRADSWEEP_DEPTH_SCALE_H
#define GRADSWEEP_DEPTH_SCALE_H

#include <stdbool.h>
#include <stddef.h>

#include "gradsweep/config.h"

#define DEPTH_SCALE_TOLERANCE    0.05 /* |local ξ_th / ξ_th − 1| from the window's start on */
#define DEPTH_SCALE_FLOOR_SIGMAS 2.0  /* the noise floor, in stationary standard deviations */
#define DEPTH_SCALE_MIN_STEPS    3    /* layer-to-layer steps a fit needs */
#define DEPTH_SCALE_SIGNIFICANCE 2.0  /* standard errors from 1 for a decay (or growth) */

/* One measured series and what the theory says of it. Layer l's value is the
 * double at byte offset (l−1)·stride from measured (theory), so that the
 * fields of gs_layer_stats and gs_layer_theory can be read in place. */
typedef struct gs_decay_series {
    int depth; /* L */
    const double *measured;
    size_t measured_stride;
    const double *theory; /* the mean-field curve of the same quantity */
    size_t theory_stride;
    double fixed_point;     /* f: c* or q* of the theory */
    double xi_theory;       /* its depth scale: NaN if f repels, inf if marginal */
    double precision_floor; /* |deviation| below this is rounding, not signal */
    /* Standard deviation of the fluctuation layer l adds, when its expected
     * value is `expected` (f + χ_th·d[l−1]: the noise is evaluated on what the
     * previous layer predicts, never on the value it is the noise of). */
    double (*noise)(void *ctx, int layer, double expected);
    void *noise_ctx;
} gs_decay_series;

typedef struct gs_decay_fit {
    gs_xi_reason reason;
    double xi, xi_stderr;   /* NaN unless fitted */
    double chi, chi_stderr; /* the fitted decay factor (NaN without a fit) */
    double chi2_dof;        /* Σ w (r − χ)² / (steps − 1); NaN without a fit */
    int first_layer;        /* the steps l−1 → l, l = first … last; 0 without a window */
    int last_layer;
    int steps;
} gs_decay_fit;

/* Fits one series (see the top of this file). */
void decay_fit(const gs_decay_series *series, gs_decay_fit *out);

/* Sampling standard deviation of a layer's measured c (the mean cosine over
 * the B(B−1)/2 pairs of the batch) when its pre-activations have pairwise
 * correlation c, n units: for each unit the batch's z is Gaussian with
 * equal correlations c given the previous layer, and the delta method gives
 *   Var ≈ (1−c)²/n · [2c²(1 + 1/B) + 4c(1−c)/B + 2/(B(B−1))]
 * (B = 2: (1−c²)²/n, the classical variance of a correlation). c is clamped to
 * [0, 1]. */
double depth_scale_c_noise(double c, int width, int batch);
/* The same for the measured q (mean of z² over n units and B samples):
 *   Var = 2 q² (1 + (B−1) c²) / (n B). */
double depth_scale_q_noise(double q, double c, int width, int batch);
/* Below these, differences are rounding: c (absolute) and q (relative to q*)
 * of a network computed in precision p. */
double depth_scale_c_precision(gs_precision p);
double depth_scale_q_precision(gs_precision p);

/* Fills res's GS_DEPTH_SCALE_LIST (xi_c_measured, …) from res->layers,
 * res->theory and the *_theory scalars (theory_predict first): no_data
 * unless res->status is done. */
void depth_scales_measure(const gs_config *cfg, gs_result *res);

#endif
