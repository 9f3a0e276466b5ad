/* Resets: generation (RFC 9293 3.10.7.1-3, 3.5.2), reception (3.10.7.3-4,
 * 3.5.3, MUST-11/12/66, SHLD-2) and the RFC 5961 blind-attack defences:
 * challenge ACKs for RSTs (3.2), SYNs (4.2) and old ACKs (5.2), with the
 * linux profile's per-connection rate limit. */
#include <errno.h>
#include <string.h>

#include "test_util.h"

#define MS 1000u /* a millisecond of virtual time, in microseconds */

static struct tu t;

static void setup(void) {
  tu_setup(&t, SF_PROFILE_LINUX);
}

static void setup_rfc(void) {
  tu_setup(&t, SF_PROFILE_RFC);
}

static void teardown(void) {
  tu_teardown(&t);
}

static const int sync_states[] = {
    SF_TCP_ESTABLISHED, SF_TCP_FIN_WAIT_1, SF_TCP_FIN_WAIT_2, SF_TCP_CLOSE_WAIT,
    SF_TCP_CLOSING,     SF_TCP_LAST_ACK,   SF_TCP_TIME_WAIT};
#define N_SYNC_STATES ((int)(sizeof(sync_states) / sizeof(sync_states[0])))

static void open_passive(struct tu_conn *c) {
  tu_open_passive(&t, c, tu_opts_mss, sizeof(tu_opts_mss));
}

static uint32_t rcv_rel(const struct tu_conn *c) {
  return c->seq - c->irs;
}

/* The peer's SYN to a listener on 8080; returns in SYN-RECEIVED. */
static void half_open(struct tu_conn *c, int lfd) {
  memset(c, 0, sizeof(*c));
  c->fd = -1;
  c->lfd = lfd;
  c->lport = 8080;
  c->rport = 40000;
  c->irs = 1000000;
  c->seq = c->irs;
  tu_conn_send(&t, c, TH_SYN, 0);
  struct tu_out o;
  tu_conn_pop(&t, c, &o);
  ck_assert_uint_eq(o.flags, TH_SYN | TH_ACK);
  c->iss = o.seq;
  c->ack = o.seq + 1;
  ck_assert_int_eq(tu_conn_state(&t, c), SF_TCP_SYN_RECEIVED);
}

/* A passive connection whose receive window is closed: SO_RCVBUF 1152
 * (2304 bytes after Linux's doubling, half of it window, as the kernel
 * offers) filled by the peer and not read. */
static void open_zero_window(struct tu_conn *c) {
  int lfd = tu_listen(&t, 8080, 16);
  int v = 1152;
  ck_assert_int_eq(
      sf_setsockopt(t.st, lfd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)), 0);
  tu_handshake(&t, c, lfd, 8080, 40000, 1000000, tu_opts_mss,
               sizeof(tu_opts_mss));
  c->fd = sf_accept(t.st, lfd, NULL, NULL);
  ck_assert_int_ge(c->fd, 3);
  uint32_t left = tu_info(&t, c->fd).rcv_wnd;
  ck_assert_uint_eq(left, 1152);
  while (left) {
    uint32_t n = left < 1460 ? left : 1460;
    tu_conn_send(&t, c, TH_ACK, n);
    left -= n;
    struct tu_out o;
    tu_conn_pop(&t, c, &o);
    ck_assert_uint_eq(o.ack, c->seq);
    if (!left)
      ck_assert_uint_eq(o.win, 0);
  }
  ck_assert_uint_eq(tu_info(&t, c->fd).rcv_wnd, 0);
  tu_expect_silence(&t);
}

/* Expects <SEQ=seq><CTL=RST> (no ACK) answering a segment. */
static void expect_rst_seq(uint32_t seq) {
  struct tu_out o;
  tu_pop(&t, &o);
  ck_assert_msg(o.flags == TH_RST, "flags 0x%02x, expected RST", o.flags);
  ck_assert_uint_eq(o.seq, seq);
  ck_assert_uint_eq(o.ack, 0);
  ck_assert_uint_eq(o.len, 0);
  ck_assert(o.tcp_csum_ok);
}

/* Expects <SEQ=0><ACK=ack><CTL=RST,ACK> answering a segment without ACK. */
static void expect_rst_ack(uint32_t ack) {
  struct tu_out o;
  tu_pop(&t, &o);
  ck_assert_msg(o.flags == (TH_RST | TH_ACK), "flags 0x%02x, expected RST,ACK",
                o.flags);
  ck_assert_uint_eq(o.seq, 0);
  ck_assert_uint_eq(o.ack, ack);
  ck_assert_uint_eq(o.len, 0);
  ck_assert(o.tcp_csum_ok);
}

/* --- generation: CLOSED (3.10.7.1) -------------------------------------- */

