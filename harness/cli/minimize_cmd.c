/* `synfin minimize FILE -o OUT`: the smallest input that fails the same
 * way (repro_minimize.c). Exit status: 0 written, 1 FILE does not fail,
 * 2 bad input or usage. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "repro.h"
#include "repro_minimize.h"

static void usage(FILE *f) {
  fputs("usage: synfin minimize [options] FILE -o OUT\n"
        "Shrinks a failing input (a scenario, ip_packet_fuzzer datagrams, a\n"
        "capture, or bytes for the parser and pcap targets) while it fails\n"
        "with the same signature: the oracle and its message with numbers\n"
        "blanked, or the sanitizer report's kind and first frames.\n"
        "  -o, --output OUT   where the minimised input goes\n"
        "  --target NAME      read FILE as this fuzz target does\n"
        "  --client           a capture: the stack plays the client\n"
        "  --timeout S        real seconds per run (default 10)\n"
        "  --max-runs N       stop after N runs (default 20000)\n"
        "  --max-time S       stop after S seconds (default 600)\n"
        "  -v, --verbose      a line per round\n",
        f);
}

int sf_cmd_minimize(int argc, char **argv) {
  static const struct option longs[] = {{"output", required_argument, 0, 'o'},
                                        {"target", required_argument, 0, 'T'},
                                        {"client", no_argument, 0, 'C'},
                                        {"timeout", required_argument, 0, 't'},
                                        {"max-runs", required_argument, 0, 'R'},
                                        {"max-time", required_argument, 0, 'M'},
                                        {"verbose", no_argument, 0, 'v'},
                                        {"help", no_argument, 0, 'h'},
                                        {0, 0, 0, 0}};
  const char *outpath = NULL, *target = NULL;
  bool client = false;
  sf_rp_min_options mo = {
      .timeout_s = 10, .max_runs = 20000, .max_time_s = 600};
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "o:vh", longs, NULL)) != -1) {
    char *end = NULL;
    switch (c) {
    case 'o':
      outpath = optarg;
      break;
    case 'T':
      target = optarg;
      break;
    case 'C':
      client = true;
      break;
    case 't':
      mo.timeout_s = (unsigned)strtoul(optarg, &end, 10);
      break;
    case 'R':
      mo.max_runs = strtoul(optarg, &end, 10);
      break;
    case 'M':
      mo.max_time_s = strtod(optarg, &end);
      break;
    case 'v':
      mo.verbose = true;
      break;
    case 'h':
      usage(stdout);
      return 0;
    default:
      usage(stderr);
      return 2;
    }
    if (end && (*end || end == optarg)) {
      fprintf(stderr, "synfin minimize: %s: expected a number\n", optarg);
      return 2;
    }
  }
  if (optind != argc - 1 || !outpath) {
    fputs("synfin minimize: expected FILE and -o OUT\n", stderr);
    usage(stderr);
    return 2;
  }
  sf_rp_input in;
  char err[1024];
  if (sf_rp_load(argv[optind], target, true, client, &in, err, sizeof(err)) <
      0) {
    fprintf(stderr, "synfin minimize: %s\n", err);
    sf_rp_input_free(&in);
    return 2;
  }
  if (in.kind == SF_RP_SCRIPT) {
    fprintf(stderr,
            "synfin minimize: %s is a script; minimize takes fuzz "
            "inputs (scenarios, datagrams, captures; --target for the "
            "parser and pcap targets)\n",
            in.path);
    sf_rp_input_free(&in);
    return 2;
  }
  /* the failure to keep: the first failing scenario of a capture */
  size_t which = 0;
  char sig[512] = "";
  sf_rp_outcome o;
  for (size_t i = 0; i < (in.nscn ? in.nscn : 1) && !sig[0]; i++) {
    int rc = in.nscn
                 ? sf_rp_run_scenario(in.scn[i], false, mo.timeout_s, &o)
                 : sf_rp_run_bytes(in.kind, in.bytes, in.len, mo.timeout_s, &o);
    if (rc < 0) {
      fprintf(stderr, "synfin minimize: cannot run: %s\n", strerror(-rc));
      sf_rp_input_free(&in);
      return 2;
    }
    sf_rp_signature(&o, sig, sizeof(sig));
    sf_rp_outcome_free(&o);
    which = i;
  }
  if (!sig[0]) {
    fprintf(stderr, "synfin minimize: %s does not fail: nothing to keep\n",
            in.path);
    sf_rp_input_free(&in);
    return 1;
  }
  printf("signature: %s\n", sig);
  uint8_t *out = NULL;
  size_t outlen = 0;
  sf_rp_min_stats st;
  int rc = sf_rp_minimize(&in, which, sig, &mo, &out, &outlen, &st);
  if (rc == 0 && (rc = sf_rp_write_file(outpath, out, outlen)) < 0)
    fprintf(stderr, "synfin minimize: %s: %s\n", outpath, strerror(-rc));
  else if (rc < 0)
    fprintf(stderr, "synfin minimize: %s\n", strerror(-rc));
  if (rc == 0) {
    if (in.nscn)
      printf("%s: %zu bytes, %zu events -> %s: %zu bytes, %zu events "
             "(%zu runs, %.1f s%s)\n",
             in.path, st.before_bytes, st.before_events, outpath,
             st.after_bytes, st.after_events, st.runs, st.seconds,
             st.budget_hit ? ", stopped by the budget" : "");
    else
      printf("%s: %zu bytes -> %s: %zu bytes (%zu runs, %.1f s%s)\n", in.path,
             st.before_bytes, outpath, st.after_bytes, st.runs, st.seconds,
             st.budget_hit ? ", stopped by the budget" : "");
  }
  free(out);
  sf_rp_input_free(&in);
  return rc < 0 ? 2 : 0;
}
