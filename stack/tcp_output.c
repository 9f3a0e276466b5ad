/* TCP output: building segments, deciding what may be sent (windows, Nagle,
 * SWS avoidance), retransmissions, probes and resets. */
#include <errno.h>

#include "stack_internal.h"
#include "synfin/bytes.h"

static uint32_t min32(uint32_t a, uint32_t b) {
  return a < b ? a : b;
}

static bool synchronized(int state) {
  return state >= SF_TCP_ESTABLISHED;
}

uint32_t sf_tcp_truesize(const sf_stack *st, uint32_t iplen, uint32_t len,
                         uint32_t *room) {
  if (room)
    *room = 0;
  if (st->cfg.profile.rcv_truesize != SF_TRUESIZE_LINUX_TUN)
    return len;
  /* Linux: __alloc_skb(NET_SKB_PAD + datagram) for a TUN device */
  uint32_t head = ((64 + iplen + 63) & ~63u) + 320;
  if (head <= 576)
    head = 576; /* skb_small_head_cache */
  else
    for (uint32_t b = 1024;; b <<= 1)
      if (head <= b || b >= (1u << 30)) {
        head = b; /* kmalloc_size_roundup */
        break;
      }
  uint32_t used = 64 + iplen + 320;
  if (room)
    *room = head > used ? head - used : 0;
  return head + 256;
}

void sf_tcp_rq_charge(struct sf_tcb *tcb, uint32_t end, uint32_t len,
                      uint32_t mem, uint32_t room) {
  uint8_t last =
      (uint8_t)((tcb->rq_head + tcb->rq_n + SF_RQ_SEGS - 1) % SF_RQ_SEGS);
  if (tcb->rq_n && tcb->rq[last].end == end - len && len &&
      len <= tcb->rq[last].room) {
    tcb->rq[last].end = end;
    tcb->rq[last].room -= len;
    return;
  }
  tcb->rcv_mem += mem;
  if (tcb->rq_n == SF_RQ_SEGS) {
    tcb->rq[last].end = end;
    tcb->rq[last].mem += mem;
    tcb->rq[last].room = room;
    return;
  }
  uint8_t i = (uint8_t)((tcb->rq_head + tcb->rq_n) % SF_RQ_SEGS);
  tcb->rq[i].end = end;
  tcb->rq[i].mem = mem;
  tcb->rq[i].room = room;
  tcb->rq_n++;
}

void sf_tcp_rq_release(struct sf_tcb *tcb, uint32_t read) {
  while (tcb->rq_n && SEQ_LEQ(tcb->rq[tcb->rq_head].end, read)) {
    uint32_t m = tcb->rq[tcb->rq_head].mem;
    tcb->rcv_mem = tcb->rcv_mem > m ? tcb->rcv_mem - m : 0;
    tcb->rq_head = (uint8_t)((tcb->rq_head + 1) % SF_RQ_SEGS);
    tcb->rq_n--;
  }
}

static uint32_t win_from_space(const struct sf_tcb *tcb, uint32_t space) {
  return (uint32_t)((uint64_t)space * tcb->rcv_ratio / 256);
}

uint32_t sf_tcp_full_space(const struct sf_sock *sk) {
  return min32(win_from_space(&sk->tcb, sk->rcvbuf), sk->rcv.cap);
}

/* The window share of the buffer memory not yet charged for queued data,
 * and no more than the ring has room for. Without a segment truesize the
 * bytes queued in order are the charge (out-of-order data is not). */
uint32_t sf_tcp_free_space(const sf_stack *st, const struct sf_sock *sk) {
  const struct sf_tcb *tcb = &sk->tcb;
  uint32_t mem =
      st->cfg.profile.rcv_truesize ? tcb->rcv_mem + tcb->ooo_mem : sk->rcv.len;
  uint32_t left = sk->rcvbuf > mem ? sk->rcvbuf - mem : 0;
  uint32_t ring = sk->rcv.cap > sk->rcv.len ? sk->rcv.cap - sk->rcv.len : 0;
  return min32(win_from_space(tcb, left), ring);
}

static uint32_t align_up(uint32_t v, uint32_t shift) {
  uint64_t a = ((uint64_t)v + (1u << shift) - 1) >> shift << shift;
  return a > UINT32_MAX ? UINT32_MAX : (uint32_t)a;
}

/* The receive window as the bytes of the last ACK: RCV.WND then. */
static uint32_t last_window(const struct sf_tcb *tcb) {
  return SEQ_GT(tcb->rcv_adv, tcb->last_ack_sent)
             ? tcb->rcv_adv - tcb->last_ack_sent
             : 0;
}

/* Linux (__tcp_select_window): the free space, but at most rcv_ssthresh;
 * zero when less than 1/16 of the buffer or one segment is free once the
 * buffer is half full (receiver SWS avoidance, RFC 9293 3.8.6.2.2); aligned
 * up to the window scale, or without scaling kept while within a segment
 * of the free space. *low tells that the buffer is half full. */
