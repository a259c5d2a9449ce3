/* SPDX-License-Identifier: MIT */
/* config.h — one point of a sweep and what is measured there: the plain
 * structs handed from grid to net to stats to store, and the codes stored in
 * results files.
 *
 * Each thing that several modules spell out is written once here, as a list
 * (an X-macro: the list calls X once per entry, and each user defines X to
 * take what it needs): the status codes, the init codes, the per-layer
 * statistics and the measured per-configuration results. The enums and
 * structs below are generated from them; config.c makes the names and
 * flag meanings, store.c the file's variables, export.c the exported
 * statistics. Adding an entry to a list is all it takes for every module to
 * know it.
 *
 * Codes (gs_init, gs_status, gs_loss, gs_precision) are stored in results
 * files: a code never changes meaning; new ones are appended to their list. */
#ifndef GRADSWEEP_CONFIG_H
#define GRADSWEEP_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "gradsweep/activation.h"

/* ---- codes: X(enumerator, name, meaning) ---------------------------------------
 * The meanings are the results file's texts (ASCII, docs/schema.md). */

/* The outcome of a configuration: the `status` variable. */
#define GS_STATUS_LIST(X)                                                                          \
    X(GS_STATUS_PENDING, "pending", "not computed (yet)")                                          \
    X(GS_STATUS_DONE, "done", "computed, every value finite and no signal exactly zero")           \
    X(GS_STATUS_NONFINITE, "nonfinite", "inf or NaN appeared (see first_nonfinite_layer)")         \
    X(GS_STATUS_FAILED, "failed", "could not be computed")                                         \
    X(GS_STATUS_UNDERFLOW, "underflow",                                                            \
      "computed and finite, but the forward or backward signal became exactly zero (see "          \
      "first_underflow_layer), so the log10 ratios are +-inf")

/* The distribution of the weights W = sigma_w·U: the `init` variable, with
 * Var(W_ij) = sigma_w² / fan (fan: fan_in unless the fan axis says otherwise).
 * Uniform has a = sigma_w·sqrt(3 / fan); orthogonal U is Haar-random (Saxe et
 * al. 2014), semi-orthogonal for layers that are not square (as
 * torch.nn.init.orthogonal_). The two truncated normals are the two
 * conventions of the frameworks: Keras' VarianceScaling (and JAX's) cut a
 * normal at ±2 standard deviations and rescale it to keep the variance;
 * torch.nn.init.trunc_normal_ cuts at the absolute values ±2 (its default
 * a = -2, b = 2) and does not rescale. */
#define GS_INIT_LIST(X)                                                                            \
    X(GS_INIT_GAUSSIAN, "gaussian", "W_ij ~ N(0, sigma_w^2 / fan_in)")                             \
    X(GS_INIT_UNIFORM, "uniform", "W_ij ~ U(-a, a) with the same variance")                        \
    X(GS_INIT_ORTHOGONAL, "orthogonal", "sigma_w times a Haar-random orthogonal matrix")           \
    X(GS_INIT_TRUNCATED_NORMAL, "truncated_normal",                                                \
      "a normal cut at +-2 standard deviations and rescaled so that Var(W_ij) = sigma_w^2 / fan "  \
      "(Keras' and JAX's variance_scaling)")                                                       \
    X(GS_INIT_TORCH_TRUNC_NORMAL, "torch_trunc_normal",                                            \
      "N(0, sigma_w^2 / fan) cut at the absolute values -2 and 2, not rescaled "                   \
      "(torch.nn.init.trunc_normal_ with std sigma_w / sqrt(fan) and its default a = -2, b = 2)")

/* Which fan the weight variance is relative to: the `fan` variable (Keras'
 * VarianceScaling modes). */
#define GS_FAN_LIST(X)                                                                             \
    X(GS_FAN_IN, "in", "Var(W_ij) = sigma_w^2 / fan_in")                                           \
    X(GS_FAN_OUT, "out", "Var(W_ij) = sigma_w^2 / fan_out")                                        \
    X(GS_FAN_AVG, "avg", "Var(W_ij) = sigma_w^2 / ((fan_in + fan_out) / 2)")

