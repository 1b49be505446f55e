// Theme: where reductions appear and what they reduce: `parallel reduction(...)` with a hand-made
// partition of the work by thread number, with a worksharing loop without its own clause inside,
// with num_threads and if(0); `sections` and `parallel sections` reductions; reductions of globals,
// of a static local, of locals of main and of function parameters; an orphaned `for reduction` of
// a global in a function called inside a region and outside any region; reductions in a region
// nested in another (serialized). Results never depend on the team size.
#include <omp.h>
#include <stdio.h>

#define N 4000

static int opaque(int x) { __asm__ volatile("" : "+r"(x)); return x; }

static int v[N];
static long g_sum;
static int g_max = -1;
static double g_half;
static unsigned g_bits;

// Reduction of function parameters: the parameters are the reduction variables.
__attribute__((noinline)) static long sum_range(int lo, int hi, long acc, int mn) {
    #pragma omp parallel for reduction(+:acc) reduction(min:mn) schedule(dynamic, 11)
    for (int i = lo; i < hi; i++) {
        acc += v[i];
        if (v[i] < mn) mn = v[i];
    }
    return acc * 1000 + mn;
}

__attribute__((noinline)) static double scaled_max(const int *p, int n, double m) {
    #pragma omp parallel for reduction(max:m)
    for (int i = 0; i < n; i++)
        if (p[i] * 0.5 > m) m = p[i] * 0.5;
    return m;
}

// Orphaned worksharing loop: binds to the caller's region, or to a team of one outside regions.
__attribute__((noinline)) static void orphan_sum(int lo, int hi) {
    #pragma omp for reduction(+:g_sum) reduction(|:g_bits) schedule(guided)
    for (int i = lo; i < hi; i++) {
        g_sum += v[i];
        g_bits |= 1u << (v[i] % 29);
    }
}

// A static local as the reduction variable.
__attribute__((noinline)) static long count_odd(int n) {
    static long odd;
    odd = 0;
    #pragma omp parallel for reduction(+:odd)
    for (int i = 0; i < n; i++) odd += v[i] & 1;
    return odd;
}

