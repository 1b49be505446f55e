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
    if (s && !stepping) {
        cape_thread_t *t = cape_self();
        t->rt_depth++;
        stepping_synced = cape_swift_atomic_begin();
        t->rt_depth--;
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
    cape_die("the program hit a breakpoint or trap instruction (SIGTRAP) that is not libcape's");
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
        while (left > 0) {
            if (!cs_disasm_iter(cs, &code, &left, &addr, insn)) {
                /* Not an instruction (padding or data): step one byte. */
                code++; left--; addr++;
                continue;
            }
            const cs_x86 *x = &insn->detail->x86;
            int locked = x->prefix[0] == X86_PREFIX_LOCK;
            if (!locked && insn->id == X86_INS_XCHG) {
                for (int k = 0; k < x->op_count; k++) if (x->operands[k].type == X86_OP_MEM) locked = 1;
            }
            if (!locked) continue;
            if (add_site((uintptr_t)insn->address, (uint8_t)insn->size) != 0) break;
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
