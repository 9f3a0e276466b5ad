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
#include "synfin/scenario_run.h"

#define SEQ_LT(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
#define SEQ_GT(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) > 0)

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_ACK 0x10

#define MAX_PACKETS_PER_EVENT 20000
#define MAX_VIRTUAL_US (48ull * 3600 * 1000000) /* hang guard */
#define BUF_CAPACITY (64 * 1024)

struct sf_scn_runner {
  sf_stack *st;
  const sf_scenario *s;
  const sf_scn_observer *obs;
  sf_scn_verdict *v;
  size_t event;
  uint64_t now;
  /* the connection under test */
  int lfd, fd;
  uint16_t lport; /* the stack's port */
  bool reset_seen, shut_rd;
  /* the peer's view */
  uint32_t peer_isn, peer_max;
  uint32_t peer_syn_end[8]; /* ends of the peer's recent SYNs */
  uint8_t peer_syns;
  bool peer_started;
  uint8_t last_in_flags;
  uint32_t last_in_ack;
  bool injecting;
  uint16_t ip_id;
  /* the stack's side, as seen on the wire */
  bool iss_known, fin_seen;
  uint32_t iss, fin_seq, ts_last;
  uint64_t app_written, app_read;
  uint32_t packets_this_event;
  uint8_t pkt[65536];
  uint8_t buf[65536];
};

