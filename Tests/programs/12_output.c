// Theme: output printed inside and outside regions. Sequential prints before and after regions;
// inside regions exactly one thread prints (the master, or the last thread of the team) with printf,
// puts, fputs and putchar, including a long line and many lines; values computed in a region are
// printed after it.
#include <omp.h>
#include <stdio.h>
#include <string.h>

#define N 1000

static long sq[N];

int main(void) {
    printf("12 output: before any region\n");
    printf("line with number %d and string %s\n", 42, "hello");

    #pragma omp parallel
    {
        #pragma omp master
        printf("inside region 1 (master)\n");
    }
    printf("between regions 1 and 2\n");

    #pragma omp parallel
    {
        if (omp_get_thread_num() == omp_get_num_threads() - 1) {
            printf("inside region 2 (last thread), %d + %d = %d\n", 2, 3, 5);
            puts("puts inside region 2");
            fputs("fputs inside region 2\n", stdout);
            putchar('x');
            putchar('\n');
        }
    }

    // A value computed in a region, printed after.
    #pragma omp parallel for schedule(static, 3)
    for (int i = 0; i < N; i++) sq[i] = (long)i * i;
    long total = 0;
    for (int i = 0; i < N; i++) total += sq[i];
    printf("sum of squares below %d = %ld\n", N, total);

    // Many lines and a long line from one thread inside a region, while the others compute.
    static char longline[6001];
    for (int i = 0; i < 6000; i++) longline[i] = (char)('a' + i % 26);
    longline[6000] = '\0';
    #pragma omp parallel
    {
        #pragma omp master
        {
            for (int i = 0; i < 200; i++) printf("region 4 line %3d: %ld\n", i, (long)i * i);  // not sq: being written
            printf("%s\n", longline);
        }
        #pragma omp for schedule(static) nowait
        for (int i = 0; i < N; i++) sq[i] = -sq[i];
    }
    total = 0;
    for (int i = 0; i < N; i++) total += sq[i];
    printf("negated sum = %ld\n", total);

    // Sequential output in a loop interleaved with regions that print.
    for (int r = 0; r < 5; r++) {
        printf("before region %d\n", r);
        #pragma omp parallel
        {
            if (omp_get_thread_num() == (r % 2 ? 0 : omp_get_num_threads() - 1))
                printf("  inside region %d\n", r);
        }
        printf("after region %d\n", r);
    }

    int bad = 0;
    for (int i = 0; i < N; i++) if (sq[i] != -(long)i * i) bad++;
    if (bad) { printf("FAIL 12: %d mismatches\n", bad); return 1; }
    printf("12 ok\n");
    return 0;
}
