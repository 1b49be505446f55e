// Theme: collapse(2) with static schedules on 2-D arrays (including a non-rectangular-size grid and a
// chunked collapse), and a 200x200 matrix multiplication in parallel checked bit-exactly against a
// sequential multiplication.
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define R 123
#define C 77
#define NM 200

static int grid[R][C];
static double A[NM][NM], B[NM][NM], Cp[NM][NM], Cs[NM][NM], Ct[NM][NM];

int main(void) {
    printf("15 collapse(2) and matmul\n");
    int bad = 0;

    #pragma omp parallel for collapse(2) schedule(static)
    for (int i = 0; i < R; i++)
        for (int j = 0; j < C; j++) grid[i][j] = i * 1000 + j;

    #pragma omp parallel for collapse(2) schedule(static, 5)
    for (int i = 0; i < R; i++)
        for (int j = 0; j < C; j++) grid[i][j] += (i ^ j) & 7;

    #pragma omp parallel for collapse(2)
    for (int i = 0; i < NM; i++)
        for (int j = 0; j < NM; j++) {
            A[i][j] = (double)((i * 7 + j * 3) % 17) - 8.0;
            B[i][j] = (double)((i * 5 + j * 11) % 13) * 0.5;
        }

    // Row-parallel product.
    #pragma omp parallel for schedule(static)
    for (int i = 0; i < NM; i++)
        for (int j = 0; j < NM; j++) {
            double s = 0.0;
            for (int k = 0; k < NM; k++) s += A[i][k] * B[k][j];
            Cp[i][j] = s;
        }

    // Element-parallel product with collapse(2) and a chunk.
    #pragma omp parallel for collapse(2) schedule(static, 17)
    for (int i = 0; i < NM; i++)
        for (int j = 0; j < NM; j++) {
            double s = 0.0;
            for (int k = 0; k < NM; k++) s += A[i][k] * B[k][j];
            Ct[i][j] = s;
        }

    for (int i = 0; i < NM; i++)
        for (int j = 0; j < NM; j++) {
            double s = 0.0;
            for (int k = 0; k < NM; k++) s += A[i][k] * B[k][j];
            Cs[i][j] = s;
        }

    for (int i = 0; i < R; i++)
        for (int j = 0; j < C; j++)
            if (grid[i][j] != i * 1000 + j + ((i ^ j) & 7)) bad++;
    if (memcmp(Cp, Cs, sizeof Cs) != 0) bad++;
    if (memcmp(Ct, Cs, sizeof Cs) != 0) bad++;

    long long gs = 0;
    for (int i = 0; i < R; i++)
        for (int j = 0; j < C; j++) gs += grid[i][j];
    double tr = 0.0, all = 0.0;
    for (int i = 0; i < NM; i++) {
        tr += Cp[i][i];
        for (int j = 0; j < NM; j++) all += Cp[i][j];
    }
    printf("grid sum=%lld trace=%.3f sum=%.3f C[17][42]=%.3f\n", gs, tr, all, Cp[17][42]);
    if (bad) { printf("FAIL 15: %d mismatches\n", bad); return 1; }
    printf("15 ok\n");
    return 0;
}
