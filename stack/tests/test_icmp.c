/* ICMP (RFC 792, RFC 1122 3.2.2): echo, the rules about which datagrams may
 * cause an error, the classification of errors received about our own TCP
 * segments, and their delivery to the connection they name. TCP's policy
 * for each error (RFC 5927, SHLD-26) is tested with TCP. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stack_internal.h"
#include "synfin/bytes.h"
#include "test_util.h"

#define ROUTER 0xc6336401u /* 198.51.100.1 */
#define PROTO_UNKNOWN 253
#define ECHO_ID 0xbeef
#define ECHO_SEQ 0x0102

static struct tu t;

static void setup(void) {
  tu_setup(&t, SF_PROFILE_LINUX);
}

static void teardown(void) {
  tu_teardown(&t);
}

static const sf_stats *stats(void) {
  return sf_stack_stats(t.st);
}

/* An ICMP message with a valid checksum: type, code, 4 bytes of rest, data. */
static size_t icmp_msg(uint8_t *msg, uint8_t type, uint8_t code, uint32_t rest,
                       const uint8_t *data, size_t len) {
  msg[0] = type;
  msg[1] = code;
  sf_put16(msg + 2, 0);
  sf_put16(msg + 4, rest >> 16);
  sf_put16(msg + 6, rest & 0xffff);
  if (len)
    memcpy(msg + 8, data, len);
  sf_put16(msg + 2, tu_csum(msg, 8 + len, 0));
  return 8 + len;
}

static void echo_data(uint8_t *data, size_t len) {
  for (size_t i = 0; i < len; i++)
    data[i] = (uint8_t)(i * 31 + 3);
}

/* Injects an echo request from TU_REMOTE with len bytes of data. */
static void inject_echo(size_t len, uint8_t tos) {
  uint8_t data[200], msg[208], buf[240];
  echo_data(data, len);
  size_t m = icmp_msg(msg, 8, 0, (uint32_t)ECHO_ID << 16 | ECHO_SEQ, data, len);
  size_t n = tu_build_ip(buf, TU_REMOTE, TU_LOCAL, 1, 3, 0, msg, m);
  buf[1] = tos;
  tu_fix_ip_csum(buf);
  tu_inject_exact(&t, buf, n);
}

START_TEST(test_echo_request_is_answered_with_an_echo_reply) {
  inject_echo(56, 0);
  struct tu_out o;
  tu_pop(&t, &o);
  ck_assert_uint_eq(o.proto, 1);
  ck_assert_uint_eq(o.icmp_type, 0);
  ck_assert_uint_eq(o.icmp_code, 0);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_echo_reply_keeps_identifier_sequence_and_data) {
  uint8_t data[56];
  echo_data(data, sizeof(data));
  inject_echo(sizeof(data), 0);
  struct tu_out o;
  tu_pop(&t, &o);
  ck_assert_uint_eq(sf_get16(o.raw + 24), ECHO_ID);
  ck_assert_uint_eq(sf_get16(o.raw + 26), ECHO_SEQ);
  ck_assert_uint_eq(o.len, sizeof(data));
  ck_assert_mem_eq(o.data, data, sizeof(data));
}
END_TEST

START_TEST(test_echo_reply_has_a_valid_icmp_checksum) {
  inject_echo(56, 0);
  struct tu_out o;
  tu_pop(&t, &o);
  ck_assert_uint_eq(tu_csum(o.raw + 20, o.raw_len - 20, 0), 0);
}
END_TEST

START_TEST(test_echo_reply_goes_from_the_requested_address_to_the_requester) {
  inject_echo(8, 0);
  struct tu_out o;
  tu_pop(&t, &o);
  ck_assert_uint_eq(o.src, TU_LOCAL);
  ck_assert_uint_eq(o.dst, TU_REMOTE);
}
END_TEST

START_TEST(test_echo_reply_keeps_the_request_tos) {
  inject_echo(8, 0x10);
  struct tu_out o;
  tu_pop(&t, &o);
  ck_assert_uint_eq(o.tos, 0x10);
}
END_TEST

START_TEST(test_echo_request_with_odd_length_data_is_answered) {
  uint8_t data[57];
  echo_data(data, sizeof(data));
  inject_echo(sizeof(data), 0);
  struct tu_out o;
  tu_pop(&t, &o);
  ck_assert_uint_eq(o.len, sizeof(data));
  ck_assert_mem_eq(o.data, data, sizeof(data));
  ck_assert_uint_eq(tu_csum(o.raw + 20, o.raw_len - 20, 0), 0);
}
END_TEST

