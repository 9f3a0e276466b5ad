/* TCP input: RFC 9293 3.10.7 "SEGMENT ARRIVES", with RFC 5961 (blind
 * attacks), RFC 7323 (timestamps, PAWS), RFC 2018 (SACK) and RFC 5681
 * (duplicate ACKs, fast retransmit and recovery). */
#include <errno.h>

#include "bugs.h"
#include "stack_internal.h"
#include "synfin/bytes.h"

static uint32_t min32(uint32_t a, uint32_t b) {
  return a < b ? a : b;
}

/* Sequence space the segment occupies (RFC 9293 3.4: SYN and FIN count). */
static uint32_t seg_space(const struct sf_tcp_seg *seg) {
  return seg->len + !!(seg->flags & TH_SYN) + !!(seg->flags & TH_FIN);
}

/* RFC 9293 3.1: header checks; returns false when the segment is dropped. */
static bool parse_segment(sf_stack *st, const struct sf_ip_meta *ip,
                          const uint8_t *p, size_t len,
                          struct sf_tcp_seg *seg) {
  if (len < SF_TCP_HLEN) {
    st->stats.tcp_drop_short++;
    sf_drop(st, "tcp: shorter than a header");
    return false;
  }
  uint32_t doff = (uint32_t)(p[12] >> 4) * 4;
  if (doff < SF_TCP_HLEN || doff > len) {
    st->stats.tcp_drop_hlen++;
    sf_drop(st, "tcp: bad data offset");
    return false;
  }
  /* MUST-3: verify the checksum, pseudo header included */
  uint32_t sum = sf_csum_pseudo(ip->src, ip->dst, IPPROTO_TCP, (uint32_t)len);
  if (sf_csum_fold(sf_csum_partial(sum, p, len)) != 0) {
    st->stats.tcp_drop_csum++;
    sf_drop(st, "tcp: bad checksum");
    return false;
  }
  memset(seg, 0, sizeof(*seg));
  seg->sport = sf_get16(p);
  seg->dport = sf_get16(p + 2);
  seg->seq = sf_get32(p + 4);
  seg->ack = sf_get32(p + 8);
  seg->doff = (uint8_t)doff;
  seg->flags = p[13];
  seg->wnd = sf_get16(p + 14);
  seg->urp = sf_get16(p + 18);
  seg->data = p + doff;
  seg->len = (uint32_t)(len - doff);
  if (sf_tcp_parse_options(p + SF_TCP_HLEN, doff - SF_TCP_HLEN, seg) < 0) {
    seg->opt_malformed = true;
    st->stats.tcp_bad_opt++;
  }
  return true;
}

/* RFC 9293 3.7.1 (MUST-15, MUST-16): effective send MSS from the peer's
 * option (or the default) and our MTU, less the options every segment
 * carries. */
static void set_send_mss(sf_stack *st, struct sf_sock *sk) {
  struct sf_tcb *tcb = &sk->tcb;
  uint32_t mss = min32(tcb->peer_mss, st->cfg.mtu - 40);
  if (sk->user_mss && sk->user_mss < mss)
    mss = sk->user_mss;
  if (tcb->ts_ok)                  /* RFC 7323: NOP,NOP,TS in every segment */
    mss = mss > 12 ? mss - 12 : 0; /* a tiny MSS option must not wrap */
  mss = mss > sk->route.len ? mss - sk->route.len : 0; /* IP options too */
  if (mss < 64)
    mss = 64; /* keep progress possible with absurd MSS options */
  tcb->mss = (uint16_t)mss;
  tcb->cwnd = sf_cc_initial_window(&st->cfg.profile, mss);
}

/* RFC 9293 3.9.2.1 (MUST-53, SHLD-24): a completed source route received
 * on a connection becomes its return route, unless the application gave
 * one (MUST-52). IPv4 input let only completed routes through. */
static void take_source_route(struct sf_sock *sk, const struct sf_ip_meta *ip) {
  struct sf_ip_route r;
  if (!sk->route.app && sf_ip_route_received(&r, ip->hdr, ip->hlen, ip->src))
    sf_tcp_set_route(sk, &r);
}

/* RFC 7323 1.3/2.2, RFC 2018 2: options of a SYN we answer or that answers
 * ours; only what both sides offered is used. */
static void take_syn_options(sf_stack *st, struct sf_sock *sk,
                             const struct sf_tcp_seg *seg) {
  struct sf_tcb *tcb = &sk->tcb;
  tcb->peer_mss = seg->has_mss && seg->mss
                      ? seg->mss
                      : (uint16_t)st->cfg.profile.mss_default;
  tcb->ws_ok = seg->has_ws && tcb->ws_offered;
  if (tcb->ws_ok) {
    /* RFC 7323 2.3: a shift above 14 is taken as 14 */
    tcb->snd_wscale = seg->ws > SF_MAX_WSCALE ? SF_MAX_WSCALE : seg->ws;
#ifdef SF_BUG_WSCALE_GT_14
    /* planted (stack/bugs.h): an active open takes the shift as it is */
    if (sk->state == SF_TCP_SYN_SENT && seg->ws > SF_MAX_WSCALE) {
      SF_BUG_REACHED(WSCALE_GT_14);
      tcb->snd_wscale = seg->ws;
    }
#endif
  } else {
    tcb->snd_wscale = 0;
    tcb->rcv_wscale = 0;
  }
  tcb->sack_ok = seg->has_sackok && tcb->sack_offered;
  tcb->ts_ok = seg->has_ts && tcb->ts_offered;
  if (tcb->ts_ok) {
    tcb->ts_recent = seg->ts_val;
    tcb->ts_recent_age_ms = (uint32_t)(st->now_us / 1000);
  }
  set_send_mss(st, sk);
}

/* RFC 7323 4.3: TS.Recent follows the segment that covers Last.ACK.sent. */
static void update_ts_recent(sf_stack *st, struct sf_sock *sk,
                             const struct sf_tcp_seg *seg) {
  struct sf_tcb *tcb = &sk->tcb;
  if (!tcb->ts_ok || !seg->has_ts)
    return;
  if (SEQ_GEQ(seg->ts_val, tcb->ts_recent) &&
      SEQ_LEQ(seg->seq, tcb->last_ack_sent)) {
    tcb->ts_recent = seg->ts_val;
    tcb->ts_recent_age_ms = (uint32_t)(st->now_us / 1000);
  }
}

/* Linux rate-limits ACKs sent to out-of-window and challenged segments
 * (sysctl tcp_invalid_ratelimit); the rfc profile does not. */
