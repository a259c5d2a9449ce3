/* SPDX-License-Identifier: MIT */
/* arch.c — from a configuration to its layers (see arch.h). */
#include "gradsweep/arch.h"

#include <math.h>

/* Layer l's fans: input_width → width, width → width, …, width → output_width. */
static void layer_fans(const gs_config *cfg, int l, int *fan_in, int *fan_out) {
    *fan_in = l == 1 ? config_input_width(cfg) : cfg->width;
    *fan_out = l == cfg->depth ? config_output_width(cfg) : cfg->width;
}

/* The factor by which sigma_w multiplies U (Var(U_ij) = 1/fan_in) for
 * Var(W_ij) = sigma_w² / fan: sqrt(fan_in / fan), exactly 1 where fan is
 * fan_in (every square layer, whatever the mode). */
static double fan_factor(gs_fan mode, int fan_in, int fan_out) {
    double fan = mode == GS_FAN_OUT   ? fan_out
                 : mode == GS_FAN_AVG ? 0.5 * ((double)fan_in + fan_out)
                                      : fan_in;
    return fan == fan_in ? 1.0 : sqrt(fan_in / fan);
}

gs_layer net_layer(const gs_config *cfg, int in, int out) {
    double factor = fan_factor(cfg->fan, in, out);
    gs_layer layer = {.kind = GS_LAYER_DENSE,
                      .fan_in = in,
                      .fan_out = out,
                      .sigma_w = factor == 1.0 ? cfg->sigma_w : cfg->sigma_w * factor,
                      .sigma_b = cfg->sigma_b,
                      .act = cfg->act,
                      .trunc_k = INFINITY,
                      .norm = cfg->norm,
                      .branch_scale = NAN};
    if (cfg->scale_name == GS_SCALE_TORCH_DEFAULT) { /* nn.Linear: b ~ U(±1/sqrt(fan_in)) */
        layer.uniform_biases = true;
        layer.sigma_b = 1 / sqrt((double)in);
    }
    /* trunc_normal_'s bounds ±2 in units of U's standard deviation 1/sqrt(fan_in) */
    if (cfg->init == GS_INIT_TORCH_TRUNC_NORMAL)
        layer.trunc_k = 2 * sqrt((double)in) / layer.sigma_w;
    return layer;
}

/* Layers 2 … L of a network with a branch scale are residual blocks; a last
 * layer that changes the width (output_width ≠ width) cannot add its input
 * to its output and stays dense: the network's head. */
static void make_block(const gs_config *cfg, int l, gs_layer *layer) {
    if (cfg->branch == GS_BRANCH_NONE || l < 2 || layer->fan_in != layer->fan_out) return;
    layer->kind = GS_LAYER_RESIDUAL;
    layer->branch_scale = config_branch_scale(cfg);
}

void net_layers(const gs_config *cfg, gs_layer *layers) {
    size_t weights_at = 0, biases_at = 0;
    for (int l = 1; l <= cfg->depth; l++) {
        gs_layer *layer = &layers[l - 1];
        int in, out;
        layer_fans(cfg, l, &in, &out);
        *layer = net_layer(cfg, in, out);
        make_block(cfg, l, layer);
        layer->unit_weights_at = weights_at;
        layer->unit_biases_at = biases_at;
        weights_at += (size_t)layer->fan_out * layer->fan_in;
        biases_at += (size_t)layer->fan_out;
    }
}

gs_layer net_layer_number(const gs_config *cfg, int l) {
    int in, out;
    layer_fans(cfg, l, &in, &out);
    gs_layer layer = net_layer(cfg, in, out);
    make_block(cfg, l, &layer);
    return layer;
}

static int max3(int a, int b, int c) {
    int m = a > b ? a : b;
    return m > c ? m : c;
}

gs_net_shape net_shape(const gs_config *cfg) {
    gs_net_shape s = {.depth = cfg->depth,
                      .batch = cfg->batch,
                      .inputs = config_input_width(cfg),
                      .outputs = config_output_width(cfg)};
    s.widest = max3(cfg->width, s.inputs, s.outputs);
    for (int l = 1; l <= cfg->depth; l++) {
        int in, out;
        layer_fans(cfg, l, &in, &out);
        size_t weights = (size_t)in * (size_t)out;
        s.unit_weights += weights;
        s.unit_biases += (size_t)out;
        if (weights > s.largest_weights) s.largest_weights = weights;
    }
    return s;
}

/* Flops of the QR of an m × k matrix (m ≥ k) and of forming its Q: dgeqrf
 * and dorgqr, 2mk² − 2k³/3 each ((8/3)·n³ for a square one). */
static double qr_flops(double m, double k) { return 4.0 * m * k * k - (4.0 / 3.0) * k * k * k; }

double net_flops(const gs_config *cfg) {
    double L = cfg->depth, B = cfg->batch, n = cfg->width;
    if (config_input_width(cfg) == cfg->width && config_output_width(cfg) == cfg->width) {
        double gemms = 6.0 * L * n * n * B; /* forward a·Wᵀ, backward δ·W and δᵀ·a */
        double qr = cfg->init == GS_INIT_ORTHOGONAL ? L * (8.0 / 3.0) * n * n * n : 0.0;
        return gemms + qr + net_jacobian_flops(cfg);
    }
    double total = 0;
    for (int l = 1; l <= cfg->depth; l++) {
        int in, out;
        layer_fans(cfg, l, &in, &out);
        double m = in > out ? in : out, k = in > out ? out : in;
        total += 6.0 * (double)in * out * B;
        if (cfg->init == GS_INIT_ORTHOGONAL) total += qr_flops(m, k);
    }
    return total + net_jacobian_flops(cfg);
}

double net_draw_flops(const gs_config *cfg) {
    if (cfg->init != GS_INIT_ORTHOGONAL) return 0;
    double total = 0;
    for (int l = 1; l <= cfg->depth; l++) {
        int in, out;
        layer_fans(cfg, l, &in, &out);
        total += qr_flops(in > out ? in : out, in > out ? out : in);
    }
    return total;
}

double net_jacobian_flops(const gs_config *cfg) {
    if (cfg->jacobian_samples <= 0) return 0.0;
    const gs_net_shape s = net_shape(cfg);
    const double K = cfg->jacobian_samples, n0 = s.inputs;
    /* J[l] is (fan_out of layer l) × n0: propagating it is a GEMM per layer
     * (J[1] is a copy), its Gram matrix a SYRK */
    double propagate = 0, gram = 0;
    for (int l = 1; l <= cfg->depth; l++) {
        int in, out;
        layer_fans(cfg, l, &in, &out);
        if (l > 1) propagate += 2.0 * out * in * n0;
        gram += (double)out * (out + 1) * n0;
    }
    double rows = s.outputs, k = rows < n0 ? rows : n0, m = rows < n0 ? n0 : rows;
    double svd = 4.0 * m * k * k - 4.0 / 3.0 * k * k * k;
    return K * (propagate + gram) + svd;
}
