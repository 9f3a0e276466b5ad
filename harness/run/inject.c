/* Inbound packet lines become datagrams: TCP segments with the script's
 * sequence numbers (acks and SACK blocks shifted by the SUT's ISN, TS ecr
 * mapped to the live TSval), ICMP messages, raw bytes, and the extensions
 * that break headers on purpose. */
#include <errno.h>
#include <string.h>

#include "synfin/bytes.h"
#include "synfin/checksum.h"
#include "synfin/rng.h"
#include "run_internal.h"

#define IP_HLEN 20
#define TCP_HLEN 20
#define IP_MAXPACKET 65535 /* RFC 791: the total length is 16 bits */

static uint8_t tcp_flags(uint16_t f) {
  static const struct {
    uint16_t script;
    uint8_t wire;
  } map[] = {{SF_SCR_TCP_FIN, 0x01}, {SF_SCR_TCP_SYN, 0x02},
             {SF_SCR_TCP_RST, 0x04}, {SF_SCR_TCP_PSH, 0x08},
             {SF_SCR_TCP_ACK, 0x10}, {SF_SCR_TCP_URG, 0x20},
             {SF_SCR_TCP_ECE, 0x40}, {SF_SCR_TCP_CWR, 0x80}};
  uint8_t w = 0;
  for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
    if (f & map[i].script)
      w |= map[i].wire;
  return w;
}

/* The live TSval an outbound packet carried for a script TSval. */
static uint32_t live_ts(const struct runner *r, uint32_t script_val) {
  for (size_t i = r->nts; i > 0; i--)
    if (r->ts[i - 1].script == script_val)
      return r->ts[i - 1].live;
  return script_val;
}

static size_t put_options(struct runner *r, const struct run_conn *c,
                          const sf_script_tcp *t, uint8_t *o) {
  size_t n = 0;
  uint32_t isn = c->isn_known ? c->sut_isn : 0;
  for (size_t i = 0; i < t->n_options && n < 40; i++) {
    const sf_script_tcp_option *op = &t->options[i];
    switch (op->kind) {
    case SF_SCR_OPT_NOP:
      o[n++] = 1;
      break;
    case SF_SCR_OPT_EOL:
      o[n++] = 0;
      break;
    case SF_SCR_OPT_MSS:
      o[n] = 2, o[n + 1] = 4;
      sf_put16(o + n + 2, op->mss);
      n += 4;
      break;
    case SF_SCR_OPT_WSCALE:
      o[n] = 3, o[n + 1] = 3, o[n + 2] = op->wscale;
      n += 3;
      break;
    case SF_SCR_OPT_SACK_PERMITTED:
      o[n] = 4, o[n + 1] = 2;
      n += 2;
      break;
    case SF_SCR_OPT_SACK:
      o[n] = 5, o[n + 1] = (uint8_t)(2 + 8 * op->n_sack);
      for (size_t b = 0; b < op->n_sack; b++) {
        sf_put32(o + n + 2 + 8 * b, op->sack[b].left + isn);
        sf_put32(o + n + 6 + 8 * b, op->sack[b].right + isn);
      }
      n += 2 + 8 * op->n_sack;
      break;
    case SF_SCR_OPT_TIMESTAMP:
      o[n] = 8, o[n + 1] = 10;
      sf_put32(o + n + 2, op->ts_val);
      sf_put32(o + n + 6, live_ts(r, op->ts_ecr));
      n += 10;
      break;
    default:
      break; /* refused by the support check */
    }
  }
  while (n % 4)
    o[n++] = 0;
  return n;
}

/* A 20-byte IPv4 header in front of `len` bytes of payload. */
static void put_ip(struct runner *r, const sf_script_ip *ip, uint8_t *b,
                   uint8_t proto, size_t len, uint32_t src, uint32_t dst) {
  memset(b, 0, IP_HLEN);
  b[0] = 0x45;
  uint8_t tos = (ip->present & SF_SCR_IP_TOS) ? ip->tos : 0;
  static const uint8_t ecn_bits[] = {0, 0, 2, 1, 0, 3};
  if (ip->ecn != SF_SCR_ECN_UNSPEC)
    tos = (uint8_t)((tos & ~3) | ecn_bits[ip->ecn]);
  b[1] = tos;
  sf_put16(b + 2, (uint16_t)(IP_HLEN + len));
  sf_put16(b + 4, r->ip_id++);
  sf_put16(b + 6, 0x4000); /* DF, as a Linux peer sends */
  b[8] = (ip->present & SF_SCR_IP_TTL) ? ip->ttl : 64;
  b[9] = proto;
  sf_put32(b + 12, src);
  sf_put32(b + 16, dst);
}

