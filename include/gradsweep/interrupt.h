/* SPDX-License-Identifier: MIT */
/* interrupt.h — SIGTERM, SIGINT and SIGUSR1 as requests to stop a sweep
 * gracefully. mpirun and srun forward SIGUSR1 to every rank (on SIGTERM they
 * kill the ranks themselves, srun at once, mpirun a second later), so job
 * scripts ask Slurm for --signal=B:USR1@... and forward it. The handlers
 * only record the signal: the scheduler reads it between layers and stops
 * handing out work. */
#ifndef GRADSWEEP_INTERRUPT_H
#define GRADSWEEP_INTERRUPT_H

/* Installs the handlers (after MPI_Init, so that they are ours). */
void interrupt_install(void);
/* The last stop signal received, or 0. */
int interrupt_signal(void);
/* How many stop signals have arrived: a second one means "abandon now". */
int interrupt_count(void);
/* "SIGUSR1", … */
const char *interrupt_name(int signal);

/* The stop no signal asks for: another run took the results file's lock
 * (lock.h), so this one must stop writing at once. interrupt_signal() then
 * returns INTERRUPT_LOCK_LOST and interrupt_count() counts as two signals (in-
 * flight work is abandoned). Safe to call from any thread. */
#define INTERRUPT_LOCK_LOST (-1)
void interrupt_lock_lost(void);

#endif
