/* The region heap: memory that the program's threads allocate inside a distributed region.
 *
 * glibc's heap must evolve identically on every rank, but inside a region each rank runs different
 * iterations, so its threads would allocate different things in different orders. Instead, a thread
 * inside a region allocates from a heap of its own, at addresses no other thread of the job uses:
 * slot (rank, local thread) owns one window of a reservation made at start on every rank.
 *
 *  - The bookkeeping (bump pointer, committed size, free lists) of every slot lives in a header
 *    area that is ordinary tracked memory, and the blocks too: the exchange at the end of the region
 *    replicates both, so every rank leaves the region with the same heaps and the same contents.
 *  - A window grows by committing 2 MiB steps (PROT_NONE to read-write). Those pages are not
 *    tracked in the region that commits them: the rank sends them whole (as a diff against zeros)
 *    and the others commit the same range before applying it.
 *  - A thread frees a block of its own slot at once. A free of any other memory inside a region
 *    (glibc's heap, another slot) is deferred: every rank applies all deferred frees after the
 *    exchange, in rank order, so glibc's heap and the other slots change identically everywhere.
 *  - In sequential code, blocks of the region heap are freed into their slot (every rank does the
 *    same) and new memory comes from glibc as usual.
 *
 * C because it is called from malloc and free. */
#define _GNU_SOURCE
#include "cape_shim.h"
#include "blocks.h"
#include <errno.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>

#define MAGIC 0xC4E5u
#define STEP ((uintptr_t)2 << 20)
#define MAX_PENDING 65536

typedef struct slot_header {
    uint64_t top;        /* next free byte of the window (offset) */
    uint64_t committed;  /* bytes of the window that are read-write */
    uint64_t free_list[NCLASS];
    uint64_t pad[128 - 2 - NCLASS];
} slot_header_t; /* 1 KiB: the header area is tracked memory, and every sync point scans all of it */


static uintptr_t base, extra_start, rw_end, windows, end_all;
static uintptr_t window_bytes;
static int nslots, rank_, per_rank;
static volatile int active;

static volatile int pending_lock;
static uint64_t commits[MAX_PENDING * 2];
static uint32_t ncommits;
static uint64_t frees[MAX_PENDING];
static uint32_t nfrees;

static inline void plock(void) {
    while (__atomic_exchange_n(&pending_lock, 1, __ATOMIC_ACQUIRE))
        while (__atomic_load_n(&pending_lock, __ATOMIC_RELAXED)) sched_yield();
}
static inline void punlock(void) { __atomic_store_n(&pending_lock, 0, __ATOMIC_RELEASE); }

static slot_header_t *header(int slot) { return (slot_header_t *)(base + (uintptr_t)slot * sizeof(slot_header_t)); }
static uintptr_t window(int slot) { return windows + (uintptr_t)slot * window_bytes; }

#define PAGE_ROUND(x) (((x) + 4095) & ~(uintptr_t)4095)

/* The read-write part: the slots' headers, then `extra` bytes for the caller (TeamBlocks). */
static size_t rw_bytes(int ranks, int threads_per_rank, size_t extra) {
    return PAGE_ROUND((size_t)ranks * (size_t)threads_per_rank * sizeof(slot_header_t)) + PAGE_ROUND(extra);
}

size_t cape_rheap_bytes(int ranks, int threads_per_rank, size_t window, size_t extra) {
    size_t slots = (size_t)ranks * (size_t)threads_per_rank;
    size_t h = (rw_bytes(ranks, threads_per_rank, extra) + STEP - 1) & ~(STEP - 1);
    return h + slots * window;
}

/* `at` is a PROT_NONE reservation of cape_rheap_bytes(); the header area and the extra bytes after
   it become read-write (one mapping, so one tracked range); the windows start at the next 2 MiB. */
int cape_rheap_init(void *at, int ranks, int threads_per_rank, size_t window, size_t extra, int rank) {
    nslots = ranks * threads_per_rank;
    per_rank = threads_per_rank;
    window_bytes = window;
    rank_ = rank;
    base = (uintptr_t)at;
    size_t rw = rw_bytes(ranks, threads_per_rank, extra);
    extra_start = base + PAGE_ROUND((uintptr_t)nslots * sizeof(slot_header_t));
    rw_end = base + rw;
    windows = base + ((rw + STEP - 1) & ~(STEP - 1));
    end_all = windows + (uintptr_t)nslots * window_bytes;
    return mprotect(at, rw, PROT_READ | PROT_WRITE);
}

void *cape_rheap_extra(void) { return (void *)extra_start; }

/* The read-write area (the slots' headers and the extra bytes) is tracked memory, and scanning it
   at every sync point cost a good part of a small one (6 alternating runs on a busy machine,
   medians: bench/barrier.c 22.7 against 19.6 us a barrier, 10.1 against 8.8 us an empty one, an
   empty region 19 against 13.3 us). Only two things write it that a sync point must
   send: the allocator, on a header (slot_alloc, slot_free), and the program, in a block that
   TeamBlocks handed out in this region (the extra bytes are pinned until the region's end). Every
   other write there is the same on every rank (deferred frees applied after an exchange, the blocks
   zeroed after a region) or was applied from another rank's diff with the shadow kept equal: none
   needs to travel, and a page so written that no scan listed reads as written at the next one. */
