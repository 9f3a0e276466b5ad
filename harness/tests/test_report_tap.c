/* TAP reports: golden output for a mix of results, escaping of
 * descriptions, reasons and details, and prove (TAP::Parser) reading the
 * output without parse errors and with the YAML values intact. */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "synfin/report.h"

Suite *tu_suite(void);

static const sf_script_result mixed[] = {
    {.path = "specs/tcp/a.pkt",
     .status = SF_RESULT_PASS,
     .requirements = "MUST-7",
     .real_us = 1500,
     .virtual_us = 3000000},
    {.path = "specs/tcp/b.pkt",
     .status = SF_RESULT_FAIL,
     .reason = "outbound packet mismatch",
     .location = "specs/tcp/b.pkt:12",
     .details = "expected: > S. 0:0(0) ack 1 <...>\n"
                "actual:   > R. 1:1(0) ack 1\n",
     .requirements = "MUST-7 SHLD-31",
     .pcap_path = "out/b.pcap",
     .real_us = 2000,
     .virtual_us = 100000},
    {.path = "specs/ip/c.pkt",
     .status = SF_RESULT_SKIP,
     .reason = "unsupported ipv6 (c.pkt:1)",
     .real_us = 10},
    {.path = "specs/tcp/d.pkt",
     .status = SF_RESULT_ERROR,
     .reason = "specs/tcp/d.pkt:3:5: expected 'ack'",
     .location = "specs/tcp/d.pkt:3:5",
     .real_us = 5},
};

static const char mixed_tap[] =
    "TAP version 13\n"
    "1..4\n"
    "ok 1 - specs/tcp/a.pkt\n"
    "not ok 2 - specs/tcp/b.pkt\n"
    "  ---\n"
    "  message: \"outbound packet mismatch\"\n"
    "  severity: fail\n"
    "  location: \"specs/tcp/b.pkt:12\"\n"
    "  requirements: \"MUST-7 SHLD-31\"\n"
    "  pcap: \"out/b.pcap\"\n"
    "  duration_ms: 2.000\n"
    "  virtual_ms: 100.000\n"
    "  details: |\n"
    "    expected: > S. 0:0(0) ack 1 <...>\n"
    "    actual:   > R. 1:1(0) ack 1\n"
    "  ...\n"
    "ok 3 - specs/ip/c.pkt # SKIP unsupported ipv6 (c.pkt:1)\n"
    "not ok 4 - specs/tcp/d.pkt\n"
    "  ---\n"
    "  message: \"specs/tcp/d.pkt:3:5: expected 'ack'\"\n"
    "  severity: error\n"
    "  location: \"specs/tcp/d.pkt:3:5\"\n"
    "  duration_ms: 0.005\n"
    "  virtual_ms: 0.000\n"
    "  ...\n";

/* The TAP for the results, as a malloc'ed string. */
static char *tap_of(const sf_script_result *r, size_t n) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  ck_assert_ptr_nonnull(f);
  ck_assert_int_eq(sf_report_tap(f, r, n), 0);
  fclose(f);
  return buf;
}

static bool have(const char *tool) {
  char cmd[128];
  snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", tool);
  if (system(cmd) == 0)
    return true;
  fprintf(stderr,
          "SKIP (not a failure): %s is not installed, so this "
          "check is skipped\n",
          tool);
  return false;
}

/* Writes text to a temporary file; returns its path (static). */
static const char *to_file(const char *text) {
  static char path[64];
  snprintf(path, sizeof(path), "/tmp/synfin-tap-XXXXXX");
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  FILE *f = fdopen(fd, "w");
  fputs(text, f);
  fclose(f);
  return path;
}

/* Runs cmd; returns its output (malloc'ed) and sets *status. */
static char *run(const char *cmd, int *status) {
  FILE *p = popen(cmd, "r");
  ck_assert_ptr_nonnull(p);
  size_t cap = 1 << 16, n = 0;
  char *out = malloc(cap);
  n = fread(out, 1, cap - 1, p);
  out[n] = '\0';
  *status = pclose(p);
  return out;
}

/* What TAP::Parser makes of the file: one line per test and YAML block,
 * then the parse errors. */
