/* Nested parallel regions: ICV queries and worksharing inside inner teams.
   Outer regions always use num_threads(2), inner ones num_threads(3), so
   stdout does not depend on the default (outermost) team size.  */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#define N 1000

#define CHECKS(X)                                                        \
  /* part A: max-active-levels 2 */                                      \
  X(A_outer_num_threads) X(A_outer_thread_num_range) X(A_outer_level)    \
  X(A_outer_active_level) X(A_outer_in_parallel) X(A_outer_ancestor)     \
  X(A_outer_team_size) X(A_outer_max_threads_inherited)                  \
  X(A_inner_num_threads) X(A_inner_thread_num_range) X(A_inner_level)    \
  X(A_inner_active_level) X(A_inner_in_parallel) X(A_inner_ancestor)     \
  X(A_inner_team_size) X(A_inner_ids_unique) X(A_for_static_values)      \
  X(A_for_static_order) X(A_for_static_chunk_owner)                      \
  X(A_for_dynamic_values) X(A_for_dynamic_count) X(A_for_reduction)      \
  X(A_parallel_reduction) X(A_single_once) X(A_single_copyprivate)       \
  X(A_barrier) X(A_critical) X(A_critical_global) X(A_atomic)            \
  X(A_atomic_capture) X(A_master) X(A_sections) X(A_after_inner_state)   \
  /* part B: omp_set_nested */                                           \
  X(B_nested_off_initially) X(B_set_nested_on) X(B_inner_num_threads)    \
  X(B_inner_levels) X(B_inner_total) X(B_set_nested_off)                 \
  /* part C: max-active-levels 1 */                                      \
  X(C_outer_active) X(C_inner_num_threads) X(C_inner_thread_num)         \
  X(C_inner_level) X(C_inner_active_level) X(C_inner_in_parallel)        \
  X(C_inner_ancestor_team_size) X(C_inner_for) X(C_inner_total)          \
  /* part D: max-active-levels 0 */                                      \
  X(D_get_max_active_levels) X(D_outer_num_threads) X(D_outer_level)     \
  X(D_outer_active_level) X(D_outer_in_parallel)                         \
  X(D_outer_ancestor_team_size) X(D_outer_total)                         \
  /* part E: three levels, max-active-levels 3 */                        \
  X(E_level3_num_threads) X(E_level3_levels) X(E_level3_ancestors)       \
  X(E_level3_team_sizes) X(E_level3_ids_unique) X(E_level3_total)        \
  X(E_nested_reduction)                                                  \
  /* part F: if(0) inner region */                                       \
  X(F_if0_num_threads) X(F_if0_levels) X(F_if0_ancestor_team_size)       \
  X(F_if0_total) X(F_if1_active)                                         \
  /* part G: third level beyond max-active-levels 2 */                   \
  X(G_level3_num_threads) X(G_level3_levels) X(G_level3_total)

#define X_ENUM(n) n,
#define X_NAME(n) #n,
enum { CHECKS (X_ENUM) NCHK };
static const char *chk_name[NCHK] = { CHECKS (X_NAME) };
static int chk_bad[NCHK];
static long chk_got[NCHK], chk_want[NCHK];
static int chk_used[NCHK];

static void
chk (int id, long got, long want)
{
  #pragma omp atomic write
  chk_used[id] = 1;
  if (got != want)
    {
      #pragma omp critical (chk_lock)
      {
	if (chk_bad[id] == 0)
	  {
	    chk_got[id] = got;
	    chk_want[id] = want;
	  }
	chk_bad[id]++;
      }
    }
}

static int total_bad;

static void
report (int from, int to)
{
  for (int i = from; i <= to; i++)
    {
      if (!chk_used[i])
	{
	  printf ("%s BAD never checked\n", chk_name[i]);
	  total_bad++;
	}
      else if (chk_bad[i])
	{
	  printf ("%s BAD got %ld want %ld\n", chk_name[i], chk_got[i],
		  chk_want[i]);
	  total_bad++;
	}
      else
	printf ("%s ok\n", chk_name[i]);
    }
}

