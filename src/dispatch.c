/* SPDX-License-Identifier: MIT */
/* dispatch.c — rank 0's hand-out rules (see dispatch.h). */
#include "gradsweep/dispatch.h"

#include <math.h>
#include <stdlib.h>

#include "gradsweep/common.h"

/* A bundle holds at most remaining work / (BUNDLE_SHARE · ranks): small
 * enough that the last ones still spread over every rank. */
#define BUNDLE_SHARE 16.0

struct gs_dispatch {
    gs_taskpool *pool;
    int ranks;
    int *outstanding; /* per worker: tasks assigned, not yet reported */
    bool *stopped;    /* per worker: STOP sent */
    bool halted;
};

gs_dispatch *dispatch_create(int64_t n_tasks, const double *cost, const int64_t *group,
                             const bool *pending, int ranks) {
    gs_dispatch *d = gs_calloc(1, sizeof *d);
    d->ranks = ranks < 1 ? 1 : ranks;
    d->pool = taskpool_create(n_tasks, cost, group, pending, d->ranks);
    d->outstanding = gs_calloc((size_t)d->ranks, sizeof *d->outstanding);
    d->stopped = gs_calloc((size_t)d->ranks, sizeof *d->stopped);
    return d;
}

void dispatch_destroy(gs_dispatch **d) {
    if (!d || !*d) return;
    taskpool_destroy(&(*d)->pool);
    free((*d)->outstanding);
    free((*d)->stopped);
    free(*d);
    *d = NULL;
}

gs_taskpool *dispatch_pool(gs_dispatch *d) { return d->pool; }

int dispatch_next(gs_dispatch *d, int worker, int depth, int64_t *bundle) {
    if (worker <= 0 || worker >= d->ranks || d->stopped[worker]) return 0;
    if (d->outstanding[worker] >= depth) return 0;
    if (d->halted || taskpool_remaining(d->pool) == 0) {
        d->stopped[worker] = true;
        return DISPATCH_STOP;
    }
    double remaining = taskpool_remaining_cost(d->pool);
    double limit = d->outstanding[worker] == 0 ? INFINITY : remaining / (2.0 * d->ranks);
    int64_t task = taskpool_next(d->pool, worker, limit);
    if (task < 0) return 0;
    /* More of the same chunk (same group: the same draws) while the bundle
     * stays a small share of the work. */
    double budget = remaining / (BUNDLE_SHARE * d->ranks) - taskpool_cost(d->pool, task);
    int n = 0;
    bundle[n++] = task;
    while (n < DISPATCH_BUNDLE_MAX && budget > 0 &&
           (task = taskpool_next_in_chunk(d->pool, worker, budget)) >= 0) {
        bundle[n++] = task;
        budget -= taskpool_cost(d->pool, task);
    }
    d->outstanding[worker]++;
    return n;
}

void dispatch_done(gs_dispatch *d, int worker) {
    if (worker > 0 && worker < d->ranks && d->outstanding[worker] > 0) d->outstanding[worker]--;
}

int64_t dispatch_own(gs_dispatch *d) {
    return d->halted ? -1 : taskpool_next(d->pool, 0, INFINITY);
}

void dispatch_halt(gs_dispatch *d) { d->halted = true; }

bool dispatch_busy(const gs_dispatch *d) {
    for (int w = 1; w < d->ranks; w++)
        if (d->outstanding[w] > 0 || !d->stopped[w]) return true;
    return false;
}
