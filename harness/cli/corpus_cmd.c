/* `synfin corpus`: seeds for tcp_scenario_fuzzer from the conformance
 * specs (from-specs) and from packet captures (from-pcap). Each scenario is
 * replayed through the fuzzer's oracles before it is written; files are
 * named by the SHA-1 of their bytes and never overwritten. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "corpus_src.h"
#include "paths.h"
#include "synfin/run.h"

#define DEFAULT_DIR "corpus/tcp_scenario_fuzzer"

struct corpus_args {
  const char *out;
  bool verbose;
  bool stack_is_client;
};

/* What was written in this run, to tell duplicates from older files. */
struct seen {
  char (*names)[41];
  char **from;
  size_t n, cap;
};

struct tally {
  size_t sources, written, exists, duplicate, rejected, skipped, failed;
  size_t truncated;
};

static const char *seen_from(const struct seen *s, const char *name) {
  for (size_t i = 0; i < s->n; i++)
    if (strcmp(s->names[i], name) == 0)
      return s->from[i];
  return NULL;
}

static void seen_add(struct seen *s, const char *name, const char *from) {
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 64;
    char(*n)[41] = realloc(s->names, cap * sizeof(*n));
    if (n)
      s->names = n;
    char **f = realloc(s->from, cap * sizeof(*f));
    if (f)
      s->from = f;
    if (!n || !f)
      return;
    s->cap = cap;
  }
  memcpy(s->names[s->n], name, 41);
  s->from[s->n] = strdup(from);
  s->n++;
}

static void seen_free(struct seen *s) {
  for (size_t i = 0; i < s->n; i++)
    free(s->from[i]);
  free(s->names);
  free(s->from);
}

/* Builds, judges and writes one trace; prints one line after `label`. */
static void emit(const struct corpus_args *a, struct seen *seen,
                 struct tally *t, const char *label, const sf_cb_trace *tr,
                 sf_scenario *scn, const char *extra) {
  sf_cb_result res;
  if (sf_cb_build(tr, scn, &res) < 0) {
    printf("%s: out of memory\n", label);
    t->failed++;
    return;
  }
  if (res.truncated)
    t->truncated++;
  char trunc[96] = "";
  if (res.truncated)
    snprintf(trunc, sizeof(trunc),
             "; %zu later items left out (%d events "
             "at most)",
             res.truncated, SF_SCN_MAX_EVENTS);
  if (res.verdict.failed) {
    t->rejected++;
    long ev =
        res.verdict.event == SF_SCN_SETUP_EVENT ? -1 : (long)res.verdict.event;
    printf("%s: REJECTED: the scenario trips the %s oracle at event %ld: "
           "%s\n",
           label, res.verdict.oracle, ev, res.verdict.message);
    return;
  }
  size_t cap = 16 + SF_SCN_MAX_EVENTS * (4 + SF_SCN_MAX_RAW);
  uint8_t *buf = malloc(cap);
  if (!buf) {
    printf("%s: out of memory\n", label);
    t->failed++;
    return;
  }
  size_t len = sf_scn_encode(scn, buf, cap);
  char name[41], err[512];
  const char *dup = NULL;
  int rc = sf_corpus_put(a->out, buf, len, name, err, sizeof(err));
  free(buf);
  if (rc < 0) {
    printf("%s: %s\n", label, err);
    t->failed++;
    return;
  }
  if (rc == SF_CORPUS_EXISTS && (dup = seen_from(seen, name))) {
    t->duplicate++;
    printf("%s: %s, the same scenario as %s\n", label, name, dup);
    return;
  }
  seen_add(seen, name, label);
  if (rc == SF_CORPUS_EXISTS) {
    t->exists++;
    printf("%s: %s already in %s (%zu events%s%s)\n", label, name, a->out,
           res.events, extra, trunc);
  } else {
    t->written++;
    printf("%s: wrote %s (%zu events%s%s)\n", label, name, res.events, extra,
           trunc);
  }
}

