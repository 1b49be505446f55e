// Theme: more `critical` shapes: a critical section entered on every iteration of a dynamic loop
// doing a multi-word update (a 96-bit counter kept in three 32-bit words with carries), critical
// sections of different names nested inside each other (outer -> inner, and inner alone elsewhere),
// an unnamed and a named critical in functions called from the region (and called outside any
// region), a critical with a hint, every thread entering a critical once (totals printed divided
// by the team size), critical sections inside sections and single, and a critical in a region
// repeated many times.
#include <omp.h>
#include <stdio.h>

#define N 1500

static int opaque(int x) { __asm__ volatile("" : "+r"(x)); return x; }

static unsigned w0, w1, w2;               // a 96-bit counter, low word first
static long inner_total, outer_total, outer_pairs;
static long f_total, f_calls;
static long hinted;

static void add96(unsigned long long x) {
    unsigned long long lo = (unsigned long long)w0 + (x & 0xffffffffu);
    w0 = (unsigned)lo;
    unsigned long long mid = (unsigned long long)w1 + (x >> 32) + (lo >> 32);
    w1 = (unsigned)mid;
    w2 += (unsigned)(mid >> 32);
}

// Orphaned critical sections in a function: unnamed, and a named one shared with main.
__attribute__((noinline)) static void record(long v) {
    #pragma omp critical
    {
        f_total += v;
        f_calls++;
    }
    if (v % 5 == 0) {
        #pragma omp critical(inner)
        inner_total += 1;
    }
}

int main(void) {
    printf("62 critical: nesting, functions, dynamic loops\n");
    int bad = 0, n = opaque(N);

    // 96-bit counter: each addition of a large value carries between words.
    w0 = w1 = w2 = 0;
    #pragma omp parallel for schedule(dynamic, 1)
    for (int i = 0; i < n; i++) {
        unsigned long long x = 0xfffffff0ffffffffULL - (unsigned long long)i * 977;
        #pragma omp critical
        add96(x);
    }
    unsigned hi_e = 0, mid_e = 0, lo_e = 0;
    {
        unsigned s0 = w0, s1 = w1, s2 = w2;
        w0 = w1 = w2 = 0;
        for (int i = 0; i < N; i++) add96(0xfffffff0ffffffffULL - (unsigned long long)i * 977);
        lo_e = w0; mid_e = w1; hi_e = w2;
        w0 = s0; w1 = s1; w2 = s2;
    }
    printf("96-bit sum: %08x %08x %08x\n", w2, w1, w0);
    if (w0 != lo_e || w1 != mid_e || w2 != hi_e) bad++;

    // Nested critical sections with different names; `inner` is also entered alone (in record).
    inner_total = outer_total = outer_pairs = 0;
    f_total = f_calls = 0;
    #pragma omp parallel
    {
        #pragma omp for schedule(dynamic, 4)
        for (int i = 0; i < n; i++) {
            if (i % 3 == 0) {
                #pragma omp critical(outer)
                {
                    outer_total += i;
                    #pragma omp critical(inner)
                    {
                        inner_total += 1000;
                        outer_pairs++;
                    }
                }
            }
            record(i);
        }
    }
    long e_outer = 0, e_pairs = 0, e_ftot = 0, e_inner = 0;
    for (int i = 0; i < N; i++) {
        if (i % 3 == 0) { e_outer += i; e_pairs++; e_inner += 1000; }
        e_ftot += i;
        if (i % 5 == 0) e_inner += 1;
    }
    printf("nested: outer=%ld pairs=%ld inner=%ld; function: total=%ld calls=%ld\n", outer_total, outer_pairs,
           inner_total, f_total, f_calls);
    if (outer_total != e_outer || outer_pairs != e_pairs || inner_total != e_inner || f_total != e_ftot ||
        f_calls != N) bad++;

    // The function outside any region: its critical sections run on the only thread.
    record(10);
    printf("outside region: total=%ld calls=%ld inner=%ld\n", f_total, f_calls, inner_total);
    if (f_total != e_ftot + 10 || f_calls != N + 1 || inner_total != e_inner + 1) bad++;

    // Every thread enters once; a hinted critical; critical sections inside sections and single.
    int team = 0;
    long per_thread = 0, in_sections = 0, in_sections_outer = 0, in_single = 0;
    hinted = 0;
    #pragma omp parallel
    {
        #pragma omp critical
        {
            team++;
            per_thread += 7;
        }
        #pragma omp for schedule(guided)
        for (int i = 0; i < n; i++) {
            #pragma omp critical(hinted) hint(omp_sync_hint_contended)
            hinted += i & 3;
        }
        #pragma omp sections
        {
            #pragma omp section
            {
                #pragma omp critical
                in_sections += 1;
            }
            #pragma omp section
            {
                #pragma omp critical
                in_sections += 10;
            }
            #pragma omp section
            {
                #pragma omp critical(outer)
                in_sections_outer += 100;          // another name: another variable
            }
        }
        #pragma omp single
        {
            #pragma omp critical
            in_single++;
        }
    }
    long e_hint = 0;
    for (int i = 0; i < N; i++) e_hint += i & 3;
    printf("every thread once: per thread %ld, equals 7*team: %s; hinted=%ld sections=%ld+%ld single=%ld\n",
           per_thread / team, per_thread == 7L * team ? "yes" : "no", hinted, in_sections, in_sections_outer, in_single);
    if (per_thread != 7L * team || hinted != e_hint || in_sections != 11 || in_sections_outer != 100 || in_single != 1)
        bad++;

    // Many short regions, each with a critical section per thread and per iteration.
    long rounds_total = 0, rounds_entries = 0;
    for (int r = 0; r < 40; r++) {
        #pragma omp parallel for schedule(dynamic, 2)
        for (int i = 0; i < 20; i++) {
            #pragma omp critical(rounds)
            {
                rounds_total += r * 20 + i;
                rounds_entries++;
            }
        }
    }
    printf("40 regions: total=%ld entries=%ld\n", rounds_total, rounds_entries);
    if (rounds_total != 800L * 799 / 2 || rounds_entries != 800) bad++;

    if (bad) { printf("FAIL 62: %d mismatches\n", bad); return 1; }
    printf("62 ok\n");
    return 0;
}
