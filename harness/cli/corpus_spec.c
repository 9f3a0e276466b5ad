/* A conformance script as a peer trace (corpus_src.h): its inbound packets
 * become the peer's segments (or raw datagrams), its calls on the
 * connection the application's, its timing the gaps between them; the
 * outbound lines only lend their TSvals, so that an inbound TSecr can be
 * mapped onto what the stack really sent. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../util/pktbuild.h"
#include "corpus_src.h"
#include "synfin/bytes.h"
#include "synfin/checksum.h"
#include "synfin/run.h"
#include "synfin/trace.h"

#define REMOTE_PORT 48484 /* the script side's port in passive opens */
#define LOCAL_PORT 8080

struct conv {
  const sf_script *s;
  sf_cb_trace *t;
  struct sf_strbuf *notes;
  bool active;
  int listen_fd, conn_fd;
  bool isn_known;
  uint32_t peer_isn; /* the script's: the seq of its first SYN */
  uint64_t t0;       /* script time of the start call */
  uint16_t ip_id;
  int rc;
};

/* Notes each thing once: "ICMP (line 12)" and the like. */
static void note(struct conv *c, const char *what, uint32_t line) {
  const char *all = sf_strbuf_str(c->notes);
  const char *hit = strstr(all, what);
  size_t n = strlen(what);
  if (hit && (hit[n] == ' ' || hit[n] == ';' || hit[n] == '\0'))
    return;
  sf_strbuf_printf(c->notes, "%s%s (line %u)", c->notes->len ? "; " : "", what,
                   line);
}

static void push(struct conv *c, const sf_cb_item *it) {
  if (c->rc == 0)
    c->rc = sf_cb_push(c->t, it);
}

static bool int_arg(const sf_script_syscall *sc, size_t i, int64_t *v) {
  if (i >= sc->n_args || sc->args[i]->kind != SF_SCR_EXPR_INT)
    return false;
  *v = sc->args[i]->num.value;
  return true;
}

/* The value of a `[N]` setsockopt argument. */
static bool list_int(const sf_script_expr *e, int64_t *v) {
  if (e->kind == SF_SCR_EXPR_LIST && e->list.n == 1 &&
      e->list.items[0]->kind == SF_SCR_EXPR_INT) {
    *v = e->list.items[0]->num.value;
    return true;
  }
  if (e->kind == SF_SCR_EXPR_INT) {
    *v = e->num.value;
    return true;
  }
  return false;
}

static bool result_int(const sf_script_syscall *sc, int64_t *v) {
  if (!sc->result || sc->result->kind != SF_SCR_EXPR_INT)
    return false;
  *v = sc->result->num.value;
  return true;
}

/* ---- times ---- */

/* The script time of each event, as the runner schedules it against the
 * built-in stack (a blocking call counts at its end). */
static uint64_t event_time(const sf_script_event *ev, uint64_t prev) {
  const sf_script_time *tm = &ev->time;
  uint64_t t = prev;
  switch (tm->kind) {
  case SF_SCR_TIME_ABSOLUTE:
  case SF_SCR_TIME_ABSOLUTE_RANGE:
    t = (uint64_t)tm->start_us;
    break;
  case SF_SCR_TIME_RELATIVE:
  case SF_SCR_TIME_RELATIVE_RANGE:
    t = prev + (uint64_t)tm->start_us;
    break;
  case SF_SCR_TIME_ANY:
    break;
  }
  if (ev->kind == SF_SCR_EV_SYSCALL && tm->end_us != SF_SCRIPT_NO_END)
    t = tm->kind == SF_SCR_TIME_RELATIVE ? prev + (uint64_t)tm->end_us
                                         : (uint64_t)tm->end_us;
  return t;
}

static uint64_t rel_time(const struct conv *c, uint64_t t) {
  return t > c->t0 ? t - c->t0 : 0;
}

/* ---- the opening ---- */

/* listen() or connect(), whichever comes first, decides the start; socket
 * options set before it become the setup's socket flags. */
