/* Files written by sequential code are written once, by rank 0.
 *
 * Every rank runs the sequential code, so every rank would open, write and append to the same
 * output files: appended lines would appear once per rank, and a rank that truncates a file late
 * would race with the others. On ranks other than 0, a file that sequential code opens for writing
 * is opened in a directory of the rank's own instead (same flags, same descriptor number, same
 * bytes written), and later opens of that path on that rank, for reading too, go to the same copy:
 * the program reads back what it wrote, as rank 0 does with the real file. Writes made inside
 * regions are made by one thread, on one rank, and are left alone.
 *
 * The directory: mkdtemp's $TMPDIR/cape-files.XXXXXX (/tmp without TMPDIR), so no one can guess
 * its name or make it beforehand; when it cannot be made the rank stops with a message (writing
 * the real files instead would write them twice). The copies in it are flat, named by a hash of
 * the full path. It holds an `owner` record: "<pid> <start time> <boot id> <pid namespace>", the
 * start time being field 22 of /proc/<pid>/stat, so a reused pid does not pass for the owner.
 * It is removed
 *  - at exit, and by cape_die;
 *  - by the rank's proxy, when the program dies first (killed alone, crashed): the program writes
 *    the path into the channel (files_dir), the proxy's parent-death handler removes it;
 *  - when the rank is killed with its proxy (the whole job killed; hydra ending the other ranks by
 *    SIGKILL when one failed; the proxy killed, then the job ended before the rank noticed),
 *    nothing of it runs: the next start of a rank other than 0
 *    removes every cape-files.* directory of $TMPDIR that the user owns and whose owner is gone (no
 *    such pid, or another process under it; only owners of this boot and pid namespace are
 *    judged, and a directory without a record only when older than a minute), and the old
 *    /tmp/cape-files-<pid>-rank<r> directories whose pid is gone.
 * After the removal at exit the redirection stays on: what the program still opens for writing on
 * such a rank fails instead of reaching the real files.
 *
 * C because open and fopen must be interposed under their own names. */
#define _GNU_SOURCE
#include "cape_shim.h"
#include "../CCapeSys/include/cape_sys.h"
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int redirecting;
/* Room for the directory's path with a copy's name after it, in the path buffers below. */
#define DIR_MAX 400
#define PATH_BUF 512
static char shadow_dir[DIR_MAX];
#define MAX_SHADOWED 1024
static uint64_t shadowed[MAX_SHADOWED];
static int nshadowed;

static int (*real_open)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static FILE *(*real_fopen)(const char *, const char *);

static void resolve(void) {
    if (!real_open) real_open = dlsym(RTLD_NEXT, "open");
    if (!real_openat) real_openat = dlsym(RTLD_NEXT, "openat");
    if (!real_fopen) real_fopen = dlsym(RTLD_NEXT, "fopen");
}

/* ---- the owner record ---- */

/* Up to n - 1 bytes of a small file, NUL-terminated; the length, or -1. Raw system calls: open is
   interposed below. */
static long read_small(int dirfd, const char *path, char *buf, size_t n) {
    int fd = (int)syscall(SYS_openat, dirfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW, 0);
    if (fd < 0) return -1;
    long got = syscall(SYS_read, fd, buf, n - 1);
    syscall(SYS_close, fd);
    if (got < 0) return -1;
    buf[got] = 0;
    return got;
}

/* Field 22 of /proc/<pid>/stat: when the process started, in clock ticks since boot; 0 when there
   is no such process, or only its exit status waits to be collected (a zombie cleans up nothing). */
