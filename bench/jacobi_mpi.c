/* jacobi_mpi.c -- the hand-written MPI version of jacobi_omp.c.
 *
 * Row blocks (the split of schedule(static) over the interior rows); before
 * each sweep a rank swaps its first and last rows with its neighbours
 * (MPI_Sendrecv, the halo exchange); at the end rank 0 gathers the grid and
 * computes the checksum. time_s covers the sweeps and the final gather (after
 * an MPI_Barrier), maximum over ranks.
 *
 * Usage: mpiexec -n P jacobi_mpi [n] [T]
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "jacobi.h"
#include "mpi_finish.h"

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, p;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &p);
    long n = argc > 1 ? atol(argv[1]) : 1024;
    long T = argc > 2 ? atol(argv[2]) : 200;
    if (n < 3 || T < 1) {
        if (rank == 0) fprintf(stderr, "usage: %s [n >= 3] [T >= 1]\n", argv[0]);
        MPI_Abort(MPI_COMM_WORLD, 2);
    }
    /* Interior rows 1..n-2 split as libgomp's static schedule splits them. */
    long rows = n - 2, q = rows / p, r = rows % p;
    long mine = q + (rank < r), first = 1 + rank * q + (rank < r ? rank : r);
    /* Local grids hold rows first-1 .. first+mine (with halos). */
    size_t local = (size_t)(mine + 2) * n;
    double *a = malloc(local * sizeof *a), *b = malloc(local * sizeof *b);
    if (!a || !b) MPI_Abort(MPI_COMM_WORLD, 1);
    for (long li = 0; li < mine + 2; li++)
        for (long j = 0; j < n; j++) a[li * n + j] = b[li * n + j] = jacobi_init(first - 1 + li, j, n);

    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = MPI_Wtime();
    int up = rank > 0 ? rank - 1 : MPI_PROC_NULL, down = rank < p - 1 ? rank + 1 : MPI_PROC_NULL;
    for (long t = 0; t < T; t++) {
        double *src = t % 2 ? b : a, *dst = t % 2 ? a : b;
        if (mine > 0) {
            MPI_Sendrecv(src + 1 * n, (int)n, MPI_DOUBLE, up, 0, src + (mine + 1) * n, (int)n, MPI_DOUBLE, down, 0,
                         MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            MPI_Sendrecv(src + mine * n, (int)n, MPI_DOUBLE, down, 1, src, (int)n, MPI_DOUBLE, up, 1, MPI_COMM_WORLD,
                         MPI_STATUS_IGNORE);
        }
        for (long li = 1; li <= mine; li++) jacobi_row(src + (li - 1) * n, src + li * n, src + (li + 1) * n, dst + li * n, n);
    }
    const double *g = T % 2 ? b : a;
    double *all = NULL;
    int *counts = NULL, *displs = NULL;
    if (rank == 0) {
        all = malloc((size_t)n * n * sizeof *all);
        counts = malloc(p * sizeof *counts);
        displs = malloc(p * sizeof *displs);
        for (int k = 0; k < p; k++) {
            long m = q + (k < r), f = 1 + k * q + (k < r ? k : r);
            counts[k] = (int)(m * n);
            displs[k] = (int)(f * n);
        }
        for (long j = 0; j < n; j++) {
            all[j] = jacobi_init(0, j, n);
            all[(n - 1) * n + j] = jacobi_init(n - 1, j, n);
        }
    }
    MPI_Gatherv(g + n, (int)(mine * n), MPI_DOUBLE, all, counts, displs, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    double el = MPI_Wtime() - t0, worst;
    MPI_Reduce(&el, &worst, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
    if (rank == 0) {
        double sum = 0.0;
        for (long i = 0; i < n; i++)
            for (long j = 0; j < n; j++) sum += all[i * n + j] * jacobi_weight(i, j);
        printf("time_s=%.6f\n", worst);
        printf("checksum=%.9e\n", sum);
    }
    free(a); free(b); free(all); free(counts); free(displs);
    bench_mpi_finish();
    return 0;
}
