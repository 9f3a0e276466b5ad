/* IPv4 source routes (RFC 791 3.1, RFC 1122 3.2.1.8 and 4.2.3.8, RFC 9293
 * 3.9.2.1): which source-routed datagrams are taken, the return route a
 * connection saves and sends along, and the application's route. */
#include <errno.h>
#include <string.h>

#include "stack_internal.h"
#include "synfin/bytes.h"
#include "synfin/checksum.h"
#include "test_util.h"

#define HOP1 0xc6336401u /* 198.51.100.1 */
#define HOP2 0xc6336402u /* 198.51.100.2 */
#define APP1 0xcb007107u /* 203.0.113.7 */
#define APP2 0xcb007108u /* 203.0.113.8 */
#define LSRR 131
#define SSRR 137

static struct tu t;

static void setup(void) {
  tu_setup(&t, SF_PROFILE_RFC);
}

static void teardown(void) {
  tu_teardown(&t);
}

/* A route option of n addresses with the given pointer. */
static size_t route(uint8_t *o, uint8_t type, const uint32_t *addr, size_t n,
                    uint8_t ptr) {
  o[0] = type;
  o[1] = (uint8_t)(3 + 4 * n);
  o[2] = ptr;
  for (size_t i = 0; i < n; i++)
    sf_put32(o + 3 + 4 * i, addr[i]);
  return 3 + 4 * n;
}

/* The completed loose route 198.51.100.1, 198.51.100.2. */
static size_t recorded_route(uint8_t *o) {
  static const uint32_t hops[] = {HOP1, HOP2};
  return route(o, LSRR, hops, 2, 12);
}

/* Sends a segment with IP options (padded with EOL) in front of it. */
static void send_with_options(const struct tu_seg *s, const uint8_t *opt,
                              size_t optlen) {
  uint8_t seg[2048], buf[2048];
  size_t n = tu_build_tcp(seg, s);
  size_t olen = (optlen + 3) & ~(size_t)3;
  memcpy(buf, seg, 20);
  memset(buf + 20, 0, olen);
  memcpy(buf + 20, opt, optlen);
  memcpy(buf + 20 + olen, seg + 20, n - 20);
  buf[0] = (uint8_t)(0x40 | (20 + olen) / 4);
  sf_put16(buf + 2, (uint32_t)(n + olen));
  tu_fix_ip_csum(buf);
  tu_inject(&t, buf, n + olen);
}

static int listen_8080(void) {
  int fd = sf_socket(t.st, AF_INET, SOCK_STREAM, IPPROTO_TCP);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(8080)};
  ck_assert_int_eq(sf_bind(t.st, fd, (struct sockaddr *)&a, sizeof(a)), 0);
  ck_assert_int_eq(sf_listen(t.st, fd, 4), 0);
  return fd;
}

static void send_syn(const uint8_t *opt, size_t optlen) {
  struct tu_seg s = {
      .flags = TH_SYN, .opts = tu_opts_mss, .optlen = sizeof(tu_opts_mss)};
  send_with_options(&s, opt, optlen);
}

/* The option bytes of the datagram o (after the fixed header). */
static const uint8_t *ip_opts(const struct tu_out *o, size_t *len) {
  *len = (size_t)(o->raw[0] & 15) * 4 - 20;
  return o->raw + 20;
}

/* Checks o carries the loose route <a..., final> with pointer 4 and goes to
 * first_hop. */
static void expect_route(const struct tu_out *o, uint32_t first_hop,
                         const uint32_t *rest, size_t n) {
  size_t len;
  const uint8_t *opt = ip_opts(o, &len);
  ck_assert_uint_eq(o->dst, first_hop);
  ck_assert_uint_eq(len, (3 + 4 * n + 3) & ~(size_t)3);
  ck_assert_uint_eq(opt[0], LSRR);
  ck_assert_uint_eq(opt[1], 3 + 4 * n);
  ck_assert_uint_eq(opt[2], 4);
  for (size_t i = 0; i < n; i++)
    ck_assert_uint_eq(sf_get32(opt + 3 + 4 * i), rest[i]);
  ck_assert(o->tcp_csum_ok);
}

