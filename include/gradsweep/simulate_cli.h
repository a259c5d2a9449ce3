/* SPDX-License-Identifier: MIT */
/* simulate_cli.h — `gradsweep simulate`: the sweep's configurations with
 * their times, estimated on this machine (dryrun.h) or measured by an
 * earlier run (--times RESULTS.h5), handed out by the scheduler's own rules
 * (simulate.h) on each rank count asked for, with rank 0 computing and with
 * rank 0 dedicated; one table row per case on stdout. */
#ifndef GRADSWEEP_SIMULATE_CLI_H
#define GRADSWEEP_SIMULATE_CLI_H

#include <stddef.h>

#include "gradsweep/cli.h"
#include "gradsweep/common.h"
#include "gradsweep/grid.h"

/* One process (rank 0). memory_limit: a rank's, for the memory plans the
 * estimate assumes. Errors: GS_EXIT_USAGE for a --times file that is not
 * this sweep's results. */
int simulate_cli_run(const gs_cli *cli, const gs_grid *grid, size_t memory_limit, gs_error *err);

#endif
