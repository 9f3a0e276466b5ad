/* The formatter: canonical packetdrill text, and parse(format(parse(x)))
 * equal to parse(x) for every construct. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synfin/script.h"

Suite *tu_suite(void);

static sf_script *parse_ok(const char *text) {
  sf_script *s = NULL;
  sf_script_error err;
  int rc = sf_script_parse(text, strlen(text), "t.pkt", &s, &err);
  ck_assert_msg(rc == 0, "parse failed: %s\n%s", err.message, text);
  return s;
}

static char *format_ok(const sf_script *s) {
  char *out = NULL;
  size_t len = 0;
  ck_assert_int_eq(sf_script_format(s, &out, &len), 0);
  ck_assert_uint_eq(len, strlen(out));
  return out;
}

/* Parses text, prints it, parses the print: the two scripts are equal and
 * printing again gives the same text. Returns the first print. */
static char *round_trip(const char *text) {
  sf_script *a = parse_ok(text);
  char *out = format_ok(a);
  sf_script *b = parse_ok(out);
  ck_assert_msg(sf_script_equal(a, b), "not equal after round trip:\n%s\n%s",
                text, out);
  char *again = format_ok(b);
  ck_assert_str_eq(again, out);
  free(again);
  sf_script_free(a);
  sf_script_free(b);
  return out;
}

/* The one-event script text formats to exactly want (plus a newline). */
static void expect_format(const char *text, const char *want) {
  char *out = round_trip(text);
  char line[1024];
  snprintf(line, sizeof(line), "%s\n", want);
  ck_assert_str_eq(out, line);
  free(out);
}

START_TEST(test_format_times_trim_trailing_zeros) {
  expect_format("0.100 close(3) = 0", "0.1 close(3) = 0");
  expect_format("+.002 close(3) = 0", "+0.002 close(3) = 0");
  expect_format("2.000001 close(3) = 0", "2.000001 close(3) = 0");
  expect_format("+3 close(3) = 0", "+3 close(3) = 0");
}
END_TEST

START_TEST(test_format_time_ranges_and_any) {
  expect_format("+.21~+.215 > P. 1:41(40) ack 1",
                "+0.21~+0.215 > P. 1:41(40) ack 1");
  expect_format("1~1.5 > . 1:1(0)", "1~1.5 > . 1:1(0)");
  expect_format("* > F. 1:1(0) ack 1", "* > F. 1:1(0) ack 1");
}
END_TEST

START_TEST(test_format_blocking_call) {
  expect_format("+0 ... 0.100 read(4, ..., 2000) = 2000",
                "+0...0.1 read(4, ..., 2000) = 2000");
  expect_format("0.5...1 accept(3, ..., ...) = 4",
                "0.5...1 accept(3, ..., ...) = 4");
}
END_TEST

START_TEST(test_format_flags_in_canonical_order) {
  expect_format("0 > .PF 1:1(0)", "0 > FP. 1:1(0)");
  expect_format("0 > SEWA 0:0(0)", "0 > SEWA 0:0(0)");
  expect_format("0 > - 1:1(0)", "0 > - 1:1(0)");
  expect_format("0 > UR 1:1(0)", "0 > RU 1:1(0)");
}
END_TEST

START_TEST(test_format_ace_digit_after_the_ack_dot) {
  expect_format("0 > P.6 1:101(100) ack 1", "0 > P.6 1:101(100) ack 1");
  expect_format("0 > .5 1:1(0) ack 1", "0 > .5 1:1(0) ack 1");
  expect_format("0 > S4 0:0(0)", "0 > S4 0:0(0)");
}
END_TEST

START_TEST(test_format_tcp_fields_and_options) {
  expect_format("+.1 <  S  0:0(0)   win 32792 <mss 1000, nop, wscale 7>",
                "+0.1 < S 0:0(0) win 32792 <mss 1000,nop,wscale 7>");
  expect_format("0 > S. 0:0(0) ack 1 urg 2 <mss 1460,sackOK,TS val 100 ecr "
                "0,nop,wscale 8>",
                "0 > S. 0:0(0) ack 1 urg 2 <mss 1460,sackOK,TS val 100 ecr "
                "0,nop,wscale 8>");
  expect_format("0 > . 1:1(0) ack 1 <nop,nop,sack 1001:2001 3001:4001,eol>",
                "0 > . 1:1(0) ack 1 <nop,nop,sack 1001:2001 3001:4001,eol>");
  expect_format("0 > S. 0:0(0) ack 1 <...>", "0 > S. 0:0(0) ack 1 <...>");
  expect_format("0 > S. 0:0(0) ack 1 <wscale *>",
                "0 > S. 0:0(0) ack 1 <wscale *>");
  expect_format("0 < 8080>80 S 0:0(0) win 0x10", "0 < 8080>80 S 0:0(0) win 16");
}
END_TEST

