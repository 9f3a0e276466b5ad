/* Outbound TCP options and windows against the script: kinds in order with
 * NOPs, the values of MSS, wscale, SACK and TS ecr, TS val never, `<...>`
 * not at all, `wscale *` any scale; `win` only when given. The SUT's SYN
 * is <mss 1460,sackOK,TS val V ecr 0,nop,wscale 8>. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run_util.h"

Suite *tu_suite(void);

#define CONNECT                                                                \
  "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"                              \
  "+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n"                              \
  "+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)\n"

static void syn(const char *opts, sf_result_status st, const char *want) {
  char script[1024];
  snprintf(script, sizeof(script), "%s+0 > S 0:0(0) %s\n", CONNECT, opts);
  ru_expect(script, NULL, st, want);
}

START_TEST(test_exact_options_pass) {
  syn("<mss 1460,sackOK,TS val 0 ecr 0,nop,wscale 8>", SF_RESULT_PASS, NULL);
}
END_TEST

START_TEST(test_ts_val_is_not_checked) {
  syn("<mss 1460,sackOK,TS val 4294967295 ecr 0,nop,wscale 8>", SF_RESULT_PASS,
      NULL);
}
END_TEST

START_TEST(test_ts_ecr_is_checked) {
  syn("<mss 1460,sackOK,TS val 0 ecr 1,nop,wscale 8>", SF_RESULT_FAIL,
      "options (TS ecr 0, expected 1)");
}
END_TEST

START_TEST(test_wildcard_options_pass) {
  syn("<...>", SF_RESULT_PASS, NULL);
}
END_TEST

START_TEST(test_wscale_any_passes) {
  syn("<mss 1460,sackOK,TS val 0 ecr 0,nop,wscale *>", SF_RESULT_PASS, NULL);
}
END_TEST

START_TEST(test_wrong_order_fails) {
  syn("<sackOK,mss 1460,TS val 0 ecr 0,nop,wscale 8>", SF_RESULT_FAIL,
      "options (option 1 is mss, expected sackOK)");
}
END_TEST

START_TEST(test_missing_nop_fails) {
  syn("<mss 1460,sackOK,TS val 0 ecr 0,wscale 8>", SF_RESULT_FAIL,
      "options (option 4 is nop, expected wscale)");
}
END_TEST

START_TEST(test_extra_nop_fails) {
  syn("<mss 1460,sackOK,TS val 0 ecr 0,nop,nop,wscale 8>", SF_RESULT_FAIL,
      "options (option 5 is wscale, expected nop)");
}
END_TEST

START_TEST(test_wrong_mss_fails) {
  syn("<mss 1461,sackOK,TS val 0 ecr 0,nop,wscale 8>", SF_RESULT_FAIL,
      "options (mss 1460, expected 1461)");
}
END_TEST

START_TEST(test_wrong_wscale_fails) {
  syn("<mss 1460,sackOK,TS val 0 ecr 0,nop,wscale 9>", SF_RESULT_FAIL,
      "options (wscale 8, expected 9)");
}
END_TEST

START_TEST(test_missing_option_fails) {
  syn("<mss 1460,sackOK,TS val 0 ecr 0>", SF_RESULT_FAIL,
      "options (option 4 (nop) not in the script)");
}
END_TEST

START_TEST(test_extra_option_fails) {
  syn("<mss 1460,sackOK,TS val 0 ecr 0,nop,wscale 8,eol>", SF_RESULT_FAIL,
      "options (option 6 (eol) missing)");
}
END_TEST

/* No option list: the segment must carry none. */
START_TEST(test_no_list_means_no_options) {
  syn("", SF_RESULT_FAIL, "options (option 1 (mss) not in the script)");
}
END_TEST

START_TEST(test_window_is_checked_when_given) {
  char script[1024];
  snprintf(script, sizeof(script), "%s+0 > S 0:0(0) win 65535 <...>\n",
           CONNECT);
  ru_expect(script, NULL, SF_RESULT_PASS, NULL);
  snprintf(script, sizeof(script), "%s+0 > S 0:0(0) win 65534 <...>\n",
           CONNECT);
  ru_expect(script, NULL, SF_RESULT_FAIL, "differs from the script in win");
}
END_TEST

/* The failure report: expected and actual lines, a table of the fields
 * with the differing ones marked, and the last packets. */
START_TEST(test_mismatch_details) {
  char script[1024];
  snprintf(script, sizeof(script), "%s+0 > SE 0:0(0) win 1 <mss 1400>\n",
           CONNECT);
  sf_run_result res;
  ru_run(script, NULL, &res);
  ru_assert_result(&res, SF_RESULT_FAIL,
                   "differs from the script in flags, win, options");
  const char *d = res.r.details;
  ck_assert_ptr_nonnull(d);
  ck_assert_ptr_nonnull(strstr(d, "expected: +0 > SE 0:0(0) win 1 <mss 1400>"));
  ck_assert_ptr_nonnull(strstr(d, "actual:   0.000000 > S 0:0(0) win 65535"));
  ck_assert_ptr_nonnull(strstr(d, "* flags    SE "));
  ck_assert_ptr_nonnull(strstr(d, "* win      1 "));
  ck_assert_ptr_nonnull(strstr(d, "    seq      0 "));
  ck_assert_ptr_nonnull(strstr(d, "* options  mss 1400 "));
  ck_assert_ptr_nonnull(strstr(d, "last packets:"));
  ck_assert_ptr_nonnull(res.r.location);
  sf_run_result_free(&res);
}
END_TEST

Suite *tu_suite(void) {
  Suite *s = suite_create("run_options");
  TCase *tc = tcase_create("options");
  tcase_add_test(tc, test_exact_options_pass);
  tcase_add_test(tc, test_ts_val_is_not_checked);
  tcase_add_test(tc, test_ts_ecr_is_checked);
  tcase_add_test(tc, test_wildcard_options_pass);
  tcase_add_test(tc, test_wscale_any_passes);
  tcase_add_test(tc, test_wrong_order_fails);
  tcase_add_test(tc, test_missing_nop_fails);
  tcase_add_test(tc, test_extra_nop_fails);
  tcase_add_test(tc, test_wrong_mss_fails);
  tcase_add_test(tc, test_wrong_wscale_fails);
  tcase_add_test(tc, test_missing_option_fails);
  tcase_add_test(tc, test_extra_option_fails);
  tcase_add_test(tc, test_no_list_means_no_options);
  tcase_add_test(tc, test_window_is_checked_when_given);
  tcase_add_test(tc, test_mismatch_details);
  suite_add_tcase(s, tc);
  return s;
}
