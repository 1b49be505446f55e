// Theme: ordered blocks that update shared state in iteration order: appending to a shared array
// through a shared index, a running prefix sum kept in a shared variable (each iteration stores the
// sum so far), and a shared "previous iteration" variable checked against the current one; with
// static, static chunk, dynamic, dynamic chunk, guided, guided chunk and runtime schedules, int,
// long and unsigned long long indices, ascending and descending, in the combined and the separate
// form (two ordered loops in one region, the second appending after the first).
#include <omp.h>
#include <stdint.h>
#include <stdio.h>

#define N 800
#define LOGCAP (2 * N + 8)

static long logv[LOGCAP];
static int loglen;
static long prefix[N];
static long running;
static long prev;
static int order_errors;

static long item(long i) { return (i * 7919) % 1013 - 300; }

static int bad;

static void report(const char *name, long first, long step, int count) {
    int wrong = loglen != count;
    long expect_sum = 0;
    for (int k = 0; k < loglen && k < count; k++) {
        long i = first + step * k;
        expect_sum += item(i);
        if (logv[k] != i * 1000 + item(i) % 1000) wrong++;
        if (prefix[k] != expect_sum) wrong++;
    }
    if (order_errors) wrong++;
    uint64_t h = 1469598103934665603ULL;
    for (int k = 0; k < loglen; k++) h = (h ^ (uint64_t)logv[k]) * 1099511628211ULL;
    printf("%-28s len=%d running=%ld hash=%016llx%s\n", name, loglen, running, (unsigned long long)h,
           wrong ? " WRONG" : "");
    bad += wrong;
}

static void reset(long start_prev) { loglen = 0; running = 0; prev = start_prev; order_errors = 0; }

// The body shared by every int/long loop: i is the iteration, k its position in iteration order.
#define ORDERED_BODY(i, step)                                                   \
    do {                                                                        \
        long v_ = item(i);                          /* outside: any order */    \
        _Pragma("omp ordered")                                                  \
        {                                                                       \
            if ((long)(i) != prev + (step)) order_errors++;                     \
            prev = (long)(i);                                                   \
            running += v_;                                                      \
            prefix[loglen] = running;                                           \
            logv[loglen++] = (long)(i) * 1000 + v_ % 1000;                      \
        }                                                                       \
    } while (0)

int main(void) {
    printf("34 ordered append\n");

    reset(-1);
    #pragma omp parallel for ordered schedule(static)
    for (int i = 0; i < N; i++) ORDERED_BODY(i, 1);
    report("static", 0, 1, N);

    reset(-1);
    #pragma omp parallel for ordered schedule(static, 1)
    for (int i = 0; i < N; i++) ORDERED_BODY(i, 1);
    report("static,1", 0, 1, N);

    reset(N + 4);
    #pragma omp parallel for ordered schedule(static, 7)
    for (int i = N + 1; i > 0; i -= 3) ORDERED_BODY(i, -3);
    report("static,7 down step -3", N + 1, -3, (N + 1 + 2) / 3);

    reset(-1);
    #pragma omp parallel for ordered schedule(dynamic)
    for (int i = 0; i < N; i++) ORDERED_BODY(i, 1);
    report("dynamic", 0, 1, N);

    reset(-12);
    #pragma omp parallel for ordered schedule(dynamic, 5)
    for (long i = -10; i < N; i += 2) ORDERED_BODY(i, 2);
    report("dynamic,5 long step 2", -10, 2, (N + 10 + 1) / 2);

    reset(-1);
    #pragma omp parallel for ordered schedule(guided)
    for (int i = 0; i < N; i++) ORDERED_BODY(i, 1);
    report("guided", 0, 1, N);

    reset(N);
    #pragma omp parallel for ordered schedule(guided, 16)
    for (int i = N - 1; i >= 0; i--) ORDERED_BODY(i, -1);
    report("guided,16 down", N - 1, -1, N);

    omp_set_schedule(omp_sched_guided, 3);
    reset(-1);
    #pragma omp parallel for ordered schedule(runtime)
    for (int i = 0; i < N; i++) ORDERED_BODY(i, 1);
    report("runtime guided,3", 0, 1, N);

    omp_set_schedule(omp_sched_static, 0);
    reset(-1);
    #pragma omp parallel for ordered schedule(runtime)
    for (int i = 0; i < N; i++) ORDERED_BODY(i, 1);
    report("runtime static", 0, 1, N);

    // Trip count smaller than the team.
    reset(-1);
    #pragma omp parallel for ordered schedule(dynamic) num_threads(4)
    for (int i = 0; i < 2; i++) ORDERED_BODY(i, 1);
    report("dynamic 2 trips", 0, 1, 2);

    // unsigned long long ordered loops (GOMP_loop_ull_ordered_*); i - base is the logical index.
    const unsigned long long base = 0x8000000000000000ULL - 700;
    #define ULL_BODY(u)                                                         \
        do {                                                                    \
            long i_ = (long)((u) - base);                                       \
            ORDERED_BODY(i_, 1);                                                \
        } while (0)
    reset(-1);
    #pragma omp parallel for ordered schedule(static)
    for (unsigned long long u = base; u < base + N; u++) ULL_BODY(u);
    report("ull static", 0, 1, N);
    reset(-1);
    #pragma omp parallel for ordered schedule(guided, 2)
    for (unsigned long long u = base; u < base + N; u++) ULL_BODY(u);
    report("ull guided,2", 0, 1, N);
    omp_set_schedule(omp_sched_dynamic, 9);
    reset(-1);
    #pragma omp parallel for ordered schedule(runtime)
    for (unsigned long long u = base; u < base + N; u++) ULL_BODY(u);
    report("ull runtime dynamic,9", 0, 1, N);

    // Separate form: two ordered loops appending to the same log; the second continues it.
    reset(-1);
    #pragma omp parallel
    {
        #pragma omp for ordered schedule(dynamic, 4)
        for (int i = 0; i < N / 2; i++) ORDERED_BODY(i, 1);
        #pragma omp for ordered schedule(guided)
        for (int i = N / 2; i < N; i++) ORDERED_BODY(i, 1);
    }
    report("separate dynamic,4 + guided", 0, 1, N);

    if (bad) { printf("FAIL 34: %d mismatches\n", bad); return 1; }
    printf("34 ok\n");
    return 0;
}
