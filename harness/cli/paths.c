/* Scripts named on a command line: files as given, directories searched
 * for *.pkt in sorted order so every run sees the same list. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "paths.h"

int sf_paths_push(struct sf_paths *l, const char *s) {
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 64;
    char **v = realloc(l->v, cap * sizeof(*v));
    if (!v)
      return -ENOMEM;
    l->v = v;
    l->cap = cap;
  }
  l->v[l->n] = strdup(s);
  return l->v[l->n++] ? 0 : -ENOMEM;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_script(const char *name) {
  size_t n = strlen(name);
  return n > 4 && strcmp(name + n - 4, ".pkt") == 0;
}

/* Every .pkt file under dir, sorted, so runs are reproducible. */
static int walk(const char *dir, struct sf_paths *out, int depth) {
  if (depth > 32)
    return -ELOOP;
  DIR *d = opendir(dir);
  if (!d)
    return -errno;
  struct sf_paths names = {0};
  struct dirent *e;
  int rc = 0;
  while ((e = readdir(d)) && rc == 0)
    if (e->d_name[0] != '.')
      rc = sf_paths_push(&names, e->d_name);
  closedir(d);
  if (names.n)
    qsort(names.v, names.n, sizeof(char *), cmp_str);
  for (size_t i = 0; i < names.n && rc == 0; i++) {
    char path[PATH_MAX];
    int n = snprintf(path, sizeof(path), "%s/%s", dir, names.v[i]);
    struct stat st;
    if (n < 0 || (size_t)n >= sizeof(path)) {
      rc = -ENAMETOOLONG;
      break;
    }
    if (stat(path, &st) != 0)
      continue;
    if (S_ISDIR(st.st_mode))
      rc = walk(path, out, depth + 1);
    else if (is_script(names.v[i]))
      rc = sf_paths_push(out, path);
  }
  for (size_t i = 0; i < names.n; i++)
    free(names.v[i]);
  free(names.v);
  return rc;
}

int sf_collect_scripts(const char *cmd, int argc, char **argv,
                       struct sf_paths *out) {
  for (int i = 0; i < argc; i++) {
    struct stat st;
    if (stat(argv[i], &st) != 0) {
      fprintf(stderr, "synfin %s: %s: %s\n", cmd, argv[i], strerror(errno));
      return -errno;
    }
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", argv[i]);
    for (size_t n = strlen(dir); n > 1 && dir[n - 1] == '/'; n--)
      dir[n - 1] = '\0';
    int rc =
        S_ISDIR(st.st_mode) ? walk(dir, out, 0) : sf_paths_push(out, argv[i]);
    if (rc < 0) {
      fprintf(stderr, "synfin %s: %s: %s\n", cmd, argv[i], strerror(-rc));
      return rc;
    }
  }
  return 0;
}

void sf_paths_free(struct sf_paths *p) {
  for (size_t i = 0; i < p->n; i++)
    free(p->v[i]);
  free(p->v);
  p->v = NULL;
  p->n = p->cap = 0;
}