/* Per outer thread result slots for part A.  */
static int a_val[2][N], b_val[2][N], owner[2][N], seen[2][3];
static int phase[2][3];
struct outer_res
{
  long static_sum, dynamic_sum, for_red;
  int par_red, single_cnt, crit, atom, atom_mask, master_cnt, sec_mask;
  int dyn_iters, cap_ctr;
};
static struct outer_res res[2];
static int crit_global;

static void
part_a (void)
{
  int top_max_threads = omp_get_max_threads ();
  omp_set_max_active_levels (2);

  #pragma omp parallel num_threads(2)
  {
    int o = omp_get_thread_num ();
    chk (A_outer_num_threads, omp_get_num_threads (), 2);
    chk (A_outer_thread_num_range, o >= 0 && o < 2, 1);
    chk (A_outer_level, omp_get_level (), 1);
    chk (A_outer_active_level, omp_get_active_level (), 1);
    chk (A_outer_in_parallel, omp_in_parallel (), 1);
    chk (A_outer_ancestor, omp_get_ancestor_thread_num (0), 0);
    chk (A_outer_ancestor, omp_get_ancestor_thread_num (1), o);
    chk (A_outer_ancestor, omp_get_ancestor_thread_num (2), -1);
    chk (A_outer_ancestor, omp_get_ancestor_thread_num (-1), -1);
    chk (A_outer_team_size, omp_get_team_size (0), 1);
    chk (A_outer_team_size, omp_get_team_size (1), 2);
    chk (A_outer_team_size, omp_get_team_size (2), -1);
    chk (A_outer_max_threads_inherited, omp_get_max_threads (),
	 top_max_threads);
    if (o < 0 || o > 1)
      o = 0;

    struct outer_res *r = &res[o];
    int par_red = 0;
    int copied = -1;
    long lsum = 0;	/* shared by the inner team */

    #pragma omp parallel num_threads(3) reduction(+:par_red) firstprivate(copied)
    {
      int t = omp_get_thread_num ();
      chk (A_inner_num_threads, omp_get_num_threads (), 3);
      chk (A_inner_thread_num_range, t >= 0 && t < 3, 1);
      chk (A_inner_level, omp_get_level (), 2);
      chk (A_inner_active_level, omp_get_active_level (), 2);
      chk (A_inner_in_parallel, omp_in_parallel (), 1);
      chk (A_inner_ancestor, omp_get_ancestor_thread_num (0), 0);
      chk (A_inner_ancestor, omp_get_ancestor_thread_num (1), o);
      chk (A_inner_ancestor, omp_get_ancestor_thread_num (2), t);
      chk (A_inner_ancestor, omp_get_ancestor_thread_num (3), -1);
      chk (A_inner_team_size, omp_get_team_size (0), 1);
      chk (A_inner_team_size, omp_get_team_size (1), 2);
      chk (A_inner_team_size, omp_get_team_size (2), 3);
      chk (A_inner_team_size, omp_get_team_size (3), -1);
      if (t < 0 || t > 2)
	t = 0;
      #pragma omp atomic
      seen[o][t]++;

      /* static, no chunk: one contiguous chunk per thread, in order.  */
      #pragma omp for schedule(static)
      for (int i = 0; i < N; i++)
	{
	  a_val[o][i] = (o + 1) * i + 1;
	  owner[o][i] = t;
	}
      /* implicit barrier: owner[] complete */
      #pragma omp single
      {
	int ordered_ok = 1;
	for (int i = 1; i < N; i++)
	  if (owner[o][i] < owner[o][i - 1])
	    ordered_ok = 0;
	chk (A_for_static_order, ordered_ok, 1);
      }

      /* static with chunk 7: iteration i belongs to thread (i/7)%3.  */
      #pragma omp for schedule(static, 7)
      for (int i = 0; i < N; i++)
	chk (A_for_static_chunk_owner, t, (i / 7) % 3);

      int my_iters = 0;
      #pragma omp for schedule(dynamic, 5)
      for (int i = 0; i < N; i++)
	{
	  b_val[o][i] = 3 * i + o;
	  my_iters++;
	}
      #pragma omp atomic
      r->dyn_iters += my_iters;

      #pragma omp for schedule(guided) reduction(+:lsum)
      for (int i = 0; i < N; i++)
	lsum += i + o;

      par_red += t + 1;

      #pragma omp single
      r->single_cnt++;

      #pragma omp single copyprivate(copied)
      copied = 42 + o;
      chk (A_single_copyprivate, copied, 42 + o);

      phase[o][t] = 1;
      #pragma omp barrier
      chk (A_barrier, phase[o][0] + phase[o][1] + phase[o][2], 3);
      #pragma omp barrier

      #pragma omp critical
      r->crit += t + 1;
      #pragma omp critical (glob)
      crit_global++;

      #pragma omp atomic
      r->atom += 10;

      int v;
      #pragma omp atomic capture
      v = r->cap_ctr++;
      if (v >= 0 && v < 3)
	{
	  #pragma omp atomic
	  r->atom_mask |= 1 << v;
	}

      #pragma omp master
      {
	chk (A_master, t, 0);
	r->master_cnt++;
      }

      #pragma omp sections
      {
	#pragma omp section
	{
	  #pragma omp atomic
	  r->sec_mask |= 1;
	}
	#pragma omp section
	{
	  #pragma omp atomic
	  r->sec_mask |= 2;
	}
	#pragma omp section
	{
	  #pragma omp atomic
	  r->sec_mask |= 4;
	}
	#pragma omp section
	{
	  #pragma omp atomic
	  r->sec_mask |= 8;
	}
      }
    }
    r->par_red = par_red;
    r->for_red = lsum;
    chk (A_after_inner_state, omp_get_level (), 1);
    chk (A_after_inner_state, omp_get_active_level (), 1);
    chk (A_after_inner_state, omp_get_num_threads (), 2);
    chk (A_after_inner_state, omp_get_thread_num (), o);
    long ssum = 0, dsum = 0;
    for (int i = 0; i < N; i++)
      {
	ssum += a_val[o][i];
	dsum += b_val[o][i];
      }
    r->static_sum = ssum;
    r->dynamic_sum = dsum;
  }

  for (int o = 0; o < 2; o++)
    {
      struct outer_res *r = &res[o];
      printf ("A outer %d: static_sum=%ld dynamic_sum=%ld for_red=%ld "
	      "par_red=%d single=%d crit=%d atomic=%d capture_mask=%d "
	      "master=%d sections=%d dyn_iters=%d\n",
	      o, r->static_sum, r->dynamic_sum, r->for_red, r->par_red,
	      r->single_cnt, r->crit, r->atom, r->atom_mask, r->master_cnt,
	      r->sec_mask, r->dyn_iters);
      long want_s = 0, want_d = 0;
      for (int i = 0; i < N; i++)
	{
	  want_s += (o + 1) * i + 1;
	  want_d += 3 * i + o;
	  chk (A_for_static_values, a_val[o][i], (o + 1) * i + 1);
	  chk (A_for_dynamic_values, b_val[o][i], 3 * i + o);
	}
      chk (A_for_static_values, r->static_sum, want_s);
      chk (A_for_dynamic_values, r->dynamic_sum, want_d);
      chk (A_for_dynamic_count, r->dyn_iters, N);
      chk (A_for_reduction, r->for_red, (long) N * (N - 1) / 2 + (long) N * o);
      chk (A_parallel_reduction, r->par_red, 6);
      chk (A_single_once, r->single_cnt, 1);
      chk (A_critical, r->crit, 6);
      chk (A_atomic, r->atom, 30);
      chk (A_atomic_capture, r->atom_mask, 7);
      chk (A_master, r->master_cnt, 1);
      chk (A_sections, r->sec_mask, 15);
      for (int t = 0; t < 3; t++)
	chk (A_inner_ids_unique, seen[o][t], 1);
    }
  printf ("A crit_global=%d\n", crit_global);
  chk (A_critical_global, crit_global, 6);
  report (A_outer_num_threads, A_after_inner_state);
}

