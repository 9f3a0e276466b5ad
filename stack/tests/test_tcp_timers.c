/* TCP timers in exact virtual time: SYN and SYN-ACK retransmission, the RTO
 * after a retransmitted SYN (RFC 6298 5.7), zero-window probing (RFC 9293
 * 3.8.6.1), the ACK policy and delayed ACKs (RFC 9293 3.8.6.3, RFC 5681
 * 4.2, RFC 2018) and keep-alives (RFC 9293 3.8.4). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <string.h>

#include "tcp.h"
#include "test_util.h"

#define MS 1000u
#define SEC 1000000ull

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

static void expect_syn_at(uint8_t flags, uint32_t seq, uint64_t at) {
  struct tu_out o;
  tu_pop(&t, &o);
  ck_assert_uint_eq(o.flags, flags);
  ck_assert_uint_eq(o.seq, seq);
  ck_assert_msg(o.t_us == at, "sent at %llu, expected %llu",
                (unsigned long long)o.t_us, (unsigned long long)at);
}

static void set_tcp_opt(int fd, int name, int v) {
  ck_assert_int_eq(sf_setsockopt(t.st, fd, IPPROTO_TCP, name, &v, sizeof(v)),
                   0);
}

static void keepalive_on(int fd) {
  int one = 1;
  ck_assert_int_eq(
      sf_setsockopt(t.st, fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)), 0);
}

/* Sends one in-order data segment per quick ACK and reads the ACKs, so
 * that the next segment meets the delayed-ACK rule. */
static void use_up_quickacks(struct tu_conn *c, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    tu_conn_send(&t, c, TH_ACK, 1);
    tu_conn_expect(&t, c, TH_ACK, 1, c->seq - c->irs, 0);
  }
}

/* A zero window from the peer, then the application writes 100 bytes. */
static void data_behind_zero_window(struct tu_conn *c) {
  tu_open_passive_rtt(&t, c, tu_opts_mss, sizeof(tu_opts_mss), 100 * MS);
  tu_conn_send_seg(&t, c, &(struct tu_seg){.flags = TH_ACK, .win_zero = true});
  tu_write_n(&t, c->fd, 100);
}

/* ---- SYN and SYN-ACK ---- */

START_TEST(test_syn_is_retransmitted_at_1_3_7_15_31_63_seconds) {
  /* RFC 6298 2.1 and 5.5: 1 s, doubling; Linux's tcp_syn_retries 6 */
  int fd = tu_connect(&t);
  struct tu_out syn;
  tu_pop(&t, &syn);
  tu_advance(&t, 63 * SEC);
  const uint64_t at[] = {1, 3, 7, 15, 31, 63};
  for (int i = 0; i < 6; i++)
    expect_syn_at(TH_SYN, syn.seq, at[i] * SEC);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, fd), SF_TCP_SYN_SENT);
}
END_TEST

START_TEST(test_linux_syn_is_retransmitted_1_s_apart_four_times_then_doubling) {
  /* Linux 6.5+ (tcp_syn_linear_timeouts 4): 1, 2, 3, 4 s, then 1 s
   * doubled from the fifth retransmission on; tcp_syn_retries 6 plus the
   * four linear ones */
  int fd = tu_connect(&t);
  struct tu_out syn;
  tu_pop(&t, &syn);
  tu_advance(&t, 67 * SEC);
  const uint64_t at[] = {1, 2, 3, 4, 5, 7, 11, 19, 35, 67};
  for (int i = 0; i < 10; i++)
    expect_syn_at(TH_SYN, syn.seq, at[i] * SEC);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, fd), SF_TCP_SYN_SENT);
}
END_TEST

START_TEST(test_linux_syn_is_given_up_after_the_time_its_retries_take) {
  /* Linux (tcp_model_timeout): tcp_syn_retries 2 allows 1 + 2 + 4 s, which
   * the linear retransmissions use up at the fifth (as the kernel does) */
  tu_profile_set(&t, "syn_retries", 2);
  int fd = tu_connect(&t);
  struct tu_out syn;
  tu_pop(&t, &syn);
  tu_advance(&t, 7 * SEC - 1);
  const uint64_t at[] = {1, 2, 3, 4, 5};
  for (int i = 0; i < 5; i++)
    expect_syn_at(TH_SYN, syn.seq, at[i] * SEC);
  ck_assert_int_eq(tu_state(&t, fd), SF_TCP_SYN_SENT);
  tu_advance(&t, 1);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, fd), SF_TCP_CLOSED);
  ck_assert_int_eq(tu_so_error(&t, fd), ETIMEDOUT);
}
END_TEST