START_TEST(test_syn_with_completed_route_is_answered_along_it_reversed) {
  uint8_t opt[40];
  listen_8080();
  send_syn(opt, recorded_route(opt));
  struct tu_out o;
  tu_pop(&t, &o);
  ck_assert_uint_eq(o.flags, TH_SYN | TH_ACK);
  static const uint32_t rest[] = {HOP1, TU_REMOTE};
  expect_route(&o, HOP2, rest, 2);
}
END_TEST

START_TEST(test_return_route_is_padded_with_end_of_list) {
  uint8_t opt[40];
  listen_8080();
  send_syn(opt, recorded_route(opt));
  struct tu_out o;
  tu_pop(&t, &o);
  size_t len;
  const uint8_t *b = ip_opts(&o, &len);
  ck_assert_uint_eq(len, 12);
  ck_assert_uint_eq(b[11], 0);
}
END_TEST

START_TEST(test_every_segment_of_the_connection_follows_the_return_route) {
  uint8_t opt[40];
  int lfd = listen_8080();
  send_syn(opt, recorded_route(opt));
  struct tu_out o;
  tu_pop(&t, &o);
  struct tu_seg ack = {.seq = 1, .ack = o.seq + 1, .flags = TH_ACK};
  tu_send_tcp(&t, &ack);
  int fd = sf_accept(t.st, lfd, NULL, NULL);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(sf_write(t.st, fd, "abc", 3), 3);
  tu_pop(&t, &o);
  static const uint32_t rest[] = {HOP1, TU_REMOTE};
  expect_route(&o, HOP2, rest, 2);
  ck_assert_uint_eq(o.len, 3);
}
END_TEST

START_TEST(test_route_that_recorded_the_source_first_names_it_once) {
  static const uint32_t hops[] = {TU_REMOTE, HOP1, HOP2};
  uint8_t opt[40];
  listen_8080();
  send_syn(opt, route(opt, LSRR, hops, 3, 16));
  struct tu_out o;
  tu_pop(&t, &o);
  static const uint32_t rest[] = {HOP1, TU_REMOTE};
  expect_route(&o, HOP2, rest, 2);
}
END_TEST

START_TEST(test_route_of_only_the_source_is_answered_directly) {
  static const uint32_t hops[] = {TU_REMOTE};
  uint8_t opt[40];
  listen_8080();
  send_syn(opt, route(opt, LSRR, hops, 1, 8));
  struct tu_out o;
  tu_pop(&t, &o);
  ck_assert_uint_eq(o.dst, TU_REMOTE);
  ck_assert_uint_eq(o.raw[0], 0x45);
}
END_TEST

START_TEST(test_strict_route_is_returned_strict) {
  static const uint32_t hops[] = {HOP1};
  uint8_t opt[40];
  listen_8080();
  send_syn(opt, route(opt, SSRR, hops, 1, 8));
  struct tu_out o;
  tu_pop(&t, &o);
  size_t len;
  const uint8_t *b = ip_opts(&o, &len);
  ck_assert_uint_eq(o.dst, HOP1);
  ck_assert_uint_eq(b[0], SSRR);
  ck_assert_uint_eq(b[1], 7);
  ck_assert_uint_eq(sf_get32(b + 3), TU_REMOTE);
}
END_TEST

START_TEST(test_incomplete_route_is_dropped) {
  static const uint32_t hops[] = {HOP1, HOP2};
  uint8_t opt[40];
  listen_8080();
  send_syn(opt, route(opt, LSRR, hops, 2, 8));
  tu_expect_silence(&t);
  ck_assert_uint_eq(sf_stack_stats(t.st)->ip_drop_srcroute, 1);
}
END_TEST

START_TEST(test_linux_profile_drops_completed_route) {
  uint8_t opt[40];
  tu_restart(&t, SF_PROFILE_LINUX, 0);
  listen_8080();
  send_syn(opt, recorded_route(opt));
  tu_expect_silence(&t);
  ck_assert_uint_eq(sf_stack_stats(t.st)->ip_drop_srcroute, 1);
}
END_TEST

