/* Retransmission timeout arithmetic (RFC 6298). */
#include "tcp.h"

#define RTO_G_US 1000 /* clock granularity G of RFC 6298 2: 1 ms */

static uint32_t clamp_rto(uint64_t rto, const sf_profile *p) {
  if (rto < p->rto_min_us)
    rto = p->rto_min_us;
  if (rto > p->rto_max_us)
    rto = p->rto_max_us;
  return (uint32_t)rto;
}

static uint32_t compute_rto(const struct sf_tcb *tcb, const sf_profile *p) {
  uint64_t var4 = 4 * (uint64_t)tcb->rttvar_us;
  if (p->rto_formula == SF_RTO_LINUX) {
    /* Linux: the variance term itself is floored at the minimum RTO */
    uint64_t v = var4 > p->rto_min_us ? var4 : p->rto_min_us;
    return clamp_rto(tcb->srtt_us + v, p);
  }
  /* RFC 6298 2.2/2.3: RTO = SRTT + max(G, K*RTTVAR); 2.4: at least rto_min */
  uint64_t v = var4 > RTO_G_US ? var4 : RTO_G_US;
  return clamp_rto(tcb->srtt_us + v, p);
}

/* RFC 6298 2.2 (first measurement) and 2.3 (later ones), beta 1/4,
 * alpha 1/8. */
void sf_rtt_sample(struct sf_tcb *tcb, const sf_profile *p, uint32_t rtt_us) {
  if (rtt_us == 0)
    rtt_us = 1;
  if (!tcb->rtt_valid || rtt_us < tcb->min_rtt_us)
    tcb->min_rtt_us = rtt_us;
  if (!tcb->rtt_valid) {
    tcb->srtt_us = rtt_us;
    tcb->rttvar_us = rtt_us / 2;
    tcb->rtt_valid = true;
  } else {
    uint32_t diff =
        tcb->srtt_us > rtt_us ? tcb->srtt_us - rtt_us : rtt_us - tcb->srtt_us;
    tcb->rttvar_us = (uint32_t)(((uint64_t)tcb->rttvar_us * 3 + diff) / 4);
    tcb->srtt_us = (uint32_t)(((uint64_t)tcb->srtt_us * 7 + rtt_us) / 8);
  }
  tcb->rto_us = compute_rto(tcb, p);
  tcb->backoff = 0; /* RFC 6298 5: only a new measurement undoes backoff */
}

/* RFC 6298 5.5: the timer backs off by doubling, up to the maximum. */
uint32_t sf_rto_backed_off(const struct sf_tcb *tcb, const sf_profile *p) {
  uint64_t rto = tcb->rto_us;
  for (uint32_t i = 0; i < tcb->backoff && rto < p->rto_max_us; i++)
    rto *= 2;
  return rto > p->rto_max_us ? p->rto_max_us : (uint32_t)rto;
}
