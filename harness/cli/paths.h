/* Collecting script paths from a command line. */
#ifndef SF_PATHS_H
#define SF_PATHS_H

#include <stddef.h>

struct sf_paths {
  char **v;
  size_t n, cap;
};

int sf_paths_push(struct sf_paths *p, const char *s);
/* Appends every script named by argv (files, or directories searched
 * recursively for *.pkt, sorted). Errors are printed as "synfin CMD: ..."
 * and returned as -errno. */
int sf_collect_scripts(const char *cmd, int argc, char **argv,
                       struct sf_paths *out);
void sf_paths_free(struct sf_paths *p);

#endif
