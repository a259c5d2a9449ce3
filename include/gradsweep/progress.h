/* SPDX-License-Identifier: MIT */
/* progress.h — rank 0's progress report on stderr: configurations done out
 * of the total, rate, ETA (from the cost still to do, since the costliest go
 * first and a count-based ETA would be far too pessimistic), and outcomes.
 * On a terminal one line is rewritten in place; otherwise (a Slurm log) whole
 * lines are appended, with no control characters. */
#ifndef GRADSWEEP_PROGRESS_H
#define GRADSWEEP_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "gradsweep/config.h"

typedef struct gs_progress {
    FILE *out; /* NULL: report nothing */
    bool tty;
    double interval_s;
    double start, last;
    int64_t total;
    double total_cost;
    int64_t done; /* finished, any outcome */
    double done_cost;
    int64_t by_status[GS_STATUS_COUNT]; /* finished tasks by outcome */
    int line_length;                    /* of the last in-place line, to blank it out */
} gs_progress;

void progress_start(gs_progress *p, FILE *out, bool tty, double interval_s, int64_t total,
                    double total_cost);
/* Records one finished task of the given cost and outcome (gs_status). */
void progress_count(gs_progress *p, double cost, int status);
/* Prints a report if interval_s has passed since the last one. */
void progress_maybe_print(gs_progress *p);
/* Ends the in-place line, if any. */
void progress_finish(gs_progress *p);
/* Ends the in-place line, if any, so that a message can follow. */
void progress_break_line(gs_progress *p);

#endif
