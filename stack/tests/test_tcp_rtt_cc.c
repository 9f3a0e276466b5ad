/* Retransmission timeout (RFC 6298) and congestion control (RFC 5681,
 * RFC 6582): the arithmetic as pure functions, then end to end in exact
 * virtual time. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <string.h>

#include "tcp.h"
#include "test_util.h"

#define MS 1000u
#define SEC 1000000u

static struct tu t;
static sf_profile linux_p, rfc_p;

static void setup_linux(void) {
  tu_setup(&t, SF_PROFILE_LINUX);
  sf_profile_init(&linux_p, SF_PROFILE_LINUX);
  sf_profile_init(&rfc_p, SF_PROFILE_RFC);
}

static void setup_rfc(void) {
  tu_setup(&t, SF_PROFILE_RFC);
  sf_profile_init(&linux_p, SF_PROFILE_LINUX);
  sf_profile_init(&rfc_p, SF_PROFILE_RFC);
}

static void teardown(void) {
  tu_teardown(&t);
}

static struct sf_tcb fresh_tcb(void) {
  struct sf_tcb tcb;
  memset(&tcb, 0, sizeof(tcb));
  return tcb;
}

static void set_sndbuf(int fd, int bytes) {
  ck_assert_int_eq(
      sf_setsockopt(t.st, fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes)), 0);
}

/* ---- RFC 6298 arithmetic ---- */

START_TEST(test_first_rtt_sample_sets_srtt_to_r_and_rttvar_to_half_r) {
  /* RFC 6298 2.2 */
  struct sf_tcb tcb = fresh_tcb();
  sf_rtt_sample(&tcb, &rfc_p, 100 * MS);
  ck_assert_uint_eq(tcb.srtt_us, 100 * MS);
  ck_assert_uint_eq(tcb.rttvar_us, 50 * MS);
}
END_TEST

START_TEST(test_later_sample_updates_rttvar_with_old_srtt_then_srtt) {
  /* RFC 6298 2.3: RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R'| first, then
   * SRTT = 7/8 SRTT + 1/8 R' */
  struct sf_tcb tcb = fresh_tcb();
  sf_rtt_sample(&tcb, &rfc_p, 100 * MS);
  sf_rtt_sample(&tcb, &rfc_p, 200 * MS);
  ck_assert_uint_eq(tcb.rttvar_us, 62500);
  ck_assert_uint_eq(tcb.srtt_us, 112500);
}
END_TEST

START_TEST(test_rfc_rto_is_srtt_plus_four_rttvar) {
  /* RFC 6298 2.2: RTO = SRTT + max(G, K*RTTVAR), K = 4 */
  struct sf_tcb tcb = fresh_tcb();
  sf_rtt_sample(&tcb, &rfc_p, 2 * SEC);
  ck_assert_uint_eq(tcb.rto_us, 6 * SEC);
}
END_TEST

START_TEST(test_rfc_rto_is_at_least_one_second) {
  /* RFC 6298 2.4 */
  struct sf_tcb tcb = fresh_tcb();
  sf_rtt_sample(&tcb, &rfc_p, 10 * MS);
  ck_assert_uint_eq(tcb.rto_us, 1 * SEC);
}
END_TEST

START_TEST(test_rfc_rto_variance_term_is_at_least_the_clock_granularity) {
  /* RFC 6298 2.3: max(G, K*RTTVAR) with G = 1 ms once RTTVAR decays */
  struct sf_tcb tcb = fresh_tcb();
  for (int i = 0; i < 200; i++)
    sf_rtt_sample(&tcb, &rfc_p, 2 * SEC);
  ck_assert_uint_eq(tcb.rttvar_us, 0);
  ck_assert_uint_eq(tcb.rto_us, 2 * SEC + 1 * MS);
}
END_TEST

START_TEST(test_linux_rto_floors_the_variance_term_at_rto_min) {
  /* Linux: RTO = SRTT + max(rto_min, 4*RTTVAR): 10 ms + 200 ms */
  struct sf_tcb tcb = fresh_tcb();
  sf_rtt_sample(&tcb, &linux_p, 10 * MS);
  ck_assert_uint_eq(tcb.rto_us, 210 * MS);
}
END_TEST

START_TEST(test_linux_rto_is_srtt_plus_four_rttvar_above_rto_min) {
  struct sf_tcb tcb = fresh_tcb();
  sf_rtt_sample(&tcb, &linux_p, 300 * MS);
  ck_assert_uint_eq(tcb.rto_us, 900 * MS);
}
END_TEST

START_TEST(test_rto_is_capped_at_rto_max) {
  /* RFC 6298 2.5 */
  struct sf_tcb tcb = fresh_tcb();
  sf_rtt_sample(&tcb, &linux_p, 60 * SEC);
  ck_assert_uint_eq(tcb.rto_us, 120 * SEC);
  tcb = fresh_tcb();
  sf_rtt_sample(&tcb, &rfc_p, 30 * SEC);
  ck_assert_uint_eq(tcb.rto_us, 60 * SEC);
}
END_TEST

START_TEST(test_backed_off_rto_doubles_per_expiry) {
  /* RFC 6298 5.5 */
  struct sf_tcb tcb = fresh_tcb();
  tcb.rto_us = 300 * MS;
  for (uint32_t b = 0; b < 4; b++) {
    tcb.backoff = b;
    ck_assert_uint_eq(sf_rto_backed_off(&tcb, &linux_p), (300 * MS) << b);
  }
}
END_TEST

