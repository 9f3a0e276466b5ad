/* The live Linux kernel as a system under test: a private network
 * namespace with a TUN device, real sockets, real time. Blocking calls run
 * on a helper thread, as packetdrill does; the runner sees them as pending
 * until the thread is done. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <net/route.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "synfin/sut.h"

#define QUEUE_MAX 4096
#define IO_MAX (1u << 20)
/* A call the helper thread makes counts as blocked once the thread sleeps
 * in the kernel; after this long it counts as blocked anyway. */
#define BLOCKED_AFTER_NS 200000000

struct queued {
  uint64_t t_us;
  size_t len;
  uint8_t *data;
};

struct linux_sut {
  sf_sut base;
  int tun;
  int wake[2]; /* the call thread writes a byte here when it finishes */
  uint64_t t0_ns;
  struct queued q[QUEUE_MAX];
  size_t head, count;
  /* the one call in flight on the helper thread */
  pthread_t thread;
  bool running;
  atomic_bool done;
  atomic_int tid; /* of the helper thread, once it runs */
  sf_call call;
  sf_call_result res;
  uint8_t *zeros; /* what writes send: scripts expect zero bytes */
  uint8_t *sink;  /* where reads go */
  uint64_t trace;
};

static struct linux_sut *L(sf_sut *s) {
  return (struct linux_sut *)s;
}

static uint64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t now(sf_sut *base) {
  return (mono_ns() - L(base)->t0_ns) / 1000u;
}

static void hash_packet(struct linux_sut *s, const uint8_t *p, size_t len) {
  /* FNV-1a over the bytes only: real-time stamps are not reproducible */
  uint64_t h = s->trace ? s->trace : 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < len; i++)
    h = (h ^ p[i]) * 0x100000001b3ULL;
  s->trace = h;
}

/* Reads whatever the kernel sent on tun0; only IPv4 is kept. */
static void drain_tun(struct linux_sut *s) {
  uint8_t buf[65536];
  for (;;) {
    ssize_t n = read(s->tun, buf, sizeof(buf));
    if (n <= 0)
      return;
    if ((buf[0] >> 4) != 4 || s->count == QUEUE_MAX)
      continue;
    uint8_t *copy = malloc((size_t)n);
    if (!copy)
      return;
    memcpy(copy, buf, (size_t)n);
    hash_packet(s, buf, (size_t)n);
    struct queued *q = &s->q[(s->head + s->count) % QUEUE_MAX];
    *q = (struct queued){now(&s->base), (size_t)n, copy};
    s->count++;
  }
}

static int wait_until(sf_sut *base, uint64_t until) {
  struct linux_sut *s = L(base);
  for (;;) {
    drain_tun(s);
    if (s->count)
      return 1;
    uint64_t t = now(base);
    if (t >= until)
      return 0;
    uint64_t left = until - t;
    struct timespec ts = {(time_t)(left / 1000000u),
                          (long)(left % 1000000u) * 1000};
    struct pollfd pfd[2] = {{s->tun, POLLIN, 0}, {s->wake[0], POLLIN, 0}};
    int rc = ppoll(pfd, 2, &ts, NULL);
    if (rc < 0 && errno != EINTR)
      return -errno;
    if (rc > 0 && (pfd[1].revents & POLLIN)) {
      char b[64];
      while (read(s->wake[0], b, sizeof(b)) > 0)
        ;
      return 0; /* a blocking call finished: let the runner look */
    }
  }
}

static uint64_t next_deadline(sf_sut *base) {
  (void)base;
  return SF_TIME_NEVER;
}

static int inject(sf_sut *base, const uint8_t *pkt, size_t len) {
  struct linux_sut *s = L(base);
  hash_packet(s, pkt, len);
  ssize_t n = write(s->tun, pkt, len);
  if (n < 0)
    return -errno;
  return (size_t)n == len ? 0 : -EIO;
}

static long recv_pkt(sf_sut *base, uint8_t *buf, size_t cap, uint64_t *t_us) {
  struct linux_sut *s = L(base);
  drain_tun(s);
  if (s->count == 0)
    return 0;
  struct queued *q = &s->q[s->head];
  if (q->len > cap)
    return -EMSGSIZE;
  memcpy(buf, q->data, q->len);
  *t_us = q->t_us;
  long len = (long)q->len;
  free(q->data);
  s->head = (s->head + 1) % QUEUE_MAX;
  s->count--;
  return len;
}

/* A blocking write returns once everything is queued; so does this, in
 * slices of the zero buffer. */
