/* Memory allocators with a bounded pool (omp_atk_pool_size = 64 KiB).
   The pool of an allocator is shared by all threads of the process, so
   the number of blocks that fit must not depend on the team size.

   Block size 4000 is chosen so that exactly 16 blocks fit for any
   per-allocation overhead between 0 and 96 bytes (16 * 4096 = 65536);
   libgomp's overhead is 32 bytes.  Counts that depend on the overhead
   (small blocks) are only compared with a sequential reference taken in
   this program, and their values go to stderr (only if T100_VERBOSE is set).  */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POOL 65536
#define BIG 4000
#define SMALL 100
#define MAXP 4096

static int bad;

static void
check (const char *name, long got, long want)
{
  if (got == want)
    printf ("%s ok\n", name);
  else
    {
      printf ("%s BAD got %ld want %ld\n", name, got, want);
      bad++;
    }
}

static omp_allocator_handle_t
make_pool (omp_uintptr_t fallback, omp_allocator_handle_t fb_data)
{
  omp_alloctrait_t tr[3] = {
    { omp_atk_pool_size, POOL },
    { omp_atk_fallback, fallback },
    { omp_atk_fb_data, (omp_uintptr_t) fb_data },
  };
  omp_allocator_handle_t a
    = omp_init_allocator (omp_default_mem_space,
			  fallback == omp_atv_allocator_fb ? 3 : 2, tr);
  if (a == omp_null_allocator)
    {
      printf ("omp_init_allocator BAD returned omp_null_allocator\n");
      exit (1);
    }
  return a;
}

static void *ptrs[MAXP];
static int nptrs;

/* Sequentially allocate SZ-byte blocks until failure; keep them.  */
static int
fill_seq (omp_allocator_handle_t a, size_t sz)
{
  int n = 0;
  void *p;
  while (nptrs < MAXP && (p = omp_alloc (sz, a)) != NULL)
    {
      memset (p, 0x5a, sz);
      ptrs[nptrs++] = p;
      n++;
    }
  return n;
}

static void
free_all (omp_allocator_handle_t a)
{
  for (int i = 0; i < nptrs; i++)
    omp_free (ptrs[i], a);
  nptrs = 0;
}

/* Allocate with tag, verify later that no two blocks overlap (each one
   still holds its own tag).  */
static int
tags_intact (size_t sz)
{
  int ok = 1;
  for (int i = 0; i < nptrs; i++)
    {
      unsigned char *c = ptrs[i];
      unsigned char want = (unsigned char) (i * 7 + 1);
      if (c[0] != want || c[sz / 2] != want || c[sz - 1] != want)
	ok = 0;
    }
  return ok;
}

static void
retag (size_t sz)
{
  for (int i = 0; i < nptrs; i++)
    memset (ptrs[i], (unsigned char) (i * 7 + 1), sz);
}

