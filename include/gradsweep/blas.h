/* SPDX-License-Identifier: MIT */
/* blas.h — the BLAS library behind the GEMMs: which kernel it runs and why,
 * a start-up check that the kernel computes right, threads per rank, and the
 * library's configuration string for the results file.
 *
 * The kernel. OpenBLAS built with DYNAMIC_ARCH (Debian's) picks its GEMM
 * kernels when it loads, from the CPU model; a model it does not know gets a
 * generic kernel (Debian 12's 0.3.21 runs its SSE3 "Prescott" kernels on
 * Intel's Sapphire/Emerald Rapids, 4.6× below what the same library does
 * there with its AVX-512 "SkylakeX" kernels). blas_choose_kernel() looks at
 * the CPU's instruction sets and, where the library fell back below them,
 * re-runs the library's own kernel selection with the matching kernel named
 * (docs/performance.md, "The GEMM kernel"). The rule, in order:
 *   1. OPENBLAS_CORETYPE set by the user: left alone (the user's choice wins);
 *   2. GRADSWEEP_BLAS_KERNEL=library: the library's own choice, left alone;
 *   3. the library's kernel targets an older instruction set than the CPU
 *      has (AVX-512 > AVX2+FMA > AVX > SSE): the kernel for the CPU's
 *      (SkylakeX, Haswell or Zen, Sandybridge) is selected instead;
 *   4. otherwise the library's choice stands.
 * The choice is deterministic (never a timing), so a sweep's results stay
 * bitwise reproducible on the same machine. */
#ifndef GRADSWEEP_BLAS_H
#define GRADSWEEP_BLAS_H

#include "gradsweep/common.h"

/* Applies the rule above. Call once, first thing in main(), before any
 * BLAS call and before any thread is started. GS_EXIT_USAGE for a
 * GRADSWEEP_BLAS_KERNEL value other than auto or library; 0 otherwise
 * (a kernel that cannot be switched is reported, not an error). */
int blas_choose_kernel(gs_error *err);

/* The kernel in use, as the library names it ("SkylakeX"). */
const char *blas_kernel(void);
/* How it was chosen, one line for the results file and --version: starts with
 * "auto:", "library:" or "user:" (e.g. "auto: OpenBLAS picked Prescott (SSE3)
 * on a CPU with AVX-512 (GenuineIntel family 6 model 207); SkylakeX instead"). */
const char *blas_kernel_choice(void);

/* The start-up self-check: the three products the network computes
 * (a·Wᵀ, δᵀ·a, δ·W), in float and double, at a size the library serves with
 * its small-matrix code and one it serves with its blocked kernels, against
 * a plain-C reference with a rounding-error bound. A few milliseconds. A
 * wrong product fails with GS_EXIT_BLAS and a message naming the kernel, the
 * product, the largest error and what to do. GRADSWEEP_TEST_GEMM_FAULT=1 (for
 * the tests only) makes the check hand the real BLAS a transposed operand in
 * one product, so that the refusal can be seen to happen. */
int blas_self_check(gs_error *err);

/* Switches to the named kernel of the library (bench: comparing kernels in
 * one process). 0 if it now runs that kernel, -1 if the library cannot switch
 * or does not know the name. */
int blas_use_kernel(const char *name);
/* The library's kernels that this CPU can execute (names as the library
 * spells them, in order of instruction set), up to max; returns the count. */
int blas_runnable_kernels(const char **names, int max);
/* The CPU's widest vector instruction set the kernels care about:
 * "AVX-512", "AVX2+FMA", "AVX", "SSE3" (or "unknown" off x86-64). */
const char *blas_cpu_isa(void);

/* Threads for every following BLAS/LAPACK call of this process (>= 1). */
void blas_set_threads(int threads);
int blas_threads(void);
/* OpenBLAS's description of itself, e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH
 * NO_AFFINITY SkylakeX MAX_THREADS=64" (the kernel actually in use). */
const char *blas_config(void);

/* This process's GEMM rate in flop/s for a (batch × width) · (width × width)
 * product in single (f32 != 0) or double precision, measured for about
 * `seconds`: the --dry-run time estimate's yardstick. */
double blas_measure_flops(int f32, int width, int batch, double seconds);

#endif
