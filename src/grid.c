/* SPDX-License-Identifier: MIT */
/* grid.c — the Cartesian product of the axes, decoded from an index by
 * mixed-radix arithmetic (the last axis the sweep has varies fastest: seed,
 * or with training learning_rate, or input_correlation when given). */
#include "gradsweep/grid.h"

#include <math.h>
#include <string.h>

int grid_init(gs_grid *grid, const gs_spec *spec, gs_error *err) {
    grid->spec = spec;
    int64_t count = 1;
    /* An axis the sweep does not have (training's without train:, a network
     * axis not given) counts as one value: its default. */
    for (int a = GS_AXIS_ALL_COUNT - 1; a >= 0; a--) {
        grid->stride[a] = count;
        if (!spec_has_axis(spec, (gs_axis_id)a)) continue;
        size_t n = spec->axis[a].count;
        if (n == 0)
            return gs_fail(err, GS_EXIT_USAGE, "%s: the axis is empty; give at least one value",
                           axis_name((gs_axis_id)a));
        if (count > GS_MAX_CONFIGS / (int64_t)n)
            return gs_fail(err, GS_EXIT_USAGE,
                           "the grid has more than %lld configurations; split the sweep",
                           (long long)GS_MAX_CONFIGS);
        count *= (int64_t)n;
    }
    grid->count = count;
    grid->max_depth = grid->max_width = grid->max_batch = 0;
    const gs_axis *depth = &spec->axis[GS_AXIS_DEPTH], *batch = &spec->axis[GS_AXIS_BATCH];
    for (size_t i = 0; i < depth->count; i++)
        if (depth->integer[i] > grid->max_depth) grid->max_depth = (int)depth->integer[i];
    /* the widest layer: width, or an input or output width */
    static const gs_axis_id widths[] = {GS_AXIS_WIDTH, GS_AXIS_INPUT_WIDTH, GS_AXIS_OUTPUT_WIDTH};
    for (size_t k = 0; k < sizeof widths / sizeof widths[0]; k++) {
        const gs_axis *width = &spec->axis[widths[k]];
        for (size_t i = 0; spec_has_axis(spec, widths[k]) && i < width->count; i++)
            if (width->integer[i] > grid->max_width) grid->max_width = (int)width->integer[i];
    }
    for (size_t i = 0; i < batch->count; i++)
        if (batch->integer[i] > grid->max_batch) grid->max_batch = (int)batch->integer[i];
    return 0;
}

int64_t grid_position(const gs_grid *grid, int64_t index, gs_axis_id a) {
    if (!spec_has_axis(grid->spec, a)) return 0;
    return (index / grid->stride[a]) % (int64_t)grid->spec->axis[a].count;
}

void grid_config(const gs_grid *grid, int64_t index, gs_config *cfg) {
    const gs_spec *spec = grid->spec;
#define INT_AT(a)  spec->axis[a].integer[grid_position(grid, index, a)]
#define REAL_AT(a) spec->axis[a].real[grid_position(grid, index, a)]
    /* every field the axes do not set at its zero default (issue 12's fan,
     * scale_name, input and output widths: fan in, a number, the square
     * network), never what the caller's stack held */
    memset(cfg, 0, sizeof *cfg);
    cfg->index = index;
    cfg->act.kind = (gs_activation_kind)INT_AT(GS_AXIS_ACTIVATION);
    cfg->act.slope = spec->leaky_relu_slope;
    cfg->init = (gs_init)INT_AT(GS_AXIS_INIT);
    cfg->width = (int)INT_AT(GS_AXIS_WIDTH);
    cfg->depth = (int)INT_AT(GS_AXIS_DEPTH);
    cfg->batch = (int)INT_AT(GS_AXIS_BATCH);
    cfg->sigma_b = REAL_AT(GS_AXIS_SIGMA_B);
    cfg->sigma_w = REAL_AT(GS_AXIS_SIGMA_W);
    cfg->seed = INT_AT(GS_AXIS_SEED);
    cfg->base_seed = spec->base_seed;
    cfg->precision = spec->precision;
    cfg->loss = spec->loss;
    cfg->scale_name = spec_sigma_w_name(spec, (size_t)grid_position(grid, index, GS_AXIS_SIGMA_W));
    cfg->input_width =
        spec_has_axis(spec, GS_AXIS_INPUT_WIDTH) ? (int)INT_AT(GS_AXIS_INPUT_WIDTH) : cfg->width;
    cfg->output_width =
        spec_has_axis(spec, GS_AXIS_OUTPUT_WIDTH) ? (int)INT_AT(GS_AXIS_OUTPUT_WIDTH) : cfg->width;
    cfg->fan = spec_has_axis(spec, GS_AXIS_FAN) ? (gs_fan)INT_AT(GS_AXIS_FAN)
                                                : scale_default_fan(cfg->scale_name);
    cfg->input_correlation =
        spec_has_axis(spec, GS_AXIS_INPUT_CORRELATION) ? REAL_AT(GS_AXIS_INPUT_CORRELATION) : NAN;
    cfg->jacobian_samples = spec->jacobian_samples;
    double alpha = spec_has_axis(spec, GS_AXIS_BRANCH_SCALE) ? REAL_AT(GS_AXIS_BRANCH_SCALE) : NAN;
    cfg->branch = isnan(alpha)                              ? GS_BRANCH_NONE
                  : alpha == GS_BRANCH_SCALE_INV_SQRT_DEPTH ? GS_BRANCH_INV_SQRT_DEPTH
                                                            : GS_BRANCH_NUMBER;
    cfg->branch_scale = cfg->branch == GS_BRANCH_NUMBER ? alpha : NAN;
    cfg->norm = spec_has_axis(spec, GS_AXIS_NORM) ? (gs_norm)INT_AT(GS_AXIS_NORM) : GS_NORM_NONE;
    cfg->learning_rate = NAN;
    cfg->parametrization = GS_PARAM_STANDARD;
#undef INT_AT
#undef REAL_AT
    if (!spec_has_training(spec)) return;
    cfg->learning_rate =
        spec->axis[GS_AXIS_LEARNING_RATE].real[grid_position(grid, index, GS_AXIS_LEARNING_RATE)];
    cfg->parametrization = (int)spec->axis[GS_AXIS_PARAMETRIZATION]
                               .integer[grid_position(grid, index, GS_AXIS_PARAMETRIZATION)];
    /* the network's input and output follow the data (0 before it is loaded) */
    cfg->input_width = spec->data_shape.inputs;
    cfg->output_width = spec->data_shape.outputs;
}
