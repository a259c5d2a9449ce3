/* SPDX-License-Identifier: MIT */
/* progress.c — the progress line (see progress.h). */
#include "gradsweep/progress.h"

#include "gradsweep/common.h"

void progress_start(gs_progress *p, FILE *out, bool tty, double interval_s, int64_t total,
                    double total_cost) {
    *p = (gs_progress){.out = interval_s > 0 ? out : NULL,
                       .tty = tty,
                       .interval_s = interval_s,
                       .total = total,
                       .total_cost = total_cost};
    p->start = p->last = gs_now();
}

void progress_count(gs_progress *p, double cost, int status) {
    p->done++;
    p->done_cost += cost;
    if (status >= 0 && status < GS_STATUS_COUNT) p->by_status[status]++;
}

static void print_report(gs_progress *p, double now) {
    double elapsed = now - p->start;
    double work = p->total_cost > 0 ? p->done_cost / p->total_cost : 1.0;
    char el[32], eta[32] = "?";
    gs_format_seconds(elapsed, el, sizeof el);
    if (work > 0 && p->done < p->total)
        gs_format_seconds(elapsed * (1 - work) / work, eta, sizeof eta);
    if (p->done >= p->total) snprintf(eta, sizeof eta, "0 s");
    char line[256];
    int len = snprintf(line, sizeof line,
                       "gradsweep: %lld/%lld configs (%.1f%% of the work), %.2f configs/s, "
                       "elapsed %s, ETA %s",
                       (long long)p->done, (long long)p->total, 100.0 * work,
                       elapsed > 0 ? p->done / elapsed : 0.0, el, eta);
    /* the outcomes worth watching: every status after done */
    for (int s = GS_STATUS_DONE + 1; s < GS_STATUS_COUNT && len < (int)sizeof line; s++)
        len += snprintf(line + len, sizeof line - (size_t)len, ", %s %lld", gs_status_names[s],
                        (long long)p->by_status[s]);
    if (len >= (int)sizeof line) len = (int)sizeof line - 1;
    if (p->tty) {
        /* Rewrite the line in place; pad with spaces over a longer old one. */
        int pad = p->line_length > len ? p->line_length - len : 0;
        fprintf(p->out, "\r%s%*s", line, pad, "");
        p->line_length = len;
    } else {
        fprintf(p->out, "%s\n", line);
    }
    fflush(p->out);
    p->last = now;
}

void progress_maybe_print(gs_progress *p) {
    if (!p->out) return;
    double now = gs_now();
    if (now - p->last >= p->interval_s) print_report(p, now);
}

void progress_finish(gs_progress *p) {
    if (!p->out) return;
    print_report(p, gs_now());
    if (p->tty) fputc('\n', p->out);
    fflush(p->out);
}

void progress_break_line(gs_progress *p) {
    if (p->out && p->tty && p->line_length > 0) {
        fputc('\n', p->out);
        p->line_length = 0;
    }
}