START_TEST(test_backed_off_rto_is_capped_at_rto_max) {
  struct sf_tcb tcb = fresh_tcb();
  tcb.rto_us = 1 * SEC;
  tcb.backoff = 10;
  ck_assert_uint_eq(sf_rto_backed_off(&tcb, &linux_p), 120 * SEC);
  tcb.backoff = 40; /* no overflow however long it backs off */
  ck_assert_uint_eq(sf_rto_backed_off(&tcb, &rfc_p), 60 * SEC);
}
END_TEST

START_TEST(test_valid_rtt_sample_collapses_the_backoff) {
  /* RFC 6298 5: a new measurement recomputes RTO, undoing the backoff */
  struct sf_tcb tcb = fresh_tcb();
  sf_rtt_sample(&tcb, &linux_p, 100 * MS);
  tcb.backoff = 3;
  sf_rtt_sample(&tcb, &linux_p, 100 * MS);
  ck_assert_uint_eq(tcb.backoff, 0);
  ck_assert_uint_eq(sf_rto_backed_off(&tcb, &linux_p), tcb.rto_us);
}
END_TEST

/* ---- RFC 5681 arithmetic ---- */

START_TEST(test_linux_initial_window_is_ten_segments) {
  /* RFC 6928, Linux TCP_INIT_CWND */
  ck_assert_uint_eq(sf_cc_initial_window(&linux_p, 1460), 14600);
  ck_assert_uint_eq(sf_cc_initial_window(&linux_p, 1448), 14480);
}
END_TEST

START_TEST(test_rfc_initial_window_is_two_segments_above_2190_bytes) {
  /* RFC 5681 3.1 equation 1 */
  ck_assert_uint_eq(sf_cc_initial_window(&rfc_p, 2191), 2 * 2191);
  ck_assert_uint_eq(sf_cc_initial_window(&rfc_p, 8960), 2 * 8960);
}
END_TEST

START_TEST(test_rfc_initial_window_is_three_segments_from_1096_to_2190) {
  ck_assert_uint_eq(sf_cc_initial_window(&rfc_p, 2190), 3 * 2190);
  ck_assert_uint_eq(sf_cc_initial_window(&rfc_p, 1460), 3 * 1460);
  ck_assert_uint_eq(sf_cc_initial_window(&rfc_p, 1096), 3 * 1096);
}
END_TEST

START_TEST(test_rfc_initial_window_is_four_segments_up_to_1095) {
  ck_assert_uint_eq(sf_cc_initial_window(&rfc_p, 1095), 4 * 1095);
  ck_assert_uint_eq(sf_cc_initial_window(&rfc_p, 536), 4 * 536);
}
END_TEST

START_TEST(test_slow_start_grows_cwnd_by_the_bytes_acked) {
  /* RFC 5681 3.1 equation 2 */
  struct sf_tcb tcb = fresh_tcb();
  tcb.cwnd = 14600;
  tcb.ssthresh = UINT32_MAX;
  sf_cc_on_ack(&tcb, 1460, 1460, 1);
  ck_assert_uint_eq(tcb.cwnd, 16060);
  sf_cc_on_ack(&tcb, 500, 1460, 1);
  ck_assert_uint_eq(tcb.cwnd, 16560);
}
END_TEST

START_TEST(test_slow_start_grows_at_most_one_smss_per_ack) {
  /* RFC 5681 3.1: cwnd += min(N, SMSS) */
  struct sf_tcb tcb = fresh_tcb();
  tcb.cwnd = 14600;
  tcb.ssthresh = UINT32_MAX;
  sf_cc_on_ack(&tcb, 4380, 1460, 1);
  ck_assert_uint_eq(tcb.cwnd, 16060);
}
END_TEST

START_TEST(test_linux_slow_start_grows_by_every_segment_acked) {
  /* Linux (tcp_slow_start): ss_max_segs 0, no limit per ACK; a partial
   * segment counts as one; past ssthresh the rest goes to avoidance */
  struct sf_tcb tcb = fresh_tcb();
  tcb.cwnd = 14600;
  tcb.ssthresh = UINT32_MAX;
  sf_cc_on_ack(&tcb, 4380, 1460, 0);
  ck_assert_uint_eq(tcb.cwnd, 18980);
  sf_cc_on_ack(&tcb, 100, 1460, 0);
  ck_assert_uint_eq(tcb.cwnd, 20440);
  tcb.ssthresh = 21900;
  sf_cc_on_ack(&tcb, 4380, 1460, 0);
  ck_assert_uint_eq(tcb.cwnd, 21900);
}
END_TEST

START_TEST(test_linux_ack_of_the_initial_window_doubles_it) {
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  set_sndbuf(c.fd, 65536);
  tu_write_n(&t, c.fd, 60000);
  tu_drain(&t);
  c.ack += 14600;
  tu_conn_send(&t, &c, TH_ACK, 0);
  ck_assert_uint_eq(tu_info(&t, c.fd).cwnd, 29200);
  ck_assert_uint_eq(tu_pending(&t), 20);
  tu_drain(&t);
}
END_TEST