START_TEST(test_echo_request_without_data_is_answered) {
  inject_echo(0, 0);
  struct tu_out o;
  tu_pop(&t, &o);
  ck_assert_uint_eq(o.icmp_type, 0);
  ck_assert_uint_eq(o.len, 0);
}
END_TEST

START_TEST(test_echo_counts_icmp_in_and_out) {
  inject_echo(8, 0);
  tu_drain(&t);
  ck_assert_uint_eq(stats()->icmp_in, 1);
  ck_assert_uint_eq(stats()->icmp_out, 1);
}
END_TEST

START_TEST(test_echo_request_with_bad_checksum_is_dropped) {
  uint8_t data[8] = {0}, msg[16], buf[40];
  size_t m = icmp_msg(msg, 8, 0, 1, data, sizeof(data));
  msg[2] ^= 0x40;
  tu_inject_exact(&t, buf,
                  tu_build_ip(buf, TU_REMOTE, TU_LOCAL, 1, 3, 0, msg, m));
  ck_assert_uint_eq(stats()->icmp_drop, 1);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_icmp_message_shorter_than_8_bytes_is_dropped) {
  const uint8_t msg[4] = {8, 0, 0xf7, 0xff};
  uint8_t buf[40];
  tu_inject_exact(&t, buf,
                  tu_build_ip(buf, TU_REMOTE, TU_LOCAL, 1, 3, 0, msg, 4));
  ck_assert_uint_eq(stats()->icmp_drop, 1);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_echo_reply_received_is_not_answered) {
  uint8_t msg[16], buf[40];
  size_t m = icmp_msg(msg, 0, 0, 1, NULL, 0);
  tu_inject_exact(&t, buf,
                  tu_build_ip(buf, TU_REMOTE, TU_LOCAL, 1, 3, 0, msg, m));
  ck_assert_uint_eq(stats()->icmp_in, 1);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_unknown_icmp_type_is_silently_discarded) {
  uint8_t msg[16], buf[40];
  size_t m = icmp_msg(msg, 42, 0, 0, NULL, 0);
  tu_inject_exact(&t, buf,
                  tu_build_ip(buf, TU_REMOTE, TU_LOCAL, 1, 3, 0, msg, m));
  ck_assert_uint_eq(stats()->icmp_drop, 1);
  tu_expect_silence(&t);
}
END_TEST

/* --- Errors the stack sends, called directly with a crafted datagram. --- */

/* Offers the stack a Protocol Unreachable about the datagram built from
 * these fields and a 16-byte payload. */
static void unreach_about(uint32_t src, uint32_t dst, uint8_t proto,
                          uint16_t frag, const uint8_t *payload) {
  uint8_t buf[64];
  size_t n = tu_build_ip(buf, src, dst, proto, 11, frag, payload, 16);
  struct sf_ip_meta m;
  sf_ipv4_parse_meta(buf, &m);
  sf_icmp_send_unreach(t.st, &m, buf + 20, n - 20, 2);
}

static const uint8_t plain_payload[16] = {1, 2,  3,  4,  5,  6,  7,  8,
                                          9, 10, 11, 12, 13, 14, 15, 16};

static void expect_no_error_about(uint32_t src, uint32_t dst, uint8_t proto,
                                  uint16_t frag, const uint8_t *payload) {
  unreach_about(src, dst, proto, frag, payload);
  ck_assert_uint_eq(stats()->icmp_out, 0);
  tu_expect_silence(&t);
}

START_TEST(test_error_about_an_ordinary_datagram_is_sent) {
  unreach_about(TU_REMOTE, TU_LOCAL, PROTO_UNKNOWN, 0, plain_payload);
  struct tu_out o;
  tu_pop(&t, &o);
  ck_assert_uint_eq(o.icmp_type, 3);
  ck_assert_uint_eq(o.icmp_code, 2);
  ck_assert_uint_eq(o.dst, TU_REMOTE);
  ck_assert_uint_eq(stats()->icmp_out, 1);
}
END_TEST

START_TEST(test_error_has_zero_unused_field) {
  unreach_about(TU_REMOTE, TU_LOCAL, PROTO_UNKNOWN, 0, plain_payload);
  struct tu_out o;
  tu_pop(&t, &o);
  const uint8_t zero[4] = {0};
  ck_assert_mem_eq(o.raw + 24, zero, 4);
}
END_TEST

