/* mpi_finish.h -- the end of the hand-written MPI programs.
 *
 * bench_mpi_finish() replaces MPI_Finalize(). With all ranks on one host it
 * is MPI_Finalize(). With ranks on several hosts (names from
 * MPI_Get_processor_name differ, as under scripts/sim-ssh), MPICH's
 * MPI_Finalize can hang: UCX closes its TCP endpoints with a flush that needs
 * progress from the peer, while a peer that finished first waits in the PMI
 * barrier and makes none (loadbalance_mpi hung in 4 of 18 runs on 2
 * simulated hosts). After a barrier nothing is in flight, so the process
 * leaves without it, as libcape's proxies do across hosts. Nothing of this
 * is timed: every program has printed its results before.
 */
#ifndef BENCH_MPI_FINISH_H
#define BENCH_MPI_FINISH_H

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void bench_mpi_finish(void)
{
    char name[MPI_MAX_PROCESSOR_NAME];
    int len = 0, size = 1, multi = 0;
    memset(name, 0, sizeof name);
    MPI_Get_processor_name(name, &len);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    char *all = malloc((size_t)size * MPI_MAX_PROCESSOR_NAME);
    if (all == NULL)
        MPI_Abort(MPI_COMM_WORLD, 1);
    MPI_Allgather(name, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, all, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, MPI_COMM_WORLD);
    for (int r = 1; r < size; r++)
        if (strncmp(all, all + (size_t)r * MPI_MAX_PROCESSOR_NAME, MPI_MAX_PROCESSOR_NAME) != 0)
            multi = 1;
    free(all);
    if (!multi) {
        MPI_Finalize();
        return;
    }
    MPI_Barrier(MPI_COMM_WORLD);
    fflush(stdout);
    fflush(stderr);
    _exit(0);
}

#endif