START_TEST(test_congestion_avoidance_adds_one_smss_per_window_acked) {
  /* RFC 5681 3.1 (byte counting, RFC 3465) */
  struct sf_tcb tcb = fresh_tcb();
  tcb.cwnd = 14600;
  tcb.ssthresh = 10000;
  for (int i = 0; i < 9; i++) {
    sf_cc_on_ack(&tcb, 1460, 1460, 1);
    ck_assert_uint_eq(tcb.cwnd, 14600);
  }
  sf_cc_on_ack(&tcb, 1460, 1460, 1);
  ck_assert_uint_eq(tcb.cwnd, 16060);
}
END_TEST

START_TEST(test_rto_sets_ssthresh_to_half_the_flight_and_cwnd_to_one_smss) {
  /* RFC 5681 3.1 equations 4 and the loss window */
  struct sf_tcb tcb = fresh_tcb();
  tcb.cwnd = 30000;
  tcb.ssthresh = UINT32_MAX;
  sf_cc_on_rto(&tcb, 20000, 1460);
  ck_assert_uint_eq(tcb.ssthresh, 10000);
  ck_assert_uint_eq(tcb.cwnd, 1460);
}
END_TEST

START_TEST(test_rto_ssthresh_is_at_least_two_smss) {
  struct sf_tcb tcb = fresh_tcb();
  tcb.cwnd = 14600;
  sf_cc_on_rto(&tcb, 2000, 1460);
  ck_assert_uint_eq(tcb.ssthresh, 2920);
}
END_TEST

START_TEST(test_fast_recovery_sets_cwnd_to_ssthresh_plus_three_smss) {
  /* RFC 5681 3.2 steps 2 and 3 */
  struct sf_tcb tcb = fresh_tcb();
  tcb.cwnd = 14600;
  tcb.snd_max = 123456;
  sf_cc_enter_recovery(&tcb, 14600, 1460);
  ck_assert_uint_eq(tcb.ssthresh, 7300);
  ck_assert_uint_eq(tcb.cwnd, 7300 + 3 * 1460);
  ck_assert(tcb.in_recovery);
  ck_assert_uint_eq(tcb.recover, 123456); /* RFC 6582 3.2 step 2 */
}
END_TEST

START_TEST(test_cwnd_does_not_grow_on_acks_during_recovery) {
  struct sf_tcb tcb = fresh_tcb();
  sf_cc_enter_recovery(&tcb, 14600, 1460);
  uint32_t cwnd = tcb.cwnd;
  sf_cc_on_ack(&tcb, 1460, 1460, 1);
  ck_assert_uint_eq(tcb.cwnd, cwnd);
}
END_TEST

START_TEST(test_leaving_recovery_deflates_cwnd_to_ssthresh) {
  /* RFC 5681 3.2 step 6 */
  struct sf_tcb tcb = fresh_tcb();
  sf_cc_enter_recovery(&tcb, 14600, 1460);
  tcb.cwnd += 5 * 1460;
  sf_cc_exit_recovery(&tcb);
  ck_assert_uint_eq(tcb.cwnd, 7300);
  ck_assert(!tcb.in_recovery);
}
END_TEST

/* ---- RTT and RTO end to end ---- */

START_TEST(test_handshake_ack_gives_the_first_rtt_sample) {
  struct tu_conn c;
  tu_open_passive_rtt(&t, &c, tu_opts_mss, sizeof(tu_opts_mss), 100 * MS);
  sf_tcp_info i = tu_info(&t, c.fd);
  ck_assert_uint_eq(i.srtt_us, 100 * MS);
  ck_assert_uint_eq(i.rttvar_us, 50 * MS);
  ck_assert_uint_eq(i.rto_us, 300 * MS); /* 100 + max(200, 4 * 50) */
}
END_TEST

START_TEST(test_ack_of_data_gives_a_later_rtt_sample) {
  struct tu_conn c;
  tu_open_passive_rtt(&t, &c, tu_opts_mss, sizeof(tu_opts_mss), 100 * MS);
  tu_write_n(&t, c.fd, 100);
  tu_drain(&t);
  tu_advance(&t, 200 * MS);
  c.ack += 100;
  tu_conn_send(&t, &c, TH_ACK, 0);
  sf_tcp_info i = tu_info(&t, c.fd);
  ck_assert_uint_eq(i.srtt_us, 112500);
  ck_assert_uint_eq(i.rttvar_us, 62500);
  ck_assert_uint_eq(i.rto_us, 112500 + 250000);
}
END_TEST

START_TEST(test_rto_before_any_rtt_sample_is_one_second) {
  /* RFC 6298 2.1 */
  int fd = tu_connect(&t);
  ck_assert_uint_eq(tu_info(&t, fd).rto_us, 1 * SEC);
  struct tu_out o;
  tu_pop(&t, &o);
  tu_advance(&t, 1 * SEC - 1);
  tu_expect_silence(&t);
  tu_advance(&t, 1);
  tu_pop(&t, &o);
  ck_assert_uint_eq(o.flags, TH_SYN);
  ck_assert_uint_eq(o.t_us, 1 * SEC);
}
END_TEST

