/* loadbalance.h -- the triangular workload shared by loadbalance_omp.c and
 * loadbalance_mpi.c, so that both compute exactly the same values.
 *
 * Iteration i (0 <= i < n) runs (i + 1) * LB_K steps of the dependent
 * recurrence x = x * a + b (one multiply and one add per step, or one fused
 * multiply-add), so its cost grows linearly with i and the whole loop costs
 * LB_K * n * (n + 1) / 2 steps.  A block (static) split over p workers is
 * therefore unbalanced: with p = 2 the second half of the iterations holds
 * 3/4 of the work.
 *
 * lb_work is not inlined so that both programs run the same machine code for
 * it: the per-iteration results, and so the checksum, are bit-identical
 * whichever worker computes an iteration.  The checksum is summed
 * sequentially in index order after the loop.
 */
#ifndef LOADBALANCE_H
#define LOADBALANCE_H

/* Steps per unit of i.  About 1.5 ns per step on a current x86 core (the
 * recurrence is latency-bound), so n = 20000 costs ~6 s of CPU, ~3 s on two
 * balanced workers. */
#define LB_K 20L
#define LB_DEFAULT_N 20000L

static __attribute__((noinline)) double lb_work(long i)
{
    double x = 1.0 + (double)(i % 1024) / 1024.0;
    long steps = (i + 1) * LB_K;
    for (long s = 0; s < steps; s++)
        x = x * 0.99999999 + 1e-8;
    return x;
}

static double lb_checksum(const double *r, long n)
{
    double sum = 0.0;
    for (long i = 0; i < n; i++)
        sum += r[i] * (double)(1 + i % 3);
    return sum;
}

#endif
