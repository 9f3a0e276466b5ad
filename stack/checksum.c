/* RFC 1071 Internet checksum.
 *
 * sf_csum_partial() returns a sum already folded to 16 bits, so partial sums
 * can be chained over any number of buffers without overflow. Chaining keeps
 * the 16-bit word alignment of one contiguous buffer only if every buffer but
 * the last has an even length: callers must split at even boundaries (the
 * pseudo header is 12 bytes, IP and TCP headers are multiples of 4).
 */
#include "stack_internal.h"

/* RFC 1071 2(B): carries wrap around (end-around carry), so a sum may be
 * folded at any time without changing the result. */
static uint32_t fold_carries(uint64_t sum) {
  while (sum >> 16)
    sum = (sum & 0xffffu) + (sum >> 16);
  return (uint32_t)sum;
}

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SF_CSUM_ASAN 1
#include <sanitizer/asan_interface.h>
#endif
#endif

/* RFC 1071 2(B): the sum does not depend on byte order, so whole 64-bit
 * words are summed in the machine's order and the folded result swapped to
 * network order: a few adds per 8 bytes instead of per 2. */
#ifdef SF_CSUM_ASAN
/* Under ASan the caller checks the whole buffer once (see below) instead of
 * the sanitizer checking every word load here. */
__attribute__((no_sanitize("address", "undefined")))
#endif
static uint32_t
sum_words(const uint8_t *p, size_t words) {
  uint64_t wide = 0;
  for (size_t i = 0; i < words; i++, p += 8) {
    uint64_t w;
    memcpy(&w, p, sizeof(w));
    wide += (w & 0xffffffffu) + (w >> 32);
  }
  uint64_t acc = fold_carries(wide);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  acc = (acc >> 8 | acc << 8) & 0xffffu;
#endif
  return (uint32_t)acc;
}

/* RFC 1071 4.1: sum of big-endian 16-bit words; an odd final byte is padded
 * on the right with a zero byte. */
uint32_t sf_csum_partial(uint32_t sum, const void *buf, size_t len) {
  const uint8_t *p = buf;
  uint64_t acc = sum;
#ifdef SF_CSUM_ASAN
  /* a buffer that is not wholly addressable goes through the checked
   * 16-bit loop alone, which ASan reports at the first bad byte */
  if (__asan_region_is_poisoned((void *)(uintptr_t)buf, len) == NULL)
#endif
  {
    acc += sum_words(p, len / 8);
    p += len / 8 * 8;
    len %= 8;
  }
  for (; len >= 2; p += 2, len -= 2)
    acc += (uint32_t)p[0] << 8 | p[1];
  if (len)
    acc += (uint32_t)p[0] << 8;
  return fold_carries(acc);
}

/* RFC 1071 4.1: the checksum is the one's complement of the folded sum. */
uint16_t sf_csum_fold(uint32_t sum) {
  return (uint16_t)~fold_carries(sum);
}

/* RFC 9293 3.1 / RFC 768: source, destination, zero, protocol, length. The
 * length is summed as two words so that it may exceed 16 bits. */
uint32_t sf_csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto,
                        uint32_t len) {
  uint64_t sum = (uint64_t)(src >> 16) + (src & 0xffffu) + (dst >> 16) +
                 (dst & 0xffffu) + proto + (len >> 16) + (len & 0xffffu);
  return fold_carries(sum);
}
