/* common.c — the error record, checked allocation, clocks and formatting. */
#include "gradsweep/common.h"

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

char *gs_strdup_check(const char *s, const char *file, int line) {
    size_t n = strlen(s) + 1;
    char *p = gs_malloc_check(n, file, line);
    memcpy(p, s, n);
    return p;
}

double gs_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

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

/* Levenshtein distance, capped: anything beyond 3 is just "far". */
static int edit_distance(const char *a, const char *b) {
    size_t n = strlen(a), m = strlen(b);
    if (n > 64 || m > 64) return 99;
    int row[65];
    for (size_t j = 0; j <= m; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= n; i++) {
        int diagonal = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= m; j++) {
            int above = row[j];
            int cost = a[i - 1] == b[j - 1] ? 0 : 1;
            int best = diagonal + cost;
            if (row[j] + 1 < best) best = row[j] + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diagonal = above;
        }
    }
    return row[m];
}

const char *gs_closest(const char *word, const char *const *candidates, int count) {
    const char *best = NULL;
    int best_distance = 3;
    size_t len = strlen(word);
    for (int k = 0; k < count; k++) {
        int d = edit_distance(word, candidates[k]);
        if (len >= 3 && strncmp(word, candidates[k], len) == 0 && d > 1) d = 2;
        if (d < best_distance) {
            best_distance = d;
            best = candidates[k];
        }
    }
    return best;
}
