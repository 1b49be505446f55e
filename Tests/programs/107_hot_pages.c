// Theme: pages written at many sync points in a row, which the uffd tracker leaves writable between
// them, and what else happens to such pages: the other threads write them, a thread writes back the
// values they already hold, nobody writes them for several sync points, a critical section writes
// one, sequential code writes them between two regions, and the region after only reads some.
// Every value depends on the element and the step only; checksums after each step.
#include <omp.h>
#include <stdint.h>
#include <stdio.h>

#define PAGES 48
#define N (PAGES * 512)   /* doubles: 48 pages */
#define STEPS 10

static double grid[N];
static long acc[512];     /* a page of its own, written inside critical sections */

static double f(long i, int step, int phase) { return (double)((i * 31 + step * 7 + phase) % 1009) / 8.0; }

static uint64_t sum(void) {
    uint64_t s = 1469598103934665603ull;
    for (long i = 0; i < N; i++) s = (s ^ (uint64_t)(grid[i] * 8.0)) * 1099511628211ull;
    for (long i = 0; i < 512; i++) s = (s ^ (uint64_t)acc[i]) * 1099511628211ull;
    return s;
}

int main(void) {
    volatile double *v = grid;
    #pragma omp parallel
    {
        for (int step = 0; step < STEPS; step++) {
            // Each thread its block of pages.
            #pragma omp for schedule(static)
            for (long i = 0; i < N; i++) grid[i] = f(i, step, 0);
            // The same pages, but the block of another thread (reversed order of the blocks).
            #pragma omp for schedule(static)
            for (long k = 0; k < N; k++) { long i = N - 1 - k; grid[i] = f(i, step, 1); }
            // The same values written again: the pages change nowhere.
            #pragma omp for schedule(static)
            for (long k = 0; k < N; k++) { long i = N - 1 - k; v[i] = f(i, step, 1); }
            // Sync points at which nothing is written.
            #pragma omp barrier
            #pragma omp barrier
            #pragma omp barrier
            #pragma omp barrier
            // A critical section per iteration of a shared loop, into a page written every step.
            #pragma omp for schedule(dynamic, 3)
            for (int i = 0; i < 100; i++) {
                #pragma omp critical
                acc[step] += i + step;
            }
            // Every other step, only every fourth page (the rest stay as they are).
            if (step % 2) {
                #pragma omp for schedule(static)
                for (int p = 0; p < PAGES; p += 4) grid[(long)p * 512 + 7] += 1.0;
            }
            #pragma omp single
            printf("step %d: %016llx\n", step, (unsigned long long)sum());
        }
    }
    // Sequential code writes half the pages the region wrote at every step.
    for (long i = 0; i < N / 2; i++) grid[i] += 0.5;
    printf("sequential: %016llx\n", (unsigned long long)sum());
    double total = 0;
    #pragma omp parallel
    {
        // Reads only, then writes at two sync points in a row, then reads only again.
        #pragma omp for schedule(static) reduction(+:total)
        for (long i = 0; i < N; i++) total += grid[i];
        for (int round = 0; round < 3; round++) {
            #pragma omp for schedule(static)
            for (long i = 0; i < N; i += 64) grid[i] = f(i, round, 5);
        }
        #pragma omp for schedule(static) reduction(+:total)
        for (long i = 0; i < N; i++) total += grid[i];
    }
    printf("after reads: %.3f %016llx\n", total, (unsigned long long)sum());
    for (int r = 0; r < 4; r++) {
        // Regions that write the same pages, one after another.
        #pragma omp parallel for schedule(static)
        for (long i = 0; i < N; i++) grid[i] = f(i, r, 9);
        grid[r * 512 + 3] = -1.0 * r;
    }
    printf("regions: %016llx\n", (unsigned long long)sum());
    return 0;
}
