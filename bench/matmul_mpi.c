/* matmul_mpi.c -- the hand-written MPI version of matmul_omp.c.
 *
 * Every rank initializes A and B in full (same values as matmul_omp.c),
 * computes a balanced block of rows of C with the same i-k-j loop, then
 * MPI_Allgatherv leaves the whole C on every rank.  The timed part is
 * compute + allgather, started after an MPI_Barrier; the reported time is the
 * maximum over ranks.  Rank 0 prints the same two lines as matmul_omp.c and
 * the checksum must be identical.
 *
 * Usage: mpiexec -n <p> matmul_mpi [n]    (default n = 1600)
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

#include "matmul_row.h"
#include "mpi_finish.h"

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);

    long n = argc > 1 ? atol(argv[1]) : 1600;
    if (n <= 0) {
        if (rank == 0)
            fprintf(stderr, "usage: %s [n]\n", argv[0]);
        MPI_Abort(MPI_COMM_WORLD, 2);
    }
    size_t nn = (size_t)n * (size_t)n;
    if (nn > (size_t)0x7fffffff) {
        if (rank == 0)
            fprintf(stderr, "matmul_mpi: n=%ld too large for int counts\n", n);
        MPI_Abort(MPI_COMM_WORLD, 2);
    }
    double *A = malloc(nn * sizeof *A);
    double *B = malloc(nn * sizeof *B);
    double *C = malloc(nn * sizeof *C);
    int *counts = malloc((size_t)size * sizeof *counts);
    int *displs = malloc((size_t)size * sizeof *displs);
    if (!A || !B || !C || !counts || !displs) {
        fprintf(stderr, "matmul_mpi: rank %d out of memory for n=%ld\n", rank, n);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }

    for (long i = 0; i < n; i++)
        for (long j = 0; j < n; j++) {
            A[i * n + j] = (double)((i * 7 + j * 3) % 17) / 16.0;
            B[i * n + j] = (double)((i * 5 + j * 11) % 13) / 8.0;
            C[i * n + j] = 0.0;
        }

    /* Balanced blocks: the first n % size ranks get one extra row. */
    long q = n / size, r = n % size, row = 0;
    for (int p = 0; p < size; p++) {
        long rows = q + (p < r ? 1 : 0);
        counts[p] = (int)(rows * n);
        displs[p] = (int)(row * n);
        row += rows;
    }
    long lo = displs[rank] / n, hi = lo + counts[rank] / n;

    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = MPI_Wtime();
    for (long i = lo; i < hi; i++)
        matmul_row(C + i * n, A + i * n, B, n);
    MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL,
                   C, counts, displs, MPI_DOUBLE, MPI_COMM_WORLD);
    double t = MPI_Wtime() - t0, tmax = 0.0;
    MPI_Reduce(&t, &tmax, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);

    if (rank == 0) {
        double sum = 0.0;
        for (long i = 0; i < n; i++)
            for (long j = 0; j < n; j++)
                sum += C[i * n + j] * (double)(1 + (i + j) % 3);
        printf("time_s=%.4f\n", tmax);
        printf("checksum=%.6e\n", sum);
    }

    free(A);
    free(B);
    free(C);
    free(counts);
    free(displs);
    bench_mpi_finish();
    return 0;
}