static void opening(struct conv *c) {
  const sf_script *s = c->s;
  sf_scn_setup *u = &c->t->setup;
  uint64_t t = 0;
  for (size_t i = 0; i < s->n_events; i++) {
    const sf_script_event *ev = &s->events[i];
    t = event_time(ev, t);
    if (ev->kind != SF_SCR_EV_SYSCALL)
      continue;
    const sf_script_syscall *sc = &ev->syscall;
    int64_t fd = -1, v;
    int_arg(sc, 0, &fd);
    if (strcmp(sc->name, "listen") == 0 || strcmp(sc->name, "connect") == 0) {
      c->active = sc->name[0] == 'c';
      u->start = c->active ? SF_SCN_SYN_SENT : SF_SCN_LISTEN;
      if (c->active)
        c->conn_fd = (int)fd;
      else
        c->listen_fd = (int)fd;
      c->t0 = t;
      return;
    }
    if (strcmp(sc->name, "setsockopt") == 0 && sc->n_args >= 4 &&
        list_int(sc->args[3], &v)) {
      if (sf_script_expr_is_word(sc->args[2], "TCP_NODELAY") && v)
        u->sock_flags |= SF_SCN_NODELAY;
      else if (sf_script_expr_is_word(sc->args[2], "SO_KEEPALIVE") && v)
        u->sock_flags |= SF_SCN_KEEPALIVE;
      else if (sf_script_expr_is_word(sc->args[2], "SO_RCVBUF") && v <= 8192)
        u->sock_flags |= SF_SCN_SMALL_RCVBUF;
      else if (sf_script_expr_is_word(sc->args[2], "SO_SNDBUF") && v <= 8192)
        u->sock_flags |= SF_SCN_SMALL_SNDBUF;
    }
  }
  note(c, "no listen() or connect(): started from a listener", 0);
}

/* ---- packets ---- */

/* The script's options as bytes; false when one has no byte form here. */
static bool encode_options(struct conv *c, const sf_script_event *ev,
                           const sf_script_tcp *tcp, uint8_t *o, uint8_t *n) {
  size_t k = 0;
  for (size_t i = 0; i < tcp->n_options; i++) {
    const sf_script_tcp_option *op = &tcp->options[i];
    size_t need = 1;
    switch (op->kind) {
    case SF_SCR_OPT_MSS:
      need = 4;
      break;
    case SF_SCR_OPT_WSCALE:
      need = 3;
      break;
    case SF_SCR_OPT_SACK_PERMITTED:
      need = 2;
      break;
    case SF_SCR_OPT_SACK:
      need = 2 + 8 * op->n_sack;
      break;
    case SF_SCR_OPT_TIMESTAMP:
      need = 10;
      break;
    case SF_SCR_OPT_NOP:
    case SF_SCR_OPT_EOL:
      break;
    default:
      note(c, "an option without a scenario form", ev->pos.line);
      return false;
    }
    if (k + need > SF_SCN_MAX_OPTS) {
      note(c, "options over 40 bytes", ev->pos.line);
      return false;
    }
    switch (op->kind) {
    case SF_SCR_OPT_NOP:
      o[k++] = 1;
      break;
    case SF_SCR_OPT_EOL:
      o[k++] = 0;
      break;
    case SF_SCR_OPT_MSS:
      o[k] = 2, o[k + 1] = 4;
      sf_put16(o + k + 2, op->mss);
      break;
    case SF_SCR_OPT_WSCALE:
      o[k] = 3, o[k + 1] = 3, o[k + 2] = op->wscale;
      break;
    case SF_SCR_OPT_SACK_PERMITTED:
      o[k] = 4, o[k + 1] = 2;
      break;
    case SF_SCR_OPT_SACK:
      o[k] = 5, o[k + 1] = (uint8_t)need;
      for (size_t b = 0; b < op->n_sack; b++) {
        sf_put32(o + k + 2 + 8 * b, op->sack[b].left);
        sf_put32(o + k + 6 + 8 * b, op->sack[b].right);
      }
      break;
    case SF_SCR_OPT_TIMESTAMP:
      o[k] = 8, o[k + 1] = 10;
      sf_put32(o + k + 2, op->ts_val);
      sf_put32(o + k + 6, op->ts_ecr);
      break;
    default:
      break;
    }
    if (op->kind != SF_SCR_OPT_NOP && op->kind != SF_SCR_OPT_EOL)
      k += need;
  }
  *n = (uint8_t)k;
  return true;
}

static void learn_isn(struct conv *c, uint8_t flags, uint32_t seq) {
  if (!c->isn_known && (flags & SF_TCP_SYN)) {
    c->isn_known = true;
    c->peer_isn = seq;
  }
}

/* A segment of the connection under test; payloads over the scenario's
 * limit go as several segments, the FIN and PSH on the last. */
