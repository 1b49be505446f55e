/* libcape's C shim: only what Swift cannot do safely. Every function is prefixed cape_ and its
 * comment says why it is C. */
#ifndef CAPE_SHIM_H
#define CAPE_SHIM_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

/* ---- Thread-local state (C: Swift has no thread-locals a signal handler may read). ---- */
typedef struct cape_thread {
    int32_t rt_depth;     /* > 0: this thread runs runtime code; its allocations use the runtime arena */
    int32_t thread_num;   /* global thread number in the innermost team */
    int32_t team_size;    /* size of the innermost team */
    int32_t level;        /* nesting level of parallel regions, 0 in sequential code */
    int32_t active_level; /* levels whose team has more than one thread */
    int32_t local_index;  /* index among this rank's local threads, -1 outside a region */
    int32_t top_thread_num; /* thread number in the outermost region (level 1); 0 outside */
    int32_t top_team_size;  /* size of the outermost region's team; 1 outside */
    void *nest;             /* the innermost active nested team (NestedTeam.swift) the thread is in, or NULL */
    int32_t nest_thread_num; /* the thread's number in that team */
    int32_t flush_idle;     /* flushes in a row that brought nothing, right after each other (Flush.swift) */
    double flush_end;       /* wtime() when the thread's last flush returned (Flush.swift) */
} cape_thread_t;
cape_thread_t *cape_self(void);

/* ---- Runtime arena: runtime allocations never touch the program's heap. ---- */
/* Called once at start: routes malloc & co. of threads with rt_depth > 0 to [base, base+size). */
void cape_arena_init(void *base, size_t size);
int cape_arena_owns(const void *p);

/* ---- The region heap (regionheap.c): program allocations inside distributed regions. ---- */
size_t cape_rheap_bytes(int ranks, int threads_per_rank, size_t window, size_t extra);
int cape_rheap_init(void *at, int ranks, int threads_per_rank, size_t window, size_t extra, int rank);
/* The `extra` read-write bytes that follow the slots' headers (TeamBlocks' area). */
void *cape_rheap_extra(void);
/* The read-write area (headers and extra bytes), and whether a sync point's collection must scan
   it: written by the allocator since the last call, or pinned (TeamBlocks' blocks live). */
void cape_rheap_area(uintptr_t *start, uintptr_t *end);
void cape_rheap_pin_extra(int on);
int cape_rheap_take_area_written(void);
void cape_rheap_set_active(int on);
int cape_rheap_active(void);
int cape_rheap_owns(const void *p);
void *cape_rheap_alloc(size_t n, size_t align);
void cape_rheap_free(void *p, int is_rheap);
void cape_rheap_free_now(void *p);
size_t cape_rheap_usable(void *p);
/* Since the last call: the ranges this rank committed (start, end pairs) and the frees it deferred. */
uint32_t cape_rheap_take_commits(const uint64_t **pairs);
uint32_t cape_rheap_take_frees(const uint64_t **ptrs);
/* Commits a range another rank committed. */
int cape_rheap_commit(uintptr_t s, uintptr_t e);

/* ---- Reserved memory: mappings made once at start, the same on every rank. ---- */
void *cape_reserve(size_t size, const char *what);

/* ---- Stack switch (C/asm: Swift cannot change the stack pointer). ---- */
/* Calls fn(arg) with the stack pointer set to stack_top (16-byte aligned). */
void cape_call_on_stack(void (*fn)(void *), void *arg, void *stack_top);
/* Calls a region's outlined function fn(data) with every other register and the 16 KiB below the
   stack pointer zeroed, so that what gcc's code reads without having set it (an empty loop's
   lastprivate copy-out) is the same on every thread and rank (entry.c). */
__attribute__((visibility("hidden"))) void cape_call_clean(void (*fn)(void *), void *data);
/* The stack on which the master runs regions (set once by the Swift start-up). */
void cape_set_master_stack(void *top);

/* ---- Dirty-page tracking: two backends, one interface. ----
   mprotect: write-protect at region start, twin each page on its first write (SIGSEGV).
   uffd: userfaultfd asynchronous write protection; PAGEMAP_SCAN reads and re-arms the written set;
   the content before the region comes from a shadow copy refreshed at each arming. */
typedef struct cape_range {
    uintptr_t start, end;           /* page-aligned extent that is protected */
    uintptr_t clip_start, clip_end; /* bytes that belong to the program (encode and hash only these) */
    uintptr_t vma_start, vma_end;   /* the mappings it lies in (what the uffd backend registers) */
    int prot;                       /* protection to restore */
    uint32_t kind;                  /* cape_range_kind */
    uint32_t *state;                /* per page: 0 clean, 1 being twinned, 2 + slot when dirty, and flag bits */
} cape_range_t;