START_TEST(test_data_is_retransmitted_when_the_rto_expires) {
  /* RFC 6298 5.4 */
  struct tu_conn c;
  tu_open_passive_rtt(&t, &c, tu_opts_mss, sizeof(tu_opts_mss), 100 * MS);
  uint64_t t0 = t.now;
  tu_write_n(&t, c.fd, 100);
  tu_conn_expect_at(&t, &c, TH_ACK | TH_PSH, 1, 1, 100, t0);
  tu_advance(&t, 300 * MS - 1);
  tu_expect_silence(&t);
  tu_advance(&t, 1);
  tu_conn_expect_at(&t, &c, TH_ACK | TH_PSH, 1, 1, 100, t0 + 300 * MS);
  ck_assert_uint_eq(sf_stack_stats(t.st)->tcp_rto_expired, 1);
}
END_TEST

START_TEST(test_rto_doubles_on_each_expiry) {
  /* RFC 6298 5.5 */
  struct tu_conn c;
  tu_open_passive_rtt(&t, &c, tu_opts_mss, sizeof(tu_opts_mss), 100 * MS);
  uint64_t t0 = t.now;
  tu_write_n(&t, c.fd, 100);
  tu_drain(&t);
  tu_advance(&t, 5 * SEC);
  tu_conn_expect_at(&t, &c, TH_ACK | TH_PSH, 1, 1, 100, t0 + 300 * MS);
  tu_conn_expect_at(&t, &c, TH_ACK | TH_PSH, 1, 1, 100, t0 + 900 * MS);
  tu_conn_expect_at(&t, &c, TH_ACK | TH_PSH, 1, 1, 100, t0 + 2100 * MS);
  tu_conn_expect_at(&t, &c, TH_ACK | TH_PSH, 1, 1, 100, t0 + 4500 * MS);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_backed_off_rto_stops_doubling_at_rto_max) {
  /* RFC 6298 2.5, 5.5 */
  struct tu_conn c;
  tu_open_passive_rtt(&t, &c, tu_opts_mss, sizeof(tu_opts_mss), 100 * MS);
  tu_profile_set(&t, "rto_max_us", 1 * SEC);
  uint64_t t0 = t.now;
  tu_write_n(&t, c.fd, 100);
  tu_drain(&t);
  tu_advance(&t, 3 * SEC);
  tu_conn_expect_at(&t, &c, TH_ACK | TH_PSH, 1, 1, 100, t0 + 300 * MS);
  tu_conn_expect_at(&t, &c, TH_ACK | TH_PSH, 1, 1, 100, t0 + 900 * MS);
  tu_conn_expect_at(&t, &c, TH_ACK | TH_PSH, 1, 1, 100, t0 + 1900 * MS);
  tu_conn_expect_at(&t, &c, TH_ACK | TH_PSH, 1, 1, 100, t0 + 2900 * MS);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_rfc_rto_of_the_first_sample_is_one_second) {
  /* RFC 6298 2.4: a 100 ms sample gives 300 ms, raised to 1 s */
  struct tu_conn c;
  tu_open_passive_rtt(&t, &c, tu_opts_mss, sizeof(tu_opts_mss), 100 * MS);
  uint64_t t0 = t.now;
  tu_write_n(&t, c.fd, 100);
  tu_drain(&t);
  tu_advance(&t, 1 * SEC);
  tu_conn_expect_at(&t, &c, TH_ACK | TH_PSH, 1, 1, 100, t0 + 1 * SEC);
}
END_TEST

START_TEST(test_karn_no_rtt_sample_from_a_retransmitted_segment) {
  /* RFC 6298 3 */
  struct tu_conn c;
  tu_open_passive_rtt(&t, &c, tu_opts_mss, sizeof(tu_opts_mss), 100 * MS);
  tu_write_n(&t, c.fd, 100);
  tu_advance(&t, 300 * MS);
  tu_drain(&t);
  tu_advance(&t, 50 * MS);
  c.ack += 100;
  tu_conn_send(&t, &c, TH_ACK, 0);
  sf_tcp_info i = tu_info(&t, c.fd);
  ck_assert_uint_eq(i.srtt_us, 100 * MS);
  ck_assert_uint_eq(i.rttvar_us, 50 * MS);
}
END_TEST

START_TEST(test_backoff_is_kept_until_a_valid_rtt_sample) {
  /* RFC 6298 5 (and Linux's "only reset backoff on valid RTT
   * measurement"): without timestamps the ACK of a retransmission gives no
   * sample, so the next segment still waits the doubled RTO */
  struct tu_conn c;
  tu_open_passive_rtt(&t, &c, tu_opts_mss, sizeof(tu_opts_mss), 100 * MS);
  tu_write_n(&t, c.fd, 100);
  tu_advance(&t, 300 * MS);
  tu_drain(&t);
  tu_advance(&t, 50 * MS);
  c.ack += 100;
  tu_conn_send(&t, &c, TH_ACK, 0);
  uint64_t t1 = t.now;
  tu_write_n(&t, c.fd, 100);
  tu_conn_expect_at(&t, &c, TH_ACK | TH_PSH, 101, 1, 100, t1);
  tu_advance(&t, 600 * MS - 1);
  tu_expect_silence(&t);
  tu_advance(&t, 1);
  tu_conn_expect_at(&t, &c, TH_ACK | TH_PSH, 101, 1, 100, t1 + 600 * MS);
}
END_TEST

