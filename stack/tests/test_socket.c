/* The BSD-like socket API (RFC 9293 3.9.1 user interface) with Linux's
 * errno choices: descriptors, socket, bind, listen, accept, connect,
 * read/recv, write/send, shutdown, close, the socket options, fcntl, poll
 * and the address calls; last, a whole connection that must not allocate. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>

#include "synfin/bytes.h"
#include "tcp.h"
#include "test_util.h"

#define MS 1000u
#define SEC 1000000u
#define EPHEMERAL_LOW 32768
#define EPHEMERAL_HIGH 60999

static struct tu t;

static void setup(void) {
  tu_setup(&t, SF_PROFILE_LINUX);
}

static void teardown(void) {
  tu_teardown(&t);
}

/* A fresh stack of the linux profile with another socket table size. */
static void restart_with_sockets(uint32_t n) {
  tu_teardown(&t);
  tu_init(&t, SF_PROFILE_LINUX);
  t.cfg.max_sockets = n;
  tu_start(&t);
}

static int new_socket(void) {
  int fd = sf_socket(t.st, AF_INET, SOCK_STREAM, 0);
  ck_assert_int_ge(fd, 3);
  return fd;
}

static struct sockaddr_in addr_in(uint32_t ip, uint16_t port) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(ip);
  return a;
}

static int bind_to(int fd, uint32_t ip, uint16_t port) {
  struct sockaddr_in a = addr_in(ip, port);
  return sf_bind(t.st, fd, (struct sockaddr *)&a, sizeof(a));
}

static int connect_to(int fd, uint32_t ip, uint16_t port) {
  struct sockaddr_in a = addr_in(ip, port);
  return sf_connect(t.st, fd, (struct sockaddr *)&a, sizeof(a));
}

static int set_int(int fd, int level, int name, int v) {
  return sf_setsockopt(t.st, fd, level, name, &v, sizeof(v));
}

static int get_int(int fd, int level, int name) {
  int v = -1;
  socklen_t len = sizeof(v);
  ck_assert_int_eq(sf_getsockopt(t.st, fd, level, name, &v, &len), 0);
  ck_assert_uint_eq(len, sizeof(v));
  return v;
}

static void reuseaddr(int fd) {
  ck_assert_int_eq(set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1), 0);
}

static struct sockaddr_in sock_name(int fd) {
  struct sockaddr_in a;
  socklen_t len = sizeof(a);
  ck_assert_int_eq(sf_getsockname(t.st, fd, (struct sockaddr *)&a, &len), 0);
  ck_assert_uint_eq(len, sizeof(a));
  ck_assert_int_eq(a.sin_family, AF_INET);
  return a;
}

static uint16_t local_port(int fd) {
  return ntohs(sock_name(fd).sin_port);
}

static void expect_ephemeral(uint16_t port) {
  ck_assert_int_ge(port, EPHEMERAL_LOW);
  ck_assert_int_le(port, EPHEMERAL_HIGH);
}

static short poll_one(int fd, short events) {
  struct pollfd p = {.fd = fd, .events = events, .revents = -1};
  int n = sf_poll(t.st, &p, 1);
  ck_assert_int_eq(n, p.revents ? 1 : 0);
  return p.revents;
}

static void open_conn(struct tu_conn *c) {
  tu_open_passive(&t, c, tu_opts_mss, sizeof(tu_opts_mss));
}

/* The peer sends len bytes of text (with flags) at its next sequence
 * number; the stack's ACK is popped (all the stack sent is acknowledged). */
static void peer_sends(struct tu_conn *c, const void *text, uint32_t len,
                       uint8_t flags) {
  struct tu_seg s = {.flags = TH_ACK | flags, .data = text, .len = len};
  tu_conn_send_seg(&t, c, &s);
  c->seq += len + !!(flags & TH_FIN);
  tu_conn_expect(&t, c, TH_ACK, c->ack - c->iss, c->seq - c->irs, 0);
}

/* connect() answered by <RST,ACK>: the attempt is refused. */
static void refused(struct tu_conn *c) {
  tu_syn_sent(&t, c);
  tu_conn_send(&t, c, TH_RST | TH_ACK, 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c->fd), SF_TCP_CLOSED);
}

/* An established connection reset by the peer. */
static void reset_by_peer(struct tu_conn *c) {
  open_conn(c);
  tu_conn_send(&t, c, TH_RST, 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c->fd), SF_TCP_CLOSED);
}

/* Writes until the send buffer is full (the stack sends what the windows
 * allow); returns the bytes taken. */
static uint32_t fill_send_buffer(int fd) {
  static const uint8_t zeros[4096];
  uint32_t total = 0;
  for (;;) {
    ssize_t n = sf_write(t.st, fd, zeros, sizeof(zeros));
    if (n == -EAGAIN)
      return total;
    ck_assert_int_gt(n, 0);
    total += (uint32_t)n;
  }
}

/* --- descriptors and socket() ----------------------------------------- */

START_TEST(test_socket_first_descriptor_is_3) {
  ck_assert_int_eq(sf_socket(t.st, AF_INET, SOCK_STREAM, 0), 3);
}
END_TEST

START_TEST(test_socket_reuses_lowest_free_descriptor) {
  ck_assert_int_eq(new_socket(), 3);
  ck_assert_int_eq(new_socket(), 4);
  ck_assert_int_eq(new_socket(), 5);
  ck_assert_int_eq(sf_close(t.st, 4), 0);
  ck_assert_int_eq(sf_close(t.st, 3), 0);
  ck_assert_int_eq(new_socket(), 3);
  ck_assert_int_eq(new_socket(), 4);
  ck_assert_int_eq(new_socket(), 6);
}
END_TEST

START_TEST(test_socket_accept_takes_lowest_free_descriptor) {
  struct tu_conn c;
  int lfd = tu_listen(&t, 8080, 16);
  int a = new_socket();
  ck_assert_int_eq(sf_close(t.st, a), 0);
  tu_handshake(&t, &c, lfd, 8080, 40000, 1000000, NULL, 0);
  ck_assert_int_eq(sf_accept(t.st, lfd, NULL, NULL), a);
}
END_TEST

START_TEST(test_socket_other_domain_is_eafnosupport) {
  ck_assert_int_eq(sf_socket(t.st, AF_INET6, SOCK_STREAM, 0), -EAFNOSUPPORT);
  ck_assert_int_eq(sf_socket(t.st, AF_UNIX, SOCK_STREAM, 0), -EAFNOSUPPORT);
  ck_assert_int_eq(sf_socket(t.st, -1, SOCK_STREAM, 0), -EAFNOSUPPORT);
}
END_TEST

/* The stack has TCP only; Linux would make UDP and raw sockets. */
START_TEST(test_socket_other_type_is_eprotonosupport) {
  ck_assert_int_eq(sf_socket(t.st, AF_INET, SOCK_DGRAM, 0), -EPROTONOSUPPORT);
  ck_assert_int_eq(sf_socket(t.st, AF_INET, SOCK_RAW, IPPROTO_TCP),
                   -EPROTONOSUPPORT);
}
END_TEST

/* Linux (__sys_socket, __sock_create): unknown flags in the type, or a
 * type past SOCK_PACKET, are invalid. */
START_TEST(test_socket_unknown_type_or_flag_is_einval) {
  ck_assert_int_eq(sf_socket(t.st, AF_INET, SOCK_STREAM | 0x10000, 0), -EINVAL);
  ck_assert_int_eq(sf_socket(t.st, AF_INET, 15, 0), -EINVAL);
  ck_assert_int_eq(sf_socket(t.st, AF_INET, -1, 0), -EINVAL);
}
END_TEST

START_TEST(test_socket_other_protocol_is_eprotonosupport) {
  ck_assert_int_eq(sf_socket(t.st, AF_INET, SOCK_STREAM, IPPROTO_UDP),
                   -EPROTONOSUPPORT);
  ck_assert_int_eq(sf_socket(t.st, AF_INET, SOCK_STREAM, IPPROTO_TCP), 3);
}
END_TEST

