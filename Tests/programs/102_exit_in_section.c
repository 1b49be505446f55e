/* exit(5) from one section of a sections construct; the other sections
   only do silent work.  Expected: exit status 5, two stdout lines.  */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

static volatile int sink[4];

int
main (void)
{
  printf ("exit_in_section: before region\n");
  #pragma omp parallel
  {
    #pragma omp sections
    {
      #pragma omp section
      for (int i = 0; i < 10000; i++)
	sink[0] += i;
      #pragma omp section
      {
	printf ("exit_in_section: section 2 calling exit(5)\n");
	exit (5);
      }
      #pragma omp section
      for (int i = 0; i < 10000; i++)
	sink[2] += i;
      #pragma omp section
      for (int i = 0; i < 10000; i++)
	sink[3] += i;
    }
  }
  printf ("exit_in_section: BAD reached end of program\n");
  return 0;
}
