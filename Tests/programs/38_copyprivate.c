// Theme: `single copyprivate(...)`: broadcasting a scalar, a struct, an array and several variables
// at once from the thread that ran the single to every thread's private copies; a value computed in
// the single then used by all threads to write shared data in a worksharing loop; copyprivate of
// a pointer chosen in the single; copyprivate inside a loop in the region (fresh value every
// round); an orphaned single copyprivate on function parameters; the same function outside a region.
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define MAXT 256
#define N 3001
#define ROUNDS 40

struct cfg { int a; char b; int c; double scale; short tag[3]; };

static long out[N];
static long per_thread[MAXT][6];
static int team;
static double table1[N], table2[N];
static long rounds_out[ROUNDS][N / 10];
static int param_ok[MAXT];

static long data_max(void) {
    long m = 0;
    for (int i = 0; i < N; i++) { long v = (i * 7919L) % 4099; if (v > m) m = v; }
    return m;
}

// copyprivate of function parameters (private to each thread's call).
__attribute__((noinline)) static int bcast_params(int a, int b) {
    #pragma omp single copyprivate(a) copyprivate(b)
    {
        a = 5;
        b = a * 11;
    }
    return a == 5 && b == 55;
}

int main(void) {
    printf("38 copyprivate\n");
    int bad = 0;

    #pragma omp parallel
    {
        int t = omp_get_thread_num();
        int x = -1;
        double d = 0.0;
        struct cfg c;
        memset(&c, 0, sizeof c);
        long arr[4] = {0, 0, 0, 0};
        #pragma omp single copyprivate(x)
        x = 42;
        #pragma omp single copyprivate(d, c, arr)
        {
            d = 2.5;
            c.a = 23; c.b = 42; c.c = 26; c.scale = 0.125;
            c.tag[0] = 1; c.tag[1] = -2; c.tag[2] = 3;
            arr[0] = 10; arr[1] = 20; arr[2] = 30; arr[3] = 40;
            team = omp_get_num_threads();
        }
        if (t < MAXT) {
            per_thread[t][0] = x;
            per_thread[t][1] = (long)(d * 4);
            per_thread[t][2] = c.a + c.b + c.c;
            per_thread[t][3] = (long)(c.scale * 800) + c.tag[0] + c.tag[1] + c.tag[2];
            per_thread[t][4] = arr[0] + arr[1] + arr[2] + arr[3];
        }

        // A value computed in the single (a scan of sequential data), then used by every thread
        // to write its share of a shared array.
        long m;
        #pragma omp single copyprivate(m)
        m = data_max();
        #pragma omp for schedule(static)
        for (int i = 0; i < N; i++) out[i] = ((i * 7919L) % 4099) * 1000 / m;

        // A pointer chosen in the single: all threads then write through it.
        double *target;
        #pragma omp single copyprivate(target)
        target = (out[N / 2] % 2) ? table1 : table2;
        #pragma omp for schedule(dynamic, 64)
        for (int i = 0; i < N; i++) target[i] = i * 0.5;

        // Fresh values every round.
        for (int r = 0; r < ROUNDS; r++) {
            int j, k;
            #pragma omp single copyprivate(j, k)
            {
                j = r * 3 + 1;
                k = (r * r) % 17;
            }
            #pragma omp for schedule(static)
            for (int i = 0; i < N / 10; i++) rounds_out[r][i] = (long)i * j + k;
        }

        int ok = bcast_params(1, 2);
        if (t < MAXT) param_ok[t] = ok;
    }

    for (int t = 0; t < team && t < MAXT; t++) {
        if (per_thread[t][0] != 42 || per_thread[t][1] != 10 || per_thread[t][2] != 91 ||
            per_thread[t][3] != 102 || per_thread[t][4] != 100 || !param_ok[t])
            bad++;
    }
    printf("broadcast values: x=%ld d*4=%ld struct=%ld scale+tags=%ld arr=%ld\n", per_thread[0][0],
           per_thread[0][1], per_thread[0][2], per_thread[0][3], per_thread[0][4]);

    long m = data_max();
    long so = 0;
    for (int i = 0; i < N; i++) {
        if (out[i] != ((i * 7919L) % 4099) * 1000 / m) bad++;
        so += out[i];
    }
    double *expect_t = (out[N / 2] % 2) ? table1 : table2;
    double *other_t = expect_t == table1 ? table2 : table1;
    double st = 0;
    for (int i = 0; i < N; i++) {
        if (expect_t[i] != i * 0.5 || other_t[i] != 0.0) bad++;
        st += expect_t[i];
    }
    printf("max=%ld out sum=%ld target=%s sum=%.1f\n", m, so, expect_t == table1 ? "table1" : "table2", st);

    uint64_t h = 1469598103934665603ULL;
    for (int r = 0; r < ROUNDS; r++)
        for (int i = 0; i < N / 10; i++) {
            if (rounds_out[r][i] != (long)i * (r * 3 + 1) + (r * r) % 17) bad++;
            h = (h ^ (uint64_t)rounds_out[r][i]) * 1099511628211ULL;
        }
    printf("rounds hash=%016llx\n", (unsigned long long)h);

    // Outside any region the orphaned single runs on the only thread.
    printf("params outside region ok=%d\n", bcast_params(3, 4));

    if (bad) { printf("FAIL 38: %d mismatches\n", bad); return 1; }
    printf("38 ok\n");
    return 0;
}