START_TEST(test_format_hex_options_and_unknown_options) {
  expect_format("0 > S 0:0(0) <md5 000102030405060708090A0B0C0D0E0F,FO "
                "12345678,FOEXP>",
                "0 > S 0:0(0) <md5 000102030405060708090a0b0c0d0e0f,FO "
                "12345678,FOEXP>");
  expect_format("0 > S 0:0(0) <FO abcd,FOEXP 0011>",
                "0 > S 0:0(0) <FO abcd,FOEXP 0011>");
  expect_format("0 > . 1:1(0) <ECN   e1b 1 /* c */ ceb 0,nop,x>",
                "0 > . 1:1(0) <ECN e1b 1 ceb 0,nop,x>");
}
END_TEST

START_TEST(test_format_ip_opts_and_ip_dst) {
  expect_format("0 > ( ip_dst 198.51.100.2 , ip_opts < nop , lsrr [ "
                "198.51.100.1   192.0.2.1 ] ptr 4 , eol > ) S. 0:0(0) ack 1",
                "0 > (ip_opts <nop,lsrr [198.51.100.1 192.0.2.1] ptr 4,eol>, "
                "ip_dst 198.51.100.2) S. 0:0(0) ack 1");
  expect_format("0 < (ip_opts <rr [] ptr 4>) S 0:0(0) win 1",
                "0 < (ip_opts <rr [] ptr 4>) S 0:0(0) win 1");
}
END_TEST

START_TEST(test_format_isn_clock) {
  expect_format("0 > ( isn_clock_ns  4000 ) S. 0:0(0) ack 1",
                "0 > (isn_clock_ns 4000) S. 0:0(0) ack 1");
}
END_TEST

START_TEST(test_format_ip_attributes_in_canonical_order) {
  expect_format("0 < [ttl 64, ect0] . 1:1(0) win 1",
                "0 < (ect0, ttl 64) . 1:1(0) win 1");
  expect_format("0 < (tos 16, flowlabel 0x1) . 1:1(0) win 1",
                "0 < (tos 0x10, flowlabel 0x1) . 1:1(0) win 1");
  expect_format("0 < (tcp_doff 3, frag_order shuffle(7), frag_size 8, df, "
                "ip_proto 6, ip_id 1, ip_len 40, ihl 5, tcp_csum bad, "
                "ip_csum bad) S 0:0(0) win 1",
                "0 < (ip_csum bad, tcp_csum bad, ihl 5, ip_len 40, ip_id 1, "
                "ip_proto 6, df, frag_size 8, frag_order shuffle(7), "
                "tcp_doff 3) S 0:0(0) win 1");
  expect_format("0 < (frag_size 16, frag_order reverse) . 1:1(0) win 1",
                "0 < (frag_size 16, frag_order reverse) . 1:1(0) win 1");
}
END_TEST

START_TEST(test_format_raw_packet_as_spaced_bytes) {
  char *out = round_trip("+0 < raw 4500 0028 // c\n+0 < raw AB\n");
  ck_assert_str_eq(out, "+0 < raw 45 00 00 28\n+0 < raw ab\n");
  free(out);
}
END_TEST

START_TEST(test_format_icmp_and_udp) {
  expect_format("0 < icmp unreachable frag_needed mtu 1200 [1:1461(1460)]",
                "0 < icmp unreachable frag_needed mtu 1200 [1:1461(1460)]");
  expect_format("0 < icmp unreachable port_unreachable [udp (10)]",
                "0 < icmp unreachable port_unreachable [udp (10)]");
  expect_format("0 < icmp echo_request id 1 [raw (64)]",
                "0 < icmp echo_request id 1 [raw (64)]");
  expect_format("0 < icmp echo_request id 7 seq 1 (56)",
                "0 < icmp echo_request id 7 seq 1 (56)");
  expect_format("0 > icmp echo_reply (0)", "0 > icmp echo_reply (0)");
  expect_format("0 < (ttl 3) udp 5000>53 (100)",
                "0 < (ttl 3) udp 5000>53 (100)");
}
END_TEST

