/* pages.c -- the cost of a dirty page.
 *
 * A shared array of P pages; each region writes one byte in every page
 * (schedule(static) over the pages, so each thread dirties P / team pages),
 * R times; the same number of empty regions gives the fixed cost. Under
 * libcape the difference is everything a dirty page costs: finding that it
 * was written (the tracker), comparing it with its old content, sending its
 * changed bytes, applying the other ranks' pages, and preparing the page for
 * the next region.
 *
 * Usage: pages [P] [R]       (defaults 8192 and 20)
 * Output: us_per_page=<(t_written - t_empty) / R / (P / team)>
 *         us_per_region_empty=<...>  checksum=<...>
 */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    long P = argc > 1 ? atol(argv[1]) : 8192;
    long R = argc > 2 ? atol(argv[2]) : 20;
    if (P <= 0 || R <= 0) {
        fprintf(stderr, "usage: %s [pages] [repetitions]\n", argv[0]);
        return 2;
    }
    unsigned char *m = calloc((size_t)P, 4096);
    if (!m) {
        fprintf(stderr, "pages: out of memory for %ld pages\n", P);
        return 1;
    }
    for (long i = 0; i < P; i++) m[i * 4096] = 1; /* populated before timing */
    int team = 1;
#pragma omp parallel
#pragma omp master
    team = omp_get_num_threads();

    double t0 = omp_get_wtime();
    for (long r = 0; r < R; r++) {
#pragma omp parallel
        {
            if (omp_get_thread_num() < 0) m[0] = 0;
        }
    }
    double t1 = omp_get_wtime();
    for (long r = 0; r < R; r++) {
#pragma omp parallel for schedule(static)
        for (long i = 0; i < P; i++) m[i * 4096 + (r % 4096)] = (unsigned char)(r + i);
    }
    double t2 = omp_get_wtime();
    unsigned long sum = 0;
    for (long i = 0; i < P * 4096; i++) sum = sum * 31 + m[i];
    double per_page = ((t2 - t1) - (t1 - t0)) / (double)R / ((double)P / team) * 1e6;
    printf("us_per_page=%.3f\n", per_page);
    printf("us_per_region_empty=%.2f\n", (t1 - t0) / (double)R * 1e6);
    printf("team=%d\n", team);
    printf("checksum=%lu\n", sum);
    return 0;
}
