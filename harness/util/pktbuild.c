#include "pktbuild.h"

#include <string.h>

#include "synfin/bytes.h"
#include "synfin/checksum.h"

void sf_fix_ip_csum(uint8_t *pkt, size_t len) {
  size_t hl = (size_t)(pkt[0] & 15) * 4;
  if (hl < 20)
    hl = 20;
  if (hl > len)
    hl = len;
  sf_put16(pkt + 10, 0);
  sf_put16(pkt + 10, sf_csum(pkt, hl));
}

void sf_fix_tcp_csum(uint8_t *pkt, size_t len) {
  size_t hl = (size_t)(pkt[0] & 15) * 4;
  if (hl < 20 || hl + 20 > len)
    return;
  uint8_t *th = pkt + hl;
  uint32_t tl = (uint32_t)(len - hl);
  sf_put16(th + 16, 0);
  uint32_t sum = sf_csum_pseudo(sf_get32(pkt + 12), sf_get32(pkt + 16), 6, tl);
  sf_put16(th + 16, sf_csum_fold(sf_csum_partial(sum, th, tl)));
}

size_t sf_build_tcp(uint8_t *buf, size_t cap, const struct sf_tcp_pkt *p) {
  size_t optlen = ((size_t)p->optlen + 3) & ~(size_t)3;
  size_t doff = 20 + optlen, total = 20 + doff + p->len;
  if (optlen > 40 || total > cap || total > 65535)
    return 0;
  uint8_t *th = buf + 20;
  memset(buf, 0, 20 + doff);
  buf[0] = 0x45;
  buf[1] = p->tos;
  sf_put16(buf + 2, (uint16_t)total);
  sf_put16(buf + 4, p->ip_id);
  sf_put16(buf + 6, p->df ? 0x4000 : 0);
  buf[8] = p->ttl ? p->ttl : 64;
  buf[9] = 6;
  sf_put32(buf + 12, p->src);
  sf_put32(buf + 16, p->dst);
  sf_put16(th, p->sport);
  sf_put16(th + 2, p->dport);
  sf_put32(th + 4, p->seq);
  sf_put32(th + 8, p->ack);
  th[12] = (uint8_t)((doff / 4) << 4);
  th[13] = p->flags;
  sf_put16(th + 14, p->win);
  sf_put16(th + 18, p->urp);
  if (p->optlen)
    memcpy(th + 20, p->opts, p->optlen);
  if (p->payload)
    memcpy(th + doff, p->payload, p->len);
  else
    memset(th + doff, 0, p->len);
  sf_fix_ip_csum(buf, total);
  sf_fix_tcp_csum(buf, total);
  return total;
}
