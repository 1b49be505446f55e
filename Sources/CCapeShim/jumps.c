/* Rewriting an atomic site into a jump (see atomics.c for what a site is).
 *
 * A trap costs a signal delivery and return: about 2 us on this machine for an empty handler,
 * more than an atomic update may cost. An update that runs locally needs no signal: where the
 * site's bytes can hold a 5-byte `jmp rel32`, they become a jump to a trampoline of its own in
 * the out-of-line area (within 2 GiB of the code). The trampoline saves the thread's registers in
 * the layout of a signal context (greg_t order, then the xmm registers), calls
 * cape_atomics_site_entry, and, as that answers:
 *  - SITE_DONE: restores the registers (with the changes the update made) and continues at the
 *    site's continuation;
 *  - SITE_NATIVE (outside a distributed region): restores them and runs the copy of the
 *    instruction;
 *  - SITE_TRAP (the team-wide path): restores them and executes an int3 that the SIGTRAP handler
 *    knows as the site.
 *
 * A site shorter than 5 bytes takes the instructions after it into the span, when they can run
 * from another address: no direct jump lands among them, the function has no indirect jump (a
 * switch's table could land there) and is not a part gcc moved out of line (f.cold: its parent's
 * table or the unwinder may enter it), and none is a call, a conditional jump or another site. The
 * span may end with a ret or a direct jmp, and then take the padding after it. A compare-exchange
 * loop's site always takes its jne. The bytes of the span after the jump become int3, so a jump
 * into them that the checks missed stops loudly instead of running garbage. What cannot be
 * rewritten keeps the int3 on its first byte.
 *
 * The trampoline keeps the general registers, the flags and the low 128 bits of xmm0-15, not the
 * upper halves of ymm and zmm, zmm16-31, the mask registers or the x87 state, which a signal
 * context would keep. So the code it calls (cape_atomics_site_entry and what that calls) must stay
 * plain C and Swift built for baseline x86-64, and call no library function that may use AVX
 * (memcpy and the other string functions of glibc do): it is, as long as it only updates records.
 *
 * Each site has a copy in the out-of-line area: the instruction, then the span's other
 * instructions, then a jump back after the span; a rewritten site also has a trampoline there,
 * after all the copies. The copy's continuation (after the first
 * instruction) is where the program goes on after a software update, and where the handler's
 * single step ends; instructions with rip-relative operands are relocated there. */
#define _GNU_SOURCE
#include "cape_shim.h"
#include "sites.h"
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>


int cape_jump_lands_inside(const uint64_t *targets, size_t n, uint64_t lo, uint64_t hi) {
    size_t a = 0, b = n;
    while (a < b) {
        size_t m = (a + b) / 2;
        if (targets[m] <= lo) a = m + 1;
        else b = m;
    }
    return a < n && targets[a] < hi;
}

static int is_site_like(const cs_insn *in) {
    const cs_x86 *x = &in->detail->x86;
    if (x->prefix[0] == X86_PREFIX_LOCK || in->id == X86_INS_MFENCE || in->id == X86_INS_XCHG) return 1;
    return in->id == X86_INS_INT3 || in->id == X86_INS_INT || in->id == X86_INS_SYSCALL;
}

static int is_padding(const cs_insn *in) { return in->id == X86_INS_NOP || in->id == X86_INS_INT3; }

int cape_jump_is_branch(csh cs, const cs_insn *in) {
    switch (in->id) {
    case X86_INS_LOOP: case X86_INS_LOOPE: case X86_INS_LOOPNE: case X86_INS_JECXZ: case X86_INS_JRCXZ: return 1;
    default:
        return cs_insn_group(cs, in, CS_GRP_JUMP) || cs_insn_group(cs, in, CS_GRP_CALL) || cs_insn_group(cs, in, CS_GRP_RET) ||
               cs_insn_group(cs, in, CS_GRP_INT) || cs_insn_group(cs, in, CS_GRP_IRET) || cs_insn_group(cs, in, CS_GRP_BRANCH_RELATIVE);
    }
}