START_TEST(test_synack_is_not_retransmitted_linearly) {
  /* Linux: only a SYN (tcp_retransmit_timer in SYN-SENT) */
  tu_profile_set(&t, "synack_retries", 2);
  tu_listen(&t, 8080, 16);
  tu_send_tcp(&t, &(struct tu_seg){.seq = 1000000, .flags = TH_SYN});
  struct tu_out sa;
  tu_pop(&t, &sa);
  tu_advance(&t, 3 * SEC);
  expect_syn_at(TH_SYN | TH_ACK, sa.seq, 1 * SEC);
  expect_syn_at(TH_SYN | TH_ACK, sa.seq, 3 * SEC);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_connect_gives_up_after_syn_retries_with_etimedout) {
  /* the tenth retransmission at 67 s, then 64 s more */
  int fd = tu_connect(&t);
  tu_advance(&t, 131 * SEC - 1);
  ck_assert_uint_eq(tu_pending(&t), 11);
  tu_drain(&t);
  ck_assert_int_eq(tu_state(&t, fd), SF_TCP_SYN_SENT);
  tu_advance(&t, 1);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, fd), SF_TCP_CLOSED);
  ck_assert_int_eq(tu_so_error(&t, fd), ETIMEDOUT);
}
END_TEST

START_TEST(test_syn_retries_setting_bounds_the_retransmissions) {
  tu_profile_set(&t, "syn_retries", 2);
  tu_profile_set(&t, "syn_linear_timeouts", 0); /* the RFC 6298 doubling */
  int fd = tu_connect(&t);
  struct tu_out syn;
  tu_pop(&t, &syn);
  tu_advance(&t, 10 * SEC);
  expect_syn_at(TH_SYN, syn.seq, 1 * SEC);
  expect_syn_at(TH_SYN, syn.seq, 3 * SEC);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, fd), SF_TCP_CLOSED);
  ck_assert_int_eq(tu_so_error(&t, fd), ETIMEDOUT);
}
END_TEST

START_TEST(test_retransmitted_syn_keeps_its_options) {
  tu_connect(&t);
  struct tu_out a, b;
  tu_pop(&t, &a);
  tu_advance(&t, 1 * SEC);
  tu_pop(&t, &b);
  ck_assert_uint_eq(b.optlen, a.optlen);
  ck_assert_uint_eq(b.mss, 1460);
  ck_assert_uint_eq(b.ws, 8);
  ck_assert(b.sackok && b.has_ts);
  ck_assert_uint_eq(b.ts_val - a.ts_val, 1000);
}
END_TEST

START_TEST(test_synack_is_retransmitted_at_1_3_7_15_31_seconds) {
  /* Linux's tcp_synack_retries 5 */
  tu_listen(&t, 8080, 16);
  tu_send_tcp(&t, &(struct tu_seg){.seq = 1000000,
                                   .flags = TH_SYN,
                                   .opts = tu_opts_mss,
                                   .optlen = sizeof(tu_opts_mss)});
  struct tu_out sa;
  tu_pop(&t, &sa);
  ck_assert_uint_eq(sa.flags, TH_SYN | TH_ACK);
  tu_advance(&t, 62 * SEC);
  const uint64_t at[] = {1, 3, 7, 15, 31};
  for (int i = 0; i < 5; i++)
    expect_syn_at(TH_SYN | TH_ACK, sa.seq, at[i] * SEC);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_listener_forgets_the_connection_after_synack_retries) {
  int lfd = tu_listen(&t, 8080, 16);
  tu_send_tcp(&t, &(struct tu_seg){.seq = 1000000,
                                   .flags = TH_SYN,
                                   .opts = tu_opts_mss,
                                   .optlen = sizeof(tu_opts_mss)});
  struct tu_out sa;
  tu_pop(&t, &sa);
  tu_advance(&t, 63 * SEC);
  tu_drain(&t);
  /* the peer's late ACK finds no connection, only the listener */
  tu_send_tcp(
      &t, &(struct tu_seg){.seq = 1000001, .ack = sa.seq + 1, .flags = TH_ACK});
  struct tu_out r;
  tu_pop(&t, &r);
  ck_assert_uint_eq(r.flags, TH_RST);
  ck_assert_uint_eq(r.seq, sa.seq + 1);
  ck_assert_int_eq(sf_accept(t.st, lfd, NULL, NULL), -EAGAIN);
  ck_assert_int_eq(tu_state(&t, lfd), SF_TCP_LISTEN);
}
END_TEST

