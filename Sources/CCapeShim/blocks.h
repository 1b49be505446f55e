/* The block layout shared by libcape's two allocators (the runtime arena in alloc.c and the region
 * heap in regionheap.c): size classes of 16-byte steps up to 1 KiB, then powers of two; a block is
 * a 16-byte header and its payload; free blocks of a class form a list through their payload. An
 * aligned allocation places a second header right below the aligned address, whose `back` leads
 * to the payload. */
#ifndef CAPE_BLOCKS_H
#define CAPE_BLOCKS_H

#include <stddef.h>
#include <stdint.h>

#define NCLASS 96
#define HDR 16u

typedef struct hdr { uint32_t cls; uint32_t magic; uint64_t back; } hdr_t; /* back: bytes to the payload */

static inline unsigned class_of(size_t n, size_t *cap) {
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

static inline size_t class_cap(unsigned c) { return c < 64 ? (size_t)(c + 1) * 16 : (size_t)1 << (c - 64 + 11); }

/* The block header of a pointer handed out (aligned or not); *payload receives the block's payload. */
static inline hdr_t *block_header(void *p, uintptr_t *payload) {
    hdr_t *h = (hdr_t *)((uintptr_t)p - HDR);
    uintptr_t pl = (uintptr_t)p - h->back;
    if (h->back) h = (hdr_t *)(pl - HDR);
    *payload = pl;
    return h;
}

/* Bytes usable at p. */
static inline size_t block_usable(void *p) {
    uintptr_t payload;
    hdr_t *h = block_header(p, &payload);
    return class_cap(h->cls) - ((uintptr_t)p - payload);
}

/* The aligned address inside a payload allocated with align + HDR spare bytes. */
static inline void *block_align(uintptr_t payload, size_t align, unsigned cls, uint32_t magic) {
    uintptr_t a = (payload + HDR + align - 1) & ~(uintptr_t)(align - 1);
    hdr_t *h = (hdr_t *)(a - HDR);
    h->cls = cls; h->magic = magic; h->back = a - payload;
    return (void *)a;
}

#endif
