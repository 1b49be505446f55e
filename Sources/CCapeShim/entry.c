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

/* Before main: start-up (libcape's, which takes other paths on other hosts) leaves registers that
   differ by rank, and the lazy-binding resolver of main's first calls saves them into the stack,
   where a later region's uninitialized locals find them. */
void cape_clean_registers(void) { clear_vector_registers(); }

/* A region's outlined function starts with rank-independent registers and stack. gcc's code
   reads values it never set: for a loop with no iterations, the copy-out of a lastprivate or of a
   simd loop's iteration variable (linear, so lastprivate) runs on every thread, and stores the
   private copy, never assigned, to the shared variable; that copy is a callee-saved register the
   function inherited, or a slot of its frame. Called straight from Swift, those held the runtime's
   frame pointers and leftovers, which differ by thread and rank, so each rank wrote a different
   value to the variable (a local of the function holding the region, on the main stack) and the
   exchange reported a data race. Here every general-purpose and vector register but the argument
   is zero, and so are the CAPE_CLEAN_STACK bytes below the stack pointer, where the function's
   frame and those of the functions it calls go: every thread of every rank stores the same zeros. */
#define CAPE_CLEAN_STACK 16384
#define CAPE_CLEAN_WORDS 2048
_Static_assert(CAPE_CLEAN_WORDS * 8 == CAPE_CLEAN_STACK, "CAPE_CLEAN_WORDS counts the words of CAPE_CLEAN_STACK");
#define CAPE_STR2(x) #x
#define CAPE_STR(x) CAPE_STR2(x)
#if defined(__x86_64__)
__asm__(
    ".text\n"
    ".globl cape_call_clean\n"
    ".hidden cape_call_clean\n"
    ".type cape_call_clean,@function\n"
    "cape_call_clean:\n"
    "  .cfi_startproc\n"
    "  push %rbp\n"
    "  .cfi_adjust_cfa_offset 8\n  .cfi_rel_offset %rbp, 0\n"
    "  push %rbx\n"
    "  .cfi_adjust_cfa_offset 8\n  .cfi_rel_offset %rbx, 0\n"
    "  push %r12\n"
    "  .cfi_adjust_cfa_offset 8\n  .cfi_rel_offset %r12, 0\n"
    "  push %r13\n"
    "  .cfi_adjust_cfa_offset 8\n  .cfi_rel_offset %r13, 0\n"
    "  push %r14\n"
    "  .cfi_adjust_cfa_offset 8\n  .cfi_rel_offset %r14, 0\n"
    "  push %r15\n"
    "  .cfi_adjust_cfa_offset 8\n  .cfi_rel_offset %r15, 0\n"
    "  sub $24, %rsp\n"                    /* fn and data; the stack is 16-byte aligned again */
    "  .cfi_adjust_cfa_offset 24\n"
    "  mov %rdi, (%rsp)\n"
    "  mov %rsi, 8(%rsp)\n"
    "  call cape_clean_registers\n"       /* the vector registers (hidden: a direct call) */
    "  lea -" CAPE_STR(CAPE_CLEAN_STACK) "(%rsp), %rdi\n"
    "  mov $" CAPE_STR(CAPE_CLEAN_WORDS) ", %ecx\n"
    "  xor %eax, %eax\n"
    "  cld\n"
    "  rep stosq\n"
    "  mov (%rsp), %r11\n"
    "  mov 8(%rsp), %rdi\n"
    "  xor %eax, %eax\n  xor %ebx, %ebx\n  xor %ecx, %ecx\n  xor %edx, %edx\n  xor %esi, %esi\n  xor %ebp, %ebp\n"
    "  xor %r8d, %r8d\n  xor %r9d, %r9d\n  xor %r10d, %r10d\n"
    "  xor %r12d, %r12d\n  xor %r13d, %r13d\n  xor %r14d, %r14d\n  xor %r15d, %r15d\n"
    "  call *%r11\n"
    "  add $24, %rsp\n"
    "  .cfi_adjust_cfa_offset -24\n"
    "  pop %r15\n  .cfi_adjust_cfa_offset -8\n  .cfi_restore %r15\n"
    "  pop %r14\n  .cfi_adjust_cfa_offset -8\n  .cfi_restore %r14\n"
    "  pop %r13\n  .cfi_adjust_cfa_offset -8\n  .cfi_restore %r13\n"
    "  pop %r12\n  .cfi_adjust_cfa_offset -8\n  .cfi_restore %r12\n"
    "  pop %rbx\n  .cfi_adjust_cfa_offset -8\n  .cfi_restore %rbx\n"
    "  pop %rbp\n  .cfi_adjust_cfa_offset -8\n  .cfi_restore %rbp\n"
    "  ret\n"
    "  .cfi_endproc\n"
    ".size cape_call_clean, .-cape_call_clean\n");