/* How a configuration's sigma_w was given: the `sigma_w_name` variable. A
 * name is a number (he: sqrt 2, lecun and xavier: 1) with a fan of its own
 * (xavier: Glorot's avg) unless the fan axis says otherwise; the two
 * framework defaults also bring their biases (docs/usage.md). */
#define GS_SCALE_NAME_LIST(X)                                                                      \
    X(GS_SCALE_NUMBER, "number", "given as a number")                                              \
    X(GS_SCALE_HE, "he", "sqrt(2), fan in (He et al. 2015)")                                       \
    X(GS_SCALE_LECUN, "lecun", "1, fan in (LeCun)")                                                \
    X(GS_SCALE_XAVIER, "xavier", "1, fan avg (Glorot and Bengio 2010)")                            \
    X(GS_SCALE_TORCH_DEFAULT, "torch_default",                                                     \
      "PyTorch's nn.Linear: sqrt(1/3), fan in, biases U(-1/sqrt(fan_in), 1/sqrt(fan_in))")         \
    X(GS_SCALE_KERAS_DEFAULT, "keras_default",                                                     \
      "Keras' Dense (glorot_uniform): 1, fan avg, zero biases")

/* The normalisation N before each activation: the `norm` variable. */
#define GS_NORM_LIST(X)                                                                            \
    X(GS_NORM_NONE, "none", "no normalisation")                                                    \
    X(GS_NORM_LAYERNORM, "layernorm",                                                              \
      "LayerNorm per sample over the units, no learned affine, eps = 1e-5: "                       \
      "(z - mean) / sqrt(var + eps)")

/* The per-sample loss ℓ and δ[L] = ∂ℓ/∂z[L]: the root attributes `loss` and
 * `loss_definition`. */
#define GS_LOSS_LIST(X)                                                                            \
    X(GS_LOSS_PROBE, "probe", "l = <r, z[L]>, r ~ N(0, I) per sample, loss = batch mean of l")     \
    X(GS_LOSS_MSE, "mse", "l = 1/2 ||z[L] - y||^2, y ~ N(0, I) per sample, loss = batch mean of l")

/* The arithmetic of the passes, X(enumerator, name): the root attribute `precision`. */
#define GS_PRECISION_LIST(X) X(GS_FLOAT32, "float32") X(GS_FLOAT64, "float64")

#define GS_CODE_ENUMERATOR(enumerator, name, meaning) enumerator,
#define GS_NAME_ENUMERATOR(enumerator, name)          enumerator,
typedef enum gs_status { GS_STATUS_LIST(GS_CODE_ENUMERATOR) GS_STATUS_COUNT } gs_status;
typedef enum gs_init { GS_INIT_LIST(GS_CODE_ENUMERATOR) GS_INIT_COUNT } gs_init;
typedef enum gs_precision { GS_PRECISION_LIST(GS_NAME_ENUMERATOR) GS_PRECISION_COUNT } gs_precision;
typedef enum gs_loss { GS_LOSS_LIST(GS_CODE_ENUMERATOR) GS_LOSS_COUNT } gs_loss;
typedef enum gs_fan { GS_FAN_LIST(GS_CODE_ENUMERATOR) GS_FAN_COUNT } gs_fan;
typedef enum gs_scale_name {
    GS_SCALE_NAME_LIST(GS_CODE_ENUMERATOR) GS_SCALE_NAME_COUNT
} gs_scale_name;
typedef enum gs_norm { GS_NORM_LIST(GS_CODE_ENUMERATOR) GS_NORM_COUNT } gs_norm;

/* The names, indexed by code ("gaussian", …), as files and sweep files spell them. */
extern const char *const gs_status_names[GS_STATUS_COUNT];
extern const char *const gs_init_names[GS_INIT_COUNT];
extern const char *const gs_precision_names[GS_PRECISION_COUNT];
extern const char *const gs_loss_names[GS_LOSS_COUNT];
extern const char *const gs_fan_names[GS_FAN_COUNT];
extern const char *const gs_scale_names[GS_SCALE_NAME_COUNT];
extern const char *const gs_norm_names[GS_NORM_COUNT];

