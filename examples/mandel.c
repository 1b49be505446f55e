// The bundled example: an unchanged OpenMP program that libcape spreads over MPI ranks. It counts
// the escape iterations of the Mandelbrot set on a grid, one row per loop iteration with a dynamic
// schedule (rows near the set cost far more than others), and estimates the set's area.
// Compute-bound with little memory written, it is the kind of program that gains from more
// machines: each rank computes its rows and the ranks exchange only the rows they filled.
// Build: gcc -O2 -fopenmp mandel.c -o mandel
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    int width = argc > 1 ? atoi(argv[1]) : 1600, height = argc > 2 ? atoi(argv[2]) : 1000;
    int limit = argc > 3 ? atoi(argv[3]) : 1500;
    if (width < 1 || height < 1 || limit < 1) {
        fprintf(stderr, "usage: mandel [width height iterations]\n");
        return 2;
    }
    int *count = malloc(sizeof *count * (size_t)width * height);
    double t0 = omp_get_wtime();
    #pragma omp parallel for schedule(dynamic, 4)
    for (int y = 0; y < height; y++) {
        double ci = -1.25 + 2.5 * y / height;
        for (int x = 0; x < width; x++) {
            double cr = -2.0 + 2.75 * x / width, zr = 0, zi = 0;
            int k = 0;
            while (k < limit && zr * zr + zi * zi <= 4.0) {
                double t = zr * zr - zi * zi + cr;
                zi = 2 * zr * zi + ci;
                zr = t;
                k++;
            }
            count[(size_t)y * width + x] = k;
        }
    }
    double seconds = omp_get_wtime() - t0;
    long inside = 0, total = 0;
    for (size_t i = 0; i < (size_t)width * height; i++) {
        inside += count[i] == limit;
        total += count[i];
    }
    printf("mandel: %dx%d, %d iterations, team of %d: area %.5f, %ld iterations in all\n", width, height, limit,
           omp_get_max_threads(), 2.75 * 2.5 * inside / ((double)width * height), total);
    fprintf(stderr, "mandel: %.3f s\n", seconds);
    free(count);
    return 0;
}
