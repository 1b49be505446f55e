/* Vector versions where the CPU has AVX2 (chosen once, at the first call), scalar ones elsewhere.
 * Both give the same results; the scalar ones are also what the vector loops fall back to at the
 * end of a stretch. Memory is read and written unaligned: runs start at any word. */
#include "cape_codec.h"
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

static size_t skip_scalar(const uint64_t *a, const uint64_t *b, size_t i, size_t n) {
    while (i + 4 <= n && ((a[i] ^ b[i]) | (a[i + 1] ^ b[i + 1]) | (a[i + 2] ^ b[i + 2]) | (a[i + 3] ^ b[i + 3])) == 0) i += 4;
    while (i < n && a[i] == b[i]) i++;
    return i;
}

static size_t take_scalar(const uint64_t *cur, uint64_t *old, size_t i, size_t n, size_t room,
                          uint64_t *out, uint8_t *mask, int refresh) {
    size_t k = 0;
    while (i < n && k < room) {
        uint64_t c, o;
        memcpy(&c, cur + i, 8);
        memcpy(&o, old + i, 8);
        if (c == o) break;
        memcpy(out + k, &c, 8);
        mask[k] = cape_codec_byte_mask(c ^ o);
        if (refresh) memcpy(old + i, &c, 8);
        i++;
        k++;
    }
    return k;
}

#if defined(__x86_64__)
__attribute__((target("avx2"))) static size_t skip_avx2(const uint64_t *a, const uint64_t *b, size_t i, size_t n) {
    while (i + 8 <= n) {
        __m256i x0 = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(a + i)), _mm256_loadu_si256((const __m256i *)(b + i)));
        __m256i x1 = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(a + i + 4)), _mm256_loadu_si256((const __m256i *)(b + i + 4)));
        __m256i x = _mm256_or_si256(x0, x1);
        if (!_mm256_testz_si256(x, x)) break;
        i += 8;
    }
    while (i < n && a[i] == b[i]) i++;
    return i;
}

__attribute__((target("avx2"))) static size_t take_avx2(const uint64_t *cur, uint64_t *old, size_t i, size_t n, size_t room,
                                                       uint64_t *out, uint8_t *mask, int refresh) {
    size_t k = 0;
    while (i + 4 <= n && k + 4 <= room) {
        __m256i c = _mm256_loadu_si256((const __m256i *)(cur + i));
        __m256i o = _mm256_loadu_si256((const __m256i *)(old + i));
        /* Bit 8w + j: byte j of word w changed; the four groups of eight are the words' masks. */
        uint32_t changed = ~(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(c, o));
        if (!(changed & 0xFFu) || !(changed & 0xFF00u) || !(changed & 0xFF0000u) || !(changed & 0xFF000000u)) break;
        _mm256_storeu_si256((__m256i *)(out + k), c);
        memcpy(mask + k, &changed, 4);
        if (refresh) _mm256_storeu_si256((__m256i *)(old + i), c);
        i += 4;
        k += 4;
    }
    return k + take_scalar(cur, old, i, n, room - k, out + k, mask + k, refresh);
}
#endif

/* The word of byte mask m: byte j is 0xFF where bit j is set. */
static inline uint64_t word_mask(uint8_t m) {
    uint64_t v = m;
    v = (v | (v << 28)) & 0x0000000F0000000Full;
    v = (v | (v << 14)) & 0x0003000300030003ull;
    v = (v | (v << 7)) & 0x0101010101010101ull;
    return v * 0xFF;
}

/* The masked bytes of src into dst, and into copy as well when it is not NULL (memory and its
   shadow in one pass, cape_codec_blend_twice). Inlined with a constant copy: no test is left. */
static inline __attribute__((always_inline)) void blend_words(uint64_t *dst, uint64_t *copy, const uint64_t *src,
                                                              const uint8_t *mask, size_t words) {
    for (size_t i = 0; i < words; i++) {
        uint8_t m = mask[i];
        if (m == 0) continue;
        uint64_t v, d;
        memcpy(&v, src + i, 8);
        if (m != 0xFF) {
            uint64_t keep = ~word_mask(m);
            memcpy(&d, dst + i, 8);
            v = (d & keep) | (v & ~keep);
        }
        memcpy(dst + i, &v, 8);
        if (copy) memcpy(copy + i, &v, 8);
    }
}

