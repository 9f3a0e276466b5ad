/* The script runner: runs one conformance script against a system under
 * test and reports what happened. */
#ifndef SYNFIN_RUN_H
#define SYNFIN_RUN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "synfin/report.h"
#include "synfin/stack.h"

#ifdef __cplusplus
extern "C" {
#endif

enum sf_sut_kind {
  SF_SUT_STACK, /* the built-in stack, virtual time */
  SF_SUT_LINUX, /* the live kernel in a private network namespace */
};

typedef struct sf_run_options {
  enum sf_sut_kind sut;
  enum sf_profile_id profile; /* before the script's --profile */
  bool strict;           /* unexpected packets after the last event fail too */
  FILE *trace;           /* -v: the trace as text, or NULL */
  const char *pcap_path; /* write the traffic here, or NULL */
  const char *svg_path;  /* write a ladder diagram (ladder.h) here, or NULL */
  uint64_t seed;         /* the stack's seed */
  uint32_t tolerance_us; /* default of --tolerance_usecs (0: 4000) */
} sf_run_options;

void sf_run_options_default(sf_run_options *o);

/* A result whose strings the runner allocated. */
typedef struct sf_run_result {
  sf_script_result r;
  uint64_t trace_hash; /* every packet both ways, with times */
  uint64_t packets;
  const char *svg_path; /* the ladder diagram written, or NULL */
} sf_run_result;

/* Runs the script at path against a fresh built-in stack. Always fills
 * *res (status ERROR when the script cannot be read or parsed). */
void sf_run_file(const char *path, const sf_run_options *o, sf_run_result *res);
void sf_run_result_free(sf_run_result *res);

/* The checks made before a script runs (option lines, unsupported
 * features, the init command's sysctls), without running it: 0 when it
 * would run, 1 when it would be skipped, -EINVAL for a bad option; why
 * says why. */
struct sf_script;
int sf_run_check(const struct sf_script *s, const char *name, char *why,
                 size_t whylen);

/* The ICMP type and code an inbound `< icmp TYPE [CODE]` line names
 * (packetdrill's names, or type_N / code_N). Returns 0 or -EINVAL. */
struct sf_script_icmp;
int sf_run_icmp_type_code(const struct sf_script_icmp *m, uint8_t *type,
                          uint8_t *code);

#ifdef __cplusplus
}
#endif

#endif
