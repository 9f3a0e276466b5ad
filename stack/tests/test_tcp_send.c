/* The sending side: segmentation, PSH (RFC 9293 3.9.1.2), Nagle (3.7.4),
 * silly window syndrome avoidance (3.8.6.2), windows, urgent data (3.8.5)
 * and SACK generation and use (RFC 2018). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>

#include "tcp.h"
#include "synfin/bytes.h"
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

static void nodelay(int fd, int on) {
  ck_assert_int_eq(
      sf_setsockopt(t.st, fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)), 0);
}

/* Active open whose SYN-ACK offers `win` (unscaled) and the options given;
 * c->win keeps that window for the peer's later segments. */
static void open_active_win(struct tu_conn *c, uint16_t win,
                            const uint8_t *opts, uint8_t optlen) {
  memset(c, 0, sizeof(*c));
  c->lfd = -1;
  c->fd = tu_connect(&t);
  struct tu_out syn;
  tu_pop(&t, &syn);
  c->lport = syn.sport;
  c->rport = 8080;
  c->iss = syn.seq;
  c->irs = 2000000;
  c->seq = c->irs + 1;
  c->ack = c->iss + 1;
  c->win = win;
  tu_send_tcp(&t, &(struct tu_seg){.sport = c->rport,
                                   .dport = c->lport,
                                   .seq = c->irs,
                                   .ack = c->ack,
                                   .flags = TH_SYN | TH_ACK,
                                   .win = win,
                                   .opts = opts,
                                   .optlen = optlen});
  tu_conn_expect(&t, c, TH_ACK, 1, 1, 0);
}

/* Passive open whose listener has SO_RCVBUF half_buf (doubled, as Linux),
 * so the receive buffer is 2 * half_buf bytes. */
static void open_passive_rcvbuf(struct tu_conn *c, int half_buf) {
  int lfd = tu_listen(&t, 8080, 16);
  ck_assert_int_eq(sf_setsockopt(t.st, lfd, SOL_SOCKET, SO_RCVBUF, &half_buf,
                                 sizeof(half_buf)),
                   0);
  tu_handshake(&t, c, lfd, 8080, 40000, 1000000, tu_opts_mss,
               sizeof(tu_opts_mss));
  c->fd = sf_accept(t.st, lfd, NULL, NULL);
  ck_assert_int_ge(c->fd, 3);
}

static void read_n(int fd, uint32_t n) {
  static uint8_t buf[65536];
  ck_assert_int_eq(sf_read(t.st, fd, buf, n), (ssize_t)n);
}

/* Four 500-byte segments in flight (TCP_NODELAY). */
static void four_small_segments(struct tu_conn *c, const uint8_t *opts,
                                uint8_t optlen, uint64_t rtt_us) {
  tu_open_passive_rtt(&t, c, opts, optlen, rtt_us);
  nodelay(c->fd, 1);
  for (uint32_t i = 0; i < 4; i++) {
    tu_write_n(&t, c->fd, 500);
    tu_conn_expect(&t, c, TH_ACK | TH_PSH, 1 + 500 * i, 1, 500);
  }
}

/* A pure ACK of c->ack carrying SACK blocks [start, end) relative to the
 * stack's ISN. */
static void send_sack(struct tu_conn *c, uint32_t nblocks,
                      const uint32_t (*blocks)[2]) {
  uint8_t opts[36] = {1, 1, 5, (uint8_t)(2 + 8 * nblocks)};
  for (uint32_t i = 0; i < nblocks; i++) {
    sf_put32(opts + 4 + 8 * i, c->iss + blocks[i][0]);
    sf_put32(opts + 8 + 8 * i, c->iss + blocks[i][1]);
  }
  tu_conn_send_seg(&t, c,
                   &(struct tu_seg){.flags = TH_ACK,
                                    .opts = opts,
                                    .optlen = (uint8_t)(4 + 8 * nblocks)});
}

/* ---- segmentation and PSH ---- */

START_TEST(test_write_is_cut_into_mss_sized_segments) {
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  tu_write_n(&t, c.fd, 4000);
  struct tu_out o;
  uint32_t total = 0;
  while (tu_pending(&t)) {
    tu_conn_pop(&t, &c, &o);
    ck_assert_uint_le(o.len, 1460);
    ck_assert_uint_eq(o.seq - c.iss, 1 + total);
    total += o.len;
  }
  ck_assert_uint_eq(total, 4000);
  ck_assert_uint_eq(o.len, 4000 - 2 * 1460);
}
END_TEST

START_TEST(test_psh_is_set_on_the_last_segment_of_a_write_only) {
  /* RFC 9293 MUST-61 */
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  tu_write_n(&t, c.fd, 4000);
  tu_conn_expect(&t, &c, TH_ACK, 1, 1, 1460);
  tu_conn_expect(&t, &c, TH_ACK, 1461, 1, 1460);
  tu_conn_expect(&t, &c, TH_ACK | TH_PSH, 2921, 1, 1080);
}
END_TEST

START_TEST(test_rfc_sets_psh_on_the_last_segment_too) {
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  tu_write_n(&t, c.fd, 2000);
  tu_conn_expect(&t, &c, TH_ACK, 1, 1, 1460);
  c.ack += 1460;
  tu_conn_send(&t, &c, TH_ACK, 0);
  tu_conn_expect(&t, &c, TH_ACK | TH_PSH, 1461, 1, 540);
}
END_TEST

