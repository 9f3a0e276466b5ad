/* The packet decoder: every field, malformed options, truncation at every
 * length (decoded from exact heap copies, so ASan sees any over-read),
 * fragments, ICMP, and arbitrary bytes. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "synfin/trace.h"
#include "test_trace_pkt.h"

Suite *tu_suite(void);

/* Linux's SYN options: <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 8> */
static const uint8_t linux_syn_opts[20] = {
    2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 100, 0, 0, 0, 0, 1, 3, 3, 8};

static size_t data_segment(uint8_t *buf) {
  tp_tcp t = {.seq = 1001,
              .ack = 5001,
              .flags = SF_TCP_ACK | SF_TCP_PSH,
              .win = 257,
              .payload_len = 100,
              .id = 0x1234,
              .df = true,
              .tos = 0x02,
              .ttl = 63};
  return tp_tcp_build(buf, &t);
}

/* Decodes a segment with these option bytes and returns the view. */
static void decode_opts(const uint8_t *opts, size_t n, sf_pkt_view *v) {
  uint8_t buf[256];
  tp_tcp t = {.flags = SF_TCP_SYN, .win = 1000, .opts = opts, .opts_len = n};
  size_t len = tp_tcp_build(buf, &t);
  ck_assert_int_eq(sf_pkt_decode(buf, len, v), 0);
  ck_assert_int_eq(v->l4, SF_PKT_L4_TCP);
}

START_TEST(test_decode_reads_every_ip_field) {
  uint8_t buf[256];
  size_t len = data_segment(buf);
  sf_pkt_view v;
  ck_assert_int_eq(sf_pkt_decode(buf, len, &v), 0);
  ck_assert(v.ip_ok);
  ck_assert_str_eq(v.error, "");
  ck_assert_uint_eq(v.ip.version, 4);
  ck_assert_uint_eq(v.ip.ihl, 5);
  ck_assert_uint_eq(v.ip.tos, 0x02);
  ck_assert_uint_eq(v.ip.total_len, 140);
  ck_assert_uint_eq(v.ip.id, 0x1234);
  ck_assert(v.ip.df && !v.ip.mf && !v.ip.rf);
  ck_assert_uint_eq(v.ip.frag_off, 0);
  ck_assert_uint_eq(v.ip.ttl, 63);
  ck_assert_uint_eq(v.ip.proto, SF_IPPROTO_TCP);
  ck_assert(v.ip.csum_ok);
  ck_assert_uint_eq(v.ip.src, TP_PEER);
  ck_assert_uint_eq(v.ip.dst, TP_SUT);
  ck_assert_uint_eq(v.ip.opt_len, 0);
  ck_assert(!v.ip.fragment && !v.ip.truncated);
  ck_assert_uint_eq(v.ip.trailing, 0);
  ck_assert_uint_eq(v.ip.payload_len, 120);
}
END_TEST

START_TEST(test_decode_reads_every_tcp_field) {
  uint8_t buf[256];
  tp_tcp t = {.sport = 1234,
              .dport = 80,
              .seq = 0xfffffff0u,
              .ack = 7,
              .flags = SF_TCP_ACK | SF_TCP_URG,
              .win = 65535,
              .urg = 3,
              .payload_len = 10};
  size_t len = tp_tcp_build(buf, &t);
  sf_pkt_view v;
  ck_assert_int_eq(sf_pkt_decode(buf, len, &v), 0);
  ck_assert_int_eq(v.l4, SF_PKT_L4_TCP);
  ck_assert_uint_eq(v.tcp.sport, 1234);
  ck_assert_uint_eq(v.tcp.dport, 80);
  ck_assert_uint_eq(v.tcp.seq, 0xfffffff0u);
  ck_assert_uint_eq(v.tcp.ack, 7);
  ck_assert_uint_eq(v.tcp.doff, 5);
  ck_assert_uint_eq(v.tcp.flags, SF_TCP_ACK | SF_TCP_URG);
  ck_assert_uint_eq(v.tcp.win, 65535);
  ck_assert_uint_eq(v.tcp.urg, 3);
  ck_assert(v.tcp.csum_checked && v.tcp.csum_ok);
  ck_assert_uint_eq(v.tcp.payload_len, 10);
  ck_assert_ptr_eq(v.tcp.payload, buf + 40);
  ck_assert_uint_eq(v.tcp.n_options, 0);
  ck_assert(!v.tcp.opt_malformed);
}
END_TEST

