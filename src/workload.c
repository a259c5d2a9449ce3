/* SPDX-License-Identifier: MIT */
/* workload.c — the sweep as work for the ranks (see workload.h). */
#include "gradsweep/workload.h"

#include <stdbool.h>
#include <stdio.h>

#include "gradsweep/draw.h"
#include "gradsweep/net.h"

/* Whether moving along axis a (from position 0) changes the weights' draw
 * key: the axes that do are the ones a group is numbered by. */
static bool axis_changes_weights(const gs_grid *g, gs_axis_id a) {
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
    bool keyed[GS_AXIS_COUNT];
    for (int a = 0; a < GS_AXIS_COUNT; a++)
        keyed[a] = axis_changes_weights(g, (gs_axis_id)a);
    for (int64_t i = 0; i < g->count; i++) {
        group[i] = 0;
        for (int a = 0; a < GS_AXIS_COUNT; a++)
            if (keyed[a])
                group[i] =
                    group[i] * (int64_t)g->spec->axis[a].count + grid_position(g, i, (gs_axis_id)a);
    }
}

/* The workspace depends on depth, width, batch and init only (and the
 * sweep-wide precision and jacobian_samples): each such shape is checked once. */
int workload_check_memory(const gs_spec *spec, size_t limit, gs_error *err) {
    const gs_axis *depth = &spec->axis[GS_AXIS_DEPTH], *width = &spec->axis[GS_AXIS_WIDTH];
    const gs_axis *batch = &spec->axis[GS_AXIS_BATCH], *init = &spec->axis[GS_AXIS_INIT];
    /* Every shape is checked, and the one needing most is named: raising the
     * limit to that figure makes the whole sweep fit. */
    gs_config worst = {0};
    gs_memory_plan worst_plan = {0};
    int too_big = 0, shapes = 0;
    for (size_t d = 0; d < depth->count; d++)
        for (size_t w = 0; w < width->count; w++)
            for (size_t b = 0; b < batch->count; b++)
                for (size_t i = 0; i < init->count; i++, shapes++) {
                    gs_config cfg = {.depth = (int)depth->integer[d],
                                     .width = (int)width->integer[w],
                                     .batch = (int)batch->integer[b],
                                     .init = (gs_init)init->integer[i],
                                     .precision = spec->precision,
                                     .jacobian_samples = spec->jacobian_samples};
                    gs_memory_plan plan;
                    if (net_memory_plan(&cfg, limit, &plan)) continue;
                    if (too_big++ == 0 || plan.bytes > worst_plan.bytes) {
                        worst = cfg;
                        worst_plan = plan;
                    }
                }
    if (!too_big) return 0;
    char need[32], allowed[32], which[96] = "", jacobian[160] = "";
    if (shapes > 1)
        snprintf(which, sizeof which, "%d of the sweep's %d network shapes do not fit; ", too_big,
                 shapes);
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
                   "%sdepth %d, width %d, batch %d (%s, %s) needs %s per rank%s even with "
                   "weights redrawn and activations checkpointed, and a rank may use %s "
                   "(--max-memory; default: the node's available memory shared by its "
                   "ranks); allow more memory, run fewer ranks per node, or shrink the "
                   "largest configuration",
                   which, worst.depth, worst.width, worst.batch, init_name(worst.init),
                   precision_name(worst.precision),
                   gs_format_bytes((double)worst_plan.bytes, need, sizeof need), jacobian,
                   gs_format_bytes((double)limit, allowed, sizeof allowed));
}
