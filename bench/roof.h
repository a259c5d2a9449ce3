/* SPDX-License-Identifier: MIT */
/* roof.h — the core's peak floating-point rate: a loop of independent fused
 * multiply-adds in the widest vector instructions the CPU has (AVX-512,
 * AVX2+FMA, or SSE2 multiply and add), so that the benchmark can say how
 * close a figure comes to what the hardware can do, whatever BLAS kernel
 * happens to be loaded. */
#ifndef GRADSWEEP_BENCH_ROOF_H
#define GRADSWEEP_BENCH_ROOF_H

typedef struct roof {
    const char *isa;  /* "AVX-512", "AVX2+FMA" or "SSE2" */
    double flops_f32; /* flop/s of one core, single precision */
    double flops_f64; /* double precision */
} roof;

/* Measures for about `seconds` per precision (best of several runs). */
roof roof_measure(double seconds);

#endif
