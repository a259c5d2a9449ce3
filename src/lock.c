/* SPDX-License-Identifier: MIT */
/* lock.c — one writer per results file (see lock.h): a lock file made with
 * link(2), a heartbeat thread, and the rules that say when a holder is dead.
 *
 * The lock file is text, so that a user who finds one can read whose it is:
 *     # gradsweep: a run is writing this results file; …
 *     host node017
 *     pid 12345
 *     …
 * Taking it: write our record to a private file in the same directory, then
 * link(2) it to the lock's name. link fails with EEXIST if the lock exists,
 * atomically, on NFS too; when an NFS reply is lost, link may report failure
 * although it worked, which the private file's link count (2) reveals. */
#include "gradsweep/lock.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LOCK_RECORD_MAX 4096

/* Whose lock it is: one line each in the file. */
typedef struct holder {
    char host[256];
    long pid;
    unsigned long long start_ticks; /* the process's start, /proc/PID/stat field 22 */
    char boot_id[64];               /* /proc/sys/kernel/random/boot_id: a reboot changes it */
    char slurm_job[64];             /* SLURM_JOB_ID, "" outside Slurm */
    long restart_count;             /* SLURM_RESTART_COUNT: requeues of that job */
    char since[32];                 /* UTC, when the lock was taken */
    double stale_after_s;           /* no heartbeat for this long: dead */
    char token[40];                 /* unique to this taking of the lock */
    char command[512];
} holder;

struct gs_lock {
    char *path; /* RESULTS.lock */
    void (*on_lost)(void);
    holder me; /* what we wrote */
    pthread_t heartbeat;
    bool heartbeat_running;
    pthread_mutex_t mutex;
    pthread_cond_t wake;
    bool stopping;      /* under mutex */
    atomic_bool lost;   /* set by the heartbeat */
    char lost_why[512]; /* written before lost is set */
};

char *lock_path_of(const char *path) {
    char *lock = gs_malloc(strlen(path) + sizeof ".lock");
    sprintf(lock, "%s.lock", path);
    return lock;
}

/* ---- who we are ------------------------------------------------------------------- */

/* A process as /proc/PID/stat shows it: its state (field 3: 'R', 'S', …,
 * 'Z' for a zombie) and its start time (field 22, clock ticks since boot).
 * The command name before them may hold spaces and parentheses, hence the
 * last ')'. False if there is no such process (or no /proc). */
static bool process_stat(long pid, char *state, unsigned long long *start_ticks) {
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return false;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    if (!p || p[1] != ' ') return false;
    *state = p[2];
    *start_ticks = 0;
    for (int field = 3; field <= 22 && p; field++) /* p: the space before field `field` */
        p = strchr(p + 1, ' ');
    if (p) *start_ticks = strtoull(p + 1, NULL, 10);
    return true;
}

static unsigned long long process_start_ticks(long pid) {
    char state;
    unsigned long long ticks = 0;
    return process_stat(pid, &state, &ticks) ? ticks : 0;
}

static void read_boot_id(char *buf, size_t size) {
    buf[0] = '\0';
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");
    if (!f) return;
    if (fgets(buf, (int)size, f)) buf[strcspn(buf, "\n")] = '\0';
    fclose(f);
}

