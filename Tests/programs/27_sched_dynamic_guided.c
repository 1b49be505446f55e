// Theme: worksharing loops with every non-static schedule written in the source: dynamic, dynamic
// with chunks 1 / 7 / larger than the trip count, guided, guided with chunks, auto,
// nonmonotonic:dynamic, monotonic:dynamic, nonmonotonic:guided, monotonic:guided, monotonic:static,
// both as combined `parallel for` and as `for` inside a `parallel` (several loops in one region,
// with and without nowait). Every iteration writes only its own elements and counts its own visits;
// uneven iteration costs make the distribution vary. Results are checked and checksummed after.
#include <omp.h>
#include <stdint.h>
#include <stdio.h>

#define N 6007
#define NV 24

static long val[NV][N];
static unsigned char cnt[NV][N];

// Iteration cost grows with i % 23, so dynamic/guided hand-outs really differ between runs.
static long work(int i, int v) {
    uint64_t x = (uint64_t)i * 2654435761u + (uint64_t)v * 40503u;
    for (int k = 0; k < (i % 23) * 4; k++) x = (x * 6364136223846793005ULL + 1442695040888963407ULL) >> 1;
    return (long)(x & 0xffff) + i;
}

#define BODY(v, i) do { val[v][i] = work(i, v); cnt[v][i]++; } while (0)

static const char *names[NV] = {
    "dynamic", "dynamic,1", "dynamic,7", "dynamic,N+5", "guided", "guided,3", "guided,50",
    "auto", "nonmonotonic:dynamic", "nonmonotonic:dynamic,4", "monotonic:dynamic",
    "monotonic:dynamic,5", "nonmonotonic:guided", "monotonic:guided,2", "monotonic:static",
    "for dynamic", "for dynamic,3", "for guided", "for guided,11 nowait", "for auto nowait",
    "for nonmonotonic:dynamic,2", "for monotonic:dynamic nowait", "for dynamic descending",
    "for guided step 3"};

int main(void) {
    printf("27 dynamic and guided schedules, n=%d\n", N);

    #pragma omp parallel for schedule(dynamic)
    for (int i = 0; i < N; i++) BODY(0, i);
    #pragma omp parallel for schedule(dynamic, 1)
    for (int i = 0; i < N; i++) BODY(1, i);
    #pragma omp parallel for schedule(dynamic, 7)
    for (int i = 0; i < N; i++) BODY(2, i);
    #pragma omp parallel for schedule(dynamic, N + 5)
    for (int i = 0; i < N; i++) BODY(3, i);
    #pragma omp parallel for schedule(guided)
    for (int i = 0; i < N; i++) BODY(4, i);
    #pragma omp parallel for schedule(guided, 3)
    for (int i = 0; i < N; i++) BODY(5, i);
    #pragma omp parallel for schedule(guided, 50)
    for (int i = 0; i < N; i++) BODY(6, i);
    #pragma omp parallel for schedule(auto)
    for (int i = 0; i < N; i++) BODY(7, i);
    #pragma omp parallel for schedule(nonmonotonic: dynamic)
    for (int i = 0; i < N; i++) BODY(8, i);
    #pragma omp parallel for schedule(nonmonotonic: dynamic, 4)
    for (int i = 0; i < N; i++) BODY(9, i);
    #pragma omp parallel for schedule(monotonic: dynamic)
    for (int i = 0; i < N; i++) BODY(10, i);
    #pragma omp parallel for schedule(monotonic: dynamic, 5)
    for (int i = 0; i < N; i++) BODY(11, i);
    #pragma omp parallel for schedule(nonmonotonic: guided)
    for (int i = 0; i < N; i++) BODY(12, i);
    #pragma omp parallel for schedule(monotonic: guided, 2)
    for (int i = 0; i < N; i++) BODY(13, i);
    #pragma omp parallel for schedule(monotonic: static)
    for (int i = 0; i < N; i++) BODY(14, i);

    // The separate form: several loops in one region. Loops without nowait end with a barrier; the
    // nowait ones write arrays no later loop of the region touches.
    #pragma omp parallel
    {
        #pragma omp for schedule(dynamic)
        for (int i = 0; i < N; i++) BODY(15, i);
        #pragma omp for schedule(dynamic, 3)
        for (int i = 0; i < N; i++) BODY(16, i);
        #pragma omp for schedule(guided)
        for (int i = 0; i < N; i++) BODY(17, i);
        #pragma omp for schedule(guided, 11) nowait
        for (int i = 0; i < N; i++) BODY(18, i);
        #pragma omp for schedule(auto) nowait
        for (int i = 0; i < N; i++) BODY(19, i);
        #pragma omp for schedule(nonmonotonic: dynamic, 2)
        for (int i = 0; i < N; i++) BODY(20, i);
        #pragma omp for schedule(monotonic: dynamic) nowait
        for (int i = 0; i < N; i++) BODY(21, i);
        #pragma omp for schedule(dynamic, 9)
        for (int i = N - 1; i >= 0; i--) BODY(22, i);
        #pragma omp for schedule(guided, 2)
        for (int i = 1; i < N; i += 3) BODY(23, i);
    }

    int bad = 0;
    uint64_t all = 1469598103934665603ULL;
    for (int v = 0; v < NV; v++) {
        uint64_t h = 1469598103934665603ULL;
        long sum = 0;
        int visited = 0, wrong = 0;
        for (int i = 0; i < N; i++) {
            int expect = v == 23 ? (i % 3 == 1) : 1;
            if (cnt[v][i] != expect) wrong++;
            if (cnt[v][i]) {
                visited++;
                if (val[v][i] != work(i, v)) wrong++;
            } else if (val[v][i] != 0) wrong++;
            sum += val[v][i];
            h = (h ^ (uint64_t)val[v][i]) * 1099511628211ULL;
        }
        all = (all ^ h) * 1099511628211ULL;
        printf("%-30s visited=%d sum=%ld hash=%016llx%s\n", names[v], visited, sum,
               (unsigned long long)h, wrong ? " WRONG" : "");
        bad += wrong;
    }
    printf("all=%016llx\n", (unsigned long long)all);
    if (bad) { printf("FAIL 27: %d mismatches\n", bad); return 1; }
    printf("27 ok\n");
    return 0;
}
