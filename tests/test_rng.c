/* SPDX-License-Identifier: MIT */
/* test_rng.c — Philox known answers, stream independence, random access,
 * and the moments of the draws within their sampling error. */
#include <stdint.h>
#include <stdlib.h>

#include "gradsweep/rng.h"
#include "testing.h"

/* Random123's kat_vectors for philox4x32-10: counter, key -> output. */
static void test_philox_known_answers(void) {
    static const uint32_t kat[3][10] = {
        {0, 0, 0, 0, 0, 0, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
        {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0x408f276d,
         0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
        {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, 0xd16cfe09,
         0x94fdcceb, 0x5001e420, 0x24126ea1},
    };
    for (int k = 0; k < 3; k++) {
        uint32_t out[4];
        philox4x32_10(kat[k], kat[k] + 4, out);
        for (int i = 0; i < 4; i++)
            CHECK_MSG(out[i] == kat[k][6 + i], "vector %d word %d", k, i);
    }
}

/* Any element is computable alone: a stream read in pieces, from odd
 * offsets, equals the stream read in one go. */
static void test_random_access(void) {
    gs_stream s = rng_stream(42, 3, 64, 0, 7, GS_DRAW_WEIGHT);
    double whole[101], piece[101];
    rng_normal(&s, 0, 101, whole);
    rng_normal(&s, 0, 1, piece);
    rng_normal(&s, 1, 50, piece + 1);
    rng_normal(&s, 51, 50, piece + 51);
    for (int i = 0; i < 101; i++)
        CHECK_MSG(whole[i] == piece[i], "element %d", i);
    rng_uniform_pm1(&s, 0, 101, whole);
    rng_uniform_pm1(&s, 0, 33, piece);
    rng_uniform_pm1(&s, 33, 68, piece + 33);
    for (int i = 0; i < 101; i++)
        CHECK_MSG(whole[i] == piece[i], "uniform element %d", i);
}

/* The definition, one element at a time: element e is Φ⁻¹ of the 53-bit
 * uniform in half e%2 of block e/2 (or that uniform mapped onto (-1, 1)).
 * rng_normal and rng_uniform_pm1 compute runs of blocks with vector code;
 * they must give these values bit for bit, also where a run starts
 * mid-block and where the block counter crosses into its high word. */
static double open01_by_definition(const gs_stream *s, uint64_t e) {
    uint64_t b = e >> 1;
    uint32_t ctr[4] = {(uint32_t)b, (uint32_t)(b >> 32), s->layer, 0}, out[4];
    philox4x32_10(ctr, s->key, out);
    uint32_t hi = out[2 * (e & 1)], lo = out[2 * (e & 1) + 1];
    uint64_t bits = ((uint64_t)hi << 32 | lo) >> 11;
    return ((double)bits + 0.5) * 0x1.0p-53;
}

static double normal_by_definition(const gs_stream *s, uint64_t e) {
    return rng_normal_quantile(open01_by_definition(s, e));
}

static double uniform_by_definition(const gs_stream *s, uint64_t e) {
    return 2.0 * open01_by_definition(s, e) - 1.0;
}

typedef void draw_run(const gs_stream *s, uint64_t first, size_t count, double *out);

static void check_run(const char *what, draw_run *draw,
                      double (*definition)(const gs_stream *, uint64_t), const gs_stream *s,
                      uint64_t first, size_t count) {
    double x[1000];
    draw(s, first, count, x);
    for (size_t k = 0; k < count; k++)
        CHECK_MSG(x[k] == definition(s, first + k), "%s element %llu (from %llu, %zu drawn)", what,
                  (unsigned long long)(first + k), (unsigned long long)first, count);
}

static void test_runs_match_definition(void) {
    static const uint64_t starts[] = {0, 1, 127, 128, 129, (2ull << 32) - 301};
    static const size_t counts[] = {1, 2, 63, 64, 129, 1000};
    for (int layer = 0; layer < 2; layer++) {
        gs_stream s = rng_stream(9, 4, 512, 0, (uint32_t)(layer * 123456), GS_DRAW_WEIGHT);
        for (size_t a = 0; a < sizeof starts / sizeof *starts; a++) {
            for (size_t c = 0; c < sizeof counts / sizeof *counts; c++) {
                check_run("normal", rng_normal, normal_by_definition, &s, starts[a], counts[c]);
                check_run("uniform", rng_uniform_pm1, uniform_by_definition, &s, starts[a],
                          counts[c]);
            }
        }
    }
}

/* FNV-1a over the IEEE bit patterns: one number that changes if any bit of
 * any draw does. */
static uint64_t bits_hash(const double *x, size_t n) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        uint64_t b;
        memcpy(&b, x + i, sizeof b);
        for (int k = 0; k < 8; k++) {
            h ^= (b >> (8 * k)) & 0xff;
            h *= 0x100000001b3ull;
        }
    }
    return h;
}

