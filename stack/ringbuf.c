#include "ringbuf.h"

#include <string.h>

void sf_ring_init(struct sf_ring *r, uint8_t *mem, uint32_t cap) {
  r->mem = mem;
  r->cap = cap;
  r->head = 0;
  r->len = 0;
}

void sf_ring_clear(struct sf_ring *r) {
  r->head = 0;
  r->len = 0;
}

/* Physical position of logical offset off, and bytes until the wrap. */
static uint32_t position(const struct sf_ring *r, uint32_t off, uint32_t len,
                         uint32_t *first) {
  uint32_t pos = r->head + off;
  if (pos >= r->cap)
    pos -= r->cap;
  *first = r->cap - pos < len ? r->cap - pos : len;
  return pos;
}

static void copy_in(struct sf_ring *r, uint32_t off, const uint8_t *src,
                    uint32_t len) {
  uint32_t first;
  uint32_t pos = position(r, off, len, &first);
  memcpy(r->mem + pos, src, first);
  memcpy(r->mem, src + first, len - first);
}

static void copy_out(const struct sf_ring *r, uint32_t off, uint8_t *dst,
                     uint32_t len) {
  uint32_t first;
  uint32_t pos = position(r, off, len, &first);
  memcpy(dst, r->mem + pos, first);
  memcpy(dst + first, r->mem, len - first);
}

uint32_t sf_ring_append(struct sf_ring *r, const void *buf, uint32_t len) {
  uint32_t n = len < sf_ring_free(r) ? len : sf_ring_free(r);
  if (n == 0)
    return 0;
  copy_in(r, r->len, buf, n);
  r->len += n;
  return n;
}

void sf_ring_store(struct sf_ring *r, uint32_t off, const void *buf,
                   uint32_t len) {
  if (len)
    copy_in(r, off, buf, len);
}

void sf_ring_peek(const struct sf_ring *r, uint32_t off, void *buf,
                  uint32_t len) {
  if (len)
    copy_out(r, off, buf, len);
}

void sf_ring_consume(struct sf_ring *r, uint32_t len) {
  r->head += len;
  if (r->head >= r->cap)
    r->head -= r->cap;
  r->len -= len; /* head stays: data may be stored past len (out of order) */
}
