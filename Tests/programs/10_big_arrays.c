// Theme: more than 100 MB of shared data: two double arrays of 8 Mi elements (128 MiB in total)
// written in regions, one reading what an earlier region wrote, checksummed afterwards.
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define N (8L * 1024 * 1024)

int main(void) {
    printf("10 big arrays: 2 x %ld doubles\n", N);
    double *a = malloc(N * sizeof *a), *b = malloc(N * sizeof *b);
    if (!a || !b) { printf("FAIL 10: malloc\n"); return 1; }

    #pragma omp parallel for schedule(static)
    for (long i = 0; i < N; i++) a[i] = (double)(i % 1000003) * 0.5;

    #pragma omp parallel for schedule(static)
    for (long i = 0; i < N; i++) b[i] = a[N - 1 - i] * 2.0 + 1.0;

    // Sparse update of a: only every 4096th element (one per page) changes.
    #pragma omp parallel for schedule(static, 1)
    for (long i = 0; i < N; i += 4096) a[i] = -1.0;

    long bad = 0;
    double sa = 0.0, sb = 0.0;
    uint64_t xa = 0;
    for (long i = 0; i < N; i++) {
        double ea = (i % 4096 == 0) ? -1.0 : (double)(i % 1000003) * 0.5;
        double eb = (double)((N - 1 - i) % 1000003) * 0.5 * 2.0 + 1.0;
        if (a[i] != ea) bad++;
        if (b[i] != eb) bad++;
        sa += a[i];
        sb += b[i];
        xa += (uint64_t)(int64_t)a[i] * (uint64_t)(i & 255);
    }
    printf("sum a=%.1f sum b=%.1f xa=%llu\n", sa, sb, (unsigned long long)xa);
    free(a);
    free(b);
    if (bad) { printf("FAIL 10: %ld mismatches\n", bad); return 1; }
    printf("10 ok\n");
    return 0;
}
