/* A seeded, lossy, reordering link between two stacks in virtual time. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "synfin/rng.h"
#include "synfin/sim.h"

struct flight {
  uint64_t at;  /* delivery time */
  uint64_t seq; /* tie-break: order of sending */
  int to;       /* receiving side */
  uint32_t len;
  uint32_t slot; /* buffer in the pool */
};

struct side {
  sf_link *link;
  int index;
};

struct sf_link {
  sf_link_config cfg;
  sf_stack *stack[2];
  struct side side[2];
  uint64_t now;
  struct sf_rng rng;
  struct flight *heap;
  uint32_t n;
  uint8_t *pool;
  uint32_t *free_slots;
  uint32_t nfree;
  uint64_t seq;
  sf_trace_hash trace;
  sf_link_stats stats;
  sf_link_observer observer;
  void *observer_ctx;
};

void sf_link_config_default(sf_link_config *cfg) {
  memset(cfg, 0, sizeof(*cfg));
  cfg->seed = 1;
  cfg->delay_us = 10000;
  cfg->max_packets = 4096;
  cfg->max_packet_bytes = 2048;
}

static bool earlier(const struct flight *a, const struct flight *b) {
  return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

static void heap_push(sf_link *l, struct flight f) {
  uint32_t i = l->n++;
  while (i > 0) {
    uint32_t parent = (i - 1) / 2;
    if (!earlier(&f, &l->heap[parent]))
      break;
    l->heap[i] = l->heap[parent];
    i = parent;
  }
  l->heap[i] = f;
}

static struct flight heap_pop(sf_link *l) {
  struct flight top = l->heap[0];
  struct flight last = l->heap[--l->n];
  uint32_t i = 0;
  for (;;) {
    uint32_t c = 2 * i + 1;
    if (c >= l->n)
      break;
    if (c + 1 < l->n && earlier(&l->heap[c + 1], &l->heap[c]))
      c++;
    if (!earlier(&l->heap[c], &last))
      break;
    l->heap[i] = l->heap[c];
    i = c;
  }
  if (l->n)
    l->heap[i] = last;
  return top;
}

static bool chance(sf_link *l, uint32_t ppm) {
  return ppm && sf_rng_below(&l->rng, 1000000) < ppm;
}

static void enqueue(sf_link *l, int from, const uint8_t *pkt, size_t len) {
  if (l->nfree == 0 || len > l->cfg.max_packet_bytes) {
    l->stats.overflow[from]++;
    return;
  }
  uint32_t slot = l->free_slots[--l->nfree];
  memcpy(l->pool + (size_t)slot * l->cfg.max_packet_bytes, pkt, len);
  uint64_t jitter =
      l->cfg.jitter_us ? sf_rng_below(&l->rng, l->cfg.jitter_us + 1) : 0;
  struct flight f = {.at = l->now + l->cfg.delay_us + jitter,
                     .seq = l->seq++,
                     .to = 1 - from,
                     .len = (uint32_t)len,
                     .slot = slot};
  heap_push(l, f);
}

static void on_output(void *ctx, const uint8_t *pkt, size_t len) {
  struct side *s = ctx;
  sf_link *l = s->link;
  int from = s->index;
  uint64_t now = sf_stack_now(l->stack[from]);
  sf_trace_hash_packet(&l->trace, now, from, pkt, len);
  l->stats.sent[from]++;
  if (l->observer)
    l->observer(l->observer_ctx, from, now, pkt, len);
  if (chance(l, l->cfg.loss_ppm)) {
    l->stats.lost[from]++;
    return;
  }
  enqueue(l, from, pkt, len);
  if (chance(l, l->cfg.dup_ppm)) {
    l->stats.duplicated[from]++;
    enqueue(l, from, pkt, len);
  }
}

int sf_link_new(const sf_link_config *cfg, sf_stack *a, sf_stack *b,
                sf_link **out) {
  if (cfg->max_packets == 0 || cfg->max_packet_bytes < 20 ||
      cfg->loss_ppm > 1000000 || cfg->dup_ppm > 1000000)
    return -EINVAL;
  sf_link *l = calloc(1, sizeof(*l));
  if (!l)
    return -ENOMEM;
  l->cfg = *cfg;
  l->heap = calloc(cfg->max_packets, sizeof(*l->heap));
  l->free_slots = calloc(cfg->max_packets, sizeof(*l->free_slots));
  l->pool = malloc((size_t)cfg->max_packets * cfg->max_packet_bytes);
  if (!l->heap || !l->free_slots || !l->pool) {
    sf_link_free(l);
    return -ENOMEM;
  }
  for (uint32_t i = 0; i < cfg->max_packets; i++)
    l->free_slots[i] = cfg->max_packets - 1 - i;
  l->nfree = cfg->max_packets;
  sf_rng_seed(&l->rng, cfg->seed);
  sf_trace_hash_init(&l->trace);
  l->stack[0] = a;
  l->stack[1] = b;
  uint64_t t0 =
      sf_stack_now(a) > sf_stack_now(b) ? sf_stack_now(a) : sf_stack_now(b);
  l->now = t0;
  for (int i = 0; i < 2; i++) {
    l->side[i].link = l;
    l->side[i].index = i;
    sf_stack_set_output(l->stack[i], on_output, &l->side[i]);
  }
  *out = l;
  return 0;
}

void sf_link_free(sf_link *l) {
  if (!l)
    return;
  free(l->heap);
  free(l->free_slots);
  free(l->pool);
  free(l);
}

void sf_link_set_observer(sf_link *l, sf_link_observer fn, void *ctx) {
  l->observer = fn;
  l->observer_ctx = ctx;
}

uint64_t sf_link_next_event(const sf_link *l) {
  uint64_t t = l->n ? l->heap[0].at : SF_TIME_NEVER;
  for (int i = 0; i < 2; i++) {
    uint64_t d = sf_stack_next_deadline(l->stack[i]);
    if (d < t)
      t = d;
  }
  return t < l->now ? l->now : t;
}

uint64_t sf_link_now(const sf_link *l) {
  return l->now;
}

int sf_link_run_until(sf_link *l, uint64_t until) {
  if (until < l->now)
    return -EINVAL;
  for (;;) {
    uint64_t t = sf_link_next_event(l);
    if (t > until)
      break;
    l->now = t;
    if (l->n && l->heap[0].at <= t) {
      struct flight f = heap_pop(l);
      const uint8_t *pkt = l->pool + (size_t)f.slot * l->cfg.max_packet_bytes;
      int rc = sf_stack_input(l->stack[f.to], t, pkt, f.len);
      l->free_slots[l->nfree++] = f.slot;
      if (rc < 0)
        return rc;
      l->stats.delivered[1 - f.to]++;
      continue;
    }
    for (int i = 0; i < 2; i++) {
      int rc = sf_stack_advance(l->stack[i], t);
      if (rc < 0)
        return rc;
    }
  }
  l->now = until;
  for (int i = 0; i < 2; i++) {
    int rc = sf_stack_advance(l->stack[i], until);
    if (rc < 0)
      return rc;
  }
  return 0;
}

const sf_trace_hash *sf_link_trace(const sf_link *l) {
  return &l->trace;
}

const sf_link_stats *sf_link_stats_get(const sf_link *l) {
  return &l->stats;
}
