/* SPDX-License-Identifier: MIT */
/* theory.c — mean-field theory of deep networks at initialization: Gaussian
 * expectations of φ, the length and correlation maps, their fixed points,
 * depth scales and the edge of chaos, and the per-layer predictions stored in
 * every results file. Equations and papers: theory.h and docs/theory.md.
 *
 * Numerics. Every expectation is an integral against the standard normal
 * density. Closed forms serve where they exist (linear, relu, leaky_relu: the
 * arc-cosine kernel; erf: Williams 1997). Otherwise adaptive Gauss–Kronrod
 * (21 points, QUADPACK's error estimate) integrates over z in [-Z, Z], split
 * at φ's kink (u = 0) and at the two scales of the integrand: the Gaussian's
 * (|z| ~ 1) and the activation's (|u| ~ 1, i.e. |z| ~ 1/√q), so that a tanh
 * at q = 1e6 (a step of width 1e-3 in z) is integrated as accurately as at
 * q = 1. Errors are controlled relative to E|integrand|. Two-sample
 * expectations nest the same rule: the inner integral over z2 is φ smoothed
 * by a Gaussian, split at its own kink. */
#include "gradsweep/theory.h"

#include "gradsweep/arch.h"
#include "gradsweep/common.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define SQRT_2PI 2.5066282746310002 /* √(2π) */
#define Z_MAX    12.0               /* N(0,1) mass beyond 12: 2e-33 */
#define TOL      1e-9 /* |χ − 1| below this is "exactly 1" (e.g. he = √2 rounded) */

/* ---- activations: limits and kinks --------------------------------------------- */

static bool is_homogeneous(gs_activation_kind k) {
    return k == GS_ACT_LINEAR || k == GS_ACT_RELU || k == GS_ACT_LEAKY_RELU;
}

static bool is_bounded(gs_activation_kind k) {
    return k == GS_ACT_TANH || k == GS_ACT_SIGMOID || k == GS_ACT_ERF;
}

/* Slopes (a, b) of φ(u) = a·u (u > 0), b·u (u < 0): exact for the homogeneous
 * activations, and the large-q limit of the unbounded ones (φ(u)/u as u → ±inf:
 * selu → λ·relu, gelu, silu, elu, softplus → relu). */
static void two_slopes(const gs_activation *act, double *a, double *b) {
    *a = 1, *b = 0;
    switch (act->kind) {
    case GS_ACT_LINEAR: *b = 1; break;
    case GS_ACT_LEAKY_RELU: *b = act->slope; break;
    case GS_ACT_SELU: *a = GS_SELU_LAMBDA; break;
    case GS_ACT_TANH:
    case GS_ACT_SIGMOID:
    case GS_ACT_ERF: *a = 0; break; /* bounded: no linear growth */
    default: break;
    }
}

/* E[φ(z1)φ(z2)] and E[φ'(z1)φ'(z2)] for unit variance, correlation c, and
 * φ with slopes (a, b): φ = ((a+b)/2) u + ((a−b)/2)|u|, with E|z1||z2| =
 * (2/π)(√(1−c²) + c·asin c) and E[sign z1 sign z2] = (2/π) asin c (the
 * arc-cosine kernel of degree 1, Cho & Saul 2009). */
static double slopes_kernel(double a, double b, double c) {
    double even = 0.5 * (a + b), odd = 0.5 * (a - b);
    return even * even * c + odd * odd * M_2_PI * (sqrt(fmax(0.0, 1 - c * c)) + c * asin(c));
}
static double slopes_dkernel(double a, double b, double c) {
    double even = 0.5 * (a + b), odd = 0.5 * (a - b);
    return even * even + odd * odd * M_2_PI * asin(c);
}

/* One-sided derivatives at 0 (relu: 1 and 0; selu: λ and λα; smooth φ: φ'(0) twice). */
static void slopes_at_zero(const gs_activation *act, double *right, double *left) {
    *right = activation_dphi(act, 0x1p-1000);
    *left = activation_dphi(act, -0x1p-1000);
}

/* φ(±inf) of a bounded activation. */
static void saturation(const gs_activation *act, double *plus, double *minus) {
    *plus = 1;
    *minus = act->kind == GS_ACT_SIGMOID ? 0 : -1;
}

/* ---- adaptive Gauss–Kronrod ------------------------------------------------------ */

enum { MAX_PARTS = 4, MAX_INTERVALS = 400, MAX_BREAKS = 24 };

typedef void (*integrand_fn)(double x, void *ctx, double *out);

typedef struct piece {
    double a, b;
    double value[MAX_PARTS], l1[MAX_PARTS], error[MAX_PARTS];
} piece;

/* QUADPACK qk21: Kronrod nodes (the odd ones are Gauss's 10) and weights. */
static const double xgk[11] = {
    0.995657163025808080735527280689003, 0.973906528517171720077964012084452,
    0.930157491355708226001207180059508, 0.865063366688984510732096688423493,
    0.780817726586416897063717578345042, 0.679409568299024406234327365114874,
    0.562757134668604683339000099272694, 0.433395394129247190799265943165784,
    0.294392862701460198131126603103866, 0.148874338981631210884826001129720,
    0.000000000000000000000000000000000};
static const double wgk[11] = {
    0.011694638867371874278064396062192, 0.032558162307964727478818972459390,
    0.054755896574351996031381300244580, 0.075039674810919952767043140916190,
    0.093125454583697605535065465083366, 0.109387158802297641899210590325805,
    0.123491976262065851077958109831074, 0.134709217311473325928054001771707,
    0.142775938577060080797094273138717, 0.147739104901338491374841515972068,
    0.149445554002916905664936468389821};
static const double wg[5] = {
    0.066671344308688137593568809893332, 0.149451349150580593145776339657697,
    0.219086362515982043995534934228163, 0.269266719309996355091226921569469,
    0.295524224714752870173892994651338};

static void kronrod21(integrand_fn f, void *ctx, int parts, piece *p) {
    double center = 0.5 * (p->a + p->b), half = 0.5 * (p->b - p->a);
    double fc[MAX_PARTS], f1[MAX_PARTS], f2[MAX_PARTS];
    double k[MAX_PARTS], g[MAX_PARTS], l1[MAX_PARTS], asc[MAX_PARTS];
    double fv1[10][MAX_PARTS], fv2[10][MAX_PARTS];
    f(center, ctx, fc);
    for (int j = 0; j < parts; j++) {
        k[j] = wgk[10] * fc[j];
        l1[j] = fabs(k[j]);
        g[j] = 0;
    }
    for (int i = 0; i < 10; i++) {
        double dx = half * xgk[i];
        f(center - dx, ctx, f1);
        f(center + dx, ctx, f2);
        for (int j = 0; j < parts; j++) {
            fv1[i][j] = f1[j];
            fv2[i][j] = f2[j];
            k[j] += wgk[i] * (f1[j] + f2[j]);
            l1[j] += wgk[i] * (fabs(f1[j]) + fabs(f2[j]));
            if (i % 2 == 1) g[j] += wg[i / 2] * (f1[j] + f2[j]);
        }
    }
    for (int j = 0; j < parts; j++) {
        double mean = 0.5 * k[j];
        asc[j] = wgk[10] * fabs(fc[j] - mean);
        for (int i = 0; i < 10; i++)
            asc[j] += wgk[i] * (fabs(fv1[i][j] - mean) + fabs(fv2[i][j] - mean));
        asc[j] *= fabs(half);
        double err = fabs((k[j] - g[j]) * half);
        /* QUADPACK's scaling: the K21 - G10 difference overstates the error of
         * K21 by far on smooth pieces. */
        if (asc[j] != 0 && err != 0) err = asc[j] * fmin(1.0, pow(200 * err / asc[j], 1.5));
        p->value[j] = k[j] * half;
        p->l1[j] = l1[j] * fabs(half);
        p->error[j] = isfinite(err) ? fmax(err, 50 * 2.2e-16 * p->l1[j]) : err;
    }
}

/* ∫ f over [breaks[0], breaks[n-1]], first split at every break, then the
 * piece with the largest error bisected until, for every part j,
 * Σ error_j ≤ rel · Σ ∫|f_j| (or nothing more can be gained). */
