/* train_spec.c — names of the training codes, the defaults of a train:
 * section and the checks of its values. */
#include "gradsweep/train_spec.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

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

/* The compiler joins " sgd" " momentum" " adam"; + 1 skips the first space. */
const char *optimizer_flag_meanings(void) { return GS_OPTIMIZER_LIST(FLAG_WORD) + 1; }
const char *train_loss_flag_meanings(void) { return GS_TRAIN_LOSS_LIST(FLAG_WORD) + 1; }
const char *parametrization_flag_meanings(void) { return GS_PARAMETRIZATION_LIST(FLAG_WORD) + 1; }
const char *data_kind_flag_meanings(void) { return GS_DATA_KIND_LIST(FLAG_WORD) + 1; }

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

void train_settings_init(gs_train_settings *t) {
    memset(t, 0, sizeof *t);
    t->optimizer = GS_OPT_SGD;
    t->loss = GS_TRAIN_CROSS_ENTROPY;
    t->record_every = 10;
    t->momentum = 0.9;
    t->beta1 = 0.9; /* torch.optim.Adam's defaults */
    t->beta2 = 0.999;
    t->eps = 1e-8;
    t->base_width = 1;
    t->n_stats_steps = 4;
    for (int i = 0; i < 4; i++)
        t->stats_steps[i] = i;
}

gs_standardize data_default_standardize(gs_data_kind kind) {
    return kind == GS_DATA_FASHION_MNIST ? GS_STANDARDIZE_FEATURE : GS_STANDARDIZE_NONE;
}

static int check_stats_steps(const gs_train_settings *t, char *why, int size) {
    if (t->n_stats_steps < 0 || t->n_stats_steps > GS_MAX_STATS_STEPS)
        return snprintf(why, size, "stats_steps: at most %d steps", GS_MAX_STATS_STEPS), -1;
    for (int i = 0; i < t->n_stats_steps; i++) {
        int64_t s = t->stats_steps[i];
        if (s < 0 || s > t->steps)
            return snprintf(why, size,
                            "stats_steps: step %lld is outside 0 … %lld (steps); per-layer "
                            "statistics can be recorded before the first update (0) up to "
                            "after the last",
                            (long long)s, (long long)t->steps),
                   -1;
        if (i > 0 && s <= t->stats_steps[i - 1])
            return snprintf(why, size,
                            "stats_steps: steps must be listed in increasing order, each once "
                            "(%lld follows %lld)",
                            (long long)s, (long long)t->stats_steps[i - 1]),
                   -1;
    }
    return 0;
}

/* 0 ≤ value < 1 for μ, β1 and β2. */
static int check_unit(const char *key, double value, char *why, int size) {
    if (value >= 0 && value < 1) return 0;
    return snprintf(why, size, "%s: must be at least 0 and below 1, got %.17g", key, value), -1;
}

int train_settings_check(const gs_train_settings *t, char *why, int size) {
    if (t->steps < 1 || t->steps > GS_MAX_TRAIN_STEPS)
        return snprintf(why, size, "steps: must be between 1 and %lld, got %lld",
                        (long long)GS_MAX_TRAIN_STEPS, (long long)t->steps),
               -1;
    if (!optimizer_name(t->optimizer))
        return snprintf(why, size, "optimizer: invalid code %d", (int)t->optimizer), -1;
    if (!train_loss_name(t->loss))
        return snprintf(why, size, "loss: invalid code %d", (int)t->loss), -1;
    if (t->record_every < 1 || t->record_every > t->steps)
        return snprintf(why, size, "record_every: must be between 1 and steps (%lld), got %lld",
                        (long long)t->steps, (long long)t->record_every),
               -1;
    if (check_unit("momentum", t->momentum, why, size) ||
        check_unit("beta1", t->beta1, why, size) || check_unit("beta2", t->beta2, why, size))
        return -1;
    if (!(t->eps > 0 && t->eps <= 1))
        return snprintf(why, size, "eps: must be greater than 0 and at most 1, got %.17g", t->eps),
               -1;
    if (!(t->base_width >= 1 && t->base_width <= 1048576 && t->base_width == floor(t->base_width)))
        return snprintf(why, size,
                        "base_width: must be a whole number from 1 to 1048576, got %.17g",
                        t->base_width),
               -1;
    return check_stats_steps(t, why, size);
}

int64_t train_record_count(const gs_train_settings *t) {
    if (t->steps < 1 || t->record_every < 1) return 0;
    return t->steps / t->record_every + 1 + (t->steps % t->record_every != 0);
}

int64_t train_record_step(const gs_train_settings *t, int64_t i) {
    int64_t step = i * t->record_every;
    return step < t->steps ? step : t->steps;
}