START_TEST(test_rto_is_three_seconds_after_a_retransmitted_syn) {
  /* RFC 6298 5.7 */
  int fd = tu_connect(&t);
  struct tu_out syn;
  tu_pop(&t, &syn);
  tu_advance(&t, 1 * SEC);
  tu_pop(&t, &syn);
  tu_advance(&t, 500 * MS);
  tu_send_tcp(&t, &(struct tu_seg){.sport = 8080,
                                   .dport = syn.sport,
                                   .seq = 2000000,
                                   .ack = syn.seq + 1,
                                   .flags = TH_SYN | TH_ACK,
                                   .opts = tu_opts_mss,
                                   .optlen = sizeof(tu_opts_mss)});
  tu_drain(&t);
  ck_assert_int_eq(tu_state(&t, fd), SF_TCP_ESTABLISHED);
  ck_assert_uint_eq(tu_info(&t, fd).rto_us, 3 * SEC);
  tu_write_n(&t, fd, 100);
  tu_drain(&t);
  tu_advance(&t, 3 * SEC - 1);
  tu_expect_silence(&t);
  tu_advance(&t, 1);
  struct tu_out o;
  tu_pop(&t, &o);
  ck_assert_uint_eq(o.seq, syn.seq + 1);
  ck_assert_uint_eq(o.len, 100);
  ck_assert_uint_eq(o.t_us, 4500 * MS);
}
END_TEST

START_TEST(test_rto_is_three_seconds_after_a_retransmitted_synack) {
  /* RFC 6298 5.7, passive side */
  int lfd = tu_listen(&t, 8080, 16);
  tu_send_tcp(&t, &(struct tu_seg){.seq = 1000000,
                                   .flags = TH_SYN,
                                   .opts = tu_opts_mss,
                                   .optlen = sizeof(tu_opts_mss)});
  struct tu_out sa;
  tu_pop(&t, &sa);
  tu_advance(&t, 1 * SEC);
  tu_pop(&t, &sa);
  tu_advance(&t, 200 * MS);
  tu_send_tcp(
      &t, &(struct tu_seg){.seq = 1000001, .ack = sa.seq + 1, .flags = TH_ACK});
  int fd = sf_accept(t.st, lfd, NULL, NULL);
  ck_assert_int_ge(fd, 3);
  ck_assert_uint_eq(tu_info(&t, fd).rto_us, 3 * SEC);
  tu_write_n(&t, fd, 100);
  tu_drain(&t);
  tu_advance(&t, 3 * SEC);
  struct tu_out o;
  tu_pop(&t, &o);
  ck_assert_uint_eq(o.len, 100);
  ck_assert_uint_eq(o.t_us, 4200 * MS);
}
END_TEST

/* ---- zero-window probing ---- */

START_TEST(test_data_behind_a_zero_window_waits_for_a_probe) {
  /* RFC 9293 MUST-36: probing starts one RTO after the data is held */
  struct tu_conn c;
  data_behind_zero_window(&c);
  uint64_t t0 = t.now;
  tu_expect_silence(&t);
  tu_advance(&t, 300 * MS - 1);
  tu_expect_silence(&t);
  tu_advance(&t, 1);
  struct tu_out o;
  tu_conn_pop(&t, &c, &o);
  ck_assert_uint_eq(o.t_us, t0 + 300 * MS);
  ck_assert_uint_eq(sf_stack_stats(t.st)->tcp_persist_probe, 1);
}
END_TEST

START_TEST(test_linux_zero_window_probe_is_empty_at_snd_una_minus_one) {
  /* Linux (tcp_xmit_probe_skb): an old sequence number draws an ACK */
  struct tu_conn c;
  data_behind_zero_window(&c);
  tu_advance(&t, 300 * MS);
  tu_conn_expect(&t, &c, TH_ACK, 0, 1, 0);
}
END_TEST

START_TEST(test_rfc_zero_window_probe_carries_one_byte) {
  /* RFC 9293 3.8.6.1: the probe sends one new octet */
  struct tu_conn c;
  data_behind_zero_window(&c);
  tu_advance(&t, 1 * SEC);
  tu_conn_expect(&t, &c, TH_ACK, 1, 1, 1);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_zero_window_probe_intervals_back_off_exponentially) {
  /* RFC 9293 SHLD-30 */
  struct tu_conn c;
  data_behind_zero_window(&c);
  uint64_t t0 = t.now;
  tu_advance(&t, 4500 * MS);
  const uint64_t at[] = {300, 900, 2100, 4500};
  for (int i = 0; i < 4; i++)
    tu_conn_expect_at(&t, &c, TH_ACK, 0, 1, 0, t0 + at[i] * MS);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_connection_stays_open_while_probes_are_answered) {
  /* RFC 9293 MUST-37, with R2 low enough to matter */
  tu_profile_set(&t, "retries2", 3);
  struct tu_conn c;
  data_behind_zero_window(&c);
  for (int i = 0; i < 10; i++) {
    tu_advance(&t, sf_stack_next_deadline(t.st) - t.now);
    tu_conn_expect(&t, &c, TH_ACK, 0, 1, 0);
    tu_conn_send_seg(&t, &c,
                     &(struct tu_seg){.flags = TH_ACK, .win_zero = true});
  }
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_ESTABLISHED);
  ck_assert_uint_eq(tu_info(&t, c.fd).snd_queued, 100);
}
END_TEST