static void integrate(integrand_fn f, void *ctx, int parts, const double *breaks, int n, double rel,
                      double *out) {
    piece pieces[MAX_INTERVALS];
    int count = 0;
    for (int i = 0; i + 1 < n; i++) {
        if (!(breaks[i + 1] > breaks[i])) continue;
        pieces[count] = (piece){.a = breaks[i], .b = breaks[i + 1]};
        kronrod21(f, ctx, parts, &pieces[count++]);
    }
    for (;;) {
        double value[MAX_PARTS] = {0}, l1[MAX_PARTS] = {0}, error[MAX_PARTS] = {0};
        for (int i = 0; i < count; i++)
            for (int j = 0; j < parts; j++) {
                value[j] += pieces[i].value[j];
                l1[j] += pieces[i].l1[j];
                error[j] += pieces[i].error[j];
            }
        bool done = true, finite = true;
        for (int j = 0; j < parts; j++) {
            out[j] = value[j];
            finite &= isfinite(value[j]) && isfinite(error[j]);
            if (error[j] > rel * l1[j] && error[j] > 1e-300) done = false;
        }
        if (done || !finite || count + 1 > MAX_INTERVALS) return;
        /* The piece whose error matters most, relative to each part's budget. */
        int worst = -1;
        double worst_share = 0;
        for (int i = 0; i < count; i++) {
            double share = 0;
            for (int j = 0; j < parts; j++)
                if (l1[j] > 0) share = fmax(share, pieces[i].error[j] / l1[j]);
            if (share > worst_share && pieces[i].b - pieces[i].a > 1e-14 * fabs(pieces[i].a)) {
                worst_share = share;
                worst = i;
            }
        }
        if (worst < 0) return;
        piece *p = &pieces[worst];
        double mid = 0.5 * (p->a + p->b);
        pieces[count] = (piece){.a = mid, .b = p->b};
        p->b = mid;
        kronrod21(f, ctx, parts, p);
        kronrod21(f, ctx, parts, &pieces[count++]);
    }
}

/* Breakpoints for a Gaussian integral over [-Z, Z] of something that changes
 * at `center` (a kink, or where φ's argument crosses 0) on the scale `scale`
 * (in z), sorted, inside (-Z, Z). */
static int gaussian_breaks(double center, double scale, bool fine, double *breaks) {
    double cand[MAX_BREAKS];
    int n = 0;
    cand[n++] = -Z_MAX;
    cand[n++] = Z_MAX;
    cand[n++] = 0;
    cand[n++] = -3, cand[n++] = 3;
    if (isfinite(center)) {
        cand[n++] = center;
        /* φ saturates like e^{-|u|} (sigmoid) or faster: past 36 scales its
         * remainder is below 1e-15, but from 8 to 36 it is not, and a piece
         * that hides it at one end would fool the error estimate. */
        static const double coarse[] = {1, 8}, wide[] = {1, 6, 36};
        const double *multiples = fine ? wide : coarse;
        for (int i = 0; i < (fine ? 3 : 2); i++)
            if (isfinite(scale) && scale > 0 && multiples[i] * scale < (fine ? 0.5 * Z_MAX : 2)) {
                cand[n++] = center - multiples[i] * scale;
                cand[n++] = center + multiples[i] * scale;
            }
    }
    /* insertion sort, keep the distinct points within [-Z, Z] */
    int m = 0;
    for (int i = 0; i < n; i++) {
        double x = cand[i];
        if (!(x >= -Z_MAX && x <= Z_MAX)) continue;
        int j = m;
        while (j > 0 && breaks[j - 1] > x) {
            breaks[j] = breaks[j - 1];
            j--;
        }
        breaks[j] = x;
        m++;
    }
    int k = 0;
    for (int i = 0; i < m; i++)
        if (k == 0 || breaks[i] - breaks[k - 1] > 1e-15) breaks[k++] = breaks[i];
    return k;
}

static double normal_pdf(double z) { return exp(-0.5 * z * z) / SQRT_2PI; }

/* ---- one-sample expectations by quadrature --------------------------------------- */

typedef struct moments_ctx {
    const gs_activation *act;
    double sqrt_q;
    double phi0, dphi0; /* φ(0), φ'(0): subtracted where they cancel (see below) */
} moments_ctx;

/* φ², φ'², (φ² − φ(0)² − 2φ(0)φ'(0)u)(z² − 1) and φ²φ'², times the density.
 * The third integrates to E[φ²(z² − 1)] (the subtracted terms have zero
 * mean against z² − 1) without cancelling when q is small. */
static void moments_integrand(double z, void *vctx, double *out) {
    const moments_ctx *ctx = vctx;
    double u = ctx->sqrt_q * z, w = normal_pdf(z);
    double phi = activation_phi(ctx->act, u), dphi = activation_dphi(ctx->act, u);
    double phi2 = phi * phi, dphi2 = dphi * dphi;
    double reduced = (phi - ctx->phi0) * (phi + ctx->phi0) - 2 * ctx->phi0 * ctx->dphi0 * u;
    out[0] = phi2 * w;
    out[1] = dphi2 * w;
    out[2] = reduced * (z * z - 1) * w;
    out[3] = phi2 * dphi2 * w;
}

gs_moments theory_moments_quadrature(const gs_activation *act, double q) {
    /* φ(0) = 0 for every kinked φ: nothing is subtracted where φ'(0) is one-sided. */
    moments_ctx ctx = {act, sqrt(q), activation_phi(act, 0), activation_dphi(act, 0)};
    double breaks[MAX_BREAKS], r[4];
    int n = gaussian_breaks(0, 1 / ctx.sqrt_q, true, breaks);
    integrate(moments_integrand, &ctx, 4, breaks, n, 1e-13, r);
    return (gs_moments){.v = r[0], .d = r[1], .dv = r[2] / (2 * q), .p = r[3]};
}

/* E[φ'(u)⁴], the Jacobian's μ2, on its own: adding it to moments_integrand
 * would change how far that integral refines, and with it every stored q. */
static void dphi4_integrand(double z, void *vctx, double *out) {
    const moments_ctx *ctx = vctx;
    double dphi = activation_dphi(ctx->act, ctx->sqrt_q * z);
    out[0] = dphi * dphi * dphi * dphi * normal_pdf(z);
}

double theory_dphi4_quadrature(const gs_activation *act, double q) {
    moments_ctx ctx = {act, sqrt(q), 0, 0};
    double breaks[MAX_BREAKS], r;
    int n = gaussian_breaks(0, 1 / ctx.sqrt_q, true, breaks);
    integrate(dphi4_integrand, &ctx, 1, breaks, n, 1e-13, &r);
    return r;
}

/* ---- two-sample expectations by quadrature -------------------------------------------- */

typedef struct kernel_ctx {
    const gs_activation *act;
    bool derivative;     /* E[φ'φ'] instead of E[φφ] */
    double sqrt_q, c, s; /* s = √(1 − c²) */
    double m;            /* inner: φ's argument is m + σ z2 */
} kernel_ctx;

static double fn(const kernel_ctx *k, double u) {
    return k->derivative ? activation_dphi(k->act, u) : activation_phi(k->act, u);
}

static void inner_integrand(double z2, void *vctx, double *out) {
    const kernel_ctx *k = vctx;
    out[0] = fn(k, k->m + k->sqrt_q * k->s * z2) * normal_pdf(z2);
}

/* Gauss–Hermite, 64 points, for the N(0,1) density: exact for polynomials of
 * degree 127, and to ~1e-15 for φ(m + σz) with σ ≤ 0.6 and φ analytic in a
 * strip |Im u| < π/2 (tanh's poles; sigmoid's, silu's, softplus's are at π).
 * Nodes ±gh_node[i], weights gh_weight[i] (they sum to 1/2). */
static const double gh_node[32] = {
    0.19558891056727554851, 0.58688282330529248139, 0.97852590898502922345, 1.3707539637008052653,
    1.7638073769428100577,  2.1579331167626104015,  2.5533868709840825572,  2.9504354015399628883,
    3.3493591797524944691,  3.7504553852256111281,  4.1540413713409088006,  4.5604587281440501982,
    4.9700781116024263438,  5.3833050611646138759,  5.8005871018292095138,  6.2224225326264550821,
    6.6493714563417205189,  7.0820698308048407782,  7.5212476617873089321,  7.9677529819412204922,
    8.4225840923285868388,  8.8869339058381802108,  9.3622525462523068969,  9.8503384578821501578,
    10.35347592126900265,   10.874651988398704695,  11.417918056820672575,  11.989036605128155307,
    12.596752480605721651,  13.255649357397284797,  13.994049908876469471,  14.886186143339452306};
static const double gh_weight[32] = {
    0.15310831636189678144,    0.13145323131750089789,     0.096863363895975273791,
    0.061213638510676545893,   0.033140485961927975365,    0.015347721995577662123,
    0.0060684460158915065243,  0.0020438258387848810318,   0.00058468608306960152689,
    0.00014160238834136034286, 0.000028919958244145685886, 4.9583797210632405885e-6,
    7.0994246219066312964e-7,  8.4376410475409847257e-8,   8.2660844214793076969e-9,
    6.6214234109506932512e-10, 4.2964262489852520136e-11,  2.2337268555257720583e-12,
    9.1869287873296629767e-14, 2.9442931469977302311e-15,  7.2221535735244134023e-17,
    1.3269088554685256722e-18, 1.7784691911122814619e-20,  1.6829001120429500213e-22,
    1.078565110354768806e-24,  4.4355444204707805546e-27,  1.088380154145858961e-29,
    1.4384921208585609075e-32, 8.7866356793104647489e-36,  1.9301704298297753957e-39,
    9.4769631900430299655e-44, 3.1231879651077211753e-49};

