// Theme: nestable locks and arrays of locks: an omp_nest_lock_t taken recursively (a recursive
// walk re-acquires it at every level and checks the nesting count omp_test_nest_lock returns),
// nest-lock ownership by task (the sequential part holds it; the implicit task of a
// `parallel if(0)` region cannot take it, as libgomp's lock-1.c checks), a nest lock the master
// holds across a barrier that other threads fail to take; a lock per hash bucket, initialized and
// destroyed in worksharing loops, protecting each bucket's count, sum and item list (sorted
// afterwards); and a lock initialized and destroyed inside `single` constructs of one region.
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#define N 4000
#define NBUCKET 61
#define CAP 200
#define DEPTH 4

static int opaque(int x) { __asm__ volatile("" : "+r"(x)); return x; }

static omp_nest_lock_t tree_lock;
static long tree_sum;
static int wrong_levels;

static omp_lock_t blocks[NBUCKET];
static int bcount[NBUCKET];
static long bsum[NBUCKET];
static int bitems[NBUCKET][CAP];
static int overflow;

// Re-acquires tree_lock at every level: the nesting count is depth + 1 after the set, and
// omp_test_nest_lock reports depth + 2.
static void walk(int depth, int i) {
    omp_set_nest_lock(&tree_lock);
    int level = omp_test_nest_lock(&tree_lock);
    if (level != depth + 2) wrong_levels++;
    omp_unset_nest_lock(&tree_lock);
    tree_sum += (long)i * (depth + 1);
    if (depth + 1 < DEPTH) walk(depth + 1, i);
    omp_unset_nest_lock(&tree_lock);
}

