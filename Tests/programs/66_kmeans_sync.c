// Theme: an integer k-means run inside one persistent region, three ways that must agree
// exactly: (1) array-section reductions `reduction(+:sx[:K], sy[:K], cnt[:K])` plus a scalar
// reduction counting moved points, (2) atomic updates of the same shared sums with a critical
// section counting moved points, (3) per-bucket locks around each cluster's sums. Each iteration
// is a dynamic loop, then a single recomputes the centroids (integer division) and every thread
// reads the stop flag it set after the barrier to decide together whether to stop.
#include <omp.h>
#include <stdio.h>
#include <string.h>

#define P 1200
#define K 6
#define MAXIT 30

static int opaque(int x) { __asm__ volatile("" : "+r"(x)); return x; }

static int px[P], py[P], owner[P];
static long cx[K], cy[K];
static long sx[K], sy[K], cnt[K];
static long moved;
static int stop;
static omp_lock_t klock[K];

static int nearest(int i) {
    int best = 0;
    long bd = -1;
    for (int k = 0; k < K; k++) {
        long dx = px[i] - cx[k], dy = py[i] - cy[k];
        long d = dx * dx + dy * dy;
        if (bd < 0 || d < bd) { bd = d; best = k; }   // ties go to the lowest k
    }
    return best;
}

static void start(void) {
    for (int k = 0; k < K; k++) { cx[k] = px[k * 97]; cy[k] = py[k * 97]; }
    for (int i = 0; i < P; i++) owner[i] = -1;
}

// Recompute centroids from the sums (empty clusters keep their centroid); returns a fingerprint.
static unsigned long update(void) {
    unsigned long h = 17;
    for (int k = 0; k < K; k++) {
        if (cnt[k]) { cx[k] = sx[k] / cnt[k]; cy[k] = sy[k] / cnt[k]; }
        h = h * 1000003 + (unsigned long)(cx[k] * 1000 + cy[k]);
    }
    return h;
}

static void print_run(const char *what, int iters, unsigned long fp) {
    printf("%-10s iterations=%d fingerprint=%lu centroids:", what, iters, fp);
    for (int k = 0; k < K; k++) printf(" (%ld,%ld)", cx[k], cy[k]);
    printf("\n");
}

int main(void) {
    printf("66 k-means with reductions, atomics, critical and locks\n");
    int bad = 0, n = opaque(P);
    for (int i = 0; i < P; i++) {
        unsigned h = (unsigned)i * 2654435761u;
        int c = i % 5;                                    // five blobs plus noise
        px[i] = (int)(c * 180 + 60 + (h >> 24) % 120);
        py[i] = (int)(((c * 7) % 5) * 170 + 80 + (h >> 12) % 110);
    }

    // Sequential reference.
    start();
    int ref_it = 0;
    unsigned long ref_fp = 0;
    for (int it = 0; it < MAXIT; it++) {
        memset(sx, 0, sizeof sx); memset(sy, 0, sizeof sy); memset(cnt, 0, sizeof cnt);
        moved = 0;
        for (int i = 0; i < P; i++) {
            int k = nearest(i);
            if (k != owner[i]) { owner[i] = k; moved++; }
            sx[k] += px[i]; sy[k] += py[i]; cnt[k]++;
        }
        ref_fp = update();
        ref_it = it + 1;
        if (moved == 0) break;
    }
    long rcx[K], rcy[K];
    memcpy(rcx, cx, sizeof cx); memcpy(rcy, cy, sizeof cy);
    print_run("sequential", ref_it, ref_fp);

    for (int way = 0; way < 3; way++) {
        start();
        int iters = 0;
        unsigned long fp = 0;
        if (way == 2) for (int k = 0; k < K; k++) omp_init_lock(&klock[k]);
        #pragma omp parallel
        {
            for (int it = 0; it < MAXIT; it++) {
                #pragma omp single
                {
                    memset(sx, 0, sizeof sx); memset(sy, 0, sizeof sy); memset(cnt, 0, sizeof cnt);
                    moved = 0;
                }
                if (way == 0) {
                    #pragma omp for schedule(dynamic, 32) reduction(+:sx[:K], sy[:K], cnt[:K]) reduction(+:moved)
                    for (int i = 0; i < n; i++) {
                        int k = nearest(i);
                        if (k != owner[i]) { owner[i] = k; moved++; }
                        sx[k] += px[i]; sy[k] += py[i]; cnt[k]++;
                    }
                } else if (way == 1) {
                    #pragma omp for schedule(dynamic, 32)
                    for (int i = 0; i < n; i++) {
                        int k = nearest(i);
                        if (k != owner[i]) {
                            owner[i] = k;
                            #pragma omp critical(moved)
                            moved++;
                        }
                        #pragma omp atomic
                        sx[k] += px[i];
                        #pragma omp atomic
                        sy[k] += py[i];
                        #pragma omp atomic
                        cnt[k]++;
                    }
                } else {
                    #pragma omp for schedule(guided, 8) reduction(+:moved)
                    for (int i = 0; i < n; i++) {
                        int k = nearest(i);
                        if (k != owner[i]) { owner[i] = k; moved++; }
                        omp_set_lock(&klock[k]);
                        sx[k] += px[i]; sy[k] += py[i]; cnt[k]++;
                        omp_unset_lock(&klock[k]);
                    }
                }
                #pragma omp single
                {
                    fp = update();
                    iters = it + 1;
                    stop = moved == 0;
                }
                // Every thread reads the same value: `stop` is written again only after two more
                // barriers, while `moved` is reset by the next round's first single.
                if (stop) break;
            }
        }
        if (way == 2) for (int k = 0; k < K; k++) omp_destroy_lock(&klock[k]);
        static const char *names[3] = {"reduction", "atomic", "locks"};
        print_run(names[way], iters, fp);
        if (iters != ref_it || fp != ref_fp || memcmp(cx, rcx, sizeof cx) || memcmp(cy, rcy, sizeof cy)) bad++;
    }

    if (bad) { printf("FAIL 66: %d mismatches\n", bad); return 1; }
    printf("66 ok\n");
    return 0;
}
