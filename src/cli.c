/* SPDX-License-Identifier: MIT */
/* cli.c — options, their checks, and the help that teaches the tool. */
#include "gradsweep/cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    OPT_FORCE = 256,
    OPT_DRY_RUN,
    OPT_BLAS_THREADS,
    OPT_PROGRESS,
    OPT_CONFIG,
    OPT_CSV,
    OPT_RESUME,
    OPT_RETRY_FAILED,
    OPT_GRACE,
    OPT_MAX_MEMORY,
    OPT_DEDICATED_MASTER,
    OPT_RANKS,
    OPT_MESSAGE_US,
    OPT_LATENCY_US,
    OPT_TIMES,
    OPT_BREAK_LOCK,
    OPT_LOCK_STALE,
    OPT_AXIS_FIRST, /* OPT_AXIS_FIRST + gs_axis_id */
    OPT_SETTING_FIRST = OPT_AXIS_FIRST + GS_AXIS_ALL_COUNT,
};

/* spec_set_setting's keys, in the order of the options OPT_SETTING_FIRST + i. */
static const char *const setting_keys[] = {
    "name",  "base_seed", "precision",  "loss",         "leaky_relu_slope", "data",
    "steps", "optimizer", "train_loss", "record_every", "momentum",         "jacobian_samples"};
#define N_SETTINGS (int)(sizeof setting_keys / sizeof setting_keys[0])

static const struct option long_options[] = {
    {"output", required_argument, NULL, 'o'},
    {"force", no_argument, NULL, OPT_FORCE},
    {"dry-run", no_argument, NULL, OPT_DRY_RUN},
    {"blas-threads", required_argument, NULL, OPT_BLAS_THREADS},
    {"progress", required_argument, NULL, OPT_PROGRESS},
    {"config", required_argument, NULL, OPT_CONFIG},
    {"csv", no_argument, NULL, OPT_CSV},
    {"resume", no_argument, NULL, OPT_RESUME},
    {"retry-failed", no_argument, NULL, OPT_RETRY_FAILED},
    {"grace", required_argument, NULL, OPT_GRACE},
    {"max-memory", required_argument, NULL, OPT_MAX_MEMORY},
    {"dedicated-master", no_argument, NULL, OPT_DEDICATED_MASTER},
    {"ranks", required_argument, NULL, OPT_RANKS},
    {"message-us", required_argument, NULL, OPT_MESSAGE_US},
    {"latency-us", required_argument, NULL, OPT_LATENCY_US},
    {"times", required_argument, NULL, OPT_TIMES},
    {"break-lock", no_argument, NULL, OPT_BREAK_LOCK},
    {"lock-stale", required_argument, NULL, OPT_LOCK_STALE},
    {"activation", required_argument, NULL, OPT_AXIS_FIRST + GS_AXIS_ACTIVATION},
    {"init", required_argument, NULL, OPT_AXIS_FIRST + GS_AXIS_INIT},
    {"width", required_argument, NULL, OPT_AXIS_FIRST + GS_AXIS_WIDTH},
    {"depth", required_argument, NULL, OPT_AXIS_FIRST + GS_AXIS_DEPTH},
    {"batch", required_argument, NULL, OPT_AXIS_FIRST + GS_AXIS_BATCH},
    {"sigma-b", required_argument, NULL, OPT_AXIS_FIRST + GS_AXIS_SIGMA_B},
    {"sigma-w", required_argument, NULL, OPT_AXIS_FIRST + GS_AXIS_SIGMA_W},
    {"seed", required_argument, NULL, OPT_AXIS_FIRST + GS_AXIS_SEED},
    {"parametrization", required_argument, NULL, OPT_AXIS_FIRST + GS_AXIS_PARAMETRIZATION},
    {"learning-rate", required_argument, NULL, OPT_AXIS_FIRST + GS_AXIS_LEARNING_RATE},
    {"input-width", required_argument, NULL, OPT_AXIS_FIRST + GS_AXIS_INPUT_WIDTH},
    {"output-width", required_argument, NULL, OPT_AXIS_FIRST + GS_AXIS_OUTPUT_WIDTH},
    {"fan", required_argument, NULL, OPT_AXIS_FIRST + GS_AXIS_FAN},
    {"branch-scale", required_argument, NULL, OPT_AXIS_FIRST + GS_AXIS_BRANCH_SCALE},
    {"norm", required_argument, NULL, OPT_AXIS_FIRST + GS_AXIS_NORM},
    {"name", required_argument, NULL, OPT_SETTING_FIRST + 0},
    {"base-seed", required_argument, NULL, OPT_SETTING_FIRST + 1},
    {"precision", required_argument, NULL, OPT_SETTING_FIRST + 2},
    {"loss", required_argument, NULL, OPT_SETTING_FIRST + 3},
    {"leaky-relu-slope", required_argument, NULL, OPT_SETTING_FIRST + 4},
    {"data", required_argument, NULL, OPT_SETTING_FIRST + 5},
    {"steps", required_argument, NULL, OPT_SETTING_FIRST + 6},
    {"optimizer", required_argument, NULL, OPT_SETTING_FIRST + 7},
    {"train-loss", required_argument, NULL, OPT_SETTING_FIRST + 8},
    {"record-every", required_argument, NULL, OPT_SETTING_FIRST + 9},
    {"momentum", required_argument, NULL, OPT_SETTING_FIRST + 10},
    {"input-correlation", required_argument, NULL, OPT_AXIS_FIRST + GS_AXIS_INPUT_CORRELATION},
    {"jacobian-samples", required_argument, NULL, OPT_SETTING_FIRST + 11},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

static const char *const option_names[] = {
    "--output",
    "--force",
    "--dry-run",
    "--blas-threads",
    "--progress",
    "--config",
    "--activation",
    "--init",
    "--width",
    "--depth",
    "--batch",
    "--sigma-b",
    "--sigma-w",
    "--seed",
    "--name",
    "--base-seed",
    "--precision",
    "--loss",
    "--leaky-relu-slope",
    "--help",
    "--version",
    "--csv",
    "--resume",
    "--retry-failed",
    "--grace",
    "--max-memory",
    "--dedicated-master",
    "--ranks",
    "--message-us",
    "--latency-us",
    "--times",
    "--break-lock",
    "--lock-stale",
    "--parametrization",
    "--learning-rate",
    "--data",
    "--steps",
    "--optimizer",
    "--train-loss",
    "--record-every",
    "--momentum",
    "--input-correlation",
    "--jacobian-samples",
    "--input-width",
    "--output-width",
    "--fan",
    "--branch-scale",
    "--norm",
};

/* A whole number in [lo, hi], or an error naming the option. */
static int parse_long(const char *option, const char *text, long lo, long hi, long *out,
                      gs_error *err) {
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end != '\0' || v < lo || v > hi)
        return gs_fail(err, GS_EXIT_USAGE,
                       "%s: expected a whole number from %ld to %ld, got \"%s\"", option, lo, hi,
                       text);
    *out = v;
    return 0;
}

