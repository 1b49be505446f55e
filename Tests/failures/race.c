// Every thread writes its own number to one shared int: a data race across ranks. libcape keeps
// the highest thread's value and warns once for the place (or stops, with CAPE_RACES=error).
#include <omp.h>
#include <stdio.h>
int shared_value;
int main(void) {
    // Three times at the same place: one warning for the job.
    for (int step = 0; step < 3; step++) {
        #pragma omp parallel
        shared_value = omp_get_thread_num() + 1;
    }
    printf("%d\n", shared_value);
    return 0;
}