START_TEST(test_format_encapsulation) {
  expect_format("+0 < ipv4 2.2.2.2 > 1.1.1.1: gre: mpls (label 0, tc 0, ttl "
                "0) (label 1048575, tc 7, [S], ttl 255): . 1:1001(1000) ack 1 "
                "win 123",
                "+0 < ipv4 2.2.2.2 > 1.1.1.1: gre: mpls (label 0, tc 0, ttl "
                "0) (label 1048575, tc 7, [S], ttl 255): . 1:1001(1000) ack 1 "
                "win 123");
  expect_format("+0 < ipv6 (tos 0x1) 2::2222 > 1::: gre flags [checksum "
                "present] sum 1 off 2 key=3 seq 4: . 1:1(0) win 1",
                "+0 < ipv6 (tos 0x1) 2::2222 > 1:: : gre flags 0x8000, sum "
                "1, off 2, key 3, seq 4: . 1:1(0) win 1");
}
END_TEST

START_TEST(test_format_syscall_errno_and_notes) {
  expect_format("0 read(3, ..., 10) = -1 EAGAIN (Resource  temporarily "
                "unavailable)",
                "0 read(3, ..., 10) = -1 EAGAIN (Resource temporarily "
                "unavailable)");
  expect_format("0 connect(3, ..., ...) = -1 EINPROGRESS",
                "0 connect(3, ..., ...) = -1 EINPROGRESS");
  expect_format("0 f() = 0 ( a note )", "0 f() = 0 (a note)");
  expect_format("0 f() = -1 E (x) (y)", "0 f() = -1 E (x) (y)");
  expect_format("0 f() = FOO (x)", "0 f() = FOO (x)");
}
END_TEST

START_TEST(test_format_expressions) {
  expect_format("0 fcntl(4, F_SETFL, O_RDWR | O_NONBLOCK) = 0",
                "0 fcntl(4, F_SETFL, O_RDWR|O_NONBLOCK) = 0");
  expect_format("0 f({ fd = 3 , events = POLLIN|POLLOUT }, [ ], { }) = 0",
                "0 f({fd=3, events=POLLIN|POLLOUT}, [], {}) = 0");
  expect_format("0 f(\"a\\\"b\" \"c\"..., 0X1, 0x1F, -7) = 0",
                "0 f(\"a\\\"bc\"..., 0X1, 0x1f, -7) = 0");
  expect_format("0 recvmsg(3, {msg_name(...)=..., msg_iov(1)=[{..., 1000}], "
                "msg_flags=0}, 0) = 1000",
                "0 recvmsg(3, {msg_name(...)=..., msg_iov(1)=[{..., 1000}], "
                "msg_flags=0}, 0) = 1000");
  expect_format("0 f({flags [none], sum 0, off 0, key 0, seq 0}, {(label 1, "
                "tc 2, ttl 3) (label 4, tc 5, [S], ttl 6)}) = 0",
                "0 f({flags 0x0, sum 0, off 0, key 0, seq 0}, {(label 1, tc "
                "2, ttl 3) (label 4, tc 5, [S], ttl 6)}) = 0");
  expect_format("0 f(a=b=c) = x=htons(1)", "0 f(a=b=c) = x=htons(1)");
}
END_TEST

START_TEST(test_format_options_commands_and_code) {
  char *out = round_trip("--tolerance_usecs=10000 --strict_segments\n"
                         "--name=\"a b\"\n--define=CC=\"reno\"\n"
                         "`init\n  more`\n"
                         "0 %{   x = 1\n}%\n"
                         "+0 `echo  hi`\n"
                         "`cleanup`");
  ck_assert_str_eq(out, "--tolerance_usecs=10000\n--strict_segments\n"
                        "--name=\"a b\"\n--define=CC=\"reno\"\n"
                        "`init\n  more`\n"
                        "0 %{x = 1\n}%\n"
                        "+0 `echo  hi`\n"
                        "`cleanup`\n");
  free(out);
}
END_TEST

START_TEST(test_format_empty_script) {
  char *out = round_trip("// nothing\n");
  ck_assert_str_eq(out, "");
  free(out);
}
END_TEST

START_TEST(test_format_event_prints_one_line) {
  sf_script *s = parse_ok("0 < S 0:0(0) win 1\n+0 > S. 0:0(0) ack 1\n");
  char *line;
  size_t len;
  ck_assert_int_eq(sf_script_format_event(&s->events[1], &line, &len), 0);
  ck_assert_str_eq(line, "+0 > S. 0:0(0) ack 1");
  ck_assert_uint_eq(len, 20);
  free(line);
  sf_script_free(s);
}
END_TEST