static long write_all(struct linux_sut *s, const sf_call *c) {
  size_t done = 0;
  do {
    size_t n = c->len - done < IO_MAX ? c->len - done : IO_MAX;
    ssize_t w = c->op == SF_OP_WRITE
                    ? write(c->fd, s->zeros, n)
                    : send(c->fd, s->zeros, n, c->a | MSG_NOSIGNAL);
    if (w < 0)
      return done ? (long)done : -1;
    done += (size_t)w;
    if ((size_t)w < n)
      break;
  } while (done < c->len);
  return (long)done;
}

/* The real system call, with buffers of zeros (or a sink) for I/O. */
static long syscall_of(struct linux_sut *s, const sf_call *c,
                       sf_call_result *r) {
  const struct sockaddr *addr = (const struct sockaddr *)&c->addr;
  struct sockaddr *out = (struct sockaddr *)&r->addr;
  size_t len = c->len < IO_MAX ? c->len : IO_MAX;
  r->addrlen = sizeof(r->addr);
  switch (c->op) {
  case SF_OP_SOCKET:
    return socket(c->a, c->b, c->c);
  case SF_OP_BIND:
    return bind(c->fd, addr, sizeof(c->addr));
  case SF_OP_LISTEN:
    return listen(c->fd, c->a);
  case SF_OP_ACCEPT:
    return accept(c->fd, out, &r->addrlen);
  case SF_OP_CONNECT:
    return connect(c->fd, addr, sizeof(c->addr));
  case SF_OP_READ:
    return read(c->fd, s->sink, len);
  case SF_OP_RECV:
    return recv(c->fd, s->sink, len, c->a);
  case SF_OP_WRITE:
  case SF_OP_SEND:
    return write_all(s, c);
  case SF_OP_SHUTDOWN:
    return shutdown(c->fd, c->a);
  case SF_OP_CLOSE:
    return close(c->fd);
  case SF_OP_SETSOCKOPT:
    return setsockopt(c->fd, c->a, c->b, c->opt, c->optlen);
  case SF_OP_GETSOCKOPT:
    r->optlen = c->optlen;
    return getsockopt(c->fd, c->a, c->b, r->opt, &r->optlen);
  case SF_OP_FCNTL:
    return fcntl(c->fd, c->a, c->b);
  case SF_OP_POLL:
    memcpy(r->pfd, c->pfd, sizeof(c->pfd));
    return poll(r->pfd, c->npfd, c->timeout_ms);
  case SF_OP_GETSOCKNAME:
    return getsockname(c->fd, out, &r->addrlen);
  case SF_OP_GETPEERNAME:
    return getpeername(c->fd, out, &r->addrlen);
  }
  errno = ENOSYS;
  return -1;
}

static void *call_thread(void *arg) {
  struct linux_sut *s = arg;
  atomic_store(&s->tid, (int)gettid());
  memset(&s->res, 0, sizeof(s->res));
  long rc = syscall_of(s, &s->call, &s->res);
  s->res.ret = rc;
  s->res.err = rc < 0 ? errno : 0;
  s->res.t_us = now(&s->base);
  atomic_store(&s->done, true);
  char b = 1;
  if (write(s->wake[1], &b, 1) < 0) {
    /* the runner polls anyway */
  }
  return NULL;
}

/* Whether the helper thread sleeps in the kernel (state S or D in
 * /proc): that is how a blocked call looks from outside. */
static bool thread_sleeps(struct linux_sut *s) {
  int tid = atomic_load(&s->tid);
  if (tid <= 0)
    return false;
  char path[64], buf[256];
  snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
  FILE *f = fopen(path, "r");
  if (!f)
    return false;
  size_t n = fread(buf, 1, sizeof(buf) - 1, f);
  fclose(f);
  buf[n] = '\0';
  const char *paren = strrchr(buf, ')');
  return paren && paren[1] == ' ' && (paren[2] == 'S' || paren[2] == 'D');
}

/* Calls that can block on a blocking descriptor run on the helper thread,
 * like packetdrill's; every other call runs here and now. */
static bool may_block(const sf_call *c) {
  switch (c->op) {
  case SF_OP_ACCEPT:
  case SF_OP_CONNECT:
  case SF_OP_READ:
  case SF_OP_RECV:
  case SF_OP_WRITE:
  case SF_OP_SEND:
  case SF_OP_CLOSE:
    return true;
  case SF_OP_POLL:
    return c->timeout_ms != 0;
  default:
    return false;
  }
}

/* The first attempt starts a call that may block on the helper thread and
 * waits until it is done or sleeps in the kernel; later attempts collect
 * it once done. */