static int parse_seconds(const char *option, const char *text, double *out, gs_error *err) {
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end != '\0' || !(v >= 0 && v <= 86400))
        return gs_fail(err, GS_EXIT_USAGE, "%s: expected seconds from 0 to 86400, got \"%s\"",
                       option, text);
    *out = v;
    return 0;
}

/* getopt's own messages are switched off (opterr = 0) so that every error
 * reads the same way and unknown options get a suggestion. */
static int unknown_option(const char *arg, gs_error *err) {
    char word[128];
    snprintf(word, sizeof word, "%s", arg);
    char *eq = strchr(word, '=');
    if (eq) *eq = '\0';
    const char *near =
        gs_closest(word, option_names, (int)(sizeof option_names / sizeof *option_names));
    if (near)
        return gs_fail(err, GS_EXIT_USAGE,
                       "unknown option %s; did you mean %s? (gradsweep --help "
                       "lists every option)",
                       word, near);
    return gs_fail(err, GS_EXIT_USAGE, "unknown option %s (gradsweep --help lists every option)",
                   word);
}

/* A size in bytes: 123456, 512M, 8G, 1.5T, 64KiB (binary multiples). */
static int parse_size(const char *option, const char *text, size_t *out, gs_error *err) {
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    double unit = 1;
    switch (*end) {
    case 'k':
    case 'K': unit = 1024.0, end++; break;
    case 'm':
    case 'M': unit = 1024.0 * 1024, end++; break;
    case 'g':
    case 'G': unit = 1024.0 * 1024 * 1024, end++; break;
    case 't':
    case 'T': unit = 1024.0 * 1024 * 1024 * 1024, end++; break;
    default: break;
    }
    if (unit > 1 && end[0] == 'i' && end[1] == 'B')
        end += 2;
    else if (*end == 'B')
        end++;
    v *= unit;
    if (errno || end == text || *end != '\0' || !(v >= 1e6 && v < 1e18))
        return gs_fail(err, GS_EXIT_USAGE,
                       "%s: expected a size of at least 1M, like 512M, 8G or 1.5T, got \"%s\"",
                       option, text);
    *out = (size_t)v;
    return 0;
}

/* "64,256,1024": rank counts for the simulator. */
static int parse_ranks(const char *text, gs_cli *cli, gs_error *err) {
    cli->n_ranks = 0;
    for (const char *p = text; *p;) {
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (errno || end == p || v < 1 || v > 1000000 || (*end && *end != ',') ||
            cli->n_ranks == (int)(sizeof cli->ranks / sizeof *cli->ranks))
            return gs_fail(err, GS_EXIT_USAGE,
                           "--ranks: expected up to 16 rank counts from 1 to 1000000 separated "
                           "by commas, like 64,256,1024, got \"%s\"",
                           text);
        cli->ranks[cli->n_ranks++] = (int)v;
        p = *end ? end + 1 : end;
    }
    return cli->n_ranks ? 0 : gs_fail(err, GS_EXIT_USAGE, "--ranks: no rank counts given");
}

static int parse_microseconds(const char *option, const char *text, double *out, gs_error *err) {
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end != '\0' || !(v >= 0 && v <= 1e6))
        return gs_fail(err, GS_EXIT_USAGE,
                       "%s: expected microseconds from 0 to 1000000, got \"%s\"", option, text);
    *out = v * 1e-6;
    return 0;
}

