/* SPDX-License-Identifier: MIT */
/* test_taskpool.c — the scheduler's hand-out policy and rules (taskpool.h,
 * dispatch.h), without MPI. */
#include <stdlib.h>

#include "gradsweep/dispatch.h"
#include "gradsweep/taskpool.h"
#include "testing.h"

/* Without groups, one rank gets the tasks costliest first, ties in index order. */
static void test_costliest_first(void) {
    double cost[6] = {1, 5, 3, 5, 2, 4};
    gs_taskpool *p = taskpool_create(6, cost, NULL, NULL, 1);
    int64_t expected[6] = {1, 3, 5, 2, 4, 0};
    for (int k = 0; k < 6; k++)
        CHECK(taskpool_next(p, 0, INFINITY) == expected[k]);
    CHECK(taskpool_next(p, 0, INFINITY) == -1);
    CHECK(taskpool_remaining(p) == 0 && taskpool_remaining_cost(p) == 0);
    taskpool_destroy(&p);
    CHECK(p == NULL);
}

/* A rank stays on its group, costliest task first; another rank starts the
 * untouched group with the costliest task; when no untouched group is left a
 * rank joins the group with the most work remaining. */
static void test_groups(void) {
    /* group 0: tasks 0-3 (costs 4 3 2 1); group 1: tasks 4-6 (costs 5 1 1) */
    double cost[7] = {4, 3, 2, 1, 5, 1, 1};
    int64_t group[7] = {0, 0, 0, 0, 1, 1, 1};
    gs_taskpool *p = taskpool_create(7, cost, group, NULL, 1);
    int64_t one_rank[7] = {4, 5, 6, 0, 1, 2, 3}; /* group 1 first: its head (5) is costliest */
    for (int k = 0; k < 7; k++)
        CHECK(taskpool_next(p, 0, INFINITY) == one_rank[k]);
    taskpool_destroy(&p);

    /* Two ranks: total 17, so chunks hold at most 17/8 = 2.125 of cost:
     * group 0 is cut into {4} {3} {2} {1}, group 1 into {5} {1, 1}. */
    p = taskpool_create(7, cost, group, NULL, 2);
    CHECK(taskpool_next(p, 0, INFINITY) == 4); /* the costliest chunk, {5} */
    CHECK(taskpool_next(p, 1, INFINITY) == 0); /* the next costliest, {4} */
    CHECK(taskpool_next(p, 0, INFINITY) == 5); /* on in its own group: {1, 1} */
    CHECK(taskpool_next(p, 1, INFINITY) == 1); /* likewise: {3} */
    CHECK(taskpool_next(p, 1, INFINITY) == 2); /* {2} */
    CHECK(taskpool_next(p, 1, INFINITY) == 3); /* {1} */
    CHECK(taskpool_next(p, 1, INFINITY) == 6); /* nothing untouched: joins rank 0's chunk */
    CHECK(taskpool_next(p, 0, INFINITY) == -1);
    taskpool_destroy(&p);
}

static void test_limit_and_pending(void) {
    double cost[4] = {8, 1, 6, 2};
    bool pending[4] = {true, true, false, true};
    gs_taskpool *p = taskpool_create(4, cost, NULL, pending, 1);
    CHECK(taskpool_tasks(p) == 3 && taskpool_total_cost(p) == 11);
    CHECK(taskpool_next(p, 0, 5.0) == -1); /* the next (cost 8) is over the limit */
    CHECK(taskpool_remaining(p) == 3);     /* and was not taken */
    CHECK(taskpool_next(p, 0, 8.0) == 0);
    CHECK(taskpool_next(p, 0, INFINITY) == 3);
    CHECK(taskpool_next(p, 0, INFINITY) == 1);
    CHECK(taskpool_next(p, 0, INFINITY) == -1); /* task 2 was not pending */
    CHECK(taskpool_next(p, 7, INFINITY) == -1); /* no such rank */
    taskpool_destroy(&p);
}

/* Whatever the interleaving of ranks, every pending task is handed out once. */
static void test_every_task_once(void) {
    enum { N = 5000, RANKS = 7 };
    double *cost = malloc(N * sizeof *cost);
    int64_t *group = malloc(N * sizeof *group);
    int *seen = calloc(N, sizeof *seen);
    unsigned state = 12345;
    for (int i = 0; i < N; i++) {
        state = state * 1103515245u + 12345u;
        cost[i] = 1 + (state >> 16) % 100;
        group[i] = (state >> 8) % 37;
    }
    gs_taskpool *p = taskpool_create(N, cost, group, NULL, RANKS);
    double handed = 0;
    for (int k = 0; k < N; k++) {
        state = state * 1103515245u + 12345u;
        int64_t t = taskpool_next(p, (int)((state >> 16) % RANKS), INFINITY);
        CHECK(t >= 0 && t < N);
        if (t >= 0 && t < N) seen[t]++, handed += cost[t];
    }
    int twice = 0;
    for (int i = 0; i < N; i++)
        twice += seen[i] != 1;
    CHECK(twice == 0);
    CHECK(taskpool_remaining(p) == 0 && handed == taskpool_total_cost(p));
    taskpool_destroy(&p);
    free(cost);
    free(group);
    free(seen);
}

/* One task per message here (a bundle may hold at most remaining work /
 * (16 · ranks): these tasks are too big to share a message). */
