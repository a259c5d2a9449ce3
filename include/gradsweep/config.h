/* config.h — one point of a sweep and what is measured there: the plain
 * structs handed from grid to net to stats to store. No behaviour lives here
 * beyond names for codes.
 *
 * Codes (gs_init, gs_status, gs_loss, gs_precision) are stored in results
 * files: a code never changes meaning; new ones are appended. */
#ifndef GRADSWEEP_CONFIG_H
#define GRADSWEEP_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "gradsweep/activation.h"

typedef enum gs_init {
    GS_INIT_GAUSSIAN = 0,   /* W_ij ~ N(0, sigma_w² / fan_in) */
    GS_INIT_UNIFORM = 1,    /* W_ij ~ U(-a, a), a = sigma_w·sqrt(3 / fan_in): same variance */
    GS_INIT_ORTHOGONAL = 2, /* W = sigma_w · Q, Q Haar-random orthogonal (Saxe et al. 2014) */
    GS_INIT_COUNT
} gs_init;

typedef enum gs_precision { GS_FLOAT32 = 0, GS_FLOAT64 = 1 } gs_precision;

typedef enum gs_loss {
    GS_LOSS_PROBE = 0, /* ℓ = <r, z[L]>, r ~ N(0, I) per sample: δ[L] = r */
    GS_LOSS_MSE = 1,   /* ℓ = ½‖z[L] - y‖², y ~ N(0, I) per sample: δ[L] = z[L] - y */
} gs_loss;

typedef enum gs_status {
    GS_STATUS_PENDING = 0,   /* not computed (yet) */
    GS_STATUS_DONE = 1,      /* computed, every value finite */
    GS_STATUS_NONFINITE = 2, /* computed, inf or NaN appeared (see first_nonfinite_layer) */
    GS_STATUS_FAILED = 3,    /* could not be computed (e.g. out of memory) */
    GS_STATUS_UNDERFLOW = 4, /* computed, finite, but a signal became exactly zero (see
                                first_underflow_layer): its log10 ratios are ±inf */
    GS_STATUS_COUNT
} gs_status;

/* Outcomes that are results (the configuration was computed), as opposed to
 * pending and failed. */
static inline int status_is_computed(int status) {
    return status == GS_STATUS_DONE || status == GS_STATUS_NONFINITE ||
           status == GS_STATUS_UNDERFLOW;
}

const char *init_name(gs_init init);
int init_parse(const char *name, gs_init *init); /* 0, or -1 if unknown */
const char *init_flag_meanings(void);            /* "gaussian uniform orthogonal" */
const char *status_flag_meanings(void);          /* "pending done nonfinite failed underflow" */
const char *status_name(gs_status status);
const char *precision_name(gs_precision p);
int precision_parse(const char *name, gs_precision *p);
const char *loss_name(gs_loss loss);
int loss_parse(const char *name, gs_loss *loss);

/* Everything that defines one configuration's numbers. */
typedef struct gs_config {
    int64_t index; /* position in the sweep's canonical order, 0 … N-1 */
    int depth;     /* L, number of weight layers */
    int width;     /* n, units in every layer and input features */
    int batch;     /* B, input samples */
    gs_activation act;
    gs_init init;
    double sigma_w; /* Var(W_ij) = sigma_w² / fan_in */
    double sigma_b; /* b_i ~ N(0, sigma_b²) */
    int64_t seed;   /* replicate */
    uint64_t base_seed;
    gs_precision precision;
    gs_loss loss;
    /* Training (train_spec.h); without a train: section NaN and standard. */
    double learning_rate;
    int parametrization; /* gs_parametrization code */
} gs_config;

/* Per-layer statistics of one configuration; averages run over the units and
 * the batch samples (see docs/schema.md for each definition). */
typedef struct gs_layer_stats {
    double q;              /* mean z²: the mean-field length q[l] */
    double preact_mean;    /* mean z */
    double c;              /* mean cosine similarity of z between distinct samples */
    double act_ch_sq_mean; /* mean over units of (batch mean of a)² */
    double act_ch_var;     /* mean over units of the batch variance of a (1/B normalisation) */
    double saturated_frac; /* fraction of entries with |φ'(z)| < 1e-3 */
    double dead_frac;      /* fraction of units with |φ'(z)| < 1e-3 for every sample */
    double delta_sq;       /* mean δ², δ = ∂ℓ/∂z per sample: the mean-field q̃[l] */
    double grad_w_norm;    /* ‖∂loss/∂W[l]‖_F, loss = batch mean of ℓ */
    double grad_b_norm;    /* ‖∂loss/∂b[l]‖_2 */
} gs_layer_stats;

#define GS_SATURATION_THRESHOLD 1e-3

/* The per-layer statistics by name, in struct order: what files call them. */
typedef struct gs_layer_field {
    const char *name; /* "q", "preact_mean", … as in results files */
    size_t offset;    /* offsetof(gs_layer_stats, …) */
} gs_layer_field;
#define GS_LAYER_FIELD_COUNT 10
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

/* What one configuration produced. layers and theory have room for depth
 * entries. The *_theory numbers depend on the configuration alone (theory.h),
 * never on the draws; they are filled even when the computation failed. */
typedef struct gs_result {
    gs_status status;
    int first_nonfinite_layer;          /* 0 if every value was finite */
    int first_nonfinite_forward_layer;  /* first l with z[l] or a[l] not finite; 0 if none */
    int first_nonfinite_backward_layer; /* first l with δ[l] or a gradient not finite; 0 if none */
    int first_underflow_layer;          /* first l whose z[l] (forward) or, met on the way back,
                                           δ[l] is exactly zero everywhere; 0 if none */
    double log10_delta_ratio;           /* ½·log10(delta_sq[1] / delta_sq[L]) */
    double log10_grad_ratio;            /* log10(grad_w_norm[1] / grad_w_norm[L]) */
    double log10_q_ratio;               /* log10(q[L] / q[1]) */
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
} gs_result;

#endif
