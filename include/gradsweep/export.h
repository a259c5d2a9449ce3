/* SPDX-License-Identifier: MIT */
/* export.h — one configuration's network, in full, as an HDF5 file: the
 * input, probe vectors, unit weights and biases, every layer's δ and
 * gradients, the loss and the per-layer statistics exactly as a sweep stores
 * them; with jacobian_samples > 0 also J[L] of each Jacobian sample and the
 * Jacobian's statistics. For checking gradsweep against another framework
 * (the PyTorch oracle tests do) and for studying one network closely. Serial
 * HDF5, one process. A sweep with the input_correlation axis adds ρ, the
 * mean-field c*, ξ_c, ξ_q and the measured depth scales (depth_scale.h) as
 * attributes, and c_theory, q_theory as datasets. */
#ifndef GRADSWEEP_EXPORT_H
#define GRADSWEEP_EXPORT_H

#include <stdbool.h>

#include "gradsweep/common.h"
#include "gradsweep/config.h"
#include "gradsweep/train.h"

/* Computes cfg and writes path. An existing path is an error unless force
 * (GS_EXIT_OUTPUT). */
int export_network(const char *path, const gs_config *cfg, bool force, gs_error *err);

/* A training configuration: trains cfg on data and writes what the PyTorch
 * oracle (tests/torch_train_reference.py, whose docstring is the layout)
 * needs to repeat it — the settings as attributes, unit_weights_L and
 * unit_biases_L, the data's splits (x_train, labels_train or targets_train,
 * and the test split's), batch_rows (steps + 1, B) — all float64 or int64;
 * and under the group gradsweep/ what gradsweep recorded, in the oracle's
 * names: train_loss, train_accuracy, test_loss and test_accuracy
 * (attributes), w_L, b_L after the last step, and the per-layer training
 * statistics (stats_steps, L). The data is written whole: Fashion-MNIST
 * makes a 440 MB file. */
int export_training(const char *path, const gs_config *cfg, const gs_train_settings *t,
                    const gs_train_data *data, bool force, gs_error *err);

#endif
