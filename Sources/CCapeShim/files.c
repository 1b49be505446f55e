/* Files written by sequential code are written once, by rank 0.
 *
 * Every rank runs the sequential code, so every rank would open, write and append to the same
 * output files: appended lines would appear once per rank, and a rank that truncates a file late
 * would race with the others. On ranks other than 0, a file that sequential code opens for writing
 * is opened in a directory of the rank's own instead (same flags, same descriptor number, same
 * bytes written), and later opens of that path on that rank, for reading too, go to the same copy:
 * the program reads back what it wrote, as rank 0 does with the real file. The rank's directory is
 * removed at exit. Writes made inside regions are made by one thread, on one rank, and are left
 * alone.
 *
 * C because open and fopen must be interposed under their own names. */
#define _GNU_SOURCE
#include "cape_shim.h"
#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int redirecting;
static char shadow_dir[256];
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

void cape_files_redirect(int rank) {
    resolve();
    snprintf(shadow_dir, sizeof shadow_dir, "/tmp/cape-files-%d-rank%d", (int)getpid(), rank);
    if (mkdir(shadow_dir, 0700) != 0) return; /* without it, files are written as the program says */
    redirecting = 1;
}

void cape_files_cleanup(void) {
    if (!redirecting) return;
    redirecting = 0;
    DIR *d = opendir(shadow_dir);
    if (d) {
        struct dirent *e;
        char p[512];
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.') continue;
            snprintf(p, sizeof p, "%s/%s", shadow_dir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(shadow_dir);
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
    char buf[512];
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
    char buf[512];
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
    char buf[512];
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
        char buf[512];
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
        char a[512], b[512];
        const char *s = shadow_for(AT_FDCWD, from, 0, a, sizeof a);
        if (!s) return 0;
        const char *t = shadow_for(AT_FDCWD, to, 1, b, sizeof b);
        return real_rename(s, t);
    }
    return real_rename(from, to);
}
