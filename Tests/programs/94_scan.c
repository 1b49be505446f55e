/* 94_scan.c -- reduction(inscan, ...) with #pragma omp scan inclusive/exclusive.
   Output is independent of the team size.  Every case is checked against a
   sequential computation.
   Note: gcc 12 rejects any schedule() clause (even schedule(static)) together
   with an inscan reduction, so only the default schedule is used.  */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N 3001
#define STEPS 50

static int ia[N];
static long la[N];
static double da[N];
static int ib[N], iw[N];
static long lb[N], lw[N];
static double db[N], dw[N];
static int nbad;

static void
report_i (const char *name, const int *got, const int *want, int n,
	  int gfin, int wfin)
{
  for (int i = 0; i < n; i++)
    if (got[i] != want[i])
      {
	printf ("%s: BAD got %d want %d at %d\n", name, got[i], want[i], i);
	nbad++;
	return;
      }
  if (gfin != wfin)
    {
      printf ("%s: BAD final got %d want %d\n", name, gfin, wfin);
      nbad++;
      return;
    }
  printf ("%s: ok\n", name);
}

static void
report_l (const char *name, const long *got, const long *want, int n,
	  long gfin, long wfin)
{
  for (int i = 0; i < n; i++)
    if (got[i] != want[i])
      {
	printf ("%s: BAD got %ld want %ld at %d\n", name, got[i], want[i], i);
	nbad++;
	return;
      }
  if (gfin != wfin)
    {
      printf ("%s: BAD final got %ld want %ld\n", name, gfin, wfin);
      nbad++;
      return;
    }
  printf ("%s: ok\n", name);
}

static void
report_d (const char *name, const double *got, const double *want, int n,
	  double gfin, double wfin)
{
  for (int i = 0; i < n; i++)
    if (got[i] != want[i])
      {
	printf ("%s: BAD got %.1f want %.1f at %d\n", name, got[i], want[i], i);
	nbad++;
	return;
      }
  if (gfin != wfin)
    {
      printf ("%s: BAD final got %.1f want %.1f\n", name, gfin, wfin);
      nbad++;
      return;
    }
  printf ("%s: ok\n", name);
}

/* User defined reduction: plain integer addition with a visible name.  */
#pragma omp declare reduction (myadd: int: omp_out += omp_in) \
  initializer (omp_priv = 0)

/* Orphaned worksharing loop on a global reduction variable.  */
static int gsum;

__attribute__((noinline)) static void
orphan_scan (void)
{
  #pragma omp for reduction (inscan, +: gsum)
  for (int i = 0; i < N; i++)
    {
      gsum += ia[i];
      #pragma omp scan inclusive (gsum)
      ib[i] = gsum;
    }
}