static unsigned long long start_time(long pid) {
    char path[64], stat[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    if (read_small(AT_FDCWD, path, stat, sizeof stat) <= 0) return 0;
    const char *p = strrchr(stat, ')'); /* the command name may hold spaces and parentheses */
    if (!p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X') return 0;
    for (int field = 2; field < 22; field++) {
        p = strchr(p + 1, ' ');
        if (!p) return 0;
    }
    return strtoull(p + 1, NULL, 10);
}

/* This boot and this pid namespace: a record made under others names a pid that means nothing
   here (another host sharing $TMPDIR, a container). */
static void where(char *boot, size_t nb, char *ns, size_t nn) {
    if (read_small(AT_FDCWD, "/proc/sys/kernel/random/boot_id", boot, nb) <= 0) snprintf(boot, nb, "-");
    boot[strcspn(boot, " \n")] = 0;
    ssize_t l = readlink("/proc/self/ns/pid", ns, nn - 1);
    if (l <= 0) snprintf(ns, nn, "-");
    else ns[l] = 0;
    ns[strcspn(ns, " \n")] = 0;
}

/* Whether the cape-files.* directory `name` of dirfd belongs to a process that is gone. */
static int owner_gone(int dirfd, const char *name, const char *boot, const char *ns) {
    int fd = (int)syscall(SYS_openat, dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW, 0);
    if (fd < 0) return 0;
    struct stat st;
    int mine = fstat(fd, &st) == 0 && st.st_uid == geteuid();
    char rec[256], rboot[64], rns[64];
    long pid = 0;
    unsigned long long started = 0;
    int parsed = mine && read_small(fd, "owner", rec, sizeof rec) > 0 &&
                 sscanf(rec, "%ld %llu %63s %63s", &pid, &started, rboot, rns) == 4 && pid > 0;
    syscall(SYS_close, fd);
    if (!mine) return 0;
    /* Made a moment ago by a rank that has not written its record yet, or by one killed before. */
    if (!parsed) return time(NULL) - st.st_mtime > 60;
    if (strcmp(rboot, boot) != 0 || strcmp(rns, ns) != 0) return 0;
    return start_time(pid) != started;
}

/* Removes the directories that jobs which could not clean up left in `dir` (see the top). */
static void sweep(const char *dir, int old_names) {
    char boot[64], ns[64];
    where(boot, sizeof boot, ns, sizeof ns);
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *n = e->d_name;
        if (strncmp(n, "cape-files", 10) != 0) continue;
        if (n[10] == '.') {
            if (owner_gone(dirfd(d), n, boot, ns)) cape_remove_own_tree(dirfd(d), n);
        } else if (old_names) {
            long pid = 0;
            int rank = 0, end = 0;
            if (sscanf(n, "cape-files-%ld-rank%d%n", &pid, &rank, &end) == 2 && n[end] == 0 && pid > 0 &&
                start_time(pid) == 0)
                cape_remove_own_tree(dirfd(d), n);
        }
    }
    closedir(d);
}

void cape_files_redirect(int rank, char *publish, size_t publish_size) {
    resolve();
    char msg[PATH_MAX + 256];
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp) tmp = "/tmp";
    char base[PATH_MAX];
    if (!realpath(tmp, base)) {
        snprintf(msg, sizeof msg, "rank %d cannot use the temporary directory %s for the files that sequential "
                 "code writes: %s (set TMPDIR to a writable directory)", rank, tmp, strerror(errno));
        cape_die(msg);
    }
    if (strlen(base) + sizeof "/cape-files.XXXXXX" > DIR_MAX) {
        snprintf(msg, sizeof msg, "the temporary directory %s has a path longer than %d bytes (set TMPDIR to a "
                 "shorter one)", base, DIR_MAX - (int)sizeof "/cape-files.XXXXXX");
        cape_die(msg);
    }
    sweep("/tmp", 1);
    if (strcmp(base, "/tmp") != 0) sweep(base, 0);
    snprintf(shadow_dir, sizeof shadow_dir, "%s/cape-files.XXXXXX", base);
    if (!mkdtemp(shadow_dir)) {
        snprintf(msg, sizeof msg, "rank %d cannot make a private directory in %s for the files that sequential "
                 "code writes: %s (set TMPDIR to a writable directory)", rank, base, strerror(errno));
        cape_die(msg);
    }
    char boot[64], ns[64], rec[256];
    where(boot, sizeof boot, ns, sizeof ns);
    int len = snprintf(rec, sizeof rec, "%ld %llu %s %s\n", (long)getpid(), start_time(getpid()), boot, ns);
    int dfd = (int)syscall(SYS_openat, AT_FDCWD, shadow_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    int fd = dfd < 0 ? -1 : (int)syscall(SYS_openat, dfd, "owner", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    int ok = fd >= 0 && syscall(SYS_write, fd, rec, (size_t)len) == len;
    int err = errno;
    if (fd >= 0) syscall(SYS_close, fd);
    if (dfd >= 0) syscall(SYS_close, dfd);
    if (!ok) {
        cape_remove_own_tree(AT_FDCWD, shadow_dir);
        snprintf(msg, sizeof msg, "rank %d cannot write in its private directory %s: %s (set TMPDIR to a "
                 "writable directory)", rank, shadow_dir, strerror(err));
        cape_die(msg);
    }
    if (publish && publish_size > strlen(shadow_dir)) {
        memcpy(publish, shadow_dir, strlen(shadow_dir) + 1);
    }
    redirecting = 1;
}

/* At exit and from cape_die (raw system calls only). The redirection stays on (see the top). */
void cape_files_cleanup(void) {
    static int removed;
    if (!redirecting || __atomic_exchange_n(&removed, 1, __ATOMIC_ACQ_REL)) return;
    cape_remove_own_tree(AT_FDCWD, shadow_dir);
}

static uint64_t path_key(int dirfd, const char *path) {
    char full[4096];
    if (path[0] != '/' ) {
        char cwd[2048] = "";
        if (dirfd == AT_FDCWD || dirfd < 0) { if (!getcwd(cwd, sizeof cwd)) cwd[0] = 0; }
        else { char l[64]; snprintf(l, sizeof l, "/proc/self/fd/%d", dirfd); ssize_t n = readlink(l, cwd, sizeof cwd - 1); cwd[n > 0 ? n : 0] = 0; }
        snprintf(full, sizeof full, "%s/%s", cwd, path);
    } else {
        snprintf(full, sizeof full, "%s", path);
    }
    uint64_t h = 0xcbf29ce484222325ull;
    for (const char *c = full; *c; c++) h = (h ^ (uint8_t)*c) * 0x100000001b3ull;
    return h;
}

static int is_shadowed(uint64_t k) {
    for (int i = 0; i < nshadowed; i++) if (shadowed[i] == k) return 1;
    return 0;
}

/* The rank's copy of `path`, or NULL to use the path as it is. */
static const char *shadow_for(int dirfd, const char *path, int writing, char *buf, size_t n) {
    if (!redirecting || !path || cape_self()->rt_depth > 0 || cape_self()->level > 0) return NULL;
    if (strncmp(path, "/dev/", 5) == 0 || strncmp(path, "/proc/", 6) == 0 || strncmp(path, "/sys/", 5) == 0) return NULL;
    uint64_t k = path_key(dirfd, path);
    if (!is_shadowed(k)) {
        if (!writing) return NULL;
        if (nshadowed == MAX_SHADOWED) cape_die("the program wrote more than 1024 files in sequential code on one rank");
        shadowed[nshadowed++] = k;
    }
    snprintf(buf, n, "%s/%016llx", shadow_dir, (unsigned long long)k);
    return buf;
}

static int writes(int flags) { return (flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND)) != 0; }

int open(const char *path, int flags, ...) {
    resolve();
    mode_t mode = 0;
    if (flags & (O_CREAT | O_TMPFILE)) { va_list ap; va_start(ap, flags); mode = va_arg(ap, mode_t); va_end(ap); }
    char buf[PATH_BUF];
    const char *s = shadow_for(AT_FDCWD, path, writes(flags), buf, sizeof buf);
    return real_open(s ? s : path, flags, mode);
}

int open64(const char *path, int flags, ...) {
    mode_t mode = 0;
    if (flags & (O_CREAT | O_TMPFILE)) { va_list ap; va_start(ap, flags); mode = va_arg(ap, mode_t); va_end(ap); }
    return open(path, flags, mode);
}

int openat(int dirfd, const char *path, int flags, ...) {
    resolve();
    mode_t mode = 0;
    if (flags & (O_CREAT | O_TMPFILE)) { va_list ap; va_start(ap, flags); mode = va_arg(ap, mode_t); va_end(ap); }
    char buf[PATH_BUF];
    const char *s = shadow_for(dirfd, path, writes(flags), buf, sizeof buf);
    return s ? real_openat(AT_FDCWD, s, flags, mode) : real_openat(dirfd, path, flags, mode);
}

int openat64(int dirfd, const char *path, int flags, ...) {
    mode_t mode = 0;
    if (flags & (O_CREAT | O_TMPFILE)) { va_list ap; va_start(ap, flags); mode = va_arg(ap, mode_t); va_end(ap); }
    return openat(dirfd, path, flags, mode);
}

int creat(const char *path, mode_t mode) { return open(path, O_CREAT | O_WRONLY | O_TRUNC, mode); }
int creat64(const char *path, mode_t mode) { return open(path, O_CREAT | O_WRONLY | O_TRUNC, mode); }

FILE *fopen(const char *path, const char *mode) {
    resolve();
    int writing = mode && (strchr(mode, 'w') || strchr(mode, 'a') || strchr(mode, '+'));
    char buf[PATH_BUF];
    const char *s = shadow_for(AT_FDCWD, path, writing, buf, sizeof buf);
    return real_fopen(s ? s : path, mode);
}

FILE *fopen64(const char *path, const char *mode) { return fopen(path, mode); }

/* Removing and renaming: the rank's copies stand in for the files it wrote; the real files are
   rank 0's to change. */
static int (*real_unlink)(const char *);
static int (*real_rename)(const char *, const char *);
static int (*real_remove)(const char *);

static int sequential_redirect(void) { return redirecting && cape_self()->rt_depth == 0 && cape_self()->level == 0; }

/* unlink and remove: the rank's copy if it has one; the real file is left to rank 0. */
static int drop(const char *path, int (*real)(const char *)) {
    if (sequential_redirect() && path) {
        char buf[PATH_BUF];
        const char *s = shadow_for(AT_FDCWD, path, 0, buf, sizeof buf);
        return s ? real(s) : 0;
    }
    return real(path);
}

int unlink(const char *path) {
    if (!real_unlink) real_unlink = dlsym(RTLD_NEXT, "unlink");
    return drop(path, real_unlink);
}

int remove(const char *path) {
    if (!real_remove) real_remove = dlsym(RTLD_NEXT, "remove");
    return drop(path, real_remove);
}

int rename(const char *from, const char *to) {
    if (!real_rename) real_rename = dlsym(RTLD_NEXT, "rename");
    if (sequential_redirect() && from && to) {
        char a[PATH_BUF], b[PATH_BUF];
        const char *s = shadow_for(AT_FDCWD, from, 0, a, sizeof a);
        if (!s) return 0;
        const char *t = shadow_for(AT_FDCWD, to, 1, b, sizeof b);
        return real_rename(s, t);
    }
    return real_rename(from, to);
}
