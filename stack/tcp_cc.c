/* Congestion control arithmetic (RFC 5681, with RFC 6582 NewReno exit). */
#include "tcp.h"

/* RFC 5681 3.1 (equation 1), or a profile's fixed count (RFC 6928). */
uint32_t sf_cc_initial_window(const sf_profile *p, uint32_t smss) {
  if (p->init_cwnd_segs)
    return p->init_cwnd_segs * smss;
  if (smss > 2190)
    return 2 * smss;
  if (smss > 1095)
    return 3 * smss;
  return 4 * smss;
}

/* RFC 5681 3.1: slow start grows by at most SMSS per ACK (equation 2);
 * congestion avoidance by one SMSS per window of data ACKed (3.1, with byte
 * counting as RFC 3465 describes). ss_max_segs 0: Linux (tcp_slow_start)
 * grows by every segment the ACK covers, up to ssthresh. */
void sf_cc_on_ack(struct sf_tcb *tcb, uint32_t acked, uint32_t smss,
                  uint32_t ss_max_segs) {
  if (tcb->in_recovery || acked == 0)
    return;
  if (tcb->cwnd < tcb->ssthresh && ss_max_segs == 0) {
    uint64_t grown = tcb->cwnd + (uint64_t)(acked + smss - 1) / smss * smss;
    if (grown <= tcb->ssthresh) {
      tcb->cwnd = (uint32_t)grown;
      return;
    }
    acked = (uint32_t)(grown - tcb->ssthresh); /* the rest: avoidance */
    tcb->cwnd = tcb->ssthresh;
  } else if (tcb->cwnd < tcb->ssthresh) {
    uint32_t most = ss_max_segs * smss;
    tcb->cwnd += acked < most ? acked : most;
    return;
  }
  tcb->bytes_acked += acked;
  if (tcb->bytes_acked >= tcb->cwnd) {
    tcb->bytes_acked -= tcb->cwnd;
    tcb->cwnd += smss;
  }
}

/* RFC 5681 3.1 (equation 4): half the flight, at least two segments. */
static uint32_t half_flight(uint32_t flight, uint32_t smss) {
  uint32_t h = flight / 2;
  return h > 2 * smss ? h : 2 * smss;
}

/* RFC 5681 3.1: after a timeout the window is one segment (loss window). */
void sf_cc_on_rto(struct sf_tcb *tcb, uint32_t flight, uint32_t smss) {
  tcb->ssthresh = half_flight(flight, smss);
  tcb->cwnd = smss;
  tcb->bytes_acked = 0;
  tcb->in_recovery = false;
  tcb->dupacks = 0;
}

/* RFC 5681 3.2 steps 2 and 3: ssthresh from the flight, cwnd inflated by the
 * three segments that left the network. */
void sf_cc_enter_recovery(struct sf_tcb *tcb, uint32_t flight, uint32_t smss) {
  tcb->ssthresh = half_flight(flight, smss);
  tcb->cwnd = tcb->ssthresh + 3 * smss;
  tcb->recover = tcb->snd_max;
  tcb->in_recovery = true;
  tcb->bytes_acked = 0;
}

/* RFC 5681 3.2 step 6 / RFC 6582 3.2 step 3: deflate to ssthresh. */
void sf_cc_exit_recovery(struct sf_tcb *tcb) {
  tcb->cwnd = tcb->ssthresh;
  tcb->in_recovery = false;
  tcb->dupacks = 0;
}