START_TEST(test_error_travels_with_internetwork_control_precedence) {
  unreach_about(TU_REMOTE, TU_LOCAL, PROTO_UNKNOWN, 0, plain_payload);
  struct tu_out o;
  tu_pop(&t, &o);
  ck_assert_uint_eq(o.tos & 0xe0, 0xc0);
}
END_TEST

START_TEST(test_error_about_an_echo_request_is_sent) {
  uint8_t echo[16] = {8, 0};
  unreach_about(TU_REMOTE, TU_LOCAL, 1, 0, echo);
  struct tu_out o;
  tu_pop(&t, &o);
  ck_assert_uint_eq(o.icmp_type, 3);
}
END_TEST

START_TEST(test_no_error_about_an_icmp_error_message) {
  uint8_t unreach[16] = {3, 3};
  expect_no_error_about(TU_REMOTE, TU_LOCAL, 1, 0, unreach);
}
END_TEST

START_TEST(test_no_error_about_an_icmp_redirect) {
  uint8_t redirect[16] = {5, 1};
  expect_no_error_about(TU_REMOTE, TU_LOCAL, 1, 0, redirect);
}
END_TEST

START_TEST(test_no_error_about_a_datagram_to_limited_broadcast) {
  expect_no_error_about(TU_REMOTE, 0xffffffffu, PROTO_UNKNOWN, 0,
                        plain_payload);
}
END_TEST

START_TEST(test_no_error_about_a_datagram_to_multicast) {
  expect_no_error_about(TU_REMOTE, 0xe0000001u, PROTO_UNKNOWN, 0,
                        plain_payload);
}
END_TEST

START_TEST(test_no_error_about_a_non_first_fragment) {
  expect_no_error_about(TU_REMOTE, TU_LOCAL, PROTO_UNKNOWN, 0x2000 | 3,
                        plain_payload);
}
END_TEST

START_TEST(test_error_about_a_first_fragment_is_sent) {
  unreach_about(TU_REMOTE, TU_LOCAL, PROTO_UNKNOWN, 0x2000, plain_payload);
  struct tu_out o;
  tu_pop(&t, &o);
  ck_assert_uint_eq(o.icmp_type, 3);
}
END_TEST

START_TEST(test_no_error_to_the_unspecified_source) {
  expect_no_error_about(0, TU_LOCAL, PROTO_UNKNOWN, 0, plain_payload);
}
END_TEST

START_TEST(test_no_error_to_a_broadcast_source) {
  expect_no_error_about(0xffffffffu, TU_LOCAL, PROTO_UNKNOWN, 0, plain_payload);
}
END_TEST

START_TEST(test_no_error_to_a_multicast_source) {
  expect_no_error_about(0xe0000005u, TU_LOCAL, PROTO_UNKNOWN, 0, plain_payload);
}
END_TEST

START_TEST(test_no_error_to_a_loopback_source) {
  expect_no_error_about(0x7f000001u, TU_LOCAL, PROTO_UNKNOWN, 0, plain_payload);
}
END_TEST

START_TEST(test_no_error_to_a_class_e_source) {
  expect_no_error_about(0xf0000001u, TU_LOCAL, PROTO_UNKNOWN, 0, plain_payload);
}
END_TEST

/* --- Errors received about our own TCP segments. --- */

/* Our segment 192.168.0.1:8080 -> 192.0.2.1:40000 as a router quotes it:
 * the IP header and the first `tcp_bytes` bytes of the TCP header. */
static size_t quote_of(uint8_t *q, uint32_t src, uint8_t proto,
                       size_t tcp_bytes) {
  uint8_t tcp[20] = {0x1f, 0x90, 0x9c, 0x40, 0x01, 0x02, 0x03, 0x04};
  tcp[12] = 0x50;
  tu_build_ip(q, src, TU_REMOTE, proto, 77, 0x4000, tcp, sizeof(tcp));
  return 20 + tcp_bytes;
}

static void inject_error(uint8_t type, uint8_t code, const uint8_t *q,
                         size_t qlen) {
  uint8_t msg[128], buf[160];
  uint32_t rest = type == 3 && code == 4 ? 1400 : 0; /* next-hop MTU */
  size_t m = icmp_msg(msg, type, code, rest, q, qlen);
  tu_inject_exact(&t, buf, tu_build_ip(buf, ROUTER, TU_LOCAL, 1, 5, 0, msg, m));
}

