/* Minimising a failing input while its failure stays the same
 * (repro_minimize.c). */
#ifndef SF_REPRO_MINIMIZE_H
#define SF_REPRO_MINIMIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "repro.h"

typedef struct sf_rp_min_options {
  unsigned timeout_s; /* per run */
  size_t max_runs;
  double max_time_s; /* 0: no limit */
  bool verbose;      /* a line per round on stderr */
} sf_rp_min_options;

typedef struct sf_rp_min_stats {
  size_t runs;
  double seconds;
  size_t before_bytes, after_bytes;
  size_t before_events, after_events;
  bool budget_hit; /* stopped by max_runs or max_time_s */
} sf_rp_min_stats;

/* Minimises scenario `which` of in (or in's bytes, for the parser and pcap
 * reader targets) keeping signature sig; *out (malloc'd, *outlen bytes) is
 * the result in the target's format: a scenario's canonical encoding,
 * datagrams for ip_packet_fuzzer (a capture gives a scenario). Returns 0
 * or -errno. */
int sf_rp_minimize(const sf_rp_input *in, size_t which, const char *sig,
                   const sf_rp_min_options *o, uint8_t **out, size_t *outlen,
                   sf_rp_min_stats *st);

#endif
