/* SPDX-License-Identifier: MIT */
/* rng.c — the keyed streams of Philox4x32-10 (Salmon, Moraes, Dror & Shaw,
 * SC'11) that every random number comes from. The generator itself is
 * Random123's, its authors' reference implementation (Debian's
 * librandom123-dev, header-only); this file adds the key hash, the counter
 * layout, the uniforms and the normal quantile. A block maps a 128-bit
 * counter and a 64-bit key to 128 random bits; element e of a stream lives
 * in block e/2, half e%2. */
#include "gradsweep/rng.h"

#include <math.h>
#include <string.h>

#include <Random123/philox.h>

#include "simd.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_PHILOX_AVX512 1
#endif

void philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]) {
    philox4x32_ctr_t c = {{ctr[0], ctr[1], ctr[2], ctr[3]}};
    philox4x32_key_t k = {{key[0], key[1]}};
    philox4x32_ctr_t r = philox4x32_R(10, c, k);
    memcpy(out, r.v, sizeof r.v);
}

/* splitmix64's finaliser (Steele, Lea & Flood 2014): a bijective mix, so
 * distinct inputs chained through it give well-separated keys. */
static uint64_t mix64(uint64_t z) {
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

enum { NO_INIT = 0xff }; /* data streams (input, probe, target) do not depend on init */

gs_stream rng_stream(uint64_t base_seed, uint64_t seed, uint32_t width, int init, uint32_t layer,
                     gs_draw_purpose purpose) {
    int per_layer = purpose == GS_DRAW_WEIGHT || purpose == GS_DRAW_BIAS;
    uint64_t init_code = purpose == GS_DRAW_WEIGHT ? (uint64_t)(init & 0xff) : NO_INIT;
    uint64_t h = mix64(base_seed);
    h = mix64(h ^ seed);
    h = mix64(h ^ width);
    h = mix64(h ^ (init_code << 8 | (uint64_t)purpose));
    gs_stream s = {{(uint32_t)h, (uint32_t)(h >> 32)}, per_layer ? layer : 0};
    return s;
}

/* A uniform on the open interval (0, 1) from 64 random bits: 53 of them,
 * centred in their cell so neither 0 nor 1 can occur (log(u) stays finite). */
static inline double open01(uint32_t hi, uint32_t lo) {
    uint64_t bits = ((uint64_t)hi << 32 | lo) >> 11;
    return ((double)bits + 0.5) * 0x1.0p-53;
}

/* The standard normal quantile Φ⁻¹(u), 0 < u < 1: Wichura's algorithm AS 241
 * (PPND16, Applied Statistics 37:477–484, 1988), accurate to about 1e-16.
 * One uniform per normal and no transcendental in the central 85 %: several
 * times faster than Box–Muller's log and sincos, and every element of a
 * stream stays computable on its own. Coefficients as in the paper, lowest
 * power first: A/B for |u - ½| ≤ 0.425, C/D for r = sqrt(-log min(u, 1-u))
 * ≤ 5, E/F beyond. */
static const double as241_a[8] = {3.3871328727963666080e0,  1.3314166789178437745e+2,
                                  1.9715909503065514427e+3, 1.3731693765509461125e+4,
                                  4.5921953931549871457e+4, 6.7265770927008700853e+4,
                                  3.3430575583588128105e+4, 2.5090809287301226727e+3};
static const double as241_b[8] = {1.0,
                                  4.2313330701600911252e+1,
                                  6.8718700749205790830e+2,
                                  5.3941960214247511077e+3,
                                  2.1213794301586595867e+4,
                                  3.9307895800092710610e+4,
                                  2.8729085735721942674e+4,
                                  5.2264952788528545610e+3};
static const double as241_c[8] = {1.42343711074968357734e0,  4.63033784615654529590e0,
                                  5.76949722146069140550e0,  3.64784832476320460504e0,
                                  1.27045825245236838258e0,  2.41780725177450611770e-1,
                                  2.27238449892691845833e-2, 7.74545014278341407640e-4};
static const double as241_d[8] = {1.0,
                                  2.05319162663775882187e0,
                                  1.67638483018380384940e0,
                                  6.89767334985100004550e-1,
                                  1.48103976427480074590e-1,
                                  1.51986665636164571966e-2,
                                  5.47593808499534494600e-4,
                                  1.05075007164441684324e-9};
static const double as241_e[8] = {6.65790464350110377720e0,  5.46378491116411436990e0,
                                  1.78482653991729133580e0,  2.96560571828504891230e-1,
                                  2.65321895265761230930e-2, 1.24266094738807843860e-3,
                                  2.71155556874348757815e-5, 2.01033439929228813265e-7};
static const double as241_f[8] = {1.0,
                                  5.99832206555887937690e-1,
                                  1.36929880922735805310e-1,
                                  1.48753612908506148525e-2,
                                  7.86869131145613259100e-4,
                                  1.84631831751005468180e-5,
                                  1.42151175831644588870e-7,
                                  2.04426310338993978564e-15};

/* p(x) / q(x) for degree-7 polynomials given lowest power first (Horner). */
static inline double ratio7(const double *p, const double *q, double x) {
    double num = p[7], den = q[7];
    for (int k = 6; k >= 0; k--) {
        num = num * x + p[k];
        den = den * x + q[k];
    }
    return num / den;
}

static double normal_quantile(double u) {
    double q = u - 0.5;
    if (fabs(q) <= 0.425) return q * ratio7(as241_a, as241_b, 0.180625 - q * q);
    double r = sqrt(-log(q < 0 ? u : 1.0 - u));
    double x = r <= 5.0 ? ratio7(as241_c, as241_d, r - 1.6) : ratio7(as241_e, as241_f, r - 5.0);
    return q < 0 ? -x : x;
}

double rng_normal_quantile(double u) { return normal_quantile(u); }

/* ---- many normals at once --------------------------------------------------------
 * Drawing weights is O(width²) per layer; one normal at a time the branch on
 * the tail and the dependent Horner chains leave the core mostly idle. So
 * rng_normal works through a run of consecutive blocks in structure-of-arrays
 * form, every step a loop over lanes that the compiler vectorises, and the
 * arithmetic per element is exactly normal_quantile's (no fused multiply-adds
 * under -ffp-contract=off, no reassociation): the values are bit for bit
 * those of the one-at-a-time code (tests/test_rng.c checks it). */

enum { RUN_BLOCKS = 64, RUN_NORMALS = 2 * RUN_BLOCKS };

/* Philox4x32-10 for blocks b0 … b0+blocks-1 of the stream; word w of
 * block i in out[w][i]. Random123's philox4x32_R, one block per lane: GCC
 * inlines its ten rounds and vectorises the loop over lanes (AVX2 clone; the
 * AVX-512 machines take philox_run_avx512 below). Measured against the
 * hand-written structure-of-arrays rounds it replaced (gradsweep 0.1.0;
 * identical bits), 512 × 512 draws per call, best of 300 calls, both builds
 * alternating on the shared 2-core Xeon (family 6 model 207, GCC 12 -O3):
 * raw blocks 139–145 against 147–154 million/s, normals 99–103 against
 * 97–105 million/s, uniforms 211–220 against 135–146 million/s (these now
 * come a run at a time too). */
SIMD_CLONES static void philox_run_generic(const gs_stream *s, uint64_t b0, int blocks,
                                           uint32_t out[4][RUN_BLOCKS]) {
    philox4x32_key_t key = {{s->key[0], s->key[1]}};
    for (int i = 0; i < blocks; i++) {
        uint64_t b = b0 + (uint64_t)i;
        philox4x32_ctr_t ctr = {{(uint32_t)b, (uint32_t)(b >> 32), s->layer, 0}};
        philox4x32_ctr_t r = philox4x32_R(10, ctr, key);
        out[0][i] = r.v[0];
        out[1][i] = r.v[1];
        out[2][i] = r.v[2];
        out[3][i] = r.v[3];
    }
}

#ifdef HAVE_PHILOX_AVX512
/* Why gradsweep keeps its own Philox rounds beside Random123's: with the
 * rounds in AVX-512 registers, 16 blocks at a time, the same integer
 * operations (so the same bits: tests/test_rng.c checks every run against
 * Random123's philox4x32_R, block by block), drawing is clearly faster than
 * through the compiler's vectorisation of Random123's rounds above: 512 × 512
 * draws, best of 200 calls, thread CPU time, Intel Xeon family 6 model 207,
 * GCC 12 -O3, the same rng.c built with and without this path, three
 * alternating runs each: normals 5.0–5.3 against 7.1–7.2 ns, uniforms 2.5–2.6
 * against 4.5–4.6 ns. The compiler's version multiplies three times per round,
 * with a slow 32-bit low multiply, and keeps the words in memory between
 * rounds.
 *
 * The high and low halves of a·m for 16 32-bit lanes: one widening multiply
 * for the even lanes and one for the odd, then each half put back in its
 * lane. */
__attribute__((target("avx512f"))) static inline void mul_hi_lo(__m512i a, __m512i m, __m512i *hi,
                                                                __m512i *lo) {
    __m512i even = _mm512_mul_epu32(a, m), odd = _mm512_mul_epu32(_mm512_srli_epi64(a, 32), m);
    *hi = _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(even, 32), odd);
    *lo = _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 32));
}

