/* SPDX-License-Identifier: MIT */
/* taskpool.h — which task a rank should compute next: the hand-out policy of
 * the scheduler, apart from any messaging so that it can be unit-tested and
 * replayed in simulation.
 *
 * Tasks carry a cost and a group. Tasks of a group share work a rank can
 * reuse (for gradsweep: configurations with the same seed, width and init
 * share their random weights), so a rank keeps taking tasks of its current
 * group, costliest first, while the group lasts. A rank that needs a new
 * group gets the untouched group whose costliest task is costliest of all
 * (longest-processing-time first, at group granularity); when none is left
 * it joins the group with the most work remaining. Groups holding more than
 * a fair share of the work (total / (4 · ranks)) are cut into chunks first,
 * so that no group can leave the other ranks idle at the end. */
#ifndef GRADSWEEP_TASKPOOL_H
#define GRADSWEEP_TASKPOOL_H

#include <stdbool.h>
#include <stdint.h>

typedef struct gs_taskpool gs_taskpool;

/* Tasks 0 … n_tasks-1; cost may be NULL (all 1), group may be NULL (every
 * task its own group), pending may be NULL (all pending; others are left out). */
gs_taskpool *taskpool_create(int64_t n_tasks, const double *cost, const int64_t *group,
                             const bool *pending, int ranks);
void taskpool_destroy(gs_taskpool **pool);

int64_t taskpool_tasks(const gs_taskpool *pool);     /* pending tasks at creation */
double taskpool_total_cost(const gs_taskpool *pool); /* their cost */
int64_t taskpool_remaining(const gs_taskpool *pool); /* not handed out yet */
double taskpool_remaining_cost(const gs_taskpool *pool);
double taskpool_cost(const gs_taskpool *pool, int64_t task);

/* Hands rank its next task and returns it, or returns -1 when none is left
 * or when that task would cost more than max_cost (then nothing is taken;
 * pass INFINITY for no limit). */
int64_t taskpool_next(gs_taskpool *pool, int rank, double max_cost);
/* The same, but only from the chunk rank is working on (the same group):
 * -1 once it is used up. */
int64_t taskpool_next_in_chunk(gs_taskpool *pool, int rank, double max_cost);

#endif
