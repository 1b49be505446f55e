// Theme: shared data in global variables: initialised arrays (.data), zero-initialised arrays (.bss),
// a global struct written field by field, a static local, and global scalars written by one thread.
#include <omp.h>
#include <stdio.h>
#include <string.h>

#define ND 1000
#define NB 50000
#define NH 64

int gdata[ND] = {5, 3, 8, 1, 9, 2, 7, 4, 6, 0};    // .data (first 10 non-zero)
static double gbss[NB];                           // .bss
long gbss_long[NB / 2];                           // .bss, external linkage
int gscalar_master = -1;                          // .data
static long long gscalar_last;                    // .bss

struct config {
    int n;
    double scale;
    char name[16];
    long hist[NH];
    short flags[NH];
};
struct config gcfg = {NB, 0.5, "config", {0}, {0}};

static int *counter_slot(void) {
    static int slots[NH];                         // function-local static (.bss)
    return slots;
}

int main(void) {
    printf("04 globals\n");
    // Sequential update of .data before the regions.
    for (int i = 10; i < ND; i++) gdata[i] = (i * 7919) % 1000;

    #pragma omp parallel for schedule(static)
    for (int i = 0; i < NB; i++) gbss[i] = gdata[i % ND] * gcfg.scale + i;

    #pragma omp parallel for schedule(static, 3)
    for (int i = 0; i < NB / 2; i++) gbss_long[i] = (long)gdata[(i * 3) % ND] * i;

    // Each histogram bucket is computed by exactly one iteration; the flags array is written in the
    // same region with a different chunking (different bytes of the same struct, different threads).
    #pragma omp parallel
    {
        #pragma omp for schedule(static) nowait
        for (int b = 0; b < NH; b++) {
            long cnt = 0;
            for (int i = 0; i < ND; i++)
                if (gdata[i] % NH == b) cnt++;
            gcfg.hist[b] = cnt;
            counter_slot()[b] = (int)cnt * 2;
        }
        #pragma omp for schedule(static, 1) nowait
        for (int b = 0; b < NH; b++) gcfg.flags[b] = (short)(b * 3 - 7);

        #pragma omp master
        {
            gscalar_master = 4242;
            strcpy(gcfg.name, "updated");
            gcfg.n = 12345;
        }
        if (omp_get_thread_num() == omp_get_num_threads() - 1) gscalar_last = 9876543210LL;
    }

    int bad = 0;
    for (int i = 0; i < NB; i++)
        if (gbss[i] != gdata[i % ND] * 0.5 + i) bad++;
    for (int i = 0; i < NB / 2; i++)
        if (gbss_long[i] != (long)gdata[(i * 3) % ND] * i) bad++;
    long total = 0;
    for (int b = 0; b < NH; b++) {
        long cnt = 0;
        for (int i = 0; i < ND; i++)
            if (gdata[i] % NH == b) cnt++;
        if (gcfg.hist[b] != cnt || counter_slot()[b] != (int)cnt * 2) bad++;
        if (gcfg.flags[b] != (short)(b * 3 - 7)) bad++;
        total += gcfg.hist[b];
    }
    if (gscalar_master != 4242 || gscalar_last != 9876543210LL) bad++;
    if (strcmp(gcfg.name, "updated") != 0 || gcfg.n != 12345) bad++;

    double s = 0.0;
    long long sl = 0;
    for (int i = 0; i < NB; i++) s += gbss[i];
    for (int i = 0; i < NB / 2; i++) sl += gbss_long[i];
    printf("gbss sum=%.3f gbss_long sum=%lld hist total=%ld hist[5]=%ld name=%s n=%d\n", s, sl, total,
           gcfg.hist[5], gcfg.name, gcfg.n);
    if (bad) { printf("FAIL 04: %d mismatches\n", bad); return 1; }
    printf("04 ok\n");
    return 0;
}