START_TEST(test_closed_port_ack_gets_rst_with_seq_of_its_ack) {
  struct tu_seg s = {.flags = TH_ACK, .seq = 100, .ack = 5000};
  tu_send_tcp(&t, &s);
  struct tu_out o;
  tu_pop(&t, &o);
  ck_assert_uint_eq(o.src, TU_LOCAL);
  ck_assert_uint_eq(o.dst, TU_REMOTE);
  ck_assert_uint_eq(o.sport, 8080);
  ck_assert_uint_eq(o.dport, 40000);
  ck_assert_uint_eq(o.flags, TH_RST);
  ck_assert_uint_eq(o.seq, 5000);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_closed_port_data_with_ack_gets_rst_with_seq_of_its_ack) {
  struct tu_seg s = {
      .flags = TH_ACK | TH_PSH, .seq = 100, .ack = 0xfffffff0u, .len = 10};
  tu_send_tcp(&t, &s);
  expect_rst_seq(0xfffffff0u);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_closed_port_syn_gets_rst_ack_of_syn) {
  struct tu_seg s = {.flags = TH_SYN, .seq = 5};
  tu_send_tcp(&t, &s);
  expect_rst_ack(6);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_closed_port_data_without_ack_gets_rst_acking_its_length) {
  struct tu_seg s = {.flags = TH_PSH, .seq = 100, .len = 10};
  tu_send_tcp(&t, &s);
  expect_rst_ack(110);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_closed_port_fin_counts_in_rst_ack) {
  struct tu_seg s = {.flags = TH_FIN, .seq = 100};
  tu_send_tcp(&t, &s);
  expect_rst_ack(101);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_closed_port_syn_fin_and_data_all_count_in_rst_ack) {
  struct tu_seg s = {.flags = TH_SYN | TH_FIN, .seq = 0xfffffffau, .len = 10};
  tu_send_tcp(&t, &s);
  expect_rst_ack(6); /* 0xfffffffa + 12, modulo 2^32 */
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_closed_port_rst_draws_no_rst) {
  struct tu_seg s = {.flags = TH_RST, .seq = 100};
  tu_send_tcp(&t, &s);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_closed_port_rst_ack_draws_no_rst) {
  struct tu_seg s = {.flags = TH_RST | TH_ACK, .seq = 100, .ack = 200};
  tu_send_tcp(&t, &s);
  tu_expect_silence(&t);
}
END_TEST

/* --- generation: LISTEN (3.10.7.2) -------------------------------------- */

START_TEST(test_listener_ack_gets_rst_with_seq_of_its_ack) {
  int lfd = tu_listen(&t, 8080, 16);
  struct tu_seg s = {.flags = TH_ACK, .seq = 100, .ack = 5000};
  tu_send_tcp(&t, &s);
  expect_rst_seq(5000);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, lfd), SF_TCP_LISTEN);
}
END_TEST

START_TEST(test_listener_syn_ack_gets_rst_with_seq_of_its_ack) {
  int lfd = tu_listen(&t, 8080, 16);
  struct tu_seg s = {.flags = TH_SYN | TH_ACK, .seq = 100, .ack = 5000};
  tu_send_tcp(&t, &s);
  expect_rst_seq(5000);
  tu_expect_silence(&t);
  ck_assert_int_eq(sf_accept(t.st, lfd, NULL, NULL), -EAGAIN);
}
END_TEST

START_TEST(test_listener_ignores_rst) {
  int lfd = tu_listen(&t, 8080, 16);
  struct tu_seg s = {.flags = TH_RST, .seq = 100};
  tu_send_tcp(&t, &s);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, lfd), SF_TCP_LISTEN);
}
END_TEST

/* 3.10.7.2 fourth: a segment with neither SYN, ACK nor RST is dropped. */
START_TEST(test_listener_drops_fin_without_syn_or_ack) {
  int lfd = tu_listen(&t, 8080, 16);
  struct tu_seg s = {.flags = TH_FIN | TH_PSH, .seq = 100, .len = 5};
  tu_send_tcp(&t, &s);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, lfd), SF_TCP_LISTEN);
  ck_assert_int_eq(sf_accept(t.st, lfd, NULL, NULL), -EAGAIN);
}
END_TEST

/* --- generation: SYN-SENT and SYN-RECEIVED ------------------------------ */

/* 3.10.7.3 first: SEG.ACK =< ISS is not acceptable: <SEQ=SEG.ACK><RST>. */
START_TEST(test_syn_sent_ack_of_iss_gets_rst) {
  struct tu_conn c;
  tu_syn_sent(&t, &c);
  tu_conn_send_at(&t, &c, TH_ACK, 0, -1, 0);
  expect_rst_seq(c.iss);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_SYN_SENT);
}
END_TEST

