// Built with clang -fopenmp (LLVM's OpenMP runtime, the __kmpc_* ABI): libcape must refuse it at
// start, by name, instead of letting every rank run the whole program alone.
#include <stdio.h>
#include <omp.h>
int main(void) {
    double s = 0;
    #pragma omp parallel for reduction(+:s)
    for (int i = 0; i < 100; i++) s += i;
    printf("%g %d\n", s, omp_get_max_threads() > 0);
    return 0;
}
