/* synfin report: the results of a run, one per script, as JUnit XML and as
 * TAP for CI systems.
 *
 * Both writers print the results in the order given, so the same results
 * give byte-identical output. Text from scripts and packets (reasons,
 * details, paths) may hold anything: it is escaped for the format (XML 1.0
 * forbids most control characters and invalid UTF-8, which are written as
 * the text "\xNN"; a TAP description cannot hold '#' or a line break).
 * Errors are negative errno values: -EINVAL for bad arguments, the errno of
 * a failed write (-ENOSPC, -EIO) otherwise.
 */
#ifndef SYNFIN_REPORT_H
#define SYNFIN_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sf_result_status {
  SF_RESULT_PASS,
  SF_RESULT_FAIL,
  SF_RESULT_SKIP,  /* e.g. "unsupported: ipv6" */
  SF_RESULT_ERROR, /* the script could not be run (parse error, unreadable) */
} sf_result_status;

typedef struct sf_script_result {
  const char *path;         /* script path as given */
  sf_result_status status;  /* ERROR: the script could not be run */
  const char *reason;       /* one line, e.g. "outbound packet mismatch",
                               "unsupported ipv6 (x.pkt:1)"; NULL on PASS */
  const char *location;     /* "file:line" of the failing event, or NULL */
  const char *details;      /* multi-line expected/actual/context, or NULL */
  const char *requirements; /* "MUST-7 SHLD-31", "" or NULL */
  const char *pcap_path;    /* or NULL */
  uint64_t real_us;         /* wall time spent running it */
  uint64_t virtual_us;      /* virtual time the script covered */
} sf_script_result;

/* "pass", "fail", "skip", "error" ("?" for another value). */
const char *sf_result_status_name(sf_result_status status);

/* JUnit XML: <testsuites> with one <testsuite> per directory of the script
 * paths (in the order each directory first appears; name = the directory,
 * "." for a bare file name; tests/failures/errors/skipped counts; time = the
 * sum of real_us), and in each one <testcase> per script in input order:
 * name = the file name, classname = the directory, file = the path, line =
 * the line of location ("file:line" or "file:line:column") when it has one,
 * time = real_us in seconds. FAIL gives <failure message="reason"> and ERROR
 * <error message="reason">, whose text holds the location, the details and
 * the pcap path; SKIP gives <skipped message="reason"/>. <system-out> holds
 * the requirements, the virtual time and the pcap path of every case.
 * Returns 0 or a negative errno. */
int sf_report_junit(FILE *f, const sf_script_result *r, size_t n);

/* TAP version 13 (prove 3.x rejects 14): "1..n", then per script
 * "ok N - path", "ok N - path # SKIP reason" or "not ok N - path"; a FAIL
 * or ERROR is followed by a YAML block (message, severity fail|error,
 * location, requirements, pcap, duration_ms, virtual_ms, details as a
 * literal block). Returns 0 or a negative errno. */
int sf_report_tap(FILE *f, const sf_script_result *r, size_t n);

#ifdef __cplusplus
}
#endif

#endif /* SYNFIN_REPORT_H */
