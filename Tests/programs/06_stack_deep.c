// Theme: shared data on the caller's stack several calls deep. Arrays local to functions 2-4 calls
// below main (plus a VLA) are written in a region inside the innermost function; a recursive
// function runs a region at every depth that writes its own frame's array and its parent's array.
#include <omp.h>
#include <stdio.h>

#define M 3000
#define R 256
#define DEPTH 12

static int bad = 0;

__attribute__((noinline)) static void level4(double *mine, long *from2, int n, int salt) {
    double vla[n];                                // variable-length array in the innermost frame
    #pragma omp parallel for schedule(static, 11)
    for (int i = 0; i < n; i++) {
        vla[i] = i * 0.5 + salt;
        mine[i] = i * 2.0 - salt;
        from2[i] = (long)i * salt;
    }
    for (int i = 0; i < n; i++)
        if (vla[i] != i * 0.5 + salt) bad++;
    #pragma omp parallel for schedule(static)
    for (int i = 0; i < n; i++) mine[i] += vla[n - 1 - i];
}

__attribute__((noinline)) static double level3(long *from2, int salt) {
    double loc3[M];
    level4(loc3, from2, M, salt);
    double s = 0.0;
    for (int i = 0; i < M; i++) {
        double e = i * 2.0 - salt + ((M - 1 - i) * 0.5 + salt);
        if (loc3[i] != e) bad++;
        s += loc3[i];
    }
    return s;
}

__attribute__((noinline)) static double level2(int salt) {
    long loc2[M];
    for (int i = 0; i < M; i++) loc2[i] = -1;
    double s = level3(loc2, salt);
    long sl = 0;
    for (int i = 0; i < M; i++) {
        if (loc2[i] != (long)i * salt) bad++;
        sl += loc2[i];
    }
    return s + (double)sl;
}

__attribute__((noinline)) static double level1(int salt) { return level2(salt) + 1.0; }

// Recursive: each frame owns `mine`; a region writes mine (all of it) and the odd half of the parent
// array; after the recursion returns, the frame checks that its array holds what it and its child wrote.
__attribute__((noinline)) static long rec(int depth, int *parent) {
    int mine[R];
    #pragma omp parallel for schedule(static, 1)
    for (int i = 0; i < R; i++) {
        mine[i] = depth * 1000 + i;
        if (parent && (i & 1)) parent[i] = -depth * 1000 - i;
    }
    long below = depth + 1 < DEPTH ? rec(depth + 1, mine) : 0;
    long s = 0;
    for (int i = 0; i < R; i++) {
        int e = (i & 1) && depth + 1 < DEPTH ? -(depth + 1) * 1000 - i : depth * 1000 + i;
        if (mine[i] != e) bad++;
        s += mine[i];
    }
    return s + below;
}

int main(void) {
    printf("06 stack deep\n");
    double total = 0.0;
    for (int salt = 1; salt <= 3; salt++) {
        double r = level1(salt);
        printf("salt %d: %.3f\n", salt, r);
        total += r;
    }
    long rs = rec(0, NULL);
    printf("total=%.3f rec=%ld\n", total, rs);
    if (bad) { printf("FAIL 06: %d mismatches\n", bad); return 1; }
    printf("06 ok\n");
    return 0;
}
