/* Decodes an IPv4 datagram (TCP, UDP, ICMP) into a plain sf_pkt_view. The
 * input is arbitrary bytes, later fuzzed: every read is bounded by the
 * length given, every length field is checked before it is used, and a
 * problem becomes v->error with its byte offset, never an assert. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "synfin/checksum.h"
#include "synfin/trace.h"

static uint16_t rd16(const uint8_t *p) {
  return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         (uint32_t)p[3];
}

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static int
fail(sf_pkt_view *v, int rc, size_t off, const char *fmt, ...) {
  /* Keep the first problem: it explains the rest. */
  if (v->error[0] != '\0')
    return rc;
  int n = snprintf(v->error, sizeof(v->error), "byte %zu: ", off);
  if (n > 0 && (size_t)n < sizeof(v->error)) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->error + n, sizeof(v->error) - (size_t)n, fmt, ap);
    va_end(ap);
  }
  v->error_off = off;
  return rc;
}

/* The one's complement sum of RFC 1071, folded to 16 bits. */
static uint32_t sum_add(uint32_t sum, const uint8_t *p, size_t n) {
  for (size_t i = 0; i + 1 < n; i += 2)
    sum += rd16(p + i);
  if (n % 2 != 0)
    sum += (uint32_t)p[n - 1] << 8;
  return sum;
}

static uint16_t sum_fold(uint32_t sum) {
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)sum;
}

/* True if the segment's checksum verifies over the RFC 9293 3.1 pseudo
 * header (source, destination, zero, protocol, transport length). */
static bool pseudo_csum_ok(const sf_pkt_view *v, const uint8_t *seg, size_t n) {
  const uint8_t *ip = v->pkt;
  /* RFC 1122 3.2.1.8: a source route's final destination */
  uint32_t dst = sf_ipv4_pseudo_dst(ip, (size_t)v->ip.ihl * 4);
  uint8_t d[4] = {(uint8_t)(dst >> 24), (uint8_t)(dst >> 16),
                  (uint8_t)(dst >> 8), (uint8_t)dst};
  uint32_t sum = sum_add(0, ip + 12, 4);
  sum = sum_add(sum, d, 4);
  sum += v->ip.proto;
  sum += (uint32_t)n;
  sum = sum_add(sum, seg, n);
  return sum_fold(sum) == 0xffff;
}

/* ---- TCP options ---- */

static void opt_values(sf_pkt_tcp_option *o) {
  const uint8_t *d = o->data;
  switch (o->kind) {
  case SF_TCPOPT_EOL:
  case SF_TCPOPT_NOP:
    o->valid = true;
    break;
  case SF_TCPOPT_MSS:
    if (o->len == 4) {
      o->valid = true;
      o->mss = rd16(d);
    }
    break;
  case SF_TCPOPT_WSCALE:
    if (o->len == 3) {
      o->valid = true;
      o->wscale = d[0];
    }
    break;
  case SF_TCPOPT_SACK_PERMITTED:
    o->valid = o->len == 2;
    break;
  case SF_TCPOPT_SACK:
    /* RFC 2018 3: 8 bytes per block; at most 4 fit in 40 bytes */
    if (o->len >= 10 && (o->len - 2) % 8 == 0 &&
        (o->len - 2) / 8 <= SF_PKT_MAX_SACK_BLOCKS) {
      o->valid = true;
      o->n_sack = (uint8_t)((o->len - 2) / 8);
      for (size_t i = 0; i < o->n_sack; i++) {
        o->sack[i].left = rd32(d + 8 * i);
        o->sack[i].right = rd32(d + 8 * i + 4);
      }
    }
    break;
  case SF_TCPOPT_TIMESTAMP:
    if (o->len == 10) {
      o->valid = true;
      o->ts_val = rd32(d);
      o->ts_ecr = rd32(d + 4);
    }
    break;
  case SF_TCPOPT_MD5:
  case SF_TCPOPT_FASTOPEN:
    /* packetdrill's bounds: a digest or cookie of at most 16 bytes */
    o->valid = o->len >= 2 && o->len <= 18;
    break;
  case SF_TCPOPT_EXP:
    /* RFC 7413 experimental TFO: magic 0xf989 then the cookie */
    o->valid = o->len >= 4 && o->len <= 20 && rd16(d) == 0xf989;
    break;
  default:
    break;
  }
}

