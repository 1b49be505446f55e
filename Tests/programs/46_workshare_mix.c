// Theme: worksharing constructs mixed in one region, round after round: a single with
// copyprivate choosing the round's parameters, a dynamic loop computing, an ordered loop appending
// a per-round record, sections computing different statistics of the round's data, a barrier and
// a master printing the round's summary. Then 50 consecutive `for schedule(dynamic) nowait` loops
// and 50 `single nowait` blocks (threads run ahead into later constructs) closed by one barrier,
// and guided/dynamic loops with nowait whose results are only read after the region.
#include <omp.h>
#include <stdint.h>
#include <stdio.h>

#define N 3000
#define ROUNDS 6
#define ROWS 50
#define RW 97

static long v[N];
static long rec_[ROUNDS * 20];
static int reclen;
static long stat_min[ROUNDS], stat_max[ROUNDS], stat_sum[ROUNDS];
static long rows[ROWS][RW];
static int sn[ROWS];
static double g1[N], g2[N];

int main(void) {
    printf("46 worksharing mix\n");
    int bad = 0;

    #pragma omp parallel
    {
        for (int r = 0; r < ROUNDS; r++) {
            long mul, add;
            #pragma omp single copyprivate(mul, add)
            {
                mul = 3 + r * 2;
                add = (r * 37) % 11 - 5;
            }
            #pragma omp for schedule(dynamic, 17)
            for (int i = 0; i < N; i++) v[i] = ((i * mul + add) % 1013) - 500;
            #pragma omp for ordered schedule(dynamic, 2)
            for (int i = 0; i < 20; i++) {
                long x = v[i * 149 % N] + i;
                #pragma omp ordered
                rec_[reclen++] = x;
            }
            #pragma omp sections
            {
                #pragma omp section
                {
                    long m = v[0];
                    for (int i = 1; i < N; i++) if (v[i] < m) m = v[i];
                    stat_min[r] = m;
                }
                #pragma omp section
                {
                    long m = v[0];
                    for (int i = 1; i < N; i++) if (v[i] > m) m = v[i];
                    stat_max[r] = m;
                }
                #pragma omp section
                {
                    long s = 0;
                    for (int i = 0; i < N; i++) s += v[i];
                    stat_sum[r] = s;
                }
            }
            #pragma omp master
            printf("round %d: mul=%ld add=%ld min=%ld max=%ld sum=%ld records=%d\n", r, mul, add, stat_min[r],
                   stat_max[r], stat_sum[r], reclen);
            #pragma omp barrier                      // the master reads before the next round writes
        }
    }

    // Sequential check of every round.
    int reck = 0;
    for (int r = 0; r < ROUNDS; r++) {
        long mul = 3 + r * 2, add = (r * 37) % 11 - 5;
        long mn = 0, mx = 0, s = 0;
        for (int i = 0; i < N; i++) {
            long x = ((i * mul + add) % 1013) - 500;
            if (i == 0 || x < mn) mn = x;
            if (i == 0 || x > mx) mx = x;
            s += x;
        }
        if (mn != stat_min[r] || mx != stat_max[r] || s != stat_sum[r]) bad++;
        for (int i = 0; i < 20; i++) {
            long k = i * 149 % N;
            long x = ((k * mul + add) % 1013) - 500 + i;
            if (rec_[reck++] != x) bad++;
        }
    }
    if (reclen != ROUNDS * 20) bad++;

    // Many outstanding worksharing constructs: nowait loops and singles, one barrier at the end.
    #pragma omp parallel
    {
        for (int k = 0; k < ROWS; k++) {
            #pragma omp for schedule(dynamic, 5) nowait
            for (int j = 0; j < RW; j++) rows[k][j] = (long)k * 1000 + j;
        }
        for (int k = 0; k < ROWS; k++) {
            #pragma omp single nowait
            sn[k] = k * 3;
        }
        #pragma omp for schedule(guided) nowait
        for (int i = 0; i < N; i++) g1[i] = i * 0.5;
        #pragma omp for schedule(dynamic) nowait
        for (int i = N - 1; i >= 0; i--) g2[i] = i * 0.25;
        #pragma omp barrier
        #pragma omp single
        {
            long s = 0;
            for (int k = 0; k < ROWS; k++) s += rows[k][RW - 1] + sn[k];
            printf("after nowait constructs: %ld\n", s);
        }
    }
    long tot = 0;
    double gs = 0;
    for (int k = 0; k < ROWS; k++) {
        if (sn[k] != k * 3) bad++;
        for (int j = 0; j < RW; j++) {
            if (rows[k][j] != (long)k * 1000 + j) bad++;
            tot += rows[k][j];
        }
    }
    for (int i = 0; i < N; i++) {
        if (g1[i] != i * 0.5 || g2[i] != i * 0.25) bad++;
        gs += g1[i] + g2[i];
    }
    printf("rows total=%ld g total=%.2f\n", tot, gs);

    if (bad) { printf("FAIL 46: %d mismatches\n", bad); return 1; }
    printf("46 ok\n");
    return 0;
}
