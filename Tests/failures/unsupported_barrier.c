// Uses an explicit barrier, which libcape does not distribute yet: it must stop by name.
#include <omp.h>
#include <stdio.h>
int a[64];
int main(void) {
    #pragma omp parallel
    {
        a[omp_get_thread_num()] = 1;
        #pragma omp barrier
        a[omp_get_thread_num() + 32] = 2;
    }
    printf("%d\n", a[0] + a[32]);
    return 0;
}
