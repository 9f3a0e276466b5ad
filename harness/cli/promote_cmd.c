/* `synfin promote FILE`: keeps a fuzz finding fixed. The input, minimised
 * while it still fails (`synfin minimize`), goes to
 * corpus/regressions/<target>/<sha1> (the tests replay it through the
 * standalone fuzz binaries) and its script to specs/regressions/<sha1>.pkt
 * (`synfin repro --pkt`; the conformance suite runs it). Exit status: 0
 * stored, 2 bad input or a file that could not be written. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "corpus_build.h"
#include "repro.h"
#include "repro_minimize.h"

static int make_dirs(const char *dir) {
  char path[4096];
  snprintf(path, sizeof(path), "%s", dir);
  for (char *p = path + 1; *p; p++) {
    if (*p != '/')
      continue;
    *p = '\0';
    if (mkdir(path, 0777) != 0 && errno != EEXIST)
      return -errno;
    *p = '/';
  }
  if (mkdir(path, 0777) != 0 && errno != EEXIST)
    return -errno;
  return 0;
}

/* The script of the stored input, from a fresh run of it. */
static int write_spec(const char *root, const char *stored, const char *name,
                      const char *target, char *path, size_t cap) {
  sf_rp_input in;
  char err[1024];
  if (sf_rp_load(stored, target, true, false, &in, err, sizeof(err)) < 0) {
    fprintf(stderr, "synfin promote: %s\n", err);
    sf_rp_input_free(&in);
    return -EINVAL;
  }
  sf_rp_outcome o;
  int rc = sf_rp_run_scenario(in.scn[0], true, 60, &o);
  if (rc < 0) {
    sf_rp_input_free(&in);
    return rc;
  }
  char dir[4096];
  snprintf(dir, sizeof(dir), "%s/specs/regressions", root);
  if ((rc = make_dirs(dir)) < 0) {
    fprintf(stderr, "synfin promote: %s: %s\n", dir, strerror(-rc));
  } else {
    snprintf(path, cap, "%s/%s.pkt", dir, name);
    FILE *f = fopen(path, "w");
    char src[256];
    snprintf(src, sizeof(src), "corpus/regressions/%s/%s", target, name);
    sf_rp_pkt_options po = {.source = src, .target = target};
    if (!f || sf_rp_write_pkt(f, in.scn[0], &o, &po) < 0) {
      rc = -errno ? -errno : -EIO;
      fprintf(stderr, "synfin promote: %s: %s\n", path, strerror(errno));
    }
    if (f && fclose(f) != 0 && rc == 0)
      rc = -EIO;
  }
  sf_rp_outcome_free(&o);
  sf_rp_input_free(&in);
  return rc;
}

int sf_cmd_promote(int argc, char **argv) {
  static const struct option longs[] = {{"root", required_argument, 0, 'r'},
                                        {"target", required_argument, 0, 'T'},
                                        {"no-minimize", no_argument, 0, 'N'},
                                        {"timeout", required_argument, 0, 't'},
                                        {"help", no_argument, 0, 'h'},
                                        {0, 0, 0, 0}};
  const char *root = ".", *target = NULL;
  bool minimize = true;
  sf_rp_min_options mo = {
      .timeout_s = 10, .max_runs = 20000, .max_time_s = 600};
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
    switch (c) {
    case 'r':
      root = optarg;
      break;
    case 'T':
      target = optarg;
      break;
    case 'N':
      minimize = false;
      break;
    case 't':
      mo.timeout_s = (unsigned)strtoul(optarg, NULL, 10);
      if (!mo.timeout_s)
        mo.timeout_s = 10;
      break;
    case 'h':
      fputs("usage: synfin promote [options] FILE\n"
            "Stores a fuzz finding as a regression: the input, minimised\n"
            "while it fails, as corpus/regressions/<target>/<sha1>, and its\n"
            "script as specs/regressions/<sha1>.pkt.\n"
            "  --root DIR       the repository (default: .)\n"
            "  --no-minimize    store FILE as it is\n"
            "  --target NAME    read FILE as this fuzz target does\n"
            "  --timeout S      real seconds per run (default 10)\n",
            stdout);
      return 0;
    default:
      return 2;
    }
  }
  if (optind != argc - 1) {
    fputs("synfin promote: expected one FILE\n", stderr);
    return 2;
  }
  sf_rp_input in;
  char err[1024];
  if (sf_rp_load(argv[optind], target, true, false, &in, err, sizeof(err)) <
      0) {
    fprintf(stderr, "synfin promote: %s\n", err);
    sf_rp_input_free(&in);
    return 2;
  }
  if (in.kind == SF_RP_SCRIPT) {
    fprintf(stderr, "synfin promote: %s is a script: put it in specs/\n",
            in.path);
    sf_rp_input_free(&in);
    return 2;
  }
  const char *tname = sf_rp_target_name(in.kind);
  /* what fails, if anything */
  size_t which = 0;
  char sig[512] = "";
  for (size_t i = 0; i < (in.nscn ? in.nscn : 1) && !sig[0]; i++) {
    sf_rp_outcome o;
    int rc = in.nscn
                 ? sf_rp_run_scenario(in.scn[i], false, mo.timeout_s, &o)
                 : sf_rp_run_bytes(in.kind, in.bytes, in.len, mo.timeout_s, &o);
    if (rc == 0) {
      sf_rp_signature(&o, sig, sizeof(sig));
      sf_rp_outcome_free(&o);
    }
    which = i;
  }
  if (!sig[0])
    which = 0;
  uint8_t *bytes = NULL;
  size_t len = 0;
  if (sig[0] && minimize) {
    sf_rp_min_stats st;
    if (sf_rp_minimize(&in, which, sig, &mo, &bytes, &len, &st) < 0) {
      fprintf(stderr, "synfin promote: minimising failed\n");
      sf_rp_input_free(&in);
      return 2;
    }
    printf("minimised: %zu -> %zu bytes (%zu runs); %s\n", st.before_bytes,
           st.after_bytes, st.runs, sig);
  } else if (in.kind == SF_RP_PCAP) {
    len = sf_rp_encode(SF_RP_SCENARIO, in.scn[which], &bytes);
  } else {
    bytes = malloc(in.len ? in.len : 1);
    if (bytes)
      memcpy(bytes, in.bytes, in.len);
    len = in.len;
    printf("%s\n", sig[0] ? "stored as it is (--no-minimize)"
                          : "it does not fail here (fixed already?): stored "
                            "as it is");
  }
  if (!bytes) {
    sf_rp_input_free(&in);
    return 2;
  }
  char dir[4096], name[41];
  snprintf(dir, sizeof(dir), "%s/corpus/regressions/%s", root, tname);
  int rc = sf_corpus_put(dir, bytes, len, name, err, sizeof(err));
  free(bytes);
  if (rc < 0) {
    fprintf(stderr, "synfin promote: %s\n", err);
    sf_rp_input_free(&in);
    return 2;
  }
  printf("%s %s/%s\n", rc == SF_CORPUS_EXISTS ? "already there:" : "wrote", dir,
         name);
  char stored[4200], spec[4200];
  snprintf(stored, sizeof(stored), "%s/%s", dir, name);
  if (in.kind == SF_RP_PARSER || in.kind == SF_RP_PCAP_READER) {
    printf("no script: %s inputs carry no traffic\n", tname);
  } else if (write_spec(root, stored, name, tname, spec, sizeof(spec)) == 0) {
    printf("wrote %s\n", spec);
  } else {
    rc = -EIO;
  }
  sf_rp_input_free(&in);
  return rc < 0 ? 2 : 0;
}