static void blend_scalar(uint64_t *dst, const uint64_t *src, const uint8_t *mask, size_t words) {
    blend_words(dst, NULL, src, mask, words);
}

static void blend_twice_scalar(uint64_t *dst, uint64_t *copy, const uint64_t *src, const uint8_t *mask, size_t words) {
    blend_words(dst, copy, src, mask, words);
}

#if defined(__x86_64__)
__attribute__((target("avx2"))) static inline __attribute__((always_inline)) void
blend_words_avx2(uint64_t *dst, uint64_t *copy, const uint64_t *src, const uint8_t *mask, size_t words) {
    /* Four mask bytes become 32 byte masks: each 128-bit lane of the broadcast holds all four, the
       shuffle spreads mask byte w over bytes 8w..8w+7, and each byte keeps its own bit. */
    const __m256i spread = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
                                            2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
    const __m256i bits = _mm256_set1_epi64x(0x8040201008040201ll);
    size_t i = 0;
    for (; i + 4 <= words; i += 4) {
        uint32_t m4;
        memcpy(&m4, mask + i, 4);
        if (m4 == 0) continue;
        __m256i v = _mm256_loadu_si256((const __m256i *)(src + i));
        if (m4 != 0xFFFFFFFFu) {
            __m256i m = _mm256_cmpeq_epi8(_mm256_and_si256(_mm256_shuffle_epi8(_mm256_set1_epi32((int)m4), spread), bits), bits);
            v = _mm256_blendv_epi8(_mm256_loadu_si256((const __m256i *)(dst + i)), v, m);
        }
        _mm256_storeu_si256((__m256i *)(dst + i), v);
        if (copy) _mm256_storeu_si256((__m256i *)(copy + i), v);
    }
    blend_words(dst + i, copy ? copy + i : NULL, src + i, mask + i, words - i);
}

__attribute__((target("avx2"))) static void blend_avx2(uint64_t *dst, const uint64_t *src, const uint8_t *mask, size_t words) {
    blend_words_avx2(dst, NULL, src, mask, words);
}

__attribute__((target("avx2"))) static void blend_twice_avx2(uint64_t *dst, uint64_t *copy, const uint64_t *src, const uint8_t *mask, size_t words) {
    blend_words_avx2(dst, copy, src, mask, words);
}
#endif

static int have_avx2 = -1;

static inline int use_avx2(void) {
#if defined(__x86_64__)
    if (have_avx2 < 0) {
        __builtin_cpu_init();
        have_avx2 = __builtin_cpu_supports("avx2") ? 1 : 0;
    }
    return have_avx2;
#else
    return 0;
#endif
}

size_t cape_codec_skip_equal(const uint64_t *a, const uint64_t *b, size_t i, size_t n) {
#if defined(__x86_64__)
    if (use_avx2()) return skip_avx2(a, b, i, n);
#endif
    return skip_scalar(a, b, i, n);
}

size_t cape_codec_take_changed(const uint64_t *cur, uint64_t *old, size_t i, size_t n, size_t room,
                               uint64_t *out, uint8_t *mask, int refresh) {
#if defined(__x86_64__)
    if (use_avx2()) return take_avx2(cur, old, i, n, room, out, mask, refresh);
#endif
    return take_scalar(cur, old, i, n, room, out, mask, refresh);
}

void cape_codec_blend(uint64_t *dst, const uint64_t *src, const uint8_t *mask, size_t words) {
#if defined(__x86_64__)
    if (use_avx2()) { blend_avx2(dst, src, mask, words); return; }
#endif
    blend_scalar(dst, src, mask, words);
}

void cape_codec_blend_twice(uint64_t *dst, uint64_t *copy, const uint64_t *src, const uint8_t *mask, size_t words) {
#if defined(__x86_64__)
    if (use_avx2()) { blend_twice_avx2(dst, copy, src, mask, words); return; }
#endif
    blend_twice_scalar(dst, copy, src, mask, words);
}
