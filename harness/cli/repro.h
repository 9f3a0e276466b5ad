/* Reproducing fuzz findings: what `synfin repro`, `minimize`, `triage` and
 * `promote` share. An input file is recognised (a scenario, datagrams of
 * ip_packet_fuzzer, a script, a capture, or bytes for the parser and pcap
 * targets), run in a child process so that a crash or a sanitizer abort is
 * a result and not the end, and its failure reduced to a signature that
 * stays the same when the input shrinks. */
#ifndef SF_REPRO_H
#define SF_REPRO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "synfin/scenario.h"
#include "synfin/scenario_run.h"

enum sf_rp_kind {
  SF_RP_SCENARIO,    /* tcp_scenario_fuzzer */
  SF_RP_DATAGRAMS,   /* ip_packet_fuzzer: [u16 length][bytes]... */
  SF_RP_SCRIPT,      /* a .pkt script, run by the script runner */
  SF_RP_PCAP,        /* a capture: a scenario per TCP connection */
  SF_RP_PARSER,      /* script_parser_fuzzer: any bytes */
  SF_RP_PCAP_READER, /* pcap_reader_fuzzer: any bytes */
};

/* The fuzz target whose corpus a kind belongs to. */
const char *sf_rp_target_name(enum sf_rp_kind kind);

typedef struct sf_rp_input {
  char *path;
  enum sf_rp_kind kind;
  uint8_t *bytes;
  size_t len;
  /* SCENARIO, DATAGRAMS: one; PCAP: one per connection with a trace */
  sf_scenario **scn;
  char **scn_name; /* PCAP: which connection */
  size_t nscn;
  char note[256]; /* what was recognised, or a warning */
} sf_rp_input;

/* Reads and recognises the file at path; `target` (a target or kind name,
 * or NULL) forces a kind. Without it a scenario or datagram input that
 * runs past its end is an error; with it (and with lenient, for crash
 * files) the bytes are read as the fuzz target reads them. Returns 0, or
 * -errno with err naming the file, the byte offset and what was expected
 * there. */
int sf_rp_load(const char *path, const char *target, bool lenient,
               bool stack_is_client, sf_rp_input *in, char *err, size_t errlen);
void sf_rp_input_free(sf_rp_input *in);

/* ---- running in a child ---- */

enum sf_rp_rec_type {
  SF_RP_REC_EVENT,   /* index, t */
  SF_RP_REC_PACKET,  /* dir, t, bytes */
  SF_RP_REC_SEGMENT, /* t, the inbound segment (in) and its datagram */
  SF_RP_REC_CALL,    /* t, text, result */
  SF_RP_REC_STATE,   /* t, old and new state */
  SF_RP_REC_BEGIN,   /* t: a call that may send begins */
};

typedef struct sf_rp_rec {
  uint8_t type;
  uint8_t dir;
  uint64_t t_us;
  size_t index; /* EVENT: the event; every record: the event it is in */
  long result;  /* CALL */
  int old_state, new_state;
  uint8_t *data; /* PACKET, SEGMENT: datagram; CALL: text (NUL-ended) */
  size_t len;
  sf_scn_inbound in; /* SEGMENT (pkt and opt point into data and opt) */
  uint8_t opt[SF_SCN_MAX_OPTS];
} sf_rp_rec;

typedef struct sf_rp_outcome {
  bool ran;     /* the child reported its end */
  bool failed;  /* an oracle broke, a crash, a timeout */
  bool crashed; /* killed by a signal (sanitizers abort) */
  int signal;
  bool timed_out;
  int exit_status;
  sf_scn_verdict verdict;
  uint64_t trace_hash;
  uint64_t end_us;   /* virtual time at the end */
  size_t last_event; /* the last event that started (SETUP: none) */
  char *err_text;    /* the child's stderr */
  size_t err_len;
  sf_rp_rec *recs; /* with records */
  size_t nrecs, caprecs;
} sf_rp_outcome;

/* Runs a scenario in a child process (timeout in seconds, 0: none), with
 * the records of what happened if asked. Returns 0 with *out filled, or
 * -errno when no child could be started. */
int sf_rp_run_scenario(const sf_scenario *s, bool records, unsigned timeout_s,
                       sf_rp_outcome *out);
/* Runs bytes through the parser or pcap reader target's checks. */
int sf_rp_run_bytes(enum sf_rp_kind kind, const uint8_t *buf, size_t len,
                    unsigned timeout_s, sf_rp_outcome *out);
void sf_rp_outcome_free(sf_rp_outcome *o);

/* The failure as a signature that minimising keeps: "oracle NAME: MESSAGE"
 * with numbers blanked ("#"), "bug NAME triggered", a sanitizer report's
 * kind and first frames, or the signal; "" when nothing failed. */
void sf_rp_signature(const sf_rp_outcome *o, char *sig, size_t cap);
/* One line for people: the oracle's message, the sanitizer's summary. */
void sf_rp_failure_line(const sf_rp_outcome *o, char *line, size_t cap);

/* ---- scripts ---- */

typedef struct sf_rp_pkt_options {
  const char *source; /* the input, named in the header comment */
  const char *target; /* its fuzz target */
  const char *note;   /* e.g. the capture connection */
} sf_rp_pkt_options;

/* Writes the packetdrill-syntax script equivalent to a scenario's run
 * (docs/reproducing.md): the events up to the one that failed, the
 * stack's packets before it as expectations, `--oracles`. Returns 0 or
 * -errno. */
int sf_rp_write_pkt(FILE *f, const sf_scenario *s, const sf_rp_outcome *o,
                    const sf_rp_pkt_options *po);

/* ---- files ---- */

/* Reads a whole file (at most limit bytes). Returns 0 or -errno (-EFBIG
 * past the limit). */
int sf_rp_read_file(const char *path, size_t limit, uint8_t **buf, size_t *len);
/* Writes bytes to path, replacing it. Returns 0 or -errno. */
int sf_rp_write_file(const char *path, const void *buf, size_t len);

/* The bytes of an input as its fuzz target takes them: a scenario in its
 * canonical encoding, datagrams as [u16 length][bytes]. Returns the
 * length (malloc'd *out), or 0. */
size_t sf_rp_encode(enum sf_rp_kind kind, const sf_scenario *s, uint8_t **out);

#endif