int
main (void)
{
  for (int i = 0; i < N; i++)
    {
      ia[i] = (i * 7) % 13 - 5;
      la[i] = (long) ((i * 31) % 101) * 1000003L;
      da[i] = 0.5 * ((i * 5) % 17) - 3.0;
    }

  /* 1. combined parallel for, inclusive, int.  */
  {
    int s = 0, w = 0;
    memset (ib, 0, sizeof ib);
    #pragma omp parallel for reduction (inscan, +: s)
    for (int i = 0; i < N; i++)
      {
	s += ia[i];
	#pragma omp scan inclusive (s)
	ib[i] = s;
      }
    for (int i = 0; i < N; i++)
      {
	w += ia[i];
	iw[i] = w;
      }
    report_i ("scan combined inclusive int", ib, iw, N, s, w);
  }

  /* 2. combined parallel for, exclusive, int.  */
  {
    int s = 0, w = 0;
    #pragma omp parallel for reduction (inscan, +: s)
    for (int i = 0; i < N; i++)
      {
	ib[i] = s;
	#pragma omp scan exclusive (s)
	s += ia[i];
      }
    for (int i = 0; i < N; i++)
      {
	iw[i] = w;
	w += ia[i];
      }
    report_i ("scan combined exclusive int", ib, iw, N, s, w);
  }

  /* 3. combined, inclusive, long.  */
  {
    long s = 0, w = 0;
    #pragma omp parallel for reduction (inscan, +: s)
    for (int i = 0; i < N; i++)
      {
	s += la[i];
	#pragma omp scan inclusive (s)
	lb[i] = s;
      }
    for (int i = 0; i < N; i++)
      {
	w += la[i];
	lw[i] = w;
      }
    report_l ("scan combined inclusive long", lb, lw, N, s, w);
  }

  /* 4. combined, exclusive, double (exact: multiples of 0.5).  */
  {
    double s = 0, w = 0;
    #pragma omp parallel for reduction (inscan, +: s)
    for (int i = 0; i < N; i++)
      {
	db[i] = s;
	#pragma omp scan exclusive (s)
	s += da[i];
      }
    for (int i = 0; i < N; i++)
      {
	dw[i] = w;
	w += da[i];
      }
    report_d ("scan combined exclusive double", db, dw, N, s, w);
  }

  /* 5. non-combined omp for inside parallel: int inclusive, long exclusive,
     double inclusive, int exclusive, all in one region.  */
  {
    int si = 0, si2 = 0;
    long sl = 0;
    double sd = 0;
    static int ib2[N];
    #pragma omp parallel
    {
      #pragma omp for reduction (inscan, +: si)
      for (int i = 0; i < N; i++)
	{
	  si += ia[i];
	  #pragma omp scan inclusive (si)
	  ib[i] = si;
	}
      #pragma omp for reduction (inscan, +: sl)
      for (int i = 0; i < N; i++)
	{
	  lb[i] = sl;
	  #pragma omp scan exclusive (sl)
	  sl += la[i];
	}
      #pragma omp for reduction (inscan, +: sd)
      for (int i = 0; i < N; i++)
	{
	  sd += da[i];
	  #pragma omp scan inclusive (sd)
	  db[i] = sd;
	}
      #pragma omp for reduction (inscan, +: si2)
      for (int i = 0; i < N; i++)
	{
	  ib2[i] = si2;
	  #pragma omp scan exclusive (si2)
	  si2 += 2 * ia[i];
	}
    }
    int wi = 0;
    for (int i = 0; i < N; i++)
      {
	wi += ia[i];
	iw[i] = wi;
      }
    report_i ("scan for inclusive int", ib, iw, N, si, wi);
    long wl = 0;
    for (int i = 0; i < N; i++)
      {
	lw[i] = wl;
	wl += la[i];
      }
    report_l ("scan for exclusive long", lb, lw, N, sl, wl);
    double wd = 0;
    for (int i = 0; i < N; i++)
      {
	wd += da[i];
	dw[i] = wd;
      }
    report_d ("scan for inclusive double", db, dw, N, sd, wd);
    wi = 0;
    for (int i = 0; i < N; i++)
      {
	iw[i] = wi;
	wi += 2 * ia[i];
      }
    report_i ("scan for exclusive int", ib2, iw, N, si2, wi);
  }

  /* 6. nowait on the scan loop, explicit barrier afterwards; two
     variables of different types in one scan directive.  */
  {
    int s = 0, w = 0;
    long t = 0, wt = 0;
    #pragma omp parallel
    {
      #pragma omp for reduction (inscan, +: s, t) nowait
      for (int i = 0; i < N; i++)
	{
	  s += ia[i];
	  t += la[i];
	  #pragma omp scan inclusive (s, t)
	  ib[i] = s;
	  lb[i] = t;
	}
      #pragma omp barrier
    }
    for (int i = 0; i < N; i++)
      {
	w += ia[i];
	iw[i] = w;
	wt += la[i];
	lw[i] = wt;
      }
    report_i ("scan for nowait two vars (int)", ib, iw, N, s, w);
    report_l ("scan for nowait two vars (long)", lb, lw, N, t, wt);
  }

  /* 7. max and * and user-defined reductions.  */
  {
    int m = -1000, wm = -1000;
    #pragma omp parallel for reduction (inscan, max: m)
    for (int i = 0; i < N; i++)
      {
	{
	  int v = (i * 37) % 1009 - (i % 3 == 0 ? 500 : 0);
	  m = m > v ? m : v;
	}
	#pragma omp scan inclusive (m)
	ib[i] = m;
      }
    for (int i = 0; i < N; i++)
      {
	int v = (i * 37) % 1009 - (i % 3 == 0 ? 500 : 0);
	wm = wm > v ? wm : v;
	iw[i] = wm;
      }
    report_i ("scan combined inclusive max int", ib, iw, N, m, wm);

    int mn = 1000, wmn = 1000;
    #pragma omp parallel
    #pragma omp for reduction (inscan, min: mn)
    for (int i = 0; i < N; i++)
      {
	ib[i] = mn;
	#pragma omp scan exclusive (mn)
	{
	  int v = 1000 - (i * 3) % 1013;
	  mn = mn < v ? mn : v;
	}
      }
    for (int i = 0; i < N; i++)
      {
	iw[i] = wmn;
	int v = 1000 - (i * 3) % 1013;
	wmn = wmn < v ? wmn : v;
      }
    report_i ("scan for exclusive min int", ib, iw, N, mn, wmn);

    /* Product of small factors (3^31 max, no overflow): exact and
       associative, so parallel result must equal sequential.  */
    long p = 1, wp = 1;
    #pragma omp parallel for reduction (inscan, *: p)
    for (int i = 0; i < N; i++)
      {
	p *= (i % 97 == 0) ? 3 : ((i % 7 == 0) ? -1 : 1);
	#pragma omp scan inclusive (p)
	lb[i] = p;
      }
    for (int i = 0; i < N; i++)
      {
	wp *= (i % 97 == 0) ? 3 : ((i % 7 == 0) ? -1 : 1);
	lw[i] = wp;
      }
    report_l ("scan combined inclusive mul long", lb, lw, N, p, wp);

    double dp = 1, wdp = 1;
    #pragma omp parallel for reduction (inscan, *: dp)
    for (int i = 0; i < N; i++)
      {
	db[i] = dp;
	#pragma omp scan exclusive (dp)
	dp *= (i % 97 == 5) ? 2.0 : ((i % 89 == 3) ? 0.5 : 1.0);
      }
    for (int i = 0; i < N; i++)
      {
	dw[i] = wdp;
	wdp *= (i % 97 == 5) ? 2.0 : ((i % 89 == 3) ? 0.5 : 1.0);
      }
    report_d ("scan combined exclusive mul double", db, dw, N, dp, wdp);

    int u = 0, wu = 0;
    #pragma omp parallel for reduction (inscan, myadd: u)
    for (int i = 0; i < N; i++)
      {
	u += ia[i] * 3;
	#pragma omp scan inclusive (u)
	ib[i] = u;
      }
    for (int i = 0; i < N; i++)
      {
	wu += ia[i] * 3;
	iw[i] = wu;
      }
    report_i ("scan combined inclusive udr int", ib, iw, N, u, wu);
  }

  /* 8. for simd scans (combined and non-combined).  */
  {
    int s = 0, w = 0;
    #pragma omp parallel for simd reduction (inscan, +: s)
    for (int i = 0; i < N; i++)
      {
	s += ia[i];
	#pragma omp scan inclusive (s)
	ib[i] = s;
      }
    for (int i = 0; i < N; i++)
      {
	w += ia[i];
	iw[i] = w;
      }
    report_i ("scan parallel for simd inclusive int", ib, iw, N, s, w);

    double d = 0, wd = 0;
    #pragma omp parallel
    #pragma omp for simd reduction (inscan, +: d)
    for (int i = 0; i < N; i++)
      {
	db[i] = d;
	#pragma omp scan exclusive (d)
	d += da[i];
      }
    for (int i = 0; i < N; i++)
      {
	dw[i] = wd;
	wd += da[i];
      }
    report_d ("scan for simd exclusive double", db, dw, N, d, wd);
  }

  /* 9. orphaned omp for on a global, called from a parallel region.  */
  {
    int w = 0;
    gsum = 0;
    #pragma omp parallel
    orphan_scan ();
    for (int i = 0; i < N; i++)
      {
	w += ia[i];
	iw[i] = w;
      }
    report_i ("scan orphaned for inclusive int", ib, iw, N, gsum, w);
  }

  /* 10. edge cases: non-neutral initial value, negative stride loop,
     fewer iterations than threads, zero iterations, collapse(2),
     unsigned long long iteration variable.  */
  {
    int s = 100, w = 100;
    #pragma omp parallel for reduction (inscan, +: s)
    for (int i = N - 1; i >= 0; i -= 3)
      {
	s += ia[i];
	#pragma omp scan inclusive (s)
	ib[i] = s;
      }
    memset (iw, 0, sizeof iw);
    for (int i = N - 1; i >= 0; i -= 3)
      {
	w += ia[i];
	iw[i] = w;
      }
    for (int i = 0; i < N; i++)
      if ((N - 1 - i) % 3 != 0)
	ib[i] = 0;
    report_i ("scan combined inclusive init100 stride-3", ib, iw, N, s, w);

    volatile int two = 2, zero = 0;
    int s2 = 5;
    int tb[2] = { -1, -1 };
    #pragma omp parallel for reduction (inscan, +: s2)
    for (int i = 0; i < two; i++)
      {
	tb[i] = s2;
	#pragma omp scan exclusive (s2)
	s2 += 10 + i;
      }
    int tw[2] = { 5, 15 };
    report_i ("scan combined exclusive 2 iterations", tb, tw, 2, s2, 26);

    int s3 = 7;
    #pragma omp parallel
    #pragma omp for reduction (inscan, +: s3)
    for (int i = 0; i < zero; i++)
      {
	s3 += 1000;
	#pragma omp scan inclusive (s3)
	ib[i] = s3;
      }
    report_i ("scan for inclusive 0 iterations", ib, ib, 0, s3, 7);

    int s4 = 0, w4 = 0;
    #pragma omp parallel for collapse(2) reduction (inscan, +: s4)
    for (int i = 0; i < 61; i++)
      for (int j = 0; j < 49; j++)
	{
	  s4 += ia[i * 49 + j];
	  #pragma omp scan inclusive (s4)
	  ib[i * 49 + j] = s4;
	}
    for (int i = 0; i < 61 * 49; i++)
      {
	w4 += ia[i];
	iw[i] = w4;
      }
    report_i ("scan combined collapse(2) inclusive int", ib, iw, 61 * 49, s4,
	      w4);

    long s5 = 0, w5 = 0;
    volatile unsigned long long un = N;	/* not constant: ull loop */
    #pragma omp parallel
    #pragma omp for reduction (inscan, +: s5)
    for (unsigned long long i = 0; i < un; i++)
      {
	lb[i] = s5;
	#pragma omp scan exclusive (s5)
	s5 += la[i];
      }
    for (int i = 0; i < N; i++)
      {
	lw[i] = w5;
	w5 += la[i];
      }
    report_l ("scan for ull exclusive long", lb, lw, N, s5, w5);
  }

  /* 11. time steps: the scan loop is executed STEPS times inside a single
     parallel region, the data changes between steps and the reduction
     variable keeps accumulating over steps.  */
  {
    static int step_ok[STEPS];
    int s = 0;
    long chk = 0;
    static int x[N];
    for (int i = 0; i < N; i++)
      x[i] = i % 11;
    #pragma omp parallel
    {
      for (int t = 0; t < STEPS; t++)
	{
	  if (t & 1)
	    {
	      #pragma omp for reduction (inscan, +: s)
	      for (int i = 0; i < N; i++)
		{
		  ib[i] = s;
		  #pragma omp scan exclusive (s)
		  s += x[i];
		}
	    }
	  else
	    {
	      #pragma omp for reduction (inscan, +: s)
	      for (int i = 0; i < N; i++)
		{
		  s += x[i];
		  #pragma omp scan inclusive (s)
		  ib[i] = s;
		}
	    }
	  #pragma omp single
	  {
	    /* Sequential check: the value before this step is
	       s - sum (x).  */
	    int tot = 0;
	    for (int i = 0; i < N; i++)
	      tot += x[i];
	    int w = s - tot, ok = 1;
	    for (int i = 0; i < N; i++)
	      {
		if (t & 1)
		  {
		    if (ib[i] != w)
		      ok = 0;
		    w += x[i];
		  }
		else
		  {
		    w += x[i];
		    if (ib[i] != w)
		      ok = 0;
		  }
	      }
	    step_ok[t] = ok;
	    chk += ib[N - 1] + ib[N / 2];
	    /* Change the data for the next step.  */
	    for (int i = 0; i < N; i++)
	      x[i] = (x[i] * 3 + t + i) % 17 - 8;
	  }
	}
    }
    /* Fully sequential recomputation of the whole sequence.  */
    int ws = 0;
    long wchk = 0;
    int allok = 1;
    for (int i = 0; i < N; i++)
      x[i] = i % 11;
    for (int t = 0; t < STEPS; t++)
      {
	int last = 0, mid = 0;
	for (int i = 0; i < N; i++)
	  {
	    if (t & 1)
	      {
		if (i == N - 1) last = ws;
		if (i == N / 2) mid = ws;
		ws += x[i];
	      }
	    else
	      {
		ws += x[i];
		if (i == N - 1) last = ws;
		if (i == N / 2) mid = ws;
	      }
	  }
	wchk += last + mid;
	if (!step_ok[t])
	  allok = 0;
	for (int i = 0; i < N; i++)
	  x[i] = (x[i] * 3 + t + i) % 17 - 8;
      }
    if (allok && s == ws && chk == wchk)
      printf ("scan time steps x%d: ok\n", STEPS);
    else
      {
	printf ("scan time steps x%d: BAD got %d/%ld want %d/%ld allok %d\n",
		STEPS, s, chk, ws, wchk, allok);
	nbad++;
      }
    printf ("scan time steps checksum %d %ld\n", s, chk);
  }

  printf ("94_scan: %s\n", nbad ? "BAD" : "all ok");
  return nbad != 0;
}
