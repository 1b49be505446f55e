/* The parallel-region entry points of the GOMP ABI.
 *
 * C because they need the caller's stack pointer and a stack switch: the region's memory on the
 * main stack starts exactly at the stack pointer of the call (gcc puts .omp_data right above it),
 * and everything the runtime and the master's share do must happen on a runtime-owned stack, so
 * that nothing below that point is written on the main stack while it is tracked. */
#define _GNU_SOURCE
#include "cape_shim.h"

static void *master_stack_top;

/* Registers that a region's runtime code leaves behind differ by rank (pointers, clock values,
   memcpy's vector temporaries). Sequential code after the call may store them to the stack
   unasked: printf saves xmm0-7 and the unused argument registers into its frame, the lazy-binding
   resolver saves them too. Such bytes become stack contents that differ by rank, and a later region
   that writes the same value over one of them on one rank sends no diff for it. So every entry
   point that returns to sequential code leaves rank-independent registers: the vector registers
   are cleared here, the scratch general-purpose ones by zero_call_used_regs. */
#define CLEAN_RETURN __attribute__((zero_call_used_regs("all")))

static int vector_width; /* 0: SSE only, 1: AVX, 2: AVX-512 */

__attribute__((constructor(101))) static void probe_vectors(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    vector_width = __builtin_cpu_supports("avx512f") ? 2 : __builtin_cpu_supports("avx") ? 1 : 0;
#endif
}

static inline __attribute__((always_inline)) void clear_vector_registers(void) {
#if defined(__x86_64__)
    if (vector_width >= 1) __asm__ volatile("vzeroall" ::: "memory");
    if (vector_width == 2)
        __asm__ volatile(
            "vpxord %%zmm16,%%zmm16,%%zmm16\n vpxord %%zmm17,%%zmm17,%%zmm17\n vpxord %%zmm18,%%zmm18,%%zmm18\n"
            "vpxord %%zmm19,%%zmm19,%%zmm19\n vpxord %%zmm20,%%zmm20,%%zmm20\n vpxord %%zmm21,%%zmm21,%%zmm21\n"
            "vpxord %%zmm22,%%zmm22,%%zmm22\n vpxord %%zmm23,%%zmm23,%%zmm23\n vpxord %%zmm24,%%zmm24,%%zmm24\n"
            "vpxord %%zmm25,%%zmm25,%%zmm25\n vpxord %%zmm26,%%zmm26,%%zmm26\n vpxord %%zmm27,%%zmm27,%%zmm27\n"
            "vpxord %%zmm28,%%zmm28,%%zmm28\n vpxord %%zmm29,%%zmm29,%%zmm29\n vpxord %%zmm30,%%zmm30,%%zmm30\n"
            "vpxord %%zmm31,%%zmm31,%%zmm31\n"
            "kxorw %%k0,%%k0,%%k0\n kxorw %%k1,%%k1,%%k1\n kxorw %%k2,%%k2,%%k2\n kxorw %%k3,%%k3,%%k3\n"
            "kxorw %%k4,%%k4,%%k4\n kxorw %%k5,%%k5,%%k5\n kxorw %%k6,%%k6,%%k6\n kxorw %%k7,%%k7,%%k7\n" ::: "memory");
#endif
}

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

__attribute__((noinline)) CLEAN_RETURN void GOMP_parallel(void (*fn)(void *), void *data, unsigned num_threads, unsigned flags) {
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
    clear_vector_registers();
}

/* Old ABI: the caller runs the master's share itself, on the main stack, between the two calls.
   Its frames lie below the entry stack pointer, where nothing is tracked. */
__attribute__((noinline)) CLEAN_RETURN void GOMP_parallel_start(void (*fn)(void *), void *data, unsigned num_threads) {
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
    clear_vector_registers();
}

__attribute__((noinline)) CLEAN_RETURN void GOMP_parallel_end(void) {
    cape_thread_t *self = cape_self();
    self->rt_depth++;
    if (self->level > 1 || !master_stack_top) cape_swift_parallel_end();
    else cape_call_on_stack(run_end, NULL, master_stack_top);
    self->rt_depth--;
    clear_vector_registers();
}
