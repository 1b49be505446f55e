/* jacobi.h -- the stencil shared by jacobi_omp.c and jacobi_mpi.c.
 *
 * A 5-point Jacobi sweep on an n x n grid with fixed boundaries, T sweeps
 * alternating between two grids. The boundary and start values are small
 * integers over powers of two and every update is (a+b+c+d)*0.25 in one fixed
 * order, so each point's value is the same bit for bit whatever the
 * decomposition: the checksums of the two programs must be identical. */
#include <stddef.h>

static inline double jacobi_init(long i, long j, long n)
{
    if (i == 0 || j == 0 || i == n - 1 || j == n - 1) return (double)((i * 3 + j * 5) % 16) / 4.0;
    return 0.0;
}

static inline void jacobi_row(const double *up, const double *mid, const double *down, double *out, long n)
{
    for (long j = 1; j < n - 1; j++) out[j] = (((up[j] + down[j]) + mid[j - 1]) + mid[j + 1]) * 0.25;
}

static inline double jacobi_weight(long i, long j) { return (double)(1 + (i * 7 + j) % 5); }
