/* The packet printer: golden lines in packetdrill syntax for the segments a
 * Linux-like stack sends, ICMP and raw packets, and the round trip through
 * the script parser (a printed line parses, and prints canonically as
 * itself). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synfin/script.h"
#include "synfin/trace.h"
#include "test_trace_pkt.h"

Suite *tu_suite(void);

#define OUT_ISN 3000000000u
#define IN_ISN 1000u

/* Linux's SYN-ACK options without timestamps */
static const uint8_t synack_opts[12] = {2, 4, 5, 0xb4, 1, 1, 4, 2, 1, 3, 3, 8};
/* Linux's SYN options with timestamps: TS val 100 ecr 0 */
static const uint8_t syn_opts[20] = {2, 4,   5, 0xb4, 4, 2, 8, 10, 0, 0,
                                     0, 100, 0, 0,    0, 0, 1, 3,  3, 8};
/* <nop,nop,TS val 100 ecr 200> */
static const uint8_t ts_opts[12] = {1, 1, 8, 10, 0, 0, 0, 100, 0, 0, 0, 200};

static sf_pkt_fmt fmt_of(int dir) {
  sf_pkt_fmt f = {
      .dir = dir, .relative = true, .out_isn = OUT_ISN, .in_isn = IN_ISN};
  return f;
}

/* The line for the packet, from a decode of an exact heap copy. */
static const char *line_of(const uint8_t *p, size_t len, const sf_pkt_fmt *f) {
  static char line[4096];
  uint8_t *c = tp_exact(p, len);
  sf_pkt_view v;
  sf_pkt_decode(c, len, &v);
  size_t n = sf_pkt_format(&v, f, line, sizeof(line));
  ck_assert_uint_eq(n, strlen(line));
  free(c);
  return line;
}

static const char *tcp_line(const tp_tcp *t, const sf_pkt_fmt *f) {
  uint8_t buf[2048];
  size_t len = tp_tcp_build(buf, t);
  return line_of(buf, len, f);
}

/* The line parses as a one-event script, and the script prints back as the
 * very same line (what follows a "//" is a comment and is dropped). */
static void expect_parses(const char *line) {
  char text[4200];
  snprintf(text, sizeof(text), "+0 %s\n", line);
  sf_script *s = NULL;
  sf_script_error err;
  int rc = sf_script_parse(text, strlen(text), "line.pkt", &s, &err);
  ck_assert_msg(rc == 0, "'%s' does not parse: %s", line, err.message);
  ck_assert_uint_eq(s->n_events, 1);
  char *back = NULL;
  ck_assert_int_eq(sf_script_format_event(&s->events[0], &back, NULL), 0);
  char want[4200];
  snprintf(want, sizeof(want), "+0 %s", line);
  char *comment = strstr(want, " // ");
  if (comment != NULL)
    *comment = '\0';
  ck_assert_str_eq(back, want);
  free(back);
  sf_script_free(s);
}

static void expect_line(const char *got, const char *want) {
  ck_assert_str_eq(got, want);
  expect_parses(got);
}

START_TEST(test_format_linux_syn_ack) {
  tp_tcp t = {.outbound = true,
              .seq = OUT_ISN,
              .ack = IN_ISN + 1,
              .flags = SF_TCP_SYN | SF_TCP_ACK,
              .win = 65535,
              .opts = synack_opts,
              .opts_len = sizeof(synack_opts)};
  sf_pkt_fmt f = fmt_of(SF_DIR_OUT);
  f.show_win = true;
  expect_line(tcp_line(&t, &f), "> S. 0:0(0) ack 1 win 65535 <mss 1460,nop,"
                                "nop,sackOK,nop,wscale 8>");
}
END_TEST

START_TEST(test_format_linux_syn_with_timestamps) {
  tp_tcp t = {.seq = IN_ISN,
              .flags = SF_TCP_SYN,
              .win = 65535,
              .opts = syn_opts,
              .opts_len = sizeof(syn_opts)};
  sf_pkt_fmt f = fmt_of(SF_DIR_IN);
  expect_line(tcp_line(&t, &f), "< S 0:0(0) win 65535 <mss 1460,sackOK,TS "
                                "val 100 ecr 0,nop,wscale 8>");
}
END_TEST

