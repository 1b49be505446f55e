// Theme: the omp_* API beyond thread numbers: levels and ancestry, the ICVs a program sets
// (dyn-var, nesting, max-active-levels, nthreads-var, default device, default allocator, teams)
// and their inheritance by the tasks of a region and of a nested region, places, the affinity
// format, allocators, host device memory and pause. Only values that do not depend on the team
// size are printed; inside regions every thread records checks in its own slot, printed after.
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MAXT 64

void *GOMP_alloc(size_t alignment, size_t size, uintptr_t allocator);
void GOMP_free(void *ptr, uintptr_t allocator);

static int bad;
static void check(int cond, const char *what) {
    if (!cond) { printf("FAIL 50: %s\n", what); bad++; }
}

static int outer_ok[MAXT], nested_ok[MAXT], icv_ok[MAXT], format_ok[MAXT], clause_ok[MAXT];
static int seen[MAXT];

static int is_ranges(const char *s) {
    if (!*s) return 0;
    for (; *s; s++) if (!((*s >= '0' && *s <= '9') || *s == '-' || *s == ',')) return 0;
    return 1;
}

static void levels_outside(void) {
    printf("level=%d active=%d in_parallel=%d\n", omp_get_level(), omp_get_active_level(), omp_in_parallel());
    printf("ancestor(-1,0,1)=%d,%d,%d team_size(-1,0,1)=%d,%d,%d\n", omp_get_ancestor_thread_num(-1),
           omp_get_ancestor_thread_num(0), omp_get_ancestor_thread_num(1), omp_get_team_size(-1), omp_get_team_size(0),
           omp_get_team_size(1));
}

static void icvs_outside(void) {
    printf("dynamic=%d", omp_get_dynamic());
    omp_set_dynamic(5);
    printf(" after set 5: %d", omp_get_dynamic());
    omp_set_dynamic(0);
    printf(" after set 0: %d\n", omp_get_dynamic());

    printf("nested=%d max_active_levels=%d supported=%d\n", omp_get_nested(), omp_get_max_active_levels(),
           omp_get_supported_active_levels());
    omp_set_nested(1);
    printf("set_nested(1): nested=%d levels=%d\n", omp_get_nested(), omp_get_max_active_levels());
    omp_set_max_active_levels(1);
    printf("set_max_active_levels(1): nested=%d levels=%d\n", omp_get_nested(), omp_get_max_active_levels());
    omp_set_max_active_levels(1000);
    printf("set_max_active_levels(1000): nested=%d levels=%d\n", omp_get_nested(), omp_get_max_active_levels());
    omp_set_nested(0);
    printf("set_nested(0): nested=%d levels=%d\n", omp_get_nested(), omp_get_max_active_levels());
    omp_set_max_active_levels(0);
    omp_set_max_active_levels(-3);
    printf("set_max_active_levels(0), (-3): nested=%d levels=%d\n", omp_get_nested(), omp_get_max_active_levels());
    omp_set_max_active_levels(1);

    int maxt = omp_get_max_threads();
    omp_set_num_threads(0);
    printf("set_num_threads(0): max_threads=%d\n", omp_get_max_threads());
    omp_set_num_threads(maxt);

    printf("thread_limit=%d max_task_priority=%d cancellation=%d\n", omp_get_thread_limit(),
           omp_get_max_task_priority(), omp_get_cancellation());

    printf("max_teams=%d", omp_get_max_teams());
    omp_set_num_teams(3);
    omp_set_num_teams(-1);
    printf(" after 3,-1: %d", omp_get_max_teams());
    omp_set_num_teams(0);
    printf(" after 0: %d\n", omp_get_max_teams());
    printf("teams_thread_limit=%d", omp_get_teams_thread_limit());
    omp_set_teams_thread_limit(7);
    omp_set_teams_thread_limit(-1);
    printf(" after 7,-1: %d", omp_get_teams_thread_limit());
    omp_set_teams_thread_limit(0);
    printf(" after 0: %d\n", omp_get_teams_thread_limit());

    printf("devices=%d initial=%d device_num=%d is_initial=%d num_teams=%d team_num=%d default_device=%d\n",
           omp_get_num_devices(), omp_get_initial_device(), omp_get_device_num(), omp_is_initial_device(),
           omp_get_num_teams(), omp_get_team_num(), omp_get_default_device());
    omp_set_default_device(5);
    printf("default_device after 5: %d", omp_get_default_device());
    omp_set_default_device(-1);
    printf(" after -1: %d\n", omp_get_default_device());
}