static int handle_option(int c, const char *arg, gs_cli *cli, gs_error *err) {
    long v = 0;
    switch (c) {
    case OPT_RESUME: cli->resume = true; return 0;
    case OPT_RETRY_FAILED: cli->retry_failed = true; return 0;
    case OPT_DEDICATED_MASTER: cli->dedicated_master = true; return 0;
    case OPT_GRACE: return parse_seconds("--grace", arg, &cli->grace_s, err);
    case OPT_MAX_MEMORY: return parse_size("--max-memory", arg, &cli->max_memory, err);
    case OPT_RANKS: return parse_ranks(arg, cli, err);
    case OPT_MESSAGE_US: return parse_microseconds("--message-us", arg, &cli->message_s, err);
    case OPT_LATENCY_US: return parse_microseconds("--latency-us", arg, &cli->latency_s, err);
    case OPT_TIMES: cli->times_path = arg; return 0;
    case OPT_BREAK_LOCK: cli->break_lock = true; return 0;
    case OPT_LOCK_STALE:
        if (parse_seconds("--lock-stale", arg, &cli->lock_stale_s, err)) return GS_EXIT_USAGE;
        if (cli->lock_stale_s < 1)
            return gs_fail(err, GS_EXIT_USAGE,
                           "--lock-stale: expected seconds from 1 to 86400, got \"%s\"", arg);
        return 0;
    case 'o': cli->output = arg; return 0;
    case OPT_FORCE: cli->force = true; return 0;
    case OPT_DRY_RUN: cli->dry_run = true; return 0;
    case OPT_CSV: cli->csv = true; return 0;
    case OPT_BLAS_THREADS:
        if (parse_long("--blas-threads", arg, 1, 1024, &v, err)) return GS_EXIT_USAGE;
        cli->blas_threads = (int)v;
        return 0;
    case OPT_PROGRESS: return parse_seconds("--progress", arg, &cli->progress_interval_s, err);
    case OPT_CONFIG:
        if (parse_long("--config", arg, 0, (long)1 << 40, &v, err)) return GS_EXIT_USAGE;
        cli->export_config = v;
        return 0;
    case 'h':
        cli->help_topic = cli->command;
        cli->command = GS_CMD_HELP;
        return 0;
    case 'V': cli->command = GS_CMD_VERSION; return 0;
    default: break;
    }
    if (c >= OPT_AXIS_FIRST && c < OPT_AXIS_FIRST + GS_AXIS_ALL_COUNT) {
        cli->axis_value[c - OPT_AXIS_FIRST] = arg;
        return 0;
    }
    if (c >= OPT_SETTING_FIRST && c < OPT_SETTING_FIRST + N_SETTINGS) {
        if (cli->settings == (int)(sizeof cli->setting_key / sizeof *cli->setting_key))
            return gs_fail(err, GS_EXIT_USAGE, "too many sweep settings on the command line");
        cli->setting_key[cli->settings] = setting_keys[c - OPT_SETTING_FIRST];
        cli->setting_value[cli->settings++] = arg;
        return 0;
    }
    return gs_fail(err, GS_EXIT_INTERNAL, "unhandled option code %d", c);
}

/* Options that only a sweep run (or, for the simulator's, only simulate)
 * understands: the first one given, or NULL. */
static const char *run_only_option(const gs_cli *cli) {
    if (cli->resume) return "--resume";
    if (cli->retry_failed) return "--retry-failed";
    if (cli->grace_s >= 0) return "--grace";
    if (cli->dedicated_master) return "--dedicated-master";
    if (cli->break_lock) return "--break-lock";
    if (cli->lock_stale_s >= 0) return "--lock-stale";
    return NULL;
}

static const char *simulate_only_option(const gs_cli *cli) {
    if (cli->n_ranks) return "--ranks";
    if (cli->message_s >= 0) return "--message-us";
    if (cli->latency_s >= 0) return "--latency-us";
    if (cli->times_path) return "--times";
    return NULL;
}

/* A run's options that contradict each other, or belong to another command. */
static int check_run_options(const gs_cli *cli, gs_error *err) {
    if (cli->retry_failed && !cli->resume)
        return gs_fail(err, GS_EXIT_USAGE,
                       "--retry-failed goes with --resume (it recomputes the failed "
                       "configurations of the results file being resumed)");
    if (cli->resume && cli->force)
        return gs_fail(err, GS_EXIT_USAGE,
                       "--resume and --force contradict each other: --resume continues the "
                       "results file, --force replaces it; choose one");
    const char *other = NULL, *what = "a sweep run", *help = "";
    if (cli->command == GS_CMD_SIMULATE) {
        other = run_only_option(cli);
        what = "simulate", help = "simulate ";
    } else if (cli->command == GS_CMD_EXPORT) {
        other = run_only_option(cli) ? run_only_option(cli) : simulate_only_option(cli);
        what = "export", help = "export ";
    } else {
        other = simulate_only_option(cli);
    }
    if (other)
        return gs_fail(err, GS_EXIT_USAGE, "%s does not apply to %s (gradsweep %s--help)", other,
                       what, help);
    return 0;
}

/* gradsweep theory computes from formulas: options that shape a sweep or its
 * file mean nothing to it, and a silently ignored option misleads. */
static int check_theory_options(const gs_cli *cli, gs_error *err) {
    const char *wrong = NULL;
    if (cli->sweep_path)
        return gs_fail(err, GS_EXIT_USAGE,
                       "theory: takes no sweep file (got \"%s\"); choose with --activation, "
                       "--sigma-b and --sigma-w",
                       cli->sweep_path);
    if (cli->output) wrong = "--output";
    if (cli->force) wrong = "--force";
    if (cli->dry_run) wrong = "--dry-run";
    if (cli->blas_threads) wrong = "--blas-threads";
    if (cli->progress_interval_s >= 0) wrong = "--progress";
    if (cli->export_config >= 0) wrong = "--config";
    const char *run_only = run_only_option(cli);
    if (run_only) wrong = run_only;
    for (int a = 0; a < GS_AXIS_ALL_COUNT; a++)
        if (cli->axis_value[a] && a != GS_AXIS_ACTIVATION && a != GS_AXIS_SIGMA_B &&
            a != GS_AXIS_SIGMA_W)
            wrong = axis_option((gs_axis_id)a);
    for (int k = 0; k < cli->settings; k++)
        if (strcmp(cli->setting_key[k], "leaky_relu_slope") != 0) wrong = cli->setting_key[k];
    if (wrong)
        return gs_fail(err, GS_EXIT_USAGE,
                       "theory: %s does not apply; it takes --activation, --sigma-b, --sigma-w, "
                       "--leaky-relu-slope and --csv (gradsweep theory --help)",
                       wrong);
    return 0;
}

