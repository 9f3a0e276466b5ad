/* TCP timers: retransmission, zero-window probe, delayed ACK, keep-alive,
 * TIME-WAIT (and the FIN-WAIT-2 timeout of orphans, on the same slot). */
#include <errno.h>

#include "bugs.h"
#include "stack_internal.h"

uint64_t sf_tcp_earliest_timer(const struct sf_tcb *tcb) {
  uint64_t best = 0;
  for (int i = 0; i < SF_T_COUNT; i++)
    if (tcb->timer[i] && (!best || tcb->timer[i] < best))
      best = tcb->timer[i];
  return best;
}

/* The earliest deadline is kept up to date as timers change, because the
 * stack asks for it on every input and every clock advance. */
static void recompute_deadline(struct sf_tcb *tcb) {
  tcb->deadline = sf_tcp_earliest_timer(tcb);
}

void sf_tcp_timer_set(struct sf_sock *sk, enum sf_timer t, uint64_t at) {
  struct sf_tcb *tcb = &sk->tcb;
  uint64_t old = tcb->timer[t];
  tcb->timer[t] = at ? at : 1;
  if (!tcb->deadline || tcb->timer[t] < tcb->deadline)
    tcb->deadline = tcb->timer[t];
  else if (old == tcb->deadline)
    recompute_deadline(tcb); /* the earliest moved later */
}

void sf_tcp_timer_stop(struct sf_sock *sk, enum sf_timer t) {
  struct sf_tcb *tcb = &sk->tcb;
  uint64_t old = tcb->timer[t];
  tcb->timer[t] = 0;
  if (old && old == tcb->deadline)
    recompute_deadline(tcb);
}

uint64_t sf_tcp_next_deadline(const struct sf_sock *sk) {
  return sk->tcb.deadline ? sk->tcb.deadline : SF_TIME_NEVER;
}

/* RFC 6298 5.1: start the timer (with the current backoff) if it is not
 * running. */
void sf_tcp_rexmt_arm(sf_stack *st, struct sf_sock *sk) {
  if (sk->tcb.timer[SF_T_REXMT])
    return;
  sf_tcp_timer_set(sk, SF_T_REXMT,
                   st->now_us + sf_rto_backed_off(&sk->tcb, &st->cfg.profile));
}

/* RFC 8985 7.2 (Linux: tcp_schedule_loss_probe): a probe needs SACK, data
 * in flight and no loss recovery under way. */
static bool tlp_allowed(const sf_stack *st, const struct sf_sock *sk) {
  const struct sf_tcb *tcb = &sk->tcb;
  return st->cfg.profile.tlp && tcb->sack_ok &&
         sk->state >= SF_TCP_ESTABLISHED && sk->state != SF_TCP_TIME_WAIT &&
         !sf_tcp_syn_unacked(sk) && tcb->snd_max != tcb->snd_una &&
         !tcb->in_recovery && !tcb->rto_loss;
}

