// Theme: a nested `#pragma omp parallel` inside a region (runs serialized with an inner team of one
// thread under the default settings). Every outer iteration runs an inner parallel loop writing its
// own row; inner partitioning uses the inner team's values, so results do not depend on team sizes.
#include <omp.h>
#include <stdio.h>

#define ROWS 37
#define COLS 500

static long mat[ROWS][COLS];
static long rowsum[ROWS];
static int inner_ok[ROWS];

static void fill_row(int r) {
    #pragma omp parallel for schedule(static)
    for (int c = 0; c < COLS; c++) mat[r][c] = (long)r * 10000 + c * 3;
}

int main(void) {
    printf("18 nested regions\n");
    #pragma omp parallel for schedule(static, 2)
    for (int r = 0; r < ROWS; r++) {
        // Inner region directly inside the outer loop body.
        long part[4] = {0, 0, 0, 0};
        #pragma omp parallel
        {
            int t = omp_get_thread_num(), nt = omp_get_num_threads();
            // Manual split of 4 slots over the inner team; each slot written by one inner thread.
            for (int k = t; k < 4; k += nt) part[k] = (long)(k + 1) * r;
        }
        // Inner region hidden in a called function.
        fill_row(r);
        long s = 0;
        for (int c = 0; c < COLS; c++) s += mat[r][c];
        rowsum[r] = s + part[0] + part[1] + part[2] + part[3];
        // Inside nested regions omp_in_parallel() is true whenever the outer team is active.
        int ok = 1;
        #pragma omp parallel
        {
            #pragma omp master
            {
                if (omp_get_thread_num() != 0) ok = 0;
                if (omp_get_num_threads() < 1) ok = 0;
            }
        }
        inner_ok[r] = ok;
    }

    int bad = 0;
    long long total = 0;
    for (int r = 0; r < ROWS; r++) {
        long s = 0;
        for (int c = 0; c < COLS; c++) {
            if (mat[r][c] != (long)r * 10000 + c * 3) bad++;
            s += mat[r][c];
        }
        s += 10L * r;
        if (rowsum[r] != s || !inner_ok[r]) bad++;
        total += rowsum[r];
    }
    printf("total=%lld row5=%ld\n", total, rowsum[5]);
    if (bad) { printf("FAIL 18: %d mismatches\n", bad); return 1; }
    printf("18 ok\n");
    return 0;
}
