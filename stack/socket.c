/* The BSD-like socket API over the stack (RFC 9293 3.9.1 user interface).
 * Errors are negative errno values; nothing blocks. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>

#include "stack_internal.h"

#define SOMAXCONN_LINUX 4096
#define SOCK_MIN_RCVBUF 2304 /* Linux's floors, after doubling */
#define SOCK_MIN_SNDBUF 4608
#define SOCK_TYPE_MASK 0xf /* Linux: the type proper; flags lie above */
#define SOCK_TYPE_LAST 10  /* SOCK_PACKET, Linux's largest type */

static int sock_get(sf_stack *st, int fd, struct sf_sock **out) {
  struct sf_sock *sk = sf_sock_from_fd(st, fd);
  if (!sk)
    return -EBADF;
  *out = sk;
  return 0;
}

/* Every descriptor is taken: Linux's per-process limit (EMFILE). When
 * slots are held by connections without a descriptor (TIME-WAIT, orphans,
 * unaccepted ones) the table of the "system" is full instead (ENFILE). */
static bool fds_exhausted(const sf_stack *st) {
  for (uint32_t i = 0; i < st->cfg.max_sockets; i++)
    if (st->fd_slot[i] < 0)
      return false;
  return true;
}

int sf_socket(sf_stack *st, int domain, int type, int protocol) {
  /* Linux (__sys_socket): flags other than these in `type` are invalid,
   * and so is an unknown type */
  if ((type & ~SOCK_TYPE_MASK) & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
    return -EINVAL;
  if (domain != AF_INET)
    return -EAFNOSUPPORT;
  int base = type & SOCK_TYPE_MASK;
  if (base > SOCK_TYPE_LAST)
    return -EINVAL;
  if (base != SOCK_STREAM)
    return -EPROTONOSUPPORT; /* TCP only (Linux also has UDP and raw) */
  if (protocol != 0 && protocol != IPPROTO_TCP)
    return -EPROTONOSUPPORT;
  struct sf_sock *sk = sf_sock_alloc(st);
  if (!sk)
    return fds_exhausted(st) ? -EMFILE : -ENFILE;
  int fd = sf_fd_alloc(st, sk);
  if (fd < 0) {
    sf_sock_release(st, sk);
    return fd;
  }
  if (type & SOCK_NONBLOCK)
    sk->flags |= SF_SOCK_NONBLOCK;
  sk->tos = 0;
  return fd;
}

static int read_sockaddr(const struct sockaddr *addr, socklen_t len,
                         uint32_t *ip, uint16_t *port) {
  if (!addr || len < (socklen_t)sizeof(struct sockaddr_in))
    return -EINVAL;
  if (addr->sa_family != AF_INET)
    return -EAFNOSUPPORT;
  const struct sockaddr_in *sin = (const struct sockaddr_in *)addr;
  *ip = ntohl(sin->sin_addr.s_addr);
  *port = ntohs(sin->sin_port);
  return 0;
}

static void write_sockaddr(uint32_t ip, uint16_t port, struct sockaddr *addr,
                           socklen_t *len) {
  if (!addr || !len)
    return;
  struct sockaddr_in sin;
  memset(&sin, 0, sizeof(sin));
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(ip);
  sin.sin_port = htons(port);
  socklen_t n = *len < (socklen_t)sizeof(sin) ? *len : (socklen_t)sizeof(sin);
  memcpy(addr, &sin, n);
  *len = sizeof(sin);
}

static uint32_t local_addr(const sf_stack *st) {
  return ntohl(st->cfg.addr.s_addr);
}

/* Linux's ephemeral range, starting from a seeded point. */
static int pick_ephemeral(sf_stack *st, struct sf_sock *sk, uint32_t laddr) {
  for (uint32_t i = 0; i < 28232; i++) {
    uint16_t port = st->next_ephemeral;
    st->next_ephemeral = port >= 60999 ? 32768 : (uint16_t)(port + 1);
    if (!sf_tcp_port_in_use(st, laddr, port, sk, false)) {
      sk->lport = port;
      sk->laddr = laddr;
      sk->flags |= SF_SOCK_BOUND;
      return 0;
    }
  }
  return -EADDRNOTAVAIL;
}

int sf_bind(sf_stack *st, int fd, const struct sockaddr *addr, socklen_t len) {
  struct sf_sock *sk;
  int rc = sock_get(st, fd, &sk);
  if (rc < 0)
    return rc;
  uint32_t ip;
  uint16_t port;
  rc = read_sockaddr(addr, len, &ip, &port);
  if (rc < 0)
    return rc;
  if (ip != 0 && ip != local_addr(st))
    return -EADDRNOTAVAIL; /* RFC 9293 3.9.1.1 (MUST-43): ours or any */
  if ((sk->flags & SF_SOCK_BOUND) || sk->state != SF_TCP_CLOSED)
    return -EINVAL;
  if (port == 0)
    return pick_ephemeral(st, sk, ip);
  bool reuse = sk->flags & SF_SOCK_REUSEADDR;
  if (sf_tcp_port_in_use(st, ip, port, sk, reuse))
    return -EADDRINUSE;
  sk->laddr = ip;
  sk->lport = port;
  sk->flags |= SF_SOCK_BOUND;
  return 0;
}

/* RFC 9293 3.9.1.1 (MUST-41, MUST-42): a passive OPEN leaves the port's
 * other connections alone. */
int sf_listen(sf_stack *st, int fd, int backlog) {
  struct sf_sock *sk;
  int rc = sock_get(st, fd, &sk);
  if (rc < 0)
    return rc;
  if (sk->state != SF_TCP_CLOSED && sk->state != SF_TCP_LISTEN)
    return -EINVAL;
  if (sk->flags & (SF_SOCK_CONNECTED | SF_SOCK_RESET))
    return -EINVAL;
  if (!(sk->flags & SF_SOCK_BOUND)) {
    rc = pick_ephemeral(st, sk, 0);
    if (rc < 0)
      return rc;
  } else if (sk->state == SF_TCP_CLOSED &&
             sf_tcp_port_in_use(st, sk->laddr, sk->lport, sk, false)) {
    /* SO_REUSEADDR never lets two listeners share a port */
    for (uint32_t i = 0; i < st->socks_used; i++) {
      const struct sf_sock *o = &st->socks[i];
      if (o->used && o != sk && o->state == SF_TCP_LISTEN &&
          o->lport == sk->lport &&
          (!o->laddr || !sk->laddr || o->laddr == sk->laddr))
        return -EADDRINUSE;
    }
  }
  /* Linux compares as unsigned: a negative backlog means the largest */
  if (backlog < 0 || backlog > SOMAXCONN_LINUX)
    backlog = SOMAXCONN_LINUX;
  sk->backlog = (uint32_t)backlog;
  if (sk->state == SF_TCP_CLOSED) {
    sf_tcp_init_tcb(st, sk);
    sf_tcp_set_state(st, sk, SF_TCP_LISTEN);
  }
  return 0;
}

int sf_accept(sf_stack *st, int fd, struct sockaddr *addr, socklen_t *len) {
  struct sf_sock *lsk;
  int rc = sock_get(st, fd, &lsk);
  if (rc < 0)
    return rc;
  if (lsk->state != SF_TCP_LISTEN)
    return -EINVAL;
  struct sf_sock *child = sf_tcp_accept_head(st, lsk);
  if (!child)
    return -EAGAIN;
  rc = sf_fd_alloc(st, child);
  if (rc < 0)
    return rc;
  sf_tcp_unqueue(st, child);
  child->flags &= ~SF_SOCK_NONBLOCK; /* accept() does not inherit it */
  write_sockaddr(child->raddr, child->rport, addr, len);
  return child->fd;
}

/* RFC 9293 3.9.1.1 (MUST-46): no connection to a broadcast or multicast
 * address. */
int sf_connect(sf_stack *st, int fd, const struct sockaddr *addr,
               socklen_t len) {
  struct sf_sock *sk;
  int rc = sock_get(st, fd, &sk);
  if (rc < 0)
    return rc;
  switch (sk->state) {
  case SF_TCP_LISTEN:
    return -EINVAL;
  case SF_TCP_SYN_SENT:
  case SF_TCP_SYN_RECEIVED:
    return -EALREADY;
  case SF_TCP_CLOSED:
    break;
  default:
    /* Linux (__inet_stream_connect): the first call after the attempt
     * succeeded returns 0, as a blocking connect() would have */
    if (sk->flags & SF_SOCK_CONNECTING) {
      sk->flags &= ~SF_SOCK_CONNECTING;
      return 0;
    }
    return -EISCONN;
  }
  if (sk->flags & SF_SOCK_CONNECTING) {
    /* the attempt failed: this call reports why (once), and the socket may
     * connect again */
    int e = sk->so_error;
    sk->so_error = 0;
    sk->flags &= ~(SF_SOCK_CONNECTING | SF_SOCK_RESET);
    return e ? -e : -ECONNABORTED;
  }
  if (sk->flags & SF_SOCK_CONNECTED)
    return -EISCONN;
  uint32_t ip;
  uint16_t port;
  rc = read_sockaddr(addr, len, &ip, &port);
  if (rc < 0)
    return rc;
  if (sf_ipv4_is_bcast_or_mcast(ip) || ip == 0)
    return -ENETUNREACH;
  if (port == 0)
    return -ECONNREFUSED;
  if (!(sk->flags & SF_SOCK_BOUND)) {
    rc = pick_ephemeral(st, sk, local_addr(st));
    if (rc < 0)
      return rc;
  }
  if (sk->laddr == 0)
    sk->laddr = local_addr(st); /* MUST-44/45: one source address */
  if (sf_tcp_lookup(st, sk->laddr, sk->lport, ip, port) &&
      sf_tcp_lookup(st, sk->laddr, sk->lport, ip, port)->state != SF_TCP_LISTEN)
    return -EADDRNOTAVAIL;
  sk->raddr = ip;
  sk->rport = port;
  sk->so_error = 0;
  sk->flags &= ~(SF_SOCK_RESET | SF_SOCK_PASSIVE);
  sk->flags |= SF_SOCK_CONNECTING;
  sf_tcp_init_tcb(st, sk);
  sf_tcp_set_iss(sk, sf_tcp_new_isn(st, sk));
  sf_tcp_finish_syn_window(st, sk, false);
  sf_tcp_set_state(st, sk, SF_TCP_SYN_SENT);
  sf_tcp_send_syn(st, sk);
  sf_tcp_rexmt_arm(st, sk);
  return -EINPROGRESS;
}

/* RFC 9293 3.8.6.2.2: after the application reads, tell the peer of a
 * window that opened enough to matter. Linux waits until the window could
 * double; the RFC rule is the receiver SWS threshold. */
static void window_update(sf_stack *st, struct sf_sock *sk) {
  struct sf_tcb *tcb = &sk->tcb;
  if (sk->state < SF_TCP_ESTABLISHED || sk->state == SF_TCP_TIME_WAIT ||
      tcb->fin_rcvd)
    return;
  uint32_t offered =
      SEQ_GT(tcb->rcv_adv, tcb->rcv_nxt) ? tcb->rcv_adv - tcb->rcv_nxt : 0;
  uint32_t now = sf_tcp_rcv_window(st, sk);
  bool send;
  if (st->cfg.profile.window_update_double)
    send = now >= 2 * offered && now > offered;
  else
    send = now > offered &&
           now - offered >=
               (sk->rcvbuf / 2 < tcb->adv_mss ? sk->rcvbuf / 2 : tcb->adv_mss);
  if (send)
    sf_tcp_send_ack(st, sk);
}

static bool rd_eof(const struct sf_sock *sk) {
  return sk->tcb.fin_rcvd || (sk->flags & SF_SOCK_SHUT_RD);
}

/* Where the urgent octet (the one before RCV.UP) is in the receive queue;
 * at or past its end when it has not arrived. */
static uint32_t urgent_offset(const struct sf_sock *sk) {
  return sk->tcb.rcv_up - 1 - sf_rcv_first(sk);
}

/* Linux (tcp_recv_urg): MSG_OOB reads the urgent octet, once. */
static ssize_t recv_urgent(sf_stack *st, struct sf_sock *sk, void *buf,
                           size_t len, int flags) {
  if (!sf_urg_out_of_band(sk, st->cfg.profile.urg_oob) || sk->tcb.urg_read)
    return -EINVAL;
  uint32_t off = urgent_offset(sk);
  if (off >= sk->rcv.len)
    return rd_eof(sk) || (sk->flags & SF_SOCK_RESET) ? 0 : -EAGAIN;
  if (len == 0)
    return 0;
  if (!buf)
    return -EFAULT;
  sf_ring_peek(&sk->rcv, off, buf, 1);
  if (!(flags & MSG_PEEK))
    sk->tcb.urg_read = true;
  return 1;
}

ssize_t sf_recv(sf_stack *st, int fd, void *buf, size_t len, int flags) {
  struct sf_sock *sk;
  int rc = sock_get(st, fd, &sk);
  if (rc < 0)
    return rc;
  if (flags & ~(MSG_PEEK | MSG_DONTWAIT | MSG_WAITALL | MSG_OOB))
    return -EOPNOTSUPP;
  if (flags & MSG_OOB)
    return recv_urgent(st, sk, buf, len, flags);
  if (sk->state == SF_TCP_LISTEN)
    return -ENOTCONN;
  if (!buf && len)
    return -EFAULT;
  if (sk->rcv.len) {
    uint32_t skip = 0, avail = sk->rcv.len;
    if (len && sf_urg_out_of_band(sk, st->cfg.profile.urg_oob)) {
      /* Linux (tcp_recvmsg): a read stops in front of the urgent octet and
       * the next one steps over it */
      uint32_t off = urgent_offset(sk);
      if (off == 0)
        skip = 1;
      else if (off < avail)
        avail = off;
    }
    avail -= skip;
    uint32_t n = len < avail ? (uint32_t)len : avail;
    sf_ring_peek(&sk->rcv, skip, buf, n);
    if (!(flags & MSG_PEEK)) {
      sf_ring_consume(&sk->rcv, skip + n);
      /* the memory of segments read to their end is freed */
      sf_tcp_rq_release(&sk->tcb, sf_rcv_first(sk));
      if (sk->tcb.urg_pending && SEQ_GEQ(sf_rcv_first(sk), sk->tcb.rcv_up))
        sk->tcb.urg_pending = false;
      window_update(st, sk);
    }
    if (n || !skip)
      return (ssize_t)n;
  }
  if (len == 0)
    return 0;
  if (sk->so_error) {
    int e = sk->so_error;
    sk->so_error = 0;
    return -e;
  }
  if (rd_eof(sk) || (sk->flags & SF_SOCK_RESET))
    return 0;
  if (sk->state == SF_TCP_CLOSED)
    return -ENOTCONN;
  return -EAGAIN;
}

ssize_t sf_read(sf_stack *st, int fd, void *buf, size_t len) {
  return sf_recv(st, fd, buf, len, 0);
}

ssize_t sf_send(sf_stack *st, int fd, const void *buf, size_t len, int flags) {
  struct sf_sock *sk;
  int rc = sock_get(st, fd, &sk);
  if (rc < 0)
    return rc;
  if (flags & ~(MSG_DONTWAIT | MSG_NOSIGNAL | MSG_OOB | MSG_MORE))
    return -EOPNOTSUPP;
  if (sk->so_error) {
    int e = sk->so_error;
    sk->so_error = 0;
    return -e;
  }
  if ((sk->flags & (SF_SOCK_SHUT_WR | SF_SOCK_RESET)) || sk->tcb.fin_queued)
    return -EPIPE;
  if (sk->state == SF_TCP_SYN_SENT || sk->state == SF_TCP_SYN_RECEIVED)
    return -EAGAIN;
  if (sk->state != SF_TCP_ESTABLISHED && sk->state != SF_TCP_CLOSE_WAIT)
    return -EPIPE;
  if (!buf && len)
    return -EFAULT;
  uint32_t limit = sk->sndbuf < sk->snd.cap ? sk->sndbuf : sk->snd.cap;
  uint32_t room = limit > sk->snd.len ? limit - sk->snd.len : 0;
  if (len && room == 0)
    return -EAGAIN;
  uint32_t n = len < room ? (uint32_t)len : room;
  sf_ring_append(&sk->snd, buf, n);
  if ((flags & MSG_OOB) && n) {
    /* RFC 9293 3.8.5 (MUST-62): the pointer follows the urgent data */
    sk->tcb.snd_up = sk->tcb.snd_una + sk->snd.len;
    sk->tcb.snd_urg = true;
  }
  if (!(flags & MSG_MORE))
    sf_tcp_output(st, sk);
  return (ssize_t)n;
}

ssize_t sf_write(sf_stack *st, int fd, const void *buf, size_t len) {
  return sf_send(st, fd, buf, len, 0);
}

/* RFC 9293 3.10.4 CLOSE: queue a FIN behind the data; the state moves on
 * at once. */
static void queue_fin(sf_stack *st, struct sf_sock *sk) {
  if (sk->tcb.fin_queued)
    return;
  switch (sk->state) {
  case SF_TCP_SYN_RECEIVED:
  case SF_TCP_ESTABLISHED:
    sk->tcb.fin_queued = true;
    sf_tcp_set_state(st, sk, SF_TCP_FIN_WAIT_1);
    break;
  case SF_TCP_CLOSE_WAIT:
    sk->tcb.fin_queued = true;
    sf_tcp_set_state(st, sk, SF_TCP_LAST_ACK);
    break;
  default:
    return;
  }
  sf_tcp_output(st, sk);
}

static void close_listener(sf_stack *st, struct sf_sock *lsk);

int sf_shutdown(sf_stack *st, int fd, int how) {
  struct sf_sock *sk;
  int rc = sock_get(st, fd, &sk);
  if (rc < 0)
    return rc;
  if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR)
    return -EINVAL;
  switch (sk->state) {
  case SF_TCP_CLOSED:
    return -ENOTCONN;
  case SF_TCP_LISTEN:
    /* Linux (inet_shutdown): shutting the receiving side stops listening,
     * resetting what nobody accepted as close() does */
    if (how != SHUT_WR)
      close_listener(st, sk);
    return 0;
  case SF_TCP_SYN_SENT:
    /* Linux (tcp_disconnect): the attempt is abandoned and reported as
     * reset; the socket may connect again */
    sk->so_error = ECONNRESET;
    sk->flags &= ~SF_SOCK_CONNECTING;
    sf_tcp_set_state(st, sk, SF_TCP_CLOSED);
    return 0;
  default:
    break;
  }
  if (how != SHUT_WR)
    sk->flags |= SF_SOCK_SHUT_RD;
  if (how != SHUT_RD) {
    sk->flags |= SF_SOCK_SHUT_WR;
    queue_fin(st, sk);
  }
  return 0;
}

