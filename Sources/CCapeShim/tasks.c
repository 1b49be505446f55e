/* Explicit tasks run where they are created, at once, by the thread that creates them: an
 * undeferred execution, which the OpenMP specification allows for any task. Their writes are
 * tracked like any other write of that thread and reach the other ranks at the next barrier or at
 * the end of the region. Running each task at its creation also honours every `depend` clause
 * (a task's predecessors were created, so have run, before it) and makes taskwait and taskgroup
 * trivially satisfied.
 *
 * Except around `detach`: a detached task is complete only once its event is fulfilled, so it stays
 * pending after its body has run, and a sibling task that depends on a pending one waits, queued
 * with its data copied at creation. Queued tasks run at the thread's next task scheduling point
 * after the event (a task's creation or end, taskwait, taskgroup end, a barrier); a taskwait,
 * taskgroup end or barrier that would have to wait for an event nobody can fulfill any more
 * (every task of the thread has run) stops by name, where libgomp would wait forever. An event is
 * fulfilled on the thread that created its task (another thread's fulfill stops by name).
 *
 * C because the task's private copy of its data lives on the creating thread's stack (a VLA): it
 * must not come from the program's heap, which would then differ between the rank that ran the
 * task and the ranks that did not. A queued task's copy comes from the runtime arena. */
#define _GNU_SOURCE
#include "cape_shim.h"
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TASK_FLAG_FINAL (1u << 1)
#define TASK_FLAG_DEPEND (1u << 3)
#define TASK_FLAG_UP (1u << 8)
#define TASK_FLAG_GRAINSIZE (1u << 9)
#define TASK_FLAG_REDUCTION (1u << 12)
#define TASK_FLAG_DETACH (1u << 13)
#define TASK_FLAG_STRICT (1u << 14)
#define TASK_FLAG_NOGROUP (1u << 11)

static __thread int final_depth __attribute__((tls_model("initial-exec")));
/* Tasks running on this thread, nested: a task is an owner of its own (nest locks, ICVs). */
static __thread int task_depth __attribute__((tls_model("initial-exec")));

int cape_task_depth(void) { return task_depth; }

/* Around every task body: the task's ICVs are its own (API.swift), and so are the locks it holds. */
static void task_begin(void) {
    task_depth++;
    cape_self()->rt_depth++;
    cape_swift_task_begin();
    cape_self()->rt_depth--;
}

static void task_end(void) {
    cape_self()->rt_depth++;
    cape_swift_task_end();
    cape_self()->rt_depth--;
    task_depth--;
}

int omp_in_final(void) { return final_depth > 0; }
int omp_in_final_(void) { return final_depth > 0; }

static void run_task(void (*fn)(void *), void *data, void (*cpyfn)(void *, void *), long arg_size, long arg_align,
                     bool final) {
    if (final) final_depth++;
    if (cpyfn) {
        if (arg_align < 1) arg_align = 1;
        char buf[arg_size + arg_align - 1];
        char *arg = (char *)(((uintptr_t)buf + arg_align - 1) & ~(uintptr_t)(arg_align - 1));
        cpyfn(arg, data);
        task_begin();
        fn(arg);
        task_end();
    } else {
        task_begin();
        fn(data);
        task_end();
    }
    if (final) final_depth--;
}

/* ---- tasks that wait: detached ones and their dependents ---- */

/* RUNNING: its body runs; DETACHED: its body ran, its event is not fulfilled; QUEUED: waits for a
   sibling it depends on. */
enum pending_kind { RUNNING, DETACHED, QUEUED };

typedef struct dep { uintptr_t addr; bool in; } dep_t;

typedef struct pending {
    struct pending *next;
    enum pending_kind kind;
    bool fulfilled;          /* its event (a task without detach: true) */
    bool final;
    uint64_t serial;         /* creation order on this thread */
    uint64_t parent;         /* serial of the creating task (0: the implicit task) */
    size_t ndeps;
    dep_t *deps;
    void (*fn)(void *);      /* queued: the task and its data, copied at creation */
    void *arg;
    void *raw;               /* the allocation arg is in */
} pending_t;

static __thread pending_t *pending_head __attribute__((tls_model("initial-exec")));
static __thread uint64_t task_serial __attribute__((tls_model("initial-exec")));
static __thread uint64_t current_task __attribute__((tls_model("initial-exec")));
static __thread int draining __attribute__((tls_model("initial-exec")));

