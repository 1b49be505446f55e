// copyprivate of threadprivate variables (a global and a function's static, which live in each
// thread's TLS, not on its stack) together with a private one: the single construct's executor
// broadcasts all three, and every thread of every rank must see its values afterwards.
#include <omp.h>
#include <stdio.h>

static int tp_global;
static double tp_vector[4];
#pragma omp threadprivate(tp_global, tp_vector)

static int pick(int round) {
    static long tp_static;
    #pragma omp threadprivate(tp_static)
    int ok = 1;
    #pragma omp parallel reduction(&:ok)
    {
        int local = -1;
        #pragma omp single copyprivate(tp_static, local)
        {
            tp_static = 1000L * round + 7;
            local = round * 3;
        }
        ok &= tp_static == 1000L * round + 7 && local == round * 3;
    }
    return ok;
}

int main(void) {
    int good = 1;
    for (int round = 1; round <= 5; round++) {
        #pragma omp parallel reduction(&:good)
        {
            #pragma omp single copyprivate(tp_global, tp_vector)
            {
                tp_global = round * 11;
                for (int k = 0; k < 4; k++) tp_vector[k] = round + k * 0.5;
            }
            int mine = tp_global == round * 11;
            for (int k = 0; k < 4; k++) mine &= tp_vector[k] == round + k * 0.5;
            good &= mine;
        }
        good &= pick(round);
    }
    printf("copyprivate of threadprivate variables: %s\n", good ? "every thread got them" : "WRONG");
    return 0;
}
