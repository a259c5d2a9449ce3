/* SPDX-License-Identifier: MIT */
/* lock.h — one writer per results file.
 *
 * A run that writes RESULTS.h5 (a new sweep, --force, --resume) first takes
 * the lock RESULTS.h5.lock beside it, and holds it until the file is closed.
 * A second run is refused before it touches anything, with the holder named
 * (host, pid, Slurm job, since when). The lock works where flock and fcntl
 * locks do not (NFS, Lustre, GPFS): it is a small text file created with
 * link(2), which is atomic on every POSIX and network file system (NFS
 * included; the lost-reply case is caught by the link count, as liblockfile
 * and procmail do), and it is kept fresh by a heartbeat: a thread touches its
 * mtime every stale_after_s / 6 seconds.
 *
 * A holder that died must not block forever. A lock is stale, and is broken
 * (with a note saying whose it was) when
 *   - its host is this host and its process is gone (or its pid now belongs
 *     to another process, or the machine rebooted since);
 *   - it belongs to an earlier run of this same Slurm job (same job id, lower
 *     SLURM_RESTART_COUNT): a requeued job, on this node or another;
 *   - its heartbeat stopped: no touch for the holder's stale_after_s, measured
 *     on the file system's own clock (against a file this run just wrote
 *     there), so clocks that differ between nodes do not matter;
 *   - or the user says so (--break-lock).
 * A holder whose lock was broken or replaced notices at its next heartbeat:
 * it calls on_lost (the sweep stops at once) and lock_lost() says why.
 *
 * POSIX only: no MPI, no HDF5. Rank 0 alone takes the lock. */
#ifndef GRADSWEEP_LOCK_H
#define GRADSWEEP_LOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "gradsweep/common.h"

#define GS_LOCK_STALE_DEFAULT_S 120.0

typedef struct gs_lock gs_lock;

typedef struct gs_lock_options {
    bool break_lock;          /* --break-lock: break whatever lock is there */
    double stale_after_s;     /* recorded in our lock: how long without a heartbeat before
                                 others may break it (0: GS_LOCK_STALE_DEFAULT_S) */
    const char *command_line; /* recorded in the lock, for whoever finds it */
    FILE *log;                /* where a note about a broken lock goes (NULL: nowhere) */
    void (*on_lost)(void);    /* called once by the heartbeat thread when the lock was
                                 broken or taken: must be thread-safe (may be NULL) */
} gs_lock_options;

/* Takes the lock of the file at path, breaking a stale one. Returns 0 and
 * sets *out; GS_EXIT_LOCKED when a live run holds it (err names it and says
 * what to do); GS_EXIT_OUTPUT when the lock file cannot be written (err says
 * why; *errno_out holds the errno, so that the caller can report its own,
 * clearer message for a full or read-only file system). */
int lock_acquire(gs_lock **out, const char *path, const gs_lock_options *opt, int *errno_out,
                 gs_error *err);

/* True once the heartbeat found the lock broken or taken by another run;
 * why then says by whom (may be NULL). Cheap: reads a flag. */
bool lock_lost(const gs_lock *lock, char *why, size_t size);

/* Stops the heartbeat and removes the lock file if it is still ours. NULL
 * and *lock == NULL are fine. */
void lock_release(gs_lock **lock);

/* The lock file's path for a results file: path + ".lock" (malloc'd). */
char *lock_path_of(const char *path);

#endif
