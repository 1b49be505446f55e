// Theme: the runtime query functions: omp_in_parallel outside/inside regions (true inside exactly
// when the team has more than one thread), omp_get_max_threads outside equals the team size of a
// following region, thread numbers in range and distinct, omp_get_wtime monotonic (never printed).
#include <omp.h>
#include <stdio.h>

#define MAXT 1024

static int seen[MAXT];

int main(void) {
    printf("21 runtime queries\n");
    int bad = 0;
    if (omp_in_parallel()) { printf("FAIL 21: omp_in_parallel() true outside regions\n"); bad++; }
    if (omp_get_thread_num() != 0 || omp_get_num_threads() != 1) {
        printf("FAIL 21: sequential part is not thread 0 of a team of 1\n");
        bad++;
    }
    int maxt = omp_get_max_threads();
    if (maxt < 1 || maxt > MAXT) { printf("FAIL 21: omp_get_max_threads() out of range\n"); return 1; }
    double t0 = omp_get_wtime();

    int team = -1, inpar_ok = 1, range_ok = 1;
    #pragma omp parallel
    {
        int t = omp_get_thread_num(), nt = omp_get_num_threads();
        if (t >= 0 && t < MAXT && t < nt) seen[t] = 1;
        // Each thread checks itself; only thread 0 writes the team-wide answers.
        int ip = omp_in_parallel() != 0;
        if (t == 0) {
            team = nt;
            if (ip != (nt > 1)) inpar_ok = 0;
            if (nt < 1 || nt > MAXT) range_ok = 0;
        }
    }
    if (team != maxt) { printf("FAIL 21: team size differs from omp_get_max_threads()\n"); bad++; }
    if (!inpar_ok) { printf("FAIL 21: omp_in_parallel() inconsistent with team size\n"); bad++; }
    if (!range_ok) { printf("FAIL 21: bad team size\n"); bad++; }
    int distinct = 0;
    for (int t = 0; t < MAXT; t++) distinct += seen[t];
    if (team >= 1 && distinct != team) { printf("FAIL 21: thread numbers not 0..n-1\n"); bad++; }

    // Back outside: not in parallel, thread 0 of 1, max threads unchanged.
    if (omp_in_parallel() || omp_get_thread_num() != 0 || omp_get_num_threads() != 1 ||
        omp_get_max_threads() != maxt) {
        printf("FAIL 21: state after region\n");
        bad++;
    }
    double t1 = omp_get_wtime();
    if (!(t1 >= t0)) { printf("FAIL 21: omp_get_wtime went backwards\n"); bad++; }

    // Per-thread timing checks: each thread compares two readings of its own clock; the times are
    // never printed (clocks of different ranks need not be comparable).
    static unsigned char wt_ok[MAXT];
    #pragma omp parallel
    {
        int t = omp_get_thread_num();
        double a = omp_get_wtime();
        volatile double x = 0.0;
        for (int k = 0; k < 1000; k++) x += k;
        double b = omp_get_wtime();
        if (t < MAXT) wt_ok[t] = (unsigned char)(b >= a);
    }
    for (int t = 0; t < team && t < MAXT; t++)
        if (!wt_ok[t]) { printf("FAIL 21: omp_get_wtime went backwards in a region\n"); bad++; break; }

    printf("in_parallel outside=%d, queries consistent\n", omp_in_parallel());
    if (bad) return 1;
    printf("21 ok\n");
    return 0;
}
