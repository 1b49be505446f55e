// Theme: shared data on the heap: several buffers of different sizes (small brk-allocated, medium,
// large mmap-allocated, calloc, realloc), a heap struct, and heap reuse after free between regions.
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct stats {
    long count;
    double mean;
    int bins[32];
};

static uint64_t fnv(const void *p, size_t n, uint64_t h) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) { h ^= b[i]; h *= 1099511628211ULL; }
    return h;
}

int main(void) {
    printf("05 heap buffers\n");
    const int ns = 100, nm = 16384, nl = 1 << 20;          // 400 B, 64 KiB, 4 MiB of ints
    int *small = malloc(ns * sizeof *small);
    int *medium = malloc(nm * sizeof *medium);
    int *large = malloc(nl * sizeof *large);
    double *zeros = calloc(nm, sizeof *zeros);
    char *grown = malloc(10);
    struct stats *st = malloc(sizeof *st);
    if (!small || !medium || !large || !zeros || !grown || !st) { printf("FAIL 05: malloc\n"); return 1; }
    grown = realloc(grown, 300000);
    if (!grown) { printf("FAIL 05: realloc\n"); return 1; }
    memset(st, 0, sizeof *st);

    #pragma omp parallel
    {
        #pragma omp for schedule(static) nowait
        for (int i = 0; i < ns; i++) small[i] = i * i;
        #pragma omp for schedule(static, 5) nowait
        for (int i = 0; i < nm; i++) medium[i] = nm - i;
        #pragma omp for schedule(static) nowait
        for (int i = 0; i < nl; i++) large[i] = (i * 2654435761u) >> 7;
        #pragma omp for schedule(static, 1) nowait
        for (int i = 0; i < nm; i++)
            if (i % 5 == 0) zeros[i] = i * 0.125;      // most of calloc'd buffer stays zero
        #pragma omp for schedule(static, 1000) nowait
        for (int i = 0; i < 300000; i++) grown[i] = (char)('A' + i % 23);
        #pragma omp for schedule(static) nowait
        for (int b = 0; b < 32; b++) st->bins[b] = b * 100;
        #pragma omp master
        { st->count = 77; st->mean = 3.25; }
    }

    int bad = 0;
    for (int i = 0; i < ns; i++) if (small[i] != i * i) bad++;
    for (int i = 0; i < nm; i++) if (medium[i] != nm - i) bad++;
    for (int i = 0; i < nl; i++) if (large[i] != (int)((i * 2654435761u) >> 7)) bad++;
    for (int i = 0; i < nm; i++) if (zeros[i] != (i % 5 == 0 ? i * 0.125 : 0.0)) bad++;
    for (int i = 0; i < 300000; i++) if (grown[i] != (char)('A' + i % 23)) bad++;
    for (int b = 0; b < 32; b++) if (st->bins[b] != b * 100) bad++;
    if (st->count != 77 || st->mean != 3.25) bad++;

    uint64_t h = 1469598103934665603ULL;
    h = fnv(small, ns * sizeof *small, h);
    h = fnv(medium, nm * sizeof *medium, h);
    h = fnv(large, (size_t)nl * sizeof *large, h);
    h = fnv(zeros, nm * sizeof *zeros, h);
    h = fnv(grown, 300000, h);
    h = fnv(st->bins, sizeof st->bins, h);
    printf("phase 1 hash=%016llx\n", (unsigned long long)h);

    // Free some buffers, allocate new ones (likely reusing the freed memory), run another region.
    free(medium); free(large); free(zeros);
    long *again = malloc((size_t)nl * sizeof *again);
    short *tiny = malloc(nm * sizeof *tiny);
    if (!again || !tiny) { printf("FAIL 05: malloc 2\n"); return 1; }
    #pragma omp parallel for schedule(static, 64)
    for (int i = 0; i < nl; i++) {
        again[i] = (long)i * 3 - small[i % ns];
        if (i < nm) tiny[i] = (short)(i ^ 0x2a);
    }
    long long sa = 0, stiny = 0;
    for (int i = 0; i < nl; i++) {
        if (again[i] != (long)i * 3 - small[i % ns]) bad++;
        sa += again[i];
    }
    for (int i = 0; i < nm; i++) {
        if (tiny[i] != (short)(i ^ 0x2a)) bad++;
        stiny += tiny[i];
    }
    printf("phase 2 sum=%lld tiny=%lld\n", sa, stiny);
    free(again); free(tiny); free(small); free(grown); free(st);
    if (bad) { printf("FAIL 05: %d mismatches\n", bad); return 1; }
    printf("05 ok\n");
    return 0;
}
