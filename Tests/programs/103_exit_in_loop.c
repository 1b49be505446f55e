/* exit(7) from iteration N/2 of a worksharing loop; only that one
   iteration exits, other threads may still be running iterations.
   Expected: exit status 7, two stdout lines.  */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#define N 1000
static volatile int sink[N];

int
main (void)
{
  printf ("exit_in_loop: before region\n");
  #pragma omp parallel
  {
    #pragma omp for schedule(static)
    for (int i = 0; i < N; i++)
      {
	if (i == N / 2)
	  {
	    printf ("exit_in_loop: iteration %d calling exit(7)\n", i);
	    exit (7);
	  }
	for (int k = 0; k < 100; k++)
	  sink[i] += k;
      }
  }
  printf ("exit_in_loop: BAD reached end of program\n");
  return 0;
}
