/* Stack lifetime, the clock, timers and the socket/descriptor tables. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "stack_internal.h"

#define ALIGN16(x) (((x) + 15u) & ~(size_t)15u)

void sf_config_default(sf_config *cfg, enum sf_profile_id id) {
  memset(cfg, 0, sizeof(*cfg));
  cfg->seed = 1;
  cfg->addr.s_addr = htonl(0xc0a80001); /* 192.168.0.1 */
  cfg->mtu = 1500;
  cfg->max_sockets = 16;
  cfg->buf_capacity = 256 * 1024;
  cfg->max_ooo = 16;
  cfg->reass_slots = 4;
  cfg->reass_bytes = SF_IP_MAXPACKET;
  cfg->reass_timeout_us = 30000000; /* Linux ipfrag_time */
  sf_profile_init(&cfg->profile, id);
}

static int check_config(const sf_config *cfg) {
  if (cfg->mtu < 576 || cfg->mtu > SF_IP_MAXPACKET)
    return -EINVAL;
  if (cfg->max_sockets == 0 || cfg->max_sockets > 65536)
    return -EINVAL;
  if (cfg->buf_capacity < 2048 || cfg->buf_capacity > (1u << 30))
    return -EINVAL;
  if (cfg->max_ooo == 0 || cfg->max_ooo > SF_MAX_OOO)
    return -EINVAL;
  if (cfg->reass_bytes > SF_IP_MAXPACKET)
    return -EINVAL;
  return 0;
}

size_t sf_stack_socket_size(const sf_config *cfg) {
  return ALIGN16(sizeof(struct sf_sock)) + sizeof(int32_t) +
         2 * ALIGN16((size_t)cfg->buf_capacity);
}

/* Offsets of each table in the arena, in the order they are laid out. */
struct layout {
  size_t socks, fds, tx, reass, bufs, total;
};

static void plan(const sf_config *cfg, struct layout *l) {
  size_t off = ALIGN16(sizeof(sf_stack));
  l->socks = off;
  off += ALIGN16(sizeof(struct sf_sock) * cfg->max_sockets);
  l->fds = off;
  off += ALIGN16(sizeof(int32_t) * cfg->max_sockets);
  l->tx = off;
  off += ALIGN16(SF_IP_MAXPACKET);
  l->reass = off;
  off += ALIGN16(sf_reass_memory_size(cfg));
  l->bufs = off;
  off += 2 * ALIGN16((size_t)cfg->buf_capacity) * cfg->max_sockets;
  l->total = off;
}

size_t sf_stack_memory_size(const sf_config *cfg) {
  struct layout l;
  plan(cfg, &l);
  return l.total;
}

static void *default_alloc(void *ctx, size_t size) {
  (void)ctx;
  return calloc(1, size);
}

static void default_free(void *ctx, void *ptr) {
  (void)ctx;
  free(ptr);
}

static const sf_allocator libc_allocator = {default_alloc, default_free, NULL};

static uint8_t *sock_buffer(sf_stack *st, uint32_t slot, int which) {
  struct layout l;
  plan(&st->cfg, &l);
  size_t cap = ALIGN16((size_t)st->cfg.buf_capacity);
  return st->arena + l.bufs + (2 * (size_t)slot + (size_t)which) * cap;
}

/* Everything that differs between a fresh stack and a used one. */
static void fresh_state(sf_stack *st) {
  st->now_us = 0;
  memset(&st->stats, 0, sizeof(st->stats));
  sf_rng_seed(&st->rng, st->cfg.seed);
  st->isn_key[0] = sf_rng_next(&st->rng);
  st->isn_key[1] = sf_rng_next(&st->rng);
  st->ip_id = (uint16_t)sf_rng_next(&st->rng);
  /* Linux's ip_local_port_range: 32768-60999 */
  st->next_ephemeral = (uint16_t)(32768 + sf_rng_below(&st->rng, 28232));
}

int sf_stack_new(const sf_config *cfg, sf_stack **out) {
  int rc = check_config(cfg);
  if (rc < 0)
    return rc;
  const sf_allocator *a = cfg->allocator ? cfg->allocator : &libc_allocator;
  struct layout l;
  plan(cfg, &l);
  uint8_t *arena = a->alloc(a->ctx, l.total);
  if (!arena)
    return -ENOMEM;
  sf_stack *st = (sf_stack *)arena;
  st->cfg = *cfg;
  st->cfg.allocator = a;
  st->arena = arena;
  st->arena_size = l.total;
  st->socks = (struct sf_sock *)(arena + l.socks);
  st->fd_slot = (int32_t *)(arena + l.fds);
  st->txbuf = arena + l.tx;
  for (uint32_t i = 0; i < cfg->max_sockets; i++)
    st->fd_slot[i] = -1;
  sf_reass_init(&st->reass, cfg, arena + l.reass);
  fresh_state(st);
  *out = st;
  return 0;
}

void sf_stack_free(sf_stack *st) {
  if (!st)
    return;
  const sf_allocator *a = st->cfg.allocator;
  a->free(a->ctx, st->arena);
}

