// Appends one line to the file named by its argument, in sequential code: the file must end up with
// that line once, whatever the number of ranks. Each thread names its process first (one thread
// per rank under CAPE_THREADS_PER_RANK=1), so a test can tell which pids the ranks had.
#include <omp.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2) { printf("usage: append_once FILE\n"); return 2; }
    #pragma omp parallel
    printf("thread %d pid %d\n", omp_get_thread_num(), (int)getpid());
    FILE *f = fopen(argv[1], "a");
    if (!f) { printf("cannot open %s\n", argv[1]); return 1; }
    fprintf(f, "appended once\n");
    fclose(f);
    printf("appended\n");
    return 0;
}