START_TEST(test_route_with_pointer_below_4_is_dropped) {
  static const uint32_t hops[] = {HOP1};
  uint8_t opt[40];
  listen_8080();
  send_syn(opt, route(opt, LSRR, hops, 1, 3));
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_two_source_routes_are_dropped) {
  uint8_t opt[40];
  size_t n = recorded_route(opt);
  static const uint32_t hops[] = {HOP1};
  n += route(opt + n, SSRR, hops, 1, 8);
  listen_8080();
  send_syn(opt, n);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_source_route_is_not_counted_as_ignored_option) {
  uint8_t opt[40];
  listen_8080();
  send_syn(opt, recorded_route(opt));
  tu_drain(&t);
  ck_assert_uint_eq(sf_stack_stats(t.st)->ip_options_ignored, 0);
}
END_TEST

/* The application's route in Linux's IP_OPTIONS form: first hop first. */
static int set_app_route(int fd) {
  uint8_t opt[40];
  static const uint32_t hops[] = {APP1, APP2};
  size_t n = route(opt, LSRR, hops, 2, 4);
  return sf_setsockopt(t.st, fd, IPPROTO_IP, IP_OPTIONS, opt, (socklen_t)n);
}

START_TEST(test_application_route_overrides_received_route) {
  uint8_t opt[40];
  int lfd = listen_8080();
  ck_assert_int_eq(set_app_route(lfd), 0);
  send_syn(opt, recorded_route(opt));
  struct tu_out o;
  tu_pop(&t, &o);
  static const uint32_t rest[] = {APP2, TU_REMOTE};
  expect_route(&o, APP1, rest, 2);
}
END_TEST

START_TEST(test_application_route_sends_syn_to_first_hop) {
  int fd = sf_socket(t.st, AF_INET, SOCK_STREAM, IPPROTO_TCP);
  ck_assert_int_eq(set_app_route(fd), 0);
  tu_connect_fd(&t, fd);
  struct tu_out o;
  tu_pop(&t, &o);
  static const uint32_t rest[] = {APP2, TU_REMOTE};
  expect_route(&o, APP1, rest, 2);
}
END_TEST

/* The peer sends 5 bytes `off` past RCV.NXT behind a completed route,
 * then the application writes: the segment that goes out. */
static void data_with_route_then_write(struct tu_conn *c, uint32_t off,
                                       uint8_t flags, struct tu_out *o) {
  uint8_t opt[40];
  struct tu_seg s = {.sport = c->rport,
                     .dport = c->lport,
                     .seq = c->seq + off,
                     .ack = c->ack,
                     .flags = flags,
                     .len = 5};
  send_with_options(&s, opt, recorded_route(opt));
  tu_drain(&t);
  ck_assert_int_eq(sf_write(t.st, c->fd, "abc", 3), 3);
  tu_pop(&t, o);
}

START_TEST(test_later_received_route_replaces_saved_one) {
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  struct tu_out o;
  data_with_route_then_write(&c, 0, TH_ACK | TH_PSH, &o);
  static const uint32_t rest[] = {HOP1, TU_REMOTE};
  expect_route(&o, HOP2, rest, 2);
}
END_TEST

START_TEST(test_later_received_route_does_not_replace_application_route) {
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  ck_assert_int_eq(set_app_route(c.fd), 0);
  struct tu_out o;
  data_with_route_then_write(&c, 0, TH_ACK | TH_PSH, &o);
  static const uint32_t rest[] = {APP2, TU_REMOTE};
  expect_route(&o, APP1, rest, 2);
}
END_TEST

START_TEST(test_unacceptable_segment_does_not_change_the_route) {
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  struct tu_out o;
  data_with_route_then_write(&c, 1000000, TH_ACK, &o);
  ck_assert_uint_eq(o.dst, TU_REMOTE);
  ck_assert_uint_eq(o.raw[0], 0x45);
}
END_TEST

START_TEST(test_route_takes_its_length_from_the_send_mss) {
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  uint32_t before = tu_info(&t, c.fd).mss;
  ck_assert_int_eq(set_app_route(c.fd), 0);
  ck_assert_uint_eq(tu_info(&t, c.fd).mss, before - 12);
}
END_TEST