START_TEST(test_syn_sent_syn_ack_above_snd_nxt_gets_rst) {
  struct tu_conn c;
  tu_syn_sent(&t, &c);
  tu_conn_send_at(&t, &c, TH_SYN | TH_ACK, 0, 1, 0);
  expect_rst_seq(c.iss + 2);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_SYN_SENT);
  /* the right SYN-ACK still completes the handshake */
  tu_conn_send(&t, &c, TH_SYN | TH_ACK, 0);
  tu_conn_expect(&t, &c, TH_ACK, 1, 1, 0);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_ESTABLISHED);
}
END_TEST

/* 3.10.7.3 first: "... send a reset (unless the RST bit is set, if so drop
 * the segment and return)". */
START_TEST(test_syn_sent_rst_with_unacceptable_ack_is_dropped) {
  struct tu_conn c;
  tu_syn_sent(&t, &c);
  tu_conn_send_at(&t, &c, TH_RST | TH_ACK, 0, 5, 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_SYN_SENT);
  ck_assert_int_eq(tu_so_error(&t, c.fd), 0);
}
END_TEST

/* 3.10.7.4 fifth (SYN-RECEIVED): an unacceptable ACK draws
 * <SEQ=SEG.ACK><CTL=RST>; the embryonic connection stays. */
START_TEST(test_syn_received_ack_above_snd_nxt_gets_rst) {
  struct tu_conn c;
  int lfd = tu_listen(&t, 8080, 16);
  half_open(&c, lfd);
  tu_conn_send_at(&t, &c, TH_ACK, 0, 1, 0);
  expect_rst_seq(c.iss + 2);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_conn_state(&t, &c), SF_TCP_SYN_RECEIVED);
  ck_assert_int_eq(sf_accept(t.st, lfd, NULL, NULL), -EAGAIN);
}
END_TEST

START_TEST(test_syn_received_ack_of_iss_gets_rst) {
  struct tu_conn c;
  int lfd = tu_listen(&t, 8080, 16);
  half_open(&c, lfd);
  tu_conn_send_at(&t, &c, TH_ACK, 0, -1, 0);
  expect_rst_seq(c.iss);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_conn_state(&t, &c), SF_TCP_SYN_RECEIVED);
}
END_TEST

/* --- reception: SYN-SENT (3.10.7.3 second, RFC 5961 3.2) ---------------- */

START_TEST(test_syn_sent_rst_acking_syn_refuses_connection) {
  struct tu_conn c;
  tu_syn_sent(&t, &c);
  tu_conn_send(&t, &c, TH_RST | TH_ACK, 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_CLOSED);
  ck_assert_int_eq(tu_so_error(&t, c.fd), ECONNREFUSED);
  ck_assert_int_eq(tu_so_error(&t, c.fd), 0); /* reported once */
}
END_TEST

START_TEST(test_syn_sent_refused_read_reports_econnrefused) {
  struct tu_conn c;
  tu_syn_sent(&t, &c);
  tu_conn_send(&t, &c, TH_RST | TH_ACK, 0);
  uint8_t b;
  ck_assert_int_eq(sf_read(t.st, c.fd, &b, 1), -ECONNREFUSED);
}
END_TEST

/* RFC 5961 3.2 / 3.10.7.3: a RST without an ACK of our SYN is dropped. */
START_TEST(test_syn_sent_rst_without_ack_is_ignored) {
  struct tu_conn c;
  tu_syn_sent(&t, &c);
  tu_conn_send(&t, &c, TH_RST, 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_SYN_SENT);
  ck_assert_int_eq(tu_so_error(&t, c.fd), 0);
  tu_conn_send(&t, &c, TH_SYN | TH_ACK, 0);
  tu_conn_expect(&t, &c, TH_ACK, 1, 1, 0);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_ESTABLISHED);
}
END_TEST

/* --- reception: SYN-RECEIVED (MUST-11) ---------------------------------- */

START_TEST(test_syn_received_passive_rst_returns_to_listen) {
  struct tu_conn c;
  int lfd = tu_listen(&t, 8080, 16);
  half_open(&c, lfd);
  tu_conn_send(&t, &c, TH_RST, 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_conn_state(&t, &c), -1);
  ck_assert_int_eq(tu_state(&t, lfd), SF_TCP_LISTEN);
  ck_assert_int_eq(sf_accept(t.st, lfd, NULL, NULL), -EAGAIN);
}
END_TEST

START_TEST(test_syn_received_passive_rst_listener_accepts_new_connection) {
  struct tu_conn c, n;
  int lfd = tu_listen(&t, 8080, 16);
  half_open(&c, lfd);
  tu_conn_send(&t, &c, TH_RST, 0);
  tu_handshake(&t, &n, lfd, 8080, 40000, 5000000, tu_opts_mss,
               sizeof(tu_opts_mss));
  tu_expect_silence(&t);
  int fd = sf_accept(t.st, lfd, NULL, NULL);
  ck_assert_int_ge(fd, 3);
  ck_assert_int_eq(tu_state(&t, fd), SF_TCP_ESTABLISHED);
}
END_TEST

