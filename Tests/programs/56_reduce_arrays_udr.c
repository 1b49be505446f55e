// Theme: array reductions and user-defined reductions: `reduction(+:arr[0:8])` on a global array,
// a whole local array named in the clause (a histogram), an array section through a pointer
// parameter `out[0:n]`, a section with an offset `p[2:3]` (elements outside it are left alone),
// max and * on sections, a 2-D section, a double array with exact values, a `parallel` (not `for`)
// array reduction, and `declare reduction` on a struct (count, sum, min, max) and on a small
// bitset type with an initializer. All combines happen inside GOMP_atomic_start/end.
#include <omp.h>
#include <stdio.h>

#define N 5000
#define BINS 16

static int opaque(int x) { __asm__ volatile("" : "+r"(x)); return x; }

static int v[N];
static long gsec[8];
static long mat[6][7];

struct stats { long count, sum; int lo, hi; };

static void stats_merge(struct stats *out, const struct stats *in) {
    out->count += in->count;
    out->sum += in->sum;
    if (in->lo < out->lo) out->lo = in->lo;
    if (in->hi > out->hi) out->hi = in->hi;
}

#pragma omp declare reduction(merge : struct stats : stats_merge(&omp_out, &omp_in)) \
    initializer(omp_priv = (struct stats){0, 0, 1 << 30, -(1 << 30)})

struct bitset { unsigned long long w[4]; };

static void bs_or(struct bitset *out, const struct bitset *in) {
    for (int k = 0; k < 4; k++) out->w[k] |= in->w[k];
}
static void bs_zero(struct bitset *b) {
    for (int k = 0; k < 4; k++) b->w[k] = 0;
}

#pragma omp declare reduction(unite : struct bitset : bs_or(&omp_out, &omp_in)) initializer(bs_zero(&omp_priv))

// Array section through a pointer parameter.
__attribute__((noinline)) static void bucket_sums(long *out, int nb, int n) {
    #pragma omp parallel for reduction(+:out[0:nb]) schedule(dynamic, 37)
    for (int i = 0; i < n; i++) out[v[i] % nb] += v[i];
}

