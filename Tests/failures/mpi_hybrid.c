// A hybrid MPI+OpenMP program (built with mpicc -fopenmp): libcape must refuse it at start, by name,
// instead of letting each rank run alone in an MPI world of one.
#include <mpi.h>
#include <stdio.h>
int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int r; MPI_Comm_rank(MPI_COMM_WORLD, &r);
    double s = 0;
    #pragma omp parallel for reduction(+:s)
    for (int i = 0; i < 100; i++) s += i;
    if (r == 0) printf("%g\n", s);
    MPI_Finalize();
    return 0;
}
