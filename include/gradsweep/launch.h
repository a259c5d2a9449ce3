/* SPDX-License-Identifier: MIT */
/* launch.h — how this process was started and what it may use: the checks
 * that catch a launch that would run the sweep wrongly (srun without an MPI
 * it can talk to), the memory a rank may use, and OpenBLAS's thread count.
 *
 * srun without a PMI that this MPI speaks fails in one of two ways: Open
 * MPI 4 aborts inside MPI_Init ("OMPI was not built with SLURM's PMI
 * support"), Open MPI 5 starts every task as its own one-rank job (N copies
 * of the sweep writing one file). The first is caught before MPI_Init, the
 * second after; both exit with GS_EXIT_LAUNCH and say how to launch. */
#ifndef GRADSWEEP_LAUNCH_H
#define GRADSWEEP_LAUNCH_H

#include <mpi.h>
#include <stddef.h>

#include "gradsweep/common.h"

/* Before MPI_Init: srun started several tasks and none has a PMI that MPI
 * can use. Then the first task prints why (one line on stderr) and every
 * task gets GS_EXIT_LAUNCH; otherwise 0. */
int launch_check_srun(void);

/* After MPI_Init, for commands that compute (run, export): srun started
 * several tasks but MPI sees one rank (each task a singleton job). */
int launch_check_ranks(int size, gs_error *err);

/* The bytes a rank may use, the same on every rank (collective):
 * max_memory (--max-memory) if set, else the node's available memory less a
 * tenth (for MPI, HDF5 and the system) shared by the ranks on the node; the
 * smallest over all ranks. 0 if unknown. */
size_t launch_memory_limit(MPI_Comm comm, size_t max_memory);

/* OpenBLAS threads per rank: requested (--blas-threads) if > 0, else
 * OPENBLAS_NUM_THREADS when the user set it, else 1. */
void launch_set_blas_threads(int requested);

#endif
