/* SPDX-License-Identifier: MIT */
/* store_harness.c — drives store.c alone, under mpirun, for
 * tests/test_store_schema.py: a small hand-built sweep, synthetic results that
 * depend only on the configuration (never on the rank), written by rank
 * index % size.
 *
 *   store_harness OUT.h5 [--no-force] [--kill-half] [--big-attribute] [--seeds K]
 *
 *   --no-force       store_create without force (expected to fail on an existing file)
 *   --kill-half      every rank writes half of its configurations, then SIGKILLs itself
 *   --big-attribute  a 200 KB sweep_file attribute (past HDF5's 64 KiB object-header limit)
 *   --seeds K        K seeds instead of 2 (8·K configurations): a bigger file
 *
 * The sweep: activation {relu, tanh} x depth {3, 5} x sigma_w {1.0, 1.5} x
 * seed {0, 1}, width 4, batch 2: 16 configurations, 5 layers. Configuration
 * NONFINITE_INDEX is nonfinite, FAILED_INDEX failed (with stale numbers that the
 * file must not show, but with its theory, which the file must show),
 * PENDING_INDEX is never written.
 * Exit status: 0, or the gs_error code. */
#include <hdf5.h>
#include <math.h>
#include <mpi.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gradsweep/grid.h"
#include "gradsweep/spec.h"
#include "gradsweep/store.h"

enum { NONFINITE_INDEX = 5, FAILED_INDEX = 9, PENDING_INDEX = 7, UNDERFLOW_INDEX = 11 };

static int64_t activations[] = {GS_ACT_RELU, GS_ACT_TANH};
static int64_t inits[] = {GS_INIT_GAUSSIAN};
static int64_t widths[] = {4};
static int64_t depths[] = {3, 5};
static int64_t batches[] = {2};
static double sigma_bs[] = {0.0};
static double sigma_ws[] = {1.0, 1.5};
static int64_t *seeds;

static void build_spec(gs_spec *spec, int n_seeds) {
    seeds = malloc((size_t)n_seeds * sizeof *seeds);
    for (int i = 0; i < n_seeds; i++)
        seeds[i] = i;
    memset(spec, 0, sizeof *spec);
    spec->name = "store_harness";
    spec->base_seed = 12345678901234567890u; /* above INT64_MAX: checks the uint64 attribute */
    spec->precision = GS_FLOAT64;
    spec->loss = GS_LOSS_PROBE;
    spec->leaky_relu_slope = GS_LEAKY_RELU_DEFAULT_SLOPE;
    spec->axis[GS_AXIS_ACTIVATION] = (gs_axis){2, activations, NULL, 0};
    spec->axis[GS_AXIS_INIT] = (gs_axis){1, inits, NULL, 0};
    spec->axis[GS_AXIS_WIDTH] = (gs_axis){1, widths, NULL, 0};
    spec->axis[GS_AXIS_DEPTH] = (gs_axis){2, depths, NULL, 0};
    spec->axis[GS_AXIS_BATCH] = (gs_axis){1, batches, NULL, 0};
    spec->axis[GS_AXIS_SIGMA_B] = (gs_axis){1, NULL, sigma_bs, 0};
    spec->axis[GS_AXIS_SIGMA_W] = (gs_axis){2, NULL, sigma_ws, 0};
    spec->axis[GS_AXIS_SEED] = (gs_axis){(size_t)n_seeds, seeds, NULL, 0};
}

/* Field k of layer l (1-based) of configuration i: i + l/10 + 1000 k, so a
 * reader can tell every value's origin. test_store_schema.py mirrors it. */
static double synthetic(int64_t i, int l, int k) { return (double)i + l / 10.0 + 1000.0 * k; }

static void synthetic_result(const gs_config *cfg, int rank, gs_result *res) {
    int64_t i = cfg->index;
    for (int l = 1; l <= cfg->depth; l++) {
        double *fields = (double *)&res->layers[l - 1];
        for (int k = 0; k < (int)(sizeof(gs_layer_stats) / sizeof(double)); k++)
            fields[k] = synthetic(i, l, k);
        double *theory = (double *)&res->theory[l - 1]; /* fields 100, 101, 102 */
        for (int k = 0; k < (int)(sizeof(gs_layer_theory) / sizeof(double)); k++)
            theory[k] = synthetic(i, l, 100 + k);
    }
    /* theory scalars: i/8 + 1, + 2, … in the order of schema_contract.THEORY_PER_CONFIG */
    res->chi1_theory = i / 8.0 + 1;
    res->q_star_theory = i / 8.0 + 2;
    res->xi_q_theory = i / 8.0 + 3;
    res->xi_c_theory = i / 8.0 + 4;
    res->sigma_w_critical_theory = i / 8.0 + 5;
    res->status = GS_STATUS_DONE;
    res->first_nonfinite_layer = res->first_nonfinite_forward_layer = 0;
    res->first_nonfinite_backward_layer = 0;
    res->first_underflow_layer = 0;
    res->log10_delta_ratio = i / 100.0;
    res->log10_grad_ratio = -i / 100.0;
    res->log10_q_ratio = i / 50.0;
    res->elapsed_s = 0.25 * (rank + 1); /* rank-dependent on purpose */
    res->rank = rank;
    if (i == NONFINITE_INDEX) {
        res->status = GS_STATUS_NONFINITE;
        res->layers[1].q = INFINITY; /* layer 2 */
        res->layers[2].q = NAN;
        res->first_nonfinite_layer = res->first_nonfinite_forward_layer = 2;
        res->first_nonfinite_backward_layer = 3;
        res->log10_q_ratio = NAN;
    }
    if (i == UNDERFLOW_INDEX) { /* z exactly zero from layer 2 on */
        res->status = GS_STATUS_UNDERFLOW;
        for (int l = 2; l <= cfg->depth; l++)
            res->layers[l - 1].q = 0;
        res->first_underflow_layer = 2;
        res->log10_q_ratio = -INFINITY;
    }
}

