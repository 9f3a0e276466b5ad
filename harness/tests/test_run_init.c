/* The init command against the built-in stack: sysctl assignments that map
 * to a stack setting are applied, in the forms scripts write them, shell
 * scripts it runs are read for theirs, and everything else is skipped
 * with a notice in the trace. The SYN-ACK's options show the settings. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run_util.h"

Suite *tu_suite(void);

#define LISTEN_SYN                                                             \
  "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"                              \
  "+0 bind(3, ..., ...) = 0\n"                                                 \
  "+0 listen(3, 1) = 0\n"                                                      \
  "+0 < S 0:0(0) win 65535 <mss 1000,sackOK,TS val 1 ecr 0,nop,wscale 7>\n"

#define ALL_ON "<mss 1460,sackOK,TS val 1 ecr 1,nop,wscale 8>"
#define NO_TS "<mss 1460,nop,nop,sackOK,nop,wscale 8>"
#define NO_SACK "<mss 1460,nop,nop,TS val 1 ecr 1,nop,wscale 8>"
#define NO_WS "<mss 1460,sackOK,TS val 1 ecr 1>"
#define NO_TS_NO_SACK "<mss 1460,nop,wscale 8>"

/* Runs `init` as the init command and expects a SYN-ACK with `opts`;
 * returns the trace text (notices included). */
static char *expect_synack(const char *init, const char *opts) {
  char script[2048];
  snprintf(script, sizeof(script),
           "%s\n" LISTEN_SYN "+0 > S. 0:0(0) ack 1 %s\n", init, opts);
  char *trace = NULL;
  size_t len = 0;
  sf_run_options o;
  sf_run_options_default(&o);
  o.trace = open_memstream(&trace, &len);
  sf_run_result res;
  ru_run(script, &o, &res);
  fclose(o.trace);
  ck_assert_msg(res.r.status == SF_RESULT_PASS, "init %s: %s: %s\n%s", init,
                sf_result_status_name(res.r.status),
                res.r.reason ? res.r.reason : "",
                res.r.details ? res.r.details : "");
  sf_run_result_free(&res);
  return trace;
}

static const struct form {
  const char *init;
  const char *opts;
} forms[] = {
    {"", ALL_ON},
    {"`sysctl -q net.ipv4.tcp_timestamps=0`", NO_TS},
    {"`sysctl -w net.ipv4.tcp_timestamps=0`", NO_TS},
    {"`sysctl -q -w net.ipv4.tcp_timestamps=0`", NO_TS},
    {"`sysctl net.ipv4.tcp_timestamps=\"0\"`", NO_TS},
    {"`sysctl -q net.ipv4.tcp_timestamps = 0`", NO_TS},
    {"`echo 0 > /proc/sys/net/ipv4/tcp_timestamps`", NO_TS},
    {"`sysctl -q net.ipv4.tcp_sack=0`", NO_SACK},
    {"`sysctl -q net.ipv4.tcp_window_scaling=0`", NO_WS},
    {"`sysctl -q net.ipv4.tcp_timestamps=0; sysctl -q net.ipv4.tcp_sack=0`",
     NO_TS_NO_SACK},
    {"`sysctl -q net.ipv4.tcp_timestamps=0 && sysctl -q net.ipv4.tcp_sack=0`",
     NO_TS_NO_SACK},
    {"`sysctl -q net.ipv4.tcp_timestamps=0\n"
     "  sysctl -q net.ipv4.tcp_sack=0`",
     NO_TS_NO_SACK},
    {"`sysctl -q \\\n net.ipv4.tcp_timestamps=0`", NO_TS},
    /* a shell comment does not hide the value, nor is one applied */
    {"`sysctl -q net.ipv4.tcp_timestamps=0 # was 1`", NO_TS},
    {"`# sysctl -q net.ipv4.tcp_timestamps=0`", ALL_ON},
    {"`true # note; sysctl -q net.ipv4.tcp_timestamps=0`", ALL_ON},
    {"`echo '#'; sysctl -q net.ipv4.tcp_timestamps=0`", NO_TS},
    /* the last assignment wins */
    {"`sysctl -q net.ipv4.tcp_sack=0; sysctl -q net.ipv4.tcp_sack=1`", ALL_ON},
    /* tcp_rmem's maximum decides the window scale */
    {"`sysctl -q net.ipv4.tcp_rmem=\"4096 87380 6291456\"`",
     "<mss 1460,sackOK,TS val 1 ecr 1,nop,wscale 7>"},
    /* --profile.KEY wins over the sysctl */
    {"--profile.timestamps=1\n`sysctl -q net.ipv4.tcp_timestamps=0`", ALL_ON},
};

START_TEST(test_sysctl_forms) {
  free(expect_synack(forms[_i].init, forms[_i].opts));
}
END_TEST

START_TEST(test_other_commands_are_skipped_with_a_notice) {
  char *trace = expect_synack("`sysctl -q net.core.somaxconn=4096\n"
                              "  ip link set dev tun0 mtu 1500\n"
                              "  sysctl -q net.ipv4.tcp_timestamps=0`",
                              NO_TS);
  ck_assert_ptr_nonnull(
      strstr(trace, "sysctl net.core.somaxconn skipped (no stack setting)"));
  ck_assert_ptr_nonnull(
      strstr(trace, "skipped: ip link set dev tun0 mtu 1500"));
  free(trace);
}
END_TEST