/* MUST-11 and 3.10.7.4 second: SYN-RECEIVED reached from an active OPEN
 * (simultaneous open) ends with a RST. */
static int syn_received_active_rst(void) {
  struct tu_conn c;
  tu_syn_sent(&t, &c);
  tu_conn_send(&t, &c, TH_SYN, 0);
  tu_conn_expect(&t, &c, TH_SYN | TH_ACK, 0, 1, 0);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_SYN_RECEIVED);
  tu_conn_send(&t, &c, TH_RST, 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_CLOSED);
  return tu_so_error(&t, c.fd);
}

START_TEST(test_syn_received_active_rst_refuses_connection) {
  /* The RFC says "connection refused" */
  tu_profile_set(&t, "synrcvd_rst_refused", 1);
  ck_assert_int_eq(syn_received_active_rst(), ECONNREFUSED);
}
END_TEST

START_TEST(test_linux_syn_received_active_rst_resets_connection) {
  /* Linux (tcp_reset): ECONNREFUSED only in SYN-SENT (as the kernel) */
  ck_assert_int_eq(syn_received_active_rst(), ECONNRESET);
}
END_TEST

/* --- reception: synchronized states (3.10.7.4 second, MUST-12) ---------- */

START_TEST(test_established_exact_rst_resets_with_econnreset) {
  struct tu_conn c;
  open_passive(&c);
  tu_conn_send(&t, &c, TH_RST, 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_CLOSED);
  uint8_t b;
  ck_assert_int_eq(sf_read(t.st, c.fd, &b, 1), -ECONNRESET);
  ck_assert_int_eq(sf_read(t.st, c.fd, &b, 1), 0);
}
END_TEST

START_TEST(test_reset_connection_write_reports_econnreset_then_epipe) {
  struct tu_conn c;
  open_passive(&c);
  tu_conn_send(&t, &c, TH_RST | TH_ACK, 0);
  ck_assert_int_eq(sf_write(t.st, c.fd, "x", 1), -ECONNRESET);
  ck_assert_int_eq(sf_write(t.st, c.fd, "x", 1), -EPIPE);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_fin_wait_1_exact_rst_resets_with_econnreset) {
  struct tu_conn c;
  open_passive(&c);
  tu_drive_to(&t, &c, SF_TCP_FIN_WAIT_1);
  tu_conn_send(&t, &c, TH_RST, 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_CLOSED);
  uint8_t b;
  ck_assert_int_eq(sf_read(t.st, c.fd, &b, 1), -ECONNRESET);
}
END_TEST

START_TEST(test_fin_wait_2_exact_rst_resets_with_econnreset) {
  struct tu_conn c;
  open_passive(&c);
  tu_drive_to(&t, &c, SF_TCP_FIN_WAIT_2);
  tu_conn_send(&t, &c, TH_RST, 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_CLOSED);
  uint8_t b;
  ck_assert_int_eq(sf_read(t.st, c.fd, &b, 1), -ECONNRESET);
}
END_TEST

/* The RFC resets outstanding RECEIVEs and SENDs in CLOSE-WAIT too (Linux
 * records EPIPE instead and reads return the EOF first). */
START_TEST(test_close_wait_exact_rst_resets_with_econnreset) {
  struct tu_conn c;
  open_passive(&c);
  tu_drive_to(&t, &c, SF_TCP_CLOSE_WAIT);
  tu_conn_send(&t, &c, TH_RST, 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_CLOSED);
  uint8_t b;
  ck_assert_int_eq(sf_read(t.st, c.fd, &b, 1), -ECONNRESET);
}
END_TEST

/* 3.10.7.4 second: in CLOSING, LAST-ACK and TIME-WAIT a RST just enters
 * CLOSED; the user already saw the peer's FIN, so no error is left. */
START_TEST(test_closing_exact_rst_closes_without_error) {
  struct tu_conn c;
  open_passive(&c);
  tu_drive_to(&t, &c, SF_TCP_CLOSING);
  tu_conn_send(&t, &c, TH_RST, 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_CLOSED);
  ck_assert_int_eq(tu_so_error(&t, c.fd), 0);
}
END_TEST

START_TEST(test_last_ack_exact_rst_closes_without_error) {
  struct tu_conn c;
  open_passive(&c);
  tu_drive_to(&t, &c, SF_TCP_LAST_ACK);
  tu_conn_send(&t, &c, TH_RST, 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_CLOSED);
  ck_assert_int_eq(tu_so_error(&t, c.fd), 0);
}
END_TEST

/* The RFC closes TIME-WAIT on a RST; so does Linux (tcp_rfc1337 = 0). */
START_TEST(test_time_wait_exact_rst_closes_without_error) {
  struct tu_conn c;
  open_passive(&c);
  tu_drive_to(&t, &c, SF_TCP_TIME_WAIT);
  tu_conn_send(&t, &c, TH_RST, 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_CLOSED);
  ck_assert_int_eq(tu_so_error(&t, c.fd), 0);
}
END_TEST