void cape_jump_plan(csh cs, site_t *s, const uint64_t *targets, size_t ntargets, uint64_t seg_end,
                    int (*indirect_fn)(uintptr_t lo, uintptr_t hi)) {
    s->patched = 0;
    s->span = s->len;
    if (s->op == CAPE_ATOMIC_SERIAL || s->op == CAPE_ATOMIC_FENCE) return;
    cs_insn *in = cs_malloc(cs);
    uint64_t a = s->addr + s->len;
    int ok = 1, extended = 0, ended = 0;
    if (s->cas) {
        /* the loop's jne: the copy re-encodes it with its own target */
        const uint8_t *code = (const uint8_t *)a;
        size_t left = seg_end - a;
        uint64_t next = a;
        ok = cs_disasm_iter(cs, &code, &left, &next, in) && in->id == X86_INS_JNE;
        a = next;
    }
    while (ok && a - s->addr < 5) {
        const uint8_t *code = (const uint8_t *)a;
        size_t left = seg_end - a;
        uint64_t next = a;
        if (a >= seg_end || !cs_disasm_iter(cs, &code, &left, &next, in) || (is_site_like(in) && !(ended && is_padding(in)))) { ok = 0; break; }
        const cs_x86 *x = &in->detail->x86;
        extended = 1;
        if (ended) {
            if (!is_padding(in)) ok = 0;
        } else if (in->id == X86_INS_RET && x->op_count == 0) {
            ended = 1;
        } else if (in->id == X86_INS_JMP && x->op_count == 1 && x->operands[0].type == X86_OP_IMM) {
            ended = 1;
        } else if (cape_jump_is_branch(cs, in)) {
            ok = 0;
        }
        a = next;
    }
    cs_free(in, 1);
    if (!ok || a - s->addr > 32 || cape_jump_lands_inside(targets, ntargets, s->addr, a)) return;
    if (extended) {
        /* The span stays inside the site's function (padding after a ret may be where the next
           function starts), which has symbols, no indirect jump that could land in it, and is not
           a part that gcc moved out of line (f.cold, f.part.0): its parent's switch table or the
           unwinder may enter it, and the parent's jumps are not counted for it. */
        uintptr_t lo, hi;
        const char *name;
        if (cape_function_bounds((uintptr_t)s->addr, &lo, &hi, &name) != 0 || a > hi || strstr(name, ".cold") ||
            strstr(name, ".part.") || indirect_fn(lo, hi))
            return;
    }
    s->span = (uint8_t)(a - s->addr);
    s->patched = 1;
}

/* ---- a small emitter ---- */

typedef struct { uint8_t *p; } out_t;

static void put(out_t *o, const void *bytes, size_t n) { memcpy(o->p, bytes, n); o->p += n; }
static void put1(out_t *o, uint8_t b) { *o->p++ = b; }
static void put4(out_t *o, int32_t v) { put(o, &v, 4); }
static void put8(out_t *o, uint64_t v) { put(o, &v, 8); }

/* A rel32 from the end of the 4 bytes written next to `target`; 0 when it does not reach. */
static int rel32(out_t *o, uint64_t target) {
    int64_t d = (int64_t)target - (int64_t)((uintptr_t)o->p + 4);
    if (d < INT32_MIN || d > INT32_MAX) return 0;
    put4(o, (int32_t)d);
    return 1;
}

/* Copies instruction `in` to the output, relocating a rip-relative operand. */
static int relocate(out_t *o, const cs_insn *in) {
    const cs_x86 *x = &in->detail->x86;
    uint8_t *at = o->p;
    put(o, in->bytes, in->size);
    int rip = 0;
    for (int k = 0; k < x->op_count; k++)
        if (x->operands[k].type == X86_OP_MEM && x->operands[k].mem.base == X86_REG_RIP) rip = 1;
    if (!rip) return 1;
    /* rip-relative addressing always carries a 32-bit displacement (Capstone 4 misreports its size
       after a 0x66 prefix): find it in the bytes, where Capstone says first. */
    int32_t want = (int32_t)x->disp;
    int found = -1;
    if (x->encoding.disp_offset + 4 <= in->size && memcmp(in->bytes + x->encoding.disp_offset, &want, 4) == 0)
        found = x->encoding.disp_offset;
    for (int k = 1; found < 0 && k + 4 <= in->size; k++)
        if (memcmp(in->bytes + k, &want, 4) == 0) found = k;
    if (found < 0) return 0;
    int64_t nd = (int64_t)want + (int64_t)in->address - (int64_t)(uintptr_t)at;
    if (nd < INT32_MIN || nd > INT32_MAX) return 0;
    int32_t d32 = (int32_t)nd;
    memcpy(at + found, &d32, 4);
    return 1;
}

