/* SPDX-License-Identifier: MIT */
/* simulate.c — a discrete-event replay of the scheduler (see simulate.h).
 *
 * Events, in time order: a worker finishes a configuration (it sends DONE and
 * starts its next one if it holds one); a DONE reaches rank 0; an ASSIGN
 * reaches a worker; rank 0 reaches the end of one of its own layers (a poll).
 * Rank 0 handles the DONEs that have arrived when it polls, or, once it has
 * no configuration of its own (or is dedicated), as soon as they arrive. */
#include "gradsweep/simulate.h"

#include <math.h>
#include <stdlib.h>

#include "gradsweep/common.h"
#include "gradsweep/dispatch.h"

#define DEPTH 2 /* tasks a worker holds, as in schedule.c */

typedef enum kind { FINISH, DONE_ARRIVES, ASSIGN_ARRIVES, POLL } kind;

typedef struct event {
    double time;
    kind what;
    int rank;
    int64_t task; /* ASSIGN: the task or DISPATCH_STOP */
    int64_t seq;  /* ties: first scheduled first */
} event;

typedef struct heap {
    event *e;
    size_t n, cap;
    int64_t seq;
} heap;

static bool before(const event *a, const event *b) {
    return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

static void push(heap *h, event ev) {
    if (h->n == h->cap) {
        h->cap = h->cap ? 2 * h->cap : 1024;
        h->e = gs_realloc(h->e, h->cap * sizeof *h->e);
    }
    ev.seq = h->seq++;
    size_t i = h->n++;
    while (i > 0 && before(&ev, &h->e[(i - 1) / 2])) {
        h->e[i] = h->e[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->e[i] = ev;
}

static event pop(heap *h) {
    event top = h->e[0], last = h->e[--h->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n) break;
        if (c + 1 < h->n && before(&h->e[c + 1], &h->e[c])) c++;
        if (!before(&h->e[c], &last)) break;
        h->e[i] = h->e[c];
        i = c;
    }
    if (h->n) h->e[i] = last;
    return top;
}

typedef struct worker {
    int64_t queue[DEPTH + 1]; /* bundle numbers */
    int held;                 /* bundles assigned and not finished (the first is running) */
    bool running;
    double idle_since; /* when it ran out of work; < 0 while working */
} worker;

typedef struct sim {
    const double *seconds;
    const int *layers;
    const gs_sim_model *model;
    gs_dispatch *dispatch;
    double *bundle_seconds; /* per bundle handed out: the seconds of its tasks */
    int64_t n_bundles, cap_bundles;
    heap events;
    worker *workers;
    int ranks;
    double master_free;             /* rank 0 is busy handling messages until then */
    double master_busy;             /* Σ message handling time */
    int64_t messages, pending_done; /* DONEs arrived, not handled yet */
    int *done_from;                 /* ranks of the arrived DONEs (a FIFO) */
    int64_t done_head, done_tail;
    double wait_total;
    int64_t waits;
    bool master_computing;
    int64_t own_task; /* rank 0's configuration, and how far it is */
    int own_layer;
    double end;
} sim;

static void start_task(sim *s, int w, double now) {
    worker *k = &s->workers[w];
    int64_t bundle = k->queue[0];
    k->running = true;
    if (k->idle_since >= 0) {
        s->wait_total += now - k->idle_since;
        s->waits++;
        k->idle_since = -1;
    }
    push(&s->events, (event){now + s->bundle_seconds[bundle], FINISH, w, bundle, 0});
}

/* Records a bundle handed out; returns its number. */
static int64_t new_bundle(sim *s, const int64_t *tasks, int n) {
    if (s->n_bundles == s->cap_bundles) {
        s->cap_bundles = s->cap_bundles ? 2 * s->cap_bundles : 1024;
        s->bundle_seconds = gs_realloc(s->bundle_seconds, (size_t)s->cap_bundles * sizeof(double));
    }
    double seconds = 0;
    for (int k = 0; k < n; k++)
        seconds += s->seconds[tasks[k]];
    s->bundle_seconds[s->n_bundles] = seconds;
    return s->n_bundles++;
}

/* Rank 0 tops worker w up to `depth`; each message costs message_s of its time. */
static void refill_to(sim *s, int w, int depth, double now) {
    int64_t tasks[DISPATCH_BUNDLE_MAX];
    int n;
    while ((n = dispatch_next(s->dispatch, w, depth, tasks)) != 0) {
        int64_t message = n == DISPATCH_STOP ? DISPATCH_STOP : new_bundle(s, tasks, n);
        double at = fmax(now, s->master_free) + s->model->message_s;
        s->master_free = at;
        s->master_busy += s->model->message_s;
        s->messages++;
        push(&s->events, (event){at + s->model->latency_s, ASSIGN_ARRIVES, w, message, 0});
    }
}

/* Rank 0 handles every DONE that has arrived. */
static void serve(sim *s, double now) {
    while (s->done_head < s->done_tail) {
        int w = s->done_from[s->done_head++ % (s->ranks * (DEPTH + 1))];
        s->messages++;
        dispatch_done(s->dispatch, w);
        refill_to(s, w, DEPTH, now);
    }
}

static double own_step(const sim *s) {
    int layers = s->layers[s->own_task];
    return s->seconds[s->own_task] / (layers > 0 ? layers : 1);
}

/* Rank 0 takes its next configuration; it polls after each of its layers. */
static void master_next(sim *s, double now) {
    int64_t task = s->model->dedicated_master ? -1 : dispatch_own(s->dispatch);
    s->master_computing = task >= 0;
    if (task < 0) {
        serve(s, now);
        return;
    }
    s->own_task = task;
    s->own_layer = 0;
    push(&s->events, (event){now + own_step(s), POLL, 0, task, 0});
}

/* The end of one of rank 0's layers: it handles what has arrived (which
 * delays its next layer), then goes on or takes its next configuration. */
static void master_poll(sim *s, double now) {
    s->own_layer++;
    serve(s, now);
    double resume = fmax(now, s->master_free);
    if (s->own_layer < s->layers[s->own_task]) {
        push(&s->events, (event){resume + own_step(s), POLL, 0, s->own_task, 0});
    } else {
        s->end = fmax(s->end, now);
        master_next(s, resume);
    }
}

static void handle(sim *s, event ev) {
    worker *k = &s->workers[ev.rank];
    switch (ev.what) {
    case FINISH: /* a worker finished: DONE goes out, the next queued task starts */
        s->end = fmax(s->end, ev.time);
        for (int i = 1; i < k->held; i++)
            k->queue[i - 1] = k->queue[i];
        k->held--;
        k->running = false;
        push(&s->events, (event){ev.time + s->model->latency_s, DONE_ARRIVES, ev.rank, -1, 0});
        if (k->held > 0)
            start_task(s, ev.rank, ev.time);
        else
            k->idle_since = ev.time;
        break;
    case DONE_ARRIVES:
        s->done_from[s->done_tail++ % (s->ranks * (DEPTH + 1))] = ev.rank;
        if (!s->master_computing) serve(s, ev.time); /* rank 0 is only polling */
        break;
    case ASSIGN_ARRIVES:
        if (ev.task == DISPATCH_STOP) break;
        k->queue[k->held++] = ev.task;
        if (!k->running) start_task(s, ev.rank, ev.time);
        break;
    case POLL: master_poll(s, ev.time); break;
    }
}

void simulate_sweep(int64_t n, const double *seconds, const int *layers, const int64_t *group,
                    int ranks, const gs_sim_model *model, gs_sim_result *out) {
    sim s = {.seconds = seconds, .layers = layers, .model = model, .ranks = ranks};
    s.dispatch = dispatch_create(n, seconds, group, NULL, ranks);
    s.workers = gs_calloc((size_t)ranks, sizeof *s.workers);
    s.done_from = gs_calloc((size_t)ranks * (DEPTH + 1), sizeof *s.done_from);
    for (int w = 0; w < ranks; w++)
        s.workers[w].idle_since = 0;
    /* As schedule.c: one task to every worker, then a second where worthwhile. */
    for (int depth = 1; depth <= DEPTH; depth++)
        for (int w = 1; w < ranks; w++)
            refill_to(&s, w, depth, 0);
    master_next(&s, s.master_free);
    while (s.events.n)
        handle(&s, pop(&s.events));
    /* The sweep ends when rank 0 has taken the last DONE and sent the last
     * STOP, which can be after the last configuration finished. */
    s.end = fmax(s.end, s.master_free);

    double busy = 0;
    for (int64_t i = 0; i < n; i++)
        busy += seconds[i];
    int computing = model->dedicated_master ? ranks - 1 : ranks;
    *out = (gs_sim_result){
        .wall_s = s.end,
        .busy_s = busy,
        .efficiency = s.end > 0 && computing > 0 ? busy / (computing * s.end) : 0,
        .master_load = s.end > 0 ? s.master_busy / s.end : 0,
        .mean_wait_s = s.waits ? s.wait_total / s.waits : 0,
        .messages = s.messages,
    };
    dispatch_destroy(&s.dispatch);
    free(s.workers);
    free(s.done_from);
    free(s.bundle_seconds);
    free(s.events.e);
}
