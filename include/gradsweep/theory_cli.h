/* SPDX-License-Identifier: MIT */
/* theory_cli.h — `gradsweep theory`: the mean-field theory (theory.h) as a
 * table or CSV, before any sweep: for each activation and bias scale asked
 * for, the critical sigma_w (chi1 = 1) or the given scales, with the fixed
 * point q*, chi1, the depth scales xi_q and xi_c, the trainable depth 6 xi_c,
 * the fixed point's stability and the phase. No network is computed. */
#ifndef GRADSWEEP_THEORY_CLI_H
#define GRADSWEEP_THEORY_CLI_H

#include <stdbool.h>

#include "gradsweep/cli.h"
#include "gradsweep/common.h"
#include "gradsweep/spec.h"

/* Applies cli's axis options to spec (parsed as a sweep's, so the same
 * lists, names and checks apply: --activation, --sigma-b, --sigma-w,
 * --leaky-relu-slope; the defaults are every activation and sigma_b 0) and
 * prints the table on stdout if print (rank 0 only). Errors: GS_EXIT_USAGE. */
int theory_cli_run(const gs_cli *cli, gs_spec *spec, bool print, gs_error *err);

#endif
