/* SPDX-License-Identifier: MIT */
/* data.c — loading training data: Fashion-MNIST's gzipped idx files (zlib)
 * and the user's HDF5 files (serial HDF5 API), checked, standardised with the
 * training split's statistics, stored row-major in the sweep's precision.
 * See data.h for what each source holds and what standardisation does. */
#include "gradsweep/data.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>
#include <zlib.h>

/* The network's widths are at most this (spec.c's width axis). */
#define DATA_MAX_FEATURES 1048576

struct gs_dataset {
    gs_data_kind kind;
    gs_precision precision;
    gs_standardize standardize;
    char *origin;     /* the file or directory, for messages and data_describe */
    int64_t rows[2];  /* per split */
    int d;            /* features */
    int n_classes;    /* K for labels, else 0 */
    int target_width; /* K or k */
    void *x[2];       /* (rows, d) */
    int32_t *labels[2];
    void *targets[2];   /* (rows, k) */
    double *mean, *std; /* d values (feature) or 1 (global) */
};

static const char *const split_names[2] = {"training", "test"};

/* ---- values in either precision ------------------------------------------------ */

static size_t real_size(gs_precision p) { return p == GS_FLOAT32 ? sizeof(float) : sizeof(double); }

static inline double value_at(const void *x, gs_precision p, size_t i) {
    return p == GS_FLOAT32 ? (double)((const float *)x)[i] : ((const double *)x)[i];
}

static inline void value_set(void *x, gs_precision p, size_t i, double v) {
    if (p == GS_FLOAT32)
        ((float *)x)[i] = (float)v;
    else
        ((double *)x)[i] = v;
}

/* rows × cols values of size bytes, or an error naming what they are for. */
static void *alloc_values(int64_t rows, int64_t cols, size_t size, const char *what,
                          gs_error *err) {
    if (rows < 0 || cols < 0 || (cols > 0 && (uint64_t)rows > SIZE_MAX / size / (uint64_t)cols)) {
        gs_fail(err, GS_EXIT_RESOURCES,
                "data: %s: %" PRId64 " x %" PRId64 " values do not fit in "
                "memory",
                what, rows, cols);
        return NULL;
    }
    size_t bytes = (size_t)rows * (size_t)cols * size;
    void *p = malloc(bytes ? bytes : 1);
    if (!p) {
        char human[32];
        gs_fail(err, GS_EXIT_RESOURCES,
                "data: %s: cannot allocate %s; use --precision float32 or run fewer ranks per node",
                what, gs_format_bytes((double)bytes, human, sizeof human));
    }
    return p;
}

/* ---- standardisation ------------------------------------------------------------- */

/* Σ with Neumaier's compensation: a feature summed over 60000 rows (or all
 * 47 million pixels, for global) keeps its last digits. */
typedef struct exact_sum {
    double sum, compensation;
} exact_sum;

static void exact_add(exact_sum *s, double v) {
    double t = s->sum + v;
    s->compensation += fabs(s->sum) >= fabs(v) ? (s->sum - t) + v : (v - t) + s->sum;
    s->sum = t;
}

/* Mean and population std of the training values of feature j (column j of
 * (rows, d)), or of every value when global. Two passes: a constant feature
 * gets exactly 0. */
static void column_stats(const void *x, gs_precision p, int64_t rows, int d, int j, int global,
                         double *mean, double *std) {
    size_t first = global ? 0 : (size_t)j, count = global ? (size_t)d : 1;
    double n = (double)rows * (double)count;
    exact_sum sum = {0, 0}, squares = {0, 0};
    for (int64_t i = 0; i < rows; i++)
        for (size_t c = 0; c < count; c++)
            exact_add(&sum, value_at(x, p, (size_t)i * d + first + c));
    double m = (sum.sum + sum.compensation) / n;
    for (int64_t i = 0; i < rows; i++)
        for (size_t c = 0; c < count; c++) {
            double dev = value_at(x, p, (size_t)i * d + first + c) - m;
            exact_add(&squares, dev * dev);
        }
    *mean = m;
    *std = sqrt((squares.sum + squares.compensation) / n);
}

/* x ← (x − mean) / std, column by column (global: one statistic for every
 * column); a zero std makes the column 0. */
