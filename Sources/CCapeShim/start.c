/* Start-up of a rank: recognize the launcher, re-execute with address randomization off and an
 * environment of the same size on every rank, then hand over to Swift on a runtime-owned stack.
 *
 * C because it is the ELF constructor: it runs before the program and before anything could ask
 * Swift, and it must leave no rank-dependent bytes on the main stack (the Swift start-up runs on a
 * reserved stack for that reason). */
#define _GNU_SOURCE
#include "cape_shim.h"
#include "../CCapeSys/include/cape_sys.h"
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Launcher variables differ between ranks (PMI_RANK=9 vs 10, PMI_FD, MPI_LOCALRANKID, ...). They
   move into one variable of fixed size, so argv+environment have the same size everywhere and the
   main stack sits at the same address on every rank. */
#define LAUNCH_VAR "CAPE_LAUNCH="
#define LAUNCH_CAP (32 * 1024)
#define LAUNCH_SEP '\x1f'
#define LAUNCH_END '\x1e'

static const char *const launcher_prefixes[] = {
    "PMI_", "PMIX_", "MPI_LOCAL", "HYDRA_", "HYDI_", "SLURM_", "OMPI_", "MPIR_", "I_MPI_", "FI_PROVIDER_", NULL,
};

static int is_launcher_var(const char *kv) {
    for (int i = 0; launcher_prefixes[i]; i++)
        if (strncmp(kv, launcher_prefixes[i], strlen(launcher_prefixes[i])) == 0) return 1;
    return 0;
}

static cape_launch_t launch = { .launcher_fd = -1 };
static char launch_env[LAUNCH_CAP];
static char exe_path[4096];
static char self_path[4096];
static int err_fd = 2;

const cape_launch_t *cape_launch_info(void) { return &launch; }

void cape_set_err_fd(int fd) { err_fd = fd; }
int cape_err_fd(void) { return err_fd; }

void cape_write_err(const char *msg) {
    size_t n = strlen(msg);
    while (n > 0) {
        ssize_t w = write(err_fd, msg, n);
        if (w <= 0) { if (w < 0 && errno == EINTR) continue; return; }
        msg += w; n -= (size_t)w;
    }
}

static int (*abort_job)(int code, int quiet);
void cape_set_abort_hook(int (*hook)(int code, int quiet)) { abort_job = hook; }
static void (*before_die)(void);
void cape_set_die_hook(void (*hook)(void)) { before_die = hook; }

/* What the program printed before the stop is not lost: its stdout is flushed (only rank 0's
   goes anywhere). Not when another thread holds the stream: it may be the one stopping. */
static void flush_program_output(void) {
    if (ftrylockfile(stdout) == 0) {
        fflush_unlocked(stdout);
        funlockfile(stdout);
    }
}

/* A rank that stops alone must take the job with it: hydra waits for the other ranks when one
   exits with a status, and they may wait for this one forever. The proxy aborts the job through
   MPI; when it cannot (dead, or stuck in an exchange), the rank ends by SIGKILL, which hydra
   answers by ending every rank. */
static int in_signal;

void cape_die_in_signal(const char *msg) {
    in_signal = 1;
    cape_die(msg);
}

/* Ends the whole job with `code` (once per process; a second caller returns at once). hydra drops
   what it has not forwarded yet when the job is aborted (a test saw nothing but "cape: "): give it
   time first. Then the proxy aborts the job through MPI (`quiet`: without MPI's report); when it
   cannot (dead, or stuck in an exchange), the rank ends by SIGKILL, which hydra answers by ending
   every rank. */
static void end_job(int code, int quiet) {
    static int ending;
    if (__atomic_exchange_n(&ending, 1, __ATOMIC_ACQ_REL) || !abort_job) return;
    struct timespec pause = { 0, 200 * 1000 * 1000 };
    while (nanosleep(&pause, &pause) != 0) {}
    int how = abort_job(code, quiet);
    if (how > 0) {
        struct timespec ts = { 3, 0 };
        while (nanosleep(&ts, &ts) != 0) {}
    }
    if (how >= 0) kill(getpid(), SIGKILL);
}

