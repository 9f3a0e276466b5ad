/* Input the runner cannot use gives status ERROR with a message naming the
 * file (and line:column where there is one), never a crash, never a pass:
 * missing files, directories, binary garbage, huge lines, numbers out of
 * range, bad option values, packets longer than a datagram, and a few
 * thousand mutations of a valid script. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run_util.h"

Suite *tu_suite(void);

/* Runs len bytes as a script; asserts ERROR and a reason that starts with
 * "PATH:" followed by `where` (e.g. "2:19: ") and contains `what`. */
static void expect_error(const char *text, size_t len, const char *where,
                         const char *what) {
  char *path = ru_write_file(text, len, ".pkt");
  sf_run_options o;
  sf_run_options_default(&o);
  sf_run_result res;
  sf_run_file(path, &o, &res);
  ru_assert_result(&res, SF_RESULT_ERROR, what);
  size_t pl = strlen(path);
  ck_assert_msg(
      strncmp(res.r.reason, path, pl) == 0 && res.r.reason[pl] == ':' &&
          strncmp(res.r.reason + pl + 1, where, strlen(where)) == 0,
      "reason \"%s\" does not start with \"%s:%s\"", res.r.reason, path, where);
  sf_run_result_free(&res);
  unlink(path);
  free(path);
}

START_TEST(test_missing_file) {
  sf_run_options o;
  sf_run_options_default(&o);
  sf_run_result res;
  sf_run_file("/nonexistent/dir/x.pkt", &o, &res);
  ru_assert_result(&res, SF_RESULT_ERROR, "/nonexistent/dir/x.pkt");
  ck_assert_ptr_nonnull(strstr(res.r.reason, "No such file"));
  sf_run_result_free(&res);
}
END_TEST

START_TEST(test_directory) {
  char dir[] = "/tmp/synfin-run-dir-XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  sf_run_options o;
  sf_run_options_default(&o);
  sf_run_result res;
  sf_run_file(dir, &o, &res);
  ru_assert_result(&res, SF_RESULT_ERROR, "is a directory");
  ck_assert_ptr_nonnull(strstr(res.r.reason, dir));
  sf_run_result_free(&res);
  rmdir(dir);
}
END_TEST

START_TEST(test_not_a_regular_file) {
  sf_run_options o;
  sf_run_options_default(&o);
  sf_run_result res;
  sf_run_file("/dev/null", &o, &res);
  ru_assert_result(&res, SF_RESULT_ERROR, "/dev/null: not a regular file");
  sf_run_result_free(&res);
}
END_TEST

START_TEST(test_binary_with_nul) {
  static const char bin[] = "\x7f"
                            "ELF\x02\x01\x01\x00\x00\x00\x00\x00";
  expect_error(bin, sizeof(bin) - 1, "1:8: ", "NUL byte");
}
END_TEST

START_TEST(test_binary_without_nul) {
  char buf[4096];
  uint32_t x = 12345;
  for (size_t i = 0; i < sizeof(buf); i++) {
    x = x * 1103515245u + 12345u;
    buf[i] = (char)(0x80 | (x >> 16));
  }
  expect_error(buf, sizeof(buf), "1:1: ", "unexpected character");
}
END_TEST

START_TEST(test_line_of_100k) {
  size_t n = 100 * 1024;
  char *buf = malloc(n + 64);
  ck_assert_ptr_nonnull(buf);
  strcpy(buf, "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3 // ");
  size_t l = strlen(buf);
  memset(buf + l, 'x', n - l);
  buf[n] = '\n';
  expect_error(buf, n + 1, "1:65537: ", "longer than 65536 bytes");
  free(buf);
}
END_TEST

START_TEST(test_syntax_error_names_the_column) {
  static const char s[] = "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
                          "+0 < S 0:0(0) wnd 100\n";
  expect_error(s, sizeof(s) - 1, "2:15: ", "got 'wnd'");
}
END_TEST

