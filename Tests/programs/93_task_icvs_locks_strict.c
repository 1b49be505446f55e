// Tasks own what the specification gives them: ICVs that an undeferred task sets stay the task's
// (omp_set_num_threads inside `task if(0)` does not change its parent's), a nest lock belongs to
// the task that set it (omp_test_nest_lock in an `if(0)` task fails while the parent holds it,
// inside a region too), and `taskloop grainsize(strict: g)` makes tasks of exactly g iterations.
#include <omp.h>
#include <stdio.h>

static int pos[100];
static omp_nest_lock_t nest;

static void sizes(const char *what, int n) {
    printf("%s:", what);
    int size = 0;
    for (int i = 0; i < n; i++) {
        if (pos[i] == 1 && size) { printf(" %d", size); size = 0; }
        size++;
    }
    printf(" %d\n", size);
}

int main(void) {
    int before = 0, inside = 0, after = 0;
    omp_set_num_threads(3);
    #pragma omp parallel num_threads(2)
    {
        #pragma omp single
        {
            before = omp_get_max_threads();
            #pragma omp task if(0)
            {
                omp_set_num_threads(5);
                inside = omp_get_max_threads();
            }
            after = omp_get_max_threads();
        }
    }
    printf("max threads in a region: before the task %d, inside %d, after %d; sequential %d\n",
           before, inside, after, omp_get_max_threads());
    #pragma omp task if(0)
    omp_set_num_threads(7);
    printf("after an if(0) task in sequential code: %d\n", omp_get_max_threads());

    omp_init_nest_lock(&nest);
    int outside = -1, in_region = -1, own = -1;
    omp_set_nest_lock(&nest);
    #pragma omp task if(0) shared(outside)
    outside = omp_test_nest_lock(&nest);
    own = omp_test_nest_lock(&nest);
    omp_unset_nest_lock(&nest);
    omp_unset_nest_lock(&nest);
    #pragma omp parallel num_threads(2) reduction(+:in_region)
    {
        #pragma omp single
        {
            omp_set_nest_lock(&nest);
            int got;
            #pragma omp task if(0) shared(got)
            got = omp_test_nest_lock(&nest);
            in_region = got + 1;
            omp_unset_nest_lock(&nest);
        }
    }
    omp_destroy_nest_lock(&nest);
    printf("nest lock held by the parent: if(0) task gets %d, the parent again %d, in a region %d\n", outside, own, in_region - 1);

    int c = 0;
    for (int n = 30; n <= 37; n += 7) {
        #pragma omp parallel
        #pragma omp single
        {
            #pragma omp taskloop grainsize(strict: 7) firstprivate(c)
            for (int i = 0; i < n; i++) pos[i] = ++c;
        }
        sizes(n == 30 ? "grainsize(strict: 7) of 30" : "grainsize(strict: 7) of 37", n);
        #pragma omp parallel
        #pragma omp single
        {
            #pragma omp taskloop grainsize(7) firstprivate(c)
            for (int i = 0; i < n; i++) pos[i] = ++c;
        }
        sizes(n == 30 ? "grainsize(7) of 30" : "grainsize(7) of 37", n);
        #pragma omp parallel
        #pragma omp single
        {
            #pragma omp taskloop num_tasks(strict: 4) firstprivate(c)
            for (int i = 0; i < n; i++) pos[i] = ++c;
        }
        sizes(n == 30 ? "num_tasks(strict: 4) of 30" : "num_tasks(strict: 4) of 37", n);
    }
    return 0;
}
