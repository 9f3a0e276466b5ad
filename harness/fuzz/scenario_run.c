/* Runs a scenario against the stack with the oracles of scenario_run.h.
 * The harness plays the peer: it resolves each segment's relative numbers
 * against the connection at injection time, fills payloads with the
 * peer's pattern, and watches every segment the stack emits. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/pktbuild.h"
#include "synfin/bytes.h"
#include "synfin/checksum.h"
#include "synfin/oracle.h"
#include "synfin/scenario_run.h"
#include "synfin/stack_config.h"

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_ACK 0x10

#define MAX_VIRTUAL_US (48ull * 3600 * 1000000) /* hang guard */

struct sf_scn_runner {
  sf_stack *st;
  const sf_scenario *s;
  const sf_scn_observer *obs;
  sf_scn_verdict *v;
  sf_oracle o; /* the oracles, and the connection under test (o.fd) */
  uint64_t now;
  int lfd;
  uint16_t ip_id;
  bool hashing; /* an observer watches: keep the trace hash */
  sf_trace_hash trace;
  uint8_t pkt[65536];
  uint8_t buf[65536];
};

static void on_output(void *ctx, const uint8_t *pkt, size_t len) {
  struct sf_scn_runner *r = ctx;
  uint64_t t = sf_stack_now(r->st);
  if (r->hashing)
    sf_trace_hash_packet(&r->trace, t, SF_DIR_OUT, pkt, len);
  if (r->obs && r->obs->packet)
    r->obs->packet(r->obs->ctx, SF_DIR_OUT, t, pkt, len);
  sf_oracle_outbound(&r->o, pkt, len);
}

static void on_event(void *ctx, const sf_event *ev) {
  struct sf_scn_runner *r = ctx;
  if (ev->kind == SF_EV_STATE && r->obs && r->obs->state)
    r->obs->state(r->obs->ctx, ev->old_state, ev->new_state,
                  sf_stack_now(r->st));
}

/* ---- the peer ---- */

/* TS values are stored relative to TS.Recent and to the stack's last
 * TSval; SACK edges relative to SND.UNA. */
static void resolve_options(struct sf_scn_runner *r, const sf_tcp_info *info,
                            uint8_t *o, uint8_t n) {
  for (uint8_t i = 0; i < n;) {
    if (o[i] <= 1) {
      i++;
      continue;
    }
    if (i + 1 >= n || o[i + 1] < 2 || i + o[i + 1] > n)
      return;
    uint8_t len = o[i + 1];
    if (o[i] == 8 && len == 10) {
      sf_put32(o + i + 2, info->ts_recent + sf_get32(o + i + 2));
      sf_put32(o + i + 6, r->o.ts_last + sf_get32(o + i + 6));
    } else if (o[i] == 5) {
      for (uint8_t k = 2; k + 4 <= len; k += 4)
        sf_put32(o + i + k, info->snd_una + sf_get32(o + i + k));
    }
    i += len;
  }
}

static void inject(struct sf_scn_runner *r, const uint8_t *pkt, size_t len) {
  if (r->hashing)
    sf_trace_hash_packet(&r->trace, r->now, SF_DIR_IN, pkt, len);
  if (r->obs && r->obs->packet)
    r->obs->packet(r->obs->ctx, SF_DIR_IN, r->now, pkt, len);
  sf_oracle_injecting(&r->o, true);
  sf_stack_input(r->st, r->now, pkt, len);
  sf_oracle_injecting(&r->o, false);
}

/* A wrong checksum, as the script runner writes one (`ip_csum bad`,
 * `tcp_csum bad`): the right one with 0x0f0f flipped. */
static void spoil(uint8_t *csum) {
  csum[0] ^= 0x0f;
  csum[1] ^= 0x0f;
}

/* Sends the datagram as fragments (SF_SCN_FRAGMENT). */
static void inject_fragments(struct sf_scn_runner *r, const uint8_t *dgram,
                             size_t len, uint8_t corrupt) {
  uint8_t frag[SF_SCN_FRAG_MAX];
  size_t n;
  for (size_t k = 0; (n = sf_scn_fragment(dgram, len, corrupt, k, frag)); k++)
    inject(r, frag, n);
}