static uint32_t linux_window(const sf_stack *st, const struct sf_sock *sk,
                             bool *low) {
  const struct sf_tcb *tcb = &sk->tcb;
  uint32_t shift = tcb->ws_ok ? tcb->rcv_wscale : 0;
  uint32_t allowed = sf_tcp_full_space(sk);
  uint32_t full = min32(tcb->window_clamp, allowed);
  uint32_t free = sf_tcp_free_space(st, sk);
  uint32_t mss = min32(tcb->rcv_mss, full);
  *low = false;
  if (mss == 0)
    return 0;
  if (free < full / 2) {
    *low = true;
    free = free >> shift << shift;
    if (free < allowed / 16 || free < mss)
      return 0;
  }
  free = min32(free, tcb->rcv_ssthresh);
  if (shift)
    return align_up(free, shift);
  uint32_t wnd = last_window(tcb);
  if (wnd + mss <= free || wnd > free)
    wnd = free - free % mss;
  else if (mss == full && free > wnd + full / 2)
    wnd = free;
  return wnd;
}

uint32_t sf_tcp_select_window(const sf_stack *st, const struct sf_sock *sk) {
  bool low;
  if (st->cfg.profile.rcv_wnd_policy == SF_RCV_WND_LINUX)
    return linux_window(st, sk, &low);
  return sf_tcp_rcv_window(st, sk);
}

/* RFC 9293 3.8.6.2.2 (MUST-39): move the right edge only by at least
 * min(RCV.BUFF/2, MSS); never shrink it (SHLD-14). */
uint32_t sf_tcp_rcv_window(const sf_stack *st, const struct sf_sock *sk) {
  const struct sf_tcb *tcb = &sk->tcb;
  uint32_t offered =
      SEQ_GT(tcb->rcv_adv, tcb->rcv_nxt) ? tcb->rcv_adv - tcb->rcv_nxt : 0;
  /* RFC 7323 2.3: the largest window the 16-bit field can carry */
  uint32_t most = tcb->ws_ok ? 65535u << tcb->rcv_wscale : 65535u;
  bool low;
  if (st->cfg.profile.rcv_wnd_policy == SF_RCV_WND_LINUX) {
    uint32_t wnd = min32(linux_window(st, sk, &low), most);
    return wnd < offered ? offered : wnd;
  }
  uint32_t space = sf_tcp_free_space(st, sk);
  uint32_t buf = sf_tcp_full_space(sk);
  uint32_t step = min32(buf / 2, tcb->adv_mss);
  uint32_t wnd = min32(space, most);
  if (wnd < offered + step && wnd != 0 && offered != 0)
    wnd = offered;
  else if (wnd < step && offered == 0)
    wnd = 0;
  if (wnd < offered)
    wnd = offered; /* SHLD-14: the edge we promised stays */
  return wnd;
}

/* The 16-bit window field and the right edge it promises. */
static uint16_t window_field(sf_stack *st, struct sf_sock *sk, bool syn,
                             uint32_t *edge) {
  struct sf_tcb *tcb = &sk->tcb;
  bool linux_wnd = st->cfg.profile.rcv_wnd_policy == SF_RCV_WND_LINUX;
  uint32_t shift = 0;
  uint32_t wnd;
  if (syn) {
    /* RFC 7323 2.2: the window of a SYN is never scaled */
    wnd = linux_wnd ? tcb->syn_wnd
                    : min32(sf_tcp_rcv_window(st, sk), tcb->syn_wnd);
  } else {
    wnd = sf_tcp_rcv_window(st, sk);
    if (tcb->ws_ok)
      shift = tcb->rcv_wscale;
    bool low = false;
    if (linux_wnd)
      linux_window(st, sk, &low);
    if (low && st->cfg.profile.ack_policy == SF_ACK_LINUX)
      tcb->quickacks = 0; /* Linux: a half-full buffer ends quick ACKs */
  }
  uint32_t field = wnd >> shift;
  /* SHLD-14: round up rather than let the scaling move the right edge we
   * already promised to the left (Linux aligns up too) */
  uint32_t offered =
      SEQ_GT(tcb->rcv_adv, tcb->rcv_nxt) ? tcb->rcv_adv - tcb->rcv_nxt : 0;
  if ((field << shift) < offered)
    field = (offered + (1u << shift) - 1) >> shift;
  if (field > 65535)
    field = 65535;
  *edge = tcb->rcv_nxt + (field << shift);
  /* Linux: the initial window beyond the SYN's 65535 is already promised
   * (tcp_select_initial_window keeps it as rcv_wnd) */
  if (syn && linux_wnd && tcb->rcv_wnd_init > field)
    *edge = tcb->rcv_nxt + tcb->rcv_wnd_init;
  return (uint16_t)field;
}

/* Linux (tcp_init_buffer_space): once established, the clamp is the whole
 * buffer's window share less one segment kept back, and the threshold no
 * more than that. */
void sf_tcp_init_buffer_space(sf_stack *st, struct sf_sock *sk) {
  struct sf_tcb *tcb = &sk->tcb;
  if (st->cfg.profile.rcv_wnd_policy != SF_RCV_WND_LINUX)
    return;
  uint32_t unit = tcb->adv_mss - (tcb->ts_ok ? 12 : 0);
  uint32_t full = sf_tcp_full_space(sk);
  if (tcb->window_clamp >= full)
    tcb->window_clamp = full;
  if (tcb->window_clamp > 2 * unit && tcb->window_clamp + unit > full)
    tcb->window_clamp = full - unit > 2 * unit ? full - unit : 2 * unit;
  tcb->rcv_ssthresh = min32(tcb->rcv_ssthresh, tcb->window_clamp);
}

