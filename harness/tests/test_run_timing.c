/* Timing: absolute, relative, `*`, ranges and blocking calls, each at the
 * exact edges of the tolerance (the larger of tolerance_usecs and
 * tolerance_percent of the gap since the previous event): just inside
 * passes, one microsecond outside fails. In the rfc profile the SUT
 * retransmits an unanswered SYN at 1, 3, 7, 15, 31 and 63 s (RFC 6298
 * 5.5: the timeout doubles on each expiry). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run_util.h"

Suite *tu_suite(void);

#define CONNECT                                                                \
  "--profile=rfc\n"                                                            \
  "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"                              \
  "+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n"                              \
  "+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)\n"     \
  "+0 > S 0:0(0) <...>\n"

#define LISTEN_ACCEPT                                                          \
  "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"                              \
  "+0 bind(3, ..., ...) = 0\n"                                                 \
  "+0 listen(3, 1) = 0\n"                                                      \
  "+0 < S 0:0(0) win 65535 <mss 1000>\n"                                       \
  "+0 > S. 0:0(0) ack 1 <mss 1460>\n"                                          \
  "+.1 < . 1:1(0) ack 1 win 65535\n"                                           \
  "+0 accept(3, ..., ...) = 4\n"

static const struct edge {
  const char *options; /* option lines */
  const char *events;  /* after CONNECT */
  sf_result_status want;
  const char *reason;
} edges[] = {
    /* tolerance_usecs alone, absolute times */
    {"--tolerance_usecs=4000 --tolerance_percent=0\n", "0.996 > S 0:0(0) <...>",
     SF_RESULT_PASS, NULL},
    {"--tolerance_usecs=4000 --tolerance_percent=0\n",
     "0.995999 > S 0:0(0) <...>", SF_RESULT_FAIL, "came too late"},
    {"--tolerance_usecs=4000 --tolerance_percent=0\n", "1.004 > S 0:0(0) <...>",
     SF_RESULT_PASS, NULL},
    {"--tolerance_usecs=4000 --tolerance_percent=0\n",
     "1.004001 > S 0:0(0) <...>", SF_RESULT_FAIL, "came too early"},
    /* relative times: the same edges */
    {"--tolerance_usecs=4000 --tolerance_percent=0\n", "+.996 > S 0:0(0) <...>",
     SF_RESULT_PASS, NULL},
    {"--tolerance_usecs=4000 --tolerance_percent=0\n",
     "+.995999 > S 0:0(0) <...>", SF_RESULT_FAIL, "came too late"},
    {"--tolerance_usecs=4000 --tolerance_percent=0\n",
     "+1.004001 > S 0:0(0) <...>", SF_RESULT_FAIL, "came too early"},
    /* tolerance_percent alone: 10% of the gap since the previous event */
    {"--tolerance_usecs=0 --tolerance_percent=10\n",
     "+.909091 > S 0:0(0) <...>", SF_RESULT_PASS, NULL},
    {"--tolerance_usecs=0 --tolerance_percent=10\n", "+.90909 > S 0:0(0) <...>",
     SF_RESULT_FAIL, "came too late"},
    {"--tolerance_usecs=0 --tolerance_percent=10\n",
     "+1.111111 > S 0:0(0) <...>", SF_RESULT_PASS, NULL},
    {"--tolerance_usecs=0 --tolerance_percent=10\n",
     "+1.111112 > S 0:0(0) <...>", SF_RESULT_FAIL, "came too early"},
    /* the defaults: 4000 us or 12.5% */
    {"", "+.888889 > S 0:0(0) <...>", SF_RESULT_PASS, NULL},
    {"", "+.888888 > S 0:0(0) <...>", SF_RESULT_FAIL, "came too late"},
    {"", "+1.142857 > S 0:0(0) <...>", SF_RESULT_PASS, NULL},
    {"", "+1.142858 > S 0:0(0) <...>", SF_RESULT_FAIL, "came too early"},
    /* the larger of the two: usecs over a small percentage */
    {"--tolerance_usecs=200000 --tolerance_percent=1\n", "+.8 > S 0:0(0) <...>",
     SF_RESULT_PASS, NULL},
    {"--tolerance_usecs=200000 --tolerance_percent=1\n",
     "+.799999 > S 0:0(0) <...>", SF_RESULT_FAIL, "came too late"},
    /* ranges: the range itself, then the tolerance */
    {"--tolerance_usecs=0 --tolerance_percent=0\n", "0.5~1 > S 0:0(0) <...>",
     SF_RESULT_PASS, NULL},
    {"--tolerance_usecs=0 --tolerance_percent=0\n", "1~1.5 > S 0:0(0) <...>",
     SF_RESULT_PASS, NULL},
    {"--tolerance_usecs=0 --tolerance_percent=0\n",
     "0.5~0.999999 > S 0:0(0) <...>", SF_RESULT_FAIL, "came too late"},
    {"--tolerance_usecs=0 --tolerance_percent=0\n",
     "1.000001~1.5 > S 0:0(0) <...>", SF_RESULT_FAIL, "came too early"},
    {"--tolerance_usecs=4000 --tolerance_percent=0\n",
     "1.004~1.5 > S 0:0(0) <...>", SF_RESULT_PASS, NULL},
    {"--tolerance_usecs=0 --tolerance_percent=0\n", "+.5~+1 > S 0:0(0) <...>",
     SF_RESULT_PASS, NULL},
    {"--tolerance_usecs=0 --tolerance_percent=0\n",
     "+.5~+.999999 > S 0:0(0) <...>", SF_RESULT_FAIL, "came too late"},
    /* `*`: whenever it comes, even a minute later */
    {"",
     "* > S 0:0(0) <...>\n* > S 0:0(0) <...>\n* > S 0:0(0) <...>\n"
     "* > S 0:0(0) <...>\n* > S 0:0(0) <...>\n* > S 0:0(0) <...>",
     SF_RESULT_PASS, NULL},
};

