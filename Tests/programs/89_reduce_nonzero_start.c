// Reductions and atomic updates whose variables start from non-zero values: the result is the
// starting value combined once with every thread's contribution (not once per rank), for integer
// sums, products, bitwise and/or/xor, min/max, and floating-point sums of exactly representable
// values, across two regions and a barrier in between.
#include <omp.h>
#include <stdio.h>

#define N 20000

int main(void) {
    long isum = 1000000, iprod = 3;
    unsigned long band = ~0ul, bor = 0x100, bxor = 0x5a5a;
    int imin = -7, imax = 123456;
    double dsum = 0.5;
    float fsum = 1024.0f;
    long atomic_sum = -500;
    unsigned atomic_bits = 0xf0f0u;
    #pragma omp parallel
    {
        #pragma omp for reduction(+:isum) reduction(*:iprod) reduction(&:band) reduction(|:bor) reduction(^:bxor) \
            reduction(min:imin) reduction(max:imax) reduction(+:dsum) reduction(+:fsum)
        for (int i = 0; i < N; i++) {
            isum += i;
            if (i % 5000 == 0) iprod *= 2;
            band &= ~(1ul << (i % 40));
            bor |= 1ul << (i % 13);
            bxor ^= (unsigned long)i * 2654435761u;
            if (i - 3 < imin) imin = i - 3;
            if (i * 7 > imax) imax = i * 7;
            dsum += 0.25;
            fsum += 0.5f;
        }
        #pragma omp for
        for (int i = 0; i < N; i++) {
            #pragma omp atomic
            atomic_sum += i % 7;
            #pragma omp atomic
            atomic_bits ^= 1u << (i % 16);
        }
    }
    printf("isum %ld iprod %ld\n", isum, iprod);
    printf("band %#lx bor %#lx bxor %#lx\n", band, bor, bxor);
    printf("imin %d imax %d\n", imin, imax);
    printf("dsum %.2f fsum %.1f\n", dsum, fsum);
    printf("atomic_sum %ld atomic_bits %#x\n", atomic_sum, atomic_bits);
    return 0;
}