/* Linux (tcp_grow_window): the threshold grows by two segments if the
 * segment's truesize is no more than its window share, else only while the
 * threshold is small for a buffer of the largest size (__tcp_grow_window). */
static uint32_t grow_increment(const sf_stack *st, const struct sf_sock *sk,
                               uint32_t len, uint32_t truesize, uint32_t unit) {
  const struct sf_tcb *tcb = &sk->tcb;
  uint32_t ts = win_from_space(tcb, truesize);
  if (ts <= len)
    return 2 * unit;
  uint32_t half_ts = ts / 2;
  uint32_t half_max = win_from_space(tcb, st->cfg.profile.rmem_max) / 2;
  while (tcb->rcv_ssthresh <= half_max) {
    if (half_ts <= len)
      return 2u * tcb->rcv_mss;
    half_ts >>= 1;
    half_max >>= 1;
  }
  return 0;
}

/* Linux (tcp_measure_rcv_mss, tcp_set_window_clamp): a new window share
 * moves the clamp to the buffer's share; the threshold follows a smaller
 * clamp down, a larger one up to the window last offered. */
static void set_ratio(struct sf_sock *sk, uint32_t ratio) {
  struct sf_tcb *tcb = &sk->tcb;
  uint32_t old = tcb->window_clamp;
  tcb->rcv_ratio = (uint16_t)ratio;
  tcb->window_clamp = sf_tcp_full_space(sk);
  uint32_t rs = min32(last_window(tcb), tcb->window_clamp);
  if (tcb->window_clamp < old)
    tcb->rcv_ssthresh = min32(tcb->rcv_ssthresh, rs);
  else if (rs > tcb->rcv_ssthresh)
    tcb->rcv_ssthresh = rs;
}

void sf_tcp_rcv_learn(sf_stack *st, struct sf_sock *sk, uint32_t len,
                      uint32_t truesize) {
  struct sf_tcb *tcb = &sk->tcb;
  const sf_profile *p = &st->cfg.profile;
  bool linux_wnd = p->rcv_wnd_policy == SF_RCV_WND_LINUX;
  uint32_t unit = tcb->adv_mss - (tcb->ts_ok ? 12 : 0);
  /* Linux (tcp_measure_rcv_mss): a full segment of a new size sets the
   * window share to its length over its truesize */
  if (len >= tcb->rcv_mss) {
    if (len != tcb->rcv_mss && p->rcv_truesize && linux_wnd) {
      uint32_t r = (uint32_t)((uint64_t)len * 256 / truesize);
      r = r ? r : 1;
      if (r != tcb->rcv_ratio)
        set_ratio(sk, r);
    }
    tcb->rcv_mss = (uint16_t)min32(len, unit);
  }
  if (p->ack_policy == SF_ACK_LINUX) {
    /* Linux (tcp_event_data_recv): quick ACKs for the first data, and
     * again after a pause longer than the RTO; as many as half the window
     * holds segments, at least two */
    if (!tcb->data_seen || st->now_us - tcb->data_rcv_us > tcb->rto_us) {
      uint32_t q = last_window(tcb) / (2u * tcb->rcv_mss);
      q = q ? q : 2;
      q = min32(q, p->quickack_segs);
      if (q > tcb->quickacks)
        tcb->quickacks = q;
    }
    tcb->data_seen = true;
    tcb->data_rcv_us = st->now_us;
  }
  if (!linux_wnd || len < 128)
    return;
  uint32_t limit = min32(tcb->window_clamp, sf_tcp_free_space(st, sk));
  if (limit <= tcb->rcv_ssthresh)
    return;
  uint32_t incr = grow_increment(st, sk, len, truesize, unit);
  if (!incr)
    return;
  incr = incr > 2 * len ? incr : 2 * len;
  tcb->rcv_ssthresh += min32(limit - tcb->rcv_ssthresh, incr);
  if (p->ack_policy == SF_ACK_LINUX)
    tcb->quickacks |= 1; /* Linux: a growing window keeps quick ACKs on */
}

struct seg_out {
  uint32_t seq;
  uint8_t flags;
  uint32_t data_off; /* offset of the payload in the send ring */
  uint32_t len;
  bool syn_opts;     /* SYN or SYN-ACK option layout */
  bool no_opts;      /* RST */
  bool keep_garbage; /* not used: keep-alives carry no data (SHLD-12) */
};

/* The out-of-order block holding `seq`, or -1. */
static int ooo_block_of(const struct sf_tcb *tcb, uint32_t seq) {
  for (uint8_t i = 0; i < tcb->nooo; i++)
    if (SEQ_LEQ(tcb->ooo[i].start, seq) && SEQ_GT(tcb->ooo[i].end, seq))
      return i;
  return -1;
}

/* RFC 2018 4: the block holding the segment that triggered the ACK first,
 * then the blocks most recently reported, then any others; at most 4 (the
 * option writer keeps as many as fit). */
static uint8_t sack_blocks(const struct sf_tcb *tcb, struct sf_seq_range *out) {
  bool used[SF_MAX_OOO] = {false};
  uint8_t n = 0;
  for (uint8_t r = 0; r < tcb->nooo_recent && n < 4; r++) {
    int i = ooo_block_of(tcb, tcb->ooo_recent[r]);
    if (i < 0 || used[i])
      continue; /* delivered since, or merged into a block already out */
    used[i] = true;
    out[n++] = tcb->ooo[i];
  }
  for (uint8_t i = 0; i < tcb->nooo && n < 4; i++)
    if (!used[i])
      out[n++] = tcb->ooo[i];
  return n;
}