static bool oow_ack_allowed(sf_stack *st, struct sf_sock *sk) {
  struct sf_tcb *tcb = &sk->tcb;
  uint32_t limit = st->cfg.profile.oow_ack_ratelimit_us;
  if (limit && tcb->oow_acked && st->now_us - tcb->last_oow_ack_us < limit)
    return false;
  tcb->oow_acked = true;
  tcb->last_oow_ack_us = st->now_us;
  return true;
}

/* RFC 5961 3.2, 4.2, 5.2: the challenge ACK <SEQ=SND.NXT><ACK=RCV.NXT>. */
static void challenge_ack(sf_stack *st, struct sf_sock *sk) {
  if (!oow_ack_allowed(st, sk))
    return;
  st->stats.tcp_challenge_ack++;
  sf_tcp_send_ack(st, sk);
}

static void lock_in_window(struct sf_sock *sk, const struct sf_tcp_seg *seg) {
  struct sf_tcb *tcb = &sk->tcb;
  uint32_t shift = tcb->ws_ok && !(seg->flags & TH_SYN) ? tcb->snd_wscale : 0;
#ifdef SF_BUG_WSCALE_GT_14
  if (shift > SF_MAX_WSCALE)
    SF_BUG_TRIGGERED(WSCALE_GT_14); /* a window past 2^30, or undefined */
#endif
  tcb->snd_wnd = (uint32_t)seg->wnd << shift;
  tcb->snd_wl1 = seg->seq;
  tcb->snd_wl2 = seg->ack;
  if (tcb->snd_wnd > tcb->max_snd_wnd)
    tcb->max_snd_wnd = tcb->snd_wnd;
}

/* RFC 9293 3.10.7.2: a SYN on a listener makes a child in SYN-RECEIVED. */
static void listen_input(sf_stack *st, struct sf_sock *lsk,
                         const struct sf_ip_meta *ip,
                         const struct sf_tcp_seg *seg, const uint32_t *isn) {
  if (seg->flags & TH_RST)
    return; /* first: an incoming RST is ignored */
  if (seg->flags & TH_ACK) {
    sf_tcp_send_rst_reply(st, ip, seg); /* second: <SEQ=SEG.ACK><CTL=RST> */
    return;
  }
  if (!(seg->flags & TH_SYN)) {
    sf_drop(st, "tcp: listener got neither SYN, ACK nor RST");
    return;
  }
  /* Linux drops a SYN while the accept queue is over the backlog */
  if (lsk->q_ready > lsk->backlog || lsk->q_syn > lsk->backlog + 1) {
    st->stats.tcp_drop_backlog++;
    sf_drop(st, "tcp: listen backlog full");
    return;
  }
  struct sf_sock *sk = sf_sock_alloc(st);
  if (!sk) {
    st->stats.tcp_drop_backlog++;
    sf_drop(st, "tcp: no free socket for a new connection");
    return;
  }
  sk->laddr = ip->dst;
  sk->raddr = ip->src;
  sk->lport = seg->dport;
  sk->rport = seg->sport;
  sk->parent = (int32_t)(lsk - st->socks);
  sk->flags =
      (lsk->flags & (SF_SOCK_NODELAY | SF_SOCK_KEEPALIVE | SF_SOCK_LINGER |
                     SF_SOCK_REUSEADDR | SF_SOCK_RCVBUF_LOCK)) |
      SF_SOCK_PASSIVE | SF_SOCK_BOUND;
  sk->rcvbuf = lsk->rcvbuf;
  sk->sndbuf = lsk->sndbuf;
  sk->linger_s = lsk->linger_s;
  sk->user_mss = lsk->user_mss;
  sk->user_timeout_ms = lsk->user_timeout_ms;
  sk->keepidle_s = lsk->keepidle_s;
  sk->keepintvl_s = lsk->keepintvl_s;
  sk->keepcnt = lsk->keepcnt;
  sk->tos = lsk->tos;
  sk->route = lsk->route; /* MUST-52: the application's route first */
  take_source_route(sk, ip);
  lsk->q_syn++;
  sf_tcp_init_tcb(st, sk);
  struct sf_tcb *tcb = &sk->tcb;
  tcb->irs = seg->seq;
  tcb->rcv_nxt = seg->seq + 1; /* data in a SYN is not taken (as Linux) */
  tcb->rcv_adv = tcb->rcv_nxt;
  sf_tcp_set_iss(sk, isn ? *isn : sf_tcp_new_isn(st, sk));
  take_syn_options(st, sk, seg);
  lock_in_window(sk, seg);
  sf_tcp_finish_syn_window(st, sk, true);
  tcb->last_rcv_us = st->now_us;
  sk->state = SF_TCP_CLOSED;
  sf_tcp_set_state(st, sk, SF_TCP_SYN_RECEIVED);
  sf_tcp_send_syn(st, sk);
  sf_tcp_rexmt_arm(st, sk);
}

/* RFC 9293 3.10.7.3: SYN-SENT. */
static void syn_sent_input(sf_stack *st, struct sf_sock *sk,
                           const struct sf_ip_meta *ip,
                           const struct sf_tcp_seg *seg) {
  struct sf_tcb *tcb = &sk->tcb;
  bool ack = seg->flags & TH_ACK;
  if (ack && (SEQ_LEQ(seg->ack, tcb->iss) || SEQ_GT(seg->ack, tcb->snd_max))) {
    /* first: an ACK of something we never sent */
    if (!(seg->flags & TH_RST))
      sf_tcp_send_rst_reply(st, ip, seg);
    return;
  }
  if (seg->flags & TH_RST) {
    /* second (RFC 5961 3.2): only a RST that acknowledges our SYN counts */
    if (ack)
      sf_tcp_drop(st, sk, ECONNREFUSED);
    return;
  }
  if (!(seg->flags & TH_SYN))
    return; /* fifth: neither SYN nor RST */
  tcb->irs = seg->seq;
  tcb->rcv_nxt = seg->seq + 1;
  uint8_t our_wscale = tcb->rcv_wscale;
  take_syn_options(st, sk, seg);
  if (!ack && st->cfg.profile.simopen_syn_options && tcb->ws_offered &&
      !tcb->ws_ok) {
    /* Linux (simultaneous open): our window keeps the scale our SYN
     * offered; the peer's is not scaled (RFC 7323 2.2 says neither is) */
    tcb->ws_ok = true;
    tcb->rcv_wscale = our_wscale;
    tcb->snd_wscale = 0;
  }
  lock_in_window(sk, seg);
  tcb->rcv_adv = tcb->rcv_nxt + tcb->syn_wnd;
  /* Linux: the initial window beyond the SYN's 65535 counts as offered */
  if (st->cfg.profile.rcv_wnd_policy == SF_RCV_WND_LINUX)
    tcb->rcv_adv = tcb->rcv_nxt + tcb->rcv_wnd_init;
  tcb->last_ack_sent = tcb->rcv_nxt;
  tcb->last_rcv_us = st->now_us;
  if (!ack) {
    /* MUST-10: simultaneous open, answer with SYN-ACK */
    sf_tcp_set_state(st, sk, SF_TCP_SYN_RECEIVED);
    sf_tcp_timer_stop(sk, SF_T_REXMT);
    tcb->syn_rexmitted = false;
    sf_tcp_send_syn(st, sk);
    sf_tcp_rexmt_arm(st, sk);
    return;
  }
  tcb->snd_una = seg->ack;
  sk->soft_error = 0; /* the SYN got through: earlier soft errors are moot */
  if (tcb->rtt_timing && SEQ_GT(seg->ack, tcb->rtt_seq)) {
    sf_rtt_sample(tcb, &st->cfg.profile,
                  (uint32_t)(st->now_us - tcb->rtt_start_us));
    tcb->rtt_timing = false;
  }
  if (tcb->syn_rexmitted && !tcb->rtt_valid)
    tcb->rto_us = 3000000; /* RFC 6298 5.7 */
  tcb->backoff = 0;
  tcb->retransmits = 0;
  tcb->first_rexmt_us = 0;
  sf_tcp_timer_stop(sk, SF_T_REXMT);
  sf_tcp_set_state(st, sk, SF_TCP_ESTABLISHED);
  sf_tcp_keep_arm(st, sk);
  tcb->ack_now = true;
  if (st->cfg.profile.syn_data_accept && (seg->len || (seg->flags & TH_FIN)))
    sf_tcp_established_data(st, sk, seg);
}

