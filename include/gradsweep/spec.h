/* SPDX-License-Identifier: MIT */
/* spec.h — a sweep as the user wrote it: the axes of the grid and the
 * sweep-wide settings, from a YAML sweep file, from command-line options, or
 * both (options override the file's axes).
 *
 * The parser (libyaml) keeps line numbers, so every error names the file, the
 * line, the key and the value, and says what would be right:
 *     sweep.yaml:7: sigma_w: expected a number or he/lecun/xavier/torch_default/…, got "abc"
 * spec_to_yaml() writes the effective sweep back as canonical YAML with every
 * value explicit; parsing that text gives the same spec (it is stored in the
 * results file, and --resume compares it). */
#ifndef GRADSWEEP_SPEC_H
#define GRADSWEEP_SPEC_H

#include <stddef.h>
#include <stdint.h>

#include "gradsweep/common.h"
#include "gradsweep/config.h"
#include "gradsweep/train_spec.h"

/* The axes, in the canonical order of the grid: the first varies slowest.
 * Every sweep has the first GS_AXIS_COUNT, seed fastest among them (so a
 * configuration's replicates sit next to each other). A sweep with a train:
 * section also has the training axes after them, learning_rate fastest:
 * spec_axis_count() says how many a sweep has. The axes after those are
 * optional: a sweep has one only when it gives it (input_correlation, and
 * the network axes input_width, …, branch_scale, norm), and spec_has_axis() says which. An axis
 * a sweep does not have counts as one value in the grid (position 0, its
 * default), so adding it to a sweep changes neither the others' order nor
 * their numbers. */
typedef enum gs_axis_id {
    GS_AXIS_ACTIVATION = 0,
    GS_AXIS_INIT,
    GS_AXIS_WIDTH,
    GS_AXIS_DEPTH,
    GS_AXIS_BATCH,
    GS_AXIS_SIGMA_B,
    GS_AXIS_SIGMA_W,
    GS_AXIS_SEED,
    GS_AXIS_COUNT,                           /* the axes of every sweep */
    GS_AXIS_PARAMETRIZATION = GS_AXIS_COUNT, /* training: standard ntk mup codes */
    GS_AXIS_LEARNING_RATE,                   /* training: the step size */
    GS_AXIS_INPUT_CORRELATION, /* optional: the inputs' pairwise correlation, in [0, 1) */
    /* The network's shape (issue 12): an axis of these is part of a sweep only
     * when given (spec_has_axis); absent, it keeps the square, plain network. */
    GS_AXIS_INPUT_WIDTH,  /* features of x (default: width) */
    GS_AXIS_OUTPUT_WIDTH, /* units of layer L (default: width) */
    GS_AXIS_FAN,          /* in out avg codes (default: the sigma_w name's fan, else in) */
    GS_AXIS_BRANCH_SCALE, /* α of residual blocks: NaN none (plain), GS_BRANCH_SCALE_INV_SQRT_DEPTH
                           * 1/sqrt(depth), else the number (default: none) */
    GS_AXIS_NORM,         /* none layernorm codes (default: none) */
    GS_AXIS_ALL_COUNT     /* every axis, training's and the optional ones included */
} gs_axis_id;

#define GS_AXIS_NETWORK_FIRST GS_AXIS_INPUT_WIDTH

/* The branch_scale axis holds "none" as NaN and "1/sqrt(depth)" as this value
 * (numbers are ≥ 0); grid_config turns them into gs_config's branch. */
#define GS_BRANCH_SCALE_INV_SQRT_DEPTH (-1.0)

/* An axis holds integers (depth, width, batch, seed, and the activation,
 * init and parametrization codes) or reals (sigma_w, sigma_b, learning_rate);
 * the other array is NULL. */
typedef struct gs_axis {
    size_t count;
    int64_t *integer;
    double *real;
    int line; /* line in the sweep file where it was given; 0 if from the command line or default */
} gs_axis;

/* jacobian_samples: at most this many samples (each a (n, n) Jacobian in memory). */
#define GS_MAX_JACOBIAN_SAMPLES 4096

