// Theme: single-variable reductions (one `parallel for` with one reduction clause holding one
// variable, which gcc combines with one inline atomic instruction or a compare-and-swap loop) of
// every operator + - * & | ^ && || max min on int, unsigned, long, unsigned long, long long and
// unsigned long long. Unsigned sums and products wrap modulo 2^bits on purpose (the same result in
// any combine order); signed sums use large but non-overflowing addends on the 64-bit types and
// signed products stay exact. Every result is checked against the same loop run sequentially.
#include <omp.h>
#include <stdio.h>

#define N 1000

static int opaque(int x) { __asm__ volatile("" : "+r"(x)); return x; }

static unsigned long long mix(int i) {
    unsigned long long z = (unsigned long long)i * 0x9E3779B97F4A7C15ULL + 0x632BE59BD9B4E019ULL;
    z ^= z >> 29;
    z *= 0xBF58476D1CE4E5B9ULL;
    return z ^ (z >> 32);
}

// Values fed to the operators; SG is 1 for signed types (small addends, exact products).
#define ADDV(SG, SC, i) ((SG) ? (long long)((i) * 37 % 23 - 11) * (SC) : (long long)((i) * 40503LL + 17) * (SC))
#define MULV(SG, i) ((SG) ? ((i) % 250 == 7 ? 2 : (i) % 333 == 100 ? -1 : 1) : ((i) % 7 == 1 ? 3 : 1))
#define ANDV(BITS, i) ((i) % 197 == 13 ? ~(1ULL << (((i) / 197) * 3 % (BITS))) : ~0ULL)
#define ORV(BITS, i) ((i) % 151 == 5 ? 1ULL << (((i) / 151 * 3 + 1) % (BITS)) : 0ULL)

