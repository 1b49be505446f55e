/* Inline atomics across ranks.
 *
 * gcc compiles `#pragma omp atomic` and single-variable reductions into lock-prefixed instructions
 * (lock add, lock xadd, lock cmpxchg loops...) on the shared word: hardware atomics that a preload
 * library never sees, and that are atomic only within one process. Rather than guess each site's
 * operator from the code around it and merge afterwards, libcape makes every such instruction of
 * the program run team-wide, one at a time, on the current value:
 *
 *  - At start, the executable's code is swept with a disassembler (Capstone) for lock-prefixed
 *    instructions and xchg with memory (implicitly locked). Each one's first byte becomes int3, and
 *    a copy of the instruction is placed in an out-of-line area near the code, its rip-relative
 *    displacement adjusted (the way debuggers and uprobes step over breakpoints).
 *  - When a thread reaches a site, the SIGTRAP handler asks the runtime to enter a section under
 *    the team-wide atomic lock (which applies every other rank's earlier atomic writes from the
 *    section log), then runs the copy with the trap flag set; the single-step trap after it leaves
 *    the section (its write goes to the log) and resumes after the original instruction.
 *
 * So every operator, type and form (update, capture, compare-and-swap loops) gets exactly the
 * result of some serial order of the updates, as on shared memory. A compare-and-swap loop whose
 * value was read before another rank's update fails once and retries with the new value, as it
 * would on one machine. The cost is two signals and a lock per atomic instruction; a reduction
 * runs one per thread.
 *
 * Updates whose result nobody reads run locally instead (the design's "atomic updates do not
 * communicate"): a lock-prefixed add, sub, inc, dec, and, or or xor of memory whose flags the
 * following code does not test. The handler performs it on the rank's own memory, at once, and
 * records it per address (operator class, width, the folded operand, and the value before the
 * rank's first update); at the next sync point the ranks replay each other's records in rank order
 * on that value (Region.mergeAtomics), an exact serial order for integers. A compare-exchange loop
 * of one operation whose values nobody reads afterwards (gcc's form for float, double, short, char
 * and x *= e, and for the integer min and max of `atomic compare`: cmp and cmov) runs locally too
 * (see "compare-exchange loops" below); its floating-point updates are logged one by one and
 * replayed in rank order, so the merge rounds as that serial order does; min and max fold to the
 * extreme operand. Everything else (xadd, other cmpxchg loops, xchg, updates whose flags are
 * tested, several operator classes on one address) keeps the serial path above.
 *
 * A local update does not need a signal: where its bytes can hold a jump, the site becomes a jump
 * to a trampoline that calls cape_atomics_site_entry with the saved registers (jumps.c), about
 * 0.1 us instead of the 2-4 us of a trap. The trap stays for the serial path, for fences (whose
 * flush is expensive anyway) and for sites that cannot be rewritten.
 *
 * C because it is a signal handler and the instruction patching of the program's code. */
#define _GNU_SOURCE
#include "cape_shim.h"
#include "sites.h"
#include <capstone/capstone.h>
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>


static site_t *sites;
static size_t nsites, capsites;
static uint8_t *xol_area;   /* the sites' copies, then the rewritten sites' trampolines (jumps.c) */
static size_t xol_bytes, tramp_offset;
static size_t *tramp_site, ntramp; /* the site of each trampoline, in order */
static struct sigaction prev_trap;
static int (*real_sigaction_fn)(int, const struct sigaction *, struct sigaction *);
static char sweep_err[256];

const char *cape_atomics_error(void) { return sweep_err; }
size_t cape_atomics_sites(void) { return nsites; }

size_t cape_atomics_fence_sites(void) {
    size_t n = 0;
    for (size_t i = 0; i < nsites; i++) n += sites[i].op == CAPE_ATOMIC_FENCE;
    return n;
}

size_t cape_atomics_jump_sites(void) {
    size_t n = 0;
    for (size_t i = 0; i < nsites; i++) n += sites[i].patched;
    return n;
}

size_t cape_atomics_local_sites(void) {
    size_t n = 0;
    for (size_t i = 0; i < nsites; i++) n += sites[i].op != CAPE_ATOMIC_SERIAL && sites[i].op != CAPE_ATOMIC_FENCE;
    return n;
}

void cape_atomics_report(void (*line)(uintptr_t addr, int op, int width, int jump, const char *mnemonic)) {
    for (size_t i = 0; i < nsites; i++) line(sites[i].addr, sites[i].op, sites[i].width, sites[i].patched, sites[i].mnemonic);
}

/* Per thread: the site being stepped, and whether the runtime took the atomic lock for it. */
static __thread const site_t *stepping __attribute__((tls_model("initial-exec")));
static __thread int stepping_synced __attribute__((tls_model("initial-exec")));

static const site_t *find_site(uintptr_t a) {
    size_t lo = 0, hi = nsites;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (sites[mid].addr < a) lo = mid + 1;
        else hi = mid;
    }
    return lo < nsites && sites[lo].addr == a ? &sites[lo] : NULL;
}

/* ---- local updates ---- */

/* Capstone's register to the ucontext's greg number, and whether it is a high-byte register. */
static int greg_of(unsigned reg, int *high) {
    *high = 0;
    switch (reg) {
    case X86_REG_RAX: case X86_REG_EAX: case X86_REG_AX: case X86_REG_AL: return REG_RAX;
    case X86_REG_AH: *high = 1; return REG_RAX;
    case X86_REG_RBX: case X86_REG_EBX: case X86_REG_BX: case X86_REG_BL: return REG_RBX;
    case X86_REG_BH: *high = 1; return REG_RBX;
    case X86_REG_RCX: case X86_REG_ECX: case X86_REG_CX: case X86_REG_CL: return REG_RCX;
    case X86_REG_CH: *high = 1; return REG_RCX;
    case X86_REG_RDX: case X86_REG_EDX: case X86_REG_DX: case X86_REG_DL: return REG_RDX;
    case X86_REG_DH: *high = 1; return REG_RDX;
    case X86_REG_RSI: case X86_REG_ESI: case X86_REG_SI: case X86_REG_SIL: return REG_RSI;
    case X86_REG_RDI: case X86_REG_EDI: case X86_REG_DI: case X86_REG_DIL: return REG_RDI;
    case X86_REG_RBP: case X86_REG_EBP: case X86_REG_BP: case X86_REG_BPL: return REG_RBP;
    case X86_REG_RSP: case X86_REG_ESP: case X86_REG_SP: case X86_REG_SPL: return REG_RSP;
    case X86_REG_R8: case X86_REG_R8D: case X86_REG_R8W: case X86_REG_R8B: return REG_R8;
    case X86_REG_R9: case X86_REG_R9D: case X86_REG_R9W: case X86_REG_R9B: return REG_R9;
    case X86_REG_R10: case X86_REG_R10D: case X86_REG_R10W: case X86_REG_R10B: return REG_R10;
    case X86_REG_R11: case X86_REG_R11D: case X86_REG_R11W: case X86_REG_R11B: return REG_R11;
    case X86_REG_R12: case X86_REG_R12D: case X86_REG_R12W: case X86_REG_R12B: return REG_R12;
    case X86_REG_R13: case X86_REG_R13D: case X86_REG_R13W: case X86_REG_R13B: return REG_R13;
    case X86_REG_R14: case X86_REG_R14D: case X86_REG_R14W: case X86_REG_R14B: return REG_R14;
    case X86_REG_R15: case X86_REG_R15D: case X86_REG_R15W: case X86_REG_R15B: return REG_R15;
    default: return -1;
    }
}

#define FLAGS_TESTED (X86_EFLAGS_TEST_OF | X86_EFLAGS_TEST_SF | X86_EFLAGS_TEST_ZF | X86_EFLAGS_TEST_PF | \
                      X86_EFLAGS_TEST_CF | X86_EFLAGS_TEST_AF)
#define FLAG_WRITTEN(f) (X86_EFLAGS_MODIFY_##f | X86_EFLAGS_UNDEFINED_##f)

/* Whether the flags that an update at `code` sets are dead: the straight-line code after it sets
   them all again before testing any, or leaves the function. Anything unclear is "not dead". */
static int flags_dead(csh cs, const uint8_t *code, size_t left, uint64_t addr, int keeps_cf, uint64_t seg_start, uint64_t seg_end) {
    cs_insn *insn = cs_malloc(cs);
    int dead = 0;
    for (int n = 0; n < 16; n++) {
        if (!cs_disasm_iter(cs, &code, &left, &addr, insn)) break;
        const cs_x86 *x = &insn->detail->x86;
        if (insn->id == X86_INS_RET || insn->id == X86_INS_CALL) { dead = 1; break; }
        if (insn->id == X86_INS_JMP && x->op_count == 1 && x->operands[0].type == X86_OP_IMM) {
            /* gcc lays out if/else arms with a jump back to the join: follow it. */
            uint64_t t = (uint64_t)x->operands[0].imm;
            if (t < seg_start || t >= seg_end) break;
            code = (const uint8_t *)(uintptr_t)t;
            left = seg_end - t;
            addr = t;
            continue;
        }
        if (x->eflags & FLAGS_TESTED) break;
        if (cs_insn_group(cs, insn, CS_GRP_JUMP) || cs_insn_group(cs, insn, CS_GRP_INT) || cs_insn_group(cs, insn, CS_GRP_IRET)) break;
        if (insn->id == X86_INS_PUSHF || insn->id == X86_INS_PUSHFQ || insn->id == X86_INS_LAHF) break;
        uint64_t w = x->eflags;
        int all = (w & (FLAG_WRITTEN(OF) | X86_EFLAGS_RESET_OF)) && (w & (FLAG_WRITTEN(SF) | X86_EFLAGS_RESET_SF)) &&
                  (w & (FLAG_WRITTEN(ZF) | X86_EFLAGS_RESET_ZF)) && (w & (FLAG_WRITTEN(PF) | X86_EFLAGS_RESET_PF)) &&
                  (w & (FLAG_WRITTEN(AF) | X86_EFLAGS_RESET_AF)) &&
                  (keeps_cf || (w & (FLAG_WRITTEN(CF) | X86_EFLAGS_RESET_CF | X86_EFLAGS_SET_CF)));
        if (all) { dead = 1; break; }
    }
    cs_free(insn, 1);
    return dead;
}