static void summary(const struct corpus_args *a, const struct tally *t,
                    const char *what) {
  char cut[64] = "";
  if (t->truncated)
    snprintf(cut, sizeof(cut), " (%zu cut at %d events)", t->truncated,
             SF_SCN_MAX_EVENTS);
  printf("synfin corpus: %zu %s: %zu written to %s%s, %zu already there, %zu "
         "duplicates, %zu skipped, %zu rejected (trip an oracle)%s\n",
         t->sources, what, t->written, a->out, cut, t->exists, t->duplicate,
         t->skipped, t->rejected,
         t->failed ? ", some could not be written" : "");
}

/* ---- from-specs ---- */

static int from_specs(const struct corpus_args *a, int argc, char **argv) {
  struct sf_paths paths = {0};
  if (sf_collect_scripts("corpus", argc, argv, &paths) < 0)
    return 2;
  if (paths.n == 0) {
    for (int i = 0; i < argc; i++)
      fprintf(stderr, "synfin corpus: %s: no .pkt scripts there\n", argv[i]);
    sf_paths_free(&paths);
    return 2;
  }
  sf_scenario *scn = malloc(sizeof(*scn));
  if (!scn) {
    sf_paths_free(&paths);
    return 2;
  }
  struct tally t = {0};
  struct seen seen = {0};
  for (size_t i = 0; i < paths.n; i++) {
    const char *path = paths.v[i];
    t.sources++;
    sf_script *s = NULL;
    sf_script_error perr;
    if (sf_script_parse_file(path, &s, &perr) < 0) {
      printf("%s: skipped: %s\n", path, perr.message);
      t.skipped++;
      continue;
    }
    char why[512];
    int chk = sf_run_check(s, path, why, sizeof(why));
    if (chk != 0) {
      printf("%s: skipped: %s\n", path,
             chk == 1 ? why : "the runner refuses its options");
      t.skipped++;
      sf_script_free(s);
      continue;
    }
    sf_cb_trace tr;
    sf_cb_trace_init(&tr);
    struct sf_strbuf notes = {0};
    int rc = sf_corpus_from_script(s, &tr, &notes);
    sf_script_free(s);
    if (rc < 0) {
      printf("%s: out of memory\n", path);
      t.failed++;
    } else {
      emit(a, &seen, &t, path, &tr, scn, "");
      if (a->verbose && notes.len)
        printf("  left out: %s\n", sf_strbuf_str(&notes));
    }
    sf_strbuf_free(&notes);
    sf_cb_trace_free(&tr);
  }
  summary(a, &t, "scripts");
  seen_free(&seen);
  free(scn);
  sf_paths_free(&paths);
  return t.rejected || t.failed ? 1 : 0;
}

/* ---- from-pcap ---- */

static void addr_text(uint32_t a, char *out, size_t cap) {
  snprintf(out, cap, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255,
           a & 255);
}

static int from_pcap(const struct corpus_args *a, int argc, char **argv) {
  sf_scenario *scn = malloc(sizeof(*scn));
  if (!scn)
    return 2;
  struct tally t = {0};
  struct seen seen = {0};
  int status = 0;
  for (int i = 0; i < argc; i++) {
    sf_capture cap;
    char err[1024];
    if (sf_corpus_from_pcap(argv[i], a->stack_is_client, &cap, err,
                            sizeof(err)) < 0) {
      fprintf(stderr, "synfin corpus: %s\n", err);
      sf_capture_free(&cap);
      status = 2;
      continue;
    }
    size_t tcp = 0;
    for (size_t k = 0; k < cap.n; k++) {
      sf_cap_conn *c = &cap.conns[k];
      char ca[16], sa[16], label[4200];
      addr_text(c->client_addr, ca, sizeof(ca));
      addr_text(c->server_addr, sa, sizeof(sa));
      snprintf(label, sizeof(label), "%s: %s:%u > %s:%u (%zu packets)", argv[i],
               ca, c->client_port, sa, c->server_port, c->packets);
      t.sources++;
      tcp++;
      if (c->skip[0]) {
        printf("%s: skipped: %s\n", label, c->skip);
        t.skipped++;
        continue;
      }
      char extra[64] = "";
      if (c->split)
        snprintf(extra, sizeof(extra), ", %zu offloaded segments split",
                 c->split);
      sf_cb_sort(&c->trace);
      emit(a, &seen, &t, label, &c->trace, scn, extra);
    }
    if (a->verbose || tcp == 0)
      printf("%s: %zu packets, %zu TCP connections; not used: %zu not IPv4, "
             "%zu not TCP, %zu fragments, %zu cut by the snapshot length\n",
             argv[i], cap.packets, tcp, cap.not_ipv4, cap.not_tcp,
             cap.fragments, cap.not_captured);
    sf_capture_free(&cap);
  }
  if (!status || t.sources)
    summary(a, &t, "connections");
  seen_free(&seen);
  free(scn);
  if (status)
    return status;
  return t.rejected || t.failed ? 1 : 0;
}