START_TEST(test_data_beyond_the_peer_window_is_held) {
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  c.win = 3000;
  tu_conn_send(&t, &c, TH_ACK, 0);
  tu_write_n(&t, c.fd, 10000);
  tu_conn_expect(&t, &c, TH_ACK, 1, 1, 1460);
  /* Linux: the burst the window ends carries PSH (as the kernel sends) */
  tu_conn_expect(&t, &c, TH_ACK | TH_PSH, 1461, 1, 1460);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_window_update_releases_held_data) {
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  c.win = 3000;
  tu_conn_send(&t, &c, TH_ACK, 0);
  tu_write_n(&t, c.fd, 10000);
  tu_drain(&t);
  c.win = 10000;
  tu_conn_send(&t, &c, TH_ACK, 0);
  for (uint32_t i = 0; i < 4; i++)
    tu_conn_expect(&t, &c, TH_ACK, 2921 + 1460 * i, 1, 1460);
  tu_conn_expect(&t, &c, TH_ACK | TH_PSH, 8761, 1, 1240);
  tu_expect_silence(&t);
}
END_TEST

/* ---- Nagle ---- */

START_TEST(test_small_write_goes_out_at_once_when_nothing_is_in_flight) {
  /* RFC 9293 3.7.4 (SHLD-7) */
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  tu_write_n(&t, c.fd, 10);
  tu_conn_expect(&t, &c, TH_ACK | TH_PSH, 1, 1, 10);
}
END_TEST

START_TEST(test_rfc_nagle_holds_a_small_segment_while_any_data_is_unacked) {
  /* RFC 9293 3.7.4 (SHLD-7) */
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  tu_write_n(&t, c.fd, 2000);
  tu_conn_expect(&t, &c, TH_ACK, 1, 1, 1460);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_rfc_nagle_sends_the_held_segment_when_all_is_acked) {
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  tu_write_n(&t, c.fd, 100);
  tu_write_n(&t, c.fd, 100);
  tu_conn_expect(&t, &c, TH_ACK | TH_PSH, 1, 1, 100);
  tu_expect_silence(&t);
  c.ack += 100;
  tu_conn_send(&t, &c, TH_ACK, 0);
  tu_conn_expect(&t, &c, TH_ACK | TH_PSH, 101, 1, 100);
}
END_TEST

START_TEST(test_linux_nagle_sends_a_small_tail_behind_full_segments) {
  /* Minshall's variant: only an unacknowledged small segment holds one */
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  tu_write_n(&t, c.fd, 2000);
  tu_conn_expect(&t, &c, TH_ACK, 1, 1, 1460);
  tu_conn_expect(&t, &c, TH_ACK | TH_PSH, 1461, 1, 540);
}
END_TEST

START_TEST(
    test_linux_nagle_holds_a_small_segment_while_a_small_one_is_unacked) {
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  tu_write_n(&t, c.fd, 2000);
  tu_drain(&t);
  tu_write_n(&t, c.fd, 100);
  tu_expect_silence(&t);
  c.ack += 1460; /* the full segment only */
  tu_conn_send(&t, &c, TH_ACK, 0);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_linux_nagle_releases_it_once_the_small_segment_is_acked) {
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  tu_write_n(&t, c.fd, 2000);
  tu_drain(&t);
  tu_write_n(&t, c.fd, 100);
  c.ack += 2000;
  tu_conn_send(&t, &c, TH_ACK, 0);
  tu_conn_expect(&t, &c, TH_ACK | TH_PSH, 2001, 1, 100);
}
END_TEST

START_TEST(test_nodelay_sends_small_segments_at_once) {
  /* RFC 9293 MUST-17 */
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  nodelay(c.fd, 1);
  tu_write_n(&t, c.fd, 100);
  tu_write_n(&t, c.fd, 100);
  tu_conn_expect(&t, &c, TH_ACK | TH_PSH, 1, 1, 100);
  tu_conn_expect(&t, &c, TH_ACK | TH_PSH, 101, 1, 100);
}
END_TEST

START_TEST(test_setting_nodelay_sends_the_held_segment) {
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  tu_write_n(&t, c.fd, 100);
  tu_write_n(&t, c.fd, 100);
  tu_conn_expect(&t, &c, TH_ACK | TH_PSH, 1, 1, 100);
  tu_expect_silence(&t);
  nodelay(c.fd, 1);
  tu_conn_expect(&t, &c, TH_ACK | TH_PSH, 101, 1, 100);
}
END_TEST

START_TEST(test_nodelay_is_off_by_default_and_readable) {
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  int v = -1;
  socklen_t len = sizeof(v);
  ck_assert_int_eq(
      sf_getsockopt(t.st, c.fd, IPPROTO_TCP, TCP_NODELAY, &v, &len), 0);
  ck_assert_int_eq(v, 0);
  nodelay(c.fd, 1);
  ck_assert_int_eq(
      sf_getsockopt(t.st, c.fd, IPPROTO_TCP, TCP_NODELAY, &v, &len), 0);
  ck_assert_int_eq(v, 1);
}
END_TEST