/* The job prints one `cape:` line, however many ranks stop at once (a condition every rank meets
   on its own, such as a limit that every thread of a region passes, or a check that fails
   everywhere). The ranks of rank 0's host share a stop word: the first to set it prints, the
   others end without a word. A rank on another host cannot reach that word without its proxy,
   which may be the very thing that failed: it waits a second before it prints, and by then a stop
   of the home host has ended the job (its rank aborts it 0.2 s after its line, see end_job); a stop
   of its own is reported a second later than it could be. */
static uint32_t *stop_word;
static int stop_home;

void cape_set_stop_word(uint32_t *word, int home) {
    stop_home = home;
    __atomic_store_n(&stop_word, word, __ATOMIC_RELEASE);
}

static int first_to_stop(void) {
    uint32_t *w = __atomic_load_n(&stop_word, __ATOMIC_ACQUIRE);
    if (!w) return 1;
    if (stop_home) return __atomic_exchange_n(w, 1, __ATOMIC_ACQ_REL) == 0;
    struct timespec pause = { 1, 0 };
    while (nanosleep(&pause, &pause) != 0) {}
    return 1;
}

/* The program's own crash (crash.c) ends this rank with its signal. Its proxy, which dies with
   it, would print a line, and so would every other rank's when they all crash at the same place:
   on the home host the crash claims the stop word, and the first to claim it prints the job's line
   itself, at once (a proxy may be killed with the job before it gets to print); the proxies of
   the home host then say nothing. On another host the proxy prints a second later
   (enum cape_end_report). */
static volatile uint32_t *end_report;
static int end_rank = -1;

void cape_set_end_report(uint32_t *word, int rank) {
    end_rank = rank;
    __atomic_store_n(&end_report, word, __ATOMIC_RELEASE);
}

void cape_crash_claim(int sig) {
    uint32_t *w = __atomic_load_n(&stop_word, __ATOMIC_ACQUIRE);
    volatile uint32_t *r = __atomic_load_n(&end_report, __ATOMIC_ACQUIRE);
    if (!w || !r) return;
    if (!stop_home) {
        __atomic_store_n(r, CAPE_END_LATE | (uint32_t)sig << CAPE_END_SIGNAL_SHIFT, __ATOMIC_RELEASE);
        return;
    }
    __atomic_store_n(r, CAPE_END_QUIET, __ATOMIC_RELEASE);
    if (__atomic_exchange_n(w, 1, __ATOMIC_ACQ_REL) != 0) return;
    static char line[256];
    cape_rank_signal_line(line, sizeof line, end_rank, sig);
    cape_write_err(line);
}

