/* TCP timers: retransmission, zero-window probe, delayed ACK, keep-alive,
 * TIME-WAIT (and the FIN-WAIT-2 timeout of orphans, on the same slot). */
#include <errno.h>

#include "stack_internal.h"

void sf_tcp_timer_set(struct sf_sock *sk, enum sf_timer t, uint64_t at) {
  sk->tcb.timer[t] = at ? at : 1;
}

void sf_tcp_timer_stop(struct sf_sock *sk, enum sf_timer t) {
  sk->tcb.timer[t] = 0;
}

uint64_t sf_tcp_next_deadline(const struct sf_sock *sk) {
  uint64_t best = SF_TIME_NEVER;
  for (int i = 0; i < SF_T_COUNT; i++)
    if (sk->tcb.timer[i] && sk->tcb.timer[i] < best)
      best = sk->tcb.timer[i];
  return best;
}

/* RFC 6298 5.1: start the timer (with the current backoff) if it is not
 * running. */
void sf_tcp_rexmt_arm(sf_stack *st, struct sf_sock *sk) {
  if (sk->tcb.timer[SF_T_REXMT])
    return;
  sf_tcp_timer_set(sk, SF_T_REXMT,
                   st->now_us + sf_rto_backed_off(&sk->tcb, &st->cfg.profile));
}

/* RFC 9293 3.8.6.3 and RFC 5681 4.2: ACK at once in quick-ACK mode and when
 * more than one full segment is unacknowledged; otherwise delay (SHLD-18)
 * for less than 0.5 s (MUST-40). */
void sf_tcp_schedule_ack(sf_stack *st, struct sf_sock *sk, bool in_order) {
  struct sf_tcb *tcb = &sk->tcb;
  if (!in_order) {
    tcb->ack_now = true;
    return;
  }
  if (tcb->quickacks > 0) {
    tcb->quickacks--;
    tcb->ack_now = true;
    return;
  }
  if (tcb->rcv_nxt - tcb->last_ack_sent > tcb->rcv_mss) { /* SHLD-19 */
    tcb->ack_now = true;
    return;
  }
  if (!tcb->delack_pending) {
    tcb->delack_pending = true;
    sf_tcp_timer_set(sk, SF_T_DELACK, st->now_us + st->cfg.profile.delack_us);
  }
}

static uint32_t flight(const struct sf_tcb *tcb) {
  return tcb->snd_max - tcb->snd_una;
}

/* RFC 9293 3.8.3 (MUST-20/21): R2 is the profile's retransmission count, or
 * TCP_USER_TIMEOUT when the application set one. */
static bool rexmt_gave_up(sf_stack *st, struct sf_sock *sk, uint32_t limit) {
  struct sf_tcb *tcb = &sk->tcb;
  /* Linux: never before the first retransmission */
  if (sk->user_timeout_ms && tcb->retransmits > 1 &&
      st->now_us - tcb->first_rexmt_us >= (uint64_t)sk->user_timeout_ms * 1000)
    return true;
  return tcb->retransmits > limit;
}

static void give_up(sf_stack *st, struct sf_sock *sk) {
  int err = sk->soft_error ? sk->soft_error : ETIMEDOUT;
  sf_tcp_drop(st, sk, err);
}

/* RFC 6298 5.4-5.6 and RFC 5681 3.1: retransmit the earliest segment, back
 * off, shrink the window to one segment. */
static void rexmt_expired(sf_stack *st, struct sf_sock *sk) {
  struct sf_tcb *tcb = &sk->tcb;
  const sf_profile *p = &st->cfg.profile;
  st->stats.tcp_rto_expired++;
  tcb->retransmits++;
  /* RFC 5482: the user timeout counts from when the oldest unacknowledged
   * data was sent, i.e. when this timer was started */
  if (tcb->retransmits == 1)
    tcb->first_rexmt_us = st->now_us - sf_rto_backed_off(tcb, p);
  uint32_t limit = sk->state == SF_TCP_SYN_SENT       ? p->syn_retries
                   : sk->state == SF_TCP_SYN_RECEIVED ? p->synack_retries
                                                      : p->retries2;
  if (rexmt_gave_up(st, sk, limit)) {
    give_up(st, sk);
    return;
  }
  tcb->backoff++;
  tcb->rtt_timing = false; /* Karn: no sample from a retransmission */
  if (sf_tcp_syn_unacked(sk)) {
    /* SYN-SENT, SYN-RECEIVED, or a CLOSE there sent a FIN behind the SYN */
    tcb->syn_rexmitted = true;
    sf_tcp_send_syn(st, sk);
  } else {
    sf_cc_on_rto(tcb, flight(tcb), tcb->mss);
    tcb->nsacked = 0; /* RFC 2018 8: forget SACK state after a timeout */
    tcb->snd_nxt = tcb->snd_una;
    sf_tcp_retransmit(st, sk);
  }
  sf_tcp_rexmt_arm(st, sk);
  if (sk->user_timeout_ms) {
    /* Linux (tcp_clamp_rto_to_user_timeout): expire when the user timeout
     * ends rather than a whole backed-off RTO later */
    uint64_t end = tcb->first_rexmt_us + (uint64_t)sk->user_timeout_ms * 1000;
    if (tcb->timer[SF_T_REXMT] > end)
      sf_tcp_timer_set(sk, SF_T_REXMT, end > st->now_us ? end : st->now_us + 1);
  }
}