START_TEST(test_socket_nonblock_flag_sets_o_nonblock) {
  int fd = sf_socket(t.st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  ck_assert_int_eq(fd, 3);
  ck_assert_int_eq(sf_fcntl(t.st, fd, F_GETFL, 0), O_RDWR | O_NONBLOCK);
  int fd2 = sf_socket(t.st, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ck_assert_int_eq(sf_fcntl(t.st, fd2, F_GETFL, 0), O_RDWR);
}
END_TEST

START_TEST(test_socket_with_every_descriptor_taken_is_emfile) {
  restart_with_sockets(4);
  for (int i = 0; i < 4; i++)
    ck_assert_int_eq(new_socket(), 3 + i);
  ck_assert_int_eq(sf_socket(t.st, AF_INET, SOCK_STREAM, 0), -EMFILE);
  ck_assert_int_eq(sf_close(t.st, 5), 0);
  ck_assert_int_eq(new_socket(), 5);
}
END_TEST

/* A connection nobody accepted holds a slot without a descriptor: the
 * table of the "system" is full, not the process's (ENFILE). */
START_TEST(test_socket_with_slots_held_by_connections_is_enfile) {
  restart_with_sockets(2);
  struct tu_conn c;
  int lfd = tu_listen(&t, 8080, 16);
  tu_handshake(&t, &c, lfd, 8080, 40000, 1000000, NULL, 0);
  ck_assert_int_eq(sf_socket(t.st, AF_INET, SOCK_STREAM, 0), -ENFILE);
  ck_assert_int_eq(sf_accept(t.st, lfd, NULL, NULL), 4);
  ck_assert_int_eq(sf_socket(t.st, AF_INET, SOCK_STREAM, 0), -EMFILE);
}
END_TEST

START_TEST(test_calls_on_bad_descriptor_are_ebadf) {
  int closed = new_socket();
  ck_assert_int_eq(sf_close(t.st, closed), 0);
  const int bad[] = {-1, 0, 2, closed, 4, 99, 1 << 20};
  struct sockaddr_in a = addr_in(TU_REMOTE, 8080);
  struct sockaddr *sa = (struct sockaddr *)&a;
  socklen_t len = sizeof(a);
  int v = 1;
  socklen_t vlen = sizeof(v);
  char b[4];
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    int fd = bad[i];
    ck_assert_int_eq(sf_bind(t.st, fd, sa, sizeof(a)), -EBADF);
    ck_assert_int_eq(sf_listen(t.st, fd, 1), -EBADF);
    ck_assert_int_eq(sf_accept(t.st, fd, NULL, NULL), -EBADF);
    ck_assert_int_eq(sf_connect(t.st, fd, sa, sizeof(a)), -EBADF);
    ck_assert_int_eq(sf_read(t.st, fd, b, sizeof(b)), -EBADF);
    ck_assert_int_eq(sf_recv(t.st, fd, b, sizeof(b), 0), -EBADF);
    ck_assert_int_eq(sf_write(t.st, fd, b, sizeof(b)), -EBADF);
    ck_assert_int_eq(sf_send(t.st, fd, b, sizeof(b), 0), -EBADF);
    ck_assert_int_eq(sf_shutdown(t.st, fd, SHUT_RDWR), -EBADF);
    ck_assert_int_eq(sf_close(t.st, fd), -EBADF);
    ck_assert_int_eq(
        sf_setsockopt(t.st, fd, SOL_SOCKET, SO_REUSEADDR, &v, sizeof(v)),
        -EBADF);
    ck_assert_int_eq(
        sf_getsockopt(t.st, fd, SOL_SOCKET, SO_REUSEADDR, &v, &vlen), -EBADF);
    ck_assert_int_eq(sf_fcntl(t.st, fd, F_GETFL, 0), -EBADF);
    ck_assert_int_eq(sf_getsockname(t.st, fd, sa, &len), -EBADF);
    ck_assert_int_eq(sf_getpeername(t.st, fd, sa, &len), -EBADF);
  }
}
END_TEST

/* --- bind() -------------------------------------------------------------- */

START_TEST(test_bind_twice_is_einval) {
  int fd = new_socket();
  ck_assert_int_eq(bind_to(fd, TU_LOCAL, 8080), 0);
  ck_assert_int_eq(bind_to(fd, TU_LOCAL, 8081), -EINVAL);
}
END_TEST

START_TEST(test_bind_short_address_is_einval) {
  int fd = new_socket();
  struct sockaddr_in a = addr_in(TU_LOCAL, 8080);
  ck_assert_int_eq(sf_bind(t.st, fd, (struct sockaddr *)&a, sizeof(a) - 1),
                   -EINVAL);
  ck_assert_int_eq(sf_bind(t.st, fd, NULL, 0), -EINVAL);
}
END_TEST

START_TEST(test_bind_other_family_is_eafnosupport) {
  int fd = new_socket();
  struct sockaddr_in a = addr_in(TU_LOCAL, 8080);
  a.sin_family = AF_INET6;
  ck_assert_int_eq(sf_bind(t.st, fd, (struct sockaddr *)&a, sizeof(a)),
                   -EAFNOSUPPORT);
}
END_TEST

/* RFC 9293 3.9.1.1 (MUST-43): a local address must be one of ours. */
START_TEST(test_bind_foreign_address_is_eaddrnotavail) {
  int fd = new_socket();
  ck_assert_int_eq(bind_to(fd, TU_REMOTE, 8080), -EADDRNOTAVAIL);
  ck_assert_int_eq(bind_to(fd, TU_LOCAL, 8080), 0);
  /* Linux checks the address before whether the socket is bound */
  ck_assert_int_eq(bind_to(fd, TU_REMOTE, 8081), -EADDRNOTAVAIL);
}
END_TEST

START_TEST(test_bind_any_address_is_allowed) {
  int fd = new_socket();
  ck_assert_int_eq(bind_to(fd, INADDR_ANY, 8080), 0);
  struct sockaddr_in a = sock_name(fd);
  ck_assert_uint_eq(ntohl(a.sin_addr.s_addr), INADDR_ANY);
  ck_assert_uint_eq(ntohs(a.sin_port), 8080);
}
END_TEST

START_TEST(test_bind_port_in_use_is_eaddrinuse) {
  ck_assert_int_eq(bind_to(new_socket(), TU_LOCAL, 8080), 0);
  ck_assert_int_eq(bind_to(new_socket(), TU_LOCAL, 8080), -EADDRINUSE);
  ck_assert_int_eq(bind_to(new_socket(), INADDR_ANY, 8080), -EADDRINUSE);
}
END_TEST

START_TEST(test_bind_any_address_holds_the_port_for_ours) {
  ck_assert_int_eq(bind_to(new_socket(), INADDR_ANY, 8080), 0);
  ck_assert_int_eq(bind_to(new_socket(), TU_LOCAL, 8080), -EADDRINUSE);
}
END_TEST

START_TEST(test_reuseaddr_allows_bind_next_to_bound_socket) {
  int a = new_socket(), b = new_socket();
  reuseaddr(a);
  reuseaddr(b);
  ck_assert_int_eq(bind_to(a, TU_LOCAL, 8080), 0);
  ck_assert_int_eq(bind_to(b, TU_LOCAL, 8080), 0);
}
END_TEST

/* Linux: SO_REUSEADDR must be set on both sockets. */
START_TEST(test_reuseaddr_on_one_socket_only_is_eaddrinuse) {
  int a = new_socket(), b = new_socket();
  reuseaddr(b);
  ck_assert_int_eq(bind_to(a, TU_LOCAL, 8080), 0);
  ck_assert_int_eq(bind_to(b, TU_LOCAL, 8080), -EADDRINUSE);
}
END_TEST

/* A listener on 8080 (SO_REUSEADDR as given, inherited by its children)
 * whose accepted connection is closed into TIME-WAIT; the listener is
 * closed too. */
static void time_wait_on_8080(struct tu_conn *c, bool reuse) {
  int lfd = new_socket();
  if (reuse)
    reuseaddr(lfd);
  ck_assert_int_eq(bind_to(lfd, TU_LOCAL, 8080), 0);
  ck_assert_int_eq(sf_listen(t.st, lfd, 16), 0);
  tu_handshake(&t, c, lfd, 8080, 40000, 1000000, NULL, 0);
  c->fd = sf_accept(t.st, lfd, NULL, NULL);
  ck_assert_int_eq(sf_close(t.st, lfd), 0);
  ck_assert_int_eq(sf_close(t.st, c->fd), 0);
  tu_conn_expect(&t, c, TH_FIN | TH_ACK, 1, 1, 0);
  c->ack++;
  tu_conn_send(&t, c, TH_FIN | TH_ACK, 0);
  tu_conn_expect(&t, c, TH_ACK, 2, 2, 0);
  ck_assert_int_eq(tu_conn_state(&t, c), SF_TCP_TIME_WAIT);
}

START_TEST(test_reuseaddr_allows_bind_next_to_time_wait) {
  struct tu_conn c;
  time_wait_on_8080(&c, true);
  int fd = new_socket();
  reuseaddr(fd);
  ck_assert_int_eq(bind_to(fd, TU_LOCAL, 8080), 0);
  ck_assert_int_eq(sf_listen(t.st, fd, 16), 0);
  ck_assert_int_eq(tu_conn_state(&t, &c), SF_TCP_TIME_WAIT);
}
END_TEST

START_TEST(test_bind_next_to_time_wait_without_reuseaddr_is_eaddrinuse) {
  struct tu_conn c;
  time_wait_on_8080(&c, false);
  ck_assert_int_eq(bind_to(new_socket(), TU_LOCAL, 8080), -EADDRINUSE);
}
END_TEST

START_TEST(test_reuseaddr_bind_next_to_listener_is_eaddrinuse) {
  int a = new_socket(), b = new_socket();
  reuseaddr(a);
  reuseaddr(b);
  ck_assert_int_eq(bind_to(a, TU_LOCAL, 8080), 0);
  ck_assert_int_eq(sf_listen(t.st, a, 16), 0);
  ck_assert_int_eq(bind_to(b, TU_LOCAL, 8080), -EADDRINUSE);
}
END_TEST

START_TEST(test_reuseaddr_second_listener_on_shared_port_is_eaddrinuse) {
  int a = new_socket(), b = new_socket();
  reuseaddr(a);
  reuseaddr(b);
  ck_assert_int_eq(bind_to(a, TU_LOCAL, 8080), 0);
  ck_assert_int_eq(bind_to(b, TU_LOCAL, 8080), 0);
  ck_assert_int_eq(sf_listen(t.st, a, 16), 0);
  ck_assert_int_eq(sf_listen(t.st, b, 16), -EADDRINUSE);
}
END_TEST

START_TEST(test_bind_port_zero_picks_ephemeral_port) {
  int fd = new_socket();
  ck_assert_int_eq(bind_to(fd, TU_LOCAL, 0), 0);
  expect_ephemeral(local_port(fd));
  ck_assert_uint_eq(ntohl(sock_name(fd).sin_addr.s_addr), TU_LOCAL);
  int fd2 = new_socket();
  ck_assert_int_eq(bind_to(fd2, TU_LOCAL, 0), 0);
  ck_assert_int_ne(local_port(fd2), local_port(fd));
}
END_TEST

static uint16_t ephemeral_port_with_seed(uint64_t seed) {
  tu_teardown(&t);
  tu_init(&t, SF_PROFILE_LINUX);
  t.cfg.seed = seed;
  tu_start(&t);
  int fd = new_socket();
  ck_assert_int_eq(bind_to(fd, INADDR_ANY, 0), 0);
  return local_port(fd);
}

START_TEST(test_ephemeral_port_is_the_same_for_a_seed) {
  uint16_t p = ephemeral_port_with_seed(7);
  expect_ephemeral(p);
  ck_assert_uint_eq(ephemeral_port_with_seed(7), p);
}
END_TEST

START_TEST(test_ephemeral_port_differs_between_seeds) {
  uint16_t p = ephemeral_port_with_seed(7);
  ck_assert_uint_ne(ephemeral_port_with_seed(8), p);
}
END_TEST

/* RFC 9293 3.9.1.1 (MUST-44/45): an active OPEN without a local address
 * takes ours, and an ephemeral port. */
START_TEST(test_connect_without_bind_takes_our_address_and_ephemeral_port) {
  int fd = tu_connect(&t);
  struct tu_out o;
  tu_pop(&t, &o);
  struct sockaddr_in a = sock_name(fd);
  ck_assert_uint_eq(ntohl(a.sin_addr.s_addr), TU_LOCAL);
  ck_assert_uint_eq(ntohs(a.sin_port), o.sport);
  ck_assert_uint_eq(o.src, TU_LOCAL);
  expect_ephemeral(o.sport);
}
END_TEST

/* --- listen() and accept() ----------------------------------------------- */

START_TEST(test_listen_without_bind_takes_ephemeral_port) {
  int fd = new_socket();
  ck_assert_int_eq(sf_listen(t.st, fd, 16), 0);
  struct sockaddr_in a = sock_name(fd);
  ck_assert_uint_eq(ntohl(a.sin_addr.s_addr), INADDR_ANY);
  expect_ephemeral(ntohs(a.sin_port));
  ck_assert_int_eq(tu_state(&t, fd), SF_TCP_LISTEN);
}
END_TEST

START_TEST(test_listen_on_connected_socket_is_einval) {
  struct tu_conn c;
  tu_open_active(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  ck_assert_int_eq(sf_listen(t.st, c.fd, 16), -EINVAL);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_ESTABLISHED);
}
END_TEST

START_TEST(test_listen_while_connecting_is_einval) {
  struct tu_conn c;
  tu_syn_sent(&t, &c);
  ck_assert_int_eq(sf_listen(t.st, c.fd, 16), -EINVAL);
}
END_TEST

START_TEST(test_listen_again_on_listener_is_allowed) {
  int lfd = tu_listen(&t, 8080, 16);
  ck_assert_int_eq(sf_listen(t.st, lfd, 4), 0);
  ck_assert_int_eq(tu_state(&t, lfd), SF_TCP_LISTEN);
}
END_TEST

/* Linux: backlog 0 still queues one connection; the next SYN is dropped
 * while it waits. */
START_TEST(test_listen_backlog_zero_queues_one_connection) {
  struct tu_conn c;
  int lfd = tu_listen(&t, 8080, 0);
  tu_handshake(&t, &c, lfd, 8080, 40000, 1000000, NULL, 0);
  tu_send_tcp(&t, &(struct tu_seg){.sport = 40001, .seq = 5, .flags = TH_SYN});
  tu_expect_silence(&t);
  ck_assert_uint_eq(sf_stack_stats(t.st)->tcp_drop_backlog, 1);
}
END_TEST

/* Linux compares the backlog as unsigned: -1 asks for SOMAXCONN. */
START_TEST(test_listen_negative_backlog_means_somaxconn) {
  struct tu_conn c;
  int lfd = tu_listen(&t, 8080, -1);
  for (uint16_t i = 0; i < 4; i++)
    tu_handshake(&t, &c, lfd, 8080, (uint16_t)(40000 + i), 1000000, NULL, 0);
  tu_expect_silence(&t);
  for (int i = 0; i < 4; i++)
    ck_assert_int_ge(sf_accept(t.st, lfd, NULL, NULL), 3);
}
END_TEST

START_TEST(test_listen_backlog_above_somaxconn_is_clamped) {
  int lfd = new_socket();
  ck_assert_int_eq(sf_listen(t.st, lfd, 1 << 30), 0);
  ck_assert_int_eq(tu_state(&t, lfd), SF_TCP_LISTEN);
}
END_TEST

START_TEST(test_accept_on_non_listener_is_einval) {
  int fd = new_socket();
  ck_assert_int_eq(sf_accept(t.st, fd, NULL, NULL), -EINVAL);
  struct tu_conn c;
  open_conn(&c);
  ck_assert_int_eq(sf_accept(t.st, c.fd, NULL, NULL), -EINVAL);
}
END_TEST

START_TEST(test_accept_with_nothing_queued_is_eagain) {
  int lfd = tu_listen(&t, 8080, 16);
  ck_assert_int_eq(sf_accept(t.st, lfd, NULL, NULL), -EAGAIN);
  /* a connection still in SYN-RECEIVED is not ready either */
  tu_send_tcp(&t, &(struct tu_seg){.seq = 5, .flags = TH_SYN});
  ck_assert_uint_eq(tu_pending(&t), 1);
  tu_drain(&t);
  ck_assert_int_eq(sf_accept(t.st, lfd, NULL, NULL), -EAGAIN);
}
END_TEST

START_TEST(test_accept_returns_peer_address) {
  struct tu_conn c;
  int lfd = tu_listen(&t, 8080, 16);
  tu_handshake(&t, &c, lfd, 8080, 40000, 1000000, NULL, 0);
  struct sockaddr_in a;
  memset(&a, 0xff, sizeof(a));
  socklen_t len = sizeof(a);
  int fd = sf_accept(t.st, lfd, (struct sockaddr *)&a, &len);
  ck_assert_int_ge(fd, 3);
  ck_assert_uint_eq(len, sizeof(a));
  ck_assert_int_eq(a.sin_family, AF_INET);
  ck_assert_uint_eq(ntohl(a.sin_addr.s_addr), TU_REMOTE);
  ck_assert_uint_eq(ntohs(a.sin_port), 40000);
}
END_TEST

START_TEST(test_accepted_socket_does_not_inherit_o_nonblock) {
  struct tu_conn c;
  int lfd = tu_listen(&t, 8080, 16);
  ck_assert_int_eq(sf_fcntl(t.st, lfd, F_SETFL, O_NONBLOCK), 0);
  tu_handshake(&t, &c, lfd, 8080, 40000, 1000000, NULL, 0);
  int fd = sf_accept(t.st, lfd, NULL, NULL);
  ck_assert_int_eq(sf_fcntl(t.st, fd, F_GETFL, 0), O_RDWR);
  ck_assert_int_eq(sf_fcntl(t.st, lfd, F_GETFL, 0), O_RDWR | O_NONBLOCK);
}
END_TEST

/* --- connect() ----------------------------------------------------------- */

START_TEST(test_connect_returns_einprogress_and_sends_syn) {
  int fd = new_socket();
  ck_assert_int_eq(connect_to(fd, TU_REMOTE, 8080), -EINPROGRESS);
  struct tu_out o;
  tu_pop(&t, &o);
  ck_assert_uint_eq(o.flags, TH_SYN);
  ck_assert_uint_eq(o.dst, TU_REMOTE);
  ck_assert_uint_eq(o.dport, 8080);
  ck_assert_int_eq(tu_state(&t, fd), SF_TCP_SYN_SENT);
}
END_TEST

START_TEST(test_connect_while_connecting_is_ealready) {
  struct tu_conn c;
  tu_syn_sent(&t, &c);
  ck_assert_int_eq(connect_to(c.fd, TU_REMOTE, 8080), -EALREADY);
  tu_expect_silence(&t);
}
END_TEST

/* Linux (__inet_stream_connect): the first connect() after the attempt
 * succeeded returns 0, as a blocking one would have; then EISCONN. */
START_TEST(test_connect_after_success_returns_0_then_eisconn) {
  struct tu_conn c;
  tu_open_active(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  ck_assert_int_eq(connect_to(c.fd, TU_REMOTE, 8080), 0);
  ck_assert_int_eq(connect_to(c.fd, TU_REMOTE, 8080), -EISCONN);
  ck_assert_int_eq(connect_to(c.fd, TU_REMOTE, 9090), -EISCONN);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_connect_on_accepted_socket_is_eisconn) {
  struct tu_conn c;
  open_conn(&c);
  ck_assert_int_eq(connect_to(c.fd, TU_REMOTE, 40000), -EISCONN);
}
END_TEST

START_TEST(test_connect_on_listener_is_einval) {
  int lfd = tu_listen(&t, 8080, 16);
  ck_assert_int_eq(connect_to(lfd, TU_REMOTE, 8080), -EINVAL);
}
END_TEST

/* RFC 9293 3.9.1.1 (MUST-46): no connection to a broadcast address. */
START_TEST(test_connect_to_broadcast_is_enetunreach) {
  int fd = new_socket();
  ck_assert_int_eq(connect_to(fd, INADDR_BROADCAST, 8080), -ENETUNREACH);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, fd), SF_TCP_CLOSED);
}
END_TEST