START_TEST(test_ip_options_other_than_source_routes_are_refused) {
  int fd = sf_socket(t.st, AF_INET, SOCK_STREAM, IPPROTO_TCP);
  static const uint8_t rr[] = {7, 7, 4, 0, 0, 0, 0, 0};
  ck_assert_int_eq(sf_setsockopt(t.st, fd, IPPROTO_IP, IP_OPTIONS, rr, 8),
                   -EINVAL);
}
END_TEST

START_TEST(test_application_route_needs_pointer_4_and_a_hop) {
  int fd = sf_socket(t.st, AF_INET, SOCK_STREAM, IPPROTO_TCP);
  static const uint8_t empty[] = {LSRR, 3, 4};
  static const uint8_t ptr8[] = {LSRR, 7, 8, 1, 2, 3, 4};
  ck_assert_int_eq(sf_setsockopt(t.st, fd, IPPROTO_IP, IP_OPTIONS, empty, 3),
                   -EINVAL);
  ck_assert_int_eq(sf_setsockopt(t.st, fd, IPPROTO_IP, IP_OPTIONS, ptr8, 7),
                   -EINVAL);
}
END_TEST

START_TEST(test_empty_ip_options_remove_the_application_route) {
  uint8_t opt[40];
  int lfd = listen_8080();
  ck_assert_int_eq(set_app_route(lfd), 0);
  ck_assert_int_eq(sf_setsockopt(t.st, lfd, IPPROTO_IP, IP_OPTIONS, NULL, 0),
                   0);
  send_syn(opt, recorded_route(opt));
  struct tu_out o;
  tu_pop(&t, &o);
  ck_assert_uint_eq(o.dst, HOP2);
}
END_TEST

START_TEST(test_pseudo_header_destination_is_the_final_one) {
  uint8_t h[32] = {0x48};
  static const uint32_t hops[] = {HOP1, TU_REMOTE};
  sf_put32(h + 16, HOP2);
  route(h + 20, LSRR, hops, 2, 4);
  ck_assert_uint_eq(sf_ipv4_pseudo_dst(h, 32), TU_REMOTE);
  h[22] = 12; /* completed: the header's destination */
  ck_assert_uint_eq(sf_ipv4_pseudo_dst(h, 32), HOP2);
}
END_TEST

Suite *tu_suite(void) {
  Suite *s = suite_create("ip_options");
  TCase *tc = tcase_create("source_route");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc,
                 test_syn_with_completed_route_is_answered_along_it_reversed);
  tcase_add_test(tc, test_return_route_is_padded_with_end_of_list);
  tcase_add_test(tc,
                 test_every_segment_of_the_connection_follows_the_return_route);
  tcase_add_test(tc, test_route_that_recorded_the_source_first_names_it_once);
  tcase_add_test(tc, test_route_of_only_the_source_is_answered_directly);
  tcase_add_test(tc, test_strict_route_is_returned_strict);
  tcase_add_test(tc, test_incomplete_route_is_dropped);
  tcase_add_test(tc, test_linux_profile_drops_completed_route);
  tcase_add_test(tc, test_route_with_pointer_below_4_is_dropped);
  tcase_add_test(tc, test_two_source_routes_are_dropped);
  tcase_add_test(tc, test_source_route_is_not_counted_as_ignored_option);
  tcase_add_test(tc, test_application_route_overrides_received_route);
  tcase_add_test(tc, test_application_route_sends_syn_to_first_hop);
  tcase_add_test(tc, test_later_received_route_replaces_saved_one);
  tcase_add_test(tc,
                 test_later_received_route_does_not_replace_application_route);
  tcase_add_test(tc, test_unacceptable_segment_does_not_change_the_route);
  tcase_add_test(tc, test_route_takes_its_length_from_the_send_mss);
  tcase_add_test(tc, test_ip_options_other_than_source_routes_are_refused);
  tcase_add_test(tc, test_application_route_needs_pointer_4_and_a_hop);
  tcase_add_test(tc, test_empty_ip_options_remove_the_application_route);
  tcase_add_test(tc, test_pseudo_header_destination_is_the_final_one);
  suite_add_tcase(s, tc);
  return s;
}
