// Theme: neighbouring bytes written by different threads: schedule(static, 1) over char and
// unsigned char arrays (each byte of a word belongs to another thread), short arrays with chunk 1
// and 3, and a string assembled in parallel then printed.
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define N 10001

static char c[N];
static unsigned char uc[N];
static short sh[N];
static unsigned short us[N];

int main(void) {
    printf("07 neighbouring bytes\n");
    char msg[64];
    const char *src = "The quick brown fox jumps over the lazy dog, 0123456789!";
    int len = (int)strlen(src);
    memset(msg, '.', sizeof msg);
    memset(uc, 0xff, sizeof uc);

    #pragma omp parallel for schedule(static, 1)
    for (int i = 0; i < N; i++) c[i] = (char)('a' + i % 26);

    #pragma omp parallel for schedule(static, 1)
    for (int i = 0; i < N; i += 2) uc[i] = (unsigned char)(i * 7);   // odd bytes keep 0xff

    #pragma omp parallel for schedule(static, 1)
    for (int i = 0; i < N; i++) sh[i] = (short)(i * 3 - 5000);

    #pragma omp parallel for schedule(static, 3)
    for (int i = 0; i < N; i++) us[i] = (unsigned short)(65535 - i);

    #pragma omp parallel for schedule(static, 1)
    for (int i = 0; i <= len; i++) msg[i] = src[i];                   // includes the terminator

    // One region, two loops with different chunk sizes write interleaved bytes of the same array.
    static unsigned char mix[4096];
    #pragma omp parallel
    {
        #pragma omp for schedule(static, 1) nowait
        for (int i = 0; i < 4096; i += 2) mix[i] = (unsigned char)(i / 2);
        #pragma omp for schedule(static, 5) nowait
        for (int i = 1; i < 4096; i += 2) mix[i] = (unsigned char)(255 - i / 2);
    }

    int bad = 0;
    uint32_t h = 2166136261u;
    for (int i = 0; i < N; i++) {
        if (c[i] != (char)('a' + i % 26)) bad++;
        if (uc[i] != ((i & 1) ? 0xff : (unsigned char)(i * 7))) bad++;
        if (sh[i] != (short)(i * 3 - 5000)) bad++;
        if (us[i] != (unsigned short)(65535 - i)) bad++;
        h = (h ^ (unsigned char)c[i]) * 16777619u;
        h = (h ^ uc[i]) * 16777619u;
        h = (h ^ (uint16_t)sh[i]) * 16777619u;
        h = (h ^ us[i]) * 16777619u;
    }
    for (int i = 0; i < 4096; i++) {
        unsigned char e = (i & 1) ? (unsigned char)(255 - i / 2) : (unsigned char)(i / 2);
        if (mix[i] != e) bad++;
        h = (h ^ mix[i]) * 16777619u;
    }
    if (strcmp(msg, src) != 0 || msg[len + 1] != '.') bad++;
    printf("msg: %s\n", msg);
    printf("c[0..25]=%.26s hash=%08x\n", c, h);
    if (bad) { printf("FAIL 07: %d mismatches\n", bad); return 1; }
    printf("07 ok\n");
    return 0;
}