/* MUST-46: nor to a multicast one. */
START_TEST(test_connect_to_multicast_is_enetunreach) {
  int fd = new_socket();
  ck_assert_int_eq(connect_to(fd, 0xe0000001u, 8080), -ENETUNREACH);
  ck_assert_int_eq(connect_to(fd, 0xefffffffu, 8080), -ENETUNREACH);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_connect_short_address_is_einval) {
  int fd = new_socket();
  struct sockaddr_in a = addr_in(TU_REMOTE, 8080);
  ck_assert_int_eq(sf_connect(t.st, fd, (struct sockaddr *)&a, 8), -EINVAL);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_connect_other_family_is_eafnosupport) {
  int fd = new_socket();
  struct sockaddr_in a = addr_in(TU_REMOTE, 8080);
  a.sin_family = AF_UNIX;
  ck_assert_int_eq(sf_connect(t.st, fd, (struct sockaddr *)&a, sizeof(a)),
                   -EAFNOSUPPORT);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_connect_refused_is_reported_by_so_error_once) {
  struct tu_conn c;
  refused(&c);
  ck_assert_int_eq(tu_so_error(&t, c.fd), ECONNREFUSED);
  ck_assert_int_eq(tu_so_error(&t, c.fd), 0);
}
END_TEST

START_TEST(test_connect_refused_polls_pollerr_and_pollhup) {
  struct tu_conn c;
  refused(&c);
  ck_assert_int_eq(poll_one(c.fd, POLLIN | POLLOUT),
                   POLLIN | POLLOUT | POLLERR | POLLHUP);
  ck_assert_int_eq(tu_so_error(&t, c.fd), ECONNREFUSED);
  ck_assert_int_eq(poll_one(c.fd, POLLIN | POLLOUT),
                   POLLIN | POLLOUT | POLLHUP);
}
END_TEST

START_TEST(test_connect_refused_read_is_econnrefused_then_0) {
  struct tu_conn c;
  refused(&c);
  char b;
  ck_assert_int_eq(sf_read(t.st, c.fd, &b, 1), -ECONNREFUSED);
  ck_assert_int_eq(sf_read(t.st, c.fd, &b, 1), 0);
}
END_TEST

START_TEST(test_connect_refused_write_is_econnrefused_then_epipe) {
  struct tu_conn c;
  refused(&c);
  ck_assert_int_eq(sf_write(t.st, c.fd, "x", 1), -ECONNREFUSED);
  ck_assert_int_eq(sf_write(t.st, c.fd, "x", 1), -EPIPE);
  tu_expect_silence(&t);
}
END_TEST

/* Linux: connect() again reports the failed attempt (and clears the
 * error); the next one starts a new attempt. */
START_TEST(test_connect_again_after_refusal_reports_econnrefused) {
  struct tu_conn c;
  refused(&c);
  ck_assert_int_eq(connect_to(c.fd, TU_REMOTE, 8080), -ECONNREFUSED);
  ck_assert_int_eq(tu_so_error(&t, c.fd), 0);
  ck_assert_int_eq(connect_to(c.fd, TU_REMOTE, 8080), -EINPROGRESS);
  struct tu_out o;
  tu_pop(&t, &o);
  ck_assert_uint_eq(o.flags, TH_SYN);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_SYN_SENT);
}
END_TEST

/* Linux: with the error already taken by SO_ERROR, ECONNABORTED. */
START_TEST(test_connect_again_after_refusal_seen_is_econnaborted) {
  struct tu_conn c;
  refused(&c);
  ck_assert_int_eq(tu_so_error(&t, c.fd), ECONNREFUSED);
  ck_assert_int_eq(connect_to(c.fd, TU_REMOTE, 8080), -ECONNABORTED);
}
END_TEST

/* RFC 9293 3.8.3 (MUST-20): after R2 for a SYN (the profile's syn_retries)
 * the attempt ends with ETIMEDOUT. */
START_TEST(test_connect_times_out_after_syn_retries) {
  int fd = tu_connect(&t);
  uint32_t syns = 0;
  while (tu_state(&t, fd) == SF_TCP_SYN_SENT) {
    while (tu_pending(&t)) {
      struct tu_out o;
      tu_pop(&t, &o);
      ck_assert_uint_eq(o.flags, TH_SYN);
      syns++;
    }
    tu_advance(&t, sf_stack_next_deadline(t.st) - t.now);
  }
  tu_expect_silence(&t);
  /* tcp_syn_retries 6: 1 + 2 + ... + 64 s, ten retransmissions with
   * Linux's four linear ones */
  ck_assert_uint_eq(syns, 11);
  ck_assert_int_eq(tu_so_error(&t, fd), ETIMEDOUT);
  ck_assert_int_eq(poll_one(fd, POLLOUT), POLLOUT | POLLHUP);
}
END_TEST

/* --- read() and recv() ------------------------------------------------- */

START_TEST(test_read_with_nothing_queued_is_eagain) {
  struct tu_conn c;
  open_conn(&c);
  char b[8];
  ck_assert_int_eq(sf_read(t.st, c.fd, b, sizeof(b)), -EAGAIN);
}
END_TEST

START_TEST(test_read_on_fresh_socket_is_enotconn) {
  char b[8];
  ck_assert_int_eq(sf_read(t.st, new_socket(), b, sizeof(b)), -ENOTCONN);
}
END_TEST

START_TEST(test_read_on_listener_is_enotconn) {
  char b[8];
  ck_assert_int_eq(sf_read(t.st, tu_listen(&t, 8080, 1), b, sizeof(b)),
                   -ENOTCONN);
}
END_TEST

START_TEST(test_read_while_connecting_is_eagain) {
  struct tu_conn c;
  tu_syn_sent(&t, &c);
  char b[8];
  ck_assert_int_eq(sf_read(t.st, c.fd, b, sizeof(b)), -EAGAIN);
}
END_TEST

START_TEST(test_read_shorter_than_queue_returns_what_fits) {
  struct tu_conn c;
  open_conn(&c);
  peer_sends(&c, "0123456789", 10, TH_PSH);
  char b[16];
  ck_assert_int_eq(sf_read(t.st, c.fd, b, 4), 4);
  ck_assert_mem_eq(b, "0123", 4);
  ck_assert_int_eq(sf_read(t.st, c.fd, b, sizeof(b)), 6);
  ck_assert_mem_eq(b, "456789", 6);
}
END_TEST

