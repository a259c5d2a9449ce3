/* SPDX-License-Identifier: MIT */
/* test_minibatch.c — the minibatch order: every epoch a permutation, the
 * same for the same key whatever the order of the calls, different for
 * another seed, and uniform over permutations within its sampling error. */
#include <stdint.h>
#include <stdlib.h>

#include "gradsweep/minibatch.h"
#include "testing.h"

static int is_permutation(const int64_t *perm, int64_t n) {
    char *seen = calloc((size_t)n, 1);
    int ok = 1;
    for (int64_t i = 0; i < n && ok; i++) {
        ok = perm[i] >= 0 && perm[i] < n && !seen[perm[i]];
        if (ok) seen[perm[i]] = 1;
    }
    free(seen);
    return ok;
}

static void test_epochs_are_permutations(void) {
    static const int64_t sizes[] = {1, 2, 7, 1000, 60000};
    gs_stream s = rng_stream(7, 3, 0, 0, 0, GS_DRAW_SHUFFLE);
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        int64_t n = sizes[k], *perm = malloc((size_t)n * sizeof *perm);
        for (int64_t epoch = 0; epoch < 3; epoch++) {
            batch_permutation(&s, n, epoch, perm);
            CHECK_MSG(is_permutation(perm, n), "n %lld epoch %lld", (long long)n, (long long)epoch);
        }
        free(perm);
    }
}

/* Minibatches 0 … count-1 of the order (base_seed, seed, n, B), B rows each. */
static int64_t *rows_of(uint64_t base_seed, uint64_t seed, int64_t n, int B, int64_t count,
                        int reverse) {
    gs_batch_order o;
    CHECK(batch_order_init(&o, base_seed, seed, n, B) == 0);
    int64_t *rows = malloc((size_t)(count * B) * sizeof *rows);
    for (int64_t i = 0; i < count; i++) {
        int64_t k = reverse ? count - 1 - i : i;
        batch_order_rows(&o, k, rows + k * B);
    }
    batch_order_free(&o);
    return rows;
}

static int same_rows(const int64_t *a, const int64_t *b, int64_t count) {
    for (int64_t i = 0; i < count; i++)
        if (a[i] != b[i]) return 0;
    return 1;
}

/* In order, backwards, and scattered over epochs: the same minibatches. */
static void test_independent_of_call_order(void) {
    const int64_t n = 103, count = 60; /* 3 epochs of 20 minibatches of 5 rows */
    const int B = 5;
    int64_t *forward = rows_of(11, 2, n, B, count, 0);
    int64_t *backward = rows_of(11, 2, n, B, count, 1);
    CHECK(same_rows(forward, backward, count * B));
    gs_batch_order o;
    CHECK(batch_order_init(&o, 11, 2, n, B) == 0);
    int64_t rows[5];
    static const int64_t scattered[] = {59, 0, 41, 40, 19, 20, 3, 58};
    for (size_t i = 0; i < sizeof scattered / sizeof *scattered; i++) {
        batch_order_rows(&o, scattered[i], rows);
        CHECK_MSG(same_rows(rows, forward + scattered[i] * B, B), "minibatch %lld",
                  (long long)scattered[i]);
    }
    batch_order_free(&o);
    int64_t *other_seed = rows_of(11, 3, n, B, count, 0);
    int64_t *other_base = rows_of(12, 2, n, B, count, 0);
    CHECK(!same_rows(forward, other_seed, count * B));
    CHECK(!same_rows(forward, other_base, count * B));
    free(forward);
    free(backward);
    free(other_seed);
    free(other_base);
}

/* Within an epoch minibatches hold distinct rows; the n mod B rows left out
 * change from epoch to epoch, so that over many epochs every row is used. */
static void test_epoch_layout(void) {
    const int64_t n = 10, epochs = 200;
    const int B = 3; /* 3 minibatches per epoch, one row left out */
    gs_batch_order o;
    CHECK(batch_order_init(&o, 5, 0, n, B) == 0);
    CHECK(batch_order_per_epoch(&o) == 3);
    int64_t left_out_count[10] = {0};
    for (int64_t e = 0; e < epochs; e++) {
        int used[10] = {0};
        for (int64_t k = 3 * e; k < 3 * e + 3; k++) {
            int64_t rows[3];
            batch_order_rows(&o, k, rows);
            for (int i = 0; i < B; i++)
                used[rows[i]]++;
        }
        int unused = 0;
        for (int r = 0; r < 10; r++) {
            CHECK(used[r] <= 1);
            if (!used[r]) unused++, left_out_count[r]++;
        }
        CHECK(unused == 1);
    }
    for (int r = 0; r < 10; r++) /* expected 20 of 200 each; 0 would be a layout bug */
        CHECK_MSG(left_out_count[r] > 3, "row %d left out %lld times", r,
                  (long long)left_out_count[r]);
    batch_order_free(&o);
    CHECK(batch_order_init(&o, 5, 0, 10, 11) == -1);
    CHECK(batch_order_init(&o, 5, 0, 10, 0) == -1);
    CHECK(batch_order_init(&o, 5, 0, 10, 10) == 0); /* one minibatch per epoch: all rows */
    batch_order_free(&o);
}

/* The index of a permutation of 0 … 4 in lexicographic order (0 … 119). */
static int permutation_rank(const int64_t *p) {
    int rank = 0, factorial[5] = {24, 6, 2, 1, 1};
    for (int i = 0; i < 5; i++) {
        int smaller = 0;
        for (int j = i + 1; j < 5; j++)
            smaller += p[j] < p[i];
        rank += smaller * factorial[i];
    }
    return rank;
}

/* Fisher–Yates with correct bounds gives each of the 120 permutations of 5
 * rows with probability 1/120 (a j drawn from 0 … i-1 instead of 0 … i, say,
 * gives only cyclic ones). Chi-square over 24000 epochs with fixed keys: 119
 * degrees of freedom, mean 119, sd 15.4; fail beyond five sd. */
static void test_uniform_over_permutations(void) {
    const int epochs = 24000;
    int count[120] = {0};
    gs_stream s = rng_stream(2024, 1, 0, 0, 0, GS_DRAW_SHUFFLE);
    for (int e = 0; e < epochs; e++) {
        int64_t perm[5];
        batch_permutation(&s, 5, e, perm);
        count[permutation_rank(perm)]++;
    }
    double expected = epochs / 120.0, chi2 = 0;
    for (int i = 0; i < 120; i++)
        chi2 += (count[i] - expected) * (count[i] - expected) / expected;
    CHECK_MSG(chi2 < 119 + 5 * 15.4, "chi-square %.1f over 119 degrees of freedom", chi2);
}

/* Far epochs: the element index e·n + i does not overflow for a billion steps. */
static void test_far_minibatch(void) {
    gs_batch_order o;
    CHECK(batch_order_init(&o, 1, 1, 60000, 128) == 0);
    int64_t rows[128];
    batch_order_rows(&o, 999999999, rows);
    CHECK(o.epoch == 999999999 / 468);
    CHECK(is_permutation(o.perm, 60000));
    batch_order_free(&o);
}

int main(void) {
    RUN(test_epochs_are_permutations);
    RUN(test_independent_of_call_order);
    RUN(test_epoch_layout);
    RUN(test_uniform_over_permutations);
    RUN(test_far_minibatch);
    TEST_MAIN_END();
}
