/* IPv4 input validation, address checks, options, dispatch and output
 * (RFC 791, RFC 1122 3.2.1). An ICMP echo request is the probe: a datagram
 * that passes IPv4 input gets an echo reply, one that is dropped gets none. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stack_internal.h"
#include "synfin/bytes.h"
#include "test_util.h"

#define OTHER_HOST 0xc0a80002u /* 192.168.0.2: not the stack */
#define PROTO_UNKNOWN 253      /* RFC 3692 experimental */

static struct tu t;

static void setup(void) {
  tu_setup(&t, SF_PROFILE_LINUX);
}

static void teardown(void) {
  tu_teardown(&t);
}

/* An ICMP echo request with `len` bytes of data. */
static size_t echo_msg(uint8_t *msg, size_t len) {
  msg[0] = 8;
  msg[1] = 0;
  sf_put16(msg + 2, 0);
  sf_put16(msg + 4, 0x1234);
  sf_put16(msg + 6, 1);
  for (size_t i = 0; i < len; i++)
    msg[8 + i] = (uint8_t)(i * 7 + 1);
  sf_put16(msg + 2, tu_csum(msg, 8 + len, 0));
  return 8 + len;
}

/* An echo request datagram src -> dst with 32 bytes of data. */
static size_t echo_dgram(uint8_t *buf, uint32_t src, uint32_t dst) {
  uint8_t msg[40];
  size_t n = echo_msg(msg, 32);
  return tu_build_ip(buf, src, dst, 1, 7, 0, msg, n);
}

/* An echo request with IP options (padded to 4 bytes with EOL). */
static size_t echo_with_options(uint8_t *buf, const uint8_t *opt,
                                size_t optlen) {
  uint8_t msg[40];
  size_t n = echo_msg(msg, 32);
  size_t olen = (optlen + 3) & ~(size_t)3;
  tu_build_ip(buf, TU_REMOTE, TU_LOCAL, 1, 7, 0, NULL, 0);
  memset(buf + 20, 0, olen);
  memcpy(buf + 20, opt, optlen);
  memcpy(buf + 20 + olen, msg, n);
  buf[0] = (uint8_t)(0x40 | (20 + olen) / 4);
  sf_put16(buf + 2, (uint32_t)(20 + olen + n));
  tu_fix_ip_csum(buf);
  return 20 + olen + n;
}

static const sf_stats *stats(void) {
  return sf_stack_stats(t.st);
}

static void expect_echo_reply(void) {
  struct tu_out o;
  tu_pop(&t, &o);
  ck_assert_uint_eq(o.proto, 1);
  ck_assert_uint_eq(o.icmp_type, 0);
  ck_assert_uint_eq(o.len, 32);
  tu_expect_silence(&t);
}

/* An echo request from src is dropped as a martian. */
static void expect_martian(uint32_t src) {
  uint8_t buf[64];
  tu_inject_exact(&t, buf, echo_dgram(buf, src, TU_LOCAL));
  ck_assert_uint_eq(stats()->ip_drop_martian, 1);
  tu_expect_silence(&t);
}

/* An echo request to dst is dropped as not addressed to us. */
static void expect_not_local(uint32_t dst) {
  uint8_t buf[64];
  tu_inject_exact(&t, buf, echo_dgram(buf, TU_REMOTE, dst));
  ck_assert_uint_eq(stats()->ip_drop_not_local, 1);
  tu_expect_silence(&t);
}

START_TEST(test_valid_datagram_is_delivered) {
  uint8_t buf[64];
  tu_inject_exact(&t, buf, echo_dgram(buf, TU_REMOTE, TU_LOCAL));
  expect_echo_reply();
}
END_TEST

START_TEST(test_every_received_datagram_counts_in_ip_in) {
  uint8_t buf[64];
  size_t n = echo_dgram(buf, TU_REMOTE, TU_LOCAL);
  tu_inject_exact(&t, buf, n);
  tu_inject_exact(&t, buf, 10);
  ck_assert_uint_eq(stats()->ip_in, 2);
}
END_TEST

