/* pcap files: what the writer produces opens in tshark with the right
 * timestamps and no malformed packets, keeps nanoseconds, and reads back
 * through the reader (pcap, and pcapng made by editcap); truncated and
 * garbage captures and unwritable paths give errors, never crashes. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "synfin/trace.h"
#include "test_trace_pkt.h"

Suite *tu_suite(void);

static char tmpdir[64];

static void make_tmpdir(void) {
  snprintf(tmpdir, sizeof(tmpdir), "/tmp/synfin-pcap-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void remove_tmpdir(void) {
  DIR *d = opendir(tmpdir);
  if (d == NULL)
    return;
  struct dirent *e;
  char p[512];
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    snprintf(p, sizeof(p), "%s/%s", tmpdir, e->d_name);
    unlink(p);
  }
  closedir(d);
  rmdir(tmpdir);
}

static const char *tmp(const char *name) {
  static char p[4][256];
  static int k;
  k = (k + 1) % 4;
  snprintf(p[k], sizeof(p[k]), "%s/%s", tmpdir, name);
  return p[k];
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

static size_t segment(uint8_t *buf, uint16_t flags, size_t payload) {
  tp_tcp t = {
      .seq = 1, .ack = 1, .flags = flags, .win = 1000, .payload_len = payload};
  return tp_tcp_build(buf, &t);
}

/* SYN at 0, SYN-ACK at 1.5 ms, data at 2.000001 s. */
static void write_three(const char *path) {
  sf_pcap_writer *w;
  char err[256];
  ck_assert_int_eq(sf_pcap_open(path, &w, err, sizeof(err)), 0);
  uint8_t buf[256];
  ck_assert_int_eq(sf_pcap_write(w, 0, buf, segment(buf, SF_TCP_SYN, 0)), 0);
  ck_assert_int_eq(
      sf_pcap_write(w, 1500, buf, segment(buf, SF_TCP_SYN | SF_TCP_ACK, 0)), 0);
  ck_assert_int_eq(sf_pcap_write(w, 2000001, buf,
                                 segment(buf, SF_TCP_PSH | SF_TCP_ACK, 100)),
                   0);
  ck_assert_int_eq(sf_pcap_close(w), 0);
}

static uint8_t *read_all(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  ck_assert_ptr_nonnull(f);
  uint8_t *b = malloc(1 << 16);
  *len = fread(b, 1, 1 << 16, f);
  fclose(f);
  return b;
}

typedef struct seen {
  size_t n;
  uint64_t t_ns[8];
  int link[8];
  size_t caplen[8], wirelen[8];
  uint8_t first[8];
  int stop_after; /* 0: never */
} seen;

static int visit(void *ctx, uint64_t t_ns, int link_type, const uint8_t *data,
                 size_t caplen, size_t wirelen) {
  seen *s = ctx;
  if (s->n < 8) {
    s->t_ns[s->n] = t_ns;
    s->link[s->n] = link_type;
    s->caplen[s->n] = caplen;
    s->wirelen[s->n] = wirelen;
    s->first[s->n] = caplen > 0 ? data[0] : 0;
  }
  s->n++;
  return s->stop_after > 0 && (int)s->n == s->stop_after ? 42 : 0;
}

START_TEST(test_pcap_tshark_reads_the_file_with_right_times_and_no_errors) {
  make_tmpdir();
  const char *path = tmp("three.pcap");
  write_three(path);
  if (!have("tshark")) {
    remove_tmpdir();
    return;
  }
  char cmd[512];
  snprintf(cmd, sizeof(cmd),
           "tshark -n -r '%s' -o tcp.check_checksum:TRUE "
           "-o ip.check_checksum:TRUE -T fields -E separator=/t "
           "-e frame.time_epoch -e tcp.flags -e ip.checksum.status "
           "-e tcp.checksum.status -e tcp.len -e _ws.malformed 2>/dev/null",
           path);
  FILE *p = popen(cmd, "r");
  ck_assert_ptr_nonnull(p);
  static const char *const want[] = {
      "0.000000000\t0x0002\t1\t1\t0\t\n",
      "0.001500000\t0x0012\t1\t1\t0\t\n",
      "2.000001000\t0x0018\t1\t1\t100\t\n",
  };
  char line[256];
  size_t n = 0;
  while (fgets(line, sizeof(line), p) != NULL) {
    ck_assert_uint_lt(n, 3);
    ck_assert_str_eq(line, want[n]);
    n++;
  }
  ck_assert_int_eq(pclose(p), 0);
  ck_assert_uint_eq(n, 3);
  remove_tmpdir();
}
END_TEST