/* RFC 9293 3.10.4 ABORT: a RST and the connection is gone. */
static void abort_conn(sf_stack *st, struct sf_sock *sk) {
  if (sk->state >= SF_TCP_SYN_RECEIVED && sk->state != SF_TCP_TIME_WAIT)
    sf_tcp_send_rst_conn(st, sk);
  sf_tcp_drop(st, sk, 0);
}

/* Closing a listener resets the connections nobody accepted (Linux). */
static void close_listener(sf_stack *st, struct sf_sock *lsk) {
  int32_t self = (int32_t)(lsk - st->socks);
  for (uint32_t i = 0; i < st->socks_used; i++) {
    struct sf_sock *c = &st->socks[i];
    if (!c->used || c->parent != self)
      continue;
    if (c->flags & SF_SOCK_CONNECTED) {
      sf_tcp_unqueue(st, c);
      c->flags |= SF_SOCK_ORPHAN;
      abort_conn(st, c);
    } else {
      sf_tcp_drop(st, c, 0);
    }
  }
  sf_tcp_set_state(st, lsk, SF_TCP_CLOSED);
}

int sf_close(sf_stack *st, int fd) {
  struct sf_sock *sk;
  int rc = sock_get(st, fd, &sk);
  if (rc < 0)
    return rc;
  sf_fd_release(st, sk);
  sk->flags |= SF_SOCK_ORPHAN;
  switch (sk->state) {
  case SF_TCP_CLOSED:
    sf_tcp_closed(st, sk);
    return 0;
  case SF_TCP_LISTEN:
    close_listener(st, sk);
    return 0;
  case SF_TCP_SYN_SENT:
    sf_tcp_set_state(st, sk, SF_TCP_CLOSED);
    return 0;
  default:
    break;
  }
  /* SO_LINGER with a zero timeout, or unread data (RFC 9293 SHLD-3): RST */
  bool linger0 = (sk->flags & SF_SOCK_LINGER) && sk->linger_s == 0;
  if (linger0 || sk->rcv.len) {
    abort_conn(st, sk);
    return 0;
  }
  sk->flags |= SF_SOCK_SHUT_RD | SF_SOCK_SHUT_WR;
  queue_fin(st, sk);
  if (sk->state == SF_TCP_FIN_WAIT_2 && st->cfg.profile.fin_wait2_timeout_us)
    sf_tcp_timer_set(sk, SF_T_2MSL,
                     st->now_us + st->cfg.profile.fin_wait2_timeout_us);
  return 0;
}