static void *rt_malloc(size_t n) {
    cape_self()->rt_depth++;
    void *p = malloc(n ? n : 1);
    cape_self()->rt_depth--;
    if (!p) cape_die("out of memory for a task that waits for a detached task (free memory)");
    return p;
}

static void rt_free(void *p) {
    cape_self()->rt_depth++;
    free(p);
    cape_self()->rt_depth--;
}

/* libgomp's depend array: the old form [n, nout, addr...] or the new one [0, n, nout,
   nmutexinoutset, nin, addr..., depobj...]. Mutexinoutset counts as out, as in libgomp. */
static size_t parse_deps(void **depend, dep_t **out) {
    size_t n, nout, normal, first;
    if ((uintptr_t)depend[0]) {
        n = (uintptr_t)depend[0];
        nout = (uintptr_t)depend[1];
        normal = n;
        first = 2;
    } else {
        n = (uintptr_t)depend[1];
        nout = (uintptr_t)depend[2] + (uintptr_t)depend[3];
        normal = nout + (uintptr_t)depend[4];
        first = 5;
    }
    dep_t *d = rt_malloc(n * sizeof *d);
    for (size_t i = 0; i < n; i++) {
        if (i < normal) {
            d[i].addr = (uintptr_t)depend[first + i];
            d[i].in = i >= nout;
        } else {
            void **obj = (void **)depend[first + i];
            d[i].addr = (uintptr_t)obj[0];
            d[i].in = (uintptr_t)obj[1] == 1; /* GOMP_DEPEND_IN */
        }
    }
    *out = d;
    return n;
}

/* Whether a task with deps `d` created by `parent` must wait for a pending task created before
   `limit` (dependences bind sibling tasks only; in after in does not wait). */
static bool must_wait(const dep_t *d, size_t n, uint64_t parent, uint64_t limit) {
    for (pending_t *p = pending_head; p; p = p->next) {
        if (p->serial >= limit || p->parent != parent) continue;
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < p->ndeps; j++)
                if (p->deps[j].addr == d[i].addr && !(p->deps[j].in && d[i].in)) return true;
    }
    return false;
}

static bool is_pending(const pending_t *e) {
    for (pending_t *p = pending_head; p; p = p->next)
        if (p == e) return true;
    return false;
}

static void unlink_pending(pending_t *e) {
    for (pending_t **q = &pending_head; *q; q = &(*q)->next)
        if (*q == e) { *q = e->next; break; }
    rt_free(e->deps);
    rt_free(e->raw);
    rt_free(e);
}

static void drain(void);

/* Runs a pending task's body as the thread's current task; a detached task whose event is not
   fulfilled stays pending. */
static void run_pending(pending_t *e, void (*fn)(void *), void *arg) {
    uint64_t saved = current_task;
    current_task = e->serial;
    e->kind = RUNNING;
    if (e->final) final_depth++;
    task_begin();
    fn(arg);
    task_end();
    if (e->final) final_depth--;
    current_task = saved;
    if (e->fulfilled) unlink_pending(e);
    else e->kind = DETACHED;
}

/* A task scheduling point: runs the queued tasks that no longer wait, in creation order. */
static void drain(void) {
    if (draining || !pending_head) return;
    draining = 1;
    for (bool ran = true; ran;) {
        ran = false;
        for (pending_t *p = pending_head; p; p = p->next) {
            if (p->kind != QUEUED || must_wait(p->deps, p->ndeps, p->parent, p->serial)) continue;
            run_pending(p, p->fn, p->arg);
            ran = true;
            break;
        }
    }
    draining = 0;
}