START_TEST(test_pcap_file_header_says_nanoseconds_and_linktype_raw) {
  make_tmpdir();
  write_three(tmp("h.pcap"));
  size_t len;
  uint8_t *b = read_all(tmp("h.pcap"), &len);
  ck_assert_uint_eq(len, 24 + 3 * 16 + 40 + 40 + 140);
  /* the nanosecond magic 0xa1b23c4d, little-endian here */
  static const uint8_t magic[4] = {0x4d, 0x3c, 0xb2, 0xa1};
  ck_assert_mem_eq(b, magic, 4);
  ck_assert_uint_eq(b[16] | b[17] << 8 | b[18] << 16, SF_PCAP_SNAPLEN);
  ck_assert_uint_eq(b[20], 101); /* LINKTYPE_RAW */
  /* the third record: 2 s and 1000001 ns */
  const uint8_t *r = b + 24 + 16 + 40 + 16 + 40;
  ck_assert_uint_eq(r[0], 2);
  ck_assert_uint_eq(r[4] | r[5] << 8 | r[6] << 16 | (uint32_t)r[7] << 24, 1000);
  free(b);
  remove_tmpdir();
}
END_TEST

START_TEST(test_pcap_keeps_nanosecond_timestamps) {
  make_tmpdir();
  const char *path = tmp("ns.pcap");
  sf_pcap_writer *w;
  ck_assert_int_eq(sf_pcap_open(path, &w, NULL, 0), 0);
  uint8_t buf[64];
  size_t len = segment(buf, SF_TCP_ACK, 0);
  uint64_t last = UINT64_C(2147483647) * 1000000000u + 999999999u;
  ck_assert_int_eq(sf_pcap_write_ns(w, 123456789, buf, len), 0);
  ck_assert_int_eq(sf_pcap_write_ns(w, last, buf, len), 0);
  ck_assert_int_eq(sf_pcap_close(w), 0);
  seen s = {0};
  char err[256];
  int rc = sf_pcap_read_file(path, visit, &s, err, sizeof(err));
  ck_assert_msg(rc == 0, "%d %s", rc, err);
  ck_assert_uint_eq(s.n, 2);
  ck_assert_uint_eq(s.t_ns[0], 123456789);
  ck_assert_uint_eq(s.t_ns[1], last);
  if (have("tshark")) {
    char cmd[256];
    snprintf(cmd, sizeof(cmd),
             "tshark -r '%s' -T fields -e frame.time_epoch 2>/dev/null | "
             "head -1",
             path);
    FILE *p = popen(cmd, "r");
    char line[64] = "";
    ck_assert_ptr_nonnull(fgets(line, sizeof(line), p));
    pclose(p);
    ck_assert_str_eq(line, "0.123456789\n");
  }
  remove_tmpdir();
}
END_TEST

START_TEST(test_pcap_reader_returns_packets_times_and_link_type) {
  make_tmpdir();
  write_three(tmp("r.pcap"));
  size_t len;
  uint8_t *b = read_all(tmp("r.pcap"), &len);
  seen s = {0};
  char err[256] = "";
  ck_assert_int_eq(sf_pcap_read_mem(b, len, visit, &s, err, sizeof(err)), 0);
  ck_assert_str_eq(err, "");
  ck_assert_uint_eq(s.n, 3);
  ck_assert_uint_eq(s.t_ns[0], 0);
  ck_assert_uint_eq(s.t_ns[1], 1500000);
  ck_assert_uint_eq(s.t_ns[2], 2000001000);
  ck_assert_int_eq(s.link[0], SF_DLT_RAW);
  ck_assert_uint_eq(s.caplen[2], 140);
  ck_assert_uint_eq(s.wirelen[2], 140);
  ck_assert_uint_eq(s.first[2], 0x45);
  free(b);
  remove_tmpdir();
}
END_TEST

START_TEST(test_pcap_reader_reads_pcapng_from_editcap) {
  make_tmpdir();
  write_three(tmp("a.pcap"));
  if (!have("editcap")) {
    remove_tmpdir();
    return;
  }
  char cmd[512];
  snprintf(cmd, sizeof(cmd), "editcap -F pcapng '%s' '%s' 2>/dev/null",
           tmp("a.pcap"), tmp("a.pcapng"));
  ck_assert_int_eq(system(cmd), 0);
  seen s = {0};
  char err[256];
  ck_assert_int_eq(
      sf_pcap_read_file(tmp("a.pcapng"), visit, &s, err, sizeof(err)), 0);
  ck_assert_uint_eq(s.n, 3);
  ck_assert_uint_eq(s.t_ns[1], 1500000);
  ck_assert_uint_eq(s.t_ns[2], 2000001000);
  ck_assert_int_eq(s.link[0], SF_DLT_RAW);
  ck_assert_uint_eq(s.caplen[2], 140);
  remove_tmpdir();
}
END_TEST

