/* What the ranks share: the one contract behind dynamic schedules, sections, ordered turns, locks,
 * critical sections and the section log.
 *
 * The state is one memory region, `CAPE_SHARED_BYTES` long, laid out below. It has one home: the
 * host of rank 0. There the ranks map one file of /dev/shm at the same address and operate on it
 * directly, with atomic instructions and futexes, as libgomp does on one machine. A rank on any
 * other host has no access to that memory: it sends each operation to the home through its proxy,
 * and the proxy of rank 0 performs it there with the very same functions (cape_shared_execute), so
 * the two implementations cannot drift apart. Ranks of the home host never pay for a message.
 *
 * Every operation is one `cape_shared_request_t` answered by two words. They are small and
 * stateless, so a remote rank's thread waits for one round trip and nothing is held on its behalf;
 * waiting (for a lock, an ordered turn) is a loop of attempts, with futex sleeps at home and
 * back-off elsewhere. The section log is the exception in size: an append carries the entry, and a
 * read copies the complete entries the reader has not seen into the reader's own copy of the log
 * (same offsets, so the log is read the same way on every host).
 *
 * Layout (offsets in bytes from the region's start):
 *   counters   2 banks x 512 slots x 64 bytes: word 0 the next iteration index, word 1 the ordered
 *              token (the first iteration index whose chunk may run its ordered blocks)
 *   locks      4096 entries x 16 bytes: key (u64, 0 = free entry), lock word (u32, 0 = free,
 *              else the holder's identity), nest count (u32)
 *   log tails  one u64 per log bank, in a page of its own; at byte 2048 of that page the stop word
 *              (u32, 0 until a rank of the home host stops the job: the one that sets it prints the
 *              job's `cape:` line, see cape_die)
 *   job clock  the readings of rank 0's clock that sequential code takes (see CAPE_SH_CLOCK_TAKE):
 *              a ring of CAPE_CLOCK_RING entries of 4 u64 (tag = (seq + 1) << 16 | clock id,
 *              seconds, nanoseconds, check = a hash of the other three), then from offset 4096 one u64 per rank: how many
 *              readings it has taken
 *   log banks  3 x 512 MiB of entries (sparse: memory is used as entries are written, and rank 0
 *              gives a bank's memory back before the bank is used again): stamp u64
 *              (magic | epoch << 32, written last), rank, diff
 *              bytes, stdout bytes, stderr bytes (u64 each), then the bytes, padded to 8
 *   exchange   when every rank runs on this one host, the sync points' segments travel here
 *              instead of through the proxies (cape_xchg_*): a page of control words (the count
 *              of arrivals, u64 at 0; sleepers, u32 at 64), then one 64-byte line per rank (the
 *              size of its segment, u64, per parity of the exchange number), then 2 parities x
 *              CAPE_XCHG_RANKS slots of CAPE_XCHG_SLOT_BYTES (sparse: pages are used as segments
 *              are written)
 */
#ifndef CAPE_SHARED_H
#define CAPE_SHARED_H

#include <stdint.h>

/* Plain numbers (Swift imports no macro arithmetic); the asserts below check them. */
#define CAPE_COUNTER_SLOTS 512u            /* per bank */
#define CAPE_COUNTER_SLOT_BYTES 64u
#define CAPE_COUNTERS_OFFSET 0u
#define CAPE_COUNTERS_BYTES 65536u
#define CAPE_LOCK_ENTRIES 4096u
#define CAPE_LOCKS_OFFSET 65536u
#define CAPE_LOCKS_BYTES 65536u
#define CAPE_LOG_TAILS_OFFSET 131072u
#define CAPE_STOP_WORD_OFFSET 133120u   /* CAPE_LOG_TAILS_OFFSET + 2048 */
#define CAPE_CLOCK_OFFSET 135168u
#define CAPE_CLOCK_BYTES 65536u
#define CAPE_CLOCK_RING 64u
#define CAPE_CLOCK_TAKEN_OFFSET 4096u      /* from CAPE_CLOCK_OFFSET */
#define CAPE_CLOCK_MAX_RANKS 7680u         /* (CAPE_CLOCK_BYTES - 4096) / 8 */
#define CAPE_LOG_BANKS_OFFSET 200704u
#define CAPE_LOG_BANK_BYTES 536870912u
#define CAPE_LOG_BANKS 3u
#define CAPE_LOG_ENTRY_HEADER 40u
#define CAPE_XCHG_OFFSET 1610813440u
#define CAPE_XCHG_RANKS 64u
#define CAPE_XCHG_CONTROL_BYTES 8192u
#define CAPE_XCHG_SLOT_BYTES 4194304u
#define CAPE_SHARED_BYTES 2147692544u

