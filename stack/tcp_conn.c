/* Connection lifetime: state changes, demultiplexing, ISNs, teardown. */
#include <errno.h>

#include "stack_internal.h"

const char *sf_tcp_state_name(int state) {
  static const char *const names[SF_TCP_NSTATES] = {
      "CLOSED",      "LISTEN",     "SYN-SENT",   "SYN-RECEIVED",
      "ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT",
      "CLOSING",     "LAST-ACK",   "TIME-WAIT"};
  if (state < 0 || state >= SF_TCP_NSTATES)
    return "?";
  return names[state];
}

static struct sf_sock *slot_sock(sf_stack *st, int32_t slot) {
  return slot >= 0 ? &st->socks[slot] : NULL;
}

static int32_t slot_of(sf_stack *st, const struct sf_sock *sk) {
  return (int32_t)(sk - st->socks);
}

/* An unaccepted child that reached ESTABLISHED waits in its listener's
 * accept queue until accept() takes it. */
static void queue_append(sf_stack *st, struct sf_sock *lsk,
                         struct sf_sock *child) {
  int32_t slot = slot_of(st, child);
  child->next_q = -1;
  if (lsk->q_tail >= 0)
    st->socks[lsk->q_tail].next_q = slot;
  else
    lsk->q_head = slot;
  lsk->q_tail = slot;
  lsk->q_ready++;
}

static void queue_remove(sf_stack *st, struct sf_sock *lsk,
                         struct sf_sock *child) {
  int32_t slot = slot_of(st, child), prev = -1;
  for (int32_t s = lsk->q_head; s >= 0; prev = s, s = st->socks[s].next_q) {
    if (s != slot)
      continue;
    if (prev >= 0)
      st->socks[prev].next_q = child->next_q;
    else
      lsk->q_head = child->next_q;
    if (lsk->q_tail == slot)
      lsk->q_tail = prev;
    lsk->q_ready--;
    child->next_q = -1;
    return;
  }
}

static bool in_accept_queue(const struct sf_sock *sk) {
  return sk->parent >= 0 && (sk->flags & SF_SOCK_CONNECTED);
}

void sf_tcp_set_state(sf_stack *st, struct sf_sock *sk, int state) {
  int old = sk->state;
  if (old == state)
    return;
  sk->state = (uint8_t)state;
  sf_event ev = {
      .kind = SF_EV_STATE, .fd = sk->fd, .old_state = old, .new_state = state};
  sf_emit_event(st, &ev);
  if (state == SF_TCP_ESTABLISHED && !(sk->flags & SF_SOCK_CONNECTED)) {
    sk->flags |= SF_SOCK_CONNECTED;
    sf_tcp_init_buffer_space(st, sk);
    struct sf_sock *lsk = slot_sock(st, sk->parent);
    if (lsk) {
      lsk->q_syn--;
      queue_append(st, lsk, sk);
    }
  }
  if (state == SF_TCP_TIME_WAIT) {
    /* RFC 9293 3.6.1 (MUST-13): linger 2*MSL; nothing else runs */
    for (int t = 0; t < SF_T_COUNT; t++)
      sf_tcp_timer_stop(sk, (enum sf_timer)t);
    sf_tcp_timer_set(sk, SF_T_2MSL, st->now_us + st->cfg.profile.time_wait_us);
  }
  if (state == SF_TCP_CLOSED)
    sf_tcp_closed(st, sk);
}

void sf_tcp_closed(sf_stack *st, struct sf_sock *sk) {
  for (int t = 0; t < SF_T_COUNT; t++)
    sf_tcp_timer_stop(sk, (enum sf_timer)t);
  sk->state = SF_TCP_CLOSED;
  struct sf_sock *lsk = slot_sock(st, sk->parent);
  if (lsk && !(sk->flags & SF_SOCK_CONNECTED)) {
    /* RFC 9293 3.10.7.3 (MUST-11): a passive SYN-RECEIVED that dies leaves
     * only the listener */
    lsk->q_syn--;
    sk->parent = -1;
  }
  if (sk->fd >= 0 || in_accept_queue(sk))
    return; /* somebody still holds the socket and will see it closed */
  sf_sock_release(st, sk);
}

