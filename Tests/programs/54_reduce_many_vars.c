// Theme: several reduction variables in one loop, which gcc combines inside one
// GOMP_atomic_start/GOMP_atomic_end pair per thread: one clause with many variables of one
// operator, several clauses with different operators and types on one `parallel for`, a `for`
// with reductions inside a `parallel` (with and without nowait), collapse(2) with reductions,
// dynamic and guided schedules, the same loop repeated in a loop of regions (the values
// accumulate), and a region whose loop has fewer trips than the team. All values are exact.
#include <omp.h>
#include <stdio.h>

#define N 3000
#define ROWS 37
#define COLS 53

static int opaque(int x) { __asm__ volatile("" : "+r"(x)); return x; }

static unsigned hash(unsigned x) {
    x ^= x >> 16; x *= 0x7feb352du;
    x ^= x >> 15; x *= 0x846ca68bu;
    return x ^ (x >> 16);
}

static int a[N];

struct res {
    long s1, s2, s3;
    int i1, i2;
    double d1, d2;
    unsigned u1, u2;
    char c1;
    short sh;
    int mx, mn, land, lor;
    float fmax, fmul;
    unsigned long long ux;
};

static void print_res(const char *what, const struct res *r) {
    printf("%s: s=%ld,%ld,%ld i=%d,%d d=%.2f,%.2f u=%u,%u c=%d sh=%d max=%d min=%d and=%d or=%d fmax=%.2f fmul=%.4f "
           "ux=%llx\n", what, r->s1, r->s2, r->s3, r->i1, r->i2, r->d1, r->d2, r->u1, r->u2, r->c1, r->sh, r->mx,
           r->mn, r->land, r->lor, r->fmax, r->fmul, r->ux);
}

static int same(const struct res *x, const struct res *y) {
    return x->s1 == y->s1 && x->s2 == y->s2 && x->s3 == y->s3 && x->i1 == y->i1 && x->i2 == y->i2 &&
           x->d1 == y->d1 && x->d2 == y->d2 && x->u1 == y->u1 && x->u2 == y->u2 && x->c1 == y->c1 &&
           x->sh == y->sh && x->mx == y->mx && x->mn == y->mn && x->land == y->land && x->lor == y->lor &&
           x->fmax == y->fmax && x->fmul == y->fmul && x->ux == y->ux;
}

static void body(struct res *r, int i) {
    int v = a[i];
    r->s1 += v;
    r->s2 += (long)v * v;
    r->s3 -= i;
    r->i1 += v & 7;
    r->i2 -= v % 5;
    r->d1 += v * 0.5;
    r->d2 -= (i % 4) * 0.25;
    r->u1 *= (i % 9 == 4) ? 5u : 1u;
    r->u2 ^= hash((unsigned)i);
    r->c1 += (char)(v & 3);
    r->sh -= (short)(i & 15);
    if (v > r->mx) r->mx = v;
    if (v < r->mn) r->mn = v;
    r->land = r->land && (v != 1234567);
    r->lor = r->lor || (v == a[N / 3]);
    if (v * 0.25f > r->fmax) r->fmax = v * 0.25f;
    r->fmul *= (i % 700 == 11) ? 0.5f : 1.0f;
    r->ux |= 1ULL << (v % 61);
}

static void init(struct res *r) {
    r->s1 = 10; r->s2 = 0; r->s3 = 1000; r->i1 = 0; r->i2 = 7; r->d1 = 0.5; r->d2 = 0;
    r->u1 = 3; r->u2 = 0; r->c1 = 0; r->sh = 100; r->mx = -1; r->mn = 1 << 30;
    r->land = 1; r->lor = 0; r->fmax = -1.0f; r->fmul = 1.0f; r->ux = 0;
}