int cli_parse(int argc, char **argv, gs_cli *cli, gs_error *err) {
    *cli = (gs_cli){.command = GS_CMD_RUN,
                    .progress_interval_s = -1,
                    .export_config = -1,
                    .grace_s = -1,
                    .lock_stale_s = -1,
                    .message_s = -1,
                    .latency_s = -1};
    int first = 1;
    if (argc > 1 && strcmp(argv[1], "export") == 0) {
        cli->command = GS_CMD_EXPORT;
        first = 2;
    } else if (argc > 1 && strcmp(argv[1], "theory") == 0) {
        cli->command = GS_CMD_THEORY;
        first = 2;
    } else if (argc > 1 && strcmp(argv[1], "simulate") == 0) {
        cli->command = GS_CMD_SIMULATE;
        first = 2;
    } else if (argc > 1 && strcmp(argv[1], "help") == 0) {
        cli->command = GS_CMD_HELP;
        return 0;
    }
    /* getopt_long starts at argv[1]: hide the subcommand from it. */
    int sub_argc = argc - (first - 1);
    char **sub_argv = argv + (first - 1);
    opterr = 0;
    optind = 1;
    for (;;) {
        optopt = 0;
        int c = getopt_long(sub_argc, sub_argv, ":o:hV", long_options, NULL);
        if (c == -1) break;
        if (c == '?') {
            char short_option[3] = {'-', (char)optopt, '\0'};
            return unknown_option(optopt ? short_option : sub_argv[optind - 1], err);
        }
        if (c == ':')
            return gs_fail(err, GS_EXIT_USAGE, "option %s needs a value (gradsweep --help)",
                           sub_argv[optind - 1]);
        int rc = handle_option(c, optarg, cli, err);
        if (rc) return rc;
        if (cli->command == GS_CMD_HELP || cli->command == GS_CMD_VERSION) return 0;
    }
    for (int k = optind; k < sub_argc; k++) {
        if (cli->sweep_path)
            return gs_fail(err, GS_EXIT_USAGE,
                           "more than one sweep file given (\"%s\" and \"%s\"); give one",
                           cli->sweep_path, sub_argv[k]);
        cli->sweep_path = sub_argv[k];
    }
    if (cli->command == GS_CMD_THEORY) return check_theory_options(cli, err);
    int rc = check_run_options(cli, err);
    if (rc) return rc;
    if (cli->csv)
        return gs_fail(err, GS_EXIT_USAGE,
                       "--csv applies to gradsweep theory only (see "
                       "gradsweep theory --help)");
    if (cli->command == GS_CMD_EXPORT) {
        if (cli->export_config < 0)
            return gs_fail(err, GS_EXIT_USAGE,
                           "export: --config I is required (the configuration's "
                           "index in the results file's config dimension)");
        if (!cli->output) return gs_fail(err, GS_EXIT_USAGE, "export: -o FILE is required");
    }
    return 0;
}

int cli_apply(const gs_cli *cli, gs_spec *spec, gs_error *err) {
    for (int k = 0; k < cli->settings; k++) {
        int rc = spec_set_setting(spec, cli->setting_key[k], cli->setting_value[k], err);
        if (rc) return rc;
    }
    for (int a = 0; a < GS_AXIS_ALL_COUNT; a++) {
        if (!cli->axis_value[a]) continue;
        int rc = spec_set_axis(spec, (gs_axis_id)a, cli->axis_value[a], err);
        if (rc) return rc;
    }
    return 0;
}