START_TEST(test_backoff_resets_on_a_new_ack_with_timestamps) {
  /* RFC 7323 4.2: the echoed timestamp times the retransmission (50 ms):
   * SRTT 93.75 ms, RTTVAR 50 ms, RTO 293.75 ms and no backoff */
  struct tu_conn c;
  tu_open_passive_rtt(&t, &c, tu_opts_full, sizeof(tu_opts_full), 100 * MS);
  tu_write_n(&t, c.fd, 100);
  tu_advance(&t, 300 * MS);
  struct tu_out o;
  tu_conn_pop(&t, &c, &o);
  tu_conn_pop(&t, &c, &o); /* the retransmission; its TSval is echoed */
  tu_advance(&t, 50 * MS);
  c.ack += 100;
  tu_conn_send(&t, &c, TH_ACK, 0);
  ck_assert_uint_eq(tu_info(&t, c.fd).rto_us, 293750);
  uint64_t t1 = t.now;
  tu_write_n(&t, c.fd, 100);
  tu_drain(&t);
  tu_advance(&t, 293750);
  tu_conn_expect_at(&t, &c, TH_ACK | TH_PSH, 101, 1, 100, t1 + 293750);
}
END_TEST

START_TEST(test_retries2_exhausted_gives_up_with_etimedout) {
  /* RFC 9293 3.8.3 (MUST-20): R2 retransmissions, then the connection is
   * closed and the application told (ETIMEDOUT); no RST (Linux) */
  struct tu_conn c;
  tu_open_passive_rtt(&t, &c, tu_opts_mss, sizeof(tu_opts_mss), 100 * MS);
  tu_profile_set(&t, "retries2", 3);
  uint64_t t0 = t.now;
  tu_write_n(&t, c.fd, 100);
  tu_drain(&t);
  tu_advance(&t, 4500 * MS - 1);
  tu_conn_expect_at(&t, &c, TH_ACK | TH_PSH, 1, 1, 100, t0 + 300 * MS);
  tu_conn_expect_at(&t, &c, TH_ACK | TH_PSH, 1, 1, 100, t0 + 900 * MS);
  tu_conn_expect_at(&t, &c, TH_ACK | TH_PSH, 1, 1, 100, t0 + 2100 * MS);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_ESTABLISHED);
  tu_advance(&t, 1);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_CLOSED);
  ck_assert_int_eq(sf_write(t.st, c.fd, "x", 1), -ETIMEDOUT);
}
END_TEST

START_TEST(test_user_timeout_gives_up_before_retries2) {
  /* RFC 9293 MUST-21, RFC 5482: TCP_USER_TIMEOUT bounds how long data stays
   * unacknowledged (counted from when it was sent); Linux clamps the last
   * RTO to end exactly then */
  tu_profile_set(&t, "user_timeout_from_rexmit", 0);
  struct tu_conn c;
  tu_open_passive_rtt(&t, &c, tu_opts_mss, sizeof(tu_opts_mss), 100 * MS);
  int ut = 1000;
  ck_assert_int_eq(
      sf_setsockopt(t.st, c.fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ut, sizeof(ut)),
      0);
  uint64_t t0 = t.now;
  tu_write_n(&t, c.fd, 100);
  tu_drain(&t);
  tu_advance(&t, 1 * SEC - 1);
  tu_conn_expect_at(&t, &c, TH_ACK | TH_PSH, 1, 1, 100, t0 + 300 * MS);
  tu_conn_expect_at(&t, &c, TH_ACK | TH_PSH, 1, 1, 100, t0 + 900 * MS);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_ESTABLISHED);
  tu_advance(&t, 1);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_CLOSED);
  ck_assert_int_eq(sf_write(t.st, c.fd, "x", 1), -ETIMEDOUT);
}
END_TEST

START_TEST(test_linux_user_timeout_counts_from_the_first_retransmission) {
  /* Linux (retrans_stamp): data sent at 0, retransmitted at 300 ms: the
   * 1000 ms end at 1.3 s (the third RTO, due at 2.1 s, is clamped) */
  struct tu_conn c;
  tu_open_passive_rtt(&t, &c, tu_opts_mss, sizeof(tu_opts_mss), 100 * MS);
  int ut = 1000;
  ck_assert_int_eq(
      sf_setsockopt(t.st, c.fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ut, sizeof(ut)),
      0);
  uint64_t t0 = t.now;
  tu_write_n(&t, c.fd, 100);
  tu_drain(&t);
  tu_advance(&t, 1300 * MS - 1);
  tu_conn_expect_at(&t, &c, TH_ACK | TH_PSH, 1, 1, 100, t0 + 300 * MS);
  tu_conn_expect_at(&t, &c, TH_ACK | TH_PSH, 1, 1, 100, t0 + 900 * MS);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_ESTABLISHED);
  tu_advance(&t, 1);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_CLOSED);
}
END_TEST

START_TEST(test_shrunk_window_retransmissions_do_not_count_against_r2) {
  /* RFC 9293 MUST-37, Linux (tcp_retransmit_timer): the peer ACKs each
   * retransmission with a zero window; R2 (2 here) does not end it */
  struct tu_conn c;
  tu_open_passive_rtt(&t, &c, tu_opts_mss, sizeof(tu_opts_mss), 100 * MS);
  tu_profile_set(&t, "retries2", 2);
  tu_write_n(&t, c.fd, 3000);
  tu_drain(&t);
  c.ack += 1460;
  c.win = 0;
  tu_send_tcp(&t, &(struct tu_seg){.sport = c.rport,
                                   .dport = c.lport,
                                   .seq = c.seq,
                                   .ack = c.ack,
                                   .flags = TH_ACK,
                                   .win_zero = true});
  for (int i = 0; i < 5; i++) {
    tu_advance(&t, sf_stack_next_deadline(t.st) - t.now);
    tu_conn_expect(&t, &c, TH_ACK, 1461, 1, 1460);
    tu_send_tcp(&t, &(struct tu_seg){.sport = c.rport,
                                     .dport = c.lport,
                                     .seq = c.seq,
                                     .ack = c.ack,
                                     .flags = TH_ACK,
                                     .win_zero = true});
  }
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_ESTABLISHED);
}
END_TEST