#elif defined(__aarch64__)
__asm__(
    ".text\n"
    ".globl cape_call_clean\n"
    ".hidden cape_call_clean\n"
    ".type cape_call_clean,%function\n"
    "cape_call_clean:\n"
    "  .cfi_startproc\n"
    "  stp x29, x30, [sp, #-96]!\n"
    "  .cfi_def_cfa_offset 96\n  .cfi_offset x29, -96\n  .cfi_offset x30, -88\n"
    "  stp x19, x20, [sp, #16]\n"
    "  stp x21, x22, [sp, #32]\n"
    "  stp x23, x24, [sp, #48]\n"
    "  stp x25, x26, [sp, #64]\n"
    "  stp x27, x28, [sp, #80]\n"
    "  .cfi_offset x19, -80\n  .cfi_offset x20, -72\n  .cfi_offset x21, -64\n  .cfi_offset x22, -56\n"
    "  .cfi_offset x23, -48\n  .cfi_offset x24, -40\n  .cfi_offset x25, -32\n  .cfi_offset x26, -24\n"
    "  .cfi_offset x27, -16\n  .cfi_offset x28, -8\n"
    "  mov x19, x0\n"
    "  mov x20, x1\n"
    "  bl cape_clean_registers\n"
    "  mov x10, sp\n"
    "  sub x9, x10, #" CAPE_STR(CAPE_CLEAN_STACK) "\n"
    "1:\n"
    "  stp xzr, xzr, [x9], #16\n"
    "  cmp x9, x10\n"
    "  b.lo 1b\n"
    "  mov x16, x19\n"
    "  mov x0, x20\n"
    "  mov x1, xzr\n  mov x2, xzr\n  mov x3, xzr\n  mov x4, xzr\n  mov x5, xzr\n  mov x6, xzr\n  mov x7, xzr\n"
    "  mov x8, xzr\n  mov x9, xzr\n  mov x10, xzr\n  mov x11, xzr\n  mov x12, xzr\n  mov x13, xzr\n  mov x14, xzr\n"
    "  mov x15, xzr\n  mov x17, xzr\n  mov x18, xzr\n  mov x19, xzr\n  mov x20, xzr\n  mov x21, xzr\n  mov x22, xzr\n"
    "  mov x23, xzr\n  mov x24, xzr\n  mov x25, xzr\n  mov x26, xzr\n  mov x27, xzr\n  mov x28, xzr\n  mov x29, xzr\n"
    "  blr x16\n"
    "  ldp x19, x20, [sp, #16]\n"
    "  ldp x21, x22, [sp, #32]\n"
    "  ldp x23, x24, [sp, #48]\n"
    "  ldp x25, x26, [sp, #64]\n"
    "  ldp x27, x28, [sp, #80]\n"
    "  ldp x29, x30, [sp], #96\n"
    "  .cfi_def_cfa_offset 0\n"
    "  ret\n"
    "  .cfi_endproc\n"
    ".size cape_call_clean, .-cape_call_clean\n");