static const char help_run[] =
    "Usage: mpirun -n RANKS gradsweep [SWEEP.yaml] [OPTIONS]\n"
    "       gradsweep export SWEEP.yaml --config I -o NET.h5\n"
    "       gradsweep theory [--activation LIST] [--sigma-b LIST] [--sigma-w LIST] [--csv]\n"
    "       gradsweep simulate SWEEP.yaml [--ranks 64,256,1024,4096]\n"
    "\n"
    "Maps where deep networks' signals and gradients vanish or explode. Every\n"
    "configuration of a grid (depth, width, sigma_w, activation, ...) builds a\n"
    "fully-connected network at random initialization, pushes a batch forward and\n"
    "the gradient of a probe loss backward, and records per-layer statistics (q,\n"
    "cosine similarity c, delta_sq, gradient norms, ...) into one HDF5 file that\n"
    "h5py, xarray, MATLAB, Julia or h5dump read directly (docs/schema.md).\n"
    "Runs on one core as ./gradsweep, or on many with mpirun/srun: rank 0 hands\n"
    "configurations out costliest first and computes too; results do not depend\n"
    "on the number of ranks.\n"
    "\n"
    "Output:\n"
    "  -o, --output FILE        results file (default: the sweep file's output: key,\n"
    "                           else NAME.h5 in the current directory)\n"
    "      --force              replace an existing results file (never a non-HDF5 file)\n"
    "      --dry-run            print the grid, the largest configuration, memory and a\n"
    "                           time estimate, and exit without computing\n"
    "\n"
    "Grid axes (override the sweep file). LIST is 1,2,3 or A:B:N (N evenly spaced\n"
    "values from A to B):\n"
    "      --depth LIST         weight layers L, e.g. 10,50,100\n"
    "      --width LIST         units per layer n (the input has n features too, unless\n"
    "                           --input-width says otherwise)\n"
    "      --sigma-w LIST       weight scale: Var(W_ij) = sigma_w^2 / fan (fan_in unless\n"
    "                           --fan says otherwise); also he (sqrt 2), lecun (1),\n"
    "                           xavier (1 with fan avg: Glorot), e.g. 0.5:2:16 or 1,he;\n"
    "                           and the frameworks' defaults, which also draw the biases:\n"
    "                           torch_default (torch.nn.Linear: sqrt(1/3) with fan in, so\n"
    "                           W ~ U(+-1/sqrt(fan_in)) with init uniform, and biases\n"
    "                           U(+-1/sqrt(fan_in)) in place of N(0, sigma_b^2)) and\n"
    "                           keras_default (Dense's glorot_uniform: 1 with fan avg,\n"
    "                           zero biases); beside them sigma_b must be 0, and init\n"
    "                           defaults to uniform (or must be given, when other\n"
    "                           scales share the sweep)\n"
    "      --sigma-b LIST       bias standard deviation (default 0)\n"
    "      --activation LIST    linear relu leaky_relu tanh sigmoid selu gelu silu elu\n"
    "                           softplus erf, e.g. relu,tanh\n"
    "      --init LIST          gaussian uniform orthogonal truncated_normal\n"
    "                           torch_trunc_normal (default gaussian). orthogonal is\n"
    "                           semi-orthogonal where a layer is not square;\n"
    "                           truncated_normal is Keras' and JAX's (cut at +-2 standard\n"
    "                           deviations, rescaled to keep Var = sigma_w^2 / fan: he_normal,\n"
    "                           glorot_normal, lecun_normal); torch_trunc_normal is\n"
    "                           torch.nn.init.trunc_normal_(std = sigma_w/sqrt(fan)) with\n"
    "                           its absolute bounds -2, 2 and no rescaling\n"
    "      --seed LIST          replicate seeds (default 0), e.g. 0:9:10\n"
    "      --batch LIST         input samples x ~ N(0, 1) (default 128); with training,\n"
    "                           the minibatch size\n"
    "      --learning-rate LIST training only: the step size, e.g. 0.001,0.01,0.1\n"
    "      --parametrization LIST  training only: standard (default), ntk, mup: how width\n"
    "                           scales init, multipliers and learning rates (Tensor\n"
    "                           Programs V; docs/theory.md)\n"
    "      --input-correlation LIST  pairwise correlation rho of the batch's inputs, in\n"
    "                           [0, 1): x_s = sqrt(rho) g + sqrt(1-rho) e_s, g shared, so\n"
    "                           c[0] = rho (default: no axis, independent samples). With\n"
    "                           it the file also holds the measured depth scales\n"
    "                           xi_c_measured, xi_q_measured (docs/theory.md), e.g. 0,0.9\n"
    "      --input-width LIST   features of x: layer 1 maps input_width -> width\n"
    "                           (default: width), e.g. 784\n"
    "      --output-width LIST  units of the last layer: layer L maps width ->\n"
    "                           output_width (default: width), e.g. 10\n"
    "      --fan LIST           in, out or avg: Var(W_ij) = sigma_w^2 / fan_in, / fan_out\n"
    "                           or / ((fan_in + fan_out)/2), Keras' VarianceScaling modes\n"
    "                           (default: the sigma_w name's, avg for xavier and\n"
    "                           keras_default, else in)\n"
    "      --branch-scale LIST  residual blocks: none (default, the plain network), a\n"
    "                           number alpha >= 0, or 1/sqrt(depth) (quote it for the\n"
    "                           shell); layers 2..L become pre-activation blocks\n"
    "                           z[l] = z[l-1] + alpha (W[l] phi(N(z[l-1])) + b[l]), e.g.\n"
    "                           'none,1,1/sqrt(depth)' (SkipInit, Fixup, NF-nets)\n"
    "      --norm LIST          none (default) or layernorm: N above, LayerNorm per\n"
    "                           sample over the units, no affine, eps 1e-5 (plain\n"
    "                           networks: a[l] = phi(N(z[l])))\n"
    "\n"
    "Sweep settings:\n"
    "      --name NAME          sweep name (default: the sweep file's stem)\n"
    "      --base-seed N        with each config's seed, fixes every random number\n"
    "      --precision P        float32 (default) or float64\n"
    "      --loss L             probe (default: l = <r, z[L]>, r ~ N(0, I), so delta\n"
    "                           measures pure backward propagation) or mse\n"
    "                           (l = 1/2 ||z[L] - y||^2, y ~ N(0, I))\n"
    "      --leaky-relu-slope S negative slope of leaky_relu (default 0.01)\n"
    "\n"
    "Training (a train: section, or --steps, makes a sweep train each network for\n"
    "a few hundred steps on real data and record its loss and accuracy):\n"
    "      --data SOURCE        fashion-mnist (Debian's dataset-fashion-mnist, 784\n"
    "                           features, 10 classes), or FILE.h5 with x (N, d) and y\n"
    "                           (N,) labels or (N, k) targets (docs/usage.md, Data)\n"
    "      --steps N            updates per configuration\n"
    "      --optimizer O        sgd (default), momentum, adam (PyTorch's updates)\n"
    "      --train-loss L       cross_entropy (default; labels) or mse (targets, or\n"
    "                           one-hot labels)\n"
    "      --record-every K     training loss and accuracy every K steps (default 10)\n"
    "      --momentum MU        heavy-ball momentum of optimizer momentum (default 0.9)\n"
    "\n"
    "Jacobian spectra (dynamical isometry; docs/theory.md, Pennington et al. 2017):\n"
    "      --jacobian-samples K for the first K samples of each batch (default 0: off,\n"
    "                           costs nothing), the input-output Jacobian J[l] = da[l]/dx\n"
    "                           layer by layer: the mean and normalised variance of its\n"
    "                           squared singular values per layer, every singular value of\n"
    "                           J[L] of the first sample, and the free-probability theory\n"
    "                           beside them. Costs about 3 n^3 flops per layer per sample\n"
    "                           (width 1024, depth 100, K = 1: seconds on one core) and\n"
    "                           2 K n^2 numbers of memory\n"
    "\n"
    "Running:\n"
    "      --blas-threads N     OpenBLAS threads per rank (default 1, or\n"
    "                           $OPENBLAS_NUM_THREADS when set)\n"
    "      --max-memory SIZE    memory a rank may use, e.g. 8G (default: the node's\n"
    "                           available memory shared by its ranks). A configuration\n"
    "                           that does not fit redraws its weights and checkpoints its\n"
    "                           activations (same numbers, more time); one that cannot fit\n"
    "                           even so is refused before anything starts\n"
    "      --progress SECONDS   seconds between progress reports on stderr (default 1\n"
    "                           on a terminal, 10 otherwise; 0 for none)\n"
    "      --dedicated-master   rank 0 only hands out work (thousands of ranks, short\n"
    "                           configurations: see gradsweep simulate)\n"
    "\n"
    "Stopping and resuming:\n"
    "  SIGTERM, SIGINT or SIGUSR1 at the ranks stop a sweep gracefully (send SIGUSR1 to\n"
    "  mpirun or srun: both forward it; on SIGTERM they kill the ranks themselves):\n"
    "  no new configurations start, those in flight finish, the\n"
    "  file is closed, and gradsweep exits with 5. A killed sweep loses only what was in\n"
    "  flight. Either way the same command with --resume computes what is missing.\n"
    "      --grace SECONDS      how long in-flight configurations may finish after a stop\n"
    "                           signal before they are abandoned (default 60)\n"
    "      --resume             continue the results file -o: compute only the pending\n"
    "                           configurations (the file must hold this very sweep)\n"
    "      --retry-failed       with --resume: also recompute failed configurations\n"
    "\n"
    "One writer per results file:\n"
    "  A run holds RESULTS.h5.lock while it writes RESULTS.h5; a second run on the same\n"
    "  file (new, --force, --resume) is refused with exit 8, naming the holder (host,\n"
    "  pid, Slurm job, since when). A lock left by a dead run is broken by itself: on\n"
    "  the same host when its process is gone, for a requeued Slurm job, or elsewhere\n"
    "  when its heartbeat (the lock's mtime) stopped.\n"
    "      --break-lock         break the lock even though its holder looks alive (that\n"
    "                           run then stops at its next heartbeat)\n"
    "      --lock-stale SECONDS how long without a heartbeat before other hosts may\n"
    "                           take this run for dead (default 120; heartbeat every\n"
    "                           sixth of it)\n"
    "  -h, --help               this text;  -V, --version  the version\n"
    "\n"
    "Sweep file (YAML; every key optional unless marked):\n"
    "  name: lecture-demo           base_seed: 42         precision: float32\n"
    "  loss: probe                  leaky_relu_slope: 0.01  output: results.h5\n"
    "  grid:\n"
    "    depth: [10, 50, 100]                    # required\n"
    "    width: [64, 256]                        # required\n"
    "    sigma_w: {linspace: [0.5, 2.0, 16]}     # required; also {logspace: [a, b, n]}\n"
    "                                            # (10^a .. 10^b), {geomspace: [a, b, n]},\n"
    "                                            # lists, he / lecun / xavier\n"
    "    activation: [linear, relu, tanh]        # required\n"
    "    sigma_b: [0.0]\n"
    "    init: [gaussian]\n"
    "    seed: {range: 3}                        # 0, 1, 2; also {range: [start, stop]}\n"
    "    batch: [128]\n"
    "    learning_rate: {logspace: [-3, 0, 7]}   # required with train:\n"
    "    parametrization: [standard, mup]        # with train:; default standard\n"
    "    input_correlation: [0.0, 0.9]           # c[0]; default: independent samples\n"
    "    input_width: [784]                      # default: width\n"
    "    output_width: [10]                      # default: width\n"
    "    fan: [in, avg]                          # default: the sigma_w name's, else in\n"
    "    branch_scale: [none, 1, 1/sqrt(depth)]  # residual blocks; default none\n"
    "    norm: [none, layernorm]                 # default none\n"
    "  data: fashion-mnist          # or FILE.h5, or {source: ..., path: ...,\n"
    "                               # standardize: feature|global|none}\n"
    "  train: {steps: 300, optimizer: sgd, loss: cross_entropy, record_every: 10,\n"
    "          momentum: 0.9, beta1: 0.9, beta2: 0.999, eps: 1.0e-8, base_width: 1,\n"
    "          stats_steps: [0, 1, 2, 3]}      # steps required; the rest defaults\n"
    "  jacobian_samples: 1          # input-output Jacobian spectra of the first K samples\n"
    "A training sweep measures each network at initialization as any sweep does, then\n"
    "trains it and records train_loss and train_accuracy at every record_every-th\n"
    "step, test_loss and test_accuracy at the end, and per-layer training statistics\n"
    "(mean |z[l]|: the muP coordinate check) at stats_steps (docs/schema.md).\n"
    "jobs/trainability.yaml: the trainability diagram on Fashion-MNIST.\n"
    "Every axis takes a scalar, a list or a generator; values must be unique.\n"
    "Configurations are numbered in the canonical order activation, init, width,\n"
    "depth, batch, sigma_b, sigma_w, seed (the last varies fastest); with training\n"
    "parametrization and learning_rate follow seed, and input_correlation and\n"
    "the network axes (input_width, output_width, fan, branch_scale, norm), when\n"
    "given, follow them all.\n"
    "\n"
    "Exit codes: 0 done (nonfinite results are results), 1 internal error, 2 bad\n"
    "command line or sweep file, 3 output file problem, 4 some configurations\n"
    "failed, 5 stopped by a signal (resumable), 6 not enough memory, 7 launched\n"
    "wrong, 8 another run is writing the results file, 9 the BLAS computes wrong\n"
    "products (docs/usage.md lists them all).\n"
    "GEMM kernel: the one for this CPU's widest vector instructions, unless\n"
    "OPENBLAS_CORETYPE names one (the user's value wins) or GRADSWEEP_BLAS_KERNEL=library\n"
    "keeps the library's own choice; --version and the file's blas_kernel say which.\n"
    "Examples:\n"
    "  mpirun -n 4 gradsweep jobs/example.yaml -o example.h5\n"
    "  gradsweep --depth 10,50 --width 256 --sigma-w 0.5:2:16 --activation relu,tanh \\\n"
    "            --seed 0:2:3 -o quick.h5\n"
    "  gradsweep jobs/example.yaml --dry-run\n"
    "Documentation: docs/usage.md, docs/schema.md, docs/theory.md; where the edge of\n"
    "chaos lies before a sweep: gradsweep theory --help.\n";

