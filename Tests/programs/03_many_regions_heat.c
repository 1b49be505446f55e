// Theme: hundreds of parallel regions in a loop. A 1-D heat (Jacobi) update runs 500 steps, each
// step one region reading the previous buffer and writing the other; buffers swapped by pointer.
// The schedule alternates between steps; the result is compared bit-exactly with a sequential run.
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N 4099
#define STEPS 500

static void init(double *u) {
    for (int i = 0; i < N; i++) u[i] = (i % 97 == 0) ? 100.0 : (double)(i % 13) * 0.25;
    u[0] = 1.0;
    u[N - 1] = -1.0;
}

static inline double upd(const double *u, int i) {
    return u[i] + 0.25 * (u[i - 1] - 2.0 * u[i] + u[i + 1]);
}

int main(void) {
    double *u = malloc(N * sizeof *u), *v = malloc(N * sizeof *v);
    double *su = malloc(N * sizeof *su), *sv = malloc(N * sizeof *sv);
    if (!u || !v || !su || !sv) { printf("FAIL 03: malloc\n"); return 1; }
    init(u); init(v); init(su); init(sv);
    int regions = 0;

    printf("03 many regions: n=%d steps=%d\n", N, STEPS);
    for (int step = 0; step < STEPS; step++) {
        if (step % 3 == 0) {
            #pragma omp parallel for schedule(static)
            for (int i = 1; i < N - 1; i++) v[i] = upd(u, i);
        } else if (step % 3 == 1) {
            #pragma omp parallel for schedule(static, 1)
            for (int i = 1; i < N - 1; i++) v[i] = upd(u, i);
        } else {
            #pragma omp parallel for schedule(static, 13)
            for (int i = 1; i < N - 1; i++) v[i] = upd(u, i);
        }
        regions++;
        double *t = u; u = v; v = t;
        if ((step + 1) % 100 == 0) printf("step %d u[%d]=%.12f\n", step + 1, N / 2, u[N / 2]);
    }

    for (int step = 0; step < STEPS; step++) {
        for (int i = 1; i < N - 1; i++) sv[i] = upd(su, i);
        double *t = su; su = sv; sv = t;
    }
    double sum = 0.0;
    for (int i = 0; i < N; i++) sum += u[i];
    printf("regions=%d sum=%.10f\n", regions, sum);
    int bad = memcmp(u, su, N * sizeof *u) != 0 || memcmp(v, sv, N * sizeof *v) != 0;
    free(u); free(v); free(su); free(sv);
    if (bad) { printf("FAIL 03: parallel result differs from sequential\n"); return 1; }
    printf("03 ok\n");
    return 0;
}
