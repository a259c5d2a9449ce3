/* SPDX-License-Identifier: MIT */
/* config.c — names of the codes stored in results files. The order of each
 * table is the code: entries are only ever appended. */
#include "gradsweep/config.h"

#include <string.h>

static const char *const init_names[GS_INIT_COUNT] = {"gaussian", "uniform", "orthogonal"};
static const char *const status_names[GS_STATUS_COUNT] = {"pending", "done", "nonfinite", "failed",
                                                          "underflow"};
static const char *const precision_names[] = {"float32", "float64"};
static const char *const loss_names[] = {"probe", "mse"};

static int parse_name(const char *const *names, int count, const char *name) {
    for (int i = 0; i < count; i++)
        if (strcmp(names[i], name) == 0) return i;
    return -1;
}

const char *init_name(gs_init init) {
    return (unsigned)init < GS_INIT_COUNT ? init_names[init] : NULL;
}

int init_parse(const char *name, gs_init *init) {
    int i = parse_name(init_names, GS_INIT_COUNT, name);
    if (i < 0) return -1;
    *init = (gs_init)i;
    return 0;
}

const char *init_flag_meanings(void) { return "gaussian uniform orthogonal"; }
const char *status_flag_meanings(void) { return "pending done nonfinite failed underflow"; }

const char *status_name(gs_status status) {
    return (unsigned)status < GS_STATUS_COUNT ? status_names[status] : NULL;
}

const char *precision_name(gs_precision p) { return (unsigned)p < 2 ? precision_names[p] : NULL; }

int precision_parse(const char *name, gs_precision *p) {
    int i = parse_name(precision_names, 2, name);
    if (i < 0) return -1;
    *p = (gs_precision)i;
    return 0;
}

const char *loss_name(gs_loss loss) { return (unsigned)loss < 2 ? loss_names[loss] : NULL; }

int loss_parse(const char *name, gs_loss *loss) {
    int i = parse_name(loss_names, 2, name);
    if (i < 0) return -1;
    *loss = (gs_loss)i;
    return 0;
}

#define FIELD(name)                                                                                \
    { #name, offsetof(gs_layer_stats, name) }
const gs_layer_field gs_layer_fields[GS_LAYER_FIELD_COUNT] = {
    FIELD(q),           FIELD(preact_mean),    FIELD(c),         FIELD(act_ch_sq_mean),
    FIELD(act_ch_var),  FIELD(saturated_frac), FIELD(dead_frac), FIELD(delta_sq),
    FIELD(grad_w_norm), FIELD(grad_b_norm),
};
