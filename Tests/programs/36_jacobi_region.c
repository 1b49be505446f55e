// Theme: an iterative solver inside ONE parallel region: Jacobi sweeps on a 2-D grid with two
// arrays whose roles swap every iteration (each thread swaps its private pointers), the implicit
// barrier of each worksharing loop separating sweeps, per-row residuals combined by a `single`
// that decides (through a shared flag read by all after the single's barrier) whether to stop;
// plus a 1-D version with `for nowait` and explicit barriers and a red-black ordering. Results are
// compared bit for bit with sequential runs.
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define NX 130
#define NY 98
#define MAXIT 400
#define TOL 0.5
#define IDX(i, j) ((i) * NY + (j))

static double g1[NX * NY], g2[NX * NY], s1[NX * NY], s2[NX * NY];
static double rowres[NX];
static double line_a[4001], line_b[4001], line_s[4001], line_t[4001];
static double rb[NX * NY], rbs[NX * NY];

static void init(double *g) {
    for (int i = 0; i < NX; i++)
        for (int j = 0; j < NY; j++)
            g[IDX(i, j)] = (i == 0) ? 100.0 : (j == NY - 1 ? 40.0 : ((i * 7 + j * 3) % 50 == 0 ? 10.0 : 0.0));
}

static double sweep_row(const double *src, double *dst, int i) {
    double r = 0.0;
    for (int j = 1; j < NY - 1; j++) {
        double v = 0.25 * (src[IDX(i - 1, j)] + src[IDX(i + 1, j)] + src[IDX(i, j - 1)] + src[IDX(i, j + 1)]);
        double dlt = v - src[IDX(i, j)];
        dst[IDX(i, j)] = v;
        r = dlt > r ? dlt : (-dlt > r ? -dlt : r);
    }
    return r;
}

static uint64_t hash_d(const double *p, int n) {
    uint64_t h = 1469598103934665603ULL;
    for (int k = 0; k < n; k++) {
        uint64_t b;
        memcpy(&b, &p[k], 8);
        h = (h ^ b) * 1099511628211ULL;
    }
    return h;
}

int main(void) {
    printf("36 iterations inside one region\n");
    int bad = 0;
    init(g1); init(g2); init(s1); init(s2);

    int iters = 0, done = 0;
    double final_res = 0.0;
    #pragma omp parallel
    {
        double *src = g1, *dst = g2;
        for (int it = 0; it < MAXIT; it++) {
            #pragma omp for schedule(static)
            for (int i = 1; i < NX - 1; i++) rowres[i] = sweep_row(src, dst, i);
            // implicit barrier: all rows of dst and rowres are written
            #pragma omp single
            {
                double m = 0.0;
                for (int i = 1; i < NX - 1; i++) if (rowres[i] > m) m = rowres[i];
                final_res = m;
                iters = it + 1;
                done = m < TOL;
            }
            // implicit barrier of single: everyone sees done
            double *t = src; src = dst; dst = t;
            if (done) break;
        }
    }
    // Sequential reference with the same stopping rule.
    int siters = 0;
    double sres = 0.0;
    {
        double *src = s1, *dst = s2;
        for (int it = 0; it < MAXIT; it++) {
            double m = 0.0;
            for (int i = 1; i < NX - 1; i++) {
                double r = sweep_row(src, dst, i);
                if (r > m) m = r;
            }
            sres = m;
            siters = it + 1;
            double *t = src; src = dst; dst = t;
            if (m < TOL) break;
        }
    }
    int same = memcmp(g1, s1, sizeof g1) == 0 && memcmp(g2, s2, sizeof g2) == 0;
    printf("jacobi 2-D: iterations=%d residual=%.9e hash=%016llx %016llx%s\n", iters, final_res,
           (unsigned long long)hash_d(g1, NX * NY), (unsigned long long)hash_d(g2, NX * NY),
           same && iters == siters && final_res == sres ? "" : " WRONG");
    if (!same || iters != siters || final_res != sres) bad++;

    // 1-D smoothing with `for nowait` and explicit barriers, 300 steps.
    for (int i = 0; i < 4001; i++) line_a[i] = line_s[i] = (i % 100 == 0) ? 1000.0 : (double)(i % 7);
    line_b[0] = line_t[0] = line_a[0];
    line_b[4000] = line_t[4000] = line_a[4000];
    #pragma omp parallel
    {
        for (int step = 0; step < 300; step++) {
            const double *src = (step % 2 == 0) ? line_a : line_b;
            double *dst = (step % 2 == 0) ? line_b : line_a;
            #pragma omp for schedule(static, 100) nowait
            for (int i = 1; i < 4000; i++) dst[i] = (src[i - 1] + 2.0 * src[i] + src[i + 1]) * 0.25;
            #pragma omp barrier
        }
    }
    for (int step = 0; step < 300; step++) {
        const double *src = (step % 2 == 0) ? line_s : line_t;
        double *dst = (step % 2 == 0) ? line_t : line_s;
        for (int i = 1; i < 4000; i++) dst[i] = (src[i - 1] + 2.0 * src[i] + src[i + 1]) * 0.25;
    }
    int same1 = memcmp(line_a, line_s, sizeof line_a) == 0 && memcmp(line_b, line_t, sizeof line_b) == 0;
    printf("smoothing 1-D: a[50]=%.12f a[2000]=%.12f hash=%016llx%s\n", line_a[50], line_a[2000],
           (unsigned long long)hash_d(line_a, 4001), same1 ? "" : " WRONG");
    if (!same1) bad++;

    // Red-black Gauss-Seidel in place: the red loop and the black loop of one sweep are separated
    // by the loops' implicit barriers; black points read red points written by other threads.
    init(rb); init(rbs);
    #pragma omp parallel
    {
        for (int it = 0; it < 60; it++) {
            for (int colour = 0; colour < 2; colour++) {
                #pragma omp for schedule(dynamic, 4)
                for (int i = 1; i < NX - 1; i++)
                    for (int j = 1 + (i + colour) % 2; j < NY - 1; j += 2)
                        rb[IDX(i, j)] = 0.25 * (rb[IDX(i - 1, j)] + rb[IDX(i + 1, j)] + rb[IDX(i, j - 1)] +
                                                rb[IDX(i, j + 1)]);
            }
        }
    }
    for (int it = 0; it < 60; it++)
        for (int colour = 0; colour < 2; colour++)
            for (int i = 1; i < NX - 1; i++)
                for (int j = 1 + (i + colour) % 2; j < NY - 1; j += 2)
                    rbs[IDX(i, j)] = 0.25 * (rbs[IDX(i - 1, j)] + rbs[IDX(i + 1, j)] + rbs[IDX(i, j - 1)] +
                                             rbs[IDX(i, j + 1)]);
    int same2 = memcmp(rb, rbs, sizeof rb) == 0;
    printf("red-black: centre=%.12f hash=%016llx%s\n", rb[IDX(NX / 2, NY / 2)], (unsigned long long)hash_d(rb, NX * NY),
           same2 ? "" : " WRONG");
    if (!same2) bad++;

    if (bad) { printf("FAIL 36: %d mismatches\n", bad); return 1; }
    printf("36 ok\n");
    return 0;
}