void cape_die(const char *msg) {
    static int hooked;
    static char line[4096];
    /* One thread of the rank stops it: another that stops at the same moment (every thread of a
       region meeting the same condition) waits for the job's end. Had it gone on, it would leave
       at once through end_job's early return, and the rank's exit before the job is aborted let
       the other ranks wait for it forever. The same thread again (a fault while stopping) leaves. */
    static pid_t dying;
    pid_t me = (pid_t)syscall(SYS_gettid), was = 0;
    if (!__atomic_compare_exchange_n(&dying, &was, me, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        if (was == me) _exit(1);
        for (;;) pause();
    }
    if (!in_signal) {
        flush_program_output();
        if (before_die && !__atomic_exchange_n(&hooked, 1, __ATOMIC_ACQ_REL)) before_die();
    }
    /* One write: ranks that stop at once do not interleave their lines. */
    snprintf(line, sizeof line, "cape: %s\n", msg);
    if (first_to_stop()) cape_write_err(line);
    /* Before the job is aborted: its end may kill this process before it gets further. */
    cape_files_cleanup();
    end_job(1, 0);
    _exit(1);
}

/* The rank's number from the launcher's variables (-1 when there is none): known before the
   proxy has told it, so even start-up failures can be reported by rank 0 alone. */
int cape_launch_rank(void) {
    static const char *const names[] = { "PMI_RANK=", "PMIX_RANK=", "SLURM_PROCID=", NULL };
    for (int i = 0; names[i]; i++) {
        const char *p = launch.env;
        size_t n = strlen(names[i]);
        while (p && *p) {
            if (strncmp(p, names[i], n) == 0) return atoi(p + n);
            p = strchr(p, LAUNCH_SEP);
            if (p) p++;
        }
    }
    return -1;
}

/* A stop that every rank reaches (a bad setting, an unsupported construct, ranks that diverged,
   a verify failure) is reported once for the job: by rank 0, whose stop ends the job. The others
   wait for that end; should it not come (rank 0 did not get there), they report it themselves.
   Before a rank can end the job (no abort hook yet: its settings and the program's runtime are
   being checked), rank 0 cannot end the others either, and hydra waits for every rank: the others
   would print the same line 5 s later. What they check there comes from the environment and the
   binary, the same on every rank, so they leave quietly. Should rank 0 not meet it (an environment
   given to some ranks only), its proxy finds a rank gone and stops the job by name. */
void cape_die_everywhere(const char *msg) {
    if (cape_launch_rank() > 0) {
        flush_program_output();
        cape_files_cleanup();
        if (!abort_job) _exit(1);
        struct timespec ts = { 5, 0 };
        while (nanosleep(&ts, &ts) != 0) {}
    }
    cape_die(msg);
}

/* exit() called inside a distributed region: on one machine the process ends with that status,
   whatever its other threads are doing, so the job ends with it too. The other ranks are inside
   the region and would never reach the program's end: the proxy aborts the job through MPI with
   the status as its code (hydra then returns it), silencing MPI's own report, and this rank waits
   for the end it asked for. The program's handlers and stdio have run already. */
void cape_exit_everywhere(int status) {
    cape_files_cleanup();
    end_job(status & 0xff, 1);
    _exit(status);
}

/* Local symbols (outlined functions such as main._omp_fn.0, static variables) are only in the
   object's .symtab, which dladdr does not read: look there when the file still has one. */
static const char *symtab_lookup(const char *path, uintptr_t base, uintptr_t addr, uintptr_t *offset, uintptr_t *size_out, int funcs) {
    static char name[256];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return NULL;
    off_t size = lseek(fd, 0, SEEK_END);
    const uint8_t *m = size > 0 ? mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
    close(fd);
    if (m == MAP_FAILED) return NULL;
    const char *found = NULL;
    const ElfW(Ehdr) *eh = (const ElfW(Ehdr) *)m;
    if ((size_t)size >= sizeof *eh && memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0 &&
        eh->e_shoff + (size_t)eh->e_shnum * sizeof(ElfW(Shdr)) <= (size_t)size) {
        const ElfW(Shdr) *sh = (const ElfW(Shdr) *)(m + eh->e_shoff);
        for (int i = 0; i < eh->e_shnum && !found; i++) {
            if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= eh->e_shnum) continue;
            const ElfW(Sym) *sym = (const ElfW(Sym) *)(m + sh[i].sh_offset);
            const char *str = (const char *)(m + sh[sh[i].sh_link].sh_offset);
            size_t n = sh[i].sh_size / sizeof(ElfW(Sym));
            uintptr_t rel = addr - base;
            for (size_t k = 0; k < n; k++) {
                int type = ELF64_ST_TYPE(sym[k].st_info);
                if ((type != STT_FUNC && (funcs || type != STT_OBJECT)) || sym[k].st_shndx == SHN_UNDEF) continue;
                uintptr_t lo = sym[k].st_value, hi = lo + (sym[k].st_size ? sym[k].st_size : 1);
                if (rel >= lo && rel < hi) {
                    snprintf(name, sizeof name, "%s", str + sym[k].st_name);
                    if (offset) *offset = rel - lo;
                    if (size_out) *size_out = sym[k].st_size;
                    found = name;
                    break;
                }
            }
        }
    }
    munmap((void *)m, (size_t)size);
    return found;
}

