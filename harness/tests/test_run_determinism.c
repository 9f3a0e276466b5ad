/* Determinism: the same script with the same seed gives the same trace
 * hash, the same pcap bytes, the same text trace and the same result, run
 * after run; another seed gives another trace. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run_util.h"

Suite *tu_suite(void);

static const char script[] =
    "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
    "+0 bind(3, ..., ...) = 0\n"
    "+0 listen(3, 1) = 0\n"
    "+0 < S 0:0(0) win 65535 <mss 1000,sackOK,TS val 1 ecr 0,nop,wscale 7>\n"
    "+0 > S. 0:0(0) ack 1 <...>\n"
    "+.1 < . 1:1(0) ack 1 win 514 <nop,nop,TS val 2 ecr 0>\n"
    "+0 accept(3, ..., ...) = 4\n"
    "+0 write(4, ..., 5000) = 5000\n"
    "+0 > P. 1:5001(5000) ack 1 <...>\n"
    "+.1 < . 1:1(0) ack 1977 win 514 <nop,nop,sack 2965:5001,nop,nop,TS val 3 "
    "ecr 0>\n"
    "+.2 < (frag_size 16, frag_order shuffle(3)) P. 1:101(100) ack 1977 win "
    "514 <nop,nop,TS val 4 ecr 0>\n"
    "+0 > . 5001:5001(0) ack 101 <...>\n"
    "+0 read(4, ..., 1000) = 100\n"
    "+0 close(4) = 0\n";

struct outcome {
  sf_run_result res;
  char *pcap;
  size_t pcap_len;
  char *trace;
  size_t trace_len;
};

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  ck_assert_ptr_nonnull(f);
  char *buf = NULL;
  size_t cap = 0;
  *len = 0;
  for (;;) {
    if (*len == cap) {
      cap = cap ? cap * 2 : 65536;
      buf = realloc(buf, cap);
      ck_assert_ptr_nonnull(buf);
    }
    size_t n = fread(buf + *len, 1, cap - *len, f);
    if (n == 0)
      break;
    *len += n;
  }
  fclose(f);
  return buf;
}

static void run_once(const char *text, uint64_t seed, struct outcome *out) {
  memset(out, 0, sizeof(*out));
  sf_run_options o;
  sf_run_options_default(&o);
  o.seed = seed;
  char *pcap = ru_write_file("", 0, ".pcap");
  o.pcap_path = pcap;
  o.trace = open_memstream(&out->trace, &out->trace_len);
  ck_assert_ptr_nonnull(o.trace);
  ru_run(text, &o, &out->res);
  fclose(o.trace);
  out->pcap = slurp(pcap, &out->pcap_len);
  unlink(pcap);
  free(pcap);
}

static void outcome_free(struct outcome *o) {
  sf_run_result_free(&o->res);
  free(o->pcap);
  free(o->trace);
}

static const char *text(const char *s) {
  return s ? s : "";
}

START_TEST(test_same_seed_same_everything) {
  struct outcome a, b;
  run_once(script, 1, &a);
  run_once(script, 1, &b);
  ck_assert_msg(a.res.r.status == SF_RESULT_PASS, "%s\n%s",
                text(a.res.r.reason), text(a.res.r.details));
  ck_assert_uint_gt(a.res.packets, 15);
  ck_assert_uint_ne(a.res.trace_hash, 0);
  ck_assert_uint_eq(a.res.trace_hash, b.res.trace_hash);
  ck_assert_uint_eq(a.res.packets, b.res.packets);
  ck_assert_uint_eq(a.res.r.virtual_us, b.res.r.virtual_us);
  ck_assert_uint_eq(a.pcap_len, b.pcap_len);
  ck_assert_msg(memcmp(a.pcap, b.pcap, a.pcap_len) == 0, "pcaps differ");
  ck_assert_uint_gt(a.trace_len, 0);
  ck_assert_str_eq(a.trace, b.trace);
  outcome_free(&a);
  outcome_free(&b);
}
END_TEST

START_TEST(test_other_seed_other_trace) {
  struct outcome a, b;
  run_once(script, 1, &a);
  run_once(script, 2, &b);
  ck_assert_int_eq(a.res.r.status, SF_RESULT_PASS);
  ck_assert_int_eq(b.res.r.status, SF_RESULT_PASS);
  ck_assert_uint_ne(a.res.trace_hash, b.res.trace_hash);
  outcome_free(&a);
  outcome_free(&b);
}
END_TEST

/* A failure is just as reproducible: the same reason, location and
 * details. */
START_TEST(test_failure_is_reproducible) {
  static const char failing[] = "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
                                "+0 bind(3, ..., ...) = 0\n"
                                "+0 listen(3, 1) = 0\n"
                                "+0 < S 0:0(0) win 65535 <mss 1000>\n"
                                "+0 > S. 0:0(0) ack 2 <mss 1460>\n";
  struct outcome a, b;
  run_once(failing, 1, &a);
  run_once(failing, 1, &b);
  ck_assert_int_eq(a.res.r.status, SF_RESULT_FAIL);
  ck_assert_str_eq(text(a.res.r.reason), text(b.res.r.reason));
  ck_assert_str_eq(text(a.res.r.details), text(b.res.r.details));
  ck_assert_uint_eq(a.res.trace_hash, b.res.trace_hash);
  /* the location differs only in the temporary file's name */
  ck_assert_ptr_nonnull(strstr(text(a.res.r.location), ".pkt:5"));
  outcome_free(&a);
  outcome_free(&b);
}
END_TEST

/* In one process, one run leaves nothing behind that changes the next:
 * runs of other scripts in between do not change the hash. */
START_TEST(test_runs_are_independent) {
  struct outcome a, other, b;
  run_once(script, 1, &a);
  run_once("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
           "+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n"
           "+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in "
           "progress)\n"
           "+0 > S 0:0(0) <...>\n",
           1, &other);
  run_once(script, 1, &b);
  ck_assert_uint_eq(a.res.trace_hash, b.res.trace_hash);
  ck_assert_uint_ne(a.res.trace_hash, other.res.trace_hash);
  outcome_free(&a);
  outcome_free(&other);
  outcome_free(&b);
}
END_TEST

Suite *tu_suite(void) {
  Suite *s = suite_create("run_determinism");
  TCase *tc = tcase_create("determinism");
  tcase_add_test(tc, test_same_seed_same_everything);
  tcase_add_test(tc, test_other_seed_other_trace);
  tcase_add_test(tc, test_failure_is_reproducible);
  tcase_add_test(tc, test_runs_are_independent);
  suite_add_tcase(s, tc);
  return s;
}
