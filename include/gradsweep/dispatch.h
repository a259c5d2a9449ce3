/* dispatch.h — rank 0's side of the hand-out, apart from any messaging: how
 * many tasks each worker holds, when a second one is worth sending ahead, and
 * when a worker is told to stop. schedule.c drives it with MPI messages;
 * the simulator (simulate.h) drives the very same code with modelled time,
 * so its predictions are about the scheduler that actually runs.
 *
 * A worker holds at most `depth` assigned tasks (schedule.c uses 2: the one
 * it computes and the next, so it never waits for rank 0 between tasks). The
 * one beyond the first is sent only while the unassigned work is at least
 * 2 × ranks × its cost, so the last large tasks are not stacked on one rank
 * while the others idle. */
#ifndef GRADSWEEP_DISPATCH_H
#define GRADSWEEP_DISPATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "gradsweep/taskpool.h"

#define DISPATCH_STOP (-1) /* the message that tells a worker to stop */
#define DISPATCH_NONE (-2) /* nothing to send now */

typedef struct gs_dispatch gs_dispatch;

/* Over a taskpool of the same arguments (see taskpool_create); rank 0 is
 * rank 0 of `ranks`. */
gs_dispatch *dispatch_create(int64_t n_tasks, const double *cost, const int64_t *group,
                             const bool *pending, int ranks);
void dispatch_destroy(gs_dispatch **d);
gs_taskpool *dispatch_pool(gs_dispatch *d);

/* The next message for worker (> 0) to hold `depth` tasks: a task index
 * (counted as assigned), DISPATCH_STOP (once the pool is empty or after
 * dispatch_halt; sent once), or DISPATCH_NONE. Call until DISPATCH_NONE. */
int64_t dispatch_next(gs_dispatch *d, int worker, int depth);
/* worker reported one of its tasks finished (or handed back). */
void dispatch_done(gs_dispatch *d, int worker);
/* Rank 0's own next task, or -1. */
int64_t dispatch_own(gs_dispatch *d);
/* Stop handing out (a fatal error): every worker gets STOP next. */
void dispatch_halt(gs_dispatch *d);
/* True while some worker holds tasks or has not been told to stop. */
bool dispatch_busy(const gs_dispatch *d);

#endif
