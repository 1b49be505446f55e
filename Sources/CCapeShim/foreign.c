/* Programs libcape cannot drive, recognized at start.
 *
 * libcape replaces libgomp's entry points. A program built by clang (or by Intel's and AMD's LLVM
 * compilers) calls LLVM's OpenMP runtime instead (the __kmpc_* ABI of libomp / libiomp5): under
 * libcape every rank would run the whole program with its own libomp threads, silently. A program
 * that calls MPI itself (hybrid MPI + OpenMP) would find itself alone in an MPI world of one, since
 * the ranks' MPI belongs to their proxies. Both stop at start, by name.
 *
 * C because it looks at the loaded objects before anything else runs, and MPI_Init must be
 * interposed under its own name (for programs that load MPI later, with dlopen). */
#define _GNU_SOURCE
#include "cape_shim.h"
#include <dlfcn.h>
#include <link.h>
#include <stdio.h>
#include <string.h>

struct found { int kind; char name[256]; };

static const char *base_name(const char *p) {
    const char *b = strrchr(p, '/');
    return b ? b + 1 : p;
}

static int starts(const char *s, const char *prefix) { return strncmp(s, prefix, strlen(prefix)) == 0; }

static int visit(struct dl_phdr_info *info, size_t size, void *arg) {
    (void)size;
    struct found *f = arg;
    const char *b = base_name(info->dlpi_name ? info->dlpi_name : "");
    int kind = 0;
    if (starts(b, "libomp.so") || starts(b, "libiomp5.so") || starts(b, "libomptarget")) kind = CAPE_FOREIGN_LLVM_OPENMP;
    else if (starts(b, "libmpi.so") || starts(b, "libmpich.so") || starts(b, "libmpi_") || starts(b, "libmpifort") ||
             starts(b, "libpmpi")) kind = CAPE_FOREIGN_MPI;
    if (kind && !f->kind) {
        f->kind = kind;
        snprintf(f->name, sizeof f->name, "%s", b);
    }
    return 0;
}

int cape_foreign_runtime(const char **name) {
    static struct found f;
    f.kind = 0;
    dl_iterate_phdr(visit, &f);
    if (!f.kind && dlsym(RTLD_DEFAULT, "__kmpc_fork_call")) {
        f.kind = CAPE_FOREIGN_LLVM_OPENMP;
        snprintf(f.name, sizeof f.name, "__kmpc_fork_call");
    }
    *name = f.name;
    return f.kind;
}

static __attribute__((noreturn)) void mpi_called(const char *what) {
    static char msg[512];
    snprintf(msg, sizeof msg, "the program calls %s: it is an MPI program itself, and under libcape the ranks' MPI "
             "belongs to libcape (run hybrid MPI+OpenMP programs with their own MPI, without libcape)", what);
    cape_die_everywhere(msg);
}

int MPI_Init(int *argc, char ***argv) { (void)argc; (void)argv; mpi_called("MPI_Init"); }
int MPI_Init_thread(int *argc, char ***argv, int required, int *provided) {
    (void)argc; (void)argv; (void)required; (void)provided;
    mpi_called("MPI_Init_thread");
}
