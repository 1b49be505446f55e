// Timers read around regions, as benchmark suites keep them: start and elapsed times stored in
// globals and on the heap by sequential code, from every clock interface a C program uses
// (gettimeofday, clock_gettime, time, timespec_get, clock, omp_get_wtime), and clock readings
// taken inside regions by each thread into its own slot. Under libcape sequential code reads one
// clock for the job, so the ranks' memory stays identical (CAPE_VERIFY) and the timers add up;
// only properties of the readings are printed, never the readings.
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

#define NTIMERS 6
static double start[NTIMERS], elapsed[NTIMERS];
static double grid[200000];
static double inside[64];
static time_t started_at;

static double wall(int which) {
    struct timeval tv;
    struct timespec ts;
    switch (which) {
    case 0: gettimeofday(&tv, NULL); return tv.tv_sec + tv.tv_usec * 1e-6;
    case 1: clock_gettime(CLOCK_MONOTONIC, &ts); return ts.tv_sec + ts.tv_nsec * 1e-9;
    case 2: clock_gettime(CLOCK_REALTIME, &ts); return ts.tv_sec + ts.tv_nsec * 1e-9;
    case 3: timespec_get(&ts, TIME_UTC); return ts.tv_sec + ts.tv_nsec * 1e-9;
    case 4: return (double)clock() / CLOCKS_PER_SEC;
    default: return omp_get_wtime();
    }
}

static void timer_start(int n) { start[n] = wall(n); }
static void timer_stop(int n) { elapsed[n] += wall(n) - start[n]; }

int main(void) {
    started_at = time(NULL);
    double *laps = malloc(sizeof(double) * 40);
    for (int round = 0; round < 20; round++) {
        for (int n = 0; n < NTIMERS; n++) timer_start(n);
        #pragma omp parallel
        {
            #pragma omp for
            for (int i = 0; i < 200000; i++) grid[i] = grid[i] * 0.5 + i * (round + 1);
            inside[omp_get_thread_num() % 64] = omp_get_wtime();
        }
        for (int n = 0; n < NTIMERS; n++) timer_stop(n);
        laps[2 * round] = elapsed[1];
        laps[2 * round + 1] = wall(5);
    }
    int monotone = 1;
    for (int k = 2; k < 40; k += 2) monotone &= laps[k] >= laps[k - 2];
    for (int k = 3; k < 40; k += 2) monotone &= laps[k] >= laps[k - 2];
    double sum = 0;
    for (int i = 0; i < 200000; i++) sum += grid[i];
    int readings = 0;
    for (int t = 0; t < 64; t++) readings += inside[t] > 0;
    printf("sum %.6e\n", sum);
    printf("timers non-negative: %d %d %d %d %d %d\n", elapsed[0] >= 0, elapsed[1] >= 0, elapsed[2] >= 0,
           elapsed[3] >= 0, elapsed[4] >= 0, elapsed[5] >= 0);
    printf("laps monotone: %d\n", monotone);
    printf("threads read their clocks: %d\n", readings >= (omp_get_max_threads() < 64 ? 1 : 64));
    printf("time() after start: %d\n", time(NULL) >= started_at);
    free(laps);
    return 0;
}
