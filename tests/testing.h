/* SPDX-License-Identifier: MIT */
/* testing.h — the few assertion macros the C unit tests use. A failed check
 * prints file, line, the expression and the values, and is counted; main()
 * returns the count so CTest sees the failure. */
#ifndef GRADSWEEP_TESTING_H
#define GRADSWEEP_TESTING_H

#include <math.h>
#include <stdio.h>
#include <string.h>

static int test_failures;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
            test_failures++;                                                                       \
        }                                                                                          \
    } while (0)

#define CHECK_MSG(cond, ...)                                                                       \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);               \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            test_failures++;                                                                       \
        }                                                                                          \
    } while (0)

/* |a - b| <= tol, printing both values on failure; NaN never passes. */
#define CHECK_NEAR(a, b, tol)                                                                      \
    do {                                                                                           \
        double a_ = (a), b_ = (b), t_ = (tol);                                                     \
        if (!(fabs(a_ - b_) <= t_)) {                                                              \
            fprintf(stderr, "%s:%d: check failed: %s = %.17g, %s = %.17g, |diff| %.3g > %.3g\n",   \
                    __FILE__, __LINE__, #a, a_, #b, b_, fabs(a_ - b_), t_);                        \
            test_failures++;                                                                       \
        }                                                                                          \
    } while (0)

#define CHECK_STR_CONTAINS(haystack, needle)                                                       \
    do {                                                                                           \
        const char *h_ = (haystack), *n_ = (needle);                                               \
        if (!h_ || !strstr(h_, n_)) {                                                              \
            fprintf(stderr, "%s:%d: check failed: \"%s\" does not contain \"%s\"\n", __FILE__,     \
                    __LINE__, h_ ? h_ : "(null)", n_);                                             \
            test_failures++;                                                                       \
        }                                                                                          \
    } while (0)

#define RUN(test)                                                                                  \
    do {                                                                                           \
        int before_ = test_failures;                                                               \
        test();                                                                                    \
        fprintf(stderr, "%-40s %s\n", #test, test_failures == before_ ? "ok" : "FAILED");          \
    } while (0)

#define TEST_MAIN_END() return test_failures ? 1 : 0

#endif