static void places(void) {
    int ids[4] = {-7, -7, -7, -7};
    omp_get_place_proc_ids(0, ids);
    omp_get_partition_place_nums(ids + 2);
    printf("proc_bind=%d places=%d place_num=%d place_num_procs(0)=%d partition_places=%d ids untouched=%d\n",
           (int)omp_get_proc_bind(), omp_get_num_places(), omp_get_place_num(), omp_get_place_num_procs(0),
           omp_get_partition_num_places(), ids[0] == -7 && ids[2] == -7);
}

static void affinity_outside(void) {
    char buf[128];
    size_t n = omp_get_affinity_format(buf, sizeof buf);
    printf("affinity format (%zu) '%s'\n", n, buf);
    omp_set_affinity_format("T%n/%N");
    n = omp_get_affinity_format(buf, 4);
    printf("set T%%n/%%N, get into 4 bytes: %zu '%s'\n", n, buf);
    n = omp_capture_affinity(buf, sizeof buf, NULL);
    printf("capture default: %zu '%s'\n", n, buf);
    n = omp_capture_affinity(buf, sizeof buf, "%0.4n|%.4L|%3N|%a|%t|%T|%{nesting_level}|%{ancestor_tnum}|%%");
    printf("capture fields: %zu '%s'\n", n, buf);
    n = omp_capture_affinity(buf, 5, "abcdefghij");
    printf("capture into 5 bytes: %zu '%s'\n", n, buf);
    printf("capture size only: %zu\n", omp_capture_affinity(NULL, 0, "%n-%N"));

    char pid[32], host[256], text[256];
    snprintf(pid, sizeof pid, "%d", (int)getpid());
    gethostname(host, sizeof host);
    omp_capture_affinity(text, sizeof text, "%P");
    int ok = strcmp(text, pid) == 0;
    omp_capture_affinity(text, sizeof text, "%{host}");
    ok &= strncmp(text, host, sizeof host) == 0;
    omp_capture_affinity(text, sizeof text, "%i");
    ok &= strncmp(text, "0x", 2) == 0;
    omp_capture_affinity(text, sizeof text, "%A");
    ok &= is_ranges(text);
    printf("process id, host, native thread id, affinity: %s\n", ok ? "ok" : "wrong");
    omp_set_affinity_format("level %L thread %i affinity %A");
}