static void inject_error_about_our_segment(uint8_t type, uint8_t code) {
  uint8_t q[64];
  inject_error(type, code, q, quote_of(q, TU_LOCAL, 6, 8));
}

static void expect_hard(uint8_t type, uint8_t code) {
  inject_error_about_our_segment(type, code);
  ck_assert_uint_eq(stats()->icmp_hard_err, 1);
  ck_assert_uint_eq(stats()->icmp_soft_err, 0);
  tu_expect_silence(&t);
}

static void expect_soft(uint8_t type, uint8_t code) {
  inject_error_about_our_segment(type, code);
  ck_assert_uint_eq(stats()->icmp_soft_err, 1);
  ck_assert_uint_eq(stats()->icmp_hard_err, 0);
  tu_expect_silence(&t);
}

/* The quote is unusable: dropped, neither soft nor hard. */
static void expect_quote_rejected(const uint8_t *q, size_t qlen) {
  inject_error(3, 3, q, qlen);
  ck_assert_uint_eq(stats()->icmp_drop, 1);
  ck_assert_uint_eq(stats()->icmp_hard_err + stats()->icmp_soft_err, 0);
  tu_expect_silence(&t);
}

START_TEST(test_protocol_unreachable_is_a_hard_error) {
  expect_hard(3, 2);
}
END_TEST

START_TEST(test_port_unreachable_is_a_hard_error) {
  expect_hard(3, 3);
}
END_TEST

START_TEST(test_fragmentation_needed_is_a_hard_error) {
  expect_hard(3, 4);
}
END_TEST

START_TEST(test_net_unreachable_is_a_soft_error) {
  expect_soft(3, 0);
}
END_TEST

START_TEST(test_host_unreachable_is_a_soft_error) {
  expect_soft(3, 1);
}
END_TEST

START_TEST(test_source_route_failed_is_a_soft_error) {
  expect_soft(3, 5);
}
END_TEST

START_TEST(test_administratively_prohibited_is_a_soft_error) {
  expect_soft(3, 13);
}
END_TEST

START_TEST(test_time_exceeded_is_a_soft_error) {
  expect_soft(11, 0);
}
END_TEST

START_TEST(test_parameter_problem_is_a_soft_error) {
  expect_soft(12, 0);
}
END_TEST

START_TEST(test_source_quench_is_silently_discarded) {
  inject_error_about_our_segment(4, 0);
  ck_assert_uint_eq(stats()->icmp_hard_err + stats()->icmp_soft_err, 0);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_error_quoting_a_datagram_from_another_source_is_dropped) {
  uint8_t q[64];
  expect_quote_rejected(q, quote_of(q, 0xc0a80002u, 6, 8));
}
END_TEST

START_TEST(test_error_quoting_a_udp_datagram_is_dropped) {
  uint8_t q[64];
  expect_quote_rejected(q, quote_of(q, TU_LOCAL, 17, 8));
}
END_TEST

START_TEST(test_error_quoting_fewer_than_8_transport_bytes_is_dropped) {
  uint8_t q[64];
  expect_quote_rejected(q, quote_of(q, TU_LOCAL, 6, 7));
}
END_TEST

START_TEST(test_error_quoting_a_truncated_ip_header_is_dropped) {
  uint8_t q[64];
  quote_of(q, TU_LOCAL, 6, 8);
  expect_quote_rejected(q, 19);
}
END_TEST

START_TEST(test_error_quoting_a_header_length_below_20_is_dropped) {
  uint8_t q[64];
  size_t n = quote_of(q, TU_LOCAL, 6, 8);
  q[0] = 0x44;
  expect_quote_rejected(q, n);
}
END_TEST

START_TEST(test_error_quoting_a_header_longer_than_the_quote_is_dropped) {
  uint8_t q[64];
  size_t n = quote_of(q, TU_LOCAL, 6, 8);
  q[0] = 0x47; /* 28-byte header: no room left for 8 TCP bytes */
  expect_quote_rejected(q, n);
}
END_TEST

START_TEST(test_error_quoting_ip_version_6_is_dropped) {
  uint8_t q[64];
  size_t n = quote_of(q, TU_LOCAL, 6, 8);
  q[0] = 0x65;
  expect_quote_rejected(q, n);
}
END_TEST