START_TEST(test_outbound_edge) {
  const struct edge *e = &edges[_i];
  char script[2048];
  snprintf(script, sizeof(script), "%s%s%s\n", e->options, CONNECT, e->events);
  sf_run_result res;
  ru_run(script, NULL, &res);
  ck_assert_msg(res.r.status == e->want, "%s%s: %s, expected %s: %s",
                e->options, e->events, sf_result_status_name(res.r.status),
                sf_result_status_name(e->want),
                res.r.reason ? res.r.reason : "");
  if (e->reason)
    ck_assert_msg(res.r.reason && strstr(res.r.reason, e->reason),
                  "%s: reason \"%s\" lacks \"%s\"", e->events,
                  res.r.reason ? res.r.reason : "", e->reason);
  sf_run_result_free(&res);
}
END_TEST

/* poll() with a 300 ms timeout returns 300 ms after it started: the end of
 * a blocking call is checked with the same tolerance. */
static const struct call_edge {
  const char *time;
  sf_result_status want;
  const char *reason;
} call_edges[] = {
    {"+0...0.296", SF_RESULT_PASS, NULL},
    {"+0...0.295999", SF_RESULT_FAIL,
     "poll returned at 0.400000, expected at 0.395999"},
    {"+0...0.304", SF_RESULT_PASS, NULL},
    {"+0...0.304001", SF_RESULT_FAIL,
     "poll returned at 0.400000, expected at 0.404001"},
    /* the end counts from the same base as the start */
    {"+.1...0.4", SF_RESULT_PASS, NULL},
    {"+.1...0.3", SF_RESULT_FAIL, "poll returned at 0.500000"},
};

START_TEST(test_blocking_call_edge) {
  const struct call_edge *e = &call_edges[_i];
  char script[2048];
  snprintf(script, sizeof(script),
           "--tolerance_usecs=4000 --tolerance_percent=0\n" LISTEN_ACCEPT
           "%s poll([{fd=4, events=POLLIN, revents=0}], 1, 300) = 0\n"
           "+1 close(4) = 0\n",
           e->time);
  sf_run_result res;
  ru_run(script, NULL, &res);
  ck_assert_msg(res.r.status == e->want, "%s: %s, expected %s: %s", e->time,
                sf_result_status_name(res.r.status),
                sf_result_status_name(e->want),
                res.r.reason ? res.r.reason : "");
  if (e->reason)
    ck_assert_msg(res.r.reason && strstr(res.r.reason, e->reason),
                  "%s: reason \"%s\" lacks \"%s\"", e->time,
                  res.r.reason ? res.r.reason : "", e->reason);
  sf_run_result_free(&res);
}
END_TEST

