// A word of main's frame holds each rank's own pid (sequential code that differs by rank), and a
// region changes only its low byte, to a value that does not depend on the rank. The region's diff
// carries that byte alone, so the ranks still differ in the word's other bytes: CAPE_VERIFY must
// stop the job after the region, naming the main stack, though no rank wrote a differing byte.
#include <omp.h>
#include <stdio.h>
#include <unistd.h>

int main(void) {
    volatile long word = (long)getpid() << 8;
    #pragma omp parallel
    {
        if (omp_get_thread_num() == omp_get_num_threads() - 1) word = (word & ~0xffL) | 0x5a;
    }
    printf("low byte %lx\n", (unsigned long)(word & 0xff));
    return 0;
}