static void in_region(void) {
    int maxt = omp_get_max_threads();
    omp_set_max_active_levels(3);
    omp_set_default_device(2);
    omp_set_default_allocator(omp_low_lat_mem_alloc);
    int team = 0;
    #pragma omp parallel
    {
        int t = omp_get_thread_num(), nt = omp_get_num_threads();
        if (t < MAXT) {
            seen[t] = 1;
            if (t == 0) team = nt;
            int active = nt > 1;
            outer_ok[t] = omp_get_level() == 1 && omp_get_active_level() == active && omp_in_parallel() == active
                && omp_get_ancestor_thread_num(0) == 0 && omp_get_ancestor_thread_num(1) == t
                && omp_get_ancestor_thread_num(2) == -1 && omp_get_team_size(0) == 1 && omp_get_team_size(1) == nt
                && omp_get_team_size(2) == -1 && omp_get_place_num() == -1 && omp_get_partition_num_places() == 0;
            // Inherited from the sequential part; changes stay with this thread's task.
            icv_ok[t] = omp_get_max_threads() == maxt && omp_get_dynamic() == 0 && omp_get_max_active_levels() == 3
                && omp_get_nested() == 1 && omp_get_default_device() == 2
                && omp_get_default_allocator() == omp_low_lat_mem_alloc;
            omp_set_num_threads(t + 5);
            omp_set_dynamic(1);
            omp_set_default_allocator(omp_thread_mem_alloc);
            omp_set_max_active_levels(1);
            icv_ok[t] &= omp_get_max_threads() == t + 5 && omp_get_dynamic() == 1
                && omp_get_default_allocator() == omp_thread_mem_alloc && omp_get_max_active_levels() == 1
                && omp_get_nested() == 0;

            char want[64], got[64];
            snprintf(want, sizeof want, "1 %d %d 0", t, nt);
            omp_capture_affinity(got, sizeof got, "%L %n %N %a");
            format_ok[t] = strcmp(got, want) == 0;

            // num_threads(1): libgomp too runs it with one thread whatever the outer team is.
            int inner_ok = 1;
            #pragma omp parallel num_threads(1)
            {
                inner_ok = omp_get_level() == 2 && omp_get_active_level() == active && omp_get_num_threads() == 1
                    && omp_get_thread_num() == 0 && omp_get_ancestor_thread_num(1) == t
                    && omp_get_ancestor_thread_num(2) == 0 && omp_get_team_size(1) == nt && omp_get_team_size(2) == 1
                    && omp_get_ancestor_thread_num(3) == -1;
                // The nested task inherits this thread's values; its own change ends with it.
                inner_ok &= omp_get_max_threads() == t + 5 && omp_get_dynamic() == 1
                    && omp_get_default_allocator() == omp_thread_mem_alloc && omp_get_max_active_levels() == 1
                    && omp_get_default_device() == 2;
                omp_set_num_threads(t + 7);
                inner_ok &= omp_get_max_threads() == t + 7;
                char w[64], g[64];
                snprintf(w, sizeof w, "2 0 1 %d", t);
                omp_capture_affinity(g, sizeof g, "%L %n %N %a");
                inner_ok &= strcmp(g, w) == 0;
            }
            nested_ok[t] = inner_ok && omp_get_max_threads() == t + 5 && omp_get_level() == 1 && omp_get_ancestor_thread_num(2) == -1;
        }
    }
    int all = 1, distinct = 0;
    for (int t = 0; t < MAXT; t++) distinct += seen[t];
    for (int t = 0; t < team && t < MAXT; t++) {
        check(outer_ok[t], "levels, ancestors or places inside the region");
        check(icv_ok[t], "ICVs inside the region");
        check(format_ok[t], "affinity fields inside the region");
        check(nested_ok[t], "levels or ICVs inside a nested region");
        all &= outer_ok[t] && icv_ok[t] && format_ok[t] && nested_ok[t];
    }
    check(distinct == team, "thread numbers are not 0..n-1");
    printf("region and nested region: %s\n", all ? "ok" : "wrong");
    // The region's changes ended with it.
    printf("after the region: max_threads unchanged=%d dynamic=%d levels=%d device=%d allocator=%d\n",
           omp_get_max_threads() == maxt, omp_get_dynamic(), omp_get_max_active_levels(), omp_get_default_device(),
           (int)omp_get_default_allocator());
    omp_set_dynamic(0);
    omp_set_max_active_levels(1);
    omp_set_default_device(0);
    omp_set_default_allocator(omp_null_allocator);
    levels_outside();
}

