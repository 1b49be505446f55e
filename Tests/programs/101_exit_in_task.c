/* exit(3) from an explicit task created inside a single construct.
   stdout is not flushed explicitly: exit() must flush it.
   Expected: exit status 3, stdout = the two lines below.  */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

static volatile int sink;

int
main (void)
{
  printf ("exit_in_task: before region\n");
  #pragma omp parallel
  {
    #pragma omp single
    {
      #pragma omp task
      {
	printf ("exit_in_task: task calling exit(3)\n");
	exit (3);
      }
      for (int i = 0; i < 1000; i++)
	sink += i;
    }
    for (int i = 0; i < 1000; i++)
      sink += i;
  }
  printf ("exit_in_task: BAD reached end of program\n");
  return 0;
}