/* RFC 5961 3.2: a RST inside the window that is not exactly at RCV.NXT draws
 * <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and changes nothing. */
START_TEST(test_rst_in_window_not_exact_sends_challenge_ack) {
  int state = sync_states[_i];
  struct tu_conn c;
  open_passive(&c);
  uint32_t nxt = tu_drive_to(&t, &c, state);
  tu_conn_send_at(&t, &c, TH_RST, 1, 0, 0);
  tu_conn_expect(&t, &c, TH_ACK, nxt, rcv_rel(&c), 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c.fd), state);
  ck_assert_int_eq(tu_so_error(&t, c.fd), 0);
}
END_TEST

START_TEST(test_rst_in_window_not_exact_leaves_connection_usable) {
  struct tu_conn c;
  open_passive(&c);
  tu_conn_send_at(&t, &c, TH_RST | TH_ACK, 1000, 0, 0);
  tu_conn_expect(&t, &c, TH_ACK, 1, 1, 0);
  tu_conn_send(&t, &c, TH_ACK | TH_PSH, 10);
  tu_conn_expect(&t, &c, TH_ACK, 1, 11, 0);
  uint8_t buf[16];
  ck_assert_int_eq(sf_read(t.st, c.fd, buf, sizeof(buf)), 10);
  tu_conn_send(&t, &c, TH_RST, 0); /* an exact one still resets */
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_CLOSED);
  tu_expect_silence(&t);
}
END_TEST

/* RFC 5961 3.2: a RST outside the window is dropped silently. */
START_TEST(test_rst_at_right_window_edge_is_dropped_silently) {
  struct tu_conn c;
  open_passive(&c);
  uint32_t wnd = tu_info(&t, c.fd).rcv_wnd;
  ck_assert_uint_gt(wnd, 0);
  tu_conn_send_at(&t, &c, TH_RST, (int32_t)wnd, 0, 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_ESTABLISHED);
}
END_TEST

START_TEST(test_rst_below_rcv_nxt_is_dropped_silently) {
  struct tu_conn c;
  open_passive(&c);
  tu_conn_send_at(&t, &c, TH_RST | TH_ACK, -1, 0, 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_ESTABLISHED);
}
END_TEST

/* SHLD-2: a RST carrying data is still a reset. */
START_TEST(test_rst_with_data_resets) {
  struct tu_conn c;
  open_passive(&c);
  tu_conn_send(&t, &c, TH_RST | TH_ACK, 20);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_CLOSED);
  uint8_t b;
  ck_assert_int_eq(sf_read(t.st, c.fd, &b, 1), -ECONNRESET);
}
END_TEST

/* MUST-66: RSTs are processed even when the receive window is zero. */
START_TEST(test_rst_in_zero_window_resets) {
  struct tu_conn c;
  open_zero_window(&c);
  tu_conn_send(&t, &c, TH_RST, 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_CLOSED);
  ck_assert_int_eq(tu_so_error(&t, c.fd), ECONNRESET);
}
END_TEST

/* MUST-66 with SHLD-2: the data of a RST does not make it unacceptable in a
 * zero window. */
START_TEST(test_rst_with_data_in_zero_window_resets) {
  struct tu_conn c;
  tu_profile_set(&t, "zero_wnd_drop_data", 0); /* the RFC rule */
  open_zero_window(&c);
  tu_conn_send(&t, &c, TH_RST | TH_ACK, 20);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_CLOSED);
  ck_assert_int_eq(tu_so_error(&t, c.fd), ECONNRESET);
}
END_TEST

/* Linux (tcp_sequence): with data queued and a zero window, a RST carrying
 * data is dropped before its RST bit is looked at. */
START_TEST(test_rst_with_data_in_zero_window_dropped_linux) {
  struct tu_conn c;
  open_zero_window(&c);
  tu_conn_send(&t, &c, TH_RST | TH_ACK, 20);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_ESTABLISHED);
  ck_assert_int_eq(tu_so_error(&t, c.fd), 0);
}
END_TEST

START_TEST(test_rst_in_zero_window_not_exact_is_dropped_silently) {
  struct tu_conn c;
  open_zero_window(&c);
  tu_conn_send_at(&t, &c, TH_RST, 1, 0, 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_ESTABLISHED);
}
END_TEST

/* --- RFC 5961 4.2: SYN in a synchronized state --------------------------- */

START_TEST(test_syn_at_rcv_nxt_draws_challenge_ack_and_does_not_reset) {
  int state = sync_states[_i];
  struct tu_conn c;
  open_passive(&c);
  uint32_t nxt = tu_drive_to(&t, &c, state);
  tu_conn_send_at(&t, &c, TH_SYN, 0, 0, 0);
  tu_conn_expect(&t, &c, TH_ACK, nxt, rcv_rel(&c), 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c.fd), state);
  ck_assert_int_eq(tu_so_error(&t, c.fd), 0);
}
END_TEST

