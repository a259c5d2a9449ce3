/* SPDX-License-Identifier: MIT */
/* simulate_cli.c — `gradsweep simulate` (see simulate_cli.h). */
#include "gradsweep/simulate_cli.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "gradsweep/dryrun.h"
#include "gradsweep/simulate.h"
#include "gradsweep/store.h"
#include "gradsweep/workload.h"

/* What the simulator needs of each configuration: its time, its layers (rank
 * 0 answers between them) and its draw group. */
typedef struct tasks {
    double *seconds;
    int *layers;
    int64_t *group;
    int64_t measured; /* how many times came from --times */
} tasks;

static int gather_tasks(const gs_cli *cli, const gs_grid *g, size_t memory_limit, tasks *t,
                        gs_error *err) {
    double flops, *modelled = gs_malloc((size_t)g->count * sizeof *modelled);
    dry_run_estimate(g, memory_limit, modelled, &flops);
    int rc = cli->times_path ? store_read_elapsed(cli->times_path, g, t->seconds, err) : 0;
    for (int64_t i = 0; rc == 0 && i < g->count; i++) {
        gs_config cfg;
        grid_config(g, i, &cfg);
        t->layers[i] = cfg.depth;
        bool have = cli->times_path && isfinite(t->seconds[i]) && t->seconds[i] > 0;
        t->measured += have;
        if (!have) t->seconds[i] = modelled[i];
    }
    free(modelled);
    if (rc == 0) workload_groups(g, t->group);
    return rc;
}

static void print_table(const gs_cli *cli, const gs_grid *g, const tasks *t) {
    gs_sim_model model = {cli->message_s >= 0 ? cli->message_s : 5e-6,
                          cli->latency_s >= 0 ? cli->latency_s : 20e-6, false};
    static const int default_ranks[] = {64, 256, 1024, 4096};
    const int *ranks = cli->n_ranks ? cli->ranks : default_ranks;
    int n_ranks = cli->n_ranks ? cli->n_ranks : 4;
    double work = 0;
    for (int64_t i = 0; i < g->count; i++)
        work += t->seconds[i];
    char b[32];
    printf("# sweep \"%s\": %lld configurations, %s of work on one core (%s), rank 0 "
           "spends %.1f us per message, latency %.1f us\n",
           g->spec->name, (long long)g->count, gs_format_seconds(work, b, sizeof b),
           t->measured ? "elapsed_s of the results file" : "estimated on this machine",
           model.message_s * 1e6, model.latency_s * 1e6);
    printf("%8s %-9s %12s %10s %12s %14s %12s\n", "ranks", "rank 0", "wall", "efficiency",
           "rank-0 load", "mean wait (s)", "msgs/config");
    for (int k = 0; k < n_ranks; k++) {
        for (int dedicated = 0; dedicated < 2; dedicated++) {
            if (dedicated && ranks[k] < 2) continue;
            model.dedicated_master = dedicated;
            gs_sim_result res;
            simulate_sweep(g->count, t->seconds, t->layers, t->group, ranks[k], &model, &res);
            printf("%8d %-9s %12s %10.3f %12.3f %14.2e %12.3f\n", ranks[k],
                   dedicated ? "dedicated" : "computes", gs_format_seconds(res.wall_s, b, sizeof b),
                   res.efficiency, res.master_load, res.mean_wait_s,
                   (double)res.messages / (double)g->count);
        }
    }
}

int simulate_cli_run(const gs_cli *cli, const gs_grid *g, size_t memory_limit, gs_error *err) {
    tasks t = {.seconds = gs_malloc((size_t)g->count * sizeof *t.seconds),
               .layers = gs_malloc((size_t)g->count * sizeof *t.layers),
               .group = gs_malloc((size_t)g->count * sizeof *t.group)};
    int rc = gather_tasks(cli, g, memory_limit, &t, err);
    if (rc == 0) print_table(cli, g, &t);
    free(t.seconds);
    free(t.layers);
    free(t.group);
    return rc;
}