/* Numbers out of range: each line below after a valid first line. */
static const struct range_case {
  const char *line;
  const char *where;
  const char *what;
} ranges[] = {
    {"+0 < S 0:0(0) win 65536\n", "2:19: ", "window 65536 out of range"},
    {"+0 < S 4294967296:4294967296(0) win 1\n",
     "2:8: ", "sequence number 4294967296 out of range"},
    {"+0 < S 0:0(0) win 1 <mss 65536>\n", "2:26: ", "mss 65536 out of range"},
    {"+0 < S 0:0(0) win 1 <wscale 256>\n", "2:29: ", "wscale 256 out of range"},
    {"+0 < (ttl 256) S 0:0(0) win 1\n", "2:11: ", "ttl 256 out of range"},
    {"+0 < 65536>80 S 0:0(0) win 1\n", "2:6: ", "port 65536 out of range"},
    {"+0 < P. 1:70001(70000) ack 1 win 1\n", "2:", "out of range"},
    {"10000000000000 close(3) = 0\n", "2:1: ", "out of range"},
    {"+0 close(3) = 99999999999999999999999\n", "2:", "out of range"},
    {"-1 close(3) = 0\n", "2:1: ", ""},
};

START_TEST(test_number_out_of_range) {
  const struct range_case *c = &ranges[_i];
  char s[512];
  snprintf(s, sizeof(s), "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n%s",
           c->line);
  expect_error(s, strlen(s), c->where, c->what);
}
END_TEST

/* Option lines and sysctls whose values the runner cannot take. */
static const struct option_case {
  const char *head;
  const char *where;
  const char *what;
} option_cases[] = {
    {"--tolerance_usecs=99999999999\n", "1:1: ", "--tolerance_usecs"},
    {"--tolerance_usecs=abc\n", "1:1: ", "--tolerance_usecs"},
    {"--tolerance_percent=101\n", "1:1: ", "--tolerance_percent"},
    {"--mss=10\n", "1:1: ", "--mss=10"},
    {"--profile=bsd\n", "1:1: ", "expected linux or rfc"},
    {"--profile.no_such_key=1\n", "1:1: ", "unknown profile setting"},
    {"--profile.rto_min_us=abc\n", "1:1: ", "bad value"},
    {"--profile.isn_tick_ns=0\n", "1:1: ", "bad value"},
    {"--ip_version=ipv5\n", "1:1: ", "--ip_version"},
    {"`sysctl -q net.ipv4.tcp_sack=abc`\n", "1: ", "bad value"},
    {"`sysctl -q net.ipv4.tcp_rmem=\"4096 87380\"`\n", "1: ", "bad value"},
};

START_TEST(test_bad_option_value) {
  const struct option_case *c = &option_cases[_i];
  char s[512];
  snprintf(s, sizeof(s), "%s0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n",
           c->head);
  expect_error(s, strlen(s), c->where, c->what);
}
END_TEST

/* A packet longer than an IPv4 datagram is an error at its line, not a
 * write past the runner's packet buffer. */
#define LISTENER                                                               \
  "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 bind(3, ..., ...) = 0\n"    \
  "+0 listen(3, 1) = 0\n"
static const struct option_case long_datagrams[] = {
    {"0 < icmp echo_request id 0 seq 0 (65530)\n", "1:1: ", "65558 bytes"},
    {LISTENER "+0 < S 0:65530(65530) win 100\n", "4:1: ", "65570 bytes"},
    {LISTENER "+0 < (ip_opts <nop,nop,nop,nop>) S 0:65494(65494) win 100\n",
     "4:1: ", "65538 bytes"},
};

START_TEST(test_datagram_longer_than_ipv4_allows) {
  const struct option_case *c = &long_datagrams[_i];
  expect_error(c->head, strlen(c->head), c->where, c->what);
}
END_TEST

/* A script with everything in it, mutated a few thousand ways: whatever
 * the parser and the runner make of it, they return a status and free
 * everything (ASan and the fork per test catch the rest). */
