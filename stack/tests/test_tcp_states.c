/* The RFC 9293 state diagram (3.3.2, 3.5, 3.6, 3.10): every transition,
 * TIME-WAIT, half-close, aborts on close, and the listen backlog. */
#include <errno.h>
#include <string.h>

#include "test_util.h"

#define S 1000000u /* one second of virtual time, in microseconds */

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

static void open_passive(struct tu_conn *c) {
  tu_open_passive(&t, c, tu_opts_mss, sizeof(tu_opts_mss));
}

static uint32_t rcv_rel(const struct tu_conn *c) {
  return c->seq - c->irs;
}

/* Simultaneous open (MUST-10): a bare SYN in SYN-SENT is answered with a
 * SYN-ACK and the connection enters SYN-RECEIVED. */
static void simultaneous_syn_received(struct tu_conn *c) {
  tu_syn_sent(&t, c);
  tu_conn_send(&t, c, TH_SYN, 0);
  tu_conn_expect(&t, c, TH_SYN | TH_ACK, 0, 1, 0);
  ck_assert_int_eq(tu_state(&t, c->fd), SF_TCP_SYN_RECEIVED);
  tu_expect_silence(&t);
}

/* The peer's SYN to listener lfd from rport; returns with the SYN-ACK
 * checked, the child in SYN-RECEIVED, no final ACK sent. */
static void half_open(struct tu_conn *c, int lfd, uint16_t rport,
                      uint32_t irs) {
  memset(c, 0, sizeof(*c));
  c->fd = -1;
  c->lfd = lfd;
  c->lport = 8080;
  c->rport = rport;
  c->irs = irs;
  c->seq = irs;
  tu_conn_send(&t, c, TH_SYN, 0);
  struct tu_out o;
  tu_conn_pop(&t, c, &o);
  ck_assert_uint_eq(o.flags, TH_SYN | TH_ACK);
  ck_assert_uint_eq(o.ack, irs + 1);
  c->iss = o.seq;
  c->ack = o.seq + 1;
}

/* close() the connection and check its FIN; the stack is in FIN-WAIT-1. */
static void close_to_fin_wait_1(struct tu_conn *c) {
  ck_assert_int_eq(sf_close(t.st, c->fd), 0);
  tu_conn_expect(&t, c, TH_FIN | TH_ACK, 1, rcv_rel(c), 0);
  ck_assert_int_eq(tu_conn_state(&t, c), SF_TCP_FIN_WAIT_1);
}

/* close(), then the peer's FIN+ACK: TIME-WAIT, with the descriptor gone. */
static void close_to_time_wait(struct tu_conn *c) {
  close_to_fin_wait_1(c);
  c->ack++;
  tu_conn_send(&t, c, TH_FIN | TH_ACK, 0);
  tu_conn_expect(&t, c, TH_ACK, 2, rcv_rel(c), 0);
  ck_assert_int_eq(tu_conn_state(&t, c), SF_TCP_TIME_WAIT);
}

/* --- opening ------------------------------------------------------------ */

START_TEST(test_listen_syn_creates_child_in_syn_received) {
  struct tu_conn c;
  int lfd = tu_listen(&t, 8080, 16);
  half_open(&c, lfd, 40000, 1000000);
  ck_assert_int_eq(tu_conn_state(&t, &c), SF_TCP_SYN_RECEIVED);
  ck_assert_int_eq(tu_state(&t, lfd), SF_TCP_LISTEN);
  ck_assert_int_eq(sf_accept(t.st, lfd, NULL, NULL), -EAGAIN);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_syn_received_ack_of_syn_enters_established) {
  struct tu_conn c;
  int lfd = tu_listen(&t, 8080, 16);
  half_open(&c, lfd, 40000, 1000000);
  tu_conn_send(&t, &c, TH_ACK, 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_conn_state(&t, &c), SF_TCP_ESTABLISHED);
  int fd = sf_accept(t.st, lfd, NULL, NULL);
  ck_assert_int_ge(fd, 3);
  ck_assert_int_eq(tu_state(&t, fd), SF_TCP_ESTABLISHED);
}
END_TEST

START_TEST(test_syn_sent_syn_ack_enters_established_and_acks) {
  struct tu_conn c;
  tu_syn_sent(&t, &c);
  tu_conn_send(&t, &c, TH_SYN | TH_ACK, 0);
  tu_conn_expect(&t, &c, TH_ACK, 1, 1, 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_ESTABLISHED);
}
END_TEST

START_TEST(test_simultaneous_open_syn_enters_syn_received) {
  struct tu_conn c;
  tu_syn_sent(&t, &c);
  /* MUST-10: <SEQ=ISS><ACK=IRS+1><CTL=SYN,ACK> in reply to a bare SYN */
  tu_conn_send(&t, &c, TH_SYN, 0);
  tu_conn_expect(&t, &c, TH_SYN | TH_ACK, 0, 1, 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_SYN_RECEIVED);
}
END_TEST

START_TEST(test_simultaneous_open_ack_enters_established) {
  struct tu_conn c;
  simultaneous_syn_received(&c);
  tu_conn_send(&t, &c, TH_ACK, 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_ESTABLISHED);
}
END_TEST

/* RFC 9293 3.5 figure 8, line 6: the peer's own SYN-ACK (one below RCV.NXT)
 * completes a simultaneous open. Linux accepts it too and answers with an
 * ACK for the already-received SYN. */
