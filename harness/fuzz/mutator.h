/* The structure-aware mutator of tcp_scenario_fuzzer inputs, shared by
 * libFuzzer (LLVMFuzzerCustomMutator and LLVMFuzzerCustomCrossOver in
 * mutator_libfuzzer.c) and AFL++ (afl_custom_fuzz in afl_mutator.c).
 *
 * A mutation decodes the scenario, changes fields with operators that know
 * what the fields mean (flag combinations, sequence deltas from interesting
 * values, options, IP fields of raw datagrams, events, time jumps that fire
 * timers, socket calls), and encodes the result. Some of the time it falls
 * back to a byte-level mutation (the engine's own, or sf_mut_havoc()).
 *
 * Every output is the canonical encoding of a scenario, at most max_size
 * bytes long (max_size of at least SF_MUT_MIN_SIZE), with the raw
 * datagrams repaired as their fix bits ask (sf_scn_fix_raw()). All
 * randomness comes from the seed argument: the same input and seed give
 * the same output. */
#ifndef SF_FUZZ_MUTATOR_H
#define SF_FUZZ_MUTATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "synfin/scenario.h"

#define SF_MUT_MIN_SIZE 14 /* the magic, the version and the setup */

enum sf_mut_op {
  SF_MUT_SETUP = 0,   /* one field of the setup */
  SF_MUT_FLAGS,       /* a segment's flags: a combination or a bit */
  SF_MUT_SEQ,         /* a segment's seq delta */
  SF_MUT_ACK,         /* a segment's ack delta */
  SF_MUT_WINDOW,      /* a segment's window field */
  SF_MUT_URGENT,      /* a segment's urgent pointer (and its URG flag) */
  SF_MUT_OPT_INSERT,  /* one option more in a segment */
  SF_MUT_OPT_DROP,    /* one option less */
  SF_MUT_OPT_REORDER, /* two options swap places */
  SF_MUT_OPT_BADLEN,  /* an option's length byte becomes 0, 1, 255, ... */
  SF_MUT_OPT_SACK,    /* a SACK option with edges near the window's */
  SF_MUT_OPT_TS,      /* a timestamp option near TS.Recent */
  SF_MUT_PAYLOAD,     /* a segment's payload length */
  SF_MUT_CORRUPT,     /* a segment's corruption bits or data offset */
  SF_MUT_RAW_IP,      /* an IP (or TCP, ICMP) field of a raw datagram */
  SF_MUT_RAW_FIX,     /* what post-processing repairs in a raw datagram */
  SF_MUT_EV_INSERT,   /* a new event */
  SF_MUT_EV_DELETE,
  SF_MUT_EV_DUP,     /* an event again, somewhere */
  SF_MUT_EV_REORDER, /* two events swap places */
  SF_MUT_TIME,       /* a time jump that fires a timer */
  SF_MUT_CALL,       /* a socket call */
  SF_MUT_BYTES,      /* byte-level, on the encoding */
  SF_MUT_OP_COUNT
};

/* Byte-level mutation of data[0..size) in place (capacity max); returns
 * the new size. libFuzzer's LLVMFuzzerMutate has this shape. */
typedef size_t (*sf_mut_bytes_fn)(void *ctx, uint8_t *data, size_t size,
                                  size_t max);

typedef struct sf_mut_rng {
  uint64_t s;
} sf_mut_rng;

typedef struct sf_mutator sf_mutator;

/* bytes: the byte-level fallback; NULL for sf_mut_havoc(). */
int sf_mutator_new(sf_mutator **out, sf_mut_bytes_fn bytes, void *ctx);
void sf_mutator_free(sf_mutator *m);

/* Mutates data[0..size) in place (capacity max_size); returns the new size.
 * Applies one to four operators. */
size_t sf_mut_mutate(sf_mutator *m, uint8_t *data, size_t size, size_t max_size,
                     uint32_t seed);
/* Splices the events of two scenarios: a prefix of a's, a run of b's,
 * sometimes the rest of a's; the setup of one of them. Returns the size
 * written to out. */
size_t sf_mut_crossover(sf_mutator *m, const uint8_t *a, size_t a_size,
                        const uint8_t *b, size_t b_size, uint8_t *out,
                        size_t max_size, uint32_t seed);
/* The operators of the last mutation, e.g. "seq+opt-ts" (for AFL++'s
 * afl_custom_describe). */
const char *sf_mut_last(const sf_mutator *m);

/* One operator on a decoded scenario; false when it could not change it
 * (no segment to change, no room, ...). SF_MUT_BYTES is not applied
 * here. For tests and for sf_mut_mutate(). */
bool sf_mut_apply(sf_scenario *s, enum sf_mut_op op, sf_mut_rng *rng);
const char *sf_mut_op_name(enum sf_mut_op op);

/* The canonical encoding of s within max_size: fields taken into their
 * ranges as the decoder does, events dropped from the end until it fits,
 * raw datagrams repaired. Changes s accordingly. */
size_t sf_mut_encode(sf_scenario *s, uint8_t *out, size_t max_size);

/* A byte-level havoc (bit flips, interesting values, arithmetic, block
 * deletion, duplication and insertion), AFL's fallback. */
size_t sf_mut_havoc(uint8_t *data, size_t size, size_t max, sf_mut_rng *rng);

void sf_mut_rng_seed(sf_mut_rng *rng, uint64_t seed);
uint64_t sf_mut_rng_next(sf_mut_rng *rng);

#endif
