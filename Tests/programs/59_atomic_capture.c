// Theme: `#pragma omp atomic capture` in its forms: v = x++, v = x--, v = ++x, v = --x,
// v = x += e, {v = x; x += e;}, {x += e; v = x;}, {v = x; x++;}, {--x; v = x;}, the swap
// {v = x; x = e;}, and `{v = x; x *= 2;}`, on int, long, unsigned, char, short, float and double,
// with seq_cst and acq_rel, in dynamic and static loops. Which iteration captures which value
// depends on timing, so only order-independent facts are printed: the captured values form a
// known set (checked as a permutation), their sum, the last ticket, and an array filled through
// captured tickets (a lock-free append) whose sorted contents are known.
#include <omp.h>
#include <stdio.h>
#include <string.h>

#define N 1800
#define SMALL 120

static int opaque(int x) { __asm__ volatile("" : "+r"(x)); return x; }

static int cap_int[N];
static long cap_long[N];
static unsigned cap_uns[N];
static float cap_flt[N];
static double cap_dbl[N];
static long cap_addv[N];
static int cap_swap[N];
static char cap_chr[SMALL];
static short cap_sht[SMALL];
static int slots[N];
static unsigned char seen[N + 8];

// Are the n values a permutation of {base + k * step : 0 <= k < n}?
static int is_perm_long(const long *v, int n, long base, long step) {
    memset(seen, 0, sizeof seen);
    for (int i = 0; i < n; i++) {
        long d = v[i] - base;
        if (d % step != 0 || d / step < 0 || d / step >= n || seen[d / step]) return 0;
        seen[d / step] = 1;
    }
    return 1;
}

static long tmp[N];

#define PERM(arr, n, base, step) \
    (({ for (int _i = 0; _i < (n); _i++) tmp[_i] = (long)(arr)[_i]; }), is_perm_long(tmp, (n), (base), (step)))

