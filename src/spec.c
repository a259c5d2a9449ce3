/* SPDX-License-Identifier: MIT */
/* spec.c — the sweep as the user wrote it: YAML sweep files (libyaml's
 * document API, which keeps the line of every node), command-line axes and
 * settings, validation, and the canonical YAML written back.
 *
 * Values are checked where they are read, while their line and spelling (e.g.
 * "lecun") are still known, so that a message can point at them;
 * spec_finalize() checks again for specs that were assembled by hand.
 *
 * The sweep-file grammar (YAML 1.2 core-schema scalars):
 *   top level   name, description, base_seed, precision, loss, leaky_relu_slope,
 *               output, data, train, grid, jacobian_samples   (each at most once)
 *   data        gaussian | fashion-mnist | PATH (with a / or a .)
 *               | {source: NAME, path: PATH, standardize: none|feature|global}
 *   train       {steps: N, optimizer: NAME, loss: NAME, record_every: K, momentum: MU,
 *                beta1: B1, beta2: B2, eps: E, base_width: N, stats_steps: [S, ...]}
 *   grid        the axes of axis_name() (learning_rate and parametrization only with
 *               train:), each one of
 *                 VALUE | [VALUE, ...] | {linspace: [a, b, n]} | {logspace: [a, b, n]}
 *                 | {geomspace: [a, b, n]} | {range: n | [start, stop] | [start, stop, step]}
 *   VALUE       an unquoted number (integer axes: a whole number), for sigma_w also
 *               he | lecun | xavier | torch_default | keras_default, for
 *               activation/init/parametrization/fan a name.
 * Numbers are parsed with strtod in the C locale (main never calls setlocale). */
#include "gradsweep/spec.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "gradsweep/activation.h"

/* A sweep file lists axes, not values: 16 MiB is far beyond any real one and
 * keeps a wrong path (a results file, a log) from being read whole. */
#define SPEC_MAX_FILE_BYTES    ((size_t)16 << 20)
#define SPEC_MAX_AXIS_VALUES   1000000
/* spec_to_yaml writes every value: a valid sweep (at most 2^40 configurations,
 * so at most two axes near a million values) can take 2 million values of up
 * to 25 bytes ("2.2250738585072014e-308, "). Text that is parsed, rather than
 * read from a user's file, may be that long, so the canonical YAML stored in a
 * results file always reads back. */
#define SPEC_MAX_TEXT_BYTES    ((size_t)64 << 20)
#define SPEC_MAX_NAME_BYTES    256
#define SPEC_MAX_SIGMA         1e6
/* A learning rate above this is a typo (1e3 for 1e-3) rather than a choice. */
#define SPEC_MAX_LEARNING_RATE 1000
/* Generators compute in floating point (10^log10(x) is rarely exact), so an
 * integer axis accepts a generated value within this relative distance of a
 * whole number and rounds it. */
#define SPEC_INTEGER_TOLERANCE 1e-9
/* A sweep file nests four levels deep (grid: depth: linspace: [...]). libyaml's
 * scanner spends time proportional to the depth on every token, and its
 * document holds ~170 bytes per node, so both are bounded before loading:
 * 16 MiB of "[" would otherwise take hours, and of "1," gigabytes. */
#define SPEC_MAX_NESTING       32
#define SPEC_MAX_NODES         (2 * SPEC_MAX_AXIS_VALUES + 100000)
/* User text quoted in a message is cut to this many bytes so the message stays one line. */
#define SPEC_SHOWN_BYTES       64

/* ---- axes ------------------------------------------------------------------------------ */

typedef enum value_kind {
    VALUES_ACTIVATION,
    VALUES_INIT,
    VALUES_PARAMETRIZATION,
    VALUES_INTEGER,
    VALUES_REAL,
    VALUES_FAN,
    VALUES_NORM,
} value_kind;

/* Axes of names (activation, init, parametrization, fan) take no generators. */
static int is_name_kind(value_kind kind) {
    return kind == VALUES_ACTIVATION || kind == VALUES_INIT || kind == VALUES_PARAMETRIZATION ||
           kind == VALUES_FAN || kind == VALUES_NORM;
}

/* The name of code v on a name axis, or NULL. */
static const char *code_name(value_kind kind, int64_t v) {
    switch (kind) {
    case VALUES_ACTIVATION: return activation_name((gs_activation_kind)v);
    case VALUES_INIT: return init_name((gs_init)v);
    case VALUES_PARAMETRIZATION: return parametrization_name((gs_parametrization)v);
    case VALUES_FAN: return fan_name((gs_fan)v);
    case VALUES_NORM: return norm_name((gs_norm)v);
    case VALUES_INTEGER:
    case VALUES_REAL: break;
    }
    return NULL;
}

typedef struct axis_rule {
    const char *name, *option;
    value_kind kind;
    int64_t min, max;                       /* integer axes: the allowed values, inclusive */
    double real_max;                        /* real axes: the largest allowed value */
    int zero_allowed;                       /* real axes: 0 ≤ value (else 0 < value) */
    const char *yaml_example, *cli_example; /* shown when a required axis is missing */
} axis_rule;

static const axis_rule axis_rules[GS_AXIS_ALL_COUNT] = {
    [GS_AXIS_ACTIVATION] = {"activation", "--activation", VALUES_ACTIVATION, 0, 0, 0, 0,
                            "[relu, tanh]", "relu,tanh"},
    [GS_AXIS_INIT] = {"init", "--init", VALUES_INIT, 0, 0, 0, 0, "[gaussian]", "gaussian"},
    [GS_AXIS_WIDTH] = {"width", "--width", VALUES_INTEGER, 1, 1048576, 0, 0, "[64, 256]", "64,256"},
    [GS_AXIS_DEPTH] = {"depth", "--depth", VALUES_INTEGER, 1, 100000, 0, 0, "[10, 50]", "10,50"},
    [GS_AXIS_BATCH] = {"batch", "--batch", VALUES_INTEGER, 1, 1048576, 0, 0, "[128]", "128"},
    [GS_AXIS_SIGMA_B] = {"sigma_b", "--sigma-b", VALUES_REAL, 0, 0, SPEC_MAX_SIGMA, 1, "[0.0]",
                         "0"},
    [GS_AXIS_SIGMA_W] = {"sigma_w", "--sigma-w", VALUES_REAL, 0, 0, SPEC_MAX_SIGMA, 0,
                         "{linspace: [0.5, 2.0, 16]}", "0.5:2.0:16"},
    [GS_AXIS_SEED] = {"seed", "--seed", VALUES_INTEGER, 0, (int64_t)1 << 62, 0, 0, "{range: 3}",
                      "0,1,2"},
    [GS_AXIS_PARAMETRIZATION] = {"parametrization", "--parametrization", VALUES_PARAMETRIZATION, 0,
                                 0, 0, 0, "[standard, mup]", "standard,mup"},
    [GS_AXIS_LEARNING_RATE] = {"learning_rate", "--learning-rate", VALUES_REAL, 0, 0,
                               SPEC_MAX_LEARNING_RATE, 0, "{logspace: [-3, 0, 7]}",
                               "0.001,0.01,0.1"},
    /* 1 would make every sample the same input: nothing left to forget. */
    [GS_AXIS_INPUT_CORRELATION] = {"input_correlation", "--input-correlation", VALUES_REAL, 0, 0, 1,
                                   1, "[0.0, 0.5, 0.9]", "0,0.5,0.9"},
    [GS_AXIS_INPUT_WIDTH] = {"input_width", "--input-width", VALUES_INTEGER, 1, 1048576, 0, 0,
                             "[784]", "784"},
    [GS_AXIS_OUTPUT_WIDTH] = {"output_width", "--output-width", VALUES_INTEGER, 1, 1048576, 0, 0,
                              "[10]", "10"},
    [GS_AXIS_FAN] = {"fan", "--fan", VALUES_FAN, 0, 0, 0, 0, "[in, avg]", "in,avg"},
    [GS_AXIS_BRANCH_SCALE] = {"branch_scale", "--branch-scale", VALUES_REAL, 0, 0, SPEC_MAX_SIGMA,
                              1, "[none, 1, 1/sqrt(depth)]", "none,1,1/sqrt(depth)"},
    [GS_AXIS_NORM] = {"norm", "--norm", VALUES_NORM, 0, 0, 0, 0, "[none, layernorm]",
                      "none,layernorm"},
};

/* Real axes whose largest value is excluded (value < real_max, else ≤): a
 * function rather than a field of axis_rule, so the table's positional rows
 * stay complete for -Wmissing-field-initializers. */
static int max_excluded(gs_axis_id id) { return id == GS_AXIS_INPUT_CORRELATION; }

/* The names a branch_scale value may have besides a number α ≥ 0: none (a
 * plain network, no residual blocks) and 1/sqrt(depth) (α = 1/sqrt(L) for a
 * network of L layers; 1/sqrt(L) is read the same). */
static const struct {
    const char *name;
    double value;
} branch_names[] = {{"none", NAN},
                    {"1/sqrt(depth)", GS_BRANCH_SCALE_INV_SQRT_DEPTH},
                    {"1/sqrt(L)", GS_BRANCH_SCALE_INV_SQRT_DEPTH}};
#define BRANCH_NAME_COUNT (sizeof branch_names / sizeof branch_names[0])

/* A branch_scale value that is a name: "none", "1/sqrt(depth)"; NULL for a number. */
static const char *branch_scale_name(double v) {
    if (isnan(v)) return branch_names[0].name;
    return v == GS_BRANCH_SCALE_INV_SQRT_DEPTH ? branch_names[1].name : NULL;
}

/* Names for sigma_w, resolved to numbers when read; the axis also keeps each
 * value's name (gs_axis.names), which fixes its fan unless the fan axis is
 * given, and for the framework defaults its biases. With Var(W) = sigma_w² /
 * fan: He et al. 2015 is sigma_w² = 2, LeCun is 1, Glorot/Xavier's Var(W) =
 * 2 / (fan_in + fan_out) is 1 with fan avg; torch.nn.Linear's
 * kaiming_uniform_(a = sqrt 5) is U(±1/sqrt(fan_in)), sigma_w² = 1/3, and
 * Keras' glorot_uniform is xavier's. A sweep that is not a network one
 * (spec_has_network) writes them back as numbers, as it always did. */
static const struct {
    const char *name;
    double value;
    gs_scale_name code;
} sigma_w_names[] = {{"he", M_SQRT2, GS_SCALE_HE},
                     {"lecun", 1.0, GS_SCALE_LECUN},
                     {"xavier", 1.0, GS_SCALE_XAVIER},
                     {"torch_default", GS_TORCH_DEFAULT_SIGMA_W, GS_SCALE_TORCH_DEFAULT},
                     {"keras_default", 1.0, GS_SCALE_KERAS_DEFAULT}};
#define SIGMA_W_NAME_COUNT (sizeof sigma_w_names / sizeof sigma_w_names[0])

static int is_framework_default(gs_scale_name name) {
    return name == GS_SCALE_TORCH_DEFAULT || name == GS_SCALE_KERAS_DEFAULT;
}

const char *axis_name(gs_axis_id id) {
    return (unsigned)id < GS_AXIS_ALL_COUNT ? axis_rules[id].name : NULL;
}

const char *axis_option(gs_axis_id id) {
    return (unsigned)id < GS_AXIS_ALL_COUNT ? axis_rules[id].option : NULL;
}

int axis_is_real(gs_axis_id id) {
    return (unsigned)id < GS_AXIS_ALL_COUNT && axis_rules[id].kind == VALUES_REAL;
}

int spec_has_training(const gs_spec *spec) { return spec->train.line != 0; }

int spec_axis_count(const gs_spec *spec) {
    return spec_has_training(spec) ? GS_AXIS_LEARNING_RATE + 1 : GS_AXIS_COUNT;
}

static int is_training_axis(int a) {
    return a == GS_AXIS_PARAMETRIZATION || a == GS_AXIS_LEARNING_RATE;
}
static int is_network_axis(int a) { return a >= GS_AXIS_NETWORK_FIRST && a < GS_AXIS_ALL_COUNT; }

/* Axes a sweep has only when it gives them. */
static int is_optional_axis(int a) { return a == GS_AXIS_INPUT_CORRELATION || is_network_axis(a); }

int spec_has_axis(const gs_spec *spec, gs_axis_id a) {
    if ((int)a < 0 || a >= GS_AXIS_ALL_COUNT) return 0;
    if (is_optional_axis(a)) return spec->axis[a].count > 0;
    return (int)a < spec_axis_count(spec);
}
gs_scale_name spec_sigma_w_name(const gs_spec *spec, size_t i) {
    const gs_axis *axis = &spec->axis[GS_AXIS_SIGMA_W];
    return spec->sigma_w_names && i < axis->count ? (gs_scale_name)spec->sigma_w_names[i]
                                                  : GS_SCALE_NUMBER;
}

int spec_has_network(const gs_spec *spec) {
    for (int a = GS_AXIS_NETWORK_FIRST; a < GS_AXIS_ALL_COUNT; a++)
        if (spec->axis[a].count > 0) return 1;
    for (size_t i = 0; i < spec->axis[GS_AXIS_SIGMA_W].count; i++)
        if (is_framework_default(spec_sigma_w_name(spec, i))) return 1;
    return 0;
}

/* ---- settings and keys ------------------------------------------------------------------ */

typedef enum setting_id {
    SETTING_NAME,
    SETTING_BASE_SEED,
    SETTING_PRECISION,
    SETTING_LOSS,
    SETTING_SLOPE,
    SETTING_DATA,
    SETTING_STEPS,
    SETTING_OPTIMIZER,
    SETTING_TRAIN_LOSS,
    SETTING_RECORD_EVERY,
    SETTING_MOMENTUM,
    SETTING_JACOBIAN_SAMPLES,
    SETTING_COUNT
} setting_id;

static const struct {
    const char *key, *option;
} settings[SETTING_COUNT] = {
    [SETTING_NAME] = {"name", "--name"},
    [SETTING_BASE_SEED] = {"base_seed", "--base-seed"},
    [SETTING_PRECISION] = {"precision", "--precision"},
    [SETTING_LOSS] = {"loss", "--loss"},
    [SETTING_SLOPE] = {"leaky_relu_slope", "--leaky-relu-slope"},
    [SETTING_DATA] = {"data", "--data"},
    [SETTING_STEPS] = {"steps", "--steps"},
    [SETTING_OPTIMIZER] = {"optimizer", "--optimizer"},
    [SETTING_TRAIN_LOSS] = {"train_loss", "--train-loss"},
    [SETTING_RECORD_EVERY] = {"record_every", "--record-every"},
    [SETTING_MOMENTUM] = {"momentum", "--momentum"},
    [SETTING_JACOBIAN_SAMPLES] = {"jacobian_samples", "--jacobian-samples"},
};