START_TEST(test_unanswered_probes_give_up_after_retries2) {
  /* Linux (tcp_probe_timer): retries2 probes, then the connection ends */
  tu_profile_set(&t, "retries2", 3);
  struct tu_conn c;
  data_behind_zero_window(&c);
  uint64_t t0 = t.now;
  tu_advance(&t, 4500 * MS - 1);
  const uint64_t at[] = {300, 900, 2100};
  for (int i = 0; i < 3; i++)
    tu_conn_expect_at(&t, &c, TH_ACK, 0, 1, 0, t0 + at[i] * MS);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_ESTABLISHED);
  tu_advance(&t, 1);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_CLOSED);
  ck_assert_int_eq(tu_so_error(&t, c.fd), ETIMEDOUT);
}
END_TEST

START_TEST(test_window_opening_resumes_sending_and_stops_probing) {
  struct tu_conn c;
  data_behind_zero_window(&c);
  tu_advance(&t, 300 * MS);
  tu_conn_expect(&t, &c, TH_ACK, 0, 1, 0);
  tu_conn_send(&t, &c, TH_ACK, 0);
  tu_conn_expect(&t, &c, TH_ACK | TH_PSH, 1, 1, 100);
  c.ack += 100;
  tu_conn_send(&t, &c, TH_ACK, 0);
  tu_advance(&t, 10 * SEC);
  tu_expect_silence(&t);
}
END_TEST

/* ---- ACK policy and delayed ACK ---- */

START_TEST(test_linux_acks_the_first_16_data_segments_at_once) {
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  for (uint32_t i = 0; i < 16; i++) {
    tu_conn_send(&t, &c, TH_ACK, 100);
    tu_conn_expect_at(&t, &c, TH_ACK, 1, 101 + 100 * i, 0, 0);
  }
}
END_TEST

START_TEST(test_linux_delays_the_ack_40ms_after_the_quickacks) {
  /* a pause shorter than the RTO (as the kernel: 100 ms) */
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  use_up_quickacks(&c, 16);
  tu_advance(&t, 100 * MS);
  tu_conn_send(&t, &c, TH_ACK, 100);
  tu_advance(&t, 40 * MS - 1);
  tu_expect_silence(&t);
  tu_advance(&t, 1);
  tu_conn_expect_at(&t, &c, TH_ACK, 1, 117, 0, 140 * MS);
  ck_assert_uint_eq(sf_stack_stats(t.st)->tcp_delayed_ack, 1);
}
END_TEST

START_TEST(test_linux_quick_acks_again_after_a_pause_longer_than_the_rto) {
  /* Linux (tcp_event_data_recv): the sender seems to restart its window */
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  use_up_quickacks(&c, 16);
  tu_advance(&t, 1 * SEC);
  tu_conn_send(&t, &c, TH_ACK, 100);
  tu_conn_expect_at(&t, &c, TH_ACK, 1, 117, 0, 1 * SEC);
}
END_TEST

/* A stack whose buffers hold the linux profile's 540000-byte receive
 * buffer, so that the window is the kernel's (the fixture's are 64 KiB). */
static void restart_with_big_buffers(void) {
  tu_teardown(&t);
  tu_init(&t, SF_PROFILE_LINUX);
  t.cfg.buf_capacity = 1u << 20;
  tu_start(&t);
}

/* <mss 1460,sackOK,nop,wscale 7>: the peer of the kernel probe */
static const uint8_t opts_mss_sack_ws[] = {2, 4, 0x05, 0xb4, 4, 2, 1, 3, 3, 7};

START_TEST(test_linux_quick_acks_last_while_the_window_grows) {
  /* 1460-byte segments, each read: the window grows for 25 of them (each
   * keeps quick ACKs on), then 16 more quick ACKs: 41 in all (as the
   * kernel does) */
  restart_with_big_buffers();
  struct tu_conn c;
  tu_open_passive(&t, &c, opts_mss_sack_ws, sizeof(opts_mss_sack_ws));
  static uint8_t buf[1460];
  for (uint32_t i = 1; i <= 41; i++) {
    tu_advance(&t, 1 * MS);
    tu_conn_send(&t, &c, TH_ACK, 1460);
    tu_conn_expect(&t, &c, TH_ACK, 1, 1 + 1460 * i, 0);
    ck_assert_int_eq(sf_read(t.st, c.fd, buf, sizeof(buf)), 1460);
  }
  tu_advance(&t, 1 * MS);
  tu_conn_send(&t, &c, TH_ACK, 1460);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_rfc_delays_the_first_ack_200ms) {
  /* no quick ACKs; RFC 9293 3.8.6.3 SHLD-18 */
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  tu_conn_send(&t, &c, TH_ACK, 100);
  tu_advance(&t, 200 * MS - 1);
  tu_expect_silence(&t);
  tu_advance(&t, 1);
  tu_conn_expect_at(&t, &c, TH_ACK, 1, 101, 0, 200 * MS);
}
END_TEST

