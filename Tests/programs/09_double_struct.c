// Theme: double arrays with schedule(static, 1), float arrays, and arrays of structs with mixed
// field types: different fields of the same struct element written by different threads in one
// region (padding bytes are never written), plus whole-struct assignments.
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define N 20011

struct rec {
    char tag;          // 1 byte, then padding
    short s;
    int i;
    double d;
    float f;
    unsigned char flags[3];
};

static double d[N];
static float fl[N];
static struct rec recs[N];
static struct rec copies[N];

static uint64_t fnv(const void *p, size_t n, uint64_t h) {
    const unsigned char *b = p;
    for (size_t k = 0; k < n; k++) { h ^= b[k]; h *= 1099511628211ULL; }
    return h;
}

int main(void) {
    printf("09 doubles and structs\n");
    memset(recs, 0, sizeof recs);
    memset(copies, 0, sizeof copies);

    #pragma omp parallel for schedule(static, 1)
    for (int k = 0; k < N; k++) d[k] = k * 0.1 - 3.0 / (k + 1);

    #pragma omp parallel for schedule(static, 1)
    for (int k = 0; k < N; k++) fl[k] = (float)d[k] * 0.5f;

    // Each loop writes one field of every element, with its own chunking.
    #pragma omp parallel
    {
        #pragma omp for schedule(static, 1) nowait
        for (int k = 0; k < N; k++) recs[k].tag = (char)('A' + k % 26);
        #pragma omp for schedule(static, 2) nowait
        for (int k = 0; k < N; k++) recs[k].s = (short)(k % 30000);
        #pragma omp for schedule(static, 3) nowait
        for (int k = 0; k < N; k++) recs[k].i = -k;
        #pragma omp for schedule(static) nowait
        for (int k = 0; k < N; k++) recs[k].d = d[k] * d[k];
        #pragma omp for schedule(static, 7) nowait
        for (int k = 0; k < N; k++) recs[k].f = fl[k] + 1.0f;
        #pragma omp for schedule(static, 1) nowait
        for (int k = 0; k < 3 * N; k++) recs[k / 3].flags[k % 3] = (unsigned char)(k * 11);
    }

    // Whole-struct copies in a later region (memberwise copy also copies padding: that is fine,
    // each element is written by one thread).
    #pragma omp parallel for schedule(static, 1)
    for (int k = 0; k < N; k++) copies[k] = recs[N - 1 - k];

    int bad = 0;
    for (int k = 0; k < N; k++) {
        double e = k * 0.1 - 3.0 / (k + 1);
        if (memcmp(&d[k], &e, sizeof e) != 0) bad++;
        if (fl[k] != (float)e * 0.5f) bad++;
        const struct rec *r = &recs[k];
        if (r->tag != (char)('A' + k % 26) || r->s != (short)(k % 30000) || r->i != -k) bad++;
        if (r->d != e * e || r->f != (float)e * 0.5f + 1.0f) bad++;
        for (int j = 0; j < 3; j++)
            if (r->flags[j] != (unsigned char)((3 * k + j) * 11)) bad++;
        const struct rec *c = &copies[N - 1 - k];
        if (c->tag != r->tag || c->s != r->s || c->i != r->i || c->d != r->d || c->f != r->f ||
            memcmp(c->flags, r->flags, 3) != 0)
            bad++;
    }
    double sd = 0.0, srd = 0.0;
    float sf = 0.0f;
    uint64_t h = 1469598103934665603ULL;
    for (int k = 0; k < N; k++) {
        sd += d[k];
        sf += fl[k];
        srd += recs[k].d;
        h = fnv(&recs[k].tag, 1, h);
        h = fnv(&recs[k].s, 2, h);
        h = fnv(&recs[k].i, 4, h);
        h = fnv(&recs[k].d, 8, h);
        h = fnv(&recs[k].f, 4, h);
        h = fnv(recs[k].flags, 3, h);
    }
    printf("sum d=%.9f sum f=%.3f sum rec.d=%.6f hash=%016llx\n", sd, (double)sf, srd,
           (unsigned long long)h);
    if (bad) { printf("FAIL 09: %d mismatches\n", bad); return 1; }
    printf("09 ok\n");
    return 0;
}
