/* The scenario player and the transcript comparison of `synfin diff`
 * (diff_play.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../util/pktbuild.h"
#include "diff_play.h"
#include "synfin/bytes.h"
#include "synfin/checksum.h"
#include "synfin/scenario_run.h"
#include "synfin/trace.h"

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_ACK 0x10

#define SEQ_LT(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
#define SEQ_GT(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) > 0)

#define SETUP_WAIT_US 200000 /* for an answer during the setup */
#define TAIL_US 300000       /* watched after the last event, by default */

struct player {
  sf_sut *sut;
  const sf_scenario *s;
  const sf_dp_options *o;
  sf_dp_transcript *t;
  bool realtime;
  uint32_t event;
  uint64_t t_base;   /* system time of scenario time 0 */
  uint64_t sched;    /* scenario time of the current event */
  uint64_t ev_start; /* system time the current event started */
  int lfd, fd;
  bool active;
  uint16_t lport;
  /* the peer's view */
  uint32_t peer_isn, syn_seq;
  bool conn, iss_known;
  uint32_t iss, rcv_nxt, snd_una, snd_max, ts_recent, ts_last;
  uint16_t ip_id;
  int rc;
  uint8_t pkt[65600];
  uint8_t data[65536];
};

static void fail(struct player *p, int rc, const char *fmt, const char *what) {
  if (p->rc)
    return;
  p->rc = rc;
  snprintf(p->t->error, sizeof(p->t->error), fmt, what);
}

/* ---- what the system sends ---- */

static bool ts_option(const uint8_t *o, size_t n, uint32_t *val,
                      uint32_t *ecr) {
  for (size_t i = 0; i < n;) {
    if (o[i] == 0)
      return false;
    if (o[i] == 1) {
      i++;
      continue;
    }
    if (i + 1 >= n || o[i + 1] < 2 || i + o[i + 1] > n)
      return false;
    if (o[i] == 8 && o[i + 1] == 10) {
      *val = sf_get32(o + i + 2);
      *ecr = sf_get32(o + i + 6);
      return true;
    }
    i += o[i + 1];
  }
  return false;
}

/* Learns from a segment of the connection under test: the ISN from a SYN,
 * RCV.NXT from an ACK, TS.Recent from a TSecr, the last TSval. */
static void observe(struct player *p, const uint8_t *b, size_t n) {
  if (n < 40 || (b[0] >> 4) != 4 || b[9] != 6)
    return;
  size_t hl = (size_t)(b[0] & 15) * 4;
  if (hl < 20 || n < hl + 20)
    return;
  const uint8_t *th = b + hl;
  if (sf_get32(b + 16) != SF_SCN_PEER_ADDR ||
      sf_get16(th + 2) != SF_SCN_PEER_PORT)
    return;
  uint8_t flags = th[13];
  if (p->lport && sf_get16(th) != p->lport)
    return;
  if (!p->lport && (flags & TH_SYN))
    p->lport = sf_get16(th);
  size_t doff = (size_t)(th[12] >> 4) * 4;
  if (doff < 20 || hl + doff > n)
    return;
  uint32_t seq = sf_get32(th + 4), ack = sf_get32(th + 8);
  uint32_t len = (uint32_t)(sf_get16(b + 2) - hl - doff);
  if (flags & TH_SYN) {
    if (!p->iss_known || seq != p->iss) {
      p->iss = seq;
      p->snd_una = seq;
      p->snd_max = seq + 1;
      if (!p->t->iss && !p->iss_known)
        p->t->iss = seq;
      p->iss_known = true;
    }
    p->conn = true;
    if (!(flags & TH_ACK))
      p->rcv_nxt = 0; /* SYN-SENT: nothing received yet */
  }
  if ((flags & TH_RST) && (flags & TH_ACK)) {
    p->conn = false; /* an abort */
    return;
  }
  if (flags & TH_RST)
    return;
  if (flags & TH_ACK)
    p->rcv_nxt = ack;
  uint32_t end = seq + len + !!(flags & TH_SYN) + !!(flags & TH_FIN);
  if (SEQ_GT(end, p->snd_max))
    p->snd_max = end;
  uint32_t val, ecr;
  if (ts_option(th + 20, doff - 20, &val, &ecr)) {
    p->ts_last = val;
    if (flags & TH_ACK)
      p->ts_recent = ecr;
  }
}

static void record(struct player *p, const uint8_t *b, size_t n,
                   uint64_t t_sys) {
  sf_dp_transcript *t = p->t;
  if (t->npkts == t->pkts_cap) {
    size_t cap = t->pkts_cap ? t->pkts_cap * 2 : 64;
    sf_dp_pkt *np = realloc(t->pkts, cap * sizeof(*np));
    if (!np) {
      fail(p, -ENOMEM, "%s", "out of memory");
      return;
    }
    t->pkts = np;
    t->pkts_cap = cap;
  }
  sf_dp_pkt *k = &t->pkts[t->npkts++];
  memset(k, 0, sizeof(*k));
  k->event = p->event;
  k->t_us = p->sched + (t_sys > p->ev_start ? t_sys - p->ev_start : 0);
  k->len = (uint32_t)n;
  k->hlen = (uint16_t)(n < SF_DP_HDR_MAX ? n : SF_DP_HDR_MAX);
  memcpy(k->hdr, b, k->hlen);
}