static const char help_export[] =
    "Usage: gradsweep export SWEEP.yaml --config I -o NET.h5 [axis and setting options]\n"
    "\n"
    "Recomputes configuration I of the sweep (its index in the results file's config\n"
    "dimension) and writes everything it is made of to an HDF5 file, in its precision:\n"
    "  x (B, input_width)       input samples\n"
    "  r or y (B, output_width) probe vectors (loss probe) or targets (loss mse)\n"
    "  unit_weights (L, n, n)   U, with W = layer_sigma_w U (row-major, out x in)\n"
    "  unit_biases (L, n)       beta, with b = layer_sigma_b beta\n"
    "  delta (L, B, n)          dl/dz per sample, every layer\n"
    "  grad_w (L, n, n), grad_b (L, n)   d loss / dW and d loss / db\n"
    "  fan_in, fan_out (L)      each layer's shape: n is the widest layer; a layer's\n"
    "                           arrays fill their leading (fan_out, fan_in) corner, NaN\n"
    "                           around it\n"
    "  layer_sigma_w, layer_sigma_b (L)  each layer's scales: sigma_w sqrt(fan_in/fan),\n"
    "                           and sigma_b (torch_default: 1/sqrt(fan_in), with\n"
    "                           uniform_biases (L) 1: beta ~ U(-1, 1))\n"
    "  residual, layer_branch_scale (L)  1 for the residual blocks and their alpha\n"
    "                           (NaN for dense layers); attributes branch_scale, norm and\n"
    "                           layernorm_eps say the network's blocks and norm\n"
    "  q, c, delta_sq, ... (L)  the per-layer statistics exactly as a sweep stores them\n"
    "  with jacobian_samples K > 0 also:\n"
    "  jacobian (K, n, n)       J[L] = d a[L] / d x of each of the first K samples, float64\n"
    "                           (row i: output unit i; column j: input feature j)\n"
    "  jac_sq_sv_mean, jac_sq_sv_var_ratio (L), jac_sv (n)   as a sweep stores them\n"
    "and, as attributes, the configuration and the loss value. With the\n"
    "input_correlation axis also c_theory, q_theory (L) and, as attributes, rho,\n"
    "c*, q*, the theory's and the measured depth scales (xi_c_measured, ...).\n"
    "Use it to check gradsweep against another framework, or to study one network\n"
    "closely.\n"
    "\n"
    "A training sweep's configuration is trained, and the file holds what PyTorch\n"
    "needs to repeat it (tests/torch_train_reference.py reads it), in float64:\n"
    "  unit_weights_L, unit_biases_L   U[l] and beta[l] the parameters start from\n"
    "  x_train, labels_train or targets_train (and x_test, ...)   the data\n"
    "  batch_rows (steps + 1, B)       the rows of every minibatch\n"
    "  gradsweep/                      gradsweep's record: train_loss, train_accuracy,\n"
    "                                  w_L, b_L after the last step, the training\n"
    "                                  statistics (stats_steps, L)\n"
    "and the settings (optimizer, loss, parametrization, learning_rate, ...) as\n"
    "attributes. The data is written whole: Fashion-MNIST makes 440 MB.\n";

