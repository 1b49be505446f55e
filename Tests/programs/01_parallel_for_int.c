// Theme: `#pragma omp parallel for` with schedule(static) (and no schedule clause) on int arrays,
// with several loop shapes (ascending, descending, strided, non-zero start, unsigned / long long index).
#include <omp.h>
#include <stdio.h>

#define N 200003

static int expect_a(long i) { return (int)(i * 3 + 1); }

int main(void) {
    static int a[N], b[N], c[N], d[N];
    long long e[N / 3 + 1];
    int bad = 0;

    printf("01 parallel for int: n=%d\n", N);

    #pragma omp parallel for schedule(static)
    for (int i = 0; i < N; i++)
        a[i] = expect_a(i);

    // No schedule clause: gcc's default is static.
    #pragma omp parallel for
    for (int i = 0; i < N; i++)
        b[i] = a[i] * 2 - (i % 7);

    // Descending loop.
    #pragma omp parallel for schedule(static)
    for (int i = N - 1; i >= 0; i--)
        c[i] = a[N - 1 - i] ^ 0x5a5a;

    // Strided loop with non-zero start; only every third element written.
    for (int i = 0; i < N; i++) d[i] = -1;
    #pragma omp parallel for schedule(static)
    for (int i = 2; i < N; i += 3)
        d[i] = i / 3;

    // unsigned and long long induction variables.
    #pragma omp parallel for schedule(static)
    for (unsigned u = 0; u < (unsigned)(N / 3 + 1); u++)
        e[u] = (long long)u * u;

    #pragma omp parallel for schedule(static)
    for (long long k = 10; k < 20; k++)
        a[k] += 1000;

    long long sa = 0, sb = 0, sc = 0, sd = 0, se = 0;
    for (int i = 0; i < N; i++) {
        int ea = expect_a(i) + ((i >= 10 && i < 20) ? 1000 : 0);
        if (a[i] != ea) bad++;
        if (b[i] != expect_a(i) * 2 - (i % 7)) bad++;
        if (c[i] != (expect_a(N - 1 - i) ^ 0x5a5a)) bad++;
        int ed = (i >= 2 && (i - 2) % 3 == 0) ? i / 3 : -1;
        if (d[i] != ed) bad++;
        sa += a[i]; sb += b[i]; sc += c[i]; sd += d[i];
    }
    for (int u = 0; u < N / 3 + 1; u++) {
        if (e[u] != (long long)u * u) bad++;
        se += e[u];
    }
    printf("sums a=%lld b=%lld c=%lld d=%lld e=%lld\n", sa, sb, sc, sd, se);
    if (bad) {
        printf("FAIL 01: %d bad elements\n", bad);
        return 1;
    }
    printf("01 ok\n");
    return 0;
}
