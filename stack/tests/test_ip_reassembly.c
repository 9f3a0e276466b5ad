/* IPv4 fragment reassembly (RFC 791 3.2, RFC 1122 3.3.2, RFC 5722 as Linux
 * applies it to IPv4). The datagrams are ICMP echo requests cut into
 * fragments: a datagram that is reassembled gets an echo reply carrying all
 * of its data, one that is not gets nothing. */
#include <stdlib.h>
#include <string.h>

#include "stack_internal.h"
#include "synfin/bytes.h"
#include "test_util.h"

#define MF 0x2000u
#define PEER_B 0xc0000202u /* 192.0.2.2: a second peer */
#define PROTO_UNKNOWN 253
#define TIMEOUT_US 30000000u /* the default reass_timeout_us */

static struct tu t;

static void setup(void) {
  tu_setup(&t, SF_PROFILE_LINUX);
}

static void teardown(void) {
  tu_teardown(&t);
}

/* Starts the test's stack again with other reassembly bounds. */
static void restart_with(uint32_t slots, uint32_t bytes) {
  tu_teardown(&t);
  tu_init(&t, SF_PROFILE_LINUX);
  t.cfg.reass_slots = slots;
  t.cfg.reass_bytes = bytes;
  tu_start(&t);
}

static const sf_stats *stats(void) {
  return sf_stack_stats(t.st);
}

/* An echo request of `len` bytes in all (header included) whose data
 * depends on ident, so that replies to different datagrams differ. */
static void echo_msg(uint8_t *msg, size_t len, uint16_t ident) {
  msg[0] = 8;
  msg[1] = 0;
  sf_put16(msg + 2, 0);
  sf_put16(msg + 4, ident);
  sf_put16(msg + 6, 1);
  for (size_t i = 8; i < len; i++)
    msg[i] = (uint8_t)(i * 7 + ident);
  sf_put16(msg + 2, tu_csum(msg, len, 0));
}

/* Sends len bytes of data as the fragment at offset off from src. */
static void frag_at(uint32_t src, uint8_t proto, uint16_t id, size_t off,
                    const uint8_t *data, size_t len, bool more) {
  static uint8_t buf[70000];
  uint16_t field = (uint16_t)(off / 8 | (more ? MF : 0));
  tu_inject_exact(&t, buf,
                  tu_build_ip(buf, src, TU_LOCAL, proto, id, field, data, len));
}

/* Sends bytes [off, off + len) of msg as one fragment from src. */
static void frag_from(uint32_t src, uint8_t proto, uint16_t id,
                      const uint8_t *msg, size_t off, size_t len, bool more) {
  frag_at(src, proto, id, off, msg + off, len, more);
}

static void frag(uint16_t id, const uint8_t *msg, size_t off, size_t len,
                 bool more) {
  frag_from(TU_REMOTE, 1, id, msg, off, len, more);
}

/* Pops the echo reply to msg (len bytes), reassembling it if the stack had
 * to fragment it, and checks that it carries all of the request. */
static void expect_reply_to(const uint8_t *msg, size_t len, uint32_t dst) {
  static uint8_t got[65536];
  size_t have = 0, total = 0;
  bool last = false;
  while (!last) {
    struct tu_out o;
    tu_pop(&t, &o);
    ck_assert_uint_eq(o.proto, 1);
    ck_assert_uint_eq(o.dst, dst);
    ck_assert(o.ip_csum_ok);
    size_t off = (o.frag & 0x1fff) * 8u, n = o.raw_len - 20;
    ck_assert_uint_le(off + n, sizeof(got));
    memcpy(got + off, o.raw + 20, n);
    have += n;
    if (!(o.frag & MF)) {
      last = true;
      total = off + n;
    }
  }
  ck_assert_uint_eq(have, total);
  ck_assert_uint_eq(total, len);
  ck_assert_uint_eq(got[0], 0); /* echo reply */
  ck_assert_uint_eq(tu_csum(got, total, 0), 0);
  ck_assert_mem_eq(got + 4, msg + 4, len - 4); /* id, seq, data */
}