static void
part_b (void)
{
  int total = 0;
  omp_set_max_active_levels (1);
  chk (B_nested_off_initially, omp_get_nested (), 0);
  omp_set_nested (1);
  chk (B_set_nested_on, omp_get_nested () != 0, 1);
  chk (B_set_nested_on, omp_get_max_active_levels () > 1, 1);
  #pragma omp parallel num_threads(2) reduction(+:total)
  {
    int o = omp_get_thread_num ();
    #pragma omp parallel num_threads(3) reduction(+:total)
    {
      chk (B_inner_num_threads, omp_get_num_threads (), 3);
      chk (B_inner_levels, omp_get_level (), 2);
      chk (B_inner_levels, omp_get_active_level (), 2);
      chk (B_inner_levels, omp_get_ancestor_thread_num (1), o);
      total += 1;
    }
  }
  printf ("B total inner threads=%d\n", total);
  chk (B_inner_total, total, 6);
  omp_set_nested (0);
  chk (B_set_nested_off, omp_get_nested (), 0);
  chk (B_set_nested_off, omp_get_max_active_levels (), 1);
  report (B_nested_off_initially, B_set_nested_off);
}

static void
part_c (void)
{
  int total = 0;
  omp_set_max_active_levels (1);
  #pragma omp parallel num_threads(2) reduction(+:total)
  {
    int o = omp_get_thread_num ();
    chk (C_outer_active, omp_get_num_threads (), 2);
    chk (C_outer_active, omp_get_active_level (), 1);
    #pragma omp parallel num_threads(3) reduction(+:total)
    {
      chk (C_inner_num_threads, omp_get_num_threads (), 1);
      chk (C_inner_thread_num, omp_get_thread_num (), 0);
      chk (C_inner_level, omp_get_level (), 2);
      chk (C_inner_active_level, omp_get_active_level (), 1);
      chk (C_inner_in_parallel, omp_in_parallel (), 1);
      chk (C_inner_ancestor_team_size, omp_get_ancestor_thread_num (1), o);
      chk (C_inner_ancestor_team_size, omp_get_ancestor_thread_num (2), 0);
      chk (C_inner_ancestor_team_size, omp_get_team_size (1), 2);
      chk (C_inner_ancestor_team_size, omp_get_team_size (2), 1);
      int cnt = 0;
      #pragma omp for schedule(dynamic, 3)
      for (int i = 0; i < 50; i++)
	{
	  chk (C_inner_for, omp_get_thread_num (), 0);
	  cnt++;
	}
      chk (C_inner_for, cnt, 50);
      total += 1;
    }
  }
  printf ("C total inner threads=%d\n", total);
  chk (C_inner_total, total, 2);
  report (C_outer_active, C_inner_total);
}