enum cape_tracker_backend { CAPE_TRACKER_MPROTECT = 0, CAPE_TRACKER_UFFD = 1 };
/* Switches to the uffd backend if the kernel has it (probed with a scratch mapping). shadow: a
   reservation for the shadow copy. Returns 0, or -1 with the reason in cape_tracker_error(). */
int cape_tracker_use_uffd(void *shadow, size_t shadow_bytes);
/* uffd: how many past sync points' changed pages are kept to guess the next one's (track.c, "Hot
   pages"); 0: leave no page writable. */
void cape_tracker_set_hot_history(unsigned n);
/* uffd: the encoder found the dirty page `page` changed (pages in increasing address order). */
void cape_tracker_changed(uintptr_t page);
int cape_tracker_backend(void);
/* Time (ns) of the uffd tracker's own work since the last call: arming, scanning, copying. */
uint64_t cape_tracker_take_ns(void);

enum cape_range_kind { CAPE_RANGE_DATA = 0, CAPE_RANGE_HEAP = 1, CAPE_RANGE_ANON = 2, CAPE_RANGE_STACK = 3 };

typedef struct cape_tracker_info {
    uint32_t nranges;
    uint64_t tracked_bytes;
    uint64_t brk;
} cape_tracker_info_t;

/* Sets up the tracker's reserved memory and installs the SIGSEGV handler (chained). */
int cape_tracker_init(void *twins, size_t twin_bytes, void *scratch, size_t scratch_bytes);
/* Marks [start, end) as runtime memory: never tracked. */
void cape_tracker_exclude(uintptr_t start, uintptr_t end);
/* Notes the anonymous memory there is before the program runs (the constructor calls it): runtime
   memory, not tracked, except where it holds a writable segment of the program's. */
void cape_tracker_note_startup(void);
/* Records where the main thread's kernel start-up block (argc, argv, env, auxv) begins. */
void cape_tracker_set_stack_limit(uintptr_t startup_block);
/* Reads /proc/self/maps and selects the program's memory. entry_sp: the main stack from there up. */
int cape_tracker_scan(uintptr_t entry_sp, cape_tracker_info_t *info);
/* Write-protects the selected memory and arms the fault handler. */
int cape_tracker_protect(void);
/* The same after a barrier's exchange: with the uffd backend, where the ranges stand, the pages
   the barrier's collection protected stay so, and nothing is scanned (track.c says why). */
int cape_tracker_rearm(void);
/* Runs the scan a barrier's arming skips and fails the arming if it finds a stale shadow page. */
void cape_tracker_set_check_rearm(int on);
/* Restores the protections; the dirty set stays readable until the next scan. */
int cape_tracker_unprotect(void);
const cape_range_t *cape_tracker_ranges(uint32_t *count);
/* The dirty pages sorted by address, each with its content when tracking was armed. Returns the count. */
uint64_t cape_tracker_dirty_sorted(const uintptr_t **pages, const uint8_t *const **old);
/* Forgets the dirty set (twins are reused). */
void cape_tracker_reset(void);
/* Sections (critical, ordered, locks): collect the pages written between begin and end; end
   returns them with their content at section start. Only one section runs at a time per process. */
void cape_section_begin(void);
/* A section after one that found no page written: no scan of its own where the tracker allows. */
void cape_section_resume(void);
/* Flush mode: with the uffd tracker a section starts from the shadow (what was last published),
   so no write made between two sections goes unpublished. */
void cape_sections_publish_all(int on);
uint32_t cape_section_end(const uintptr_t **pages, const uint8_t *const **old);
/* Makes a tracked page dirty and writable and returns its twin (NULL when not tracked): bytes
   written to both the page and its twin do not count as this rank's own change. A second copy
   that must get the same bytes (the uffd backend's section snapshot) comes back in *second. */
uint8_t *cape_tracker_writable_twin(uintptr_t page, uint8_t **second);
/* About to write the page-aligned span [start, end) of tracked memory outside a region's code
   (applying other ranks' diffs): lets the uffd backend drop the write protection in one call. */
void cape_tracker_before_write(uintptr_t start, uintptr_t end);
/* Applying other ranks' diffs, uffd backend: [start, end) was just written with a run of a diff;
   its bytes go to the shadow as well (nothing happens where no scanned range keeps a shadow:
   compared ranges, untracked memory, the mprotect backend). */
void cape_tracker_applied(uintptr_t start, uintptr_t end);
/* Writes one run of another rank's diff into memory, and into the shadow as cape_tracker_applied
   would copy it, in one pass. */