START_TEST(test_delayed_ack_never_waits_half_a_second) {
  /* RFC 9293 MUST-40, in both profiles */
  for (int p = 0; p < 2; p++) {
    tu_restart(&t, p == 0 ? SF_PROFILE_LINUX : SF_PROFILE_RFC, 0);
    struct tu_conn c;
    tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
    use_up_quickacks(&c, p == 0 ? 16 : 0);
    uint64_t t0 = t.now;
    tu_conn_send(&t, &c, TH_ACK, 100);
    tu_advance(&t, 500 * MS - 1);
    struct tu_out o;
    tu_conn_pop(&t, &c, &o);
    ck_assert_uint_eq(o.ack, c.seq);
    ck_assert_uint_lt(o.t_us - t0, 500 * MS);
  }
}
END_TEST

START_TEST(test_second_full_sized_segment_is_acked_at_once) {
  /* RFC 9293 SHLD-19, RFC 5681 4.2 */
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  tu_conn_send(&t, &c, TH_ACK, 1460);
  tu_expect_silence(&t);
  tu_conn_send(&t, &c, TH_ACK, 1460);
  tu_conn_expect_at(&t, &c, TH_ACK, 1, 2921, 0, 0);
}
END_TEST

/* Sends full segments 1 ms apart, each read if `read`, until one is not
 * ACKed at once (the quick ACKs are over); returns the bytes sent. */
static uint32_t past_quickacks(struct tu_conn *c, bool read) {
  static uint8_t buf[1460];
  for (uint32_t i = 1; i < 100; i++) {
    tu_advance(&t, 1 * MS);
    tu_conn_send(&t, c, TH_ACK, 1460);
    bool acked = tu_pending(&t) > 0;
    tu_drain(&t);
    if (read)
      ck_assert_int_eq(sf_read(t.st, c->fd, buf, sizeof(buf)), 1460);
    if (!acked)
      return 1460 * i;
  }
  ck_abort_msg("quick ACKs never ended");
  return 0;
}

START_TEST(test_linux_acks_every_second_full_sized_segment) {
  /* once the application reads (the window does not move left) */
  restart_with_big_buffers();
  struct tu_conn c;
  tu_open_passive(&t, &c, opts_mss_sack_ws, sizeof(opts_mss_sack_ws));
  uint32_t n = past_quickacks(&c, true);
  static uint8_t buf[1460];
  tu_conn_send(&t, &c, TH_ACK, 1460);
  tu_conn_expect(&t, &c, TH_ACK, 1, 1 + n + 1460, 0);
  ck_assert_int_eq(sf_read(t.st, c.fd, buf, sizeof(buf)), 1460);
  tu_conn_send(&t, &c, TH_ACK, 1460);
  tu_expect_silence(&t);
  ck_assert_int_eq(sf_read(t.st, c.fd, buf, sizeof(buf)), 1460);
  tu_conn_send(&t, &c, TH_ACK, 1460);
  tu_conn_expect(&t, &c, TH_ACK, 1, 1 + n + 3 * 1460, 0);
}
END_TEST

START_TEST(test_linux_unread_full_segments_wait_for_the_delayed_ack) {
  /* Linux (__tcp_ack_snd_check): the second full segment is not ACKed at
   * once while the window would move left (nothing read); RFC 1122
   * 4.2.3.2 says SHOULD */
  restart_with_big_buffers();
  struct tu_conn c;
  tu_open_passive(&t, &c, opts_mss_sack_ws, sizeof(opts_mss_sack_ws));
  uint32_t n = past_quickacks(&c, false);
  ck_assert_uint_eq(n, 34 * 1460); /* the window grew for 17 segments */
  for (int i = 0; i < 4; i++)
    tu_conn_send(&t, &c, TH_ACK, 1460);
  tu_expect_silence(&t);
  tu_advance(&t, 40 * MS);
  tu_conn_expect(&t, &c, TH_ACK, 1, 1 + n + 4 * 1460, 0);
}
END_TEST

START_TEST(test_fin_is_acked_at_once) {
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  use_up_quickacks(&c, 16);
  tu_conn_send(&t, &c, TH_ACK | TH_FIN, 0);
  tu_conn_expect_at(&t, &c, TH_ACK, 1, 18, 0, 0);
}
END_TEST