/* The same blocks, 16 at a time with all ten rounds in registers, with
 * Random123's multipliers and key schedule (PHILOX_M4x32_*, PHILOX_W32_*).
 * Lanes past `blocks` are computed and ignored (out holds RUN_BLOCKS of each
 * word). */
__attribute__((target("avx512f"))) static void
philox_run_avx512(const gs_stream *s, uint64_t b0, int blocks, uint32_t out[4][RUN_BLOCKS]) {
    const __m512i m0 = _mm512_set1_epi64(PHILOX_M4x32_0), m1 = _mm512_set1_epi64(PHILOX_M4x32_1);
    const __m512i first = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
    for (int i = 0; i < blocks; i += 16) {
        /* counters b0 + i + 0 … 15 as 64-bit, split into their 32-bit words */
        __m512i lo8 = _mm512_add_epi64(_mm512_set1_epi64((long long)(b0 + (uint64_t)i)), first);
        __m512i hi8 = _mm512_add_epi64(lo8, _mm512_set1_epi64(8));
        __m512i c0 = _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtepi64_epi32(lo8)),
                                        _mm512_cvtepi64_epi32(hi8), 1);
        __m512i c1 = _mm512_inserti64x4(
            _mm512_castsi256_si512(_mm512_cvtepi64_epi32(_mm512_srli_epi64(lo8, 32))),
            _mm512_cvtepi64_epi32(_mm512_srli_epi64(hi8, 32)), 1);
        __m512i c2 = _mm512_set1_epi32((int)s->layer), c3 = _mm512_setzero_si512();
        uint32_t k0 = s->key[0], k1 = s->key[1];
        for (int round = 0; round < 10; round++) {
            if (round > 0) k0 += PHILOX_W32_0, k1 += PHILOX_W32_1;
            __m512i hi0, lo0, hi1, lo1;
            mul_hi_lo(c0, m0, &hi0, &lo0);
            mul_hi_lo(c2, m1, &hi1, &lo1);
            /* 0x96: a ^ b ^ c */
            c0 = _mm512_ternarylogic_epi32(hi1, c1, _mm512_set1_epi32((int)k0), 0x96);
            c2 = _mm512_ternarylogic_epi32(hi0, c3, _mm512_set1_epi32((int)k1), 0x96);
            c1 = lo1;
            c3 = lo0;
        }
        _mm512_storeu_si512(out[0] + i, c0);
        _mm512_storeu_si512(out[1] + i, c1);
        _mm512_storeu_si512(out[2] + i, c2);
        _mm512_storeu_si512(out[3] + i, c3);
    }
}
#endif

