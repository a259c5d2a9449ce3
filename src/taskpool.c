/* SPDX-License-Identifier: MIT */
/* taskpool.c — the hand-out policy (see taskpool.h).
 *
 * Layout: `order` lists the pending tasks sorted by (chunk, cost descending,
 * index); a chunk is a group, or a piece of a large group, and owns the
 * slice order[start … end). `fresh` lists the chunks by their costliest task,
 * descending; since a chunk nobody has taken from is untouched, a cursor over
 * `fresh` finds the next untouched chunk without searching. */
#include "gradsweep/taskpool.h"

#include <math.h>
#include <stdlib.h>

#include "gradsweep/common.h"

typedef struct chunk {
    int64_t group;
    int64_t start, end, next; /* its tasks are order[start … end); order[next] is next */
    double remaining_cost;
    bool touched; /* some rank has taken from it */
} chunk;

struct gs_taskpool {
    const double *cost;
    int64_t *order;
    int64_t n_pending, remaining;
    double total_cost, remaining_cost;
    chunk *chunks;
    int64_t n_chunks;
    int64_t *fresh; /* chunk ids, costliest first task first */
    int64_t fresh_cursor;
    int64_t *current; /* per rank: the chunk it works on, or -1 */
    int ranks;
};

typedef struct sort_key {
    int64_t group;
    double cost;
    int64_t index;
} sort_key;

