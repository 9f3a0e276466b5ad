/* ICMP (RFC 792, RFC 1122 3.2.2): echo, the errors the stack sends, and the
 * errors it receives about its own TCP segments.
 *
 * Errors we send quote the offending datagram's header and as much of its
 * data as keeps the error datagram within 576 bytes (RFC 1812 4.3.2.3, which
 * RFC 1122 3.2.2 allows: "more than 8 octets MAY be sent"). Linux quotes the
 * same amount, so traces compare with a real kernel.
 */
#include <arpa/inet.h>
#include <stddef.h>

#include "stack_internal.h"
#include "synfin/bytes.h"

#define ICMP_ECHOREPLY 0
#define ICMP_UNREACH 3
#define ICMP_SOURCEQUENCH 4
#define ICMP_ECHO 8
#define ICMP_TIMXCEED 11
#define ICMP_PARAMPROB 12
#define ICMP_TSTAMP 13
#define ICMP_MASKREPLY 18

#define ICMP_UNREACH_PROTOCOL 2
#define ICMP_UNREACH_NEEDFRAG 4

#define ICMP_HLEN 8      /* type, code, checksum, 4 bytes of rest */
#define IP_HLEN 20u      /* the header sf_ipv4_send writes */
#define ICMP_ERR_MAX 576 /* bytes of an error datagram, IP header included */
#define IP_OFFMASK 0x1fffu
#define IPTOS_TOS_MASK 0x1eu
#define IPTOS_PREC_INTERNETCONTROL 0xc0u

static uint32_t local_addr(const sf_stack *st) {
  return ntohl(st->cfg.addr.s_addr);
}

static void drop(sf_stack *st, const char *why) {
  st->stats.icmp_drop++;
  sf_drop(st, why);
}

static void set_checksum(uint8_t *msg, size_t len) {
  sf_put16(msg + 2, 0);
  sf_put16(msg + 2, sf_csum_fold(sf_csum_partial(0, msg, len)));
}

static void send_icmp(sf_stack *st, uint32_t src, uint32_t dst, uint8_t tos,
                      size_t len, const struct sf_ip_route *route) {
  set_checksum(sf_ipv4_payload(st), len);
  if (sf_ipv4_send_route(st, src, dst, IPPROTO_ICMP, tos, false, len, route) ==
      0)
    st->stats.icmp_out++;
}

/* RFC 1122 3.2.2: echo, timestamp, information and address mask requests
 * and replies are queries; every other type is an error message. */
static bool is_query(uint8_t type) {
  return type == ICMP_ECHOREPLY || type == ICMP_ECHO ||
         (type >= ICMP_TSTAMP && type <= ICMP_MASKREPLY);
}

/* RFC 1122 3.2.2: never an error about an ICMP error message. A quoted ICMP
 * message too short to show its type is treated as one. */
static bool about_icmp_error(const struct sf_ip_meta *ip,
                             const uint8_t *payload, size_t len) {
  return ip->proto == IPPROTO_ICMP && (len < 1 || !is_query(payload[0]));
}

/* RFC 1122 3.2.2: no error about a non-initial fragment. */
static bool about_later_fragment(const struct sf_ip_meta *ip) {
  return !ip->hdr || ip->hlen < IP_HLEN || (sf_get16(ip->hdr + 6) & IP_OFFMASK);
}

/* RFC 1122 3.2.2: no error about a datagram sent to a broadcast or multicast
 * address, or sent from an address that is not one unique host. */
static bool error_allowed(const struct sf_ip_meta *ip, const uint8_t *payload,
                          size_t len) {
  return !sf_ipv4_is_bcast_or_mcast(ip->dst) &&
         !sf_ipv4_is_martian_src(ip->src) && !about_later_fragment(ip) &&
         !about_icmp_error(ip, payload, len);
}

/* RFC 1812 4.3.2.5, as Linux does: errors travel with precedence
 * "internetwork control" and the offending datagram's TOS bits. */
static uint8_t error_tos(const struct sf_ip_meta *ip) {
  return (uint8_t)(IPTOS_PREC_INTERNETCONTROL | (ip->tos & IPTOS_TOS_MASK));
}

/* RFC 792: type, code, checksum, 4 unused bytes, then the quote. */
void sf_icmp_send_error(sf_stack *st, const struct sf_ip_meta *ip,
                        const uint8_t *payload, size_t len, uint8_t type,
                        uint8_t code) {
  if (!error_allowed(ip, payload, len))
    return;
  uint8_t *msg = sf_ipv4_payload(st);
  size_t room = ICMP_ERR_MAX - IP_HLEN - ICMP_HLEN - ip->hlen;
  size_t n = len < room ? len : room;
  memset(msg, 0, ICMP_HLEN);
  msg[0] = type;
  msg[1] = code;
  memmove(msg + ICMP_HLEN, ip->hdr, ip->hlen);
  if (n)
    memmove(msg + ICMP_HLEN + ip->hlen, payload, n);
  send_icmp(st, local_addr(st), ip->src, error_tos(ip),
            ICMP_HLEN + ip->hlen + n, NULL);
}

