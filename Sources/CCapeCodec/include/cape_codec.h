/* The inner loops of diff encoding and applying (CapeCore's Diff), in C for the vector
 * instructions: comparing words and taking their byte masks is most of what encoding costs where
 * numeric data changes, blending the changed bytes most of what applying costs, and Swift's SIMD
 * types have no byte-mask extraction. Run structure stays in Swift. */
#ifndef CAPE_CODEC_H
#define CAPE_CODEC_H
#include <stddef.h>
#include <stdint.h>

/* Mask of the bytes that are nonzero in x (= new ^ old): bit j for byte j. Branch-free: the high
   bit of each byte of t says whether the byte is nonzero (no carry crosses a byte), and the
   multiplication gathers the eight high bits into the top byte (their products land on distinct
   bits, so nothing carries). A loop over the bytes cost most of encoding numeric data whose sign
   and exponent bytes stay the same (ADI at n = 12: 3.8 us a page). */
static inline uint8_t cape_codec_byte_mask(uint64_t x) {
    uint64_t t = (x | ((x & 0x7F7F7F7F7F7F7F7Full) + 0x7F7F7F7F7F7F7F7Full)) & 0x8080808080808080ull;
    return (uint8_t)(((t >> 7) * 0x0102040810204080ull) >> 56);
}

/* The index of the first word in [i, n) where a and b differ, or n. */
size_t cape_codec_skip_equal(const uint64_t *a, const uint64_t *b, size_t i, size_t n);

/* From word i, while cur and old differ, at most `room` words and up to n: copies cur's word to
   out[k], its byte mask (bit j: byte j changed) to mask[k], and with `refresh` sets old's word to
   cur's. Returns k, the number of words taken. */
size_t cape_codec_take_changed(const uint64_t *cur, uint64_t *old, size_t i, size_t n, size_t room,
                               uint64_t *out, uint8_t *mask, int refresh);

/* Writes the bytes of src[0..words) that mask names (a byte per word, bit j: byte j) into dst.
   Words are read and written whole: nothing may write dst meanwhile. */
void cape_codec_blend(uint64_t *dst, const uint64_t *src, const uint8_t *mask, size_t words);
/* The same, and every word written to dst is written to copy as well, which must hold what dst
   held (a shadow copy of memory): one pass over the diff instead of a blend and a copy after. */
void cape_codec_blend_twice(uint64_t *dst, uint64_t *copy, const uint64_t *src, const uint8_t *mask, size_t words);

#endif
