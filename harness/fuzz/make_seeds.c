/* sf_make_seeds OUTDIR: writes hand-built seed inputs for the fuzz targets
 * (OUTDIR/tcp_scenario_fuzzer/NAME, OUTDIR/ip_packet_fuzzer/NAME,
 * OUTDIR/pcap_reader_fuzzer/NAME) and replays each scenario, printing the
 * TCP states it passes through; a scenario that breaks an oracle is
 * reported and makes the exit status 1. ci/make-seeds.sh names the files
 * by their SHA-1 under corpus/.
 *
 * The scenarios start from each start state and reach data transfer, FIN,
 * RST, SACK, zero windows and the timers (retransmission, delayed ACK,
 * persist, keep-alive, TIME-WAIT). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../util/pktbuild.h"
#include "synfin/bytes.h"
#include "synfin/checksum.h"
#include "synfin/scenario_run.h"

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10
#define TH_URG 0x20

#define ALL_OPTS                                                               \
  (SF_SCN_OPT_MSS | SF_SCN_OPT_SACK | SF_SCN_OPT_TS | SF_SCN_OPT_WSCALE)

static const char *outdir;
static sf_scenario S;
static sf_scn_runner *runner;
static uint8_t buf[1 << 20];
static int failures;

static void begin(uint8_t start, uint8_t syn_opts) {
  memset(&S.setup, 0, sizeof(S.setup));
  S.setup.start = start;
  S.setup.syn_opts = syn_opts;
  S.setup.peer_wscale = (syn_opts & SF_SCN_OPT_WSCALE) ? 7 : 0;
  S.setup.peer_win = (syn_opts & SF_SCN_OPT_WSCALE) ? 502 : 65535;
  S.n = 0;
}

static sf_scn_event *add(uint8_t kind) {
  sf_scn_event *e = &S.ev[S.n++];
  memset(e, 0, sizeof(*e));
  e->kind = kind;
  return e;
}

/* A segment; with the setup's TS option, NOP NOP TS with TSval one past
 * TS.Recent echoing the stack's last TSval. */
static sf_scn_segment *seg(uint8_t flags, int32_t seq, int32_t ack,
                           uint16_t len) {
  sf_scn_segment *g = &add(SF_SCN_SEGMENT)->seg;
  g->flags = flags;
  g->seq_delta = seq;
  g->ack_delta = ack;
  g->len = len;
  if (S.setup.syn_opts & SF_SCN_OPT_TS) {
    static const uint8_t ts[12] = {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0};
    memcpy(g->opt, ts, sizeof(ts));
    g->nopt = sizeof(ts);
  }
  return g;
}

/* A SACK block [left, right) relative to SND.UNA, after the options. */
static void sack(sf_scn_segment *g, int32_t left, int32_t right) {
  uint8_t *o = g->opt + g->nopt;
  o[0] = 1, o[1] = 1, o[2] = 5, o[3] = 10;
  sf_put32(o + 4, (uint32_t)left);
  sf_put32(o + 8, (uint32_t)right);
  g->nopt = (uint8_t)(g->nopt + 12);
}

static void advance(uint32_t us) {
  add(SF_SCN_ADVANCE)->advance_us = us;
}

static void timer(int times) {
  for (int i = 0; i < times; i++)
    add(SF_SCN_TIMER);
}

static void call(uint8_t op, uint16_t arg) {
  sf_scn_event *e = add(SF_SCN_CALL);
  e->call.op = op;
  e->call.arg = arg;
}

static void raw(uint8_t fix, const uint8_t *p, size_t len) {
  sf_scn_event *e = add(SF_SCN_RAW);
  e->raw.fix = fix;
  e->raw.len = (uint16_t)len;
  memcpy(e->raw.bytes, p, len);
}

static void write_file(const char *target, const char *name, const uint8_t *p,
                       size_t len) {
  char path[4096];
  snprintf(path, sizeof(path), "%s/%s", outdir, target);
  mkdir(path, 0777);
  snprintf(path, sizeof(path), "%s/%s/%s", outdir, target, name);
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(p, 1, len, f) != len || fclose(f) != 0) {
    fprintf(stderr, "sf_make_seeds: %s: %s\n", path, strerror(errno));
    exit(2);
  }
}