/* ---- sender SWS ---- */

START_TEST(test_sender_fills_half_the_largest_window_with_a_small_segment) {
  /* RFC 9293 3.8.6.2.1 (MUST-38): Fs * max window, Fs = 1/2 */
  struct tu_conn c;
  open_active_win(&c, 1200, tu_opts_mss, sizeof(tu_opts_mss));
  tu_write_n(&t, c.fd, 3000);
  tu_conn_expect(&t, &c, TH_ACK | TH_PSH, 1, 1, 1200); /* a burst's end */
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_sender_holds_a_small_segment_below_half_the_largest_window) {
  /* RFC 9293 MUST-38 */
  struct tu_conn c;
  open_active_win(&c, 1200, tu_opts_mss, sizeof(tu_opts_mss));
  tu_write_n(&t, c.fd, 3000);
  tu_drain(&t);
  c.ack += 1200;
  c.win = 599;
  tu_conn_send(&t, &c, TH_ACK, 0);
  tu_expect_silence(&t);
  c.win = 600;
  tu_conn_send(&t, &c, TH_ACK, 0);
  tu_conn_expect(&t, &c, TH_ACK | TH_PSH, 1201, 1, 600);
}
END_TEST

START_TEST(test_sender_holds_a_small_segment_in_a_small_usable_window) {
  /* RFC 9293 MUST-38: 540 bytes of room, 65535 the largest window */
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  c.win = 2000;
  tu_conn_send(&t, &c, TH_ACK, 0);
  tu_write_n(&t, c.fd, 3000);
  tu_conn_expect(&t, &c, TH_ACK | TH_PSH, 1, 1, 1460); /* a burst's end */
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_override_timeout_sends_what_a_small_window_allows) {
  /* RFC 9293 3.8.6.2.1 (the override timeout), Linux (tcp_write_wakeup):
   * when the persist timer fires with a window too small for the SWS
   * rules, as much as fits goes out, with PSH (Linux) */
  struct tu_conn c;
  tu_open_passive_rtt(&t, &c, tu_opts_mss, sizeof(tu_opts_mss), 100 * MS);
  c.win = 500;
  tu_conn_send(&t, &c, TH_ACK, 0);
  uint64_t t0 = t.now;
  tu_write_n(&t, c.fd, 3000);
  tu_expect_silence(&t);
  tu_advance(&t, 300 * MS);
  tu_conn_expect_at(&t, &c, TH_ACK | TH_PSH, 1, 1, 500, t0 + 300 * MS);
  tu_expect_silence(&t);
}
END_TEST

/* ---- receiver SWS and the advertised window ---- */

START_TEST(test_receive_window_closes_when_the_buffer_fills) {
  struct tu_conn c;
  open_passive_rcvbuf(&c, 4096);
  for (uint32_t i = 0; i < 5; i++)
    tu_conn_send(&t, &c, TH_ACK, 1460);
  tu_conn_send(&t, &c, TH_ACK, 892);
  tu_advance(&t, 200 * MS); /* the rfc profile delays the last ACK */
  struct tu_out o;
  while (tu_pending(&t))
    tu_conn_pop(&t, &c, &o);
  ck_assert_uint_eq(o.ack, c.seq);
  ck_assert_uint_eq(o.win, 0);
  ck_assert_uint_eq(tu_info(&t, c.fd).rcv_queued, 8192);
}
END_TEST

START_TEST(test_window_is_not_reopened_by_less_than_one_mss) {
  /* RFC 9293 3.8.6.2.2 (MUST-39): min(RCV.BUFF / 2, MSS) = 1460 */
  struct tu_conn c;
  open_passive_rcvbuf(&c, 4096);
  for (uint32_t i = 0; i < 5; i++)
    tu_conn_send(&t, &c, TH_ACK, 1460);
  tu_conn_send(&t, &c, TH_ACK, 892);
  tu_drain(&t);
  read_n(c.fd, 1000);
  tu_expect_silence(&t);
  read_n(c.fd, 459);
  tu_expect_silence(&t);
  read_n(c.fd, 1);
  struct tu_out o;
  tu_conn_pop(&t, &c, &o);
  ck_assert_uint_eq(o.ack, c.seq);
  ck_assert_uint_eq(o.win, 1460);
}
END_TEST

START_TEST(test_ack_does_not_move_the_right_edge_by_less_than_one_mss) {
  /* RFC 9293 MUST-39: 1000 bytes in, 1000 read: the edge stays put since
   * the free space grew by less than an MSS beyond it */
  struct tu_conn c;
  open_passive_rcvbuf(&c, 4096);
  tu_conn_send(&t, &c, TH_ACK, 1000);
  tu_advance(&t, 200 * MS); /* the rfc profile delays the ACK */
  struct tu_out o;
  tu_conn_pop(&t, &c, &o);
  ck_assert_uint_eq(o.win, 8192 - 1000);
  read_n(c.fd, 1000);
  tu_expect_silence(&t);
  tu_conn_send(&t, &c, TH_ACK, 100);
  tu_advance(&t, 200 * MS);
  tu_conn_pop(&t, &c, &o);
  ck_assert_uint_eq(o.win, 8192 - 1100); /* not 8192 - 100 */
}
END_TEST

