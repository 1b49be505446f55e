// Theme: a NAS-MG-style kernel (own code): V-cycles for the 7-point Poisson problem -lap u = f on
// the unit cube, 32 intervals per side (31^3 unknowns), zero Dirichlet boundary, levels 32, 16, 8,
// 4, 2. Red-black Gauss-Seidel smoothing (2 pre, 2 post), residual, full-weighting (27-point)
// restriction, trilinear prolongation added to the finer level, exact solve at the single point of
// the coarsest level. As in NPB the grid routines hold orphaned `omp for` loops and all the cycles
// run inside ONE parallel region; the residual norm is an `omp for reduction(+:)` into a shared
// sum reset by a `single`. The same routines called outside any region (orphaned loops run by a
// team of one) give the sequential reference: the solution does not depend on the team (every
// point is written by one thread, red-black order), so its hash is printed and compared bit for
// bit; the norms depend on the summation order and are printed with 5 significant digits.
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NFINE 32
#define NLEV 5          // n = 32, 16, 8, 4, 2
#define NCYC 4

static double *u[NLEV], *f[NLEV], *r[NLEV];
static int nl[NLEV];
static double rsum;      // shared reduction target
static double norms[NCYC + 1];

#define ID(n, i, j, k) ((((size_t)(i)) * ((n) + 1) + (size_t)(j)) * ((n) + 1) + (size_t)(k))

static size_t points(int n) { return (size_t)(n + 1) * (n + 1) * (n + 1); }

// One red-black Gauss-Seidel sweep on level l.
static void smooth(int l) {
    int n = nl[l];
    double h2 = 1.0 / ((double)n * n);
    double *U = u[l], *F = f[l];
    for (int colour = 0; colour < 2; colour++) {
        #pragma omp for schedule(static)
        for (int i = 1; i < n; i++)
            for (int j = 1; j < n; j++)
                for (int k = 1 + (i + j + colour) % 2; k < n; k += 2)
                    U[ID(n, i, j, k)] = (U[ID(n, i - 1, j, k)] + U[ID(n, i + 1, j, k)] + U[ID(n, i, j - 1, k)] +
                                         U[ID(n, i, j + 1, k)] + U[ID(n, i, j, k - 1)] + U[ID(n, i, j, k + 1)] +
                                         h2 * F[ID(n, i, j, k)]) / 6.0;
    }
}

static void residual(int l) {
    int n = nl[l];
    double ih2 = (double)n * n;
    double *U = u[l], *F = f[l], *R = r[l];
    #pragma omp for schedule(static)
    for (int i = 1; i < n; i++)
        for (int j = 1; j < n; j++)
            for (int k = 1; k < n; k++)
                R[ID(n, i, j, k)] = F[ID(n, i, j, k)] -
                                    ih2 * (6.0 * U[ID(n, i, j, k)] - U[ID(n, i - 1, j, k)] - U[ID(n, i + 1, j, k)] -
                                           U[ID(n, i, j - 1, k)] - U[ID(n, i, j + 1, k)] - U[ID(n, i, j, k - 1)] -
                                           U[ID(n, i, j, k + 1)]);
}

// Full weighting of r[l] into f[l-1]; also clears u[l-1].
static void restrict_to(int l) {
    int n = nl[l], nc = nl[l - 1];
    double *R = r[l], *FC = f[l - 1], *UC = u[l - 1];
    #pragma omp for schedule(static)
    for (int I = 1; I < nc; I++)
        for (int J = 1; J < nc; J++)
            for (int K = 1; K < nc; K++) {
                double s = 0.0;
                for (int a = -1; a <= 1; a++)
                    for (int b = -1; b <= 1; b++)
                        for (int c = -1; c <= 1; c++)
                            s += (double)((2 - abs(a)) * (2 - abs(b)) * (2 - abs(c))) *
                                 R[ID(n, 2 * I + a, 2 * J + b, 2 * K + c)];
                FC[ID(nc, I, J, K)] = s / 64.0;
                UC[ID(nc, I, J, K)] = 0.0;
            }
}

// Trilinear interpolation of u[l-1] added to u[l].
static void prolong_add(int l) {
    int n = nl[l], nc = nl[l - 1];
    double *U = u[l], *UC = u[l - 1];
    #pragma omp for schedule(static)
    for (int i = 1; i < n; i++)
        for (int j = 1; j < n; j++)
            for (int k = 1; k < n; k++) {
                int i0 = i / 2, i1 = (i + 1) / 2, j0 = j / 2, j1 = (j + 1) / 2, k0 = k / 2, k1 = (k + 1) / 2;
                double s = UC[ID(nc, i0, j0, k0)] + UC[ID(nc, i0, j0, k1)] + UC[ID(nc, i0, j1, k0)] +
                           UC[ID(nc, i0, j1, k1)] + UC[ID(nc, i1, j0, k0)] + UC[ID(nc, i1, j0, k1)] +
                           UC[ID(nc, i1, j1, k0)] + UC[ID(nc, i1, j1, k1)];
                U[ID(n, i, j, k)] += 0.125 * s;
            }
}