START_TEST(test_format_inbound_data_with_timestamps) {
  tp_tcp t = {.seq = IN_ISN + 1,
              .ack = OUT_ISN + 1,
              .flags = SF_TCP_PSH | SF_TCP_ACK,
              .win = 257,
              .opts = ts_opts,
              .opts_len = sizeof(ts_opts),
              .payload_len = 1000};
  sf_pkt_fmt f = fmt_of(SF_DIR_IN);
  expect_line(tcp_line(&t, &f),
              "< P. 1:1001(1000) ack 1 win 257 <nop,nop,TS val 100 ecr 200>");
}
END_TEST

START_TEST(test_format_outbound_window_only_when_asked) {
  tp_tcp t = {.outbound = true,
              .seq = OUT_ISN + 1,
              .ack = IN_ISN + 1001,
              .flags = SF_TCP_ACK,
              .win = 502};
  sf_pkt_fmt f = fmt_of(SF_DIR_OUT);
  expect_line(tcp_line(&t, &f), "> . 1:1(0) ack 1001");
  f.show_win = true;
  expect_line(tcp_line(&t, &f), "> . 1:1(0) ack 1001 win 502");
}
END_TEST

START_TEST(test_format_fin_and_rst) {
  tp_tcp fin = {.outbound = true,
                .seq = OUT_ISN + 101,
                .ack = IN_ISN + 1,
                .flags = SF_TCP_FIN | SF_TCP_ACK,
                .win = 1};
  sf_pkt_fmt out = fmt_of(SF_DIR_OUT);
  expect_line(tcp_line(&fin, &out), "> F. 101:101(0) ack 1");
  tp_tcp rst = {.seq = IN_ISN + 1, .flags = SF_TCP_RST};
  sf_pkt_fmt in = fmt_of(SF_DIR_IN);
  expect_line(tcp_line(&rst, &in), "< R 1:1(0) win 0");
  rst.flags = SF_TCP_RST | SF_TCP_ACK;
  rst.ack = OUT_ISN + 1;
  expect_line(tcp_line(&rst, &in), "< R. 1:1(0) ack 1 win 0");
}
END_TEST

START_TEST(test_format_flags_in_canonical_order_or_dash) {
  tp_tcp t = {.seq = IN_ISN + 1,
              .ack = OUT_ISN + 1,
              .win = 10,
              .flags = SF_TCP_FIN | SF_TCP_PSH | SF_TCP_ACK | SF_TCP_ECE |
                       SF_TCP_CWR};
  sf_pkt_fmt f = fmt_of(SF_DIR_IN);
  expect_line(tcp_line(&t, &f), "< FPEW. 1:1(0) ack 1 win 10");
  t.flags = 0;
  expect_line(tcp_line(&t, &f), "< - 1:1(0) win 10 // ack field 3000000001");
  t.ack = 0;
  t.flags = SF_TCP_SYN | SF_TCP_ECE | SF_TCP_CWR | SF_TCP_AE;
  t.seq = IN_ISN;
  expect_line(tcp_line(&t, &f), "< SEWA 0:0(0) win 10");
}
END_TEST

START_TEST(test_format_sack_blocks_relative_to_the_data_sender) {
  uint8_t sack[12] = {1, 1, 5, 10};
  tp_put32(sack + 4, IN_ISN + 1001);
  tp_put32(sack + 8, IN_ISN + 2001);
  tp_tcp t = {.outbound = true,
              .seq = OUT_ISN + 1,
              .ack = IN_ISN + 1,
              .flags = SF_TCP_ACK,
              .win = 1,
              .opts = sack,
              .opts_len = 12};
  sf_pkt_fmt out = fmt_of(SF_DIR_OUT);
  expect_line(tcp_line(&t, &out), "> . 1:1(0) ack 1 <nop,nop,sack 1001:2001>");
  /* inbound SACK blocks describe the SUT's data */
  tp_put32(sack + 4, OUT_ISN + 1461);
  tp_put32(sack + 8, OUT_ISN + 2921);
  tp_tcp in = {.seq = IN_ISN + 1,
               .ack = OUT_ISN + 1,
               .flags = SF_TCP_ACK,
               .win = 100,
               .opts = sack,
               .opts_len = 12};
  sf_pkt_fmt inf = fmt_of(SF_DIR_IN);
  expect_line(tcp_line(&in, &inf),
              "< . 1:1(0) ack 1 win 100 <nop,nop,sack 1461:2921>");
}
END_TEST

