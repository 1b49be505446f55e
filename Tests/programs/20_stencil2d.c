// Theme: a larger numeric kernel: a 2-D 5-point stencil on a 258x258 grid iterated 100 times, one
// region per step (alternating a row-parallel loop and a collapse(2) loop) with buffer swapping;
// the result is compared bit-exactly with a sequential run and checksummed.
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NX 258
#define NY 258
#define ITERS 100
#define IDX(i, j) ((i) * NY + (j))

static void init(double *g) {
    for (int i = 0; i < NX; i++)
        for (int j = 0; j < NY; j++) {
            double v = 0.0;
            if (i == 0) v = 100.0;                         // hot top edge
            else if (j == 0) v = 50.0 * i / NX;            // graded left edge
            else if ((i * 31 + j * 17) % 101 == 0) v = 25.0;
            g[IDX(i, j)] = v;
        }
}

static inline double st(const double *g, int i, int j) {
    return 0.2 * (g[IDX(i, j)] + g[IDX(i - 1, j)] + g[IDX(i + 1, j)] + g[IDX(i, j - 1)] + g[IDX(i, j + 1)]);
}

int main(void) {
    printf("20 2-D stencil %dx%d, %d iterations\n", NX, NY, ITERS);
    size_t bytes = (size_t)NX * NY * sizeof(double);
    double *a = malloc(bytes), *b = malloc(bytes), *sa = malloc(bytes), *sb = malloc(bytes);
    if (!a || !b || !sa || !sb) { printf("FAIL 20: malloc\n"); return 1; }
    init(a); init(b); init(sa); init(sb);

    for (int it = 0; it < ITERS; it++) {
        if (it % 2 == 0) {
            #pragma omp parallel for schedule(static)
            for (int i = 1; i < NX - 1; i++)
                for (int j = 1; j < NY - 1; j++) b[IDX(i, j)] = st(a, i, j);
        } else {
            #pragma omp parallel for collapse(2) schedule(static, 97)
            for (int i = 1; i < NX - 1; i++)
                for (int j = 1; j < NY - 1; j++) b[IDX(i, j)] = st(a, i, j);
        }
        double *t = a; a = b; b = t;
    }
    for (int it = 0; it < ITERS; it++) {
        for (int i = 1; i < NX - 1; i++)
            for (int j = 1; j < NY - 1; j++) sb[IDX(i, j)] = st(sa, i, j);
        double *t = sa; sa = sb; sb = t;
    }

    double sum = 0.0;
    uint64_t h = 1469598103934665603ULL;
    for (int i = 0; i < NX; i++)
        for (int j = 0; j < NY; j++) {
            sum += a[IDX(i, j)];
            uint64_t bits;
            memcpy(&bits, &a[IDX(i, j)], 8);
            h = (h ^ bits) * 1099511628211ULL;
        }
    printf("sum=%.9f center=%.12f hash=%016llx\n", sum, a[IDX(NX / 2, NY / 2)], (unsigned long long)h);
    int bad = memcmp(a, sa, bytes) != 0 || memcmp(b, sb, bytes) != 0;
    free(a); free(b); free(sa); free(sb);
    if (bad) { printf("FAIL 20: parallel result differs from sequential\n"); return 1; }
    printf("20 ok\n");
    return 0;
}
