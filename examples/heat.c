// The bundled example: an unchanged OpenMP program (1-D heat equation, 200 steps over 1 M points)
// that libcape runs across MPI ranks. Build: gcc -O2 -fopenmp heat.c -o heat
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 1 << 20, steps = argc > 2 ? atoi(argv[2]) : 200;
    double *u = malloc(n * sizeof *u), *v = malloc(n * sizeof *v);
    for (int i = 0; i < n; i++) u[i] = v[i] = (i > n / 3 && i < 2 * n / 3) ? 100.0 : 0.0;
    double t0 = omp_get_wtime();
    for (int s = 0; s < steps; s++) {
        #pragma omp parallel for schedule(static)
        for (int i = 1; i < n - 1; i++) v[i] = u[i] + 0.25 * (u[i - 1] - 2 * u[i] + u[i + 1]);
        double *t = u; u = v; v = t;
    }
    double sum = 0;
    for (int i = 0; i < n; i++) sum += u[i] * (i % 7 + 1);
    printf("heat: n=%d steps=%d team=%d checksum=%.6e\n", n, steps, omp_get_max_threads(), sum);
    fprintf(stderr, "heat: %.3f s\n", omp_get_wtime() - t0);
    free(u); free(v);
    return 0;
}
