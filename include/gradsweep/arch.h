/* SPDX-License-Identifier: MIT */
/* arch.h — the network a configuration describes: its layers in order
 * (layer.h), and what the whole needs and costs. Arithmetic on the
 * configuration alone: no buffers, no draws.
 *
 * A configuration builds L dense layers: layer 1 maps the input_width
 * features of x to width units, the hidden layers width to width, layer L
 * width to output_width (by default both width: the square network):
 *     layer l = 1 … L:  z[l] = a[l-1] W[l]ᵀ + b[l],  a[l] = φ(z[l]),  W[l] (fan_out, fan_in)
 * with W[l] = sigma_w[l]·U[l], sigma_w[l] = sigma_w·sqrt(fan_in / fan) so that
 * Var(W_ij) = sigma_w² / fan for the configuration's fan (in, out, avg).
 * With a branch scale α (cfg->branch), layers 2 … L are pre-activation
 * residual blocks z[l] = z[l-1] + α·(W[l] φ(N(z[l-1])) + b[l]) (a last layer
 * of output_width ≠ width stays dense: the head); N is cfg->norm before every
 * φ, a[l] = φ(N(z[l])) (layer.h).
 * Layers of other kinds or widths change net_layers, net_shape and net_flops
 * here; the passes, the memory plans and the draws follow the descriptors. */
#ifndef GRADSWEEP_ARCH_H
#define GRADSWEEP_ARCH_H

#include <stddef.h>

#include "gradsweep/config.h"
#include "gradsweep/layer.h"

/* cfg's layers, l = 1 … L at layers[l-1] (room for cfg->depth), with the
 * offsets of their unit draws in a store that holds every layer's. */
void net_layers(const gs_config *cfg, gs_layer *layers);
/* One dense layer of cfg's from fan_in to fan_out units (no draw offsets):
 * what the theory needs of the first, a hidden and the last layer. */
gs_layer net_layer(const gs_config *cfg, int fan_in, int fan_out);
/* Layer l (1 … L) of cfg, without draw offsets. */
gs_layer net_layer_number(const gs_config *cfg, int l);

/* The sizes that set a network's workspace (plan.h), summed over its layers. */
typedef struct gs_net_shape {
    int depth, batch;
    int inputs, outputs;    /* units of x = a[0] and of z[L] */
    int widest;             /* the most units any layer takes in or puts out */
    size_t unit_weights;    /* elements of every U[l] */
    size_t largest_weights; /* elements of the largest U[l] */
    size_t unit_biases;     /* elements of every β[l] */
} gs_net_shape;

gs_net_shape net_shape(const gs_config *cfg);

/* Floating-point operations of forward + backward (the GEMMs: 6·B·Σ fan_in·fan_out,
 * 6·L·n²·B for square layers), plus the orthogonal draws' QR when init is
 * orthogonal, plus the Jacobian's (net_jacobian_flops). The scheduler's cost
 * and the --dry-run time estimate. */
double net_flops(const gs_config *cfg);
/* The part of net_flops that drawing the weights takes (orthogonal's QR; 0 otherwise). */
double net_draw_flops(const gs_config *cfg);

/* Floating-point operations of the Jacobian, 0 unless cfg->jacobian_samples
 * K > 0: per sample and layer J[l] = D[l] W[l] J[l-1] (one GEMM of
 * 2·fan_out·fan_in·n0 for the K samples together; J[1] = D[1] W[1] is a copy)
 * and the Gram matrix J[l] J[l]ᵀ whose squared entries give the variance
 * (fan_out²·n0, a SYRK), n0 the input's features; and the singular values of
 * J[L] once (LAPACK dgesdd: about 4·m·k² − 4k³/3, k ≤ m its sides). Square
 * layers of n units: about 3·K·L·n³ + 8/3·n³. */
double net_jacobian_flops(const gs_config *cfg);

#endif
