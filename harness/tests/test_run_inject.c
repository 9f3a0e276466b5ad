/* Inbound packets on the wire, read back from the pcap: synfin's header
 * extensions (checksums, header and total lengths, IP ID, DF, protocol,
 * data offset), fragments in order, reversed and shuffled, raw bytes as
 * written, and packetdrill's TOS/TTL attributes. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run_util.h"

Suite *tu_suite(void);

#define LISTEN                                                                 \
  "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"                              \
  "+0 bind(3, ..., ...) = 0\n"                                                 \
  "+0 listen(3, 1) = 0\n"

/* Runs LISTEN plus one inbound line; returns the capture. */
static struct ru_capture *inject(const char *line) {
  char script[4096];
  snprintf(script, sizeof(script), LISTEN "%s\n", line);
  sf_run_result res;
  struct ru_capture *c = ru_run_capture(script, NULL, &res);
  ru_assert_result(&res, SF_RESULT_PASS, NULL);
  sf_run_result_free(&res);
  ck_assert_uint_ge(c->n, 1);
  return c;
}

START_TEST(test_plain_segment) {
  struct ru_capture *c = inject("+0 < S 0:0(0) win 65535 <mss 1000>\n"
                                "+0 > S. 0:0(0) ack 1 <mss 1460>");
  const sf_pkt_view *v = &c->v[0];
  ck_assert(v->ip_ok);
  ck_assert_uint_eq(v->ip.ihl, 5);
  ck_assert_uint_eq(v->ip.total_len, 44);
  ck_assert(v->ip.csum_ok);
  ck_assert(v->ip.df);
  ck_assert_uint_eq(v->ip.ttl, 64);
  ck_assert_int_eq(v->l4, SF_PKT_L4_TCP);
  ck_assert(v->tcp.csum_ok);
  ck_assert_uint_eq(v->tcp.doff, 6);
  ck_assert_uint_eq(v->tcp.win, 65535);
  ck_assert_uint_eq(v->tcp.flags, SF_TCP_SYN);
  free(c);
}
END_TEST

START_TEST(test_bad_checksums) {
  struct ru_capture *c = inject("+0 < (tcp_csum bad) S 0:0(0) win 1\n"
                                "+0 < (ip_csum bad) S 0:0(0) win 1");
  ck_assert_uint_eq(c->n, 2);
  ck_assert(c->v[0].ip.csum_ok);
  ck_assert(c->v[0].tcp.csum_checked);
  ck_assert(!c->v[0].tcp.csum_ok);
  ck_assert(!c->v[1].ip.csum_ok);
  free(c);
}
END_TEST

START_TEST(test_header_fields_as_written) {
  struct ru_capture *c =
      inject("+0 < (ihl 6, ip_len 100, ip_id 4242, ip_proto 99, ttl 7, "
             "tos 0x10) S 0:0(0) win 1\n"
             "+0 < (tcp_doff 9) S 0:0(0) win 1");
  const uint8_t *b = c->data[0];
  ck_assert_uint_eq(b[0], 0x46);
  ck_assert_uint_eq((unsigned)(b[2] << 8 | b[3]), 100);
  ck_assert_uint_eq((unsigned)(b[4] << 8 | b[5]), 4242);
  ck_assert_uint_eq(b[8], 7);
  ck_assert_uint_eq(b[9], 99);
  ck_assert_uint_eq(b[1], 0x10);
  ck_assert_uint_eq(c->len[0], 40); /* the bytes are the segment's */
  ck_assert_uint_eq(c->data[1][20 + 12] >> 4, 9);
  free(c);
}
END_TEST

/* The fragment offsets (in 8-byte units) of the first n packets. */
static void offsets(const struct ru_capture *c, size_t n, unsigned *out) {
  ck_assert_uint_ge(c->n, n);
  for (size_t i = 0; i < n; i++) {
    ck_assert(c->v[i].ip.fragment);
    out[i] = c->v[i].ip.frag_off;
    ck_assert_uint_eq(c->v[i].ip.mf, out[i] != n - 1);
  }
}

/* A SYN with <mss 1000> is 24 bytes of TCP: fragments of 8 bytes at
 * offsets 0, 1, 2, then the SYN-ACK. */
