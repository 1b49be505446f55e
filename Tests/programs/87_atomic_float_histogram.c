// Theme: atomic updates that gcc emits as compare-exchange loops (float, double and short bins, and
// x *= 3 on a long), which run locally and merge at the next sync point: 600,000 updates between
// two barriers from non-zero starting values. The values are small multiples of powers of two, so
// every order of the updates gives the same float result and the output is libgomp's at any
// thread count.
#include <omp.h>
#include <stdio.h>

#define N 200000
#define NB 512
static float fbins[NB];
static double dbins[NB];
static short sbins[NB];
static long prod = 7;
static double scale = 3.0;

int main(void) {
    printf("87 float histogram\n");
    for (int b = 0; b < NB; b++) { fbins[b] = 1.5f * (b % 7); dbins[b] = -0.25 * b; sbins[b] = (short)(30000 - b); }
    #pragma omp parallel
    {
        #pragma omp barrier
        #pragma omp for schedule(static)
        for (int i = 0; i < N; i++) {
            unsigned h = (unsigned)i * 2654435761u;
            #pragma omp atomic
            fbins[h % NB] += 0.5f;
            #pragma omp atomic
            dbins[(h >> 9) % NB] -= 0.125;
            #pragma omp atomic
            sbins[(h >> 18) % NB] += 7; // wraps past 32767: modulo 2^16, exact in any order
        }
        #pragma omp for schedule(static)
        for (int i = 0; i < 40; i++) {
            if (i % 8 == 0) {
                #pragma omp atomic
                prod *= 3;
            }
            #pragma omp atomic
            scale *= 2.0; // powers of two: exact in any order
        }
        #pragma omp barrier
    }
    // Several sync points: the merged values are the next epoch's starting values.
    for (int round = 0; round < 3; round++) {
        #pragma omp parallel for schedule(static)
        for (int i = 0; i < 3000; i++) {
            #pragma omp atomic
            fbins[i % 5] -= 0.25f;
            #pragma omp atomic
            prod *= 3;
        }
    }
    double fsum = 0, dsum = 0;
    long ssum = 0;
    for (int b = 0; b < NB; b++) { fsum += fbins[b]; dsum += dbins[b]; ssum += sbins[b]; }
    printf("float: sum=%.3f bins %.2f %.2f %.2f %.2f\n", fsum, fbins[0], fbins[1], fbins[5], fbins[NB - 1]);
    printf("double: sum=%.4f bins %.4f %.4f\n", dsum, dbins[0], dbins[NB - 1]);
    printf("short: sum=%ld bins %d %d %d\n", ssum, sbins[0], sbins[1], sbins[NB - 1]);
    printf("long product=%ld scale=%.1f\n", prod, scale);
    unsigned long check = 0;
    for (int b = 0; b < NB; b++) check = check * 31 + (unsigned long)(fbins[b] * 8) + (unsigned long)(dbins[b] * 8) * 7 + (unsigned short)sbins[b];
    printf("check=%lu\n87 ok\n", check);
    return 0;
}