START_TEST(test_datagram_shorter_than_a_header_is_dropped) {
  uint8_t buf[64];
  echo_dgram(buf, TU_REMOTE, TU_LOCAL);
  tu_inject_exact(&t, buf, 19);
  ck_assert_uint_eq(stats()->ip_drop_short, 1);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_empty_datagram_is_dropped) {
  ck_assert_int_eq(sf_stack_input(t.st, 0, NULL, 0), 0);
  ck_assert_uint_eq(stats()->ip_drop_short, 1);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_datagram_with_version_6_is_dropped) {
  uint8_t buf[64];
  size_t n = echo_dgram(buf, TU_REMOTE, TU_LOCAL);
  buf[0] = 0x65;
  tu_fix_ip_csum(buf);
  tu_inject_exact(&t, buf, n);
  ck_assert_uint_eq(stats()->ip_drop_version, 1);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_datagram_with_header_length_below_20_is_dropped) {
  uint8_t buf[64];
  size_t n = echo_dgram(buf, TU_REMOTE, TU_LOCAL);
  buf[0] = 0x44;
  tu_fix_ip_csum(buf);
  tu_inject_exact(&t, buf, n);
  ck_assert_uint_eq(stats()->ip_drop_hlen, 1);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_datagram_with_total_length_below_header_length_is_dropped) {
  uint8_t buf[64];
  size_t n = echo_dgram(buf, TU_REMOTE, TU_LOCAL);
  sf_put16(buf + 2, 19);
  tu_fix_ip_csum(buf);
  tu_inject_exact(&t, buf, n);
  ck_assert_uint_eq(stats()->ip_drop_len, 1);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_datagram_with_total_length_beyond_received_bytes_is_dropped) {
  uint8_t buf[64];
  size_t n = echo_dgram(buf, TU_REMOTE, TU_LOCAL);
  tu_inject_exact(&t, buf, n - 1);
  ck_assert_uint_eq(stats()->ip_drop_len, 1);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_header_length_beyond_received_bytes_is_dropped) {
  uint8_t buf[64];
  echo_dgram(buf, TU_REMOTE, TU_LOCAL);
  buf[0] = 0x4f; /* a 60-byte header in a 40-byte datagram */
  sf_put16(buf + 2, 40);
  tu_inject_exact(&t, buf, 40);
  ck_assert_uint_eq(stats()->ip_drop_len, 1);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_bytes_past_total_length_are_ignored_as_padding) {
  uint8_t buf[80];
  size_t n = echo_dgram(buf, TU_REMOTE, TU_LOCAL);
  memset(buf + n, 0xee, 6);
  tu_inject_exact(&t, buf, n + 6);
  ck_assert_uint_eq(stats()->ip_drop_len, 0);
  expect_echo_reply(); /* 32 bytes of data, not 38 */
}
END_TEST

START_TEST(test_datagram_with_bad_header_checksum_is_dropped) {
  uint8_t buf[64];
  size_t n = echo_dgram(buf, TU_REMOTE, TU_LOCAL);
  buf[10] ^= 0x01;
  tu_inject_exact(&t, buf, n);
  ck_assert_uint_eq(stats()->ip_drop_csum, 1);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_datagram_for_another_address_is_dropped) {
  expect_not_local(OTHER_HOST);
}
END_TEST

START_TEST(test_datagram_to_limited_broadcast_is_dropped) {
  expect_not_local(0xffffffffu);
}
END_TEST

START_TEST(test_datagram_to_multicast_is_dropped) {
  expect_not_local(0xe0000001u); /* 224.0.0.1, all hosts */
}
END_TEST

START_TEST(test_datagram_to_loopback_is_dropped) {
  expect_not_local(0x7f000001u);
}
END_TEST