void cape_tracker_apply_run(uintptr_t addr, const uint64_t *src, const uint8_t *mask, size_t words);
/* After [start, end) got the same bytes in memory and in its shadow (cape_tracker_applied):
   protects it again, so the next arming neither finds nor copies it. */
void cape_tracker_after_write(uintptr_t start, uintptr_t end, int barrier);
/* Text of the last tracker failure. */
const char *cape_tracker_error(void);

/* ---- Start-up (constructor in C: runs before Swift could be asked). ---- */
typedef struct cape_launch {
    int is_rank;          /* started by an MPI launcher */
    int launcher_fd;      /* PMI_FD or -1 */
    const char *env;      /* launcher variables "NAME=VALUE\x1f..." */
    uintptr_t startup_block;
    const char *exe;      /* path of the program */
    const char *self_path;/* path of libcape.so */
} cape_launch_t;
const cape_launch_t *cape_launch_info(void);
/* The rank's number from the launcher's variables, -1 when there is none. */
int cape_launch_rank(void);

/* ---- Programs libcape cannot drive (foreign.c). ---- */
enum { CAPE_FOREIGN_LLVM_OPENMP = 1, CAPE_FOREIGN_MPI = 2 };
/* 0, or which kind of foreign runtime is loaded; `name` the object that shows it. */
int cape_foreign_runtime(const char **name);

/* ---- Stopping (start.c, crash.c). ---- */
/* The same for a stop that every rank reaches: only rank 0 (by the launcher's number) prints it. */
void cape_die_everywhere(const char *msg) __attribute__((noreturn));
void cape_set_die_hook(void (*hook)(void));
int cape_err_fd(void);
/* Replaces the Swift runtime's crash reports (crash.c). */
void cape_crash_install(int trace);
struct sigaction;
int cape_real_sigaction(int sig, const struct sigaction *act, struct sigaction *old);

/* The work share that a combined construct (parallel loop, parallel sections) sets up before its
   team starts: the outlined function goes straight to GOMP_loop_*_next / GOMP_sections_next. */
typedef struct cape_ws_preset {
    int32_t kind;   /* 0: none, 1: loop, 2: sections */
    int32_t sched;  /* loops: GFS_* (0 runtime, 1 static, 2 dynamic, 3 guided, 4 auto) */
    int64_t start, end, incr, chunk;
    uint32_t count; /* sections */
} cape_ws_preset_t;

/* Implemented in Swift (@_cdecl), called from C. */
void cape_swift_start(void);
void cape_swift_parallel(void (*fn)(void *), void *data, unsigned num_threads, unsigned flags, uintptr_t entry_sp,
                         const cape_ws_preset_t *preset);
void cape_swift_parallel_start(void (*fn)(void *), void *data, unsigned num_threads, unsigned flags, uintptr_t entry_sp,
                               const cape_ws_preset_t *preset);
void cape_swift_parallel_end(void);
unsigned cape_swift_parallel_reductions_begin(uintptr_t data, unsigned num_threads, unsigned flags, uintptr_t *saved);
void cape_swift_parallel_reductions_end(uintptr_t *saved);
/* Tasks that wait for detach events (tasks.c): a barrier or a region's end, where every task of
   the thread must be complete; a taskgroup's start (the mark its end is given) and end. */
void cape_tasks_settle_barrier(void);
uint64_t cape_tasks_taskgroup_begin(void);
void cape_tasks_taskgroup_end(uint64_t start);
void cape_swift_at_exit(int status);
/* A 64-bit value chosen by rank 0 and the same on every rank (the stack-protector canary). */
uint64_t cape_swift_shared_word(void);

/* Prints "cape: <msg>" to the original stderr, flushes the program's stdout, runs the die hook
   (the profile), ends the whole job and exits 1. */
void cape_die(const char *msg) __attribute__((noreturn));
/* The same from a signal handler: no flush and no hook (async-signal-safe). */
void cape_die_in_signal(const char *msg) __attribute__((noreturn));
/* The job's stop word in the memory that the ranks of rank 0's host share (CAPE_STOP_WORD_OFFSET):
   once set, cape_die on those ranks prints its line only if it is the first to stop. */
void cape_set_stop_word(uint32_t *word, int home);
/* The channel's end_report word and this rank's number; the claim that a crash of the program's
   own makes on the stop word before its signal ends the rank (start.c). Async-signal-safe. */
void cape_set_end_report(uint32_t *word, int rank);
void cape_crash_claim(int sig);
/* Clears the vector registers, before main (the caller zeroes the scratch ones).
   Hidden: called through the PLT, its first call would run the lazy-binding resolver first, which
   saves the very registers it is to clear into the stack where main's frame goes. */
