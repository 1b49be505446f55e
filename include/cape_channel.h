/* The app <-> cape-proxy channel: the one contract between a rank's program and its MPI proxy.
 *
 * Both processes map the same memfd (MAP_SHARED). Its first CAPE_CHANNEL_CONTROL bytes hold
 * `cape_channel_t`; the rest is the data area, where the program writes its segment of an exchange
 * and the proxy appends the segments of the other ranks.
 *
 * Contract:
 *  - One request at a time. The program fills `op`, `arg0..2` and `len`, then increments `request`
 *    (release) and wakes it with FUTEX_WAKE. The proxy sleeps on `request` with FUTEX_WAIT: it never
 *    spins, so a computing rank keeps its core.
 *  - The proxy answers by filling `status`, `len`, `result0..3` (and the data area), then increments
 *    `response` (release) and wakes it. The program sleeps on `response` with a timeout and checks,
 *    at every timeout, that the proxy process still lives.
 *  - `status` 0 is success; otherwise `message` holds a NUL-terminated reason that the program prints.
 *  - The proxy only moves bytes. It never interprets a segment beyond its first 16 bytes
 *    (magic, rank, total length).
 *  - The data area is sparse: memory is committed only where it is written.
 */
#ifndef CAPE_CHANNEL_H
#define CAPE_CHANNEL_H

#include <stdint.h>

#define CAPE_CHANNEL_CONTROL 4096u
/* Data bytes at the start of the channel that stay committed between exchanges (both sides
   commit them at start; the program releases what an exchange used beyond them). */
#define CAPE_CHANNEL_KEEP (64u << 20)
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
};

typedef struct cape_channel {
    uint32_t magic;
    uint32_t version;
    uint64_t capacity;          /* bytes of the data area */
    /* request side, written by the program */
    uint32_t request;           /* futex word: incremented per request */
    uint32_t op;
    uint64_t arg0, arg1, arg2;
    uint64_t len;               /* bytes of input in the data area */
    /* answer side, written by the proxy */
    uint32_t response;          /* futex word: incremented per answer */
    int32_t status;
    uint64_t result0, result1, result2, result3;
    uint64_t out_len;           /* bytes of output in the data area */
    char message[512];
} cape_channel_t;

_Static_assert(sizeof(cape_channel_t) <= CAPE_CHANNEL_CONTROL, "control block fits its page");

#endif
