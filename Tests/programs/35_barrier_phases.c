// Theme: barriers inside a region. Phases separated by `#pragma omp barrier` where each phase reads
// what other threads wrote in the previous one (a hand-partitioned phase, then reversed and
// rotated reads); a chain of worksharing loops without nowait where each loop reads the previous
// loop's results written by other threads (b[i] = a[n-1-i], ...); a Hillis-Steele prefix sum with
// a barrier per step in a loop inside one region; orphaned `for` loops and barriers in a function
// called from the region (and called outside any region, as a team of one).
#include <omp.h>
#include <stdint.h>
#include <stdio.h>

#define N 5003
#define PS 2048

static long a[N], b[N], c[N], d[N], e[N];
static long ps[2][PS];
static long fa[N], fb[N];

static long init_val(long i) { return (i * 37 + 11) % 1001 - 400; }

static uint64_t hash_l(const long *p, int n) {
    uint64_t h = 1469598103934665603ULL;
    for (int i = 0; i < n; i++) h = (h ^ (uint64_t)p[i]) * 1099511628211ULL;
    return h;
}

// Orphaned worksharing and barriers: binds to the caller's team (or runs alone).
__attribute__((noinline)) static void orphan_phases(int n) {
    #pragma omp for schedule(static)
    for (int i = 0; i < n; i++) fa[i] = init_val(i) * 2;
    // implicit barrier: fb reads fa written by other threads
    #pragma omp for schedule(static, 3) nowait
    for (int i = 0; i < n; i++) fb[i] = fa[n - 1 - i] + fa[(i + 1) % n];
    #pragma omp barrier
    #pragma omp for schedule(static, 5) nowait
    for (int i = 0; i < n; i++) fa[i] = fb[(i * 7) % n] - fb[i];
    #pragma omp barrier
}

