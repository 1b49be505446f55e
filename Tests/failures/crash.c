// The program's own failures under libcape: argv[1] = "abort" calls abort(), "assert" fails an
// assert, "segv" writes through a null pointer, after a region has run. Each must end the job
// with the program's own signal (as mpiexec reports it without libcape), without a crash report
// of the Swift runtime.
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(int argc, char **argv) {
    double s = 0;
    #pragma omp parallel for reduction(+:s)
    for (int i = 0; i < 1000; i++) s += i;
    const char *how = argc > 1 ? argv[1] : "";
    if (strcmp(how, "abort") == 0) abort();
    if (strcmp(how, "assert") == 0) assert(s < 0);
    if (strcmp(how, "segv") == 0) { volatile int *p = 0; *p = 1; }
    printf("%g\n", s);
    return 0;
}