static int get_int(const void *val, socklen_t len, int *out) {
  if (!val || len < (socklen_t)sizeof(int))
    return -EINVAL;
  memcpy(out, val, sizeof(int));
  return 0;
}

/* Linux doubles SO_RCVBUF/SO_SNDBUF for its bookkeeping; we do the same so
 * scripts read back what they read back on Linux. The value counts as
 * unsigned there: a negative one asks for the most. */
static uint32_t buf_size(uint32_t v, uint32_t max, uint32_t floor,
                         uint32_t cap) {
  uint64_t d = 2 * (uint64_t)(v < max ? v : max);
  if (d < floor)
    d = floor;
  return d > cap ? cap : (uint32_t)d;
}

static void set_flag(struct sf_sock *sk, uint32_t flag, int on) {
  if (on)
    sk->flags |= flag;
  else
    sk->flags &= ~flag;
}

static int sol_socket_set(sf_stack *st, struct sf_sock *sk, int name,
                          const void *val, socklen_t len) {
  int v, rc;
  if ((rc = get_int(val, len, &v)) < 0)
    return rc; /* Linux (sk_setsockopt): before it looks at the name */
  switch (name) {
  case SO_REUSEADDR:
    set_flag(sk, SF_SOCK_REUSEADDR, v);
    return 0;
  case SO_OOBINLINE:
    set_flag(sk, SF_SOCK_OOBINLINE, v);
    return 0;
  case SO_KEEPALIVE:
    set_flag(sk, SF_SOCK_KEEPALIVE, v);
    /* RFC 9293 3.8.4 (MUST-24): per connection, on or off */
    if (sk->state >= SF_TCP_ESTABLISHED)
      sf_tcp_keep_arm(st, sk);
    return 0;
  case SO_LINGER: {
    struct linger l;
    if (!val || len < (socklen_t)sizeof(l))
      return -EINVAL;
    memcpy(&l, val, sizeof(l));
    set_flag(sk, SF_SOCK_LINGER, l.l_onoff);
    sk->linger_s = l.l_linger < 0 ? 0 : (uint32_t)l.l_linger;
    return 0;
  }
  case SO_RCVBUF:
    sk->rcvbuf = buf_size((uint32_t)v, st->cfg.profile.rmem_max,
                          SOCK_MIN_RCVBUF, UINT32_MAX);
    sk->flags |= SF_SOCK_RCVBUF_LOCK;
    return 0;
  case SO_SNDBUF:
    sk->sndbuf =
        buf_size((uint32_t)v, UINT32_MAX, SOCK_MIN_SNDBUF, sk->snd.cap);
    return 0;
  default:
    return -ENOPROTOOPT;
  }
}

