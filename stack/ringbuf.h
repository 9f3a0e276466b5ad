/* Byte ring on caller memory: the send and receive buffers of a socket. */
#ifndef SF_RINGBUF_H
#define SF_RINGBUF_H

#include <stddef.h>
#include <stdint.h>

struct sf_ring {
  uint8_t *mem;
  uint32_t cap;  /* bytes of mem */
  uint32_t head; /* offset of the first byte */
  uint32_t len;  /* bytes held from head */
};

void sf_ring_init(struct sf_ring *r, uint8_t *mem, uint32_t cap);
void sf_ring_clear(struct sf_ring *r);
static inline uint32_t sf_ring_free(const struct sf_ring *r) {
  return r->cap - r->len;
}
/* Appends up to len bytes; returns how many fit. */
uint32_t sf_ring_append(struct sf_ring *r, const void *buf, uint32_t len);
/* Stores len bytes at offset `off` past the first byte without changing
 * len (out-of-order data). The caller ensures off + len <= cap. */
void sf_ring_store(struct sf_ring *r, uint32_t off, const void *buf,
                   uint32_t len);
/* Copies len bytes starting `off` bytes past the first one. */
void sf_ring_peek(const struct sf_ring *r, uint32_t off, void *buf,
                  uint32_t len);
/* Drops the first len bytes (len <= r->len). */
void sf_ring_consume(struct sf_ring *r, uint32_t len);

#endif