START_TEST(test_decode_flags_all_nine_bits_including_ae) {
  uint8_t buf[128];
  tp_tcp t = {.flags = 0x1ff, .win = 1};
  size_t len = tp_tcp_build(buf, &t);
  sf_pkt_view v;
  ck_assert_int_eq(sf_pkt_decode(buf, len, &v), 0);
  ck_assert_uint_eq(v.tcp.flags, 0x1ff);
  ck_assert_uint_eq(v.tcp.reserved, 0);
  buf[32] |= 0x0e; /* the three reserved bits; checksum now bad */
  ck_assert_int_eq(sf_pkt_decode(buf, len, &v), 0);
  ck_assert_uint_eq(v.tcp.reserved, 7);
  ck_assert_uint_eq(v.tcp.flags, 0x1ff);
  ck_assert(!v.tcp.csum_ok);
}
END_TEST

START_TEST(test_decode_bad_ip_and_tcp_checksums_are_marked) {
  uint8_t buf[256];
  size_t len = data_segment(buf);
  buf[len - 1] ^= 0xff;
  sf_pkt_view v;
  ck_assert_int_eq(sf_pkt_decode(buf, len, &v), 0);
  ck_assert(v.ip.csum_ok);
  ck_assert(v.tcp.csum_checked && !v.tcp.csum_ok);
  buf[10] ^= 1;
  ck_assert_int_eq(sf_pkt_decode(buf, len, &v), 0);
  ck_assert(!v.ip.csum_ok);
}
END_TEST

START_TEST(test_decode_ip_options_are_counted_and_skipped) {
  uint8_t buf[256];
  tp_tcp t = {.flags = SF_TCP_SYN, .win = 9, .ip_opts_len = 8};
  size_t len = tp_tcp_build(buf, &t);
  sf_pkt_view v;
  ck_assert_int_eq(sf_pkt_decode(buf, len, &v), 0);
  ck_assert_uint_eq(v.ip.ihl, 7);
  ck_assert_uint_eq(v.ip.opt_len, 8);
  ck_assert(v.ip.csum_ok);
  ck_assert_int_eq(v.l4, SF_PKT_L4_TCP);
  ck_assert_uint_eq(v.tcp.win, 9);
  ck_assert(v.tcp.csum_ok);
}
END_TEST

START_TEST(test_decode_linux_syn_options_in_order_with_values) {
  sf_pkt_view v;
  decode_opts(linux_syn_opts, sizeof(linux_syn_opts), &v);
  ck_assert_uint_eq(v.tcp.n_options, 5);
  const sf_pkt_tcp_option *o = v.tcp.options;
  ck_assert_uint_eq(o[0].kind, SF_TCPOPT_MSS);
  ck_assert(o[0].valid);
  ck_assert_uint_eq(o[0].mss, 1460);
  ck_assert_uint_eq(o[0].offset, 40);
  ck_assert_uint_eq(o[1].kind, SF_TCPOPT_SACK_PERMITTED);
  ck_assert_uint_eq(o[1].len, 2);
  ck_assert_uint_eq(o[2].kind, SF_TCPOPT_TIMESTAMP);
  ck_assert_uint_eq(o[2].ts_val, 100);
  ck_assert_uint_eq(o[2].ts_ecr, 0);
  ck_assert_uint_eq(o[2].offset, 46);
  ck_assert_uint_eq(o[3].kind, SF_TCPOPT_NOP);
  ck_assert_uint_eq(o[3].len, 1);
  ck_assert_uint_eq(o[4].kind, SF_TCPOPT_WSCALE);
  ck_assert_uint_eq(o[4].wscale, 8);
  ck_assert(!v.tcp.opt_malformed);
}
END_TEST

START_TEST(test_decode_sack_blocks) {
  static const uint8_t opts[] = {1,    1, 5, 18,   0,    0, 3, 0xe9, 0,   0, 7,
                                 0xd1, 0, 0, 0x0b, 0xb9, 0, 0, 0x0f, 0xa1};
  sf_pkt_view v;
  decode_opts(opts, sizeof(opts), &v);
  ck_assert_uint_eq(v.tcp.n_options, 3);
  const sf_pkt_tcp_option *s = &v.tcp.options[2];
  ck_assert(s->valid);
  ck_assert_uint_eq(s->n_sack, 2);
  ck_assert_uint_eq(s->sack[0].left, 1001);
  ck_assert_uint_eq(s->sack[0].right, 2001);
  ck_assert_uint_eq(s->sack[1].left, 3001);
  ck_assert_uint_eq(s->sack[1].right, 4001);
}
END_TEST

