// The GOMP_parallel_start / GOMP_parallel_end entry points that older gcc versions emit: the caller
// runs the master's share itself between the two calls. Written by hand here, as gcc 12 no longer
// emits them.
#include <omp.h>
#include <stdio.h>

void GOMP_parallel_start(void (*fn)(void *), void *data, unsigned num_threads);
void GOMP_parallel_end(void);

#define N 10000
static double out[N];

struct shared { double scale; int n; };

static void body(void *p) {
    struct shared *s = p;
    int t = omp_get_thread_num(), k = omp_get_num_threads();
    int lo = (int)((long)s->n * t / k), hi = (int)((long)s->n * (t + 1) / k);
    for (int i = lo; i < hi; i++) out[i] = i * s->scale;
}

int main(void) {
    struct shared s = { 0.5, N };
    for (int round = 1; round <= 3; round++) {
        s.scale = 0.5 * round;
        GOMP_parallel_start(body, &s, 0);
        body(&s);
        GOMP_parallel_end();
        double sum = 0;
        for (int i = 0; i < N; i++) sum += out[i];
        printf("round %d sum=%.1f\n", round, sum);
    }
    int bad = 0;
    for (int i = 0; i < N; i++) if (out[i] != i * 1.5) bad++;
    if (bad) { printf("FAIL 26: %d\n", bad); return 1; }
    printf("26 ok\n");
    return 0;
}
