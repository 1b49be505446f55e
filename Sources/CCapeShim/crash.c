/* Crashes: the program's keep their signal, libcape's say so.
 *
 * The Swift runtime installs handlers that print a crash report for any fatal signal of the
 * process, so a program's own abort(), failed assert or bad pointer came out as a Swift backtrace.
 * These handlers take their place. When the faulting instruction is the program's (or a library
 * of its own), the signal's default action is restored and the signal raised again: the rank ends
 * as it would without libcape, with the same signal, which mpiexec reports, and the rank's proxy
 * ends the job. When it is libcape's or the Swift runtime's, that is a bug of libcape: one line
 * `cape: internal error ...` asks for a report, with a backtrace when CAPE_TRACE is set, and the
 * job stops as for any other cape_die.
 *
 * SIGSEGV and SIGTRAP first go to the tracker's and the atomics' handlers, which pass on what is
 * not theirs (track.c and atomics.c keep these handlers behind theirs). */
#define _GNU_SOURCE
#include "cape_shim.h"
#include <dlfcn.h>
#include <execinfo.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

static int trace_requested;

static const int fatal_signals[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS, 0 };

static uintptr_t fault_pc(void *ucv) {
    ucontext_t *uc = ucv;
#if defined(__x86_64__)
    return (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
    return (uintptr_t)uc->uc_mcontext.pc;
#else
    (void)uc;
    return 0;
#endif
}

/* Whether code at `pc` is libcape's: libcape.so itself or the Swift runtime it brings. */
static int runtime_code(uintptr_t pc, const char **object, const char **symbol, uintptr_t *offset) {
    Dl_info info;
    if (!pc || !dladdr((void *)pc, &info) || !info.dli_fname) return 0;
    const char *base = strrchr(info.dli_fname, '/');
    base = base ? base + 1 : info.dli_fname;
    *object = base;
    *symbol = info.dli_sname;
    *offset = info.dli_saddr ? pc - (uintptr_t)info.dli_saddr : pc - (uintptr_t)info.dli_fbase;
    return strncmp(base, "libcape", 7) == 0 || strncmp(base, "libswift", 8) == 0 ||
           strncmp(base, "libFoundation", 13) == 0 || strncmp(base, "libdispatch", 11) == 0;
}

static void default_action(int sig) {
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    cape_real_sigaction(sig, &dfl, NULL);
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    pthread_sigmask(SIG_UNBLOCK, &s, NULL);
}

static void on_crash(int sig, siginfo_t *si, void *uc) {
    const char *object = "", *symbol = NULL;
    uintptr_t offset = 0, pc = fault_pc(uc);
    /* Signals sent by a process (kill, abort's raise) are the program's; faults are judged by
       where they happened. */
    int sent = si->si_code <= 0;
    if (sent || !runtime_code(pc, &object, &symbol, &offset)) {
        cape_crash_claim(sig);
        default_action(sig);
        if (sent) raise(sig);
        return; /* the faulting instruction runs again, now with the default action */
    }
    static char line[512];
    snprintf(line, sizeof line, "internal error: %s at %s+0x%lx in %s (please report this%s)",
             strsignal(sig), symbol ? symbol : "?", (unsigned long)offset, object,
             trace_requested ? "; the backtrace follows" : ", with the output of a run with CAPE_TRACE=1");
    if (trace_requested) {
        void *frames[64];
        int n = backtrace(frames, 64);
        cape_write_err("cape: backtrace of the internal error:\n");
        backtrace_symbols_fd(frames, n, cape_err_fd());
    }
    cape_die_in_signal(line);
}

void cape_crash_install(int trace) {
    trace_requested = trace;
    struct sigaction act;
    memset(&act, 0, sizeof act);
    act.sa_sigaction = on_crash;
    act.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&act.sa_mask);
    /* Through sigaction (track.c): behind the tracker's SIGSEGV handler, in place of Swift's. */
    for (int i = 0; fatal_signals[i]; i++) sigaction(fatal_signals[i], &act, NULL);
}