__attribute__((visibility("hidden"))) void cape_clean_registers(void);
/* What cape_die calls to end the whole job (set when a rank starts): 1 when the proxy was asked
   to abort it, 0 when there is no proxy to ask (the rank then ends by SIGKILL, which hydra
   answers by ending every rank), -1 when the rank is alone in its job (it just exits). */
void cape_set_abort_hook(int (*hook)(int code, int quiet));
/* exit(status) inside a distributed region: ends the whole job with that status and no message. */
void cape_exit_everywhere(int status) __attribute__((noreturn));
/* write(2) of a whole string to fd 2 of the process as it started (rank 0 and others alike). */
void cape_write_err(const char *msg);
void cape_set_err_fd(int fd);

/* The name of the variable that region function `fn` (data block `data`) shares by reference and
   that contains `addr`, from the program's DWARF; NULL without debug information. */
const char *cape_dwarf_shared_name(uintptr_t fn, uintptr_t data, uintptr_t addr, uintptr_t *offset);

/* The byte size of region function `fn`'s data block, from DWARF; 0 without debug information. */
size_t cape_dwarf_data_size(uintptr_t fn);
/* "file:line" of the code at fn, from the executable's line table, or NULL. */
const char *cape_dwarf_source_line(uintptr_t fn);

/* Symbol of an address (dladdr), or NULL. */
const char *cape_symbol_name(const void *addr, uintptr_t *offset);
/* How many times mmap, munmap and mremap were called in this process (mappings.c). */
uint64_t cape_mapping_changes(void);

/* The function of the executable's or a library's symbol table that holds `addr`: [lo, hi), and
   its name (valid until the next lookup). Returns -1 when there is none (a stripped file). */
int cape_function_bounds(uintptr_t addr, uintptr_t *lo, uintptr_t *hi, const char **name);

/* Program stdout/stderr plumbing: C because it calls setvbuf on the FILE before any I/O. */
void cape_stdio_own_buffer(void);
void cape_stdio_flush(void);

/* The calling thread's stack pointer (approximately: the frame of this call). */
uintptr_t cape_stack_pointer(void);


/* Inline atomics (atomics.c): patches every atomic instruction of the executable so that it runs
   team-wide in order. Returns the number of sites, or -1 (cape_atomics_error says why). */
long cape_atomics_install(void);
/* Whether install rewrites local update sites into jumps (jumps.c); otherwise every site traps. */
void cape_atomics_rewrite(int on);
const char *cape_atomics_error(void);

/* Local updates (atomics.c): sites classified as updates whose result nobody reads. */
enum cape_atomic_op {
    CAPE_ATOMIC_SERIAL = 0, /* runs team-wide, one at a time */
    CAPE_ATOMIC_ADD = 1, CAPE_ATOMIC_SUB = 2, CAPE_ATOMIC_INC = 3, CAPE_ATOMIC_DEC = 4,
    CAPE_ATOMIC_AND = 5, CAPE_ATOMIC_OR = 6, CAPE_ATOMIC_XOR = 7,
    CAPE_ATOMIC_FENCE = 8,  /* a locked no-op (lock or $0, (%rsp)): a memory fence */
    CAPE_ATOMIC_MUL = 9,    /* integer multiplication (a compare-exchange loop), folded modulo 2^width */
    /* Floating-point updates (compare-exchange loops of float or double, by width): they do not
       fold, each one goes to the rank's log in the order it ran. */
    CAPE_ATOMIC_FADD = 10, CAPE_ATOMIC_FSUB = 11, CAPE_ATOMIC_FMUL = 12, CAPE_ATOMIC_FDIV = 13,
    CAPE_ATOMIC_LOGGED = 14, /* a record's class: floating-point updates, each in the log */
    /* Integer min and max (`atomic compare` forms: a compare-exchange loop of cmp and cmov), signed
       or unsigned at the width: they fold to the extreme operand, in any order. */
    CAPE_ATOMIC_SMAX = 15, CAPE_ATOMIC_SMIN = 16, CAPE_ATOMIC_UMAX = 17, CAPE_ATOMIC_UMIN = 18,
    /* Floating-point min and max as gcc emits them (maxss/maxsd, minss/minsd with M's value first:
       M > e ? M : e and M < e ? M : e, NaN and signed zeros included): logged like FADD. */
    CAPE_ATOMIC_FMAX = 19, CAPE_ATOMIC_FMIN = 20,
    /* The same with e first (e > M ? e : M, e < M ? e : M): gcc's AVX form, vmaxsd M, e. */
    CAPE_ATOMIC_FMAX_E = 21, CAPE_ATOMIC_FMIN_E = 22,
};
/* What the rank did to one address since its last sync point: the operator class (ADD for add,
   sub, inc and dec; MUL, AND, OR, XOR, SMAX, SMIN, UMAX, UMIN; LOGGED for floating point), the folded operand (none for
   LOGGED), and the value before its first update. */