static void utc_text(time_t t, char *buf, size_t size) {
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void copy_text(char *dst, size_t size, const char *src) {
    snprintf(dst, size, "%s", src ? src : "");
    for (char *p = dst; *p; p++) /* one line each */
        if (*p == '\n' || *p == '\r') *p = ' ';
}

static void describe_me(holder *me, const gs_lock_options *opt) {
    memset(me, 0, sizeof *me);
    if (gethostname(me->host, sizeof me->host - 1) != 0) strcpy(me->host, "unknown");
    me->pid = (long)getpid();
    me->start_ticks = process_start_ticks(me->pid);
    read_boot_id(me->boot_id, sizeof me->boot_id);
    copy_text(me->slurm_job, sizeof me->slurm_job, getenv("SLURM_JOB_ID"));
    const char *restarts = getenv("SLURM_RESTART_COUNT");
    me->restart_count = restarts ? atol(restarts) : 0;
    utc_text(time(NULL), me->since, sizeof me->since);
    me->stale_after_s = opt->stale_after_s > 0 ? opt->stale_after_s : GS_LOCK_STALE_DEFAULT_S;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    uint64_t mix = (uint64_t)now.tv_nsec * 0x9E3779B97F4A7C15ull ^ (uint64_t)now.tv_sec << 20 ^
                   (uint64_t)me->pid << 40 ^ me->start_ticks;
    snprintf(me->token, sizeof me->token, "%016llx%08lx", (unsigned long long)mix,
             (unsigned long)me->pid);
    copy_text(me->command, sizeof me->command, opt->command_line);
}

/* ---- the record ---------------------------------------------------------------------- */

static int format_record(const holder *h, char *buf, size_t size) {
    return snprintf(buf, size,
                    "# gradsweep: a run is writing the results file beside this lock. Do not\n"
                    "# remove it by hand: if that run is dead, gradsweep breaks the lock itself\n"
                    "# (same host: its process is gone; elsewhere: its heartbeat, this file's\n"
                    "# mtime, stopped), or run gradsweep with --break-lock.\n"
                    "host %s\npid %ld\npid_start_ticks %llu\nboot_id %s\nslurm_job_id %s\n"
                    "slurm_restart_count %ld\nsince %s\nstale_after_s %g\ntoken %s\ncommand %s\n",
                    h->host, h->pid, h->start_ticks, h->boot_id, h->slurm_job, h->restart_count,
                    h->since, h->stale_after_s, h->token, h->command);
}

static void parse_record(char *text, holder *h) {
    memset(h, 0, sizeof *h);
    h->stale_after_s = GS_LOCK_STALE_DEFAULT_S;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        char *value = strchr(line, ' ');
        if (line[0] == '#' || !value) continue;
        *value++ = '\0';
        if (!strcmp(line, "host"))
            copy_text(h->host, sizeof h->host, value);
        else if (!strcmp(line, "pid"))
            h->pid = atol(value);
        else if (!strcmp(line, "pid_start_ticks"))
            h->start_ticks = strtoull(value, NULL, 10);
        else if (!strcmp(line, "boot_id"))
            copy_text(h->boot_id, sizeof h->boot_id, value);
        else if (!strcmp(line, "slurm_job_id"))
            copy_text(h->slurm_job, sizeof h->slurm_job, value);
        else if (!strcmp(line, "slurm_restart_count"))
            h->restart_count = atol(value);
        else if (!strcmp(line, "since"))
            copy_text(h->since, sizeof h->since, value);
        else if (!strcmp(line, "stale_after_s"))
            h->stale_after_s = atof(value);
        else if (!strcmp(line, "token"))
            copy_text(h->token, sizeof h->token, value);
        else if (!strcmp(line, "command"))
            copy_text(h->command, sizeof h->command, value);
    }
    if (!(h->stale_after_s > 0)) h->stale_after_s = GS_LOCK_STALE_DEFAULT_S;
}

/* Reads the lock at path: its holder and mtime. Opening (rather than stat)
 * makes an NFS client revalidate its cached attributes (close-to-open), so
 * the mtime is the server's latest. Returns 0 or an errno (ENOENT: none). */
static int read_lock(const char *path, holder *h, struct timespec *mtime) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return errno;
    char buf[LOCK_RECORD_MAX + 1];
    struct stat st;
    ssize_t n = fstat(fd, &st) == 0 ? read(fd, buf, LOCK_RECORD_MAX) : -1;
    int rc = n < 0 ? errno : 0;
    close(fd);
    if (rc) return rc;
    buf[n] = '\0';
    parse_record(buf, h);
    *mtime = st.st_mtim;
    return 0;
}

/* ---- is the holder alive? ------------------------------------------------------------- */

static double seconds_between(struct timespec a, struct timespec b) {
    return (double)(b.tv_sec - a.tv_sec) + 1e-9 * (double)(b.tv_nsec - a.tv_nsec);
}

/* Why the lock's holder is dead, into why; false if it may be alive. now is
 * the file system's clock (the mtime of a file we just wrote beside it). */
static bool holder_is_dead(const holder *h, const holder *me, struct timespec mtime,
                           struct timespec now, char *why, size_t size) {
    if (strcmp(h->host, me->host) == 0) {
        if (h->boot_id[0] && me->boot_id[0] && strcmp(h->boot_id, me->boot_id) != 0) {
            snprintf(why, size, "this host rebooted since");
            return true;
        }
        char state = '?';
        unsigned long long ticks = 0;
        bool listed = h->pid > 0 && process_stat(h->pid, &state, &ticks);
        if (h->pid > 0 &&
            ((kill((pid_t)h->pid, 0) != 0 && errno == ESRCH) || state == 'Z' || state == 'X')) {
            snprintf(why, size, "its process %ld no longer runs on this host", h->pid);
            return true;
        }
        if (listed && ticks && h->start_ticks && ticks != h->start_ticks) {
            snprintf(why, size, "its pid %ld now belongs to another process", h->pid);
            return true;
        }
        return false; /* its process runs here: alive, whatever the heartbeat says */
    }
    if (h->slurm_job[0] && strcmp(h->slurm_job, me->slurm_job) == 0 &&
        h->restart_count < me->restart_count) {
        snprintf(why, size,
                 "it was taken by run %ld of this Slurm job %s, which Slurm requeued (this is "
                 "run %ld)",
                 h->restart_count, h->slurm_job, me->restart_count);
        return true;
    }
    double age = seconds_between(mtime, now);
    if (age > h->stale_after_s) {
        snprintf(why, size, "its heartbeat stopped %.0f s ago (it beats every %.3g s)", age,
                 h->stale_after_s / 6);
        return true;
    }
    return false;
}

