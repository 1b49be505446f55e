// Theme: collapse(2) and collapse(3) loop nests under dynamic, guided, runtime, auto and chunked
// static schedules: non-zero and negative lower bounds, descending and strided inner loops, an inner
// loop with zero trips (the whole nest is empty), long and int indices mixed, lastprivate of the
// collapsed indices, and a separate-form region where a collapsed dynamic loop reads the results of
// a collapsed guided loop through the implicit barrier. Checked against sequential nests.
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define NI 37
#define NJ 41
#define NK 9

static double A[NI][NJ], B[NI][NJ], R[NI][NJ];
static int C3[NI][NJ][NK], R3[NI][NJ][NK];
static unsigned char H[NI][NJ];

static int opaque(int x) { __asm__ volatile("" : "+r"(x)); return x; }

static double fa(int i, int j) { return i * 1.25 - j * 0.5 + (i ^ j) * 0.125; }

static uint64_t hash_d(const double *p, size_t n) {
    uint64_t h = 1469598103934665603ULL;
    const unsigned char *q = (const unsigned char *)p;
    for (size_t k = 0; k < n * sizeof(double); k++) h = (h ^ q[k]) * 1099511628211ULL;
    return h;
}

static int bad;

static void check2(const char *name) {
    int wrong = 0, visits = 0;
    for (int i = 0; i < NI; i++)
        for (int j = 0; j < NJ; j++) {
            if (A[i][j] != R[i][j]) wrong++;
            visits += H[i][j];
            if (H[i][j] > 1) wrong++;
        }
    bad += wrong;
    printf("%-32s visits=%4d hash=%016llx%s\n", name, visits, (unsigned long long)hash_d(&A[0][0], NI * NJ),
           wrong ? " WRONG" : "");
}

static void clear2(void) { memset(A, 0, sizeof A); memset(R, 0, sizeof R); memset(H, 0, sizeof H); }

