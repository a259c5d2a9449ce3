/* store.h — the results file (schema gradsweep/1, docs/schema.md): one
 * parallel HDF5 file (MPI-IO) shared by every rank.
 *
 * Life cycle, and which calls are collective (every rank, same arguments):
 *   store_create   collective: creates every variable at its full size, with
 *                  dimension scales, attributes and fill values; writes the
 *                  per-configuration coordinates (depth, width, …); flushes.
 *   store_write    independent: one configuration's row, by the rank that
 *                  computed it. Data first, `status` last, so a crash can never
 *                  leave a "done" row with missing numbers. After the create
 *                  flush only raw data is written, so the file's metadata on
 *                  disk stays complete: a killed sweep leaves a readable file.
 *   store_close    collective.
 * The numerical core never sees this module; it only knows HDF5 and MPI. */
#ifndef GRADSWEEP_STORE_H
#define GRADSWEEP_STORE_H

#include <mpi.h>
#include <stdbool.h>

#include "gradsweep/common.h"
#include "gradsweep/config.h"
#include "gradsweep/grid.h"

#define GS_SCHEMA "gradsweep/1"

typedef struct gs_store gs_store;

/* What the root attributes record about the run. */
typedef struct gs_run_info {
    const char *command_line; /* argv joined by spaces */
    const char *sweep_spec;   /* canonical YAML of the effective sweep (spec_to_yaml) */
    const char *sweep_file;   /* the sweep file's text as the user wrote it, or NULL */
    const char *blas;         /* openblas_get_config() */
    int mpi_ranks;
    int blas_threads;
} gs_run_info;

/* Creates path (collective). Without force an existing path is an error
 * (GS_EXIT_OUTPUT) and is left untouched; with force an existing HDF5 file is
 * replaced, but a file that is not HDF5 is never overwritten. */
int store_create(gs_store **out, const char *path, MPI_Comm comm, const gs_grid *grid,
                 const gs_run_info *info, bool force, gs_error *err);

/* Opens an existing results file to continue it (collective): it must be a
 * gradsweep/1 file of this very sweep (its sweep_spec attribute equal to
 * info->sweep_spec; otherwise GS_EXIT_OUTPUT naming the first difference),
 * and is left untouched if not. On rank 0, pending[i] (grid->count entries)
 * says which configurations to compute: those still pending, and failed
 * ones with retry_failed. The run attributes (mpi_ranks, command_line, …)
 * are replaced and resumed_utc set; everything already computed stays. */
int store_open(gs_store **out, const char *path, MPI_Comm comm, const gs_grid *grid,
               const gs_run_info *info, bool retry_failed, bool *pending, gs_error *err);

/* Writes configuration cfg->index's result (independent). */
int store_write(gs_store *store, const gs_config *cfg, const gs_result *res, gs_error *err);

/* Records the end of the run (collective): times, and the configurations by
 * status in the whole file (this run's outcomes plus, after --resume, what
 * earlier runs left), which it also returns in file_by_status; then closes
 * the file and frees *store. Rank 0's summary is the one recorded. */
typedef struct gs_run_summary {
    double wall_s;                      /* this run's scheduling wall time */
    double busy_s, write_s;             /* summed over ranks: in tasks, of which writing results */
    int64_t by_status[GS_STATUS_COUNT]; /* this run's outcomes, indexed by gs_status */
    int64_t file_by_status[GS_STATUS_COUNT]; /* out: the file's rows by status after this run */
} gs_run_summary;

/* The elapsed_s of every configuration of a results file of grid's size
 * (serial, one process): NaN where not computed. For the simulator. */
int store_read_elapsed(const char *path, const gs_grid *grid, double *seconds, gs_error *err);
int store_close(gs_store **store, gs_run_summary *summary, gs_error *err);

#endif