void sf_tcp_xmit_timer(sf_stack *st, struct sf_sock *sk, bool advancing) {
  struct sf_tcb *tcb = &sk->tcb;
  const sf_profile *p = &st->cfg.profile;
  if (!tlp_allowed(st, sk)) {
    if (tcb->timer[SF_T_TLP]) {
      /* the RTO the probe timer stood in for */
      sf_tcp_timer_stop(sk, SF_T_TLP);
      sf_tcp_timer_set(sk, SF_T_REXMT,
                       tcb->tlp_rto_due > st->now_us ? tcb->tlp_rto_due
                                                     : st->now_us + 1);
    }
    sf_tcp_rexmt_arm(st, sk);
    return;
  }
  uint64_t rto = sf_rto_backed_off(tcb, p);
  uint64_t rto_due = st->now_us + rto;
  if (!advancing && tcb->timer[SF_T_TLP])
    rto_due = tcb->tlp_rto_due;
  else if (!advancing && tcb->timer[SF_T_REXMT])
    rto_due = tcb->timer[SF_T_REXMT];
  /* RFC 8985 7.2: PTO = 2*SRTT, plus the worst-case delayed ACK with one
   * segment in flight (Linux adds 2 jiffies otherwise); before any RTT
   * sample, the initial RTO; never later than the RTO */
  uint64_t pto = p->rto_initial_us;
  uint32_t flight = tcb->snd_max - tcb->snd_una;
  /* Linux counts packets: a FIN sent after its data is one more */
  bool one_seg = flight <= tcb->mss && !(tcb->fin_sent && flight > 1 &&
                                         tcb->last_seg == tcb->snd_max - 1);
  if (tcb->rtt_valid)
    pto = 2 * (uint64_t)tcb->srtt_us +
          (one_seg ? p->tlp_delack_us : p->tlp_extra_us);
  uint64_t at = st->now_us + pto < rto_due ? st->now_us + pto : rto_due;
  sf_tcp_timer_stop(sk, SF_T_REXMT);
  tcb->tlp_rto_due = rto_due;
  sf_tcp_timer_set(sk, SF_T_TLP, at);
}

void sf_tcp_tlp_ack(sf_stack *st, struct sf_sock *sk, uint32_t ack) {
  struct sf_tcb *tcb = &sk->tcb;
  if (tcb->rto_loss && SEQ_GEQ(ack, tcb->rto_loss_high))
    tcb->rto_loss = false;
  if (!tcb->tlp_out || SEQ_LT(ack, tcb->tlp_high))
    return;
  /* RFC 8985 7.4.2 (Linux: tcp_process_tlp_ack): an ACK beyond the probe
   * of a retransmission shows a loss it repaired: reduce the window */
  if (tcb->tlp_retrans && SEQ_GT(ack, tcb->tlp_high)) {
    uint32_t half = (tcb->snd_max - tcb->snd_una) / 2;
    tcb->ssthresh = half > 2u * tcb->mss ? half : 2u * tcb->mss;
    if (tcb->cwnd > tcb->ssthresh)
      tcb->cwnd = tcb->ssthresh;
  }
  (void)st;
  tcb->tlp_out = false;
}

/* RFC 8985 7.3: the probe timer expired. */
static void tlp_expired(sf_stack *st, struct sf_sock *sk) {
  struct sf_tcb *tcb = &sk->tcb;
  uint64_t due = tcb->tlp_rto_due;
  /* one probe an episode (Linux: tlp_high_seq); then the RTO */
  if (!tcb->tlp_out && tlp_allowed(st, sk)) {
    uint32_t nxt_before = tcb->snd_nxt;
    bool new_data = tcb->snd_nxt == tcb->snd_max;
    if (sf_tcp_send_loss_probe(st, sk)) {
      tcb->tlp_out = true;
      tcb->tlp_retrans = !new_data || tcb->snd_nxt == nxt_before;
      tcb->tlp_high = tcb->snd_nxt;
      st->stats.tcp_loss_probe++;
      due = st->now_us + sf_rto_backed_off(tcb, &st->cfg.profile);
    }
  }
  sf_tcp_timer_stop(sk, SF_T_TLP);
  sf_tcp_timer_set(sk, SF_T_REXMT, due > st->now_us ? due : st->now_us + 1);
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
    /* Linux (__tcp_ack_snd_check): only if the application read
     * everything or the window would not move left (RFC 1122 4.2.3.2
     * says SHOULD) */
    uint32_t last = tcb->rcv_adv - tcb->last_ack_sent;
    if (st->cfg.profile.ack_policy != SF_ACK_LINUX || sk->rcv.len == 0 ||
        sf_tcp_select_window(st, sk) >= last) {
      tcb->ack_now = true;
      return;
    }
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
  const sf_profile *p = &st->cfg.profile;
  if (sk->state == SF_TCP_SYN_SENT && p->syn_linear_timeouts) {
    /* Linux (tcp_write_timeout, tcp_model_timeout): a SYN is given up once
     * as long has passed as syn_retries doublings of the initial RTO take,
     * however many (linear) retransmissions that was */
    uint64_t base = p->rto_initial_us, t = 0, rto = base;
    for (uint32_t i = 0; i <= p->syn_retries; i++) {
      t += rto;
      rto = rto * 2 < p->rto_max_us ? rto * 2 : p->rto_max_us;
    }
    return st->now_us - tcb->first_rexmt_us >= t;
  }
  /* Linux: never before the first retransmission */
  if (sk->user_timeout_ms && tcb->retransmits > 1 &&
      st->now_us - tcb->ut_start_us >= (uint64_t)sk->user_timeout_ms * 1000)
    return true;
  return tcb->retransmits > limit;
}