static int tcp_set(sf_stack *st, struct sf_sock *sk, int name, const void *val,
                   socklen_t len) {
  int v;
  int rc = get_int(val, len, &v);
  if (rc < 0)
    return rc;
  switch (name) {
  case TCP_NODELAY:
    /* RFC 9293 3.7.4 (MUST-17): Nagle can be turned off per connection */
    set_flag(sk, SF_SOCK_NODELAY, v);
    if (v && sk->state >= SF_TCP_ESTABLISHED)
      sf_tcp_output(st, sk);
    return 0;
  case TCP_MAXSEG:
    if (v < 88 || v > 32767)
      return -EINVAL; /* Linux: TCP_MIN_MSS to MAX_TCP_WINDOW */
    sk->user_mss = (uint16_t)v;
    return 0;
  case TCP_USER_TIMEOUT:
    if (v < 0)
      return -EINVAL;
    sk->user_timeout_ms = (uint32_t)v; /* MUST-21: R2 per connection */
    return 0;
  case TCP_KEEPIDLE:
  case TCP_KEEPINTVL:
    if (v < 1 || v > 32767)
      return -EINVAL;
    if (name == TCP_KEEPIDLE)
      sk->keepidle_s = (uint32_t)v; /* MUST-27 */
    else
      sk->keepintvl_s = (uint32_t)v;
    if (sk->state >= SF_TCP_ESTABLISHED)
      sf_tcp_keep_arm(st, sk);
    return 0;
  case TCP_KEEPCNT:
    if (v < 1 || v > 127)
      return -EINVAL;
    sk->keepcnt = (uint32_t)v;
    return 0;
  default:
    return -ENOPROTOOPT;
  }
}