void sf_icmp_send_unreach(sf_stack *st, const struct sf_ip_meta *ip,
                          const uint8_t *payload, size_t len, uint8_t code) {
  sf_icmp_send_error(st, ip, payload, len, ICMP_UNREACH, code);
}

/* RFC 1122 3.2.2.6: the reply carries the request's identifier, sequence
 * and all of its data, from the address the request was sent to, along the
 * request's source route reversed; it may be fragmented like any datagram. */
static void echo_reply(sf_stack *st, const struct sf_ip_meta *ip,
                       const uint8_t *msg, size_t len) {
  uint8_t *reply = sf_ipv4_payload(st);
  memmove(reply, msg, len);
  reply[0] = ICMP_ECHOREPLY;
  reply[1] = 0;
  struct sf_ip_route route;
  sf_ip_route_received(&route, ip->hdr, ip->hlen, ip->src);
  send_icmp(st, ip->dst, ip->src, ip->tos, len, &route);
}

/* RFC 1122 4.2.3.9 and RFC 9293 MUST-56/SHLD-26: Destination Unreachable
 * codes 2-4 are hard errors; every other error is soft. */
static bool is_hard(uint8_t type, uint8_t code) {
  return type == ICMP_UNREACH && code >= ICMP_UNREACH_PROTOCOL &&
         code <= ICMP_UNREACH_NEEDFRAG;
}

/* RFC 792 and RFC 1122 3.2.2: an error quotes the header and at least 8
 * bytes of our datagram, enough for TCP to find its connection. Returns why
 * the quote is unusable, or NULL. */
static const char *parse_quote(sf_stack *st, const uint8_t *msg, size_t len,
                               struct sf_icmp_err *err) {
  const uint8_t *q = msg + ICMP_HLEN;
  size_t qlen = len - ICMP_HLEN;
  if (qlen < IP_HLEN || q[0] >> 4 != 4 || (q[0] & 15u) < 5)
    return "icmp: quoted header malformed";
  uint32_t qhlen = (q[0] & 15u) * 4;
  if (qlen < qhlen + 8)
    return "icmp: quote shorter than header and 8 bytes";
  if (q[9] != IPPROTO_TCP || (sf_get16(q + 6) & IP_OFFMASK))
    return "icmp: quote is not the start of a TCP segment";
  if (sf_get32(q + 12) != local_addr(st))
    return "icmp: quoted datagram is not ours";
  const uint8_t *th = q + qhlen;
  memset(err, 0, sizeof(*err));
  err->type = msg[0];
  err->code = msg[1];
  err->src = sf_get32(q + 12);
  err->dst = sf_get32(q + 16);
  err->sport = sf_get16(th);
  err->dport = sf_get16(th + 2);
  err->seq = sf_get32(th + 4);
  err->hard = is_hard(msg[0], msg[1]);
  return NULL;
}

static void error_to_tcp(sf_stack *st, const uint8_t *msg, size_t len) {
  struct sf_icmp_err err;
  const char *why = parse_quote(st, msg, len, &err);
  if (why) {
    drop(st, why);
    return;
  }
  if (err.hard)
    st->stats.icmp_hard_err++;
  else
    st->stats.icmp_soft_err++;
  sf_tcp_icmp_error(st, &err);
}

void sf_icmp_input(sf_stack *st, const struct sf_ip_meta *ip,
                   const uint8_t *msg, size_t len) {
  st->stats.icmp_in++;
  if (len < ICMP_HLEN) {
    drop(st, "icmp: shorter than a header");
    return;
  }
  /* RFC 792: the checksum covers the whole message. */
  if (sf_csum_fold(sf_csum_partial(0, msg, len)) != 0) {
    drop(st, "icmp: bad checksum");
    return;
  }
  switch (msg[0]) {
  case ICMP_ECHO:
    echo_reply(st, ip, msg, len);
    return;
  case ICMP_UNREACH:
  case ICMP_TIMXCEED:
  case ICMP_PARAMPROB:
    error_to_tcp(st, msg, len);
    return;
  case ICMP_SOURCEQUENCH:
    /* RFC 9293 MUST-55 (RFC 6633): Source Quench is silently discarded. */
    drop(st, "icmp: source quench ignored");
    return;
  }
  /* RFC 1122 3.2.2: a type the host does not act on is silently discarded
   * (echo replies: the stack has no ICMP sockets). */
  drop(st, "icmp: type not handled");
}