static void usage(FILE *f) {
  fputs("usage: synfin corpus from-specs [-v] [-o DIR] PATH...\n"
        "       synfin corpus from-pcap [-v] [-o DIR] "
        "[--stack-side server|client] FILE...\n"
        "\n"
        "Writes tcp_scenario_fuzzer seeds (docs/scenario-format.md), one\n"
        "per script or per TCP connection of a capture (pcap or pcapng:\n"
        "raw IP, Ethernet, Linux cooked v1/v2, BSD loopback), each named\n"
        "by the SHA-1 of its bytes. Every scenario is replayed through the\n"
        "fuzzer's oracles first; one that trips an oracle is reported and\n"
        "not written.\n"
        "\n"
        "  -o, --output DIR     where to write (default " DEFAULT_DIR ")\n"
        "  --stack-side SIDE    from-pcap: the stack plays the capture's\n"
        "                       server (default) or client\n"
        "  -v, --verbose        say what had no scenario equivalent\n"
        "\n"
        "Exit status: 0, 1 when a scenario was rejected or could not be\n"
        "written, 2 for bad usage or an unreadable input.\n",
        f);
}

int sf_cmd_corpus(int argc, char **argv) {
  struct corpus_args a = {.out = DEFAULT_DIR};
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const char *sub = argv[1];
  if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
    usage(stdout);
    return 0;
  }
  bool specs = strcmp(sub, "from-specs") == 0;
  if (!specs && strcmp(sub, "from-pcap") != 0) {
    fprintf(stderr, "synfin corpus: unknown subcommand '%s'\n", sub);
    usage(stderr);
    return 2;
  }
  static const struct option longopts[] = {
      {"output", required_argument, 0, 'o'},
      {"stack-side", required_argument, 0, 's'},
      {"verbose", no_argument, 0, 'v'},
      {"help", no_argument, 0, 'h'},
      {0, 0, 0, 0}};
  optind = 1;
  int c;
  while ((c = getopt_long(argc - 1, argv + 1, "o:vh", longopts, NULL)) != -1) {
    switch (c) {
    case 'o':
      a.out = optarg;
      break;
    case 's':
      if (strcmp(optarg, "client") == 0) {
        a.stack_is_client = true;
      } else if (strcmp(optarg, "server") != 0) {
        fprintf(stderr,
                "synfin corpus: --stack-side %s: expected server or client\n",
                optarg);
        return 2;
      }
      break;
    case 'v':
      a.verbose = true;
      break;
    case 'h':
      usage(stdout);
      return 0;
    default:
      usage(stderr);
      return 2;
    }
  }
  int nargs = argc - 1 - optind;
  char **args = argv + 1 + optind;
  if (nargs < 1) {
    fprintf(stderr, "synfin corpus %s: no %s named\n", sub,
            specs ? "scripts" : "captures");
    usage(stderr);
    return 2;
  }
  if (specs && a.stack_is_client) {
    fputs("synfin corpus from-specs: --stack-side is for from-pcap\n", stderr);
    return 2;
  }
  if (!specs)
    for (int i = 0; i < nargs; i++) {
      struct stat st;
      if (stat(args[i], &st) != 0) {
        fprintf(stderr, "synfin corpus: %s: %s\n", args[i], strerror(errno));
        return 2;
      }
      if (S_ISDIR(st.st_mode)) {
        fprintf(stderr, "synfin corpus: %s: a directory, not a capture\n",
                args[i]);
        return 2;
      }
    }
  fflush(stdout);
  return specs ? from_specs(&a, nargs, args) : from_pcap(&a, nargs, args);
}
