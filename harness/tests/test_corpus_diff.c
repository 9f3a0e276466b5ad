/* The player and the comparison of `synfin diff` (harness/cli/diff_play.c),
 * on the built-in stack only (the live kernel needs root; diff_test.sh runs
 * it): the same scenario played twice has no difference; what the profile
 * allows to differ (windows, TS values, descriptor numbers, timing within
 * the tolerance) is not reported; flags, data and call results are, with
 * both packets; transcripts cross a pipe intact. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../util/pktbuild.h"
#include "corpus_src.h"
#include "diff_play.h"
#include "synfin/bytes.h"
#include "synfin/checksum.h"

Suite *tu_suite(void);

static sf_scenario scn;

static const char script[] =
    "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
    "+0 bind(3, ..., ...) = 0\n"
    "+0 listen(3, 1) = 0\n"
    "+0 < S 0:0(0) win 65535 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale "
    "7>\n"
    "+0 > S. 0:0(0) ack 1 <mss 1460,sackOK,TS val 100 ecr 100,nop,wscale 8>\n"
    "+.1 < . 1:1(0) ack 1 win 500 <nop,nop,TS val 200 ecr 100>\n"
    "+0 accept(3, ..., ...) = 4\n"
    "+.1 < P. 1:101(100) ack 1 win 500 <nop,nop,TS val 300 ecr 100>\n"
    "+0 > . 1:1(0) ack 101 <nop,nop,TS val 300 ecr 300>\n"
    "+0 read(4, ..., 1000) = 100\n"
    "+0 write(4, ..., 300) = 300\n"
    "+0 > P. 1:301(300) ack 101 <nop,nop,TS val 300 ecr 300>\n"
    "+.1 < . 101:101(0) ack 301 win 500 <nop,nop,TS val 400 ecr 300>\n";

static void make_scenario(void) {
  sf_script *s = NULL;
  sf_script_error err;
  ck_assert_int_eq(sf_script_parse(script, strlen(script), "t", &s, &err), 0);
  sf_cb_trace tr;
  sf_cb_trace_init(&tr);
  struct sf_strbuf notes = {0};
  ck_assert_int_eq(sf_corpus_from_script(s, &tr, &notes), 0);
  sf_cb_result res;
  ck_assert_int_eq(sf_cb_build(&tr, &scn, &res), 0);
  ck_assert(!res.verdict.failed);
  sf_strbuf_free(&notes);
  sf_cb_trace_free(&tr);
  sf_script_free(s);
}

static void play_stack(sf_dp_transcript *t) {
  sf_profile p;
  sf_profile_init(&p, SF_PROFILE_LINUX);
  sf_sut *sut;
  ck_assert_int_eq(sf_sut_stack_new(&p, 0xc0a80001u, 1500, 1, &sut), 0);
  sf_dp_options o = {0};
  ck_assert_int_eq(sf_dp_play(sut, &scn, &o, t), 0);
  sut->ops->destroy(sut);
}

/* Compares, returning the count and the text printed. */
static size_t compare(const sf_dp_transcript *a, const sf_dp_transcript *b,
                      char **text) {
  sf_dp_compare c = {.tolerance_us = 25000, .max_diffs = 10};
  size_t len = 0;
  FILE *f = open_memstream(text, &len);
  size_t n = sf_dp_diff(&scn, a, b, &c, f);
  fclose(f);
  return n;
}

/* The index of the first packet carrying data. */
static size_t data_packet(const sf_dp_transcript *t) {
  for (size_t i = 0; i < t->npkts; i++)
    if (t->pkts[i].len > 52 && t->pkts[i].hdr[9] == 6 &&
        t->pkts[i].len > 20u + (t->pkts[i].hdr[32] >> 4) * 4u)
      return i;
  ck_abort_msg("no data packet");
  return 0;
}

static void refix(sf_dp_pkt *k) {
  sf_fix_tcp_csum(k->hdr, k->hlen);
}

START_TEST(test_the_same_scenario_twice_has_no_difference) {
  make_scenario();
  sf_dp_transcript a, b;
  play_stack(&a);
  play_stack(&b);
  ck_assert_uint_ge(a.npkts, 3);
  ck_assert_uint_gt(a.ncalls, 3);
  char *text = NULL;
  ck_assert_uint_eq(compare(&a, &b, &text), 0);
  ck_assert_str_eq(text, "");
  free(text);
  sf_dp_free(&a);
  sf_dp_free(&b);
}
END_TEST

START_TEST(test_the_player_resolves_deltas_from_what_it_sees) {
  make_scenario();
  sf_dp_transcript a;
  play_stack(&a);
  /* the stack answered the data with ACK 101 and sent its 300 bytes */
  size_t k = data_packet(&a);
  const uint8_t *th = a.pkts[k].hdr + 20;
  ck_assert_uint_eq(sf_get32(th + 8) - a.peer_isn, 101);
  ck_assert_uint_eq(sf_get32(th + 4) - a.iss, 1);
  ck_assert_uint_eq(a.pkts[k].len - 20 - (th[12] >> 4) * 4u, 300);
  sf_dp_free(&a);
}
END_TEST

