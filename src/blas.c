/* SPDX-License-Identifier: MIT */
/* blas.c — OpenBLAS's kernel choice, the GEMM self-check and the runtime
 * settings, behind blas.h so that nothing else names the library.
 *
 * Switching kernels: a DYNAMIC_ARCH OpenBLAS selects its kernel table in its
 * load-time constructor (gotoblas_dynamic_init, reading OPENBLAS_CORETYPE)
 * and exports that function and its counterpart gotoblas_dynamic_quit.
 * Calling the pair again, with OPENBLAS_CORETYPE naming the kernel, re-runs
 * the library's own selection: its name matching, its check that the CPU can
 * execute the kernel, its per-kernel parameters. That is done before any BLAS
 * call, so no buffer sized for the first kernel exists yet (and the library
 * sizes them for the largest kernel anyway). Why not the alternatives: a
 * re-exec of the program with the variable set runs MPI's and the sanitizers'
 * start-up twice, loses valgrind (which does not follow an exec unless told)
 * and surprises a debugger; loading the library with dlopen after setting the
 * variable would put every BLAS call behind a function pointer. The entry
 * points are looked up with dlsym, so a BLAS without them (another library,
 * or an OpenBLAS built for one CPU) links as before and keeps its kernel. */
#include "gradsweep/blas.h"

#include <cblas.h>
#include <dlfcn.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

/* ---- the CPU's instruction sets ------------------------------------------------ */

/* What a GEMM kernel may use, widest last. */
typedef enum isa { ISA_UNKNOWN, ISA_SSE3, ISA_AVX, ISA_AVX2, ISA_AVX512 } isa;

static const char *const isa_names[] = {"unknown", "SSE3", "AVX", "AVX2+FMA", "AVX-512"};

typedef struct cpu {
    isa level;
    bool bf16; /* AVX512_BF16 (OpenBLAS's Cooperlake kernels need it) */
    bool amd;  /* AuthenticAMD or HygonGenuine: Zen kernels rather than Haswell */
    char vendor[13];
    unsigned family, model;
} cpu;

#if defined(__x86_64__)
/* The operating system saves these register states on a context switch
 * (XCR0): without that the instructions fault even where the CPU has them. */
static uint64_t xcr0(void) {
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (uint64_t)hi << 32 | lo;
}

static cpu detect_cpu(void) {
    cpu c = {ISA_SSE3, false, false, "", 0, 0};
    unsigned a, b, cx, d;
    if (!__get_cpuid(0, &a, &b, &cx, &d)) return c;
    unsigned max_leaf = a;
    memcpy(c.vendor, &b, 4);
    memcpy(c.vendor + 4, &d, 4);
    memcpy(c.vendor + 8, &cx, 4);
    c.amd = !strcmp(c.vendor, "AuthenticAMD") || !strcmp(c.vendor, "HygonGenuine");
    __get_cpuid(1, &a, &b, &cx, &d);
    unsigned base_family = (a >> 8) & 0xf, base_model = (a >> 4) & 0xf;
    c.family = base_family == 0xf ? base_family + ((a >> 20) & 0xff) : base_family;
    c.model =
        base_family == 0x6 || base_family == 0xf ? base_model | ((a >> 16) & 0xf) << 4 : base_model;
    bool osxsave = cx & (1u << 27), avx = cx & (1u << 28), fma = cx & (1u << 12);
    uint64_t xcr = osxsave ? xcr0() : 0;
    if (!(avx && (xcr & 0x6) == 0x6) || max_leaf < 7) {
        c.level = avx && (xcr & 0x6) == 0x6 ? ISA_AVX : ISA_SSE3;
        return c;
    }
    c.level = ISA_AVX;
    __get_cpuid_count(7, 0, &a, &b, &cx, &d);
    bool avx2 = b & (1u << 5);
    /* SkylakeX kernels: AVX512 F, DQ, CD, BW, VL and the opmask/ZMM states */
    const unsigned avx512 = 1u << 16 | 1u << 17 | 1u << 28 | 1u << 30 | 1u << 31;
    unsigned max_subleaf = a;
    if (avx2 && fma) c.level = ISA_AVX2;
    if (c.level == ISA_AVX2 && (b & avx512) == avx512 && (xcr & 0xe6) == 0xe6) {
        c.level = ISA_AVX512;
        if (max_subleaf >= 1) {
            __get_cpuid_count(7, 1, &a, &b, &cx, &d);
            c.bf16 = a & (1u << 5);
        }
    }
    return c;
}
#else
static cpu detect_cpu(void) { return (cpu){ISA_UNKNOWN, false, false, "", 0, 0}; }
#endif