typedef struct gs_spec {
    char *name;                      /* sweep name; default: the file's stem, or "sweep" */
    uint64_t base_seed;              /* default 0 */
    gs_precision precision;          /* default float32 */
    gs_loss loss;                    /* default probe */
    double leaky_relu_slope;         /* default 0.01 */
    char *output;                    /* `output:` key of the file, or NULL */
    gs_data_source data;             /* `data:` (default gaussian; anything else needs train:) */
    gs_train_settings train;         /* `train:`; train.line == 0: no training, the sweep measures
                                        networks at initialization only, as before training existed */
    gs_axis axis[GS_AXIS_ALL_COUNT]; /* the training axes stay empty without train: */
    char *source_path;               /* the sweep file's path, or NULL */
    char *source_text;               /* the sweep file's text, or NULL */
    int jacobian_samples;            /* `jacobian_samples:` K, default 0: no Jacobian */
    int jacobian_line;               /* where it was given: its line, -1 command line, 0 not */
    int *sigma_w_names; /* each sigma_w value's gs_scale_name (he, …; GS_SCALE_NUMBER for a
                         * number), or NULL where every value is a number */
    /* Training: the loaded data's shape (main sets it after loading the data;
     * grid_config gives its widths to every configuration as input_width and
     * output_width). Zero: not loaded (no training). */
    gs_data_shape data_shape;
} gs_spec;

/* Whether the sweep trains (it has a train: section, or training options). */
int spec_has_training(const gs_spec *spec);
/* The leading axes the sweep has: GS_AXIS_COUNT, or with training up to and
 * including learning_rate. */
int spec_axis_count(const gs_spec *spec);
/* Whether the sweep has axis a: one of the leading ones above, or an optional
 * axis that was given values. */
int spec_has_axis(const gs_spec *spec, gs_axis_id a);
/* Whether the sweep describes networks other than the square plain one's
 * defaults: a network axis given, or a sigma_w named torch_default or
 * keras_default. Such a sweep's results file has the network's variables
 * (input_width, fan, sigma_w_name, …), and its canonical YAML keeps the
 * sigma_w names (others write them as numbers, as before issue 12). */
int spec_has_network(const gs_spec *spec);
/* The name of sigma_w value i (GS_SCALE_NUMBER for a number). */
gs_scale_name spec_sigma_w_name(const gs_spec *spec, size_t i);

/* "sigma_w", …: the key used in sweep files and in results files. */
const char *axis_name(gs_axis_id id);
/* "--sigma-w", …: the command-line option that sets the axis. */
const char *axis_option(gs_axis_id id);
int axis_is_real(gs_axis_id id);

/* An empty spec with the defaults above; axes without defaults are empty. */
void spec_init(gs_spec *spec);
void spec_free(gs_spec *spec);

/* Reads and parses a sweep file. Errors: GS_EXIT_USAGE, naming file and line. */
int spec_load_file(gs_spec *spec, const char *path, gs_error *err);
/* What spec_load_file does once it has read the text: for ranks that receive
 * the file's text from rank 0. Keeps a copy of text (source_text) and path
 * (source_path), and names the sweep after the file's stem if it has no name. */
int spec_load_text(gs_spec *spec, const char *path, const char *text, size_t length, gs_error *err);
/* Parses sweep-file text; source_name is used in messages ("sweep.yaml"). */
int spec_parse_yaml(gs_spec *spec, const char *text, size_t length, const char *source_name,
                    gs_error *err);

/* Sets an axis from a command-line value, replacing what the file said:
 * "10,50,100", "0.5:2.0:16" (16 evenly spaced values from 0.5 to 2.0),
 * names for sigma_w (he, lecun, xavier, torch_default, keras_default),
 * activation, init, fan names. */
int spec_set_axis(gs_spec *spec, gs_axis_id id, const char *value, gs_error *err);
/* Sets a sweep-wide setting from the command line: key is "name", "base_seed",
 * "precision", "loss" or "leaky_relu_slope"; "data" (as the data: key's
 * scalar form); or one of train:'s "steps", "optimizer", "train_loss" (train:
 * loss), "record_every", "momentum", which make the sweep a training one; or
 * "jacobian_samples". */
int spec_set_setting(gs_spec *spec, const char *key, const char *value, gs_error *err);

/* Checks that every axis is given and in range, with no duplicate values,
 * and that jacobian_samples is at most the smallest batch.
 * Defaults fill axes that have one (sigma_b [0], init [gaussian], seed [0],
 * batch [128], and with training parametrization [standard]); depth, width,
 * sigma_w and activation must be given, and with training learning_rate.
 * A sigma_w of torch_default or keras_default brings its biases (sigma_b
 * must be [0]) and makes init default to [uniform] (every sigma_w a framework
 * default) or be required (some of them).
 * Training needs data with labels or targets (not gaussian); data:,
 * learning_rate and parametrization need training. */
int spec_finalize(gs_spec *spec, gs_error *err);

/* The effective sweep as canonical YAML (malloc'd; the caller frees). */
char *spec_to_yaml(const gs_spec *spec);

#endif
