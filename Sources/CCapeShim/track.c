/* Dirty-page tracking, portable backend: write-protect the program's memory at region start, and
 * on the first write to a page copy it (its twin) and unprotect it.
 *
 * C because the fault handler must be async-signal-safe: no allocation, no locks, no reference
 * counting. Several threads may fault on one page at once: a per-page state word decides which one
 * copies the twin; the others wait for it.
 *
 * Unprotecting single pages splits mappings; past vm.max_map_count mprotect fails with ENOMEM. Then
 * the handler twins and unprotects the surrounding 64 KiB, then 2 MiB, then the whole range, which
 * re-merges mappings instead of splitting them further. */
#define _GNU_SOURCE
#include "cape_shim.h"
#include "cape_codec.h"
#include <dlfcn.h>
#include <link.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/userfaultfd.h>

#define PAGE 4096u
#define MAX_RANGES 8192
#define MAX_EXCLUDE 64

static cape_range_t ranges[MAX_RANGES];
static uint32_t nranges;
static struct { uintptr_t start, end; } excluded[MAX_EXCLUDE];
static uint32_t nexcluded;
static uintptr_t stack_limit;   /* start of the kernel's start-up block on the main stack */
static uintptr_t main_tp;       /* the main thread's TCB: lives in ld.so's own anonymous memory */

static uint8_t *twin_base;
static uint64_t twin_cap;       /* pages */
static uint8_t *scratch_base;
static uint64_t scratch_cap;    /* bytes */
static uintptr_t *dirty_pages;  /* slot -> page address */
static uint64_t dirty_count;    /* next slot (atomic) */
static uint64_t *sorted_keys;
static uintptr_t *sorted_pages;
static const uint8_t **sorted_old;
/* uffd, hot pages (see "Hot pages" below): the pages found changed at each of the last `history`
   sync points, ascending, in a ring of lists, and the list the next arming leaves writable. */
#define MAX_HISTORY 16u
static uintptr_t *changed_pages[MAX_HISTORY];
static uint64_t changed_count[MAX_HISTORY];
static uint32_t history, history_wanted = 8;
static uint64_t sync_points;     /* sync points recorded in the ring since it was last cleared */
static const uintptr_t *hot_pages;
static uint64_t hot_count;
static int collected;   /* the sync point's scan ran: cape_tracker_after_write may protect again */
static volatile int armed;
static char err[256];

/* Sections (ordered blocks, critical sections, locks): the writes made inside one are collected
   so they can travel to the next holder. At section start the pages dirtied since the previous
   section are write-protected again, marked REPROT in their state word; the first write to such a
   page inside the section copies it (a section twin, taken from the top of the twin store), and the
   first write to a clean page takes its ordinary twin, which is its content at section start. A
   REPROT page written outside any section is just made writable again. */
#define REPROT 0x80000000u
#define MAX_SECTION_PAGES 65536
static volatile int section_active;
static uint32_t section_count;                 /* pages recorded in the current section (atomic) */
static uintptr_t section_pages[MAX_SECTION_PAGES];
static const uint8_t *section_old[MAX_SECTION_PAGES];
static uint32_t section_last;                  /* pages of the previous section, to protect again */
static uint64_t section_mark;                  /* dirty slots below this were protected again */
/* REPROT pages made writable outside a section (a sibling's write, lazy binding, applying the log):
   the next section must protect them again. */
static uint32_t pending_count;
static uintptr_t pending_pages[MAX_SECTION_PAGES];
static volatile int pending_overflow;

static void pending_add(uintptr_t page) {
    uint32_t j = __atomic_fetch_add(&pending_count, 1, __ATOMIC_ACQ_REL);
    if (j < MAX_SECTION_PAGES) __atomic_store_n(&pending_pages[j], page, __ATOMIC_RELEASE);
    else pending_overflow = 1;
}

static int backend = CAPE_TRACKER_MPROTECT;
static uintptr_t line_start, line_end;   /* the maps line being turned into ranges */
static uint64_t range_edits;             /* ranges added or extended, to tell which mappings count */
static uint64_t stat_ns;

static uint64_t now_ns(void) {
    struct timespec ts;
    cape_clock_raw(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t cape_tracker_take_ns(void) {
    uint64_t ns = stat_ns;
    stat_ns = 0;
    return ns;
}

int cape_tracker_backend(void) { return backend; }

static struct sigaction prev_segv;
static int (*real_sigaction)(int, const struct sigaction *, struct sigaction *);

static char maps_buf[8u << 20];

const char *cape_tracker_error(void) { return err; }

void cape_tracker_exclude(uintptr_t start, uintptr_t end) {
    if (nexcluded < MAX_EXCLUDE) { excluded[nexcluded].start = start; excluded[nexcluded].end = end; nexcluded++; }
}

void cape_tracker_set_stack_limit(uintptr_t startup_block) { stack_limit = startup_block; }

/* Libraries whose writable data is runtime state, not program state. */
static int runtime_library(const char *path) {
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    static const char *const prefixes[] = {
        "libcape", "libswift", "libc.so", "libc-", "ld-linux", "ld-", "libstdc++", "libgcc_s", "libgomp",
        "libdispatch", "libFoundation", "libBlocksRuntime", "libdl", "libpthread", "librt", "libdw", "libelf",
        "libz.so", "liblzma", "libbz2", "libzstd", "libicu", "libcapstone", NULL,
    };
    for (int i = 0; prefixes[i]; i++)
        if (strncmp(b, prefixes[i], strlen(prefixes[i])) == 0) return 1;
    return 0;
}

static int find_range(uintptr_t a) {
    int lo = 0, hi = (int)nranges - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (a < ranges[mid].start) hi = mid - 1;
        else if (a >= ranges[mid].end) lo = mid + 1;
        else return mid;
    }
    return -1;
}

/* The first range that ends after a (nranges if none). */
static uint32_t first_range_after(uintptr_t a) {
    uint32_t lo = 0, hi = nranges;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (ranges[mid].end <= a) lo = mid + 1; else hi = mid;
    }
    return lo;
}

static inline void cape_cpu_relax_shim(void) {
#if defined(__x86_64__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

/* Copies a page into the next twin slot and records it; returns the page's new state word. */
static uint32_t take_twin(uintptr_t page) {
    uint64_t slot = __atomic_fetch_add(&dirty_count, 1, __ATOMIC_ACQ_REL);
    if (slot >= twin_cap) cape_die_in_signal("a region wrote more memory than the twin store holds (raise CAPE_TWIN_GB)");
    memcpy(twin_base + slot * PAGE, (const void *)page, PAGE);
    dirty_pages[slot] = page;
    return (uint32_t)(2 + slot);
}

/* A fault that records its page in the running section is counted in flight from before its look
   at section_active until its entry is published, and the section's end waits for it: a fault
   preempted between the two would otherwise claim an index of the next section, writing its page
   over that section's entry of the same index and its copy over that entry's section twin (the
   next section then published the bytes of another page that differ from the wrong twin: values
   of this rank's that other ranks' sections of other locks had since replaced). */
static uint32_t section_inflight;

static int section_join(void) {
    __atomic_fetch_add(&section_inflight, 1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&section_active, __ATOMIC_SEQ_CST)) return 1;
    __atomic_fetch_sub(&section_inflight, 1, __ATOMIC_RELEASE);
    return 0;
}

static void section_joined(void) { __atomic_fetch_sub(&section_inflight, 1, __ATOMIC_RELEASE); }

static uint32_t section_claim(void) {
    uint32_t j = __atomic_fetch_add(&section_count, 1, __ATOMIC_ACQ_REL);
    if (j >= MAX_SECTION_PAGES) cape_die_in_signal("a critical, ordered or locked section wrote more than 256 MiB (keep such sections small)");
    return j;
}

static void section_record(uintptr_t page, const uint8_t *old) {
    uint32_t j = section_claim();
    section_old[j] = old;
    __atomic_store_n(&section_pages[j], page, __ATOMIC_RELEASE);
}

/* The running section's record of a page first written in it: its start content is `old`, its
   twin. Returns 0 when no section runs. */
static int section_record_twin(uintptr_t page, const uint8_t *old) {
    if (!section_join()) return 0;
    section_record(page, old);
    section_joined();
    return 1;
}

/* The running section's record of a page protected again at its start (REPROT): its content now
   is its start content, copied to a section twin at the top of the twin store. Returns 0 when no
   section runs. */
static int section_record_copy(uintptr_t page) {
    if (!section_join()) return 0;
    uint32_t j = section_claim();
    uint64_t slot = twin_cap - 1 - j;
    if (slot <= __atomic_load_n(&dirty_count, __ATOMIC_ACQUIRE))
        cape_die_in_signal("a region wrote more memory than the twin store holds (raise CAPE_TWIN_GB)");
    memcpy(twin_base + slot * PAGE, (const void *)page, PAGE);
    section_old[j] = twin_base + slot * PAGE;
    __atomic_store_n(&section_pages[j], page, __ATOMIC_RELEASE);
    section_joined();
    return 1;
}

/* Twins every still-protected page of [s, e) within r (the page `held` is already ours) and
   unprotects the span in one call. Each page is taken as a fault would take it, since once the
   span is writable nothing would tell us about it: a clean page gets its twin, a page protected
   again for a section its section record, and both their record in the running section. (Until
   the span's mprotect lands, a sibling's write to such a page faults and retries.) */
