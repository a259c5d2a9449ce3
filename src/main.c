/* SPDX-License-Identifier: MIT */
/* main.c — gradsweep's entry point: wires the modules together.
 *
 *   command line ─┐
 *   sweep file ───┴─> spec ─> grid ─> schedule ─> (per configuration) net ─> store
 *
 * Every rank parses the command line and the sweep text itself (rank 0 reads
 * the file and broadcasts it), so all ranks reach the same verdict on bad
 * input; only rank 0 prints it. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gradsweep/blas.h"
#include "gradsweep/cli.h"
#include "gradsweep/common.h"
#include "gradsweep/data.h"
#include "gradsweep/depth_scale.h"
#include "gradsweep/dryrun.h"
#include "gradsweep/export.h"
#include "gradsweep/grid.h"
#include "gradsweep/interrupt.h"
#include "gradsweep/launch.h"
#include "gradsweep/net.h"
#include "gradsweep/schedule.h"
#include "gradsweep/simulate_cli.h"
#include "gradsweep/spec.h"
#include "gradsweep/store.h"
#include "gradsweep/theory.h"
#include "gradsweep/theory_cli.h"
#include "gradsweep/train.h"
#include "gradsweep/workload.h"

typedef struct run {
    MPI_Comm comm;
    int rank, size;
    gs_cli cli;
    gs_spec spec;
    gs_grid grid;
    char *output; /* the results file's path */
    char *command_line;
    size_t memory_limit; /* bytes a rank may use, the same on every rank */
    bool local_error;    /* err was seen by this rank alone (not by every rank alike) */
    gs_dataset *data;    /* training sweeps: the data, loaded by every rank */
    gs_train_data view;  /* … as the trainer sees it */
} run;

/* ---- start-up: command line, sweep file, grid ----------------------------------- */

static char *join_arguments(int argc, char **argv) {
    size_t len = 1;
    for (int k = 0; k < argc; k++)
        len += strlen(argv[k]) + 3;
    char *s = gs_malloc(len), *p = s;
    for (int k = 0; k < argc; k++) {
        bool quote = strpbrk(argv[k], " \t'\"") != NULL || argv[k][0] == '\0';
        p += sprintf(p, k ? (quote ? " '%s'" : " %s") : (quote ? "'%s'" : "%s"), argv[k]);
    }
    return s;
}

/* Rank 0 reads the sweep file; every rank parses the same text. */
static int load_sweep(run *r, gs_error *err) {
    if (!r->cli.sweep_path) return 0;
    int rc = 0;
    if (r->rank == 0) rc = spec_load_file(&r->spec, r->cli.sweep_path, err);
    MPI_Bcast(&rc, 1, MPI_INT, 0, r->comm);
    if (rc) return rc;
    long long length = r->rank == 0 ? (long long)strlen(r->spec.source_text) : 0;
    MPI_Bcast(&length, 1, MPI_LONG_LONG, 0, r->comm);
    char *text = r->rank == 0 ? r->spec.source_text : gs_malloc((size_t)length + 1);
    MPI_Bcast(text, (int)length, MPI_CHAR, 0, r->comm);
    if (r->rank != 0) {
        text[length] = '\0';
        rc = spec_load_text(&r->spec, r->cli.sweep_path, text, (size_t)length, err);
        free(text);
    }
    return rc;
}

static char *default_output(const gs_spec *spec) {
    if (spec->output) return gs_strdup(spec->output);
    char *path = gs_malloc(strlen(spec->name) + 4);
    sprintf(path, "%s.h5", spec->name);
    return path;
}

/* Training sweeps: every rank loads the data (the same files, so the same
 * verdict; a rank that fails alone, e.g. out of memory, stops every rank).
 * The networks' input and output widths follow it. */