#else
#error "cape_call_clean: unsupported architecture"
#endif

struct region_args {
    void (*fn)(void *);
    void *data;
    unsigned num_threads, flags;
    uintptr_t entry_sp;
    int old_abi;
    const cape_ws_preset_t *preset;
};

static void run_region(void *p) {
    struct region_args *a = p;
    if (a->old_abi) cape_swift_parallel_start(a->fn, a->data, a->num_threads, a->flags, a->entry_sp, a->preset);
    else cape_swift_parallel(a->fn, a->data, a->num_threads, a->flags, a->entry_sp, a->preset);
}

uintptr_t cape_stack_pointer(void) { return (uintptr_t)__builtin_frame_address(0); }

static void run_end(void *p) { (void)p; cape_swift_parallel_end(); }

/* Stack pointer of our caller just before its call instruction. */
#define CALLER_SP() ((uintptr_t)__builtin_frame_address(0) + 2 * sizeof(void *))

/* Every parallel entry point comes here with its caller's stack pointer. Inlined into each entry
   point, so that CALLER_SP() is taken in the frame the program called. */
static inline __attribute__((always_inline)) void parallel_common(void (*fn)(void *), void *data, unsigned num_threads,
                                                                  unsigned flags, uintptr_t sp, int old_abi,
                                                                  const cape_ws_preset_t *preset) {
    cape_thread_t *self = cape_self();
    self->rt_depth++;
    if (self->level > 0 || !master_stack_top) {
        if (old_abi) cape_swift_parallel_start(fn, data, num_threads, flags, sp, preset);
        else cape_swift_parallel(fn, data, num_threads, flags, sp, preset);
    } else {
        struct region_args a = { fn, data, num_threads, flags, sp, old_abi, preset };
        cape_call_on_stack(run_region, &a, master_stack_top);
    }
    self->rt_depth--;
    clear_vector_registers();
}

__attribute__((noinline)) CLEAN_RETURN void GOMP_parallel(void (*fn)(void *), void *data, unsigned num_threads, unsigned flags) {
    parallel_common(fn, data, num_threads, flags, CALLER_SP(), 0, NULL);
}

/* `reduction(task, ...)` on parallel: the reductions' array is the first word of the data block;
   the team's copies are registered before the region (TaskReductions.swift). Returns the team
   size, which gcc's code uses to combine the copies. */
__attribute__((noinline)) CLEAN_RETURN unsigned GOMP_parallel_reductions(void (*fn)(void *), void *data, unsigned num_threads,
                                                                          unsigned flags) {
    uintptr_t saved[2];
    cape_self()->rt_depth++;
    unsigned n = cape_swift_parallel_reductions_begin(*(uintptr_t *)data, num_threads, flags, saved);
    cape_self()->rt_depth--;
    parallel_common(fn, data, num_threads, flags, CALLER_SP(), 0, NULL);
    cape_self()->rt_depth++;
    cape_swift_parallel_reductions_end(saved);
    cape_self()->rt_depth--;
    return n;
}

/* Old ABI: the caller runs the master's share itself, on the main stack, between the two calls.
   Its frames lie below the entry stack pointer, where nothing is tracked. */
__attribute__((noinline)) CLEAN_RETURN void GOMP_parallel_start(void (*fn)(void *), void *data, unsigned num_threads) {
    parallel_common(fn, data, num_threads, 0, CALLER_SP(), 1, NULL);
}

/* Combined constructs: the team starts with its first work share already set up. */
enum { GFS_RUNTIME = 0, GFS_STATIC = 1, GFS_DYNAMIC = 2, GFS_GUIDED = 3 };

#define PARALLEL_LOOP(name, sched)                                                                                   \
    __attribute__((noinline)) CLEAN_RETURN void name(void (*fn)(void *), void *data, unsigned num_threads, long start, \
                                                     long end, long incr, long chunk, unsigned flags) {               \
        cape_ws_preset_t p = { 1, sched, start, end, incr, chunk, 0 };                                               \
        parallel_common(fn, data, num_threads, flags, CALLER_SP(), 0, &p);                                           \
    }