void GOMP_task(void (*fn)(void *), void *data, void (*cpyfn)(void *, void *), long arg_size, long arg_align,
               bool if_clause, unsigned flags, void **depend, int priority, void *detach) {
    (void)priority;
    drain();
    bool final = (flags & TASK_FLAG_FINAL) != 0;
    bool detached = (flags & TASK_FLAG_DETACH) != 0;
    dep_t *deps = NULL;
    size_t ndeps = 0;
    if ((flags & TASK_FLAG_DEPEND) && depend && (pending_head || detached)) ndeps = parse_deps(depend, &deps);
    bool wait = ndeps && must_wait(deps, ndeps, current_task, UINT64_MAX);
    if (!detached && !wait) {
        rt_free(deps);
        uint64_t saved = current_task;
        current_task = ++task_serial;
        run_task(fn, data, cpyfn, arg_size, arg_align, final);
        current_task = saved;
        drain();
        return;
    }
    if (wait && !if_clause)
        cape_die("an undeferred task (if(0)) depends on a detached task whose event is not fulfilled yet (it would "
                 "wait forever there; fulfill the event before creating it)");
    pending_t *e = rt_malloc(sizeof *e);
    memset(e, 0, sizeof *e);
    e->serial = ++task_serial;
    e->parent = current_task;
    e->ndeps = ndeps;
    e->deps = deps;
    e->final = final;
    e->kind = wait ? QUEUED : RUNNING;
    e->fulfilled = !detached;
    pending_t **q = &pending_head;
    while (*q) q = &(*q)->next;
    *q = e;
    /* The event exists before the task's data is copied: the data's first word carries it to the
       body (gcc's layout, as libgomp fills it). */
    if (detached) {
        *(void **)detach = e;
        if (data) *(void **)data = e;
    }
    if (arg_align < 1) arg_align = 1;
    e->raw = rt_malloc((size_t)arg_size + (size_t)arg_align);
    e->arg = (void *)(((uintptr_t)e->raw + arg_align - 1) & ~(uintptr_t)(arg_align - 1));
    if (cpyfn) cpyfn(e->arg, data);
    else memcpy(e->arg, data, (size_t)arg_size);
    e->fn = fn;
    if (wait) return;
    run_pending(e, fn, e->arg);
    if (!if_clause && is_pending(e))
        cape_die("an undeferred task (if(0)) with detach ended without its event fulfilled (it would wait forever "
                 "there; fulfill the event in the task)");
    drain();
}

void omp_fulfill_event(uintptr_t event) {
    pending_t *e = (pending_t *)event;
    if (!is_pending(e) || e->fulfilled)
        cape_die("omp_fulfill_event was given an event that is not a pending one of this thread's tasks (an event "
                 "fulfilled twice, or one of a task created by another thread, which is not supported yet)");
    e->fulfilled = true;
    if (e->kind == DETACHED) unlink_pending(e);
}
void omp_fulfill_event_(uintptr_t *event) { omp_fulfill_event(*event); }

/* Called at taskwait, taskgroup end and barriers: what must be complete there, is, or the program
   would wait for an event that only this thread could still fulfill, and it is waiting. */
static void settle(bool (*counts)(const pending_t *, uint64_t), uint64_t arg, const char *where) {
    drain();
    for (pending_t *p = pending_head; p; p = p->next) {
        if (!counts(p, arg)) continue;
        char msg[320];
        snprintf(msg, sizeof msg, "%s waits for a %s whose event is not fulfilled (it would wait forever; fulfill "
                 "detach events before it, on the thread that created the task)", where,
                 p->kind == QUEUED ? "task that depends on a detached task" : "detached task");
        cape_die(msg);
    }
}

static bool child_of(const pending_t *p, uint64_t parent) { return p->parent == parent; }
static bool created_since(const pending_t *p, uint64_t serial) { return p->serial > serial; }
static bool any(const pending_t *p, uint64_t unused) { (void)p; (void)unused; return true; }

void cape_tasks_settle_barrier(void) { if (pending_head) settle(any, 0, "a barrier (or the end of a region)"); }

/* A taskgroup remembers the serial of the last task created before it. */
uint64_t cape_tasks_taskgroup_begin(void) { return task_serial; }
void cape_tasks_taskgroup_end(uint64_t start) {
    if (pending_head) settle(created_since, start, "the end of a taskgroup");
}

void GOMP_taskwait(void) { if (pending_head) settle(child_of, current_task, "a taskwait"); }
void GOMP_taskwait_depend(void **depend) { (void)depend; }
void GOMP_taskyield(void) {}
/* GOMP_taskgroup_start/end and the task reductions: TaskReductions.swift. */
void GOMP_taskgroup_start(void);
void GOMP_taskgroup_end(void);
void GOMP_taskgroup_reduction_register(uintptr_t *data);

/* taskloop: the iterations are cut into tasks as the clauses ask, and each task runs at once with
   its bounds in the first two words of its data block. */