/* opts: the option bytes of the header, at offset base in the datagram. */
static void decode_options(sf_pkt_tcp *t, const uint8_t *opts, size_t n,
                           size_t base) {
  size_t i = 0;
  while (i < n && t->n_options < SF_PKT_MAX_OPTIONS) {
    uint8_t kind = opts[i];
    size_t olen;
    if (kind == SF_TCPOPT_EOL || kind == SF_TCPOPT_NOP) {
      olen = 1;
    } else if (i + 1 >= n || opts[i + 1] < 2 || opts[i + 1] > n - i) {
      /* no length byte, a length below 2 (which would loop or overlap
       * the kind), or an option running past the header */
      t->opt_malformed = true;
      t->opt_malformed_off = (uint16_t)(base + i);
      t->opt_rest_len = (uint8_t)(n - i);
      memcpy(t->opt_rest, opts + i, n - i);
      return;
    } else {
      olen = opts[i + 1];
    }
    sf_pkt_tcp_option *o = &t->options[t->n_options++];
    memset(o, 0, sizeof(*o));
    o->kind = kind;
    o->len = (uint8_t)olen;
    o->offset = (uint16_t)(base + i);
    if (olen >= 2) {
      o->data_len = (uint8_t)(olen - 2);
      memcpy(o->data, opts + i + 2, olen - 2);
    }
    opt_values(o);
    i += olen;
  }
}

/* ---- transports ---- */

static int decode_tcp(sf_pkt_view *v, size_t off, size_t avail) {
  const uint8_t *p = v->pkt + off;
  sf_pkt_tcp *t = &v->tcp;
  if (avail < 20)
    return fail(v, -EINVAL, off, "truncated TCP header (%zu of 20 bytes)",
                avail);
  t->sport = rd16(p);
  t->dport = rd16(p + 2);
  t->seq = rd32(p + 4);
  t->ack = rd32(p + 8);
  t->doff = p[12] >> 4;
  t->reserved = (p[12] >> 1) & 0x7;
  t->flags = (uint16_t)(p[13] | (p[12] & 1) << 8);
  t->win = rd16(p + 14);
  t->csum = rd16(p + 16);
  t->urg = rd16(p + 18);
  size_t hl = (size_t)t->doff * 4;
  if (t->doff < 5)
    return fail(v, -EINVAL, off + 12,
                "TCP data offset %u (%zu bytes), less than 20", t->doff, hl);
  if (hl > avail)
    return fail(v, -EINVAL, off + avail,
                "truncated TCP options (%zu of %zu bytes)", avail - 20,
                hl - 20);
  decode_options(t, p + 20, hl - 20, off + 20);
  t->payload = p + hl;
  t->payload_len = avail - hl;
  if (!v->ip.truncated) {
    t->csum_checked = true;
    t->csum_ok = pseudo_csum_ok(v, p, avail);
  }
  v->l4 = SF_PKT_L4_TCP;
  return 0;
}

static int decode_udp(sf_pkt_view *v, size_t off, size_t avail) {
  const uint8_t *p = v->pkt + off;
  sf_pkt_udp *u = &v->udp;
  if (avail < 8)
    return fail(v, -EINVAL, off, "truncated UDP header (%zu of 8 bytes)",
                avail);
  u->sport = rd16(p);
  u->dport = rd16(p + 2);
  u->len = rd16(p + 4);
  u->csum = rd16(p + 6);
  u->payload_len = avail - 8;
  /* RFC 768: a zero checksum means none was computed */
  if (!v->ip.truncated && u->csum != 0) {
    u->csum_checked = true;
    u->csum_ok = pseudo_csum_ok(v, p, avail);
  }
  v->l4 = SF_PKT_L4_UDP;
  return 0;
}