static void philox_run(const gs_stream *s, uint64_t b0, int blocks, uint32_t out[4][RUN_BLOCKS]) {
#ifdef HAVE_PHILOX_AVX512
    static int avx512 = -1;
    if (avx512 < 0) avx512 = __builtin_cpu_supports("avx512f") != 0;
    if (avx512) {
        philox_run_avx512(s, b0, blocks, out);
        return;
    }
#endif
    philox_run_generic(s, b0, blocks, out);
}

/* open01 without a 64-bit integer conversion, which AVX2 lacks: the 53 bits
 * are hi·2^21 + (lo >> 11), both parts exact in a double and so their sum;
 * the same value open01 computes. */
static inline double open01_split(uint32_t hi, uint32_t lo) {
    double high = (double)(int32_t)(hi ^ 0x80000000u) + 2147483648.0; /* hi as a double */
    double bits = high * 2097152.0 + (double)(int32_t)(lo >> 11);
    return (bits + 0.5) * 0x1.0p-53;
}

/* The 2·blocks normals of blocks b0 …: the central formula for every lane,
 * then the tails (|u - ½| > 0.425, 15 % of draws) gathered, their logarithm
 * taken one by one, their rational function again over a vector. */
SIMD_CLONES static void normal_run(const gs_stream *s, uint64_t b0, int blocks,
                                   double x[RUN_NORMALS]) {
    const int count = 2 * blocks;
    uint32_t r[4][RUN_BLOCKS];
    philox_run(s, b0, blocks, r);
    double u[RUN_NORMALS];
    for (int i = 0; i < blocks; i++) {
        u[2 * i] = open01_split(r[0][i], r[1][i]);
        u[2 * i + 1] = open01_split(r[2][i], r[3][i]);
    }
    for (int k = 0; k < count; k++) {
        double q = u[k] - 0.5;
        x[k] = q * ratio7(as241_a, as241_b, 0.180625 - q * q);
    }
    /* the tails' positions, gathered without a branch (which would be
     * mispredicted for one draw in seven) */
    int tail[RUN_NORMALS], m = 0;
    for (int k = 0; k < count; k++) {
        tail[m] = k;
        m += fabs(u[k] - 0.5) > 0.425;
    }
    double t[RUN_NORMALS];
    for (int j = 0; j < m; j++) {
        double uk = u[tail[j]];
        t[j] = sqrt(-log(uk - 0.5 < 0 ? uk : 1.0 - uk));
    }
    double y[RUN_NORMALS];
    for (int j = 0; j < m; j++)
        y[j] = ratio7(as241_c, as241_d, t[j] - 1.6);
    for (int j = 0; j < m; j++) {
        int k = tail[j];
        double v = t[j] <= 5.0 ? y[j] : ratio7(as241_e, as241_f, t[j] - 5.0);
        /* -v below the median, by flipping the sign bit (a select between
         * v and -v was compiled as a branch, mispredicted every other time) */
        uint64_t bits;
        memcpy(&bits, &v, sizeof bits);
        bits ^= (uint64_t)(u[k] < 0.5) << 63;
        memcpy(&x[k], &bits, sizeof bits);
    }
}