const char *cape_symbol_name(const void *addr, uintptr_t *offset) {
    Dl_info info;
    if (!dladdr(addr, &info)) return NULL;
    if (info.dli_sname && info.dli_saddr) {
        if (offset) *offset = (uintptr_t)addr - (uintptr_t)info.dli_saddr;
        return info.dli_sname;
    }
    if (!info.dli_fname) return NULL;
    const char *path = info.dli_fname[0] ? info.dli_fname : exe_path;
    /* dli_fbase is where the object's first segment is mapped; symbols are relative to its load
       bias, which is the same for PIE executables and shared objects built as usual. */
    uintptr_t bias = (uintptr_t)info.dli_fbase;
    return symtab_lookup(path, bias, (uintptr_t)addr, offset, NULL, 0);
}

int cape_function_bounds(uintptr_t addr, uintptr_t *lo, uintptr_t *hi, const char **name) {
    Dl_info info;
    if (!dladdr((const void *)addr, &info) || !info.dli_fname) return -1;
    uintptr_t off = 0, size = 0;
    const char *n = symtab_lookup(info.dli_fname[0] ? info.dli_fname : exe_path, (uintptr_t)info.dli_fbase, addr, &off, &size, 1);
    if (!n || size == 0) return -1;
    if (name) *name = n;
    *lo = addr - off;
    *hi = *lo + size;
    return 0;
}

void *cape_reserve(size_t size, const char *what) {
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
        char msg[256];
        snprintf(msg, sizeof msg, "cannot reserve %zu MiB for %s: %s (check ulimit -v and vm.overcommit_memory)",
                 size >> 20, what, strerror(errno));
        cape_die(msg);
    }
    cape_tracker_exclude((uintptr_t)p, (uintptr_t)p + size);
    return p;
}

/* ---- stack switch ---- */
#if defined(__x86_64__)
__asm__(
    ".text\n"
    ".globl cape_call_on_stack\n"
    ".type cape_call_on_stack,@function\n"
    "cape_call_on_stack:\n"
    "  push %rbp\n"
    "  mov %rsp, %rbp\n"
    "  and $-16, %rdx\n"
    "  mov %rdx, %rsp\n"
    "  mov %rdi, %rax\n"
    "  mov %rsi, %rdi\n"
    "  call *%rax\n"
    "  mov %rbp, %rsp\n"
    "  pop %rbp\n"
    "  ret\n"
    ".size cape_call_on_stack, .-cape_call_on_stack\n");
#elif defined(__aarch64__)
__asm__(
    ".text\n"
    ".globl cape_call_on_stack\n"
    ".type cape_call_on_stack,%function\n"
    "cape_call_on_stack:\n"
    "  stp x29, x30, [sp, #-16]!\n"
    "  mov x29, sp\n"
    "  and x2, x2, #~15\n"
    "  mov sp, x2\n"
    "  mov x3, x0\n"
    "  mov x0, x1\n"
    "  blr x3\n"
    "  mov sp, x29\n"
    "  ldp x29, x30, [sp], #16\n"
    "  ret\n"
    ".size cape_call_on_stack, .-cape_call_on_stack\n");
#else
#error "cape_call_on_stack: unsupported architecture"
#endif

int cape_thread_spawn(void *(*fn)(void *), void *arg, void *stack, size_t stack_size) {
    pthread_attr_t attr;
    pthread_t tid;
    pthread_attr_init(&attr);
    pthread_attr_setstack(&attr, stack, stack_size);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&tid, &attr, fn, arg);
    pthread_attr_destroy(&attr);
    return rc;
}

/* ---- stdio ---- */
static char stdout_buf[1 << 16];

/* stdout's buffer normally comes from the program's heap, allocated on first output: on rank 0
   only when only rank 0 prints. A buffer in libcape's own data keeps the heap identical and keeps
   each rank's unflushed output its own. The buffering mode stays what glibc would choose. */
void cape_stdio_own_buffer(void) {
    setvbuf(stdout, stdout_buf, isatty(1) ? _IOLBF : _IOFBF, sizeof stdout_buf);
}

void cape_stdio_flush(void) {
    fflush(stdout);
    fflush(stderr);
}