static int unprotect_span(cape_range_t *r, uintptr_t s, uintptr_t e, uintptr_t held) {
    if (s < r->start) s = r->start;
    if (e > r->end) e = r->end;
    for (uintptr_t p = s; p < e; p += PAGE) {
        uint64_t idx = (p - r->start) / PAGE;
        if (p == held) continue;
        uint32_t now = __atomic_load_n(&r->state[idx], __ATOMIC_ACQUIRE), expect = now;
        if (now == 0) {
            if (!__atomic_compare_exchange_n(&r->state[idx], &expect, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) continue;
            uint32_t state = take_twin(p);
            section_record_twin(p, twin_base + (uint64_t)(state - 2) * PAGE);
            __atomic_store_n(&r->state[idx], state, __ATOMIC_RELEASE);
        } else if (now & REPROT) {
            if (!__atomic_compare_exchange_n(&r->state[idx], &expect, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) continue;
            if (!section_record_copy(p)) pending_add(p);
            __atomic_store_n(&r->state[idx], now & ~REPROT, __ATOMIC_RELEASE);
        }
    }
    return mprotect((void *)s, e - s, r->prot);
}

/* A REPROT page: twin it for the section if one is running, and make it writable. */
static void handle_reprotected(cape_range_t *r, uint64_t idx, uintptr_t page, uint32_t s) {
    if (!__atomic_compare_exchange_n(&r->state[idx], &s, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        while (__atomic_load_n(&r->state[idx], __ATOMIC_ACQUIRE) == 1) cape_cpu_relax_shim();
        return;
    }
    if (!section_record_copy(page)) pending_add(page);
    if (mprotect((void *)page, PAGE, r->prot) != 0) cape_die_in_signal("mprotect failed while tracking a write (check the memory limits)");
    __atomic_store_n(&r->state[idx], s & ~REPROT, __ATOMIC_RELEASE);
}

/* The page this thread last found writable in its fault handler (0 after a fault that changed a
   page), since when and how many times it has found it so fault after fault, and when last. */
static __thread uintptr_t refault_page __attribute__((tls_model("initial-exec")));
static __thread uint64_t refault_since __attribute__((tls_model("initial-exec")));
static __thread uint64_t refault_last __attribute__((tls_model("initial-exec")));
static __thread uint32_t refault_count __attribute__((tls_model("initial-exec")));

static void handle_write(cape_range_t *r, uintptr_t addr) {
    uintptr_t page = addr & ~(uintptr_t)(PAGE - 1);
    uint64_t idx = (page - r->start) / PAGE;
    uint32_t expect = 0;
    uint32_t now = __atomic_load_n(&r->state[idx], __ATOMIC_ACQUIRE);
    if (now & REPROT) { refault_page = 0; handle_reprotected(r, idx, page, now); return; }
    if (__atomic_compare_exchange_n(&r->state[idx], &expect, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        refault_page = 0;
        uint32_t state = take_twin(page);
        section_record_twin(page, twin_base + (uint64_t)(state - 2) * PAGE);
        if (mprotect((void *)page, PAGE, r->prot) != 0) {
            if (errno != ENOMEM) cape_die_in_signal("mprotect failed while tracking a write (check the memory limits)");
            uintptr_t g = page & ~(uintptr_t)(65536 - 1);
            if (unprotect_span(r, g, g + 65536, page) != 0) {
                g = page & ~(uintptr_t)((2u << 20) - 1);
                if (unprotect_span(r, g, g + (2u << 20), page) != 0 &&
                    unprotect_span(r, r->start, r->end, page) != 0)
                    cape_die_in_signal("mprotect ran out of mappings while tracking writes (raise vm.max_map_count)");
            }
            __atomic_thread_fence(__ATOMIC_RELEASE);
        }
        __atomic_store_n(&r->state[idx], state, __ATOMIC_RELEASE);
        return;
    }
    /* Another thread is twinning this page: wait until it is writable. */
    while (__atomic_load_n(&r->state[idx], __ATOMIC_ACQUIRE) == 1) cape_cpu_relax_shim();
    /* A fault on a page the state holds writable is one handled late, and the write then goes
       through. Should the page stay protected all the same, the write would fault for ever: after
       3 million such faults on one page and nothing else, none more than 1 s after the last and
       10 s in all, stop loudly instead of hanging. (A thread that lost the race to twin one page at
       every sync point would need sync points less than 3.3 us apart to count as many.) */
    uint64_t t = now_ns();
    if (page != refault_page || t - refault_last > 1000000000ull) { refault_page = page; refault_since = t; refault_count = 0; }
    refault_last = t;
    if (++refault_count > 3000000u && t - refault_since > 10000000000ull)
        cape_die_in_signal("internal error: a write faults again and again on a page the mprotect tracker holds writable "
                           "(please report this; CAPE_TRACKER=uffd tracks writes without faults)");
}

static void chain(int sig, siginfo_t *si, void *uc) {
    if (prev_segv.sa_flags & SA_SIGINFO) {
        if (prev_segv.sa_sigaction) { prev_segv.sa_sigaction(sig, si, uc); return; }
    } else if (prev_segv.sa_handler != SIG_DFL && prev_segv.sa_handler != SIG_IGN) {
        prev_segv.sa_handler(sig);
        return;
    }
    /* Default action: restore it and let the faulting instruction run again. */
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    real_sigaction(SIGSEGV, &dfl, NULL);
}

static void on_segv(int sig, siginfo_t *si, void *uc) {
    int saved = errno;
    if (armed && backend == CAPE_TRACKER_MPROTECT && si->si_code == SEGV_ACCERR) {
        int i = find_range((uintptr_t)si->si_addr);
        if (i >= 0) { handle_write(&ranges[i], (uintptr_t)si->si_addr); errno = saved; return; }
    }
    errno = saved;
    chain(sig, si, uc);
}

int cape_real_sigaction(int sig, const struct sigaction *act, struct sigaction *old) {
    if (!real_sigaction) real_sigaction = dlsym(RTLD_NEXT, "sigaction");
    return real_sigaction(sig, act, old);
}

/* The program may install its own SIGSEGV handler: keep ours in front and chain to it. */
int sigaction(int sig, const struct sigaction *act, struct sigaction *old) {
    if (!real_sigaction) real_sigaction = dlsym(RTLD_NEXT, "sigaction");
    if (sig == SIGSEGV && twin_base) {
        if (old) *old = prev_segv;
        if (act) prev_segv = *act;
        return 0;
    }
    return real_sigaction(sig, act, old);
}

sighandler_t signal(int sig, sighandler_t h) {
    struct sigaction act, old;
    memset(&act, 0, sizeof act);
    act.sa_handler = h;
    act.sa_flags = SA_RESTART;
    if (sigaction(sig, &act, &old) != 0) return SIG_ERR;
    return old.sa_handler;
}

int cape_tracker_init(void *twins, size_t twin_bytes, void *scratch, size_t scratch_bytes) {
    if (!real_sigaction) real_sigaction = dlsym(RTLD_NEXT, "sigaction");
    main_tp = (uintptr_t)pthread_self();
    /* The main thread may fault with its stack pointer inside a protected page (old GOMP ABI,
       where the master runs its share on the main stack): the signal frame needs its own stack. */
    static uint8_t altstack[64 * 1024] __attribute__((aligned(16)));
    stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0 };
    sigaltstack(&ss, NULL);
    struct sigaction act;
    memset(&act, 0, sizeof act);
    act.sa_sigaction = on_segv;
    act.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&act.sa_mask);
    if (real_sigaction(SIGSEGV, &act, &prev_segv) != 0) return -1;
    twin_base = twins;
    twin_cap = twin_bytes / PAGE;
    scratch_base = scratch;
    scratch_cap = scratch_bytes;
    return 0;
}

static int add_range(uintptr_t s, uintptr_t e, uintptr_t cs, uintptr_t ce, int prot, uint32_t kind) {
    if (s >= e) return 0;
    /* The kernel merges or keeps apart neighbouring mappings depending on their history (a bss
       that was written merges with the heap after an mprotect round trip on one rank and not on
       another): coalesce, so every rank sees the same ranges. */
    if (nranges > 0 && kind != CAPE_RANGE_STACK) {
        cape_range_t *p = &ranges[nranges - 1];
        if (p->end == s && p->clip_end == s && cs == s && p->prot == prot && p->kind != CAPE_RANGE_STACK) {
            p->end = e; p->clip_end = ce; p->vma_end = line_end;
            range_edits++;
            if (kind == CAPE_RANGE_HEAP) p->kind = kind;
            return 0;
        }
    }
    if (nranges >= MAX_RANGES) {
        snprintf(err, sizeof err, "the program has more than %d writable mappings", MAX_RANGES);
        return -1;
    }
    cape_range_t *r = &ranges[nranges++];
    r->start = s; r->end = e; r->clip_start = cs; r->clip_end = ce; r->prot = prot; r->kind = kind;
    r->vma_start = line_start; r->vma_end = line_end;
    r->state = NULL;
    range_edits++;
    return 0;
}

/* Runtime memory inside the program's mappings: the writable segments (.data and .bss) of runtime
   libraries, found from their program headers rather than from /proc/self/maps, because the kernel
   merges a library's bss with a neighbouring anonymous mapping of the program; and the main
   thread's TLS and thread control block. */
static struct { uintptr_t start, end; } holes[1024];
static uint32_t nholes;

static void add_hole(uintptr_t s, uintptr_t e) {
    if (nholes < sizeof holes / sizeof holes[0]) { holes[nholes].start = s; holes[nholes].end = e; nholes++; }
}

static int phdr_holes(struct dl_phdr_info *info, size_t size, void *tls_bytes) {
    (void)size;
    const char *name = info->dlpi_name && info->dlpi_name[0] ? info->dlpi_name : NULL;
    int runtime = name && runtime_library(name);
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_TLS) *(size_t *)tls_bytes += ph->p_memsz + ph->p_align;
        if (runtime && ph->p_type == PT_LOAD && (ph->p_flags & PF_W)) {
            uintptr_t s = (info->dlpi_addr + ph->p_vaddr) & ~(uintptr_t)(PAGE - 1);
            uintptr_t e = (info->dlpi_addr + ph->p_vaddr + ph->p_memsz + PAGE - 1) & ~(uintptr_t)(PAGE - 1);
            add_hole(s, e);
        }
    }
    return 0;
}

/* Anonymous memory that was there before the program ran (cape_tracker_note_startup). */
#define MAX_STARTUP 256
static struct { uintptr_t start, end; } startup_anon[MAX_STARTUP];
static uint32_t nstartup;

static int cmp_hole(const void *a, const void *b) {
    uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
    return x < y ? -1 : x > y;
}

static void collect_holes(void) {
    nholes = 0;
    for (uint32_t i = 0; i < nexcluded; i++) add_hole(excluded[i].start, excluded[i].end);
    for (uint32_t i = 0; i < nstartup; i++) add_hole(startup_anon[i].start, startup_anon[i].end);
    size_t tls = 0;
    dl_iterate_phdr(phdr_holes, &tls);
    /* x86-64 keeps the static TLS blocks below the thread pointer and struct pthread above it.
       ld.so says how large the static TLS area is (blocks, glibc's surplus and the TCB); a guess
       from the modules' TLS segments plus a margin reached, when a program's mapping came to lie
       right below the TCB's, into that mapping's last page, whose writes were then lost. */
    void (*static_info)(size_t *, size_t *) = (void (*)(size_t *, size_t *))dlsym(RTLD_DEFAULT, "_dl_get_tls_static_info");
    size_t below = tls + 16384, align = 0;
    if (static_info) static_info(&below, &align);
    add_hole((main_tp - below) & ~(uintptr_t)(PAGE - 1), (main_tp + 2 * PAGE) & ~(uintptr_t)(PAGE - 1));
    qsort(holes, nholes, sizeof holes[0], cmp_hole);
}