START_TEST(test_recv_msg_peek_leaves_data) {
  struct tu_conn c;
  open_conn(&c);
  peer_sends(&c, "hello", 5, TH_PSH);
  char b[16];
  ck_assert_int_eq(sf_recv(t.st, c.fd, b, sizeof(b), MSG_PEEK), 5);
  ck_assert_mem_eq(b, "hello", 5);
  ck_assert_int_eq(sf_recv(t.st, c.fd, b, 2, MSG_PEEK), 2);
  ck_assert_int_eq(sf_read(t.st, c.fd, b, sizeof(b)), 5);
  ck_assert_mem_eq(b, "hello", 5);
  ck_assert_int_eq(sf_read(t.st, c.fd, b, sizeof(b)), -EAGAIN);
}
END_TEST

START_TEST(test_recv_msg_dontwait_on_blocking_socket_is_eagain) {
  struct tu_conn c;
  open_conn(&c);
  ck_assert_int_eq(sf_fcntl(t.st, c.fd, F_GETFL, 0), O_RDWR);
  char b[8];
  ck_assert_int_eq(sf_recv(t.st, c.fd, b, sizeof(b), MSG_DONTWAIT), -EAGAIN);
  peer_sends(&c, "ab", 2, 0);
  ck_assert_int_eq(sf_recv(t.st, c.fd, b, sizeof(b), MSG_DONTWAIT), 2);
}
END_TEST

START_TEST(test_read_at_eof_returns_0) {
  struct tu_conn c;
  open_conn(&c);
  peer_sends(&c, NULL, 0, TH_FIN);
  char b[8];
  ck_assert_int_eq(sf_read(t.st, c.fd, b, sizeof(b)), 0);
  ck_assert_int_eq(sf_read(t.st, c.fd, b, sizeof(b)), 0);
}
END_TEST

START_TEST(test_read_returns_data_before_eof) {
  struct tu_conn c;
  open_conn(&c);
  peer_sends(&c, "bye", 3, TH_FIN);
  char b[8];
  ck_assert_int_eq(sf_read(t.st, c.fd, b, sizeof(b)), 3);
  ck_assert_int_eq(sf_read(t.st, c.fd, b, sizeof(b)), 0);
}
END_TEST

/* RFC 9293 3.10.7.4 (MUST-12): the user learns of the reset once. */
START_TEST(test_read_after_reset_is_econnreset_once_then_0) {
  struct tu_conn c;
  reset_by_peer(&c);
  char b[8];
  ck_assert_int_eq(sf_read(t.st, c.fd, b, sizeof(b)), -ECONNRESET);
  ck_assert_int_eq(sf_read(t.st, c.fd, b, sizeof(b)), 0);
}
END_TEST

/* Urgent data is delivered inline (SO_OOBINLINE), so MSG_OOB finds none. */
START_TEST(test_recv_msg_oob_is_einval) {
  struct tu_conn c;
  open_conn(&c);
  char b[8];
  ck_assert_int_eq(sf_recv(t.st, c.fd, b, sizeof(b), MSG_OOB), -EINVAL);
}
END_TEST

/* Flags the stack does not implement are refused (Linux would discard data
 * for MSG_TRUNC). */
START_TEST(test_recv_unsupported_flag_is_eopnotsupp) {
  struct tu_conn c;
  open_conn(&c);
  char b[8];
  ck_assert_int_eq(sf_recv(t.st, c.fd, b, sizeof(b), MSG_TRUNC), -EOPNOTSUPP);
  ck_assert_int_eq(sf_recv(t.st, c.fd, b, sizeof(b), MSG_ERRQUEUE),
                   -EOPNOTSUPP);
}
END_TEST

/* --- write() and send() ------------------------------------------------ */

START_TEST(test_write_after_shutdown_write_is_epipe) {
  struct tu_conn c;
  open_conn(&c);
  ck_assert_int_eq(sf_shutdown(t.st, c.fd, SHUT_WR), 0);
  tu_conn_expect(&t, &c, TH_FIN | TH_ACK, 1, 1, 0);
  ck_assert_int_eq(sf_write(t.st, c.fd, "x", 1), -EPIPE);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_write_on_unconnected_socket_is_epipe) {
  ck_assert_int_eq(sf_write(t.st, new_socket(), "x", 1), -EPIPE);
  ck_assert_int_eq(sf_write(t.st, tu_listen(&t, 8080, 1), "x", 1), -EPIPE);
}
END_TEST

START_TEST(test_write_while_connecting_is_eagain) {
  struct tu_conn c;
  tu_syn_sent(&t, &c);
  ck_assert_int_eq(sf_write(t.st, c.fd, "x", 1), -EAGAIN);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_write_with_send_buffer_full_is_eagain) {
  struct tu_conn c;
  open_conn(&c);
  uint32_t taken = fill_send_buffer(c.fd);
  ck_assert_int_eq(taken, get_int(c.fd, SOL_SOCKET, SO_SNDBUF));
  ck_assert_int_eq(sf_write(t.st, c.fd, "x", 1), -EAGAIN);
}
END_TEST

START_TEST(test_write_takes_partial_amount_up_to_buffer_space) {
  static const uint8_t big[100000];
  struct tu_conn c;
  open_conn(&c);
  int room = get_int(c.fd, SOL_SOCKET, SO_SNDBUF);
  ck_assert_int_lt(room, (int)sizeof(big));
  ck_assert_int_eq(sf_write(t.st, c.fd, big, 100), 100);
  ck_assert_int_eq(sf_write(t.st, c.fd, big, sizeof(big)), room - 100);
}
END_TEST

/* The acknowledged part of the buffer is room again. */
START_TEST(test_write_after_ack_frees_buffer_space) {
  struct tu_conn c;
  open_conn(&c);
  uint32_t taken = fill_send_buffer(c.fd);
  tu_drain(&t);
  c.ack += 1000;
  tu_conn_send(&t, &c, TH_ACK, 0);
  tu_drain(&t);
  ck_assert_uint_eq(fill_send_buffer(c.fd), 1000);
  ck_assert_uint_gt(taken, 1000);
}
END_TEST

/* MSG_MORE holds the data back until a send without it. */
START_TEST(test_send_msg_more_holds_data_back) {
  struct tu_conn c;
  open_conn(&c);
  ck_assert_int_eq(sf_send(t.st, c.fd, "abc", 3, MSG_MORE), 3);
  tu_expect_silence(&t);
  ck_assert_int_eq(sf_send(t.st, c.fd, "def", 3, 0), 3);
  tu_conn_expect(&t, &c, TH_ACK | TH_PSH, 1, 1, 6);
}
END_TEST

START_TEST(test_send_unsupported_flag_is_eopnotsupp) {
  struct tu_conn c;
  open_conn(&c);
  ck_assert_int_eq(sf_send(t.st, c.fd, "x", 1, MSG_PEEK), -EOPNOTSUPP);
  tu_expect_silence(&t);
}
END_TEST

/* --- shutdown() and close() --------------------------------------------- */

START_TEST(test_shutdown_read_makes_reads_return_0) {
  struct tu_conn c;
  open_conn(&c);
  ck_assert_int_eq(sf_shutdown(t.st, c.fd, SHUT_RD), 0);
  tu_expect_silence(&t);
  char b[8];
  ck_assert_int_eq(sf_read(t.st, c.fd, b, sizeof(b)), 0);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_ESTABLISHED);
  ck_assert_int_eq(sf_write(t.st, c.fd, "x", 1), 1);
}
END_TEST

START_TEST(test_shutdown_write_sends_fin_and_reads_still_work) {
  struct tu_conn c;
  open_conn(&c);
  ck_assert_int_eq(sf_shutdown(t.st, c.fd, SHUT_WR), 0);
  tu_conn_expect(&t, &c, TH_FIN | TH_ACK, 1, 1, 0);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_FIN_WAIT_1);
  c.ack++;
  peer_sends(&c, "late", 4, TH_PSH);
  char b[8];
  ck_assert_int_eq(sf_read(t.st, c.fd, b, sizeof(b)), 4);
  ck_assert_mem_eq(b, "late", 4);
}
END_TEST

START_TEST(test_shutdown_rdwr_sends_fin_and_reads_return_0) {
  struct tu_conn c;
  open_conn(&c);
  ck_assert_int_eq(sf_shutdown(t.st, c.fd, SHUT_RDWR), 0);
  tu_conn_expect(&t, &c, TH_FIN | TH_ACK, 1, 1, 0);
  char b[8];
  ck_assert_int_eq(sf_read(t.st, c.fd, b, sizeof(b)), 0);
  ck_assert_int_eq(sf_write(t.st, c.fd, "x", 1), -EPIPE);
}
END_TEST

START_TEST(test_shutdown_bad_how_is_einval) {
  struct tu_conn c;
  open_conn(&c);
  ck_assert_int_eq(sf_shutdown(t.st, c.fd, 3), -EINVAL);
  ck_assert_int_eq(sf_shutdown(t.st, c.fd, -1), -EINVAL);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_shutdown_unconnected_is_enotconn) {
  ck_assert_int_eq(sf_shutdown(t.st, new_socket(), SHUT_RDWR), -ENOTCONN);
  struct tu_conn c;
  reset_by_peer(&c);
  ck_assert_int_eq(sf_shutdown(t.st, c.fd, SHUT_WR), -ENOTCONN);
}
END_TEST

/* Linux (inet_shutdown): shutting a listener's receiving side stops it
 * listening; a SYN then meets a closed port. */
START_TEST(test_shutdown_read_on_listener_stops_listening) {
  int lfd = tu_listen(&t, 8080, 16);
  ck_assert_int_eq(sf_shutdown(t.st, lfd, SHUT_RD), 0);
  ck_assert_int_eq(sf_accept(t.st, lfd, NULL, NULL), -EINVAL);
  tu_send_tcp(&t, &(struct tu_seg){.seq = 5, .flags = TH_SYN});
  struct tu_out o;
  tu_pop(&t, &o);
  ck_assert_uint_eq(o.flags, TH_RST | TH_ACK);
  ck_assert_int_eq(sf_listen(t.st, lfd, 16), 0);
}
END_TEST

START_TEST(test_shutdown_write_on_listener_does_nothing) {
  int lfd = tu_listen(&t, 8080, 16);
  ck_assert_int_eq(sf_shutdown(t.st, lfd, SHUT_WR), 0);
  ck_assert_int_eq(tu_state(&t, lfd), SF_TCP_LISTEN);
  ck_assert_int_eq(sf_accept(t.st, lfd, NULL, NULL), -EAGAIN);
}
END_TEST

/* Linux (tcp_disconnect): shutdown() in SYN-SENT abandons the attempt,
 * reports ECONNRESET and leaves a socket that may connect again. */
START_TEST(test_shutdown_while_connecting_abandons_the_attempt) {
  struct tu_conn c;
  tu_syn_sent(&t, &c);
  ck_assert_int_eq(sf_shutdown(t.st, c.fd, SHUT_RD), 0);
  tu_expect_silence(&t);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_CLOSED);
  ck_assert_int_eq(tu_so_error(&t, c.fd), ECONNRESET);
  ck_assert_int_eq(connect_to(c.fd, TU_REMOTE, 8080), -EINPROGRESS);
}
END_TEST

START_TEST(test_close_twice_is_ebadf) {
  int fd = new_socket();
  ck_assert_int_eq(sf_close(t.st, fd), 0);
  ck_assert_int_eq(sf_close(t.st, fd), -EBADF);
}
END_TEST

/* --- socket options ---------------------------------------------------- */

START_TEST(test_so_reuseaddr_reads_back) {
  int fd = new_socket();
  ck_assert_int_eq(get_int(fd, SOL_SOCKET, SO_REUSEADDR), 0);
  ck_assert_int_eq(set_int(fd, SOL_SOCKET, SO_REUSEADDR, 5), 0);
  ck_assert_int_eq(get_int(fd, SOL_SOCKET, SO_REUSEADDR), 1);
  ck_assert_int_eq(set_int(fd, SOL_SOCKET, SO_REUSEADDR, 0), 0);
  ck_assert_int_eq(get_int(fd, SOL_SOCKET, SO_REUSEADDR), 0);
}
END_TEST