static void expect_reply(const uint8_t *msg, size_t len) {
  expect_reply_to(msg, len, TU_REMOTE);
  tu_expect_silence(&t);
}

START_TEST(test_fragments_in_order_are_reassembled) {
  uint8_t msg[48];
  echo_msg(msg, sizeof(msg), 1);
  frag(1, msg, 0, 24, true);
  frag(1, msg, 24, 24, false);
  expect_reply(msg, sizeof(msg));
  ck_assert_uint_eq(stats()->frag_in, 2);
  ck_assert_uint_eq(stats()->frag_reassembled, 1);
}
END_TEST

START_TEST(test_fragments_out_of_order_are_reassembled) {
  uint8_t msg[60];
  echo_msg(msg, sizeof(msg), 1);
  frag(1, msg, 16, 16, true);
  frag(1, msg, 32, 28, false);
  frag(1, msg, 0, 16, true);
  expect_reply(msg, sizeof(msg));
}
END_TEST

START_TEST(test_fragments_in_reverse_order_are_reassembled) {
  uint8_t msg[60];
  echo_msg(msg, sizeof(msg), 1);
  frag(1, msg, 48, 12, false);
  frag(1, msg, 32, 16, true);
  frag(1, msg, 16, 16, true);
  frag(1, msg, 0, 16, true);
  expect_reply(msg, sizeof(msg));
}
END_TEST

START_TEST(test_incomplete_datagram_is_held_without_delivery) {
  uint8_t msg[48];
  echo_msg(msg, sizeof(msg), 1);
  frag(1, msg, 0, 24, true);
  tu_expect_silence(&t);
  ck_assert_uint_eq(sf_stack_next_deadline(t.st), TIMEOUT_US);
}
END_TEST

START_TEST(test_datagram_with_a_hole_is_not_delivered) {
  uint8_t msg[48];
  echo_msg(msg, sizeof(msg), 1);
  frag(1, msg, 0, 16, true);
  frag(1, msg, 32, 16, false);
  tu_expect_silence(&t);
  ck_assert_uint_eq(stats()->frag_reassembled, 0);
}
END_TEST

START_TEST(test_exact_duplicate_fragment_is_ignored) {
  uint8_t msg[48];
  echo_msg(msg, sizeof(msg), 1);
  frag(1, msg, 0, 24, true);
  frag(1, msg, 0, 24, true);
  frag(1, msg, 24, 24, false);
  expect_reply(msg, sizeof(msg));
  ck_assert_uint_eq(stats()->frag_drop_overlap, 0);
}
END_TEST

START_TEST(test_duplicate_last_fragment_is_ignored) {
  uint8_t msg[48];
  echo_msg(msg, sizeof(msg), 1);
  frag(1, msg, 24, 24, false);
  frag(1, msg, 24, 24, false);
  frag(1, msg, 0, 24, true);
  expect_reply(msg, sizeof(msg));
  ck_assert_uint_eq(stats()->frag_drop_overlap, 0);
}
END_TEST

START_TEST(test_fragment_inside_data_held_counts_as_a_duplicate) {
  uint8_t msg[48];
  echo_msg(msg, sizeof(msg), 1);
  frag(1, msg, 0, 32, true);
  frag(1, msg, 8, 16, true);
  frag(1, msg, 32, 16, false);
  expect_reply(msg, sizeof(msg));
}
END_TEST

START_TEST(test_overlapping_fragment_drops_the_datagram) {
  uint8_t msg[48];
  echo_msg(msg, sizeof(msg), 1);
  frag(1, msg, 0, 24, true);
  frag(1, msg, 16, 16, true); /* 16..24 held, 24..32 new */
  ck_assert_uint_eq(stats()->frag_drop_overlap, 1);
  frag(1, msg, 24, 24, false);
  tu_expect_silence(&t);
  ck_assert_uint_eq(stats()->frag_reassembled, 0);
}
END_TEST

