/* SPDX-License-Identifier: MIT */
/* config.c — names, flag meanings and descriptions of the codes stored in
 * results files, all made from the lists of config.h (so each is written
 * once), and the per-configuration bookkeeping those lists drive. */
#include "gradsweep/config.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define CODE_NAME(enumerator, name, meaning) [enumerator] = name,
#define NAME(enumerator, name)               [enumerator] = name,
const char *const gs_status_names[GS_STATUS_COUNT] = {GS_STATUS_LIST(CODE_NAME)};
const char *const gs_init_names[GS_INIT_COUNT] = {GS_INIT_LIST(CODE_NAME)};
const char *const gs_precision_names[GS_PRECISION_COUNT] = {GS_PRECISION_LIST(NAME)};
const char *const gs_loss_names[GS_LOSS_COUNT] = {GS_LOSS_LIST(CODE_NAME)};
const char *const gs_xi_reason_names[GS_XI_REASON_COUNT] = {GS_XI_REASON_LIST(CODE_NAME)};
const char *const gs_fan_names[GS_FAN_COUNT] = {GS_FAN_LIST(CODE_NAME)};
const char *const gs_scale_names[GS_SCALE_NAME_COUNT] = {GS_SCALE_NAME_LIST(CODE_NAME)};
const char *const gs_norm_names[GS_NORM_COUNT] = {GS_NORM_LIST(CODE_NAME)};

#define LOSS_DEFINITION(enumerator, name, meaning) [enumerator] = name ": " meaning,
static const char *const loss_definitions[GS_LOSS_COUNT] = {GS_LOSS_LIST(LOSS_DEFINITION)};

static const char *name_of(const char *const *names, int count, int code) {
    return code >= 0 && code < count ? names[code] : NULL;
}

static int parse_name(const char *const *names, int count, const char *name) {
    for (int i = 0; i < count; i++)
        if (strcmp(names[i], name) == 0) return i;
    return -1;
}

const char *status_name(gs_status s) { return name_of(gs_status_names, GS_STATUS_COUNT, (int)s); }
const char *init_name(gs_init init) { return name_of(gs_init_names, GS_INIT_COUNT, (int)init); }
const char *precision_name(gs_precision p) {
    return name_of(gs_precision_names, GS_PRECISION_COUNT, (int)p);
}
const char *loss_name(gs_loss loss) { return name_of(gs_loss_names, GS_LOSS_COUNT, (int)loss); }
const char *fan_name(gs_fan fan) { return name_of(gs_fan_names, GS_FAN_COUNT, (int)fan); }
const char *sigma_w_name(gs_scale_name name) {
    return name_of(gs_scale_names, GS_SCALE_NAME_COUNT, (int)name);
}
const char *norm_name(gs_norm norm) { return name_of(gs_norm_names, GS_NORM_COUNT, (int)norm); }

int init_parse(const char *name, gs_init *init) {
    int i = parse_name(gs_init_names, GS_INIT_COUNT, name);
    if (i >= 0) *init = (gs_init)i;
    return i < 0 ? -1 : 0;
}

int precision_parse(const char *name, gs_precision *p) {
    int i = parse_name(gs_precision_names, GS_PRECISION_COUNT, name);
    if (i >= 0) *p = (gs_precision)i;
    return i < 0 ? -1 : 0;
}

int loss_parse(const char *name, gs_loss *loss) {
    int i = parse_name(gs_loss_names, GS_LOSS_COUNT, name);
    if (i >= 0) *loss = (gs_loss)i;
    return i < 0 ? -1 : 0;
}

int fan_parse(const char *name, gs_fan *fan) {
    int i = parse_name(gs_fan_names, GS_FAN_COUNT, name);
    if (i >= 0) *fan = (gs_fan)i;
    return i < 0 ? -1 : 0;
}

int norm_parse(const char *name, gs_norm *norm) {
    int i = parse_name(gs_norm_names, GS_NORM_COUNT, name);
    if (i >= 0) *norm = (gs_norm)i;
    return i < 0 ? -1 : 0;
}

const char *status_flag_meanings(void) { return GS_LIST_FLAGS(GS_STATUS_LIST); }
const char *init_flag_meanings(void) { return GS_LIST_FLAGS(GS_INIT_LIST); }
const char *xi_reason_flag_meanings(void) { return GS_LIST_FLAGS(GS_XI_REASON_LIST); }
const char *fan_flag_meanings(void) { return GS_LIST_FLAGS(GS_FAN_LIST); }
const char *scale_flag_meanings(void) { return GS_LIST_FLAGS(GS_SCALE_NAME_LIST); }
const char *norm_flag_meanings(void) { return GS_LIST_FLAGS(GS_NORM_LIST); }

const char *loss_definition(gs_loss loss) {
    const char *text = name_of(loss_definitions, GS_LOSS_COUNT, (int)loss);
    return text ? text : "";
}

const char *names_or(const char *const *names, int count, char *buf, size_t size) {
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < count && used < size; i++) {
        const char *separator = i == 0 ? "" : i == count - 1 ? " or " : ", ";
        used += (size_t)snprintf(buf + used, size - used, "%s%s", separator, names[i]);
    }
    return buf;
}

#define FIELD(name, long_name, units, description) {#name, offsetof(gs_layer_stats, name)},
const gs_layer_field gs_layer_fields[GS_LAYER_FIELD_COUNT] = {GS_LAYER_STATS_LIST(FIELD)
                                                                  GS_BLOCK_STATS_LIST(FIELD)};

void result_clear(gs_result *res, int depth) {
    res->status = GS_STATUS_PENDING;
#define CLEAR(type, name, fill, long_name, units, description) res->name = fill;
    GS_RESULT_LIST(CLEAR)
    GS_DEPTH_SCALE_LIST(CLEAR)
#undef CLEAR
    res->elapsed_s = NAN;
    for (int l = 0; l < depth; l++)
        for (size_t f = 0; f < GS_LAYER_FIELD_COUNT; f++)
            *(double *)((char *)&res->layers[l] + gs_layer_fields[f].offset) = NAN;
    res->jac_sv_max = res->jac_sv_min = NAN;
    if (res->jacobian)
        for (int l = 0; l < depth; l++)
            res->jacobian[l] = (gs_jacobian_stats){
#define CLEAR_JACOBIAN(name, long_name, units, description) .name = NAN,
                GS_JACOBIAN_LAYER_LIST(CLEAR_JACOBIAN)
#undef CLEAR_JACOBIAN
            };
    for (int k = 0; res->jac_sv && k < res->jac_sv_room; k++)
        res->jac_sv[k] = NAN;
}

const char *status_counts(const int64_t by_status[GS_STATUS_COUNT], char *buf, size_t size) {
    size_t used = 0;
    buf[0] = '\0';
    for (int k = 1; k <= GS_STATUS_COUNT && used < size; k++) {
        int s = k % GS_STATUS_COUNT; /* pending (0) last */
        used += (size_t)snprintf(buf + used, size - used, "%s%lld %s", k > 1 ? ", " : "",
                                 (long long)by_status[s], gs_status_names[s]);
    }
    return buf;
}