static char *parsed(const char *path, int *status) {
  char cmd[2048];
  snprintf(cmd, sizeof(cmd),
           "perl -MTAP::Parser -e '"
           "my $p = TAP::Parser->new({exec => [\"cat\", $ARGV[0]]});"
           "while (my $r = $p->next) {"
           "  if ($r->is_yaml) { my $d = $r->data;"
           "    print \"yaml: \", join(\",\", map { \"$_=\" . ($d->{$_} =~ "
           "s/\\n/\\\\n/gr) } sort keys %%$d), \"\\n\" }"
           "  elsif ($r->is_test) { print \"test \", $r->number, \" ok=\","
           "    ($r->is_actual_ok ? 1 : 0), \" [\", $r->description, \"] [\","
           "    $r->directive, \"] [\", $r->explanation, \"]\\n\" } }"
           "print \"errors: \", join(\"|\", $p->parse_errors), \"\\n\"' "
           "'%s' 2>&1",
           path);
  return run(cmd, status);
}

START_TEST(test_tap_golden_output_for_pass_fail_skip_error) {
  char *out = tap_of(mixed, 4);
  ck_assert_str_eq(out, mixed_tap);
  free(out);
}
END_TEST

START_TEST(test_tap_output_is_deterministic) {
  char *a = tap_of(mixed, 4);
  char *b = tap_of(mixed, 4);
  ck_assert_str_eq(a, b);
  free(a);
  free(b);
}
END_TEST

START_TEST(test_tap_empty_run_plans_zero_tests) {
  char *out = tap_of(NULL, 0);
  ck_assert_str_eq(out, "TAP version 13\n1..0\n");
  free(out);
}
END_TEST

START_TEST(test_tap_escapes_hash_and_line_breaks_in_descriptions) {
  sf_script_result r[] = {
      {.path = "odd #1\nname.pkt", .status = SF_RESULT_PASS},
      {.path = "s.pkt",
       .status = SF_RESULT_SKIP,
       .reason = "unsupported: x\ny # z\x1b"},
  };
  char *out = tap_of(r, 2);
  ck_assert_str_eq(out, "TAP version 13\n1..2\n"
                        "ok 1 - odd \\#1 name.pkt\n"
                        "ok 2 - s.pkt # SKIP unsupported: x y # z\\x1b\n");
  free(out);
}
END_TEST

START_TEST(test_tap_quotes_yaml_scalars_with_escapes) {
  sf_script_result r = {.path = "q.pkt",
                        .status = SF_RESULT_FAIL,
                        .reason = "say \"hi\" \\ then\ttab\x01"};
  char *out = tap_of(&r, 1);
  ck_assert_msg(
      strstr(out, "  message: \"say \\\"hi\\\" \\\\ then\\ttab\\x01\"\n") !=
          NULL,
      "%s", out);
  free(out);
}
END_TEST

START_TEST(test_tap_details_literal_block_keeps_blank_lines) {
  sf_script_result r = {.path = "b.pkt",
                        .status = SF_RESULT_FAIL,
                        .reason = "mismatch",
                        .details = "script: > . 1:1(0)\n\n  indented\n\n"};
  char *out = tap_of(&r, 1);
  ck_assert_msg(strstr(out, "  details: |\n"
                            "    script: > . 1:1(0)\n"
                            "    \n"
                            "      indented\n"
                            "  ...\n") != NULL,
                "%s", out);
  free(out);
}
END_TEST

START_TEST(test_tap_details_quoted_when_no_literal_block_fits) {
  sf_script_result r = {.path = "b.pkt",
                        .status = SF_RESULT_ERROR,
                        .reason = "x",
                        .details = "  starts indented\nbell\a"};
  char *out = tap_of(&r, 1);
  ck_assert_msg(strstr(out, "  details: \"  starts indented\\nbell\\x07\"\n") !=
                    NULL,
                "%s", out);
  free(out);
}
END_TEST

