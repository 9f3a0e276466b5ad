/* Tail loss probes (RFC 8985 7, Linux's tcp_schedule_loss_probe and
 * tcp_send_loss_probe): when, what, and what follows, in exact virtual
 * time. The probe needs SACK; the linux profile has it on, the rfc profile
 * off. */
#include <string.h>

#include "tcp.h"
#include "test_util.h"

#define MS 1000u

static struct tu t;

static void setup_linux(void) {
  tu_setup(&t, SF_PROFILE_LINUX);
}

static void setup_rfc(void) {
  tu_setup(&t, SF_PROFILE_RFC);
}

static void teardown(void) {
  tu_teardown(&t);
}

/* <mss 1460,sackOK,nop,nop> */
static const uint8_t opts_mss_sack[] = {2, 4, 0x05, 0xb4, 4, 2, 1, 1};

/* A passive connection with SACK and an RTT sample of 100 ms (so the RTO
 * is 300 ms and 2 * SRTT 200 ms). */
static void open_sack(struct tu_conn *c) {
  tu_open_passive_rtt(&t, c, opts_mss_sack, sizeof(opts_mss_sack), 100 * MS);
}

START_TEST(test_probe_of_one_segment_comes_at_the_rto_and_restarts_it) {
  /* RFC 8985 7.2: PTO = 2 * SRTT + WCDelAckT = 400 ms, but no later than
   * the RTO (300 ms); 7.3: the last segment again; then the RTO runs from
   * the probe, and only its own expiries double it */
  struct tu_conn c;
  open_sack(&c);
  uint64_t t0 = t.now;
  tu_write_n(&t, c.fd, 100);
  tu_conn_expect_at(&t, &c, TH_ACK | TH_PSH, 1, 1, 100, t0);
  tu_advance(&t, 2 * 1000 * MS);
  tu_conn_expect_at(&t, &c, TH_ACK | TH_PSH, 1, 1, 100, t0 + 300 * MS);
  tu_conn_expect_at(&t, &c, TH_ACK | TH_PSH, 1, 1, 100, t0 + 600 * MS);
  tu_conn_expect_at(&t, &c, TH_ACK | TH_PSH, 1, 1, 100, t0 + 1200 * MS);
  tu_expect_silence(&t);
  ck_assert_uint_eq(sf_stack_stats(t.st)->tcp_loss_probe, 1);
  ck_assert_uint_eq(sf_stack_stats(t.st)->tcp_rto_expired, 2);
}
END_TEST

START_TEST(test_probe_resends_the_last_segment_two_srtt_after_it) {
  /* two segments in flight: PTO = 2 * SRTT + tlp_extra_us (8 ms) */
  struct tu_conn c;
  open_sack(&c);
  uint64_t t0 = t.now;
  tu_write_n(&t, c.fd, 2920);
  tu_drain(&t);
  tu_advance(&t, 208 * MS - 1);
  tu_expect_silence(&t);
  tu_advance(&t, 1);
  tu_conn_expect_at(&t, &c, TH_ACK | TH_PSH, 1461, 1, 1460, t0 + 208 * MS);
  tu_advance(&t, 300 * MS);
  tu_conn_expect_at(&t, &c, TH_ACK, 1, 1, 1460, t0 + 508 * MS);
}
END_TEST

START_TEST(test_probe_is_new_data_when_the_peer_window_takes_it) {
  /* RFC 8985 7.3: an unsent segment goes first, whatever the congestion
   * window (full here: ten segments in flight) */
  struct tu_conn c;
  open_sack(&c);
  uint64_t t0 = t.now;
  tu_write_n(&t, c.fd, 20000);
  ck_assert_uint_eq(tu_pending(&t), 10);
  tu_drain(&t);
  tu_advance(&t, 208 * MS);
  tu_conn_expect_at(&t, &c, TH_ACK, 14601, 1, 1460, t0 + 208 * MS);
  tu_expect_silence(&t);
  tu_advance(&t, 300 * MS);
  tu_conn_expect_at(&t, &c, TH_ACK, 1, 1, 1460, t0 + 508 * MS);
}
END_TEST

/* A FIN in flight is probed like data: the last segment sent, resent at
 * the probe time (found by tcp_scenario_fuzzer: the probe
 * of a lone FIN read the send buffer from before its start). */
START_TEST(test_probe_of_a_lone_fin_resends_the_fin) {
  struct tu_conn c;
  open_sack(&c);
  uint64_t t0 = t.now;
  ck_assert_int_eq(sf_shutdown(t.st, c.fd, SHUT_WR), 0);
  tu_conn_expect_at(&t, &c, TH_ACK | TH_FIN, 1, 1, 0, t0);
  tu_advance(&t, 300 * MS);
  tu_conn_expect_at(&t, &c, TH_ACK | TH_FIN, 1, 1, 0, t0 + 300 * MS);
  ck_assert_uint_eq(sf_stack_stats(t.st)->tcp_loss_probe, 1);
}
END_TEST

START_TEST(test_probe_of_data_then_fin_resends_the_fin_alone) {
  struct tu_conn c;
  open_sack(&c);
  uint64_t t0 = t.now;
  tu_write_n(&t, c.fd, 100);
  tu_conn_expect_at(&t, &c, TH_ACK | TH_PSH, 1, 1, 100, t0);
  ck_assert_int_eq(sf_shutdown(t.st, c.fd, SHUT_WR), 0);
  tu_conn_expect_at(&t, &c, TH_ACK | TH_FIN, 101, 1, 0, t0);
  /* two segments out: PTO = 2 * SRTT + 8 ms, and the probe is the last
   * segment, the FIN alone (as the kernel does) */
  tu_advance(&t, 208 * MS);
  tu_conn_expect_at(&t, &c, TH_ACK | TH_FIN, 101, 1, 0, t0 + 208 * MS);
  ck_assert_uint_eq(sf_stack_stats(t.st)->tcp_loss_probe, 1);
}
END_TEST

