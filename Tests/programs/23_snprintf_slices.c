// Theme: text built in parallel: each iteration formats a record with snprintf into its own fixed
// slot of a shared char buffer (slots are adjacent, so neighbouring bytes belong to different
// threads); the records are joined and printed sequentially afterwards.
#include <omp.h>
#include <stdio.h>
#include <string.h>

#define N 300
#define SLOT 32

static char slots[N][SLOT];

int main(void) {
    printf("23 snprintf into slots\n");
    memset(slots, 0, sizeof slots);
    #pragma omp parallel for schedule(static, 1)
    for (int i = 0; i < N; i++)
        snprintf(slots[i], SLOT, "r%03d=%d;", i, i * i - 50);

    int bad = 0;
    for (int i = 0; i < N; i++) {
        char e[SLOT] = {0};
        snprintf(e, SLOT, "r%03d=%d;", i, i * i - 50);
        if (memcmp(e, slots[i], SLOT) != 0) bad++;
    }
    // Print in lines of ten records.
    for (int i = 0; i < N; i += 10) {
        for (int k = i; k < i + 10 && k < N; k++) fputs(slots[k], stdout);
        putchar('\n');
    }
    if (bad) { printf("FAIL 23: %d mismatches\n", bad); return 1; }
    printf("23 ok\n");
    return 0;
}
