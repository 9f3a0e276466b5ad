/* sf_scenario_states [-r ROUNDS] FILE|DIR...: replays tcp_scenario_fuzzer
 * inputs with an observer and reports which TCP states and transitions the
 * stack went through (how many inputs reached each), which oracles broke,
 * and how fast the runner replays them (ROUNDS passes over the inputs,
 * default 1; the rate excludes reading the files). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "synfin/scenario_run.h"

#define MAX_INPUTS 200000

struct input {
  uint8_t *data;
  size_t len;
};

static struct input *inputs;
static size_t ninputs;

struct seen {
  bool state[SF_TCP_NSTATES];
  bool move[SF_TCP_NSTATES][SF_TCP_NSTATES];
};

static void on_state(void *ctx, int old_state, int new_state, uint64_t t) {
  struct seen *s = ctx;
  (void)t;
  if (old_state < 0 || old_state >= SF_TCP_NSTATES || new_state < 0 ||
      new_state >= SF_TCP_NSTATES)
    return;
  s->state[new_state] = true;
  s->move[old_state][new_state] = true;
}

static int load_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "%s: %s\n", path, strerror(errno));
    return -1;
  }
  if (ninputs == MAX_INPUTS) {
    fclose(f);
    return 0;
  }
  static uint8_t buf[1 << 20];
  struct input *in = &inputs[ninputs];
  in->len = fread(buf, 1, sizeof(buf), f);
  fclose(f);
  in->data = malloc(in->len ? in->len : 1);
  if (!in->data)
    return -1;
  memcpy(in->data, buf, in->len);
  ninputs++;
  return 0;
}

static int load(const char *path) {
  struct stat st;
  if (stat(path, &st) != 0) {
    fprintf(stderr, "%s: %s\n", path, strerror(errno));
    return -1;
  }
  if (!S_ISDIR(st.st_mode))
    return load_file(path);
  DIR *d = opendir(path);
  if (!d)
    return -1;
  struct dirent *e;
  int rc = 0;
  while ((e = readdir(d))) {
    char p[4096];
    if (e->d_name[0] == '.')
      continue;
    snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
    if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
      rc |= load_file(p);
  }
  closedir(d);
  return rc;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  int rounds = 1, first = 1;
  if (argc > 2 && strcmp(argv[1], "-r") == 0) {
    rounds = atoi(argv[2]);
    first = 3;
  }
  if (first >= argc || rounds < 1) {
    fprintf(stderr, "usage: sf_scenario_states [-r ROUNDS] FILE|DIR...\n");
    return 2;
  }
  inputs = calloc(MAX_INPUTS, sizeof(*inputs));
  for (int i = first; i < argc; i++)
    if (load(argv[i]) < 0)
      return 2;
  sf_scn_runner *r;
  sf_scenario *s = malloc(sizeof(*s));
  if (!s || sf_scn_runner_new(&r) < 0)
    return 2;
  static unsigned reached[SF_TCP_NSTATES],
      moved[SF_TCP_NSTATES][SF_TCP_NSTATES];
  unsigned failed = 0;
  size_t events = 0;
  for (size_t i = 0; i < ninputs; i++) {
    struct seen seen;
    memset(&seen, 0, sizeof(seen));
    sf_scn_observer obs = {.state = on_state, .ctx = &seen};
    sf_scn_verdict v;
    sf_scn_decode(inputs[i].data, inputs[i].len, s);
    sf_scn_run(r, s, &obs, &v);
    events += s->n;
    if (v.failed) {
      failed++;
      printf("finding: synfin oracle %s: %s (input %zu)\n", v.oracle, v.message,
             i);
    }
    for (int a = 0; a < SF_TCP_NSTATES; a++) {
      reached[a] += seen.state[a];
      for (int b = 0; b < SF_TCP_NSTATES; b++)
        moved[a][b] += seen.move[a][b];
    }
  }
  printf("%zu inputs (%zu events), %u with a finding\n", ninputs, events,
         failed);
  printf("states reached (inputs):\n");
  for (int a = 0; a < SF_TCP_NSTATES; a++)
    printf("  %-12s %u\n", sf_tcp_state_name(a), reached[a]);
  printf("transitions (inputs):\n");
  for (int a = 0; a < SF_TCP_NSTATES; a++)
    for (int b = 0; b < SF_TCP_NSTATES; b++)
      if (moved[a][b])
        printf("  %-12s -> %-12s %u\n", sf_tcp_state_name(a),
               sf_tcp_state_name(b), moved[a][b]);
  if (rounds > 1 && ninputs) {
    double t0 = now_s();
    for (int k = 0; k < rounds; k++) {
      for (size_t i = 0; i < ninputs; i++) {
        sf_scn_verdict v;
        sf_scn_decode(inputs[i].data, inputs[i].len, s);
        sf_scn_run(r, s, NULL, &v);
      }
    }
    double dt = now_s() - t0;
    printf("replay: %zu runs in %.2f s = %.0f runs/s (%.0f events/s)\n",
           (size_t)rounds * ninputs, dt, (double)rounds * ninputs / dt,
           (double)rounds * (double)events / dt);
  }
  sf_scn_runner_free(r);
  free(s);
  for (size_t i = 0; i < ninputs; i++)
    free(inputs[i].data);
  free(inputs);
  return 0;
}
