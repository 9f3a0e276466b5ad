/* The stack configuration shared by the script and scenario runners. */
#include "synfin/stack_config.h"

#include <arpa/inet.h>

void sf_harness_stack_config(sf_config *cfg, const sf_profile *profile,
                             uint32_t local, uint32_t mtu, uint64_t seed) {
  sf_config_default(cfg, SF_PROFILE_LINUX);
  cfg->profile = *profile;
  cfg->addr.s_addr = htonl(local);
  cfg->seed = seed;
  cfg->mtu = mtu;
  cfg->max_sockets = SF_HARNESS_MAX_SOCKETS;
  uint32_t want = profile->rmem_default > profile->wmem_default
                      ? profile->rmem_default
                      : profile->wmem_default;
  if (want > cfg->buf_capacity)
    cfg->buf_capacity = want < SF_HARNESS_MAX_BUF ? want : SF_HARNESS_MAX_BUF;
}