START_TEST(test_out_of_order_segment_draws_an_immediate_dupack_with_sack) {
  /* RFC 5681 4.2, RFC 2018 4 */
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_full, sizeof(tu_opts_full));
  use_up_quickacks(&c, 16);
  tu_conn_send_seg(&t, &c,
                   &(struct tu_seg){.flags = TH_ACK, .seq = 100, .len = 50});
  struct tu_out o;
  tu_conn_pop(&t, &c, &o);
  ck_assert_uint_eq(o.ack, c.seq);
  ck_assert_uint_eq(o.t_us, 0);
  ck_assert_uint_eq(o.nsack, 1);
  ck_assert_uint_eq(o.sack[0][0], c.seq + 100);
  ck_assert_uint_eq(o.sack[0][1], c.seq + 150);
  ck_assert_uint_eq(sf_stack_stats(t.st)->tcp_dupack_out, 1);
}
END_TEST

START_TEST(test_sack_blocks_list_the_newest_first) {
  /* RFC 2018 4: the first block holds the segment that triggered the ACK */
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_full, sizeof(tu_opts_full));
  tu_conn_send_seg(&t, &c,
                   &(struct tu_seg){.flags = TH_ACK, .seq = 100, .len = 100});
  tu_drain(&t);
  tu_conn_send_seg(&t, &c,
                   &(struct tu_seg){.flags = TH_ACK, .seq = 400, .len = 100});
  struct tu_out o;
  tu_conn_pop(&t, &c, &o);
  ck_assert_uint_eq(o.nsack, 2);
  ck_assert_uint_eq(o.sack[0][0], c.seq + 400);
  ck_assert_uint_eq(o.sack[0][1], c.seq + 500);
  ck_assert_uint_eq(o.sack[1][0], c.seq + 100);
  ck_assert_uint_eq(o.sack[1][1], c.seq + 200);
}
END_TEST

START_TEST(test_filling_a_gap_is_acked_at_once) {
  /* Linux, RFC 5681 4.2 (SHOULD) */
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_full, sizeof(tu_opts_full));
  use_up_quickacks(&c, 16);
  tu_conn_send_seg(&t, &c,
                   &(struct tu_seg){.flags = TH_ACK, .seq = 100, .len = 100});
  tu_drain(&t);
  tu_conn_send(&t, &c, TH_ACK, 100);
  struct tu_out o;
  tu_conn_pop(&t, &c, &o);
  ck_assert_uint_eq(o.ack, c.seq + 100);
  ck_assert_uint_eq(o.nsack, 0);
  ck_assert_uint_eq(o.t_us, 0);
}
END_TEST

START_TEST(test_rfc_out_of_order_segment_is_acked_at_once) {
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_full, sizeof(tu_opts_full));
  tu_conn_send_seg(&t, &c,
                   &(struct tu_seg){.flags = TH_ACK, .seq = 10, .len = 10});
  struct tu_out o;
  tu_conn_pop(&t, &c, &o);
  ck_assert_uint_eq(o.ack, c.seq);
  ck_assert_uint_eq(o.nsack, 1);
}
END_TEST

/* ---- keep-alive ---- */

START_TEST(test_keepalive_is_off_by_default) {
  /* RFC 9293 MUST-25 */
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  int v = -1;
  socklen_t len = sizeof(v);
  ck_assert_int_eq(
      sf_getsockopt(t.st, c.fd, SOL_SOCKET, SO_KEEPALIVE, &v, &len), 0);
  ck_assert_int_eq(v, 0);
  tu_advance(&t, 24 * 3600 * SEC);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_ESTABLISHED);
}
END_TEST

START_TEST(test_keepalive_defaults_are_two_hours_75s_and_9_probes) {
  /* RFC 9293 3.8.4 MUST-28: at least two hours by default */
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  int v;
  socklen_t len = sizeof(v);
  ck_assert_int_eq(
      sf_getsockopt(t.st, c.fd, IPPROTO_TCP, TCP_KEEPIDLE, &v, &len), 0);
  ck_assert_int_eq(v, 7200);
  ck_assert_int_eq(
      sf_getsockopt(t.st, c.fd, IPPROTO_TCP, TCP_KEEPINTVL, &v, &len), 0);
  ck_assert_int_eq(v, 75);
  ck_assert_int_eq(
      sf_getsockopt(t.st, c.fd, IPPROTO_TCP, TCP_KEEPCNT, &v, &len), 0);
  ck_assert_int_eq(v, 9);
}
END_TEST

START_TEST(test_keepalive_probe_after_two_idle_hours_is_snd_nxt_minus_one) {
  /* RFC 9293 SHLD-12: SEG.SEQ = SND.NXT - 1, no data */
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  keepalive_on(c.fd);
  tu_advance(&t, 7200 * SEC - 1);
  tu_expect_silence(&t);
  tu_advance(&t, 1);
  tu_conn_expect_at(&t, &c, TH_ACK, 0, 1, 0, 7200 * SEC);
  ck_assert_uint_eq(sf_stack_stats(t.st)->tcp_keepalive_probe, 1);
}
END_TEST

