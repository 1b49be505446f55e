// Uninitialized locals, read inside a region by every thread, must hold the same bytes on every
// rank: a diff carries only the bytes a rank changed, so where a region writes such a word with a
// value that shares bytes with the writer's leftover, every other rank keeps its own bytes there
// (24_clauses_default_none ended with rank 0 wrong in about 1 run of 20 under load). Two places:
// the top of main's frame, where start-up code ran before main, and a callee's frame after a
// region, where the runtime's frames ran. Each thread prints what it sees at both; the trust test
// asks every thread's line of each kind to be the same.
#include <omp.h>
#include <stdio.h>

static double sink[64];

__attribute__((noinline)) static void warm(void) {
    #pragma omp parallel
    sink[omp_get_thread_num() & 63] = omp_get_wtime();
}

__attribute__((noinline)) static void callee(void) {
    volatile long words[512];
    #pragma omp parallel
    {
        unsigned long h = 1469598103934665603ul;
        for (int i = 0; i < 512; i++) h = (h ^ (unsigned long)words[i]) * 1099511628211ul;
        printf("callee %d: %016lx\n", omp_get_thread_num(), h);
    }
}

int main(void) {
    volatile long top[64];
    #pragma omp parallel
    {
        char line[512];
        int n = 0;
        for (int i = 48; i < 64; i++) n += snprintf(line + n, sizeof line - n, " %lx", (unsigned long)top[i]);
        printf("main %d:%s\n", omp_get_thread_num(), line);
    }
    warm();
    callee();
    return 0;
}