/* ---- compare-exchange loops ----
 *
 * gcc emits an update of a float, a double, a short or a char (and x *= e on any integer) as a
 * loop: `H: NEW = f(OLD); eax = OLD; lock cmpxchg NEW, M; jne T ... T: OLD = eax; jmp H`. When f
 * is one operation with an operand the loop does not change, and nothing after the loop reads
 * what it computed (OLD, NEW, eax and the temporaries all hold values of M), the whole loop is the
 * update M = M op e whose result nobody reads: the handler performs it at the cmpxchg on the
 * rank's memory and resumes after it as a successful exchange would. Whatever OLD held on the
 * first try does not matter (a loop that guessed wrong retries with the current value). */

/* A register's slot in a bit set: the ucontext's greg number (0-15) or 32 + n for xmm/ymm/zmm n. */
static csh names; /* the disassembler of the sweep, for register names */

static int slot_of(unsigned reg, int *bytes) {
    int high;
    *bytes = 16;
    if (reg >= X86_REG_XMM0 && reg <= X86_REG_XMM15) return 32 + (int)(reg - X86_REG_XMM0);
    if (reg >= X86_REG_YMM0 && reg <= X86_REG_YMM15) return 32 + (int)(reg - X86_REG_YMM0);
    if (reg >= X86_REG_ZMM0 && reg <= X86_REG_ZMM15) return 32 + (int)(reg - X86_REG_ZMM0);
    int g = greg_of(reg, &high);
    if (g < 0) return -1;
    /* The width from the name: rax r8 (8), eax r8d (4), ax r8w si (2), al ah sil r8b (1). */
    const char *n = cs_reg_name(names, reg) ? cs_reg_name(names, reg) : "";
    size_t l = strlen(n);
    if (high) *bytes = 0; /* ah...: neither the low byte nor a full write */
    else if (n[0] == 'e') *bytes = 4;
    else if (n[0] == 'r') *bytes = n[l - 1] == 'd' ? 4 : n[l - 1] == 'w' ? 2 : n[l - 1] == 'b' ? 1 : 8;
    else *bytes = l == 2 && (n[1] == 'x' || n[1] == 'i' || n[1] == 'p') ? 2 : 1;
    return g;
}

#define SLOT(s) (1ull << (s))
#define XMM_SLOT(n) SLOT(32 + (n))
/* What a called function may read: the argument registers (rax is only al of a variadic call, which
   gcc sets just before the call, a write) and the registers it must preserve (a value kept in
   them lives on after the call). */
#define PRESERVED (SLOT(REG_RBX) | SLOT(REG_RBP) | SLOT(REG_R12) | SLOT(REG_R13) | SLOT(REG_R14) | SLOT(REG_R15) | SLOT(REG_RSP))
#define CALL_READS (SLOT(REG_RDI) | SLOT(REG_RSI) | SLOT(REG_RDX) | SLOT(REG_RCX) | SLOT(REG_R8) | SLOT(REG_R9) | \
                    (0xFFull << 32) | PRESERVED)
/* What the caller reads after a return: the registers it had preserved, and the return value's. */
#define RETURN_READS (SLOT(REG_RAX) | SLOT(REG_RDX) | XMM_SLOT(0) | XMM_SLOT(1) | PRESERVED)

/* The executable's lazy-binding relocations, to name the function a PLT stub calls. */
static const ElfW(Rela) *plt_rela;
static size_t plt_nrela;
static const ElfW(Sym) *dyn_sym;
static const char *dyn_str;
static uintptr_t exe_bias;

static int find_plt(struct dl_phdr_info *info, size_t size, void *arg) {
    (void)size; (void)arg;
    if (info->dlpi_name && info->dlpi_name[0]) return 0;
    exe_bias = info->dlpi_addr;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        if (info->dlpi_phdr[i].p_type != PT_DYNAMIC) continue;
        /* The dynamic linker usually adds the load bias to these in place; not everywhere. */
        #define PTR(v) ((uintptr_t)(v) < info->dlpi_addr ? (uintptr_t)(v) + info->dlpi_addr : (uintptr_t)(v))
        size_t relsz = 0;
        for (const ElfW(Dyn) *d = (const ElfW(Dyn) *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr); d->d_tag != DT_NULL; d++) {
            if (d->d_tag == DT_JMPREL) plt_rela = (const ElfW(Rela) *)PTR(d->d_un.d_ptr);
            else if (d->d_tag == DT_PLTRELSZ) relsz = d->d_un.d_val;
            else if (d->d_tag == DT_SYMTAB) dyn_sym = (const ElfW(Sym) *)PTR(d->d_un.d_ptr);
            else if (d->d_tag == DT_STRTAB) dyn_str = (const char *)PTR(d->d_un.d_ptr);
        }
        #undef PTR
        plt_nrela = plt_rela && dyn_sym && dyn_str ? relsz / sizeof(ElfW(Rela)) : 0;
    }
    return 1;
}

/* What a direct call to `target` reads: for the runtime's entry points that the outlined code
   calls after a loop, only their arguments (they take none, or two pointers); for any other
   function every argument register. */
static uint64_t callee_reads(csh cs, uint64_t target, uint64_t seg_start, uint64_t seg_end) {
    if (target < seg_start || target + 16 > seg_end || !plt_nrela) return CALL_READS;
    cs_insn *in = cs_malloc(cs);
    const uint8_t *code = (const uint8_t *)(uintptr_t)target;
    size_t left = 16;
    uint64_t a = target, slot = 0;
    for (int k = 0; k < 2 && cs_disasm_iter(cs, &code, &left, &a, in); k++) {
        const cs_x86 *x = &in->detail->x86;
        if (in->id == X86_INS_ENDBR64) continue;
        if (in->id == X86_INS_JMP && x->op_count == 1 && x->operands[0].type == X86_OP_MEM && x->operands[0].mem.base == X86_REG_RIP &&
            x->operands[0].mem.index == X86_REG_INVALID)
            slot = a + (uint64_t)x->operands[0].mem.disp;
        break;
    }
    cs_free(in, 1);
    const char *name = NULL;
    for (size_t i = 0; slot && i < plt_nrela && !name; i++)
        if (plt_rela[i].r_offset + exe_bias == slot) name = dyn_str + dyn_sym[ELF64_R_SYM(plt_rela[i].r_info)].st_name;
    if (!name) return CALL_READS;
    static const char *const none[] = { "GOMP_barrier", "GOMP_loop_end", "GOMP_loop_end_nowait", "GOMP_critical_start",
        "GOMP_critical_end", "GOMP_atomic_start", "GOMP_atomic_end", "GOMP_ordered_start", "GOMP_ordered_end",
        "GOMP_sections_next", "GOMP_sections_end", "GOMP_sections_end_nowait", "GOMP_single_start",
        "omp_get_thread_num", "omp_get_num_threads", NULL };
    for (int k = 0; none[k]; k++) if (strcmp(name, none[k]) == 0) return PRESERVED;
    /* GOMP_loop_dynamic_next(long *istart, long *iend) and its kin */
    if (strncmp(name, "GOMP_loop_", 10) == 0 && strlen(name) > 5 && strcmp(name + strlen(name) - 5, "_next") == 0)
        return SLOT(REG_RDI) | SLOT(REG_RSI) | PRESERVED;
    return CALL_READS;
}

/* The registers `insn` reads, and those it overwrites whole (a write of 8 or 16 bits keeps the rest
   of the register; a scalar ss/sd operation or move between registers keeps the rest of the xmm). */
static void access_of(csh cs, const cs_insn *insn, uint64_t *rd, uint64_t *wr) {
    cs_regs r, w;
    uint8_t nr = 0, nw = 0;
    *rd = *wr = 0;
    /* Padding: Capstone lists the address registers of `nopl 0x0(%rax)` as read, but nothing is. */
    if (insn->id == X86_INS_NOP) return;
    if (cs_regs_access(cs, insn, r, &nr, w, &nw) != CS_ERR_OK) { *rd = ~0ull; return; }
    const cs_x86 *x = &insn->detail->x86;
    /* xor %eax,%eax and its kin depend on nothing. */
    int zero = x->op_count == 2 && x->operands[0].type == X86_OP_REG && x->operands[1].type == X86_OP_REG &&
               x->operands[0].reg == x->operands[1].reg &&
               (insn->id == X86_INS_XOR || insn->id == X86_INS_SUB || insn->id == X86_INS_PXOR ||
                insn->id == X86_INS_XORPS || insn->id == X86_INS_XORPD);
    int bytes;
    for (int i = 0; i < nr; i++) {
        int sl = slot_of(r[i], &bytes);
        if (sl >= 0 && !zero) *rd |= SLOT(sl);
    }
    size_t ml = strlen(insn->mnemonic);
    /* A scalar SSE operation keeps the rest of its destination, so it does not define the register;
       its AVX form (three operands) takes the rest from its first source and does. */
    int scalar = ml >= 2 && (strcmp(insn->mnemonic + ml - 2, "ss") == 0 || strcmp(insn->mnemonic + ml - 2, "sd") == 0) &&
                 !(insn->mnemonic[0] == 'v' && x->op_count == 3);
    int load = (insn->id == X86_INS_MOVSS || insn->id == X86_INS_MOVSD) && x->op_count == 2 && x->operands[1].type == X86_OP_MEM;
    for (int i = 0; i < nw; i++) {
        int sl = slot_of(w[i], &bytes);
        if (sl < 0) continue;
        if (sl < 32 ? bytes >= 4 : (!scalar || load)) *wr |= SLOT(sl);
    }
    *wr &= ~*rd | (zero ? ~0ull : 0);
}