/* Linux's receive window, as the kernel offers it with SO_RCVBUF 4096 on
 * the listener: 8192 bytes of memory, 4096 of window, 2920 in whole
 * segments; each 1500-byte datagram costs 2304 bytes of memory. */

static void expect_ack_win(struct tu_conn *c, uint32_t rel_ack, uint16_t win) {
  struct tu_out o;
  tu_conn_pop(&t, c, &o);
  ck_assert_uint_eq(o.flags, TH_ACK);
  ck_assert_uint_eq(o.ack - c->irs, rel_ack);
  ck_assert_uint_eq(o.win, win);
}

START_TEST(test_linux_window_is_zero_once_less_than_a_segment_is_free) {
  /* Linux (__tcp_select_window): with the buffer half full and less than a
   * segment free the window is zero; the first segment is ACKed at once,
   * the next two wait for the delayed ACK, and the one beyond the window
   * learns of the zero window at once */
  struct tu_conn c;
  open_passive_rcvbuf(&c, 4096);
  ck_assert_uint_eq(tu_info(&t, c.fd).rcv_wnd, 2920);
  tu_conn_send(&t, &c, TH_ACK, 1460);
  expect_ack_win(&c, 1461, 2920);
  tu_conn_send(&t, &c, TH_ACK, 1460);
  tu_conn_send(&t, &c, TH_ACK, 1460);
  tu_expect_silence(&t);
  tu_conn_send(&t, &c, TH_ACK, 1460);
  expect_ack_win(&c, 4381, 0);
  ck_assert_uint_eq(tu_info(&t, c.fd).rcv_queued, 4380);
}
END_TEST

START_TEST(test_linux_window_reopens_when_a_whole_segment_is_read) {
  /* a segment's memory is freed when all of it is read: the window opens
   * by whole segments then, not by the bytes read */
  struct tu_conn c;
  open_passive_rcvbuf(&c, 4096);
  for (int i = 0; i < 3; i++)
    tu_conn_send(&t, &c, TH_ACK, 1460);
  tu_advance(&t, 40 * MS);
  expect_ack_win(&c, 1461, 2920);
  expect_ack_win(&c, 4381, 0);
  read_n(c.fd, 1000);
  read_n(c.fd, 459);
  tu_expect_silence(&t);
  read_n(c.fd, 1);
  expect_ack_win(&c, 4381, 1460);
  read_n(c.fd, 1460);
  expect_ack_win(&c, 4381, 2920);
}
END_TEST

START_TEST(test_linux_ack_moves_the_right_edge_by_the_bytes_received) {
  /* Linux applies no receiver SWS rule to the edge while the window is
   * open: 1000 bytes in leave 2000 (of the 4096 less the memory the
   * segment holds); 100 more move the edge by 100 */
  struct tu_conn c;
  open_passive_rcvbuf(&c, 4096);
  tu_conn_send(&t, &c, TH_ACK, 1000);
  expect_ack_win(&c, 1001, 2000);
  read_n(c.fd, 1000);
  tu_expect_silence(&t);
  tu_advance(&t, 300 * MS); /* longer than the RTO: quick ACKs again */
  tu_conn_send(&t, &c, TH_ACK, 100);
  expect_ack_win(&c, 1101, 2000);
}
END_TEST

START_TEST(test_linux_takes_what_the_window_offered_beyond_so_rcvbuf) {
  /* Linux collapses its queue rather than drop data the window offered:
   * SO_RCVBUF cut to the minimum after 2000 bytes were offered */
  struct tu_conn c;
  open_passive_rcvbuf(&c, 4096);
  tu_conn_send(&t, &c, TH_ACK, 1000);
  expect_ack_win(&c, 1001, 2000);
  int one = 1;
  ck_assert_int_eq(
      sf_setsockopt(t.st, c.fd, SOL_SOCKET, SO_RCVBUF, &one, sizeof(one)), 0);
  tu_conn_send(&t, &c, TH_ACK, 1000);
  tu_conn_send(&t, &c, TH_ACK, 1000);
  tu_advance(&t, 40 * MS);
  expect_ack_win(&c, 3001, 0);
  ck_assert_uint_eq(tu_info(&t, c.fd).rcv_queued, 3000);
}
END_TEST

/* Linux's buffers for the default 540000-byte receive buffer. */
static void restart_with_big_buffers(void) {
  tu_teardown(&t);
  tu_init(&t, SF_PROFILE_LINUX);
  t.cfg.buf_capacity = 1u << 20;
  tu_start(&t);
}

START_TEST(test_linux_small_segments_share_a_buffer) {
  /* Linux (tcp_try_coalesce): a 300-byte segment fits the room left in
   * the 1 KiB buffer of the one before, so only every second one costs
   * memory; the window moves as the kernel's: 1049 four times, 1048 twice,
   * then one step a segment */
  restart_with_big_buffers();
  struct tu_conn c;
  const uint8_t o[] = {2, 4, 0x05, 0xb4, 4, 2, 1, 3, 3, 7};
  tu_open_passive(&t, &c, o, sizeof(o));
  const uint16_t want[] = {1049, 1049, 1049, 1049, 1048, 1048, 1047, 1046};
  for (uint32_t i = 0; i < 8; i++) {
    tu_advance(&t, 1 * MS);
    tu_conn_send(&t, &c, TH_ACK, 300);
    expect_ack_win(&c, 1 + 300 * (i + 1), want[i]);
  }
}
END_TEST