START_TEST(test_source_in_this_network_0_8_is_martian) {
  expect_martian(0x00010203u);
}
END_TEST

START_TEST(test_unspecified_source_is_martian) {
  expect_martian(0);
}
END_TEST

START_TEST(test_loopback_source_from_outside_is_martian) {
  expect_martian(0x7f000001u);
}
END_TEST

START_TEST(test_multicast_source_is_martian) {
  expect_martian(0xe0000005u);
}
END_TEST

START_TEST(test_class_e_source_is_martian) {
  expect_martian(0xf0000001u);
}
END_TEST

START_TEST(test_limited_broadcast_source_is_martian) {
  expect_martian(0xffffffffu);
}
END_TEST

START_TEST(test_our_own_address_as_source_is_martian) {
  expect_martian(TU_LOCAL);
}
END_TEST

START_TEST(test_unknown_option_is_ignored_and_the_datagram_delivered) {
  const uint8_t opt[] = {0x88, 4, 0x12, 0x34}; /* stream identifier */
  uint8_t buf[100];
  tu_inject_exact(&t, buf, echo_with_options(buf, opt, sizeof(opt)));
  ck_assert_uint_eq(stats()->ip_options_ignored, 1);
  expect_echo_reply();
}
END_TEST

START_TEST(test_each_ignored_option_is_counted) {
  const uint8_t opt[] = {0x88, 4, 0x12, 0x34, 0x94, 4, 0, 0}; /* + alert */
  uint8_t buf[100];
  tu_inject_exact(&t, buf, echo_with_options(buf, opt, sizeof(opt)));
  ck_assert_uint_eq(stats()->ip_options_ignored, 2);
  expect_echo_reply();
}
END_TEST

START_TEST(test_no_operation_and_end_of_list_are_not_counted) {
  const uint8_t opt[] = {1, 1, 1, 0};
  uint8_t buf[100];
  tu_inject_exact(&t, buf, echo_with_options(buf, opt, sizeof(opt)));
  ck_assert_uint_eq(stats()->ip_options_ignored, 0);
  expect_echo_reply();
}
END_TEST

START_TEST(test_option_longer_than_the_header_is_ignored) {
  const uint8_t opt[] = {0x88, 40, 0, 0};
  uint8_t buf[100];
  tu_inject_exact(&t, buf, echo_with_options(buf, opt, sizeof(opt)));
  ck_assert_uint_eq(stats()->ip_options_ignored, 1);
  expect_echo_reply();
}
END_TEST

START_TEST(test_option_with_length_zero_ends_the_walk) {
  const uint8_t opt[] = {0x88, 0, 0x88, 0};
  uint8_t buf[100];
  tu_inject_exact(&t, buf, echo_with_options(buf, opt, sizeof(opt)));
  ck_assert_uint_eq(stats()->ip_options_ignored, 1);
  expect_echo_reply();
}
END_TEST

START_TEST(test_option_type_in_the_last_header_byte_is_ignored) {
  const uint8_t opt[] = {1, 1, 1, 0x88}; /* no room for its length */
  uint8_t buf[100];
  tu_inject_exact(&t, buf, echo_with_options(buf, opt, sizeof(opt)));
  ck_assert_uint_eq(stats()->ip_options_ignored, 1);
  expect_echo_reply();
}
END_TEST

START_TEST(test_options_are_never_read_past_a_header_without_payload) {
  uint8_t buf[24];
  tu_build_ip(buf, TU_REMOTE, TU_LOCAL, PROTO_UNKNOWN, 7, 0, NULL, 0);
  const uint8_t opt[] = {1, 1, 1, 0x88}; /* its length byte is past the end */
  memcpy(buf + 20, opt, sizeof(opt));
  buf[0] = 0x46;
  sf_put16(buf + 2, sizeof(buf));
  tu_fix_ip_csum(buf);
  tu_inject_exact(&t, buf, sizeof(buf));
  ck_assert_uint_eq(stats()->ip_options_ignored, 1);
  ck_assert_uint_eq(stats()->ip_drop_proto, 1);
}
END_TEST

