/* FNV-1a over the trace: equal hashes mean byte-identical runs. */
#include "synfin/stack.h"

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

void sf_trace_hash_init(sf_trace_hash *th) {
  th->h = FNV_OFFSET;
  th->packets = 0;
}

void sf_trace_hash_bytes(sf_trace_hash *th, const void *buf, size_t len) {
  const uint8_t *p = buf;
  uint64_t h = th->h;
  for (size_t i = 0; i < len; i++) {
    h ^= p[i];
    h *= FNV_PRIME;
  }
  th->h = h;
}

/* Fixed-width little-endian fields keep the hash independent of the host. */
static void hash_u64(sf_trace_hash *th, uint64_t v) {
  uint8_t b[8];
  for (int i = 0; i < 8; i++)
    b[i] = (uint8_t)(v >> (8 * i));
  sf_trace_hash_bytes(th, b, sizeof(b));
}

void sf_trace_hash_packet(sf_trace_hash *th, uint64_t now_us, int dir,
                          const void *pkt, size_t len) {
  hash_u64(th, now_us);
  hash_u64(th, (uint64_t)dir);
  hash_u64(th, (uint64_t)len);
  sf_trace_hash_bytes(th, pkt, len);
  th->packets++;
}
