// Exactly one rank creates the directory named by argv[1] and runs an extra region: the ranks
// diverge, and the guard must stop them before anything is merged.
#include <omp.h>
#include <stdio.h>
#include <sys/stat.h>
int a[1000];
int main(int argc, char **argv) {
    (void)argc;
    if (mkdir(argv[1], 0700) == 0) {
        #pragma omp parallel for
        for (int i = 0; i < 1000; i++) a[i] = i;
    }
    #pragma omp parallel for
    for (int i = 0; i < 1000; i++) a[i] += 1;
    printf("%d\n", a[999]);
    return 0;
}