static void check_stored_draws(const char *what, size_t stream, const double *x, size_t count,
                               double first, uint64_t hash) {
    CHECK_MSG(x[0] == first, "stream %zu: first of the %s %a, stored %a", stream, what, x[0],
              first);
    CHECK_MSG(bits_hash(x, count) == hash, "stream %zu: %s hash %016llx, stored %016llx", stream,
              what, (unsigned long long)bits_hash(x, count), (unsigned long long)hash);
}

/* The streams are part of the results-file contract: a results file records
 * base_seed and the grid, and any later gradsweep must redraw exactly the
 * same networks from them (docs/usage.md, "Reproducibility"). These are the
 * keys and draws of gradsweep 0.1.0, stored so that a change of generator
 * (Philox4x32-10, its implementation included), counter layout, key hash,
 * uniform or quantile cannot pass unnoticed: every purpose, every init code,
 * a large layer, the block counter crossing into its high word, runs
 * starting mid-block, extreme seeds. The normals' tails go through libm's
 * log (glibc 2.36 here). */
static void test_streams_keep_their_values(void) {
    static const struct {
        uint64_t base_seed, seed;
        uint32_t width;
        int init;
        uint32_t layer;
        gs_draw_purpose purpose;
        uint64_t first;
        size_t count;
        uint32_t key[2];
        uint64_t normals, uniforms; /* bits_hash of the draws */
        double normal0, uniform0;   /* the first of each */
    } pin[] = {
        /* clang-format off */
        /* base_seed, seed, width, init, layer, purpose, first, count, key,
         * hash of the normals, of the uniforms, first normal, first uniform */
        {42, 0, 128, 0, 1, GS_DRAW_WEIGHT, 0, 128 * 128, {0x30de420e, 0x6c9c2a4e},
         0x28affd7c2f8f75da, 0xa5d00b6750ee5cf3, -0x1.fa6a71c7bcddbp-1, -0x1.5ad1e21ecdad9p-1},
        {2026, 2, 512, 1, 99, GS_DRAW_WEIGHT, 1, 100001, {0x2a83edc6, 0x64a72e73},
         0x945cef832ca45a9f, 0x992b0ca25958513d, 0x1.22338b88d2dffp+1, 0x1.f407c816dfed8p-1},
        {0, 0, 64, 2, 0, GS_DRAW_BIAS, 0, 64, {0x41c31498, 0x3dc6f1b7},
         0xc3f8d125356d0308, 0xf1345217c6b66123, 0x1.d4dead518be3ep-3, 0x1.72dc8ba6e1bap-3},
        {7, 1, 256, 0, 0, GS_DRAW_INPUT, (2ull << 32) - 301, 1000, {0xa740959e, 0x69722485},
         0xafbcd82f2f00426c, 0xfca0c58cbc7ea42f, 0x1.3f9a693ee357fp+0, 0x1.938640daf93b4p-1},
        {7, 1, 256, 0, 0, GS_DRAW_PROBE, 0, 4096, {0x4d767d68, 0x5d967446},
         0x1b48cf21c25c0cf1, 0xd0d7ab221b429515, -0x1.912b9c9009932p-2, -0x1.3815b4f759726p-2},
        {UINT64_MAX, 1ull << 62, 1048576, 0, 100000, GS_DRAW_TARGET, 12345, 777,
         {0x977602cf, 0x91149223},
         0xee2bdb082de8bf8d, 0xc0a5675dc677bdab, -0x1.1263a4452422p+0, -0x1.6eb26905e5601p-1},
        /* clang-format on */
    };
    for (size_t k = 0; k < sizeof pin / sizeof *pin; k++) {
        gs_stream s = rng_stream(pin[k].base_seed, pin[k].seed, pin[k].width, pin[k].init,
                                 pin[k].layer, pin[k].purpose);
        CHECK_MSG(s.key[0] == pin[k].key[0] && s.key[1] == pin[k].key[1],
                  "stream %zu: key %08x %08x, stored %08x %08x", k, s.key[0], s.key[1],
                  pin[k].key[0], pin[k].key[1]);
        double *x = malloc(pin[k].count * sizeof *x);
        rng_normal(&s, pin[k].first, pin[k].count, x);
        check_stored_draws("normals", k, x, pin[k].count, pin[k].normal0, pin[k].normals);
        rng_uniform_pm1(&s, pin[k].first, pin[k].count, x);
        check_stored_draws("uniforms", k, x, pin[k].count, pin[k].uniform0, pin[k].uniforms);
        free(x);
    }
}

