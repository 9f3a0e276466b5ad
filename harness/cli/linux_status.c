/* The document of how the live kernel fares on specs/: a markdown table
 * (spec, stack, linux, why they differ) that `--update-linux-status`
 * writes, keeping the notes people wrote, and `--linux-status` checks so
 * that no spec's status against Linux changes unnoticed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "run_items.h"

#define MAX_LINE 4096

struct row {
  char *spec, *stack, *linux_st, *note;
};

struct doc {
  struct row *rows;
  size_t n, cap;
};

static const char *const words[] = {"pass", "fail", "skip", "error"};

static char *trim_dup(const char *s, size_t n) {
  while (n && (*s == ' ' || *s == '\t')) {
    s++;
    n--;
  }
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' ||
               s[n - 1] == '\r'))
    n--;
  char *d = malloc(n + 1);
  if (d) {
    memcpy(d, s, n);
    d[n] = '\0';
  }
  return d;
}

/* Table rows are `| spec | stack | linux | note |`; other lines are prose. */
static int parse_row(char *line, struct row *r) {
  char *cells[5];
  int n = 0;
  char *p = line;
  if (*p != '|')
    return -EINVAL;
  p++;
  while (n < 5) {
    char *bar = strchr(p, '|');
    if (!bar)
      break;
    cells[n++] = p;
    *bar = '\0';
    p = bar + 1;
  }
  if (n != 4)
    return -EINVAL;
  r->spec = trim_dup(cells[0], strlen(cells[0]));
  r->stack = trim_dup(cells[1], strlen(cells[1]));
  r->linux_st = trim_dup(cells[2], strlen(cells[2]));
  r->note = trim_dup(cells[3], strlen(cells[3]));
  if (!r->spec || !r->stack || !r->linux_st || !r->note)
    return -ENOMEM;
  if (!strstr(r->spec, ".pkt"))
    return -EINVAL; /* the header or its rule */
  return 0;
}

static void free_doc(struct doc *d) {
  for (size_t i = 0; i < d->n; i++) {
    free(d->rows[i].spec);
    free(d->rows[i].stack);
    free(d->rows[i].linux_st);
    free(d->rows[i].note);
  }
  free(d->rows);
}

static int read_doc(const char *path, struct doc *d, bool must_exist) {
  memset(d, 0, sizeof(*d));
  FILE *f = fopen(path, "r");
  if (!f) {
    if (!must_exist && errno == ENOENT)
      return 0;
    fprintf(stderr, "synfin run: %s: %s\n", path, strerror(errno));
    return -errno;
  }
  char line[MAX_LINE];
  while (fgets(line, sizeof(line), f)) {
    struct row r = {0};
    if (parse_row(line, &r) < 0) {
      free(r.spec);
      free(r.stack);
      free(r.linux_st);
      free(r.note);
      continue;
    }
    if (d->n == d->cap) {
      size_t cap = d->cap ? d->cap * 2 : 64;
      struct row *rows = realloc(d->rows, cap * sizeof(*rows));
      if (!rows) {
        fclose(f);
        return -ENOMEM;
      }
      d->rows = rows;
      d->cap = cap;
    }
    d->rows[d->n++] = r;
  }
  fclose(f);
  return 0;
}

/* A documented status "flaky" accepts pass or fail: the kernel runs in
 * real time, and a spec whose kernel result sits at the edge of a timing
 * tolerance goes either way (the note says why). */
static bool status_matches(const char *documented, int status) {
  if (strcmp(documented, "flaky") == 0)
    return status == SF_RESULT_PASS || status == SF_RESULT_FAIL;
  return strcmp(documented, words[status]) == 0;
}

static const struct row *find(const struct doc *d, const char *spec) {
  for (size_t i = 0; i < d->n; i++)
    if (strcmp(d->rows[i].spec, spec) == 0)
      return &d->rows[i];
  return NULL;
}

