/* Sequence numbers between script and wire: SYNs give the ISNs, outbound
 * seq and inbound ack/SACK blocks are relative to the SUT's ISN, inbound
 * seq is the script's own (its SYN names the remote ISN), inbound TS ecr
 * is mapped to the live TS val. Checked on the pcap the runner writes. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run_util.h"

Suite *tu_suite(void);

#define REMOTE_IP 0xc0000201u /* 192.0.2.1, the script's side */

#define LISTEN                                                                 \
  "0    socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"                           \
  "+0   bind(3, ..., ...) = 0\n"                                               \
  "+0   listen(3, 1) = 0\n"

/* The i-th packet of a direction in a capture. */
static const sf_pkt_view *nth(const struct ru_capture *c, bool inbound, int i) {
  for (size_t k = 0; k < c->n; k++) {
    if ((c->v[k].ip.src == REMOTE_IP) == inbound && i-- == 0)
      return &c->v[k];
  }
  ck_abort_msg("no %s packet %d", inbound ? "inbound" : "outbound", i);
  return NULL;
}

static const sf_pkt_tcp_option *option(const sf_pkt_view *v, uint8_t kind) {
  for (size_t i = 0; i < v->tcp.n_options; i++)
    if (v->tcp.options[i].kind == kind)
      return &v->tcp.options[i];
  ck_abort_msg("no option %u", kind);
  return NULL;
}

START_TEST(test_inbound_ack_is_relative_to_sut_isn) {
  sf_run_result res;
  struct ru_capture *c =
      ru_run_capture(LISTEN "+0 < S 0:0(0) win 65535 <mss 1000>\n"
                            "+0 > S. 0:0(0) ack 1 <mss 1460>\n"
                            "+.1 < . 1:1(0) ack 1 win 65535\n"
                            "+0 accept(3, ..., ...) = 4\n"
                            "+0 write(4, ..., 10) = 10\n"
                            "+0 > P. 1:11(10) ack 1\n"
                            "+.1 < . 1:1(0) ack 11 win 65535\n",
                     NULL, &res);
  ru_assert_result(&res, SF_RESULT_PASS, NULL);
  uint32_t isn = nth(c, false, 0)->tcp.seq;
  ck_assert_uint_eq(nth(c, true, 1)->tcp.ack, isn + 1);
  ck_assert_uint_eq(nth(c, false, 1)->tcp.seq, isn + 1);
  ck_assert_uint_eq(nth(c, true, 2)->tcp.ack, isn + 11);
  sf_run_result_free(&res);
  free(c);
}
END_TEST

/* The remote ISN is what the script's SYN says; later inbound seqs and the
 * SUT's acks are in the same (absolute) space. */
START_TEST(test_inbound_seq_is_the_scripts_own) {
  sf_run_result res;
  struct ru_capture *c =
      ru_run_capture(LISTEN "+0 < S 1000000:1000000(0) win 65535 <mss 1000>\n"
                            "+0 > S. 0:0(0) ack 1000001 <mss 1460>\n"
                            "+.1 < . 1000001:1000001(0) ack 1 win 65535\n"
                            "+0 accept(3, ..., ...) = 4\n"
                            "+0 < P. 1000001:1000101(100) ack 1 win 65535\n"
                            "+0 > . 1:1(0) ack 1000101\n",
                     NULL, &res);
  ru_assert_result(&res, SF_RESULT_PASS, NULL);
  ck_assert_uint_eq(nth(c, true, 0)->tcp.seq, 1000000);
  ck_assert_uint_eq(nth(c, true, 2)->tcp.seq, 1000001);
  ck_assert_uint_eq(nth(c, false, 0)->tcp.ack, 1000001);
  ck_assert_uint_eq(nth(c, false, 1)->tcp.ack, 1000101);
  sf_run_result_free(&res);
  free(c);
}
END_TEST

/* A SYN-ACK's ack is compared as written too: ack 1 of a SYN at 1000000
 * is wrong. */
START_TEST(test_outbound_ack_is_not_relative) {
  ru_expect(LISTEN "+0 < S 1000000:1000000(0) win 65535 <mss 1000>\n"
                   "+0 > S. 0:0(0) ack 1 <mss 1460>\n",
            NULL, SF_RESULT_FAIL, "differs from the script in ack");
}
END_TEST

