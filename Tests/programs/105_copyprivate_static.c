/* copyprivate of variables that are not on the executing thread's stack: function-local statics
   declared in the region (shared, so copyprivate copies them onto themselves), mixed with a
   private one on the stack and privatized globals; repeated so that the executing thread changes. */
#include <omp.h>
#include <stdio.h>

struct pair { int a; double b; };
int g;
struct pair gp;

static int round_trip(int r) {
  int bad = 0;
  #pragma omp parallel reduction(+:bad)
  {
    static int s;
    static struct pair sp;
    int mine;
    #pragma omp single copyprivate(s, mine)
    { s = 100 + r; mine = 7 * r; }
    if (s != 100 + r || mine != 7 * r) bad++;
    #pragma omp single copyprivate(sp)
    { sp.a = r; sp.b = r / 2.0; }
    if (sp.a != r || sp.b != r / 2.0) bad++;
    #pragma omp master
    { g = r * r; gp = sp; }
    #pragma omp barrier
  }
  return bad;
}

int main(void) {
  int bad = 0;
  for (int r = 0; r < 12; r++) bad += round_trip(r);
  printf("copyprivate of static and global variables: %s\n", bad ? "BAD" : "ok");
  printf("g=%d gp={%d, %.1f}\n", g, gp.a, gp.b);
  return bad != 0;
}
