/* main.c — gradsweep's entry point: wires the modules together.
 *
 *   command line ─┐
 *   sweep file ───┴─> spec ─> grid ─> schedule ─> (per configuration) net ─> store
 *
 * Every rank parses the command line and the sweep text itself (rank 0 reads
 * the file and broadcasts it), so all ranks reach the same verdict on bad
 * input; only rank 0 prints it. */
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gradsweep/blas.h"
#include "gradsweep/cli.h"
#include "gradsweep/common.h"
#include "gradsweep/dryrun.h"
#include "gradsweep/export.h"
#include "gradsweep/grid.h"
#include "gradsweep/interrupt.h"
#include "gradsweep/net.h"
#include "gradsweep/schedule.h"
#include "gradsweep/simulate.h"
#include "gradsweep/spec.h"
#include "gradsweep/store.h"
#include "gradsweep/theory.h"

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

static int prepare(run *r, gs_error *err) {
    int rc = load_sweep(r, err);
    if (!rc) rc = cli_apply(&r->cli, &r->spec, err);
    if (!rc) rc = spec_finalize(&r->spec, err);
    if (!rc) rc = grid_init(&r->grid, &r->spec, err);
    if (!rc) r->output = r->cli.output ? gs_strdup(r->cli.output) : default_output(&r->spec);
    return rc;
}

/* ---- the launch and the machine ------------------------------------------------------ */

/* srun without a PMI that this MPI speaks: Open MPI 4 aborts inside MPI_Init
 * (exit 1, "OMPI was not built with SLURM's PMI support"), Open MPI 5 starts
 * every task as its own one-rank job (N copies of the sweep writing one
 * file). The first is caught before MPI_Init, the second after. */
static const char launch_advice[] =
    "launch with srun --mpi=pmix (Debian's Open MPI) or mpirun -n %s, or use srun -n 1 to run "
    "a single rank on purpose";

static const char *srun_tasks(void) {
    const char *tasks = getenv("SLURM_STEP_NUM_TASKS"); /* set by srun, not in a batch script */
    return getenv("SLURM_STEP_ID") && tasks && atoi(tasks) > 1 ? tasks : NULL;
}

static bool srun_without_pmi(void) {
    return srun_tasks() && !getenv("PMIX_RANK") && !getenv("PMI_RANK") && !getenv("PMI_FD") &&
           !getenv("OMPI_COMM_WORLD_SIZE");
}

static int check_launch(int size, gs_error *err) {
    const char *ess = getenv("OMPI_MCA_ess");
    const char *tasks = srun_tasks();
    if (size != 1 || !ess || strcmp(ess, "singleton") != 0 || !tasks) return 0;
    char advice[256];
    snprintf(advice, sizeof advice, launch_advice, tasks);
    return gs_fail(err, GS_EXIT_LAUNCH,
                   "launched wrong: srun started %s tasks but each is a separate one-rank MPI "
                   "job (MPI sees 1 rank); %s",
                   tasks, advice);
}

/* The node's available memory in bytes (MemAvailable), 0 if unknown. */
static double node_available_bytes(void) {
    FILE *f = fopen("/proc/meminfo", "r");
    char line[256];
    double kib = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "MemAvailable: %lf kB", &kib) == 1) break;
    if (f) fclose(f);
    return kib * 1024;
}

/* --max-memory, or the node's available memory shared by the ranks on it,
 * less a tenth for MPI, HDF5 and the system; the smallest over all ranks. */