static void allocators(void) {
    printf("default allocator=%d", (int)omp_get_default_allocator());
    omp_set_default_allocator(omp_high_bw_mem_alloc);
    printf(" after high_bw: %d", (int)omp_get_default_allocator());
    omp_set_default_allocator(omp_null_allocator);
    printf(" after null: %d\n", (int)omp_get_default_allocator());

    printf("alloc(0)=%p calloc(0,8)=%p calloc overflow=%p\n", omp_alloc(0, omp_null_allocator),
           omp_calloc(0, 8, omp_default_mem_alloc), omp_calloc(SIZE_MAX / 2 + 1, 4, omp_default_mem_alloc));

    char *a = omp_alloc(100, omp_null_allocator);
    char *b = omp_aligned_alloc(4096, 100, omp_large_cap_mem_alloc);
    long *c = omp_aligned_calloc(64, 50, sizeof(long), omp_high_bw_mem_alloc);
    int zero = 1;
    for (int i = 0; i < 50; i++) zero &= c[i] == 0;
    strcpy(a, "kept across realloc");
    a = omp_realloc(a, 100000, omp_null_allocator, omp_null_allocator);
    printf("alloc=%d aligned 4096=%d calloc aligned 64 and zero=%d realloc kept='%s'\n", a != NULL,
           b && (uintptr_t)b % 4096 == 0, c && (uintptr_t)c % 64 == 0 && zero, a);
    printf("realloc to 0=%p\n", omp_realloc(a, 0, omp_null_allocator, omp_null_allocator));
    omp_free(b, omp_large_cap_mem_alloc);
    omp_free(c, omp_null_allocator);
    omp_free(NULL, omp_null_allocator);
    void *r = omp_realloc(NULL, 16, omp_null_allocator, omp_null_allocator);
    printf("realloc(NULL)=%d\n", r != NULL);
    omp_free(r, omp_null_allocator);

    omp_alloctrait_t pinned = {omp_atk_pinned, omp_atv_true}, odd = {omp_atk_alignment, 3},
                     badkey = {(omp_alloctrait_key_t)99, 0}, sync = {omp_atk_sync_hint, omp_atv_private};
    printf("init_allocator: pinned=%d alignment 3=%d unknown trait=%d high_bw space=%d default space=%d sync private=%d\n",
           omp_init_allocator(omp_default_mem_space, 1, &pinned) != omp_null_allocator,
           omp_init_allocator(omp_default_mem_space, 1, &odd) != omp_null_allocator,
           omp_init_allocator(omp_default_mem_space, 1, &badkey) != omp_null_allocator,
           omp_init_allocator(omp_high_bw_mem_space, 0, NULL) != omp_null_allocator,
           omp_init_allocator(omp_default_mem_space, 0, NULL) != omp_null_allocator,
           omp_init_allocator(omp_default_mem_space, 1, &sync) != omp_null_allocator);

    omp_alloctrait_t aligned[] = {{omp_atk_alignment, 256}};
    omp_allocator_handle_t al = omp_init_allocator(omp_default_mem_space, 1, aligned);
    char *x = omp_alloc(10, al), *y = omp_aligned_alloc(1024, 10, al);
    strcpy(x, "moved");
    x = omp_realloc(x, 5000, omp_null_allocator, omp_null_allocator);
    printf("alignment 256: %d, larger asked: %d, realloc keeps allocator: %d '%s'\n", (uintptr_t)omp_alloc(1, al) % 256 == 0,
           (uintptr_t)y % 1024 == 0, (uintptr_t)x % 256 == 0, x);
    omp_free(x, al);
    omp_free(y, omp_null_allocator);
    omp_destroy_allocator(al);

    omp_alloctrait_t pool_null[] = {{omp_atk_pool_size, 100}, {omp_atk_fallback, omp_atv_null_fb}};
    omp_allocator_handle_t p = omp_init_allocator(omp_default_mem_space, 2, pool_null);
    void *p1 = omp_alloc(30, p), *p2 = omp_alloc(30, p);
    printf("pool of 100, null_fb: first=%d second=%d", p1 != NULL, p2 != NULL);
    omp_free(p1, p);
    p2 = omp_alloc(30, p);
    printf(" after free=%d too large=%d\n", p2 != NULL, omp_alloc(200, p) != NULL);
    omp_free(p2, omp_null_allocator);
    omp_destroy_allocator(p);

    omp_alloctrait_t pool_default[] = {{omp_atk_pool_size, 100}};
    p = omp_init_allocator(omp_default_mem_space, 1, pool_default);
    void *big = omp_alloc(200, p);
    printf("pool of 100, default fallback: 200 bytes=%d\n", big != NULL);
    omp_free(big, p);
    omp_destroy_allocator(p);

    omp_alloctrait_t pool_fb[] = {{omp_atk_pool_size, 100}, {omp_atk_fallback, omp_atv_allocator_fb},
                                  {omp_atk_fb_data, omp_default_mem_alloc}};
    p = omp_init_allocator(omp_default_mem_space, 3, pool_fb);
    big = omp_calloc(50, 4, p);
    printf("pool of 100, allocator_fb: 200 bytes=%d\n", big != NULL);
    omp_free(big, omp_null_allocator);
    omp_destroy_allocator(p);

    // The allocate clause: each thread's private copy comes from GOMP_alloc.
    omp_alloctrait_t align64[] = {{omp_atk_alignment, 64}};
    omp_allocator_handle_t a64 = omp_init_allocator(omp_default_mem_space, 1, align64);
    int v = 40, team = 0;
    #pragma omp parallel firstprivate(v) allocate(a64: v)
    {
        int t = omp_get_thread_num();
        v += t;
        if (t == 0) team = omp_get_num_threads();
        if (t < MAXT) clause_ok[t] = v == 40 + t && (uintptr_t)&v % 64 == 0;
    }
    int clause = team >= 1;
    for (int t = 0; t < team && t < MAXT; t++) clause &= clause_ok[t];
    printf("allocate clause with an aligned allocator: %s\n", clause ? "ok" : "wrong");
    omp_destroy_allocator(a64);

    void *g = GOMP_alloc(128, 1000, omp_default_mem_alloc);
    printf("GOMP_alloc aligned 128=%d\n", g && (uintptr_t)g % 128 == 0);
    GOMP_free(g, omp_default_mem_alloc);
}

