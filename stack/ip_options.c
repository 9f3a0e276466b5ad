/* IPv4 source routes (RFC 791 3.1 LSRR and SSRR) as a host uses them: the
 * final destination of a received route (RFC 1122 3.2.1.8), the return
 * route of a connection (RFC 1122 4.2.3.8, RFC 9293 3.9.2.1) and a route
 * the application gives (IP_OPTIONS). */
#include <errno.h>

#include "stack_internal.h"
#include "synfin/bytes.h"

static bool is_srr(uint8_t type) {
  return type == SF_IPOPT_LSRR || type == SF_IPOPT_SSRR;
}

/* RFC 791 3.1: a route is 3 bytes and 4-byte addresses; the pointer starts
 * at 4 and moves 4 bytes per hop, up to one past the last address. */
static bool srr_well_formed(const uint8_t *o) {
  uint8_t len = o[1], ptr = o[2];
  return len >= SF_IPOPT_ROUTE_HDR && (len - SF_IPOPT_ROUTE_HDR) % 4 == 0 &&
         ptr >= SF_IPOPT_ROUTE_PTR0 && ptr % 4 == 0 && ptr <= len + 1;
}

bool sf_ipopt_srr_completed(const uint8_t *srr) {
  return srr[2] > srr[1];
}

/* RFC 1122 3.2.1.8: more than one source route in a header has no defined
 * meaning, so such a datagram is refused like a malformed route. A list
 * that runs past the header ends the walk, as for options ignored. */
int sf_ipopt_find_srr(const uint8_t *opt, size_t len, size_t *off) {
  size_t i = 0;
  int found = 0;
  while (i < len && opt[i] != SF_IPOPT_EOL) {
    if (opt[i] == SF_IPOPT_NOP) {
      i++;
      continue;
    }
    if (len - i < 2 || opt[i + 1] < 2 || opt[i + 1] > len - i)
      break;
    if (is_srr(opt[i])) {
      if (found || opt[i + 1] < SF_IPOPT_ROUTE_HDR || !srr_well_formed(opt + i))
        return -EINVAL;
      found = 1;
      *off = i;
    }
    i += opt[i + 1];
  }
  return found;
}

uint32_t sf_ipv4_pseudo_dst(const uint8_t *hdr, size_t hlen) {
  size_t off;
  if (hlen > 20 && sf_ipopt_find_srr(hdr + 20, hlen - 20, &off) == 1) {
    const uint8_t *srr = hdr + 20 + off;
    /* RFC 1122 3.2.1.8: until the route completes, its last address is the
     * final destination, which the transport checksum covers */
    if (!sf_ipopt_srr_completed(srr) && srr[1] > SF_IPOPT_ROUTE_HDR)
      return sf_get32(srr + srr[1] - 4);
  }
  return sf_get32(hdr + 16);
}

/* RFC 791 3.1: route options are copied into every fragment; the list is
 * padded with EOL to the 32-bit boundary of the header. */
static void pad_route(struct sf_ip_route *r, size_t used) {
  size_t padded = (used + 3) & ~(size_t)3;
  memset(r->opt + used, SF_IPOPT_EOL, padded - used);
  r->len = (uint8_t)padded;
}

/* RFC 1122 4.2.3.8 and 3.2.1.8: the recorded route reversed is the way
 * back; a route that recorded the source itself first (case B) must not
 * name it twice. r is empty on entry. */
static void reverse_route(struct sf_ip_route *r, const uint8_t *srr,
                          uint32_t ip_src) {
  size_t n = (size_t)(srr[1] - SF_IPOPT_ROUTE_HDR) / 4;
  const uint8_t *addr = srr + SF_IPOPT_ROUTE_HDR;
  size_t first = 0;
  if (n > 0 && sf_get32(addr) == ip_src)
    first = 1;
  if (n <= first)
    return; /* no hop between us: answer directly */
  size_t hops = n - first;
  r->first_hop = sf_get32(addr + 4 * (n - 1));
  r->opt[0] = srr[0];
  r->opt[1] = (uint8_t)(SF_IPOPT_ROUTE_HDR + 4 * hops);
  r->opt[2] = SF_IPOPT_ROUTE_PTR0;
  for (size_t k = 0; k + 1 < hops; k++)
    memcpy(r->opt + SF_IPOPT_ROUTE_HDR + 4 * k, addr + 4 * (n - 2 - k), 4);
  r->has_srr = true;
  r->srr_off = 0;
  pad_route(r, r->opt[1]);
}

bool sf_ip_route_received(struct sf_ip_route *r, const uint8_t *hdr,
                          size_t hlen, uint32_t ip_src) {
  size_t off;
  memset(r, 0, sizeof(*r));
  if (hlen <= 20 || sf_ipopt_find_srr(hdr + 20, hlen - 20, &off) != 1)
    return false;
  reverse_route(r, hdr + 20 + off, ip_src);
  return true;
}

/* The route as Linux's IP_OPTIONS takes it: the pointer 4 and at least the
 * first hop, which leaves the option for the header's destination; the
 * others move up one slot, the last slot is the final destination. */
static int take_user_srr(struct sf_ip_route *r, size_t off) {
  uint8_t *o = r->opt + off;
  if (r->has_srr || o[1] < SF_IPOPT_ROUTE_HDR + 4 ||
      (o[1] - SF_IPOPT_ROUTE_HDR) % 4 != 0 || o[2] != SF_IPOPT_ROUTE_PTR0)
    return -EINVAL;
  r->has_srr = true;
  r->srr_off = (uint8_t)off;
  r->first_hop = sf_get32(o + SF_IPOPT_ROUTE_HDR);
  memmove(o + SF_IPOPT_ROUTE_HDR, o + SF_IPOPT_ROUTE_HDR + 4,
          (size_t)o[1] - SF_IPOPT_ROUTE_HDR - 4);
  memset(o + o[1] - 4, 0, 4);
  return 0;
}

/* RFC 9293 3.9.2.1 (MUST-51): the application may give a source route.
 * Only options the stack can copy into every fragment are taken. */
int sf_ip_route_from_user(struct sf_ip_route *r, const uint8_t *buf,
                          size_t len) {
  if (len > SF_IPOPT_MAX || (len && !buf))
    return -EINVAL;
  memset(r, 0, sizeof(*r));
  if (len == 0)
    return 0;
  memcpy(r->opt, buf, len);
  size_t i = 0;
  while (i < len && r->opt[i] != SF_IPOPT_EOL) {
    if (r->opt[i] == SF_IPOPT_NOP) {
      i++;
      continue;
    }
    if (!is_srr(r->opt[i]) || len - i < 2 || r->opt[i + 1] > len - i)
      return -EINVAL;
    int rc = take_user_srr(r, i);
    if (rc < 0)
      return rc;
    i += r->opt[i + 1];
  }
  memset(r->opt + i, SF_IPOPT_EOL, len - i);
  pad_route(r, len);
  r->app = true;
  return 0;
}
