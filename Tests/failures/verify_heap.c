// Each rank writes one byte derived from its pid into a heap block in sequential code: CAPE_VERIFY
// must stop the job after the next region, saying the difference is in heap memory.
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
int main(void) {
    unsigned char *block = calloc(1, 100000);
    block[54321] = (unsigned char)getpid();
    #pragma omp parallel for
    for (int i = 0; i < 1000; i++) block[i] = (unsigned char)i;
    printf("%d\n", block[999]);
    return 0;
}