int main(void) {
    printf("59 atomic capture\n");
    int bad = 0, n = opaque(N);

    int xi = 0;
    long xl = 100;
    unsigned xu = (unsigned)N;
    float xf = 0.0f;
    double xd = 1.0;
    long xa = 0;
    int ticket = 0;
    long old_sum = 0;
    #pragma omp parallel for schedule(dynamic, 5) reduction(+:old_sum)
    for (int i = 0; i < n; i++) {
        int v;
        #pragma omp atomic capture
        v = xi++;
        cap_int[i] = v;
        old_sum += v;
        long w;
        #pragma omp atomic capture seq_cst
        w = ++xl;
        cap_long[i] = w;
        unsigned u;
        #pragma omp atomic capture
        u = xu--;
        cap_uns[i] = u;
        float f;
        #pragma omp atomic capture
        { f = xf; xf += 0.5f; }
        cap_flt[i] = f;
        long a;
        #pragma omp atomic capture acq_rel
        { xa += 3; a = xa; }
        cap_addv[i] = a;
        // A ticket taken with capture picks the slot this iteration fills.
        int t;
        #pragma omp atomic capture
        { t = ticket; ticket++; }
        slots[t] = i * 2 + 1;
    }
    printf("int v=x++: final=%d permutation=%s sum of old values=%ld\n", xi, PERM(cap_int, n, 0, 1) ? "yes" : "no",
           old_sum);
    if (xi != n || !PERM(cap_int, n, 0, 1) || old_sum != (long)n * (n - 1) / 2) bad++;
    printf("long v=++x: final=%ld permutation=%s\n", xl, PERM(cap_long, n, 101, 1) ? "yes" : "no");
    if (xl != 100 + n || !PERM(cap_long, n, 101, 1)) bad++;
    printf("unsigned v=x--: final=%u permutation=%s\n", xu, PERM(cap_uns, n, 1, 1) ? "yes" : "no");
    if (xu != 0 || !PERM(cap_uns, n, 1, 1)) bad++;
    long fl[N];
    for (int i = 0; i < n; i++) fl[i] = (long)(cap_flt[i] * 2.0f);
    printf("float {v=x; x+=0.5}: final=%.1f permutation=%s\n", xf, is_perm_long(fl, n, 0, 1) ? "yes" : "no");
    if (xf != n * 0.5f || !is_perm_long(fl, n, 0, 1)) bad++;
    printf("long {x+=3; v=x}: final=%ld permutation=%s\n", xa, PERM(cap_addv, n, 3, 3) ? "yes" : "no");
    if (xa != 3L * n || !PERM(cap_addv, n, 3, 3)) bad++;
    long ssum = 0;
    for (int i = 0; i < n; i++) ssum += slots[i];
    int sperm = PERM(slots, n, 1, 2);
    printf("ticket append: tickets=%d slots are 1,3,5,...: %s sum=%ld\n", ticket, sperm ? "yes" : "no", ssum);
    if (ticket != n || !sperm || ssum != (long)n * n) bad++;

    // Doubling with capture: the captured values are 1, 2, 4, ... in some order.
    int m = opaque(60);
    long dl[64];
    #pragma omp parallel for schedule(static, 1)
    for (int i = 0; i < m; i++) {
        double d;
        #pragma omp atomic capture
        { d = xd; xd *= 2.0; }
        cap_dbl[i] = d;
    }
    int dperm = 1;
    for (int i = 0; i < m; i++) {
        int e = 0;
        double d = cap_dbl[i];
        while (d > 1.0) { d /= 2.0; e++; }
        if (d != 1.0) dperm = 0;
        dl[i] = e;
    }
    dperm = dperm && is_perm_long(dl, m, 0, 1);
    printf("double {v=x; x*=2}: final=2^%d powers 2^0..2^%d each once: %s\n", m, m - 1, dperm ? "yes" : "no");
    if (xd != 1152921504606846976.0 || !dperm) bad++;

    // Swap: {v = x; x = e;}. The captured values plus the final value are the initial value and
    // every written value, each once.
    int xs = -1;
    #pragma omp parallel for schedule(dynamic, 3)
    for (int i = 0; i < n; i++) {
        int v;
        #pragma omp atomic capture
        { v = xs; xs = i; }
        cap_swap[i] = v;
    }
    memset(seen, 0, sizeof seen);
    int swap_ok = xs >= 0 && xs < n;
    if (swap_ok) seen[xs + 1] = 1;
    for (int i = 0; i < n && swap_ok; i++) {
        int v = cap_swap[i];
        if (v < -1 || v >= n || seen[v + 1]) swap_ok = 0;
        else seen[v + 1] = 1;
    }
    printf("swap {v=x; x=i}: old values and final value are -1..n-1 once each: %s\n", swap_ok ? "yes" : "no");
    if (!swap_ok) bad++;

    // v = x += e with weights: captured values are distinct prefix sums; the largest equals the total.
    long xw = 0, maxcap = 0, distinct = 1;
    #pragma omp parallel for schedule(guided) reduction(max:maxcap)
    for (int i = 0; i < n; i++) {
        long v;
        #pragma omp atomic capture
        v = xw += 1 + i % 4;
        cap_long[i] = v;
        if (v > maxcap) maxcap = v;
    }
    memset(seen, 0, sizeof seen);
    long total = 0;
    for (int i = 0; i < n; i++) total += 1 + i % 4;
    static unsigned char seenw[4 * N + 8];
    for (int i = 0; i < n; i++) {
        if (cap_long[i] < 1 || cap_long[i] > total || seenw[cap_long[i]]) distinct = 0;
        else seenw[cap_long[i]] = 1;
    }
    printf("v = x += w: total=%ld largest captured is the total: %s distinct: %s\n", xw, maxcap == total ? "yes" : "no",
           distinct ? "yes" : "no");
    if (xw != total || maxcap != total || !distinct) bad++;

    // char and short: {v = x; x++;} and {--x; v = x;}
    char xc = 0;
    short xh = 0;
    int sm = opaque(SMALL);
    #pragma omp parallel for schedule(dynamic)
    for (int i = 0; i < sm; i++) {
        char c;
        short h;
        #pragma omp atomic capture
        { c = xc; xc++; }
        #pragma omp atomic capture
        { --xh; h = xh; }
        cap_chr[i] = c;
        cap_sht[i] = h;
    }
    printf("char {v=x; x++}: final=%d permutation=%s; short {--x; v=x}: final=%d permutation=%s\n", xc,
           PERM(cap_chr, sm, 0, 1) ? "yes" : "no", xh, PERM(cap_sht, sm, -SMALL, 1) ? "yes" : "no");
    if (xc != SMALL || xh != -SMALL || !PERM(cap_chr, sm, 0, 1) || !PERM(cap_sht, sm, -SMALL, 1)) bad++;

    // v = x-- and v = --x on one counter (they commute) from every thread: each thread counts
    // down 50 times; the old values are a permutation of the counter's range.
    int team = 1;
    int xdn = 0;
    static int cap_dn[64 * 100];
    #pragma omp parallel
    {
        int nt = omp_get_num_threads(), t = omp_get_thread_num();
        #pragma omp single
        team = nt;
        if (t < 64)
            for (int k = 0; k < 50; k++) {
                int v;
                if (k % 2) {
                    #pragma omp atomic capture
                    v = xdn--;
                } else {
                    #pragma omp atomic capture
                    v = --xdn;
                    v++;
                }
                cap_dn[t * 50 + k] = v;
            }
    }
    int dn_n = (team < 64 ? team : 64) * 50;
    printf("every thread counts down 50: final/team=%d old values distinct: %s\n", xdn / team,
           PERM(cap_dn, dn_n, -dn_n + 1, 1) ? "yes" : "no");
    if (xdn != -dn_n || !PERM(cap_dn, dn_n, -dn_n + 1, 1)) bad++;

    if (bad) { printf("FAIL 59: %d mismatches\n", bad); return 1; }
    printf("59 ok\n");
    return 0;
}
