/* Fuzz target: the pcap import path: a capture read from memory (fmemopen
 * and pcap_fopen_offline inside sf_pcap_read_mem), every packet decoded and
 * printed as script text. */
#include <stdlib.h>

#include "fuzz_target.h"
#include "synfin/trace.h"

static int visit(void *ctx, uint64_t t_ns, int link_type, const uint8_t *data,
                 size_t caplen, size_t wirelen) {
  (void)ctx;
  (void)t_ns;
  (void)link_type;
  (void)wirelen;
  sf_pkt_view v;
  sf_pkt_decode(data, caplen, &v);
  sf_pkt_fmt f = {.dir = SF_DIR_IN, .relative = false, .show_win = true};
  char line[1024];
  sf_pkt_format(&v, &f, line, sizeof(line));
  sf_pkt_field fields[SF_PKT_MAX_FIELDS];
  sf_pkt_format_fields(&v, &f, fields, SF_PKT_MAX_FIELDS);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char err[256];
  sf_pcap_read_mem(data, size, visit, NULL, err, sizeof(err));
  return 0;
}
