// Theme: a NAS-IS-style integer sort (own code). Keys with a bell-shaped distribution come from a
// counter-based generator (key i depends on i only) in a `parallel for`. Each of ITERS iterations
// changes two keys (as NPB does) and ranks all keys inside one parallel region: a `single`
// allocates per-thread bucket histograms sized by omp_get_num_threads(); every thread counts its
// static share of the keys into its own row (indexed by omp_get_thread_num()) and adds its private
// counts into shared totals with `omp atomic`; a `single` computes the bucket starts (prefix sums)
// and checks them against the atomic totals; each thread computes its write offsets from the
// histogram rows and scatters its share (the same static partition) into the buckets, which keeps
// the sort stable; then a dynamic loop over buckets counting-sorts each bucket and records the rank
// of every key value. Partial verification of a few ranks per iteration, then full verification:
// the permutation sorts the keys, is a permutation, is stable and equals a sequential counting sort.
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NKEYS (1 << 17)
#define LOGMAX 11
#define MAXKEY (1 << LOGMAX)
#define LOGB 6
#define NB (1 << LOGB)
#define SHIFT (LOGMAX - LOGB)
#define ITERS 10

static uint64_t mix(uint64_t v) {
    v += 0x9E3779B97F4A7C15ULL;
    v = (v ^ (v >> 30)) * 0xBF58476D1CE4E5B9ULL;
    v = (v ^ (v >> 27)) * 0x94D049BB133111EBULL;
    return v ^ (v >> 31);
}

static int key[NKEYS], buff2[NKEYS], idx2[NKEYS], perm[NKEYS], seqperm[NKEYS];
static int keyrank[MAXKEY + 1];   // keyrank[v] = number of keys < v
static int bstart[NB + 1];
static long total[NB];
static int *hist;                  // [team size][NB], allocated in the region
static int nt;
static int bad_totals;
static unsigned char seen[NKEYS];

static const int test_index[5] = {48427, 17148, 23627, 62548, 4431};

static void rank_keys(void) {
    memset(total, 0, sizeof total);
    #pragma omp parallel
    {
        #pragma omp single
        {
            nt = omp_get_num_threads();
            hist = calloc((size_t)nt * NB, sizeof(int));
        }
        int t = omp_get_thread_num();
        int *h = hist + (size_t)t * NB;
        int local[NB];
        memset(local, 0, sizeof local);
        #pragma omp for schedule(static)
        for (int i = 0; i < NKEYS; i++) {
            h[key[i] >> SHIFT]++;
            local[key[i] >> SHIFT]++;
        }
        for (int b = 0; b < NB; b++)
            if (local[b]) {
                #pragma omp atomic
                total[b] += local[b];
            }
        #pragma omp barrier
        #pragma omp single
        {
            bstart[0] = 0;
            for (int b = 0; b < NB; b++) {
                int sum = 0;
                for (int u = 0; u < nt; u++) sum += hist[(size_t)u * NB + b];
                bstart[b + 1] = bstart[b] + sum;
                if (sum != total[b]) bad_totals++;
            }
        }
        int off[NB];
        for (int b = 0; b < NB; b++) {
            off[b] = bstart[b];
            for (int u = 0; u < t; u++) off[b] += hist[(size_t)u * NB + b];
        }
        #pragma omp for schedule(static)
        for (int i = 0; i < NKEYS; i++) {
            int pos = off[key[i] >> SHIFT]++;
            buff2[pos] = key[i];
            idx2[pos] = i;
        }
        #pragma omp for schedule(dynamic, 2)
        for (int b = 0; b < NB; b++) {
            int lo = bstart[b], hi = bstart[b + 1], base = b << SHIFT;
            int cnt[1 << SHIFT];
            memset(cnt, 0, sizeof cnt);
            for (int k = lo; k < hi; k++) cnt[buff2[k] - base]++;
            int run = lo;
            for (int v = 0; v < (1 << SHIFT); v++) {
                keyrank[base + v] = run;
                int c = cnt[v];
                cnt[v] = run;
                run += c;
            }
            for (int k = lo; k < hi; k++) perm[cnt[buff2[k] - base]++] = idx2[k];
        }
    }
    keyrank[MAXKEY] = NKEYS;
    free(hist);
    hist = NULL;
}