void sf_tcp_drop(sf_stack *st, struct sf_sock *sk, int err) {
  if (err)
    sk->so_error = err;
  sk->flags |= SF_SOCK_RESET;
  /* RFC 9293 3.10.7: queues are flushed when the connection is reset */
  sf_ring_clear(&sk->snd);
  sf_ring_clear(&sk->rcv);
  sk->tcb.nooo = 0;
  sk->tcb.nsacked = 0;
  sk->tcb.rcv_mem = 0;
  sk->tcb.ooo_mem = 0;
  sk->tcb.rq_n = 0;
  sf_tcp_set_state(st, sk, SF_TCP_CLOSED);
}

/* Detaches a child from its listener when accept() takes it. */
void sf_tcp_unqueue(sf_stack *st, struct sf_sock *child) {
  struct sf_sock *lsk = slot_sock(st, child->parent);
  if (lsk)
    queue_remove(st, lsk, child);
  child->parent = -1;
}

struct sf_sock *sf_tcp_accept_head(sf_stack *st, struct sf_sock *lsk) {
  return slot_sock(st, lsk->q_head);
}

/* RFC 6528 3: ISN = M + F(4-tuple, secret), M a clock of the profile's
 * tick: 4 us in RFC 9293 3.4.1 (MUST-8, SHLD-1), 64 ns in Linux. */
uint32_t sf_tcp_new_isn(sf_stack *st, const struct sf_sock *sk) {
  uint32_t id[3] = {sk->laddr, sk->raddr,
                    (uint32_t)sk->lport << 16 | sk->rport};
  uint32_t f = (uint32_t)sf_keyed_hash(st->isn_key, id, sizeof(id));
  uint32_t tick = st->cfg.profile.isn_tick_ns ? st->cfg.profile.isn_tick_ns : 1;
  return (uint32_t)(st->now_us * 1000 / tick) + f;
}

/* RFC 7323 5.4: a clock between 1 ms and 1 s per tick (the profile's rate),
 * offset per connection so peers cannot correlate connections. */
uint32_t sf_tcp_ts_now(const sf_stack *st, const struct sf_sock *sk) {
  uint64_t ticks = st->now_us * st->cfg.profile.ts_hz / 1000000u;
  return (uint32_t)ticks + sk->tcb.ts_offset;
}

static uint8_t window_shift_for(uint32_t space) {
  uint8_t s = 0;
  while (space > 65535 && s < SF_MAX_WSCALE) {
    space >>= 1;
    s++;
  }
  return s;
}

void sf_tcp_init_tcb(sf_stack *st, struct sf_sock *sk) {
  const sf_profile *p = &st->cfg.profile;
  struct sf_tcb *tcb = &sk->tcb;
  memset(tcb, 0, sizeof(*tcb));
  tcb->snd_wscale = SF_WSCALE_NONE;
  tcb->rcv_wscale = SF_WSCALE_NONE;
  tcb->rto_us = p->rto_initial_us; /* RFC 6298 2.1 */
  tcb->ssthresh = UINT32_MAX;      /* RFC 5681 3.1: arbitrarily high */
  uint32_t mtu_mss = st->cfg.mtu - 40;
  tcb->adv_mss = (uint16_t)(mtu_mss > 65535 ? 65535 : mtu_mss);
  if (sk->user_mss && sk->user_mss < tcb->adv_mss)
    tcb->adv_mss = sk->user_mss;
  tcb->peer_mss = (uint16_t)p->mss_default;
  tcb->mss = (uint16_t)p->mss_default;
  tcb->rcv_mss =
      (uint16_t)(p->mss_default < tcb->adv_mss ? p->mss_default : tcb->adv_mss);
  /* Linux counts its quick ACKs when the first data arrives */
  tcb->quickacks = p->ack_policy == SF_ACK_LINUX ? 0 : p->quickack_segs;
  tcb->ws_offered = p->window_scaling != 0;
  tcb->ts_offered = p->timestamps != 0;
  tcb->sack_offered = p->sack != 0;
  tcb->rcv_ratio = (uint16_t)p->rcv_space_ratio;
  /* RFC 7323 2.3: a shift for the largest window the buffer may grow to;
   * Linux: only to what SO_RCVBUF allows once the application set it */
  uint32_t full = sf_tcp_full_space(sk);
  uint32_t rmax = p->rmem_max > full ? p->rmem_max : full;
  if (sk->flags & SF_SOCK_RCVBUF_LOCK)
    rmax = full;
  tcb->rcv_wscale = tcb->ws_offered ? window_shift_for(rmax) : 0;
  uint32_t id[3] = {sk->laddr ^ 0x7453u, sk->raddr,
                    (uint32_t)sk->lport << 16 | sk->rport};
  tcb->ts_offset = (uint32_t)sf_keyed_hash(st->isn_key, id, sizeof(id));
  tcb->last_rcv_us = st->now_us;
  tcb->syn_wnd = p->init_rcv_wnd;
}

