/* End-to-end behaviours of one connection: open, data both ways, close. */
#include <errno.h>

#include "test_util.h"

static struct tu t;

static void setup(void) {
  tu_setup(&t, SF_PROFILE_LINUX);
}

static void teardown(void) {
  tu_teardown(&t);
}

START_TEST(test_passive_open_reaches_established) {
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_ESTABLISHED);
}
END_TEST

START_TEST(test_active_open_reaches_established) {
  struct tu_conn c;
  tu_open_active(&t, &c, tu_opts_full, sizeof(tu_opts_full));
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_ESTABLISHED);
}
END_TEST

START_TEST(test_inbound_data_is_read_in_order) {
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  uint8_t data[100];
  for (int i = 0; i < 100; i++)
    data[i] = (uint8_t)i;
  struct tu_seg s = {.sport = c.rport,
                     .dport = c.lport,
                     .seq = c.seq,
                     .ack = c.ack,
                     .flags = TH_ACK | TH_PSH,
                     .data = data,
                     .len = 100};
  tu_send_tcp(&t, &s);
  c.seq += 100;
  tu_conn_expect(&t, &c, TH_ACK, 1, 101, 0);
  uint8_t buf[200];
  ck_assert_int_eq(sf_read(t.st, c.fd, buf, sizeof(buf)), 100);
  ck_assert_mem_eq(buf, data, 100);
  ck_assert_int_eq(sf_read(t.st, c.fd, buf, sizeof(buf)), -EAGAIN);
}
END_TEST

START_TEST(test_outbound_write_is_sent_with_psh) {
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  uint8_t data[3000] = {0};
  ck_assert_int_eq(sf_write(t.st, c.fd, data, sizeof(data)), 3000);
  tu_conn_expect(&t, &c, TH_ACK, 1, 1, 1460);
  tu_conn_expect(&t, &c, TH_ACK, 1461, 1, 1460);
  tu_conn_expect(&t, &c, TH_ACK | TH_PSH, 2921, 1, 80);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_active_close_goes_through_time_wait) {
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  ck_assert_int_eq(sf_close(t.st, c.fd), 0);
  tu_conn_expect(&t, &c, TH_FIN | TH_ACK, 1, 1, 0);
  c.ack++;
  tu_conn_send(&t, &c, TH_FIN | TH_ACK, 0);
  tu_conn_expect(&t, &c, TH_ACK, 2, 2, 0);
  tu_advance(&t, 60000000);
  tu_expect_silence(&t);
  ck_assert_int_eq(sf_close(t.st, c.lfd), 0);
}
END_TEST

START_TEST(test_passive_close_ends_in_closed) {
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  tu_conn_send(&t, &c, TH_FIN | TH_ACK, 0);
  tu_conn_expect(&t, &c, TH_ACK, 1, 2, 0);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_CLOSE_WAIT);
  uint8_t b;
  ck_assert_int_eq(sf_read(t.st, c.fd, &b, 1), 0);
  ck_assert_int_eq(sf_close(t.st, c.fd), 0);
  tu_conn_expect(&t, &c, TH_FIN | TH_ACK, 1, 2, 0);
  c.ack++;
  tu_conn_send(&t, &c, TH_ACK, 0);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_segment_to_closed_port_gets_rst) {
  struct tu_seg s = {.flags = TH_SYN, .seq = 5};
  tu_send_tcp(&t, &s);
  struct tu_out o;
  tu_pop(&t, &o);
  ck_assert_uint_eq(o.flags, TH_RST | TH_ACK);
  ck_assert_uint_eq(o.ack, 6);
  ck_assert_uint_eq(o.seq, 0);
}
END_TEST

Suite *tu_suite(void) {
  Suite *s = suite_create("tcp_smoke");
  TCase *tc = tcase_create("smoke");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_passive_open_reaches_established);
  tcase_add_test(tc, test_active_open_reaches_established);
  tcase_add_test(tc, test_inbound_data_is_read_in_order);
  tcase_add_test(tc, test_outbound_write_is_sent_with_psh);
  tcase_add_test(tc, test_active_close_goes_through_time_wait);
  tcase_add_test(tc, test_passive_close_ends_in_closed);
  tcase_add_test(tc, test_segment_to_closed_port_gets_rst);
  suite_add_tcase(s, tc);
  return s;
}
