/* fastmath.h — single-precision exp, expm1 and tanh for the float32 network,
 * written so that the compiler turns a loop over them into SIMD code (no
 * library calls, no branches: selects instead). Accurate to a few units in
 * the last place of a float (tests/test_activation.c measures it), which is
 * what float32 arithmetic can hold anyway. NaN in gives NaN out.
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

#endif
