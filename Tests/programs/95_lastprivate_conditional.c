/* 95_lastprivate_conditional.c -- lastprivate(conditional: ...) on
   worksharing loops and sections.  Output is independent of the team size;
   each case is checked against a sequential computation.
   Note: gcc rejects lastprivate(conditional:) on taskloop.
   A "#pragma omp parallel" whose only content is one worksharing construct
   is compiled by gcc like the combined form, so the non-combined cases below
   put another statement into the region or use an orphaned function.  */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#define N 2999

static int a[N];
static int nbad;
static volatile int vzero = 0;

static void
check_i (const char *name, long got, long want)
{
  if (got == want)
    printf ("%s: ok\n", name);
  else
    {
      printf ("%s: BAD got %ld want %ld\n", name, got, want);
      nbad++;
    }
}

static void
check_d (const char *name, double got, double want)
{
  if (got == want)
    printf ("%s: ok\n", name);
  else
    {
      printf ("%s: BAD got %.2f want %.2f\n", name, got, want);
      nbad++;
    }
}

static int
pred (int i)
{
  /* The last assigning iteration is not in the last thread's chunk.  */
  return (a[i] % 7) == 3 && i < 1700;
}

/* Sequential reference: last i in [lo,hi) with pred, or dflt.  */
static int
last_pred (int lo, int hi, int dflt)
{
  int r = dflt;
  for (int i = lo; i < hi; i++)
    if (pred (i))
      r = i;
  return r;
}

/* Orphaned loops (the enclosing parallel is in main).  */
static int o_static, o_dyn, o_guided, o_static1, o_runtime, o_ordered;
static long o_ordseq;
static int o_two_i, o_two_i2;
static double o_two_d, o_two_d2;
static unsigned long long o_ull, o_ull2;
static volatile unsigned long long o_ubig = 10000000000ULL;

__attribute__((noinline)) static void
orphan_loops (void)
{
  #pragma omp for lastprivate (conditional: o_static) schedule (static)
  for (int i = 0; i < N; i++)
    if (pred (i))
      o_static = i;
  #pragma omp for lastprivate (conditional: o_dyn) schedule (dynamic, 3)
  for (int i = 0; i < N; i++)
    if (pred (i))
      o_dyn = i;
  #pragma omp for lastprivate (conditional: o_guided) schedule (guided)
  for (int i = 0; i < N; i++)
    if (pred (i))
      o_guided = i;
  #pragma omp for lastprivate (conditional: o_static1) schedule (static, 1)
  for (int i = 0; i < N; i++)
    if (pred (i))
      o_static1 = i;
  #pragma omp for lastprivate (conditional: o_runtime) schedule (runtime)
  for (int i = 0; i < N; i++)
    if (pred (i))
      o_runtime = i;
  #pragma omp for ordered lastprivate (conditional: o_ordered) schedule (dynamic, 4)
  for (int i = 0; i < N; i++)
    {
      if (pred (i))
	o_ordered = i;
      #pragma omp ordered
      o_ordseq = o_ordseq * 3 % 1000003 + i;
    }
  #pragma omp for lastprivate (conditional: o_ull) schedule (dynamic, 5)
  for (unsigned long long i = o_ubig; i < o_ubig + N; i++)
    if (pred ((int) (i - o_ubig)))
      o_ull = i;
  #pragma omp for lastprivate (conditional: o_ull2)
  for (unsigned long long i = o_ubig; i < o_ubig + N; i++)
    if (pred ((int) (i - o_ubig)))
      o_ull2 = i;
  /* Two variables of different types, assigned in different iterations.  */
  #pragma omp for lastprivate (conditional: o_two_i, o_two_d) schedule (guided, 2)
  for (int i = 0; i < N; i++)
    {
      if (pred (i))
	o_two_i = i;
      if ((a[i] % 11) == 4)
	o_two_d = i * 0.5;
    }
  #pragma omp for lastprivate (conditional: o_two_i2, o_two_d2) nowait
  for (int i = 0; i < N; i++)
    {
      if (pred (i))
	o_two_i2 = i;
      if ((a[i] % 11) == 4)
	o_two_d2 = i * 0.5;
    }
  #pragma omp barrier
}

static int rx_d, rx_s, rx_sec;