static int64_t next_single(gs_dispatch *d, int worker, int depth) {
    int64_t bundle[DISPATCH_BUNDLE_MAX];
    int n = dispatch_next(d, worker, depth, bundle);
    if (n == DISPATCH_STOP) return DISPATCH_STOP;
    if (n == 0) return -2;
    CHECK(n == 1);
    return bundle[0];
}

/* A worker's second bundle is sent ahead only while the unassigned work is
 * at least 2 · ranks times its cost; STOP comes once the pool is empty, once. */
static void test_dispatch_prefetch_and_stop(void) {
    double cost[10] = {10, 9, 1, 1, 1, 1, 1, 1, 1, 1};
    gs_dispatch *d = dispatch_create(10, cost, NULL, NULL, 2);
    CHECK(next_single(d, 1, 2) == 0);  /* a first task: always */
    CHECK(next_single(d, 1, 2) == -2); /* 9 > 17 / (2·2): not ahead */
    CHECK(dispatch_own(d) == 1);       /* rank 0 takes the 9 itself */
    CHECK(next_single(d, 1, 2) == 2);  /* 1 <= 8 / 4: now worth it */
    CHECK(next_single(d, 1, 2) == -2); /* it holds two */
    /* Worker 1 finishes a bundle, is topped up, and so on until STOP: it gets
     * tasks 3 … 9 in order, and near the end no longer one ahead. */
    int64_t expected = 3, held = 2;
    bool stopped = false, declined_ahead = false;
    while (!stopped) {
        dispatch_done(d, 1);
        held--;
        int64_t message;
        while ((message = next_single(d, 1, 2)) != -2) {
            if (message == DISPATCH_STOP) {
                stopped = true;
                break;
            }
            CHECK(message == expected);
            expected++, held++;
        }
        if (!stopped && held == 1) declined_ahead = true;
    }
    CHECK(expected == 10 && declined_ahead);
    CHECK(dispatch_busy(d) == (held > 0)); /* STOP may come while it holds its last */
    for (; held > 0; held--)
        dispatch_done(d, 1);
    CHECK(next_single(d, 1, 2) == -2); /* STOP goes out once */
    CHECK(!dispatch_busy(d) && dispatch_own(d) == -1);
    dispatch_destroy(&d);
}

static void test_dispatch_halt(void) {
    gs_dispatch *d = dispatch_create(10, NULL, NULL, NULL, 3);
    int64_t bundle[DISPATCH_BUNDLE_MAX];
    int first = dispatch_next(d, 1, 1, bundle), second = dispatch_next(d, 2, 1, bundle);
    CHECK(first > 0 && second > 0);
    dispatch_halt(d);
    CHECK(dispatch_own(d) == -1);
    CHECK(dispatch_next(d, 1, 2, bundle) == DISPATCH_STOP); /* holds one, gets no more */
    CHECK(dispatch_busy(d));                                /* until both report back */
    dispatch_done(d, 1);
    dispatch_done(d, 2);
    CHECK(dispatch_next(d, 2, 2, bundle) == DISPATCH_STOP);
    CHECK(!dispatch_busy(d));
    CHECK(taskpool_remaining(dispatch_pool(d)) == 10 - first - second); /* nothing more out */
    dispatch_destroy(&d);
}

/* Many cheap tasks go out several per message, fewer as the work runs out,
 * one at a time at the end; every task exactly once, bundles of one group. */
static void test_dispatch_bundles(void) {
    enum { N = 4000, RANKS = 4 };
    double *cost = malloc(N * sizeof *cost);
    int64_t *group = malloc(N * sizeof *group);
    int *seen = calloc(N, sizeof *seen);
    for (int i = 0; i < N; i++)
        cost[i] = 1, group[i] = i % 10;
    gs_dispatch *d = dispatch_create(N, cost, group, NULL, RANKS);
    int64_t bundle[DISPATCH_BUNDLE_MAX];
    int first = 0, last = 0, messages = 0, mixed = 0;
    for (int w = 1, n; (n = dispatch_next(d, w, 1, bundle)) != DISPATCH_STOP;
         w = w % (RANKS - 1) + 1) {
        if (n == 0) continue;
        messages++;
        if (!first) first = n;
        last = n;
        for (int k = 0; k < n; k++) {
            seen[bundle[k]]++;
            mixed += group[bundle[k]] != group[bundle[0]];
        }
        dispatch_done(d, w);
    }
    int once = 0;
    for (int i = 0; i < N; i++)
        once += seen[i] == 1;
    CHECK(once == N && mixed == 0);
    /* budget N / (16 · 4) = 62.5 tasks at first (at most 64), 1 at the end */
    CHECK_MSG(first == 62 && last == 1, "first bundle %d, last %d", first, last);
    CHECK_MSG(messages < N / 8, "%d messages for %d tasks", messages, N);
    dispatch_destroy(&d);
    free(cost);
    free(group);
    free(seen);
}

int main(void) {
    RUN(test_costliest_first);
    RUN(test_groups);
    RUN(test_limit_and_pending);
    RUN(test_every_task_once);
    RUN(test_dispatch_prefetch_and_stop);
    RUN(test_dispatch_halt);
    RUN(test_dispatch_bundles);
    TEST_MAIN_END();
}
