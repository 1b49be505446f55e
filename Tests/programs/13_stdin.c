// Theme: input read from stdin (companion 13_stdin.stdin): a title word, then data sets of numbers
// read with scanf, processed in parallel, results printed. Stdin is the same on every rank.
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

int main(void) {
    char title[64];
    int sets;
    if (scanf("%63s %d", title, &sets) != 2) { printf("FAIL 13: bad header\n"); return 1; }
    printf("13 stdin: title=%s sets=%d\n", title, sets);
    int bad = 0;
    for (int s = 0; s < sets; s++) {
        int n;
        double scale;
        if (scanf("%d %lf", &n, &scale) != 2 || n < 0 || n > 1000000) {
            printf("FAIL 13: bad set header %d\n", s);
            return 1;
        }
        long *v = malloc((n + 1) * sizeof *v);
        double *out = malloc((n + 1) * sizeof *out);
        long *cube = malloc((n + 1) * sizeof *cube);
        if (!v || !out || !cube) { printf("FAIL 13: malloc\n"); return 1; }
        for (int i = 0; i < n; i++)
            if (scanf("%ld", &v[i]) != 1) { printf("FAIL 13: bad value %d in set %d\n", i, s); return 1; }

        #pragma omp parallel for schedule(static, 2)
        for (int i = 0; i < n; i++) {
            out[i] = sqrt(fabs((double)v[i])) * scale;
            cube[i] = v[i] * v[i] * v[i];
        }

        double so = 0.0;
        long sc = 0, mx = n ? v[0] : 0;
        for (int i = 0; i < n; i++) {
            if (out[i] != sqrt(fabs((double)v[i])) * scale || cube[i] != v[i] * v[i] * v[i]) bad++;
            so += out[i];
            sc += cube[i];
            if (v[i] > mx) mx = v[i];
        }
        printf("set %d: n=%d max=%ld sum_sqrt_scaled=%.6f sum_cubes=%ld\n", s, n, mx, so, sc);
        free(v); free(out); free(cube);
    }
    int trailer = 0;
    if (scanf("%d", &trailer) != 1) { printf("FAIL 13: missing trailer\n"); return 1; }
    printf("trailer=%d\n", trailer);
    if (bad) { printf("FAIL 13: %d mismatches\n", bad); return 1; }
    printf("13 ok\n");
    return 0;
}
