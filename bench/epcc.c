/* epcc.c -- construct overheads in the manner of the EPCC OpenMP
 * microbenchmarks (syncbench): the time of a loop of innerreps constructs,
 * each wrapping the same small delay, minus the time of the delay loop alone,
 * divided by innerreps.
 *
 *   parallel   #pragma omp parallel { delay }
 *   for        inside one region: #pragma omp for over team-size iterations, each a delay
 *   barrier    inside one region: delay; #pragma omp barrier
 *   reduction  #pragma omp parallel reduction(+:x) { delay; x += 1 }
 *
 * Each test runs `outer` times; the mean and the minimum overhead are
 * reported. The delay is a dependent floating-point recurrence on a local
 * variable (nothing shared is written), 128 steps (about 0.1-0.2 us).
 *
 * Usage: epcc [innerreps] [outer]   (defaults 1000 and 5)
 * Output: <test>_us=<mean overhead>  <test>_min_us=<min>  checksum=<...>
 */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

/* A fixed delay (about 0.1-0.2 us here): a calibration by timing would give
   each rank its own length. */
static const int delaylength = 128;

static __attribute__((noinline)) void delay(int n)
{
    double a = 0.0;
    for (int i = 0; i < n; i++) a += (double)i;
    if (a < 0) printf("%f\n", a);
}

static double reference(long inner)
{
    double t0 = omp_get_wtime();
    for (long j = 0; j < inner; j++) delay(delaylength);
    return omp_get_wtime() - t0;
}

static double test_parallel(long inner)
{
    double t0 = omp_get_wtime();
    for (long j = 0; j < inner; j++) {
#pragma omp parallel
        delay(delaylength);
    }
    return omp_get_wtime() - t0;
}

static double test_for(long inner)
{
    double t0 = omp_get_wtime();
#pragma omp parallel
    {
        int nt = omp_get_num_threads();
        for (long j = 0; j < inner; j++) {
#pragma omp for
            for (int i = 0; i < nt; i++) delay(delaylength);
        }
    }
    return omp_get_wtime() - t0;
}

static double test_barrier(long inner)
{
    double t0 = omp_get_wtime();
#pragma omp parallel
    for (long j = 0; j < inner; j++) {
        delay(delaylength);
#pragma omp barrier
    }
    return omp_get_wtime() - t0;
}

static long reduced;

static double test_reduction(long inner)
{
    double t0 = omp_get_wtime();
    for (long j = 0; j < inner; j++) {
        long x = 0;
#pragma omp parallel reduction(+ : x)
        {
            delay(delaylength);
            x += 1;
        }
        reduced += x;
    }
    return omp_get_wtime() - t0;
}

int main(int argc, char **argv)
{
    long inner = argc > 1 ? atol(argv[1]) : 1000;
    int outer = argc > 2 ? atoi(argv[2]) : 5;
    if (inner <= 0 || outer <= 0) {
        fprintf(stderr, "usage: %s [innerreps] [outer]\n", argv[0]);
        return 2;
    }
    const char *names[4] = {"parallel", "for", "barrier", "reduction"};
    double (*tests[4])(long) = {test_parallel, test_for, test_barrier, test_reduction};
    int threads = 0;
#pragma omp parallel
#pragma omp master
    threads = omp_get_num_threads();
    for (int t = 0; t < 4; t++) {
        tests[t](inner / 10 + 1); /* warm-up */
        double sum = 0, best = 1e30;
        for (int k = 0; k < outer; k++) {
            double ref = reference(inner);
            double o = (tests[t](inner) - ref) / (double)inner * 1e6;
            sum += o;
            if (o < best) best = o;
        }
        printf("%s_us=%.3f\n%s_min_us=%.3f\n", names[t], sum / outer, names[t], best);
    }
    printf("threads=%d\n", threads);
    printf("checksum=%ld\n", reduced); /* threads x (every reduction region run) */
    return 0;
}