/* Whatever ISN the SUT picks (the seed decides), `> S 0:0(0)` matches it
 * and later segments count from it. */
START_TEST(test_outbound_syn_learns_the_isn) {
  static const char script[] =
      "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
      "+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n"
      "+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)\n"
      "+0 > S 0:0(0) <...>\n"
      "+.1 < S. 5000:5000(0) ack 1 win 65535 <mss 1000>\n"
      "+0 > . 1:1(0) ack 5001\n"
      "+0 write(3, ..., 10) = 10\n"
      "+0 > P. 1:11(10) ack 5001\n";
  uint32_t isn[2];
  for (int i = 0; i < 2; i++) {
    sf_run_options o;
    sf_run_options_default(&o);
    o.seed = (uint64_t)i * 7919 + 1;
    sf_run_result res;
    struct ru_capture *c = ru_run_capture(script, &o, &res);
    ru_assert_result(&res, SF_RESULT_PASS, NULL);
    isn[i] = nth(c, false, 0)->tcp.seq;
    ck_assert_uint_eq(nth(c, true, 0)->tcp.ack, isn[i] + 1);
    ck_assert_uint_eq(nth(c, false, 2)->tcp.seq, isn[i] + 1);
    sf_run_result_free(&res);
    free(c);
  }
  ck_assert_uint_ne(isn[0], isn[1]);
}
END_TEST

START_TEST(test_outbound_seq_off_by_one_fails) {
  ru_expect(LISTEN "+0 < S 0:0(0) win 65535 <mss 1000>\n"
                   "+0 > S. 0:0(0) ack 1 <mss 1460>\n"
                   "+.1 < . 1:1(0) ack 1 win 65535\n"
                   "+0 accept(3, ..., ...) = 4\n"
                   "+0 write(4, ..., 10) = 10\n"
                   "+0 > P. 0:10(10) ack 1\n",
            NULL, SF_RESULT_FAIL, "differs from the script in seq");
}
END_TEST

START_TEST(test_inbound_sack_blocks_are_relative_to_sut_isn) {
  sf_run_result res;
  struct ru_capture *c = ru_run_capture(
      LISTEN "+0 < S 0:0(0) win 65535 <mss 1000,sackOK,nop,nop>\n"
             "+0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK>\n"
             "+.1 < . 1:1(0) ack 1 win 65535\n"
             "+0 accept(3, ..., ...) = 4\n"
             "+0 write(4, ..., 3000) = 3000\n"
             "+0 > P. 1:3001(3000) ack 1\n"
             "+.05 < . 1:1(0) ack 1 win 65535 <nop,nop,sack 1001:2001 "
             "2501:3001>\n",
      NULL, &res);
  ru_assert_result(&res, SF_RESULT_PASS, NULL);
  uint32_t isn = nth(c, false, 0)->tcp.seq;
  const sf_pkt_tcp_option *o = option(nth(c, true, 2), SF_TCPOPT_SACK);
  ck_assert_uint_eq(o->n_sack, 2);
  ck_assert_uint_eq(o->sack[0].left, isn + 1001);
  ck_assert_uint_eq(o->sack[0].right, isn + 2001);
  ck_assert_uint_eq(o->sack[1].left, isn + 2501);
  ck_assert_uint_eq(o->sack[1].right, isn + 3001);
  sf_run_result_free(&res);
  free(c);
}
END_TEST

/* Outbound SACK blocks describe the script's own data: as written. */
START_TEST(test_outbound_sack_blocks_are_the_scripts_own) {
  ru_expect(LISTEN "+0 < S 0:0(0) win 65535 <mss 1000,sackOK,nop,nop>\n"
                   "+0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK>\n"
                   "+.1 < . 1:1(0) ack 1 win 65535\n"
                   "+0 accept(3, ..., ...) = 4\n"
                   "+0 < . 1001:2001(1000) ack 1 win 65535\n"
                   "+0 > . 1:1(0) ack 1 <nop,nop,sack 1001:2001>\n",
            NULL, SF_RESULT_PASS, NULL);
}
END_TEST

/* An inbound ecr naming the script val of an earlier outbound packet gets
 * that packet's live TS val; the TS val of an outbound packet is not
 * checked; an ecr naming no outbound val goes out as written. */