/* Whether the code from `start` reads none of the `pending` registers before overwriting them,
   on every path (both ways of a conditional branch, through direct jumps), within a budget of
   instructions. A return reads the preserved registers, and the return registers unless
   `void_ret`; a call reads its argument and preserved registers; anything unclear (an indirect
   jump, a system call, the budget) counts as a read. */
static int regs_dead(csh cs, uint64_t start, uint64_t pending, uint64_t seg_start, uint64_t seg_end, int void_ret) {
    /* 2048 instructions and 512 explored states: a loop at the end of a body of a dozen such loops
       (each with its retry path) needed more than the few hundred that had been enough alone. */
    struct { uint64_t addr, pending; } work[64], seen[512];
    int nwork = 0, nseen = 0, budget = 2048, dead = 1;
    work[nwork].addr = start; work[nwork++].pending = pending;
    cs_insn *insn = cs_malloc(cs);
    while (nwork > 0 && dead) {
        nwork--;
        uint64_t a = work[nwork].addr, p = work[nwork].pending;
        while (p != 0) {
            int again = 0;
            for (int i = 0; i < nseen; i++) if (seen[i].addr == a && (seen[i].pending & p) == p) again = 1;
            if (again) break; /* explored from here with at least these registers */
            if (nseen == 512 || --budget < 0 || a < seg_start || a >= seg_end) { dead = 0; break; }
            seen[nseen].addr = a; seen[nseen++].pending = p;
            const uint8_t *code = (const uint8_t *)(uintptr_t)a;
            size_t left = seg_end - a;
            uint64_t next = a;
            if (!cs_disasm_iter(cs, &code, &left, &next, insn)) { dead = 0; break; }
            const cs_x86 *x = &insn->detail->x86;
            uint64_t rd, wr;
            access_of(cs, insn, &rd, &wr);
            if (insn->id == X86_INS_RET) { if (p & (void_ret ? PRESERVED : RETURN_READS)) dead = 0; break; }
            int direct = x->op_count == 1 && x->operands[0].type == X86_OP_IMM;
            if (insn->id == X86_INS_CALL) {
                uint64_t reads = direct ? callee_reads(cs, (uint64_t)x->operands[0].imm, seg_start, seg_end) : CALL_READS;
                if (p & (rd | reads)) dead = 0;
                break;
            }
            /* A tail call (jmp to a stub): the callee's arguments, then its own return. */
            if (insn->id == X86_INS_JMP && direct && callee_reads(cs, (uint64_t)x->operands[0].imm, seg_start, seg_end) != CALL_READS) {
                if (p & callee_reads(cs, (uint64_t)x->operands[0].imm, seg_start, seg_end)) dead = 0;
                break;
            }
            if (p & rd) { dead = 0; break; }
            p &= ~wr;
            int jump = cs_insn_group(cs, insn, CS_GRP_JUMP);
            if (jump && !direct) { dead = 0; break; }
            if (insn->id == X86_INS_JMP) { a = (uint64_t)x->operands[0].imm; continue; }
            if (jump) {
                if (nwork == 64) { dead = 0; break; }
                work[nwork].addr = (uint64_t)x->operands[0].imm; work[nwork++].pending = p;
            } else if (cs_insn_group(cs, insn, CS_GRP_INT) || cs_insn_group(cs, insn, CS_GRP_IRET) ||
                       insn->id == X86_INS_SYSCALL || insn->id == X86_INS_UD2 || insn->id == X86_INS_HLT) {
                dead = 0;
                break;
            }
            a = next;
        }
    }
    cs_free(insn, 1);
    return dead;
}

/* The value kinds of the loop's body, per register. */
enum { V_INV = 0 /* not written in the body */, V_OLD /* M's value */, V_RES /* old op e */,
       V_FOLD /* M's value, as a float or double */, V_FRES /* old op e, in an xmm */,
       V_E /* a copy of the operand e (of a min or max) */ };

/* The condition of a cmov: 0 g, 1 ge, 2 l, 3 le, 4 a, 5 ae, 6 b, 7 be; -1 another one. */
static int cmov_condition(unsigned id) {
    switch (id) {
    case X86_INS_CMOVG: return 0; case X86_INS_CMOVGE: return 1; case X86_INS_CMOVL: return 2; case X86_INS_CMOVLE: return 3;
    case X86_INS_CMOVA: return 4; case X86_INS_CMOVAE: return 5; case X86_INS_CMOVB: return 6; case X86_INS_CMOVBE: return 7;
    default: return -1;
    }
}

/* Whether the function holding `addr` is one of gcc's outlined OpenMP bodies (main._omp_fn.0),
   which return nothing: their `ret` reads no return register. */
static int in_outlined_body(uintptr_t addr) {
    const char *n = cape_symbol_name((const void *)addr, NULL);
    return n && strstr(n, "._omp_fn.") != NULL;
}

/* Fills the cas fields of site `s` (a lock cmpxchg whose memory operand is decoded) when it is the
   exchange of such a loop (see above). */
/* The scalar floating-point operation of an SSE or AVX instruction: CAPE_ATOMIC_FADD, FSUB,
   FMUL or FDIV, whether it is on doubles, and whether it is the three-operand AVX form. */
static int scalar_fp_op(unsigned id, int *dbl, int *vex) {
    static const struct { unsigned id; uint8_t op, dbl, vex; } table[] = {
        { X86_INS_ADDSS, CAPE_ATOMIC_FADD, 0, 0 }, { X86_INS_SUBSS, CAPE_ATOMIC_FSUB, 0, 0 },
        { X86_INS_MULSS, CAPE_ATOMIC_FMUL, 0, 0 }, { X86_INS_DIVSS, CAPE_ATOMIC_FDIV, 0, 0 },
        { X86_INS_ADDSD, CAPE_ATOMIC_FADD, 1, 0 }, { X86_INS_SUBSD, CAPE_ATOMIC_FSUB, 1, 0 },
        { X86_INS_MULSD, CAPE_ATOMIC_FMUL, 1, 0 }, { X86_INS_DIVSD, CAPE_ATOMIC_FDIV, 1, 0 },
        { X86_INS_VADDSS, CAPE_ATOMIC_FADD, 0, 1 }, { X86_INS_VSUBSS, CAPE_ATOMIC_FSUB, 0, 1 },
        { X86_INS_VMULSS, CAPE_ATOMIC_FMUL, 0, 1 }, { X86_INS_VDIVSS, CAPE_ATOMIC_FDIV, 0, 1 },
        { X86_INS_VADDSD, CAPE_ATOMIC_FADD, 1, 1 }, { X86_INS_VSUBSD, CAPE_ATOMIC_FSUB, 1, 1 },
        { X86_INS_VMULSD, CAPE_ATOMIC_FMUL, 1, 1 }, { X86_INS_VDIVSD, CAPE_ATOMIC_FDIV, 1, 1 },
        { X86_INS_MAXSS, CAPE_ATOMIC_FMAX, 0, 0 }, { X86_INS_MINSS, CAPE_ATOMIC_FMIN, 0, 0 },
        { X86_INS_MAXSD, CAPE_ATOMIC_FMAX, 1, 0 }, { X86_INS_MINSD, CAPE_ATOMIC_FMIN, 1, 0 },
        { X86_INS_VMAXSS, CAPE_ATOMIC_FMAX, 0, 1 }, { X86_INS_VMINSS, CAPE_ATOMIC_FMIN, 0, 1 },
        { X86_INS_VMAXSD, CAPE_ATOMIC_FMAX, 1, 1 }, { X86_INS_VMINSD, CAPE_ATOMIC_FMIN, 1, 1 },
    };
    for (size_t k = 0; k < sizeof table / sizeof table[0]; k++)
        if (table[k].id == id) { *dbl = table[k].dbl; *vex = table[k].vex; return table[k].op; }
    *dbl = *vex = 0;
    return 0;
}

static uint32_t float_bits(float f) { uint32_t b; memcpy(&b, &f, 4); return b; }
static uint64_t double_bits(double v) { uint64_t b; memcpy(&b, &v, 8); return b; }

