/* Fuzz target: the script parser on arbitrary text, with the runner's
 * static checks, and the formatter's promise that printing a parsed script
 * and parsing it again gives the same script. */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_target.h"
#include "synfin/run.h"
#include "synfin/script.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sf_script *s;
  sf_script_error err;
  if (sf_script_parse((const char *)data, size, "fuzz.pkt", &s, &err) < 0)
    return 0;
  char why[256];
  sf_run_check(s, "fuzz.pkt", why, sizeof(why));
  char *text;
  size_t len;
  if (sf_script_format(s, &text, &len) == 0) {
    sf_script *again;
    if (sf_script_parse(text, len, "formatted.pkt", &again, &err) < 0) {
      fprintf(stderr,
              "synfin oracle format: printed script does not parse: "
              "%s\n",
              err.message);
      abort();
    }
    if (!sf_script_equal(s, again)) {
      fprintf(stderr, "synfin oracle format: printed script parses to a "
                      "different script\n");
      abort();
    }
    sf_script_free(again);
    free(text);
  }
  sf_script_free(s);
  return 0;
}
