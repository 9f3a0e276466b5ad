/* A simulated link between two stacks: seeded delay, jitter (reordering),
 * loss and duplication, in virtual time. Drives the loopback tests, the
 * throughput benchmark and the demo. */
#ifndef SYNFIN_SIM_H
#define SYNFIN_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "synfin/stack.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sf_link sf_link;

typedef struct sf_link_config {
  uint64_t seed;
  uint32_t delay_us;    /* one-way base delay */
  uint32_t jitter_us;   /* extra delay drawn in [0, jitter_us]: reorders */
  uint32_t loss_ppm;    /* packets lost, parts per million */
  uint32_t dup_ppm;     /* packets delivered twice, parts per million */
  uint32_t max_packets; /* packets in flight; more are dropped */
  uint32_t max_packet_bytes;
} sf_link_config;

/* Called for every packet a stack sends (side 0 is `a`, 1 is `b`), before
 * the link decides its fate. */
typedef void (*sf_link_observer)(void *ctx, int side, uint64_t now_us,
                                 const uint8_t *pkt, size_t len);

void sf_link_config_default(sf_link_config *cfg);
/* Takes over the output callbacks of both stacks. */
int sf_link_new(const sf_link_config *cfg, sf_stack *a, sf_stack *b,
                sf_link **out);
void sf_link_free(sf_link *l);
void sf_link_set_observer(sf_link *l, sf_link_observer fn, void *ctx);

/* Earliest time anything happens: a delivery or a timer of either stack. */
uint64_t sf_link_next_event(const sf_link *l);
uint64_t sf_link_now(const sf_link *l);
/* Runs every delivery and timer due up to `until`, in time order, and
 * leaves both stacks' clocks at `until`. Returns 0 or a negative errno. */
int sf_link_run_until(sf_link *l, uint64_t until);

/* Hash of every packet sent by either stack, with its time and side. */
const sf_trace_hash *sf_link_trace(const sf_link *l);

typedef struct sf_link_stats {
  uint64_t sent[2], delivered[2], lost[2], duplicated[2], overflow[2];
} sf_link_stats;
const sf_link_stats *sf_link_stats_get(const sf_link *l);

/* A bulk transfer between two stacks over a link: b connects to a, both
 * send `bytes` of a known pattern, shut down their sending side, read until
 * end of stream and close. Every byte read is checked against the pattern. */
typedef struct sf_transfer_config {
  sf_link_config link;
  enum sf_profile_id profile;
  uint64_t bytes;            /* each way */
  uint64_t seed_a, seed_b;   /* stack seeds */
  uint32_t buf_capacity;     /* socket buffers of both stacks */
  uint64_t time_limit_us;    /* virtual time allowed before giving up */
  sf_link_observer observer; /* optional: sees every packet */
  void *observer_ctx;
} sf_transfer_config;

typedef struct sf_transfer_result {
  uint64_t written[2], read[2]; /* by side: 0 is the listener (a) */
  uint64_t virtual_us;          /* until both connections were gone */
  sf_trace_hash trace;
  sf_link_stats link;
  char error[160]; /* empty when every byte arrived intact */
} sf_transfer_result;

void sf_transfer_config_default(sf_transfer_config *cfg);
/* Returns 0 when both directions delivered exactly the bytes sent and both
 * connections closed; -EPROTO (with result->error) otherwise. */
int sf_transfer_run(const sf_transfer_config *cfg, sf_transfer_result *res);

#ifdef __cplusplus
}
#endif

#endif
