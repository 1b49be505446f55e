/* Futexes and channel memory for libcape and cape-proxy. */
#define _GNU_SOURCE
#include "cape_sys.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int futex_wait_op(uint32_t *word, uint32_t expected, int timeout_ms, int op) {
    struct timespec ts, *tp = NULL;
    if (timeout_ms >= 0) {
        ts.tv_sec = timeout_ms / 1000;
        ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000L;
        tp = &ts;
    }
    long r = syscall(SYS_futex, word, op, expected, tp, NULL, 0);
    if (r == -1 && errno == ETIMEDOUT) return -1;
    return 0;
}

int cape_futex_wait(uint32_t *word, uint32_t expected, int timeout_ms) {
    return futex_wait_op(word, expected, timeout_ms, FUTEX_WAIT);
}
int cape_futex_wait_us(uint32_t *word, uint32_t expected, long timeout_us) {
    struct timespec ts = { timeout_us / 1000000, (timeout_us % 1000000) * 1000L };
    long r = syscall(SYS_futex, word, FUTEX_WAIT, expected, &ts, NULL, 0);
    if (r == -1 && errno == ETIMEDOUT) return -1;
    return 0;
}
void cape_futex_wake(uint32_t *word) { syscall(SYS_futex, word, FUTEX_WAKE, 1, NULL, NULL, 0); }
int cape_futex_wait_private(uint32_t *word, uint32_t expected, int timeout_ms) {
    return futex_wait_op(word, expected, timeout_ms, FUTEX_WAIT_PRIVATE);
}
void cape_futex_wake_private(uint32_t *word, int count) {
    syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, count, NULL, NULL, 0);
}

int cape_memfd_create(const char *name, uint64_t size) {
    int fd = (int)syscall(SYS_memfd_create, name, 0u);
    if (fd < 0) return -1;
    if (ftruncate(fd, (off_t)size) != 0) { int e = errno; close(fd); errno = e; return -1; }
    return fd;
}

void *cape_map_channel(int fd, uint64_t size) {
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
    return p == MAP_FAILED ? NULL : p;
}

/* Commits the first `len` bytes now, so the exchanges do not fault on them page by page. */
void cape_channel_populate(void *p, uint64_t len) {
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
    madvise(p, len, MADV_POPULATE_WRITE);
}

void cape_channel_release(int fd, uint64_t offset, uint64_t len) {
    fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)offset, (off_t)len);
}

static char parent_gone[160] = "cape: a rank's program ended without finishing (killed, or crashed); the job stops\n";

static void on_parent_death(int sig) {
    (void)sig;
    size_t n = 0;
    while (parent_gone[n]) n++;
    (void)!write(2, parent_gone, n);
    _exit(1);
}

/* The proxy dies with its program and says so. When hydra ends a job it kills each rank's process
   group, proxy included, so only the proxy of a rank that died first lives to print this. */
void cape_die_with_parent(void) {
    signal(SIGUSR2, on_parent_death);
    prctl(PR_SET_PDEATHSIG, SIGUSR2, 0, 0, 0);
}

void cape_name_rank(int rank) {
    char *p = parent_gone;
    const char *a = "cape: the program of rank ";
    while (*a) *p++ = *a++;
    char digits[12];
    int n = 0;
    unsigned r = (unsigned)rank;
    do { digits[n++] = (char)('0' + r % 10); r /= 10; } while (r && n < 11);
    while (n) *p++ = digits[--n];
    const char *b = " ended without finishing (killed, or crashed); the job stops\n";
    while (*b) *p++ = *b++;
    *p = 0;
}

void cape_set_timer_slack(unsigned long ns) { prctl(PR_SET_TIMERSLACK, ns, 0, 0, 0); }
