/* empty_region.c -- cost of an empty `#pragma omp parallel` region.
 *
 * 100 warm-up regions, then R timed regions whose body writes nothing shared.
 * Under libgomp this is fork/join cost; under libcape it is the per-region
 * cost of the distributed runtime (start, end, and an empty exchange).
 *
 * Usage: empty_region [R]      (default R = 10000)
 * Output: regions=<R>
 *         us_per_region=<%.2f>
 */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    long R = argc > 1 ? atol(argv[1]) : 10000;
    if (R <= 0) {
        fprintf(stderr, "usage: %s [R]\n", argv[0]);
        return 2;
    }

    for (int w = 0; w < 100; w++) {
#pragma omp parallel
        {
            if (omp_get_thread_num() < 0)
                printf("x");
        }
    }

    double t0 = omp_get_wtime();
    for (long r = 0; r < R; r++) {
#pragma omp parallel
        {
            if (omp_get_thread_num() < 0)
                printf("x");
        }
    }
    double t1 = omp_get_wtime();

    printf("regions=%ld\n", R);
    printf("us_per_region=%.2f\n", (t1 - t0) * 1e6 / (double)R);
    return 0;
}
