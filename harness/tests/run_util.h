/* Helpers for the runner's tests: run a script given as text, read back
 * the pcap a run wrote. */
#ifndef SF_RUN_UTIL_H
#define SF_RUN_UTIL_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "synfin/run.h"
#include "synfin/trace.h"

/* Writes len bytes to a new temporary file whose name ends in suffix;
 * returns its malloc'ed path. */
static inline char *ru_write_file(const char *text, size_t len,
                                  const char *suffix) {
  char tmpl[] = "/tmp/synfin-run-test-XXXXXX";
  size_t sl = strlen(suffix);
  char *path = malloc(sizeof(tmpl) + sl);
  ck_assert_ptr_nonnull(path);
  memcpy(path, tmpl, sizeof(tmpl) - 1);
  memcpy(path + sizeof(tmpl) - 1, suffix, sl + 1);
  int fd = mkstemps(path, (int)sl);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
  close(fd);
  return path;
}

/* Runs script text as `name.pkt` in a temporary file with options o (NULL:
 * the defaults); the caller frees res. */
static inline void ru_run(const char *text, const sf_run_options *o,
                          sf_run_result *res) {
  sf_run_options def;
  sf_run_options_default(&def);
  char *path = ru_write_file(text, strlen(text), ".pkt");
  sf_run_file(path, o ? o : &def, res);
  unlink(path);
  free(path);
}

static inline const char *ru_status_name(const sf_run_result *res) {
  return sf_result_status_name(res->r.status);
}

/* Asserts the status, and that the reason contains `want` (if not NULL). */
#define ru_assert_result(res, st, want)                                        \
  do {                                                                         \
    const sf_run_result *ru_r_ = (res);                                        \
    const char *ru_w_ = (want);                                                \
    ck_assert_msg(ru_r_->r.status == (st), "status %s, expected %s: %s\n%s",   \
                  ru_status_name(ru_r_), sf_result_status_name(st),            \
                  ru_r_->r.reason ? ru_r_->r.reason : "(no reason)",           \
                  ru_r_->r.details ? ru_r_->r.details : "");                   \
    if (ru_w_)                                                                 \
      ck_assert_msg(ru_r_->r.reason &&strstr(ru_r_->r.reason, ru_w_),          \
                    "reason \"%s\" lacks \"%s\"",                              \
                    ru_r_->r.reason ? ru_r_->r.reason : "(none)", ru_w_);      \
  } while (0)

/* Runs text and asserts the outcome. */
static inline void ru_expect(const char *text, const sf_run_options *o,
                             sf_result_status st, const char *want) {
  sf_run_result res;
  ru_run(text, o, &res);
  ru_assert_result(&res, st, want);
  sf_run_result_free(&res);
}

/* The packets of a pcap the runner wrote, decoded, in order. */
#define RU_MAX_PKTS 256
struct ru_capture {
  size_t n;
  uint64_t t_ns[RU_MAX_PKTS];
  uint8_t data[RU_MAX_PKTS][1600];
  size_t len[RU_MAX_PKTS];
  sf_pkt_view v[RU_MAX_PKTS];
};

static inline int ru_capture_visit(void *ctx, uint64_t t_ns, int link_type,
                                   const uint8_t *data, size_t caplen,
                                   size_t wirelen) {
  struct ru_capture *c = ctx;
  (void)wirelen;
  ck_assert_int_eq(link_type, SF_DLT_RAW);
  if (c->n == RU_MAX_PKTS || caplen > sizeof(c->data[0]))
    return 1;
  memcpy(c->data[c->n], data, caplen);
  c->len[c->n] = caplen;
  c->t_ns[c->n] = t_ns;
  sf_pkt_decode(c->data[c->n], caplen, &c->v[c->n]);
  c->n++;
  return 0;
}

/* Runs text with a pcap and reads it back into *cap (heap memory: free
 * it). */
static inline struct ru_capture *
ru_run_capture(const char *text, const sf_run_options *o, sf_run_result *res) {
  sf_run_options opt;
  if (o)
    opt = *o;
  else
    sf_run_options_default(&opt);
  char *pcap = ru_write_file("", 0, ".pcap");
  opt.pcap_path = pcap;
  ru_run(text, &opt, res);
  struct ru_capture *cap = calloc(1, sizeof(*cap));
  ck_assert_ptr_nonnull(cap);
  char err[256];
  ck_assert_msg(
      sf_pcap_read_file(pcap, ru_capture_visit, cap, err, sizeof(err)) == 0,
      "%s", err);
  unlink(pcap);
  free(pcap);
  return cap;
}

#endif