static const char help_theory[] =
    "Usage: gradsweep theory [--activation LIST] [--sigma-b LIST] [--sigma-w LIST]\n"
    "                        [--leaky-relu-slope S] [--csv]\n"
    "\n"
    "Mean-field theory of wide networks at initialization (Poole et al. 2016,\n"
    "Schoenholz et al. 2017; docs/theory.md), before any cluster time is spent.\n"
    "With weights N(0, sigma_w^2/n) and biases N(0, sigma_b^2), the pre-activations'\n"
    "second moment follows the length map q -> sigma_w^2 E[phi(sqrt(q) z)^2] +\n"
    "sigma_b^2 to a fixed point q*, and the backward signal grows or shrinks by\n"
    "  chi1 = sigma_w^2 E[phi'(sqrt(q*) z)^2]\n"
    "per layer: chi1 < 1 ordered (gradients vanish), chi1 > 1 chaotic (they explode),\n"
    "chi1 = 1 the edge of chaos, where deep networks train.\n"
    "\n"
    "For every activation and sigma_b this prints the critical sigma_w (chi1 = 1) and\n"
    "what holds there; with --sigma-w, the same at the scales given instead:\n"
    "  sigma_w      the critical one, or the one given\n"
    "  q*           the fixed point of the length map (with --sigma-w: the one reached\n"
    "               from inputs x ~ N(0, 1), as in a sweep); 0 or inf where q dies\n"
    "               out or grows without bound\n"
    "  chi1         1 at criticality\n"
    "  xi_q, xi_c   depth scales over which q approaches q* and over which inputs'\n"
    "               correlations are forgotten: -1/log of the maps' slopes; xi_q is\n"
    "               nan where q* repels (q moves away from it: there is no approach)\n"
    "  6 xi_c       the deepest network that still trains (Schoenholz et al. 2017);\n"
    "               inf at criticality\n"
    "  stable       whether q* attracts the length map (yes), repels it (no: for\n"
    "               silu and gelu with a bias the critical q* can repel), or neither\n"
    "               (marginal: q approaches as a power law, or stays where it is)\n"
    "  phase        ordered, critical or chaotic (with --sigma-w)\n"
    "\n"
    "Options (LIST is 1,2,3 or A:B:N, N evenly spaced values from A to B):\n"
    "      --activation LIST    linear relu leaky_relu tanh sigmoid selu gelu silu elu\n"
    "                           softplus erf (default: all)\n"
    "      --sigma-b LIST       bias standard deviations (default 0)\n"
    "      --sigma-w LIST       evaluate at these weight scales instead of at the\n"
    "                           critical one; also he, lecun, xavier\n"
    "      --leaky-relu-slope S negative slope of leaky_relu (default 0.01)\n"
    "      --csv                comma-separated values with a header line\n"
    "\n"
    "Examples:\n"
    "  gradsweep theory --activation tanh --sigma-b 0.1,0.2236,0.3162\n"
    "  gradsweep theory --activation tanh --sigma-b 0.2 --sigma-w 1:2:11 --csv\n"
    "Exit codes: 0, or 2 for a bad option (one line on stderr).\n";

