/* Building fuzz scenarios from recorded traffic: the common back half of
 * `synfin corpus from-specs` and `synfin corpus from-pcap`.
 *
 * A source (a script, a capture) is first turned into a *peer trace*: what
 * the peer sent, in the script's terms (sequence numbers relative to the
 * peer's ISN, acknowledgements and SACK edges relative to the stack's ISN,
 * TS values as sent), what the application did, and the TSvals the other
 * side sent (so that a TSecr can be mapped onto the stack's own TSvals).
 * sf_cb_build() then plays the trace against the scenario runner and writes
 * every number as the delta the scenario format wants: relative to RCV.NXT,
 * SND.UNA, TS.Recent and the stack's last TSval as they are when the event
 * is injected, so that the replay puts the peer's segments exactly where
 * the source put them. */
#ifndef SF_CORPUS_BUILD_H
#define SF_CORPUS_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "synfin/scenario.h"
#include "synfin/scenario_run.h"

enum sf_cb_kind {
  SF_CB_SEGMENT, /* a TCP segment from the peer */
  SF_CB_RAW,     /* a datagram injected as it is */
  SF_CB_CALL,    /* an application call (enum sf_scn_op) */
  SF_CB_OUT_TS,  /* the stack's side sent this TSval (no event) */
};

typedef struct sf_cb_item {
  uint8_t kind;  /* enum sf_cb_kind */
  uint64_t t_us; /* since the start of the source */
  /* SF_CB_SEGMENT */
  uint8_t flags;
  uint32_t seq; /* relative to the peer's ISN */
  uint32_t ack; /* relative to the stack's ISN */
  uint16_t win, urg;
  uint16_t len; /* payload bytes, at most SF_SCN_MAX_PAYLOAD */
  uint8_t corrupt, doff;
  uint8_t nopt;
  uint8_t opt[SF_SCN_MAX_OPTS]; /* TS val as sent, TS ecr in the other
                                   side's TSval space, SACK edges relative
                                   to the stack's ISN */
  /* SF_CB_RAW */
  uint8_t *raw; /* owned by the trace */
  uint16_t raw_len;
  /* An ICMP error quoting the stack's segment (IP header at 28, TCP header
   * at 48): its ports become the connection's and its sequence number the
   * stack's ISN plus `seq` when it is injected, the checksum follows. */
  bool icmp_quote;
  /* SF_CB_CALL */
  uint8_t op;
  uint16_t arg;
  /* SF_CB_OUT_TS */
  uint32_t ts_val;
} sf_cb_item;

typedef struct sf_cb_trace {
  sf_scn_setup setup; /* start (listen or syn-sent), profile, flags */
  sf_cb_item *items;
  size_t n, cap;
} sf_cb_trace;

void sf_cb_trace_init(sf_cb_trace *t);
void sf_cb_trace_free(sf_cb_trace *t);
/* Appends an item (copied; a raw item's bytes are copied too). Returns 0
 * or -ENOMEM. */
int sf_cb_push(sf_cb_trace *t, const sf_cb_item *it);

/* Sorts the items by time, keeping the order of equal times. */
void sf_cb_sort(sf_cb_trace *t);

typedef struct sf_cb_result {
  size_t events;          /* in the scenario */
  size_t truncated;       /* trace items left out past SF_SCN_MAX_EVENTS */
  sf_scn_verdict verdict; /* of a fresh replay of the result */
} sf_cb_result;

/* Builds the scenario in *out (large: allocate it). Returns 0 (check
 * res->verdict.failed: the scenario trips an oracle), or -ENOMEM. */
int sf_cb_build(const sf_cb_trace *t, sf_scenario *out, sf_cb_result *res);

/* ---- writing a corpus ---- */

enum sf_corpus_put {
  SF_CORPUS_WRITTEN, /* a new file */
  SF_CORPUS_EXISTS,  /* the same bytes were there already */
};

/* Writes buf into dir under the lowercase hex SHA-1 of its bytes (dir is
 * created if needed). A file of that name with other bytes is never
 * overwritten: -EEXIST. Returns enum sf_corpus_put or -errno; name (41
 * bytes) receives the file name; err says what failed. */
int sf_corpus_put(const char *dir, const uint8_t *buf, size_t len,
                  char name[41], char *err, size_t errlen);

#endif