/* The time of each inbound packet in a capture, in microseconds. */
static uint64_t inbound_time(const struct ru_capture *c, int i) {
  for (size_t k = 0; k < c->n; k++)
    if (c->v[k].ip.src == 0xc0000201u && i-- == 0)
      return c->t_ns[k] / 1000;
  ck_abort_msg("no inbound packet %d", i);
  return 0;
}

/* After an inbound packet, a relative inbound packet counts from the
 * previous one's script time; anything else counts from the clock. An
 * inbound packet whose time has passed goes in at once. */
START_TEST(test_relative_inbound_counts_from_script_time) {
  sf_run_result res;
  struct ru_capture *c =
      ru_run_capture(LISTEN_ACCEPT "+.5 write(4, ..., 10) = 10\n"
                                   "+0 > P. 1:11(10) ack 1\n"
                                   /* 0.6 now: 0.3 is past */
                                   "0.3 < . 1:1(0) ack 11 win 65535\n"
                                   /* 0.3 + 0.2 = 0.5: past too */
                                   "+.2 < . 1:1(0) ack 11 win 65535\n"
                                   /* 0.5 + 0.2 = 0.7 */
                                   "+.2 < . 1:1(0) ack 11 win 65535\n"
                                   /* from the clock: 0.7 + 0.1 */
                                   "+.1 close(4) = 0\n"
                                   "+0 > F. 11:11(0) ack 1\n"
                                   "+.1 < . 1:1(0) ack 12 win 65535\n",
                     NULL, &res);
  ru_assert_result(&res, SF_RESULT_PASS, NULL);
  ck_assert_uint_eq(inbound_time(c, 2), 600000);
  ck_assert_uint_eq(inbound_time(c, 3), 600000);
  ck_assert_uint_eq(inbound_time(c, 4), 700000);
  ck_assert_uint_eq(inbound_time(c, 5), 900000);
  sf_run_result_free(&res);
  free(c);
}
END_TEST

/* After an outbound packet, a relative time counts from when it came. */
START_TEST(test_relative_after_outbound_counts_from_arrival) {
  sf_run_result res;
  struct ru_capture *c =
      ru_run_capture(CONNECT "*   > S 0:0(0) <...>\n" /* came at 1 s */
                             "+.5 < S. 0:0(0) ack 1 win 65535 <mss 1000>\n"
                             "+0  > . 1:1(0) ack 1\n",
                     NULL, &res);
  ru_assert_result(&res, SF_RESULT_PASS, NULL);
  ck_assert_uint_eq(inbound_time(c, 0), 1500000);
  sf_run_result_free(&res);
  free(c);
}
END_TEST

/* Virtual time: a script covering two minutes of SYN retransmissions and
 * a day of waiting ends with the clock a day on (how fast that is in real
 * time is measured by ci/bench.sh, not asserted here). */
START_TEST(test_virtual_time_covers_a_day) {
  sf_run_result res;
  ru_run(CONNECT "+1 > S 0:0(0) <...>\n"
                 "+2 > S 0:0(0) <...>\n"
                 "+4 > S 0:0(0) <...>\n"
                 "+8 > S 0:0(0) <...>\n"
                 "+16 > S 0:0(0) <...>\n"
                 "+32 > S 0:0(0) <...>\n"
                 "+60 > S 0:0(0) <...>\n"
                 "+86400 close(3) = 0\n",
         NULL, &res);
  ru_assert_result(&res, SF_RESULT_PASS, NULL);
  ck_assert_uint_ge(res.r.virtual_us, UINT64_C(86523) * 1000000);
  sf_run_result_free(&res);
}
END_TEST

Suite *tu_suite(void) {
  Suite *s = suite_create("run_timing");
  TCase *tc = tcase_create("edges");
  tcase_add_loop_test(tc, test_outbound_edge, 0,
                      (int)(sizeof(edges) / sizeof(edges[0])));
  tcase_add_loop_test(tc, test_blocking_call_edge, 0,
                      (int)(sizeof(call_edges) / sizeof(call_edges[0])));
  suite_add_tcase(s, tc);
  tc = tcase_create("base");
  tcase_add_test(tc, test_relative_inbound_counts_from_script_time);
  tcase_add_test(tc, test_relative_after_outbound_counts_from_arrival);
  tcase_add_test(tc, test_virtual_time_covers_a_day);
  suite_add_tcase(s, tc);
  return s;
}