static void push_segment(struct conv *c, sf_cb_item *it, uint32_t len) {
  uint8_t flags = it->flags;
  uint32_t seq = it->seq;
  do {
    uint32_t n = len > SF_SCN_MAX_PAYLOAD ? SF_SCN_MAX_PAYLOAD : len;
    len -= n;
    it->len = (uint16_t)n;
    it->seq = seq;
    it->flags = len ? (uint8_t)(flags & ~(SF_TCP_FIN | SF_TCP_PSH)) : flags;
    push(c, it);
    seq += n + !!(it->flags & SF_TCP_SYN);
    flags &= (uint8_t)~SF_TCP_SYN;
  } while (len);
}

/* A packet that is not of the connection under test: a datagram with the
 * script's ports and absolute numbers. */
static void push_other_port(struct conv *c, const sf_script_event *ev,
                            uint64_t t, const uint8_t *opt, uint8_t nopt) {
  const sf_script_packet *p = &ev->packet;
  uint8_t buf[SF_SCN_MAX_RAW];
  if (p->tcp.seq.len + 60u > sizeof(buf)) {
    note(c, "a long segment on another port", ev->pos.line);
    return;
  }
  struct sf_tcp_pkt b = {
      .src = SF_SCN_PEER_ADDR,
      .dst = SF_SCN_LOCAL_ADDR,
      .sport = p->sport == SF_SCN_PEER_PORT ? REMOTE_PORT : p->sport,
      .dport = p->dport,
      .seq = SF_SCN_PEER_ISN + p->tcp.seq.start - c->peer_isn,
      .ack = p->tcp.ack,
      .flags = (uint8_t)p->tcp.flags,
      .win = p->tcp.win,
      .urp = p->tcp.urg,
      .opts = opt,
      .optlen = nopt,
      .len = p->tcp.seq.len,
      .ttl = 64,
      .ip_id = c->ip_id++,
      .df = true};
  size_t len = sf_build_tcp(buf, sizeof(buf), &b);
  if (!len)
    return;
  sf_cb_item it = {.kind = SF_CB_RAW,
                   .t_us = rel_time(c, t),
                   .raw = buf,
                   .raw_len = (uint16_t)len};
  push(c, &it);
}

static void inbound_tcp(struct conv *c, const sf_script_event *ev, uint64_t t) {
  const sf_script_packet *p = &ev->packet;
  const sf_script_tcp *tcp = &p->tcp;
  const sf_script_ip *ip = &p->ip;
  sf_cb_item it = {.kind = SF_CB_SEGMENT, .t_us = rel_time(c, t)};
  it.flags = (uint8_t)tcp->flags;
  if (tcp->flags & SF_SCR_TCP_AE)
    note(c, "the AE flag", ev->pos.line);
  learn_isn(c, it.flags, tcp->seq.start);
  if (!encode_options(c, ev, tcp, it.opt, &it.nopt))
    return;
  if (p->has_ports &&
      (c->active || p->sport != REMOTE_PORT || p->dport != LOCAL_PORT)) {
    push_other_port(c, ev, t, it.opt, it.nopt);
    return;
  }
  it.seq = tcp->seq.start - c->peer_isn;
  it.ack = (tcp->present & SF_SCR_TCP_HAS_ACK) ? tcp->ack : 0;
  it.win = tcp->win;
  it.urg = (tcp->present & SF_SCR_TCP_HAS_URG) ? tcp->urg : 0;
  if (ip->present & SF_SCR_IP_TCP_CSUM_BAD)
    it.corrupt |= SF_SCN_BAD_TCP_CSUM;
  if (ip->present & SF_SCR_IP_IP_CSUM_BAD)
    it.corrupt |= SF_SCN_BAD_IP_CSUM;
  if (ip->present & SF_SCR_IP_TCP_DOFF) {
    /* A data offset the stack takes (20 bytes up to the segment's end)
     * but that moves bytes between the options and the data changes what
     * the peer sent in ways the runner's oracles do not model: such a
     * segment goes with its true data offset. */
    uint32_t hdr = 20 + ((it.nopt + 3u) & ~3u);
    uint32_t doff = (uint32_t)(ip->tcp_doff & 15) * 4;
    if (doff != hdr && doff >= 20 && doff <= hdr + tcp->seq.len) {
      note(c, "a data offset that moves bytes between options and data",
           ev->pos.line);
    } else {
      it.corrupt |= SF_SCN_BAD_DOFF;
      it.doff = ip->tcp_doff & 15;
    }
  }
  if (ip->present & SF_SCR_IP_FRAG_SIZE) {
    it.corrupt |= SF_SCN_FRAGMENT;
    size_t dgram = 40 + ((it.nopt + 3u) & ~3u) + tcp->seq.len;
    if (ip->frag_size != sf_scn_fragment_size(dgram))
      note(c,
           "fragments of another size than a scenario's (8 bytes up to 64 "
           "of payload, 8 pieces beyond)",
           ev->pos.line);
    if ((ip->present & SF_SCR_IP_FRAG_ORDER) &&
        ip->frag_order != SF_SCR_FRAG_IN_ORDER)
      it.corrupt |= SF_SCN_FRAG_REVERSE;
  }
  if (ip->present & (SF_SCR_IP_IHL | SF_SCR_IP_IP_LEN | SF_SCR_IP_IP_PROTO |
                     SF_SCR_IP_TTL | SF_SCR_IP_TOS | SF_SCR_IP_IP_ID))
    note(c, "IP header attributes", ev->pos.line);
  push_segment(c, &it, tcp->seq.len);
}

