/* jacobi_omp.c -- a Jacobi stencil with one short parallel region per sweep.
 *
 * Usage: jacobi_omp [n] [T]     (defaults 1024 and 200)
 * Each sweep is `#pragma omp parallel for schedule(static)` over the interior
 * rows, from one grid into the other: T regions of n*n/p points each per
 * thread. The same binary runs under libgomp and under libcape.
 * Output: time_s=<s> (the T sweeps)  checksum=<%.9e>
 */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include "jacobi.h"

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1024;
    long T = argc > 2 ? atol(argv[2]) : 200;
    if (n < 3 || T < 1) {
        fprintf(stderr, "usage: %s [n >= 3] [T >= 1]\n", argv[0]);
        return 2;
    }
    double *a = malloc((size_t)n * n * sizeof *a), *b = malloc((size_t)n * n * sizeof *b);
    if (!a || !b) {
        fprintf(stderr, "jacobi_omp: out of memory for n=%ld\n", n);
        return 1;
    }
    for (long i = 0; i < n; i++)
        for (long j = 0; j < n; j++) a[i * n + j] = b[i * n + j] = jacobi_init(i, j, n);

    double t0 = omp_get_wtime();
    for (long t = 0; t < T; t++) {
        const double *src = t % 2 ? b : a;
        double *dst = t % 2 ? a : b;
#pragma omp parallel for schedule(static)
        for (long i = 1; i < n - 1; i++)
            jacobi_row(src + (i - 1) * n, src + i * n, src + (i + 1) * n, dst + i * n, n);
    }
    double t1 = omp_get_wtime();

    const double *g = T % 2 ? b : a;
    double sum = 0.0;
    for (long i = 0; i < n; i++)
        for (long j = 0; j < n; j++) sum += g[i * n + j] * jacobi_weight(i, j);
    printf("time_s=%.6f\n", t1 - t0);
    printf("checksum=%.9e\n", sum);
    return 0;
}
