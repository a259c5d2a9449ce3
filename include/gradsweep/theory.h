/* SPDX-License-Identifier: MIT */
/* theory.h — mean-field predictions for deep fully-connected networks at
 * random initialization (Poole et al. 2016; Schoenholz et al. 2017), the
 * numbers every results file carries beside the measured ones. Pure maths:
 * no MPI, no HDF5, no allocation; deterministic, so every rank computes the
 * same bits. docs/theory.md derives every equation below.
 *
 * Notation: z ~ N(0, 1), u = √q z, and for two samples u1 = √q z1,
 * u2 = √q (c z1 + √(1-c²) z2) (variance q, correlation c). The network of
 * net.h has, per layer,
 *   q[1]   = σw² q_in + σb²                              (the input is not passed through φ)
 *   q[l]   = σw² E[φ(√q[l-1] z)²] + σb²,  l ≥ 2          the length map
 *   c[1]   = (σw² c_in q_in + σb²) / q[1]
 *   c[l]   = (σw² E[φ(u1)φ(u2)] + σb²) / q[l]            at (q[l-1], c[l-1]): the correlation map
 *   probe: delta_sq[L] = 1; delta_sq[l] = σw² delta_sq[l+1] E[φ'(√q[l] z)²]
 *   mse:   delta_sq[L] = q[L] + 1, and below it the recursion of docs/theory.md:
 *          δ = z[L] − y is correlated with W[L], which adds a "signal" term
 *          (for gaussian and uniform weights a different one than for orthogonal)
 *   χ1 = σw² E[φ'(√q* z)²], χ_q = σw² dE[φ(√q z)²]/dq at q*, χ_c = σw² E[φ'(u1*)φ'(u2*)],
 *   ξ_q = −1/log χ_q, ξ_c = −1/log χ_c.
 *
 * Gaussian expectations use closed forms for linear, relu, leaky_relu (the
 * arc-cosine kernel, Cho & Saul 2009) and erf (Williams 1997), and otherwise
 * adaptive Gauss–Kronrod quadrature split at φ's kink and at the scales of φ
 * and of the Gaussian: one-sample expectations to ~1e-13 relative to
 * E|integrand|, two-sample ones (the correlation map) to ~1e-10.
 *
 * Limits instead of failures: q = 0 and q = inf use the activation's limits
 * (a bounded φ saturates, an unbounded one becomes homogeneous); a NaN input
 * gives NaN outputs; predictions that overflow are inf, as the network's. */
#ifndef GRADSWEEP_THEORY_H
#define GRADSWEEP_THEORY_H

#include <stdbool.h>

#include "gradsweep/activation.h"
#include "gradsweep/config.h"

/* One-variable Gaussian expectations at u = √q z. */
typedef struct gs_moments {
    double v;  /* E[φ(u)²]: the length map's kernel */
    double d;  /* E[φ'(u)²]: χ1 / σw² */
    double dv; /* dv/dq = E[φ'(u)² + φ(u)φ''(u)] = E[φ(u)² (z² − 1)] / (2q): χ_q / σw² */
    double p;  /* E[φ(u)² φ'(u)²]: the mse loss's signal term */
} gs_moments;

gs_moments theory_moments(const gs_activation *act, double q);
/* E[φ'(u)⁴]: μ2 of the Jacobian's spectrum (theory_jacobian), closed forms
 * where theory_moments has them; the second by quadrature alone (0 < q < inf). */
double theory_dphi4(const gs_activation *act, double q);
double theory_dphi4_quadrature(const gs_activation *act, double q);
/* E[φ(u1) φ(u2)] and E[φ'(u1) φ'(u2)] for variance q and correlation c in [-1, 1]. */
double theory_kernel(const gs_activation *act, double q, double c);
double theory_dkernel(const gs_activation *act, double q, double c);

/* The same by quadrature alone, never a closed form (0 < q < inf): for
 * checking the quadrature against the closed forms. */
gs_moments theory_moments_quadrature(const gs_activation *act, double q);
double theory_kernel_quadrature(const gs_activation *act, double q, double c);
double theory_dkernel_quadrature(const gs_activation *act, double q, double c);

/* ---- the maps of one (φ, σw, σb) ------------------------------------------------ */

typedef struct gs_mean_field {
    gs_activation act;
    double sigma_w, sigma_b;
} gs_mean_field;

double theory_length_map(const gs_mean_field *mf, double q);
/* c[l] from q[l-1], c[l-1] and q[l] (= theory_length_map(q[l-1])). */
double theory_correlation_map(const gs_mean_field *mf, double q_prev, double c_prev, double q);

/* Stability of q* under the length map, from χ_q: < 1 stable, = 1 marginal
 * (power-law approach, or q* = q[1] for homogeneous φ), > 1 repelling. */
typedef enum gs_stability {
    GS_STABILITY_UNKNOWN = 0, /* q* is NaN */
    GS_STABILITY_STABLE,
    GS_STABILITY_MARGINAL,
    GS_STABILITY_UNSTABLE,
} gs_stability;

const char *stability_name(gs_stability s); /* "yes", "marginal", "no", "nan" */