/* RFC 9293 3.9.2.1 (MUST-51, MUST-52): the application's source route, in
 * Linux's IP_OPTIONS form (first hop first), replaces any route received
 * and is kept; empty options take it away. */
static int set_ip_options(struct sf_sock *sk, const void *val, socklen_t len) {
  struct sf_ip_route r;
  int rc = sf_ip_route_from_user(&r, val, (size_t)len);
  if (rc < 0)
    return rc;
  sf_tcp_set_route(sk, &r);
  return 0;
}

int sf_setsockopt(sf_stack *st, int fd, int level, int name, const void *val,
                  socklen_t len) {
  struct sf_sock *sk;
  int rc = sock_get(st, fd, &sk);
  if (rc < 0)
    return rc;
  if (level == SOL_SOCKET)
    return sol_socket_set(st, sk, name, val, len);
  if (level == IPPROTO_TCP)
    return tcp_set(st, sk, name, val, len);
  if (level == IPPROTO_IP && name == IP_OPTIONS)
    return set_ip_options(sk, val, len);
  if (level == IPPROTO_IP && name == IP_TOS) {
    /* Linux (do_ip_setsockopt) takes an int or a single byte, and keeps
     * the ECN bits of a TCP socket to itself */
    int v = 0;
    if (len > 0 && !val)
      return -EFAULT;
    if (len >= (socklen_t)sizeof(int))
      memcpy(&v, val, sizeof(int));
    else if (len > 0)
      v = *(const uint8_t *)val;
    sk->tos = (uint8_t)(v & ~IPTOS_ECN_MASK); /* MUST-48, SHLD-21 */
    return 0;
  }
  return -ENOPROTOOPT;
}

