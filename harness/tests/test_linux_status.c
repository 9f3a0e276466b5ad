/* The document of how the live kernel fares on specs/ (--linux-status): a
 * spec whose kernel result is not the documented one is reported, and
 * "flaky" accepts a pass or a fail but nothing else. */
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run_items.h"

Suite *tu_suite(void);

static char doc_path[64];

static void write_doc(void) {
  strcpy(doc_path, "/tmp/sf-linux-status-XXXXXX");
  int fd = mkstemp(doc_path);
  ck_assert_int_ge(fd, 0);
  FILE *f = fdopen(fd, "w");
  ck_assert_ptr_nonnull(f);
  fputs("# How the live Linux kernel fares\n\n"
        "| spec | stack | linux | why they differ |\n"
        "|---|---|---|---|\n"
        "| specs/a.pkt | pass | pass |  |\n"
        "| specs/b.pkt | pass | fail | --profile=rfc |\n"
        "| specs/c.pkt | pass | flaky | at a timing tolerance's edge |\n",
        f);
  ck_assert_int_eq(fclose(f), 0);
}

static void remove_doc(void) {
  unlink(doc_path);
}

/* One spec with the kernel's result in res[0]. */
static int mismatches(const char *spec, sf_result_status kernel) {
  struct item it = {.path = (char *)spec};
  it.res[0].r.status = kernel;
  bool differs = false;
  int n = sf_linux_status_mismatches(doc_path, &it, 1, 0, &differs);
  ck_assert_int_ge(n, 0);
  ck_assert_int_eq(differs, n == 1);
  return n;
}

START_TEST(test_documented_status_matches) {
  ck_assert_int_eq(mismatches("specs/a.pkt", SF_RESULT_PASS), 0);
  ck_assert_int_eq(mismatches("specs/b.pkt", SF_RESULT_FAIL), 0);
}
END_TEST

START_TEST(test_changed_status_is_a_mismatch) {
  ck_assert_int_eq(mismatches("specs/a.pkt", SF_RESULT_FAIL), 1);
  ck_assert_int_eq(mismatches("specs/b.pkt", SF_RESULT_PASS), 1);
}
END_TEST

START_TEST(test_flaky_accepts_pass_and_fail) {
  ck_assert_int_eq(mismatches("specs/c.pkt", SF_RESULT_PASS), 0);
  ck_assert_int_eq(mismatches("specs/c.pkt", SF_RESULT_FAIL), 0);
}
END_TEST

START_TEST(test_flaky_does_not_accept_an_error_or_a_skip) {
  ck_assert_int_eq(mismatches("specs/c.pkt", SF_RESULT_ERROR), 1);
  ck_assert_int_eq(mismatches("specs/c.pkt", SF_RESULT_SKIP), 1);
}
END_TEST

START_TEST(test_undocumented_spec_is_a_mismatch) {
  ck_assert_int_eq(mismatches("specs/new.pkt", SF_RESULT_PASS), 1);
}
END_TEST

START_TEST(test_missing_document_is_an_error) {
  struct item it = {.path = "specs/a.pkt"};
  bool differs;
  ck_assert_int_lt(sf_linux_status_mismatches("/nonexistent/linux-status.md",
                                              &it, 1, 0, &differs),
                   0);
}
END_TEST

Suite *tu_suite(void) {
  Suite *s = suite_create("linux_status");
  TCase *tc = tcase_create("linux_status");
  tcase_add_checked_fixture(tc, write_doc, remove_doc);
  tcase_add_test(tc, test_documented_status_matches);
  tcase_add_test(tc, test_changed_status_is_a_mismatch);
  tcase_add_test(tc, test_flaky_accepts_pass_and_fail);
  tcase_add_test(tc, test_flaky_does_not_accept_an_error_or_a_skip);
  tcase_add_test(tc, test_undocumented_spec_is_a_mismatch);
  tcase_add_test(tc, test_missing_document_is_an_error);
  suite_add_tcase(s, tc);
  return s;
}
