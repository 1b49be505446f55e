/* libc generators whose state lives inside libc: rand(), random() and the drand48 family. Called
 * by a thread inside a distributed region, they advance only that rank's state, so sequential code
 * that draws from them afterwards would get different numbers on different ranks. The program is
 * told once, by name (the divergence guard then stops it if its control flow depends on them).
 *
 * C because the functions are interposed under their own names. */
#define _GNU_SOURCE
#include "cape_shim.h"
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

static int warned;

static void note(const char *name) {
    if (warned || cape_self()->rt_depth > 0 || !cape_rheap_active()) return;
    warned = 1;
    char msg[320];
    snprintf(msg, sizeof msg,
             "cape: warning: %s() was called inside a parallel region; libc keeps its state per rank, so later "
             "calls in sequential code will differ between ranks (use rand_r or erand48 with a seed in the program)\n",
             name);
    cape_write_err(msg);
}

#define FORWARD(ret, name, proto, args)                         \
    ret name proto {                                            \
        static ret (*real) proto;                               \
        if (!real) real = (ret (*) proto)dlsym(RTLD_NEXT, #name); \
        note(#name);                                            \
        return real args;                                       \
    }

FORWARD(int, rand, (void), ())
FORWARD(long, random, (void), ())
FORWARD(double, drand48, (void), ())
FORWARD(long, lrand48, (void), ())
FORWARD(long, mrand48, (void), ())
