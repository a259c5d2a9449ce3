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

#include <math.h>
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
/* How a configuration's branch_scale was given (not stored as a code: the
 * file's branch_scale holds the number α, NaN for none). */
typedef enum gs_branch {
    GS_BRANCH_NONE = 0,       /* a plain network */
    GS_BRANCH_NUMBER,         /* α = branch_scale */
    GS_BRANCH_INV_SQRT_DEPTH, /* α = 1/sqrt(depth) */
} gs_branch;

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
    /* The inputs' pairwise correlation ρ in [0, 1) (draw.h): x_s = √ρ g + √(1−ρ) e_s.
     * NaN (the sweep has no input_correlation axis) or 0: independent samples. */
    double input_correlation;
    /* Jacobian spectra (issue 13): the first jacobian_samples samples of the
     * batch get their input-output Jacobian measured; 0: none (the default). */
    int jacobian_samples;
    /* The network's shape (issue 12); zero (every default) keeps the square, plain
     * network: input_width = output_width = width, fan in, sigma_w a number. */
    int input_width;          /* features of x: layer 1 maps input_width → width */
    int output_width;         /* units of layer L */
    gs_fan fan;               /* Var(W_ij) = sigma_w² / fan */
    gs_scale_name scale_name; /* how sigma_w was given; torch_default: PyTorch's biases */
    /* Residual blocks and normalisation (issue 12); zero keeps the plain network:
     * layers 2 … L are residual blocks z[l] = z[l-1] + α·(W[l] φ(N(z[l-1])) + b[l])
     * unless branch is none, with α = branch_scale or 1/sqrt(depth)
     * (config_branch_scale), and N is norm (none: the identity). */
    gs_branch branch;
    double branch_scale; /* α when branch is GS_BRANCH_NUMBER */
    gs_norm norm;
} gs_config;

/* α of cfg's residual blocks: NaN for a plain network (the results file's
 * branch_scale), branch_scale, or 1/sqrt(depth). */
static inline double config_branch_scale(const gs_config *cfg) {
    return cfg->branch == GS_BRANCH_NONE     ? (double)NAN
           : cfg->branch == GS_BRANCH_NUMBER ? cfg->branch_scale
                                             : 1 / sqrt((double)cfg->depth);
}
/* Whether cfg's network has residual blocks or a norm: what only the
 * network of issue 12 has (the passes keep z[l] and the norm's statistics). */
static inline int config_has_blocks(const gs_config *cfg) {
    return cfg->branch != GS_BRANCH_NONE || cfg->norm != GS_NORM_NONE;
}

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

/* Per-layer statistics of networks with residual blocks or a norm (issue 12),
 * in the same form: in the files of sweeps with branch_scale or norm only (another sweep's
 * file keeps its variables), after the list above in gs_layer_stats. */
#define GS_BLOCK_STATS_LIST(X)                                                                     \
    X(trunk_ch_var, "mean channel variance of z[l] (the residual trunk)", "1",                     \
      "mean over units of the batch variance of z[l]: the trunk of a residual network (timm's "    \
      "avg_ch_var of the residual stream), the pre-activation of a plain one")                     \
    X(branch_ch_var, "mean channel variance of the residual branch", "1",                          \
      "mean over units of the batch variance of the branch output alpha (W[l] a[l-1] + b[l]) "     \
      "that block l adds to the trunk (timm's avg_ch_var_residual); NaN for layers that are not "  \
      "residual blocks")

#define GS_LAYER_STATS_MEMBER(name, long_name, units, description) double name;
typedef struct gs_layer_stats {
    GS_LAYER_STATS_LIST(GS_LAYER_STATS_MEMBER)
    GS_BLOCK_STATS_LIST(GS_LAYER_STATS_MEMBER)
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
    double c;        /* predicted c[l], from c[0] = the inputs' correlation */
} gs_layer_theory;

