/* SPDX-License-Identifier: MIT */
/* store.c — the results file, schema gradsweep/1 (docs/schema.md), written
 * through parallel HDF5 on MPI-IO.
 *
 * One static table, `variables`, says everything about every variable: type,
 * dimensions, fill value, attributes and where its numbers come from. Creation,
 * the coordinate writes and store_write all walk it, so a new variable is one
 * line there (plus its field in gs_layer_stats or gs_result).
 *
 * Why a killed sweep leaves a readable file: every dataset is contiguous,
 * unfiltered and allocated in full when it is created, so once store_create
 * has flushed, store_write only overwrites raw bytes in place and no metadata
 * changes until store_close. Each row is written data first, `status` last.
 *
 * Parallel HDF5 rules followed here: file, dataset, attribute and
 * dimension-scale calls are collective, so every rank makes them with
 * identical arguments; raw data writes are independent, and everything that
 * can fail on one rank alone (a write into a full disk) is done independently
 * and then agreed on (agree_outcome). */
#include "gradsweep/store.h"

#include "gradsweep/lock.h"

#include <errno.h>
#include <hdf5.h>
#include <hdf5_hl.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "gradsweep/spec.h"
#include "gradsweep/train_spec.h"

/* ---- the variables ---------------------------------------------------------- */

typedef enum var_type { VT_INT32, VT_INT64, VT_FLOAT64 } var_type;
typedef enum var_dims {
    DIMS_CONFIG,
    DIMS_CONFIG_LAYER,
    DIMS_CONFIG_SV, /* (config, sv): the Jacobian's singular values */
} var_dims;

/* Where a variable's values come from, which also fixes who writes them, when. */
typedef enum var_source {
    FROM_CONFIG,        /* the configuration (grid_config): written in full by store_create */
    FROM_RESULT,        /* a number of gs_result: store_write, unless the configuration failed */
    FROM_RUN,           /* who computed it and how long it took (gs_result): store_write, always */
    FROM_LAYERS,        /* a gs_layer_stats field, per layer: store_write, unless it failed */
    FROM_THEORY,        /* a mean-field prediction (gs_result's *_theory): store_write, always */
    FROM_THEORY_LAYERS, /* a gs_layer_theory field, per layer: store_write, always */
    FROM_STATUS,        /* gs_result.status: store_write, last of all */
    FROM_JACOBIAN,      /* a gs_jacobian_stats field, per layer: store_write, unless it failed */
    FROM_JACOBIAN_THEORY, /* the same of res->jacobian_theory: store_write, always */
    FROM_JACOBIAN_SV,     /* gs_result.jac_sv, per sv: store_write, unless it failed */
} var_source;

typedef enum var_fill {
    FILL_NONE, /* written in full by store_create: filling first would write it twice */
    FILL_NAN,  /* float64: HDF5 fill value NaN, and attribute _FillValue = NaN */
    FILL_INT,  /* integers: HDF5 fill value fill_int only. No _FillValue attribute: xarray
                * would mask the fill ("pending", 0) and turn the variable into floats. */
} var_fill;

typedef enum var_flags {
    NO_FLAGS,
    ACTIVATION_FLAGS,
    INIT_FLAGS,
    STATUS_FLAGS,
    XI_REASON_FLAGS, /* gs_xi_reason: why a measured depth scale is what it is */
    FAN_FLAGS,
    SCALE_FLAGS,
    NORM_FLAGS,
    PARAMETRIZATION_FLAGS,
} var_flags;

/* Which files have the variable: every one, or only those of sweeps with an
 * optional axis (so that a file without it stays exactly as it was): the
 * input_correlation axis, or a network one (spec_has_network). */
typedef enum var_presence {
    IN_EVERY_FILE = 0,
    WITH_INPUT_CORRELATION, /* the sweep has the input_correlation axis */
    IN_NETWORK_FILES,       /* the sweep describes other networks than the square plain one */
    IN_BLOCK_FILES,         /* sweeps with a branch_scale or norm axis (issue 12's blocks) */
} var_presence;

typedef struct var_def {
    const char *name;
    var_type type;
    var_dims dims;
    var_source source;
    var_fill fill;
    int64_t fill_int;
    var_flags flags;
    const char *long_name;
    const char *units;                        /* NULL: none (counts, codes, indices) */
    const char *description;                  /* NULL: long_name says it all */
    int64_t (*config_int)(const gs_config *); /* FROM_CONFIG integers */
    double (*config_real)(const gs_config *); /* FROM_CONFIG reals */
    size_t offset; /* FROM_RESULT/RUN/LAYERS: the field (int for VT_INT32, double for VT_FLOAT64) */
    var_presence presence;
    bool jacobian; /* in the file only when the sweep sets jacobian_samples > 0 */
} var_def;

static int64_t config_depth(const gs_config *c) { return c->depth; }
static int64_t config_width(const gs_config *c) { return c->width; }
static int64_t config_activation(const gs_config *c) { return c->act.kind; }
static double config_sigma_w(const gs_config *c) { return c->sigma_w; }
static double config_sigma_b(const gs_config *c) { return c->sigma_b; }
static int64_t config_init(const gs_config *c) { return c->init; }
static int64_t config_seed(const gs_config *c) { return c->seed; }
static int64_t config_batch(const gs_config *c) { return c->batch; }
static double config_input_correlation(const gs_config *c) { return c->input_correlation; }
static int64_t network_input_width(const gs_config *c) { return config_input_width(c); }
static int64_t network_output_width(const gs_config *c) { return config_output_width(c); }
static int64_t network_fan(const gs_config *c) { return c->fan; }
static int64_t network_sigma_w_name(const gs_config *c) { return c->scale_name; }
static double network_branch_scale(const gs_config *c) { return config_branch_scale(c); }
static int64_t network_norm(const gs_config *c) { return c->norm; }

/* offsetof that refuses to compile unless the field has C type ctype, so the
 * table cannot describe a field with the wrong memory type. */
#define FIELD(type, field, ctype) _Generic(((type *)0)->field, ctype : offsetof(type, field))

#define CONFIG_INT(name_, type_, flags_, long_name_, units_, description_)                         \
    {                                                                                              \
        .name = #name_, .type = type_, .dims = DIMS_CONFIG, .source = FROM_CONFIG,                 \
        .fill = FILL_NONE, .flags = flags_, .long_name = long_name_, .units = units_,              \
        .description = description_, .config_int = config_##name_                                  \
    }
/* An integer configuration variable of some files only (var_presence): the
 * network sweeps' (NETWORK_INT), or the block sweeps' (BLOCK_INT: branch_scale
 * or norm given, so that other network sweeps write the file they wrote before). */
#define OPTIONAL_INT(presence_, name_, flags_, long_name_, description_)                           \
    {                                                                                              \
        .name = #name_, .type = VT_INT32, .dims = DIMS_CONFIG, .source = FROM_CONFIG,              \
        .fill = FILL_NONE, .flags = flags_, .long_name = long_name_, .description = description_,  \
        .config_int = network_##name_, .presence = presence_                                       \
    }
#define NETWORK_INT(...) OPTIONAL_INT(IN_NETWORK_FILES, __VA_ARGS__)
#define BLOCK_INT(...)   OPTIONAL_INT(IN_BLOCK_FILES, __VA_ARGS__)
/* A real configuration variable of block sweeps' files only. */
#define NETWORK_REAL(name_, long_name_, units_, description_)                                      \
    {                                                                                              \
        .name = #name_, .type = VT_FLOAT64, .dims = DIMS_CONFIG, .source = FROM_CONFIG,            \
        .fill = FILL_NONE, .long_name = long_name_, .units = units_, .description = description_,  \
        .config_real = network_##name_, .presence = IN_BLOCK_FILES                                 \
    }
/* A per-layer statistic of block sweeps' files only (GS_BLOCK_STATS_LIST). */
#define BLOCK_LAYER_VARIABLE(name_, long_name_, units_, description_)                              \
    {.name = #name_,                                                                               \
     .type = VT_FLOAT64,                                                                           \
     .dims = DIMS_CONFIG_LAYER,                                                                    \
     .source = FROM_LAYERS,                                                                        \
     .fill = FILL_NAN,                                                                             \
     .long_name = long_name_,                                                                      \
     .units = units_,                                                                              \
     .description = description_,                                                                  \
     .offset = FIELD(gs_layer_stats, name_, double),                                               \
     .presence = IN_BLOCK_FILES},
#define CONFIG_REAL(name_, long_name_, units_, description_)                                       \
    {                                                                                              \
        .name = #name_, .type = VT_FLOAT64, .dims = DIMS_CONFIG, .source = FROM_CONFIG,            \
        .fill = FILL_NONE, .long_name = long_name_, .units = units_, .description = description_,  \
        .config_real = config_##name_                                                              \
    }
#define SCALAR_INT(source_, name_, fill_, long_name_, units_, description_)                        \
    {                                                                                              \
        .name = #name_, .type = VT_INT32, .dims = DIMS_CONFIG, .source = source_,                  \
        .fill = FILL_INT, .fill_int = fill_, .long_name = long_name_, .units = units_,             \
        .description = description_, .offset = FIELD(gs_result, name_, int)                        \
    }
#define SCALAR_REAL(source_, name_, long_name_, units_, description_)                              \
    {                                                                                              \
        .name = #name_, .type = VT_FLOAT64, .dims = DIMS_CONFIG, .source = source_,                \
        .fill = FILL_NAN, .long_name = long_name_, .units = units_, .description = description_,   \
        .offset = FIELD(gs_result, name_, double)                                                  \
    }
/* The measured results of config.h's GS_RESULT_LIST, by C type (doubles fill NaN). */
#define RESULT_int(name_, fill_, long_name_, units_, description_)                                 \
    SCALAR_INT(FROM_RESULT, name_, fill_, long_name_, units_, description_)
#define RESULT_double(name_, fill_, long_name_, units_, description_)                              \
    SCALAR_REAL(FROM_RESULT, name_, long_name_, units_, description_)
#define RESULT_VARIABLE(type, name_, fill_, long_name_, units_, description_)                      \
    RESULT_##type(name_, fill_, long_name_, units_, description_),
#define RUN_INT(...)     SCALAR_INT(FROM_RUN, __VA_ARGS__)
#define RUN_REAL(...)    SCALAR_REAL(FROM_RUN, __VA_ARGS__)
#define THEORY_REAL(...) SCALAR_REAL(FROM_THEORY, __VA_ARGS__)
#define THEORY_LAYER(name_, field_, long_name_, description_)                                      \
    {                                                                                              \
        .name = #name_, .type = VT_FLOAT64, .dims = DIMS_CONFIG_LAYER,                             \
        .source = FROM_THEORY_LAYERS, .fill = FILL_NAN, .long_name = long_name_, .units = "1",     \
        .description = description_, .offset = FIELD(gs_layer_theory, field_, double)              \
    }
#define LAYER(name_, long_name_, units_, description_)                                             \
    {                                                                                              \
        .name = #name_, .type = VT_FLOAT64, .dims = DIMS_CONFIG_LAYER, .source = FROM_LAYERS,      \
        .fill = FILL_NAN, .long_name = long_name_, .units = units_, .description = description_,   \
        .offset = FIELD(gs_layer_stats, name_, double)                                             \
    }
#define LAYER_VARIABLE(name_, long_name_, units_, description_)                                    \
    LAYER(name_, long_name_, units_, description_),

/* The measured depth scales of config.h's GS_DEPTH_SCALE_LIST, in files of
 * sweeps with the input_correlation axis only; gs_xi_code: a reason code. */
#define DEPTH_SCALE_double(name_, fill_, long_name_, units_, description_)                         \
    {                                                                                              \
        .name = #name_, .type = VT_FLOAT64, .dims = DIMS_CONFIG, .source = FROM_RESULT,            \
        .fill = FILL_NAN, .long_name = long_name_, .units = units_, .description = description_,   \
        .offset = FIELD(gs_result, name_, double), .presence = WITH_INPUT_CORRELATION              \
    }
#define DEPTH_SCALE_INT(name_, fill_, flags_, long_name_, units_, description_)                    \
    {                                                                                              \
        .name = #name_, .type = VT_INT32, .dims = DIMS_CONFIG, .source = FROM_RESULT,              \
        .fill = FILL_INT, .fill_int = fill_, .flags = flags_, .long_name = long_name_,             \
        .units = units_, .description = description_, .offset = FIELD(gs_result, name_, int),      \
        .presence = WITH_INPUT_CORRELATION                                                         \
    }
#define DEPTH_SCALE_int(name_, fill_, long_name_, units_, description_)                            \
    DEPTH_SCALE_INT(name_, fill_, NO_FLAGS, long_name_, units_, description_)
#define DEPTH_SCALE_gs_xi_code(name_, fill_, long_name_, units_, description_)                     \
    DEPTH_SCALE_INT(name_, fill_, XI_REASON_FLAGS, long_name_, units_, description_)
#define DEPTH_SCALE_VARIABLE(type, name_, fill_, long_name_, units_, description_)                 \
    DEPTH_SCALE_##type(name_, fill_, long_name_, units_, description_),
/* The Jacobian's variables (docs/schema.md, "Jacobian"): only in files of
 * sweeps with jacobian_samples > 0. */
#define JACOBIAN_LAYER(source_, suffix_, name_, long_name_, units_, description_)                  \
    {                                                                                              \
        .name = #name_ suffix_, .type = VT_FLOAT64, .dims = DIMS_CONFIG_LAYER, .source = source_,  \
        .fill = FILL_NAN, .long_name = long_name_, .units = units_, .description = description_,   \
        .offset = FIELD(gs_jacobian_stats, name_, double), .jacobian = true                        \
    }
#define JACOBIAN_VARIABLE(name_, long_name_, units_, description_)                                 \
    JACOBIAN_LAYER(FROM_JACOBIAN, "", name_, long_name_, units_, description_),
