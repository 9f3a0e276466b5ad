/* AFL++'s custom mutator library (libsynfin_afl_mutator.so) for
 * tcp_scenario_fuzzer: the structure-aware mutator of mutator.h, with
 * splicing when AFL++ offers a second input, and a post-processing step
 * that repairs the raw datagrams of every input AFL++ runs (its own havoc
 * included) as their fix bits ask.
 *
 *   AFL_CUSTOM_MUTATOR_LIBRARY=build/afl/harness/fuzz/libsynfin_afl_mutator.so
 */
#include <stdlib.h>
#include <string.h>

#include "mutator.h"

struct afl_mutator {
  sf_mutator *m;
  sf_mut_rng rng;
  uint8_t *out, *post;
  size_t out_cap, post_cap;
};

void *afl_custom_init(void *afl, unsigned int seed);
size_t afl_custom_fuzz(void *data, unsigned char *buf, size_t buf_size,
                       unsigned char **out_buf, unsigned char *add_buf,
                       size_t add_buf_size, size_t max_size);
size_t afl_custom_post_process(void *data, unsigned char *buf, size_t buf_size,
                               unsigned char **out_buf);
const char *afl_custom_describe(void *data, size_t max_description_len);
void afl_custom_deinit(void *data);

static bool reserve(uint8_t **p, size_t *cap, size_t want) {
  if (want <= *cap)
    return true;
  uint8_t *q = realloc(*p, want);
  if (!q)
    return false;
  *p = q;
  *cap = want;
  return true;
}

void *afl_custom_init(void *afl, unsigned int seed) {
  (void)afl;
  struct afl_mutator *a = calloc(1, sizeof(*a));
  if (!a)
    return NULL;
  if (sf_mutator_new(&a->m, NULL, NULL) < 0) {
    free(a);
    return NULL;
  }
  sf_mut_rng_seed(&a->rng, seed);
  return a;
}

size_t afl_custom_fuzz(void *data, unsigned char *buf, size_t buf_size,
                       unsigned char **out_buf, unsigned char *add_buf,
                       size_t add_buf_size, size_t max_size) {
  struct afl_mutator *a = data;
  size_t cap = max_size > SF_MUT_MIN_SIZE ? max_size : SF_MUT_MIN_SIZE;
  if (!reserve(&a->out, &a->out_cap, cap)) {
    *out_buf = buf; /* no memory: the input unchanged */
    return buf_size;
  }
  uint32_t seed = (uint32_t)sf_mut_rng_next(&a->rng);
  size_t n;
  if (add_buf && add_buf_size && sf_mut_rng_next(&a->rng) % 5 == 0) {
    n = sf_mut_crossover(a->m, buf, buf_size, add_buf, add_buf_size, a->out,
                         cap, seed);
  } else {
    n = buf_size < cap ? buf_size : cap;
    memcpy(a->out, buf, n);
    n = sf_mut_mutate(a->m, a->out, n, cap, seed);
  }
  *out_buf = a->out;
  return n; /* never 0: a scenario's header is 14 bytes */
}

size_t afl_custom_post_process(void *data, unsigned char *buf, size_t buf_size,
                               unsigned char **out_buf) {
  struct afl_mutator *a = data;
  if (!reserve(&a->post, &a->post_cap, buf_size ? buf_size : 1)) {
    *out_buf = buf;
    return buf_size;
  }
  memcpy(a->post, buf, buf_size);
  sf_scn_fix_raw(a->post, buf_size);
  *out_buf = a->post;
  return buf_size;
}

const char *afl_custom_describe(void *data, size_t max_description_len) {
  struct afl_mutator *a = data;
  static char d[96];
  size_t n = max_description_len < sizeof(d) ? max_description_len : sizeof(d);
  if (!n)
    return "";
  strncpy(d, sf_mut_last(a->m), n - 1);
  d[n - 1] = '\0';
  return d;
}

void afl_custom_deinit(void *data) {
  struct afl_mutator *a = data;
  if (!a)
    return;
  sf_mutator_free(a->m);
  free(a->out);
  free(a->post);
  free(a);
}
