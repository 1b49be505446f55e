/* compute.c -- one parallel region of pure arithmetic, with no synchronization.
 *
 * Every thread runs N steps of a dependent integer recurrence on a local
 * (registers only: no shared memory is touched, no page is written) and
 * stores its result in its own slot of a shared array once, at the end.
 * While the region runs, nothing in it asks anything of the runtime, so under
 * libcape the ranks' proxies have nothing to do: bench/run.sh samples their
 * CPU time during this region to see what they cost when idle.
 *
 * The work is a fixed iteration count, not a duration: a count taken from the
 * clock would differ between ranks, and the ranks' memory must stay identical.
 * run.sh calibrates N under libgomp.
 *
 * "computing" is printed (and flushed) right before the region, so a script
 * can tell when the region has started.
 *
 * Usage: compute [N]        (default N = 2000000000, steps per thread)
 * Output: computing
 *         threads=<team size>
 *         steps=<N>
 *         time_s=<%.6f>      (the region, measured with omp_get_wtime())
 *         checksum=<n>       (depends on N and the team size only)
 */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#define MAXT 256    /* team size limit of the result slots */
#define PAD 8       /* one slot per 64-byte line, so the final stores share no line */

static unsigned long long slot[MAXT * PAD];

/* noinline, so that every runtime runs the same machine code; the
 * recurrence has no closed form, so the compiler cannot shorten the loop. */
__attribute__((noinline)) static unsigned long long work(unsigned long long x, long n)
{
    for (long i = 0; i < n; i++) {
        x ^= x >> 29;
        x = x * 0xbf58476d1ce4e5b9ULL + (unsigned long long)i;
    }
    return x;
}

int main(int argc, char **argv)
{
    long n = 2000000000L;
    if (argc > 2) {
        fprintf(stderr, "usage: %s [N]\n", argv[0]);
        return 2;
    }
    if (argc == 2) {
        char *end;
        n = strtol(argv[1], &end, 10);
        if (*end != '\0' || n <= 0) {
            fprintf(stderr, "usage: %s [N]\n", argv[0]);
            return 2;
        }
    }
    if (omp_get_max_threads() > MAXT) {
        fprintf(stderr, "compute: more than %d threads\n", MAXT);
        return 2;
    }
    int team = 0;

    printf("computing\n");
    fflush(stdout);
    double t0 = omp_get_wtime();
#pragma omp parallel
    {
        int t = omp_get_thread_num();
        unsigned long long r = work((unsigned long long)t + 1, n);
        slot[t * PAD] = r;
        if (t == 0)
            team = omp_get_num_threads();
    }
    double t1 = omp_get_wtime();

    if (team <= 0 || team > MAXT) {
        fprintf(stderr, "compute: bad team size %d\n", team);
        return 1;
    }
    unsigned long long sum = 0;
    for (int t = 0; t < team; t++)
        sum = sum * 31 + slot[t * PAD];
    printf("threads=%d\n", team);
    printf("steps=%ld\n", n);
    printf("time_s=%.6f\n", t1 - t0);
    printf("checksum=%llu\n", sum);
    return 0;
}