/* RFC 9293 3.10.7.4 first: the four acceptability cases, on RCV.WND as
 * last advertised. */
static bool acceptable(const struct sf_tcb *tcb, const struct sf_tcp_seg *seg) {
  uint32_t wnd =
      SEQ_GT(tcb->rcv_adv, tcb->rcv_nxt) ? tcb->rcv_adv - tcb->rcv_nxt : 0;
  uint32_t len = seg_space(seg);
#ifdef SF_BUG_SEQ_WRAP_COMPARE
  {
    /* planted (stack/bugs.h): the window test in plain comparisons */
    SF_BUG_REACHED(SEQ_WRAP_COMPARE);
    bool plain = seg->seq >= tcb->rcv_nxt && seg->seq < tcb->rcv_nxt + wnd;
    bool modular =
        SEQ_GEQ(seg->seq, tcb->rcv_nxt) && SEQ_LT(seg->seq, tcb->rcv_nxt + wnd);
    if (plain != modular)
      SF_BUG_TRIGGERED(SEQ_WRAP_COMPARE);
  }
#endif
  if (len == 0 && wnd == 0)
    return seg->seq == tcb->rcv_nxt;
  if (len == 0)
    return SEQ_GEQ(seg->seq, tcb->rcv_nxt) &&
           SEQ_LT(seg->seq, tcb->rcv_nxt + wnd);
  if (wnd == 0) /* MUST-66: a RST at RCV.NXT counts even if it has data */
    return (seg->flags & TH_RST) && seg->seq == tcb->rcv_nxt;
  uint32_t last = seg->seq + len - 1;
  return (SEQ_GEQ(seg->seq, tcb->rcv_nxt) &&
          SEQ_LT(seg->seq, tcb->rcv_nxt + wnd)) ||
         (SEQ_GEQ(last, tcb->rcv_nxt) && SEQ_LT(last, tcb->rcv_nxt + wnd));
}

/* RFC 9293 3.10.7.4 first: with RCV.WND zero no segment that occupies
 * sequence space is acceptable, "but special allowance should be made to
 * accept valid ACKs, URGs, and RSTs" (MUST-66). One at RCV.NXT goes on for
 * its control fields; its text is dropped. */
static bool zero_window_at_rcv_nxt(const struct sf_tcb *tcb,
                                   const struct sf_tcp_seg *seg) {
  return !SEQ_GT(tcb->rcv_adv, tcb->rcv_nxt) && seg->seq == tcb->rcv_nxt &&
         seg_space(seg) > 0;
}

/* RFC 7323 5.3: PAWS. A non-RST segment whose TSval is older than
 * TS.Recent (and TS.Recent is not stale, 5.5) is a duplicate. */
static bool paws_reject(sf_stack *st, struct sf_sock *sk,
                        const struct sf_tcp_seg *seg) {
  struct sf_tcb *tcb = &sk->tcb;
  if (!tcb->ts_ok || (seg->flags & TH_RST))
    return false;
  if (!seg->has_ts)
    return st->cfg.profile.ts_required != 0; /* RFC 7323 3.2 */
  uint32_t age_ms = (uint32_t)(st->now_us / 1000) - tcb->ts_recent_age_ms;
  if (age_ms > 24u * 24 * 3600 * 1000)
    return false; /* RFC 7323 5.5: 24 days idle invalidates TS.Recent */
  return SEQ_LT(seg->ts_val, tcb->ts_recent);
}

/* RFC 9293 3.10.7.4 second, with RFC 5961 3.2: only an exact RST resets;
 * any other in-window RST draws a challenge ACK. */
static void rst_input(sf_stack *st, struct sf_sock *sk,
                      const struct sf_tcp_seg *seg) {
  if (seg->seq != sk->tcb.rcv_nxt) {
    challenge_ack(st, sk);
    return;
  }
  switch (sk->state) {
  case SF_TCP_SYN_RECEIVED:
    /* MUST-11: a passive open just ends; an active one is refused (Linux:
     * reset) */
    sf_tcp_drop(st, sk,
                (sk->flags & SF_SOCK_PASSIVE)         ? 0
                : st->cfg.profile.synrcvd_rst_refused ? ECONNREFUSED
                                                      : ECONNRESET);
    return;
  case SF_TCP_ESTABLISHED:
  case SF_TCP_FIN_WAIT_1:
  case SF_TCP_FIN_WAIT_2:
  case SF_TCP_CLOSE_WAIT:
    sf_tcp_drop(st, sk, ECONNRESET); /* MUST-12: the user learns of it */
    return;
  default:
    sf_tcp_drop(st, sk, 0); /* CLOSING, LAST-ACK, TIME-WAIT */
    return;
  }
}

/* RFC 2018 / RFC 6675: remember the peer's SACK blocks above SND.UNA; blocks
 * outside [SND.UNA, SND.MAX] are ignored. */