START_TEST(test_keepalive_idle_time_counts_from_the_last_segment_received) {
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  keepalive_on(c.fd);
  tu_advance(&t, 3600 * SEC);
  tu_conn_send(&t, &c, TH_ACK, 10);
  tu_conn_expect(&t, &c, TH_ACK, 1, 11, 0);
  tu_advance(&t, 7200 * SEC - 1);
  tu_expect_silence(&t);
  tu_advance(&t, 1);
  tu_conn_expect_at(&t, &c, TH_ACK, 0, 11, 0, (3600 + 7200) * SEC);
}
END_TEST

START_TEST(test_one_unanswered_keepalive_probe_does_not_close) {
  /* RFC 9293 MUST-29 */
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  keepalive_on(c.fd);
  tu_advance(&t, 7200 * SEC);
  tu_conn_expect(&t, &c, TH_ACK, 0, 1, 0);
  tu_advance(&t, 75 * SEC - 1);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_ESTABLISHED);
  tu_advance(&t, 1);
  tu_conn_expect_at(&t, &c, TH_ACK, 0, 1, 0, (7200 + 75) * SEC);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_ESTABLISHED);
}
END_TEST

START_TEST(test_keepcnt_unanswered_probes_reset_with_etimedout) {
  /* TCP_KEEPIDLE/INTVL/CNT (RFC 9293 MUST-27); Linux (tcp_keepalive_timer)
   * sends a RST when it gives up */
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  set_tcp_opt(c.fd, TCP_KEEPIDLE, 10);
  set_tcp_opt(c.fd, TCP_KEEPINTVL, 2);
  set_tcp_opt(c.fd, TCP_KEEPCNT, 3);
  keepalive_on(c.fd);
  tu_advance(&t, 16 * SEC - 1);
  tu_conn_expect_at(&t, &c, TH_ACK, 0, 1, 0, 10 * SEC);
  tu_conn_expect_at(&t, &c, TH_ACK, 0, 1, 0, 12 * SEC);
  tu_conn_expect_at(&t, &c, TH_ACK, 0, 1, 0, 14 * SEC);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_ESTABLISHED);
  tu_advance(&t, 1);
  tu_conn_expect_at(&t, &c, TH_RST | TH_ACK, 1, 1, 0, 16 * SEC);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_CLOSED);
  ck_assert_int_eq(tu_so_error(&t, c.fd), ETIMEDOUT);
}
END_TEST

START_TEST(test_answered_keepalive_probes_keep_the_connection_open) {
  /* RFC 9293 3.8.4: an answered probe shows the peer is alive; the next
   * probe comes a whole idle time after the answer */
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  set_tcp_opt(c.fd, TCP_KEEPIDLE, 10);
  set_tcp_opt(c.fd, TCP_KEEPINTVL, 2);
  set_tcp_opt(c.fd, TCP_KEEPCNT, 2);
  keepalive_on(c.fd);
  for (uint64_t i = 1; i <= 5; i++) {
    tu_advance(&t, 10 * SEC);
    tu_conn_expect_at(&t, &c, TH_ACK, 0, 1, 0, i * 10 * SEC);
    tu_conn_send(&t, &c, TH_ACK, 0);
  }
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_ESTABLISHED);
}
END_TEST

START_TEST(test_keepalive_can_be_turned_off_again) {
  /* RFC 9293 MUST-24: per connection, on or off */
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  set_tcp_opt(c.fd, TCP_KEEPIDLE, 10);
  keepalive_on(c.fd);
  int zero = 0;
  ck_assert_int_eq(
      sf_setsockopt(t.st, c.fd, SOL_SOCKET, SO_KEEPALIVE, &zero, sizeof(zero)),
      0);
  tu_advance(&t, 100 * SEC);
  tu_expect_silence(&t);
}
END_TEST

/* The stack asks for the next deadline on every input: it is kept as
 * timers start, move and stop, rather than searched for. */
