/* The operations on what the ranks share (contract: include/cape_shared.h). The same code runs in
 * the programs of the home host, on their mapping, and in rank 0's proxy for ranks elsewhere. */
#define _GNU_SOURCE
#include "cape_sys.h"
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <time.h>
#include <linux/futex.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The home memory is a file of /dev/shm, whose pages are allocated as the log grows: a write past
   the file system's end would be a SIGBUS. Each time the log of an epoch passes a multiple of
   64 MiB, the free space is checked; below 128 MiB the append fails as a full bank does. */
static int home_has_room(uint64_t start, uint64_t size) {
    const uint64_t step = 64ull << 20;
    if (start / step == (start + size) / step) return 1;
    struct statvfs v;
    if (statvfs("/dev/shm", &v) != 0) return 1;
    return (uint64_t)v.f_bavail * v.f_frsize >= 2 * step + size;
}

static uint64_t *word64(void *base, uint64_t offset) { return (uint64_t *)((char *)base + offset); }

uint32_t *cape_shared_lock_word(void *lock_table, uint64_t key) {
    uint64_t *table = lock_table;
    uint64_t h = key * 0x9E3779B97F4A7C15ull;
    h ^= h >> 29;
    uint64_t i = h % CAPE_LOCK_ENTRIES;
    for (uint32_t n = 0; n < CAPE_LOCK_ENTRIES; n++) {
        uint64_t *k = table + i * 2;
        uint64_t current = cape_load_acquire_u64(k);
        if (current == 0 && cape_cas_u64(k, &current, key)) current = key;
        if (current == key) return (uint32_t *)(k + 1);
        i = (i + 1) % CAPE_LOCK_ENTRIES;
    }
    return NULL;
}

uint64_t cape_shared_log_complete(void *base, uint32_t bank, uint64_t from, uint64_t tail, uint64_t stamp) {
    char *b = (char *)base + CAPE_LOG_BANKS_OFFSET + (uint64_t)bank * CAPE_LOG_BANK_BYTES;
    uint64_t at = from;
    while (at < tail) {
        uint64_t *e = (uint64_t *)(b + at);
        if (cape_load_acquire_u64(e) != stamp) break;
        at += (CAPE_LOG_ENTRY_HEADER + e[2] + e[3] + e[4] + 7) & ~7ull;
    }
    return at;
}

static uint64_t log_append(void *base, uint32_t bank, uint64_t size, uint64_t stamp, const void *entry) {
    uint64_t *tail = word64(base, CAPE_LOG_TAILS_OFFSET + (uint64_t)bank * 8);
    uint64_t start = cape_fetch_add_u64(tail, size);
    if (start + size > CAPE_LOG_BANK_BYTES || !home_has_room(start, size)) return UINT64_MAX;
    char *dst = (char *)base + CAPE_LOG_BANKS_OFFSET + (uint64_t)bank * CAPE_LOG_BANK_BYTES + start;
    memcpy(dst + 8, (const char *)entry + 8, size - 8);
    cape_store_release_u64((uint64_t *)dst, stamp);
    return start;
}

static uint64_t *clock_entry(void *base, uint64_t seq) {
    return word64(base, CAPE_CLOCK_OFFSET + (seq % CAPE_CLOCK_RING) * 32);
}

static uint64_t clock_check(uint64_t tag, uint64_t sec, uint64_t nsec) {
    uint64_t h = 0x9E3779B97F4A7C15ull;
    h = (h ^ tag) * 0xBF58476D1CE4E5B9ull;
    h = (h ^ sec) * 0x94D049BB133111EBull;
    h = (h ^ nsec) * 0xBF58476D1CE4E5B9ull;
    return h ^ (h >> 31);
}

static uint64_t *clock_taken(void *base, uint32_t rank) {
    return word64(base, CAPE_CLOCK_OFFSET + CAPE_CLOCK_TAKEN_OFFSET + (uint64_t)rank * 8);
}

int cape_shared_clock_publish(void *base, uint64_t seq, uint64_t clock, int64_t sec, int64_t nsec, uint32_t ranks) {
    if (seq >= CAPE_CLOCK_RING)
        for (uint32_t r = 1; r < ranks; r++)
            if (cape_load_acquire_u64(clock_taken(base, r)) < seq + 1 - CAPE_CLOCK_RING) return -1;
    uint64_t *e = clock_entry(base, seq), tag = (seq + 1) << 16 | (clock & 0xFFFF);
    e[1] = (uint64_t)sec;
    e[2] = (uint64_t)nsec;
    e[3] = clock_check(tag, e[1], e[2]);
    cape_store_release_u64(e, tag);
    return 0;
}

int cape_shared_clock_copy(const void *base, uint64_t seq, uint64_t clock, int64_t *sec, int64_t *nsec) {
    const volatile uint64_t *e = clock_entry((void *)base, seq);
    uint64_t tag = e[0], s = e[1], ns = e[2], check = e[3];
    if (tag != ((seq + 1) << 16 | (clock & 0xFFFF)) || check != clock_check(tag, s, ns)) return 0;
    *sec = (int64_t)s;
    *nsec = (int64_t)ns;
    return 1;
}