START_TEST(test_pcap_reader_truncated_capture_is_an_error_at_every_length) {
  make_tmpdir();
  write_three(tmp("t.pcap"));
  size_t len;
  uint8_t *b = read_all(tmp("t.pcap"), &len);
  /* ends of whole records: a capture cut there is shorter, not broken */
  const size_t bounds[] = {24, 24 + 56, 24 + 112, len};
  for (size_t cut = 0; cut < len; cut++) {
    uint8_t *c = tp_exact(b, cut);
    seen s = {0};
    char err[256] = "";
    int rc = sf_pcap_read_mem(c, cut, visit, &s, err, sizeof(err));
    size_t whole = 0;
    bool at_bound = false;
    for (size_t k = 0; k < 4; k++) {
      if (cut >= bounds[k] && k > 0)
        whole = k;
      at_bound |= cut == bounds[k];
    }
    if (at_bound) {
      ck_assert_msg(rc == 0, "cut %zu: %s", cut, err);
    } else {
      ck_assert_msg(rc == -EBADMSG, "cut %zu: rc %d", cut, rc);
      ck_assert_msg(strncmp(err, "capture <memory>: ", 18) == 0, "cut %zu: %s",
                    cut, err);
    }
    ck_assert_uint_eq(s.n, whole);
    free(c);
  }
  seen s = {0};
  char err[256];
  uint8_t *c = tp_exact(b, 24 + 16 + 10);
  ck_assert_int_eq(
      sf_pcap_read_mem(c, 24 + 16 + 10, visit, &s, err, sizeof(err)), -EBADMSG);
  ck_assert_msg(strstr(err, "packet 1: truncated") != NULL, "%s", err);
  free(c);
  free(b);
  remove_tmpdir();
}
END_TEST

START_TEST(test_pcap_reader_garbage_and_empty_input_are_errors) {
  static const char junk[] = "this is not a capture file, only some text";
  seen s = {0};
  char err[256];
  ck_assert_int_eq(sf_pcap_read_mem((const uint8_t *)junk, sizeof(junk), visit,
                                    &s, err, sizeof(err)),
                   -EBADMSG);
  ck_assert_msg(strstr(err, "capture <memory>: ") == err, "%s", err);
  ck_assert_uint_eq(s.n, 0);
  ck_assert_int_eq(
      sf_pcap_read_mem((const uint8_t *)junk, 0, visit, &s, err, sizeof(err)),
      -EBADMSG);
  ck_assert_str_eq(err, "capture <memory>: empty (no file header)");
  ck_assert_int_eq(sf_pcap_read_mem(NULL, 0, visit, &s, NULL, 0), -EBADMSG);
}
END_TEST

START_TEST(test_pcap_reader_huge_captured_length_is_an_error) {
  uint8_t b[24 + 16 + 8] = {0x4d, 0x3c, 0xb2, 0xa1, 2, 0, 4, 0};
  b[16] = 0xff; /* snaplen 65535 */
  b[17] = 0xff;
  b[20] = 101;
  /* a record claiming 2 GB */
  b[24 + 8] = 0xff;
  b[24 + 9] = 0xff;
  b[24 + 10] = 0xff;
  b[24 + 11] = 0x7f;
  memcpy(b + 24 + 12, b + 24 + 8, 4);
  seen s = {0};
  char err[256];
  ck_assert_int_eq(sf_pcap_read_mem(b, sizeof(b), visit, &s, err, sizeof(err)),
                   -EBADMSG);
  ck_assert_uint_eq(s.n, 0);
  ck_assert_msg(strstr(err, "packet 1: ") != NULL, "%s", err);
}
END_TEST

START_TEST(test_pcap_reader_stops_when_the_callback_says_so) {
  make_tmpdir();
  write_three(tmp("s.pcap"));
  seen s = {.stop_after = 2};
  ck_assert_int_eq(sf_pcap_read_file(tmp("s.pcap"), visit, &s, NULL, 0), 42);
  ck_assert_uint_eq(s.n, 2);
  remove_tmpdir();
}
END_TEST

START_TEST(test_pcap_read_file_errors_name_the_path) {
  make_tmpdir();
  char err[256];
  seen s = {0};
  ck_assert_int_eq(
      sf_pcap_read_file(tmp("missing.pcap"), visit, &s, err, sizeof(err)),
      -ENOENT);
  ck_assert_msg(strstr(err, tmp("missing.pcap")) != NULL, "%s", err);
  ck_assert_int_eq(sf_pcap_read_file(tmpdir, visit, &s, err, sizeof(err)),
                   -EISDIR);
  ck_assert_msg(strstr(err, tmpdir) != NULL, "%s", err);
  remove_tmpdir();
}
END_TEST

