/* SPDX-License-Identifier: MIT */
/* fuzz_spec.c — libFuzzer target for the sweep-file parser.
 *
 * Any bytes go to spec_parse_yaml, as if they were a sweep file. Besides the
 * sanitizers' verdict (ASan, UBSan, LeakSanitizer), the target checks the
 * parser's own promises and aborts when one is broken:
 *   - the result is 0 or GS_EXIT_USAGE (bad input is never an internal error),
 *     and err.code agrees with it;
 *   - an error is one line of printable text that names the file
 *     ("fuzz.yaml..."), as main() prints it;
 *   - the same bytes as a command-line value (spec_set_axis, spec_set_setting)
 *     are refused the same way, naming the option;
 *   - a sweep that parses, finalizes and forms a grid survives the round trip
 *     the results file relies on (--resume compares it): spec_to_yaml's text
 *     parses and finalizes again to the very same spec (every double bitwise),
 *     and writing that spec gives the same text.
 *
 * Build: cmake -DGS_FUZZ=ON with clang (CMakePresets.json "fuzz"). Run:
 *   build-fuzz/tests/fuzz/fuzz_spec -dict=tests/fuzz/yaml.dict CORPUS_DIR SEED_DIR...
 * Replay inputs (crashes kept in tests/fuzz/regressions): fuzz_spec FILE... */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gradsweep/common.h"
#include "gradsweep/grid.h"
#include "gradsweep/spec.h"

#define SOURCE_NAME "fuzz.yaml"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken promise: say which, show the canonical text if there is one, and
 * abort so libFuzzer saves the input. */
static void broken(const char *what, const char *detail, const char *yaml) {
    fprintf(stderr, "fuzz_spec: %s: %s\n", what, detail ? detail : "");
    if (yaml) fprintf(stderr, "--- canonical YAML\n%s--- end\n", yaml);
    abort();
}

/* One line of printable text: valid UTF-8 (it may quote the file) of the
 * characters YAML calls printable, less the line and paragraph separators, so
 * the message is one line on a terminal or in a Slurm log. */
