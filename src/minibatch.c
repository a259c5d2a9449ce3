/* SPDX-License-Identifier: MIT */
/* minibatch.c — per-epoch permutations of the training rows from the keyed
 * Philox stream (see minibatch.h for the definition). */
#include "gradsweep/minibatch.h"

#include <stdlib.h>

#include "gradsweep/common.h"

/* The 64 random bits of stream element e: block e/2, words 2·(e%2) and
 * 2·(e%2)+1 (high, low), the layout rng_normal reads its uniforms from. */
static uint64_t stream_bits(const gs_stream *s, uint64_t e) {
    uint64_t b = e >> 1;
    uint32_t ctr[4] = {(uint32_t)b, (uint32_t)(b >> 32), s->layer, 0}, out[4];
    philox4x32_10(ctr, s->key, out);
    unsigned half = (unsigned)(e & 1);
    return (uint64_t)out[2 * half] << 32 | out[2 * half + 1];
}

/* ⌊bits · (bound / 2⁶⁴)⌋: a position in 0 … bound-1 (Lemire's multiply-high,
 * without the rejection step, whose extra draws would tie an element's value
 * to the ones before it). */
static int64_t scaled(uint64_t bits, uint64_t bound) {
    return (int64_t)(((unsigned __int128)bits * bound) >> 64);
}

void batch_permutation(const gs_stream *s, int64_t n, int64_t epoch, int64_t *perm) {
    for (int64_t i = 0; i < n; i++)
        perm[i] = i;
    uint64_t first = (uint64_t)epoch * (uint64_t)n;
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = scaled(stream_bits(s, first + (uint64_t)i), (uint64_t)i + 1);
        int64_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
}

int batch_order_init(gs_batch_order *o, uint64_t base_seed, uint64_t seed, int64_t n_rows,
                     int batch) {
    o->perm = NULL;
    if (batch < 1 || n_rows < batch) return -1;
    o->stream = rng_stream(base_seed, seed, 0, 0, 0, GS_DRAW_SHUFFLE);
    o->n_rows = n_rows;
    o->batch = batch;
    o->epoch = -1;
    o->perm = gs_malloc((size_t)n_rows * sizeof *o->perm);
    return 0;
}

void batch_order_free(gs_batch_order *o) {
    free(o->perm);
    o->perm = NULL;
    o->epoch = -1;
}

int64_t batch_order_per_epoch(const gs_batch_order *o) { return o->n_rows / o->batch; }

void batch_order_rows(gs_batch_order *o, int64_t k, int64_t *rows) {
    int64_t per_epoch = batch_order_per_epoch(o);
    int64_t epoch = k / per_epoch, first = (k % per_epoch) * o->batch;
    if (epoch != o->epoch) {
        batch_permutation(&o->stream, o->n_rows, epoch, o->perm);
        o->epoch = epoch;
    }
    for (int i = 0; i < o->batch; i++)
        rows[i] = o->perm[first + i];
}
