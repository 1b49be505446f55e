// Theme: files written by sequential code. Every rank runs the sequential code, but a file appended
// to after each region must hold each line once (written by one rank), and the program must read
// back what it wrote; a file written to a temporary name and renamed, then removed at the end.
#include <stdio.h>
#include <stdlib.h>

#define N 1000
static long a[N];

int main(void) {
    printf("81 files written once\n");
    const char *log = "81_files_once.log", *tmp = "81_files_once.tmp", *fin = "81_files_once.dat";
    remove(log);
    for (int r = 0; r < 3; r++) {
        #pragma omp parallel for
        for (int i = 0; i < N; i++) a[i] = (long)i * (r + 1);
        long s = 0;
        for (int i = 0; i < N; i++) s += a[i];
        FILE *f = fopen(log, "a");
        if (!f) { printf("FAIL 81: cannot open %s\n", log); return 1; }
        fprintf(f, "round %d sum %ld\n", r, s);
        fclose(f);
    }
    FILE *f = fopen(tmp, "w");
    for (int i = 0; i < N; i += 100) fprintf(f, "%ld\n", a[i]);
    fclose(f);
    rename(tmp, fin);

    char line[128];
    int lines = 0;
    f = fopen(log, "r");
    while (f && fgets(line, sizeof line, f)) { printf("log: %s", line); lines++; }
    if (f) fclose(f);
    long back = 0, v;
    int values = 0;
    f = fopen(fin, "r");
    while (f && fscanf(f, "%ld", &v) == 1) { back += v; values++; }
    if (f) fclose(f);
    printf("log lines=%d, data values=%d sum=%ld\n", lines, values, back);
    remove(log);
    remove(fin);
    if (lines != 3 || values != 10) { printf("FAIL 81\n"); return 1; }
    printf("81 ok\n");
    return 0;
}