int sf_linux_status_mismatches(const char *path, const struct item *items,
                               size_t n, int sut, bool *differs) {
  struct doc d;
  int rc = read_doc(path, &d, true);
  if (rc < 0)
    return rc;
  int count = 0;
  for (size_t i = 0; i < n; i++) {
    const struct row *row = find(&d, items[i].path);
    differs[i] =
        !row || !status_matches(row->linux_st, items[i].res[sut].r.status);
    count += differs[i];
  }
  free_doc(&d);
  return count;
}

int sf_linux_status_check(const char *path, const struct item *items, size_t n,
                          int sut) {
  struct doc d;
  int rc = read_doc(path, &d, true);
  if (rc < 0)
    return rc;
  int changed = 0;
  for (size_t i = 0; i < n; i++) {
    const sf_script_result *r = &items[i].res[sut].r;
    const struct row *row = find(&d, items[i].path);
    const char *now = words[r->status];
    if (row && status_matches(row->linux_st, r->status))
      continue;
    if (!changed)
      printf("\nlinux status differs from %s:\n", path);
    changed++;
    printf("  %s: %s%s, now %s%s%s\n", items[i].path,
           row ? "documented " : "not documented", row ? row->linux_st : "",
           now, r->reason ? ": " : "", r->reason ? r->reason : "");
  }
  if (changed)
    printf("(update the document with --update-linux-status %s, and say "
           "why in its last column)\n",
           path);
  else
    printf("linux status matches %s\n", path);
  free_doc(&d);
  return changed;
}

/* A note cell: one line, no bars. */
static void put_note(FILE *f, const char *s) {
  for (; s && *s; s++)
    fputc(*s == '|' ? '/' : (*s == '\n' ? ' ' : *s), f);
}

int sf_linux_status_update(const char *path, const struct item *items, size_t n,
                           int sut, int stack) {
  struct doc old;
  int rc = read_doc(path, &old, false);
  if (rc < 0)
    return rc;
  char tmp[4096];
  snprintf(tmp, sizeof(tmp), "%s.tmp", path);
  FILE *f = fopen(tmp, "w");
  if (!f) {
    fprintf(stderr, "synfin run: %s: %s\n", tmp, strerror(errno));
    free_doc(&old);
    return -errno;
  }
  struct utsname u;
  if (uname(&u) != 0)
    snprintf(u.release, sizeof(u.release), "unknown");
  fprintf(f,
          "# How the live Linux kernel fares on specs/\n\n"
          "Generated by `synfin run --sut both --update-linux-status %s "
          "specs/` (kernel %s).\nThe test command runs the specs against the "
          "kernel again and fails when a status\nhere changes "
          "(`--linux-status`). The last column says why the kernel and the\n"
          "stack differ; the tool keeps it when it rewrites the table.\n\n"
          "| spec | stack | linux | why they differ |\n|---|---|---|---|\n",
          path, u.release);
  for (size_t i = 0; i < n; i++) {
    const struct row *prev = find(&old, items[i].path);
    const char *st = stack >= 0 ? words[items[i].res[stack].r.status]
                     : prev     ? prev->stack
                                : "";
    const sf_script_result *lr = &items[i].res[sut].r;
    /* a spec documented as flaky stays so while it passes or fails */
    const char *lst = prev && strcmp(prev->linux_st, "flaky") == 0 &&
                              status_matches("flaky", lr->status)
                          ? "flaky"
                          : words[lr->status];
    fprintf(f, "| %s | %s | %s | ", items[i].path, st, lst);
    bool differ = strcmp(st, lst) != 0;
    if (prev && prev->note[0])
      put_note(f, prev->note);
    else if (differ)
      put_note(f, lr->reason ? lr->reason : "");
    fputs(" |\n", f);
  }
  free_doc(&old);
  if (fclose(f) != 0 || rename(tmp, path) != 0) {
    fprintf(stderr, "synfin run: %s: %s\n", path, strerror(errno));
    return -errno;
  }
  printf("wrote %s\n", path);
  return 0;
}