static void clock_take(void *base, uint64_t seq, uint32_t rank, uint64_t clock, cape_shared_answer_t *a) {
    uint64_t *e = clock_entry(base, seq);
    /* Asking for `seq` says the readings before it are taken (away from home, some were taken
       from the rank's copy of the ring): rank 0 may publish up to seq + CAPE_CLOCK_RING - 1. */
    cape_store_release_u64(clock_taken(base, rank), seq);
    uint64_t tag = cape_load_acquire_u64(e);
    if (tag >> 16 != seq + 1) { a->r0 = UINT64_MAX; return; }
    if ((tag & 0xFFFF) != (clock & 0xFFFF)) { a->r0 = UINT64_MAX - 1; return; }
    a->r0 = e[1];
    a->r1 = e[2];
    cape_store_release_u64(clock_taken(base, rank), seq + 1);
}

static uint64_t stamp_of(uint64_t epoch) { return CAPE_LOG_MAGIC | epoch << 32; }

static void log_read(void *base, uint32_t bank, uint64_t from, uint64_t stamp, cape_shared_answer_t *a) {
    uint64_t tail = cape_load_acquire_u64(word64(base, CAPE_LOG_TAILS_OFFSET + (uint64_t)bank * 8));
    a->r0 = cape_shared_log_complete(base, bank, from, tail, stamp);
    a->r1 = tail;
}

static uint64_t bank_offset(uint64_t bank) { return CAPE_LOG_BANKS_OFFSET + (bank % CAPE_LOG_BANKS) * CAPE_LOG_BANK_BYTES; }

int cape_shared_answer_bytes(const cape_shared_request_t *q, const cape_shared_answer_t *a,
                             uint64_t *offset, uint64_t *length) {
    if (q->op == CAPE_SH_LOG_READ && a->r0 > q->b) {
        *offset = bank_offset(q->a) + q->b; *length = a->r0 - q->b;
        return 1;
    }
    if (q->op == CAPE_SH_APPEND_READ && a->r0 > q->d) {
        *offset = bank_offset(q->a) + q->d; *length = a->r0 - q->d;
        return 1;
    }
    if (q->op == CAPE_SH_LOCK_ENTER && (a->r0 & 1) && a->r1 > q->d) {
        *offset = bank_offset(q->c) + q->d; *length = a->r1 - q->d;
        return 1;
    }
    if (q->op == CAPE_SH_CLOCK_TAKE && a->r0 < UINT64_MAX - 1) {
        *offset = CAPE_CLOCK_OFFSET; *length = CAPE_CLOCK_RING * 32;
        return 1;
    }
    return 0;
}

int cape_shared_execute(void *base, const cape_shared_request_t *q, cape_shared_answer_t *a, const void *entry) {
    a->r0 = 0;
    a->r1 = 0;
    switch (q->op) {
    case CAPE_SH_FETCH_ADD:
        a->r0 = cape_fetch_add_u64(word64(base, q->a), q->b);
        return 0;
    case CAPE_SH_GUIDED: {
        uint64_t *c = word64(base, q->a), n = q->b, nthr = q->c, chunk = q->d;
        uint64_t cur = cape_load_acquire_u64(c);
        for (;;) {
            if (cur >= n) { a->r0 = UINT64_MAX; return 0; }
            uint64_t left = n - cur, part = (left + nthr - 1) / nthr;
            if (part < chunk) part = chunk;
            uint64_t hi = part <= left ? cur + part : n;
            if (cape_cas_u64(c, &cur, hi)) { a->r0 = cur; a->r1 = hi; return 0; }
        }
    }
    case CAPE_SH_LOAD:
        a->r0 = cape_load_acquire_u64(word64(base, q->a));
        return 0;
    case CAPE_SH_STORE: {
        uint64_t *w = word64(base, q->a);
        cape_store_release_u64(w, q->b);
        cape_futex_wake((uint32_t *)w);
        return 0;
    }
    case CAPE_SH_LOCK_TRY:
    case CAPE_SH_LOCK_RELEASE:
    case CAPE_SH_LOCK_GET:
    case CAPE_SH_LOCK_SET_COUNT:
    case CAPE_SH_LOCK_RESET: {
        uint32_t *w = cape_shared_lock_word(word64(base, CAPE_LOCKS_OFFSET), q->a);
        if (!w) { a->r0 = UINT64_MAX; return -1; }
        switch (q->op) {
        case CAPE_SH_LOCK_TRY:
            a->r0 = (uint64_t)cape_cas_u32(w, 0, (uint32_t)q->b);
            a->r1 = cape_load_acquire_u32(w);
            break;
        case CAPE_SH_LOCK_RELEASE:
            cape_store_release_u32(w, 0);
            cape_futex_wake(w);
            break;
        case CAPE_SH_LOCK_GET:
            a->r0 = cape_load_acquire_u32(w);
            a->r1 = cape_load_acquire_u32(w + 1);
            break;
        case CAPE_SH_LOCK_SET_COUNT:
            cape_store_release_u32(w + 1, (uint32_t)q->b);
            break;
        default:
            cape_store_release_u32(w, 0);
            cape_store_release_u32(w + 1, 0);
        }
        return 0;
    }
    case CAPE_SH_LOG_APPEND:
        a->r0 = log_append(base, (uint32_t)q->a, q->b, q->c, entry);
        return 0;
    case CAPE_SH_LOG_READ:
        log_read(base, (uint32_t)q->a, q->b, q->c, a);
        return 0;
    case CAPE_SH_LOCK_ENTER: {
        uint32_t *w = cape_shared_lock_word(word64(base, CAPE_LOCKS_OFFSET), q->a);
        if (!w) { a->r0 = UINT64_MAX; return -1; }
        if (!cape_cas_u32(w, 0, (uint32_t)q->b)) return 0;
        cape_shared_answer_t log;
        log_read(base, (uint32_t)(q->c % CAPE_LOG_BANKS), q->d, stamp_of(q->c), &log);
        a->r0 = 1 | (log.r0 >= log.r1 ? 2 : 0);
        a->r1 = log.r0;
        return 0;
    }
    case CAPE_SH_APPEND_RELEASE: {
        uint32_t *w = cape_shared_lock_word(word64(base, CAPE_LOCKS_OFFSET), q->a);
        if (!w) { a->r0 = UINT64_MAX; return -1; }
        a->r0 = log_append(base, (uint32_t)(q->c % CAPE_LOG_BANKS), q->b, stamp_of(q->c), entry);
        cape_store_release_u32(w, 0);
        cape_futex_wake(w);
        return 0;
    }
    case CAPE_SH_APPEND_READ: {
        uint64_t start = log_append(base, (uint32_t)q->a, q->b, q->c, entry);
        cape_shared_answer_t log;
        log_read(base, (uint32_t)q->a, q->d, q->c, &log);
        a->r0 = log.r0;
        a->r1 = start;
        return 0;
    }
    case CAPE_SH_CLOCK_TAKE:
        if (q->b >= CAPE_CLOCK_MAX_RANKS) { a->r0 = UINT64_MAX; return -1; }
        clock_take(base, q->a, (uint32_t)q->b, q->c, a);
        return 0;
    default:
        a->r0 = UINT64_MAX;
        return -1;
    }
}

