/* exit(9) from inside a parallel region (in the thread executing a
   single construct) with two atexit handlers registered before the
   region.  Each handler must run exactly once, in reverse order of
   registration, in the exiting thread, and stdout (never flushed
   explicitly) must be flushed after the handlers ran.
   Expected: exit status 9, four stdout lines.  */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

static int calls_a, calls_b;
static volatile int sink;

static void
handler_a (void)
{
  int n;
  #pragma omp atomic capture
  n = ++calls_a;
  printf ("exit_atexit: handler A call %d%s\n", n, n == 1 ? "" : " BAD");
}

static void
handler_b (void)
{
  int n;
  #pragma omp atomic capture
  n = ++calls_b;
  printf ("exit_atexit: handler B call %d%s%s\n", n, n == 1 ? "" : " BAD",
	  calls_a == 0 ? "" : " BAD A ran first");
}

int
main (void)
{
  atexit (handler_a);
  atexit (handler_b);
  printf ("exit_atexit: before region\n");
  #pragma omp parallel
  {
    #pragma omp single nowait
    {
      printf ("exit_atexit: calling exit(9)\n");
      exit (9);
    }
    for (int i = 0; i < 100000; i++)
      sink += i;
    #pragma omp barrier
  }
  printf ("exit_atexit: BAD reached end of program\n");
  return 0;
}
