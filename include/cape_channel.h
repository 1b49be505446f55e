/* The app <-> cape-proxy channel: the one contract between a rank's program and its MPI proxy.
 *
 * Both processes map the same memfd (MAP_SHARED). Its first CAPE_CHANNEL_CONTROL bytes hold
 * `cape_channel_t`; the rest is the data area, where the program writes its segment of an exchange
 * and the proxy appends the segments of the other ranks.
 *
 * Contract:
 *  - `request` is the proxy's doorbell: whoever wants its attention increments it (release) and
 *    wakes it with FUTEX_WAKE. The proxy sleeps on it with FUTEX_WAIT, so a computing rank keeps its
 *    core (when the proxy serves other hosts it also wakes on a timeout, see cape-proxy).
 *  - Main requests, one at a time (the exchanges, broadcasts, start and end): the program fills
 *    `op`, `arg0..2` and `len`, increments `main_seq`, then rings the doorbell.
 *  - The proxy answers by filling `status`, `len`, `result0..3` (and the data area), then increments
 *    `response` (release) and wakes it. The program sleeps on `response` with a timeout and checks,
 *    at every timeout, that the proxy process still lives.
 *  - `status` 0 is success; otherwise `message` holds a NUL-terminated reason that the program prints.
 *  - Shared-state requests (include/cape_shared.h) of a rank whose host is not rank 0's: one slot
 *    per local thread, so threads ask at once. The thread fills its slot's request, sets `state` to
 *    CAPE_SLOT_POSTED (release) and rings the doorbell; the proxy forwards it to rank 0's proxy,
 *    stores the answer and sets CAPE_SLOT_DONE (release, FUTEX_WAKE on `state`); the thread takes
 *    the answer and sets CAPE_SLOT_FREE. A log append's entry is at the start of the data area, a
 *    log read's bytes land in the rank's copy of the shared region. Main requests and slot requests
 *    of one rank never overlap: an exchange starts only when every local thread has arrived.
 *  - The proxy only moves bytes. It never interprets a segment beyond its first 16 bytes
 *    (magic, rank, total length).
 *  - The data area is sparse: memory is committed only where it is written.
 */
#ifndef CAPE_CHANNEL_H
#define CAPE_CHANNEL_H

#include <stdint.h>

#define CAPE_CHANNEL_CONTROL 16384u
#define CAPE_CHANNEL_SLOTS 66u /* the sequential main thread, then one per local thread */
/* Data bytes at the start of the channel that stay committed between exchanges (the program
   releases what an exchange used beyond them). */
#define CAPE_CHANNEL_KEEP (64u << 20)
/* Data bytes both sides commit at start: what a barrier's or small region's exchange uses. More
   would cost start-up time (all 64 MiB of KEEP took some 40 ms per rank here, most of a trivial
   job's start); the rest is committed by its first use. */
#define CAPE_CHANNEL_PREFAULT (1u << 20)
#define CAPE_CHANNEL_MAGIC 0x43415045u /* "CAPE" */

enum cape_op {
    CAPE_OP_NONE = 0,
    /* Proxy start-up: MPI_Init, then allgather of arg0 (local thread count of each rank) and arg1
       (host identity). Answer: result0 = rank, result1 = size, data area = size x {uint64 local
       thread count, uint64 host identity}. */
    CAPE_OP_HELLO = 1,
    /* Recursive-doubling exchange: the data area holds this rank's segment of `len` bytes.
       Answer: the data area holds every rank's segment, concatenated, `len` = total bytes. */
    CAPE_OP_EXCHANGE = 2,
    /* Broadcast `len` bytes of the data area from rank arg0. Answer: `len`, data area. */
    CAPE_OP_BCAST = 3,
    /* MPI_Finalize and exit. */
    CAPE_OP_FINALIZE = 4,
    /* Abort the whole job: MPI_Abort with arg0 as the code. */
    CAPE_OP_ABORT = 5,
    /* Map the rank's shared-state region (include/cape_shared.h): the program's descriptor arg0,
       of arg1 bytes. arg2 = 1 for rank 0 of a job on several hosts: its proxy then serves the
       other hosts' shared-state requests on it. */
    CAPE_OP_SHARE = 6,
};

enum cape_slot_state { CAPE_SLOT_FREE = 0, CAPE_SLOT_POSTED = 1, CAPE_SLOT_BUSY = 2, CAPE_SLOT_DONE = 3 };

typedef struct cape_slot {
    uint32_t state;             /* futex word, enum cape_slot_state */
    uint32_t op;                /* enum cape_shared_op */
    uint64_t arg[4];
    uint64_t result[2];
    uint64_t reserved;
} cape_slot_t;

typedef struct cape_channel {
    uint32_t magic;
    uint32_t version;
    uint64_t capacity;          /* bytes of the data area */
    /* request side, written by the program */
    uint32_t request;           /* futex word: the doorbell */
    uint32_t main_seq;          /* incremented per main request */
    uint32_t op;
    uint64_t arg0, arg1, arg2;
    uint64_t len;               /* bytes of input in the data area */
    /* answer side, written by the proxy */
    uint32_t response;          /* futex word: incremented per answer */
    int32_t status;
    uint64_t result0, result1, result2, result3;
    uint64_t out_len;           /* bytes of output in the data area */
    char message[512];
    uint8_t pad[16];            /* the slots start on a cache line */
    cape_slot_t slots[CAPE_CHANNEL_SLOTS];
    /* Written once by the program of a rank other than 0, after it made its private directory for
       the files that sequential code writes (Sources/CCapeShim/files.c): the directory's absolute
       path, NUL-terminated, or empty. The proxy removes that directory if the program dies first. */
    char files_dir[512];
    /* Written by the program when its own crash ends it (Sources/CCapeShim/crash.c), read by the
       proxy's parent-death handler, which prints the job's line for that end: enum
       cape_end_report. */
    uint32_t end_report;
} cape_channel_t;

/* Whether the proxy of a rank that ended without finishing says so. The job prints one line: the
   ranks of rank 0's host share a stop word, and a crash that finds it already set by another rank
   leaves the line to that rank's proxy. A rank on another host cannot reach the word: its proxy
   waits a second first, and by then an end on the home host has ended the job; the program's
   signal travels in the bits above CAPE_END_KIND, so that the line names it. */
enum cape_end_report { CAPE_END_SAY = 0, CAPE_END_QUIET = 1, CAPE_END_LATE = 2, CAPE_END_KIND = 0xff, CAPE_END_SIGNAL_SHIFT = 8 };

_Static_assert(sizeof(cape_slot_t) == 64, "a slot is a cache line");
_Static_assert(__builtin_offsetof(cape_channel_t, slots) % 64 == 0, "slots on cache lines");
_Static_assert(sizeof(cape_channel_t) <= CAPE_CHANNEL_CONTROL, "control block fits before the data");

#endif