/* ---- the Jacobian (issue 13; docs/schema.md, "Jacobian") ---------------------------
 * With J[0] = I and J[l] = D[l] W[l] J[l-1], D[l] = diag φ'(z[l]), the
 * Jacobian of a[l] with respect to the input, per sample; λ are the
 * eigenvalues of J[l] J[l]ᵀ (the squared singular values of J[l]). Per-layer
 * statistics, X(name, long_name, units, description), each averaged over the
 * configuration's jacobian_samples samples: a double of gs_jacobian_stats and
 * a (config, layer) variable of results files that set jacobian_samples > 0
 * (and, as name_theory, the free-probability prediction beside it). */
#define GS_JACOBIAN_LAYER_LIST(X)                                                                  \
    X(jac_sq_sv_mean, "mean squared singular value of the input-output Jacobian J[l]", "1",        \
      "mean over the eigenvalues lambda of J[l] J[l]^T (the squared singular values of J[l], "     \
      "J[l] = d a[l] / d x), averaged over the first jacobian_samples samples of the batch")       \
    X(jac_sq_sv_var_ratio,                                                                         \
      "normalised variance of the squared singular values of the input-output Jacobian J[l]", "1", \
      "Var(lambda) / mean(lambda)^2 over the eigenvalues lambda of J[l] J[l]^T: 0 for dynamical "  \
      "isometry; averaged over the first jacobian_samples samples of the batch")

#define GS_JACOBIAN_MEMBER(name, long_name, units, description) double name;
typedef struct gs_jacobian_stats {
    GS_JACOBIAN_LAYER_LIST(GS_JACOBIAN_MEMBER)
} gs_jacobian_stats;
#define GS_JACOBIAN_FIELD_COUNT (sizeof(gs_jacobian_stats) / sizeof(double)) /* all doubles */

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

/* Why a measured depth scale (depth_scale.h) is what it is, X(enumerator,
 * name, meaning): the *_measured_reason variables. Stored: append only. */
#define GS_XI_REASON_LIST(X)                                                                       \
    X(GS_XI_NO_DATA, "no_data",                                                                    \
      "not computed, or the configuration's statistics are not all finite (status not done)")      \
    X(GS_XI_FITTED, "fitted", "fitted: the value and its standard error are set")                  \
    X(GS_XI_NO_FIXED_POINT, "no_fixed_point",                                                      \
      "the mean-field fixed point is 0, inf or NaN (the signal dies out or grows without "         \
      "bound): there is no finite point to approach")                                              \
    X(GS_XI_REPELLING, "repelling",                                                                \
      "the fixed point repels: the mean-field slope there exceeds 1, or the measured deviation "   \
      "grows by more than 2 standard errors")                                                      \
    X(GS_XI_MARGINAL, "marginal",                                                                  \
      "the mean-field slope at the fixed point is 1 (edge of chaos; relu, linear without bias): "  \
      "the approach is a power law and has no depth scale")                                        \
    X(GS_XI_TOO_SHALLOW, "too_shallow", "the network has fewer layers than a fit needs")           \
    X(GS_XI_LONG_TRANSIENT, "long_transient",                                                      \
      "the mean-field curve does not settle into its exponential approach within the network "     \
      "(or the approach is set by the other, slower depth scale)")                                 \
    X(GS_XI_SHORT_TRANSIENT, "short_transient",                                                    \
      "fewer than 3 layer-to-layer steps lie above the noise floor: the deviation starts at the "  \
      "fixed point already, or reaches the noise within a layer or two")                           \
    X(GS_XI_NO_DECAY, "no_decay",                                                                  \
      "the measured deviation does not shrink significantly over the window (decay factor within " \
      "2 standard errors of 1)")

typedef enum gs_xi_reason { GS_XI_REASON_LIST(GS_CODE_ENUMERATOR) GS_XI_REASON_COUNT } gs_xi_reason;
typedef int gs_xi_code; /* a gs_xi_reason as stored (int32 with flag_meanings) */
extern const char *const gs_xi_reason_names[GS_XI_REASON_COUNT];
const char *xi_reason_flag_meanings(void);

