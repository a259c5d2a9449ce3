/* arch.c — what a configuration's network needs and costs (see arch.h). */
#include "gradsweep/arch.h"

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
