// Critical sections that together write about 40 MiB between two barriers (more than the section
// log held in one epoch before it grew to 512 MiB): each of 640 sections rewrites a 64 KiB slice
// of a shared table, and every slice must end with the last writer's values.
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#define SLICES 64
#define SLICE_WORDS 8192          /* 64 KiB of longs */
#define ROUNDS 640

int main(void) {
    long *table = calloc((size_t)SLICES * SLICE_WORDS, sizeof *table);
    long turns = 0;
    #pragma omp parallel for schedule(dynamic, 8)
    for (int r = 0; r < ROUNDS; r++) {
        #pragma omp critical
        {
            long *slice = table + (size_t)(r % SLICES) * SLICE_WORDS;
            for (int k = 0; k < SLICE_WORDS; k++) slice[k] += r + k;
            turns++;
        }
    }
    long sum = 0;
    for (size_t i = 0; i < (size_t)SLICES * SLICE_WORDS; i++) sum = (sum * 131 + table[i]) % 1000000007;
    printf("turns %ld checksum %ld\n", turns, sum);
    free(table);
    return 0;
}
