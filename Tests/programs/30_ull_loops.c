// Theme: `unsigned long long` induction variables (gcc uses the GOMP_loop_ull_* entry points for
// dynamic, guided, runtime and ordered schedules): bounds next to and across 2^63, steps larger than
// 2^63, counting down from ULLONG_MAX, != conditions, empty and single-trip loops, the combined and
// the separate form, lastprivate, collapse(2) with an ull inner loop, an ordered ull loop appending
// in iteration order, and a static schedule for comparison. Every case is checked against the same
// loop run sequentially.
#include <limits.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define CAP 4096
#define TOP 0x8000000000000000ULL   // 2^63

typedef unsigned long long ull;

static ull rec[CAP], ref[CAP];
static unsigned char hit[CAP], refhit[CAP];
static int cases, bad;
static uint64_t all = 1469598103934665603ULL;

static ull opaque(ull x) { __asm__ volatile("" : "+r"(x)); return x; }

static void reset(void) {
    memset(rec, 0, sizeof rec); memset(ref, 0, sizeof ref);
    memset(hit, 0, sizeof hit); memset(refhit, 0, sizeof refhit);
}

static void report(const char *name) {
    int trips = 0, wrong = 0;
    uint64_t sum = 0;
    for (int s = 0; s < CAP; s++) {
        if (hit[s] != refhit[s] || rec[s] != ref[s]) wrong++;
        trips += hit[s];
        sum += rec[s] * (uint64_t)(s + 1);
        all = (all ^ rec[s] ^ hit[s]) * 1099511628211ULL;
    }
    cases++;
    bad += wrong;
    printf("%-36s trips=%4d sum=%llu%s\n", name, trips, (unsigned long long)sum, wrong ? " WRONG" : "");
}

#define PRAGMA(...) _Pragma(#__VA_ARGS__)
#define CASE(name, init, cond, incr, slot, ...) do {                                        \
        reset();                                                                            \
        PRAGMA(omp parallel for __VA_ARGS__)                                                \
        for (ull j = init; cond; incr) { long s_ = (long)(slot); rec[s_] = j; hit[s_]++; }  \
        for (ull j = init; cond; incr) { long s_ = (long)(slot); ref[s_] = j; refhit[s_]++; } \
        report(name);                                                                       \
    } while (0)

static ull order_log[CAP];
static int order_len;

