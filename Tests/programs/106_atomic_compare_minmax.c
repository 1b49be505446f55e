// `#pragma omp atomic compare` as a min or a max (OpenMP 5.1, gcc 12: a compare-exchange loop of
// cmp and cmov, or of maxsd/minss for floating point, which libcape performs locally and merges):
// signed and unsigned variables of 1, 2, 4 and 8 bytes, a double and a float, with non-zero
// starting values, updated by every thread many
// times between two barriers, in both spellings (if and ?:); values that never beat the start;
// negative values for the signed ones; and a `reduction(max:)` / `reduction(min:)` next to them.
#include <omp.h>
#include <stdio.h>

#define N 60000

signed char c_max = -100, c_min = 100;
short s_max = -3000, s_min = 3000;
int i_max = -5, i_min = 5, i_keep = 1 << 30;
long l_max = -1, l_min = 1, l_max2 = -7;
unsigned u_max = 7, u_min = 0xFFFFFFF0u;
unsigned long ul_min = ~0ul;
double d_max = -1e300, d_max_long = -5.0;
float f_min = 1e30f;
long rounds[4];

int main(void) {
    long r_max = -1000000, r_min = 1000000;
    for (int round = 0; round < 4; round++) {
        #pragma omp parallel
        {
            int t = omp_get_thread_num();
            #pragma omp for schedule(dynamic, 997)
            for (int i = 0; i < N; i++) {
                int v = (int)((i * 2654435761u + round * 40503u) % 200001u) - 100000;
                signed char cv = (signed char)(v % 128);
                short sv = (short)(v % 30000);
                #pragma omp atomic compare
                if (c_max < cv) { c_max = cv; }
                #pragma omp atomic compare
                c_min = c_min > cv ? cv : c_min;
                #pragma omp atomic compare
                if (s_max < sv) { s_max = sv; }
                #pragma omp atomic compare
                if (s_min > sv) { s_min = sv; }
                #pragma omp atomic compare
                if (i_max < v) { i_max = v; }
                #pragma omp atomic compare
                i_min = v < i_min ? v : i_min;
                #pragma omp atomic compare
                if (i_keep < v) { i_keep = v; }   // never beats 2^30
                long lv = (long)v * 1000003L - round;
                #pragma omp atomic compare
                if (l_max < lv) { l_max = lv; }
                #pragma omp atomic compare
                if (l_min > lv) { l_min = lv; }
                #pragma omp atomic compare
                if (lv > l_max2) { l_max2 = lv; }
                unsigned uv = (unsigned)(i * 40503u + (unsigned)round);
                #pragma omp atomic compare
                if (u_max < uv) { u_max = uv; }
                #pragma omp atomic compare
                if (u_min > uv) { u_min = uv; }
                unsigned long ulv = (unsigned long)uv * 3u + 11u;
                #pragma omp atomic compare
                ul_min = ulv < ul_min ? ulv : ul_min;
                // a compare-exchange loop at the end of a long body of them: whether its values
                // are dead is a longer search than in a loop of its own
                double dl = v * 0.125;
                #pragma omp atomic compare
                if (d_max_long < dl) { d_max_long = dl; }
            }
            #pragma omp for schedule(guided)
            for (int i = 0; i < N; i++) {
                int v = (int)((i * 2654435761u + round * 40503u) % 200001u) - 100000;
                double dv = v * 0.25 + round;          /* exact in double */
                #pragma omp atomic compare
                if (d_max < dv) { d_max = dv; }
                float fv = (float)(v % 4096) * 0.5f;   /* exact in float */
                #pragma omp atomic compare
                f_min = f_min > fv ? fv : f_min;
            }
            // after the barrier every thread sees the merged values
            if (t == 0) rounds[round] = i_max - i_min;
            #pragma omp for reduction(max:r_max) reduction(min:r_min)
            for (int i = 0; i < N; i++) {
                long w = (long)((i * 7919L + round) % 100003) - 50000;
                if (w > r_max) r_max = w;
                if (w < r_min) r_min = w;
            }
        }
        printf("round %d: c %d %d  s %d %d  i %d %d keep %d  l %ld %ld %ld  u %u %u  ul %lu  d %.2f %.3f f %.1f  r %ld %ld  spread %ld\n", round,
               c_max, c_min, s_max, s_min, i_max, i_min, i_keep, l_max, l_min, l_max2, u_max, u_min, ul_min, d_max, d_max_long, f_min, r_max, r_min, rounds[round]);
        // start the next round from new values, some below and some above what the updates reach
        c_max = (signed char)(-50 + round); c_min = (signed char)(50 - round);
        i_max = -100000 - round; i_min = 99990 + round;
        u_max = 1u << 31; l_max = -1L << 40; l_max2 = 1L << 50; d_max = 1e9; f_min = 0.0f;
    }
    return 0;
}