static int is_one_printable_line(const char *msg) {
    const unsigned char *p = (const unsigned char *)msg;
    while (*p) {
        int n = *p < 0x80             ? 1
                : (*p & 0xE0) == 0xC0 ? 2
                : (*p & 0xF0) == 0xE0 ? 3
                : (*p & 0xF8) == 0xF0 ? 4
                                      : 0;
        if (n == 0) return 0;
        unsigned long c = n == 1 ? *p : *p & (0x7Fu >> n);
        for (int i = 1; i < n; i++) {
            if ((p[i] & 0xC0) != 0x80) return 0;
            c = (c << 6) | (p[i] & 0x3Fu);
        }
        int printable = (c >= 0x20 && c <= 0x7E) ||
                        (c >= 0xA0 && c <= 0xD7FF && c != 0x2028 && c != 0x2029) ||
                        (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
        if (!printable) return 0;
        p += n;
    }
    return 1;
}

static void check_error(int rc, const gs_error *err, const char *stage, int names_file) {
    char detail[1200];
    snprintf(detail, sizeof detail, "%s: rc %d, err.code %d: %s", stage, rc, err->code, err->msg);
    if (rc != GS_EXIT_USAGE) broken("bad input gave a code other than 2", detail, NULL);
    if (err->code != rc) broken("err.code differs from the returned code", detail, NULL);
    if (!err->msg[0]) broken("empty error message", detail, NULL);
    if (!is_one_printable_line(err->msg))
        broken("error message is not one line of printable UTF-8", detail, NULL);
    if (names_file && strncmp(err->msg, SOURCE_NAME, strlen(SOURCE_NAME)) != 0)
        broken("error message does not name the file", detail, NULL);
}

/* The data: and train: sections, value by value (lines aside). */
static int training_equal(const gs_spec *a, const gs_spec *b, char *why, size_t size) {
    const gs_data_source *x = &a->data, *y = &b->data;
    if (x->kind != y->kind || x->standardize != y->standardize || !x->path != !y->path ||
        (x->path && strcmp(x->path, y->path) != 0))
        return snprintf(why, size, "data"), 0;
    const gs_train_settings *s = &a->train, *t = &b->train;
    if (!s->line != !t->line) return snprintf(why, size, "train: present, then not"), 0;
    if (s->steps != t->steps || s->optimizer != t->optimizer || s->loss != t->loss ||
        s->record_every != t->record_every || s->base_width != t->base_width ||
        s->n_stats_steps != t->n_stats_steps)
        return snprintf(why, size, "train"), 0;
    if (memcmp(&s->momentum, &t->momentum, sizeof(double)) != 0 ||
        memcmp(&s->beta1, &t->beta1, sizeof(double)) != 0 ||
        memcmp(&s->beta2, &t->beta2, sizeof(double)) != 0 ||
        memcmp(&s->eps, &t->eps, sizeof(double)) != 0)
        return snprintf(why, size, "train: an optimizer setting"), 0;
    for (int i = 0; i < s->n_stats_steps; i++)
        if (s->stats_steps[i] != t->stats_steps[i]) return snprintf(why, size, "stats_steps"), 0;
    return 1;
}

static int specs_equal(const gs_spec *a, const gs_spec *b, char *why, size_t size) {
    if (strcmp(a->name, b->name) != 0) return snprintf(why, size, "name"), 0;
    if (a->base_seed != b->base_seed) return snprintf(why, size, "base_seed"), 0;
    if (a->precision != b->precision) return snprintf(why, size, "precision"), 0;
    if (a->loss != b->loss) return snprintf(why, size, "loss"), 0;
    if (memcmp(&a->leaky_relu_slope, &b->leaky_relu_slope, sizeof(double)) != 0)
        return snprintf(why, size, "leaky_relu_slope"), 0;
    if (!training_equal(a, b, why, size)) return 0;
    for (int i = 0; i < GS_AXIS_ALL_COUNT; i++) {
        const gs_axis *x = &a->axis[i], *y = &b->axis[i];
        if (x->count != y->count || !x->real != !y->real || !x->integer != !y->integer)
            return snprintf(why, size, "%s: %zu values, then %zu", axis_name((gs_axis_id)i),
                            x->count, y->count),
                   0;
        for (size_t k = 0; k < x->count; k++) {
            int same = x->real ? memcmp(&x->real[k], &y->real[k], sizeof(double)) == 0
                               : x->integer[k] == y->integer[k];
            if (!same)
                return snprintf(why, size, "%s[%zu]: %.17g, then %.17g", axis_name((gs_axis_id)i),
                                k, x->real ? x->real[k] : (double)x->integer[k],
                                y->real ? y->real[k] : (double)y->integer[k]),
                       0;
        }
    }
    return 1;
}

/* spec -> YAML -> spec: the same spec, and the same YAML again. */
static void check_round_trip(const gs_spec *spec) {
    char *yaml = spec_to_yaml(spec);
    if (!yaml) broken("spec_to_yaml returned NULL", NULL, NULL);
    gs_spec back;
    spec_init(&back);
    gs_error err = {0};
    int rc = spec_parse_yaml(&back, yaml, strlen(yaml), "canonical.yaml", &err);
    if (rc == 0) rc = spec_finalize(&back, &err);
    gs_grid grid;
    if (rc == 0) rc = grid_init(&grid, &back, &err);
    if (rc != 0) broken("the canonical YAML of a valid sweep is refused", err.msg, yaml);
    char why[256];
    if (!specs_equal(spec, &back, why, sizeof why))
        broken("the canonical YAML reads back as another sweep", why, yaml);
    char *again = spec_to_yaml(&back);
    if (strcmp(yaml, again) != 0) broken("the canonical YAML is not a fixed point", again, yaml);
    free(again);
    spec_free(&back);
    free(yaml);
}

/* The same bytes as a command-line value (up to the first NUL, as in argv):
 * for one of the axis options, chosen by the length, and for one setting. A
 * refusal must be exit 2, one printable line that names the option. */
static void check_command_line(const uint8_t *data, size_t size) {
    static const char *const settings[] = {
        "name",  "base_seed", "precision",  "loss",         "leaky_relu_slope", "data",
        "steps", "optimizer", "train_loss", "record_every", "momentum"};
    const size_t n_settings = sizeof settings / sizeof settings[0];
    char *value = malloc(size + 1);
    memcpy(value, data, size);
    value[size] = '\0';
    gs_axis_id id = (gs_axis_id)(size % GS_AXIS_ALL_COUNT);
    gs_spec spec;
    spec_init(&spec);
    gs_error err = {0};
    int rc = spec_set_axis(&spec, id, value, &err);
    if (rc) {
        check_error(rc, &err, axis_option(id), 0);
        if (strncmp(err.msg, axis_option(id), strlen(axis_option(id))) != 0)
            broken("a command-line error does not name the option", err.msg, NULL);
    }
    spec_free(&spec);
    spec_init(&spec);
    memset(&err, 0, sizeof err);
    const char *key = settings[size % n_settings];
    rc = spec_set_setting(&spec, key, value, &err);
    if (rc) {
        check_error(rc, &err, key, 0);
        if (strncmp(err.msg, "--", 2) != 0)
            broken("a command-line error does not name the option", err.msg, NULL);
    }
    spec_free(&spec);
    free(value);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* The bytes are used as they are, not NUL-terminated: spec_parse_yaml
     * takes a length, and ASan catches any read past it. */
    gs_spec spec;
    spec_init(&spec);
    gs_error err = {0};
    int rc = spec_parse_yaml(&spec, (const char *)data, size, SOURCE_NAME, &err);
    if (rc) {
        check_error(rc, &err, "spec_parse_yaml", 1);
    } else if ((rc = spec_finalize(&spec, &err)) != 0) {
        check_error(rc, &err, "spec_finalize", 1);
    } else {
        gs_grid grid;
        rc = grid_init(&grid, &spec, &err);
        if (rc)
            check_error(rc, &err, "grid_init", 0);
        else
            check_round_trip(&spec);
    }
    spec_free(&spec);
    check_command_line(data, size);
    return 0;
}