static double normal_cdf(double x) { return 0.5 * erfc(-x * M_SQRT1_2); }

/* φ analytic in a strip around the real axis (no kink): Gauss–Hermite applies. */
static bool is_analytic(gs_activation_kind k) {
    return k == GS_ACT_TANH || k == GS_ACT_SIGMOID || k == GS_ACT_SILU || k == GS_ACT_SOFTPLUS ||
           k == GS_ACT_ERF || k == GS_ACT_LINEAR || k == GS_ACT_GELU;
}

/* e^{x²} erfc(x) for x ≥ 0, without overflow (the asymptotic series beyond
 * 25, where it converges to double precision within 12 terms). */
static double erfcx(double x) {
    if (x < 25) return exp(x * x) * erfc(x);
    double term = 1, sum = 1, r = 1 / (2 * x * x);
    for (int k = 1; k <= 12; k++) {
        term *= -(2 * k - 1) * r;
        sum += term;
    }
    return sum / (x * sqrt(M_PI));
}

/* E[e^X 1{X < 0}] = e^{m + σ²/2} Φ(−(m + σ²)/σ) for X ~ N(m, σ²), σ > 0,
 * written so that neither factor overflows. */
static double exp_below(double m, double sigma) {
    double t = (m + sigma * sigma) / sigma;
    if (t <= 0) return exp(m + 0.5 * sigma * sigma) * normal_cdf(-t);
    return exp(-0.5 * (m / sigma) * (m / sigma)) * 0.5 * erfcx(t * M_SQRT1_2);
}

/* E[g(m + σ z)], g = φ or φ': φ smoothed by a Gaussian of width σ. Closed
 * forms for gelu (E[Φ(X)] = Φ(m/r), r = √(1 + σ²)) and elu/selu (via Φ);
 * Gauss–Hermite where g is analytic and σ small; else adaptive. */
static double smoothed(const kernel_ctx *k, double m, double sigma) {
    if (sigma == 0) return fn(k, m);
    double pos = normal_cdf(m / sigma);                    /* P(X > 0) */
    double plus = m * pos + sigma * normal_pdf(m / sigma); /* E[X 1{X > 0}] */
    switch (k->act->kind) {
    case GS_ACT_GELU: {
        double r = sqrt(1 + sigma * sigma), cdf = normal_cdf(m / r), pdf = normal_pdf(m / r);
        return k->derivative ? cdf + m * pdf / (r * r * r) : m * cdf + sigma * sigma * pdf / r;
    }
    case GS_ACT_ELU:
    case GS_ACT_SELU: {
        double scale = k->act->kind == GS_ACT_SELU ? GS_SELU_LAMBDA : 1;
        double alpha = k->act->kind == GS_ACT_SELU ? GS_SELU_ALPHA : 1;
        double below = exp_below(m, sigma), neg = normal_cdf(-m / sigma);
        return k->derivative ? scale * (pos + alpha * below)
                             : scale * (plus + alpha * (below - neg));
    }
    default: break;
    }
    if (is_analytic(k->act->kind) && sigma <= 0.6) {
        double sum = 0;
        for (int i = 0; i < 32; i++)
            sum += gh_weight[i] * (fn(k, m + sigma * gh_node[i]) + fn(k, m - sigma * gh_node[i]));
        return sum;
    }
    kernel_ctx inner = *k;
    inner.m = m;
    double breaks[MAX_BREAKS], result;
    int n = gaussian_breaks(-m / sigma, 1 / sigma, false, breaks);
    integrate(inner_integrand, &inner, 1, breaks, n, 1e-13, &result);
    return result;
}

/* φ(u1) times E_z2[φ(u2)], the inner expectation being φ smoothed. */
static void outer_integrand(double z1, void *vctx, double *out) {
    const kernel_ctx *k = vctx;
    double f1 = fn(k, k->sqrt_q * z1);
    /* relu's dead half and saturated tails: nothing to weigh */
    out[0] =
        f1 == 0 ? 0 : f1 * smoothed(k, k->sqrt_q * k->c * z1, k->sqrt_q * k->s) * normal_pdf(z1);
}

static double kernel_quadrature(const gs_activation *act, double q, double c, bool derivative) {
    c = fmin(1.0, fmax(-1.0, c));
    kernel_ctx k = {act, derivative, sqrt(q), c, sqrt(fmax(0.0, (1 - c) * (1 + c))), 0};
    /* Analytic φ at q ≤ 0.5: the whole integrand is analytic in |Im z1| <
     * π/(2√q) ≥ 2.2, where 64-point Gauss–Hermite is good to ~1e-13. */
    if (is_analytic(act->kind) && q <= 0.5) {
        double sum = 0;
        for (int i = 0; i < 32; i++) {
            double out[2];
            outer_integrand(gh_node[i], &k, &out[0]);
            outer_integrand(-gh_node[i], &k, &out[1]);
            sum += gh_weight[i] * (out[0] + out[1]) / normal_pdf(gh_node[i]);
        }
        return sum;
    }
    /* Outer breaks: φ(u1)'s kink or centre at 0 on φ's scale 1/√q; where φ
     * has a kink, the smoothed inner factor is a smoothed step at z1 = 0 of
     * width s/|c| in z1, which gets its own breaks. */
    double breaks[MAX_BREAKS], result;
    double scale = 1 / k.sqrt_q;
    if (k.c != 0 && !is_analytic(act->kind))
        scale = fmin(scale, fmax(k.s / fabs(k.c), 1e-3 / k.sqrt_q));
    int n = gaussian_breaks(0, scale, false, breaks);
    integrate(outer_integrand, &k, 1, breaks, n, 1e-10, &result);
    return result;
}

double theory_kernel_quadrature(const gs_activation *act, double q, double c) {
    return kernel_quadrature(act, q, c, false);
}
double theory_dkernel_quadrature(const gs_activation *act, double q, double c) {
    return kernel_quadrature(act, q, c, true);
}

/* ---- the expectations, closed forms and limits first ------------------------------------ */

gs_moments theory_moments(const gs_activation *act, double q) {
    if (isnan(q) || q < 0) return (gs_moments){NAN, NAN, NAN, NAN};
    double a, b;
    two_slopes(act, &a, &b);
    double k1 = 0.5 * (a * a + b * b); /* E[φ(z)²] of the slopes φ */
    if (is_homogeneous(act->kind)) {
        double p = 0.5 * (a * a * a * a + b * b * b * b);
        return (gs_moments){.v = k1 * q, .d = k1, .dv = k1, .p = p * q};
    }
    if (q == 0) {
        double right, left;
        slopes_at_zero(act, &right, &left);
        double phi0 = activation_phi(act, 0), d0 = 0.5 * (right * right + left * left);
        /* dv(0) = φ'(0)² + φ(0)φ''(0); φ'' only matters where φ(0) ≠ 0 (smooth there) */
        double h = 1e-4, ddphi0 = (activation_dphi(act, h) - activation_dphi(act, -h)) / (2 * h);
        return (gs_moments){.v = phi0 * phi0,
                            .d = d0,
                            .dv = d0 + (phi0 != 0 ? phi0 * ddphi0 : 0),
                            .p = phi0 * phi0 * d0};
    }
    if (isinf(q)) {
        if (is_bounded(act->kind)) {
            double plus, minus;
            saturation(act, &plus, &minus);
            return (gs_moments){.v = 0.5 * (plus * plus + minus * minus), .d = 0, .dv = 0, .p = 0};
        }
        return (gs_moments){.v = INFINITY, .d = k1, .dv = k1, .p = INFINITY};
    }
    if (act->kind == GS_ACT_ERF) {                        /* Williams 1997 */
        gs_moments m = theory_moments_quadrature(act, q); /* for p */
        double t = 1 + 2 * q;
        m.v = M_2_PI * asin(2 * q / t);
        m.d = 2 * M_2_PI / sqrt(1 + 4 * q);
        m.dv = 2 * M_2_PI / (t * sqrt(1 + 4 * q));
        return m;
    }
    return theory_moments_quadrature(act, q);
}

