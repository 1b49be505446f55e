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

__thread cape_thread_t cape_self_tls __attribute__((tls_model("initial-exec"))) = {0, 0, 1, 0, 0, -1, 0, 1};
cape_thread_t *cape_self(void) { return &cape_self_tls; }

/* Size classes: 16-byte steps up to 1 KiB, then powers of two. A block is a 16-byte header and
   the payload; free blocks of a class form a list through their payload. */
#define NCLASS 96
#define HDR 16u
#define MAGIC 0xCA9Eu

typedef struct hdr { uint32_t cls; uint32_t magic; uint64_t back; } hdr_t; /* back: bytes to the block start */

static uintptr_t arena_base, arena_end, arena_top;
static void *free_list[NCLASS];
static volatile int arena_lock;

static inline void lock(void) {
    while (__atomic_exchange_n(&arena_lock, 1, __ATOMIC_ACQUIRE)) {
        while (__atomic_load_n(&arena_lock, __ATOMIC_RELAXED)) sched_yield();
    }
}
static inline void unlock(void) { __atomic_store_n(&arena_lock, 0, __ATOMIC_RELEASE); }

static unsigned class_of(size_t n, size_t *cap) {
    if (n <= 1024) {
        size_t c = (n + 15) / 16; if (c == 0) c = 1;
        *cap = c * 16;
        return (unsigned)(c - 1); /* 0..63 */
    }
    unsigned k = 11; /* 2048 */
    while (((size_t)1 << k) < n) k++;
    *cap = (size_t)1 << k;
    return 64 + (k - 11);
}
static size_t class_cap(unsigned c) { return c < 64 ? (size_t)(c + 1) * 16 : (size_t)1 << (c - 64 + 11); }

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

static hdr_t *header_of(void *p) {
    hdr_t *h = (hdr_t *)((uintptr_t)p - HDR);
    if (h->back) h = (hdr_t *)((uintptr_t)p - HDR - h->back);
    return h;
}

static void arena_free(void *p) {
    hdr_t *h = header_of(p);
    if (h->magic != MAGIC) cape_die("the runtime arena is corrupted (free of a foreign pointer; please report)");
    void *payload = (void *)((uintptr_t)h + HDR);
    lock();
    *(void **)payload = free_list[h->cls];
    free_list[h->cls] = payload;
    unlock();
}

static size_t arena_usable(void *p) {
    hdr_t *h = header_of(p);
    uintptr_t payload = (uintptr_t)h + HDR;
    return class_cap(h->cls) - ((uintptr_t)p - payload);
}

static void *arena_memalign(size_t align, size_t n) {
    if (align <= 16) return arena_alloc(n);
    uint8_t *raw = arena_alloc(n + align + HDR);
    if (!raw) return NULL;
    uintptr_t a = ((uintptr_t)raw + HDR + align - 1) & ~(uintptr_t)(align - 1);
    hdr_t *h = (hdr_t *)(a - HDR);
    h->cls = 0; h->magic = MAGIC; h->back = (uint64_t)(a - (uintptr_t)raw);
    return (void *)a;
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
    if (cape_arena_owns(p)) return arena_usable(p);
    if (cape_rheap_owns(p)) return cape_rheap_usable(p);
    return libc_usable_size ? libc_usable_size(p) : 0;
}

void *realloc(void *p, size_t n) {
    if (!p) return malloc(n);
    if (cape_arena_owns(p)) {
        size_t have = arena_usable(p);
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