#define JACOBIAN_RESULT(name_, long_name_, description_)                                           \
    {                                                                                              \
        .name = #name_, .type = VT_FLOAT64, .dims = DIMS_CONFIG, .source = FROM_RESULT,            \
        .fill = FILL_NAN, .long_name = long_name_, .units = "1", .description = description_,      \
        .offset = FIELD(gs_result, name_, double), .jacobian = true                                \
    }

/* "pending: not computed (yet); done: …", with when status is written. */
#define STATUS_DESCRIPTION                                                                         \
    GS_LIST_MEANINGS(GS_STATUS_LIST, ". Written after the configuration's other values.")

/* Every variable of the file besides the two dimension coordinates, in file
 * order. Texts follow docs/schema.md; ASCII only, for every reader's sake. */
static const var_def variables[] = {
    CONFIG_INT(depth, VT_INT32, NO_FLAGS, "number of weight layers L", NULL, NULL),
    CONFIG_INT(width, VT_INT32, NO_FLAGS, "units in every layer n", NULL,
               "the input has n features too"),
    CONFIG_INT(activation, VT_INT32, ACTIVATION_FLAGS, "activation function phi", NULL, NULL),
    CONFIG_REAL(sigma_w, "weight scale sigma_w", "1", "Var(W_ij) = sigma_w^2 / fan_in"),
    CONFIG_REAL(sigma_b, "bias standard deviation sigma_b", "1", "b_i ~ N(0, sigma_b^2)"),
    CONFIG_INT(init, VT_INT32, INIT_FLAGS, "weight distribution", NULL,
               GS_LIST_MEANINGS(GS_INIT_LIST, "")),
    CONFIG_INT(seed, VT_INT64, NO_FLAGS, "replicate seed", NULL,
               "with the root attribute base_seed it fixes every random number of this "
               "configuration"),
    CONFIG_INT(batch, VT_INT32, NO_FLAGS, "input samples pushed through the network", NULL,
               "x ~ N(0, 1)"),
    {.name = "status",
     .type = VT_INT32,
     .dims = DIMS_CONFIG,
     .source = FROM_STATUS,
     .fill = FILL_INT,
     .fill_int = GS_STATUS_PENDING,
     .flags = STATUS_FLAGS,
     .long_name = "outcome of the configuration",
     .description = STATUS_DESCRIPTION},
    GS_RESULT_LIST(RESULT_VARIABLE) /* first_nonfinite_layer, log10_delta_ratio, … */
    RUN_REAL(elapsed_s, "time the configuration took on its rank", "s", NULL),
    RUN_INT(rank, -1, "MPI rank that computed the configuration", NULL, "-1 if not computed"),
    GS_LAYER_STATS_LIST(LAYER_VARIABLE) /* q, preact_mean, c, … */
    /* Mean-field predictions (theory.h, docs/theory.md): functions of the
     * configuration alone, written for every computed or failed configuration. */
    THEORY_LAYER(q_theory, q, "mean-field prediction of q",
                 "length map q[1] = sigma_w^2 + sigma_b^2, q[l] = sigma_w^2 E[phi(sqrt(q[l-1]) "
                 "z)^2] + sigma_b^2, z ~ N(0, 1) (Poole et al. 2016)"),
    THEORY_LAYER(delta_sq_theory, delta_sq, "mean-field prediction of delta_sq",
                 "probe: delta_sq[L] = 1, delta_sq[l] = sigma_w^2 delta_sq[l+1] E[phi'(sqrt(q[l]) "
                 "z)^2] (Schoenholz et al. 2017); mse: delta_sq[L] = q[L] + 1 and the recursion "
                 "of docs/theory.md"),
    THEORY_LAYER(c_theory, c, "mean-field prediction of c",
                 "correlation map c[1] = sigma_b^2 / q[1], c[l] = (sigma_w^2 E[phi(u1) phi(u2)] + "
                 "sigma_b^2) / q[l], u of variance q[l-1] and correlation c[l-1]"),
    THEORY_REAL(chi1_theory, "mean-field chi1 at the fixed point q*", "1",
                "sigma_w^2 E[phi'(sqrt(q*) z)^2]: < 1 ordered (gradients vanish), > 1 chaotic "
                "(they explode), 1 at the edge of chaos"),
    THEORY_REAL(q_star_theory, "fixed point q* of the length map reached from the input", "1",
                "limit of q_theory[l] as l grows; 0 where the signal dies out, inf where it grows "
                "without bound"),
    THEORY_REAL(xi_q_theory, "depth scale of the approach of q to q*", "1",
                "-1/log(chi_q), chi_q the slope of the length map at q* (Schoenholz et al. "
                "2017); inf: power-law approach; NaN: q* is repelling or infinite"),
    THEORY_REAL(xi_c_theory, "depth scale of correlations between inputs", "1",
                "-1/log(chi_c), chi_c = sigma_w^2 E[phi'(u1) phi'(u2)] at (q*, c*) (Schoenholz "
                "et al. 2017); networks deeper than about 6 xi_c do not train; inf at the edge of "
                "chaos and wherever correlations approach c* only polynomially"),
    THEORY_REAL(sigma_w_critical_theory, "critical sigma_w for this activation and sigma_b", "1",
                "sigma_w at the edge of chaos, chi1 = 1 (gradsweep theory prints it with q*, the "
                "depth scales and stability); NaN if none exists"),
    /* Correlated inputs and measured depth scales: only in files of sweeps
     * with the input_correlation axis. */
    {.name = "input_correlation",
     .type = VT_FLOAT64,
     .dims = DIMS_CONFIG,
     .source = FROM_CONFIG,
     .fill = FILL_NONE,
     .long_name = "pairwise correlation of the input samples",
     .units = "1",
     .description = "x_s = sqrt(rho) g + sqrt(1 - rho) e_s with g shared by the batch (norm "
                    "sqrt(n)) and e_s ~ N(0, I), so that c[0] = rho and q[0] = 1",
     .config_real = config_input_correlation,
     .presence = WITH_INPUT_CORRELATION},
    {.name = "c_star_theory",
     .type = VT_FLOAT64,
     .dims = DIMS_CONFIG,
     .source = FROM_THEORY,
     .fill = FILL_NAN,
     .long_name = "stable fixed point c* of the correlation map at q*",
     .units = "1",
     .description = "1 in the ordered phase and at the edge of chaos; below 1 in the chaotic "
                    "phase (Poole et al. 2016); the limit of c_theory[l] as l grows",
     .offset = FIELD(gs_result, c_star_theory, double),
     .presence = WITH_INPUT_CORRELATION},
    GS_DEPTH_SCALE_LIST(DEPTH_SCALE_VARIABLE) /* xi_c_measured, … */
    /* The input-output Jacobian (jacobian.h, docs/theory.md): files of sweeps
     * with jacobian_samples > 0 only. */
    GS_JACOBIAN_LAYER_LIST(JACOBIAN_VARIABLE) /* jac_sq_sv_mean, jac_sq_sv_var_ratio */
    {.name = "jac_sv",
     .type = VT_FLOAT64,
     .dims = DIMS_CONFIG_SV,
     .source = FROM_JACOBIAN_SV,
     .fill = FILL_NAN,
     .long_name = "singular values of the input-output Jacobian J[L], first sample",
     .units = "1",
     .description = "singular values of J[L] = d a[L] / d x for the first sample of the batch, "
                    "descending (LAPACK dgesdd, in double); NaN past min(rows, columns) of J[L]. "
                    "Values below about 1e-7 (float32) or 1e-16 (float64) times jac_sv_max are "
                    "rounding: J[L] is singular to working precision there",
     .jacobian = true},
    JACOBIAN_RESULT(jac_sv_max, "largest singular value of J[L], first sample", "jac_sv[0]"),
    JACOBIAN_RESULT(jac_sv_min, "smallest singular value of J[L], first sample",
                    "the last of jac_sv; jac_sv_max / jac_sv_min is J[L]'s condition number"),
    JACOBIAN_LAYER(FROM_JACOBIAN_THEORY, "_theory", jac_sq_sv_mean,
                   "free-probability prediction of jac_sq_sv_mean", "1",
                   "prod over layers k <= l of sigma_w^2 E[phi'(sqrt(q[k]) z)^2] along the length "
                   "map (Pennington et al. 2017)"),
    JACOBIAN_LAYER(FROM_JACOBIAN_THEORY, "_theory", jac_sq_sv_var_ratio,
                   "free-probability prediction of jac_sq_sv_var_ratio", "1",
                   "sum over layers k <= l of (mu2 / mu1^2 - 1 - s1), mu_j = E[phi'(sqrt(q[k]) "
                   "z)^(2j)], s1 = -1 for gaussian and uniform weights, 0 for orthogonal ones "
                   "(Pennington et al. 2017, 2018); exact as the width grows, biased by O(depth / "
                   "width) at finite width (docs/theory.md)"),
    /* The network's shape (issue 12): in the files of network sweeps. */
    NETWORK_INT(input_width, NO_FLAGS, "features of the input x",
                "layer 1 maps input_width to width"),
    NETWORK_INT(output_width, NO_FLAGS, "units of the last layer L",
                "layer L maps width to output_width"),
    NETWORK_INT(fan, FAN_FLAGS, "fan of the weight variance", GS_LIST_MEANINGS(GS_FAN_LIST, "")),
    NETWORK_INT(sigma_w_name, SCALE_FLAGS, "how sigma_w was given",
                GS_LIST_MEANINGS(GS_SCALE_NAME_LIST, "")),
    /* Residual blocks and norms (issue 12): in the files of sweeps that give them. */
    NETWORK_REAL(branch_scale, "branch scale alpha of the residual blocks", "1",
                 "layers 2..L are pre-activation residual blocks z[l] = z[l-1] + alpha (W[l] "
                 "phi(N(z[l-1])) + b[l]) (a last layer of output_width != width stays dense); "
                 "1/sqrt(depth) is stored as its number; NaN: a plain network"),
    BLOCK_INT(norm, NORM_FLAGS, "normalisation N before every activation",
              GS_LIST_MEANINGS(GS_NORM_LIST, ". a[l] = phi(N(z[l])) in plain networks too")),
    GS_BLOCK_STATS_LIST(BLOCK_LAYER_VARIABLE) /* trunk_ch_var, branch_ch_var */
};
#define N_VARIABLES (sizeof variables / sizeof variables[0])

/* The descriptions that change in a network sweep's file, where layers
 * differ in width and the fan and the biases have more than one kind. */
static const struct {
    const char *name, *description;
} network_descriptions[] = {
    {"width", "units of the hidden layers; layer 1 maps input_width features to width units, "
              "layer L width units to output_width"},
    {"sigma_w", "Var(W_ij) = sigma_w^2 / fan (the variable fan); a named scale (sigma_w_name) "
                "is stored as its number"},
    {"sigma_b", "b_i ~ N(0, sigma_b^2); where sigma_w_name is torch_default the biases are "
                "PyTorch's, b_i ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and sigma_b is 0"},
};

/* ... and those that change in a block sweep's file (branch_scale or norm given). */
static const struct {
    const char *name, *description;
} block_descriptions[] = {
    {"q", "mean of z[l]^2 over units and samples: z[l] = W[l] a[l-1] + b[l], or for residual "
          "blocks (branch_scale) the trunk z[l] = z[l-1] + alpha (W[l] a[l-1] + b[l]); a[l] = "
          "phi(N(z[l])) with N the variable norm, a[0] = x"},
    {"q_theory", "q[1] = v_w[1] + v_b[1]; q[l] = v_w E[phi(sqrt(s[l-1]) z)^2] + v_b, or for "
                 "residual blocks q[l-1] + alpha^2 (v_w E[phi(sqrt(s[l-1]) z)^2] + v_b), s = q "
                 "(norm none) or q/(q + eps) (layernorm), z ~ N(0, 1) (docs/theory.md)"},
    {"delta_sq_theory", "probe: delta_sq[L] = 1, delta_sq[l-1] = back[l] delta_sq[l] E[phi'^2] g, "
                        "or through a residual block delta_sq[l] (1 + alpha^2 back[l] E[phi'^2] "
                        "g), g = 1 or LayerNorm's (1 - (1 + s)/n)/(q + eps); mse: the recursion "
                        "of docs/theory.md, NaN with residual blocks or a norm"},
};

static const char *description_of(const var_def *v, bool network, bool blocks) {
    for (size_t k = 0; blocks && k < sizeof block_descriptions / sizeof *block_descriptions; k++)
        if (strcmp(block_descriptions[k].name, v->name) == 0)
            return block_descriptions[k].description;
    for (size_t k = 0; network && k < sizeof network_descriptions / sizeof *network_descriptions;
         k++)
        if (strcmp(network_descriptions[k].name, v->name) == 0)
            return network_descriptions[k].description;
    return v->description;
}

static const char *flag_meanings(var_flags flags) {
    switch (flags) {
    case ACTIVATION_FLAGS: return activation_flag_meanings();
    case INIT_FLAGS: return init_flag_meanings();
    case STATUS_FLAGS: return status_flag_meanings();
    case XI_REASON_FLAGS: return xi_reason_flag_meanings();
    case FAN_FLAGS: return fan_flag_meanings();
    case SCALE_FLAGS: return scale_flag_meanings();
    case NORM_FLAGS: return norm_flag_meanings();
    case PARAMETRIZATION_FLAGS: return parametrization_flag_meanings();
    case NO_FLAGS: break;
    }
    return NULL;
}

static hid_t file_type(var_type type) {
    switch (type) {
    case VT_INT32: return H5T_STD_I32LE;
    case VT_INT64: return H5T_STD_I64LE;
    case VT_FLOAT64: break;
    }
    return H5T_IEEE_F64LE;
}

/* ---- the store ---------------------------------------------------------------- */

