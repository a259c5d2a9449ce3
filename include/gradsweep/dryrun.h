/* SPDX-License-Identifier: MIT */
/* dryrun.h — the --dry-run report: grid size, largest configuration, memory
 * per rank and a time estimate measured on this machine. Computes nothing
 * that is kept. */
#ifndef GRADSWEEP_DRYRUN_H
#define GRADSWEEP_DRYRUN_H

#include <stdio.h>

#include "gradsweep/grid.h"

#include <stddef.h>
#include <stdint.h>

/* What a sweep should cost on this machine. */
typedef struct gs_estimate {
    double core_s;   /* seconds of one core: the sum of the three below */
    double net_s;    /* forward and backward passes (and memory plans) */
    double draw_s;   /* random draws, once per draw group */
    double theory_s; /* mean-field theory, once per (activation, sigma_w, sigma_b) */
    double flops;    /* floating-point operations of the networks */
    int64_t groups;  /* draw groups (seed, width, init) */
    double train_s;  /* training sweeps: the steps and the test evaluation (in core_s) */
} gs_estimate;

/* The seconds each configuration should take on one rank of this machine
 * (into seconds[0 … N-1] unless NULL): its share of the draws and the theory
 * included, from real networks of each shape and the memory plan each gets
 * within limit bytes (0: none); returns their sum and puts the total
 * floating-point operations in *flops. Takes a few seconds. */
double dry_run_estimate(const gs_grid *grid, size_t limit, double *seconds, double *flops);

/* Wall seconds of the sweep on `ranks` ranks: the scheduler's hand-out
 * replayed (simulate.h) over seconds[] (from dry_run_estimate), with the
 * theory recomputed by each rank that takes a draw group. */
double dry_run_wall(const gs_grid *grid, const double *seconds, const gs_estimate *estimate,
                    int ranks);

void dry_run_print(FILE *out, const gs_grid *grid, const char *sweep_path, const char *output,
                   int ranks, size_t limit);

#endif