/* ---- the exchange of one host ---- */

static uint64_t *xchg_arrivals(void *base) { return word64(base, CAPE_XCHG_OFFSET); }
static uint32_t *xchg_sleepers(void *base) { return (uint32_t *)((char *)base + CAPE_XCHG_OFFSET + 64); }
static uint64_t *xchg_size_word(const void *base, uint32_t rank, uint64_t seq) {
    return (uint64_t *)((char *)base + CAPE_XCHG_OFFSET + 4096 + (uint64_t)rank * 64 + (seq & 1) * 8);
}

void *cape_xchg_slot(void *base, uint32_t rank, uint64_t seq) {
    return (char *)base + CAPE_XCHG_OFFSET + CAPE_XCHG_CONTROL_BYTES +
           ((seq & 1) * CAPE_XCHG_RANKS + rank) * (uint64_t)CAPE_XCHG_SLOT_BYTES;
}

uint64_t cape_xchg_size(const void *base, uint32_t rank, uint64_t seq) {
    return __atomic_load_n(xchg_size_word(base, rank, seq), __ATOMIC_ACQUIRE);
}

/* The arrival and the sleepers' count are a Dekker pair: each side writes its word and then reads
   the other's, both sequentially consistent, so a sleeper is either seen and woken or sees the
   arrival before it sleeps. */
void cape_xchg_post(void *base, uint32_t rank, uint64_t seq, uint64_t bytes) {
    __atomic_store_n(xchg_size_word(base, rank, seq), bytes, __ATOMIC_RELEASE);
    __atomic_fetch_add(xchg_arrivals(base), 1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(xchg_sleepers(base), __ATOMIC_SEQ_CST) != 0)
        syscall(SYS_futex, xchg_arrivals(base), FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

int cape_xchg_wait(void *base, uint64_t seq, uint32_t ranks, int spins, int timeout_ms) {
    uint64_t *arrivals = xchg_arrivals(base);
    const uint64_t target = seq * ranks;
    for (int i = 0; i < spins; i++) {
        if (__atomic_load_n(arrivals, __ATOMIC_ACQUIRE) >= target) return 0;
        cape_cpu_relax();
    }
    for (;;) {
        __atomic_fetch_add(xchg_sleepers(base), 1, __ATOMIC_SEQ_CST);
        uint64_t now = __atomic_load_n(arrivals, __ATOMIC_SEQ_CST);
        int timed_out = 0;
        if (now < target) {
            struct timespec ts = { timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L };
            /* The low half of the count (little-endian): it changes with every arrival. */
            long r = syscall(SYS_futex, arrivals, FUTEX_WAIT, (uint32_t)now, &ts, NULL, 0);
            timed_out = r == -1 && errno == ETIMEDOUT;
        }
        __atomic_fetch_sub(xchg_sleepers(base), 1, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(arrivals, __ATOMIC_ACQUIRE) >= target) return 0;
        if (timed_out) return -1;
    }
}