static void take_sack(struct sf_tcb *tcb, const struct sf_tcp_seg *seg) {
  for (uint8_t i = 0; i < tcb->nsacked;) {
    if (SEQ_LEQ(tcb->sacked[i].end, tcb->snd_una))
      tcb->sacked[i] = tcb->sacked[--tcb->nsacked];
    else
      i++;
  }
  if (!tcb->sack_ok)
    return;
  for (uint8_t b = 0; b < seg->nsack; b++) {
    struct sf_seq_range r = seg->sack[b];
#ifdef SF_BUG_SACK_PAST_SND_NXT
    /* planted (stack/bugs.h): blocks after the first are not checked
     * against SND.NXT */
    if (b > 0) {
      SF_BUG_REACHED(SACK_PAST_SND_NXT);
      if (SEQ_LT(r.start, r.end) && SEQ_GT(r.start, tcb->snd_una) &&
          SEQ_GT(r.end, tcb->snd_max))
        SF_BUG_TRIGGERED(SACK_PAST_SND_NXT); /* unsent data SACKed */
    }
#endif
    if (!SEQ_LT(r.start, r.end) || SEQ_LEQ(r.start, tcb->snd_una) ||
        SEQ_GT(r.end, tcb->snd_max))
      continue;
    bool merged = false;
    for (uint8_t i = 0; i < tcb->nsacked; i++) {
      struct sf_seq_range *h = &tcb->sacked[i];
      if (SEQ_LEQ(r.start, h->end) && SEQ_GEQ(r.end, h->start)) {
        if (SEQ_LT(r.start, h->start))
          h->start = r.start;
        if (SEQ_GT(r.end, h->end))
          h->end = r.end;
        merged = true;
        break;
      }
    }
    if (merged)
      continue;
    if (tcb->nsacked < SF_MAX_SACK_BLOCKS)
      tcb->sacked[tcb->nsacked++] = r;
    else
      tcb->sacked[SF_MAX_SACK_BLOCKS - 1] = r; /* newest information wins */
  }
}

static void rtt_on_ack(sf_stack *st, struct sf_sock *sk,
                       const struct sf_tcp_seg *seg) {
  struct sf_tcb *tcb = &sk->tcb;
  const sf_profile *p = &st->cfg.profile;
  if (tcb->rtt_timing && SEQ_GT(seg->ack, tcb->rtt_seq)) {
    sf_rtt_sample(tcb, p, (uint32_t)(st->now_us - tcb->rtt_start_us));
    tcb->rtt_timing = false;
  } else if (tcb->ts_ok && seg->has_ts && seg->ts_ecr &&
             (tcb->backoff || (tcb->tlp_out && tcb->tlp_retrans))) {
    /* RFC 7323 4.2: the echoed timestamp times even retransmissions (an
     * RTO's or a loss probe's) */
    uint32_t ticks = sf_tcp_ts_now(st, sk) - seg->ts_ecr;
#ifdef SF_BUG_TS_ECR_RTT
    /* planted (stack/bugs.h): a TSecr from the future is not refused */
    SF_BUG_REACHED(TS_ECR_RTT);
    if (ticks >= 0x7fffffffu)
      SF_BUG_TRIGGERED(TS_ECR_RTT); /* a "negative" RTT sample */
#endif
    uint64_t us = (uint64_t)ticks * 1000000u / p->ts_hz;
    if (ticks < 0x7fffffffu && us < 0xffffffffu)
      sf_rtt_sample(tcb, p, (uint32_t)us);
  }
}

/* New data acknowledged: RFC 9293 3.10.7.4 fifth (ESTABLISHED), RFC 6298
 * 5.2/5.3, RFC 5681 and RFC 6582 (NewReno partial ACKs). */
static void new_ack(sf_stack *st, struct sf_sock *sk,
                    const struct sf_tcp_seg *seg) {
  struct sf_tcb *tcb = &sk->tcb;
  uint32_t acked = seg->ack - tcb->snd_una;
  uint32_t data = min32(acked, sk->snd.len);
  rtt_on_ack(st, sk, seg);
  sf_ring_consume(&sk->snd, data);
  tcb->snd_una = seg->ack;
  sk->soft_error =
      0; /* new data got through (Linux: tcp_ack clears sk_err_soft) */
  if (SEQ_LT(tcb->snd_nxt, tcb->snd_una))
    tcb->snd_nxt = tcb->snd_una;
  if (tcb->snd_urg && SEQ_GEQ(tcb->snd_una, tcb->snd_up))
    tcb->snd_urg = false;
  tcb->retransmits = 0;
  tcb->first_rexmt_us = 0;
  tcb->persist_backoff = 0;
  if (tcb->in_recovery) {
    if (SEQ_GEQ(seg->ack, tcb->recover)) {
      sf_cc_exit_recovery(tcb);
    } else {
      /* RFC 6582 3.2 step 5: partial ACK: resend the next hole, deflate */
      tcb->cwnd = tcb->cwnd > acked ? tcb->cwnd - acked : tcb->mss;
      if (acked >= tcb->mss)
        tcb->cwnd += tcb->mss;
      sf_tcp_retransmit(st, sk);
    }
  } else {
    sf_cc_on_ack(tcb, acked, tcb->mss, st->cfg.profile.ss_max_segs);
  }
  tcb->dupacks = 0;
  sf_tcp_tlp_ack(st, sk, seg->ack);
  /* RFC 6298 5.2/5.3: stop when all is acknowledged, else restart (or
   * probe the tail first, RFC 8985 7.2) */
  sf_tcp_timer_stop(sk, SF_T_REXMT);
  sf_tcp_timer_stop(sk, SF_T_TLP);
  if (tcb->snd_una != tcb->snd_max)
    sf_tcp_xmit_timer(st, sk, true);
}

/* RFC 5681 2 (definition of a duplicate ACK) and 3.2. */
static void dup_ack(sf_stack *st, struct sf_sock *sk,
                    const struct sf_tcp_seg *seg, bool wnd_changed) {
  struct sf_tcb *tcb = &sk->tcb;
  /* answers to zero-window probes are no sign of loss */
  if (tcb->snd_una == tcb->snd_max || seg->len ||
      (seg->flags & (TH_SYN | TH_FIN)) || wnd_changed || tcb->snd_wnd == 0) {
    return;
  }
  tcb->dupacks++;
  if (tcb->in_recovery) {
    tcb->cwnd += tcb->mss; /* step 4: inflate for each segment that left */
    return;
  }
  if (tcb->dupacks == 3) {
    /* RFC 6582 3.2 step 1: no new recovery until the last one is over */
    if (SEQ_LEQ(tcb->snd_una, tcb->recover))
      return;
    st->stats.tcp_fast_retransmit++;
    sf_cc_enter_recovery(tcb, tcb->snd_max - tcb->snd_una, tcb->mss);
    tcb->rtt_timing = false;
    sf_tcp_retransmit(st, sk);
    sf_tcp_timer_stop(sk, SF_T_REXMT);
    sf_tcp_timer_stop(sk, SF_T_TLP);
    sf_tcp_rexmt_arm(st, sk);
  }
}