START_TEST(test_simultaneous_open_syn_ack_enters_established) {
  struct tu_conn c;
  simultaneous_syn_received(&c);
  tu_conn_send_at(&t, &c, TH_SYN | TH_ACK, -1, 0, 0);
  tu_conn_expect(&t, &c, TH_ACK, 1, 1, 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_ESTABLISHED);
}
END_TEST

START_TEST(test_simultaneous_open_can_send_data_once_established) {
  struct tu_conn c;
  simultaneous_syn_received(&c);
  tu_conn_send(&t, &c, TH_ACK, 0);
  ck_assert_int_eq(sf_write(t.st, c.fd, "hello", 5), 5);
  tu_conn_expect(&t, &c, TH_ACK | TH_PSH, 1, 1, 5);
  tu_expect_silence(&t);
}
END_TEST

/* The peer's bare SYN in a simultaneous open, with the options given. */
static void simultaneous_syn(struct tu_conn *c, const uint8_t *opts,
                             uint8_t optlen, struct tu_out *synack) {
  tu_syn_sent(&t, c);
  tu_send_tcp(&t, &(struct tu_seg){.sport = c->rport,
                                   .dport = c->lport,
                                   .seq = c->irs,
                                   .flags = TH_SYN,
                                   .opts = opts,
                                   .optlen = optlen});
  c->seq = c->irs + 1;
  tu_pop(&t, synack);
  ck_assert_uint_eq(synack->flags, TH_SYN | TH_ACK);
}

START_TEST(test_linux_simultaneous_open_synack_repeats_our_syn_options) {
  /* Linux (tcp_rcv_synsent_state_process): mss, sackOK, TS (ecr 0: the
   * peer sent none), wscale, whatever the peer's SYN had (as the kernel) */
  struct tu_conn c;
  struct tu_out sa;
  simultaneous_syn(&c, tu_opts_mss, sizeof(tu_opts_mss), &sa);
  ck_assert_uint_eq(sa.mss, 1460);
  ck_assert(sa.sackok && sa.has_ts);
  ck_assert_uint_eq(sa.ts_ecr, 0);
  ck_assert_uint_eq(sa.ws, 8);
  /* only the MSS is agreed on, but our window stays scaled */
  sf_tcp_info i = tu_info(&t, c.fd);
  ck_assert_uint_eq(i.ts_ok, 0);
  ck_assert_uint_eq(i.sack_ok, 0);
  ck_assert_uint_eq(i.rcv_wscale, 8);
  ck_assert_uint_eq(i.snd_wscale, 0);
}
END_TEST

START_TEST(test_rfc_simultaneous_open_synack_carries_what_both_offered) {
  /* RFC 7323 2.2, 3.2; RFC 2018 2 */
  struct tu_conn c;
  struct tu_out sa;
  simultaneous_syn(&c, tu_opts_mss, sizeof(tu_opts_mss), &sa);
  ck_assert_uint_eq(sa.mss, 1460);
  ck_assert(!sa.sackok && !sa.has_ts);
  ck_assert_uint_eq(sa.ws, 0xff);
}
END_TEST

START_TEST(test_simultaneous_open_synack_updates_ts_recent) {
  /* RFC 7323 4.3: the peer's SYN-ACK (SEG.SEQ <= Last.ACK.sent) carries the
   * TSval to echo from now on (the kernel echoes it too) */
  struct tu_conn c;
  struct tu_out sa;
  simultaneous_syn(&c, tu_opts_full, sizeof(tu_opts_full), &sa);
  ck_assert(sa.has_ts);
  c.ts = true;
  c.ts_val = 777;
  c.ts_ecr = sa.ts_val;
  tu_conn_send_at(&t, &c, TH_SYN | TH_ACK, -1, 0, 0);
  struct tu_out o;
  tu_conn_pop(&t, &c, &o);
  ck_assert_uint_eq(o.flags, TH_ACK);
  ck_assert_uint_eq(o.ts_ecr, 777);
}
END_TEST

/* --- active close ------------------------------------------------------- */

START_TEST(test_close_sends_fin_and_enters_fin_wait_1) {
  struct tu_conn c;
  open_passive(&c);
  close_to_fin_wait_1(&c);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_fin_wait_1_ack_of_fin_enters_fin_wait_2) {
  struct tu_conn c;
  open_passive(&c);
  close_to_fin_wait_1(&c);
  c.ack++;
  tu_conn_send(&t, &c, TH_ACK, 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_conn_state(&t, &c), SF_TCP_FIN_WAIT_2);
}
END_TEST

START_TEST(test_fin_wait_2_fin_is_acked_and_enters_time_wait) {
  struct tu_conn c;
  open_passive(&c);
  close_to_fin_wait_1(&c);
  c.ack++;
  tu_conn_send(&t, &c, TH_ACK, 0);
  tu_conn_send(&t, &c, TH_FIN | TH_ACK, 0);
  tu_conn_expect(&t, &c, TH_ACK, 2, 2, 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_conn_state(&t, &c), SF_TCP_TIME_WAIT);
}
END_TEST