/* The train: key each training setting sets. */
static const gs_train_key train_key_of_setting[SETTING_COUNT] = {
    [SETTING_STEPS] = GS_TRAIN_STEPS,       [SETTING_OPTIMIZER] = GS_TRAIN_OPTIMIZER,
    [SETTING_TRAIN_LOSS] = GS_TRAIN_LOSS,   [SETTING_RECORD_EVERY] = GS_TRAIN_RECORD_EVERY,
    [SETTING_MOMENTUM] = GS_TRAIN_MOMENTUM,
};

/* The top-level keys of a sweep file, in the order messages list them. */
typedef enum top_key {
    KEY_NAME,
    KEY_DESCRIPTION,
    KEY_BASE_SEED,
    KEY_PRECISION,
    KEY_LOSS,
    KEY_SLOPE,
    KEY_OUTPUT,
    KEY_DATA,
    KEY_TRAIN,
    KEY_GRID,
    KEY_JACOBIAN_SAMPLES,
    KEY_COUNT
} top_key;

static const char *const top_keys[KEY_COUNT] = {
    "name", "description", "base_seed", "precision",        "loss", "leaky_relu_slope", "output",
    "data", "train",       "grid",      "jacobian_samples",
};

typedef enum generator_id {
    GEN_LINSPACE,
    GEN_LOGSPACE,
    GEN_GEOMSPACE,
    GEN_RANGE,
    GEN_COUNT
} generator_id;

static const char *const generator_names[GEN_COUNT] = {"linspace", "logspace", "geomspace",
                                                       "range"};

static int find_name(const char *const *names, int count, const char *word) {
    for (int i = 0; i < count; i++)
        if (strcmp(names[i], word) == 0) return i;
    return -1;
}

/* ---- messages ---------------------------------------------------------------------------- */

/* Where a message points: "FILE:LINE: KEY: " with the parts that are known. */
typedef struct where {
    const char *source; /* the sweep file's name; NULL on the command line */
    int line;           /* 1-based; 0 when there is none */
    const char *key;    /* "sigma_w" in a file, "--sigma-w" on the command line; or NULL */
} where;

static int fail_at(gs_error *err, where at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static const char *show(const char *text, char *buf, size_t size);
static int is_printable_line(const char *text);
static int is_printable_char(unsigned long c);
static size_t utf8_decode(const unsigned char *p, unsigned long *code);

static int fail_at(gs_error *err, where at, const char *fmt, ...) {
    char location[512] = "", body[1024], key[SPEC_SHOWN_BYTES];
    if (at.source && at.line > 0)
        snprintf(location, sizeof location, "%s:%d: ", at.source, at.line);
    else if (at.source)
        snprintf(location, sizeof location, "%s: ", at.source);
    /* An unknown key is the user's text: shown as written only if it is a short
     * line of printable text, else quoted, escaped and cut like any value. */
    const char *shown_key = at.key;
    if (shown_key && (strlen(shown_key) > sizeof key - 10 || !is_printable_line(shown_key)))
        shown_key = show(shown_key, key, sizeof key);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    return gs_fail(err, GS_EXIT_USAGE, "%s%s%s%s", location, shown_key ? shown_key : "",
                   shown_key ? ": " : "", body);
}

/* A key the user wrote, as a message shows it: as written if it is a short
 * line of printable text, else as show() quotes it. */
static const char *as_written(const char *text, char *buf, size_t size) {
    if (strlen(text) > size - 10 || !is_printable_line(text)) return show(text, buf, size);
    return text;
}

/* User text as a message shows it: in double quotes, characters that are not
 * printable escaped (\x09, \u2028; bytes that are not UTF-8 as \xFF) and long
 * text cut (at a character boundary), so that a message stays one line of
 * text whatever the file or the command line holds. */
static const char *show(const char *text, char *buf, size_t size) {
    size_t n = 0;
    buf[n++] = '"';
    for (const unsigned char *p = (const unsigned char *)text; *p;) {
        unsigned long c;
        size_t length = utf8_decode(p, &c);
        char escape[16] = "";
        if (length == 0)
            length = 1, snprintf(escape, sizeof escape, "\\x%02X", *p);
        else if (!is_printable_char(c))
            snprintf(escape, sizeof escape, c < 0x80 ? "\\x%02lX" : "\\u%04lX", c);
        size_t out = *escape ? strlen(escape) : length;
        /* Cut before a character that does not fit with "...", the quote and the NUL. */
        if (n + out + 5 > size) {
            memcpy(buf + n, "...", 3);
            n += 3;
            break;
        }
        memcpy(buf + n, *escape ? escape : (const char *)p, out);
        n += out;
        p += length;
    }
    buf[n++] = '"';
    buf[n] = '\0';
    return buf;
}

/* "did you mean relu?" or, when nothing is close, "choose from a, b, c". */
static const char *suggestion(const char *word, const char *const *names, int count,
                              const char *choose, char *buf, size_t size) {
    const char *close = gs_closest(word, names, count);
    if (close) {
        snprintf(buf, size, "did you mean %s?", close);
        return buf;
    }
    size_t n = (size_t)snprintf(buf, size, "%s ", choose);
    for (int i = 0; i < count && n < size; i++)
        n += (size_t)snprintf(buf + n, size - n, "%s%s", i ? ", " : "", names[i]);
    return buf;
}

/* The shortest "%.Ng" that reads back as the same double. */
static const char *format_real(double value, char *buf, size_t size) {
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(buf, size, "%.*g", digits, value);
        if (strtod(buf, NULL) == value) break;
    }
    return buf;
}

/* ---- numbers ---------------------------------------------------------------------------- */

typedef enum number_form { FORM_NONE, FORM_INTEGER, FORM_REAL, FORM_SPECIAL } number_form;

/* Classifies text by YAML 1.2 core-schema number syntax: [-+]digits is an
 * integer; a decimal point or an exponent makes a real; .inf/.nan are special.
 * Hex, octal, underscores and surrounding spaces are not numbers here. */
static number_form number_form_of(const char *text) {
    static const char *const specials[] = {".inf", ".Inf", ".INF", ".nan", ".NaN", ".NAN"};
    const char *p = text + (*text == '+' || *text == '-');
    for (int i = 0; i < 6; i++)
        if (strcmp(p, specials[i]) == 0 && (i < 3 || p == text)) return FORM_SPECIAL;
    size_t whole_digits = strspn(p, "0123456789");
    p += whole_digits;
    number_form form = FORM_INTEGER;
    size_t fraction_digits = 0;
    if (*p == '.') {
        form = FORM_REAL;
        fraction_digits = strspn(++p, "0123456789");
        p += fraction_digits;
    }
    if (whole_digits + fraction_digits == 0) return FORM_NONE;
    if (*p == 'e' || *p == 'E') {
        form = FORM_REAL;
        p += 1 + (p[1] == '+' || p[1] == '-');
        size_t exponent_digits = strspn(p, "0123456789");
        if (exponent_digits == 0) return FORM_NONE;
        p += exponent_digits;
    }
    return *p ? FORM_NONE : form;
}

/* Reads a number; returns 0, or -1 if the text is not one. */
static int parse_real(const char *text, double *value) {
    switch (number_form_of(text)) {
    case FORM_NONE: return -1;
    case FORM_SPECIAL: /* ".nan", or ".inf" with an optional sign */
        *value = text[1] == 'n' || text[1] == 'N' ? NAN : *text == '-' ? -INFINITY : INFINITY;
        return 0;
    default: *value = strtod(text, NULL); return 0;
    }
}

typedef enum integer_status {
    INTEGER_OK,
    INTEGER_NOT_NUMBER,
    INTEGER_NOT_WHOLE,
    INTEGER_TOO_LARGE
} integer_status;

/* Reads a whole number exactly: digits through strtoll (a seed of 2^62 has
 * no exact double), other number syntax ("1e3", "10.0") through strtod. */
static integer_status parse_integer(const char *text, int64_t *value) {
    number_form form = number_form_of(text);
    if (form == FORM_NONE) return INTEGER_NOT_NUMBER;
    if (form == FORM_INTEGER) {
        errno = 0;
        long long v = strtoll(text, NULL, 10);
        if (errno == ERANGE) return INTEGER_TOO_LARGE;
        *value = v;
        return INTEGER_OK;
    }
    double v;
    parse_real(text, &v);
    if (isnan(v) || (isfinite(v) && v != floor(v))) return INTEGER_NOT_WHOLE;
    if (!(fabs(v) < 9.2e18)) return INTEGER_TOO_LARGE;
    *value = (int64_t)v;
    return INTEGER_OK;
}

/* ---- text checks ---------------------------------------------------------------------- */

/* Decodes the UTF-8 character at p into *code; returns its length in bytes,
 * or 0 if the sequence is malformed, overlong or out of Unicode's range. */
static size_t utf8_decode(const unsigned char *p, unsigned long *code) {
    static const unsigned long smallest[5] = {0, 0, 0x80, 0x800, 0x10000};
    size_t n;
    unsigned long c;
    if (*p < 0x80) {
        *code = *p;
        return 1;
    }
    if ((*p & 0xE0) == 0xC0)
        n = 2, c = *p & 0x1Fu;
    else if ((*p & 0xF0) == 0xE0)
        n = 3, c = *p & 0x0Fu;
    else if ((*p & 0xF8) == 0xF0)
        n = 4, c = *p & 0x07u;
    else
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        c = (c << 6) | (p[i] & 0x3Fu);
    }
    if (c < smallest[n] || c > 0x10FFFF) return 0;
    *code = c;
    return n;
}

/* A character YAML calls printable, less the line and paragraph separators. */
static int is_printable_char(unsigned long c) {
    return (c >= 0x20 && c <= 0x7E) || (c >= 0xA0 && c <= 0xD7FF && c != 0x2028 && c != 0x2029) ||
           (c >= 0xE000 && c <= 0xFFFD) || c >= 0x10000;
}

/* A name goes into results files and messages, and spec_to_yaml writes it in
 * double quotes for libyaml to read back: so one line of characters that YAML
 * calls printable, without line or paragraph separators. */
static int is_printable_line(const char *text) {
    const unsigned char *p = (const unsigned char *)text;
    while (*p) {
        unsigned long c;
        size_t n = utf8_decode(p, &c);
        if (n == 0 || !is_printable_char(c)) return 0;
        p += n;
    }
    return 1;
}

static char *trim(char *text) {
    while (*text == ' ' || *text == '\t')
        text++;
    size_t n = strlen(text);
    while (n > 0 && (text[n - 1] == ' ' || text[n - 1] == '\t'))
        text[--n] = '\0';
    return text;
}

/* ---- collecting an axis's values -------------------------------------------------------- */

/* Where each value came from, for messages about it. */
typedef struct value_origin {
    int line;         /* 0 on the command line */
    const char *name; /* the name it was written as ("lecun"), or NULL */
} value_origin;

/* An axis being read: its values, in the user's order, grow here and replace
 * the spec's axis only once all of them passed every check. */
typedef struct axis_input {
    gs_axis_id id;
    const axis_rule *rule;
    const char *source; /* for messages; NULL on the command line */
    const char *key;    /* for messages: axis name or option */
    gs_error *err;
    size_t count, capacity;
    int64_t *integer; /* [capacity] for integer and name axes, else NULL */
    double *real;     /* [capacity] for real axes, else NULL */
    value_origin *origin;
} axis_input;

static void axis_input_init(axis_input *in, gs_axis_id id, const char *source, const char *key,
                            gs_error *err) {
    memset(in, 0, sizeof *in);
    in->id = id;
    in->rule = &axis_rules[id];
    in->source = source;
    in->key = key;
    in->err = err;
}

static void axis_input_free(axis_input *in) {
    free(in->integer);
    free(in->real);
    free(in->origin);
    in->integer = NULL;
    in->real = NULL;
    in->origin = NULL;
}

static where axis_at(const axis_input *in, int line) { return (where){in->source, line, in->key}; }

static void *grow_array(void *old, size_t used_bytes, size_t new_bytes) {
    void *grown = gs_malloc(new_bytes);
    if (used_bytes) memcpy(grown, old, used_bytes);
    free(old);
    return grown;
}

/* Makes room for `extra` more values; fails if the axis would hold too many. */
static int axis_reserve(axis_input *in, size_t extra, int line) {
    if (extra > SPEC_MAX_AXIS_VALUES - in->count)
        return fail_at(in->err, axis_at(in, line), "more than %d values; an axis holds at most %d",
                       SPEC_MAX_AXIS_VALUES, SPEC_MAX_AXIS_VALUES);
    size_t need = in->count + extra;
    if (need <= in->capacity) return 0;
    size_t capacity = in->capacity ? 2 * in->capacity : 8;
    if (capacity < need) capacity = need;
    if (in->rule->kind == VALUES_REAL)
        in->real = grow_array(in->real, in->count * sizeof *in->real, capacity * sizeof *in->real);
    else
        in->integer = grow_array(in->integer, in->count * sizeof *in->integer,
                                 capacity * sizeof *in->integer);
    in->origin =
        grow_array(in->origin, in->count * sizeof *in->origin, capacity * sizeof *in->origin);
    in->capacity = capacity;
    return 0;
}

static int axis_push_integer(axis_input *in, int64_t value, int line, const char *name) {
    if (axis_reserve(in, 1, line)) return GS_EXIT_USAGE;
    in->integer[in->count] = value;
    in->origin[in->count++] = (value_origin){line, name};
    return 0;
}

static int axis_push_real(axis_input *in, double value, int line, const char *name) {
    if (axis_reserve(in, 1, line)) return GS_EXIT_USAGE;
    in->real[in->count] = value;
    in->origin[in->count++] = (value_origin){line, name};
    return 0;
}

/* What one value of the axis looks like, for "expected ..., got ..." messages. */
static const char *expected_value(const axis_input *in) {
    switch (in->rule->kind) {
    case VALUES_ACTIVATION: return "an activation name (e.g. relu)";
    case VALUES_INIT: {
        static char inits[128]; /* "gaussian, uniform or orthogonal" */
        return names_or(gs_init_names, GS_INIT_COUNT, inits, sizeof inits);
    }
    case VALUES_PARAMETRIZATION: return "standard, ntk or mup";
    case VALUES_FAN: return "in, out or avg";
    case VALUES_NORM: return "none or layernorm";
    case VALUES_INTEGER: return "an integer";
    case VALUES_REAL: break;
    }
    if (in->id == GS_AXIS_BRANCH_SCALE) return "a number >= 0, none or 1/sqrt(depth)";
    return in->id == GS_AXIS_SIGMA_W ? "a number or he/lecun/xavier/torch_default/keras_default"
                                     : "a number";
}