double theory_dphi4(const gs_activation *act, double q) {
    if (isnan(q) || q < 0) return NAN;
    double a, b;
    two_slopes(act, &a, &b);
    if (is_homogeneous(act->kind) || (isinf(q) && !is_bounded(act->kind)))
        return 0.5 * (a * a * a * a + b * b * b * b);
    if (isinf(q)) return 0; /* bounded: φ' → 0 */
    if (q == 0) {
        double right, left;
        slopes_at_zero(act, &right, &left);
        return 0.5 * (right * right * right * right + left * left * left * left);
    }
    if (act->kind == GS_ACT_ERF) /* φ' = (2/√π) e^{-u²}: E[φ'⁴] = (16/π²) / √(1 + 8q) */
        return 16 / (M_PI * M_PI) / sqrt(1 + 8 * q);
    return theory_dphi4_quadrature(act, q);
}

static double kernel(const gs_activation *act, double q, double c, bool derivative) {
    if (isnan(q) || isnan(c) || q < 0) return NAN;
    c = fmin(1.0, fmax(-1.0, c));
    double a, b;
    two_slopes(act, &a, &b);
    if (is_homogeneous(act->kind))
        return derivative ? slopes_dkernel(a, b, c) : q * slopes_kernel(a, b, c);
    if (q == 0) {
        double phi0 = activation_phi(act, 0), right, left;
        slopes_at_zero(act, &right, &left);
        return derivative ? slopes_dkernel(right, left, c) : phi0 * phi0;
    }
    if (isinf(q)) {
        if (!is_bounded(act->kind))
            return derivative ? slopes_dkernel(a, b, c) : q * slopes_kernel(a, b, c);
        if (derivative) return 0;
        double plus, minus, same = 0.25 + asin(c) / (2 * M_PI); /* P(z1 > 0, z2 > 0) */
        saturation(act, &plus, &minus);
        return (plus * plus + minus * minus) * same + 2 * plus * minus * (0.5 - same);
    }
    if (act->kind == GS_ACT_ERF) { /* Williams 1997 */
        double t = 1 + 2 * q;
        if (derivative) return 2 * M_2_PI / sqrt(t * t - 4 * q * q * c * c);
        return M_2_PI * asin(2 * q * c / t);
    }
    if (c == 1 && !derivative) return theory_moments(act, q).v;
    if (c == 1) return theory_moments(act, q).d;
    return kernel_quadrature(act, q, c, derivative);
}

double theory_kernel(const gs_activation *act, double q, double c) {
    return kernel(act, q, c, false);
}
double theory_dkernel(const gs_activation *act, double q, double c) {
    return kernel(act, q, c, true);
}

/* ---- the maps ---------------------------------------------------------------------- */

double theory_length_map(const gs_mean_field *mf, double q) {
    return mf->sigma_w * mf->sigma_w * theory_moments(&mf->act, q).v + mf->sigma_b * mf->sigma_b;
}

double theory_correlation_map(const gs_mean_field *mf, double q_prev, double c_prev, double q) {
    if (isnan(q_prev) || isnan(c_prev) || isnan(q)) return NAN;
    double w2 = mf->sigma_w * mf->sigma_w, b2 = mf->sigma_b * mf->sigma_b;
    /* Where φ is homogeneous, or behaves so (q = inf for a growing φ; q = 0
     * with φ(0) = 0 and no bias), q scales out of the kernel. */
    double a = NAN, b = NAN;
    if (is_homogeneous(mf->act.kind) || (isinf(q_prev) && !is_bounded(mf->act.kind)))
        two_slopes(&mf->act, &a, &b);
    else if (q_prev == 0 && b2 == 0 && activation_phi(&mf->act, 0) == 0)
        slopes_at_zero(&mf->act, &a, &b);
    if (!isnan(a)) {
        double k1 = slopes_kernel(a, b, 1), kc = slopes_kernel(a, b, c_prev);
        if (k1 == 0) return c_prev; /* φ ≡ 0 near 0: nothing moves */
        if (isinf(q_prev) || b2 == 0) return fmin(1.0, kc / k1);
        return fmin(1.0, (w2 * q_prev * kc + b2) / (w2 * q_prev * k1 + b2));
    }
    if (q == 0) return c_prev; /* σb = 0 and φ ≡ 0: keep c */
    double c = (w2 * theory_kernel(&mf->act, q_prev, c_prev) + b2) / q;
    return fmin(1.0, fmax(-1.0, c));
}

/* ---- Brent's method (zeroin) --------------------------------------------------------- */

/* A root of f in [a, b] where f(a) and f(b) differ in sign (fa, fb given). */
static double brent(double (*f)(double, void *), void *ctx, double a, double b, double fa,
                    double fb) {
    double c = a, fc = fa, d = b - a, e = d;
    for (int iter = 0; iter < 200; iter++) {
        if ((fb > 0) == (fc > 0)) {
            c = a, fc = fa;
            d = e = b - a;
        }
        if (fabs(fc) < fabs(fb)) {
            a = b, b = c, c = a;
            fa = fb, fb = fc, fc = fa;
        }
        double tol = 2 * 2.2e-16 * fabs(b) + 1e-300, m = 0.5 * (c - b);
        if (fabs(m) <= tol || fb == 0) return b;
        if (fabs(e) >= tol && fabs(fa) > fabs(fb)) {
            double s = fb / fa, p, qq;
            if (a == c) {
                p = 2 * m * s;
                qq = 1 - s;
            } else {
                double r = fb / fc, t = fa / fc;
                p = s * (2 * m * t * (t - r) - (b - a) * (r - 1));
                qq = (t - 1) * (r - 1) * (s - 1);
            }
            if (p > 0)
                qq = -qq;
            else
                p = -p;
            if (2 * p < fmin(3 * m * qq - fabs(tol * qq), fabs(e * qq))) {
                e = d;
                d = p / qq;
            } else {
                d = m;
                e = m;
            }
        } else {
            d = m;
            e = m;
        }
        a = b, fa = fb;
        b += fabs(d) > tol ? d : (m > 0 ? tol : -tol);
        fb = f(b, ctx);
    }
    return b;
}

/* ---- fixed points ----------------------------------------------------------------------- */

const char *stability_name(gs_stability s) {
    switch (s) {
    case GS_STABILITY_STABLE: return "yes";
    case GS_STABILITY_MARGINAL: return "marginal";
    case GS_STABILITY_UNSTABLE: return "no";
    case GS_STABILITY_UNKNOWN: break;
    }
    return "nan";
}

static double excess(double q, void *ctx) { return theory_length_map(ctx, q) - q; }

typedef struct corr_ctx {
    const gs_mean_field *mf;
    double q;
} corr_ctx;

static double corr_excess(double c, void *vctx) {
    const corr_ctx *k = vctx;
    return theory_correlation_map(k->mf, k->q, c, k->q) - c;
}

void theory_at_fixed_point(const gs_mean_field *mf, double q_star, gs_fixed_point *out) {
    double w2 = mf->sigma_w * mf->sigma_w, b2 = mf->sigma_b * mf->sigma_b;
    *out = (gs_fixed_point){q_star, NAN, NAN, NAN, NAN, NAN, NAN, GS_STABILITY_UNKNOWN};
    if (isnan(q_star) || isnan(w2) || isnan(b2)) return;
    gs_moments m = theory_moments(&mf->act, q_star);
    out->chi1 = w2 * m.d;
    out->chi_q = w2 * m.dv;
    double chi_q = out->chi_q;
    out->stability = chi_q < 1 - TOL    ? GS_STABILITY_STABLE
                     : chi_q <= 1 + TOL ? GS_STABILITY_MARGINAL
                                        : GS_STABILITY_UNSTABLE;
    if (isfinite(q_star)) /* a repelling q* has no approach to measure: NaN */
        out->xi_q = out->stability == GS_STABILITY_STABLE     ? -1 / log(chi_q)
                    : out->stability == GS_STABILITY_MARGINAL ? INFINITY
                                                              : NAN;

    /* The correlation map at q*. Where q scales out (homogeneous φ without
     * bias, or q* = inf) it is q-free and has slope 1 at c = 1: correlations
     * approach 1 only polynomially (relu) or not at all (linear), ξ_c = inf. */
    if (isinf(q_star) || (is_homogeneous(mf->act.kind) && b2 == 0)) {
        out->c_star = 1;
        out->chi_c = 1;
        out->xi_c = INFINITY;
        return;
    }
    if (out->chi1 <= 1 + TOL) { /* ordered or critical: c* = 1 is stable */
        out->c_star = 1;
        out->chi_c = out->chi1;
    } else { /* chaotic: c = 1 repels, c* < 1 */
        corr_ctx k = {mf, q_star};
        double g0 = corr_excess(0, &k), hi = 1 - 1e-7, ghi = corr_excess(hi, &k);
        if (g0 <= 1e-14) /* c-map(0) = (σw² E[φ]² + σb²)/q* = 0: odd φ without bias */
            out->c_star = 0;
        else if (ghi >= 0)
            out->c_star = hi; /* within 1e-7 of 1: χ1 barely above 1 */
        else
            out->c_star = brent(corr_excess, &k, 0, hi, g0, ghi);
        out->chi_c = w2 * theory_dkernel(&mf->act, q_star, out->c_star);
    }
    out->xi_c = out->chi_c < 1 - TOL ? -1 / log(out->chi_c) : INFINITY;
}