static void
part_d (void)
{
  int total = 0;
  omp_set_max_active_levels (0);
  chk (D_get_max_active_levels, omp_get_max_active_levels (), 0);
  #pragma omp parallel num_threads(2) reduction(+:total)
  {
    chk (D_outer_num_threads, omp_get_num_threads (), 1);
    chk (D_outer_num_threads, omp_get_thread_num (), 0);
    chk (D_outer_level, omp_get_level (), 1);
    chk (D_outer_active_level, omp_get_active_level (), 0);
    chk (D_outer_in_parallel, omp_in_parallel (), 0);
    chk (D_outer_ancestor_team_size, omp_get_ancestor_thread_num (1), 0);
    chk (D_outer_ancestor_team_size, omp_get_team_size (1), 1);
    total += 1;
  }
  printf ("D total outer threads=%d\n", total);
  chk (D_outer_total, total, 1);
  report (D_get_max_active_levels, D_outer_total);
}

static int e_seen[8];

static void
part_e (void)
{
  int total = 0, idsum = 0;
  omp_set_max_active_levels (3);
  #pragma omp parallel num_threads(2) reduction(+:total, idsum)
  {
    int a1 = omp_get_thread_num ();
    #pragma omp parallel num_threads(2) reduction(+:total, idsum)
    {
      int a2 = omp_get_thread_num ();
      #pragma omp parallel num_threads(2) reduction(+:total, idsum)
      {
	int a3 = omp_get_thread_num ();
	chk (E_level3_num_threads, omp_get_num_threads (), 2);
	chk (E_level3_levels, omp_get_level (), 3);
	chk (E_level3_levels, omp_get_active_level (), 3);
	chk (E_level3_ancestors, omp_get_ancestor_thread_num (1), a1);
	chk (E_level3_ancestors, omp_get_ancestor_thread_num (2), a2);
	chk (E_level3_ancestors, omp_get_ancestor_thread_num (3), a3);
	chk (E_level3_ancestors, omp_get_ancestor_thread_num (4), -1);
	for (int l = 1; l <= 3; l++)
	  chk (E_level3_team_sizes, omp_get_team_size (l), 2);
	int id = a1 * 4 + a2 * 2 + a3;
	if (id >= 0 && id < 8)
	  {
	    #pragma omp atomic
	    e_seen[id]++;
	  }
	total += 1;
	idsum += id;
      }
    }
  }
  for (int i = 0; i < 8; i++)
    chk (E_level3_ids_unique, e_seen[i], 1);
  printf ("E total level-3 threads=%d idsum=%d\n", total, idsum);
  chk (E_level3_total, total, 8);
  chk (E_nested_reduction, idsum, 28);
  report (E_level3_num_threads, E_nested_reduction);
}

