/* SPDX-License-Identifier: MIT */
/* train_spec.h — what a sweep file's `data:` and `train:` sections say: the
 * codes of the data sources, optimizers, training losses and
 * parametrizations, and the two plain structs the spec holds them in.
 *
 * Nothing here reads files or trains: data.h loads the data, train_loss.h, optim.h
 * and parametrization.h hold the maths, spec.c reads and writes the YAML.
 * Without a `train:` section (train.steps == 0) a sweep means what it meant
 * before training existed.
 *
 * Codes are stored in results files (as int32 with flag_meanings): a code
 * never changes meaning; new ones are appended to their list. Each list is an
 * X-macro, X(enumerator, name, meaning), so names and enums are written once. */
#ifndef GRADSWEEP_TRAIN_SPEC_H
#define GRADSWEEP_TRAIN_SPEC_H

#include <stddef.h>
#include <stdint.h>

/* Where inputs come from (the top-level `data:` key). */
#define GS_DATA_KIND_LIST(X)                                                                       \
    X(GS_DATA_GAUSSIAN, "gaussian", "x ~ N(0, 1), drawn per configuration; no targets")            \
    X(GS_DATA_FASHION_MNIST, "fashion-mnist",                                                      \
      "Fashion-MNIST idx files: 60000 train and 10000 test images, 784 features, 10 classes")      \
    X(GS_DATA_HDF5, "hdf5", "the user's HDF5 file: x (N, d), y (N,) labels or (N, k) targets")

/* The optimizer of `train: {optimizer: …}`. */
#define GS_OPTIMIZER_LIST(X)                                                                       \
    X(GS_OPT_SGD, "sgd", "p -= lr g")                                                              \
    X(GS_OPT_MOMENTUM, "momentum", "v = mu v + g; p -= lr v (torch.optim.SGD, heavy ball)")        \
    X(GS_OPT_ADAM, "adam", "torch.optim.Adam with bias correction")

/* The per-sample loss of training, on the output units z = z[L]. */
#define GS_TRAIN_LOSS_LIST(X)                                                                      \
    X(GS_TRAIN_CROSS_ENTROPY, "cross_entropy", "l = log sum_j exp z_j - z_y, y the label")         \
    X(GS_TRAIN_MSE, "mse", "l = 1/2 ||z - y||^2, y the targets or the one-hot label")

/* How width enters initialization, forward multipliers and learning rates
 * (docs/theory.md, "Parametrizations"; parametrization.h). */
#define GS_PARAMETRIZATION_LIST(X)                                                                 \
    X(GS_PARAM_STANDARD, "standard", "Var(W) = sigma_w^2 / fan_in, one learning rate")             \
    X(GS_PARAM_NTK, "ntk", "neural tangent: W = w / sqrt(r), Var(w) = r sigma_w^2 / fan_in")       \
    X(GS_PARAM_MUP, "mup", "maximal update (Tensor Programs V, Table 3)")

/* How a loaded data set's inputs are rescaled, with the training split's
 * statistics (docs/usage.md, "Data"). */
#define GS_STANDARDIZE_LIST(X)                                                                     \
    X(GS_STANDARDIZE_NONE, "none", "as stored (idx pixels divided by 255)")                        \
    X(GS_STANDARDIZE_FEATURE, "feature", "(x - mean) / std per feature")                           \
    X(GS_STANDARDIZE_GLOBAL, "global", "(x - mean) / std, one mean and std over every feature")

#define GS_TRAIN_ENUMERATOR(enumerator, name, meaning) enumerator,
typedef enum gs_data_kind {
    GS_DATA_KIND_LIST(GS_TRAIN_ENUMERATOR) GS_DATA_KIND_COUNT
} gs_data_kind;
typedef enum gs_optimizer {
    GS_OPTIMIZER_LIST(GS_TRAIN_ENUMERATOR) GS_OPTIMIZER_COUNT
} gs_optimizer;
typedef enum gs_train_loss {
    GS_TRAIN_LOSS_LIST(GS_TRAIN_ENUMERATOR) GS_TRAIN_LOSS_COUNT
} gs_train_loss;
typedef enum gs_parametrization {
    GS_PARAMETRIZATION_LIST(GS_TRAIN_ENUMERATOR) GS_PARAMETRIZATION_COUNT
} gs_parametrization;
typedef enum gs_standardize {
    GS_STANDARDIZE_LIST(GS_TRAIN_ENUMERATOR) GS_STANDARDIZE_COUNT
} gs_standardize;
#undef GS_TRAIN_ENUMERATOR