PARALLEL_LOOP(GOMP_parallel_loop_static, GFS_STATIC)
PARALLEL_LOOP(GOMP_parallel_loop_dynamic, GFS_DYNAMIC)
PARALLEL_LOOP(GOMP_parallel_loop_guided, GFS_GUIDED)
PARALLEL_LOOP(GOMP_parallel_loop_nonmonotonic_dynamic, GFS_DYNAMIC)
PARALLEL_LOOP(GOMP_parallel_loop_nonmonotonic_guided, GFS_GUIDED)

#define PARALLEL_LOOP_RUNTIME(name)                                                                                  \
    __attribute__((noinline)) CLEAN_RETURN void name(void (*fn)(void *), void *data, unsigned num_threads, long start, \
                                                     long end, long incr, unsigned flags) {                           \
        cape_ws_preset_t p = { 1, GFS_RUNTIME, start, end, incr, 0, 0 };                                             \
        parallel_common(fn, data, num_threads, flags, CALLER_SP(), 0, &p);                                           \
    }
PARALLEL_LOOP_RUNTIME(GOMP_parallel_loop_runtime)
PARALLEL_LOOP_RUNTIME(GOMP_parallel_loop_nonmonotonic_runtime)
PARALLEL_LOOP_RUNTIME(GOMP_parallel_loop_maybe_nonmonotonic_runtime)

/* Old-ABI combined loops: no flags; the caller runs the master's share between _start and _end. */
#define PARALLEL_LOOP_START(name, sched)                                                                             \
    __attribute__((noinline)) CLEAN_RETURN void name(void (*fn)(void *), void *data, unsigned num_threads, long start, \
                                                     long end, long incr, long chunk) {                               \
        cape_ws_preset_t p = { 1, sched, start, end, incr, chunk, 0 };                                               \
        parallel_common(fn, data, num_threads, 0, CALLER_SP(), 1, &p);                                               \
    }
PARALLEL_LOOP_START(GOMP_parallel_loop_static_start, GFS_STATIC)
PARALLEL_LOOP_START(GOMP_parallel_loop_dynamic_start, GFS_DYNAMIC)
PARALLEL_LOOP_START(GOMP_parallel_loop_guided_start, GFS_GUIDED)

__attribute__((noinline)) CLEAN_RETURN void GOMP_parallel_loop_runtime_start(void (*fn)(void *), void *data, unsigned num_threads,
                                                                              long start, long end, long incr) {
    cape_ws_preset_t p = { 1, GFS_RUNTIME, start, end, incr, 0, 0 };
    parallel_common(fn, data, num_threads, 0, CALLER_SP(), 1, &p);
}

__attribute__((noinline)) CLEAN_RETURN void GOMP_parallel_sections(void (*fn)(void *), void *data, unsigned num_threads,
                                                                   unsigned count, unsigned flags) {
    cape_ws_preset_t p = { 2, 0, 0, 0, 0, 0, count };
    parallel_common(fn, data, num_threads, flags, CALLER_SP(), 0, &p);
}

__attribute__((noinline)) CLEAN_RETURN void GOMP_parallel_sections_start(void (*fn)(void *), void *data, unsigned num_threads,
                                                                         unsigned count) {
    cape_ws_preset_t p = { 2, 0, 0, 0, 0, 0, count };
    parallel_common(fn, data, num_threads, 0, CALLER_SP(), 1, &p);
}

__attribute__((noinline)) CLEAN_RETURN void GOMP_parallel_end(void) {
    cape_thread_t *self = cape_self();
    self->rt_depth++;
    if (self->level > 1 || !master_stack_top) cape_swift_parallel_end();
    else cape_call_on_stack(run_end, NULL, master_stack_top);
    self->rt_depth--;
    clear_vector_registers();
}
