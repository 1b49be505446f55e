// Theme: several `#pragma omp for nowait` loops in one parallel region, with different static
// schedules and trip counts, each writing its own array and reading only data from before the
// region (no loop reads what another loop of the same region writes).
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <string.h>

#define N 30011

static double in[N];
static double o1[N], o2[N];
static int o3[N / 2];
static long o4[1000];
static char o5[777];

int main(void) {
    printf("17 nowait loops\n");
    for (int i = 0; i < N; i++) in[i] = sin(i * 0.001) + 2.0;

    for (int rep = 0; rep < 3; rep++) {
        #pragma omp parallel
        {
            #pragma omp for schedule(static) nowait
            for (int i = 0; i < N; i++) o1[i] = in[i] * in[i] + rep;
            #pragma omp for schedule(static, 1) nowait
            for (int i = 0; i < N; i++) o2[i] = sqrt(in[i]) - rep;
            #pragma omp for nowait
            for (int i = 0; i < N / 2; i++) o3[i] = (int)(in[2 * i] * 1000.0) + rep;
            #pragma omp for schedule(static, 64) nowait
            for (int i = 999; i >= 0; i--) o4[i] = (long)i * i * (rep + 1);
            #pragma omp for schedule(static, 9) nowait
            for (int i = 0; i < 777; i++) o5[i] = (char)('0' + (i + rep) % 10);
        }
    }

    int bad = 0;
    double s1 = 0, s2 = 0;
    long long s3 = 0, s4 = 0, s5 = 0;
    for (int i = 0; i < N; i++) {
        double e1 = in[i] * in[i] + 2, e2 = sqrt(in[i]) - 2;
        if (memcmp(&o1[i], &e1, sizeof e1) || memcmp(&o2[i], &e2, sizeof e2)) bad++;
        s1 += o1[i];
        s2 += o2[i];
    }
    for (int i = 0; i < N / 2; i++) {
        if (o3[i] != (int)(in[2 * i] * 1000.0) + 2) bad++;
        s3 += o3[i];
    }
    for (int i = 0; i < 1000; i++) {
        if (o4[i] != (long)i * i * 3) bad++;
        s4 += o4[i];
    }
    for (int i = 0; i < 777; i++) {
        if (o5[i] != (char)('0' + (i + 2) % 10)) bad++;
        s5 += o5[i];
    }
    printf("s1=%.6f s2=%.6f s3=%lld s4=%lld s5=%lld\n", s1, s2, s3, s4, s5);
    if (bad) { printf("FAIL 17: %d mismatches\n", bad); return 1; }
    printf("17 ok\n");
    return 0;
}