/* A hint for a scalar that holds several values, e.g. "relu, tanh". */
static const char *list_hint(const char *text) {
    return strchr(text, ',') ? " (several values are written as a list: [a, b])" : "";
}

static int add_activation(axis_input *in, const char *text, int line) {
    gs_activation_kind kind;
    if (activation_parse(text, &kind) == 0) return axis_push_integer(in, kind, line, NULL);
    const char *names[GS_ACT_COUNT];
    for (int k = 0; k < GS_ACT_COUNT; k++)
        names[k] = activation_name((gs_activation_kind)k);
    char shown[SPEC_SHOWN_BYTES], hint[512];
    return fail_at(in->err, axis_at(in, line), "unknown activation %s%s; %s",
                   show(text, shown, sizeof shown), list_hint(text),
                   suggestion(text, names, GS_ACT_COUNT, "choose from", hint, sizeof hint));
}

static int add_init(axis_input *in, const char *text, int line) {
    gs_init init;
    if (init_parse(text, &init) == 0) return axis_push_integer(in, init, line, NULL);
    char shown[SPEC_SHOWN_BYTES], hint[256];
    return fail_at(
        in->err, axis_at(in, line), "unknown init %s%s; %s", show(text, shown, sizeof shown),
        list_hint(text),
        suggestion(text, gs_init_names, GS_INIT_COUNT, "choose from", hint, sizeof hint));
}

static int add_parametrization(axis_input *in, const char *text, int line) {
    int code = parametrization_parse(text);
    if (code >= 0) return axis_push_integer(in, code, line, NULL);
    char shown[SPEC_SHOWN_BYTES], hint[256];
    return fail_at(in->err, axis_at(in, line), "unknown parametrization %s%s; %s",
                   show(text, shown, sizeof shown), list_hint(text),
                   suggestion(text, gs_parametrization_names, GS_PARAMETRIZATION_COUNT,
                              "choose from", hint, sizeof hint));
}

static int add_fan(axis_input *in, const char *text, int line) {
    gs_fan fan;
    if (fan_parse(text, &fan) == 0) return axis_push_integer(in, fan, line, NULL);
    char shown[SPEC_SHOWN_BYTES], hint[256];
    return fail_at(in->err, axis_at(in, line), "unknown fan %s%s; %s",
                   show(text, shown, sizeof shown), list_hint(text),
                   suggestion(text, gs_fan_names, GS_FAN_COUNT, "choose from", hint, sizeof hint));
}

static int add_norm(axis_input *in, const char *text, int line) {
    gs_norm norm;
    if (norm_parse(text, &norm) == 0) return axis_push_integer(in, norm, line, NULL);
    char shown[SPEC_SHOWN_BYTES], hint[256];
    return fail_at(
        in->err, axis_at(in, line), "unknown norm %s%s; %s", show(text, shown, sizeof shown),
        list_hint(text),
        suggestion(text, gs_norm_names, GS_NORM_COUNT, "choose from", hint, sizeof hint));
}

/* A number written in quotes is a string in YAML (and in Python's reading of
 * the same file), so it is refused with a hint rather than guessed at. */
static int fail_quoted_number(axis_input *in, const char *text, int line) {
    char shown[SPEC_SHOWN_BYTES];
    return fail_at(in->err, axis_at(in, line),
                   "expected %s, got the string %s; write numbers without quotes",
                   expected_value(in), show(text, shown, sizeof shown));
}

/* A number for branch_scale below 0 (or NaN) is refused where it is read:
 * the axis keeps its names as NaN and a negative marker. */
static int fail_negative_branch(axis_input *in, double value, int line) {
    char shown[32], max[32];
    return fail_at(in->err, axis_at(in, line),
                   "%s is out of range; branch_scale must be between 0 and %s, none or "
                   "1/sqrt(depth)",
                   format_real(value, shown, sizeof shown),
                   format_real(in->rule->real_max, max, sizeof max));
}

static int add_real(axis_input *in, const char *text, int quoted, int line) {
    if (in->id == GS_AXIS_BRANCH_SCALE)
        for (size_t i = 0; i < BRANCH_NAME_COUNT; i++)
            if (strcmp(text, branch_names[i].name) == 0)
                return axis_push_real(in, branch_names[i].value, line, branch_names[i].name);
    if (in->id == GS_AXIS_SIGMA_W)
        for (size_t i = 0; i < SIGMA_W_NAME_COUNT; i++)
            if (strcmp(text, sigma_w_names[i].name) == 0)
                return axis_push_real(in, sigma_w_names[i].value, line, sigma_w_names[i].name);
    double value;
    int is_number = parse_real(text, &value) == 0;
    if (is_number && !quoted && in->id == GS_AXIS_BRANCH_SCALE && !(value >= 0))
        return fail_negative_branch(in, value, line);
    if (is_number && !quoted) return axis_push_real(in, value, line, NULL);
    if (is_number) return fail_quoted_number(in, text, line);
    char shown[SPEC_SHOWN_BYTES], hint[128] = "";
    if (in->id == GS_AXIS_BRANCH_SCALE && strstr(text, "sqrt"))
        snprintf(hint, sizeof hint, "; the depth-dependent scale is written 1/sqrt(depth)");
    if (in->id == GS_AXIS_SIGMA_W) {
        const char *names[SIGMA_W_NAME_COUNT];
        for (size_t i = 0; i < SIGMA_W_NAME_COUNT; i++)
            names[i] = sigma_w_names[i].name;
        const char *close = gs_closest(text, names, (int)SIGMA_W_NAME_COUNT);
        if (close) snprintf(hint, sizeof hint, "; did you mean %s?", close);
    }
    return fail_at(in->err, axis_at(in, line), "expected %s, got %s%s%s", expected_value(in),
                   show(text, shown, sizeof shown), hint, list_hint(text));
}

static int fail_integer_out_of_range(axis_input *in, const char *shown, int line) {
    return fail_at(in->err, axis_at(in, line),
                   "%s is out of range; %s must be between %" PRId64 " and %" PRId64, shown,
                   in->rule->name, in->rule->min, in->rule->max);
}

static int add_integer(axis_input *in, const char *text, int quoted, int line) {
    int64_t value;
    integer_status status = parse_integer(text, &value);
    char shown[SPEC_SHOWN_BYTES];
    if (status != INTEGER_NOT_NUMBER && quoted) return fail_quoted_number(in, text, line);
    switch (status) {
    case INTEGER_OK: return axis_push_integer(in, value, line, NULL);
    case INTEGER_TOO_LARGE: return fail_integer_out_of_range(in, text, line);
    case INTEGER_NOT_WHOLE:
        return fail_at(in->err, axis_at(in, line), "expected an integer, got %s", text);
    case INTEGER_NOT_NUMBER: break;
    }
    return fail_at(in->err, axis_at(in, line), "expected an integer, got %s%s",
                   show(text, shown, sizeof shown), list_hint(text));
}

/* Adds one value written as text (a YAML scalar or a command-line item). */
static int axis_add_text(axis_input *in, const char *text, int quoted, int line) {
    switch (in->rule->kind) {
    case VALUES_ACTIVATION: return add_activation(in, text, line);
    case VALUES_INIT: return add_init(in, text, line);
    case VALUES_PARAMETRIZATION: return add_parametrization(in, text, line);
    case VALUES_FAN: return add_fan(in, text, line);
    case VALUES_NORM: return add_norm(in, text, line);
    case VALUES_INTEGER: return add_integer(in, text, quoted, line);
    case VALUES_REAL: break;
    }
    return add_real(in, text, quoted, line);
}

/* Adds a value computed by a generator; integer axes take it only if it is
 * (within rounding of) a whole number. */
static int axis_add_generated(axis_input *in, double value, int line, const char *generator) {
    if (in->id == GS_AXIS_BRANCH_SCALE && !(value >= 0))
        return fail_negative_branch(in, value, line);
    if (in->rule->kind == VALUES_REAL) return axis_push_real(in, value, line, NULL);
    double whole = nearbyint(value);
    char shown[32];
    if (!isfinite(value) || fabs(whole) >= 9.2e18)
        return fail_integer_out_of_range(in, format_real(value, shown, sizeof shown), line);
    if (fabs(value - whole) > SPEC_INTEGER_TOLERANCE * fmax(1.0, fabs(whole)))
        return fail_at(in->err, axis_at(in, line),
                       "%s produces %s, which is not an integer; %s takes whole numbers", generator,
                       format_real(value, shown, sizeof shown), in->rule->name);
    return axis_push_integer(in, (int64_t)whole, line, NULL);
}

/* ---- generators ------------------------------------------------------------------------- */

/* numpy.linspace: start + i·step with step = (stop - start)/(n - 1), the last
 * point set to stop exactly, [start] for n = 1. The product and the sum are
 * separate statements so that no compiler fuses them into an FMA, which would
 * round differently from numpy. */
static double linspace_point(double start, double stop, int64_t n, int64_t i) {
    if (n == 1 || i == 0) return start;
    if (i == n - 1) return stop;
    double step = (stop - start) / (double)(n - 1);
    if (step == 0) return start;
    double offset = (double)i * step;
    return offset + start;
}

/* numpy.logspace (10^linspace) and numpy.geomspace (logspace between the
 * logarithms, with the endpoints set exactly). */
static double spaced_point(generator_id gen, double start, double stop, int64_t n, int64_t i) {
    switch (gen) {
    case GEN_LOGSPACE: return pow(10.0, linspace_point(start, stop, n, i));
    case GEN_GEOMSPACE:
        if (i == 0) return start;
        if (i == n - 1) return stop;
        return pow(10.0, linspace_point(log10(start), log10(stop), n, i));
    default: return linspace_point(start, stop, n, i);
    }
}

static int generate_spaced(axis_input *in, generator_id gen, double start, double stop, int64_t n,
                           int line) {
    const char *name = generator_names[gen];
    if (n < 1 || n > SPEC_MAX_AXIS_VALUES)
        return fail_at(in->err, axis_at(in, line),
                       "%s: the number of points must be between 1 and %d, got %" PRId64, name,
                       SPEC_MAX_AXIS_VALUES, n);
    char a[32], b[32];
    if (!isfinite(start) || !isfinite(stop))
        return fail_at(in->err, axis_at(in, line),
                       "%s: start and stop must be finite, got %s and %s", name,
                       format_real(start, a, sizeof a), format_real(stop, b, sizeof b));
    if (gen == GEN_GEOMSPACE && !(start > 0 && stop > 0))
        return fail_at(in->err, axis_at(in, line),
                       "geomspace: start and stop must be positive, got %s and %s",
                       format_real(start, a, sizeof a), format_real(stop, b, sizeof b));
    if (axis_reserve(in, (size_t)n, line)) return GS_EXIT_USAGE;
    for (int64_t i = 0; i < n; i++) {
        int rc = axis_add_generated(in, spaced_point(gen, start, stop, n, i), line, name);
        if (rc) return rc;
    }
    return 0;
}

/* Python's range(start, stop, step): stop excluded, step may be negative. */
static int generate_range(axis_input *in, int64_t start, int64_t stop, int64_t step, int line) {
    where at = axis_at(in, line);
    if (step == 0) return fail_at(in->err, at, "range: the step must not be 0");
    /* |stop - start| and |step| always fit in uint64, whatever the int64 arguments. */
    uint64_t span = 0, stride = step > 0 ? (uint64_t)step : 0 - (uint64_t)step;
    if (step > 0 && stop > start) span = (uint64_t)stop - (uint64_t)start;
    if (step < 0 && start > stop) span = (uint64_t)start - (uint64_t)stop;
    uint64_t count = span / stride + (span % stride != 0);
    if (count == 0)
        return fail_at(in->err, at,
                       "range [%" PRId64 ", %" PRId64 ", %" PRId64 "] is empty (stop is excluded)",
                       start, stop, step);
    if (count > SPEC_MAX_AXIS_VALUES)
        return fail_at(in->err, at, "range gives %" PRIu64 " values; an axis holds at most %d",
                       count, SPEC_MAX_AXIS_VALUES);
    if (axis_reserve(in, (size_t)count, line)) return GS_EXIT_USAGE;
    int64_t value = start;
    for (uint64_t i = 0; i < count; i++) {
        int rc = in->rule->kind == VALUES_REAL ? axis_push_real(in, (double)value, line, NULL)
                                               : axis_push_integer(in, value, line, NULL);
        if (rc) return rc;
        /* Step only to a value that is produced, hence between start and stop: no overflow. */
        if (i + 1 < count) value += step;
    }
    return 0;
}

/* ---- checking an axis ------------------------------------------------------------------- */

static int check_integer_value(const gs_axis *axis, gs_axis_id id, size_t i, where at,
                               gs_error *err) {
    const axis_rule *rule = &axis_rules[id];
    int64_t v = axis->integer[i];
    /* Codes only go wrong in a spec built by hand; compare before casting to the enum. */
    if (rule->kind == VALUES_ACTIVATION && (v < 0 || v >= GS_ACT_COUNT))
        return fail_at(err, at, "invalid activation code %" PRId64, v);
    if (rule->kind == VALUES_INIT && (v < 0 || v >= GS_INIT_COUNT))
        return fail_at(err, at, "invalid init code %" PRId64, v);
    if (rule->kind == VALUES_PARAMETRIZATION && (v < 0 || v >= GS_PARAMETRIZATION_COUNT))
        return fail_at(err, at, "invalid parametrization code %" PRId64, v);
    if (rule->kind == VALUES_FAN && (v < 0 || v >= GS_FAN_COUNT))
        return fail_at(err, at, "invalid fan code %" PRId64, v);
    if (rule->kind == VALUES_NORM && (v < 0 || v >= GS_NORM_COUNT))
        return fail_at(err, at, "invalid norm code %" PRId64, v);
    if (rule->kind == VALUES_INTEGER && (v < rule->min || v > rule->max))
        return fail_at(err, at,
                       "%" PRId64 " is out of range; %s must be between %" PRId64 " and %" PRId64,
                       v, rule->name, rule->min, rule->max);
    return 0;
}

