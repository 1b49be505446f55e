// Theme: single-variable reductions of float, double and long double with every operator valid
// for them (+ - * && || max min), each in its own `parallel for` with one reduction clause and
// one variable, under static, dynamic and guided schedules. All values are exact binary fractions
// (multiples of 0.25, products of powers of two and -1) whose partial sums and products are exact,
// so the result is the same in any combine order. gcc combines float and double with a
// compare-and-swap loop and long double (16 bytes) inside GOMP_atomic_start/end.
#include <omp.h>
#include <stdio.h>

#define N 1200

static int opaque(int x) { __asm__ volatile("" : "+r"(x)); return x; }

static unsigned mix(int i) {
    unsigned z = (unsigned)i * 2654435761u + 12345u;
    z ^= z >> 15;
    z *= 2246822519u;
    return z ^ (z >> 13);
}

#define ADDV(i) (((i) % 41 - 20) * 0.5 + ((i) % 3) * 0.25)
#define MULV(i) ((i) % 211 == 3 ? 2.0 : (i) % 307 == 10 ? 0.5 : (i) % 401 == 7 ? -1.0 : 1.0)
#define MAXV(i) ((double)(mix(i) % 100001u) * 0.25 - 12500.0)

#define FLOAT_TESTS(T, NAME)                                                                      \
    __attribute__((noinline)) static int test_##NAME(int n) {                                     \
        int bad = 0;                                                                              \
        T r[9], s[9];                                                                             \
        T add = 1.5, sub = -2.25, mul = 0.75, land1 = 1, land0 = 2.5, lor1 = 0, lor0 = 0;         \
        T mx = -20000.0, mn = 20000.0;                                                            \
        r[0] = add; r[1] = sub; r[2] = mul; r[3] = land1; r[4] = land0; r[5] = lor1; r[6] = lor0; \
        r[7] = mx; r[8] = mn;                                                                     \
        _Pragma("omp parallel for reduction(+:add)")                                              \
        for (int i = 0; i < n; i++) add += (T)ADDV(i);                                            \
        _Pragma("omp parallel for reduction(-:sub) schedule(dynamic, 5)")                         \
        for (int i = 0; i < n; i++) sub -= (T)ADDV(i);                                            \
        _Pragma("omp parallel for reduction(*:mul) schedule(guided, 3)")                          \
        for (int i = 0; i < n; i++) mul *= (T)MULV(i);                                            \
        _Pragma("omp parallel for reduction(&&:land1) schedule(static, 7)")                       \
        for (int i = 0; i < n; i++) land1 = land1 && (T)(0.25 + (i % 5));                         \
        _Pragma("omp parallel for reduction(&&:land0) schedule(dynamic)")                         \
        for (int i = 0; i < n; i++) land0 = land0 && (T)(i == n / 2 ? 0.0 : -0.5);                \
        _Pragma("omp parallel for reduction(||:lor1) schedule(guided)")                           \
        for (int i = 0; i < n; i++) lor1 = lor1 || (T)(i == n - 1 ? 0.125 : 0.0);                 \
        _Pragma("omp parallel for reduction(||:lor0)")                                            \
        for (int i = 0; i < n; i++) lor0 = lor0 || (T)(i < 0 ? 1.0 : -0.0);                       \
        _Pragma("omp parallel for reduction(max:mx) schedule(dynamic, 16)")                       \
        for (int i = 0; i < n; i++) { T v = (T)MAXV(i); if (v > mx) mx = v; }                     \
        _Pragma("omp parallel for reduction(min:mn) schedule(static, 1)")                         \
        for (int i = 0; i < n; i++) { T v = (T)MAXV(i + 7777); if (v < mn) mn = v; }              \
        for (int i = 0; i < n; i++) {                                                             \
            r[0] += (T)ADDV(i);                                                                   \
            r[1] -= (T)ADDV(i);                                                                   \
            r[2] *= (T)MULV(i);                                                                   \
            r[3] = r[3] && (T)(0.25 + (i % 5));                                                   \
            r[4] = r[4] && (T)(i == n / 2 ? 0.0 : -0.5);                                          \
            r[5] = r[5] || (T)(i == n - 1 ? 0.125 : 0.0);                                         \
            r[6] = r[6] || (T)(i < 0 ? 1.0 : -0.0);                                               \
            T v = (T)MAXV(i); if (v > r[7]) r[7] = v;                                             \
            T w = (T)MAXV(i + 7777); if (w < r[8]) r[8] = w;                                      \
        }                                                                                         \
        s[0] = add; s[1] = sub; s[2] = mul; s[3] = land1; s[4] = land0; s[5] = lor1; s[6] = lor0; \
        s[7] = mx; s[8] = mn;                                                                     \
        static const char *ops[9] = {"+", "-", "*", "&&", "&&", "||", "||", "max", "min"};        \
        printf("%-12s", #T);                                                                      \
        for (int k = 0; k < 9; k++) {                                                             \
            printf(" %s:%.4f", ops[k], (double)s[k]);                                             \
            if (s[k] != r[k]) { printf("(expected %.4f)", (double)r[k]); bad++; }                 \
        }                                                                                         \
        printf("\n");                                                                             \
        return bad;                                                                               \
    }

FLOAT_TESTS(float, float)
FLOAT_TESTS(double, double)
FLOAT_TESTS(long double, ldouble)

int main(void) {
    printf("53 reductions on floating types\n");
    int n = opaque(N), bad = 0;
    bad += test_float(n);
    bad += test_double(n);
    bad += test_ldouble(n);
    // Tiny trip counts: some threads (ranks) get no iteration and contribute the identity.
    bad += test_double(opaque(3));
    bad += test_float(opaque(1));
    if (bad) { printf("FAIL 53: %d mismatches\n", bad); return 1; }
    printf("53 ok\n");
    return 0;
}
