// Theme: loop shapes under dynamic, guided, runtime and chunked static schedules: counting down,
// increments > 1, negative increments, <= / >= / != conditions, empty loops (also counting down and
// with !=), trip counts of 1..3 (smaller than the team, also in a num_threads(7) team), long bounds
// next to LONG_MAX / -LONG_MAX, long long steps larger than INT_MAX, int and unsigned bounds at
// INT_MIN / INT_MAX / UINT_MAX, pointer induction variables, and a step known only at run time.
// Every case also runs sequentially; the iteration values recorded per slot must agree.
#include <limits.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define CAP 2048

static long long rec[CAP], ref[CAP];
static unsigned char hit[CAP], refhit[CAP];
static short buf[64];
static int cases, bad;
static uint64_t all = 1469598103934665603ULL;

// Hides a value from the optimizer so bounds are not folded at compile time.
static int opaque(int x) { __asm__ volatile("" : "+r"(x)); return x; }

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
        sum += (uint64_t)rec[s] * (uint64_t)(s + 1);
        all = (all ^ (uint64_t)rec[s] ^ hit[s]) * 1099511628211ULL;
    }
    cases++;
    bad += wrong;
    printf("%-34s trips=%4d sum=%llu%s\n", name, trips, (unsigned long long)sum, wrong ? " WRONG" : "");
}

#define PRAGMA(...) _Pragma(#__VA_ARGS__)
// PCASE(name, type, init, cond, incr, slot, value, clauses...): the loop under
// `omp parallel for clauses` records value in rec[slot], then the same loop runs sequentially into
// ref/refhit. CASE records the induction variable itself.
#define PCASE(name, type, init, cond, incr, slot, value, ...) do {                          \
        reset();                                                                            \
        PRAGMA(omp parallel for __VA_ARGS__)                                                \
        for (type i = init; cond; incr) { long s_ = (long)(slot); rec[s_] = (long long)(value); hit[s_]++; } \
        for (type i = init; cond; incr) { long s_ = (long)(slot); ref[s_] = (long long)(value); refhit[s_]++; } \
        report(name);                                                                       \
    } while (0)
#define CASE(name, type, init, cond, incr, slot, ...) PCASE(name, type, init, cond, incr, slot, i, __VA_ARGS__)

int main(void) {
    printf("29 loop shapes\n");
    int n = opaque(1000), zero = opaque(0), lo5 = opaque(5), st = opaque(13);
    long long hi = opaque(1900);

    CASE("down dynamic,3", int, n - 1, i >= 0, i--, i, schedule(dynamic, 3));
    CASE("up step 5 guided", int, 3, i < n, i += 5, i / 5, schedule(guided));
    CASE("down step -7 dynamic", int, n, i > -20, i -= 7, (n - i) / 7, schedule(dynamic));
    CASE("<= bound guided,4", int, -50, i <= 50, i++, i + 50, schedule(guided, 4));
    omp_set_schedule(omp_sched_guided, 2);
    CASE(">= bound step -3 runtime", int, 100, i >= -100, i -= 3, (100 - i) / 3, schedule(runtime));
    CASE("!= bound dynamic", int, 0, i != n / 3, i++, i, schedule(dynamic));
    CASE("!= down monotonic:dynamic,2", int, 400, i != 0, i--, i - 1, schedule(monotonic: dynamic, 2));
    CASE("!= down static,3", int, 2 * lo5 + 40, i != -3, --i, i + 3, schedule(static, 3));

    CASE("empty up dynamic", int, 10, i < lo5, i++, 0, schedule(dynamic));
    CASE("empty down guided", int, lo5, i > 10, i--, 0, schedule(guided));
    CASE("empty runtime", int, 0, i < zero, i++, 0, schedule(runtime));
    CASE("empty != dynamic,4", int, 20, i != 20 + zero, i++, 0, schedule(dynamic, 4));
    CASE("empty static,1", long, 7, i < 7 + zero, i++, 0, schedule(static, 1));

    CASE("trip 1 dynamic", int, 7, i < 8 + zero, i++, i, schedule(dynamic));
    CASE("trip 2 guided", int, 0, i < 2 + zero, i++, i, schedule(guided));
    CASE("trip 3 runtime", int, 0, i < 3 + zero, i++, i, schedule(runtime));
    CASE("trip 3 down static,1", int, 2 + zero, i >= 0, i--, i, schedule(static, 1));
    CASE("trip 3 num_threads(7) dynamic", int, 0, i < 3 + zero, i++, i, num_threads(7) schedule(dynamic));
    CASE("trip 5 num_threads(7) guided,2", int, 10, i < 15 + zero, i++, i - 10, num_threads(7) schedule(guided, 2));

    CASE("long near LONG_MAX dynamic,1", long, LONG_MAX - 30001 + zero, i <= LONG_MAX - 10001, i += 10000,
         (i - (LONG_MAX - 30001)) / 10000, schedule(dynamic, 1));
    CASE("long near -LONG_MAX guided,1", long, -LONG_MAX + 30000 + zero, i >= -LONG_MAX + 10000, i -= 10000,
         ((-LONG_MAX + 30000) - i) / 10000, schedule(guided, 1));
    CASE("long long step INT_MAX+200 dynamic,1", long long, -3LL * INT_MAX - 20000LL + zero,
         i <= INT_MAX + 10000LL, i += INT_MAX + 200LL, (i - (-3LL * INT_MAX - 20000LL)) / (INT_MAX + 200LL),
         schedule(dynamic, 1));
    CASE("int INT_MIN single dynamic", int, INT_MIN + zero, i < INT_MIN + 1, i++, 0, schedule(dynamic));
    CASE("int INT_MAX down single guided", int, INT_MAX - zero, i >= INT_MAX, i--, 0, schedule(guided));
    CASE("unsigned UINT_MAX-1 up single dynamic", unsigned, UINT_MAX - 1 - (unsigned)zero, i < UINT_MAX, i++, 0,
         schedule(dynamic));
    CASE("unsigned from INT_MAX step 2 guided,32", unsigned, (unsigned)INT_MAX + (unsigned)zero,
         i < 3000U + INT_MAX, i += 2, (i - (unsigned)INT_MAX) >> 1, schedule(guided, 32));

    // Pointers: record the offset (addresses differ between runs).
    PCASE("pointer up dynamic,3", short *, &buf[10 + zero], i < &buf[54], i++, i - buf, i - buf, schedule(dynamic, 3));
    PCASE("pointer down step 4 guided", short *, &buf[48 + zero], i > &buf[15], i = i - 4, i - buf, i - buf,
          schedule(guided));
    PCASE("pointer <= step 2 runtime", short *, &buf[3 + zero], i <= &buf[63], i += 2, i - buf, i - buf,
          schedule(runtime));

    CASE("run-time step dynamic,2", long long, -17 + zero, i < hi, i += st, (i + 17) / st, schedule(dynamic, 2));
    CASE("run-time negative step guided", long long, hi, i > -17, i -= st, (hi - i) / st, schedule(guided));

    printf("cases=%d all=%016llx\n", cases, (unsigned long long)all);
    if (bad) { printf("FAIL 29: %d mismatches\n", bad); return 1; }
    printf("29 ok\n");
    return 0;
}
