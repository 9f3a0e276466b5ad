#include "test_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synfin/bytes.h"
#include "synfin/checksum.h"

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

void tu_restart(struct tu *t, enum sf_profile_id id, uint32_t mtu) {
  tu_teardown(t);
  tu_init(t, id);
  if (mtu)
    t->cfg.mtu = mtu;
  tu_start(t);
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

void tu_inject_exact(struct tu *t, const void *pkt, size_t len) {
  uint8_t *copy = malloc(len ? len : 1);
  ck_assert_ptr_nonnull(copy);
  memcpy(copy, pkt, len);
  tu_inject(t, copy, len);
  free(copy);
}

size_t tu_pending(const struct tu *t) {
  return t->nout - t->next;
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
      o->mss = sf_get16(v);
    else if (kind == 3 && l == 3)
      o->ws = v[0];
    else if (kind == 4 && l == 2)
      o->sackok = true;
    else if (kind == 8 && l == 10) {
      o->has_ts = true;
      o->ts_val = sf_get32(v);
      o->ts_ecr = sf_get32(v + 4);
    } else if (kind == 5) {
      o->nsack = (uint8_t)((l - 2) / 8);
      for (int b = 0; b < o->nsack && b < 4; b++) {
        o->sack[b][0] = sf_get32(v + 8 * b);
        o->sack[b][1] = sf_get32(v + 8 * b + 4);
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
  o->total_len = sf_get16(b + 2);
  ck_assert_uint_eq(o->total_len, p->len);
  o->id = sf_get16(b + 4);
  o->frag = sf_get16(b + 6);
  o->ttl = b[8];
  o->proto = b[9];
  o->src = sf_get32(b + 12);
  o->dst = sf_get32(b + 16);
  o->ip_csum_ok = tu_csum(b, hl, 0) == 0;
  const uint8_t *l4 = b + hl;
  size_t l4len = p->len - hl;
  if (o->proto == 6 && (o->frag & 0x3fff) == 0) {
    ck_assert_msg(l4len >= 20, "stack sent a runt TCP segment");
    o->sport = sf_get16(l4);
    o->dport = sf_get16(l4 + 2);
    o->seq = sf_get32(l4 + 4);
    o->ack = sf_get32(l4 + 8);
    uint32_t doff = (l4[12] >> 4) * 4u;
    ck_assert_msg(doff >= 20 && doff <= l4len, "stack sent bad data offset");
    o->flags = l4[13];
    o->win = sf_get16(l4 + 14);
    o->urp = sf_get16(l4 + 18);
    o->optlen = (uint8_t)(doff - 20);
    memcpy(o->opts, l4 + 20, o->optlen);
    /* a source route's final destination (RFC 1122 3.2.1.8) */
    uint32_t pdst = sf_ipv4_pseudo_dst(b, hl);
    o->tcp_csum_ok =
        tu_csum(l4, l4len, pseudo(o->src, pdst, 6, (uint32_t)l4len)) == 0;
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

void tu_fix_ip_csum(uint8_t *pkt) {
  uint32_t hl = (pkt[0] & 15u) * 4;
  sf_put16(pkt + 10, 0);
  sf_put16(pkt + 10, tu_csum(pkt, hl, 0));
}

size_t tu_build_ip(uint8_t *buf, uint32_t src, uint32_t dst, uint8_t proto,
                   uint16_t id, uint16_t frag, const void *payload,
                   size_t len) {
  memset(buf, 0, 20);
  buf[0] = 0x45;
  sf_put16(buf + 2, (uint16_t)(20 + len));
  sf_put16(buf + 4, id);
  sf_put16(buf + 6, frag);
  buf[8] = 64;
  buf[9] = proto;
  sf_put32(buf + 12, src);
  sf_put32(buf + 16, dst);
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
  sf_put16(th, s->sport ? s->sport : 40000);
  sf_put16(th + 2, s->dport ? s->dport : 8080);
  sf_put32(th + 4, s->seq);
  sf_put32(th + 8, s->ack);
  th[12] = (uint8_t)((doff / 4) << 4);
  th[13] = s->flags;
  sf_put16(th + 14, s->win_zero ? 0 : (s->win ? s->win : 65535));
  sf_put16(th + 18, s->urp);
  if (s->optlen)
    memcpy(th + 20, s->opts, s->optlen);
  if (s->data)
    memcpy(th + doff, s->data, s->len);
  else
    memset(th + doff, 0, s->len);
  uint32_t l4 = doff + s->len;
  uint16_t c = tu_csum(th, l4, pseudo(src, dst, 6, l4));
  sf_put16(th + 16, s->bad_tcp_csum ? (uint16_t)(c ^ 0x5555) : c);
  /* the IP header goes in front of the segment already in place */
  buf[0] = 0x45;
  buf[1] = 0;
  sf_put16(buf + 2, (uint16_t)(20 + l4));
  sf_put16(buf + 4, 0);
  sf_put16(buf + 6, 0x4000);
  buf[8] = 64;
  buf[9] = 6;
  sf_put16(buf + 10, 0);
  sf_put32(buf + 12, src);
  sf_put32(buf + 16, dst);
  tu_fix_ip_csum(buf);
  return 20 + l4;
}

void tu_send_tcp(struct tu *t, const struct tu_seg *s) {
  static uint8_t buf[65536];
  size_t n = tu_build_tcp(buf, s);
  tu_inject(t, buf, n);
}

const uint8_t tu_opts_mss[4] = {2, 4, 0x05, 0xb4};
const uint8_t tu_opts_full[20] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0,
                                  0, 1, 0,    0,    0, 0, 1, 3,  3, 7};

static bool opts_have_ts(const uint8_t *opts, uint8_t len) {
  for (uint8_t i = 0; i < len;) {
    if (opts[i] == 0)
      break;
    if (opts[i] == 1) {
      i++;
      continue;
    }
    if (i + 1 >= len || opts[i + 1] < 2)
      break;
    if (opts[i] == 8)
      return true;
    i += opts[i + 1];
  }
  return false;
}

int tu_state(struct tu *t, int fd) {
  sf_tcp_info info;
  ck_assert_int_eq(sf_tcp_get_info(t->st, fd, &info), 0);
  return info.state;
}

int tu_so_error(struct tu *t, int fd) {
  int e = -1;
  socklen_t len = sizeof(e);
  ck_assert_int_eq(sf_getsockopt(t->st, fd, SOL_SOCKET, SO_ERROR, &e, &len), 0);
  return e;
}

void tu_conn_pop(struct tu *t, struct tu_conn *c, struct tu_out *o) {
  tu_pop(t, o);
  ck_assert_uint_eq(o->proto, 6);
  ck_assert_uint_eq(o->sport, c->lport);
  ck_assert_uint_eq(o->dport, c->rport);
  ck_assert_msg(o->tcp_csum_ok, "stack sent a bad TCP checksum");
  ck_assert_msg(o->ip_csum_ok, "stack sent a bad IP checksum");
  if (o->has_ts)
    c->ts_ecr = o->ts_val;
}

void tu_conn_expect(struct tu *t, struct tu_conn *c, uint8_t flags,
                    uint32_t rel_seq, uint32_t rel_ack, uint32_t len) {
  struct tu_out o;
  tu_conn_pop(t, c, &o);
  ck_assert_msg(o.flags == flags, "flags 0x%02x, expected 0x%02x", o.flags,
                flags);
  ck_assert_msg(o.seq - c->iss == rel_seq, "seq %u, expected %u",
                o.seq - c->iss, rel_seq);
  if (flags & TH_ACK)
    ck_assert_msg(o.ack - c->irs == rel_ack, "ack %u, expected %u",
                  o.ack - c->irs, rel_ack);
  ck_assert_msg(o.len == len, "payload %u bytes, expected %u", o.len, len);
}

static void conn_segment(struct tu *t, struct tu_conn *c, uint8_t flags,
                         uint32_t seq, uint32_t ack, uint32_t len) {
  uint8_t ts[12] = {1, 1, 8, 10};
  struct tu_seg s = {.sport = c->rport,
                     .dport = c->lport,
                     .seq = seq,
                     .ack = ack,
                     .flags = flags,
                     .win = c->win ? c->win : 65535,
                     .len = len};
  if (c->ts && !(flags & TH_RST)) {
    for (int i = 0; i < 4; i++) {
      ts[4 + i] = (uint8_t)(c->ts_val >> (24 - 8 * i));
      ts[8 + i] = (uint8_t)(c->ts_ecr >> (24 - 8 * i));
    }
    s.opts = ts;
    s.optlen = sizeof(ts);
  }
  tu_send_tcp(t, &s);
}

void tu_conn_send(struct tu *t, struct tu_conn *c, uint8_t flags,
                  uint32_t len) {
  conn_segment(t, c, flags, c->seq, c->ack, len);
  c->seq += len + !!(flags & TH_SYN) + !!(flags & TH_FIN);
}

void tu_conn_send_at(struct tu *t, struct tu_conn *c, uint8_t flags,
                     int32_t dseq, int32_t dack, uint32_t len) {
  conn_segment(t, c, flags, c->seq + (uint32_t)dseq, c->ack + (uint32_t)dack,
               len);
}

static void handshake(struct tu *t, struct tu_conn *c, int lfd, uint16_t lport,
                      uint16_t rport, uint32_t irs, const uint8_t *opts,
                      uint8_t optlen, uint64_t rtt_us);

/* Listens on 8080 and accepts the peer's connection from port 40000. */
static void open_passive(struct tu *t, struct tu_conn *c, const uint8_t *opts,
                         uint8_t optlen, uint32_t irs, uint64_t rtt_us) {
  int lfd = tu_listen(t, 8080, 16);
  handshake(t, c, lfd, 8080, 40000, irs, opts, optlen, rtt_us);
  c->fd = sf_accept(t->st, lfd, NULL, NULL);
  ck_assert_int_ge(c->fd, 3);
  ck_assert_int_eq(tu_state(t, c->fd), SF_TCP_ESTABLISHED);
  tu_expect_silence(t);
}

void tu_connect_fd(struct tu *t, int fd) {
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_port = htons(8080),
                          .sin_addr.s_addr = htonl(TU_REMOTE)};
  ck_assert_int_eq(sf_connect(t->st, fd, (struct sockaddr *)&a, sizeof(a)),
                   -EINPROGRESS);
}

int tu_connect(struct tu *t) {
  int fd = sf_socket(t->st, AF_INET, SOCK_STREAM, 0);
  ck_assert_int_ge(fd, 3);
  tu_connect_fd(t, fd);
  return fd;
}

static bool syn_sent(struct tu *t, struct tu_conn *c) {
  memset(c, 0, sizeof(*c));
  c->lfd = -1;
  c->fd = tu_connect(t);
  struct tu_out o;
  tu_pop(t, &o);
  ck_assert_uint_eq(o.flags, TH_SYN);
  c->lport = o.sport;
  c->rport = 8080;
  c->iss = o.seq;
  c->irs = 2000000;
  c->seq = c->irs;
  c->ack = o.seq + 1;
  c->ts_val = 100;
  if (o.has_ts)
    c->ts_ecr = o.ts_val;
  ck_assert_int_eq(tu_state(t, c->fd), SF_TCP_SYN_SENT);
  return o.has_ts;
}

void tu_syn_sent(struct tu *t, struct tu_conn *c) {
  syn_sent(t, c);
}

void tu_open_active(struct tu *t, struct tu_conn *c, const uint8_t *opts,
                    uint8_t optlen) {
  bool syn_ts = syn_sent(t, c);
  struct tu_seg synack = {.sport = c->rport,
                          .dport = c->lport,
                          .seq = c->irs,
                          .ack = c->ack,
                          .flags = TH_SYN | TH_ACK,
                          .opts = opts,
                          .optlen = optlen};
  tu_send_tcp(t, &synack);
  c->seq++;
  c->ts = opts_have_ts(opts, optlen) && syn_ts;
  tu_conn_expect(t, c, TH_ACK, 1, 1, 0);
  ck_assert_int_eq(tu_state(t, c->fd), SF_TCP_ESTABLISHED);
}

sf_tcp_info tu_info(struct tu *t, int fd) {
  sf_tcp_info info;
  ck_assert_int_eq(sf_tcp_get_info(t->st, fd, &info), 0);
  return info;
}

void tu_open_passive_rtt(struct tu *t, struct tu_conn *c, const uint8_t *opts,
                         uint8_t optlen, uint64_t rtt_us) {
  open_passive(t, c, opts, optlen, 1000000, rtt_us);
}

void tu_open_passive(struct tu *t, struct tu_conn *c, const uint8_t *opts,
                     uint8_t optlen) {
  open_passive(t, c, opts, optlen, 1000000, 0);
}

void tu_conn_send_seg(struct tu *t, struct tu_conn *c, const struct tu_seg *s) {
  uint8_t opts[44];
  uint8_t n = 0;
  struct tu_seg seg = *s;
  seg.sport = c->rport;
  seg.dport = c->lport;
  seg.seq = c->seq + s->seq;
  seg.ack = c->ack + s->ack;
  if (!s->win && !s->win_zero)
    seg.win = c->win ? c->win : 65535;
  if (c->ts && !(s->flags & TH_RST)) {
    opts[n++] = 1;
    opts[n++] = 1;
    opts[n++] = 8;
    opts[n++] = 10;
    for (int i = 0; i < 4; i++)
      opts[n++] = (uint8_t)(c->ts_val >> (24 - 8 * i));
    for (int i = 0; i < 4; i++)
      opts[n++] = (uint8_t)(c->ts_ecr >> (24 - 8 * i));
  }
  ck_assert_uint_le(n + s->optlen, 40);
  if (s->optlen)
    memcpy(opts + n, s->opts, s->optlen);
  n = (uint8_t)(n + s->optlen);
  seg.opts = n ? opts : NULL;
  seg.optlen = n;
  tu_send_tcp(t, &seg);
}

void tu_profile_set(struct tu *t, const char *key, uint32_t value) {
  sf_profile p = sf_stack_config(t->st)->profile;
  char v[16];
  snprintf(v, sizeof(v), "%u", value);
  ck_assert_int_eq(sf_profile_set(&p, key, v), 0);
  sf_stack_set_profile(t->st, &p);
}

void tu_conn_expect_at(struct tu *t, struct tu_conn *c, uint8_t flags,
                       uint32_t rel_seq, uint32_t rel_ack, uint32_t len,
                       uint64_t at_us) {
  ck_assert_msg(t->next < t->nout, "expected a packet from the stack, none");
  uint64_t sent = t->out[t->next].t_us;
  tu_conn_expect(t, c, flags, rel_seq, rel_ack, len);
  ck_assert_msg(sent == at_us, "sent at %llu us, expected %llu us",
                (unsigned long long)sent, (unsigned long long)at_us);
}

void tu_write_n(struct tu *t, int fd, uint32_t len) {
  static const uint8_t zeros[65536];
  ck_assert_uint_le(len, sizeof(zeros));
  ck_assert_int_eq(sf_write(t->st, fd, zeros, len), (ssize_t)len);
}

int tu_listen(struct tu *t, uint16_t port, int backlog) {
  int fd = sf_socket(t->st, AF_INET, SOCK_STREAM, 0);
  ck_assert_int_ge(fd, 3);
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_port = htons(port),
                          .sin_addr.s_addr = htonl(TU_LOCAL)};
  ck_assert_int_eq(sf_bind(t->st, fd, (struct sockaddr *)&a, sizeof(a)), 0);
  ck_assert_int_eq(sf_listen(t->st, fd, backlog), 0);
  return fd;
}

/* tu_handshake, with the peer's final ACK rtt_us after the SYN-ACK. */
static void handshake(struct tu *t, struct tu_conn *c, int lfd, uint16_t lport,
                      uint16_t rport, uint32_t irs, const uint8_t *opts,
                      uint8_t optlen, uint64_t rtt_us) {
  memset(c, 0, sizeof(*c));
  c->fd = -1;
  c->lfd = lfd;
  c->lport = lport;
  c->rport = rport;
  c->irs = irs;
  c->seq = irs;
  c->ts_val = 100;
  struct tu_seg syn = {.sport = rport,
                       .dport = lport,
                       .seq = irs,
                       .flags = TH_SYN,
                       .opts = opts,
                       .optlen = optlen};
  tu_send_tcp(t, &syn);
  c->seq++;
  struct tu_out o;
  tu_conn_pop(t, c, &o);
  ck_assert_uint_eq(o.flags, TH_SYN | TH_ACK);
  ck_assert_uint_eq(o.ack, irs + 1);
  c->iss = o.seq;
  c->ack = o.seq + 1;
  c->ts = opts_have_ts(opts, optlen) && o.has_ts;
  if (rtt_us) {
    tu_advance(t, rtt_us);
    tu_expect_silence(t);
  }
  tu_conn_send(t, c, TH_ACK, 0);
}

void tu_handshake(struct tu *t, struct tu_conn *c, int lfd, uint16_t lport,
                  uint16_t rport, uint32_t irs, const uint8_t *opts,
                  uint8_t optlen) {
  handshake(t, c, lfd, lport, rport, irs, opts, optlen, 0);
}

void tu_open_passive_isn(struct tu *t, struct tu_conn *c, const uint8_t *opts,
                         uint8_t optlen, uint32_t irs) {
  open_passive(t, c, opts, optlen, irs, 0);
}

struct conn_find {
  uint16_t lport, rport;
  int state;
};

static void conn_find_visit(void *ctx, int fd, const sf_tcp_info *info) {
  struct conn_find *f = ctx;
  (void)fd;
  if (info->local_port != f->lport || info->remote_port != f->rport ||
      info->state == SF_TCP_LISTEN)
    return;
  if (f->state < 0 || f->state == SF_TCP_CLOSED)
    f->state = info->state;
}

int tu_conn_state(struct tu *t, const struct tu_conn *c) {
  struct conn_find f = {.lport = c->lport, .rport = c->rport, .state = -1};
  sf_stack_each_conn(t->st, conn_find_visit, &f);
  return f.state;
}

uint32_t tu_drive_to(struct tu *t, struct tu_conn *c, int state) {
  uint32_t nxt = c->ack - c->iss;
  bool our_fin = state == SF_TCP_FIN_WAIT_1 || state == SF_TCP_FIN_WAIT_2 ||
                 state == SF_TCP_CLOSING || state == SF_TCP_TIME_WAIT;
  bool peer_fin = state == SF_TCP_CLOSE_WAIT || state == SF_TCP_LAST_ACK;
  ck_assert_int_eq(tu_state(t, c->fd), SF_TCP_ESTABLISHED);
  if (our_fin) {
    ck_assert_int_eq(sf_shutdown(t->st, c->fd, SHUT_WR), 0);
    tu_conn_expect(t, c, TH_FIN | TH_ACK, nxt, c->seq - c->irs, 0);
    nxt++;
  }
  if (state == SF_TCP_FIN_WAIT_2) {
    c->ack++;
    tu_conn_send(t, c, TH_ACK, 0);
  } else if (state == SF_TCP_TIME_WAIT) {
    c->ack++;
    tu_conn_send(t, c, TH_FIN | TH_ACK, 0);
    tu_conn_expect(t, c, TH_ACK, nxt, c->seq - c->irs, 0);
  } else if (state == SF_TCP_CLOSING || peer_fin) {
    tu_conn_send(t, c, TH_FIN | TH_ACK, 0);
    tu_conn_expect(t, c, TH_ACK, nxt, c->seq - c->irs, 0);
  }
  if (state == SF_TCP_LAST_ACK) {
    ck_assert_int_eq(sf_shutdown(t->st, c->fd, SHUT_WR), 0);
    tu_conn_expect(t, c, TH_FIN | TH_ACK, nxt, c->seq - c->irs, 0);
    nxt++;
  }
  ck_assert_int_eq(tu_state(t, c->fd), state);
  tu_expect_silence(t);
  return nxt;
}