// One function per type; every reduction is its own `parallel for` with one clause.
#define INT_TESTS(T, NAME, SG, BITS, PT, FMT, SCALE)                                                       \
    __attribute__((noinline)) static int test_##NAME(int n) {                                              \
        int bad = 0;                                                                                       \
        T r[12], s[12];                                                                                    \
        for (int k = 0; k < 12; k++) s[k] = 0;                                                             \
        T add = 5, sub = 9, mul = 3, band = (T)~0ULL, bor = 0, bxor = (T)0x5a, land1 = 1, land0 = 1;       \
        T lor1 = 0, lor0 = 0, mx = (T)mix(-1), mn = (T)mix(-2);                                            \
        r[0] = add; r[1] = sub; r[2] = mul; r[3] = band; r[4] = bor; r[5] = bxor;                          \
        r[6] = land1; r[7] = land0; r[8] = lor1; r[9] = lor0; r[10] = mx; r[11] = mn;                      \
        _Pragma("omp parallel for reduction(+:add)")                                                       \
        for (int i = 0; i < n; i++) add += (T)ADDV(SG, SCALE, i);                                          \
        _Pragma("omp parallel for reduction(-:sub)")                                                       \
        for (int i = 0; i < n; i++) sub -= (T)ADDV(SG, SCALE, i);                                          \
        _Pragma("omp parallel for reduction(*:mul)")                                                       \
        for (int i = 0; i < n; i++) mul *= (T)MULV(SG, i);                                                 \
        _Pragma("omp parallel for reduction(&:band)")                                                      \
        for (int i = 0; i < n; i++) band &= (T)ANDV(BITS, i);                                              \
        _Pragma("omp parallel for reduction(|:bor)")                                                       \
        for (int i = 0; i < n; i++) bor |= (T)ORV(BITS, i);                                                \
        _Pragma("omp parallel for reduction(^:bxor)")                                                      \
        for (int i = 0; i < n; i++) bxor ^= (T)mix(i);                                                     \
        _Pragma("omp parallel for reduction(&&:land1)")                                                    \
        for (int i = 0; i < n; i++) land1 = land1 && (T)(i % 13 + 1);                                      \
        _Pragma("omp parallel for reduction(&&:land0)")                                                    \
        for (int i = 0; i < n; i++) land0 = land0 && (T)(i != n - 5);                                      \
        _Pragma("omp parallel for reduction(||:lor1)")                                                     \
        for (int i = 0; i < n; i++) lor1 = lor1 || (T)(i == 777 ? 5 : 0);                                  \
        _Pragma("omp parallel for reduction(||:lor0)")                                                     \
        for (int i = 0; i < n; i++) lor0 = lor0 || (T)(i < 0);                                             \
        _Pragma("omp parallel for reduction(max:mx)")                                                      \
        for (int i = 0; i < n; i++) { T v = (T)mix(i); if (v > mx) mx = v; }                               \
        _Pragma("omp parallel for reduction(min:mn)")                                                      \
        for (int i = 0; i < n; i++) { T v = (T)mix(i + 5000); if (v < mn) mn = v; }                        \
        /* The same loops, sequentially. */                                                                \
        for (int i = 0; i < n; i++) {                                                                      \
            r[0] += (T)ADDV(SG, SCALE, i);                                                                 \
            r[1] -= (T)ADDV(SG, SCALE, i);                                                                 \
            r[2] *= (T)MULV(SG, i);                                                                        \
            r[3] &= (T)ANDV(BITS, i);                                                                      \
            r[4] |= (T)ORV(BITS, i);                                                                       \
            r[5] ^= (T)mix(i);                                                                             \
            r[6] = r[6] && (T)(i % 13 + 1);                                                                \
            r[7] = r[7] && (T)(i != n - 5);                                                                \
            r[8] = r[8] || (T)(i == 777 ? 5 : 0);                                                          \
            r[9] = r[9] || (T)(i < 0);                                                                     \
            T v = (T)mix(i); if (v > r[10]) r[10] = v;                                                     \
            T w = (T)mix(i + 5000); if (w < r[11]) r[11] = w;                                              \
        }                                                                                                  \
        s[0] = add; s[1] = sub; s[2] = mul; s[3] = band; s[4] = bor; s[5] = bxor;                          \
        s[6] = land1; s[7] = land0; s[8] = lor1; s[9] = lor0; s[10] = mx; s[11] = mn;                      \
        static const char *ops[12] = {"+", "-", "*", "&", "|", "^", "&&", "&&", "||", "||", "max", "min"}; \
        printf("%-14s", #T);                                                                               \
        for (int k = 0; k < 12; k++) {                                                                     \
            printf(" %s:" FMT, ops[k], (PT)s[k]);                                                          \
            if (s[k] != r[k]) { printf("(expected " FMT ")", (PT)r[k]); bad++; }                           \
        }                                                                                                  \
        printf("\n");                                                                                      \
        return bad;                                                                                        \
    }

INT_TESTS(int, int, 1, 32, long long, "%lld", 1)
INT_TESTS(unsigned, uint, 0, 32, unsigned long long, "%llu", 1)
INT_TESTS(long, long, 1, 64, long long, "%lld", 1000000007LL)
INT_TESTS(unsigned long, ulong, 0, 64, unsigned long long, "%llu", 1000000007LL)
INT_TESTS(long long, llong, 1, 64, long long, "%lld", 999999937LL)
INT_TESTS(unsigned long long, ullong, 0, 64, unsigned long long, "%llu", 0x100000001ULL)

int main(void) {
    printf("52 reductions on int and wider integer types\n");
    int n = opaque(N), bad = 0;
    bad += test_int(n);
    bad += test_uint(n);
    bad += test_long(n);
    bad += test_ulong(n);
    bad += test_llong(n);
    bad += test_ullong(n);
    // Again with a trip count below any team size, and with one trip.
    bad += test_long(opaque(2));
    bad += test_uint(opaque(1));
    if (bad) { printf("FAIL 52: %d mismatches\n", bad); return 1; }
    printf("52 ok\n");
    return 0;
}
