// Theme: schedule(runtime) driven by omp_set_schedule from the program: static (default and chunked),
// dynamic, guided (with and without chunks), auto and the monotonic modifier; omp_get_schedule after
// each omp_set_schedule (chunks below 1 mean the default); runtime loops in the combined form and
// in the separate form (ascending, descending with step -2, lastprivate, a second loop reading the
// first loop's results after its implicit barrier), schedule(monotonic: runtime) and
// schedule(nonmonotonic: runtime); the schedule set before is still in force after the regions.
#include <omp.h>
#include <stdint.h>
#include <stdio.h>

#define N 4099

static int a[N], b[N], c[N], d[N], e[N];

static int f(int i, int s) { return (i * 31 + s * 7) % 1009 - 500; }

int main(void) {
    printf("28 runtime schedule\n");
    struct { omp_sched_t kind; int chunk; const char *name; } set[] = {
        {omp_sched_static, 0, "static"},
        {omp_sched_static, 1, "static,1"},
        {omp_sched_static, 5, "static,5"},
        {omp_sched_dynamic, 0, "dynamic"},
        {omp_sched_dynamic, 3, "dynamic,3"},
        {omp_sched_guided, -2, "guided"},
        {omp_sched_guided, 4, "guided,4"},
        {omp_sched_auto, 0, "auto"},
        {(omp_sched_t)(omp_sched_dynamic | omp_sched_monotonic), 2, "monotonic:dynamic,2"},
        {(omp_sched_t)(omp_sched_guided | omp_sched_monotonic), 0, "monotonic:guided"},
        {omp_sched_dynamic, 1000, "dynamic,1000"},
    };
    int ns = (int)(sizeof set / sizeof set[0]);
    int bad = 0;
    uint64_t all = 1469598103934665603ULL;

    for (int s = 0; s < ns; s++) {
        omp_set_schedule(set[s].kind, set[s].chunk);
        omp_sched_t k;
        int ch;
        omp_get_schedule(&k, &ch);
        unsigned mono = ((unsigned)k & 0x80000000u) != 0;
        unsigned kind = (unsigned)k & 0x7fffffffu;
        int chunk_shown = kind == (unsigned)omp_sched_auto ? -1 : ch;   // auto: chunk unspecified
        printf("set %-20s -> kind=%u monotonic=%u chunk=%d\n", set[s].name, kind, mono, chunk_shown);

        for (int i = 0; i < N; i++) a[i] = b[i] = c[i] = d[i] = e[i] = 0;

        #pragma omp parallel for schedule(runtime)
        for (int i = 0; i < N; i++) a[i] = f(i, s);

        int last_i = -1, last_v = -1;
        #pragma omp parallel
        {
            #pragma omp for schedule(runtime)
            for (int i = N - 1; i >= 0; i -= 2) b[i] = a[i] * 3 + 1;
            // Reads b written by other threads in the previous loop (implicit barrier above).
            #pragma omp for schedule(runtime) lastprivate(last_i, last_v)
            for (int i = 0; i < N; i++) {
                c[i] = b[i] - (i > 0 ? b[i - 1] : 0);
                last_i = i;
                last_v = c[i];
            }
            // The runtime schedule with explicit modifiers.
            #pragma omp for schedule(monotonic: runtime) nowait
            for (int i = 0; i < N; i += 3) d[i] = a[i] - 7;
        }
        #pragma omp parallel for schedule(nonmonotonic: runtime)
        for (int i = 1; i <= N; i++) e[i - 1] = c[N - i] + 1;

        int wrong = 0;
        uint64_t h = 1469598103934665603ULL;
        for (int i = 0; i < N; i++) {
            int ea = f(i, s);
            int eb = ((N - 1 - i) % 2 == 0) ? ea * 3 + 1 : 0;
            int ebm = 0;
            if (i > 0) ebm = ((N - 1 - (i - 1)) % 2 == 0) ? f(i - 1, s) * 3 + 1 : 0;
            if (a[i] != ea || b[i] != eb || c[i] != eb - ebm) wrong++;
            if (d[i] != (i % 3 == 0 ? ea - 7 : 0)) wrong++;
            h = (h ^ (uint32_t)c[i]) * 1099511628211ULL;
        }
        for (int i = 0; i < N; i++) if (e[i] != c[N - 1 - i] + 1) wrong++;
        for (int i = 0; i < N; i++) h = (h ^ (uint32_t)(d[i] + 3 * e[i])) * 1099511628211ULL;
        if (last_i != N - 1 || last_v != c[N - 1]) wrong++;
        all = (all ^ h) * 1099511628211ULL;
        printf("  last=(%d,%d) hash=%016llx%s\n", last_i, last_v, (unsigned long long)h, wrong ? " WRONG" : "");
        bad += wrong;
    }

    // The last setting stays in force (not changed by the regions).
    omp_sched_t k;
    int ch;
    omp_get_schedule(&k, &ch);
    printf("after regions: kind=%u chunk=%d\n", (unsigned)k & 0x7fffffffu, ch);
    printf("all=%016llx\n", (unsigned long long)all);
    if (bad) { printf("FAIL 28: %d mismatches\n", bad); return 1; }
    printf("28 ok\n");
    return 0;
}