static void violate(struct sf_scn_runner *r, const char *oracle,
                    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void violate(struct sf_scn_runner *r, const char *oracle,
                    const char *fmt, ...) {
  sf_scn_verdict *v = r->v;
  if (v->failed)
    return;
  v->failed = true;
  v->oracle = oracle;
  v->event = r->event;
  v->t_us = r->now;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(v->message, sizeof(v->message), fmt, ap);
  va_end(ap);
}

/* ---- the wire oracle ---- */

/* RFC 9293 3.1: options well formed (MUST-68), only zeros after EOL
 * (MUST-69), MSS only in SYNs (MUST-65). */
static void check_options(struct sf_scn_runner *r, const uint8_t *o,
                          size_t n, uint8_t flags) {
  for (size_t i = 0; i < n;) {
    uint8_t kind = o[i];
    if (kind == 0) {
      for (size_t k = i; k < n; k++)
        if (o[k])
          violate(r, "wire", "non-zero byte after EOL in the options");
      return;
    }
    if (kind == 1) {
      i++;
      continue;
    }
    if (i + 1 >= n || o[i + 1] < 2 || i + o[i + 1] > n) {
      violate(r, "wire", "malformed option kind %u", kind);
      return;
    }
    uint8_t len = o[i + 1];
    static const uint8_t want[9] = {0, 0, 4, 3, 2, 0, 0, 0, 10};
    if (kind < 9 && want[kind] && want[kind] != len)
      violate(r, "wire", "option kind %u with length %u", kind, len);
    if (kind == 5 && (len < 10 || (len - 2) % 8))
      violate(r, "wire", "SACK option of length %u", len);
    if ((kind == 2 || kind == 3 || kind == 4) && !(flags & TH_SYN))
      violate(r, "wire", "option kind %u in a segment without SYN", kind);
    if (kind == 8)
      r->ts_last = sf_get32(o + i + 2);
    i += len;
  }
}

static void check_sequence(struct sf_scn_runner *r, const uint8_t *th,
                           uint32_t len) {
  uint8_t flags = th[13];
  uint32_t seq = sf_get32(th + 4), ack = sf_get32(th + 8);
  if ((flags & TH_SYN) && (!r->iss_known || seq != r->iss)) {
    /* a connection of its own (after a reset or TIME-WAIT): its stream
     * starts again */
    r->iss = seq;
    r->iss_known = true;
    r->fin_seen = false;
    r->app_written = 0;
  }
  if ((flags & TH_RST) && r->injecting && (r->last_in_flags & TH_RST))
    violate(r, "wire", "RST sent in answer to a RST");
  if ((flags & TH_RST) && seq == 0 && r->injecting &&
      !(r->last_in_flags & TH_ACK))
    return; /* RFC 9293 3.10.7.1: <SEQ=0><ACK=SEG.SEQ+SEG.LEN> */
  if ((flags & TH_RST) && !(flags & TH_ACK)) {
    /* RFC 9293 3.10.7.1: <SEQ=SEG.ACK><CTL=RST> */
    if (r->injecting && (r->last_in_flags & TH_ACK) && seq != r->last_in_ack)
      violate(r, "wire", "RST seq %u is not the offending ack %u", seq,
              r->last_in_ack);
    return;
  }
  if ((flags & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK)) {
    /* a SYN-ACK acknowledges exactly the peer's last SYN; the peer's
     * sequence space starts again there */
    bool known = false;
    for (uint8_t i = 0; i < r->peer_syns && i < 8; i++)
      known |= r->peer_syn_end[i] == ack;
    if (r->peer_syns && !known)
      violate(r, "wire", "SYN-ACK acknowledges %u, not the end of a SYN the "
                         "peer sent",
              ack - r->peer_isn);
    r->peer_max = ack;
    r->peer_started = true;
  } else if ((flags & TH_ACK) && r->peer_started &&
             SEQ_GT(ack, r->peer_max))
    violate(r, "wire", "ack %u beyond what the peer sent (%u)",
            ack - r->peer_isn, r->peer_max - r->peer_isn);
  if (!r->iss_known)
    return;
  uint32_t end = seq + len + !!(flags & TH_SYN) + !!(flags & TH_FIN);
  uint32_t limit = r->iss + 1 + (uint32_t)r->app_written + 1;
  if (SEQ_LT(seq, r->iss) || SEQ_GT(end, limit))
    violate(r, "wire", "segment %u:%u outside the send space (ISS..%u)",
            seq - r->iss, end - r->iss, limit - r->iss);
  if (r->fin_seen && SEQ_GT(end, r->fin_seq + 1))
    violate(r, "wire", "sequence space used after our FIN at %u",
            r->fin_seq - r->iss);
  if (flags & TH_FIN) {
    if (r->fin_seen && seq + len != r->fin_seq)
      violate(r, "wire", "a second FIN at %u after one at %u",
              seq + len - r->iss, r->fin_seq - r->iss);
    r->fin_seen = true;
    r->fin_seq = seq + len;
  }
  /* what the application wrote, byte for byte */
  const uint8_t *data = th + (th[12] >> 4) * 4;
  uint32_t off = seq + !!(flags & TH_SYN) - r->iss - 1;
  for (uint32_t i = 0; i < len; i++) {
    if (data[i] != sf_scn_app_byte((uint64_t)off + i)) {
      violate(r, "wire", "payload byte %u is %02x, the application wrote %02x",
              off + i, data[i], sf_scn_app_byte((uint64_t)off + i));
      return;
    }
  }
}

static void wire_check(struct sf_scn_runner *r, const uint8_t *p,
                       size_t len) {
  if (len < 20 || (p[0] >> 4) != 4 || (p[0] & 15) != 5 ||
      sf_get16(p + 2) != len) {
    violate(r, "wire", "malformed IPv4 header (%zu bytes)", len);
    return;
  }
  if (sf_csum(p, 20) != 0)
    violate(r, "wire", "bad IPv4 header checksum");
  if (sf_get32(p + 12) != SF_SCN_LOCAL_ADDR)
    violate(r, "wire", "source address is not ours");
  const uint8_t *th = p + 20;
  size_t tl = len - 20;
  if (p[9] == 1) {
    if (tl < 8 || sf_csum(th, tl) != 0)
      violate(r, "wire", "bad ICMP message");
    return;
  }
  if (p[9] != 6) {
    violate(r, "wire", "protocol %u sent", p[9]);
    return;
  }
  size_t doff = (size_t)(th[12] >> 4) * 4;
  if (tl < 20 || doff < 20 || doff > tl) {
    violate(r, "wire", "malformed TCP header");
    return;
  }
  uint32_t sum = sf_csum_pseudo(sf_get32(p + 12), sf_get32(p + 16), 6,
                                (uint32_t)tl);
  if (sf_csum_fold(sf_csum_partial(sum, th, tl)) != 0)
    violate(r, "wire", "bad TCP checksum");
  check_options(r, th + 20, doff - 20, th[13]);
  if (sf_get16(th) == r->lport && sf_get16(th + 2) == SF_SCN_PEER_PORT &&
      sf_get32(p + 16) == SF_SCN_PEER_ADDR)
    check_sequence(r, th, (uint32_t)(tl - doff));
}

static void on_output(void *ctx, const uint8_t *pkt, size_t len) {
  struct sf_scn_runner *r = ctx;
  uint64_t t = sf_stack_now(r->st);
  if (r->obs && r->obs->packet)
    r->obs->packet(r->obs->ctx, SF_DIR_OUT, t, pkt, len);
  if (++r->packets_this_event == MAX_PACKETS_PER_EVENT)
    violate(r, "hang", "%u packets in answer to one event",
            MAX_PACKETS_PER_EVENT);
  wire_check(r, pkt, len);
}

static void on_event(void *ctx, const sf_event *ev) {
  struct sf_scn_runner *r = ctx;
  if (ev->kind == SF_EV_STATE && r->obs && r->obs->state)
    r->obs->state(r->obs->ctx, ev->old_state, ev->new_state,
                  sf_stack_now(r->st));
}

/* ---- the peer ---- */

struct conn_find {
  uint16_t lport;
  bool found;
  sf_tcp_info info;
};

static void find_visit(void *ctx, int fd, const sf_tcp_info *info) {
  struct conn_find *f = ctx;
  (void)fd;
  if (info->state != SF_TCP_LISTEN && info->remote_port == SF_SCN_PEER_PORT &&
      info->local_port == f->lport && !f->found) {
    f->found = true;
    f->info = *info;
  }
}

static bool connection(struct sf_scn_runner *r, sf_tcp_info *info) {
  struct conn_find f = {.lport = r->lport};
  sf_stack_each_conn(r->st, find_visit, &f);
  if (f.found)
    *info = f.info;
  return f.found;
}

/* The peer's sequence space grows with what it sends; a jump of more than
 * 2^30 is not "sent" (no window is that large). */
static void peer_sent(struct sf_scn_runner *r, uint32_t end) {
  if (!r->peer_started) {
    r->peer_started = true;
    r->peer_max = end;
  } else if (SEQ_GT(end, r->peer_max) && end - r->peer_max < (1u << 30)) {
    r->peer_max = end;
  }
}

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
      sf_put32(o + i + 6, r->ts_last + sf_get32(o + i + 6));
    } else if (o[i] == 5) {
      for (uint8_t k = 2; k + 4 <= len; k += 4)
        sf_put32(o + i + k, info->snd_una + sf_get32(o + i + k));
    }
    i += len;
  }
}