static void classify_cas(csh cs, const cs_insn *insn, uint64_t seg_start, uint64_t seg_end, site_t *s) {
    const cs_x86 *x = &insn->detail->x86;
    int w = s->width, bytes;
    if (x->op_count != 2 || x->operands[1].type != X86_OP_REG) return;
    int new_slot = slot_of(x->operands[1].reg, &bytes);
    if (new_slot < 0 || new_slot >= 32 || bytes != w) return;
    cs_insn *in = cs_malloc(cs);
    uint64_t end = insn->address + insn->size;
    /* jne T right after, and the retry path: T: mov %eax, OLD; jmp H (or T = H, OLD = eax). */
    const uint8_t *code = (const uint8_t *)(uintptr_t)end;
    size_t left = seg_end - end;
    uint64_t a = end;
    if (!cs_disasm_iter(cs, &code, &left, &a, in) || in->id != X86_INS_JNE || in->detail->x86.operands[0].type != X86_OP_IMM) goto out;
    uint64_t success = a, head = (uint64_t)in->detail->x86.operands[0].imm;
    int old_slot = REG_RAX;
    if (head < seg_start || head >= seg_end) goto out;
    code = (const uint8_t *)(uintptr_t)head; left = seg_end - head; a = head;
    if (cs_disasm_iter(cs, &code, &left, &a, in) && in->id == X86_INS_MOV && in->detail->x86.op_count == 2 &&
        in->detail->x86.operands[0].type == X86_OP_REG && in->detail->x86.operands[1].type == X86_OP_REG) {
        int sb, db;
        int src = slot_of(in->detail->x86.operands[1].reg, &sb), dst = slot_of(in->detail->x86.operands[0].reg, &db);
        if (src == REG_RAX && sb >= w && dst >= 0 && dst < 32 && db >= w && cs_disasm_iter(cs, &code, &left, &a, in) &&
            in->id == X86_INS_JMP && in->detail->x86.operands[0].type == X86_OP_IMM) {
            old_slot = dst;
            head = (uint64_t)in->detail->x86.operands[0].imm;
        }
    }
    if (head >= insn->address || insn->address - head > 96 || head < seg_start) goto out;

    /* The body, H to the cmpxchg, straight-line, evaluated on kinds of values. */
    uint8_t kind[48] = { 0 };
    kind[old_slot] = V_OLD;
    uint64_t pinned = 0; /* the operand's registers: the body must not change them after their use */
    int op = 0;
    /* A min or max: `cmp` of M's value with e (which comes first), then a cmov between them. */
    int e_taken = 0, cmp_seen = 0, cmp_old_first = 0;
    code = (const uint8_t *)(uintptr_t)head; left = insn->address - head; a = head;
    s->source = -1; s->xmm = -1; s->src_mem = 0; s->multiplier = 1; s->imm = 0;
    while (a < insn->address) {
        if (!cs_disasm_iter(cs, &code, &left, &a, in)) goto out;
        const cs_x86 *y = &in->detail->x86;
        uint64_t rd, wr;
        access_of(cs, in, &rd, &wr);
        (void)rd;
        if (wr & pinned) goto out;
        const cs_x86_op *o0 = &y->operands[0], *o1 = &y->operands[1];
        int d = -1, db = 0, sr = -1, sbytes = 0;
        if (y->op_count >= 1 && o0->type == X86_OP_REG) d = slot_of(o0->reg, &db);
        if (y->op_count >= 2 && o1->type == X86_OP_REG) sr = slot_of(o1->reg, &sbytes);
        if (d < 0) goto out;
        /* The operand e: an unchanged register, an immediate or memory at an unchanged address. */
        #define TAKE_OPERAND(opnd, gpr_ok, xmm_ok) do { \
            const cs_x86_op *e_ = (opnd); int eb_; \
            if (e_->type == X86_OP_IMM) s->imm = e_->imm; \
            else if (e_->type == X86_OP_REG) { \
                int es_ = slot_of(e_->reg, &eb_); \
                if (es_ < 0 || kind[es_] != V_INV || eb_ == 0 || (es_ < 32 ? !(gpr_ok) : !(xmm_ok))) goto out; \
                if (es_ < 32) s->source = (int8_t)es_; else s->xmm = (int8_t)(es_ - 32); \
                pinned |= SLOT(es_); \
            } else if (e_->type == X86_OP_MEM && e_->mem.segment == X86_REG_INVALID && e_->size == w) { \
                int hb_; \
                s->src_mem = 1; s->src_scale = (uint8_t)e_->mem.scale; s->src_disp = e_->mem.disp; \
                if (e_->mem.base == X86_REG_RIP) { s->src_base = -2; s->src_disp += (int64_t)(in->address + in->size); } \
                else if (e_->mem.base == X86_REG_INVALID) s->src_base = -1; \
                else if ((s->src_base = (int8_t)greg_of(e_->mem.base, &hb_)) < 0 || hb_ || kind[s->src_base] != V_INV) goto out; \
                else pinned |= SLOT(s->src_base); \
                if (e_->mem.index == X86_REG_INVALID) s->src_index = -1; \
                else if ((s->src_index = (int8_t)greg_of(e_->mem.index, &hb_)) < 0 || hb_ || kind[s->src_index] != V_INV) goto out; \
                else pinned |= SLOT(s->src_index); \
            } else goto out; \
        } while (0)
        /* e of a min or max: an invariant register or an immediate, the same at every use. */
        #define TAKE_E(opnd) do { \
            const cs_x86_op *t_ = (opnd); int tb_; \
            if (!e_taken) { TAKE_OPERAND(t_, 1, 0); e_taken = 1; } \
            else if (s->src_mem || s->xmm >= 0) goto out; \
            else if (t_->type == X86_OP_IMM ? (s->source != -1 || s->imm != t_->imm) : s->source != slot_of(t_->reg, &tb_)) goto out; \
        } while (0)
        switch (in->id) {
        case X86_INS_CMP: {
            if (op || cmp_seen || y->op_count != 2 || d >= 32 || db != w) goto out;
            int side[2];
            for (int k = 0; k < 2; k++) {
                const cs_x86_op *c = &y->operands[k];
                int cb, cs_slot = c->type == X86_OP_REG ? slot_of(c->reg, &cb) : -1;
                if (c->type == X86_OP_REG) {
                    if (cs_slot < 0 || cs_slot >= 32 || cb != w) goto out;
                    if (kind[cs_slot] == V_OLD || kind[cs_slot] == V_E) side[k] = kind[cs_slot];
                    else if (kind[cs_slot] == V_INV) { TAKE_E(c); side[k] = V_E; }
                    else goto out;
                } else if (c->type == X86_OP_IMM && k == 1) {
                    TAKE_E(c);
                    side[k] = V_E;
                } else goto out;
            }
            if (side[0] == side[1]) goto out;
            cmp_old_first = side[0] == V_OLD;
            cmp_seen = 1;
            break;
        }
        case X86_INS_CMOVG: case X86_INS_CMOVGE: case X86_INS_CMOVL: case X86_INS_CMOVLE:
        case X86_INS_CMOVA: case X86_INS_CMOVAE: case X86_INS_CMOVB: case X86_INS_CMOVBE: {
            /* d = cond(cmp) ? src : d, between M's value and e: a min or a max. */
            if (op || !cmp_seen || y->op_count != 2 || d >= 32 || db < w || sr < 0 || sr >= 32 || sbytes < w) goto out;
            int kd = kind[d], ks = kind[sr];
            /* the source may be e's own register (if (e > x) x = e) */
            if (ks == V_INV && e_taken && !s->src_mem && s->xmm < 0 && s->source == sr) ks = V_E;
            if (!((kd == V_OLD && ks == V_E) || (kd == V_E && ks == V_OLD))) goto out;
            int c = cmov_condition(in->id);
            if (!cmp_old_first) c ^= 2; /* e ? M: the mirrored condition (g <-> l, a <-> b) */
            int greater = (c & 2) == 0, unsigned_ = c >= 4;
            /* c(M, e) ? M : e is a max when c says greater; c(M, e) ? e : M is a min then. */
            int max = ks == V_OLD ? greater : !greater;
            op = unsigned_ ? (max ? CAPE_ATOMIC_UMAX : CAPE_ATOMIC_UMIN) : (max ? CAPE_ATOMIC_SMAX : CAPE_ATOMIC_SMIN);
            kind[d] = V_RES;
            break;
        }
        case X86_INS_MOV: case X86_INS_MOVZX: case X86_INS_MOVSX: case X86_INS_MOVSXD:
            if (in->id == X86_INS_MOV && y->op_count == 2 && d < 32 && db >= w && !op &&
                (o1->type == X86_OP_IMM || (sr >= 0 && sr < 32 && sbytes >= w && (kind[sr] == V_INV || kind[sr] == V_E)))) {
                /* A copy of e (its low `w` bytes are what the cmp and the cmpxchg use). */
                if (o1->type == X86_OP_IMM || kind[sr] == V_INV) TAKE_E(o1);
                kind[d] = V_E;
                break;
            }
            /* A copy of a value of M or of the result. */
            if (y->op_count != 2 || d >= 32 || sr < 0 || sr >= 32 || db < w || sbytes < w ||
                (kind[sr] != V_OLD && kind[sr] != V_RES)) goto out;
            kind[d] = kind[sr];
            break;
        case X86_INS_LEA: {
            /* lea d(OLD, X, k): OLD + X * k + d */
            const x86_op_mem *m = &o1->mem;
            int hb, b = m->base == X86_REG_INVALID ? -1 : greg_of(m->base, &hb);
            int ix = m->index == X86_REG_INVALID ? -1 : greg_of(m->index, &hb);
            if (op || d >= 32 || db < w || m->segment != X86_REG_INVALID || m->base == X86_REG_RIP) goto out;
            int other, scale = m->scale;
            if (m->disp == 0 && ix >= 0 && kind[ix] == V_OLD && (b < 0 || kind[b] == V_OLD)) {
                /* lea (OLD, OLD, k) or lea (, OLD, k): a multiplication by 1 + k or k */
                s->imm = scale + (b >= 0);
                op = CAPE_ATOMIC_MUL;
                kind[d] = V_RES;
                break;
            }
            if (b >= 0 && kind[b] == V_OLD) other = ix;
            else if (ix >= 0 && kind[ix] == V_OLD && scale == 1) { other = b; scale = 1; }
            else goto out;
            if (other >= 0 && kind[other] != V_INV) goto out;
            if (other >= 0) { s->source = (int8_t)other; s->multiplier = scale; pinned |= SLOT(other); }
            s->imm = m->disp;
            op = CAPE_ATOMIC_ADD;
            kind[d] = V_RES;
            break;
        }
        case X86_INS_ADD: case X86_INS_SUB: case X86_INS_AND: case X86_INS_OR: case X86_INS_XOR: case X86_INS_IMUL:
            if (op || d >= 32 || db < w) goto out;
            if (in->id == X86_INS_IMUL && y->op_count == 3) {
                /* imul $k, OLD, NEW */
                if (sr < 0 || kind[sr] != V_OLD || sbytes < w || y->operands[2].type != X86_OP_IMM) goto out;
                s->imm = y->operands[2].imm;
            } else {
                if (y->op_count != 2 || kind[d] != V_OLD) goto out;
                TAKE_OPERAND(o1, 1, 0);
            }
            op = in->id == X86_INS_ADD ? CAPE_ATOMIC_ADD : in->id == X86_INS_SUB ? CAPE_ATOMIC_SUB :
                 in->id == X86_INS_AND ? CAPE_ATOMIC_AND : in->id == X86_INS_OR ? CAPE_ATOMIC_OR :
                 in->id == X86_INS_XOR ? CAPE_ATOMIC_XOR : CAPE_ATOMIC_MUL;
            kind[d] = V_RES;
            break;
        case X86_INS_INC: case X86_INS_DEC:
            if (op || d >= 32 || db < w || kind[d] != V_OLD) goto out;
            s->imm = in->id == X86_INS_INC ? 1 : -1;
            op = CAPE_ATOMIC_ADD;
            kind[d] = V_RES;
            break;
        case X86_INS_MOVD: case X86_INS_MOVQ: case X86_INS_VMOVD: case X86_INS_VMOVQ:
            if (y->op_count != 2 || sr < 0) goto out;
            if (d >= 32 && sr < 32 && sbytes == w && (w == 4 || w == 8) && kind[sr] == V_OLD) kind[d] = V_FOLD;
            else if (d < 32 && sr >= 32 && db == w && kind[sr] == V_FRES) kind[d] = V_RES;
            else goto out;
            break;
        case X86_INS_ADDSS: case X86_INS_SUBSS: case X86_INS_MULSS: case X86_INS_DIVSS:
        case X86_INS_ADDSD: case X86_INS_SUBSD: case X86_INS_MULSD: case X86_INS_DIVSD:
        case X86_INS_VADDSS: case X86_INS_VSUBSS: case X86_INS_VMULSS: case X86_INS_VDIVSS:
        case X86_INS_VADDSD: case X86_INS_VSUBSD: case X86_INS_VMULSD: case X86_INS_VDIVSD:
        case X86_INS_MAXSS: case X86_INS_MINSS: case X86_INS_MAXSD: case X86_INS_MINSD:
        case X86_INS_VMAXSS: case X86_INS_VMINSS: case X86_INS_VMAXSD: case X86_INS_VMINSD: {
            /* max and min do not commute (NaN, signed zeros): M's value must be the first source. */
            /* SSE: dest = dest op src, dest holding M's value. AVX (-march=native): dest = src1 op
               src2, dest any register, M's value in either source (+ and * commute). */
            int dbl, vex, fop = scalar_fp_op(in->id, &dbl, &vex);
            int add = fop == CAPE_ATOMIC_FADD, commutes = add || fop == CAPE_ATOMIC_FMUL;
            if (op || y->op_count != (vex ? 3 : 2) || d < 32 || w != (dbl ? 8 : 4)) goto out;
            const cs_x86_op *o2 = vex ? &y->operands[2] : o1;
            int s1 = vex ? sr : d, s2b = 0, s2 = o2->type == X86_OP_REG ? slot_of(o2->reg, &s2b) : -1;
            int first_old = s1 >= 32 && kind[s1] == V_FOLD, second_old = s2 >= 32 && kind[s2] == V_FOLD;
            if (!vex && !first_old) goto out;
            if (add && first_old && second_old) {
                /* x + x, gcc's x *= 2: a doubling, the same value as x * 2 in every case */
                s->imm = dbl ? (int64_t)double_bits(2.0) : (int64_t)float_bits(2.0f);
                op = CAPE_ATOMIC_FMUL;
            } else {
                int extreme = fop == CAPE_ATOMIC_FMAX || fop == CAPE_ATOMIC_FMIN;
                op = fop;
                if (first_old) TAKE_OPERAND(o2, 0, 1);
                else if (commutes && second_old) TAKE_OPERAND(o1, 0, 1);   /* e op x */
                else if (extreme && second_old) {
                    /* vmaxsd x, e, d: e > x ? e : x, what gcc emits with AVX */
                    TAKE_OPERAND(o1, 0, 1);
                    op = fop == CAPE_ATOMIC_FMAX ? CAPE_ATOMIC_FMAX_E : CAPE_ATOMIC_FMIN_E;
                } else goto out;
            }
            kind[d] = V_FRES;
            break;
        }
        default:
            goto out;
        }
        #undef TAKE_E
        #undef TAKE_OPERAND
    }
    if (a != insn->address || !op || kind[new_slot] != V_RES || kind[REG_RAX] != V_OLD) goto out;
    /* e was read for a min or max only. */
    if (e_taken && op != CAPE_ATOMIC_SMAX && op != CAPE_ATOMIC_SMIN && op != CAPE_ATOMIC_UMAX && op != CAPE_ATOMIC_UMIN) goto out;
    /* Everything the loop computed holds M's value or the result: dead once it succeeded. */
    uint64_t pending = SLOT(REG_RAX);
    for (int k = 0; k < 48; k++) if (kind[k] != V_INV) pending |= SLOT(k);
    if (!regs_dead(cs, success, pending, seg_start, seg_end, in_outlined_body((uintptr_t)insn->address))) goto out;
    s->op = (uint8_t)op;
    s->cas = 1;
    s->head = (uintptr_t)head;