START_TEST(test_so_linger_reads_back) {
  int fd = new_socket();
  struct linger l = {.l_onoff = 1, .l_linger = 7}, r;
  socklen_t len = sizeof(r);
  ck_assert_int_eq(
      sf_setsockopt(t.st, fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)), 0);
  ck_assert_int_eq(sf_getsockopt(t.st, fd, SOL_SOCKET, SO_LINGER, &r, &len), 0);
  ck_assert_uint_eq(len, sizeof(r));
  ck_assert_int_eq(r.l_onoff, 1);
  ck_assert_int_eq(r.l_linger, 7);
}
END_TEST

/* Linux doubles the value for its bookkeeping and reads the double back. */
START_TEST(test_so_rcvbuf_and_so_sndbuf_are_doubled) {
  int fd = new_socket();
  ck_assert_int_eq(set_int(fd, SOL_SOCKET, SO_RCVBUF, 10000), 0);
  ck_assert_int_eq(get_int(fd, SOL_SOCKET, SO_RCVBUF), 20000);
  ck_assert_int_eq(set_int(fd, SOL_SOCKET, SO_SNDBUF, 10000), 0);
  ck_assert_int_eq(get_int(fd, SOL_SOCKET, SO_SNDBUF), 20000);
}
END_TEST

/* Linux's floors: SOCK_MIN_RCVBUF 2304 and SOCK_MIN_SNDBUF 4608. */
START_TEST(test_so_rcvbuf_and_so_sndbuf_have_linux_floors) {
  int fd = new_socket();
  ck_assert_int_eq(set_int(fd, SOL_SOCKET, SO_RCVBUF, 1), 0);
  ck_assert_int_eq(get_int(fd, SOL_SOCKET, SO_RCVBUF), 2304);
  ck_assert_int_eq(set_int(fd, SOL_SOCKET, SO_SNDBUF, 0), 0);
  ck_assert_int_eq(get_int(fd, SOL_SOCKET, SO_SNDBUF), 4608);
}
END_TEST

/* Linux clamps to rmem_max (wmem_max) before doubling, the value taken as
 * unsigned; SO_RCVBUF is buffer memory as Linux counts it (the window it
 * allows is bounded by the buffer the stack has), SO_SNDBUF is clamped to
 * that buffer (64 KiB here). */
START_TEST(test_so_rcvbuf_and_so_sndbuf_are_clamped_to_the_buffer) {
  int fd = new_socket();
  uint32_t cap = t.cfg.buf_capacity;
  uint32_t rmax = sf_stack_config(t.st)->profile.rmem_max;
  ck_assert_int_eq(set_int(fd, SOL_SOCKET, SO_RCVBUF, 1 << 30), 0);
  ck_assert_uint_eq((uint32_t)get_int(fd, SOL_SOCKET, SO_RCVBUF), 2 * rmax);
  ck_assert_int_eq(set_int(fd, SOL_SOCKET, SO_RCVBUF, 1000), 0);
  ck_assert_int_eq(set_int(fd, SOL_SOCKET, SO_RCVBUF, -1), 0);
  ck_assert_uint_eq((uint32_t)get_int(fd, SOL_SOCKET, SO_RCVBUF), 2 * rmax);
  ck_assert_int_eq(set_int(fd, SOL_SOCKET, SO_SNDBUF, -1), 0);
  ck_assert_uint_eq((uint32_t)get_int(fd, SOL_SOCKET, SO_SNDBUF), cap);
}
END_TEST

START_TEST(test_so_rcvbuf_defaults_and_so_sndbuf_defaults) {
  int fd = new_socket();
  const sf_profile *p = &sf_stack_config(t.st)->profile;
  uint32_t cap = t.cfg.buf_capacity;
  ck_assert_uint_eq((uint32_t)get_int(fd, SOL_SOCKET, SO_RCVBUF),
                    p->rmem_default);
  ck_assert_uint_eq((uint32_t)get_int(fd, SOL_SOCKET, SO_SNDBUF),
                    p->wmem_default < cap ? p->wmem_default : cap);
}
END_TEST

/* The window offered follows the receive buffer: SO_RCVBUF 2000 on the
 * listener gives 4000 bytes of memory, half of it window (Linux's
 * tcp_win_from_space), in whole segments: 1460 offered in the SYN-ACK and
 * after it (as the kernel does). */
START_TEST(test_so_rcvbuf_sets_the_advertised_window) {
  struct tu_conn c;
  int lfd = tu_listen(&t, 8080, 16);
  ck_assert_int_eq(set_int(lfd, SOL_SOCKET, SO_RCVBUF, 2000), 0);
  tu_send_tcp(&t, &(struct tu_seg){.seq = 1000000,
                                   .flags = TH_SYN,
                                   .opts = tu_opts_mss,
                                   .optlen = sizeof(tu_opts_mss)});
  struct tu_out o;
  tu_pop(&t, &o);
  ck_assert_uint_eq(o.flags, TH_SYN | TH_ACK);
  ck_assert_uint_eq(o.win, 1460);
  memset(&c, 0, sizeof(c));
  c.lport = 8080;
  c.rport = 40000;
  c.irs = 1000000;
  c.seq = c.irs + 1;
  c.iss = o.seq;
  c.ack = o.seq + 1;
  tu_conn_send(&t, &c, TH_ACK, 0);
  c.fd = sf_accept(t.st, lfd, NULL, NULL);
  ck_assert_int_eq(get_int(c.fd, SOL_SOCKET, SO_RCVBUF), 4000);
  ck_assert_uint_eq(tu_info(&t, c.fd).rcv_wnd, 1460);
  peer_sends(&c, "abcd", 4, TH_PSH);
  ck_assert_uint_eq(tu_info(&t, c.fd).rcv_wnd, 1460);
}
END_TEST

START_TEST(test_so_keepalive_reads_back) {
  int fd = new_socket();
  ck_assert_int_eq(get_int(fd, SOL_SOCKET, SO_KEEPALIVE), 0);
  ck_assert_int_eq(set_int(fd, SOL_SOCKET, SO_KEEPALIVE, 1), 0);
  ck_assert_int_eq(get_int(fd, SOL_SOCKET, SO_KEEPALIVE), 1);
}
END_TEST

START_TEST(test_so_type_is_sock_stream) {
  ck_assert_int_eq(get_int(new_socket(), SOL_SOCKET, SO_TYPE), SOCK_STREAM);
}
END_TEST

START_TEST(test_so_error_is_0_without_error) {
  struct tu_conn c;
  open_conn(&c);
  ck_assert_int_eq(tu_so_error(&t, c.fd), 0);
}
END_TEST

START_TEST(test_tcp_nodelay_reads_back) {
  int fd = new_socket();
  ck_assert_int_eq(get_int(fd, IPPROTO_TCP, TCP_NODELAY), 0);
  ck_assert_int_eq(set_int(fd, IPPROTO_TCP, TCP_NODELAY, 1), 0);
  ck_assert_int_eq(get_int(fd, IPPROTO_TCP, TCP_NODELAY), 1);
}
END_TEST

/* Set before connect(), TCP_MAXSEG caps the MSS offered in the SYN. */
START_TEST(test_tcp_maxseg_limits_mss_offered_in_syn) {
  int fd = new_socket();
  ck_assert_int_eq(get_int(fd, IPPROTO_TCP, TCP_MAXSEG), 536);
  ck_assert_int_eq(set_int(fd, IPPROTO_TCP, TCP_MAXSEG, 1000), 0);
  ck_assert_int_eq(get_int(fd, IPPROTO_TCP, TCP_MAXSEG), 1000);
  ck_assert_int_eq(connect_to(fd, TU_REMOTE, 8080), -EINPROGRESS);
  struct tu_out o;
  tu_pop(&t, &o);
  ck_assert_uint_eq(o.flags, TH_SYN);
  ck_assert_uint_eq(o.mss, 1000);
}
END_TEST

/* Linux: TCP_MIN_MSS (88) to MAX_TCP_WINDOW (32767). */
START_TEST(test_tcp_maxseg_out_of_range_is_einval) {
  int fd = new_socket();
  ck_assert_int_eq(set_int(fd, IPPROTO_TCP, TCP_MAXSEG, 87), -EINVAL);
  ck_assert_int_eq(set_int(fd, IPPROTO_TCP, TCP_MAXSEG, 32768), -EINVAL);
  ck_assert_int_eq(set_int(fd, IPPROTO_TCP, TCP_MAXSEG, 88), 0);
  ck_assert_int_eq(set_int(fd, IPPROTO_TCP, TCP_MAXSEG, 32767), 0);
}
END_TEST

START_TEST(test_tcp_maxseg_of_a_connection_is_its_send_mss) {
  struct tu_conn c;
  open_conn(&c);
  ck_assert_int_eq(get_int(c.fd, IPPROTO_TCP, TCP_MAXSEG), 1460);
}
END_TEST

START_TEST(test_tcp_user_timeout_reads_back_and_refuses_negative) {
  int fd = new_socket();
  ck_assert_int_eq(get_int(fd, IPPROTO_TCP, TCP_USER_TIMEOUT), 0);
  ck_assert_int_eq(set_int(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, 5000), 0);
  ck_assert_int_eq(get_int(fd, IPPROTO_TCP, TCP_USER_TIMEOUT), 5000);
  ck_assert_int_eq(set_int(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, -1), -EINVAL);
  ck_assert_int_eq(get_int(fd, IPPROTO_TCP, TCP_USER_TIMEOUT), 5000);
}
END_TEST

/* The profile's values until set (Linux's sysctls: 7200 s, 75 s, 9). */
START_TEST(test_tcp_keepalive_options_default_to_the_profile) {
  int fd = new_socket();
  ck_assert_int_eq(get_int(fd, IPPROTO_TCP, TCP_KEEPIDLE), 7200);
  ck_assert_int_eq(get_int(fd, IPPROTO_TCP, TCP_KEEPINTVL), 75);
  ck_assert_int_eq(get_int(fd, IPPROTO_TCP, TCP_KEEPCNT), 9);
}
END_TEST

/* Linux: 1 to MAX_TCP_KEEPIDLE (32767) seconds. */
START_TEST(test_tcp_keepidle_range) {
  int fd = new_socket();
  ck_assert_int_eq(set_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, 0), -EINVAL);
  ck_assert_int_eq(set_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, 32768), -EINVAL);
  ck_assert_int_eq(set_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, 32767), 0);
  ck_assert_int_eq(get_int(fd, IPPROTO_TCP, TCP_KEEPIDLE), 32767);
  ck_assert_int_eq(set_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, 1), 0);
  ck_assert_int_eq(get_int(fd, IPPROTO_TCP, TCP_KEEPIDLE), 1);
}
END_TEST

/* Linux: 1 to MAX_TCP_KEEPINTVL (32767) seconds. */
START_TEST(test_tcp_keepintvl_range) {
  int fd = new_socket();
  ck_assert_int_eq(set_int(fd, IPPROTO_TCP, TCP_KEEPINTVL, 0), -EINVAL);
  ck_assert_int_eq(set_int(fd, IPPROTO_TCP, TCP_KEEPINTVL, 32768), -EINVAL);
  ck_assert_int_eq(set_int(fd, IPPROTO_TCP, TCP_KEEPINTVL, 32767), 0);
  ck_assert_int_eq(get_int(fd, IPPROTO_TCP, TCP_KEEPINTVL), 32767);
}
END_TEST

