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
 * on that value (Region.mergeAtomics), an exact serial order for integers. Everything else (xadd,
 * cmpxchg loops, xchg, updates whose flags are tested, several operator classes on one address)
 * keeps the serial path above.
 *
 * C because it is a signal handler and the instruction patching of the program's code. */
#define _GNU_SOURCE
#include "cape_shim.h"
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

typedef struct site {
    uintptr_t addr;   /* the instruction in the program's code */
    uintptr_t xol;    /* its out-of-line copy */
    uint8_t len;
    uint8_t first;    /* the original first byte, replaced by int3 */
    /* A local update (op != 0): [base + index * scale + disp] op= source. */
    uint8_t op;       /* enum cape_atomic_op */
    uint8_t width;    /* bytes */
    int8_t base, index, source; /* greg numbers, -1 none; base -2: rip-relative */
    uint8_t scale;
    uint8_t source_high; /* source is ah, bh, ch or dh */
    uint8_t has_mem;  /* the memory operand is decoded (base ... disp, width) */
    int64_t disp;
    int64_t imm;      /* the source when `source` is -1 */
    char mnemonic[16]; /* for CAPE_TRACE=2 and the classifier's test */
} site_t;

static site_t *sites;
static size_t nsites, capsites;
static uint8_t *xol_area;
static size_t xol_bytes;
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

size_t cape_atomics_local_sites(void) {
    size_t n = 0;
    for (size_t i = 0; i < nsites; i++) n += sites[i].op != CAPE_ATOMIC_SERIAL && sites[i].op != CAPE_ATOMIC_FENCE;
    return n;
}

