/* allreduce_mpi.c -- the cost of an 8-byte MPI_Allreduce, the yardstick of
 * the kernels part: the least a barrier that makes the ranks agree on
 * anything has to pay in plain MPI.
 *
 * W = R / 10 (at least 100) untimed MPI_Allreduce calls (MPI_SUM of one
 * uint64_t, MPI_UINT64_T), then R timed ones, from an MPI_Barrier to the
 * last call; us_per_allreduce = the maximum over the ranks of the time / R.
 * Every rank contributes rank + 1 + i in call i, so the sum is known and
 * checked: the program exits 1 if a call returned anything else.
 *
 * Usage: mpiexec -n P allreduce_mpi [R]      (default R = 10000)
 * Output (rank 0): ranks=<P>
 *                  allreduces=<R>
 *                  us_per_allreduce=<%.3f>
 */
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "mpi_finish.h"

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, p;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &p);
    long R = 10000;
    if (argc > 1) {
        char *end;
        R = strtol(argv[1], &end, 10);
        if (argc > 2 || *end != '\0' || R <= 0) {
            if (rank == 0)
                fprintf(stderr, "usage: %s [R]   (R >= 1)\n", argv[0]);
            MPI_Abort(MPI_COMM_WORLD, 2);
        }
    }
    long W = R / 10 > 100 ? R / 10 : 100;
    /* sum over ranks of (rank + 1 + i) = p (p + 1) / 2 + p i */
    const uint64_t base = (uint64_t)p * (uint64_t)(p + 1) / 2;
    int bad = 0;

    for (long i = 0; i < W; i++) {
        uint64_t v = (uint64_t)(rank + 1) + (uint64_t)i, s = 0;
        MPI_Allreduce(&v, &s, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
        bad |= s != base + (uint64_t)p * (uint64_t)i;
    }
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = MPI_Wtime();
    for (long i = 0; i < R; i++) {
        uint64_t v = (uint64_t)(rank + 1) + (uint64_t)i, s = 0;
        MPI_Allreduce(&v, &s, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
        bad |= s != base + (uint64_t)p * (uint64_t)i;
    }
    double t = MPI_Wtime() - t0, tmax = 0.0;
    int anybad = 0;
    MPI_Reduce(&t, &tmax, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
    MPI_Allreduce(&bad, &anybad, 1, MPI_INT, MPI_LOR, MPI_COMM_WORLD);
    if (anybad) {
        if (rank == 0)
            fprintf(stderr, "allreduce_mpi: an MPI_Allreduce returned a wrong sum\n");
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    if (rank == 0) {
        printf("ranks=%d\n", p);
        printf("allreduces=%ld\n", R);
        printf("us_per_allreduce=%.3f\n", tmax * 1e6 / (double)R);
    }
    bench_mpi_finish();
    return 0;
}
