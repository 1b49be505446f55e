// Theme: `sections`: constructs with 1, 2, 3, 7 and 12 sections, with and without nowait, the
// combined `parallel sections`, lastprivate (the value from the lexically last section),
// firstprivate and private, a sections construct reading what the previous one wrote (implicit
// barrier), sections inside a loop in the region, sections of very unequal cost, and orphaned
// sections in a function called inside and outside a region. Each section writes its own data;
// results are printed after the regions.
#include <omp.h>
#include <stdint.h>
#include <stdio.h>

#define M 2000

static long sec[12][M];
static int ran[16];
static long phase2[7];
static long orphan_out[3];

static void fill(int s, long mul) {
    for (int i = 0; i < M; i++) sec[s][i] = (long)i * mul + s;
    ran[s]++;
}

static long busy(int n) {
    uint64_t x = (uint64_t)n;
    for (int k = 0; k < n * 1000; k++) x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    return (long)(x >> 40);
}

__attribute__((noinline)) static void orphan_sections(long base) {
    #pragma omp sections
    {
        #pragma omp section
        orphan_out[0] = base + 1;
        #pragma omp section
        orphan_out[1] = base * 2;
        #pragma omp section
        orphan_out[2] = base - 3;
    }
}

static uint64_t hash_all(void) {
    uint64_t h = 1469598103934665603ULL;
    for (int s = 0; s < 12; s++)
        for (int i = 0; i < M; i++) h = (h ^ (uint64_t)sec[s][i]) * 1099511628211ULL;
    return h;
}

int main(void) {
    printf("39 sections\n");
    int bad = 0;

    // 2 and 3 sections in one region; the 3-section construct reads the 2-section results.
    #pragma omp parallel
    {
        #pragma omp sections
        {
            #pragma omp section
            fill(0, 3);
            #pragma omp section
            fill(1, 5);
        }
        #pragma omp sections
        {
            #pragma omp section
            { for (int i = 0; i < M; i++) sec[2][i] = sec[0][M - 1 - i] + sec[1][i]; ran[2]++; }
            #pragma omp section
            { for (int i = 0; i < M; i++) sec[3][i] = sec[1][(i * 7) % M] - sec[0][i]; ran[3]++; }
            #pragma omp section
            { fill(4, -1); }
        }
    }

    // Combined parallel sections with 7 sections, lastprivate and firstprivate.
    int lp = -1, fp = 100;
    #pragma omp parallel sections lastprivate(lp) firstprivate(fp)
    {
        #pragma omp section
        { phase2[0] = busy(9) + fp; lp = 0; }
        #pragma omp section
        { phase2[1] = busy(1) + fp; lp = 1; }
        #pragma omp section
        { phase2[2] = busy(5) + fp; lp = 2; }
        #pragma omp section
        { phase2[3] = busy(2) + fp; lp = 3; }
        #pragma omp section
        { phase2[4] = busy(7) + fp; lp = 4; }
        #pragma omp section
        { phase2[5] = busy(3) + fp; lp = 5; }
        #pragma omp section
        { phase2[6] = busy(4) + fp; lp = 6 * 10; }
    }
    printf("7 sections: lp=%d fp=%d\n", lp, fp);
    if (lp != 60 || fp != 100) bad++;
    const int cost[7] = {9, 1, 5, 2, 7, 3, 4};
    for (int s = 0; s < 7; s++) {
        long e = busy(cost[s]) + 100;
        if (phase2[s] != e) bad++;
    }
    printf("phase2: %ld %ld %ld %ld %ld %ld %ld\n", phase2[0], phase2[1], phase2[2], phase2[3], phase2[4],
           phase2[5], phase2[6]);

    // 12 sections with nowait followed by an explicit barrier, then a single-section construct.
    long after = 0;
    #pragma omp parallel
    {
        #pragma omp sections nowait
        {
            #pragma omp section
            fill(5, 2);
            #pragma omp section
            fill(6, 4);
            #pragma omp section
            fill(7, 6);
            #pragma omp section
            fill(8, 8);
            #pragma omp section
            fill(9, 10);
            #pragma omp section
            fill(10, 12);
            #pragma omp section
            fill(11, 14);
            #pragma omp section
            ran[12]++;
            #pragma omp section
            ran[13]++;
            #pragma omp section
            ran[14]++;
            #pragma omp section
            ran[15]++;
            #pragma omp section
            { busy(3); }
        }
        #pragma omp barrier
        #pragma omp sections
        {
            #pragma omp section
            {
                long s = 0;
                for (int k = 5; k < 12; k++) s += sec[k][M - 1];
                after = s;
            }
        }
    }
    printf("12 sections: after=%ld\n", after);
    long exp_after = 0;
    for (int k = 5; k < 12; k++) exp_after += (long)(M - 1) * (2 * (k - 4)) + k;
    if (after != exp_after) bad++;

    // Sections in a loop inside one region, with private scratch.
    long acc[2][50];
    #pragma omp parallel
    {
        for (int r = 0; r < 50; r++) {
            int scratch;
            #pragma omp sections private(scratch)
            {
                #pragma omp section
                { scratch = r * 2; acc[0][r] = scratch + 1; }
                #pragma omp section
                { scratch = r * 3; acc[1][r] = scratch - 1; }
            }
        }
    }
    long accs = 0;
    for (int r = 0; r < 50; r++) {
        if (acc[0][r] != r * 2 + 1 || acc[1][r] != r * 3 - 1) bad++;
        accs += acc[0][r] + acc[1][r];
    }
    printf("sections in loop: sum=%ld\n", accs);

    // Orphaned sections: inside a region and alone.
    #pragma omp parallel
    orphan_sections(10);
    printf("orphaned in region: %ld %ld %ld\n", orphan_out[0], orphan_out[1], orphan_out[2]);
    orphan_sections(20);
    printf("orphaned alone: %ld %ld %ld\n", orphan_out[0], orphan_out[1], orphan_out[2]);
    if (orphan_out[0] != 21 || orphan_out[1] != 40 || orphan_out[2] != 17) bad++;

    for (int s = 0; s < 16; s++) if (ran[s] != 1) { printf("section %d ran %d times\n", s, ran[s]); bad++; }
    for (int i = 0; i < M; i++) {
        if (sec[2][i] != sec[0][M - 1 - i] + sec[1][i]) bad++;
        if (sec[3][i] != sec[1][(i * 7) % M] - sec[0][i]) bad++;
    }
    printf("hash=%016llx\n", (unsigned long long)hash_all());
    if (bad) { printf("FAIL 39: %d mismatches\n", bad); return 1; }
    printf("39 ok\n");
    return 0;
}