/* ---- the library's kernels ----------------------------------------------------- */

/* OpenBLAS's x86-64 kernels (as openblas_get_corename() spells them), with
 * the instruction set each needs; amd: uses AMD-only instructions (FMA4,
 * XOP) or is tuned for AMD's cores. The table symbol is how the library
 * exports the kernel (gotoblas_SKYLAKEX, ...). */
typedef struct kernel {
    const char *name, *table;
    isa level;
    bool amd;
} kernel;

static const kernel kernels[] = {
    {"Prescott", "gotoblas_PRESCOTT", ISA_SSE3, false},
    {"Core2", "gotoblas_CORE2", ISA_SSE3, false},
    {"Penryn", "gotoblas_PENRYN", ISA_SSE3, false},
    {"Dunnington", "gotoblas_DUNNINGTON", ISA_SSE3, false},
    {"Nehalem", "gotoblas_NEHALEM", ISA_SSE3, false},
    {"Atom", "gotoblas_ATOM", ISA_SSE3, false},
    {"Nano", "gotoblas_NANO", ISA_SSE3, false},
    {"Opteron", "gotoblas_OPTERON", ISA_SSE3, true},
    {"Opteron_SSE3", "gotoblas_OPTERON_SSE3", ISA_SSE3, true},
    {"Barcelona", "gotoblas_BARCELONA", ISA_SSE3, true},
    {"Bobcat", "gotoblas_BOBCAT", ISA_SSE3, true},
    {"Sandybridge", "gotoblas_SANDYBRIDGE", ISA_AVX, false},
    {"Bulldozer", "gotoblas_BULLDOZER", ISA_AVX, true},
    {"Piledriver", "gotoblas_PILEDRIVER", ISA_AVX, true},
    {"Steamroller", "gotoblas_STEAMROLLER", ISA_AVX, true},
    {"Excavator", "gotoblas_EXCAVATOR", ISA_AVX2, true},
    {"Haswell", "gotoblas_HASWELL", ISA_AVX2, false},
    {"Zen", "gotoblas_ZEN", ISA_AVX2, false},
    {"SkylakeX", "gotoblas_SKYLAKEX", ISA_AVX512, false},
    {"Cooperlake", "gotoblas_COOPERLAKE", ISA_AVX512, false},
    {"SapphireRapids", "gotoblas_SAPPHIRERAPIDS", ISA_AVX512, false},
};
#define N_KERNELS (int)(sizeof kernels / sizeof kernels[0])

static const kernel *kernel_named(const char *name) {
    for (int k = 0; name && k < N_KERNELS; k++)
        if (!strcasecmp(kernels[k].name, name)) return &kernels[k];
    return NULL;
}

static void *library_symbol(const char *name) {
    static void *self;
    if (!self) self = dlopen(NULL, RTLD_NOW);
    return self ? dlsym(self, name) : NULL;
}

static bool library_offers(const kernel *k) { return library_symbol(k->table) != NULL; }

static bool can_run(const cpu *c, const kernel *k) {
    if (k->level > c->level) return false;
    if (!strcmp(k->name, "Cooperlake") && !c->bf16) return false;
    if (!strcmp(k->name, "SapphireRapids")) return false; /* AMX: not probed here */
    return !k->amd || c->amd;
}

/* The kernel for a CPU of this instruction set. AVX-512: SkylakeX, whose
 * single and double GEMMs Cooperlake and SapphireRapids reuse (they add
 * bfloat16 routines gradsweep does not call); measured alike here
 * (docs/performance.md). */