int main(void) {
    printf("56 array and user-defined reductions\n");
    int bad = 0, n = opaque(N);
    for (int i = 0; i < N; i++) v[i] = (int)((i * 2654435761u) >> 20) % 1000;

    // Global array section, all 8 elements.
    for (int k = 0; k < 8; k++) gsec[k] = k;
    #pragma omp parallel for reduction(+:gsec[0:8])
    for (int i = 0; i < n; i++) gsec[i % 8] += v[i];
    long e8[8];
    for (int k = 0; k < 8; k++) e8[k] = k;
    for (int i = 0; i < N; i++) e8[i % 8] += v[i];
    printf("gsec:");
    for (int k = 0; k < 8; k++) { printf(" %ld", gsec[k]); if (gsec[k] != e8[k]) bad++; }
    printf("\n");

    // A whole local array: a histogram.
    int hist[BINS] = {0};
    #pragma omp parallel for reduction(+:hist) schedule(guided)
    for (int i = 0; i < n; i++) hist[v[i] % BINS]++;
    int eh[BINS] = {0};
    for (int i = 0; i < N; i++) eh[v[i] % BINS]++;
    printf("hist:");
    for (int k = 0; k < BINS; k++) { printf(" %d", hist[k]); if (hist[k] != eh[k]) bad++; }
    printf("\n");

    // Pointer parameter section.
    long buckets[10] = {0};
    bucket_sums(buckets, 10, n);
    long eb[10] = {0};
    for (int i = 0; i < N; i++) eb[v[i] % 10] += v[i];
    printf("buckets:");
    for (int k = 0; k < 10; k++) { printf(" %ld", buckets[k]); if (buckets[k] != eb[k]) bad++; }
    printf("\n");

    // A section with an offset: only p[2], p[3], p[4] take part; p[0], p[1], p[5] must keep
    // their values. Then max over a section.
    long p[6] = {-1, -2, 1, 1, 1, -6};
    #pragma omp parallel for reduction(*:p[2:3])
    for (int i = 0; i < n; i++) {
        if (i % 1000 == 17) p[2] *= 2;
        if (i % 1250 == 3) p[3] *= -3;
        if (i == n - 1) p[4] *= 5;
    }
    printf("p:");
    for (int k = 0; k < 6; k++) printf(" %ld", p[k]);
    printf("\n");
    if (p[0] != -1 || p[1] != -2 || p[2] != 32 || p[3] != 81 || p[4] != 5 || p[5] != -6) bad++;

    int mx[4] = {-1, -1, -1, 5000};
    #pragma omp parallel for reduction(max:mx[0:4]) schedule(static, 3)
    for (int i = 0; i < n; i++)
        if (v[i] > mx[i % 4]) mx[i % 4] = v[i];
    int em[4] = {-1, -1, -1, 5000};
    for (int i = 0; i < N; i++) if (v[i] > em[i % 4]) em[i % 4] = v[i];
    printf("max by residue: %d %d %d %d\n", mx[0], mx[1], mx[2], mx[3]);
    for (int k = 0; k < 4; k++) if (mx[k] != em[k]) bad++;

    // 2-D section: rows 1..4, columns 0..6.
    for (int r = 0; r < 6; r++) for (int c = 0; c < 7; c++) mat[r][c] = r * 10 + c;
    #pragma omp parallel for reduction(+:mat[1:4][0:7])
    for (int i = 0; i < n; i++) mat[1 + i % 4][v[i] % 7] += 1;
    long msum = 0, rsum[6] = {0};
    for (int r = 0; r < 6; r++) for (int c = 0; c < 7; c++) { msum += mat[r][c]; rsum[r] += mat[r][c]; }
    printf("mat rows: %ld %ld %ld %ld %ld %ld total %ld\n", rsum[0], rsum[1], rsum[2], rsum[3], rsum[4], rsum[5], msum);
    if (rsum[0] != 21 || rsum[5] != 371 || msum != 6 * 21 + 10 * 7 * 15 + N) bad++;

    // Doubles with exact values, on a `parallel` with the work split by hand.
    double dq[5] = {0.5, 0, 0, 0, -0.5};
    #pragma omp parallel reduction(+:dq)
    {
        int t = omp_get_thread_num(), nt = omp_get_num_threads();
        for (int i = t; i < n; i += nt) dq[v[i] % 5] += (v[i] % 8) * 0.125;
    }
    double edq[5] = {0.5, 0, 0, 0, -0.5};
    for (int i = 0; i < N; i++) edq[v[i] % 5] += (v[i] % 8) * 0.125;
    printf("dq: %.3f %.3f %.3f %.3f %.3f\n", dq[0], dq[1], dq[2], dq[3], dq[4]);
    for (int k = 0; k < 5; k++) if (dq[k] != edq[k]) bad++;

    // User-defined reductions.
    struct stats st = {0, 0, 1 << 30, -(1 << 30)};
    #pragma omp parallel for reduction(merge:st) schedule(dynamic, 50)
    for (int i = 0; i < n; i++) {
        if (v[i] % 3 == 0) continue;
        st.count++;
        st.sum += v[i];
        if (v[i] < st.lo) st.lo = v[i];
        if (v[i] > st.hi) st.hi = v[i];
    }
    struct stats es = {0, 0, 1 << 30, -(1 << 30)};
    for (int i = 0; i < N; i++) {
        if (v[i] % 3 == 0) continue;
        es.count++; es.sum += v[i];
        if (v[i] < es.lo) es.lo = v[i];
        if (v[i] > es.hi) es.hi = v[i];
    }
    printf("stats: count=%ld sum=%ld lo=%d hi=%d\n", st.count, st.sum, st.lo, st.hi);
    if (st.count != es.count || st.sum != es.sum || st.lo != es.lo || st.hi != es.hi) bad++;

    struct bitset seen;
    bs_zero(&seen);
    seen.w[3] = 1ULL << 63;   // the original value takes part in the combine
    #pragma omp parallel for reduction(unite:seen)
    for (int i = 0; i < n; i += 7) seen.w[(v[i] >> 6) & 3] |= 1ULL << (v[i] & 63);
    struct bitset es2;
    bs_zero(&es2);
    es2.w[3] = 1ULL << 63;
    for (int i = 0; i < N; i += 7) es2.w[(v[i] >> 6) & 3] |= 1ULL << (v[i] & 63);
    printf("bitset: %016llx %016llx %016llx %016llx\n", seen.w[0], seen.w[1], seen.w[2], seen.w[3]);
    for (int k = 0; k < 4; k++) if (seen.w[k] != es2.w[k]) bad++;

    if (bad) { printf("FAIL 56: %d mismatches\n", bad); return 1; }
    printf("56 ok\n");
    return 0;
}