START_TEST(test_format_urgent_pointer) {
  tp_tcp t = {.seq = IN_ISN + 1,
              .ack = OUT_ISN + 1,
              .flags = SF_TCP_URG | SF_TCP_ACK,
              .win = 100,
              .urg = 5,
              .payload_len = 10};
  sf_pkt_fmt f = fmt_of(SF_DIR_IN);
  expect_line(tcp_line(&t, &f), "< U. 1:11(10) ack 1 win 100 urg 5");
  t.flags = SF_TCP_ACK; /* a pointer without URG is only a note */
  expect_line(tcp_line(&t, &f), "< . 1:11(10) ack 1 win 100 // urg field 5");
}
END_TEST

START_TEST(test_format_absolute_numbers_without_relative) {
  tp_tcp t = {.outbound = true,
              .seq = OUT_ISN,
              .ack = IN_ISN + 1,
              .flags = SF_TCP_SYN | SF_TCP_ACK,
              .win = 65535};
  sf_pkt_fmt f = fmt_of(SF_DIR_OUT);
  f.relative = false;
  expect_line(tcp_line(&t, &f), "> S. 3000000000:3000000000(0) ack 1001");
}
END_TEST

START_TEST(test_format_end_wraps_like_packetdrill) {
  tp_tcp t = {.outbound = true,
              .seq = 0xffffff00u,
              .ack = 1,
              .flags = SF_TCP_ACK,
              .payload_len = 512};
  sf_pkt_fmt f = fmt_of(SF_DIR_OUT);
  f.relative = false;
  /* documented: the one line the parser refuses (END != START + LEN) */
  ck_assert_str_eq(tcp_line(&t, &f), "> . 4294967040:256(512) ack 1");
}
END_TEST

START_TEST(test_format_hides_outbound_ts_val_unless_asked) {
  tp_tcp t = {.outbound = true,
              .seq = OUT_ISN + 1,
              .ack = IN_ISN + 1,
              .flags = SF_TCP_ACK,
              .opts = ts_opts,
              .opts_len = 12};
  sf_pkt_fmt f = fmt_of(SF_DIR_OUT);
  expect_line(tcp_line(&t, &f), "> . 1:1(0) ack 1 <nop,nop,TS val 0 ecr 200>");
  f.show_ts_val = true;
  expect_line(tcp_line(&t, &f),
              "> . 1:1(0) ack 1 <nop,nop,TS val 100 ecr 200>");
  /* an inbound TS val is what the script sends: always shown */
  tp_tcp in = {.seq = IN_ISN + 1,
               .ack = OUT_ISN + 1,
               .flags = SF_TCP_ACK,
               .win = 9,
               .opts = ts_opts,
               .opts_len = 12};
  sf_pkt_fmt inf = fmt_of(SF_DIR_IN);
  expect_line(tcp_line(&in, &inf),
              "< . 1:1(0) ack 1 win 9 <nop,nop,TS val 100 ecr 200>");
}
END_TEST

START_TEST(test_format_ports_when_asked) {
  tp_tcp t = {.outbound = true,
              .seq = OUT_ISN + 1,
              .ack = IN_ISN + 1,
              .flags = SF_TCP_ACK};
  sf_pkt_fmt f = fmt_of(SF_DIR_OUT);
  f.show_ports = true;
  expect_line(tcp_line(&t, &f), "> 8080>40000 . 1:1(0) ack 1");
}
END_TEST