START_TEST(test_inbound_ecr_is_mapped_to_the_live_ts_val) {
  sf_run_result res;
  struct ru_capture *c = ru_run_capture(
      LISTEN "+0 < S 0:0(0) win 65535 <mss 1000,sackOK,TS val 10 ecr 0,nop,"
             "wscale 7>\n"
             "+0 > S. 0:0(0) ack 1 <mss 1460,sackOK,TS val 777 ecr 10,nop,"
             "wscale 8>\n"
             "+.1 < . 1:1(0) ack 1 win 514 <nop,nop,TS val 20 ecr 777>\n"
             "+0 accept(3, ..., ...) = 4\n"
             "+0 write(4, ..., 10) = 10\n"
             "+0 > P. 1:11(10) ack 1 <nop,nop,TS val 888 ecr 20>\n"
             "+.1 < . 1:1(0) ack 11 win 514 <nop,nop,TS val 30 ecr 888>\n"
             "+0 < . 1:1(0) ack 11 win 514 <nop,nop,TS val 31 ecr 12345>\n",
      NULL, &res);
  ru_assert_result(&res, SF_RESULT_PASS, NULL);
  uint32_t synack_val = option(nth(c, false, 0), SF_TCPOPT_TIMESTAMP)->ts_val;
  uint32_t data_val = option(nth(c, false, 1), SF_TCPOPT_TIMESTAMP)->ts_val;
  ck_assert_uint_ne(synack_val, 777);
  ck_assert_uint_eq(option(nth(c, true, 0), SF_TCPOPT_TIMESTAMP)->ts_val, 10);
  ck_assert_uint_eq(option(nth(c, true, 1), SF_TCPOPT_TIMESTAMP)->ts_ecr,
                    synack_val);
  ck_assert_uint_eq(option(nth(c, true, 2), SF_TCPOPT_TIMESTAMP)->ts_ecr,
                    data_val);
  ck_assert_uint_eq(option(nth(c, true, 3), SF_TCPOPT_TIMESTAMP)->ts_ecr,
                    12345);
  sf_run_result_free(&res);
  free(c);
}
END_TEST

/* Packets with explicit ports belong to the connection of those ports;
 * each has its own ISN. */
START_TEST(test_two_connections_by_ports) {
  sf_run_result res;
  struct ru_capture *c = ru_run_capture(
      LISTEN "+0 < 40000>8080 S 0:0(0) win 65535 <mss 1000>\n"
             "+0 > 8080>40000 S. 0:0(0) ack 1 <mss 1460>\n"
             "+0 < 40001>8080 S 500:500(0) win 65535 <mss 1000>\n"
             "+0 > 8080>40001 S. 0:0(0) ack 501 <mss 1460>\n"
             "+.1 < 40000>8080 . 1:1(0) ack 1 win 65535\n"
             "+0 < 40001>8080 . 501:501(0) ack 1 win 65535\n",
      NULL, &res);
  ru_assert_result(&res, SF_RESULT_PASS, NULL);
  uint32_t isn0 = nth(c, false, 0)->tcp.seq, isn1 = nth(c, false, 1)->tcp.seq;
  ck_assert_uint_ne(isn0, isn1);
  ck_assert_uint_eq(nth(c, true, 2)->tcp.ack, isn0 + 1);
  ck_assert_uint_eq(nth(c, true, 3)->tcp.ack, isn1 + 1);
  ck_assert_uint_eq(nth(c, true, 3)->tcp.sport, 40001);
  sf_run_result_free(&res);
  free(c);
}
END_TEST

Suite *tu_suite(void) {
  Suite *s = suite_create("run_seq");
  TCase *tc = tcase_create("seq");
  tcase_add_test(tc, test_inbound_ack_is_relative_to_sut_isn);
  tcase_add_test(tc, test_inbound_seq_is_the_scripts_own);
  tcase_add_test(tc, test_outbound_ack_is_not_relative);
  tcase_add_test(tc, test_outbound_syn_learns_the_isn);
  tcase_add_test(tc, test_outbound_seq_off_by_one_fails);
  tcase_add_test(tc, test_inbound_sack_blocks_are_relative_to_sut_isn);
  tcase_add_test(tc, test_outbound_sack_blocks_are_the_scripts_own);
  tcase_add_test(tc, test_inbound_ecr_is_mapped_to_the_live_ts_val);
  tcase_add_test(tc, test_two_connections_by_ports);
  suite_add_tcase(s, tc);
  return s;
}