START_TEST(test_unknown_protocol_is_answered_with_protocol_unreachable) {
  uint8_t payload[20], buf[64];
  memset(payload, 0xab, sizeof(payload));
  size_t n = tu_build_ip(buf, TU_REMOTE, TU_LOCAL, PROTO_UNKNOWN, 9, 0, payload,
                         sizeof(payload));
  tu_inject_exact(&t, buf, n);
  ck_assert_uint_eq(stats()->ip_drop_proto, 1);
  struct tu_out o;
  tu_pop(&t, &o);
  ck_assert_uint_eq(o.proto, 1);
  ck_assert_uint_eq(o.icmp_type, 3);
  ck_assert_uint_eq(o.icmp_code, 2);
  ck_assert_uint_eq(o.src, TU_LOCAL);
  ck_assert_uint_eq(o.dst, TU_REMOTE);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_protocol_unreachable_quotes_the_header_and_data) {
  uint8_t payload[20], buf[64];
  memset(payload, 0xab, sizeof(payload));
  size_t n = tu_build_ip(buf, TU_REMOTE, TU_LOCAL, PROTO_UNKNOWN, 9, 0, payload,
                         sizeof(payload));
  tu_inject_exact(&t, buf, n);
  struct tu_out o;
  tu_pop(&t, &o);
  ck_assert_uint_eq(o.len, n);
  ck_assert_mem_eq(o.data, buf, n);
}
END_TEST

START_TEST(test_protocol_unreachable_is_at_most_576_bytes) {
  static uint8_t payload[1000], buf[1100];
  memset(payload, 0xcd, sizeof(payload));
  size_t n = tu_build_ip(buf, TU_REMOTE, TU_LOCAL, PROTO_UNKNOWN, 9, 0, payload,
                         sizeof(payload));
  tu_inject_exact(&t, buf, n);
  struct tu_out o;
  tu_pop(&t, &o);
  ck_assert_uint_eq(o.raw_len, 576);
  ck_assert_mem_eq(o.data, buf, 576 - 28);
}
END_TEST

START_TEST(test_protocol_unreachable_has_valid_checksums) {
  uint8_t payload[21], buf[64];
  memset(payload, 0x5a, sizeof(payload));
  size_t n = tu_build_ip(buf, TU_REMOTE, TU_LOCAL, PROTO_UNKNOWN, 9, 0, payload,
                         sizeof(payload));
  tu_inject_exact(&t, buf, n);
  struct tu_out o;
  tu_pop(&t, &o);
  ck_assert(o.ip_csum_ok);
  ck_assert_uint_eq(tu_csum(o.raw + 20, o.raw_len - 20, 0), 0);
}
END_TEST

START_TEST(test_tcp_is_not_answered_with_protocol_unreachable) {
  struct tu_seg s = {.flags = 0x02};
  tu_send_tcp(&t, &s);
  ck_assert_uint_eq(stats()->ip_drop_proto, 0);
  while (tu_pending(&t)) {
    struct tu_out o;
    tu_pop(&t, &o);
    ck_assert_uint_ne(o.proto, 1);
  }
}
END_TEST

/* Writes len bytes of test data into the stack's output payload area. */
static void fill_payload(size_t len) {
  uint8_t *p = sf_ipv4_payload(t.st);
  for (size_t i = 0; i < len; i++)
    p[i] = (uint8_t)(i * 13 + 5);
}

static void expect_payload(const uint8_t *data, size_t off, size_t len) {
  for (size_t i = 0; i < len; i++)
    ck_assert_uint_eq(data[i], (uint8_t)((off + i) * 13 + 5));
}