/* Remembers that the block holding `seq` is now the newest (RFC 2018 4). */
void sf_tcp_sack_note(struct sf_tcb *tcb, uint32_t seq) {
  int blk = ooo_block_of(tcb, seq);
  uint32_t keep[4];
  uint8_t n = 0;
  keep[n++] = seq;
  for (uint8_t r = 0; r < tcb->nooo_recent && n < 4; r++) {
    int i = ooo_block_of(tcb, tcb->ooo_recent[r]);
    if (i >= 0 && i != blk)
      keep[n++] = tcb->ooo_recent[r];
  }
  memcpy(tcb->ooo_recent, keep, n * sizeof(keep[0]));
  tcb->nooo_recent = n;
}

static void fill_options(sf_stack *st, struct sf_sock *sk,
                         const struct seg_out *so, struct sf_tcp_optreq *req) {
  struct sf_tcb *tcb = &sk->tcb;
  memset(req, 0, sizeof(*req));
  if (so->no_opts)
    return;
  /* Linux: a SYN-ACK of a simultaneous open repeats our SYN's options */
  bool synack =
      so->syn_opts && (so->flags & TH_ACK) &&
      !(st->cfg.profile.simopen_syn_options && !(sk->flags & SF_SOCK_PASSIVE));
  if (so->syn_opts) {
    /* RFC 9293 3.7.1 (MUST-14, MAY-3): always send MSS in a SYN */
    req->syn = true;
    req->mss = true;
    req->mss_val = tcb->adv_mss;
    /* RFC 7323 1.3/2.2, RFC 2018 2: a SYN-ACK echoes what the SYN offered */
    req->ws = synack ? tcb->ws_ok : tcb->ws_offered;
    req->ws_val = tcb->rcv_wscale;
    req->sackok = synack ? tcb->sack_ok : tcb->sack_offered;
    req->ts = synack ? tcb->ts_ok : tcb->ts_offered;
    req->ts_ecr = (so->flags & TH_ACK) ? tcb->ts_recent : 0;
  } else {
    req->ts = tcb->ts_ok;
    req->ts_ecr = tcb->ts_recent;
    /* RFC 2018 4: report what we hold out of order: the block of the
     * newest segment first, then the most recently reported blocks */
    if (tcb->sack_ok && tcb->nooo && (so->flags & TH_ACK))
      req->nsack = sack_blocks(tcb, req->sack);
  }
  req->ts_val = sf_tcp_ts_now(st, sk);
}

/* Builds one segment of the connection in the stack's transmit buffer and
 * sends it. */
static int send_segment(sf_stack *st, struct sf_sock *sk,
                        const struct seg_out *so) {
  struct sf_tcb *tcb = &sk->tcb;
  uint8_t *th = sf_ipv4_payload(st);
  struct sf_tcp_optreq req;
  fill_options(st, sk, so, &req);
  uint32_t optlen = sf_tcp_write_options(&req, st->cfg.profile.synopt_layout,
                                         th + SF_TCP_HLEN);
  uint32_t doff = SF_TCP_HLEN + optlen;
  uint32_t edge = tcb->rcv_nxt;
  uint16_t wnd = 0;
  if (!(so->flags & TH_RST))
    wnd = window_field(st, sk, so->syn_opts, &edge);
  sf_put16(th, sk->lport);
  sf_put16(th + 2, sk->rport);
  sf_put32(th + 4, so->seq);
  sf_put32(th + 8, (so->flags & TH_ACK) ? tcb->rcv_nxt : 0);
  th[12] = (uint8_t)((doff / 4) << 4);
  uint8_t flags = so->flags;
  uint16_t urp = 0;
  /* RFC 9293 3.8.5 (MUST-62): the pointer names the octet after the
   * urgent data, as an offset from this segment's sequence number */
  if (tcb->snd_urg && SEQ_GT(tcb->snd_up, so->seq) &&
      tcb->snd_up - so->seq <= 65535 && !(flags & (TH_SYN | TH_RST))) {
    flags |= TH_URG;
    urp = (uint16_t)(tcb->snd_up - so->seq);
  }
  th[13] = flags;
  sf_put16(th + 14, wnd);
  sf_put16(th + 16, 0);
  sf_put16(th + 18, urp);
  if (so->len)
    sf_ring_peek(&sk->snd, so->data_off, th + doff, so->len);
  uint32_t seglen = doff + so->len;
  /* RFC 9293 3.1 (MUST-2): checksum over pseudo header and segment */
  uint32_t sum = sf_csum_pseudo(sk->laddr, sk->raddr, IPPROTO_TCP, seglen);
  sum = sf_csum_partial(sum, th, seglen);
  sf_put16(th + 16, sf_csum_fold(sum));
  /* RFC 1122 4.2.3.8 (MUST-53): every segment follows the route */
  int rc = sf_ipv4_send_route(st, sk->laddr, sk->raddr, IPPROTO_TCP, sk->tos,
                              st->cfg.profile.dont_fragment != 0, seglen,
                              &sk->route);
  if (rc < 0)
    return rc;
  st->stats.tcp_out++;
  if (flags & TH_RST)
    st->stats.tcp_rst_out++;
  if (!(flags & TH_RST) && SEQ_GT(edge, tcb->rcv_adv))
    tcb->rcv_adv = edge;
  if (flags & TH_ACK) {
    tcb->last_ack_sent = tcb->rcv_nxt;
    tcb->ack_now = false;
    tcb->delack_pending = false;
    sf_tcp_timer_stop(sk, SF_T_DELACK);
  }
  return 0;
}

