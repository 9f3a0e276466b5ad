/* Running a scenario against a stack, with the oracles that judge it:
 *
 *  - invariant: sf_stack_check() after every event;
 *  - wire: every segment the stack emits is legal (checksums, lengths and
 *    option encodings valid; sequence numbers inside the send space; no
 *    new sequence space after its FIN; never an ACK of data the peer did
 *    not send; never a RST answering a RST; payload equal to what the
 *    application wrote);
 *  - app: what the application reads is exactly the peer's bytes in order
 *    (the peer's payload is a pattern of its stream offset), nothing
 *    invented, lost or duplicated;
 *  - hang: bounded events, packets per event and virtual time.
 *
 * The runner owns one stack, made once and reset (cheaply) for each
 * scenario, so nothing carries over between runs. */
#ifndef SYNFIN_SCENARIO_RUN_H
#define SYNFIN_SCENARIO_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "synfin/scenario.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SF_SCN_PEER_ADDR 0xc0000201u  /* 192.0.2.1 */
#define SF_SCN_LOCAL_ADDR 0xc0a80001u /* 192.168.0.1 */
#define SF_SCN_PEER_PORT 40000
#define SF_SCN_PORT 8080
#define SF_SCN_PEER_ISN 1000000u
#define SF_SCN_SETUP_EVENT ((size_t)-1) /* verdict.event during the setup */

typedef struct sf_scn_verdict {
  bool failed;
  const char *oracle; /* "invariant", "wire", "app", "hang" (static) */
  char message[256];  /* one line */
  size_t event;       /* index of the event during which it broke */
  uint64_t t_us;
} sf_scn_verdict;

/* What happened, for repro traces. All callbacks are optional. */
typedef struct sf_scn_observer {
  void (*packet)(void *ctx, int dir, uint64_t t_us, const uint8_t *pkt,
                 size_t len);
  void (*event)(void *ctx, size_t index, const sf_scn_event *ev,
                uint64_t t_us);
  void (*state)(void *ctx, int old_state, int new_state, uint64_t t_us);
  void (*call)(void *ctx, const char *what, long result, uint64_t t_us);
  void *ctx;
} sf_scn_observer;

typedef struct sf_scn_runner sf_scn_runner;

int sf_scn_runner_new(sf_scn_runner **out);
void sf_scn_runner_free(sf_scn_runner *r);
/* Runs s from a fresh stack. Returns the verdict in *v (v->failed false
 * when every oracle held). */
void sf_scn_run(sf_scn_runner *r, const sf_scenario *s,
                const sf_scn_observer *obs, sf_scn_verdict *v);
/* The stack behind the runner (valid until the next run). */
sf_stack *sf_scn_runner_stack(sf_scn_runner *r);

/* The peer's byte at stream offset k (the application's reads are checked
 * against it) and the application's byte at offset k (the stack's payload
 * is checked against it). */
static inline uint8_t sf_scn_peer_byte(uint64_t k) {
  return (uint8_t)((k * 131u + (k >> 7)) ^ 0x5a);
}

static inline uint8_t sf_scn_app_byte(uint64_t k) {
  return (uint8_t)((k * 197u + (k >> 9)) ^ 0xa5);
}

#ifdef __cplusplus
}
#endif

#endif
