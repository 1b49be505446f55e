/* cg.c -- a conjugate-gradient kernel in the manner of the NAS CG benchmark:
 * a sparse matrix-vector product, dot products and vector updates, each a
 * worksharing loop ending with a barrier, inside one parallel region.
 *
 * A is the 2-D 5-point Laplacian on an m x m grid (Dirichlet boundary:
 * 4 + SHIFT on the diagonal, -1 for each neighbour inside the grid), stored
 * in CSR form (rows = m * m, built in index order before the region). It is
 * symmetric positive definite. CG solves A x = b, b = 1, from x = 0, for a
 * fixed number of iterations (no convergence test), written as the NPB
 * OpenMP version writes conj_grad:
 *
 *   single                      rho0 = rho; d = 0; rho = 0
 *   for                         q = A p
 *   for reduction(+:d)          d += p . q
 *                               alpha = rho0 / d        (every thread)
 *   for reduction(+:rho)        x += alpha p; r -= alpha q; rho += r . r
 *                               beta = rho / rho0       (every thread)
 *   for                         p = r + beta p
 *
 * so barriers_per_iteration = 5 (the single's and the four loops'); the
 * reductions are on shared variables that the single resets.
 *
 * Untimed: building A, and the start (x = 0, r = p = b, rho = r . r, in the
 * same region). seconds is the iteration loop, from the barrier that ends the
 * start to the barrier that ends the last iteration, the maximum over the
 * threads (omp_get_wtime). After the region, on one thread in index order:
 * residual = ||b - A x|| and x_sum = the sum of x.
 *
 * The sums of the reductions depend on how the team splits the loops (each
 * thread adds its block, then the partial sums are combined), so x and the
 * checksum may differ in the last digits between team sizes and between
 * runtimes that combine in another order; both are printed with %.6e. At a
 * fixed team size and libgomp they do not change from run to run for two
 * threads (a + b = b + a); with more threads the order of the combination
 * can. Once CG has converged to rounding level, the residual is noise.
 *
 * Usage: cg m it        (m >= 2 grid points per dimension, it >= 1)
 * Output: rows=<m*m>
 *         nonzeros=<nnz>
 *         iterations=<it>
 *         barriers_per_iteration=5
 *         seconds=<%.6f>
 *         residual=<%.6e>
 *         x_sum=<%.6e>
 *         checksum=<residual>/<x_sum>    (the two above, %.6e each)
 */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#define SHIFT 1e-3
#define MAXT 256    /* team size limit of the per-thread records */
#define PAD 8       /* one record per 64-byte line */

static double t_loop[MAXT * PAD];
static int team = 0;
/* The shared scalars of the reductions (NPB keeps them shared as well). */
static double rho, rho0, d;

static long parse(const char *s, long min, const char *prog)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*end != '\0' || v < min) {
        fprintf(stderr, "usage: %s m it   (m >= 2, it >= 1)\n", prog);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s m it   (m >= 2, it >= 1)\n", argv[0]);
        return 2;
    }
    const long m = parse(argv[1], 2, argv[0]);
    const long it = parse(argv[2], 1, argv[0]);
    if (m > 100000) {
        fprintf(stderr, "cg: m = %ld is too large (at most 100000)\n", m);
        return 2;
    }
    if (omp_get_max_threads() > MAXT) {
        fprintf(stderr, "cg: more than %d threads\n", MAXT);
        return 2;
    }

    const long rows = m * m;
    long *rowptr = malloc((size_t)(rows + 1) * sizeof *rowptr);
    long *col = malloc((size_t)rows * 5 * sizeof *col);
    double *val = malloc((size_t)rows * 5 * sizeof *val);
    double *b = malloc((size_t)rows * sizeof *b);
    double *x = malloc((size_t)rows * sizeof *x);
    double *r = malloc((size_t)rows * sizeof *r);
    double *p = malloc((size_t)rows * sizeof *p);
    double *q = malloc((size_t)rows * sizeof *q);
    if (!rowptr || !col || !val || !b || !x || !r || !p || !q) {
        fprintf(stderr, "cg: out of memory for m=%ld\n", m);
        return 1;
    }

    /* CSR of the 5-point Laplacian, columns in increasing order. */
    long nnz = 0;
    for (long gy = 0; gy < m; gy++)
        for (long gx = 0; gx < m; gx++) {
            long row = gy * m + gx;
            rowptr[row] = nnz;
            if (gy > 0) { col[nnz] = row - m; val[nnz++] = -1.0; }
            if (gx > 0) { col[nnz] = row - 1; val[nnz++] = -1.0; }
            col[nnz] = row; val[nnz++] = 4.0 + SHIFT;
            if (gx < m - 1) { col[nnz] = row + 1; val[nnz++] = -1.0; }
            if (gy < m - 1) { col[nnz] = row + m; val[nnz++] = -1.0; }
            b[row] = 1.0;
        }
    rowptr[rows] = nnz;