void sf_tcp_send_ack(sf_stack *st, struct sf_sock *sk) {
  struct seg_out so = {.seq = sk->tcb.snd_nxt, .flags = TH_ACK};
  send_segment(st, sk, &so);
}

/* RFC 9293 3.10.1 (OPEN) and 3.10.7.2: SYN, or SYN-ACK for a passive or
 * simultaneous open; retransmissions go through here too. */
void sf_tcp_send_syn(sf_stack *st, struct sf_sock *sk) {
  struct sf_tcb *tcb = &sk->tcb;
  uint8_t flags = TH_SYN;
  if (sk->state != SF_TCP_SYN_SENT)
    flags |= TH_ACK; /* the peer's SYN came: SYN-ACK, also after a CLOSE */
  struct seg_out so = {.seq = tcb->iss, .flags = flags, .syn_opts = true};
  if (!tcb->syn_rexmitted && !tcb->rtt_timing) {
    tcb->rtt_timing = true;
    tcb->rtt_seq = tcb->iss;
    tcb->rtt_start_us = st->now_us;
  }
  if (tcb->syn_rexmitted)
    st->stats.tcp_retransmit++;
  send_segment(st, sk, &so);
  tcb->snd_nxt = tcb->iss + 1;
  if (SEQ_GT(tcb->snd_nxt, tcb->snd_max))
    tcb->snd_max = tcb->snd_nxt;
}

/* RFC 9293 3.10.4: <SEQ=SND.NXT><CTL=RST> (with ACK, as Linux sends). */
void sf_tcp_send_rst_conn(sf_stack *st, struct sf_sock *sk) {
  struct seg_out so = {
      .seq = sk->tcb.snd_nxt, .flags = TH_RST | TH_ACK, .no_opts = true};
  if (sk->state == SF_TCP_SYN_SENT)
    return; /* the peer knows nothing of us yet */
  send_segment(st, sk, &so);
}

/* RFC 9293 3.10.7.1: the reset answers the offending segment: with its ACK
 * as our sequence number, or acknowledging all of it. */
void sf_tcp_send_rst_reply(sf_stack *st, const struct sf_ip_meta *ip,
                           const struct sf_tcp_seg *seg) {
  if (seg->flags & TH_RST)
    return; /* never a reset for a reset */
  uint8_t *th = sf_ipv4_payload(st);
  uint32_t seq = 0, ack = 0;
  uint8_t flags = TH_RST;
  if (seg->flags & TH_ACK) {
    seq = seg->ack;
  } else {
    ack =
        seg->seq + seg->len + !!(seg->flags & TH_SYN) + !!(seg->flags & TH_FIN);
    flags |= TH_ACK;
  }
  memset(th, 0, SF_TCP_HLEN);
  sf_put16(th, seg->dport);
  sf_put16(th + 2, seg->sport);
  sf_put32(th + 4, seq);
  sf_put32(th + 8, ack);
  th[12] = (SF_TCP_HLEN / 4) << 4;
  th[13] = flags;
  uint32_t sum = sf_csum_pseudo(ip->dst, ip->src, IPPROTO_TCP, SF_TCP_HLEN);
  sum = sf_csum_partial(sum, th, SF_TCP_HLEN);
  sf_put16(th + 16, sf_csum_fold(sum));
  if (sf_ipv4_send(st, ip->dst, ip->src, IPPROTO_TCP, 0,
                   st->cfg.profile.dont_fragment != 0, SF_TCP_HLEN) == 0) {
    st->stats.tcp_out++;
    st->stats.tcp_rst_out++;
  }
}

/* Bytes of the send buffer already sent: SND.NXT - SND.UNA, less a SYN in
 * flight, which holds no byte of the buffer. */
static uint32_t sent_bytes(const struct sf_sock *sk) {
  uint32_t off = sk->tcb.snd_nxt - sk->tcb.snd_una;
  return sf_tcp_syn_unacked(sk) && off ? off - 1 : off;
}

/* Data not yet sent, counted from SND.NXT. */
static uint32_t unsent(const struct sf_sock *sk) {
  uint32_t off = sent_bytes(sk);
  return sk->snd.len > off ? sk->snd.len - off : 0;
}

static bool fin_due(const struct sf_sock *sk, uint32_t off, uint32_t len) {
  const struct sf_tcb *tcb = &sk->tcb;
  return tcb->fin_queued && off + len == sk->snd.len;
}

/* RFC 5681 3.2 / RFC 6675: the next hole below SND.MAX that the peer's SACK
 * blocks do not cover, starting at `from`. */
static uint32_t skip_sacked(const struct sf_tcb *tcb, uint32_t from) {
  bool moved = true;
  while (moved) {
    moved = false;
    for (uint8_t i = 0; i < tcb->nsacked; i++) {
      if (SEQ_LEQ(tcb->sacked[i].start, from) &&
          SEQ_GT(tcb->sacked[i].end, from)) {
        from = tcb->sacked[i].end;
        moved = true;
      }
    }
  }
  return from;
}