static void take(struct player *p) {
  static uint8_t b[65536];
  uint64_t t;
  long n;
  while ((n = p->sut->ops->recv(p->sut, b, sizeof(b), &t)) > 0) {
    observe(p, b, (size_t)n);
    record(p, b, (size_t)n, t);
  }
}

/* Lets time pass until the system time `until`, collecting packets. */
static void wait_until(struct player *p, uint64_t until) {
  for (int guard = 0; guard < 100000; guard++) {
    int rc = p->sut->ops->wait(p->sut, until);
    take(p);
    if (rc < 0) {
      fail(p, rc, "%s", "waiting for the system failed");
      return;
    }
    if (p->sut->ops->now(p->sut) >= until)
      return;
  }
}

/* Waits (up to SETUP_WAIT_US) for the system to answer. */
static void wait_answer(struct player *p) {
  size_t before = p->t->npkts;
  uint64_t end = p->sut->ops->now(p->sut) + SETUP_WAIT_US;
  while (p->t->npkts == before && p->sut->ops->now(p->sut) < end && !p->rc) {
    int rc = p->sut->ops->wait(p->sut, end);
    take(p);
    if (rc <= 0)
      break;
  }
}

/* ---- the application ---- */

static long sys(struct player *p, sf_call *c, uint8_t op, uint16_t arg) {
  sf_call_result r;
  memset(&r, 0, sizeof(r));
  int rc;
  for (int tries = 0;
       (rc = p->sut->ops->call(p->sut, c, &r)) == -EAGAIN && tries < 100;
       tries++)
    p->sut->ops->wait(p->sut, p->sut->ops->now(p->sut) + 1000);
  if (rc < 0) {
    r.ret = -1;
    r.err = -rc;
  }
  take(p);
  sf_dp_transcript *t = p->t;
  if (t->ncalls == t->calls_cap) {
    size_t cap = t->calls_cap ? t->calls_cap * 2 : 32;
    sf_dp_call *nc = realloc(t->calls, cap * sizeof(*nc));
    if (!nc) {
      fail(p, -ENOMEM, "%s", "out of memory");
      return -1;
    }
    t->calls = nc;
    t->calls_cap = cap;
  }
  t->calls[t->ncalls++] = (sf_dp_call){.event = p->event,
                                       .op = op,
                                       .arg = arg,
                                       .ret = r.ret,
                                       .err = r.ret < 0 ? r.err : 0};
  if (r.ret < 0)
    errno = r.err;
  return r.ret;
}

static long setsockopt_int(struct player *p, int fd, int level, int name, int v,
                           uint8_t op) {
  sf_call c = {.op = SF_OP_SETSOCKOPT, .fd = fd, .a = level, .b = name};
  memcpy(c.opt, &v, sizeof(v));
  c.optlen = sizeof(v);
  return sys(p, &c, op, (uint16_t)name);
}

static void nonblocking(struct player *p, int fd) {
  sf_call c = {
      .op = SF_OP_FCNTL, .fd = fd, .a = F_SETFL, .b = O_RDWR | O_NONBLOCK};
  sys(p, &c, 255, SF_OP_FCNTL);
}

static void sock_flags(struct player *p, int fd) {
  uint8_t f = p->s->setup.sock_flags;
  if (f & SF_SCN_NODELAY)
    setsockopt_int(p, fd, IPPROTO_TCP, TCP_NODELAY, 1, 255);
  if (f & SF_SCN_KEEPALIVE) {
    setsockopt_int(p, fd, SOL_SOCKET, SO_KEEPALIVE, 1, 255);
    setsockopt_int(p, fd, IPPROTO_TCP, TCP_KEEPIDLE, 10, 255);
  }
  if (f & SF_SCN_SMALL_RCVBUF)
    setsockopt_int(p, fd, SOL_SOCKET, SO_RCVBUF, 2048, 255);
  if (f & SF_SCN_SMALL_SNDBUF)
    setsockopt_int(p, fd, SOL_SOCKET, SO_SNDBUF, 2048, 255);
}

