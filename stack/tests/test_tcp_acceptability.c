/* Segment acceptability, RFC 9293 3.10.7.4 first: the four cases of
 * (SEG.LEN, RCV.WND), trimming to the window, the ACK that answers a
 * refused segment, sequence numbers around 2^32, and the linux profile's
 * rate limit on those ACKs. */
#include <errno.h>
#include <poll.h>
#include <string.h>

#include "test_util.h"

#define MS 1000u  /* a millisecond of virtual time, in microseconds */
#define WND 4000u /* receive window: SO_RCVBUF 2000, doubled as Linux does */
#define IRS 1000000u

static struct tu t;
static struct tu_conn c;
static uint32_t nxt; /* the stack's SND.NXT relative to its ISN */

/* The linux profile with the RFC's window and ACK rules: the window is
 * exactly the buffer, each segment is ACKed (Linux's own rules are tested
 * in test_tcp_send and test_tcp_timers). */
static void setup(void) {
  tu_setup(&t, SF_PROFILE_LINUX);
  tu_profile_set(&t, "rcv_wnd_policy", SF_RCV_WND_RFC);
  tu_profile_set(&t, "ack_policy", SF_ACK_RFC);
  tu_profile_set(&t, "rcv_space_ratio", 256);
  tu_profile_set(&t, "rcv_truesize", SF_TRUESIZE_BYTES);
}

static void setup_rfc(void) {
  tu_setup(&t, SF_PROFILE_RFC);
}

static void teardown(void) {
  tu_teardown(&t);
}

/* The synchronized states (looped over), those that still take data, and
 * those where the peer's FIN came already. */
static const int all_states[] = {
    SF_TCP_ESTABLISHED, SF_TCP_FIN_WAIT_1, SF_TCP_FIN_WAIT_2, SF_TCP_CLOSE_WAIT,
    SF_TCP_CLOSING,     SF_TCP_LAST_ACK,   SF_TCP_TIME_WAIT};
static const int rcv_states[] = {SF_TCP_ESTABLISHED, SF_TCP_FIN_WAIT_1,
                                 SF_TCP_FIN_WAIT_2};
static const int fin_rcvd_states[] = {SF_TCP_CLOSE_WAIT, SF_TCP_CLOSING,
                                      SF_TCP_LAST_ACK};
#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Payload byte at sequence number seq, so reads can be checked. */
static uint8_t pat(uint32_t seq) {
  return (uint8_t)(seq ^ (seq >> 8) ^ (seq >> 16) ^ 0x5a);
}

static uint32_t rcv_rel(void) {
  return c.seq - c.irs;
}

/* Offset from c.seq of the right edge of the window the stack offered in
 * its SYN-ACK; it stays there as long as nothing is read. */
static int32_t to_edge(void) {
  return (int32_t)(c.irs + 1 + WND - c.seq);
}

/* Sends len patterned bytes at c.seq + dseq (with ACK and PSH); c is not
 * changed. */
static void send_bytes(int32_t dseq, uint32_t len, uint8_t extra_flags) {
  static uint8_t buf[65536];
  uint32_t seq = c.seq + (uint32_t)dseq;
  for (uint32_t i = 0; i < len; i++)
    buf[i] = pat(seq + i);
  struct tu_seg s = {.seq = (uint32_t)dseq,
                     .flags = TH_ACK | TH_PSH | extra_flags,
                     .data = buf,
                     .len = len};
  tu_conn_send_seg(&t, &c, &s);
}

/* Reads exactly n bytes and checks they are the peer's bytes from seq on. */
static void expect_read(uint32_t seq, uint32_t n) {
  static uint8_t buf[65536];
  ck_assert_int_eq(sf_read(t.st, c.fd, buf, sizeof(buf)), (ssize_t)n);
  for (uint32_t i = 0; i < n; i++)
    ck_assert_msg(buf[i] == pat(seq + i), "byte %u of the read is wrong", i);
}

/* Pops <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, the answer to a refused
 * segment, and returns its window. */
