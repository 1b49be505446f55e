/* 96_task_reductions.c -- task reductions: taskgroup task_reduction +
   task in_reduction, taskloop reduction / in_reduction, reduction(task,...)
   on parallel, for, sections and scope.  Output is independent of the team
   size; each case is checked against a sequential computation.
   gcc 12 rejects: reduction(task,...) on taskloop, on for simd / parallel
   loop, and together with nowait.  */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#define N 1000

static int nbad;

static void
check_l (const char *name, long got, long want)
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

static int v[N];

/* User-defined reduction, checked through a "shift" initializer: every
   private copy starts at 0 and the combiner adds.  */
#pragma omp declare reduction (myadd: long: omp_out += omp_in) \
  initializer (omp_priv = 0)

/* Global reduction variables used from orphaned tasks.  */
static long g_sum;
static double g_dsum;

__attribute__((noinline)) static void
orphan_tasks (int i)
{
  /* Binds to the innermost enclosing taskgroup task_reduction on g_sum.  */
  #pragma omp task in_reduction (+: g_sum) in_reduction (+: g_dsum)
  {
    g_sum += v[i];
    g_dsum += 0.5 * v[i];
  }
}

/* Orphaned worksharing constructs with reduction(task,...).  */
__attribute__((noinline)) static void
orphan_for_task_red (void)
{
  #pragma omp for reduction (task, +: g_sum) schedule (dynamic, 8)
  for (int i = 0; i < N; i++)
    {
      #pragma omp task in_reduction (+: g_sum)
      g_sum += v[i];
    }
}

