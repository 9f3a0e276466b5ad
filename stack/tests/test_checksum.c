/* RFC 1071 checksum helpers: sf_csum_partial, sf_csum_fold, sf_csum_pseudo. */
#include <stdlib.h>
#include <string.h>

#include "stack_internal.h"
#include "test_util.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#include <sanitizer/asan_interface.h>
#include <unistd.h>
#endif
#endif

/* Deterministic test bytes. */
static void fill(uint8_t *buf, size_t len, uint32_t seed) {
  for (size_t i = 0; i < len; i++) {
    seed = seed * 1103515245u + 12345u;
    buf[i] = (uint8_t)(seed >> 16);
  }
}

START_TEST(test_rfc1071_example_sums_to_ddf2) {
  /* RFC 1071 3: the worked example */
  const uint8_t b[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  ck_assert_uint_eq(sf_csum_partial(0, b, sizeof(b)), 0xddf2);
  ck_assert_uint_eq(sf_csum_fold(sf_csum_partial(0, b, sizeof(b))), 0x220d);
}
END_TEST

START_TEST(test_odd_length_pads_the_last_byte_with_zero) {
  const uint8_t b[] = {0x01, 0x02, 0x03};
  ck_assert_uint_eq(sf_csum_partial(0, b, sizeof(b)), 0x0402);
}
END_TEST

START_TEST(test_carries_wrap_around) {
  const uint8_t b[] = {0xff, 0xff, 0x00, 0x02};
  ck_assert_uint_eq(sf_csum_partial(0, b, sizeof(b)), 0x0002);
}
END_TEST

START_TEST(test_partial_sum_stays_within_16_bits) {
  uint8_t b[1024];
  memset(b, 0xff, sizeof(b));
  ck_assert_uint_le(sf_csum_partial(0xffffffffu, b, sizeof(b)), 0xffff);
}
END_TEST

START_TEST(test_matches_the_reference_for_every_length_up_to_200) {
  uint8_t b[200];
  fill(b, sizeof(b), 7);
  for (size_t len = 0; len <= sizeof(b); len++)
    ck_assert_uint_eq(sf_csum_fold(sf_csum_partial(0, b, len)),
                      tu_csum(b, len, 0));
}
END_TEST

START_TEST(test_largest_datagram_sums_without_overflow) {
  static uint8_t b[65535];
  memset(b, 0xff, sizeof(b));
  ck_assert_uint_eq(sf_csum_fold(sf_csum_partial(0, b, sizeof(b))),
                    tu_csum(b, sizeof(b), 0));
}
END_TEST

START_TEST(test_sums_chained_at_even_boundaries_equal_one_sum) {
  uint8_t b[301];
  fill(b, sizeof(b), 3);
  uint32_t chained = 0;
  for (size_t off = 0; off < sizeof(b); off += 10) {
    size_t n = sizeof(b) - off < 10 ? sizeof(b) - off : 10;
    chained = sf_csum_partial(chained, b + off, n);
  }
  ck_assert_uint_eq(sf_csum_fold(chained),
                    sf_csum_fold(sf_csum_partial(0, b, sizeof(b))));
}
END_TEST

START_TEST(test_buffer_with_its_checksum_folds_to_zero) {
  uint8_t h[20];
  fill(h, sizeof(h), 11);
  h[10] = h[11] = 0;
  uint16_t c = sf_csum_fold(sf_csum_partial(0, h, sizeof(h)));
  h[10] = (uint8_t)(c >> 8);
  h[11] = (uint8_t)c;
  ck_assert_uint_eq(sf_csum_fold(sf_csum_partial(0, h, sizeof(h))), 0);
}
END_TEST

START_TEST(test_pseudo_header_sums_like_its_rfc9293_layout) {
  /* source, destination, zero, protocol, TCP length */
  const uint8_t ph[12] = {192, 168, 0, 1, 192, 0, 2, 1, 0, 6, 0x05, 0xdc};
  ck_assert_uint_eq(sf_csum_pseudo(0xc0a80001u, 0xc0000201u, 6, 1500),
                    sf_csum_partial(0, ph, sizeof(ph)));
}
END_TEST

START_TEST(test_pseudo_header_then_segment_gives_the_tcp_checksum) {
  uint8_t seg[41];
  fill(seg, sizeof(seg), 5);
  uint32_t src = 0xc0000201u, dst = 0xc0a80001u;
  uint32_t pseudo = (src >> 16) + (src & 0xffff) + (dst >> 16) +
                    (dst & 0xffff) + 6 + sizeof(seg);
  uint32_t sum = sf_csum_pseudo(src, dst, 6, sizeof(seg));
  ck_assert_uint_eq(sf_csum_fold(sf_csum_partial(sum, seg, sizeof(seg))),
                    tu_csum(seg, sizeof(seg), pseudo));
}
END_TEST

#ifdef UNDER_ASAN
/* Whole words are summed without ASan's per-load checks once the buffer is
 * known to be addressable; a buffer that is not must still be reported. */
static void died(void) {
  _exit(77);
}

START_TEST(test_asan_reports_a_sum_past_the_end_of_a_buffer) {
  __asan_set_death_callback(died);
  uint8_t *b = malloc(64);
  ck_assert_ptr_nonnull(b);
  fill(b, 64, 9);
  volatile uint32_t sum = sf_csum_partial(0, b, 72);
  (void)sum;
  free(b);
}
END_TEST
#endif

Suite *tu_suite(void) {
  Suite *s = suite_create("checksum");
  TCase *tc = tcase_create("rfc1071");
  tcase_add_test(tc, test_rfc1071_example_sums_to_ddf2);
  tcase_add_test(tc, test_odd_length_pads_the_last_byte_with_zero);
  tcase_add_test(tc, test_carries_wrap_around);
  tcase_add_test(tc, test_partial_sum_stays_within_16_bits);
  tcase_add_test(tc, test_matches_the_reference_for_every_length_up_to_200);
  tcase_add_test(tc, test_largest_datagram_sums_without_overflow);
  tcase_add_test(tc, test_sums_chained_at_even_boundaries_equal_one_sum);
  tcase_add_test(tc, test_buffer_with_its_checksum_folds_to_zero);
  tcase_add_test(tc, test_pseudo_header_sums_like_its_rfc9293_layout);
  tcase_add_test(tc, test_pseudo_header_then_segment_gives_the_tcp_checksum);
#ifdef UNDER_ASAN
  tcase_add_exit_test(tc, test_asan_reports_a_sum_past_the_end_of_a_buffer, 77);
#endif
  suite_add_tcase(s, tc);
  return s;
}