/* FIN+ACK of our FIN in one segment: FIN-WAIT-1 -> TIME-WAIT. */
START_TEST(test_fin_wait_1_fin_acking_our_fin_enters_time_wait) {
  struct tu_conn c;
  open_passive(&c);
  close_to_fin_wait_1(&c);
  c.ack++;
  tu_conn_send(&t, &c, TH_FIN | TH_ACK, 0);
  tu_conn_expect(&t, &c, TH_ACK, 2, 2, 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_conn_state(&t, &c), SF_TCP_TIME_WAIT);
}
END_TEST

/* Simultaneous close: the peer's FIN does not yet acknowledge ours. */
START_TEST(test_fin_wait_1_fin_without_ack_of_ours_enters_closing) {
  struct tu_conn c;
  open_passive(&c);
  close_to_fin_wait_1(&c);
  tu_conn_send(&t, &c, TH_FIN | TH_ACK, 0);
  tu_conn_expect(&t, &c, TH_ACK, 2, 2, 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_conn_state(&t, &c), SF_TCP_CLOSING);
}
END_TEST

START_TEST(test_closing_ack_of_fin_enters_time_wait) {
  struct tu_conn c;
  open_passive(&c);
  close_to_fin_wait_1(&c);
  tu_conn_send(&t, &c, TH_FIN | TH_ACK, 0);
  tu_conn_expect(&t, &c, TH_ACK, 2, 2, 0);
  c.ack++;
  tu_conn_send(&t, &c, TH_ACK, 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_conn_state(&t, &c), SF_TCP_TIME_WAIT);
}
END_TEST

/* MUST-13: 2*MSL, TCP_TIMEWAIT_LEN (60 s) for the linux profile. */
START_TEST(test_time_wait_lasts_exactly_time_wait_us) {
  struct tu_conn c;
  open_passive(&c);
  close_to_time_wait(&c);
  uint32_t tw = sf_stack_config(t.st)->profile.time_wait_us;
  ck_assert_uint_eq(tw, 60 * S);
  tu_advance(&t, tw - 1);
  ck_assert_int_eq(tu_conn_state(&t, &c), SF_TCP_TIME_WAIT);
  tu_advance(&t, 1);
  ck_assert_int_eq(tu_conn_state(&t, &c), -1);
  tu_expect_silence(&t);
}
END_TEST

/* MUST-13 with the rfc profile: 2*MSL = 240 s. */
START_TEST(test_rfc_time_wait_lasts_exactly_240_s) {
  struct tu_conn c;
  open_passive(&c);
  close_to_time_wait(&c);
  ck_assert_uint_eq(sf_stack_config(t.st)->profile.time_wait_us, 240 * S);
  tu_advance(&t, 240 * S - 1);
  ck_assert_int_eq(tu_conn_state(&t, &c), SF_TCP_TIME_WAIT);
  tu_advance(&t, 1);
  ck_assert_int_eq(tu_conn_state(&t, &c), -1);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_time_wait_with_descriptor_ends_in_closed) {
  struct tu_conn c;
  open_passive(&c);
  tu_drive_to(&t, &c, SF_TCP_TIME_WAIT);
  tu_advance(&t, 60 * S);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_CLOSED);
  uint8_t b;
  ck_assert_int_eq(sf_read(t.st, c.fd, &b, 1), 0); /* MUST-12: closed */
  tu_expect_silence(&t);
}
END_TEST

/* RFC 9293 3.10.7.4 (TIME-WAIT): the only thing that can arrive is a
 * retransmission of the remote FIN: acknowledge it and restart the 2 MSL
 * timeout. */
START_TEST(test_time_wait_retransmitted_fin_is_acked_and_restarts_timer) {
  struct tu_conn c;
  open_passive(&c);
  close_to_time_wait(&c);
  tu_advance(&t, 10 * S);
  tu_conn_send_at(&t, &c, TH_FIN | TH_ACK, -1, 0, 0);
  tu_conn_expect(&t, &c, TH_ACK, 2, 2, 0);
  tu_advance(&t, 60 * S - 1);
  ck_assert_int_eq(tu_conn_state(&t, &c), SF_TCP_TIME_WAIT);
  tu_advance(&t, 1);
  ck_assert_int_eq(tu_conn_state(&t, &c), -1);
  tu_expect_silence(&t);
}
END_TEST

/* MAY-2: a SYN above the old RCV.NXT in TIME-WAIT reopens the connection
 * through the listener. */
START_TEST(test_time_wait_new_syn_opens_connection_through_listener) {
  struct tu_conn c, n;
  open_passive(&c);
  close_to_time_wait(&c);
  tu_handshake(&t, &n, c.lfd, 8080, c.rport, c.seq + 100000, tu_opts_mss,
               sizeof(tu_opts_mss));
  tu_expect_silence(&t);
  int fd = sf_accept(t.st, c.lfd, NULL, NULL);
  ck_assert_int_ge(fd, 3);
  ck_assert_int_eq(tu_state(&t, fd), SF_TCP_ESTABLISHED);
  ck_assert_int_eq(tu_conn_state(&t, &n), SF_TCP_ESTABLISHED);
}
END_TEST

/* MAY-2 condition (1): the new incarnation's ISN lies above every sequence
 * number the old one used (Linux takes the old SND.NXT + 65537). */
