/* The program's changes to its mappings, counted.
 *
 * At every sync point the tracker checks that the mappings it tracks are still the ones it found
 * (track.c): the sizes in /proc/self/statm and the break must be the same, and then one
 * PROCMAP_QUERY per tracked mapping confirms its bounds, a dozen ioctls (about 9 us here) per
 * barrier for a small program. The second check finds what the sizes do not show: a mapping
 * unmapped and another of the same size mapped elsewhere. Such changes come through mmap, munmap
 * and mremap, which libcape, preloaded, receives from the program and its libraries: each one
 * counts here, and while the count has not moved since the last check (and the sizes are the
 * same) the per-mapping queries are skipped. What glibc maps internally, without these entry
 * points, still shows in the sizes unless it is exactly balanced within one epoch.
 *
 * The calls go straight to the kernel, as glibc's wrappers do on x86-64. */
#define _GNU_SOURCE
#include "cape_shim.h"
#include <stdarg.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static uint64_t changes;

uint64_t cape_mapping_changes(void) { return __atomic_load_n(&changes, __ATOMIC_ACQUIRE); }

/* Counted after the change, so that a scan that read the count before it sees it move. */
static void changed(void) { __atomic_add_fetch(&changes, 1, __ATOMIC_RELEASE); }

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off) {
    void *p = (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
    changed();
    return p;
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off) { return mmap(addr, len, prot, flags, fd, off); }

int munmap(void *addr, size_t len) {
    int rc = (int)syscall(SYS_munmap, addr, len);
    changed();
    return rc;
}

void *mremap(void *old, size_t old_size, size_t new_size, int flags, ...) {
    void *new_address = NULL;
    if (flags & (MREMAP_FIXED | MREMAP_DONTUNMAP)) {
        va_list ap;
        va_start(ap, flags);
        new_address = va_arg(ap, void *);
        va_end(ap);
    }
    void *p = (void *)syscall(SYS_mremap, old, old_size, new_size, flags, new_address);
    changed();
    return p;
}