START_TEST(test_last_fragment_with_a_different_end_drops_the_datagram) {
  uint8_t msg[48];
  echo_msg(msg, sizeof(msg), 1);
  frag(1, msg, 24, 24, false);
  frag(1, msg, 24, 16, false);
  ck_assert_uint_eq(stats()->frag_drop_overlap, 1);
  frag(1, msg, 0, 24, true);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_fragment_past_the_last_one_drops_the_datagram) {
  uint8_t msg[64];
  echo_msg(msg, sizeof(msg), 1);
  frag(1, msg, 16, 16, false); /* the datagram ends at 32 */
  frag(1, msg, 32, 16, true);
  ck_assert_uint_eq(stats()->frag_drop_overlap, 1);
  frag(1, msg, 0, 16, true);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_last_fragment_before_data_held_drops_the_datagram) {
  uint8_t msg[64];
  echo_msg(msg, sizeof(msg), 1);
  frag(1, msg, 32, 16, true); /* more follows 48 */
  frag(1, msg, 16, 16, false);
  ck_assert_uint_eq(stats()->frag_drop_overlap, 1);
  frag(1, msg, 0, 16, true);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_non_last_fragment_not_a_multiple_of_8_is_dropped) {
  uint8_t msg[48];
  echo_msg(msg, sizeof(msg), 1);
  frag(1, msg, 0, 20, true);
  ck_assert_uint_eq(stats()->ip_drop_len, 1);
  ck_assert_uint_eq(sf_stack_next_deadline(t.st), SF_TIME_NEVER);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_bad_length_fragment_leaves_its_datagram_alive) {
  uint8_t msg[48];
  echo_msg(msg, sizeof(msg), 1);
  frag(1, msg, 24, 24, false);
  frag(1, msg, 0, 20, true);
  frag(1, msg, 0, 24, true);
  expect_reply(msg, sizeof(msg));
}
END_TEST

START_TEST(test_reassembled_length_beyond_65535_is_rejected) {
  uint8_t msg[48];
  static uint8_t tail[24];
  echo_msg(msg, sizeof(msg), 1);
  frag(1, msg, 0, 24, true);
  /* 65512 + 24 bytes of payload and a 20-byte header: 65556 */
  frag_at(TU_REMOTE, 1, 1, 65512, tail, sizeof(tail), false);
  ck_assert_uint_eq(stats()->frag_drop_toolong, 1);
  ck_assert_uint_eq(sf_stack_next_deadline(t.st), SF_TIME_NEVER);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_first_fragment_header_counts_toward_the_65535_limit) {
  static uint8_t data[1480], first[1600];
  static const uint8_t tail[11];
  /* 65504 + 11 bytes of payload: 65535 with a 20-byte header, too long
   * with the 40-byte header of the first fragment */
  frag_at(TU_REMOTE, 1, 1, 65504, tail, sizeof(tail), false);
  size_t n = tu_build_ip(first, TU_REMOTE, TU_LOCAL, 1, 1, MF, NULL, 0);
  memset(first + 20, 1, 20); /* no-operation options */
  memcpy(first + 40, data, sizeof(data));
  first[0] = 0x4a;
  sf_put16(first + 2, (uint32_t)(n + 20 + sizeof(data)));
  tu_fix_ip_csum(first);
  tu_inject_exact(&t, first, n + 20 + sizeof(data));
  ck_assert_uint_eq(stats()->frag_drop_toolong, 1);
  ck_assert_uint_eq(sf_stack_next_deadline(t.st), SF_TIME_NEVER);
}
END_TEST

START_TEST(test_datagram_larger_than_reass_bytes_is_dropped) {
  restart_with(4, 1024);
  uint8_t msg[1040];
  echo_msg(msg, sizeof(msg), 1);
  frag(1, msg, 0, 512, true);
  frag(1, msg, 512, 528, false);
  ck_assert_uint_eq(stats()->frag_drop_overflow, 1);
  ck_assert_uint_eq(sf_stack_next_deadline(t.st), SF_TIME_NEVER);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_datagram_of_exactly_reass_bytes_is_reassembled) {
  restart_with(4, 1024);
  uint8_t msg[1024];
  echo_msg(msg, sizeof(msg), 1);
  frag(1, msg, 512, 512, false);
  frag(1, msg, 0, 512, true);
  expect_reply(msg, sizeof(msg));
}
END_TEST

