// Writes every other page of a 320 MB buffer in one region: about 40,000 separate write-protected
// pages, more mappings than vm.max_map_count allows if each were unprotected alone.
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
    const size_t bytes = (size_t)320 << 20, page = 4096, pages = bytes / page;
    unsigned char *buf = malloc(bytes);
    if (!buf) { printf("FAIL 25: malloc\n"); return 1; }
    memset(buf, 0, bytes);
    #pragma omp parallel for schedule(static, 3)
    for (long p = 0; p < (long)pages; p += 2) buf[p * page + (p % 4000)] = (unsigned char)(p % 251 + 1);
    long bad = 0, sum = 0;
    for (size_t p = 0; p < pages; p++) {
        unsigned char want = p % 2 == 0 ? (unsigned char)(p % 251 + 1) : 0;
        if (buf[p * page + (p % 4000)] != want) bad++;
        sum += buf[p * page + (p % 4000)];
    }
    printf("pages=%zu sum=%ld\n", pages, sum);
    if (bad) { printf("FAIL 25: %ld bad pages\n", bad); return 1; }
    printf("25 ok\n");
    free(buf);
    return 0;
}