struct gs_store {
    MPI_Comm comm; /* a duplicate of the caller's: our broadcasts never meet its messages */
    int rank;
    char *path;
    int64_t count; /* N, configurations */
    int max_depth; /* L_max, layers */
    hid_t file;
    hid_t config_scale, layer_scale; /* the dimension coordinates `config` and `layer` */
    hid_t dataset[N_VARIABLES];      /* variables[i]'s dataset */
    bool present[N_VARIABLES];       /* variables[i] is in this file (var_presence) */
    bool network;                    /* the sweep is a network one (spec_has_network) */
    bool blocks;                     /* it gives branch_scale or norm (IN_BLOCK_FILES) */
    hid_t config_space;              /* file space (N): selects one configuration */
    hid_t layer_space;               /* file space (N, L_max): selects one configuration's row */
    hid_t row_space;                 /* memory space of one row: extent = its depth */
    hid_t scalar_space;              /* one value: result scalars and attributes */
    hid_t string_type;               /* variable-length UTF-8: h5py reads str, netCDF string */
    hid_t xfer;                      /* raw-data transfer properties (see raw_transfer) */
    double *row;                     /* [L_max] one per-layer variable of one configuration */
    bool created;                    /* H5Fcreate succeeded: a failed create removes the file */
    int64_t kept[GS_STATUS_COUNT];   /* resume: rows by status that this run does not recompute */
    gs_lock *lock;                   /* rank 0: the results file's lock (lock.h) */
    /* The Jacobian (jacobian_samples > 0): its variables, the `sv` dimension */
    int jacobian_samples;            /* K; 0: the file has no Jacobian variables */
    int sv_size;                     /* the `sv` dimension: the most singular values of any J[L] */
    hid_t sv_scale;                  /* its coordinate */
    hid_t sv_space;                  /* file space (N, sv): selects one configuration's values */
    struct store_training *training; /* training sweeps' variables (the end of this file); NULL
                                        without train: */
};

/* Whether variables[i] is in this file (store_new decides: the Jacobian's only
 * with jacobian_samples > 0, the depth scales' only with input_correlation). */
static bool present(const gs_store *s, size_t i) { return s->present[i]; }

/* The file space of a variable of dims, and the values of one row. */
static hid_t dims_space(const gs_store *s, var_dims dims) {
    return dims == DIMS_CONFIG         ? s->config_space
           : dims == DIMS_CONFIG_LAYER ? s->layer_space
                                       : s->sv_space;
}
static hsize_t row_length(const gs_store *s, var_dims dims) {
    return dims == DIMS_CONFIG         ? 1
           : dims == DIMS_CONFIG_LAYER ? (hsize_t)s->max_depth
                                       : (hsize_t)s->sv_size;
}

/* Training's variables: only files of sweeps with train: have them (the
 * section at the end of this file). */
typedef struct store_training store_training;
static int train_create_layout(gs_store *s, const gs_spec *spec, gs_error *err);
static int train_initial_values(gs_store *s, const gs_grid *grid, int64_t lo, int64_t hi,
                                gs_error *err);
static int train_open_layout(gs_store *s, const gs_spec *spec, gs_error *err);
static int train_write(gs_store *s, const gs_config *cfg, const gs_result *res, gs_error *err);
static int train_close_objects(gs_store *s);

/* ---- errors ------------------------------------------------------------------- */

enum { REASON_SIZE = 320 };

/* H5Ewalk2 callback. Walking upward, entry 0 is the innermost, most specific
 * one: an errno or MPI error text rather than "unable to create dataset". */
static herr_t keep_innermost(unsigned n, const H5E_error2_t *e, void *reason) {
    if (n == 0) snprintf(reason, REASON_SIZE, "%s", e->desc && *e->desc ? e->desc : e->func_name);
    return 0;
}

/* Turns the failed HDF5 call into one line: "out.h5: H5Dcreate2 (q) failed: why". */
static int hdf5_fail(gs_error *err, const char *path, const char *call, const char *what) {
    char reason[REASON_SIZE] = "";
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, keep_innermost, reason);
    H5Eclear2(H5E_DEFAULT);
    return gs_fail(err, GS_EXIT_OUTPUT, "%s: %s%s%s%s failed%s%s", path, call, what ? " (" : "",
                   what ? what : "", what ? ")" : "", *reason ? ": " : "", reason);
}

/* IOR's HDF5_CHECK: every HDF5 call is checked, and a failure returns at once
 * naming the call, the object and the file. Uses `s` and `err` from the caller.
 * Check before any other HDF5 call: each API call clears the error stack. */
#define HDF5_CHECK(status, call, what)                                                             \
    do {                                                                                           \
        if ((status) < 0) return hdf5_fail(err, s->path, (call), (what));                          \
    } while (0)

/* After ranks worked on their own (rank 0 checking the path, each rank writing
 * its slice of the initial values), the first failing rank's error becomes
 * every rank's: all return the same code and take the same collective path.
 * (A collective HDF5 call that fails on one rank only cannot be rescued: the
 * others wait inside HDF5. That is why nothing that can fail alone, such as
 * a write into a full disk, is done inside a collective call.) */
static int agree_outcome(const gs_store *s, int rc, gs_error *err) {
    int failing = rc != 0 ? s->rank : INT_MAX, first;
    MPI_Allreduce(&failing, &first, 1, MPI_INT, MPI_MIN, s->comm);
    if (first == INT_MAX) return 0;
    gs_error shared = {0};
    if (s->rank == first) {
        if (err) shared = *err;
        shared.code = rc;
    }
    MPI_Bcast(&shared, (int)sizeof shared, MPI_BYTE, first, s->comm);
    if (s->rank != first) gs_fail(err, shared.code, "%s", shared.msg);
    return shared.code;
}

/* ---- the output path (rank 0, before anything is created) ---------------------- */

static char *directory_of(const char *path) {
    char *dir = strcpy(gs_malloc(strlen(path) + 2), path); /* room for "." */
    char *slash = strrchr(dir, '/');
    if (!slash) return strcpy(dir, ".");
    slash[slash == dir ? 1 : 0] = '\0'; /* "/x.h5" lives in "/" */
    return dir;
}

static int check_directory(const char *path, gs_error *err) {
    char *dir = directory_of(path);
    struct stat st;
    int rc = 0;
    if (stat(dir, &st) != 0)
        rc = gs_fail(err, GS_EXIT_OUTPUT, "cannot create \"%s\": directory \"%s\": %s", path, dir,
                     strerror(errno));
    else if (!S_ISDIR(st.st_mode))
        rc = gs_fail(err, GS_EXIT_OUTPUT, "cannot create \"%s\": \"%s\" is not a directory", path,
                     dir);
    else if (access(dir, W_OK | X_OK) != 0)
        rc = gs_fail(err, GS_EXIT_OUTPUT, "cannot create \"%s\": directory \"%s\": %s", path, dir,
                     strerror(errno));
    free(dir);
    return rc;
}

/* An existing file is replaced only with force, and only if it is HDF5 (or
 * empty): a typo such as `-o sweep.yaml` must never destroy the sweep file. */
static int check_existing(const char *path, bool force, gs_error *err) {
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno == ENOENT) return 0;
        return gs_fail(err, GS_EXIT_OUTPUT, "cannot create \"%s\": %s", path, strerror(errno));
    }
    if (S_ISDIR(st.st_mode))
        return gs_fail(err, GS_EXIT_OUTPUT,
                       "output \"%s\" is a directory; give a file name with -o", path);
    if (!force)
        return gs_fail(err, GS_EXIT_OUTPUT,
                       "output file \"%s\" exists; pass --force to replace it or choose another -o",
                       path);
    if (st.st_size > 0 && H5Fis_hdf5(path) <= 0)
        return gs_fail(err, GS_EXIT_OUTPUT,
                       "output file \"%s\" exists and is not an HDF5 file; refusing to replace it "
                       "even with --force (is it the sweep file?); choose another -o",
                       path);
    return 0;
}

/* Bytes of the file once every dataset is allocated, plus room for metadata. */
static double file_bytes(const gs_store *s) {
    double per_config = 8; /* the `config` coordinate, int64 */
    for (size_t i = 0; i < N_VARIABLES; i++) {
        if (!present(s, i)) continue;
        double size = variables[i].type == VT_INT32 ? 4 : 8;
        per_config += variables[i].dims == DIMS_CONFIG_LAYER ? size * s->max_depth
                      : variables[i].dims == DIMS_CONFIG_SV  ? size * s->sv_size
                                                             : size;
    }
    return (double)s->count * per_config + 4.0 * s->max_depth + 4.0 * s->sv_size + (1 << 20);
}

/* Bytes free for us on the file system that holds path's directory; false
 * when it cannot be asked (the checks that use it then let the write decide). */
static bool free_bytes_near(const char *path, double *available) {
    char *dir = directory_of(path);
    struct statvfs fs;
    bool known = statvfs(dir, &fs) == 0;
    if (known) *available = (double)fs.f_bavail * (double)fs.f_frsize;
    free(dir);
    return known;
}

/* Every byte is allocated (and mostly filled) at creation: a file that cannot
 * fit is refused now, in one clear line, rather than after minutes of writing
 * fill values and a "file write failed" from deep inside HDF5. */
static int check_space(const char *path, double needed, gs_error *err) {
    char *dir = directory_of(path);
    struct stat st;
    double available = 0;
    int rc = 0;
    if (free_bytes_near(path, &available)) {
        if (stat(path, &st) == 0) available += (double)st.st_size; /* replaced, so freed */
        if (needed > available) {
            char need[32], have[32];
            rc = gs_fail(err, GS_EXIT_OUTPUT,
                         "cannot create \"%s\": it needs %s and directory \"%s\" has %s free; "
                         "free some space, choose another -o or split the sweep",
                         path, gs_format_bytes(needed, need, sizeof need), dir,
                         gs_format_bytes(available, have, sizeof have));
        }
    }
    free(dir);
    return rc;
}

/* Rank 0: the results file's lock (lock.h), taken before the file is looked
 * at, so that a run that finds another one writing is told so (and not, say,
 * that the file exists). A lock file that cannot be written at all (a full or
 * read-only file system) is reported only if the checks that follow do not
 * say why more clearly. Returns the refusal, or 0 with *deferred set (or 0). */
static int take_lock(gs_store *s, const gs_lock_options *opt, int *deferred, gs_error *deferred_err,
                     gs_error *err) {
    int errno_seen = 0;
    *deferred = lock_acquire(&s->lock, s->path, opt, &errno_seen, deferred_err);
    if (*deferred != GS_EXIT_LOCKED) return 0;
    *deferred = 0;
    return gs_fail(err, GS_EXIT_LOCKED, "%s", deferred_err->msg);
}

/* The checks of path (a new file) under the lock; on refusal the lock is given back. */
static int check_output_path(gs_store *s, bool force, double needed, const gs_lock_options *lock,
                             gs_error *err) {
    const char *path = s->path;
    if (!*path)
        return gs_fail(err, GS_EXIT_OUTPUT, "the output file name is empty; give one with -o");
    int rc = check_directory(path, err), lock_rc = 0;
    gs_error lock_err = {0};
    if (rc == 0) rc = take_lock(s, lock, &lock_rc, &lock_err, err);
    if (rc == 0) rc = check_existing(path, force, err);
    if (rc == 0) rc = check_space(path, needed, err);
    if (rc == 0 && lock_rc) rc = gs_fail(err, lock_rc, "%s", lock_err.msg);
    if (rc) lock_release(&s->lock);
    return rc;
}

/* ---- HDF5 objects that do not depend on the file -------------------------------- */

/* The one place that chooses how raw data travels. Each configuration is
 * written by the rank that computed it, whenever it finishes, so transfers are
 * independent: collective I/O would need every rank in every write. (The
 * initial values in store_create are independent too: see agree_outcome.) */
static hid_t raw_transfer(void) {
    hid_t xfer = H5Pcreate(H5P_DATASET_XFER);
    if (xfer >= 0 && H5Pset_dxpl_mpio(xfer, H5FD_MPIO_INDEPENDENT) < 0) {
        H5Pclose(xfer);
        return -1;
    }
    return xfer;
}

/* Variable-length UTF-8 strings for attributes: h5py returns str, netCDF and
 * xarray a string, and a long sweep file has no 64 KiB attribute limit (the
 * text lives in the global heap). Datasets never hold strings. */
static hid_t utf8_string_type(void) {
    hid_t type = H5Tcopy(H5T_C_S1);
    if (type >= 0 &&
        (H5Tset_size(type, H5T_VARIABLE) < 0 || H5Tset_cset(type, H5T_CSET_UTF8) < 0)) {
        H5Tclose(type);
        return -1;
    }
    return type;
}

static int create_memory_objects(gs_store *s, gs_error *err) {
    hsize_t layer_dims[2] = {(hsize_t)s->count, (hsize_t)s->max_depth};
    hsize_t one = 1;
    s->config_space = H5Screate_simple(1, layer_dims, NULL);
    HDF5_CHECK(s->config_space, "H5Screate_simple", "config");
    s->layer_space = H5Screate_simple(2, layer_dims, NULL);
    HDF5_CHECK(s->layer_space, "H5Screate_simple", "config, layer");
    s->row_space = H5Screate_simple(1, &one, NULL);
    HDF5_CHECK(s->row_space, "H5Screate_simple", "row");
    s->scalar_space = H5Screate(H5S_SCALAR);
    HDF5_CHECK(s->scalar_space, "H5Screate", "scalar");
    if (s->jacobian_samples > 0) {
        hsize_t sv_dims[2] = {(hsize_t)s->count, (hsize_t)s->sv_size};
        s->sv_space = H5Screate_simple(2, sv_dims, NULL);
        HDF5_CHECK(s->sv_space, "H5Screate_simple", "config, sv");
    }
    s->string_type = utf8_string_type();
    HDF5_CHECK(s->string_type, "H5Tcopy/H5Tset_size", "UTF-8 string type");
    s->xfer = raw_transfer();
    HDF5_CHECK(s->xfer, "H5Pcreate/H5Pset_dxpl_mpio", "transfer properties");
    return 0;
}

/* ---- the file ------------------------------------------------------------------- */

