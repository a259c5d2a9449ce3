/* SPDX-License-Identifier: MIT */
/* launch.c — the launch and the machine (see launch.h). */
#include "gradsweep/launch.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gradsweep/blas.h"

static const char launch_advice[] =
    "launch with srun --mpi=pmix (Debian's Open MPI) or mpirun -n %s, or use srun -n 1 to run "
    "a single rank on purpose";

/* The task count of the srun step this process belongs to, when it has more
 * than one task; NULL otherwise (not under srun, or in a batch script). */
static const char *srun_tasks(void) {
    const char *tasks = getenv("SLURM_STEP_NUM_TASKS"); /* set by srun, not in a batch script */
    return getenv("SLURM_STEP_ID") && tasks && atoi(tasks) > 1 ? tasks : NULL;
}

static bool srun_without_pmi(void) {
    return srun_tasks() && !getenv("PMIX_RANK") && !getenv("PMI_RANK") && !getenv("PMI_FD") &&
           !getenv("OMPI_COMM_WORLD_SIZE");
}

int launch_check_srun(void) {
    if (!srun_without_pmi()) return 0;
    const char *procid = getenv("SLURM_PROCID");
    if (!procid || atoi(procid) == 0) { /* once, not once per task */
        fprintf(stderr,
                "gradsweep: launched wrong: srun started %s tasks without a PMI "
                "that MPI can use; ",
                srun_tasks());
        fprintf(stderr, launch_advice, srun_tasks());
        fputc('\n', stderr);
    }
    return GS_EXIT_LAUNCH;
}

int launch_check_ranks(int size, gs_error *err) {
    const char *ess = getenv("OMPI_MCA_ess");
    const char *tasks = srun_tasks();
    if (size != 1 || !ess || strcmp(ess, "singleton") != 0 || !tasks) return 0;
    char advice[256];
    snprintf(advice, sizeof advice, launch_advice, tasks);
    return gs_fail(err, GS_EXIT_LAUNCH,
                   "launched wrong: srun started %s tasks but each is a separate one-rank MPI "
                   "job (MPI sees 1 rank); %s",
                   tasks, advice);
}

/* The node's available memory in bytes (MemAvailable), 0 if unknown. */
static double node_available_bytes(void) {
    FILE *f = fopen("/proc/meminfo", "r");
    char line[256];
    double kib = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "MemAvailable: %lf kB", &kib) == 1) break;
    if (f) fclose(f);
    return kib * 1024;
}

size_t launch_memory_limit(MPI_Comm comm, size_t max_memory) {
    unsigned long long limit = max_memory;
    if (!limit) {
        MPI_Comm node;
        int local = 1;
        MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
        MPI_Comm_size(node, &local);
        MPI_Comm_free(&node);
        double available = node_available_bytes();
        limit = available > 0 ? (unsigned long long)(0.9 * available / local) : 0;
    }
    unsigned long long smallest = limit;
    MPI_Allreduce(&limit, &smallest, 1, MPI_UNSIGNED_LONG_LONG, MPI_MIN, comm);
    return (size_t)smallest;
}

void launch_set_blas_threads(int requested) {
    int threads = requested;
    const char *env = getenv("OPENBLAS_NUM_THREADS");
    if (!threads && env) threads = atoi(env); /* the user asked for this many */
    blas_set_threads(threads > 0 ? threads : 1);
}
