/* Allocation routing: the runtime's own malloc calls (Swift runtime included) never touch the
 * program's heap.
 *
 * Why: diffs carry raw addresses, so every rank's heap must evolve identically. The runtime's
 * allocations depend on the rank (ranks hold different numbers of local threads, rank 0 writes
 * output), so a thread running runtime code (cape_self()->rt_depth > 0) allocates from an arena
 * reserved at start, which is never tracked. Everything else goes to glibc. free/realloc decide by
 * address, so a block may be released from any thread.
 *
 * C because malloc must be interposed under its own name and must not recurse into Swift. */
#define _GNU_SOURCE
#include "cape_shim.h"
#include "blocks.h"
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sched.h>

extern void *__libc_malloc(size_t);
extern void __libc_free(void *);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
#include <dlfcn.h>
static size_t (*libc_usable_size)(void *);

__thread cape_thread_t cape_self_tls __attribute__((tls_model("initial-exec"))) = {0, 0, 1, 0, 0, -1, 0, 1, NULL, 0};
cape_thread_t *cape_self(void) { return &cape_self_tls; }

#define MAGIC 0xCA9Eu

static uintptr_t arena_base, arena_end, arena_top;
static void *free_list[NCLASS];
static volatile int arena_lock;

static inline void lock(void) {
    while (__atomic_exchange_n(&arena_lock, 1, __ATOMIC_ACQUIRE)) {
        while (__atomic_load_n(&arena_lock, __ATOMIC_RELAXED)) sched_yield();
    }
}
static inline void unlock(void) { __atomic_store_n(&arena_lock, 0, __ATOMIC_RELEASE); }

void cape_arena_init(void *base, size_t size) {
    arena_base = arena_top = (uintptr_t)base;
    arena_end = arena_base + size;
    libc_usable_size = (size_t (*)(void *))dlsym(RTLD_NEXT, "malloc_usable_size");
}

int cape_arena_owns(const void *p) {
    uintptr_t a = (uintptr_t)p;
    return a >= arena_base && a < arena_end;
}

static void *arena_alloc(size_t n) {
    size_t cap;
    unsigned c = class_of(n, &cap);
    if (c >= NCLASS) return NULL;
    lock();
    void *p = free_list[c];
    if (p) {
        free_list[c] = *(void **)p;
    } else {
        uintptr_t b = arena_top;
        if (b + HDR + cap > arena_end) { unlock(); return NULL; }
        arena_top = b + HDR + cap;
        hdr_t *h = (hdr_t *)b;
        h->cls = c; h->magic = MAGIC; h->back = 0;
        p = (void *)(b + HDR);
    }
    unlock();
    return p;
}

static void arena_free(void *p) {
    uintptr_t pl;
    hdr_t *h = block_header(p, &pl);
    if (h->magic != MAGIC) cape_die("the runtime arena is corrupted (free of a foreign pointer; please report)");
    void *payload = (void *)pl;
    lock();
    *(void **)payload = free_list[h->cls];
    free_list[h->cls] = payload;
    unlock();
}

static void *arena_memalign(size_t align, size_t n) {
    if (align <= 16) return arena_alloc(n);
    uint8_t *raw = arena_alloc(n + align + HDR);
    if (!raw) return NULL;
    return block_align((uintptr_t)raw, align, 0, MAGIC);
}

static inline int runtime_thread(void) { return cape_self_tls.rt_depth > 0 && arena_base != 0; }
/* A program thread inside a distributed region: its memory comes from the region heap. */
static inline int region_thread(void) { return cape_self_tls.rt_depth == 0 && cape_rheap_active(); }

static void *oom(void) {
    cape_die("the runtime arena is exhausted (raise CAPE_ARENA_MB)");
}

void *malloc(size_t n) {
    if (runtime_thread()) { void *p = arena_alloc(n); return p ? p : oom(); }
    if (region_thread()) return cape_rheap_alloc(n, 16);
    return __libc_malloc(n);
}

void free(void *p) {
    if (!p) return;
    if (cape_arena_owns(p)) { arena_free(p); return; }
    int rheap = cape_rheap_owns(p);
    if (region_thread()) { cape_rheap_free(p, rheap); return; }
    if (rheap) { cape_rheap_free_now(p); return; }
    __libc_free(p);
}

void *calloc(size_t a, size_t b) {
    size_t n;
    if (__builtin_mul_overflow(a, b, &n)) { errno = ENOMEM; return NULL; }
    if (runtime_thread()) {
        void *p = arena_alloc(n);
        if (!p) return oom();
        memset(p, 0, n);
        return p;
    }
    if (region_thread()) {
        void *p = cape_rheap_alloc(n, 16);
        if (p) memset(p, 0, n);
        return p;
    }
    return __libc_calloc(a, b);
}

static size_t usable(void *p) {
    if (cape_arena_owns(p)) return block_usable(p);
    if (cape_rheap_owns(p)) return cape_rheap_usable(p);
    return libc_usable_size ? libc_usable_size(p) : 0;
}

void *realloc(void *p, size_t n) {
    if (!p) return malloc(n);
    if (cape_arena_owns(p)) {
        size_t have = block_usable(p);
        if (n <= have) return p;
        void *q = arena_alloc(n);
        if (!q) return oom();
        memcpy(q, p, have);
        arena_free(p);
        return q;
    }
    if (region_thread() || cape_rheap_owns(p)) {
        /* Never resized in place across heaps: a new block, a copy, and free() decides when the
           old one goes (deferred inside a region unless the thread owns it). */
        size_t have = usable(p);
        if (cape_rheap_owns(p) && n <= have) return p;
        if (n == 0) { free(p); return NULL; }
        void *q = malloc(n);
        if (!q) return NULL;
        memcpy(q, p, have < n ? have : n);
        free(p);
        return q;
    }
    return __libc_realloc(p, n);
}

static void *aligned(size_t align, size_t n) {
    if (runtime_thread()) return arena_memalign(align, n);
    if (region_thread()) return cape_rheap_alloc(n, align);
    return __libc_memalign(align, n);
}

int posix_memalign(void **out, size_t align, size_t n) {
    if (align < sizeof(void *) || (align & (align - 1))) return EINVAL;
    void *p = aligned(align, n);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}

void *aligned_alloc(size_t align, size_t n) { return aligned(align, n); }

void *memalign(size_t align, size_t n) { return aligned(align, n); }

void *valloc(size_t n) { return memalign(4096, n); }

void *pvalloc(size_t n) { return memalign(4096, (n + 4095) & ~(size_t)4095); }

size_t malloc_usable_size(void *p) {
    if (!p) return 0;
    return usable(p);
}