/* ---- congestion control end to end ---- */

START_TEST(test_linux_sends_an_initial_window_of_ten_segments) {
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  set_sndbuf(c.fd, 32768);
  tu_write_n(&t, c.fd, 20000);
  /* Linux: in two bursts of half the window (tcp_cwnd_test), each ending
   * with PSH, as the kernel sends them after a short handshake */
  for (uint32_t i = 0; i < 10; i++)
    tu_conn_expect(&t, &c, i == 4 || i == 9 ? TH_ACK | TH_PSH : TH_ACK,
                   1 + 1460 * i, 1, 1460);
  tu_expect_silence(&t);
  ck_assert_uint_eq(tu_info(&t, c.fd).cwnd, 14600);
}
END_TEST

START_TEST(test_rfc_sends_an_initial_window_of_three_1460_byte_segments) {
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  tu_write_n(&t, c.fd, 10000);
  for (uint32_t i = 0; i < 3; i++)
    tu_conn_expect(&t, &c, TH_ACK, 1 + 1460 * i, 1, 1460);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_rfc_sends_an_initial_window_of_four_1000_byte_segments) {
  const uint8_t mss1000[] = {2, 4, 0x03, 0xe8};
  struct tu_conn c;
  tu_open_passive(&t, &c, mss1000, sizeof(mss1000));
  tu_write_n(&t, c.fd, 10000);
  for (uint32_t i = 0; i < 4; i++)
    tu_conn_expect(&t, &c, TH_ACK, 1 + 1000 * i, 1, 1000);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_rfc_sends_an_initial_window_of_two_large_segments) {
  tu_restart(&t, SF_PROFILE_RFC, 9000);
  const uint8_t mss4000[] = {2, 4, 0x0f, 0xa0};
  struct tu_conn c;
  tu_open_passive(&t, &c, mss4000, sizeof(mss4000));
  tu_write_n(&t, c.fd, 16000);
  tu_conn_expect(&t, &c, TH_ACK, 1, 1, 4000);
  tu_conn_expect(&t, &c, TH_ACK, 4001, 1, 4000);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_slow_start_ack_of_one_segment_releases_two) {
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  set_sndbuf(c.fd, 32768);
  tu_write_n(&t, c.fd, 30000);
  tu_drain(&t);
  c.ack += 1460;
  tu_conn_send(&t, &c, TH_ACK, 0);
  tu_conn_expect(&t, &c, TH_ACK, 14601, 1, 1460);
  tu_conn_expect(&t, &c, TH_ACK | TH_PSH, 16061, 1, 1460); /* burst's end */
  tu_expect_silence(&t);
  ck_assert_uint_eq(tu_info(&t, c.fd).cwnd, 16060);
}
END_TEST

START_TEST(test_rto_resends_one_segment_and_halves_ssthresh) {
  /* RFC 5681 3.1: ssthresh = max(FlightSize / 2, 2 * SMSS), cwnd = 1 SMSS */
  struct tu_conn c;
  tu_open_passive_rtt(&t, &c, tu_opts_mss, sizeof(tu_opts_mss), 100 * MS);
  tu_write_n(&t, c.fd, 14600);
  tu_drain(&t);
  tu_advance(&t, 300 * MS);
  tu_conn_expect(&t, &c, TH_ACK, 1, 1, 1460);
  tu_expect_silence(&t);
  sf_tcp_info i = tu_info(&t, c.fd);
  ck_assert_uint_eq(i.cwnd, 1460);
  ck_assert_uint_eq(i.ssthresh, 7300);
}
END_TEST

START_TEST(test_after_an_rto_slow_start_resends_two_segments_per_ack) {
  struct tu_conn c;
  tu_open_passive_rtt(&t, &c, tu_opts_mss, sizeof(tu_opts_mss), 100 * MS);
  tu_write_n(&t, c.fd, 14600);
  tu_drain(&t);
  tu_advance(&t, 300 * MS);
  tu_drain(&t);
  c.ack += 1460;
  tu_conn_send(&t, &c, TH_ACK, 0);
  tu_conn_expect(&t, &c, TH_ACK, 1461, 1, 1460);
  tu_conn_expect(&t, &c, TH_ACK, 2921, 1, 1460);
  tu_expect_silence(&t);
}
END_TEST

/* Ten segments in flight, then n duplicate ACKs of the first. */
static void ten_in_flight_then_dupacks(struct tu_conn *c, int n) {
  tu_open_passive(&t, c, tu_opts_mss, sizeof(tu_opts_mss));
  set_sndbuf(c->fd, 32768);
  tu_write_n(&t, c->fd, 14600);
  tu_drain(&t);
  for (int i = 0; i < n; i++)
    tu_conn_send(&t, c, TH_ACK, 0);
}