void rng_normal(const gs_stream *s, uint64_t first, size_t count, double *out) {
    uint64_t e = first, end = first + count;
    double run[RUN_NORMALS];
    while (e < end) {
        uint64_t b0 = e >> 1, last_block = (end - 1) >> 1;
        int blocks = last_block - b0 + 1 < RUN_BLOCKS ? (int)(last_block - b0 + 1) : RUN_BLOCKS;
        normal_run(s, b0, blocks, run);
        size_t skip = (size_t)(e - 2 * b0);
        size_t take =
            2 * (size_t)blocks - skip < end - e ? 2 * (size_t)blocks - skip : (size_t)(end - e);
        memcpy(out, run + skip, take * sizeof *out);
        out += take;
        e += take;
    }
}

/* Uniforms come a run of blocks at a time too: block by block, Random123's
 * Philox runs as scalar code (104–116 million uniforms/s, against 127–140
 * for the hand-written rounds it replaced); through philox_run, vectorised,
 * 211–220 million/s. */
void rng_uniform_pm1(const gs_stream *s, uint64_t first, size_t count, double *out) {
    uint64_t e = first, end = first + count;
    uint32_t r[4][RUN_BLOCKS];
    while (e < end) {
        uint64_t b0 = e >> 1, last_block = (end - 1) >> 1;
        int blocks = last_block - b0 + 1 < RUN_BLOCKS ? (int)(last_block - b0 + 1) : RUN_BLOCKS;
        philox_run(s, b0, blocks, r);
        for (int i = 0; i < blocks; i++) {
            double pair[2] = {2.0 * open01(r[0][i], r[1][i]) - 1.0,
                              2.0 * open01(r[2][i], r[3][i]) - 1.0};
            for (unsigned half = (unsigned)(e & 1); half < 2 && e < end; half++, e++)
                *out++ = pair[half];
        }
    }
}
