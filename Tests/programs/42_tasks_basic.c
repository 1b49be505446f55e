// Theme: explicit tasks. Tasks created in a single writing their own elements of shared arrays;
// firstprivate values captured at creation while the creator keeps changing the variable; shared
// variables read after taskwait; undeferred if(0) tasks (done before the creator continues);
// final(1) tasks and their included children (omp_in_final); taskyield; untied and mergeable tasks;
// priority; tasks that create tasks; tasks created by every thread from a worksharing loop and
// completed by the region's barrier; tasks inside sections and master (completed by a barrier).
#include <omp.h>
#include <stdint.h>
#include <stdio.h>

#define NT 600

static long tout[NT];
static long part[NT];
static int final_flags[8];
static long grid[40][40];
static long sect_out[4];

static long cost(int i) {
    uint64_t x = (uint64_t)i * 0x9e3779b97f4a7c15ULL;
    for (int k = 0; k < (i % 13) * 50; k++) x ^= x << 7, x ^= x >> 9;
    return (long)(x % 100000);
}

int main(void) {
    printf("42 tasks\n");
    int bad = 0;

    // Tasks from a single, each writing its own element; values captured by firstprivate.
    int captured_ok = 1;
    #pragma omp parallel
    {
        #pragma omp single
        {
            for (int i = 0; i < NT; i++) {
                #pragma omp task firstprivate(i)
                tout[i] = cost(i) + i;
            }
            int v = 100;
            long got[4] = {0, 0, 0, 0};
            for (int k = 0; k < 4; k++) {
                #pragma omp task firstprivate(v) shared(got)
                {
                    #pragma omp taskyield
                    got[k] = v;                      // the value of v when the task was created
                }
                v += 10;
            }
            #pragma omp taskwait
            for (int k = 0; k < 4; k++) if (got[k] != 100 + 10 * k) captured_ok = 0;
            printf("single: tasks done, captured %ld %ld %ld %ld\n", got[0], got[1], got[2], got[3]);
        }
    }
    if (!captured_ok) bad++;
    long s1 = 0;
    for (int i = 0; i < NT; i++) {
        if (tout[i] != cost(i) + i) bad++;
        s1 += tout[i];
    }
    printf("task results sum=%ld\n", s1);

    // if(0) tasks run before the creator continues; final tasks and their children are final.
    long und = 0;
    int und_ok = 0;
    #pragma omp parallel
    {
        #pragma omp single
        {
            #pragma omp task if(0) shared(und)
            und = 77;
            und_ok = (und == 77);                    // no taskwait needed
            final_flags[0] = omp_in_final();
            #pragma omp task final(1) shared(final_flags)
            {
                final_flags[1] = omp_in_final();
                #pragma omp task shared(final_flags)
                final_flags[2] = omp_in_final();     // included task: final as well
                #pragma omp taskyield
                #pragma omp taskwait
            }
            #pragma omp task final(0) shared(final_flags)
            final_flags[3] = omp_in_final();
            #pragma omp task untied shared(final_flags)
            {
                #pragma omp taskyield
                final_flags[4] = 1;
            }
            #pragma omp task mergeable shared(final_flags)
            final_flags[5] = 2;
            #pragma omp task priority(1) shared(final_flags)
            final_flags[6] = 3;
            #pragma omp taskwait
        }
    }
    printf("if(0): und=%ld ok=%d; in_final: creator=%d final=%d child=%d nonfinal=%d; others %d %d %d\n", und,
           und_ok, final_flags[0], final_flags[1], final_flags[2], final_flags[3], final_flags[4], final_flags[5],
           final_flags[6]);
    if (!und_ok || final_flags[0] || !final_flags[1] || !final_flags[2] || final_flags[3]) bad++;

    // Tasks that create tasks: row tasks spawn one task per cell; taskwait waits for children only.
    #pragma omp parallel
    {
        #pragma omp single
        for (int r = 0; r < 40; r++) {
            #pragma omp task firstprivate(r)
            {
                for (int c = 0; c < 40; c++) {
                    #pragma omp task firstprivate(r, c)
                    grid[r][c] = (long)r * 100 + c;
                }
                #pragma omp taskwait
                long s = 0;
                for (int c = 0; c < 40; c++) s += grid[r][c];
                part[r] = s;                          // the row's children are done
            }
        }
    }
    for (int r = 0; r < 40; r++) if (part[r] != 4000L * r + 780) bad++;
    printf("nested tasks: part[0]=%ld part[39]=%ld\n", part[0], part[39]);

    // Every thread creates tasks from its share of a worksharing loop; the barrier completes them.
    for (int i = 0; i < NT; i++) tout[i] = -1;
    #pragma omp parallel
    {
        #pragma omp for schedule(dynamic, 8)
        for (int i = 0; i < NT; i++) {
            #pragma omp task firstprivate(i)
            tout[i] = cost(NT - i) * 2;
        }
        // implicit barrier of the loop: all tasks are complete after it
        #pragma omp single
        {
            long s = 0;
            for (int i = 0; i < NT; i++) s += tout[i];
            part[0] = s;
        }
    }
    long s2 = 0;
    for (int i = 0; i < NT; i++) {
        if (tout[i] != cost(NT - i) * 2) bad++;
        s2 += tout[i];
    }
    if (part[0] != s2) bad++;
    printf("tasks from a loop: sum=%ld\n", s2);

    // Tasks inside sections and master; completed by the barriers.
    #pragma omp parallel
    {
        #pragma omp sections
        {
            #pragma omp section
            {
                #pragma omp task
                sect_out[0] = cost(5);
            }
            #pragma omp section
            {
                #pragma omp task
                sect_out[1] = cost(7);
                #pragma omp taskwait
                sect_out[2] = sect_out[1] + 1;
            }
        }
        #pragma omp master
        {
            #pragma omp task
            sect_out[3] = 4242;
        }
        #pragma omp barrier
    }
    printf("sections/master tasks: %ld %ld %ld %ld\n", sect_out[0], sect_out[1], sect_out[2], sect_out[3]);
    if (sect_out[0] != cost(5) || sect_out[2] != cost(7) + 1 || sect_out[3] != 4242) bad++;

    if (bad) { printf("FAIL 42: %d mismatches\n", bad); return 1; }
    printf("42 ok\n");
    return 0;
}
