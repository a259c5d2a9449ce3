/* SPDX-License-Identifier: MIT */
/* dispatch.h — rank 0's side of the hand-out, apart from any messaging: how
 * many tasks each worker holds, when a second one is worth sending ahead, and
 * when a worker is told to stop. schedule.c drives it with MPI messages;
 * the simulator (simulate.h) drives the very same code with modelled time,
 * so its predictions are about the scheduler that actually runs.
 *
 * Tasks go out in bundles: a worker gets several tasks of its group per
 * message while they are cheap (a bundle holds at most the remaining work
 * / (16 × ranks), and DISPATCH_BUNDLE_MAX tasks), so that thousands of ranks
 * on short configurations do not swamp rank 0 with messages; near the end
 * bundles shrink to single tasks.
 *
 * A worker holds at most `depth` bundles (schedule.c uses 2: the one it
 * computes and the next, so it never waits for rank 0 between them). The
 * one beyond the first is sent only while the unassigned work is at least
 * 2 × ranks × its first task's cost, so the last large tasks are not stacked
 * on one rank while the others idle. */
#ifndef GRADSWEEP_DISPATCH_H
#define GRADSWEEP_DISPATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "gradsweep/taskpool.h"

#define DISPATCH_STOP       (-1) /* the message that tells a worker to stop */
#define DISPATCH_BUNDLE_MAX 64   /* tasks in one message at most */

typedef struct gs_dispatch gs_dispatch;

/* Over a taskpool of the same arguments (see taskpool_create); rank 0 is
 * rank 0 of `ranks`. */
gs_dispatch *dispatch_create(int64_t n_tasks, const double *cost, const int64_t *group,
                             const bool *pending, int ranks);
void dispatch_destroy(gs_dispatch **d);
gs_taskpool *dispatch_pool(gs_dispatch *d);

/* The next message for worker (> 0) to hold `depth` bundles: the number of
 * tasks put in bundle[0 … n-1] (room for DISPATCH_BUNDLE_MAX; counted as
 * one assigned bundle), DISPATCH_STOP (once the pool is empty or after
 * dispatch_halt; sent once), or 0 for nothing now. Call until 0. */
int dispatch_next(gs_dispatch *d, int worker, int depth, int64_t *bundle);
/* worker reported one of its bundles finished (its tasks done or handed back). */
void dispatch_done(gs_dispatch *d, int worker);
/* Rank 0's own next task, or -1. */
int64_t dispatch_own(gs_dispatch *d);
/* Stop handing out (a fatal error): every worker gets STOP next. */
void dispatch_halt(gs_dispatch *d);
/* True while some worker holds tasks or has not been told to stop. */
bool dispatch_busy(const gs_dispatch *d);

#endif