static int check_real_value(const gs_axis *axis, gs_axis_id id, size_t i, where at, gs_error *err) {
    const axis_rule *rule = &axis_rules[id];
    double v = axis->real[i];
    char shown[32], max[32];
    format_real(rule->real_max, max, sizeof max);
    if (id == GS_AXIS_BRANCH_SCALE && branch_scale_name(v)) return 0; /* none, 1/sqrt(depth) */
    if (!isfinite(v))
        return fail_at(err, at, "%s is not a finite number", format_real(v, shown, sizeof shown));
    if (rule->zero_allowed && max_excluded(id) && !(v >= 0 && v < rule->real_max))
        return fail_at(err, at, "%s is out of range; %s must be at least 0 and below %s%s",
                       format_real(v, shown, sizeof shown), rule->name, max,
                       id == GS_AXIS_INPUT_CORRELATION
                           ? " (at 1 every sample is the same input: nothing to forget)"
                           : "");
    if (rule->zero_allowed && !(v >= 0 && v <= rule->real_max))
        return fail_at(err, at, "%s is out of range; %s must be between 0 and %s",
                       format_real(v, shown, sizeof shown), rule->name, max);
    if (!rule->zero_allowed && !(v > 0 && v <= rule->real_max))
        return fail_at(err, at, "%s is out of range; %s must be greater than 0 and at most %s",
                       format_real(v, shown, sizeof shown), rule->name, max);
    return 0;
}

/* Sorting (value, position) pairs finds repeats in O(n log n): an axis may
 * hold a million generated values. */
typedef struct ranked {
    int64_t integer;
    double real;
    size_t position;
} ranked;

static int compare_ranked_integer(const void *pa, const void *pb) {
    const ranked *a = pa, *b = pb;
    if (a->integer != b->integer) return a->integer < b->integer ? -1 : 1;
    return a->position < b->position ? -1 : a->position > b->position;
}

static int compare_ranked_real(const void *pa, const void *pb) {
    const ranked *a = pa, *b = pb;
    if (a->real != b->real) return a->real < b->real ? -1 : 1;
    return a->position < b->position ? -1 : a->position > b->position;
}

/* Position of the first value (in the user's order) that repeats an earlier
 * one, and in *earlier the position of that earlier value; -1 if none. */
static long long first_repeat(const gs_axis *axis, int real, size_t *earlier) {
    ranked *r = gs_malloc(axis->count * sizeof *r);
    /* NaN (branch_scale's none) ranks below every number, equal to itself */
    for (size_t i = 0; i < axis->count; i++)
        r[i] = (ranked){real ? 0 : axis->integer[i],
                        real ? (isnan(axis->real[i]) ? -INFINITY : axis->real[i]) : 0, i};
    qsort(r, axis->count, sizeof *r, real ? compare_ranked_real : compare_ranked_integer);
    long long repeat = -1;
    for (size_t i = 1; i < axis->count; i++) {
        int same = real ? r[i].real == r[i - 1].real : r[i].integer == r[i - 1].integer;
        if (same && (repeat < 0 || r[i].position < (size_t)repeat)) {
            repeat = (long long)r[i].position;
            *earlier = r[i - 1].position;
        }
    }
    free(r);
    return repeat;
}

static int check_unique(const gs_axis *axis, gs_axis_id id, const value_origin *origin, where at,
                        gs_error *err) {
    const axis_rule *rule = &axis_rules[id];
    size_t earlier = 0;
    long long repeat = first_repeat(axis, rule->kind == VALUES_REAL, &earlier);
    if (repeat < 0) return 0;
    if (origin) at.line = origin[repeat].line;
    char value[32], names[64] = "";
    if (rule->kind == VALUES_ACTIVATION)
        return fail_at(err, at, "%s appears twice; each value must be unique",
                       activation_name((gs_activation_kind)axis->integer[repeat]));
    if (rule->kind == VALUES_INIT)
        return fail_at(err, at, "%s appears twice; each value must be unique",
                       init_name((gs_init)axis->integer[repeat]));
    if (rule->kind == VALUES_PARAMETRIZATION)
        return fail_at(err, at, "%s appears twice; each value must be unique",
                       parametrization_name((gs_parametrization)axis->integer[repeat]));
    if (rule->kind == VALUES_FAN)
        return fail_at(err, at, "%s appears twice; each value must be unique",
                       fan_name((gs_fan)axis->integer[repeat]));
    if (rule->kind == VALUES_NORM)
        return fail_at(err, at, "%s appears twice; each value must be unique",
                       norm_name((gs_norm)axis->integer[repeat]));
    if (id == GS_AXIS_BRANCH_SCALE && branch_scale_name(axis->real[repeat]))
        return fail_at(err, at, "%s appears twice; each value must be unique",
                       branch_scale_name(axis->real[repeat]));
    if (rule->kind == VALUES_REAL)
        format_real(axis->real[repeat], value, sizeof value);
    else
        snprintf(value, sizeof value, "%" PRId64, axis->integer[repeat]);
    /* Say which names stand for the number: "(lecun = 1)". */
    const char *first = origin ? origin[earlier].name : NULL;
    const char *second = origin ? origin[repeat].name : NULL;
    if (first && second && strcmp(first, second) != 0)
        snprintf(names, sizeof names, " (%s = %s = %s)", first, second, value);
    else if (first || second)
        snprintf(names, sizeof names, " (%s = %s)", first ? first : second, value);
    return fail_at(err, at, "the value %s appears twice%s; each value must be unique", value,
                   names);
}

/* Every value in range, none twice. origin (may be NULL) gives each value's
 * line and name; without it messages use at.line. */
static int check_axis(const gs_axis *axis, gs_axis_id id, const value_origin *origin, where at,
                      gs_error *err) {
    int real = axis_rules[id].kind == VALUES_REAL;
    if (axis->count == 0) return fail_at(err, at, "no values given");
    if ((real && !axis->real) || (!real && !axis->integer))
        return gs_fail(err, GS_EXIT_INTERNAL, "%s: the axis has no %s values array",
                       axis_rules[id].name, real ? "real" : "integer");
    for (size_t i = 0; i < axis->count; i++) {
        where value_at = at;
        if (origin) value_at.line = origin[i].line;
        int rc = real ? check_real_value(axis, id, i, value_at, err)
                      : check_integer_value(axis, id, i, value_at, err);
        if (rc) return rc;
    }
    return check_unique(axis, id, origin, at, err);
}

static void axis_clear(gs_axis *axis) {
    free(axis->integer);
    free(axis->real);
    memset(axis, 0, sizeof *axis);
}

/* The code of a sigma_w name as add_real recorded it (a pointer into
 * sigma_w_names), GS_SCALE_NUMBER for a number. */
static gs_scale_name scale_code(const char *name) {
    for (size_t i = 0; name && i < SIGMA_W_NAME_COUNT; i++)
        if (name == sigma_w_names[i].name) return sigma_w_names[i].code;
    return GS_SCALE_NUMBER;
}

/* Checks the values read into `in` and, if they pass, makes them the spec's
 * axis (replacing what it held). */
static int axis_commit(gs_spec *spec, axis_input *in, int line) {
    gs_axis candidate = {in->count, in->integer, in->real, line};
    int rc = check_axis(&candidate, in->id, in->origin, axis_at(in, line), in->err);
    if (rc) return rc;
    gs_axis *axis = &spec->axis[in->id];
    axis_clear(axis);
    *axis = candidate;
    in->integer = NULL; /* now owned by the spec */
    in->real = NULL;
    if (in->id != GS_AXIS_SIGMA_W) return 0;
    free(spec->sigma_w_names);
    spec->sigma_w_names = NULL;
    for (size_t i = 0; i < in->count; i++) {
        gs_scale_name code = scale_code(in->origin[i].name);
        if (code != GS_SCALE_NUMBER && !spec->sigma_w_names)
            spec->sigma_w_names = gs_calloc(in->count, sizeof *spec->sigma_w_names);
        if (spec->sigma_w_names) spec->sigma_w_names[i] = (int)code;
    }
    return 0;
}

/* ---- settings --------------------------------------------------------------------------- */

static int set_name(gs_spec *spec, const char *text, where at, gs_error *err) {
    char shown[SPEC_SHOWN_BYTES];
    if (!*text) return fail_at(err, at, "the name is empty; give a short name for the sweep");
    if (strlen(text) > SPEC_MAX_NAME_BYTES)
        return fail_at(err, at, "the name is longer than %d bytes", SPEC_MAX_NAME_BYTES);
    if (!is_printable_line(text))
        return fail_at(err, at, "%s is not one line of printable UTF-8 text",
                       show(text, shown, sizeof shown));
    free(spec->name);
    spec->name = gs_strdup(text);
    return 0;
}

static int set_base_seed(gs_spec *spec, const char *text, int quoted, where at, gs_error *err) {
    char shown[SPEC_SHOWN_BYTES];
    const char *digits = text + (*text == '+');
    number_form form = number_form_of(text);
    if (quoted && form != FORM_NONE)
        return fail_at(err, at,
                       "expected a non-negative integer, got the string %s; write "
                       "numbers without quotes",
                       show(text, shown, sizeof shown));
    if (*text == '-' && form != FORM_NONE)
        return fail_at(err, at, "must be non-negative, got %s", text);
    if (form != FORM_INTEGER)
        return fail_at(err, at, "expected a non-negative integer, got %s",
                       show(text, shown, sizeof shown));
    errno = 0;
    unsigned long long v = strtoull(digits, NULL, 10);
    if (errno == ERANGE)
        return fail_at(err, at, "must be below 2^64 (18446744073709551616), got %s", text);
    spec->base_seed = v;
    return 0;
}

static int set_code(const char *text, const char *what, const char *const *names, int count,
                    int *code, where at, gs_error *err) {
    int i = find_name(names, count, text);
    if (i >= 0) {
        *code = i;
        return 0;
    }
    char shown[SPEC_SHOWN_BYTES], hint[128];
    return fail_at(err, at, "unknown %s %s; %s", what, show(text, shown, sizeof shown),
                   suggestion(text, names, count, "choose from", hint, sizeof hint));
}

static int set_slope(gs_spec *spec, const char *text, int quoted, where at, gs_error *err) {
    char shown[SPEC_SHOWN_BYTES];
    double v;
    if (parse_real(text, &v) != 0)
        return fail_at(err, at, "expected a number, got %s", show(text, shown, sizeof shown));
    if (quoted)
        return fail_at(err, at,
                       "expected a number, got the string %s; write numbers without "
                       "quotes",
                       show(text, shown, sizeof shown));
    /* At slope 1 leaky_relu is the identity; a negative slope is not a ReLU. */
    if (!(v >= 0 && v < 1)) return fail_at(err, at, "must be at least 0 and below 1, got %s", text);
    spec->leaky_relu_slope = v;
    return 0;
}

/* ---- training: the data: and train: settings ----------------------------------------- */

/* Where a setting was given, as key_line and line store it: −1 on the command line. */
static int given_at(where at) { return at.line > 0 ? at.line : -1; }

static int set_data(gs_spec *spec, gs_data_kind kind, const char *path, where at, gs_error *err) {
    char shown[SPEC_SHOWN_BYTES];
    /* The path is written back in spec_to_yaml: one line, as names are. */
    if (path && (!*path || !is_printable_line(path)))
        return fail_at(err, at, "the path %s is not one line of printable text",
                       show(path, shown, sizeof shown));
    free(spec->data.path);
    spec->data.kind = kind;
    spec->data.path = path ? gs_strdup(path) : NULL;
    spec->data.standardize = data_default_standardize(kind);
    spec->data.line = given_at(at);
    return 0;
}

/* A path names a file of the user's; a bare word names a source. */
static int looks_like_path(const char *text) { return strchr(text, '/') || strchr(text, '.'); }

/* data: as one scalar: gaussian, fashion-mnist, or the path of an HDF5 file. */
static int set_data_text(gs_spec *spec, const char *text, where at, gs_error *err) {
    int kind = data_kind_parse(text);
    char shown[SPEC_SHOWN_BYTES], hint[128];
    if (kind == GS_DATA_HDF5)
        return fail_at(err, at,
                       "hdf5 needs the file: write data: FILE.h5, or data: {path: FILE.h5}");
    if (kind >= 0) return set_data(spec, (gs_data_kind)kind, NULL, at, err);
    if (*text && looks_like_path(text)) return set_data(spec, GS_DATA_HDF5, text, at, err);
    return fail_at(
        err, at, "unknown data source %s; %s (a file of your own: its path, e.g. ./data.h5)",
        show(text, shown, sizeof shown),
        suggestion(text, gs_data_kind_names, GS_DATA_HDF5, "choose from", hint, sizeof hint));
}

/* An integer setting of train: in [min, max]. */
static int read_train_integer(const char *text, int quoted, int64_t min, int64_t max, int64_t *out,
                              where at, gs_error *err) {
    int64_t v = 0;
    char shown[SPEC_SHOWN_BYTES];
    integer_status status = parse_integer(text, &v);
    if (status != INTEGER_NOT_NUMBER && quoted)
        return fail_at(err, at,
                       "expected an integer, got the string %s; write numbers without "
                       "quotes",
                       show(text, shown, sizeof shown));
    if (status != INTEGER_OK || v < min || v > max)
        return fail_at(err, at, "expected an integer from %" PRId64 " to %" PRId64 ", got %s", min,
                       max, show(text, shown, sizeof shown));
    *out = v;
    return 0;
}

/* A real setting of train: in [min, max) (or (min, max] when open_min). */
static int read_train_real(const char *text, int quoted, double min, double max, int open_min,
                           double *out, where at, gs_error *err) {
    double v;
    char shown[SPEC_SHOWN_BYTES], a[32], b[32];
    if (parse_real(text, &v) != 0 || quoted)
        return fail_at(err, at, "expected a number%s, got %s", quoted ? " without quotes" : "",
                       show(text, shown, sizeof shown));
    int inside = open_min ? v > min && v <= max : v >= min && v < max;
    if (!inside)
        return fail_at(err, at, "%s is out of range; it must be %s %s and %s %s",
                       format_real(v, shown, sizeof shown), open_min ? "greater than" : "at least",
                       format_real(min, a, sizeof a), open_min ? "at most" : "below",
                       format_real(max, b, sizeof b));
    *out = v;
    return 0;
}