static void push_all(out_t *o) {
    static const uint8_t seq[] = {
        0x48, 0x8D, 0x64, 0x24, 0x80, /* lea -128(%rsp),%rsp: the red zone */
        0x9C,                         /* pushfq: g[REG_EFL] */
        0x48, 0x83, 0xEC, 0x08,       /* sub $8,%rsp: g[REG_RIP] */
        0x54, 0x51, 0x50, 0x52, 0x53, 0x55, 0x56, 0x57, /* rsp rcx rax rdx rbx rbp rsi rdi: g[15] ... g[8] */
        0x41, 0x57, 0x41, 0x56, 0x41, 0x55, 0x41, 0x54, /* r15 ... r8: g[7] ... g[0] */
        0x41, 0x53, 0x41, 0x52, 0x41, 0x51, 0x41, 0x50,
    };
    put(o, seq, sizeof seq);
}

static void pop_all(out_t *o) {
    static const uint8_t seq[] = {
        0x41, 0x58, 0x41, 0x59, 0x41, 0x5A, 0x41, 0x5B, /* r8 ... r15 */
        0x41, 0x5C, 0x41, 0x5D, 0x41, 0x5E, 0x41, 0x5F,
        0x5F, 0x5E, 0x5D, 0x5B, 0x5A, 0x58, 0x59,       /* rdi rsi rbp rbx rdx rax rcx */
        0x48, 0x8D, 0x64, 0x24, 0x10,                   /* lea 16(%rsp),%rsp: past g[REG_RSP], g[REG_RIP] */
    };
    put(o, seq, sizeof seq);
}

/* movups between %xmmN and N*16(%rsp): store (0x11) or load (0x10). */
static void xmm_all(out_t *o, uint8_t opcode) {
    for (int n = 0; n < 16; n++) {
        if (n >= 8) put1(o, 0x44);
        put1(o, 0x0F); put1(o, opcode);
        if (n * 16 < 128) { put1(o, (uint8_t)(0x44 | ((n & 7) << 3))); put1(o, 0x24); put1(o, (uint8_t)(n * 16)); }
        else { put1(o, (uint8_t)(0x84 | ((n & 7) << 3))); put1(o, 0x24); put4(o, n * 16); }
    }
}

/* popfq; lea 128(%rsp),%rsp: the thread's flags and stack pointer as they were at the site. */
static void leave_frame(out_t *o) {
    static const uint8_t seq[] = { 0x9D, 0x48, 0x8D, 0xA4, 0x24, 0x80, 0x00, 0x00, 0x00 };
    put(o, seq, sizeof seq);
}

