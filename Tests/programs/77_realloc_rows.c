// Theme: per-row buffers grown with realloc inside a parallel loop and kept after the region.
// (1) A dynamic loop stores the Collatz trajectory of a start value per row in a long buffer that
//     doubles with realloc (length unknown in advance), then shrinks it to fit, and builds a text
//     rendering of the row in a char buffer grown with realloc as snprintf needs; sequential code
//     checks some rows; a second region (guided, so other threads than the writers) reads every
//     row, checks it, reduces statistics and frees both buffers.
// (2) Buffers malloc'd in sequential code grown with realloc inside a region, then freed after it.
// (3) Buffers allocated in one region, grown with realloc in a later region by other threads
//     (reversed static partition), read and freed in sequential code.
// Every statistic is an integer and is compared with a sequential recomputation.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NROWS 700

static long *rows[NROWS];
static int len[NROWS], grows[NROWS];
static char *text[NROWS];
static size_t textlen[NROWS];
static long start_of[NROWS];

static uint64_t mix(uint64_t v) {
    v += 0x9E3779B97F4A7C15ULL;
    v = (v ^ (v >> 30)) * 0xBF58476D1CE4E5B9ULL;
    v = (v ^ (v >> 27)) * 0x94D049BB133111EBULL;
    return v ^ (v >> 31);
}

static long collatz_next(long v) { return v % 2 ? 3 * v + 1 : v / 2; }

// Appends "v," to a growing text buffer.
static void append_text(char **buf, size_t *used, size_t *cap, long v) {
    for (;;) {
        int w = snprintf(*buf + *used, *cap - *used, "%ld,", v);
        if ((size_t)w < *cap - *used) { *used += (size_t)w; return; }
        *cap = *cap * 3 / 2 + 8;
        *buf = realloc(*buf, *cap);
    }
}

