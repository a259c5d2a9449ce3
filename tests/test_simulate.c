/* SPDX-License-Identifier: MIT */
/* test_simulate.c — the scheduler replayed under modelled time: limits where
 * the answer is known, and the bottleneck it exists to find. */
#include <stdlib.h>

#include "gradsweep/simulate.h"
#include "testing.h"

static const gs_sim_model free_messages = {0, 0, false};

/* One rank computes everything itself, one configuration after another. */
static void test_one_rank(void) {
    double seconds[4] = {3, 1, 2, 5};
    int layers[4] = {3, 1, 2, 5};
    gs_sim_result r;
    simulate_sweep(4, seconds, layers, NULL, 1, &free_messages, &r);
    CHECK_NEAR(r.wall_s, 11, 1e-12);
    CHECK_NEAR(r.efficiency, 1, 1e-12);
    CHECK(r.messages == 0);
}

/* Equal configurations spread evenly; with messages free, nobody waits
 * after the start. */
static void test_even_split(void) {
    enum { N = 1000, RANKS = 8 };
    double *seconds = malloc(N * sizeof *seconds);
    int *layers = malloc(N * sizeof *layers);
    for (int i = 0; i < N; i++)
        seconds[i] = 1.0, layers[i] = 10;
    gs_sim_result r;
    simulate_sweep(N, seconds, layers, NULL, RANKS, &free_messages, &r);
    CHECK_NEAR(r.wall_s, 125, 1.0); /* 1000 / 8, within one configuration */
    CHECK(r.efficiency > 0.99);
    /* a completion in and an assignment out per bundle, and stops: one
     * configuration per bundle would make 2 N + RANKS - 1; bundles make fewer */
    CHECK(r.messages > 0 && r.messages < 2 * N);
    free(seconds);
    free(layers);
}

/* Costs that differ by 100x: costliest first keeps 2 ranks busy (the
 * benchmark's scheduling figure on paper). */
static void test_uneven_costs(void) {
    enum { N = 400 };
    double seconds[N];
    int layers[N];
    for (int i = 0; i < N; i++) {
        seconds[i] = i % 40 == 0 ? 1.0 : 0.01 + 0.0005 * (i % 40);
        layers[i] = 20;
    }
    gs_sim_model model = {5e-6, 20e-6, false};
    gs_sim_result r;
    simulate_sweep(N, seconds, layers, NULL, 2, &model, &r);
    CHECK_MSG(r.efficiency > 0.97, "efficiency %.3f", r.efficiency);
}

/* Thousands of ranks on short configurations: handing out saturates rank 0,
 * whose own computing then delays every answer; a dedicated rank 0 serves
 * at once. The simulator must show both. */
static void test_master_bottleneck(void) {
    enum { N = 40000, RANKS = 2048 };
    double *seconds = malloc(N * sizeof *seconds);
    int *layers = malloc(N * sizeof *layers);
    for (int i = 0; i < N; i++)
        seconds[i] = 0.02, layers[i] = 10;
    gs_sim_model computing = {5e-6, 20e-6, false}, dedicated = {5e-6, 20e-6, true};
    gs_sim_result busy, serving;
    simulate_sweep(N, seconds, layers, NULL, RANKS, &computing, &busy);
    simulate_sweep(N, seconds, layers, NULL, RANKS, &dedicated, &serving);
    /* 2047 workers finishing every 20 ms: ~1e5 messages/s at 5 µs each,
     * rank 0 handles for about half of its time. */
    CHECK_MSG(busy.master_load > 0.3, "load %.2f", busy.master_load);
    CHECK_MSG(serving.mean_wait_s < busy.mean_wait_s, "waits %.2e vs %.2e", serving.mean_wait_s,
              busy.mean_wait_s);
    free(seconds);
    free(layers);
}

int main(void) {
    RUN(test_one_rank);
    RUN(test_even_split);
    RUN(test_uneven_costs);
    RUN(test_master_bottleneck);
    TEST_MAIN_END();
}
