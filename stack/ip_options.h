/* IPv4 options the stack sends and acts on: source routes. Internal. */
#ifndef SF_IP_OPTIONS_H
#define SF_IP_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "synfin/ipv4_options.h"

/* IPv4 options every datagram of a connection carries: a source route
 * (RFC 1122 4.2.3.8) given by the application or reversed from a received
 * one. The last address slot of the route is the final destination, written
 * when a datagram is sent. All zeros: no options. */
struct sf_ip_route {
  uint8_t opt[40]; /* as sent, padded with EOL to a multiple of 4 bytes */
  uint8_t len;     /* bytes of opt in use */
  uint8_t srr_off; /* offset of the source route in opt (if has_srr) */
  bool has_srr;
  bool app; /* set by IP_OPTIONS: a received route never replaces it */
  uint32_t first_hop; /* the IPv4 destination while the route has hops */
};

/* Finds the source route (LSRR or SSRR) among the options of a received
 * header: 1 and its offset in opt, 0 if there is none, -EINVAL for a
 * malformed route or more than one. */
int sf_ipopt_find_srr(const uint8_t *opt, size_t len, size_t *off);
/* True if the pointer of the route at srr is past its last address. */
bool sf_ipopt_srr_completed(const uint8_t *srr);
/* The return route of a received datagram (header hdr of hlen bytes from
 * ip_src): true when the header carries a source route (IPv4 input lets
 * only completed ones through), *r then its hops reversed (empty when it
 * names no hop but the source itself); false and *r empty otherwise. */
bool sf_ip_route_received(struct sf_ip_route *r, const uint8_t *hdr,
                          size_t hlen, uint32_t ip_src);
/* Takes IP_OPTIONS bytes from the application: NOP, EOL and at most one
 * source route whose first address is the first hop. Returns 0 or
 * -EINVAL. */
int sf_ip_route_from_user(struct sf_ip_route *r, const uint8_t *buf,
                          size_t len);
#endif