START_TEST(test_decode_unknown_option_keeps_its_bytes) {
  static const uint8_t opts[] = {30, 6, 0xde, 0xad, 0xbe, 0xef, 1, 0};
  sf_pkt_view v;
  decode_opts(opts, sizeof(opts), &v);
  ck_assert_uint_eq(v.tcp.n_options, 3);
  const sf_pkt_tcp_option *o = &v.tcp.options[0];
  ck_assert_uint_eq(o->kind, 30);
  ck_assert_uint_eq(o->len, 6);
  ck_assert(!o->valid);
  ck_assert_uint_eq(o->data_len, 4);
  ck_assert_mem_eq(o->data, opts + 2, 4);
  ck_assert_uint_eq(v.tcp.options[2].kind, SF_TCPOPT_EOL);
}
END_TEST

START_TEST(test_decode_known_kind_with_wrong_length_is_not_valid) {
  /* an MSS of length 3 and a SACK of length 6: well-formed, not valid */
  static const uint8_t opts[] = {2, 3, 5, 5, 6, 1, 2, 3, 4, 1, 1, 1};
  sf_pkt_view v;
  decode_opts(opts, sizeof(opts), &v);
  ck_assert(!v.tcp.opt_malformed);
  ck_assert_uint_eq(v.tcp.options[0].kind, SF_TCPOPT_MSS);
  ck_assert(!v.tcp.options[0].valid);
  ck_assert_uint_eq(v.tcp.options[0].mss, 0);
  ck_assert_uint_eq(v.tcp.options[1].kind, SF_TCPOPT_SACK);
  ck_assert(!v.tcp.options[1].valid);
  ck_assert_uint_eq(v.tcp.options[1].data_len, 4);
}
END_TEST

START_TEST(test_decode_option_running_past_the_header_is_malformed) {
  static const uint8_t opts[] = {1, 1, 2, 9, 5, 0xb4, 0, 0};
  sf_pkt_view v;
  decode_opts(opts, sizeof(opts), &v);
  ck_assert(v.tcp.opt_malformed);
  ck_assert_uint_eq(v.tcp.n_options, 2);
  ck_assert_uint_eq(v.tcp.opt_malformed_off, 42);
  ck_assert_uint_eq(v.tcp.opt_rest_len, 6);
  ck_assert_mem_eq(v.tcp.opt_rest, opts + 2, 6);
}
END_TEST

START_TEST(test_decode_option_length_below_two_is_malformed) {
  static const uint8_t zero[] = {8, 0, 1, 1};
  static const uint8_t one[] = {1, 3, 1, 1};
  sf_pkt_view v;
  decode_opts(zero, sizeof(zero), &v);
  ck_assert(v.tcp.opt_malformed);
  ck_assert_uint_eq(v.tcp.n_options, 0);
  ck_assert_uint_eq(v.tcp.opt_rest_len, 4);
  decode_opts(one, sizeof(one), &v);
  ck_assert(v.tcp.opt_malformed);
  ck_assert_uint_eq(v.tcp.n_options, 1);
  ck_assert_uint_eq(v.tcp.opt_malformed_off, 41);
}
END_TEST

START_TEST(test_decode_option_kind_without_length_byte_is_malformed) {
  static const uint8_t opts[] = {1, 1, 1, 2};
  sf_pkt_view v;
  decode_opts(opts, sizeof(opts), &v);
  ck_assert(v.tcp.opt_malformed);
  ck_assert_uint_eq(v.tcp.n_options, 3);
  ck_assert_uint_eq(v.tcp.opt_rest_len, 1);
  ck_assert_uint_eq(v.tcp.opt_rest[0], 2);
}
END_TEST

START_TEST(test_decode_eol_padding_decodes_as_eols) {
  static const uint8_t opts[] = {2, 4, 5, 0xb4, 0, 0, 0, 0};
  sf_pkt_view v;
  decode_opts(opts, sizeof(opts), &v);
  ck_assert_uint_eq(v.tcp.n_options, 5);
  for (size_t i = 1; i < 5; i++) {
    ck_assert_uint_eq(v.tcp.options[i].kind, SF_TCPOPT_EOL);
    ck_assert(v.tcp.options[i].valid);
  }
}
END_TEST