/* RFC 9293 3.10.7.4 fifth: the ACK field. Returns false when the segment is
 * finished with (dropped or the connection is gone). */
static bool ack_input(sf_stack *st, struct sf_sock *sk,
                      const struct sf_ip_meta *ip,
                      const struct sf_tcp_seg *seg) {
  struct sf_tcb *tcb = &sk->tcb;
  if (!(seg->flags & TH_ACK))
    return false;
  if (sk->state == SF_TCP_SYN_RECEIVED) {
    if (!(SEQ_GT(seg->ack, tcb->snd_una) && SEQ_LEQ(seg->ack, tcb->snd_max))) {
      sf_tcp_send_rst_reply(st, ip, seg);
      return false;
    }
    struct sf_sock *lsk = sk->parent >= 0 ? &st->socks[sk->parent] : NULL;
    if (lsk && lsk->q_ready > lsk->backlog) {
      /* Linux: the final ACK is dropped while the accept queue is full */
      st->stats.tcp_drop_backlog++;
      sf_drop(st, "tcp: accept queue full");
      return false;
    }
    if (tcb->rtt_timing) {
      sf_rtt_sample(tcb, &st->cfg.profile,
                    (uint32_t)(st->now_us - tcb->rtt_start_us));
      tcb->rtt_timing = false;
    }
    if (tcb->syn_rexmitted && !tcb->rtt_valid)
      tcb->rto_us = 3000000; /* RFC 6298 5.7 */
    tcb->snd_una = seg->ack;
    sk->soft_error = 0;
    tcb->backoff = 0;
    tcb->retransmits = 0;
    tcb->first_rexmt_us = 0;
    sf_tcp_timer_stop(sk, SF_T_REXMT);
    lock_in_window(sk, seg);
    tcb->last_rcv_us = st->now_us; /* keep-alive idles from this ACK */
    sf_tcp_set_state(st, sk, SF_TCP_ESTABLISHED);
    sf_tcp_keep_arm(st, sk);
  }
  /* RFC 5961 5.2 (MAY-12): acceptable ACKs lie in
   * [SND.UNA - MAX.SND.WND, SND.NXT] */
  uint32_t floor = tcb->snd_una - tcb->max_snd_wnd;
  if (SEQ_GT(seg->ack, tcb->snd_max)) {
    /* RFC 9293 3.10.7.4: ACK of unsent data: ACK and drop */
    if (oow_ack_allowed(st, sk))
      sf_tcp_send_ack(st, sk);
    return false;
  }
  if (SEQ_LT(seg->ack, floor)) {
    challenge_ack(st, sk);
    return false;
  }
  tcb->persist_unanswered = 0;
  /* RFC 9293 3.8.4: the peer answered; keep-alive idles from now */
  tcb->last_rcv_us = st->now_us;
  tcb->keep_probes = 0;
  take_sack(tcb, seg);
  uint32_t old_wnd = tcb->snd_wnd;
  bool same_ack = seg->ack == tcb->snd_una;
  if (SEQ_GT(seg->ack, tcb->snd_una))
    new_ack(st, sk, seg);
  /* window update: only from newer segments (SND.WL1/WL2) */
  bool wnd_changed = false;
  if (SEQ_LT(tcb->snd_wl1, seg->seq) ||
      (tcb->snd_wl1 == seg->seq && SEQ_LEQ(tcb->snd_wl2, seg->ack))) {
    lock_in_window(sk, seg);
    wnd_changed = tcb->snd_wnd != old_wnd;
  }
  if (same_ack)
    dup_ack(st, sk, seg, wnd_changed);
  if (tcb->snd_wnd && tcb->timer[SF_T_PERSIST]) {
    sf_tcp_timer_stop(sk, SF_T_PERSIST); /* the window opened */
    tcb->persist_backoff = 0;
  }
  bool fin_acked = tcb->fin_sent && SEQ_GT(tcb->snd_una, tcb->fin_seq);
  switch (sk->state) {
  case SF_TCP_FIN_WAIT_1:
    if (fin_acked) {
      sf_tcp_set_state(st, sk, SF_TCP_FIN_WAIT_2);
      uint32_t to = st->cfg.profile.fin_wait2_timeout_us;
      if ((sk->flags & SF_SOCK_ORPHAN) && to)
        sf_tcp_timer_set(sk, SF_T_2MSL, st->now_us + to);
    }
    break;
  case SF_TCP_CLOSING:
    if (fin_acked)
      sf_tcp_set_state(st, sk, SF_TCP_TIME_WAIT);
    break;
  case SF_TCP_LAST_ACK:
    if (fin_acked) {
      sf_tcp_set_state(st, sk, SF_TCP_CLOSED);
      return false;
    }
    break;
  default:
    break;
  }
  return true;
}

/* Insert [start, end) into the sorted out-of-order list, merging. Returns
 * false when the list is full (the data is then dropped). */
static bool ooo_insert(sf_stack *st, struct sf_sock *sk, uint32_t start,
                       uint32_t end) {
  struct sf_tcb *tcb = &sk->tcb;
  uint8_t i = 0;
  while (i < tcb->nooo && SEQ_LT(tcb->ooo[i].end, start))
    i++;
  if (i < tcb->nooo && SEQ_LEQ(tcb->ooo[i].start, end)) {
    if (SEQ_LT(start, tcb->ooo[i].start))
      tcb->ooo[i].start = start;
    if (SEQ_GT(end, tcb->ooo[i].end))
      tcb->ooo[i].end = end;
    while (i + 1 < tcb->nooo &&
           SEQ_GEQ(tcb->ooo[i].end, tcb->ooo[i + 1].start)) {
      if (SEQ_GT(tcb->ooo[i + 1].end, tcb->ooo[i].end))
        tcb->ooo[i].end = tcb->ooo[i + 1].end;
      memmove(&tcb->ooo[i + 1], &tcb->ooo[i + 2],
              (size_t)(tcb->nooo - i - 2) * sizeof(tcb->ooo[0]));
      tcb->nooo--;
    }
    return true;
  }
  if (tcb->nooo >= st->cfg.max_ooo)
    return false;
  memmove(&tcb->ooo[i + 1], &tcb->ooo[i],
          (size_t)(tcb->nooo - i) * sizeof(tcb->ooo[0]));
  tcb->ooo[i].start = start;
  tcb->ooo[i].end = end;
  tcb->nooo++;
  return true;
}

