/* SPDX-License-Identifier: MIT */
/* data.h — the inputs and targets a sweep trains on, loaded whole into
 * memory from where the sweep file's `data:` names them (train_spec.h):
 *
 *   gaussian       x ~ N(0, 1), drawn by the network for each configuration
 *                  (as without training); nothing is loaded and the data set
 *                  only says so: no rows, input width 0 (= the width axis).
 *   fashion-mnist  the four idx files of Debian's dataset-fashion-mnist
 *                  (train- and t10k-, images-idx3-ubyte and labels-idx1-ubyte,
 *                  gzipped or not) in GS_FASHION_MNIST_DIR or the directory
 *                  given: 60000 training and 10000 test images of 28 × 28
 *                  pixels, flattened row by row to 784 features; labels 0 … 9.
 *                  Any directory of idx files in this layout works (MNIST).
 *   hdf5           the user's file: x (N, d) and y, either (N,) integer class
 *                  labels 0 … K−1 or (N, k) float targets, optionally x_test
 *                  and y_test of the same kinds (docs/usage.md, "Data").
 *
 * Standardisation (gs_standardize) uses the training split's statistics for
 * both splits, computed in double: feature: x_j ← (x_j − mean_j) / std_j with
 * the population std (ddof 0) of feature j; a feature constant over the
 * training split (std_j = 0) becomes 0 in both splits, test values included
 * (it carries nothing the network could learn, and a stray test value would
 * enter unscaled). global: one mean and std over all training values.
 * none: values as stored, except idx pixels, which are divided by 255.
 *
 * Every check happens while loading, and every error names the file, the
 * dataset or idx file, the shape or value found and what would be right (exit
 * code GS_EXIT_USAGE; GS_EXIT_RESOURCES when memory runs out): a missing
 * file or dataset, a truncated or corrupt .gz, a wrong idx magic number,
 * counts that disagree, labels out of range, NaN or inf in x or in targets.
 *
 * Rows are stored row-major in the precision asked for (float or double),
 * so a minibatch is a gather of whole rows. Loading uses serial HDF5 and
 * zlib; it knows no MPI (each rank loads its own copy). */
#ifndef GRADSWEEP_DATA_H
#define GRADSWEEP_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "gradsweep/common.h"
#include "gradsweep/config.h"
#include "gradsweep/train_spec.h"

typedef enum gs_split { GS_SPLIT_TRAIN = 0, GS_SPLIT_TEST = 1 } gs_split;

typedef struct gs_dataset gs_dataset;

/* Loads what src names, in precision; *out is NULL on failure. */
int data_load(const gs_data_source *src, gs_precision precision, gs_dataset **out, gs_error *err);
/* Frees the data set and sets *ds to NULL; NULL is fine. */
void data_free(gs_dataset **ds);

gs_data_kind data_kind(const gs_dataset *ds);
gs_precision data_precision(const gs_dataset *ds);
gs_standardize data_standardize(const gs_dataset *ds);
/* Rows of a split: N or N_test; 0 for a missing test split and for gaussian. */
int64_t data_rows(const gs_dataset *ds, gs_split split);
/* d, the features of a row (the network's input width); 0 for gaussian. */
int data_input_width(const gs_dataset *ds);
/* K, the number of classes (largest label + 1 over both splits; 10 for
 * fashion-mnist); 0 for float targets and for gaussian. */
int data_n_classes(const gs_dataset *ds);
/* The network's output width: K for labels, k for (N, k) targets; 0 for gaussian. */
int data_target_width(const gs_dataset *ds);

/* The rows of a split, (rows, d) row-major in data_precision; NULL if the
 * split is empty. Labels (rows) for labelled data, else NULL; targets
 * (rows, k) in data_precision for target data, else NULL. */
const void *data_x(const gs_dataset *ds, gs_split split);
const int32_t *data_labels(const gs_dataset *ds, gs_split split);
const void *data_targets(const gs_dataset *ds, gs_split split);

/* The training split's statistics used to standardise (d values each; one
 * value each for global); NULL when not standardised. */
const double *data_feature_mean(const gs_dataset *ds);
const double *data_feature_std(const gs_dataset *ds);

/* Copies rows[0 … count−1] of a split into x (count, d), and into labels
 * (count) or targets (count, k), whichever the data has (the other pointer
 * may be NULL). Buffers are in data_precision. */
void data_gather(const gs_dataset *ds, gs_split split, const int64_t *rows, int count, void *x,
                 int32_t *labels, void *targets);

/* Bytes the loaded data set holds (for memory plans). */
size_t data_bytes(const gs_dataset *ds);

/* One line for logs: "fashion-mnist (DIR): 60000 train, 10000 test rows,
 * 784 features, 10 classes, standardised per feature". Returns buf. */
const char *data_describe(const gs_dataset *ds, char *buf, size_t size);

#endif