static uint16_t expect_ack(void) {
  struct tu_out o;
  tu_conn_pop(&t, &c, &o);
  ck_assert_msg(o.flags == TH_ACK, "flags 0x%02x, expected ACK", o.flags);
  ck_assert_uint_eq(o.seq - c.iss, nxt);
  ck_assert_uint_eq(o.ack - c.irs, rcv_rel());
  ck_assert_uint_eq(o.len, 0);
  return o.win;
}

/* The peer sends n bytes in order, in MSS-sized segments, each ACKed. */
static void fill(uint32_t n) {
  while (n) {
    uint32_t k = n < 1460 ? n : 1460;
    send_bytes(0, k, 0);
    c.seq += k;
    n -= k;
    expect_ack();
  }
}

/* A passive connection with peer ISN irs and a WND-byte receive window. */
static void open_conn(uint32_t irs) {
  int lfd = tu_listen(&t, 8080, 16);
  int v = WND / 2;
  ck_assert_int_eq(
      sf_setsockopt(t.st, lfd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)), 0);
  tu_handshake(&t, &c, lfd, 8080, 40000, irs, tu_opts_mss, sizeof(tu_opts_mss));
  c.fd = sf_accept(t.st, lfd, NULL, NULL);
  ck_assert_int_ge(c.fd, 3);
  ck_assert_uint_eq(tu_info(&t, c.fd).rcv_wnd, WND);
  tu_expect_silence(&t);
  nxt = 1;
}

/* open_conn, then on to `state`; the right edge must not have moved. */
static void enter(int state, uint32_t irs) {
  open_conn(irs);
  nxt = tu_drive_to(&t, &c, state);
  sf_tcp_info i = tu_info(&t, c.fd);
  ck_assert_uint_eq(i.rcv_nxt + i.rcv_wnd, c.irs + 1 + WND);
}

/* enter(), then the peer fills the whole window: RCV.WND is zero. */
static void enter_zero_window(int state) {
  enter(state, IRS);
  fill(WND);
  ck_assert_uint_eq(tu_info(&t, c.fd).rcv_wnd, 0);
  tu_expect_silence(&t);
}

/* --- zero-length segments, open window (all synchronized states) --------- */

START_TEST(test_zero_length_at_rcv_nxt_is_accepted) {
  enter(all_states[_i], IRS);
  tu_conn_send_at(&t, &c, TH_ACK, 0, 0, 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c.fd), all_states[_i]);
}
END_TEST

START_TEST(test_zero_length_inside_window_is_accepted) {
  enter(all_states[_i], IRS);
  tu_conn_send_at(&t, &c, TH_ACK, to_edge() / 2, 0, 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c.fd), all_states[_i]);
}
END_TEST

START_TEST(test_zero_length_at_right_edge_minus_one_is_accepted) {
  enter(all_states[_i], IRS);
  tu_conn_send_at(&t, &c, TH_ACK, to_edge() - 1, 0, 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c.fd), all_states[_i]);
}
END_TEST

START_TEST(test_zero_length_at_right_edge_is_refused_with_ack) {
  enter(all_states[_i], IRS);
  tu_conn_send_at(&t, &c, TH_ACK, to_edge(), 0, 0);
  expect_ack();
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c.fd), all_states[_i]);
}
END_TEST

START_TEST(test_zero_length_beyond_right_edge_is_refused_with_ack) {
  enter(all_states[_i], IRS);
  tu_conn_send_at(&t, &c, TH_ACK, to_edge() + 1000, 0, 0);
  expect_ack();
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c.fd), all_states[_i]);
}
END_TEST

START_TEST(test_zero_length_below_rcv_nxt_is_refused_with_ack) {
  enter(all_states[_i], IRS);
  tu_conn_send_at(&t, &c, TH_ACK, -1, 0, 0);
  expect_ack();
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c.fd), all_states[_i]);
}
END_TEST

/* A refused segment is still refused when it would have acknowledged our
 * FIN: its ACK field is not looked at. */
START_TEST(test_refused_segment_ack_field_is_ignored) {
  enter(SF_TCP_FIN_WAIT_1, IRS);
  tu_conn_send_at(&t, &c, TH_ACK, -1, 1, 0);
  expect_ack();
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_FIN_WAIT_1);
  tu_conn_send_at(&t, &c, TH_ACK, 0, 1, 0);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_FIN_WAIT_2);
  tu_expect_silence(&t);
}
END_TEST

