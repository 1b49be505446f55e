/* sync.c -- cost of mutual exclusion inside one parallel region.
 *
 * Every thread of the team, in one region, repeats K times:
 *   1. a `critical` section that increments a shared counter,
 *   2. an omp_set_lock / omp_unset_lock pair around the same kind of update,
 *   3. an `atomic` increment (an inline lock-prefixed instruction),
 *   4. a `flush` with nothing to publish (no write since the last one),
 *   5. an `atomic capture` whose value is used (v = x++; a serialized form),
 *   6. an `atomic` add to a float (gcc's compare-exchange loop),
 *   7. an `atomic compare` max of an int (a compare-exchange loop of cmp and
 *      cmov),
 * each part timed between barriers. Parts 3, 6 and 7 are updates whose result
 * is not read, which libcape performs on the rank's memory and merges at the
 * next barrier: they run 100 * K times, so that the barrier that ends them is
 * a small part of their time. The figures are wall time per operation per
 * thread (us_per_critical, us_per_lock, us_per_atomic, us_per_flush,
 * us_per_capture, us_per_float_atomic, us_per_max): the time one acquisition
 * costs a thread while the whole team contends for it. Under libcape an
 * acquisition is team-wide: the lock is taken in memory the ranks share, and
 * the protected writes travel to the next holder.
 *
 * Usage: sync [K]        (default K = 2000)
 * Output: ops=<K>
 *         us_per_critical=<%.3f>
 *         us_per_lock=<%.3f>
 *         us_per_atomic=<%.3f>
 *         us_per_flush=<%.3f>
 *         us_per_capture=<%.3f>
 *         us_per_float_atomic=<%.3f>
 *         us_per_max=<%.3f>
 *         checksum=<n>    (6 * K * team + 1000 * team - 1: every update counted
 *                          once, and the largest max; exact while 100 * K * team < 2^24)
 */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

static long c_critical, c_lock, c_atomic, c_capture, c_captured;
static float f_atomic;
static int i_max;
static double t[7];

int main(int argc, char **argv)
{
    long k = 2000;
    if (argc > 2) { fprintf(stderr, "usage: %s [K]\n", argv[0]); return 2; }
    if (argc == 2) {
        char *end;
        k = strtol(argv[1], &end, 10);
        if (*end != '\0' || k <= 0) { fprintf(stderr, "usage: %s [K]\n", argv[0]); return 2; }
    }
    omp_lock_t lock;
    omp_init_lock(&lock);
    int team = 1;
    #pragma omp parallel
    {
        #pragma omp single
        team = omp_get_num_threads();
        double s;

        #pragma omp barrier
        s = omp_get_wtime();
        for (long i = 0; i < k; i++) {
            #pragma omp critical
            c_critical++;
        }
        #pragma omp barrier
        #pragma omp master
        t[0] = omp_get_wtime() - s;

        #pragma omp barrier
        s = omp_get_wtime();
        for (long i = 0; i < k; i++) {
            omp_set_lock(&lock);
            c_lock++;
            omp_unset_lock(&lock);
        }
        #pragma omp barrier
        #pragma omp master
        t[1] = omp_get_wtime() - s;

        #pragma omp barrier
        s = omp_get_wtime();
        for (long i = 0; i < 100 * k; i++) {
            #pragma omp atomic
            c_atomic++;
        }
        #pragma omp barrier
        #pragma omp master
        t[2] = omp_get_wtime() - s;

        #pragma omp barrier
        s = omp_get_wtime();
        for (long i = 0; i < k; i++) {
            #pragma omp flush
        }
        #pragma omp barrier
        #pragma omp master
        t[3] = omp_get_wtime() - s;

        #pragma omp barrier
        s = omp_get_wtime();
        long mine = 0;
        for (long i = 0; i < k; i++) {
            long v;
            #pragma omp atomic capture
            v = c_capture++;
            mine += v >= 0;
        }
        #pragma omp atomic
        c_captured += mine;
        #pragma omp barrier
        #pragma omp master
        t[4] = omp_get_wtime() - s;

        #pragma omp barrier
        s = omp_get_wtime();
        for (long i = 0; i < 100 * k; i++) {
            #pragma omp atomic
            f_atomic += 1.0f;
        }
        #pragma omp barrier
        #pragma omp master
        t[5] = omp_get_wtime() - s;

        #pragma omp barrier
        s = omp_get_wtime();
        int me = omp_get_thread_num();
        for (long i = 0; i < 100 * k; i++) {
            int v = (int)(i % 1000) * team + me;
            #pragma omp atomic compare
            if (i_max < v) { i_max = v; }
        }
        #pragma omp barrier
        #pragma omp master
        t[6] = omp_get_wtime() - s;
    }
    omp_destroy_lock(&lock);
    printf("ops=%ld\n", k);
    printf("us_per_critical=%.3f\n", t[0] / k * 1e6);
    printf("us_per_lock=%.3f\n", t[1] / k * 1e6);
    printf("us_per_atomic=%.3f\n", t[2] / (100 * k) * 1e6);
    printf("us_per_flush=%.3f\n", t[3] / k * 1e6);
    printf("us_per_capture=%.3f\n", t[4] / k * 1e6);
    printf("us_per_float_atomic=%.3f\n", t[5] / (100 * k) * 1e6);
    printf("us_per_max=%.3f\n", t[6] / (100 * k) * 1e6);
    /* f_atomic counts to 100 * k * team exactly while that stays below 2^24 */
    long sum = c_critical + c_lock + c_atomic / 100 + c_capture + c_captured + (long)f_atomic / 100 + i_max;
    printf("checksum=%ld\n", sum);
    return sum == 6 * k * team + 999 * team + team - 1 ? 0 : 1;
}
