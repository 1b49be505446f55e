// Theme: `for simd` loops with schedule(guided, 32) whose variables live on the main stack, many
// times over, trip counts 0 included. A simd loop's iteration variable declared outside the loop is
// linear, so gcc copies its last value out; with no iterations every thread runs that copy-out and
// stores its private copy, which it never set, to the variable on the caller's stack (the same for
// an explicit lastprivate). Under libcape those stores must be the same on every thread and rank:
// no race is reported for them. Checked here: a combined `parallel for simd` in a function whose
// caller owns the arrays (double and int, on the caller's stack), with the iteration variable, a
// lastprivate and reductions in the function's frame; an orphaned `for simd` with a global
// iteration variable called from a region; trip counts 0, 1, 31, 32, 33 and others that are not
// multiples of 32; more than 60 regions. The values of variables after an empty loop are
// unspecified and not printed.
#include <stdio.h>

#define N 1000

static int gi;

// The combined construct in a function of its own; `i` is in this function's frame.
static int f4_pf_simd_guided32(double *a, int n, double s) {
    int i = -1;
    #pragma omp parallel for simd schedule(guided, 32)
    for (i = 0; i < n; i++) a[i] = a[i] * s + i;
    return i;
}

// lastprivate and an int reduction next to the linear iteration variable.
static long f4_pf_simd_guided32_int(int *a, int n, int k, int *last, int *iout) {
    int i = -1, lp = -1;
    long sum = 0;
    #pragma omp parallel for simd schedule(guided, 32) lastprivate(lp) reduction(+:sum)
    for (i = 0; i < n; i++) {
        a[i] = (a[i] * 3 + k) % 1009;
        lp = a[i];
        sum += a[i];
    }
    *last = lp;
    *iout = i;
    return sum;
}

// A double reduction over integer values (exact in any order).
static double f4_pf_simd_guided32_red(const int *a, int n, int *iout) {
    int i = -1;
    double s = 0.0;
    #pragma omp parallel for simd schedule(guided, 32) reduction(+:s)
    for (i = 0; i < n; i++) s += (double)(a[i] % 1000);
    *iout = i;
    return s;
}

// Orphaned: the worksharing loop of a region that the caller starts; the iteration variable is a
// global, so its copy-out goes to shared memory too.
static void f4_for_simd_guided32(short *a, int n) {
    #pragma omp for simd schedule(guided, 32)
    for (gi = 0; gi < n; gi++) a[gi] = (short)(a[gi] + gi % 7 - 3);
}

static unsigned long mix(unsigned long h, unsigned long v) { return (h ^ v) * 1099511628211ul; }

int main(void) {
    printf("82 for simd schedule(guided, 32), variables on the main stack\n");
    double d[N];
    int x[N];
    short sh[N];
    for (int j = 0; j < N; j++) { d[j] = j % 17; x[j] = j % 101; sh[j] = (short)(j % 13); }
    static const int trips[] = {0, 1, 31, 32, 33, 0, 100, 257, 0, 999, 1000, 63, 0, 64, 65, 0};
    const int ntrips = (int)(sizeof trips / sizeof trips[0]);
    unsigned long h = 14695981039346656037ul;
    int bad = 0;
    for (int round = 0; round < 20; round++) {
        int n = trips[round % ntrips];
        int i1 = f4_pf_simd_guided32(d, n, round % 2 ? 0.5 : 0.75);
        int last = -1, i2 = -1, i3 = -1;
        long sum = f4_pf_simd_guided32_int(x, n, round, &last, &i2);
        double rs = f4_pf_simd_guided32_red(x, n, &i3);
        #pragma omp parallel
        f4_for_simd_guided32(sh, n);
        if (n > 0) {
            if (i1 != n || i2 != n || i3 != n || gi != n || last != x[n - 1]) bad++;
            h = mix(h, (unsigned long)last);
        }
        h = mix(h, (unsigned long)sum);
        h = mix(h, (unsigned long)rs);
        if (round % 4 == 3) {
            double cd = 0;
            long cx = 0, cs = 0;
            for (int j = 0; j < N; j++) { cd += d[j]; cx += x[j]; cs += sh[j]; }
            printf("round %2d: n=%4d sum=%ld rsum=%.0f d=%.6f x=%ld sh=%ld\n", round, n, sum, rs, cd, cx, cs);
        }
    }
    unsigned long hd = 14695981039346656037ul;
    for (int j = 0; j < N; j++) {
        unsigned long bits;
        __builtin_memcpy(&bits, &d[j], sizeof bits);
        hd = mix(hd, bits);
        hd = mix(hd, (unsigned long)x[j]);
        hd = mix(hd, (unsigned long)(unsigned short)sh[j]);
    }
    printf("hash %016lx memory %016lx\n", h, hd);
    printf("%s\n", bad ? "FAILED" : "OK");
    return bad != 0;
}
