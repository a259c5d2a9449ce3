/* SPDX-License-Identifier: MIT */
/* train_spec.c — names of the training codes, the defaults of a train:
 * section and the checks of its values. */
#include "gradsweep/train_spec.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gradsweep/common.h"

#define NAME_OF(enumerator, name, meaning)    name,
#define MEANING_OF(enumerator, name, meaning) meaning,
#define FLAG_WORD(enumerator, name, meaning)  " " name

const char *const gs_data_kind_names[GS_DATA_KIND_COUNT] = {GS_DATA_KIND_LIST(NAME_OF)};
const char *const gs_optimizer_names[GS_OPTIMIZER_COUNT] = {GS_OPTIMIZER_LIST(NAME_OF)};
const char *const gs_train_loss_names[GS_TRAIN_LOSS_COUNT] = {GS_TRAIN_LOSS_LIST(NAME_OF)};
const char *const gs_parametrization_names[GS_PARAMETRIZATION_COUNT] = {
    GS_PARAMETRIZATION_LIST(NAME_OF)};
const char *const gs_standardize_names[GS_STANDARDIZE_COUNT] = {GS_STANDARDIZE_LIST(NAME_OF)};

static const char *const optimizer_meanings[] = {GS_OPTIMIZER_LIST(MEANING_OF)};
static const char *const train_loss_meanings[] = {GS_TRAIN_LOSS_LIST(MEANING_OF)};
static const char *const parametrization_meanings[] = {GS_PARAMETRIZATION_LIST(MEANING_OF)};

static const char *name_at(const char *const *names, int count, int code) {
    return code >= 0 && code < count ? names[code] : NULL;
}

static int parse_name(const char *const *names, int count, const char *name) {
    for (int i = 0; i < count; i++)
        if (strcmp(names[i], name) == 0) return i;
    return -1;
}

const char *data_kind_name(gs_data_kind k) {
    return name_at(gs_data_kind_names, GS_DATA_KIND_COUNT, (int)k);
}
const char *optimizer_name(gs_optimizer o) {
    return name_at(gs_optimizer_names, GS_OPTIMIZER_COUNT, (int)o);
}
const char *train_loss_name(gs_train_loss l) {
    return name_at(gs_train_loss_names, GS_TRAIN_LOSS_COUNT, (int)l);
}
const char *parametrization_name(gs_parametrization p) {
    return name_at(gs_parametrization_names, GS_PARAMETRIZATION_COUNT, (int)p);
}
const char *standardize_name(gs_standardize s) {
    return name_at(gs_standardize_names, GS_STANDARDIZE_COUNT, (int)s);
}

const char *optimizer_meaning(gs_optimizer o) {
    return name_at(optimizer_meanings, GS_OPTIMIZER_COUNT, (int)o);
}
const char *train_loss_meaning(gs_train_loss l) {
    return name_at(train_loss_meanings, GS_TRAIN_LOSS_COUNT, (int)l);
}
const char *parametrization_meaning(gs_parametrization p) {
    return name_at(parametrization_meanings, GS_PARAMETRIZATION_COUNT, (int)p);
}

/* The compiler joins " sgd" " momentum" " adam"; [1] skips the first space. */
const char *optimizer_flag_meanings(void) { return &(GS_OPTIMIZER_LIST(FLAG_WORD))[1]; }
const char *train_loss_flag_meanings(void) { return &(GS_TRAIN_LOSS_LIST(FLAG_WORD))[1]; }
const char *parametrization_flag_meanings(void) { return &(GS_PARAMETRIZATION_LIST(FLAG_WORD))[1]; }
const char *data_kind_flag_meanings(void) { return &(GS_DATA_KIND_LIST(FLAG_WORD))[1]; }

int data_kind_parse(const char *name) {
    return parse_name(gs_data_kind_names, GS_DATA_KIND_COUNT, name);
}
int optimizer_parse(const char *name) {
    return parse_name(gs_optimizer_names, GS_OPTIMIZER_COUNT, name);
}
int train_loss_parse(const char *name) {
    return parse_name(gs_train_loss_names, GS_TRAIN_LOSS_COUNT, name);
}
int parametrization_parse(const char *name) {
    return parse_name(gs_parametrization_names, GS_PARAMETRIZATION_COUNT, name);
}
int standardize_parse(const char *name) {
    return parse_name(gs_standardize_names, GS_STANDARDIZE_COUNT, name);
}

