/* schedule.h — who computes what: dynamic, costliest-first hand-out of tasks
 * (configuration indices) from rank 0 to every rank, rank 0 included.
 *
 * Rank 0 hands tasks out costliest first, keeping a rank on tasks that share
 * work (taskpool.h), and keeps two tasks queued on every worker, so a worker starts its next task
 * the moment it finishes one and its request travels while it computes. Rank 0 computes too: it
 * serves requests whenever the compute function calls the poll callback (between the GEMMs of a
 * layer), so no core is left idle and no rank spins in a blocking receive. Idle waits sleep-poll
 * (MPI_Test + nanosleep) instead of busy-polling, which matters when ranks outnumber cores.
 *
 * This module knows MPI and nothing of the maths: a task is an index, its
 * cost a number, its outcome a status and a duration. */
#ifndef GRADSWEEP_SCHEDULE_H
#define GRADSWEEP_SCHEDULE_H

#include <mpi.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "gradsweep/common.h"
#include "gradsweep/config.h"

typedef struct gs_schedule gs_schedule;

/* Serves pending requests (rank 0) and prints progress when due. The compute
 * function calls it often (every few milliseconds to a second); cheap when
 * there is nothing to do. Returns false when the task in hand is to be
 * abandoned: the sweep is stopping and the grace period is over (or a
 * second stop signal came). */
bool schedule_poll(void *schedule);

/* Computes task `index` and stores its result; returns the configuration's
 * status (gs_status). Called on every rank; poll must be passed on to the
 * computation. An error that must stop the whole sweep is returned as a
 * negative value after filling err. */
typedef int (*gs_task_fn)(void *ctx, int64_t index, bool (*poll)(void *), void *poll_ctx,
                          gs_error *err);

typedef struct gs_schedule_options {
    double progress_interval_s; /* seconds between progress lines; <= 0 for none */
    FILE *progress;             /* where progress goes (rank 0): stderr */
    bool progress_is_tty;       /* rewrite one line in place instead of appending lines */
    double grace_s;             /* after a stop signal, how long in-flight tasks may finish */
    bool dedicated_master;      /* rank 0 only hands out (many ranks, short tasks) */
} gs_schedule_options;

typedef struct gs_schedule_report {
    double wall_s;                      /* from start to the last task's end, on rank 0 */
    int64_t by_status[GS_STATUS_COUNT]; /* tasks by outcome, indexed by gs_status */
    double busy_s;                      /* seconds spent inside task functions, summed over ranks */
    int64_t tasks_on_rank0;             /* how many tasks rank 0 computed itself */
    int stop_signal; /* a stop signal ended the sweep early (interrupt.h), or 0 */
} gs_schedule_report;

/* Runs tasks 0 … n_tasks-1 (collective). cost[i] orders the hand-out and
 * group[i] says which tasks share work (see taskpool.h); both are needed on
 * rank 0 only (NULL elsewhere; group may be NULL everywhere). Only `pending`
 * tasks are handed out: pending may be NULL (all). Returns 0, or the error code of the first task
 * that failed fatally (after every rank has stopped; every rank returns the
 * same code, but only the failing rank's err holds the message). The report
 * is identical on every rank. */
int schedule_run(MPI_Comm comm, int64_t n_tasks, const double *cost, const int64_t *group,
                 const bool *pending, gs_task_fn task, void *ctx, const gs_schedule_options *opt,
                 gs_schedule_report *report, gs_error *err);

#endif
