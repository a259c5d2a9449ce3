/* SPDX-License-Identifier: MIT */
/* test_blas.c — the GEMM kernel gradsweep runs on: the choice is recorded,
 * every kernel of the installed BLAS that this CPU can execute passes the
 * start-up self-check, and the self-check refuses a wrong product (made by
 * the test hook, which hands the real BLAS a transposed operand).
 *
 * The process's own OPENBLAS_CORETYPE is never changed: the test runs with
 * whatever the environment says, as the suite must. */
#include <stdlib.h>
#include <string.h>

#include "gradsweep/blas.h"
#include "testing.h"

static void test_choice_is_recorded(void) {
    gs_error err = {0};
    CHECK(blas_choose_kernel(&err) == 0);
    const char *choice = blas_kernel_choice();
    CHECK_MSG(!strncmp(choice, "auto: ", 6) || !strncmp(choice, "library: ", 9) ||
                  !strncmp(choice, "user: ", 6),
              "%s", choice);
    /* the configuration string names the kernel that runs */
    CHECK_STR_CONTAINS(blas_config(), blas_kernel());
    const char *user = getenv("OPENBLAS_CORETYPE");
    if (user && *user) CHECK_STR_CONTAINS(choice, user);
    fprintf(stderr, "  kernel %s on a CPU with %s: %s\n", blas_kernel(), blas_cpu_isa(), choice);
}

static void test_self_check_passes(void) {
    gs_error err = {0};
    double start = gs_now();
    int rc = blas_self_check(&err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    fprintf(stderr, "  self-check of %s: %.1f ms\n", blas_kernel(), 1e3 * (gs_now() - start));
}

/* The thread count a user set survives the check (it runs on one thread). */
static void test_self_check_keeps_threads(void) {
    gs_error err = {0};
    blas_set_threads(2);
    CHECK(blas_self_check(&err) == 0);
    CHECK(blas_threads() == 2);
    blas_set_threads(1);
}

static void test_self_check_refuses_a_wrong_product(void) {
    setenv("GRADSWEEP_TEST_GEMM_FAULT", "1", 1);
    gs_error err = {0};
    int rc = blas_self_check(&err);
    unsetenv("GRADSWEEP_TEST_GEMM_FAULT");
    CHECK(rc == GS_EXIT_BLAS && err.code == GS_EXIT_BLAS);
    CHECK_STR_CONTAINS(err.msg, "computes wrong sgemm products");
    CHECK_STR_CONTAINS(err.msg, blas_kernel());
    CHECK_STR_CONTAINS(err.msg, "OPENBLAS_CORETYPE");
    gs_error again = {0};
    CHECK(blas_self_check(&again) == 0); /* the hook gone, the same BLAS passes */
}

/* Every kernel this CPU can run computes right, and switching back restores
 * the one chosen at start-up (the benchmark switches kernels this way). */
static void test_every_runnable_kernel_passes(void) {
    const char *names[32];
    int count = blas_runnable_kernels(names, 32);
    char original[64];
    snprintf(original, sizeof original, "%s", blas_kernel());
    if (count == 0) {
        /* a BLAS that cannot switch: the one kernel is checked above */
        fprintf(stderr, "  this BLAS offers no kernels to switch to (%s)\n", blas_config());
        return;
    }
    for (int k = 0; k < count; k++) {
        CHECK_MSG(blas_use_kernel(names[k]) == 0, "switching to %s", names[k]);
        gs_error err = {0};
        CHECK_MSG(blas_self_check(&err) == 0, "%s: %s", names[k], err.msg);
        fprintf(stderr, "  %s: self-check passed\n", blas_kernel());
    }
    CHECK(blas_use_kernel(original) == 0);
    CHECK(!strcmp(blas_kernel(), original));
    CHECK(blas_use_kernel("NoSuchKernel") != 0); /* the library keeps a kernel it knows */
    CHECK(blas_use_kernel(original) == 0);
}

int main(void) {
    RUN(test_choice_is_recorded);
    RUN(test_self_check_passes);
    RUN(test_self_check_keeps_threads);
    RUN(test_self_check_refuses_a_wrong_product);
    RUN(test_every_runnable_kernel_passes);
    TEST_MAIN_END();
}
