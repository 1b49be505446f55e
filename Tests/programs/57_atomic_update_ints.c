// Theme: `#pragma omp atomic` (update) on integer types int, long, unsigned, char, signed char,
// unsigned char, short, unsigned short and unsigned long long, in every form: x++, x--, ++x, --x,
// x += e, x -= e, x *= e, x /= e, x &= e, x |= e, x ^= e, x <<= e, x >>= e, x = x op e and
// x = e op x, with explicit `update` and with `seq_cst`, `relaxed`, `release` clauses, in static,
// dynamic and guided loops and on globals, locals of main, array elements and through pointers.
// Each variable only ever gets operations that commute with each other (so the result does not
// depend on their order); x /= e on a non-negative value composes like one division by the
// product, and `x = e - x` only depends on how many times it ran.
#include <omp.h>
#include <stdio.h>

#define N 2000

static int opaque(int x) { __asm__ volatile("" : "+r"(x)); return x; }

static int g_inc, g_dec, g_pre;
static long g_add, g_sub;
static unsigned g_mul;
static int g_div;
static unsigned g_and, g_or, g_xor;
static unsigned long long g_shl, g_shr;
static char c_inc;
static signed char sc_xor;
static unsigned char uc_add, uc_or;
static short s_sub, s_and;
static unsigned short us_mul;
static long arr[8];

// Updates through a pointer, from a function called in the loop.
__attribute__((noinline)) static void bump(long *p, long by) {
    #pragma omp atomic
    *p += by;
}