_Static_assert(CAPE_COUNTERS_BYTES == 2u * CAPE_COUNTER_SLOTS * CAPE_COUNTER_SLOT_BYTES, "counter banks");
_Static_assert(CAPE_LOCKS_OFFSET == CAPE_COUNTERS_OFFSET + CAPE_COUNTERS_BYTES, "lock table follows the counters");
_Static_assert(CAPE_LOCKS_BYTES == CAPE_LOCK_ENTRIES * 16u, "lock entries");
_Static_assert(CAPE_LOG_TAILS_OFFSET == CAPE_LOCKS_OFFSET + CAPE_LOCKS_BYTES, "log tails follow the locks");
_Static_assert(CAPE_CLOCK_OFFSET == CAPE_LOG_TAILS_OFFSET + 4096u, "the job clock follows the log tails' page");
_Static_assert(CAPE_STOP_WORD_OFFSET == CAPE_LOG_TAILS_OFFSET + 2048u, "the stop word shares the log tails' page");
_Static_assert(CAPE_CLOCK_RING * 32u <= CAPE_CLOCK_TAKEN_OFFSET, "clock ring");
_Static_assert(CAPE_CLOCK_TAKEN_OFFSET + CAPE_CLOCK_MAX_RANKS * 8u == CAPE_CLOCK_BYTES, "clock counters");
_Static_assert(CAPE_LOG_BANKS_OFFSET == CAPE_CLOCK_OFFSET + CAPE_CLOCK_BYTES, "log banks follow the job clock");
_Static_assert(CAPE_LOG_BANK_BYTES == 512u << 20, "512 MiB per log bank");
_Static_assert(CAPE_XCHG_OFFSET == CAPE_LOG_BANKS_OFFSET + CAPE_LOG_BANKS * CAPE_LOG_BANK_BYTES, "the exchange follows the log");
_Static_assert(4096u + CAPE_XCHG_RANKS * 64u <= CAPE_XCHG_CONTROL_BYTES, "exchange control words");
_Static_assert(CAPE_SHARED_BYTES == CAPE_XCHG_OFFSET + CAPE_XCHG_CONTROL_BYTES + 2ull * CAPE_XCHG_RANKS * CAPE_XCHG_SLOT_BYTES, "region size");

enum cape_shared_op {
    /* Dynamic schedules: a = counter offset, b = chunk. r0 = the counter before the add. */
    CAPE_SH_FETCH_ADD = 1,
    /* Guided schedules: a = counter offset, b = iterations, c = team size, d = minimum chunk.
       r0 = the first index claimed (UINT64_MAX when none is left), r1 = the end of the claim. */
    CAPE_SH_GUIDED = 2,
    /* a = offset of a u64. r0 = its value (acquire). */
    CAPE_SH_LOAD = 3,
    /* a = offset of a u64, b = value: store (release) and wake the home host's waiters. */
    CAPE_SH_STORE = 4,
    /* Locks, by key (the lock's address, the same on every rank). b = the caller's identity.
       r0 = 1 when the lock was free and is now the caller's. r1 = the holder afterwards. */
    CAPE_SH_LOCK_TRY = 5,
    /* a = key. Frees the lock and wakes the home host's waiters. */
    CAPE_SH_LOCK_RELEASE = 6,
    /* a = key. r0 = the lock word, r1 = the nest count. */
    CAPE_SH_LOCK_GET = 7,
    /* a = key, b = nest count to store. */
    CAPE_SH_LOCK_SET_COUNT = 8,
    /* a = key. The lock becomes free with a nest count of 0 (omp_init_lock, omp_destroy_lock). */
    CAPE_SH_LOCK_RESET = 9,
    /* Section log, a = bank, b = entry bytes (header included, padded to 8), c = stamp; the entry
       travels with the request. r0 = its offset in the bank, or UINT64_MAX when the bank is full
       (or the file system of the home memory, /dev/shm, nearly is). */
    CAPE_SH_LOG_APPEND = 10,
    /* a = bank, b = first offset the reader lacks, c = stamp of the current epoch. r0 = the end of
       the complete entries from b on (their bytes travel back with the answer), r1 = the tail. */
    CAPE_SH_LOG_READ = 11,
    /* Entering a section from another host in one round trip: LOCK_TRY of key a for identity b,
       and when it succeeds, LOG_READ of the epoch's bank (c = the epoch) from offset d.
       r0 = 0 when the lock is taken by another; else 1, plus 2 when the log is complete up to
       its tail; r1 = the end of the complete entries (their bytes travel back). */
    CAPE_SH_LOCK_ENTER = 12,
    /* Leaving one: LOG_APPEND of the entry (b bytes, c = the epoch) to the epoch's bank, then
       LOCK_RELEASE of key a. r0 = as LOG_APPEND. */
    CAPE_SH_APPEND_RELEASE = 13,
    /* The job clock: reading number a (from 0) of sequential code, by rank b, of clock c. When
       rank 0 has published it: r0 = seconds, r1 = nanoseconds, and rank b is counted as having
       taken it. r0 = UINT64_MAX: not published yet; UINT64_MAX - 1: rank 0's reading number a
       was of another clock (the ranks diverged). */
    CAPE_SH_CLOCK_TAKE = 14,
    /* A flush from another host in one round trip: LOG_APPEND of the entry (a = bank, b = bytes,
       c = stamp), then LOG_READ of the bank from offset d. r0 = the end of the complete entries
       from d on (their bytes travel back, the rank's own entry among them), r1 = the entry's
       offset, or UINT64_MAX as LOG_APPEND. */
    CAPE_SH_APPEND_READ = 15,
};

