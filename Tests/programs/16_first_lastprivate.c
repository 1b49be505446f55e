// Theme: firstprivate and lastprivate. Values of lastprivate variables (loop index, computed scalars,
// an array, a struct) are used after the region; firstprivate copies (scalars, an array, a struct)
// are initialised from the values before the region and modified privately without affecting them.
#include <omp.h>
#include <stdio.h>

#define N 1003

struct pt { int x, y; double w; };

static int out[N];
static double dout[N];

int main(void) {
    printf("16 firstprivate / lastprivate\n");
    int bad = 0;
    int i;
    int offset = 17, scratch = -5;
    int lastval = -1;
    double lastd = 0.0;
    int table[4] = {10, 20, 30, 40};
    int lastarr[3] = {0, 0, 0};
    struct pt origin = {3, 4, 0.5}, lastpt = {0, 0, 0.0};

    // lastprivate loop index and a scalar; firstprivate offset.
    #pragma omp parallel for schedule(static) lastprivate(i, lastval) firstprivate(offset)
    for (i = 0; i < N; i++) {
        lastval = i * 2 + offset;
        out[i] = lastval;
    }
    if (i != N || lastval != (N - 1) * 2 + 17) bad++;
    printf("after loop 1: i=%d lastval=%d\n", i, lastval);

    // firstprivate scratch modified privately: each iteration resets it, so the result does not
    // depend on how iterations are distributed; the original keeps its value.
    #pragma omp parallel for schedule(static, 3) firstprivate(scratch, table, origin) lastprivate(lastd, lastarr, lastpt)
    for (int k = 0; k < N; k++) {
        scratch = k % 10;
        table[k % 4] += 0;                       // private copy, unchanged values
        origin.x += 0;
        dout[k] = scratch * 0.5 + table[k % 4] + origin.x * origin.w;
        lastd = dout[k];
        lastarr[0] = k; lastarr[1] = k * k; lastarr[2] = -k;
        lastpt.x = k; lastpt.y = k + origin.y; lastpt.w = origin.w * k;
    }
    if (scratch != -5) bad++;
    int ek = N - 1;
    double ed = (ek % 10) * 0.5 + table[ek % 4] + 3 * 0.5;
    if (lastd != ed) bad++;
    if (lastarr[0] != ek || lastarr[1] != ek * ek || lastarr[2] != -ek) bad++;
    if (lastpt.x != ek || lastpt.y != ek + 4 || lastpt.w != 0.5 * ek) bad++;
    printf("after loop 2: scratch=%d lastd=%.2f lastarr=%d,%d,%d lastpt=%d,%d,%.1f\n", scratch, lastd,
           lastarr[0], lastarr[1], lastarr[2], lastpt.x, lastpt.y, lastpt.w);

    // lastprivate on an `omp for nowait` inside a parallel region, with a chunked schedule where the
    // last iteration falls in a chunk that is not the last thread's first chunk.
    int lastj = -1, lastsq = -1;
    int base = 1000;
    #pragma omp parallel firstprivate(base)
    {
        base += omp_get_thread_num() * 0;        // private copy per thread
        #pragma omp for schedule(static, 4) lastprivate(lastj, lastsq) nowait
        for (int j = 0; j < 50; j++) {
            lastj = j;
            lastsq = j * j + base;
        }
    }
    if (lastj != 49 || lastsq != 49 * 49 + 1000 || base != 1000) bad++;
    printf("after loop 3: lastj=%d lastsq=%d base=%d\n", lastj, lastsq, base);

    long long s = 0;
    double sd = 0.0;
    for (int k = 0; k < N; k++) {
        if (out[k] != k * 2 + 17) bad++;
        s += out[k];
        sd += dout[k];
    }
    printf("sum out=%lld sum dout=%.2f\n", s, sd);
    if (bad) { printf("FAIL 16: %d mismatches\n", bad); return 1; }
    printf("16 ok\n");
    return 0;
}