static int load_data(run *r, gs_error *err) {
    if (!spec_has_training(&r->spec)) return 0;
    int rc = data_load(&r->spec.data, r->spec.precision, &r->data, err);
    int worst = rc, best = rc;
    MPI_Allreduce(&rc, &worst, 1, MPI_INT, MPI_MAX, r->comm);
    MPI_Allreduce(&rc, &best, 1, MPI_INT, MPI_MIN, r->comm);
    if (worst && !rc) {
        data_free(&r->data);
        return gs_fail(err, worst, "another rank could not load the data (see its message)");
    }
    if (rc) {
        r->local_error = best == 0; /* failed on every rank (a bad file): rank 0 says it once */
        return rc;
    }
    const gs_dataset *d = r->data;
    const gs_train_settings *t = &r->spec.train;
    if (t->loss == GS_TRAIN_CROSS_ENTROPY && data_n_classes(d) == 0)
        return gs_fail(err, GS_EXIT_USAGE,
                       "train: loss cross_entropy needs class labels, but the data has %d "
                       "regression targets per row; use loss: mse",
                       data_target_width(d));
    r->spec.data_shape = (gs_data_shape){.inputs = data_input_width(d),
                                         .outputs = data_target_width(d),
                                         .train_rows = data_rows(d, GS_SPLIT_TRAIN),
                                         .test_rows = data_rows(d, GS_SPLIT_TEST),
                                         .bytes = data_bytes(d)};
    gs_train_data *v = &r->view;
    v->inputs = data_input_width(d);
    v->outputs = data_target_width(d);
    for (int split = 0; split < 2; split++) {
        v->rows[split] = data_rows(d, (gs_split)split);
        v->x[split] = data_x(d, (gs_split)split);
        v->labels[split] = data_labels(d, (gs_split)split);
        v->targets[split] = data_targets(d, (gs_split)split);
    }
    const gs_axis *batch = &r->spec.axis[GS_AXIS_BATCH];
    for (size_t i = 0; i < batch->count; i++)
        if (batch->integer[i] > v->rows[0])
            return gs_fail(err, GS_EXIT_USAGE,
                           "batch %lld is more than the data's %lld training rows; a minibatch "
                           "holds distinct rows, so batch must be at most %lld",
                           (long long)batch->integer[i], (long long)v->rows[0],
                           (long long)v->rows[0]);
    return 0;
}

static int prepare(run *r, gs_error *err) {
    int rc = load_sweep(r, err);
    if (!rc) rc = cli_apply(&r->cli, &r->spec, err);
    if (!rc) rc = spec_finalize(&r->spec, err);
    if (!rc) rc = load_data(r, err);
    if (!rc) rc = grid_init(&r->grid, &r->spec, err);
    if (!rc) r->output = r->cli.output ? gs_strdup(r->cli.output) : default_output(&r->spec);
    return rc;
}

/* ---- the sweep ------------------------------------------------------------------------ */

typedef struct sweep {
    const run *r;
    gs_net *net;
    gs_store *store;
    gs_result result;
    gs_theory *theory;     /* the mean-field predictions this rank has computed */
    gs_trainer *trainer;   /* training sweeps: trains each configuration after its measurement */
    gs_train_result train; /* … and what it recorded */
    double write_s;        /* seconds this rank spent writing results */
} sweep;

/* Training sweeps: after the measurement at initialization (net_run, whose
 * per-layer statistics keep their meaning), the configuration trains. A
 * training loss that is not finite makes it nonfinite; a failure, failed. */
static int train_configuration(sweep *s, const gs_config *cfg, const gs_net_observer *obs,
                               gs_error *err) {
    int rc = trainer_run(s->trainer, cfg, &s->r->spec.train, &s->r->view, &s->train, obs, err);
    if (rc == GS_EXIT_INTERRUPTED) {
        s->result.status = GS_STATUS_PENDING;
    } else if (rc) {
        s->result.status = GS_STATUS_FAILED;
    } else if (s->train.nonfinite_step >= 0) {
        s->result.status = GS_STATUS_NONFINITE;
    }
    return rc;
}

/* One configuration, on whichever rank the scheduler chose. A configuration
 * that fails (e.g. out of memory) is recorded as failed and the sweep goes
 * on; a results file that cannot be written stops it. */
static int compute_configuration(void *ctx, int64_t index, bool (*poll)(void *), void *poll_ctx,
                                 gs_error *err) {
    sweep *s = ctx;
    gs_config cfg;
    grid_config(&s->r->grid, index, &cfg);
    gs_net_observer obs = {.between_layers = poll, .ctx = poll_ctx};
    gs_error run_err = {0};
    double start = gs_now();
    int rc = net_run(s->net, &cfg, &s->result, &obs, &run_err);
    if (rc == 0 && s->trainer) rc = train_configuration(s, &cfg, &obs, &run_err);
    s->result.elapsed_s = gs_now() - start;
    if (rc == GS_EXIT_INTERRUPTED) return GS_STATUS_PENDING; /* abandoned: stays pending */
    if (rc)
        fprintf(stderr, "gradsweep: rank %d: configuration %lld failed: %s\n", s->r->rank,
                (long long)index, run_err.msg);
    s->result.rank = s->r->rank;
    /* Theory for every configuration, failed ones too: it needs no workspace. */
    theory_predict(s->theory, &cfg, &s->result, poll, poll_ctx);
    /* The measured depth scales: fits to the rows just measured, beside the theory. */
    depth_scales_measure(&cfg, &s->result);
    start = gs_now();
    rc = store_write(s->store, &cfg, &s->result, err);
    s->write_s += gs_now() - start;
    return rc ? -err->code : (int)s->result.status;
}