static int create_file(gs_store *s, gs_error *err) {
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    unsigned order = H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED;
    int rc = 0;
    /* netCDF-4 lists variables and attributes in creation order when it is
     * tracked (as its own files do); otherwise alphabetically. */
    if (fcpl < 0 || fapl < 0 || H5Pset_link_creation_order(fcpl, order) < 0 ||
        H5Pset_attr_creation_order(fcpl, order) < 0 ||
        H5Pset_fapl_mpio(fapl, s->comm, MPI_INFO_NULL) < 0) {
        rc = hdf5_fail(err, s->path, "H5Pset_* (file properties)", NULL);
    } else {
        s->file = H5Fcreate(s->path, H5F_ACC_TRUNC, fcpl, fapl);
        if (s->file < 0)
            rc = hdf5_fail(err, s->path, "H5Fcreate", NULL);
        else
            s->created = true;
    }
    if (fcpl >= 0) H5Pclose(fcpl);
    if (fapl >= 0) H5Pclose(fapl);
    return rc;
}

/* Contiguous, allocated at creation and unfiltered: parallel HDF5 needs early
 * allocation, independent writes need no filters, and with all space allocated
 * up front a write never changes metadata (see the top of the file). No time
 * stamps, so identical runs give identical bytes.
 * The fill value is recorded (h5py's fillvalue, netCDF's fill) but HDF5 is
 * told never to write it: HDF5 would fill inside the collective H5Dcreate2,
 * where one rank's failed write (full disk) hangs the others. store_create
 * writes the fill itself, each rank its slice, independently (write_fill). */
static hid_t dataset_properties(var_fill fill, int64_t fill_int) {
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (dcpl < 0) return -1;
    double nan = NAN;
    unsigned order = H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED;
    herr_t ok = 0;
    if (H5Pset_layout(dcpl, H5D_CONTIGUOUS) < 0 ||
        H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY) < 0 || H5Pset_obj_track_times(dcpl, 0) < 0 ||
        H5Pset_attr_creation_order(dcpl, order) < 0)
        ok = -1;
    else if (fill == FILL_NAN)
        ok = H5Pset_fill_value(dcpl, H5T_NATIVE_DOUBLE, &nan);
    else if (fill == FILL_INT)
        ok = H5Pset_fill_value(dcpl, H5T_NATIVE_INT64, &fill_int);
    if (ok >= 0) ok = H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER);
    if (ok < 0) {
        H5Pclose(dcpl);
        return -1;
    }
    return dcpl;
}

static hid_t create_dataset(gs_store *s, const char *name, hid_t type, hid_t space, var_fill fill,
                            int64_t fill_int, gs_error *err) {
    hid_t dcpl = dataset_properties(fill, fill_int);
    if (dcpl < 0) return hdf5_fail(err, s->path, "H5Pset_* (dataset properties)", name), -1;
    hid_t dataset = H5Dcreate2(s->file, name, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (dataset < 0) hdf5_fail(err, s->path, "H5Dcreate2", name);
    H5Pclose(dcpl);
    return dataset;
}

/* ---- attributes ------------------------------------------------------------------ */

static int put_attribute(gs_store *s, hid_t loc, const char *owner, const char *name, hid_t type,
                         hid_t memory_type, hid_t space, const void *value, gs_error *err) {
    char what[160];
    snprintf(what, sizeof what, "%s:%s", owner, name); /* ncdump's spelling */
    /* A resumed file already has the run's attributes: replace them. */
    htri_t exists = H5Aexists(loc, name);
    HDF5_CHECK(exists, "H5Aexists", what);
    if (exists) HDF5_CHECK(H5Adelete(loc, name), "H5Adelete", what);
    hid_t attribute = H5Acreate2(loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    HDF5_CHECK(attribute, "H5Acreate2", what);
    int rc = 0;
    if (H5Awrite(attribute, memory_type, value) < 0) rc = hdf5_fail(err, s->path, "H5Awrite", what);
    if (H5Aclose(attribute) < 0 && rc == 0) rc = hdf5_fail(err, s->path, "H5Aclose", what);
    return rc;
}

static int put_string(gs_store *s, hid_t loc, const char *owner, const char *name,
                      const char *value, gs_error *err) {
    return put_attribute(s, loc, owner, name, s->string_type, s->string_type, s->scalar_space,
                         &value, err);
}

static int put_double(gs_store *s, hid_t loc, const char *owner, const char *name, double value,
                      gs_error *err) {
    return put_attribute(s, loc, owner, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, s->scalar_space,
                         &value, err);
}

static int count_words(const char *text) {
    int words = 0;
    for (const char *p = text; *p; p++)
        if (*p != ' ' && (p == text || p[-1] == ' ')) words++;
    return words;
}

/* CF flags: flag_values 0 … k-1 in the variable's own type, one word of
 * flag_meanings each (counted from the meanings, so the two always agree). */
static int put_flags(gs_store *s, hid_t loc, const var_def *v, gs_error *err) {
    enum { MAX_FLAGS = 64 };
    const char *meanings = flag_meanings(v->flags);
    hsize_t k = (hsize_t)count_words(meanings);
    int32_t values[MAX_FLAGS];
    if (k > MAX_FLAGS)
        return gs_fail(err, GS_EXIT_INTERNAL, "%s: more than %d flag meanings", v->name, MAX_FLAGS);
    for (hsize_t i = 0; i < k; i++)
        values[i] = (int32_t)i;
    hid_t space = H5Screate_simple(1, &k, NULL);
    HDF5_CHECK(space, "H5Screate_simple", "flag_values");
    int rc = put_attribute(s, loc, v->name, "flag_values", file_type(v->type), H5T_NATIVE_INT32,
                           space, values, err);
    H5Sclose(space);
    return rc ? rc : put_string(s, loc, v->name, "flag_meanings", meanings, err);
}

static int put_variable_attributes(gs_store *s, hid_t loc, const var_def *v, gs_error *err) {
    int rc = 0;
    if (v->fill == FILL_NAN) rc = put_double(s, loc, v->name, "_FillValue", NAN, err);
    if (rc == 0) rc = put_string(s, loc, v->name, "long_name", v->long_name, err);
    if (rc == 0 && v->units) rc = put_string(s, loc, v->name, "units", v->units, err);
    if (rc == 0 && v->flags != NO_FLAGS) rc = put_flags(s, loc, v, err);
    const char *description = description_of(v, s->network, s->blocks);
    if (rc == 0 && description) rc = put_string(s, loc, v->name, "description", description, err);
    return rc;
}

/* Root attributes describe the run as rank 0 sees it. Attribute writes are
 * collective and need identical bytes on every rank, but a BLAS configuration
 * or a clock may differ between nodes: rank 0's value is broadcast first. */
static int put_root_string(gs_store *s, const char *name, const char *value, gs_error *err) {
    long long length = value ? (long long)strlen(value) : -1;
    MPI_Bcast(&length, 1, MPI_LONG_LONG, 0, s->comm);
    if (length < 0) return 0; /* absent on rank 0: no attribute */
    if (length >= INT_MAX)
        return gs_fail(err, GS_EXIT_OUTPUT, "%s: attribute %s is too long (%lld bytes)", s->path,
                       name, length);
    char *text = gs_malloc((size_t)length + 1);
    if (s->rank == 0) memcpy(text, value, (size_t)length + 1);
    MPI_Bcast(text, (int)length + 1, MPI_CHAR, 0, s->comm);
    int rc = put_string(s, s->file, "", name, text, err);
    free(text);
    return rc;
}

static int put_root_number(gs_store *s, const char *name, hid_t type, hid_t memory_type,
                           void *value, size_t size, gs_error *err) {
    MPI_Bcast(value, (int)size, MPI_BYTE, 0, s->comm);
    return put_attribute(s, s->file, "", name, type, memory_type, s->scalar_space, value, err);
}

static int put_root_int64(gs_store *s, const char *name, int64_t value, gs_error *err) {
    return put_root_number(s, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &value, sizeof value, err);
}

static int put_root_int32(gs_store *s, const char *name, int32_t value, gs_error *err) {
    return put_root_number(s, name, H5T_STD_I32LE, H5T_NATIVE_INT32, &value, sizeof value, err);
}

static int put_root_double(gs_store *s, const char *name, double value, gs_error *err) {
    return put_root_number(s, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value, sizeof value, err);
}

static void utc_now(char *buf, size_t size) {
    time_t now = time(NULL);
    struct tm utc;
    gmtime_r(&now, &utc);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &utc);
}

/* "activation init width depth …": the axes the sweep has, slowest first. */
static void canonical_order(const gs_spec *spec, char *buf, size_t size) {
    size_t used = 0;
    buf[0] = '\0';
    for (int a = 0; a < GS_AXIS_ALL_COUNT && used < size; a++)
        if (spec_has_axis(spec, (gs_axis_id)a))
            used += (size_t)snprintf(buf + used, size - used, "%s%s", a ? " " : "",
                                     axis_name((gs_axis_id)a));
}

static const char *or_empty(const char *text) { return text ? text : ""; }

static int put_root_attributes(gs_store *s, const gs_spec *spec, const gs_run_info *info,
                               gs_error *err) {
    char created[32], order[256];
    utc_now(created, sizeof created);
    canonical_order(spec, order, sizeof order);
    uint64_t base_seed = spec->base_seed;
    int rc = put_root_string(s, "schema", GS_SCHEMA, err);
    if (rc == 0) rc = put_root_string(s, "gradsweep_version", GS_VERSION, err);
    if (rc == 0) rc = put_root_string(s, "created_utc", created, err);
    if (rc == 0) rc = put_root_string(s, "command_line", or_empty(info->command_line), err);
    if (rc == 0) rc = put_root_string(s, "sweep_spec", or_empty(info->sweep_spec), err);
    if (rc == 0) rc = put_root_string(s, "sweep_file", info->sweep_file, err); /* NULL: none */
    if (rc == 0) rc = put_root_string(s, "loss", or_empty(loss_name(spec->loss)), err);
    if (rc == 0) rc = put_root_string(s, "loss_definition", loss_definition(spec->loss), err);
    if (rc == 0)
        rc = put_root_string(s, "precision", or_empty(precision_name(spec->precision)), err);
    if (rc == 0)
        rc = put_root_number(s, "base_seed", H5T_STD_U64LE, H5T_NATIVE_UINT64, &base_seed,
                             sizeof base_seed, err);
    if (rc == 0) rc = put_root_int32(s, "mpi_ranks", info->mpi_ranks, err);
    if (rc == 0) rc = put_root_string(s, "blas", or_empty(info->blas), err);
    if (rc == 0) rc = put_root_string(s, "blas_kernel", or_empty(info->blas_kernel), err);
    if (rc == 0)
        rc = put_root_string(s, "blas_kernel_choice", or_empty(info->blas_kernel_choice), err);
    if (rc == 0) rc = put_root_int32(s, "blas_threads", info->blas_threads, err);
    if (rc == 0) rc = put_root_string(s, "sweep_name", or_empty(spec->name), err);
    if (rc == 0) rc = put_root_double(s, "leaky_relu_slope", spec->leaky_relu_slope, err);
    if (rc == 0) rc = put_root_string(s, "canonical_order", order, err);
    if (rc == 0) rc = put_root_string(s, "Conventions", "CF-1.8", err);
    if (rc == 0 && spec->jacobian_samples > 0)
        rc = put_root_int32(s, "jacobian_samples", spec->jacobian_samples, err);
    return rc;
}

/* ---- dimensions and variables ----------------------------------------------------- */

/* A dimension coordinate: a dataset named like its dimension and made an HDF5
 * dimension scale, which is what netCDF-4, xarray and h5py read as a named
 * dimension. Its values are written by write_initial_values. */
static int create_dimension(gs_store *s, const char *name, hid_t type, hid_t space,
                            const char *long_name, const char *description, hid_t *out,
                            gs_error *err) {
    *out = create_dataset(s, name, type, space, FILL_NONE, 0, err);
    if (*out < 0) return GS_EXIT_OUTPUT;
    HDF5_CHECK(H5DSset_scale(*out, name), "H5DSset_scale", name);
    int rc = put_string(s, *out, name, "long_name", long_name, err);
    return rc ? rc : put_string(s, *out, name, "description", description, err);
}

static int create_dimensions(gs_store *s, gs_error *err) {
    hsize_t layers = (hsize_t)s->max_depth;
    hid_t layer_space = H5Screate_simple(1, &layers, NULL);
    HDF5_CHECK(layer_space, "H5Screate_simple", "layer");
    int rc = create_dimension(
        s, "config", H5T_STD_I64LE, s->config_space, "configuration number",
        "position in the sweep's canonical order (root attribute canonical_order, slowest axis "
        "first), independent of ranks and scheduling",
        &s->config_scale, err);
    if (rc == 0)
        rc = create_dimension(s, "layer", H5T_STD_I32LE, layer_space, "layer number",
                              "layer l is the l-th weight matrix, 1 ... L_max", &s->layer_scale,
                              err);
    H5Sclose(layer_space);
    if (rc == 0 && s->jacobian_samples > 0) {
        hsize_t svs = (hsize_t)s->sv_size;
        hid_t sv_space = H5Screate_simple(1, &svs, NULL);
        HDF5_CHECK(sv_space, "H5Screate_simple", "sv");
        rc = create_dimension(s, "sv", H5T_STD_I32LE, sv_space, "singular value number",
                              "k-th largest singular value of the Jacobian J[L], 1 ... n_max",
                              &s->sv_scale, err);
        H5Sclose(sv_space);
    }
    return rc;
}

/* The scale is what netCDF-4 and xarray read; the label is what h5py shows as
 * dataset.dims[axis].label. */
static int attach_dimension(gs_store *s, hid_t dataset, const char *variable, unsigned axis,
                            hid_t scale, const char *dimension, gs_error *err) {
    HDF5_CHECK(H5DSattach_scale(dataset, scale, axis), "H5DSattach_scale", variable);
    HDF5_CHECK(H5DSset_label(dataset, axis, dimension), "H5DSset_label", variable);
    return 0;
}

static int create_variable(gs_store *s, size_t i, gs_error *err) {
    const var_def *v = &variables[i];
    hid_t space = dims_space(s, v->dims);
    s->dataset[i] =
        create_dataset(s, v->name, file_type(v->type), space, v->fill, v->fill_int, err);
    if (s->dataset[i] < 0) return GS_EXIT_OUTPUT;
    int rc = attach_dimension(s, s->dataset[i], v->name, 0, s->config_scale, "config", err);
    if (rc == 0 && v->dims == DIMS_CONFIG_LAYER)
        rc = attach_dimension(s, s->dataset[i], v->name, 1, s->layer_scale, "layer", err);
    if (rc == 0 && v->dims == DIMS_CONFIG_SV)
        rc = attach_dimension(s, s->dataset[i], v->name, 1, s->sv_scale, "sv", err);
    return rc ? rc : put_variable_attributes(s, s->dataset[i], v, err);
}

/* Everything but the datasets' values: collective, same calls on every rank. */
static int create_layout(gs_store *s, const gs_grid *grid, const gs_run_info *info, gs_error *err) {
    int rc = create_memory_objects(s, err);
    if (rc == 0) rc = create_file(s, err);
    if (rc == 0) rc = put_root_attributes(s, grid->spec, info, err);
    if (rc == 0) rc = create_dimensions(s, err);
    for (size_t i = 0; rc == 0 && i < N_VARIABLES; i++)
        if (present(s, i)) rc = create_variable(s, i, err);
    if (rc == 0 && spec_has_training(grid->spec)) rc = train_create_layout(s, grid->spec, err);
    return rc;
}

/* ---- the initial values (each rank its slice of configurations) ---------------- */

/* Configurations decoded and written per block: memory stays bounded for any N. */
enum { COORDINATE_BLOCK = 65536 };
/* Fill values per write: 4 MiB of doubles or int64. */
enum { FILL_BLOCK_VALUES = 1 << 19 };

/* Writes rows first … first+rows-1 of a dataset from values (HDF5 converts the
 * memory type to the file type). */
static int write_rows(gs_store *s, hid_t dataset, const char *name, var_dims dims, int64_t first,
                      int64_t rows, hid_t memory_type, const void *values, gs_error *err) {
    hid_t file_space = dims_space(s, dims);
    hsize_t start[2] = {(hsize_t)first, 0}, count[2] = {(hsize_t)rows, row_length(s, dims)};
    hsize_t n = count[0] * count[1];
    HDF5_CHECK(H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start, NULL, count, NULL),
               "H5Sselect_hyperslab", name);
    hid_t memory = H5Screate_simple(1, &n, NULL);
    HDF5_CHECK(memory, "H5Screate_simple", name);
    int rc = 0;
    if (H5Dwrite(dataset, memory_type, memory, file_space, s->xfer, values) < 0)
        rc = hdf5_fail(err, s->path, "H5Dwrite", name); /* before H5Sclose clears the stack */
    H5Sclose(memory);
    return rc;
}