int
main (void)
{
  /* Overhead-dependent numbers go to stderr only with T100_VERBOSE set.  */
  int verbose = getenv ("T100_VERBOSE") != NULL;
  printf ("100_alloc_pool start\n");

  /* 1. Sequential reference on a fresh allocator.  */
  omp_allocator_handle_t a = make_pool (omp_atv_null_fb, omp_null_allocator);
  int seq_big = fill_seq (a, BIG);
  printf ("sequential %d-byte blocks in %d-byte pool: %d\n", BIG, POOL,
	  seq_big);
  check ("seq_big_count", seq_big, 16);
  check ("too_large_request_null", omp_alloc (POOL + 1, a) == NULL, 1);
  free_all (a);
  int seq_small = fill_seq (a, SMALL);
  if (verbose)
    fprintf (stderr, "info: sequential %d-byte blocks: %d (overhead ~%ld bytes)\n",
	   SMALL, seq_small, seq_small ? (long) (POOL / seq_small - SMALL) : -1L);
  free_all (a);
  check ("pool_reusable_after_free", fill_seq (a, BIG), seq_big);
  free_all (a);
  omp_destroy_allocator (a);

  /* 2. One thread (single) allocates until exhaustion inside a region.  */
  a = make_pool (omp_atv_null_fb, omp_null_allocator);
  int single_cnt = -1;
  #pragma omp parallel shared(single_cnt)
  {
    #pragma omp single
    single_cnt = fill_seq (a, BIG);
  }
  printf ("single-thread-in-region %d-byte blocks: %d\n", BIG, single_cnt);
  check ("single_in_region_equals_seq", single_cnt, seq_big);
  free_all (a);
  omp_destroy_allocator (a);

  /* 3. omp for with a fixed number of iterations, each allocating one
	block; total successes must equal the sequential count.  */
  a = make_pool (omp_atv_null_fb, omp_null_allocator);
  int succ = 0, fail = 0;
  void *slot[64];
  #pragma omp parallel reduction(+:succ, fail)
  {
    #pragma omp for schedule(dynamic)
    for (int i = 0; i < 64; i++)
      {
	slot[i] = omp_alloc (BIG, a);
	if (slot[i])
	  {
	    memset (slot[i], (unsigned char) (i + 1), BIG);
	    succ++;
	  }
	else
	  fail++;
      }
  }
  int distinct_ok = 1;
  for (int i = 0; i < 64; i++)
    if (slot[i])
      {
	unsigned char *c = slot[i];
	if (c[0] != i + 1 || c[BIG - 1] != i + 1)
	  distinct_ok = 0;
      }
  printf ("omp for 64 iterations x %d bytes: successes=%d failures=%d\n",
	  BIG, succ, fail);
  check ("omp_for_successes_equal_seq", succ, seq_big);
  check ("omp_for_blocks_disjoint", distinct_ok, 1);
  for (int i = 0; i < 64; i++)
    if (slot[i])
      omp_free (slot[i], a);
  omp_destroy_allocator (a);

  /* 4. Every thread allocates until failure concurrently (small blocks,
	heavy contention); the total must equal the sequential count.  */
  a = make_pool (omp_atv_null_fb, omp_null_allocator);
  int total_small = 0;
  #pragma omp parallel reduction(+:total_small)
  {
    void *p;
    while ((p = omp_alloc (SMALL, a)) != NULL)
      {
	int k;
	#pragma omp atomic capture
	k = nptrs++;
	if (k < MAXP)
	  ptrs[k] = p;
	total_small++;
      }
  }
  if (nptrs > MAXP)
    nptrs = MAXP;
  retag (SMALL);
  if (verbose)
    fprintf (stderr, "info: concurrent %d-byte blocks: %d\n", SMALL,
	   total_small);
  check ("concurrent_small_total_equals_seq", total_small, seq_small);
  check ("concurrent_small_blocks_disjoint", tags_intact (SMALL), 1);
  free_all (a);

  /* Same with big blocks: the total is printed.  */
  int total_big = 0;
  #pragma omp parallel reduction(+:total_big)
  {
    void *p;
    while ((p = omp_alloc (BIG, a)) != NULL)
      {
	int k;
	#pragma omp atomic capture
	k = nptrs++;
	if (k < MAXP)
	  ptrs[k] = p;
	total_big++;
      }
  }
  retag (BIG);
  printf ("concurrent until-failure %d-byte blocks: %d\n", BIG, total_big);
  check ("concurrent_big_total_equals_seq", total_big, seq_big);
  check ("concurrent_big_blocks_disjoint", tags_intact (BIG), 1);
  /* Pool is now exhausted: 16 blocks of BIG.  */

  /* 5. omp_realloc through the exhausted pool.  */
  unsigned char *p0 = ptrs[0];
  memset (p0, 0x33, BIG);
  void *q = omp_realloc (p0, 2 * BIG, a, a);
  check ("realloc_grow_exhausted_returns_null", q == NULL, 1);
  check ("realloc_failure_keeps_old_block",
	 p0[0] == 0x33 && p0[BIG - 1] == 0x33, 1);
  check ("realloc_null_ptr_exhausted_returns_null",
	 omp_realloc (NULL, BIG, a, a) == NULL, 1);
  check ("alloc_exhausted_returns_null", omp_alloc (BIG, a) == NULL, 1);

  /* omp_free returns space: free one block, allocate one again.  */
  omp_free (ptrs[1], a);
  ptrs[1] = omp_alloc (BIG, a);
  check ("alloc_after_free_succeeds", ptrs[1] != NULL, 1);
  check ("alloc_after_refill_null", omp_alloc (BIG, a) == NULL, 1);

  /* Free two blocks, now the grow of block 0 fits (even if the
     implementation needs old and new block at the same time).  */
  omp_free (ptrs[1], a);
  omp_free (ptrs[2], a);
  q = omp_realloc (p0, 2 * BIG, a, a);
  check ("realloc_grow_after_free_succeeds", q != NULL, 1);
  if (q)
    {
      unsigned char *c = q;
      check ("realloc_preserves_contents",
	     c[0] == 0x33 && c[BIG - 1] == 0x33, 1);
      ptrs[0] = q;
    }
  ptrs[1] = ptrs[nptrs - 1];
  ptrs[2] = ptrs[nptrs - 2];
  nptrs -= 2;

  /* Move a block out of the pool into default memory: pool space freed. */
  q = omp_realloc (ptrs[3], 3 * BIG, omp_default_mem_alloc, a);
  check ("realloc_to_default_mem", q != NULL, 1);
  void *r = omp_alloc (BIG, a);
  check ("alloc_after_realloc_out_of_pool", r != NULL, 1);
  omp_free (q, omp_default_mem_alloc);
  ptrs[3] = r;

  /* Size 0 realloc frees and returns NULL.  */
  check ("realloc_size0_returns_null", omp_realloc (ptrs[4], 0, a, a) == NULL,
	 1);
  ptrs[4] = omp_alloc (BIG, a);
  check ("alloc_after_realloc_size0", ptrs[4] != NULL, 1);
  free_all (a);
  check ("after_all_frees_full_count_again", fill_seq (a, BIG), seq_big);
  free_all (a);
  omp_destroy_allocator (a);

  /* 6. default_mem_fb: allocations beyond the pool fall back.  */
  a = make_pool (omp_atv_default_mem_fb, omp_null_allocator);
  int fb_ok = 0;
  #pragma omp parallel for reduction(+:fb_ok) schedule(static)
  for (int i = 0; i < 40; i++)
    {
      unsigned char *c = omp_alloc (BIG, a);
      if (c)
	{
	  memset (c, 1, BIG);
	  fb_ok++;
	  omp_free (c, a);
	}
    }
  /* Hold 40 blocks at once: 16 from the pool, 24 from the fallback.  */
  int held = 0;
  for (int i = 0; i < 40; i++)
    {
      ptrs[nptrs] = omp_alloc (BIG, a);
      if (ptrs[nptrs])
	{
	  nptrs++;
	  held++;
	}
    }
  retag (BIG);
  void *huge = omp_alloc (4 * POOL, a);
  printf ("default_mem_fb: loop successes=%d held=%d huge=%s\n", fb_ok, held,
	  huge ? "non-null" : "null");
  check ("default_mem_fb_loop_all_succeed", fb_ok, 40);
  check ("default_mem_fb_hold_40", held, 40);
  check ("default_mem_fb_blocks_disjoint", tags_intact (BIG), 1);
  check ("default_mem_fb_larger_than_pool", huge != NULL, 1);
  omp_free (huge, a);
  free_all (a);
  omp_destroy_allocator (a);

  /* 7. allocator_fb chain: pool A falls back to pool B (null_fb).  */
  omp_allocator_handle_t b = make_pool (omp_atv_null_fb, omp_null_allocator);
  a = make_pool (omp_atv_allocator_fb, b);
  int chain = 0;
  #pragma omp parallel reduction(+:chain)
  {
    void *p;
    while ((p = omp_alloc (BIG, a)) != NULL)
      {
	int k;
	#pragma omp atomic capture
	k = nptrs++;
	if (k < MAXP)
	  ptrs[k] = p;
	chain++;
      }
  }
  printf ("allocator_fb chain of two pools: %d blocks\n", chain);
  check ("allocator_fb_chain_total", chain, 2 * seq_big);
  free_all (a);
  omp_destroy_allocator (a);
  omp_destroy_allocator (b);

  printf ("100_alloc_pool %s (%d bad)\n", bad ? "FAILED" : "done", bad);
  return bad ? 1 : 0;
}