/* `< raw ...`: a TCP segment of the connection under test becomes one
 * (its options kept byte for byte), anything else a raw datagram. */
static void inbound_raw(struct conv *c, const sf_script_event *ev, uint64_t t) {
  const sf_script_packet *p = &ev->packet;
  sf_pkt_view v;
  int rc = sf_pkt_decode(p->raw, p->raw_len, &v);
  if (rc == 0 && v.l4 == SF_PKT_L4_TCP && v.ip.ihl == 5 && !v.ip.fragment &&
      !v.ip.trailing && v.ip.src == SF_SCN_PEER_ADDR &&
      v.ip.dst == SF_SCN_LOCAL_ADDR && !c->active &&
      v.tcp.dport == LOCAL_PORT && v.tcp.doff >= 5 &&
      v.tcp.payload_len <= SF_SCN_MAX_PAYLOAD) {
    sf_cb_item it = {.kind = SF_CB_SEGMENT, .t_us = rel_time(c, t)};
    it.flags = (uint8_t)v.tcp.flags;
    learn_isn(c, it.flags, v.tcp.seq);
    it.seq = v.tcp.seq - c->peer_isn;
    it.ack = v.tcp.ack;
    it.win = v.tcp.win;
    it.urg = v.tcp.urg;
    it.len = (uint16_t)v.tcp.payload_len;
    it.nopt = (uint8_t)(v.tcp.doff * 4 - 20);
    memcpy(it.opt, p->raw + 40, it.nopt);
    if (!v.tcp.csum_ok)
      it.corrupt |= SF_SCN_BAD_TCP_CSUM;
    if (!v.ip.csum_ok)
      it.corrupt |= SF_SCN_BAD_IP_CSUM;
    push(c, &it);
    return;
  }
  if (p->raw_len > SF_SCN_MAX_RAW) {
    note(c, "a raw datagram over 2048 bytes", ev->pos.line);
    return;
  }
  sf_cb_item it = {.kind = SF_CB_RAW,
                   .t_us = rel_time(c, t),
                   .raw = (uint8_t *)p->raw,
                   .raw_len = (uint16_t)p->raw_len};
  push(c, &it);
}

/* ---- ICMP ---- */

static void ip_header(uint8_t *b, size_t total, uint16_t id, uint8_t proto,
                      uint32_t src, uint32_t dst) {
  memset(b, 0, 20);
  b[0] = 0x45;
  sf_put16(b + 2, (uint16_t)total);
  sf_put16(b + 4, id);
  sf_put16(b + 6, 0x4000);
  b[8] = 64;
  b[9] = proto;
  sf_put32(b + 12, src);
  sf_put32(b + 16, dst);
  sf_put16(b + 10, sf_csum(b, 20));
}

/* An echo request, or an error quoting the stack's segment: the quote's
 * ports and sequence number are filled in when it is injected (the
 * stack's ISN is not known before). */