START_TEST(test_two_duplicate_acks_do_not_retransmit) {
  struct tu_conn c;
  ten_in_flight_then_dupacks(&c, 2);
  tu_expect_silence(&t);
  ck_assert_uint_eq(tu_info(&t, c.fd).dupacks, 2);
}
END_TEST

START_TEST(test_third_duplicate_ack_triggers_fast_retransmit) {
  /* RFC 5681 3.2 step 2-3 */
  struct tu_conn c;
  ten_in_flight_then_dupacks(&c, 3);
  tu_conn_expect(&t, &c, TH_ACK, 1, 1, 1460);
  tu_expect_silence(&t);
  sf_tcp_info i = tu_info(&t, c.fd);
  ck_assert_uint_eq(i.ssthresh, 7300);
  ck_assert_uint_eq(i.cwnd, 7300 + 3 * 1460);
  ck_assert_uint_eq(sf_stack_stats(t.st)->tcp_fast_retransmit, 1);
}
END_TEST

START_TEST(test_each_further_duplicate_ack_inflates_cwnd) {
  /* RFC 5681 3.2 step 4 */
  struct tu_conn c;
  ten_in_flight_then_dupacks(&c, 4);
  tu_conn_expect(&t, &c, TH_ACK, 1, 1, 1460);
  tu_expect_silence(&t);
  ck_assert_uint_eq(tu_info(&t, c.fd).cwnd, 7300 + 4 * 1460);
}
END_TEST

START_TEST(test_inflated_window_sends_new_data_during_recovery) {
  /* RFC 5681 3.2 step 4: transmit a segment if cwnd and rwnd allow */
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  set_sndbuf(c.fd, 32768);
  tu_write_n(&t, c.fd, 20000);
  tu_drain(&t);
  for (int i = 0; i < 5; i++)
    tu_conn_send(&t, &c, TH_ACK, 0);
  tu_conn_expect(&t, &c, TH_ACK, 1, 1, 1460);
  tu_expect_silence(&t); /* cwnd 14600 = the flight */
  tu_conn_send(&t, &c, TH_ACK, 0);
  tu_conn_expect(&t, &c, TH_ACK | TH_PSH, 14601, 1, 1460); /* a burst */
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_full_ack_ends_recovery_with_cwnd_at_ssthresh) {
  /* RFC 5681 3.2 step 6 */
  struct tu_conn c;
  ten_in_flight_then_dupacks(&c, 5);
  tu_drain(&t);
  c.ack += 14600;
  tu_conn_send(&t, &c, TH_ACK, 0);
  sf_tcp_info i = tu_info(&t, c.fd);
  ck_assert_uint_eq(i.cwnd, 7300);
  ck_assert_uint_eq(i.ssthresh, 7300);
}
END_TEST

START_TEST(test_newreno_partial_ack_retransmits_the_next_hole) {
  /* RFC 6582 3.2 step 5: retransmit the first unacknowledged segment,
   * deflate by the amount acked, add back one SMSS */
  struct tu_conn c;
  ten_in_flight_then_dupacks(&c, 3);
  tu_conn_expect(&t, &c, TH_ACK, 1, 1, 1460);
  c.ack += 4 * 1460;
  tu_conn_send(&t, &c, TH_ACK, 0);
  tu_conn_expect(&t, &c, TH_ACK, 4 * 1460 + 1, 1, 1460);
  tu_expect_silence(&t);
  sf_tcp_info i = tu_info(&t, c.fd);
  ck_assert_uint_eq(i.cwnd, 7300 + 3 * 1460 - 4 * 1460 + 1460);
}
END_TEST

START_TEST(test_segment_carrying_data_is_not_a_duplicate_ack) {
  /* RFC 5681 2: a duplicate ACK carries no data */
  struct tu_conn c;
  ten_in_flight_then_dupacks(&c, 0);
  for (int i = 0; i < 3; i++) {
    tu_conn_send(&t, &c, TH_ACK, 10);
    tu_conn_expect(&t, &c, TH_ACK, 14601, 11 + 10 * (uint32_t)i, 0);
  }
  tu_expect_silence(&t);
  ck_assert_uint_eq(tu_info(&t, c.fd).dupacks, 0);
}
END_TEST

START_TEST(test_window_update_is_not_a_duplicate_ack) {
  /* RFC 5681 2: a duplicate ACK leaves the advertised window unchanged */
  struct tu_conn c;
  ten_in_flight_then_dupacks(&c, 0);
  for (uint16_t i = 0; i < 3; i++) {
    c.win = (uint16_t)(60000 - 1000 * i);
    tu_conn_send(&t, &c, TH_ACK, 0);
  }
  tu_expect_silence(&t);
  ck_assert_uint_eq(tu_info(&t, c.fd).dupacks, 0);
}
END_TEST

START_TEST(test_ack_with_nothing_outstanding_is_not_a_duplicate_ack) {
  /* RFC 5681 2 (a): the sender has outstanding data */
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  for (int i = 0; i < 4; i++)
    tu_conn_send(&t, &c, TH_ACK, 0);
  tu_expect_silence(&t);
  ck_assert_uint_eq(tu_info(&t, c.fd).dupacks, 0);
}
END_TEST

