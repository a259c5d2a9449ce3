/* schedule.c — dynamic costliest-first hand-out of tasks over MPI (see
 * schedule.h for the promises). Messages:
 *   ASSIGN  rank 0 -> worker   int64 {n, task 1 … task n} (a bundle), or {DISPATCH_STOP}
 *   DONE    worker -> rank 0   double {stop signal seen by the worker or 0, n,
 *                                      task 1, outcome 1, … task n, outcome n}
 * Which task goes to whom, how many a worker holds and when it stops are
 * decided by dispatch.h / taskpool.h, which know no MPI (the simulator runs
 * the same code); this file only moves the messages, waits, and turns a stop
 * signal into a graceful end. */
#include "gradsweep/schedule.h"

#include <math.h>
#include <stdlib.h>
#include <time.h>

#include "gradsweep/dispatch.h"
#include "gradsweep/interrupt.h"
#include "gradsweep/progress.h"

enum { TAG_ASSIGN = 11, TAG_DONE = 12 };
#define QUEUE_DEPTH     2
#define POLL_INTERVAL_S 1e-4 /* rank 0 looks for requests at most this often */

struct gs_schedule {
    MPI_Comm comm;
    int rank, size;
    gs_task_fn task;
    void *ctx;
    const gs_schedule_options *opt;
    int fatal_code;    /* first fatal error seen on this rank (positive), or 0 */
    double busy_s;     /* seconds inside task() on this rank */
    int64_t own_tasks; /* tasks this rank computed */
    double last_poll;
    int stopping;     /* the stop signal this rank acts on, or 0 */
    double stop_time; /* when it arrived */

    /* rank 0 */
    gs_dispatch *dispatch; /* who holds what, and what to hand out next */
    int64_t by_status[GS_STATUS_COUNT];
    gs_progress progress;

    /* workers */
    MPI_Request assign_request;
    int64_t assign_buffer[1 + DISPATCH_BUNDLE_MAX];
    int64_t bundles[QUEUE_DEPTH + 1][DISPATCH_BUNDLE_MAX]; /* held bundles, first in front */
    int bundle_size[QUEUE_DEPTH + 1];
    int held;
    bool stopped;
};

/* ---- waiting without burning a core ------------------------------------------- */

/* Open MPI's blocking calls busy-poll; a rank that only waits would steal a
 * core from a computing one when ranks outnumber cores. So waits test and
 * sleep, backing off from 50 µs to 2 ms. */
static void sleep_backoff(double *seconds) {
    struct timespec ts = {0, (long)(*seconds * 1e9)};
    nanosleep(&ts, NULL);
    *seconds = *seconds * 2 < 2e-3 ? *seconds * 2 : 2e-3;
}

static void wait_sleeping(MPI_Request *request) {
    double backoff = 5e-5;
    int done = 0;
    for (;;) {
        MPI_Test(request, &done, MPI_STATUS_IGNORE);
        if (done) return;
        sleep_backoff(&backoff);
    }
}

/* ---- stopping on a signal --------------------------------------------------------- */

/* Rank 0 stops handing out work and says what happens next, once. */
static void begin_stop(gs_schedule *s, int signal, int from_rank) {
    if (s->stopping) return;
    s->stopping = signal;
    s->stop_time = gs_now();
    dispatch_halt(s->dispatch);
    if (!s->opt->progress) return;
    char by[32] = "";
    if (from_rank) snprintf(by, sizeof by, " by rank %d", from_rank);
    progress_break_line(&s->progress);
    fprintf(s->opt->progress,
            "gradsweep: %s received%s: stopping. Configurations in flight finish (at most "
            "%.0f s; a second signal abandons them), the rest stay pending: continue with the "
            "same command and --resume\n",
            interrupt_name(signal), by, s->opt->grace_s);
    fflush(s->opt->progress);
}

/* True once this rank has a stop request (its own signal, on rank 0 also a
 * worker's report). */
static bool stop_requested(gs_schedule *s) {
    int signal = interrupt_signal();
    if (signal && !s->stopping) {
        if (s->rank == 0) {
            begin_stop(s, signal, 0);
        } else {
            s->stopping = signal;
            s->stop_time = gs_now();
        }
    }
    return s->stopping != 0;
}

