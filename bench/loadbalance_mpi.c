/* loadbalance_mpi.c -- the hand-written MPI version of loadbalance_omp.c.
 *
 * Iteration i costs O(i) (loadbalance.h).  The default distribution is
 * cyclic: rank k computes i = k, k + p, k + 2p, ..., so every rank gets the
 * same share of the triangle to within one iteration, with no communication
 * until the end.  A master/worker chunk queue would balance as well, but costs
 * a message round trip per chunk, and its master either computes nothing
 * (half the ranks at -n 2) or polls for requests between its own chunks; the
 * cost of every iteration is known in advance here, so a fixed cyclic split
 * needs none of that.  Each rank computes into a compact local buffer; MPI_Gatherv
 * brings the buffers to rank 0, which puts every value at its index.  `block`
 * gives each rank one contiguous block of iterations instead (the unbalanced
 * split that schedule(static) makes), for comparison.
 *
 * The timed part is compute + gather + unpack, started after an MPI_Barrier;
 * the reported time is the maximum over ranks.  Rank 0 prints the same two
 * lines as loadbalance_omp.c and the checksum must be identical.
 *
 * Usage: mpiexec -n <p> loadbalance_mpi [n] [cyclic|block]
 *        (default n = 20000, cyclic)
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loadbalance.h"
#include "mpi_finish.h"

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);

    char *end = "";
    long n = argc > 1 ? strtol(argv[1], &end, 10) : LB_DEFAULT_N;
    const char *mode = argc > 2 ? argv[2] : "cyclic";
    int cyclic = strcmp(mode, "cyclic") == 0;
    if (argc > 3 || *end != '\0' || n <= 0 || (!cyclic && strcmp(mode, "block") != 0)) {
        if (rank == 0)
            fprintf(stderr, "usage: %s [n] [cyclic|block]\n", argv[0]);
        MPI_Abort(MPI_COMM_WORLD, 2);
    }
    if (n > 0x7fffffffL) {
        if (rank == 0)
            fprintf(stderr, "loadbalance_mpi: n=%ld too large for int counts\n", n);
        MPI_Abort(MPI_COMM_WORLD, 2);
    }

    /* Iterations of rank p: cyclic, ceil((n - p) / size); block, balanced
     * contiguous counts (the first n % size ranks get one more). */
    int *counts = malloc((size_t)size * sizeof *counts);
    int *displs = malloc((size_t)size * sizeof *displs);
    if (!counts || !displs) {
        fprintf(stderr, "loadbalance_mpi: rank %d out of memory\n", rank);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    long off = 0;
    for (int p = 0; p < size; p++) {
        long c = cyclic ? (p < n ? (n - p + size - 1) / size : 0)
                        : n / size + (p < n % size ? 1 : 0);
        counts[p] = (int)c;
        displs[p] = (int)off;
        off += c;
    }
    long mine = counts[rank];
    long first = cyclic ? rank : displs[rank];
    long stride = cyclic ? size : 1;

    double *local = malloc((size_t)(mine > 0 ? mine : 1) * sizeof *local);
    double *gathered = NULL, *r = NULL;
    if (rank == 0) {
        r = malloc((size_t)n * sizeof *r);
        gathered = cyclic ? malloc((size_t)n * sizeof *gathered) : r;
    }
    if (!local || (rank == 0 && (!gathered || !r))) {
        fprintf(stderr, "loadbalance_mpi: rank %d out of memory for n=%ld\n", rank, n);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    for (long j = 0; j < mine; j++)
        local[j] = 0.0;
    if (rank == 0)
        for (long i = 0; i < n; i++)
            gathered[i] = r[i] = 0.0;

    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = MPI_Wtime();
    for (long j = 0; j < mine; j++)
        local[j] = lb_work(first + j * stride);
    MPI_Gatherv(local, (int)mine, MPI_DOUBLE,
                gathered, counts, displs, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    if (rank == 0 && cyclic)
        for (int p = 0; p < size; p++)
            for (long j = 0; j < counts[p]; j++)
                r[p + j * size] = gathered[displs[p] + j];
    double t = MPI_Wtime() - t0, tmax = 0.0;
    MPI_Reduce(&t, &tmax, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);

    if (rank == 0) {
        printf("time_s=%.4f\n", tmax);
        printf("checksum=%.15e\n", lb_checksum(r, n));
    }

    free(local);
    if (gathered != r)
        free(gathered);
    free(r);
    free(counts);
    free(displs);
    bench_mpi_finish();
    return 0;
}