/* The limit of q[l+1] = f(q[l]) from q[1] = q1. */
static double length_limit(const gs_mean_field *mf, double q1) {
    double w2 = mf->sigma_w * mf->sigma_w, b2 = mf->sigma_b * mf->sigma_b;
    if (isnan(q1) || isnan(w2) || isnan(b2)) return NAN;
    if (is_homogeneous(mf->act.kind)) { /* f(q) = k q + σb²: closed form */
        double k = w2 * theory_moments(&mf->act, 1).v;
        if (b2 == 0) return fabs(k - 1) <= TOL ? q1 : k < 1 ? 0 : INFINITY;
        return k < 1 - TOL ? b2 / (1 - k) : INFINITY;
    }
    gs_mean_field *ctx = (gs_mean_field *)mf;
    double q = q1;
    if (isinf(q)) q = theory_length_map(mf, q); /* a bounded φ comes back */
    for (int iter = 0; iter < 100; iter++) {
        if (!isfinite(q)) return q;
        double next = theory_length_map(mf, q);
        if (!isfinite(next)) return next;
        if (fabs(next - q) <= 4e-16 * next) return next;
        q = next;
    }
    /* Slow (χ_q near 1): the limit is the nearest fixed point in the
     * direction q moves, bracketed by doubling or halving steps. */
    double g = excess(q, ctx);
    if (g == 0) return q;
    if (g < 0) {
        for (double lo = q;;) {
            double t = 0.5 * lo;
            if (t < 1e-300) return 0;
            double gt = excess(t, ctx);
            if (gt >= 0) return brent(excess, ctx, t, lo, gt, excess(lo, ctx));
            lo = t;
        }
    }
    for (double hi = q;;) {
        double t = 2 * hi;
        double gt = excess(t, ctx);
        if (t > 1e300 || !isfinite(gt)) return INFINITY;
        if (gt <= 0) return brent(excess, ctx, hi, t, excess(hi, ctx), gt);
        hi = t;
    }
}

void theory_fixed_point(const gs_mean_field *mf, double q1, gs_fixed_point *out) {
    theory_at_fixed_point(mf, length_limit(mf, q1), out);
}

/* ---- the edge of chaos ------------------------------------------------------------------- */

typedef struct critical_ctx {
    const gs_activation *act;
    double b2;
} critical_ctx;

/* χ1 − 1 on the fixed point q* = q, where σw² = (q − σb²)/v(q). */
static double chi1_excess(double q, void *vctx) {
    const critical_ctx *k = vctx;
    gs_moments m = theory_moments(k->act, q);
    return (q - k->b2) * m.d / m.v - 1;
}

bool theory_critical(const gs_activation *act, double sigma_b, double *sigma_w,
                     gs_fixed_point *out) {
    double b2 = sigma_b * sigma_b;
    *sigma_w = NAN;
    gs_mean_field mf = {*act, NAN, sigma_b};
    theory_at_fixed_point(&mf, NAN, out);
    if (!isfinite(b2)) return false;
    double a, b;
    two_slopes(act, &a, &b);
    if (is_homogeneous(act->kind)) { /* χ1 = σw² (a² + b²)/2 whatever q is */
        mf.sigma_w = *sigma_w = 1 / sqrt(0.5 * (a * a + b * b));
        theory_fixed_point(&mf, mf.sigma_w * mf.sigma_w + b2, out);
        return true;
    }
    /* Scan q* up to 1e8 above σb² for sign changes of χ1 − 1. */
    critical_ctx k = {act, b2};
    enum { STEPS = 161 };
    double best_w = NAN;
    gs_fixed_point best = *out;
    int best_rank = 99; /* 0: stable, 1: q* = 0 boundary, 2: repelling, 3: q* = inf */
    /* Without bias and with φ(0) = 0, χ1 − 1 = O(q) as q → 0 and drowns in
     * rounding below ~1e-4; the q* → 0 limit below covers that end. */
    double lowest = b2 > 0 ? -8 : -4;
    double prev_q = b2 + pow(10.0, lowest), prev_h = chi1_excess(prev_q, &k);
    for (int i = 1; i < STEPS; i++) {
        double q = b2 + pow(10.0, lowest + (8 - lowest) * i / (STEPS - 1)), h = chi1_excess(q, &k);
        if (isfinite(h) && isfinite(prev_h) && (h > 0) != (prev_h > 0) && h != 0) {
            double root = brent(chi1_excess, &k, prev_q, q, prev_h, h);
            gs_moments m = theory_moments(act, root);
            gs_fixed_point fp;
            mf.sigma_w = sqrt((root - b2) / m.v);
            theory_at_fixed_point(&mf, root, &fp);
            int rank = fp.stability == GS_STABILITY_STABLE ? 0 : 2;
            if (rank < best_rank) {
                best_rank = rank, best_w = mf.sigma_w, best = fp;
            }
        }
        prev_q = q, prev_h = h;
    }
    double right, left;
    slopes_at_zero(act, &right, &left);
    double d0 = 0.5 * (right * right + left * left);
    if (best_rank > 1 && b2 == 0 && activation_phi(act, 0) == 0 && d0 > 0) {
        mf.sigma_w = 1 / sqrt(d0); /* q* → 0: φ linearises, χ1 → σw² φ'(0)² */
        theory_at_fixed_point(&mf, 0, &best);
        best_rank = 1, best_w = mf.sigma_w;
    }
    double d_inf = 0.5 * (a * a + b * b);
    if (best_rank > 2 && d_inf > 0) { /* χ1 → σw² E[φ'(±inf)²] as q* → inf */
        mf.sigma_w = 1 / sqrt(d_inf);
        theory_at_fixed_point(&mf, INFINITY, &best);
        best_rank = 3, best_w = mf.sigma_w;
    }
    *out = best;
    *sigma_w = best_w;
    return best_rank < 99;
}

/* ---- one configuration ---------------------------------------------------------------- */

/* A layer as the mean-field maps see it: sw² = Var(W_ij)·fan_in and sb² =
 * Var(b_i), what the length map multiplies and adds, and back = sw²·fan_out
 * /fan_in, the factor through which Wᵀ scales the backward signal's second
 * moment (Σ over fan_out rows of Var(W_ij)). For the square layers of a
 * plain gaussian network sw and sb are sigma_w and sigma_b themselves (the
 * same bits as before layers had shapes of their own). */
typedef struct layer_scales {
    double sw, sb, back;
} layer_scales;

/* Var(N(0, 1) cut at ±k): 1 − 2kφ(k)/(2Φ(k) − 1), what torch_trunc_normal
 * keeps of the variance σw²/fan it is named after. */
static double truncation_variance(double k) {
    if (isinf(k)) return 1;
    return 1 - 2 * k * normal_pdf(k) / erf(k * M_SQRT1_2);
}

static layer_scales scales_of(const gs_layer *layer) {
    double sw = isinf(layer->trunc_k) ? layer->sigma_w
                                      : layer->sigma_w * sqrt(truncation_variance(layer->trunc_k));
    /* β ~ U(-1, 1) has variance 1/3 */
    double sb = layer->uniform_biases ? layer->sigma_b / sqrt(3.0) : layer->sigma_b;
    double w2 = sw * sw;
    double back = layer->fan_out == layer->fan_in ? w2 : w2 * layer->fan_out / layer->fan_in;
    return (layer_scales){sw, sb, back};
}

/* A configuration's network for the maps: its first layer (input_width →
 * width, or → output_width when it is the only one), the hidden layers
 * (width → width; what the fixed point and χ1 are about) and the last. */
typedef struct net_maps {
    gs_activation act;
    layer_scales first, hidden, last;
    bool last_is_hidden; /* the last layer maps as a hidden one does (forward) */
} net_maps;

static net_maps maps_of(const gs_config *cfg) {
    gs_layer first = net_layer_number(cfg, 1), last = net_layer_number(cfg, cfg->depth);
    gs_layer hidden = net_layer(cfg, cfg->width, cfg->width);
    net_maps m = {.act = cfg->act,
                  .first = scales_of(&first),
                  .hidden = scales_of(&hidden),
                  .last = scales_of(&last)};
    m.last_is_hidden = m.last.sw == m.hidden.sw && m.last.sb == m.hidden.sb;
    return m;
}

/* The forward half of a configuration's prediction: per layer q, c and the
 * Gaussian moments at q. It depends on (φ, the first layer's and the hidden
 * layers' scales, q_in, c_in) only, and a shallower network's is a prefix of
 * a deeper one's, so it is computed once per such key and extended as deeper
 * networks ask for it; a last layer that maps otherwise (output_width, fan)
 * is predicted apart (predict_layers). */
typedef struct forward_path {
    gs_activation act;
    double sigma_w, sigma_b; /* the hidden layers' sw and sb */
    double first_w, first_b; /* the first layer's */
    double q_in, c_in;
    int layers, capacity;
    double *q, *c;
    gs_moments *m;
    double *d4;    /* E[φ'(√q z)⁴] per layer: the Jacobian's μ2, only where asked for */
    int d4_layers; /* how many of them are computed */
    bool has_fixed_point;
    gs_fixed_point fixed_point; /* reached from q[1] */
} forward_path;

static void path_reserve(forward_path *f, int depth) {
    if (depth <= f->capacity) return;
    int cap = f->capacity ? f->capacity : 16;
    while (cap < depth)
        cap *= 2;
    f->q = gs_realloc(f->q, (size_t)cap * sizeof *f->q);
    f->c = gs_realloc(f->c, (size_t)cap * sizeof *f->c);
    f->m = gs_realloc(f->m, (size_t)cap * sizeof *f->m);
    f->d4 = gs_realloc(f->d4, (size_t)cap * sizeof *f->d4);
    f->capacity = cap;
}

static void path_free(forward_path *f) {
    free(f->q);
    free(f->c);
    free(f->m);
    free(f->d4);
}

/* Extends the path to `depth` layers: q[1] = sw1² q_in + sb1², then the length
 * and correlation maps of the hidden layers; once both stand still (the
 * fixed point) the rest is copied. */
static void path_extend(forward_path *f, int depth, bool (*tick)(void *), void *tick_ctx) {
    if (depth <= f->layers) return;
    path_reserve(f, depth);
    const gs_mean_field mf = {f->act, f->sigma_w, f->sigma_b};
    const double w2 = f->sigma_w * f->sigma_w, b2 = f->sigma_b * f->sigma_b;
    int l = f->layers + 1;
    if (l == 1) {
        const double w1 = f->first_w * f->first_w, b1 = f->first_b * f->first_b;
        double q = w1 * f->q_in + b1, c = q > 0 ? (w1 * f->c_in * f->q_in + b1) / q : f->c_in;
        f->q[0] = q;
        f->c[0] = fmin(1.0, fmax(-1.0, c));
        f->m[0] = theory_moments(&f->act, q);
        l = 2;
    }
    for (; l <= depth; l++) {
        double q_prev = f->q[l - 2], c_prev = f->c[l - 2];
        double q = w2 * f->m[l - 2].v + b2;
        double c = theory_correlation_map(&mf, q_prev, c_prev, q);
        if (fabs(q - q_prev) <= 1e-15 * fabs(q) && fabs(c - c_prev) <= 1e-15) {
            q = q_prev, c = c_prev; /* at the fixed point: nothing changes any more */
            f->m[l - 1] = f->m[l - 2];
        } else {
            f->m[l - 1] = theory_moments(&f->act, q);
        }
        f->q[l - 1] = q;
        f->c[l - 1] = c;
        if (tick) tick(tick_ctx); /* a layer can take a millisecond (the 2-D quadrature) */
    }
    f->layers = depth;
}

static forward_path path_of(const net_maps *maps, double q_in, double c_in) {
    return (forward_path){.act = maps->act,
                          .sigma_w = maps->hidden.sw,
                          .sigma_b = maps->hidden.sb,
                          .first_w = maps->first.sw,
                          .first_b = maps->first.sb,
                          .q_in = q_in,
                          .c_in = c_in};
}

/* The per-layer prediction of a depth-L network from its forward path. */
static void predict_layers(const forward_path *f, const gs_config *cfg, const net_maps *maps,
                           gs_layer_theory *layers) {
    const int L = cfg->depth;
    for (int l = 1; l <= L; l++)
        layers[l - 1] = (gs_layer_theory){f->q[l - 1], 0, f->c[l - 1]};
    if (L > 1 && !maps->last_is_hidden) { /* the last layer's own scales */
        const gs_mean_field last = {maps->act, maps->last.sw, maps->last.sb};
        double q = maps->last.sw * maps->last.sw * f->m[L - 2].v + maps->last.sb * maps->last.sb;
        layers[L - 1].q = q;
        layers[L - 1].c = theory_correlation_map(&last, f->q[L - 2], f->c[L - 2], q);
    }
    /* W[l]'s factor on the backward signal: the last layer's, or a hidden one's */
#define BACK(l) ((l) == L ? maps->last.back : maps->hidden.back)
    /* Backward. The probe's δ[L] = r is independent of the network, so
     * δ[l] = (δ[l+1] W[l+1]) ⊙ φ'(z[l]) has E δ² = back[l+1] E δ[l+1]² E φ'²
     * (the gradient independence of Schoenholz et al. 2017, exact as n → inf;
     * back = σw² for square layers). */
    if (cfg->loss == GS_LOSS_PROBE) {
        double next = 1;
        layers[L - 1].delta_sq = 1;
        for (int l = L - 1; l >= 1; l--) {
            next = BACK(l + 1) * next * f->m[l - 1].d;
            layers[l - 1].delta_sq = next;
        }
        return;
    }
    /* mse: δ[L] = z[L] − y contains W[L] a[L-1], so δ[L] W[L] = σw² a[L-1] +
     * noise: a part of δ stays aligned with the forward signal. Below the top,
     * δ[l] = (α a[l] + ν) ⊙ φ'(z[l]) with ν independent noise of variance N:
     *   delta_sq[l] = α² E[φ²φ'²] + N E[φ'²],
     *   α[l-1] = σw² α[l] dv(q[l]),  N[l-1] = σw² delta_sq[l] − (orthogonal: α[l-1]² v(q[l-1]))
     * (docs/theory.md; with α = 0 this is the probe's recursion; σw² is each
     * layer's back factor). The orthogonal correction holds for square
     * matrices (WᵀW = σw² I): a semi-orthogonal last layer has none, NaN. */
    bool orthogonal = cfg->init == GS_INIT_ORTHOGONAL;
    double top = layers[L - 1].q + 1;
    layers[L - 1].delta_sq = top;
    if (orthogonal && config_output_width(cfg) != cfg->width) {
        for (int l = L - 1; l >= 1; l--)
            layers[l - 1].delta_sq = NAN;
        return;
    }
    double alpha = BACK(L), noise = BACK(L) * top;
    for (int l = L - 1; l >= 1; l--) {
        const gs_moments *m = &f->m[l - 1];
        if (orthogonal) noise -= alpha * alpha * m->v;
        double d = alpha * alpha * m->p + noise * m->d;
        layers[l - 1].delta_sq = d;
        alpha = BACK(l) * alpha * m->dv;
        noise = BACK(l) * d;
    }
#undef BACK
}

/* μ2 = E[φ'⁴] along the path, for the first `depth` layers (computed once
 * per path; where q stood still, copied). */
static void path_extend_d4(forward_path *f, int depth, bool (*tick)(void *), void *tick_ctx) {
    for (int l = f->d4_layers + 1; l <= depth; l++) {
        bool same = l > 1 && f->q[l - 1] == f->q[l - 2];
        f->d4[l - 1] = same ? f->d4[l - 2] : theory_dphi4(&f->act, f->q[l - 1]);
        if (tick && !same) tick(tick_ctx);
    }
    if (depth > f->d4_layers) f->d4_layers = depth;
}

/* The Jacobian's predictions from the path (theory.h, theory_jacobian): each
 * layer multiplies the mean by its own sw² (Var(W_ij)·fan_in) times μ1. Only
 * for square networks (input_width = output_width = width): with other
 * shapes J[L] is not square and the free-probability sums are not these, so
 * NaN (docs/theory.md). */
static void predict_jacobian(const forward_path *f, const gs_config *cfg, const net_maps *maps,
                             gs_jacobian_stats *out) {
    const bool square =
        config_input_width(cfg) == cfg->width && config_output_width(cfg) == cfg->width;
    const double s1 = cfg->init == GS_INIT_ORTHOGONAL ? 0.0 : -1.0;
    double mean = 1, ratio = 0;
    for (int l = 1; l <= cfg->depth; l++) {
        const layer_scales *sc = l == 1            ? &maps->first
                                 : l == cfg->depth ? &maps->last
                                                   : &maps->hidden;
        double mu1 = f->m[l - 1].d, mu2 = f->d4[l - 1];
        mean *= sc->sw * sc->sw * mu1;
        ratio += mu2 / (mu1 * mu1) - 1 - s1;
        out[l - 1] = square
                         ? (gs_jacobian_stats){.jac_sq_sv_mean = mean, .jac_sq_sv_var_ratio = ratio}
                         : (gs_jacobian_stats){.jac_sq_sv_mean = NAN, .jac_sq_sv_var_ratio = NAN};
    }
}