static const char valid[] =
    "--tolerance_usecs=10000\n"
    "`sysctl -q net.ipv4.tcp_timestamps=1`\n"
    "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
    "+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0\n"
    "+0 bind(3, ..., ...) = 0\n"
    "+0 listen(3, 1) = 0\n"
    "+0 < S 0:0(0) win 65535 <mss 1000,sackOK,TS val 1 ecr 0,nop,wscale 7>\n"
    "+0 > S. 0:0(0) ack 1 <mss 1460,sackOK,TS val 2 ecr 1,nop,wscale 8>\n"
    "+.1 < . 1:1(0) ack 1 win 514 <nop,nop,TS val 3 ecr 2>\n"
    "+0 accept(3, ..., ...) = 4\n"
    "+0...0.1 read(4, ..., 100) = 100\n"
    "+.1 < (frag_size 16) P. 1:101(100) ack 1 win 514 <nop,nop,TS val 4 ecr "
    "2>\n"
    "+0 > . 1:1(0) ack 101 <nop,nop,TS val 5 ecr 4>\n"
    "+0 write(4, ..., 3000) = 3000\n"
    "+0 > P. 1:3001(3000) ack 101 <...>\n"
    "+0 < raw 45 00 00 1c 00 01 00 00 40 01 00 00 c0 00 02 01 c0 a8 00 01\n"
    "+0 < icmp echo_request id 1 seq 1 (8)\n"
    "+0 > icmp echo_reply id 1 seq 1 (8)\n"
    "+0.1 poll([{fd=4, events=POLLIN, revents=0}], 1, 0) = 0\n"
    "+0.1~+0.3 > P. 2965:3001(36) ack 101 <...>\n" /* tail loss probe */
    "+0 getsockopt(4, SOL_SOCKET, SO_ERROR, [0], [4]) = 0\n"
    "+0 close(4) = 0\n";

START_TEST(test_mutations_never_crash) {
  uint32_t x = 0x9e3779b9u * (uint32_t)(_i + 1);
  size_t n = sizeof(valid) - 1;
  char buf[sizeof(valid) + 64];
  for (int round = 0; round < 50; round++) {
    memcpy(buf, valid, n + 1);
    size_t len = n;
    int edits = 1 + round % 4;
    for (int e = 0; e < edits; e++) {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      size_t at = x % len;
      switch ((x >> 24) % 4) {
      case 0: /* a byte from the script's own alphabet */
        buf[at] = valid[(x >> 8) % n];
        break;
      case 1: /* a digit */
        buf[at] = (char)('0' + (x >> 8) % 10);
        break;
      case 2: /* cut */
        len = at;
        buf[len] = '\0';
        break;
      default: /* a line duplicated or dropped: swap with the next line */
        buf[at] = '\n';
        break;
      }
      if (len == 0)
        break;
    }
    char *path = ru_write_file(buf, len, ".pkt");
    sf_run_options o;
    sf_run_options_default(&o);
    sf_run_result res;
    sf_run_file(path, &o, &res);
    ck_assert_int_le(res.r.status, SF_RESULT_ERROR);
    if (res.r.status != SF_RESULT_PASS)
      ck_assert_ptr_nonnull(res.r.reason);
    if (res.r.status == SF_RESULT_ERROR)
      ck_assert_msg(strncmp(res.r.reason, path, strlen(path)) == 0,
                    "error without the file name: %s", res.r.reason);
    sf_run_result_free(&res);
    unlink(path);
    free(path);
  }
}
END_TEST

/* The unmutated script passes: the mutations start from a real run. */
START_TEST(test_mutation_base_passes) {
  ru_expect(valid, NULL, SF_RESULT_PASS, NULL);
}
END_TEST

Suite *tu_suite(void) {
  Suite *s = suite_create("run_badinput");
  TCase *tc = tcase_create("files");
  tcase_add_test(tc, test_missing_file);
  tcase_add_test(tc, test_directory);
  tcase_add_test(tc, test_not_a_regular_file);
  tcase_add_test(tc, test_binary_with_nul);
  tcase_add_test(tc, test_binary_without_nul);
  tcase_add_test(tc, test_line_of_100k);
  tcase_add_test(tc, test_syntax_error_names_the_column);
  suite_add_tcase(s, tc);
  tc = tcase_create("values");
  tcase_add_loop_test(tc, test_number_out_of_range, 0,
                      (int)(sizeof(ranges) / sizeof(ranges[0])));
  tcase_add_loop_test(tc, test_bad_option_value, 0,
                      (int)(sizeof(option_cases) / sizeof(option_cases[0])));
  suite_add_tcase(s, tc);
  tc = tcase_create("mutations");
  tcase_set_timeout(tc, 60);
  tcase_add_loop_test(
      tc, test_datagram_longer_than_ipv4_allows, 0,
      (int)(sizeof(long_datagrams) / sizeof(long_datagrams[0])));
  tcase_add_test(tc, test_mutation_base_passes);
  tcase_add_loop_test(tc, test_mutations_never_crash, 0, 40);
  suite_add_tcase(s, tc);
  return s;
}