START_TEST(test_without_slots_every_fragment_is_dropped) {
  restart_with(0, 0);
  uint8_t msg[48];
  echo_msg(msg, sizeof(msg), 1);
  frag(1, msg, 0, 24, true);
  frag(1, msg, 24, 24, false);
  ck_assert_uint_eq(stats()->frag_drop_overflow, 2);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_timeout_drops_the_datagram_and_frees_its_slot) {
  uint8_t msg[48];
  echo_msg(msg, sizeof(msg), 1);
  frag(1, msg, 24, 24, false);
  tu_advance(&t, TIMEOUT_US);
  ck_assert_uint_eq(stats()->frag_drop_timeout, 1);
  ck_assert_uint_eq(sf_stack_next_deadline(t.st), SF_TIME_NEVER);
  frag(1, msg, 0, 24, true);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_datagram_completed_just_before_the_timeout_is_delivered) {
  uint8_t msg[48];
  echo_msg(msg, sizeof(msg), 1);
  frag(1, msg, 24, 24, false);
  tu_advance(&t, TIMEOUT_US - 1);
  frag(1, msg, 0, 24, true);
  expect_reply(msg, sizeof(msg));
}
END_TEST

START_TEST(test_later_fragments_do_not_restart_the_timer) {
  uint8_t msg[64];
  echo_msg(msg, sizeof(msg), 1);
  frag(1, msg, 16, 16, true);
  tu_advance(&t, TIMEOUT_US / 2);
  frag(1, msg, 32, 32, false);
  ck_assert_uint_eq(sf_stack_next_deadline(t.st), TIMEOUT_US);
}
END_TEST

START_TEST(test_timeout_after_the_first_fragment_sends_time_exceeded) {
  uint8_t msg[48], first[64];
  echo_msg(msg, sizeof(msg), 1);
  size_t n = tu_build_ip(first, TU_REMOTE, TU_LOCAL, 1, 1, MF, msg, 24);
  tu_inject_exact(&t, first, n);
  tu_advance(&t, TIMEOUT_US);
  struct tu_out o;
  tu_pop(&t, &o);
  ck_assert_uint_eq(o.icmp_type, 11);
  ck_assert_uint_eq(o.icmp_code, 1);
  ck_assert_uint_eq(o.dst, TU_REMOTE);
  ck_assert_uint_eq(o.len, n); /* the fragment's header and its data */
  ck_assert_mem_eq(o.data, first, n);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_timeout_without_the_first_fragment_sends_nothing) {
  uint8_t msg[48];
  echo_msg(msg, sizeof(msg), 1);
  frag(1, msg, 24, 24, false);
  tu_advance(&t, TIMEOUT_US);
  ck_assert_uint_eq(stats()->frag_drop_timeout, 1);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_timeout_of_an_icmp_error_sends_nothing) {
  uint8_t msg[48];
  echo_msg(msg, sizeof(msg), 1);
  msg[0] = 3; /* the fragments of a Destination Unreachable */
  frag(1, msg, 0, 24, true);
  tu_advance(&t, TIMEOUT_US);
  ck_assert_uint_eq(stats()->frag_drop_timeout, 1);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_oldest_datagram_is_evicted_when_slots_are_full) {
  restart_with(2, 1024);
  uint8_t a[48], b[48], c[48];
  echo_msg(a, sizeof(a), 1);
  echo_msg(b, sizeof(b), 2);
  echo_msg(c, sizeof(c), 3);
  frag(1, a, 0, 24, true);
  tu_advance(&t, 1);
  frag(2, b, 0, 24, true);
  tu_advance(&t, 1);
  frag(3, c, 0, 24, true);
  ck_assert_uint_eq(stats()->frag_drop_overflow, 1);
  frag(1, a, 24, 24, false); /* its first half is gone: held again */
  tu_expect_silence(&t);
  frag(3, c, 24, 24, false);
  expect_reply(c, sizeof(c));
}
END_TEST