static size_t memory_limit(const run *r) {
    unsigned long long limit = r->cli.max_memory;
    if (!limit) {
        MPI_Comm node;
        int local = 1;
        MPI_Comm_split_type(r->comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
        MPI_Comm_size(node, &local);
        MPI_Comm_free(&node);
        double available = node_available_bytes();
        limit = available > 0 ? (unsigned long long)(0.9 * available / local) : 0;
    }
    unsigned long long smallest = limit;
    MPI_Allreduce(&limit, &smallest, 1, MPI_UNSIGNED_LONG_LONG, MPI_MIN, r->comm);
    return (size_t)smallest;
}

/* Every configuration must fit the limit, if need be by redrawing weights and
 * checkpointing activations; refused before anything starts otherwise. The
 * workspace depends on depth, width, batch and init only. */
static int check_memory(const run *r, gs_error *err) {
    const gs_spec *spec = &r->spec;
    const gs_axis *depth = &spec->axis[GS_AXIS_DEPTH], *width = &spec->axis[GS_AXIS_WIDTH];
    const gs_axis *batch = &spec->axis[GS_AXIS_BATCH], *init = &spec->axis[GS_AXIS_INIT];
    /* Every shape is checked, and the one needing most is named: raising the
     * limit to that figure makes the whole sweep fit. */
    gs_config worst = {0};
    gs_memory_plan worst_plan = {0};
    int too_big = 0, shapes = 0;
    for (size_t d = 0; d < depth->count; d++)
        for (size_t w = 0; w < width->count; w++)
            for (size_t b = 0; b < batch->count; b++)
                for (size_t i = 0; i < init->count; i++, shapes++) {
                    gs_config cfg = {.depth = (int)depth->integer[d],
                                     .width = (int)width->integer[w],
                                     .batch = (int)batch->integer[b],
                                     .init = (gs_init)init->integer[i],
                                     .precision = spec->precision};
                    gs_memory_plan plan;
                    if (net_memory_plan(&cfg, r->memory_limit, &plan)) continue;
                    if (too_big++ == 0 || plan.bytes > worst_plan.bytes) {
                        worst = cfg;
                        worst_plan = plan;
                    }
                }
    if (!too_big) return 0;
    char need[32], limit[32], which[96] = "";
    if (shapes > 1)
        snprintf(which, sizeof which, "%d of the sweep's %d network shapes do not fit; ", too_big,
                 shapes);
    return gs_fail(err, GS_EXIT_RESOURCES,
                   "%sdepth %d, width %d, batch %d (%s, %s) needs %s per rank even with "
                   "weights redrawn and activations checkpointed, and a rank may use %s "
                   "(--max-memory; default: the node's available memory shared by its "
                   "ranks); allow more memory, run fewer ranks per node, or shrink the "
                   "largest configuration",
                   which, worst.depth, worst.width, worst.batch, init_name(worst.init),
                   precision_name(worst.precision),
                   gs_format_bytes((double)worst_plan.bytes, need, sizeof need),
                   gs_format_bytes((double)r->memory_limit, limit, sizeof limit));
}

static void set_blas_threads(const gs_cli *cli) {
    int threads = cli->blas_threads;
    const char *env = getenv("OPENBLAS_NUM_THREADS");
    if (!threads && env) threads = atoi(env); /* the user asked for this many */
    blas_set_threads(threads > 0 ? threads : 1);
}

/* ---- the sweep ------------------------------------------------------------------------ */

typedef struct sweep {
    const run *r;
    gs_net *net;
    gs_store *store;
    gs_result result;
    gs_theory *theory; /* the mean-field predictions this rank has computed */
    double write_s;    /* seconds this rank spent writing results */
} sweep;

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
    int rc = net_run(s->net, &cfg, &s->result, &obs, &run_err);
    if (rc == GS_EXIT_INTERRUPTED) return GS_STATUS_PENDING; /* abandoned: stays pending */
    if (rc)
        fprintf(stderr, "gradsweep: rank %d: configuration %lld failed: %s\n", s->r->rank,
                (long long)index, run_err.msg);
    s->result.rank = s->r->rank;
    /* Theory for every configuration, failed ones too: it needs no workspace. */
    theory_predict(s->theory, &cfg, &s->result, poll, poll_ctx);
    double start = gs_now();
    rc = store_write(s->store, &cfg, &s->result, err);
    s->write_s += gs_now() - start;
    return rc ? -err->code : (int)s->result.status;
}

