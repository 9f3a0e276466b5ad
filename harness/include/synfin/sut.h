/* A system under test, as the script runner sees it: inject a packet,
 * collect outbound packets, make a socket call, let time pass. The built-in
 * stack runs in virtual time; a live kernel back end runs in real time. */
#ifndef SYNFIN_SUT_H
#define SYNFIN_SUT_H

#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "synfin/stack.h"

#ifdef __cplusplus
extern "C" {
#endif

enum sf_call_op {
  SF_OP_SOCKET,
  SF_OP_BIND,
  SF_OP_LISTEN,
  SF_OP_ACCEPT,
  SF_OP_CONNECT,
  SF_OP_READ,
  SF_OP_WRITE,
  SF_OP_SEND,
  SF_OP_RECV,
  SF_OP_SHUTDOWN,
  SF_OP_CLOSE,
  SF_OP_SETSOCKOPT,
  SF_OP_GETSOCKOPT,
  SF_OP_FCNTL,
  SF_OP_POLL,
  SF_OP_GETSOCKNAME,
  SF_OP_GETPEERNAME,
};

#define SF_CALL_MAX_POLLFD 16
#define SF_CALL_MAX_OPT 64

/* One socket call with its arguments in live terms (live descriptors,
 * byte counts instead of buffers). */
typedef struct sf_call {
  int op;                  /* enum sf_call_op */
  int fd;                  /* live descriptor */
  int a, b, c;             /* socket: domain, type, protocol; listen: backlog;
                              shutdown: how; fcntl: cmd, arg; send/recv: flags in a;
                              setsockopt/getsockopt: level, name */
  size_t len;              /* read/write/send/recv: bytes */
  struct sockaddr_in addr; /* bind/connect */
  uint8_t opt[SF_CALL_MAX_OPT]; /* setsockopt value */
  socklen_t optlen; /* setsockopt: value bytes; getsockopt: buffer bytes */
  struct pollfd pfd[SF_CALL_MAX_POLLFD];
  unsigned npfd;
  int timeout_ms; /* poll */
} sf_call;

typedef struct sf_call_result {
  long ret;                     /* the call's return value; -1 on error */
  int err;                      /* errno when ret is -1 */
  uint8_t opt[SF_CALL_MAX_OPT]; /* getsockopt value */
  socklen_t optlen;
  struct pollfd pfd[SF_CALL_MAX_POLLFD];
  struct sockaddr_in addr; /* accept, getsockname, getpeername */
  socklen_t addrlen;
  uint64_t t_us; /* when the call returned (SUT time) */
} sf_call_result;

typedef struct sf_sut sf_sut;

typedef struct sf_sut_ops {
  const char *name;
  void (*destroy)(sf_sut *s);
  /* Microseconds since the SUT was created. */
  uint64_t (*now)(sf_sut *s);
  /* Lets time pass until `until` or until an outbound packet is waiting,
   * whichever comes first. Returns 1 if a packet waits, 0, or -errno. */
  int (*wait)(sf_sut *s, uint64_t until);
  /* The time the SUT will next act on its own (a timer), or SF_TIME_NEVER;
   * a real-time SUT returns SF_TIME_NEVER. */
  uint64_t (*next_deadline)(sf_sut *s);
  int (*inject)(sf_sut *s, const uint8_t *pkt, size_t len);
  /* Takes the oldest waiting outbound packet. Returns its length, 0 when
   * none waits, or -errno. */
  long (*recv)(sf_sut *s, uint8_t *buf, size_t cap, uint64_t *t_us);
  /* Makes a call without blocking. Returns 0 with *r filled, or -EAGAIN
   * when the call would block on a blocking descriptor (it is then retried
   * by the runner until it completes). */
  int (*call)(sf_sut *s, const sf_call *c, sf_call_result *r);
  /* Whether a live descriptor is in blocking mode. */
  bool (*blocking)(sf_sut *s, int fd);
  /* Runs a shell command where the SUT lives (a live kernel's network
   * namespace). Returns its exit status (>= 0), or -ENOTSUP for a SUT that
   * runs no commands. */
  int (*command)(sf_sut *s, const char *text);
  /* Changes one profile value by name (the stack only). */
  int (*profile_set)(sf_sut *s, const char *key, const char *value);
  /* Hash of every packet both ways, for determinism checks. */
  uint64_t (*trace_hash)(sf_sut *s);
  /* The script starts now: time 0 (after the init command ran). */
  void (*start)(sf_sut *s);
} sf_sut_ops;

struct sf_sut {
  const sf_sut_ops *ops;
};

/* The built-in stack at address `local` (host order) with an MTU, in
 * virtual time, configured by sf_harness_stack_config() (stack_config.h)
 * as the fuzz scenarios' stack is. */
int sf_sut_stack_new(const sf_profile *profile, uint32_t local, uint32_t mtu,
                     uint64_t seed, sf_sut **out);
/* The stack behind a stack SUT (NULL for other kinds). */
sf_stack *sf_sut_stack_get(sf_sut *s);

/* What the script runner's --oracles mode watches in a stack SUT (every
 * field optional): each datagram as the stack sends it, the bytes each
 * write sends (write_begin returns them, or NULL for zeros; n is at most
 * 65536 per call) and each read's bytes (got: the count or -errno). */
typedef struct sf_sut_stack_hooks {
  void (*output)(void *ctx, const uint8_t *pkt, size_t len);
  const uint8_t *(*write_begin)(void *ctx, int fd, size_t n);
  void (*write_end)(void *ctx, int fd, size_t n, long written);
  void (*read)(void *ctx, int fd, const uint8_t *buf, long got);
  void *ctx;
} sf_sut_stack_hooks;

/* Installs hooks (copied; NULL removes them) in a stack SUT. */
void sf_sut_stack_set_hooks(sf_sut *s, const sf_sut_stack_hooks *h);

/* The live Linux kernel of this machine, in a private network namespace
 * that this process enters (so call it in a process of its own): a TUN
 * device tun0 with packetdrill's addresses (local 192.168.0.1/16, remote
 * 192.0.2.0/24 routed through tun0), the per-namespace sysctls of
 * docs/linux-sut.md, real sockets, real time. Needs root or CAP_SYS_ADMIN
 * and CAP_NET_ADMIN; errors name what is missing in err. */
int sf_sut_linux_new(sf_sut **out, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif
