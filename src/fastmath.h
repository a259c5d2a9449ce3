/* SPDX-License-Identifier: MIT */
/* fastmath.h — exp, expm1 and tanh in single and double precision for the
 * activation kernels, written so that the compiler turns a loop over them
 * into SIMD code (no library calls, no branches: selects instead). Accurate
 * to a few units in the last place (tests/test_activation.c measures it);
 * libm's versions are correctly rounded or nearly, but one element at a time.
 * NaN in gives NaN out.
 *
 * Internal to the maths: included by activation.c only. */
#ifndef GRADSWEEP_FASTMATH_H
#define GRADSWEEP_FASTMATH_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

static inline float bits_to_float(int32_t bits) {
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

/* c[0] + c[1] x + … + c[n-1] x^(n-1), by Horner's rule. */
static inline float horner(const float *c, int n, float x) {
    float p = c[n - 1];
    for (int k = n - 2; k >= 0; k--)
        p = p * x + c[k];
    return p;
}

/* Taylor coefficients: e^x = Σ x^k / k!; tanh x / x = Σ t_k x^2k. */
static const float exp_series[9] = {1.0f,       1.0f,       1.0f / 2,    1.0f / 6,    1.0f / 24,
                                    1.0f / 120, 1.0f / 720, 1.0f / 5040, 1.0f / 40320};
static const float tanh_series[7] = {
    1.0f, -1.0f / 3, 2.0f / 15, -17.0f / 315, 62.0f / 2835, -1382.0f / 155925, 21844.0f / 6081075};

/* e^x for x in [-87, 88] (outside it the argument is clamped: callers only
 * need e^x where it is a normal float, or its clamp); NaN propagates.
 * Cody–Waite reduction x = k ln 2 + r, |r| <= ln2/2, then e^r by its Taylor
 * series to r^7 (truncation r^8/8! < 3e-9 relative), scaled by 2^k. */
static inline float fast_expf(float x) {
    float xc = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
    xc = x == x ? xc : 0.0f; /* NaN: compute on 0, give NaN back below */
    /* round(x / ln 2) with the 1.5·2^23 trick (exact for |v| < 2^22) */
    float k = (xc * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
    float r = (xc - k * 0.693145751953125f) - k * 1.428606765330187045e-06f;
    float scaled = horner(exp_series, 8, r) * bits_to_float(((int32_t)k + 127) << 23);
    return x == x ? scaled : x;
}

/* e^x - 1 without cancellation near 0: x times the series of (e^x - 1)/x to
 * x^7 for |x| < 0.35 (truncation |x|^9/9! < 2e-10·|x|), else e^x - 1. */
static inline float fast_expm1f(float x, float ex) {
    float series = x * horner(exp_series + 1, 8, x);
    return fabsf(x) < 0.35f ? series : ex - 1.0f;
}

/* tanh x, and 1 - |tanh x| without cancellation (the derivative needs it):
 * the odd Taylor series to x^13 for |x| < 0.4 (truncation < 4e-9 relative),
 * else 1 - 2 / (1 + e^{2|x|}). */
static inline float fast_tanhf(float x, float *one_minus_abs) {
    float ax = fabsf(x);
    float series = x * horner(tanh_series, 7, x * x);
    float tail = 2.0f / (1.0f + fast_expf(2.0f * ax)); /* 1 - |tanh x| */
    bool small = ax < 0.4f;
    *one_minus_abs = small ? 1.0f - fabsf(series) : tail;
    return small ? series : copysignf(1.0f - tail, x);
}

/* ---- double precision ------------------------------------------------------------ */

static inline double bits_to_double(uint64_t bits) {
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

static inline uint64_t double_to_bits(double d) {
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    return bits;
}

static inline double horner_f64(const double *c, int n, double x) {
    double p = c[n - 1];
    for (int k = n - 2; k >= 0; k--)
        p = p * x + c[k];
    return p;
}

/* 1/k! for k = 0 … 14 */
static const double exp_series_f64[15] = {1.0,
                                          1.0,
                                          1.0 / 2,
                                          1.0 / 6,
                                          1.0 / 24,
                                          1.0 / 120,
                                          1.0 / 720,
                                          1.0 / 5040,
                                          1.0 / 40320,
                                          1.0 / 362880,
                                          1.0 / 3628800,
                                          1.0 / 39916800,
                                          1.0 / 479001600,
                                          1.0 / 6227020800,
                                          1.0 / 87178291200};
/* tanh x / x = Σ t_k x^2k, t_k = 2^2k (2^2k - 1) B_2k / (2k)! (B: Bernoulli numbers) */
static const double tanh_series_f64[13] = {
    1.0,
    -1.0 / 3,
    2.0 / 15,
    -17.0 / 315,
    62.0 / 2835,
    -1382.0 / 155925,
    21844.0 / 6081075,
    -929569.0 / 638512875,
    6404582.0 / 10854718875,
    -443861162.0 / 1856156927625,
    18888466084.0 / 194896477400625,
    -113927491862.0 / 2900518163668125,
    1.5918905069328964e-05}; /* 58870668456604 / 3698160658676859375 */

/* e^x for x ≤ 709 (clamped above: callers need e^x only where it is finite,
 * or its clamp), 0 below -708 (where e^x is below the smallest normal
 * double); NaN propagates. Cody–Waite reduction x = k ln 2 + r with ln 2 in
 * two parts, the first with trailing zeros so that k·LN2_HI is exact;
 * |r| ≤ ln2/2 and e^r by its Taylor series to r^13 (truncation < 5e-18
 * relative); 2^k built in the exponent field. k comes out of the rounding
 * trick as the low bits of a double, which spares a double → int64
 * conversion that AVX2 lacks. */
static inline double fast_exp(double x) {
    static const double LN2_HI = 6.93147180369123816490e-01; /* 0x3fe62e42fee00000 */
    static const double LN2_LO = 1.90821492927058770002e-10;
    static const double ROUND = 0x1.8p52; /* adding it rounds to an integer in the low bits */
    double xc = x > 709.0 ? 709.0 : (x < -708.0 ? -708.0 : x);
    xc = x == x ? xc : 0.0;
    double shifted = xc * 1.4426950408889634074 + ROUND;
    double k = shifted - ROUND;
    double r = (xc - k * LN2_HI) - k * LN2_LO;
    uint64_t scale_bits = (double_to_bits(shifted) + 1023) << 52; /* 2^k: k + 1023 in [1, 2046] */
    double e = horner_f64(exp_series_f64, 14, r) * bits_to_double(scale_bits);
    e = x < -708.0 ? 0.0 : e;
    return x == x ? e : x;
}

/* e^x - 1 for x ≤ 709: x times the series of (e^x - 1)/x to x^12 for
 * |x| < 0.35 (truncation < 2e-17 relative), else e^x - 1. */
static inline double fast_expm1(double x, double ex) {
    double series = x * horner_f64(exp_series_f64 + 1, 13, x);
    return fabs(x) < 0.35 ? series : ex - 1.0;
}

/* tanh x, and 1 - |tanh x| without cancellation: for |x| < 0.3 the odd
 * Taylor series to x^25 (truncation < 5e-18 relative); beyond it, with
 * e = e^{-2|x|}, |tanh x| = (1 - e)/(1 + e) and 1 - |tanh x| = 2e/(1 + e). */
static inline double fast_tanh(double x, double *one_minus_abs) {
    double ax = fabs(x);
    double series = x * horner_f64(tanh_series_f64, 13, x * x);
    double e = fast_exp(-2.0 * ax), inverse = 1.0 / (1.0 + e);
    bool small = ax < 0.3;
    *one_minus_abs = small ? 1.0 - fabs(series) : 2.0 * e * inverse;
    return small ? series : copysign((1.0 - e) * inverse, x);
}

#endif