static volatile int area_written = 1, area_pinned;

void cape_rheap_area(uintptr_t *start, uintptr_t *end) {
    *start = base;
    *end = rw_end;
}

void cape_rheap_pin_extra(int on) { __atomic_store_n(&area_pinned, on, __ATOMIC_RELEASE); }

int cape_rheap_take_area_written(void) {
    int w = __atomic_exchange_n(&area_written, 0, __ATOMIC_ACQ_REL);
    return w || __atomic_load_n(&area_pinned, __ATOMIC_ACQUIRE);
}

/* Looked at first: threads allocating at once would otherwise all write the one line. */
static inline void note_header_write(void) {
    if (!__atomic_load_n(&area_written, __ATOMIC_RELAXED)) __atomic_store_n(&area_written, 1, __ATOMIC_RELEASE);
}

void cape_rheap_set_active(int on) { __atomic_store_n(&active, on, __ATOMIC_RELEASE); }
int cape_rheap_active(void) { return active; }

int cape_rheap_owns(const void *p) {
    uintptr_t a = (uintptr_t)p;
    return base && a >= windows && a < end_all;
}

static int slot_of_thread(void) {
    int local = cape_self()->local_index;
    if (local < 0) local = 0;
    return rank_ * per_rank + local;
}

static void record_commit(uintptr_t s, uintptr_t e) {
    plock();
    if (ncommits >= MAX_PENDING) { punlock(); cape_die("too many heap growths in one region (allocate larger blocks)"); }
    commits[2 * ncommits] = s;
    commits[2 * ncommits + 1] = e;
    ncommits++;
    punlock();
}

static void *slot_alloc(size_t n, size_t align) {
    int slot = slot_of_thread();
    slot_header_t *h = header(slot);
    note_header_write();
    size_t need = n + (align > 16 ? align + HDR : 0);
    size_t cap;
    unsigned c = class_of(need, &cap);
    if (c >= NCLASS) { errno = ENOMEM; return NULL; }
    uintptr_t block;
    if (h->free_list[c]) {
        block = (uintptr_t)h->free_list[c] - HDR;
        h->free_list[c] = *(uint64_t *)(block + HDR);
    } else {
        if (h->top + HDR + cap > window_bytes) {
            cape_die("a thread allocated more than its region-heap window inside parallel regions (free memory inside "
                     "the region or allocate it before)");
        }
        block = window(slot) + h->top;
        uintptr_t need_end = h->top + HDR + cap;
        if (need_end > h->committed) {
            uintptr_t grow = (need_end + STEP - 1) & ~(STEP - 1);
            uintptr_t s = window(slot) + h->committed, e = window(slot) + grow;
            if (mprotect((void *)s, e - s, PROT_READ | PROT_WRITE) != 0) cape_die("cannot grow the region heap (mprotect failed)");
            record_commit(s, e);
            h->committed = grow;
        }
        h->top += HDR + cap;
        hdr_t *hd = (hdr_t *)block;
        hd->cls = c; hd->magic = MAGIC; hd->back = 0;
    }
    uintptr_t p = block + HDR;
    return align > 16 ? block_align(p, align, c, MAGIC) : (void *)p;
}

static hdr_t *header_of(void *p, uintptr_t *payload) {
    hdr_t *h = block_header(p, payload);
    if (h->magic != MAGIC) cape_die("free() of a pointer that the region heap did not hand out (heap corruption?)");
    return h;
}

static void slot_free(void *p) {
    uintptr_t payload;
    hdr_t *h = header_of(p, &payload);
    int slot = (int)(((uintptr_t)p - windows) / window_bytes);
    slot_header_t *sh = header(slot);
    note_header_write();
    *(uint64_t *)payload = sh->free_list[h->cls];
    sh->free_list[h->cls] = payload;
}

size_t cape_rheap_usable(void *p) { return block_usable(p); }

void *cape_rheap_alloc(size_t n, size_t align) { return slot_alloc(n, align); }

/* free() of `p` by a program thread inside a region: at once for its own slot, else deferred. */
void cape_rheap_free(void *p, int is_rheap) {
    if (is_rheap && (int)(((uintptr_t)p - windows) / window_bytes) == slot_of_thread()) {
        slot_free(p);
        return;
    }
    plock();
    if (nfrees >= MAX_PENDING) { punlock(); cape_die("too many frees of shared memory in one region (free it after the region)"); }
    frees[nfrees++] = (uint64_t)(uintptr_t)p;
    punlock();
}

/* Sequential code: a region-heap block goes back to its slot. */
void cape_rheap_free_now(void *p) { slot_free(p); }

uint32_t cape_rheap_take_commits(const uint64_t **pairs) {
    uint32_t n = ncommits;
    ncommits = 0;
    *pairs = commits;
    return n;
}

uint32_t cape_rheap_take_frees(const uint64_t **ptrs) {
    uint32_t n = nfrees;
    nfrees = 0;
    *ptrs = frees;
    return n;
}

/* Another rank grew a window: commit the same range here before its diff is applied. */
int cape_rheap_commit(uintptr_t s, uintptr_t e) {
    if (s < windows || e > end_all || s >= e) return -1;
    return mprotect((void *)s, e - s, PROT_READ | PROT_WRITE);
}
