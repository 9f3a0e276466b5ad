/* TAP version 13 (Test Anything Protocol) for prove and CI systems. Version
 * 13, not 14: Debian's prove (Test::Harness 3.44) refuses "TAP version 14".
 * A failed or errored script is followed by a YAML block that TAP::Parser's
 * YAMLish reader accepts: double-quoted scalars with backslash escapes, and
 * the details as a literal block ("|") when they can be one. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

#include "synfin/report.h"

/* A description or SKIP reason: one line, and in a description no bare
 * '#', which would start a directive (escaped as "\#", as Test::More does). */
static void tap_text(FILE *f, const char *s, bool description) {
  for (; s != NULL && *s != '\0'; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '\n' || c == '\r' || c == '\t')
      fputc(' ', f);
    else if (c < 0x20 || c == 0x7f)
      fprintf(f, "\\x%02x", c);
    else if (description && c == '#')
      fputs("\\#", f);
    else
      fputc(c, f);
  }
}

/* A YAML double-quoted scalar. */
static void yaml_quoted(FILE *f, const char *s) {
  fputc('"', f);
  for (; s != NULL && *s != '\0'; s++) {
    unsigned char c = (unsigned char)*s;
    switch (c) {
    case '"':
      fputs("\\\"", f);
      break;
    case '\\':
      fputs("\\\\", f);
      break;
    case '\n':
      fputs("\\n", f);
      break;
    case '\t':
      fputs("\\t", f);
      break;
    case '\r':
      fputs("\\r", f);
      break;
    default:
      if (c < 0x20 || c == 0x7f)
        fprintf(f, "\\x%02x", c);
      else
        fputc(c, f);
    }
  }
  fputc('"', f);
}

/* True if text can be a literal block: lines of printable text, the first
 * not indented (its indentation would set the block's). */
static bool literal_ok(const char *s) {
  if (s[0] == ' ' || s[0] == '\t' || s[0] == '\n')
    return false;
  for (; *s != '\0'; s++) {
    unsigned char c = (unsigned char)*s;
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
      return false;
  }
  return true;
}

/* Details as a literal block under "  details: |". TAP::Parser's reader
 * ends the block at a less indented line, so an empty line is written as
 * the indentation alone; trailing line breaks are dropped. */
static void yaml_literal(FILE *f, const char *s) {
  size_t n = strlen(s);
  while (n > 0 && s[n - 1] == '\n')
    n--;
  fputs("|\n    ", f);
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '\n')
      fputs("\n    ", f);
    else
      fputc(s[i], f);
  }
  fputc('\n', f);
}

static void put_ms(FILE *f, uint64_t us) {
  fprintf(f, "%" PRIu64 ".%03" PRIu64, us / 1000, us % 1000);
}

static bool has_text(const char *s) {
  return s != NULL && s[0] != '\0';
}

static void yaml_block(FILE *f, const sf_script_result *r) {
  bool fail = r->status == SF_RESULT_FAIL;
  fputs("  ---\n  message: ", f);
  yaml_quoted(f, has_text(r->reason) ? r->reason
                 : fail              ? "failed"
                                     : "could not be run");
  fprintf(f, "\n  severity: %s\n", fail ? "fail" : "error");
  if (has_text(r->location)) {
    fputs("  location: ", f);
    yaml_quoted(f, r->location);
    fputc('\n', f);
  }
  if (has_text(r->requirements)) {
    fputs("  requirements: ", f);
    yaml_quoted(f, r->requirements);
    fputc('\n', f);
  }
  if (has_text(r->pcap_path)) {
    fputs("  pcap: ", f);
    yaml_quoted(f, r->pcap_path);
    fputc('\n', f);
  }
  fputs("  duration_ms: ", f);
  put_ms(f, r->real_us);
  fputs("\n  virtual_ms: ", f);
  put_ms(f, r->virtual_us);
  fputc('\n', f);
  if (has_text(r->details)) {
    fputs("  details: ", f);
    if (literal_ok(r->details)) {
      yaml_literal(f, r->details);
    } else {
      yaml_quoted(f, r->details);
      fputc('\n', f);
    }
  }
  fputs("  ...\n", f);
}

int sf_report_tap(FILE *f, const sf_script_result *r, size_t n) {
  if (f == NULL || (r == NULL && n > 0))
    return -EINVAL;
  fprintf(f, "TAP version 13\n1..%zu\n", n);
  for (size_t i = 0; i < n; i++) {
    bool ok = r[i].status == SF_RESULT_PASS || r[i].status == SF_RESULT_SKIP;
    fprintf(f, "%s %zu - ", ok ? "ok" : "not ok", i + 1);
    tap_text(f, r[i].path, true);
    if (r[i].status == SF_RESULT_SKIP) {
      fputs(" # SKIP", f);
      if (has_text(r[i].reason)) {
        fputc(' ', f);
        tap_text(f, r[i].reason, false);
      }
    }
    fputc('\n', f);
    if (!ok)
      yaml_block(f, &r[i]);
  }
  errno = 0;
  if (fflush(f) != 0)
    return errno != 0 ? -errno : -EIO;
  return ferror(f) ? -EIO : 0;
}
