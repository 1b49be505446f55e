// Theme: a NAS-EP-style kernel (own code). NPAIRS uniform pairs from a 64-bit linear congruential
// generator become Gaussian pairs by the Marsaglia polar method; the pairs are cut into blocks and
// each block's seed is the generator jumped ahead to the block's first number (jump-ahead by
// squaring the affine map), so the result does not depend on which thread runs a block. Counts per
// square annulus l = floor(max(|X|,|Y|)) and the sums of X and Y are accumulated three ways:
// (1) a dynamic `parallel for` with `reduction(+:)` on an array section, on doubles and on 64-bit
//     fixed-point sums (exact, order independent);
// (2) a `parallel` region with a static `omp for` storing per-block results, per-thread counts
//     merged in a `critical` section, and the block sums combined in block order afterwards
//     (bit-exact whatever the team);
// (3) one sequential pass over the whole stream without any jump.
// Counts and fixed-point sums must be equal, the double sums equal within a tolerance; the double
// sums of (1) are printed with few digits, those of (2) in full.
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define LOGPAIRS 21
#define NPAIRS (1L << LOGPAIRS)
#define LOGBLK 12
#define BLK (1L << LOGBLK)
#define NBLK (NPAIRS / BLK)
#define NQ 10
#define SEED 271828183ULL
#define MULT 6364136223846793005ULL
#define INC 1442695040888963407ULL
#define FIX 4294967296.0   // 2^32: fixed-point scale of the exact sums

struct affine { uint64_t a, c; };   // s -> a*s + c (mod 2^64)

static struct affine jump(uint64_t n) {
    struct affine r = {1, 0}, p = {MULT, INC};
    while (n) {
        if (n & 1) r = (struct affine){r.a * p.a, r.c * p.a + p.c};   // apply r, then p
        p = (struct affine){p.a * p.a, p.c * p.a + p.c};
        n >>= 1;
    }
    return r;
}

static inline double next_unit(uint64_t *s) {
    *s = *s * MULT + INC;
    return (double)(*s >> 11) * (1.0 / 9007199254740992.0);
}

struct tally { long q[NQ]; long accepted; double sx, sy; long ix, iy; };

// One pair from the stream, added to t if it is accepted.
static inline void pair(uint64_t *s, struct tally *t) {
    double x = 2.0 * next_unit(s) - 1.0, y = 2.0 * next_unit(s) - 1.0;
    double r = x * x + y * y;
    if (r > 1.0 || r == 0.0) return;
    double f = sqrt(-2.0 * log(r) / r);
    double gx = x * f, gy = y * f;
    int l = (int)fmax(fabs(gx), fabs(gy));
    t->q[l < NQ ? l : NQ - 1]++;
    t->accepted++;
    t->sx += gx;
    t->sy += gy;
    t->ix += llround(gx * FIX);
    t->iy += llround(gy * FIX);
}

static void block(long b, struct tally *t) {
    struct affine j = jump((uint64_t)b * BLK * 2);
    uint64_t s = j.a * SEED + j.c;
    for (long k = 0; k < BLK; k++) pair(&s, t);
}

static struct tally blk[NBLK];
static long qcrit[NQ];

int main(void) {
    printf("74 NAS-style EP: 2^%d pairs in %ld blocks\n", LOGPAIRS, (long)NBLK);
    int bad = 0;

    // (1) reductions
    long q[NQ] = {0}, accepted = 0, ix = 0, iy = 0;
    double sx = 0.0, sy = 0.0;
    #pragma omp parallel for schedule(dynamic, 4) reduction(+:q[:NQ], accepted, sx, sy, ix, iy)
    for (long b = 0; b < NBLK; b++) {
        struct tally t;
        memset(&t, 0, sizeof t);
        block(b, &t);
        for (int l = 0; l < NQ; l++) q[l] += t.q[l];
        accepted += t.accepted;
        sx += t.sx;
        sy += t.sy;
        ix += t.ix;
        iy += t.iy;
    }

    // (2) per-block results, per-thread counts merged under critical
    #pragma omp parallel
    {
        long mine[NQ] = {0};
        #pragma omp for schedule(static)
        for (long b = 0; b < NBLK; b++) {
            memset(&blk[b], 0, sizeof blk[b]);
            block(b, &blk[b]);
            for (int l = 0; l < NQ; l++) mine[l] += blk[b].q[l];
        }
        #pragma omp critical
        for (int l = 0; l < NQ; l++) qcrit[l] += mine[l];
    }
    struct tally two;
    memset(&two, 0, sizeof two);
    for (long b = 0; b < NBLK; b++) {
        for (int l = 0; l < NQ; l++) two.q[l] += blk[b].q[l];
        two.accepted += blk[b].accepted;
        two.sx += blk[b].sx;
        two.sy += blk[b].sy;
        two.ix += blk[b].ix;
        two.iy += blk[b].iy;
    }

    // (3) sequential, one stream
    struct tally seq;
    memset(&seq, 0, sizeof seq);
    uint64_t s = SEED;
    for (long k = 0; k < NPAIRS; k++) pair(&s, &seq);

#ifdef EP_DEBUG
    fprintf(stderr, "%.17g %.17g\n", sx, sy);
#endif
    printf("accepted pairs: %ld (fraction %.5f, pi/4 = %.5f)\n", accepted, (double)accepted / NPAIRS, M_PI / 4);
    printf("annulus counts:");
    for (int l = 0; l < NQ; l++) printf(" %ld", q[l]);
    printf("\nsum X = %.4f  sum Y = %.4f (reduction)\n", sx, sy);
    printf("sum X = %.12f  sum Y = %.12f (per block, in block order)\n", two.sx, two.sy);
    printf("sum X = %.10f  sum Y = %.10f (fixed point, exact)\n", ix / FIX, iy / FIX);

    int counts_ok = accepted == seq.accepted && two.accepted == seq.accepted;
    for (int l = 0; l < NQ; l++)
        if (q[l] != seq.q[l] || two.q[l] != seq.q[l] || qcrit[l] != seq.q[l]) counts_ok = 0;
    int fixed_ok = ix == seq.ix && iy == seq.iy && two.ix == seq.ix && two.iy == seq.iy;
    double tol = 1e-9 * sqrt((double)NPAIRS);
    int sums_ok = fabs(sx - seq.sx) < tol && fabs(sy - seq.sy) < tol && fabs(two.sx - seq.sx) < tol &&
                  fabs(two.sy - seq.sy) < tol && fabs(ix / FIX - seq.sx) < tol && fabs(iy / FIX - seq.sy) < tol;
    // The polar method accepts pi/4 of the pairs; X and Y are standard normal, so their sums are
    // O(sqrt(n)) and the annulus counts decrease.
    double frac = (double)accepted / NPAIRS;
    int stats_ok = fabs(frac - M_PI / 4) < 0.002 && fabs(sx) < 5 * sqrt((double)accepted) &&
                   fabs(sy) < 5 * sqrt((double)accepted);
    for (int l = 1; l < NQ; l++) if (q[l] > q[l - 1]) stats_ok = 0;
    printf("verification: counts equal to the sequential pass: %s, fixed-point sums equal: %s, "
           "double sums within %.1e: %s, statistics plausible: %s\n",
           counts_ok ? "yes" : "NO", fixed_ok ? "yes" : "NO", tol, sums_ok ? "yes" : "NO", stats_ok ? "yes" : "NO");
    if (!counts_ok || !fixed_ok || !sums_ok || !stats_ok) bad++;

    if (bad) { printf("FAIL 74\n"); return 1; }
    printf("74 ok\n");
    return 0;
}
