// Theme: critical sections of two names run on some threads while their siblings on the same rank
// write other pages outside any section, in short regions whose first writes fault together. With
// the mprotect tracker a sibling's write fault could be handled late, after a section had started
// and marked the page for protection: the page ended protected with nothing to make it writable
// again (a hang), or a late fault's record landed in the next section's list and copy (that section
// then published stale values of other variables). The counts kept in sections and the pages
// written beside them must come out exact.
#include <omp.h>
#include <stdio.h>

#define PAGES 256
#define ROUNDS 6
#define ITERS 4000

static unsigned char pages[PAGES][4096];
static long counter, other;

int main(void) {
    printf("108 sections beside writes\n");
    long total = 0;
    for (int round = 0; round < ROUNDS; round++) {
        #pragma omp parallel reduction(+:total)
        {
            #pragma omp for schedule(dynamic, 7)
            for (int i = 0; i < ITERS; i++) {
                // Every (page, byte) is written by one iteration a round: the result does not
                // depend on which thread or rank ran it.
                pages[(i * 37) % PAGES][i / PAGES] = (unsigned char)(1 + (i + round) % 200);
                if (i % 3 == 0) {
                    #pragma omp critical(a)
                    counter++;
                } else if (i % 3 == 1) {
                    #pragma omp critical(b)
                    other += 2;
                }
                total += i % 5;
            }
        }
    }
    long sum = 0;
    for (int p = 0; p < PAGES; p++)
        for (int k = 0; k < 4096; k++) sum += (long)pages[p][k] * (k + 1);
    printf("counter=%ld other=%ld total=%ld pages=%ld\n", counter, other, total, sum);
    int ok = counter == (long)ROUNDS * ((ITERS + 2) / 3) && other == 2L * ROUNDS * ((ITERS + 1) / 3) && total == (long)ROUNDS * (ITERS / 5) * 10;
    if (!ok) { printf("FAIL 108\n"); return 1; }
    printf("108 ok\n");
    return 0;
}