/* One value of train: written as text (stats_steps: a single step). */
static int set_train_value(gs_spec *spec, gs_train_key key, const char *text, int quoted, where at,
                           gs_error *err) {
    gs_train_settings *t = &spec->train;
    int64_t v = 0;
    int code = 0, rc = 0;
    switch (key) {
    case GS_TRAIN_STEPS:
        rc = read_train_integer(text, quoted, 1, GS_MAX_TRAIN_STEPS, &t->steps, at, err);
        break;
    case GS_TRAIN_RECORD_EVERY:
        rc = read_train_integer(text, quoted, 1, GS_MAX_TRAIN_STEPS, &t->record_every, at, err);
        break;
    case GS_TRAIN_BASE_WIDTH:
        rc = read_train_integer(text, quoted, 1, 1048576, &v, at, err);
        t->base_width = (int)v;
        break;
    case GS_TRAIN_STATS_STEPS:
        rc = read_train_integer(text, quoted, 0, GS_MAX_TRAIN_STEPS, &t->stats_steps[0], at, err);
        t->n_stats_steps = 1;
        break;
    case GS_TRAIN_OPTIMIZER:
        rc = set_code(text, "optimizer", gs_optimizer_names, GS_OPTIMIZER_COUNT, &code, at, err);
        t->optimizer = (gs_optimizer)code;
        break;
    case GS_TRAIN_LOSS:
        rc = set_code(text, "loss", gs_train_loss_names, GS_TRAIN_LOSS_COUNT, &code, at, err);
        t->loss = (gs_train_loss)code;
        break;
    case GS_TRAIN_MOMENTUM:
        rc = read_train_real(text, quoted, 0, 1, 0, &t->momentum, at, err);
        break;
    case GS_TRAIN_BETA1: rc = read_train_real(text, quoted, 0, 1, 0, &t->beta1, at, err); break;
    case GS_TRAIN_BETA2: rc = read_train_real(text, quoted, 0, 1, 0, &t->beta2, at, err); break;
    case GS_TRAIN_EPS: rc = read_train_real(text, quoted, 0, 1, 1, &t->eps, at, err); break;
    case GS_TRAIN_KEY_COUNT: return gs_fail(err, GS_EXIT_INTERNAL, "invalid train key");
    }
    if (rc) return rc;
    t->key_line[key] = given_at(at);
    if (!t->line) t->line = given_at(at);
    return 0;
}

/* jacobian_samples: K, the first K samples of every configuration's batch
 * whose input-output Jacobian is measured (0: none). */
static int set_jacobian_samples(gs_spec *spec, const char *text, int quoted, where at,
                                gs_error *err) {
    int64_t v = 0;
    if (read_train_integer(text, quoted, 0, GS_MAX_JACOBIAN_SAMPLES, &v, at, err))
        return GS_EXIT_USAGE;
    spec->jacobian_samples = (int)v;
    spec->jacobian_line = given_at(at);
    return 0;
}

static int set_setting(gs_spec *spec, setting_id id, const char *text, int quoted, where at,
                       gs_error *err) {
    int code, rc;
    switch (id) {
    case SETTING_NAME: return set_name(spec, text, at, err);
    case SETTING_BASE_SEED: return set_base_seed(spec, text, quoted, at, err);
    case SETTING_PRECISION:
        rc = set_code(text, "precision", gs_precision_names, GS_PRECISION_COUNT, &code, at, err);
        if (rc == 0 && precision_parse(text, &spec->precision) != 0) rc = GS_EXIT_INTERNAL;
        return rc;
    case SETTING_LOSS:
        rc = set_code(text, "loss", gs_loss_names, GS_LOSS_COUNT, &code, at, err);
        if (rc == 0 && loss_parse(text, &spec->loss) != 0) rc = GS_EXIT_INTERNAL;
        return rc;
    case SETTING_SLOPE: return set_slope(spec, text, quoted, at, err);
    case SETTING_DATA: return set_data_text(spec, text, at, err);
    case SETTING_STEPS:
    case SETTING_OPTIMIZER:
    case SETTING_TRAIN_LOSS:
    case SETTING_RECORD_EVERY:
    case SETTING_MOMENTUM:
        return set_train_value(spec, train_key_of_setting[id], text, quoted, at, err);
    case SETTING_JACOBIAN_SAMPLES: return set_jacobian_samples(spec, text, quoted, at, err);
    case SETTING_COUNT: break;
    }
    return gs_fail(err, GS_EXIT_INTERNAL, "set_setting: invalid setting %d", (int)id);
}

/* ---- reading YAML ----------------------------------------------------------------------- */

typedef struct yaml_reader {
    yaml_document_t doc;
    const char *source;
    gs_error *err;
} yaml_reader;

static int node_line(const yaml_node_t *node) { return (int)node->start_mark.line + 1; }

static const char *scalar_text(const yaml_node_t *node) {
    return (const char *)node->data.scalar.value;
}

static int is_quoted(const yaml_node_t *node) {
    return node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
}

/* YAML's null: an empty or ~/null plain scalar ("depth:" with nothing after it). */
static int is_null(const yaml_node_t *node) {
    if (node->type != YAML_SCALAR_NODE || is_quoted(node)) return 0;
    const char *t = scalar_text(node);
    return !*t || !strcmp(t, "~") || !strcmp(t, "null") || !strcmp(t, "Null") || !strcmp(t, "NULL");
}

/* "a list", "a mapping", "nothing" or the quoted text, for "got ..." messages. */
static const char *describe_node(const yaml_node_t *node, char *buf, size_t size) {
    if (node->type == YAML_SEQUENCE_NODE) return "a list";
    if (node->type == YAML_MAPPING_NODE) return "a mapping";
    if (is_null(node)) return "nothing";
    return show(scalar_text(node), buf, size);
}

static yaml_node_t *node_at(yaml_reader *r, yaml_node_item_t index) {
    return yaml_document_get_node(&r->doc, index);
}

static int is_text(const yaml_node_t *node) {
    return node->type == YAML_SCALAR_NODE && !is_null(node);
}

static int fail_node(yaml_reader *r, const yaml_node_t *node, const char *key,
                     const char *expected) {
    char shown[SPEC_SHOWN_BYTES];
    return fail_at(r->err, (where){r->source, node_line(node), key}, "expected %s, got %s",
                   expected, describe_node(node, shown, sizeof shown));
}

/* libyaml's scalars may hold a NUL (from "\0" in double quotes), which would
 * silently cut every string comparison short: refuse them once, up front. */
static int check_no_nul(yaml_reader *r) {
    for (yaml_node_t *node = r->doc.nodes.start; node < r->doc.nodes.top; node++)
        if (node->type == YAML_SCALAR_NODE && strlen(scalar_text(node)) != node->data.scalar.length)
            return fail_at(r->err, (where){r->source, node_line(node), NULL},
                           "a value contains a NUL character");
    return 0;
}

/* A mapping key must be a plain name, not a list, a mapping or nothing. */
static int read_key(yaml_reader *r, const yaml_node_t *key, const char **text) {
    if (!is_text(key)) return fail_node(r, key, NULL, "a key name");
    *text = scalar_text(key);
    return 0;
}

/* libyaml keeps both values of a repeated key; the second would silently win. *seen_line
 * is 0 until the key is seen, then the line where it was. */
static int check_key_once(yaml_reader *r, const yaml_node_t *key, int *seen_line) {
    if (*seen_line)
        return fail_at(r->err, (where){r->source, node_line(key), scalar_text(key)},
                       "given twice (first on line %d); give each key once", *seen_line);
    *seen_line = node_line(key);
    return 0;
}

/* Fails for a generator's argument: "sigma_w: linspace: expected ..., got ...". */
static int fail_argument(yaml_reader *r, axis_input *in, const yaml_node_t *node,
                         const char *generator, const char *expected) {
    char shown[SPEC_SHOWN_BYTES];
    return fail_at(r->err, axis_at(in, node_line(node)), "%s: expected %s, got %s", generator,
                   expected, describe_node(node, shown, sizeof shown));
}