static void on_state(void *ctx, int old_state, int new_state, uint64_t t) {
  (void)old_state;
  (void)t;
  char *line = ctx;
  size_t n = strlen(line);
  snprintf(line + n, 512 - n, " %s", sf_tcp_state_name(new_state));
}

/* Writes the scenario and replays it. */
static void scenario(const char *name) {
  size_t len = sf_scn_encode(&S, buf, sizeof(buf));
  write_file("tcp_scenario_fuzzer", name, buf, len);
  sf_scenario *again = malloc(sizeof(*again));
  sf_scn_decode(buf, len, again);
  char line[512] = "";
  sf_scn_observer obs = {.state = on_state, .ctx = line};
  sf_scn_verdict v;
  sf_scn_run(runner, again, &obs, &v);
  free(again);
  printf("%-36s %3zu events:%s\n", name, S.n, line);
  if (v.failed) {
    printf("  synfin oracle %s: %s (event %zd)\n", v.oracle, v.message,
           v.event == SF_SCN_SETUP_EVENT ? (ssize_t)-1 : (ssize_t)v.event);
    failures++;
  }
}

static void tcp_scenarios(void) {
  /* passive open from LISTEN: handshake, data both ways, the peer's FIN,
   * our close (LAST-ACK, CLOSED) */
  begin(SF_SCN_LISTEN, ALL_OPTS);
  seg(TH_SYN, 0, 0, 0);
  seg(TH_ACK, 0, 1, 0);
  call(SF_SCN_ACCEPT, 0);
  seg(TH_PSH | TH_ACK, 0, 0, 1000);
  call(SF_SCN_READ, 1000);
  call(SF_SCN_WRITE, 300);
  seg(TH_ACK, 0, 300, 0);
  seg(TH_FIN | TH_ACK, 0, 0, 0);
  call(SF_SCN_READ, 10);
  call(SF_SCN_CLOSE, 0);
  seg(TH_ACK, 0, 1, 0);
  scenario("listen-handshake-data-fin");

  /* LISTEN: a SYN, then a RST back to LISTEN; a second SYN */
  begin(SF_SCN_LISTEN, SF_SCN_OPT_MSS);
  seg(TH_SYN, 0, 0, 0);
  seg(TH_RST, 0, 0, 0);
  seg(TH_SYN, 100, 0, 0); /* no connection: from the peer's ISN */
  timer(2);
  scenario("listen-syn-rst-syn");

  /* SYN-RECEIVED: the SYN-ACK retransmitted, then completed with data */
  begin(SF_SCN_SYN_RECEIVED, SF_SCN_OPT_MSS | SF_SCN_OPT_SACK);
  timer(1);
  seg(TH_ACK, 0, 1, 0);
  seg(TH_PSH | TH_ACK, 0, 0, 500);
  call(SF_SCN_ACCEPT, 0);
  call(SF_SCN_READ, 500);
  advance(40000);
  scenario("syn-received-retransmit-complete");

  /* ESTABLISHED: five full segments in order, delayed and quick ACKs */
  begin(SF_SCN_ESTABLISHED, ALL_OPTS);
  for (int i = 0; i < 5; i++)
    seg(TH_ACK | (i == 4 ? TH_PSH : 0), 0, 0, 1448);
  call(SF_SCN_READ, 8000);
  seg(TH_PSH | TH_ACK, 0, 0, 100);
  advance(40000);
  advance(200000);
  scenario("established-in-order-delayed-ack");

  /* ESTABLISHED: out of order, the stack SACKs; the hole filled */
  begin(SF_SCN_ESTABLISHED, ALL_OPTS);
  seg(TH_ACK, 1448, 0, 1448);
  seg(TH_ACK, 1448, 0, 1448); /* the same again: a D-SACK */
  seg(TH_ACK, 4344, 0, 1448);
  seg(TH_ACK, 0, 0, 1448);
  call(SF_SCN_READ, 8192);
  seg(TH_ACK, 0, 0, 1448);
  scenario("established-ooo-sack");

  /* ESTABLISHED with data in flight: the peer SACKs past a loss, three
   * duplicate ACKs trigger fast retransmit, then everything is acked */
  begin(SF_SCN_ESTABLISHED, SF_SCN_OPT_MSS | SF_SCN_OPT_SACK);
  S.setup.prefill = 8192;
  for (int i = 1; i <= 3; i++)
    sack(seg(TH_ACK, 0, 0, 0), 1460, 1460 * (i + 1));
  seg(TH_ACK, 0, 1460, 0);
  timer(1);
  seg(TH_ACK, 0, 8192, 0);
  scenario("established-sack-fast-retransmit");

  /* ESTABLISHED: retransmission timeouts with backoff, then the ACK */
  begin(SF_SCN_ESTABLISHED, SF_SCN_OPT_MSS);
  S.setup.prefill = 1460;
  timer(5);
  seg(TH_ACK, 0, 1460, 0);
  scenario("established-rto-backoff");

  /* the peer's zero window: persist probes, then a window update */
  begin(SF_SCN_ESTABLISHED, SF_SCN_OPT_MSS | SF_SCN_OPT_WSCALE);
  S.setup.peer_win = 0; /* 65535 in the SYN, 0 afterwards */
  S.setup.prefill = 8192;
  seg(TH_ACK, 0, 1460, 0);
  timer(4);
  seg(TH_ACK, 0, 1460, 0)->win = 100;
  timer(1);
  seg(TH_ACK, 0, 8192, 0)->win = 65535;
  scenario("established-peer-zero-window-probe");

  /* our zero window: a small receive buffer fills, the application reads,
   * the window opens again */
  begin(SF_SCN_ESTABLISHED, SF_SCN_OPT_MSS);
  S.setup.sock_flags = SF_SCN_SMALL_RCVBUF;
  for (int i = 0; i < 6; i++)
    seg(TH_ACK, 0, 0, 1000);
  timer(1);
  seg(TH_ACK, 0, 0, 0); /* a window probe */
  call(SF_SCN_READ, 8192);
  seg(TH_PSH | TH_ACK, 0, 0, 100);
  call(SF_SCN_READ, 100);
  scenario("established-own-zero-window");

  /* RST exactly at RCV.NXT closes; the application sees the reset */
  begin(SF_SCN_ESTABLISHED, SF_SCN_OPT_MSS);
  seg(TH_PSH | TH_ACK, 0, 0, 10);
  seg(TH_RST, 0, 0, 0); /* deltas are from RCV.NXT, past the data */
  call(SF_SCN_READ, 100);
  scenario("established-rst-exact");

  /* RFC 5961: a RST in the window but not exact and a SYN draw challenge
   * ACKs; a RST outside the window is dropped */
  begin(SF_SCN_ESTABLISHED, SF_SCN_OPT_MSS | SF_SCN_OPT_TS);
  seg(TH_RST, 100, 0, 0);
  seg(TH_RST | TH_ACK, -1, 0, 0);
  seg(TH_SYN, 0, 0, 0);
  seg(TH_SYN, -5, 0, 0);
  seg(TH_ACK, 0, 0, 0);
  scenario("established-rst-syn-challenge");

  /* urgent data both ways */
  begin(SF_SCN_ESTABLISHED, SF_SCN_OPT_MSS);
  seg(TH_URG | TH_PSH | TH_ACK, 0, 0, 10)->urg = 5;
  call(SF_SCN_READ, 100);
  call(SF_SCN_URGENT, 1);
  seg(TH_ACK, 0, 1, 0);
  scenario("established-urgent");

  /* timestamps: PAWS drops a segment with an old TSval */
  begin(SF_SCN_ESTABLISHED, ALL_OPTS);
  seg(TH_PSH | TH_ACK, 0, 0, 100);
  sf_scn_segment *g = seg(TH_PSH | TH_ACK, 0, 0, 100);
  sf_put32(g->opt + 4, 0x80000001u); /* TSval 2^31 - 1 behind */
  seg(TH_PSH | TH_ACK, 0, 0, 100);
  call(SF_SCN_READ, 1000);
  scenario("established-timestamps-paws");

  /* keep-alive probes after the idle time, answered, then unanswered */
  begin(SF_SCN_ESTABLISHED, SF_SCN_OPT_MSS);
  S.setup.sock_flags = SF_SCN_KEEPALIVE;
  advance(10000000);
  seg(TH_ACK, 0, 0, 0);
  timer(12);
  scenario("established-keepalive");

  /* segments in 8-byte fragments, in order and reversed; bad checksums,
   * a bad data offset */
  begin(SF_SCN_ESTABLISHED, SF_SCN_OPT_MSS);
  seg(TH_PSH | TH_ACK, 0, 0, 40)->corrupt = SF_SCN_FRAGMENT;
  seg(TH_PSH | TH_ACK, 0, 0, 40)->corrupt =
      SF_SCN_FRAGMENT | SF_SCN_FRAG_REVERSE;
  seg(TH_PSH | TH_ACK, 0, 0, 40)->corrupt = SF_SCN_BAD_TCP_CSUM;
  seg(TH_PSH | TH_ACK, 0, 0, 40)->corrupt = SF_SCN_BAD_IP_CSUM;
  g = seg(TH_PSH | TH_ACK, 0, 0, 40);
  g->corrupt = SF_SCN_BAD_DOFF;
  g->doff = 15;
  call(SF_SCN_READ, 1000);
  timer(1);
  scenario("established-fragments-bad-checksums");

  /* fragments that overlap their neighbours (the stack drops the datagram),
   * then the same data in plain fragments */
  begin(SF_SCN_ESTABLISHED, SF_SCN_OPT_MSS);
  seg(TH_PSH | TH_ACK, 0, 0, 40)->corrupt =
      SF_SCN_FRAGMENT | SF_SCN_FRAG_OVERLAP;
  seg(TH_PSH | TH_ACK, 0, 0, 40)->corrupt = SF_SCN_FRAGMENT;
  call(SF_SCN_READ, 1000);
  timer(1);
  scenario("established-fragments-overlapping");

  /* an ICMP "fragmentation needed" about our segment (raw, repaired by
   * post-processing), then the rest acknowledged */
  begin(SF_SCN_ESTABLISHED, SF_SCN_OPT_MSS);
  S.setup.prefill = 4000;
  {
    uint8_t p[56];
    memset(p, 0, sizeof(p));
    struct sf_tcp_pkt q = {.src = SF_SCN_LOCAL_ADDR,
                           .dst = SF_SCN_PEER_ADDR,
                           .sport = SF_SCN_PORT,
                           .dport = SF_SCN_PEER_PORT,
                           .flags = TH_ACK,
                           .df = true};
    sf_build_tcp(p + 28, 40, &q);
    p[0] = 0x45;
    p[8] = 64;
    p[9] = 1;
    sf_put32(p + 12, 0xc00002feu);
    sf_put32(p + 16, SF_SCN_LOCAL_ADDR);
    p[20] = 3, p[21] = 4;
    sf_put16(p + 26, 576);
    raw(SF_SCN_FIX_IP | SF_SCN_FIX_L4, p, sizeof(p));
  }
  timer(1);
  seg(TH_ACK, 0, 4000, 0);
  scenario("established-icmp-frag-needed");

  /* SO_LINGER {1, 0}: close sends a RST */
  begin(SF_SCN_ESTABLISHED, SF_SCN_OPT_MSS);
  seg(TH_PSH | TH_ACK, 0, 0, 10);
  call(SF_SCN_LINGER0, 0);
  call(SF_SCN_CLOSE, 0);
  seg(TH_ACK, 0, 0, 0);
  scenario("established-linger0-close-rst");

  /* shutdown(SHUT_RD), then data arrives */
  begin(SF_SCN_ESTABLISHED, SF_SCN_OPT_MSS);
  call(SF_SCN_SHUT_RD, 0);
  seg(TH_PSH | TH_ACK, 0, 0, 100);
  call(SF_SCN_READ, 100);
  seg(TH_FIN | TH_ACK, 0, 0, 0);
  scenario("established-shutdown-rd");

  /* SYN-SENT: the SYN retransmitted, then a SYN-ACK (SYN-SENT has no
   * RCV.NXT yet: the seq is the peer's ISN itself), data and a FIN */
  begin(SF_SCN_SYN_SENT, ALL_OPTS);
  timer(2);
  {
    sf_scn_segment *sa = seg(TH_SYN | TH_ACK, (int32_t)SF_SCN_PEER_ISN, 1, 0);
    /* SYN options with absolute values: MSS, SACK permitted, TS, WS */
    static const uint8_t o[20] = {2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0,
                                  0, 1, 0, 0,    0, 0, 1, 3,  3, 7};
    memcpy(sa->opt, o, sizeof(o));
    sa->nopt = sizeof(o);
    sa->win = 65535; /* never scaled in a SYN */
  }
  call(SF_SCN_WRITE, 2000);
  seg(TH_PSH | TH_ACK, 0, 2000, 700);
  call(SF_SCN_READ, 700);
  seg(TH_FIN | TH_ACK, 0, 0, 0);
  call(SF_SCN_CLOSE, 0);
  seg(TH_ACK, 0, 1, 0);
  scenario("syn-sent-synack-data-fin");

  /* SYN-SENT: simultaneous open (a bare SYN), then the ACK */
  begin(SF_SCN_SYN_SENT, SF_SCN_OPT_MSS);
  seg(TH_SYN, (int32_t)SF_SCN_PEER_ISN, 0, 0);
  seg(TH_ACK, 0, 1, 0);
  call(SF_SCN_WRITE, 100);
  seg(TH_ACK, 0, 100, 0);
  scenario("syn-sent-simultaneous-open");

  /* SYN-SENT: a RST with an acceptable ACK refuses the connection */
  begin(SF_SCN_SYN_SENT, SF_SCN_OPT_MSS);
  seg(TH_RST | TH_ACK, 0, 1, 0);
  call(SF_SCN_WRITE, 10);
  scenario("syn-sent-refused");

  /* active close from ESTABLISHED: FIN-WAIT-1, FIN-WAIT-2, TIME-WAIT for
   * 60 s (linux) */
  begin(SF_SCN_ACTIVE_ESTABLISHED, SF_SCN_OPT_MSS | SF_SCN_OPT_TS);
  call(SF_SCN_WRITE, 100);
  seg(TH_ACK, 0, 100, 0);
  call(SF_SCN_SHUT_WR, 0);
  seg(TH_ACK, 0, 1, 0);
  seg(TH_PSH | TH_ACK, 0, 0, 50);
  call(SF_SCN_READ, 50);
  seg(TH_FIN | TH_ACK, 0, 0, 0);
  advance(59999999);
  advance(2);
  scenario("active-close-time-wait-linux");

  /* the same with the rfc profile: TIME-WAIT is 2 MSL = 240 s; a
   * retransmitted FIN restarts it */
  begin(SF_SCN_ACTIVE_ESTABLISHED, SF_SCN_OPT_MSS);
  S.setup.profile = 1;
  call(SF_SCN_CLOSE, 0);
  seg(TH_FIN | TH_ACK, 0, 1, 0);
  advance(100000000);
  seg(TH_FIN | TH_ACK, -1, 1, 0);
  timer(1);
  scenario("active-close-time-wait-rfc");

  /* CLOSE-WAIT: we send, close, LAST-ACK, the final ACK */
  begin(SF_SCN_CLOSE_WAIT, SF_SCN_OPT_MSS);
  call(SF_SCN_READ, 10);
  call(SF_SCN_WRITE, 3000);
  seg(TH_ACK, 0, 1460, 0);
  call(SF_SCN_CLOSE, 0);
  timer(1);
  seg(TH_ACK, 0, 1541, 0);
  scenario("close-wait-last-ack");

  /* FIN-WAIT-1: simultaneous close (CLOSING), then TIME-WAIT and CLOSED */
  begin(SF_SCN_FIN_WAIT_1, SF_SCN_OPT_MSS);
  seg(TH_FIN | TH_ACK, 0, 0, 0);
  seg(TH_ACK, 0, 1, 0);
  timer(1);
  scenario("fin-wait-1-simultaneous-close");

  /* FIN-WAIT-1 with data queued behind the peer's zero window (from the
   * end of the handshake on): probes, then the orphan is given up */
  begin(SF_SCN_FIN_WAIT_1, SF_SCN_OPT_MSS | SF_SCN_OPT_SACK);
  S.setup.prefill = 3000;
  S.setup.peer_win = 0;
  timer(1);
  seg(TH_ACK, 0, 0, 0)->win = 1000;
  timer(3);
  scenario("fin-wait-1-zero-window-orphan");

  /* FIN-WAIT-1 with data in flight: acked in two steps, FIN-WAIT-2, the
   * peer's FIN, TIME-WAIT; then data to the closed socket draws a RST */
  begin(SF_SCN_FIN_WAIT_1, SF_SCN_OPT_MSS | SF_SCN_OPT_SACK);
  S.setup.prefill = 3000;
  seg(TH_ACK, 0, 1460, 0);
  seg(TH_ACK, 0, 1541, 0);
  seg(TH_FIN | TH_ACK, 0, 0, 0);
  timer(1);
  seg(TH_PSH | TH_ACK, 0, 0, 200);
  scenario("fin-wait-1-fin-wait-2-time-wait");
}