START_TEST(test_decode_md5_and_fast_open_options) {
  static const uint8_t opts[] = {34,   6,    0xa,  0xb, 0xc, 0xd, 254,
                                 6,    0xf9, 0x89, 1,   2,   19,  4,
                                 0xee, 0xff, 1,    1,   1,   1};
  sf_pkt_view v;
  decode_opts(opts, sizeof(opts), &v);
  ck_assert_uint_eq(v.tcp.n_options, 7);
  ck_assert(v.tcp.options[0].valid);
  ck_assert_uint_eq(v.tcp.options[0].kind, SF_TCPOPT_FASTOPEN);
  ck_assert(v.tcp.options[1].valid);
  ck_assert_uint_eq(v.tcp.options[1].kind, SF_TCPOPT_EXP);
  ck_assert(v.tcp.options[2].valid);
  ck_assert_uint_eq(v.tcp.options[2].kind, SF_TCPOPT_MD5);
  ck_assert_uint_eq(v.tcp.options[2].data_len, 2);
}
END_TEST

START_TEST(test_decode_truncation_at_every_length_is_an_error) {
  uint8_t buf[256];
  tp_tcp t = {.flags = SF_TCP_SYN,
              .win = 1,
              .opts = linux_syn_opts,
              .opts_len = sizeof(linux_syn_opts),
              .payload_len = 5};
  size_t full = tp_tcp_build(buf, &t);
  for (size_t len = 0; len < full; len++) {
    uint8_t *c = tp_exact(buf, len);
    sf_pkt_view v;
    int rc = sf_pkt_decode(c, len, &v);
    ck_assert_msg(rc == -EINVAL, "length %zu: rc %d", len, rc);
    ck_assert_msg(strncmp(v.error, "byte ", 5) == 0, "length %zu: '%s'", len,
                  v.error);
    /* the view stays printable */
    char line[512];
    sf_pkt_fmt f = {.dir = SF_DIR_IN};
    ck_assert_uint_lt(sf_pkt_format(&v, &f, line, sizeof(line)), 512);
    free(c);
  }
  uint8_t *c = tp_exact(buf, 19);
  sf_pkt_view v;
  sf_pkt_decode(c, 19, &v);
  ck_assert_str_eq(v.error, "byte 0: truncated IPv4 header (19 of 20 bytes)");
  free(c);
  c = tp_exact(buf, 50);
  sf_pkt_decode(c, 50, &v);
  ck_assert_str_eq(v.error, "byte 50: truncated datagram (50 of 65 bytes)");
  ck_assert(v.ip_ok && v.ip.truncated);
  free(c);
}
END_TEST

START_TEST(test_decode_short_total_length_truncates_the_tcp_header) {
  uint8_t buf[128];
  tp_tcp t = {.flags = SF_TCP_ACK, .win = 1};
  tp_tcp_build(buf, &t);
  tp_put16(buf + 2, 32);
  tp_put16(buf + 10, 0);
  tp_put16(buf + 10, tp_fold(tp_sum(0, buf, 20)));
  uint8_t *c = tp_exact(buf, 32);
  sf_pkt_view v;
  ck_assert_int_eq(sf_pkt_decode(c, 32, &v), -EINVAL);
  ck_assert_str_eq(v.error, "byte 20: truncated TCP header (12 of 20 bytes)");
  ck_assert_uint_eq(v.error_off, 20);
  ck_assert(v.ip_ok);
  ck_assert_int_eq(v.l4, SF_PKT_L4_NONE);
  free(c);
}
END_TEST

START_TEST(test_decode_tcp_data_offset_out_of_range) {
  uint8_t buf[128];
  tp_tcp t = {.flags = SF_TCP_ACK, .win = 1};
  size_t len = tp_tcp_build(buf, &t);
  sf_pkt_view v;
  buf[32] = 4 << 4;
  ck_assert_int_eq(sf_pkt_decode(buf, len, &v), -EINVAL);
  ck_assert_str_eq(v.error,
                   "byte 32: TCP data offset 4 (16 bytes), less than 20");
  buf[32] = 15 << 4;
  ck_assert_int_eq(sf_pkt_decode(buf, len, &v), -EINVAL);
  ck_assert_str_eq(v.error, "byte 40: truncated TCP options (0 of 40 bytes)");
}
END_TEST