static const char *kernel_for(const cpu *c) {
    switch (c->level) {
    case ISA_AVX512: return "SkylakeX";
    case ISA_AVX2: return c->amd ? "Zen" : "Haswell";
    case ISA_AVX: return "Sandybridge";
    default: return NULL;
    }
}

/* ---- choosing -------------------------------------------------------------------- */

static struct {
    bool chosen;
    char choice[1024];
} state;

const char *blas_kernel(void) {
    const char *name = openblas_get_corename();
    return name ? name : "unknown";
}

const char *blas_kernel_choice(void) {
    return state.chosen ? state.choice : "library: the library's own detection";
}

const char *blas_cpu_isa(void) {
    cpu c = detect_cpu();
    return isa_names[c.level];
}

int blas_use_kernel(const char *name) {
    void (*quit)(void) = (void (*)(void))library_symbol("gotoblas_dynamic_quit");
    void (*init)(void) = (void (*)(void))library_symbol("gotoblas_dynamic_init");
    if (!quit || !init || !name) return -1;
    const char *was = getenv("OPENBLAS_CORETYPE");
    char *saved = was ? strdup(was) : NULL;
    setenv("OPENBLAS_CORETYPE", name, 1);
    quit();
    init();
    /* the environment stays the user's: child processes see what we saw */
    if (saved)
        setenv("OPENBLAS_CORETYPE", saved, 1);
    else
        unsetenv("OPENBLAS_CORETYPE");
    free(saved);
    return strcasecmp(blas_kernel(), name) == 0 ? 0 : -1;
}

int blas_runnable_kernels(const char **names, int max) {
    cpu c = detect_cpu();
    int count = 0;
    for (int k = 0; k < N_KERNELS && count < max; k++)
        if (can_run(&c, &kernels[k]) && library_offers(&kernels[k]))
            names[count++] = kernels[k].name;
    return count;
}

int blas_choose_kernel(gs_error *err) {
    state.chosen = true;
    const char *user = getenv("OPENBLAS_CORETYPE");
    if (user && *user) {
        snprintf(state.choice, sizeof state.choice,
                 "user: OPENBLAS_CORETYPE=%.64s (the user's value is never overridden)", user);
        return 0;
    }
    const char *mode = getenv("GRADSWEEP_BLAS_KERNEL");
    if (mode && *mode && strcmp(mode, "auto") != 0 && strcmp(mode, "library") != 0)
        return gs_fail(err, GS_EXIT_USAGE,
                       "GRADSWEEP_BLAS_KERNEL=%s: expected auto (the default: the kernel for "
                       "this CPU) or library (the BLAS library's own choice); to run a given "
                       "OpenBLAS kernel set OPENBLAS_CORETYPE instead",
                       mode);
    cpu c = detect_cpu();
    const char *picked = blas_kernel();
    const kernel *k = kernel_named(picked);
    if (mode && !strcmp(mode, "library")) {
        snprintf(state.choice, sizeof state.choice,
                 "library: GRADSWEEP_BLAS_KERNEL=library keeps the library's own choice (%s)",
                 picked);
        return 0;
    }
    if (!k || c.level == ISA_UNKNOWN || k->level >= c.level) {
        snprintf(state.choice, sizeof state.choice,
                 "library: the library's own choice (%s)%s%s matches this CPU (%s)", picked,
                 k ? ", for " : "", k ? isa_names[k->level] : "", isa_names[c.level]);
        return 0;
    }
    const char *wanted = kernel_for(&c);
    char detected[64];
    snprintf(detected, sizeof detected, "%.12s family %u model %u", c.vendor, c.family, c.model);
    if (blas_use_kernel(wanted) != 0) {
        const char *now = blas_kernel();
        snprintf(state.choice, sizeof state.choice,
                 "library: OpenBLAS picked %s (%s) on a CPU with %s (%s); switching to %s "
                 "failed (this build cannot switch kernels), %s runs; set OPENBLAS_CORETYPE=%s "
                 "before starting to try",
                 picked, isa_names[k->level], isa_names[c.level], detected, wanted, now, wanted);
        return 0;
    }
    snprintf(state.choice, sizeof state.choice,
             "auto: OpenBLAS picked %s (%s) on a CPU with %s (%s); %s instead "
             "(GRADSWEEP_BLAS_KERNEL=library keeps the library's choice)",
             picked, isa_names[k->level], isa_names[c.level], detected, wanted);
    return 0;
}