static void
part_f (void)
{
  int total = 0, total1 = 0;
  omp_set_max_active_levels (2);
  #pragma omp parallel num_threads(2) reduction(+:total, total1)
  {
    int o = omp_get_thread_num ();
    #pragma omp parallel num_threads(3) if(0) reduction(+:total)
    {
      chk (F_if0_num_threads, omp_get_num_threads (), 1);
      chk (F_if0_num_threads, omp_get_thread_num (), 0);
      chk (F_if0_levels, omp_get_level (), 2);
      chk (F_if0_levels, omp_get_active_level (), 1);
      chk (F_if0_ancestor_team_size, omp_get_ancestor_thread_num (1), o);
      chk (F_if0_ancestor_team_size, omp_get_ancestor_thread_num (2), 0);
      chk (F_if0_ancestor_team_size, omp_get_team_size (2), 1);
      chk (F_if0_ancestor_team_size, omp_get_team_size (1), 2);
      total += 1;
    }
    #pragma omp parallel num_threads(3) if(1) reduction(+:total1)
    {
      chk (F_if1_active, omp_get_num_threads (), 3);
      chk (F_if1_active, omp_get_active_level (), 2);
      total1 += 1;
    }
  }
  printf ("F if(0) inner threads=%d if(1) inner threads=%d\n", total, total1);
  chk (F_if0_total, total, 2);
  chk (F_if1_active, total1, 6);
  report (F_if0_num_threads, F_if1_active);
}

static void
part_g (void)
{
  int total = 0;
  omp_set_max_active_levels (2);
  #pragma omp parallel num_threads(2) reduction(+:total)
  #pragma omp parallel num_threads(2) reduction(+:total)
  #pragma omp parallel num_threads(3) reduction(+:total)
  {
    chk (G_level3_num_threads, omp_get_num_threads (), 1);
    chk (G_level3_levels, omp_get_level (), 3);
    chk (G_level3_levels, omp_get_active_level (), 2);
    chk (G_level3_levels, omp_get_team_size (3), 1);
    chk (G_level3_levels, omp_get_team_size (2), 2);
    total += 1;
  }
  printf ("G level-3 threads=%d\n", total);
  chk (G_level3_total, total, 4);
  report (G_level3_num_threads, G_level3_total);
}

int
main (void)
{
  omp_set_dynamic (0);
  printf ("98_nested_parallel start\n");
  part_a ();
  part_b ();
  part_c ();
  part_d ();
  part_e ();
  part_f ();
  part_g ();
  printf ("98_nested_parallel %s (%d bad)\n", total_bad ? "FAILED" : "done",
	  total_bad);
  return total_bad ? 1 : 0;
}