/* A script may ask for more than a datagram holds: an error at its line,
 * before anything is written past r->pkt. */
static bool fits_datagram(struct runner *r, const sf_script_event *ev,
                          size_t len) {
  if (len <= IP_MAXPACKET)
    return true;
  run_fail(r, ev,
           "%s:%u:%u: inbound datagram of %zu bytes: longer than IPv4 "
           "allows (%d)",
           r->path, ev->pos.line, ev->pos.column, len, IP_MAXPACKET);
  r->status = SF_RESULT_ERROR; /* the script cannot run as written */
  return false;
}

static size_t build_tcp(struct runner *r, const sf_script_event *ev,
                        uint8_t *b) {
  const sf_script_packet *p = &ev->packet;
  struct run_conn *c = run_conn_for(r, p);
  const sf_script_tcp *t = &p->tcp;
  uint8_t *th = b + IP_HLEN;
  memset(th, 0, TCP_HLEN);
  size_t optlen = put_options(r, c, t, th + TCP_HLEN);
  size_t doff = TCP_HLEN + optlen;
  size_t len = t->seq.len;
  if (!fits_datagram(r, ev, IP_HLEN + doff + len))
    return 0;
  sf_put16(th, p->has_ports ? p->sport : c->rport);
  sf_put16(th + 2, p->has_ports ? p->dport : c->lport);
  sf_put32(th + 4, t->seq.start);
  if (t->present & SF_SCR_TCP_HAS_ACK)
    sf_put32(th + 8, t->ack + (c->isn_known ? c->sut_isn : 0));
  th[12] = (uint8_t)((doff / 4) << 4);
  th[13] = tcp_flags(t->flags);
  sf_put16(th + 14, t->win);
  if (t->present & SF_SCR_TCP_HAS_URG)
    sf_put16(th + 18, t->urg);
  if (r->oracle) /* the peer's pattern, as in a fuzz scenario */
    memcpy(th + doff, sf_oracle_peer_payload(r->oracle, t->seq.start, th[13]),
           len);
  else
    memset(th + doff, 0, len);
  put_ip(r, &p->ip, b, IPPROTO_TCP, doff + len, RUN_REMOTE_IP, RUN_LOCAL_IP);
  if (p->ip.present & SF_SCR_IP_TCP_DOFF)
    th[12] = (uint8_t)(p->ip.tcp_doff << 4);
  return IP_HLEN + doff + len; /* the checksum comes last: tcp_checksum() */
}

/* The TCP checksum, once the IP header is complete: over the pseudo header
 * the receiver checks, with the final destination of a source route (RFC
 * 1122 3.2.1.8). */
static void tcp_checksum(const sf_script_ip *ip, uint8_t *b, size_t len) {
  size_t hl = (size_t)(b[0] & 15) * 4;
  uint8_t *th = b + hl;
  uint32_t seglen = (uint32_t)(len - hl);
  uint32_t dst = sf_ipv4_pseudo_dst(b, hl);
  sf_put16(th + 16, 0);
  uint32_t pseudo = sf_csum_pseudo(sf_get32(b + 12), dst, 6, seglen);
  uint16_t sum = sf_csum_fold(sf_csum_partial(pseudo, th, seglen));
  if (ip->present & SF_SCR_IP_TCP_CSUM_BAD)
    sum = (uint16_t)(sum ^ 0x0f0f); /* any other value is wrong */
  sf_put16(th + 16, sum);
}

static bool icmp_number(const char *name, const char *const *names, size_t n,
                        uint8_t *out) {
  for (size_t i = 0; i < n; i++) {
    if (names[i] && strcmp(names[i], name) == 0) {
      *out = (uint8_t)i;
      return true;
    }
  }
  unsigned v;
  char c;
  if (sscanf(name, "%*[a-z]_%u%c", &v, &c) == 1 && v < 256) {
    *out = (uint8_t)v;
    return true;
  }
  return false;
}

int sf_run_icmp_type_code(const sf_script_icmp *m, uint8_t *type,
                          uint8_t *code) {
  static const char *const types[] = {
      [0] = "echo_reply",        [3] = "unreachable",  [4] = "source_quench",
      [5] = "redirect",          [8] = "echo_request", [11] = "time_exceeded",
      [12] = "parameter_problem"};
  static const char *const unreach[] = {"net_unreachable",
                                        "host_unreachable",
                                        "protocol_unreachable",
                                        "port_unreachable",
                                        "frag_needed",
                                        "source_route_failed",
                                        "net_unknown",
                                        "host_unknown",
                                        "source_host_isolated",
                                        "net_prohibited",
                                        "host_prohibited",
                                        "net_unreachable_for_tos",
                                        "host_unreachable_for_tos",
                                        "packet_filtered",
                                        "precedence_violation",
                                        "precedence_cutoff"};
  static const char *const exceeded[] = {"ttl_exceeded",
                                         "frag_reassembly_time_exceeded"};
  if (!icmp_number(m->type, types, sizeof(types) / sizeof(types[0]), type))
    return -EINVAL;
  *code = 0;
  if (!m->code)
    return 0;
  bool ok = *type == 3    ? icmp_number(m->code, unreach, 16, code)
            : *type == 11 ? icmp_number(m->code, exceeded, 2, code)
                          : icmp_number(m->code, NULL, 0, code);
  return ok ? 0 : -EINVAL;
}

