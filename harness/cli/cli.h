/* Subcommands of the synfin command. Each returns the process exit code. */
#ifndef SF_CLI_H
#define SF_CLI_H

int sf_cmd_run(int argc, char **argv);
int sf_cmd_demo(int argc, char **argv);
int sf_cmd_coverage(int argc, char **argv);
int sf_cmd_scenario(int argc, char **argv);
int sf_cmd_corpus(int argc, char **argv);
int sf_cmd_diff(int argc, char **argv);
int sf_cmd_repro(int argc, char **argv);
int sf_cmd_minimize(int argc, char **argv);
int sf_cmd_triage(int argc, char **argv);
int sf_cmd_promote(int argc, char **argv);

#endif