/* ---- the self-check ---------------------------------------------------------------- */

/* Deterministic values in [-1, 1) with 12 significant bits: exact in float. */
static void fill(double *v, size_t count, uint32_t seed) {
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < count; i++) {
        x = x * 1664525u + 1013904223u;
        v[i] = (double)(int32_t)(x >> 20 & 0xfff) / 2048.0 - 1.0;
    }
}

typedef struct product {
    const char *what; /* as the network names it */
    enum CBLAS_TRANSPOSE ta, tb;
} product;

/* C = alpha op(A) op(B) + beta C, row-major, m × n, inner dimension k,
 * against a reference that is exact: the entries have 12 significant bits,
 * so every product a·b is exact in double and so is every partial sum (they
 * are multiples of 2^-22 below 2^7). A correct kernel is within
 * (k + 2) u (|alpha| Σ|a||b| + |beta| |c|) of it whatever its summation
 * order; beyond twice that, the product is wrong. */
static int check_product(bool f32, const product *p, int m, int n, int k, bool fault,
                         gs_error *err) {
    const double alpha = 0.75, beta = 0.5;
    const size_t sa = (size_t)m * k, sb = (size_t)k * n, sc = (size_t)m * n;
    double *a = gs_malloc((2 * sa + 2 * sb + 2 * sc) * sizeof *a), *b = a + sa, *c0 = b + sb;
    double *c = c0 + sc, *op_a = c + sc, *op_bt = op_a + sa; /* op(A) (m, k), op(B)ᵀ (n, k) */
    fill(a, sa, (uint32_t)(m + 3 * k));
    fill(b, sb, (uint32_t)(n + 5 * k));
    fill(c0, sc, (uint32_t)(m + 7 * n));
    int lda = p->ta == CblasNoTrans ? k : m, ldb = p->tb == CblasNoTrans ? n : k;
    /* the test hook: op(B) of the wrong orientation (B is square here), a
     * real product the library computes, and the wrong one */
    enum CBLAS_TRANSPOSE tb = fault ? (p->tb == CblasNoTrans ? CblasTrans : CblasNoTrans) : p->tb;
    if (f32) {
        float *fa = gs_malloc((sa + sb + sc) * sizeof *fa), *fb = fa + sa, *fc = fb + sb;
        for (size_t i = 0; i < sa; i++)
            fa[i] = (float)a[i];
        for (size_t i = 0; i < sb; i++)
            fb[i] = (float)b[i];
        for (size_t i = 0; i < sc; i++)
            fc[i] = (float)c0[i];
        cblas_sgemm(CblasRowMajor, p->ta, tb, m, n, k, (float)alpha, fa, lda, fb, ldb, (float)beta,
                    fc, n);
        for (size_t i = 0; i < sc; i++)
            c[i] = fc[i];
        free(fa);
    } else {
        memcpy(c, c0, sc * sizeof *c);
        cblas_dgemm(CblasRowMajor, p->ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, n);
    }
    for (int i = 0; i < m; i++)
        for (int q = 0; q < k; q++)
            op_a[(size_t)i * k + q] =
                p->ta == CblasNoTrans ? a[(size_t)i * k + q] : a[(size_t)q * m + i];
    for (int j = 0; j < n; j++)
        for (int q = 0; q < k; q++)
            op_bt[(size_t)j * k + q] =
                p->tb == CblasNoTrans ? b[(size_t)q * n + j] : b[(size_t)j * k + q];
    const double u = f32 ? 0x1p-24 : 0x1p-53;
    int rc = 0;
    for (int i = 0; i < m && !rc; i++) {
        const double *x = op_a + (size_t)i * k;
        for (int j = 0; j < n; j++) {
            const double *y = op_bt + (size_t)j * k;
            double exact = 0, magnitude = 0;
            for (int q = 0; q < k; q++) {
                exact += x[q] * y[q];
                magnitude += fabs(x[q] * y[q]);
            }
            double c_in = c0[(size_t)i * n + j], got = c[(size_t)i * n + j];
            exact = alpha * exact + beta * c_in;
            double bound = 2 * (k + 2) * u * (alpha * magnitude + beta * fabs(c_in));
            double error = fabs(got - exact);
            if (!(error <= bound)) {
                rc = gs_fail(err, GS_EXIT_BLAS,
                             "the BLAS kernel %s computes wrong %s products: %s (%d × %d, "
                             "inner %d), entry (%d, %d) is %.9g, should be %.9g (error %.3g, "
                             "rounding allows %.3g); refusing to run. Choose another kernel "
                             "with OPENBLAS_CORETYPE (e.g. Haswell or Prescott), or another "
                             "BLAS, and report this (docs/performance.md, \"The GEMM kernel\")",
                             blas_kernel(), f32 ? "sgemm" : "dgemm", p->what, m, n, k, i, j, got,
                             exact, error, bound);
                break;
            }
        }
    }
    free(a);
    return rc;
}