static size_t list_length(const yaml_node_t *node) {
    return (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
}

/* Fails for a generator's list of the wrong length: "got 2 values". */
static int fail_argument_count(yaml_reader *r, axis_input *in, const yaml_node_t *node,
                               const char *generator, const char *expected) {
    return fail_at(r->err, axis_at(in, node_line(node)), "%s: expected %s, got %zu values",
                   generator, expected, list_length(node));
}

/* [a, b, n] of linspace, logspace and geomspace. */
static int read_spaced(yaml_reader *r, axis_input *in, generator_id gen, const yaml_node_t *args) {
    const char *name = generator_names[gen], *form = "[start, stop, number of points]";
    if (args->type != YAML_SEQUENCE_NODE) return fail_argument(r, in, args, name, form);
    if (list_length(args) != 3) return fail_argument_count(r, in, args, name, form);
    double value[2];
    int64_t n = 0;
    for (int i = 0; i < 3; i++) {
        const yaml_node_t *item = node_at(r, args->data.sequence.items.start[i]);
        int ok = is_text(item) && !is_quoted(item) &&
                 (i < 2 ? parse_real(scalar_text(item), &value[i]) == 0
                        : parse_integer(scalar_text(item), &n) == INTEGER_OK);
        if (!ok)
            return fail_argument(r, in, item, name,
                                 i == 0   ? "a number to start from"
                                 : i == 1 ? "a number to stop at"
                                          : "an integer number of points");
    }
    return generate_spaced(in, gen, value[0], value[1], n, node_line(args));
}

/* range: n | [start, stop] | [start, stop, step]. */
static int read_range(yaml_reader *r, axis_input *in, const yaml_node_t *args) {
    const yaml_node_item_t *items = NULL;
    size_t count = 1;
    if (args->type == YAML_SEQUENCE_NODE) {
        items = args->data.sequence.items.start;
        count = list_length(args);
        if (count != 2 && count != 3)
            return fail_argument_count(r, in, args, "range",
                                       "n, [start, stop] or [start, stop, step]");
    }
    int64_t arg[3] = {0, 0, 1};
    for (size_t i = 0; i < count; i++) {
        const yaml_node_t *item = items ? node_at(r, items[i]) : args;
        if (!is_text(item) || is_quoted(item) ||
            parse_integer(scalar_text(item), &arg[count == 1 ? 1 : i]) != INTEGER_OK)
            return fail_argument(r, in, item, "range",
                                 items ? "integers in [start, stop, step]"
                                       : "an integer n, "
                                         "[start, stop] or [start, stop, step]");
    }
    return generate_range(in, arg[0], arg[1], arg[2], node_line(args));
}

static int read_generator(yaml_reader *r, axis_input *in, const yaml_node_t *node) {
    if (is_name_kind(in->rule->kind))
        return fail_node(r, node, in->key, "a name or a list of names");
    const yaml_node_pair_t *pairs = node->data.mapping.pairs.start;
    size_t count = (size_t)(node->data.mapping.pairs.top - pairs);
    if (count != 1)
        return fail_at(r->err, axis_at(in, node_line(node)),
                       "a generator is a mapping with one key (linspace, logspace, geomspace or "
                       "range), got %zu keys",
                       count);
    const yaml_node_t *key = node_at(r, pairs[0].key), *args = node_at(r, pairs[0].value);
    const char *text = NULL;
    if (read_key(r, key, &text)) return GS_EXIT_USAGE;
    int gen = find_name(generator_names, GEN_COUNT, text);
    if (gen < 0) {
        char shown[SPEC_SHOWN_BYTES], hint[128];
        return fail_at(
            r->err, axis_at(in, node_line(key)), "unknown generator %s; %s",
            show(text, shown, sizeof shown),
            suggestion(text, generator_names, GEN_COUNT, "generators are", hint, sizeof hint));
    }
    if (gen == GEN_RANGE) return read_range(r, in, args);
    return read_spaced(r, in, (generator_id)gen, args);
}

static int read_axis_scalar(yaml_reader *r, axis_input *in, const yaml_node_t *node) {
    if (!is_text(node)) return fail_node(r, node, in->key, expected_value(in));
    return axis_add_text(in, scalar_text(node), is_quoted(node), node_line(node));
}

static int read_axis_values(yaml_reader *r, axis_input *in, const yaml_node_t *node) {
    if (is_null(node))
        return fail_at(r->err, axis_at(in, node_line(node)), "no values given; write e.g. %s: %s",
                       in->rule->name, in->rule->yaml_example);
    if (node->type == YAML_SCALAR_NODE) return read_axis_scalar(r, in, node);
    if (node->type == YAML_MAPPING_NODE) return read_generator(r, in, node);
    const yaml_node_item_t *item = node->data.sequence.items.start;
    if (item == node->data.sequence.items.top)
        return fail_at(r->err, axis_at(in, node_line(node)),
                       "the list is empty; give at least one value");
    for (; item < node->data.sequence.items.top; item++) {
        int rc = read_axis_scalar(r, in, node_at(r, *item));
        if (rc) return rc;
    }
    return 0;
}

static int read_axis(yaml_reader *r, gs_spec *spec, gs_axis_id id, const yaml_node_t *key,
                     const yaml_node_t *value) {
    axis_input in;
    axis_input_init(&in, id, r->source, axis_name(id), r->err);
    int rc = read_axis_values(r, &in, value);
    if (rc == 0) rc = axis_commit(spec, &in, node_line(key));
    axis_input_free(&in);
    return rc;
}

static int fail_unknown_axis(yaml_reader *r, const yaml_node_t *key) {
    const char *text = scalar_text(key);
    where at = {r->source, node_line(key), text};
    if (find_name(top_keys, KEY_COUNT, text) >= 0)
        return fail_at(r->err, at, "is a setting, not an axis; move it out of grid: (unindent it)");
    if (find_name(gs_train_key_names, GS_TRAIN_KEY_COUNT, text) >= 0)
        return fail_at(r->err, at, "is a setting of train:, not an axis; put it under train:");
    const char *names[GS_AXIS_ALL_COUNT];
    for (int a = 0; a < GS_AXIS_ALL_COUNT; a++)
        names[a] = axis_rules[a].name;
    char hint[320];
    return fail_at(r->err, at, "unknown axis; %s",
                   suggestion(text, names, GS_AXIS_ALL_COUNT, "the axes are", hint, sizeof hint));
}

static int read_grid(yaml_reader *r, gs_spec *spec, const yaml_node_t *node) {
    if (is_null(node))
        return fail_at(r->err, (where){r->source, node_line(node), "grid"},
                       "has no axes; list them indented under grid:, e.g. \"  depth: [10, 50]\"");
    if (node->type != YAML_MAPPING_NODE)
        return fail_node(r, node, "grid", "a mapping of axes (depth: [10, 50], ...)");
    int seen[GS_AXIS_ALL_COUNT] = {0};
    for (yaml_node_pair_t *pair = node->data.mapping.pairs.start;
         pair < node->data.mapping.pairs.top; pair++) {
        const yaml_node_t *key = node_at(r, pair->key);
        const char *text = NULL;
        if (read_key(r, key, &text)) return GS_EXIT_USAGE;
        int id = -1;
        for (int a = 0; a < GS_AXIS_ALL_COUNT; a++)
            if (strcmp(text, axis_rules[a].name) == 0) id = a;
        if (id < 0) return fail_unknown_axis(r, key);
        int rc = check_key_once(r, key, &seen[id]);
        if (rc == 0) rc = read_axis(r, spec, (gs_axis_id)id, key, node_at(r, pair->value));
        if (rc) return rc;
    }
    return 0;
}

/* A setting's value: one scalar (lists and mappings are refused). */
/* ---- reading data: and train: ---------------------------------------------------------- */

/* The pairs of a mapping node, as a range. */
static const yaml_node_pair_t *pairs_begin(const yaml_node_t *node) {
    return node->data.mapping.pairs.start;
}
static const yaml_node_pair_t *pairs_end(const yaml_node_t *node) {
    return node->data.mapping.pairs.top;
}

/* data: {source: NAME, path: PATH, standardize: HOW}: the values, read. */
typedef struct data_mapping {
    const yaml_node_t *source, *path, *standardize;
} data_mapping;

static int read_data_keys(yaml_reader *r, const yaml_node_t *node, data_mapping *m) {
    static const char *const keys[] = {"source", "path", "standardize"};
    const yaml_node_t **slot[] = {&m->source, &m->path, &m->standardize};
    int seen[3] = {0};
    for (const yaml_node_pair_t *pair = pairs_begin(node); pair < pairs_end(node); pair++) {
        const yaml_node_t *key = node_at(r, pair->key), *value = node_at(r, pair->value);
        const char *text = NULL;
        if (read_key(r, key, &text)) return GS_EXIT_USAGE;
        int k = find_name(keys, 3, text);
        char hint[128];
        char shown[SPEC_SHOWN_BYTES];
        if (k < 0)
            return fail_at(r->err, (where){r->source, node_line(key), "data"}, "unknown key %s; %s",
                           as_written(text, shown, sizeof shown),
                           suggestion(text, keys, 3, "the keys are", hint, sizeof hint));
        if (check_key_once(r, key, &seen[k])) return GS_EXIT_USAGE;
        if (!is_text(value)) return fail_node(r, value, "data", "a name or a path");
        *slot[k] = value;
    }
    return 0;
}

/* The source named by source:, or implied by path: (a file). */
static int data_mapping_kind(yaml_reader *r, const yaml_node_t *node, const data_mapping *m,
                             int *kind) {
    where at = {r->source, node_line(node), "data"};
    char shown[SPEC_SHOWN_BYTES], hint[128];
    if (!m->source) {
        *kind = GS_DATA_HDF5;
        return m->path ? 0
                       : fail_at(r->err, at,
                                 "give source: (gaussian, fashion-mnist or hdf5) or path: (a "
                                 "file of your own)");
    }
    const char *text = scalar_text(m->source);
    *kind = data_kind_parse(text);
    if (*kind >= 0) return 0;
    at.line = node_line(m->source);
    return fail_at(
        r->err, at, "source: unknown data source %s; %s", show(text, shown, sizeof shown),
        suggestion(text, gs_data_kind_names, GS_DATA_KIND_COUNT, "choose from", hint, sizeof hint));
}

static int read_data_mapping(yaml_reader *r, gs_spec *spec, const yaml_node_t *node) {
    data_mapping m = {NULL, NULL, NULL};
    int kind = 0;
    if (read_data_keys(r, node, &m) || data_mapping_kind(r, node, &m, &kind)) return GS_EXIT_USAGE;
    where at = {r->source, node_line(node), "data"};
    if (kind == GS_DATA_GAUSSIAN && (m.path || m.standardize))
        return fail_at(r->err, at, "gaussian inputs are drawn, not read: they take no %s",
                       m.path ? "path" : "standardize");
    if (kind == GS_DATA_HDF5 && !m.path)
        return fail_at(r->err, at, "source hdf5 needs path: the file (x and y, docs/usage.md)");
    if (set_data(spec, (gs_data_kind)kind, m.path ? scalar_text(m.path) : NULL, at, r->err))
        return GS_EXIT_USAGE;
    if (!m.standardize) return 0;
    int how = 0;
    at.line = node_line(m.standardize);
    if (set_code(scalar_text(m.standardize), "standardize", gs_standardize_names,
                 GS_STANDARDIZE_COUNT, &how, at, r->err))
        return GS_EXIT_USAGE;
    spec->data.standardize = (gs_standardize)how;
    return 0;
}

static int read_data(yaml_reader *r, gs_spec *spec, const yaml_node_t *node) {
    if (node->type == YAML_MAPPING_NODE) return read_data_mapping(r, spec, node);
    if (!is_text(node))
        return fail_node(r, node, "data", "gaussian, fashion-mnist, a file's path, or a mapping");
    return set_data_text(spec, scalar_text(node), (where){r->source, node_line(node), "data"},
                         r->err);
}

/* stats_steps: [0, 1, 2, 3] (or one step). */
static int read_stats_steps(yaml_reader *r, gs_spec *spec, const yaml_node_t *node, where at) {
    if (node->type != YAML_SEQUENCE_NODE) {
        if (!is_text(node)) return fail_node(r, node, at.key, "a list of steps, e.g. [0, 1, 2]");
        return set_train_value(spec, GS_TRAIN_STATS_STEPS, scalar_text(node), is_quoted(node), at,
                               r->err);
    }
    size_t count = list_length(node);
    if (count > GS_MAX_STATS_STEPS)
        return fail_at(r->err, at, "%zu steps; at most %d", count, GS_MAX_STATS_STEPS);
    gs_train_settings *t = &spec->train;
    for (size_t i = 0; i < count; i++) {
        const yaml_node_t *item = node_at(r, node->data.sequence.items.start[i]);
        if (!is_text(item)) return fail_node(r, item, at.key, "a step number");
        where item_at = {r->source, node_line(item), at.key};
        if (read_train_integer(scalar_text(item), is_quoted(item), 0, GS_MAX_TRAIN_STEPS,
                               &t->stats_steps[i], item_at, r->err))
            return GS_EXIT_USAGE;
    }
    t->n_stats_steps = (int)count;
    t->key_line[GS_TRAIN_STATS_STEPS] = at.line;
    return 0;
}

static int fail_unknown_train_key(yaml_reader *r, const yaml_node_t *key) {
    const char *text = scalar_text(key);
    where at = {r->source, node_line(key), "train"};
    char hint[256], shown[SPEC_SHOWN_BYTES];
    for (int a = 0; a < GS_AXIS_ALL_COUNT; a++)
        if (strcmp(text, axis_rules[a].name) == 0)
            return fail_at(r->err, at, "%s is a grid axis; put it under grid:", text);
    return fail_at(r->err, at, "unknown key %s; %s", as_written(text, shown, sizeof shown),
                   suggestion(text, gs_train_key_names, GS_TRAIN_KEY_COUNT, "the keys are", hint,
                              sizeof hint));
}

static int read_train(yaml_reader *r, gs_spec *spec, const yaml_node_t *key_node,
                      const yaml_node_t *node) {
    if (is_null(node) || node->type != YAML_MAPPING_NODE)
        return fail_node(r, node, "train", "a mapping with at least steps: (train: {steps: 300})");
    spec->train.line = node_line(key_node);
    int seen[GS_TRAIN_KEY_COUNT] = {0};
    for (const yaml_node_pair_t *pair = pairs_begin(node); pair < pairs_end(node); pair++) {
        const yaml_node_t *key = node_at(r, pair->key), *value = node_at(r, pair->value);
        const char *text = NULL;
        if (read_key(r, key, &text)) return GS_EXIT_USAGE;
        int k = find_name(gs_train_key_names, GS_TRAIN_KEY_COUNT, text);
        if (k < 0) return fail_unknown_train_key(r, key);
        if (check_key_once(r, key, &seen[k])) return GS_EXIT_USAGE;
        char label[64];
        snprintf(label, sizeof label, "train: %s", text);
        where at = {r->source, node_line(value), label};
        int rc;
        if (k == GS_TRAIN_STATS_STEPS)
            rc = read_stats_steps(r, spec, value, at);
        else if (!is_text(value))
            rc = fail_node(r, value, label, "one value");
        else
            rc = set_train_value(spec, (gs_train_key)k, scalar_text(value), is_quoted(value), at,
                                 r->err);
        if (rc) return rc;
    }
    return 0;
}

static int read_text_value(yaml_reader *r, const yaml_node_t *node, top_key id, const char **text) {
    static const char *const expected[KEY_COUNT] = {
        [KEY_NAME] = "a name",
        [KEY_BASE_SEED] = "a non-negative integer",
        [KEY_SLOPE] = "a number",
        [KEY_OUTPUT] = "a file path",
        [KEY_JACOBIAN_SAMPLES] = "an integer (samples)",
    };
    if (!is_text(node)) {
        char names[128]; /* the codes' names: "float32 or float64" */
        const char *what = expected[id];
        if (id == KEY_PRECISION)
            what = names_or(gs_precision_names, GS_PRECISION_COUNT, names, sizeof names);
        if (id == KEY_LOSS) what = names_or(gs_loss_names, GS_LOSS_COUNT, names, sizeof names);
        return fail_node(r, node, top_keys[id], what);
    }
    *text = scalar_text(node);
    return 0;
}

static int read_top_value(yaml_reader *r, gs_spec *spec, top_key id, const yaml_node_t *key_node,
                          const yaml_node_t *node) {
    static const setting_id setting_of[KEY_COUNT] = {
        [KEY_NAME] = SETTING_NAME,           [KEY_BASE_SEED] = SETTING_BASE_SEED,
        [KEY_PRECISION] = SETTING_PRECISION, [KEY_LOSS] = SETTING_LOSS,
        [KEY_SLOPE] = SETTING_SLOPE,         [KEY_JACOBIAN_SAMPLES] = SETTING_JACOBIAN_SAMPLES,
    };
    const char *key = top_keys[id], *text = NULL;
    where at = {r->source, node_line(node), key};
    switch (id) {
    case KEY_GRID: return read_grid(r, spec, node);
    case KEY_DATA: return read_data(r, spec, node);
    case KEY_TRAIN: return read_train(r, spec, key_node, node);
    case KEY_DESCRIPTION: /* free text for people; not part of the sweep */
        if (is_null(node)) return 0;
        return node->type == YAML_SCALAR_NODE ? 0 : fail_node(r, node, key, "text");
    case KEY_OUTPUT:
        if (read_text_value(r, node, id, &text)) return GS_EXIT_USAGE;
        free(spec->output);
        spec->output = gs_strdup(text);
        return 0;
    default:
        if (read_text_value(r, node, id, &text)) return GS_EXIT_USAGE;
        return set_setting(spec, setting_of[id], text, is_quoted(node), at, r->err);
    }
}

static int fail_unknown_key(yaml_reader *r, const yaml_node_t *key) {
    const char *text = scalar_text(key);
    where at = {r->source, node_line(key), text};
    for (int a = 0; a < GS_AXIS_ALL_COUNT; a++)
        if (strcmp(text, axis_rules[a].name) == 0)
            return fail_at(r->err, at, "is an axis; put it under grid: (indented)");
    if (find_name(gs_train_key_names, GS_TRAIN_KEY_COUNT, text) >= 0)
        return fail_at(r->err, at, "is a setting of train:; put it under train: (indented)");
    char hint[256];
    return fail_at(r->err, at, "unknown key; %s",
                   suggestion(text, top_keys, KEY_COUNT, "valid keys are", hint, sizeof hint));
}

static int read_sweep(yaml_reader *r, gs_spec *spec) {
    const yaml_node_t *root = yaml_document_get_root_node(&r->doc);
    if (!root || is_null(root))
        return fail_at(r->err, (where){r->source, 0, NULL},
                       "the sweep file is empty; it needs at least grid: with the axes");
    if (root->type != YAML_MAPPING_NODE)
        return fail_node(r, root, NULL,
                         "a mapping of settings (name:, grid:, ...) at the top level");
    int seen[KEY_COUNT] = {0};
    for (yaml_node_pair_t *pair = root->data.mapping.pairs.start;
         pair < root->data.mapping.pairs.top; pair++) {
        const yaml_node_t *key = node_at(r, pair->key);
        const char *text = NULL;
        if (read_key(r, key, &text)) return GS_EXIT_USAGE;
        int id = find_name(top_keys, KEY_COUNT, text);
        if (id < 0) return fail_unknown_key(r, key);
        int rc = check_key_once(r, key, &seen[id]);
        if (rc == 0) rc = read_top_value(r, spec, (top_key)id, key, node_at(r, pair->value));
        if (rc) return rc;
    }
    return 0;
}

/* Whether line (1-based) of text starts with indentation that holds a tab. */
static int indented_with_tab(const char *text, size_t length, size_t line) {
    size_t i = 0;
    for (size_t l = 1; l < line && i < length; i++)
        if (text[i] == '\n') l++;
    for (; i < length && (text[i] == ' ' || text[i] == '\t'); i++)
        if (text[i] == '\t') return 1;
    return 0;
}

/* Turns libyaml's complaint into "FILE:LINE:COL: malformed YAML: ...". */
static int fail_malformed(const yaml_parser_t *parser, const char *text, size_t length,
                          const char *source, gs_error *err) {
    if (parser->error == YAML_MEMORY_ERROR)
        return gs_fail(err, GS_EXIT_INTERNAL, "%s: out of memory while parsing YAML", source);
    size_t line = parser->problem_mark.line + 1, column = parser->problem_mark.column + 1;
    char detail[160] = "";
    if (parser->error == YAML_READER_ERROR) {
        /* Reader errors (bad UTF-8, control characters) carry a byte offset, not a mark. */
        size_t offset = parser->problem_offset < length ? parser->problem_offset : length;
        line = 1;
        column = 1;
        for (size_t i = 0; i < offset; i++, column++)
            if (text[i] == '\n') line++, column = 0;
        /* libyaml names the code point of a control character, the byte of bad UTF-8 */
        int utf8 = parser->problem && strstr(parser->problem, "UTF-8");
        if (parser->problem_value != -1)
            snprintf(detail, sizeof detail,
                     utf8 ? " (byte 0x%02X); a sweep file must be UTF-8 text"
                          : " (U+%04X); a sweep file must be printable text",
                     (unsigned)parser->problem_value);
    } else if (parser->context) {
        snprintf(detail, sizeof detail, " (%s on line %zu)", parser->context,
                 parser->context_mark.line + 1);
    }
    /* libyaml mostly calls a tab in the indentation "a character that cannot
     * start any token": say what it is. */
    if (parser->error != YAML_READER_ERROR && parser->problem && !strstr(parser->problem, "tab") &&
        indented_with_tab(text, length, line)) {
        size_t n = strlen(detail);
        snprintf(detail + n, sizeof detail - n,
                 "; line %zu is indented with a tab: indent with spaces", line);
    }
    return gs_fail(err, GS_EXIT_USAGE, "%s:%zu:%zu: malformed YAML: %s%s", source, line, column,
                   parser->problem ? parser->problem : "unknown problem", detail);
}

/* One pass over libyaml's events, before the document is built: fails if the
 * text nests deeper than SPEC_MAX_NESTING or holds more than SPEC_MAX_NODES
 * nodes (see there), or is malformed. */
static int check_structure(const char *text, size_t length, const char *source, gs_error *err) {
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return gs_fail(err, GS_EXIT_INTERNAL, "%s: cannot initialise the YAML parser", source);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, length);
    int rc = 0, depth = 0;
    long nodes = 0;
    for (int done = 0; !done && rc == 0;) {
        yaml_event_t event;
        if (!yaml_parser_parse(&parser, &event)) {
            rc = fail_malformed(&parser, text, length, source, err);
            break;
        }
        where at = {source, (int)event.start_mark.line + 1, NULL};
        yaml_event_type_t type = event.type;
        yaml_event_delete(&event);
        int opens = type == YAML_SEQUENCE_START_EVENT || type == YAML_MAPPING_START_EVENT;
        int is_node = opens || type == YAML_SCALAR_EVENT || type == YAML_ALIAS_EVENT;
        depth += opens - (type == YAML_SEQUENCE_END_EVENT || type == YAML_MAPPING_END_EVENT);
        nodes += is_node;
        done = type == YAML_STREAM_END_EVENT;
        if (depth > SPEC_MAX_NESTING)
            rc = fail_at(err, at, "nested more than %d levels deep; a sweep file needs 4",
                         SPEC_MAX_NESTING);
        else if (nodes > SPEC_MAX_NODES)
            rc = fail_at(err, at,
                         "more than %d values in the file; write long axes as generators "
                         "(linspace, range, ...)",
                         SPEC_MAX_NODES);
    }
    yaml_parser_delete(&parser);
    return rc;
}