out:
    cs_free(in, 1);
}

/* Decodes the memory operand of site `s` (has_mem), and fills its local-update fields when the
   instruction is one (see the top). */
static void classify(csh cs, const cs_insn *insn, const uint8_t *after, size_t left, uint64_t seg_start, uint64_t seg_end, site_t *s) {
    const cs_x86 *x = &insn->detail->x86;
    s->op = CAPE_ATOMIC_SERIAL;
    s->has_mem = 0;
    s->cas = 0;
    const cs_x86_op *m = NULL;
    for (int k = 0; k < x->op_count; k++) if (x->operands[k].type == X86_OP_MEM) m = &x->operands[k];
    if (!m || m->mem.segment != X86_REG_INVALID) return;
    if (m->size != 1 && m->size != 2 && m->size != 4 && m->size != 8) return;
    int high;
    if (m->mem.base == X86_REG_RIP) s->base = -2;
    else if (m->mem.base == X86_REG_INVALID) s->base = -1;
    else if ((s->base = (int8_t)greg_of(m->mem.base, &high)) < 0 || high) return;
    if (m->mem.index == X86_REG_INVALID) s->index = -1;
    else if ((s->index = (int8_t)greg_of(m->mem.index, &high)) < 0 || high) return;
    s->scale = (uint8_t)m->mem.scale;
    s->disp = m->mem.disp;
    s->width = m->size;
    s->has_mem = 1;

    int op;
    switch (insn->id) {
    case X86_INS_ADD: op = CAPE_ATOMIC_ADD; break;
    case X86_INS_SUB: op = CAPE_ATOMIC_SUB; break;
    case X86_INS_INC: op = CAPE_ATOMIC_INC; break;
    case X86_INS_DEC: op = CAPE_ATOMIC_DEC; break;
    case X86_INS_AND: op = CAPE_ATOMIC_AND; break;
    case X86_INS_OR: op = CAPE_ATOMIC_OR; break;
    case X86_INS_XOR: op = CAPE_ATOMIC_XOR; break;
    case X86_INS_CMPXCHG: if (x->op_count == 2 && m == &x->operands[0]) classify_cas(cs, insn, seg_start, seg_end, s); return;
    default: return;
    }
    int unary = op == CAPE_ATOMIC_INC || op == CAPE_ATOMIC_DEC;
    if (x->op_count != (unary ? 1 : 2) || m != &x->operands[0]) return;
    s->source = -1;
    s->source_high = 0;
    s->imm = unary ? 1 : 0;
    if (!unary) {
        const cs_x86_op *src = &x->operands[1];
        if (src->type == X86_OP_IMM) s->imm = src->imm;
        else if (src->type == X86_OP_REG) {
            if ((s->source = (int8_t)greg_of(src->reg, &high)) < 0) return;
            s->source_high = (uint8_t)high;
        } else return;
    }
    if (!flags_dead(cs, after, left, insn->address + insn->size, unary, seg_start, seg_end)) return;
    /* `lock or $0, (%rsp)` (and add): gcc's full memory barrier for flush and seq_cst fences. It
       changes nothing: a fence, performed as one. */
    if (!unary && s->source < 0 && s->imm == 0 && (op == CAPE_ATOMIC_OR || op == CAPE_ATOMIC_ADD || op == CAPE_ATOMIC_SUB ||
                                                   op == CAPE_ATOMIC_XOR)) {
        s->op = CAPE_ATOMIC_FENCE;
        return;
    }
    s->op = (uint8_t)op;
}

/* What a rank updated locally since its last sync point, by address. The handler runs on any
   local thread: one spin lock, held for a few instructions. */
static cape_atomic_record_t *records;
static uint32_t record_cap, record_count;
static uint32_t *record_slots; /* open addressing: record index + 1, 0 empty */
static volatile int record_lock;
/* The floating-point updates, in the order the rank performed them (under the record lock). */
static cape_atomic_log_t *log_entries;
static uint32_t log_cap, log_count;
static int local_updates = 1;

void cape_atomics_local(int on) { local_updates = on; }

int cape_atomics_records_init(void *memory, size_t bytes) {
    /* Two slots per record keep the probes short. */
    record_cap = (uint32_t)(bytes / (sizeof(cape_atomic_record_t) + 2 * sizeof(uint32_t)));
    records = memory;
    record_slots = (uint32_t *)((char *)memory + (size_t)record_cap * sizeof(cape_atomic_record_t));
    memset(record_slots, 0, (size_t)record_cap * 2 * sizeof(uint32_t));
    record_count = 0;
    return record_cap > 0 ? 0 : -1;
}

uint32_t cape_atomics_copy_records(cape_atomic_record_t *out, uint32_t cap) {
    while (__atomic_exchange_n(&record_lock, 1, __ATOMIC_ACQUIRE)) __builtin_ia32_pause();
    uint32_t n = record_count < cap ? record_count : cap;
    memcpy(out, records, (size_t)n * sizeof *out);
    __atomic_store_n(&record_lock, 0, __ATOMIC_RELEASE);
    return n;
}