typedef struct cape_atomic_record {
    uint64_t address;
    uint64_t operand;
    uint64_t before;
    uint8_t width, op, mixed, pad[5];
} cape_atomic_record_t;
_Static_assert(sizeof(cape_atomic_record_t) == 32, "records travel in segments as they are");
/* `mixed` bits: the rank used several operator classes on the address; a team-wide atomic wrote it
   (op SERIAL when nothing else did). */
#define CAPE_ATOMIC_SEVERAL_CLASSES 1
#define CAPE_ATOMIC_TOUCHED_SERIALLY 2
/* One floating-point update, in the order the rank performed it: its record's index, the
   operator (CAPE_ATOMIC_FADD ... FDIV, FMAX ... FMIN_E) and the operand's bits (float or double by the record's width). */
typedef struct cape_atomic_log {
    uint64_t operand;
    uint32_t record;
    uint8_t op, pad[3];
} cape_atomic_log_t;
_Static_assert(sizeof(cape_atomic_log_t) == 16, "the log travels in segments as it is");
int cape_atomics_records_init(void *memory, size_t bytes);
int cape_atomics_log_init(void *memory, size_t bytes);
const cape_atomic_log_t *cape_atomics_log(uint32_t *count);
const cape_atomic_record_t *cape_atomics_records(uint32_t *count);
/* A copy of the records so far, taken while other local threads may add to them. */
uint32_t cape_atomics_copy_records(cape_atomic_record_t *out, uint32_t cap);
void cape_atomics_records_reset(void);
size_t cape_atomics_local_sites(void);
/* Calls `line` for every atomic site: its address, enum cape_atomic_op, width, and mnemonic
   (Capstone's, e.g. "lock add", "lock cmpxchg", "xchg"). */
void cape_atomics_report(void (*line)(uintptr_t addr, int op, int width, int jump, const char *mnemonic));
/* How many sites were rewritten into jumps to a trampoline (jumps.c); the others trap. */
size_t cape_atomics_jump_sites(void);
/* CAPE_ATOMICS=serial turns local updates off. */
void cape_atomics_local(int on);
/* Swift: whether a local update is recorded now (a distributed region runs on this thread). */
int cape_swift_atomic_local(void);
/* Tasks (tasks.c): how many run nested on the calling thread; Swift keeps each one's ICVs. */
int cape_task_depth(void);
void cape_swift_task_begin(void);
void cape_swift_task_end(void);
/* Implemented in Swift: a flush (Flush.swift), from the SIGTRAP handler of a fence site. */
void cape_swift_flush(void);
/* How many of the program's atomic sites are fences (flush). */
size_t cape_atomics_fence_sites(void);
/* Implemented in Swift: enter / leave the team-wide section of an atomic instruction. begin returns
   1 when it entered one (inside a distributed region), 0 when the instruction just runs. */
int cape_swift_atomic_begin(void);
void cape_swift_atomic_end(void);

/* The calling thread's block of the executable's own TLS (threadprivate variables), its size,
   and its initialization image (filesz bytes, then zeros). 0 when the program has no TLS. */
int cape_exe_tls(void **block, size_t *size, const void **image, size_t *filesz);

/* Ranks other than 0: files that sequential code writes go to a private directory of the rank's
   own (files.c), whose path is also copied to `publish` (the channel, for the proxy). Stops the
   rank with a message when the directory cannot be made. */
void cape_files_redirect(int rank, char *publish, size_t publish_size);
/* Removes that directory (at exit, and from cape_die: async-signal-safe). */
void cape_files_cleanup(void);

/* ---- The job's clock (clock.c). ---- */
#include <time.h>
/* The rank's own clock, whoever calls. */
int cape_clock_raw(int clock, struct timespec *ts);
/* From now on, clock reads of sequential code on this (the initial) thread go to `hook`. */
void cape_clock_enable(int (*hook)(int clock, struct timespec *ts));
/* Whether the caller is the program's sequential code, whose clock reads are the job's. */
int cape_clock_sequential(void);

/* Spawns a runtime thread on a stack of our own (no glibc stack mapping). */
int cape_thread_spawn(void *(*fn)(void *), void *arg, void *stack, size_t stack_size);

#endif
