/* Building IPv4/TCP datagrams for injection (fuzz scenarios, repro). */
#ifndef SF_PKTBUILD_H
#define SF_PKTBUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sf_tcp_pkt {
  uint32_t src, dst; /* host byte order */
  uint16_t sport, dport;
  uint32_t seq, ack;
  uint8_t flags;
  uint16_t win, urp;
  const uint8_t *opts; /* padded to a multiple of 4 with zeros (EOL) */
  uint8_t optlen;
  const uint8_t *payload; /* NULL: len zero bytes */
  uint32_t len;
  uint8_t ttl, tos;
  uint16_t ip_id;
  bool df;
};

/* Writes the datagram with valid checksums; returns its length, or 0 when
 * cap is too small. */
size_t sf_build_tcp(uint8_t *buf, size_t cap, const struct sf_tcp_pkt *p);
/* Recomputes the IPv4 header checksum over the header IHL describes. */
void sf_fix_ip_csum(uint8_t *pkt, size_t len);
/* Recomputes the TCP checksum of a datagram with a 20-byte IP header... of
 * any IHL within len. */
void sf_fix_tcp_csum(uint8_t *pkt, size_t len);

#endif