/* The measured depth scales (depth_scale.h), per configuration, X as in
 * GS_RESULT_LIST (type gs_xi_code: a reason code). In results files only when the sweep has the
 * input_correlation axis (files without it stay as they were); every
 * configuration's gs_result has them. */
#define GS_DEPTH_SCALE_LIST(X)                                                                     \
    X(double, xi_c_measured, NAN, "depth scale of correlations between inputs, measured", "1",     \
      "-1/log(chi), chi the per-layer decay factor of |c[l] - c*| fitted on the measured c "       \
      "(c* = c_star_theory; docs/theory.md, Measured depth scales); NaN with the reason in "       \
      "xi_c_measured_reason")                                                                      \
    X(double, xi_c_measured_stderr, NAN, "standard error of xi_c_measured", "1",                   \
      "from the fit's sampling-error weights, scaled up by sqrt(chi^2 per degree of freedom) "     \
      "when the residuals are larger than the sampling error")                                     \
    X(gs_xi_code, xi_c_measured_reason, GS_XI_NO_DATA, "why xi_c_measured is what it is", NULL,    \
      GS_LIST_MEANINGS(GS_XI_REASON_LIST, ""))                                                     \
    X(int, xi_c_fit_first_layer, 0, "first layer of the fit window of xi_c_measured", NULL,        \
      "the fit uses the steps from each layer l-1 to l, l = first ... last; 0 if no fit")          \
    X(int, xi_c_fit_last_layer, 0, "last layer of the fit window of xi_c_measured", NULL,          \
      "0 if no fit")                                                                               \
    X(double, xi_q_measured, NAN, "depth scale of the approach of q to q*, measured", "1",         \
      "-1/log(chi), chi the per-layer decay factor of |q[l] - q*| fitted on the measured q "       \
      "(q* = q_star_theory); NaN with the reason in xi_q_measured_reason")                         \
    X(double, xi_q_measured_stderr, NAN, "standard error of xi_q_measured", "1",                   \
      "as xi_c_measured_stderr")                                                                   \
    X(gs_xi_code, xi_q_measured_reason, GS_XI_NO_DATA, "why xi_q_measured is what it is", NULL,    \
      GS_LIST_MEANINGS(GS_XI_REASON_LIST, ""))                                                     \
    X(int, xi_q_fit_first_layer, 0, "first layer of the fit window of xi_q_measured", NULL,        \
      "0 if no fit")                                                                               \
    X(int, xi_q_fit_last_layer, 0, "last layer of the fit window of xi_q_measured", NULL,          \
      "0 if no fit")

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
    double c_star_theory;           /* the correlation map's stable fixed point at q* */
    GS_DEPTH_SCALE_LIST(GS_RESULT_MEMBER) /* xi_c_measured, …: depth_scale.h */
    /* The Jacobian (gs_config.jacobian_samples > 0); NULL pointers when the
     * caller keeps none (then nothing is written there). */
    gs_jacobian_stats *jacobian;        /* [depth], layer l at index l-1 */
    gs_jacobian_stats *jacobian_theory; /* [depth]: free-probability predictions (theory.h) */
    double *jac_sv;                     /* [jac_sv_room]: singular values of J[L], first sample,
                                         * descending, NaN past min(rows, columns) of J[L] */
    int jac_sv_room;
    double jac_sv_max, jac_sv_min; /* largest and smallest of them */
    struct gs_train_result *train; /* training sweeps: what training recorded (train.h); NULL
                                      without train: */
} gs_result;

/* Resets res before a computation: status pending, every measured result
 * (the list above) to its fill, elapsed_s and layers[0 … depth-1] to NaN;
 * the Jacobian's measured values (those res has room for) to NaN. */
void result_clear(gs_result *res, int depth);

/* "48 done, 32 nonfinite, 0 failed, 0 pending": counts by status, pending
 * last, into buf; returns buf. */
const char *status_counts(const int64_t by_status[GS_STATUS_COUNT], char *buf, size_t size);

#endif