START_TEST(test_fragments_in_order) {
  unsigned off[3];
  struct ru_capture *c = inject("+0 < (frag_size 8) S 0:0(0) win 65535 <mss "
                                "1000>\n"
                                "+0 > S. 0:0(0) ack 1 <mss 1460>");
  offsets(c, 3, off);
  ck_assert_uint_eq(off[0], 0);
  ck_assert_uint_eq(off[1], 1);
  ck_assert_uint_eq(off[2], 2);
  ck_assert_uint_eq(c->v[0].ip.id, c->v[2].ip.id);
  ck_assert_int_eq(c->v[3].l4, SF_PKT_L4_TCP);
  free(c);
}
END_TEST

START_TEST(test_fragments_reversed) {
  unsigned off[4];
  struct ru_capture *c =
      inject("+0 < (frag_size 8, frag_order reverse) S 0:0(0) win 65535 "
             "<mss 1000,nop,nop,nop,nop,nop,nop,nop,nop>\n"
             "+0 > S. 0:0(0) ack 1 <mss 1460>");
  offsets(c, 4, off);
  for (int i = 0; i < 4; i++)
    ck_assert_uint_eq(off[i], (unsigned)(3 - i));
  free(c);
}
END_TEST

/* Shuffled: every offset once, not in order, and the same order for the
 * same seed. */
START_TEST(test_fragments_shuffled) {
  static const char line[] =
      "+0 < (frag_size 8, frag_order shuffle(7)) S 0:0(0) win 65535 "
      "<mss 1000,nop,nop,nop,nop,nop,nop,nop,nop>\n"
      "+0 > S. 0:0(0) ack 1 <mss 1460>";
  unsigned a[4], b[4];
  struct ru_capture *c = inject(line);
  offsets(c, 4, a);
  free(c);
  c = inject(line);
  offsets(c, 4, b);
  free(c);
  unsigned seen = 0;
  bool sorted = true;
  for (int i = 0; i < 4; i++) {
    ck_assert_uint_lt(a[i], 4);
    seen |= 1u << a[i];
    sorted &= a[i] == (unsigned)i;
    ck_assert_uint_eq(a[i], b[i]);
  }
  ck_assert_uint_eq(seen, 15);
  ck_assert(!sorted);
}
END_TEST

START_TEST(test_ip_opts_follow_the_header_padded) {
  struct ru_capture *c = inject(
      "+0 < (ip_opts <lsrr [198.51.100.1 198.51.100.2] ptr 12>) S 0:0(0) win "
      "1");
  const sf_pkt_view *v = &c->v[0];
  static const uint8_t want[] = {131, 11,  12, 198, 51, 100,
                                 1,   198, 51, 100, 2,  0};
  ck_assert_uint_eq(v->ip.ihl, 8);
  ck_assert_uint_eq(v->ip.total_len, 52);
  ck_assert(v->ip.csum_ok);
  ck_assert_mem_eq(v->pkt + 20, want, sizeof(want));
  ck_assert(v->tcp.csum_ok);
  free(c);
}
END_TEST

START_TEST(test_ip_dst_and_route_under_way_checksum_the_final_destination) {
  struct ru_capture *c =
      inject("+0 < (ip_dst 198.51.100.9, ip_opts <lsrr [192.168.0.1] ptr 4>) "
             "S 0:0(0) win 1");
  const sf_pkt_view *v = &c->v[0];
  ck_assert_uint_eq(v->ip.dst, 0xc6336409u);
  ck_assert(v->tcp.csum_ok); /* over 192.168.0.1, the route's last address */
  free(c);
}
END_TEST

START_TEST(test_outbound_ip_opts_must_match_exactly) {
  ru_expect("--profile=rfc\n" LISTEN
            "+0 < (ip_opts <lsrr [198.51.100.1 198.51.100.2] ptr 12>) S "
            "0:0(0) win 1\n"
            "+0 > (ip_opts <lsrr [198.51.100.1 192.0.2.1] ptr 4, nop>, "
            "ip_dst 198.51.100.2) S. 0:0(0) ack 1 <...>\n",
            NULL, SF_RESULT_FAIL, "differs from the script in ip_opts");
}
END_TEST

