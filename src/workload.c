/* SPDX-License-Identifier: MIT */
/* workload.c — the sweep as work for the ranks (see workload.h). */
#include "gradsweep/workload.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>

#include "gradsweep/draw.h"
#include "gradsweep/net.h"
#include "gradsweep/train.h"

/* Whether moving along axis a (from position 0) changes the weights' draw
 * key: the axes that do are the ones a group is numbered by. */
static bool axis_changes_weights(const gs_grid *g, gs_axis_id a) {
    if (!spec_has_axis(g->spec, a)) return false;
    gs_config origin, moved;
    grid_config(g, 0, &origin);
    gs_draw_key key = draw_key(&origin, GS_DRAWS_WEIGHTS);
    for (int64_t p = 1; p < (int64_t)g->spec->axis[a].count; p++) {
        grid_config(g, p * g->stride[a], &moved);
        gs_draw_key other = draw_key(&moved, GS_DRAWS_WEIGHTS);
        if (!draw_key_equal(&key, &other)) return true;
    }
    return false;
}

/* The draw key (draw.h) decides which configurations share their weights;
 * each key field comes from one axis, so a group is numbered by the
 * positions along the axes that change the key, slowest axis first. */
void workload_groups(const gs_grid *g, int64_t *group) {
    bool keyed[GS_AXIS_ALL_COUNT];
    for (int a = 0; a < GS_AXIS_ALL_COUNT; a++)
        keyed[a] = axis_changes_weights(g, (gs_axis_id)a);
    for (int64_t i = 0; i < g->count; i++) {
        group[i] = 0;
        for (int a = 0; a < GS_AXIS_ALL_COUNT; a++)
            if (keyed[a])
                group[i] =
                    group[i] * (int64_t)g->spec->axis[a].count + grid_position(g, i, (gs_axis_id)a);
    }
}

/* The values of axis a to try: its own, or (absent) one that stands for the
 * default; *count how many. */
static const int64_t *axis_values(const gs_spec *spec, gs_axis_id a, size_t *count) {
    static const int64_t none = 0;
    if (!spec_has_axis(spec, a)) {
        *count = 1;
        return &none;
    }
    *count = spec->axis[a].count;
    return spec->axis[a].integer;
}

size_t workload_training_bytes(const gs_spec *spec, const gs_config *cfg) {
    if (!spec_has_training(spec)) return 0;
    return spec->data_shape.bytes + train_memory_bytes(cfg, &spec->train);
}

size_t workload_net_limit(const gs_spec *spec, const gs_config *cfg, size_t limit) {
    size_t training = workload_training_bytes(spec, cfg);
    if (limit == 0 || training == 0) return limit;
    return limit > training ? limit - training : 1;
}

/* The workspace depends on depth, width, batch, init and the input and
 * output widths, and on whether blocks or a norm keep more (and the
 * sweep-wide precision and jacobian_samples): each such shape is checked
 * once. A training sweep also holds the data and, per configuration, the
 * trainer's parameters, optimizer state and passes, which no plan can
 * shrink: the network's measurement at initialization gets what they leave. */