int
main (void)
{
  for (int i = 0; i < N; i++)
    v[i] = (i * 17) % 23 - 7;
  long seq = 0, seqm = -1000000;
  double seqd = 0;
  for (int i = 0; i < N; i++)
    {
      seq += v[i];
      seqd += 0.5 * v[i];
      if (v[i] * 3 + i % 5 > seqm)
	seqm = v[i] * 3 + i % 5;
    }

  /* 1. taskgroup task_reduction + task in_reduction (int, double, max,
	*), non-zero original values.  */
  {
    int s = 10;
    double d = 1.5;
    int m = -1000000;
    long p = 1;
    #pragma omp parallel
    #pragma omp single
    #pragma omp taskgroup task_reduction (+: s, d) task_reduction (max: m) \
		task_reduction (*: p)
    {
      for (int i = 0; i < N; i++)
	#pragma omp task in_reduction (+: s, d) in_reduction (max: m) \
			 in_reduction (*: p) firstprivate (i)
	{
	  s += v[i];
	  d += 0.5 * v[i];
	  if (v[i] * 3 + i % 5 > m)
	    m = v[i] * 3 + i % 5;
	  if (i % 50 == 7)
	    p *= (i % 100 == 7) ? 3 : -2;
	}
    }
    long wp = 1;
    for (int i = 0; i < N; i++)
      if (i % 50 == 7)
	wp *= (i % 100 == 7) ? 3 : -2;
    check_l ("taskgroup task_reduction + int", s, 10 + seq);
    check_d ("taskgroup task_reduction + double", d, 1.5 + seqd);
    check_l ("taskgroup task_reduction max int", m, seqm);
    check_l ("taskgroup task_reduction * long", p, wp);
  }

  /* 2. nested tasks: a participating task creates child tasks that also
     participate (in_reduction on the already privatized variable), a
     nested taskgroup with its own reduction, orphaned tasks.  */
  {
    long s = 0, inner_tot = 0;
    double d = 0;
    g_sum = 5;
    g_dsum = 0;
    #pragma omp parallel
    #pragma omp single
    #pragma omp taskgroup task_reduction (+: s, d, g_sum, g_dsum)
    {
      for (int i = 0; i < N; i += 10)
	#pragma omp task in_reduction (+: s, d) firstprivate (i)
	{
	  long u = 0;
	  #pragma omp taskgroup task_reduction (+: u)
	  {
	    for (int j = i; j < i + 10; j++)
	      #pragma omp task in_reduction (+: u, s) in_reduction (+: d) \
			       firstprivate (j)
	      {
		u += v[j];
		s += 2 * v[j];
		d += 0.5 * v[j];
		orphan_tasks (j);
	      }
	  }
	  /* Inner taskgroup finished: u complete.  */
	  s += 100 * u;
	  #pragma omp atomic
	  inner_tot += u;
	}
    }
    check_l ("nested taskgroups + long", s, 2 * seq + 100 * seq);
    check_l ("nested taskgroups inner", inner_tot, seq);
    check_d ("nested taskgroups + double", d, seqd);
    check_l ("nested orphaned tasks + long", g_sum, 5 + seq);
    check_d ("nested orphaned tasks + double", g_dsum, seqd);
  }

  /* 3. taskgroup task_reduction on an array section.  */
  {
    long h[8] = { 0 };
    #pragma omp parallel
    #pragma omp single
    #pragma omp taskgroup task_reduction (+: h[0:8])
    for (int i = 0; i < N; i++)
      #pragma omp task in_reduction (+: h[0:8]) firstprivate (i)
      h[i % 8] += v[i];
    long wh[8] = { 0 }, ok = 1;
    for (int i = 0; i < N; i++)
      wh[i % 8] += v[i];
    for (int k = 0; k < 8; k++)
      if (h[k] != wh[k])
	ok = 0;
    check_l ("taskgroup task_reduction array section", ok, 1);
  }

  /* 4. taskloop reduction (int, double, max, *, udr), with grainsize
     and num_tasks, plus a taskloop reduction inside a taskgroup.  */
  {
    int s = 3;
    double d = 0.5;
    int m = -1000000;
    long p = 1, u = 0;
    long s2 = 0, s3 = 0;
    #pragma omp parallel
    #pragma omp single
    {
      #pragma omp taskloop reduction (+: s, d) reduction (max: m)
      for (int i = 0; i < N; i++)
	{
	  s += v[i];
	  d += 0.5 * v[i];
	  if (v[i] * 3 + i % 5 > m)
	    m = v[i] * 3 + i % 5;
	}
      #pragma omp taskloop reduction (*: p) grainsize (7)
      for (int i = 0; i < N; i++)
	if (i % 50 == 7)
	  p *= (i % 100 == 7) ? 3 : -2;
      #pragma omp taskloop reduction (myadd: u) num_tasks (13)
      for (int i = 0; i < N; i++)
	u += 3 * v[i];
      #pragma omp taskgroup task_reduction (+: s3)
      {
	#pragma omp taskloop reduction (+: s2) in_reduction (+: s3) grainsize (16)
	for (int i = 0; i < N; i++)
	  {
	    s2 += v[i];
	    s3 += 2 * v[i];
	  }
      }
    }
    long wp = 1;
    for (int i = 0; i < N; i++)
      if (i % 50 == 7)
	wp *= (i % 100 == 7) ? 3 : -2;
    check_l ("taskloop reduction + int", s, 3 + seq);
    check_d ("taskloop reduction + double", d, 0.5 + seqd);
    check_l ("taskloop reduction max int", m, seqm);
    check_l ("taskloop reduction * long grainsize", p, wp);
    check_l ("taskloop reduction udr num_tasks", u, 3 * seq);
    check_l ("taskloop reduction in taskgroup", s2, seq);
    check_l ("taskloop in_reduction in taskgroup", s3, 2 * seq);
  }

  /* 5. taskloop in_reduction inside a taskgroup task_reduction, nogroup and
     not, and taskloop whose body creates more in_reduction tasks.  */
  {
    long s = 0;
    double d = 0;
    #pragma omp parallel
    #pragma omp single
    #pragma omp taskgroup task_reduction (+: s, d)
    {
      #pragma omp taskloop in_reduction (+: s) nogroup grainsize (10)
      for (int i = 0; i < N; i++)
	s += v[i];
      #pragma omp taskloop in_reduction (+: s, d)
      for (int i = 0; i < N; i++)
	{
	  d += 0.5 * v[i];
	  #pragma omp task in_reduction (+: s) firstprivate (i)
	  s += 10 * v[i];
	}
      #pragma omp task in_reduction (+: d)
      d += 1.0;
    }
    check_l ("taskloop in_reduction + long", s, 11 * seq);
    check_d ("taskloop in_reduction + double", d, seqd + 1.0);
  }

  /* 6. parallel reduction(task, ...).  Tasks are created by a worksharing
     loop and by a single; each thread also adds directly (checked against
     the actual team size, which is not printed).  */
  {
    long s = 0, cnt = 0;
    double d = 0;
    int m = -1000000;
    int nthr = 0;
    #pragma omp parallel reduction (task, +: s, d) reduction (task, max: m) \
			 reduction (+: cnt)
    {
      #pragma omp single
      nthr = omp_get_num_threads ();
      #pragma omp for
      for (int i = 0; i < N; i++)
	#pragma omp task in_reduction (+: s, d) in_reduction (max: m)
	{
	  s += v[i];
	  d += 0.5 * v[i];
	  if (v[i] * 3 + i % 5 > m)
	    m = v[i] * 3 + i % 5;
	}
      #pragma omp single
      for (int i = 0; i < 10; i++)
	#pragma omp task in_reduction (+: s)
	s += 1000;
      s += 1;
      cnt++;
    }
    check_l ("parallel reduction(task) + long", s, seq + 10000 + nthr);
    check_d ("parallel reduction(task) + double", d, seqd);
    check_l ("parallel reduction(task) max int", m, seqm);
    check_l ("parallel reduction(task) thread count", cnt, nthr);
  }

  /* 7. for reduction(task, ...): static, dynamic, ordered, collapse,
     unsigned long long iteration variable, combined parallel for.  */
  {
    long s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0;
    double d1 = 0;
    long p1 = 1;
    int ord = 0, ordok = 1;
    volatile unsigned long long un = N;	/* not constant: ull loop */
    #pragma omp parallel
    {
      #pragma omp for reduction (task, +: s1, d1) schedule (static)
      for (int i = 0; i < N; i++)
	{
	  s1 += 1;
	  #pragma omp task in_reduction (+: s1, d1)
	  {
	    s1 += v[i];
	    d1 += 0.5 * v[i];
	  }
	}
      #pragma omp for reduction (task, +: s2) reduction (task, *: p1) \
		      schedule (dynamic, 3)
      for (int i = 0; i < N; i++)
	{
	  #pragma omp task in_reduction (+: s2)
	  s2 += v[i];
	  if (i % 50 == 7)
	    {
	      #pragma omp task in_reduction (*: p1)
	      p1 *= (i % 100 == 7) ? 3 : -2;
	    }
	}
      #pragma omp for ordered reduction (task, +: s3) schedule (static, 2)
      for (int i = 0; i < N; i++)
	{
	  #pragma omp task in_reduction (+: s3)
	  s3 += v[i];
	  #pragma omp ordered
	  {
	    if (ord != i)
	      ordok = 0;
	    ord++;
	  }
	}
      #pragma omp for collapse (2) reduction (task, +: s4) schedule (guided)
      for (int i = 0; i < 40; i++)
	for (int j = 0; j < 25; j++)
	  #pragma omp task in_reduction (+: s4)
	  s4 += v[i * 25 + j];
      #pragma omp for reduction (task, +: s5) schedule (dynamic, 5)
      for (unsigned long long i = 0; i < un; i++)
	{
	  #pragma omp task in_reduction (+: s5)
	  s5 += v[i];
	}
    }
    long wp = 1;
    for (int i = 0; i < N; i++)
      if (i % 50 == 7)
	wp *= (i % 100 == 7) ? 3 : -2;
    check_l ("for reduction(task) static + long", s1, seq + N);
    check_d ("for reduction(task) static + double", d1, seqd);
    check_l ("for reduction(task) dynamic + long", s2, seq);
    check_l ("for reduction(task) dynamic * long", p1, wp);
    check_l ("for ordered reduction(task) + long", s3, seq);
    check_l ("for ordered order", ordok && ord == N, 1);
    check_l ("for collapse reduction(task) + long", s4, seq);
    check_l ("for ull reduction(task) + long", s5, seq);

    long s6 = 0;
    #pragma omp parallel for reduction (task, +: s6)
    for (int i = 0; i < N; i++)
      {
	#pragma omp task in_reduction (+: s6)
	s6 += v[i];
      }
    check_l ("parallel for reduction(task) + long", s6, seq);

    g_sum = 0;
    #pragma omp parallel
    orphan_for_task_red ();
    check_l ("orphaned for reduction(task) + long", g_sum, seq);
  }

  /* 8. sections reduction(task, ...) and parallel sections.  */
  {
    long s = 0;
    double d = 0;
    #pragma omp parallel
    {
      #pragma omp sections reduction (task, +: s, d)
      {
	#pragma omp section
	for (int i = 0; i < N / 2; i++)
	  #pragma omp task in_reduction (+: s, d)
	  {
	    s += v[i];
	    d += 0.5 * v[i];
	  }
	#pragma omp section
	for (int i = N / 2; i < N; i++)
	  #pragma omp task in_reduction (+: s, d)
	  {
	    s += v[i];
	    d += 0.5 * v[i];
	  }
	#pragma omp section
	s += 7;
      }
    }
    check_l ("sections reduction(task) + long", s, seq + 7);
    check_d ("sections reduction(task) + double", d, seqd);

    int m = -1000000;
    #pragma omp parallel sections reduction (task, max: m)
    {
      #pragma omp section
      for (int i = 0; i < N; i += 2)
	#pragma omp task in_reduction (max: m)
	if (v[i] * 3 + i % 5 > m)
	  m = v[i] * 3 + i % 5;
      #pragma omp section
      for (int i = 1; i < N; i += 2)
	#pragma omp task in_reduction (max: m)
	if (v[i] * 3 + i % 5 > m)
	  m = v[i] * 3 + i % 5;
    }
    check_l ("parallel sections reduction(task) max int", m, seqm);
  }

  /* 9. scope reduction(task, ...) and plain scope reduction.  */
  {
    long s = 0, c = 0;
    double d = 0;
    int nthr = 0;
    #pragma omp parallel
    {
      #pragma omp single
      nthr = omp_get_num_threads ();
      #pragma omp scope reduction (task, +: s, d)
      {
	#pragma omp for nowait
	for (int i = 0; i < N; i++)
	  #pragma omp task in_reduction (+: s, d)
	  {
	    s += v[i];
	    d += 0.5 * v[i];
	  }
	s += 1;
      }
      #pragma omp scope reduction (+: c)
      c += 2;
    }
    check_l ("scope reduction(task) + long", s, seq + nthr);
    check_d ("scope reduction(task) + double", d, seqd);
    check_l ("scope reduction + long", c, 2 * nthr);
  }

  /* 10. task reduction constructs repeated in one parallel region.  */
  {
    long tot = 0, wtot = 0;
    #pragma omp parallel
    for (int t = 0; t < 20; t++)
      {
	#pragma omp single
	{
	  long q = 0;
	  #pragma omp taskgroup task_reduction (+: q)
	  for (int i = 0; i < N; i += 4)
	    #pragma omp task in_reduction (+: q)
	    q += v[i] + t;
	  tot += q;
	}
      }
    for (int t = 0; t < 20; t++)
      for (int i = 0; i < N; i += 4)
	wtot += v[i] + t;
    check_l ("taskgroup task_reduction repeated 20x", tot, wtot);
    long s = 0;
    #pragma omp parallel
    for (int t = 0; t < 20; t++)
      {
	#pragma omp for reduction (task, +: s) schedule (static, 16)
	for (int i = 0; i < N; i++)
	  #pragma omp task in_reduction (+: s)
	  s += v[i] - t;
      }
    check_l ("for reduction(task) repeated 20x", s, 20 * seq - 190L * N);
    printf ("task reductions checksum %ld %.1f %ld\n", seq, seqd, seqm);
  }

  printf ("96_task_reductions: %s\n", nbad ? "BAD" : "all ok");
  return nbad != 0;
}