/* Names as sweep files and results files spell them, indexed by code. */
extern const char *const gs_data_kind_names[GS_DATA_KIND_COUNT];
extern const char *const gs_optimizer_names[GS_OPTIMIZER_COUNT];
extern const char *const gs_train_loss_names[GS_TRAIN_LOSS_COUNT];
extern const char *const gs_parametrization_names[GS_PARAMETRIZATION_COUNT];
extern const char *const gs_standardize_names[GS_STANDARDIZE_COUNT];

/* A code's name, or NULL for an invalid code. */
const char *data_kind_name(gs_data_kind kind);
const char *optimizer_name(gs_optimizer opt);
const char *train_loss_name(gs_train_loss loss);
const char *parametrization_name(gs_parametrization p);
const char *standardize_name(gs_standardize s);
/* The one-line meaning of a code (flag descriptions, --help), or NULL. */
const char *optimizer_meaning(gs_optimizer opt);
const char *train_loss_meaning(gs_train_loss loss);
const char *parametrization_meaning(gs_parametrization p);
/* CF flag_meanings: the names in code order, e.g. "standard ntk mup". */
const char *optimizer_flag_meanings(void);
const char *train_loss_flag_meanings(void);
const char *parametrization_flag_meanings(void);
const char *data_kind_flag_meanings(void);

/* Parses a name; returns the code, or -1 if the name is unknown. */
int data_kind_parse(const char *name);
int optimizer_parse(const char *name);
int train_loss_parse(const char *name);
int parametrization_parse(const char *name);
int standardize_parse(const char *name);

/* Where the Debian package dataset-fashion-mnist puts the idx files. */
#define GS_FASHION_MNIST_DIR "/usr/share/datasets/fashion-mnist"

/* The `data:` section. */
typedef struct gs_data_source {
    gs_data_kind kind;          /* default gaussian */
    char *path;                 /* hdf5: the file; fashion-mnist: the directory of the
                                   idx files (default GS_FASHION_MNIST_DIR); gaussian: NULL.
                                   Relative paths are relative to the working directory. */
    gs_standardize standardize; /* default: feature for fashion-mnist, none otherwise */
    int line;                   /* where data: was given: its sweep-file line, −1 on the
                                   command line, 0 not given (gaussian) */
} gs_data_source;

/* What a sweep needs to know of its loaded data (data.h) without the data:
 * the networks' widths, the rows (the cost of a test evaluation) and the
 * bytes each rank holds. */
typedef struct gs_data_shape {
    int inputs;  /* d: the networks' input width */
    int outputs; /* k: classes or target columns, the networks' output width */
    int64_t train_rows, test_rows;
    size_t bytes; /* one rank's copy */
} gs_data_shape;

/* A train section's steps, at most. */
#define GS_MAX_TRAIN_STEPS ((int64_t)1000000000)
/* Steps at which per-layer statistics are recorded, at most this many. */
#define GS_MAX_STATS_STEPS 32

/* The keys of a train: section, in the order spec_to_yaml writes them. */
#define GS_TRAIN_KEY_LIST(X)                                                                       \
    X(GS_TRAIN_STEPS, "steps")                                                                     \
    X(GS_TRAIN_OPTIMIZER, "optimizer")                                                             \
    X(GS_TRAIN_LOSS, "loss")                                                                       \
    X(GS_TRAIN_RECORD_EVERY, "record_every")                                                       \
    X(GS_TRAIN_MOMENTUM, "momentum")                                                               \
    X(GS_TRAIN_BETA1, "beta1")                                                                     \
    X(GS_TRAIN_BETA2, "beta2")                                                                     \
    X(GS_TRAIN_EPS, "eps")                                                                         \
    X(GS_TRAIN_BASE_WIDTH, "base_width")                                                           \
    X(GS_TRAIN_STATS_STEPS, "stats_steps")
#define GS_TRAIN_KEY_ENUMERATOR(enumerator, name) enumerator,
typedef enum gs_train_key {
    GS_TRAIN_KEY_LIST(GS_TRAIN_KEY_ENUMERATOR) GS_TRAIN_KEY_COUNT
} gs_train_key;
#undef GS_TRAIN_KEY_ENUMERATOR
extern const char *const gs_train_key_names[GS_TRAIN_KEY_COUNT];

/* The `train:` section. Defaults (train_settings_init, then
 * train_settings_resolve): sgd, cross_entropy, record_every min(10, steps),
 * momentum 0.9, Adam's β1 0.9, β2 0.999 and ε 1e-8 (PyTorch's), base_width 1,
 * stats_steps those of [0, 1, 2, 3] up to steps. */
