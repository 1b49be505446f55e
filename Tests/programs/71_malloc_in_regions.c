// Theme: memory allocated inside parallel regions. Per-iteration scratch buffers (malloc/free in the
// same iteration), rows allocated inside a loop and read after it, strdup'd strings, realloc growth,
// calloc, aligned allocations, memory from the sequential heap freed inside a region (in a single),
// blocks allocated by one thread and freed by another in a later region, and a linked list whose
// nodes are allocated by the threads and walked afterwards.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N 240

struct node { int value; struct node *next; };

static double *rows[N];
static char *names[N];
static struct node *heads[N];

int main(void) {
    printf("71 malloc in regions\n");
    int bad = 0;
    double *seqbuf = malloc(1000 * sizeof(double));
    for (int i = 0; i < 1000; i++) seqbuf[i] = i * 0.5;

    #pragma omp parallel for schedule(dynamic, 3)
    for (int i = 0; i < N; i++) {
        double *scratch = malloc(64 * sizeof(double));
        for (int k = 0; k < 64; k++) scratch[k] = i * k;
        rows[i] = malloc((size_t)(i + 1) * sizeof(double));
        for (int k = 0; k <= i; k++) rows[i][k] = scratch[k % 64] + seqbuf[k];
        free(scratch);
        char buf[32];
        snprintf(buf, sizeof buf, "row-%d", i);
        names[i] = strdup(buf);
        char *grow = NULL;
        size_t cap = 0;
        for (int k = 1; k < 12; k++) {
            cap = (size_t)k * 150;
            grow = realloc(grow, cap);
            grow[cap - 1] = (char)k;
        }
        if (grow[cap - 1] != 11) rows[i][0] = -1e9;
        free(grow);
    }

    // Sequential memory released inside a region, by one thread.
    #pragma omp parallel
    {
        #pragma omp single
        {
            free(seqbuf);
            seqbuf = NULL;
        }
    }

    double s = 0;
    long len = 0;
    for (int i = 0; i < N; i++) {
        for (int k = 0; k <= i; k++) s += rows[i][k];
        len += (long)strlen(names[i]);
    }
    printf("rows sum=%.1f names=%ld chars, last=%s\n", s, len, names[N - 1]);

    // Freed by other threads than the ones that allocated them (reversed order), in a region.
    #pragma omp parallel for schedule(static, 7)
    for (int i = 0; i < N; i++) {
        free(rows[N - 1 - i]);
        free(names[(i * 7) % N]);
    }

    // calloc and aligned memory inside a region; lists built by the threads.
    long zeros = 0;
    int misaligned = 0;
    #pragma omp parallel for schedule(guided) reduction(+:zeros, misaligned)
    for (int i = 0; i < N; i++) {
        int *z = calloc(50, sizeof(int));
        for (int k = 0; k < 50; k++) zeros += z[k] == 0;
        free(z);
        void *a = NULL;
        if (posix_memalign(&a, 256, 100) != 0 || ((size_t)a & 255)) misaligned++;
        free(a);
        struct node *h = NULL;
        for (int k = 0; k <= i % 9; k++) {
            struct node *n = malloc(sizeof *n);
            n->value = i * 10 + k;
            n->next = h;
            h = n;
        }
        heads[i] = h;
    }
    long listsum = 0, nodes = 0;
    for (int i = 0; i < N; i++) {
        for (struct node *n = heads[i]; n;) {
            struct node *next = n->next;
            listsum += n->value;
            nodes++;
            free(n);
            n = next;
        }
    }
    printf("calloc zeros=%ld misaligned=%d list nodes=%ld sum=%ld\n", zeros, misaligned, nodes, listsum);
    if (zeros != 50L * N || misaligned || nodes == 0) bad++;

    // Many regions allocating and freeing: the heaps stay the same on every rank.
    long acc = 0;
    for (int round = 0; round < 30; round++) {
        #pragma omp parallel for schedule(dynamic) reduction(+:acc)
        for (int i = 0; i < 64; i++) {
            int *t = malloc((size_t)(16 + (i + round) % 40) * sizeof(int));
            t[0] = i + round;
            acc += t[0];
            free(t);
        }
    }
    printf("rounds acc=%ld\n", acc);

    if (bad) { printf("FAIL 71\n"); return 1; }
    printf("71 ok\n");
    return 0;
}
