// Theme: recursive tasks. Fibonacci with a task per call and taskwait (with a sequential cutoff and
// the results returned through shared locals), a divide-and-conquer array sum writing partial sums
// into a per-node table, a task-parallel merge sort, and taskgroup: it waits for all descendant
// tasks (grandchildren included), unlike taskwait, and can be nested and used in a loop.
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define NS 20000
#define NODES 4096

static int arr[NS], tmp[NS];
static long node_sum[NODES];
static long vals[NS];
static long deep[64];

static long fib_seq(int n) { return n < 2 ? n : fib_seq(n - 1) + fib_seq(n - 2); }

static long fib(int n) {
    if (n < 12) return fib_seq(n);
    long x, y;
    #pragma omp task shared(x) firstprivate(n)
    x = fib(n - 1);
    #pragma omp task shared(y) firstprivate(n)
    y = fib(n - 2);
    #pragma omp taskwait
    return x + y;
}

// Sum of vals[lo, hi) into node_sum[node] (heap numbering).
static long tree_sum(int node, int lo, int hi) {
    long s;
    if (hi - lo <= 256 || 2 * node + 1 >= NODES) {
        s = 0;
        for (int i = lo; i < hi; i++) s += vals[i];
    } else {
        int mid = lo + (hi - lo) / 2;
        long a, b;
        #pragma omp task shared(a)
        a = tree_sum(2 * node, lo, mid);
        #pragma omp task shared(b)
        b = tree_sum(2 * node + 1, mid, hi);
        #pragma omp taskwait
        s = a + b;
    }
    node_sum[node] = s;
    return s;
}

static void merge(int lo, int mid, int hi) {
    int i = lo, j = mid, k = lo;
    while (i < mid && j < hi) tmp[k++] = arr[i] <= arr[j] ? arr[i++] : arr[j++];
    while (i < mid) tmp[k++] = arr[i++];
    while (j < hi) tmp[k++] = arr[j++];
    memcpy(arr + lo, tmp + lo, (size_t)(hi - lo) * sizeof(int));
}

static void msort(int lo, int hi) {
    if (hi - lo < 2) return;
    int mid = lo + (hi - lo) / 2;
    if (hi - lo > 500) {
        #pragma omp task
        msort(lo, mid);
        #pragma omp task
        msort(mid, hi);
        #pragma omp taskwait
    } else {
        msort(lo, mid);
        msort(mid, hi);
    }
    merge(lo, mid, hi);
}

// A chain of tasks each spawning the next; no taskwait inside: only taskgroup waits for all.
static void spawn_chain(int d) {
    if (d >= 64) return;
    #pragma omp task firstprivate(d)
    {
        deep[d] = (long)d * d + 1;
        spawn_chain(d + 1);
    }
}

int main(void) {
    printf("43 recursive tasks\n");
    int bad = 0;

    long f = 0;
    #pragma omp parallel
    {
        #pragma omp single
        f = fib(25);
    }
    printf("fib(25)=%ld\n", f);
    if (f != fib_seq(25)) bad++;

    for (int i = 0; i < NS; i++) vals[i] = (i * 7919L) % 10007 - 5000;
    long total = 0;
    #pragma omp parallel
    {
        #pragma omp single nowait
        total = tree_sum(1, 0, NS);
    }
    long expect = 0;
    for (int i = 0; i < NS; i++) expect += vals[i];
    uint64_t h = 1469598103934665603ULL;
    for (int k = 0; k < NODES; k++) h = (h ^ (uint64_t)node_sum[k]) * 1099511628211ULL;
    printf("tree sum=%ld node[2]=%ld node[3]=%ld nodes hash=%016llx\n", total, node_sum[2], node_sum[3],
           (unsigned long long)h);
    if (total != expect || node_sum[2] + node_sum[3] != total) bad++;

    uint32_t x = 12345;
    for (int i = 0; i < NS; i++) { x = x * 1103515245u + 12345u; arr[i] = (int)(x >> 8) % 100000 - 50000; }
    #pragma omp parallel
    {
        #pragma omp single
        msort(0, NS);
    }
    int sorted = 1;
    long long ws = 0;
    for (int i = 0; i < NS; i++) {
        if (i > 0 && arr[i - 1] > arr[i]) sorted = 0;
        ws += (long long)arr[i] * (i % 100);
    }
    printf("merge sort: sorted=%d min=%d max=%d weighted=%lld\n", sorted, arr[0], arr[NS - 1], ws);
    if (!sorted) bad++;

    // taskgroup waits for the whole chain of descendants.
    int chain_ok = 0;
    #pragma omp parallel
    {
        #pragma omp single
        {
            #pragma omp taskgroup
            {
                spawn_chain(0);
            }
            int ok = 1;
            for (int d = 0; d < 64; d++) if (deep[d] != (long)d * d + 1) ok = 0;
            chain_ok = ok;
            // Nested taskgroups in a loop, each round reading the previous round's results.
            for (int r = 1; r <= 5; r++) {
                #pragma omp taskgroup
                {
                    for (int d = 0; d < 64; d++) {
                        #pragma omp task firstprivate(d, r)
                        {
                            #pragma omp taskgroup
                            {
                                #pragma omp task firstprivate(d, r)
                                deep[d] += r;
                            }
                            deep[d] *= 2;
                        }
                    }
                }
            }
        }
    }
    long ds = 0;
    int dw = 0;
    for (int d = 0; d < 64; d++) {
        long e = (long)d * d + 1;
        for (int r = 1; r <= 5; r++) e = (e + r) * 2;
        if (deep[d] != e) dw++;
        ds += deep[d];
    }
    printf("taskgroup: chain_ok=%d rounds sum=%ld%s\n", chain_ok, ds, dw ? " WRONG" : "");
    if (!chain_ok || dw) bad++;

    if (bad) { printf("FAIL 43: %d mismatches\n", bad); return 1; }
    printf("43 ok\n");
    return 0;
}