int main(void) {
    printf("55 reductions on parallel, sections, globals, parameters\n");
    int bad = 0, n = opaque(N);
    long ref_sum = 0;
    int ref_max = -1, ref_min = 1 << 30;
    for (int i = 0; i < N; i++) {
        v[i] = (int)((i * 7919L + 13) % 10007);
        ref_sum += v[i];
        if (v[i] > ref_max) ref_max = v[i];
        if (v[i] < ref_min) ref_min = v[i];
    }
    printf("reference: sum=%ld max=%d min=%d\n", ref_sum, ref_max, ref_min);

    // 1. parallel reduction over globals, with the work split by hand (cyclic by thread number).
    g_sum = 0; g_max = -1; g_half = 0.25;
    int team_seen = 0;
    #pragma omp parallel reduction(+:g_sum, g_half) reduction(max:g_max)
    {
        int t = omp_get_thread_num(), nt = omp_get_num_threads();
        for (int i = t; i < n; i += nt) {
            g_sum += v[i];
            g_half += (v[i] & 1) * 0.5;
            if (v[i] > g_max) g_max = v[i];
        }
        #pragma omp single
        team_seen = nt;
    }
    long ref_half2 = 0;
    for (int i = 0; i < N; i++) ref_half2 += v[i] & 1;
    printf("parallel by hand: sum=%ld max=%d half=%.2f\n", g_sum, g_max, g_half);
    if (g_sum != ref_sum || g_max != ref_max || g_half != 0.25 + ref_half2 * 0.5) bad++;

    // 2. Each thread adds one: the count is the team size (printed as a check only).
    int count = 0, prod = 1, all = 1;
    #pragma omp parallel reduction(+:count) reduction(*:prod) reduction(&&:all)
    {
        count++;
        prod *= 1 + (omp_get_thread_num() == 0);
        all = all && omp_in_parallel() == (omp_get_num_threads() > 1);
    }
    printf("parallel count equals team: %s, product: %d, all: %d\n", count == team_seen ? "yes" : "no", prod, all);
    if (count != team_seen || prod != 2 || !all) bad++;

    // 3. parallel reduction with a worksharing loop (no clause of its own) feeding the private copies.
    long local_sum = 100;
    int local_min = 1 << 30;
    #pragma omp parallel reduction(+:local_sum) reduction(min:local_min)
    {
        #pragma omp for schedule(dynamic, 64)
        for (int i = 0; i < n; i++) {
            local_sum += v[i];
            if (v[i] < local_min) local_min = v[i];
        }
        #pragma omp for schedule(static)
        for (int i = 0; i < n; i++) local_sum -= i & 1;
    }
    printf("parallel with inner for: sum=%ld min=%d\n", local_sum, local_min);
    if (local_sum != 100 + ref_sum - N / 2 || local_min != ref_min) bad++;

    // 4. num_threads(3) and if(0).
    long s3 = 0, s0 = 7;
    #pragma omp parallel num_threads(3) reduction(+:s3)
    {
        int t = omp_get_thread_num(), nt = omp_get_num_threads();
        for (int i = t; i < 300; i += nt) s3 += i;
    }
    #pragma omp parallel if(0) reduction(+:s0)
    {
        s0 += omp_get_num_threads() * 10;
    }
    printf("num_threads(3): %ld, if(0): %ld\n", s3, s0);
    if (s3 != 300 * 299 / 2 || s0 != 17) bad++;

    // 5. sections reductions.
    long ssum = 0, sprod = 1;
    int smax = -5;
    #pragma omp parallel sections reduction(+:ssum) reduction(*:sprod) reduction(max:smax)
    {
        #pragma omp section
        { for (int i = 0; i < N / 4; i++) ssum += v[i]; sprod *= 2; if (v[1] > smax) smax = v[1]; }
        #pragma omp section
        { for (int i = N / 4; i < N / 2; i++) ssum += v[i]; sprod *= 3; if (v[2] > smax) smax = v[2]; }
        #pragma omp section
        { for (int i = N / 2; i < N; i++) ssum += v[i]; sprod *= -1; if (v[3] > smax) smax = v[3]; }
        #pragma omp section
        { sprod *= 7; if (v[4] > smax) smax = v[4]; }
        #pragma omp section
        { ssum += 1; }
    }
    int emax = v[1];
    for (int k = 2; k <= 4; k++) if (v[k] > emax) emax = v[k];
    printf("parallel sections: sum=%ld prod=%ld max=%d\n", ssum, sprod, smax);
    if (ssum != ref_sum + 1 || sprod != -42 || smax != emax) bad++;

    double dsec = 0.5;
    unsigned xsec = 0;
    #pragma omp parallel
    {
        #pragma omp sections reduction(-:dsec) reduction(^:xsec)
        {
            #pragma omp section
            { dsec -= 1.25; xsec ^= 0xf0f0u; }
            #pragma omp section
            { dsec -= 2.5; xsec ^= 0x0ff0u; }
            #pragma omp section
            { dsec -= 0.125; xsec ^= 0x1234u; }
        }
        // After the implicit barrier every thread sees the combined values.
        if (dsec != 0.5 - 3.875 || xsec != (0xf0f0u ^ 0x0ff0u ^ 0x1234u)) {
            #pragma omp atomic write
            dsec = 99.0;
        }
    }
    printf("sections in parallel: d=%.3f x=%#x\n", dsec, xsec);
    if (dsec != 0.5 - 3.875 || xsec != (0xf0f0u ^ 0x0ff0u ^ 0x1234u)) bad++;

    // 6. Function parameters, pointer-parameter data.
    long pr = sum_range(opaque(10), opaque(N - 10), 5, 1 << 30);
    int emin = 1 << 30;
    long esum = 5;
    for (int i = 10; i < N - 10; i++) { esum += v[i]; if (v[i] < emin) emin = v[i]; }
    printf("parameters: %ld, scaled max %.1f\n", pr, scaled_max(v, n, -1.0));
    if (pr != esum * 1000 + emin || scaled_max(v, n, 1e9) != 1e9 || scaled_max(v, n, -1.0) != ref_max * 0.5) bad++;

    // 7. Orphaned `for reduction` on a global: inside a region (twice) and outside any region.
    g_sum = 0; g_bits = 0;
    #pragma omp parallel
    {
        orphan_sum(0, n / 2);
        orphan_sum(n / 2, n);
    }
    printf("orphaned in region: sum=%ld bits=%#x\n", g_sum, g_bits);
    if (g_sum != ref_sum) bad++;
    unsigned b1 = g_bits;
    g_sum = 1; g_bits = 0;
    orphan_sum(0, n);
    printf("orphaned outside region: sum=%ld bits=%#x\n", g_sum, g_bits);
    if (g_sum != ref_sum + 1 || g_bits != b1) bad++;

    // 8. A static local, and a reduction in a region nested (serialized) in another one.
    long odd = count_odd(n);
    long nested_total = 0;
    #pragma omp parallel reduction(+:nested_total)
    {
        #pragma omp single
        {
            long inner = 0;
            #pragma omp parallel for reduction(+:inner)
            for (int i = 0; i < n; i++) inner += v[i] % 3;
            nested_total += inner;
        }
    }
    long eodd = 0, emod = 0;
    for (int i = 0; i < N; i++) { eodd += v[i] & 1; emod += v[i] % 3; }
    printf("static local: odd=%ld, nested: %ld\n", odd, nested_total);
    if (odd != eodd || nested_total != emod) bad++;

    if (bad) { printf("FAIL 55: %d mismatches\n", bad); return 1; }
    printf("55 ok\n");
    return 0;
}
