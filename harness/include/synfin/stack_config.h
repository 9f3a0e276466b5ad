/* The one configuration of the built-in stack that every harness uses: the
 * script runner's stack (sut_stack.c) and the scenario runner's
 * (scenario_run.c) are made by the same function, so that a scenario and
 * the script `synfin repro --pkt` writes for it drive identical stacks:
 * the same descriptors, windows, ISNs, ports and timers. */
#ifndef SYNFIN_STACK_CONFIG_H
#define SYNFIN_STACK_CONFIG_H

#include <stdint.h>

#include "synfin/stack.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SF_HARNESS_SEED 1              /* the runners' default seed */
#define SF_HARNESS_MTU 1500            /* the default MTU (scripts: --mss) */
#define SF_HARNESS_MAX_SOCKETS 32      /* listeners, connections, TIME-WAITs */
#define SF_HARNESS_MAX_BUF (16u << 20) /* largest buffer per direction */

/* Fills *cfg for a stack at `local` (host order) with `profile`: the
 * socket table, and buffers with room for the profile's default buffer
 * sizes (packetdrill's tcp_rmem and tcp_wmem defaults, 540000 and 262144,
 * up to SF_HARNESS_MAX_BUF), so that the windows the stack offers follow
 * the profile and not the memory. The caller sets the callbacks. */
void sf_harness_stack_config(sf_config *cfg, const sf_profile *profile,
                             uint32_t local, uint32_t mtu, uint64_t seed);

#ifdef __cplusplus
}
#endif

#endif
