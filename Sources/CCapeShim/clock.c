/* The job's clock: sequential code reads rank 0's clock on every rank.
 *
 * Every rank runs the sequential code, and a program keeps what it reads from the clock: timers
 * store readings in globals, loops run until a deadline, a progress line is printed every second.
 * Each rank's own clock would make its memory and its path differ from the others', which the
 * model forbids (CAPE_VERIFY rightly reports it). So a reading taken by sequential code is one
 * reading for the job: rank 0 reads its clock and publishes the value, the other ranks take that
 * value (the job clock in include/cape_shared.h, through the proxies when away from rank 0's host).
 * Readings are matched by their number: the n-th reading of sequential code on every rank is rank
 * 0's n-th. Inside a region every thread reads its own clock, as on one machine.
 *
 * What is read this way: clock_gettime (every clock with a fixed id), gettimeofday, time,
 * timespec_get, clock and omp_get_wtime (API.swift). Readings by the runtime itself
 * (cape_clock_raw) and by threads other than the program's initial thread are the rank's own.
 *
 * C because the functions must be interposed under their own names. */
#define _GNU_SOURCE
#include "cape_shim.h"
#include <dlfcn.h>
#include <sys/time.h>
#include <time.h>

extern __thread cape_thread_t cape_self_tls __attribute__((tls_model("initial-exec")));

static int (*real_clock_gettime)(clockid_t, struct timespec *);
static int (*real_gettimeofday)(struct timeval *, void *);
static int (*job_clock)(int clock, struct timespec *ts);
static __thread int initial_thread __attribute__((tls_model("initial-exec")));

static void resolve(void) {
    if (!real_clock_gettime) real_clock_gettime = dlsym(RTLD_NEXT, "clock_gettime");
    if (!real_gettimeofday) real_gettimeofday = dlsym(RTLD_NEXT, "gettimeofday");
}

int cape_clock_raw(int clock, struct timespec *ts) {
    if (__builtin_expect(!real_clock_gettime, 0)) resolve();
    return real_clock_gettime((clockid_t)clock, ts);
}

void cape_clock_enable(int (*hook)(int clock, struct timespec *ts)) {
    resolve();
    initial_thread = 1;
    job_clock = hook;
}

/* Sequential code of the program: the initial thread, outside every region, not in the runtime. */
static int sequential(void) {
    cape_thread_t *t = &cape_self_tls;
    return job_clock && initial_thread && t->level == 0 && t->rt_depth == 0;
}

int cape_clock_sequential(void) { return sequential(); }

int clock_gettime(clockid_t clock, struct timespec *ts) {
    /* Negative ids name another process's or thread's CPU clock: the rank's own business. */
    if (sequential() && clock >= 0) return job_clock((int)clock, ts);
    return cape_clock_raw((int)clock, ts);
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz) {
    if (__builtin_expect(!real_gettimeofday, 0)) resolve();
    if (!sequential() || !tv) return real_gettimeofday(tv, tz);
    if (tz && real_gettimeofday(0, tz) != 0) return -1;
    struct timespec ts;
    if (job_clock(CLOCK_REALTIME, &ts) != 0) return -1;
    tv->tv_sec = ts.tv_sec;
    tv->tv_usec = ts.tv_nsec / 1000;
    return 0;
}

time_t time(time_t *t) {
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0) return (time_t)-1;
    if (t) *t = ts.tv_sec;
    return ts.tv_sec;
}

int timespec_get(struct timespec *ts, int base) {
    if (base != TIME_UTC) return 0;
    return clock_gettime(CLOCK_REALTIME, ts) == 0 ? base : 0;
}

clock_t clock(void) {
    struct timespec ts;
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0) return (clock_t)-1;
    return (clock_t)(ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
}