static const char help_simulate[] =
    "Usage: gradsweep simulate SWEEP.yaml [--ranks LIST] [--message-us US] [--latency-us US]\n"
    "                          [--times RESULTS.h5] [axis and setting options]\n"
    "\n"
    "Predicts how the sweep would run on many ranks, before spending cluster time, by\n"
    "replaying the scheduler's own hand-out rules under modelled time: each\n"
    "configuration takes its time (measured here on real networks of each shape, as\n"
    "--dry-run does, or read from the elapsed_s of a finished results file with\n"
    "--times), a message takes --latency-us to arrive (default 20), and rank 0 spends\n"
    "--message-us on each assignment it sends, receiving the completion that prompted\n"
    "it included (default 5). Rank 0 computes too and answers\n"
    "between its own layers, as the real one does; the table also shows rank 0\n"
    "dedicated to handing out (--dedicated-master).\n"
    "\n"
    "For each rank count (default 64,256,1024,4096): predicted wall time, efficiency\n"
    "(work / (computing ranks x wall)), rank 0's load (share of its time spent on\n"
    "messages), the mean wait of a worker for its next configuration, and the messages\n"
    "through rank 0 per configuration (completions in and assignments out; bundles of\n"
    "short configurations make it fall below 2). Rank 0 is the bottleneck where its\n"
    "load nears 1 or a dedicated rank 0 does better.\n";

/* The citation matches CITATION.cff (cmake/install.cmake checks the version). */
void cli_print_version(FILE *out, const char *blas) {
    fprintf(out, "gradsweep %s (%s)\n", GS_VERSION, blas);
    fputs("Copyright (c) 2026 The gradsweep developers. MIT license.\n"
          "How to cite: The gradsweep developers (2026). gradsweep: where deep networks'\n"
          "  signals and gradients vanish or explode, version " GS_VERSION " [software].\n"
          "  CITATION.cff (in share/doc/gradsweep of the installation, or the source tree)\n"
          "  has the reference for citation managers.\n",
          out);
}

void cli_print_help(FILE *out, gs_command topic) {
    fputs(topic == GS_CMD_EXPORT     ? help_export
          : topic == GS_CMD_THEORY   ? help_theory
          : topic == GS_CMD_SIMULATE ? help_simulate
                                     : help_run,
          out);
}
