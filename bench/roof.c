/* SPDX-License-Identifier: MIT */
/* roof.c — peak flop/s of one core (roof.h).
 *
 * ACC independent accumulators, each updated acc = acc·m + c: enough
 * independent chains to cover the FMA latency (4 cycles) on both FMA ports
 * of current x86 cores (8 in flight needed; 16 used for AVX-512, whose 32
 * registers allow it, 12 for AVX2's 16). Every update is 2 flops per lane.
 * m slightly below 1 keeps the values bounded and away from subnormals. */
#include "roof.h"

#include <immintrin.h>
#include <stdbool.h>

#include "gradsweep/common.h"

#define ROUNDS 4096 /* updates of every accumulator per call */

#define FMA_LOOP(TYPE, ACC, SET1, FMA, ADD, STORE, LANES, SCALAR)                                  \
    TYPE acc[ACC], m = SET1((SCALAR)0.999999), c = SET1((SCALAR)1e-6);                             \
    for (int j = 0; j < ACC; j++)                                                                  \
        acc[j] = SET1((SCALAR)(j + 1) * (SCALAR)1e-3);                                             \
    for (long r = 0; r < rounds; r++) {                                                            \
        _Pragma("GCC unroll 16") for (int j = 0; j < ACC; j++) acc[j] = FMA(acc[j], m, c);         \
    }                                                                                              \
    for (int j = 1; j < ACC; j++)                                                                  \
        acc[0] = ADD(acc[0], acc[j]);                                                              \
    SCALAR out[LANES];                                                                             \
    STORE(out, acc[0]);                                                                            \
    *sink += out[0];                                                                               \
    return 2.0 * ACC * LANES * (double)rounds

/* One loop per instruction set and precision: NAME(rounds, sink) returns its
 * flops. ATTRIBUTES: the target the intrinsics need. */
#define FMA_FUNCTION(NAME, ATTRIBUTES, ...)                                                        \
    ATTRIBUTES static double NAME(long rounds, double *sink) { FMA_LOOP(__VA_ARGS__); }

#define AVX512 __attribute__((target("avx512f")))
#define AVX2   __attribute__((target("avx2,fma")))
/* SSE2 has no FMA: a multiply and an add per update, on separate ports */
static inline __m128 sse_fma_ps(__m128 a, __m128 b, __m128 c) {
    return _mm_add_ps(_mm_mul_ps(a, b), c);
}
static inline __m128d sse_fma_pd(__m128d a, __m128d b, __m128d c) {
    return _mm_add_pd(_mm_mul_pd(a, b), c);
}
/* clang-format off */
FMA_FUNCTION(avx512_f32, AVX512, __m512, 16, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_add_ps, _mm512_storeu_ps, 16, float)
FMA_FUNCTION(avx512_f64, AVX512, __m512d, 16, _mm512_set1_pd, _mm512_fmadd_pd, _mm512_add_pd, _mm512_storeu_pd, 8, double)
FMA_FUNCTION(avx2_f32, AVX2, __m256, 12, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_add_ps, _mm256_storeu_ps, 8, float)
FMA_FUNCTION(avx2_f64, AVX2, __m256d, 12, _mm256_set1_pd, _mm256_fmadd_pd, _mm256_add_pd, _mm256_storeu_pd, 4, double)
FMA_FUNCTION(sse_f32, , __m128, 12, _mm_set1_ps, sse_fma_ps, _mm_add_ps, _mm_storeu_ps, 4, float)
FMA_FUNCTION(sse_f64, , __m128d, 12, _mm_set1_pd, sse_fma_pd, _mm_add_pd, _mm_storeu_pd, 2, double)
/* clang-format on */

typedef double (*loop)(long, double *);

static double best_rate(loop f, double seconds) {
    double sink = 0, best = 0;
    f(ROUNDS, &sink); /* warm up: frequency, page faults */
    for (int run = 0; run < 5; run++) {
        double start = gs_cpu_now(), flops = 0, elapsed;
        do {
            flops += f(ROUNDS, &sink);
            elapsed = gs_cpu_now() - start;
        } while (elapsed < seconds / 5);
        if (flops / elapsed > best) best = flops / elapsed;
    }
    return sink == 42.0 ? best * (1 + 1e-15) : best; /* sink used: the loops stay */
}

roof roof_measure(double seconds) {
    __builtin_cpu_init();
    bool avx512 = __builtin_cpu_supports("avx512f");
    bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    roof r;
    r.isa = avx512 ? "AVX-512" : avx2 ? "AVX2+FMA" : "SSE2";
    r.flops_f32 = best_rate(avx512 ? avx512_f32 : avx2 ? avx2_f32 : sse_f32, seconds);
    r.flops_f64 = best_rate(avx512 ? avx512_f64 : avx2 ? avx2_f64 : sse_f64, seconds);
    return r;
}