/* A second document ("---" then more) would be silently ignored otherwise. */
static int check_single_document(yaml_parser_t *parser, const char *text, size_t length,
                                 const char *source, gs_error *err) {
    yaml_document_t next;
    if (!yaml_parser_load(parser, &next)) return fail_malformed(parser, text, length, source, err);
    int has_root = yaml_document_get_root_node(&next) != NULL;
    int line = (int)next.start_mark.line + 1;
    yaml_document_delete(&next);
    if (!has_root) return 0;
    return fail_at(err, (where){source, line, NULL},
                   "a second YAML document starts here; a sweep file holds one document");
}

/* ---- public interface ------------------------------------------------------------------- */

void spec_init(gs_spec *spec) {
    memset(spec, 0, sizeof *spec);
    spec->base_seed = 0;
    spec->precision = GS_FLOAT32;
    spec->loss = GS_LOSS_PROBE;
    spec->leaky_relu_slope = GS_LEAKY_RELU_DEFAULT_SLOPE;
    spec->data.kind = GS_DATA_GAUSSIAN;
    spec->data.standardize = GS_STANDARDIZE_NONE;
    train_settings_init(&spec->train);
}

void spec_free(gs_spec *spec) {
    free(spec->name);
    free(spec->output);
    free(spec->source_path);
    free(spec->source_text);
    free(spec->data.path);
    free(spec->sigma_w_names);
    for (int a = 0; a < GS_AXIS_ALL_COUNT; a++)
        axis_clear(&spec->axis[a]);
    spec_init(spec); /* a freed spec is an empty one: freeing twice is harmless */
}

/* Also records source_name as spec->source_path, so that spec_finalize's
 * messages about a missing axis can name the file. */
int spec_parse_yaml(gs_spec *spec, const char *text, size_t length, const char *source_name,
                    gs_error *err) {
    const char *source = source_name ? source_name : "<sweep>";
    if (spec->source_path != source_name) {
        free(spec->source_path);
        spec->source_path = gs_strdup(source);
    }
    if (length > SPEC_MAX_TEXT_BYTES)
        return fail_at(err, (where){source, 0, NULL},
                       "the sweep file is larger than 64 MiB; write long axes as generators "
                       "(linspace, range, ...)");
    int rc = check_structure(text, length, source, err);
    if (rc) return rc;
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return gs_fail(err, GS_EXIT_INTERNAL, "%s: cannot initialise the YAML parser", source);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, length);
    yaml_reader r = {.source = source, .err = err};
    if (!yaml_parser_load(&parser, &r.doc)) {
        rc = fail_malformed(&parser, text, length, source, err);
    } else {
        rc = check_single_document(&parser, text, length, source, err);
        if (rc == 0) rc = check_no_nul(&r);
        if (rc == 0) rc = read_sweep(&r, spec);
        yaml_document_delete(&r.doc);
    }
    yaml_parser_delete(&parser);
    return rc;
}

/* Reads a whole file, NUL-terminated, refusing more than SPEC_MAX_FILE_BYTES.
 * Reads in chunks rather than trusting a size, so pipes (<(...)) work too. */
static int read_file(const char *path, char **text, size_t *length, gs_error *err) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return gs_fail(err, GS_EXIT_USAGE, "cannot read sweep file \"%s\": %s", path,
                       strerror(errno));
    size_t capacity = 4096, n = 0;
    char *buf = gs_malloc(capacity + 1);
    for (;;) {
        if (n == capacity) {
            if (capacity > SPEC_MAX_FILE_BYTES) break;
            buf = grow_array(buf, n, 2 * capacity + 1);
            capacity *= 2;
        }
        size_t got = fread(buf + n, 1, capacity - n, f);
        n += got;
        if (got == 0) break;
    }
    int failed = ferror(f), saved_errno = errno;
    fclose(f);
    int rc = 0;
    if (failed)
        rc = gs_fail(err, GS_EXIT_USAGE, "cannot read sweep file \"%s\": %s", path,
                     strerror(saved_errno));
    else if (n > SPEC_MAX_FILE_BYTES)
        rc = gs_fail(err, GS_EXIT_USAGE,
                     "sweep file \"%s\" is larger than 16 MiB; is it really a sweep file? Write "
                     "long axes as generators (linspace, range, ...)",
                     path);
    if (rc) {
        free(buf);
        return rc;
    }
    buf[n] = '\0';
    *text = buf;
    *length = n;
    return 0;
}

/* "sweeps/lecture-demo.yaml" -> "lecture-demo" (like Python's Path.stem). */
static char *file_stem(const char *path) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    char *stem = gs_malloc(n + 1);
    memcpy(stem, base, n);
    stem[n] = '\0';
    if (n == 0 || n > SPEC_MAX_NAME_BYTES || !is_printable_line(stem)) {
        free(stem);
        stem = gs_strdup("sweep");
    }
    return stem;
}

/* Takes ownership of text (NUL-terminated, length bytes before the NUL). */
static int load_owned_text(gs_spec *spec, const char *path, char *text, size_t length,
                           gs_error *err) {
    free(spec->source_text);
    free(spec->source_path);
    spec->source_text = text;
    spec->source_path = gs_strdup(path);
    /* A results file given where the sweep belongs is a common slip. */
    static const char hdf5_signature[8] = "\x89HDF\r\n\x1a\n";
    if (length >= 8 && memcmp(text, hdf5_signature, 8) == 0)
        return gs_fail(err, GS_EXIT_USAGE,
                       "%s is an HDF5 file (a results file?), not a YAML sweep file; give the "
                       "sweep file first and the results file with -o",
                       path);
    int rc = spec_parse_yaml(spec, text, length, spec->source_path, err);
    if (rc == 0 && !spec->name) spec->name = file_stem(path);
    return rc;
}

int spec_load_file(gs_spec *spec, const char *path, gs_error *err) {
    char *text = NULL;
    size_t length = 0;
    int rc = read_file(path, &text, &length, err);
    return rc ? rc : load_owned_text(spec, path, text, length, err);
}

int spec_load_text(gs_spec *spec, const char *path, const char *text, size_t length,
                   gs_error *err) {
    char *copy = gs_malloc(length + 1);
    memcpy(copy, text, length);
    copy[length] = '\0';
    return load_owned_text(spec, path, copy, length, err);
}

/* One command-line item "a:b:n": n evenly spaced values from a to b. */
static int read_cli_linspace(axis_input *in, char *item) {
    char shown[SPEC_SHOWN_BYTES];
    show(item, shown, sizeof shown);
    char *first = strchr(item, ':'), *second = strchr(first + 1, ':');
    double a, b;
    int64_t n;
    if (second && !strchr(second + 1, ':')) {
        *first = *second = '\0';
        if (parse_real(trim(item), &a) == 0 && parse_real(trim(first + 1), &b) == 0 &&
            parse_integer(trim(second + 1), &n) == INTEGER_OK)
            return generate_spaced(in, GEN_LINSPACE, a, b, n, 0);
    }
    return fail_at(in->err, axis_at(in, 0), "expected start:stop:count (e.g. %s), got %s",
                   in->rule->kind == VALUES_REAL ? "0.5:2.0:16" : "10:100:10", shown);
}

static int read_cli_values(axis_input *in, const char *value) {
    char *copy = gs_strdup(value), shown[SPEC_SHOWN_BYTES];
    int rc = 0;
    if (!*trim(copy))
        rc = fail_at(in->err, axis_at(in, 0), "no values given; e.g. %s %s", in->rule->option,
                     in->rule->cli_example);
    for (char *item = copy, *comma; rc == 0 && item; item = comma ? comma + 1 : NULL) {
        comma = strchr(item, ',');
        if (comma) *comma = '\0';
        char *text = trim(item);
        int numeric = in->rule->kind == VALUES_INTEGER || in->rule->kind == VALUES_REAL;
        if (!*text)
            rc = fail_at(in->err, axis_at(in, 0), "empty value in %s",
                         show(value, shown, sizeof shown));
        else if (numeric && strchr(text, ':'))
            rc = read_cli_linspace(in, text);
        else
            rc = axis_add_text(in, text, 0, 0);
    }
    free(copy);
    return rc;
}

int spec_set_axis(gs_spec *spec, gs_axis_id id, const char *value, gs_error *err) {
    if ((unsigned)id >= GS_AXIS_ALL_COUNT)
        return gs_fail(err, GS_EXIT_INTERNAL, "spec_set_axis: invalid axis %d", (int)id);
    axis_input in;
    axis_input_init(&in, id, NULL, axis_option(id), err);
    int rc = read_cli_values(&in, value);
    if (rc == 0) rc = axis_commit(spec, &in, 0);
    axis_input_free(&in);
    return rc;
}

int spec_set_setting(gs_spec *spec, const char *key, const char *value, gs_error *err) {
    int id = -1;
    for (int s = 0; s < SETTING_COUNT; s++)
        if (strcmp(key, settings[s].key) == 0) id = s;
    if (id < 0) {
        const char *keys[SETTING_COUNT];
        for (int s = 0; s < SETTING_COUNT; s++)
            keys[s] = settings[s].key;
        char shown[SPEC_SHOWN_BYTES], hint[256];
        return gs_fail(err, GS_EXIT_USAGE, "unknown setting %s; %s", show(key, shown, sizeof shown),
                       suggestion(key, keys, SETTING_COUNT, "settings are", hint, sizeof hint));
    }
    char *copy = gs_strdup(value);
    int rc = set_setting(spec, (setting_id)id, trim(copy), 0, (where){NULL, 0, settings[id].option},
                         err);
    free(copy);
    return rc;
}

/* The first required axis without values, and the others that also lack them. */
static int require_axes(const gs_spec *spec, gs_error *err) {
    static const gs_axis_id required[] = {GS_AXIS_DEPTH, GS_AXIS_WIDTH, GS_AXIS_SIGMA_W,
                                          GS_AXIS_ACTIVATION, GS_AXIS_LEARNING_RATE};
    const axis_rule *first = NULL;
    char also[128] = "";
    size_t n = 0;
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        if (is_training_axis(required[i]) && !spec_has_training(spec)) continue;
        const axis_rule *rule = &axis_rules[required[i]];
        if (spec->axis[required[i]].count > 0) continue;
        if (!first)
            first = rule;
        else
            n += (size_t)snprintf(also + n, sizeof also - n, "%s%s",
                                  n ? ", " : " (also missing: ", rule->name);
    }
    if (!first) return 0;
    if (n) snprintf(also + n, sizeof also - n, ")");
    return fail_at(err, (where){spec->source_path, 0, NULL},
                   "no %s given: add \"%s: %s\" under grid:, or pass %s %s%s", first->name,
                   first->name, first->yaml_example, first->option, first->cli_example, also);
}

static void fill_default_axes(gs_spec *spec, gs_init default_init) {
    gs_axis *axis = spec->axis;
    if (axis[GS_AXIS_SIGMA_B].count == 0) {
        axis_clear(&axis[GS_AXIS_SIGMA_B]);
        axis[GS_AXIS_SIGMA_B] = (gs_axis){1, NULL, gs_calloc(1, sizeof(double)), 0};
    }
    const struct {
        gs_axis_id id;
        int64_t value;
    } integer_defaults[] = {{GS_AXIS_INIT, default_init}, {GS_AXIS_SEED, 0}, {GS_AXIS_BATCH, 128}};
    for (size_t i = 0; i < sizeof integer_defaults / sizeof integer_defaults[0]; i++) {
        gs_axis *a = &axis[integer_defaults[i].id];
        if (a->count > 0) continue;
        axis_clear(a);
        *a = (gs_axis){1, gs_malloc(sizeof(int64_t)), NULL, 0};
        a->integer[0] = integer_defaults[i].value;
    }
    gs_axis *parametrization = &axis[GS_AXIS_PARAMETRIZATION];
    if (spec_has_training(spec) && parametrization->count == 0) {
        axis_clear(parametrization);
        *parametrization = (gs_axis){1, gs_calloc(1, sizeof(int64_t)), NULL, 0}; /* standard */
    }
}

/* "FILE:LINE: KEY: " for something given on a line of the file, or on the
 * command line (line −1: option, when there is one, else key). */
static where given_where(const gs_spec *spec, int line, const char *key, const char *option) {
    if (line > 0) return (where){spec->source_path, line, key};
    return (where){NULL, 0, option ? option : key};
}

/* Where an axis was given, for a message about it. */
static where axis_given_where(const gs_spec *spec, gs_axis_id a) {
    const gs_axis *axis = &spec->axis[a];
    return given_where(spec, axis->line ? axis->line : -1, axis_rules[a].name,
                       axis_rules[a].option);
}

