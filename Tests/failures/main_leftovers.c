// main's uninitialized locals, read inside a region by every thread: the words at the top of main's
// frame are where start-up code ran before main, and they must hold the same bytes on every rank.
// A diff carries only the bytes a rank changed, so where a region writes such a word with a value
// that shares bytes with the writer's leftover, every other rank keeps its own bytes there
// (24_clauses_default_none ended with rank 0 wrong in about 1 run of 20 under load). Each thread
// prints the 16 words it sees; the trust test asks every line to be the same.
#include <omp.h>
#include <stdio.h>

int main(void) {
    volatile long top[64];
    #pragma omp parallel
    {
        char line[512];
        int n = 0;
        for (int i = 48; i < 64; i++) n += snprintf(line + n, sizeof line - n, " %lx", (unsigned long)top[i]);
        printf("thread %d:%s\n", omp_get_thread_num(), line);
    }
    return 0;
}