static void vcycle(int l) {
    if (l == 0) {   // n = 2: one unknown, solved exactly (the loop keeps the worksharing shape)
        #pragma omp for schedule(static)
        for (int i = 1; i < 2; i++) u[0][ID(2, i, 1, 1)] = f[0][ID(2, i, 1, 1)] / (6.0 * 4.0);
        return;
    }
    smooth(l);
    smooth(l);
    residual(l);
    restrict_to(l);
    vcycle(l - 1);
    prolong_add(l);
    smooth(l);
    smooth(l);
}

// ||f - A u|| on the finest level (h^(3/2)-scaled 2-norm); called by every thread of the team.
static double norm_fine(void) {
    int l = NLEV - 1, n = nl[l];
    residual(l);
    #pragma omp single
    rsum = 0.0;
    double *R = r[l];
    #pragma omp for schedule(static) reduction(+:rsum)
    for (int i = 1; i < n; i++)
        for (int j = 1; j < n; j++)
            for (int k = 1; k < n; k++) rsum += R[ID(n, i, j, k)] * R[ID(n, i, j, k)];
    return sqrt(rsum / ((double)n * n * n));
}

static void setup(void) {
    for (int l = 0; l < NLEV; l++) {
        nl[l] = 2 << l;
        u[l] = calloc(points(nl[l]), sizeof(double));
        f[l] = calloc(points(nl[l]), sizeof(double));
        r[l] = calloc(points(nl[l]), sizeof(double));
    }
    int n = NFINE, L = NLEV - 1;
    #pragma omp parallel for schedule(static)
    for (int i = 1; i < n; i++)
        for (int j = 1; j < n; j++)
            for (int k = 1; k < n; k++) {
                double x = (double)i / n, y = (double)j / n, z = (double)k / n;
                f[L][ID(n, i, j, k)] = 3.0 * M_PI * M_PI * sin(M_PI * x) * sin(M_PI * y) * sin(M_PI * z);
            }
    // point charges (+ and -) at pseudo-random interior points, as in NPB
    uint64_t s = 314159265ULL;
    for (int c = 0; c < 20; c++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        int i = 1 + (int)((s >> 33) % (n - 1)), j = 1 + (int)((s >> 43) % (n - 1)), k = 1 + (int)((s >> 53) % (n - 1));
        f[L][ID(n, i, j, k)] += c % 2 ? -500.0 : 500.0;
    }
}

static uint64_t hash_d(const double *p, size_t n) {
    uint64_t h = 1469598103934665603ULL;
    for (size_t k = 0; k < n; k++) {
        uint64_t b;
        memcpy(&b, &p[k], 8);
        h = (h ^ b) * 1099511628211ULL;
    }
    return h;
}

int main(void) {
    printf("75 NAS-style MG: %d^3 grid, %d levels, %d V(2,2) cycles\n", NFINE, NLEV, NCYC);
    int bad = 0;
    setup();
    int L = NLEV - 1;

    #pragma omp parallel
    {
        double nrm = norm_fine();
        #pragma omp single
        norms[0] = nrm;
        for (int c = 1; c <= NCYC; c++) {
            vcycle(L);
            nrm = norm_fine();
            #pragma omp single
            norms[c] = nrm;
        }
    }
    size_t np = points(NFINE);
    uint64_t hpar = hash_d(u[L], np);
    double *upar = malloc(np * sizeof(double));
    memcpy(upar, u[L], np * sizeof(double));
    double centre = u[L][ID(NFINE, NFINE / 2, NFINE / 2, NFINE / 2)];

    // Sequential reference: the same routines outside any region.
    double snorms[NCYC + 1];
    memset(u[L], 0, np * sizeof(double));
    snorms[0] = norm_fine();
    for (int c = 1; c <= NCYC; c++) {
        vcycle(L);
        snorms[c] = norm_fine();
    }
    int same_u = memcmp(upar, u[L], np * sizeof(double)) == 0;
    free(upar);

    int ratios_ok = 1, norms_ok = 1;
    for (int c = 0; c <= NCYC; c++) {
#ifdef MG_DEBUG
        fprintf(stderr, "%.17g %.17g\n", norms[c], c ? norms[c] / norms[c - 1] : 0.0);
#endif
        if (c == 0) printf("cycle 0: residual norm %.4e\n", norms[c]);
        else printf("cycle %d: residual norm %.4e  reduction %.3f\n", c, norms[c], norms[c] / norms[c - 1]);
        if (c > 0 && !(norms[c] < 0.15 * norms[c - 1])) ratios_ok = 0;
        if (fabs(norms[c] - snorms[c]) > 1e-10 * snorms[c]) norms_ok = 0;
    }
    // The discrete solution of the smooth part is close to sin(pi x) sin(pi y) sin(pi z); at the
    // centre the point charges add a little.
    printf("u(centre) = %.6f, solution hash = %016llx\n", centre, (unsigned long long)hpar);
    int total_ok = norms[NCYC] < 1e-3 * norms[0];
    printf("verification: every cycle reduces the residual by a factor < 0.15: %s, by 1e3 in total: %s, "
           "equals the sequential run: solution %s, norms %s\n",
           ratios_ok ? "yes" : "NO", total_ok ? "yes" : "NO", same_u ? "yes" : "NO", norms_ok ? "yes" : "NO");
    if (!ratios_ok || !total_ok || !same_u || !norms_ok) bad++;

    for (int l = 0; l < NLEV; l++) { free(u[l]); free(f[l]); free(r[l]); }
    if (bad) { printf("FAIL 75\n"); return 1; }
    printf("75 ok\n");
    return 0;
}