/* --- segments with data, open window ------------------------------------ */

START_TEST(test_data_below_rcv_nxt_is_refused_with_ack) {
  enter(all_states[_i], IRS);
  send_bytes(-100, 100, 0);
  expect_ack();
  tu_expect_silence(&t);
  ck_assert_uint_eq(tu_info(&t, c.fd).rcv_queued, 0);
}
END_TEST

START_TEST(test_data_at_right_edge_is_refused_with_ack) {
  enter(all_states[_i], IRS);
  send_bytes(to_edge(), 10, 0);
  expect_ack();
  tu_expect_silence(&t);
  ck_assert_uint_eq(tu_info(&t, c.fd).rcv_queued, 0);
  ck_assert_uint_eq(tu_info(&t, c.fd).ooo_ranges, 0);
}
END_TEST

/* A refused RST is dropped without an answer (3.10.7.4 first). */
START_TEST(test_refused_rst_draws_nothing) {
  enter(all_states[_i], IRS);
  tu_conn_send_at(&t, &c, TH_RST, to_edge(), 0, 0);
  tu_conn_send_at(&t, &c, TH_RST | TH_ACK, -1, 0, 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c.fd), all_states[_i]);
}
END_TEST

START_TEST(test_data_at_rcv_nxt_is_accepted) {
  enter(rcv_states[_i], IRS);
  uint32_t seq = c.seq;
  send_bytes(0, 100, 0);
  c.seq += 100;
  expect_ack();
  tu_expect_silence(&t);
  expect_read(seq, 100);
}
END_TEST

/* Starts below RCV.NXT, ends in the window: the old part is trimmed. */
START_TEST(test_data_straddling_left_edge_is_trimmed_and_new_part_accepted) {
  enter(rcv_states[_i], IRS);
  uint32_t seq = c.seq;
  send_bytes(-50, 100, 0);
  c.seq += 50;
  expect_ack();
  tu_expect_silence(&t);
  expect_read(seq, 50);
}
END_TEST

/* Starts in the window, ends beyond it: the part beyond is trimmed. */
START_TEST(test_data_straddling_right_edge_is_trimmed_to_window) {
  enter(rcv_states[_i], IRS);
  uint32_t seq = c.seq;
  fill(WND - 100);
  send_bytes(0, 200, 0);
  c.seq += 100;
  ck_assert_uint_eq(expect_ack(), 0);
  tu_expect_silence(&t);
  expect_read(seq, WND);
}
END_TEST

/* Inside the window but above RCV.NXT: kept and answered with a duplicate
 * ACK (RFC 5681 4.2), delivered once the gap is filled. */
START_TEST(test_data_inside_window_after_gap_is_held_until_gap_fills) {
  enter(rcv_states[_i], IRS);
  uint32_t seq = c.seq;
  send_bytes(100, 100, 0);
  expect_ack();
  ck_assert_uint_eq(tu_info(&t, c.fd).ooo_ranges, 1);
  send_bytes(0, 100, 0);
  c.seq += 200;
  expect_ack();
  tu_expect_silence(&t);
  expect_read(seq, 200);
}
END_TEST

/* Trimming at the right edge drops a FIN beyond it as well. */
START_TEST(test_fin_beyond_right_edge_is_trimmed_with_the_data) {
  enter(SF_TCP_ESTABLISHED, IRS);
  uint32_t seq = c.seq;
  fill(WND - 100);
  send_bytes(0, 200, TH_FIN);
  c.seq += 100;
  expect_ack();
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_ESTABLISHED);
  expect_read(seq, WND);
}
END_TEST

/* RFC 9293 3.10.7.4 seventh: after the peer's FIN, text is ignored. */
START_TEST(test_data_after_peer_fin_is_ignored) {
  enter(fin_rcvd_states[_i], IRS);
  send_bytes(0, 100, 0);
  tu_expect_silence(&t);
  ck_assert_uint_eq(tu_info(&t, c.fd).rcv_queued, 0);
  ck_assert_int_eq(tu_state(&t, c.fd), fin_rcvd_states[_i]);
}
END_TEST

