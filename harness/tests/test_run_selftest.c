/* The runner's self-tests: every script under selftest/pass must pass,
 * every one under selftest/fail must fail with the reason (and at the line)
 * its header names, every one under selftest/skip must be skipped with the
 * reason its header names. One loop test per script, over a sorted list,
 * so a failure names the script.
 *
 * Headers, in the first lines of a script:
 *   // expect: <substring of the failure or skip reason>
 *   // expect-line: <line of the failing event or of the unsupported
 *                    feature> (optional)
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synfin/run.h"

#ifndef SELFTEST_DIR
#error "SELFTEST_DIR must name harness/tests/selftest"
#endif

Suite *tu_suite(void);

#define MAX_SCRIPTS 512

struct set {
  const char *dir;
  char *names[MAX_SCRIPTS];
  int n;
};

static struct set pass_set = {"pass"}, fail_set = {"fail"}, skip_set = {"skip"};

static int cmp_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_scripts(struct set *s) {
  char path[PATH_MAX];
  snprintf(path, sizeof(path), "%s/%s", SELFTEST_DIR, s->dir);
  DIR *d = opendir(path);
  if (!d) {
    fprintf(stderr, "%s: %s\n", path, strerror(errno));
    return;
  }
  struct dirent *e;
  while ((e = readdir(d)) && s->n < MAX_SCRIPTS) {
    size_t len = strlen(e->d_name);
    if (len > 4 && strcmp(e->d_name + len - 4, ".pkt") == 0)
      s->names[s->n++] = strdup(e->d_name);
  }
  closedir(d);
  qsort(s->names, (size_t)s->n, sizeof(char *), cmp_name);
}

/* The script's header: `// expect: TEXT` and `// expect-line: N` among its
 * first lines. */
struct header {
  char expect[1024];
  long line; /* 0: not given */
};

static void read_header(const char *path, struct header *h) {
  memset(h, 0, sizeof(*h));
  FILE *f = fopen(path, "r");
  ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
  char buf[1024];
  for (int i = 0; i < 5 && fgets(buf, sizeof(buf), f); i++) {
    buf[strcspn(buf, "\r\n")] = '\0';
    if (strncmp(buf, "// expect: ", 11) == 0)
      snprintf(h->expect, sizeof(h->expect), "%s", buf + 11);
    else if (strncmp(buf, "// expect-line: ", 16) == 0)
      h->line = strtol(buf + 16, NULL, 10);
  }
  fclose(f);
}

static void run(const struct set *s, int i, char *path, size_t cap,
                sf_run_result *res) {
  ck_assert_msg(i < s->n, "no script %d in %s", i, s->dir);
  snprintf(path, cap, "%s/%s/%s", SELFTEST_DIR, s->dir, s->names[i]);
  sf_run_options o;
  sf_run_options_default(&o);
  sf_run_file(path, &o, res);
}

static const char *text(const char *s) {
  return s ? s : "";
}

START_TEST(test_pass_script) {
  char path[PATH_MAX];
  sf_run_result res;
  run(&pass_set, _i, path, sizeof(path), &res);
  ck_assert_msg(res.r.status == SF_RESULT_PASS, "%s: %s, expected pass: %s\n%s",
                pass_set.names[_i], sf_result_status_name(res.r.status),
                text(res.r.reason), text(res.r.details));
  ck_assert_msg(res.packets > 0, "%s: no packets", pass_set.names[_i]);
  sf_run_result_free(&res);
}
END_TEST

START_TEST(test_fail_script) {
  char path[PATH_MAX];
  struct header h;
  sf_run_result res;
  run(&fail_set, _i, path, sizeof(path), &res);
  const char *name = fail_set.names[_i];
  read_header(path, &h);
  ck_assert_msg(h.expect[0], "%s: no `// expect:` header", name);
  ck_assert_msg(res.r.status == SF_RESULT_FAIL, "%s: %s, expected fail: %s",
                name, sf_result_status_name(res.r.status), text(res.r.reason));
  ck_assert_msg(res.r.reason && strstr(res.r.reason, h.expect),
                "%s: reason \"%s\" lacks \"%s\"", name, text(res.r.reason),
                h.expect);
  if (h.line) {
    char want[PATH_MAX + 32];
    snprintf(want, sizeof(want), "%s:%ld", path, h.line);
    ck_assert_msg(res.r.location && strcmp(res.r.location, want) == 0,
                  "%s: failed at %s, expected line %ld (%s)", name,
                  text(res.r.location), h.line, text(res.r.reason));
  }
  /* a failure shows what was expected */
  ck_assert_msg(res.r.details || strstr(text(res.r.reason), "expected"),
                "%s: a failure without details: %s", name, text(res.r.reason));
  sf_run_result_free(&res);
}
END_TEST

START_TEST(test_skip_script) {
  char path[PATH_MAX];
  struct header h;
  sf_run_result res;
  run(&skip_set, _i, path, sizeof(path), &res);
  const char *name = skip_set.names[_i];
  read_header(path, &h);
  ck_assert_msg(h.expect[0], "%s: no `// expect:` header", name);
  ck_assert_msg(res.r.status == SF_RESULT_SKIP, "%s: %s, expected skip: %s",
                name, sf_result_status_name(res.r.status), text(res.r.reason));
  ck_assert_msg(res.r.reason && strstr(res.r.reason, h.expect),
                "%s: reason \"%s\" lacks \"%s\"", name, text(res.r.reason),
                h.expect);
  ck_assert_msg(strncmp(res.r.reason, "unsupported ", 12) == 0,
                "%s: a skip reason starts with \"unsupported\": %s", name,
                res.r.reason);
  if (h.line) {
    /* "unsupported udp (PATH:LINE)" */
    char want[PATH_MAX + 32];
    snprintf(want, sizeof(want), " (%s:%ld)", path, h.line);
    size_t n = strlen(res.r.reason), w = strlen(want);
    ck_assert_msg(n >= w && strcmp(res.r.reason + n - w, want) == 0,
                  "%s: reason \"%s\" does not end in \"%s\"", name,
                  res.r.reason, want);
  }
  sf_run_result_free(&res);
}
END_TEST

/* Each set must hold scripts: an empty loop would pass silently. */
START_TEST(test_sets_are_not_empty) {
  ck_assert_int_ge(pass_set.n, 30);
  ck_assert_int_ge(fail_set.n, 19);
  ck_assert_int_ge(skip_set.n, 8);
}
END_TEST

Suite *tu_suite(void) {
  list_scripts(&pass_set);
  list_scripts(&fail_set);
  list_scripts(&skip_set);
  Suite *s = suite_create("run_selftest");
  TCase *tc = tcase_create("sets");
  tcase_add_test(tc, test_sets_are_not_empty);
  suite_add_tcase(s, tc);
  tc = tcase_create("pass");
  tcase_add_loop_test(tc, test_pass_script, 0, pass_set.n);
  suite_add_tcase(s, tc);
  tc = tcase_create("fail");
  tcase_add_loop_test(tc, test_fail_script, 0, fail_set.n);
  suite_add_tcase(s, tc);
  tc = tcase_create("skip");
  tcase_add_loop_test(tc, test_skip_script, 0, skip_set.n);
  suite_add_tcase(s, tc);
  return s;
}
