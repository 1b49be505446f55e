/* matmul_omp.c -- an ordinary OpenMP matrix multiplication, C = A * B.
 *
 * n x n doubles, i-k-j loop order (matmul_row.h, shared with matmul_mpi.c),
 * one `parallel for schedule(static)` over
 * the rows of C.  Nothing else from OpenMP is used (no reduction, atomic,
 * critical, barrier, single), so the same binary runs unchanged under
 * libgomp or under libcape (LD_PRELOAD) spread over MPI ranks.
 *
 * Inputs are small integers divided by powers of two, so every product and
 * every partial sum is exact in double precision: C and the checksum do not
 * depend on summation order, FMA contraction or vector width, and must match
 * matmul_mpi.c bit for bit.
 *
 * Usage: matmul_omp [n]        (default n = 1600)
 * Output: time_s=<s>           (the parallel region only, incl. its end)
 *         checksum=<%.6e>
 */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#include "matmul_row.h"

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1600;
    if (n <= 0) {
        fprintf(stderr, "usage: %s [n]\n", argv[0]);
        return 2;
    }
    size_t nn = (size_t)n * (size_t)n;
    double *A = malloc(nn * sizeof *A);
    double *B = malloc(nn * sizeof *B);
    double *C = malloc(nn * sizeof *C);
    if (!A || !B || !C) {
        fprintf(stderr, "matmul_omp: out of memory for n=%ld\n", n);
        return 1;
    }

    for (long i = 0; i < n; i++)
        for (long j = 0; j < n; j++) {
            A[i * n + j] = (double)((i * 7 + j * 3) % 17) / 16.0;
            B[i * n + j] = (double)((i * 5 + j * 11) % 13) / 8.0;
            C[i * n + j] = 0.0;
        }

    double t0 = omp_get_wtime();
#pragma omp parallel for schedule(static)
    for (long i = 0; i < n; i++)
        matmul_row(C + i * n, A + i * n, B, n);
    double t1 = omp_get_wtime();

    double sum = 0.0;
    for (long i = 0; i < n; i++)
        for (long j = 0; j < n; j++)
            sum += C[i * n + j] * (double)(1 + (i + j) % 3);

    printf("time_s=%.4f\n", t1 - t0);
    printf("checksum=%.6e\n", sum);

    free(A);
    free(B);
    free(C);
    return 0;
}