static bool stderr_is_terminal(void) { return isatty(fileno(stderr)); }

/* Opens the results file: a new one, or the one being resumed (then only its
 * pending configurations are computed: *pending, rank 0). */
static int open_results(run *r, sweep *s, bool **pending, gs_error *err) {
    gs_run_info info = {
        .command_line = r->command_line,
        .sweep_file = r->spec.source_text,
        .blas = blas_config(),
        .blas_kernel = blas_kernel(),
        .blas_kernel_choice = blas_kernel_choice(),
        .mpi_ranks = r->size,
        .blas_threads = blas_threads(),
        .lock = {.break_lock = r->cli.break_lock,
                 .stale_after_s = r->cli.lock_stale_s > 0 ? r->cli.lock_stale_s : 0,
                 .command_line = r->command_line,
                 .log = stderr,
                 .on_lost = interrupt_lock_lost},
    };
    char *canonical = spec_to_yaml(&r->spec);
    info.sweep_spec = canonical;
    int rc;
    if (r->cli.resume) {
        *pending = r->rank == 0 ? gs_calloc((size_t)r->grid.count, sizeof **pending) : NULL;
        rc = store_open(&s->store, r->output, r->comm, &r->grid, &info, r->cli.retry_failed,
                        *pending, err);
    } else {
        rc = store_create(&s->store, r->output, r->comm, &r->grid, &info, r->cli.force, err);
    }
    free(canonical);
    return rc;
}

/* The last line of a sweep: what the file now holds, and how this run went. */
static void print_summary(const run *r, const gs_run_summary *summary,
                          const gs_schedule_report *report, int64_t computed) {
    const int64_t *file = summary->file_by_status;
    char wall[32], counts[256];
    double use = report->wall_s > 0 ? report->busy_s / (report->wall_s * r->size) : 0;
    fprintf(stderr,
            "gradsweep: %s: %lld configurations: %s; this run computed %lld in %s on %d rank%s "
            "(ranks busy %.0f%% of the time)\n",
            r->output, (long long)r->grid.count, status_counts(file, counts, sizeof counts),
            (long long)computed, gs_format_seconds(report->wall_s, wall, sizeof wall), r->size,
            r->size > 1 ? "s" : "", 100 * use);
    if (report->stop_signal && report->stop_signal != INTERRUPT_LOCK_LOST &&
        file[GS_STATUS_PENDING])
        fprintf(stderr,
                "gradsweep: stopped by %s; the same command with --resume computes the "
                "%lld pending configurations\n",
                interrupt_name(report->stop_signal), (long long)file[GS_STATUS_PENDING]);
}

/* Rank 0: what the scheduler hands out by, each configuration's cost and
 * draw group; and the sweep's first line. */
static void plan_tasks(const run *r, const bool *pending, double **cost, int64_t **group) {
    *cost = gs_malloc((size_t)r->grid.count * sizeof **cost);
    *group = gs_malloc((size_t)r->grid.count * sizeof **group);
    int64_t todo = 0;
    for (int64_t i = 0; i < r->grid.count; i++) {
        gs_config cfg;
        grid_config(&r->grid, i, &cfg);
        (*cost)[i] = net_flops(&cfg);
        if (spec_has_training(&r->spec))
            (*cost)[i] += train_flops(&cfg, &r->spec.train, r->spec.data_shape.test_rows);
        todo += !pending || pending[i];
    }
    workload_groups(&r->grid, *group);
    fprintf(stderr,
            "gradsweep: sweep \"%s\": %lld of %lld configurations to compute on %d "
            "rank%s -> %s\n",
            r->spec.name, (long long)todo, (long long)r->grid.count, r->size,
            r->size > 1 ? "s" : "", r->output);
}

