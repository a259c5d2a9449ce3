/* SPDX-License-Identifier: MIT */
/* rng.h — counter-based random numbers (Philox4x32-10, Salmon et al. 2011,
 * "Parallel random numbers: as easy as 1, 2, 3").
 *
 * Every random number gradsweep draws is a pure function of
 *     (base_seed, seed, width, init, layer, purpose, element index)
 * and of nothing else: not of the rank that draws it, nor of sigma_w, sigma_b,
 * the activation or the depth. A stream fixes all but the element index, and
 * any element of a stream can be computed on its own, in any order. This is
 * what makes results independent of the number of MPI ranks, gives common
 * random numbers across the grid (configurations that differ only in scale,
 * activation or depth see the same unit draws) and makes a shallow network the
 * prefix of a deeper one.
 *
 * Inputs and probe vectors do not depend on init or layer: every weight
 * distribution sees the same data. */
#ifndef GRADSWEEP_RNG_H
#define GRADSWEEP_RNG_H

#include <stddef.h>
#include <stdint.h>

/* What a stream of draws is for. Part of the key: values never change meaning
 * (changing one changes every stored result). */
typedef enum gs_draw_purpose {
    GS_DRAW_WEIGHT = 1,  /* unit weights of layer l */
    GS_DRAW_BIAS = 2,    /* unit biases of layer l */
    GS_DRAW_INPUT = 3,   /* input samples x, (batch, width) row-major */
    GS_DRAW_PROBE = 4,   /* probe vectors r of the probe loss, (batch, width) */
    GS_DRAW_TARGET = 5,  /* regression targets y of the mse loss, (batch, width) */
    GS_DRAW_SHUFFLE = 6, /* the order of training rows, epoch by epoch (minibatch.h) */
    /* the shared direction g of correlated inputs (draw.h), (width) */
    GS_DRAW_INPUT_SHARED = 7,
} gs_draw_purpose;

typedef struct gs_stream {
    uint32_t key[2]; /* Philox key: a hash of base_seed, seed, width, init, purpose */
    uint32_t layer;  /* third counter word */
} gs_stream;

/* One Philox4x32-10 block: out = philox(ctr, key), by Random123. Exposed for
 * known-answer tests. */
void philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]);

/* The stream for (base_seed, seed, width, init, layer, purpose). init is the
 * gs_init code; for GS_DRAW_INPUT/PROBE/TARGET/SHUFFLE/INPUT_SHARED init and layer are
 * ignored (minibatch.h passes width 0: every width sees the same order). */
gs_stream rng_stream(uint64_t base_seed, uint64_t seed, uint32_t width, int init, uint32_t layer,
                     gs_draw_purpose purpose);

/* Standard normal draws N(0,1) for elements first … first+count-1 of the
 * stream: the normal quantile (Wichura's AS 241) of a 53-bit uniform, two
 * per Philox block. */
void rng_normal(const gs_stream *s, uint64_t first, size_t count, double *out);

/* Φ⁻¹(u) for 0 < u < 1 (AS 241, ~1e-16 accurate): exposed for tests. */
double rng_normal_quantile(double u);

/* Uniform draws on the open interval (-1, 1) for elements first … first+count-1. */
void rng_uniform_pm1(const gs_stream *s, uint64_t first, size_t count, double *out);

#endif