/* A code's name; NULL for an invalid code. */
const char *status_name(gs_status status);
const char *init_name(gs_init init);
const char *precision_name(gs_precision p);
const char *loss_name(gs_loss loss);
const char *fan_name(gs_fan fan);
const char *sigma_w_name(gs_scale_name name);
const char *norm_name(gs_norm norm);
/* Parses a name; returns 0, or -1 if unknown. */
int init_parse(const char *name, gs_init *init);
int precision_parse(const char *name, gs_precision *p);
int loss_parse(const char *name, gs_loss *loss);
int fan_parse(const char *name, gs_fan *fan);
int norm_parse(const char *name, gs_norm *norm);

/* CF flag_meanings, the names in code order: "pending done nonfinite failed". */
const char *status_flag_meanings(void);
const char *init_flag_meanings(void);
const char *fan_flag_meanings(void);
const char *scale_flag_meanings(void);
const char *norm_flag_meanings(void);

/* Texts made from a code list by the compiler, as constants (for static
 * tables): each entry puts its separator in front, and the indexing skips
 * the first one.
 *   GS_LIST_FLAGS(GS_STATUS_LIST)          "pending done nonfinite failed"
 *   GS_LIST_MEANINGS(GS_STATUS_LIST, "")   "pending: not computed (yet); done: …" */
#define GS_FLAG_WORD(enumerator, name, meaning)    " " name
#define GS_MEANING_ITEM(enumerator, name, meaning) "; " name ": " meaning
#define GS_LIST_FLAGS(LIST)                        (&(LIST(GS_FLAG_WORD))[1])
#define GS_LIST_MEANINGS(LIST, tail)               (&(LIST(GS_MEANING_ITEM) tail)[2])

/* "probe: l = <r, z[L]>, …": the loss_definition attribute. */
const char *loss_definition(gs_loss loss);

/* "a, b or c": count names for a message, into buf; returns buf. */
const char *names_or(const char *const *names, int count, char *buf, size_t size);

/* Bytes of one real number in precision p. */
static inline size_t precision_size(gs_precision p) {
    return p == GS_FLOAT32 ? sizeof(float) : sizeof(double);
}

/* The LayerNorm's ε: PyTorch's default (nn.LayerNorm(eps=1e-5)). */
#define GS_LAYERNORM_EPS 1e-5

/* The sigma_w of torch_default: kaiming_uniform_(a = sqrt 5) is U(±1/sqrt(fan_in)),
 * variance 1/(3 fan_in). */
#define GS_TORCH_DEFAULT_SIGMA_W 0.57735026918962573 /* sqrt(1/3) */

/* Everything that defines one configuration's numbers. */
typedef struct gs_config {
    int64_t index; /* position in the sweep's canonical order, 0 … N-1 */
    int depth;     /* L, number of weight layers */
    int width;     /* n, units of the hidden layers (every layer's by default) */
    int batch;     /* B, input samples */
    gs_activation act;
    gs_init init;
    double sigma_w; /* Var(W_ij) = sigma_w² / fan */
    double sigma_b; /* b_i ~ N(0, sigma_b²) (torch_default: see scale_name) */
    int64_t seed;   /* replicate */
    uint64_t base_seed;
    gs_precision precision;
    gs_loss loss;
    /* Training (train_spec.h); without a train: section NaN and standard. */
    double learning_rate;
    int parametrization; /* gs_parametrization code */
    /* The network's shape (issue 12); zero (every default) keeps the square, plain
     * network: input_width = output_width = width, fan in, sigma_w a number. */
    int input_width;          /* features of x: layer 1 maps input_width → width */
    int output_width;         /* units of layer L */
    gs_fan fan;               /* Var(W_ij) = sigma_w² / fan */
    gs_scale_name scale_name; /* how sigma_w was given; torch_default: PyTorch's biases */
} gs_config;