START_TEST(test_linux_sends_bursts_of_two_segments_at_a_low_pacing_rate) {
  /* Linux (tcp_tso_autosize): with a 100 ms RTT the pacing rate fills
   * less than a segment per 1/1024 s, so bursts are the minimum of two,
   * each ending with PSH (as the kernel sends them) */
  struct tu_conn c;
  tu_open_passive_rtt(&t, &c, tu_opts_mss, sizeof(tu_opts_mss), 100 * MS);
  tu_write_n(&t, c.fd, 5 * 1460);
  for (uint32_t i = 0; i < 5; i++)
    tu_conn_expect(&t, &c, i % 2 || i == 4 ? TH_ACK | TH_PSH : TH_ACK,
                   1 + 1460 * i, 1, 1460);
}
END_TEST

/* Right edge (ack + scaled window) of an ACK from the stack. */
static uint32_t edge_of(const struct tu_out *o, uint32_t shift) {
  return o->ack + ((uint32_t)o->win << shift);
}

START_TEST(test_announced_right_edge_never_moves_left) {
  /* RFC 9293 SHLD-14, with window scaling rounding in play */
  int lfd = tu_listen(&t, 8080, 16);
  struct tu_conn c;
  memset(&c, 0, sizeof(c));
  c.lfd = lfd;
  c.lport = 8080;
  c.rport = 40000;
  c.irs = 1000000;
  c.seq = c.irs;
  c.ts_val = 100;
  tu_send_tcp(&t, &(struct tu_seg){.seq = c.irs,
                                   .flags = TH_SYN,
                                   .opts = tu_opts_full,
                                   .optlen = sizeof(tu_opts_full)});
  c.seq++;
  struct tu_out o;
  tu_conn_pop(&t, &c, &o);
  uint32_t edge = edge_of(&o, 0); /* the SYN-ACK's window is not scaled */
  c.iss = o.seq;
  c.ack = o.seq + 1;
  c.ts = true;
  tu_conn_send(&t, &c, TH_ACK, 0);
  c.fd = sf_accept(t.st, lfd, NULL, NULL);
  const uint32_t sizes[] = {1000, 1448, 300, 1448, 1448, 50, 1448, 7, 1448};
  const uint32_t reads[] = {0, 500, 0, 3000, 0, 0, 1, 0, 2000};
  int acks = 0;
  for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
    tu_conn_send(&t, &c, TH_ACK, sizes[i]);
    if (reads[i])
      read_n(c.fd, reads[i]);
    while (tu_pending(&t)) {
      tu_conn_pop(&t, &c, &o);
      ck_assert_msg(SEQ_GEQ(edge_of(&o, 8), edge),
                    "right edge moved left by %d bytes",
                    (int)(edge - edge_of(&o, 8)));
      edge = edge_of(&o, 8);
      acks++;
    }
  }
  ck_assert_int_ge(acks, 9);
}
END_TEST

/* ---- urgent data ---- */

START_TEST(test_send_oob_sets_urg_with_the_pointer_after_the_urgent_data) {
  /* RFC 9293 3.8.5 (MUST-62) */
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  ck_assert_int_eq(sf_send(t.st, c.fd, "hello", 5, MSG_OOB), 5);
  struct tu_out o;
  tu_conn_pop(&t, &c, &o);
  ck_assert_uint_eq(o.flags, TH_ACK | TH_PSH | TH_URG);
  ck_assert_uint_eq(o.len, 5);
  ck_assert_uint_eq(o.urp, 5);
}
END_TEST

START_TEST(test_every_segment_before_the_urgent_pointer_carries_urg) {
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  static const uint8_t data[3000];
  ck_assert_int_eq(sf_send(t.st, c.fd, data, sizeof(data), MSG_OOB), 3000);
  const uint16_t urp[] = {3000, 1540, 80};
  for (int i = 0; i < 3; i++) {
    struct tu_out o;
    tu_conn_pop(&t, &c, &o);
    ck_assert(o.flags & TH_URG);
    ck_assert_uint_eq(o.urp, urp[i]);
  }
}
END_TEST

START_TEST(test_urgent_pointer_is_not_sent_once_acknowledged) {
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  ck_assert_int_eq(sf_send(t.st, c.fd, "x", 1, MSG_OOB), 1);
  tu_drain(&t);
  c.ack += 1;
  tu_conn_send(&t, &c, TH_ACK, 0);
  tu_write_n(&t, c.fd, 10);
  tu_conn_expect(&t, &c, TH_ACK | TH_PSH, 2, 1, 10);
}
END_TEST

START_TEST(test_urgent_data_is_not_held_by_nagle) {
  /* Linux (tcp_nagle_test): urgent mode bypasses Nagle */
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  tu_write_n(&t, c.fd, 100);
  tu_conn_expect(&t, &c, TH_ACK | TH_PSH, 1, 1, 100);
  ck_assert_int_eq(sf_send(t.st, c.fd, "!", 1, MSG_OOB), 1);
  struct tu_out o;
  tu_conn_pop(&t, &c, &o);
  ck_assert_uint_eq(o.seq - c.iss, 101);
  ck_assert_uint_eq(o.len, 1);
  ck_assert(o.flags & TH_URG);
  ck_assert_uint_eq(o.urp, 1);
}
END_TEST