/* In-flight work is abandoned after the grace period or a second signal. */
static bool abandon_now(gs_schedule *s) {
    return stop_requested(s) &&
           (interrupt_count() >= 2 || gs_now() - s->stop_time > s->opt->grace_s);
}

/* ---- rank 0: handing out ---------------------------------------------------------- */

/* Sends worker whatever brings it to `depth` held bundles (dispatch.h decides). */
static void refill(gs_schedule *s, int worker, int depth) {
    int64_t message[1 + DISPATCH_BUNDLE_MAX];
    int n;
    while ((n = dispatch_next(s->dispatch, worker, depth, message + 1)) != 0) {
        message[0] = n; /* a bundle of n tasks, or DISPATCH_STOP */
        MPI_Send(message, n > 0 ? n + 1 : 1, MPI_INT64_T, worker, TAG_ASSIGN, s->comm);
    }
}

static void record_outcome(gs_schedule *s, int64_t index, int outcome) {
    if (outcome < 0) {
        if (!s->fatal_code) s->fatal_code = -outcome;
        dispatch_halt(s->dispatch);
        return;
    }
    if (outcome < GS_STATUS_COUNT) s->by_status[outcome]++;
    if (outcome != GS_STATUS_PENDING)
        progress_count(&s->progress, taskpool_cost(dispatch_pool(s->dispatch), index), outcome);
}

static void master_serve(gs_schedule *s) {
    stop_requested(s);
    for (;;) {
        int arrived = 0;
        MPI_Status status;
        MPI_Iprobe(MPI_ANY_SOURCE, TAG_DONE, s->comm, &arrived, &status);
        if (!arrived) break;
        double msg[2 + 2 * DISPATCH_BUNDLE_MAX];
        MPI_Recv(msg, 2 + 2 * DISPATCH_BUNDLE_MAX, MPI_DOUBLE, status.MPI_SOURCE, TAG_DONE, s->comm,
                 MPI_STATUS_IGNORE);
        int worker = status.MPI_SOURCE, n = (int)msg[1];
        if (msg[0] != 0) begin_stop(s, (int)msg[0], worker);
        dispatch_done(s->dispatch, worker);
        for (int k = 0; k < n; k++)
            record_outcome(s, (int64_t)msg[2 + 2 * k], (int)msg[3 + 2 * k]);
        refill(s, worker, QUEUE_DEPTH);
    }
    progress_maybe_print(&s->progress);
}

/* ---- workers: receiving ------------------------------------------------------------- */

static void post_receive(gs_schedule *s) {
    MPI_Irecv(s->assign_buffer, 1 + DISPATCH_BUNDLE_MAX, MPI_INT64_T, 0, TAG_ASSIGN, s->comm,
              &s->assign_request);
}

/* Moves every bundle that has arrived into the queue. */
static void worker_receive(gs_schedule *s) {
    while (!s->stopped) {
        int arrived = 0;
        MPI_Test(&s->assign_request, &arrived, MPI_STATUS_IGNORE);
        if (!arrived) return;
        int n = (int)s->assign_buffer[0];
        if (n == DISPATCH_STOP) {
            s->stopped = true;
        } else {
            for (int k = 0; k < n; k++)
                s->bundles[s->held][k] = s->assign_buffer[1 + k];
            s->bundle_size[s->held++] = n;
            post_receive(s);
        }
    }
}

bool schedule_poll(void *schedule) {
    gs_schedule *s = schedule;
    double now = gs_now();
    if (now - s->last_poll >= POLL_INTERVAL_S) {
        s->last_poll = now;
        if (s->rank == 0)
            master_serve(s);
        else
            worker_receive(s);
    }
    return !abandon_now(s);
}

/* Runs one task on this rank; returns its outcome (negative: fatal). */
static int run_task(gs_schedule *s, int64_t index, gs_error *err) {
    double start = gs_now();
    int outcome = s->task(s->ctx, index, schedule_poll, s, err);
    s->busy_s += gs_now() - start;
    s->own_tasks++;
    if (outcome < 0 && !s->fatal_code) s->fatal_code = -outcome;
    return outcome;
}

/* Computes the front bundle and reports it in one message. After a fatal
 * error or a stop request its remaining tasks go back uncomputed (pending). */