START_TEST(test_no_probe_without_sack) {
  /* Linux probes only with SACK: the RTO alone, doubling */
  struct tu_conn c;
  tu_open_passive_rtt(&t, &c, tu_opts_mss, sizeof(tu_opts_mss), 100 * MS);
  uint64_t t0 = t.now;
  tu_write_n(&t, c.fd, 100);
  tu_drain(&t);
  tu_advance(&t, 1000 * MS);
  tu_conn_expect_at(&t, &c, TH_ACK | TH_PSH, 1, 1, 100, t0 + 300 * MS);
  tu_conn_expect_at(&t, &c, TH_ACK | TH_PSH, 1, 1, 100, t0 + 900 * MS);
  ck_assert_uint_eq(sf_stack_stats(t.st)->tcp_loss_probe, 0);
}
END_TEST

START_TEST(test_no_probe_when_the_setting_is_off) {
  tu_profile_set(&t, "tlp", 0);
  struct tu_conn c;
  open_sack(&c);
  uint64_t t0 = t.now;
  tu_write_n(&t, c.fd, 2920);
  tu_drain(&t);
  tu_advance(&t, 300 * MS);
  tu_conn_expect_at(&t, &c, TH_ACK, 1, 1, 1460, t0 + 300 * MS);
  ck_assert_uint_eq(sf_stack_stats(t.st)->tcp_loss_probe, 0);
}
END_TEST

START_TEST(test_ack_of_the_probe_ends_the_episode) {
  /* RFC 8985 7.4: the next tail gets a probe of its own */
  struct tu_conn c;
  open_sack(&c);
  tu_write_n(&t, c.fd, 100);
  tu_drain(&t);
  tu_advance(&t, 300 * MS);
  tu_conn_expect(&t, &c, TH_ACK | TH_PSH, 1, 1, 100);
  c.ack += 100;
  tu_conn_send(&t, &c, TH_ACK, 0);
  uint64_t t1 = t.now;
  tu_write_n(&t, c.fd, 2920);
  tu_drain(&t);
  /* a new sample (the probe is not timed): SRTT from 100 + 300 ms */
  uint32_t srtt = tu_info(&t, c.fd).srtt_us;
  tu_advance(&t, 2 * srtt + 8 * MS);
  tu_conn_expect_at(&t, &c, TH_ACK | TH_PSH, 101 + 1460, 1, 1460,
                    t1 + 2 * srtt + 8 * MS);
  ck_assert_uint_eq(sf_stack_stats(t.st)->tcp_loss_probe, 2);
}
END_TEST

START_TEST(test_no_probe_while_an_rto_recovery_runs) {
  /* Linux: no probe in the Loss state, until what was in flight at the
   * RTO is acknowledged: the ACK of the first segment releases the other
   * two again, and then the (backed-off) RTO is what runs */
  struct tu_conn c;
  open_sack(&c);
  tu_write_n(&t, c.fd, 4380);
  tu_drain(&t);
  tu_advance(&t, 508 * MS); /* the probe, then the RTO */
  tu_drain(&t);
  c.ack += 1460;
  tu_conn_send(&t, &c, TH_ACK, 0);
  uint64_t t1 = t.now;
  tu_conn_expect(&t, &c, TH_ACK, 1461, 1, 1460);
  tu_conn_expect(&t, &c, TH_ACK | TH_PSH, 2921, 1, 1460);
  tu_advance(&t, 600 * MS - 1);
  tu_expect_silence(&t); /* no probe 2 * SRTT + 8 ms after them */
  tu_advance(&t, 1);
  tu_conn_expect_at(&t, &c, TH_ACK, 1461, 1, 1460, t1 + 600 * MS);
  ck_assert_uint_eq(sf_stack_stats(t.st)->tcp_loss_probe, 1);
}
END_TEST

START_TEST(test_rfc_profile_sends_no_probe) {
  struct tu_conn c;
  open_sack(&c);
  uint64_t t0 = t.now;
  tu_write_n(&t, c.fd, 2920);
  tu_drain(&t);
  tu_advance(&t, 1000 * MS - 1);
  tu_expect_silence(&t);
  tu_advance(&t, 1);
  tu_conn_expect_at(&t, &c, TH_ACK, 1, 1, 1460, t0 + 1000 * MS);
}
END_TEST

Suite *tu_suite(void) {
  Suite *s = suite_create("tcp_tlp");
  TCase *l = tcase_create("linux");
  tcase_add_checked_fixture(l, setup_linux, teardown);
  tcase_add_test(l, test_probe_of_one_segment_comes_at_the_rto_and_restarts_it);
  tcase_add_test(l, test_probe_resends_the_last_segment_two_srtt_after_it);
  tcase_add_test(l, test_probe_is_new_data_when_the_peer_window_takes_it);
  tcase_add_test(l, test_probe_of_a_lone_fin_resends_the_fin);
  tcase_add_test(l, test_probe_of_data_then_fin_resends_the_fin_alone);
  tcase_add_test(l, test_no_probe_without_sack);
  tcase_add_test(l, test_no_probe_when_the_setting_is_off);
  tcase_add_test(l, test_ack_of_the_probe_ends_the_episode);
  tcase_add_test(l, test_no_probe_while_an_rto_recovery_runs);
  suite_add_tcase(s, l);
  TCase *r = tcase_create("rfc");
  tcase_add_checked_fixture(r, setup_rfc, teardown);
  tcase_add_test(r, test_rfc_profile_sends_no_probe);
  suite_add_tcase(s, r);
  return s;
}