static size_t build_icmp(struct runner *r, const sf_script_packet *p,
                         uint8_t *b, const sf_script_event *ev) {
  const sf_script_icmp *m = &p->icmp;
  uint8_t type, code;
  if (sf_run_icmp_type_code(m, &type, &code) < 0) {
    run_fail(r, ev, "unknown ICMP type or code %s %s", m->type,
             m->code ? m->code : "");
    return 0;
  }
  uint8_t *ih = b + IP_HLEN;
  memset(ih, 0, 8);
  ih[0] = type;
  ih[1] = code;
  size_t len = 8;
  if (type == 0 || type == 8) {
    if (!fits_datagram(r, ev, IP_HLEN + 8 + (size_t)m->len))
      return 0;
    sf_put16(ih + 4, m->id);
    sf_put16(ih + 6, m->seq);
    memset(ih + 8, 0, m->len);
    len += m->len;
  } else {
    if (m->present & SF_SCR_ICMP_HAS_MTU)
      sf_put16(ih + 6, (uint16_t)m->mtu);
    /* RFC 792: the datagram in error, as the SUT sent it */
    struct run_conn *c = run_conn_for(r, p);
    uint8_t *q = ih + 8;
    uint16_t qlen = m->echoed == SF_SCR_ICMP_ECHOED_TCP ? m->echoed_seq.len : 0;
    sf_script_ip none = {0};
    put_ip(r, &none, q, IPPROTO_TCP, TCP_HLEN + qlen, RUN_LOCAL_IP,
           RUN_REMOTE_IP);
    sf_put16(q + 10, sf_csum(q, IP_HLEN));
    uint8_t *qt = q + IP_HLEN;
    memset(qt, 0, TCP_HLEN);
    sf_put16(qt, c->lport);
    sf_put16(qt + 2, c->rport);
    uint32_t start =
        m->echoed == SF_SCR_ICMP_ECHOED_TCP ? m->echoed_seq.start : 0;
    sf_put32(qt + 4, start + (c->isn_known ? c->sut_isn : 0));
    qt[12] = 5 << 4;
    len += IP_HLEN + TCP_HLEN;
  }
  sf_put16(ih + 2, sf_csum(ih, len));
  put_ip(r, &p->ip, b, IPPROTO_ICMP, len, RUN_REMOTE_IP, RUN_LOCAL_IP);
  return IP_HLEN + len;
}

/* Extensions ip_opts and ip_dst: the options go after the fixed header,
 * padded with EOL. */
static size_t ip_options_and_dst(const sf_script_ip *ip, uint8_t *b,
                                 size_t len) {
  if (!(ip->present & (SF_SCR_IP_IP_OPTS | SF_SCR_IP_IP_DST)))
    return len;
  size_t olen = (ip->present & SF_SCR_IP_IP_OPTS)
                    ? ((size_t)ip->ip_opts_len + 3) & ~(size_t)3
                    : 0;
  if (len + olen > IP_MAXPACKET)
    return len + olen; /* too long, left unwritten: the caller fails */
  memmove(b + IP_HLEN + olen, b + IP_HLEN, len - IP_HLEN);
  memset(b + IP_HLEN, 0, olen);
  memcpy(b + IP_HLEN, ip->ip_opts, ip->ip_opts_len);
  len += olen;
  b[0] = (uint8_t)(0x40 | (IP_HLEN + olen) / 4);
  sf_put16(b + 2, (uint16_t)len);
  if (ip->present & SF_SCR_IP_IP_DST)
    sf_put32(b + 16, ip->ip_dst);
  return len;
}

/* synfin extensions on the IP header, then its checksum. */
static void ip_extensions(const sf_script_ip *ip, uint8_t *b) {
  if (ip->present & SF_SCR_IP_IHL)
    b[0] = (uint8_t)(0x40 | (ip->ihl & 15));
  if (ip->present & SF_SCR_IP_IP_LEN)
    sf_put16(b + 2, ip->ip_len);
  if (ip->present & SF_SCR_IP_IP_ID)
    sf_put16(b + 4, ip->ip_id);
  if (ip->present & SF_SCR_IP_IP_PROTO)
    b[9] = ip->ip_proto;
  if (ip->present & SF_SCR_IP_DF)
    sf_put16(b + 6, 0x4000);
}