static void app_call(struct player *p, uint8_t op, uint16_t arg) {
  sf_call c = {.fd = p->fd};
  switch (op) {
  case SF_SCN_READ:
    if (p->fd < 0)
      return;
    c.op = SF_OP_RECV;
    c.len = arg ? arg : 1;
    c.a = MSG_DONTWAIT;
    sys(p, &c, op, arg);
    break;
  case SF_SCN_WRITE:
  case SF_SCN_URGENT:
    if (p->fd < 0)
      return;
    c.op = SF_OP_SEND;
    c.len = op == SF_SCN_URGENT && !arg ? 1 : arg;
    c.a = MSG_DONTWAIT | (op == SF_SCN_URGENT ? MSG_OOB : 0);
    sys(p, &c, op, arg);
    break;
  case SF_SCN_SHUT_RD:
  case SF_SCN_SHUT_WR:
    if (p->fd < 0)
      return;
    c.op = SF_OP_SHUTDOWN;
    c.a = op == SF_SCN_SHUT_RD ? SHUT_RD : SHUT_WR;
    sys(p, &c, op, arg);
    break;
  case SF_SCN_CLOSE:
    if (p->fd < 0)
      return;
    c.op = SF_OP_CLOSE;
    sys(p, &c, op, arg);
    p->fd = -1;
    break;
  case SF_SCN_ACCEPT: {
    if (p->fd >= 0 || p->lfd < 0)
      return;
    c.op = SF_OP_ACCEPT;
    c.fd = p->lfd;
    long fd = sys(p, &c, op, arg);
    if (fd >= 0) {
      p->fd = (int)fd;
      nonblocking(p, p->fd);
      p->peer_isn = p->syn_seq; /* the incarnation the listener took */
    }
    break;
  }
  case SF_SCN_LINGER0:
    if (p->fd >= 0) {
      struct linger l = {1, 0};
      c.op = SF_OP_SETSOCKOPT;
      c.a = SOL_SOCKET;
      c.b = SO_LINGER;
      memcpy(c.opt, &l, sizeof(l));
      c.optlen = sizeof(l);
      sys(p, &c, op, arg);
    }
    break;
  case SF_SCN_NODELAY_ON:
    if (p->fd >= 0)
      setsockopt_int(p, p->fd, IPPROTO_TCP, TCP_NODELAY, 1, op);
    break;
  default:
    break; /* SF_SCN_CONNECT: the runner does not play it either */
  }
}

/* ---- the peer ---- */

static void inject(struct player *p, const uint8_t *b, size_t n) {
  take(p);
  int rc = p->sut->ops->inject(p->sut, b, n);
  if (rc < 0 && rc != -EINVAL)
    fail(p, rc, "%s", "injecting a packet failed");
  take(p);
}

static void inject_fragments(struct player *p, const uint8_t *dgram, size_t len,
                             uint8_t corrupt) {
  uint8_t frag[SF_SCN_FRAG_MAX];
  size_t n;
  for (size_t k = 0; (n = sf_scn_fragment(dgram, len, corrupt, k, frag)); k++)
    inject(p, frag, n);
}

static void resolve_options(struct player *p, uint8_t *o, uint8_t n) {
  for (uint8_t i = 0; i < n;) {
    if (o[i] <= 1) {
      i++;
      continue;
    }
    if (i + 1 >= n || o[i + 1] < 2 || i + o[i + 1] > n)
      return;
    uint8_t len = o[i + 1];
    if (o[i] == 8 && len == 10) {
      sf_put32(o + i + 2, p->ts_recent + sf_get32(o + i + 2));
      sf_put32(o + i + 6, p->ts_last + sf_get32(o + i + 6));
    } else if (o[i] == 5) {
      for (uint8_t k = 2; k + 4 <= len; k += 4)
        sf_put32(o + i + k, p->snd_una + sf_get32(o + i + k));
    }
    i += len;
  }
}

/* Sends one segment with absolute numbers and learns what it means for
 * the system's state, assuming it is taken. */
static void send_abs(struct player *p, const sf_scn_segment *g, uint32_t seq,
                     uint32_t ack, const uint8_t *opts, uint16_t win) {
  uint32_t first = seq + !!(g->flags & TH_SYN) - p->peer_isn - 1;
  for (uint16_t i = 0; i < g->len; i++)
    p->data[i] = sf_scn_peer_byte((uint64_t)(uint32_t)(first + i));
  struct sf_tcp_pkt b = {.src = SF_SCN_PEER_ADDR,
                         .dst = SF_SCN_LOCAL_ADDR,
                         .sport = SF_SCN_PEER_PORT,
                         .dport = p->lport,
                         .seq = seq,
                         .ack = ack,
                         .flags = g->flags,
                         .win = win,
                         .urp = g->urg,
                         .opts = opts,
                         .optlen = g->nopt,
                         .payload = p->data,
                         .len = g->len,
                         .ttl = 64,
                         .ip_id = p->ip_id++,
                         .df = true};
  size_t len = sf_build_tcp(p->pkt, sizeof(p->pkt), &b);
  if (!len)
    return;
  if (g->corrupt & SF_SCN_BAD_DOFF) {
    p->pkt[32] = (uint8_t)(g->doff << 4);
    sf_fix_tcp_csum(p->pkt, len);
  }
  if (g->corrupt & SF_SCN_BAD_TCP_CSUM)
    p->pkt[36] ^= 0x5a;
  if (g->corrupt & SF_SCN_BAD_IP_CSUM)
    p->pkt[10] ^= 0x5a;
  bool valid = !(g->corrupt &
                 (SF_SCN_BAD_TCP_CSUM | SF_SCN_BAD_IP_CSUM | SF_SCN_BAD_DOFF));
  if (valid) {
    if ((g->flags & (TH_SYN | TH_ACK)) == TH_SYN)
      p->syn_seq = seq;
    if (p->conn && (g->flags & TH_ACK) && SEQ_GT(ack, p->snd_una) &&
        SEQ_LEQ(ack, p->snd_max))
      p->snd_una = ack;
    if (p->conn && (g->flags & TH_RST) && seq == p->rcv_nxt)
      p->conn = false;
    uint32_t end = seq + g->len + !!(g->flags & TH_SYN) + !!(g->flags & TH_FIN);
    if (p->conn && !(g->flags & (TH_RST | TH_SYN)) &&
        SEQ_LEQ(seq, p->rcv_nxt) && SEQ_GT(end, p->rcv_nxt)) {
      p->rcv_nxt = end;
      uint32_t val, ecr;
      if (ts_option(opts, g->nopt, &val, &ecr))
        p->ts_recent = val;
    }
  }
  if (g->corrupt & SF_SCN_FRAGMENT)
    inject_fragments(p, p->pkt, len, g->corrupt);
  else
    inject(p, p->pkt, len);
}

