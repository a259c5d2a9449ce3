/* SPDX-License-Identifier: MIT */
/* arch.h — the network a configuration describes: its layers in order
 * (layer.h), and what the whole needs and costs. Arithmetic on the
 * configuration alone: no buffers, no draws.
 *
 * Today every configuration builds L dense layers of n units, the input
 * having n features too:
 *     layer l = 1 … L:  z[l] = a[l-1] W[l]ᵀ + b[l],  a[l] = φ(z[l]),  W[l] (n, n)
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

/* Floating-point operations of forward + backward (the GEMMs: 6·L·n²·B),
 * plus the orthogonal draws' QR when init is orthogonal, plus the Jacobian's
 * (net_jacobian_flops). The scheduler's cost and the --dry-run time estimate. */
double net_flops(const gs_config *cfg);

/* Floating-point operations of the Jacobian, 0 unless cfg->jacobian_samples
 * K > 0: per sample and layer J[l] = D[l] W[l] J[l-1] (one GEMM of
 * 2·fan_out·fan_in·n0 for the K samples together; J[1] = D[1] W[1] is a copy)
 * and the Gram matrix J[l] J[l]ᵀ whose squared entries give the variance
 * (fan_out²·n0, a SYRK), n0 the input's features; and the singular values of
 * J[L] once (LAPACK dgesdd: about 4·m·k² − 4k³/3, k ≤ m its sides). Square
 * layers of n units: about 3·K·L·n³ + 8/3·n³. */
double net_jacobian_flops(const gs_config *cfg);

#endif