START_TEST(test_time_wait_reopen_isn_is_above_old_sequence_space) {
  struct tu_conn c, n;
  open_passive(&c);
  close_to_time_wait(&c);
  uint32_t old_max = c.iss + 2; /* SYN and FIN */
  tu_handshake(&t, &n, c.lfd, 8080, c.rport, c.seq + 100000, tu_opts_mss,
               sizeof(tu_opts_mss));
  ck_assert_msg((int32_t)(n.iss - old_max) > 0,
                "new ISS %u not above the old SND.MAX %u", n.iss, old_max);
}
END_TEST

/* A SYN at or below RCV.NXT may be an old duplicate: the TIME-WAIT state
 * stays and answers with an ACK (RFC 5961 4.2; Linux: TCP_TW_ACK). */
START_TEST(test_time_wait_old_syn_is_acked_and_keeps_time_wait) {
  struct tu_conn c;
  open_passive(&c);
  close_to_time_wait(&c);
  tu_conn_send_at(&t, &c, TH_SYN, -10, 0, 0);
  tu_conn_expect(&t, &c, TH_ACK, 2, 2, 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_conn_state(&t, &c), SF_TCP_TIME_WAIT);
}
END_TEST

/* MUST-13: without a listener there is nothing to reopen: the SYN draws an
 * ACK (RFC 5961 4.2; Linux: TCP_TW_SYN falls back to TCP_TW_ACK) and
 * TIME-WAIT lingers on. */
START_TEST(test_time_wait_new_syn_without_listener_keeps_time_wait) {
  struct tu_conn c;
  tu_open_active(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  tu_drive_to(&t, &c, SF_TCP_TIME_WAIT);
  tu_conn_send_at(&t, &c, TH_SYN, 100000, 0, 0);
  tu_conn_expect(&t, &c, TH_ACK, 2, 2, 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_TIME_WAIT);
}
END_TEST

/* --- passive close ------------------------------------------------------ */

START_TEST(test_peer_fin_enters_close_wait_and_reads_eof) {
  struct tu_conn c;
  open_passive(&c);
  tu_conn_send(&t, &c, TH_FIN | TH_ACK, 0);
  tu_conn_expect(&t, &c, TH_ACK, 1, 2, 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_CLOSE_WAIT);
  uint8_t b;
  ck_assert_int_eq(sf_read(t.st, c.fd, &b, 1), 0); /* MUST-12: a FIN */
}
END_TEST

START_TEST(test_close_wait_close_sends_fin_and_enters_last_ack) {
  struct tu_conn c;
  open_passive(&c);
  tu_conn_send(&t, &c, TH_FIN | TH_ACK, 0);
  tu_conn_expect(&t, &c, TH_ACK, 1, 2, 0);
  ck_assert_int_eq(sf_close(t.st, c.fd), 0);
  tu_conn_expect(&t, &c, TH_FIN | TH_ACK, 1, 2, 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_conn_state(&t, &c), SF_TCP_LAST_ACK);
}
END_TEST

START_TEST(test_last_ack_ack_of_fin_enters_closed) {
  struct tu_conn c;
  open_passive(&c);
  tu_conn_send(&t, &c, TH_FIN | TH_ACK, 0);
  tu_conn_expect(&t, &c, TH_ACK, 1, 2, 0);
  ck_assert_int_eq(sf_close(t.st, c.fd), 0);
  tu_conn_expect(&t, &c, TH_FIN | TH_ACK, 1, 2, 0);
  c.ack++;
  tu_conn_send(&t, &c, TH_ACK, 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_conn_state(&t, &c), -1);
}
END_TEST

START_TEST(test_last_ack_with_descriptor_ends_in_closed) {
  struct tu_conn c;
  open_passive(&c);
  tu_drive_to(&t, &c, SF_TCP_LAST_ACK);
  c.ack++;
  tu_conn_send(&t, &c, TH_ACK, 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_CLOSED);
}
END_TEST

/* --- closing before ESTABLISHED ----------------------------------------- */

/* RFC 9293 3.10.4: CLOSE in SYN-RECEIVED with nothing queued forms a FIN,
 * sends it and enters FIN-WAIT-1 (Linux sends it at once too). */
START_TEST(test_syn_received_close_enters_fin_wait_1) {
  struct tu_conn c;
  simultaneous_syn_received(&c);
  ck_assert_int_eq(sf_shutdown(t.st, c.fd, SHUT_WR), 0);
  tu_conn_expect(&t, &c, TH_FIN | TH_ACK, 1, 1, 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_FIN_WAIT_1);
}
END_TEST

/* close() in SYN-RECEIVED: the FIN follows the SYN-ACK in sequence space
 * before the peer has acknowledged the SYN: <SEQ=ISS+1><CTL=FIN,ACK>. */
static void close_in_syn_received(struct tu_conn *c) {
  simultaneous_syn_received(c);
  ck_assert_int_eq(sf_close(t.st, c->fd), 0);
  tu_conn_expect(&t, c, TH_FIN | TH_ACK, 1, 1, 0);
}

START_TEST(test_syn_received_close_sends_fin_at_once) {
  struct tu_conn c;
  close_in_syn_received(&c);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_conn_state(&t, &c), SF_TCP_FIN_WAIT_1);
}
END_TEST

/* RFC 6298 5.4: the retransmission timer resends the earliest
 * unacknowledged segment, the SYN-ACK at the ISS, not the FIN. */