static int same_first_draws(gs_stream a, gs_stream b) {
    double x[8], y[8];
    rng_normal(&a, 0, 8, x);
    rng_normal(&b, 0, 8, y);
    return memcmp(x, y, sizeof x) == 0;
}

/* Each ingredient of the key changes the draws; data streams ignore init
 * and layer (every init sees the same inputs). */
static void test_stream_keys(void) {
    gs_stream base = rng_stream(1, 2, 64, 0, 3, GS_DRAW_WEIGHT);
    CHECK(same_first_draws(base, rng_stream(1, 2, 64, 0, 3, GS_DRAW_WEIGHT)));
    CHECK(!same_first_draws(base, rng_stream(2, 2, 64, 0, 3, GS_DRAW_WEIGHT)));
    CHECK(!same_first_draws(base, rng_stream(1, 3, 64, 0, 3, GS_DRAW_WEIGHT)));
    CHECK(!same_first_draws(base, rng_stream(1, 2, 65, 0, 3, GS_DRAW_WEIGHT)));
    CHECK(!same_first_draws(base, rng_stream(1, 2, 64, 1, 3, GS_DRAW_WEIGHT)));
    CHECK(!same_first_draws(base, rng_stream(1, 2, 64, 0, 4, GS_DRAW_WEIGHT)));
    CHECK(!same_first_draws(base, rng_stream(1, 2, 64, 0, 3, GS_DRAW_BIAS)));
    CHECK(same_first_draws(rng_stream(1, 2, 64, 0, 0, GS_DRAW_INPUT),
                           rng_stream(1, 2, 64, 2, 9, GS_DRAW_INPUT)));
    CHECK(!same_first_draws(rng_stream(1, 2, 64, 0, 0, GS_DRAW_INPUT),
                            rng_stream(1, 2, 64, 0, 0, GS_DRAW_PROBE)));
}

/* Moments of N draws against their expectation, with tolerances of 5
 * standard errors (a false alarm about once in 3·10^6 runs; the seed is fixed
 * anyway, so the test is deterministic). */
static void test_normal_moments(void) {
    enum { N = 1 << 20 };
    double *x = malloc(N * sizeof *x);
    gs_stream s = rng_stream(12345, 0, 256, 0, 1, GS_DRAW_WEIGHT);
    rng_normal(&s, 0, N, x);
    double m1 = 0, m2 = 0, m4 = 0, within1 = 0;
    for (int i = 0; i < N; i++) {
        m1 += x[i];
        m2 += x[i] * x[i];
        m4 += x[i] * x[i] * x[i] * x[i];
        within1 += fabs(x[i]) < 1.0;
    }
    m1 /= N, m2 /= N, m4 /= N, within1 /= N;
    CHECK_NEAR(m1, 0.0, 5 * sqrt(1.0 / N));  /* Var(x) = 1 */
    CHECK_NEAR(m2, 1.0, 5 * sqrt(2.0 / N));  /* Var(x²) = 2 */
    CHECK_NEAR(m4, 3.0, 5 * sqrt(96.0 / N)); /* Var(x⁴) = 105 - 9 = 96 */
    double p = erf(M_SQRT1_2);               /* P(|x| < 1) = 0.6827 */
    CHECK_NEAR(within1, p, 5 * sqrt(p * (1 - p) / N));
    free(x);
}

