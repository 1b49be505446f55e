/* An active nested region while OMP_THREAD_LIMIT is set: the limit would have to count every
   rank's inner threads, which libcape does not do; it must stop by name, not give another team size. */
#include <omp.h>
#include <stdio.h>

int main(void) {
    omp_set_max_active_levels(2);
    int inner = 0;
    #pragma omp parallel num_threads(2)
    {
        #pragma omp parallel num_threads(3)
        {
            #pragma omp master
            inner = omp_get_num_threads();
        }
    }
    printf("%d\n", inner);
    return 0;
}
