/* SPDX-License-Identifier: MIT */
/* lsan_probe.c — can LeakSanitizer check a process that loads what gradsweep
 * loads (Open MPI, parallel HDF5, OpenBLAS) on this machine?
 *
 * It initialises and finalises MPI, HDF5 and OpenBLAS as gradsweep does, and
 * leaks one block on purpose. probe.py runs it: a working leak check reports
 * that block (so the check is shown able to fail); a broken one crashes in
 * its tracer instead (on some machines the tracer reads a nonsense range of
 * dynamic TLS left by libOpenCL, which hwloc's OpenCL plugin loads inside
 * MPI_Init; see probe.py). */
#define _GNU_SOURCE /* dl_iterate_phdr */
#include <cblas.h>
#include <hdf5.h>
#include <link.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The block leaked on purpose; its name is what probe.py looks for. */
__attribute__((noinline)) static void *gs_probe_deliberate_leak(void) {
    void *p = malloc(4096);
    if (p) memset(p, 0x5a, 4096);
    return p;
}

static void *volatile leaked;

/* Every loaded object with a TLS block, and its module id: what the
 * sanitizer's "__tls_get_addr: … {0xID,…}" lines refer to. */
static int print_tls_module(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    (void)data;
    if (info->dlpi_tls_modid)
        printf("lsan_probe: tls module %zu %s\n", info->dlpi_tls_modid,
               info->dlpi_name[0] ? info->dlpi_name : "(the program)");
    return 0;
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    unsigned major = 0, minor = 0, release = 0;
    H5get_libversion(&major, &minor, &release);
    double a[4] = {1, 2, 3, 4}, b[4] = {1, 0, 0, 1}, c[4] = {0};
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 2, 2, 2, 1.0, a, 2, b, 2, 0.0, c, 2);
    if (c[0] != 1 || c[3] != 4) {
        fprintf(stderr, "lsan_probe: the BLAS computed a wrong 2x2 product\n");
        return 1;
    }
    leaked = gs_probe_deliberate_leak();
    leaked = NULL; /* now unreachable: a leak */
    if (rank == 0) {
        printf("lsan_probe: HDF5 %u.%u.%u, MPI up, one block leaked\n", major, minor, release);
        dl_iterate_phdr(print_tls_module, NULL);
        fflush(stdout);
    }
    MPI_Finalize();
    return 0;
}
