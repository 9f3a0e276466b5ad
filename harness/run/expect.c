/* Outbound packet lines against what the SUT sent, field by field with
 * packetdrill's semantics: sequence numbers relative to the SUT's ISN, the
 * window only when the script gives `win`, options in order with their
 * values unless `<...>`, TSval unchecked, payload compared as zeros. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "run_internal.h"

static const char flag_chars[] = "FSRP.UEW";

static void flags_text(uint16_t f, char *out) {
  size_t n = 0;
  for (int i = 0; i < 8; i++)
    if (f & (1u << i))
      out[n++] = flag_chars[i];
  if (n == 0)
    out[n++] = '-';
  out[n] = '\0';
}

struct field_diff {
  struct sf_strbuf *out;
  bool differs;
  struct sf_strbuf *names; /* the fields that differ: "flags, len" */
};

static void row(struct field_diff *d, const char *field, const char *want,
                const char *got, bool ok) {
  sf_strbuf_printf(d->out, "  %c %-8s %-34s %s\n", ok ? ' ' : '*', field, want,
                   got);
  if (!ok) {
    sf_strbuf_printf(d->names, "%s%s", d->differs ? ", " : "", field);
    d->differs = true;
  }
}

static void row_u(struct field_diff *d, const char *field, uint64_t want,
                  uint64_t got) {
  char a[32], b[32];
  snprintf(a, sizeof(a), "%llu", (unsigned long long)want);
  snprintf(b, sizeof(b), "%llu", (unsigned long long)got);
  row(d, field, a, b, want == got);
}

/* Appends one option in script syntax (TS values as they are). */
static void option_text(struct sf_strbuf *b, uint8_t kind, uint32_t mss,
                        uint32_t ws, bool ws_any, uint32_t val, uint32_t ecr,
                        const uint32_t (*sack)[2], size_t nsack) {
  switch (kind) {
  case SF_TCPOPT_EOL:
    sf_strbuf_printf(b, "eol");
    break;
  case SF_TCPOPT_NOP:
    sf_strbuf_printf(b, "nop");
    break;
  case SF_TCPOPT_MSS:
    sf_strbuf_printf(b, "mss %u", mss);
    break;
  case SF_TCPOPT_WSCALE:
    if (ws_any)
      sf_strbuf_printf(b, "wscale *");
    else
      sf_strbuf_printf(b, "wscale %u", ws);
    break;
  case SF_TCPOPT_SACK_PERMITTED:
    sf_strbuf_printf(b, "sackOK");
    break;
  case SF_TCPOPT_SACK:
    sf_strbuf_printf(b, "sack");
    for (size_t i = 0; i < nsack; i++)
      sf_strbuf_printf(b, " %u:%u", sack[i][0], sack[i][1]);
    break;
  case SF_TCPOPT_TIMESTAMP:
    sf_strbuf_printf(b, "TS val %u ecr %u", val, ecr);
    break;
  default:
    sf_strbuf_printf(b, "kind %u", kind);
    break;
  }
}

static const uint8_t option_kinds[] = {
    [SF_SCR_OPT_NOP] = SF_TCPOPT_NOP,
    [SF_SCR_OPT_EOL] = SF_TCPOPT_EOL,
    [SF_SCR_OPT_MSS] = SF_TCPOPT_MSS,
    [SF_SCR_OPT_WSCALE] = SF_TCPOPT_WSCALE,
    [SF_SCR_OPT_SACK_PERMITTED] = SF_TCPOPT_SACK_PERMITTED,
    [SF_SCR_OPT_SACK] = SF_TCPOPT_SACK,
    [SF_SCR_OPT_TIMESTAMP] = SF_TCPOPT_TIMESTAMP,
};

static void script_options_text(const sf_script_tcp *t, struct sf_strbuf *b) {
  if (t->options_any) {
    sf_strbuf_printf(b, "...");
    return;
  }
  for (size_t i = 0; i < t->n_options; i++) {
    const sf_script_tcp_option *o = &t->options[i];
    uint32_t sack[4][2];
    for (size_t k = 0; k < o->n_sack && k < 4; k++) {
      sack[k][0] = o->sack[k].left;
      sack[k][1] = o->sack[k].right;
    }
    if (i)
      sf_strbuf_printf(b, ",");
    uint8_t kind =
        (size_t)o->kind < sizeof(option_kinds) ? option_kinds[o->kind] : 255;
    option_text(b, kind, o->mss, o->wscale, o->wscale_any, o->ts_val, o->ts_ecr,
                (const uint32_t(*)[2])sack, o->n_sack);
  }
}