START_TEST(test_equal_ignores_names_and_positions) {
  sf_script *a = parse_ok("0 close(3) = 0\n");
  sf_script_error err;
  sf_script *b = NULL;
  ck_assert_int_eq(
      sf_script_parse("\n\n   0    close( 3 )=0", 22, "other.pkt", &b, &err),
      0);
  ck_assert(sf_script_equal(a, b));
  ck_assert(sf_script_equal(a, a));
  ck_assert(!sf_script_equal(a, NULL));
  sf_script_free(a);
  sf_script_free(b);
}
END_TEST

START_TEST(test_equal_sees_each_difference) {
  static const char *const pairs[][2] = {
      {"0 < . 1:1(0) win 1", "0 < . 1:1(0) win 2"},
      {"0 > . 1:1(0)", "0 > . 1:1(0) ack 0"},
      {"0 > . 1:1(0)", "+0 > . 1:1(0)"},
      {"0 > . 1:1(0) <nop>", "0 > . 1:1(0) <eol>"},
      {"0 > . 1:1(0) <...>", "0 > . 1:1(0)"},
      {"0 > (ect0) . 1:1(0)", "0 > (ect1) . 1:1(0)"},
      {"0 > (ip_opts <nop>) S 0:0(0)", "0 > (ip_opts <eol>) S 0:0(0)"},
      {"0 > (ip_dst 1.2.3.4) S 0:0(0)", "0 > (ip_dst 1.2.3.5) S 0:0(0)"},
      {"0 > (isn_clock_ns 64) S 0:0(0)", "0 > (isn_clock_ns 4000) S 0:0(0)"},
      {"0 f(1) = 0", "0 f(0x1) = 0"},
      {"0 f(\"a\") = 0", "0 f(\"a\"...) = 0"},
      {"0 f() = -1 EAGAIN", "0 f() = -1 EINTR"},
      {"0 < raw 00", "0 < raw 01"},
      {"0 < icmp echo_request id 1", "0 < icmp echo_request id 2"},
      {"0 `a`", "0 `b`"},
      {"--a=1", "--a=2"},
  };
  for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
    sf_script *a = parse_ok(pairs[i][0]);
    sf_script *b = parse_ok(pairs[i][1]);
    ck_assert_msg(!sf_script_equal(a, b), "equal: %s / %s", pairs[i][0],
                  pairs[i][1]);
    sf_script_free(a);
    sf_script_free(b);
  }
}
END_TEST

/* A script in the style of packetdrill's Linux tests. */
static const char sample[] =
    "// Test for blocking read.\n"
    "--tolerance_usecs=10000\n"
    "`../common/defaults.sh`\n"
    "    0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
    "   +0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0\n"
    "   +0 bind(3, ..., ...) = 0\n"
    "   +0 listen(3, 1) = 0\n"
    "  +.1 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>\n"
    "   +0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 8>\n"
    "  +.1 < . 1:1(0) ack 1 win 257\n"
    "   +0 accept(3, ..., ...) = 4\n"
    "   +0 fcntl(4, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n"
    "   +0 epoll_ctl(5, EPOLL_CTL_ADD, 4, {events=EPOLLOUT|EPOLLIN|EPOLLET, "
    "fd=4}) = 0\n"
    "   +0...0.100 read(4, ..., 2000) = 2000\n"
    "  +.1 < P. 1:2001(2000) ack 1 win 257\n"
    "   +0 > . 1:1(0) ack 2001\n"
    "   +0 write(4, ..., 59000) = 58000\n"
    "+.21~+.215 > P. 1:41(40) ack 2001\n"
    "   +0 read(4, ..., 10) = -1 EAGAIN (Resource temporarily unavailable)\n"
    "   +0 < icmp unreachable frag_needed mtu 1200 [1:1461(1460)]\n"
    "   +0 close(4) = 0\n"
    "    * > F. 41:41(0) ack 2001\n"
    "`echo cleanup`\n";

START_TEST(test_format_round_trips_a_packetdrill_script) {
  char *out = round_trip(sample);
  ck_assert_ptr_nonnull(strstr(out, "+0.1 < P. 1:2001(2000) ack 1 win 257\n"));
  ck_assert_ptr_nonnull(strstr(out, "+0...0.1 read(4, ..., 2000) = 2000\n"));
  free(out);
}
END_TEST

START_TEST(test_every_line_round_trips_on_its_own) {
  const char *p = strstr(sample, "    0 socket");
  while (*p != '\0' && *p != '`') {
    const char *nl = strchr(p, '\n');
    char line[256];
    snprintf(line, sizeof(line), "%.*s", (int)(nl - p), p);
    free(round_trip(line));
    p = nl + 1;
  }
}
END_TEST

