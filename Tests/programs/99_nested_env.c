/* Nesting enabled from the environment (see 99_nested_env.env):
     OMP_MAX_ACTIVE_LEVELS=2
     OMP_NUM_THREADS=2,3
   The outer team is fixed with num_threads(2); inner regions use the
   default team size taken from the second element of the list (3).  */
#include <omp.h>
#include <stdio.h>

static int bad;

static void
check (const char *name, int bad_count, long got, long want)
{
  if (bad_count)
    {
      printf ("%s BAD got %ld want %ld\n", name, got, want);
      bad++;
    }
  else
    printf ("%s ok\n", name);
}

/* Accumulate mismatches from inside parallel regions.  */
struct acc { int nbad; long got, want; };
static void
note (struct acc *a, long got, long want)
{
  if (got != want)
    {
      #pragma omp critical (note_lock)
      {
	if (a->nbad++ == 0)
	  {
	    a->got = got;
	    a->want = want;
	  }
      }
    }
}

static struct acc outer_nthr, outer_maxthr, outer_levels, inner_nthr,
  inner_maxthr, inner_levels, inner_anc, third_nthr, third_levels,
  set_nthr_inner, second_region_inner;

int
main (void)
{
  omp_set_dynamic (0);
  printf ("99_nested_env start\n");
  check ("max_active_levels_from_env", omp_get_max_active_levels () != 2,
	 omp_get_max_active_levels (), 2);
  check ("nested_enabled_from_env", omp_get_nested () == 0,
	 omp_get_nested (), 1);

  int inner_total = 0, third_total = 0;
  #pragma omp parallel num_threads(2) reduction(+:inner_total, third_total)
  {
    int o = omp_get_thread_num ();
    note (&outer_nthr, omp_get_num_threads (), 2);
    note (&outer_maxthr, omp_get_max_threads (), 3);
    note (&outer_levels, omp_get_level (), 1);
    note (&outer_levels, omp_get_active_level (), 1);

    #pragma omp parallel reduction(+:inner_total, third_total)
    {
      int t = omp_get_thread_num ();
      note (&inner_nthr, omp_get_num_threads (), 3);
      /* List exhausted: the last element stays in effect.  */
      note (&inner_maxthr, omp_get_max_threads (), 3);
      note (&inner_levels, omp_get_level (), 2);
      note (&inner_levels, omp_get_active_level (), 2);
      note (&inner_anc, omp_get_ancestor_thread_num (1), o);
      note (&inner_anc, omp_get_ancestor_thread_num (2), t);
      note (&inner_anc, omp_get_team_size (1), 2);
      note (&inner_anc, omp_get_team_size (2), 3);
      inner_total += 1;

      /* Third level exceeds max-active-levels 2: inactive.  */
      #pragma omp parallel reduction(+:third_total)
      {
	note (&third_nthr, omp_get_num_threads (), 1);
	note (&third_levels, omp_get_level (), 3);
	note (&third_levels, omp_get_active_level (), 2);
	third_total += 1;
      }
    }
  }
  printf ("inner threads total=%d third-level total=%d\n", inner_total,
	  third_total);
  check ("outer_num_threads", outer_nthr.nbad, outer_nthr.got, outer_nthr.want);
  check ("outer_max_threads_is_3", outer_maxthr.nbad, outer_maxthr.got,
	 outer_maxthr.want);
  check ("outer_levels", outer_levels.nbad, outer_levels.got,
	 outer_levels.want);
  check ("inner_default_team_3", inner_nthr.nbad, inner_nthr.got,
	 inner_nthr.want);
  check ("inner_max_threads_is_3", inner_maxthr.nbad, inner_maxthr.got,
	 inner_maxthr.want);
  check ("inner_levels", inner_levels.nbad, inner_levels.got,
	 inner_levels.want);
  check ("inner_ancestors_team_sizes", inner_anc.nbad, inner_anc.got,
	 inner_anc.want);
  check ("inner_total", inner_total != 6, inner_total, 6);
  check ("third_level_inactive", third_nthr.nbad, third_nthr.got,
	 third_nthr.want);
  check ("third_level_levels", third_levels.nbad, third_levels.got,
	 third_levels.want);
  check ("third_level_total", third_total != 6, third_total, 6);

  /* omp_set_num_threads in one outer thread only affects the regions
     that thread encounters.  */
  int per_outer[2] = { 0, 0 };
  #pragma omp parallel num_threads(2)
  {
    int o = omp_get_thread_num ();
    if (o == 1)
      omp_set_num_threads (2);
    note (&set_nthr_inner, omp_get_max_threads (), o == 1 ? 2 : 3);
    #pragma omp parallel
    {
      #pragma omp atomic
      per_outer[o & 1]++;
    }
  }
  printf ("per-outer-thread inner team sizes after omp_set_num_threads "
	  "in thread 1: %d %d\n", per_outer[0], per_outer[1]);
  check ("set_num_threads_local_icv", set_nthr_inner.nbad, set_nthr_inner.got,
	 set_nthr_inner.want);
  check ("set_num_threads_inner_sizes",
	 per_outer[0] != 3 || per_outer[1] != 2,
	 per_outer[0] * 10 + per_outer[1], 32);

  /* The ICV change above must not leak out of the region.  */
  int again = 0;
  #pragma omp parallel num_threads(2) reduction(+:again)
  {
    note (&second_region_inner, omp_get_max_threads (), 3);
    #pragma omp parallel reduction(+:again)
    again += 1;
  }
  printf ("second region inner threads total=%d\n", again);
  check ("icv_not_leaked", second_region_inner.nbad, second_region_inner.got,
	 second_region_inner.want);
  check ("second_region_inner_total", again != 6, again, 6);

  printf ("99_nested_env %s (%d bad)\n", bad ? "FAILED" : "done", bad);
  return bad ? 1 : 0;
}
