// Theme: pointers stored in shared memory: an array of pointers into another heap buffer filled in a
// region and dereferenced afterwards; a linked list whose next pointers are set in parallel; pointers
// into stack and global data stored in a heap table.
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#define N 50000
#define P 7919            // prime: i -> i*P mod N is a permutation of 0..N-1 (N not a multiple of P)

struct node {
    struct node *next;
    int value;
    int visited;
};

static int globals[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

int main(void) {
    printf("11 pointers in shared memory\n");
    int *data = malloc(N * sizeof *data);
    int **ptrs = malloc(N * sizeof *ptrs);
    struct node *nodes = malloc(N * sizeof *nodes);
    const int **table = malloc(48 * sizeof *table);
    int stackvals[32];
    if (!data || !ptrs || !nodes || !table) { printf("FAIL 11: malloc\n"); return 1; }
    for (int i = 0; i < N; i++) data[i] = i * 3;
    for (int i = 0; i < 32; i++) stackvals[i] = 100 + i;

    #pragma omp parallel
    {
        #pragma omp for schedule(static, 1) nowait
        for (int i = 0; i < N; i++) ptrs[i] = &data[(long)i * P % N];
        // Node i links to the node visited after it in the order 0, P, 2P, ... (mod N): a single cycle.
        #pragma omp for schedule(static) nowait
        for (int i = 0; i < N; i++) {
            nodes[i].next = &nodes[(i + P) % N];
            nodes[i].value = i;
            nodes[i].visited = 0;
        }
        #pragma omp for schedule(static, 3) nowait
        for (int i = 0; i < 48; i++) table[i] = i < 32 ? &stackvals[i] : &globals[i - 32];
    }

    int bad = 0;
    long long sum = 0;
    for (int i = 0; i < N; i++) {
        if (*ptrs[i] != (int)((long)i * P % N) * 3) bad++;
        sum += *ptrs[i] * (long long)(i % 10);
    }

    // Walk the list from node 0: must visit every node exactly once and come back.
    struct node *p = &nodes[0];
    long steps = 0;
    long long walk = 0;
    do {
        if (p->visited) { bad++; break; }
        p->visited = 1;
        walk = walk * 31 + p->value;
        walk %= 1000000007LL;
        p = p->next;
        steps++;
    } while (p != &nodes[0] && steps <= N);
    if (steps != N) bad++;

    // Dereference pointers into the stack and globals, then write through them in a region.
    long tsum = 0;
    for (int i = 0; i < 48; i++) tsum += *table[i];
    #pragma omp parallel for schedule(static, 1)
    for (int i = 0; i < 48; i++) *(int *)table[i] += 1000;
    for (int i = 0; i < 32; i++) if (stackvals[i] != 1100 + i) bad++;
    for (int i = 0; i < 16; i++) if (globals[i] != 1001 + i) bad++;

    printf("sum=%lld steps=%ld walk=%lld tsum=%ld\n", sum, steps, walk, tsum);
    free(data); free(ptrs); free(nodes); free(table);
    if (bad) { printf("FAIL 11: %d mismatches\n", bad); return 1; }
    printf("11 ok\n");
    return 0;
}
