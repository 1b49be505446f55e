// Theme: C++ containers inside regions, a word count. A parallel loop builds text lines with
// std::string (+=, std::to_string, an std::ostringstream) and uses std::vector scratch buffers per
// iteration (sorted to take a median); a region sizes a vector of per-thread std::unordered_map in
// a `single` (omp_get_num_threads()) and each thread counts the words of its lines into its own
// map; sequential code merges the maps into an std::map and destroys them. A second region merges
// thread-local std::map counts into a shared std::map inside `critical`. Both are checked against a
// sequential count; all output goes through std::cout after the regions.
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

static uint64_t mix(uint64_t v) {
    v += 0x9E3779B97F4A7C15ULL;
    v = (v ^ (v >> 30)) * 0xBF58476D1CE4E5B9ULL;
    v = (v ^ (v >> 27)) * 0x94D049BB133111EBULL;
    return v ^ (v >> 31);
}

static const char *const syllables[] = {"ka", "lo", "mi", "ne", "ru", "so", "ta"};

static std::string make_word(uint64_t h) {
    int count = 1 + (int)(h % 6) / 3 + (h % 11 == 0);   // 1, 2 or 3 syllables, short words more often
    std::string w;
    for (int s = 0; s < count; s++) {
        w += syllables[(h >> (8 + 4 * s)) % 7];
        if ((h >> (20 + s)) % 5 == 0) w += syllables[(h >> 40) % 3];   // some words repeat a syllable
    }
    return w;
}

typedef std::unordered_map<std::string, long> Counts;

static void count_words(const std::string &line, Counts &m) {
    size_t pos = 0;
    while (pos < line.size()) {
        size_t end = line.find(' ', pos);
        if (end == std::string::npos) end = line.size();
        if (end > pos) m[line.substr(pos, end - pos)]++;
        pos = end + 1;
    }
}

int main() {
    const int n = 3000;
    std::cout << "76 C++ word count with per-thread maps" << std::endl;
    int bad = 0;

    std::vector<std::string> lines(n);
    std::vector<std::string> tags(n);
    std::vector<int> medians(n);
    #pragma omp parallel for schedule(dynamic, 7)
    for (int i = 0; i < n; i++) {
        int words = 4 + i % 9;
        std::vector<int> lengths;              // scratch, grows per word
        std::string line;
        for (int k = 0; k < words; k++) {
            std::string w = make_word(mix((uint64_t)i * 32 + k));
            lengths.push_back((int)w.size());
            if (k) line += ' ';
            line += w;
        }
        if (i % 10 == 0) line += " line" + std::to_string(i / 10 % 4);
        std::vector<int> sorted(lengths);      // second scratch buffer
        std::sort(sorted.begin(), sorted.end());
        medians[i] = sorted[sorted.size() / 2];
        lines[i] = line;
        std::ostringstream tag;
        tag << "#" << std::setw(4) << std::setfill('0') << i << ":" << std::fixed << std::setprecision(2)
            << (double)line.size() / words;
        tags[i] = tag.str();
    }

    // Per-thread unordered maps, merged after the region.
    std::vector<Counts> maps;
    #pragma omp parallel
    {
        #pragma omp single
        maps.resize(omp_get_num_threads());
        Counts &mine = maps[omp_get_thread_num()];
        #pragma omp for schedule(static, 50)
        for (int i = 0; i < n; i++) count_words(lines[i], mine);
    }
    std::map<std::string, long> merged;
    for (const Counts &m : maps)
        for (const auto &kv : m) merged[kv.first] += kv.second;
    maps.clear();
    maps.shrink_to_fit();

    // Thread-local ordered maps merged into a shared one under critical.
    std::map<std::string, long> shared;
    #pragma omp parallel
    {
        std::map<std::string, long> local;
        #pragma omp for schedule(dynamic, 25)
        for (int i = 0; i < n; i++) {
            Counts c;
            count_words(lines[i], c);
            for (const auto &kv : c) local[kv.first] += kv.second;
        }
        #pragma omp critical
        for (const auto &kv : local) shared[kv.first] += kv.second;
    }

    // Sequential reference.
    Counts ref;
    for (int i = 0; i < n; i++) count_words(lines[i], ref);
    std::map<std::string, long> refsorted(ref.begin(), ref.end());
    bool same1 = merged == refsorted, same2 = shared == refsorted;

    long total = 0, medsum = 0;
    size_t chars = 0, tagchars = 0;
    for (const auto &kv : merged) total += kv.second;
    for (int i = 0; i < n; i++) {
        medsum += medians[i];
        chars += lines[i].size();
        tagchars += tags[i].size();
    }
    std::vector<std::pair<std::string, long>> top(merged.begin(), merged.end());
    std::sort(top.begin(), top.end(), [](const std::pair<std::string, long> &a, const std::pair<std::string, long> &b) {
        return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    std::cout << "lines=" << n << " chars=" << chars << " words=" << total << " distinct=" << merged.size()
              << " median sum=" << medsum << " tag chars=" << tagchars << std::endl;
    std::cout << "first line: " << lines[0] << std::endl;
    std::cout << "tags: " << tags[0] << " " << tags[1234] << " " << tags[n - 1] << std::endl;
    std::cout << "most frequent:";
    for (size_t k = 0; k < 8 && k < top.size(); k++) std::cout << " " << top[k].first << "=" << top[k].second;
    std::cout << std::endl;
    unsigned long fp = 0;
    long rank = 0;
    for (const auto &kv : merged) fp = fp * 31 + (unsigned long)(kv.second * (++rank)) + kv.first.size();
    std::cout << "merged fingerprint=" << fp << std::endl;
    std::cout << "per-thread maps equal the sequential count: " << (same1 ? "yes" : "NO")
              << ", critical merge equals it: " << (same2 ? "yes" : "NO") << std::endl;
    if (!same1 || !same2) bad++;

    if (bad) {
        std::cout << "FAIL 76" << std::endl;
        return 1;
    }
    std::cout << "76 ok" << std::endl;
    return 0;
}