void theory_jacobian(const gs_config *cfg, double q_in, gs_jacobian_stats *out) {
    if (cfg->depth < 1) return;
    const net_maps maps = maps_of(cfg);
    forward_path f = path_of(&maps, q_in, 0);
    path_extend(&f, cfg->depth, NULL, NULL);
    path_extend_d4(&f, cfg->depth, NULL, NULL);
    predict_jacobian(&f, cfg, &maps, out);
    path_free(&f);
}

/* ---- residual blocks and norms (issue 12) --------------------------------------------
 * docs/theory.md, "Residual blocks and LayerNorm". With N = LayerNorm, φ sees
 * x̂ = (z − mean)/sqrt(var + ε) of variance q̂ = q/(q + ε) whatever q is, and
 * N's backward multiplies the backward signal's second moment by
 * ρ/(q + ε): 1/(q + ε) from its 1/sqrt(var + ε), and ρ = 1 − (1 + s)/n from
 * its projection, which removes the signal's component along the all-ones
 * direction (a share 1/n) and along x̂ (a share s/n, s = E[φ'(u)²u²] /
 * (q̂ E[φ'(u)²]), u ~ N(0, q̂): 1 for homogeneous φ). ρ is the one finite-
 * width term kept: it compounds over depth (0.998^1000 at n = 1024). */

typedef struct xdphi_ctx {
    const gs_activation *act;
    double sqrt_q;
} xdphi_ctx;

static void xdphi_integrand(double z, void *vctx, double *out) {
    const xdphi_ctx *ctx = vctx;
    double u = ctx->sqrt_q * z, d = activation_dphi(ctx->act, u), w = normal_pdf(z);
    out[0] = d * d * z * z * w;
    out[1] = d * d * w;
}

/* s = E[φ'(u)² u²] / (q E[φ'(u)²]), u ~ N(0, q) (1 for homogeneous φ). */
static double projection_share(const gs_activation *act, double q) {
    if (is_homogeneous(act->kind)) return 1;
    if (!(q > 0 && isfinite(q))) return NAN;
    xdphi_ctx ctx = {act, sqrt(q)};
    double breaks[MAX_BREAKS], r[2];
    int n = gaussian_breaks(0, 1 / ctx.sqrt_q, true, breaks);
    integrate(xdphi_integrand, &ctx, 2, breaks, n, 1e-12, r);
    return r[1] > 0 ? r[0] / r[1] : 1;
}

/* What φ sees of a pre-activation of second moment q. */
static double norm_seen(const gs_config *cfg, double q) {
    return cfg->norm == GS_NORM_LAYERNORM ? q / (q + GS_LAYERNORM_EPS) : q;
}

/* The backward signal's factor through N at q (1 without a norm). */
static double norm_backward_gain(const gs_config *cfg, double q, double share) {
    if (cfg->norm != GS_NORM_LAYERNORM) return 1;
    return (1 - (1 + share) / cfg->width) / (q + GS_LAYERNORM_EPS);
}

/* Per layer q, c and delta_sq of a network with residual blocks or a norm,
 * inputs of second moment q_in and correlation c_in. q_seen[l-1] receives
 * what φ saw at layer l (for the scalars). */
static void predict_block_layers(const gs_config *cfg, double q_in, double c_in,
                                 gs_layer_theory *layers, double *q_seen, bool (*tick)(void *),
                                 void *tick_ctx) {
    const int L = cfg->depth;
    gs_moments *m = gs_malloc((size_t)L * sizeof *m);
    double *share = gs_malloc((size_t)L * sizeof *share);
    const gs_layer first_layer = net_layer_number(cfg, 1);
    const layer_scales first = scales_of(&first_layer);
    double w1 = first.sw * first.sw, b1 = first.sb * first.sb;
    double q = w1 * q_in + b1, c = q > 0 ? (w1 * c_in * q_in + b1) / q : c_in;
    layers[0] = (gs_layer_theory){q, 0, fmin(1.0, fmax(-1.0, c))};
    for (int l = 1; l <= L; l++) {
        if (l > 1) {
            /* layer l from layer l-1's q, c and moments */
            gs_layer layer = net_layer_number(cfg, l);
            layer_scales s = scales_of(&layer);
            double q_prev = layers[l - 2].q, c_prev = layers[l - 2].c, seen = q_seen[l - 2];
            double w2 = s.sw * s.sw, b2 = s.sb * s.sb;
            double branch_q = w2 * m[l - 2].v + b2;
            double branch_c = w2 * theory_kernel(&cfg->act, seen, c_prev) + b2;
            if (layer.kind == GS_LAYER_RESIDUAL) {
                double a2 = layer.branch_scale * layer.branch_scale;
                q = q_prev + a2 * branch_q;
                c = q > 0 ? (q_prev * c_prev + a2 * branch_c) / q : c_prev;
            } else {
                q = branch_q;
                c = q > 0 ? branch_c / q : c_prev;
            }
            layers[l - 1] = (gs_layer_theory){q, 0, fmin(1.0, fmax(-1.0, c))};
            if (tick) tick(tick_ctx);
        }
        q_seen[l - 1] = norm_seen(cfg, layers[l - 1].q);
        m[l - 1] = theory_moments(&cfg->act, q_seen[l - 1]);
        share[l - 1] = cfg->norm == GS_NORM_LAYERNORM && l < L
                           ? projection_share(&cfg->act, q_seen[l - 1])
                           : 1;
    }
    /* Backward, probe: δ[L] = r. Through a dense layer l,
     *   delta_sq[l-1] = back[l] delta_sq[l] E[φ'²] gain,
     * through a residual block the skip adds delta_sq[l] itself:
     *   delta_sq[l-1] = delta_sq[l] (1 + α² back[l] E[φ'²] gain)
     * (gradient independence; the cross term has mean zero). mse: no map is
     * derived (δ[L] = z[L] − y contains the trunk, which every block built):
     * NaN. */
    if (cfg->loss == GS_LOSS_PROBE) {
        double next = 1;
        layers[L - 1].delta_sq = 1;
        for (int l = L; l >= 2; l--) {
            gs_layer layer = net_layer_number(cfg, l);
            layer_scales s = scales_of(&layer);
            double through =
                s.back * m[l - 2].d * norm_backward_gain(cfg, layers[l - 2].q, share[l - 2]);
            if (layer.kind == GS_LAYER_RESIDUAL)
                next *= 1 + layer.branch_scale * layer.branch_scale * through;
            else
                next *= through;
            layers[l - 2].delta_sq = next;
        }
    } else {
        for (int l = 1; l <= L; l++)
            layers[l - 1].delta_sq = NAN;
    }
    free(m);
    free(share);
}

/* A configuration with residual blocks or a norm: its layers (above) and the
 * scalars. Residual networks have no fixed point (each block adds
 * α²(σw² E[φ²] + σb²) ≥ 0 to q: q* = inf unless the branches add nothing)
 * and no edge of chaos (each block multiplies delta_sq by at least 1), so
 * chi1, ξ_q, ξ_c and the critical σw are NaN. Plain networks with
 * LayerNorm have the fixed point of q → σw² E[φ(u)²] + σb², u ~ N(0, q/(q+ε)),
 * where χ1 = σw² E[φ'(u)²] ρ/(q* + ε) and the correlation map is that of a
 * plain network at q̂* with σw², σb² scaled by q̂* / q*; their critical σw is NaN:
 * the norm divides the scale out (with σb = 0, χ1 = E[φ'²]/E[φ²] whatever σw). */
