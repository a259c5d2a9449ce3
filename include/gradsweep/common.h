/* SPDX-License-Identifier: MIT */
/* common.h — what every gradsweep module shares: exit codes, the error record,
 * checked allocation and a monotonic clock.
 *
 * Errors travel as a gs_error filled by the function that detected them and
 * handed up unchanged; only main() prints them. A message is one line in the
 * form "FILE:LINE: KEY: what was wrong, and what would be right" (the location
 * parts are left out when there is none). */
#ifndef GRADSWEEP_COMMON_H
#define GRADSWEEP_COMMON_H

#include <stdarg.h>
#include <stddef.h>

#define GS_VERSION "0.1.0"

/* Exit codes, documented in docs/usage.md. Stable: scripts test them. */
enum gs_exit {
    GS_EXIT_OK = 0,          /* every configuration done (or nonfinite) */
    GS_EXIT_INTERNAL = 1,    /* a bug or an unexpected library failure */
    GS_EXIT_USAGE = 2,       /* bad command line or sweep file: nothing was computed */
    GS_EXIT_OUTPUT = 3,      /* the output file exists, is not writable, or I/O failed */
    GS_EXIT_FAILED = 4,      /* the sweep ran but some configurations failed */
    GS_EXIT_INTERRUPTED = 5, /* stopped by a signal: the file is valid, --resume completes it */
    GS_EXIT_RESOURCES = 6,   /* the sweep needs more memory than allowed */
    GS_EXIT_LAUNCH = 7,      /* launched wrong (e.g. MPI ranks started as singletons) */
    GS_EXIT_LOCKED = 8,      /* another run is writing the results file (lock.h) */
    GS_EXIT_BLAS = 9,        /* the BLAS computes wrong products (start-up self-check) */
};

typedef struct gs_error {
    int code;       /* one of enum gs_exit; 0 while no error was set */
    char msg[1024]; /* one line, no trailing newline, without the "gradsweep: " prefix */
} gs_error;

/* Sets err (if not NULL and not already set: the first error wins) and
 * returns code, so call sites read `return gs_fail(err, GS_EXIT_USAGE, ...)`. */
int gs_fail(gs_error *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int gs_vfail(gs_error *err, int code, const char *fmt, va_list ap);

/* Checked allocation in the style of llm.c's mallocCheck: on failure it
 * prints what was asked for and where, then exits with GS_EXIT_RESOURCES.
 * Use it only where running out of memory cannot be handled more gently. */
void *gs_malloc_check(size_t size, const char *file, int line);
void *gs_calloc_check(size_t count, size_t size, const char *file, int line);
char *gs_strdup_check(const char *s, const char *file, int line);
void *gs_realloc_check(void *p, size_t size, const char *file, int line);
#define gs_malloc(size)        gs_malloc_check((size), __FILE__, __LINE__)
#define gs_calloc(count, size) gs_calloc_check((count), (size), __FILE__, __LINE__)
#define gs_strdup(s)           gs_strdup_check((s), __FILE__, __LINE__)
#define gs_realloc(p, size)    gs_realloc_check((p), (size), __FILE__, __LINE__)

/* The name the user most likely meant, for "did you mean …?" hints: the
 * nearest within edit distance 2 (case-insensitive; 1 for short names), else
 * one that starts with word or is the start of it; NULL if none is close. */
const char *gs_closest(const char *word, const char *const *candidates, int count);

/* Seconds on a monotonic clock (CLOCK_MONOTONIC); only differences mean anything. */
double gs_now(void);
/* Seconds of CPU time the calling thread has used (CLOCK_THREAD_CPUTIME_ID):
 * what a core spent on it, without the time it waited for one on a machine
 * shared with other work. For measurements that must hold under load. */
double gs_cpu_now(void);

/* Formats a byte count as "12.3 MiB" into buf; returns buf. */
char *gs_format_bytes(double bytes, char *buf, size_t size);
/* Formats seconds as "1h02m", "3m07s" or "4.2 s"; returns buf. */
char *gs_format_seconds(double seconds, char *buf, size_t size);

#endif
