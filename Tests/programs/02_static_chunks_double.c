// Theme: schedule(static, 1), schedule(static, 7), schedule(static, 64) on double arrays whose
// length is not a multiple of any chunk size; results compared bit-exactly with a sequential run.
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N 10007

static double f(int i) { return sqrt((double)i) * 0.5 + i / 3.0; }
static double g(double x, int i) { return x * x - 1.0 / (i + 1.0); }

int main(void) {
    double *x1 = malloc(N * sizeof *x1), *x7 = malloc(N * sizeof *x7), *x64 = malloc(N * sizeof *x64);
    double *y = malloc(N * sizeof *y), *ref = malloc(N * sizeof *ref);
    if (!x1 || !x7 || !x64 || !y || !ref) { printf("FAIL 02: malloc\n"); return 1; }
    int bad = 0;

    printf("02 static chunks on doubles: n=%d\n", N);

    #pragma omp parallel for schedule(static, 1)
    for (int i = 0; i < N; i++) x1[i] = f(i);

    #pragma omp parallel for schedule(static, 7)
    for (int i = 0; i < N; i++) x7[i] = f(i) + 1.0;

    #pragma omp parallel for schedule(static, 64)
    for (int i = 0; i < N; i++) x64[i] = f(i) * 2.0;

    // Chained: read arrays written in previous regions, different chunking.
    #pragma omp parallel for schedule(static, 7)
    for (int i = 0; i < N; i++) y[i] = g(x1[i], i) + x7[N - 1 - i] - x64[(i * 13) % N];

    for (int i = 0; i < N; i++) {
        ref[i] = f(i);
        if (memcmp(&x1[i], &ref[i], sizeof(double)) != 0) bad++;
        double r7 = f(i) + 1.0, r64 = f(i) * 2.0;
        if (memcmp(&x7[i], &r7, sizeof(double)) != 0) bad++;
        if (memcmp(&x64[i], &r64, sizeof(double)) != 0) bad++;
    }
    double sy = 0.0;
    for (int i = 0; i < N; i++) {
        double ry = g(ref[i], i) + (f(N - 1 - i) + 1.0) - f((i * 13) % N) * 2.0;
        if (memcmp(&y[i], &ry, sizeof(double)) != 0) bad++;
        sy += y[i];
    }
    double s1 = 0, s7 = 0, s64 = 0;
    for (int i = 0; i < N; i++) { s1 += x1[i]; s7 += x7[i]; s64 += x64[i]; }
    printf("s1=%.6f s7=%.6f s64=%.6f sy=%.6f\n", s1, s7, s64, sy);
    free(x1); free(x7); free(x64); free(y); free(ref);
    if (bad) { printf("FAIL 02: %d mismatches\n", bad); return 1; }
    printf("02 ok\n");
    return 0;
}
