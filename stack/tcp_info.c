/* Read-only views of connections for tests, traces and fuzzers. */
#include <errno.h>

#include "stack_internal.h"

static void fill_info(const struct sf_sock *sk, sf_tcp_info *info) {
  const struct sf_tcb *tcb = &sk->tcb;
  memset(info, 0, sizeof(*info));
  info->state = sk->state;
  info->iss = tcb->iss;
  info->irs = tcb->irs;
  info->snd_una = tcb->snd_una;
  info->snd_nxt = tcb->snd_nxt;
  info->snd_max = tcb->snd_max;
  info->snd_wnd = tcb->snd_wnd;
  info->max_snd_wnd = tcb->max_snd_wnd;
  info->rcv_nxt = tcb->rcv_nxt;
  info->rcv_wnd =
      SEQ_GT(tcb->rcv_adv, tcb->rcv_nxt) ? tcb->rcv_adv - tcb->rcv_nxt : 0;
  info->snd_wscale = tcb->ws_ok ? tcb->snd_wscale : SF_WSCALE_NONE;
  info->rcv_wscale = tcb->ws_ok ? tcb->rcv_wscale : SF_WSCALE_NONE;
  info->mss = tcb->mss;
  info->peer_mss = tcb->peer_mss;
  info->cwnd = tcb->cwnd;
  info->ssthresh = tcb->ssthresh;
  info->srtt_us = tcb->srtt_us;
  info->rttvar_us = tcb->rttvar_us;
  info->rto_us = tcb->rto_us;
  info->retransmits = tcb->retransmits;
  info->dupacks = tcb->dupacks;
  info->ts_ok = tcb->ts_ok;
  info->sack_ok = tcb->sack_ok;
  info->ts_recent = tcb->ts_recent;
  info->snd_queued = sk->snd.len;
  info->rcv_queued = sk->rcv.len;
  info->ooo_ranges = tcb->nooo;
  info->local_port = sk->lport;
  info->remote_port = sk->rport;
  info->local_addr.s_addr = htonl(sk->laddr);
  info->remote_addr.s_addr = htonl(sk->raddr);
}

int sf_tcp_get_info(const sf_stack *st, int fd, sf_tcp_info *info) {
  struct sf_sock *sk = sf_sock_from_fd((sf_stack *)st, fd);
  if (!sk)
    return -EBADF;
  fill_info(sk, info);
  return 0;
}

int sf_stack_find_conn(const sf_stack *st, uint16_t lport, uint16_t rport,
                       sf_tcp_info *info) {
  for (uint32_t i = 0; i < st->socks_used; i++) {
    const struct sf_sock *sk = &st->socks[i];
    if (sk->used && sk->lport == lport && sk->rport == rport &&
        sk->state != SF_TCP_LISTEN && sk->state != SF_TCP_CLOSED) {
      fill_info(sk, info);
      return 0;
    }
  }
  return -ENOENT;
}

void sf_stack_each_conn(const sf_stack *st, sf_conn_visit_fn fn, void *ctx) {
  for (uint32_t i = 0; i < st->socks_used; i++) {
    const struct sf_sock *sk = &st->socks[i];
    if (!sk->used)
      continue;
    sf_tcp_info info;
    fill_info(sk, &info);
    fn(ctx, sk->fd, &info);
  }
}