static void send_segment(struct sf_scn_runner *r, const sf_scn_segment *g) {
  const sf_scn_setup *u = &r->s->setup;
  sf_tcp_info info;
  bool have = sf_oracle_connection(&r->o, &info);
  uint32_t seq = have ? info.rcv_nxt + (uint32_t)g->seq_delta
                      : r->o.peer_isn + (uint32_t)g->seq_delta;
  uint32_t ack = have
                     ? info.snd_una + (uint32_t)g->ack_delta
                     : (r->o.iss_known ? r->o.iss : 0) + (uint32_t)g->ack_delta;
  uint8_t opts[SF_SCN_MAX_OPTS];
  memcpy(opts, g->opt, g->nopt);
  if (have)
    resolve_options(r, &info, opts, g->nopt);
  /* the peer's bytes: a pattern of their offset in the stream the
   * connection synchronized on */
  struct sf_tcp_pkt p = {.src = SF_SCN_PEER_ADDR,
                         .dst = SF_SCN_LOCAL_ADDR,
                         .sport = SF_SCN_PEER_PORT,
                         .dport = r->o.lport,
                         .seq = seq,
                         .ack = ack,
                         .flags = g->flags,
                         .win = g->win ? g->win : u->peer_win,
                         .urp = g->urg,
                         .opts = opts,
                         .optlen = g->nopt,
                         .payload =
                             sf_oracle_peer_payload(&r->o, seq, g->flags),
                         .len = g->len,
                         .ip_id = r->ip_id++,
                         .df = true};
  size_t len = sf_build_tcp(r->pkt, sizeof(r->pkt), &p);
  if (!len)
    return;
  if (g->corrupt & SF_SCN_BAD_DOFF) {
    /* another data offset moves the line between options and data (the
     * oracle sees that the payload is no longer the peer's pattern) */
    r->pkt[32] = (uint8_t)(g->doff << 4);
    sf_fix_tcp_csum(r->pkt, len);
  }
  if (g->corrupt & SF_SCN_BAD_TCP_CSUM)
    spoil(r->pkt + 36);
  if (g->corrupt & SF_SCN_BAD_IP_CSUM)
    spoil(r->pkt + 10);
  if (r->obs && r->obs->segment) {
    sf_scn_inbound in = {.pkt = r->pkt,
                         .len = len,
                         .flags = g->flags,
                         .seq = seq,
                         .ack = ack,
                         .win = p.win,
                         .urg = g->urg,
                         .payload = g->len,
                         .corrupt = g->corrupt,
                         .doff = g->doff,
                         .opt = opts,
                         .nopt = g->nopt,
                         .ip_id = p.ip_id};
    r->obs->segment(r->obs->ctx, &in, r->now);
  }
  /* built from the pattern with right checksums, unless corrupted; another
   * data offset leaves the oracle to compare */
  if (g->corrupt & SF_SCN_BAD_DOFF) {
    sf_oracle_inbound(&r->o, r->pkt, len);
  } else {
    sf_oracle_built known = {
        .pattern = true,
        .csum_ok = !(g->corrupt & (SF_SCN_BAD_TCP_CSUM | SF_SCN_BAD_IP_CSUM))};
    sf_oracle_inbound_built(&r->o, r->pkt, len, &known);
  }
  if (g->corrupt & SF_SCN_FRAGMENT)
    inject_fragments(r, r->pkt, len, g->corrupt);
  else
    inject(r, r->pkt, len);
}

/* ---- the application ---- */

static void note_call(struct sf_scn_runner *r, const char *what, long rc) {
  if (r->obs && r->obs->call)
    r->obs->call(r->obs->ctx, what, rc, r->now);
}

/* A call that may send begins (what it sends comes before its report). */
static void note_begin(struct sf_scn_runner *r) {
  if (r->obs && r->obs->syscall_begin)
    r->obs->syscall_begin(r->obs->ctx, r->now);
}

