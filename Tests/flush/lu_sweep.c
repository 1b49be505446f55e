// The pipelined sweep of NAS LU (blts/buts), run by Tests/IntegrationTests/FlushTests.swift: rows
// are shared out by a static `omp for nowait`; the thread of row i waits, spinning on
// `#pragma omp flush(flag)`, until the thread of row i-1 has finished the current plane, and until
// the thread of row i+1 has taken the previous one; then it reads row i-1 without another flush.
// Planes follow each other in separate orphaned loops with no barrier in between. Rows are not
// page-aligned, so the threads on either side of a page share it.
//
// With several threads per rank this caught two faults: a flush of one thread published a
// sibling's flag together with only part of the row it guards (the scan passed the row's page
// before the sibling wrote it), and a sibling spinning on the flag saw it written by another
// thread's catch-up before the row's bytes were. The program checks itself against the same
// computation done sequentially, and prints how many values differ (0 under libgomp, whatever the
// team).
#include <stdio.h>

#define NI 16
#define NJ 40
#define NK 12
static int flag[NI];
static double v[NI][NJ][NK], w[NI][NJ][NK];
static double rv[NI][NJ][NK], rw[NI][NJ][NK];

static void sweep(int k) {
    int i, j;
#pragma omp for nowait schedule(static)
    for (i = 0; i < NI; i++)
        for (j = 0; j < NJ; j++) w[i][j][k] = 0.5 * v[i][j][k - 1] + 0.25 * w[i][j][k];
#pragma omp for nowait schedule(static)
    for (i = 0; i < NI; i++) {
        if (i != 0)
            while (flag[i - 1] == 0) {
#pragma omp flush(flag)
            }
        if (i != NI - 1)
            while (flag[i] == 1) {
#pragma omp flush(flag)
            }
        for (j = 0; j < NJ; j++) {
            double up = i ? v[i - 1][j][k] : 1.0;
            v[i][j][k] = 0.3 * v[i][j][k] + 0.6 * up + 0.1 * w[i][j][k] + 0.001 * (i + j);
        }
        if (i != 0) flag[i - 1] = 0;
        if (i != NI - 1) flag[i] = 1;
#pragma omp flush(flag)
    }
}

static double start(int i, int j, int k) { return (i * 7 + j * 3 + k) % 11 * 0.1; }

int main(void) {
    for (int i = 0; i < NI; i++)
        for (int j = 0; j < NJ; j++)
            for (int k = 0; k < NK; k++) v[i][j][k] = rv[i][j][k] = start(i, j, k);
    for (int step = 0; step < 30; step++) {
#pragma omp parallel
        for (int k = 1; k < NK; k++) sweep(k);
    }
    for (int step = 0; step < 30; step++)
        for (int k = 1; k < NK; k++) {
            for (int i = 0; i < NI; i++)
                for (int j = 0; j < NJ; j++) rw[i][j][k] = 0.5 * rv[i][j][k - 1] + 0.25 * rw[i][j][k];
            for (int i = 0; i < NI; i++)
                for (int j = 0; j < NJ; j++)
                    rv[i][j][k] = 0.3 * rv[i][j][k] + 0.6 * (i ? rv[i - 1][j][k] : 1.0) + 0.1 * rw[i][j][k] + 0.001 * (i + j);
        }
    int differ = 0;
    double sum = 0;
    for (int i = 0; i < NI; i++)
        for (int j = 0; j < NJ; j++)
            for (int k = 0; k < NK; k++) {
                differ += (v[i][j][k] != rv[i][j][k]) + (w[i][j][k] != rw[i][j][k]);
                sum += v[i][j][k] * (1 + (i + j + k) % 5);
            }
    printf("values that differ from the sequential sweep: %d\nchecksum %.12e\n", differ, sum);
    return 0;
}
