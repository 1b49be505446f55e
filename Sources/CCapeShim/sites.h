/* An atomic site of the program's code: what atomics.c (the sweep, the classifier, the updates and
 * the SIGTRAP handler) and jumps.c (rewriting a site into a jump to its trampoline) both know of it.
 * Not part of the module's interface. */
#ifndef CAPE_SITES_H
#define CAPE_SITES_H

#include <capstone/capstone.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ucontext.h>

typedef struct site {
    uintptr_t addr;   /* the instruction in the program's code */
    uintptr_t xol;    /* its out-of-line copy, followed by the code that continues after it */
    uint8_t len;
    /* A local update (op != 0): [base + index * scale + disp] op= source. */
    uint8_t op;       /* enum cape_atomic_op */
    uint8_t width;    /* bytes */
    int8_t base, index, source; /* greg numbers, -1 none; base -2: rip-relative */
    uint8_t scale;
    uint8_t source_high; /* source is ah, bh, ch or dh */
    uint8_t has_mem;  /* the memory operand is decoded (base ... disp, width) */
    int64_t disp;
    int64_t imm;      /* the source when `source` is -1 */
    /* A compare-exchange loop run as one local update (cas): the operand is source * multiplier +
       imm, or xmm register `xmm`, or the `width` bytes at [src_base + src_index * src_scale +
       src_disp] (src_mem; src_base -2: src_disp is absolute). */
    uint8_t cas, src_mem, src_scale;
    int8_t xmm, src_base, src_index;
    int64_t multiplier, src_disp;
    uintptr_t head;   /* the loop's head: no jump may land between it and the cmpxchg */
    /* How the program reaches the site (jumps.c). Patched: the `span` bytes at addr became a jump to
       `trampoline` (the instructions after the site that the span covers run from the copy's
       continuation); otherwise the first byte is int3. */
    uint8_t patched, span;
    uintptr_t trampoline;
    uintptr_t trap;   /* patched: the trampoline's int3 that hands the site to the SIGTRAP handler */
    uintptr_t resume; /* where the program goes on once the site's update was performed in software */
    char mnemonic[16]; /* for CAPE_TRACE=2 and the classifier's test */
} site_t;

/* The registers of the thread that reached a site: the general ones in ucontext order (greg_t),
   the xmm ones, and the floating-point control word. From the SIGTRAP handler's context or from a
   trampoline's saved area; updates may change gregs (a compare-exchange's accumulator and flags). */
typedef struct site_regs {
    greg_t *g;
    const struct _libc_xmmreg *xmm;
    uint32_t mxcsr;
} site_regs_t;

/* What the trampoline does next, as cape_atomics_site_entry answers. */
enum { SITE_DONE = 0, SITE_NATIVE = 1, SITE_TRAP = 2 };
/* The trampoline saves below the red zone: the site's stack pointer is this far above g. */
#define SITE_SAVED_RSP_OFFSET (18 * 8 + 128)

/* atomics.c: performs a patched site's update in software (SITE_DONE), or says to run the
   instruction itself (outside a distributed region) or to take the team-wide path of the handler. */
int cape_atomics_site_entry(greg_t *g, const struct _libc_xmmreg *xmm, const site_t *s);

/* jumps.c */
/* Bytes of the out-of-line area for each site's copy, and for each rewritten site's trampoline. */
#define SITE_COPY_BYTES 64
#define SITE_TRAMPOLINE_BYTES 512
/* Decides whether site `s` is rewritten into a jump, and how many bytes the jump covers (s->span,
   s->patched). `targets` are the sorted destinations of the executable's direct jumps and calls;
   `indirect_fn` says whether function [lo, hi) has indirect jumps. */
void cape_jump_plan(csh cs, site_t *s, const uint64_t *targets, size_t ntargets, uint64_t seg_end,
                    int (*indirect_fn)(uintptr_t lo, uintptr_t hi));
/* Whether some target of the sorted `targets` lies strictly inside (lo, hi). */
int cape_jump_lands_inside(const uint64_t *targets, size_t n, uint64_t lo, uint64_t hi);
/* A branch, which a span cannot move as it is and whose target the sweep records: jumps (loop,
   loope, loopne, jecxz and jrcxz too, which Capstone 4 does not count as jumps), calls, returns,
   interrupts. */
int cape_jump_is_branch(csh cs, const cs_insn *in);
/* Writes the site's copy and continuation at `copy` (s->xol), and its trampoline at `tramp` when
   patched; sets s->trampoline, s->trap and s->resume. Returns 0, or -1 with the reason in err. */
int cape_jump_emit(csh cs, site_t *s, uint8_t *copy, uint8_t *tramp, char *err, size_t errlen);
/* Rewrites the program's code at the site (code pages are made writable for it). */
int cape_jump_patch(const site_t *s, char *err, size_t errlen);

#endif
