/* `synfin demo`: two stacks open a connection, move data both ways and
 * close it over a simulated link; every packet is printed in script
 * syntax as the left stack sees it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "synfin/sim.h"
#include "synfin/trace.h"

struct demo {
  bool isn_known[2];
  uint32_t isn[2]; /* by side: 0 is the listener, the "local" stack */
};

static void observe(void *ctx, int side, uint64_t now, const uint8_t *pkt,
                    size_t len) {
  struct demo *d = ctx;
  sf_pkt_view v;
  sf_pkt_decode(pkt, len, &v);
  if (v.l4 == SF_PKT_L4_TCP && (v.tcp.flags & SF_TCP_SYN) &&
      !d->isn_known[side]) {
    d->isn[side] = v.tcp.seq;
    d->isn_known[side] = true;
  }
  sf_pkt_fmt f = {.dir = side == 0 ? SF_DIR_OUT : SF_DIR_IN,
                  .relative = true,
                  .out_isn = d->isn[0],
                  .in_isn = d->isn[1],
                  .show_win = true,
                  .show_ts_val = true};
  char line[512];
  sf_pkt_format(&v, &f, line, sizeof(line));
  printf("%10.6f %s\n", (double)now / 1e6, line);
}

int sf_cmd_demo(int argc, char **argv) {
  unsigned long bytes = 3000;
  if (argc > 1 && strcmp(argv[1], "--help") == 0) {
    puts("usage: synfin demo [BYTES]\n"
         "Two stacks (192.168.0.1 listens, 192.0.2.1 connects) exchange BYTES\n"
         "each way (default 3000) and close; '>' lines are sent by the\n"
         "listener, '<' lines by the connecting stack.");
    return 0;
  }
  if (argc > 1) {
    char *end;
    bytes = strtoul(argv[1], &end, 10);
    if (*end || bytes == 0 || bytes > (64ul << 20)) {
      fprintf(stderr, "synfin demo: %s: expected bytes from 1 to %lu\n",
              argv[1], 64ul << 20);
      return 2;
    }
  }
  struct demo d = {0};
  sf_transfer_config cfg;
  sf_transfer_config_default(&cfg);
  cfg.bytes = bytes;
  cfg.observer = observe;
  cfg.observer_ctx = &d;
  sf_transfer_result res;
  int rc = sf_transfer_run(&cfg, &res);
  if (rc < 0) {
    fprintf(stderr, "synfin demo: %s\n", res.error);
    return 1;
  }
  printf("%llu packets; %lu bytes each way delivered intact; trace hash "
         "%016llx\n",
         (unsigned long long)res.trace.packets, bytes,
         (unsigned long long)res.trace.h);
  return 0;
}