/* values has room for n int64 or n doubles. */
static int write_coordinate_block(gs_store *s, int64_t first, int64_t n, const gs_config *configs,
                                  void *values, gs_error *err) {
    int64_t *integers = values;
    double *reals = values;
    for (int64_t i = 0; i < n; i++)
        integers[i] = configs[i].index;
    int rc = write_rows(s, s->config_scale, "config", DIMS_CONFIG, first, n, H5T_NATIVE_INT64,
                        values, err);
    for (size_t v = 0; rc == 0 && v < N_VARIABLES; v++) {
        const var_def *var = &variables[v];
        if (var->source != FROM_CONFIG || !present(s, v)) continue;
        if (var->type == VT_FLOAT64)
            for (int64_t i = 0; i < n; i++)
                reals[i] = var->config_real(&configs[i]);
        else
            for (int64_t i = 0; i < n; i++)
                integers[i] = var->config_int(&configs[i]);
        hid_t memory_type = var->type == VT_FLOAT64 ? H5T_NATIVE_DOUBLE : H5T_NATIVE_INT64;
        rc = write_rows(s, s->dataset[v], var->name, DIMS_CONFIG, first, n, memory_type, values,
                        err);
    }
    return rc;
}

/* The per-configuration coordinates (depth, width, …) of configurations lo … hi-1. */
static int write_coordinates(gs_store *s, const gs_grid *grid, int64_t lo, int64_t hi,
                             gs_error *err) {
    gs_config *configs = gs_malloc(COORDINATE_BLOCK * sizeof *configs);
    void *values = gs_malloc(COORDINATE_BLOCK * sizeof(int64_t)); /* = sizeof(double) */
    int rc = 0;
    for (int64_t first = lo; rc == 0 && first < hi; first += COORDINATE_BLOCK) {
        int64_t n = hi - first < COORDINATE_BLOCK ? hi - first : COORDINATE_BLOCK;
        for (int64_t i = 0; i < n; i++)
            grid_config(grid, first + i, &configs[i]);
        rc = write_coordinate_block(s, first, n, configs, values, err);
    }
    free(values);
    free(configs);
    return rc;
}

/* Every result variable's fill value (NaN, pending, -1 …) over rows lo … hi-1. */
static int write_fill(gs_store *s, int64_t lo, int64_t hi, gs_error *err) {
    size_t capacity = FILL_BLOCK_VALUES > s->max_depth ? FILL_BLOCK_VALUES : (size_t)s->max_depth;
    if (capacity < (size_t)s->sv_size) capacity = (size_t)s->sv_size;
    void *values = gs_malloc(capacity * sizeof(int64_t)); /* = sizeof(double) */
    int rc = 0;
    for (size_t v = 0; rc == 0 && v < N_VARIABLES; v++) {
        const var_def *var = &variables[v];
        if (var->fill == FILL_NONE || !present(s, v)) continue;
        int64_t rows_per_write = (int64_t)capacity / (int64_t)row_length(s, var->dims);
        for (size_t i = 0; i < capacity; i++) {
            if (var->fill == FILL_NAN)
                ((double *)values)[i] = NAN;
            else
                ((int64_t *)values)[i] = var->fill_int;
        }
        hid_t memory_type = var->fill == FILL_NAN ? H5T_NATIVE_DOUBLE : H5T_NATIVE_INT64;
        for (int64_t first = lo; rc == 0 && first < hi; first += rows_per_write) {
            int64_t rows = hi - first < rows_per_write ? hi - first : rows_per_write;
            rc = write_rows(s, s->dataset[v], var->name, var->dims, first, rows, memory_type,
                            values, err);
        }
    }
    free(values);
    return rc;
}

/* 1 … count into a dimension coordinate. */
static int write_numbers(gs_store *s, hid_t scale, int count, const char *name, gs_error *err) {
    int32_t *numbers = gs_malloc((size_t)count * sizeof *numbers);
    for (int l = 0; l < count; l++)
        numbers[l] = l + 1;
    herr_t status = H5Dwrite(scale, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, s->xfer, numbers);
    free(numbers);
    HDF5_CHECK(status, "H5Dwrite", name);
    return 0;
}

static int write_layer_numbers(gs_store *s, gs_error *err) {
    int rc = write_numbers(s, s->layer_scale, s->max_depth, "layer", err);
    if (rc == 0 && s->jacobian_samples > 0)
        rc = write_numbers(s, s->sv_scale, s->sv_size, "sv", err);
    return rc;
}

/* Every byte of every dataset is written once at creation (coordinates or
 * fill), independently, each rank its contiguous slice of configurations. */
static int write_initial_values(gs_store *s, const gs_grid *grid, gs_error *err) {
    int size;
    MPI_Comm_size(s->comm, &size);
    int64_t lo = s->count * s->rank / size, hi = s->count * (s->rank + 1) / size;
    int rc = s->rank == 0 ? write_layer_numbers(s, err) : 0;
    if (rc == 0) rc = write_coordinates(s, grid, lo, hi, err);
    if (rc == 0) rc = write_fill(s, lo, hi, err);
    if (rc == 0 && s->training) rc = train_initial_values(s, grid, lo, hi, err);
    return rc;
}

/* ---- life cycle -------------------------------------------------------------------- */

/* Whether var is in the file of spec (var_presence; the Jacobian's only with
 * jacobian_samples > 0). */
static bool in_this_file(const var_def *var, const gs_spec *spec, const gs_store *s) {
    bool by_axes = var->presence == IN_EVERY_FILE ||
                   (var->presence == WITH_INPUT_CORRELATION &&
                    spec_has_axis(spec, GS_AXIS_INPUT_CORRELATION)) ||
                   (var->presence == IN_NETWORK_FILES && s->network) ||
                   (var->presence == IN_BLOCK_FILES && s->blocks);
    return by_axes && (!var->jacobian || s->jacobian_samples > 0);
}

static gs_store *store_new(const char *path, MPI_Comm comm, const gs_grid *grid) {
    gs_store *s = gs_calloc(1, sizeof *s);
    MPI_Comm_dup(comm, &s->comm);
    MPI_Comm_rank(s->comm, &s->rank);
    s->path = gs_strdup(path);
    s->count = grid->count;
    s->max_depth = grid->max_depth;
    s->jacobian_samples = grid->spec->jacobian_samples > 0 ? grid->spec->jacobian_samples : 0;
    /* J[L] of a square network of width n has n singular values (non-square
     * layers: min(rows, columns) of J[L], at most the largest width) */
    s->sv_size = s->jacobian_samples > 0 ? grid->max_width : 0;
    int row = grid->max_depth > s->sv_size ? grid->max_depth : s->sv_size;
    s->row = gs_malloc((size_t)(row > 0 ? row : 1) * sizeof *s->row);
    s->sv_scale = s->sv_space = H5I_INVALID_HID;
    s->file = s->config_scale = s->layer_scale = H5I_INVALID_HID;
    s->config_space = s->layer_space = s->row_space = s->scalar_space = H5I_INVALID_HID;
    s->string_type = s->xfer = H5I_INVALID_HID;
    s->network = spec_has_network(grid->spec);
    s->blocks =
        spec_has_axis(grid->spec, GS_AXIS_BRANCH_SCALE) || spec_has_axis(grid->spec, GS_AXIS_NORM);
    for (size_t i = 0; i < N_VARIABLES; i++) {
        s->dataset[i] = H5I_INVALID_HID;
        s->present[i] = in_this_file(&variables[i], grid->spec, s);
    }
    return s;
}

/* Closes every id the store holds except the file; returns how many closes failed. */
static int close_objects(gs_store *s) {
    int failed = train_close_objects(s);
    for (size_t i = 0; i < N_VARIABLES; i++)
        if (s->dataset[i] >= 0) failed += H5Dclose(s->dataset[i]) < 0;
    hid_t *datasets[] = {&s->config_scale, &s->layer_scale, &s->sv_scale};
    for (size_t i = 0; i < 3; i++)
        if (*datasets[i] >= 0) failed += H5Dclose(*datasets[i]) < 0;
    hid_t *spaces[] = {&s->config_space, &s->layer_space, &s->row_space, &s->scalar_space,
                       &s->sv_space};
    for (size_t i = 0; i < 5; i++)
        if (*spaces[i] >= 0) failed += H5Sclose(*spaces[i]) < 0;
    if (s->string_type >= 0) failed += H5Tclose(s->string_type) < 0;
    if (s->xfer >= 0) failed += H5Pclose(s->xfer) < 0;
    for (size_t i = 0; i < N_VARIABLES; i++)
        s->dataset[i] = H5I_INVALID_HID;
    s->config_scale = s->layer_scale = s->config_space = s->layer_space = H5I_INVALID_HID;
    s->sv_scale = s->sv_space = H5I_INVALID_HID;
    s->row_space = s->scalar_space = s->string_type = s->xfer = H5I_INVALID_HID;
    return failed;
}

/* Also gives the lock back: the last thing a run does with its file. */
static void store_free(gs_store *s) {
    lock_release(&s->lock);
    MPI_Comm_free(&s->comm);
    free(s->row);
    free(s->path);
    free(s);
}

/* After a failed create: a half-made file would pass for a results file (and
 * mislead --resume), so the file this call created is removed. It is emptied
 * first because H5Fclose flushes, and when the disk is full that flush fails
 * too; HDF5 1.10.8 then keeps a dangling file id that crashes the library's
 * own shutdown in MPI_Finalize. An emptied file has room for the metadata. */
static void discard(gs_store *s) {
    close_objects(s);
    if (s->file >= 0) {
        if (s->rank == 0) (void)!truncate(s->path, 0); /* best effort: removed below anyway */
        MPI_Barrier(s->comm);
        H5Fclose(s->file);
    }
    H5Eclear2(H5E_DEFAULT);
    MPI_Barrier(s->comm);
    if (s->rank == 0 && s->created) remove(s->path);
    store_free(s);
}

int store_create(gs_store **out, const char *path, MPI_Comm comm, const gs_grid *grid,
                 const gs_run_info *info, bool force, gs_error *err) {
    *out = NULL;
    /* Failures become gs_error messages; HDF5's own stack dump, printed by
     * every rank, would bury them. */
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if (grid->count < 1 || grid->max_depth < 1)
        return gs_fail(err, GS_EXIT_INTERNAL,
                       "store_create: empty grid (%lld configurations, %d "
                       "layers)",
                       (long long)grid->count, grid->max_depth);
    gs_store *s = store_new(path, comm, grid);
    double needed = file_bytes(s);
    int rc = agree_outcome(
        s, s->rank == 0 ? check_output_path(s, force, needed, &info->lock, err) : 0, err);
    if (rc == 0) rc = create_layout(s, grid, info, err);
    if (rc == 0) rc = agree_outcome(s, write_initial_values(s, grid, err), err);
    /* From here on only raw data changes: this flush puts the complete
     * metadata on disk, which is what keeps a killed sweep's file readable. */
    if (rc == 0 && H5Fflush(s->file, H5F_SCOPE_GLOBAL) < 0)
        rc = hdf5_fail(err, path, "H5Fflush", NULL);
    if (rc != 0) {
        discard(s);
        return rc;
    }
    MPI_Barrier(s->comm);
    *out = s;
    return 0;
}

/* ---- writing one configuration (independent) ------------------------------------------ */

static int write_failed(const gs_store *s, const char *call, const char *variable, int64_t index,
                        gs_error *err) {
    char what[128];
    snprintf(what, sizeof what, "%s, configuration %lld", variable, (long long)index);
    return hdf5_fail(err, s->path, call, what);
}