static void devices(void) {
    int host = omp_get_initial_device(), other = omp_get_num_devices() + 1;
    int *d = omp_target_alloc(4 * sizeof(int), host);
    int src[4] = {1, 2, 3, 4}, back[4] = {0, 0, 0, 0};
    int r1 = omp_target_memcpy(d, src, sizeof src, 0, 0, host, host);
    int r2 = omp_target_memcpy(back, d, 2 * sizeof(int), sizeof(int), 2 * sizeof(int), host, host);
    printf("host: alloc=%d memcpy=%d,%d back=%d %d %d %d present=%d associate=%d disassociate=%d\n", d != NULL, r1, r2,
           back[0], back[1], back[2], back[3], omp_target_is_present(d, host),
           omp_target_associate_ptr(src, d, sizeof src, 0, host) != 0, omp_target_disassociate_ptr(src, host) != 0);
    omp_target_free(d, host);
    printf("other device: alloc=%p memcpy=%d present=%d associate=%d\n", omp_target_alloc(16, other),
           omp_target_memcpy(back, src, sizeof src, 0, 0, other, host), omp_target_is_present(src, other),
           omp_target_associate_ptr(src, src, sizeof src, 0, other) != 0);

    int m[3][4], out[3][4];
    for (int i = 0; i < 12; i++) ((int *)m)[i] = i, ((int *)out)[i] = -1;
    size_t volume[2] = {2, 2}, dst_off[2] = {1, 1}, src_off[2] = {0, 2}, dims[2] = {3, 4};
    int rr = omp_target_memcpy_rect(out, m, sizeof(int), 2, volume, dst_off, src_off, dims, dims, host, host);
    printf("memcpy_rect=%d:", rr);
    for (int i = 0; i < 12; i++) printf(" %d", ((int *)out)[i]);
    printf("\nmemcpy_rect dims supported=%d other device=%d\n",
           omp_target_memcpy_rect(NULL, NULL, 0, 0, NULL, NULL, NULL, NULL, NULL, host, host),
           omp_target_memcpy_rect(out, m, sizeof(int), 2, volume, dst_off, src_off, dims, dims, other, host));

    printf("pause host=%d other=%d all=%d\n", omp_pause_resource(omp_pause_soft, host),
           omp_pause_resource(omp_pause_soft, other), omp_pause_resource_all(omp_pause_hard));
}

int main(void) {
    printf("50 api queries\n");
    levels_outside();
    icvs_outside();
    places();
    affinity_outside();
    in_region();
    allocators();
    devices();
    omp_display_env(0);
    if (bad) return 1;
    printf("50 ok\n");
    return 0;
}
