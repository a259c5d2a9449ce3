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

/* Computes cfg and writes path. An existing path is an error unless force
 * (GS_EXIT_OUTPUT). */
int export_network(const char *path, const gs_config *cfg, bool force, gs_error *err);

#endif
