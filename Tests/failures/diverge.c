// Exactly one rank creates the file named by argv[1] and runs an extra region: the ranks diverge.
#include <fcntl.h>
#include <omp.h>
#include <stdio.h>
#include <unistd.h>
int a[1000];
int main(int argc, char **argv) {
    int fd = open(argv[1], O_CREAT | O_EXCL | O_WRONLY, 0600);
    if (fd >= 0) {
        close(fd);
        #pragma omp parallel for
        for (int i = 0; i < 1000; i++) a[i] = i;
    }
    #pragma omp parallel for
    for (int i = 0; i < 1000; i++) a[i] += 1;
    printf("%d\n", a[999]);
    return 0;
}