const cape_atomic_record_t *cape_atomics_records(uint32_t *count) {
    *count = record_count;
    return records;
}

void cape_atomics_records_reset(void) {
    for (uint32_t i = 0; i < record_count; i++) {
        uint64_t h = (records[i].address * 0x9E3779B97F4A7C15ull) >> 32;
        uint32_t k = (uint32_t)(h % (2 * record_cap));
        while (record_slots[k] != 0) {
            if (record_slots[k] == i + 1) { record_slots[k] = 0; break; }
            k = (k + 1) % (2 * record_cap);
        }
    }
    /* Removing from an open-addressed table leaves holes in probe chains: clear it whole when many. */
    if (record_count > record_cap / 8) memset(record_slots, 0, (size_t)record_cap * 2 * sizeof(uint32_t));
    record_count = 0;
    log_count = 0;
}

int cape_atomics_log_init(void *memory, size_t bytes) {
    log_entries = memory;
    log_cap = (uint32_t)(bytes / sizeof(cape_atomic_log_t));
    log_count = 0;
    return log_cap > 0 ? 0 : -1;
}

const cape_atomic_log_t *cape_atomics_log(uint32_t *count) {
    *count = log_count;
    return log_entries;
}

static uint64_t width_mask(int w) { return w == 8 ? ~0ull : (1ull << (8 * w)) - 1; }

static int64_t signed_at(uint64_t v, int w) { int sh = 64 - 8 * w; return (int64_t)(v << sh) >> sh; }

/* min and max at width w (values masked to it) */
static uint64_t extreme(int cls, uint64_t a, uint64_t b, int w) {
    switch (cls) {
    case CAPE_ATOMIC_SMAX: return signed_at(a, w) >= signed_at(b, w) ? a : b;
    case CAPE_ATOMIC_SMIN: return signed_at(a, w) <= signed_at(b, w) ? a : b;
    case CAPE_ATOMIC_UMAX: return a >= b ? a : b;
    default: return a <= b ? a : b;
    }
}

/* The folded operand that changes nothing: for and all ones, for * one, for max the least value... */
static uint64_t identity(int cls, int w) {
    uint64_t m = width_mask(w);
    switch (cls) {
    case CAPE_ATOMIC_AND: case CAPE_ATOMIC_UMIN: return m;
    case CAPE_ATOMIC_MUL: return 1;
    case CAPE_ATOMIC_SMAX: return (m >> 1) + 1;  /* the sign bit alone */
    case CAPE_ATOMIC_SMIN: return m >> 1;
    default: return 0;
    }
}

static uint64_t load_width(uintptr_t a, int w) {
    switch (w) {
    case 1: return *(volatile uint8_t *)a;
    case 2: return *(volatile uint16_t *)a;
    case 4: return *(volatile uint32_t *)a;
    default: return *(volatile uint64_t *)a;
    }
}

/* Performs the update on memory, atomically among the rank's threads; returns the value before. */
static uint64_t perform(uintptr_t a, int w, int cls, uint64_t v) {
#define CASES(T) \
    switch (cls) { \
    case CAPE_ATOMIC_ADD: return __atomic_fetch_add((T *)a, (T)v, __ATOMIC_SEQ_CST); \
    case CAPE_ATOMIC_AND: return __atomic_fetch_and((T *)a, (T)v, __ATOMIC_SEQ_CST); \
    case CAPE_ATOMIC_OR: return __atomic_fetch_or((T *)a, (T)v, __ATOMIC_SEQ_CST); \
    default: return __atomic_fetch_xor((T *)a, (T)v, __ATOMIC_SEQ_CST); \
    }
    switch (w) {
    case 1: CASES(uint8_t)
    case 2: CASES(uint16_t)
    case 4: CASES(uint32_t)
    default: CASES(uint64_t)
    }
#undef CASES
}

static uintptr_t effective_address(const site_t *s, const greg_t *g) {
    uintptr_t a = (uintptr_t)s->disp;
    if (s->base == -2) a += s->addr + s->len;
    else if (s->base >= 0) a += (uintptr_t)g[s->base];
    if (s->index >= 0) a += (uintptr_t)g[s->index] * s->scale;
    return a;
}

/* The record of address a, created when missing (with the record lock held). NULL when full. */
static cape_atomic_record_t *record_of(uintptr_t a, int width, int op) {
    uint64_t h = ((uint64_t)a * 0x9E3779B97F4A7C15ull) >> 32;
    uint32_t k = (uint32_t)(h % (2 * record_cap));
    while (record_slots[k] != 0) {
        cape_atomic_record_t *c = &records[record_slots[k] - 1];
        if (c->address == a) return c;
        k = (k + 1) % (2 * record_cap);
    }
    if (record_count == record_cap) return NULL;
    cape_atomic_record_t *r = &records[record_count++];
    record_slots[k] = record_count;
    r->address = a;
    r->width = (uint8_t)width;
    r->op = (uint8_t)op;
    r->mixed = 0;
    r->operand = identity(op, width);
    r->before = load_width(a, width);
    return r;
}

/* A team-wide atomic wrote address a: noted, because local updates of the same address in the same
   epoch cannot be merged with it (the merge stops the job instead of merging wrong). */
static void note_serial(const site_t *s, const greg_t *g) {
    if (!s->has_mem || !local_updates) return;
    uintptr_t a = effective_address(s, g);
    while (__atomic_exchange_n(&record_lock, 1, __ATOMIC_ACQUIRE)) __builtin_ia32_pause();
    cape_atomic_record_t *r = record_of(a, s->width, CAPE_ATOMIC_SERIAL);
    if (r) r->mixed |= CAPE_ATOMIC_TOUCHED_SERIALLY;
    __atomic_store_n(&record_lock, 0, __ATOMIC_RELEASE);
}

/* Records and performs a local update. Returns 0, or -1 when the table is full. */
static int update_locally(const site_t *s, const site_regs_t *regs) {
    greg_t *g = regs->g;
    uintptr_t a = effective_address(s, g);
    uint64_t v = s->source >= 0 ? (uint64_t)g[s->source] >> (s->source_high ? 8 : 0) : (uint64_t)s->imm;
    uint64_t m = width_mask(s->width);
    v &= m;
    /* Subtraction is addition of the negation, inc and dec of +-1: one class, one fold. */
    int cls = s->op;
    if (cls == CAPE_ATOMIC_SUB || cls == CAPE_ATOMIC_DEC) { v = (0 - v) & m; cls = CAPE_ATOMIC_ADD; }
    if (cls == CAPE_ATOMIC_INC) cls = CAPE_ATOMIC_ADD;
    while (__atomic_exchange_n(&record_lock, 1, __ATOMIC_ACQUIRE)) __builtin_ia32_pause();
    cape_atomic_record_t *r = record_of(a, s->width, cls);
    if (!r) { __atomic_store_n(&record_lock, 0, __ATOMIC_RELEASE); return -1; }
    if (r->op == CAPE_ATOMIC_SERIAL) {
        r->op = (uint8_t)cls;
        r->operand = cls == CAPE_ATOMIC_AND ? m : 0;
    }
    if (r->op != cls || r->width != s->width) r->mixed |= CAPE_ATOMIC_SEVERAL_CLASSES;
    perform(a, s->width, cls, v);
    switch (cls) {
    case CAPE_ATOMIC_ADD: r->operand = (r->operand + v) & m; break;
    case CAPE_ATOMIC_AND: r->operand &= v; break;
    case CAPE_ATOMIC_OR: r->operand |= v; break;
    default: r->operand ^= v; break;
    }
    __atomic_store_n(&record_lock, 0, __ATOMIC_RELEASE);
    return 0;
}

/* a op e in float or double arithmetic, with the program's rounding mode and denormal flags (a
   signal handler starts with the default ones). */
static uint64_t fp_apply(int op, int w, uint64_t a, uint64_t e, uint32_t mxcsr) {
    uint32_t saved;
    __asm__ volatile("stmxcsr %0" : "=m"(saved));
    __asm__ volatile("ldmxcsr %0" : : "m"(mxcsr) : "memory");
    /* max and min as maxss/minss compute them: the second operand when unordered or equal */
    #define FP_STEP(x, y) \
        (op == CAPE_ATOMIC_FADD ? x + y : op == CAPE_ATOMIC_FSUB ? x - y : op == CAPE_ATOMIC_FMUL ? x * y : \
         op == CAPE_ATOMIC_FMAX ? (x > y ? x : y) : op == CAPE_ATOMIC_FMIN ? (x < y ? x : y) : \
         op == CAPE_ATOMIC_FMAX_E ? (y > x ? y : x) : op == CAPE_ATOMIC_FMIN_E ? (y < x ? y : x) : x / y)
    uint64_t out = 0;
    if (w == 4) {
        volatile float x, y, r;
        uint32_t xa = (uint32_t)a, ye = (uint32_t)e, rr;
        memcpy((void *)&x, &xa, 4); memcpy((void *)&y, &ye, 4);
        r = FP_STEP(x, y);
        memcpy(&rr, (const void *)&r, 4);
        out = rr;
    } else {
        volatile double x, y, r;
        memcpy((void *)&x, &a, 8); memcpy((void *)&y, &e, 8);
        r = FP_STEP(x, y);
        memcpy(&out, (const void *)&r, 8);
    }
    #undef FP_STEP
    __asm__ volatile("ldmxcsr %0" : : "m"(saved) : "memory");
    return out;
}

