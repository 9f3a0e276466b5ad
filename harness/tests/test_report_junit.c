/* JUnit XML reports: golden output for a mix of results, grouping by
 * directory in input order, escaping of markup, control characters and
 * invalid UTF-8, line numbers from locations, and write errors. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static const char mixed_xml[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<testsuites name=\"synfin\" tests=\"4\" failures=\"1\" errors=\"1\" "
    "skipped=\"1\" time=\"0.003515\">\n"
    "  <testsuite name=\"specs/tcp\" tests=\"3\" failures=\"1\" errors=\"1\" "
    "skipped=\"0\" time=\"0.003505\">\n"
    "    <testcase name=\"a.pkt\" classname=\"specs/tcp\" "
    "file=\"specs/tcp/a.pkt\" time=\"0.001500\">\n"
    "      <system-out>requirements: MUST-7\n"
    "virtual time: 3.000000 s\n"
    "</system-out>\n"
    "    </testcase>\n"
    "    <testcase name=\"b.pkt\" classname=\"specs/tcp\" "
    "file=\"specs/tcp/b.pkt\" line=\"12\" time=\"0.002000\">\n"
    "      <failure message=\"outbound packet mismatch\" type=\"failure\">at "
    "specs/tcp/b.pkt:12\n"
    "expected: &gt; S. 0:0(0) ack 1 &lt;...&gt;\n"
    "actual:   &gt; R. 1:1(0) ack 1\n"
    "pcap: out/b.pcap</failure>\n"
    "      <system-out>requirements: MUST-7 SHLD-31\n"
    "virtual time: 0.100000 s\n"
    "pcap: out/b.pcap\n"
    "</system-out>\n"
    "    </testcase>\n"
    "    <testcase name=\"d.pkt\" classname=\"specs/tcp\" "
    "file=\"specs/tcp/d.pkt\" line=\"3\" time=\"0.000005\">\n"
    "      <error message=\"specs/tcp/d.pkt:3:5: expected 'ack'\" "
    "type=\"error\">at specs/tcp/d.pkt:3:5</error>\n"
    "      <system-out>virtual time: 0.000000 s\n"
    "</system-out>\n"
    "    </testcase>\n"
    "  </testsuite>\n"
    "  <testsuite name=\"specs/ip\" tests=\"1\" failures=\"0\" errors=\"0\" "
    "skipped=\"1\" time=\"0.000010\">\n"
    "    <testcase name=\"c.pkt\" classname=\"specs/ip\" "
    "file=\"specs/ip/c.pkt\" time=\"0.000010\">\n"
    "      <skipped message=\"unsupported ipv6 (c.pkt:1)\"/>\n"
    "      <system-out>virtual time: 0.000000 s\n"
    "</system-out>\n"
    "    </testcase>\n"
    "  </testsuite>\n"
    "</testsuites>\n";

static char *xml_of(const sf_script_result *r, size_t n) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  ck_assert_ptr_nonnull(f);
  ck_assert_int_eq(sf_report_junit(f, r, n), 0);
  fclose(f);
  return buf;
}

/* The text between the first occurrence of from and the next to. */
static char *between(const char *s, const char *from, const char *to) {
  const char *a = strstr(s, from);
  ck_assert_msg(a != NULL, "no '%s' in\n%s", from, s);
  a += strlen(from);
  const char *b = strstr(a, to);
  ck_assert_ptr_nonnull(b);
  return strndup(a, (size_t)(b - a));
}

START_TEST(test_junit_golden_output_for_pass_fail_skip_error) {
  char *out = xml_of(mixed, 4);
  ck_assert_str_eq(out, mixed_xml);
  free(out);
}
END_TEST

START_TEST(test_junit_output_is_deterministic) {
  char *a = xml_of(mixed, 4);
  char *b = xml_of(mixed, 4);
  ck_assert_str_eq(a, b);
  free(a);
  free(b);
}
END_TEST

