// Theme: lastprivate with dynamic, guided and runtime schedules: the loop index and computed scalars
// (combined form, also with num_threads(8) and trip counts below the team size), chunks larger than
// the trip count, a struct and an array, firstprivate+lastprivate of one variable, lastprivate on a
// `for nowait` in a region, an orphaned `for lastprivate` outside any region and one inside a
// function called from a region (lastprivate of a global), and several lastprivate loops in a row.
#include <omp.h>
#include <stdio.h>

#define N 2500

struct rec { int idx; long sq; char tag; double w; };

static int gi = -7;                 // global used as an orphaned loop's lastprivate index
static long glast = -1;
static int outv[N];

static int opaque(int x) { __asm__ volatile("" : "+r"(x)); return x; }

// Orphaned worksharing loop: binds to the calling region, or runs alone outside any region.
__attribute__((noinline)) static void orphan_loop(int n, int tag) {
    #pragma omp for schedule(dynamic, 3) lastprivate(gi, glast)
    for (gi = 0; gi < n; gi++) {
        glast = (long)gi * tag;
        outv[gi] = (int)glast;
    }
}

int main(void) {
    printf("32 lastprivate with dynamic schedules\n");
    int bad = 0;
    int n = opaque(N);
    int i, j;

    #pragma omp parallel for lastprivate(i, j) num_threads(8) schedule(dynamic)
    for (i = 0; i < 5; i++) j = i;
    printf("dynamic num_threads(8) 5 trips: i=%d j=%d\n", i, j);
    if (i != 5 || j != 4) bad++;

    #pragma omp parallel for lastprivate(i, j) num_threads(8) schedule(dynamic, 3)
    for (i = -12; i < 21; i += 3) j = i;
    printf("dynamic,3 step 3: i=%d j=%d\n", i, j);
    if (i != 21 || j != 18) bad++;

    #pragma omp parallel for lastprivate(i, j) schedule(guided)
    for (i = n; i > 0; i -= 7) j = i * 2;
    printf("guided down step -7: i=%d j=%d\n", i, j);
    if (j != 2 * (n - 7 * ((n - 1) / 7))) bad++;

    #pragma omp parallel for lastprivate(i, j) schedule(dynamic, 1000000)
    for (i = 0; i < n; i++) j = i ^ 0x55;
    printf("dynamic chunk > trips: i=%d j=%d\n", i, j);
    if (i != N || j != ((N - 1) ^ 0x55)) bad++;

    omp_set_schedule(omp_sched_guided, 5);
    long lsum = -1;
    #pragma omp parallel for lastprivate(i, lsum) schedule(runtime)
    for (i = 0; i < n; i++) lsum = (long)i * i - 3;
    printf("runtime guided,5: i=%d lsum=%ld\n", i, lsum);
    if (lsum != (long)(N - 1) * (N - 1) - 3) bad++;

    // Struct and array lastprivate.
    struct rec r = {0, 0, 0, 0.0};
    int arr[4] = {0, 0, 0, 0};
    #pragma omp parallel for schedule(nonmonotonic: dynamic, 2) lastprivate(r, arr)
    for (int k = 0; k < n; k++) {
        r.idx = k; r.sq = (long)k * k; r.tag = (char)('a' + k % 26); r.w = k * 0.25;
        arr[0] = k; arr[1] = -k; arr[2] = k % 7; arr[3] = k / 3;
    }
    printf("struct: idx=%d sq=%ld tag=%c w=%.2f arr=%d,%d,%d,%d\n", r.idx, r.sq, r.tag, r.w, arr[0], arr[1], arr[2],
           arr[3]);
    if (r.idx != N - 1 || arr[1] != -(N - 1)) bad++;

    // firstprivate + lastprivate: every iteration sees the original value, except that the last
    // iteration changes it; the changed value comes out.
    int x = 74, seen_bad = 0;
    int flags[64];
    #pragma omp parallel for schedule(guided, 2) firstprivate(x) lastprivate(x)
    for (int k = 0; k < 64; k++) {
        flags[k] = (x == 74);
        if (k == 63) x = k + 4;
    }
    for (int k = 0; k < 64; k++) seen_bad += !flags[k];
    printf("firstprivate+lastprivate: x=%d (iterations that saw 74: %d)\n", x, 64 - seen_bad);
    if (x != 67 || seen_bad) bad++;

    // lastprivate on `for nowait` inside a region: available after the region.
    int lastk = -1, lastsq = -1;
    #pragma omp parallel
    {
        #pragma omp for schedule(dynamic, 4) lastprivate(lastk, lastsq) nowait
        for (int k = 0; k < 50; k++) { lastk = k; lastsq = k * k; }
        #pragma omp for schedule(guided) nowait
        for (int k = 0; k < n; k++) outv[k] = k * 5;
    }
    printf("nowait dynamic,4: lastk=%d lastsq=%d\n", lastk, lastsq);
    if (lastk != 49 || lastsq != 49 * 49) bad++;
    for (int k = 0; k < N; k++) if (outv[k] != k * 5) { bad++; break; }

    // Orphaned loop outside any region (a team of one), then inside a region.
    gi = -7;
    orphan_loop(10, 3);
    printf("orphaned outside region: gi=%d glast=%ld\n", gi, glast);
    if (gi != 10 || glast != 27) bad++;
    #pragma omp parallel
    {
        orphan_loop(n, 2);
    }
    printf("orphaned inside region: gi=%d glast=%ld\n", gi, glast);
    if (gi != N || glast != 2L * (N - 1)) bad++;
    long osum = 0;
    for (int k = 0; k < N; k++) osum += outv[k];
    printf("outv sum=%ld\n", osum);

    // Several lastprivate loops in one region; each next loop uses the previous lastprivate value
    // only after the region (inside, the values are private copies).
    int a1 = 0, a2 = 0, a3 = 0;
    #pragma omp parallel
    {
        #pragma omp for schedule(dynamic) lastprivate(a1)
        for (int k = 0; k < 333; k++) a1 = k + 1;
        #pragma omp for schedule(guided, 9) lastprivate(a2)
        for (int k = 999; k >= 0; k -= 4) a2 = k;
        #pragma omp for schedule(monotonic: dynamic, 7) lastprivate(a3)
        for (int k = 0; k < 3; k++) a3 = 100 + k;
    }
    printf("three loops: a1=%d a2=%d a3=%d\n", a1, a2, a3);
    if (a1 != 333 || a2 != 3 || a3 != 102) bad++;

    if (bad) { printf("FAIL 32: %d mismatches\n", bad); return 1; }
    printf("32 ok\n");
    return 0;
}
