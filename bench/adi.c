/* adi.c -- an ADI line-sweep solver in the manner of the NAS SP and BT
 * benchmarks: many short worksharing loops, each ending with a barrier,
 * inside one parallel region.
 *
 * The grid is n x n x n points of NV = 5 doubles each (layout
 * [k][j][i][m], as NAS stores u(m,i,j,k)), in four arrays: u (the solution),
 * frc (a forcing term, set once), rhs (the right-hand side, then the
 * increment) and lhs (the modified super-diagonal of the current sweep's
 * tridiagonal systems, as NAS keeps its lhs arrays for the whole grid).
 * Every time step, inside ONE `#pragma omp parallel` region, runs five
 * phases, each an `#pragma omp for schedule(static)` ending with its
 * implicit barrier:
 *
 *   rhs    for k (planes): rhs = a_m * (7-point second differences of u_m)
 *          + c * (u_{m+1} - u_m) + dt * frc_m   (u is zero outside the grid)
 *   x      for k (planes), for j (lines): per component, solve the
 *          tridiagonal system (I - A_x) d = rhs along i (Thomas algorithm;
 *          A_x depends on u, so the lhs is rebuilt every step, as in NAS)
 *   y      for k (planes), for i (lines): the same along j
 *   z      for j (planes), for i (lines): the same along k
 *   add    for k (planes): u += rhs
 *
 * so barriers_per_step = 5. Each line is solved by one thread and every
 * point is computed by the same code in the same order whatever the team, so
 * the result does not depend on the runtime or the team size (no reduction).
 *
 * Untimed: allocation, and the initialization of the grid (an `omp for` in
 * the same region). seconds is the time-step loop, from the barrier that ends
 * the initialization to the barrier that ends the last step, the maximum over
 * the threads (omp_get_wtime). checksum is the sum of u over the grid, in
 * index order on one thread after the region.
 *
 * Usage: adi n T        (n >= 3 points per dimension, T >= 1 steps)
 * Output: n=<n>
 *         steps=<T>
 *         barriers_per_step=5
 *         seconds=<%.6f>
 *         checksum=<%.10e>    (independent of the runtime and team size)
 */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#define NV 5        /* components per point, as SP and BT have */
#define MAXT 256    /* team size limit of the per-thread records */
#define PAD 8       /* one record per 64-byte line */
#define PHASES 5    /* rhs, x, y, z, add: one barrier each */

static double t_loop[MAXT * PAD];
static int team = 0;

/* The implicit operator of a component at a point: a_m scaled by a factor in
 * [1, 1.5) that grows with |u|, so the systems change from step to step. */
static inline double coef(double a, double v)
{
    double v2 = v * v;
    return a * (1.0 + 0.5 * v2 / (1.0 + v2));
}

/* Thomas algorithm along one line of len points, stride s (in doubles),
 * for component m: solve -c_p x_{p-1} + (1 + 2 c_p) x_p - c_p x_{p+1} = r_p
 * with x_{-1} = x_len = 0. r (in rhs) becomes x; cp (in lhs) holds the
 * modified super-diagonal. */
static inline void solve_line(const double *uu, double *r, double *cp, long len, long s, double a)
{
    double c = coef(a, uu[0]);
    double den = 1.0 + 2.0 * c;
    cp[0] = -c / den;
    r[0] = r[0] / den;
    for (long p = 1; p < len; p++) {
        c = coef(a, uu[p * s]);
        den = 1.0 + 2.0 * c + c * cp[(p - 1) * s];
        cp[p * s] = -c / den;
        r[p * s] = (r[p * s] + c * r[(p - 1) * s]) / den;
    }
    for (long p = len - 2; p >= 0; p--)
        r[p * s] -= cp[p * s] * r[(p + 1) * s];
}

static long parse(const char *s, long min, const char *prog)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*end != '\0' || v < min) {
        fprintf(stderr, "usage: %s n T   (n >= 3, T >= 1)\n", prog);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s n T   (n >= 3, T >= 1)\n", argv[0]);
        return 2;
    }
    const long n = parse(argv[1], 3, argv[0]);
    const long T = parse(argv[2], 1, argv[0]);
    if (n > 1000) {
        fprintf(stderr, "adi: n = %ld is too large (at most 1000)\n", n);
        return 2;
    }
    if (omp_get_max_threads() > MAXT) {
        fprintf(stderr, "adi: more than %d threads\n", MAXT);
        return 2;
    }

    const long si = NV, sj = n * NV, sk = n * n * NV;   /* strides of i, j, k */
    const size_t total = (size_t)(n * n * n * NV);
    double *u = malloc(total * sizeof *u);
    double *frc = malloc(total * sizeof *frc);
    double *rhs = malloc(total * sizeof *rhs);
    double *lhs = malloc(total * sizeof *lhs);
    if (!u || !frc || !rhs || !lhs) {
        fprintf(stderr, "adi: out of memory for n=%ld\n", n);
        return 1;
    }

    /* Per component: a_m = dt * nu_m / h^2 (the diffusion number); the
     * coupling c between components and the step dt of the forcing. */
    double a[NV];
    for (int m = 0; m < NV; m++)
        a[m] = 0.4 + 0.15 * m;
    const double cpl = 0.05, dt = 0.01;

