// Runs regions for about a minute, printing a line when it has started.
#include <omp.h>
#include <stdio.h>
double a[1 << 16];
int main(void) {
    printf("started\n");
    fflush(stdout);
    double t0 = omp_get_wtime();
    long rounds = 0;
    while (omp_get_wtime() - t0 < 60) {
        #pragma omp parallel for
        for (int i = 0; i < (1 << 16); i++) a[i] += i * 0.5;
        rounds++;
    }
    printf("%ld\n", rounds > 0);
    return 0;
}
