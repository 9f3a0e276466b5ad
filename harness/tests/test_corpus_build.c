/* Seeds from scripts and captures (harness/cli/corpus_*.c): the numbers of
 * each inbound segment are written as deltas that put it, on replay,
 * exactly where the script or the capture put it (sequence numbers from
 * the peer's ISN, acks from the stack's, a TSecr on the stack's own TSval);
 * the start state follows the opening; files are named by their SHA-1 and
 * never overwritten. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "corpus_src.h"
#include "sha1.h"
#include "synfin/trace.h"

Suite *tu_suite(void);

static sf_scenario scn;

/* What the peer injected during a replay, in the script's terms. */
struct seen {
  uint32_t peer_isn, stack_isn;
  bool have_stack_isn;
  uint32_t last_stack_tsval;
  size_t n;
  struct {
    uint8_t flags;
    uint32_t seq, ack, len;
    bool has_ts;
    uint32_t ts_val, ts_ecr;
    uint32_t ecr_expected; /* the stack's TSval the ecr should equal */
  } in[64];
};

static bool ts_of(const sf_pkt_view *v, uint32_t *val, uint32_t *ecr) {
  for (size_t i = 0; i < v->tcp.n_options; i++)
    if (v->tcp.options[i].kind == SF_TCPOPT_TIMESTAMP &&
        v->tcp.options[i].valid) {
      *val = v->tcp.options[i].ts_val;
      *ecr = v->tcp.options[i].ts_ecr;
      return true;
    }
  return false;
}

static void on_packet(void *ctx, int dir, uint64_t t, const uint8_t *p,
                      size_t len) {
  struct seen *s = ctx;
  (void)t;
  sf_pkt_view v;
  sf_pkt_decode(p, len, &v);
  if (v.l4 != SF_PKT_L4_TCP)
    return;
  uint32_t val = 0, ecr = 0;
  bool ts = ts_of(&v, &val, &ecr);
  if (dir == SF_DIR_OUT) {
    if ((v.tcp.flags & SF_TCP_SYN) && !s->have_stack_isn) {
      s->stack_isn = v.tcp.seq;
      s->have_stack_isn = true;
    }
    if (ts)
      s->last_stack_tsval = val;
    return;
  }
  if (s->n == 64)
    return;
  s->in[s->n].flags = (uint8_t)v.tcp.flags;
  s->in[s->n].seq = v.tcp.seq - s->peer_isn;
  s->in[s->n].ack = v.tcp.ack - s->stack_isn;
  s->in[s->n].len = (uint32_t)v.tcp.payload_len;
  s->in[s->n].has_ts = ts;
  s->in[s->n].ts_val = val;
  s->in[s->n].ts_ecr = ecr;
  s->in[s->n].ecr_expected = s->last_stack_tsval;
  s->n++;
}

/* Parses text as a script and converts it into tr, with notes of what
 * the conversion leaves out or changes. */
static void convert(const char *text, sf_cb_trace *tr,
                    struct sf_strbuf *notes) {
  sf_script *s = NULL;
  sf_script_error err;
  ck_assert_msg(sf_script_parse(text, strlen(text), "t.pkt", &s, &err) == 0,
                "%s", err.message);
  sf_cb_trace_init(tr);
  ck_assert_int_eq(sf_corpus_from_script(s, tr, notes), 0);
  sf_script_free(s);
}

/* Converts and builds a script, replays the result and records the
 * inbound segments. */
static void build_script(const char *text, struct seen *seen) {
  sf_cb_trace tr;
  struct sf_strbuf notes = {0};
  convert(text, &tr, &notes);
  sf_cb_result res;
  ck_assert_int_eq(sf_cb_build(&tr, &scn, &res), 0);
  ck_assert_msg(!res.verdict.failed, "%s: %s", res.verdict.oracle,
                res.verdict.message);
  sf_strbuf_free(&notes);
  sf_cb_trace_free(&tr);
  if (!seen)
    return;
  memset(seen, 0, sizeof(*seen));
  seen->peer_isn = SF_SCN_PEER_ISN;
  sf_scn_runner *r;
  ck_assert_int_eq(sf_scn_runner_new(&r), 0);
  sf_scn_observer obs = {.packet = on_packet, .ctx = seen};
  sf_scn_verdict v;
  sf_scn_run(r, &scn, &obs, &v);
  ck_assert(!v.failed);
  sf_scn_runner_free(r);
}

