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
  memset(&scenario.setup, 0, sizeof(scenario.setup));
  scenario.setup.start = SF_SCN_ESTABLISHED;
  scenario.setup.syn_opts = SF_SCN_OPT_MSS | SF_SCN_OPT_SACK;
  scenario.n = 0;
  size_t pos = 0;
  while (pos + 2 <= size && scenario.n < SF_SCN_MAX_EVENTS) {
    size_t len = (size_t)data[pos] << 8 | data[pos + 1];
    pos += 2;
    if (len > size - pos)
      len = size - pos;
    if (len > SF_SCN_MAX_RAW)
      len = SF_SCN_MAX_RAW;
    sf_scn_event *e = &scenario.ev[scenario.n++];
    e->kind = SF_SCN_RAW;
    e->raw.fix = 0;
    e->raw.len = (uint16_t)len;
    memcpy(e->raw.bytes, data + pos, len);
    pos += len;
  }
  sf_scn_verdict v;
  sf_scn_run(runner, &scenario, NULL, &v);
  if (v.failed) {
    fprintf(stderr, "synfin oracle %s: %s (datagram %zu)\n", v.oracle,
            v.message, v.event);
    abort();
  }
  return 0;
}