/* Length that may go out from SND.NXT before the next SACKed byte. */
static uint32_t before_sacked(const struct sf_tcb *tcb, uint32_t len) {
  if (!SEQ_LT(tcb->snd_nxt, tcb->snd_max))
    return len;
  for (uint8_t i = 0; i < tcb->nsacked; i++) {
    uint32_t s = tcb->sacked[i].start;
    if (SEQ_GT(s, tcb->snd_nxt) && SEQ_LT(s, tcb->snd_nxt + len))
      len = s - tcb->snd_nxt;
  }
  return len;
}

/* RFC 9293 3.7.1 (MUST-16): the MSS counts every option; SACK blocks we
 * report to the peer take room from the payload (as in Linux). */
static uint32_t data_room(const struct sf_tcb *tcb) {
  if (!tcb->sack_ok || tcb->nooo == 0)
    return tcb->mss;
  uint32_t blocks =
      tcb->nooo < (tcb->ts_ok ? 3u : 4u) ? tcb->nooo : (tcb->ts_ok ? 3u : 4u);
  uint32_t opt = 4 + 8 * blocks;
  return tcb->mss > opt + 8 ? tcb->mss - opt : 8;
}

static void start_rtt(sf_stack *st, struct sf_tcb *tcb) {
  /* RFC 6298 3 (Karn): time only segments sent for the first time */
  if (!tcb->rtt_timing && tcb->snd_nxt == tcb->snd_max) {
    tcb->rtt_timing = true;
    tcb->rtt_seq = tcb->snd_nxt;
    tcb->rtt_start_us = st->now_us;
  }
}

/* Sends one segment of data (and/or FIN) from SND.NXT, len bytes; push
 * sets PSH. */
static bool send_data(sf_stack *st, struct sf_sock *sk, uint32_t len, bool fin,
                      bool push) {
  struct sf_tcb *tcb = &sk->tcb;
  uint32_t off = sent_bytes(sk);
  struct seg_out so = {
      .seq = tcb->snd_nxt, .flags = TH_ACK, .data_off = off, .len = len};
  if (fin)
    so.flags |= TH_FIN;
  /* RFC 9293 3.9.1.2 (MUST-61): PSH on the last segment of what is queued */
  if (len &&
      ((off + len == sk->snd.len && st->cfg.profile.psh_last_segment) || push))
    so.flags |= TH_PSH;
  bool rexmit = SEQ_LT(tcb->snd_nxt, tcb->snd_max);
  if (rexmit)
    st->stats.tcp_retransmit++;
  else
    start_rtt(st, tcb);
  if (send_segment(st, sk, &so) < 0)
    return false;
  if (!rexmit && (len || fin))
    tcb->last_seg = tcb->snd_nxt; /* a FIN alone is a segment too */
  tcb->snd_nxt += len + (fin ? 1 : 0);
  if (len && len < tcb->mss)
    tcb->snd_sml = tcb->snd_nxt;
  if (fin) {
    tcb->fin_sent = true;
    tcb->fin_seq = tcb->snd_nxt - 1;
  }
  if (SEQ_GT(tcb->snd_nxt, tcb->snd_max))
    tcb->snd_max = tcb->snd_nxt;
  if (rexmit)
    sf_tcp_rexmt_arm(st, sk);
  else
    sf_tcp_xmit_timer(st, sk, false); /* RFC 8985 7.2: after new data */
  return true;
}

/* RFC 9293 3.8.6.2.1 (MUST-38) and 3.7.4 (SHLD-7, Nagle): a segment shorter
 * than the MSS goes out only if it empties the queue with nothing in flight
 * (or TCP_NODELAY), fills half the largest window the peer offered, or is a
 * retransmission. */
static bool small_segment_ok(const sf_stack *st, const struct sf_sock *sk,
                             uint32_t len, uint32_t avail) {
  const struct sf_tcb *tcb = &sk->tcb;
  if (SEQ_LT(tcb->snd_nxt, tcb->snd_max))
    return true;
  bool nothing_in_flight = tcb->snd_nxt == tcb->snd_una;
  if (st->cfg.profile.nagle_minshall)
    nothing_in_flight = !SEQ_GT(tcb->snd_sml, tcb->snd_una);
  /* Linux (tcp_nagle_test): urgent data is not held back by Nagle */
  if (len == avail &&
      (nothing_in_flight || (sk->flags & SF_SOCK_NODELAY) || tcb->snd_urg))
    return true;
  return tcb->max_snd_wnd && len >= tcb->max_snd_wnd / 2;
}

static bool may_send_data(int state) {
  return state == SF_TCP_ESTABLISHED || state == SF_TCP_CLOSE_WAIT ||
         state == SF_TCP_FIN_WAIT_1 || state == SF_TCP_CLOSING ||
         state == SF_TCP_LAST_ACK;
}

/* Segments of new data the loop of sf_tcp_output will send now (it
 * mirrors the loop: windows, the MSS, Nagle for the tail). */
