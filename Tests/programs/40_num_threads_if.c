// Theme: team size control: num_threads(1), (2), (4), (7) and a run-time expression, if(0), if(1)
// and if(expr) with and without num_threads, omp_set_num_threads before regions (and inside a
// region, where it only changes that thread's value for nested regions). omp_get_num_threads,
// omp_in_parallel and omp_get_max_threads are printed only where libgomp gives the same value at
// any OMP_NUM_THREADS; per-thread slots and worksharing loops produce team-size-independent results.
#include <omp.h>
#include <stdio.h>

#define N 1000
#define MAXT 64

static int slot[MAXT];
static long data[N];

static int opaque(int x) { __asm__ volatile("" : "+r"(x)); return x; }

static int bad;

// Runs inside a region whose size is known (k): every thread fills its slot, a worksharing loop
// fills data; prints the team size seen by the single and the slot sum.
static void check_team(const char *what, int k, int tsize, long mul) {
    long s = 0;
    int filled = 0;
    for (int t = 0; t < MAXT; t++) {
        if (slot[t]) { filled++; s += slot[t]; }
        slot[t] = 0;
    }
    int wrong = (tsize != k) || (filled != k);
    for (int i = 0; i < N; i++) if (data[i] != i * mul) wrong++;
    printf("%-24s team=%d slots=%d slotsum=%ld%s\n", what, tsize, filled, s, wrong ? " WRONG" : "");
    bad += wrong;
}

#define TEAM_BODY(tsize, mul)                                              \
    do {                                                                   \
        int t_ = omp_get_thread_num();                                     \
        if (t_ < MAXT) slot[t_] = (t_ + 1) * (t_ + 1);                     \
        _Pragma("omp single")                                              \
        tsize = omp_get_num_threads();                                     \
        _Pragma("omp for schedule(dynamic, 7)")                            \
        for (int i = 0; i < N; i++) data[i] = i * (mul);                   \
    } while (0)

int main(void) {
    printf("40 num_threads and if clauses\n");
    int ts = 0, inpar = -1;

    #pragma omp parallel num_threads(1)
    {
        TEAM_BODY(ts, 1);
        #pragma omp single
        inpar = omp_in_parallel();
    }
    check_team("num_threads(1)", 1, ts, 1);
    printf("  in_parallel in a team of 1: %d\n", inpar);

    #pragma omp parallel num_threads(2)
    {
        TEAM_BODY(ts, 2);
        #pragma omp single
        inpar = omp_in_parallel();
    }
    check_team("num_threads(2)", 2, ts, 2);
    printf("  in_parallel in a team of 2: %d\n", inpar);

    #pragma omp parallel num_threads(4)
    TEAM_BODY(ts, 3);
    check_team("num_threads(4)", 4, ts, 3);

    #pragma omp parallel num_threads(7)
    TEAM_BODY(ts, 4);
    check_team("num_threads(7)", 7, ts, 4);

    int k = opaque(10);
    #pragma omp parallel num_threads(k)
    TEAM_BODY(ts, 5);
    check_team("num_threads(expr=10)", 10, ts, 5);

    #pragma omp parallel if(0)
    {
        TEAM_BODY(ts, 6);
        inpar = omp_in_parallel();
    }
    check_team("if(0)", 1, ts, 6);
    printf("  in_parallel with if(0): %d\n", inpar);

    #pragma omp parallel if(0) num_threads(5)
    TEAM_BODY(ts, 7);
    check_team("if(0) num_threads(5)", 1, ts, 7);

    #pragma omp parallel if(1) num_threads(3)
    TEAM_BODY(ts, 8);
    check_team("if(1) num_threads(3)", 3, ts, 8);

    int zero = opaque(0);
    #pragma omp parallel if(zero > 10) num_threads(6)
    TEAM_BODY(ts, 9);
    check_team("if(false expr)", 1, ts, 9);

    #pragma omp parallel if(zero == 0) num_threads(6)
    TEAM_BODY(ts, 10);
    check_team("if(true expr) nt(6)", 6, ts, 10);

    // if(1) alone: the team has the default size; only team-independent results are printed.
    #pragma omp parallel for if(1) schedule(guided)
    for (int i = 0; i < N; i++) data[i] = i * 11;
    long s = 0;
    for (int i = 0; i < N; i++) s += data[i];
    printf("if(1) default team: sum=%ld\n", s);

    // omp_set_num_threads decides the size of later regions.
    omp_set_num_threads(3);
    printf("after omp_set_num_threads(3): max_threads=%d\n", omp_get_max_threads());
    #pragma omp parallel
    TEAM_BODY(ts, 12);
    check_team("omp_set_num_threads(3)", 3, ts, 12);
    #pragma omp parallel num_threads(2)
    TEAM_BODY(ts, 13);
    check_team("clause overrides (2)", 2, ts, 13);
    omp_set_num_threads(5);
    #pragma omp parallel
    TEAM_BODY(ts, 14);
    check_team("omp_set_num_threads(5)", 5, ts, 14);

    // Inside a region omp_set_num_threads changes only the calling thread's value.
    int inside_before = -1, inside_after = -1;
    #pragma omp parallel num_threads(1)
    {
        inside_before = omp_get_max_threads();
        omp_set_num_threads(6);
        inside_after = omp_get_max_threads();
    }
    printf("in region: max_threads before=%d after set(6)=%d; outside now=%d\n", inside_before, inside_after,
           omp_get_max_threads());
    if (inside_before != 5 || inside_after != 6 || omp_get_max_threads() != 5) bad++;

    omp_set_num_threads(1);
    #pragma omp parallel
    TEAM_BODY(ts, 15);
    check_team("omp_set_num_threads(1)", 1, ts, 15);

    if (bad) { printf("FAIL 40: %d mismatches\n", bad); return 1; }
    printf("40 ok\n");
    return 0;
}