static void run_bundle(gs_schedule *s, gs_error *err) {
    int n = s->bundle_size[0];
    double msg[2 + 2 * DISPATCH_BUNDLE_MAX];
    for (int k = 0; k < n; k++) {
        int64_t index = s->bundles[0][k];
        bool hand_back = s->fatal_code || stop_requested(s);
        msg[2 + 2 * k] = (double)index;
        msg[3 + 2 * k] = hand_back ? GS_STATUS_PENDING : run_task(s, index, err);
    }
    msg[0] = s->stopping;
    msg[1] = n;
    MPI_Send(msg, 2 + 2 * n, MPI_DOUBLE, 0, TAG_DONE, s->comm);
    s->held--;
    for (int b = 0; b < s->held; b++) {
        s->bundle_size[b] = s->bundle_size[b + 1];
        for (int k = 0; k < s->bundle_size[b]; k++)
            s->bundles[b][k] = s->bundles[b + 1][k];
    }
}

static void worker_loop(gs_schedule *s, gs_error *err) {
    post_receive(s);
    for (;;) {
        worker_receive(s);
        if (s->held == 0) {
            if (s->stopped) break;
            wait_sleeping(&s->assign_request); /* worker_receive picks it up */
            continue;
        }
        run_bundle(s, err);
    }
}

static void master_loop(gs_schedule *s, gs_error *err) {
    /* One task to every worker first, then the second where worthwhile, so the
     * costliest tasks spread over ranks instead of pairing up on the first. */
    for (int depth = 1; depth <= QUEUE_DEPTH; depth++)
        for (int w = 1; w < s->size; w++)
            refill(s, w, depth);
    bool computes = !(s->opt->dedicated_master && s->size > 1);
    int64_t index;
    while (computes && !s->fatal_code && !stop_requested(s) &&
           (index = dispatch_own(s->dispatch)) >= 0) {
        record_outcome(s, index, run_task(s, index, err));
        master_serve(s);
    }
    /* Serve until every worker has reported and been told to stop. */
    double backoff = 5e-5;
    while (dispatch_busy(s->dispatch)) {
        int64_t before = s->progress.done;
        master_serve(s);
        if (s->progress.done != before) backoff = 5e-5; /* busy: answer fast again */
        sleep_backoff(&backoff);
    }
}

int schedule_run(MPI_Comm comm, int64_t n_tasks, const double *cost, const int64_t *group,
                 const bool *pending, gs_task_fn task, void *ctx, const gs_schedule_options *opt,
                 gs_schedule_report *report, gs_error *err) {
    gs_schedule s = {.comm = comm, .task = task, .ctx = ctx, .opt = opt};
    MPI_Comm_rank(comm, &s.rank);
    MPI_Comm_size(comm, &s.size);
    double start = gs_now();
    if (s.rank == 0) {
        s.dispatch = dispatch_create(n_tasks, cost, group, pending, s.size);
        gs_taskpool *pool = dispatch_pool(s.dispatch);
        progress_start(&s.progress, opt->progress, opt->progress_is_tty, opt->progress_interval_s,
                       taskpool_tasks(pool), taskpool_total_cost(pool));
        master_loop(&s, err);
        progress_finish(&s.progress);
    } else {
        worker_loop(&s, err);
    }
    double wall = gs_now() - start;

    /* Everyone has stopped; meet without spinning, then add up. */
    MPI_Request barrier;
    MPI_Ibarrier(comm, &barrier);
    wait_sleeping(&barrier);
    double busy_total = 0;
    int code = 0, local = s.fatal_code, stopped = 0, local_stop = s.stopping;
    MPI_Reduce(&s.busy_s, &busy_total, 1, MPI_DOUBLE, MPI_SUM, 0, comm);
    MPI_Allreduce(&local, &code, 1, MPI_INT, MPI_MAX, comm);
    MPI_Allreduce(&local_stop, &stopped, 1, MPI_INT, MPI_MAX, comm);

    gs_schedule_report r = {.wall_s = wall,
                            .busy_s = busy_total,
                            .tasks_on_rank0 = s.own_tasks,
                            .stop_signal = stopped};
    for (int k = 0; k < GS_STATUS_COUNT; k++)
        r.by_status[k] = s.by_status[k];
    MPI_Bcast(&r, (int)sizeof r, MPI_BYTE, 0, comm);
    r.stop_signal = stopped;
    *report = r;

    dispatch_destroy(&s.dispatch);
    /* A rank whose own tasks went well leaves err empty: the failing rank
     * reports why, once. */
    return code;
}