START_TEST(test_format_ip_attributes_and_addresses_when_asked) {
  tp_tcp t = {.seq = IN_ISN + 1,
              .ack = OUT_ISN + 1,
              .flags = SF_TCP_ACK,
              .win = 100,
              .tos = 0x02,
              .id = 7,
              .df = true};
  sf_pkt_fmt in = fmt_of(SF_DIR_IN);
  in.show_ip = true;
  expect_line(tcp_line(&t, &in), "< (ect0, ttl 64, ip_id 7, df) . 1:1(0) ack "
                                 "1 win 100 // 192.0.2.1 > 192.168.0.1");
  tp_tcp o = {.outbound = true,
              .seq = OUT_ISN + 1,
              .ack = IN_ISN + 1,
              .flags = SF_TCP_ACK,
              .tos = 0x10,
              .ttl = 255,
              .id = 9,
              .df = true};
  sf_pkt_fmt out = fmt_of(SF_DIR_OUT);
  out.show_ip = true;
  expect_line(tcp_line(&o, &out), "> (tos 0x10, ttl 255) . 1:1(0) ack 1 // "
                                  "192.168.0.1 > 192.0.2.1 id 9 df");
}
END_TEST

START_TEST(test_format_bad_checksums_inbound_use_the_extension) {
  uint8_t buf[128];
  tp_tcp t = {
      .seq = IN_ISN + 1, .ack = OUT_ISN + 1, .flags = SF_TCP_ACK, .win = 100};
  size_t len = tp_tcp_build(buf, &t);
  buf[10] ^= 0x55;
  buf[36] ^= 0x55;
  sf_pkt_fmt f = fmt_of(SF_DIR_IN);
  expect_line(line_of(buf, len, &f),
              "< (ip_csum bad, tcp_csum bad) . 1:1(0) ack 1 win 100");
}
END_TEST

START_TEST(test_format_bad_checksums_outbound_are_a_comment) {
  uint8_t buf[128];
  tp_tcp t = {.outbound = true,
              .seq = OUT_ISN + 1,
              .ack = IN_ISN + 1,
              .flags = SF_TCP_ACK};
  size_t len = tp_tcp_build(buf, &t);
  buf[10] ^= 0x55;
  buf[36] ^= 0x55;
  sf_pkt_fmt f = fmt_of(SF_DIR_OUT);
  expect_line(line_of(buf, len, &f),
              "> . 1:1(0) ack 1 // ip_csum bad, tcp_csum bad");
}
END_TEST

START_TEST(test_format_unknown_and_malformed_options) {
  static const uint8_t opts[] = {30, 6, 0xde, 0xad, 0xbe, 0xef,
                                 1,  1, 2,    9,    5,    0xb4};
  tp_tcp t = {.seq = IN_ISN + 1,
              .ack = OUT_ISN + 1,
              .flags = SF_TCP_ACK,
              .win = 100,
              .opts = opts,
              .opts_len = sizeof(opts)};
  sf_pkt_fmt f = fmt_of(SF_DIR_IN);
  expect_line(tcp_line(&t, &f), "< . 1:1(0) ack 1 win 100 <kind 30 len 6 "
                                "deadbeef,nop,nop,malformed 020905b4>");
  static const uint8_t wrong[] = {2, 3, 5, 1};
  t.opts = wrong;
  t.opts_len = sizeof(wrong);
  expect_line(tcp_line(&t, &f), "< . 1:1(0) ack 1 win 100 <kind 2 len 3 05,"
                                "nop>");
}
END_TEST

START_TEST(test_format_md5_and_fast_open) {
  static const uint8_t opts[] = {34,   6,    0xa,  0xb, 0xc, 0xd, 254,
                                 6,    0xf9, 0x89, 1,   2,   19,  4,
                                 0xee, 0xff, 34,   2,   1,   1};
  tp_tcp t = {.seq = IN_ISN,
              .flags = SF_TCP_SYN,
              .win = 100,
              .opts = opts,
              .opts_len = sizeof(opts)};
  sf_pkt_fmt f = fmt_of(SF_DIR_IN);
  expect_line(tcp_line(&t, &f), "< S 0:0(0) win 100 <FO 0a0b0c0d,FOEXP 0102,"
                                "md5 eeff,FO,nop,nop>");
}
END_TEST

