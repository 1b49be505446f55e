// Control flow on the clock in sequential code: a loop that runs regions until a deadline, a
// "progress" check every 50 ms, and a random sequence seeded from time(). Every rank must take
// the same path and hold the same values (CAPE_VERIFY), so under libcape the clock of sequential
// code is one for the job. Each round recomputes the same values, so the output does not depend
// on how many rounds fit before the deadline.
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double field[100000];
static int progress_marks;
static int seeded[16];

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(void) {
    srand((unsigned)time(NULL));
    for (int k = 0; k < 16; k++) seeded[k] = rand();
    double begin = now(), deadline = begin + 0.25, next_mark = begin + 0.05;
    long rounds = 0;
    while (now() < deadline) {
        #pragma omp parallel for
        for (int i = 0; i < 100000; i++) field[i] = (i % 97) * 0.25 + 1.0;
        rounds++;
        if (now() >= next_mark) { progress_marks++; next_mark += 0.05; }
    }
    double sum = 0;
    #pragma omp parallel for reduction(+:sum)
    for (int i = 0; i < 100000; i++) sum += field[i];
    int in_range = 1;
    for (int k = 0; k < 16; k++) in_range &= seeded[k] >= 0 && seeded[k] <= RAND_MAX;
    printf("sum %.3f\n", sum);
    printf("ran rounds: %d, progress marks at most 6: %d\n", rounds > 0, progress_marks <= 6);
    printf("seeded values in range: %d\n", in_range);
    return 0;
}
