/* SPDX-License-Identifier: MIT */
/* dryrun.h — the --dry-run report: grid size, largest configuration, memory
 * per rank and a time estimate measured on this machine. Computes nothing
 * that is kept. */
#ifndef GRADSWEEP_DRYRUN_H
#define GRADSWEEP_DRYRUN_H

#include <stdio.h>

#include "gradsweep/grid.h"

#include <stddef.h>

/* The seconds each configuration should take on one core of this machine
 * (into seconds[0 … N-1] unless NULL), from real networks of each shape and
 * the memory plan each gets within limit bytes (0: none); returns their sum
 * and puts the total floating-point operations in *flops. Takes about 2 s. */
double dry_run_estimate(const gs_grid *grid, size_t limit, double *seconds, double *flops);

void dry_run_print(FILE *out, const gs_grid *grid, const char *sweep_path, const char *output,
                   int ranks, size_t limit);

#endif