/* One configuration's rows of every per-layer variable of `source`: layer l's
 * value is the double at `offset` in the l-th struct of `stride` bytes. */
static int write_layer_rows(gs_store *s, int64_t index, int depth, var_source source,
                            const void *layers, size_t stride, gs_error *err) {
    hsize_t start[2] = {(hsize_t)index, 0}, count[2] = {1, (hsize_t)depth};
    if (H5Sselect_hyperslab(s->layer_space, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
        H5Sset_extent_simple(s->row_space, 1, &count[1], NULL) < 0)
        return write_failed(s, "H5Sselect_hyperslab", "layer row", index, err);
    for (size_t i = 0; i < N_VARIABLES; i++) {
        const var_def *v = &variables[i];
        if (v->source != source || !present(s, i)) continue;
        for (int l = 0; l < depth; l++)
            s->row[l] = *(const double *)((const char *)layers + (size_t)l * stride + v->offset);
        if (H5Dwrite(s->dataset[i], H5T_NATIVE_DOUBLE, s->row_space, s->layer_space, s->xfer,
                     s->row) < 0)
            return write_failed(s, "H5Dwrite", v->name, index, err);
    }
    return 0;
}

/* NaN over a configuration's measured per-layer rows. */
static int write_fill_row(gs_store *s, int64_t index, int depth, gs_error *err) {
    hsize_t start[2] = {(hsize_t)index, 0}, count[2] = {1, (hsize_t)depth};
    if (H5Sselect_hyperslab(s->layer_space, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
        H5Sset_extent_simple(s->row_space, 1, &count[1], NULL) < 0)
        return write_failed(s, "H5Sselect_hyperslab", "layer row", index, err);
    for (int l = 0; l < depth; l++)
        s->row[l] = NAN;
    for (size_t i = 0; i < N_VARIABLES; i++) {
        var_source source = variables[i].source;
        if ((source != FROM_LAYERS && source != FROM_JACOBIAN) || !present(s, i)) continue;
        if (H5Dwrite(s->dataset[i], H5T_NATIVE_DOUBLE, s->row_space, s->layer_space, s->xfer,
                     s->row) < 0)
            return write_failed(s, "H5Dwrite", variables[i].name, index, err);
    }
    return 0;
}

/* A configuration's singular values of J[L] (room for sv_size), or NaN
 * when values is NULL. */
static int write_sv_row(gs_store *s, int64_t index, const double *values, gs_error *err) {
    hsize_t start[2] = {(hsize_t)index, 0}, count[2] = {1, (hsize_t)s->sv_size};
    if (H5Sselect_hyperslab(s->sv_space, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
        H5Sset_extent_simple(s->row_space, 1, &count[1], NULL) < 0)
        return write_failed(s, "H5Sselect_hyperslab", "sv row", index, err);
    for (int k = 0; k < s->sv_size; k++)
        s->row[k] = values ? values[k] : NAN;
    for (size_t i = 0; i < N_VARIABLES; i++) {
        if (variables[i].source != FROM_JACOBIAN_SV || !present(s, i)) continue;
        if (H5Dwrite(s->dataset[i], H5T_NATIVE_DOUBLE, s->row_space, s->sv_space, s->xfer, s->row) <
            0)
            return write_failed(s, "H5Dwrite", variables[i].name, index, err);
    }
    return 0;
}

/* The Jacobian's rows of a computed configuration (what res holds; NaN where
 * it has no room) and its theory; a failed one gets NaN (its measured rows
 * were filled with the other measured rows). */
static int write_jacobian(gs_store *s, int64_t index, int depth, bool computed,
                          const gs_result *res, gs_error *err) {
    int rc = 0;
    if (computed && res->jacobian)
        rc = write_layer_rows(s, index, depth, FROM_JACOBIAN, res->jacobian, sizeof *res->jacobian,
                              err);
    if (rc == 0 && res->jacobian_theory)
        rc = write_layer_rows(s, index, depth, FROM_JACOBIAN_THEORY, res->jacobian_theory,
                              sizeof *res->jacobian_theory, err);
    bool have_sv = computed && res->jac_sv && res->jac_sv_room >= s->sv_size;
    if (rc == 0) rc = write_sv_row(s, index, have_sv ? res->jac_sv : NULL, err);
    return rc;
}

static int write_scalar(gs_store *s, size_t i, int64_t index, const void *value, gs_error *err) {
    const var_def *v = &variables[i];
    hid_t memory_type = v->type == VT_FLOAT64 ? H5T_NATIVE_DOUBLE : H5T_NATIVE_INT;
    if (H5Dwrite(s->dataset[i], memory_type, s->scalar_space, s->config_space, s->xfer, value) < 0)
        return write_failed(s, "H5Dwrite", v->name, index, err);
    return 0;
}

int store_write(gs_store *s, const gs_config *cfg, const gs_result *res, gs_error *err) {
    int64_t index = cfg->index;
    if (index < 0 || index >= s->count || cfg->depth < 1 || cfg->depth > s->max_depth ||
        (unsigned)res->status >= GS_STATUS_COUNT)
        return gs_fail(err, GS_EXIT_INTERNAL,
                       "store_write: configuration %lld (depth %d, status %d) does not fit %s "
                       "(%lld configurations, %d layers)",
                       (long long)index, cfg->depth, (int)res->status, s->path, (long long)s->count,
                       s->max_depth);
    char why[600];
    if (lock_lost(s->lock, why, sizeof why))
        return gs_fail(err, GS_EXIT_LOCKED,
                       "stopped writing \"%s\": %s, so another run is writing it now; the rows "
                       "this run finished stay in the file",
                       s->path, why);
    /* A failed configuration has no numbers, only whatever its buffers held
     * when it failed: its layers and results get their fill values (written,
     * not just kept: a resumed row may hold parts of an interrupted attempt). */
    bool computed = res->status != GS_STATUS_FAILED && res->status != GS_STATUS_PENDING;
    gs_result blank = {0};
    if (!computed) {
        result_clear(&blank, 0); /* every measured result at its fill */
        blank.status = res->status;
    }
    const gs_result *numbers = computed ? res : &blank;
    int rc = computed ? write_layer_rows(s, index, cfg->depth, FROM_LAYERS, res->layers,
                                         sizeof *res->layers, err)
                      : write_fill_row(s, index, cfg->depth, err);
    /* The theory depends on the configuration alone: failed ones get it too. */
    if (rc == 0 && res->theory)
        rc = write_layer_rows(s, index, cfg->depth, FROM_THEORY_LAYERS, res->theory,
                              sizeof *res->theory, err);
    if (rc == 0 && s->jacobian_samples > 0)
        rc = write_jacobian(s, index, cfg->depth, computed, res, err);
    hsize_t start = (hsize_t)index, one = 1;
    if (rc == 0 &&
        H5Sselect_hyperslab(s->config_space, H5S_SELECT_SET, &start, NULL, &one, NULL) < 0)
        rc = write_failed(s, "H5Sselect_hyperslab", "config", index, err);
    for (size_t i = 0; rc == 0 && i < N_VARIABLES; i++) {
        if (!s->present[i]) continue;
        var_source source = variables[i].source;
        if (!present(s, i)) continue;
        if (source == FROM_RUN || (source == FROM_THEORY && res->theory))
            rc = write_scalar(s, i, index, (const char *)res + variables[i].offset, err);
        else if (source == FROM_RESULT)
            rc = write_scalar(s, i, index, (const char *)numbers + variables[i].offset, err);
    }
    if (rc == 0 && s->training) rc = train_write(s, cfg, res, err);
    /* status last: a crash before this line leaves the row "pending". */
    int status = (int)res->status;
    for (size_t i = 0; rc == 0 && i < N_VARIABLES; i++)
        if (variables[i].source == FROM_STATUS && s->present[i])
            rc = write_scalar(s, i, index, &status, err);
    return rc;
}

/* ---- closing (collective) ----------------------------------------------------------- */

/* configs_pending is what the other outcomes leave of N: a scheduler that was
 * interrupted has no outcome to count for the tasks it never handed out. */
static int put_summary(gs_store *s, gs_run_summary *summary, gs_error *err) {
    gs_run_summary shared = *summary; /* rank 0's wins, as for every root attribute */
    MPI_Bcast(&shared, (int)sizeof shared, MPI_BYTE, 0, s->comm);
    int64_t pending = s->count;
    for (int k = 0; k < GS_STATUS_COUNT; k++)
        shared.by_status[k] += s->kept[k]; /* rows of earlier runs */
    for (int k = 1; k < GS_STATUS_COUNT; k++) {
        summary->file_by_status[k] = shared.by_status[k];
        pending -= shared.by_status[k];
    }
    summary->file_by_status[GS_STATUS_PENDING] = pending > 0 ? pending : 0;
    char completed[32];
    utc_now(completed, sizeof completed);
    int rc = put_root_string(s, "completed_utc", completed, err);
    if (rc == 0) rc = put_root_double(s, "wall_time_s", shared.wall_s, err);
    if (rc == 0) rc = put_root_double(s, "busy_time_s", shared.busy_s, err);
    if (rc == 0) rc = put_root_double(s, "write_time_s", shared.write_s, err);
    /* configs_done, configs_nonfinite, …, configs_pending last */
    for (int k = 1; rc == 0 && k <= GS_STATUS_COUNT; k++) {
        int status = k % GS_STATUS_COUNT;
        char name[64];
        snprintf(name, sizeof name, "configs_%s", gs_status_names[status]);
        rc = put_root_int64(s, name, summary->file_by_status[status], err);
    }
    return rc;
}

/* summary may be NULL (on every rank alike): the file is closed without the
 * end-of-run record, as after an error. */
int store_close(gs_store **store, gs_run_summary *summary, gs_error *err) {
    if (!store || !*store) return 0;
    gs_store *s = *store;
    *store = NULL;
    int rc = summary ? put_summary(s, summary, err) : 0;
    char why[600];
    if (rc == 0 && lock_lost(s->lock, why, sizeof why))
        rc = gs_fail(err, GS_EXIT_LOCKED,
                     "stopped writing \"%s\": %s, so another run is writing it now; the rows "
                     "this run finished stay in the file",
                     s->path, why);
    if (close_objects(s) != 0 && rc == 0) rc = hdf5_fail(err, s->path, "H5Dclose", NULL);
#ifndef NDEBUG
    /* Debug builds: every id this module opened must be closed by now. */
    ssize_t open = H5Fget_obj_count(s->file, H5F_OBJ_ALL | H5F_OBJ_LOCAL);
    if (open != 1 && rc == 0)
        rc = gs_fail(err, GS_EXIT_INTERNAL, "%s: %zd HDF5 objects still open at close", s->path,
                     open - 1);
#endif
    if (H5Fclose(s->file) < 0 && rc == 0) rc = hdf5_fail(err, s->path, "H5Fclose", NULL);
    store_free(s);
    return rc;
}

/* ---- continuing a file (--resume) ------------------------------------------------------- */

/* "line 7 of the sweep: the file has "...", this run "..."": the first line
 * where two texts differ. */
static void first_difference(const char *a, const char *b, char *out, size_t size) {
    size_t i = 0, line_start = 0;
    int line = 1;
    for (; a[i] && a[i] == b[i]; i++)
        if (a[i] == '\n') line++, line_start = i + 1;
    const char *la = a + line_start, *lb = b + line_start;
    int na = (int)strcspn(la, "\n"), nb = (int)strcspn(lb, "\n");
    snprintf(out, size, "line %d of the sweep: the file has \"%.*s\", this run \"%.*s\"", line,
             na > 100 ? 100 : na, la, nb > 100 ? 100 : nb, lb);
}

/* A scalar string attribute of the file's root (fixed or variable length),
 * malloc'd; NULL if absent or not a string. */
static char *read_root_string(hid_t file, const char *name) {
    if (H5Aexists(file, name) <= 0) return NULL;
    hid_t attribute = H5Aopen(file, name, H5P_DEFAULT);
    hid_t type = attribute >= 0 ? H5Aget_type(attribute) : -1;
    char *text = NULL;
    if (type >= 0 && H5Tget_class(type) == H5T_STRING) {
        if (H5Tis_variable_str(type) > 0) {
            char *value = NULL;
            hid_t memory = H5Tcopy(H5T_C_S1);
            H5Tset_size(memory, H5T_VARIABLE);
            H5Tset_cset(memory, H5Tget_cset(type));
            if (H5Aread(attribute, memory, &value) >= 0 && value) {
                text = gs_strdup(value);
                H5free_memory(value);
            }
            H5Tclose(memory);
        } else {
            size_t length = H5Tget_size(type);
            text = gs_calloc(length + 1, 1);
            if (H5Aread(attribute, type, text) < 0) text[0] = '\0';
        }
    }
    if (type >= 0) H5Tclose(type);
    if (attribute >= 0) H5Aclose(attribute);
    return text;
}

/* Resuming rewrites the run's attributes (command line, ranks, times), which
 * may need new room in the file. On a full disk that write fails, and HDF5
 * cannot then close the file cleanly (it crashes in MPI_Finalize), so the
 * room is checked first, before the file is opened for writing. Every row is
 * allocated when the file is created: the sweep itself needs no more. */
#define RESUME_ROOM (1 << 20)

static int check_resume_space(const char *path, gs_error *err) {
    double available;
    if (!free_bytes_near(path, &available) || available >= RESUME_ROOM) return 0;
    char have[32];
    return gs_fail(err, GS_EXIT_OUTPUT,
                   "--resume: the file system holding \"%s\" has %s free, and resuming needs "
                   "about 1 MiB to record this run; free some space and run the same command "
                   "again (the file is untouched)",
                   path, gs_format_bytes(available, have, sizeof have));
}

/* Rank 0, before anything collective: is path a results file of this very
 * sweep? Reads its status column into status[N]. */
static int check_resumable_file(gs_store *s, const gs_grid *grid, const char *sweep_spec,
                                int32_t *status, gs_error *err) {
    const char *path = s->path;
    struct stat st;
    if (stat(path, &st) != 0)
        return gs_fail(err, GS_EXIT_OUTPUT,
                       "--resume: \"%s\" does not exist, so there is nothing to resume; run "
                       "without --resume to start the sweep",
                       path);
    if (S_ISDIR(st.st_mode))
        return gs_fail(err, GS_EXIT_OUTPUT,
                       "--resume: \"%s\" is a directory; give the results file to continue", path);
    if (access(path, W_OK) != 0)
        return gs_fail(err, GS_EXIT_OUTPUT,
                       "--resume: \"%s\" cannot be written (%s), and resuming writes into it; "
                       "make it writable, or copy it somewhere writable and resume the copy",
                       path, strerror(errno));
    if (H5Fis_hdf5(path) <= 0)
        return gs_fail(err, GS_EXIT_OUTPUT,
                       "--resume: \"%s\" is not an HDF5 file, or it is truncated or damaged; "
                       "write the sweep to a new -o",
                       path);
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0) {
        H5Eclear2(H5E_DEFAULT);
        return gs_fail(err, GS_EXIT_OUTPUT,
                       "--resume: \"%s\" cannot be opened (truncated or damaged?); write the "
                       "sweep to a new -o",
                       path);
    }
    int rc = 0;
    char *schema = read_root_string(file, "schema");
    char *spec = schema ? read_root_string(file, "sweep_spec") : NULL;
    char difference[512];
    hid_t set = -1, space = -1;
    hsize_t n = 0;
    if (!schema) {
        rc =
            gs_fail(err, GS_EXIT_OUTPUT,
                    "--resume: \"%s\" is not a gradsweep results file (no schema attribute)", path);
    } else if (strcmp(schema, GS_SCHEMA) != 0) {
        rc = gs_fail(err, GS_EXIT_OUTPUT,
                     "--resume: \"%s\" has schema %s; this gradsweep continues %s files only", path,
                     schema, GS_SCHEMA);
    } else if (!spec || strcmp(spec, sweep_spec) != 0) {
        first_difference(spec ? spec : "", sweep_spec, difference, sizeof difference);
        rc = gs_fail(err, GS_EXIT_OUTPUT,
                     "--resume: \"%s\" holds a different sweep (%s); resume with the same sweep "
                     "file and options, or write to a new -o",
                     path, difference);
    } else if ((set = H5Dopen2(file, "status", H5P_DEFAULT)) < 0 ||
               (space = H5Dget_space(set)) < 0 || H5Sget_simple_extent_ndims(space) != 1 ||
               H5Sget_simple_extent_dims(space, &n, NULL) != 1 || (int64_t)n != grid->count ||
               H5Dread(set, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, status) < 0) {
        H5Eclear2(H5E_DEFAULT);
        rc = gs_fail(err, GS_EXIT_OUTPUT,
                     "--resume: \"%s\" has no readable status for %lld configurations (damaged?)",
                     path, (long long)grid->count);
    }
    if (space >= 0) H5Sclose(space);
    if (set >= 0) H5Dclose(set);
    H5Fclose(file);
    free(schema);
    free(spec);
    return rc ? rc : check_resume_space(path, err);
}

/* The checks above under the lock (see take_lock); on refusal the lock is given back. */
static int check_resumable(gs_store *s, const gs_grid *grid, const gs_run_info *info,
                           int32_t *status, gs_error *err) {
    int lock_rc = 0;
    gs_error lock_err = {0};
    int rc = take_lock(s, &info->lock, &lock_rc, &lock_err, err);
    if (rc == 0) rc = check_resumable_file(s, grid, info->sweep_spec, status, err);
    if (rc == 0 && lock_rc) rc = gs_fail(err, lock_rc, "%s", lock_err.msg);
    if (rc) lock_release(&s->lock);
    return rc;
}

/* Opens path for writing, collectively, with every dataset of the table. */
static int open_layout(gs_store *s, const gs_run_info *info, gs_error *err) {
    int rc = create_memory_objects(s, err);
    if (rc) return rc;
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0 || H5Pset_fapl_mpio(fapl, s->comm, MPI_INFO_NULL) < 0) {
        if (fapl >= 0) H5Pclose(fapl);
        return hdf5_fail(err, s->path, "H5Pset_fapl_mpio", NULL);
    }
    s->file = H5Fopen(s->path, H5F_ACC_RDWR, fapl);
    H5Pclose(fapl);
    HDF5_CHECK(s->file, "H5Fopen", NULL);
    s->config_scale = H5Dopen2(s->file, "config", H5P_DEFAULT);
    HDF5_CHECK(s->config_scale, "H5Dopen2", "config");
    s->layer_scale = H5Dopen2(s->file, "layer", H5P_DEFAULT);
    HDF5_CHECK(s->layer_scale, "H5Dopen2", "layer");
    if (s->jacobian_samples > 0) {
        s->sv_scale = H5Dopen2(s->file, "sv", H5P_DEFAULT);
        HDF5_CHECK(s->sv_scale, "H5Dopen2", "sv");
    }
    for (size_t i = 0; i < N_VARIABLES; i++) {
        if (!present(s, i)) continue;
        s->dataset[i] = H5Dopen2(s->file, variables[i].name, H5P_DEFAULT);
        HDF5_CHECK(s->dataset[i], "H5Dopen2", variables[i].name);
    }
    /* This run's circumstances replace the last run's; created_utc stays. */
    char resumed[32];
    utc_now(resumed, sizeof resumed);
    rc = put_root_string(s, "resumed_utc", resumed, err);
    if (rc == 0) rc = put_root_string(s, "command_line", or_empty(info->command_line), err);
    if (rc == 0) rc = put_root_int32(s, "mpi_ranks", info->mpi_ranks, err);
    if (rc == 0) rc = put_root_string(s, "blas", or_empty(info->blas), err);
    if (rc == 0) rc = put_root_string(s, "blas_kernel", or_empty(info->blas_kernel), err);
    if (rc == 0)
        rc = put_root_string(s, "blas_kernel_choice", or_empty(info->blas_kernel_choice), err);
    if (rc == 0) rc = put_root_int32(s, "blas_threads", info->blas_threads, err);
    return rc;
}

int store_open(gs_store **out, const char *path, MPI_Comm comm, const gs_grid *grid,
               const gs_run_info *info, bool retry_failed, bool *pending, gs_error *err) {
    *out = NULL;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    gs_store *s = store_new(path, comm, grid);
    int32_t *status = s->rank == 0 ? gs_malloc((size_t)grid->count * sizeof *status) : NULL;
    int rc = s->rank == 0 ? check_resumable(s, grid, info, status, err) : 0;
    rc = agree_outcome(s, rc, err);
    if (rc == 0 && s->rank == 0) {
        for (int64_t i = 0; i < grid->count; i++) {
            int code =
                status[i] >= 0 && status[i] < GS_STATUS_COUNT ? status[i] : GS_STATUS_PENDING;
            bool redo = code == GS_STATUS_PENDING || (retry_failed && code == GS_STATUS_FAILED);
            pending[i] = redo;
            if (!redo) s->kept[code]++;
        }
    }
    free(status);
    MPI_Bcast(s->kept, GS_STATUS_COUNT, MPI_INT64_T, 0, s->comm);
    if (rc == 0) rc = open_layout(s, info, err);
    if (rc == 0 && spec_has_training(grid->spec)) rc = train_open_layout(s, grid->spec, err);
    /* As after a create: once this is on disk, only raw data changes. */
    if (rc == 0 && H5Fflush(s->file, H5F_SCOPE_GLOBAL) < 0)
        rc = hdf5_fail(err, path, "H5Fflush", NULL);
    if (rc != 0) {
        close_objects(s);
        if (s->file >= 0) H5Fclose(s->file);
        H5Eclear2(H5E_DEFAULT);
        store_free(s);
        return rc;
    }
    MPI_Barrier(s->comm);
    *out = s;
    return 0;
}

/* ---- reading times back (the simulator) --------------------------------------------- */

int store_read_elapsed(const char *path, const gs_grid *grid, double *seconds, gs_error *err) {
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t file = H5Fis_hdf5(path) > 0 ? H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT) : -1;
    if (file < 0) {
        H5Eclear2(H5E_DEFAULT);
        return gs_fail(err, GS_EXIT_USAGE, "--times: cannot open \"%s\" as an HDF5 results file",
                       path);
    }
    hid_t set = H5Dopen2(file, "elapsed_s", H5P_DEFAULT);
    hid_t space = set >= 0 ? H5Dget_space(set) : -1;
    hsize_t n = 0;
    int rc = 0;
    if (space < 0 || H5Sget_simple_extent_ndims(space) != 1 ||
        H5Sget_simple_extent_dims(space, &n, NULL) != 1)
        rc = gs_fail(err, GS_EXIT_USAGE,
                     "--times: \"%s\" has no elapsed_s per configuration: give a gradsweep "
                     "results file of this sweep",
                     path);
    else if ((int64_t)n != grid->count)
        rc = gs_fail(err, GS_EXIT_USAGE,
                     "--times: \"%s\" holds %llu configurations, this sweep has %lld: give the "
                     "results file of this sweep (a partial run will do: configurations not "
                     "yet computed get the modelled time)",
                     path, (unsigned long long)n, (long long)grid->count);
    else if (H5Dread(set, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, seconds) < 0)
        rc = gs_fail(err, GS_EXIT_USAGE, "--times: reading elapsed_s of \"%s\" failed", path);
    if (space >= 0) H5Sclose(space);
    if (set >= 0) H5Dclose(set);
    H5Fclose(file);
    H5Eclear2(H5E_DEFAULT);
    return rc;
}