START_TEST(test_send_wraps_the_payload_in_a_20_byte_header) {
  fill_payload(100);
  ck_assert_int_eq(
      sf_ipv4_send(t.st, TU_LOCAL, TU_REMOTE, PROTO_UNKNOWN, 0x10, false, 100),
      0);
  struct tu_out o;
  tu_pop(&t, &o);
  ck_assert_uint_eq(o.raw[0], 0x45);
  ck_assert_uint_eq(o.raw_len, 120);
  ck_assert_uint_eq(o.tos, 0x10);
  ck_assert_uint_eq(o.proto, PROTO_UNKNOWN);
  ck_assert_uint_eq(o.src, TU_LOCAL);
  ck_assert_uint_eq(o.dst, TU_REMOTE);
  ck_assert_uint_eq(o.frag, 0);
  ck_assert(o.ip_csum_ok);
  expect_payload(o.raw + 20, 0, 100);
  ck_assert_uint_eq(stats()->ip_out, 1);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_send_takes_the_ttl_from_the_profile) {
  sf_profile p = sf_stack_config(t.st)->profile;
  p.ttl = 99;
  sf_stack_set_profile(t.st, &p);
  fill_payload(10);
  sf_ipv4_send(t.st, TU_LOCAL, TU_REMOTE, PROTO_UNKNOWN, 0, false, 10);
  struct tu_out o;
  tu_pop(&t, &o);
  ck_assert_uint_eq(o.ttl, 99);
}
END_TEST

START_TEST(test_send_never_uses_ttl_zero) {
  sf_profile p = sf_stack_config(t.st)->profile;
  p.ttl = 0;
  sf_stack_set_profile(t.st, &p);
  fill_payload(10);
  sf_ipv4_send(t.st, TU_LOCAL, TU_REMOTE, PROTO_UNKNOWN, 0, false, 10);
  struct tu_out o;
  tu_pop(&t, &o);
  ck_assert_uint_ne(o.ttl, 0);
}
END_TEST

START_TEST(test_send_sets_df_when_asked) {
  fill_payload(10);
  sf_ipv4_send(t.st, TU_LOCAL, TU_REMOTE, PROTO_UNKNOWN, 0, true, 10);
  struct tu_out o;
  tu_pop(&t, &o);
  ck_assert_uint_eq(o.frag, 0x4000);
}
END_TEST

START_TEST(test_ip_id_increments_with_each_datagram_sent) {
  fill_payload(10);
  sf_ipv4_send(t.st, TU_LOCAL, TU_REMOTE, PROTO_UNKNOWN, 0, false, 10);
  sf_ipv4_send(t.st, TU_LOCAL, TU_REMOTE, PROTO_UNKNOWN, 0, false, 10);
  struct tu_out a, b;
  tu_pop(&t, &a);
  tu_pop(&t, &b);
  ck_assert_uint_eq(b.id, (uint16_t)(a.id + 1));
}
END_TEST

/* Pops every fragment of one datagram and checks how it was cut. */
static void expect_fragments(size_t payload_len, uint32_t mtu) {
  size_t step = (mtu - 20) & ~(size_t)7, off = 0;
  uint16_t id = 0;
  while (off < payload_len) {
    struct tu_out o;
    tu_pop(&t, &o);
    size_t n = o.raw_len - 20;
    ck_assert_uint_le(o.raw_len, mtu);
    ck_assert(o.ip_csum_ok);
    ck_assert_uint_eq((o.frag & 0x1fff) * 8u, off);
    bool last = off + n == payload_len;
    ck_assert_uint_eq(!!(o.frag & 0x2000), !last);
    if (!last)
      ck_assert_uint_eq(n, step);
    if (off == 0)
      id = o.id;
    ck_assert_uint_eq(o.id, id);
    expect_payload(o.raw + 20, off, n);
    off += n;
  }
  ck_assert_uint_eq(off, payload_len);
  tu_expect_silence(&t);
}

