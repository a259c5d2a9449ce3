/* SPDX-License-Identifier: MIT */
/* plan.h — how a network is held in memory: the workspace each memory plan
 * needs, the fastest plan within a limit, and where each layer's buffers sit
 * under it. Arithmetic only; the buffers are net.c's and draw.c's.
 *
 * The plans give the same numbers, bit for bit; each trades time for memory:
 *   store all       every U[l], a[l] and φ'(z[l]) (the fastest);
 *   redraw weights  one U[l] at a time, drawn again from its stream for the
 *                   backward pass (every layer drawn twice);
 *   checkpoint      also a[l], φ'(z[l]) only at every k-th layer (plus k - 1
 *                   slots for one segment); the backward pass recomputes each
 *                   segment from its checkpoint (a second forward pass, and
 *                   every layer drawn three times). */
#ifndef GRADSWEEP_PLAN_H
#define GRADSWEEP_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "gradsweep/config.h"

typedef enum gs_memory_mode {
    GS_MEMORY_STORE_ALL = 0,
    GS_MEMORY_REDRAW_WEIGHTS = 1,
    GS_MEMORY_CHECKPOINT = 2,
} gs_memory_mode;

typedef struct gs_memory_plan {
    gs_memory_mode mode;
    int checkpoint_every; /* k, for GS_MEMORY_CHECKPOINT */
    size_t bytes;         /* the workspace this plan needs */
} gs_memory_plan;

/* The fastest plan for cfg within limit bytes (0: no limit). Returns false
 * when none fits; plan then holds the one that needs least. */
bool net_memory_plan(const gs_config *cfg, size_t limit, gs_memory_plan *plan);
const char *memory_mode_name(gs_memory_mode mode);
/* Bytes the workspace needs for cfg under the store-all plan. */
size_t net_memory_bytes(const gs_config *cfg);

/* The workspace of a network under a plan, buffer by buffer: in reals of
 * the configuration's precision unless said otherwise. */
typedef struct gs_workspace {
    /* the draws (draw.h) */
    size_t unit_weights; /* U[l] of the layers held: all, or one */
    size_t unit_biases;  /* every β[l] */
    size_t loss_vectors; /* r or y (B, outputs) */
    size_t draw_scratch; /* doubles: draws before rounding to the precision; QR */
    /* the passes (net.c) */
    size_t acts;          /* slots of a[l] (a[0] = x), one (B, widest) each */
    size_t derivs;        /* slots of φ'(z[l]) */
    size_t layer_io;      /* (B, widest): z, δ and δ[l-1] have one each */
    size_t grad_w;        /* the largest ∂loss/∂W[l] */
    size_t grad_b;        /* the largest ∂loss/∂b[l] */
    size_t stats_scratch; /* doubles: statistics (stats.h), bias sums */
    /* the Jacobian (net.c; all 0 unless jacobian_samples K > 0), in every plan:
     * it is carried forward with the layers, never recomputed */
    size_t jacobian;      /* J[l]ᵀ of the K samples, (K·n0, widest); and again for J[l-1]ᵀ */
    size_t jacobian_gram; /* one Gram matrix J[l] J[l]ᵀ (widest, widest) */
    size_t jacobian_svd;  /* doubles: J[L] of one sample, its singular values and LAPACK's
                           * work (jacobian_svd_work_doubles), and per-sample scales */
    /* residual blocks and norms (issue 12): 0 for a plain network */
    size_t trunks; /* slots of z[l] (B, widest): a block adds to z[l-1], N's backward reads it */
    size_t norm_stats; /* doubles: slots of N's per-sample mean and 1/sqrt(var + eps), 2·B each */
} gs_workspace;

/* LAPACK dgesdd's work for the singular values of an m×n matrix, in doubles
 * (its integer work included): at least what dgesdd asks for with blocked
 * bidiagonalisation (block 64). */
size_t jacobian_svd_work_doubles(int m, int n);

gs_workspace plan_workspace(const gs_config *cfg, const gs_memory_plan *plan);

/* The slot of a[l] and of φ'(z[l]), 0 ≤ l ≤ L, under plan: l itself, or
 * under checkpointing the checkpoint's (l a multiple of k) or the segment's. */
size_t plan_slot(const gs_memory_plan *plan, int depth, int l);
/* Checkpointing: the checkpoint that starts layer l's segment (l / k · k). */
int plan_segment_base(const gs_memory_plan *plan, int l);

#endif