static void inbound_icmp(struct conv *c, const sf_script_event *ev,
                         uint64_t t) {
  const sf_script_icmp *m = &ev->packet.icmp;
  uint8_t type, code;
  if (sf_run_icmp_type_code(m, &type, &code) < 0) {
    note(c, "an unknown ICMP type or code", ev->pos.line);
    return;
  }
  uint8_t b[SF_SCN_MAX_RAW];
  memset(b, 0, sizeof(b));
  uint8_t *ih = b + 20;
  ih[0] = type;
  ih[1] = code;
  size_t l4 = 8;
  bool quote = type != 0 && type != 8;
  if (!quote) {
    if (20u + 8u + m->len > sizeof(b)) {
      note(c, "an echo over 2048 bytes", ev->pos.line);
      return;
    }
    sf_put16(ih + 4, m->id);
    sf_put16(ih + 6, m->seq);
    l4 += m->len;
    sf_put16(ih + 2, sf_csum(ih, l4));
  } else {
    if (m->echoed == SF_SCR_ICMP_ECHOED_UDP ||
        m->echoed == SF_SCR_ICMP_ECHOED_RAW) {
      note(c, "an ICMP error quoting other than TCP", ev->pos.line);
      return;
    }
    if (m->present & SF_SCR_ICMP_HAS_MTU)
      sf_put16(ih + 6, (uint16_t)m->mtu);
    uint16_t qlen = m->echoed == SF_SCR_ICMP_ECHOED_TCP ? m->echoed_seq.len : 0;
    ip_header(ih + 8, 40u + qlen, 0, 6, SF_SCN_LOCAL_ADDR, SF_SCN_PEER_ADDR);
    ih[8 + 20 + 12] = 5 << 4;
    l4 += 40;
  }
  ip_header(b, 20 + l4, c->ip_id++, 1, SF_SCN_PEER_ADDR, SF_SCN_LOCAL_ADDR);
  sf_cb_item it = {
      .kind = SF_CB_RAW,
      .t_us = rel_time(c, t),
      .raw = b,
      .raw_len = (uint16_t)(20 + l4),
      .icmp_quote = quote,
      .seq = m->echoed == SF_SCR_ICMP_ECHOED_TCP ? m->echoed_seq.start : 0};
  push(c, &it);
}

static void outbound(struct conv *c, const sf_script_event *ev, uint64_t t) {
  const sf_script_packet *p = &ev->packet;
  if (p->kind != SF_SCR_PKT_TCP)
    return;
  for (size_t i = 0; i < p->tcp.n_options; i++)
    if (p->tcp.options[i].kind == SF_SCR_OPT_TIMESTAMP) {
      sf_cb_item it = {.kind = SF_CB_OUT_TS,
                       .t_us = rel_time(c, t),
                       .ts_val = p->tcp.options[i].ts_val};
      push(c, &it);
    }
}

/* ---- calls ---- */

static void call(struct conv *c, const sf_script_event *ev, uint64_t t,
                 uint8_t op, uint32_t arg) {
  do {
    uint32_t n = arg > 65535 ? 65535 : arg;
    sf_cb_item it = {.kind = SF_CB_CALL,
                     .t_us = rel_time(c, t),
                     .op = op,
                     .arg = (uint16_t)n};
    push(c, &it);
    arg -= n;
  } while (arg && (op == SF_SCN_READ || op == SF_SCN_WRITE));
  (void)ev;
}

