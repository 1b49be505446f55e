/* loadbalance_omp.c -- an OpenMP loop whose iteration i costs O(i).
 *
 * One `parallel for schedule(runtime)` over i = 0 .. n-1; iteration i writes
 * r[i] = lb_work(i) (see loadbalance.h).  The schedule is chosen on the
 * command line and set with omp_set_schedule, so one binary shows how static,
 * dynamic and guided distribute a triangular workload, under libgomp or under
 * libcape (LD_PRELOAD) spread over MPI ranks.
 *
 * Usage: loadbalance_omp [n] [static|dynamic|guided] [chunk]
 *        n        iterations (default 20000)
 *        schedule default dynamic
 *        chunk    default 0 for static (one contiguous block per thread),
 *                 16 for dynamic, 1 for guided (the smallest chunk)
 * Output: time_s=<s>           (the parallel region only, incl. its end)
 *         checksum=<%.15e>     (identical for every schedule and runtime)
 */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loadbalance.h"

static void usage(const char *prog)
{
    fprintf(stderr, "usage: %s [n] [static|dynamic|guided] [chunk]\n", prog);
    exit(2);
}

int main(int argc, char **argv)
{
    if (argc > 4)
        usage(argv[0]);
    char *end;
    long n = LB_DEFAULT_N;
    if (argc > 1) {
        n = strtol(argv[1], &end, 10);
        if (*end != '\0' || n <= 0)
            usage(argv[0]);
    }
    const char *name = argc > 2 ? argv[2] : "dynamic";
    omp_sched_t kind;
    long chunk;
    if (strcmp(name, "static") == 0) {
        kind = omp_sched_static;
        chunk = 0;
    } else if (strcmp(name, "dynamic") == 0) {
        kind = omp_sched_dynamic;
        chunk = 16;
    } else if (strcmp(name, "guided") == 0) {
        kind = omp_sched_guided;
        chunk = 1;
    } else {
        usage(argv[0]);
    }
    if (argc > 3) {
        chunk = strtol(argv[3], &end, 10);
        if (*end != '\0' || chunk < 0 || chunk > 0x7fffffffL
            || (kind != omp_sched_static && chunk == 0))
            usage(argv[0]);
    }
    omp_set_schedule(kind, (int)chunk);

    double *r = malloc((size_t)n * sizeof *r);
    if (!r) {
        fprintf(stderr, "loadbalance_omp: out of memory for n=%ld\n", n);
        return 1;
    }
    for (long i = 0; i < n; i++)
        r[i] = 0.0;

    double t0 = omp_get_wtime();
#pragma omp parallel for schedule(runtime)
    for (long i = 0; i < n; i++)
        r[i] = lb_work(i);
    double t1 = omp_get_wtime();

    printf("time_s=%.4f\n", t1 - t0);
    printf("checksum=%.15e\n", lb_checksum(r, n));

    free(r);
    return 0;
}