static int cmp_int(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

int main(void) {
    printf("64 nest locks and lock arrays\n");
    int bad = 0, n = opaque(N);

    omp_init_nest_lock(&tree_lock);

    // Ownership belongs to tasks: held twice by the sequential part, refused inside if(0).
    int c1 = omp_test_nest_lock(&tree_lock);
    int c2 = omp_test_nest_lock(&tree_lock);
    int in_region = -1;
    #pragma omp parallel if(0)
    in_region = omp_test_nest_lock(&tree_lock);
    int c3 = omp_test_nest_lock(&tree_lock);
    omp_unset_nest_lock(&tree_lock);
    omp_unset_nest_lock(&tree_lock);
    omp_unset_nest_lock(&tree_lock);
    printf("nest counts outside: %d %d, inside if(0) region: %d, again outside: %d\n", c1, c2, in_region, c3);
    if (c1 != 1 || c2 != 2 || in_region != 0 || c3 != 3) bad++;

    // Recursive acquisition from a dynamic loop.
    tree_sum = 0; wrong_levels = 0;
    int nw = n / 5;
    #pragma omp parallel for schedule(dynamic, 8)
    for (int i = 0; i < nw; i++) walk(0, i);
    long etree = (long)(N / 5) * (N / 5 - 1) / 2 * (DEPTH * (DEPTH + 1) / 2);
    printf("recursive walk: sum=%ld wrong nesting counts=%d\n", tree_sum, wrong_levels);
    if (tree_sum != etree || wrong_levels) bad++;

    // The master holds the nest lock (twice) across a barrier; the others cannot take it.
    int refused = 0, team = 0, mcount = 0;
    #pragma omp parallel
    {
        #pragma omp master
        {
            team = omp_get_num_threads();
            omp_set_nest_lock(&tree_lock);
            mcount = omp_test_nest_lock(&tree_lock);
        }
        #pragma omp barrier
        if (omp_get_thread_num() != 0) {
            int got = omp_test_nest_lock(&tree_lock);
            if (got == 0) {
                #pragma omp atomic
                refused++;
            } else {
                omp_unset_nest_lock(&tree_lock);
            }
        }
        #pragma omp barrier
        #pragma omp master
        {
            omp_unset_nest_lock(&tree_lock);
            omp_unset_nest_lock(&tree_lock);
        }
    }
    printf("held by the master at count %d: refused to every other thread: %s\n", mcount,
           refused == team - 1 ? "yes" : "no");
    if (mcount != 2 || refused != team - 1) bad++;
    omp_destroy_nest_lock(&tree_lock);

    // A lock per bucket, initialized and destroyed in worksharing loops.
    #pragma omp parallel
    {
        #pragma omp for schedule(static, 1)
        for (int b = 0; b < NBUCKET; b++) {
            omp_init_lock(&blocks[b]);
            bcount[b] = 0;
            bsum[b] = 0;
        }
        #pragma omp for schedule(dynamic, 16)
        for (int i = 0; i < n; i++) {
            int key = (int)(((unsigned)i * 2654435761u) >> 9) % 100000;
            int b = key % NBUCKET;
            omp_set_lock(&blocks[b]);
            if (bcount[b] < CAP) {
                bitems[b][bcount[b]] = key;
            } else {
                #pragma omp atomic
                overflow++;                      // shared by all buckets (never happens here)
            }
            bcount[b]++;
            bsum[b] += key;
            omp_unset_lock(&blocks[b]);
        }
        #pragma omp for schedule(guided)
        for (int b = 0; b < NBUCKET; b++) omp_destroy_lock(&blocks[b]);
    }
    int ecount[NBUCKET] = {0};
    long esum[NBUCKET] = {0};
    static int eitems[NBUCKET][CAP];
    for (int i = 0; i < N; i++) {
        int key = (int)(((unsigned)i * 2654435761u) >> 9) % 100000;
        int b = key % NBUCKET;
        if (ecount[b] < CAP) eitems[b][ecount[b]] = key;
        ecount[b]++;
        esum[b] += key;
    }
    unsigned long h = 0;
    for (int b = 0; b < NBUCKET; b++) {
        int m = bcount[b] < CAP ? bcount[b] : CAP;
        qsort(bitems[b], (size_t)m, sizeof(int), cmp_int);
        qsort(eitems[b], (size_t)m, sizeof(int), cmp_int);
        for (int k = 0; k < m; k++) { h = h * 1000003 + (unsigned)bitems[b][k]; if (bitems[b][k] != eitems[b][k]) bad++; }
        if (bcount[b] != ecount[b] || bsum[b] != esum[b]) bad++;
    }
    printf("buckets: counts %d %d %d ... sums %ld %ld ... sorted items hash %lu overflow %d\n", bcount[0], bcount[1],
           bcount[2], bsum[0], bsum[1], h, overflow);
    if (overflow) bad++;

    // A lock initialized and destroyed inside single constructs of the region that uses it.
    omp_lock_t shared_lock;
    long guarded = 0, guarded_n = 0;
    #pragma omp parallel
    {
        #pragma omp single
        omp_init_lock(&shared_lock);
        #pragma omp for schedule(dynamic, 3)
        for (int i = 0; i < n; i++) {
            omp_set_lock(&shared_lock);
            guarded += i % 11;
            guarded_n++;
            omp_unset_lock(&shared_lock);
        }
        #pragma omp single
        omp_destroy_lock(&shared_lock);
        // The lock is gone; use a new one made by another single.
        #pragma omp single
        omp_init_lock(&shared_lock);
        omp_set_lock(&shared_lock);
        guarded += 1000;
        omp_unset_lock(&shared_lock);
        #pragma omp barrier
        #pragma omp single
        omp_destroy_lock(&shared_lock);
    }
    long eg = 0;
    for (int i = 0; i < N; i++) eg += i % 11;
    printf("lock made in single: loop part=%ld, per-thread part divided by team=%ld, count=%ld\n", guarded - 1000L * team,
           (guarded - eg) / team, guarded_n);
    if (guarded != eg + 1000L * team || guarded_n != N) bad++;

    if (bad) { printf("FAIL 64: %d mismatches\n", bad); return 1; }
    printf("64 ok\n");
    return 0;
}