int main(void) {
    printf("31 collapse with dynamic schedules\n");
    int ni = opaque(NI), nj = opaque(NJ), zero = opaque(0);

    clear2();
    #pragma omp parallel for collapse(2) schedule(dynamic)
    for (int i = 0; i < ni; i++)
        for (int j = 0; j < nj; j++) { A[i][j] = fa(i, j); H[i][j]++; }
    for (int i = 0; i < ni; i++) for (int j = 0; j < nj; j++) R[i][j] = fa(i, j);
    check2("collapse(2) dynamic");

    clear2();
    #pragma omp parallel for collapse(2) schedule(dynamic, 13)
    for (int i = ni - 1; i >= 0; i--)
        for (int j = 1; j < nj; j += 3) { A[i][j] = fa(j, i); H[i][j]++; }
    for (int i = ni - 1; i >= 0; i--) for (int j = 1; j < nj; j += 3) R[i][j] = fa(j, i);
    check2("collapse(2) dynamic,13 down/step");

    clear2();
    #pragma omp parallel for collapse(2) schedule(guided)
    for (long i = -5; i < ni - 5; i++)
        for (int j = nj - 1; j >= 0; j -= 2) { A[i + 5][j] = fa((int)i, j) * 2; H[i + 5][j]++; }
    for (long i = -5; i < ni - 5; i++) for (int j = nj - 1; j >= 0; j -= 2) R[i + 5][j] = fa((int)i, j) * 2;
    check2("collapse(2) guided long/int");

    clear2();
    #pragma omp parallel for collapse(2) schedule(guided, 7)
    for (int i = 2; i < ni; i += 5)
        for (int j = 0; j < nj; j++) { A[i][j] = -fa(i, j); H[i][j]++; }
    for (int i = 2; i < ni; i += 5) for (int j = 0; j < nj; j++) R[i][j] = -fa(i, j);
    check2("collapse(2) guided,7 strided outer");

    omp_set_schedule(omp_sched_dynamic, 4);
    clear2();
    #pragma omp parallel for collapse(2) schedule(runtime)
    for (int i = 0; i < ni; i++)
        for (int j = 0; j < nj; j++) { A[i][j] = fa(i, j) + 1; H[i][j]++; }
    for (int i = 0; i < ni; i++) for (int j = 0; j < nj; j++) R[i][j] = fa(i, j) + 1;
    check2("collapse(2) runtime dynamic,4");

    omp_set_schedule(omp_sched_guided, 3);
    clear2();
    #pragma omp parallel for collapse(2) schedule(runtime)
    for (int i = 0; i < ni; i++)
        for (int j = nj - 1; j >= 0; j--) { A[i][j] = fa(i, j) - 1; H[i][j]++; }
    for (int i = 0; i < ni; i++) for (int j = nj - 1; j >= 0; j--) R[i][j] = fa(i, j) - 1;
    check2("collapse(2) runtime guided,3");

    clear2();
    #pragma omp parallel for collapse(2) schedule(auto)
    for (int i = 0; i < ni; i++)
        for (int j = 0; j < nj; j++) { A[i][j] = fa(i, j) * 3; H[i][j]++; }
    for (int i = 0; i < ni; i++) for (int j = 0; j < nj; j++) R[i][j] = fa(i, j) * 3;
    check2("collapse(2) auto");

    // Empty nest: the inner loop has no iterations, so nothing runs.
    clear2();
    #pragma omp parallel for collapse(2) schedule(dynamic, 2)
    for (int i = 0; i < ni; i++)
        for (int j = 5; j < 5 + zero; j++) { A[i][j] = 1; H[i][j]++; }
    check2("collapse(2) dynamic,2 empty inner");

    // collapse(3) with dynamic and guided.
    memset(C3, 0, sizeof C3);
    #pragma omp parallel for collapse(3) schedule(dynamic, 5)
    for (int i = 0; i < ni; i++)
        for (int j = 0; j < nj; j++)
            for (int k = NK - 1; k >= 0; k--) C3[i][j][k] = i * 10000 + j * 100 + k;
    #pragma omp parallel for collapse(3) schedule(guided)
    for (int i = 0; i < ni; i++)
        for (int j = 0; j < nj; j++)
            for (int k = 0; k < NK; k += 2) C3[i][j][k] = -C3[i][j][k];
    int w3 = 0;
    uint64_t h3 = 1469598103934665603ULL;
    for (int i = 0; i < NI; i++)
        for (int j = 0; j < NJ; j++)
            for (int k = 0; k < NK; k++) {
                R3[i][j][k] = (k % 2 ? 1 : -1) * (i * 10000 + j * 100 + k);
                if (C3[i][j][k] != R3[i][j][k]) w3++;
                h3 = (h3 ^ (uint32_t)C3[i][j][k]) * 1099511628211ULL;
            }
    printf("%-32s hash=%016llx%s\n", "collapse(3) dynamic,5 + guided", (unsigned long long)h3, w3 ? " WRONG" : "");
    bad += w3;

    // lastprivate of collapsed indices (and a value) with dynamic and guided schedules.
    int li = -1, lj = -1;
    double lv = 0;
    #pragma omp parallel for collapse(2) schedule(dynamic, 3) lastprivate(li, lj, lv)
    for (int i = 0; i < ni; i++)
        for (int j = 0; j < nj; j++) { li = i; lj = j; lv = fa(i, j); }
    printf("lastprivate dynamic: li=%d lj=%d lv=%.3f\n", li, lj, lv);
    if (li != NI - 1 || lj != NJ - 1 || lv != fa(NI - 1, NJ - 1)) bad++;
    int i2, j2;
    #pragma omp parallel for collapse(2) schedule(guided) lastprivate(i2, j2)
    for (i2 = 3; i2 < ni; i2 += 4)
        for (j2 = nj; j2 > 0; j2 -= 3) A[i2][j2 - 1] = i2 + j2;
    printf("lastprivate guided indices: i2=%d j2=%d\n", i2, j2);

    // Separate form: a guided collapsed loop, then a dynamic collapsed loop reading it transposed.
    clear2();
    #pragma omp parallel
    {
        #pragma omp for collapse(2) schedule(guided)
        for (int i = 0; i < ni; i++)
            for (int j = 0; j < nj; j++) B[i][j] = fa(i, j);
        #pragma omp for collapse(2) schedule(dynamic, 11)
        for (int i = 0; i < ni; i++)
            for (int j = 0; j < nj; j++) { A[i][j] = B[ni - 1 - i][nj - 1 - j] + B[i][j]; H[i][j]++; }
    }
    for (int i = 0; i < ni; i++)
        for (int j = 0; j < nj; j++) R[i][j] = fa(ni - 1 - i, nj - 1 - j) + fa(i, j);
    check2("separate guided then dynamic,11");

    if (bad) { printf("FAIL 31: %d mismatches\n", bad); return 1; }
    printf("31 ok\n");
    return 0;
}