int workload_check_memory(const gs_spec *spec, size_t limit, gs_error *err) {
    const gs_axis *depth = &spec->axis[GS_AXIS_DEPTH], *width = &spec->axis[GS_AXIS_WIDTH];
    const gs_axis *batch = &spec->axis[GS_AXIS_BATCH], *init = &spec->axis[GS_AXIS_INIT];
    size_t n_in, n_out;
    const int64_t *ins = axis_values(spec, GS_AXIS_INPUT_WIDTH, &n_in);
    const int64_t *outs = axis_values(spec, GS_AXIS_OUTPUT_WIDTH, &n_out);
    /* Every shape is checked, and the one needing most is named: raising the
     * limit to that figure makes the whole sweep fit. */
    gs_config worst = {0};
    gs_memory_plan worst_plan = {0};
    int too_big = 0, shapes = 0;
    /* residual blocks and norms keep z[l] and N's statistics too: the
     * sweep's most demanding kind stands for all */
    gs_branch branch = GS_BRANCH_NONE;
    gs_norm norm = GS_NORM_NONE;
    for (size_t k = 0;
         spec_has_axis(spec, GS_AXIS_BRANCH_SCALE) && k < spec->axis[GS_AXIS_BRANCH_SCALE].count;
         k++)
        if (!isnan(spec->axis[GS_AXIS_BRANCH_SCALE].real[k])) branch = GS_BRANCH_NUMBER;
    for (size_t k = 0; spec_has_axis(spec, GS_AXIS_NORM) && k < spec->axis[GS_AXIS_NORM].count; k++)
        if (spec->axis[GS_AXIS_NORM].integer[k] != GS_NORM_NONE)
            norm = (gs_norm)spec->axis[GS_AXIS_NORM].integer[k];
    for (size_t d = 0; d < depth->count; d++)
        for (size_t w = 0; w < width->count; w++)
            for (size_t b = 0; b < batch->count; b++)
                for (size_t i = 0; i < init->count; i++)
                    for (size_t x = 0; x < n_in; x++)
                        for (size_t y = 0; y < n_out; y++, shapes++) {
                            gs_config cfg = {.depth = (int)depth->integer[d],
                                             .width = (int)width->integer[w],
                                             .batch = (int)batch->integer[b],
                                             .init = (gs_init)init->integer[i],
                                             .precision = spec->precision,
                                             .input_width = spec->data_shape.inputs > 0
                                                                ? spec->data_shape.inputs
                                                                : (int)ins[x],
                                             .output_width = spec->data_shape.outputs > 0
                                                                 ? spec->data_shape.outputs
                                                                 : (int)outs[y],
                                             .branch = branch,
                                             .branch_scale = 1,
                                             .norm = norm,
                                             .jacobian_samples = spec->jacobian_samples};
                            gs_memory_plan plan;
                            size_t training = workload_training_bytes(spec, &cfg);
                            bool fits =
                                net_memory_plan(&cfg, workload_net_limit(spec, &cfg, limit), &plan);
                            if (fits && (limit == 0 || training < limit)) continue;
                            plan.bytes += training;
                            if (too_big++ == 0 || plan.bytes > worst_plan.bytes) {
                                worst = cfg;
                                worst_plan = plan;
                            }
                        }
    if (!too_big) return 0;
    char need[32], allowed[32], which[96] = "", io[64] = "", jacobian[160] = "";
    if (shapes > 1)
        snprintf(which, sizeof which, "%d of the sweep's %d network shapes do not fit; ", too_big,
                 shapes);
    if (config_input_width(&worst) != worst.width || config_output_width(&worst) != worst.width)
        snprintf(io, sizeof io, ", input_width %d, output_width %d", config_input_width(&worst),
                 config_output_width(&worst));
    if (worst.jacobian_samples > 0) { /* the Jacobian is held whole in every plan */
        gs_config without = worst;
        without.jacobian_samples = 0;
        char part[32];
        snprintf(jacobian, sizeof jacobian,
                 " (of which %s for the Jacobian of %d sample%s: "
                 "lower jacobian_samples to need less)",
                 gs_format_bytes((double)(net_memory_bytes(&worst) - net_memory_bytes(&without)),
                                 part, sizeof part),
                 worst.jacobian_samples, worst.jacobian_samples > 1 ? "s" : "");
    }
    return gs_fail(err, GS_EXIT_RESOURCES,
                   "%sdepth %d, width %d%s, batch %d (%s, %s) needs %s per rank%s even with "
                   "weights redrawn and activations checkpointed%s, and a rank may use %s "
                   "(--max-memory; default: the node's available memory shared by its "
                   "ranks); allow more memory, run fewer ranks per node, or shrink the "
                   "largest configuration",
                   which, worst.depth, worst.width, io, worst.batch, init_name(worst.init),
                   precision_name(worst.precision),
                   gs_format_bytes((double)worst_plan.bytes, need, sizeof need), jacobian,
                   spec_has_training(spec) ? " (training: the data, the parameters, the "
                                             "optimizer's state and every activation included)"
                                           : "",
                   gs_format_bytes((double)limit, allowed, sizeof allowed));
}