/* ---- ip_packet_fuzzer: [u16 length][datagram]... against a stack with
 * a listener and an established connection (the peer's ISN 1000000) ---- */

static size_t ip_len;

static void ip_add(const uint8_t *p, size_t len) {
  sf_put16(buf + ip_len, (uint16_t)len);
  memcpy(buf + ip_len + 2, p, len);
  ip_len += 2 + len;
}

static size_t tcp_dgram(uint8_t *p, uint16_t sport, uint32_t seq, uint8_t flags,
                        uint32_t len, const uint8_t *opts, uint8_t optlen) {
  static uint8_t payload[1500];
  for (uint32_t i = 0; i < len && i < sizeof(payload); i++)
    payload[i] = sf_scn_peer_byte(i);
  struct sf_tcp_pkt t = {.src = SF_SCN_PEER_ADDR,
                         .dst = SF_SCN_LOCAL_ADDR,
                         .sport = sport,
                         .dport = SF_SCN_PORT,
                         .seq = seq,
                         .flags = flags,
                         .win = 65535,
                         .opts = opts,
                         .optlen = optlen,
                         .payload = payload,
                         .len = len,
                         .ip_id = 7,
                         .df = true};
  return sf_build_tcp(p, 2048, &t);
}

static void ip_file(const char *name) {
  write_file("ip_packet_fuzzer", name, buf, ip_len);
  ip_len = 0;
}