static void apply_standardize(void *x, gs_precision p, int64_t rows, int d, const double *mean,
                              const double *std, int global) {
    for (int64_t i = 0; i < rows; i++)
        for (int j = 0; j < d; j++) {
            size_t at = (size_t)i * d + j;
            int s = global ? 0 : j;
            double v = std[s] > 0 ? (value_at(x, p, at) - mean[s]) / std[s] : 0.0;
            value_set(x, p, at, v);
        }
}

static void scale_values(void *x, gs_precision p, size_t count, double factor) {
    for (size_t i = 0; i < count; i++)
        value_set(x, p, i, value_at(x, p, i) * factor);
}

/* Standardises both splits with the training split's statistics. */
static int standardize_splits(gs_dataset *ds, gs_error *err) {
    if (ds->standardize == GS_STANDARDIZE_NONE) return 0;
    int global = ds->standardize == GS_STANDARDIZE_GLOBAL, stats = global ? 1 : ds->d;
    ds->mean = malloc((size_t)stats * sizeof *ds->mean);
    ds->std = malloc((size_t)stats * sizeof *ds->std);
    if (!ds->mean || !ds->std)
        return gs_fail(err, GS_EXIT_RESOURCES, "data: out of memory for the statistics");
    for (int j = 0; j < stats; j++)
        column_stats(ds->x[0], ds->precision, ds->rows[0], ds->d, j, global, &ds->mean[j],
                     &ds->std[j]);
    if (global && ds->std[0] == 0)
        return gs_fail(err, GS_EXIT_USAGE,
                       "data %s: every training input has the same value (%.17g): standardize: "
                       "global would divide by 0; use standardize: none, or other data",
                       ds->origin, ds->mean[0]);
    for (int s = 0; s < 2; s++)
        if (ds->rows[s] > 0)
            apply_standardize(ds->x[s], ds->precision, ds->rows[s], ds->d, ds->mean, ds->std,
                              global);
    return 0;
}

/* ---- idx files (Fashion-MNIST) ----------------------------------------------------- */

#define IDX_IMAGES_MAGIC 0x00000803u /* unsigned bytes, 3 dimensions */
#define IDX_LABELS_MAGIC 0x00000801u /* unsigned bytes, 1 dimension */
#define FASHION_CLASSES  10

typedef struct idx_file {
    char path[4096];
    uint32_t dims[3];
    int n_dims;
    unsigned char *data; /* the values, dims[0] · dims[1] · … bytes */
    size_t bytes;
} idx_file;

static const char fashion_hint[] =
    "install Debian's dataset-fashion-mnist (scripts/deps.sh run does), or give data: "
    "{source: fashion-mnist, path: DIR} with a directory holding the four idx files";

/* Opens DIR/STEM.gz, else DIR/STEM (gzread reads uncompressed files as they are). */
static gzFile idx_open(const char *dir, const char *stem, idx_file *f, gs_error *err) {
    snprintf(f->path, sizeof f->path, "%s/%s.gz", dir, stem);
    gzFile gz = gzopen(f->path, "rb");
    if (gz) return gz;
    int gz_errno = errno;
    snprintf(f->path, sizeof f->path, "%s/%s", dir, stem);
    gz = gzopen(f->path, "rb");
    if (gz) return gz;
    snprintf(f->path, sizeof f->path, "%s/%s.gz", dir, stem);
    gs_fail(err, GS_EXIT_USAGE, "fashion-mnist: cannot read %s: %s; %s", f->path,
            strerror(gz_errno ? gz_errno : errno), fashion_hint);
    return NULL;
}

/* Reads exactly n bytes; fails naming the file as truncated or corrupt. */
static int gz_read_exact(gzFile gz, void *buf, size_t n, const idx_file *f, const char *what,
                         gs_error *err) {
    size_t got = n ? gzfread(buf, 1, n, gz) : 0;
    if (got == n) return 0;
    int code = Z_OK;
    const char *message = gzerror(gz, &code);
    size_t path_length = strlen(f->path); /* zlib puts "PATH: " before its message */
    if (strncmp(message, f->path, path_length) == 0 && strncmp(message + path_length, ": ", 2) == 0)
        message += path_length + 2;
    if (code != Z_OK && code != Z_BUF_ERROR)
        return gs_fail(err, GS_EXIT_USAGE,
                       "fashion-mnist: %s is corrupt (zlib: %s); fetch the file again", f->path,
                       message);
    return gs_fail(err, GS_EXIT_USAGE,
                   "fashion-mnist: %s is truncated: it holds %zu of the %zu bytes of %s; the "
                   "copy is incomplete, fetch the file again",
                   f->path, got, n, what);
}

