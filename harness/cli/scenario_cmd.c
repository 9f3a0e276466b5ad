/* `synfin scenario dump FILE...`: prints fuzz scenarios readably. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "synfin/scenario.h"

#define SCENARIO_LIMIT (1u << 20)

static int dump(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "synfin scenario: %s: %s\n", path, strerror(errno));
    return 2;
  }
  uint8_t *buf = malloc(SCENARIO_LIMIT + 1);
  size_t n = buf ? fread(buf, 1, SCENARIO_LIMIT + 1, f) : 0;
  int err = ferror(f);
  fclose(f);
  if (!buf || err || n > SCENARIO_LIMIT) {
    fprintf(stderr, "synfin scenario: %s: %s\n", path,
            !buf  ? "out of memory"
            : err ? "read error"
                  : "larger than 1 MiB: not a scenario");
    free(buf);
    return 2;
  }
  sf_scenario *s = malloc(sizeof(*s));
  if (!s) {
    free(buf);
    return 2;
  }
  if (!sf_scn_looks_like(buf, n))
    printf("# %s does not start with 'S' and version %d; decoded anyway\n",
           path, SF_SCN_VERSION);
  sf_scn_decode(buf, n, s);
  sf_scn_dump(s, stdout);
  free(s);
  free(buf);
  return 0;
}

int sf_cmd_scenario(int argc, char **argv) {
  if (argc < 3 || strcmp(argv[1], "dump") != 0) {
    fputs("usage: synfin scenario dump FILE...\n"
          "Prints tcp_scenario_fuzzer inputs (the format is described in\n"
          "docs/scenario-format.md).\n",
          argc >= 2 && strcmp(argv[1], "--help") == 0 ? stdout : stderr);
    return argc >= 2 && strcmp(argv[1], "--help") == 0 ? 0 : 2;
  }
  int rc = 0;
  for (int i = 2; i < argc; i++) {
    if (argc > 3)
      printf("== %s\n", argv[i]);
    int r = dump(argv[i]);
    if (r > rc)
      rc = r;
  }
  return rc;
}