START_TEST(test_junit_suites_in_order_of_first_appearance) {
  sf_script_result r[] = {
      {.path = "z/1.pkt"},   {.path = "a/2.pkt"},  {.path = "z/3.pkt"},
      {.path = "top.pkt"},   {.path = "/abs.pkt"}, {.path = "a/4.pkt"},
      {.path = "other.pkt"},
  };
  char *out = xml_of(r, 7);
  const char *want[] = {
      "<testsuite name=\"z\" tests=\"2\"",
      "<testcase name=\"1.pkt\"",
      "<testcase name=\"3.pkt\"",
      "<testsuite name=\"a\" tests=\"2\"",
      "<testcase name=\"2.pkt\"",
      "<testcase name=\"4.pkt\"",
      "<testsuite name=\".\" tests=\"2\"",
      "<testcase name=\"top.pkt\"",
      "<testcase name=\"other.pkt\"",
      "<testsuite name=\"/\" tests=\"1\"",
      "<testcase name=\"abs.pkt\" classname=\"/\"",
  };
  const char *at = out;
  for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
    const char *p = strstr(at, want[i]);
    ck_assert_msg(p != NULL, "'%s' missing or out of order in\n%s", want[i],
                  out);
    at = p;
  }
  free(out);
}
END_TEST

START_TEST(test_junit_escapes_markup_in_attributes_and_text) {
  sf_script_result r = {.path = "d/<a&b>\".pkt",
                        .status = SF_RESULT_FAIL,
                        .reason = "x < y & \"z\"\nsecond line\ttab",
                        .details = "<tag attr='1'> & ]]> \"q\""};
  char *out = xml_of(&r, 1);
  char *name = between(out, "<testcase name=\"", "\"");
  ck_assert_str_eq(name, "&lt;a&amp;b&gt;&quot;.pkt");
  char *msg = between(out, "<failure message=\"", "\"");
  ck_assert_str_eq(msg, "x &lt; y &amp; &quot;z&quot;&#10;second line&#9;tab");
  char *text = between(out, "type=\"failure\">", "</failure>");
  ck_assert_str_eq(text, "&lt;tag attr='1'&gt; &amp; ]]&gt; \"q\"");
  free(name);
  free(msg);
  free(text);
  free(out);
}
END_TEST

START_TEST(test_junit_replaces_what_xml_cannot_hold) {
  sf_script_result r = {
      .path = "c.pkt",
      .status = SF_RESULT_ERROR,
      /* NUL cannot be in a C string; every other C0 control can */
      .reason = "bell\a esc\x1b cr\r del\x7f",
      /* a lone continuation byte, an overlong '/', a surrogate, U+FFFE,
       * a truncated sequence at the end */
      .details = "a\x80"
                 "b\xc0\xaf"
                 "c\xed\xa0\x80"
                 "d\xef\xbf\xbe"
                 "e\xe2\x82"};
  char *out = xml_of(&r, 1);
  char *msg = between(out, "<error message=\"", "\"");
  ck_assert_str_eq(msg, "bell\\x07 esc\\x1b cr&#13; del\x7f");
  char *text = between(out, "type=\"error\">", "</error>");
  ck_assert_str_eq(text, "a\\x80b\\xc0\\xafc\\xed\\xa0\\x80d\\xef\\xbf\\xbee"
                         "\\xe2\\x82");
  free(msg);
  free(text);
  free(out);
}
END_TEST

START_TEST(test_junit_keeps_valid_utf8) {
  sf_script_result r = {.path = "u.pkt",
                        .status = SF_RESULT_SKIP,
                        .reason = "caf\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x90\xa2 "
                                  "\xef\xbf\xbd \xf4\x8f\xbf\xbf"};
  char *out = xml_of(&r, 1);
  char *msg = between(out, "<skipped message=\"", "\"");
  ck_assert_str_eq(msg, r.reason);
  free(msg);
  free(out);
}
END_TEST