/* Live options, trailing EOL padding left out unless the script lists it. */
static size_t live_option_count(const sf_script_tcp *t, const sf_pkt_tcp *l) {
  size_t n = l->n_options;
  while (n > 0 && l->options[n - 1].kind == SF_TCPOPT_EOL &&
         (t->n_options < n || t->options[n - 1].kind != SF_SCR_OPT_EOL))
    n--;
  return n;
}

static void live_options_text(const sf_pkt_tcp *l, size_t n,
                              struct sf_strbuf *b) {
  for (size_t i = 0; i < n; i++) {
    const sf_pkt_tcp_option *o = &l->options[i];
    uint32_t sack[4][2];
    for (size_t k = 0; k < o->n_sack && k < 4; k++) {
      sack[k][0] = o->sack[k].left;
      sack[k][1] = o->sack[k].right;
    }
    if (i)
      sf_strbuf_printf(b, ",");
    option_text(b, o->kind, o->mss, o->wscale, false, o->ts_val, o->ts_ecr,
                (const uint32_t(*)[2])sack, o->n_sack);
  }
  if (l->opt_malformed)
    sf_strbuf_printf(b, "%smalformed", n ? "," : "");
}

static const char *kind_name(uint8_t kind, char *buf, size_t cap) {
  switch (kind) {
  case SF_TCPOPT_EOL:
    return "eol";
  case SF_TCPOPT_NOP:
    return "nop";
  case SF_TCPOPT_MSS:
    return "mss";
  case SF_TCPOPT_WSCALE:
    return "wscale";
  case SF_TCPOPT_SACK_PERMITTED:
    return "sackOK";
  case SF_TCPOPT_SACK:
    return "sack";
  case SF_TCPOPT_TIMESTAMP:
    return "TS";
  default:
    snprintf(buf, cap, "kind %u", kind);
    return buf;
  }
}

/* Kinds in order (NOPs included), and the values of MSS, wscale, SACK
 * blocks and TS ecr. On a mismatch, why says what differs first. */
static bool options_match(const sf_script_tcp *t, const sf_pkt_tcp *l,
                          char *why, size_t cap) {
  char b1[16], b2[16];
  if (t->options_any)
    return true;
  if (l->opt_malformed) {
    snprintf(why, cap, "malformed options");
    return false;
  }
  size_t nl = live_option_count(t, l);
  for (size_t i = 0; i < nl || i < t->n_options; i++) {
    if (i >= t->n_options) {
      snprintf(why, cap, "option %zu (%s) not in the script", i + 1,
               kind_name(l->options[i].kind, b1, sizeof(b1)));
      return false;
    }
    const sf_script_tcp_option *s = &t->options[i];
    uint8_t want =
        (size_t)s->kind < sizeof(option_kinds) ? option_kinds[s->kind] : 255;
    if (i >= nl) {
      snprintf(why, cap, "option %zu (%s) missing", i + 1,
               kind_name(want, b1, sizeof(b1)));
      return false;
    }
    const sf_pkt_tcp_option *o = &l->options[i];
    if (want != o->kind) {
      snprintf(why, cap, "option %zu is %s, expected %s", i + 1,
               kind_name(o->kind, b1, sizeof(b1)),
               kind_name(want, b2, sizeof(b2)));
      return false;
    }
    bool ok = true;
    switch (s->kind) {
    case SF_SCR_OPT_MSS:
      ok = o->valid && s->mss == o->mss;
      snprintf(why, cap, "mss %u, expected %u", o->mss, s->mss);
      break;
    case SF_SCR_OPT_WSCALE:
      ok = o->valid && (s->wscale_any || s->wscale == o->wscale);
      snprintf(why, cap, "wscale %u, expected %u", o->wscale, s->wscale);
      break;
    case SF_SCR_OPT_SACK:
      ok = o->valid && s->n_sack == o->n_sack;
      for (size_t b = 0; ok && b < s->n_sack; b++)
        ok = s->sack[b].left == o->sack[b].left &&
             s->sack[b].right == o->sack[b].right;
      snprintf(why, cap, "sack blocks differ");
      break;
    case SF_SCR_OPT_TIMESTAMP:
      ok = o->valid && s->ts_ecr == o->ts_ecr;
      snprintf(why, cap, "TS ecr %u, expected %u", o->ts_ecr, s->ts_ecr);
      break;
    default:
      break;
    }
    if (!ok)
      return false;
  }
  return true;
}