/* RFC 9293 3.8.6.1 (SHLD-29/30): probe a zero window, backing off
 * exponentially; the peer's ACKs keep the connection open (MUST-37). */
static void persist_expired(sf_stack *st, struct sf_sock *sk) {
  struct sf_tcb *tcb = &sk->tcb;
  const sf_profile *p = &st->cfg.profile;
  /* Linux (tcp_probe_timer): retries2 probes, then give up */
  if (tcb->persist_unanswered >= p->retries2) {
    give_up(st, sk);
    return;
  }
  st->stats.tcp_persist_probe++;
  sf_tcp_send_probe(st, sk, false);
  if (tcb->snd_nxt != tcb->snd_una)
    return; /* data went out: the retransmission timer takes over */
  tcb->persist_unanswered++;
  tcb->persist_backoff++;
  uint64_t iv = (uint64_t)sf_rto_backed_off(tcb, p);
  for (uint32_t i = 0; i < tcb->persist_backoff && iv < p->persist_max_us; i++)
    iv *= 2;
  if (iv < p->persist_min_us)
    iv = p->persist_min_us;
  if (iv > p->persist_max_us)
    iv = p->persist_max_us;
  sf_tcp_timer_set(sk, SF_T_PERSIST, st->now_us + iv);
}

static uint64_t keep_idle_us(const sf_stack *st, const struct sf_sock *sk) {
  uint32_t s = sk->keepidle_s ? sk->keepidle_s : st->cfg.profile.keepidle_s;
  return (uint64_t)s * 1000000;
}

static uint64_t keep_intvl_us(const sf_stack *st, const struct sf_sock *sk) {
  uint32_t s = sk->keepintvl_s ? sk->keepintvl_s : st->cfg.profile.keepintvl_s;
  return (uint64_t)s * 1000000;
}

/* RFC 9293 3.8.4: probe only an idle connection with nothing outstanding
 * (MUST-26); one unanswered probe is not death (MUST-29). */
static void keep_expired(sf_stack *st, struct sf_sock *sk) {
  struct sf_tcb *tcb = &sk->tcb;
  uint32_t cnt = sk->keepcnt ? sk->keepcnt : st->cfg.profile.keepcnt;
  if (!(sk->flags & SF_SOCK_KEEPALIVE))
    return;
  uint64_t idle = st->now_us - tcb->last_rcv_us;
  if (flight(tcb) || sk->snd.len || idle < keep_idle_us(st, sk)) {
    uint64_t due = tcb->last_rcv_us + keep_idle_us(st, sk);
    sf_tcp_timer_set(sk, SF_T_KEEP,
                     due > st->now_us ? due
                                      : st->now_us + keep_intvl_us(st, sk));
    return;
  }
  if (tcb->keep_probes >= cnt) {
    sf_tcp_send_rst_conn(st, sk); /* Linux (tcp_keepalive_timer) */
    give_up(st, sk);
    return;
  }
  tcb->keep_probes++;
  st->stats.tcp_keepalive_probe++;
  sf_tcp_send_probe(st, sk, true);
  sf_tcp_timer_set(sk, SF_T_KEEP, st->now_us + keep_intvl_us(st, sk));
}

void sf_tcp_keep_arm(sf_stack *st, struct sf_sock *sk) {
  if (!(sk->flags & SF_SOCK_KEEPALIVE)) {
    sf_tcp_timer_stop(sk, SF_T_KEEP);
    return;
  }
  sf_tcp_timer_set(sk, SF_T_KEEP, sk->tcb.last_rcv_us + keep_idle_us(st, sk));
}

void sf_tcp_timers_fire(sf_stack *st, struct sf_sock *sk) {
  uint64_t now = st->now_us;
  struct sf_tcb *tcb = &sk->tcb;
  if (tcb->timer[SF_T_2MSL] && tcb->timer[SF_T_2MSL] <= now) {
    sf_tcp_timer_stop(sk, SF_T_2MSL);
    sf_tcp_set_state(st, sk, SF_TCP_CLOSED);
    return;
  }
  if (tcb->timer[SF_T_DELACK] && tcb->timer[SF_T_DELACK] <= now) {
    sf_tcp_timer_stop(sk, SF_T_DELACK);
    if (tcb->delack_pending) {
      st->stats.tcp_delayed_ack++;
      sf_tcp_send_ack(st, sk);
    }
  }
  if (tcb->timer[SF_T_REXMT] && tcb->timer[SF_T_REXMT] <= now) {
    sf_tcp_timer_stop(sk, SF_T_REXMT);
    rexmt_expired(st, sk);
    if (!sk->used || sk->state == SF_TCP_CLOSED)
      return;
  }
  if (tcb->timer[SF_T_PERSIST] && tcb->timer[SF_T_PERSIST] <= now) {
    sf_tcp_timer_stop(sk, SF_T_PERSIST);
    persist_expired(st, sk);
    if (!sk->used || sk->state == SF_TCP_CLOSED)
      return;
  }
  if (tcb->timer[SF_T_KEEP] && tcb->timer[SF_T_KEEP] <= now) {
    sf_tcp_timer_stop(sk, SF_T_KEEP);
    keep_expired(st, sk);
  }
}
