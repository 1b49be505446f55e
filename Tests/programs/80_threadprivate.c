// Theme: threadprivate data: per-thread counters that persist across regions (same team size), the
// master's copy seen by sequential code, copyin of a scalar and of an array, a threadprivate array
// written per thread and checked in a later region, and a static local made threadprivate.
#include <omp.h>
#include <stdio.h>

#define MAXT 64

int counter = 5;
double arr[4] = {1, 2, 3, 4};
#pragma omp threadprivate(counter, arr)

static long bump(void) {
    static long calls = 0;
    #pragma omp threadprivate(calls)
    return ++calls;
}

int main(void) {
    printf("80 threadprivate\n");
    int bad = 0;
    int ok[MAXT], team = 1;

    for (int r = 0; r < 3; r++) {
        #pragma omp parallel
        {
            counter += 1;
            arr[1] += omp_get_thread_num();
            bump();
        }
    }
    #pragma omp parallel
    {
        int t = omp_get_thread_num();
        #pragma omp single
        team = omp_get_num_threads();
        ok[t] = counter == 8 && arr[1] == 2 + 3.0 * t && bump() == 4;
    }
    int all = 1;
    for (int t = 0; t < team; t++) all &= ok[t];
    printf("persisted in every thread: %d, master counter=%d arr[1]=%g\n", all, counter, arr[1]);
    if (!all || counter != 8) bad++;

    counter = 100;
    arr[0] = 42;
    arr[3] = -1;
    #pragma omp parallel copyin(counter, arr)
    {
        int t = omp_get_thread_num();
        ok[t] = counter == 100 && arr[0] == 42 && arr[3] == -1;
        counter += t;
    }
    all = 1;
    for (int t = 0; t < team; t++) all &= ok[t];
    printf("copyin reached every thread: %d, master counter=%d\n", all, counter);
    if (!all || counter != 100) bad++;

    #pragma omp parallel
    {
        int t = omp_get_thread_num();
        ok[t] = counter == 100 + t;
    }
    all = 1;
    for (int t = 0; t < team; t++) all &= ok[t];
    printf("copies kept after copyin: %d\n", all);
    if (!all) bad++;

    if (bad) { printf("FAIL 80\n"); return 1; }
    printf("80 ok\n");
    return 0;
}