/* What a matched packet teaches: the SUT's ISN from its SYN, and which
 * live TSval stands for each script TSval (inbound ecr is mapped back). */
static void learn(struct runner *r, struct run_conn *c, const sf_script_tcp *t,
                  const struct run_live *l) {
  if (t->flags & SF_SCR_TCP_SYN) {
    c->sut_isn = l->v.tcp.seq - t->seq.start;
    c->isn_known = true;
    c->isn_t_us = l->t_us;
  }
  for (size_t i = 0; i < t->n_options && !t->options_any; i++) {
    if (t->options[i].kind != SF_SCR_OPT_TIMESTAMP)
      continue;
    for (size_t k = 0; k < l->v.tcp.n_options; k++) {
      const sf_pkt_tcp_option *o = &l->v.tcp.options[k];
      if (o->kind != SF_TCPOPT_TIMESTAMP || !o->valid)
        continue;
      if (r->nts == RUN_TS_MAP) {
        memmove(r->ts, r->ts + 1, sizeof(r->ts[0]) * (RUN_TS_MAP - 1));
        r->nts--;
      }
      r->ts[r->nts].script = t->options[i].ts_val;
      r->ts[r->nts].live = o->ts_val;
      r->nts++;
    }
  }
}

/* An active open: the SUT's first SYN names the connection's ports. */
static struct run_conn *conn_for_outbound(struct runner *r,
                                          const sf_script_packet *p,
                                          const struct run_live *l) {
  struct run_conn *c = run_conn_for(r, p);
  bool bare_syn =
      (p->tcp.flags & (SF_SCR_TCP_SYN | SF_SCR_TCP_ACK)) == SF_SCR_TCP_SYN;
  if (bare_syn && !p->has_ports && !c->isn_known) {
    c->lport = l->v.tcp.sport;
    c->rport = l->v.tcp.dport;
  }
  return c;
}

/* Extension ip_opts: the option bytes exactly, the EOL padding to 32 bits
 * included; without it, a datagram must carry no options. */
static void expect_ip_opts(struct field_diff *d, const sf_script_packet *p,
                           const struct run_live *l) {
  uint8_t want[SF_SCR_IP_OPTS_MAX] = {0};
  size_t n = 0;
  if (p->ip.present & SF_SCR_IP_IP_OPTS) {
    memcpy(want, p->ip.ip_opts, p->ip.ip_opts_len);
    n = ((size_t)p->ip.ip_opts_len + 3) & ~(size_t)3;
  }
  size_t got = l->v.ip_ok ? l->v.ip.opt_len : 0;
  if (got == n && (n == 0 || memcmp(want, l->v.pkt + 20, n) == 0))
    return;
  char a[200] = "none", b[200] = "none";
  if (n)
    sf_pkt_format_ip_opts(want, n, a, sizeof(a));
  if (got)
    sf_pkt_format_ip_opts(l->v.pkt + 20, got, b, sizeof(b));
  row(d, "ip_opts", a, b, false);
}

/* Extension isn_clock_ns (RFC 9293 3.4.1, MUST-8): the ISN of this SYN
 * moved on from the previous one of the connection (its ports) by the time
 * between the two in clock ticks, within the timing tolerance. */
static void expect_isn_clock(struct runner *r, struct field_diff *d,
                             const struct run_conn *c,
                             const sf_script_packet *p,
                             const struct run_live *l) {
  uint32_t tick = p->ip.isn_clock_ns;
  char a[96], b[64];
  if (!c->isn_known) {
    row(d, "isn", "a previous SYN of the connection", "none", false);
    return;
  }
  uint64_t dt = l->t_us - c->isn_t_us;
  uint32_t want = (uint32_t)(dt * 1000 / tick);
  uint32_t got = l->v.tcp.seq - p->tcp.seq.start - c->sut_isn;
  uint64_t slack = (uint64_t)r->tol_us * 1000 / tick + 1;
  int64_t off = (int32_t)(got - want);
  snprintf(a, sizeof(a),
           "+%" PRIu32 " (%" PRIu64 " us in %" PRIu32 " ns ticks)", want, dt,
           tick);
  snprintf(b, sizeof(b), "+%" PRIu32, got);
  row(d, "isn", a, b, (uint64_t)(off < 0 ? -off : off) <= slack);
}

