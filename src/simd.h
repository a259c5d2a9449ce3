/* SPDX-License-Identifier: MIT */
/* simd.h — building a hot function three times, for AVX-512, AVX2 and the
 * x86-64 baseline, the loader picking the one the machine runs (GCC's
 * target_clones). The kernels are written to be vectorised; this lets them
 * use wide vectors where there are some without giving up old machines
 * (AVX-512 over AVX2: width-64 configurations 0.51 -> 0.59 of the GEMM rate,
 * docs/performance.md). Results do not depend on the clone: -ffp-contract=off
 * keeps all from fusing multiply-adds, sums keep the order the source gives
 * them (explicit lanes, no reassociation), and the vector and scalar
 * operations round alike; sweeps over every activation, init and precision
 * gave bitwise identical files from the AVX2-only and the AVX-512 builds.
 * GCC only: clang (14, Debian 12) emits the resolver of an exported clone only
 * in translation units that call it, so other files fail to link; clang
 * builds (the sanitizer and fuzz presets) get the baseline code. */
#ifndef GRADSWEEP_SIMD_H
#define GRADSWEEP_SIMD_H

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define SIMD_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define SIMD_CLONES
#endif

#endif