START_TEST(test_windows_ts_values_and_descriptors_are_not_differences) {
  make_scenario();
  sf_dp_transcript a, b;
  play_stack(&a);
  play_stack(&b);
  for (size_t i = 0; i < b.npkts; i++) {
    uint8_t *th = b.pkts[i].hdr + 20;
    sf_put16(th + 14, (uint16_t)(sf_get16(th + 14) + 7)); /* window */
    uint8_t *o = th + 20;
    size_t n = (th[12] >> 4) * 4u - 20;
    for (size_t j = 0; j + 10 <= n; j++)
      if (o[j] == 8 && o[j + 1] == 10) {
        sf_put32(o + j + 2, sf_get32(o + j + 2) + 12345);
        break;
      }
    sf_put16(b.pkts[i].hdr + 4, 999); /* IP ID */
    sf_fix_ip_csum(b.pkts[i].hdr, b.pkts[i].hlen);
    refix(&b.pkts[i]);
    b.pkts[i].t_us += 20000; /* within the tolerance */
  }
  for (size_t i = 0; i < b.ncalls; i++)
    if (b.calls[i].op == SF_SCN_ACCEPT)
      b.calls[i].ret += 4;
  char *text = NULL;
  ck_assert_uint_eq(compare(&a, &b, &text), 0);
  free(text);
  sf_dp_free(&a);
  sf_dp_free(&b);
}
END_TEST

START_TEST(test_a_flag_difference_is_reported_with_both_packets) {
  make_scenario();
  sf_dp_transcript a, b;
  play_stack(&a);
  play_stack(&b);
  size_t k = data_packet(&b);
  b.pkts[k].hdr[33] &= (uint8_t)~0x08; /* no PSH */
  refix(&b.pkts[k]);
  char *text = NULL;
  ck_assert_uint_eq(compare(&a, &b, &text), 1);
  ck_assert_ptr_nonnull(strstr(text, "flags P. vs ."));
  ck_assert_ptr_nonnull(strstr(text, "\n    stack  +"));
  ck_assert_ptr_nonnull(strstr(text, "\n    linux  +"));
  ck_assert_ptr_nonnull(strstr(text, "write(300)"));
  free(text);
  sf_dp_free(&a);
  sf_dp_free(&b);
}
END_TEST

START_TEST(test_late_packets_and_missing_ones_are_reported) {
  make_scenario();
  sf_dp_transcript a, b;
  play_stack(&a);
  play_stack(&b);
  size_t k = data_packet(&b);
  b.pkts[k].t_us += 200000;
  char *text = NULL;
  ck_assert_uint_eq(compare(&a, &b, &text), 1);
  ck_assert_ptr_nonnull(strstr(text, "later by linux"));
  free(text);
  b.pkts[k].t_us -= 200000;
  b.npkts = k; /* linux "sent" nothing from there on */
  ck_assert_uint_ge(compare(&a, &b, &text), 1);
  ck_assert_ptr_nonnull(strstr(text, "only the stack sent it"));
  free(text);
  sf_dp_free(&a);
  sf_dp_free(&b);
}
END_TEST

START_TEST(test_call_results_are_compared) {
  make_scenario();
  sf_dp_transcript a, b;
  play_stack(&a);
  play_stack(&b);
  for (size_t i = 0; i < b.ncalls; i++)
    if (b.calls[i].op == SF_SCN_READ) {
      b.calls[i].ret = -1;
      b.calls[i].err = 11;
      break;
    }
  char *text = NULL;
  ck_assert_uint_eq(compare(&a, &b, &text), 1);
  ck_assert_ptr_nonnull(strstr(text, "read(1000): the call returned 100 on "
                                     "the stack, -1 "));
  free(text);
  sf_dp_free(&a);
  sf_dp_free(&b);
}
END_TEST

START_TEST(test_a_transcript_crosses_a_pipe_intact) {
  make_scenario();
  sf_dp_transcript a, b;
  play_stack(&a);
  int p[2];
  ck_assert_int_eq(pipe(p), 0);
  /* small enough for the pipe's buffer */
  a.npkts = a.npkts > 8 ? 8 : a.npkts;
  ck_assert_int_eq(sf_dp_send(p[1], &a), 0);
  close(p[1]);
  ck_assert_int_eq(sf_dp_receive(p[0], &b), 0);
  close(p[0]);
  ck_assert_uint_eq(b.npkts, a.npkts);
  ck_assert_uint_eq(b.ncalls, a.ncalls);
  ck_assert_uint_eq(b.iss, a.iss);
  ck_assert_int_eq(memcmp(b.pkts, a.pkts, a.npkts * sizeof(*a.pkts)), 0);
  char *text = NULL;
  ck_assert_uint_eq(compare(&a, &b, &text), 0);
  free(text);
  sf_dp_free(&a);
  sf_dp_free(&b);
}
END_TEST

Suite *tu_suite(void) {
  Suite *s = suite_create("corpus_diff");
  TCase *tc = tcase_create("corpus_diff");
  tcase_add_test(tc, test_the_same_scenario_twice_has_no_difference);
  tcase_add_test(tc, test_the_player_resolves_deltas_from_what_it_sees);
  tcase_add_test(tc,
                 test_windows_ts_values_and_descriptors_are_not_differences);
  tcase_add_test(tc, test_a_flag_difference_is_reported_with_both_packets);
  tcase_add_test(tc, test_late_packets_and_missing_ones_are_reported);
  tcase_add_test(tc, test_call_results_are_compared);
  tcase_add_test(tc, test_a_transcript_crosses_a_pipe_intact);
  suite_add_tcase(s, tc);
  return s;
}
