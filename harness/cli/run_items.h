/* What `synfin run` keeps per script, shared by its report writers. */
#ifndef SF_RUN_ITEMS_H
#define SF_RUN_ITEMS_H

#include <stdbool.h>
#include <stddef.h>

#include "synfin/run.h"

#define SF_MAX_SUTS 2

struct item {
  char *path;
  sf_run_result res[SF_MAX_SUTS]; /* one per system under test */
  char *trace[SF_MAX_SUTS];       /* -v text */
  bool done;
};

static inline const char *sf_sut_name(enum sf_sut_kind k) {
  return k == SF_SUT_LINUX ? "linux" : "stack";
}

/* The document of which specs the live kernel passes and why each
 * difference exists (linux_status.c). `sut` is the index of the linux
 * results in items[].res, `stack` that of the stack's or -1. Check returns
 * the number of specs whose status differs from the document (printing
 * them), or -errno; update rewrites the document, keeping its notes. */
int sf_linux_status_check(const char *path, const struct item *items, size_t n,
                          int sut);
int sf_linux_status_update(const char *path, const struct item *items, size_t n,
                           int sut, int stack);
/* Sets differs[i] for each spec whose linux status is not the documented
 * one; returns how many, or -errno. */
int sf_linux_status_mismatches(const char *path, const struct item *items,
                               size_t n, int sut, bool *differs);

#endif
