/* synfin: a TCP/IP conformance and fuzzing harness. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct {
  const char *name;
  int (*fn)(int, char **);
  const char *help;
} commands[] = {
    {"run", sf_cmd_run, "run conformance scripts against the stack"},
    {"demo", sf_cmd_demo, "show a connection between two stacks"},
    {"scenario", sf_cmd_scenario, "print fuzz scenarios readably"},
    {"coverage", sf_cmd_coverage,
     "which RFC 9293 requirements the specs check"},
    {"corpus", sf_cmd_corpus, "fuzz seeds from the specs or from captures"},
    {"diff", sf_cmd_diff, "replay scenarios on the stack and the kernel"},
    {"repro", sf_cmd_repro, "replay a fuzz finding: trace, pcap, script"},
    {"minimize", sf_cmd_minimize, "shrink a finding, keeping its failure"},
    {"triage", sf_cmd_triage, "group crash files by their failure"},
    {"promote", sf_cmd_promote, "store a finding as a regression"},
};

static void usage(FILE *f) {
  fputs("usage: synfin COMMAND [options]\n\ncommands:\n", f);
  for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
    fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
  fputs("\n`synfin COMMAND --help` describes a command.\n", f);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
      strcmp(argv[1], "help") == 0) {
    usage(stdout);
    return 0;
  }
  for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
    if (strcmp(argv[1], commands[i].name) == 0)
      return commands[i].fn(argc - 1, argv + 1);
  fprintf(stderr, "synfin: unknown command '%s'\n", argv[1]);
  usage(stderr);
  return 2;
}
