/* The Internet checksum (RFC 1071), for the stack and for anything that
 * builds or checks packets. */
#ifndef SYNFIN_CHECKSUM_H
#define SYNFIN_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

uint32_t sf_csum_partial(uint32_t sum, const void *buf, size_t len);
uint16_t sf_csum_fold(uint32_t sum);
/* Sum of the IPv4 pseudo header (addresses in host byte order). */
uint32_t sf_csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto,
                        uint32_t len);

/* The destination address of the transport pseudo header of an IPv4
 * datagram whose header (hlen bytes, options included) is at hdr: the final
 * destination of a source route not yet completed (RFC 1122 3.2.1.8), else
 * the header's destination. Host byte order. */
uint32_t sf_ipv4_pseudo_dst(const uint8_t *hdr, size_t hlen);

/* The checksum of a complete buffer (an IPv4 header, an ICMP message). */
static inline uint16_t sf_csum(const void *buf, size_t len) {
  return sf_csum_fold(sf_csum_partial(0, buf, len));
}

#ifdef __cplusplus
}
#endif

#endif