START_TEST(test_younger_datagrams_survive_an_eviction) {
  restart_with(2, 1024);
  uint8_t a[48], b[48], c[48];
  echo_msg(a, sizeof(a), 1);
  echo_msg(b, sizeof(b), 2);
  echo_msg(c, sizeof(c), 3);
  frag(1, a, 0, 24, true);
  frag(2, b, 0, 24, true);
  frag(3, c, 0, 24, true);
  frag(2, b, 24, 24, false);
  expect_reply(b, sizeof(b));
}
END_TEST

START_TEST(test_interleaved_datagrams_with_different_ids_are_kept_apart) {
  uint8_t a[48], b[48];
  echo_msg(a, sizeof(a), 1);
  echo_msg(b, sizeof(b), 2);
  frag(1, a, 0, 24, true);
  frag(2, b, 24, 24, false);
  frag(2, b, 0, 24, true);
  expect_reply_to(b, sizeof(b), TU_REMOTE);
  frag(1, a, 24, 24, false);
  expect_reply(a, sizeof(a));
}
END_TEST

START_TEST(test_fragments_from_different_sources_are_kept_apart) {
  uint8_t a[48], b[48];
  echo_msg(a, sizeof(a), 1);
  echo_msg(b, sizeof(b), 2);
  frag_from(TU_REMOTE, 1, 7, a, 0, 24, true);
  frag_from(PEER_B, 1, 7, b, 24, 24, false);
  tu_expect_silence(&t);
  frag_from(PEER_B, 1, 7, b, 0, 24, true);
  expect_reply_to(b, sizeof(b), PEER_B);
  frag_from(TU_REMOTE, 1, 7, a, 24, 24, false);
  expect_reply(a, sizeof(a));
}
END_TEST

START_TEST(test_fragments_of_different_protocols_are_kept_apart) {
  uint8_t a[48];
  echo_msg(a, sizeof(a), 1);
  frag_from(TU_REMOTE, 1, 7, a, 0, 24, true);
  frag_from(TU_REMOTE, PROTO_UNKNOWN, 7, a, 24, 24, false);
  tu_expect_silence(&t);
  ck_assert_uint_eq(stats()->frag_reassembled, 0);
}
END_TEST

START_TEST(test_reassembled_echo_request_gets_a_reply_with_all_its_data) {
  static uint8_t msg[4008];
  echo_msg(msg, sizeof(msg), 9);
  frag(5, msg, 0, 1480, true);
  frag(5, msg, 2960, 1048, false);
  frag(5, msg, 1480, 1480, true);
  expect_reply(msg, sizeof(msg)); /* itself cut into three fragments */
}
END_TEST

START_TEST(test_largest_datagram_is_reassembled) {
  static uint8_t msg[65515];
  echo_msg(msg, sizeof(msg), 4);
  for (size_t off = 0; off < sizeof(msg); off += 1480) {
    size_t n = sizeof(msg) - off < 1480 ? sizeof(msg) - off : 1480;
    frag(5, msg, off, n, off + n < sizeof(msg));
  }
  expect_reply(msg, sizeof(msg));
}
END_TEST

START_TEST(test_reassembled_datagram_is_quoted_with_its_whole_header) {
  uint8_t payload[48];
  memset(payload, 0x42, sizeof(payload));
  frag_from(TU_REMOTE, PROTO_UNKNOWN, 3, payload, 24, 24, false);
  frag_from(TU_REMOTE, PROTO_UNKNOWN, 3, payload, 0, 24, true);
  ck_assert_uint_eq(stats()->ip_drop_proto, 1);
  struct tu_out o;
  tu_pop(&t, &o);
  ck_assert_uint_eq(o.icmp_type, 3);
  ck_assert_uint_eq(o.icmp_code, 2);
  const uint8_t *quoted = o.data;
  ck_assert_uint_eq(sf_get16(quoted + 2), 20 + sizeof(payload));
  ck_assert_uint_eq(sf_get16(quoted + 6), 0); /* no MF, no offset */
  ck_assert_uint_eq(tu_csum(quoted, 20, 0), 0);
  ck_assert_mem_eq(quoted + 20, payload, sizeof(payload));
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_reset_forgets_datagrams_being_reassembled) {
  uint8_t msg[48];
  echo_msg(msg, sizeof(msg), 1);
  frag(1, msg, 0, 24, true);
  sf_stack_reset(t.st);
  t.now = 0;
  ck_assert_uint_eq(sf_stack_next_deadline(t.st), SF_TIME_NEVER);
  frag(1, msg, 24, 24, false);
  tu_expect_silence(&t);
}
END_TEST