static void icmp_dgram(uint8_t *p, size_t len, uint8_t type, uint8_t code) {
  p[0] = 0x45;
  sf_put16(p + 2, (uint16_t)len);
  p[8] = 64;
  p[9] = 1;
  sf_put32(p + 12, SF_SCN_PEER_ADDR);
  sf_put32(p + 16, SF_SCN_LOCAL_ADDR);
  sf_fix_ip_csum(p, len);
  p[20] = type;
  p[21] = code;
  sf_put16(p + 22, 0);
  sf_put16(p + 22, sf_csum(p + 20, len - 20));
}

static void ip_seeds(void) {
  uint8_t p[2048];
  static const uint8_t syn_opts[] = {2, 4, 5, 0xb4, 4, 2, 1, 3, 3, 7};
  const uint32_t rcv_nxt = SF_SCN_PEER_ISN + 1;

  /* data at RCV.NXT, out of order, and a FIN */
  ip_add(p, tcp_dgram(p, SF_SCN_PEER_PORT, rcv_nxt, TH_PSH | TH_ACK, 100, NULL,
                      0));
  ip_add(p,
         tcp_dgram(p, SF_SCN_PEER_PORT, rcv_nxt + 200, TH_ACK, 100, NULL, 0));
  ip_add(p, tcp_dgram(p, SF_SCN_PEER_PORT, rcv_nxt + 100, TH_FIN | TH_ACK, 100,
                      NULL, 0));
  ip_file("tcp-data-ooo-fin");

  /* a new connection from another port to the listener, one to a closed
   * port (RST), and a RST to the established one */
  ip_add(p, tcp_dgram(p, 40001, 5000, TH_SYN, 0, syn_opts, sizeof(syn_opts)));
  size_t n = tcp_dgram(p, 40002, 1, TH_SYN, 0, NULL, 0);
  sf_put16(p + 22, 9999);
  sf_fix_tcp_csum(p, n);
  ip_add(p, n);
  ip_add(p, tcp_dgram(p, SF_SCN_PEER_PORT, rcv_nxt, TH_RST, 0, NULL, 0));
  ip_file("tcp-syn-closed-port-rst");

  /* ICMP: echo request, fragmentation needed about the connection, port
   * unreachable */
  memset(p, 0, 64);
  icmp_dgram(p, 28 + 16, 8, 0);
  ip_add(p, 28 + 16);
  memset(p, 0, 64);
  {
    struct sf_tcp_pkt q = {.src = SF_SCN_LOCAL_ADDR,
                           .dst = SF_SCN_PEER_ADDR,
                           .sport = SF_SCN_PORT,
                           .dport = SF_SCN_PEER_PORT,
                           .flags = TH_ACK,
                           .df = true};
    sf_build_tcp(p + 28, 40, &q);
    sf_put16(p + 26, 576);
    icmp_dgram(p, 56, 3, 4);
    ip_add(p, 56);
    icmp_dgram(p, 56, 3, 3);
    ip_add(p, 56);
  }
  ip_file("icmp-echo-frag-needed-unreachable");

  /* a segment in two fragments, out of order, then overlapping ones */
  n = tcp_dgram(p, SF_SCN_PEER_PORT, rcv_nxt, TH_PSH | TH_ACK, 64, NULL, 0);
  uint8_t f[128];
  memcpy(f, p, 20);
  memcpy(f + 20, p + 60, n - 60);
  sf_put16(f + 2, (uint16_t)(n - 40));
  sf_put16(f + 6, 40 / 8);
  sf_fix_ip_csum(f, n - 40);
  ip_add(f, n - 40);
  memcpy(f, p, 60);
  sf_put16(f + 2, 60);
  sf_put16(f + 6, 0x2000);
  sf_fix_ip_csum(f, 60);
  ip_add(f, 60);
  memcpy(f, p, 20);
  memcpy(f + 20, p + 36, 24);
  sf_put16(f + 2, 44);
  sf_put16(f + 6, 0x2000 | 2); /* overlaps the first fragment */
  sf_fix_ip_csum(f, 44);
  ip_add(f, 44);
  ip_file("fragments-reordered-overlapping");

  /* IP options (NOP, NOP, RR), a UDP datagram, a bad IHL, a short one */
  n = tcp_dgram(p, SF_SCN_PEER_PORT, rcv_nxt, TH_ACK, 0, NULL, 0);
  memmove(p + 28, p + 20, n - 20);
  static const uint8_t ipopt[8] = {1, 1, 7, 3, 4, 0, 0, 0};
  memcpy(p + 20, ipopt, 8);
  p[0] = 0x47;
  sf_put16(p + 2, (uint16_t)(n + 8));
  sf_fix_ip_csum(p, n + 8);
  sf_fix_tcp_csum(p, n + 8);
  ip_add(p, n + 8);
  memset(p, 0, 40);
  p[0] = 0x45;
  sf_put16(p + 2, 36);
  p[8] = 64;
  p[9] = 17;
  sf_put32(p + 12, SF_SCN_PEER_ADDR);
  sf_put32(p + 16, SF_SCN_LOCAL_ADDR);
  sf_put16(p + 20, 5353);
  sf_put16(p + 22, 53);
  sf_put16(p + 24, 16);
  sf_fix_ip_csum(p, 36);
  ip_add(p, 36);
  n = tcp_dgram(p, SF_SCN_PEER_PORT, rcv_nxt, TH_ACK, 0, NULL, 0);
  p[0] = 0x4f;
  ip_add(p, n);
  ip_add(p, 12);
  ip_file("ip-options-udp-bad-ihl-short");

  /* TCP options on data: timestamps, SACK, an unknown kind, bad lengths */
  static const uint8_t opts[] = {1, 1,  8, 10, 0, 0, 0, 9, 0, 0, 0,   0, 1, 1,
                                 5, 10, 0, 0,  0, 0, 0, 0, 0, 1, 253, 4, 1, 2};
  ip_add(p, tcp_dgram(p, SF_SCN_PEER_PORT, rcv_nxt, TH_PSH | TH_ACK, 20, opts,
                      sizeof(opts)));
  static const uint8_t bad[] = {2, 0, 5, 180};
  ip_add(p, tcp_dgram(p, SF_SCN_PEER_PORT, rcv_nxt + 20, TH_ACK, 20, bad,
                      sizeof(bad)));
  ip_file("tcp-options-good-and-bad");
}

