/* libFuzzer's hooks for tcp_scenario_fuzzer: the structure-aware mutator
 * (mutator.h) in place of libFuzzer's byte mutations, which stay reachable
 * as its fallback through LLVMFuzzerMutate (with the dictionary and the
 * comparison operands libFuzzer collects). */
#include <stdlib.h>

#include "mutator.h"

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
                               unsigned int seed);
size_t LLVMFuzzerCustomCrossOver(const uint8_t *data1, size_t size1,
                                 const uint8_t *data2, size_t size2,
                                 uint8_t *out, size_t max_out_size,
                                 unsigned int seed);

static size_t engine_bytes(void *ctx, uint8_t *data, size_t size, size_t max) {
  (void)ctx;
  return LLVMFuzzerMutate(data, size, max);
}

static sf_mutator *mutator(void) {
  static sf_mutator *m;
  if (!m && sf_mutator_new(&m, engine_bytes, NULL) < 0)
    abort();
  return m;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
                               unsigned int seed) {
  return sf_mut_mutate(mutator(), data, size, max_size, seed);
}

size_t LLVMFuzzerCustomCrossOver(const uint8_t *data1, size_t size1,
                                 const uint8_t *data2, size_t size2,
                                 uint8_t *out, size_t max_out_size,
                                 unsigned int seed) {
  return sf_mut_crossover(mutator(), data1, size1, data2, size2, out,
                          max_out_size, seed);
}
