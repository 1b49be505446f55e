// Theme: a region in which one thread writes far more than the others. Thread 0 fills 6 MiB while
// the team shares a loop over 256 ints, then the last thread fills 6 MiB beside the same loop: under libcape one rank's diff is larger than what a sync point's shared-memory slot holds
// (4 MiB) and the others' are tiny, so the ranks must agree to exchange through their proxies.
// The same happens at a barrier inside a region. Checksums after each step.
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define N (6L * 1024 * 1024 / (long)sizeof(int))

static uint64_t sum(const int *a, long n) {
    uint64_t s = 1469598103934665603ull;
    for (long i = 0; i < n; i++) s = (s ^ (uint32_t)a[i]) * 1099511628211ull;
    return s;
}

int main(void) {
    int *big = calloc(N, sizeof *big);
    int *small = calloc(256, sizeof *small);
    if (!big || !small) { printf("FAIL 106: calloc\n"); return 1; }

    #pragma omp parallel
    {
        if (omp_get_thread_num() == 0)
            for (long i = 0; i < N; i++) big[i] = (int)(i * 7 + 1);
        #pragma omp for nowait
        for (int i = 0; i < 256; i++) small[i] = i + 100;
    }
    printf("first thread large: %016llx %016llx\n", (unsigned long long)sum(big, N), (unsigned long long)sum(small, 256));

    #pragma omp parallel
    {
        int t = omp_get_thread_num(), last = omp_get_num_threads() - 1;
        if (t == last)
            for (long i = 0; i < N; i++) big[i] = (int)(i * 13 + 5);
        #pragma omp for nowait
        for (int i = 0; i < 256; i++) small[i] = i + 200;
    }
    printf("last thread large: %016llx %016llx\n", (unsigned long long)sum(big, N), (unsigned long long)sum(small, 256));

    #pragma omp parallel
    {
        if (omp_get_thread_num() == 0)
            for (long i = 0; i < N; i++) big[i] = (int)(i * 3 + 2);
        #pragma omp for nowait
        for (int i = 0; i < 256; i++) small[i] = i + 300;
        #pragma omp barrier
        #pragma omp single
        printf("after the barrier: %016llx %016llx\n", (unsigned long long)sum(big, N), (unsigned long long)sum(small, 256));
    }
    free(big);
    free(small);
    return 0;
}