static void ip_checksum(const sf_script_ip *ip, uint8_t *b, size_t len) {
  size_t hl = (size_t)(b[0] & 15) * 4;
  if (hl < IP_HLEN)
    hl = IP_HLEN;
  if (hl > len)
    hl = len;
  sf_put16(b + 10, 0);
  uint16_t sum = sf_csum(b, hl);
  if (ip->present & SF_SCR_IP_IP_CSUM_BAD)
    sum = (uint16_t)(sum ^ 0x0f0f);
  sf_put16(b + 10, sum);
}

static int inject_one(struct runner *r, const uint8_t *pkt, size_t len) {
  run_trace_add(r, SF_DIR_IN, r->sut->ops->now(r->sut), pkt, len);
  if (r->oracle)
    sf_oracle_injecting(r->oracle, true);
  int rc = r->sut->ops->inject(r->sut, pkt, len);
  if (r->oracle)
    sf_oracle_injecting(r->oracle, false);
  return rc;
}

/* Extension frag_size: the datagram goes out as fragments, in order,
 * reversed, or shuffled by a seed. */
static int inject_fragments(struct runner *r, const sf_script_ip *ip,
                            const uint8_t *dgram, size_t len, size_t hl) {
  size_t payload = len - hl, step = ip->frag_size;
  size_t count = (payload + step - 1) / step;
  if (count == 0 || count > 8192)
    return -EINVAL;
  uint32_t order[8192];
  for (uint32_t i = 0; i < count; i++)
    order[i] = i;
  if (ip->frag_order == SF_SCR_FRAG_REVERSE) {
    for (uint32_t i = 0; i < count; i++)
      order[i] = (uint32_t)(count - 1 - i);
  } else if (ip->frag_order == SF_SCR_FRAG_SHUFFLE) {
    struct sf_rng rng;
    sf_rng_seed(&rng, ip->frag_seed);
    for (uint32_t i = (uint32_t)count - 1; i > 0; i--) {
      uint32_t j = sf_rng_below(&rng, i + 1);
      uint32_t t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
  }
  uint8_t frag[60 + 65536];
  for (size_t k = 0; k < count; k++) {
    size_t i = order[k], off = i * step;
    size_t n = payload - off < step ? payload - off : step;
    memcpy(frag, dgram, hl); /* options too: a source route is copied */
    memcpy(frag + hl, dgram + hl + off, n);
    sf_put16(frag + 2, (uint16_t)(hl + n));
    uint16_t field = (uint16_t)(off / 8);
    if (i + 1 < count)
      field |= 0x2000; /* MF */
    sf_put16(frag + 6, field);
    ip_checksum(ip, frag, hl + n);
    int rc = inject_one(r, frag, hl + n);
    if (rc < 0)
      return rc;
  }
  return 0;
}

int run_inject(struct runner *r, const sf_script_event *ev) {
  const sf_script_packet *p = &ev->packet;
  size_t len = 0;
  switch (p->kind) {
  case SF_SCR_PKT_RAW:
    if (r->oracle)
      sf_oracle_inbound(r->oracle, p->raw, p->raw_len);
    return inject_one(r, p->raw, p->raw_len);
  case SF_SCR_PKT_TCP:
    len = build_tcp(r, ev, r->pkt);
    if (len == 0)
      return -EMSGSIZE;
    break;
  case SF_SCR_PKT_ICMP:
    len = build_icmp(r, p, r->pkt, ev);
    if (len == 0)
      return -EINVAL;
    break;
  default:
    return -ENOTSUP;
  }
  len = ip_options_and_dst(&p->ip, r->pkt, len);
  if (!fits_datagram(r, ev, len))
    return -EMSGSIZE;
  if (p->kind == SF_SCR_PKT_TCP)
    tcp_checksum(&p->ip, r->pkt, len);
  size_t hl = (size_t)(r->pkt[0] & 15) * 4;
  ip_extensions(&p->ip, r->pkt);
  if (r->oracle) {
    /* the whole datagram, as a scenario's peer notes it */
    ip_checksum(&p->ip, r->pkt, len);
    sf_oracle_inbound(r->oracle, r->pkt, len);
  }
  if (p->ip.present & SF_SCR_IP_FRAG_SIZE) {
    sf_put16(r->pkt + 6, 0);
    return inject_fragments(r, &p->ip, r->pkt, len, hl);
  }
  ip_checksum(&p->ip, r->pkt, len);
  return inject_one(r, r->pkt, len);
}