static const char passive[] = "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
                              "+0 bind(3, ..., ...) = 0\n"
                              "+0 listen(3, 1) = 0\n"
                              "+0 < S 0:0(0) win 65535 <mss 1000>\n"
                              "+0 > S. 0:0(0) ack 1 <mss 1460>\n"
                              "+.1 < . 1:1(0) ack 1 win 65535\n"
                              "+0 accept(3, ..., ...) = 4\n"
                              "+.1 < P. 1001:2001(1000) ack 1 win 65535\n"
                              "+0 > . 1:1(0) ack 1\n"
                              "+.1 < P. 1:1001(1000) ack 1 win 65535\n"
                              "+0 > . 1:1(0) ack 2001\n"
                              "+0 read(4, ..., 3000) = 2000\n"
                              "+0 write(4, ..., 500) = 500\n"
                              "+0 > P. 1:501(500) ack 2001\n"
                              "+.05 < . 2001:2001(0) ack 501 win 65535\n"
                              "+0 close(4) = 0\n";

START_TEST(test_passive_script_starts_at_the_listener_with_its_handshake) {
  build_script(passive, NULL);
  ck_assert_uint_eq(scn.setup.start, SF_SCN_LISTEN);
  ck_assert_uint_eq(scn.ev[0].kind, SF_SCN_SEGMENT);
  ck_assert_uint_eq(scn.ev[0].seg.flags, SF_TCP_SYN);
  ck_assert_uint_eq(scn.ev[0].seg.nopt, 4); /* mss 1000 */
  ck_assert_uint_eq(scn.ev[0].seg.opt[2] << 8 | scn.ev[0].seg.opt[3], 1000);
}
END_TEST

START_TEST(test_inbound_segments_replay_at_the_scripts_numbers) {
  struct seen s;
  build_script(passive, &s);
  ck_assert_uint_eq(s.n, 5);
  ck_assert_uint_eq(s.in[0].seq, 0); /* SYN */
  ck_assert_uint_eq(s.in[1].seq, 1);
  ck_assert_uint_eq(s.in[1].ack, 1);
  ck_assert_uint_eq(s.in[2].seq, 1001); /* out of order first */
  ck_assert_uint_eq(s.in[2].len, 1000);
  ck_assert_uint_eq(s.in[3].seq, 1);
  ck_assert_uint_eq(s.in[4].seq, 2001);
  ck_assert_uint_eq(s.in[4].ack, 501);
}
END_TEST

START_TEST(test_deltas_are_relative_to_rcv_nxt_and_snd_una) {
  build_script(passive, NULL);
  /* the out-of-order segment lies 1000 above RCV.NXT, the one that fills
   * the gap at it; the last ACK acknowledges the 500 bytes written */
  int seen_ooo = 0;
  for (size_t i = 0; i < scn.n; i++) {
    const sf_scn_event *e = &scn.ev[i];
    if (e->kind != SF_SCN_SEGMENT || e->seg.len != 1000)
      continue;
    ck_assert_int_eq(e->seg.seq_delta, seen_ooo ? 0 : 1000);
    ck_assert_int_eq(e->seg.ack_delta, 0);
    seen_ooo++;
  }
  ck_assert_int_eq(seen_ooo, 2);
  const sf_scn_event *last = NULL;
  for (size_t i = 0; i < scn.n; i++)
    if (scn.ev[i].kind == SF_SCN_SEGMENT)
      last = &scn.ev[i];
  ck_assert_int_eq(last->seg.ack_delta, 500);
  ck_assert_int_eq(last->seg.seq_delta, 0);
}
END_TEST

START_TEST(test_time_gaps_become_advance_events_and_calls_stay_in_order) {
  build_script(passive, NULL);
  /* SYN, +100 ms, ACK, accept, +100 ms, ... */
  ck_assert_uint_eq(scn.ev[1].kind, SF_SCN_ADVANCE);
  ck_assert_uint_eq(scn.ev[1].advance_us, 100000);
  ck_assert_uint_eq(scn.ev[3].kind, SF_SCN_CALL);
  ck_assert_uint_eq(scn.ev[3].call.op, SF_SCN_ACCEPT);
  int reads = 0, writes = 0, closes = 0;
  for (size_t i = 0; i < scn.n; i++) {
    if (scn.ev[i].kind != SF_SCN_CALL)
      continue;
    reads += scn.ev[i].call.op == SF_SCN_READ && scn.ev[i].call.arg == 3000;
    writes += scn.ev[i].call.op == SF_SCN_WRITE && scn.ev[i].call.arg == 500;
    closes += scn.ev[i].call.op == SF_SCN_CLOSE;
  }
  ck_assert_int_eq(reads, 1);
  ck_assert_int_eq(writes, 1);
  ck_assert_int_eq(closes, 1);
}
END_TEST