__attribute__((noinline)) static void
repeated_constructs (int t)
{
  #pragma omp for lastprivate (conditional: rx_d) schedule (dynamic, 11)
  for (int i = 0; i < N; i++)
    if ((a[i] + t) % 9 == 2)
      rx_d = i;
  #pragma omp for lastprivate (conditional: rx_s)
  for (int i = 0; i < N; i++)
    if ((a[i] + 2 * t) % 23 == 1)
      rx_s = i;
  #pragma omp sections lastprivate (conditional: rx_sec)
  {
    #pragma omp section
    if (t % 3 == 0)
      rx_sec = t;
    #pragma omp section
    if (t % 3 == 1)
      rx_sec = 100 + t;
    #pragma omp section
    if (t < 0)
      rx_sec = -5;
  }
}

int
main (void)
{
  for (int i = 0; i < N; i++)
    a[i] = (i * 13 + 5) % 101;
  int want = last_pred (0, N, -1);

  /* 1. combined parallel for.  */
  {
    int x = -1;
    #pragma omp parallel for lastprivate (conditional: x)
    for (int i = 0; i < N; i++)
      if (pred (i))
	x = i;
    check_i ("lpc combined parallel for", x, want);

    int y = -1;
    #pragma omp parallel for lastprivate (conditional: y) schedule (dynamic, 3)
    for (int i = 0; i < N; i++)
      if (i < 40 && pred (i))
	y = i;
    check_i ("lpc combined parallel for dynamic,3 early", y,
	     last_pred (0, 40, -1));
  }

  /* 2. non-combined omp for in a parallel region with several schedules.  */
  {
    int xs = -1, xd = -1, xg = -1, xe = -1;
    int cnt = 0;
    #pragma omp parallel
    {
      #pragma omp atomic
      cnt++;
      #pragma omp for lastprivate (conditional: xs) schedule (static)
      for (int i = 0; i < N; i++)
	if (pred (i))
	  xs = i;
      #pragma omp for lastprivate (conditional: xd) schedule (dynamic, 3)
      for (int i = 0; i < N; i++)
	if (pred (i))
	  xd = i;
      #pragma omp for lastprivate (conditional: xg) schedule (guided)
      for (int i = 0; i < N; i++)
	if (pred (i))
	  xg = i;
      /* Assignment only in the first few iterations.  */
      #pragma omp for lastprivate (conditional: xe) schedule (static)
      for (int i = 0; i < N; i++)
	if (i < 25 && pred (i))
	  xe = i;
    }
    check_i ("lpc for static", xs, want);
    check_i ("lpc for dynamic,3", xd, want);
    check_i ("lpc for guided", xg, want);
    check_i ("lpc for static early", xe, last_pred (0, 25, -1));
    check_i ("lpc for team count positive", cnt > 0, 1);
  }

  /* 3. orphaned loops.  */
  {
    o_static = o_dyn = o_guided = o_static1 = o_runtime = o_ordered = -7;
    o_ull = o_ull2 = 0;
    o_two_i = o_two_i2 = -1;
    o_two_d = o_two_d2 = -1.5;
    #pragma omp parallel
    orphan_loops ();
    check_i ("lpc orphaned for static", o_static, want);
    check_i ("lpc orphaned for dynamic,3", o_dyn, want);
    check_i ("lpc orphaned for guided", o_guided, want);
    check_i ("lpc orphaned for static,1", o_static1, want);
    check_i ("lpc orphaned for runtime", o_runtime, want);
    check_i ("lpc orphaned for ordered dynamic,4", o_ordered, want);
    long wseq = 0;
    for (int i = 0; i < N; i++)
      wseq = wseq * 3 % 1000003 + i;
    check_i ("lpc orphaned for ordered sequence", o_ordseq, wseq);
    check_i ("lpc orphaned for ull dynamic,5", (long) (o_ull - o_ubig), want);
    check_i ("lpc orphaned for ull static", (long) (o_ull2 - o_ubig), want);
    double wd = -1.5;
    for (int i = 0; i < N; i++)
      if ((a[i] % 11) == 4)
	wd = i * 0.5;
    check_i ("lpc orphaned for guided,2 two vars int", o_two_i, want);
    check_d ("lpc orphaned for guided,2 two vars double", o_two_d, wd);
    check_i ("lpc orphaned for nowait two vars int", o_two_i2, want);
    check_d ("lpc orphaned for nowait two vars double", o_two_d2, wd);
  }

  /* 4. omp for with ordered clause (and an ordered region).  */
  {
    int x = -1, x2 = -1;
    long seq = 0, seq2 = 0;
    #pragma omp parallel
    {
      #pragma omp for ordered lastprivate (conditional: x)
      for (int i = 0; i < N; i++)
	{
	  if (pred (i))
	    x = i;
	  #pragma omp ordered
	  seq = seq * 3 % 1000003 + i;
	}
      #pragma omp for ordered schedule (dynamic, 2) lastprivate (conditional: x2)
      for (int i = 0; i < N; i++)
	{
	  #pragma omp ordered
	  seq2 = seq2 * 3 % 1000003 + i;
	  if (i % 5 == 1 && pred (i))
	    x2 = i;
	}
    }
    long wseq = 0;
    int w2 = -1;
    for (int i = 0; i < N; i++)
      {
	wseq = wseq * 3 % 1000003 + i;
	if (i % 5 == 1 && pred (i))
	  w2 = i;
      }
    check_i ("lpc for ordered", x, want);
    check_i ("lpc for ordered sequence", seq, wseq);
    check_i ("lpc for ordered dynamic,2", x2, w2);
    check_i ("lpc for ordered dynamic,2 sequence", seq2, wseq);
  }

  /* 5. sections.  */
  {
    int s = -1, s2 = -1, s3 = -1;
    volatile int one = 1;
    #pragma omp parallel
    {
      #pragma omp sections lastprivate (conditional: s)
      {
	#pragma omp section
	s = 10;
	#pragma omp section
	if (one)
	  s = 20;
	#pragma omp section
	if (!one)
	  s = 30;
	#pragma omp section
	{
	  if (one)
	    s = 40;
	}
	#pragma omp section
	if (!one)
	  s = 50;
      }
      /* Only an early section assigns.  */
      #pragma omp sections lastprivate (conditional: s2)
      {
	#pragma omp section
	s2 = 11;
	#pragma omp section
	if (!one)
	  s2 = 22;
	#pragma omp section
	if (!one)
	  s2 = 33;
      }
    }
    check_i ("lpc sections", s, 40);
    check_i ("lpc sections early", s2, 11);

    #pragma omp parallel sections lastprivate (conditional: s3)
    {
      #pragma omp section
      if (one)
	s3 = 1;
      #pragma omp section
      if (one)
	s3 = 2;
      #pragma omp section
      if (!one)
	s3 = 3;
    }
    check_i ("lpc parallel sections", s3, 2);
  }

  /* 6. two variables of different types (int and double).  */
  {
    int xi = -1;
    double xd = -1.5;
    int wi = -1;
    double wd = -1.5;
    for (int i = 0; i < N; i++)
      {
	if (pred (i))
	  wi = i;
	if ((a[i] % 11) == 4)
	  wd = i * 0.5;
      }
    #pragma omp parallel
    {
      #pragma omp single
      xi = -1;
      #pragma omp for lastprivate (conditional: xi, xd) schedule (dynamic, 5)
      for (int i = 0; i < N; i++)
	{
	  if (pred (i))
	    xi = i;
	  if ((a[i] % 11) == 4)
	    xd = i * 0.5;
	}
    }
    check_i ("lpc for two vars int", xi, wi);
    check_d ("lpc for two vars double", xd, wd);

    int ci = -1;
    double cd = -1.5;
    #pragma omp parallel for lastprivate (conditional: ci, cd)
    for (int i = 0; i < N; i++)
      {
	if (pred (i))
	  ci = i;
	if ((a[i] % 11) == 4)
	  cd = i * 0.5;
      }
    check_i ("lpc combined two vars int", ci, wi);
    check_d ("lpc combined two vars double", cd, wd);
  }

  /* 7. no iteration assigns: the original value must stay.  */
  {
    int x = 12345, y = 777;
    double d = 2.5;
    #pragma omp parallel
    {
      #pragma omp for lastprivate (conditional: x, d)
      for (int i = 0; i < N; i++)
	if (a[i] > 1000)
	  {
	    x = i;
	    d = i;
	  }
      #pragma omp for lastprivate (conditional: y) schedule (dynamic, 3)
      for (int i = 0; i < N; i++)
	if (a[i] < vzero)
	  y = i;
    }
    check_i ("lpc for no assignment int", x, 12345);
    check_d ("lpc for no assignment double", d, 2.5);
    check_i ("lpc for dynamic no assignment", y, 777);
    int z = 99;
    #pragma omp parallel for lastprivate (conditional: z)
    for (int i = 0; i < N; i++)
      if (a[i] < vzero)
	z = i;
    check_i ("lpc combined no assignment", z, 99);
    int e = 55;
    #pragma omp parallel for lastprivate (conditional: e)
    for (int i = 0; i < vzero; i++)
      e = i;
    check_i ("lpc combined zero iterations", e, 55);
  }

  /* 8. nowait variants (read after an explicit barrier).  */
  {
    int x = -1, y = -1;
    #pragma omp parallel
    {
      #pragma omp for lastprivate (conditional: x) nowait
      for (int i = 0; i < N; i++)
	if (pred (i))
	  x = i;
      #pragma omp for lastprivate (conditional: y) schedule (dynamic, 7) nowait
      for (int i = 0; i < N; i++)
	if (i % 3 == 0 && pred (i))
	  y = i;
      #pragma omp barrier
    }
    int wy = -1;
    for (int i = 0; i < N; i++)
      if (i % 3 == 0 && pred (i))
	wy = i;
    check_i ("lpc for nowait static", x, want);
    check_i ("lpc for nowait dynamic,7", y, wy);
  }

  /* 9. no-op self assignment counts as an assignment; firstprivate too.
     With schedule(static,4) starting at -1000 every chunk of 4 holds one
     k with (k & 3) == 1.  Iteration 3987 (chunk 1246) is the last one that
     assigns; it assigns the executing thread's private z to itself, whose
     value is from the last chunk c <= 624 (k < 1500) that thread ran, i.e.
     the largest c <= 624 with c == 1246 (mod T).  The value depends on T,
     so only ok/BAD is printed.  */
  {
    int z = 5;
    int nthr = 0;
    #pragma omp parallel
    {
      #pragma omp single
      nthr = omp_get_num_threads ();
      #pragma omp for firstprivate (z) lastprivate (conditional: z) schedule (static, 4)
      for (int k = -1000; k < 4000; k++)
	{
	  if (k < 1500 && (k & 3) == 1)
	    z = k;
	  else if (k == 3987)
	    z = z;
	}
    }
    int c = 624;
    while (c % nthr != 1246 % nthr)
      c--;
    check_i ("lpc no-op self assignment", z, -1000 + 4 * c + 1);
  }

  /* 10. long long and unsigned long long iteration variables, collapse.  */
  {
    long long ll = -1;
    unsigned long long ul = 1;
    int c2 = -1, wc2 = -1;
    volatile long long big = 3000000000LL;
    #pragma omp parallel
    {
      #pragma omp for lastprivate (conditional: ll) schedule (dynamic, 64)
      for (long long i = big; i < big + N; i++)
	if (pred ((int) (i - big)))
	  ll = i;
      #pragma omp for lastprivate (conditional: ul) schedule (guided, 2)
      for (unsigned long long i = big; i < (unsigned long long) big + N; i++)
	if (pred ((int) (i - big)))
	  ul = i;
      #pragma omp for collapse (2) lastprivate (conditional: c2)
      for (int i = 0; i < 50; i++)
	for (int j = 0; j < 59; j++)
	  if (pred (i * 59 + j))
	    c2 = i * 1000 + j;
    }
    for (int i = 0; i < 50; i++)
      for (int j = 0; j < 59; j++)
	if (pred (i * 59 + j))
	  wc2 = i * 1000 + j;
    check_i ("lpc for long long dynamic", (long) (ll - big), want);
    check_i ("lpc for ull guided", (long) (ul - (unsigned long long) big),
	     want);
    check_i ("lpc for collapse(2)", c2, wc2);
  }

  /* 11. the same constructs executed many times inside one parallel
     region.  They are orphaned: gcc 12 then keeps the per-construct
     iteration counters in the runtime-provided (zeroed) work-share memory.
     (When the loop is lexically inside the parallel, gcc 12 keeps the
     counters in the parallel's data block, initialized only once, so a
     repeated loop gives wrong results even under libgomp -- not tested.)  */
  {
    long sum = 0, wsum = 0;
    rx_d = rx_s = rx_sec = -1;
    #pragma omp parallel
    for (int t = 0; t < 40; t++)
      {
	repeated_constructs (t);
	#pragma omp single
	sum = (sum * 7 + rx_d * 3 + rx_s * 5 + rx_sec) % 1000003;
      }
    int wd = -1, ws = -1, wsec = -1;
    for (int t = 0; t < 40; t++)
      {
	for (int i = 0; i < N; i++)
	  {
	    if ((a[i] + t) % 9 == 2)
	      wd = i;
	    if ((a[i] + 2 * t) % 23 == 1)
	      ws = i;
	  }
	if (t % 3 == 0)
	  wsec = t;
	else if (t % 3 == 1)
	  wsec = 100 + t;
	wsum = (wsum * 7 + wd * 3 + ws * 5 + wsec) % 1000003;
      }
    check_i ("lpc orphaned constructs repeated 40x", sum, wsum);
    printf ("lpc checksum %d %ld\n", want, sum);
  }

  printf ("95_lastprivate_conditional: %s\n", nbad ? "BAD" : "all ok");
  return nbad != 0;
}
