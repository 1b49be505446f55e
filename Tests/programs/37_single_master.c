// Theme: `single` (with its implicit barrier and with nowait), `master` and `masked`: a single
// executes exactly once per encounter (counted), its writes are seen by every thread after its
// barrier; 100 singles in a loop append to a log in order; nowait singles write their own slots
// and are followed by an explicit barrier; singles, masters and masked blocks that printf;
// firstprivate/private on single; masked with filter(0) and filter(last thread); an orphaned single
// in a function called inside and outside a region.
#include <omp.h>
#include <stdint.h>
#include <stdio.h>

#define MAXT 256
#define NS 100

static int once_count;
static int log_[NS], loglen;
static int slots[NS];
static long seen_by[MAXT];
static int orphan_runs;
static long orphan_val;

__attribute__((noinline)) static void orphan_single(long v) {
    #pragma omp single
    {
        orphan_runs++;
        orphan_val += v;
    }
}

int main(void) {
    printf("37 single, master, masked\n");
    int bad = 0;
    long shared_val = 0;
    int team = 0;

    #pragma omp parallel
    {
        int t = omp_get_thread_num();
        #pragma omp single
        {
            once_count++;
            shared_val = 12345;
            team = omp_get_num_threads();
            printf("single: executed once\n");
        }
        // After the single's barrier every thread sees shared_val.
        if (t < MAXT) seen_by[t] = shared_val * 2;

        // 100 singles in a loop: each appends to the log; the implicit barrier keeps them in order.
        for (int k = 0; k < NS; k++) {
            #pragma omp single
            log_[loglen++] = k * k;
        }

        // nowait singles: possibly concurrent, so each writes its own slot; then a barrier.
        for (int k = 0; k < NS; k++) {
            #pragma omp single nowait
            slots[k] = k + 1000;
        }
        #pragma omp barrier

        #pragma omp master
        printf("master: slots[0]=%d slots[99]=%d loglen=%d\n", slots[0], slots[99], loglen);
    }
    if (once_count != 1 || shared_val != 12345) bad++;
    for (int t = 0; t < team && t < MAXT; t++) if (seen_by[t] != 24690) bad++;
    if (loglen != NS) bad++;
    long lsum = 0;
    for (int k = 0; k < NS; k++) {
        if (log_[k] != k * k || slots[k] != k + 1000) bad++;
        lsum += log_[k];
    }
    printf("log sum=%ld\n", lsum);

    // master writes, explicit barrier, everyone reads; masked variants.
    long mval = 0, last_val = 0, filt0 = 0;
    int fp = 7, pv = -1;
    static long copies[MAXT];
    #pragma omp parallel
    {
        int t = omp_get_thread_num(), nt = omp_get_num_threads();
        #pragma omp master
        mval = 777;
        #pragma omp barrier
        if (t < MAXT) copies[t] = mval + 1;
        #pragma omp masked
        {
            filt0 = 1;
            printf("masked (filter 0)\n");
        }
        #pragma omp barrier                           // masked has no barrier; keeps the prints ordered
        #pragma omp masked filter(nt - 1)
        {
            last_val = 31;                            // the last thread of the team
            printf("masked (last thread)\n");
        }
        #pragma omp barrier
        #pragma omp single firstprivate(fp) private(pv)
        {
            pv = fp * 3;                              // private copies: the originals do not change
            fp += pv;
            printf("single firstprivate: fp=%d pv=%d\n", fp, pv);
        }
        orphan_single(5);
    }
    printf("after region 2: mval=%ld last_val=%ld filt0=%ld fp=%d pv=%d\n", mval, last_val, filt0, fp, pv);
    if (mval != 777 || last_val != 31 || filt0 != 1 || fp != 7 || pv != -1) bad++;
    for (int t = 0; t < team && t < MAXT; t++) if (copies[t] != 778) bad++;

    // The orphaned single outside any region runs once, too.
    orphan_single(100);
    printf("orphan single: runs=%d val=%ld\n", orphan_runs, orphan_val);
    if (orphan_runs != 2 || orphan_val != 105) bad++;

    // master inside a loop of regions, with sequential prints between.
    for (int r = 0; r < 3; r++) {
        printf("before region r=%d\n", r);
        #pragma omp parallel
        {
            #pragma omp master
            printf("  master in region r=%d\n", r);
            #pragma omp barrier
            #pragma omp single
            printf("  single in region r=%d\n", r);
        }
    }

    if (bad) { printf("FAIL 37: %d mismatches\n", bad); return 1; }
    printf("37 ok\n");
    return 0;
}
