/* SPDX-License-Identifier: MIT */
/* minibatch.h — which training rows make up the k-th minibatch of a
 * configuration: a pure function of (base_seed, seed, the number of training
 * rows, the batch size, k), so that every rank, every resume and every call
 * order sees the same minibatches, and PyTorch can be handed the same ones.
 *
 * Epoch e is a permutation π_e of the rows 0 … n-1, by Fisher–Yates driven by
 * the counter-based stream rng_stream(base_seed, seed, 0, 0, 0,
 * GS_DRAW_SHUFFLE): for i = n-1 down to 1, swap positions i and
 * j = ⌊u·(i+1)⌋, u the 64 random bits of stream element e·n + i read as a
 * fraction (multiply-high: bias below (i+1)/2⁶⁴). An epoch holds ⌊n/B⌋
 * minibatches: minibatch k is positions (k mod ⌊n/B⌋)·B … +B-1 of
 * π_{k div ⌊n/B⌋}; the n mod B rows left at the end of each epoch's
 * permutation sit that epoch out (different rows each epoch), so every
 * minibatch holds B distinct rows.
 *
 * The width, depth, init, scales and learning rate are not part of the key:
 * configurations that differ only in those train on the same minibatches
 * (common random numbers), as they start from the same unit draws. */
#ifndef GRADSWEEP_MINIBATCH_H
#define GRADSWEEP_MINIBATCH_H

#include <stddef.h>
#include <stdint.h>

#include "gradsweep/rng.h"

/* The order of one configuration's minibatches. It caches one epoch's
 * permutation (n indices), recomputed when a minibatch of another epoch is
 * asked for: asking in order costs O(n) per epoch. */
typedef struct gs_batch_order {
    gs_stream stream;
    int64_t n_rows; /* n, training rows */
    int batch;      /* B, rows per minibatch (1 ≤ B ≤ n) */
    int64_t epoch;  /* the epoch whose permutation perm holds; -1: none yet */
    int64_t *perm;  /* [n_rows] */
} gs_batch_order;

/* 0, or -1 if batch is not in 1 … n_rows (nothing is allocated then). */
int batch_order_init(gs_batch_order *o, uint64_t base_seed, uint64_t seed, int64_t n_rows,
                     int batch);
void batch_order_free(gs_batch_order *o);

/* Minibatches per epoch, ⌊n/B⌋. */
int64_t batch_order_per_epoch(const gs_batch_order *o);

/* The B row indices of minibatch k (k ≥ 0) into rows[0 … B-1]. */
void batch_order_rows(gs_batch_order *o, int64_t k, int64_t *rows);

/* π_e of the stream for n rows into perm[0 … n-1] (what batch_order caches). */
void batch_permutation(const gs_stream *s, int64_t n, int64_t epoch, int64_t *perm);

#endif