#define TASKLOOP_BODY(T)                                                                                             \
    bool group = (flags & TASK_FLAG_NOGROUP) == 0;                                                                   \
    if (group) GOMP_taskgroup_start();                                                                               \
    /* reduction: the reductions' array follows the bounds in the data block */                                     \
    if (group && (flags & TASK_FLAG_REDUCTION)) GOMP_taskgroup_reduction_register(((uintptr_t **)data)[2 * sizeof(T) / sizeof(void *)]); \
    taskloop_tasks_##T(fn, data, cpyfn, arg_size, arg_align, flags, num_tasks, start, end, step);                   \
    if (group) GOMP_taskgroup_end();

#define TASKLOOP_TASKS(T)                                                                                            \
    bool up = (flags & TASK_FLAG_UP) != 0;                                                                           \
    if (up ? start >= end : start <= end) return;                                                                    \
    /* number of iterations, without overflow */                                                                     \
    unsigned long long dist = up ? (unsigned long long)end - (unsigned long long)start                               \
                                 : (unsigned long long)start - (unsigned long long)end;                              \
    unsigned long long mag = up ? (unsigned long long)step : 0ull - (unsigned long long)step;                        \
    unsigned long long n = dist / mag + (dist % mag != 0);                                                           \
    unsigned long long ntasks, grain = 0;                                                                            \
    if (flags & TASK_FLAG_GRAINSIZE) {                                                                               \
        grain = num_tasks ? num_tasks : 1;                                                                           \
        ntasks = n / grain;                                                                                          \
        /* grainsize(strict: g): tasks of exactly g iterations, the last one the remainder */                       \
        if (flags & TASK_FLAG_STRICT) ntasks += n % grain != 0;                                                      \
        else grain = 0;                                                                                              \
        if (ntasks == 0) ntasks = 1;                                                                                 \
    } else {                                                                                                         \
        ntasks = num_tasks ? num_tasks : (unsigned long long)cape_self()->team_size;                                 \
        if (ntasks > n) ntasks = n;                                                                                  \
        if (ntasks == 0) ntasks = 1;                                                                                 \
    }                                                                                                                \
    unsigned long long each = n / ntasks, extra = n % ntasks;                                                        \
    if (arg_align < 1) arg_align = 1;                                                                                \
    long size = arg_size < (long)(2 * sizeof(T)) ? (long)(2 * sizeof(T)) : arg_size;                                 \
    char buf[size + arg_align - 1];                                                                                  \
    char *arg = (char *)(((uintptr_t)buf + arg_align - 1) & ~(uintptr_t)(arg_align - 1));                            \
    T s = start;                                                                                                     \
    for (unsigned long long t = 0; t < ntasks; t++) {                                                                \
        unsigned long long count = grain ? (t + 1 < ntasks || n % grain == 0 ? grain : n % grain)                 \
                                         : each + (t < extra);                                                       \
        T e = s + (T)count * step;                                                                                   \
        if (cpyfn) cpyfn(arg, data);                                                                                 \
        else memcpy(arg, data, (size_t)arg_size);                                                                    \
        ((T *)arg)[0] = s;                                                                                           \
        ((T *)arg)[1] = e;                                                                                           \
        bool final = (flags & TASK_FLAG_FINAL) != 0;                                                                 \
        if (final) final_depth++;                                                                                    \
        task_begin();                                                                                                \
        fn(arg);                                                                                                     \
        task_end();                                                                                                  \
        if (final) final_depth--;                                                                                    \
        s = e;                                                                                                       \
    }

typedef unsigned long long ull;
static void taskloop_tasks_long(void (*fn)(void *), void *data, void (*cpyfn)(void *, void *), long arg_size, long arg_align,
                                unsigned flags, unsigned long num_tasks, long start, long end, long step) {
    TASKLOOP_TASKS(long)
}
static void taskloop_tasks_ull(void (*fn)(void *), void *data, void (*cpyfn)(void *, void *), long arg_size, long arg_align,
                               unsigned flags, unsigned long num_tasks, ull start, ull end, ull step) {
    TASKLOOP_TASKS(ull)
}

void GOMP_taskloop(void (*fn)(void *), void *data, void (*cpyfn)(void *, void *), long arg_size, long arg_align,
                   unsigned flags, unsigned long num_tasks, int priority, long start, long end, long step) {
    (void)priority;
    TASKLOOP_BODY(long)
}

void GOMP_taskloop_ull(void (*fn)(void *), void *data, void (*cpyfn)(void *, void *), long arg_size, long arg_align,
                       unsigned flags, unsigned long num_tasks, int priority, unsigned long long start,
                       unsigned long long end, unsigned long long step) {
    (void)priority;
    TASKLOOP_BODY(ull)
}