/* The fan a sigma_w name stands for where the fan axis is not given: Glorot's
 * avg for xavier and keras_default, in for every other. */
static inline gs_fan scale_default_fan(gs_scale_name name) {
    return name == GS_SCALE_XAVIER || name == GS_SCALE_KERAS_DEFAULT ? GS_FAN_AVG : GS_FAN_IN;
}

/* The widths of x and of z[L]: a configuration built by hand (zero) has the
 * square network's, width. */
static inline int config_input_width(const gs_config *cfg) {
    return cfg->input_width > 0 ? cfg->input_width : cfg->width;
}
static inline int config_output_width(const gs_config *cfg) {
    return cfg->output_width > 0 ? cfg->output_width : cfg->width;
}

/* ---- what is measured --------------------------------------------------------------
 * Per-layer statistics of one configuration, X(name, long_name, units,
 * description): averages run over the units and the batch samples. Each is a
 * double of gs_layer_stats, a (config, layer) variable of results files and a
 * dataset of exported networks, in this order. Texts as in docs/schema.md. */
#define GS_LAYER_STATS_LIST(X)                                                                     \
    X(q, "mean squared pre-activation (mean-field length q[l])", "1",                              \
      "mean of z[l]^2 over units and samples, z[l] = W[l] a[l-1] + b[l], a[l] = phi(z[l]), "       \
      "a[0] = x")                                                                                  \
    X(preact_mean, "mean pre-activation", "1", "mean of z[l] over units and samples")              \
    X(c, "mean cosine similarity of pre-activations between samples", "1",                         \
      "mean over pairs of distinct batch samples of the cosine similarity of their z[l] "          \
      "(the mean-field correlation c[l])")                                                         \
    X(act_ch_sq_mean, "mean squared channel mean of the activations", "1",                         \
      "mean over units of (batch mean of a[l])^2, a signal propagation plot quantity")             \
    X(act_ch_var, "mean channel variance of the activations", "1",                                 \
      "mean over units of the batch variance of a[l], a signal propagation plot quantity")         \
    X(saturated_frac, "fraction of saturated entries", "1",                                        \
      "fraction of (unit, sample) entries with abs(phi'(z)) < 1e-3 (dead ReLU, saturated "         \
      "tanh or sigmoid)")                                                                          \
    X(dead_frac, "fraction of dead units", "1",                                                    \
      "fraction of units whose abs(phi'(z)) < 1e-3 for every sample of the batch")                 \
    X(delta_sq, "mean squared backward signal (mean-field q-tilde[l])", "1",                       \
      "mean of delta[l]^2, delta[l] = dl/dz[l] per sample, l the per-sample loss (root "           \
      "attribute loss_definition)")                                                                \
    X(grad_w_norm, "Frobenius norm of the loss gradient with respect to W[l]", "1",                \
      "loss = batch mean of the per-sample loss")                                                  \
    X(grad_b_norm, "Euclidean norm of the loss gradient with respect to b[l]", "1",                \
      "loss = batch mean of the per-sample loss")

#define GS_LAYER_STATS_MEMBER(name, long_name, units, description) double name;
typedef struct gs_layer_stats {
    GS_LAYER_STATS_LIST(GS_LAYER_STATS_MEMBER)
} gs_layer_stats;

#define GS_SATURATION_THRESHOLD 1e-3

/* The per-layer statistics by name, in list order: what files call them. */
typedef struct gs_layer_field {
    const char *name; /* "q", "preact_mean", … as in results files */
    size_t offset;    /* offsetof(gs_layer_stats, …) */
} gs_layer_field;
#define GS_LAYER_FIELD_COUNT (sizeof(gs_layer_stats) / sizeof(double)) /* all doubles */
extern const gs_layer_field gs_layer_fields[GS_LAYER_FIELD_COUNT];

static inline double layer_field(const gs_layer_stats *stats, int field) {
    return *(const double *)((const char *)stats + gs_layer_fields[field].offset);
}

