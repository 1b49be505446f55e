/* barrier.c -- cost of synchronization inside one parallel region.
 *
 * 1. R iterations of { #pragma omp for nowait over a small shared array
 *    (S doubles, each thread writes its static slice with values that change
 *    every iteration); #pragma omp barrier }, timed from a barrier to the
 *    last barrier: us_per_barrier.  Under libgomp this is a thread barrier;
 *    under libcape every barrier also makes the ranks' memory agree, so it
 *    includes encoding and exchanging the slices written since the last one.
 * 2. The same with nothing written between the barriers: us_per_empty_barrier.
 * 3. One `#pragma omp for schedule(dynamic, 1) nowait` of M iterations with an
 *    (almost) empty body, so the time is that of claiming the chunks:
 *    ns_per_chunk = wall time * team size / M, the time a thread spends per
 *    chunk it claims while the whole team claims at once (a contended claim).
 *    chunks_per_thread shows how the chunks were spread over the team.
 *
 * All three run in one region; each part starts with untimed warm-up
 * iterations (W = R / 20, at least 10, barriers; M / 10, at least 1000,
 * chunks for part 3) and its timing starts right after a barrier.
 *
 * Usage: barrier [R] [M]        (default R = 5000, M = 1000000)
 * Output: barriers=<R>
 *         us_per_barrier=<%.3f>
 *         us_per_empty_barrier=<%.3f>
 *         chunks=<M>
 *         ns_per_chunk=<%.1f>
 *         chunks_per_thread=<c0>,<c1>,...
 *         checksum=<%.6e>      (independent of the runtime and team size)
 * Exits 1 if an iteration of part 3 ran other than exactly once.
 */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#define S 1024      /* doubles in the shared array: 8 KiB */
#define MAXT 256    /* team size limit of the per-thread records */
#define PAD 8       /* one record per 64-byte line */

static double a[S];
static double t_barrier[MAXT * PAD], t_empty[MAXT * PAD], t_chunks[MAXT * PAD];
static long sums[MAXT * PAD], counts[MAXT * PAD], warms[MAXT * PAD];
static int team = 0;

static long parse(const char *s, const char *prog)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*end != '\0' || v <= 0) {
        fprintf(stderr, "usage: %s [R] [M]\n", prog);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    if (argc > 3) {
        fprintf(stderr, "usage: %s [R] [M]\n", argv[0]);
        return 2;
    }
    long R = argc > 1 ? parse(argv[1], argv[0]) : 5000;
    long M = argc > 2 ? parse(argv[2], argv[0]) : 1000000;
    long W = R / 20 > 10 ? R / 20 : 10;
    long MW = M / 10 > 1000 ? M / 10 : 1000;

    if (omp_get_max_threads() > MAXT) {
        fprintf(stderr, "barrier: more than %d threads\n", MAXT);
        return 2;
    }

#pragma omp parallel
    {
        int t = omp_get_thread_num();
        if (t == 0)
            team = omp_get_num_threads();

        /* Part 1: a worksharing loop without its barrier, then a barrier. */
        for (long r = 0; r < W; r++) {
#pragma omp for schedule(static) nowait
            for (int i = 0; i < S; i++)
                a[i] = (double)(r * S + i);
#pragma omp barrier
        }
        double t0 = omp_get_wtime();
        for (long r = 0; r < R; r++) {
#pragma omp for schedule(static) nowait
            for (int i = 0; i < S; i++)
                a[i] = (double)((W + r) * S + i);
#pragma omp barrier
        }
        t_barrier[t * PAD] = omp_get_wtime() - t0;

        /* Part 2: barriers alone. */
        for (long r = 0; r < W; r++) {
#pragma omp barrier
        }
        t0 = omp_get_wtime();
        for (long r = 0; r < R; r++) {
#pragma omp barrier
        }
        t_empty[t * PAD] = omp_get_wtime() - t0;

        /* Part 3: dynamic chunk claims. */
        long warm = 0;
#pragma omp for schedule(dynamic, 1)
        for (long i = 0; i < MW; i++)
            warm += i;
        warms[t * PAD] = warm;
        long sum = 0, count = 0;
        t0 = omp_get_wtime();
#pragma omp for schedule(dynamic, 1) nowait
        for (long i = 0; i < M; i++) {
            sum += i;
            count++;
        }
        t_chunks[t * PAD] = omp_get_wtime() - t0;
        sums[t * PAD] = sum;
        counts[t * PAD] = count;
    }

    double tb = 0.0, te = 0.0, tc = 0.0;
    long total = 0, claimed = 0, warm = 0;
    for (int t = 0; t < team; t++) {
        if (t_barrier[t * PAD] > tb)
            tb = t_barrier[t * PAD];
        if (t_empty[t * PAD] > te)
            te = t_empty[t * PAD];
        if (t_chunks[t * PAD] > tc)
            tc = t_chunks[t * PAD];
        total += sums[t * PAD];
        claimed += counts[t * PAD];
        warm += warms[t * PAD];
    }
    if (claimed != M || total != M * (M - 1) / 2 || warm != MW * (MW - 1) / 2) {
        fprintf(stderr, "barrier: dynamic loops did not run every iteration once: "
                "%ld of %ld iterations, sum %ld (expected %ld), warm-up sum %ld (expected %ld)\n",
                claimed, M, total, M * (M - 1) / 2, warm, MW * (MW - 1) / 2);
        return 1;
    }
    double check = (double)total;
    for (int i = 0; i < S; i++)
        check += a[i] * (double)(1 + i % 3);

    printf("barriers=%ld\n", R);
    printf("us_per_barrier=%.3f\n", tb * 1e6 / (double)R);
    printf("us_per_empty_barrier=%.3f\n", te * 1e6 / (double)R);
    printf("chunks=%ld\n", M);
    printf("ns_per_chunk=%.1f\n", tc * 1e9 * (double)team / (double)M);
    printf("chunks_per_thread=");
    for (int t = 0; t < team; t++)
        printf("%s%ld", t ? "," : "", counts[t * PAD]);
    printf("\n");
    printf("checksum=%.6e\n", check);
    return 0;
}