/* Peer data "abc!" with the urgent pointer after the '!'. */
static void send_urgent_abc(struct tu_conn *c) {
  tu_conn_send_seg(&t, c,
                   &(struct tu_seg){.flags = TH_ACK | TH_URG | TH_PSH,
                                    .urp = 4,
                                    .data = (const uint8_t *)"abc!",
                                    .len = 4});
}

START_TEST(test_inbound_urgent_data_raises_pollpri) {
  /* RFC 9293 3.8.5 (MUST-32) */
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  struct pollfd p = {.fd = c.fd, .events = POLLIN | POLLPRI};
  ck_assert_int_eq(sf_poll(t.st, &p, 1), 0);
  tu_conn_send_seg(&t, &c,
                   &(struct tu_seg){.flags = TH_ACK | TH_URG | TH_PSH,
                                    .urp = 10,
                                    .len = 10});
  ck_assert_int_eq(sf_poll(t.st, &p, 1), 1);
  ck_assert(p.revents & POLLPRI);
  ck_assert(p.revents & POLLIN);
}
END_TEST

START_TEST(test_inbound_urgent_data_is_read_inline) {
  /* SO_OOBINLINE: the urgent byte stays part of the stream */
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  int on = 1;
  ck_assert_int_eq(
      sf_setsockopt(t.st, c.fd, SOL_SOCKET, SO_OOBINLINE, &on, sizeof(on)), 0);
  send_urgent_abc(&c);
  uint8_t buf[8];
  ck_assert_int_eq(sf_recv(t.st, c.fd, buf, sizeof(buf), MSG_OOB), -EINVAL);
  ck_assert_int_eq(sf_read(t.st, c.fd, buf, sizeof(buf)), 4);
  ck_assert_mem_eq(buf, "abc!", 4);
  struct pollfd p = {.fd = c.fd, .events = POLLPRI};
  ck_assert_int_eq(sf_poll(t.st, &p, 1), 0);
}
END_TEST

/* Linux (RFC 6093 3.4): the last urgent octet is read with MSG_OOB, once,
 * and is not part of the stream. */
START_TEST(test_inbound_urgent_octet_is_read_out_of_band) {
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  send_urgent_abc(&c);
  uint8_t buf[8];
  ck_assert_int_eq(sf_recv(t.st, c.fd, buf, sizeof(buf), MSG_OOB | MSG_PEEK),
                   1);
  ck_assert_int_eq(sf_recv(t.st, c.fd, buf, sizeof(buf), MSG_OOB), 1);
  ck_assert_int_eq(buf[0], '!');
  ck_assert_int_eq(sf_recv(t.st, c.fd, buf, sizeof(buf), MSG_OOB), -EINVAL);
  ck_assert_int_eq(sf_read(t.st, c.fd, buf, sizeof(buf)), 3);
  ck_assert_mem_eq(buf, "abc", 3);
  ck_assert_int_eq(sf_read(t.st, c.fd, buf, sizeof(buf)), -EAGAIN);
}
END_TEST

/* Linux (tcp_recvmsg): a read stops in front of the urgent octet; the next
 * one steps over it. */
START_TEST(test_read_stops_at_urgent_mark) {
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  const uint8_t data[6] = {'a', 'b', 'c', '!', 'd', 'e'};
  tu_conn_send_seg(
      &t, &c,
      &(struct tu_seg){
          .flags = TH_ACK | TH_URG | TH_PSH, .urp = 4, .data = data, .len = 6});
  uint8_t buf[8];
  ck_assert_int_eq(sf_read(t.st, c.fd, buf, sizeof(buf)), 3);
  ck_assert_mem_eq(buf, "abc", 3);
  ck_assert_int_eq(sf_read(t.st, c.fd, buf, sizeof(buf)), 2);
  ck_assert_mem_eq(buf, "de", 2);
  ck_assert_int_eq(sf_recv(t.st, c.fd, buf, sizeof(buf), MSG_OOB), -EINVAL);
}
END_TEST

/* Linux (tcp_poll): POLLPRI once the urgent octet is here, not when the
 * pointer is announced ahead of it; MSG_OOB meanwhile finds nothing yet. */
START_TEST(test_pollpri_waits_for_the_urgent_octet) {
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  tu_conn_send_seg(&t, &c,
                   &(struct tu_seg){.flags = TH_ACK | TH_URG | TH_PSH,
                                    .urp = 20,
                                    .len = 10});
  struct pollfd p = {.fd = c.fd, .events = POLLPRI | POLLIN};
  ck_assert_int_eq(sf_poll(t.st, &p, 1), 1);
  ck_assert_int_eq(p.revents, POLLIN);
  uint8_t buf[16];
  ck_assert_int_eq(sf_recv(t.st, c.fd, buf, sizeof(buf), MSG_OOB), -EAGAIN);
  tu_conn_send_seg(
      &t, &c, &(struct tu_seg){.seq = 10, .flags = TH_ACK | TH_PSH, .len = 10});
  ck_assert_int_eq(sf_poll(t.st, &p, 1), 1);
  ck_assert_int_eq(p.revents, POLLPRI | POLLIN);
}
END_TEST

