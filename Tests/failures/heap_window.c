/* Every thread of every rank allocates more than its region-heap window inside a region: each
 * rank stops on its own at about the same moment, and the job must still print one cape: line. */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    printf("banner of the program\n");
    fflush(stdout);
    long kept = 0;
#pragma omp parallel reduction(+ : kept)
    {
        for (int i = 0; i < 8; i++) {
            void *p = malloc((size_t)1 << 30); /* never touched: costs address space only */
            if (p) kept++;
        }
    }
    printf("kept %ld blocks\n", kept);
    return 0;
}