START_TEST(test_format_expr_prints_an_expression) {
  sf_script *s = parse_ok("0 f({sin_port=htons(8080), "
                          "sin_addr=inet_addr(\"192.0.2.1\")}) = 0\n");
  char *out;
  ck_assert_int_eq(
      sf_script_format_expr(s->events[0].syscall.args[0], &out, NULL), 0);
  ck_assert_str_eq(out,
                   "{sin_port=htons(8080), sin_addr=inet_addr(\"192.0.2.1\")}");
  free(out);
  sf_script_free(s);
}
END_TEST

START_TEST(test_kind_names_for_messages) {
  ck_assert_str_eq(sf_script_event_kind_name(SF_SCR_EV_SYSCALL), "system call");
  ck_assert_str_eq(sf_script_event_kind_name(SF_SCR_EV_CODE), "code block");
  ck_assert_str_eq(sf_script_expr_kind_name(SF_SCR_EXPR_STRUCT), "struct");
  ck_assert_str_eq(sf_script_expr_kind_name(SF_SCR_EXPR_MPLS), "MPLS stack");
}
END_TEST

START_TEST(test_format_ip_opts_bytes) {
  static const uint8_t opts[] = {1,   131, 11, 4, 198, 51, 100, 1,
                                 192, 0,   2,  1, 0,   0,  0,   0};
  char buf[128];
  size_t n = sf_script_format_ip_opts(opts, sizeof(opts), buf, sizeof(buf));
  ck_assert_str_eq(buf, "<nop,lsrr [198.51.100.1 192.0.2.1] ptr 4,eol,eol,"
                        "eol,eol>");
  ck_assert_uint_eq(n, strlen(buf));
  /* too small a buffer: the length it needs, the text cut */
  ck_assert_uint_eq(sf_script_format_ip_opts(opts, sizeof(opts), buf, 5), n);
  ck_assert_str_eq(buf, "<nop");
}
END_TEST

START_TEST(test_format_ip_opts_refuses_what_it_cannot_write) {
  static const uint8_t timestamp[] = {68, 4, 5, 0};
  static const uint8_t short_route[] = {131, 9, 4, 1, 2, 3, 4};
  static const uint8_t odd_route[] = {137, 5, 4, 1, 2, 0, 0, 0};
  ck_assert_uint_eq(sf_script_format_ip_opts(timestamp, 4, NULL, 0), 0);
  ck_assert_uint_eq(sf_script_format_ip_opts(short_route, 7, NULL, 0), 0);
  ck_assert_uint_eq(sf_script_format_ip_opts(odd_route, 8, NULL, 0), 0);
}
END_TEST

Suite *tu_suite(void) {
  Suite *s = suite_create("script_format");
  TCase *tc = tcase_create("format");
  tcase_add_test(tc, test_format_times_trim_trailing_zeros);
  tcase_add_test(tc, test_format_time_ranges_and_any);
  tcase_add_test(tc, test_format_blocking_call);
  tcase_add_test(tc, test_format_flags_in_canonical_order);
  tcase_add_test(tc, test_format_ace_digit_after_the_ack_dot);
  tcase_add_test(tc, test_format_tcp_fields_and_options);
  tcase_add_test(tc, test_format_hex_options_and_unknown_options);
  tcase_add_test(tc, test_format_ip_attributes_in_canonical_order);
  tcase_add_test(tc, test_format_ip_opts_and_ip_dst);
  tcase_add_test(tc, test_format_isn_clock);
  tcase_add_test(tc, test_format_ip_opts_bytes);
  tcase_add_test(tc, test_format_ip_opts_refuses_what_it_cannot_write);
  tcase_add_test(tc, test_format_raw_packet_as_spaced_bytes);
  tcase_add_test(tc, test_format_icmp_and_udp);
  tcase_add_test(tc, test_format_encapsulation);
  tcase_add_test(tc, test_format_syscall_errno_and_notes);
  tcase_add_test(tc, test_format_expressions);
  tcase_add_test(tc, test_format_options_commands_and_code);
  tcase_add_test(tc, test_format_empty_script);
  tcase_add_test(tc, test_format_event_prints_one_line);
  tcase_add_test(tc, test_equal_ignores_names_and_positions);
  tcase_add_test(tc, test_equal_sees_each_difference);
  tcase_add_test(tc, test_format_round_trips_a_packetdrill_script);
  tcase_add_test(tc, test_every_line_round_trips_on_its_own);
  tcase_add_test(tc, test_format_expr_prints_an_expression);
  tcase_add_test(tc, test_kind_names_for_messages);
  suite_add_tcase(s, tc);
  return s;
}