START_TEST(test_datagram_larger_than_the_mtu_is_fragmented) {
  fill_payload(3000);
  ck_assert_int_eq(
      sf_ipv4_send(t.st, TU_LOCAL, TU_REMOTE, PROTO_UNKNOWN, 0, false, 3000),
      0);
  expect_fragments(3000, 1500);
  ck_assert_uint_eq(stats()->ip_out, 1);
}
END_TEST

START_TEST(test_fragments_carry_multiples_of_8_bytes_with_an_odd_mtu) {
  tu_restart(&t, SF_PROFILE_LINUX, 577);
  fill_payload(2000);
  sf_ipv4_send(t.st, TU_LOCAL, TU_REMOTE, PROTO_UNKNOWN, 0, false, 2000);
  expect_fragments(2000, 577);
}
END_TEST

START_TEST(test_largest_datagram_is_fragmented) {
  fill_payload(65515);
  ck_assert_int_eq(
      sf_ipv4_send(t.st, TU_LOCAL, TU_REMOTE, PROTO_UNKNOWN, 0, false, 65515),
      0);
  expect_fragments(65515, 1500);
}
END_TEST

START_TEST(test_datagram_of_exactly_the_mtu_is_not_fragmented) {
  fill_payload(1480);
  sf_ipv4_send(t.st, TU_LOCAL, TU_REMOTE, PROTO_UNKNOWN, 0, true, 1480);
  struct tu_out o;
  tu_pop(&t, &o);
  ck_assert_uint_eq(o.raw_len, 1500);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_datagram_larger_than_the_mtu_with_df_fails_with_emsgsize) {
  fill_payload(1481);
  ck_assert_int_eq(
      sf_ipv4_send(t.st, TU_LOCAL, TU_REMOTE, PROTO_UNKNOWN, 0, true, 1481),
      -EMSGSIZE);
  ck_assert_uint_eq(stats()->ip_out, 0);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_payload_beyond_65515_bytes_fails_with_emsgsize) {
  ck_assert_int_eq(
      sf_ipv4_send(t.st, TU_LOCAL, TU_REMOTE, PROTO_UNKNOWN, 0, false, 65516),
      -EMSGSIZE);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_fragmenting_leaves_the_payload_in_place) {
  fill_payload(3000);
  sf_ipv4_send(t.st, TU_LOCAL, TU_REMOTE, PROTO_UNKNOWN, 0, false, 3000);
  tu_drain(&t);
  expect_payload(sf_ipv4_payload(t.st), 0, 3000);
}
END_TEST

START_TEST(test_echo_reply_header_has_a_valid_checksum_and_no_fragment_bits) {
  uint8_t buf[64];
  tu_inject_exact(&t, buf, echo_dgram(buf, TU_REMOTE, TU_LOCAL));
  struct tu_out o;
  tu_pop(&t, &o);
  ck_assert(o.ip_csum_ok);
  ck_assert_uint_eq(o.frag & 0x3fff, 0);
  ck_assert_uint_eq(sf_get16(o.raw + 2), o.raw_len);
}
END_TEST