START_TEST(test_decode_not_ipv4_is_eprotonosupport) {
  uint8_t six[40] = {0x60};
  sf_pkt_view v;
  ck_assert_int_eq(sf_pkt_decode(six, sizeof(six), &v), -EPROTONOSUPPORT);
  ck_assert_str_eq(v.error, "byte 0: IP version 6, not 4");
  ck_assert(!v.ip_ok);
}
END_TEST

START_TEST(test_decode_empty_or_null_packet_is_einval) {
  sf_pkt_view v;
  ck_assert_int_eq(sf_pkt_decode(NULL, 40, &v), -EINVAL);
  ck_assert_str_eq(v.error, "byte 0: empty packet");
  uint8_t b[1] = {0x45};
  ck_assert_int_eq(sf_pkt_decode(b, 0, &v), -EINVAL);
  ck_assert_int_eq(sf_pkt_decode(b, 1, NULL), -EINVAL);
}
END_TEST

START_TEST(test_decode_bad_header_length_fields) {
  uint8_t buf[256];
  size_t len = data_segment(buf);
  sf_pkt_view v;
  buf[0] = 0x44;
  ck_assert_int_eq(sf_pkt_decode(buf, len, &v), -EINVAL);
  ck_assert_str_eq(v.error,
                   "byte 0: IPv4 header length 16 bytes (ihl 4), less than 20");
  buf[0] = 0x45;
  tp_put16(buf + 2, 12);
  ck_assert_int_eq(sf_pkt_decode(buf, len, &v), -EINVAL);
  ck_assert_str_eq(
      v.error, "byte 2: IPv4 total length 12, less than the 20-byte header");
  uint8_t *c = tp_exact(buf, 30);
  c[0] = 0x4f; /* 60-byte header in 30 bytes */
  ck_assert_int_eq(sf_pkt_decode(c, 30, &v), -EINVAL);
  ck_assert_str_eq(v.error, "byte 30: truncated IPv4 options (10 of 40 bytes)");
  free(c);
}
END_TEST

START_TEST(test_decode_bytes_after_total_length_are_trailing) {
  uint8_t buf[256];
  size_t len = data_segment(buf);
  memset(buf + len, 0, 6);
  sf_pkt_view v;
  ck_assert_int_eq(sf_pkt_decode(buf, len + 6, &v), 0);
  ck_assert_uint_eq(v.ip.trailing, 6);
  ck_assert_uint_eq(v.tcp.payload_len, 100);
  ck_assert(v.tcp.csum_ok);
}
END_TEST

START_TEST(test_decode_fragments_leave_the_transport_undecoded) {
  uint8_t buf[256];
  size_t len = data_segment(buf);
  sf_pkt_view v;
  tp_put16(buf + 6, 0x2000); /* MF, offset 0 */
  ck_assert_int_eq(sf_pkt_decode(buf, len, &v), 0);
  ck_assert(v.ip.fragment && v.ip.mf);
  ck_assert_int_eq(v.l4, SF_PKT_L4_NONE);
  tp_put16(buf + 6, 0x0003); /* offset 24 bytes, last */
  ck_assert_int_eq(sf_pkt_decode(buf, len, &v), 0);
  ck_assert(v.ip.fragment && !v.ip.mf);
  ck_assert_uint_eq(v.ip.frag_off, 3);
  ck_assert_int_eq(v.l4, SF_PKT_L4_NONE);
  ck_assert_uint_eq(v.tcp.seq, 0);
}
END_TEST

START_TEST(test_decode_icmp_echo) {
  uint8_t data[56];
  memset(data, 0x5a, sizeof(data));
  uint8_t buf[128];
  size_t len = tp_icmp_build(buf, false, 8, 0, 7u << 16 | 1, data, 56);
  sf_pkt_view v;
  ck_assert_int_eq(sf_pkt_decode(buf, len, &v), 0);
  ck_assert_int_eq(v.l4, SF_PKT_L4_ICMP);
  ck_assert_uint_eq(v.icmp.type, 8);
  ck_assert_uint_eq(v.icmp.code, 0);
  ck_assert_uint_eq(v.icmp.id, 7);
  ck_assert_uint_eq(v.icmp.seq, 1);
  ck_assert_uint_eq(v.icmp.data_len, 56);
  ck_assert(v.icmp.csum_checked && v.icmp.csum_ok);
  ck_assert(!v.icmp.is_error);
}
END_TEST