static int call(sf_sut *base, const sf_call *c, sf_call_result *r) {
  struct linux_sut *s = L(base);
  if (!s->running && !may_block(c)) {
    memset(r, 0, sizeof(*r));
    long rc = syscall_of(s, c, r);
    r->ret = rc;
    r->err = rc < 0 ? errno : 0;
    r->t_us = now(base);
    return 0;
  }
  if (!s->running) {
    s->call = *c;
    atomic_store(&s->done, false);
    atomic_store(&s->tid, 0);
    if (pthread_create(&s->thread, NULL, call_thread, s) != 0)
      return -EAGAIN;
    s->running = true;
    uint64_t deadline = mono_ns() + BLOCKED_AFTER_NS;
    while (!atomic_load(&s->done) && mono_ns() < deadline) {
      if (thread_sleeps(s)) {
        /* asleep: blocked, unless it finishes right now */
        struct timespec ts = {0, 200000};
        nanosleep(&ts, NULL);
        if (thread_sleeps(s))
          break;
      }
      sched_yield();
    }
  }
  if (!atomic_load(&s->done))
    return -EAGAIN;
  pthread_join(s->thread, NULL);
  s->running = false;
  *r = s->res;
  return 0;
}

static bool blocking(sf_sut *base, int fd) {
  (void)base;
  int fl = fcntl(fd, F_GETFL);
  return fl >= 0 && !(fl & O_NONBLOCK);
}

static int command(sf_sut *base, const char *text) {
  (void)base;
  int st = system(text);
  if (st < 0)
    return -errno;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int profile_set(sf_sut *base, const char *key, const char *value) {
  (void)base;
  (void)key;
  (void)value;
  return -ENOTSUP;
}

static void start(sf_sut *base) {
  L(base)->t0_ns = mono_ns();
}

static uint64_t trace_hash(sf_sut *base) {
  return L(base)->trace;
}

static void destroy(sf_sut *base) {
  struct linux_sut *s = L(base);
  if (s->running)
    pthread_detach(s->thread); /* blocked for good: the process ends it */
  for (size_t i = 0; i < s->count; i++)
    free(s->q[(s->head + i) % QUEUE_MAX].data);
  if (s->tun >= 0)
    close(s->tun);
  if (!s->running) {
    close(s->wake[0]);
    close(s->wake[1]);
    free(s->zeros);
    free(s->sink);
    free(s);
  }
}

static const sf_sut_ops linux_ops = {
    .name = "linux",
    .destroy = destroy,
    .now = now,
    .wait = wait_until,
    .next_deadline = next_deadline,
    .inject = inject,
    .recv = recv_pkt,
    .call = call,
    .blocking = blocking,
    .command = command,
    .profile_set = profile_set,
    .trace_hash = trace_hash,
    .start = start,
};

/* ---- the namespace ---- */

static int write_file(const char *path, const char *value) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  ssize_t n = write(fd, value, strlen(value));
  int e = n < 0 ? -errno : 0;
  close(fd);
  return e;
}

/* Per-namespace settings packetdrill's Linux suites expect
 * (docs/linux-sut.md). */
static const struct {
  const char *path, *value;
  const char *fallback; /* when the value is refused, or NULL */
} sysctls[] = {
    {"/proc/sys/net/ipv6/conf/all/disable_ipv6", "1"},
    {"/proc/sys/net/ipv6/conf/default/disable_ipv6", "1"},
    {"/proc/sys/net/ipv4/tcp_rmem", "4096 540000 15728640"},
    {"/proc/sys/net/ipv4/tcp_wmem", "4096 262144 4194304"},
    {"/proc/sys/net/ipv4/tcp_timestamps", "1"},
    {"/proc/sys/net/ipv4/tcp_sack", "1"},
    {"/proc/sys/net/ipv4/tcp_window_scaling", "1"},
    {"/proc/sys/net/ipv4/tcp_syn_retries", "6"},
    {"/proc/sys/net/ipv4/tcp_synack_retries", "5"},
    {"/proc/sys/net/ipv4/tcp_ecn", "0"},
    {"/proc/sys/net/ipv4/tcp_slow_start_after_idle", "0"},
    {"/proc/sys/net/ipv4/tcp_fastopen", "0"},
    {"/proc/sys/net/ipv4/tcp_syncookies", "1"},
    {"/proc/sys/net/ipv4/tcp_no_metrics_save", "1"},
    /* a namespace may use only the host's allowed algorithms: Reno's slow
     * start and recovery are Cubic's */
    {"/proc/sys/net/ipv4/tcp_congestion_control", "cubic", "reno"},
};

