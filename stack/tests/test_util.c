#include "test_util.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *count_alloc(void *ctx, size_t size) {
  struct tu *t = ctx;
  t->allocs++;
  if (t->counting)
    t->allocs_while_counting++;
  return calloc(1, size);
}

static void count_free(void *ctx, void *ptr) {
  struct tu *t = ctx;
  if (ptr)
    t->frees++;
  free(ptr);
}

static void capture(void *ctx, const uint8_t *pkt, size_t len) {
  struct tu *t = ctx;
  ck_assert_msg(t->nout < TU_MAX_OUT, "test captured too many packets");
  struct tu_pkt *p = &t->out[t->nout++];
  p->t_us = sf_stack_now(t->st);
  p->len = len;
  p->buf = malloc(len ? len : 1);
  ck_assert_ptr_nonnull(p->buf);
  memcpy(p->buf, pkt, len);
}

static sf_allocator tu_allocator;

void tu_init(struct tu *t, enum sf_profile_id profile) {
  memset(t, 0, sizeof(*t));
  sf_config_default(&t->cfg, profile);
  t->cfg.buf_capacity = 64 * 1024;
  t->cfg.output = capture;
  t->cfg.output_ctx = t;
  t->out = calloc(TU_MAX_OUT, sizeof(*t->out));
  ck_assert_ptr_nonnull(t->out);
}

void tu_start(struct tu *t) {
  tu_allocator.alloc = count_alloc;
  tu_allocator.free = count_free;
  tu_allocator.ctx = t;
  t->cfg.allocator = &tu_allocator;
  ck_assert_int_eq(sf_stack_new(&t->cfg, &t->st), 0);
  t->counting = true;
}

void tu_setup(struct tu *t, enum sf_profile_id profile) {
  tu_init(t, profile);
  tu_start(t);
}

static void free_captured(struct tu *t) {
  for (size_t i = 0; i < t->nout; i++)
    free(t->out[i].buf);
  t->nout = t->next = 0;
}

void tu_teardown(struct tu *t) {
  char why[256] = "";
  int rc = t->st ? sf_stack_check(t->st, why, sizeof(why)) : 0;
  size_t during = t->allocs_while_counting;
  sf_stack_free(t->st);
  t->st = NULL;
  free_captured(t);
  free(t->out);
  t->out = NULL;
  ck_assert_msg(rc == 0, "invariant broken at teardown: %s", why);
  ck_assert_msg(during == 0, "%zu allocations while packets flowed", during);
  ck_assert_msg(t->allocs == t->frees, "leak: %zu allocations, %zu frees",
                t->allocs, t->frees);
}

void tu_advance(struct tu *t, uint64_t us) {
  t->now += us;
  ck_assert_int_eq(sf_stack_advance(t->st, t->now), 0);
}

void tu_inject(struct tu *t, const void *pkt, size_t len) {
  ck_assert_int_eq(sf_stack_input(t->st, t->now, pkt, len), 0);
  char why[256];
  ck_assert_msg(sf_stack_check(t->st, why, sizeof(why)) == 0,
                "invariant broken: %s", why);
}

size_t tu_pending(const struct tu *t) {
  return t->nout - t->next;
}

static uint16_t get16(const uint8_t *p) {
  return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         p[3];
}