#define KEY_NAME(enumerator, name) name,
const char *const gs_train_key_names[GS_TRAIN_KEY_COUNT] = {GS_TRAIN_KEY_LIST(KEY_NAME)};

void train_settings_init(gs_train_settings *t) {
    memset(t, 0, sizeof *t);
    t->optimizer = GS_OPT_SGD;
    t->loss = GS_TRAIN_CROSS_ENTROPY;
    t->momentum = 0.9;
    t->beta1 = 0.9; /* torch.optim.Adam's defaults */
    t->beta2 = 0.999;
    t->eps = 1e-8;
    t->base_width = 1;
    t->n_stats_steps = -1;
}

void train_settings_resolve(gs_train_settings *t) {
    if (t->record_every == 0) t->record_every = t->steps < 10 ? t->steps : 10;
    if (t->n_stats_steps >= 0) return;
    t->n_stats_steps = 0;
    for (int64_t s = 0; s <= 3 && s <= t->steps; s++)
        t->stats_steps[t->n_stats_steps++] = s;
}

gs_standardize data_default_standardize(gs_data_kind kind) {
    return kind == GS_DATA_FASHION_MNIST ? GS_STANDARDIZE_FEATURE : GS_STANDARDIZE_NONE;
}

/* A failed check: the message into why, the key into *key; returns −1. */
static int fail_key(gs_train_key k, gs_train_key *key, char *why, int size, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int fail_key(gs_train_key k, gs_train_key *key, char *why, int size, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, (size_t)size, fmt, ap);
    va_end(ap);
    *key = k;
    return -1;
}

static int check_stats_steps(const gs_train_settings *t, char *why, int size, gs_train_key *key) {
    if (t->n_stats_steps < 0 || t->n_stats_steps > GS_MAX_STATS_STEPS)
        return fail_key(GS_TRAIN_STATS_STEPS, key, why, size, "at most %d steps",
                        GS_MAX_STATS_STEPS);
    for (int i = 0; i < t->n_stats_steps; i++) {
        long long s = t->stats_steps[i], previous = i ? t->stats_steps[i - 1] : -1;
        if (s < 0 || s > t->steps)
            return fail_key(GS_TRAIN_STATS_STEPS, key, why, size,
                            "step %lld is outside 0 to %lld (steps): per-layer statistics are "
                            "recorded before the first update (0) up to after the last",
                            s, (long long)t->steps);
        if (s <= previous)
            return fail_key(GS_TRAIN_STATS_STEPS, key, why, size,
                            "steps must increase, each listed once (%lld follows %lld)", s,
                            previous);
    }
    return 0;
}

/* 0 ≤ value < 1, for μ, β1 and β2. */
static int check_unit(gs_train_key k, double value, char *why, int size, gs_train_key *key) {
    if (value >= 0 && value < 1) return 0;
    return fail_key(k, key, why, size, "must be at least 0 and below 1, got %.17g", value);
}

/* An optimizer's setting given for another optimizer would be silently unused. */
static int check_applies(const gs_train_settings *t, char *why, int size, gs_train_key *key) {
    static const struct {
        gs_train_key key;
        gs_optimizer optimizer;
    } owner[] = {{GS_TRAIN_MOMENTUM, GS_OPT_MOMENTUM},
                 {GS_TRAIN_BETA1, GS_OPT_ADAM},
                 {GS_TRAIN_BETA2, GS_OPT_ADAM},
                 {GS_TRAIN_EPS, GS_OPT_ADAM}};
    for (size_t i = 0; i < sizeof owner / sizeof owner[0]; i++)
        if (t->key_line[owner[i].key] != 0 && t->optimizer != owner[i].optimizer)
            return fail_key(owner[i].key, key, why, size,
                            "applies to optimizer %s, but the optimizer is %s; remove it or "
                            "choose optimizer: %s",
                            optimizer_name(owner[i].optimizer), optimizer_name(t->optimizer),
                            optimizer_name(owner[i].optimizer));
    return 0;
}

