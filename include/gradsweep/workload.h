/* SPDX-License-Identifier: MIT */
/* workload.h — the sweep as work for the ranks: which configurations share
 * their random draws (the scheduler's and the simulator's groups), and
 * whether every configuration fits the memory a rank may use. Rank-free and
 * MPI-free: every rank reaches the same verdict. */
#ifndef GRADSWEEP_WORKLOAD_H
#define GRADSWEEP_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "gradsweep/common.h"
#include "gradsweep/grid.h"
#include "gradsweep/spec.h"

/* The group of every configuration into group[0 … N-1]: configurations of
 * one group draw the same random weights (their draw keys are equal,
 * draw.h), so the scheduler keeps a rank on one group and the rank draws them
 * once (taskpool.h). Groups are numbered in the grid's canonical order. */
void workload_groups(const gs_grid *grid, int64_t *group);

/* Every configuration of spec must fit limit bytes (0: no limit), if need be
 * by redrawing weights and checkpointing activations (net.h); otherwise
 * GS_EXIT_RESOURCES, naming the network shape that needs most, so that
 * raising the limit to that figure makes the whole sweep fit. */
int workload_check_memory(const gs_spec *spec, size_t limit, gs_error *err);

/* Training sweeps: the bytes a rank holds for cfg beyond the network's
 * measurement at initialization (the data, and the trainer's parameters,
 * optimizer state and passes: train.h); 0 without training. */
size_t workload_training_bytes(const gs_spec *spec, const gs_config *cfg);
/* The memory limit left to cfg's measurement at initialization (net.h's
 * plans) once training has what it needs; limit itself without training. */
size_t workload_net_limit(const gs_spec *spec, const gs_config *cfg, size_t limit);

#endif