START_TEST(test_syn_received_close_timeout_resends_syn_ack) {
  struct tu_conn c;
  close_in_syn_received(&c);
  tu_advance(&t, sf_stack_next_deadline(t.st) - t.now);
  tu_conn_expect(&t, &c, TH_SYN | TH_ACK, 0, 1, 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_conn_state(&t, &c), SF_TCP_FIN_WAIT_1);
}
END_TEST

/* Once the peer acknowledges the retransmitted SYN alone, the FIN goes out
 * again at ISS+1; its ACK then leads to FIN-WAIT-2. */
START_TEST(test_syn_received_close_ack_of_syn_resends_fin) {
  struct tu_conn c;
  close_in_syn_received(&c);
  tu_advance(&t, sf_stack_next_deadline(t.st) - t.now);
  tu_conn_expect(&t, &c, TH_SYN | TH_ACK, 0, 1, 0);
  tu_conn_send(&t, &c, TH_ACK, 0);
  tu_conn_expect(&t, &c, TH_FIN | TH_ACK, 1, 1, 0);
  tu_expect_silence(&t);
  c.ack++;
  tu_conn_send(&t, &c, TH_ACK, 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_conn_state(&t, &c), SF_TCP_FIN_WAIT_2);
}
END_TEST

/* One ACK of both the SYN and the FIN ends FIN-WAIT-1. */
START_TEST(test_syn_received_close_ack_of_syn_and_fin_enters_fin_wait_2) {
  struct tu_conn c;
  close_in_syn_received(&c);
  c.ack++;
  tu_conn_send(&t, &c, TH_ACK, 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_conn_state(&t, &c), SF_TCP_FIN_WAIT_2);
}
END_TEST

/* RFC 9293 3.10.4: CLOSE in SYN-SENT deletes the TCB; nothing is sent. */
START_TEST(test_syn_sent_close_enters_closed_silently) {
  struct tu_conn c;
  tu_syn_sent(&t, &c);
  ck_assert_int_eq(sf_close(t.st, c.fd), 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_conn_state(&t, &c), -1);
  /* the SYN-ACK now meets a closed port: <SEQ=SEG.ACK><CTL=RST> */
  tu_conn_send(&t, &c, TH_SYN | TH_ACK, 0);
  struct tu_out o;
  tu_conn_pop(&t, &c, &o);
  ck_assert_uint_eq(o.flags, TH_RST);
  ck_assert_uint_eq(o.seq, c.iss + 1);
}
END_TEST

START_TEST(test_syn_sent_shutdown_write_enters_closed) {
  struct tu_conn c;
  tu_syn_sent(&t, &c);
  ck_assert_int_eq(sf_shutdown(t.st, c.fd, SHUT_WR), 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_CLOSED);
}
END_TEST

/* --- half-close and aborting closes ------------------------------------- */

START_TEST(test_half_close_fin_wait_2_keeps_reading_data) {
  struct tu_conn c;
  open_passive(&c);
  tu_drive_to(&t, &c, SF_TCP_FIN_WAIT_2);
  tu_conn_send(&t, &c, TH_ACK | TH_PSH, 100);
  tu_conn_expect(&t, &c, TH_ACK, 2, 101, 0);
  uint8_t buf[200];
  ck_assert_int_eq(sf_read(t.st, c.fd, buf, sizeof(buf)), 100);
  ck_assert_int_eq(sf_write(t.st, c.fd, buf, 1), -EPIPE);
  tu_conn_send(&t, &c, TH_FIN | TH_ACK, 0);
  tu_conn_expect(&t, &c, TH_ACK, 2, 102, 0);
  ck_assert_int_eq(sf_read(t.st, c.fd, buf, sizeof(buf)), 0);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_TIME_WAIT);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_half_close_fin_wait_1_keeps_reading_data) {
  struct tu_conn c;
  open_passive(&c);
  tu_drive_to(&t, &c, SF_TCP_FIN_WAIT_1);
  tu_conn_send(&t, &c, TH_ACK | TH_PSH, 100);
  tu_conn_expect(&t, &c, TH_ACK, 2, 101, 0);
  uint8_t buf[200];
  ck_assert_int_eq(sf_read(t.st, c.fd, buf, sizeof(buf)), 100);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_FIN_WAIT_1);
  tu_expect_silence(&t);
}
END_TEST

/* SHLD-3: CLOSE with unread data aborts: <SEQ=SND.NXT><ACK=RCV.NXT><RST>. */
START_TEST(test_close_with_unread_data_sends_rst) {
  struct tu_conn c;
  open_passive(&c);
  tu_conn_send(&t, &c, TH_ACK | TH_PSH, 100);
  tu_conn_expect(&t, &c, TH_ACK, 1, 101, 0);
  ck_assert_int_eq(sf_close(t.st, c.fd), 0);
  tu_conn_expect(&t, &c, TH_RST | TH_ACK, 1, 101, 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_conn_state(&t, &c), -1);
}
END_TEST

START_TEST(test_close_with_linger_zero_sends_rst) {
  struct tu_conn c;
  open_passive(&c);
  struct linger l = {.l_onoff = 1, .l_linger = 0};
  ck_assert_int_eq(
      sf_setsockopt(t.st, c.fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)), 0);
  ck_assert_int_eq(sf_close(t.st, c.fd), 0);
  tu_conn_expect(&t, &c, TH_RST | TH_ACK, 1, 1, 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_conn_state(&t, &c), -1);
}
END_TEST

