// Theme: a region inside a function called from a loop with changing arguments (trip count, offset,
// stride, chunk); loops with fewer iterations than threads (1, 2, 3) and with zero iterations;
// sequential modifications of the same data between regions.
#include <omp.h>
#include <stdio.h>

#define CAP 64

static int buf[CAP];

__attribute__((noinline)) static void work(int *dst, int n, int offset, int chunk) {
    if (chunk == 0) {
        #pragma omp parallel for schedule(static)
        for (int i = 0; i < n; i++) dst[i] = dst[i] * 2 + offset + i;
    } else if (chunk == 1) {
        #pragma omp parallel for schedule(static, 1)
        for (int i = 0; i < n; i++) dst[i] = dst[i] * 2 + offset + i;
    } else {
        #pragma omp parallel for schedule(static, 4)
        for (int i = 0; i < n; i++) dst[i] = dst[i] * 2 + offset + i;
    }
}

static void seqwork(int *dst, int n, int offset) {
    for (int i = 0; i < n; i++) dst[i] = dst[i] * 2 + offset + i;
}

int main(void) {
    printf("19 small and empty loops\n");
    int ref[CAP];
    for (int i = 0; i < CAP; i++) buf[i] = ref[i] = i % 5;
    int bad = 0;

    int calls = 0;
    for (int n = 0; n <= 40; n++) {
        int offset = (n * 37) % 11 - 5;
        int start = n % 7;                       // write a window starting at a changing position
        int len = n < CAP - start ? n : CAP - start;
        work(buf + start, len, offset, n % 3);
        seqwork(ref + start, len, offset);
        calls++;
        // Sequential modification between regions (done identically on every rank).
        buf[n % CAP] ^= 1;
        ref[n % CAP] ^= 1;
        for (int i = 0; i < CAP; i++) {
            buf[i] &= 0xffff;
            ref[i] &= 0xffff;
        }
    }
    for (int i = 0; i < CAP; i++) if (buf[i] != ref[i]) bad++;

    // Explicit tiny trip counts, including zero and negative ranges.
    int tiny[3] = {-1, -1, -1};
    int zero = 0, one = 1, two = 2, three = 3, neg = -4;
    #pragma omp parallel for
    for (int i = 0; i < zero; i++) tiny[0] = 99;          // never runs
    int down[4] = {0, 0, 0, 0};
    #pragma omp parallel for schedule(static, 1)
    for (int i = 0; i > neg; i--) down[-i] = i;              // 4 iterations, descending
    #pragma omp parallel for schedule(static)
    for (int i = 0; i < one; i++) tiny[i] = 10;
    #pragma omp parallel for schedule(static, 5)
    for (int i = 1; i < two; i++) tiny[i] = 20;
    #pragma omp parallel for schedule(static, 1)
    for (int i = 2; i < three; i++) tiny[i] = 30;
    if (tiny[0] != 10 || tiny[1] != 20 || tiny[2] != 30) bad++;
    for (int k = 0; k < 4; k++) if (down[k] != -k) bad++;

    // A region whose only worksharing loop is empty still lets the master print.
    #pragma omp parallel
    {
        #pragma omp for nowait
        for (int i = 0; i < zero; i++) buf[i] = -7;
        #pragma omp master
        printf("region with empty loop ran\n");
    }

    long long s = 0;
    for (int i = 0; i < CAP; i++) s = s * 3 + buf[i], s %= 1000000007LL;
    printf("calls=%d hash=%lld tiny=%d,%d,%d\n", calls, s, tiny[0], tiny[1], tiny[2]);
    if (bad) { printf("FAIL 19: %d mismatches\n", bad); return 1; }
    printf("19 ok\n");
    return 0;
}
