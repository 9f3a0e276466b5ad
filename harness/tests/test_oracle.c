/* The fuzz oracle's view of the peer's datagrams: a datagram the driver
 * built and vouches for (sf_oracle_inbound_built) leaves the oracle in the
 * same state as one it inspects byte by byte (sf_oracle_inbound). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../util/pktbuild.h"
#include "synfin/oracle.h"
#include "synfin/scenario_run.h"
#include "synfin/stack_config.h"

Suite *tu_suite(void);

#define TH_SYN 0x02
#define TH_PSH 0x08
#define TH_ACK 0x10

static sf_stack *st;
static sf_oracle *seen, *told; /* 64 KiB each: not on the stack */
static sf_scn_verdict v1, v2;
static uint8_t pkt[2048];

static void setup(void) {
  sf_profile p;
  sf_profile_init(&p, SF_PROFILE_LINUX);
  sf_config cfg;
  sf_harness_stack_config(&cfg, &p, SF_SCN_LOCAL_ADDR, SF_HARNESS_MTU,
                          SF_HARNESS_SEED);
  ck_assert_int_eq(sf_stack_new(&cfg, &st), 0);
  seen = calloc(1, sizeof(*seen));
  told = calloc(1, sizeof(*told));
  ck_assert_ptr_nonnull(seen);
  ck_assert_ptr_nonnull(told);
  sf_oracle_reset(seen, st, &v1, SF_SCN_PEER_ISN);
  sf_oracle_reset(told, st, &v2, SF_SCN_PEER_ISN);
}

static void teardown(void) {
  free(seen);
  free(told);
  sf_stack_free(st);
}

/* The peer's SYN and then a segment of n pattern bytes after it. */
static size_t build(uint8_t flags, uint32_t seq, uint32_t n) {
  struct sf_tcp_pkt p = {.src = SF_SCN_PEER_ADDR,
                         .dst = SF_SCN_LOCAL_ADDR,
                         .sport = SF_SCN_PEER_PORT,
                         .dport = SF_SCN_PORT,
                         .seq = seq,
                         .flags = flags,
                         .win = 65535,
                         .payload = sf_oracle_peer_payload(seen, seq, flags),
                         .len = n,
                         .df = true};
  size_t len = sf_build_tcp(pkt, sizeof(pkt), &p);
  ck_assert_uint_gt(len, 0);
  return len;
}

static void both(size_t len, bool pattern, bool csum_ok) {
  sf_oracle_inbound(seen, pkt, len);
  sf_oracle_built known = {.pattern = pattern, .csum_ok = csum_ok};
  sf_oracle_inbound_built(told, pkt, len, &known);
}

static void expect_same_view(void) {
  ck_assert_int_eq(seen->raw_data, told->raw_data);
  ck_assert_int_eq(seen->peer_started, told->peer_started);
  ck_assert_uint_eq(seen->peer_max, told->peer_max);
  ck_assert_uint_eq(seen->peer_syns, told->peer_syns);
  ck_assert_uint_eq(seen->last_in_flags, told->last_in_flags);
  ck_assert_uint_eq(seen->last_in_ack, told->last_in_ack);
  ck_assert_int_eq(seen->rst_sent, told->rst_sent);
}

static void syn_then_data(void) {
  both(build(TH_SYN, SF_SCN_PEER_ISN, 0), true, true);
  ck_assert(seen->peer_started);
}

START_TEST(test_pattern_data_with_right_checksums_is_sent) {
  syn_then_data();
  both(build(TH_ACK | TH_PSH, SF_SCN_PEER_ISN + 1, 700), true, true);
  expect_same_view();
  ck_assert(!seen->raw_data);
  ck_assert_uint_eq(seen->peer_max, SF_SCN_PEER_ISN + 701);
}
END_TEST

START_TEST(test_bad_tcp_checksum_sends_nothing) {
  syn_then_data();
  size_t len = build(TH_ACK | TH_PSH, SF_SCN_PEER_ISN + 1, 700);
  pkt[36] ^= 0x0f;
  both(len, true, false);
  expect_same_view();
  ck_assert_uint_eq(seen->peer_max, SF_SCN_PEER_ISN + 1);
}
END_TEST

START_TEST(test_bad_ip_checksum_sends_nothing) {
  syn_then_data();
  size_t len = build(TH_ACK | TH_PSH, SF_SCN_PEER_ISN + 1, 300);
  pkt[10] ^= 0x0f;
  both(len, true, false);
  expect_same_view();
  ck_assert_uint_eq(seen->peer_max, SF_SCN_PEER_ISN + 1);
}
END_TEST

START_TEST(test_data_other_than_the_pattern_is_raw) {
  syn_then_data();
  size_t len = build(TH_ACK | TH_PSH, SF_SCN_PEER_ISN + 1, 100);
  pkt[40 + 50] ^= 0xff;
  sf_fix_tcp_csum(pkt, len);
  both(len, false, true);
  expect_same_view();
  ck_assert(seen->raw_data);
}
END_TEST

Suite *tu_suite(void) {
  Suite *s = suite_create("oracle");
  TCase *tc = tcase_create("inbound");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_pattern_data_with_right_checksums_is_sent);
  tcase_add_test(tc, test_bad_tcp_checksum_sends_nothing);
  tcase_add_test(tc, test_bad_ip_checksum_sends_nothing);
  tcase_add_test(tc, test_data_other_than_the_pattern_is_raw);
  suite_add_tcase(s, tc);
  return s;
}