#pragma omp parallel
    {
        int t = omp_get_thread_num();
        if (t == 0)
            team = omp_get_num_threads();

#pragma omp for schedule(static)
        for (long j = 0; j < rows; j++) {
            x[j] = 0.0;
            r[j] = b[j];
            p[j] = b[j];
            q[j] = 0.0;
        }
#pragma omp single
        rho = 0.0;
#pragma omp for schedule(static) reduction(+:rho)
        for (long j = 0; j < rows; j++)
            rho += r[j] * r[j];
        /* The reduction's implicit barrier: timing starts with every thread here. */
        double t0 = omp_get_wtime();

        for (long cgit = 0; cgit < it; cgit++) {
#pragma omp single
            {
                rho0 = rho;
                d = 0.0;
                rho = 0.0;
            }
#pragma omp for schedule(static)
            for (long j = 0; j < rows; j++) {
                double s = 0.0;
                for (long k = rowptr[j]; k < rowptr[j + 1]; k++)
                    s += val[k] * p[col[k]];
                q[j] = s;
            }
#pragma omp for schedule(static) reduction(+:d)
            for (long j = 0; j < rows; j++)
                d += p[j] * q[j];
            /* Converged exactly (r = 0): nothing left to do, keep x. */
            double alpha = d != 0.0 ? rho0 / d : 0.0;
#pragma omp for schedule(static) reduction(+:rho)
            for (long j = 0; j < rows; j++) {
                x[j] += alpha * p[j];
                r[j] -= alpha * q[j];
                rho += r[j] * r[j];
            }
            double beta = rho0 != 0.0 ? rho / rho0 : 0.0;
#pragma omp for schedule(static)
            for (long j = 0; j < rows; j++)
                p[j] = r[j] + beta * p[j];
        }
        t_loop[t * PAD] = omp_get_wtime() - t0;
    }

    double secs = 0.0;
    for (int t = 0; t < team; t++)
        if (t_loop[t * PAD] > secs)
            secs = t_loop[t * PAD];
    /* The true residual b - A x and the sum of x, in index order. */
    double res2 = 0.0, xsum = 0.0;
    for (long j = 0; j < rows; j++) {
        double s = 0.0;
        for (long k = rowptr[j]; k < rowptr[j + 1]; k++)
            s += val[k] * x[col[k]];
        double e = b[j] - s;
        res2 += e * e;
        xsum += x[j];
    }
    double res = sqrt(res2);

    printf("rows=%ld\n", rows);
    printf("nonzeros=%ld\n", nnz);
    printf("iterations=%ld\n", it);
    printf("barriers_per_iteration=5\n");
    printf("seconds=%.6f\n", secs);
    printf("residual=%.6e\n", res);
    printf("x_sum=%.6e\n", xsum);
    printf("checksum=%.6e/%.6e\n", res, xsum);
    free(rowptr);
    free(col);
    free(val);
    free(b);
    free(x);
    free(r);
    free(p);
    free(q);
    return 0;
}
