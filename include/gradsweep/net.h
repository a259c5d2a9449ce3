/* SPDX-License-Identifier: MIT */
/* net.h — one network at random initialization, run: build it from its
 * configuration, run the forward pass over a batch and the backward pass of
 * the batch-mean loss, with OpenBLAS GEMMs, and measure every layer on the
 * way.
 *
 * The maths (row-major, B samples, layers l = 1 … L; arch.h builds the layers,
 * layer.h says what each kind computes, loss.h the loss):
 *     a[0] = x                                   x ~ N(0, 1), (B, n)
 *     z[l] = a[l-1] W[l]ᵀ + b[l]                 W[l] = sigma_w · U[l], b[l] = sigma_b · β[l]
 *     a[l] = φ(z[l])
 *     ℓ    = <r, z[L]> (probe)  or  ½‖z[L] - y‖² (mse), per sample; loss = batch mean of ℓ
 *     δ[L] = ∂ℓ/∂z[L] = r  or  z[L] - y
 *     δ[l-1] = (δ[l] W[l]) ⊙ φ'(z[l-1])
 *     ∂loss/∂W[l] = (1/B) δ[l]ᵀ a[l-1],   ∂loss/∂b[l] = (1/B) Σ_samples δ[l]
 * U[l] holds unit draws (draw.h) with Var(U_ij) = 1/n (gaussian, uniform) or
 * is orthogonal; sigma_w enters every GEMM as its alpha, so the unit draws
 * are shared by every scale (common random numbers, and no scaling pass).
 *
 * The network is a reusable workspace: buffers grow to the largest
 * configuration seen and are reused, held the way the memory plan says
 * (plan.h). It knows nothing of MPI or HDF5. */
#ifndef GRADSWEEP_NET_H
#define GRADSWEEP_NET_H

#include <stdbool.h>
#include <stddef.h>

#include "gradsweep/arch.h"
#include "gradsweep/common.h"
#include "gradsweep/config.h"
#include "gradsweep/plan.h"

typedef struct gs_net gs_net;

/* Lets the caller act between the GEMMs of a long configuration (rank 0
 * serves work requests there; answering false abandons the configuration,
 * e.g. when the sweep is being stopped) and see the gradients (tests,
 * export). Any member may be NULL. Buffers are in the configuration's precision
 * (float or double). */
typedef struct gs_net_observer {
    bool (*between_layers)(void *ctx);
    /* After the backward step of layer l: delta (B, n) = δ[l], grad_w (n, n)
     * = ∂loss/∂W[l] (row-major, out × in), grad_b (n) = ∂loss/∂b[l]. */
    void (*backward_layer)(void *ctx, int layer, const void *delta, const void *grad_w,
                           const void *grad_b);
    void *ctx;
} gs_net_observer;

gs_net *net_create(void);
void net_destroy(gs_net **net);
/* Bytes the workspace may use from now on (0, the default: no limit). */
void net_set_memory_limit(gs_net *net, size_t bytes);

/* Builds the network of cfg: picks its memory plan, sizes the buffers and
 * draws U (when stored), β, x and r (or y) from the counter-based generator.
 * Fails (GS_EXIT_RESOURCES) if no plan fits the limit or memory runs out,
 * (GS_EXIT_INTERNAL) if LAPACK fails on an orthogonal draw. */
int net_prepare(gs_net *net, const gs_config *cfg, const gs_net_observer *obs, gs_error *err);

/* Forward pass; fills res->layers[l-1] forward statistics (q, preact_mean, c,
 * act_ch_*, saturated_frac, dead_frac) and returns the loss. With
 * jacobian_samples K > 0 it carries the input-output Jacobian of the first K
 * samples along (jacobian.h) and fills res->jacobian[l-1] and res->jac_sv,
 * jac_sv_max, jac_sv_min where res has room for them (non-NULL). */
double net_forward(gs_net *net, gs_result *res, const gs_net_observer *obs);
/* Backward pass (after net_forward); fills delta_sq, grad_w_norm, grad_b_norm
 * and finishes res: ratios, status, first_nonfinite_layer. */
void net_backward(gs_net *net, gs_result *res, const gs_net_observer *obs);

/* prepare + forward + backward, timed into res->elapsed_s. On failure
 * res->status is GS_STATUS_FAILED and err says why; abandoned by the
 * observer, it is GS_STATUS_PENDING and the code GS_EXIT_INTERRUPTED. */
int net_run(gs_net *net, const gs_config *cfg, gs_result *res, const gs_net_observer *obs,
            gs_error *err);

/* The current network's buffers, in its precision, for tests and export:
 * U[l] (n, n) for 1 ≤ l ≤ L, β[l] (n), x (B, n), r or y (B, n). Writable, so a
 * test can perturb a weight and run net_forward again. Under the store-all
 * plan the U[l] are consecutive: net_unit_weights(net, 1) holds all L. */
void *net_unit_weights(gs_net *net, int layer);
void *net_unit_biases(gs_net *net, int layer);
void *net_input(gs_net *net);
void *net_loss_vectors(gs_net *net);
/* a[L] (B, outputs) after net_forward, in the precision: what the network puts out. */
const void *net_output(gs_net *net);

/* With jacobian_samples K > 0, after net_forward: J[L] = ∂a[L]/∂x of sample
 * 0 ≤ sample < K (jacobian.h) into out, (outputs, inputs) row-major in double
 * at its true scale (inf or 0 where double cannot hold it). Returns 0, or -1
 * when there is no such sample or the pass did not reach the last layer. */
int net_jacobian(const gs_net *net, int sample, double *out);

#endif
