/* SPDX-License-Identifier: MIT */
/* export.c — writes one configuration's network and its gradients to an
 * HDF5 file (see export.h). Datasets are in the configuration's precision;
 * layer l of an (L, …) dataset is index l-1. Layers of different shapes (an
 * input_width or output_width other than width) share (L, widest, widest)
 * arrays, each layer in the leading (fan_out, fan_in) corner and NaN around
 * it; the per-layer fan_in and fan_out datasets say where. */
#include "gradsweep/export.h"

#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gradsweep/arch.h"
#include "gradsweep/depth_scale.h"
#include "gradsweep/minibatch.h"
#include "gradsweep/net.h"
#include "gradsweep/theory.h"
#include "gradsweep/train.h"

typedef struct exporter {
    hid_t file;
    hid_t real; /* native float or double */
    const gs_config *cfg;
    const gs_layer *layers; /* net_layers(cfg) */
    int widest;             /* the arrays' trailing dimensions */
    void *padded;           /* (widest, widest) reals: one layer's array padded with NaN */
    int failed;             /* an HDF5 call failed */
} exporter;

static hid_t real_type(gs_precision p) {
    return p == GS_FLOAT32 ? H5T_NATIVE_FLOAT : H5T_NATIVE_DOUBLE;
}

/* Writes an n-dimensional dataset in one go. */
static void write_dataset(exporter *ex, const char *name, hid_t type, int rank, const hsize_t *dims,
                          const void *data) {
    hid_t space = H5Screate_simple(rank, dims, NULL);
    hid_t set = H5Dcreate2(ex->file, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (set < 0 || H5Dwrite(set, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0) ex->failed = 1;
    H5Dclose(set);
    H5Sclose(space);
}

/* Creates an (L, rest…) dataset to be filled one layer at a time. */
static void create_layered(exporter *ex, const char *name, hsize_t d1, hsize_t d2) {
    hsize_t dims[3] = {(hsize_t)ex->cfg->depth, d1, d2};
    hid_t space = H5Screate_simple(d2 ? 3 : 2, dims, NULL);
    hid_t set = H5Dcreate2(ex->file, name, ex->real, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (set < 0) ex->failed = 1;
    H5Dclose(set);
    H5Sclose(space);
}

/* rows × cols reals of data (row-major, cols per row) into the leading
 * corner of ex->padded (d1 × d2, or d1 when d2 is 0), NaN elsewhere. */
static const void *pad(exporter *ex, const void *data, size_t rows, size_t cols, size_t d1,
                       size_t d2) {
    size_t row_length = d2 ? d2 : d1, n_rows = d2 ? d1 : 1, size = H5Tget_size(ex->real);
    for (size_t i = 0; i < n_rows; i++)
        for (size_t j = 0; j < row_length; j++) {
            char *to = (char *)ex->padded + (i * row_length + j) * size;
            if (i < rows && j < cols) {
                memcpy(to, (const char *)data + (i * cols + j) * size, size);
            } else if (size == sizeof(float)) {
                float nan = NAN;
                memcpy(to, &nan, size);
            } else {
                double nan = NAN;
                memcpy(to, &nan, size);
            }
        }
    return ex->padded;
}

static void write_layer(exporter *ex, const char *name, int layer, hsize_t d1, hsize_t d2,
                        const void *data) {
    hid_t set = H5Dopen2(ex->file, name, H5P_DEFAULT);
    hid_t file_space = H5Dget_space(set);
    hsize_t start[3] = {(hsize_t)(layer - 1), 0, 0}, count[3] = {1, d1, d2};
    H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start, NULL, count, NULL);
    hsize_t mem_dims[2] = {d1, d2};
    hid_t mem_space = H5Screate_simple(d2 ? 2 : 1, mem_dims, NULL);
    if (set < 0 || H5Dwrite(set, ex->real, mem_space, file_space, H5P_DEFAULT, data) < 0)
        ex->failed = 1;
    H5Sclose(mem_space);
    H5Sclose(file_space);
    H5Dclose(set);
}

static void on_backward_layer(void *ctx, int layer, const void *delta, const void *grad_w,
                              const void *grad_b) {
    exporter *ex = ctx;
    const gs_layer *desc = &ex->layers[layer - 1];
    size_t in = (size_t)desc->fan_in, out = (size_t)desc->fan_out, n = (size_t)ex->widest;
    size_t B = (size_t)ex->cfg->batch;
    write_layer(ex, "delta", layer, B, n, pad(ex, delta, B, out, B, n));
    write_layer(ex, "grad_w", layer, n, n, pad(ex, grad_w, out, in, n, n));
    write_layer(ex, "grad_b", layer, n, 0, pad(ex, grad_b, 1, out, n, 0));
}

static void attr_double(exporter *ex, const char *name, double v) {
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(ex->file, name, H5T_NATIVE_DOUBLE, space, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0 || H5Awrite(a, H5T_NATIVE_DOUBLE, &v) < 0) ex->failed = 1;
    H5Aclose(a);
    H5Sclose(space);
}

static void attr_int(exporter *ex, const char *name, long long v) {
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(ex->file, name, H5T_NATIVE_LLONG, space, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0 || H5Awrite(a, H5T_NATIVE_LLONG, &v) < 0) ex->failed = 1;
    H5Aclose(a);
    H5Sclose(space);
}

static void attr_string(exporter *ex, const char *name, const char *v) {
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, strlen(v) + 1);
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(ex->file, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0 || H5Awrite(a, type, v) < 0) ex->failed = 1;
    H5Aclose(a);
    H5Sclose(space);
    H5Tclose(type);
}

/* The configuration's axes and settings, as attributes (both kinds of export). */
static void write_config_attributes(exporter *ex, const gs_config *cfg) {
    attr_int(ex, "config", cfg->index);
    attr_int(ex, "depth", cfg->depth);
    attr_int(ex, "width", cfg->width);
    attr_int(ex, "batch", cfg->batch);
    attr_string(ex, "activation", activation_name(cfg->act.kind));
    attr_double(ex, "leaky_relu_slope", cfg->act.slope);
    attr_string(ex, "init", init_name(cfg->init));
    attr_double(ex, "sigma_w", cfg->sigma_w);
    attr_double(ex, "sigma_b", cfg->sigma_b);
    attr_int(ex, "seed", cfg->seed);
    attr_int(ex, "base_seed", (long long)cfg->base_seed);
    attr_string(ex, "precision", precision_name(cfg->precision));
}

static void write_config(exporter *ex, const gs_config *cfg, const gs_result *res, double loss) {
    write_config_attributes(ex, cfg);
    attr_string(ex, "loss", loss_name(cfg->loss));
    attr_double(ex, "loss_value", loss);
    attr_string(ex, "status", status_name(res->status));
    attr_int(ex, "input_width", config_input_width(cfg));
    attr_int(ex, "output_width", config_output_width(cfg));
    attr_string(ex, "fan", fan_name(cfg->fan));
    attr_string(ex, "sigma_w_name", sigma_w_name(cfg->scale_name));
    attr_double(ex, "branch_scale", config_branch_scale(cfg));
    attr_string(ex, "norm", norm_name(cfg->norm));
    attr_double(ex, "layernorm_eps", GS_LAYERNORM_EPS);
    attr_int(ex, "first_nonfinite_layer", res->first_nonfinite_layer);
    attr_int(ex, "first_underflow_layer", res->first_underflow_layer);
    attr_double(ex, "log10_delta_ratio", res->log10_delta_ratio);
    attr_double(ex, "log10_grad_ratio", res->log10_grad_ratio);
    attr_double(ex, "log10_q_ratio", res->log10_q_ratio);
}

/* With the input_correlation axis: ρ, the theory's c* and depth scales, and
 * the measured depth scales, attributes named as in results files; the
 * theory's per-layer c and q as (L,) datasets c_theory, q_theory. */
static void write_depth_scales(exporter *ex, const gs_config *cfg, gs_result *res) {
    gs_layer_theory *theory = gs_calloc((size_t)cfg->depth, sizeof *theory);
    gs_theory *cache = theory_create();
    res->theory = theory;
    theory_predict(cache, cfg, res, NULL, NULL);
    depth_scales_measure(cfg, res);
    attr_double(ex, "input_correlation", cfg->input_correlation);
    attr_double(ex, "c_star_theory", res->c_star_theory);
    attr_double(ex, "q_star_theory", res->q_star_theory);
    attr_double(ex, "xi_c_theory", res->xi_c_theory);
    attr_double(ex, "xi_q_theory", res->xi_q_theory);
#define DEPTH_SCALE_ATTRIBUTE(type, name, fill, long_name, units, description)                     \
    if (sizeof(type) == sizeof(double))                                                            \
        attr_double(ex, #name, (double)res->name);                                                 \
    else                                                                                           \
        attr_int(ex, #name, (long long)res->name);
    GS_DEPTH_SCALE_LIST(DEPTH_SCALE_ATTRIBUTE)
#undef DEPTH_SCALE_ATTRIBUTE
    const int L = cfg->depth;
    double *column = gs_malloc((size_t)L * sizeof *column);
    hsize_t dims[1] = {(hsize_t)L};
    for (int l = 0; l < L; l++)
        column[l] = theory[l].c;
    write_dataset(ex, "c_theory", H5T_NATIVE_DOUBLE, 1, dims, column);
    for (int l = 0; l < L; l++)
        column[l] = theory[l].q;
    write_dataset(ex, "q_theory", H5T_NATIVE_DOUBLE, 1, dims, column);
    free(column);
    res->theory = NULL;
    theory_destroy(&cache);
    free(theory);
}

/* Each layer's shape and scales, (L,) datasets: what W = layer_sigma_w U and
 * b = layer_sigma_b β are made of (arch.h), which layers' β are uniform, and
 * which layers are residual blocks with which α (layer_branch_scale, NaN for
 * dense layers). */
static void write_layer_descriptors(exporter *ex) {
    static const char *const names[] = {
        "fan_in",        "fan_out",       "uniform_biases",    "residual",
        "layer_sigma_w", "layer_sigma_b", "layer_branch_scale"};
    const int L = ex->cfg->depth;
    hsize_t dims[1] = {(hsize_t)L};
    long long *ints = gs_malloc((size_t)L * sizeof *ints);
    double *reals = gs_malloc((size_t)L * sizeof *reals);
    for (int k = 0; k < 7; k++) {
        for (int l = 0; l < L; l++) {
            const gs_layer *layer = &ex->layers[l];
            const double values[] = {layer->fan_in,         layer->fan_out,
                                     layer->uniform_biases, layer->kind == GS_LAYER_RESIDUAL,
                                     layer->sigma_w,        layer->sigma_b,
                                     layer->branch_scale};
            reals[l] = values[k];
            ints[l] = k < 4 ? (long long)values[k] : 0;
        }
        /* the first four are integers: stored as such */
        if (k < 4)
            write_dataset(ex, names[k], H5T_NATIVE_LLONG, 1, dims, ints);
        else
            write_dataset(ex, names[k], H5T_NATIVE_DOUBLE, 1, dims, reals);
    }
    free(ints);
    free(reals);
}

/* U[l] and β[l] of every layer, padded into (L, widest, widest) and (L, widest). */
static void write_unit_draws(exporter *ex, gs_net *net) {
    const int L = ex->cfg->depth;
    const hsize_t n = (hsize_t)ex->widest;
    create_layered(ex, "unit_weights", n, n);
    create_layered(ex, "unit_biases", n, 0);
    for (int l = 1; l <= L; l++) {
        const gs_layer *layer = &ex->layers[l - 1];
        size_t in = (size_t)layer->fan_in, out = (size_t)layer->fan_out;
        write_layer(ex, "unit_weights", l, n, n,
                    pad(ex, net_unit_weights(net, l), out, in, (size_t)n, (size_t)n));
        write_layer(ex, "unit_biases", l, n, 0,
                    pad(ex, net_unit_biases(net, l), 1, out, (size_t)n, 0));
    }
}

/* The per-layer statistics as (L,) float64 datasets named as in results files. */
static void write_stats(exporter *ex, const gs_result *res) {
    const int L = ex->cfg->depth;
    double *column = gs_malloc((size_t)L * sizeof *column);
    hsize_t dims[1] = {(hsize_t)L};
    for (int f = 0; f < GS_LAYER_FIELD_COUNT; f++) {
        for (int l = 0; l < L; l++)
            column[l] = layer_field(&res->layers[l], f);
        write_dataset(ex, gs_layer_fields[f].name, H5T_NATIVE_DOUBLE, 1, dims, column);
    }
    free(column);
}

/* With jacobian_samples K > 0: J[L] of each of the K samples (K, outputs,
 * inputs) in double at its true scale, the Jacobian's per-layer statistics
 * and J[L]'s singular values, named as in results files. */
static void write_jacobian(exporter *ex, gs_net *net, const gs_result *res) {
    const gs_config *cfg = ex->cfg;
    const int K = cfg->jacobian_samples < cfg->batch ? cfg->jacobian_samples : cfg->batch;
    const hsize_t n = (hsize_t)cfg->width, L = (hsize_t)cfg->depth;
    double *jacobian = gs_malloc((size_t)K * n * n * sizeof *jacobian);
    for (int k = 0; k < K; k++)
        if (net_jacobian(net, k, jacobian + (size_t)k * n * n) != 0) ex->failed = 1;
    hsize_t dims[3] = {(hsize_t)K, n, n};
    write_dataset(ex, "jacobian", H5T_NATIVE_DOUBLE, 3, dims, jacobian);
    free(jacobian);
    static const char *const names[] = {
#define JACOBIAN_NAME(name, long_name, units, description) #name,
        GS_JACOBIAN_LAYER_LIST(JACOBIAN_NAME)
#undef JACOBIAN_NAME
    };
    double *column = gs_malloc((size_t)L * sizeof *column);
    for (size_t f = 0; f < GS_JACOBIAN_FIELD_COUNT; f++) {
        for (hsize_t l = 0; l < L; l++)
            column[l] = ((const double *)&res->jacobian[l])[f];
        write_dataset(ex, names[f], H5T_NATIVE_DOUBLE, 1, &L, column);
    }
    free(column);
    hsize_t svs = (hsize_t)res->jac_sv_room;
    write_dataset(ex, "jac_sv", H5T_NATIVE_DOUBLE, 1, &svs, res->jac_sv);
    attr_int(ex, "jacobian_samples", K);
    attr_double(ex, "jac_sv_max", res->jac_sv_max);
    attr_double(ex, "jac_sv_min", res->jac_sv_min);
}

/* Creates path for cfg's export (an existing one only with force). */
static int open_export(exporter *ex, const char *path, const gs_config *cfg, bool force,
                       gs_error *err) {
    struct stat st;
    if (!force && stat(path, &st) == 0)
        return gs_fail(err, GS_EXIT_OUTPUT, "output file \"%s\" exists; pass --force to replace it",
                       path);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    *ex = (exporter){.cfg = cfg, .real = real_type(cfg->precision)};
    ex->file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (ex->file < 0)
        return gs_fail(err, GS_EXIT_OUTPUT, "cannot create \"%s\" (H5Fcreate failed)", path);
    return 0;
}

/* Closes the export; rc: the computation's outcome, kept if it failed. */
static int close_export(exporter *ex, const char *path, int rc, gs_error *err) {
    if (H5Fclose(ex->file) < 0) ex->failed = 1;
    if (!rc && ex->failed)
        rc = gs_fail(err, GS_EXIT_OUTPUT, "writing \"%s\" failed (disk full or not writable?)",
                     path);
    return rc;
}

int export_network(const char *path, const gs_config *cfg, bool force, gs_error *err) {
    exporter ex;
    int open_rc = open_export(&ex, path, cfg, force, err);
    if (open_rc) return open_rc;
    gs_layer *layers = gs_malloc((size_t)cfg->depth * sizeof *layers);
    net_layers(cfg, layers);
    ex.layers = layers;
    ex.widest = net_shape(cfg).widest;
    const hsize_t n = (hsize_t)ex.widest, B = (hsize_t)cfg->batch;
    size_t padded_rows = (size_t)(B > n ? B : n);
    ex.padded = gs_malloc(padded_rows * (size_t)n * H5Tget_size(ex.real));
    create_layered(&ex, "delta", B, n);
    create_layered(&ex, "grad_w", n, n);
    create_layered(&ex, "grad_b", n, 0);

    gs_net *net = net_create();
    gs_result res = {.layers = gs_calloc((size_t)cfg->depth, sizeof(gs_layer_stats))};
    if (cfg->jacobian_samples > 0) {
        res.jacobian = gs_calloc((size_t)cfg->depth, sizeof *res.jacobian);
        res.jac_sv_room = net_shape(cfg).widest;
        res.jac_sv = gs_calloc((size_t)res.jac_sv_room, sizeof *res.jac_sv);
    }
    gs_net_observer obs = {.backward_layer = on_backward_layer, .ctx = &ex};
    int rc = net_prepare(net, cfg, NULL, err);
    if (!rc) {
        double loss = net_forward(net, &res, NULL);
        net_backward(net, &res, &obs);
        hsize_t x_dims[2] = {B, (hsize_t)layers[0].fan_in};
        hsize_t r_dims[2] = {B, (hsize_t)layers[cfg->depth - 1].fan_out};
        write_dataset(&ex, "x", ex.real, 2, x_dims, net_input(net));
        write_dataset(&ex, cfg->loss == GS_LOSS_PROBE ? "r" : "y", ex.real, 2, r_dims,
                      net_loss_vectors(net));
        write_unit_draws(&ex, net);
        write_layer_descriptors(&ex);
        write_config(&ex, cfg, &res, loss);
        write_stats(&ex, &res);
        if (!isnan(cfg->input_correlation)) write_depth_scales(&ex, cfg, &res);
        if (cfg->jacobian_samples > 0) write_jacobian(&ex, net, &res);
    }
    free(res.layers);
    free(res.jacobian);
    free(res.jac_sv);
    free(layers);
    free(ex.padded);
    net_destroy(&net);
    return close_export(&ex, path, rc, err);
}

/* ---- a training configuration (export_training) ------------------------------------ */

/* A 1-d or 2-d dataset of a split's rows in float64 (the oracle's type). */
static void write_rows_f64(exporter *ex, const char *name, const void *rows, int64_t n, int cols,
                           gs_precision p, bool matrix) {
    size_t count = (size_t)n * (size_t)cols;
    double *v = gs_malloc((count ? count : 1) * sizeof *v);
    for (size_t i = 0; i < count; i++)
        v[i] = p == GS_FLOAT32 ? (double)((const float *)rows)[i] : ((const double *)rows)[i];
    hsize_t dims[2] = {(hsize_t)n, (hsize_t)cols};
    write_dataset(ex, name, H5T_NATIVE_DOUBLE, matrix ? 2 : 1, dims, v);
    free(v);
}

static void write_labels(exporter *ex, const char *name, const int32_t *labels, int64_t n) {
    int64_t *v = gs_malloc((size_t)(n ? n : 1) * sizeof *v);
    for (int64_t i = 0; i < n; i++)
        v[i] = labels[i];
    hsize_t dims[1] = {(hsize_t)n};
    write_dataset(ex, name, H5T_NATIVE_INT64, 1, dims, v);
    free(v);
}

static void write_split(exporter *ex, const gs_train_data *data, int split, const char *suffix) {
    char name[32];
    gs_precision p = ex->cfg->precision;
    snprintf(name, sizeof name, "x_%s", suffix);
    write_rows_f64(ex, name, data->x[split], data->rows[split], data->inputs, p, true);
    if (data->labels[split]) {
        snprintf(name, sizeof name, "labels_%s", suffix);
        write_labels(ex, name, data->labels[split], data->rows[split]);
    } else {
        snprintf(name, sizeof name, "targets_%s", suffix);
        write_rows_f64(ex, name, data->targets[split], data->rows[split], data->outputs, p, true);
    }
}

static void write_training_settings(exporter *ex, const gs_config *cfg,
                                    const gs_train_settings *t) {
    write_config_attributes(ex, cfg);
    attr_string(ex, "loss", train_loss_name(t->loss)); /* the training loss: the oracle's */
    attr_string(ex, "parametrization",
                parametrization_name((gs_parametrization)cfg->parametrization));
    attr_string(ex, "optimizer", optimizer_name(t->optimizer));
    attr_double(ex, "learning_rate", cfg->learning_rate);
    attr_double(ex, "momentum", t->momentum);
    attr_double(ex, "beta1", t->beta1);
    attr_double(ex, "beta2", t->beta2);
    attr_double(ex, "eps", t->eps);
    attr_int(ex, "base_width", t->base_width);
    attr_int(ex, "steps", t->steps);
    attr_int(ex, "record_every", t->record_every);
    int64_t stats[GS_MAX_STATS_STEPS];
    for (int i = 0; i < t->n_stats_steps; i++)
        stats[i] = t->stats_steps[i];
    hsize_t n = (hsize_t)(t->n_stats_steps > 0 ? t->n_stats_steps : 0);
    hid_t space = n ? H5Screate_simple(1, &n, NULL) : H5Screate(H5S_NULL);
    hid_t a =
        H5Acreate2(ex->file, "stats_steps", H5T_NATIVE_INT64, space, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0 || (n && H5Awrite(a, H5T_NATIVE_INT64, stats) < 0)) ex->failed = 1;
    H5Aclose(a);
    H5Sclose(space);
}

/* The unit draws the training started from, per layer in float64, scaled so
 * that the oracle's w = init_std · sigma_w · unit_weights_L holds for every
 * fan mode (sigma_w[l] / sigma_w is 1 unless the fan is not fan_in), and
 * b = sigma_b · unit_biases_L (torch_default's biases have a sigma_b[l] of
 * their own). */
static void write_training_unit_draws(exporter *ex, gs_trainer *tr, const gs_config *cfg) {
    gs_layer *layers = gs_malloc((size_t)cfg->depth * sizeof *layers);
    net_layers(cfg, layers);
    for (int l = 1; l <= cfg->depth; l++) {
        const gs_layer *u = &layers[l - 1];
        char name[32];
        double fw = cfg->sigma_w != 0 ? u->sigma_w / cfg->sigma_w : 1;
        double fb = cfg->sigma_b != 0 ? u->sigma_b / cfg->sigma_b : 1;
        snprintf(name, sizeof name, "unit_weights_%d", l);
        size_t n = (size_t)u->fan_out * (size_t)u->fan_in;
        double *w = gs_malloc(n * sizeof *w);
        const void *U = trainer_unit_weights(tr, l);
        for (size_t i = 0; i < n; i++)
            w[i] = fw * (cfg->precision == GS_FLOAT32 ? (double)((const float *)U)[i]
                                                      : ((const double *)U)[i]);
        hsize_t dims[2] = {(hsize_t)u->fan_out, (hsize_t)u->fan_in};
        write_dataset(ex, name, H5T_NATIVE_DOUBLE, 2, dims, w);
        free(w);
        snprintf(name, sizeof name, "unit_biases_%d", l);
        double *b = gs_malloc((size_t)u->fan_out * sizeof *b);
        const void *beta = trainer_unit_biases(tr, l);
        for (int i = 0; i < u->fan_out; i++)
            b[i] = fb * (cfg->precision == GS_FLOAT32 ? (double)((const float *)beta)[i]
                                                      : ((const double *)beta)[i]);
        write_dataset(ex, name, H5T_NATIVE_DOUBLE, 1, dims, b);
        free(b);
    }
    free(layers);
}

/* What gradsweep's training recorded, under gradsweep/ in the oracle's
 * names (tests/torch_train_reference.py's REFERENCE layout). */
static void write_training_result(exporter *ex, gs_trainer *tr, const gs_config *cfg,
                                  const gs_train_settings *t, const gs_train_result *res) {
    hid_t group = H5Gcreate2(ex->file, "gradsweep", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (group < 0) {
        ex->failed = 1;
        return;
    }
    hid_t file = ex->file;
    ex->file = group;
    hsize_t n = (hsize_t)res->n_records;
    int64_t *steps = gs_malloc((size_t)(n ? n : 1) * sizeof *steps);
    for (hsize_t i = 0; i < n; i++)
        steps[i] = train_record_step(t, (int64_t)i);
    write_dataset(ex, "step", H5T_NATIVE_INT64, 1, &n, steps);
    free(steps);
    write_dataset(ex, "train_loss", H5T_NATIVE_DOUBLE, 1, &n, res->loss);
    write_dataset(ex, "train_accuracy", H5T_NATIVE_DOUBLE, 1, &n, res->accuracy);
    attr_double(ex, "test_loss", res->test_loss);
    attr_double(ex, "test_accuracy", res->test_accuracy);
    attr_int(ex, "first_nonfinite_step", res->nonfinite_step);
    gs_layer *layers = gs_malloc((size_t)cfg->depth * sizeof *layers);
    net_layers(cfg, layers);
    for (int l = 1; l <= cfg->depth; l++) {
        char name[32];
        hsize_t dims[2] = {(hsize_t)layers[l - 1].fan_out, (hsize_t)layers[l - 1].fan_in};
        snprintf(name, sizeof name, "w_%d", l);
        write_rows_f64(ex, name, trainer_weights(tr, l), dims[0], (int)dims[1], cfg->precision,
                       true);
        snprintf(name, sizeof name, "b_%d", l);
        write_rows_f64(ex, name, trainer_biases(tr, l), (int64_t)dims[0], 1, cfg->precision, false);
    }
    free(layers);
    hsize_t dims[2] = {(hsize_t)res->n_stats, (hsize_t)cfg->depth};
    double *v = gs_malloc((size_t)(dims[0] * dims[1] + 1) * sizeof *v);
    static const char *const names[] = {
#define GS_TRAIN_FIELD_NAME(name, long_name, description) #name,
        GS_TRAIN_LAYER_STATS_LIST(GS_TRAIN_FIELD_NAME)
#undef GS_TRAIN_FIELD_NAME
    };
    for (size_t f = 0; f < GS_TRAIN_LAYER_FIELD_COUNT; f++) {
        for (hsize_t k = 0; k < dims[0]; k++)
            for (hsize_t l = 0; l < dims[1]; l++)
                v[k * dims[1] + l] =
                    ((const double *)&res->layers[k * (hsize_t)res->max_depth + l])[f];
        write_dataset(ex, names[f], H5T_NATIVE_DOUBLE, 2, dims, v);
    }
    free(v);
    ex->file = file;
    H5Gclose(group);
}

int export_training(const char *path, const gs_config *cfg, const gs_train_settings *t,
                    const gs_train_data *data, bool force, gs_error *err) {
    exporter ex;
    int open_rc = open_export(&ex, path, cfg, force, err);
    if (open_rc) return open_rc;
    gs_trainer *tr = trainer_create();
    gs_train_result res;
    train_result_alloc(&res, t, cfg->depth);
    int rc = trainer_run(tr, cfg, t, data, &res, NULL, err);
    if (!rc) {
        write_training_settings(&ex, cfg, t);
        write_training_unit_draws(&ex, tr, cfg);
        write_split(&ex, data, 0, "train");
        if (data->rows[1] > 0) write_split(&ex, data, 1, "test");
        /* the minibatches of steps 0 … steps (minibatch.h) */
        gs_batch_order order;
        if (batch_order_init(&order, cfg->base_seed, (uint64_t)cfg->seed, data->rows[0],
                             cfg->batch) == 0) {
            size_t rows = (size_t)(t->steps + 1), B = (size_t)cfg->batch;
            int64_t *batches = gs_malloc(rows * B * sizeof *batches);
            for (size_t k = 0; k < rows; k++)
                batch_order_rows(&order, (int64_t)k, batches + k * B);
            hsize_t dims[2] = {rows, B};
            write_dataset(&ex, "batch_rows", H5T_NATIVE_INT64, 2, dims, batches);
            free(batches);
            batch_order_free(&order);
        } else {
            ex.failed = 1;
        }
        write_training_result(&ex, tr, cfg, t, &res);
    }
    train_result_free(&res);
    trainer_destroy(&tr);
    return close_export(&ex, path, rc, err);
}
