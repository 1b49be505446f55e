// OMP_THREAD_LIMIT (3, from 92_thread_limit.env) bounds every team: a region asking for more
// threads with num_threads, one asking through omp_set_num_threads, and one asking for fewer.
#include <omp.h>
#include <stdio.h>

int main(void) {
    int a = 0, b = 0, c = 0;
    #pragma omp parallel num_threads(8)
    {
        #pragma omp single
        a = omp_get_num_threads();
    }
    omp_set_num_threads(6);
    #pragma omp parallel
    {
        #pragma omp single
        b = omp_get_num_threads();
    }
    #pragma omp parallel num_threads(2)
    {
        #pragma omp single
        c = omp_get_num_threads();
    }
    printf("thread limit %d: num_threads(8) -> %d, omp_set_num_threads(6) -> %d, num_threads(2) -> %d\n",
           omp_get_thread_limit(), a, b, c);
    return 0;
}
