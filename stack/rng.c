#include "synfin/rng.h"

#include <string.h>

/* splitmix64: small state, cheap to reseed, good enough for ISNs and IDs
 * that only need to be unpredictable to a script, not to an attacker. */
void sf_rng_seed(struct sf_rng *r, uint64_t seed) {
  r->state = seed;
}

uint64_t sf_rng_next(struct sf_rng *r) {
  uint64_t z = (r->state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint32_t sf_rng_below(struct sf_rng *r, uint32_t bound) {
  return (uint32_t)(((sf_rng_next(r) >> 32) * (uint64_t)bound) >> 32);
}

static uint64_t mix(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

/* RFC 6528 3: a keyed function of the connection id; the key comes from
 * the seed so that runs are reproducible. */
uint64_t sf_keyed_hash(const uint64_t key[2], const void *msg, size_t len) {
  const uint8_t *p = msg;
  uint64_t h = key[0] ^ (len * 0x9e3779b97f4a7c15ULL);
  while (len >= 8) {
    uint64_t w;
    memcpy(&w, p, 8);
    h = mix(h ^ w) + key[1];
    p += 8;
    len -= 8;
  }
  uint64_t tail = 0;
  memcpy(&tail, p, len);
  return mix(h ^ tail ^ key[1]);
}