/* An ICMP error quoting the SUT's segment seq (header and 8 bytes). */
static size_t icmp_error(uint8_t *buf, uint8_t type, uint8_t code,
                         uint32_t rest, uint32_t seq, size_t quoted_payload,
                         size_t quote_bytes) {
  uint8_t seg[128];
  tp_tcp t = {.outbound = true, .seq = seq, .flags = SF_TCP_ACK, .win = 1};
  tp_tcp_build(seg, &t);
  tp_put16(seg + 2, (uint32_t)(40 + quoted_payload));
  return tp_icmp_build(buf, false, type, code, rest, seg, quote_bytes);
}

START_TEST(test_decode_icmp_port_unreachable_quotes_the_tcp_header) {
  uint8_t buf[128];
  size_t len = icmp_error(buf, 3, 3, 0, 5001, 0, 28);
  sf_pkt_view v;
  ck_assert_int_eq(sf_pkt_decode(buf, len, &v), 0);
  ck_assert(v.icmp.is_error);
  const sf_pkt_icmp_quote *q = &v.icmp.q;
  ck_assert(q->ok);
  ck_assert_uint_eq(q->proto, SF_IPPROTO_TCP);
  ck_assert_uint_eq(q->src, TP_SUT);
  ck_assert_uint_eq(q->dst, TP_PEER);
  ck_assert_uint_eq(q->total_len, 40);
  ck_assert(q->has_ports);
  ck_assert_uint_eq(q->sport, 8080);
  ck_assert_uint_eq(q->dport, 40000);
  ck_assert(q->has_seq);
  ck_assert_uint_eq(q->seq, 5001);
  ck_assert(!q->has_doff);
  ck_assert_uint_eq(q->l4_len, 8);
}
END_TEST

START_TEST(test_decode_icmp_frag_needed_carries_the_mtu) {
  uint8_t buf[128];
  size_t len = icmp_error(buf, 3, 4, 1200, 1, 1460, 40);
  sf_pkt_view v;
  ck_assert_int_eq(sf_pkt_decode(buf, len, &v), 0);
  ck_assert_uint_eq(v.icmp.mtu, 1200);
  ck_assert(v.icmp.q.has_doff && v.icmp.q.has_flags);
  ck_assert_uint_eq(v.icmp.q.doff, 5);
  ck_assert_uint_eq(v.icmp.q.flags, SF_TCP_ACK);
}
END_TEST

START_TEST(test_decode_icmp_error_with_a_short_quote) {
  uint8_t buf[128];
  size_t len = icmp_error(buf, 11, 0, 0, 1, 0, 12);
  sf_pkt_view v;
  ck_assert_int_eq(sf_pkt_decode(buf, len, &v), 0);
  ck_assert(v.icmp.is_error);
  ck_assert(!v.icmp.q.ok);
  uint8_t *c = tp_exact(buf, 27);
  tp_put16(c + 2, 27);
  ck_assert_int_eq(sf_pkt_decode(c, 27, &v), -EINVAL);
  ck_assert_str_eq(v.error, "byte 20: truncated ICMP header (7 of 8 bytes)");
  free(c);
}
END_TEST

START_TEST(test_decode_udp) {
  uint8_t buf[64];
  tp_ip(buf, 20, 20 + 8 + 4, SF_IPPROTO_UDP, TP_PEER, TP_SUT, 0, 64, 0, false);
  tp_put16(buf + 20, 53);
  tp_put16(buf + 22, 5353);
  tp_put16(buf + 24, 12);
  memcpy(buf + 28, "abcd", 4);
  tp_l4_csum(buf, 20, 32, 6);
  sf_pkt_view v;
  ck_assert_int_eq(sf_pkt_decode(buf, 32, &v), 0);
  ck_assert_int_eq(v.l4, SF_PKT_L4_UDP);
  ck_assert_uint_eq(v.udp.sport, 53);
  ck_assert_uint_eq(v.udp.dport, 5353);
  ck_assert_uint_eq(v.udp.len, 12);
  ck_assert_uint_eq(v.udp.payload_len, 4);
  ck_assert(v.udp.csum_checked && v.udp.csum_ok);
}
END_TEST