static void send_segment(struct player *p, const sf_scn_segment *g) {
  uint32_t seq = p->conn ? p->rcv_nxt + (uint32_t)g->seq_delta
                         : p->peer_isn + (uint32_t)g->seq_delta;
  uint32_t ack = p->conn ? p->snd_una + (uint32_t)g->ack_delta
                         : (p->iss_known ? p->iss : 0) + (uint32_t)g->ack_delta;
  uint8_t opts[SF_SCN_MAX_OPTS];
  memcpy(opts, g->opt, g->nopt);
  if (p->conn)
    resolve_options(p, opts, g->nopt);
  send_abs(p, g, seq, ack, opts, g->win ? g->win : p->s->setup.peer_win);
}

/* ---- setup, as scenario_run.c does it ---- */

static uint8_t syn_options(const sf_scn_setup *u, uint8_t *o) {
  uint8_t n = 0;
  if (u->syn_opts & SF_SCN_OPT_MSS) {
    uint16_t mss = u->peer_mss ? u->peer_mss : 1460;
    o[n++] = 2, o[n++] = 4, o[n++] = (uint8_t)(mss >> 8), o[n++] = (uint8_t)mss;
  }
  if (u->syn_opts & SF_SCN_OPT_SACK)
    o[n++] = 1, o[n++] = 1, o[n++] = 4, o[n++] = 2;
  if (u->syn_opts & SF_SCN_OPT_TS) {
    o[n++] = 1, o[n++] = 1, o[n++] = 8, o[n++] = 10;
    memset(o + n, 0, 8);
    o[n + 3] = 1;
    n += 8;
  }
  if (u->syn_opts & SF_SCN_OPT_WSCALE)
    o[n++] = 1, o[n++] = 3, o[n++] = 3, o[n++] = u->peer_wscale;
  return n;
}

static void peer_syn(struct player *p, uint8_t flags) {
  sf_scn_segment g = {.flags = flags};
  uint8_t opts[SF_SCN_MAX_OPTS];
  g.nopt = syn_options(&p->s->setup, opts);
  uint32_t ack = (flags & TH_ACK) ? p->snd_una + 1 : 0;
  uint16_t win = p->s->setup.peer_win ? p->s->setup.peer_win : 65535;
  send_abs(p, &g, p->peer_isn, ack, opts, win);
  wait_answer(p);
}

static void peer_simple(struct player *p, uint8_t flags) {
  sf_scn_segment g = {.flags = flags};
  if (p->conn)
    g.ack_delta = (int32_t)(p->snd_max - p->snd_una);
  if (p->s->setup.syn_opts & SF_SCN_OPT_TS) {
    static const uint8_t ts[12] = {1, 1, 8, 10, 0, 0, 0, 1};
    memcpy(g.opt, ts, sizeof(ts));
    g.nopt = sizeof(ts);
  }
  send_segment(p, &g);
  wait_answer(p);
}

static struct sockaddr_in inet(uint32_t addr, uint16_t port) {
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_port = htons(port),
                          .sin_addr.s_addr = htonl(addr)};
  return a;
}

