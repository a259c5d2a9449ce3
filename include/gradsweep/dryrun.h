/* dryrun.h — the --dry-run report: grid size, largest configuration, memory
 * per rank and a time estimate measured on this machine. Computes nothing
 * that is kept. */
#ifndef GRADSWEEP_DRYRUN_H
#define GRADSWEEP_DRYRUN_H

#include <stdio.h>

#include "gradsweep/grid.h"

void dry_run_print(FILE *out, const gs_grid *grid, const char *sweep_path, const char *output,
                   int ranks);

#endif