#pragma omp parallel
    {
        int t = omp_get_thread_num();
        if (t == 0)
            team = omp_get_num_threads();

        /* Initialization: a smooth field that vanishes near the boundary. */
#pragma omp for schedule(static)
        for (long k = 0; k < n; k++) {
            double z = (double)(k + 1) / (double)(n + 1);
            for (long j = 0; j < n; j++) {
                double y = (double)(j + 1) / (double)(n + 1);
                for (long i = 0; i < n; i++) {
                    double x = (double)(i + 1) / (double)(n + 1);
                    double bump = 64.0 * x * (1.0 - x) * y * (1.0 - y) * z * (1.0 - z);
                    long p = k * sk + j * sj + i * si;
                    for (int m = 0; m < NV; m++) {
                        u[p + m] = (double)(m + 1) * 0.5 * bump;
                        frc[p + m] = 1.0 + 0.25 * (double)m + x - 0.5 * y + 0.25 * z;
                        rhs[p + m] = 0.0;
                        lhs[p + m] = 0.0;
                    }
                }
            }
        }
        /* The loop's implicit barrier: timing starts with every thread here. */
        double t0 = omp_get_wtime();

        for (long step = 0; step < T; step++) {
            /* rhs: explicit second differences, coupling and forcing. */
#pragma omp for schedule(static)
            for (long k = 0; k < n; k++)
                for (long j = 0; j < n; j++)
                    for (long i = 0; i < n; i++) {
                        long p = k * sk + j * sj + i * si;
                        for (int m = 0; m < NV; m++) {
                            double c = u[p + m];
                            double xm = i > 0 ? u[p - si + m] : 0.0, xp = i < n - 1 ? u[p + si + m] : 0.0;
                            double ym = j > 0 ? u[p - sj + m] : 0.0, yp = j < n - 1 ? u[p + sj + m] : 0.0;
                            double zm = k > 0 ? u[p - sk + m] : 0.0, zp = k < n - 1 ? u[p + sk + m] : 0.0;
                            double next = u[p + (m + 1) % NV];
                            rhs[p + m] = a[m] * ((xm - 2.0 * c + xp) + (ym - 2.0 * c + yp) + (zm - 2.0 * c + zp))
                                + cpl * (next - c) + dt * frc[p + m];
                        }
                    }

            /* x sweep: lines along i. */
#pragma omp for schedule(static)
            for (long k = 0; k < n; k++)
                for (long j = 0; j < n; j++) {
                    long p = k * sk + j * sj;
                    for (int m = 0; m < NV; m++)
                        solve_line(u + p + m, rhs + p + m, lhs + p + m, n, si, a[m]);
                }

            /* y sweep: lines along j. */
#pragma omp for schedule(static)
            for (long k = 0; k < n; k++)
                for (long i = 0; i < n; i++) {
                    long p = k * sk + i * si;
                    for (int m = 0; m < NV; m++)
                        solve_line(u + p + m, rhs + p + m, lhs + p + m, n, sj, a[m]);
                }

            /* z sweep: lines along k. */
#pragma omp for schedule(static)
            for (long j = 0; j < n; j++)
                for (long i = 0; i < n; i++) {
                    long p = j * sj + i * si;
                    for (int m = 0; m < NV; m++)
                        solve_line(u + p + m, rhs + p + m, lhs + p + m, n, sk, a[m]);
                }

            /* add: u += the increment. */
#pragma omp for schedule(static)
            for (long k = 0; k < n; k++)
                for (long q = k * sk; q < (k + 1) * sk; q++)
                    u[q] += rhs[q];
        }
        t_loop[t * PAD] = omp_get_wtime() - t0;
    }

    double secs = 0.0;
    for (int t = 0; t < team; t++)
        if (t_loop[t * PAD] > secs)
            secs = t_loop[t * PAD];
    double check = 0.0;
    for (size_t q = 0; q < total; q++)
        check += u[q];

    printf("n=%ld\n", n);
    printf("steps=%ld\n", T);
    printf("barriers_per_step=%d\n", PHASES);
    printf("seconds=%.6f\n", secs);
    printf("checksum=%.10e\n", check);
    free(u);
    free(frc);
    free(rhs);
    free(lhs);
    return 0;
}