static void predict_blocks(const gs_config *cfg, gs_result *res, bool (*tick)(void *),
                           void *tick_ctx) {
    double *q_seen = gs_malloc((size_t)cfg->depth * sizeof *q_seen);
    const double c_in = cfg->input_correlation > 0 ? cfg->input_correlation : 0.0;
    predict_block_layers(cfg, 1.0, c_in, res->theory, q_seen, tick, tick_ctx);
    res->chi1_theory = res->xi_q_theory = res->xi_c_theory = res->c_star_theory = NAN;
    if (cfg->jacobian_samples > 0 && res->jacobian_theory) /* no Jacobian through blocks yet */
        for (int l = 0; l < cfg->depth; l++)
            res->jacobian_theory[l] = (gs_jacobian_stats){NAN, NAN};
    res->sigma_w_critical_theory = NAN;
    if (cfg->branch != GS_BRANCH_NONE) {
        double alpha = config_branch_scale(cfg);
        gs_layer hidden = net_layer(cfg, cfg->width, cfg->width);
        bool adds = alpha > 0 && (hidden.sigma_w > 0 || hidden.sigma_b > 0) && cfg->depth > 1;
        res->q_star_theory = adds ? INFINITY : res->theory[0].q;
        free(q_seen);
        return;
    }
    /* plain with LayerNorm: iterate the map (its slope is O(ε/q²): a few steps) */
    gs_layer hidden = net_layer(cfg, cfg->width, cfg->width);
    layer_scales s = scales_of(&hidden);
    double q = res->theory[0].q;
    for (int k = 0; k < 200; k++) {
        double next = s.sw * s.sw * theory_moments(&cfg->act, norm_seen(cfg, q)).v + s.sb * s.sb;
        bool still = fabs(next - q) <= 1e-15 * fabs(next);
        q = next;
        if (still) break;
    }
    double seen = norm_seen(cfg, q), ratio = seen / q;
    res->q_star_theory = q;
    if (q > 0 && isfinite(q)) {
        const gs_mean_field mf = {cfg->act, s.sw * sqrt(ratio), s.sb * sqrt(ratio)};
        gs_fixed_point fp;
        theory_at_fixed_point(&mf, seen, &fp);
        double rho = 1 - (1 + projection_share(&cfg->act, seen)) / cfg->width;
        res->chi1_theory = fp.chi1 * rho;
        res->xi_c_theory = fp.xi_c;
        /* the slope of q → σw² v(q̂(q)) + σb²: σw² dv(q̂) ε/(q + ε)² */
        double chi_q = s.sw * s.sw * theory_moments(&cfg->act, seen).dv * GS_LAYERNORM_EPS /
                       ((q + GS_LAYERNORM_EPS) * (q + GS_LAYERNORM_EPS));
        res->xi_q_theory = chi_q > 0 && chi_q < 1 ? -1 / log(chi_q) : NAN;
    }
    free(q_seen);
}

void theory_layers(const gs_config *cfg, double q_in, double c_in, gs_layer_theory *layers) {
    if (cfg->depth < 1) return;
    if (config_has_blocks(cfg)) {
        double *q_seen = gs_malloc((size_t)cfg->depth * sizeof *q_seen);
        predict_block_layers(cfg, q_in, c_in, layers, q_seen, NULL, NULL);
        free(q_seen);
        return;
    }
    net_maps maps = maps_of(cfg);
    forward_path f = path_of(&maps, q_in, c_in);
    path_extend(&f, cfg->depth, NULL, NULL);
    predict_layers(&f, cfg, &maps, layers);
    path_free(&f);
}

/* ---- the cache of a sweep ------------------------------------------------------------- */

typedef struct critical_entry {
    gs_activation act;
    double sigma_b, sigma_w;
} critical_entry;

struct gs_theory {
    forward_path *paths; /* every key (φ, the layers' scales, q_in = 1, c_in) met so far */
    size_t n_paths, cap_paths;
    critical_entry *critical; /* every (φ, σb) met so far */
    size_t n_critical, cap_critical;
    size_t last; /* the path used last: consecutive configurations often share it */
};

gs_theory *theory_create(void) { return gs_calloc(1, sizeof(gs_theory)); }

void theory_destroy(gs_theory **t) {
    if (!t || !*t) return;
    for (size_t k = 0; k < (*t)->n_paths; k++)
        path_free(&(*t)->paths[k]);
    free((*t)->paths);
    free((*t)->critical);
    free(*t);
    *t = NULL;
}

static bool same_activation(const gs_activation *a, const gs_activation *b) {
    return a->kind == b->kind && (a->kind != GS_ACT_LEAKY_RELU || a->slope == b->slope);
}

/* The inputs' correlation c_in = c[0]: the input_correlation axis, 0 for
 * independent samples (no axis: NaN). */
static double input_correlation(const gs_config *cfg) {
    return cfg->input_correlation > 0 ? cfg->input_correlation : 0.0;
}

static bool same_key(const forward_path *a, const forward_path *b) {
    return same_activation(&a->act, &b->act) && a->sigma_w == b->sigma_w &&
           a->sigma_b == b->sigma_b && a->first_w == b->first_w && a->first_b == b->first_b &&
           a->q_in == b->q_in && a->c_in == b->c_in;
}

static forward_path *path_for(gs_theory *t, const net_maps *maps, double c_in) {
    forward_path want = path_of(maps, 1.0, c_in);
    for (size_t i = 0; i < t->n_paths; i++) {
        size_t k = (t->last + i) % t->n_paths;
        if (same_key(&t->paths[k], &want)) {
            t->last = k;
            return &t->paths[k];
        }
    }
    if (t->n_paths == t->cap_paths) {
        t->cap_paths = t->cap_paths ? 2 * t->cap_paths : 16;
        t->paths = gs_realloc(t->paths, t->cap_paths * sizeof *t->paths);
    }
    t->last = t->n_paths;
    forward_path *f = &t->paths[t->n_paths++];
    *f = want;
    return f;
}

static double critical_for(gs_theory *t, const gs_activation *act, double sigma_b) {
    for (size_t k = 0; k < t->n_critical; k++)
        if (same_activation(&t->critical[k].act, act) && t->critical[k].sigma_b == sigma_b)
            return t->critical[k].sigma_w;
    double sigma_w;
    gs_fixed_point fp;
    theory_critical(act, sigma_b, &sigma_w, &fp);
    if (t->n_critical == t->cap_critical) {
        t->cap_critical = t->cap_critical ? 2 * t->cap_critical : 8;
        t->critical = gs_realloc(t->critical, t->cap_critical * sizeof *t->critical);
    }
    t->critical[t->n_critical++] = (critical_entry){*act, sigma_b, sigma_w};
    return sigma_w;
}

/* torch_trunc_normal: the nominal sigma_w whose cut distribution has
 * variance sw²/fan_in, i.e. σ² τ(2 sqrt(fan_in)/σ) = sw². The left side grows
 * from 0 to 4 fan_in / 3 (the variance of U(-2, 2) times fan_in) as σ does;
 * NaN beyond. Bisection in log σ. */
static double nominal_of_truncated(double sw, int fan_in) {
    double c = 2 * sqrt((double)fan_in);
    if (isnan(sw) || !(sw * sw < c * c / 3)) return NAN;
    double lo = sw, hi = sw; /* τ ≤ 1: the nominal scale is at least sw */
    while (hi * hi * truncation_variance(c / hi) < sw * sw)
        hi *= 2;
    for (int i = 0; i < 200 && hi - lo > 1e-15 * hi; i++) {
        double mid = 0.5 * (lo + hi);
        if (mid * mid * truncation_variance(c / mid) < sw * sw)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

void theory_predict(gs_theory *t, const gs_config *cfg, gs_result *res, bool (*tick)(void *),
                    void *tick_ctx) {
    if (config_has_blocks(cfg)) { /* no cache: α may depend on the depth */
        predict_blocks(cfg, res, tick, tick_ctx);
        return;
    }
    const net_maps maps = maps_of(cfg);
    forward_path *f = path_for(t, &maps, input_correlation(cfg));
    path_extend(f, cfg->depth, tick, tick_ctx);
    predict_layers(f, cfg, &maps, res->theory);
    if (cfg->jacobian_samples > 0 && res->jacobian_theory) {
        path_extend_d4(f, cfg->depth, tick, tick_ctx);
        predict_jacobian(f, cfg, &maps, res->jacobian_theory);
    }
    if (!f->has_fixed_point) { /* of the hidden layers' maps, from the first layer's q */
        const gs_mean_field mf = {cfg->act, maps.hidden.sw, maps.hidden.sb};
        theory_fixed_point(&mf, f->q[0], &f->fixed_point);
        f->has_fixed_point = true;
    }
    res->chi1_theory = f->fixed_point.chi1;
    res->q_star_theory = f->fixed_point.q_star;
    res->xi_q_theory = f->fixed_point.xi_q;
    res->xi_c_theory = f->fixed_point.xi_c;
    res->c_star_theory = f->fixed_point.c_star;
    /* the scale of the configuration's own kind that is critical: sigma_w
     * itself, or for torch_trunc_normal the nominal one whose cut
     * distribution has the critical variance */
    double critical = critical_for(t, &cfg->act, maps.hidden.sb);
    if (cfg->init == GS_INIT_TORCH_TRUNC_NORMAL)
        critical = nominal_of_truncated(critical, cfg->width);
    res->sigma_w_critical_theory = critical;
}
