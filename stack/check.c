/* Invariant checker: facts that hold between any two calls into the stack.
 * Fuzz targets call it after every event; a broken one names itself. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "stack_internal.h"

static int fail(char *msg, size_t cap, const char *fmt, ...) {
  if (msg && cap) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, cap, fmt, ap);
    va_end(ap);
  }
  return -EFAULT;
}

static bool synchronized(int state) {
  return state >= SF_TCP_SYN_RECEIVED;
}

static int check_sequence(const struct sf_sock *sk, uint32_t slot, char *msg,
                          size_t cap) {
  const struct sf_tcb *t = &sk->tcb;
  if (SEQ_GT(t->snd_una, t->snd_nxt))
    return fail(msg, cap, "slot %u: SND.UNA %u > SND.NXT %u", slot, t->snd_una,
                t->snd_nxt);
  if (SEQ_GT(t->snd_nxt, t->snd_max))
    return fail(msg, cap, "slot %u: SND.NXT %u > SND.MAX %u", slot, t->snd_nxt,
                t->snd_max);
  /* sent sequence space: SYN, data in the buffer, FIN */
  uint32_t limit = sk->snd.len + 2;
  if (t->snd_max - t->snd_una > limit)
    return fail(msg, cap, "slot %u: %u bytes in flight, %u buffered", slot,
                t->snd_max - t->snd_una, sk->snd.len);
  if (t->fin_sent && SEQ_GT(t->snd_max, t->fin_seq + 1))
    return fail(msg, cap, "slot %u: sequence space used after our FIN", slot);
  if (sk->state >= SF_TCP_ESTABLISHED && t->mss == 0)
    return fail(msg, cap, "slot %u: zero MSS", slot);
  if (sk->state >= SF_TCP_ESTABLISHED && t->cwnd == 0)
    return fail(msg, cap, "slot %u: zero congestion window", slot);
  return 0;
}

static int check_buffers(const sf_stack *st, const struct sf_sock *sk,
                         uint32_t slot, char *msg, size_t cap) {
  const struct sf_tcb *t = &sk->tcb;
  if (sk->snd.len > sk->snd.cap || sk->rcv.len > sk->rcv.cap)
    return fail(msg, cap, "slot %u: buffer over capacity", slot);
  if (sk->snd.head >= sk->snd.cap || sk->rcv.head >= sk->rcv.cap)
    return fail(msg, cap, "slot %u: ring head out of range", slot);
  if (t->nooo > st->cfg.max_ooo)
    return fail(msg, cap, "slot %u: %u out-of-order ranges > %u", slot, t->nooo,
                st->cfg.max_ooo);
  if (t->nsacked > SF_MAX_SACK_BLOCKS)
    return fail(msg, cap, "slot %u: SACK scoreboard overflow", slot);
  uint32_t prev_end = t->rcv_nxt;
  for (uint8_t i = 0; i < t->nooo; i++) {
    const struct sf_seq_range *r = &t->ooo[i];
    if (!SEQ_LT(r->start, r->end))
      return fail(msg, cap, "slot %u: empty out-of-order range", slot);
    if (!SEQ_GT(r->start, prev_end))
      return fail(msg, cap,
                  "slot %u: out-of-order range %u not above RCV.NXT or the "
                  "range before it",
                  slot, i);
    if (r->end - t->rcv_nxt + sk->rcv.len > sk->rcv.cap)
      return fail(msg, cap, "slot %u: out-of-order data past the buffer", slot);
    prev_end = r->end;
  }
  return 0;
}

static int check_timers(const sf_stack *st, const struct sf_sock *sk,
                        uint32_t slot, char *msg, size_t cap) {
  const struct sf_tcb *t = &sk->tcb;
  for (int i = 0; i < SF_T_COUNT; i++) {
    if (t->timer[i] && t->timer[i] < st->now_us)
      return fail(msg, cap, "slot %u: timer %d overdue", slot, i);
    if (sk->state == SF_TCP_CLOSED && t->timer[i])
      return fail(msg, cap, "slot %u: timer %d runs on a closed socket", slot,
                  i);
  }
  uint64_t earliest = sf_tcp_earliest_timer(t);
  if (t->deadline != earliest)
    return fail(msg, cap, "slot %u: next deadline %llu, timers say %llu", slot,
                (unsigned long long)t->deadline, (unsigned long long)earliest);
  if (sk->state == SF_TCP_TIME_WAIT && !t->timer[SF_T_2MSL])
    return fail(msg, cap, "slot %u: TIME-WAIT without its timer", slot);
  return 0;
}