START_TEST(test_urgent_pointer_without_urg_flag_is_ignored) {
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  tu_conn_send_seg(&t, &c,
                   &(struct tu_seg){.flags = TH_ACK, .urp = 5, .len = 10});
  struct pollfd p = {.fd = c.fd, .events = POLLPRI};
  ck_assert_int_eq(sf_poll(t.st, &p, 1), 0);
}
END_TEST

/* ---- SACK ---- */

START_TEST(test_no_sack_blocks_without_sack_permitted) {
  /* RFC 2018 2: SACK only when both sides offered it */
  struct tu_conn c;
  const uint8_t opts[] = {2, 4, 0x05, 0xb4, 1, 1, 8, 10,
                          0, 0, 0,    1,    0, 0, 0, 0};
  tu_open_passive(&t, &c, opts, sizeof(opts));
  tu_conn_send_seg(&t, &c,
                   &(struct tu_seg){.flags = TH_ACK, .seq = 100, .len = 10});
  struct tu_out o;
  tu_conn_pop(&t, &c, &o);
  ck_assert_uint_eq(o.ack, c.seq);
  ck_assert_uint_eq(o.nsack, 0);
  ck_assert_uint_eq(o.optlen, 12);
}
END_TEST

START_TEST(test_sack_holds_at_most_three_blocks_beside_timestamps) {
  /* RFC 2018 3, newest first (4) */
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_full, sizeof(tu_opts_full));
  for (int32_t i = 0; i < 4; i++) {
    tu_conn_send_seg(
        &t, &c,
        &(struct tu_seg){.flags = TH_ACK, .seq = 100 + 200 * i, .len = 50});
    if (i < 3)
      tu_drain(&t);
  }
  struct tu_out o;
  tu_conn_pop(&t, &c, &o);
  ck_assert_uint_eq(o.nsack, 3);
  ck_assert_uint_eq(o.sack[0][0], c.seq + 700);
  ck_assert_uint_eq(o.sack[0][1], c.seq + 750);
  ck_assert_uint_eq(tu_info(&t, c.fd).ooo_ranges, 4);
}
END_TEST

START_TEST(test_sack_reports_only_the_blocks_above_the_new_ack) {
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_full, sizeof(tu_opts_full));
  tu_conn_send_seg(&t, &c,
                   &(struct tu_seg){.flags = TH_ACK, .seq = 100, .len = 100});
  tu_conn_send_seg(&t, &c,
                   &(struct tu_seg){.flags = TH_ACK, .seq = 400, .len = 100});
  tu_drain(&t);
  tu_conn_send(&t, &c, TH_ACK, 100);
  struct tu_out o;
  tu_conn_pop(&t, &c, &o);
  ck_assert_uint_eq(o.ack, c.seq + 100);
  ck_assert_uint_eq(o.nsack, 1);
  ck_assert_uint_eq(o.sack[0][0], c.seq + 300);
  ck_assert_uint_eq(o.sack[0][1], c.seq + 400);
}
END_TEST

START_TEST(test_fast_retransmit_resends_only_the_hole_before_sacked_data) {
  /* RFC 2018, RFC 6675: not the SACKed bytes after the hole */
  struct tu_conn c;
  four_small_segments(&c, tu_opts_full, sizeof(tu_opts_full), 100 * MS);
  const uint32_t b[][2] = {{501, 2001}};
  for (int i = 0; i < 3; i++)
    send_sack(&c, 1, b);
  tu_conn_expect(&t, &c, TH_ACK, 1, 1, 500);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_without_sack_fast_retransmit_resends_a_full_segment) {
  struct tu_conn c;
  four_small_segments(&c, tu_opts_mss, sizeof(tu_opts_mss), 100 * MS);
  for (int i = 0; i < 3; i++)
    tu_conn_send(&t, &c, TH_ACK, 0);
  tu_conn_expect(&t, &c, TH_ACK, 1, 1, 1460);
}
END_TEST

START_TEST(test_partial_ack_resends_only_the_next_hole) {
  /* RFC 6582 with SACK: holes [1, 501) and [1001, 1501) */
  struct tu_conn c;
  four_small_segments(&c, tu_opts_full, sizeof(tu_opts_full), 100 * MS);
  const uint32_t b[][2] = {{1501, 2001}, {501, 1001}};
  for (int i = 0; i < 3; i++)
    send_sack(&c, 2, b);
  tu_conn_expect(&t, &c, TH_ACK, 1, 1, 500);
  c.ack += 1000;
  send_sack(&c, 1, b);
  tu_conn_expect(&t, &c, TH_ACK, 1001, 1, 500);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_sack_block_beyond_what_was_sent_is_ignored) {
  struct tu_conn c;
  four_small_segments(&c, tu_opts_full, sizeof(tu_opts_full), 100 * MS);
  const uint32_t b[][2] = {{501, 2501}};
  for (int i = 0; i < 3; i++)
    send_sack(&c, 1, b);
  tu_conn_expect(&t, &c, TH_ACK, 1, 1, 1448);
}
END_TEST