static gs_schedule_options schedule_options(const gs_cli *cli) {
    bool tty = stderr_is_terminal();
    gs_schedule_options opt = {
        .progress_interval_s =
            cli->progress_interval_s >= 0 ? cli->progress_interval_s : (tty ? 1.0 : 10.0),
        .progress = stderr,
        .progress_is_tty = tty,
        .grace_s = cli->grace_s >= 0 ? cli->grace_s : 60.0,
        .dedicated_master = cli->dedicated_master,
    };
    return opt;
}

/* Records the run's outcome in the file and closes it; the sweep's exit code
 * (rc: the scheduler's). */
static int close_results(const run *r, sweep *s, const gs_schedule_report *report, int rc,
                         gs_error *err) {
    gs_run_summary summary = {.wall_s = report->wall_s, .busy_s = report->busy_s};
    memcpy(summary.by_status, report->by_status, sizeof summary.by_status);
    MPI_Reduce(&s->write_s, &summary.write_s, 1, MPI_DOUBLE, MPI_SUM, 0, r->comm);
    gs_error close_err = {0};
    int close_rc = store_close(&s->store, &summary, &close_err);
    if (!rc && close_rc) {
        *err = close_err;
        rc = close_rc;
    }
    int64_t computed = 0; /* every outcome but pending */
    for (int k = GS_STATUS_PENDING + 1; k < GS_STATUS_COUNT; k++)
        computed += report->by_status[k];
    if (r->rank == 0 && !close_rc) print_summary(r, &summary, report, computed);
    if (!rc && report->stop_signal && summary.file_by_status[GS_STATUS_PENDING])
        rc = GS_EXIT_INTERRUPTED;
    if (!rc && report->by_status[GS_STATUS_FAILED]) rc = GS_EXIT_FAILED;
    return rc;
}

static int run_sweep(run *r, gs_error *err) {
    int rc = workload_check_memory(&r->spec, r->memory_limit, err);
    if (rc) return rc;
    sweep s = {.r = r};
    bool *pending = NULL;
    rc = open_results(r, &s, &pending, err);
    if (rc) {
        free(pending);
        return rc;
    }
    double *cost = NULL;
    int64_t *group = NULL;
    if (r->rank == 0) plan_tasks(r, pending, &cost, &group);
    s.net = net_create();
    if (spec_has_training(&r->spec)) { /* the largest configuration's training needs first */
        gs_config largest = {0};
        size_t most = 0;
        for (int64_t i = 0; i < r->grid.count; i++) {
            gs_config cfg;
            grid_config(&r->grid, i, &cfg);
            size_t bytes = workload_training_bytes(&r->spec, &cfg);
            if (bytes > most) most = bytes, largest = cfg;
        }
        net_set_memory_limit(s.net, workload_net_limit(&r->spec, &largest, r->memory_limit));
    } else {
        net_set_memory_limit(s.net, r->memory_limit);
    }
    s.theory = theory_create();
    s.result.layers = gs_calloc((size_t)r->grid.max_depth, sizeof *s.result.layers);
    s.result.theory = gs_calloc((size_t)r->grid.max_depth, sizeof *s.result.theory);
    if (r->spec.jacobian_samples > 0) { /* the Jacobian's rows (store.h: sv = the largest width) */
        s.result.jacobian = gs_calloc((size_t)r->grid.max_depth, sizeof *s.result.jacobian);
        s.result.jacobian_theory =
            gs_calloc((size_t)r->grid.max_depth, sizeof *s.result.jacobian_theory);
        s.result.jac_sv_room = r->grid.max_width;
        s.result.jac_sv = gs_calloc((size_t)r->grid.max_width, sizeof *s.result.jac_sv);
    }
    if (spec_has_training(&r->spec)) {
        s.trainer = trainer_create();
        train_result_alloc(&s.train, &r->spec.train, r->grid.max_depth);
        s.result.train = &s.train;
    }
    gs_schedule_options opt = schedule_options(&r->cli);
    gs_schedule_report report;
    rc = schedule_run(r->comm, r->grid.count, cost, group, pending, compute_configuration, &s, &opt,
                      &report, err);
    r->local_error = true; /* from here on an error is one rank's own */
    free(cost);
    free(group);
    free(pending);
    free(s.result.layers);
    free(s.result.theory);
    free(s.result.jacobian);
    free(s.result.jacobian_theory);
    free(s.result.jac_sv);
    net_destroy(&s.net);
    theory_destroy(&s.theory);
    trainer_destroy(&s.trainer);
    train_result_free(&s.train);
    return close_results(r, &s, &report, rc, err);
}

/* ---- export -------------------------------------------------------------------------- */