/* An ICMP error from the peer quoting the SUT's segment. */
static const char *icmp_error_line(uint8_t type, uint8_t code, uint32_t rest,
                                   uint32_t seq, size_t quoted_payload,
                                   size_t quote_bytes) {
  uint8_t seg[128], buf[256];
  tp_tcp t = {.outbound = true, .seq = seq, .flags = SF_TCP_ACK, .win = 1};
  tp_tcp_build(seg, &t);
  tp_put16(seg + 2, (uint32_t)(40 + quoted_payload));
  size_t len = tp_icmp_build(buf, false, type, code, rest, seg, quote_bytes);
  sf_pkt_fmt f = fmt_of(SF_DIR_IN);
  return line_of(buf, len, &f);
}

START_TEST(test_format_icmp_port_unreachable) {
  expect_line(icmp_error_line(3, 3, 0, OUT_ISN + 1, 0, 28),
              "< icmp unreachable port_unreachable [1:1(0)]");
}
END_TEST

START_TEST(test_format_icmp_frag_needed_with_mtu) {
  expect_line(icmp_error_line(3, 4, 1200, OUT_ISN + 1, 1460, 40),
              "< icmp unreachable frag_needed mtu 1200 [1:1461(1460)]");
}
END_TEST

START_TEST(test_format_icmp_short_quote_and_unknown_types) {
  expect_line(icmp_error_line(11, 0, 0, 1, 0, 12),
              "< icmp time_exceeded [raw (20)]");
  uint8_t buf[64];
  size_t len = tp_icmp_build(buf, false, 42, 1, 0, NULL, 0);
  sf_pkt_fmt f = fmt_of(SF_DIR_IN);
  expect_line(line_of(buf, len, &f), "< icmp type_42 code_1");
}
END_TEST

START_TEST(test_format_icmp_echo) {
  uint8_t data[56] = {0};
  uint8_t buf[128];
  size_t len = tp_icmp_build(buf, true, 0, 0, 7u << 16 | 1, data, 56);
  sf_pkt_fmt out = fmt_of(SF_DIR_OUT);
  expect_line(line_of(buf, len, &out), "> icmp echo_reply id 7 seq 1 (56)");
  len = tp_icmp_build(buf, false, 8, 0, 7u << 16 | 2, data, 0);
  sf_pkt_fmt in = fmt_of(SF_DIR_IN);
  expect_line(line_of(buf, len, &in), "< icmp echo_request id 7 seq 2 (0)");
  buf[22] ^= 1;
  ck_assert_str_eq(line_of(buf, len, &in),
                   "< icmp echo_request id 7 seq 2 (0) // icmp_csum bad");
}
END_TEST

START_TEST(test_format_udp) {
  uint8_t buf[64];
  tp_ip(buf, 20, 32, SF_IPPROTO_UDP, TP_PEER, TP_SUT, 0, 64, 0, false);
  tp_put16(buf + 20, 53);
  tp_put16(buf + 22, 5353);
  tp_put16(buf + 24, 12);
  memcpy(buf + 28, "abcd", 4);
  tp_l4_csum(buf, 20, 32, 6);
  sf_pkt_fmt f = fmt_of(SF_DIR_IN);
  expect_line(line_of(buf, 32, &f), "< udp (4)");
  f.show_ports = true;
  expect_line(line_of(buf, 32, &f), "< udp 53>5353 (4)");
}
END_TEST

START_TEST(test_format_undecodable_packet_is_raw_with_the_reason) {
  static const uint8_t six[] = {0x60, 0x00, 0x01};
  sf_pkt_fmt f = fmt_of(SF_DIR_IN);
  expect_line(line_of(six, sizeof(six), &f),
              "< raw 60 00 01 // byte 0: IP version 6, not 4");
  uint8_t buf[64];
  tp_tcp t = {.flags = SF_TCP_ACK, .win = 1};
  tp_tcp_build(buf, &t);
  tp_put16(buf + 2, 24);
  expect_line(line_of(buf, 24, &f),
              "< raw 45 00 00 18 00 00 00 00 40 06 f8 25 c0 00 02 01 c0 a8 "
              "00 01 9c 40 1f 90 // byte 20: truncated TCP header (4 of 20 "
              "bytes)");
}
END_TEST