void sf_tcp_set_iss(struct sf_sock *sk, uint32_t iss) {
  struct sf_tcb *tcb = &sk->tcb;
  tcb->iss = iss;
  tcb->snd_una = iss;
  tcb->snd_nxt = iss;
  tcb->snd_max = iss;
  tcb->recover = iss; /* RFC 6582 3.2: recover starts at the ISS */
  tcb->snd_sml = iss;
}

/* Linux (tcp_select_initial_window): the initial window is the buffer's
 * window share in whole segments (of the MSS less the timestamp option when
 * a passive open negotiated it); a SYN or SYN-ACK carries at most 65535 of
 * it (RFC 7323 2.2: its window is never scaled) and the rest is offered
 * with the first ACK. */
void sf_tcp_finish_syn_window(sf_stack *st, struct sf_sock *sk, bool passive) {
  struct sf_tcb *tcb = &sk->tcb;
  uint32_t unit = tcb->adv_mss - (passive && tcb->ts_ok ? 12 : 0);
  uint32_t w = sf_tcp_full_space(sk);
  bool linux_wnd = st->cfg.profile.rcv_wnd_policy == SF_RCV_WND_LINUX;
  if (linux_wnd && unit && w > unit)
    w -= w % unit;
  tcb->rcv_wnd_init = w;
  tcb->rcv_ssthresh = w;
  tcb->window_clamp = sf_tcp_full_space(sk);
  if (w > st->cfg.profile.init_rcv_wnd)
    w = st->cfg.profile.init_rcv_wnd;
  tcb->syn_wnd = w > 65535 ? 65535 : w;
}

struct sf_sock *sf_tcp_lookup(sf_stack *st, uint32_t laddr, uint16_t lport,
                              uint32_t raddr, uint16_t rport) {
  struct sf_sock *listener = NULL;
  for (uint32_t i = 0; i < st->socks_used; i++) {
    struct sf_sock *sk = &st->socks[i];
    if (!sk->used || sk->lport != lport)
      continue;
    if (sk->state == SF_TCP_LISTEN) {
      if (sk->laddr == laddr || (sk->laddr == 0 && !listener))
        listener = sk;
      continue;
    }
    if (sk->state == SF_TCP_CLOSED)
      continue;
    if (sk->laddr == laddr && sk->raddr == raddr && sk->rport == rport)
      return sk;
  }
  return listener;
}

/* Whether binding (laddr, lport) would clash with another socket. */
bool sf_tcp_port_in_use(sf_stack *st, uint32_t laddr, uint16_t lport,
                        const struct sf_sock *except, bool reuse) {
  for (uint32_t i = 0; i < st->socks_used; i++) {
    const struct sf_sock *sk = &st->socks[i];
    if (!sk->used || sk == except || sk->lport != lport)
      continue;
    if (!(sk->flags & SF_SOCK_BOUND) && sk->state == SF_TCP_CLOSED)
      continue;
    if (sk->laddr && laddr && sk->laddr != laddr)
      continue;
    if (reuse && (sk->flags & SF_SOCK_REUSEADDR) && sk->state != SF_TCP_LISTEN)
      continue;
    if (reuse && sk->state == SF_TCP_TIME_WAIT)
      continue;
    return true;
  }
  return false;
}

/* RFC 9293 3.7.1 (MUST-16): IP options take room from the segment, so a
 * connection whose MSS is already known gives up what the new route adds. */
void sf_tcp_set_route(struct sf_sock *sk, const struct sf_ip_route *r) {
  struct sf_tcb *tcb = &sk->tcb;
  if (sk->state >= SF_TCP_SYN_RECEIVED) {
    uint32_t mss = (uint32_t)tcb->mss + sk->route.len;
    mss = mss > r->len ? mss - r->len : 0;
    tcb->mss = (uint16_t)(mss < 64 ? 64 : mss);
  }
  sk->route = *r;
}