/* Linux (tcp_retransmit_timer, tcp_rtx_probe0_timed_out): while the peer
 * has shrunk its window to zero the retransmissions are window probes:
 * not counted against R2 (RFC 9293 MUST-37: the connection stays open while
 * the peer answers), given up only after 2 * RTO.max without a word. */
static bool shrunk_window(const struct sf_sock *sk) {
  return sk->tcb.snd_wnd == 0 && !(sk->flags & SF_SOCK_ORPHAN) &&
         !sf_tcp_syn_unacked(sk);
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
   * data was sent, i.e. when this timer was started (Linux: from this first
   * retransmission, retrans_stamp) */
  if (tcb->retransmits == 1) {
    tcb->first_rexmt_us = st->now_us - sf_rto_backed_off(tcb, p);
    tcb->ut_start_us = p->user_timeout_from_rexmit && !sf_tcp_syn_unacked(sk)
                           ? st->now_us
                           : tcb->first_rexmt_us;
  }
  uint32_t limit = sk->state == SF_TCP_SYN_SENT       ? p->syn_retries
                   : sk->state == SF_TCP_SYN_RECEIVED ? p->synack_retries
                                                      : p->retries2;
  bool gave_up = shrunk_window(sk)
                     ? st->now_us - tcb->last_rcv_us > 2ull * p->rto_max_us
                     : rexmt_gave_up(st, sk, limit);
  if (gave_up) {
    give_up(st, sk);
    return;
  }
  /* Linux 6.5+ (tcp_retransmit_timer): the first syn_linear_timeouts SYN
   * retransmissions keep the initial RTO; RFC 6298 5.5 doubles each time */
  if (sk->state != SF_TCP_SYN_SENT || tcb->retransmits > p->syn_linear_timeouts)
    tcb->backoff++;
  tcb->rtt_timing = false; /* Karn: no sample from a retransmission */
  sf_tcp_timer_stop(sk, SF_T_TLP);
  tcb->tlp_out = false;
  if (!sf_tcp_syn_unacked(sk)) {
    tcb->rto_loss = true; /* Linux: no probes until this is recovered */
    tcb->rto_loss_high = tcb->snd_max;
  }
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
    uint64_t end = tcb->ut_start_us + (uint64_t)sk->user_timeout_ms * 1000;
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
#ifdef SF_BUG_ZERO_WINDOW_PROBE
  {
    /* planted (stack/bugs.h): the backoff as a 32-bit shift */
    SF_BUG_REACHED(ZERO_WINDOW_PROBE);
    uint32_t b = tcb->persist_backoff;
    if (b >= 32 || (((uint32_t)iv << b) >> b) != (uint32_t)iv)
      SF_BUG_TRIGGERED(ZERO_WINDOW_PROBE); /* the interval wraps */
  }
#endif
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
  /* idle since the last segment received, but never a deadline already
   * past (Linux: keepalive_time_elapsed) */
  uint64_t at = sk->tcb.last_rcv_us + keep_idle_us(st, sk);
  sf_tcp_timer_set(sk, SF_T_KEEP, at > st->now_us ? at : st->now_us);
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
  if (tcb->timer[SF_T_TLP] && tcb->timer[SF_T_TLP] <= now)
    tlp_expired(st, sk);
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