/* Linux: 1 to MAX_TCP_KEEPCNT (127) probes. */
START_TEST(test_tcp_keepcnt_range) {
  int fd = new_socket();
  ck_assert_int_eq(set_int(fd, IPPROTO_TCP, TCP_KEEPCNT, 0), -EINVAL);
  ck_assert_int_eq(set_int(fd, IPPROTO_TCP, TCP_KEEPCNT, 128), -EINVAL);
  ck_assert_int_eq(set_int(fd, IPPROTO_TCP, TCP_KEEPCNT, 127), 0);
  ck_assert_int_eq(get_int(fd, IPPROTO_TCP, TCP_KEEPCNT), 127);
}
END_TEST

/* RFC 9293 3.9.1.9 (MUST-48, SHLD-22): the TOS the application set is on
 * every segment it sends. */
START_TEST(test_ip_tos_is_on_sent_segments) {
  int fd = new_socket();
  ck_assert_int_eq(set_int(fd, IPPROTO_IP, IP_TOS, IPTOS_LOWDELAY), 0);
  ck_assert_int_eq(get_int(fd, IPPROTO_IP, IP_TOS), IPTOS_LOWDELAY);
  ck_assert_int_eq(connect_to(fd, TU_REMOTE, 8080), -EINPROGRESS);
  struct tu_out o;
  tu_pop(&t, &o);
  ck_assert_uint_eq(o.flags, TH_SYN);
  ck_assert_uint_eq(o.tos, IPTOS_LOWDELAY);
  tu_send_tcp(&t, &(struct tu_seg){.sport = 8080,
                                   .dport = o.sport,
                                   .seq = 2000000,
                                   .ack = o.seq + 1,
                                   .flags = TH_SYN | TH_ACK});
  ck_assert_int_eq(sf_write(t.st, fd, "x", 1), 1);
  for (int i = 0; i < 2; i++) {
    tu_pop(&t, &o);
    ck_assert_uint_eq(o.tos, IPTOS_LOWDELAY);
  }
  ck_assert_uint_eq(o.len, 1);
}
END_TEST

START_TEST(test_ip_tos_of_listener_is_on_syn_ack) {
  int lfd = tu_listen(&t, 8080, 16);
  ck_assert_int_eq(set_int(lfd, IPPROTO_IP, IP_TOS, IPTOS_THROUGHPUT), 0);
  tu_send_tcp(&t, &(struct tu_seg){.seq = 5, .flags = TH_SYN});
  struct tu_out o;
  tu_pop(&t, &o);
  ck_assert_uint_eq(o.flags, TH_SYN | TH_ACK);
  ck_assert_uint_eq(o.tos, IPTOS_THROUGHPUT);
}
END_TEST

/* Linux keeps the ECN bits of a TCP socket's TOS to itself. */
START_TEST(test_ip_tos_ecn_bits_are_not_taken) {
  int fd = new_socket();
  ck_assert_int_eq(set_int(fd, IPPROTO_IP, IP_TOS, IPTOS_LOWDELAY | 3), 0);
  ck_assert_int_eq(get_int(fd, IPPROTO_IP, IP_TOS), IPTOS_LOWDELAY);
}
END_TEST

/* Linux (do_ip_setsockopt) takes IP_TOS as an int or a single byte. */
START_TEST(test_ip_tos_takes_a_single_byte) {
  int fd = new_socket();
  uint8_t tos = IPTOS_RELIABILITY;
  ck_assert_int_eq(sf_setsockopt(t.st, fd, IPPROTO_IP, IP_TOS, &tos, 1), 0);
  ck_assert_int_eq(get_int(fd, IPPROTO_IP, IP_TOS), IPTOS_RELIABILITY);
}
END_TEST

START_TEST(test_unknown_option_is_enoprotoopt) {
  int fd = new_socket();
  int v = 1;
  socklen_t len = sizeof(v);
  const int levels[] = {SOL_SOCKET, IPPROTO_TCP, IPPROTO_IP, 9999};
  for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
    ck_assert_int_eq(sf_setsockopt(t.st, fd, levels[i], 9999, &v, sizeof(v)),
                     -ENOPROTOOPT);
    ck_assert_int_eq(sf_getsockopt(t.st, fd, levels[i], 9999, &v, &len),
                     -ENOPROTOOPT);
  }
}
END_TEST

/* Linux: an option value shorter than an int (or a struct linger) is
 * invalid, at SOL_SOCKET even before the name is looked at. */
START_TEST(test_setsockopt_short_value_is_einval) {
  int fd = new_socket();
  int v = 1;
  struct linger l = {0};
  ck_assert_int_eq(sf_setsockopt(t.st, fd, SOL_SOCKET, SO_REUSEADDR, &v, 2),
                   -EINVAL);
  ck_assert_int_eq(sf_setsockopt(t.st, fd, SOL_SOCKET, 9999, &v, 2), -EINVAL);
  ck_assert_int_eq(sf_setsockopt(t.st, fd, IPPROTO_TCP, TCP_NODELAY, &v, 3),
                   -EINVAL);
  ck_assert_int_eq(
      sf_setsockopt(t.st, fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l) - 1),
      -EINVAL);
  ck_assert_int_eq(sf_setsockopt(t.st, fd, SOL_SOCKET, SO_KEEPALIVE, NULL, 0),
                   -EINVAL);
}
END_TEST

/* Linux (sk_getsockopt, do_tcp_getsockopt) copies as much as fits. */
START_TEST(test_getsockopt_short_buffer_takes_what_fits) {
  int fd = new_socket();
  uint8_t b[4] = {0xaa, 0xaa, 0xaa, 0xaa};
  socklen_t len = 1;
  ck_assert_int_eq(sf_getsockopt(t.st, fd, SOL_SOCKET, SO_TYPE, b, &len), 0);
  ck_assert_uint_eq(len, 1);
  int type = SOCK_STREAM;
  ck_assert_uint_eq(b[0], *(uint8_t *)&type);
  ck_assert_uint_eq(b[1], 0xaa);
  len = 0;
  ck_assert_int_eq(sf_getsockopt(t.st, fd, IPPROTO_TCP, TCP_NODELAY, b, &len),
                   0);
  ck_assert_uint_eq(len, 0);
}
END_TEST

/* --- fcntl() -------------------------------------------------------------- */

START_TEST(test_fcntl_setfl_sets_and_clears_o_nonblock) {
  int fd = new_socket();
  ck_assert_int_eq(sf_fcntl(t.st, fd, F_GETFL, 0), O_RDWR);
  ck_assert_int_eq(sf_fcntl(t.st, fd, F_SETFL, O_RDWR | O_NONBLOCK), 0);
  ck_assert_int_eq(sf_fcntl(t.st, fd, F_GETFL, 0), O_RDWR | O_NONBLOCK);
  ck_assert_int_eq(sf_fcntl(t.st, fd, F_SETFL, 0), 0);
  ck_assert_int_eq(sf_fcntl(t.st, fd, F_GETFL, 0), O_RDWR);
}
END_TEST

START_TEST(test_fcntl_unknown_command_is_einval) {
  ck_assert_int_eq(sf_fcntl(t.st, new_socket(), 9999, 0), -EINVAL);
}
END_TEST

/* --- poll() --------------------------------------------------------------- */

START_TEST(test_poll_bad_descriptor_is_pollnval) {
  struct pollfd p[2] = {{.fd = 99, .events = POLLIN}, {.fd = 3, .events = 0}};
  ck_assert_int_eq(sf_poll(t.st, p, 2), 2);
  ck_assert_int_eq(p[0].revents, POLLNVAL);
  ck_assert_int_eq(p[1].revents, POLLNVAL);
}
END_TEST

START_TEST(test_poll_negative_descriptor_is_ignored) {
  struct tu_conn c;
  open_conn(&c);
  struct pollfd p[2] = {{.fd = -1, .events = POLLIN | POLLOUT, .revents = 7},
                        {.fd = c.fd, .events = POLLOUT}};
  ck_assert_int_eq(sf_poll(t.st, p, 2), 1);
  ck_assert_int_eq(p[0].revents, 0);
  ck_assert_int_eq(p[1].revents, POLLOUT);
}
END_TEST

START_TEST(test_poll_pollout_on_connected_socket_with_room) {
  struct tu_conn c;
  open_conn(&c);
  ck_assert_int_eq(poll_one(c.fd, POLLIN | POLLOUT), POLLOUT);
}
END_TEST

START_TEST(test_poll_no_pollout_with_send_buffer_full) {
  struct tu_conn c;
  open_conn(&c);
  fill_send_buffer(c.fd);
  ck_assert_int_eq(poll_one(c.fd, POLLIN | POLLOUT), 0);
}
END_TEST

START_TEST(test_poll_pollin_with_data) {
  struct tu_conn c;
  open_conn(&c);
  peer_sends(&c, "x", 1, TH_PSH);
  ck_assert_int_eq(poll_one(c.fd, POLLIN), POLLIN);
}
END_TEST

/* A half-close is readable (EOF) but not a hang-up. */
START_TEST(test_poll_pollin_at_eof_without_pollhup) {
  struct tu_conn c;
  open_conn(&c);
  peer_sends(&c, NULL, 0, TH_FIN);
  ck_assert_int_eq(poll_one(c.fd, POLLIN | POLLOUT), POLLIN | POLLOUT);
}
END_TEST

START_TEST(test_poll_pollin_on_listener_with_queued_connection) {
  struct tu_conn c;
  int lfd = tu_listen(&t, 8080, 16);
  ck_assert_int_eq(poll_one(lfd, POLLIN | POLLOUT), 0);
  tu_handshake(&t, &c, lfd, 8080, 40000, 1000000, NULL, 0);
  ck_assert_int_eq(poll_one(lfd, POLLIN | POLLOUT), POLLIN);
  sf_accept(t.st, lfd, NULL, NULL);
  ck_assert_int_eq(poll_one(lfd, POLLIN), 0);
}
END_TEST

/* POLLERR and POLLHUP are reported whatever events asked for. */
START_TEST(test_poll_pending_error_is_pollerr_even_unasked) {
  struct tu_conn c;
  refused(&c);
  ck_assert_int_eq(poll_one(c.fd, 0), POLLERR | POLLHUP);
}
END_TEST

START_TEST(test_poll_pollhup_after_reset) {
  struct tu_conn c;
  reset_by_peer(&c);
  ck_assert_int_eq(poll_one(c.fd, POLLIN), POLLIN | POLLERR | POLLHUP);
  ck_assert_int_eq(tu_so_error(&t, c.fd), ECONNRESET);
  ck_assert_int_eq(poll_one(c.fd, POLLIN), POLLIN | POLLHUP);
}
END_TEST

START_TEST(test_poll_pollhup_after_full_shutdown) {
  struct tu_conn c;
  open_conn(&c);
  ck_assert_int_eq(sf_shutdown(t.st, c.fd, SHUT_RDWR), 0);
  ck_assert_int_eq(poll_one(c.fd, POLLIN | POLLOUT),
                   POLLIN | POLLOUT | POLLHUP);
}
END_TEST

START_TEST(test_poll_pollhup_after_both_fins) {
  struct tu_conn c;
  open_conn(&c);
  ck_assert_int_eq(sf_shutdown(t.st, c.fd, SHUT_WR), 0);
  tu_conn_expect(&t, &c, TH_FIN | TH_ACK, 1, 1, 0);
  ck_assert_int_eq(poll_one(c.fd, POLLIN), 0);
  c.ack++;
  tu_conn_send(&t, &c, TH_FIN | TH_ACK, 0);
  tu_conn_expect(&t, &c, TH_ACK, 2, 2, 0);
  ck_assert_int_eq(poll_one(c.fd, POLLIN), POLLIN | POLLHUP);
}
END_TEST