static int cas_width(uintptr_t a, int w, uint64_t *expected, uint64_t desired) {
    switch (w) {
    case 1: { uint8_t e = (uint8_t)*expected; int ok = __atomic_compare_exchange_n((uint8_t *)a, &e, (uint8_t)desired, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); *expected = e; return ok; }
    case 2: { uint16_t e = (uint16_t)*expected; int ok = __atomic_compare_exchange_n((uint16_t *)a, &e, (uint16_t)desired, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); *expected = e; return ok; }
    case 4: { uint32_t e = (uint32_t)*expected; int ok = __atomic_compare_exchange_n((uint32_t *)a, &e, (uint32_t)desired, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); *expected = e; return ok; }
    default: return __atomic_compare_exchange_n((uint64_t *)a, expected, desired, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    }
}

/* Records and performs the update of a compare-exchange loop (site->cas), then leaves the
   registers as the successful exchange would. Returns 0, or -1 when the table or the log is full. */
static int update_cas(const site_t *s, const site_regs_t *regs) {
    greg_t *g = regs->g;
    uintptr_t a = effective_address(s, g);
    int w = s->width;
    uint64_t m = width_mask(w);
    uint64_t v;
    if (s->src_mem) {
        uintptr_t e = (uintptr_t)s->src_disp;
        if (s->src_base >= 0) e += (uintptr_t)g[s->src_base];
        if (s->src_index >= 0) e += (uintptr_t)g[s->src_index] * s->src_scale;
        v = load_width(e, w);
    } else if (s->xmm >= 0) {
        const uint32_t *x = regs->xmm[s->xmm].element;
        v = w == 8 ? (uint64_t)x[0] | (uint64_t)x[1] << 32 : x[0];
    } else {
        v = (uint64_t)s->imm + (s->source >= 0 ? (uint64_t)g[s->source] * (uint64_t)s->multiplier : 0);
    }
    v &= m;
    int floating = (s->op >= CAPE_ATOMIC_FADD && s->op <= CAPE_ATOMIC_FDIV) || (s->op >= CAPE_ATOMIC_FMAX && s->op <= CAPE_ATOMIC_FMIN_E);
    int cls = floating ? CAPE_ATOMIC_LOGGED : s->op;
    if (cls == CAPE_ATOMIC_SUB) { v = (0 - v) & m; cls = CAPE_ATOMIC_ADD; }
    while (__atomic_exchange_n(&record_lock, 1, __ATOMIC_ACQUIRE)) __builtin_ia32_pause();
    cape_atomic_record_t *r = record_of(a, w, cls);
    if (!r || (floating && log_count == log_cap)) { __atomic_store_n(&record_lock, 0, __ATOMIC_RELEASE); return -1; }
    if (r->op == CAPE_ATOMIC_SERIAL) {
        r->op = (uint8_t)cls;
        r->operand = identity(cls, w);
    }
    if (r->op != cls || r->width != w) r->mixed |= CAPE_ATOMIC_SEVERAL_CLASSES;
    uint32_t mxcsr = regs->mxcsr;
    uint64_t cur = load_width(a, w), next;
    do {
        switch (cls) {
        case CAPE_ATOMIC_ADD: next = (cur + v) & m; break;
        case CAPE_ATOMIC_MUL: next = (cur * v) & m; break;
        case CAPE_ATOMIC_AND: next = cur & v; break;
        case CAPE_ATOMIC_OR: next = cur | v; break;
        case CAPE_ATOMIC_XOR: next = cur ^ v; break;
        case CAPE_ATOMIC_SMAX: case CAPE_ATOMIC_SMIN: case CAPE_ATOMIC_UMAX: case CAPE_ATOMIC_UMIN: next = extreme(cls, cur, v, w); break;
        default: next = fp_apply(s->op, w, cur, v, mxcsr); break;
        }
    } while (!cas_width(a, w, &cur, next));
    switch (cls) {
    case CAPE_ATOMIC_ADD: r->operand = (r->operand + v) & m; break;
    case CAPE_ATOMIC_MUL: r->operand = (r->operand * v) & m; break;
    case CAPE_ATOMIC_AND: r->operand &= v; break;
    case CAPE_ATOMIC_OR: r->operand |= v; break;
    case CAPE_ATOMIC_XOR: r->operand ^= v; break;
    case CAPE_ATOMIC_SMAX: case CAPE_ATOMIC_SMIN: case CAPE_ATOMIC_UMAX: case CAPE_ATOMIC_UMIN: r->operand = extreme(cls, r->operand, v, w); break;
    default: {
        cape_atomic_log_t *l = &log_entries[log_count++];
        l->operand = v;
        l->record = (uint32_t)(r - records);
        l->op = s->op;
        break;
    }
    }
    __atomic_store_n(&record_lock, 0, __ATOMIC_RELEASE);
    /* A successful cmpxchg: the accumulator held M's value, the comparison was equal. */
    g[REG_RAX] = (greg_t)(((uint64_t)g[REG_RAX] & ~m) | cur);
    if (w == 4) g[REG_RAX] = (greg_t)cur;
    g[REG_EFL] = (greg_t)(((uint64_t)g[REG_EFL] & ~(uint64_t)0x8D5) | 0x44); /* CF PF AF ZF SF OF: ZF, PF */
    return 0;
}

struct text { uintptr_t start, end; };
struct texts { struct text seg[16]; int n; };

static int main_text(struct dl_phdr_info *info, size_t size, void *arg) {
    (void)size;
    struct texts *t = arg;
    if (info->dlpi_name && info->dlpi_name[0]) return 0; /* the executable has an empty name */
    for (int i = 0; i < info->dlpi_phnum && t->n < 16; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
            t->seg[t->n].start = info->dlpi_addr + ph->p_vaddr;
            t->seg[t->n].end = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
            t->n++;
        }
    }
    return 1;
}

static int add_site(uintptr_t addr, uint8_t len) {
    if (nsites == capsites) {
        capsites = capsites ? capsites * 2 : 64;
        site_t *n = realloc(sites, capsites * sizeof *sites);
        if (!n) return -1;
        sites = n;
    }
    memset(&sites[nsites], 0, sizeof sites[nsites]);
    sites[nsites].addr = addr;
    sites[nsites].len = len;
    nsites++;
    return 0;
}

/* The site whose trampoline's int3 is at `a` (jumps.c): the areas are in the order of the sites. */
static const site_t *find_trap(uintptr_t a) {
    if (!xol_area || a < (uintptr_t)xol_area + tramp_offset || a >= (uintptr_t)xol_area + xol_bytes) return NULL;
    size_t k = (a - (uintptr_t)xol_area - tramp_offset) / SITE_TRAMPOLINE_BYTES;
    if (k >= ntramp) return NULL;
    const site_t *s = &sites[tramp_site[k]];
    return s->patched && s->trap == a ? s : NULL;
}

/* Performs site s's local update with the thread's registers, from the trap handler or a
   trampoline. */
static void update_site(const site_t *s, const site_regs_t *regs) {
    if ((s->cas ? update_cas(s, regs) : update_locally(s, regs)) != 0)
        cape_die_in_signal("more variables, or more floating-point updates, than the record table and log hold were updated "
                           "atomically between two synchronization points (add a barrier)");
}

int cape_atomics_site_entry(greg_t *g, const struct _libc_xmmreg *xmm, const site_t *s) {
    g[REG_RSP] = (greg_t)((uintptr_t)g + SITE_SAVED_RSP_OFFSET);
    g[REG_RIP] = (greg_t)s->addr;
    if (!cape_swift_atomic_local()) return SITE_NATIVE; /* outside a distributed region: as on one machine */
    if (!local_updates) return SITE_TRAP;
    site_regs_t regs = { g, xmm, 0 };
    __asm__ volatile("stmxcsr %0" : "=m"(regs.mxcsr));
    update_site(s, &regs);
    return SITE_DONE;
}

static void on_trap(int sig, siginfo_t *si, void *ucv) {
    ucontext_t *uc = ucv;
    uintptr_t ip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    const site_t *s = stepping;
    if (s && ip == s->xol + s->len) {
        /* The copy ran: its continuation goes on after the original instruction. */
        stepping = NULL;
        uc->uc_mcontext.gregs[REG_EFL] &= ~(greg_t)0x100;
        if (stepping_synced) cape_swift_atomic_end();
        return;
    }
    s = find_site(ip - 1);
    if (!s) s = find_trap(ip - 1);
    if (s && !stepping && s->op == CAPE_ATOMIC_FENCE) {
        /* A flush: the thread publishes its writes and takes in the others' (Flush.swift). */
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        cape_thread_t *t = cape_self();
        t->rt_depth++;
        cape_swift_flush();
        t->rt_depth--;
        uc->uc_mcontext.gregs[REG_RIP] = (greg_t)s->resume;
        return;
    }
    if (s && !stepping && s->op != CAPE_ATOMIC_SERIAL && local_updates && cape_swift_atomic_local()) {
        site_regs_t regs = { uc->uc_mcontext.gregs, uc->uc_mcontext.fpregs ? uc->uc_mcontext.fpregs->_xmm : NULL,
                             uc->uc_mcontext.fpregs ? uc->uc_mcontext.fpregs->mxcsr : 0x1F80 };
        update_site(s, &regs);
        uc->uc_mcontext.gregs[REG_RIP] = (greg_t)s->resume;
        return;
    }
    if (s && !stepping) {
        cape_thread_t *t = cape_self();
        t->rt_depth++;
        stepping_synced = cape_swift_atomic_begin();
        t->rt_depth--;
        if (stepping_synced) note_serial(s, uc->uc_mcontext.gregs);
        stepping = s;
        uc->uc_mcontext.gregs[REG_RIP] = (greg_t)s->xol;
        uc->uc_mcontext.gregs[REG_EFL] |= (greg_t)0x100;
        return;
    }
    /* Not ours: the program's own breakpoint or trap. */
    if (prev_trap.sa_flags & SA_SIGINFO) {
        if (prev_trap.sa_sigaction) { prev_trap.sa_sigaction(sig, si, ucv); return; }
    } else if (prev_trap.sa_handler != SIG_DFL && prev_trap.sa_handler != SIG_IGN) {
        prev_trap.sa_handler(sig);
        return;
    }
    cape_die_in_signal("the program hit a breakpoint or trap instruction (SIGTRAP) that is not libcape's");
}

