/* `synfin coverage specs/`: which RFC 9293 requirements the specs check,
 * from their `// requirement: MUST-7 SHLD-31` lines, with totals for the
 * wire-testable MUSTs and SHOULDs and, for each requirement not covered,
 * why. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "paths.h"
#include "synfin/script.h"

#define MAX_REQS 256
#define MAX_LINE 1024

struct req {
  char id[16], level[16], section[16], testability[32];
  char note[256]; /* why it is not covered, from the notes file */
  struct sf_paths scripts;
};

struct table {
  struct req r[MAX_REQS];
  size_t n;
};

/* Splits a TSV line in place; returns the number of fields. */
static int fields(char *line, char **out, int max) {
  int n = 0;
  line[strcspn(line, "\r\n")] = '\0';
  for (char *p = line; n < max;) {
    out[n++] = p;
    char *tab = strchr(p, '\t');
    if (!tab)
      break;
    *tab = '\0';
    p = tab + 1;
  }
  return n;
}

/* Copies a field, cut to fit. */
static void copy_field(char *dst, size_t cap, const char *src) {
  size_t n = strlen(src);
  if (n >= cap)
    n = cap - 1;
  memcpy(dst, src, n);
  dst[n] = '\0';
}

static int read_requirements(const char *path, struct table *t) {
  FILE *f = fopen(path, "r");
  if (!f) {
    fprintf(stderr, "synfin coverage: %s: %s\n", path, strerror(errno));
    return -errno;
  }
  char line[MAX_LINE];
  unsigned lineno = 0;
  while (fgets(line, sizeof(line), f)) {
    char *c[6];
    lineno++;
    if (lineno == 1 || line[0] == '\n')
      continue; /* header */
    if (fields(line, c, 6) != 6 || t->n == MAX_REQS) {
      fprintf(stderr,
              "synfin coverage: %s:%u: expected 6 tab-separated fields "
              "(id, level, section, paraphrase, testability, area)\n",
              path, lineno);
      fclose(f);
      return -EINVAL;
    }
    struct req *r = &t->r[t->n++];
    copy_field(r->id, sizeof(r->id), c[0]);
    copy_field(r->level, sizeof(r->level), c[1]);
    copy_field(r->section, sizeof(r->section), c[2]);
    copy_field(r->testability, sizeof(r->testability), c[4]);
  }
  fclose(f);
  return 0;
}

static struct req *find(struct table *t, const char *id) {
  for (size_t i = 0; i < t->n; i++)
    if (strcmp(t->r[i].id, id) == 0)
      return &t->r[i];
  return NULL;
}

/* Notes: `ID<TAB>why it is not covered`; the file is optional. */
static int read_notes(const char *path, struct table *t) {
  FILE *f = fopen(path, "r");
  if (!f)
    return errno == ENOENT ? 0 : -errno;
  char line[MAX_LINE];
  unsigned lineno = 0;
  int rc = 0;
  while (fgets(line, sizeof(line), f)) {
    char *c[2];
    lineno++;
    if (line[0] == '#' || line[0] == '\n')
      continue;
    struct req *r = fields(line, c, 2) == 2 ? find(t, c[0]) : NULL;
    if (!r) {
      fprintf(stderr,
              "synfin coverage: %s:%u: expected a known id, a tab "
              "and a reason\n",
              path, lineno);
      rc = -EINVAL;
      continue;
    }
    copy_field(r->note, sizeof(r->note), c[1]);
  }
  fclose(f);
  return rc;
}

static bool wire_testable(const struct req *r) {
  return strncmp(r->testability, "wire", 4) == 0 ||
         strcmp(r->testability, "api+wire") == 0;
}

static bool is_must(const struct req *r) {
  return strncmp(r->level, "MUST", 4) == 0;
}

static bool is_should(const struct req *r) {
  return strncmp(r->level, "SHOULD", 6) == 0;
}

/* Credits each id of a spec's requirement lines; unknown ids are errors
 * naming the line. */
static int scan_spec(const char *path, struct table *t) {
  sf_script *s;
  sf_script_error err;
  if (sf_script_parse_file(path, &s, &err) < 0) {
    fprintf(stderr, "synfin coverage: %s\n", err.message);
    return -EINVAL;
  }
  int rc = 0;
  for (size_t i = 0; i < s->n_comments; i++) {
    const char *text = s->comments[i].text;
    if (strncmp(text, "requirement:", 12) != 0)
      continue;
    char buf[MAX_LINE];
    snprintf(buf, sizeof(buf), "%s", text + 12);
    char *save = NULL;
    for (char *id = strtok_r(buf, " ,\t", &save); id;
         id = strtok_r(NULL, " ,\t", &save)) {
      struct req *r = find(t, id);
      if (!r) {
        fprintf(stderr, "synfin coverage: %s:%u: unknown requirement id %s\n",
                path, s->comments[i].pos.line, id);
        rc = -EINVAL;
        continue;
      }
      if (r->scripts.n == 0 ||
          strcmp(r->scripts.v[r->scripts.n - 1], path) != 0)
        sf_paths_push(&r->scripts, path);
    }
  }
  sf_script_free(s);
  return rc;
}

