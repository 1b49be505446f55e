// Theme: data-sharing clauses: default(none) with explicit shared/private/firstprivate lists on
// `parallel` and `parallel for`, a private variable used as per-iteration scratch, and a shared scalar
// written only by the master; results used after the regions.
#include <omp.h>
#include <stdio.h>

#define N 5000

static int check(const double *x, const long *y, int n, double scale, long shift) {
    int bad = 0;
    for (int i = 0; i < n; i++) {
        double tmp = i * scale;
        if (x[i] != tmp * tmp) bad++;
        if (y[i] != (long)i * 3 + shift) bad++;
    }
    return bad;
}

int main(void) {
    printf("24 default(none) and clauses\n");
    double x[N];
    long y[N];
    double scale = 0.75;
    long shift = 11;
    double tmp = -1.0;
    int n = N;
    int master_wrote = 0;

    #pragma omp parallel for default(none) shared(x, n, scale) private(tmp) schedule(static, 8)
    for (int i = 0; i < n; i++) {
        tmp = i * scale;
        x[i] = tmp * tmp;
    }

    #pragma omp parallel default(none) shared(y, n, master_wrote) firstprivate(shift) private(tmp)
    {
        tmp = 0.0;
        #pragma omp for schedule(static) nowait
        for (int i = 0; i < n; i++) y[i] = (long)i * 3 + shift;
        #pragma omp master
        master_wrote = 1 + (tmp == 0.0);
        shift = -1;                               // private copy only
    }

    int bad = check(x, y, n, scale, 11);
    if (tmp != -1.0 || shift != 11 || master_wrote != 2) bad++;
    double sx = 0.0;
    long long sy = 0;
    for (int i = 0; i < N; i++) { sx += x[i]; sy += y[i]; }
    printf("sx=%.4f sy=%lld master_wrote=%d tmp=%.1f shift=%ld\n", sx, sy, master_wrote, tmp, shift);
    if (bad) { printf("FAIL 24: %d mismatches\n", bad); return 1; }
    printf("24 ok\n");
    return 0;
}