START_TEST(test_junit_line_attribute_from_the_location) {
  sf_script_result r[] = {
      {.path = "l/1.pkt", .status = SF_RESULT_FAIL, .location = "l/1.pkt:7"},
      {.path = "l/2.pkt",
       .status = SF_RESULT_FAIL,
       .location = "l/2.pkt:12:30"},
      {.path = "l/3.pkt", .status = SF_RESULT_FAIL, .location = "l/3.pkt"},
      {.path = "l/4.pkt", .status = SF_RESULT_FAIL, .location = "1234"},
      {.path = "l/5.pkt", .status = SF_RESULT_FAIL, .location = "x:"},
      {.path = "l/6.pkt",
       .status = SF_RESULT_FAIL,
       .location = "x:99999999999999999999"},
  };
  char *out = xml_of(r, 6);
  ck_assert_ptr_nonnull(strstr(out, "file=\"l/1.pkt\" line=\"7\" time"));
  ck_assert_ptr_nonnull(strstr(out, "file=\"l/2.pkt\" line=\"12\" time"));
  ck_assert_ptr_nonnull(strstr(out, "file=\"l/3.pkt\" time"));
  ck_assert_ptr_nonnull(strstr(out, "file=\"l/4.pkt\" time"));
  ck_assert_ptr_nonnull(strstr(out, "file=\"l/5.pkt\" time"));
  ck_assert_ptr_nonnull(strstr(out, "file=\"l/6.pkt\" time"));
  free(out);
}
END_TEST

START_TEST(test_junit_missing_fields_get_defaults) {
  sf_script_result r[] = {
      {.status = SF_RESULT_FAIL},
      {.path = "x.pkt", .status = SF_RESULT_ERROR, .reason = ""},
      {.path = "y.pkt", .status = SF_RESULT_SKIP},
      {.path = "z.pkt", .status = (sf_result_status)99},
  };
  char *out = xml_of(r, 4);
  ck_assert_ptr_nonnull(strstr(out, "<testcase name=\"\" classname=\".\" "
                                    "file=\"\" time=\"0.000000\">\n"
                                    "      <failure message=\"failed\" "
                                    "type=\"failure\"></failure>"));
  ck_assert_ptr_nonnull(strstr(out, "<error message=\"could not be run\""));
  ck_assert_ptr_nonnull(strstr(out, "<skipped message=\"skipped\"/>"));
  ck_assert_ptr_nonnull(strstr(out, "tests=\"4\" failures=\"1\" errors=\"2\" "
                                    "skipped=\"1\""));
  free(out);
}
END_TEST

START_TEST(test_junit_empty_run) {
  char *out = xml_of(NULL, 0);
  ck_assert_str_eq(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                        "<testsuites name=\"synfin\" tests=\"0\" "
                        "failures=\"0\" errors=\"0\" skipped=\"0\" "
                        "time=\"0.000000\"/>\n");
  free(out);
}
END_TEST

START_TEST(test_junit_reports_write_errors) {
  FILE *f = fopen("/dev/full", "w");
  if (f == NULL) {
    fprintf(stderr, "SKIP (not a failure): no /dev/full\n");
    return;
  }
  ck_assert_int_eq(sf_report_junit(f, mixed, 4), -ENOSPC);
  fclose(f);
  ck_assert_int_eq(sf_report_junit(NULL, mixed, 4), -EINVAL);
  ck_assert_int_eq(sf_report_junit(stdout, NULL, 2), -EINVAL);
}
END_TEST

START_TEST(test_junit_status_names) {
  ck_assert_str_eq(sf_result_status_name(SF_RESULT_PASS), "pass");
  ck_assert_str_eq(sf_result_status_name(SF_RESULT_FAIL), "fail");
  ck_assert_str_eq(sf_result_status_name(SF_RESULT_SKIP), "skip");
  ck_assert_str_eq(sf_result_status_name(SF_RESULT_ERROR), "error");
  ck_assert_str_eq(sf_result_status_name((sf_result_status)7), "?");
}
END_TEST

Suite *tu_suite(void) {
  Suite *s = suite_create("report_junit");
  TCase *tc = tcase_create("junit");
  tcase_add_test(tc, test_junit_golden_output_for_pass_fail_skip_error);
  tcase_add_test(tc, test_junit_output_is_deterministic);
  tcase_add_test(tc, test_junit_suites_in_order_of_first_appearance);
  tcase_add_test(tc, test_junit_escapes_markup_in_attributes_and_text);
  tcase_add_test(tc, test_junit_replaces_what_xml_cannot_hold);
  tcase_add_test(tc, test_junit_keeps_valid_utf8);
  tcase_add_test(tc, test_junit_line_attribute_from_the_location);
  tcase_add_test(tc, test_junit_missing_fields_get_defaults);
  tcase_add_test(tc, test_junit_empty_run);
  tcase_add_test(tc, test_junit_reports_write_errors);
  tcase_add_test(tc, test_junit_status_names);
  suite_add_tcase(s, tc);
  return s;
}