int main(void) {
    printf("54 several reductions in one loop\n");
    int bad = 0;
    int n = opaque(N);
    for (int i = 0; i < N; i++) a[i] = (int)(hash((unsigned)i) % 100000u);

    struct res ref, got;
    init(&ref);
    for (int i = 0; i < n; i++) body(&ref, i);
    print_res("sequential", &ref);

    // One combined construct with 18 variables in 9 clauses.
    {
        long s1 = 10, s2 = 0, s3 = 1000;
        int i1 = 0, i2 = 7, mx = -1, mn = 1 << 30, land = 1, lor = 0;
        double d1 = 0.5, d2 = 0;
        unsigned u1 = 3, u2 = 0;
        char c1 = 0;
        short sh = 100;
        float fmax = -1.0f, fmul = 1.0f;
        unsigned long long ux = 0;
        #pragma omp parallel for reduction(+:s1, s2, i1, d1, c1) reduction(-:s3, i2, d2, sh) reduction(*:u1, fmul) \
            reduction(^:u2) reduction(max:mx, fmax) reduction(min:mn) reduction(&&:land) reduction(||:lor) \
            reduction(|:ux)
        for (int i = 0; i < n; i++) {
            int v = a[i];
            s1 += v; s2 += (long)v * v; s3 -= i;
            i1 += v & 7; i2 -= v % 5;
            d1 += v * 0.5; d2 -= (i % 4) * 0.25;
            u1 *= (i % 9 == 4) ? 5u : 1u;
            u2 ^= hash((unsigned)i);
            c1 += (char)(v & 3);
            sh -= (short)(i & 15);
            if (v > mx) mx = v;
            if (v < mn) mn = v;
            land = land && (v != 1234567);
            lor = lor || (v == a[N / 3]);
            if (v * 0.25f > fmax) fmax = v * 0.25f;
            fmul *= (i % 700 == 11) ? 0.5f : 1.0f;
            ux |= 1ULL << (v % 61);
        }
        got = (struct res){s1, s2, s3, i1, i2, d1, d2, u1, u2, c1, sh, mx, mn, land, lor, fmax, fmul, ux};
        print_res("parallel for", &got);
        if (!same(&got, &ref)) bad++;
    }

    // The same loop as a `for` inside a `parallel`, dynamic schedule, then again with nowait and a
    // barrier before anyone reads the results.
    for (int variant = 0; variant < 2; variant++) {
        long s1 = 10, s2 = 0, s3 = 1000;
        int i1 = 0, i2 = 7, mx = -1, mn = 1 << 30, land = 1, lor = 0;
        double d1 = 0.5, d2 = 0;
        unsigned u1 = 3, u2 = 0;
        char c1 = 0;
        short sh = 100;
        float fmax = -1.0f, fmul = 1.0f;
        unsigned long long ux = 0;
        int checked = 1;
        #pragma omp parallel
        {
            if (variant == 0) {
                #pragma omp for schedule(dynamic, 13) reduction(+:s1, s2, i1, d1, c1) reduction(-:s3, i2, d2, sh) \
                    reduction(*:u1, fmul) reduction(^:u2) reduction(max:mx, fmax) reduction(min:mn) \
                    reduction(&&:land) reduction(||:lor) reduction(|:ux)
                for (int i = 0; i < n; i++) {
                    int v = a[i];
                    s1 += v; s2 += (long)v * v; s3 -= i;
                    i1 += v & 7; i2 -= v % 5;
                    d1 += v * 0.5; d2 -= (i % 4) * 0.25;
                    u1 *= (i % 9 == 4) ? 5u : 1u;
                    u2 ^= hash((unsigned)i);
                    c1 += (char)(v & 3);
                    sh -= (short)(i & 15);
                    if (v > mx) mx = v;
                    if (v < mn) mn = v;
                    land = land && (v != 1234567);
                    lor = lor || (v == a[N / 3]);
                    if (v * 0.25f > fmax) fmax = v * 0.25f;
                    fmul *= (i % 700 == 11) ? 0.5f : 1.0f;
                    ux |= 1ULL << (v % 61);
                }
            } else {
                #pragma omp for schedule(guided, 4) nowait reduction(+:s1, s2, i1, d1, c1) \
                    reduction(-:s3, i2, d2, sh) reduction(*:u1, fmul) reduction(^:u2) reduction(max:mx, fmax) \
                    reduction(min:mn) reduction(&&:land) reduction(||:lor) reduction(|:ux)
                for (int i = 0; i < n; i++) {
                    int v = a[i];
                    s1 += v; s2 += (long)v * v; s3 -= i;
                    i1 += v & 7; i2 -= v % 5;
                    d1 += v * 0.5; d2 -= (i % 4) * 0.25;
                    u1 *= (i % 9 == 4) ? 5u : 1u;
                    u2 ^= hash((unsigned)i);
                    c1 += (char)(v & 3);
                    sh -= (short)(i & 15);
                    if (v > mx) mx = v;
                    if (v < mn) mn = v;
                    land = land && (v != 1234567);
                    lor = lor || (v == a[N / 3]);
                    if (v * 0.25f > fmax) fmax = v * 0.25f;
                    fmul *= (i % 700 == 11) ? 0.5f : 1.0f;
                    ux |= 1ULL << (v % 61);
                }
                #pragma omp barrier
                // Every thread reads the combined values after the barrier.
                if (s1 != ref.s1 || mx != ref.mx || u2 != ref.u2 || ux != ref.ux) {
                    #pragma omp atomic write
                    checked = 0;
                }
            }
        }
        got = (struct res){s1, s2, s3, i1, i2, d1, d2, u1, u2, c1, sh, mx, mn, land, lor, fmax, fmul, ux};
        print_res(variant == 0 ? "for dynamic" : "for guided nowait", &got);
        if (!same(&got, &ref) || !checked) bad++;
    }

    // collapse(2) with three reductions.
    long csum = 0;
    int cmax = -1;
    double cd = 0;
    #pragma omp parallel for collapse(2) schedule(static, 5) reduction(+:csum, cd) reduction(max:cmax)
    for (int r = 0; r < ROWS; r++)
        for (int c = 0; c < COLS; c++) {
            int v = a[r * COLS + c];
            csum += v - c;
            cd += r * 0.125;
            if (v + r > cmax) cmax = v + r;
        }
    long xsum = 0;
    int xmax = -1;
    double xd = 0;
    for (int r = 0; r < ROWS; r++)
        for (int c = 0; c < COLS; c++) {
            int v = a[r * COLS + c];
            xsum += v - c;
            xd += r * 0.125;
            if (v + r > xmax) xmax = v + r;
        }
    printf("collapse(2): sum=%ld max=%d d=%.3f\n", csum, cmax, cd);
    if (csum != xsum || cmax != xmax || cd != xd) bad++;

    // The same variables reduced again and again by a sequence of regions: values accumulate.
    long acc = 0, accref = 0;
    int amin = 1 << 30, aminref = 1 << 30;
    for (int round = 0; round < 25; round++) {
        int m = opaque(round * 40 + 1);
        #pragma omp parallel for schedule(dynamic, 3) reduction(+:acc) reduction(min:amin)
        for (int i = 0; i < m; i++) {
            acc += a[i] - round;
            if (a[(i * 7 + round) % N] < amin) amin = a[(i * 7 + round) % N];
        }
        for (int i = 0; i < m; i++) {
            accref += a[i] - round;
            if (a[(i * 7 + round) % N] < aminref) aminref = a[(i * 7 + round) % N];
        }
    }
    printf("25 regions accumulating: acc=%ld min=%d\n", acc, amin);
    if (acc != accref || amin != aminref) bad++;

    // Two trips only: the other threads contribute the identity values.
    long t1 = 5, t2 = 1;
    int t3 = 100;
    #pragma omp parallel for reduction(+:t1) reduction(*:t2) reduction(min:t3)
    for (int i = 0; i < opaque(2); i++) { t1 += i + 1; t2 *= i + 2; if (i + 50 < t3) t3 = i + 50; }
    printf("two trips: sum=%ld prod=%ld min=%d\n", t1, t2, t3);
    if (t1 != 8 || t2 != 6 || t3 != 50) bad++;

    if (bad) { printf("FAIL 54: %d mismatches\n", bad); return 1; }
    printf("54 ok\n");
    return 0;
}