/* Moves out-of-order data that RCV.NXT reached into the in-order queue. */
static bool ooo_absorb(struct sf_sock *sk) {
  struct sf_tcb *tcb = &sk->tcb;
  bool filled = false;
  while (tcb->nooo && SEQ_LEQ(tcb->ooo[0].start, tcb->rcv_nxt)) {
    uint32_t end = tcb->ooo[0].end;
    if (tcb->ooo_fin && SEQ_GT(end, tcb->ooo_fin_seq))
      end = tcb->ooo_fin_seq; /* nothing after the FIN is data */
    if (SEQ_GT(end, tcb->rcv_nxt)) {
      uint32_t n = end - tcb->rcv_nxt;
      sk->rcv.len += n;
      tcb->rcv_nxt += n;
    }
    memmove(&tcb->ooo[0], &tcb->ooo[1],
            (size_t)(tcb->nooo - 1) * sizeof(tcb->ooo[0]));
    tcb->nooo--;
    filled = true;
  }
  if (filled && tcb->nooo == 0) {
    sf_tcp_rq_charge(tcb, tcb->rcv_nxt, 0, tcb->ooo_mem, 0); /* moves too */
    tcb->ooo_mem = 0;
  }
  return filled;
}

/* RFC 9293 3.10.7.4 eighth: the FIN, once everything before it arrived. */
static void fin_input(sf_stack *st, struct sf_sock *sk) {
  struct sf_tcb *tcb = &sk->tcb;
  tcb->fin_rcvd = true;
  tcb->ooo_fin = false;
  /* Linux (tcp_fin): what is held out of order after the FIN is dropped */
  tcb->nooo = 0;
  tcb->ooo_mem = 0;
  tcb->rcv_nxt++;
  tcb->ack_now = true;
  switch (sk->state) {
  case SF_TCP_SYN_RECEIVED:
  case SF_TCP_ESTABLISHED:
    sf_tcp_set_state(st, sk, SF_TCP_CLOSE_WAIT);
    break;
  case SF_TCP_FIN_WAIT_1:
    if (tcb->fin_sent && SEQ_GT(tcb->snd_una, tcb->fin_seq))
      sf_tcp_set_state(st, sk, SF_TCP_TIME_WAIT);
    else
      sf_tcp_set_state(st, sk, SF_TCP_CLOSING);
    break;
  case SF_TCP_FIN_WAIT_2:
    sf_tcp_timer_stop(sk, SF_T_2MSL);
    sf_tcp_set_state(st, sk, SF_TCP_TIME_WAIT);
    break;
  default:
    break;
  }
}

/* RFC 9293 3.10.7.4 seventh: segment text, trimmed to the window; in-order
 * data is queued, later data held (SHLD-31) and answered by an immediate
 * duplicate ACK (RFC 5681 4.2); filling a gap is ACKed at once. */
void sf_tcp_established_data(sf_stack *st, struct sf_sock *sk,
                             const struct sf_tcp_seg *seg) {
  struct sf_tcb *tcb = &sk->tcb;
  uint32_t seq = seg->seq + !!(seg->flags & TH_SYN);
  const uint8_t *data = seg->data;
  uint32_t len = seg->len;
  bool fin = seg->flags & TH_FIN;
  if (SEQ_LT(seq, tcb->rcv_nxt)) {
    uint32_t skip = tcb->rcv_nxt - seq;
    if (skip > len) {
      skip = len; /* a FIN already received is counted below */
      if (fin && seq + len != tcb->rcv_nxt)
        fin = false;
    }
    seq += skip;
    data += skip;
    len -= skip;
  }
  const sf_profile *p = &st->cfg.profile;
  /* RFC 9293 3.8.6.2.2 (SHLD-14): the window offered is a promise; data
   * inside it is taken even if SO_RCVBUF shrank since */
  uint32_t cap = sk->rcv.cap;
  uint32_t room = cap > sk->rcv.len ? cap - sk->rcv.len : 0;
  uint32_t wnd =
      SEQ_GT(tcb->rcv_adv, tcb->rcv_nxt) ? tcb->rcv_adv - tcb->rcv_nxt : 0;
  if (wnd < room)
    room = wnd;
  uint32_t off = seq - tcb->rcv_nxt;
  if (off >= room) {
    len = 0;
  } else if (len > room - off) {
    len = room - off; /* beyond the window: trimmed, and the FIN with it */
    fin = false;
  }
  bool linux_learn =
      p->ack_policy == SF_ACK_LINUX || p->rcv_wnd_policy == SF_RCV_WND_LINUX;
  if (len) {
    /* RFC 1122 4.2.3.2: the peer's full segment size, for the ACK rule
     * (Linux measures it on in-order data: sf_tcp_rcv_learn) */
    if (seg->len > tcb->rcv_mss && !linux_learn)
      tcb->rcv_mss = (uint16_t)min32(seg->len, tcb->adv_mss);
    tcb->last_rcv_us = st->now_us;
  }
  if (off == 0 && (len || fin)) {
    sf_ring_store(&sk->rcv, sk->rcv.len, data, len);
    sk->rcv.len += len;
    tcb->rcv_nxt += len;
    if (len) {
      /* the whole datagram's buffer is charged, whatever was trimmed */
      uint32_t tail;
      uint32_t mem =
          sf_tcp_truesize(st, 20 + seg->doff + seg->len, seg->len, &tail);
      sf_tcp_rq_charge(tcb, tcb->rcv_nxt, len, mem, tail);
      if (linux_learn)
        sf_tcp_rcv_learn(st, sk, seg->len, mem);
    }
    /* a FIN here ends the stream: data held beyond it is not absorbed */
    bool filled = !fin && tcb->nooo && ooo_absorb(sk);
    if (fin || (tcb->ooo_fin && tcb->rcv_nxt == tcb->ooo_fin_seq))
      fin_input(st, sk);
    sf_tcp_schedule_ack(st, sk, !filled);
    return;
  }
  if (len == 0 && !fin) {
    if (seg->len || (seg->flags & TH_FIN))
      tcb->ack_now = true; /* all of it was old or beyond the window */
    return;
  }
  /* out of order */
  if (len) {
    if (!ooo_insert(st, sk, seq, seq + len)) {
      st->stats.tcp_drop_ooo_full++;
      sf_drop(st, "tcp: out-of-order queue full");
      tcb->ack_now = true;
      return;
    }
    sf_ring_store(&sk->rcv, sk->rcv.len + off, data, len);
    tcb->ooo_mem +=
        sf_tcp_truesize(st, 20 + seg->doff + seg->len, seg->len, NULL);
    sf_tcp_sack_note(tcb, seq);
  }
  if (fin) {
    tcb->ooo_fin = true;
    tcb->ooo_fin_seq = seq + len;
  }
  st->stats.tcp_dupack_out++;
  tcb->ack_now = true;
}