START_TEST(test_error_quoting_a_non_first_fragment_is_dropped) {
  uint8_t q[64];
  size_t n = quote_of(q, TU_LOCAL, 6, 8);
  sf_put16(q + 6, 0x2000 | 10);
  expect_quote_rejected(q, n);
}
END_TEST

START_TEST(test_error_with_a_longer_quote_is_accepted) {
  uint8_t q[64];
  inject_error(3, 3, q, quote_of(q, TU_LOCAL, 6, 20));
  ck_assert_uint_eq(stats()->icmp_hard_err, 1);
}
END_TEST

/* --- Errors reaching the connection they name. --- */

/* Starts a connection to TU_REMOTE:8080 and pops its SYN. */
static int connect_and_pop_syn(struct tu_out *syn) {
  int fd = tu_connect(&t);
  tu_pop(&t, syn);
  ck_assert_uint_eq(syn->proto, 6);
  ck_assert_uint_eq(syn->flags, TH_SYN);
  return fd;
}

/* The connection's state; CLOSED once it has no control block. */
static int conn_state(int fd) {
  sf_tcp_info info;
  return sf_tcp_get_info(t.st, fd, &info) == 0 ? info.state : SF_TCP_CLOSED;
}

static int so_error(int fd) {
  int e = -1;
  socklen_t len = sizeof(e);
  ck_assert_int_eq(sf_getsockopt(t.st, fd, SOL_SOCKET, SO_ERROR, &e, &len), 0);
  return e;
}

/* An error of (type, code) quoting the SYN's header and 8 bytes of it. */
static void inject_error_about(const struct tu_out *syn, uint8_t type,
                               uint8_t code) {
  inject_error(type, code, syn->raw, 28);
}

START_TEST(test_port_unreachable_about_our_syn_refuses_the_connection) {
  struct tu_out syn;
  int fd = connect_and_pop_syn(&syn);
  inject_error_about(&syn, 3, 3);
  ck_assert_int_eq(conn_state(fd), SF_TCP_CLOSED);
  ck_assert_int_eq(so_error(fd), ECONNREFUSED);
  tu_expect_silence(&t);
}
END_TEST

/* RFC 9293 MUST-56: a soft error does not abort, even while opening. */
START_TEST(test_net_unreachable_about_our_syn_leaves_it_opening) {
  struct tu_out syn;
  tu_profile_set(&t, "icmp_opening_abort", 0);
  int fd = connect_and_pop_syn(&syn);
  inject_error_about(&syn, 3, 0);
  ck_assert_int_eq(conn_state(fd), SF_TCP_SYN_SENT);
  ck_assert_int_eq(so_error(fd), ENETUNREACH);
  tu_expect_silence(&t);
}
END_TEST

/* Linux (tcp_v4_err): a soft error about our SYN aborts the connect. */
START_TEST(test_net_unreachable_about_our_syn_aborts_linux) {
  struct tu_out syn;
  int fd = connect_and_pop_syn(&syn);
  inject_error_about(&syn, 3, 0);
  ck_assert_int_eq(conn_state(fd), SF_TCP_CLOSED);
  ck_assert_int_eq(so_error(fd), ENETUNREACH);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_source_quench_about_our_syn_changes_nothing) {
  struct tu_out syn;
  int fd = connect_and_pop_syn(&syn);
  inject_error_about(&syn, 4, 0);
  ck_assert_int_eq(conn_state(fd), SF_TCP_SYN_SENT);
  ck_assert_int_eq(so_error(fd), 0);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_error_quoting_another_port_leaves_the_connection_alone) {
  struct tu_out syn;
  int fd = connect_and_pop_syn(&syn);
  sf_put16(syn.raw + 20, syn.sport + 1u);
  inject_error_about(&syn, 3, 3);
  ck_assert_int_eq(conn_state(fd), SF_TCP_SYN_SENT);
  ck_assert_int_eq(so_error(fd), 0);
}
END_TEST