/* Adds [s, e) minus the holes. */
static int add_tracked(uintptr_t s, uintptr_t e, int prot, uint32_t kind) {
    uintptr_t cur = s;
    for (uint32_t i = 0; i < nholes && cur < e; i++) {
        if (holes[i].end <= cur || holes[i].start >= e) continue;
        if (holes[i].start > cur && add_range(cur, holes[i].start, cur, holes[i].start, prot, kind)) return -1;
        if (holes[i].end > cur) cur = holes[i].end;
    }
    if (cur < e) return add_range(cur, e, cur, e, prot, kind);
    return 0;
}

static const char *parse_hex(const char *p, uintptr_t *v) {
    uintptr_t x = 0;
    for (;; p++) {
        unsigned c = (unsigned char)*p;
        if (c >= '0' && c <= '9') x = x * 16 + (c - '0');
        else if (c >= 'a' && c <= 'f') x = x * 16 + (c - 'a' + 10);
        else break;
    }
    *v = x;
    return p;
}

/* "start-end perms offset dev inode   path": sscanf spent most of a region's fixed cost here. */
static int parse_maps_line(const char *p, uintptr_t *s, uintptr_t *e, char perms[5], const char **path) {
    p = parse_hex(p, s);
    if (*p++ != '-') return 0;
    p = parse_hex(p, e);
    if (*p++ != ' ') return 0;
    for (int i = 0; i < 4; i++) { if (!*p) return 0; perms[i] = *p++; }
    for (int field = 0; field < 3; field++) {   /* offset, device, inode */
        while (*p == ' ') p++;
        while (*p && *p != ' ') p++;
    }
    while (*p == ' ') p++;
    *path = p;
    return 1;
}

/* What a mapping's name says about it: 's' the main stack, 'h' the heap, '[' another special
   mapping, 'f' a file, 'a' anonymous memory. */
static char path_class(const char *path) {
    if (strcmp(path, "[stack]") == 0) return 's';
    if (strcmp(path, "[heap]") == 0) return 'h';
    if (path[0] == '[') return '[';
    return path[0] ? 'f' : 'a';
}

/* Reads /proc/self/maps as text and calls fn for every mapping, until fn returns nonzero (that
   value is returned). -1 when the file cannot be read, -2 when it does not fit the buffer. */
typedef int (*maps_line_fn)(uintptr_t s, uintptr_t e, const char perms[4], const char *path, void *arg);
static int each_maps_line(maps_line_fn fn, void *arg) {
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fd, maps_buf + len, sizeof maps_buf - 1 - len);
        if (n <= 0) break;
        len += (size_t)n;
        if (len >= sizeof maps_buf - 1) { close(fd); return -2; }
    }
    close(fd);
    maps_buf[len] = 0;
    for (char *line = maps_buf; *line;) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = 0;
        uintptr_t s, e;
        char perms[5] = {0};
        const char *path;
        if (parse_maps_line(line, &s, &e, perms, &path)) {
            int rc = fn(s, e, perms, path, arg);
            if (rc != 0) return rc;
        }
        if (!nl) break;
        line = nl + 1;
    }
    return 0;
}

/* Anonymous memory that was there before the program ran is ld.so's and the libraries' own (link
   maps, TLS blocks, a runtime library's bss past its file): runtime state, the same on every rank
   or never written again. Tracking it cost two scans per small mapping at every sync point (6 of
   the 11 tracked ranges of a small program). The constructor notes it; what of it lies in a
   writable segment of the program or of a library that is not the runtime's (a .bss past the
   file's end) stays program memory. */
#define MAX_SEGMENTS 512
static struct { uintptr_t start, end; } program_seg[MAX_SEGMENTS];
static uint32_t nprogram_seg;

static int note_program_segments(struct dl_phdr_info *info, size_t size, void *arg) {
    (void)size; (void)arg;
    const char *name = info->dlpi_name && info->dlpi_name[0] ? info->dlpi_name : NULL;
    if (name && runtime_library(name)) return 0;
    for (int i = 0; i < info->dlpi_phnum && nprogram_seg < MAX_SEGMENTS; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_W)) continue;
        program_seg[nprogram_seg].start = (info->dlpi_addr + ph->p_vaddr) & ~(uintptr_t)(PAGE - 1);
        program_seg[nprogram_seg].end = (info->dlpi_addr + ph->p_vaddr + ph->p_memsz + PAGE - 1) & ~(uintptr_t)(PAGE - 1);
        nprogram_seg++;
    }
    return 0;
}

/* One mapping at start: [s, e) minus the program's segments becomes start-up runtime memory. */
static int note_startup_mapping(uintptr_t s, uintptr_t e, const char perms[4], const char *path, void *arg) {
    (void)arg;
    if (perms[1] != 'w' || perms[3] != 'p' || path_class(path) != 'a') return 0;
    uintptr_t cur = s;
    for (uint32_t i = 0; i <= nprogram_seg && cur < e && nstartup < MAX_STARTUP; i++) {
        uintptr_t ps = i < nprogram_seg ? program_seg[i].start : e, pe = i < nprogram_seg ? program_seg[i].end : e;
        if (pe <= cur || (ps >= e && i < nprogram_seg)) continue;
        if (ps > cur) {
            startup_anon[nstartup].start = cur;
            startup_anon[nstartup].end = ps < e ? ps : e;
            nstartup++;
        }
        if (pe > cur) cur = pe;
    }
    return 0;
}

void cape_tracker_note_startup(void) {
    nprogram_seg = 0;
    dl_iterate_phdr(note_program_segments, NULL);
    qsort(program_seg, nprogram_seg, sizeof program_seg[0], cmp_hole);
    /* Unreadable or too many mappings: nothing is noted, and all of them are tracked. */
    if (each_maps_line(note_startup_mapping, NULL) != 0) nstartup = 0;
}

/* One mapping: tracked if it is a writable private mapping of the program's. Returns -1 on error,
   1 if it added to the ranges, 0 if not. */
static int consider(uintptr_t s, uintptr_t e, const char perms[4], char cls, uintptr_t entry_sp) {
    int writable = perms[1] == 'w' && perms[3] == 'p';
    if (!writable) return 0;
    line_start = s; line_end = e;
    uint64_t before = range_edits;
    int prot = (perms[0] == 'r' ? PROT_READ : 0) | PROT_WRITE | (perms[2] == 'x' ? PROT_EXEC : 0);
    int rc = 0;
    switch (cls) {
    case 's':
        if (entry_sp >= s && entry_sp < e) {
            uintptr_t top = stack_limit && stack_limit > entry_sp && stack_limit <= e ? stack_limit : e;
            uintptr_t ps = entry_sp & ~(uintptr_t)(PAGE - 1);
            uintptr_t pe = (top + PAGE - 1) & ~(uintptr_t)(PAGE - 1);
            rc = add_range(ps, pe, entry_sp, top, prot, CAPE_RANGE_STACK);
        }
        break;
    case 'h': rc = add_tracked(s, e, prot, CAPE_RANGE_HEAP); break;
    case '[': break;   /* [vvar], [vdso], [vsyscall], [anon:...] of the runtime: not program memory */
    default: rc = add_tracked(s, e, prot, cls == 'f' ? CAPE_RANGE_DATA : CAPE_RANGE_ANON); break;
    }
    return rc != 0 ? -1 : range_edits != before;
}

static int consider_line(uintptr_t s, uintptr_t e, const char perms[4], const char *path, void *entry_sp) {
    return consider(s, e, perms, path_class(path), *(const uintptr_t *)entry_sp) < 0 ? -3 : 0;
}

/* Linux >= 6.11 answers PROCMAP_QUERY on /proc/self/maps: the writable mappings one by one, in
   binary, without formatting every mapping as text (which cost most of an empty region). */
struct cape_procmap_query {
    uint64_t size, query_flags, query_addr, vma_start, vma_end, vma_flags;
    uint32_t vma_page_size;
    uint64_t vma_offset, inode;
    uint32_t dev_major, dev_minor, vma_name_size, build_id_size;
    uint64_t vma_name_addr, build_id_addr;
};
#define CAPE_PROCMAP_QUERY _IOWR('f', 17, struct cape_procmap_query)
#define PMQ_READABLE 0x01
#define PMQ_WRITABLE 0x02
#define PMQ_EXECUTABLE 0x04
#define PMQ_SHARED 0x08
#define PMQ_COVERING_OR_NEXT 0x10
static int maps_fd = -1;
static int query_works = 1;
static char vma_name[4096];

/* The writable mappings of the last walk, replayed while the address space has not changed: the
   sizes in /proc/self/statm (all mappings, and private writable ones) and the break are the same,
   and every mapping that held tracked memory is still there with the same bounds and permissions.
   A mapping replaced in place (munmap and mmap at the same address) passes this check; the uffd
   backend finds it unregistered when it arms, and the mprotect backend protects it like the old one. */
#define MAX_VMAS 4096
static struct { uintptr_t s, e; char perms[4]; char cls, tracked; } vmas[MAX_VMAS];
static uint32_t nvmas;
static int vmas_valid;
static uint64_t sig_size, sig_data;
static uintptr_t sig_brk;
static uint64_t sig_changes; /* cape_mapping_changes() when the mappings were last confirmed */
static int statm_fd = -1;

static int read_signature(uint64_t *size, uint64_t *data, uintptr_t *brk_now) {
    if (statm_fd < 0) statm_fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    char b[160];
    ssize_t n = statm_fd < 0 ? -1 : pread(statm_fd, b, sizeof b - 1, 0);
    if (n <= 0) return -1;
    b[n] = 0;
    uint64_t f[7] = {0};
    const char *p = b;
    for (int i = 0; i < 7 && *p; i++) {
        while (*p == ' ') p++;
        while (*p >= '0' && *p <= '9') f[i] = f[i] * 10 + (uint64_t)(*p++ - '0');
    }
    *size = f[0];
    *data = f[5];
    *brk_now = (uintptr_t)sbrk(0);
    return 0;
}

