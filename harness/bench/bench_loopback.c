/* Throughput of the stack in simulation: bytes moved between two stacks per
 * second of CPU time (the virtual clock does not count). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "synfin/sim.h"

static double cpu_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int measure(const char *name, sf_transfer_config *cfg) {
  sf_transfer_result res;
  double t0 = cpu_seconds();
  int rc = sf_transfer_run(cfg, &res);
  double cpu = cpu_seconds() - t0;
  if (rc < 0) {
    fprintf(stderr, "%s: transfer failed: %s\n", name, res.error);
    return 1;
  }
  double mb = 2.0 * (double)cfg->bytes / 1e6;
  printf("%-22s %8.1f MB in %6.3f CPU-s = %8.1f MB/CPU-s  (%llu packets, "
         "%.1f s virtual)\n",
         name, mb, cpu, mb / cpu, (unsigned long long)res.trace.packets,
         (double)res.virtual_us / 1e6);
  return 0;
}

int main(int argc, char **argv) {
  unsigned long mb = argc > 1 ? strtoul(argv[1], NULL, 10) : 50;
  if (mb == 0 || mb > 4096) {
    fprintf(stderr, "usage: %s [MB each way, 1..4096]\n", argv[0]);
    return 2;
  }
  sf_transfer_config cfg;
  sf_transfer_config_default(&cfg);
  cfg.bytes = (uint64_t)mb << 20;
  int bad = measure("clean link", &cfg);
  cfg.link.loss_ppm = 10000;
  cfg.link.dup_ppm = 5000;
  cfg.link.jitter_us = 4000;
  bad |= measure("1% loss, dup, reorder", &cfg);
  sf_config sc;
  sf_config_default(&sc, SF_PROFILE_LINUX);
  printf("memory per socket slot: %zu bytes (buffers %u B each way); stack "
         "of %u slots: %zu bytes\n",
         sf_stack_socket_size(&sc), sc.buf_capacity, sc.max_sockets,
         sf_stack_memory_size(&sc));
  return bad;
}
