/* `synfin triage DIR...`: crash files grouped by the signature of their
 * failure, one line per group: how many, the signature, the smallest
 * reproducer. Exit status: 0 nothing failed, 1 some file failed, 2 usage. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "repro.h"

struct group {
  char sig[512];
  size_t count;
  char *smallest;
  size_t smallest_size;
  char **files;
  size_t nfiles;
};

struct triage {
  struct group *g;
  size_t n, cap;
};

static void add(struct triage *t, const char *sig, const char *path,
                size_t size) {
  struct group *g = NULL;
  for (size_t i = 0; i < t->n; i++)
    if (strcmp(t->g[i].sig, sig) == 0)
      g = &t->g[i];
  if (!g) {
    if (t->n == t->cap) {
      size_t cap = t->cap ? t->cap * 2 : 16;
      struct group *n = realloc(t->g, cap * sizeof(*n));
      if (!n)
        return;
      t->g = n;
      t->cap = cap;
    }
    g = &t->g[t->n++];
    memset(g, 0, sizeof(*g));
    snprintf(g->sig, sizeof(g->sig), "%s", sig);
  }
  g->count++;
  if (!g->smallest || size < g->smallest_size ||
      (size == g->smallest_size && strcmp(path, g->smallest) < 0)) {
    free(g->smallest);
    g->smallest = strdup(path);
    g->smallest_size = size;
  }
  char **f = realloc(g->files, (g->nfiles + 1) * sizeof(*f));
  if (f) {
    g->files = f;
    g->files[g->nfiles++] = strdup(path);
  }
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_group(const void *a, const void *b) {
  const struct group *x = a, *y = b;
  if (x->count != y->count)
    return x->count > y->count ? -1 : 1;
  return strcmp(x->sig, y->sig);
}

/* A file's signature: its failure's, "no failure", or why it is not an
 * input ("bad input: ..."). */
static void triage_file(struct triage *t, const char *path, const char *target,
                        unsigned timeout_s) {
  sf_rp_input in;
  char err[1024], sig[600] = "";
  struct stat st;
  size_t size = stat(path, &st) == 0 ? (size_t)st.st_size : 0;
  if (sf_rp_load(path, target, true, false, &in, err, sizeof(err)) < 0) {
    const char *why = strstr(err, ": ");
    snprintf(sig, sizeof(sig), "bad input%s", why ? why : "");
    /* the offset varies from file to file */
    char *b = strstr(sig, "byte ");
    if (b) {
      char *e = b + 5;
      while (*e >= '0' && *e <= '9')
        e++;
      memmove(b + 6, e, strlen(e) + 1);
      b[5] = '#';
    }
    add(t, sig, path, size);
    sf_rp_input_free(&in);
    return;
  }
  sf_rp_outcome o;
  for (size_t i = 0; i < (in.nscn ? in.nscn : 1) && !sig[0]; i++) {
    int rc = in.kind == SF_RP_SCRIPT ? -ENOTSUP
             : in.nscn
                 ? sf_rp_run_scenario(in.scn[i], false, timeout_s, &o)
                 : sf_rp_run_bytes(in.kind, in.bytes, in.len, timeout_s, &o);
    if (rc < 0) {
      snprintf(sig, sizeof(sig), "not run: %s",
               in.kind == SF_RP_SCRIPT ? "a script (synfin run runs it)"
                                       : strerror(-rc));
      break;
    }
    sf_rp_signature(&o, sig, sizeof(sig));
    sf_rp_outcome_free(&o);
  }
  if (!sig[0])
    snprintf(sig, sizeof(sig), "no failure");
  add(t, sig, path, size);
  sf_rp_input_free(&in);
}

static int walk(struct triage *t, const char *dir, const char *target,
                unsigned timeout_s, size_t *files) {
  DIR *d = opendir(dir);
  if (!d) {
    fprintf(stderr, "synfin triage: %s: %s\n", dir, strerror(errno));
    return -1;
  }
  char **names = NULL;
  size_t n = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    /* AFL++'s crashes/README.txt describes the directory */
    if (e->d_name[0] == '.' || strcmp(e->d_name, "README.txt") == 0)
      continue;
    char **nn = realloc(names, (n + 1) * sizeof(*nn));
    if (!nn)
      break;
    names = nn;
    names[n++] = strdup(e->d_name);
  }
  closedir(d);
  if (n)
    qsort(names, n, sizeof(*names), cmp_str);
  for (size_t i = 0; i < n; i++) {
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
    struct stat st;
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
      triage_file(t, path, target, timeout_s);
      (*files)++;
    }
    free(names[i]);
  }
  free(names);
  return 0;
}

int sf_cmd_triage(int argc, char **argv) {
  static const struct option longs[] = {{"target", required_argument, 0, 'T'},
                                        {"timeout", required_argument, 0, 't'},
                                        {"verbose", no_argument, 0, 'v'},
                                        {"help", no_argument, 0, 'h'},
                                        {0, 0, 0, 0}};
  const char *target = NULL;
  unsigned timeout_s = 10;
  bool verbose = false;
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "vh", longs, NULL)) != -1) {
    switch (c) {
    case 'T':
      target = optarg;
      break;
    case 't':
      timeout_s = (unsigned)strtoul(optarg, NULL, 10);
      if (!timeout_s)
        timeout_s = 10;
      break;
    case 'v':
      verbose = true;
      break;
    case 'h':
      fputs("usage: synfin triage [--target NAME] [--timeout S] [-v] "
            "DIR|FILE...\n"
            "Runs every file (crash files of AFL++ or libFuzzer, corpora) and\n"
            "groups them by the signature of their failure: one line per\n"
            "group with the count, the signature and the smallest file.\n"
            "  -v   list every file of each group\n",
            stdout);
      return 0;
    default:
      return 2;
    }
  }
  if (optind >= argc) {
    fputs("synfin triage: no directory given\n", stderr);
    return 2;
  }
  struct triage t = {0};
  size_t files = 0;
  int bad = 0;
  for (int i = optind; i < argc; i++) {
    struct stat st;
    if (stat(argv[i], &st) != 0) {
      fprintf(stderr, "synfin triage: %s: %s\n", argv[i], strerror(errno));
      bad = 1;
    } else if (S_ISDIR(st.st_mode)) {
      bad |= walk(&t, argv[i], target, timeout_s, &files) < 0;
    } else {
      triage_file(&t, argv[i], target, timeout_s);
      files++;
    }
  }
  qsort(t.g, t.n, sizeof(*t.g), cmp_group);
  bool failed = false;
  printf("%6s  %-64s %s\n", "count", "signature", "smallest");
  for (size_t i = 0; i < t.n; i++) {
    struct group *g = &t.g[i];
    failed |= strcmp(g->sig, "no failure") != 0;
    printf("%6zu  %-64s %s (%zu bytes)\n", g->count, g->sig, g->smallest,
           g->smallest_size);
    if (verbose)
      for (size_t k = 0; k < g->nfiles; k++)
        printf("          %s\n", g->files[k]);
  }
  printf("%zu files, %zu groups\n", files, t.n);
  for (size_t i = 0; i < t.n; i++) {
    free(t.g[i].smallest);
    for (size_t k = 0; k < t.g[i].nfiles; k++)
      free(t.g[i].files[k]);
    free(t.g[i].files);
  }
  free(t.g);
  return bad ? 2 : failed ? 1 : 0;
}