static void setup(struct player *p) {
  const sf_scn_setup *u = &p->s->setup;
  sf_call c = {.op = SF_OP_SOCKET, .a = AF_INET, .b = SOCK_STREAM};
  p->active =
      u->start == SF_SCN_SYN_SENT || u->start == SF_SCN_ACTIVE_ESTABLISHED;
  long fd = sys(p, &c, 255, SF_OP_SOCKET);
  if (fd < 0) {
    fail(p, -EIO, "%s", "socket() failed");
    return;
  }
  nonblocking(p, (int)fd);
  sock_flags(p, (int)fd);
  if (p->active) {
    p->fd = (int)fd;
    p->lport = 0;
    c = (sf_call){.op = SF_OP_CONNECT, .fd = (int)fd};
    c.addr = inet(SF_SCN_PEER_ADDR, SF_SCN_PEER_PORT);
    sys(p, &c, 255, SF_OP_CONNECT);
    wait_answer(p);
    if (!p->lport) {
      fail(p, -EIO, "%s", "connect() sent no SYN");
      return;
    }
    if (u->start == SF_SCN_ACTIVE_ESTABLISHED)
      peer_syn(p, TH_SYN | TH_ACK);
    return;
  }
  p->lfd = (int)fd;
  p->lport = SF_SCN_PORT;
  setsockopt_int(p, p->lfd, SOL_SOCKET, SO_REUSEADDR, 1, 255);
  c = (sf_call){.op = SF_OP_BIND, .fd = p->lfd};
  c.addr = inet(SF_SCN_LOCAL_ADDR, SF_SCN_PORT);
  c.addr.sin_addr.s_addr = htonl(SF_SCN_LOCAL_ADDR);
  if (sys(p, &c, 255, SF_OP_BIND) < 0) {
    fail(p, -EIO, "%s", "bind(192.168.0.1:8080) failed");
    return;
  }
  c = (sf_call){.op = SF_OP_LISTEN, .fd = p->lfd, .a = 4};
  sys(p, &c, 255, SF_OP_LISTEN);
  if (u->start == SF_SCN_LISTEN)
    return;
  peer_syn(p, TH_SYN);
  if (u->start == SF_SCN_SYN_RECEIVED)
    return;
  peer_simple(p, TH_ACK);
  app_call(p, SF_SCN_ACCEPT, 0);
  if (p->fd < 0) {
    fail(p, -EIO, "%s", "the setup's handshake did not complete");
    return;
  }
  if (u->prefill)
    app_call(p, SF_SCN_WRITE, u->prefill);
  if (u->start == SF_SCN_CLOSE_WAIT)
    peer_simple(p, TH_FIN | TH_ACK);
  if (u->start == SF_SCN_FIN_WAIT_1)
    app_call(p, SF_SCN_CLOSE, 0);
}

/* ---- the play ---- */

uint64_t sf_dp_duration(const sf_scenario *s, const uint32_t *timer_us) {
  uint64_t d = 0;
  for (size_t i = 0; i < s->n; i++) {
    if (s->ev[i].kind == SF_SCN_ADVANCE)
      d += s->ev[i].advance_us;
    else if (s->ev[i].kind == SF_SCN_TIMER && timer_us)
      d += timer_us[i];
  }
  return d + TAIL_US;
}

static void settle(struct player *p) {
  if (p->realtime && p->o->settle_us)
    wait_until(p, p->sut->ops->now(p->sut) + p->o->settle_us);
}

int sf_dp_play(sf_sut *sut, const sf_scenario *s, const sf_dp_options *o,
               sf_dp_transcript *t) {
  memset(t, 0, sizeof(*t));
  struct player *p = calloc(1, sizeof(*p));
  if (!p) {
    snprintf(t->error, sizeof(t->error), "out of memory");
    return -ENOMEM;
  }
  p->sut = sut;
  p->s = s;
  p->o = o;
  p->t = t;
  p->realtime = sf_sut_stack_get(sut) == NULL;
  p->lfd = p->fd = -1;
  p->peer_isn = SF_SCN_PEER_ISN + s->setup.seed;
  p->syn_seq = p->peer_isn;
  p->ip_id = 1;
  p->event = SF_DP_SETUP;
  sut->ops->start(sut);
  p->ev_start = sut->ops->now(sut);
  setup(p);
  take(p);
  p->t_base = sut->ops->now(sut);
  for (size_t i = 0; i < s->n && !p->rc; i++) {
    const sf_scn_event *e = &s->ev[i];
    p->event = (uint32_t)i;
    wait_until(p, p->t_base + p->sched);
    p->ev_start = sut->ops->now(sut);
    switch (e->kind) {
    case SF_SCN_SEGMENT:
      send_segment(p, &e->seg);
      settle(p);
      break;
    case SF_SCN_RAW:
      inject(p, e->raw.bytes, e->raw.len);
      settle(p);
      break;
    case SF_SCN_ADVANCE:
      p->sched += e->advance_us;
      break;
    case SF_SCN_TIMER: {
      uint64_t wait = 0;
      if (o->timer_us) {
        wait = o->timer_us[i];
      } else {
        uint64_t d = sut->ops->next_deadline(sut);
        uint64_t now = sut->ops->now(sut);
        if (d != SF_TIME_NEVER && d > now)
          wait = d - now;
      }
      if (wait > UINT32_MAX)
        wait = UINT32_MAX;
      t->timer_us[i] = (uint32_t)wait;
      p->sched += wait;
      break;
    }
    case SF_SCN_CALL:
      app_call(p, e->call.op, e->call.arg);
      settle(p);
      break;
    }
    t->events = (uint32_t)i + 1;
  }
  if (!p->rc) {
    p->event = (uint32_t)s->n;
    wait_until(p, p->t_base + p->sched);
    p->ev_start = sut->ops->now(sut);
    t->end_us = p->sched;
    wait_until(p, p->ev_start + (o->tail_us ? o->tail_us : TAIL_US));
  }
  t->peer_isn = p->peer_isn;
  t->lport = p->lport;
  int rc = p->rc;
  free(p);
  return rc;
}