/* ---- pcap_reader_fuzzer: captures in the formats libpcap reads, beside
 * the runner's own (ci/make-seeds.sh copies those) ---- */

static void pcap_file(const char *name, bool swapped, bool nano,
                      uint32_t linktype, bool truncated) {
  uint8_t p[2048], out[4096];
  size_t n = 0;
  uint32_t magic = nano ? 0xa1b23c4du : 0xa1b2c3d4u;
  uint32_t hdr[6] = {magic, 2u | 4u << 16, 0, 0, 65535, linktype};
  /* fields in the file's byte order: little-endian, or big-endian */
  for (int i = 0; i < 6; i++) {
    uint32_t v = hdr[i];
    if (i == 1) { /* version major 2, minor 4, as two 16-bit fields */
      if (swapped)
        out[n] = 0, out[n + 1] = 2, out[n + 2] = 0, out[n + 3] = 4;
      else
        out[n] = 2, out[n + 1] = 0, out[n + 2] = 4, out[n + 3] = 0;
      n += 4;
      continue;
    }
    for (int b = 0; b < 4; b++)
      out[n++] = (uint8_t)(swapped ? v >> (24 - 8 * b) : v >> (8 * b));
  }
  for (int k = 0; k < 3; k++) {
    size_t len = tcp_dgram(p, SF_SCN_PEER_PORT, SF_SCN_PEER_ISN + 1 + 10 * k,
                           k ? TH_PSH | TH_ACK : TH_SYN, k ? 10 : 0, NULL, 0);
    size_t link = linktype == 1 ? 14 : 0;
    uint32_t caplen = (uint32_t)(len + link), wirelen = caplen;
    if (truncated && k == 2)
      caplen = 30;
    uint32_t rec[4] = {1700000000u + (uint32_t)k, nano ? 500000000u : 500000u,
                       caplen, wirelen};
    for (int i = 0; i < 4; i++)
      for (int b = 0; b < 4; b++)
        out[n++] =
            (uint8_t)(swapped ? rec[i] >> (24 - 8 * b) : rec[i] >> (8 * b));
    if (link) {
      static const uint8_t eth[14] = {2, 0, 0, 0, 0, 1,    2,
                                      0, 0, 0, 0, 2, 0x08, 0x00};
      memcpy(out + n, eth, 14);
      n += 14;
    }
    memcpy(out + n, p, caplen - link);
    n += caplen - link;
  }
  write_file("pcap_reader_fuzzer", name, out, n);
}

static void pcap_seeds(void) {
  pcap_file("ethernet-usec-le", false, false, 1, false);
  pcap_file("ipv4-usec-be", true, false, 228, false);
  pcap_file("raw-nsec-be-truncated", true, true, 101, true);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: sf_make_seeds OUTDIR\n");
    return 2;
  }
  outdir = argv[1];
  mkdir(outdir, 0777);
  if (sf_scn_runner_new(&runner) < 0)
    return 2;
  tcp_scenarios();
  ip_seeds();
  pcap_seeds();
  sf_scn_runner_free(runner);
  return failures ? 1 : 0;
}