static int ifreq_ioctl(int s, unsigned long req, const char *name,
                       const char *addr, struct ifreq *ifr) {
  memset(ifr, 0, sizeof(*ifr));
  snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", name);
  if (addr) {
    struct sockaddr_in *a = (struct sockaddr_in *)&ifr->ifr_addr;
    a->sin_family = AF_INET;
    inet_pton(AF_INET, addr, &a->sin_addr);
  }
  return ioctl(s, req, ifr) < 0 ? -errno : 0;
}

static int bring_up(int s, const char *name) {
  struct ifreq ifr;
  int rc = ifreq_ioctl(s, SIOCGIFFLAGS, name, NULL, &ifr);
  if (rc < 0)
    return rc;
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  return ioctl(s, SIOCSIFFLAGS, &ifr) < 0 ? -errno : 0;
}

static int add_route(int s) {
  struct rtentry rt;
  memset(&rt, 0, sizeof(rt));
  struct sockaddr_in *dst = (struct sockaddr_in *)&rt.rt_dst;
  struct sockaddr_in *mask = (struct sockaddr_in *)&rt.rt_genmask;
  dst->sin_family = AF_INET;
  inet_pton(AF_INET, "192.0.2.0", &dst->sin_addr);
  mask->sin_family = AF_INET;
  inet_pton(AF_INET, "255.255.255.0", &mask->sin_addr);
  ((struct sockaddr_in *)&rt.rt_gateway)->sin_family = AF_INET;
  rt.rt_flags = RTF_UP;
  rt.rt_dev = (char *)"tun0";
  return ioctl(s, SIOCADDRT, &rt) < 0 ? -errno : 0;
}

static int fail(char *err, size_t errlen, int rc, const char *what) {
  snprintf(err, errlen, "%s: %s", what, strerror(-rc));
  return rc;
}

static int setup_namespace(struct linux_sut *s, char *err, size_t errlen) {
  if (unshare(CLONE_NEWNET) != 0) {
    int rc = -errno;
    snprintf(err, errlen,
             "cannot create a network namespace (%s): the linux back end "
             "needs root, or CAP_SYS_ADMIN and CAP_NET_ADMIN",
             strerror(errno));
    return rc;
  }
  for (size_t i = 0; i < sizeof(sysctls) / sizeof(sysctls[0]); i++)
    if (write_file(sysctls[i].path, sysctls[i].value) < 0 &&
        sysctls[i].fallback) /* best effort */
      write_file(sysctls[i].path, sysctls[i].fallback);
  s->tun = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
  if (s->tun < 0)
    return fail(err, errlen, -errno,
                "cannot open /dev/net/tun (no TUN support on this machine?)");
  struct ifreq ifr;
  memset(&ifr, 0, sizeof(ifr));
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "tun0");
  if (ioctl(s->tun, TUNSETIFF, &ifr) < 0)
    return fail(err, errlen, -errno, "cannot create tun0 (TUNSETIFF)");
  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0)
    return fail(err, errlen, -errno, "socket");
  int rc = bring_up(sock, "lo");
  if (rc == 0)
    rc = ifreq_ioctl(sock, SIOCSIFADDR, "tun0", "192.168.0.1", &ifr);
  if (rc == 0)
    rc = ifreq_ioctl(sock, SIOCSIFNETMASK, "tun0", "255.255.0.0", &ifr);
  if (rc == 0)
    rc = bring_up(sock, "tun0");
  if (rc == 0)
    rc = add_route(sock);
  close(sock);
  if (rc < 0)
    return fail(err, errlen, rc, "cannot configure tun0");
  return 0;
}

int sf_sut_linux_new(sf_sut **out, char *err, size_t errlen) {
  /* a write to a reset socket must fail with EPIPE, not end the runner */
  signal(SIGPIPE, SIG_IGN);
  struct linux_sut *s = calloc(1, sizeof(*s));
  if (!s)
    return -ENOMEM;
  s->tun = -1;
  s->zeros = calloc(1, IO_MAX);
  s->sink = malloc(IO_MAX);
  if (!s->zeros || !s->sink || pipe2(s->wake, O_CLOEXEC | O_NONBLOCK) != 0) {
    free(s->zeros);
    free(s->sink);
    free(s);
    snprintf(err, errlen, "out of memory or descriptors");
    return -ENOMEM;
  }
  s->base.ops = &linux_ops;
  int rc = setup_namespace(s, err, errlen);
  if (rc < 0) {
    destroy(&s->base);
    return rc;
  }
  s->t0_ns = mono_ns();
  *out = &s->base;
  return 0;
}
