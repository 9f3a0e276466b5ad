/* IPv4 input and output (RFC 791, RFC 1122 3.2.1, 3.3.2). The stack is a
 * host with one address and no routing: it accepts what is addressed to it
 * and sends everything straight to the output callback. */
#include <arpa/inet.h>
#include <errno.h>

#include "stack_internal.h"
#include "synfin/bytes.h"

#define IP_DF 0x4000u
#define IP_MF 0x2000u
#define IP_OFFMASK 0x1fffu
#define IP_HLEN 20u   /* the header without options */
#define IP_DEFTTL 64u /* RFC 1700 default TTL */

/* ICMP Destination Unreachable, code 2: protocol unreachable. */
#define ICMP_UNREACH_PROTOCOL 2

/* Header fields of a datagram we send. */
struct ip_out {
  uint32_t src, dst; /* dst: the final destination */
  uint16_t id;
  uint8_t proto, tos, ttl;
  bool df;
  const struct sf_ip_route *route; /* NULL: no options */
  uint32_t hlen;                   /* IP_HLEN and the route's options */
};

static uint32_t local_addr(const sf_stack *st) {
  return ntohl(st->cfg.addr.s_addr);
}

/* RFC 1122 3.2.1.3: 0/8 ("this network"), 127/8 (loopback: never from
 * outside), 224/4 (multicast) and 240/4 (reserved, and 255.255.255.255) do
 * not name a unique host and are never a valid source. */
bool sf_ipv4_is_martian_src(uint32_t addr) {
  uint32_t a = addr >> 24;
  return a == 0 || a == 127 || a >= 224;
}

/* RFC 1122 3.2.1.3: limited broadcast and class D multicast. Without a
 * netmask the stack cannot recognise directed broadcasts. */
bool sf_ipv4_is_bcast_or_mcast(uint32_t addr) {
  return addr == 0xffffffffu || (addr >> 28) == 0xeu;
}

static bool drop(sf_stack *st, uint64_t *counter, const char *why) {
  (*counter)++;
  sf_drop(st, why);
  return false;
}

/* RFC 1122 3.2.1.1-3.2.1.2 and RFC 791 3.1: what must hold before any other
 * field can be trusted. Bytes past the total length are link padding. */
static bool header_valid(sf_stack *st, const uint8_t *pkt, size_t len) {
  sf_stats *s = &st->stats;
  if (len < IP_HLEN)
    return drop(st, &s->ip_drop_short, "ip: shorter than a header");
  if (pkt[0] >> 4 != 4)
    return drop(st, &s->ip_drop_version, "ip: version is not 4");
  uint32_t hlen = (pkt[0] & 15u) * 4;
  if (hlen < IP_HLEN)
    return drop(st, &s->ip_drop_hlen, "ip: header length below 20");
  uint32_t total = sf_get16(pkt + 2);
  if (total < hlen || total > len)
    return drop(st, &s->ip_drop_len, "ip: bad total length");
  if (sf_csum_fold(sf_csum_partial(0, pkt, hlen)) != 0)
    return drop(st, &s->ip_drop_csum, "ip: bad header checksum");
  return true;
}

void sf_ipv4_parse_meta(const uint8_t *pkt, struct sf_ip_meta *m) {
  memset(m, 0, sizeof(*m));
  m->hdr = pkt;
  m->hlen = (pkt[0] & 15u) * 4;
  m->tos = pkt[1];
  m->total_len = sf_get16(pkt + 2);
  m->id = sf_get16(pkt + 4);
  m->ttl = pkt[8];
  m->proto = pkt[9];
  m->src = sf_get32(pkt + 12);
  m->dst = sf_get32(pkt + 16);
}

/* RFC 1122 3.2.1.3 and 3.3.6: a host with one address takes only what is
 * sent to it (broadcasts and multicasts included: it joins no group), and
 * RFC 1812 5.3.7: never believes a martian source or its own address. */
static bool addresses_acceptable(sf_stack *st, const struct sf_ip_meta *m) {
  sf_stats *s = &st->stats;
  if (m->dst != local_addr(st))
    return drop(st, &s->ip_drop_not_local, "ip: not addressed to us");
  if (sf_ipv4_is_martian_src(m->src) || m->src == local_addr(st))
    return drop(st, &s->ip_drop_martian, "ip: martian source");
  return true;
}

