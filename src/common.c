/* SPDX-License-Identifier: MIT */
/* common.c — the error record, checked allocation, clocks and formatting. */
#include "gradsweep/common.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int gs_vfail(gs_error *err, int code, const char *fmt, va_list ap) {
    if (err && err->code == 0) {
        err->code = code;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    }
    return code;
}

int gs_fail(gs_error *err, int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    gs_vfail(err, code, fmt, ap);
    va_end(ap);
    return code;
}

static void out_of_memory(size_t bytes, const char *file, int line) {
    char human[32];
    fprintf(stderr,
            "gradsweep: out of memory: %s:%d could not allocate %s; reduce the largest "
            "configuration (width, depth, batch) or run fewer ranks per node\n",
            file, line, gs_format_bytes((double)bytes, human, sizeof human));
    exit(GS_EXIT_RESOURCES);
}

void *gs_malloc_check(size_t size, const char *file, int line) {
    void *p = malloc(size ? size : 1);
    if (!p) out_of_memory(size, file, line);
    return p;
}

void *gs_calloc_check(size_t count, size_t size, const char *file, int line) {
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p) out_of_memory(count * size, file, line);
    return p;
}

void *gs_realloc_check(void *p, size_t size, const char *file, int line) {
    void *q = realloc(p, size ? size : 1);
    if (!q) out_of_memory(size, file, line);
    return q;
}

char *gs_strdup_check(const char *s, const char *file, int line) {
    size_t n = strlen(s) + 1;
    char *p = gs_malloc_check(n, file, line);
    memcpy(p, s, n);
    return p;
}

static double clock_seconds(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double gs_now(void) { return clock_seconds(CLOCK_MONOTONIC); }

double gs_cpu_now(void) { return clock_seconds(CLOCK_THREAD_CPUTIME_ID); }

char *gs_format_bytes(double bytes, char *buf, size_t size) {
    static const char *unit[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    int u = 0;
    while (bytes >= 1024.0 && u < 5) {
        bytes /= 1024.0;
        u++;
    }
    if (u == 0)
        snprintf(buf, size, "%.0f B", bytes);
    else
        snprintf(buf, size, "%.1f %s", bytes, unit[u]);
    return buf;
}

char *gs_format_seconds(double s, char *buf, size_t size) {
    if (!(s >= 0) || s > 1e9) {
        snprintf(buf, size, "?");
    } else if (s < 60) {
        snprintf(buf, size, "%.1f s", s);
    } else if (s < 3600) {
        long t = (long)(s + 0.5);
        snprintf(buf, size, "%ldm%02lds", t / 60, t % 60);
    } else if (s < 86400 * 2) {
        long t = (long)(s / 60 + 0.5);
        snprintf(buf, size, "%ldh%02ldm", t / 60, t % 60);
    } else {
        snprintf(buf, size, "%.1f days", s / 86400);
    }
    return buf;
}

/* Levenshtein distance, case-insensitive; long words are never "close". */
static size_t edit_distance(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    if (la > 40 || lb > 40) return 99;
    size_t row[41];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t above = row[j];
            int same = tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1]);
            size_t best = diagonal + (same ? 0 : 1);
            if (above + 1 < best) best = above + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diagonal = above;
        }
    }
    return row[lb];
}

static int starts_with(const char *text, const char *prefix) {
    return strncmp(text, prefix, strlen(prefix)) == 0;
}

/* The valid name the user most likely meant: the nearest within edit
 * distance 2 (1 for short names, where 2 would match almost anything), else
 * one that starts with what was typed or is the start of it. */
const char *gs_closest(const char *word, const char *const *names, int count) {
    const char *best = NULL;
    size_t best_distance = 3;
    for (int i = 0; i < count; i++) {
        size_t d = edit_distance(word, names[i]);
        if (d < best_distance && d < strlen(names[i])) {
            best = names[i];
            best_distance = d;
        }
    }
    if (best || strlen(word) < 3) return best;
    for (int i = 0; i < count; i++)
        if (starts_with(names[i], word) || starts_with(word, names[i])) return names[i];
    return NULL;
}
