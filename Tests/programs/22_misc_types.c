// Theme: unusual element types and write patterns: long double (10 value bytes in a 16-byte slot),
// __int128, _Bool, _Complex double, packed structs with unaligned fields written by different
// threads, and memset/memcpy of hand-computed byte ranges with odd boundaries inside a region.
#include <complex.h>
#include <omp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define N 4001
#define NB 100003

struct __attribute__((packed)) pk {
    char c;
    int i;        // unaligned
    short s;      // unaligned
    double d;     // unaligned
};

static long double ld[N];
static __int128 big[N];
static bool flags[N];
static double complex z[N];
static struct pk packed[N];
static unsigned char bytes[NB], src[NB];

int main(void) {
    printf("22 misc types\n");
    for (int i = 0; i < NB; i++) src[i] = (unsigned char)(i * 13 + 7);
    memset(bytes, 0xee, sizeof bytes);

    #pragma omp parallel
    {
        #pragma omp for schedule(static, 1) nowait
        for (int i = 0; i < N; i++) ld[i] = (long double)i / 3.0L;
        #pragma omp for schedule(static, 1) nowait
        for (int i = 0; i < N; i++) big[i] = ((__int128)i << 70) + i;
        #pragma omp for schedule(static, 1) nowait
        for (int i = 0; i < N; i++) flags[i] = (i % 3) == 0;
        #pragma omp for schedule(static, 2) nowait
        for (int i = 0; i < N; i++) z[i] = i * 0.5 + (i * 0.25) * I;
        // Fields of the packed struct: each field loop with its own chunking.
        #pragma omp for schedule(static, 1) nowait
        for (int i = 0; i < N; i++) packed[i].c = (char)(i & 0x7f);
        #pragma omp for schedule(static, 3) nowait
        for (int i = 0; i < N; i++) packed[i].i = i * -7;
        #pragma omp for schedule(static, 1) nowait
        for (int i = 0; i < N; i++) packed[i].s = (short)(i * 5);
        #pragma omp for schedule(static, 5) nowait
        for (int i = 0; i < N; i++) packed[i].d = i * 1.5;

        // Hand-partitioned byte ranges with odd boundaries: thread t copies/sets [lo, hi).
        int t = omp_get_thread_num(), nt = omp_get_num_threads();
        long lo = (long)NB * t / nt, hi = (long)NB * (t + 1) / nt;
        long mid = lo + (hi - lo) / 3;
        if (mid > lo) memset(bytes + lo, 0x11, (size_t)(mid - lo));
        if (hi > mid) memcpy(bytes + mid, src + mid, (size_t)(hi - mid));
    }

    int bad = 0;
    uint64_t h = 1469598103934665603ULL;
#define MIX(p, n) do { const unsigned char *q_ = (const unsigned char *)(p); \
        for (size_t k_ = 0; k_ < (n); k_++) { h ^= q_[k_]; h *= 1099511628211ULL; } } while (0)
    for (int i = 0; i < N; i++) {
        if (ld[i] != (long double)i / 3.0L) bad++;
        if (big[i] != ((__int128)i << 70) + i) bad++;
        if (flags[i] != ((i % 3) == 0)) bad++;
        if (creal(z[i]) != i * 0.5 || cimag(z[i]) != i * 0.25) bad++;
        if (packed[i].c != (char)(i & 0x7f) || packed[i].i != i * -7 || packed[i].s != (short)(i * 5) ||
            packed[i].d != i * 1.5)
            bad++;
        MIX(&ld[i], 10);                      // only the 10 value bytes of the x87 format
        MIX(&big[i], 16);
        MIX(&flags[i], 1);
        MIX(&z[i], 16);
        MIX(&packed[i], sizeof packed[i]);
    }
    // Expected bytes: the first third of every thread's range is 0x11, the rest is src. The set of
    // bytes depends on the partition, so check per byte and hash only a partition-independent view.
    long n11 = 0;
    for (int i = 0; i < NB; i++) {
        if (bytes[i] == 0x11) n11++;
        else if (bytes[i] != src[i]) bad++;
    }
    long long ssum = 0;
    for (int i = 0; i < NB; i++) ssum += src[i];
    printf("hash=%016llx bytes ok=%d src sum=%lld\n", (unsigned long long)h, n11 > 0 || NB == 0, ssum);
    if (bad) { printf("FAIL 22: %d mismatches\n", bad); return 1; }
    printf("22 ok\n");
    return 0;
}