int main(void) {
    printf("57 atomic update on integer types\n");
    int bad = 0, n = opaque(N);

    g_inc = 0; g_dec = 5000; g_pre = 0;
    g_add = 0; g_sub = 1000000;
    g_mul = 1; g_div = 2000000000;
    g_and = ~0u; g_or = 0; g_xor = 0x12345678u;
    g_shl = 1; g_shr = ~0ULL;
    c_inc = 0; sc_xor = 0; uc_add = 0; uc_or = 0;
    s_sub = 0; s_and = -1; us_mul = 1;
    int l_eq = 0, l_rev = 0, l_minus = 7;
    unsigned l_xrev = 0;
    long l_mul2 = 1;

    #pragma omp parallel for schedule(static)
    for (int i = 0; i < n; i++) {
        #pragma omp atomic
        g_inc++;
        #pragma omp atomic update
        g_dec--;
        #pragma omp atomic
        ++g_pre;
        #pragma omp atomic
        --g_pre;
        #pragma omp atomic
        ++g_pre;                                 // net +1 per iteration
        #pragma omp atomic
        g_add += i * 3L - 1000;
        #pragma omp atomic seq_cst
        g_sub -= i % 17;
        if (i % 50 == 7) {
            #pragma omp atomic
            g_mul *= 3u + (unsigned)(i % 4) * 2u;
        }
        if (i % 400 == 9) {
            #pragma omp atomic
            g_div /= 2 + i % 3;
        }
        if (i % 128 == 5) {
            #pragma omp atomic
            g_and &= ~(1u << (i / 128));
        }
        if (i % 71 == 2) {
            #pragma omp atomic
            g_or |= 1u << (i % 32);
        }
        #pragma omp atomic relaxed
        g_xor ^= (unsigned)i * 2654435761u;
        if (i % 100 == 0) {
            #pragma omp atomic
            g_shl <<= 1 + (i / 100) % 3;         // 20 shifts adding up to 39 bits
        }
        if (i % 125 == 1) {
            #pragma omp atomic
            g_shr >>= 2;
        }
        #pragma omp atomic
        c_inc++;                                 // wraps modulo 256
        #pragma omp atomic
        sc_xor ^= (signed char)(i * 7);
        #pragma omp atomic
        uc_add += (unsigned char)(i & 0xff);
        if (i % 300 == 3) {
            #pragma omp atomic
            uc_or |= (unsigned char)(1u << (i / 300));
        }
        #pragma omp atomic
        s_sub -= (short)(i % 10);
        if (i % 300 == 0) {
            #pragma omp atomic
            s_and &= (short)~(1 << (i / 300 * 2));
        }
        if (i % 10 == 1) {
            #pragma omp atomic
            us_mul *= (unsigned short)5;
        }
        #pragma omp atomic update
        l_eq = l_eq + (i & 7);
        #pragma omp atomic
        l_rev = (i % 3) + l_rev;
        #pragma omp atomic
        l_xrev = (unsigned)(i * 3 + 1) ^ l_xrev;
        #pragma omp atomic
        l_minus = 100 - l_minus;                 // runs n times: only the parity of n matters
        if (i % 333 == 5) {
            #pragma omp atomic
            l_mul2 = 2 * l_mul2;
        }
    }

    // Sequential reference.
    int e_inc = 0, e_dec = 5000, e_pre = 0, e_div = 2000000000, e_eq = 0, e_rev = 0, e_minus = 7;
    long e_add = 0, e_sub = 1000000, e_mul2 = 1;
    unsigned e_mul = 1, e_and = ~0u, e_or = 0, e_xor = 0x12345678u, e_xrev = 0;
    unsigned long long e_shl = 1, e_shr = ~0ULL;
    char ec_inc = 0;
    signed char esc_xor = 0;
    unsigned char euc_add = 0, euc_or = 0;
    short es_sub = 0, es_and = -1;
    unsigned short eus_mul = 1;
    for (int i = 0; i < N; i++) {
        e_inc++; e_dec--; e_pre++;
        e_add += i * 3L - 1000;
        e_sub -= i % 17;
        if (i % 50 == 7) e_mul *= 3u + (unsigned)(i % 4) * 2u;
        if (i % 400 == 9) e_div /= 2 + i % 3;
        if (i % 128 == 5) e_and &= ~(1u << (i / 128));
        if (i % 71 == 2) e_or |= 1u << (i % 32);
        e_xor ^= (unsigned)i * 2654435761u;
        if (i % 100 == 0) e_shl <<= 1 + (i / 100) % 3;
        if (i % 125 == 1) e_shr >>= 2;
        ec_inc++;
        esc_xor ^= (signed char)(i * 7);
        euc_add += (unsigned char)(i & 0xff);
        if (i % 300 == 3) euc_or |= (unsigned char)(1u << (i / 300));
        es_sub -= (short)(i % 10);
        if (i % 300 == 0) es_and &= (short)~(1 << (i / 300 * 2));
        if (i % 10 == 1) eus_mul *= (unsigned short)5;
        e_eq += i & 7; e_rev += i % 3; e_xrev ^= (unsigned)(i * 3 + 1);
        e_minus = 100 - e_minus;
        if (i % 333 == 5) e_mul2 *= 2;
    }
    printf("int: inc=%d dec=%d pre=%d div=%d eq=%d rev=%d minus=%d\n", g_inc, g_dec, g_pre, g_div, l_eq, l_rev, l_minus);
    printf("long: add=%ld sub=%ld mul2=%ld\n", g_add, g_sub, l_mul2);
    printf("unsigned: mul=%u and=%#x or=%#x xor=%#x xrev=%u\n", g_mul, g_and, g_or, g_xor, l_xrev);
    printf("ull: shl=%#llx shr=%#llx\n", g_shl, g_shr);
    printf("small: c=%d sc=%d uc_add=%u uc_or=%#x s_sub=%d s_and=%d us_mul=%u\n", c_inc, sc_xor, uc_add, uc_or,
           s_sub, s_and, us_mul);
    if (g_inc != e_inc || g_dec != e_dec || g_pre != e_pre || g_div != e_div || l_eq != e_eq || l_rev != e_rev ||
        l_minus != e_minus) bad++;
    if (g_add != e_add || g_sub != e_sub || l_mul2 != e_mul2) bad++;
    if (g_mul != e_mul || g_and != e_and || g_or != e_or || g_xor != e_xor || l_xrev != e_xrev) bad++;
    if (g_shl != e_shl || g_shr != e_shr) bad++;
    if (c_inc != ec_inc || sc_xor != esc_xor || uc_add != euc_add || uc_or != euc_or || s_sub != es_sub ||
        s_and != es_and || us_mul != eus_mul) bad++;

    // Dynamic and guided loops: increments and decrements of one counter mixed (they commute),
    // atomics on array elements chosen by data, and through a pointer in a called function.
    long counter = 0;
    for (int k = 0; k < 8; k++) arr[k] = 0;
    #pragma omp parallel
    {
        #pragma omp for schedule(dynamic, 3)
        for (int i = 0; i < n; i++) {
            if (i % 3 == 0) {
                #pragma omp atomic
                counter += 2;
            } else {
                #pragma omp atomic
                counter--;
            }
            #pragma omp atomic
            arr[(i * 5) % 8] += i;
        }
        #pragma omp for schedule(guided, 2) nowait
        for (int i = 0; i < n; i++)
            bump(&arr[i % 3], 1);
    }
    long earr[8] = {0}, ecounter = 0;
    for (int i = 0; i < N; i++) {
        ecounter += (i % 3 == 0) ? 2 : -1;
        earr[(i * 5) % 8] += i;
        earr[i % 3] += 1;
    }
    printf("dynamic: counter=%ld arr=", counter);
    for (int k = 0; k < 8; k++) { printf("%s%ld", k ? "," : "", arr[k]); if (arr[k] != earr[k]) bad++; }
    printf("\n");
    if (counter != ecounter) bad++;

    // Every thread runs the same atomics (not a worksharing loop): the totals are a multiple of
    // the team size, printed divided by it.
    int team = 0;
    long every = 0;
    unsigned every_or = 0;
    #pragma omp parallel
    {
        #pragma omp single
        team = omp_get_num_threads();
        for (int k = 0; k < 100; k++) {
            #pragma omp atomic seq_cst
            every += k;
        }
        #pragma omp atomic release
        every_or |= 0x100u;
    }
    printf("every thread: sum/team=%ld or=%#x\n", every / team, every_or);
    if (every != 4950L * team || every_or != 0x100u) bad++;

    if (bad) { printf("FAIL 57: %d mismatches\n", bad); return 1; }
    printf("57 ok\n");
    return 0;
}