START_TEST(test_format_fragment_is_raw) {
  uint8_t buf[64];
  tp_tcp t = {.flags = SF_TCP_ACK, .win = 1, .id = 0x77};
  size_t len = tp_tcp_build(buf, &t);
  tp_put16(buf + 6, 0x2000 | 185); /* MF, offset 1480 */
  sf_pkt_fmt f = fmt_of(SF_DIR_IN);
  const char *line = line_of(buf, len, &f);
  ck_assert_str_eq(line + strlen(line) - 46,
                   " // fragment id 119 offset 1480 MF, protocol 6");
  ck_assert(strncmp(line, "< raw 45 00 00 28 00 77 20 b9 ", 30) == 0);
  expect_parses(line);
}
END_TEST

START_TEST(test_format_truncates_like_snprintf) {
  tp_tcp t = {.outbound = true,
              .seq = OUT_ISN + 1,
              .ack = IN_ISN + 1,
              .flags = SF_TCP_ACK};
  uint8_t buf[64];
  size_t len = tp_tcp_build(buf, &t);
  sf_pkt_view v;
  ck_assert_int_eq(sf_pkt_decode(buf, len, &v), 0);
  sf_pkt_fmt f = fmt_of(SF_DIR_OUT);
  /* "> . 1:1(0) ack 1" */
  ck_assert_uint_eq(sf_pkt_format(&v, &f, NULL, 0), 16);
  char small[8];
  memset(small, 'x', sizeof(small));
  ck_assert_uint_eq(sf_pkt_format(&v, &f, small, sizeof(small)), 16);
  ck_assert_str_eq(small, "> . 1:1");
  char one[1] = {'x'};
  ck_assert_uint_eq(sf_pkt_format(&v, &f, one, 1), 16);
  ck_assert_int_eq(one[0], '\0');
}
END_TEST

static const char *field(const sf_pkt_field *fs, size_t n, const char *name) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(fs[i].name, name) == 0)
      return fs[i].value;
  ck_abort_msg("no field %s", name);
  return NULL;
}

START_TEST(test_format_fields_for_side_by_side) {
  tp_tcp t = {.outbound = true,
              .seq = OUT_ISN,
              .ack = IN_ISN + 1,
              .flags = SF_TCP_SYN | SF_TCP_ACK,
              .win = 65535,
              .opts = synack_opts,
              .opts_len = sizeof(synack_opts),
              .id = 3};
  uint8_t buf[128];
  size_t len = tp_tcp_build(buf, &t);
  sf_pkt_view v;
  ck_assert_int_eq(sf_pkt_decode(buf, len, &v), 0);
  sf_pkt_fmt f = fmt_of(SF_DIR_OUT);
  sf_pkt_field fs[SF_PKT_MAX_FIELDS];
  size_t n = sf_pkt_format_fields(&v, &f, fs, SF_PKT_MAX_FIELDS);
  ck_assert_uint_eq(n, 16);
  ck_assert_str_eq(fs[0].name, "flags");
  ck_assert_str_eq(field(fs, n, "flags"), "S.");
  ck_assert_str_eq(field(fs, n, "seq"), "0:0(0)");
  ck_assert_str_eq(field(fs, n, "ack"), "1");
  ck_assert_str_eq(field(fs, n, "win"), "65535");
  ck_assert_str_eq(field(fs, n, "urg"), "");
  ck_assert_str_eq(field(fs, n, "options"),
                   "mss 1460,nop,nop,sackOK,nop,wscale 8");
  ck_assert_str_eq(field(fs, n, "sport"), "8080");
  ck_assert_str_eq(field(fs, n, "tcp_csum"), "ok");
  ck_assert_str_eq(field(fs, n, "src"), "192.168.0.1");
  ck_assert_str_eq(field(fs, n, "dst"), "192.0.2.1");
  ck_assert_str_eq(field(fs, n, "ttl"), "64");
  ck_assert_str_eq(field(fs, n, "ip_id"), "3");
  ck_assert_str_eq(field(fs, n, "ip_csum"), "ok");
  /* a short array gets the first fields and the full count */
  ck_assert_uint_eq(sf_pkt_format_fields(&v, &f, fs, 2), 16);
  ck_assert_uint_eq(sf_pkt_format_fields(&v, &f, NULL, 0), 16);
}
END_TEST