int blas_self_check(gs_error *err) {
    /* the network's three products: forward a·Wᵀ, backward δᵀ·a and δ·W */
    static const product products[] = {
        {"a·Wᵀ", CblasNoTrans, CblasTrans},
        {"δᵀ·a", CblasTrans, CblasNoTrans},
        {"δ·W", CblasNoTrans, CblasNoTrans},
    };
    /* (m, n = k): odd sizes for the edge code; the first is served by
     * OpenBLAS's small-matrix code where the kernel has one (m n k <= 100³),
     * the second by its packed, blocked kernel */
    static const int sizes[][2] = {{13, 11}, {96, 112}};
    const char *fault = getenv("GRADSWEEP_TEST_GEMM_FAULT");
    bool faulty = fault && *fault && strcmp(fault, "0") != 0;
    int threads = blas_threads();
    blas_set_threads(1);
    int rc = 0;
    for (int f32 = 1; f32 >= 0 && !rc; f32--)
        for (int s = 0; s < 2 && !rc; s++)
            for (int p = 0; p < 3 && !rc; p++) {
                rc = check_product(f32, &products[p], sizes[s][0], sizes[s][1], sizes[s][1],
                                   faulty && s == 1 && p == 0, err);
            }
    blas_set_threads(threads);
    return rc;
}

/* ---- settings ---------------------------------------------------------------------- */

void blas_set_threads(int threads) { openblas_set_num_threads(threads < 1 ? 1 : threads); }

int blas_threads(void) { return openblas_get_num_threads(); }

const char *blas_config(void) {
    const char *config = openblas_get_config();
    return config ? config : "unknown";
}

double blas_measure_flops(int f32, int width, int batch, double seconds) {
    /* Large shapes are measured at a capped size: the rate has saturated by
     * then and the measurement stays short. */
    int n = width < 1024 ? width : 1024, B = batch < 512 ? batch : 512;
    size_t es = f32 ? sizeof(float) : sizeof(double);
    char *a = gs_calloc((size_t)B * n, es), *w = gs_calloc((size_t)n * n, es);
    char *c = gs_calloc((size_t)B * n, es);
    double start = gs_cpu_now(), elapsed = 0; /* what a core spends, load or not */
    long calls = 0;
    do {
        if (f32)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, n, n, 1.0f, (float *)a, n,
                        (float *)w, n, 0.0f, (float *)c, n);
        else
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, n, n, 1.0, (double *)a, n,
                        (double *)w, n, 0.0, (double *)c, n);
        calls++;
        elapsed = gs_cpu_now() - start;
    } while (elapsed < seconds);
    free(a);
    free(w);
    free(c);
    return 2.0 * B * n * (double)n * calls / elapsed;
}