/* RFC 1122 3.2.1.8: options the host does not implement are ignored; a
 * malformed list ends the walk there, never reading past the header. */
static void ignore_options(sf_stack *st, const uint8_t *opt, uint32_t len) {
  uint32_t i = 0;
  while (i < len && opt[i] != SF_IPOPT_EOL) {
    if (opt[i] == SF_IPOPT_NOP) {
      i++;
      continue;
    }
    if (opt[i] != SF_IPOPT_LSRR && opt[i] != SF_IPOPT_SSRR) /* acted on */
      st->stats.ip_options_ignored++;
    if (len - i < 2 || opt[i + 1] < 2 || opt[i + 1] > len - i)
      return;
    i += opt[i + 1];
  }
}

void sf_ipv4_deliver(sf_stack *st, const struct sf_ip_meta *ip,
                     const uint8_t *payload, size_t len) {
  switch (ip->proto) {
  case IPPROTO_TCP:
    sf_tcp_input(st, ip, payload, len);
    return;
  case IPPROTO_ICMP:
    sf_icmp_input(st, ip, payload, len);
    return;
  }
  /* RFC 1122 3.2.2.1: a transport we lack gets Protocol Unreachable. */
  st->stats.ip_drop_proto++;
  sf_drop(st, "ip: unknown protocol");
  sf_icmp_send_unreach(st, ip, payload, len, ICMP_UNREACH_PROTOCOL);
}

/* RFC 791 3.2: a datagram with MF or an offset is one fragment of a larger
 * one and waits for the others. */
static void reassemble(sf_stack *st, const struct sf_ip_meta *m, uint16_t frag,
                       const uint8_t *payload, size_t len) {
  struct sf_ip_meta whole;
  const uint8_t *data;
  size_t n;
  if (sf_reass_input(st, m, frag, payload, len, &whole, &data, &n) == 1)
    sf_ipv4_deliver(st, &whole, data, n);
}

/* RFC 1122 3.2.1.8: a host is the final destination of a completed source
 * route only; one not completed names a next hop, and the stack does not
 * forward (RFC 1122 3.3.5 leaves that to it). The profile may refuse every
 * source-routed datagram, as Linux does unless accept_source_route is set. */
static bool source_route_acceptable(sf_stack *st, const uint8_t *opt,
                                    uint32_t len) {
  sf_stats *s = &st->stats;
  size_t off;
  int rc = sf_ipopt_find_srr(opt, len, &off);
  if (rc == 0)
    return true;
  if (rc < 0)
    return drop(st, &s->ip_drop_srcroute, "ip: malformed source route");
  if (!st->cfg.profile.accept_source_route)
    return drop(st, &s->ip_drop_srcroute, "ip: source-routed datagram");
  if (!sf_ipopt_srr_completed(opt + off))
    return drop(st, &s->ip_drop_srcroute,
                "ip: source route not completed (no forwarding)");
  return true;
}

void sf_ipv4_input(sf_stack *st, const uint8_t *pkt, size_t len) {
  st->stats.ip_in++;
  if (!header_valid(st, pkt, len))
    return;
  struct sf_ip_meta m;
  sf_ipv4_parse_meta(pkt, &m);
  if (!addresses_acceptable(st, &m))
    return;
  if (!source_route_acceptable(st, pkt + IP_HLEN, m.hlen - IP_HLEN))
    return;
  ignore_options(st, pkt + IP_HLEN, m.hlen - IP_HLEN);
  uint16_t frag = sf_get16(pkt + 6);
  const uint8_t *payload = pkt + m.hlen;
  size_t plen = m.total_len - m.hlen;
  if (frag & (IP_MF | IP_OFFMASK))
    reassemble(st, &m, frag, payload, plen);
  else
    sf_ipv4_deliver(st, &m, payload, plen);
}

/* RFC 1122 3.2.1.7: a host never sends TTL 0; a profile value that does not
 * fit the field falls back to the default. */
static uint8_t out_ttl(const sf_stack *st) {
  uint32_t ttl = st->cfg.profile.ttl;
  return (uint8_t)(ttl == 0 || ttl > 255 ? IP_DEFTTL : ttl);
}