START_TEST(test_decode_arbitrary_bytes_never_over_read) {
  /* A seeded walk over mutations of a valid segment and pure noise, each
   * decoded from an exact heap copy. */
  uint8_t base[256] = {0};
  tp_tcp t = {.flags = SF_TCP_SYN | SF_TCP_ACK,
              .win = 1,
              .opts = linux_syn_opts,
              .opts_len = sizeof(linux_syn_opts),
              .payload_len = 12};
  size_t blen = tp_tcp_build(base, &t);
  uint64_t x = 0x9e3779b97f4a7c15u;
  for (int i = 0; i < 20000; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    uint8_t buf[256];
    size_t len = (size_t)(x % (blen + 8));
    if (i % 2 == 0) {
      memcpy(buf, base, sizeof(buf));
      for (int k = 0; k < 3; k++)
        buf[(x >> (8 * k + 16)) % blen] ^= (uint8_t)(x >> (8 * k + 8));
    } else {
      for (size_t k = 0; k < len; k++)
        buf[k] = (uint8_t)((x >> (k % 56)) + k);
      buf[0] = (uint8_t)(0x45 + (x & 0xa));
    }
    uint8_t *c = tp_exact(buf, len);
    sf_pkt_view v;
    int rc = sf_pkt_decode(c, len, &v);
    ck_assert(rc == 0 || rc == -EINVAL || rc == -EPROTONOSUPPORT);
    ck_assert(rc == 0 ? v.error[0] == '\0' : v.error[0] != '\0');
    char line[1024];
    sf_pkt_fmt f = {.dir = i % 3 ? SF_DIR_IN : SF_DIR_OUT,
                    .relative = true,
                    .show_ip = true,
                    .show_ports = true};
    sf_pkt_format(&v, &f, line, sizeof(line));
    sf_pkt_field fields[SF_PKT_MAX_FIELDS];
    ck_assert_uint_le(sf_pkt_format_fields(&v, &f, fields, SF_PKT_MAX_FIELDS),
                      SF_PKT_MAX_FIELDS);
    free(c);
  }
}
END_TEST

Suite *tu_suite(void) {
  Suite *s = suite_create("trace_decode");
  TCase *tc = tcase_create("decode");
  tcase_add_test(tc, test_decode_reads_every_ip_field);
  tcase_add_test(tc, test_decode_reads_every_tcp_field);
  tcase_add_test(tc, test_decode_flags_all_nine_bits_including_ae);
  tcase_add_test(tc, test_decode_bad_ip_and_tcp_checksums_are_marked);
  tcase_add_test(tc, test_decode_ip_options_are_counted_and_skipped);
  tcase_add_test(tc, test_decode_linux_syn_options_in_order_with_values);
  tcase_add_test(tc, test_decode_sack_blocks);
  tcase_add_test(tc, test_decode_unknown_option_keeps_its_bytes);
  tcase_add_test(tc, test_decode_known_kind_with_wrong_length_is_not_valid);
  tcase_add_test(tc, test_decode_option_running_past_the_header_is_malformed);
  tcase_add_test(tc, test_decode_option_length_below_two_is_malformed);
  tcase_add_test(tc, test_decode_option_kind_without_length_byte_is_malformed);
  tcase_add_test(tc, test_decode_eol_padding_decodes_as_eols);
  tcase_add_test(tc, test_decode_md5_and_fast_open_options);
  tcase_add_test(tc, test_decode_truncation_at_every_length_is_an_error);
  tcase_add_test(tc, test_decode_short_total_length_truncates_the_tcp_header);
  tcase_add_test(tc, test_decode_tcp_data_offset_out_of_range);
  tcase_add_test(tc, test_decode_not_ipv4_is_eprotonosupport);
  tcase_add_test(tc, test_decode_empty_or_null_packet_is_einval);
  tcase_add_test(tc, test_decode_bad_header_length_fields);
  tcase_add_test(tc, test_decode_bytes_after_total_length_are_trailing);
  tcase_add_test(tc, test_decode_fragments_leave_the_transport_undecoded);
  tcase_add_test(tc, test_decode_icmp_echo);
  tcase_add_test(tc, test_decode_icmp_port_unreachable_quotes_the_tcp_header);
  tcase_add_test(tc, test_decode_icmp_frag_needed_carries_the_mtu);
  tcase_add_test(tc, test_decode_icmp_error_with_a_short_quote);
  tcase_add_test(tc, test_decode_udp);
  tcase_add_test(tc, test_decode_arbitrary_bytes_never_over_read);
  suite_add_tcase(s, tc);
  return s;
}
