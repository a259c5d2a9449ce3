/* SPDX-License-Identifier: MIT */
/* train.h — one configuration trained: its network built from the same unit
 * draws as at initialization (draw.h), its parameters stored and updated, the
 * step loop over the minibatches of the data (minibatch.h), and what is
 * recorded on the way. Knows no MPI, no HDF5 and no files: the caller hands
 * it the loaded data as a view (gs_train_data).
 *
 * The trained network (docs/theory.md, "Parametrizations"; parametrization.h):
 *     w[l] = init_std[l] · sigma_w[l] · U[l],  b[l] = sigma_b[l] · β[l]   (the parameters)
 *     W[l] = m[l] · w[l]                                                (what the layer uses)
 *     z[l] = a[l-1] W[l]ᵀ + b[l],  a[l] = φ(z[l]),  a[0] = the minibatch's rows
 * with the layer's multiplier m, init factor and learning-rate factors of the
 * configuration's parametrization at r = width / base_width. The training
 * loss (train_loss.h) is on z[L]; the dense layers' own forward/backward pair
 * (layer_dense) does the GEMMs, with m as the GEMM's alpha, so
 * ∂loss/∂W[l] comes out of it and ∂loss/∂w[l] = m[l] · ∂loss/∂W[l].
 *
 * Step t = 0 … steps is the state after t updates: minibatch t goes forward
 * (train_loss[t], train_accuracy[t] when t is a recorded step), backward, and
 * update t + 1 descends its gradient; the last step only goes forward (and
 * backward when it is a stats step). Each layer is updated as soon as its
 * gradient and δ[l-1] are computed (δ[l-1] needs the old W[l]), so one
 * gradient buffer serves every layer. After the last step the test split is
 * evaluated whole in chunks of the batch size.
 *
 * A non-finite training loss stops the configuration: nonfinite_step is its
 * step, the later records stay NaN, and so do the test loss and accuracy.
 *
 * The per-layer statistics at the stats steps (on the training minibatch of
 * that step, before its update): q = mean z[l]², mean_abs_z = mean |z[l]|
 * (the μP coordinate check), delta_sq = mean (∂ℓ/∂z[l])² per sample, and the
 * norms of ∂loss/∂W[l] (of the effective W) and ∂loss/∂b[l]. */
#ifndef GRADSWEEP_TRAIN_H
#define GRADSWEEP_TRAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gradsweep/common.h"
#include "gradsweep/config.h"
#include "gradsweep/net.h"
#include "gradsweep/train_spec.h"

/* The data a configuration trains on, loaded by the caller (data.h), in the
 * configuration's precision, rows row-major. Split 0 is the training split,
 * 1 the test split (rows 0: none). Exactly one of labels and targets per
 * split is set. */
typedef struct gs_train_data {
    int inputs;  /* d, features per row: the network's input width */
    int outputs; /* k, classes or target columns: the network's output width */
    int64_t rows[2];
    const void *x[2];
    const int32_t *labels[2];
    const void *targets[2];
} gs_train_data;

typedef struct gs_trainer gs_trainer;

gs_trainer *trainer_create(void);
void trainer_destroy(gs_trainer **trainer);

/* Trains cfg (its input_width and output_width must be the data's) for
 * t->steps on data and records into res. obs->between_layers is asked
 * between layers as in net.h (false abandons: GS_EXIT_INTERRUPTED).
 * Fails with GS_EXIT_RESOURCES when memory runs out, GS_EXIT_INTERNAL when
 * a draw fails. A diverged run is not a failure (res->nonfinite_step). */
int trainer_run(gs_trainer *trainer, const gs_config *cfg, const gs_train_settings *t,
                const gs_train_data *data, gs_train_result *res, const gs_net_observer *obs,
                gs_error *err);

/* Bytes trainer_run holds for cfg beyond the data: the parameters, the
 * optimizer's state, the unit draws, activations, φ', and the buffers of
 * the passes. */
size_t train_memory_bytes(const gs_config *cfg, const gs_train_settings *t);

/* Floating-point operations of training cfg: (steps + 1) forward and steps
 * backward passes of the minibatch, plus the test split's forward pass. */
double train_flops(const gs_config *cfg, const gs_train_settings *t, int64_t test_rows);

/* After trainer_run, for export and tests: layer l's parameters w[l]
 * (fan_out, fan_in) and b[l] (fan_out) in the configuration's precision, the
 * unit draws U[l], β[l] they started from, and the minibatch rows of step k. */
const void *trainer_weights(gs_trainer *trainer, int layer);
const void *trainer_biases(gs_trainer *trainer, int layer);
const void *trainer_unit_weights(gs_trainer *trainer, int layer);
const void *trainer_unit_biases(gs_trainer *trainer, int layer);

#endif