START_TEST(test_close_with_linger_nonzero_sends_fin) {
  struct tu_conn c;
  open_passive(&c);
  struct linger l = {.l_onoff = 1, .l_linger = 5};
  ck_assert_int_eq(
      sf_setsockopt(t.st, c.fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)), 0);
  close_to_fin_wait_1(&c);
  tu_expect_silence(&t);
}
END_TEST

/* SHLD-3 (Linux tcp_rcv_state_process): data after close() is answered with
 * a reset, <SEQ=SEG.ACK><CTL=RST>, and the connection is gone. */
START_TEST(test_data_after_close_in_fin_wait_2_draws_rst) {
  struct tu_conn c;
  open_passive(&c);
  close_to_fin_wait_1(&c);
  c.ack++;
  tu_conn_send(&t, &c, TH_ACK, 0);
  tu_conn_send(&t, &c, TH_ACK | TH_PSH, 10);
  struct tu_out o;
  tu_conn_pop(&t, &c, &o);
  ck_assert_uint_eq(o.flags, TH_RST);
  ck_assert_uint_eq(o.seq, c.ack);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_conn_state(&t, &c), -1);
}
END_TEST

START_TEST(test_data_after_close_in_fin_wait_1_draws_rst) {
  struct tu_conn c;
  open_passive(&c);
  close_to_fin_wait_1(&c);
  tu_conn_send(&t, &c, TH_ACK | TH_PSH, 10);
  struct tu_out o;
  tu_conn_pop(&t, &c, &o);
  ck_assert_uint_eq(o.flags, TH_RST);
  ck_assert_uint_eq(o.seq, c.ack);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_conn_state(&t, &c), -1);
}
END_TEST

/* Linux (tcp_fin_timeout): an orphaned FIN-WAIT-2 ends silently after
 * fin_wait2_timeout_us. */
START_TEST(test_orphan_fin_wait_2_times_out_silently) {
  struct tu_conn c;
  open_passive(&c);
  close_to_fin_wait_1(&c);
  c.ack++;
  tu_conn_send(&t, &c, TH_ACK, 0);
  uint32_t to = sf_stack_config(t.st)->profile.fin_wait2_timeout_us;
  ck_assert_uint_eq(to, 60 * S);
  tu_advance(&t, to - 1);
  ck_assert_int_eq(tu_conn_state(&t, &c), SF_TCP_FIN_WAIT_2);
  tu_advance(&t, 1);
  ck_assert_int_eq(tu_conn_state(&t, &c), -1);
  tu_expect_silence(&t);
}
END_TEST

/* The timeout is for orphans only: a half-closed socket may wait forever
 * for the peer's FIN. */
START_TEST(test_fin_wait_2_with_descriptor_does_not_time_out) {
  struct tu_conn c;
  open_passive(&c);
  tu_drive_to(&t, &c, SF_TCP_FIN_WAIT_2);
  tu_advance(&t, 600 * S);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_FIN_WAIT_2);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_rfc_orphan_fin_wait_2_does_not_time_out) {
  struct tu_conn c;
  open_passive(&c);
  close_to_fin_wait_1(&c);
  c.ack++;
  tu_conn_send(&t, &c, TH_ACK, 0);
  tu_advance(&t, 600 * S);
  ck_assert_int_eq(tu_conn_state(&t, &c), SF_TCP_FIN_WAIT_2);
  tu_expect_silence(&t);
}
END_TEST

/* --- listener ----------------------------------------------------------- */

/* Linux (sk_acceptq_is_full): a SYN is dropped while more than `backlog`
 * connections wait to be accepted. */
START_TEST(test_listen_backlog_drops_syn_while_accept_queue_is_full) {
  struct tu_conn a, b, c;
  int lfd = tu_listen(&t, 8080, 1);
  tu_handshake(&t, &a, lfd, 8080, 40001, 1000, tu_opts_mss, 4);
  tu_handshake(&t, &b, lfd, 8080, 40002, 2000, tu_opts_mss, 4);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_conn_state(&t, &b), SF_TCP_ESTABLISHED);
  memset(&c, 0, sizeof(c));
  c.lport = 8080;
  c.rport = 40003;
  c.seq = 3000;
  tu_conn_send(&t, &c, TH_SYN, 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_conn_state(&t, &c), -1);
}
END_TEST

START_TEST(test_listen_backlog_accept_makes_room_for_a_new_syn) {
  struct tu_conn a, b, c;
  int lfd = tu_listen(&t, 8080, 1);
  tu_handshake(&t, &a, lfd, 8080, 40001, 1000, tu_opts_mss, 4);
  tu_handshake(&t, &b, lfd, 8080, 40002, 2000, tu_opts_mss, 4);
  struct tu_seg syn = {.sport = 40003, .seq = 3000, .flags = TH_SYN};
  tu_send_tcp(&t, &syn);
  tu_expect_silence(&t);
  ck_assert_int_ge(sf_accept(t.st, lfd, NULL, NULL), 3);
  half_open(&c, lfd, 40003, 3000); /* the peer's retransmitted SYN */
  ck_assert_int_eq(tu_conn_state(&t, &c), SF_TCP_SYN_RECEIVED);
}
END_TEST