int train_settings_check(const gs_train_settings *t, char *why, int size, gs_train_key *key) {
    if (t->steps < 1 || t->steps > GS_MAX_TRAIN_STEPS)
        return fail_key(GS_TRAIN_STEPS, key, why, size,
                        t->key_line[GS_TRAIN_STEPS] ? "must be between 1 and %lld, got %lld"
                                                    : "is required: the number of updates, e.g. "
                                                      "steps: 300 (1 to %lld)",
                        (long long)GS_MAX_TRAIN_STEPS, (long long)t->steps);
    if (!optimizer_name(t->optimizer))
        return fail_key(GS_TRAIN_OPTIMIZER, key, why, size, "invalid code %d", (int)t->optimizer);
    if (!train_loss_name(t->loss))
        return fail_key(GS_TRAIN_LOSS, key, why, size, "invalid code %d", (int)t->loss);
    if (t->record_every < 1 || t->record_every > t->steps)
        return fail_key(GS_TRAIN_RECORD_EVERY, key, why, size,
                        "must be between 1 and steps (%lld), got %lld", (long long)t->steps,
                        (long long)t->record_every);
    if (check_unit(GS_TRAIN_MOMENTUM, t->momentum, why, size, key) ||
        check_unit(GS_TRAIN_BETA1, t->beta1, why, size, key) ||
        check_unit(GS_TRAIN_BETA2, t->beta2, why, size, key))
        return -1;
    if (!(t->eps > 0 && t->eps <= 1))
        return fail_key(GS_TRAIN_EPS, key, why, size,
                        "must be greater than 0 and at most 1, got %.17g", t->eps);
    if (t->base_width < 1 || t->base_width > 1048576)
        return fail_key(GS_TRAIN_BASE_WIDTH, key, why, size,
                        "must be a width from 1 to 1048576, got %d", t->base_width);
    if (check_applies(t, why, size, key)) return -1;
    return check_stats_steps(t, why, size, key);
}

int64_t train_record_count(const gs_train_settings *t) {
    if (t->steps < 1 || t->record_every < 1) return 0;
    return t->steps / t->record_every + 1 + (t->steps % t->record_every != 0);
}

int64_t train_record_step(const gs_train_settings *t, int64_t i) {
    int64_t step = i * t->record_every;
    return step < t->steps ? step : t->steps;
}

/* ---- what training records ----------------------------------------------------- */

void train_result_alloc(gs_train_result *res, const gs_train_settings *t, int max_depth) {
    memset(res, 0, sizeof *res);
    res->n_records = train_record_count(t);
    res->n_stats = t->n_stats_steps > 0 ? t->n_stats_steps : 0;
    res->max_depth = max_depth;
    res->loss = gs_calloc((size_t)(res->n_records ? res->n_records : 1), sizeof(double));
    res->accuracy = gs_calloc((size_t)(res->n_records ? res->n_records : 1), sizeof(double));
    size_t cells = (size_t)(res->n_stats ? res->n_stats : 1) * (size_t)max_depth;
    res->layers = gs_calloc(cells ? cells : 1, sizeof *res->layers);
    train_result_clear(res);
}

void train_result_free(gs_train_result *res) {
    free(res->loss);
    free(res->accuracy);
    free(res->layers);
    memset(res, 0, sizeof *res);
}

void train_result_clear(gs_train_result *res) {
    for (int64_t i = 0; i < res->n_records; i++)
        res->loss[i] = res->accuracy[i] = NAN;
    res->test_loss = res->test_accuracy = NAN;
    size_t cells = (size_t)res->n_stats * (size_t)res->max_depth;
    for (size_t i = 0; i < cells; i++) {
        double *v = (double *)&res->layers[i];
        for (size_t f = 0; f < GS_TRAIN_LAYER_FIELD_COUNT; f++)
            v[f] = NAN;
    }
    res->nonfinite_step = -1;
}
