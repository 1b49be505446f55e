// C++ containers and strings inside parallel loops, iostream output after.
#include <iostream>
#include <string>
#include <vector>
#include <numeric>
#include <omp.h>
int main() {
    const int n = 300;
    std::vector<std::vector<int>> rows(n);
    std::vector<std::string> labels(n);
    std::vector<long> sums(n);
    #pragma omp parallel for schedule(dynamic, 4)
    for (int i = 0; i < n; i++) {
        std::vector<int> scratch;
        for (int k = 0; k < i % 37 + 1; k++) scratch.push_back(k * i);
        rows[i] = scratch;
        labels[i] = "item-" + std::to_string(i) + std::string(i % 5, '*');
        sums[i] = std::accumulate(scratch.begin(), scratch.end(), 0L);
    }
    long total = std::accumulate(sums.begin(), sums.end(), 0L);
    size_t chars = 0, elems = 0;
    for (int i = 0; i < n; i++) { chars += labels[i].size(); elems += rows[i].size(); }
    std::cout << "total=" << total << " chars=" << chars << " elems=" << elems << " last=" << labels[n - 1] << std::endl;
    return 0;
}
