// Theme: atomic updates that run locally and merge at the next sync point: a histogram with 600,000
// updates between two barriers, updates and reductions starting from non-zero values (integer and
// floating point, several operators), neighbouring byte counters, and tickets handed out by a
// capture form, which must stay unique across ranks.
#include <omp.h>
#include <stdio.h>
#include <string.h>

#define N 200000
#define NB 1000
static int hist[NB];
static long wide = -1234567;
static unsigned mask_and = 0xFFFFFFFFu, mask_or = 0x10u, mask_xor = 0xA5A5A5A5u;
static unsigned char bytes[16] = {200, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 250};
static double dsum = 0.5;
static int next_ticket = 100;
static unsigned char seen[4000];

int main(void) {
    printf("67 local atomic updates\n");
    int bad = 0;
    for (int b = 0; b < NB; b++) hist[b] = b; // non-zero starting values

    #pragma omp parallel
    {
        #pragma omp for schedule(dynamic, 500)
        for (int i = 0; i < N; i++) {
            unsigned h = (unsigned)i * 2654435761u;
            #pragma omp atomic
            hist[h % NB]++;
            #pragma omp atomic
            hist[(h >> 10) % NB] += 2;
            #pragma omp atomic
            hist[(h >> 20) % NB] -= 1;
        }
        // No barrier between the two loops: the updates of both merge at the region's end.
        #pragma omp for schedule(static) nowait
        for (int i = 0; i < 3000; i++) {
            #pragma omp atomic
            wide -= i % 7;
            #pragma omp atomic
            mask_and &= ~(1u << (i % 32)) | (i % 3 == 0 ? 0xFFFFFFFFu : 0u) | (1u << 31);
            #pragma omp atomic
            mask_or |= 1u << (i % 29);
            #pragma omp atomic
            mask_xor ^= (unsigned)i * 40503u;
            #pragma omp atomic
            bytes[i % 16] += (unsigned char)(i % 5);
        }
    }
    long long total = 0;
    long long expect_total = 0;
    for (int b = 0; b < NB; b++) { total += hist[b]; expect_total += b; }
    expect_total += 2LL * N; // +1 +2 -1 per iteration
    int eh[NB];
    for (int b = 0; b < NB; b++) eh[b] = b;
    for (int i = 0; i < N; i++) {
        unsigned h = (unsigned)i * 2654435761u;
        eh[h % NB]++; eh[(h >> 10) % NB] += 2; eh[(h >> 20) % NB] -= 1;
    }
    for (int b = 0; b < NB; b++) if (hist[b] != eh[b]) bad++;
    long ewide = -1234567;
    unsigned eand = 0xFFFFFFFFu, eor = 0x10u, exor = 0xA5A5A5A5u;
    unsigned char eb[16] = {200, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 250};
    for (int i = 0; i < 3000; i++) {
        ewide -= i % 7;
        eand &= ~(1u << (i % 32)) | (i % 3 == 0 ? 0xFFFFFFFFu : 0u) | (1u << 31);
        eor |= 1u << (i % 29);
        exor ^= (unsigned)i * 40503u;
        eb[i % 16] += (unsigned char)(i % 5);
    }
    if (wide != ewide || mask_and != eand || mask_or != eor || mask_xor != exor || memcmp(bytes, eb, 16) != 0) bad++;
    printf("histogram total=%lld (expected %lld) wide=%ld and=%08x or=%08x xor=%08x bytes=%u,%u,%u\n",
           total, expect_total, wide, mask_and, mask_or, mask_xor, bytes[0], bytes[1], bytes[15]);

    // Reductions from non-zero starting values.
    long rs = 1000;
    unsigned long rprod = 3;
    unsigned rand_ = 0xF0F0F0F0u, ror = 1, rxor = 0x12345678u;
    double rd = 0.25;
    #pragma omp parallel for reduction(+:rs) reduction(*:rprod) reduction(&:rand_) reduction(|:ror) reduction(^:rxor) reduction(+:rd)
    for (int i = 1; i <= 40; i++) {
        rs += i;
        rprod *= (i % 4 == 0) ? 3 : 1;
        rand_ &= ~(1u << (i % 8)) | 0xFFFFFF00u | (i % 2 ? 0xFFu : 0u);
        ror |= 1u << (i % 20);
        rxor ^= (unsigned)i * 2654435761u;
        rd += i * 0.5;
    }
    #pragma omp parallel for reduction(+:rs)
    for (int i = 0; i < 1000; i++) rs += 1;
    printf("reductions: sum=%ld prod=%lu and=%08x or=%08x xor=%08x dsum=%.2f\n", rs, rprod, rand_, ror, rxor, rd);

    // Floating-point atomic updates from a non-zero start (a compare-exchange loop, run locally and
    // replayed in rank order).
    #pragma omp parallel for
    for (int i = 0; i < 400; i++) {
        #pragma omp atomic
        dsum += 0.25;
    }
    if (dsum != 0.5 + 100.0) bad++;
    printf("double atomic sum=%.2f\n", dsum);

    // Tickets from a capture: unique across all threads of all ranks.
    int count = 4000;
    #pragma omp parallel for schedule(dynamic, 97)
    for (int i = 0; i < count; i++) {
        int t;
        #pragma omp atomic capture
        t = next_ticket++;
        seen[t - 100]++; // each ticket once: no two threads write one byte
    }
    int dup = 0, missing = 0;
    for (int k = 0; k < count; k++) { if (seen[k] > 1) dup++; if (seen[k] == 0) missing++; }
    if (dup || missing || next_ticket != 100 + count) bad++;
    printf("tickets: next=%d duplicates=%d missing=%d\n", next_ticket, dup, missing);

    if (bad) { printf("FAIL 67: %d mismatches\n", bad); return 1; }
    printf("67 ok\n");
    return 0;
}