static bool receives_data(int state) {
  return state == SF_TCP_ESTABLISHED || state == SF_TCP_FIN_WAIT_1 ||
         state == SF_TCP_FIN_WAIT_2;
}

/* RFC 9293 3.10.7.4 sixth (MUST-30/31/32): urgent data of any length. */
static void urg_input(struct sf_sock *sk, const struct sf_tcp_seg *seg) {
  struct sf_tcb *tcb = &sk->tcb;
  if (!(seg->flags & TH_URG) || !receives_data(sk->state) || seg->urp == 0)
    return;
  uint32_t up = seg->seq + seg->urp;
#ifdef SF_BUG_URG_PTR_OVERFLOW
  {
    /* planted (stack/bugs.h): the urgent byte located in the receive ring
     * without a bound check */
    SF_BUG_REACHED(URG_PTR_OVERFLOW);
    uint32_t first = tcb->rcv_nxt - sk->rcv.len;
    if (up - 1 - first >= sk->rcv.cap)
      SF_BUG_TRIGGERED(URG_PTR_OVERFLOW);
  }
#endif
  /* RFC 9293 3.10.7.4: signalled while RCV.UP is ahead of what was read */
  if (SEQ_LEQ(up, sf_rcv_first(sk)))
    return;
  if (!tcb->urg_pending || SEQ_GT(up, tcb->rcv_up)) {
    tcb->rcv_up = up;
    tcb->urg_pending = true;
    tcb->urg_read = false;
  }
}

/* RFC 9293 3.6.1 (MAY-2): a SYN in TIME-WAIT above the old sequence space
 * (or with a newer timestamp) starts a new incarnation through the
 * listener. */
static struct sf_sock *time_wait_reopen(sf_stack *st, struct sf_sock *sk,
                                        const struct sf_ip_meta *ip,
                                        const struct sf_tcp_seg *seg,
                                        uint32_t *isn) {
  struct sf_tcb *tcb = &sk->tcb;
  if ((seg->flags & (TH_SYN | TH_ACK | TH_RST)) != TH_SYN)
    return NULL;
  bool newer = SEQ_GT(seg->seq, tcb->rcv_nxt);
  if (tcb->ts_ok && seg->has_ts)
    newer = SEQ_GT(seg->ts_val, tcb->ts_recent);
  if (!newer)
    return NULL;
  sk->state = SF_TCP_CLOSED; /* hidden from the lookup for a moment */
  struct sf_sock *lsk =
      sf_tcp_lookup(st, ip->dst, seg->dport, ip->src, seg->sport);
  sk->state = SF_TCP_TIME_WAIT;
  /* MUST-13: with no listener to take the SYN, TIME-WAIT lingers on */
  if (!lsk || lsk->state != SF_TCP_LISTEN)
    return NULL;
  /* MAY-2 (1): the new ISN lies above the old sequence space (Linux:
   * SND.NXT + 65535 + 2) */
  *isn = tcb->snd_nxt + 65535 + 2;
  sf_tcp_set_state(st, sk, SF_TCP_CLOSED);
  return lsk;
}

/* Linux (tcp_rcv_state_process): data for a side the application shut is
 * answered with a reset, as RFC 9293 SHLD-3 asks after CLOSE. */
static bool data_after_close(sf_stack *st, struct sf_sock *sk,
                             const struct sf_ip_meta *ip,
                             const struct sf_tcp_seg *seg) {
  if (!(sk->flags & (SF_SOCK_SHUT_RD | SF_SOCK_ORPHAN)) || seg->len == 0)
    return false;
  if (sk->state != SF_TCP_FIN_WAIT_1 && sk->state != SF_TCP_FIN_WAIT_2)
    return false;
  if (!SEQ_GT(seg->seq + seg->len, sk->tcb.rcv_nxt))
    return false;
  sf_tcp_send_rst_reply(st, ip, seg);
  sf_tcp_drop(st, sk, ECONNRESET);
  return true;
}