static int replay(uintptr_t entry_sp, int verify) {
    for (uint32_t i = 0; verify && i < nvmas; i++) {
        if (!vmas[i].tracked) continue;
        struct cape_procmap_query q = { .size = sizeof q, .query_addr = vmas[i].s };
        if (ioctl(maps_fd, CAPE_PROCMAP_QUERY, &q) != 0 || q.vma_start != vmas[i].s || q.vma_end != vmas[i].e ||
            !(q.vma_flags & PMQ_WRITABLE) || (q.vma_flags & PMQ_SHARED))
            return 0;
    }
    nranges = 0;
    for (uint32_t i = 0; i < nvmas; i++)
        if (consider(vmas[i].s, vmas[i].e, vmas[i].perms, vmas[i].cls, entry_sp) < 0) return -1;
    return 1;
}

/* The ranges of the last scan stand: the mappings were confirmed unchanged and the region's entry
   is the same (a barrier, or the next region from the same frame), so they are kept, and with the
   uffd backend so are the per-page state words, which the reset clears page by page. */
static uintptr_t ranges_sp;
static int ranges_kept_valid;
static int ranges_kept_now;   /* the last scan kept the ranges, their registration and state words */
static int collect_fresh;     /* the last sync point's collection scanned every range; no arming since */
static cape_tracker_info_t kept_info;

/* 2: the ranges of the last scan stand; 1: scanned; 0: the kernel has no PROCMAP_QUERY (or a name
   was too long): read the text instead. */
static int scan_by_query(uintptr_t entry_sp, int *failed) {
    *failed = 0;
    if (!query_works) return 0;
    if (maps_fd < 0) maps_fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (maps_fd < 0) { query_works = 0; return 0; }
    uint64_t size, data;
    uintptr_t brk_now;
    uint64_t changes_now = cape_mapping_changes();
    int have_sig = read_signature(&size, &data, &brk_now) == 0;
    if (have_sig && vmas_valid && size == sig_size && data == sig_data && brk_now == sig_brk) {
        /* No mmap, munmap or mremap since the last confirmation (mappings.c): the bounds stand. */
        int verify = changes_now != sig_changes;
        if (!verify && ranges_kept_valid && entry_sp == ranges_sp) return 2;
        int r = replay(entry_sp, verify);
        if (r < 0) { *failed = 1; return 1; }
        if (r > 0) { sig_changes = changes_now; return 1; }
    }
    vmas_valid = 0;
    nvmas = 0;
    nranges = 0;
    collect_holes();
    uintptr_t addr = 0;
    for (;;) {
        struct cape_procmap_query q = {
            .size = sizeof q, .query_flags = PMQ_COVERING_OR_NEXT | PMQ_WRITABLE, .query_addr = addr,
            .vma_name_size = sizeof vma_name, .vma_name_addr = (uintptr_t)vma_name,
        };
        if (ioctl(maps_fd, CAPE_PROCMAP_QUERY, &q) != 0) {
            if (errno == ENOENT) {
                vmas_valid = have_sig && nvmas <= MAX_VMAS;
                sig_size = size; sig_data = data; sig_brk = brk_now;
                sig_changes = changes_now;
                return 1;
            }
            if (errno != E2BIG) query_works = 0;
            nranges = 0;
            return 0;
        }
        char perms[4] = {
            q.vma_flags & PMQ_READABLE ? 'r' : '-', q.vma_flags & PMQ_WRITABLE ? 'w' : '-',
            q.vma_flags & PMQ_EXECUTABLE ? 'x' : '-', q.vma_flags & PMQ_SHARED ? 's' : 'p',
        };
        char cls = path_class(q.vma_name_size ? vma_name : "");
        int added = consider(q.vma_start, q.vma_end, perms, cls, entry_sp);
        if (added < 0) { *failed = 1; return 1; }
        if (nvmas < MAX_VMAS) {
            /* Verified on replay: the mappings that added to the ranges (and the stack, whose
               range depends on the region). */
            vmas[nvmas].s = q.vma_start; vmas[nvmas].e = q.vma_end;
            memcpy(vmas[nvmas].perms, perms, 4);
            vmas[nvmas].cls = cls;
            vmas[nvmas].tracked = added || cls == 's';
        }
        nvmas++;
        addr = q.vma_end;
    }
}

int cape_tracker_scan(uintptr_t entry_sp, cape_tracker_info_t *info) {
    int failed;
    int how = scan_by_query(entry_sp, &failed);
    /* uffd: only a dirty page's state word is ever set, and it is counted in dirty_count; the reset
       clears those words before it zeroes the count. */
    if (how == 2 && backend == CAPE_TRACKER_UFFD && dirty_count == 0) {
        if (info) *info = kept_info;
        ranges_kept_now = 1;
        return 0;
    }
    ranges_kept_now = 0;
    ranges_kept_valid = 0;
    if (how) {
        if (failed) return -1;
    } else {
        nranges = 0;
        collect_holes();
        int rc = each_maps_line(consider_line, &entry_sp);
        if (rc == -1) { snprintf(err, sizeof err, "cannot read /proc/self/maps"); return -1; }
        if (rc == -2) { snprintf(err, sizeof err, "/proc/self/maps is too large"); return -1; }
        if (rc != 0) return -1;
    }
    uint64_t bytes = 0;
    for (uint32_t i = 0; i < nranges; i++) bytes += ranges[i].clip_end - ranges[i].clip_start;

    /* Per-page state and the dirty list live in the scratch reservation. */
    uint64_t pages = 0;
    for (uint32_t i = 0; i < nranges; i++) pages += (ranges[i].end - ranges[i].start) / PAGE;
    uint64_t need = pages * sizeof(uint32_t) + 4 * (pages + 1) * sizeof(uint64_t) + 64;
    if (need > scratch_cap) { snprintf(err, sizeof err, "the program's memory is too large to track (%lu pages)", (unsigned long)pages); return -1; }
    /* The ring of changed pages gets what is left of the reservation, up to history_wanted lists. */
    uint64_t lists = (scratch_cap - need) / ((pages + 1) * sizeof(uintptr_t));
    history = lists < history_wanted ? (uint32_t)lists : history_wanted;
    if (history < 2) history = 0;
    uint8_t *p = scratch_base;
    for (uint32_t i = 0; i < nranges; i++) {
        uint64_t n = (ranges[i].end - ranges[i].start) / PAGE;
        ranges[i].state = (uint32_t *)p;
        memset(p, 0, n * sizeof(uint32_t));
        p += n * sizeof(uint32_t);
    }
    p = (uint8_t *)(((uintptr_t)p + 15) & ~(uintptr_t)15);
    dirty_pages = (uintptr_t *)p;
    p += (pages + 1) * sizeof(uintptr_t);
    sorted_keys = (uint64_t *)p;
    p += (pages + 1) * sizeof(uint64_t);
    sorted_pages = (uintptr_t *)p;
    p += (pages + 1) * sizeof(uintptr_t);
    sorted_old = (const uint8_t **)p;
    p += (pages + 1) * sizeof(uintptr_t);
    for (uint32_t i = 0; i < history; i++) {
        changed_pages[i] = (uintptr_t *)p;
        changed_count[i] = 0;
        p += (pages + 1) * sizeof(uintptr_t);
    }
    sync_points = 0;
    hot_count = 0;
    dirty_count = 0;
    kept_info.nranges = nranges;
    kept_info.tracked_bytes = bytes;
    kept_info.brk = (uintptr_t)sbrk(0);
    if (info) *info = kept_info;
    ranges_sp = entry_sp;
    ranges_kept_valid = how != 0 && vmas_valid;
    return 0;
}

static int uffd_protect(void);
static void leave_hot_writable(void);
static void uffd_collect(void);
static void uffd_reset(void);
static void uffd_section_begin(void);
static uint32_t uffd_section_end(void);
static uint8_t *uffd_writable_twin(cape_range_t *r, uint64_t idx, uintptr_t page, uint8_t **second);

int cape_tracker_protect(void) {
    if (backend == CAPE_TRACKER_UFFD) return uffd_protect();
    for (uint32_t i = 0; i < nranges; i++) {
        if (mprotect((void *)ranges[i].start, ranges[i].end - ranges[i].start, ranges[i].prot & ~PROT_WRITE) != 0) {
            snprintf(err, sizeof err, "mprotect of %#lx-%#lx failed: %s", (unsigned long)ranges[i].start,
                     (unsigned long)ranges[i].end, strerror(errno));
            for (uint32_t j = 0; j < i; j++)
                mprotect((void *)ranges[j].start, ranges[j].end - ranges[j].start, ranges[j].prot);
            return -1;
        }
    }
    __atomic_store_n(&armed, 1, __ATOMIC_RELEASE);
    return 0;
}

int cape_tracker_unprotect(void) {
    int rc = 0;
    if (backend == CAPE_TRACKER_UFFD) { __atomic_store_n(&armed, 0, __ATOMIC_RELEASE); return 0; }
    for (uint32_t i = 0; i < nranges; i++) {
        if (mprotect((void *)ranges[i].start, ranges[i].end - ranges[i].start, ranges[i].prot) != 0) {
            snprintf(err, sizeof err, "restoring the protection of %#lx-%#lx failed: %s",
                     (unsigned long)ranges[i].start, (unsigned long)ranges[i].end, strerror(errno));
            rc = -1;
        }
    }
    __atomic_store_n(&armed, 0, __ATOMIC_RELEASE);
    return rc;
}

