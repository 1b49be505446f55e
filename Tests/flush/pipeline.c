// A flag-and-flush pipeline, the idiom of pipelined SSOR solvers (run by
// Tests/IntegrationTests/FlushTests.swift): 4 threads sweep a grid row by row, each owning a
// block of columns; a thread starts a row once its left neighbour has finished that row, which it learns by spinning on the neighbour's flag with `#pragma omp flush` in the
// loop. Flush is what makes the program correct: a neighbour on another rank must see both the flag
// and the row's values. The result does not depend on the team or on timing.
#include <omp.h>
#include <stdio.h>

#define ROWS 60
#define COLS 256
static long grid[ROWS + 1][COLS];
static int done[64];          /* rows finished by each thread */
static int flushes_seen;

int main(void) {
    for (int j = 0; j < COLS; j++) grid[0][j] = j % 17;
    #pragma omp parallel num_threads(4)
    {
        int t = omp_get_thread_num(), n = omp_get_num_threads();
        int lo = t * COLS / n, hi = (t + 1) * COLS / n;
        for (int i = 1; i <= ROWS; i++) {
            if (t > 0) {
                for (;;) {
                    #pragma omp flush
                    if (done[t - 1] >= i) break;
                }
            }
            #pragma omp flush
            for (int j = lo; j < hi; j++) {
                long left = j > 0 ? grid[i][j - 1] : i;
                grid[i][j] = (grid[i - 1][j] * 3 + left * 7 + i + j) % 1000003;
            }
            #pragma omp flush
            done[t] = i;
            #pragma omp flush
        }
        #pragma omp atomic
        flushes_seen += 1;
    }
    long sum = 0;
    for (int i = 0; i <= ROWS; i++)
        for (int j = 0; j < COLS; j++) sum = (sum * 31 + grid[i][j]) % 1000000007;
    printf("threads done: %d\n", flushes_seen);
    printf("last row: %ld %ld %ld\n", grid[ROWS][0], grid[ROWS][COLS / 2], grid[ROWS][COLS - 1]);
    printf("checksum: %ld\n", sum);
    return 0;
}