#define CAPE_LOG_MAGIC 0x43454353u /* "SCEC"; an entry's stamp is magic | epoch << 32 */

typedef struct cape_shared_request {
    uint32_t op;
    uint32_t slot;      /* which of the requesting rank's slots waits for the answer */
    uint64_t a, b, c, d;
} cape_shared_request_t;

typedef struct cape_shared_answer {
    uint64_t r0, r1;
} cape_shared_answer_t;

/* Performs one request on the region at `base`. `entry` is the log entry of CAPE_SH_LOG_APPEND.
   Returns 0, or -1 for an unknown operation or a full lock table (r0 = UINT64_MAX). */
int cape_shared_execute(void *base, const cape_shared_request_t *req, cape_shared_answer_t *ans, const void *entry);

/* The lock word and nest count of `key` in the lock table at `table` (CAPE_LOCKS_BYTES long: the
   region's, or sequential code's own), the entry created on first use; NULL when it is full. */
uint32_t *cape_shared_lock_word(void *table, uint64_t key);

/* The end of the complete log entries of `bank` from offset `from` up to at most `tail`. */
uint64_t cape_shared_log_complete(void *base, uint32_t bank, uint64_t from, uint64_t tail, uint64_t stamp);

/* The bytes of the region that travel back with an answer: 1 and the range [*offset, *offset +
   *length) from the region's start when there are some, else 0. Both proxies call it, rank 0's to
   send them and the asker's to receive them into its copy of the region at the same offsets.
   Log reads bring the complete entries; a clock take brings the whole ring, so that the asker
   finds the readings rank 0 has published since in its own copy (cape_shared_clock_copy). */
int cape_shared_answer_bytes(const cape_shared_request_t *req, const cape_shared_answer_t *ans,
                             uint64_t *offset, uint64_t *length);

/* Rank 0's side of the job clock: publishes its reading number `seq` of clock `clock` for
   `ranks` ranks. Returns 0, or -1 while the ring entry is still to be taken by some rank (retry). */
int cape_shared_clock_publish(void *base, uint64_t seq, uint64_t clock, int64_t sec, int64_t nsec, uint32_t ranks);

/* Away from rank 0's host: reading `seq` of clock `clock` from the rank's own copy of the ring
   (what the last CLOCK_TAKE brought). Returns 1 and the value, or 0 when the copy lacks it (an
   entry is checked whole, so one copied while rank 0 rewrote it is not taken). */
int cape_shared_clock_copy(const void *base, uint64_t seq, uint64_t clock, int64_t *sec, int64_t *nsec);

/* The exchange of one host (only when it runs every rank; see the layout). Exchange number `seq`
   counts from 1, the same on every rank; parity seq & 1 picks the slots, so a rank may write its
   next segment while a slow one still reads the last (it cannot run two exchanges ahead: each
   waits for every rank). */
/* This rank's slot for exchange `seq`. */
void *cape_xchg_slot(void *base, uint32_t rank, uint64_t seq);
/* Publishes the size of this rank's segment (UINT64_MAX: it does not fit its slot) after its
   bytes, and counts its arrival; wakes sleepers. */
void cape_xchg_post(void *base, uint32_t rank, uint64_t seq, uint64_t bytes);
/* Waits until all `ranks` ranks have posted exchange `seq`: `spins` checks, then futex sleeps of
   at most `timeout_ms`. Returns 0 when they have, -1 when a sleep timed out (check liveness, call
   again). */
int cape_xchg_wait(void *base, uint64_t seq, uint32_t ranks, int spins, int timeout_ms);
/* The size rank `rank` posted for exchange `seq`. */
uint64_t cape_xchg_size(const void *base, uint32_t rank, uint64_t seq);

/* Whether a request carries a log entry (it follows the request as a second message). */
static inline int cape_shared_carries_entry(uint32_t op) {
    return op == CAPE_SH_LOG_APPEND || op == CAPE_SH_APPEND_RELEASE || op == CAPE_SH_APPEND_READ;
}

#endif