/* --- zero receive window ------------------------------------------------ */

START_TEST(test_zero_window_zero_length_at_rcv_nxt_is_accepted) {
  enter_zero_window(rcv_states[_i]);
  tu_conn_send_at(&t, &c, TH_ACK, 0, 0, 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c.fd), rcv_states[_i]);
}
END_TEST

/* With a zero window an acceptable segment is still processed: its ACK of
 * our FIN moves FIN-WAIT-1 on. */
START_TEST(test_zero_window_zero_length_at_rcv_nxt_acks_our_fin) {
  enter_zero_window(SF_TCP_FIN_WAIT_1);
  tu_conn_send_at(&t, &c, TH_ACK, 0, 1, 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_FIN_WAIT_2);
}
END_TEST

START_TEST(test_zero_window_zero_length_above_rcv_nxt_is_refused) {
  enter_zero_window(rcv_states[_i]);
  tu_conn_send_at(&t, &c, TH_ACK, 1, 0, 0);
  ck_assert_uint_eq(expect_ack(), 0);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_zero_window_zero_length_below_rcv_nxt_is_refused) {
  enter_zero_window(rcv_states[_i]);
  tu_conn_send_at(&t, &c, TH_ACK, -1, 0, 0);
  ck_assert_uint_eq(expect_ack(), 0);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_zero_window_data_at_rcv_nxt_is_refused) {
  enter_zero_window(rcv_states[_i]);
  send_bytes(0, 10, 0);
  ck_assert_uint_eq(expect_ack(), 0);
  tu_expect_silence(&t);
  ck_assert_uint_eq(tu_info(&t, c.fd).rcv_queued, WND);
}
END_TEST

/* RFC 9293 3.10.7.4: a zero window refuses the text, but the segment's
 * valid ACK still counts (MUST-66 allowance): here it acknowledges our
 * FIN, and the text is answered with an ACK. */
START_TEST(test_zero_window_data_at_rcv_nxt_acks_our_fin) {
  tu_profile_set(&t, "zero_wnd_drop_data", 0); /* the RFC rule */
  enter_zero_window(SF_TCP_FIN_WAIT_1);
  struct tu_seg s = {.ack = 1, .flags = TH_ACK | TH_PSH, .len = 10};
  tu_conn_send_seg(&t, &c, &s);
  c.ack++;
  ck_assert_uint_eq(expect_ack(), 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_FIN_WAIT_2);
  ck_assert_uint_eq(tu_info(&t, c.fd).rcv_queued, WND);
}
END_TEST

/* The same for an ACK of our data: SND.UNA advances and the send buffer
 * empties though the text is dropped. */
START_TEST(test_zero_window_data_at_rcv_nxt_acks_our_data) {
  tu_profile_set(&t, "zero_wnd_drop_data", 0); /* the RFC rule */
  enter_zero_window(SF_TCP_ESTABLISHED);
  tu_write_n(&t, c.fd, 100);
  tu_conn_expect(&t, &c, TH_ACK | TH_PSH, nxt, rcv_rel(), 100);
  nxt += 100;
  struct tu_seg s = {.ack = 100, .flags = TH_ACK | TH_PSH, .len = 10};
  tu_conn_send_seg(&t, &c, &s);
  c.ack += 100;
  ck_assert_uint_eq(expect_ack(), 0);
  tu_expect_silence(&t);
  sf_tcp_info i = tu_info(&t, c.fd);
  ck_assert_uint_eq(i.snd_una - c.iss, nxt);
  ck_assert_uint_eq(i.snd_queued, 0);
  ck_assert_uint_eq(i.rcv_queued, WND);
}
END_TEST

/* MUST-66: the URG field of a zero-window segment is processed. */
START_TEST(test_zero_window_data_at_rcv_nxt_urgent_pointer_is_taken) {
  tu_profile_set(&t, "zero_wnd_drop_data", 0); /* the RFC rule */
  tu_profile_set(&t, "urg_oob", 0);
  enter_zero_window(SF_TCP_ESTABLISHED);
  struct tu_seg s = {.flags = TH_ACK | TH_URG, .urp = 5, .len = 10};
  tu_conn_send_seg(&t, &c, &s);
  ck_assert_uint_eq(expect_ack(), 0);
  tu_expect_silence(&t);
  struct pollfd p = {.fd = c.fd, .events = POLLPRI};
  ck_assert_int_eq(sf_poll(t.st, &p, 1), 1);
  ck_assert_int_eq(p.revents, POLLPRI);
}
END_TEST