/* ---- the constructor ---- */
static const char *base_name(const char *p) {
    const char *b = strrchr(p, '/');
    return b ? b + 1 : p;
}

static int inert_process(const char *exe) {
    const char *b = base_name(exe);
    return strncmp(b, "mpiexec", 7) == 0 || strncmp(b, "mpirun", 6) == 0 || strncmp(b, "hydra_", 6) == 0 ||
           strcmp(b, "cape-proxy") == 0 || strcmp(b, "srun") == 0 || strncmp(b, "slurmstepd", 10) == 0;
}

static int launched_by_mpi(void) {
    return getenv("PMI_RANK") || getenv("PMIX_RANK") || (getenv("SLURM_PROCID") && getenv("SLURM_STEP_ID"));
}

/* glibc's tcache stamps every freed small chunk with a per-process random key: heap bytes that
   differ between ranks for no reason. Without the tcache, freed chunks hold only addresses, which
   are the same everywhere. */
static char *tunables(char **envp) {
    const char *old = NULL;
    for (size_t i = 0; envp[i]; i++)
        if (strncmp(envp[i], "GLIBC_TUNABLES=", 15) == 0) old = envp[i] + 15;
    const char *mine = "glibc.malloc.tcache_count=0";
    char *t = malloc(strlen("GLIBC_TUNABLES=") + strlen(mine) + (old ? strlen(old) + 1 : 0) + 1);
    if (!t) cape_die("out of memory at start-up");
    sprintf(t, "GLIBC_TUNABLES=%s%s%s", old ? old : "", old ? ":" : "", mine);
    return t;
}

static void reexec(char **argv, char **envp) {
    size_t n = 0;
    while (envp[n]) n++;
    char **env = calloc(n + 3, sizeof(char *));
    char *blob = calloc(1, strlen(LAUNCH_VAR) + LAUNCH_CAP + 1);
    if (!env || !blob) cape_die("out of memory at start-up");
    char *w = stpcpy(blob, LAUNCH_VAR);
    char *end = w + LAUNCH_CAP - 1;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (strncmp(envp[i], LAUNCH_VAR, strlen(LAUNCH_VAR)) == 0) continue;
        if (strncmp(envp[i], "GLIBC_TUNABLES=", 15) == 0) continue;
        if (!is_launcher_var(envp[i])) { env[k++] = envp[i]; continue; }
        size_t l = strlen(envp[i]);
        if (w + l + 2 >= end) cape_die("the launcher's environment is larger than 32 KiB (unset some PMI_/SLURM_ variables)");
        memcpy(w, envp[i], l);
        w += l;
        *w++ = LAUNCH_SEP;
    }
    *w++ = LAUNCH_END;
    while (w < end) *w++ = 'x';
    *w = 0;
    env[k++] = blob;
    env[k++] = tunables(envp);
    env[k] = NULL;
    int pers = personality(0xffffffff);
    if (pers == -1 || personality((unsigned long)pers | ADDR_NO_RANDOMIZE) == -1)
        cape_die("cannot turn off address randomization: personality(ADDR_NO_RANDOMIZE) was refused "
                 "(allow it for this job, e.g. run where `setarch -R true` works)");
    execve("/proc/self/exe", argv, env);
    char msg[512];
    snprintf(msg, sizeof msg, "cannot re-execute the program to turn off address randomization: %s", strerror(errno));
    cape_die(msg);
}

/* Decodes CAPE_LAUNCH into launch_env and removes it from the environment. */
static void take_launch_env(const char *blob) {
    size_t i = 0;
    while (blob[i] && blob[i] != LAUNCH_END && i < LAUNCH_CAP - 1) { launch_env[i] = blob[i]; i++; }
    launch_env[i] = 0;
    launch.env = launch_env;
    const char *fd = strstr(launch_env, "PMI_FD=");
    if (fd && (fd == launch_env || fd[-1] == LAUNCH_SEP)) launch.launcher_fd = atoi(fd + 7);
    unsetenv("CAPE_LAUNCH");
}

