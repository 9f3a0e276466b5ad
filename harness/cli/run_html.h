/* The static HTML report of `synfin run --html DIR` (run_html.c). */
#ifndef SF_RUN_HTML_H
#define SF_RUN_HTML_H

#include <stddef.h>

#include "run_items.h"

/* Writes DIR/index.html for the results (nsut systems under test each);
 * svg_name gives the path of a script's ladder diagram (linked when the
 * file exists). Returns 0 or -errno with err set. */
int sf_run_html_write(const char *dir, const struct item *items, size_t n,
                      const enum sf_sut_kind *suts, int nsut,
                      void (*svg_name)(const char *dir, const char *script,
                                       const char *sut, char *out, size_t cap),
                      char *err, size_t errlen);

#endif
