/* Playing a scenario against any system under test (sut.h), for `synfin
 * diff`: the same peer drives the built-in stack and the live kernel, so
 * that what differs in the transcripts is the systems' behaviour.
 *
 * The peer knows only what it sent and what it sees: it resolves a
 * segment's relative numbers against the RCV.NXT the system announced in
 * its ACKs (moved on by the in-order data the peer sent since), the SND.UNA
 * it acknowledged itself, the system's ISN from its SYN or SYN-ACK, TS.Recent
 * from the system's TSecr and the system's last TSval. Setups are those of
 * scenario_run.c: a listener on 192.168.0.1:8080 (or a connect() from
 * there), the peer at 192.0.2.1:40000. */
#ifndef SF_DIFF_PLAY_H
#define SF_DIFF_PLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "synfin/scenario.h"
#include "synfin/sut.h"

#define SF_DP_SETUP ((uint32_t)-1) /* event index of the setup */
#define SF_DP_HDR_MAX 1600         /* bytes kept of each packet (MTU 1500) */

/* A packet the system sent. */
typedef struct sf_dp_pkt {
  uint32_t event; /* during (or after) which event; SF_DP_SETUP */
  uint64_t t_us;  /* scenario time: the event's time plus the delay */
  uint32_t len;   /* bytes of the datagram */
  uint16_t hlen;  /* bytes kept in hdr */
  uint8_t hdr[SF_DP_HDR_MAX];
} sf_dp_pkt;

/* A call the application made. */
typedef struct sf_dp_call {
  uint32_t event;
  uint8_t op; /* enum sf_scn_op, or 255 for a setup call */
  uint16_t arg;
  long ret;
  int err;
} sf_dp_call;

typedef struct sf_dp_transcript {
  sf_dp_pkt *pkts;
  size_t npkts, pkts_cap;
  sf_dp_call *calls;
  size_t ncalls, calls_cap;
  uint32_t events;   /* events played */
  uint64_t end_us;   /* scenario time when the last event was played */
  uint32_t iss;      /* the system's ISN, as first seen */
  uint32_t peer_isn; /* the peer's */
  uint16_t lport;    /* the system's port */
  /* How long each SF_SCN_TIMER event waited (the built-in stack knows its
   * next deadline; the live kernel is given the same waits). */
  uint32_t timer_us[SF_SCN_MAX_EVENTS];
  char error[256]; /* non-empty: the play could not go on */
} sf_dp_transcript;

typedef struct sf_dp_options {
  /* Real-time systems: time given to the system after each event before
   * the next one when the scenario has no gap there, in microseconds. */
  uint32_t settle_us;
  /* Waits for SF_SCN_TIMER events (from the stack's transcript), or NULL
   * to ask the system for its next deadline. */
  const uint32_t *timer_us;
  /* How long to watch after the last event (0: 300 ms). */
  uint32_t tail_us;
} sf_dp_options;

/* Plays s against sut (fresh, just made) into *t (zeroed here; free with
 * sf_dp_free). Returns 0, or -errno (t->error says what). */
int sf_dp_play(sf_sut *sut, const sf_scenario *s, const sf_dp_options *o,
               sf_dp_transcript *t);
void sf_dp_free(sf_dp_transcript *t);

/* The scenario time the events take (advances and timer waits), in
 * microseconds. */
uint64_t sf_dp_duration(const sf_scenario *s, const uint32_t *timer_us);

/* Writes a transcript to a descriptor and reads it back (the live side
 * plays in a child process). Return 0 or -errno. */
int sf_dp_send(int fd, const sf_dp_transcript *t);
int sf_dp_receive(int fd, sf_dp_transcript *t);

/* ---- comparing ---- */

typedef struct sf_dp_compare {
  uint32_t tolerance_us;  /* packet times may differ this much, */
  uint32_t tolerance_pct; /* plus this percentage of the time since the
                             event that drew the packet */
  size_t max_diffs;       /* stop reporting after this many */
  uint32_t tail_us;       /* the stack's watch after the last event (0:
                             300 ms) */
} sf_dp_compare;

/* Compares two transcripts of the same scenario (a: the stack, b: the
 * kernel) after normalising what the profile allows to differ (windows, TS
 * values, IP ID and TTL, option order and padding, descriptor numbers,
 * timing within the tolerance; packets that one side sent within the
 * tolerance of the end of the watch are not missing on the other) and
 * prints each difference as lines indented by two spaces. Returns the
 * number of differences. */
size_t sf_dp_diff(const sf_scenario *s, const sf_dp_transcript *a,
                  const sf_dp_transcript *b, const sf_dp_compare *c, FILE *out);

#endif
