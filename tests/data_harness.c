/* SPDX-License-Identifier: MIT */
/* data_harness.c — loads a data set with data.h and prints what it holds, for
 * tests/test_data.py to compare with its own reading of the same files
 * (Python's gzip and struct, h5py):
 *
 *   data_harness SOURCE PATH STANDARDIZE PRECISION [SPLIT:ROW ...]
 *
 * SOURCE gaussian | fashion-mnist | hdf5; PATH or "-" for the default;
 * STANDARDIZE none | feature | global | "-" for the source's default;
 * PRECISION float32 | float64. Prints "key values…" lines: the sizes, the
 * first and last label of each split, the standardisation statistics, and
 * for each SPLIT:ROW (train:0, test:9999) its x row and label or targets,
 * gathered with data_gather, every value as %.17g. On a load error: the
 * message on stderr, exit with its code. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gradsweep/data.h"

static double value(const void *v, gs_precision p, size_t i) {
    return p == GS_FLOAT32 ? (double)((const float *)v)[i] : ((const double *)v)[i];
}

static void print_values(const char *key, const void *v, gs_precision p, size_t n) {
    printf("%s", key);
    for (size_t i = 0; i < n; i++)
        printf(" %.17g", value(v, p, i));
    printf("\n");
}

static void print_row(const gs_dataset *ds, const char *spec) {
    gs_split split = strncmp(spec, "test:", 5) == 0 ? GS_SPLIT_TEST : GS_SPLIT_TRAIN;
    int64_t row = strtoll(strchr(spec, ':') + 1, NULL, 10);
    gs_precision p = data_precision(ds);
    size_t size = p == GS_FLOAT32 ? sizeof(float) : sizeof(double);
    int d = data_input_width(ds), k = data_target_width(ds);
    void *x = malloc((size_t)d * size), *targets = malloc((size_t)k * size);
    int32_t label = -1;
    data_gather(ds, split, &row, 1, x, &label, targets);
    char key[64];
    snprintf(key, sizeof key, "x %s", spec);
    print_values(key, x, p, (size_t)d);
    if (data_labels(ds, split))
        printf("label %s %d\n", spec, label);
    else {
        snprintf(key, sizeof key, "targets %s", spec);
        print_values(key, targets, p, (size_t)k);
    }
    free(x);
    free(targets);
}

static void print_summary(const gs_dataset *ds) {
    char text[512];
    printf("describe %s\n", data_describe(ds, text, sizeof text));
    printf("kind %s\n", data_kind_name(data_kind(ds)));
    printf("rows_train %" PRId64 "\nrows_test %" PRId64 "\n", data_rows(ds, GS_SPLIT_TRAIN),
           data_rows(ds, GS_SPLIT_TEST));
    printf("input_width %d\nn_classes %d\ntarget_width %d\nbytes %zu\n", data_input_width(ds),
           data_n_classes(ds), data_target_width(ds), data_bytes(ds));
    for (int s = 0; s < 2; s++) {
        const int32_t *labels = data_labels(ds, (gs_split)s);
        int64_t n = data_rows(ds, (gs_split)s);
        if (labels && n > 0)
            printf("labels_%s %d %d\n", s ? "test" : "train", labels[0], labels[n - 1]);
    }
    int stats = data_standardize(ds) == GS_STANDARDIZE_FEATURE ? data_input_width(ds) : 1;
    if (data_feature_mean(ds)) {
        print_values("mean", data_feature_mean(ds), GS_FLOAT64, (size_t)stats);
        print_values("std", data_feature_std(ds), GS_FLOAT64, (size_t)stats);
    }
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr,
                "usage: data_harness SOURCE PATH|- STANDARDIZE|- PRECISION [SPLIT:ROW ...]\n");
        return 2;
    }
    gs_data_source src = {(gs_data_kind)data_kind_parse(argv[1]), NULL, 0, 0};
    if ((int)src.kind < 0) return fprintf(stderr, "unknown source %s\n", argv[1]), 2;
    if (strcmp(argv[2], "-") != 0) src.path = argv[2];
    src.standardize = strcmp(argv[3], "-") == 0 ? data_default_standardize(src.kind)
                                                : (gs_standardize)standardize_parse(argv[3]);
    gs_precision precision = strcmp(argv[4], "float32") == 0 ? GS_FLOAT32 : GS_FLOAT64;
    gs_dataset *ds = NULL;
    gs_error err = {0};
    if (data_load(&src, precision, &ds, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return err.code;
    }
    print_summary(ds);
    for (int i = 5; i < argc; i++)
        print_row(ds, argv[i]);
    data_free(&ds);
    return ds == NULL ? 0 : 1;
}
