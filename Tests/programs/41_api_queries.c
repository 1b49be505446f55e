// Theme: the omp_* query and setter API: omp_get_level, omp_get_active_level,
// omp_get_ancestor_thread_num, omp_get_team_size (outside, in teams of 1 and 3, and in a nested
// region that runs serialized), omp_set/get_dynamic, omp_set/get_max_active_levels,
// omp_get_thread_limit, omp_get_supported_active_levels, omp_get_wtick, omp_set/get_schedule
// (also read inside a region), omp_in_parallel, omp_get_proc_bind, omp_get_num_places,
// omp_get_cancellation, omp_get_max_task_priority, omp_in_final, omp_get_num_teams,
// omp_get_team_num, omp_is_initial_device. Only values that libgomp gives identically at any
// OMP_NUM_THREADS are printed; machine-dependent ones are printed as checks.
#include <omp.h>
#include <stdio.h>

#define MAXT 64

static int anc_ok[MAXT], nest_ok[MAXT];

int main(void) {
    printf("41 API queries\n");
    int bad = 0;

    printf("outside: level=%d active=%d anc(0)=%d anc(-1)=%d anc(1)=%d size(0)=%d size(-1)=%d size(1)=%d\n",
           omp_get_level(), omp_get_active_level(), omp_get_ancestor_thread_num(0),
           omp_get_ancestor_thread_num(-1), omp_get_ancestor_thread_num(1), omp_get_team_size(0),
           omp_get_team_size(-1), omp_get_team_size(1));
    printf("outside: in_parallel=%d num_threads=%d thread_num=%d in_final=%d\n", omp_in_parallel(),
           omp_get_num_threads(), omp_get_thread_num(), omp_in_final());

    // dynamic adjustment: default off; set and read back, then off again.
    printf("dynamic: default=%d", omp_get_dynamic());
    omp_set_dynamic(1);
    printf(" after set(1)=%d", omp_get_dynamic() != 0);
    omp_set_dynamic(0);
    printf(" after set(0)=%d\n", omp_get_dynamic());

    // max active levels: default 1 (nested regions inactive); set and restore, no regions between.
    int mal = omp_get_max_active_levels();
    omp_set_max_active_levels(3);
    int mal3 = omp_get_max_active_levels();
    omp_set_max_active_levels(2);
    int mal2 = omp_get_max_active_levels();
    omp_set_max_active_levels(1);
    printf("max_active_levels: default=%d set(3)=%d set(2)=%d restored=%d\n", mal, mal3, mal2,
           omp_get_max_active_levels());

    // Machine- or implementation-dependent values: only their consistency is printed.
    int tl = omp_get_thread_limit(), sal = omp_get_supported_active_levels();
    double tick = omp_get_wtick();
    printf("thread_limit>=max_threads: %d, supported_active_levels>=1: %d, wtick in (0,1]: %d, procs>0: %d\n",
           tl >= omp_get_max_threads(), sal >= 1, tick > 0.0 && tick <= 1.0, omp_get_num_procs() > 0);
    printf("proc_bind=%d num_places=%d cancellation=%d max_task_priority=%d\n", (int)omp_get_proc_bind(),
           omp_get_num_places(), omp_get_cancellation(), omp_get_max_task_priority());
    printf("num_teams=%d team_num=%d initial_device=%d\n", omp_get_num_teams(), omp_get_team_num(),
           omp_is_initial_device());

    // Schedule set and read back outside and inside a region.
    omp_set_schedule(omp_sched_guided, 6);
    omp_sched_t k_in = omp_sched_static;
    int c_in = -1, lvl_in = -1, act_in = -1, size1_in = -1, size0_in = -1, anc0_in = -1, anc2_in = 0;
    int inpar_in = -1, nt_in = -1, dyn_in = -1, mal_in = -1;
    #pragma omp parallel num_threads(3)
    {
        int t = omp_get_thread_num();
        if (t < MAXT) anc_ok[t] = omp_get_ancestor_thread_num(1) == t && omp_get_team_size(1) == 3;
        #pragma omp single
        {
            omp_get_schedule(&k_in, &c_in);
            lvl_in = omp_get_level();
            act_in = omp_get_active_level();
            size1_in = omp_get_team_size(1);
            size0_in = omp_get_team_size(0);
            anc0_in = omp_get_ancestor_thread_num(0);
            anc2_in = omp_get_ancestor_thread_num(2);
            inpar_in = omp_in_parallel();
            nt_in = omp_get_num_threads();
            dyn_in = omp_get_dynamic();
            mal_in = omp_get_max_active_levels();
        }
    }
    printf("in team of 3: schedule=%d,%d level=%d active=%d size(1)=%d size(0)=%d anc(0)=%d anc(2)=%d\n",
           (int)k_in, c_in, lvl_in, act_in, size1_in, size0_in, anc0_in, anc2_in);
    printf("in team of 3: in_parallel=%d num_threads=%d dynamic=%d max_active_levels=%d\n", inpar_in, nt_in,
           dyn_in, mal_in);
    for (int t = 0; t < 3; t++) if (!anc_ok[t]) { printf("ancestor/team size wrong for thread %d\n", t); bad++; }

    // A team of one is not active.
    int lvl1 = -1, act1 = -1, size1 = -1, inpar1 = -1;
    #pragma omp parallel num_threads(1)
    {
        lvl1 = omp_get_level();
        act1 = omp_get_active_level();
        size1 = omp_get_team_size(1);
        inpar1 = omp_in_parallel();
    }
    printf("in team of 1: level=%d active=%d size(1)=%d in_parallel=%d\n", lvl1, act1, size1, inpar1);

    // A nested region inside a team of 2 runs with one thread (max_active_levels is 1).
    int nl = -1, na = -1, nnt = -1, ns2 = -1, ns1 = -1, nanc2 = -1;
    #pragma omp parallel num_threads(2)
    {
        int outer = omp_get_thread_num();
        #pragma omp parallel num_threads(2)
        {
            int ok = omp_get_num_threads() == 1 && omp_get_thread_num() == 0 &&
                     omp_get_ancestor_thread_num(1) == outer && omp_get_ancestor_thread_num(2) == 0 &&
                     omp_get_team_size(2) == 1 && omp_get_team_size(1) == 2 && omp_get_level() == 2 &&
                     omp_get_active_level() == 1;
            if (outer < MAXT) nest_ok[outer] = ok;
            if (outer == 0) {
                nl = omp_get_level();
                na = omp_get_active_level();
                nnt = omp_get_num_threads();
                ns2 = omp_get_team_size(2);
                ns1 = omp_get_team_size(1);
                nanc2 = omp_get_ancestor_thread_num(2);
            }
        }
    }
    printf("nested: level=%d active=%d num_threads=%d size(2)=%d size(1)=%d anc(2)=%d\n", nl, na, nnt, ns2, ns1,
           nanc2);
    for (int t = 0; t < 2; t++) if (!nest_ok[t]) { printf("nested queries wrong for outer thread %d\n", t); bad++; }

    // Back outside: everything as before.
    if (omp_get_level() != 0 || omp_get_active_level() != 0 || omp_in_parallel() || omp_get_dynamic() ||
        omp_get_max_active_levels() != 1) {
        printf("state after regions wrong\n");
        bad++;
    }
    omp_sched_t k;
    int c;
    omp_get_schedule(&k, &c);
    printf("schedule after regions=%d,%d\n", (int)k, c);

    if (bad) { printf("FAIL 41: %d mismatches\n", bad); return 1; }
    printf("41 ok\n");
    return 0;
}