static int rewrite_sites = 1;
void cape_atomics_rewrite(int on) { rewrite_sites = on; }

static int compare_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The executable's indirect jumps other than through the GOT (a switch's table, a computed goto, a
   tail call through a pointer), in address order. */
static uint64_t *indirect_jumps;
static size_t nindirect, cap_indirect;

/* Whether function [lo, hi) has an indirect jump. */
static int has_indirect_jump(uintptr_t lo, uintptr_t hi) {
    for (size_t k = 0; k < nindirect; k++) if (indirect_jumps[k] >= lo && indirect_jumps[k] < hi) return 1;
    return 0;
}

/* Sweeps the executable's code and patches every atomic instruction. Returns the number of sites,
   or -1 (cape_atomics_error says why). */
long cape_atomics_install(void) {
    struct texts t = { .n = 0 };
    dl_iterate_phdr(main_text, &t);
    if (t.n == 0) { snprintf(sweep_err, sizeof sweep_err, "the program's code was not found"); return -1; }

    csh cs;
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK) { snprintf(sweep_err, sizeof sweep_err, "cannot start the disassembler"); return -1; }
    cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
    names = cs;
    dl_iterate_phdr(find_plt, NULL);
    cs_insn *insn = cs_malloc(cs);
    /* Where direct jumps land: a compare-exchange loop that some jump enters between its head and
       its cmpxchg does not compute its new value from the head (it stays team-wide). */
    uint64_t *targets = NULL;
    size_t ntargets = 0, cap_targets = 0;
    for (int i = 0; i < t.n; i++) {
        const uint8_t *code = (const uint8_t *)t.seg[i].start;
        size_t left = t.seg[i].end - t.seg[i].start;
        uint64_t addr = t.seg[i].start;
        /* After bytes the disassembler cannot decode, stepping one byte at a time finds
           instructions inside other instructions for a while: an atomic found there may be
           nothing of the kind, and patching it would break the code. */
        uint64_t undecoded = UINT64_MAX;
        while (left > 0) {
            if (!cs_disasm_iter(cs, &code, &left, &addr, insn)) {
                /* Not an instruction (padding or data, or one Capstone does not know): step one byte. */
                undecoded = addr;
                code++; left--; addr++;
                continue;
            }
            if (undecoded != UINT64_MAX && insn->address > undecoded + 64) undecoded = UINT64_MAX;   /* back in step */
            const cs_x86 *x = &insn->detail->x86;
            if (cape_jump_is_branch(cs, insn) && x->op_count == 1 && x->operands[0].type == X86_OP_IMM) {
                if (ntargets == cap_targets) {
                    cap_targets = cap_targets ? cap_targets * 2 : 1024;
                    uint64_t *n = realloc(targets, cap_targets * sizeof *targets);
                    if (!n) { cap_targets = ntargets; continue; }
                    targets = n;
                }
                targets[ntargets++] = (uint64_t)x->operands[0].imm;
            } else if (insn->id == X86_INS_JMP && x->op_count == 1 &&
                       (x->operands[0].type == X86_OP_REG || (x->operands[0].type == X86_OP_MEM && x->operands[0].mem.base != X86_REG_RIP))) {
                if (nindirect == cap_indirect) {
                    cap_indirect = cap_indirect ? cap_indirect * 2 : 64;
                    uint64_t *n = realloc(indirect_jumps, cap_indirect * sizeof *indirect_jumps);
                    if (!n) { snprintf(sweep_err, sizeof sweep_err, "out of memory"); cs_free(insn, 1); cs_close(&cs); return -1; }
                    indirect_jumps = n;
                }
                indirect_jumps[nindirect++] = insn->address;
            }
            int candidate = insn->id == X86_INS_MFENCE || x->prefix[0] == X86_PREFIX_LOCK || insn->id == X86_INS_XCHG;
            if (candidate && undecoded != UINT64_MAX) {
                snprintf(sweep_err, sizeof sweep_err, "the disassembler cannot decode the program's code at %#lx, just before "
                         "what looks like an atomic instruction at %#lx (Capstone 4 lacks some AVX-512 instructions: build "
                         "without -march=native or -mavx512*)", (unsigned long)undecoded, (unsigned long)insn->address);
                cs_free(insn, 1);
                cs_close(&cs);
                return -1;
            }
            if (insn->id == X86_INS_MFENCE) {
                /* The other fence gcc emits (__sync_synchronize on some targets, seq_cst atomics). */
                if (add_site((uintptr_t)insn->address, (uint8_t)insn->size) != 0) break;
                sites[nsites - 1].op = CAPE_ATOMIC_FENCE;
                snprintf(sites[nsites - 1].mnemonic, sizeof sites[nsites - 1].mnemonic, "%s", insn->mnemonic);
                continue;
            }
            int locked = x->prefix[0] == X86_PREFIX_LOCK;
            if (!locked && insn->id == X86_INS_XCHG) {
                for (int k = 0; k < x->op_count; k++) if (x->operands[k].type == X86_OP_MEM) locked = 1;
            }
            if (!locked) continue;
            if (add_site((uintptr_t)insn->address, (uint8_t)insn->size) != 0) break;
            classify(cs, insn, code, left, t.seg[i].start, t.seg[i].end, &sites[nsites - 1]);
            snprintf(sites[nsites - 1].mnemonic, sizeof sites[nsites - 1].mnemonic, "%s", insn->mnemonic);
        }
    }
    cs_free(insn, 1);
    if (nsites == 0) { free(targets); cs_close(&cs); return 0; }
    qsort(targets, ntargets, sizeof *targets, compare_u64);
    for (size_t i = 0; i < nsites; i++) {
        site_t *s = &sites[i];
        if (s->cas && cape_jump_lands_inside(targets, ntargets, s->head, s->addr + 1)) { s->cas = 0; s->op = CAPE_ATOMIC_SERIAL; }
    }
    for (size_t i = 0; i < nsites; i++) {
        const struct text *seg = NULL;
        for (int k = 0; k < t.n; k++) if (sites[i].addr >= t.seg[k].start && sites[i].addr < t.seg[k].end) seg = &t.seg[k];
        if (rewrite_sites) cape_jump_plan(cs, &sites[i], targets, ntargets, seg->end, has_indirect_jump);
        else { sites[i].patched = 0; sites[i].span = sites[i].len; }
    }
    free(targets);

    /* The copies and trampolines must lie within 2 GiB of the code for rel32 jumps and rip-relative
       operands: just below it. */
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t npatched = 0;
    for (size_t i = 0; i < nsites; i++) npatched += sites[i].patched;
    tramp_offset = nsites * SITE_COPY_BYTES;
    xol_bytes = (tramp_offset + npatched * SITE_TRAMPOLINE_BYTES + page - 1) & ~(page - 1);
    tramp_site = npatched ? malloc(npatched * sizeof *tramp_site) : NULL;
    if (npatched && !tramp_site) { snprintf(sweep_err, sizeof sweep_err, "out of memory"); cs_close(&cs); return -1; }
    uintptr_t lowest = t.seg[0].start;
    for (int i = 1; i < t.n; i++) if (t.seg[i].start < lowest) lowest = t.seg[i].start;
    uintptr_t want = ((lowest & ~(uintptr_t)(page - 1)) - xol_bytes - (1u << 20)) & ~(uintptr_t)(page - 1);
    xol_area = mmap((void *)want, xol_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (xol_area == MAP_FAILED) {
        xol_area = NULL;
        snprintf(sweep_err, sizeof sweep_err, "cannot map the out-of-line area at %#lx: %s", (unsigned long)want, strerror(errno));
        cs_close(&cs);
        return -1;
    }
    cape_tracker_exclude((uintptr_t)xol_area, (uintptr_t)xol_area + xol_bytes);
    memset(xol_area, 0xCC, xol_bytes);
    for (size_t i = 0, k = 0; i < nsites; i++) {
        site_t *s = &sites[i];
        uint8_t *tramp = NULL;
        if (s->patched) { tramp_site[k] = i; tramp = xol_area + tramp_offset + k++ * SITE_TRAMPOLINE_BYTES; }
        if (cape_jump_emit(cs, s, xol_area + i * SITE_COPY_BYTES, tramp, sweep_err, sizeof sweep_err) == 0) continue;
        /* What the span covers could not be moved: the site keeps its trap. */
        if (!s->patched) { cs_close(&cs); return -1; }
        s->patched = 0;
        s->span = s->len;
        if (cape_jump_emit(cs, s, xol_area + i * SITE_COPY_BYTES, NULL, sweep_err, sizeof sweep_err) != 0) { cs_close(&cs); return -1; }
    }
    ntramp = npatched;
    cs_close(&cs);
    if (mprotect(xol_area, xol_bytes, PROT_READ | PROT_EXEC) != 0) {
        snprintf(sweep_err, sizeof sweep_err, "cannot make the out-of-line area executable: %s", strerror(errno));
        return -1;
    }

    if (!real_sigaction_fn) real_sigaction_fn = dlsym(RTLD_NEXT, "sigaction");
    struct sigaction act;
    memset(&act, 0, sizeof act);
    act.sa_sigaction = on_trap;
    act.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&act.sa_mask);
    if (real_sigaction_fn(SIGTRAP, &act, &prev_trap) != 0) { snprintf(sweep_err, sizeof sweep_err, "cannot install the SIGTRAP handler"); return -1; }

    /* Patch: a jump to the trampoline, or int3 over the first byte (jumps.c). */
    for (size_t i = 0; i < nsites; i++)
        if (cape_jump_patch(&sites[i], sweep_err, sizeof sweep_err) != 0) return -1;
    __builtin___clear_cache((char *)xol_area, (char *)xol_area + xol_bytes);
    return (long)nsites;
}