/* The launcher leaves different descriptors open on different ranks (PMI_FD is 6 on one, 8 on
   another). The program's own open() would then get rank-dependent numbers, which end up in its
   memory (a FILE's _fileno). Every inherited descriptor above stderr moves to 1024 and up, so the
   program's descriptors start at 3 on every rank. */
static void normalize_fds(void) {
    int next = 1024;
    for (int fd = 3; fd < 1024; fd++) {
        int flags = fcntl(fd, F_GETFD);
        if (flags < 0) continue;
        int moved = fcntl(fd, (flags & FD_CLOEXEC) ? F_DUPFD_CLOEXEC : F_DUPFD, next);
        if (moved < 0) continue;
        next = moved + 1;
        if (fd == launch.launcher_fd) launch.launcher_fd = moved;
        close(fd);
    }
}

static void start_on_runtime_stack(void *unused) {
    (void)unused;
    cape_swift_start();
}

static void at_exit(int status, void *unused) {
    (void)unused;
    cape_self()->rt_depth++;
    cape_swift_at_exit(status);
    cape_self()->rt_depth--;
}

/* ---- main, with identical stack contents on every rank ----
 *
 * Diffs say which bytes a rank changed relative to what it had; a receiver that had different bytes
 * there would keep them. On the main stack, memory below main's frame holds what start-up left:
 * stack-protector canaries (random per process) and values of libcape's rank-dependent start-up.
 * A region writing an uninitialized local over such bytes could then leave ranks different.
 * So libcape starts main itself: with a canary that rank 0 chose for every rank, and with the dead
 * stack below main zeroed. The canary changes before glibc's __libc_start_main runs, when no
 * frame that checks it is live. */
typedef int (*main_fn)(int, char **, char **);
static main_fn real_main;

/* The low end of the main stack's mapping (0 if /proc/self/maps does not say). Runs on the
   runtime stack: stdio's frames must not land on the stack it measures. */
struct stack_query { uintptr_t sp, low; };

static void find_stack_low(void *p) {
    struct stack_query *q = p;
    char line[512];
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f) return;
    while (fgets(line, sizeof line, f)) {
        unsigned long s, e;
        if (strstr(line, "[stack]") && sscanf(line, "%lx-%lx", &s, &e) == 2 && q->sp >= s && q->sp < e) q->low = s;
    }
    fclose(f);
}

static int cape_main(int argc, char **argv, char **envp) {
    if (launch.is_rank) {
        static uint8_t query_stack[64 * 1024] __attribute__((aligned(16)));
        struct stack_query q = { 0, 0 };
#if defined(__x86_64__)
        __asm__ volatile("mov %%rsp, %0" : "=r"(q.sp));
#elif defined(__aarch64__)
        __asm__ volatile("mov %0, sp" : "=r"(q.sp));
#endif
        cape_self()->rt_depth++;
        cape_call_on_stack(find_stack_low, &q, query_stack + sizeof query_stack);
        cape_self()->rt_depth--;
        cape_clean_registers();
        /* Everything below the stack pointer is dead, and main's frame goes right below it. It is
           zeroed here, after the last call before main: the words that calls leave below the stack
           pointer are rank-dependent (cape_call_on_stack saves the callee-saved registers of
           glibc's start-up, one of which held the process's own canary). Zeroing it from the
           runtime stack left a margin for those words, and main's highest locals sat on them:
           24_clauses_default_none's last words of a stack array kept rank 0's top byte where rank
           1 wrote a value whose top byte was already its own, in about 1 run of 20 under load. */
        if (q.low) {
#if defined(__x86_64__)
            __asm__ volatile("mov %%rsp, %%rcx\n sub %%rdi, %%rcx\n shr $3, %%rcx\n xor %%eax, %%eax\n cld\n rep stosq"
                             : "+D"(q.low) : : "rax", "rcx", "memory", "cc");
#else
            memset((void *)q.low, 0, (q.sp - 64 - q.low) & ~(uintptr_t)15); /* not below what is live */
#endif
        }
#if defined(__x86_64__)
        /* The scratch registers that main's first calls may carry into the resolver's save area. */
        __asm__ volatile("xor %%eax, %%eax\n xor %%ecx, %%ecx\n xor %%r8d, %%r8d\n xor %%r9d, %%r9d\n"
                         "xor %%r10d, %%r10d\n xor %%r11d, %%r11d" ::: "rax", "rcx", "r8", "r9", "r10", "r11");
#endif
    }
    return real_main(argc, argv, envp);
}