Suite *tu_suite(void) {
  Suite *s = suite_create("icmp");
  TCase *echo = tcase_create("echo");
  tcase_add_checked_fixture(echo, setup, teardown);
  tcase_add_test(echo, test_echo_request_is_answered_with_an_echo_reply);
  tcase_add_test(echo, test_echo_reply_keeps_identifier_sequence_and_data);
  tcase_add_test(echo, test_echo_reply_has_a_valid_icmp_checksum);
  tcase_add_test(
      echo, test_echo_reply_goes_from_the_requested_address_to_the_requester);
  tcase_add_test(echo, test_echo_reply_keeps_the_request_tos);
  tcase_add_test(echo, test_echo_request_with_odd_length_data_is_answered);
  tcase_add_test(echo, test_echo_request_without_data_is_answered);
  tcase_add_test(echo, test_echo_counts_icmp_in_and_out);
  tcase_add_test(echo, test_echo_request_with_bad_checksum_is_dropped);
  tcase_add_test(echo, test_icmp_message_shorter_than_8_bytes_is_dropped);
  tcase_add_test(echo, test_echo_reply_received_is_not_answered);
  tcase_add_test(echo, test_unknown_icmp_type_is_silently_discarded);
  suite_add_tcase(s, echo);

  TCase *send = tcase_create("errors sent");
  tcase_add_checked_fixture(send, setup, teardown);
  tcase_add_test(send, test_error_about_an_ordinary_datagram_is_sent);
  tcase_add_test(send, test_error_has_zero_unused_field);
  tcase_add_test(send, test_error_travels_with_internetwork_control_precedence);
  tcase_add_test(send, test_error_about_an_echo_request_is_sent);
  tcase_add_test(send, test_no_error_about_an_icmp_error_message);
  tcase_add_test(send, test_no_error_about_an_icmp_redirect);
  tcase_add_test(send, test_no_error_about_a_datagram_to_limited_broadcast);
  tcase_add_test(send, test_no_error_about_a_datagram_to_multicast);
  tcase_add_test(send, test_no_error_about_a_non_first_fragment);
  tcase_add_test(send, test_error_about_a_first_fragment_is_sent);
  tcase_add_test(send, test_no_error_to_the_unspecified_source);
  tcase_add_test(send, test_no_error_to_a_broadcast_source);
  tcase_add_test(send, test_no_error_to_a_multicast_source);
  tcase_add_test(send, test_no_error_to_a_loopback_source);
  tcase_add_test(send, test_no_error_to_a_class_e_source);
  suite_add_tcase(s, send);

  TCase *recv = tcase_create("errors received");
  tcase_add_checked_fixture(recv, setup, teardown);
  tcase_add_test(recv, test_protocol_unreachable_is_a_hard_error);
  tcase_add_test(recv, test_port_unreachable_is_a_hard_error);
  tcase_add_test(recv, test_fragmentation_needed_is_a_hard_error);
  tcase_add_test(recv, test_net_unreachable_is_a_soft_error);
  tcase_add_test(recv, test_host_unreachable_is_a_soft_error);
  tcase_add_test(recv, test_source_route_failed_is_a_soft_error);
  tcase_add_test(recv, test_administratively_prohibited_is_a_soft_error);
  tcase_add_test(recv, test_time_exceeded_is_a_soft_error);
  tcase_add_test(recv, test_parameter_problem_is_a_soft_error);
  tcase_add_test(recv, test_source_quench_is_silently_discarded);
  tcase_add_test(recv,
                 test_error_quoting_a_datagram_from_another_source_is_dropped);
  tcase_add_test(recv, test_error_quoting_a_udp_datagram_is_dropped);
  tcase_add_test(recv,
                 test_error_quoting_fewer_than_8_transport_bytes_is_dropped);
  tcase_add_test(recv, test_error_quoting_a_truncated_ip_header_is_dropped);
  tcase_add_test(recv, test_error_quoting_a_header_length_below_20_is_dropped);
  tcase_add_test(recv,
                 test_error_quoting_a_header_longer_than_the_quote_is_dropped);
  tcase_add_test(recv, test_error_quoting_ip_version_6_is_dropped);
  tcase_add_test(recv, test_error_quoting_a_non_first_fragment_is_dropped);
  tcase_add_test(recv, test_error_with_a_longer_quote_is_accepted);
  suite_add_tcase(s, recv);

  TCase *tcp = tcase_create("errors to tcp");
  tcase_add_checked_fixture(tcp, setup, teardown);
  tcase_add_test(tcp,
                 test_port_unreachable_about_our_syn_refuses_the_connection);
  tcase_add_test(tcp, test_net_unreachable_about_our_syn_leaves_it_opening);
  tcase_add_test(tcp, test_net_unreachable_about_our_syn_aborts_linux);
  tcase_add_test(tcp, test_source_quench_about_our_syn_changes_nothing);
  tcase_add_test(tcp,
                 test_error_quoting_another_port_leaves_the_connection_alone);
  suite_add_tcase(s, tcp);
  return s;
}