static uint32_t pass_segments(const sf_stack *st, const struct sf_sock *sk) {
  const struct sf_tcb *tcb = &sk->tcb;
  if (tcb->snd_nxt != tcb->snd_max)
    return 0;
  uint32_t avail = unsent(sk);
  uint32_t fl = tcb->snd_nxt - tcb->snd_una;
  uint32_t wnd = min32(tcb->snd_wnd, tcb->cwnd);
  uint32_t room = data_room(tcb);
  bool small_out = SEQ_GT(tcb->snd_sml, tcb->snd_una);
  uint32_t n = 0;
  while (avail && n < 1u << 16) {
    uint32_t len = min32(min32(avail, room), wnd > fl ? wnd - fl : 0);
    if (len == 0)
      break;
    if (len < room) {
      bool idle = st->cfg.profile.nagle_minshall ? !small_out : fl == 0;
      bool ok = (len == avail &&
                 (idle || (sk->flags & SF_SOCK_NODELAY) || tcb->snd_urg)) ||
                (tcb->max_snd_wnd && len >= tcb->max_snd_wnd / 2);
      if (!ok)
        break;
      small_out = true;
    }
    n++;
    avail -= len;
    fl += len;
  }
  return n;
}

/* Linux (tcp_write_xmit): new data goes out in TSO/GSO bursts of at most
 * half the congestion window and what it leaves (tcp_cwnd_test), and of the
 * segments the pacing rate sends in 1/1024 s, plus more on a short path, at
 * least two (tcp_tso_autosize); each burst ends with PSH. */
static uint32_t tso_chunk(const struct sf_tcb *tcb) {
  uint32_t mss = tcb->mss ? tcb->mss : 1;
  uint32_t cw = tcb->cwnd / mss;
  uint32_t infl = (tcb->snd_nxt - tcb->snd_una + mss - 1) / mss;
  uint32_t quota = cw / 2 ? cw / 2 : 1;
  if (cw > infl && cw - infl < quota)
    quota = cw - infl;
  uint64_t bytes = 65536; /* the GSO limit; no pacing before an RTT */
  if (tcb->rtt_valid) {
    /* tcp_update_pacing_rate: 200 % of cwnd/SRTT in slow start, else 120 % */
    uint64_t ratio = tcb->cwnd < tcb->ssthresh / 2 ? 200 : 120;
    uint64_t segs = cw > infl ? cw : infl;
    uint64_t rate = (uint64_t)mss * segs * ratio * 10000 / tcb->srtt_us;
    bytes = rate >> 10;
    uint32_t r = tcb->min_rtt_us >> 9; /* tcp_tso_rtt_log 9 */
    if (r < 32)
      bytes += 65536u >> r;
    if (bytes > 65536)
      bytes = 65536;
  }
  uint32_t segs = (uint32_t)(bytes / mss);
  if (segs < 2)
    segs = 2; /* tcp_min_tso_segs */
  return quota < segs ? quota : segs;
}

void sf_tcp_output(sf_stack *st, struct sf_sock *sk) {
  struct sf_tcb *tcb = &sk->tcb;
  bool sent = false;
  if (may_send_data(sk->state)) {
    bool chunks =
        st->cfg.profile.tso_chunk_psh && st->cfg.profile.psh_last_segment;
    uint32_t left = chunks ? pass_segments(st, sk) : 0;
    uint32_t chunk = 0;
    for (int guard = 0; guard < 1 << 16; guard++) {
      uint32_t avail = unsent(sk);
      uint32_t off = sent_bytes(sk);
      uint32_t wnd = min32(tcb->snd_wnd, tcb->cwnd);
      uint32_t fl = tcb->snd_nxt - tcb->snd_una;
      uint32_t usable = wnd > fl ? wnd - fl : 0;
      uint32_t room = data_room(tcb);
      uint32_t len = before_sacked(tcb, min32(min32(avail, room), usable));
      bool fin = !tcb->fin_sent || SEQ_LEQ(tcb->snd_nxt, tcb->fin_seq)
                     ? fin_due(sk, off, len)
                     : false;
      if (len == 0 && !fin)
        break;
      if (len < room && !fin && !small_segment_ok(st, sk, len, avail))
        break;
      bool push = false;
      if (left && tcb->snd_nxt == tcb->snd_max) {
        if (chunk == 0)
          chunk = tso_chunk(tcb);
        push = chunk == 1 || left == 1;
        chunk--;
        left--;
      }
      if (!send_data(st, sk, len, fin, push))
        break;
      sent = true;
      if (SEQ_LT(tcb->snd_nxt, tcb->snd_max))
        tcb->snd_nxt = skip_sacked(tcb, tcb->snd_nxt);
    }
    /* RFC 9293 3.8.6.1 (MUST-36): data waits behind a zero window: probe */
    bool waiting = unsent(sk) > 0 || (tcb->fin_queued && !tcb->fin_sent);
    if (waiting && tcb->snd_nxt == tcb->snd_una && !tcb->timer[SF_T_REXMT] &&
        !tcb->timer[SF_T_TLP] && !tcb->timer[SF_T_PERSIST]) {
      tcb->persist_backoff = 0;
      uint32_t iv = sf_rto_backed_off(tcb, &st->cfg.profile);
      if (iv < st->cfg.profile.persist_min_us)
        iv = st->cfg.profile.persist_min_us;
      sf_tcp_timer_set(sk, SF_T_PERSIST, st->now_us + iv);
    }
  }
  if (!sent && tcb->ack_now && synchronized(sk->state))
    sf_tcp_send_ack(st, sk);
}

