// Every form of `#pragma omp atomic` on one type T (-DT=int ...), each in a function of its own
// whose name says the verdict libcape's classifier must give its atomic instructions:
//   local_<op>_*  : an update whose result is not read: it runs locally and merges (op: add, sub,
//                   mul, and, or, xor, max, min; ++ may be emitted as add or inc, -- as sub, dec
//                   or add; max and min are `atomic compare` forms).
//                   The update sits in a parallel region, as in a program: the outlined body
//                   (local_add_plus._omp_fn.0) returns nothing, so its `ret` reads no register
//                   that a compare-exchange loop leaves its values in
//   serial_*      : a form whose result is used, or an exchange: it runs team-wide
//   fence_*       : a flush, which gcc emits as a locked no-op on the stack: a fence, nothing else
// For floating-point, short and char T (and x *= v on every type) an update is a compare-exchange
// loop (the test knows which form gcc emitted). The functions are never called: only their code
// is classified, at start.
#include <omp.h>
#include <stdio.h>

#ifndef T
#define T int
#endif

T x, y;
volatile T sink;

#define NOINLINE __attribute__((noinline, used))
NOINLINE void local_add_plus(T v) {
    #pragma omp parallel
    {
        #pragma omp atomic
        x += v;
    }
}
NOINLINE void local_add_increment(void) {
    #pragma omp parallel
    {
        #pragma omp atomic
        x++;
    }
}
NOINLINE void local_sub_decrement(void) {
    #pragma omp parallel
    {
        #pragma omp atomic update
        x--;
    }
}
NOINLINE void local_sub_minus(T v) {
    #pragma omp parallel
    {
        #pragma omp atomic
        x -= v;
    }
}
NOINLINE void local_add_expression(T v) {
    #pragma omp parallel
    {
        #pragma omp atomic update
        x = x + v * 3;
    }
}
NOINLINE void local_add_seq_cst(T v) {
    #pragma omp parallel
    {
        #pragma omp atomic seq_cst
        y += v;
    }
}
#if !defined(FLOATING)
NOINLINE void local_and(T v) {
    #pragma omp parallel
    {
        #pragma omp atomic
        x &= v;
    }
}
NOINLINE void local_or(T v) {
    #pragma omp parallel
    {
        #pragma omp atomic
        x |= v;
    }
}
NOINLINE void local_xor(T v) {
    #pragma omp parallel
    {
        #pragma omp atomic
        x ^= v;
    }
}
#endif
NOINLINE void local_mul_multiply(T v) {
    #pragma omp parallel
    {
        #pragma omp atomic
        x *= v;
    }
}
NOINLINE void serial_capture_after(T v) {
    T c;
    #pragma omp atomic capture
    c = x += v;
    sink = c;
}
NOINLINE void serial_capture_before(void) {
    T c;
    #pragma omp atomic capture
    c = x++;
    sink = c;
}
NOINLINE int serial_capture_tested(void) {
    T c;
    #pragma omp atomic capture
    c = --x;
    return c == 0;
}
NOINLINE T serial_capture_returned(void) {
    T c;
    #pragma omp atomic capture
    c = x += 1;
    return c; // the value is left in the return register: read by the caller
}
NOINLINE void serial_reversed_sub(T v) {
    #pragma omp parallel
    {
        #pragma omp atomic
        x = v - x; // not x op e: its order matters differently
    }
}
NOINLINE void serial_write_seq_cst(T v) {
    #pragma omp atomic write seq_cst
    x = v;
}
NOINLINE void local_max_compare(T v) {
    #pragma omp parallel
    {
        #pragma omp atomic compare
        if (x < v) { x = v; }
    }
}
NOINLINE void local_max_swapped(T v) {
    #pragma omp parallel
    {
        #pragma omp atomic compare
        if (v > x) { x = v; }
    }
}
NOINLINE void local_min_compare(T v) {
    #pragma omp parallel
    {
        #pragma omp atomic compare
        x = x > v ? v : x;
    }
}
NOINLINE void serial_compare_max_captured(T v) {
    T c;
    #pragma omp atomic compare capture
    { c = x; if (x < v) { x = v; } }
    sink = c;
}
NOINLINE void serial_compare_equal(T e, T v) {
    #pragma omp atomic compare
    if (x == e) { x = v; }
}
NOINLINE void fence_flush(void) {
    x = 1;
    #pragma omp flush
    sink = x;
}
NOINLINE void serial_read(void) {
    T c;
    #pragma omp atomic read
    c = x;
    sink = c;
}

int main(void) {
    // One region, so that a run under libcape is distributed and classifies the sites.
    #pragma omp parallel
    { if (omp_get_thread_num() == 0) sink = 0; }
    printf("forms ok\n");
    return 0;
}