const cape_range_t *cape_tracker_ranges(uint32_t *count) {
    *count = nranges;
    return ranges;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static uint8_t *shadow_page(uintptr_t page);

/* Key: page number in the high 36 bits, slot in the low 28 (2^28 slots = 1 TiB of twins). */
uint64_t cape_tracker_dirty_sorted(const uintptr_t **pages, const uint8_t *const **old) {
    if (backend == CAPE_TRACKER_UFFD) uffd_collect();
    uint64_t n = __atomic_load_n(&dirty_count, __ATOMIC_ACQUIRE);
    if (n > twin_cap) n = twin_cap;
    for (uint64_t i = 0; i < n; i++) sorted_keys[i] = ((uint64_t)(dirty_pages[i] >> 12) << 28) | i;
    qsort(sorted_keys, n, sizeof(uint64_t), cmp_u64);
    for (uint64_t i = 0; i < n; i++) {
        uint64_t slot = sorted_keys[i] & ((1u << 28) - 1);
        sorted_pages[i] = dirty_pages[slot];
        sorted_old[i] = backend == CAPE_TRACKER_UFFD ? shadow_page(dirty_pages[slot]) : twin_base + slot * PAGE;
    }
    *pages = sorted_pages;
    *old = sorted_old;
    return n;
}

void cape_tracker_reset(void) {
    if (backend == CAPE_TRACKER_UFFD) uffd_reset();
    dirty_count = 0;
    section_mark = 0;
    section_last = 0;
    pending_count = 0;
    pending_overflow = 0;
}

static void protect_again(uintptr_t page) {
    int i = find_range(page);
    if (i < 0) return;
    cape_range_t *r = &ranges[i];
    uint64_t idx = (page - r->start) / PAGE;
    for (;;) {
        uint32_t s = __atomic_load_n(&r->state[idx], __ATOMIC_ACQUIRE);
        /* Being twinned by a sibling's fault: wait for it, or the page would stay writable. */
        if (s == 1) { cape_cpu_relax_shim(); continue; }
        if (s < 2 || (s & REPROT)) return;
        /* The page is held (state 1) until it is protected, and only then marked: a sibling's fault
           from before (the page was protected at the arming, and its handler ran late) that saw the
           mark early took the page as already written in the section and cleared the mark, and the
           protection that followed left a page no fault could make writable again. */
        if (!__atomic_compare_exchange_n(&r->state[idx], &s, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) continue;
        if (mprotect((void *)page, PAGE, r->prot & ~PROT_WRITE) != 0)
            cape_die("mprotect failed while starting a critical, ordered or locked section (raise vm.max_map_count)");
        __atomic_store_n(&r->state[idx], s | REPROT, __ATOMIC_RELEASE);
        return;
    }
}

static uintptr_t previous_pages[MAX_SECTION_PAGES];

void cape_section_begin(void) {
    if (!armed) return;
    if (backend == CAPE_TRACKER_UFFD) { uffd_section_begin(); return; }
    /* The section is active before anything is protected again: a sibling thread's fault from now
       on is recorded in it (harmless: its bytes then travel with the section), never lost between
       the protection and the activation. */
    uint32_t last = section_last;
    memcpy(previous_pages, section_pages, sizeof(uintptr_t) * last);
    memset(section_pages, 0, sizeof(uintptr_t) * last);
    __atomic_store_n(&section_count, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&section_active, 1, __ATOMIC_SEQ_CST);
    uint64_t n = __atomic_load_n(&dirty_count, __ATOMIC_ACQUIRE);
    uint32_t np = __atomic_exchange_n(&pending_count, 0, __ATOMIC_ACQ_REL);
    if (pending_overflow) {
        pending_overflow = 0;
        section_mark = 0;
        np = 0;
    }
    if (np > MAX_SECTION_PAGES) np = MAX_SECTION_PAGES;
    for (uint32_t j = 0; j < np; j++) protect_again(__atomic_load_n(&pending_pages[j], __ATOMIC_ACQUIRE));
    for (uint64_t i = section_mark; i < n; i++) protect_again(dirty_pages[i]);
    for (uint32_t j = 0; j < last; j++) protect_again(previous_pages[j]);
    section_mark = n;
}

/* A section that follows one which wrote nothing (a flush with nothing to publish): with the uffd
   tracker the end's scan protected again every page written before it, so the next section's
   writes are told apart without a scan of its own. */
static int sections_publish_all;
void cape_sections_publish_all(int on) { sections_publish_all = on; }

void cape_section_resume(void) {
    if (!armed) return;
    if (backend == CAPE_TRACKER_UFFD && (section_last == 0 || sections_publish_all)) {
        __atomic_store_n(&section_count, 0, __ATOMIC_RELEASE);
        __atomic_store_n(&section_active, 1, __ATOMIC_SEQ_CST);
        return;
    }
    cape_section_begin();
}

uint32_t cape_section_end(const uintptr_t **pages, const uint8_t *const **old) {
    if (backend == CAPE_TRACKER_UFFD && armed) uffd_section_end();
    __atomic_store_n(&section_active, 0, __ATOMIC_SEQ_CST);
    for (unsigned spins = 0; __atomic_load_n(&section_inflight, __ATOMIC_ACQUIRE) != 0; spins++) {
        if (spins < 200) cape_cpu_relax_shim(); else sched_yield();
    }
    uint32_t n = __atomic_load_n(&section_count, __ATOMIC_ACQUIRE);
    if (n > MAX_SECTION_PAGES) n = MAX_SECTION_PAGES;
    section_last = n;
    *pages = section_pages;
    *old = section_old;
    return n;
}

uint8_t *cape_tracker_writable_twin(uintptr_t page, uint8_t **second) {
    *second = NULL;
    /* uffd: at a sync point, after the collection, the catch-up's bytes are what every rank will
       hold, and they go to the shadow as well (a barrier's arming scans nothing, cape_tracker_rearm). */
    if (!armed && !(backend == CAPE_TRACKER_UFFD && collected)) return NULL;
    int i = find_range(page);
    if (i < 0) return NULL;
    cape_range_t *r = &ranges[i];
    uint64_t idx = (page - r->start) / PAGE;
    if (backend == CAPE_TRACKER_UFFD) return uffd_writable_twin(r, idx, page, second);
    for (;;) {
        uint32_t s = __atomic_load_n(&r->state[idx], __ATOMIC_ACQUIRE);
        if (s == 1) { cape_cpu_relax_shim(); continue; }
        if (s == 0) {
            uint32_t expect = 0;
            if (!__atomic_compare_exchange_n(&r->state[idx], &expect, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) continue;
            uint32_t state = take_twin(page);
            if (mprotect((void *)page, PAGE, r->prot) != 0) cape_die("mprotect failed while applying a section's writes");
            __atomic_store_n(&r->state[idx], state, __ATOMIC_RELEASE);
            return twin_base + (uint64_t)(state - 2) * PAGE;
        }
        if (s & REPROT) {
            if (!__atomic_compare_exchange_n(&r->state[idx], &s, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) continue;
            if (mprotect((void *)page, PAGE, r->prot) != 0) cape_die("mprotect failed while applying a section's writes");
            s &= ~REPROT;
            __atomic_store_n(&r->state[idx], s, __ATOMIC_RELEASE);
            pending_add(page);
        }
        return twin_base + (uint64_t)(s - 2) * PAGE;
    }
}

/* ---- The uffd backend ----
 *
 * Every tracked range is registered with a userfaultfd in asynchronous write-protect mode: a write
 * to a protected page makes it writable in the kernel, with no signal and nothing to read from the
 * descriptor, and PAGEMAP_SCAN lists the pages written since they were protected (and protects them
 * again, when asked). Nothing reaches user space on a write, so the content before the region cannot
 * be copied lazily: a shadow copy of tracked memory holds it. Arming scans for the pages written
 * since the last arming (sequential code, applied diffs, the previous region) and refreshes their
 * shadow, protecting them again in the same call; the region's dirty set is what the scan at its end
 * finds. A page that was protected, zapped and faulted back (MADV_DONTNEED, a heap trim) shows as
 * written: the shadow never goes stale. A mapping that is new, or was moved by mremap, is not
 * registered: the scan's CHECK_WPASYNC fails, the mapping is registered, its protection cleared so
 * every page reads as written, and the scan runs again.
 *
 * Sections (critical, ordered, locks) need the content at section start of the pages they write. At
 * section start the pages written since the last scan, and those of the previous section, are
 * copied to the twin store (a snapshot, flag SNAP) and protected; at section end a scan lists the
 * section's pages: their old content is the snapshot, or the shadow for a page first written in the
 * section. Pages that a scan inside the region protected again (flag SCANNED) hold newer content
 * than their shadow and would not show as written at the next arming: the reset after the exchange
 * copies them to the shadow.
 *
 * Ranges of a few pages (COMPARED_BYTES) are compared with their shadow instead of scanned: a scan
 * costs more than the comparison. */
#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif
#define CAPE_UFFD_WP_UNPOPULATED (1ull << 13)
#define CAPE_UFFD_WP_ASYNC (1ull << 15)
struct cape_page_region { uint64_t start, end, categories; };
struct cape_pm_scan_arg {
    uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
    uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};
#define CAPE_PAGEMAP_SCAN _IOWR('f', 16, struct cape_pm_scan_arg)
#define PM_SCAN_WP_MATCHING_ (1u << 0)
#define PM_SCAN_CHECK_WPASYNC_ (1u << 1)
#define PAGE_IS_WRITTEN_ (1u << 1)
#define PAGE_IS_PRESENT_ (1u << 3)
#define PAGE_IS_SWAPPED_ (1u << 4)
#define PAGE_IS_PFNZERO_ (1u << 5)

#define SNAP 0x40000000u
#define SCANNED 0x20000000u
#define SLOT_MASK 0x1fffffffu

static int uffd = -1, pagemap_fd = -1;
static uint8_t *shadow_base;
static uint64_t shadow_chunks, shadow_used;
#define CHUNK (2ull << 20)
#define DIR_SIZE (1u << 17)
static uint64_t dir_key[DIR_SIZE];   /* chunk number + 1, 0: free */
static uint32_t dir_idx[DIR_SIZE];
/* The kernel copies the results through a buffer of min(vec_len, 512) entries that it allocates
   per call: 128 entries (3 KiB) come from a slab, 512 (12 KiB) from the page allocator, about
   0.15 us more per scan here. A walk with more regions than that continues where it stopped. */
static struct cape_page_region scan_vec[128];
static int scanned_any;   /* a scan inside this region protected pages again (flag SCANNED) */

/* Compared ranges. A PAGEMAP_SCAN costs about 1.2 us here however little it walks, and each range
   is scanned twice per sync point (at its end and at the arming after it), while comparing a page
   with its shadow costs about 0.1 us. A small program has two such ranges: the main stack's frames
   above the region's entry (a few hundred bytes) and a library's one-page data; scanning them was
   about 5 us of an empty region's 24. So a range of at most COMPARED_BYTES is never registered or
   scanned: arming copies it to the shadow whole, and a page whose bytes differ from the shadow is
   written. */
#define COMPARED_BYTES (4 * PAGE)
static inline int compared(const cape_range_t *r) { return r->end - r->start <= COMPARED_BYTES; }

/* The bytes of page p that belong to r differ from `old` (a shadow or snapshot page). */
static int page_differs(const cape_range_t *r, uintptr_t p, const uint8_t *old) {
    uintptr_t lo = p > r->clip_start ? p : r->clip_start;
    uintptr_t hi = p + PAGE < r->clip_end ? p + PAGE : r->clip_end;
    return lo < hi && memcmp((const void *)lo, old + (lo - p), hi - lo) != 0;
}

/* The shadow page of a tracked page: 2 MiB chunks of the reservation, found by chunk number. */
static uint8_t *shadow_page(uintptr_t page) {
    uint64_t c = page / CHUNK;
    uint32_t h = (uint32_t)((c * 0x9E3779B97F4A7C15ull) >> 40) & (DIR_SIZE - 1);
    for (;;) {
        uint64_t k = __atomic_load_n(&dir_key[h], __ATOMIC_ACQUIRE);
        if (k == c + 1) return shadow_base + (uint64_t)dir_idx[h] * CHUNK + (page % CHUNK);
        if (k == 0) {
            if (shadow_used >= shadow_chunks)
                cape_die("the program's memory is larger than its shadow copy can hold (raise CAPE_TWIN_GB)");
            dir_idx[h] = (uint32_t)shadow_used++;
            __atomic_store_n(&dir_key[h], c + 1, __ATOMIC_RELEASE);
            return shadow_base + (uint64_t)dir_idx[h] * CHUNK + (page % CHUNK);
        }
        h = (h + 1) & (DIR_SIZE - 1);
    }
}

typedef void (*scan_fn)(cape_range_t *r, uintptr_t s, uintptr_t e, uint64_t categories);

/* Lists the written pages of ranges[first..last] in one walk of their span (protecting them again
   with PM_SCAN_WP_MATCHING_) and hands each piece to fn clipped to its range. Only write-protectable
   pages are asked for: mappings between the ranges that are not registered (runtime data, library
   code) are skipped, and registered pages outside the ranges (a runtime library's bss that shares a
   mapping with program memory) are left out. Returns 0 or -errno. */
#define PAGE_IS_WPALLOWED_ (1u << 0)
static int scan_ranges(uint32_t first, uint32_t last, uint64_t flags, scan_fn fn) {
    uintptr_t cur = ranges[first].start, end = ranges[last].end;
    uint32_t k = first;
    while (cur < end) {
        struct cape_pm_scan_arg a = {
            .size = sizeof a, .flags = flags, .start = cur, .end = end,
            .vec = (uint64_t)(uintptr_t)scan_vec, .vec_len = sizeof scan_vec / sizeof scan_vec[0],
            .category_mask = PAGE_IS_WRITTEN_ | PAGE_IS_WPALLOWED_,
            .return_mask = PAGE_IS_WRITTEN_ | PAGE_IS_PRESENT_ | PAGE_IS_SWAPPED_ | PAGE_IS_PFNZERO_,
        };
        long n = ioctl(pagemap_fd, CAPE_PAGEMAP_SCAN, &a);
        if (n < 0) return -errno;
        for (long i = 0; i < n; i++) {
            uintptr_t s = scan_vec[i].start, e = scan_vec[i].end;
            while (k > first && ranges[k - 1].end > s) k--;
            while (k <= last && ranges[k].end <= s) k++;
            for (uint32_t j = k; j <= last && ranges[j].start < e; j++) {
                if (compared(&ranges[j])) continue;
                uintptr_t cs = s > ranges[j].start ? s : ranges[j].start, ce = e < ranges[j].end ? e : ranges[j].end;
                if (cs < ce) fn(&ranges[j], cs, ce, scan_vec[i].categories);
            }
        }
        if (a.walk_end <= cur || n < (long)(sizeof scan_vec / sizeof scan_vec[0])) break;
        cur = a.walk_end;
    }
    return 0;
}

/* Inside a region, one scan per group of ranges less than 1 MiB apart instead of one per range:
   arming checked that every tracked mapping is registered; the page tables of a short gap cost
   little to walk, those of the reservations between far ranges cost much: one scan over the span
   of all ranges (heap to stack) made a barrier of bench/barrier.c take 410-520 us here, against
   7-17 us with these groups. */
#define GROUP_GAP (1u << 20)
/* Compared ranges are never scanned; neither are ranges inside [skip_start, skip_end). */
static inline int left_out(const cape_range_t *r, uintptr_t skip_start, uintptr_t skip_end) {
    return compared(r) || (r->start >= skip_start && r->end <= skip_end);
}
static int scan_inside_region_except(uint64_t flags, scan_fn fn, uintptr_t skip_start, uintptr_t skip_end) {
    for (uint32_t g = 0; g < nranges;) {
        if (left_out(&ranges[g], skip_start, skip_end)) { g++; continue; }
        uint32_t last = g, next = g + 1;
        for (; next < nranges; next++) {
            if (left_out(&ranges[next], skip_start, skip_end)) continue;
            if (ranges[next].start - ranges[last].end > GROUP_GAP) break;
            last = next;
        }
        int rc = scan_ranges(g, last, flags, fn);
        if (rc != 0) return rc;
        g = next;
    }
    return 0;
}

static int scan_inside_region(uint64_t flags, scan_fn fn) { return scan_inside_region_except(flags, fn, 0, 0); }

/* Registers the mappings of r and clears their protection, so that every page reads as written. */
static int uffd_register(cape_range_t *r) {
    struct uffdio_register reg = { .range = { r->vma_start, r->vma_end - r->vma_start }, .mode = UFFDIO_REGISTER_MODE_WP };
    if (ioctl(uffd, UFFDIO_REGISTER, &reg) != 0) {
        snprintf(err, sizeof err, "userfaultfd cannot track %#lx-%#lx: %s (set CAPE_TRACKER=mprotect)",
                 (unsigned long)r->vma_start, (unsigned long)r->vma_end, strerror(errno));
        return -1;
    }
    struct uffdio_writeprotect wp = { .range = { r->start, r->end - r->start }, .mode = 0 };
    if (ioctl(uffd, UFFDIO_WRITEPROTECT, &wp) != 0) {
        snprintf(err, sizeof err, "userfaultfd cannot clear the protection of %#lx-%#lx: %s (set CAPE_TRACKER=mprotect)",
                 (unsigned long)r->start, (unsigned long)r->end, strerror(errno));
        return -1;
    }
    return 0;
}

/* Arming: pages written since the last arming get a fresh shadow. Pages that are not there read
   as zeros: their shadow is cleared, in bulk where it is long. */
static void refresh_shadow(cape_range_t *r, uintptr_t s, uintptr_t e, uint64_t cat) {
    (void)r;
    int zero = !(cat & (PAGE_IS_PRESENT_ | PAGE_IS_SWAPPED_)) || (cat & PAGE_IS_PFNZERO_);
    if (!zero) {
        for (uintptr_t p = s; p < e; p += PAGE) memcpy(shadow_page(p), (const void *)p, PAGE);
        return;
    }
    for (uintptr_t p = s; p < e;) {
        uintptr_t ce = (p / CHUNK + 1) * CHUNK;
        if (ce > e) ce = e;
        uint8_t *sh = shadow_page(p);
        if (ce - p >= 16 * PAGE) madvise(sh, ce - p, MADV_DONTNEED);
        else memset(sh, 0, ce - p);
        p = ce;
    }
}

static int uffd_protect(void) {
    uint64_t t0 = now_ns();
    collect_fresh = 0;
    /* One range at a time, each checked: a mapping that is not registered fails with EPERM. */
    const uint64_t flags = PM_SCAN_WP_MATCHING_ | PM_SCAN_CHECK_WPASYNC_;
    for (uint32_t i = 0; i < nranges; i++) {
        if (compared(&ranges[i])) {
            for (uintptr_t p = ranges[i].start; p < ranges[i].end; p += PAGE) memcpy(shadow_page(p), (const void *)p, PAGE);
            continue;
        }
        int rc = scan_ranges(i, i, flags, refresh_shadow);
        if (rc == -EPERM) {
            if (uffd_register(&ranges[i]) != 0) return -1;
            rc = scan_ranges(i, i, flags, refresh_shadow);
        }
        if (rc != 0) {
            snprintf(err, sizeof err, "PAGEMAP_SCAN of %#lx-%#lx failed: %s (set CAPE_TRACKER=mprotect)",
                     (unsigned long)ranges[i].start, (unsigned long)ranges[i].end, strerror(-rc));
            return -1;
        }
    }
    leave_hot_writable();
    __atomic_store_n(&armed, 1, __ATOMIC_RELEASE);
    stat_ns += now_ns() - t0;
    return 0;
}

/* Puts a page in the dirty set (once); returns its state word. */
static uint32_t mark_dirty(cape_range_t *r, uint64_t idx, uintptr_t page, uint32_t flags) {
    uint32_t s = r->state[idx];
    if (s == 0) {
        uint64_t slot = dirty_count++;
        if (slot >= twin_cap || slot > SLOT_MASK - 2) cape_die("a region wrote more memory than the twin store holds (raise CAPE_TWIN_GB)");
        dirty_pages[slot] = page;
        s = (uint32_t)(2 + slot);
    }
    s |= flags;
    r->state[idx] = s;
    if (flags & SCANNED) scanned_any = 1;
    return s;
}

/* Hot pages. A write fault on a protected page costs about 1.4 us here, the larger part of what a
 * dirty page costs (bench/, part pages), and a loop that writes the same pages at every sync point,
 * or at every k-th, pays it every time. So the arming before a sync point leaves writable the pages
 * that the sync points before suggest will be written: the next scan lists them whether they were
 * written or not, and the encoder, which compares every listed page with its shadow anyway, finds
 * whether each changed (cape_tracker_changed). The guess is the set changed P sync points before
 * the coming one, with the period P (1 to history - 1) under which the last sync point's set was
 * best foretold: an ADI sweep with five loops a time step repeats with P = 5, a stencil with one
 * region a sweep with P = 1. A page guessed right spares its fault; one guessed wrong costs a
 * comparison (0.4-0.7 us: it is read from memory; NAS BT class W: 1.1 us saved per page guessed
 * right, 0.7 us lost per page guessed wrong); so P counts if it foretold more than 2/3 as many
 * pages right as wrong, and no page is left writable when none does (BT, whose pages change at two
 * sync points in a row and then rest, lost as much as it saved with the rule "changed at the last
 * two, so at the next"). Clearing the protection costs about 0.12 us a page and 1.6 us a call
 * (UFFDIO_WRITEPROTECT): guessed pages less than HOT_GAP pages apart are cleared in one call.
 *
 * It is exact whatever the guess: after an arming every tracked page's shadow equals memory (the
 * arming refreshed the pages written since the last one), so a page left writable only reads as
 * written, and the encoder sends what differs from the shadow. */
#define HOT_GAP 4u

void cape_tracker_set_hot_history(unsigned n) { history_wanted = n < MAX_HISTORY ? n : MAX_HISTORY; }

/* The encoder found this dirty page changed (pages come in increasing address order). */
void cape_tracker_changed(uintptr_t page) {
    if (backend != CAPE_TRACKER_UFFD || history == 0 || !collected) return;
    uint32_t slot = (uint32_t)(sync_points % history);
    changed_pages[slot][changed_count[slot]++] = page;
}

/* Pages both ascending lists hold. */
static uint64_t common_pages(const uintptr_t *a, uint64_t na, const uintptr_t *b, uint64_t nb) {
    uint64_t i = 0, j = 0, n = 0;
    while (i < na && j < nb) {
        if (a[i] < b[j]) i++;
        else if (a[i] > b[j]) j++;
        else { n++; i++; j++; }
    }
    return n;
}

/* After a sync point's encoding: its set of changed pages is complete; choose the guess for the
   next one. */
static void choose_hot_pages(void) {
    hot_count = 0;
    if (history == 0) return;
    uint32_t now = (uint32_t)(sync_points % history);
    uint64_t n = changed_count[now];
    int64_t best = 8;   /* worth at least a few calls */
    uint32_t period = 0;
    for (uint32_t p = 1; p < history && p <= sync_points; p++) {
        uint32_t then = (now + history - p) % history;
        uint64_t right = common_pages(changed_pages[now], n, changed_pages[then], changed_count[then]);
        int64_t score = 3 * (int64_t)right - 2 * (int64_t)(changed_count[then] - right);
        if (score > best) { best = score; period = p; }
    }
    sync_points++;
    changed_count[sync_points % history] = 0;   /* the next sync point's list */
    if (period == 0) return;
    uint32_t guess = (uint32_t)((sync_points + history - period) % history);
    hot_pages = changed_pages[guess];
    hot_count = changed_count[guess];
}

static void collect_pages(cape_range_t *r, uintptr_t s, uintptr_t e, uint64_t cat) {
    (void)cat;
    for (uintptr_t p = s; p < e; p += PAGE) mark_dirty(r, (p - r->start) / PAGE, p, 0);
}

/* The end of an arming: the guessed pages become writable. */
static void leave_hot_writable(void) {
    uint64_t n = hot_count;
    hot_count = 0;
    for (uint64_t i = 0; i < n;) {
        uintptr_t s = hot_pages[i], e = s + PAGE;
        int k = find_range(s);
        uint64_t j = i + 1;
        if (k < 0) { i = j; continue; }
        while (j < n && hot_pages[j] < ranges[k].end && hot_pages[j] - e <= HOT_GAP * PAGE) e = hot_pages[j++] + PAGE;
        struct uffdio_writeprotect wp = { .range = { s, e - s }, .mode = 0 };
        (void)ioctl(uffd, UFFDIO_WRITEPROTECT, &wp);   /* a failure costs only the faults it would spare */
        i = j;
    }
}

/* The sync point's scan protects the pages again as it lists them: the encoder brings their shadow
   up to date (Diff.Encoder.addRefreshing), so the next arming finds only the pages written after
   this scan (the other ranks' diffs applied, the runtime's own writes) and copies just those. */

static void uffd_collect(void) {
    uint64_t t0 = now_ns();
    collected = 1;
    hot_count = 0;
    /* The region heap's area needs no scan where nothing wrote it that must travel (regionheap.c,
       cape_rheap_take_area_written). Every local thread waits here, so none writes it meanwhile. */
    uintptr_t skip_start = 0, skip_end = 0;
    if (!cape_rheap_take_area_written()) cape_rheap_area(&skip_start, &skip_end);
    if (scan_inside_region_except(PM_SCAN_WP_MATCHING_, collect_pages, skip_start, skip_end) != 0) cape_die("PAGEMAP_SCAN failed while collecting the pages a region wrote (set CAPE_TRACKER=mprotect)");
    for (uint32_t i = 0; i < nranges; i++) {
        cape_range_t *r = &ranges[i];
        if (!compared(r)) continue;
        for (uintptr_t p = r->start; p < r->end; p += PAGE)
            if (page_differs(r, p, shadow_page(p))) mark_dirty(r, (p - r->start) / PAGE, p, 0);
    }
    collect_fresh = 1;
    stat_ns += now_ns() - t0;
}

/* The arming of a barrier, after its exchange. Its collection scanned every tracked range with
 * PM_SCAN_WP_MATCHING, protecting again each page it listed, and the encoder brought those pages'
 * shadow up to date. Since then only the runtime has written tracked memory, and it keeps shadow
 * and memory equal wherever it writes: applied diffs (cape_tracker_applied), the section log's
 * catch-up (uffd_writable_twin), merged atomic updates (AtomicUpdates.install), pages a section's
 * scan protected (the reset). So where the ranges stand (same mappings, same entry), the arming's
 * scan would only protect again pages whose shadow already equals memory: it is skipped, such a
 * page reads as written at the next collection, and the encoder finds it unchanged. That scan was
 * about a sixth of an empty barrier here and half the tracking time of NAS SP class S.
 * With CAPE_VERIFY=1 the scan runs all the same and stops the job at a page whose shadow differs
 * from memory: the test suite checks what the skip relies on. */
static int check_rearm;
void cape_tracker_set_check_rearm(int on) { check_rearm = on; }

static uint64_t stale_pages;
static uintptr_t first_stale;
static void check_shadow(cape_range_t *r, uintptr_t s, uintptr_t e, uint64_t cat) {
    (void)r;
    int zero = !(cat & (PAGE_IS_PRESENT_ | PAGE_IS_SWAPPED_)) || (cat & PAGE_IS_PFNZERO_);
    for (uintptr_t p = s; p < e; p += PAGE) {
        const uint8_t *sh = shadow_page(p);
        int same = 1;
        if (zero) { for (int k = 0; k < PAGE && same; k++) same = sh[k] == 0; }
        else same = memcmp(sh, (const void *)p, PAGE) == 0;
        if (!same && stale_pages++ == 0) first_stale = p;
    }
    refresh_shadow(r, s, e, cat);
}

int cape_tracker_rearm(void) {
    if (backend != CAPE_TRACKER_UFFD || !ranges_kept_now || !collect_fresh) return cape_tracker_protect();
    uint64_t t0 = now_ns();
    collect_fresh = 0;
    if (check_rearm) {
        stale_pages = 0;
        if (scan_inside_region(PM_SCAN_WP_MATCHING_, check_shadow) != 0) return uffd_protect();
        if (stale_pages) {
            snprintf(err, sizeof err, "internal error: after a barrier %lu written pages held other content than their copy, "
                     "the first at %#lx (please report this; CAPE_TRACKER=mprotect does without the copy)",
                     (unsigned long)stale_pages, (unsigned long)first_stale);
            return -1;
        }
    }
    for (uint32_t i = 0; i < nranges; i++) {
        if (!compared(&ranges[i])) continue;
        for (uintptr_t p = ranges[i].start; p < ranges[i].end; p += PAGE) memcpy(shadow_page(p), (const void *)p, PAGE);
    }
    leave_hot_writable();
    __atomic_store_n(&armed, 1, __ATOMIC_RELEASE);
    stat_ns += now_ns() - t0;
    return 0;
}

/* The twin page of a dirty page's state word. */
static inline uint8_t *twin_of(uint32_t state) { return twin_base + (uint64_t)((state & SLOT_MASK) - 2) * PAGE; }

/* What a section compares a page with: its snapshot when it has one, else its shadow. */
static inline const uint8_t *section_start_content(const cape_range_t *r, uintptr_t p) {
    uint32_t st = r->state[(p - r->start) / PAGE];
    return st & SNAP ? twin_of(st) : shadow_page(p);
}

static void snapshot(cape_range_t *r, uint64_t idx, uintptr_t page) {
    memcpy(twin_of(mark_dirty(r, idx, page, SNAP | SCANNED)), (const void *)page, PAGE);
}

static void snapshot_pages(cape_range_t *r, uintptr_t s, uintptr_t e, uint64_t cat) {
    (void)cat;
    for (uintptr_t p = s; p < e; p += PAGE) snapshot(r, (p - r->start) / PAGE, p);
}

static void uffd_section_begin(void) {
    /* Flush mode (cape_sections_publish_all): a section's starting content is the shadow, which
       holds what was last published, so writes made since the last scan (a sibling's, between two
       sections) are in the next section's diff instead of in a snapshot that hides them. */
    if (sections_publish_all) {
        __atomic_store_n(&section_count, 0, __ATOMIC_RELEASE);
        __atomic_store_n(&section_active, 1, __ATOMIC_SEQ_CST);
        return;
    }
    uint64_t t0 = now_ns();
    uint32_t last = section_last;
    __atomic_store_n(&section_count, 0, __ATOMIC_RELEASE);
    for (uint32_t j = 0; j < last; j++) {
        uintptr_t page = section_pages[j];
        int i = page ? find_range(page) : -1;
        if (i >= 0) snapshot(&ranges[i], (page - ranges[i].start) / PAGE, page);
    }
    if (scan_inside_region(PM_SCAN_WP_MATCHING_, snapshot_pages) != 0)
        cape_die("PAGEMAP_SCAN failed at the start of a critical, ordered or locked section (set CAPE_TRACKER=mprotect)");
    /* Compared ranges have no record of what was written since the last scan: all their pages are
       taken as they are now. */
    for (uint32_t i = 0; i < nranges; i++)
        if (compared(&ranges[i])) snapshot_pages(&ranges[i], ranges[i].start, ranges[i].end, 0);
    __atomic_store_n(&section_active, 1, __ATOMIC_SEQ_CST);
    stat_ns += now_ns() - t0;
}

static void section_pages_found(cape_range_t *r, uintptr_t s, uintptr_t e, uint64_t cat) {
    (void)cat;
    for (uintptr_t p = s; p < e; p += PAGE) {
        uint64_t idx = (p - r->start) / PAGE;
        const uint8_t *old = section_start_content(r, p);
        uint32_t st = mark_dirty(r, idx, p, SCANNED);
        r->state[idx] = st & ~SNAP;   /* the snapshot is old now; the next section takes a new one */
        section_record(p, old);
    }
}

static uint32_t uffd_section_end(void) {
    uint64_t t0 = now_ns();
    if (scan_inside_region(PM_SCAN_WP_MATCHING_, section_pages_found) != 0)
        cape_die("PAGEMAP_SCAN failed at the end of a critical, ordered or locked section (set CAPE_TRACKER=mprotect)");
    /* A compared page is the section's when it differs from its content at the section's start:
       the snapshot, or in flush mode the shadow (which holds what was last published). */
    for (uint32_t i = 0; i < nranges; i++) {
        cape_range_t *r = &ranges[i];
        if (!compared(r)) continue;
        for (uintptr_t p = r->start; p < r->end; p += PAGE)
            if (page_differs(r, p, section_start_content(r, p))) section_pages_found(r, p, p + PAGE, 0);
    }
    stat_ns += now_ns() - t0;
    return section_count;
}

static uint8_t *uffd_writable_twin(cape_range_t *r, uint64_t idx, uintptr_t page, uint8_t **second) {
    uint32_t s = r->state[idx];
    if (s & SNAP) *second = twin_of(s);
    return shadow_page(page);
}

/* After the exchange: pages a scan in the region protected again hold content newer than their
   shadow and will not show as written at the next arming. Only the dirty pages' state words were
   set: they are cleared here, so that a scan that keeps the ranges need not clear all of them. */
static void uffd_reset(void) {
    uint64_t t0 = now_ns();
    uint64_t n = dirty_count < twin_cap ? dirty_count : twin_cap;
    for (uint64_t i = 0; i < n; i++) {
        uintptr_t page = dirty_pages[i];
        int k = find_range(page);
        if (k < 0) continue;
        uint32_t *state = &ranges[k].state[(page - ranges[k].start) / PAGE];
        if (scanned_any && (*state & SCANNED)) memcpy(shadow_page(page), (const void *)page, PAGE);
        *state = 0;
    }
    scanned_any = 0;
    if (collected) choose_hot_pages();
    collected = 0;
    stat_ns += now_ns() - t0;
}

int cape_tracker_use_uffd(void *shadow, size_t shadow_bytes) {
    int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
    if (fd < 0) { snprintf(err, sizeof err, "userfaultfd: %s", strerror(errno)); return -1; }
    struct uffdio_api api = { .api = UFFD_API, .features = CAPE_UFFD_WP_ASYNC | CAPE_UFFD_WP_UNPOPULATED };
    if (ioctl(fd, UFFDIO_API, &api) != 0) {
        snprintf(err, sizeof err, "userfaultfd has no asynchronous write protection (Linux >= 6.7 has it): %s", strerror(errno));
        close(fd);
        return -1;
    }
    int pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    if (pm < 0) { snprintf(err, sizeof err, "/proc/self/pagemap: %s", strerror(errno)); close(fd); return -1; }
    /* Try it on a scratch mapping: protect, write one page, expect exactly that page back. */
    uint8_t *m = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int ok = 0;
    if (m != MAP_FAILED) {
        memset(m, 1, 4 * PAGE);
        struct uffdio_register reg = { .range = { (uintptr_t)m, 4 * PAGE }, .mode = UFFDIO_REGISTER_MODE_WP };
        struct cape_page_region v[4];
        struct cape_pm_scan_arg a = {
            .size = sizeof a, .flags = PM_SCAN_WP_MATCHING_ | PM_SCAN_CHECK_WPASYNC_, .start = (uintptr_t)m,
            .end = (uintptr_t)m + 4 * PAGE, .vec = (uintptr_t)v, .vec_len = 4,
            .category_mask = PAGE_IS_WRITTEN_, .return_mask = PAGE_IS_WRITTEN_,
        };
        if (ioctl(fd, UFFDIO_REGISTER, &reg) == 0 && ioctl(pm, CAPE_PAGEMAP_SCAN, &a) >= 0) {
            m[2 * PAGE + 5] = 7;
            a.walk_end = 0;
            long n = ioctl(pm, CAPE_PAGEMAP_SCAN, &a);
            ok = n == 1 && v[0].start == (uintptr_t)m + 2 * PAGE && v[0].end == (uintptr_t)m + 3 * PAGE;
        }
        munmap(m, 4 * PAGE);
    }
    if (!ok) {
        snprintf(err, sizeof err, "PAGEMAP_SCAN with userfaultfd write protection does not work here (Linux >= 6.7 has it)");
        close(pm); close(fd);
        return -1;
    }
    uffd = fd;
    pagemap_fd = pm;
    shadow_base = shadow;
    shadow_chunks = shadow_bytes / CHUNK;
    /* No MADV_HUGEPAGE on the shadow: with the usual defrag=madvise, a huge page fault compacts
       memory synchronously, and the first arming of a matrix product at n = 1600 (61 MB copied into
       the shadow) took 170-206 ms with huge pages against 43-46 ms with 4 KiB pages here. */
    if (shadow_chunks > DIR_SIZE / 2) shadow_chunks = DIR_SIZE / 2;
    backend = CAPE_TRACKER_UFFD;
    return 0;
}

/* Sets (mode UFFDIO_WRITEPROTECT_MODE_WP) or clears (0) the protection of the scanned ranges'
   part of [start, end). */
static void write_protect_span(uintptr_t start, uintptr_t end, uint64_t mode) {
    if (backend != CAPE_TRACKER_UFFD || uffd < 0) return;
    for (uint32_t i = first_range_after(start); i < nranges && ranges[i].start < end; i++) {
        cape_range_t *r = &ranges[i];
        if (compared(r)) continue;
        uintptr_t s = start > r->start ? start : r->start, e = end < r->end ? end : r->end;
        struct uffdio_writeprotect wp = { .range = { s, e - s }, .mode = mode };
        if (ioctl(uffd, UFFDIO_WRITEPROTECT, &wp) != 0 && mode != 0)
            cape_die("userfaultfd could not protect memory again after applying diffs (set CAPE_TRACKER=mprotect)");
        /* Clearing may fail harmlessly: it only costs the faults it would have spared. */
    }
}

/* Before the other ranks' diffs are written into [start, end): with the uffd backend the pages are
   still write-protected, and a write would fault once per page; clearing the protection of the
   whole span is one call. */
void cape_tracker_before_write(uintptr_t start, uintptr_t end) { write_protect_span(start, end, 0); }

/* Applying diffs into the shadow as well as into memory, and protecting the pages again after,
   spares the next arming a copy of every page the other ranks wrote (0.8 us a page, the larger
   part of what arming cost in a region with many dirty pages). It is exact because a page of a
   span is write-protected with shadow equal to memory when the diffs come: the sync point's scan
   protected the pages this rank wrote and the encoder brought their shadow up to date; the section
   log's catch-up writes memory and shadow alike (cape_tracker_writable_twin); pages a section's
   scan protected (SCANNED) are copied to the shadow by the reset after the exchange; and region
   heap memory committed for another rank's growth lies outside the ranges until the next arming
   registers it, and all its pages then read as written. A rank that ran no thread of the region
   (or did not track it) made no such scan: its memory holds writes the next arming must find, and
   nothing is protected again.

   At a barrier a span of at most SMALL_SPAN pages stays writable: the arming after a barrier does
   not scan (cape_tracker_rearm), so its pages only read as written at the next collection, where
   the encoder compares them with their shadow (about 0.3 us a page) and finds them unchanged, and
   that scan protects them again. One call less saved about 2 us of a barrier of bench/barrier.c
   (one page from the other rank: 16.4-16.5 us against 14.4-14.8 us, 5 alternating runs). Clearing
   the protection before the write stays: letting the write fault instead gained nothing. At a
   region's end the next arming copies every written page to the shadow (0.8 us a page), so there
   the span is protected again whatever its size. */
#define SMALL_SPAN 4u
void cape_tracker_after_write(uintptr_t start, uintptr_t end, int barrier) {
    if (!collected || (barrier && end - start <= SMALL_SPAN * PAGE)) return;
    write_protect_span(start, end, UFFDIO_WRITEPROTECT_MODE_WP);
}

/* Walks [s, e) in pieces that each lie in one tracked range and one 2 MiB chunk of it (the shadow
   is contiguous within a chunk), or between ranges: `piece` gets each with its shadow, or NULL
   where it has none (untracked memory, compared ranges, which the arming copies whole). */
static void for_each_shadow_piece(uintptr_t s, uintptr_t e, void (*piece)(uintptr_t s, uintptr_t e, uint8_t *shadow, void *ctx),
                                  void *ctx) {
    while (s < e) {
        uint32_t i = first_range_after(s);
        uintptr_t end = e;
        uint8_t *shadow = NULL;
        if (i < nranges && ranges[i].start <= s) {
            if (ranges[i].end < end) end = ranges[i].end;
            if (!compared(&ranges[i])) {
                uintptr_t ce = (s / CHUNK + 1) * CHUNK;
                if (ce < end) end = ce;
                shadow = shadow_page(s & ~(uintptr_t)(PAGE - 1)) + (s & (PAGE - 1));
            }
        } else if (i < nranges && ranges[i].start < end) {
            end = ranges[i].start;
        }
        piece(s, end, shadow, ctx);
        s = end;
    }
}

struct run_source { const uint64_t *src; const uint8_t *mask; };

static void apply_piece(uintptr_t s, uintptr_t e, uint8_t *shadow, void *ctx) {
    struct run_source *r = ctx;
    size_t n = (e - s) / 8;
    if (shadow) cape_codec_blend_twice((uint64_t *)s, (uint64_t *)shadow, r->src, r->mask, n);
    else cape_codec_blend((uint64_t *)s, r->src, r->mask, n);
    r->src += n;
    r->mask += n;
}

/* Writes a run of another rank's diff (`words` words at `addr`, their bytes in src, byte masks in
   mask) into memory, and with the uffd tracker into the shadow in the same pass where the page has
   one: cape_tracker_after_write says why the shadow then stays equal to memory. */
void cape_tracker_apply_run(uintptr_t addr, const uint64_t *src, const uint8_t *mask, size_t words) {
    if (backend != CAPE_TRACKER_UFFD || !collected) { cape_codec_blend((uint64_t *)addr, src, mask, words); return; }
    struct run_source r = { src, mask };
    for_each_shadow_piece(addr, addr + words * 8, apply_piece, &r);
}

static void copy_piece(uintptr_t s, uintptr_t e, uint8_t *shadow, void *ctx) {
    (void)ctx;
    if (shadow) memcpy(shadow, (const void *)s, e - s);
}

/* [start, end) was just written with another rank's diff, and its shadow equalled memory before:
   the same bytes go to the shadow (a copy of the run's words, not a second blend of its masks). */
void cape_tracker_applied(uintptr_t start, uintptr_t end) {
    if (backend != CAPE_TRACKER_UFFD || !collected) return;
    for_each_shadow_piece(start, end, copy_piece, NULL);
}
