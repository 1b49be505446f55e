// Theme: atomics on floating types and the read, write and compare forms: float and double
// `+= -= *= /=`, `x = x op e`, `x = e op x` with exact values (powers of two, multiples of 0.25),
// long double (combined in GOMP_atomic_start/end); `atomic read` and `atomic write` of int, long,
// unsigned, char, short, float and double on array elements in dynamic loops, a flag every thread
// writes with the same value, reads of a counter others are incrementing (only bounds and per-thread
// monotonicity are printed); memory-order clauses seq_cst, acq_rel, release, acquire, relaxed;
// `atomic compare` as a min, a max and a claim-once (only the number of winners is printed).
#include <omp.h>
#include <stdio.h>

#define N 1500

static int opaque(int x) { __asm__ volatile("" : "+r"(x)); return x; }

static float f_add, f_sub;
static double d_mul, d_div, d_eq, d_rev, d_minus;
static long double ld_add;
static int wi[N];
static long wl[N];
static unsigned wu[N];
static char wc[N];
static short ws[N];
static float wf[N];
static double wd[N];

int main(void) {
    printf("58 atomic on floats, read, write, compare\n");
    int bad = 0, n = opaque(N);

    f_add = 0.5f; f_sub = 1000.0f; d_mul = 1.0; d_div = 1024.0 * 1024.0;
    d_eq = 0.0; d_rev = -1.0; d_minus = 0.75; ld_add = 0.0L;
    #pragma omp parallel for schedule(dynamic, 7)
    for (int i = 0; i < n; i++) {
        #pragma omp atomic
        f_add += (i % 8) * 0.25f;
        #pragma omp atomic update seq_cst
        f_sub -= 0.5f;
        if (i % 100 == 3) {
            #pragma omp atomic
            d_mul *= (i % 200 == 3) ? 2.0 : 4.0;
        }
        if (i % 150 == 9) {
            #pragma omp atomic
            d_div /= 2.0;
        }
        #pragma omp atomic
        d_eq = d_eq + i * 0.125;
        #pragma omp atomic acq_rel
        d_rev = (i % 2) * 0.5 + d_rev;
        #pragma omp atomic
        d_minus = 1.5 - d_minus;                 // only the number of executions matters
        #pragma omp atomic
        ld_add += (long double)(i % 5) * 0.5L;
    }
    double e_eq = 0, e_rev = -1.0, e_minus = 0.75;
    float e_add = 0.5f;
    long double e_ld = 0;
    for (int i = 0; i < N; i++) {
        e_add += (i % 8) * 0.25f;
        e_eq += i * 0.125;
        e_rev += (i % 2) * 0.5;
        e_minus = 1.5 - e_minus;
        e_ld += (long double)(i % 5) * 0.5L;
    }
    printf("float: add=%.2f sub=%.2f\n", f_add, f_sub);
    printf("double: mul=%.1f div=%.1f eq=%.3f rev=%.2f minus=%.2f\n", d_mul, d_div, d_eq, d_rev, d_minus);
    printf("long double: add=%.2Lf\n", ld_add);
    if (f_add != e_add || f_sub != 1000.0f - 0.5f * N) bad++;
    if (d_mul != 4194304.0 || d_div != 1024.0 * 1024.0 / 1024.0 || d_eq != e_eq || d_rev != e_rev || d_minus != e_minus)
        bad++;
    if (ld_add != e_ld) bad++;

    // atomic write of every element type in one region, atomic read of them in the next.
    #pragma omp parallel for schedule(dynamic, 13)
    for (int i = 0; i < n; i++) {
        #pragma omp atomic write
        wi[i] = i * 3 - 7;
        #pragma omp atomic write release
        wl[i] = (long)i << 33;
        #pragma omp atomic write seq_cst
        wu[i] = 4000000000u - (unsigned)i;
        #pragma omp atomic write
        wc[i] = (char)(i % 100);
        #pragma omp atomic write relaxed
        ws[i] = (short)(-i);
        #pragma omp atomic write
        wf[i] = i * 0.5f;
        #pragma omp atomic write
        wd[i] = i * 0.25;
    }
    long si = 0, sl = 0, sc = 0, ss = 0;
    unsigned long long su = 0;
    double sf = 0, sd = 0;
    #pragma omp parallel for schedule(guided, 5) reduction(+:si, sl, su, sc, ss, sf, sd)
    for (int i = 0; i < n; i++) {
        int a; long b; unsigned c; char d; short e; float f; double g;
        #pragma omp atomic read
        a = wi[i];
        #pragma omp atomic read acquire
        b = wl[n - 1 - i];
        #pragma omp atomic read seq_cst
        c = wu[i];
        #pragma omp atomic read
        d = wc[i];
        #pragma omp atomic read relaxed
        e = ws[i];
        #pragma omp atomic read
        f = wf[i];
        #pragma omp atomic read
        g = wd[i];
        si += a; sl += b >> 33; su += c; sc += d; ss += e; sf += f; sd += g;
    }
    printf("read back: int=%ld long=%ld unsigned=%llu char=%ld short=%ld float=%.1f double=%.2f\n", si, sl, su, sc,
           ss, sf, sd);
    long tri = (long)N * (N - 1) / 2;
    if (si != 3 * tri - 7L * N || sl != tri || su != 4000000000ULL * N - (unsigned long long)tri || ss != -tri ||
        sf != tri * 0.5 || sd != tri * 0.25) bad++;
    long ec = 0;
    for (int i = 0; i < N; i++) ec += i % 100;
    if (sc != ec) bad++;

    // A flag every thread writes with the same value; reads of a counter while others increment
    // it: every value read lies in [0, n] and the values one thread reads never go down.
    int flag = 0, counter = 0, out_of_range = 0, went_down = 0;
    #pragma omp parallel
    {
        #pragma omp atomic write
        flag = 1;
        int last = 0;
        #pragma omp for schedule(dynamic, 4)
        for (int i = 0; i < n; i++) {
            int seen;
            #pragma omp atomic update seq_cst
            counter += 1;
            #pragma omp atomic read seq_cst
            seen = counter;
            if (seen < 1 || seen > n) {
                #pragma omp atomic
                out_of_range++;
            }
            if (seen < last) {
                #pragma omp atomic
                went_down++;
            }
            last = seen;
        }
    }
    printf("flag=%d counter=%d reads out of range: %d, decreasing reads: %d\n", flag, counter, out_of_range, went_down);
    if (flag != 1 || counter != n || out_of_range || went_down) bad++;

    // atomic compare: min and max of data, and a slot that exactly one iteration claims.
    int amin = 1 << 30, amax = -(1 << 30), owner = -1, winners = 0;
    double dmin = 1e9;
    #pragma omp parallel for schedule(dynamic, 9)
    for (int i = 0; i < n; i++) {
        int x = (int)((i * 7919L) % 10007) - 5000;
        double y = ((i * 31L) % 1009) * 0.5;
        #pragma omp atomic compare
        if (x < amin) { amin = x; }
        #pragma omp atomic compare
        amax = amax < x ? x : amax;
        #pragma omp atomic compare seq_cst
        if (y < dmin) { dmin = y; }
        if (i % 97 == 5) {
            int r;
            #pragma omp atomic compare capture
            { r = owner == -1; if (r) { owner = i; } }
            if (r) {
                #pragma omp atomic
                winners++;
            }
        }
    }
    int emin = 1 << 30, emax = -(1 << 30);
    double edmin = 1e9;
    for (int i = 0; i < N; i++) {
        int x = (int)((i * 7919L) % 10007) - 5000;
        double y = ((i * 31L) % 1009) * 0.5;
        if (x < emin) emin = x;
        if (x > emax) emax = x;
        if (y < edmin) edmin = y;
    }
    printf("compare: min=%d max=%d dmin=%.1f winners=%d owner valid=%s\n", amin, amax, dmin, winners,
           (owner >= 5 && owner % 97 == 5) ? "yes" : "no");
    if (amin != emin || amax != emax || dmin != edmin || winners != 1 || owner % 97 != 5) bad++;

    if (bad) { printf("FAIL 58: %d mismatches\n", bad); return 1; }
    printf("58 ok\n");
    return 0;
}