Suite *tu_suite(void) {
  Suite *s = suite_create("tcp_rtt_cc");
  TCase *a = tcase_create("arithmetic");
  tcase_add_checked_fixture(a, setup_linux, teardown);
  tcase_add_test(a, test_first_rtt_sample_sets_srtt_to_r_and_rttvar_to_half_r);
  tcase_add_test(a, test_later_sample_updates_rttvar_with_old_srtt_then_srtt);
  tcase_add_test(a, test_rfc_rto_is_srtt_plus_four_rttvar);
  tcase_add_test(a, test_rfc_rto_is_at_least_one_second);
  tcase_add_test(a,
                 test_rfc_rto_variance_term_is_at_least_the_clock_granularity);
  tcase_add_test(a, test_linux_rto_floors_the_variance_term_at_rto_min);
  tcase_add_test(a, test_linux_rto_is_srtt_plus_four_rttvar_above_rto_min);
  tcase_add_test(a, test_rto_is_capped_at_rto_max);
  tcase_add_test(a, test_backed_off_rto_doubles_per_expiry);
  tcase_add_test(a, test_backed_off_rto_is_capped_at_rto_max);
  tcase_add_test(a, test_valid_rtt_sample_collapses_the_backoff);
  tcase_add_test(a, test_linux_initial_window_is_ten_segments);
  tcase_add_test(a, test_rfc_initial_window_is_two_segments_above_2190_bytes);
  tcase_add_test(a,
                 test_rfc_initial_window_is_three_segments_from_1096_to_2190);
  tcase_add_test(a, test_rfc_initial_window_is_four_segments_up_to_1095);
  tcase_add_test(a, test_slow_start_grows_cwnd_by_the_bytes_acked);
  tcase_add_test(a, test_slow_start_grows_at_most_one_smss_per_ack);
  tcase_add_test(a, test_congestion_avoidance_adds_one_smss_per_window_acked);
  tcase_add_test(
      a, test_rto_sets_ssthresh_to_half_the_flight_and_cwnd_to_one_smss);
  tcase_add_test(a, test_rto_ssthresh_is_at_least_two_smss);
  tcase_add_test(a, test_fast_recovery_sets_cwnd_to_ssthresh_plus_three_smss);
  tcase_add_test(a, test_cwnd_does_not_grow_on_acks_during_recovery);
  tcase_add_test(a, test_leaving_recovery_deflates_cwnd_to_ssthresh);
  suite_add_tcase(s, a);

  TCase *l = tcase_create("linux");
  tcase_add_checked_fixture(l, setup_linux, teardown);
  tcase_add_test(l, test_handshake_ack_gives_the_first_rtt_sample);
  tcase_add_test(l, test_ack_of_data_gives_a_later_rtt_sample);
  tcase_add_test(l, test_rto_before_any_rtt_sample_is_one_second);
  tcase_add_test(l, test_data_is_retransmitted_when_the_rto_expires);
  tcase_add_test(l, test_rto_doubles_on_each_expiry);
  tcase_add_test(l, test_backed_off_rto_stops_doubling_at_rto_max);
  tcase_add_test(l, test_karn_no_rtt_sample_from_a_retransmitted_segment);
  tcase_add_test(l, test_backoff_is_kept_until_a_valid_rtt_sample);
  tcase_add_test(l, test_backoff_resets_on_a_new_ack_with_timestamps);
  tcase_add_test(l, test_retries2_exhausted_gives_up_with_etimedout);
  tcase_add_test(l, test_user_timeout_gives_up_before_retries2);
  tcase_add_test(l,
                 test_linux_user_timeout_counts_from_the_first_retransmission);
  tcase_add_test(l, test_shrunk_window_retransmissions_do_not_count_against_r2);
  tcase_add_test(l, test_linux_sends_an_initial_window_of_ten_segments);
  tcase_add_test(l, test_slow_start_ack_of_one_segment_releases_two);
  tcase_add_test(l, test_linux_slow_start_grows_by_every_segment_acked);
  tcase_add_test(l, test_linux_ack_of_the_initial_window_doubles_it);
  tcase_add_test(l, test_rto_resends_one_segment_and_halves_ssthresh);
  tcase_add_test(l, test_after_an_rto_slow_start_resends_two_segments_per_ack);
  tcase_add_test(l, test_two_duplicate_acks_do_not_retransmit);
  tcase_add_test(l, test_third_duplicate_ack_triggers_fast_retransmit);
  tcase_add_test(l, test_each_further_duplicate_ack_inflates_cwnd);
  tcase_add_test(l, test_inflated_window_sends_new_data_during_recovery);
  tcase_add_test(l, test_full_ack_ends_recovery_with_cwnd_at_ssthresh);
  tcase_add_test(l, test_newreno_partial_ack_retransmits_the_next_hole);
  tcase_add_test(l, test_segment_carrying_data_is_not_a_duplicate_ack);
  tcase_add_test(l, test_window_update_is_not_a_duplicate_ack);
  tcase_add_test(l, test_ack_with_nothing_outstanding_is_not_a_duplicate_ack);
  suite_add_tcase(s, l);

  TCase *r = tcase_create("rfc");
  tcase_add_checked_fixture(r, setup_rfc, teardown);
  tcase_add_test(r, test_rfc_rto_of_the_first_sample_is_one_second);
  tcase_add_test(r,
                 test_rfc_sends_an_initial_window_of_three_1460_byte_segments);
  tcase_add_test(r,
                 test_rfc_sends_an_initial_window_of_four_1000_byte_segments);
  tcase_add_test(r, test_rfc_sends_an_initial_window_of_two_large_segments);
  suite_add_tcase(s, r);
  return s;
}