/* RFC 6298 5.4: retransmit the earliest unacknowledged segment. */
uint32_t sf_tcp_retransmit(sf_stack *st, struct sf_sock *sk) {
  struct sf_tcb *tcb = &sk->tcb;
  if (sf_tcp_syn_unacked(sk)) {
    /* that is our SYN (a FIN sent after it waits for the next round) */
    tcb->syn_rexmitted = true;
    sf_tcp_send_syn(st, sk);
    return 0;
  }
  uint32_t saved_nxt = tcb->snd_nxt;
  tcb->snd_nxt = tcb->snd_una;
  uint32_t off = 0;
  uint32_t len = min32(sk->snd.len, data_room(tcb));
  if (tcb->nsacked)
    len = before_sacked(tcb, len);
  bool fin = tcb->fin_sent && fin_due(sk, off, len);
  if ((len == 0 && !fin) || !send_data(st, sk, len, fin, false)) {
    tcb->snd_nxt = saved_nxt;
    return 0;
  }
  if (SEQ_GT(saved_nxt, tcb->snd_nxt) && tcb->in_recovery)
    tcb->snd_nxt = saved_nxt; /* fast retransmit does not rewind */
  return len;
}

bool sf_tcp_send_loss_probe(sf_stack *st, struct sf_sock *sk) {
  struct sf_tcb *tcb = &sk->tcb;
  uint32_t avail = unsent(sk);
  uint32_t fl = tcb->snd_nxt - tcb->snd_una;
  uint32_t room = tcb->snd_wnd > fl ? tcb->snd_wnd - fl : 0;
  uint32_t len = min32(avail, data_room(tcb));
  if (len && tcb->snd_nxt == tcb->snd_max && room >= len) {
    /* new data, one segment, if the peer's window takes all of it (Linux:
     * tcp_snd_wnd_test), whatever the congestion window says */
    uint32_t off = sent_bytes(sk);
    bool fin = tcb->fin_queued && !tcb->fin_sent && fin_due(sk, off, len);
    return send_data(st, sk, len, fin, false);
  }
  /* else the last segment sent, at most one MSS of it (with its FIN) */
  uint32_t sent = sent_bytes(sk);
  bool fin = tcb->fin_sent;
  /* the FIN holds no byte of the send buffer */
  uint32_t data_out = tcb->snd_max - tcb->snd_una - (fin ? 1u : 0u);
  if (sent > data_out)
    sent = data_out;
  uint32_t data_end = tcb->snd_una + sent;
  if (SEQ_GEQ(tcb->last_seg, tcb->snd_una) && SEQ_LEQ(tcb->last_seg, data_end))
    sent = data_end - tcb->last_seg; /* 0: the FIN went alone */
  len = min32(sent, data_room(tcb));
  if (len == 0 && !fin)
    return false;
  uint32_t saved_nxt = tcb->snd_nxt;
  tcb->snd_nxt = tcb->snd_max - len - (fin ? 1u : 0u);
  if (tcb->rtt_timing && SEQ_GEQ(tcb->rtt_seq, tcb->snd_nxt))
    tcb->rtt_timing = false; /* RFC 6298 3 (Karn) */
  uint32_t off = tcb->snd_nxt - tcb->snd_una;
  struct seg_out so = {
      .seq = tcb->snd_nxt, .flags = TH_ACK, .data_off = off, .len = len};
  if (fin)
    so.flags |= TH_FIN;
  if (len && off + len == sk->snd.len && st->cfg.profile.psh_last_segment)
    so.flags |= TH_PSH;
  st->stats.tcp_retransmit++;
  int rc = send_segment(st, sk, &so);
  tcb->snd_nxt = saved_nxt;
  return rc == 0;
}

/* Zero-window probe (RFC 9293 3.8.6.1) or keep-alive (3.8.4, SHLD-12). */
void sf_tcp_send_probe(sf_stack *st, struct sf_sock *sk, bool keepalive) {
  struct sf_tcb *tcb = &sk->tcb;
  uint32_t room = tcb->snd_wnd > tcb->snd_nxt - tcb->snd_una
                      ? tcb->snd_wnd - (tcb->snd_nxt - tcb->snd_una)
                      : 0;
  if (!keepalive && room && unsent(sk)) {
    /* RFC 9293 3.8.6.2.1 override timeout (Linux tcp_write_wakeup): a
     * window the SWS rules left unused takes what fits, pushed (Linux) */
    send_data(st, sk, min32(min32(unsent(sk), tcb->mss), room), false,
              st->cfg.profile.tso_chunk_psh != 0);
    return;
  }
  if (keepalive || !st->cfg.profile.zwp_data_byte || unsent(sk) == 0) {
    struct seg_out so = {.seq = tcb->snd_una - 1, .flags = TH_ACK};
    if (keepalive)
      so.seq = tcb->snd_nxt - 1;
    send_segment(st, sk, &so);
    return;
  }
  /* one octet beyond the window, retransmitted until the window opens */
  uint32_t off = tcb->snd_nxt - tcb->snd_una;
  struct seg_out so = {
      .seq = tcb->snd_nxt, .flags = TH_ACK, .data_off = off, .len = 1};
  if (send_segment(st, sk, &so) == 0 && SEQ_GT(tcb->snd_nxt + 1, tcb->snd_max))
    tcb->snd_max = tcb->snd_nxt + 1;
}