static bool icmp_is_error(uint8_t type) {
  /* RFC 792: unreachable, source quench, redirect, time exceeded,
   * parameter problem quote the IP header and 8 bytes after it */
  return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

static void decode_quote(sf_pkt_icmp_quote *q, const uint8_t *p, size_t n) {
  if (n < 20 || p[0] >> 4 != 4 || (p[0] & 0xf) < 5 ||
      (size_t)(p[0] & 0xf) * 4 > n)
    return;
  q->ok = true;
  q->ihl = p[0] & 0xf;
  q->total_len = rd16(p + 2);
  q->id = rd16(p + 4);
  q->proto = p[9];
  q->src = rd32(p + 12);
  q->dst = rd32(p + 16);
  size_t hl = (size_t)q->ihl * 4;
  const uint8_t *l4 = p + hl;
  q->l4_len = n - hl;
  if (q->proto != SF_IPPROTO_TCP && q->proto != SF_IPPROTO_UDP)
    return;
  if (q->l4_len >= 4) {
    q->has_ports = true;
    q->sport = rd16(l4);
    q->dport = rd16(l4 + 2);
  }
  if (q->proto == SF_IPPROTO_UDP) {
    if (q->l4_len >= 8) {
      q->has_udp_len = true;
      q->udp_len = rd16(l4 + 4);
    }
    return;
  }
  if (q->l4_len >= 8) {
    q->has_seq = true;
    q->seq = rd32(l4 + 4);
  }
  if (q->l4_len >= 13) {
    q->has_doff = true;
    q->doff = l4[12] >> 4;
  }
  if (q->l4_len >= 14) {
    q->has_flags = true;
    q->flags = (uint16_t)(l4[13] | (l4[12] & 1) << 8);
  }
}

static int decode_icmp(sf_pkt_view *v, size_t off, size_t avail) {
  const uint8_t *p = v->pkt + off;
  sf_pkt_icmp *c = &v->icmp;
  if (avail < 8)
    return fail(v, -EINVAL, off, "truncated ICMP header (%zu of 8 bytes)",
                avail);
  c->type = p[0];
  c->code = p[1];
  c->csum = rd16(p + 2);
  c->rest = rd32(p + 4);
  c->data_len = avail - 8;
  if (!v->ip.truncated) {
    c->csum_checked = true;
    c->csum_ok = sum_fold(sum_add(0, p, avail)) == 0xffff;
  }
  if (c->type == 0 || c->type == 8) {
    c->id = rd16(p + 4);
    c->seq = rd16(p + 6);
  } else if (c->type == 3 && c->code == 4) {
    /* RFC 1191 4: next-hop MTU in the low 16 bits */
    c->mtu = rd16(p + 6);
  }
  c->is_error = icmp_is_error(c->type);
  if (c->is_error)
    decode_quote(&c->q, p + 8, avail - 8);
  v->l4 = SF_PKT_L4_ICMP;
  return 0;
}

/* ---- IPv4 ---- */

int sf_pkt_decode(const uint8_t *pkt, size_t len, sf_pkt_view *v) {
  if (v == NULL)
    return -EINVAL;
  memset(v, 0, sizeof(*v));
  v->pkt = pkt;
  v->len = pkt != NULL ? len : 0;
  if (v->len == 0)
    return fail(v, -EINVAL, 0, "empty packet");
  sf_pkt_ipv4 *ip = &v->ip;
  ip->version = pkt[0] >> 4;
  if (ip->version != 4)
    return fail(v, -EPROTONOSUPPORT, 0, "IP version %u, not 4", ip->version);
  ip->ihl = pkt[0] & 0xf;
  if (len < 20)
    return fail(v, -EINVAL, 0, "truncated IPv4 header (%zu of 20 bytes)", len);
  ip->tos = pkt[1];
  ip->total_len = rd16(pkt + 2);
  ip->id = rd16(pkt + 4);
  uint16_t frag = rd16(pkt + 6);
  ip->rf = (frag & 0x8000) != 0;
  ip->df = (frag & 0x4000) != 0;
  ip->mf = (frag & 0x2000) != 0;
  ip->frag_off = frag & 0x1fff;
  ip->ttl = pkt[8];
  ip->proto = pkt[9];
  ip->csum = rd16(pkt + 10);
  ip->src = rd32(pkt + 12);
  ip->dst = rd32(pkt + 16);
  size_t hl = (size_t)ip->ihl * 4;
  if (ip->ihl < 5)
    return fail(v, -EINVAL, 0,
                "IPv4 header length %zu bytes (ihl %u), less than 20", hl,
                ip->ihl);
  if (hl > len)
    return fail(v, -EINVAL, len, "truncated IPv4 options (%zu of %zu bytes)",
                len - 20, hl - 20);
  ip->opt_len = (uint8_t)(hl - 20);
  ip->csum_ok = sum_fold(sum_add(0, pkt, hl)) == 0xffff;
  v->ip_ok = true;
  if (ip->total_len < hl)
    return fail(v, -EINVAL, 2,
                "IPv4 total length %u, less than the %zu-byte "
                "header",
                ip->total_len, hl);
  size_t end = ip->total_len;
  int rc = 0;
  if (end > len) {
    ip->truncated = true;
    rc = fail(v, -EINVAL, len, "truncated datagram (%zu of %zu bytes)", len,
              end);
    end = len;
  } else {
    ip->trailing = len - end;
  }
  ip->payload_len = end - hl;
  ip->fragment = ip->mf || ip->frag_off != 0;
  if (ip->fragment)
    return rc;
  int r = 0;
  switch (ip->proto) {
  case SF_IPPROTO_TCP:
    r = decode_tcp(v, hl, end - hl);
    break;
  case SF_IPPROTO_UDP:
    r = decode_udp(v, hl, end - hl);
    break;
  case SF_IPPROTO_ICMP:
    r = decode_icmp(v, hl, end - hl);
    break;
  default:
    v->l4 = SF_PKT_L4_OTHER;
    break;
  }
  return rc != 0 ? rc : r;
}