/* Linux (tcp_v4_syn_recv_sock): the final ACK is dropped while the accept
 * queue is full; the child stays in SYN-RECEIVED. */
START_TEST(test_listen_final_ack_dropped_while_accept_queue_is_full) {
  struct tu_conn a, b;
  int lfd = tu_listen(&t, 8080, 0);
  half_open(&a, lfd, 40001, 1000);
  half_open(&b, lfd, 40002, 2000);
  tu_conn_send(&t, &a, TH_ACK, 0);
  ck_assert_int_eq(tu_conn_state(&t, &a), SF_TCP_ESTABLISHED);
  tu_conn_send(&t, &b, TH_ACK, 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_conn_state(&t, &b), SF_TCP_SYN_RECEIVED);
}
END_TEST

START_TEST(test_listen_final_ack_accepted_once_queue_has_room) {
  struct tu_conn a, b;
  int lfd = tu_listen(&t, 8080, 0);
  half_open(&a, lfd, 40001, 1000);
  half_open(&b, lfd, 40002, 2000);
  tu_conn_send(&t, &a, TH_ACK, 0);
  tu_conn_send(&t, &b, TH_ACK, 0);
  ck_assert_int_ge(sf_accept(t.st, lfd, NULL, NULL), 3);
  tu_conn_send(&t, &b, TH_ACK, 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_conn_state(&t, &b), SF_TCP_ESTABLISHED);
  ck_assert_int_ge(sf_accept(t.st, lfd, NULL, NULL), 3);
}
END_TEST

/* Linux (inet_csk_listen_stop): closing a listener aborts the connections
 * nobody accepted: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=RST,ACK>. */
START_TEST(test_close_listener_resets_unaccepted_established_children) {
  struct tu_conn a;
  int lfd = tu_listen(&t, 8080, 16);
  tu_handshake(&t, &a, lfd, 8080, 40001, 1000, tu_opts_mss, 4);
  ck_assert_int_eq(sf_close(t.st, lfd), 0);
  tu_conn_expect(&t, &a, TH_RST | TH_ACK, 1, 1, 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_conn_state(&t, &a), -1);
}
END_TEST

/* Embryonic children go silently; the peer's late ACK meets a closed port. */
START_TEST(test_close_listener_drops_syn_received_children_silently) {
  struct tu_conn a;
  int lfd = tu_listen(&t, 8080, 16);
  half_open(&a, lfd, 40001, 1000);
  ck_assert_int_eq(sf_close(t.st, lfd), 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_conn_state(&t, &a), -1);
  tu_conn_send(&t, &a, TH_ACK, 0);
  struct tu_out o;
  tu_conn_pop(&t, &a, &o);
  ck_assert_uint_eq(o.flags, TH_RST);
  ck_assert_uint_eq(o.seq, a.ack);
}
END_TEST

START_TEST(test_close_listener_leaves_accepted_connections_alone) {
  struct tu_conn c;
  open_passive(&c);
  ck_assert_int_eq(sf_close(t.st, c.lfd), 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_ESTABLISHED);
}
END_TEST

/* Linux (tcp_fin): data held out of order beyond the FIN is not part of
 * the stream: the FIN ends it, and what lay beyond is dropped (found by
 * tcp_scenario_fuzzer: the stack acknowledged bytes past the FIN). */
START_TEST(test_fin_drops_out_of_order_data_beyond_it) {
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  tu_conn_send_seg(&t, &c,
                   &(struct tu_seg){.flags = TH_ACK, .seq = 100, .len = 100});
  tu_drain(&t);
  tu_conn_send(&t, &c, TH_ACK | TH_FIN, 50);
  struct tu_out o;
  tu_conn_pop(&t, &c, &o);
  ck_assert_uint_eq(o.ack, c.seq); /* 50 bytes and the FIN */
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_CLOSE_WAIT);
  uint8_t b[512];
  ck_assert_int_eq(sf_read(t.st, c.fd, b, sizeof(b)), 50);
  ck_assert_int_eq(sf_read(t.st, c.fd, b, sizeof(b)), 0);
}
END_TEST

/* An out-of-order FIN ends the stream where it stands, even when data held
 * beyond it fills the gap. */
START_TEST(test_out_of_order_fin_bounds_the_data_absorbed) {
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  tu_conn_send_seg(
      &t, &c,
      &(struct tu_seg){.flags = TH_ACK | TH_FIN, .seq = 100, .len = 20});
  tu_drain(&t);
  tu_conn_send_seg(&t, &c,
                   &(struct tu_seg){.flags = TH_ACK, .seq = 110, .len = 100});
  tu_drain(&t);
  tu_conn_send(&t, &c, TH_ACK, 100);
  struct tu_out o;
  tu_conn_pop(&t, &c, &o);
  ck_assert_uint_eq(o.ack, c.seq + 21); /* up to the FIN at 120, and it */
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_CLOSE_WAIT);
  uint8_t b[512];
  ck_assert_int_eq(sf_read(t.st, c.fd, b, sizeof(b)), 120);
}
END_TEST