static bool expect_tcp(struct runner *r, const sf_script_packet *p,
                       const struct run_live *l, struct sf_strbuf *diff,
                       struct sf_strbuf *fields) {
  struct field_diff d = {diff, false, fields};
  const sf_script_tcp *t = &p->tcp;
  const sf_pkt_tcp *lt = &l->v.tcp;
  if (l->v.l4 != SF_PKT_L4_TCP) {
    row(&d, "proto", "tcp", "not a TCP segment", false);
    return false;
  }
  struct run_conn *c = conn_for_outbound(r, p, l);
  char a[64], b[64];
  /* RFC 9293 3.9.1.1 (MUST-45): every segment of the connection from the
   * same local address, to the peer's */
  const sf_pkt_ipv4 *ip = &l->v.ip;
  uint32_t want_dst =
      (p->ip.present & SF_SCR_IP_IP_DST) ? p->ip.ip_dst : RUN_REMOTE_IP;
  snprintf(a, sizeof(a), "192.168.0.1>%u.%u.%u.%u", want_dst >> 24,
           (want_dst >> 16) & 255, (want_dst >> 8) & 255, want_dst & 255);
  snprintf(b, sizeof(b), "%u.%u.%u.%u>%u.%u.%u.%u", ip->src >> 24,
           (ip->src >> 16) & 255, (ip->src >> 8) & 255, ip->src & 255,
           ip->dst >> 24, (ip->dst >> 16) & 255, (ip->dst >> 8) & 255,
           ip->dst & 255);
  bool addr_ok = ip->src == RUN_LOCAL_IP && ip->dst == want_dst;
  if (!addr_ok)
    row(&d, "address", a, b, false);
  expect_ip_opts(&d, p, l);
  snprintf(a, sizeof(a), "%u>%u", c->lport, c->rport);
  snprintf(b, sizeof(b), "%u>%u", lt->sport, lt->dport);
  row(&d, "ports", a, b, c->lport == lt->sport && c->rport == lt->dport);
  uint16_t want_flags = t->flags & 0xff;
  flags_text(want_flags, a);
  flags_text(l->flags, b);
  row(&d, "flags", a, b, want_flags == (l->flags & 0xff));
  bool syn = t->flags & SF_SCR_TCP_SYN;
  uint32_t base = c->isn_known && !syn ? c->sut_isn : lt->seq - t->seq.start;
  row_u(&d, "seq", t->seq.start, lt->seq - base);
  row_u(&d, "len", t->seq.len, l->len);
  if (t->present & SF_SCR_TCP_HAS_ACK)
    row_u(&d, "ack", t->ack, l->ack);
  if (t->present & SF_SCR_TCP_HAS_WIN)
    row_u(&d, "win", t->win, l->win);
  if (t->present & SF_SCR_TCP_HAS_URG)
    row_u(&d, "urg", t->urg, lt->urg);
  struct sf_strbuf so = {0}, lo = {0};
  script_options_text(t, &so);
  live_options_text(lt, live_option_count(t, lt), &lo);
  char why[96];
  bool opts_ok = options_match(t, lt, why, sizeof(why));
  row(&d, "options", sf_strbuf_str(&so), sf_strbuf_str(&lo), opts_ok);
  if (!opts_ok)
    sf_strbuf_printf(fields, " (%s)", why);
  sf_strbuf_free(&so);
  sf_strbuf_free(&lo);
  if (l->payload_nonzero && !r->oracle) /* --oracles: the wire oracle's */
    row(&d, "payload", "zeros", "non-zero bytes", false);
  if (!lt->csum_ok)
    row(&d, "checksum", "valid", "bad", false);
  if (p->ip.present & SF_SCR_IP_TOS)
    row_u(&d, "tos", p->ip.tos, l->v.ip.tos);
  if (p->ip.present & SF_SCR_IP_TTL)
    row_u(&d, "ttl", p->ip.ttl, l->v.ip.ttl);
  if (p->ip.present & SF_SCR_IP_ISN_CLOCK)
    expect_isn_clock(r, &d, c, p, l);
  if (!d.differs)
    learn(r, c, t, l);
  return !d.differs;
}

/* ICMP type numbers of packetdrill's names that a SUT sends. */
static int icmp_type(const char *name) {
  static const struct {
    const char *name;
    int type;
  } types[] = {{"echo_reply", 0},
               {"unreachable", 3},
               {"time_exceeded", 11},
               {"parameter_problem", 12}};
  for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
    if (strcmp(types[i].name, name) == 0)
      return types[i].type;
  int n;
  return sscanf(name, "type_%d", &n) == 1 ? n : -1;
}