int main(void) {
    printf("35 barrier phases\n");
    int bad = 0;

    // Phases with explicit barriers and hand partitioning by thread number.
    #pragma omp parallel
    {
        int t = omp_get_thread_num(), nt = omp_get_num_threads();
        long lo = (long)N * t / nt, hi = (long)N * (t + 1) / nt;
        for (long i = lo; i < hi; i++) a[i] = init_val(i);
        #pragma omp barrier
        // Phase 2: read the mirrored range, written by another thread (when nt > 1).
        for (long i = lo; i < hi; i++) b[i] = a[N - 1 - i] * 3 + a[i];
        #pragma omp barrier
        // Phase 3: a different partition (cyclic), reading b everywhere.
        for (long i = t; i < N; i += nt) c[i] = b[(i + N / 2) % N] - b[(i * 13) % N];
        #pragma omp barrier
        #pragma omp master
        {
            long s = 0;
            for (int i = 0; i < N; i++) s += c[i] * (i % 10);
            d[0] = s;                                // the master reads every thread's c
        }
        #pragma omp barrier
        for (long i = lo; i < hi; i++) if (i > 0) d[i] = d[0] + c[i];
    }
    long s_expect = 0;
    for (int i = 0; i < N; i++) {
        long ea = init_val(i);
        long eb = init_val(N - 1 - i) * 3 + ea;
        if (a[i] != ea || b[i] != eb) bad++;
    }
    for (int i = 0; i < N; i++) {
        long ebx = init_val((i + N / 2) % N) + 3 * init_val(N - 1 - (i + N / 2) % N);
        long eby = init_val((i * 13) % N) + 3 * init_val(N - 1 - (i * 13) % N);
        if (c[i] != ebx - eby) bad++;
        s_expect += c[i] * (i % 10);
    }
    if (d[0] != s_expect) bad++;
    for (int i = 1; i < N; i++) if (d[i] != d[0] + c[i]) bad++;
    printf("phases: weighted sum c=%ld hash d=%016llx\n", d[0], (unsigned long long)hash_l(d, N));

    // A chain of worksharing loops (implicit barriers): each reads the previous loop's output at
    // indices another thread wrote.
    #pragma omp parallel
    {
        #pragma omp for schedule(static)
        for (int i = 0; i < N; i++) a[i] = init_val(i) + 5;
        #pragma omp for schedule(static)
        for (int i = 0; i < N; i++) b[i] = a[N - 1 - i];
        #pragma omp for schedule(static, 1)
        for (int i = 0; i < N; i++) c[i] = b[(i + 1) % N] - b[i];
        #pragma omp for schedule(dynamic, 16)
        for (int i = 0; i < N; i++) d[i] = c[N - 1 - i] * 2 + c[(i * 101) % N];
        #pragma omp for schedule(guided)
        for (int i = 0; i < N; i++) e[i] = d[(i + 2500) % N] + a[i];
    }
    int wchain = 0;
    for (int i = 0; i < N; i++) {
        long eb_i = init_val(N - 1 - i) + 5;
        if (b[i] != eb_i) wchain++;
    }
    for (int i = 0; i < N; i++) if (c[i] != b[(i + 1) % N] - b[i]) wchain++;
    for (int i = 0; i < N; i++) if (d[i] != c[N - 1 - i] * 2 + c[(i * 101) % N]) wchain++;
    for (int i = 0; i < N; i++) if (e[i] != d[(i + 2500) % N] + a[i]) wchain++;
    printf("loop chain: hash e=%016llx%s\n", (unsigned long long)hash_l(e, N), wchain ? " WRONG" : "");
    bad += wchain;

    // Hillis-Steele inclusive prefix sum: log2(PS) steps, a barrier after each, two buffers.
    for (int i = 0; i < PS; i++) ps[0][i] = (i % 17) - 8;
    #pragma omp parallel
    {
        int src = 0;
        for (int off = 1; off < PS; off *= 2) {
            #pragma omp for schedule(static)
            for (int i = 0; i < PS; i++) ps[1 - src][i] = ps[src][i] + (i >= off ? ps[src][i - off] : 0);
            src = 1 - src;                            // every thread swaps its private index
        }
    }
    int steps = 0;
    for (int off = 1; off < PS; off *= 2) steps++;
    const long *res = ps[steps % 2];
    long run = 0;
    int wps = 0;
    for (int i = 0; i < PS; i++) {
        run += (i % 17) - 8;
        if (res[i] != run) wps++;
    }
    printf("prefix sum: steps=%d last=%ld mid=%ld%s\n", steps, res[PS - 1], res[PS / 2], wps ? " WRONG" : "");
    bad += wps;

    // Orphaned loops and barriers: inside a region, then outside any region.
    #pragma omp parallel
    orphan_phases(N);
    uint64_t h1 = hash_l(fa, N);
    for (int i = 0; i < N; i++) fa[i] = fb[i] = 0;
    orphan_phases(N);
    uint64_t h2 = hash_l(fa, N);
    printf("orphaned: in region %016llx, alone %016llx%s\n", (unsigned long long)h1, (unsigned long long)h2,
           h1 != h2 ? " WRONG" : "");
    if (h1 != h2) bad++;

    // Many short phases: 40 rounds, each reading the neighbour written in the previous round.
    for (int i = 0; i < N; i++) a[i] = i;
    #pragma omp parallel
    {
        for (int r = 0; r < 40; r++) {
            #pragma omp for schedule(static, 64) nowait
            for (int i = 0; i < N; i++) b[i] = a[i] + a[(i + 1) % N] + r;
            #pragma omp barrier
            #pragma omp for schedule(static, 64) nowait
            for (int i = 0; i < N; i++) a[i] = b[i] % 1000003;
            #pragma omp barrier
        }
    }
    printf("rounds: a[0]=%ld a[N-1]=%ld hash=%016llx\n", a[0], a[N - 1], (unsigned long long)hash_l(a, N));

    if (bad) { printf("FAIL 35: %d mismatches\n", bad); return 1; }
    printf("35 ok\n");
    return 0;
}
