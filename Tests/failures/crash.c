// The program's own failures under libcape: argv[1] = "abort" calls abort(), "assert" fails an
// assert, "segv" writes through a null pointer, after a region has run. Each must end the job
// with the program's own signal (as mpiexec reports it without libcape), without a crash report
// of the Swift runtime. With argv[2], only the ranks on the host of that name fail; the others
// go on to a second region, where they wait for the failed ones.
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
    double s = 0;
    #pragma omp parallel for reduction(+:s)
    for (int i = 0; i < 1000; i++) s += i;
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    const char *how = argc > 1 && (argc < 3 || strcmp(host, argv[2]) == 0) ? argv[1] : "";
    if (strcmp(how, "abort") == 0) abort();
    if (strcmp(how, "assert") == 0) assert(s < 0);
    if (strcmp(how, "segv") == 0) { volatile int *p = 0; *p = 1; }
    #pragma omp parallel for reduction(+:s)
    for (int i = 0; i < 1000; i++) s += i;
    printf("%g\n", s);
    return 0;
}