/* ICMP code numbers of packetdrill's names (or code_N). */
static bool icmp_code(const char *type, const char *name, uint8_t *out) {
  static const char *const unreach[] = {
      "net_unreachable",  "host_unreachable", "protocol_unreachable",
      "port_unreachable", "frag_needed",      "source_route_failed"};
  static const char *const exceeded[] = {"ttl_exceeded",
                                         "frag_reassembly_time_exceeded"};
  const char *const *names = NULL;
  size_t n = 0;
  if (strcmp(type, "unreachable") == 0) {
    names = unreach;
    n = sizeof(unreach) / sizeof(unreach[0]);
  } else if (strcmp(type, "time_exceeded") == 0) {
    names = exceeded;
    n = sizeof(exceeded) / sizeof(exceeded[0]);
  }
  for (size_t i = 0; i < n; i++) {
    if (strcmp(names[i], name) == 0) {
      *out = (uint8_t)i;
      return true;
    }
  }
  unsigned v;
  if (sscanf(name, "code_%u", &v) == 1 && v < 256) {
    *out = (uint8_t)v;
    return true;
  }
  return false;
}

static bool expect_icmp(const sf_script_packet *p, const struct run_live *l,
                        struct sf_strbuf *diff, struct sf_strbuf *fields) {
  struct field_diff d = {diff, false, fields};
  if (l->v.l4 != SF_PKT_L4_ICMP) {
    row(&d, "proto", "icmp", "not ICMP", false);
    return false;
  }
  expect_ip_opts(&d, p, l);
  const sf_script_icmp *m = &p->icmp;
  const sf_pkt_icmp *li = &l->v.icmp;
  row_u(&d, "type", (uint64_t)(int64_t)icmp_type(m->type), li->type);
  uint8_t code;
  if (m->code && icmp_code(m->type, m->code, &code))
    row_u(&d, "code", code, li->code);
  bool echo = li->type == 0 || li->type == 8;
  if (echo && (m->present & SF_SCR_ICMP_HAS_ID))
    row_u(&d, "id", m->id, li->id);
  if (echo && (m->present & SF_SCR_ICMP_HAS_SEQ))
    row_u(&d, "seq", m->seq, li->seq);
  if (echo && (m->present & SF_SCR_ICMP_HAS_LEN))
    row_u(&d, "len", m->len, li->data_len);
  if (!li->csum_ok)
    row(&d, "checksum", "valid", "bad", false);
  return !d.differs;
}

bool run_expect_packet(struct runner *r, const sf_script_event *ev,
                       const struct run_live *l, struct sf_strbuf *diff,
                       struct sf_strbuf *fields) {
  const sf_script_packet *p = &ev->packet;
  sf_strbuf_printf(diff, "    %-8s %-34s %s\n", "field", "expected", "actual");
  if (p->kind == SF_SCR_PKT_ICMP)
    return expect_icmp(p, l, diff, fields);
  return expect_tcp(r, p, l, diff, fields);
}

int run_live_parse(const uint8_t *pkt, size_t len, struct run_live *l) {
  memset(l, 0, sizeof(*l));
  int rc = sf_pkt_decode(pkt, len, &l->v);
  if (l->v.l4 == SF_PKT_L4_TCP) {
    l->len = (uint32_t)l->v.tcp.payload_len;
    l->flags = l->v.tcp.flags;
    l->ack = l->v.tcp.ack;
    l->win = l->v.tcp.win;
    for (size_t i = 0; i < l->v.tcp.payload_len; i++)
      l->payload_nonzero |= l->v.tcp.payload[i] != 0;
  } else if (l->v.l4 == SF_PKT_L4_ICMP) {
    l->len = (uint32_t)l->v.icmp.data_len;
  }
  return rc;
}

/* One line in script syntax, sequence numbers relative to the ISNs known
 * for the current connection (the script's own are used as written). */
void run_describe_packet(struct runner *r, int dir, const uint8_t *pkt,
                         size_t len, struct sf_strbuf *out) {
  sf_pkt_view v;
  sf_pkt_decode(pkt, len, &v);
  const struct run_conn *c = &r->conns[r->cur];
  sf_pkt_fmt f = {.dir = dir,
                  .relative = true,
                  .out_isn = c->isn_known ? c->sut_isn : 0,
                  .in_isn = 0,
                  .show_win = true};
  if (dir == SF_DIR_OUT && v.l4 == SF_PKT_L4_TCP &&
      (v.tcp.flags & SF_TCP_SYN) && !c->isn_known)
    f.out_isn = v.tcp.seq;
  char line[1024];
  sf_pkt_format(&v, &f, line, sizeof(line));
  sf_strbuf_printf(out, "%s", line);
}