/* Linux (tcp_sequence): with data queued and a zero window, a segment with
 * text is dropped whole, its ACK of our FIN included. */
START_TEST(test_zero_window_data_segment_dropped_whole_linux) {
  enter_zero_window(SF_TCP_FIN_WAIT_1);
  struct tu_seg s = {.ack = 1, .flags = TH_ACK | TH_PSH, .len = 10};
  tu_conn_send_seg(&t, &c, &s);
  ck_assert_uint_eq(expect_ack(), 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_FIN_WAIT_1);
}
END_TEST

START_TEST(test_zero_window_data_is_accepted_once_window_reopens) {
  enter_zero_window(SF_TCP_ESTABLISHED);
  send_bytes(0, 10, 0);
  expect_ack();
  expect_read(c.seq - WND, WND);
  ck_assert_uint_eq(expect_ack(), WND); /* the window update */
  uint32_t seq = c.seq;
  send_bytes(0, 10, 0);
  c.seq += 10;
  expect_ack();
  expect_read(seq, 10);
  tu_expect_silence(&t);
}
END_TEST

/* --- sequence numbers around 2^32 --------------------------------------- */

#define IRS_WRAP 0xfffffc17u /* RCV.NXT = 2^32 - 1000, right edge 3000 */

START_TEST(test_wrap_data_crossing_zero_is_accepted_in_order) {
  enter(SF_TCP_ESTABLISHED, IRS_WRAP);
  uint32_t seq = c.seq;
  send_bytes(0, 1460, 0);
  c.seq += 1460;
  ck_assert_uint_eq(c.seq, 460);
  expect_ack();
  tu_expect_silence(&t);
  expect_read(seq, 1460);
}
END_TEST

START_TEST(test_wrap_zero_length_at_right_edge_minus_one_is_accepted) {
  enter(SF_TCP_ESTABLISHED, IRS_WRAP);
  ck_assert_uint_eq(c.seq + (uint32_t)to_edge(), 3000);
  tu_conn_send_at(&t, &c, TH_ACK, to_edge() - 1, 0, 0);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_wrap_zero_length_at_right_edge_is_refused) {
  enter(SF_TCP_ESTABLISHED, IRS_WRAP);
  tu_conn_send_at(&t, &c, TH_ACK, to_edge(), 0, 0);
  expect_ack();
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_wrap_data_beyond_zero_after_gap_is_held) {
  enter(SF_TCP_ESTABLISHED, IRS_WRAP);
  uint32_t seq = c.seq;
  send_bytes(1000, 100, 0); /* sequence numbers 0..99 */
  expect_ack();
  ck_assert_uint_eq(tu_info(&t, c.fd).ooo_ranges, 1);
  send_bytes(0, 1000, 0);
  c.seq += 1100;
  expect_ack();
  expect_read(seq, 1100);
}
END_TEST

START_TEST(test_wrap_data_below_rcv_nxt_across_zero_is_refused) {
  enter(SF_TCP_ESTABLISHED, IRS_WRAP);
  fill(1460);               /* RCV.NXT = 460 */
  send_bytes(-960, 500, 0); /* 2^32 - 500 .. 2^32 - 1 */
  expect_ack();
  tu_expect_silence(&t);
  ck_assert_uint_eq(tu_info(&t, c.fd).rcv_queued, 1460);
}
END_TEST

START_TEST(test_wrap_data_straddling_left_edge_across_zero_is_trimmed) {
  enter(SF_TCP_ESTABLISHED, IRS_WRAP);
  uint32_t seq = c.seq;
  fill(1460);
  send_bytes(-560, 660, 0); /* 2^32 - 100 .. 559 */
  c.seq += 100;
  expect_ack();
  expect_read(seq, 1560);
}
END_TEST

