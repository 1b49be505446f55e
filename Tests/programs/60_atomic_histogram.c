// Theme: histograms built with `#pragma omp atomic`: every thread increments every bin (so every
// rank writes every bin; printed divided by the team size), data histograms in dynamic, guided and
// static loops with byte-sized bins side by side (counts wrap modulo 256), int bins, exact double
// weights, a 2-D histogram of longs, bins that are struct fields (count and sum updated by two
// atomics), and the same histograms accumulated over several regions.
#include <omp.h>
#include <stdio.h>

#define N 6000
#define NB 32
#define ROUNDS 6

static int opaque(int x) { __asm__ volatile("" : "+r"(x)); return x; }

static int data[N];
static int every[NB];
static double every_w[NB];
static unsigned char byte_bins[256];
static int int_bins[64];
static double wbins[16];
static long grid[8][8];
struct bin { int count; long sum; };
static struct bin sbins[10];
static long acc[NB];

int main(void) {
    printf("60 atomic histograms\n");
    int bad = 0, n = opaque(N);
    for (int i = 0; i < N; i++) data[i] = (int)(((unsigned)i * 2654435761u) >> 7) % 100000;

    // Every thread, every bin.
    int team = 1;
    #pragma omp parallel
    {
        #pragma omp single
        team = omp_get_num_threads();
        for (int k = 0; k < 20; k++)
            for (int b = 0; b < NB; b++) {
                #pragma omp atomic
                every[b] += b % 5 + 1;
                #pragma omp atomic
                every_w[b] += 0.25 * (b + 1);
            }
    }
    printf("every thread, every bin (divided by team):");
    for (int b = 0; b < NB; b++) {
        if (b < 8) printf(" %d/%.2f", every[b] / team, every_w[b] / team);
        if (every[b] != team * 20 * (b % 5 + 1) || every_w[b] != team * 20 * 0.25 * (b + 1)) bad++;
    }
    printf(" ...\n");

    // Data histograms.
    #pragma omp parallel
    {
        #pragma omp for schedule(dynamic, 16)
        for (int i = 0; i < n; i++) {
            #pragma omp atomic
            byte_bins[data[i] & 255]++;
            #pragma omp atomic update
            int_bins[data[i] % 64] += 1;
            #pragma omp atomic
            wbins[data[i] % 16] += ((data[i] >> 4) % 4) * 0.5;
        }
        #pragma omp for schedule(guided, 3) nowait
        for (int i = 0; i < n; i++) {
            #pragma omp atomic
            grid[data[i] % 8][(data[i] / 8) % 8] += data[i];
        }
        #pragma omp for schedule(static, 7)
        for (int i = 0; i < n; i++) {
            struct bin *b = &sbins[data[i] % 10];
            #pragma omp atomic
            b->count++;
            #pragma omp atomic
            b->sum += data[i] / 10;
        }
    }
    unsigned char eb[256] = {0};
    int ei[64] = {0};
    double ew[16] = {0};
    long eg[8][8] = {{0}};
    struct bin es[10] = {{0, 0}};
    for (int i = 0; i < N; i++) {
        eb[data[i] & 255]++;
        ei[data[i] % 64]++;
        ew[data[i] % 16] += ((data[i] >> 4) % 4) * 0.5;
        eg[data[i] % 8][(data[i] / 8) % 8] += data[i];
        es[data[i] % 10].count++;
        es[data[i] % 10].sum += data[i] / 10;
    }
    unsigned long hb = 0;
    for (int k = 0; k < 256; k++) { hb = hb * 31 + byte_bins[k]; if (byte_bins[k] != eb[k]) bad++; }
    printf("byte bins: hash=%lu first=%u,%u,%u\n", hb, byte_bins[0], byte_bins[1], byte_bins[2]);
    long ti = 0;
    for (int k = 0; k < 64; k++) { ti += (long)int_bins[k] * k; if (int_bins[k] != ei[k]) bad++; }
    printf("int bins: weighted=%ld first=%d,%d,%d\n", ti, int_bins[0], int_bins[1], int_bins[2]);
    printf("double bins:");
    for (int k = 0; k < 16; k++) { printf(" %.1f", wbins[k]); if (wbins[k] != ew[k]) bad++; }
    printf("\n");
    long gt = 0;
    for (int r = 0; r < 8; r++)
        for (int c = 0; c < 8; c++) { gt += grid[r][c] * (r * 8 + c + 1); if (grid[r][c] != eg[r][c]) bad++; }
    printf("grid: weighted=%ld corner=%ld\n", gt, grid[7][7]);
    printf("struct bins:");
    for (int k = 0; k < 10; k++) {
        printf(" %d:%ld", sbins[k].count, sbins[k].sum);
        if (sbins[k].count != es[k].count || sbins[k].sum != es[k].sum) bad++;
    }
    printf("\n");

    // Accumulated over several regions with different schedules and a tail of iterations.
    long eacc[NB] = {0};
    for (int r = 0; r < ROUNDS; r++) {
        int m = opaque(N - r * 777);
        if (r % 3 == 0) {
            #pragma omp parallel for schedule(dynamic, 1 + r)
            for (int i = 0; i < m; i++) {
                #pragma omp atomic
                acc[(data[i] + r) % NB] += r + 1;
            }
        } else if (r % 3 == 1) {
            #pragma omp parallel for schedule(guided)
            for (int i = 0; i < m; i++) {
                #pragma omp atomic
                acc[(data[i] + r) % NB] += r + 1;
            }
        } else {
            #pragma omp parallel for schedule(static)
            for (int i = 0; i < m; i++) {
                #pragma omp atomic
                acc[(data[i] + r) % NB] += r + 1;
            }
        }
        for (int i = 0; i < m; i++) eacc[(data[i] + r) % NB] += r + 1;
    }
    long at = 0;
    for (int b = 0; b < NB; b++) { at += acc[b] * (b + 1); if (acc[b] != eacc[b]) bad++; }
    printf("accumulated over %d regions: weighted=%ld first=%ld,%ld\n", ROUNDS, at, acc[0], acc[1]);

    if (bad) { printf("FAIL 60: %d mismatches\n", bad); return 1; }
    printf("60 ok\n");
    return 0;
}
