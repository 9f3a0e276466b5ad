/* JUnit XML for CI systems (Jenkins, GitLab, GitHub annotations): one
 * <testsuite> per script directory, one <testcase> per script, in input
 * order. All text is escaped into well-formed XML 1.0: markup characters as
 * entities, and what XML cannot hold at all (control characters, invalid
 * UTF-8, U+FFFE/U+FFFF) as the visible text "\xNN". */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "synfin/report.h"

const char *sf_result_status_name(sf_result_status status) {
  switch (status) {
  case SF_RESULT_PASS:
    return "pass";
  case SF_RESULT_FAIL:
    return "fail";
  case SF_RESULT_SKIP:
    return "skip";
  case SF_RESULT_ERROR:
    return "error";
  }
  return "?";
}

/* The length of the valid UTF-8 sequence at s (1..4), or 0 if the bytes
 * there are not one (RFC 3629: no overlong forms, no surrogates, nothing
 * above U+10FFFF). s is NUL-terminated, so looking one byte ahead of a
 * continuation byte never runs off the end. */
static size_t utf8_len(const unsigned char *s) {
  unsigned char c = s[0];
  if (c < 0x80)
    return 1;
  unsigned char lo = 0x80, hi = 0xbf;
  size_t n;
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c == 0xe0)
      lo = 0xa0;
    else if (c == 0xed)
      hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c == 0xf0)
      lo = 0x90;
    else if (c == 0xf4)
      hi = 0x8f;
  } else {
    return 0;
  }
  if (s[1] < lo || s[1] > hi)
    return 0;
  for (size_t i = 2; i < n; i++)
    if (s[i] < 0x80 || s[i] > 0xbf)
      return 0;
  return n;
}

/* Writes s escaped for XML text (attr false) or a double-quoted attribute
 * value (attr true, where line breaks and tabs must be character references
 * to survive attribute-value normalisation). */
static void xml_escaped(FILE *f, const char *str, bool attr) {
  const unsigned char *s = (const unsigned char *)(str != NULL ? str : "");
  while (*s != '\0') {
    unsigned char c = *s;
    switch (c) {
    case '&':
      fputs("&amp;", f);
      break;
    case '<':
      fputs("&lt;", f);
      break;
    case '>':
      fputs("&gt;", f);
      break;
    case '"':
      fputs(attr ? "&quot;" : "\"", f);
      break;
    case '\t':
      fputs(attr ? "&#9;" : "\t", f);
      break;
    case '\n':
      fputs(attr ? "&#10;" : "\n", f);
      break;
    case '\r':
      fputs("&#13;", f);
      break;
    default: {
      if (c < 0x20) {
        fprintf(f, "\\x%02x", c);
        break;
      }
      size_t n = utf8_len(s);
      /* U+FFFE and U+FFFF are not XML characters: EF BF BE/BF */
      bool nonchar = n == 3 && c == 0xef && s[1] == 0xbf && s[2] >= 0xbe;
      if (n == 0 || nonchar) {
        size_t bad = n == 0 ? 1 : n;
        for (size_t i = 0; i < bad; i++)
          fprintf(f, "\\x%02x", s[i]);
        s += bad;
        continue;
      }
      fwrite(s, 1, n, f);
      s += n;
      continue;
    }
    }
    s++;
  }
}

static void attr(FILE *f, const char *name, const char *value) {
  fprintf(f, " %s=\"", name);
  xml_escaped(f, value, true);
  fputc('"', f);
}

static void put_seconds(FILE *f, uint64_t us) {
  fprintf(f, "%" PRIu64 ".%06" PRIu64, us / 1000000, us % 1000000);
}

static void time_attr(FILE *f, uint64_t us) {
  fputs(" time=\"", f);
  put_seconds(f, us);
  fputc('"', f);
}

/* The directory part of a path ("." for none) and the file name part. */
static size_t dir_len(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash == NULL ? 0 : (size_t)(slash - path);
}

static const char *path_of(const sf_script_result *r) {
  return r->path != NULL ? r->path : "";
}

static void put_dir(FILE *f, const char *path, bool as_attr) {
  const char *slash = strrchr(path, '/');
  if (slash == NULL) {
    xml_escaped(f, ".", as_attr);
  } else if (slash == path) {
    xml_escaped(f, "/", as_attr);
  } else {
    size_t n = (size_t)(slash - path);
    char *d = malloc(n + 1);
    if (d == NULL) {
      /* keep going: a shorter name beats no report */
      xml_escaped(f, "?", as_attr);
      return;
    }
    memcpy(d, path, n);
    d[n] = '\0';
    xml_escaped(f, d, as_attr);
    free(d);
  }
}

static bool same_dir(const char *a, const char *b) {
  size_t na = dir_len(a), nb = dir_len(b);
  bool roota = strchr(a, '/') != NULL, rootb = strchr(b, '/') != NULL;
  return na == nb && roota == rootb && memcmp(a, b, na) == 0;
}