START_TEST(test_pcap_open_in_a_missing_directory_names_the_path) {
  make_tmpdir();
  const char *path = tmp("no/such/dir/x.pcap");
  sf_pcap_writer *w = (sf_pcap_writer *)1;
  char err[256];
  ck_assert_int_eq(sf_pcap_open(path, &w, err, sizeof(err)), -ENOENT);
  ck_assert_ptr_null(w);
  ck_assert_msg(strstr(err, path) != NULL, "%s", err);
  ck_assert_msg(strstr(err, "No such file or directory") != NULL, "%s", err);
  ck_assert_int_eq(sf_pcap_open(tmpdir, &w, err, sizeof(err)), -EISDIR);
  remove_tmpdir();
}
END_TEST

START_TEST(test_pcap_close_reports_a_full_disk) {
  if (access("/dev/full", W_OK) != 0) {
    fprintf(stderr, "SKIP (not a failure): no /dev/full\n");
    return;
  }
  sf_pcap_writer *w;
  ck_assert_int_eq(sf_pcap_open("/dev/full", &w, NULL, 0), 0);
  uint8_t buf[64];
  size_t len = segment(buf, SF_TCP_ACK, 0);
  int rc = 0;
  for (int i = 0; i < 10 && rc == 0; i++)
    rc = sf_pcap_write(w, (uint64_t)i, buf, len);
  ck_assert_int_eq(rc, 0); /* buffered so far */
  ck_assert_int_eq(sf_pcap_close(w), -ENOSPC);
}
END_TEST

START_TEST(test_pcap_write_refuses_oversized_packets_and_times) {
  make_tmpdir();
  sf_pcap_writer *w;
  ck_assert_int_eq(sf_pcap_open(tmp("o.pcap"), &w, NULL, 0), 0);
  static uint8_t big[SF_PCAP_SNAPLEN + 1];
  ck_assert_int_eq(sf_pcap_write(w, 0, big, sizeof(big)), -EMSGSIZE);
  ck_assert_int_eq(sf_pcap_write(w, UINT64_MAX, big, 40), -EOVERFLOW);
  ck_assert_int_eq(
      sf_pcap_write_ns(w, UINT64_C(2147483648) * 1000000000u, big, 40),
      -EOVERFLOW);
  ck_assert_int_eq(sf_pcap_write(w, 0, NULL, 40), -EINVAL);
  ck_assert_int_eq(sf_pcap_close(w), 0);
  seen s = {0};
  ck_assert_int_eq(sf_pcap_read_file(tmp("o.pcap"), visit, &s, NULL, 0), 0);
  ck_assert_uint_eq(s.n, 0);
  ck_assert_int_eq(sf_pcap_close(NULL), 0);
  remove_tmpdir();
}
END_TEST

START_TEST(test_pcap_path_dash_is_a_file_not_stdout) {
  make_tmpdir();
  char cwd[512];
  ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
  ck_assert_int_eq(chdir(tmpdir), 0);
  sf_pcap_writer *w;
  ck_assert_int_eq(sf_pcap_open("-", &w, NULL, 0), 0);
  ck_assert_int_eq(sf_pcap_close(w), 0);
  struct stat st;
  ck_assert_int_eq(stat("-", &st), 0);
  ck_assert_int_eq(st.st_size, 24);
  ck_assert_int_eq(chdir(cwd), 0);
  remove_tmpdir();
}
END_TEST

Suite *tu_suite(void) {
  Suite *s = suite_create("trace_pcap");
  TCase *tc = tcase_create("pcap");
  tcase_set_timeout(tc, 60); /* tshark starts slowly */
  tcase_add_test(
      tc, test_pcap_tshark_reads_the_file_with_right_times_and_no_errors);
  tcase_add_test(tc, test_pcap_file_header_says_nanoseconds_and_linktype_raw);
  tcase_add_test(tc, test_pcap_keeps_nanosecond_timestamps);
  tcase_add_test(tc, test_pcap_reader_returns_packets_times_and_link_type);
  tcase_add_test(tc, test_pcap_reader_reads_pcapng_from_editcap);
  tcase_add_test(
      tc, test_pcap_reader_truncated_capture_is_an_error_at_every_length);
  tcase_add_test(tc, test_pcap_reader_garbage_and_empty_input_are_errors);
  tcase_add_test(tc, test_pcap_reader_huge_captured_length_is_an_error);
  tcase_add_test(tc, test_pcap_reader_stops_when_the_callback_says_so);
  tcase_add_test(tc, test_pcap_read_file_errors_name_the_path);
  tcase_add_test(tc, test_pcap_open_in_a_missing_directory_names_the_path);
  tcase_add_test(tc, test_pcap_close_reports_a_full_disk);
  tcase_add_test(tc, test_pcap_write_refuses_oversized_packets_and_times);
  tcase_add_test(tc, test_pcap_path_dash_is_a_file_not_stdout);
  suite_add_tcase(s, tc);
  return s;
}