START_TEST(test_active_script_starts_in_syn_sent) {
  static const char active[] =
      "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
      "+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n"
      "+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in "
      "progress)\n"
      "+0 > S 0:0(0) <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 8>\n"
      "+.05 < S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,TS val 700 ecr "
      "100,nop,wscale 7>\n"
      "+0 > . 1:1(0) ack 1 <nop,nop,TS val 150 ecr 700>\n"
      "+0 write(3, ..., 100) = 100\n"
      "+0 > P. 1:101(100) ack 1 <nop,nop,TS val 150 ecr 700>\n"
      "+.05 < . 1:1(0) ack 101 win 500 <nop,nop,TS val 750 ecr 150>\n";
  struct seen s;
  build_script(active, &s);
  ck_assert_uint_eq(scn.setup.start, SF_SCN_SYN_SENT);
  ck_assert_uint_eq(s.n, 2);
  ck_assert_uint_eq(s.in[0].flags, SF_TCP_SYN | SF_TCP_ACK);
  ck_assert_uint_eq(s.in[0].ack, 1);
  ck_assert_uint_eq(s.in[0].ts_val, 700);
  ck_assert_uint_eq(s.in[1].seq, 1);
  ck_assert_uint_eq(s.in[1].ack, 101);
  ck_assert_uint_eq(s.in[1].ts_val, 750);
}
END_TEST

START_TEST(test_ts_ecr_echoes_the_stacks_real_tsval) {
  static const char ts[] =
      "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
      "+0 bind(3, ..., ...) = 0\n"
      "+0 listen(3, 1) = 0\n"
      "+0 < S 0:0(0) win 65535 <mss 1460,sackOK,TS val 1000 ecr 0,nop,"
      "wscale 7>\n"
      "+0 > S. 0:0(0) ack 1 <mss 1460,sackOK,TS val 100 ecr 1000,nop,"
      "wscale 8>\n"
      "+.1 < . 1:1(0) ack 1 win 500 <nop,nop,TS val 1100 ecr 100>\n"
      "+0 accept(3, ..., ...) = 4\n"
      "+.1 < P. 1:101(100) ack 1 win 500 <nop,nop,TS val 1200 ecr 100>\n"
      "+0 > . 1:1(0) ack 101 <nop,nop,TS val 300 ecr 1200>\n"
      "+.1 < P. 101:201(100) ack 1 win 500 <nop,nop,TS val 1300 ecr "
      "300>\n";
  struct seen s;
  build_script(ts, &s);
  ck_assert_uint_eq(s.n, 4);
  ck_assert_uint_eq(s.in[0].ts_val, 1000);
  ck_assert_uint_eq(s.in[0].ts_ecr, 0);
  for (size_t i = 1; i < 4; i++) {
    ck_assert(s.in[i].has_ts);
    ck_assert_uint_eq(s.in[i].ts_val, 1000 + 100 * i);
    ck_assert_uint_eq(s.in[i].ts_ecr, s.in[i].ecr_expected);
  }
}
END_TEST

START_TEST(test_script_extensions_become_corruption_bits) {
  static const char ext[] =
      "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
      "+0 bind(3, ..., ...) = 0\n"
      "+0 listen(3, 1) = 0\n"
      "+0 < S 0:0(0) win 65535 <mss 1460>\n"
      "+0 > S. 0:0(0) ack 1 <mss 1460>\n"
      "+0 < . 1:1(0) ack 1 win 65535\n"
      "+0 accept(3, ..., ...) = 4\n"
      "+.1 < (tcp_csum bad) P. 1:101(100) ack 1 win 65535\n"
      "+.1 < (ip_csum bad) P. 1:101(100) ack 1 win 65535\n";
  build_script(ext, NULL);
  uint8_t bits = 0;
  for (size_t i = 0; i < scn.n; i++)
    if (scn.ev[i].kind == SF_SCN_SEGMENT)
      bits |= scn.ev[i].seg.corrupt;
  ck_assert_uint_eq(bits, SF_SCN_BAD_TCP_CSUM | SF_SCN_BAD_IP_CSUM);
}
END_TEST

/* What a conversion leaves out or changes, as `corpus from-specs
 * --verbose` prints it. */
static void notes_of(const char *text, char *out, size_t cap) {
  sf_cb_trace tr;
  struct sf_strbuf notes = {0};
  convert(text, &tr, &notes);
  snprintf(out, cap, "%s", sf_strbuf_str(&notes));
  sf_strbuf_free(&notes);
  sf_cb_trace_free(&tr);
}