static int run_export(run *r, gs_error *err) {
    if (r->cli.export_config >= r->grid.count)
        return gs_fail(err, GS_EXIT_USAGE, "--config %lld: the sweep has configurations 0 to %lld",
                       (long long)r->cli.export_config, (long long)r->grid.count - 1);
    if (r->rank != 0) return 0;
    gs_config cfg;
    grid_config(&r->grid, r->cli.export_config, &cfg);
    if (spec_has_training(&r->spec))
        return export_training(r->output, &cfg, &r->spec.train, &r->view, r->cli.force, err);
    return export_network(r->output, &cfg, r->cli.force, err);
}

/* The commands that read a sweep: run, --dry-run, simulate and export. */
static int run_on_sweep(run *r, int argc, char **argv, gs_error *err) {
    launch_set_blas_threads(r->cli.blas_threads);
    r->command_line = join_arguments(argc, argv);
    int rc = prepare(r, err);
    if (rc) return rc;
    r->memory_limit = launch_memory_limit(r->comm, r->cli.max_memory);
    if (r->cli.dry_run) {
        if (r->rank == 0)
            dry_run_print(stdout, &r->grid, r->cli.sweep_path, r->output, r->size, r->memory_limit);
        /* what a real run would refuse, and its exit code */
        return workload_check_memory(&r->spec, r->memory_limit, err);
    }
    if (r->cli.command == GS_CMD_SIMULATE)
        return r->rank == 0 ? simulate_cli_run(&r->cli, &r->grid, r->memory_limit, err) : 0;
    if (r->cli.command == GS_CMD_EXPORT) return run_export(r, err);
    return run_sweep(r, err);
}

int main(int argc, char **argv) {
    int launch_rc = launch_check_srun(); /* before MPI_Init, which it would break */
    if (launch_rc) return launch_rc;
    /* The GEMM kernel: chosen before anything calls the BLAS (blas.h), then
     * checked; a kernel that computes wrong products stops this process
     * before MPI starts (mpirun then ends the job). */
    gs_error blas_err = {0};
    int blas_rc = blas_choose_kernel(&blas_err);
    if (!blas_rc) blas_rc = blas_self_check(&blas_err);
    if (blas_rc) {
        fprintf(stderr, "gradsweep: %s\n", blas_err.msg);
        return blas_rc;
    }
    MPI_Init(&argc, &argv);
    run r = {.comm = MPI_COMM_WORLD};
    MPI_Comm_rank(r.comm, &r.rank);
    MPI_Comm_size(r.comm, &r.size);
    spec_init(&r.spec);
    gs_error err = {0};

    interrupt_install();
    int rc = cli_parse(argc, argv, &r.cli, &err);
    if (!rc && (r.cli.command == GS_CMD_RUN || r.cli.command == GS_CMD_EXPORT))
        rc = launch_check_ranks(r.size, &err);
    if (argc == 1) {
        if (r.rank == 0)
            fprintf(stderr, "usage: gradsweep SWEEP.yaml -o RESULTS.h5 [options], under mpirun "
                            "for many ranks\n       gradsweep --help explains every option and "
                            "the sweep file\n");
        rc = GS_EXIT_USAGE;
    } else if (!rc && r.cli.command == GS_CMD_HELP) {
        if (r.rank == 0) cli_print_help(stdout, r.cli.help_topic);
    } else if (!rc && r.cli.command == GS_CMD_VERSION) {
        if (r.rank == 0) {
            cli_print_version(stdout, blas_config());
            printf("GEMM kernel %s (self-check passed); %s\n", blas_kernel(), blas_kernel_choice());
        }
    } else if (!rc && r.cli.command == GS_CMD_THEORY) {
        rc = theory_cli_run(&r.cli, &r.spec, r.rank == 0, &err);
    } else if (!rc) {
        rc = run_on_sweep(&r, argc, argv, &err);
    }
    /* Errors found by every rank alike are printed once, by rank 0; an error
     * only one rank saw (a task's) is printed by that rank. */
    if (err.code && (r.rank == 0 || r.local_error)) fprintf(stderr, "gradsweep: %s\n", err.msg);
    if (rc == GS_EXIT_USAGE && r.rank == 0 && argc > 1)
        fprintf(stderr, "gradsweep: nothing was computed; see gradsweep --help\n");
    free(r.output);
    free(r.command_line);
    data_free(&r.data);
    spec_free(&r.spec);
    MPI_Finalize();
    return rc;
}
