// A histogram with 600,000 `#pragma omp atomic` increments of int bins in one loop, between two
// barriers (the shape that filled the section log when every atomic ran team-wide), with bins that
// start from non-zero counts.
#include <omp.h>
#include <stdio.h>

#define N 600000
#define BINS 97
static int bins[BINS];

int main(void) {
    for (int b = 0; b < BINS; b++) bins[b] = b * 10;
    #pragma omp parallel for schedule(static)
    for (int i = 0; i < N; i++) {
        unsigned h = (unsigned)i * 2654435761u;
        #pragma omp atomic
        bins[(h >> 8) % BINS]++;
    }
    long total = 0, check = 0;
    for (int b = 0; b < BINS; b++) { total += bins[b]; check = (check * 31 + bins[b]) % 1000000007; }
    printf("total %ld (expected %ld) checksum %ld\n", total, (long)N + 10L * BINS * (BINS - 1) / 2, check);
    return 0;
}