uint16_t tu_csum(const void *buf, size_t len, uint32_t sum) {
  const uint8_t *p = buf;
  for (size_t i = 0; i + 1 < len; i += 2)
    sum += (uint32_t)(p[i] << 8 | p[i + 1]);
  if (len & 1)
    sum += (uint32_t)p[len - 1] << 8;
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

static uint32_t pseudo(uint32_t src, uint32_t dst, uint8_t proto,
                       uint32_t len) {
  return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto +
         len;
}

static void decode_tcp_options(struct tu_out *o) {
  o->mss = 0;
  o->ws = 0xff;
  for (uint32_t i = 0; i < o->optlen;) {
    uint8_t kind = o->opts[i];
    if (kind == 0)
      break;
    if (kind == 1) {
      i++;
      continue;
    }
    ck_assert_msg(i + 1 < o->optlen, "stack sent a truncated option");
    uint8_t l = o->opts[i + 1];
    ck_assert_msg(l >= 2 && i + l <= o->optlen, "stack sent bad option length");
    const uint8_t *v = o->opts + i + 2;
    if (kind == 2 && l == 4)
      o->mss = get16(v);
    else if (kind == 3 && l == 3)
      o->ws = v[0];
    else if (kind == 4 && l == 2)
      o->sackok = true;
    else if (kind == 8 && l == 10) {
      o->has_ts = true;
      o->ts_val = get32(v);
      o->ts_ecr = get32(v + 4);
    } else if (kind == 5) {
      o->nsack = (uint8_t)((l - 2) / 8);
      for (int b = 0; b < o->nsack && b < 4; b++) {
        o->sack[b][0] = get32(v + 8 * b);
        o->sack[b][1] = get32(v + 8 * b + 4);
      }
    }
    i += l;
  }
}

void tu_pop(struct tu *t, struct tu_out *o) {
  ck_assert_msg(t->next < t->nout, "expected a packet from the stack, none");
  struct tu_pkt *p = &t->out[t->next++];
  memset(o, 0, offsetof(struct tu_out, raw));
  memcpy(o->raw, p->buf, p->len);
  o->raw_len = p->len;
  const uint8_t *b = o->raw;
  o->t_us = p->t_us;
  ck_assert_msg(p->len >= 20, "stack sent a runt datagram");
  uint32_t hl = (b[0] & 15u) * 4;
  ck_assert_uint_eq(b[0] >> 4, 4);
  o->tos = b[1];
  o->total_len = get16(b + 2);
  ck_assert_uint_eq(o->total_len, p->len);
  o->id = get16(b + 4);
  o->frag = get16(b + 6);
  o->ttl = b[8];
  o->proto = b[9];
  o->src = get32(b + 12);
  o->dst = get32(b + 16);
  o->ip_csum_ok = tu_csum(b, hl, 0) == 0;
  const uint8_t *l4 = b + hl;
  size_t l4len = p->len - hl;
  if (o->proto == 6 && (o->frag & 0x3fff) == 0) {
    ck_assert_msg(l4len >= 20, "stack sent a runt TCP segment");
    o->sport = get16(l4);
    o->dport = get16(l4 + 2);
    o->seq = get32(l4 + 4);
    o->ack = get32(l4 + 8);
    uint32_t doff = (l4[12] >> 4) * 4u;
    ck_assert_msg(doff >= 20 && doff <= l4len, "stack sent bad data offset");
    o->flags = l4[13];
    o->win = get16(l4 + 14);
    o->urp = get16(l4 + 18);
    o->optlen = (uint8_t)(doff - 20);
    memcpy(o->opts, l4 + 20, o->optlen);
    o->tcp_csum_ok =
        tu_csum(l4, l4len, pseudo(o->src, o->dst, 6, (uint32_t)l4len)) == 0;
    decode_tcp_options(o);
    o->data = l4 + doff;
    o->len = (uint32_t)(l4len - doff);
  } else if (o->proto == 1 && l4len >= 8) {
    o->icmp_type = l4[0];
    o->icmp_code = l4[1];
    o->data = l4 + 8;
    o->len = (uint32_t)(l4len - 8);
  } else {
    o->data = l4;
    o->len = (uint32_t)l4len;
  }
}

void tu_expect_silence(struct tu *t) {
  if (t->next < t->nout) {
    struct tu_out o;
    size_t left = t->nout - t->next;
    tu_pop(t, &o);
    ck_abort_msg("%zu unexpected packet(s); first: proto %u flags 0x%02x "
                 "seq %u ack %u len %u",
                 left, o.proto, o.flags, o.seq, o.ack, o.len);
  }
}

void tu_drain(struct tu *t) {
  t->next = t->nout;
}

static void put16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

void tu_fix_ip_csum(uint8_t *pkt) {
  uint32_t hl = (pkt[0] & 15u) * 4;
  put16(pkt + 10, 0);
  put16(pkt + 10, tu_csum(pkt, hl, 0));
}

size_t tu_build_ip(uint8_t *buf, uint32_t src, uint32_t dst, uint8_t proto,
                   uint16_t id, uint16_t frag, const void *payload,
                   size_t len) {
  memset(buf, 0, 20);
  buf[0] = 0x45;
  put16(buf + 2, (uint16_t)(20 + len));
  put16(buf + 4, id);
  put16(buf + 6, frag);
  buf[8] = 64;
  buf[9] = proto;
  put32(buf + 12, src);
  put32(buf + 16, dst);
  if (len)
    memmove(buf + 20, payload, len);
  tu_fix_ip_csum(buf);
  return 20 + len;
}

size_t tu_build_tcp(uint8_t *buf, const struct tu_seg *s) {
  uint32_t src = s->src ? s->src : TU_REMOTE;
  uint32_t dst = s->dst ? s->dst : TU_LOCAL;
  uint8_t *th = buf + 20;
  uint32_t optlen = (s->optlen + 3u) & ~3u;
  uint32_t doff = 20 + optlen;
  memset(th, 0, doff);
  put16(th, s->sport ? s->sport : 40000);
  put16(th + 2, s->dport ? s->dport : 8080);
  put32(th + 4, s->seq);
  put32(th + 8, s->ack);
  th[12] = (uint8_t)((doff / 4) << 4);
  th[13] = s->flags;
  put16(th + 14, s->win_zero ? 0 : (s->win ? s->win : 65535));
  put16(th + 18, s->urp);
  if (s->optlen)
    memcpy(th + 20, s->opts, s->optlen);
  if (s->data)
    memcpy(th + doff, s->data, s->len);
  else
    memset(th + doff, 0, s->len);
  uint32_t l4 = doff + s->len;
  uint16_t c = tu_csum(th, l4, pseudo(src, dst, 6, l4));
  put16(th + 16, s->bad_tcp_csum ? (uint16_t)(c ^ 0x5555) : c);
  /* the IP header goes in front of the segment already in place */
  buf[0] = 0x45;
  buf[1] = 0;
  put16(buf + 2, (uint16_t)(20 + l4));
  put16(buf + 4, 0);
  put16(buf + 6, 0x4000);
  buf[8] = 64;
  buf[9] = 6;
  put16(buf + 10, 0);
  put32(buf + 12, src);
  put32(buf + 16, dst);
  tu_fix_ip_csum(buf);
  return 20 + l4;
}

void tu_send_tcp(struct tu *t, const struct tu_seg *s) {
  static uint8_t buf[65536];
  size_t n = tu_build_tcp(buf, s);
  tu_inject(t, buf, n);
}