Suite *tu_suite(void) {
  Suite *s = suite_create("tcp_states");
  TCase *tc = tcase_create("linux");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_listen_syn_creates_child_in_syn_received);
  tcase_add_test(tc, test_fin_drops_out_of_order_data_beyond_it);
  tcase_add_test(tc, test_out_of_order_fin_bounds_the_data_absorbed);
  tcase_add_test(tc, test_syn_received_ack_of_syn_enters_established);
  tcase_add_test(tc, test_syn_sent_syn_ack_enters_established_and_acks);
  tcase_add_test(tc, test_simultaneous_open_syn_enters_syn_received);
  tcase_add_test(tc, test_simultaneous_open_ack_enters_established);
  tcase_add_test(tc, test_simultaneous_open_syn_ack_enters_established);
  tcase_add_test(tc, test_simultaneous_open_can_send_data_once_established);
  tcase_add_test(tc,
                 test_linux_simultaneous_open_synack_repeats_our_syn_options);
  tcase_add_test(tc, test_simultaneous_open_synack_updates_ts_recent);
  tcase_add_test(tc, test_close_sends_fin_and_enters_fin_wait_1);
  tcase_add_test(tc, test_fin_wait_1_ack_of_fin_enters_fin_wait_2);
  tcase_add_test(tc, test_fin_wait_2_fin_is_acked_and_enters_time_wait);
  tcase_add_test(tc, test_fin_wait_1_fin_acking_our_fin_enters_time_wait);
  tcase_add_test(tc, test_fin_wait_1_fin_without_ack_of_ours_enters_closing);
  tcase_add_test(tc, test_closing_ack_of_fin_enters_time_wait);
  tcase_add_test(tc, test_time_wait_lasts_exactly_time_wait_us);
  tcase_add_test(tc, test_time_wait_with_descriptor_ends_in_closed);
  tcase_add_test(tc,
                 test_time_wait_retransmitted_fin_is_acked_and_restarts_timer);
  tcase_add_test(tc, test_time_wait_new_syn_opens_connection_through_listener);
  tcase_add_test(tc, test_time_wait_reopen_isn_is_above_old_sequence_space);
  tcase_add_test(tc, test_time_wait_old_syn_is_acked_and_keeps_time_wait);
  tcase_add_test(tc, test_time_wait_new_syn_without_listener_keeps_time_wait);
  tcase_add_test(tc, test_peer_fin_enters_close_wait_and_reads_eof);
  tcase_add_test(tc, test_close_wait_close_sends_fin_and_enters_last_ack);
  tcase_add_test(tc, test_last_ack_ack_of_fin_enters_closed);
  tcase_add_test(tc, test_last_ack_with_descriptor_ends_in_closed);
  tcase_add_test(tc, test_syn_received_close_enters_fin_wait_1);
  tcase_add_test(tc, test_syn_received_close_sends_fin_at_once);
  tcase_add_test(tc, test_syn_received_close_timeout_resends_syn_ack);
  tcase_add_test(tc, test_syn_received_close_ack_of_syn_resends_fin);
  tcase_add_test(tc,
                 test_syn_received_close_ack_of_syn_and_fin_enters_fin_wait_2);
  tcase_add_test(tc, test_syn_sent_close_enters_closed_silently);
  tcase_add_test(tc, test_syn_sent_shutdown_write_enters_closed);
  tcase_add_test(tc, test_half_close_fin_wait_2_keeps_reading_data);
  tcase_add_test(tc, test_half_close_fin_wait_1_keeps_reading_data);
  tcase_add_test(tc, test_close_with_unread_data_sends_rst);
  tcase_add_test(tc, test_close_with_linger_zero_sends_rst);
  tcase_add_test(tc, test_close_with_linger_nonzero_sends_fin);
  tcase_add_test(tc, test_data_after_close_in_fin_wait_2_draws_rst);
  tcase_add_test(tc, test_data_after_close_in_fin_wait_1_draws_rst);
  tcase_add_test(tc, test_orphan_fin_wait_2_times_out_silently);
  tcase_add_test(tc, test_fin_wait_2_with_descriptor_does_not_time_out);
  tcase_add_test(tc, test_listen_backlog_drops_syn_while_accept_queue_is_full);
  tcase_add_test(tc, test_listen_backlog_accept_makes_room_for_a_new_syn);
  tcase_add_test(tc, test_listen_final_ack_dropped_while_accept_queue_is_full);
  tcase_add_test(tc, test_listen_final_ack_accepted_once_queue_has_room);
  tcase_add_test(tc,
                 test_close_listener_resets_unaccepted_established_children);
  tcase_add_test(tc, test_close_listener_drops_syn_received_children_silently);
  tcase_add_test(tc, test_close_listener_leaves_accepted_connections_alone);
  suite_add_tcase(s, tc);

  TCase *rfc = tcase_create("rfc");
  tcase_add_checked_fixture(rfc, setup_rfc, teardown);
  tcase_add_test(rfc, test_rfc_time_wait_lasts_exactly_240_s);
  tcase_add_test(rfc,
                 test_rfc_simultaneous_open_synack_carries_what_both_offered);
  tcase_add_test(rfc, test_rfc_orphan_fin_wait_2_does_not_time_out);
  tcase_add_test(rfc, test_syn_received_close_sends_fin_at_once);
  tcase_add_test(rfc, test_syn_received_close_timeout_resends_syn_ack);
  tcase_add_test(rfc, test_syn_received_close_ack_of_syn_resends_fin);
  suite_add_tcase(s, rfc);
  return s;
}