START_TEST(test_syn_below_window_draws_challenge_ack_and_does_not_reset) {
  int state = sync_states[_i];
  struct tu_conn c;
  open_passive(&c);
  uint32_t nxt = tu_drive_to(&t, &c, state);
  tu_conn_send_at(&t, &c, TH_SYN, -100000, 0, 0);
  tu_conn_expect(&t, &c, TH_ACK, nxt, rcv_rel(&c), 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c.fd), state);
}
END_TEST

START_TEST(test_syn_inside_window_draws_challenge_ack) {
  struct tu_conn c;
  open_passive(&c);
  tu_conn_send_at(&t, &c, TH_SYN, 100, 0, 0);
  tu_conn_expect(&t, &c, TH_ACK, 1, 1, 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_ESTABLISHED);
}
END_TEST

START_TEST(test_syn_above_window_draws_challenge_ack) {
  struct tu_conn c;
  open_passive(&c);
  tu_conn_send_at(&t, &c, TH_SYN, 1000000, 0, 0);
  tu_conn_expect(&t, &c, TH_ACK, 1, 1, 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_ESTABLISHED);
}
END_TEST

START_TEST(test_syn_ack_in_established_draws_challenge_ack) {
  struct tu_conn c;
  tu_open_active(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  tu_conn_send_at(&t, &c, TH_SYN | TH_ACK, -1, 0, 0);
  tu_conn_expect(&t, &c, TH_ACK, 1, 1, 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_ESTABLISHED);
}
END_TEST

START_TEST(test_syn_with_data_is_not_queued) {
  struct tu_conn c;
  open_passive(&c);
  tu_conn_send_at(&t, &c, TH_SYN | TH_ACK, 0, 0, 10);
  tu_conn_expect(&t, &c, TH_ACK, 1, 1, 0);
  uint8_t b;
  ck_assert_int_eq(sf_read(t.st, c.fd, &b, 1), -EAGAIN);
}
END_TEST

/* --- RFC 5961 5.2 and 3.10.7.4 fifth: the ACK field ---------------------- */

START_TEST(test_ack_below_snd_una_minus_max_snd_wnd_draws_challenge_ack) {
  struct tu_conn c;
  open_passive(&c);
  ck_assert_uint_eq(tu_info(&t, c.fd).max_snd_wnd, 65535);
  tu_conn_send_at(&t, &c, TH_ACK | TH_PSH, 0, -65536, 10);
  tu_conn_expect(&t, &c, TH_ACK, 1, 1, 0);
  tu_expect_silence(&t);
  uint8_t b;
  ck_assert_int_eq(sf_read(t.st, c.fd, &b, 1), -EAGAIN); /* data dropped */
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_ESTABLISHED);
}
END_TEST

/* RFC 5961 5.2: (SND.UNA - MAX.SND.WND) =< SEG.ACK =< SND.NXT is
 * acceptable; an old duplicate ACK does not stop the data. */
START_TEST(test_ack_at_snd_una_minus_max_snd_wnd_is_acceptable) {
  struct tu_conn c;
  open_passive(&c);
  tu_conn_send_at(&t, &c, TH_ACK | TH_PSH, 0, -65535, 10);
  tu_conn_expect(&t, &c, TH_ACK, 1, 11, 0);
  tu_expect_silence(&t);
  uint8_t buf[16];
  ck_assert_int_eq(sf_read(t.st, c.fd, buf, sizeof(buf)), 10);
}
END_TEST

/* 3.10.7.4 fifth: an ACK of something not yet sent: send an ACK, drop the
 * segment. */
START_TEST(test_ack_above_snd_nxt_draws_ack_and_drops_segment) {
  struct tu_conn c;
  open_passive(&c);
  tu_conn_send_at(&t, &c, TH_ACK | TH_PSH, 0, 1, 10);
  tu_conn_expect(&t, &c, TH_ACK, 1, 1, 0);
  tu_expect_silence(&t);
  uint8_t b;
  ck_assert_int_eq(sf_read(t.st, c.fd, &b, 1), -EAGAIN);
}
END_TEST

START_TEST(test_ack_above_snd_nxt_does_not_advance_snd_una) {
  struct tu_conn c;
  open_passive(&c);
  ck_assert_int_eq(sf_write(t.st, c.fd, "abcd", 4), 4);
  tu_conn_expect(&t, &c, TH_ACK | TH_PSH, 1, 1, 4);
  tu_conn_send_at(&t, &c, TH_ACK, 0, 5, 0);
  tu_conn_expect(&t, &c, TH_ACK, 5, 1, 0);
  ck_assert_uint_eq(tu_info(&t, c.fd).snd_una, c.iss + 1);
  tu_expect_silence(&t);
}
END_TEST

