// Every thread writes its own number to one shared int: a data race across ranks.
#include <omp.h>
#include <stdio.h>
int shared_value;
int main(void) {
    #pragma omp parallel
    shared_value = omp_get_thread_num() + 1;
    printf("%d\n", shared_value > 0);
    return 0;
}