/* The line of "file:line" or "file:line:column", or 0. */
static unsigned long location_line(const char *loc) {
  if (loc == NULL)
    return 0;
  unsigned long nums[2] = {0, 0};
  size_t k = 0;
  const char *end = loc + strlen(loc);
  /* up to two trailing ":digits" groups */
  while (k < 2) {
    const char *p = end;
    while (p > loc && p[-1] >= '0' && p[-1] <= '9')
      p--;
    if (p == end || p == loc || p[-1] != ':' || end - p > 9)
      break;
    nums[k++] = strtoul(p, NULL, 10);
    end = p - 1;
  }
  if (k == 0)
    return 0;
  /* with two groups the first from the end is the column */
  return k == 2 ? nums[1] : nums[0];
}

static bool has_text(const char *s) {
  return s != NULL && s[0] != '\0';
}

static void put_case(FILE *f, const sf_script_result *r) {
  const char *path = path_of(r);
  const char *slash = strrchr(path, '/');
  fputs("    <testcase", f);
  attr(f, "name", slash != NULL ? slash + 1 : path);
  fputs(" classname=\"", f);
  put_dir(f, path, true);
  fputc('"', f);
  attr(f, "file", path);
  unsigned long line = location_line(r->location);
  if (line > 0)
    fprintf(f, " line=\"%lu\"", line);
  time_attr(f, r->real_us);
  fputs(">\n", f);

  const char *reason = has_text(r->reason) ? r->reason : NULL;
  switch (r->status) {
  case SF_RESULT_PASS:
    break;
  case SF_RESULT_SKIP:
    fputs("      <skipped", f);
    attr(f, "message", reason != NULL ? reason : "skipped");
    fputs("/>\n", f);
    break;
  case SF_RESULT_FAIL:
  default: {
    bool fail = r->status == SF_RESULT_FAIL;
    const char *tag = fail ? "failure" : "error";
    fprintf(f, "      <%s", tag);
    attr(f, "message",
         reason != NULL ? reason
         : fail         ? "failed"
                        : "could not be run");
    attr(f, "type", fail ? "failure" : "error");
    fputc('>', f);
    /* the text: where, what, and the capture to look at */
    const char *sep = "";
    if (has_text(r->location)) {
      fputs("at ", f);
      xml_escaped(f, r->location, false);
      sep = "\n";
    }
    if (has_text(r->details)) {
      fputs(sep, f);
      xml_escaped(f, r->details, false);
      sep = "\n";
      if (r->details[strlen(r->details) - 1] == '\n')
        sep = "";
    }
    if (has_text(r->pcap_path)) {
      fputs(sep, f);
      fputs("pcap: ", f);
      xml_escaped(f, r->pcap_path, false);
    }
    fprintf(f, "</%s>\n", tag);
    break;
  }
  }

  fputs("      <system-out>", f);
  if (has_text(r->requirements)) {
    fputs("requirements: ", f);
    xml_escaped(f, r->requirements, false);
    fputc('\n', f);
  }
  fputs("virtual time: ", f);
  put_seconds(f, r->virtual_us);
  fputs(" s\n", f);
  if (has_text(r->pcap_path)) {
    fputs("pcap: ", f);
    xml_escaped(f, r->pcap_path, false);
    fputc('\n', f);
  }
  fputs("</system-out>\n", f);
  fputs("    </testcase>\n", f);
}

typedef struct counts {
  size_t tests, failures, errors, skipped;
  uint64_t real_us;
} counts;

static void count(counts *c, const sf_script_result *r) {
  c->tests++;
  c->real_us += r->real_us;
  if (r->status == SF_RESULT_FAIL)
    c->failures++;
  else if (r->status == SF_RESULT_SKIP)
    c->skipped++;
  else if (r->status != SF_RESULT_PASS)
    c->errors++;
}

static void put_counts(FILE *f, const counts *c) {
  fprintf(f, " tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\"",
          c->tests, c->failures, c->errors, c->skipped);
  time_attr(f, c->real_us);
}

static int finish(FILE *f) {
  errno = 0;
  if (fflush(f) != 0)
    return errno != 0 ? -errno : -EIO;
  if (ferror(f))
    return -EIO;
  return 0;
}

int sf_report_junit(FILE *f, const sf_script_result *r, size_t n) {
  if (f == NULL || (r == NULL && n > 0))
    return -EINVAL;
  /* done[i]: result i was printed in the suite of an earlier directory */
  bool *done = calloc(n > 0 ? n : 1, sizeof(*done));
  if (done == NULL)
    return -ENOMEM;
  counts all = {0};
  for (size_t i = 0; i < n; i++)
    count(&all, &r[i]);

  fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
  fputs("<testsuites name=\"synfin\"", f);
  put_counts(f, &all);
  fputs(n == 0 ? "/>\n" : ">\n", f);
  for (size_t i = 0; i < n; i++) {
    if (done[i])
      continue;
    const char *dir = path_of(&r[i]);
    counts c = {0};
    for (size_t j = i; j < n; j++)
      if (!done[j] && same_dir(dir, path_of(&r[j])))
        count(&c, &r[j]);
    fputs("  <testsuite name=\"", f);
    put_dir(f, dir, true);
    fputc('"', f);
    put_counts(f, &c);
    fputs(">\n", f);
    for (size_t j = i; j < n; j++) {
      if (!done[j] && same_dir(dir, path_of(&r[j]))) {
        put_case(f, &r[j]);
        done[j] = true;
      }
    }
    fputs("  </testsuite>\n", f);
  }
  if (n > 0)
    fputs("</testsuites>\n", f);
  free(done);
  return finish(f);
}