int __libc_start_main(main_fn main, int argc, char **argv, void (*init)(void), void (*fini)(void),
                      void (*rtld_fini)(void), void *stack_end) {
    typedef int (*start_fn)(main_fn, int, char **, void (*)(void), void (*)(void), void (*)(void), void *);
    start_fn real = (start_fn)dlsym(RTLD_NEXT, "__libc_start_main");
    if (!real) cape_die("cannot find glibc's __libc_start_main");
    real_main = main;
    if (launch.is_rank) {
#if defined(__x86_64__)
        uint64_t canary = cape_swift_shared_word();
        canary &= ~(uint64_t)0xff; /* glibc keeps the low byte zero: string overflows stop there */
        __asm__ volatile("movq %0, %%fs:0x28" : : "r"(canary) : "memory");
#endif
    }
    return real(cape_main, argc, argv, init, fini, rtld_fini, stack_end);
}

__attribute__((constructor)) static void cape_constructor(int argc, char **argv, char **envp) {
    (void)argc;
    ssize_t n = readlink("/proc/self/exe", exe_path, sizeof exe_path - 1);
    if (n <= 0) return;
    exe_path[n] = 0;
    if (inert_process(exe_path)) return;
    Dl_info info;
    if (dladdr((void *)cape_constructor, &info) && info.dli_fname) {
        strncpy(self_path, info.dli_fname, sizeof self_path - 1);
    }
    launch.exe = exe_path;
    launch.self_path = self_path;

    const char *blob = getenv("CAPE_LAUNCH");
    if (!blob && launched_by_mpi()) reexec(argv, envp);
    if (blob) {
        int pers = personality(0xffffffff);
        if (pers == -1 || !(pers & ADDR_NO_RANDOMIZE))
            cape_die("address randomization is still on after re-execution (allow personality(ADDR_NO_RANDOMIZE))");
        take_launch_env(blob);
        launch.is_rank = 1;
        normalize_fds();
    }
    launch.startup_block = (uintptr_t)argv - sizeof(long);
    cape_tracker_set_stack_limit(launch.startup_block);
    if (launch.is_rank) cape_tracker_note_startup();

    cape_self()->rt_depth = 1;
    size_t arena = (size_t)1 << 30;
    cape_arena_init(cape_reserve(arena, "the runtime arena"), arena);
    size_t boot = (size_t)8 << 20;
    uint8_t *stack = cape_reserve(boot, "the start-up stack");
    cape_call_on_stack(start_on_runtime_stack, NULL, stack + boot);
    on_exit(at_exit, NULL);
    cape_self()->rt_depth = 0;
}

/* ---- the executable's thread-local block (threadprivate variables) ---- */
struct tls_query { void *block; size_t size; const void *image; size_t filesz; };

static int find_exe_tls(struct dl_phdr_info *info, size_t size, void *arg) {
    (void)size;
    struct tls_query *q = arg;
    if (info->dlpi_name && info->dlpi_name[0]) return 0; /* the executable has an empty name */
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_TLS) {
            q->block = info->dlpi_tls_data;
            q->size = ph->p_memsz;
            q->image = (const void *)(info->dlpi_addr + ph->p_vaddr);
            q->filesz = ph->p_filesz;
        }
    }
    return 1;
}

/* The calling thread's block of the executable's TLS, its size, and the initialization image. */
int cape_exe_tls(void **block, size_t *size, const void **image, size_t *filesz) {
    struct tls_query q = { 0 };
    dl_iterate_phdr(find_exe_tls, &q);
    *block = q.block; *size = q.size; *image = q.image; *filesz = q.filesz;
    return q.block != NULL && q.size > 0;
}
