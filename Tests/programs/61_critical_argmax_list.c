// Theme: `#pragma omp critical` guarding multi-variable state: an argmax (value and index) with a
// unique maximum, an argmin whose ties go to the lowest index (deterministic whatever the order),
// two named critical sections protecting two different pairs of counters in one loop, a linked
// list whose nodes come from a preallocated pool and are pushed under a critical section, and an
// array appended under a critical section. Only order-independent facts are printed: the sorted
// contents, sums and counts.
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#define N 5000
#define POOL 2048

static int opaque(int x) { __asm__ volatile("" : "+r"(x)); return x; }

static int val[N];

struct node { int key; long payload; struct node *next; };
static struct node pool[POOL];
static int pool_used;
static struct node *head;

static int appended[N];
static int nappended;

static int cmp_int(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

int main(void) {
    printf("61 critical: argmax, named sections, list and array append\n");
    int bad = 0, n = opaque(N);
    for (int i = 0; i < N; i++) val[i] = (int)(((unsigned)i * 2246822519u) >> 12) % 50000;
    val[3777] = 77777;                         // the unique maximum
    val[1234] = -3; val[4321] = -3;            // two equal minima: the lower index must win

    // Argmax and argmin kept in unnamed critical sections, each thread first finding its own
    // candidates (the usual pattern), then merging them.
    int best = -1, best_i = -1, low = 1 << 30, low_i = -1, merges = 0, team = 0;
    #pragma omp parallel
    {
        #pragma omp single nowait
        team = omp_get_num_threads();
        int mybest = -1, mybest_i = -1, mylow = 1 << 30, mylow_i = -1;
        #pragma omp for schedule(dynamic, 50) nowait
        for (int i = 0; i < n; i++) {
            if (val[i] > mybest) { mybest = val[i]; mybest_i = i; }
            if (val[i] < mylow || (val[i] == mylow && i < mylow_i)) { mylow = val[i]; mylow_i = i; }
        }
        #pragma omp critical
        {
            if (mybest > best) { best = mybest; best_i = mybest_i; }
            if (mylow < low || (mylow == low && mylow_i < low_i)) { low = mylow; low_i = mylow_i; }
            merges++;
        }
    }
    printf("argmax: %d at %d, argmin: %d at %d, merges equal team: %s\n", best, best_i, low, low_i,
           merges == team ? "yes" : "no");
    if (best != 77777 || best_i != 3777 || low != -3 || low_i != 1234 || merges != team) bad++;

    // The same argmax, entering the critical section for every candidate iteration.
    int best2 = -1, best2_i = -1;
    #pragma omp parallel for schedule(guided)
    for (int i = 0; i < n; i++) {
        if (val[i] % 7 == 0) {
            #pragma omp critical
            if (val[i] > best2 || (val[i] == best2 && i < best2_i)) { best2 = val[i]; best2_i = i; }
        }
    }
    int eb2 = -1, eb2_i = -1;
    for (int i = 0; i < N; i++) if (val[i] % 7 == 0 && val[i] > eb2) { eb2 = val[i]; eb2_i = i; }
    printf("argmax of multiples of 7: %d at %d\n", best2, best2_i);
    if (best2 != eb2 || best2_i != eb2_i) bad++;

    // Two named critical sections, each protecting a pair that must stay consistent.
    long a_sum = 0, a_cnt = 0, b_sum = 0, b_sq = 0;
    int a_incons = 0, b_incons = 0;
    #pragma omp parallel for schedule(dynamic, 7)
    for (int i = 0; i < n; i++) {
        if (val[i] < 0) continue;
        if (val[i] & 1) {
            #pragma omp critical(alpha)
            {
                if (a_sum < a_cnt) a_incons++;        // every odd value is >= 1, so sum >= count
                a_sum += val[i];
                a_cnt++;
            }
        } else {
            #pragma omp critical(beta)
            {
                long s = b_sum;
                b_sq += (long)(val[i] % 100) * (val[i] % 100);
                b_sum = s + val[i] % 100;
                if (b_sq < b_sum) b_incons++;          // a sum of squares of integers is >= their sum
            }
        }
    }
    long ea_sum = 0, ea_cnt = 0, eb_sum = 0, eb_sq = 0;
    for (int i = 0; i < N; i++) {
        if (val[i] < 0) continue;
        if (val[i] & 1) { ea_sum += val[i]; ea_cnt++; }
        else { eb_sum += val[i] % 100; eb_sq += (long)(val[i] % 100) * (val[i] % 100); }
    }
    printf("alpha: sum=%ld count=%ld, beta: sum=%ld squares=%ld, inconsistent seen: %d\n", a_sum, a_cnt, b_sum, b_sq,
           a_incons + b_incons);
    if (a_sum != ea_sum || a_cnt != ea_cnt || b_sum != eb_sum || b_sq != eb_sq || a_incons || b_incons) bad++;

    // A linked list built under a critical section from a preallocated pool.
    head = NULL;
    pool_used = 0;
    #pragma omp parallel for schedule(dynamic, 3)
    for (int i = 0; i < n; i++) {
        if (val[i] % 3 == 1) {
            #pragma omp critical(list)
            {
                if (pool_used < POOL) {
                    struct node *nd = &pool[pool_used++];
                    nd->key = i;
                    nd->payload = (long)val[i] * 2;
                    nd->next = head;
                    head = nd;
                }
            }
        }
    }
    static int keys[POOL];
    int len = 0;
    long paysum = 0;
    for (struct node *p = head; p && len < POOL; p = p->next) { keys[len++] = p->key; paysum += p->payload; }
    qsort(keys, (size_t)len, sizeof keys[0], cmp_int);
    int sorted_ok = 1, elen = 0;
    long epay = 0;
    for (int i = 0; i < N; i++)
        if (val[i] % 3 == 1) {
            if (elen >= len || keys[elen] != i) sorted_ok = 0;
            elen++;
            epay += (long)val[i] * 2;
        }
    printf("list: length=%d (pool used %d) payload sum=%ld sorted keys match: %s first keys %d %d %d\n", len,
           pool_used, paysum, sorted_ok ? "yes" : "no", keys[0], keys[1], keys[2]);
    if (len != elen || pool_used != elen || paysum != epay || !sorted_ok) bad++;

    // Append to an array under a critical section; sort afterwards.
    nappended = 0;
    #pragma omp parallel for schedule(static, 11)
    for (int i = 0; i < n; i++) {
        if (val[i] % 10 == 9) {
            #pragma omp critical(append)
            appended[nappended++] = val[i];
        }
    }
    qsort(appended, (size_t)nappended, sizeof appended[0], cmp_int);
    int expect_n = 0, app_ok = 1;
    static int ev[N];
    for (int i = 0; i < N; i++) if (val[i] % 10 == 9) ev[expect_n++] = val[i];
    qsort(ev, (size_t)expect_n, sizeof ev[0], cmp_int);
    for (int i = 0; i < expect_n && i < nappended; i++) if (appended[i] != ev[i]) app_ok = 0;
    printf("array append: %d values, smallest %d, largest %d, match: %s\n", nappended, appended[0],
           appended[nappended - 1], app_ok ? "yes" : "no");
    if (nappended != expect_n || !app_ok) bad++;

    if (bad) { printf("FAIL 61: %d mismatches\n", bad); return 1; }
    printf("61 ok\n");
    return 0;
}
