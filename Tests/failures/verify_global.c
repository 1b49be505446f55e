// Each rank stores its own pid in a global in sequential code, which makes the ranks' memory differ
// in a named variable: CAPE_VERIFY must stop the job after the next region, naming `rank_pid`.
#include <stdio.h>
#include <unistd.h>
int rank_pid;
double a[4096];
int main(void) {
    rank_pid = (int)getpid();
    #pragma omp parallel for
    for (int i = 0; i < 4096; i++) a[i] = i;
    printf("%g %d\n", a[4095], rank_pid != 0);
    return 0;
}