/* --- rate limit (Linux tcp_invalid_ratelimit) ---------------------------- */

START_TEST(test_linux_challenge_acks_limited_to_one_per_500_ms) {
  struct tu_conn c;
  open_passive(&c);
  ck_assert_uint_eq(sf_stack_config(t.st)->profile.oow_ack_ratelimit_us,
                    500 * MS);
  tu_conn_send_at(&t, &c, TH_SYN, 0, 0, 0);
  tu_conn_expect(&t, &c, TH_ACK, 1, 1, 0);
  tu_conn_send_at(&t, &c, TH_SYN, 0, 0, 0);
  tu_expect_silence(&t);
  tu_advance(&t, 500 * MS - 1);
  tu_conn_send_at(&t, &c, TH_RST, 1, 0, 0);
  tu_expect_silence(&t);
  tu_advance(&t, 1);
  tu_conn_send_at(&t, &c, TH_SYN, 0, 0, 0);
  tu_conn_expect(&t, &c, TH_ACK, 1, 1, 0);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_linux_acks_of_unsent_data_are_rate_limited) {
  struct tu_conn c;
  open_passive(&c);
  tu_conn_send_at(&t, &c, TH_ACK, 0, 1, 0);
  tu_conn_expect(&t, &c, TH_ACK, 1, 1, 0);
  tu_conn_send_at(&t, &c, TH_ACK, 0, 1, 0);
  tu_expect_silence(&t);
  tu_advance(&t, 500 * MS);
  tu_conn_send_at(&t, &c, TH_ACK, 0, 1, 0);
  tu_conn_expect(&t, &c, TH_ACK, 1, 1, 0);
}
END_TEST

START_TEST(test_linux_challenge_ack_rate_limit_is_per_connection) {
  struct tu_conn a, b;
  int lfd = tu_listen(&t, 8080, 16);
  tu_handshake(&t, &a, lfd, 8080, 40001, 1000, tu_opts_mss, 4);
  tu_handshake(&t, &b, lfd, 8080, 40002, 2000, tu_opts_mss, 4);
  tu_conn_send_at(&t, &a, TH_SYN, 0, 0, 0);
  tu_conn_expect(&t, &a, TH_ACK, 1, 1, 0);
  tu_conn_send_at(&t, &b, TH_SYN, 0, 0, 0);
  tu_conn_expect(&t, &b, TH_ACK, 1, 1, 0);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_rfc_challenge_acks_are_not_rate_limited) {
  struct tu_conn c;
  open_passive(&c);
  tu_conn_send_at(&t, &c, TH_SYN, 0, 0, 0);
  tu_conn_expect(&t, &c, TH_ACK, 1, 1, 0);
  tu_conn_send_at(&t, &c, TH_RST, 1, 0, 0);
  tu_conn_expect(&t, &c, TH_ACK, 1, 1, 0);
  tu_conn_send_at(&t, &c, TH_ACK, 0, -70000, 0);
  tu_conn_expect(&t, &c, TH_ACK, 1, 1, 0);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_rfc_acks_of_unsent_data_are_not_rate_limited) {
  struct tu_conn c;
  open_passive(&c);
  tu_conn_send_at(&t, &c, TH_ACK, 0, 1, 0);
  tu_conn_expect(&t, &c, TH_ACK, 1, 1, 0);
  tu_conn_send_at(&t, &c, TH_ACK, 0, 1, 0);
  tu_conn_expect(&t, &c, TH_ACK, 1, 1, 0);
  tu_expect_silence(&t);
}
END_TEST

