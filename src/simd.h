/* simd.h — building a hot function twice, for AVX2 and for the x86-64
 * baseline, the loader picking the one the machine runs (GCC's and clang's
 * target_clones). The kernels are written to be vectorised; this lets them
 * use 256-bit vectors where there are some without giving up old machines.
 * Results do not depend on the clone: -ffp-contract=off keeps both from
 * fusing multiply-adds, and the vector and scalar operations round alike.
 * GCC only: clang (14, Debian 12) emits the resolver of an exported clone only
 * in translation units that call it, so other files fail to link; clang
 * builds (the sanitizer and fuzz presets) get the baseline code. */
#ifndef GRADSWEEP_SIMD_H
#define GRADSWEEP_SIMD_H

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define SIMD_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define SIMD_CLONES
#endif

#endif
