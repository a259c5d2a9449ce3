/* dispatch.c — rank 0's hand-out rules (see dispatch.h). */
#include "gradsweep/dispatch.h"

#include <math.h>
#include <stdlib.h>

#include "gradsweep/common.h"

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

int64_t dispatch_next(gs_dispatch *d, int worker, int depth) {
    if (worker <= 0 || worker >= d->ranks || d->stopped[worker]) return DISPATCH_NONE;
    if (d->outstanding[worker] >= depth) return DISPATCH_NONE;
    if (d->halted || taskpool_remaining(d->pool) == 0) {
        d->stopped[worker] = true;
        return DISPATCH_STOP;
    }
    double limit = d->outstanding[worker] == 0
                       ? INFINITY
                       : taskpool_remaining_cost(d->pool) / (2.0 * d->ranks);
    int64_t task = taskpool_next(d->pool, worker, limit);
    if (task < 0) return DISPATCH_NONE;
    d->outstanding[worker]++;
    return task;
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
