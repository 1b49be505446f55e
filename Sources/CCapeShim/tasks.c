/* Explicit tasks run where they are created, at once, by the thread that creates them: an
 * undeferred execution, which the OpenMP specification allows for any task. Their writes are
 * tracked like any other write of that thread and reach the other ranks at the next barrier or at
 * the end of the region. Running each task at its creation also honours every `depend` clause
 * (a task's predecessors were created, so have run, before it) and makes taskwait and taskgroup
 * trivially satisfied.
 *
 * C because the task's private copy of its data lives on the creating thread's stack (a VLA): it
 * must not come from the program's heap, which would then differ between the rank that ran the
 * task and the ranks that did not. */
#define _GNU_SOURCE
#include "cape_shim.h"
#include <stdbool.h>
#include <string.h>

#define TASK_FLAG_FINAL (1u << 1)
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

void GOMP_task(void (*fn)(void *), void *data, void (*cpyfn)(void *, void *), long arg_size, long arg_align,
               bool if_clause, unsigned flags, void **depend, int priority, void *detach) {
    (void)if_clause; (void)depend; (void)priority; (void)detach;
    if (flags & TASK_FLAG_DETACH)
        cape_die("a task with a detach clause is not supported yet (its completion depends on an event that tasks run "
                 "at creation cannot wait for; remove the detach clause)");
    run_task(fn, data, cpyfn, arg_size, arg_align, (flags & TASK_FLAG_FINAL) != 0);
}

void GOMP_taskwait(void) {}
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