typedef struct gs_train_settings {
    int64_t steps;          /* updates per configuration; 0 until given */
    gs_optimizer optimizer; /* sgd | momentum | adam */
    gs_train_loss loss;     /* cross_entropy | mse */
    int64_t record_every;   /* train_loss/train_accuracy at steps 0, K, 2K, …, and the last;
                               0: the default */
    double momentum;        /* μ of the momentum optimizer, 0 ≤ μ < 1 */
    double beta1, beta2;    /* Adam's moment decay rates, 0 ≤ β < 1 */
    double eps;             /* Adam's ε > 0 */
    int base_width;         /* width at which ntk and mup coincide with standard's scales
                               (r = width / base_width in parametrization.h) */
    int n_stats_steps;      /* per-layer statistics at these steps (increasing, ≤ steps);
                               −1: the default */
    int64_t stats_steps[GS_MAX_STATS_STEPS];
    int line;                         /* where train: was given: its sweep-file line, −1 on
                                         the command line; 0: no training */
    int key_line[GS_TRAIN_KEY_COUNT]; /* the same for each key; 0: not given */
} gs_train_settings;

/* No training (line 0), every key at its default. */
void train_settings_init(gs_train_settings *t);
/* Fills the defaults that depend on steps (record_every, stats_steps). */
void train_settings_resolve(gs_train_settings *t);
/* The default standardisation of a data source kind. */
gs_standardize data_default_standardize(gs_data_kind kind);

/* Checks a resolved train section on its own (not against the grid): every
 * value in range, steps given, and no optimizer setting given for another
 * optimizer (momentum with sgd, beta1 with momentum, …). Returns 0, or −1
 * with one line in why (without a location) and the key at fault in *key. */
int train_settings_check(const gs_train_settings *t, char *why, int size, gs_train_key *key);

/* The recorded steps 0, K, 2K, …, and steps itself: their count, and step
 * number i (0 ≤ i < count). */
int64_t train_record_count(const gs_train_settings *t);
int64_t train_record_step(const gs_train_settings *t, int64_t i);

/* ---- what training records (train.h fills it, store.c writes it) ----------------
 * The per-layer statistics of one stats step, X(name, long_name, description):
 * the results file's (config, stats_step, layer) variables, in this order. */
#define GS_TRAIN_LAYER_STATS_LIST(X)                                                               \
    X(train_q, "mean squared pre-activation during training",                                      \
      "mean of z[l]^2 over units and the samples of the training minibatch of this step")          \
    X(mean_abs_z, "mean absolute pre-activation (the muP coordinate check)",                       \
      "mean of abs(z[l]) over units and the samples of the training minibatch of this step")       \
    X(train_delta_sq, "mean squared backward signal during training",                              \
      "mean of delta[l]^2, delta[l] = dl/dz[l] per sample, l the training loss")                   \
    X(train_grad_w_norm, "Frobenius norm of the training loss gradient with respect to W[l]",      \
      "W[l] the effective weights m w[l]; before this step's update")                              \
    X(train_grad_b_norm, "Euclidean norm of the training loss gradient with respect to b[l]",      \
      "before this step's update")

#define GS_TRAIN_LAYER_MEMBER(name, long_name, description) double name;
typedef struct gs_train_layer_stats {
    GS_TRAIN_LAYER_STATS_LIST(GS_TRAIN_LAYER_MEMBER)
} gs_train_layer_stats;
#undef GS_TRAIN_LAYER_MEMBER
#define GS_TRAIN_LAYER_FIELD_COUNT (sizeof(gs_train_layer_stats) / sizeof(double))

/* What training one configuration recorded. The caller allocates the arrays
 * (train_result_alloc) for the sweep's settings and largest depth. */
typedef struct gs_train_result {
    int64_t n_records;       /* recorded steps (train_record_count) */
    double *loss, *accuracy; /* [n_records]: train_loss, train_accuracy */
    double test_loss, test_accuracy;
    int n_stats;                  /* stats steps */
    int max_depth;                /* layers' room per stats step */
    gs_train_layer_stats *layers; /* [n_stats][max_depth], layer l at l-1 */
    int64_t nonfinite_step;       /* the step whose loss was not finite; -1: none */
} gs_train_result;

void train_result_alloc(gs_train_result *res, const gs_train_settings *t, int max_depth);
void train_result_free(gs_train_result *res);
/* Every number NaN, nonfinite_step -1. */
void train_result_clear(gs_train_result *res);

#endif