/* Configurations with the same seed, width and init draw the same random
 * weights (net.h); the scheduler keeps a rank on one such group so that it
 * draws them once. */
static int64_t draw_group(const gs_grid *g, int64_t index) {
    const gs_spec *spec = g->spec;
    int64_t init = grid_position(g, index, GS_AXIS_INIT);
    int64_t width = grid_position(g, index, GS_AXIS_WIDTH);
    int64_t seed = grid_position(g, index, GS_AXIS_SEED);
    return (init * (int64_t)spec->axis[GS_AXIS_WIDTH].count + width) *
               (int64_t)spec->axis[GS_AXIS_SEED].count +
           seed;
}

static bool stderr_is_terminal(void) { return isatty(fileno(stderr)); }

/* Opens the results file: a new one, or the one being resumed (then only its
 * pending configurations are computed: *pending, rank 0). */
static int open_results(run *r, sweep *s, bool **pending, gs_error *err) {
    gs_run_info info = {
        .command_line = r->command_line,
        .sweep_file = r->spec.source_text,
        .blas = blas_config(),
        .mpi_ranks = r->size,
        .blas_threads = blas_threads(),
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
    if (report->stop_signal && file[GS_STATUS_PENDING])
        fprintf(stderr,
                "gradsweep: stopped by %s; the same command with --resume computes the "
                "%lld pending configurations\n",
                interrupt_name(report->stop_signal), (long long)file[GS_STATUS_PENDING]);
}

static int run_sweep(run *r, gs_error *err) {
    int rc = check_memory(r, err);
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
    if (r->rank == 0) {
        cost = gs_malloc((size_t)r->grid.count * sizeof *cost);
        group = gs_malloc((size_t)r->grid.count * sizeof *group);
        int64_t todo = 0;
        for (int64_t i = 0; i < r->grid.count; i++) {
            gs_config cfg;
            grid_config(&r->grid, i, &cfg);
            cost[i] = net_flops(&cfg);
            group[i] = draw_group(&r->grid, i);
            todo += !pending || pending[i];
        }
        fprintf(stderr,
                "gradsweep: sweep \"%s\": %lld of %lld configurations to compute on %d "
                "rank%s -> %s\n",
                r->spec.name, (long long)todo, (long long)r->grid.count, r->size,
                r->size > 1 ? "s" : "", r->output);
    }
    s.net = net_create();
    net_set_memory_limit(s.net, r->memory_limit);
    s.theory = theory_create();
    s.result.layers = gs_calloc((size_t)r->grid.max_depth, sizeof *s.result.layers);
    s.result.theory = gs_calloc((size_t)r->grid.max_depth, sizeof *s.result.theory);
    bool tty = stderr_is_terminal();
    gs_schedule_options opt = {
        .progress_interval_s =
            r->cli.progress_interval_s >= 0 ? r->cli.progress_interval_s : (tty ? 1.0 : 10.0),
        .progress = stderr,
        .progress_is_tty = tty,
        .grace_s = r->cli.grace_s >= 0 ? r->cli.grace_s : 60.0,
        .dedicated_master = r->cli.dedicated_master,
    };
    gs_schedule_report report;
    rc = schedule_run(r->comm, r->grid.count, cost, group, pending, compute_configuration, &s, &opt,
                      &report, err);
    r->local_error = true; /* from here on an error is one rank's own */
    free(cost);
    free(group);
    free(pending);
    free(s.result.layers);
    free(s.result.theory);
    net_destroy(&s.net);
    theory_destroy(&s.theory);

    gs_run_summary summary = {.wall_s = report.wall_s, .busy_s = report.busy_s};
    memcpy(summary.by_status, report.by_status, sizeof summary.by_status);
    MPI_Reduce(&s.write_s, &summary.write_s, 1, MPI_DOUBLE, MPI_SUM, 0, r->comm);
    gs_error close_err = {0};
    int close_rc = store_close(&s.store, &summary, &close_err);
    if (!rc && close_rc) {
        *err = close_err;
        rc = close_rc;
    }
    int64_t computed = 0; /* every outcome but pending */
    for (int k = GS_STATUS_PENDING + 1; k < GS_STATUS_COUNT; k++)
        computed += report.by_status[k];
    if (r->rank == 0 && !close_rc) print_summary(r, &summary, &report, computed);
    if (!rc && report.stop_signal && summary.file_by_status[GS_STATUS_PENDING])
        rc = GS_EXIT_INTERRUPTED;
    if (!rc && report.by_status[GS_STATUS_FAILED]) rc = GS_EXIT_FAILED;
    return rc;
}

/* ---- simulate: the scheduler on paper ---------------------------------------------------- */

/* gradsweep simulate: the sweep's configurations with their estimated (or
 * measured) times, handed out by the scheduler's own rules on each rank count
 * asked for, with rank 0 computing and with rank 0 dedicated. */
static int run_simulate(run *r, gs_error *err) {
    if (r->rank != 0) return 0;
    const gs_grid *g = &r->grid;
    double *seconds = gs_malloc((size_t)g->count * sizeof *seconds), flops;
    int *layers = gs_malloc((size_t)g->count * sizeof *layers);
    int64_t *group = gs_malloc((size_t)g->count * sizeof *group);
    double *modelled = gs_malloc((size_t)g->count * sizeof *modelled);
    dry_run_estimate(g, r->memory_limit, modelled, &flops);
    int rc = r->cli.times_path ? store_read_elapsed(r->cli.times_path, g, seconds, err) : 0;
    int64_t measured = 0;
    for (int64_t i = 0; rc == 0 && i < g->count; i++) {
        gs_config cfg;
        grid_config(g, i, &cfg);
        layers[i] = cfg.depth;
        group[i] = draw_group(g, i);
        bool have = r->cli.times_path && isfinite(seconds[i]) && seconds[i] > 0;
        measured += have;
        if (!have) seconds[i] = modelled[i];
    }
    if (rc == 0) {
        gs_sim_model model = {r->cli.message_s >= 0 ? r->cli.message_s : 5e-6,
                              r->cli.latency_s >= 0 ? r->cli.latency_s : 20e-6, false};
        static const int default_ranks[] = {64, 256, 1024, 4096};
        const int *ranks = r->cli.n_ranks ? r->cli.ranks : default_ranks;
        int n_ranks = r->cli.n_ranks ? r->cli.n_ranks : 4;
        double work = 0;
        for (int64_t i = 0; i < g->count; i++)
            work += seconds[i];
        char b[32];
        printf("# sweep \"%s\": %lld configurations, %s of work on one core (%s), rank 0 "
               "spends %.1f us per message, latency %.1f us\n",
               r->spec.name, (long long)g->count, gs_format_seconds(work, b, sizeof b),
               measured ? "elapsed_s of the results file" : "estimated on this machine",
               model.message_s * 1e6, model.latency_s * 1e6);
        printf("%8s %-9s %12s %10s %12s %14s %12s\n", "ranks", "rank 0", "wall", "efficiency",
               "rank-0 load", "mean wait (s)", "msgs/config");
        for (int k = 0; k < n_ranks; k++) {
            for (int dedicated = 0; dedicated < 2; dedicated++) {
                if (dedicated && ranks[k] < 2) continue;
                model.dedicated_master = dedicated;
                gs_sim_result res;
                simulate_sweep(g->count, seconds, layers, group, ranks[k], &model, &res);
                printf("%8d %-9s %12s %10.3f %12.3f %14.2e %12.3f\n", ranks[k],
                       dedicated ? "dedicated" : "computes",
                       gs_format_seconds(res.wall_s, b, sizeof b), res.efficiency, res.master_load,
                       res.mean_wait_s, (double)res.messages / (double)g->count);
            }
        }
    }
    free(seconds);
    free(layers);
    free(group);
    free(modelled);
    return rc;
}

/* ---- export -------------------------------------------------------------------------- */

static int run_export(run *r, gs_error *err) {
    if (r->cli.export_config >= r->grid.count)
        return gs_fail(err, GS_EXIT_USAGE, "--config %lld: the sweep has configurations 0 to %lld",
                       (long long)r->cli.export_config, (long long)r->grid.count - 1);
    if (r->rank != 0) return 0;
    gs_config cfg;
    grid_config(&r->grid, r->cli.export_config, &cfg);
    return export_network(r->output, &cfg, r->cli.force, err);
}

/* ---- theory: the edge of chaos, before a sweep ------------------------------------------ */

/* "inf", "nan" or %.6g, the same in the table and in CSV. */
static const char *number(double v, char *buf, size_t size) {
    if (isnan(v)) return "nan";
    if (isinf(v)) return v > 0 ? "inf" : "-inf";
    snprintf(buf, size, "%.6g", v);
    return buf;
}

static const char *phase_name(double chi1) {
    if (isnan(chi1)) return "nan";
    return fabs(chi1 - 1) <= 1e-9 ? "critical" : chi1 < 1 ? "ordered" : "chaotic";
}

static void print_theory_row(bool csv, const char *activation, double sigma_b, double sigma_w,
                             const gs_fixed_point *fp, const char *phase) {
    char b[8][32];
    const char *v[] = {number(sigma_b, b[0], 32),     number(sigma_w, b[1], 32),
                       number(fp->q_star, b[2], 32),  number(fp->chi1, b[3], 32),
                       number(fp->xi_q, b[4], 32),    number(fp->xi_c, b[5], 32),
                       number(6 * fp->xi_c, b[6], 32)};
    const char *stable = isnan(sigma_w) ? "nan" : stability_name(fp->stability);
    if (csv)
        printf("%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n", activation, v[0], v[1], v[2], v[3], v[4], v[5],
               v[6], stable, phase);
    else
        printf("%-11s %8s %12s %11s %10s %9s %9s %9s  %-8s %s\n", activation, v[0], v[1], v[2],
               v[3], v[4], v[5], v[6], stable, phase);
}

/* gradsweep theory: a table of the mean-field theory (theory.h) for the
 * activations and sigma_b values asked for, at the critical sigma_w or at
 * the given ones. Axis options are parsed as a sweep's, so the same lists,
 * names and checks apply. */
static int run_theory(run *r, gs_error *err) {
    gs_spec *spec = &r->spec;
    int rc = cli_apply(&r->cli, spec, err);
    if (rc) return rc;
    if (!(spec->leaky_relu_slope >= 0 && spec->leaky_relu_slope < 1))
        return gs_fail(err, GS_EXIT_USAGE,
                       "--leaky-relu-slope: must be at least 0 and below 1, got %g",
                       spec->leaky_relu_slope);
    if (r->rank != 0) return 0;
    const gs_axis *acts = &spec->axis[GS_AXIS_ACTIVATION], *biases = &spec->axis[GS_AXIS_SIGMA_B];
    const gs_axis *scales = &spec->axis[GS_AXIS_SIGMA_W];
    int n_acts = acts->count ? (int)acts->count : GS_ACT_COUNT;
    double no_bias = 0;
    size_t n_biases = biases->count ? biases->count : 1;
    const double *sigma_bs = biases->count ? biases->real : &no_bias;
    bool csv = r->cli.csv, at_critical = scales->count == 0;
    if (csv) {
        printf("activation,sigma_b,sigma_w,q_star,chi1,xi_q,xi_c,trainable_depth,stable,phase\n");
    } else {
        printf("# %s. q*: fixed point of the length map%s; xi: depth scales\n"
               "# (Schoenholz et al. 2017); networks deeper than ~6 xi_c do not train.\n",
               at_critical ? "Edge of chaos (chi1 = 1)" : "Mean-field theory at the given sigma_w",
               at_critical ? "" : " reached from x ~ N(0, 1)");
        printf("%-11s %8s %12s %11s %10s %9s %9s %9s  %-8s %s\n", "activation", "sigma_b",
               at_critical ? "sigma_w_crit" : "sigma_w", "q*", "chi1", "xi_q", "xi_c", "6 xi_c",
               "stable", "phase");
    }
    for (int a = 0; a < n_acts; a++) {
        gs_activation act = {acts->count ? (gs_activation_kind)acts->integer[a]
                                         : (gs_activation_kind)a,
                             spec->leaky_relu_slope};
        const char *name = activation_name(act.kind);
        for (size_t b = 0; b < n_biases; b++) {
            double sigma_b = sigma_bs[b], sigma_w;
            gs_fixed_point fp;
            if (at_critical) {
                bool found = theory_critical(&act, sigma_b, &sigma_w, &fp);
                print_theory_row(csv, name, sigma_b, sigma_w, &fp, found ? "critical" : "none");
                continue;
            }
            for (size_t w = 0; w < scales->count; w++) {
                gs_mean_field mf = {act, scales->real[w], sigma_b};
                theory_fixed_point(&mf, mf.sigma_w * mf.sigma_w + sigma_b * sigma_b, &fp);
                print_theory_row(csv, name, sigma_b, mf.sigma_w, &fp, phase_name(fp.chi1));
            }
        }
    }
    return 0;
}

int main(int argc, char **argv) {
    if (srun_without_pmi()) {
        const char *procid = getenv("SLURM_PROCID");
        if (!procid || atoi(procid) == 0) {
            fprintf(stderr,
                    "gradsweep: launched wrong: srun started %s tasks without a PMI "
                    "that MPI can use; ",
                    srun_tasks());
            fprintf(stderr, launch_advice, srun_tasks());
            fputc('\n', stderr);
        }
        return GS_EXIT_LAUNCH;
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
        rc = check_launch(r.size, &err);
    if (argc == 1) {
        if (r.rank == 0)
            fprintf(stderr, "usage: gradsweep SWEEP.yaml -o RESULTS.h5 [options], under mpirun "
                            "for many ranks\n       gradsweep --help explains every option and "
                            "the sweep file\n");
        rc = GS_EXIT_USAGE;
    } else if (!rc && r.cli.command == GS_CMD_HELP) {
        if (r.rank == 0) cli_print_help(stdout, r.cli.help_topic);
    } else if (!rc && r.cli.command == GS_CMD_VERSION) {
        if (r.rank == 0) printf("gradsweep %s (%s)\n", GS_VERSION, blas_config());
    } else if (!rc && r.cli.command == GS_CMD_THEORY) {
        rc = run_theory(&r, &err);
    } else if (!rc) {
        set_blas_threads(&r.cli);
        r.command_line = join_arguments(argc, argv);
        rc = prepare(&r, &err);
        if (!rc) r.memory_limit = memory_limit(&r);
        if (!rc && r.cli.dry_run) {
            if (r.rank == 0)
                dry_run_print(stdout, &r.grid, r.cli.sweep_path, r.output, r.size, r.memory_limit);
            rc = check_memory(&r, &err); /* what a real run would refuse, and its exit code */
        } else if (!rc && r.cli.command == GS_CMD_SIMULATE) {
            rc = run_simulate(&r, &err);
        } else if (!rc && r.cli.command == GS_CMD_EXPORT) {
            rc = run_export(&r, &err);
        } else if (!rc) {
            rc = run_sweep(&r, &err);
        }
    }
    /* Errors found by every rank alike are printed once, by rank 0; an error
     * only one rank saw (a task's) is printed by that rank. */
    if (err.code && (r.rank == 0 || r.local_error)) fprintf(stderr, "gradsweep: %s\n", err.msg);
    if (rc == GS_EXIT_USAGE && r.rank == 0 && argc > 1)
        fprintf(stderr, "gradsweep: nothing was computed; see gradsweep --help\n");
    free(r.output);
    free(r.command_line);
    spec_free(&r.spec);
    MPI_Finalize();
    return rc;
}