/* A scenario cuts a 100-byte segment's 120-byte datagram payload in 8
 * pieces of 16 bytes: a spec's frag_size 16 converts as it is, 8 is noted. */
START_TEST(test_fragment_size_other_than_a_scenarios_is_noted) {
  static const char head[] = "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
                             "+0 bind(3, ..., ...) = 0\n"
                             "+0 listen(3, 1) = 0\n"
                             "+0 < S 0:0(0) win 65535 <mss 1460>\n"
                             "+0 > S. 0:0(0) ack 1 <mss 1460>\n"
                             "+0 < . 1:1(0) ack 1 win 65535\n"
                             "+0 accept(3, ..., ...) = 4\n";
  char text[1024], notes[512];
  snprintf(text, sizeof(text),
           "%s+.1 < (frag_size 16) P. 1:101(100) ack 1 win 65535\n", head);
  notes_of(text, notes, sizeof(notes));
  ck_assert_ptr_null(strstr(notes, "fragments of another size"));
  snprintf(text, sizeof(text),
           "%s+.1 < (frag_size 8) P. 1:101(100) ack 1 win 65535\n", head);
  notes_of(text, notes, sizeof(notes));
  ck_assert_ptr_nonnull(strstr(notes, "fragments of another size"));
}
END_TEST

START_TEST(test_icmp_errors_quote_the_stacks_own_segment) {
  static const char icmp[] =
      "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
      "+0 bind(3, ..., ...) = 0\n"
      "+0 listen(3, 1) = 0\n"
      "+0 < S 0:0(0) win 65535 <mss 1460>\n"
      "+0 > S. 0:0(0) ack 1 <mss 1460>\n"
      "+0 < . 1:1(0) ack 1 win 65535\n"
      "+0 accept(3, ..., ...) = 4\n"
      "+0 write(4, ..., 100) = 100\n"
      "+0 > P. 1:101(100) ack 1\n"
      "+.01 < icmp unreachable port_unreachable [1:101(100)]\n";
  struct seen s;
  build_script(icmp, &s);
  const sf_scn_event *e = &scn.ev[scn.n - 1];
  ck_assert_uint_eq(e->kind, SF_SCN_RAW);
  sf_pkt_view v;
  ck_assert_int_eq(sf_pkt_decode(e->raw.bytes, e->raw.len, &v), 0);
  ck_assert_int_eq(v.l4, SF_PKT_L4_ICMP);
  ck_assert(v.icmp.csum_ok);
  ck_assert_uint_eq(v.icmp.type, 3);
  ck_assert_uint_eq(v.icmp.code, 3);
  ck_assert(v.icmp.q.has_seq);
  ck_assert_uint_eq(v.icmp.q.sport, SF_SCN_PORT);
  ck_assert_uint_eq(v.icmp.q.dport, SF_SCN_PEER_PORT);
  ck_assert_uint_eq(v.icmp.q.seq - s.stack_isn, 1);
}
END_TEST