/* ---- training's variables (files of sweeps with train:) ------------------------------
 * Only a sweep with a train: section has them (SCHEMA "Training";
 * docs/schema.md): a file without training is what it was before. The same
 * rules as above: every dataset contiguous and allocated at creation, filled
 * by each rank for its slice, each configuration's rows written whole by
 * store_write (before status), so a resumed configuration leaves nothing of
 * an interrupted attempt. */

typedef enum train_dims {
    TRAIN_CONFIG,            /* (config) */
    TRAIN_CONFIG_STEP,       /* (config, step) */
    TRAIN_CONFIG_STATS_STEP, /* (config, stats_step, layer) */
} train_dims;

typedef struct train_var_def {
    const char *name;
    var_type type;
    train_dims dims;
    int64_t fill_int; /* integers; reals fill NaN */
    const char *long_name, *units, *description;
    size_t offset; /* per-layer: the field of gs_train_layer_stats */
} train_var_def;

#define TRAIN_LAYER_VARIABLE(name_, long_name_, description_)                                      \
    {#name_,                                                                                       \
     VT_FLOAT64,                                                                                   \
     TRAIN_CONFIG_STATS_STEP,                                                                      \
     0,                                                                                            \
     long_name_,                                                                                   \
     "1",                                                                                          \
     description_,                                                                                 \
     offsetof(gs_train_layer_stats, name_)},

/* In file order; the first two are the configuration's coordinates. */
enum {
    TRAIN_LEARNING_RATE,
    TRAIN_PARAMETRIZATION,
    TRAIN_LOSS,
    TRAIN_ACCURACY,
    TRAIN_TEST_LOSS,
    TRAIN_TEST_ACCURACY,
    TRAIN_NONFINITE_STEP,
    TRAIN_FIRST_LAYER_VARIABLE
};
static const train_var_def train_variables[] = {
    {"learning_rate", VT_FLOAT64, TRAIN_CONFIG, 0, "learning rate eta", "1",
     "the step size; each layer's is eta times its parametrization's factor (docs/theory.md)", 0},
    {"parametrization", VT_INT32, TRAIN_CONFIG, 0, "how width enters init and learning rates", NULL,
     GS_LIST_MEANINGS(GS_PARAMETRIZATION_LIST, ""), 0},
    {"train_loss", VT_FLOAT64, TRAIN_CONFIG_STEP, 0, "training loss on the minibatch", "1",
     "batch mean of the training loss (root attribute train_loss_function) on minibatch t, "
     "after t updates (step 0: before the first)",
     0},
    {"train_accuracy", VT_FLOAT64, TRAIN_CONFIG_STEP, 0, "accuracy on the minibatch", "1",
     "fraction of minibatch t's samples whose label is the argmax of z[L]; NaN for regression "
     "targets",
     0},
    {"test_loss", VT_FLOAT64, TRAIN_CONFIG, 0, "loss on the test split after the last step", "1",
     "mean over the whole test split; NaN without a test split or when training diverged", 0},
    {"test_accuracy", VT_FLOAT64, TRAIN_CONFIG, 0, "accuracy on the test split after the last step",
     "1", "NaN without a test split, for regression targets, or when training diverged", 0},
    {"first_nonfinite_step", VT_INT64, TRAIN_CONFIG, -1, "step whose training loss was not finite",
     NULL, "-1 if none; training stopped there and the status is nonfinite", 0},
    GS_TRAIN_LAYER_STATS_LIST(TRAIN_LAYER_VARIABLE) /* train_q, mean_abs_z, … */
};
#define N_TRAIN_VARIABLES (sizeof train_variables / sizeof train_variables[0])
#define tr_dataset(s, i)  ((s)->training->dataset[i])

struct store_training {
    const gs_train_settings *settings;
    int64_t n_steps; /* recorded steps: the step dimension */
    int n_stats;     /* the stats_step dimension */
    hid_t step_scale, stats_step_scale;
    hid_t dataset[N_TRAIN_VARIABLES];
    hid_t step_space;  /* (N, S) */
    hid_t stats_space; /* (N, T, L_max) */
    double *row;       /* max(S, T·L_max) */
};

static hid_t train_file_space(gs_store *s, train_dims dims) {
    return dims == TRAIN_CONFIG        ? s->config_space
           : dims == TRAIN_CONFIG_STEP ? s->training->step_space
                                       : s->training->stats_space;
}

