/* rng.c — Philox4x32-10 (Salmon, Moraes, Dror & Shaw, SC'11) and the keyed
 * streams built on it. A block maps a 128-bit counter and a 64-bit key to
 * 128 random bits; element e of a stream lives in block e/2, half e%2. */
#include "gradsweep/rng.h"

#include <math.h>

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u /* golden ratio */
#define PHILOX_W1 0xBB67AE85u /* sqrt(3) - 1 */

static inline void philox_round(uint32_t c[4], const uint32_t k[2]) {
    uint64_t p0 = (uint64_t)PHILOX_M0 * c[0];
    uint64_t p1 = (uint64_t)PHILOX_M1 * c[2];
    uint32_t out0 = (uint32_t)(p1 >> 32) ^ c[1] ^ k[0];
    uint32_t out1 = (uint32_t)p1;
    uint32_t out2 = (uint32_t)(p0 >> 32) ^ c[3] ^ k[1];
    uint32_t out3 = (uint32_t)p0;
    c[0] = out0;
    c[1] = out1;
    c[2] = out2;
    c[3] = out3;
}

void philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]) {
    uint32_t c[4] = {ctr[0], ctr[1], ctr[2], ctr[3]};
    uint32_t k[2] = {key[0], key[1]};
    for (int round = 0; round < 10; round++) {
        if (round > 0) { /* the key schedule bumps the key before rounds 2 … 10 */
            k[0] += PHILOX_W0;
            k[1] += PHILOX_W1;
        }
        philox_round(c, k);
    }
    out[0] = c[0];
    out[1] = c[1];
    out[2] = c[2];
    out[3] = c[3];
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

static inline void block(const gs_stream *s, uint64_t b, uint32_t out[4]) {
    uint32_t ctr[4] = {(uint32_t)b, (uint32_t)(b >> 32), s->layer, 0};
    philox4x32_10(ctr, s->key, out);
}

/* A uniform on the open interval (0, 1) from 64 random bits: 53 of them,
 * centred in their cell so neither 0 nor 1 can occur (log(u) stays finite). */
static inline double open01(uint32_t hi, uint32_t lo) {
    uint64_t bits = ((uint64_t)hi << 32 | lo) >> 11;
    return ((double)bits + 0.5) * 0x1.0p-53;
}

void rng_normal(const gs_stream *s, uint64_t first, size_t count, double *out) {
    uint64_t e = first, end = first + count;
    while (e < end) {
        uint32_t r[4];
        block(s, e >> 1, r);
        /* Box–Muller: two independent normals from two uniforms. */
        double radius = sqrt(-2.0 * log(open01(r[0], r[1])));
        double angle = 2.0 * M_PI * open01(r[2], r[3]);
        double pair[2] = {radius * cos(angle), radius * sin(angle)};
        for (unsigned half = (unsigned)(e & 1); half < 2 && e < end; half++, e++)
            *out++ = pair[half];
    }
}

void rng_uniform_pm1(const gs_stream *s, uint64_t first, size_t count, double *out) {
    uint64_t e = first, end = first + count;
    while (e < end) {
        uint32_t r[4];
        block(s, e >> 1, r);
        double pair[2] = {2.0 * open01(r[0], r[1]) - 1.0, 2.0 * open01(r[2], r[3]) - 1.0};
        for (unsigned half = (unsigned)(e & 1); half < 2 && e < end; half++, e++)
            *out++ = pair[half];
    }
}