Suite *tu_suite(void) {
  Suite *s = suite_create("ip_reassembly");
  TCase *order = tcase_create("order");
  tcase_add_checked_fixture(order, setup, teardown);
  tcase_add_test(order, test_fragments_in_order_are_reassembled);
  tcase_add_test(order, test_fragments_out_of_order_are_reassembled);
  tcase_add_test(order, test_fragments_in_reverse_order_are_reassembled);
  tcase_add_test(order, test_incomplete_datagram_is_held_without_delivery);
  tcase_add_test(order, test_datagram_with_a_hole_is_not_delivered);
  tcase_add_test(order,
                 test_interleaved_datagrams_with_different_ids_are_kept_apart);
  tcase_add_test(order, test_fragments_from_different_sources_are_kept_apart);
  tcase_add_test(order, test_fragments_of_different_protocols_are_kept_apart);
  tcase_add_test(order,
                 test_reassembled_echo_request_gets_a_reply_with_all_its_data);
  tcase_add_test(order, test_largest_datagram_is_reassembled);
  tcase_add_test(order,
                 test_reassembled_datagram_is_quoted_with_its_whole_header);
  tcase_add_test(order, test_reset_forgets_datagrams_being_reassembled);
  suite_add_tcase(s, order);

  TCase *bad = tcase_create("duplicates and overlaps");
  tcase_add_checked_fixture(bad, setup, teardown);
  tcase_add_test(bad, test_exact_duplicate_fragment_is_ignored);
  tcase_add_test(bad, test_duplicate_last_fragment_is_ignored);
  tcase_add_test(bad, test_fragment_inside_data_held_counts_as_a_duplicate);
  tcase_add_test(bad, test_overlapping_fragment_drops_the_datagram);
  tcase_add_test(bad,
                 test_last_fragment_with_a_different_end_drops_the_datagram);
  tcase_add_test(bad, test_fragment_past_the_last_one_drops_the_datagram);
  tcase_add_test(bad, test_last_fragment_before_data_held_drops_the_datagram);
  tcase_add_test(bad, test_non_last_fragment_not_a_multiple_of_8_is_dropped);
  tcase_add_test(bad, test_bad_length_fragment_leaves_its_datagram_alive);
  tcase_add_test(bad, test_reassembled_length_beyond_65535_is_rejected);
  tcase_add_test(bad, test_first_fragment_header_counts_toward_the_65535_limit);
  suite_add_tcase(s, bad);

  TCase *mem = tcase_create("bounds");
  tcase_add_checked_fixture(mem, setup, teardown);
  tcase_add_test(mem, test_datagram_larger_than_reass_bytes_is_dropped);
  tcase_add_test(mem, test_datagram_of_exactly_reass_bytes_is_reassembled);
  tcase_add_test(mem, test_without_slots_every_fragment_is_dropped);
  tcase_add_test(mem, test_oldest_datagram_is_evicted_when_slots_are_full);
  tcase_add_test(mem, test_younger_datagrams_survive_an_eviction);
  suite_add_tcase(s, mem);

  TCase *timer = tcase_create("timeout");
  tcase_add_checked_fixture(timer, setup, teardown);
  tcase_add_test(timer, test_timeout_drops_the_datagram_and_frees_its_slot);
  tcase_add_test(timer,
                 test_datagram_completed_just_before_the_timeout_is_delivered);
  tcase_add_test(timer, test_later_fragments_do_not_restart_the_timer);
  tcase_add_test(timer,
                 test_timeout_after_the_first_fragment_sends_time_exceeded);
  tcase_add_test(timer, test_timeout_without_the_first_fragment_sends_nothing);
  tcase_add_test(timer, test_timeout_of_an_icmp_error_sends_nothing);
  suite_add_tcase(s, timer);
  return s;
}