void cape_atomics_report(void (*line)(uintptr_t addr, int op, int width, const char *mnemonic)) {
    for (size_t i = 0; i < nsites; i++) line(sites[i].addr, sites[i].op, sites[i].width, sites[i].mnemonic);
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

/* Decodes the memory operand of site `s` (has_mem), and fills its local-update fields when the
   instruction is one (see the top). */
static void classify(csh cs, const cs_insn *insn, const uint8_t *after, size_t left, uint64_t seg_start, uint64_t seg_end, site_t *s) {
    const cs_x86 *x = &insn->detail->x86;
    s->op = CAPE_ATOMIC_SERIAL;
    s->has_mem = 0;
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
}

static uint64_t width_mask(int w) { return w == 8 ? ~0ull : (1ull << (8 * w)) - 1; }

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
    r->operand = op == CAPE_ATOMIC_AND ? width_mask(width) : 0;
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
static int update_locally(const site_t *s, ucontext_t *uc) {
    greg_t *g = uc->uc_mcontext.gregs;
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
    sites[nsites].addr = addr;
    sites[nsites].len = len;
    nsites++;
    return 0;
}

static void on_trap(int sig, siginfo_t *si, void *ucv) {
    ucontext_t *uc = ucv;
    uintptr_t ip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    const site_t *s = stepping;
    if (s && ip == s->xol + s->len) {
        /* The copy ran: resume after the original instruction. */
        stepping = NULL;
        uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(s->addr + s->len);
        uc->uc_mcontext.gregs[REG_EFL] &= ~(greg_t)0x100;
        if (stepping_synced) cape_swift_atomic_end();
        return;
    }
    s = find_site(ip - 1);
    if (s && !stepping && s->op == CAPE_ATOMIC_FENCE) {
        /* A flush: the thread publishes its writes and takes in the others' (Flush.swift). */
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        cape_thread_t *t = cape_self();
        t->rt_depth++;
        cape_swift_flush();
        t->rt_depth--;
        uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(s->addr + s->len);
        return;
    }
    if (s && !stepping && s->op != CAPE_ATOMIC_SERIAL && local_updates && cape_swift_atomic_local()) {
        if (update_locally(s, uc) != 0)
            cape_die_in_signal("more than the record table holds of variables were updated atomically between two synchronization points (add a barrier)");
        uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(s->addr + s->len);
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

/* Sweeps the executable's code and patches every atomic instruction. Returns the number of sites,
   or -1 (cape_atomics_error says why). */
long cape_atomics_install(void) {
    struct texts t = { .n = 0 };
    dl_iterate_phdr(main_text, &t);
    if (t.n == 0) { snprintf(sweep_err, sizeof sweep_err, "the program's code was not found"); return -1; }

    csh cs;
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK) { snprintf(sweep_err, sizeof sweep_err, "cannot start the disassembler"); return -1; }
    cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
    cs_insn *insn = cs_malloc(cs);
    /* displacement offsets, per site, for the copies */
    size_t cap_disp = 0;
    uint8_t *disp_off = NULL, *disp_size = NULL;
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
                goto relocate;
            }
            int locked = x->prefix[0] == X86_PREFIX_LOCK;
            if (!locked && insn->id == X86_INS_XCHG) {
                for (int k = 0; k < x->op_count; k++) if (x->operands[k].type == X86_OP_MEM) locked = 1;
            }
            if (!locked) continue;
            if (add_site((uintptr_t)insn->address, (uint8_t)insn->size) != 0) break;
            classify(cs, insn, code, left, t.seg[i].start, t.seg[i].end, &sites[nsites - 1]);
            snprintf(sites[nsites - 1].mnemonic, sizeof sites[nsites - 1].mnemonic, "%s", insn->mnemonic);
        relocate:
            if (nsites > cap_disp) {
                cap_disp = capsites;
                disp_off = realloc(disp_off, cap_disp);
                disp_size = realloc(disp_size, cap_disp);
            }
            int rip = 0;
            for (int k = 0; k < x->op_count; k++)
                if (x->operands[k].type == X86_OP_MEM && x->operands[k].mem.base == X86_REG_RIP) rip = 1;
            /* rip-relative addressing always carries a 32-bit displacement (Capstone 4 misreports its
               size after a 0x66 prefix): find it in the bytes, where Capstone says first. */
            disp_off[nsites - 1] = 0;
            disp_size[nsites - 1] = 0;
            if (rip) {
                int32_t want = (int32_t)x->disp;
                int found = -1;
                if (x->encoding.disp_offset + 4 <= insn->size && memcmp(insn->bytes + x->encoding.disp_offset, &want, 4) == 0)
                    found = x->encoding.disp_offset;
                for (int o = 1; found < 0 && o + 4 <= insn->size; o++)
                    if (memcmp(insn->bytes + o, &want, 4) == 0) found = o;
                if (found < 0) {
                    snprintf(sweep_err, sizeof sweep_err, "cannot relocate the atomic instruction at %#lx", (unsigned long)insn->address);
                    cs_free(insn, 1);
                    cs_close(&cs);
                    return -1;
                }
                disp_off[nsites - 1] = (uint8_t)found;
                disp_size[nsites - 1] = 4;
            }
        }
    }
    cs_free(insn, 1);
    cs_close(&cs);
    if (nsites == 0) { free(disp_off); free(disp_size); return 0; }

    /* The copies must lie within 2 GiB of the code for rip-relative operands: just below it. */
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    xol_bytes = (nsites * 16 + page - 1) & ~(page - 1);
    uintptr_t lowest = t.seg[0].start;
    for (int i = 1; i < t.n; i++) if (t.seg[i].start < lowest) lowest = t.seg[i].start;
    uintptr_t want = ((lowest & ~(uintptr_t)(page - 1)) - xol_bytes - (1u << 20)) & ~(uintptr_t)(page - 1);
    xol_area = mmap((void *)want, xol_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (xol_area == MAP_FAILED) {
        snprintf(sweep_err, sizeof sweep_err, "cannot map the out-of-line area at %#lx: %s", (unsigned long)want, strerror(errno));
        return -1;
    }
    cape_tracker_exclude((uintptr_t)xol_area, (uintptr_t)xol_area + xol_bytes);
    for (size_t i = 0; i < nsites; i++) {
        site_t *s = &sites[i];
        s->xol = (uintptr_t)xol_area + i * 16;
        memcpy((void *)s->xol, (const void *)s->addr, s->len);
        if (disp_size[i] == 4) {
            int32_t d;
            memcpy(&d, (const void *)(s->addr + disp_off[i]), 4);
            int64_t nd = (int64_t)d + (int64_t)s->addr - (int64_t)s->xol;
            if (nd < INT32_MIN || nd > INT32_MAX) { snprintf(sweep_err, sizeof sweep_err, "an atomic instruction at %#lx is too far from its copy", (unsigned long)s->addr); return -1; }
            int32_t d32 = (int32_t)nd;
            memcpy((void *)(s->xol + disp_off[i]), &d32, 4);
        }
        s->first = *(const uint8_t *)s->addr;
    }
    free(disp_off);
    free(disp_size);
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

    /* Patch: int3 over each site's first byte. */
    for (size_t i = 0; i < nsites; i++) {
        uintptr_t p = sites[i].addr & ~(uintptr_t)(page - 1);
        uintptr_t e = (sites[i].addr + 1 + page - 1) & ~(uintptr_t)(page - 1);
        if (mprotect((void *)p, e - p, PROT_READ | PROT_WRITE | PROT_EXEC) != 0) {
            snprintf(sweep_err, sizeof sweep_err, "cannot patch the program's code at %#lx: %s", (unsigned long)sites[i].addr, strerror(errno));
            return -1;
        }
        *(volatile uint8_t *)sites[i].addr = 0xCC;
        mprotect((void *)p, e - p, PROT_READ | PROT_EXEC);
    }
    __builtin___clear_cache((char *)xol_area, (char *)xol_area + xol_bytes);
    return (long)nsites;
}
