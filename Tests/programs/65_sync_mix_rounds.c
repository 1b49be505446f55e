// Theme: the synchronization constructs together, round after round: in each of several regions a
// dynamic loop does a sum and a max reduction, fills an atomic histogram and keeps an argmax
// (ties to the lowest index) in a named critical section, while a lock guards a running minimum
// and its index, another named critical counts events and an atomic capture hands out slots (the
// index of the iteration is stored in its slot: a lock-free append); a second loop in
// the same region (after the barrier) reads the histogram the first one built. One persistent
// region then repeats the same work over rounds separated by barriers, with a single resetting
// the shared state. Every round's summary is printed after its region.
#include <omp.h>
#include <stdio.h>
#include <string.h>

#define N 2000
#define NB 20
#define ROUNDS 5
// Values of round r lie in [-1000 r, 50000 - 1000 r): the top and bottom tenth are the candidates
// for the argmax and the argmin (the sequential reference looks at every value).
#define HIGH(r) (45000 - 1000 * (r))
#define LOW(r) (5000 - 1000 * (r))

static int opaque(int x) { __asm__ volatile("" : "+r"(x)); return x; }

static int x[N];
static int hist[NB];
static int slot_of[N];
static int slot_used[N];

struct summary {
    long sum; int max; int arg_i, arg_v; int min_v, min_i; long events; int slots; long weighted;
};

static int value(int r, int i) {
    unsigned h = ((unsigned)(i + 1) * 2654435761u) ^ (0x9e3779b9u * (unsigned)(r + 1));
    h = (h ^ (h >> 15)) * 2246822519u;
    return (int)((h >> 11) % 50000) - 1000 * r;
}

static void reference(int r, int n, struct summary *s) {
    memset(s, 0, sizeof *s);
    int h[NB] = {0};
    s->max = -(1 << 30); s->arg_v = -(1 << 30); s->arg_i = -1; s->min_v = 1 << 30; s->min_i = -1;
    for (int i = 0; i < n; i++) {
        int v = value(r, i);
        s->sum += v;
        if (v > s->max) s->max = v;
        h[(v & 0x7fffffff) % NB]++;
        if (v > s->arg_v) { s->arg_v = v; s->arg_i = i; }
        if (v < s->min_v) { s->min_v = v; s->min_i = i; }
        if (v % 7 == 0) s->events++;
        if (v % 5 == 0) s->slots++;
    }
    for (int b = 0; b < NB; b++) s->weighted += (long)h[b] * (b + 1);
}

static void print_summary(const char *what, int r, const struct summary *s) {
    printf("%s round %d: sum=%ld max=%d argmax=%d@%d argmin=%d@%d events=%ld slots=%d histogram=%ld\n", what, r, s->sum,
           s->max, s->arg_v, s->arg_i, s->min_v, s->min_i, s->events, s->slots, s->weighted);
}

static int same(const struct summary *a, const struct summary *b) {
    return a->sum == b->sum && a->max == b->max && a->arg_i == b->arg_i && a->arg_v == b->arg_v &&
           a->min_v == b->min_v && a->min_i == b->min_i && a->events == b->events && a->slots == b->slots &&
           a->weighted == b->weighted;
}

// Checks the slots handed out by atomic capture: each used slot holds a distinct index with v % 5 == 0.
static int slots_ok(int nslots) {
    static unsigned char seen[N];
    memset(seen, 0, sizeof seen);
    for (int k = 0; k < nslots; k++) {
        int i = slot_used[k];
        if (i < 0 || i >= N || seen[i] || slot_of[i] != k) return 0;
        seen[i] = 1;
    }
    return 1;
}

