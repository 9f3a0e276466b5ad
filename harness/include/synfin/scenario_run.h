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
  size_t event;       /* index of the event during which it broke; the
                         number of events for the final check */
  uint64_t t_us;
  uint64_t packet; /* the datagram being judged (1-based, both ways, the
                      setup's included; fragments count one each), or 0 */
} sf_scn_verdict;

/* An inbound segment of the setup or of a SEGMENT event, as built: the
 * whole datagram before fragmentation, and what the event asked for. */
typedef struct sf_scn_inbound {
  const uint8_t *pkt; /* IPv4 datagram, len bytes (corruption applied) */
  size_t len;
  uint8_t flags;
  uint32_t seq, ack; /* as resolved */
  uint16_t win, urg;
  uint16_t payload;   /* bytes of the peer's pattern */
  uint8_t corrupt;    /* SF_SCN_BAD_* */
  uint8_t doff;       /* with SF_SCN_BAD_DOFF */
  const uint8_t *opt; /* the options as resolved, nopt bytes */
  uint8_t nopt;
  uint16_t ip_id;
} sf_scn_inbound;

/* What happened, for repro traces. All callbacks are optional. */
typedef struct sf_scn_observer {
  void (*packet)(void *ctx, int dir, uint64_t t_us, const uint8_t *pkt,
                 size_t len);
  /* Before each event; after the last, once more with index the number
   * of events and ev NULL: the final check (the app oracle's reads). */
  void (*event)(void *ctx, size_t index, const sf_scn_event *ev, uint64_t t_us);
  void (*state)(void *ctx, int old_state, int new_state, uint64_t t_us);
  void (*call)(void *ctx, const char *what, long result, uint64_t t_us);
  void *ctx;
  /* Every socket call, the setup's too, as script text such as
   * "recv(4, ..., 100, MSG_DONTWAIT)", with its result (-errno), after
   * it returned; syscall_begin() before a call that may send, so that
   * what it sends can be told from what came before. */
  void (*syscall_begin)(void *ctx, uint64_t t_us);
  void (*syscall)(void *ctx, const char *text, long result, uint64_t t_us);
  /* Every segment the runner builds, before packet() sees it. */
  void (*segment)(void *ctx, const sf_scn_inbound *in, uint64_t t_us);
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
/* The trace hash of the last run with an observer (sf_trace_hash over
 * every datagram both ways with its time, as the script runner's
 * sf_run_result.trace_hash); 0 after a run without one. */
uint64_t sf_scn_runner_trace_hash(const sf_scn_runner *r);

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