static void inject(struct sf_scn_runner *r, const uint8_t *pkt, size_t len) {
  if (r->obs && r->obs->packet)
    r->obs->packet(r->obs->ctx, SF_DIR_IN, r->now, pkt, len);
  r->injecting = true;
  sf_stack_input(r->st, r->now, pkt, len);
  r->injecting = false;
}

/* Sends the datagram as 8-byte fragments (SF_SCN_FRAGMENT). */
static void inject_fragments(struct sf_scn_runner *r, uint8_t *dgram,
                             size_t len, uint8_t corrupt) {
  bool reverse = corrupt & SF_SCN_FRAG_REVERSE;
  size_t payload = len - 20, count = (payload + 7) / 8;
  uint8_t frag[28];
  for (size_t k = 0; k < count; k++) {
    size_t i = reverse ? count - 1 - k : k, off = i * 8;
    size_t n = payload - off < 8 ? payload - off : 8;
    memcpy(frag, dgram, 20);
    memcpy(frag + 20, dgram + 20 + off, n);
    sf_put16(frag + 2, (uint16_t)(20 + n));
    sf_put16(frag + 6, (uint16_t)(off / 8 | (i + 1 < count ? 0x2000 : 0)));
    sf_fix_ip_csum(frag, 20 + n);
    if (corrupt & SF_SCN_BAD_IP_CSUM)
      frag[10] ^= 0x5a;
    inject(r, frag, 20 + n);
  }
}

