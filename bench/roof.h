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

/* Seconds of CPU time this thread has used (CLOCK_THREAD_CPUTIME_ID): the
 * benchmark's clock. On a machine shared with other work a wall clock counts
 * the time the thread waited for a core; this one does not, so ratios and
 * rates hold under load (cache and memory contention still show). */
double bench_cpu_now(void);

#endif