static void describe_holder(const holder *h, double heartbeat_age, char *buf, size_t size) {
    char job[96] = "";
    if (h->slurm_job[0]) snprintf(job, sizeof job, ", Slurm job %s", h->slurm_job);
    char since[40];
    snprintf(since, sizeof since, "%s", h->since);
    char *t = strchr(since, 'T');
    if (t) *t = ' ';
    size_t len = strlen(since);
    if (len && since[len - 1] == 'Z') snprintf(since + len - 1, sizeof since - len + 1, " UTC");
    snprintf(buf, size, "host %s, pid %ld%s, since %s, last heartbeat %.0f s ago", h->host, h->pid,
             job, since, heartbeat_age > 0 ? heartbeat_age : 0);
}

/* ---- taking and breaking ---------------------------------------------------------------- */

/* Our record in a private file beside the lock; its mtime, set by the file
 * system, is "now" on the file system's clock. Returns 0 or an errno. */
static int write_private(const char *private_path, const holder *me, struct timespec *now) {
    char record[LOCK_RECORD_MAX];
    int len = format_record(me, record, sizeof record);
    if (len >= (int)sizeof record) len = (int)sizeof record - 1;
    int fd = open(private_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return errno;
    struct stat st;
    int rc = write(fd, record, (size_t)len) == len && fsync(fd) == 0 && fstat(fd, &st) == 0
                 ? 0
                 : (errno ? errno : EIO);
    if (close(fd) != 0 && !rc) rc = errno;
    if (!rc) *now = st.st_mtim;
    return rc;
}

/* Links the private file to the lock's name: 0 taken, EEXIST held, or an errno. */
static int link_lock(const char *private_path, const char *path) {
    if (link(private_path, path) == 0) return 0;
    int rc = errno;
    struct stat st;
    if (stat(private_path, &st) == 0 && st.st_nlink == 2) return 0; /* NFS: the reply was lost */
    return rc;
}

/* Moves a dead holder's lock aside and removes it, unless what was moved is
 * not the lock judged dead (another run broke it and took it meanwhile): that
 * one is put back. */
static void break_lock(const char *path, const holder *dead, long my_pid) {
    char aside[4200];
    snprintf(aside, sizeof aside, "%s.broken.%ld", path, my_pid);
    if (rename(path, aside) != 0) return; /* gone already: someone else broke it */
    holder moved;
    struct timespec mtime;
    if (read_lock(aside, &moved, &mtime) == 0 && strcmp(moved.token, dead->token) != 0)
        (void)!link(aside, path); /* a live lock: back (if nobody took the name since) */
    unlink(aside);
}

static void *heartbeat_main(void *arg);

static int start_heartbeat(gs_lock *lock) {
    pthread_mutex_init(&lock->mutex, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&lock->wake, &attr);
    pthread_condattr_destroy(&attr);
    /* The heartbeat must not take the stop signals meant for the sweep. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&lock->heartbeat, NULL, heartbeat_main, lock);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    lock->heartbeat_running = rc == 0;
    return rc;
}

static int busy(const char *path, const char *lock_path, const holder *h, struct timespec mtime,
                struct timespec now, gs_error *err) {
    char who[512];
    describe_holder(h, seconds_between(mtime, now), who, sizeof who);
    return gs_fail(err, GS_EXIT_LOCKED,
                   "results file \"%s\" is being written by another gradsweep run (%s; lock "
                   "\"%s\"); wait for that run to end, or, if it is dead, run again with "
                   "--break-lock",
                   path, who, lock_path);
}

int lock_acquire(gs_lock **out, const char *path, const gs_lock_options *opt, int *errno_out,
                 gs_error *err) {
    *out = NULL;
    *errno_out = 0;
    gs_lock *lock = gs_calloc(1, sizeof *lock);
    lock->path = lock_path_of(path);
    lock->on_lost = opt->on_lost;
    describe_me(&lock->me, opt);
    char *private_path = gs_malloc(strlen(lock->path) + 32);
    sprintf(private_path, "%s.%ld.new", lock->path, lock->me.pid);
    int rc = -1;
    /* A few rounds: a lock broken here may be taken by a third run first. */
    for (int round = 0; round < 8 && rc < 0; round++) {
        struct timespec now = {0}, mtime = {0};
        int e = write_private(private_path, &lock->me, &now);
        if (!e) e = link_lock(private_path, lock->path);
        if (!e) {
            rc = 0; /* taken */
            break;
        }
        holder h;
        if (e == EEXIST) e = read_lock(lock->path, &h, &mtime);
        if (e == ENOENT) continue; /* released meanwhile */
        if (e) {
            *errno_out = e;
            rc = gs_fail(err, GS_EXIT_OUTPUT, "cannot create the lock file \"%s\": %s", lock->path,
                         strerror(e));
            break;
        }
        char why[256] = "--break-lock";
        if (!opt->break_lock && !holder_is_dead(&h, &lock->me, mtime, now, why, sizeof why)) {
            rc = busy(path, lock->path, &h, mtime, now, err);
            break;
        }
        break_lock(lock->path, &h, lock->me.pid);
        if (opt->log) {
            char who[512];
            describe_holder(&h, seconds_between(mtime, now), who, sizeof who);
            fprintf(opt->log,
                    "gradsweep: note: broke the lock on \"%s\" held by %s: %s; whatever that "
                    "run had in flight is still pending\n",
                    path, who, why);
        }
    }
    unlink(private_path);
    free(private_path);
    if (rc < 0)
        rc = gs_fail(err, GS_EXIT_LOCKED,
                     "could not take the lock \"%s\": other runs kept taking it; is another "
                     "gradsweep starting on \"%s\"?",
                     lock->path, path);
    if (rc == 0 && start_heartbeat(lock) != 0) {
        unlink(lock->path);
        rc = gs_fail(err, GS_EXIT_INTERNAL, "cannot start the lock's heartbeat thread for \"%s\"",
                     lock->path);
    }
    if (rc) {
        free(lock->path);
        free(lock);
        return rc;
    }
    *out = lock;
    return 0;
}

/* ---- the heartbeat ---------------------------------------------------------------------- */

/* Touches the lock if it is still ours; otherwise records who has it. */
static bool beat(gs_lock *lock) {
    int fd = open(lock->path, O_RDONLY);
    char why[512];
    if (fd < 0) {
        snprintf(why, sizeof why, "its lock \"%s\" was removed (%s)", lock->path, strerror(errno));
    } else {
        char buf[LOCK_RECORD_MAX + 1];
        ssize_t n = read(fd, buf, LOCK_RECORD_MAX);
        holder h;
        buf[n > 0 ? n : 0] = '\0';
        parse_record(buf, &h);
        bool ours = strcmp(h.token, lock->me.token) == 0;
        if (ours) (void)futimens(fd, NULL); /* now, on the file system's clock */
        close(fd);
        if (ours) return true;
        snprintf(why, sizeof why, "its lock \"%s\" was broken and taken by host %s, pid %ld",
                 lock->path, h.host, h.pid);
    }
    snprintf(lock->lost_why, sizeof lock->lost_why, "%s", why);
    atomic_store(&lock->lost, true);
    if (lock->on_lost) lock->on_lost();
    return false;
}

static void *heartbeat_main(void *arg) {
    gs_lock *lock = arg;
    double interval = lock->me.stale_after_s / 6;
    pthread_mutex_lock(&lock->mutex);
    while (!lock->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        double whole = (double)(long)interval;
        until.tv_sec += (time_t)whole;
        until.tv_nsec += (long)((interval - whole) * 1e9);
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        while (!lock->stopping &&
               pthread_cond_timedwait(&lock->wake, &lock->mutex, &until) != ETIMEDOUT) {
        }
        if (lock->stopping) break;
        pthread_mutex_unlock(&lock->mutex);
        bool ours = beat(lock);
        pthread_mutex_lock(&lock->mutex);
        if (!ours) break; /* nothing of ours left to keep fresh */
    }
    pthread_mutex_unlock(&lock->mutex);
    return NULL;
}

bool lock_lost(const gs_lock *lock, char *why, size_t size) {
    if (!lock || !atomic_load(&((gs_lock *)lock)->lost)) return false;
    if (why) snprintf(why, size, "%s", lock->lost_why);
    return true;
}

void lock_release(gs_lock **lockp) {
    if (!lockp || !*lockp) return;
    gs_lock *lock = *lockp;
    *lockp = NULL;
    if (lock->heartbeat_running) {
        pthread_mutex_lock(&lock->mutex);
        lock->stopping = true;
        pthread_cond_signal(&lock->wake);
        pthread_mutex_unlock(&lock->mutex);
        pthread_join(lock->heartbeat, NULL);
        pthread_cond_destroy(&lock->wake);
        pthread_mutex_destroy(&lock->mutex);
    }
    holder h;
    struct timespec mtime;
    if (read_lock(lock->path, &h, &mtime) == 0 && strcmp(h.token, lock->me.token) == 0)
        unlink(lock->path);
    free(lock->path);
    free(lock);
}