static void send_segment(struct sf_scn_runner *r, const sf_scn_segment *g) {
  const sf_scn_setup *u = &r->s->setup;
  sf_tcp_info info;
  bool have = connection(r, &info);
  uint32_t seq = have ? info.rcv_nxt + (uint32_t)g->seq_delta
                      : r->peer_isn + (uint32_t)g->seq_delta;
  uint32_t ack = have ? info.snd_una + (uint32_t)g->ack_delta
                      : (r->iss_known ? r->iss : 0) + (uint32_t)g->ack_delta;
  uint8_t opts[SF_SCN_MAX_OPTS];
  memcpy(opts, g->opt, g->nopt);
  if (have)
    resolve_options(r, &info, opts, g->nopt);
  /* the peer's bytes: a pattern of their stream offset */
  uint32_t first = seq + !!(g->flags & TH_SYN) - r->peer_isn - 1;
  for (uint16_t i = 0; i < g->len; i++)
    r->buf[i] = sf_scn_peer_byte((uint64_t)(uint32_t)(first + i));
  struct sf_tcp_pkt p = {.src = SF_SCN_PEER_ADDR,
                         .dst = SF_SCN_LOCAL_ADDR,
                         .sport = SF_SCN_PEER_PORT,
                         .dport = r->lport,
                         .seq = seq,
                         .ack = ack,
                         .flags = g->flags,
                         .win = g->win ? g->win : u->peer_win,
                         .urp = g->urg,
                         .opts = opts,
                         .optlen = g->nopt,
                         .payload = r->buf,
                         .len = g->len,
                         .ip_id = r->ip_id++,
                         .df = true};
  size_t len = sf_build_tcp(r->pkt, sizeof(r->pkt), &p);
  if (!len)
    return;
  if (g->corrupt & SF_SCN_BAD_DOFF) {
    r->pkt[32] = (uint8_t)(g->doff << 4);
    sf_fix_tcp_csum(r->pkt, len);
  }
  if (g->corrupt & SF_SCN_BAD_TCP_CSUM)
    r->pkt[36] ^= 0x5a;
  if (g->corrupt & SF_SCN_BAD_IP_CSUM)
    r->pkt[10] ^= 0x5a;
  r->last_in_flags = g->flags;
  r->last_in_ack = ack;
  if (!(g->corrupt & (SF_SCN_BAD_TCP_CSUM | SF_SCN_BAD_IP_CSUM))) {
    peer_sent(r, seq + g->len + !!(g->flags & TH_SYN) +
                     !!(g->flags & TH_FIN));
    if (g->flags & TH_SYN)
      r->peer_syn_end[r->peer_syns++ % 8] = seq + 1;
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

static void app_read(struct sf_scn_runner *r, size_t want, int flags) {
  if (r->fd < 0)
    return;
  size_t n = want < sizeof(r->buf) ? want : sizeof(r->buf);
  ssize_t got = sf_recv(r->st, r->fd, r->buf, n, flags | MSG_DONTWAIT);
  note_call(r, "read", got);
  if (got < 0) {
    if (got == -ECONNRESET)
      r->reset_seen = true;
    return;
  }
  for (ssize_t i = 0; i < got; i++) {
    uint8_t want_b = sf_scn_peer_byte(r->app_read + (uint64_t)i);
    if (r->buf[i] != want_b) {
      violate(r, "app",
              "byte %llu read as %02x, the peer sent %02x there",
              (unsigned long long)(r->app_read + (uint64_t)i), r->buf[i],
              want_b);
      return;
    }
  }
  r->app_read += (uint64_t)got;
}

static void app_write(struct sf_scn_runner *r, size_t n, int flags) {
  if (r->fd < 0)
    return;
  if (n > sizeof(r->buf))
    n = sizeof(r->buf);
  for (size_t i = 0; i < n; i++)
    r->buf[i] = sf_scn_app_byte(r->app_written + i);
  /* the stack may send during the call: count the bytes first */
  uint64_t before = r->app_written;
  r->app_written += n;
  ssize_t w = sf_send(r->st, r->fd, r->buf, n, flags);
  note_call(r, flags ? "send(MSG_OOB)" : "write", w);
  r->app_written = before + (w > 0 ? (uint64_t)w : 0);
}

static void app_call(struct sf_scn_runner *r, uint8_t op, uint16_t arg) {
  int rc;
  switch (op) {
  case SF_SCN_READ:
    app_read(r, arg ? arg : 1, 0);
    break;
  case SF_SCN_WRITE:
    app_write(r, arg, 0);
    break;
  case SF_SCN_URGENT:
    app_write(r, arg ? arg : 1, MSG_OOB);
    break;
  case SF_SCN_SHUT_RD:
  case SF_SCN_SHUT_WR:
    if (r->fd >= 0) {
      rc = sf_shutdown(r->st, r->fd,
                       op == SF_SCN_SHUT_RD ? SHUT_RD : SHUT_WR);
      r->shut_rd |= op == SF_SCN_SHUT_RD && rc == 0;
      note_call(r, op == SF_SCN_SHUT_RD ? "shutdown(SHUT_RD)"
                                        : "shutdown(SHUT_WR)",
                rc);
    }
    break;
  case SF_SCN_CLOSE:
    if (r->fd >= 0) {
      note_call(r, "close", sf_close(r->st, r->fd));
      r->fd = -1;
    }
    break;
  case SF_SCN_ACCEPT:
    if (r->fd < 0 && r->lfd >= 0) {
      rc = sf_accept(r->st, r->lfd, NULL, NULL);
      note_call(r, "accept", rc);
      if (rc >= 0) {
        sf_tcp_info info;
        r->fd = rc;
        if (sf_tcp_get_info(r->st, rc, &info) == 0 &&
            info.irs != r->peer_isn) {
          /* a new incarnation: the peer's stream starts again */
          r->peer_isn = info.irs;
          r->app_read = 0;
        }
      }
    }
    break;
  case SF_SCN_LINGER0:
    if (r->fd >= 0) {
      struct linger l = {1, 0};
      note_call(r, "setsockopt(SO_LINGER)",
                sf_setsockopt(r->st, r->fd, SOL_SOCKET, SO_LINGER, &l,
                              sizeof(l)));
    }
    break;
  case SF_SCN_NODELAY_ON:
    if (r->fd >= 0) {
      int one = 1;
      note_call(r, "setsockopt(TCP_NODELAY)",
                sf_setsockopt(r->st, r->fd, IPPROTO_TCP, TCP_NODELAY, &one,
                              sizeof(one)));
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
  bool have = connection(r, &info);
  uint32_t ack = have ? info.snd_una + 1 : 0;
  struct sf_tcp_pkt p = {.src = SF_SCN_PEER_ADDR,
                         .dst = SF_SCN_LOCAL_ADDR,
                         .sport = SF_SCN_PEER_PORT,
                         .dport = r->lport,
                         .seq = r->peer_isn,
                         .ack = (flags & TH_ACK) ? ack : 0,
                         .flags = flags,
                         .win = r->s->setup.peer_win ? r->s->setup.peer_win
                                                     : 65535,
                         .opts = g.opt,
                         .optlen = g.nopt,
                         .ip_id = r->ip_id++,
                         .df = true};
  size_t len = sf_build_tcp(r->pkt, sizeof(r->pkt), &p);
  r->last_in_flags = flags;
  peer_sent(r, r->peer_isn + 1);
  r->peer_syn_end[r->peer_syns++ % 8] = r->peer_isn + 1;
  inject(r, r->pkt, len);
}

/* A setup segment at RCV.NXT acknowledging everything the stack sent. */
static void peer_simple(struct sf_scn_runner *r, uint8_t flags) {
  sf_scn_segment g = {.flags = flags};
  sf_tcp_info info;
  if (connection(r, &info))
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
  int one = 1, small = 2048;
  if (u->sock_flags & SF_SCN_NODELAY)
    sf_setsockopt(r->st, fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (u->sock_flags & SF_SCN_KEEPALIVE) {
    int idle = 10;
    sf_setsockopt(r->st, fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
    sf_setsockopt(r->st, fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
  }
  if (u->sock_flags & SF_SCN_SMALL_RCVBUF)
    sf_setsockopt(r->st, fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
  if (u->sock_flags & SF_SCN_SMALL_SNDBUF)
    sf_setsockopt(r->st, fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
}

static int setup(struct sf_scn_runner *r) {
  const sf_scn_setup *u = &r->s->setup;
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_port = htons(SF_SCN_PORT),
                          .sin_addr.s_addr = htonl(SF_SCN_LOCAL_ADDR)};
  bool active = u->start == SF_SCN_SYN_SENT ||
                u->start == SF_SCN_ACTIVE_ESTABLISHED;
  if (active) {
    r->fd = sf_socket(r->st, AF_INET, SOCK_STREAM, 0);
    apply_sock_flags(r, r->fd);
    struct sockaddr_in b = {.sin_family = AF_INET,
                            .sin_port = htons(SF_SCN_PEER_PORT),
                            .sin_addr.s_addr = htonl(SF_SCN_PEER_ADDR)};
    sf_connect(r->st, r->fd, (struct sockaddr *)&b, sizeof(b));
    struct sockaddr_in me;
    socklen_t ml = sizeof(me);
    if (sf_getsockname(r->st, r->fd, (struct sockaddr *)&me, &ml) < 0)
      return -1;
    r->lport = ntohs(me.sin_port);
    if (u->start == SF_SCN_ACTIVE_ESTABLISHED) {
      peer_syn(r, TH_SYN | TH_ACK);
      sf_tcp_info info;
      if (!connection(r, &info) || info.state != SF_TCP_ESTABLISHED)
        return -1;
    }
    return 0;
  }
  r->lfd = sf_socket(r->st, AF_INET, SOCK_STREAM, 0);
  apply_sock_flags(r, r->lfd);
  if (sf_bind(r->st, r->lfd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
      sf_listen(r->st, r->lfd, 4) < 0)
    return -1;
  if (u->start == SF_SCN_LISTEN)
    return 0;
  peer_syn(r, TH_SYN);
  if (u->start == SF_SCN_SYN_RECEIVED)
    return 0;
  peer_simple(r, TH_ACK);
  r->fd = sf_accept(r->st, r->lfd, NULL, NULL);
  if (r->fd < 0)
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
  sf_config cfg;
  sf_config_default(&cfg, SF_PROFILE_LINUX);
  cfg.max_sockets = 4;
  cfg.buf_capacity = BUF_CAPACITY;
  cfg.reass_slots = 2;
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
    r->last_in_flags = 0;
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

static bool fin_received(int state) {
  return state == SF_TCP_CLOSE_WAIT || state == SF_TCP_LAST_ACK ||
         state == SF_TCP_CLOSING || state == SF_TCP_TIME_WAIT;
}

/* The end: every in-order byte the stack acknowledged must be readable
 * (nothing lost), unless the connection was reset or reading was shut. */
static void final_read(struct sf_scn_runner *r) {
  sf_tcp_info info;
  if (r->fd < 0 || r->reset_seen || r->shut_rd)
    return;
  for (int guard = 0; guard < 64 && !r->v->failed; guard++) {
    uint64_t before = r->app_read;
    app_read(r, sizeof(r->buf), 0);
    if (r->app_read == before)
      break;
  }
  if (r->v->failed || r->reset_seen ||
      sf_tcp_get_info(r->st, r->fd, &info) < 0 ||
      info.state < SF_TCP_ESTABLISHED || info.irs != r->peer_isn)
    return;
  uint64_t acked = (uint32_t)(info.rcv_nxt - info.irs - 1) -
                   (fin_received(info.state) ? 1u : 0u);
  if (r->app_read != acked)
    violate(r, "app", "%llu bytes acknowledged in order, %llu read",
            (unsigned long long)acked, (unsigned long long)r->app_read);
}

void sf_scn_run(sf_scn_runner *r, const sf_scenario *s,
                const sf_scn_observer *obs, sf_scn_verdict *v) {
  memset(v, 0, sizeof(*v));
  sf_stack_reset(r->st);
  sf_profile p;
  sf_profile_init(&p, s->setup.profile ? SF_PROFILE_RFC : SF_PROFILE_LINUX);
  sf_stack_set_profile(r->st, &p);
  r->s = s;
  r->obs = obs;
  r->v = v;
  r->event = SF_SCN_SETUP_EVENT;
  r->now = 0;
  r->lfd = r->fd = -1;
  r->lport = SF_SCN_PORT;
  r->reset_seen = r->shut_rd = false;
  r->peer_isn = SF_SCN_PEER_ISN + s->setup.seed;
  r->peer_started = false;
  r->peer_syns = 0;
  r->last_in_flags = 0;
  r->injecting = false;
  r->ip_id = 1;
  r->iss_known = r->fin_seen = false;
  r->ts_last = 0;
  r->app_written = r->app_read = 0;
  r->packets_this_event = 0;
  char why[256];
  if (setup(r) < 0 && !v->failed)
    violate(r, "setup", "the setup did not reach its start state");
  for (size_t i = 0; i < s->n && !v->failed; i++) {
    r->event = i;
    r->packets_this_event = 0;
    if (obs && obs->event)
      obs->event(obs->ctx, i, &s->ev[i], r->now);
    run_event(r, &s->ev[i]);
    if (!v->failed && sf_stack_check(r->st, why, sizeof(why)) < 0)
      violate(r, "invariant", "%s", why);
  }
  if (!v->failed)
    final_read(r);
}