/* RFC 9293 3.8.5 (MUST-32): urgent data is signalled: POLLPRI. */
START_TEST(test_poll_pollpri_for_urgent_data) {
  struct tu_conn c;
  tu_profile_set(&t, "urg_oob", 0); /* inline, as RFC 9293 has it */
  open_conn(&c);
  ck_assert_int_eq(poll_one(c.fd, POLLPRI), 0);
  struct tu_seg s = {.flags = TH_ACK | TH_URG,
                     .urp = 3,
                     .data = (const uint8_t *)"abc",
                     .len = 3};
  tu_conn_send_seg(&t, &c, &s);
  ck_assert_int_eq(poll_one(c.fd, POLLPRI | POLLIN), POLLPRI | POLLIN);
  char b[8];
  ck_assert_int_eq(sf_read(t.st, c.fd, b, sizeof(b)), 3);
  ck_assert_int_eq(poll_one(c.fd, POLLPRI | POLLIN), 0);
}
END_TEST

START_TEST(test_poll_revents_are_masked_by_events) {
  struct tu_conn c;
  open_conn(&c);
  peer_sends(&c, "x", 1, TH_PSH);
  ck_assert_int_eq(poll_one(c.fd, POLLOUT), POLLOUT);
  ck_assert_int_eq(poll_one(c.fd, POLLIN), POLLIN);
  ck_assert_int_eq(poll_one(c.fd, 0), 0);
}
END_TEST

/* Linux (tcp_poll): an unconnected socket is CLOSED: writable and hung
 * up; one in SYN-SENT reports nothing. */
START_TEST(test_poll_fresh_socket_is_pollout_and_pollhup) {
  int fd = new_socket();
  ck_assert_int_eq(poll_one(fd, POLLIN | POLLOUT), POLLOUT | POLLHUP);
  struct tu_conn c;
  tu_syn_sent(&t, &c);
  ck_assert_int_eq(poll_one(c.fd, POLLIN | POLLOUT), 0);
}
END_TEST

/* --- getsockname() and getpeername() --------------------------------- */

START_TEST(test_getsockname_unbound_is_any_address_port_0) {
  struct sockaddr_in a = sock_name(new_socket());
  ck_assert_uint_eq(ntohl(a.sin_addr.s_addr), INADDR_ANY);
  ck_assert_uint_eq(ntohs(a.sin_port), 0);
}
END_TEST

START_TEST(test_getsockname_after_bind) {
  int fd = new_socket();
  ck_assert_int_eq(bind_to(fd, TU_LOCAL, 8080), 0);
  struct sockaddr_in a = sock_name(fd);
  ck_assert_uint_eq(ntohl(a.sin_addr.s_addr), TU_LOCAL);
  ck_assert_uint_eq(ntohs(a.sin_port), 8080);
}
END_TEST

/* Linux (move_addr_to_user) copies what fits and reports the full size. */
START_TEST(test_getsockname_short_buffer_takes_what_fits) {
  int fd = new_socket();
  ck_assert_int_eq(bind_to(fd, TU_LOCAL, 8080), 0);
  uint8_t b[sizeof(struct sockaddr_in)];
  memset(b, 0xaa, sizeof(b));
  socklen_t len = 4;
  ck_assert_int_eq(sf_getsockname(t.st, fd, (struct sockaddr *)b, &len), 0);
  ck_assert_uint_eq(len, sizeof(struct sockaddr_in));
  ck_assert_uint_eq(sf_get16(b + 2), 8080);
  ck_assert_uint_eq(b[4], 0xaa);
}
END_TEST

START_TEST(test_getpeername_unconnected_is_enotconn) {
  struct sockaddr_in a;
  socklen_t len = sizeof(a);
  struct sockaddr *sa = (struct sockaddr *)&a;
  ck_assert_int_eq(sf_getpeername(t.st, new_socket(), sa, &len), -ENOTCONN);
  ck_assert_int_eq(sf_getpeername(t.st, tu_listen(&t, 8080, 1), sa, &len),
                   -ENOTCONN);
  struct tu_conn c;
  tu_syn_sent(&t, &c);
  ck_assert_int_eq(sf_getpeername(t.st, c.fd, sa, &len), -ENOTCONN);
}
END_TEST

START_TEST(test_getpeername_connected_is_the_peer) {
  struct tu_conn c;
  tu_open_active(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  struct sockaddr_in a;
  socklen_t len = sizeof(a);
  ck_assert_int_eq(sf_getpeername(t.st, c.fd, (struct sockaddr *)&a, &len), 0);
  ck_assert_uint_eq(len, sizeof(a));
  ck_assert_int_eq(a.sin_family, AF_INET);
  ck_assert_uint_eq(ntohl(a.sin_addr.s_addr), TU_REMOTE);
  ck_assert_uint_eq(ntohs(a.sin_port), 8080);
}
END_TEST

/* --- a whole connection ------------------------------------------------- */

#define XFER_BYTES (1024u * 1024u)

static uint8_t xfer_byte(uint32_t i, uint8_t salt) {
  return (uint8_t)(i * 31u + (i >> 10) + salt);
}

static uint32_t min3(uint32_t a, uint32_t b, uint32_t c) {
  uint32_t m = a < b ? a : b;
  return m < c ? m : c;
}

/* Checks n bytes at stream offset off against the pattern. */
static void expect_bytes(const uint8_t *p, uint32_t n, uint32_t off,
                         uint8_t salt) {
  for (uint32_t k = 0; k < n; k++)
    if (p[k] != xfer_byte(off + k, salt))
      ck_abort_msg("byte %u of the stream is wrong", off + k);
}

/* Plays the peer of c until `total` bytes went each way: the application
 * writes and reads all it can, the peer sends what the stack's window
 * allows and acknowledges what arrives; virtual time moves only when
 * nothing else does. Every byte is checked where it arrives. */
static void exchange(struct tu_conn *c, uint32_t total) {
  static uint8_t buf[65536];
  uint32_t app_out = 0, app_in = 0, peer_out = 0, peer_in = 0;
  sf_tcp_info info = tu_info(&t, c->fd);
  uint32_t edge = info.rcv_nxt + info.rcv_wnd; /* the stack's right edge */
  for (int round = 0; app_in < total || peer_in < total; round++) {
    ck_assert_msg(round < 100000, "stalled: app %u/%u, peer %u/%u", app_out,
                  app_in, peer_out, peer_in);
    bool moved = false;
    while (app_out < total) {
      uint32_t n = min3(total - app_out, sizeof(buf), sizeof(buf));
      for (uint32_t k = 0; k < n; k++)
        buf[k] = xfer_byte(app_out + k, 0);
      ssize_t r = sf_write(t.st, c->fd, buf, n);
      if (r == -EAGAIN)
        break;
      ck_assert_int_gt(r, 0);
      app_out += (uint32_t)r;
      moved = true;
    }
    for (ssize_t r; (r = sf_read(t.st, c->fd, buf, sizeof(buf))) != -EAGAIN;) {
      ck_assert_int_gt(r, 0);
      expect_bytes(buf, (uint32_t)r, app_in, 0x55);
      app_in += (uint32_t)r;
      moved = true;
    }
    bool ack_due = false;
    while (tu_pending(&t)) {
      struct tu_out o;
      tu_conn_pop(&t, c, &o);
      ck_assert_uint_eq(o.flags & ~TH_PSH, TH_ACK);
      if (SEQ_GT(o.ack + o.win, edge))
        edge = o.ack + o.win; /* no window scaling on this connection */
      if (o.len) {
        ck_assert_uint_eq(o.seq, c->ack); /* in order, nothing resent */
        expect_bytes(o.data, o.len, peer_in, 0);
        peer_in += o.len;
        c->ack += o.len;
        ack_due = true;
      }
      moved = true;
    }
    while (peer_out < total && SEQ_LT(c->seq, edge)) {
      uint32_t n = min3(1460, edge - c->seq, total - peer_out);
      for (uint32_t k = 0; k < n; k++)
        buf[k] = xfer_byte(peer_out + k, 0x55);
      struct tu_seg s = {.flags = TH_ACK | TH_PSH, .data = buf, .len = n};
      tu_conn_send_seg(&t, c, &s);
      c->seq += n;
      peer_out += n;
      ack_due = false;
      moved = true;
    }
    if (ack_due)
      tu_conn_send(&t, c, TH_ACK, 0);
    if (!moved)
      tu_advance(&t, 10 * MS);
  }
  ck_assert_uint_eq(app_out, total);
  ck_assert_uint_eq(peer_out, total);
}

/* Open, 1 MiB each way, close through TIME-WAIT: after sf_stack_new() the
 * allocator is never called. */
START_TEST(test_full_connection_never_allocates) {
  struct tu_conn c;
  open_conn(&c);
  exchange(&c, XFER_BYTES);
  tu_expect_silence(&t);
  ck_assert_uint_eq(t.allocs_while_counting, 0);
  ck_assert_int_eq(sf_close(t.st, c.fd), 0);
  tu_conn_expect(&t, &c, TH_FIN | TH_ACK, 1 + XFER_BYTES, 1 + XFER_BYTES, 0);
  c.ack++;
  tu_conn_send(&t, &c, TH_FIN | TH_ACK, 0);
  tu_conn_expect(&t, &c, TH_ACK, 2 + XFER_BYTES, 2 + XFER_BYTES, 0);
  ck_assert_int_eq(tu_conn_state(&t, &c), SF_TCP_TIME_WAIT);
  tu_advance(&t, sf_stack_config(t.st)->profile.time_wait_us);
  ck_assert_int_eq(tu_conn_state(&t, &c), -1);
  ck_assert_int_eq(sf_close(t.st, c.lfd), 0);
  tu_expect_silence(&t);
  ck_assert_uint_eq(t.allocs_while_counting, 0);
  ck_assert_uint_eq(t.allocs, 1); /* the arena of sf_stack_new() */
}
END_TEST

/* The lookup by ports finds the connection, not the listener on the same
 * local port, and no longer once it is reset (its descriptor still open). */
START_TEST(test_find_conn_finds_a_connection_by_ports_until_it_is_reset) {
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  sf_tcp_info info;
  ck_assert_int_eq(sf_stack_find_conn(t.st, c.lport, c.rport, &info), 0);
  ck_assert_int_eq(info.state, SF_TCP_ESTABLISHED);
  ck_assert_uint_eq(info.iss, c.iss);
  ck_assert_int_eq(sf_stack_find_conn(t.st, c.lport, c.rport + 1, &info),
                   -ENOENT);
  tu_conn_send(&t, &c, TH_RST, 0);
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_CLOSED);
  ck_assert_int_eq(sf_stack_find_conn(t.st, c.lport, c.rport, &info), -ENOENT);
}
END_TEST