/* Linux (sk_getsockopt, do_tcp_getsockopt) copies as much of the value as
 * the caller has room for. */
static int put_opt(void *val, socklen_t *len, const void *v, size_t size) {
  if (!len)
    return -EFAULT;
  socklen_t n = *len < (socklen_t)size ? *len : (socklen_t)size;
  if (n && !val)
    return -EFAULT;
  memcpy(val, v, (size_t)n);
  *len = n;
  return 0;
}

static int put_int(void *val, socklen_t *len, int v) {
  return put_opt(val, len, &v, sizeof(v));
}

static int sol_socket_get(struct sf_sock *sk, int name, void *val,
                          socklen_t *len) {
  switch (name) {
  case SO_REUSEADDR:
    return put_int(val, len, !!(sk->flags & SF_SOCK_REUSEADDR));
  case SO_KEEPALIVE:
    return put_int(val, len, !!(sk->flags & SF_SOCK_KEEPALIVE));
  case SO_OOBINLINE:
    return put_int(val, len, !!(sk->flags & SF_SOCK_OOBINLINE));
  case SO_RCVBUF:
    return put_int(val, len, (int)sk->rcvbuf);
  case SO_SNDBUF:
    return put_int(val, len, (int)sk->sndbuf);
  case SO_TYPE:
    return put_int(val, len, SOCK_STREAM);
  case SO_ERROR: {
    int e = sk->so_error ? sk->so_error : sk->soft_error;
    sk->so_error = 0;
    sk->soft_error = 0;
    return put_int(val, len, e);
  }
  case SO_LINGER: {
    struct linger l = {.l_onoff = !!(sk->flags & SF_SOCK_LINGER),
                       .l_linger = (int)sk->linger_s};
    return put_opt(val, len, &l, sizeof(l));
  }
  default:
    return -ENOPROTOOPT;
  }
}

