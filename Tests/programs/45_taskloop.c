// Theme: `taskloop`: default chunking, grainsize and num_tasks (also larger than the trip count),
// int, long and unsigned long long induction variables (bounds across 2^63, counting down, steps
// > 1), firstprivate and lastprivate (the last iteration changes a firstprivate value), collapse(2),
// nogroup followed by taskwait, a taskloop whose body creates tasks, a taskloop in a single (with
// the whole team executing its tasks) and one outside any region.
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define N 5000

typedef unsigned long long ull;

static long a[N], b[N];
static ull u[N];
static int g2[60][70];
static int bad;

static uint64_t hash_l(const long *p, int n) {
    uint64_t h = 1469598103934665603ULL;
    for (int i = 0; i < n; i++) h = (h ^ (uint64_t)p[i]) * 1099511628211ULL;
    return h;
}

static void expect_a(const char *name, long (*f)(long), int n) {
    int wrong = 0;
    for (int i = 0; i < n; i++) if (a[i] != f(i)) wrong++;
    printf("%-30s hash=%016llx%s\n", name, (unsigned long long)hash_l(a, n), wrong ? " WRONG" : "");
    bad += wrong;
    memset(a, 0, sizeof a);
}

static long f1(long i) { return i * 3 + 1; }
static long f2(long i) { return i * i % 1009; }
static long f3(long i) { return -i; }
static long f4(long i) { return i % 2 ? 0 : i + 7; }
static long f5(long i) { return i ^ 0x3c; }

__attribute__((noinline)) static int tl_firstlast(int x) {
    int seen = 1;
    #pragma omp taskloop firstprivate(x) lastprivate(x) grainsize(8)
    for (int i = 0; i < 64; i++) {
        if (x != 74) seen = 0;                        // every task starts from the original 74
        if (i == 63) x = i + 4;
    }
    return seen ? x : -1;
}

__attribute__((noinline)) static long long tl_lastprivate(long long lo, long long hi, long long st) {
    long long i;
    int l = 0;
    #pragma omp taskloop lastprivate(i, l) num_tasks(3)
    for (i = lo; i < hi; i += st) l = (int)i;
    return l * 7 + i;
}

int main(void) {
    printf("45 taskloop\n");

    #pragma omp parallel
    {
        #pragma omp single
        {
            #pragma omp taskloop
            for (int i = 0; i < N; i++) a[i] = f1(i);
        }
    }
    expect_a("default", f1, N);

    #pragma omp parallel
    #pragma omp single
    {
        #pragma omp taskloop grainsize(64)
        for (long i = 0; i < N; i++) a[i] = f2(i);
    }
    expect_a("grainsize(64) long", f2, N);

    #pragma omp parallel
    #pragma omp single
    {
        #pragma omp taskloop grainsize(1)
        for (int i = 0; i < 300; i++) a[i] = f3(i);
    }
    expect_a("grainsize(1)", f3, 300);

    #pragma omp parallel
    #pragma omp single
    {
        #pragma omp taskloop num_tasks(7)
        for (int i = N - 2; i >= 0; i -= 2) a[i] = f4(i);   // even i only, counting down
    }
    expect_a("num_tasks(7) down step 2", f4, N);

    #pragma omp parallel
    #pragma omp single
    {
        #pragma omp taskloop num_tasks(1000)
        for (int i = 0; i < 10; i++) a[i] = f5(i);     // more tasks requested than iterations
    }
    expect_a("num_tasks > trips", f5, 10);

    // unsigned long long across 2^63, up and down.
    const ull top = 0x8000000000000000ULL;
    #pragma omp parallel
    #pragma omp single
    {
        #pragma omp taskloop grainsize(100)
        for (ull j = top - 2000; j < top + 3000; j++) u[j - (top - 2000)] = j * 5;
        #pragma omp taskloop num_tasks(4)
        for (ull j = top + 2999; j >= top - 2000; j -= 3) b[j - (top - 2000)] = (long)(j - top);
    }
    {
        int wrong = 0;
        uint64_t h = 1469598103934665603ULL;
        for (int k = 0; k < N; k++) {
            ull j = top - 2000 + (ull)k;
            if (u[k] != j * 5) wrong++;
            long eb = ((top + 2999 - j) % 3 == 0) ? (long)(j - top) : 0;
            if (b[k] != eb) wrong++;
            h = (h ^ u[k] ^ (uint64_t)b[k]) * 1099511628211ULL;
        }
        printf("%-30s hash=%016llx%s\n", "ull grainsize/num_tasks", (unsigned long long)h, wrong ? " WRONG" : "");
        bad += wrong;
    }

    // collapse(2); nogroup + taskwait; a taskloop whose body spawns tasks.
    #pragma omp parallel
    #pragma omp single
    {
        #pragma omp taskloop collapse(2) grainsize(50) nogroup
        for (int i = 0; i < 60; i++)
            for (int j = 0; j < 70; j++) g2[i][j] = i * 1000 + j;
        #pragma omp taskwait
        #pragma omp taskloop num_tasks(5)
        for (int i = 0; i < 60; i++) {
            #pragma omp task firstprivate(i)
            g2[i][0] = -g2[i][1];
        }
    }
    {
        int wrong = 0;
        long s = 0;
        for (int i = 0; i < 60; i++)
            for (int j = 0; j < 70; j++) {
                int e = j == 0 ? -(i * 1000 + 1) : i * 1000 + j;
                if (g2[i][j] != e) wrong++;
                s += g2[i][j];
            }
        printf("%-30s sum=%ld%s\n", "collapse(2) + nested tasks", s, wrong ? " WRONG" : "");
        bad += wrong;
    }

    // firstprivate/lastprivate, from a single and outside any region.
    int fl = 0;
    long long lp = 0;
    #pragma omp parallel
    #pragma omp single
    {
        fl = tl_firstlast(74);
        lp = tl_lastprivate(7, 12, 2);
    }
    printf("firstprivate+lastprivate x=%d lastprivate=%lld\n", fl, lp);
    if (fl != 67 || lp != 11 * 7 + 13) bad++;
    int fl2 = tl_firstlast(74);
    long long lp2 = tl_lastprivate(-30, 1000, 7);
    printf("outside a region: x=%d lastprivate=%lld\n", fl2, lp2);
    if (fl2 != 67 || lp2 != 999LL * 7 + 1006) bad++;

    if (bad) { printf("FAIL 45: %d mismatches\n", bad); return 1; }
    printf("45 ok\n");
    return 0;
}