static void syscall_event(struct conv *c, const sf_script_event *ev,
                          uint64_t t) {
  const sf_script_syscall *sc = &ev->syscall;
  const char *name = sc->name;
  int64_t fd = -1, n = 0, v;
  int_arg(sc, 0, &fd);
  bool on_conn = fd >= 0 && fd == c->conn_fd;
  if (strcmp(name, "accept") == 0) {
    if (result_int(sc, &v) && v >= 0)
      c->conn_fd = (int)v;
    call(c, ev, t, SF_SCN_ACCEPT, 0);
    return;
  }
  if (strcmp(name, "listen") == 0 && c->listen_fd < 0)
    c->listen_fd = (int)fd;
  if (!on_conn) {
    if (strcmp(name, "read") == 0 || strcmp(name, "write") == 0 ||
        strcmp(name, "send") == 0 || strcmp(name, "recv") == 0 ||
        strcmp(name, "shutdown") == 0 ||
        (strcmp(name, "close") == 0 && fd != c->listen_fd))
      note(c, "a call on another socket", ev->pos.line);
    return;
  }
  bool oob = sc->n_args >= 4 && sf_script_expr_is_word(sc->args[3], "MSG_OOB");
  if (strcmp(name, "read") == 0 || strcmp(name, "recv") == 0) {
    if (oob) {
      note(c, "recv(MSG_OOB)", ev->pos.line);
      return;
    }
    int_arg(sc, 2, &n);
    call(c, ev, t, SF_SCN_READ, n > 0 ? (uint32_t)n : 1);
  } else if (strcmp(name, "write") == 0 || strcmp(name, "send") == 0) {
    int_arg(sc, 2, &n);
    if (n <= 0)
      return;
    if (oob)
      call(c, ev, t, SF_SCN_URGENT, n > 65535 ? 65535 : (uint32_t)n);
    else
      call(c, ev, t, SF_SCN_WRITE, (uint32_t)n);
  } else if (strcmp(name, "shutdown") == 0 && sc->n_args >= 2) {
    bool rd = sf_script_expr_is_word(sc->args[1], "SHUT_RD") ||
              sf_script_expr_is_word(sc->args[1], "SHUT_RDWR");
    bool wr = sf_script_expr_is_word(sc->args[1], "SHUT_WR") ||
              sf_script_expr_is_word(sc->args[1], "SHUT_RDWR");
    if (rd)
      call(c, ev, t, SF_SCN_SHUT_RD, 0);
    if (wr)
      call(c, ev, t, SF_SCN_SHUT_WR, 0);
  } else if (strcmp(name, "close") == 0) {
    call(c, ev, t, SF_SCN_CLOSE, 0);
    c->conn_fd = -1;
  } else if (strcmp(name, "setsockopt") == 0 && sc->n_args >= 4) {
    const sf_script_expr *val = sc->args[3];
    if (sf_script_expr_is_word(sc->args[2], "SO_LINGER")) {
      const sf_script_expr *on = sf_script_expr_field(val, "onoff");
      const sf_script_expr *secs = sf_script_expr_field(val, "linger");
      if (on && secs && on->kind == SF_SCR_EXPR_INT && on->num.value &&
          secs->kind == SF_SCR_EXPR_INT && secs->num.value == 0)
        call(c, ev, t, SF_SCN_LINGER0, 0);
      else
        note(c, "SO_LINGER other than {1, 0}", ev->pos.line);
    } else if (sf_script_expr_is_word(sc->args[2], "TCP_NODELAY") &&
               list_int(val, &v) && v) {
      call(c, ev, t, SF_SCN_NODELAY_ON, 0);
    } else {
      note(c, "a socket option", ev->pos.line);
    }
  }
}

int sf_corpus_from_script(const sf_script *s, sf_cb_trace *t,
                          struct sf_strbuf *notes) {
  struct conv c = {.s = s,
                   .t = t,
                   .notes = notes,
                   .listen_fd = -1,
                   .conn_fd = -1,
                   .ip_id = 1};
  memset(&t->setup, 0, sizeof(t->setup));
  for (size_t i = 0; i < s->n_options; i++) {
    const sf_script_option *o = &s->options[i];
    if (strcmp(o->name, "profile") == 0 && o->value &&
        strcmp(o->value, "rfc") == 0)
      t->setup.profile = SF_PROFILE_RFC;
    else if (strncmp(o->name, "profile.", 8) == 0 ||
             strcmp(o->name, "mss") == 0)
      note(&c, "a profile setting", o->pos.line);
  }
  if (s->init_command)
    note(&c, "the init command", s->init_pos.line);
  opening(&c);
  uint64_t t_prev = 0;
  for (size_t i = 0; i < s->n_events && c.rc == 0; i++) {
    const sf_script_event *ev = &s->events[i];
    uint64_t t_ev = event_time(ev, t_prev);
    t_prev = t_ev;
    if (ev->kind == SF_SCR_EV_COMMAND) {
      note(&c, "a shell command", ev->pos.line);
      continue;
    }
    if (ev->kind == SF_SCR_EV_CODE) {
      note(&c, "a code block", ev->pos.line);
      continue;
    }
    if (ev->kind == SF_SCR_EV_SYSCALL) {
      syscall_event(&c, ev, t_ev);
      continue;
    }
    const sf_script_packet *p = &ev->packet;
    if (p->dir == SF_SCR_OUTBOUND) {
      outbound(&c, ev, t_ev);
      continue;
    }
    if (p->n_encaps) {
      note(&c, "an encapsulated packet", ev->pos.line);
      continue;
    }
    switch (p->kind) {
    case SF_SCR_PKT_TCP:
      inbound_tcp(&c, ev, t_ev);
      break;
    case SF_SCR_PKT_RAW:
      inbound_raw(&c, ev, t_ev);
      break;
    case SF_SCR_PKT_UDP:
      note(&c, "UDP", ev->pos.line);
      break;
    case SF_SCR_PKT_ICMP:
      inbound_icmp(&c, ev, t_ev);
      break;
    }
  }
  return c.rc;
}