START_TEST(test_sha1_matches_the_fips_vectors) {
  char h[41];
  sf_sha1_hex("", 0, h);
  ck_assert_str_eq(h, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  sf_sha1_hex("abc", 3, h);
  ck_assert_str_eq(h, "a9993e364706816aba3e25717850c26c9cd0d89d");
  const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  sf_sha1_hex(two, strlen(two), h);
  ck_assert_str_eq(h, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
}
END_TEST

START_TEST(test_corpus_put_names_by_sha1_and_never_overwrites) {
  char dir[] = "/tmp/synfin-corpus-XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  char sub[64];
  snprintf(sub, sizeof(sub), "%s/a/b", dir);
  char name[41], err[256], path[128];
  ck_assert_int_eq(
      sf_corpus_put(sub, (const uint8_t *)"abc", 3, name, err, sizeof(err)),
      SF_CORPUS_WRITTEN);
  ck_assert_str_eq(name, "a9993e364706816aba3e25717850c26c9cd0d89d");
  ck_assert_int_eq(
      sf_corpus_put(sub, (const uint8_t *)"abc", 3, name, err, sizeof(err)),
      SF_CORPUS_EXISTS);
  snprintf(path, sizeof(path), "%s/%s", sub, name);
  FILE *f = fopen(path, "wb");
  fputs("abd", f);
  fclose(f);
  ck_assert_int_eq(
      sf_corpus_put(sub, (const uint8_t *)"abc", 3, name, err, sizeof(err)),
      -EEXIST);
  ck_assert_ptr_nonnull(strstr(err, "not overwritten"));
  f = fopen(path, "rb");
  char back[8] = "";
  ck_assert_ptr_nonnull(fgets(back, sizeof(back), f));
  fclose(f);
  ck_assert_str_eq(back, "abd");
  unlink(path);
  snprintf(path, sizeof(path), "%s/a/b", dir);
  rmdir(path);
  snprintf(path, sizeof(path), "%s/a", dir);
  rmdir(path);
  rmdir(dir);
}
END_TEST

START_TEST(test_capture_gives_one_trace_per_connection_that_replays) {
  sf_capture c;
  char err[512];
  ck_assert_int_eq(sf_corpus_from_pcap(DATA_DIR "/linux-raw.pcap", false, &c,
                                       err, sizeof(err)),
                   0);
  ck_assert_uint_eq(c.n, 2);
  for (size_t i = 0; i < c.n; i++) {
    ck_assert_str_eq(c.conns[i].skip, "");
    ck_assert_uint_eq(c.conns[i].server_port, 8000);
    sf_cb_sort(&c.conns[i].trace);
    sf_cb_result res;
    ck_assert_int_eq(sf_cb_build(&c.conns[i].trace, &scn, &res), 0);
    ck_assert(!res.verdict.failed);
    ck_assert_uint_eq(scn.setup.start, SF_SCN_LISTEN);
  }
  sf_capture_free(&c);
}
END_TEST

START_TEST(test_capture_offloaded_segments_are_split_to_the_mss) {
  sf_capture c;
  char err[512];
  ck_assert_int_eq(sf_corpus_from_pcap(DATA_DIR "/linux-lo.pcapng", true, &c,
                                       err, sizeof(err)),
                   0);
  ck_assert_uint_gt(c.n, 0);
  ck_assert_uint_gt(c.conns[0].split, 0);
  for (size_t i = 0; i < c.conns[0].trace.n; i++)
    if (c.conns[0].trace.items[i].kind == SF_CB_SEGMENT)
      ck_assert_uint_le(c.conns[0].trace.items[i].len, 1460);
  sf_capture_free(&c);
}
END_TEST

START_TEST(test_capture_errors_name_the_file_and_the_byte) {
  sf_capture c;
  char err[512];
  char path[] = "/tmp/synfin-corpus-cut-XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  FILE *in = fopen(DATA_DIR "/linux-raw.pcap", "rb");
  uint8_t buf[400];
  ck_assert_uint_eq(fread(buf, 1, sizeof(buf), in), sizeof(buf));
  fclose(in);
  ck_assert_int_eq(write(fd, buf, sizeof(buf)), (int)sizeof(buf));
  close(fd);
  ck_assert_int_eq(sf_corpus_from_pcap(path, false, &c, err, sizeof(err)),
                   -EBADMSG);
  ck_assert_ptr_nonnull(strstr(err, path));
  ck_assert_ptr_nonnull(strstr(err, "byte 374: packet 5"));
  sf_capture_free(&c);
  unlink(path);
  ck_assert_int_eq(
      sf_corpus_from_pcap("/nonexistent/x.pcap", false, &c, err, sizeof(err)),
      -ENOENT);
  ck_assert_ptr_nonnull(strstr(err, "/nonexistent/x.pcap"));
  sf_capture_free(&c);
}
END_TEST

Suite *tu_suite(void) {
  Suite *s = suite_create("corpus_build");
  TCase *tc = tcase_create("corpus_build");
  tcase_add_test(tc,
                 test_passive_script_starts_at_the_listener_with_its_handshake);
  tcase_add_test(tc, test_inbound_segments_replay_at_the_scripts_numbers);
  tcase_add_test(tc, test_deltas_are_relative_to_rcv_nxt_and_snd_una);
  tcase_add_test(tc,
                 test_time_gaps_become_advance_events_and_calls_stay_in_order);
  tcase_add_test(tc, test_active_script_starts_in_syn_sent);
  tcase_add_test(tc, test_ts_ecr_echoes_the_stacks_real_tsval);
  tcase_add_test(tc, test_script_extensions_become_corruption_bits);
  tcase_add_test(tc, test_fragment_size_other_than_a_scenarios_is_noted);
  tcase_add_test(tc, test_icmp_errors_quote_the_stacks_own_segment);
  tcase_add_test(tc, test_sha1_matches_the_fips_vectors);
  tcase_add_test(tc, test_corpus_put_names_by_sha1_and_never_overwrites);
  tcase_add_test(tc, test_capture_gives_one_trace_per_connection_that_replays);
  tcase_add_test(tc, test_capture_offloaded_segments_are_split_to_the_mss);
  tcase_add_test(tc, test_capture_errors_name_the_file_and_the_byte);
  suite_add_tcase(s, tc);
  return s;
}