static int tcp_get(const sf_stack *st, struct sf_sock *sk, int name, void *val,
                   socklen_t *len) {
  switch (name) {
  case TCP_NODELAY:
    return put_int(val, len, !!(sk->flags & SF_SOCK_NODELAY));
  case TCP_MAXSEG:
    if (sk->state >= SF_TCP_ESTABLISHED || sk->state == SF_TCP_SYN_RECEIVED)
      return put_int(val, len, sk->tcb.mss);
    return put_int(val, len,
                   sk->user_mss ? sk->user_mss
                                : (int)st->cfg.profile.mss_default);
  case TCP_USER_TIMEOUT:
    return put_int(val, len, (int)sk->user_timeout_ms);
  case TCP_KEEPIDLE:
    return put_int(val, len,
                   sk->keepidle_s ? (int)sk->keepidle_s
                                  : (int)st->cfg.profile.keepidle_s);
  case TCP_KEEPINTVL:
    return put_int(val, len,
                   sk->keepintvl_s ? (int)sk->keepintvl_s
                                   : (int)st->cfg.profile.keepintvl_s);
  case TCP_KEEPCNT:
    return put_int(val, len,
                   sk->keepcnt ? (int)sk->keepcnt
                               : (int)st->cfg.profile.keepcnt);
  default:
    return -ENOPROTOOPT;
  }
}

int sf_getsockopt(sf_stack *st, int fd, int level, int name, void *val,
                  socklen_t *len) {
  struct sf_sock *sk;
  int rc = sock_get(st, fd, &sk);
  if (rc < 0)
    return rc;
  if (level == SOL_SOCKET)
    return sol_socket_get(sk, name, val, len);
  if (level == IPPROTO_TCP)
    return tcp_get(st, sk, name, val, len);
  if (level == IPPROTO_IP && name == IP_TOS)
    return put_int(val, len, sk->tos);
  return -ENOPROTOOPT;
}

