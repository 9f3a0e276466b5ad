/* Internal layout of the stack, shared by its modules. Not installed. */
#ifndef SF_STACK_INTERNAL_H
#define SF_STACK_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "synfin/checksum.h"
#include "synfin/stack.h"

#include "ip_options.h"
#include "ip_reassembly.h"
#include "synfin/rng.h"
#include "tcp.h"

#define SF_IP_MAXPACKET 65535u
#define SF_FD_BASE 3

/* What IPv4 input hands to the protocols above it. */
struct sf_ip_meta {
  uint32_t src, dst; /* host byte order */
  uint8_t proto, tos, ttl;
  uint16_t id;
  const uint8_t *hdr; /* the (first fragment's) IP header */
  uint32_t hlen;      /* bytes of hdr */
  uint32_t total_len; /* bytes of the whole datagram (after reassembly) */
};

struct sf_stack {
  sf_config cfg; /* copied at creation; cfg.profile is the live profile */
  uint64_t now_us;
  sf_stats stats;
  struct sf_rng rng;
  uint64_t isn_key[2]; /* secret of the ISN function, from the seed */
  uint16_t ip_id;      /* next IPv4 Identification */
  uint16_t next_ephemeral;

  /* Socket slots: connections, listeners and unaccepted connections. */
  struct sf_sock *socks; /* cfg.max_sockets entries */
  uint32_t socks_used;   /* slots touched since the last reset */
  int32_t *fd_slot;      /* fd - SF_FD_BASE -> slot, or -1 */

  struct sf_reass reass;

  /* Outgoing datagram under construction (one at a time). */
  uint8_t *txbuf; /* SF_IP_MAXPACKET bytes */

  uint8_t *arena; /* the single allocation behind everything above */
  size_t arena_size;
};

/* Emits an event through the configured callback, if any. */
void sf_emit_event(sf_stack *st, const sf_event *ev);
/* Counts a drop (the counter is incremented by the caller) and reports it. */
void sf_drop(sf_stack *st, const char *reason);

/* ipv4.c */
void sf_ipv4_input(sf_stack *st, const uint8_t *pkt, size_t len);
/* Describes the header of a datagram already checked (hdr points into
 * pkt; total_len is the header's). */
void sf_ipv4_parse_meta(const uint8_t *pkt, struct sf_ip_meta *m);
/* Hands a datagram to the upper protocol (after reassembly). */
void sf_ipv4_deliver(sf_stack *st, const struct sf_ip_meta *ip,
                     const uint8_t *payload, size_t len);
/* Where an upper protocol writes its payload before sf_ipv4_send(). */
static inline uint8_t *sf_ipv4_payload(sf_stack *st) {
  return st->txbuf + 20;
}
/* Wraps the payload in st->txbuf in a 20-byte IPv4 header and emits it. */
int sf_ipv4_send(sf_stack *st, uint32_t src, uint32_t dst, uint8_t proto,
                 uint8_t tos, bool dont_fragment, size_t payload_len);
/* The same with the options of `route` (NULL or empty: none); dst is the
 * final destination. */
int sf_ipv4_send_route(sf_stack *st, uint32_t src, uint32_t dst, uint8_t proto,
                       uint8_t tos, bool dont_fragment, size_t payload_len,
                       const struct sf_ip_route *route);

/* Martian address checks (host byte order). */
bool sf_ipv4_is_martian_src(uint32_t addr);
bool sf_ipv4_is_bcast_or_mcast(uint32_t addr);

/* icmp.c */
void sf_icmp_input(sf_stack *st, const struct sf_ip_meta *ip,
                   const uint8_t *msg, size_t len);
/* Sends a Destination Unreachable about a received datagram, unless RFC 1122
 * 3.2.2 forbids an error about it. `ip` describes the datagram and `payload`
 * its first bytes after the IP header. */
void sf_icmp_send_unreach(sf_stack *st, const struct sf_ip_meta *ip,
                          const uint8_t *payload, size_t len, uint8_t code);
/* The same for any ICMP error type (Time Exceeded from reassembly). */
void sf_icmp_send_error(sf_stack *st, const struct sf_ip_meta *ip,
                        const uint8_t *payload, size_t len, uint8_t type,
                        uint8_t code);

/* stack.c: descriptors and slots. */
struct sf_sock *sf_sock_from_fd(sf_stack *st, int fd);
struct sf_sock *sf_sock_alloc(sf_stack *st);
void sf_sock_release(sf_stack *st, struct sf_sock *sk);
int sf_fd_alloc(sf_stack *st, struct sf_sock *sk);
void sf_fd_release(sf_stack *st, struct sf_sock *sk);

#endif