/* RFC 791 3.1: the options follow the fixed header; a source route goes
 * to its first hop and carries the final destination in its last slot. */
static void write_header(uint8_t *h, const struct ip_out *o, size_t payload_len,
                         uint32_t frag) {
  const struct sf_ip_route *r = o->route;
  bool routed = r && r->has_srr;
  h[0] = (uint8_t)(0x40 | o->hlen / 4);
  h[1] = o->tos;
  sf_put16(h + 2, (uint32_t)(o->hlen + payload_len));
  sf_put16(h + 4, o->id);
  sf_put16(h + 6, frag | (o->df ? IP_DF : 0));
  h[8] = o->ttl;
  h[9] = o->proto;
  sf_put16(h + 10, 0);
  sf_put32(h + 12, o->src);
  sf_put32(h + 16, routed ? r->first_hop : o->dst);
  if (r && r->len) {
    memcpy(h + IP_HLEN, r->opt, r->len);
    if (routed) {
      const uint8_t *srr = r->opt + r->srr_off;
      sf_put32(h + IP_HLEN + r->srr_off + srr[1] - 4, o->dst);
    }
  }
  sf_put16(h + 10, sf_csum_fold(sf_csum_partial(0, h, o->hlen)));
}

static void emit(sf_stack *st, const uint8_t *pkt, size_t len) {
  if (st->cfg.output)
    st->cfg.output(st->cfg.output_ctx, pkt, len);
}

/* RFC 791 3.2: every fragment but the last carries a multiple of 8 bytes and
 * MF; all share the identification and the options (the stack sends only
 * options that are copied). Each fragment's header is written over the tail
 * of the fragment before it, already sent, and those bytes are put back
 * afterwards so the payload in txbuf survives. */
static void send_fragments(sf_stack *st, const struct ip_out *o,
                           size_t payload_len) {
  size_t step = (st->cfg.mtu - o->hlen) & ~(size_t)7;
  uint8_t *base = st->txbuf + o->hlen;
  for (size_t off = 0; off < payload_len; off += step) {
    size_t n = payload_len - off < step ? payload_len - off : step;
    uint32_t frag = (uint32_t)(off / 8) | (off + n < payload_len ? IP_MF : 0);
    uint8_t *h = base + off - o->hlen;
    uint8_t saved[60];
    memcpy(saved, h, o->hlen);
    write_header(h, o, n, frag);
    emit(st, h, o->hlen + n);
    if (off)
      memcpy(h, saved, o->hlen);
  }
}

int sf_ipv4_send(sf_stack *st, uint32_t src, uint32_t dst, uint8_t proto,
                 uint8_t tos, bool dont_fragment, size_t payload_len) {
  return sf_ipv4_send_route(st, src, dst, proto, tos, dont_fragment,
                            payload_len, NULL);
}

/* stats.ip_out counts datagrams, not the fragments they leave as. The
 * payload was written after a 20-byte header; options move it up. */
int sf_ipv4_send_route(sf_stack *st, uint32_t src, uint32_t dst, uint8_t proto,
                       uint8_t tos, bool dont_fragment, size_t payload_len,
                       const struct sf_ip_route *route) {
  uint32_t hlen = IP_HLEN + (route ? route->len : 0);
  if (payload_len > SF_IP_MAXPACKET - hlen)
    return -EMSGSIZE;
  bool fits = hlen + payload_len <= st->cfg.mtu;
  /* RFC 791 3.2: DF forbids fragmenting; the sender must send less. */
  if (!fits && dont_fragment)
    return -EMSGSIZE;
  struct ip_out o = {
      .src = src,
      .dst = dst,
      .id = st->ip_id++,
      .proto = proto,
      .tos = tos,
      .ttl = out_ttl(st),
      .df = dont_fragment,
      .route = route,
      .hlen = hlen,
  };
  if (hlen > IP_HLEN)
    memmove(st->txbuf + hlen, st->txbuf + IP_HLEN, payload_len);
  st->stats.ip_out++;
  if (!fits) {
    send_fragments(st, &o, payload_len);
    return 0;
  }
  write_header(st->txbuf, &o, payload_len, 0);
  emit(st, st->txbuf, hlen + payload_len);
  return 0;
}
