/* SPDX-License-Identifier: MIT */
/* draw.h — a network's random numbers: the unit weights U[l] and biases β[l]
 * of its layers, the input x and the loss vectors r (probe) or y (mse
 * targets), drawn from the counter-based streams of rng.h and kept in the
 * configuration's precision.
 *
 *   U[l]   (fan_out, fan_in)  Var(U_ij) = 1/fan_in: N(0, 1/fan_in) (gaussian) or
 *                             U(-a, a), a = sqrt(3/fan_in) (uniform); or
 *                             orthogonal: the Q of a Gaussian matrix's QR, columns
 *                             multiplied by the signs of R's diagonal (Mezzadri 2007),
 *                             semi-orthogonal where fan_in ≠ fan_out (orthonormal
 *                             rows, or columns times sqrt(fan_out/fan_in) where the
 *                             layer widens); truncated_normal: N(0, 1) cut at ±2
 *                             and divided by its standard deviation 0.8796…, over
 *                             sqrt(fan_in); torch_trunc_normal: N(0, 1/fan_in) cut at
 *                             ±trunc_k standard deviations (gs_layer), not rescaled
 *   β[l]   (fan_out)          N(0, 1), or U(-1, 1) for torch_default's biases
 *   x      (B, input_width)   N(0, 1)
 *   r/y    (B, output_width)  N(0, 1)
 * Element (i, j) of U[l] is draw i·fan_in + j of the layer's weight stream
 * (truncated normals: the normal quantile of a uniform of that element);
 * the others are their stream's elements in row-major order.
 *
 * Correlated inputs (cfg->input_correlation = ρ > 0): sample s is
 *   x_s = √ρ g + √(1−ρ) e_s,   g = √d v/‖v‖, v ~ N(0, I_d),   e_s ~ N(0, I_d),
 * d the input's features, e_s the independent samples above (the input
 * stream, unchanged) and v the stream GS_DRAW_INPUT_SHARED: one direction
 * shared by the whole batch. Every pair of samples then has E[x_si x_ti] = ρ
 * and every sample E[x_si²] = 1 (E g_i² = 1 by symmetry), so c[0] = ρ and
 * q[0] = 1 as for independent inputs; g has exactly ‖g‖² = d so that the
 * batch's measured correlation is ρ up to O(1/√(d·B)): with a Gaussian g its
 * norm's fluctuation, common to every pair, would move all of them together by
 * ρ(1−ρ)√(2/d) (0.011 at d = 1024, ρ = 0.5), which no batch averages away.
 * Each element is computed in double and rounded once to the precision. ρ = 0
 * (or NaN) draws exactly the independent samples.

 * Which width keys the streams (rng.h): the weights and biases of every layer
 * are keyed by width, the hidden layers' (with the layer number), as they
 * always were; x by input_width and r/y by output_width, which are width in a
 * square network. So a square sweep draws what it drew before issue 12;
 * networks that differ only in input_width share every layer but the first,
 * and only in output_width every layer but the last (whose rows are then
 * the first output_width rows of a hidden layer's, for every init but
 * orthogonal); and every hidden width sees the same data.
 *
 * Configurations share their draws when their draw keys are equal (the
 * streams are the same): those that differ only in sigma_w, sigma_b,
 * activation, depth or input_correlation share the weights, and with the same
 * batch, loss and input_correlation the data too. A gs_draws keeps what it
 * drew and draws again only what the next configuration does not share
 * (deeper ones draw only the missing layers), and the scheduler keeps a rank
 * on one weights key (workload.h) so that it draws them once. */
#ifndef GRADSWEEP_DRAW_H
#define GRADSWEEP_DRAW_H

#include <stdbool.h>
#include <stdint.h>

#include "gradsweep/common.h"
#include "gradsweep/config.h"
#include "gradsweep/layer.h"
#include "gradsweep/plan.h"

/* The draw-sharing key: what fixes a set of draws. */
typedef enum gs_draw_set {
    GS_DRAWS_WEIGHTS, /* every U[l] and β[l] */
    GS_DRAWS_DATA,    /* x and r (or y) */
} gs_draw_set;

typedef struct gs_draw_key {
    uint64_t base_seed;
    int64_t seed;
    int width;              /* weights only: part of their streams' keys */
    gs_precision precision; /* the draws are kept rounded to it */
    gs_init init;           /* weights only */
    int batch;              /* data only: how many samples */
    gs_loss loss;           /* data only: probe vectors or targets */
    /* data only: ρ of correlated inputs, 0 for independent samples (NaN too) */
    double input_correlation;
    int input_width;      /* the first layer's fan_in; the data's x */
    int output_width;     /* the last layer's fan_out; the data's r or y */
    bool uniform_biases;  /* weights only: torch_default's β */
    double trunc_sigma_w; /* weights only, torch_trunc_normal: the cut depends on the scale */
    gs_fan trunc_fan;     /* … and on the fan */
} gs_draw_key;

gs_draw_key draw_key(const gs_config *cfg, gs_draw_set set);
bool draw_key_equal(const gs_draw_key *a, const gs_draw_key *b);

typedef struct gs_draws gs_draws;

gs_draws *draws_create(void);
void draws_destroy(gs_draws **draws);

/* Room for the draws of a workspace (plan.h) in precision p; keeps what is
 * drawn unless the data's buffer moves. False when memory runs out: then
 * nothing drawn is kept. */
bool draws_reserve(gs_draws *draws, const gs_workspace *w, gs_precision p);

/* Lets a long draw stop early: false abandons the configuration. */
typedef bool (*gs_keep_going)(void *ctx);

/* Draws cfg's numbers unless held already: with store_weights every U[l] and
 * β[l], otherwise every β[l] now and each U[l] when draws_unit_weights asks
 * for it; x into input ((B, inputs), the network's a[0], which the caller
 * must not have moved since the last call unless it called draws_forget) and
 * r or y. layers (net_layers) must stay valid until the next call. Asks
 * keep_going (may be NULL) between layers. Fails (GS_EXIT_INTERNAL) if
 * LAPACK fails on an orthogonal draw. */
int draws_prepare(gs_draws *draws, const gs_config *cfg, const gs_layer *layers, bool store_weights,
                  void *input, gs_keep_going keep_going, void *ctx, gs_error *err);

/* U[l] (fan_out, fan_in) in the precision: stored, or drawn now into the one
 * layer held. A draw that fails there leaves NaN weights (the configuration
 * reads as nonfinite) and is kept in draws_failure. */
const void *draws_unit_weights(gs_draws *draws, int layer);
const void *draws_unit_biases(const gs_draws *draws, int layer); /* β[l] (fan_out) */
const void *draws_loss_vectors(const gs_draws *draws);           /* r or y (B, outputs) */
/* The error of a weight draw that failed during a pass since draws_prepare. */
const gs_error *draws_failure(const gs_draws *draws);

/* The caller changed (or moved) these draws: draw them afresh next time. */
void draws_forget(gs_draws *draws, gs_draw_set set);

#endif