static int train_memory_objects(gs_store *s, const gs_train_settings *t, gs_error *err) {
    store_training *tr = gs_calloc(1, sizeof *tr);
    s->training = tr;
    tr->settings = t;
    tr->n_steps = train_record_count(t);
    tr->n_stats = t->n_stats_steps > 0 ? t->n_stats_steps : 0;
    tr->step_scale = tr->stats_step_scale = tr->step_space = tr->stats_space = H5I_INVALID_HID;
    for (size_t i = 0; i < N_TRAIN_VARIABLES; i++)
        tr->dataset[i] = H5I_INVALID_HID;
    size_t room = (size_t)tr->n_steps;
    if ((size_t)tr->n_stats * (size_t)s->max_depth > room)
        room = (size_t)tr->n_stats * (size_t)s->max_depth;
    tr->row = gs_malloc((room ? room : 1) * sizeof *tr->row);
    hsize_t step_dims[2] = {(hsize_t)s->count, (hsize_t)tr->n_steps};
    hsize_t stats_dims[3] = {(hsize_t)s->count, (hsize_t)tr->n_stats, (hsize_t)s->max_depth};
    tr->step_space = H5Screate_simple(2, step_dims, NULL);
    HDF5_CHECK(tr->step_space, "H5Screate_simple", "config, step");
    tr->stats_space = H5Screate_simple(3, stats_dims, NULL);
    HDF5_CHECK(tr->stats_space, "H5Screate_simple", "config, stats_step, layer");
    return 0;
}

static int train_close_objects(gs_store *s) {
    store_training *tr = s->training;
    if (!tr) return 0;
    int failed = 0;
    for (size_t i = 0; i < N_TRAIN_VARIABLES; i++)
        if (tr->dataset[i] >= 0) failed += H5Dclose(tr->dataset[i]) < 0;
    hid_t sets[] = {tr->step_scale, tr->stats_step_scale};
    for (size_t i = 0; i < 2; i++)
        if (sets[i] >= 0) failed += H5Dclose(sets[i]) < 0;
    if (tr->step_space >= 0) failed += H5Sclose(tr->step_space) < 0;
    if (tr->stats_space >= 0) failed += H5Sclose(tr->stats_space) < 0;
    free(tr->row);
    free(tr);
    s->training = NULL;
    return failed;
}

static int train_put_attributes(gs_store *s, hid_t set, const train_var_def *v, gs_error *err) {
    int rc = 0;
    if (v->type == VT_FLOAT64) rc = put_double(s, set, v->name, "_FillValue", NAN, err);
    if (rc == 0) rc = put_string(s, set, v->name, "long_name", v->long_name, err);
    if (rc == 0 && v->units) rc = put_string(s, set, v->name, "units", v->units, err);
    if (rc == 0 && strcmp(v->name, "parametrization") == 0) {
        var_def flags = {.name = v->name, .type = VT_INT32, .flags = PARAMETRIZATION_FLAGS};
        rc = put_flags(s, set, &flags, err);
    }
    if (rc == 0 && v->description)
        rc = put_string(s, set, v->name, "description", v->description, err);
    return rc;
}

static int train_root_attributes(gs_store *s, const gs_spec *spec, gs_error *err) {
    const gs_train_settings *t = &spec->train;
    int rc = put_root_string(s, "train_loss_function", train_loss_name(t->loss), err);
    if (rc == 0) rc = put_root_string(s, "optimizer", optimizer_name(t->optimizer), err);
    if (rc == 0) rc = put_root_int64(s, "train_steps", t->steps, err);
    if (rc == 0) rc = put_root_int64(s, "record_every", t->record_every, err);
    if (rc == 0) rc = put_root_int32(s, "base_width", t->base_width, err);
    if (rc == 0) rc = put_root_string(s, "data", data_kind_name(spec->data.kind), err);
    if (rc == 0)
        rc = put_root_string(s, "data_standardize", standardize_name(spec->data.standardize), err);
    if (rc == 0) rc = put_root_int32(s, "data_input_width", spec->data_shape.inputs, err);
    if (rc == 0) rc = put_root_int32(s, "data_output_width", spec->data_shape.outputs, err);
    return rc;
}

static int train_create_layout(gs_store *s, const gs_spec *spec, gs_error *err) {
    int rc = train_memory_objects(s, &spec->train, err);
    store_training *tr = s->training;
    hsize_t n_steps = (hsize_t)tr->n_steps, n_stats = (hsize_t)tr->n_stats;
    hid_t step_space = H5Screate_simple(1, &n_steps, NULL);
    hid_t stats_space = H5Screate_simple(1, &n_stats, NULL);
    if (rc == 0 && (step_space < 0 || stats_space < 0))
        rc = hdf5_fail(err, s->path, "H5Screate_simple", "step");
    if (rc == 0) rc = train_root_attributes(s, spec, err);
    if (rc == 0)
        rc = create_dimension(s, "step", H5T_STD_I64LE, step_space, "training step",
                              "the number of updates made before the recorded values: 0 (at "
                              "initialization), record_every, 2 record_every, ..., and the last",
                              &tr->step_scale, err);
    if (rc == 0)
        rc = create_dimension(s, "stats_step", H5T_STD_I64LE, stats_space,
                              "training step of the per-layer training statistics",
                              "train: stats_steps; the statistics of the minibatch of that step, "
                              "before its update",
                              &tr->stats_step_scale, err);
    if (step_space >= 0) H5Sclose(step_space);
    if (stats_space >= 0) H5Sclose(stats_space);
    for (size_t i = 0; rc == 0 && i < N_TRAIN_VARIABLES; i++) {
        const train_var_def *v = &train_variables[i];
        bool coordinate = i == TRAIN_LEARNING_RATE || i == TRAIN_PARAMETRIZATION;
        var_fill fill = coordinate ? FILL_NONE : v->type == VT_FLOAT64 ? FILL_NAN : FILL_INT;
        tr->dataset[i] = create_dataset(s, v->name, file_type(v->type),
                                        train_file_space(s, v->dims), fill, v->fill_int, err);
        if (tr->dataset[i] < 0) return GS_EXIT_OUTPUT;
        rc = attach_dimension(s, tr->dataset[i], v->name, 0, s->config_scale, "config", err);
        if (rc == 0 && v->dims == TRAIN_CONFIG_STEP)
            rc = attach_dimension(s, tr->dataset[i], v->name, 1, tr->step_scale, "step", err);
        if (rc == 0 && v->dims == TRAIN_CONFIG_STATS_STEP)
            rc = attach_dimension(s, tr->dataset[i], v->name, 1, tr->stats_step_scale, "stats_step",
                                  err);
        if (rc == 0 && v->dims == TRAIN_CONFIG_STATS_STEP)
            rc = attach_dimension(s, tr->dataset[i], v->name, 2, s->layer_scale, "layer", err);
        if (rc == 0) rc = train_put_attributes(s, tr->dataset[i], v, err);
    }
    return rc;
}

/* Writes `rows` configurations' values from first on, all of each row. */
static int train_write_block(gs_store *s, size_t i, int64_t first, int64_t rows, hid_t memory_type,
                             const void *values, gs_error *err) {
    const train_var_def *v = &train_variables[i];
    hid_t space = train_file_space(s, v->dims);
    int rank = v->dims == TRAIN_CONFIG ? 1 : v->dims == TRAIN_CONFIG_STEP ? 2 : 3;
    hsize_t dims[3], start[3] = {(hsize_t)first, 0, 0};
    H5Sget_simple_extent_dims(space, dims, NULL);
    dims[0] = (hsize_t)rows;
    hsize_t n = dims[0] * (rank > 1 ? dims[1] : 1) * (rank > 2 ? dims[2] : 1);
    if (n == 0) return 0;
    HDF5_CHECK(H5Sselect_hyperslab(space, H5S_SELECT_SET, start, NULL, dims, NULL),
               "H5Sselect_hyperslab", v->name);
    hid_t memory = H5Screate_simple(1, &n, NULL);
    HDF5_CHECK(memory, "H5Screate_simple", v->name);
    int rc = 0;
    if (H5Dwrite(tr_dataset(s, i), memory_type, memory, space, s->xfer, values) < 0)
        rc = hdf5_fail(err, s->path, "H5Dwrite", v->name);
    H5Sclose(memory);
    return rc;
}

/* Each rank its slice lo … hi-1: learning_rate and parametrization from the
 * configurations, every other variable its fill; rank 0 the step coordinates. */
static int train_initial_values(gs_store *s, const gs_grid *grid, int64_t lo, int64_t hi,
                                gs_error *err) {
    store_training *tr = s->training;
    int rc = 0;
    if (s->rank == 0) {
        int64_t *steps = gs_malloc((size_t)(tr->n_steps + tr->n_stats + 1) * sizeof *steps);
        for (int64_t i = 0; i < tr->n_steps; i++)
            steps[i] = train_record_step(tr->settings, i);
        if (tr->n_steps > 0 &&
            H5Dwrite(tr->step_scale, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, s->xfer, steps) < 0)
            rc = hdf5_fail(err, s->path, "H5Dwrite", "step");
        for (int i = 0; i < tr->n_stats; i++)
            steps[i] = tr->settings->stats_steps[i];
        if (rc == 0 && tr->n_stats > 0 &&
            H5Dwrite(tr->stats_step_scale, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, s->xfer, steps) < 0)
            rc = hdf5_fail(err, s->path, "H5Dwrite", "stats_step");
        free(steps);
    }
    enum { BLOCK = 4096 };
    size_t per_row = (size_t)tr->n_steps;
    if ((size_t)tr->n_stats * (size_t)s->max_depth > per_row)
        per_row = (size_t)tr->n_stats * (size_t)s->max_depth;
    if (per_row < 1) per_row = 1;
    void *values = gs_malloc(BLOCK * per_row * sizeof(double));
    for (int64_t first = lo; rc == 0 && first < hi; first += BLOCK) {
        int64_t rows = hi - first < BLOCK ? hi - first : BLOCK;
        for (size_t i = 0; rc == 0 && i < N_TRAIN_VARIABLES; i++) {
            const train_var_def *v = &train_variables[i];
            size_t cells = (size_t)rows * (v->dims == TRAIN_CONFIG ? 1
                                           : v->dims == TRAIN_CONFIG_STEP
                                               ? (size_t)tr->n_steps
                                               : (size_t)tr->n_stats * (size_t)s->max_depth);
            hid_t memory_type = v->type == VT_FLOAT64 ? H5T_NATIVE_DOUBLE : H5T_NATIVE_INT64;
            for (size_t c = 0; c < cells; c++) {
                gs_config cfg;
                if (i == TRAIN_LEARNING_RATE || i == TRAIN_PARAMETRIZATION)
                    grid_config(grid, first + (int64_t)c, &cfg);
                if (i == TRAIN_LEARNING_RATE)
                    ((double *)values)[c] = cfg.learning_rate;
                else if (i == TRAIN_PARAMETRIZATION)
                    ((int64_t *)values)[c] = cfg.parametrization;
                else if (v->type == VT_FLOAT64)
                    ((double *)values)[c] = NAN;
                else
                    ((int64_t *)values)[c] = v->fill_int;
            }
            rc = train_write_block(s, i, first, rows, memory_type, values, err);
        }
    }
    free(values);
    return rc;
}

static int train_open_layout(gs_store *s, const gs_spec *spec, gs_error *err) {
    int rc = train_memory_objects(s, &spec->train, err);
    if (rc) return rc;
    store_training *tr = s->training;
    tr->step_scale = H5Dopen2(s->file, "step", H5P_DEFAULT);
    HDF5_CHECK(tr->step_scale, "H5Dopen2", "step");
    tr->stats_step_scale = H5Dopen2(s->file, "stats_step", H5P_DEFAULT);
    HDF5_CHECK(tr->stats_step_scale, "H5Dopen2", "stats_step");
    for (size_t i = 0; i < N_TRAIN_VARIABLES; i++) {
        tr->dataset[i] = H5Dopen2(s->file, train_variables[i].name, H5P_DEFAULT);
        HDF5_CHECK(tr->dataset[i], "H5Dopen2", train_variables[i].name);
    }
    return 0;
}

/* One configuration's training rows (NaN where it did not get: a failed
 * configuration, or one whose training diverged). */
static int train_write(gs_store *s, const gs_config *cfg, const gs_result *res, gs_error *err) {
    store_training *tr = s->training;
    const gs_train_result *t = res->status == GS_STATUS_FAILED ? NULL : res->train;
    int64_t index = cfg->index;
    double *row = tr->row;
    int rc = 0;
    for (size_t i = TRAIN_LOSS; rc == 0 && i < N_TRAIN_VARIABLES; i++) {
        const train_var_def *v = &train_variables[i];
        if (v->dims == TRAIN_CONFIG_STEP) {
            const double *from = i == TRAIN_LOSS ? (t ? t->loss : NULL) : (t ? t->accuracy : NULL);
            for (int64_t k = 0; k < tr->n_steps; k++)
                row[k] = from && k < t->n_records ? from[k] : NAN;
            rc = train_write_block(s, i, index, 1, H5T_NATIVE_DOUBLE, row, err);
        } else if (v->dims == TRAIN_CONFIG_STATS_STEP) {
            size_t L = (size_t)s->max_depth;
            for (int k = 0; k < tr->n_stats; k++)
                for (size_t l = 0; l < L; l++) {
                    bool have =
                        t && k < t->n_stats && (int)l < cfg->depth && t->max_depth == s->max_depth;
                    row[(size_t)k * L + l] =
                        have ? *(const double *)((const char *)&t->layers[(size_t)k * L + l] +
                                                 v->offset)
                             : NAN;
                }
            rc = train_write_block(s, i, index, 1, H5T_NATIVE_DOUBLE, row, err);
        } else if (i == TRAIN_NONFINITE_STEP) {
            int64_t step = t ? t->nonfinite_step : -1;
            rc = train_write_block(s, i, index, 1, H5T_NATIVE_INT64, &step, err);
        } else {
            double value = !t ? NAN : i == TRAIN_TEST_LOSS ? t->test_loss : t->test_accuracy;
            rc = train_write_block(s, i, index, 1, H5T_NATIVE_DOUBLE, &value, err);
        }
    }
    return rc;
}
