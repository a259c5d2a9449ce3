/* SPDX-License-Identifier: MIT */
/* arch.c — from a configuration to its layers (see arch.h). */
#include "gradsweep/arch.h"

void net_layers(const gs_config *cfg, gs_layer *layers) {
    size_t weights_at = 0, biases_at = 0;
    for (int l = 1; l <= cfg->depth; l++) {
        gs_layer *layer = &layers[l - 1];
        *layer = (gs_layer){.kind = GS_LAYER_DENSE,
                            .fan_in = cfg->width,
                            .fan_out = cfg->width,
                            .sigma_w = cfg->sigma_w,
                            .sigma_b = cfg->sigma_b,
                            .act = cfg->act,
                            .unit_weights_at = weights_at,
                            .unit_biases_at = biases_at};
        weights_at += (size_t)layer->fan_out * layer->fan_in;
        biases_at += (size_t)layer->fan_out;
    }
}

gs_net_shape net_shape(const gs_config *cfg) {
    size_t L = (size_t)cfg->depth, n = (size_t)cfg->width;
    gs_net_shape s = {
        .depth = cfg->depth,
        .batch = cfg->batch,
        .inputs = cfg->width,
        .outputs = cfg->width,
        .widest = cfg->width,
        .unit_weights = L * n * n,
        .largest_weights = n * n,
        .unit_biases = L * n,
    };
    return s;
}

double net_flops(const gs_config *cfg) {
    double L = cfg->depth, B = cfg->batch, n = cfg->width;
    double gemms = 6.0 * L * n * n * B; /* forward a·Wᵀ, backward δ·W and δᵀ·a */
    double qr = cfg->init == GS_INIT_ORTHOGONAL ? L * (8.0 / 3.0) * n * n * n : 0.0;
    return gemms + qr;
}