START_TEST(test_outbound_without_ip_opts_fails_on_options) {
  ru_expect("--profile=rfc\n" LISTEN
            "+0 < (ip_opts <lsrr [198.51.100.1 198.51.100.2] ptr 12>) S "
            "0:0(0) win 1\n"
            "+0 > S. 0:0(0) ack 1 <...>\n",
            NULL, SF_RESULT_FAIL,
            "differs from the script in address, ip_opts");
}
END_TEST

START_TEST(test_outbound_ip_dst_is_checked) {
  ru_expect("--profile=rfc\n" LISTEN
            "+0 < (ip_opts <lsrr [198.51.100.1 198.51.100.2] ptr 12>) S "
            "0:0(0) win 1\n"
            "+0 > (ip_opts <lsrr [198.51.100.1 192.0.2.1] ptr 4>, ip_dst "
            "198.51.100.1) S. 0:0(0) ack 1 <...>\n",
            NULL, SF_RESULT_FAIL, "differs from the script in address");
}
END_TEST

START_TEST(test_ip_options_setsockopt_value) {
  ru_expect("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
            "+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n"
            "+0 setsockopt(3, IPPROTO_IP, IP_OPTIONS, lsrr(\"192.0.2.2\"), 7)"
            " = 0\n"
            "+0 connect(3, ..., ...) = -1 EINPROGRESS\n"
            "+0 > (ip_opts <lsrr [192.0.2.1] ptr 4>, ip_dst 192.0.2.2) S "
            "0:0(0) <...>\n",
            NULL, SF_RESULT_PASS, NULL);
}
END_TEST

START_TEST(test_raw_bytes_as_written) {
  struct ru_capture *c = inject("+0 < raw 45 00 00 14 12 34 00 00 40 fd "
                                "00 00 c0 00 02 01 c0 a8 00 01");
  static const uint8_t want[] = {0x45, 0x00, 0x00, 0x14, 0x12, 0x34, 0x00,
                                 0x00, 0x40, 0xfd, 0x00, 0x00, 0xc0, 0x00,
                                 0x02, 0x01, 0xc0, 0xa8, 0x00, 0x01};
  ck_assert_uint_eq(c->len[0], sizeof(want));
  ck_assert_mem_eq(c->data[0], want, sizeof(want));
  free(c);
}
END_TEST

START_TEST(test_icmp_echo) {
  struct ru_capture *c = inject("+0 < icmp echo_request id 9 seq 3 (20)\n"
                                "+0 > icmp echo_reply id 9 seq 3 (20)");
  ck_assert_int_eq(c->v[0].l4, SF_PKT_L4_ICMP);
  ck_assert_uint_eq(c->v[0].icmp.type, 8);
  ck_assert_uint_eq(c->v[0].icmp.id, 9);
  ck_assert_uint_eq(c->v[0].icmp.seq, 3);
  ck_assert_uint_eq(c->v[0].icmp.data_len, 20);
  ck_assert(c->v[0].icmp.csum_ok);
  ck_assert_uint_eq(c->v[1].icmp.type, 0);
  free(c);
}
END_TEST

Suite *tu_suite(void) {
  Suite *s = suite_create("run_inject");
  TCase *tc = tcase_create("inject");
  tcase_add_test(tc, test_plain_segment);
  tcase_add_test(tc, test_bad_checksums);
  tcase_add_test(tc, test_header_fields_as_written);
  tcase_add_test(tc, test_fragments_in_order);
  tcase_add_test(tc, test_ip_opts_follow_the_header_padded);
  tcase_add_test(
      tc, test_ip_dst_and_route_under_way_checksum_the_final_destination);
  tcase_add_test(tc, test_outbound_ip_opts_must_match_exactly);
  tcase_add_test(tc, test_outbound_without_ip_opts_fails_on_options);
  tcase_add_test(tc, test_outbound_ip_dst_is_checked);
  tcase_add_test(tc, test_ip_options_setsockopt_value);
  tcase_add_test(tc, test_fragments_reversed);
  tcase_add_test(tc, test_fragments_shuffled);
  tcase_add_test(tc, test_raw_bytes_as_written);
  tcase_add_test(tc, test_icmp_echo);
  suite_add_tcase(s, tc);
  return s;
}
