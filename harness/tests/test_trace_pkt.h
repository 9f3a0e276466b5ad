/* Builders of IPv4 test packets (TCP, ICMP) with correct checksums, for the
 * trace tests: a test states the fields it cares about and gets the bytes.
 * The SUT is 192.168.0.1 (the stack's default), the peer 192.0.2.1. */
#ifndef TEST_TRACE_PKT_H
#define TEST_TRACE_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "synfin/trace.h"

#define TP_SUT 0xc0a80001u  /* 192.168.0.1 */
#define TP_PEER 0xc0000201u /* 192.0.2.1 */

typedef struct tp_tcp {
  bool outbound; /* SUT -> peer; otherwise peer -> SUT */
  uint16_t sport, dport;
  uint32_t seq, ack;
  uint16_t flags; /* SF_TCP_* */
  uint16_t win, urg;
  const uint8_t *opts; /* a multiple of 4 bytes */
  size_t opts_len;
  size_t payload_len; /* payload bytes are 'a', 'b', ... */
  uint8_t tos, ttl;   /* ttl 0: 64 */
  uint16_t id;
  bool df;
  size_t ip_opts_len; /* NOP IP options, a multiple of 4 */
} tp_tcp;

static inline void tp_put16(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

static inline void tp_put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

static inline uint32_t tp_sum(uint32_t sum, const uint8_t *p, size_t n) {
  for (size_t i = 0; i + 1 < n; i += 2)
    sum += (uint32_t)(p[i] << 8 | p[i + 1]);
  if (n % 2)
    sum += (uint32_t)p[n - 1] << 8;
  return sum;
}

static inline uint16_t tp_fold(uint32_t sum) {
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

/* An IPv4 header of hl bytes (options NOP) for a datagram of total bytes;
 * fills its checksum. */
static inline void tp_ip(uint8_t *b, size_t hl, size_t total, uint8_t proto,
                         uint32_t src, uint32_t dst, uint8_t tos, uint8_t ttl,
                         uint16_t id, bool df) {
  memset(b, 0, hl);
  b[0] = (uint8_t)(0x40 | hl / 4);
  b[1] = tos;
  tp_put16(b + 2, (uint32_t)total);
  tp_put16(b + 4, id);
  tp_put16(b + 6, df ? 0x4000 : 0);
  b[8] = ttl ? ttl : 64;
  b[9] = proto;
  tp_put32(b + 12, src);
  tp_put32(b + 16, dst);
  memset(b + 20, 1, hl - 20);
  tp_put16(b + 10, tp_fold(tp_sum(0, b, hl)));
}

/* The transport checksum over the pseudo header, into p[off..off+2). */
static inline void tp_l4_csum(uint8_t *pkt, size_t hl, size_t total,
                              size_t off) {
  uint8_t *l4 = pkt + hl;
  tp_put16(l4 + off, 0);
  uint32_t sum = tp_sum(0, pkt + 12, 8);
  sum += pkt[9];
  sum += (uint32_t)(total - hl);
  sum = tp_sum(sum, l4, total - hl);
  tp_put16(l4 + off, tp_fold(sum));
}

/* Writes the segment into buf (room for it assumed) and returns its
 * length. */
static inline size_t tp_tcp_build(uint8_t *buf, const tp_tcp *t) {
  size_t hl = 20 + t->ip_opts_len;
  size_t thl = 20 + t->opts_len;
  size_t total = hl + thl + t->payload_len;
  tp_ip(buf, hl, total, SF_IPPROTO_TCP, t->outbound ? TP_SUT : TP_PEER,
        t->outbound ? TP_PEER : TP_SUT, t->tos, t->ttl, t->id, t->df);
  uint8_t *p = buf + hl;
  memset(p, 0, thl);
  tp_put16(p, t->sport ? t->sport : (t->outbound ? 8080 : 40000));
  tp_put16(p + 2, t->dport ? t->dport : (t->outbound ? 40000 : 8080));
  tp_put32(p + 4, t->seq);
  tp_put32(p + 8, t->ack);
  p[12] = (uint8_t)((thl / 4) << 4 | (t->flags >> 8 & 1));
  p[13] = (uint8_t)t->flags;
  tp_put16(p + 14, t->win);
  tp_put16(p + 18, t->urg);
  if (t->opts_len > 0)
    memcpy(p + 20, t->opts, t->opts_len);
  for (size_t i = 0; i < t->payload_len; i++)
    p[thl + i] = (uint8_t)('a' + i % 26);
  tp_l4_csum(buf, hl, total, 16);
  return total;
}

/* An ICMP message: type, code, bytes 4..7, then data. */
static inline size_t tp_icmp_build(uint8_t *buf, bool outbound, uint8_t type,
                                   uint8_t code, uint32_t rest,
                                   const uint8_t *data, size_t data_len) {
  size_t total = 20 + 8 + data_len;
  tp_ip(buf, 20, total, SF_IPPROTO_ICMP, outbound ? TP_SUT : TP_PEER,
        outbound ? TP_PEER : TP_SUT, 0, 64, 0, false);
  uint8_t *p = buf + 20;
  p[0] = type;
  p[1] = code;
  tp_put16(p + 2, 0);
  tp_put32(p + 4, rest);
  if (data_len > 0)
    memcpy(p + 8, data, data_len);
  tp_put16(p + 2, tp_fold(tp_sum(0, p, 8 + data_len)));
  return total;
}

/* A heap copy of exactly len bytes, so that ASan reports any read past
 * them. */
static inline uint8_t *tp_exact(const uint8_t *p, size_t len) {
  uint8_t *c = malloc(len > 0 ? len : 1);
  if (c != NULL && len > 0)
    memcpy(c, p, len);
  return c;
}

#endif /* TEST_TRACE_PKT_H */