/* An echo that names /proc/sys/ but redirects elsewhere sets nothing (a
 * fuzzed script once read past the end of such a line). */
START_TEST(test_echo_redirected_elsewhere_is_skipped) {
  char *trace = expect_synack("`echo /proc/sys/ >x`", ALL_ON);
  ck_assert_ptr_nonnull(strstr(trace, "skipped: echo /proc/sys/ >x"));
  free(trace);
}
END_TEST

/* A shell script the init command runs, relative to the script's folder:
 * read for its sysctls, with `source` and `.` too, and nested; a missing
 * one is a notice, not an error. */
START_TEST(test_included_shell_scripts) {
  char dir[] = "/tmp/synfin-run-init-XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  char path[1024], common[256], sub[256];
  snprintf(common, sizeof(common), "%s/common", dir);
  snprintf(sub, sizeof(sub), "%s/tests", dir);
  ck_assert_int_eq(mkdir(common, 0755), 0);
  ck_assert_int_eq(mkdir(sub, 0755), 0);
  snprintf(path, sizeof(path), "%s/defaults.sh", common);
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fputs("#!/bin/bash\nsysctl -q net.ipv4.tcp_sack=0\n. ./more.sh\n", f);
  fclose(f);
  snprintf(path, sizeof(path), "%s/more.sh", common);
  f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fputs("echo 0 > /proc/sys/net/ipv4/tcp_timestamps\n", f);
  fclose(f);

  static const char *const inits[] = {
      "`../common/defaults.sh`",
      "`source ../common/defaults.sh`",
      "`. ../common/defaults.sh && ../common/missing.sh`",
  };
  for (size_t i = 0; i < sizeof(inits) / sizeof(inits[0]); i++) {
    char script[2048];
    snprintf(script, sizeof(script),
             "%s\n" LISTEN_SYN "+0 > S. 0:0(0) ack 1 " NO_TS_NO_SACK "\n",
             inits[i]);
    snprintf(path, sizeof(path), "%s/t.pkt", sub);
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(script, f);
    fclose(f);
    char *trace = NULL;
    size_t len = 0;
    sf_run_options o;
    sf_run_options_default(&o);
    o.trace = open_memstream(&trace, &len);
    sf_run_result res;
    sf_run_file(path, &o, &res);
    fclose(o.trace);
    ru_assert_result(&res, SF_RESULT_PASS, NULL);
    if (i == 2)
      ck_assert_ptr_nonnull(strstr(trace, "../common/missing.sh (not found)"));
    sf_run_result_free(&res);
    free(trace);
    unlink(path);
  }
  snprintf(path, sizeof(path), "%s/defaults.sh", common);
  unlink(path);
  snprintf(path, sizeof(path), "%s/more.sh", common);
  unlink(path);
  rmdir(common);
  rmdir(sub);
  rmdir(dir);
}
END_TEST

/* A script that includes itself stops at a depth limit. */
START_TEST(test_include_loop_stops) {
  char dir[] = "/tmp/synfin-run-init-XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  char path[512];
  snprintf(path, sizeof(path), "%s/loop.sh", dir);
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fputs("sysctl -q net.ipv4.tcp_sack=0\n./loop.sh\n", f);
  fclose(f);
  char pkt[512];
  snprintf(pkt, sizeof(pkt), "%s/t.pkt", dir);
  f = fopen(pkt, "w");
  ck_assert_ptr_nonnull(f);
  fputs("`./loop.sh`\n" LISTEN_SYN "+0 > S. 0:0(0) ack 1 " NO_SACK "\n", f);
  fclose(f);
  sf_run_options o;
  sf_run_options_default(&o);
  sf_run_result res;
  sf_run_file(pkt, &o, &res);
  ru_assert_result(&res, SF_RESULT_PASS, NULL);
  sf_run_result_free(&res);
  unlink(path);
  unlink(pkt);
  rmdir(dir);
}
END_TEST

/* Timed commands are not run against the stack: a notice, not a failure. */
START_TEST(test_timed_command_is_a_notice) {
  char *trace = NULL;
  size_t len = 0;
  sf_run_options o;
  sf_run_options_default(&o);
  o.trace = open_memstream(&trace, &len);
  sf_run_result res;
  ru_run("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
         "+0 `tc qdisc add dev tun0 root netem delay 10ms`\n"
         "+0 close(3) = 0\n",
         &o, &res);
  fclose(o.trace);
  ru_assert_result(&res, SF_RESULT_PASS, NULL);
  ck_assert_ptr_nonnull(strstr(trace, "command not run against the stack"));
  sf_run_result_free(&res);
  free(trace);
}
END_TEST

Suite *tu_suite(void) {
  Suite *s = suite_create("run_init");
  TCase *tc = tcase_create("init");
  tcase_add_loop_test(tc, test_sysctl_forms, 0,
                      (int)(sizeof(forms) / sizeof(forms[0])));
  tcase_add_test(tc, test_other_commands_are_skipped_with_a_notice);
  tcase_add_test(tc, test_echo_redirected_elsewhere_is_skipped);
  tcase_add_test(tc, test_included_shell_scripts);
  tcase_add_test(tc, test_include_loop_stops);
  tcase_add_test(tc, test_timed_command_is_a_notice);
  suite_add_tcase(s, tc);
  return s;
}