int sf_fcntl(sf_stack *st, int fd, int cmd, int arg) {
  struct sf_sock *sk;
  int rc = sock_get(st, fd, &sk);
  if (rc < 0)
    return rc;
  switch (cmd) {
  case F_GETFL:
    return O_RDWR | ((sk->flags & SF_SOCK_NONBLOCK) ? O_NONBLOCK : 0);
  case F_SETFL:
    if (arg & O_NONBLOCK)
      sk->flags |= SF_SOCK_NONBLOCK;
    else
      sk->flags &= ~SF_SOCK_NONBLOCK;
    return 0;
  default:
    return -EINVAL;
  }
}

/* What poll() reports, following Linux's tcp_poll(). */
static short poll_events(const sf_stack *st, const struct sf_sock *sk) {
  short ev = 0;
  if (sk->state == SF_TCP_LISTEN)
    return sk->q_head >= 0 ? POLLIN : 0;
  if (sk->so_error)
    ev |= POLLERR;
  bool rd_shut = rd_eof(sk) || (sk->flags & SF_SOCK_RESET);
  bool wr_shut = (sk->flags & SF_SOCK_SHUT_WR) || sk->tcb.fin_queued ||
                 (sk->flags & SF_SOCK_RESET);
  if ((rd_shut && wr_shut) || sk->state == SF_TCP_CLOSED)
    ev |= POLLHUP;
  if (rd_shut)
    ev |= POLLIN;
  bool oob = sf_urg_out_of_band(sk, st->cfg.profile.urg_oob);
  /* Linux (tcp_poll): an urgent octet alone at the read mark is not data */
  if (sk->rcv.len > (oob && urgent_offset(sk) == 0 ? 1u : 0u))
    ev |= POLLIN;
  /* RFC 9293 3.8.5 (MUST-32): urgent data signalled; Linux waits for the
   * urgent octet and stops once MSG_OOB took it */
  if (st->cfg.profile.urg_oob ? sk->tcb.urg_pending && !sk->tcb.urg_read &&
                                    urgent_offset(sk) < sk->rcv.len
                              : sk->tcb.urg_pending)
    ev |= POLLPRI;
  bool connected =
      sk->state == SF_TCP_ESTABLISHED || sk->state == SF_TCP_CLOSE_WAIT;
  if (connected && !wr_shut) {
    uint32_t limit = sk->sndbuf < sk->snd.cap ? sk->sndbuf : sk->snd.cap;
    uint32_t room = limit > sk->snd.len ? limit - sk->snd.len : 0;
    if (room >= sk->snd.len / 2 && room > 0)
      ev |= POLLOUT;
  } else if (wr_shut || sk->state == SF_TCP_CLOSED) {
    ev |= POLLOUT;
  }
  return ev;
}

int sf_poll(sf_stack *st, struct pollfd *fds, nfds_t nfds) {
  if (!fds && nfds)
    return -EFAULT;
  int ready = 0;
  for (nfds_t i = 0; i < nfds; i++) {
    fds[i].revents = 0;
    if (fds[i].fd < 0)
      continue;
    struct sf_sock *sk = sf_sock_from_fd(st, fds[i].fd);
    if (!sk) {
      fds[i].revents = POLLNVAL;
    } else {
      short ev = poll_events(st, sk);
      fds[i].revents =
          (short)(ev & (fds[i].events | POLLERR | POLLHUP | POLLNVAL));
    }
    if (fds[i].revents)
      ready++;
  }
  return ready;
}

int sf_getsockname(sf_stack *st, int fd, struct sockaddr *addr,
                   socklen_t *len) {
  struct sf_sock *sk;
  int rc = sock_get(st, fd, &sk);
  if (rc < 0)
    return rc;
  if (!addr || !len)
    return -EFAULT;
  write_sockaddr(sk->laddr, sk->lport, addr, len);
  return 0;
}

int sf_getpeername(sf_stack *st, int fd, struct sockaddr *addr,
                   socklen_t *len) {
  struct sf_sock *sk;
  int rc = sock_get(st, fd, &sk);
  if (rc < 0)
    return rc;
  if (sk->state == SF_TCP_CLOSED || sk->state == SF_TCP_LISTEN ||
      sk->state == SF_TCP_SYN_SENT)
    return -ENOTCONN;
  if (!addr || !len)
    return -EFAULT;
  write_sockaddr(sk->raddr, sk->rport, addr, len);
  return 0;
}
