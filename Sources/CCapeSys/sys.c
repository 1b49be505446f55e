/* Futexes and channel memory for libcape and cape-proxy. */
#define _GNU_SOURCE
#include "cape_sys.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
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

/* ---- removing a rank's private directory (Sources/CCapeShim/files.c) ----
   Raw system calls only: the program calls this from cape_die, which may run in a signal handler,
   and libcape interposes open, openat and unlink; the proxy calls it from its parent-death
   handler. */

struct raw_dirent { uint64_t ino; int64_t off; unsigned short reclen; unsigned char type; char name[]; };

static int raw_openat(int dirfd, const char *path, int flags) {
    return (int)syscall(SYS_openat, dirfd, path, flags | O_CLOEXEC | O_NOFOLLOW, 0);
}

/* Removes what the directory open as `fd` holds, going `depth` directories further down. Entries
   removed while the directory is read may make the kernel skip others, so it reads again until a
   pass finds nothing more to remove. */
static void empty_directory(int fd, int depth) {
    char buf[1024] __attribute__((aligned(8)));
    for (int pass = 0; pass < 8; pass++) {
        int removed = 0;
        syscall(SYS_lseek, fd, 0L, SEEK_SET);
        long n;
        while ((n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0) {
            for (long off = 0; off < n;) {
                struct raw_dirent *e = (struct raw_dirent *)(buf + off);
                off += e->reclen;
                const char *s = e->name;
                if (s[0] == '.' && (s[1] == 0 || (s[1] == '.' && s[2] == 0))) continue;
                if (syscall(SYS_unlinkat, fd, s, 0) == 0) { removed++; continue; }
                if (errno != EISDIR || depth == 0) continue;
                int sub = raw_openat(fd, s, O_RDONLY | O_DIRECTORY);
                if (sub >= 0) {
                    empty_directory(sub, depth - 1);
                    syscall(SYS_close, sub);
                }
                if (syscall(SYS_unlinkat, fd, s, AT_REMOVEDIR) == 0) removed++;
            }
        }
        if (removed == 0) break;
    }
}

int cape_remove_own_tree(int dirfd, const char *name) {
    int fd = raw_openat(dirfd, name, O_RDONLY | O_DIRECTORY);
    if (fd < 0) return -1;
    struct stat st;
    if (syscall(SYS_fstat, fd, &st) != 0 || st.st_uid != (uid_t)syscall(SYS_geteuid)) {
        syscall(SYS_close, fd);
        return -1;
    }
    empty_directory(fd, 3);
    syscall(SYS_close, fd);
    return syscall(SYS_unlinkat, dirfd, name, AT_REMOVEDIR) == 0 ? 0 : -1;
}

/* The proxy's side: the directory its program named in the channel, removed when the program dies
   before it could remove it itself. Only a directory named cape-files.* whose owner record names
   the program is removed. */
static const volatile char *watched_dir;
static const volatile uint32_t *watched_report;
static long watched_owner;

void cape_files_watch(const cape_channel_t *channel, int owner_pid) {
    watched_dir = channel->files_dir;
    watched_report = &channel->end_report;
    watched_owner = owner_pid;
}

static void remove_watched(void) {
    if (!watched_dir) return;
    char path[sizeof ((cape_channel_t *)0)->files_dir];
    size_t n = 0, slash = 0;
    for (; n < sizeof path - 1 && watched_dir[n]; n++) {
        path[n] = watched_dir[n];
        if (path[n] == '/') slash = n;
    }
    path[n] = 0;
    if (n == 0 || path[0] != '/') return;
    const char *prefix = "cape-files.", *base = path + slash + 1;
    for (size_t i = 0; prefix[i]; i++) if (base[i] != prefix[i]) return;
    int dir = raw_openat(AT_FDCWD, path, O_RDONLY | O_DIRECTORY);
    if (dir < 0) return;
    int owner = raw_openat(dir, "owner", O_RDONLY);
    char rec[32];
    long got = owner >= 0 ? syscall(SYS_read, owner, rec, sizeof rec - 1) : -1;
    if (owner >= 0) syscall(SYS_close, owner);
    syscall(SYS_close, dir);
    long pid = 0;
    for (long i = 0; i < got && rec[i] >= '0' && rec[i] <= '9'; i++) pid = pid * 10 + (rec[i] - '0');
    if (pid == 0 || pid != watched_owner) return;
    path[slash] = 0;
    int parent = raw_openat(AT_FDCWD, slash == 0 ? "/" : path, O_RDONLY | O_DIRECTORY);
    if (parent < 0) return;
    cape_remove_own_tree(parent, base);
    syscall(SYS_close, parent);
}

static char parent_gone[160] = "cape: a rank's program ended without finishing (killed, or crashed); the job stops\n";

static int named_rank = -1;

static void on_parent_death(int sig) {
    (void)sig;
    uint32_t word = watched_report ? __atomic_load_n(watched_report, __ATOMIC_ACQUIRE) : CAPE_END_SAY;
    uint32_t report = word & CAPE_END_KIND, crash = word >> CAPE_END_SIGNAL_SHIFT;
    remove_watched();
    /* The program named its signal: the line says it, as the home host's does. */
    if (report == CAPE_END_LATE && crash > 0 && named_rank >= 0)
        cape_rank_signal_line(parent_gone, sizeof parent_gone, named_rank, (int)crash);
    if (report == CAPE_END_LATE) {
        struct timespec pause = { 1, 0 };
        while (nanosleep(&pause, &pause) != 0) {}
    }
    if (report != CAPE_END_QUIET) {
        size_t n = 0;
        while (parent_gone[n]) n++;
        (void)!write(2, parent_gone, n);
    }
    _exit(1);
}

/* The proxy dies with its program and says so. When hydra ends a job it kills each rank's process
   group, proxy included, so only the proxy of a rank that died first lives to print this. */
void cape_die_with_parent(void) {
    signal(SIGUSR2, on_parent_death);
    prctl(PR_SET_PDEATHSIG, SIGUSR2, 0, 0, 0);
}

static char *put_text(char *p, char *end, const char *t) {
    while (*t && p < end) *p++ = *t++;
    return p;
}

static char *put_decimal(char *p, char *end, unsigned v) {
    char digits[12];
    int n = 0;
    do { digits[n++] = (char)('0' + v % 10); v /= 10; } while (v && n < 11);
    while (n && p < end) *p++ = digits[--n];
    return p;
}

void cape_rank_end_line(char *out, size_t size, int rank, const char *cause, int sig) {
    char *p = out, *end = out + size - 1;
    p = put_text(p, end, "cape: the program of rank ");
    p = put_decimal(p, end, (unsigned)rank);
    p = put_text(p, end, " ended without finishing (");
    p = put_text(p, end, cause);
    if (sig > 0) {
        p = put_text(p, end, ", signal ");
        p = put_decimal(p, end, (unsigned)sig);
    }
    p = put_text(p, end, "); the job stops\n");
    *p = 0;
}

void cape_rank_signal_line(char *out, size_t size, int rank, int sig) {
    char cause[32] = "SIG";
    const char *name = sigabbrev_np(sig);
    for (size_t i = 3; name && *name && i < sizeof cause - 1; i++) cause[i] = *name++;
    cape_rank_end_line(out, size, rank, cause[3] ? cause : "a signal", sig);
}

void cape_name_rank(int rank) { named_rank = rank; cape_rank_end_line(parent_gone, sizeof parent_gone, rank, "killed, or crashed", 0); }

void cape_set_timer_slack(unsigned long ns) { prctl(PR_SET_TIMERSLACK, ns, 0, 0, 0); }