static void test_uniform_moments(void) {
    enum { N = 1 << 20 };
    double *x = malloc(N * sizeof *x);
    gs_stream s = rng_stream(7, 1, 128, 1, 2, GS_DRAW_WEIGHT);
    rng_uniform_pm1(&s, 0, N, x);
    double m1 = 0, m2 = 0, lo = 1, hi = -1;
    for (int i = 0; i < N; i++) {
        m1 += x[i];
        m2 += x[i] * x[i];
        if (x[i] < lo) lo = x[i];
        if (x[i] > hi) hi = x[i];
    }
    m1 /= N, m2 /= N;
    CHECK(lo > -1.0 && hi < 1.0);                    /* open interval */
    CHECK_NEAR(m1, 0.0, 5 * sqrt(1.0 / 3 / N));      /* Var(u) = 1/3 */
    CHECK_NEAR(m2, 1.0 / 3, 5 * sqrt(4.0 / 45 / N)); /* Var(u²) = 1/5 - 1/9 */
    free(x);
}

/* Neighbouring elements and neighbouring streams are uncorrelated. */
static void test_correlations(void) {
    enum { N = 1 << 18 };
    double *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    gs_stream s = rng_stream(0, 0, 64, 0, 1, GS_DRAW_WEIGHT);
    gs_stream t = rng_stream(0, 0, 64, 0, 2, GS_DRAW_WEIGHT);
    rng_normal(&s, 0, N, x);
    rng_normal(&t, 0, N, y);
    double lag1 = 0, cross = 0;
    for (int i = 0; i + 1 < N; i++)
        lag1 += x[i] * x[i + 1];
    for (int i = 0; i < N; i++)
        cross += x[i] * y[i];
    CHECK_NEAR(lag1 / (N - 1), 0.0, 5 / sqrt(N - 1.0)); /* pairs within a block too */
    CHECK_NEAR(cross / N, 0.0, 5 / sqrt((double)N));
    free(x);
    free(y);
}

/* The quantile inverts the normal CDF: Φ(Φ⁻¹(u)) = u across the centre and
 * both tails, to about the accuracy of erfc itself. */
static void test_normal_quantile(void) {
    double worst = 0;
    for (int k = 1; k < 2000; k++) {
        double u = k / 2000.0;
        double x = rng_normal_quantile(u);
        worst = fmax(worst, fabs(0.5 * erfc(-x * M_SQRT1_2) - u) / u);
    }
    for (double u = 1e-16; u < 0.1; u *= 3.7) { /* lower tail, relative error; upper by symmetry */
        double x = rng_normal_quantile(u);
        worst = fmax(worst, fabs(0.5 * erfc(-x * M_SQRT1_2) - u) / u);
        if (u > 1e-6) CHECK(fabs(rng_normal_quantile(1.0 - u) + x) < 1e-9); /* 1 - u is rounded */
    }
    CHECK_MSG(worst < 1e-13, "worst relative error of Phi(Phi^-1(u)) %.3g", worst);
    CHECK(rng_normal_quantile(0.5) == 0.0);
}

int main(void) {
    RUN(test_philox_known_answers);
    RUN(test_random_access);
    RUN(test_runs_match_definition);
    RUN(test_stream_keys);
    RUN(test_streams_keep_their_values);
    RUN(test_normal_quantile);
    RUN(test_normal_moments);
    RUN(test_uniform_moments);
    RUN(test_correlations);
    TEST_MAIN_END();
}
