/* Fuzz target: raw IPv4 datagrams (header validation, ICMP, fragments and
 * reassembly, TCP header parsing) delivered to a stack that has a listener
 * and an established connection. Input: datagrams as [u16 length][bytes],
 * injected as they are, with the scenario oracles watching. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_target.h"
#include "synfin/scenario_run.h"

static sf_scenario scenario;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static sf_scn_runner *runner;
  if (!runner && sf_scn_runner_new(&runner) < 0)
    abort();
  sf_scn_from_datagrams(data, size, &scenario);
  sf_scn_verdict v;
  sf_scn_run(runner, &scenario, NULL, &v);
  if (v.failed) {
    fprintf(stderr, "synfin oracle %s: %s (datagram %zu)\n", v.oracle,
            v.message, v.event);
    abort();
  }
  return 0;
}
