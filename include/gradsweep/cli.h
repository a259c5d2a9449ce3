/* SPDX-License-Identifier: MIT */
/* cli.h — the command line: what the user asked for, parsed and checked,
 * before any sweep file is read. Parsing is deterministic and does no I/O, so
 * every MPI rank parses argv itself and all reach the same verdict. */
#ifndef GRADSWEEP_CLI_H
#define GRADSWEEP_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "gradsweep/common.h"
#include "gradsweep/spec.h"

typedef enum gs_command {
    GS_CMD_RUN, /* gradsweep [SWEEP.yaml] [options]: run a sweep */
    GS_CMD_EXPORT,
    /* gradsweep export SWEEP.yaml --config I -o NET.h5 */
    GS_CMD_THEORY, /* gradsweep theory [--activation …] [--sigma-b …] [--sigma-w …] [--csv] */
    GS_CMD_SIMULATE, /* gradsweep simulate SWEEP.yaml [--ranks …]: the scheduler on paper */
    GS_CMD_HELP,
    GS_CMD_VERSION,
} gs_command;

typedef struct gs_cli {
    gs_command command;
    gs_command help_topic;  /* with GS_CMD_HELP: which command's help */
    const char *sweep_path; /* NULL: the axes come from options only */
    const char *output;     /* -o; NULL: the sweep's output: key or NAME.h5 */
    bool force, dry_run;
    bool csv;                                  /* theory: CSV instead of a table */
    int blas_threads;                          /* 0: default (see cli.c) */
    double progress_interval_s;                /* < 0: default for the terminal kind */
    int64_t export_config;                     /* export: configuration index */
    const char *axis_value[GS_AXIS_ALL_COUNT]; /* --depth … as typed, or NULL */
    bool resume, retry_failed;                 /* continue the results file; redo failed ones too */
    double grace_s;                            /* < 0: default (60 s) */
    bool break_lock;                           /* break the results file's lock (lock.h) */
    double lock_stale_s;                       /* < 0: default (GS_LOCK_STALE_DEFAULT_S) */
    size_t max_memory;                         /* bytes per rank; 0: default (launch.h) */
    bool dedicated_master;                     /* rank 0 only hands out */
    int ranks[16], n_ranks;                    /* simulate: rank counts */
    double message_s, latency_s;               /* simulate: < 0: defaults */
    const char *times_path;                    /* simulate: measured times from a results file */
    const char *setting_key[16];               /* --name, --base-seed, … in the order given */
    const char *setting_value[16];
    int settings;
} gs_cli;

/* Errors: GS_EXIT_USAGE, with a message that names the option. */
int cli_parse(int argc, char **argv, gs_cli *cli, gs_error *err);

/* Applies the axis and setting options to spec (after the file, if any). */
int cli_apply(const gs_cli *cli, gs_spec *spec, gs_error *err);

void cli_print_help(FILE *out, gs_command topic);

/* --version: the version, the BLAS it runs on, the license and how to cite it. */
void cli_print_version(FILE *out, const char *blas);

#endif
