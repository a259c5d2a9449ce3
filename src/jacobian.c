/* SPDX-License-Identifier: MIT */
/* jacobian.c — the input-output Jacobian's statistics and singular values
 * (see jacobian.h), written once in jacobian_kernels.inc and included for
 * each precision. */
#include "gradsweep/jacobian.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#include "gradsweep/plan.h"
#include "gradsweep/stats.h"

/* LAPACK (OpenBLAS ships it; Debian has no LAPACKE for it): the singular
 * values of a general matrix by divide and conquer. */
void dgesdd_(const char *jobz, const int *m, const int *n, double *a, const int *lda, double *s,
             double *u, const int *ldu, double *vt, const int *ldvt, double *work, const int *lwork,
             int *iwork, int *info);

/* The singular values of the m×n column-major matrix a (destroyed) into s
 * (min(m, n) of them, descending); work and iwork as jacobian_svd_work_doubles
 * counts them. Returns LAPACK's info. */
static int singular_values(double *a, int m, int n, double *s, double *work) {
    int mn = m < n ? m : n, lda = m > 1 ? m : 1, one = 1, info = 0;
    size_t total = jacobian_svd_work_doubles(m, n);
    int lwork = (int)(total - 4 * (size_t)mn); /* the rest holds iwork: 8·mn ints */
    int *iwork = (int *)(work + lwork);
    double none = 0;
    dgesdd_("N", &m, &n, a, &lda, s, &none, &one, &none, &one, work, &lwork, iwork, &info);
    return info;
}

#define KERNELS "jacobian_kernels.inc"
#include "each_precision.h"