static int by_group_then_cost(const void *a, const void *b) {
    const sort_key *x = a, *y = b;
    if (x->group != y->group) return x->group < y->group ? -1 : 1;
    if (x->cost != y->cost) return x->cost > y->cost ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

double taskpool_cost(const gs_taskpool *pool, int64_t task) {
    return pool->cost ? pool->cost[task] : 1.0;
}

/* Cuts each group into chunks of at most `share` cost (a chunk always holds
 * at least one task). Chunks keep the group's cost-descending order. */
static void make_chunks(gs_taskpool *p, const sort_key *keys, double share) {
    p->chunks = gs_malloc((size_t)(p->n_pending ? p->n_pending : 1) * sizeof *p->chunks);
    p->n_chunks = 0;
    for (int64_t k = 0; k < p->n_pending;) {
        int64_t start = k;
        double sum = 0;
        do {
            sum += keys[k].cost;
            k++;
        } while (k < p->n_pending && keys[k].group == keys[start].group &&
                 sum + keys[k].cost <= share);
        p->chunks[p->n_chunks++] = (chunk){keys[start].group, start, k, start, sum, false};
    }
}

typedef struct ranked_chunk {
    double first_cost; /* cost of its costliest task */
    int64_t start, id;
} ranked_chunk;

static int by_first_task_cost(const void *a, const void *b) {
    const ranked_chunk *x = a, *y = b;
    if (x->first_cost != y->first_cost) return x->first_cost > y->first_cost ? -1 : 1;
    return x->start < y->start ? -1 : x->start > y->start;
}

/* fresh = the chunks, costliest first task first (ties: in task order). */
static void rank_chunks(gs_taskpool *p) {
    size_t n = (size_t)(p->n_chunks ? p->n_chunks : 1);
    ranked_chunk *r = gs_malloc(n * sizeof *r);
    for (int64_t c = 0; c < p->n_chunks; c++)
        r[c] =
            (ranked_chunk){taskpool_cost(p, p->order[p->chunks[c].start]), p->chunks[c].start, c};
    qsort(r, (size_t)p->n_chunks, sizeof *r, by_first_task_cost);
    p->fresh = gs_malloc(n * sizeof *p->fresh);
    for (int64_t c = 0; c < p->n_chunks; c++)
        p->fresh[c] = r[c].id;
    free(r);
}

gs_taskpool *taskpool_create(int64_t n_tasks, const double *cost, const int64_t *group,
                             const bool *pending, int ranks) {
    gs_taskpool *p = gs_calloc(1, sizeof *p);
    p->cost = cost;
    p->ranks = ranks < 1 ? 1 : ranks;
    sort_key *keys = gs_malloc((size_t)(n_tasks ? n_tasks : 1) * sizeof *keys);
    for (int64_t i = 0; i < n_tasks; i++) {
        if (pending && !pending[i]) continue;
        double c = cost ? cost[i] : 1.0;
        keys[p->n_pending++] = (sort_key){group ? group[i] : i, c, i};
        p->total_cost += c;
    }
    qsort(keys, (size_t)p->n_pending, sizeof *keys, by_group_then_cost);
    p->order = gs_malloc((size_t)(p->n_pending ? p->n_pending : 1) * sizeof *p->order);
    for (int64_t k = 0; k < p->n_pending; k++)
        p->order[k] = keys[k].index;
    make_chunks(p, keys, p->total_cost / (4.0 * p->ranks));
    free(keys);

    rank_chunks(p);

    p->current = gs_malloc((size_t)p->ranks * sizeof *p->current);
    for (int r = 0; r < p->ranks; r++)
        p->current[r] = -1;
    p->remaining = p->n_pending;
    p->remaining_cost = p->total_cost;
    return p;
}

void taskpool_destroy(gs_taskpool **pool) {
    if (!pool || !*pool) return;
    free((*pool)->order);
    free((*pool)->chunks);
    free((*pool)->fresh);
    free((*pool)->current);
    free(*pool);
    *pool = NULL;
}

int64_t taskpool_tasks(const gs_taskpool *pool) { return pool->n_pending; }
double taskpool_total_cost(const gs_taskpool *pool) { return pool->total_cost; }
int64_t taskpool_remaining(const gs_taskpool *pool) { return pool->remaining; }
double taskpool_remaining_cost(const gs_taskpool *pool) { return pool->remaining_cost; }

static bool has_tasks(const chunk *c) { return c->next < c->end; }

/* The chunk rank should take from next, or -1 if every chunk is empty: its
 * own, else the next untouched piece of its group, else the untouched chunk
 * with the costliest task, else where the most work remains. */
static int64_t choose_chunk(gs_taskpool *p, int rank) {
    int64_t c = p->current[rank];
    if (c >= 0 && has_tasks(&p->chunks[c])) return c;
    if (c >= 0 && c + 1 < p->n_chunks && p->chunks[c + 1].group == p->chunks[c].group &&
        !p->chunks[c + 1].touched)
        return c + 1;
    while (p->fresh_cursor < p->n_chunks && p->chunks[p->fresh[p->fresh_cursor]].touched)
        p->fresh_cursor++;
    if (p->fresh_cursor < p->n_chunks) return p->fresh[p->fresh_cursor];
    int64_t best = -1;
    for (int64_t k = 0; k < p->n_chunks; k++)
        if (has_tasks(&p->chunks[k]) &&
            (best < 0 || p->chunks[k].remaining_cost > p->chunks[best].remaining_cost))
            best = k;
    return best;
}

/* Takes the next task of chunk c for rank, unless it costs more than max_cost. */
static int64_t take_from(gs_taskpool *p, int rank, int64_t c, double max_cost);

int64_t taskpool_next(gs_taskpool *p, int rank, double max_cost) {
    if (rank < 0 || rank >= p->ranks) return -1;
    int64_t c = choose_chunk(p, rank);
    return c < 0 ? -1 : take_from(p, rank, c, max_cost);
}

int64_t taskpool_next_in_chunk(gs_taskpool *p, int rank, double max_cost) {
    if (rank < 0 || rank >= p->ranks) return -1;
    int64_t c = p->current[rank];
    return c < 0 || !has_tasks(&p->chunks[c]) ? -1 : take_from(p, rank, c, max_cost);
}

static int64_t take_from(gs_taskpool *p, int rank, int64_t c, double max_cost) {
    chunk *ch = &p->chunks[c];
    int64_t task = p->order[ch->next];
    double cost = taskpool_cost(p, task);
    if (cost > max_cost) return -1;
    ch->next++;
    ch->remaining_cost -= cost;
    ch->touched = true;
    p->current[rank] = c;
    p->remaining--;
    p->remaining_cost -= cost;
    return task;
}