START_TEST(test_wrap_rcv_nxt_zero_segment_at_2_32_minus_1_is_refused) {
  enter(SF_TCP_ESTABLISHED, 0xffffffffu);
  ck_assert_uint_eq(c.seq, 0);
  tu_conn_send_at(&t, &c, TH_ACK, -1, 0, 0);
  expect_ack();
  tu_conn_send_at(&t, &c, TH_RST, -1, 0, 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_ESTABLISHED);
}
END_TEST

START_TEST(test_wrap_exact_rst_after_zero_resets) {
  enter(SF_TCP_ESTABLISHED, IRS_WRAP);
  fill(1460);
  tu_conn_send(&t, &c, TH_RST, 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_CLOSED);
}
END_TEST

START_TEST(test_wrap_rst_at_right_edge_is_dropped_silently) {
  enter(SF_TCP_ESTABLISHED, IRS_WRAP);
  tu_conn_send_at(&t, &c, TH_RST, to_edge(), 0, 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_ESTABLISHED);
}
END_TEST

/* --- the ACK to a refused segment: rate limit --------------------------- */

/* Linux (tcp_oow_rate_limited): one ACK per 500 ms for refused segments
 * without data. */
START_TEST(test_linux_refused_zero_length_acks_are_rate_limited) {
  enter(SF_TCP_ESTABLISHED, IRS);
  tu_conn_send_at(&t, &c, TH_ACK, -1, 0, 0);
  expect_ack();
  tu_conn_send_at(&t, &c, TH_ACK, to_edge(), 0, 0);
  tu_expect_silence(&t);
  tu_advance(&t, 500 * MS);
  tu_conn_send_at(&t, &c, TH_ACK, -1, 0, 0);
  expect_ack();
  tu_expect_silence(&t);
}
END_TEST

/* Linux: data segments are not part of an ACK loop and are always
 * answered. */
START_TEST(test_linux_refused_data_segments_are_always_acked) {
  enter(SF_TCP_ESTABLISHED, IRS);
  send_bytes(-100, 100, 0);
  expect_ack();
  send_bytes(-100, 100, 0);
  expect_ack();
  send_bytes(to_edge(), 10, 0);
  expect_ack();
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_rfc_refused_zero_length_acks_are_not_rate_limited) {
  enter(SF_TCP_ESTABLISHED, IRS);
  tu_conn_send_at(&t, &c, TH_ACK, -1, 0, 0);
  expect_ack();
  tu_conn_send_at(&t, &c, TH_ACK, to_edge(), 0, 0);
  expect_ack();
  tu_conn_send_at(&t, &c, TH_ACK, -1, 0, 0);
  expect_ack();
  tu_expect_silence(&t);
}
END_TEST