static void synchronized_input(sf_stack *st, struct sf_sock *sk,
                               const struct sf_ip_meta *ip,
                               const struct sf_tcp_seg *seg) {
  struct sf_tcb *tcb = &sk->tcb;
  /* Linux: a retransmitted SYN in SYN-RECEIVED gets the SYN-ACK again */
  if (sk->state == SF_TCP_SYN_RECEIVED &&
      (seg->flags & (TH_SYN | TH_ACK | TH_RST)) == TH_SYN &&
      seg->seq == tcb->irs) {
    sf_tcp_send_syn(st, sk);
    return;
  }
  /* RFC 9293 3.5 figure 8 (MUST-10): in a simultaneous open the peer's
   * SYN-ACK, one below RCV.NXT, completes the handshake; Linux
   * (tcp_validate_incoming) accepts it and ACKs the duplicate SYN */
  if (sk->state == SF_TCP_SYN_RECEIVED && !(sk->flags & SF_SOCK_PASSIVE) &&
      (seg->flags & (TH_SYN | TH_ACK | TH_RST | TH_FIN)) == (TH_SYN | TH_ACK) &&
      seg->len == 0 && seg->seq + 1 == tcb->rcv_nxt &&
      seg->ack == tcb->snd_nxt && !paws_reject(st, sk, seg)) {
    update_ts_recent(st, sk, seg); /* RFC 7323 4.3: SEG.SEQ <= Last.ACK.sent */
    if (ack_input(st, sk, ip, seg))
      tcb->ack_now = true;
    return;
  }
  if (sk->state == SF_TCP_TIME_WAIT && (seg->flags & TH_FIN) &&
      !(seg->flags & TH_RST) && seg->seq + seg_space(seg) == tcb->rcv_nxt) {
    /* RFC 9293 3.10.7.4: in TIME-WAIT only the remote FIN can come again:
     * ACK it and restart the 2 MSL timeout */
    sf_tcp_send_ack(st, sk);
    sf_tcp_timer_set(sk, SF_T_2MSL, st->now_us + st->cfg.profile.time_wait_us);
    return;
  }
  /* RFC 7323 3.2: a non-RST segment without TSopt is silently dropped */
  if (tcb->ts_ok && !seg->has_ts && !(seg->flags & TH_RST) &&
      st->cfg.profile.ts_required) {
    st->stats.tcp_drop_paws++;
    sf_drop(st, "tcp: no timestamp option");
    return;
  }
  /* first: sequence number, PAWS */
  bool paws = paws_reject(st, sk, seg);
  bool zero_wnd =
      !paws && receives_data(sk->state) && zero_window_at_rcv_nxt(tcb, seg);
  /* Linux (tcp_sequence): beyond a zero window with data queued, a segment
   * carrying data is dropped before its ACK, URG or RST is looked at */
  bool zw_drop = st->cfg.profile.zero_wnd_drop_data && sk->rcv.len &&
                 seg->len && !SEQ_GT(tcb->rcv_adv, tcb->rcv_nxt);
  if (zw_drop)
    zero_wnd = false;
  if (paws || zw_drop || (!zero_wnd && !acceptable(tcb, seg))) {
    if (paws)
      st->stats.tcp_drop_paws++;
    st->stats.tcp_drop_unacceptable++;
    sf_drop(st, "tcp: unacceptable segment");
    if (seg->flags & TH_RST)
      return;
    if (seg->flags & TH_SYN) {
      challenge_ack(st, sk); /* RFC 5961 4.2 */
      return;
    }
    /* Linux does not rate-limit this ACK for segments carrying data */
    if (seg->len || oow_ack_allowed(st, sk))
      sf_tcp_send_ack(st, sk);
    return;
  }
  /* second: RST */
  if (seg->flags & TH_RST) {
    rst_input(st, sk, seg);
    return;
  }
  /* fourth: SYN in a synchronized state (RFC 5961 4.2) */
  if (seg->flags & TH_SYN) {
    challenge_ack(st, sk);
    return;
  }
  update_ts_recent(st, sk, seg);
  take_source_route(sk, ip);
  if (sk->state == SF_TCP_TIME_WAIT)
    return;
#ifdef SF_BUG_FIN_IN_SYN_RECEIVED
  /* planted (stack/bugs.h): a FIN without ACK taken in SYN-RECEIVED */
  if (sk->state == SF_TCP_SYN_RECEIVED && (seg->flags & TH_FIN) &&
      !(seg->flags & TH_ACK)) {
    SF_BUG_REACHED(FIN_IN_SYN_RECEIVED);
    if (seg->seq + seg->len == tcb->rcv_nxt || seg->seq == tcb->rcv_nxt)
      SF_BUG_TRIGGERED(FIN_IN_SYN_RECEIVED); /* CLOSE-WAIT, SYN unacked */
  }
#endif
  /* fifth: ACK */
  if (!ack_input(st, sk, ip, seg))
    return;
  if (data_after_close(st, sk, ip, seg))
    return;
  /* sixth: URG */
  urg_input(sk, seg);
  if (zero_wnd) {
    st->stats.tcp_drop_unacceptable++;
    sf_drop(st, "tcp: text or FIN beyond a zero window");
    tcb->ack_now = true;
    return;
  }
  /* seventh and eighth: text and FIN */
  if (receives_data(sk->state)) {
    sf_tcp_established_data(st, sk, seg);
  } else if (seg->len || (seg->flags & TH_FIN)) {
    /* CLOSE-WAIT, CLOSING, LAST-ACK: the peer's FIN came already */
    if (seg->flags & TH_FIN)
      tcb->ack_now = true;
  }
}

void sf_tcp_input(sf_stack *st, const struct sf_ip_meta *ip, const uint8_t *p,
                  size_t len) {
  struct sf_tcp_seg seg;
  st->stats.tcp_in++;
  if (!parse_segment(st, ip, p, len, &seg))
    return;
  struct sf_sock *sk =
      sf_tcp_lookup(st, ip->dst, seg.dport, ip->src, seg.sport);
  uint32_t tw_isn = 0;
  bool tw_reopen = false;
  if (sk && sk->state == SF_TCP_TIME_WAIT) {
    struct sf_sock *lsk = time_wait_reopen(st, sk, ip, &seg, &tw_isn);
    if (lsk) {
      sk = lsk;
      tw_reopen = true;
    } else if (sk->state != SF_TCP_TIME_WAIT) {
      sk = NULL;
    }
  }
  if (!sk) {
    /* RFC 9293 3.10.7.1: CLOSED: answer anything but a RST with a RST */
    st->stats.tcp_drop_no_socket++;
    sf_drop(st, "tcp: no connection");
    sf_tcp_send_rst_reply(st, ip, &seg);
    return;
  }
  switch (sk->state) {
  case SF_TCP_LISTEN:
    listen_input(st, sk, ip, &seg, tw_reopen ? &tw_isn : NULL);
    return;
  case SF_TCP_SYN_SENT:
    syn_sent_input(st, sk, ip, &seg);
    break;
  default:
    synchronized_input(st, sk, ip, &seg);
    break;
  }
  if (sk->used && sk->state != SF_TCP_CLOSED)
    sf_tcp_output(st, sk);
}

/* RFC 9293 3.9.2.2 (MUST-54): ICMP errors reach the connection named by the
 * quoted header; RFC 5927 4.1: only if the quoted sequence number is in
 * flight. Soft errors never abort (MUST-56); hard ones abort a connection
 * that is still opening, or any with the rfc profile (SHLD-26). */
void sf_tcp_icmp_error(sf_stack *st, const struct sf_icmp_err *err) {
  struct sf_sock *sk =
      sf_tcp_lookup(st, err->src, err->sport, err->dst, err->dport);
  if (!sk || sk->state == SF_TCP_LISTEN || sk->state == SF_TCP_CLOSED)
    return;
  struct sf_tcb *tcb = &sk->tcb;
  if (SEQ_LT(err->seq, tcb->snd_una) || SEQ_GEQ(err->seq, tcb->snd_max))
    return;
  int e = EHOSTUNREACH;
  if (err->type == 3) {
    static const int codes[] = {ENETUNREACH,  EHOSTUNREACH, ENOPROTOOPT,
                                ECONNREFUSED, EMSGSIZE,     EOPNOTSUPP};
    if (err->code < sizeof(codes) / sizeof(codes[0]))
      e = codes[err->code];
  } else if (err->type == 12) {
    e = EPROTO;
  }
  bool opening =
      sk->state == SF_TCP_SYN_SENT || sk->state == SF_TCP_SYN_RECEIVED;
  /* Linux (tcp_v4_err): while an active open waits, any error but source
   * quench and fragmentation needed aborts it (RFC 1122 4.2.3.9 says soft
   * errors must not) */
  bool active_opening = opening && !(sk->flags & SF_SOCK_PASSIVE);
  bool linux_abort = active_opening && st->cfg.profile.icmp_opening_abort &&
                     err->type != 4 && !(err->type == 3 && err->code == 4);
  if (linux_abort ||
      (err->hard && (opening || st->cfg.profile.icmp_hard_abort))) {
    if (sk->state == SF_TCP_SYN_RECEIVED && (sk->flags & SF_SOCK_PASSIVE))
      e = 0;
    sf_tcp_drop(st, sk, e);
    return;
  }
  sk->soft_error = e;
}
