/* Seeded pseudo-random numbers: the only "randomness" synfin uses. */
#ifndef SYNFIN_RNG_H
#define SYNFIN_RNG_H

#include <stddef.h>
#include <stdint.h>

struct sf_rng {
  uint64_t state;
};

void sf_rng_seed(struct sf_rng *r, uint64_t seed);
uint64_t sf_rng_next(struct sf_rng *r);
/* Uniform in [0, bound) for bound > 0. */
uint32_t sf_rng_below(struct sf_rng *r, uint32_t bound);
/* Keyed 64-bit hash of a small message (the F() of RFC 6528). */
uint64_t sf_keyed_hash(const uint64_t key[2], const void *msg, size_t len);

#endif