/* The call as a line of script text, for repro traces and scripts. */
static void note_syscall(struct sf_scn_runner *r, long rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void note_syscall(struct sf_scn_runner *r, long rc, const char *fmt,
                         ...) {
  if (!r->obs || !r->obs->syscall)
    return;
  char text[200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof(text), fmt, ap);
  va_end(ap);
  r->obs->syscall(r->obs->ctx, text, rc, r->now);
}

/* Reads and writes never wait (MSG_DONTWAIT, which the stack takes for
 * what it does anyway), so that a script says the same. */
static void app_read(struct sf_scn_runner *r, size_t want) {
  int fd = r->o.fd;
  if (fd < 0)
    return;
  size_t n = want < sizeof(r->buf) ? want : sizeof(r->buf);
  note_begin(r);
  ssize_t got = sf_recv(r->st, fd, r->buf, n, MSG_DONTWAIT);
  note_call(r, "read", got);
  note_syscall(r, got, "recv(%d, ..., %zu, MSG_DONTWAIT)", fd, n);
  sf_oracle_read(&r->o, fd, r->buf, got);
}

static void app_write(struct sf_scn_runner *r, size_t n, int flags) {
  int fd = r->o.fd;
  if (fd < 0)
    return;
  if (n > SF_ORACLE_PATTERN_SPAN)
    n = SF_ORACLE_PATTERN_SPAN;
  const uint8_t *bytes = sf_oracle_write_begin(&r->o, fd, n);
  note_begin(r);
  ssize_t w = sf_send(r->st, fd, bytes, n, flags | MSG_DONTWAIT);
  sf_oracle_write_end(&r->o, fd, n, w);
  note_call(r, flags ? "send(MSG_OOB)" : "write", w);
  note_syscall(r, w, "send(%d, ..., %zu, %sMSG_DONTWAIT)", fd, n,
               flags ? "MSG_OOB|" : "");
}

static void app_call(struct sf_scn_runner *r, uint8_t op, uint16_t arg) {
  int rc, fd = r->o.fd;
  switch (op) {
  case SF_SCN_READ:
    app_read(r, arg ? arg : 1);
    break;
  case SF_SCN_WRITE:
    app_write(r, arg, 0);
    break;
  case SF_SCN_URGENT:
    app_write(r, arg ? arg : 1, MSG_OOB);
    break;
  case SF_SCN_SHUT_RD:
  case SF_SCN_SHUT_WR:
    if (fd >= 0) {
      int how = op == SF_SCN_SHUT_RD ? SHUT_RD : SHUT_WR;
      note_begin(r);
      rc = sf_shutdown(r->st, fd, how);
      sf_oracle_shutdown(&r->o, fd, how, rc);
      note_call(
          r, op == SF_SCN_SHUT_RD ? "shutdown(SHUT_RD)" : "shutdown(SHUT_WR)",
          rc);
      note_syscall(r, rc, "shutdown(%d, %s)", fd,
                   how == SHUT_RD ? "SHUT_RD" : "SHUT_WR");
    }
    break;
  case SF_SCN_CLOSE:
    if (fd >= 0) {
      note_begin(r);
      rc = sf_close(r->st, fd);
      note_call(r, "close", rc);
      note_syscall(r, rc, "close(%d)", fd);
      sf_oracle_closed(&r->o, fd);
    }
    break;
  case SF_SCN_ACCEPT:
    if (fd < 0 && r->lfd >= 0) {
      note_begin(r);
      rc = sf_accept(r->st, r->lfd, NULL, NULL);
      note_call(r, "accept", rc);
      note_syscall(r, rc, "accept(%d, ..., ...)", r->lfd);
      if (rc >= 0)
        sf_oracle_accepted(&r->o, rc);
    }
    break;
  case SF_SCN_LINGER0:
    if (fd >= 0) {
      struct linger l = {1, 0};
      note_begin(r);
      rc = sf_setsockopt(r->st, fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
      note_call(r, "setsockopt(SO_LINGER)", rc);
      note_syscall(r, rc,
                   "setsockopt(%d, SOL_SOCKET, SO_LINGER, {onoff=1, "
                   "linger=0}, %zu)",
                   fd, sizeof(l));
    }
    break;
  case SF_SCN_NODELAY_ON:
    if (fd >= 0) {
      int one = 1;
      note_begin(r);
      rc =
          sf_setsockopt(r->st, fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      note_call(r, "setsockopt(TCP_NODELAY)", rc);
      note_syscall(r, rc, "setsockopt(%d, IPPROTO_TCP, TCP_NODELAY, [1], %zu)",
                   fd, sizeof(one));
    }
    break;
  }
}

/* ---- setup ---- */

static size_t syn_options(const sf_scn_setup *u, uint8_t *o) {
  size_t n = 0;
  if (u->syn_opts & SF_SCN_OPT_MSS) {
    uint16_t mss = u->peer_mss ? u->peer_mss : 1460;
    o[n++] = 2, o[n++] = 4, o[n++] = (uint8_t)(mss >> 8), o[n++] = (uint8_t)mss;
  }
  if (u->syn_opts & SF_SCN_OPT_SACK)
    o[n++] = 1, o[n++] = 1, o[n++] = 4, o[n++] = 2;
  if (u->syn_opts & SF_SCN_OPT_TS) {
    o[n++] = 1, o[n++] = 1, o[n++] = 8, o[n++] = 10;
    memset(o + n, 0, 8);
    o[n + 3] = 1; /* TSval 1 */
    n += 8;
  }
  if (u->syn_opts & SF_SCN_OPT_WSCALE)
    o[n++] = 1, o[n++] = 3, o[n++] = 3, o[n++] = u->peer_wscale;
  return n;
}

static void peer_syn(struct sf_scn_runner *r, uint8_t flags) {
  sf_scn_segment g = {.flags = flags, .win = 0};
  g.nopt = (uint8_t)syn_options(&r->s->setup, g.opt);
  /* the setup's SYN carries absolute values: nothing to resolve */
  sf_tcp_info info;
  bool have = sf_oracle_connection(&r->o, &info);
  uint32_t ack = have ? info.snd_una + 1 : 0;
  struct sf_tcp_pkt p = {.src = SF_SCN_PEER_ADDR,
                         .dst = SF_SCN_LOCAL_ADDR,
                         .sport = SF_SCN_PEER_PORT,
                         .dport = r->o.lport,
                         .seq = r->o.peer_isn,
                         .ack = (flags & TH_ACK) ? ack : 0,
                         .flags = flags,
                         .win = r->s->setup.peer_win ? r->s->setup.peer_win
                                                     : 65535,
                         .opts = g.opt,
                         .optlen = g.nopt,
                         .ip_id = r->ip_id++,
                         .df = true};
  size_t len = sf_build_tcp(r->pkt, sizeof(r->pkt), &p);
  if (r->obs && r->obs->segment) {
    sf_scn_inbound in = {.pkt = r->pkt,
                         .len = len,
                         .flags = flags,
                         .seq = p.seq,
                         .ack = p.ack,
                         .win = p.win,
                         .opt = g.opt,
                         .nopt = g.nopt,
                         .ip_id = p.ip_id};
    r->obs->segment(r->obs->ctx, &in, r->now);
  }
  sf_oracle_built known = {.pattern = true, .csum_ok = true};
  sf_oracle_inbound_built(&r->o, r->pkt, len, &known);
  inject(r, r->pkt, len);
}

/* A setup segment at RCV.NXT acknowledging everything the stack sent. */
static void peer_simple(struct sf_scn_runner *r, uint8_t flags) {
  sf_scn_segment g = {.flags = flags};
  sf_tcp_info info;
  if (sf_oracle_connection(&r->o, &info))
    g.ack_delta = (int32_t)(info.snd_max - info.snd_una);
  if (r->s->setup.syn_opts & SF_SCN_OPT_TS) {
    /* NOP, NOP, TS: TSval one tick past TS.Recent, echoing the stack's */
    static const uint8_t ts[12] = {1, 1, 8, 10, 0, 0, 0, 1};
    memcpy(g.opt, ts, sizeof(ts));
    g.nopt = sizeof(ts);
  }
  send_segment(r, &g);
}

static void apply_sock_flags(struct sf_scn_runner *r, int fd) {
  const sf_scn_setup *u = &r->s->setup;
  int one = 1, small = 2048, idle = 10, rc;
  if (u->sock_flags & SF_SCN_NODELAY) {
    rc = sf_setsockopt(r->st, fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    note_syscall(r, rc, "setsockopt(%d, IPPROTO_TCP, TCP_NODELAY, [1], 4)", fd);
  }
  if (u->sock_flags & SF_SCN_KEEPALIVE) {
    rc = sf_setsockopt(r->st, fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
    note_syscall(r, rc, "setsockopt(%d, SOL_SOCKET, SO_KEEPALIVE, [1], 4)", fd);
    rc = sf_setsockopt(r->st, fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle,
                       sizeof(idle));
    note_syscall(r, rc, "setsockopt(%d, IPPROTO_TCP, TCP_KEEPIDLE, [%d], 4)",
                 fd, idle);
  }
  if (u->sock_flags & SF_SCN_SMALL_RCVBUF) {
    rc = sf_setsockopt(r->st, fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
    note_syscall(r, rc, "setsockopt(%d, SOL_SOCKET, SO_RCVBUF, [%d], 4)", fd,
                 small);
  }
  if (u->sock_flags & SF_SCN_SMALL_SNDBUF) {
    rc = sf_setsockopt(r->st, fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
    note_syscall(r, rc, "setsockopt(%d, SOL_SOCKET, SO_SNDBUF, [%d], 4)", fd,
                 small);
  }
}

static int setup(struct sf_scn_runner *r) {
  const sf_scn_setup *u = &r->s->setup;
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_port = htons(SF_SCN_PORT),
                          .sin_addr.s_addr = htonl(SF_SCN_LOCAL_ADDR)};
  bool active =
      u->start == SF_SCN_SYN_SENT || u->start == SF_SCN_ACTIVE_ESTABLISHED;
  if (active) {
    int fd = sf_socket(r->st, AF_INET, SOCK_STREAM, IPPROTO_TCP);
    note_syscall(r, fd, "socket(..., SOCK_STREAM, IPPROTO_TCP)");
    if (fd < 0)
      return -1;
    apply_sock_flags(r, fd);
    struct sockaddr_in b = {.sin_family = AF_INET,
                            .sin_port = htons(SF_SCN_PEER_PORT),
                            .sin_addr.s_addr = htonl(SF_SCN_PEER_ADDR)};
    note_begin(r);
    int rc = sf_connect(r->st, fd, (struct sockaddr *)&b, sizeof(b));
    note_syscall(r, rc,
                 "connect(%d, {sin_family=AF_INET, sin_port=htons(%d), "
                 "sin_addr=inet_addr(\"192.0.2.1\")}, %zu)",
                 fd, SF_SCN_PEER_PORT, sizeof(b));
    if (sf_oracle_connecting(&r->o, fd) < 0)
      return -1;
    if (u->start == SF_SCN_ACTIVE_ESTABLISHED) {
      peer_syn(r, TH_SYN | TH_ACK);
      sf_tcp_info info;
      if (!sf_oracle_connection(&r->o, &info) ||
          info.state != SF_TCP_ESTABLISHED)
        return -1;
    }
    return 0;
  }
  r->lfd = sf_socket(r->st, AF_INET, SOCK_STREAM, IPPROTO_TCP);
  note_syscall(r, r->lfd, "socket(..., SOCK_STREAM, IPPROTO_TCP)");
  if (r->lfd < 0)
    return -1;
  apply_sock_flags(r, r->lfd);
  int rc = sf_bind(r->st, r->lfd, (struct sockaddr *)&a, sizeof(a));
  note_syscall(r, rc, "bind(%d, ..., ...)", r->lfd);
  if (rc < 0)
    return -1;
  rc = sf_listen(r->st, r->lfd, 4);
  note_syscall(r, rc, "listen(%d, 4)", r->lfd);
  if (rc < 0)
    return -1;
  sf_oracle_listening(&r->o);
  if (u->start == SF_SCN_LISTEN)
    return 0;
  peer_syn(r, TH_SYN);
  if (u->start == SF_SCN_SYN_RECEIVED)
    return 0;
  peer_simple(r, TH_ACK);
  app_call(r, SF_SCN_ACCEPT, 0);
  if (r->o.fd < 0)
    return -1;
  if (u->prefill)
    app_write(r, u->prefill, 0);
  if (u->start == SF_SCN_CLOSE_WAIT)
    peer_simple(r, TH_FIN | TH_ACK);
  if (u->start == SF_SCN_FIN_WAIT_1)
    app_call(r, SF_SCN_CLOSE, 0);
  return 0;
}

/* ---- the run ---- */

int sf_scn_runner_new(sf_scn_runner **out) {
  struct sf_scn_runner *r = calloc(1, sizeof(*r));
  if (!r)
    return -ENOMEM;
  /* the script runner's stack, so that repro scripts replay exactly */
  sf_profile linux_profile;
  sf_profile_init(&linux_profile, SF_PROFILE_LINUX);
  sf_config cfg;
  sf_harness_stack_config(&cfg, &linux_profile, SF_SCN_LOCAL_ADDR,
                          SF_HARNESS_MTU, SF_HARNESS_SEED);
  cfg.output = on_output;
  cfg.output_ctx = r;
  cfg.event = on_event;
  cfg.event_ctx = r;
  int rc = sf_stack_new(&cfg, &r->st);
  if (rc < 0) {
    free(r);
    return rc;
  }
  *out = r;
  return 0;
}

void sf_scn_runner_free(sf_scn_runner *r) {
  if (!r)
    return;
  sf_stack_free(r->st);
  free(r);
}

sf_stack *sf_scn_runner_stack(sf_scn_runner *r) {
  return r->st;
}

uint64_t sf_scn_runner_trace_hash(const sf_scn_runner *r) {
  return r->hashing ? r->trace.h : 0;
}

static void advance_to(struct sf_scn_runner *r, uint64_t t) {
  if (t > MAX_VIRTUAL_US)
    t = MAX_VIRTUAL_US;
  if (t <= r->now)
    return;
  r->now = t;
  sf_stack_advance(r->st, t);
}

static void run_event(struct sf_scn_runner *r, const sf_scn_event *e) {
  switch (e->kind) {
  case SF_SCN_SEGMENT:
    send_segment(r, &e->seg);
    break;
  case SF_SCN_RAW:
    if (!e->raw.len)
      break; /* nothing to deliver (and no script line can say it) */
    sf_oracle_inbound(&r->o, e->raw.bytes, e->raw.len);
    inject(r, e->raw.bytes, e->raw.len);
    break;
  case SF_SCN_ADVANCE:
    advance_to(r, r->now + e->advance_us);
    break;
  case SF_SCN_TIMER: {
    uint64_t d = sf_stack_next_deadline(r->st);
    if (d != SF_TIME_NEVER)
      advance_to(r, d);
    break;
  }
  case SF_SCN_CALL:
    app_call(r, e->call.op, e->call.arg);
    break;
  }
}

void sf_scn_run(sf_scn_runner *r, const sf_scenario *s,
                const sf_scn_observer *obs, sf_scn_verdict *v) {
  sf_stack_reset(r->st);
  sf_profile p;
  sf_profile_init(&p, s->setup.profile ? SF_PROFILE_RFC : SF_PROFILE_LINUX);
  sf_stack_set_profile(r->st, &p);
  r->s = s;
  r->obs = obs;
  r->v = v;
  r->now = 0;
  r->lfd = -1;
  r->ip_id = 0;
  r->hashing = obs != NULL;
  sf_trace_hash_init(&r->trace);
  sf_oracle_reset(&r->o, r->st, v, SF_SCN_PEER_ISN + s->setup.seed);
  if (setup(r) < 0 && !v->failed)
    sf_oracle_violate(&r->o, "setup",
                      "the setup did not reach its start "
                      "state");
  for (size_t i = 0; i < s->n && !v->failed; i++) {
    sf_oracle_event(&r->o, i);
    if (obs && obs->event)
      obs->event(obs->ctx, i, &s->ev[i], r->now);
    run_event(r, &s->ev[i]);
    sf_oracle_check(&r->o);
  }
  /* the final check counts as the event after the last */
  sf_oracle_event(&r->o, s->n);
  if (!v->failed && obs && obs->event)
    obs->event(obs->ctx, s->n, NULL, r->now);
  sf_oracle_final(&r->o);
}