void sf_stack_reset(sf_stack *st) {
  for (uint32_t i = 0; i < st->socks_used; i++) {
    memset(&st->socks[i], 0, sizeof(st->socks[i]));
    st->fd_slot[i] = -1;
  }
  st->socks_used = 0;
  sf_reass_reset(&st->reass);
  fresh_state(st);
}

void sf_stack_set_output(sf_stack *st, sf_output_fn fn, void *ctx) {
  st->cfg.output = fn;
  st->cfg.output_ctx = ctx;
}

void sf_stack_set_event(sf_stack *st, sf_event_fn fn, void *ctx) {
  st->cfg.event = fn;
  st->cfg.event_ctx = ctx;
}

const sf_config *sf_stack_config(const sf_stack *st) {
  return &st->cfg;
}

void sf_stack_set_profile(sf_stack *st, const sf_profile *p) {
  st->cfg.profile = *p;
}

const sf_stats *sf_stack_stats(const sf_stack *st) {
  return &st->stats;
}

uint64_t sf_stack_now(const sf_stack *st) {
  return st->now_us;
}

void sf_emit_event(sf_stack *st, const sf_event *ev) {
  if (st->cfg.event)
    st->cfg.event(st->cfg.event_ctx, ev);
}

void sf_drop(sf_stack *st, const char *reason) {
  sf_event ev = {.kind = SF_EV_DROP, .fd = -1, .reason = reason};
  sf_emit_event(st, &ev);
}

uint64_t sf_stack_next_deadline(const sf_stack *st) {
  uint64_t best = sf_reass_next_deadline(&st->reass);
  for (uint32_t i = 0; i < st->socks_used; i++) {
    if (!st->socks[i].used)
      continue;
    uint64_t t = sf_tcp_next_deadline(&st->socks[i]);
    if (t < best)
      best = t;
  }
  return best;
}

/* Fires timers in deadline order so that each action happens at its own
 * virtual time, however far the caller jumps. Ties go by slot order. */
int sf_stack_advance(sf_stack *st, uint64_t now_us) {
  if (now_us < st->now_us)
    return -EINVAL;
  for (;;) {
    uint64_t t = sf_stack_next_deadline(st);
    if (t > now_us)
      break;
    if (t > st->now_us)
      st->now_us = t;
    sf_reass_expire(st, st->now_us);
    for (uint32_t i = 0; i < st->socks_used; i++) {
      struct sf_sock *sk = &st->socks[i];
      if (sk->used && sf_tcp_next_deadline(sk) <= st->now_us)
        sf_tcp_timers_fire(st, sk);
    }
  }
  st->now_us = now_us;
  return 0;
}

int sf_stack_input(sf_stack *st, uint64_t now_us, const void *pkt, size_t len) {
  int rc = sf_stack_advance(st, now_us);
  if (rc < 0)
    return rc;
  if (!pkt && len)
    return -EINVAL;
  sf_ipv4_input(st, pkt, len);
  return 0;
}

struct sf_sock *sf_sock_from_fd(sf_stack *st, int fd) {
  if (fd < SF_FD_BASE || (uint32_t)(fd - SF_FD_BASE) >= st->cfg.max_sockets)
    return NULL;
  int32_t slot = st->fd_slot[fd - SF_FD_BASE];
  if (slot < 0)
    return NULL;
  return &st->socks[slot];
}

struct sf_sock *sf_sock_alloc(sf_stack *st) {
  for (uint32_t i = 0; i < st->cfg.max_sockets; i++) {
    struct sf_sock *sk = &st->socks[i];
    if (sk->used)
      continue;
    memset(sk, 0, sizeof(*sk));
    sk->used = true;
    sk->fd = -1;
    sk->parent = -1;
    sk->next_q = -1;
    sk->q_head = -1;
    sk->q_tail = -1;
    sk->state = SF_TCP_CLOSED;
    uint32_t cap = st->cfg.buf_capacity;
    const sf_profile *p = &st->cfg.profile;
    /* buffer memory as Linux counts it (sk_rcvbuf); the window it allows
     * is bounded by the ring (sf_tcp_full_space) */
    sk->rcvbuf = p->rmem_default;
    sk->sndbuf = p->wmem_default < cap ? p->wmem_default : cap;
    sf_ring_init(&sk->snd, sock_buffer(st, i, 0), cap);
    sf_ring_init(&sk->rcv, sock_buffer(st, i, 1), cap);
    if (i + 1 > st->socks_used)
      st->socks_used = i + 1;
    return sk;
  }
  return NULL;
}

void sf_sock_release(sf_stack *st, struct sf_sock *sk) {
  (void)st;
  sk->used = false;
}

int sf_fd_alloc(sf_stack *st, struct sf_sock *sk) {
  for (uint32_t i = 0; i < st->cfg.max_sockets; i++) {
    if (st->fd_slot[i] < 0) {
      st->fd_slot[i] = (int32_t)(sk - st->socks);
      sk->fd = (int32_t)i + SF_FD_BASE;
      return sk->fd;
    }
  }
  return -EMFILE;
}

void sf_fd_release(sf_stack *st, struct sf_sock *sk) {
  if (sk->fd >= SF_FD_BASE)
    st->fd_slot[sk->fd - SF_FD_BASE] = -1;
  sk->fd = -1;
}
