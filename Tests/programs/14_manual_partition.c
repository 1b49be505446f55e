// Theme: `#pragma omp parallel` with a block partition computed by hand from omp_get_thread_num()
// and omp_get_num_threads(); per-thread slots in an array sized by omp_get_max_threads() (allocated
// before the region). Only team-size-independent aggregates are printed.
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

static void block(long n, int t, int nt, long *lo, long *hi) {
    long q = n / nt, r = n % nt;
    *lo = t * q + (t < r ? t : r);
    *hi = *lo + q + (t < r ? 1 : 0);
}

static int run(long n, const char *label) {
    int slots = omp_get_max_threads();
    if (slots < 1) slots = 1;
    long long *partial = malloc(slots * sizeof *partial);
    long *count = malloc(slots * sizeof *count);
    int *owner = malloc((n + 1) * sizeof *owner);
    long *val = malloc((n + 1) * sizeof *val);
    if (!partial || !count || !owner || !val) { printf("FAIL 14: malloc\n"); return 1; }
    for (int t = 0; t < slots; t++) { partial[t] = 0; count[t] = 0; }
    for (long i = 0; i < n; i++) owner[i] = -1;
    int team = 0;

    #pragma omp parallel
    {
        int t = omp_get_thread_num(), nt = omp_get_num_threads();
        if (t == 0) team = nt;
        if (nt <= slots) {
            long lo, hi;
            block(n, t, nt, &lo, &hi);
            long long s = 0;
            for (long i = lo; i < hi; i++) {
                val[i] = i * 7 % 1001;
                owner[i] = t;
                s += val[i];
            }
            partial[t] = s;
            count[t] = hi - lo;
        }
    }

    int bad = 0;
    if (team < 1 || team > slots) { printf("FAIL 14: team size outside 1..max_threads\n"); return 1; }
    long long total = 0, seq = 0;
    long covered = 0;
    for (int t = 0; t < team; t++) { total += partial[t]; covered += count[t]; }
    for (int t = team; t < slots; t++) if (partial[t] != 0 || count[t] != 0) bad++;
    int prev = 0;
    for (long i = 0; i < n; i++) {
        if (val[i] != i * 7 % 1001) bad++;
        if (owner[i] < prev || owner[i] >= team) bad++;      // blocks are contiguous and ordered
        else prev = owner[i];
        seq += i * 7 % 1001;
    }
    if (covered != n || total != seq) bad++;
    printf("%s: n=%ld total=%lld covered=%ld\n", label, n, total, covered);
    free(partial); free(count); free(owner); free(val);
    if (bad) { printf("FAIL 14: %s: %d mismatches\n", label, bad); return 1; }
    return 0;
}

int main(void) {
    printf("14 manual partition\n");
    int rc = 0;
    rc |= run(1000000, "large");
    rc |= run(1001, "odd");
    rc |= run(3, "tiny");
    rc |= run(1, "one");
    rc |= run(0, "empty");
    if (rc) return 1;
    printf("14 ok\n");
    return 0;
}