/* The framework defaults among the sigma_w values: torch_default and
 * keras_default draw the biases themselves (PyTorch's U(±1/sqrt(fan_in)),
 * Keras' zeros), so a sigma_b axis beside them could only repeat them; and
 * their weights are uniform, which the init axis must say where other
 * scales share the sweep. *default_init: the init axis's default. */
static int check_framework_defaults(const gs_spec *spec, gs_init *default_init, gs_error *err) {
    const gs_axis *sigma_w = &spec->axis[GS_AXIS_SIGMA_W], *sigma_b = &spec->axis[GS_AXIS_SIGMA_B];
    size_t framework = 0;
    const char *example = NULL;
    for (size_t i = 0; i < sigma_w->count; i++) {
        gs_scale_name name = spec_sigma_w_name(spec, i);
        if (!is_framework_default(name)) continue;
        framework++;
        if (!example) example = sigma_w_name(name);
    }
    *default_init = GS_INIT_GAUSSIAN;
    if (framework == 0) return 0;
    for (size_t i = 0; i < sigma_b->count; i++)
        if (sigma_b->real[i] != 0)
            return fail_at(err, axis_given_where(spec, GS_AXIS_SIGMA_B),
                           "sigma_w %s draws its own biases (torch_default: PyTorch's "
                           "U(-1/sqrt(fan_in), 1/sqrt(fan_in)); keras_default: zeros), so "
                           "sigma_b must be [0] beside it; to vary biases at its weight scale, "
                           "give sigma_w the number instead (torch_default = 0.5773502691896258, "
                           "keras_default = 1 with fan: [avg])",
                           example);
    if (framework == sigma_w->count) {
        *default_init = GS_INIT_UNIFORM; /* torch.nn.Linear's and glorot_uniform's weights */
        return 0;
    }
    if (spec->axis[GS_AXIS_INIT].count == 0)
        return fail_at(err, axis_given_where(spec, GS_AXIS_SIGMA_W),
                       "%s is a framework default with uniform weights, and the other scales "
                       "are gaussian unless the init axis says otherwise: give init, e.g. "
                       "init: [uniform] (exactly torch.nn.Linear's default, and "
                       "kaiming_uniform_ for he) or init: [uniform, gaussian, orthogonal] to "
                       "compare",
                       example);
    return 0;
}

/* Without train:, what only training uses is refused, not ignored. */
static int check_no_training_parts(const gs_spec *spec, gs_error *err) {
    if (spec->data.kind != GS_DATA_GAUSSIAN)
        return fail_at(err, given_where(spec, spec->data.line, "data", "--data"),
                       "%s is data to train on, and the sweep does not train; add a train: "
                       "section (e.g. train: {steps: 300}) or remove data:",
                       data_kind_name(spec->data.kind));
    for (int a = GS_AXIS_COUNT; a < GS_AXIS_NETWORK_FIRST; a++) {
        const gs_axis *axis = &spec->axis[a];
        if (axis->count == 0 || !is_training_axis(a)) continue;
        return fail_at(err,
                       given_where(spec, axis->line ? axis->line : -1, axis_rules[a].name,
                                   axis_rules[a].option),
                       "only a training sweep has this axis; add a train: section (e.g. train: "
                       "{steps: 300}), or remove it");
    }
    return 0;
}

/* A training sweep: its settings complete and in range, and data to learn. */
static int check_training(gs_spec *spec, gs_error *err) {
    gs_train_settings *t = &spec->train;
    train_settings_resolve(t);
    char why[512], label[64];
    gs_train_key key = GS_TRAIN_STEPS;
    if (train_settings_check(t, why, sizeof why, &key) != 0) {
        int line = t->key_line[key] ? t->key_line[key] : t->line;
        const char *option = NULL;
        for (int i = 0; i < SETTING_COUNT; i++)
            if (train_key_of_setting[i] == key && i >= SETTING_STEPS) option = settings[i].option;
        snprintf(label, sizeof label, "train: %s", gs_train_key_names[key]);
        return fail_at(err, given_where(spec, line, label, t->key_line[key] ? option : NULL), "%s",
                       why);
    }
    /* The trainer's networks are plain and dense, their input and output the
     * data's: the axes that say otherwise are refused, not ignored. */
    static const struct {
        gs_axis_id axis;
        const char *why;
    } untrainable[] = {
        {GS_AXIS_INPUT_WIDTH, "a training sweep's input width is the data's"},
        {GS_AXIS_OUTPUT_WIDTH, "a training sweep's output width is the data's"},
        {GS_AXIS_BRANCH_SCALE, "training does not train residual blocks yet"},
        {GS_AXIS_NORM, "training does not train LayerNorm networks yet"},
    };
    for (size_t i = 0; i < sizeof untrainable / sizeof *untrainable; i++)
        if (spec_has_axis(spec, untrainable[i].axis))
            return fail_at(err, given_where(spec, t->line, "train", "--steps"),
                           "%s: remove the %s axis, or train: (docs/usage.md, \"Training\")",
                           untrainable[i].why, axis_name(untrainable[i].axis));
    if (spec->data.kind == GS_DATA_GAUSSIAN)
        return fail_at(err, given_where(spec, t->line, "train", "--steps"),
                       "training needs data with labels or targets: add data: fashion-mnist, or "
                       "data: FILE.h5 (x and y; docs/usage.md); gaussian inputs have neither");
    if (spec->data.kind == GS_DATA_FASHION_MNIST && !spec->data.path)
        spec->data.path = gs_strdup(GS_FASHION_MNIST_DIR);
    return 0;
}

/* The Jacobian is measured for the first K samples of each batch: every
 * batch must have them. */
static int check_jacobian_samples(const gs_spec *spec, gs_error *err) {
    int K = spec->jacobian_samples;
    where at = given_where(spec, spec->jacobian_line, "jacobian_samples", "--jacobian-samples");
    if (K < 0 || K > GS_MAX_JACOBIAN_SAMPLES)
        return fail_at(err, at, "must be from 0 to %d, got %d", GS_MAX_JACOBIAN_SAMPLES, K);
    const gs_axis *batch = &spec->axis[GS_AXIS_BATCH];
    int64_t smallest = INT64_MAX;
    for (size_t i = 0; i < batch->count; i++)
        if (batch->integer[i] < smallest) smallest = batch->integer[i];
    if (K > 0 && smallest < K)
        return fail_at(err, at,
                       "%d samples, but the smallest batch is %" PRId64
                       "; the Jacobian is measured for the first jacobian_samples samples of each "
                       "batch: lower it to %" PRId64 " or raise the batch",
                       K, smallest, smallest);
    return 0;
}

int spec_finalize(gs_spec *spec, gs_error *err) {
    int rc =
        spec_has_training(spec) ? check_training(spec, err) : check_no_training_parts(spec, err);
    if (rc == 0) rc = require_axes(spec, err);
    gs_init default_init = GS_INIT_GAUSSIAN;
    if (rc == 0) rc = check_framework_defaults(spec, &default_init, err);
    if (rc) return rc;
    fill_default_axes(spec, default_init);
    for (int a = 0; a < GS_AXIS_ALL_COUNT; a++) {
        if (!spec_has_axis(spec, (gs_axis_id)a)) continue;
        const gs_axis *axis = &spec->axis[a];
        where at = {axis->line > 0 ? spec->source_path : NULL, axis->line, axis_rules[a].name};
        rc = check_axis(axis, (gs_axis_id)a, NULL, at, err);
        if (rc) return rc;
    }
    if (!spec->name) spec->name = gs_strdup("sweep");
    where at = {spec->source_path, 0, NULL};
    if (!*spec->name || !is_printable_line(spec->name))
        return fail_at(err, at, "name: must be one line of printable text");
    if (!precision_name(spec->precision))
        return fail_at(err, at, "precision: invalid code %d", (int)spec->precision);
    if (!loss_name(spec->loss)) return fail_at(err, at, "loss: invalid code %d", (int)spec->loss);
    char shown[32];
    if (!(spec->leaky_relu_slope >= 0 && spec->leaky_relu_slope < 1))
        return fail_at(err, at, "leaky_relu_slope: must be at least 0 and below 1, got %s",
                       format_real(spec->leaky_relu_slope, shown, sizeof shown));
    return check_jacobian_samples(spec, err);
}

/* ---- writing YAML ----------------------------------------------------------------------- */

typedef struct text_buffer {
    char *data;
    size_t length, capacity;
} text_buffer;

static void text_printf(text_buffer *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void text_printf(text_buffer *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if (b->length + (size_t)n + 1 > b->capacity) {
        size_t capacity = 2 * b->capacity + (size_t)n + 1;
        b->data = grow_array(b->data, b->length, capacity);
        b->capacity = capacity;
    }
    va_start(ap, fmt);
    vsnprintf(b->data + b->length, b->capacity - b->length, fmt, ap);
    va_end(ap);
    b->length += (size_t)n;
}

/* A real as YAML reads it back exactly, and always as a float, also in
 * YAML 1.1 readers such as PyYAML: "1.0", "0.5", "1.0e-05", ".inf". */
static void write_real(text_buffer *b, double v) {
    char digits[40];
    if (!isfinite(v)) {
        text_printf(b, "%s", isnan(v) ? ".nan" : v < 0 ? "-.inf" : ".inf");
        return;
    }
    format_real(v, digits, sizeof digits);
    char *e = strchr(digits, 'e');
    if (strchr(digits, '.'))
        text_printf(b, "%s", digits);
    else if (e)
        text_printf(b, "%.*s.0%s", (int)(e - digits), digits, e);
    else
        text_printf(b, "%s.0", digits);
}

/* The name in double quotes: only " and \ need escapes, as names are printable. */
static void write_quoted(text_buffer *b, const char *text) {
    text_printf(b, "\"");
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p == '"' || *p == '\\')
            text_printf(b, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7F)
            text_printf(b, "\\x%02X", *p);
        else
            text_printf(b, "%c", *p);
    }
    text_printf(b, "\"");
}

/* names (sigma_w of a network sweep, where a name means more than its
 * number; else NULL): values given by name are written by name. */
static void write_axis(text_buffer *b, const gs_axis *axis, gs_axis_id id, const int *names) {
    text_printf(b, "  %s: [", axis_rules[id].name);
    for (size_t i = 0; i < axis->count; i++) {
        if (i) text_printf(b, ", ");
        const char *name = NULL;
        if (is_name_kind(axis_rules[id].kind))
            name = code_name(axis_rules[id].kind, axis->integer[i]);
        else if (names && names[i] != GS_SCALE_NUMBER)
            name = sigma_w_name((gs_scale_name)names[i]);
        else if (id == GS_AXIS_BRANCH_SCALE)
            name = branch_scale_name(axis->real[i]);
        if (name)
            text_printf(b, "%s", name);
        else if (axis->real)
            write_real(b, axis->real[i]);
        else
            text_printf(b, "%" PRId64, axis->integer[i]);
    }
    text_printf(b, "]\n");
}

/* data: as one flow mapping, every part explicit. */
static void write_data(text_buffer *b, const gs_data_source *data) {
    text_printf(b, "data: {source: %s", data_kind_name(data->kind));
    if (data->path) {
        text_printf(b, ", path: ");
        write_quoted(b, data->path);
    }
    if (data->kind != GS_DATA_GAUSSIAN)
        text_printf(b, ", standardize: %s", standardize_name(data->standardize));
    text_printf(b, "}\n");
}

/* train: with every key that applies to its optimizer; the defaults that
 * depend on steps only once spec_finalize has resolved them. */
static void write_train(text_buffer *b, const gs_train_settings *t) {
    text_printf(b, "train:\n  steps: %" PRId64 "\n", t->steps);
    text_printf(b, "  optimizer: %s\n", optimizer_name(t->optimizer));
    text_printf(b, "  loss: %s\n", train_loss_name(t->loss));
    if (t->record_every > 0) text_printf(b, "  record_every: %" PRId64 "\n", t->record_every);
    if (t->optimizer == GS_OPT_MOMENTUM) {
        text_printf(b, "  momentum: ");
        write_real(b, t->momentum);
        text_printf(b, "\n");
    }
    if (t->optimizer == GS_OPT_ADAM) {
        const double values[3] = {t->beta1, t->beta2, t->eps};
        const char *const keys[3] = {"beta1", "beta2", "eps"};
        for (int i = 0; i < 3; i++) {
            text_printf(b, "  %s: ", keys[i]);
            write_real(b, values[i]);
            text_printf(b, "\n");
        }
    }
    text_printf(b, "  base_width: %d\n", t->base_width);
    if (t->n_stats_steps < 0) return;
    text_printf(b, "  stats_steps: [");
    for (int i = 0; i < t->n_stats_steps; i++)
        text_printf(b, "%s%" PRId64, i ? ", " : "", t->stats_steps[i]);
    text_printf(b, "]\n");
}

char *spec_to_yaml(const gs_spec *spec) {
    text_buffer b = {NULL, 0, 0};
    if (spec->name) { /* NULL only before spec_finalize */
        text_printf(&b, "name: ");
        write_quoted(&b, spec->name);
        text_printf(&b, "\n");
    }
    text_printf(&b, "base_seed: %" PRIu64 "\n", spec->base_seed);
    text_printf(&b, "precision: %s\n",
                precision_name(spec->precision) ? precision_name(spec->precision) : "float32");
    text_printf(&b, "loss: %s\n", loss_name(spec->loss) ? loss_name(spec->loss) : "probe");
    text_printf(&b, "leaky_relu_slope: ");
    write_real(&b, spec->leaky_relu_slope);
    text_printf(&b, "\n");
    /* Without training, exactly the text of a sweep from before training existed. */
    if (spec->data.kind != GS_DATA_GAUSSIAN || spec_has_training(spec)) write_data(&b, &spec->data);
    if (spec_has_training(spec)) write_train(&b, &spec->train);
    /* Axes without values (before spec_finalize) are left out, as in the input. */
    int any_axis = 0;
    for (int a = 0; a < GS_AXIS_ALL_COUNT; a++)
        any_axis |= spec->axis[a].count > 0;
    /* Only when measured, so that other sweeps' text is as before. */
    if (spec->jacobian_samples > 0)
        text_printf(&b, "jacobian_samples: %d\n", spec->jacobian_samples);
    text_printf(&b, "grid:%s\n", any_axis ? "" : " {}");
    for (int a = 0; a < GS_AXIS_ALL_COUNT; a++)
        if (spec->axis[a].count > 0)
            write_axis(&b, &spec->axis[a], (gs_axis_id)a,
                       a == GS_AXIS_SIGMA_W && spec_has_network(spec) ? spec->sigma_w_names : NULL);
    return b.data;
}