int cape_jump_emit(csh cs, site_t *s, uint8_t *area, uint8_t *tramp, char *err, size_t errlen) {
    out_t o = { area };
    cs_insn *in = cs_malloc(cs);
    const uint8_t *code = (const uint8_t *)s->addr;
    size_t left = s->span + 16;
    uint64_t a = s->addr;
    int ended = 0;
    s->xol = (uintptr_t)area;
    /* The copy: the instruction, then the rest of the span. */
    while (a < s->addr + s->span) {
        if (!cs_disasm_iter(cs, &code, &left, &a, in)) goto fail;
        const cs_x86 *x = &in->detail->x86;
        if (ended) continue; /* padding after a ret or jmp */
        if (in->address != s->addr && in->id == X86_INS_JNE && x->operands[0].type == X86_OP_IMM) {
            put1(&o, 0x0F); put1(&o, 0x85);
            if (!rel32(&o, (uint64_t)x->operands[0].imm)) goto fail;
        } else if (in->address != s->addr && in->id == X86_INS_JMP && x->op_count == 1 && x->operands[0].type == X86_OP_IMM) {
            put1(&o, 0xE9);
            if (!rel32(&o, (uint64_t)x->operands[0].imm)) goto fail;
            ended = 1;
        } else {
            if (!relocate(&o, in)) goto fail;
            if (in->address != s->addr && in->id == X86_INS_RET) ended = 1;
        }
    }
    if (!ended) {
        put1(&o, 0xE9);
        if (!rel32(&o, s->addr + s->span)) goto fail;
    }
    cs_free(in, 1);
    in = NULL;
    if ((size_t)(o.p - area) > SITE_COPY_BYTES) goto fail;
    if (!s->patched) {
        s->resume = s->addr + s->len;
        s->trampoline = s->trap = 0;
        return 0;
    }
    s->resume = s->xol + s->len;

    /* The trampoline. */
    if (!tramp) goto fail;
    o.p = tramp;
    s->trampoline = (uintptr_t)o.p;
    push_all(&o);
    static const uint8_t call_seq[] = {
        0x48, 0x81, 0xEC, 0x00, 0x01, 0x00, 0x00, /* sub $256,%rsp: the xmm registers */
    };
    put(&o, call_seq, sizeof call_seq);
    xmm_all(&o, 0x11);
    static const uint8_t args[] = {
        0x48, 0x8D, 0xBC, 0x24, 0x00, 0x01, 0x00, 0x00, /* lea 256(%rsp),%rdi: g */
        0x48, 0x89, 0xE6,                               /* mov %rsp,%rsi: xmm */
    };
    put(&o, args, sizeof args);
    put1(&o, 0x48); put1(&o, 0xBA); put8(&o, (uint64_t)(uintptr_t)s);          /* movabs $s,%rdx */
    static const uint8_t align[] = { 0x48, 0x89, 0xE3, 0x48, 0x83, 0xE4, 0xF0 }; /* mov %rsp,%rbx; and $-16,%rsp */
    put(&o, align, sizeof align);
    put1(&o, 0x48); put1(&o, 0xB8); put8(&o, (uint64_t)(uintptr_t)cape_atomics_site_entry); /* movabs $entry,%rax */
    static const uint8_t call[] = { 0xFF, 0xD0, 0x48, 0x89, 0xDC };              /* call *%rax; mov %rbx,%rsp */
    put(&o, call, sizeof call);
    xmm_all(&o, 0x10);
    static const uint8_t decide[] = {
        0x48, 0x8D, 0xA4, 0x24, 0x00, 0x01, 0x00, 0x00, /* lea 256(%rsp),%rsp */
        0x83, 0xF8, 0x01,                               /* cmp $SITE_NATIVE,%eax */
    };
    _Static_assert(SITE_DONE == 0 && SITE_NATIVE == 1 && SITE_TRAP == 2, "the trampoline's branches");
    put(&o, decide, sizeof decide);
    pop_all(&o); /* pops and lea keep the flags of the cmp */
    /* jb done; je native; trap: ... */
    uint8_t *jb = o.p; put1(&o, 0x72); put1(&o, 0);
    uint8_t *je = o.p; put1(&o, 0x74); put1(&o, 0);
    leave_frame(&o);
    s->trap = (uintptr_t)o.p;
    put1(&o, 0xCC);
    jb[1] = (uint8_t)(o.p - (jb + 2));
    leave_frame(&o);
    put1(&o, 0xE9);
    if (!rel32(&o, s->resume)) goto fail;
    je[1] = (uint8_t)(o.p - (je + 2));
    leave_frame(&o);
    put1(&o, 0xE9);
    if (!rel32(&o, s->xol)) goto fail;
    if ((size_t)(o.p - tramp) > SITE_TRAMPOLINE_BYTES) goto fail;
    return 0;
fail:
    if (in) cs_free(in, 1);
    snprintf(err, errlen, "cannot relocate the atomic instruction at %#lx", (unsigned long)s->addr);
    return -1;
}

int cape_jump_patch(const site_t *s, char *err, size_t errlen) {
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t n = s->patched ? s->span : 1;
    uintptr_t p = s->addr & ~(uintptr_t)(page - 1);
    uintptr_t e = (s->addr + n + page - 1) & ~(uintptr_t)(page - 1);
    if (mprotect((void *)p, e - p, PROT_READ | PROT_WRITE | PROT_EXEC) != 0) {
        snprintf(err, errlen, "cannot patch the program's code at %#lx", (unsigned long)s->addr);
        return -1;
    }
    volatile uint8_t *at = (volatile uint8_t *)s->addr;
    if (s->patched) {
        int32_t d = (int32_t)((int64_t)s->trampoline - (int64_t)(s->addr + 5));
        uint8_t bytes[32];
        memset(bytes, 0xCC, sizeof bytes);
        bytes[0] = 0xE9;
        memcpy(bytes + 1, &d, 4);
        for (size_t k = 0; k < n; k++) at[k] = bytes[k];
    } else {
        at[0] = 0xCC;
    }
    mprotect((void *)p, e - p, PROT_READ | PROT_EXEC);
    return 0;
}