/* HDF5 objects (files, datasets, groups, attributes, named types) open in any
 * file: store_create + store_close must leave none behind. Dataspace, type and
 * property-list ids are not counted by HDF5 1.10's public API. */
static ssize_t open_hdf5_objects(void) { return H5Fget_obj_count((hid_t)H5F_OBJ_ALL, H5F_OBJ_ALL); }

static char *big_text(size_t bytes) {
    char *text = malloc(bytes + 1);
    for (size_t i = 0; i < bytes; i++)
        text[i] = (i % 64 == 63) ? '\n' : "# big sweep file "[i % 17];
    text[bytes] = '\0';
    return text;
}

static int fail(const gs_error *err, int rank) {
    if (rank == 0) fprintf(stderr, "store_harness: %s\n", err->msg);
    return err->code;
}

static int run(int argc, char **argv, int rank, int size) {
    bool force = true, kill_half = false, big = false;
    int n_seeds = 2;
    for (int a = 2; a < argc; a++) {
        if (strcmp(argv[a], "--no-force") == 0)
            force = false;
        else if (strcmp(argv[a], "--seeds") == 0 && a + 1 < argc)
            n_seeds = atoi(argv[++a]);
        else if (strcmp(argv[a], "--kill-half") == 0)
            kill_half = true;
        else if (strcmp(argv[a], "--big-attribute") == 0)
            big = true;
        else
            return fprintf(stderr, "store_harness: unknown option %s\n", argv[a]), 2;
    }
    gs_spec spec;
    build_spec(&spec, n_seeds > 0 ? n_seeds : 1);
    gs_grid grid;
    gs_error err = {0};
    if (grid_init(&grid, &spec, &err)) return fail(&err, rank);

    char *sweep_file = big ? big_text(200000) : NULL;
    gs_run_info info = {
        .command_line = "store_harness out.h5 --synthetic",
        .sweep_spec = "name: store_harness\ndepth: [3, 5]\n",
        .sweep_file = big ? sweep_file : "depth: [3, 5]\nwidth: 4\n",
        /* differs between ranks on purpose: the file must hold rank 0's value */
        .blas = rank == 0 ? "OpenBLAS harness (rank 0)" : "OpenBLAS other rank",
        .mpi_ranks = size,
        .blas_threads = 1,
    };

    H5open();
    ssize_t objects_before = open_hdf5_objects();

    gs_store *store = NULL;
    int rc = store_create(&store, argv[1], MPI_COMM_WORLD, &grid, &info, force, &err);
    free(sweep_file);
    if (rc) return fail(&err, rank);

    gs_layer_stats layers[5];
    gs_layer_theory theory[5];
    gs_run_summary summary = {.wall_s = 1.5 + rank}; /* rank 0's 1.5 must win */
    int mine = 0, written = 0;
    for (int64_t i = rank; i < grid.count; i += size)
        mine++;
    for (int64_t i = 0; i < grid.count; i++) {
        gs_config cfg;
        grid_config(&grid, i, &cfg);
        gs_result res = {.layers = layers, .theory = theory};
        synthetic_result(&cfg, rank, &res);
        if (i == FAILED_INDEX) { /* stale numbers in the buffers: the file must show none */
            res.status = GS_STATUS_FAILED;
            res.first_nonfinite_layer = 1;
            res.elapsed_s = 0.5;
        }
        summary.by_status[i == PENDING_INDEX ? GS_STATUS_PENDING : res.status]++;
        if (i % size != rank || i == PENDING_INDEX) continue;
        if (kill_half && written == mine / 2) {
            MPI_Barrier(MPI_COMM_WORLD); /* every rank has written its half */
            raise(SIGKILL);
        }
        if (store_write(store, &cfg, &res, &err)) return fail(&err, rank);
        written++;
    }
    if (kill_half) { /* a rank that had too few configurations to stop halfway */
        MPI_Barrier(MPI_COMM_WORLD);
        raise(SIGKILL);
    }

    rc = store_close(&store, &summary, &err);
    if (rc) return fail(&err, rank);
    ssize_t objects_after = open_hdf5_objects();
    if (objects_after != objects_before) {
        fprintf(stderr, "store_harness: rank %d: %zd HDF5 objects left open (%zd before)\n", rank,
                objects_after, objects_before);
        return 1;
    }
    if (store != NULL) return fprintf(stderr, "store_harness: store not NULL after close\n"), 1;
    return 0;
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (argc < 2) {
        if (rank == 0)
            fprintf(stderr, "usage: store_harness OUT.h5 [--no-force] [--kill-half] "
                            "[--big-attribute] [--seeds K]\n");
        MPI_Finalize();
        return 2;
    }
    int rc = run(argc, argv, rank, size);
    free(seeds);
    MPI_Finalize();
    return rc;
}