static unsigned long long perm_hash(const int *p) {
    unsigned long long h = 1469598103934665603ULL;
    for (int i = 0; i < NKEYS; i++) h = (h ^ (unsigned)p[i]) * 1099511628211ULL;
    return h;
}

int main(void) {
    printf("73 NAS-style IS: %d keys in [0, %d), %d buckets, %d iterations\n", NKEYS, MAXKEY, NB, ITERS);
    int bad = 0;
    #pragma omp parallel for schedule(static, 1000)
    for (int i = 0; i < NKEYS; i++) {
        uint64_t a = mix((uint64_t)i * 2 + 1), c = mix((uint64_t)i * 2 + 2);
        unsigned s = (unsigned)(a & 0xFFFF) + (unsigned)(a >> 48) + (unsigned)(c & 0xFFFF) + (unsigned)(c >> 48);
        key[i] = (int)(s >> (18 - LOGMAX));   // sum of four 16-bit uniforms, scaled to [0, MAXKEY)
    }

    for (int it = 1; it <= ITERS; it++) {
        key[it] = it;
        key[it + ITERS] = MAXKEY - it;
        rank_keys();
        printf("iteration %d: ranks", it);
        for (int k = 0; k < 5; k++)
            printf(" key[%d]=%d:%d", test_index[k], key[test_index[k]], keyrank[key[test_index[k]]]);
        printf(" perm hash=%016llx\n", perm_hash(perm));
        // Partial verification as in NPB: the rank of a key equals the number of smaller keys.
        for (int k = 0; k < 5; k++) {
            int v = key[test_index[k]], smaller = 0;
            for (int i = 0; i < NKEYS; i++) smaller += key[i] < v;
            if (smaller != keyrank[v]) bad++;
        }
    }
    if (bad_totals) { printf("atomic totals differ from the histograms %d times\n", bad_totals); bad++; }

    // Full verification of the last ranking.
    int sorted = 1, stable = 1, isperm = 1;
    memset(seen, 0, sizeof seen);
    for (int i = 0; i < NKEYS; i++) {
        int p = perm[i];
        if (p < 0 || p >= NKEYS || seen[p]) { isperm = 0; break; }
        seen[p] = 1;
        if (i > 0) {
            if (key[perm[i - 1]] > key[p]) sorted = 0;
            else if (key[perm[i - 1]] == key[p] && perm[i - 1] > p) stable = 0;
        }
    }
    static int cnt[MAXKEY];
    for (int i = 0; i < NKEYS; i++) cnt[key[i]]++;
    for (int v = 0, run = 0; v < MAXKEY; v++) { int c = cnt[v]; cnt[v] = run; run += c; }
    for (int i = 0; i < NKEYS; i++) seqperm[cnt[key[i]]++] = i;
    int same = memcmp(perm, seqperm, sizeof perm) == 0;
    long histo[8] = {0};
    for (int i = 0; i < NKEYS; i++) histo[key[perm[i]] >> (LOGMAX - 3)]++;
    printf("sorted keys per eighth of the range:");
    for (int k = 0; k < 8; k++) printf(" %ld", histo[k]);
    printf("\nfull verification: sorted %s, permutation %s, stable %s, equals sequential sort %s\n",
           sorted ? "yes" : "NO", isperm ? "yes" : "NO", stable ? "yes" : "NO", same ? "yes" : "NO");
    if (!sorted || !isperm || !stable || !same) bad++;

    if (bad) { printf("FAIL 73\n"); return 1; }
    printf("73 ok\n");
    return 0;
}
