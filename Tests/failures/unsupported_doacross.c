// Prints a banner, runs a region, then uses a doacross loop (ordered(1) with depend(sink) /
// depend(source)), which libcape does not distribute yet: it must stop by name instead of running
// wrong, with one `cape:` line for the whole job, after the banner has been printed, and with
// CAPE_PROFILE still written.
#include <stdio.h>
int a[64];
int main(void) {
    printf("banner of the program\n");
    #pragma omp parallel for
    for (int i = 0; i < 64; i++) a[i] = i;
    #pragma omp parallel for ordered(1)
    for (int i = 1; i < 64; i++) {
        #pragma omp ordered depend(sink: i - 1)
        a[i] = a[i - 1] + 1;
        #pragma omp ordered depend(source)
    }
    printf("%d\n", a[63]);
    return 0;
}