static uint32_t big_endian32(const unsigned char *b) {
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* The header: magic number, then n_dims sizes, big-endian. */
static int idx_read_header(gzFile gz, idx_file *f, uint32_t magic, gs_error *err) {
    unsigned char head[16];
    f->n_dims = (int)(magic & 0xff);
    if (gz_read_exact(gz, head, 4 + 4 * (size_t)f->n_dims, f, "its header", err))
        return GS_EXIT_USAGE;
    uint32_t found = big_endian32(head);
    if (found != magic)
        return gs_fail(err, GS_EXIT_USAGE,
                       "fashion-mnist: %s is not an idx %s file: magic number 0x%08" PRIX32
                       ", expected 0x%08" PRIX32 " (unsigned bytes, %d dimension%s)",
                       f->path, f->n_dims == 3 ? "image" : "label", found, magic, f->n_dims,
                       f->n_dims == 1 ? "" : "s");
    f->bytes = 1;
    for (int i = 0; i < f->n_dims; i++) {
        f->dims[i] = big_endian32(head + 4 + 4 * i);
        if (f->dims[i] == 0 || f->bytes > SIZE_MAX / f->dims[i])
            return gs_fail(err, GS_EXIT_USAGE,
                           "fashion-mnist: %s: dimension %d is %" PRIu32 "; the header is damaged",
                           f->path, i + 1, f->dims[i]);
        f->bytes *= f->dims[i];
    }
    return 0;
}

static int idx_read(const char *dir, const char *stem, uint32_t magic, idx_file *f, gs_error *err) {
    memset(f, 0, sizeof *f);
    gzFile gz = idx_open(dir, stem, f, err);
    if (!gz) return GS_EXIT_USAGE;
    int rc = idx_read_header(gz, f, magic, err);
    if (rc == 0) {
        f->data = malloc(f->bytes);
        if (!f->data)
            rc = gs_fail(err, GS_EXIT_RESOURCES, "fashion-mnist: %s: cannot allocate %zu bytes",
                         f->path, f->bytes);
    }
    if (rc == 0)
        rc = gz_read_exact(gz, f->data, f->bytes, f,
                           magic == IDX_IMAGES_MAGIC ? "pixels" : "labels", err);
    gzclose(gz);
    return rc;
}

/* One split: images and labels, counts and sizes checked, pixels as values. */
static int fashion_split(gs_dataset *ds, const char *dir, int split, gs_error *err) {
    static const char *const stems[2][2] = {{"train-images-idx3-ubyte", "train-labels-idx1-ubyte"},
                                            {"t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"}};
    idx_file images, labels;
    int rc = idx_read(dir, stems[split][0], IDX_IMAGES_MAGIC, &images, err);
    if (rc == 0)
        rc = idx_read(dir, stems[split][1], IDX_LABELS_MAGIC, &labels, err);
    else
        labels.data = NULL;
    int64_t n = images.dims[0], d = (int64_t)images.dims[1] * images.dims[2];
    if (rc == 0 && labels.dims[0] != images.dims[0])
        rc = gs_fail(err, GS_EXIT_USAGE,
                     "fashion-mnist: %s holds %" PRIu32 " labels but %s holds %" PRId64
                     " images; the two files must belong together",
                     labels.path, labels.dims[0], images.path, n);
    if (rc == 0 && split == 1 && d != ds->d)
        rc = gs_fail(err, GS_EXIT_USAGE,
                     "fashion-mnist: %s holds images of %" PRIu32 " x %" PRIu32
                     " pixels, the training images have %d; both splits must have one size",
                     images.path, images.dims[1], images.dims[2], ds->d);
    if (rc == 0 && d > DATA_MAX_FEATURES)
        rc = gs_fail(err, GS_EXIT_USAGE,
                     "fashion-mnist: %s: %" PRId64 " pixels per image, at "
                     "most %d",
                     images.path, d, DATA_MAX_FEATURES);
    for (int64_t i = 0; rc == 0 && i < n; i++)
        if (labels.data[i] >= FASHION_CLASSES)
            rc = gs_fail(err, GS_EXIT_USAGE,
                         "fashion-mnist: %s: label %d at row %" PRId64 "; the classes are 0 to %d",
                         labels.path, labels.data[i], i, FASHION_CLASSES - 1);
    if (rc == 0) {
        ds->d = (int)d;
        ds->rows[split] = n;
        ds->x[split] = alloc_values(n, d, real_size(ds->precision), images.path, err);
        ds->labels[split] = alloc_values(n, 1, sizeof(int32_t), labels.path, err);
        rc = ds->x[split] && ds->labels[split] ? 0 : GS_EXIT_RESOURCES;
    }
    for (int64_t i = 0; rc == 0 && i < n * d; i++)
        value_set(ds->x[split], ds->precision, (size_t)i, images.data[i]);
    for (int64_t i = 0; rc == 0 && i < n; i++)
        ds->labels[split][i] = labels.data[i];
    free(images.data);
    free(labels.data);
    return rc;
}

static int load_fashion_mnist(gs_dataset *ds, gs_error *err) {
    int rc = fashion_split(ds, ds->origin, 0, err);
    if (rc == 0) rc = fashion_split(ds, ds->origin, 1, err);
    if (rc) return rc;
    ds->n_classes = ds->target_width = FASHION_CLASSES;
    if (ds->standardize == GS_STANDARDIZE_NONE) /* pixels 0 … 255 → [0, 1] */
        for (int s = 0; s < 2; s++)
            scale_values(ds->x[s], ds->precision, (size_t)ds->rows[s] * ds->d, 1.0 / 255);
    return standardize_splits(ds, err);
}

/* ---- HDF5 files ------------------------------------------------------------------ */

/* An open dataset of the user's file and what it is. */
typedef struct h5_array {
    const char *name;
    hid_t id;
    int rank;
    hsize_t dims[2];
    H5T_class_t type_class;
} h5_array;

/* Up to a few names of the file's top level, for "the file holds: …". */
static herr_t collect_name(hid_t group, const char *name, const H5L_info_t *info, void *data) {
    (void)group, (void)info;
    char *list = data;
    size_t used = strlen(list);
    if (used + strlen(name) + 8 < 256)
        snprintf(list + used, 256 - used, "%s%s", used ? ", " : "", name);
    return 0;
}

static int fail_missing(hid_t file, const char *path, const char *name, gs_error *err) {
    char names[256] = "";
    H5Literate(file, H5_INDEX_NAME, H5_ITER_NATIVE, NULL, collect_name, names);
    return gs_fail(err, GS_EXIT_USAGE,
                   "data file %s has no dataset \"%s\" (it holds: %s); a data file holds x (N, "
                   "d) inputs and y, (N,) integer labels or (N, k) float targets, optionally "
                   "x_test and y_test (docs/usage.md, Data)",
                   path, name, *names ? names : "nothing");
}

/* Opens dataset name (required or not) and reads its shape and type class. */
static int h5_open_array(hid_t file, const char *path, const char *name, int required, h5_array *a,
                         gs_error *err) {
    memset(a, 0, sizeof *a);
    a->name = name;
    a->id = H5I_INVALID_HID;
    if (H5Lexists(file, name, H5P_DEFAULT) <= 0)
        return required ? fail_missing(file, path, name, err) : 0;
    a->id = H5Dopen2(file, name, H5P_DEFAULT);
    if (a->id < 0)
        return gs_fail(err, GS_EXIT_USAGE, "data file %s: \"%s\" is not a dataset (a group?)", path,
                       name);
    hid_t space = H5Dget_space(a->id), type = H5Dget_type(a->id);
    a->rank = H5Sget_simple_extent_ndims(space);
    if (a->rank >= 1 && a->rank <= 2) H5Sget_simple_extent_dims(space, a->dims, NULL);
    a->type_class = H5Tget_class(type);
    H5Sclose(space);
    H5Tclose(type);
    return 0;
}

static void h5_close_array(h5_array *a) {
    if (a->id >= 0) H5Dclose(a->id);
    a->id = H5I_INVALID_HID;
}

static const char *shape_text(const h5_array *a, char *buf, size_t size) {
    if (a->rank == 1)
        snprintf(buf, size, "(%llu,)", (unsigned long long)a->dims[0]);
    else if (a->rank == 2)
        snprintf(buf, size, "(%llu, %llu)", (unsigned long long)a->dims[0],
                 (unsigned long long)a->dims[1]);
    else
        snprintf(buf, size, "of rank %d", a->rank);
    return buf;
}

/* x or x_test: (N, d) numbers, d as the training inputs' when known. */
static int check_inputs(const h5_array *x, const char *path, int d_train, gs_error *err) {
    char shape[64];
    if (x->rank != 2 || x->dims[0] == 0 || x->dims[1] == 0)
        return gs_fail(err, GS_EXIT_USAGE,
                       "data file %s: \"%s\" is %s; expected (N, d): one row of d inputs per "
                       "sample, N and d at least 1",
                       path, x->name, shape_text(x, shape, sizeof shape));
    if (x->type_class != H5T_FLOAT && x->type_class != H5T_INTEGER)
        return gs_fail(err, GS_EXIT_USAGE,
                       "data file %s: \"%s\" does not hold numbers; expected float32 or float64",
                       path, x->name);
    if (x->dims[1] > DATA_MAX_FEATURES)
        return gs_fail(err, GS_EXIT_USAGE, "data file %s: \"%s\" has %llu features, at most %d",
                       path, x->name, (unsigned long long)x->dims[1], DATA_MAX_FEATURES);
    if (d_train > 0 && x->dims[1] != (hsize_t)d_train)
        return gs_fail(err, GS_EXIT_USAGE,
                       "data file %s: \"%s\" is %s but x has %d features; test inputs need the "
                       "same features",
                       path, x->name, shape_text(x, shape, sizeof shape), d_train);
    return 0;
}

/* y or y_test: (N,) integer labels or (N, k) float targets, N as its x's. */
static int check_outputs(const h5_array *y, const h5_array *x, const char *path, gs_error *err) {
    char shape[64], xshape[64];
    shape_text(y, shape, sizeof shape);
    if (y->rank == 1 && y->type_class == H5T_FLOAT)
        return gs_fail(err, GS_EXIT_USAGE,
                       "data file %s: \"%s\" is %s floats; class labels are (N,) integers, "
                       "regression targets (N, k) floats (e.g. (N, 1))",
                       path, y->name, shape);
    if (y->rank == 2 && y->type_class != H5T_FLOAT)
        return gs_fail(err, GS_EXIT_USAGE,
                       "data file %s: \"%s\" is %s but not floats; class labels are (N,) "
                       "integers, regression targets (N, k) float32 or float64",
                       path, y->name, shape);
    int labels = y->rank == 1 && y->type_class == H5T_INTEGER;
    if (!labels && !(y->rank == 2 && y->dims[1] >= 1 && y->dims[1] <= DATA_MAX_FEATURES))
        return gs_fail(err, GS_EXIT_USAGE,
                       "data file %s: \"%s\" is %s; expected (N,) integer labels or (N, k) "
                       "float targets",
                       path, y->name, shape);
    if (y->dims[0] != x->dims[0])
        return gs_fail(err, GS_EXIT_USAGE,
                       "data file %s: \"%s\" is %s but \"%s\" is %s; they need one row per "
                       "sample (the same N)",
                       path, y->name, shape, x->name, shape_text(x, xshape, sizeof xshape));
    return 0;
}

/* The first value that is not finite, as "[row, col] = nan"; 0 if none. */
static int find_nonfinite(const void *v, gs_precision p, int64_t rows, int cols, int rank,
                          char *where, size_t size) {
    for (int64_t i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) {
            double value = value_at(v, p, (size_t)i * cols + j);
            if (isfinite(value)) continue;
            if (rank == 1)
                snprintf(where, size, "[%" PRId64 "] = %g", i, value);
            else
                snprintf(where, size, "[%" PRId64 ", %d] = %g", i, j, value);
            return 1;
        }
    return 0;
}

static int read_reals(const h5_array *a, const char *path, gs_precision p, void **out,
                      gs_error *err) {
    int64_t rows = (int64_t)a->dims[0], cols = a->rank == 2 ? (int64_t)a->dims[1] : 1;
    char what[512], where[96];
    snprintf(what, sizeof what, "%s \"%s\"", path, a->name);
    *out = alloc_values(rows, cols, real_size(p), what, err);
    if (!*out) return GS_EXIT_RESOURCES;
    hid_t type = p == GS_FLOAT32 ? H5T_NATIVE_FLOAT : H5T_NATIVE_DOUBLE;
    if (H5Dread(a->id, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, *out) < 0)
        return gs_fail(err, GS_EXIT_USAGE, "data file %s: cannot read \"%s\" (HDF5 error)", path,
                       a->name);
    if (find_nonfinite(*out, p, rows, (int)cols, a->rank, where, sizeof where))
        return gs_fail(err, GS_EXIT_USAGE,
                       "data file %s: %s%s%s; every input and target must be a finite number", path,
                       a->name, where,
                       p == GS_FLOAT32 ? " (read as float32: NaN, inf, or beyond float32's range)"
                                       : "");
    return 0;
}

/* Labels as int32 in 0 … 2³¹−2; *largest grows to the largest label. */
static int read_labels(const h5_array *y, const char *path, int32_t **out, int64_t *largest,
                       gs_error *err) {
    int64_t n = (int64_t)y->dims[0];
    int64_t *wide = alloc_values(n, 1, sizeof *wide, path, err);
    *out = alloc_values(n, 1, sizeof **out, path, err);
    int rc = wide && *out ? 0 : GS_EXIT_RESOURCES;
    if (rc == 0 && H5Dread(y->id, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, wide) < 0)
        rc = gs_fail(err, GS_EXIT_USAGE, "data file %s: cannot read \"%s\" (HDF5 error)", path,
                     y->name);
    for (int64_t i = 0; rc == 0 && i < n; i++) {
        if (wide[i] < 0 || wide[i] >= DATA_MAX_FEATURES)
            rc = gs_fail(err, GS_EXIT_USAGE,
                         "data file %s: %s[%" PRId64 "] = %" PRId64 "; class labels are 0 to "
                         "K-1 (K at most %d)",
                         path, y->name, i, wide[i], DATA_MAX_FEATURES);
        else {
            (*out)[i] = (int32_t)wide[i];
            if (wide[i] > *largest) *largest = wide[i];
        }
    }
    free(wide);
    return rc;
}

/* Reads one split's x and y into ds. */
static int h5_read_split(gs_dataset *ds, int split, const h5_array *x, const h5_array *y,
                         int64_t *largest_label, gs_error *err) {
    ds->rows[split] = (int64_t)x->dims[0];
    int rc = read_reals(x, ds->origin, ds->precision, &ds->x[split], err);
    if (rc) return rc;
    if (y->rank == 1) return read_labels(y, ds->origin, &ds->labels[split], largest_label, err);
    return read_reals(y, ds->origin, ds->precision, &ds->targets[split], err);
}

/* The test split: both x_test and y_test, of the training data's kinds. */
static int check_test_split(const h5_array arrays[4], const char *path, gs_error *err) {
    const h5_array *x = &arrays[0], *y = &arrays[1], *xt = &arrays[2], *yt = &arrays[3];
    if ((xt->id >= 0) != (yt->id >= 0))
        return gs_fail(err, GS_EXIT_USAGE,
                       "data file %s has \"%s\" but no \"%s\"; a test split needs both", path,
                       xt->id >= 0 ? "x_test" : "y_test", xt->id >= 0 ? "y_test" : "x_test");
    if (xt->id < 0) return 0;
    int rc = check_inputs(xt, path, (int)x->dims[1], err);
    if (rc == 0) rc = check_outputs(yt, xt, path, err);
    if (rc == 0 && (yt->rank != y->rank || (y->rank == 2 && yt->dims[1] != y->dims[1]))) {
        char a[64], b[64];
        rc = gs_fail(err, GS_EXIT_USAGE,
                     "data file %s: \"y_test\" is %s but \"y\" is %s; test outputs must be of "
                     "the same kind (labels or k targets)",
                     path, shape_text(yt, a, sizeof a), shape_text(y, b, sizeof b));
    }
    return rc;
}

static int load_hdf5_arrays(gs_dataset *ds, hid_t file, h5_array arrays[4], gs_error *err) {
    static const char *const names[4] = {"x", "y", "x_test", "y_test"};
    const char *path = ds->origin;
    int rc = 0;
    for (int i = 0; i < 4 && rc == 0; i++)
        rc = h5_open_array(file, path, names[i], i < 2, &arrays[i], err);
    if (rc == 0) rc = check_inputs(&arrays[0], path, 0, err);
    if (rc == 0) rc = check_outputs(&arrays[1], &arrays[0], path, err);
    if (rc == 0) rc = check_test_split(arrays, path, err);
    if (rc) return rc;
    ds->d = (int)arrays[0].dims[1];
    int64_t largest = -1;
    for (int s = 0; s < 2 && rc == 0; s++)
        if (arrays[2 * s].id >= 0)
            rc = h5_read_split(ds, s, &arrays[2 * s], &arrays[2 * s + 1], &largest, err);
    if (rc) return rc;
    if (arrays[1].rank == 2) {
        ds->target_width = (int)arrays[1].dims[1];
        return 0;
    }
    if (largest < 1)
        return gs_fail(err, GS_EXIT_USAGE,
                       "data file %s: every label is 0; classification needs at least two "
                       "classes (labels 0 to K-1)",
                       path);
    ds->n_classes = ds->target_width = (int)largest + 1;
    return 0;
}

/* A file access list that does not lock: the data is only read, and
 * locking fails on file systems without it (HDF5 ≥ 1.10.7). */
static hid_t read_only_access(void) {
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
#if H5_VERSION_GE(1, 10, 7)
    H5Pset_file_locking(fapl, 0, 1);
#endif
    return fapl;
}

static int load_hdf5(gs_dataset *ds, gs_error *err) {
    const char *path = ds->origin;
    FILE *probe = fopen(path, "rb");
    if (!probe)
        return gs_fail(err, GS_EXIT_USAGE, "data file %s: cannot read it: %s", path,
                       strerror(errno));
    fclose(probe);
    if (H5Fis_hdf5(path) <= 0)
        return gs_fail(err, GS_EXIT_USAGE,
                       "data file %s is not an HDF5 file; data: takes gaussian, fashion-mnist or "
                       "an HDF5 file with x and y (docs/usage.md, Data)",
                       path);
    hid_t fapl = read_only_access();
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    H5Pclose(fapl);
    if (file < 0) return gs_fail(err, GS_EXIT_USAGE, "data file %s: HDF5 cannot open it", path);
    h5_array arrays[4];
    for (int i = 0; i < 4; i++)
        arrays[i].id = H5I_INVALID_HID;
    int rc = load_hdf5_arrays(ds, file, arrays, err);
    for (int i = 0; i < 4; i++)
        h5_close_array(&arrays[i]);
    H5Fclose(file);
    return rc ? rc : standardize_splits(ds, err);
}

/* ---- the interface ------------------------------------------------------------------ */

static int load_source(gs_dataset *ds, gs_error *err) {
    switch (ds->kind) {
    case GS_DATA_GAUSSIAN: return 0;
    case GS_DATA_FASHION_MNIST: return load_fashion_mnist(ds, err);
    case GS_DATA_HDF5: break;
    default: return gs_fail(err, GS_EXIT_INTERNAL, "data: invalid source code %d", (int)ds->kind);
    }
    /* HDF5 prints its own error stack by default: the message says it all. */
    H5E_auto2_t old_func;
    void *old_data;
    H5Eget_auto2(H5E_DEFAULT, &old_func, &old_data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    int rc = load_hdf5(ds, err);
    H5Eset_auto2(H5E_DEFAULT, old_func, old_data);
    return rc;
}

int data_load(const gs_data_source *src, gs_precision precision, gs_dataset **out, gs_error *err) {
    *out = NULL;
    gs_dataset *ds = gs_calloc(1, sizeof *ds);
    ds->kind = src->kind;
    ds->precision = precision;
    ds->standardize = src->standardize;
    if (src->kind == GS_DATA_GAUSSIAN) ds->standardize = GS_STANDARDIZE_NONE;
    const char *origin = src->path                            ? src->path
                         : src->kind == GS_DATA_FASHION_MNIST ? GS_FASHION_MNIST_DIR
                                                              : "";
    ds->origin = gs_strdup(origin);
    int rc = src->kind == GS_DATA_HDF5 && !*origin
                 ? gs_fail(err, GS_EXIT_USAGE, "data: hdf5 needs the file's path")
                 : load_source(ds, err);
    if (rc) {
        data_free(&ds);
        return rc;
    }
    *out = ds;
    return 0;
}

void data_free(gs_dataset **ds) {
    if (!ds || !*ds) return;
    gs_dataset *d = *ds;
    for (int s = 0; s < 2; s++) {
        free(d->x[s]);
        free(d->labels[s]);
        free(d->targets[s]);
    }
    free(d->mean);
    free(d->std);
    free(d->origin);
    free(d);
    *ds = NULL;
}

gs_data_kind data_kind(const gs_dataset *ds) { return ds->kind; }
gs_precision data_precision(const gs_dataset *ds) { return ds->precision; }
gs_standardize data_standardize(const gs_dataset *ds) { return ds->standardize; }
int64_t data_rows(const gs_dataset *ds, gs_split split) { return ds->rows[split]; }
int data_input_width(const gs_dataset *ds) { return ds->d; }
int data_n_classes(const gs_dataset *ds) { return ds->n_classes; }
int data_target_width(const gs_dataset *ds) { return ds->target_width; }
const void *data_x(const gs_dataset *ds, gs_split split) { return ds->x[split]; }
const int32_t *data_labels(const gs_dataset *ds, gs_split split) { return ds->labels[split]; }
const void *data_targets(const gs_dataset *ds, gs_split split) { return ds->targets[split]; }
const double *data_feature_mean(const gs_dataset *ds) { return ds->mean; }
const double *data_feature_std(const gs_dataset *ds) { return ds->std; }

void data_gather(const gs_dataset *ds, gs_split split, const int64_t *rows, int count, void *x,
                 int32_t *labels, void *targets) {
    size_t size = real_size(ds->precision), row_bytes = (size_t)ds->d * size;
    size_t target_bytes = (size_t)ds->target_width * size;
    for (int i = 0; i < count; i++) {
        size_t r = (size_t)rows[i];
        memcpy((char *)x + (size_t)i * row_bytes, (const char *)ds->x[split] + r * row_bytes,
               row_bytes);
        if (labels && ds->labels[split]) labels[i] = ds->labels[split][r];
        if (targets && ds->targets[split])
            memcpy((char *)targets + (size_t)i * target_bytes,
                   (const char *)ds->targets[split] + r * target_bytes, target_bytes);
    }
}

size_t data_bytes(const gs_dataset *ds) {
    size_t size = real_size(ds->precision), total = 0;
    for (int s = 0; s < 2; s++) {
        size_t rows = (size_t)ds->rows[s];
        total += rows * (size_t)ds->d * size;
        if (ds->labels[s]) total += rows * sizeof(int32_t);
        if (ds->targets[s]) total += rows * (size_t)ds->target_width * size;
    }
    return total;
}

const char *data_describe(const gs_dataset *ds, char *buf, size_t size) {
    static const char *const how[GS_STANDARDIZE_COUNT] = {
        "not standardised", "standardised per feature", "standardised over all features"};
    if (ds->kind == GS_DATA_GAUSSIAN) {
        snprintf(buf, size, "gaussian: x ~ N(0, 1) drawn per configuration");
        return buf;
    }
    char outputs[48];
    if (ds->n_classes)
        snprintf(outputs, sizeof outputs, "%d classes", ds->n_classes);
    else
        snprintf(outputs, sizeof outputs, "%d targets", ds->target_width);
    snprintf(buf, size, "%s (%s): %" PRId64 " %s, %" PRId64 " %s rows, %d features, %s, %s",
             data_kind_name(ds->kind), ds->origin, ds->rows[0], split_names[0], ds->rows[1],
             split_names[1], ds->d, outputs, how[ds->standardize]);
    return buf;
}
