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
    return gemms + qr + net_jacobian_flops(cfg);
}

double net_jacobian_flops(const gs_config *cfg) {
    if (cfg->jacobian_samples <= 0) return 0.0;
    const gs_net_shape s = net_shape(cfg);
    const double K = cfg->jacobian_samples, n0 = s.inputs;
    /* The layers of net_layers, without building them: square, n units. */
    const double n = cfg->width, L = cfg->depth;
    double propagate = 2.0 * n * n * n0 * (L - 1); /* J[1] is a copy */
    double gram = n * (n + 1) * n0 * L;
    double rows = s.outputs, k = rows < n0 ? rows : n0, m = rows < n0 ? n0 : rows;
    double svd = 4.0 * m * k * k - 4.0 / 3.0 * k * k * k;
    return K * (propagate + gram) + svd;
}
