/* Merging of consecutive outbound segments: segments sent at the same
 * moment, each continuing the last, are merged until they reach the
 * scripted length (flags of the first plus FIN/PSH of the last), unless
 * --strict_segments. The peer's MSS is 1000; PSH only on the last segment
 * of a write (not at each of Linux's TSO bursts: tso_chunk_psh off). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run_util.h"

Suite *tu_suite(void);

#define ACCEPTED                                                               \
  "--profile.tso_chunk_psh=0\n"                                                \
  "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"                              \
  "+0 bind(3, ..., ...) = 0\n"                                                 \
  "+0 listen(3, 1) = 0\n"                                                      \
  "+0 < S 0:0(0) win 65535 <mss 1000>\n"                                       \
  "+0 > S. 0:0(0) ack 1 <mss 1460>\n"                                          \
  "+.1 < . 1:1(0) ack 1 win 65535\n"                                           \
  "+0 accept(3, ..., ...) = 4\n"

START_TEST(test_burst_merges_into_one) {
  ru_expect(ACCEPTED "+0 write(4, ..., 5000) = 5000\n"
                     "+0 > P. 1:5001(5000) ack 1\n",
            NULL, SF_RESULT_PASS, NULL);
}
END_TEST

START_TEST(test_burst_split_at_segment_edges) {
  ru_expect(ACCEPTED "+0 write(4, ..., 5000) = 5000\n"
                     "+0 > . 1:1001(1000) ack 1\n"
                     "+0 > . 1001:3001(2000) ack 1\n"
                     "+0 > P. 3001:5001(2000) ack 1\n",
            NULL, SF_RESULT_PASS, NULL);
}
END_TEST

/* The merged segment takes PSH from its last part: `.` does not match. */
START_TEST(test_merged_flags_include_the_last_psh) {
  ru_expect(ACCEPTED "+0 write(4, ..., 3000) = 3000\n"
                     "+0 > . 1:3001(3000) ack 1\n",
            NULL, SF_RESULT_FAIL, "differs from the script in flags");
}
END_TEST

/* A scripted length that ends inside a segment cannot be met. */
START_TEST(test_length_inside_a_segment_fails) {
  ru_expect(ACCEPTED "+0 write(4, ..., 3000) = 3000\n"
                     "+0 > . 1:1501(1500) ack 1\n",
            NULL, SF_RESULT_FAIL, "differs from the script in len");
}
END_TEST

/* Merging takes only what was sent at once: with an initial window of ten
 * segments, the rest waits for an ACK and is not merged in. */
START_TEST(test_merging_does_not_wait) {
  ru_expect(ACCEPTED "+0 write(4, ..., 12000) = 12000\n"
                     "+0 > . 1:12001(12000) ack 1\n",
            NULL, SF_RESULT_FAIL, "differs from the script in len");
  ru_expect(ACCEPTED "+0 write(4, ..., 12000) = 12000\n"
                     "+0 > . 1:10001(10000) ack 1\n"
                     "+.1 < . 1:1(0) ack 10001 win 65535\n"
                     "+0 > P. 10001:12001(2000) ack 1\n",
            NULL, SF_RESULT_PASS, NULL);
}
END_TEST

START_TEST(test_strict_segments_does_not_merge) {
  ru_expect("--strict_segments\n" ACCEPTED "+0 write(4, ..., 3000) = 3000\n"
            "+0 > P. 1:3001(3000) ack 1\n",
            NULL, SF_RESULT_FAIL, "differs from the script in flags, len");
  ru_expect("--strict_segments\n" ACCEPTED "+0 write(4, ..., 3000) = 3000\n"
            "+0 > . 1:1001(1000) ack 1\n"
            "+0 > . 1001:2001(1000) ack 1\n"
            "+0 > P. 2001:3001(1000) ack 1\n",
            NULL, SF_RESULT_PASS, NULL);
}
END_TEST

/* A FIN right behind the data merges in too. */
START_TEST(test_fin_merges) {
  ru_expect("--profile.tso_chunk_psh=0\n"
            "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
            "+0 bind(3, ..., ...) = 0\n"
            "+0 listen(3, 1) = 0\n"
            "+0 < S 0:0(0) win 65535 <mss 1000>\n"
            "+0 > S. 0:0(0) ack 1 <mss 1460>\n"
            "+.1 < . 1:1(0) ack 1 win 1000\n"
            "+0 accept(3, ..., ...) = 4\n"
            "+0 write(4, ..., 3000) = 3000\n"
            "+0 > . 1:1001(1000) ack 1\n"
            "+0 close(4) = 0\n"
            "+.1 < . 1:1(0) ack 1001 win 65535\n"
            "+0 > FP. 1001:3001(2000) ack 1\n",
            NULL, SF_RESULT_PASS, NULL);
}
END_TEST

Suite *tu_suite(void) {
  Suite *s = suite_create("run_merge");
  TCase *tc = tcase_create("merge");
  tcase_add_test(tc, test_burst_merges_into_one);
  tcase_add_test(tc, test_burst_split_at_segment_edges);
  tcase_add_test(tc, test_merged_flags_include_the_last_psh);
  tcase_add_test(tc, test_length_inside_a_segment_fails);
  tcase_add_test(tc, test_merging_does_not_wait);
  tcase_add_test(tc, test_strict_segments_does_not_merge);
  tcase_add_test(tc, test_fin_merges);
  suite_add_tcase(s, tc);
  return s;
}
