/* 97_detach.c -- task detach(event) and omp_fulfill_event.
   Output is independent of the team size; each case is checked against the
   expected values.  A task that depends on a detached task must not start
   before the event is fulfilled; a detached task is complete (for taskwait,
   taskgroup and barriers) only when both its body finished and its event
   was fulfilled.  */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#define K 16

static int nbad;

static void
check (const char *name, long got, long want)
{
  if (got == want)
    printf ("%s: ok\n", name);
  else
    {
      printf ("%s: BAD got %ld want %ld\n", name, got, want);
      nbad++;
    }
}

static int
aload (int *p)
{
  return __atomic_load_n (p, __ATOMIC_SEQ_CST);
}

static void
astore (int *p, int v)
{
  __atomic_store_n (p, v, __ATOMIC_SEQ_CST);
}

int
main (void)
{
  /* 1. chain: D1 fulfilled by D2's body, D2 fulfilled by a plain task;
     checked after the end of single (barrier), after taskwait and after
     taskgroup.  */
  {
    int x = 0, y = 0, z = 0;
    #pragma omp parallel
    {
      #pragma omp single
      {
	omp_event_handle_t e1, e2;
	#pragma omp task detach (e1) shared (x)
	x++;
	#pragma omp task detach (e2) shared (y) firstprivate (e1)
	{
	  y++;
	  omp_fulfill_event (e1);
	}
	#pragma omp task shared (z) firstprivate (e2)
	{
	  z++;
	  omp_fulfill_event (e2);
	}
      }
    }
    check ("detach chain after barrier", x * 100 + y * 10 + z, 111);

    int xa = 0, ya = 0, xb = 0, yb = 0, after_tw = 0, after_tg = 0;
    #pragma omp parallel
    #pragma omp single
    {
      omp_event_handle_t e1, e2;
      #pragma omp task detach (e1) shared (xa)
      xa = 1;
      #pragma omp task shared (ya) firstprivate (e1)
      {
	ya = 1;
	omp_fulfill_event (e1);
      }
      #pragma omp taskwait
      after_tw = xa * 10 + ya;
      #pragma omp taskgroup
      {
	#pragma omp task detach (e2) shared (xb)
	xb = 1;
	#pragma omp task shared (yb) firstprivate (e2)
	{
	  yb = 1;
	  omp_fulfill_event (e2);
	}
      }
      after_tg = xb * 10 + yb;
    }
    check ("detach fulfilled by sibling, after taskwait", after_tw, 11);
    check ("detach fulfilled by sibling, after taskgroup", after_tg, 11);
  }

  /* 2. each task fulfills its own event in its body (also an undeferred
     if(0) task); results checked after taskwait.  */
  {
    long sum = 0, sum_tw = -1;
    int undeferred = 0;
    #pragma omp parallel
    #pragma omp single
    {
      for (int i = 0; i < 200; i++)
	{
	  omp_event_handle_t ev;
	  #pragma omp task detach (ev) shared (sum) firstprivate (i)
	  {
	    #pragma omp atomic
	    sum += i;
	    omp_fulfill_event (ev);
	  }
	}
      #pragma omp taskwait
      sum_tw = sum;
      omp_event_handle_t ev2;
      #pragma omp task detach (ev2) if (0) shared (undeferred)
      {
	undeferred = 1;
	omp_fulfill_event (ev2);
      }
      /* An undeferred task is complete when the construct returns.  */
      undeferred += 10;
    }
    check ("detach self fulfill, after taskwait", sum_tw, 199 * 200 / 2);
    check ("detach self fulfill undeferred", undeferred, 11);
  }

  /* 3. detached tasks (with dependent tasks) are created by a task P;
     the generating task does a taskwait (waits for P only), then fulfills
     the events in reverse order.  Dependent tasks must see the fulfilled
     flag.  Everything is inside a taskgroup.  */
  {
    omp_event_handle_t ev[K];
    int tok[K];
    int fulfilled[K], body_done[K], dep_ok[K], dep_ran[K];
    int before_fulfill_done_ok = 1;
    for (int i = 0; i < K; i++)
      fulfilled[i] = body_done[i] = dep_ok[i] = dep_ran[i] = 0;
    #pragma omp parallel
    #pragma omp single
    {
      #pragma omp taskgroup
      {
	#pragma omp task shared (ev, tok, fulfilled, body_done, dep_ok, dep_ran)
	{
	  for (int i = 0; i < K; i++)
	    {
	      omp_event_handle_t e;
	      #pragma omp task detach (e) depend (out: tok[i]) \
			       shared (body_done) firstprivate (i)
	      astore (&body_done[i], 1);
	      ev[i] = e;
	      #pragma omp task depend (in: tok[i]) \
			       shared (fulfilled, body_done, dep_ok, dep_ran) \
			       firstprivate (i)
	      {
		dep_ok[i] = aload (&fulfilled[i]) == 1
			    && aload (&body_done[i]) == 1;
		astore (&dep_ran[i], 1);
	      }
	    }
	}
	#pragma omp taskwait
	/* P is complete, so all ev[] are set.  No dependent task can have
	   run yet.  */
	for (int i = 0; i < K; i++)
	  if (aload (&dep_ran[i]))
	    before_fulfill_done_ok = 0;
	for (int i = K - 1; i >= 0; i--)
	  {
	    astore (&fulfilled[i], 1);
	    omp_fulfill_event (ev[i]);
	  }
      }
      /* taskgroup end: all descendants done.  */
    }
    int ok = 1;
    for (int i = 0; i < K; i++)
      if (!dep_ok[i] || !dep_ran[i] || !body_done[i])
	ok = 0;
    check ("detach fulfill after taskwait reverse order, deps", ok, 1);
    check ("detach dependent tasks not started before fulfill",
	   before_fulfill_done_ok, 1);
  }

  /* 4. chain of detached tasks through inout dependences.  Each detached
     task's body creates a child task that advances "stage" and then
     fulfills the parent's event; the next detached task checks that the
     stage has advanced, i.e. that it did not start before the fulfill.
     A taskgroup (not taskwait) is used for waiting: the fulfilling tasks
     are grandchildren, and libgomp's taskwait only runs child tasks, so
     with one thread a taskwait here would never return.  */
  {
    int a = 0, stage = 0, chain_ok = 1, final_stage = -1;
    long order = 0;
    #pragma omp parallel
    #pragma omp single
    #pragma omp taskgroup
    {
      for (int i = 0; i < K; i++)
	{
	  omp_event_handle_t e;
	  #pragma omp task detach (e) depend (inout: a) \
			   shared (stage, chain_ok, order) firstprivate (i)
	  {
	    if (aload (&stage) != i)
	      chain_ok = 0;
	    order = order * 3 + i;
	    omp_event_handle_t mine = e;
	    #pragma omp task firstprivate (mine, i) shared (stage)
	    {
	      astore (&stage, i + 1);
	      omp_fulfill_event (mine);
	    }
	  }
	}
      #pragma omp task depend (in: a) shared (stage, final_stage)
      final_stage = aload (&stage);
    }
    long word = 0;
    for (int i = 0; i < K; i++)
      word = word * 3 + i;
    check ("detach chain via depend, order", chain_ok && order == word, 1);
    check ("detach chain via depend, final stage", final_stage, K);
  }

  /* 5. the generating task fulfills events itself, in an order different
     from creation (odd ones first, then even ones reversed), with
     dependent tasks; checked after the barrier at the end of single.  */
  {
    int tok[K], fulfilled[K], dep_ok[K];
    int body[K];
    for (int i = 0; i < K; i++)
      fulfilled[i] = dep_ok[i] = body[i] = 0;
    #pragma omp parallel
    {
      #pragma omp single
      {
	omp_event_handle_t ev[K];
	for (int i = 0; i < K; i++)
	  {
	    omp_event_handle_t e;
	    #pragma omp task detach (e) depend (out: tok[i]) shared (body) \
			     firstprivate (i)
	    astore (&body[i], i + 1);
	    ev[i] = e;
	    #pragma omp task depend (in: tok[i]) shared (fulfilled, dep_ok, body) \
			     firstprivate (i)
	    dep_ok[i] = aload (&fulfilled[i]) && aload (&body[i]) == i + 1;
	  }
	for (int i = 1; i < K; i += 2)
	  {
	    astore (&fulfilled[i], 1);
	    omp_fulfill_event (ev[i]);
	  }
	for (int i = K - 2; i >= 0; i -= 2)
	  {
	    astore (&fulfilled[i], 1);
	    omp_fulfill_event (ev[i]);
	  }
      }
      /* implicit barrier of single: every task complete.  */
    }
    int ok = 1;
    for (int i = 0; i < K; i++)
      if (!dep_ok[i] || body[i] != i + 1)
	ok = 0;
    check ("detach fulfilled by generator out of order, after barrier", ok, 1);
  }

  /* 6. every thread of the team creates a chain (result checked against
     the actual team size; only ok/BAD printed), explicit barrier.  */
  {
    int x = 0, y = 0, z = 0, nthr = 0, after_bar = 1;
    #pragma omp parallel
    {
      omp_event_handle_t e1, e2;
      #pragma omp single
      nthr = omp_get_num_threads ();
      #pragma omp task detach (e1) shared (x)
      {
	#pragma omp atomic
	x++;
      }
      #pragma omp task detach (e2) shared (y) firstprivate (e1)
      {
	#pragma omp atomic
	y++;
	omp_fulfill_event (e1);
      }
      #pragma omp task shared (z) firstprivate (e2)
      {
	#pragma omp atomic
	z++;
	omp_fulfill_event (e2);
      }
      #pragma omp barrier
      int xx, yy, zz;
      #pragma omp atomic read
      xx = x;
      #pragma omp atomic read
      yy = y;
      #pragma omp atomic read
      zz = z;
      if (xx != nthr || yy != nthr || zz != nthr)
	{
	  #pragma omp atomic write
	  after_bar = 0;
	}
    }
    check ("detach chains from all threads, after barrier", after_bar, 1);
    check ("detach chains from all threads, totals",
	   x == nthr && y == nthr && z == nthr, 1);
  }

  /* 7. many detached tasks fulfilled by a separate "fulfiller" task that
     runs after all of them were created (it depends on a token produced by
     the last non-detached task), checked after taskgroup.  */
  {
    long sum = 0;
    int done = 0;
    #pragma omp parallel
    #pragma omp single
    {
      omp_event_handle_t ev[64];
      int go;
      #pragma omp taskgroup
      {
	for (int i = 0; i < 64; i++)
	  {
	    omp_event_handle_t e;
	    #pragma omp task detach (e) shared (sum) firstprivate (i)
	    {
	      #pragma omp atomic
	      sum += i * i;
	    }
	    ev[i] = e;
	  }
	#pragma omp task depend (out: go) shared (done)
	done = 1;
	#pragma omp task depend (in: go) shared (ev)
	for (int i = 0; i < 64; i++)
	  omp_fulfill_event (ev[(i * 5) % 64]);
      }
    }
    long w = 0;
    for (int i = 0; i < 64; i++)
      w += i * i;
    check ("detach fulfilled by a fulfiller task, after taskgroup",
	   sum * 2 + done, w * 2 + 1);
  }

  printf ("97_detach: %s\n", nbad ? "BAD" : "all ok");
  return nbad != 0;
}