static int check_listener(const sf_stack *st, const struct sf_sock *lsk,
                          uint32_t slot, char *msg, size_t cap) {
  uint32_t ready = 0, syn = 0;
  for (uint32_t i = 0; i < st->socks_used; i++) {
    const struct sf_sock *c = &st->socks[i];
    if (!c->used || c->parent != (int32_t)slot)
      continue;
    if (c->flags & SF_SOCK_CONNECTED)
      ready++;
    else
      syn++;
  }
  if (ready != lsk->q_ready || syn != lsk->q_syn)
    return fail(msg, cap,
                "listener %u: counts %u ready/%u embryonic, found %u/%u", slot,
                lsk->q_ready, lsk->q_syn, ready, syn);
  uint32_t walked = 0;
  for (int32_t s = lsk->q_head; s >= 0 && walked <= st->cfg.max_sockets;
       s = st->socks[s].next_q)
    walked++;
  if (walked != ready)
    return fail(msg, cap, "listener %u: accept queue has %u, expected %u", slot,
                walked, ready);
  return 0;
}

/* Every socket's descriptor maps back to it (checked per socket); with as
 * many mapped descriptors as sockets that have one, no descriptor maps to a
 * socket that does not claim it. Counting keeps this pass off the sockets,
 * whose cache lines it would otherwise pull in once per descriptor. */
static int check_fds(const sf_stack *st, uint32_t with_fd, char *msg,
                     size_t cap) {
  uint32_t mapped = 0;
  for (uint32_t i = 0; i < st->cfg.max_sockets; i++) {
    int32_t s = st->fd_slot[i];
    if (s < 0)
      continue;
    if ((uint32_t)s >= st->socks_used)
      return fail(msg, cap, "fd %u maps to a wrong slot", i + SF_FD_BASE);
    mapped++;
  }
  if (mapped != with_fd)
    return fail(msg, cap, "%u descriptors mapped, %u sockets have one", mapped,
                with_fd);
  return 0;
}

static int check_reassembly(const struct sf_reass *r, char *msg, size_t cap) {
  uint32_t used = 0;
  for (uint32_t i = 0; i < r->nslots; i++)
    used += r->slots[i].used;
  if (used != r->nused)
    return fail(msg, cap, "reassembly: %u slots in use, counted %u", used,
                r->nused);
  return 0;
}

int sf_stack_check(const sf_stack *st, char *msg, size_t cap) {
  int rc = check_reassembly(&st->reass, msg, cap);
  if (rc < 0)
    return rc;
  uint32_t with_fd = 0;
  for (uint32_t i = 0; i < st->socks_used; i++) {
    const struct sf_sock *sk = &st->socks[i];
    if (!sk->used)
      continue;
    if (sk->state >= SF_TCP_NSTATES)
      return fail(msg, cap, "slot %u: bad state %u", i, sk->state);
    if (sk->fd >= 0) {
      if ((uint32_t)(sk->fd - SF_FD_BASE) >= st->cfg.max_sockets ||
          st->fd_slot[sk->fd - SF_FD_BASE] != (int32_t)i)
        return fail(msg, cap, "slot %u: fd %d not in the table", i, sk->fd);
      with_fd++;
    }
    if (synchronized(sk->state) && (rc = check_sequence(sk, i, msg, cap)) < 0)
      return rc;
    if ((rc = check_buffers(st, sk, i, msg, cap)) < 0)
      return rc;
    if ((rc = check_timers(st, sk, i, msg, cap)) < 0)
      return rc;
    if (sk->state == SF_TCP_LISTEN &&
        (rc = check_listener(st, sk, i, msg, cap)) < 0)
      return rc;
    if (sk->fd < 0 && sk->parent < 0 && sk->state == SF_TCP_CLOSED)
      return fail(msg, cap, "slot %u: closed orphan not freed", i);
  }
  return check_fds(st, with_fd, msg, cap);
}