/* Mean-field predictions for one layer (theory.h): what q, delta_sq and c
 * would be for an infinitely wide network. */
typedef struct gs_layer_theory {
    double q;        /* predicted q[l] */
    double delta_sq; /* predicted delta_sq[l] for the configuration's loss */
    double c;        /* predicted c[l], inputs independent (c_in = 0) */
} gs_layer_theory;

/* The measured per-configuration results, X(type, name, fill, long_name,
 * units, description): type int or double, fill the value of a configuration
 * not (or not successfully) computed. Each is a member of gs_result and a
 * (config) variable of results files, in this order. */
#define GS_RESULT_LIST(X)                                                                          \
    X(int, first_nonfinite_layer, 0,                                                               \
      "first layer whose forward or backward values were not finite", NULL, "0 if none")           \
    X(int, first_nonfinite_forward_layer, 0, "first layer whose z or a was not finite", NULL,      \
      "0 if none")                                                                                 \
    X(int, first_nonfinite_backward_layer, 0,                                                      \
      "first layer whose delta or a gradient was not finite", NULL, "0 if none")                   \
    X(int, first_underflow_layer, 0,                                                               \
      "first layer where the forward or backward signal became exactly zero", NULL,                \
      "0 if none; the first layer whose z is zero for every unit and sample, else the first "      \
      "layer met on the way back whose delta is (underflow, or every unit dead)")                  \
    X(double, log10_delta_ratio, NAN,                                                              \
      "growth of the backward signal from the last layer to the first", "1",                       \
      "1/2 log10(delta_sq[1] / delta_sq[L]): how much the backward signal dl/dz grows (> 0, "      \
      "exploding) or shrinks (< 0, vanishing) from the last layer to the first")                   \
    X(double, log10_grad_ratio, NAN, "ratio of the first to the last layer's weight gradient",     \
      "1",                                                                                         \
      "log10(grad_w_norm[1] / grad_w_norm[L]). For linear and relu nets without bias the "         \
      "forward and backward growth cancel here, so it complements, not replaces, "                 \
      "log10_delta_ratio")                                                                         \
    X(double, log10_q_ratio, NAN, "ratio of the last to the first layer's q", "1",                 \
      "log10(q[L] / q[1])")

/* What one configuration produced. layers and theory have room for depth
 * entries. The *_theory numbers depend on the configuration alone (theory.h),
 * never on the draws; they are filled even when the computation failed. */
#define GS_RESULT_MEMBER(type, name, fill, long_name, units, description) type name;
typedef struct gs_result {
    gs_status status;
    GS_RESULT_LIST(GS_RESULT_MEMBER) /* first_nonfinite_layer, log10_delta_ratio, … */
    double elapsed_s;
    int rank;
    gs_layer_stats *layers; /* [depth], layer l at index l-1 */
    /* Mean-field theory (theory_predict) */
    gs_layer_theory *theory;        /* [depth], layer l at index l-1 */
    double chi1_theory;             /* χ1 at the fixed point q* reached from the input */
    double q_star_theory;           /* that fixed point (0 or inf where q dies out or explodes) */
    double xi_q_theory;             /* depth scale of q's approach to q* */
    double xi_c_theory;             /* depth scale of correlations (trainable depth ≈ 6 ξ_c) */
    double sigma_w_critical_theory; /* σw with χ1 = 1 for this activation and σb; NaN if none */
    struct gs_train_result *train;  /* training sweeps: what training recorded (train.h); NULL
                                       without train: */
} gs_result;

/* Resets res before a computation: status pending, every measured result
 * (the list above) to its fill, elapsed_s and layers[0 … depth-1] to NaN. */
void result_clear(gs_result *res, int depth);

/* "48 done, 32 nonfinite, 0 failed, 0 pending": counts by status, pending
 * last, into buf; returns buf. */
const char *status_counts(const int64_t by_status[GS_STATUS_COUNT], char *buf, size_t size);

#endif
