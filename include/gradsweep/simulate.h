/* SPDX-License-Identifier: MIT */
/* simulate.h — the scheduler on paper: replays a sweep's hand-out with the
 * scheduler's own rules (dispatch.h, taskpool.h) under modelled time, to
 * predict wall time and efficiency on rank counts one cannot try (64 … 4096)
 * and to see where rank 0 becomes the bottleneck.
 *
 * The model: configuration i takes seconds[i] on any rank, in layers[i]
 * equal steps; a message takes latency_s to arrive; rank 0 spends message_s
 * on each it handles (receive DONE, decide, send ASSIGN). Rank 0 computes
 * too (unless dedicated_master) and then handles messages only between the
 * layers of its own configuration, exactly as the real scheduler polls. */
#ifndef GRADSWEEP_SIMULATE_H
#define GRADSWEEP_SIMULATE_H

#include <stdbool.h>
#include <stdint.h>

typedef struct gs_sim_model {
    double message_s;      /* rank 0's time per message handled */
    double latency_s;      /* one-way latency of a message */
    bool dedicated_master; /* rank 0 only hands out */
} gs_sim_model;

typedef struct gs_sim_result {
    double wall_s;      /* until the last configuration ends */
    double busy_s;      /* Σ configuration seconds (the work) */
    double efficiency;  /* busy_s / (computing ranks × wall_s) */
    double master_load; /* share of wall rank 0 spends handling messages */
    double mean_wait_s; /* mean time a worker sat idle waiting for a task */
    int64_t messages;   /* messages rank 0 handled: completions received, assignments sent */
} gs_sim_result;

/* Simulates n configurations on `ranks` ranks. group may be NULL. */
void simulate_sweep(int64_t n, const double *seconds, const int *layers, const int64_t *group,
                    int ranks, const gs_sim_model *model, gs_sim_result *out);

#endif