Suite *tu_suite(void) {
  Suite *s = suite_create("socket");

  TCase *sock = tcase_create("socket");
  tcase_add_checked_fixture(sock, setup, teardown);
  tcase_add_test(sock, test_socket_first_descriptor_is_3);
  tcase_add_test(sock, test_socket_reuses_lowest_free_descriptor);
  tcase_add_test(sock, test_socket_accept_takes_lowest_free_descriptor);
  tcase_add_test(sock, test_socket_other_domain_is_eafnosupport);
  tcase_add_test(sock, test_socket_other_type_is_eprotonosupport);
  tcase_add_test(sock, test_socket_unknown_type_or_flag_is_einval);
  tcase_add_test(sock, test_socket_other_protocol_is_eprotonosupport);
  tcase_add_test(sock, test_socket_nonblock_flag_sets_o_nonblock);
  tcase_add_test(sock, test_socket_with_every_descriptor_taken_is_emfile);
  tcase_add_test(sock, test_socket_with_slots_held_by_connections_is_enfile);
  tcase_add_test(sock, test_calls_on_bad_descriptor_are_ebadf);
  suite_add_tcase(s, sock);

  TCase *bind = tcase_create("bind");
  tcase_add_checked_fixture(bind, setup, teardown);
  tcase_add_test(bind, test_bind_twice_is_einval);
  tcase_add_test(bind, test_bind_short_address_is_einval);
  tcase_add_test(bind, test_bind_other_family_is_eafnosupport);
  tcase_add_test(bind, test_bind_foreign_address_is_eaddrnotavail);
  tcase_add_test(bind, test_bind_any_address_is_allowed);
  tcase_add_test(bind, test_bind_port_in_use_is_eaddrinuse);
  tcase_add_test(bind, test_bind_any_address_holds_the_port_for_ours);
  tcase_add_test(bind, test_reuseaddr_allows_bind_next_to_bound_socket);
  tcase_add_test(bind, test_reuseaddr_on_one_socket_only_is_eaddrinuse);
  tcase_add_test(bind, test_reuseaddr_allows_bind_next_to_time_wait);
  tcase_add_test(bind,
                 test_bind_next_to_time_wait_without_reuseaddr_is_eaddrinuse);
  tcase_add_test(bind, test_reuseaddr_bind_next_to_listener_is_eaddrinuse);
  tcase_add_test(bind,
                 test_reuseaddr_second_listener_on_shared_port_is_eaddrinuse);
  tcase_add_test(bind, test_bind_port_zero_picks_ephemeral_port);
  tcase_add_test(bind, test_ephemeral_port_is_the_same_for_a_seed);
  tcase_add_test(bind, test_ephemeral_port_differs_between_seeds);
  tcase_add_test(
      bind, test_connect_without_bind_takes_our_address_and_ephemeral_port);
  suite_add_tcase(s, bind);

  TCase *lis = tcase_create("listen_accept");
  tcase_add_checked_fixture(lis, setup, teardown);
  tcase_add_test(lis, test_listen_without_bind_takes_ephemeral_port);
  tcase_add_test(lis, test_listen_on_connected_socket_is_einval);
  tcase_add_test(lis, test_listen_while_connecting_is_einval);
  tcase_add_test(lis, test_listen_again_on_listener_is_allowed);
  tcase_add_test(lis, test_listen_backlog_zero_queues_one_connection);
  tcase_add_test(lis, test_listen_negative_backlog_means_somaxconn);
  tcase_add_test(lis, test_listen_backlog_above_somaxconn_is_clamped);
  tcase_add_test(lis, test_accept_on_non_listener_is_einval);
  tcase_add_test(lis, test_accept_with_nothing_queued_is_eagain);
  tcase_add_test(lis, test_accept_returns_peer_address);
  tcase_add_test(lis, test_accepted_socket_does_not_inherit_o_nonblock);
  tcase_add_test(lis,
                 test_find_conn_finds_a_connection_by_ports_until_it_is_reset);
  suite_add_tcase(s, lis);

  TCase *con = tcase_create("connect");
  tcase_add_checked_fixture(con, setup, teardown);
  tcase_add_test(con, test_connect_returns_einprogress_and_sends_syn);
  tcase_add_test(con, test_connect_while_connecting_is_ealready);
  tcase_add_test(con, test_connect_after_success_returns_0_then_eisconn);
  tcase_add_test(con, test_connect_on_accepted_socket_is_eisconn);
  tcase_add_test(con, test_connect_on_listener_is_einval);
  tcase_add_test(con, test_connect_to_broadcast_is_enetunreach);
  tcase_add_test(con, test_connect_to_multicast_is_enetunreach);
  tcase_add_test(con, test_connect_short_address_is_einval);
  tcase_add_test(con, test_connect_other_family_is_eafnosupport);
  tcase_add_test(con, test_connect_refused_is_reported_by_so_error_once);
  tcase_add_test(con, test_connect_refused_polls_pollerr_and_pollhup);
  tcase_add_test(con, test_connect_refused_read_is_econnrefused_then_0);
  tcase_add_test(con, test_connect_refused_write_is_econnrefused_then_epipe);
  tcase_add_test(con, test_connect_again_after_refusal_reports_econnrefused);
  tcase_add_test(con, test_connect_again_after_refusal_seen_is_econnaborted);
  tcase_add_test(con, test_connect_times_out_after_syn_retries);
  suite_add_tcase(s, con);

  TCase *rd = tcase_create("read");
  tcase_add_checked_fixture(rd, setup, teardown);
  tcase_add_test(rd, test_read_with_nothing_queued_is_eagain);
  tcase_add_test(rd, test_read_on_fresh_socket_is_enotconn);
  tcase_add_test(rd, test_read_on_listener_is_enotconn);
  tcase_add_test(rd, test_read_while_connecting_is_eagain);
  tcase_add_test(rd, test_read_shorter_than_queue_returns_what_fits);
  tcase_add_test(rd, test_recv_msg_peek_leaves_data);
  tcase_add_test(rd, test_recv_msg_dontwait_on_blocking_socket_is_eagain);
  tcase_add_test(rd, test_read_at_eof_returns_0);
  tcase_add_test(rd, test_read_returns_data_before_eof);
  tcase_add_test(rd, test_read_after_reset_is_econnreset_once_then_0);
  tcase_add_test(rd, test_recv_msg_oob_is_einval);
  tcase_add_test(rd, test_recv_unsupported_flag_is_eopnotsupp);
  suite_add_tcase(s, rd);

  TCase *wr = tcase_create("write");
  tcase_add_checked_fixture(wr, setup, teardown);
  tcase_add_test(wr, test_write_after_shutdown_write_is_epipe);
  tcase_add_test(wr, test_write_on_unconnected_socket_is_epipe);
  tcase_add_test(wr, test_write_while_connecting_is_eagain);
  tcase_add_test(wr, test_write_with_send_buffer_full_is_eagain);
  tcase_add_test(wr, test_write_takes_partial_amount_up_to_buffer_space);
  tcase_add_test(wr, test_write_after_ack_frees_buffer_space);
  tcase_add_test(wr, test_send_msg_more_holds_data_back);
  tcase_add_test(wr, test_send_unsupported_flag_is_eopnotsupp);
  suite_add_tcase(s, wr);

  TCase *sh = tcase_create("shutdown_close");
  tcase_add_checked_fixture(sh, setup, teardown);
  tcase_add_test(sh, test_shutdown_read_makes_reads_return_0);
  tcase_add_test(sh, test_shutdown_write_sends_fin_and_reads_still_work);
  tcase_add_test(sh, test_shutdown_rdwr_sends_fin_and_reads_return_0);
  tcase_add_test(sh, test_shutdown_bad_how_is_einval);
  tcase_add_test(sh, test_shutdown_unconnected_is_enotconn);
  tcase_add_test(sh, test_shutdown_read_on_listener_stops_listening);
  tcase_add_test(sh, test_shutdown_write_on_listener_does_nothing);
  tcase_add_test(sh, test_shutdown_while_connecting_abandons_the_attempt);
  tcase_add_test(sh, test_close_twice_is_ebadf);
  suite_add_tcase(s, sh);

  TCase *opt = tcase_create("options");
  tcase_add_checked_fixture(opt, setup, teardown);
  tcase_add_test(opt, test_so_reuseaddr_reads_back);
  tcase_add_test(opt, test_so_linger_reads_back);
  tcase_add_test(opt, test_so_rcvbuf_and_so_sndbuf_are_doubled);
  tcase_add_test(opt, test_so_rcvbuf_and_so_sndbuf_have_linux_floors);
  tcase_add_test(opt, test_so_rcvbuf_and_so_sndbuf_are_clamped_to_the_buffer);
  tcase_add_test(opt, test_so_rcvbuf_defaults_and_so_sndbuf_defaults);
  tcase_add_test(opt, test_so_rcvbuf_sets_the_advertised_window);
  tcase_add_test(opt, test_so_keepalive_reads_back);
  tcase_add_test(opt, test_so_type_is_sock_stream);
  tcase_add_test(opt, test_so_error_is_0_without_error);
  tcase_add_test(opt, test_tcp_nodelay_reads_back);
  tcase_add_test(opt, test_tcp_maxseg_limits_mss_offered_in_syn);
  tcase_add_test(opt, test_tcp_maxseg_out_of_range_is_einval);
  tcase_add_test(opt, test_tcp_maxseg_of_a_connection_is_its_send_mss);
  tcase_add_test(opt, test_tcp_user_timeout_reads_back_and_refuses_negative);
  tcase_add_test(opt, test_tcp_keepalive_options_default_to_the_profile);
  tcase_add_test(opt, test_tcp_keepidle_range);
  tcase_add_test(opt, test_tcp_keepintvl_range);
  tcase_add_test(opt, test_tcp_keepcnt_range);
  tcase_add_test(opt, test_ip_tos_is_on_sent_segments);
  tcase_add_test(opt, test_ip_tos_of_listener_is_on_syn_ack);
  tcase_add_test(opt, test_ip_tos_ecn_bits_are_not_taken);
  tcase_add_test(opt, test_ip_tos_takes_a_single_byte);
  tcase_add_test(opt, test_unknown_option_is_enoprotoopt);
  tcase_add_test(opt, test_setsockopt_short_value_is_einval);
  tcase_add_test(opt, test_getsockopt_short_buffer_takes_what_fits);
  tcase_add_test(opt, test_fcntl_setfl_sets_and_clears_o_nonblock);
  tcase_add_test(opt, test_fcntl_unknown_command_is_einval);
  suite_add_tcase(s, opt);

  TCase *pl = tcase_create("poll");
  tcase_add_checked_fixture(pl, setup, teardown);
  tcase_add_test(pl, test_poll_bad_descriptor_is_pollnval);
  tcase_add_test(pl, test_poll_negative_descriptor_is_ignored);
  tcase_add_test(pl, test_poll_pollout_on_connected_socket_with_room);
  tcase_add_test(pl, test_poll_no_pollout_with_send_buffer_full);
  tcase_add_test(pl, test_poll_pollin_with_data);
  tcase_add_test(pl, test_poll_pollin_at_eof_without_pollhup);
  tcase_add_test(pl, test_poll_pollin_on_listener_with_queued_connection);
  tcase_add_test(pl, test_poll_pending_error_is_pollerr_even_unasked);
  tcase_add_test(pl, test_poll_pollhup_after_reset);
  tcase_add_test(pl, test_poll_pollhup_after_full_shutdown);
  tcase_add_test(pl, test_poll_pollhup_after_both_fins);
  tcase_add_test(pl, test_poll_pollpri_for_urgent_data);
  tcase_add_test(pl, test_poll_revents_are_masked_by_events);
  tcase_add_test(pl, test_poll_fresh_socket_is_pollout_and_pollhup);
  suite_add_tcase(s, pl);

  TCase *nm = tcase_create("names");
  tcase_add_checked_fixture(nm, setup, teardown);
  tcase_add_test(nm, test_getsockname_unbound_is_any_address_port_0);
  tcase_add_test(nm, test_getsockname_after_bind);
  tcase_add_test(nm, test_getsockname_short_buffer_takes_what_fits);
  tcase_add_test(nm, test_getpeername_unconnected_is_enotconn);
  tcase_add_test(nm, test_getpeername_connected_is_the_peer);
  suite_add_tcase(s, nm);

  TCase *full = tcase_create("full_connection");
  tcase_add_checked_fixture(full, setup, teardown);
  tcase_set_timeout(full, 60);
  tcase_add_test(full, test_full_connection_never_allocates);
  suite_add_tcase(s, full);
  return s;
}
