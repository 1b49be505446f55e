// Theme: task dependences whose results only hold if the dependences are honoured: an inout chain
// of non-commutative updates on one variable with in-readers between the writers; independent
// per-element chains (array-element dependences); a 2-D wavefront where block (i,j) depends on
// (i-1,j) and (i,j-1); an undeferred if(0) task with dependences; mutexinoutset updates
// (commutative, any order); `taskwait depend`; a reader of array sections written by several
// tasks (the same sections listed); a depend iterator over all elements. Heavier work in early
// tasks tempts later ones to run first.
#include <omp.h>
#include <stdint.h>
#include <stdio.h>

#define CH 60
#define NE 64
#define WB 24

static long x;
static long snap[CH];
static long elem[NE];
static long wave[WB][WB];
static long mutex_sum;
static long sec_a[16], sec_read[4];

static long spin(long v, int n) {
    uint64_t h = (uint64_t)v;
    for (int k = 0; k < n; k++) {
        h = h * 6364136223846793005ULL + 1;
        __asm__ volatile("" : "+r"(h));              // keeps the loop: costs time, returns v
    }
    return v;
}

int main(void) {
    printf("44 task dependences\n");
    int bad = 0;

    long wait_seen = -1, allmem_seen = -1, ifzero_seen = -1;
    #pragma omp parallel
    {
        #pragma omp single
        {
            // Chain: writers x = x*3 + k (order matters); after each writer a reader takes a snapshot.
            x = 1;
            for (int k = 0; k < CH; k++) {
                #pragma omp task depend(inout: x) firstprivate(k)
                x = (spin(x, (CH - k) * 200) * 3 + k) % 1000000007L;
                #pragma omp task depend(in: x) firstprivate(k)
                snap[k] = x;
            }

            // Independent chains per element: elem[e] goes through 10 ordered steps.
            for (int step = 0; step < 10; step++)
                for (int e = 0; e < NE; e++) {
                    #pragma omp task depend(inout: elem[e]) firstprivate(e, step)
                    elem[e] = spin(elem[e], (10 - step) * 100) * 2 + step + e;
                }

            // Wavefront: wave[i][j] = wave[i-1][j] + 2*wave[i][j-1] + 1 (mod p).
            for (int i = 0; i < WB; i++)
                for (int j = 0; j < WB; j++) {
                    long *up = i > 0 ? &wave[i - 1][j] : &wave[i][j];
                    long *left = j > 0 ? &wave[i][j - 1] : &wave[i][j];
                    #pragma omp task depend(in: *up, *left) depend(out: wave[i][j]) firstprivate(i, j)
                    {
                        long u = i > 0 ? wave[i - 1][j] : 1;
                        long l = j > 0 ? wave[i][j - 1] : 1;
                        wave[i][j] = (spin(u, (WB - i) * 50) + 2 * l + 1) % 1000003;
                    }
                }

            // mutexinoutset: additions in any order, but never concurrently.
            for (int k = 1; k <= 50; k++) {
                #pragma omp task depend(mutexinoutset: mutex_sum) firstprivate(k)
                mutex_sum += spin(k, 100);
            }
            #pragma omp task depend(in: mutex_sum)
            sec_read[3] = mutex_sum;                  // after all the mutexinoutset tasks

            // Section writers, then a reader of the whole array section.
            for (int k = 0; k < 16; k += 4) {
                #pragma omp task depend(out: sec_a[k:4]) firstprivate(k)
                for (int m = k; m < k + 4; m++) sec_a[m] = spin(m * 10, 500);
            }
            #pragma omp task depend(in: sec_a[0:4], sec_a[4:4], sec_a[8:4], sec_a[12:4])
            {
                long s = 0;
                for (int m = 0; m < 16; m++) s += sec_a[m];
                sec_read[0] = s;
            }

            // An undeferred task still waits for its dependences.
            #pragma omp task depend(in: x) if(0) shared(ifzero_seen)
            ifzero_seen = x;

            // Wait only for the tasks x depends on.
            #pragma omp taskwait depend(in: x)
            wait_seen = x;

            // A task depending on every element (an iterator) and on the wavefront's last block.
            #pragma omp task depend(iterator(e = 0:NE), in: elem[e]) depend(in: wave[WB - 1][WB - 1]) \
                shared(allmem_seen)
            {
                long s = 0;
                for (int e = 0; e < NE; e++) s += elem[e];
                allmem_seen = s + wave[WB - 1][WB - 1];
            }
            #pragma omp taskwait
        }
    }

    long ex = 1;
    int wrong = 0;
    for (int k = 0; k < CH; k++) {
        ex = (ex * 3 + k) % 1000000007L;
        if (snap[k] != ex) wrong++;
    }
    if (x != ex || wait_seen != ex || ifzero_seen != ex) wrong++;
    printf("chain: x=%ld snap[0]=%ld snap[30]=%ld%s\n", x, snap[0], snap[30], wrong ? " WRONG" : "");
    bad += wrong;

    wrong = 0;
    long esum = 0;
    for (int e = 0; e < NE; e++) {
        long v = 0;
        for (int step = 0; step < 10; step++) v = v * 2 + step + e;
        if (elem[e] != v) wrong++;
        esum += elem[e];
    }
    printf("element chains: sum=%ld%s\n", esum, wrong ? " WRONG" : "");
    bad += wrong;

    wrong = 0;
    static long ew[WB][WB];
    uint64_t h = 1469598103934665603ULL;
    for (int i = 0; i < WB; i++)
        for (int j = 0; j < WB; j++) {
            long u = i > 0 ? ew[i - 1][j] : 1;
            long l = j > 0 ? ew[i][j - 1] : 1;
            ew[i][j] = (u + 2 * l + 1) % 1000003;
            if (wave[i][j] != ew[i][j]) wrong++;
            h = (h ^ (uint64_t)wave[i][j]) * 1099511628211ULL;
        }
    printf("wavefront: corner=%ld hash=%016llx%s\n", wave[WB - 1][WB - 1], (unsigned long long)h,
           wrong ? " WRONG" : "");
    bad += wrong;

    printf("mutexinoutset: sum=%ld read=%ld\n", mutex_sum, sec_read[3]);
    if (mutex_sum != 1275 || sec_read[3] != 1275) bad++;
    long es = 0;
    for (int m = 0; m < 16; m++) es += m * 10;
    printf("sections: read=%ld\n", sec_read[0]);
    if (sec_read[0] != es) bad++;
    printf("iterator reader saw=%ld\n", allmem_seen);
    if (allmem_seen != esum + ew[WB - 1][WB - 1]) bad++;

    if (bad) { printf("FAIL 44: %d mismatches\n", bad); return 1; }
    printf("44 ok\n");
    return 0;
}
