/* A detached task whose event nobody fulfills: libgomp waits at the barrier forever; libcape must
   stop by name instead of hanging. */
#include <omp.h>
#include <stdio.h>

int main(void) {
    int x = 0;
    #pragma omp parallel
    #pragma omp single
    {
        omp_event_handle_t ev;
        #pragma omp task detach(ev) shared(x)
        x = 1;
    }
    printf("%d\n", x);
    return 0;
}
