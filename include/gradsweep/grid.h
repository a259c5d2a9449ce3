/* SPDX-License-Identifier: MIT */
/* grid.h — the configurations of a sweep, in canonical order.
 *
 * The grid is the Cartesian product of the spec's axes in gs_axis_id order
 * (activation slowest, seed fastest; with training the training axes follow
 * seed, learning_rate fastest; input_correlation, when the sweep has it,
 * after them all); configuration i is decoded from i by
 * mixed-radix arithmetic, so nothing of size N is ever stored. The order
 * depends only on the spec: never on ranks or scheduling. */
#ifndef GRADSWEEP_GRID_H
#define GRADSWEEP_GRID_H

#include <stdint.h>

#include "gradsweep/common.h"
#include "gradsweep/config.h"
#include "gradsweep/spec.h"

typedef struct gs_grid {
    const gs_spec *spec;
    int64_t count;                     /* N, number of configurations */
    int64_t stride[GS_AXIS_ALL_COUNT]; /* index = Σ position[a] · stride[a] */
    int max_depth, max_width, max_batch;
} gs_grid;

/* Fails (GS_EXIT_USAGE) if the product overflows or exceeds GS_MAX_CONFIGS. */
#define GS_MAX_CONFIGS ((int64_t)1 << 40)
int grid_init(gs_grid *grid, const gs_spec *spec, gs_error *err);

/* Configuration number index (0 ≤ index < count). */
void grid_config(const gs_grid *grid, int64_t index, gs_config *cfg);

/* Position of configuration index along axis a (0 ≤ position < axis count;
 * 0 for an axis the sweep does not have, spec_has_axis). */
int64_t grid_position(const gs_grid *grid, int64_t index, gs_axis_id a);

#endif
