/* interrupt.h — SIGTERM, SIGINT and SIGUSR1 as requests to stop a sweep
 * gracefully (Slurm sends SIGTERM at a time limit, or the signal a job asks
 * for with --signal; mpirun forwards SIGUSR1 to every rank; srun forwards
 * them all). The handlers only record the signal: the scheduler reads it
 * between layers and stops handing out work. */
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

#endif
