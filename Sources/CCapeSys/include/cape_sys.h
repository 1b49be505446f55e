/* System helpers shared by libcape and cape-proxy. C because Swift cannot call the variadic
 * syscall(2) nor express C11 atomics on memory that another process maps. */
#ifndef CAPE_SYS_H
#define CAPE_SYS_H

#include <stdint.h>
#include <stddef.h>
#include "../../../include/cape_channel.h"
#include "../../../include/cape_shared.h"

/* Futex on a word of shared memory (not FUTEX_PRIVATE: the proxy is another process).
   Returns 0 when woken or the value differed, -1 on timeout (timeout_ms < 0: none). */
int cape_futex_wait(uint32_t *word, uint32_t expected, int timeout_ms);
void cape_futex_wake(uint32_t *word);
/* The same with a timeout in microseconds (the proxy's polling back-off). */
int cape_futex_wait_us(uint32_t *word, uint32_t expected, long timeout_us);
/* Same, process-private, for runtime threads of one program. */
int cape_futex_wait_private(uint32_t *word, uint32_t expected, int timeout_ms);
void cape_futex_wake_private(uint32_t *word, int count);

static inline uint32_t cape_load_acquire_u32(const uint32_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static inline void cape_store_release_u32(uint32_t *p, uint32_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
static inline uint64_t cape_load_acquire_u64(const uint64_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static inline void cape_store_release_u64(uint64_t *p, uint64_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
static inline uint32_t cape_fetch_add_u32(uint32_t *p, uint32_t v) { return __atomic_fetch_add(p, v, __ATOMIC_ACQ_REL); }
static inline uint64_t cape_fetch_add_u64(uint64_t *p, uint64_t v) { return __atomic_fetch_add(p, v, __ATOMIC_ACQ_REL); }
/* Compare-and-swap: on failure *expected receives the current value. */
static inline int cape_cas_u64(uint64_t *p, uint64_t *expected, uint64_t desired) {
    return __atomic_compare_exchange_n(p, expected, desired, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}
static inline int cape_cas_u32(uint32_t *p, uint32_t expected, uint32_t desired) {
    return __atomic_compare_exchange_n(p, &expected, desired, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}
static inline void cape_cpu_relax(void) {
#if defined(__x86_64__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

/* prctl(PR_SET_TIMERSLACK): how late a timed sleep of the calling thread may end. */
void cape_set_timer_slack(unsigned long ns);

/* prctl(PR_SET_PDEATHSIG): the proxy dies with its program, printing that it did. */
void cape_die_with_parent(void);
/* Names the rank in that message, once MPI has told it. */
void cape_name_rank(int rank);
/* "cape: the program of rank R ended without finishing (CAUSE[, signal SIG]); the job stops\n"
   into out (size bytes, NUL-terminated); sig <= 0: no signal. Async-signal-safe. */
void cape_rank_end_line(char *out, size_t size, int rank, const char *cause, int sig);
/* The same line for a program that ended by signal sig: "(SIGABRT, signal 6)". Async-signal-safe. */
void cape_rank_signal_line(char *out, size_t size, int rank, int sig);

/* Removes the directory `name` (relative to dirfd, or absolute) and what it holds, a few levels
   down, if the calling user owns it; symbolic links are not followed. Raw system calls only
   (async-signal-safe). 0 when it is gone. */
int cape_remove_own_tree(int dirfd, const char *name);
/* The proxy: when the program dies first, the parent-death handler also removes the private
   directory that the program named in the channel's files_dir (Sources/CCapeShim/files.c), if its
   owner record names owner_pid. */
void cape_files_watch(const cape_channel_t *channel, int owner_pid);

/* The memfd behind the channel: created by libcape, inherited by the proxy. */
int cape_memfd_create(const char *name, uint64_t size);
/* mmap(MAP_SHARED|MAP_NORESERVE) of the whole channel; NULL on failure (errno set). */
void *cape_map_channel(int fd, uint64_t size);
/* Commits (and maps) the first len bytes of a channel mapping. */
void cape_channel_populate(void *p, uint64_t len);
/* Gives the pages of [offset, offset+len) back to the kernel (hole punch). */
void cape_channel_release(int fd, uint64_t offset, uint64_t len);

#endif
