/* layer.h — one layer of a network: its kind and shapes.
 *
 * Shapes: B samples, a sample per row (row-major); a layer maps an input of
 * fan_in units to an output of fan_out units; W is (fan_out, fan_in), as
 * (out, in).
 *
 * The kinds:
 *   dense   z = a_prev Wᵀ + b,  a = φ(z)                     (net_kernels.inc) */
#ifndef GRADSWEEP_LAYER_H
#define GRADSWEEP_LAYER_H

#include <stddef.h>

#include "gradsweep/activation.h"
#include "gradsweep/config.h"

typedef enum gs_layer_kind {
    GS_LAYER_DENSE = 0,
} gs_layer_kind;

/* One layer, as the configuration builds it (net_layers, arch.h). */
typedef struct gs_layer {
    gs_layer_kind kind;
    int fan_in, fan_out;     /* units in, units out: W is (fan_out, fan_in) */
    double sigma_w, sigma_b; /* W = sigma_w·U, b = sigma_b·β (U, β: unit draws, draw.h) */
    gs_activation act;       /* φ */
    size_t unit_weights_at;  /* where U of this layer starts among the stored draws (elements) */
    size_t unit_biases_at;   /* where β starts */
} gs_layer;

#endif
