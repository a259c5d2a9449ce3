/* SPDX-License-Identifier: MIT */
/* export.c — writes one configuration's network and its gradients to an
 * HDF5 file (see export.h). Datasets are in the configuration's precision;
 * layer l of an (L, …) dataset is index l-1. */
#include "gradsweep/export.h"

#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gradsweep/arch.h"
#include "gradsweep/minibatch.h"
#include "gradsweep/net.h"
#include "gradsweep/train.h"

typedef struct exporter {
    hid_t file;
    hid_t real; /* native float or double */
    const gs_config *cfg;
    int failed; /* an HDF5 call failed */
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
    hsize_t n = (hsize_t)ex->cfg->width, B = (hsize_t)ex->cfg->batch;
    write_layer(ex, "delta", layer, B, n, delta);
    write_layer(ex, "grad_w", layer, n, n, grad_w);
    write_layer(ex, "grad_b", layer, n, 0, grad_b);
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
    attr_int(ex, "first_nonfinite_layer", res->first_nonfinite_layer);
    attr_int(ex, "first_underflow_layer", res->first_underflow_layer);
    attr_double(ex, "log10_delta_ratio", res->log10_delta_ratio);
    attr_double(ex, "log10_grad_ratio", res->log10_grad_ratio);
    attr_double(ex, "log10_q_ratio", res->log10_q_ratio);
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
    const hsize_t n = (hsize_t)cfg->width, B = (hsize_t)cfg->batch, L = (hsize_t)cfg->depth;
    create_layered(&ex, "delta", B, n);
    create_layered(&ex, "grad_w", n, n);
    create_layered(&ex, "grad_b", n, 0);

    gs_net *net = net_create();
    gs_result res = {.layers = gs_calloc((size_t)cfg->depth, sizeof(gs_layer_stats))};
    gs_net_observer obs = {.backward_layer = on_backward_layer, .ctx = &ex};
    int rc = net_prepare(net, cfg, NULL, err);
    if (!rc) {
        double loss = net_forward(net, &res, NULL);
        net_backward(net, &res, &obs);
        hsize_t data_dims[2] = {B, n}, weight_dims[3] = {L, n, n}, bias_dims[2] = {L, n};
        write_dataset(&ex, "x", ex.real, 2, data_dims, net_input(net));
        write_dataset(&ex, cfg->loss == GS_LOSS_PROBE ? "r" : "y", ex.real, 2, data_dims,
                      net_loss_vectors(net));
        write_dataset(&ex, "unit_weights", ex.real, 3, weight_dims, net_unit_weights(net, 1));
        write_dataset(&ex, "unit_biases", ex.real, 2, bias_dims, net_unit_biases(net, 1));
        write_config(&ex, cfg, &res, loss);
        write_stats(&ex, &res);
    }
    free(res.layers);
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
static void write_unit_draws(exporter *ex, gs_trainer *tr, const gs_config *cfg) {
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
        write_unit_draws(&ex, tr, cfg);
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
