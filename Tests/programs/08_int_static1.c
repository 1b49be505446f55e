// Theme: int (and long long) arrays with schedule(static, 1): the two ints sharing one 8-byte word
// are written by different threads; even/odd elements written by two nowait loops in one region.
#include <omp.h>
#include <stdio.h>

#define N 100001

static int a[N];
static int pairs[2 * N];
static long long ll[N];

int main(void) {
    printf("08 ints with schedule(static,1)\n");
    #pragma omp parallel for schedule(static, 1)
    for (int i = 0; i < N; i++) a[i] = i * 5 - 17;

    #pragma omp parallel for schedule(static, 1)
    for (int i = 0; i < N; i++) ll[i] = (long long)a[i] * a[i];

    #pragma omp parallel
    {
        #pragma omp for schedule(static, 1) nowait
        for (int i = 0; i < N; i++) pairs[2 * i] = a[i];
        #pragma omp for schedule(static, 2) nowait
        for (int i = 0; i < N; i++) pairs[2 * i + 1] = -a[N - 1 - i];
    }

    // Update in place: each element read and written by the same iteration.
    #pragma omp parallel for schedule(static, 1)
    for (int i = 0; i < N; i++) a[i] = a[i] * 2 + (i & 3);

    int bad = 0;
    long long sa = 0, sp = 0, sll = 0;
    for (int i = 0; i < N; i++) {
        int orig = i * 5 - 17;
        if (a[i] != orig * 2 + (i & 3)) bad++;
        if (ll[i] != (long long)orig * orig) bad++;
        if (pairs[2 * i] != orig || pairs[2 * i + 1] != -((N - 1 - i) * 5 - 17)) bad++;
        sa += a[i]; sll += ll[i];
        sp += (long long)pairs[2 * i] * 3 + pairs[2 * i + 1];
    }
    printf("sa=%lld sll=%lld sp=%lld\n", sa, sll, sp);
    if (bad) { printf("FAIL 08: %d mismatches\n", bad); return 1; }
    printf("08 ok\n");
    return 0;
}
