/* Fuzz target: a scenario (setup and events) against a fresh stack, judged
 * by the oracles of scenario_run.h. A broken oracle aborts with one line
 * naming it, so crash triage can group findings. */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_target.h"
#include "synfin/scenario_run.h"

static sf_scenario scenario; /* 0.5 MiB: not on the stack */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static sf_scn_runner *runner;
  if (!runner && sf_scn_runner_new(&runner) < 0)
    abort();
  sf_scn_decode(data, size, &scenario);
  sf_scn_verdict v;
  sf_scn_run(runner, &scenario, NULL, &v);
  if (v.failed) {
    fprintf(stderr, "synfin oracle %s: %s (event %zd)\n", v.oracle, v.message,
            v.event == SF_SCN_SETUP_EVENT ? (ssize_t)-1 : (ssize_t)v.event);
    abort();
  }
  return 0;
}