START_TEST(test_sack_information_is_forgotten_after_an_rto) {
  /* RFC 2018 8: after a timeout the SACKed data is resent too (no tail
   * loss probe before it: the RTO alone) */
  tu_profile_set(&t, "tlp", 0);
  struct tu_conn c;
  four_small_segments(&c, tu_opts_full, sizeof(tu_opts_full), 100 * MS);
  const uint32_t b[][2] = {{501, 2001}};
  send_sack(&c, 1, b);
  tu_advance(&t, 300 * MS);
  tu_conn_expect(&t, &c, TH_ACK, 1, 1, 1448);
}
END_TEST

Suite *tu_suite(void) {
  Suite *s = suite_create("tcp_send");
  TCase *l = tcase_create("linux");
  tcase_add_checked_fixture(l, setup_linux, teardown);
  tcase_add_test(l, test_write_is_cut_into_mss_sized_segments);
  tcase_add_test(l, test_psh_is_set_on_the_last_segment_of_a_write_only);
  tcase_add_test(l, test_data_beyond_the_peer_window_is_held);
  tcase_add_test(l, test_window_update_releases_held_data);
  tcase_add_test(l,
                 test_small_write_goes_out_at_once_when_nothing_is_in_flight);
  tcase_add_test(l, test_linux_nagle_sends_a_small_tail_behind_full_segments);
  tcase_add_test(
      l, test_linux_nagle_holds_a_small_segment_while_a_small_one_is_unacked);
  tcase_add_test(l,
                 test_linux_nagle_releases_it_once_the_small_segment_is_acked);
  tcase_add_test(l, test_nodelay_sends_small_segments_at_once);
  tcase_add_test(l, test_setting_nodelay_sends_the_held_segment);
  tcase_add_test(l, test_nodelay_is_off_by_default_and_readable);
  tcase_add_test(
      l, test_sender_fills_half_the_largest_window_with_a_small_segment);
  tcase_add_test(
      l, test_sender_holds_a_small_segment_below_half_the_largest_window);
  tcase_add_test(l, test_sender_holds_a_small_segment_in_a_small_usable_window);
  tcase_add_test(l, test_override_timeout_sends_what_a_small_window_allows);
  tcase_add_test(l, test_linux_window_is_zero_once_less_than_a_segment_is_free);
  tcase_add_test(l, test_linux_window_reopens_when_a_whole_segment_is_read);
  tcase_add_test(l, test_linux_ack_moves_the_right_edge_by_the_bytes_received);
  tcase_add_test(l, test_announced_right_edge_never_moves_left);
  tcase_add_test(l, test_linux_takes_what_the_window_offered_beyond_so_rcvbuf);
  tcase_add_test(l, test_linux_small_segments_share_a_buffer);
  tcase_add_test(l,
                 test_linux_sends_bursts_of_two_segments_at_a_low_pacing_rate);
  tcase_add_test(l,
                 test_send_oob_sets_urg_with_the_pointer_after_the_urgent_data);
  tcase_add_test(l, test_every_segment_before_the_urgent_pointer_carries_urg);
  tcase_add_test(l, test_urgent_pointer_is_not_sent_once_acknowledged);
  tcase_add_test(l, test_urgent_data_is_not_held_by_nagle);
  tcase_add_test(l, test_inbound_urgent_data_raises_pollpri);
  tcase_add_test(l, test_inbound_urgent_data_is_read_inline);
  tcase_add_test(l, test_inbound_urgent_octet_is_read_out_of_band);
  tcase_add_test(l, test_read_stops_at_urgent_mark);
  tcase_add_test(l, test_pollpri_waits_for_the_urgent_octet);
  tcase_add_test(l, test_urgent_pointer_without_urg_flag_is_ignored);
  tcase_add_test(l, test_no_sack_blocks_without_sack_permitted);
  tcase_add_test(l, test_sack_holds_at_most_three_blocks_beside_timestamps);
  tcase_add_test(l, test_sack_reports_only_the_blocks_above_the_new_ack);
  tcase_add_test(l,
                 test_fast_retransmit_resends_only_the_hole_before_sacked_data);
  tcase_add_test(l, test_without_sack_fast_retransmit_resends_a_full_segment);
  tcase_add_test(l, test_partial_ack_resends_only_the_next_hole);
  tcase_add_test(l, test_sack_block_beyond_what_was_sent_is_ignored);
  tcase_add_test(l, test_sack_information_is_forgotten_after_an_rto);
  suite_add_tcase(s, l);

  TCase *r = tcase_create("rfc");
  tcase_add_checked_fixture(r, setup_rfc, teardown);
  tcase_add_test(r, test_rfc_sets_psh_on_the_last_segment_too);
  tcase_add_test(
      r, test_rfc_nagle_holds_a_small_segment_while_any_data_is_unacked);
  tcase_add_test(r, test_rfc_nagle_sends_the_held_segment_when_all_is_acked);
  tcase_add_test(r, test_receive_window_closes_when_the_buffer_fills);
  tcase_add_test(r, test_window_is_not_reopened_by_less_than_one_mss);
  tcase_add_test(r, test_ack_does_not_move_the_right_edge_by_less_than_one_mss);
  suite_add_tcase(s, r);
  return s;
}