static const char *why_uncovered(const struct req *r) {
  if (r->note[0])
    return r->note;
  if (strncmp(r->testability, "host", 4) == 0)
    return "host-only: nothing on the wire shows it";
  if (strncmp(r->testability, "api", 3) == 0 && !wire_testable(r))
    return "api-only: a property of the user interface";
  if (strncmp(r->testability, "n/a", 3) == 0)
    return "not applicable to an implementation";
  return "NOT COVERED";
}

static void print_table(const struct table *t) {
  printf("%-8s %-11s %-9s %-20s %s\n", "id", "level", "section", "testability",
         "scripts / why not covered");
  for (size_t i = 0; i < t->n; i++) {
    const struct req *r = &t->r[i];
    printf("%-8s %-11s %-9s %-20s ", r->id, r->level, r->section,
           r->testability);
    if (r->scripts.n == 0) {
      printf("- %s\n", why_uncovered(r));
      continue;
    }
    for (size_t k = 0; k < r->scripts.n; k++)
      printf("%s%s",
             k ? "\n                                                 "
                 " "
               : "",
             r->scripts.v[k]);
    printf("\n");
  }
}

struct totals {
  size_t must, must_cov, should, should_cov, other, other_cov;
};

static void count(const struct table *t, struct totals *tt) {
  memset(tt, 0, sizeof(*tt));
  for (size_t i = 0; i < t->n; i++) {
    const struct req *r = &t->r[i];
    bool cov = r->scripts.n > 0;
    if (!wire_testable(r)) {
      tt->other++;
      tt->other_cov += cov;
    } else if (is_must(r)) {
      tt->must++;
      tt->must_cov += cov;
    } else if (is_should(r)) {
      tt->should++;
      tt->should_cov += cov;
    } else {
      tt->other++;
      tt->other_cov += cov;
    }
  }
}

static void usage(FILE *f) {
  fputs("usage: synfin coverage [--requirements FILE] [--notes FILE] "
        "[--check] SPECS...\n"
        "Prints RFC 9293's requirements with the specs that check them.\n"
        "  --requirements FILE  the requirement table (default "
        "specs/requirements/rfc9293.tsv)\n"
        "  --notes FILE         why requirements are not covered (default "
        "specs/requirements/rfc9293-notes.tsv)\n"
        "  --check              exit 1 unless every wire-testable MUST is "
        "covered\n",
        f);
}

int sf_cmd_coverage(int argc, char **argv) {
  static const struct option longs[] = {
      {"requirements", required_argument, 0, 'r'},
      {"notes", required_argument, 0, 'n'},
      {"check", no_argument, 0, 'c'},
      {"help", no_argument, 0, 'h'},
      {0, 0, 0, 0}};
  const char *reqs = "specs/requirements/rfc9293.tsv";
  const char *notes = "specs/requirements/rfc9293-notes.tsv";
  bool check = false;
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
    switch (c) {
    case 'r':
      reqs = optarg;
      break;
    case 'n':
      notes = optarg;
      break;
    case 'c':
      check = true;
      break;
    case 'h':
      usage(stdout);
      return 0;
    default:
      usage(stderr);
      return 2;
    }
  }
  if (optind >= argc) {
    usage(stderr);
    return 2;
  }
  struct table *t = calloc(1, sizeof(*t));
  if (!t)
    return 2;
  struct sf_paths specs = {0};
  int rc = read_requirements(reqs, t);
  if (rc == 0)
    rc = read_notes(notes, t);
  if (rc == 0)
    rc = sf_collect_scripts("coverage", argc - optind, argv + optind, &specs);
  int bad = 0;
  for (size_t i = 0; rc == 0 && i < specs.n; i++)
    bad |= scan_spec(specs.v[i], t) < 0;
  if (rc == 0) {
    print_table(t);
    struct totals tt;
    count(t, &tt);
    printf("\n%zu specs. Wire-testable MUSTs covered: %zu/%zu; wire-testable "
           "SHOULDs covered: %zu/%zu; others covered: %zu/%zu\n",
           specs.n, tt.must_cov, tt.must, tt.should_cov, tt.should,
           tt.other_cov, tt.other);
    if (check && tt.must_cov < tt.must)
      bad = 1;
  }
  for (size_t i = 0; i < t->n; i++)
    sf_paths_free(&t->r[i].scripts);
  sf_paths_free(&specs);
  free(t);
  return rc < 0 ? 2 : bad ? 1 : 0;
}