Suite *tu_suite(void) {
  Suite *s = suite_create("ipv4");
  TCase *in = tcase_create("input");
  tcase_add_checked_fixture(in, setup, teardown);
  tcase_add_test(in, test_valid_datagram_is_delivered);
  tcase_add_test(in, test_every_received_datagram_counts_in_ip_in);
  tcase_add_test(in, test_datagram_shorter_than_a_header_is_dropped);
  tcase_add_test(in, test_empty_datagram_is_dropped);
  tcase_add_test(in, test_datagram_with_version_6_is_dropped);
  tcase_add_test(in, test_datagram_with_header_length_below_20_is_dropped);
  tcase_add_test(
      in, test_datagram_with_total_length_below_header_length_is_dropped);
  tcase_add_test(
      in, test_datagram_with_total_length_beyond_received_bytes_is_dropped);
  tcase_add_test(in, test_header_length_beyond_received_bytes_is_dropped);
  tcase_add_test(in, test_bytes_past_total_length_are_ignored_as_padding);
  tcase_add_test(in, test_datagram_with_bad_header_checksum_is_dropped);
  suite_add_tcase(s, in);

  TCase *addr = tcase_create("addresses");
  tcase_add_checked_fixture(addr, setup, teardown);
  tcase_add_test(addr, test_datagram_for_another_address_is_dropped);
  tcase_add_test(addr, test_datagram_to_limited_broadcast_is_dropped);
  tcase_add_test(addr, test_datagram_to_multicast_is_dropped);
  tcase_add_test(addr, test_datagram_to_loopback_is_dropped);
  tcase_add_test(addr, test_source_in_this_network_0_8_is_martian);
  tcase_add_test(addr, test_unspecified_source_is_martian);
  tcase_add_test(addr, test_loopback_source_from_outside_is_martian);
  tcase_add_test(addr, test_multicast_source_is_martian);
  tcase_add_test(addr, test_class_e_source_is_martian);
  tcase_add_test(addr, test_limited_broadcast_source_is_martian);
  tcase_add_test(addr, test_our_own_address_as_source_is_martian);
  suite_add_tcase(s, addr);

  TCase *opt = tcase_create("options");
  tcase_add_checked_fixture(opt, setup, teardown);
  tcase_add_test(opt,
                 test_unknown_option_is_ignored_and_the_datagram_delivered);
  tcase_add_test(opt, test_each_ignored_option_is_counted);
  tcase_add_test(opt, test_no_operation_and_end_of_list_are_not_counted);
  tcase_add_test(opt, test_option_longer_than_the_header_is_ignored);
  tcase_add_test(opt, test_option_with_length_zero_ends_the_walk);
  tcase_add_test(opt, test_option_type_in_the_last_header_byte_is_ignored);
  tcase_add_test(opt,
                 test_options_are_never_read_past_a_header_without_payload);
  suite_add_tcase(s, opt);

  TCase *proto = tcase_create("dispatch");
  tcase_add_checked_fixture(proto, setup, teardown);
  tcase_add_test(proto,
                 test_unknown_protocol_is_answered_with_protocol_unreachable);
  tcase_add_test(proto, test_protocol_unreachable_quotes_the_header_and_data);
  tcase_add_test(proto, test_protocol_unreachable_is_at_most_576_bytes);
  tcase_add_test(proto, test_protocol_unreachable_has_valid_checksums);
  tcase_add_test(proto, test_tcp_is_not_answered_with_protocol_unreachable);
  suite_add_tcase(s, proto);

  TCase *out = tcase_create("output");
  tcase_add_checked_fixture(out, setup, teardown);
  tcase_add_test(out, test_send_wraps_the_payload_in_a_20_byte_header);
  tcase_add_test(out, test_send_takes_the_ttl_from_the_profile);
  tcase_add_test(out, test_send_never_uses_ttl_zero);
  tcase_add_test(out, test_send_sets_df_when_asked);
  tcase_add_test(out, test_ip_id_increments_with_each_datagram_sent);
  tcase_add_test(out, test_datagram_larger_than_the_mtu_is_fragmented);
  tcase_add_test(out,
                 test_fragments_carry_multiples_of_8_bytes_with_an_odd_mtu);
  tcase_add_test(out, test_largest_datagram_is_fragmented);
  tcase_add_test(out, test_datagram_of_exactly_the_mtu_is_not_fragmented);
  tcase_add_test(out,
                 test_datagram_larger_than_the_mtu_with_df_fails_with_emsgsize);
  tcase_add_test(out, test_payload_beyond_65515_bytes_fails_with_emsgsize);
  tcase_add_test(out, test_fragmenting_leaves_the_payload_in_place);
  tcase_add_test(
      out, test_echo_reply_header_has_a_valid_checksum_and_no_fragment_bits);
  suite_add_tcase(s, out);
  return s;
}