void sf_dp_free(sf_dp_transcript *t) {
  free(t->pkts);
  free(t->calls);
  t->pkts = NULL;
  t->calls = NULL;
  t->npkts = t->ncalls = 0;
}

/* ---- transcripts through a pipe ---- */

static int write_all(int fd, const void *buf, size_t n) {
  const uint8_t *b = buf;
  while (n) {
    ssize_t w = write(fd, b, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return w < 0 ? -errno : -EIO;
    b += w;
    n -= (size_t)w;
  }
  return 0;
}

static int read_all(int fd, void *buf, size_t n) {
  uint8_t *b = buf;
  while (n) {
    ssize_t r = read(fd, b, n);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return r < 0 ? -errno : -EPIPE;
    b += r;
    n -= (size_t)r;
  }
  return 0;
}

int sf_dp_send(int fd, const sf_dp_transcript *t) {
  sf_dp_transcript h = *t;
  h.pkts = NULL;
  h.calls = NULL;
  int rc = write_all(fd, &h, sizeof(h));
  if (rc == 0 && t->npkts)
    rc = write_all(fd, t->pkts, t->npkts * sizeof(*t->pkts));
  if (rc == 0 && t->ncalls)
    rc = write_all(fd, t->calls, t->ncalls * sizeof(*t->calls));
  return rc;
}

int sf_dp_receive(int fd, sf_dp_transcript *t) {
  memset(t, 0, sizeof(*t));
  int rc = read_all(fd, t, sizeof(*t));
  if (rc < 0)
    return rc;
  t->pkts = NULL;
  t->calls = NULL;
  if (t->npkts > (1u << 24) || t->ncalls > (1u << 24))
    return -EBADMSG;
  t->pkts_cap = t->npkts;
  t->calls_cap = t->ncalls;
  t->pkts = t->npkts ? malloc(t->npkts * sizeof(*t->pkts)) : NULL;
  t->calls = t->ncalls ? malloc(t->ncalls * sizeof(*t->calls)) : NULL;
  if ((t->npkts && !t->pkts) || (t->ncalls && !t->calls)) {
    sf_dp_free(t);
    return -ENOMEM;
  }
  rc = read_all(fd, t->pkts, t->npkts * sizeof(*t->pkts));
  if (rc == 0)
    rc = read_all(fd, t->calls, t->ncalls * sizeof(*t->calls));
  if (rc < 0)
    sf_dp_free(t);
  return rc;
}

/* ---- comparing ---- */

/* A packet with what the profile allows to differ taken out. */
struct norm {
  bool tcp, ours;
  uint8_t proto;
  uint8_t flags;
  uint32_t seq, ack, len;
  uint64_t kinds; /* option kinds present, NOP and EOL aside */
  uint16_t mss;
  uint8_t nsack;
  uint32_t sack[8];
  char text[256];
};

static void normalise(const sf_dp_pkt *k, const sf_dp_transcript *t,
                      struct norm *n) {
  memset(n, 0, sizeof(*n));
  sf_pkt_view v;
  sf_pkt_decode(k->hdr, k->hlen, &v);
  sf_pkt_fmt f = {.dir = SF_DIR_OUT,
                  .relative = true,
                  .out_isn = t->iss,
                  .in_isn = t->peer_isn};
  sf_pkt_format(&v, &f, n->text, sizeof(n->text));
  n->proto = v.ip_ok ? v.ip.proto : 0;
  if (v.l4 != SF_PKT_L4_TCP)
    return;
  n->tcp = true;
  n->ours = v.tcp.dport == SF_SCN_PEER_PORT && v.tcp.sport == t->lport;
  n->flags = (uint8_t)v.tcp.flags;
  n->seq = v.tcp.seq - t->iss;
  n->ack = (v.tcp.flags & SF_TCP_ACK) ? v.tcp.ack - t->peer_isn : 0;
  n->len = (uint32_t)v.tcp.payload_len;
  for (size_t i = 0; i < v.tcp.n_options; i++) {
    const sf_pkt_tcp_option *o = &v.tcp.options[i];
    if (o->kind <= 1)
      continue;
    n->kinds |= 1ull << (o->kind < 63 ? o->kind : 63);
    if (o->kind == SF_TCPOPT_MSS && o->valid)
      n->mss = o->mss;
    if (o->kind == SF_TCPOPT_SACK && o->valid)
      for (uint8_t s = 0; s < o->n_sack && n->nsack < 8; s++) {
        n->sack[n->nsack++] = o->sack[s].left - t->peer_isn;
        n->sack[n->nsack++] = o->sack[s].right - t->peer_isn;
      }
  }
}

static void describe_event(const sf_scenario *s, uint32_t ev, char *buf,
                           size_t cap) {
  static const char *const ops[SF_SCN_OP_COUNT] = {
      "read",        "write",        "shutdown(SHUT_RD)", "shutdown(SHUT_WR)",
      "close",       "accept",       "connect",           "SO_LINGER {1, 0}",
      "TCP_NODELAY", "send(MSG_OOB)"};
  if (ev == SF_DP_SETUP) {
    snprintf(buf, cap, "setup");
    return;
  }
  if (ev >= s->n) {
    snprintf(buf, cap, "after the last event");
    return;
  }
  const sf_scn_event *e = &s->ev[ev];
  switch (e->kind) {
  case SF_SCN_SEGMENT: {
    static const char letters[] = "FSRP.UEW";
    char f[10];
    size_t k = 0;
    for (int i = 0; i < 8; i++)
      if (e->seg.flags & (1u << i))
        f[k++] = letters[i];
    if (!k)
      f[k++] = '-';
    f[k] = '\0';
    snprintf(buf, cap, "event %u: < %s seq RCV.NXT%+d ack SND.UNA%+d len %u",
             ev, f, e->seg.seq_delta, e->seg.ack_delta, e->seg.len);
    break;
  }
  case SF_SCN_RAW:
    snprintf(buf, cap, "event %u: raw datagram of %u bytes", ev, e->raw.len);
    break;
  case SF_SCN_ADVANCE:
    snprintf(buf, cap, "event %u: +%u us", ev, e->advance_us);
    break;
  case SF_SCN_TIMER:
    snprintf(buf, cap, "event %u: until the next timer", ev);
    break;
  case SF_SCN_CALL:
    snprintf(buf, cap, "event %u: %s(%u)", ev,
             ops[e->call.op % SF_SCN_OP_COUNT], e->call.arg);
    break;
  default:
    snprintf(buf, cap, "event %u", ev);
  }
}

static void flags_text(uint8_t f, char *out) {
  static const char letters[] = "FSRPUEW";
  static const uint8_t bits[] = {0x01, 0x02, 0x04, 0x08, 0x20, 0x40, 0x80};
  size_t n = 0;
  for (size_t i = 0; i < sizeof(bits); i++)
    if (f & bits[i])
      out[n++] = letters[i];
  if (f & 0x10)
    out[n++] = '.';
  if (!n)
    out[n++] = '-';
  out[n] = '\0';
}

/* What differs between two normalised packets, as "flags P. vs ., len
 * ..."; empty when nothing does. */
static void what_differs(const struct norm *a, const struct norm *b, char *buf,
                         size_t cap) {
  size_t n = 0;
  buf[0] = '\0';
#define ADD(...)                                                               \
  do {                                                                         \
    if (n < cap)                                                               \
      n += (size_t)snprintf(buf + n, cap - n, "%s", n ? ", " : "");            \
    if (n < cap)                                                               \
      n += (size_t)snprintf(buf + n, cap - n, __VA_ARGS__);                    \
  } while (0)
  if (a->tcp != b->tcp || a->proto != b->proto) {
    ADD("protocol %u vs %u", a->proto, b->proto);
    return;
  }
  if (!a->tcp)
    return;
  if (a->ours != b->ours)
    ADD("%s vs %s", a->ours ? "the connection" : "another port",
        b->ours ? "the connection" : "another port");
  if (a->flags != b->flags) {
    char fa[10], fb[10];
    flags_text(a->flags, fa);
    flags_text(b->flags, fb);
    ADD("flags %s vs %s", fa, fb);
  }
  if (!a->ours || !b->ours)
    return;
  /* a RST's numbers follow from what it answers; still compared */
  if (a->seq != b->seq)
    ADD("seq %u vs %u", a->seq, b->seq);
  if ((a->flags & TH_ACK) && (b->flags & TH_ACK) && a->ack != b->ack)
    ADD("ack %u vs %u", a->ack, b->ack);
  if (a->len != b->len)
    ADD("data %u vs %u bytes", a->len, b->len);
  if (a->kinds != b->kinds)
    ADD("option sets differ");
  else if (a->mss != b->mss)
    ADD("mss %u vs %u", a->mss, b->mss);
  if (a->kinds == b->kinds &&
      (a->nsack != b->nsack ||
       memcmp(a->sack, b->sack, a->nsack * sizeof(a->sack[0])) != 0))
    ADD("SACK blocks differ");
#undef ADD
}

/* The scenario time at which an event was played. */
static uint64_t event_time(const sf_scenario *s, uint32_t ev,
                           const sf_dp_transcript *t) {
  if (ev == SF_DP_SETUP)
    return 0;
  uint64_t at = 0;
  for (size_t i = 0; i < s->n && i < ev; i++) {
    if (s->ev[i].kind == SF_SCN_ADVANCE)
      at += s->ev[i].advance_us;
    else if (s->ev[i].kind == SF_SCN_TIMER)
      at += t->timer_us[i];
  }
  return at;
}

static void call_text(const sf_dp_call *c, char *buf, size_t cap) {
  if (c->ret >= 0)
    snprintf(buf, cap, "%ld", c->ret);
  else
    snprintf(buf, cap, "-1 %s", strerror(c->err));
}

size_t sf_dp_diff(const sf_scenario *s, const sf_dp_transcript *a,
                  const sf_dp_transcript *b, const sf_dp_compare *c,
                  FILE *out) {
  size_t diffs = 0, shown = 0;
  char ev[160], what[256];
#define REPORT(...)                                                            \
  do {                                                                         \
    if (++diffs <= c->max_diffs) {                                             \
      shown++;                                                                 \
      fprintf(out, __VA_ARGS__);                                               \
    }                                                                          \
  } while (0)
  if (a->error[0] || b->error[0]) {
    if (strcmp(a->error, b->error) != 0)
      REPORT("  the play stopped: stack: %s; linux: %s\n",
             a->error[0] ? a->error : "went on",
             b->error[0] ? b->error : "went on");
  }
  /* calls: matched by event and order */
  size_t i = 0, j = 0;
  while (i < a->ncalls || j < b->ncalls) {
    const sf_dp_call *x = i < a->ncalls ? &a->calls[i] : NULL;
    const sf_dp_call *y = j < b->ncalls ? &b->calls[j] : NULL;
    if (x && y && x->event == y->event && x->op == y->op) {
      /* descriptor numbers differ (the kernel's process has more open) */
      bool fd =
          x->op == SF_SCN_ACCEPT || (x->op == 255 && (x->arg == SF_OP_SOCKET));
      bool differ = fd ? (x->ret >= 0) != (y->ret >= 0) || x->err != y->err
                       : x->ret != y->ret || x->err != y->err;
      if (differ) {
        char tx[64], ty[64];
        call_text(x, tx, sizeof(tx));
        call_text(y, ty, sizeof(ty));
        describe_event(s, x->event, ev, sizeof(ev));
        REPORT("  %s: the call returned %s on the stack, %s on linux\n", ev, tx,
               ty);
      }
      i++, j++;
      continue;
    }
    bool take_x = x && (!y || x->event <= y->event);
    const sf_dp_call *z = take_x ? x : y;
    describe_event(s, z->event, ev, sizeof(ev));
    REPORT("  %s: only %s made call %u\n", ev, take_x ? "the stack" : "linux",
           z->op);
    if (take_x)
      i++;
    else
      j++;
  }
  /* packets: in order */
  size_t n = a->npkts > b->npkts ? a->npkts : b->npkts;
  for (size_t k = 0; k < n; k++) {
    const sf_dp_pkt *x = k < a->npkts ? &a->pkts[k] : NULL;
    const sf_dp_pkt *y = k < b->npkts ? &b->pkts[k] : NULL;
    struct norm nx, ny;
    if (x)
      normalise(x, a, &nx);
    if (y)
      normalise(y, b, &ny);
    if (!x || !y) {
      const sf_dp_pkt *z = x ? x : y;
      /* sent at the end of the watch: the other side may yet send it */
      uint32_t tail = c->tail_us ? c->tail_us : TAIL_US;
      if (z->event >= s->n &&
          z->t_us + c->tolerance_us > (x ? a : b)->end_us + tail)
        continue;
      describe_event(s, z->event, ev, sizeof(ev));
      REPORT("  %s: packet %zu: only %s sent it\n    %-6s +%.6f %s\n", ev,
             k + 1, x ? "the stack" : "linux", x ? "stack" : "linux",
             (double)z->t_us / 1e6, x ? nx.text : ny.text);
      continue;
    }
    what_differs(&nx, &ny, what, sizeof(what));
    uint64_t dt = x->t_us > y->t_us ? x->t_us - y->t_us : y->t_us - x->t_us;
    uint64_t since = x->t_us - event_time(s, x->event, a);
    if (!what[0] && dt > c->tolerance_us + since * c->tolerance_pct / 100)
      snprintf(what, sizeof(what), "sent %.3f s %s", (double)dt / 1e6,
               x->t_us < y->t_us ? "later by linux" : "later by the stack");
    if (!what[0])
      continue;
    describe_event(s, x->event, ev, sizeof(ev));
    REPORT("  %s: packet %zu: %s\n    stack  +%.6f %s\n    linux  +%.6f %s\n",
           ev, k + 1, what, (double)x->t_us / 1e6, nx.text,
           (double)y->t_us / 1e6, ny.text);
  }
  if (diffs > shown)
    fprintf(out, "  ... %zu more differences not shown\n", diffs - shown);
#undef REPORT
  return diffs;
}