START_TEST(test_tap_prove_accepts_the_output) {
  if (!have("prove"))
    return;
  const char *path = to_file(mixed_tap);
  char cmd[256];
  snprintf(cmd, sizeof(cmd), "prove -e cat '%s' 2>&1", path);
  int status;
  char *out = run(cmd, &status);
  ck_assert_msg(status != 0, "prove passed a run with failures:\n%s", out);
  ck_assert_msg(strstr(out, "Tests: 4 Failed: 2") != NULL, "%s", out);
  ck_assert_msg(strstr(out, "Failed tests:  2, 4") != NULL, "%s", out);
  ck_assert_msg(strstr(out, "Parse errors") == NULL, "%s", out);
  free(out);
  unlink(path);
}
END_TEST

START_TEST(test_tap_parser_reads_back_descriptions_and_yaml) {
  if (!have("perl") || system("perl -MTAP::Parser -e 1 2>/dev/null") != 0) {
    fprintf(stderr, "SKIP (not a failure): no perl TAP::Parser\n");
    return;
  }
  sf_script_result r[] = {
      mixed[0],
      mixed[1],
      mixed[2],
      {.path = "odd #name.pkt",
       .status = SF_RESULT_FAIL,
       .reason = "quote \" and \\ here",
       .location = "x.pkt:9",
       .details = "  indented first\nsecond\n\nfourth"},
      {.path = "e.pkt",
       .status = SF_RESULT_ERROR,
       .reason = "unreadable: Permission denied",
       .details = "line one\n\nline three\n"},
  };
  char *tap = tap_of(r, 5);
  const char *path = to_file(tap);
  int status;
  char *out = parsed(path, &status);
  ck_assert_str_eq(
      out,
      "test 1 ok=1 [- specs/tcp/a.pkt] [] []\n"
      "test 2 ok=0 [- specs/tcp/b.pkt] [] []\n"
      "yaml: details=expected: > S. 0:0(0) ack 1 <...>\\nactual:   > R. "
      "1:1(0) ack 1\\n,duration_ms=2.000,location=specs/tcp/b.pkt:12,"
      "message=outbound packet mismatch,pcap=out/b.pcap,requirements=MUST-7 "
      "SHLD-31,severity=fail,virtual_ms=100.000\n"
      "test 3 ok=1 [- specs/ip/c.pkt] [SKIP] [unsupported ipv6 (c.pkt:1)]\n"
      "test 4 ok=0 [- odd \\#name.pkt] [] []\n"
      "yaml: details=  indented first\\nsecond\\n\\nfourth,"
      "duration_ms=0.000,location=x.pkt:9,message=quote \" and \\ here,"
      "severity=fail,virtual_ms=0.000\n"
      "test 5 ok=0 [- e.pkt] [] []\n"
      "yaml: details=line one\\n\\nline three\\n,duration_ms=0.000,"
      "message=unreadable: Permission denied,severity=error,"
      "virtual_ms=0.000\n"
      "errors: \n");
  free(out);
  free(tap);
  unlink(path);
}
END_TEST

START_TEST(test_tap_reports_write_errors) {
  FILE *f = fopen("/dev/full", "w");
  if (f == NULL) {
    fprintf(stderr, "SKIP (not a failure): no /dev/full\n");
    return;
  }
  ck_assert_int_eq(sf_report_tap(f, mixed, 4), -ENOSPC);
  fclose(f);
  ck_assert_int_eq(sf_report_tap(NULL, mixed, 4), -EINVAL);
  ck_assert_int_eq(sf_report_tap(stdout, NULL, 1), -EINVAL);
}
END_TEST

Suite *tu_suite(void) {
  Suite *s = suite_create("report_tap");
  TCase *tc = tcase_create("tap");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_tap_golden_output_for_pass_fail_skip_error);
  tcase_add_test(tc, test_tap_output_is_deterministic);
  tcase_add_test(tc, test_tap_empty_run_plans_zero_tests);
  tcase_add_test(tc, test_tap_escapes_hash_and_line_breaks_in_descriptions);
  tcase_add_test(tc, test_tap_quotes_yaml_scalars_with_escapes);
  tcase_add_test(tc, test_tap_details_literal_block_keeps_blank_lines);
  tcase_add_test(tc, test_tap_details_quoted_when_no_literal_block_fits);
  tcase_add_test(tc, test_tap_prove_accepts_the_output);
  tcase_add_test(tc, test_tap_parser_reads_back_descriptions_and_yaml);
  tcase_add_test(tc, test_tap_reports_write_errors);
  suite_add_tcase(s, tc);
  return s;
}
