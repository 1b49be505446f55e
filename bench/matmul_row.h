/* matmul_row.h -- the kernel both matrix products call: one row of C += A * B.
 *
 * Out of line on purpose. Written inline, gcc compiles the same i-k-j loop
 * differently in the two programs: in matmul_mpi.c's main it knows that A, B
 * and C come from separate mallocs and unrolls the k loop by two (two FMAs per
 * store of C), while in the function that gcc outlines for the OpenMP loop the
 * pointers come through a struct and it does not; serial runs at n = 1200
 * took about 1.09 s for the OpenMP binary against 0.58-1.10 s for the MPI one.
 * One function that both call makes their compute the same instructions, so
 * that the comparison measures the runtimes, not the compiler.
 */
#ifndef MATMUL_ROW_H
#define MATMUL_ROW_H

__attribute__((noinline)) static void matmul_row(double *ci, const double *ai, const double *B, long n)
{
    for (long k = 0; k < n; k++) {
        double a = ai[k];
        const double *bk = B + k * n;
        for (long j = 0; j < n; j++)
            ci[j] += a * bk[j];
    }
}

#endif