int main(void) {
    printf("65 reduction, atomic, critical and locks together\n");
    int bad = 0, n = opaque(N);
    omp_lock_t minlock;
    omp_init_lock(&minlock);

    // Part 1: one region per round.
    for (int r = 0; r < ROUNDS; r++) {
        struct summary s, e;
        memset(&s, 0, sizeof s);
        memset(hist, 0, sizeof hist);
        s.arg_v = -(1 << 30); s.arg_i = -1; s.min_v = 1 << 30; s.min_i = -1;
        long sum = 0, weighted = 0;
        int mx = -(1 << 30), nslots = 0;
        long events = 0;
        #pragma omp parallel
        {
            #pragma omp for schedule(dynamic, 17) reduction(+:sum) reduction(max:mx)
            for (int i = 0; i < n; i++) {
                int v = value(r, i);
                x[i] = v;
                sum += v;
                if (v > mx) mx = v;
                #pragma omp atomic
                hist[(v & 0x7fffffff) % NB]++;
                if (v >= HIGH(r)) {                  // only candidates enter the critical section
                    #pragma omp critical(argmax)
                    if (v > s.arg_v || (v == s.arg_v && i < s.arg_i)) { s.arg_v = v; s.arg_i = i; }
                }
                if (v < LOW(r)) {
                    omp_set_lock(&minlock);
                    if (v < s.min_v || (v == s.min_v && i < s.min_i)) { s.min_v = v; s.min_i = i; }
                    omp_unset_lock(&minlock);
                }
                if (v % 7 == 0) {
                    #pragma omp critical(events)
                    events++;
                }
                if (v % 5 == 0) {
                    int k;
                    #pragma omp atomic capture
                    k = nslots++;
                    slot_used[k] = i;
                    slot_of[i] = k;
                }
            }
            // After the loop's barrier the histogram is complete: a second loop reads it.
            #pragma omp for schedule(guided) reduction(+:weighted)
            for (int b = 0; b < NB; b++) weighted += (long)hist[b] * (b + 1);
        }
        s.sum = sum; s.max = mx; s.events = events; s.slots = nslots; s.weighted = weighted;
        reference(r, n, &e);
        print_summary("regions", r, &s);
        if (!same(&s, &e) || !slots_ok(nslots)) bad++;
    }

    // Part 2: one persistent region; rounds separated by barriers; a single resets shared state.
    struct summary rs[ROUNDS];
    {
        long sum = 0, weighted = 0, events = 0;
        int mx = 0, nslots = 0, arg_v = 0, arg_i = 0, min_v = 0, min_i = 0;
        #pragma omp parallel
        {
            for (int r = 0; r < ROUNDS; r++) {
                #pragma omp single
                {
                    sum = 0; weighted = 0; events = 0; mx = -(1 << 30); nslots = 0;
                    arg_v = -(1 << 30); arg_i = -1; min_v = 1 << 30; min_i = -1;
                    memset(hist, 0, sizeof hist);
                }
                #pragma omp for schedule(dynamic, 9) reduction(+:sum) reduction(max:mx)
                for (int i = 0; i < n; i++) {
                    int v = value(r, i);
                    sum += v;
                    if (v > mx) mx = v;
                    #pragma omp atomic
                    hist[(v & 0x7fffffff) % NB] += 1;
                    if (v >= HIGH(r)) {
                        #pragma omp critical(argmax)
                        if (v > arg_v || (v == arg_v && i < arg_i)) { arg_v = v; arg_i = i; }
                    }
                    if (v < LOW(r)) {
                        omp_set_lock(&minlock);
                        if (v < min_v || (v == min_v && i < min_i)) { min_v = v; min_i = i; }
                        omp_unset_lock(&minlock);
                    }
                    if (v % 7 == 0) {
                        #pragma omp critical(events)
                        events++;
                    }
                    if (v % 5 == 0) {
                        int k;
                        #pragma omp atomic capture
                        k = nslots++;
                        slot_used[k] = i;
                        slot_of[i] = k;
                    }
                }
                #pragma omp for reduction(+:weighted)
                for (int b = 0; b < NB; b++) weighted += (long)hist[b] * (b + 1);
                #pragma omp single
                {
                    rs[r] = (struct summary){sum, mx, arg_i, arg_v, min_v, min_i, events, nslots, weighted};
                    if (!slots_ok(nslots)) rs[r].slots = -1;
                }
            }
        }
    }
    for (int r = 0; r < ROUNDS; r++) {
        struct summary e;
        reference(r, n, &e);
        print_summary("persistent", r, &rs[r]);
        if (!same(&rs[r], &e)) bad++;
    }
    omp_destroy_lock(&minlock);

    if (bad) { printf("FAIL 65: %d mismatches\n", bad); return 1; }
    printf("65 ok\n");
    return 0;
}