START_TEST(test_next_deadline_is_the_earliest_running_timer) {
  static struct sf_sock sk;
  memset(&sk, 0, sizeof(sk));
  ck_assert_uint_eq(sf_tcp_next_deadline(&sk), SF_TIME_NEVER);
  sf_tcp_timer_set(&sk, SF_T_REXMT, 300);
  sf_tcp_timer_set(&sk, SF_T_DELACK, 100);
  ck_assert_uint_eq(sf_tcp_next_deadline(&sk), 100);
  sf_tcp_timer_set(&sk, SF_T_DELACK, 500); /* the earliest moves later */
  ck_assert_uint_eq(sf_tcp_next_deadline(&sk), 300);
  sf_tcp_timer_stop(&sk, SF_T_PERSIST); /* not running: nothing changes */
  ck_assert_uint_eq(sf_tcp_next_deadline(&sk), 300);
  sf_tcp_timer_stop(&sk, SF_T_REXMT);
  ck_assert_uint_eq(sf_tcp_next_deadline(&sk), 500);
  sf_tcp_timer_stop(&sk, SF_T_DELACK);
  ck_assert_uint_eq(sf_tcp_next_deadline(&sk), SF_TIME_NEVER);
}
END_TEST

Suite *tu_suite(void) {
  Suite *s = suite_create("tcp_timers");
  TCase *l = tcase_create("linux");
  tcase_add_checked_fixture(l, setup_linux, teardown);
  tcase_add_test(l, test_next_deadline_is_the_earliest_running_timer);
  tcase_add_test(
      l, test_linux_syn_is_retransmitted_1_s_apart_four_times_then_doubling);
  tcase_add_test(l, test_synack_is_not_retransmitted_linearly);
  tcase_add_test(l, test_linux_syn_is_given_up_after_the_time_its_retries_take);
  tcase_add_test(l, test_connect_gives_up_after_syn_retries_with_etimedout);
  tcase_add_test(l, test_syn_retries_setting_bounds_the_retransmissions);
  tcase_add_test(l, test_retransmitted_syn_keeps_its_options);
  tcase_add_test(l, test_synack_is_retransmitted_at_1_3_7_15_31_seconds);
  tcase_add_test(l, test_listener_forgets_the_connection_after_synack_retries);
  tcase_add_test(l, test_rto_is_three_seconds_after_a_retransmitted_syn);
  tcase_add_test(l, test_rto_is_three_seconds_after_a_retransmitted_synack);
  tcase_add_test(l, test_data_behind_a_zero_window_waits_for_a_probe);
  tcase_add_test(l, test_linux_zero_window_probe_is_empty_at_snd_una_minus_one);
  tcase_add_test(l, test_zero_window_probe_intervals_back_off_exponentially);
  tcase_add_test(l, test_connection_stays_open_while_probes_are_answered);
  tcase_add_test(l, test_unanswered_probes_give_up_after_retries2);
  tcase_add_test(l, test_window_opening_resumes_sending_and_stops_probing);
  tcase_add_test(l, test_linux_acks_the_first_16_data_segments_at_once);
  tcase_add_test(l, test_linux_delays_the_ack_40ms_after_the_quickacks);
  tcase_add_test(l,
                 test_linux_quick_acks_again_after_a_pause_longer_than_the_rto);
  tcase_add_test(l, test_linux_quick_acks_last_while_the_window_grows);
  tcase_add_test(l, test_linux_unread_full_segments_wait_for_the_delayed_ack);
  tcase_add_test(l, test_delayed_ack_never_waits_half_a_second);
  tcase_add_test(l, test_linux_acks_every_second_full_sized_segment);
  tcase_add_test(l, test_fin_is_acked_at_once);
  tcase_add_test(l,
                 test_out_of_order_segment_draws_an_immediate_dupack_with_sack);
  tcase_add_test(l, test_sack_blocks_list_the_newest_first);
  tcase_add_test(l, test_filling_a_gap_is_acked_at_once);
  tcase_add_test(l, test_keepalive_is_off_by_default);
  tcase_add_test(l, test_keepalive_defaults_are_two_hours_75s_and_9_probes);
  tcase_add_test(
      l, test_keepalive_probe_after_two_idle_hours_is_snd_nxt_minus_one);
  tcase_add_test(
      l, test_keepalive_idle_time_counts_from_the_last_segment_received);
  tcase_add_test(l, test_one_unanswered_keepalive_probe_does_not_close);
  tcase_add_test(l, test_keepcnt_unanswered_probes_reset_with_etimedout);
  tcase_add_test(l, test_answered_keepalive_probes_keep_the_connection_open);
  tcase_add_test(l, test_keepalive_can_be_turned_off_again);
  suite_add_tcase(s, l);

  TCase *r = tcase_create("rfc");
  tcase_add_checked_fixture(r, setup_rfc, teardown);
  tcase_add_test(r, test_rfc_zero_window_probe_carries_one_byte);
  tcase_add_test(r, test_rfc_delays_the_first_ack_200ms);
  tcase_add_test(r, test_syn_is_retransmitted_at_1_3_7_15_31_63_seconds);
  tcase_add_test(r, test_second_full_sized_segment_is_acked_at_once);
  tcase_add_test(r, test_rfc_out_of_order_segment_is_acked_at_once);
  suite_add_tcase(s, r);
  return s;
}
