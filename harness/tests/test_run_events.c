/* Events in order: an outbound packet no event expects fails the script
 * at the next event (with --strict also after the last one); calls map
 * the script's descriptors to the live ones and compare results and
 * errnos; a failure names file:line. */
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

#define ACCEPTED                                                               \
  LISTEN "+0 < S 0:0(0) win 65535 <mss 1000>\n"                                \
         "+0 > S. 0:0(0) ack 1 <mss 1460>\n"                                   \
         "+.1 < . 1:1(0) ack 1 win 65535\n"                                    \
         "+0 accept(3, ..., ...) = 4\n"

static void strict_options(sf_run_options *o) {
  sf_run_options_default(o);
  o->strict = true;
}

/* The ACK of the data is not in the script: the next event fails. */
START_TEST(test_unexpected_packet_fails_the_next_event) {
  sf_run_result res;
  ru_run(ACCEPTED "+.1 < P. 1:101(100) ack 1 win 65535\n"
                  "+.1 read(4, ..., 1000) = 100\n",
         NULL, &res);
  ru_assert_result(&res, SF_RESULT_FAIL,
                   "unexpected outbound packet at 0.200000");
  ck_assert_ptr_nonnull(strstr(res.r.location, ".pkt:9"));
  ck_assert_ptr_nonnull(
      strstr(res.r.details, "actual:   0.200000 > . 1:1(0) ack 101"));
  sf_run_result_free(&res);
}
END_TEST

/* A retransmission while the script waits for its next inbound packet. */
START_TEST(test_unexpected_retransmission_while_waiting) {
  ru_expect(ACCEPTED "+0 write(4, ..., 10) = 10\n"
                     "+0 > P. 1:11(10) ack 1\n"
                     "+1 < . 1:1(0) ack 11 win 65535\n",
            NULL, SF_RESULT_FAIL, "unexpected outbound packet at 0.400000");
}
END_TEST

START_TEST(test_packets_after_the_last_event) {
  static const char script[] = LISTEN "+0 < S 0:0(0) win 65535 <mss 1000>\n";
  sf_run_options o;
  strict_options(&o);
  ru_expect(script, NULL, SF_RESULT_PASS, NULL);
  sf_run_result res;
  ru_run(script, &o, &res);
  ru_assert_result(&res, SF_RESULT_FAIL,
                   "unexpected outbound packet after the last event");
  ck_assert_ptr_nonnull(strstr(res.r.location, ".pkt:4"));
  ck_assert_ptr_nonnull(
      strstr(res.r.details, "actual:   0.000000 > S. 0:0(0)"));
  sf_run_result_free(&res);
}
END_TEST

/* --strict looks only at what is sent at the end, not at what timers send
 * later. */
START_TEST(test_strict_passes_a_quiet_end) {
  sf_run_options o;
  strict_options(&o);
  ru_expect(ACCEPTED "+0 write(4, ..., 10) = 10\n"
                     "+0 > P. 1:11(10) ack 1\n",
            &o, SF_RESULT_PASS, NULL);
}
END_TEST

/* A call still blocked at the end: packets sent while it waits are
 * unexpected with --strict. */
START_TEST(test_strict_while_the_last_call_blocks) {
  static const char script[] = ACCEPTED "+0 write(4, ..., 10) = 10\n"
                                        "+0 > P. 1:11(10) ack 1\n"
                                        "+0...1 read(4, ..., 100) = 100\n";
  sf_run_options o;
  strict_options(&o);
  ru_expect(script, &o, SF_RESULT_FAIL,
            "unexpected outbound packet after the last event");
  /* without it, the read returns when the retransmissions give up */
  ru_expect(script, NULL, SF_RESULT_FAIL, "read returned at ");
}
END_TEST

/* Script descriptors need not be the live ones: they are mapped. */
START_TEST(test_descriptors_are_mapped) {
  ru_expect("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 7\n"
            "+0 bind(7, ..., ...) = 0\n"
            "+0 listen(7, 1) = 0\n"
            "+0 < S 0:0(0) win 65535 <mss 1000>\n"
            "+0 > S. 0:0(0) ack 1 <mss 1460>\n"
            "+.1 < . 1:1(0) ack 1 win 65535\n"
            "+0 accept(7, ..., ...) = 9\n"
            "+0 write(9, ..., 10) = 10\n"
            "+0 > P. 1:11(10) ack 1\n"
            "+0 close(7) = 0\n"
            "+0 getsockopt(9, SOL_SOCKET, SO_ERROR, [0], [4]) = 0\n",
            NULL, SF_RESULT_PASS, NULL);
}
END_TEST

START_TEST(test_results_and_errnos) {
  ru_expect(ACCEPTED "+0 recv(4, ..., 10, MSG_DONTWAIT) = -1 EWOULDBLOCK\n",
            NULL, SF_RESULT_PASS, NULL);
  ru_expect(ACCEPTED "+0 recv(4, ..., 10, MSG_DONTWAIT) = -1 EAGAIN\n", NULL,
            SF_RESULT_PASS, NULL);
  ru_expect(ACCEPTED "+0 write(4, ..., 10) = ...\n"
                     "+0 > P. 1:11(10) ack 1\n",
            NULL, SF_RESULT_PASS, NULL);
  ru_expect(ACCEPTED "+0 recv(4, ..., 10, MSG_DONTWAIT) = -1\n", NULL,
            SF_RESULT_FAIL, "recv returned -1 EAGAIN");
  ru_expect(ACCEPTED "+0 recv(4, ..., 10, MSG_DONTWAIT) = -1 ENOSUCHERR\n",
            NULL, SF_RESULT_FAIL, "unknown errno ENOSUCHERR");
  ru_expect(ACCEPTED "+0 bind(4, ..., ...) = 0\n", NULL, SF_RESULT_FAIL,
            "bind returned -1 EINVAL");
}
END_TEST

/* A call blocking on a non-blocking socket is not a blocking call. */
START_TEST(test_nonblocking_socket_does_not_block) {
  ru_expect(ACCEPTED "+0 fcntl(4, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n"
                     "+0 read(4, ..., 10) = -1 EAGAIN\n",
            NULL, SF_RESULT_PASS, NULL);
}
END_TEST

Suite *tu_suite(void) {
  Suite *s = suite_create("run_events");
  TCase *tc = tcase_create("events");
  tcase_add_test(tc, test_unexpected_packet_fails_the_next_event);
  tcase_add_test(tc, test_unexpected_retransmission_while_waiting);
  tcase_add_test(tc, test_packets_after_the_last_event);
  tcase_add_test(tc, test_strict_passes_a_quiet_end);
  tcase_add_test(tc, test_strict_while_the_last_call_blocks);
  tcase_add_test(tc, test_descriptors_are_mapped);
  tcase_add_test(tc, test_results_and_errnos);
  tcase_add_test(tc, test_nonblocking_socket_does_not_block);
  suite_add_tcase(s, tc);
  return s;
}
