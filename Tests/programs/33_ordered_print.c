// Theme: `for ordered` with `#pragma omp ordered` blocks that printf: the lines must come out in
// iteration order whatever the schedule (static, static chunk, dynamic, dynamic chunk, guided,
// guided chunk, runtime, auto), for ascending, descending and strided loops, fewer iterations than
// threads, the combined and the separate form, an ordered loop with collapse(2), an ordered block
// in a called function, iterations that skip the ordered block, and work outside the ordered block
// whose results are printed later.
#include <omp.h>
#include <stdio.h>

static long sq[64];

static long slow(int i) {
    unsigned long x = (unsigned long)i * 2654435761u;
    for (int k = 0; k < (i % 5) * 300; k++) x = x * 6364136223846793005UL + 1;
    return (long)(x % 1000);
}

__attribute__((noinline)) static void print_in_order(const char *tag, int i, long v) {
    #pragma omp ordered
    printf("%s i=%d v=%ld\n", tag, i, v);
}

int main(void) {
    printf("33 ordered printing\n");

    #pragma omp parallel for ordered schedule(static)
    for (int i = 0; i < 12; i++) {
        long v = slow(i);
        #pragma omp ordered
        printf("static i=%d v=%ld\n", i, v);
    }

    #pragma omp parallel for ordered schedule(static, 2)
    for (int i = 0; i < 11; i++) {
        long v = slow(i + 1);
        #pragma omp ordered
        printf("static,2 i=%d v=%ld\n", i, v);
    }

    #pragma omp parallel for ordered schedule(dynamic)
    for (int i = 10; i >= 0; i--) {
        long v = slow(i + 2);
        #pragma omp ordered
        printf("dynamic down i=%d v=%ld\n", i, v);
    }

    #pragma omp parallel for ordered schedule(dynamic, 3)
    for (int i = 0; i < 30; i += 3) {
        long v = slow(i);
        #pragma omp ordered
        {
            printf("dynamic,3 step i=%d", i);
            printf(" v=%ld\n", v);
        }
    }

    #pragma omp parallel for ordered schedule(guided)
    for (int i = 0; i < 13; i++) {
        long v = slow(3 * i);
        #pragma omp ordered
        printf("guided i=%d v=%ld\n", i, v);
    }

    #pragma omp parallel for ordered schedule(guided, 4)
    for (long i = -6; i < 6; i++) {
        long v = slow((int)i + 6);
        #pragma omp ordered
        printf("guided,4 i=%ld v=%ld\n", i, v);
    }

    omp_set_schedule(omp_sched_dynamic, 2);
    #pragma omp parallel for ordered schedule(runtime)
    for (int i = 0; i < 9; i++) {
        long v = slow(i * 7);
        #pragma omp ordered
        printf("runtime dynamic,2 i=%d v=%ld\n", i, v);
    }
    omp_set_schedule(omp_sched_static, 3);
    #pragma omp parallel for ordered schedule(runtime)
    for (int i = 0; i < 9; i++) {
        #pragma omp ordered
        printf("runtime static,3 i=%d\n", i);
    }

    // Fewer iterations than threads.
    #pragma omp parallel for ordered schedule(static) num_threads(7)
    for (int i = 1; i < 4; i++) {
        #pragma omp ordered
        printf("static 3 trips, 7 threads i=%d\n", i);
    }

    #pragma omp parallel for ordered schedule(auto)
    for (int i = 0; i < 7; i++) {
        #pragma omp ordered
        printf("auto i=%d\n", i);
    }

    // Only every third iteration enters the ordered block; the others only compute.
    #pragma omp parallel for ordered schedule(dynamic)
    for (int i = 0; i < 30; i++) {
        sq[i] = (long)i * i;
        if (i % 3 == 0) {
            #pragma omp ordered
            printf("sparse i=%d sq=%ld\n", i, sq[i]);
        }
    }

    // collapse(2) ordered: order is that of the collapsed iteration space.
    #pragma omp parallel for ordered collapse(2) schedule(dynamic, 2)
    for (int i = 0; i < 3; i++)
        for (int j = 4; j > 0; j--) {
            #pragma omp ordered
            printf("collapse i=%d j=%d\n", i, j);
        }

    // Separate form: two ordered loops in one region, an orphaned ordered block, then a single.
    #pragma omp parallel
    {
        #pragma omp for ordered schedule(guided)
        for (int i = 0; i < 8; i++) print_in_order("orphan guided", i, slow(i));
        #pragma omp for ordered schedule(dynamic, 1) nowait
        for (int i = 7; i >= 0; i -= 2) {
            long v = slow(i) + sq[i];
            #pragma omp ordered
            printf("separate dynamic,1 i=%d v=%ld\n", i, v);
        }
        #pragma omp barrier
        #pragma omp single
        printf("single after ordered loops\n");
    }

    long total = 0;
    for (int i = 0; i < 30; i++) total += sq[i];
    printf("sum of squares=%ld\n", total);
    if (total != 8555) { printf("FAIL 33\n"); return 1; }
    printf("33 ok\n");
    return 0;
}
