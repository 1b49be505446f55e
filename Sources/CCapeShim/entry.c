/* The parallel-region entry points of the GOMP ABI.
 *
 * C because they need the caller's stack pointer and a stack switch: the region's memory on the
 * main stack starts exactly at the stack pointer of the call (gcc puts .omp_data right above it),
 * and everything the runtime and the master's share do must happen on a runtime-owned stack, so
 * that nothing below that point is written on the main stack while it is tracked. */
#define _GNU_SOURCE
#include "cape_shim.h"

static void *master_stack_top;

void cape_set_master_stack(void *top) { master_stack_top = top; }

struct region_args {
    void (*fn)(void *);
    void *data;
    unsigned num_threads, flags;
    uintptr_t entry_sp;
    int old_abi;
};

static void run_region(void *p) {
    struct region_args *a = p;
    if (a->old_abi) cape_swift_parallel_start(a->fn, a->data, a->num_threads, a->flags, a->entry_sp);
    else cape_swift_parallel(a->fn, a->data, a->num_threads, a->flags, a->entry_sp);
}

static void run_end(void *p) { (void)p; cape_swift_parallel_end(); }

/* Stack pointer of our caller just before its call instruction. */
#define CALLER_SP() ((uintptr_t)__builtin_frame_address(0) + 2 * sizeof(void *))

__attribute__((noinline)) void GOMP_parallel(void (*fn)(void *), void *data, unsigned num_threads, unsigned flags) {
    cape_thread_t *self = cape_self();
    uintptr_t sp = CALLER_SP();
    self->rt_depth++;
    if (self->level > 0 || !master_stack_top) {
        cape_swift_parallel(fn, data, num_threads, flags, sp);
    } else {
        struct region_args a = { fn, data, num_threads, flags, sp, 0 };
        cape_call_on_stack(run_region, &a, master_stack_top);
    }
    self->rt_depth--;
}

/* Old ABI: the caller runs the master's share itself, on the main stack, between the two calls.
   Its frames lie below the entry stack pointer, where nothing is tracked. */
__attribute__((noinline)) void GOMP_parallel_start(void (*fn)(void *), void *data, unsigned num_threads) {
    cape_thread_t *self = cape_self();
    uintptr_t sp = CALLER_SP();
    self->rt_depth++;
    if (self->level > 0 || !master_stack_top) {
        cape_swift_parallel_start(fn, data, num_threads, 0, sp);
    } else {
        struct region_args a = { fn, data, num_threads, 0, sp, 1 };
        cape_call_on_stack(run_region, &a, master_stack_top);
    }
    self->rt_depth--;
}

__attribute__((noinline)) void GOMP_parallel_end(void) {
    cape_thread_t *self = cape_self();
    self->rt_depth++;
    if (self->level > 1 || !master_stack_top) cape_swift_parallel_end();
    else cape_call_on_stack(run_end, NULL, master_stack_top);
    self->rt_depth--;
}