int main(void) {
    printf("30 unsigned long long loops\n");
    ull z = opaque(0);
    ull top = opaque(TOP);

    CASE("step > 2^63 single trip dynamic,1", 20 + z, j <= LLONG_MAX - 70, j += LLONG_MAX + 50ULL, 0,
         schedule(dynamic, 1));
    CASE("down from ULLONG_MAX-3 guided,1", ULLONG_MAX - 3 + z, j >= LLONG_MAX + 70ULL, j -= LLONG_MAX + 50ULL, 0,
         schedule(guided, 1));
    CASE("across 2^63 step 10000 dynamic", LLONG_MAX - 20000ULL + z, j <= LLONG_MAX + 10000ULL, j += 10000ULL,
         (j - (LLONG_MAX - 20000ULL)) / 10000, schedule(dynamic));
    CASE("across 2^63 dynamic,7", top - 500 + z, j < top + 1500, j++, j - (top - 500), schedule(dynamic, 7));
    CASE("across 2^63 guided", top - 1000 + z, j < top + 1000, j++, j - (top - 1000), schedule(guided));
    CASE("across 2^63 nonmonotonic:dynamic,3", top - 7 + z, j <= top + 2999, j += 2, (j - (top - 7)) / 2,
         schedule(nonmonotonic: dynamic, 3));
    CASE("across 2^63 static,3", top - 100 + z, j < top + 200, j += 3, (j - (top - 100)) / 3, schedule(static, 3));
    CASE("down from ULLONG_MAX-1 step -3 guided,5", ULLONG_MAX - 1 - z, j > ULLONG_MAX - 3001, j -= 3,
         (ULLONG_MAX - 1 - j) / 3, schedule(guided, 5));
    CASE("down to 0 monotonic:dynamic", 999 + z, j > 0, j--, j, schedule(monotonic: dynamic));
    CASE("!= up dynamic,4", top + z, j != top + 777, j++, j - top, schedule(dynamic, 4));
    CASE("!= down monotonic:guided", top + 50 + z, j != top - 50, --j, top + 50 - j, schedule(monotonic: guided));
    CASE("empty dynamic", top + z, j < top, j++, 0, schedule(dynamic));
    CASE("empty down guided", 5 + z, j > 5, j--, 0, schedule(guided));
    CASE("single ULLONG_MAX-1 dynamic", ULLONG_MAX - 1 - z, j < ULLONG_MAX, j++, 0, schedule(dynamic));
    omp_set_schedule(omp_sched_dynamic, 13);
    CASE("runtime (dynamic,13)", top - 2000 + z, j < top + 2000, j += 2, (j - (top - 2000)) / 2, schedule(runtime));
    omp_set_schedule(omp_sched_guided, 0);
    CASE("runtime (guided) down", top + 3000 + z, j >= top - 3000, j -= 5, (top + 3000 - j) / 5, schedule(runtime));
    omp_set_schedule(omp_sched_static, 0);
    CASE("runtime (static)", z, j < 3000, j++, j, schedule(runtime));

    // Separate form with lastprivate; several ull loops in one region; the second reads the first.
    reset();
    ull lastj = 0, lastv = 0;
    #pragma omp parallel
    {
        #pragma omp for schedule(dynamic, 5)
        for (ull j = top - 1000 + z; j < top + 1000; j++) rec[j - (top - 1000)] = j * 3;
        #pragma omp for schedule(guided) lastprivate(lastj, lastv)
        for (ull j = top + 999 + z; j >= top - 1000; j--) {
            ull s = j - (top - 1000);
            hit[s]++;
            lastv = rec[2000 - 1 - s] ^ j;           // written by another iteration of the first loop
            lastj = j;
        }
    }
    for (ull j = top - 1000; j < top + 1000; j++) ref[j - (top - 1000)] = j * 3;
    for (ull j = top + 999; j >= top - 1000; j--) refhit[j - (top - 1000)]++;
    report("separate form dynamic,5 + guided");
    printf("  lastprivate: lastj-2^63=%lld lastv=%llu\n", (long long)(lastj - TOP), lastv);
    if (lastj != TOP - 1000 || lastv != (((TOP + 999) * 3) ^ (TOP - 1000))) { printf("  lastprivate WRONG\n"); bad++; }

    // collapse(2) with an ull inner loop crossing 2^63.
    reset();
    #pragma omp parallel for collapse(2) schedule(dynamic, 3)
    for (int a = 0; a < 40; a++)
        for (ull j = top - 25 + z; j < top + 25; j++) {
            long s = a * 50 + (long)(j - (top - 25));
            rec[s] = j + (ull)a;
            hit[s]++;
        }
    for (int a = 0; a < 40; a++)
        for (ull j = top - 25; j < top + 25; j++) {
            long s = a * 50 + (long)(j - (top - 25));
            ref[s] = j + (ull)a;
            refhit[s]++;
        }
    report("collapse(2) int x ull dynamic,3");
    reset();
    #pragma omp parallel for collapse(2) schedule(guided)
    for (ull i = ULLONG_MAX - z; i > ULLONG_MAX - 30; i--)
        for (ull j = 0; j < 60; j += 2) {
            long s = (long)(ULLONG_MAX - i) * 30 + (long)(j / 2);
            rec[s] = i ^ j;
            hit[s]++;
        }
    for (ull i = ULLONG_MAX; i > ULLONG_MAX - 30; i--)
        for (ull j = 0; j < 60; j += 2) {
            long s = (long)(ULLONG_MAX - i) * 30 + (long)(j / 2);
            ref[s] = i ^ j;
            refhit[s]++;
        }
    report("collapse(2) ull x ull guided");

    // ordered ull loop: the ordered blocks append in iteration order.
    order_len = 0;
    #pragma omp parallel for ordered schedule(dynamic, 3)
    for (ull j = top - 40 + z; j < top + 40; j += 2) {
        ull v = j * 7;                               // computed in any order
        #pragma omp ordered
        order_log[order_len++] = v;
    }
    int ow = order_len != 40;
    for (int k = 0; k < order_len && k < 40; k++)
        if (order_log[k] != (top - 40 + 2 * (ull)k) * 7) ow++;
    printf("ordered ull dynamic,3: len=%d first=%llu last=%llu%s\n", order_len, order_log[0],
           order_log[order_len > 0 ? order_len - 1 : 0], ow ? " WRONG" : "");
    bad += ow;

    printf("cases=%d all=%016llx\n", cases, (unsigned long long)all);
    if (bad) { printf("FAIL 30: %d mismatches\n", bad); return 1; }
    printf("30 ok\n");
    return 0;
}