Suite *tu_suite(void) {
  Suite *s = suite_create("tcp_acceptability");
  TCase *zl = tcase_create("zero_length");
  tcase_add_checked_fixture(zl, setup, teardown);
  tcase_add_loop_test(zl, test_zero_length_at_rcv_nxt_is_accepted, 0,
                      COUNT(all_states));
  tcase_add_loop_test(zl, test_zero_length_inside_window_is_accepted, 0,
                      COUNT(all_states));
  tcase_add_loop_test(zl, test_zero_length_at_right_edge_minus_one_is_accepted,
                      0, COUNT(all_states));
  tcase_add_loop_test(zl, test_zero_length_at_right_edge_is_refused_with_ack, 0,
                      COUNT(all_states));
  tcase_add_loop_test(zl,
                      test_zero_length_beyond_right_edge_is_refused_with_ack, 0,
                      COUNT(all_states));
  tcase_add_loop_test(zl, test_zero_length_below_rcv_nxt_is_refused_with_ack, 0,
                      COUNT(all_states));
  tcase_add_test(zl, test_refused_segment_ack_field_is_ignored);
  suite_add_tcase(s, zl);

  TCase *data = tcase_create("data");
  tcase_add_checked_fixture(data, setup, teardown);
  tcase_add_loop_test(data, test_data_below_rcv_nxt_is_refused_with_ack, 0,
                      COUNT(all_states));
  tcase_add_loop_test(data, test_data_at_right_edge_is_refused_with_ack, 0,
                      COUNT(all_states));
  tcase_add_loop_test(data, test_refused_rst_draws_nothing, 0,
                      COUNT(all_states));
  tcase_add_loop_test(data, test_data_at_rcv_nxt_is_accepted, 0,
                      COUNT(rcv_states));
  tcase_add_loop_test(
      data, test_data_straddling_left_edge_is_trimmed_and_new_part_accepted, 0,
      COUNT(rcv_states));
  tcase_add_loop_test(data,
                      test_data_straddling_right_edge_is_trimmed_to_window, 0,
                      COUNT(rcv_states));
  tcase_add_loop_test(data,
                      test_data_inside_window_after_gap_is_held_until_gap_fills,
                      0, COUNT(rcv_states));
  tcase_add_test(data, test_fin_beyond_right_edge_is_trimmed_with_the_data);
  tcase_add_loop_test(data, test_data_after_peer_fin_is_ignored, 0,
                      COUNT(fin_rcvd_states));
  suite_add_tcase(s, data);

  TCase *zw = tcase_create("zero_window");
  tcase_add_checked_fixture(zw, setup, teardown);
  tcase_add_loop_test(zw, test_zero_window_zero_length_at_rcv_nxt_is_accepted,
                      0, COUNT(rcv_states));
  tcase_add_test(zw, test_zero_window_zero_length_at_rcv_nxt_acks_our_fin);
  tcase_add_loop_test(zw, test_zero_window_zero_length_above_rcv_nxt_is_refused,
                      0, COUNT(rcv_states));
  tcase_add_loop_test(zw, test_zero_window_zero_length_below_rcv_nxt_is_refused,
                      0, COUNT(rcv_states));
  tcase_add_loop_test(zw, test_zero_window_data_at_rcv_nxt_is_refused, 0,
                      COUNT(rcv_states));
  tcase_add_test(zw, test_zero_window_data_is_accepted_once_window_reopens);
  tcase_add_test(zw, test_zero_window_data_at_rcv_nxt_acks_our_fin);
  tcase_add_test(zw, test_zero_window_data_at_rcv_nxt_acks_our_data);
  tcase_add_test(zw, test_zero_window_data_at_rcv_nxt_urgent_pointer_is_taken);
  tcase_add_test(zw, test_zero_window_data_segment_dropped_whole_linux);
  suite_add_tcase(s, zw);

  TCase *wrap = tcase_create("wrap");
  tcase_add_checked_fixture(wrap, setup, teardown);
  tcase_add_test(wrap, test_wrap_data_crossing_zero_is_accepted_in_order);
  tcase_add_test(wrap,
                 test_wrap_zero_length_at_right_edge_minus_one_is_accepted);
  tcase_add_test(wrap, test_wrap_zero_length_at_right_edge_is_refused);
  tcase_add_test(wrap, test_wrap_data_beyond_zero_after_gap_is_held);
  tcase_add_test(wrap, test_wrap_data_below_rcv_nxt_across_zero_is_refused);
  tcase_add_test(wrap,
                 test_wrap_data_straddling_left_edge_across_zero_is_trimmed);
  tcase_add_test(wrap,
                 test_wrap_rcv_nxt_zero_segment_at_2_32_minus_1_is_refused);
  tcase_add_test(wrap, test_wrap_exact_rst_after_zero_resets);
  tcase_add_test(wrap, test_wrap_rst_at_right_edge_is_dropped_silently);
  suite_add_tcase(s, wrap);

  TCase *rl = tcase_create("rate_limit");
  tcase_add_checked_fixture(rl, setup, teardown);
  tcase_add_test(rl, test_linux_refused_zero_length_acks_are_rate_limited);
  tcase_add_test(rl, test_linux_refused_data_segments_are_always_acked);
  suite_add_tcase(s, rl);

  TCase *rfc = tcase_create("rfc");
  tcase_add_checked_fixture(rfc, setup_rfc, teardown);
  tcase_add_test(rfc, test_rfc_refused_zero_length_acks_are_not_rate_limited);
  suite_add_tcase(s, rfc);
  return s;
}