/* What holds at a fixed point q* of the length map. */
typedef struct gs_fixed_point {
    double q_star;
    double chi1;   /* σw² E[φ'(√q* z)²]: < 1 ordered (gradients vanish), > 1 chaotic */
    double chi_q;  /* slope of the length map at q* */
    double c_star; /* the correlation map's stable fixed point at q* (1 unless chaotic) */
    double chi_c;  /* slope of the correlation map at c* */
    double xi_q;   /* −1/log χ_q: depth over which q approaches q* (inf: marginal; NaN: it
                    * does not, q* repelling or infinite) */
    double xi_c;   /* −1/log χ_c: depth over which correlations approach c* (inf: only
                    * polynomially, as at criticality, or never) */
    gs_stability stability;
} gs_fixed_point;

/* χ1, χ_q, c*, χ_c, ξ_q, ξ_c and the stability at a given q* (0 and inf
 * allowed: the limits). */
void theory_at_fixed_point(const gs_mean_field *mf, double q_star, gs_fixed_point *out);
/* q* = lim q[l] of the length map started at q[1], then theory_at_fixed_point.
 * This is the fixed point a network with that q[1] approaches: 0 where the
 * signal dies out (e.g. tanh with σb = 0 and σw ≤ 1), inf where it grows
 * without bound (relu with σw² > 2, or σw² = 2 and σb > 0), q[1] itself for
 * relu with σw² = 2 and σb = 0 (every q is a fixed point then). */
void theory_fixed_point(const gs_mean_field *mf, double q1, gs_fixed_point *out);

/* The edge of chaos: σw where χ1 = 1 for this φ and σb. For linear, relu and
 * leaky_relu χ1 does not depend on q (σw = 1, √2, √(2/(1+s²))), and q* is the
 * fixed point reached from q[1] = σw² + σb² (q[1] itself if σb = 0, else inf).
 * Otherwise fixed points are parametrised by q* (σw² = (q* − σb²)/E[φ(√q* z)²])
 * and χ1(q*) = 1 is solved by a bracketing scan and Brent's method; of several
 * solutions the stable one with the smallest q* is returned, else q* = 0
 * (σb = 0 and φ(0) = 0: σw = 1/|φ'(0)|, marginal), else the smallest repelling
 * one, else q* = inf where φ grows linearly (σw² = 1/E[φ'(±inf)²]). Returns
 * false, with sigma_w and out->q_star NaN, if there is none (bounded φ). */
bool theory_critical(const gs_activation *act, double sigma_b, double *sigma_w,
                     gs_fixed_point *out);

/* ---- one configuration ---------------------------------------------------------- */

/* Per-layer predictions for a network of cfg's depth whose inputs have second
 * moment q_in and correlation c_in between distinct samples: layers[l-1] for
 * l = 1 … depth. Uses cfg's activation, sigma_w, sigma_b, depth, loss and
 * (for mse) init. */
void theory_layers(const gs_config *cfg, double q_in, double c_in, gs_layer_theory *layers);

/* The free-probability predictions of the input-output Jacobian's spectrum
 * (Pennington, Schoenholz & Ganguli 2017, 2018; docs/theory.md), per layer
 * l = 1 … depth into out[l-1], along the length map from q_in:
 *   jac_sq_sv_mean[l]      = Π_{k ≤ l} σw² μ1(q[k])
 *   jac_sq_sv_var_ratio[l] = Σ_{k ≤ l} (μ2(q[k]) / μ1(q[k])² − 1 − s1)
 * with μ1 = E[φ'(√q z)²], μ2 = E[φ'(√q z)⁴], and s1 = −1 for gaussian and
 * uniform weights (W Wᵀ is Marchenko–Pastur), 0 for orthogonal ones (W Wᵀ =
 * σw² I). Exact as the width grows (docs/theory.md says how finite width
 * biases a measurement). */
void theory_jacobian(const gs_config *cfg, double q_in, gs_jacobian_stats *out);

/* A sweep's predictions share most of their work: a configuration's forward
 * path depends on (φ, σw, σb) alone and a shallower network's is a prefix of
 * a deeper one's; the critical σw depends on (φ, σb). A gs_theory remembers
 * them (a few doubles per layer and scale), so a rank computes each once.
 * Results are bit for bit those computed afresh. */
typedef struct gs_theory gs_theory;
gs_theory *theory_create(void);
void theory_destroy(gs_theory **theory);

/* Everything a results file holds for cfg (inputs with q_in = E[x²] = 1 and
 * c_in = cfg->input_correlation, 0 for independent samples):
 * res->theory[0 … depth-1], chi1_theory, q_star_theory, xi_q_theory,
 * xi_c_theory, c_star_theory and sigma_w_critical_theory; with
 * cfg->jacobian_samples > 0 also res->jacobian_theory[0 … depth-1] (unless
 * NULL).
 * tick (may be NULL) is called after each new layer, as the network's
 * between-layers hook is (rank 0 answers requests there); its answer is
 * ignored. */
void theory_predict(gs_theory *theory, const gs_config *cfg, gs_result *res, bool (*tick)(void *),
                    void *tick_ctx);

#endif