START_TEST(test_format_fields_of_a_raw_packet) {
  static const uint8_t six[] = {0x60, 0x00, 0x01};
  sf_pkt_view v;
  sf_pkt_decode(six, sizeof(six), &v);
  sf_pkt_fmt f = fmt_of(SF_DIR_IN);
  sf_pkt_field fs[SF_PKT_MAX_FIELDS];
  size_t n = sf_pkt_format_fields(&v, &f, fs, SF_PKT_MAX_FIELDS);
  ck_assert_uint_eq(n, 2);
  ck_assert_str_eq(field(fs, n, "error"), "byte 0: IP version 6, not 4");
  ck_assert_str_eq(field(fs, n, "raw"), "60 00 01");
}
END_TEST

/* Options the script language cannot write are printed as bytes. */
START_TEST(test_ip_opts_as_bytes_when_not_writable) {
  static const uint8_t timestamp[] = {68, 4, 5, 0};
  char buf[64];
  size_t n = sf_pkt_format_ip_opts(timestamp, 4, buf, sizeof(buf));
  ck_assert_str_eq(buf, "4 bytes: 44 04 05 00");
  ck_assert_uint_eq(n, strlen(buf));
}
END_TEST

Suite *tu_suite(void) {
  Suite *s = suite_create("trace_format");
  TCase *tc = tcase_create("format");
  tcase_add_test(tc, test_format_linux_syn_ack);
  tcase_add_test(tc, test_format_linux_syn_with_timestamps);
  tcase_add_test(tc, test_format_inbound_data_with_timestamps);
  tcase_add_test(tc, test_format_outbound_window_only_when_asked);
  tcase_add_test(tc, test_format_fin_and_rst);
  tcase_add_test(tc, test_format_flags_in_canonical_order_or_dash);
  tcase_add_test(tc, test_format_sack_blocks_relative_to_the_data_sender);
  tcase_add_test(tc, test_format_urgent_pointer);
  tcase_add_test(tc, test_format_absolute_numbers_without_relative);
  tcase_add_test(tc, test_format_end_wraps_like_packetdrill);
  tcase_add_test(tc, test_format_hides_outbound_ts_val_unless_asked);
  tcase_add_test(tc, test_format_ports_when_asked);
  tcase_add_test(tc, test_format_ip_attributes_and_addresses_when_asked);
  tcase_add_test(tc, test_format_bad_checksums_inbound_use_the_extension);
  tcase_add_test(tc, test_format_bad_checksums_outbound_are_a_comment);
  tcase_add_test(tc, test_format_unknown_and_malformed_options);
  tcase_add_test(tc, test_format_md5_and_fast_open);
  tcase_add_test(tc, test_format_icmp_port_unreachable);
  tcase_add_test(tc, test_format_icmp_frag_needed_with_mtu);
  tcase_add_test(tc, test_format_icmp_short_quote_and_unknown_types);
  tcase_add_test(tc, test_format_icmp_echo);
  tcase_add_test(tc, test_format_udp);
  tcase_add_test(tc, test_format_undecodable_packet_is_raw_with_the_reason);
  tcase_add_test(tc, test_format_fragment_is_raw);
  tcase_add_test(tc, test_format_truncates_like_snprintf);
  tcase_add_test(tc, test_format_fields_for_side_by_side);
  tcase_add_test(tc, test_format_fields_of_a_raw_packet);
  tcase_add_test(tc, test_ip_opts_as_bytes_when_not_writable);
  suite_add_tcase(s, tc);
  return s;
}