Suite *tu_suite(void) {
  Suite *s = suite_create("tcp_reset");
  TCase *gen = tcase_create("generation");
  tcase_add_checked_fixture(gen, setup, teardown);
  tcase_add_test(gen, test_closed_port_ack_gets_rst_with_seq_of_its_ack);
  tcase_add_test(gen,
                 test_closed_port_data_with_ack_gets_rst_with_seq_of_its_ack);
  tcase_add_test(gen, test_closed_port_syn_gets_rst_ack_of_syn);
  tcase_add_test(gen,
                 test_closed_port_data_without_ack_gets_rst_acking_its_length);
  tcase_add_test(gen, test_closed_port_fin_counts_in_rst_ack);
  tcase_add_test(gen, test_closed_port_syn_fin_and_data_all_count_in_rst_ack);
  tcase_add_test(gen, test_closed_port_rst_draws_no_rst);
  tcase_add_test(gen, test_closed_port_rst_ack_draws_no_rst);
  tcase_add_test(gen, test_listener_ack_gets_rst_with_seq_of_its_ack);
  tcase_add_test(gen, test_listener_syn_ack_gets_rst_with_seq_of_its_ack);
  tcase_add_test(gen, test_listener_ignores_rst);
  tcase_add_test(gen, test_listener_drops_fin_without_syn_or_ack);
  tcase_add_test(gen, test_syn_sent_ack_of_iss_gets_rst);
  tcase_add_test(gen, test_syn_sent_syn_ack_above_snd_nxt_gets_rst);
  tcase_add_test(gen, test_syn_sent_rst_with_unacceptable_ack_is_dropped);
  tcase_add_test(gen, test_syn_received_ack_above_snd_nxt_gets_rst);
  tcase_add_test(gen, test_syn_received_ack_of_iss_gets_rst);
  suite_add_tcase(s, gen);

  TCase *rcv = tcase_create("reception");
  tcase_add_checked_fixture(rcv, setup, teardown);
  tcase_add_test(rcv, test_syn_sent_rst_acking_syn_refuses_connection);
  tcase_add_test(rcv, test_syn_sent_refused_read_reports_econnrefused);
  tcase_add_test(rcv, test_syn_sent_rst_without_ack_is_ignored);
  tcase_add_test(rcv, test_syn_received_passive_rst_returns_to_listen);
  tcase_add_test(rcv,
                 test_syn_received_passive_rst_listener_accepts_new_connection);
  tcase_add_test(rcv, test_syn_received_active_rst_refuses_connection);
  tcase_add_test(rcv, test_linux_syn_received_active_rst_resets_connection);
  tcase_add_test(rcv, test_established_exact_rst_resets_with_econnreset);
  tcase_add_test(rcv,
                 test_reset_connection_write_reports_econnreset_then_epipe);
  tcase_add_test(rcv, test_fin_wait_1_exact_rst_resets_with_econnreset);
  tcase_add_test(rcv, test_fin_wait_2_exact_rst_resets_with_econnreset);
  tcase_add_test(rcv, test_close_wait_exact_rst_resets_with_econnreset);
  tcase_add_test(rcv, test_closing_exact_rst_closes_without_error);
  tcase_add_test(rcv, test_last_ack_exact_rst_closes_without_error);
  tcase_add_test(rcv, test_time_wait_exact_rst_closes_without_error);
  /* every synchronized state but TIME-WAIT, where Linux ignores them */
  tcase_add_loop_test(rcv, test_rst_in_window_not_exact_sends_challenge_ack, 0,
                      N_SYNC_STATES - 1);
  tcase_add_test(rcv, test_rst_in_window_not_exact_leaves_connection_usable);
  tcase_add_test(rcv, test_rst_at_right_window_edge_is_dropped_silently);
  tcase_add_test(rcv, test_rst_below_rcv_nxt_is_dropped_silently);
  tcase_add_test(rcv, test_rst_with_data_resets);
  tcase_add_test(rcv, test_rst_in_zero_window_resets);
  tcase_add_test(rcv, test_rst_with_data_in_zero_window_resets);
  tcase_add_test(rcv, test_rst_with_data_in_zero_window_dropped_linux);
  tcase_add_test(rcv, test_rst_in_zero_window_not_exact_is_dropped_silently);
  suite_add_tcase(s, rcv);

  TCase *blind = tcase_create("rfc5961");
  tcase_add_checked_fixture(blind, setup, teardown);
  tcase_add_loop_test(
      blind, test_syn_at_rcv_nxt_draws_challenge_ack_and_does_not_reset, 0,
      N_SYNC_STATES);
  tcase_add_loop_test(
      blind, test_syn_below_window_draws_challenge_ack_and_does_not_reset, 0,
      N_SYNC_STATES);
  tcase_add_test(blind, test_syn_inside_window_draws_challenge_ack);
  tcase_add_test(blind, test_syn_above_window_draws_challenge_ack);
  tcase_add_test(blind, test_syn_ack_in_established_draws_challenge_ack);
  tcase_add_test(blind, test_syn_with_data_is_not_queued);
  tcase_add_test(blind,
                 test_ack_below_snd_una_minus_max_snd_wnd_draws_challenge_ack);
  tcase_add_test(blind, test_ack_at_snd_una_minus_max_snd_wnd_is_acceptable);
  tcase_add_test(blind, test_ack_above_snd_nxt_draws_ack_and_drops_segment);
  tcase_add_test(blind, test_ack_above_snd_nxt_does_not_advance_snd_una);
  tcase_add_test(blind, test_linux_challenge_acks_limited_to_one_per_500_ms);
  tcase_add_test(blind, test_linux_acks_of_unsent_data_are_rate_limited);
  tcase_add_test(blind, test_linux_challenge_ack_rate_limit_is_per_connection);
  suite_add_tcase(s, blind);

  TCase *rfc = tcase_create("rfc");
  tcase_add_checked_fixture(rfc, setup_rfc, teardown);
  tcase_add_test(rfc, test_rfc_challenge_acks_are_not_rate_limited);
  tcase_add_test(rfc, test_rfc_acks_of_unsent_data_are_not_rate_limited);
  suite_add_tcase(s, rfc);
  return s;
}