int main(void) {
    printf("77 realloc growth of per-row buffers\n");
    int bad = 0;
    for (int i = 0; i < NROWS; i++) start_of[i] = 1 + (long)(mix((uint64_t)i) % 200000);

    // (1) rows grown in a region ...
    #pragma omp parallel for schedule(dynamic, 5)
    for (int i = 0; i < NROWS; i++) {
        int cap = 2, n = 0, g = 0;
        long *r = malloc((size_t)cap * sizeof(long));
        size_t tcap = 4, tused = 0;
        char *t = malloc(tcap);
        t[0] = 0;
        for (long v = start_of[i];; v = collatz_next(v)) {
            if (n == cap) {
                cap *= 2;
                r = realloc(r, (size_t)cap * sizeof(long));
                g++;
            }
            r[n++] = v;
            append_text(&t, &tused, &tcap, v);
            if (v == 1) break;
        }
        rows[i] = realloc(r, (size_t)n * sizeof(long));   // shrink to fit
        len[i] = n;
        grows[i] = g;
        text[i] = realloc(t, tused + 1);
        textlen[i] = tused;
    }

    // ... kept after it: sequential checks of a few rows
    long seqlen = 0, seqmax = 0, seqgrows = 0, seqsum = 0;
    size_t seqtext = 0;
    for (int i = 0; i < NROWS; i++) {
        int n = 0, cap = 2, g = 0;
        long v = start_of[i];
        size_t tl = 0;
        char tmp[32];
        for (;; v = collatz_next(v)) {
            if (n == cap) { cap *= 2; g++; }
            n++;
            tl += (size_t)snprintf(tmp, sizeof tmp, "%ld,", v);
            if (v > seqmax) seqmax = v;
            seqsum += v % 1000;
            if (v == 1) break;
        }
        seqlen += n;
        seqgrows += g;
        seqtext += tl;
    }
    int spot = 1;
    for (int i = 0; i < NROWS; i += 97) {
        char first[32];
        snprintf(first, sizeof first, "%ld,", start_of[i]);
        if (rows[i][0] != start_of[i] || rows[i][len[i] - 1] != 1 || strncmp(text[i], first, strlen(first)) != 0 ||
            strlen(text[i]) != textlen[i])
            spot = 0;
    }
    printf("row 0: start %ld, %d steps, %d reallocs, text \"%.40s...\"\n", start_of[0], len[0], grows[0], text[0]);
    printf("spot checks after the region: %s\n", spot ? "ok" : "WRONG");
    if (!spot) bad++;

    // a second region reads and frees them
    long totlen = 0, maxval = 0, sum = 0, totgrows = 0, broken = 0;
    size_t tottext = 0;
    #pragma omp parallel for schedule(guided, 3) reduction(+:totlen, sum, totgrows, broken, tottext) \
        reduction(max:maxval)
    for (int i = NROWS - 1; i >= 0; i--) {
        long *r = rows[i];
        if (r[0] != start_of[i] || r[len[i] - 1] != 1) broken++;
        for (int k = 0; k < len[i]; k++) {
            if (k + 1 < len[i] && r[k + 1] != collatz_next(r[k])) broken++;
            if (r[k] > maxval) maxval = r[k];
            sum += r[k] % 1000;
        }
        // the text lists the same numbers
        const char *p = text[i];
        for (int k = 0; k < len[i]; k++) {
            char *end;
            long v = strtol(p, &end, 10);
            if (end == p || *end != ',' || v != r[k]) { broken++; break; }
            p = end + 1;
        }
        totlen += len[i];
        totgrows += grows[i];
        tottext += textlen[i];
        free(r);
        free(text[i]);
        rows[i] = NULL;
        text[i] = NULL;
    }
    printf("rows: %ld values, max %ld, sum of residues %ld, %ld reallocs, %zu text bytes, broken %ld\n", totlen, maxval,
           sum, totgrows, tottext, broken);
    int ok1 = totlen == seqlen && maxval == seqmax && sum == seqsum && totgrows == seqgrows && tottext == seqtext &&
              !broken;
    printf("(1) equals the sequential recomputation: %s\n", ok1 ? "yes" : "NO");
    if (!ok1) bad++;

    // (2) sequential buffers grown inside a region, freed after it
    int *seqbuf[64];
    for (int b = 0; b < 64; b++) {
        seqbuf[b] = malloc(4 * sizeof(int));
        for (int k = 0; k < 4; k++) seqbuf[b][k] = b * 100 + k;
    }
    #pragma omp parallel for schedule(static, 3)
    for (int b = 0; b < 64; b++) {
        int n = 4;
        for (int step = 0; step < 1 + b % 5; step++) {
            seqbuf[b] = realloc(seqbuf[b], (size_t)(n * 2) * sizeof(int));
            for (int k = n; k < 2 * n; k++) seqbuf[b][k] = seqbuf[b][k - n] + 1;
            n *= 2;
        }
    }
    long s2 = 0, ok2 = 1;
    for (int b = 0; b < 64; b++) {
        int n = 4 << (1 + b % 5);
        for (int k = 0; k < n; k++) s2 += seqbuf[b][k];
        if (seqbuf[b][n - 1] != b * 100 + 3 + (1 + b % 5)) ok2 = 0;
        free(seqbuf[b]);
    }
    printf("(2) sequential buffers grown in a region: sum %ld, last elements %s\n", s2, ok2 ? "ok" : "WRONG");
    if (!ok2) bad++;

    // (3) allocated in one region, grown by other threads in the next one, freed in sequential code
    static double *vec[NROWS];
    static int vlen[NROWS];
    #pragma omp parallel for schedule(static, 4)
    for (int i = 0; i < NROWS; i++) {
        vlen[i] = 1 + i % 13;
        vec[i] = malloc((size_t)vlen[i] * sizeof(double));
        for (int k = 0; k < vlen[i]; k++) vec[i][k] = i + k * 0.25;
    }
    #pragma omp parallel for schedule(static, 5)
    for (int j = 0; j < NROWS; j++) {
        int i = NROWS - 1 - j;
        int n = vlen[i], m = n + 20 + i % 29;
        vec[i] = realloc(vec[i], (size_t)m * sizeof(double));
        for (int k = n; k < m; k++) vec[i][k] = vec[i][k - n] + 0.5;
        vlen[i] = m;
    }
    double s3 = 0.0;
    long n3 = 0;
    int ok3 = 1;
    for (int i = 0; i < NROWS; i++) {
        if (vec[i][0] != i || (i > 0 && vec[i][vlen[i] - 1] == 0.0)) ok3 = 0;
        for (int k = 0; k < vlen[i]; k++) s3 += vec[i][k];
        n3 += vlen[i];
        free(vec[i]);
    }
    printf("(3) grown by other threads: %ld values, sum %.2f, first elements %s\n", n3, s3, ok3 ? "ok" : "WRONG");
    if (!ok3) bad++;

    if (bad) { printf("FAIL 77\n"); return 1; }
    printf("77 ok\n");
    return 0;
}
