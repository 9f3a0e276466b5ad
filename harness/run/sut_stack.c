/* The built-in stack as a system under test, in virtual time. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "synfin/stack_config.h"
#include "synfin/sut.h"

#define QUEUE_MAX 4096

struct queued {
  uint64_t t_us;
  size_t len;
  uint8_t *data;
};

struct stack_sut {
  sf_sut base;
  sf_stack *st;
  struct queued q[QUEUE_MAX];
  size_t head, count;
  size_t dropped; /* outbound packets the queue had no room for */
  sf_trace_hash trace;
  sf_sut_stack_hooks hooks;
};

static struct stack_sut *S(sf_sut *s) {
  return (struct stack_sut *)s;
}

static void on_output(void *ctx, const uint8_t *pkt, size_t len) {
  struct stack_sut *s = ctx;
  sf_trace_hash_packet(&s->trace, sf_stack_now(s->st), SF_DIR_OUT, pkt, len);
  if (s->hooks.output)
    s->hooks.output(s->hooks.ctx, pkt, len);
  if (s->count == QUEUE_MAX) {
    s->dropped++;
    return;
  }
  uint8_t *copy = malloc(len ? len : 1);
  if (!copy) {
    s->dropped++;
    return;
  }
  memcpy(copy, pkt, len);
  struct queued *q = &s->q[(s->head + s->count) % QUEUE_MAX];
  q->t_us = sf_stack_now(s->st);
  q->len = len;
  q->data = copy;
  s->count++;
}

static void destroy(sf_sut *base) {
  struct stack_sut *s = S(base);
  for (size_t i = 0; i < s->count; i++)
    free(s->q[(s->head + i) % QUEUE_MAX].data);
  sf_stack_free(s->st);
  free(s);
}

static uint64_t now(sf_sut *base) {
  return sf_stack_now(S(base)->st);
}

/* Virtual time: jump from timer to timer, stopping at the first packet. */
static int wait_until(sf_sut *base, uint64_t until) {
  struct stack_sut *s = S(base);
  while (s->count == 0) {
    uint64_t t = sf_stack_next_deadline(s->st);
    if (t > until)
      t = until;
    if (t < sf_stack_now(s->st))
      t = sf_stack_now(s->st);
    int rc = sf_stack_advance(s->st, t);
    if (rc < 0)
      return rc;
    if (t >= until)
      break;
  }
  return s->count > 0;
}

static uint64_t next_deadline(sf_sut *base) {
  return sf_stack_next_deadline(S(base)->st);
}

static int inject(sf_sut *base, const uint8_t *pkt, size_t len) {
  struct stack_sut *s = S(base);
  uint64_t t = sf_stack_now(s->st);
  sf_trace_hash_packet(&s->trace, t, SF_DIR_IN, pkt, len);
  return sf_stack_input(s->st, t, pkt, len);
}

static long recv_pkt(sf_sut *base, uint8_t *buf, size_t cap, uint64_t *t_us) {
  struct stack_sut *s = S(base);
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

/* Writes and reads move zero bytes: scripts compare payloads as zeros. */
static uint8_t zeros[65536];
static uint8_t sink[65536];

static long io_call(struct stack_sut *s, const sf_call *c) {
  sf_stack *st = s->st;
  const sf_sut_stack_hooks *h = &s->hooks;
  long total = 0;
  size_t left = c->len;
  do {
    size_t n = left < sizeof(sink) ? left : sizeof(sink);
    bool reading = c->op == SF_OP_READ || c->op == SF_OP_RECV;
    const uint8_t *src =
        !reading && h->write_begin ? h->write_begin(h->ctx, c->fd, n) : NULL;
    long r;
    switch (c->op) {
    case SF_OP_READ:
      r = sf_read(st, c->fd, sink, n);
      break;
    case SF_OP_RECV:
      r = sf_recv(st, c->fd, sink, n, c->a);
      break;
    case SF_OP_WRITE:
      r = sf_write(st, c->fd, src ? src : zeros, n);
      break;
    default:
      r = sf_send(st, c->fd, src ? src : zeros, n, c->a);
      break;
    }
    if (reading && h->read)
      h->read(h->ctx, c->fd, sink, r);
    else if (!reading && h->write_end)
      h->write_end(h->ctx, c->fd, n, r);
    if (r < 0)
      return total ? total : r;
    total += r;
    left -= (size_t)r;
    if ((size_t)r < n || r == 0)
      break;
  } while (left > 0);
  return total;
}

static long dispatch(struct stack_sut *s, const sf_call *c, sf_call_result *r) {
  sf_stack *st = s->st;
  const struct sockaddr *addr = (const struct sockaddr *)&c->addr;
  struct sockaddr *out = (struct sockaddr *)&r->addr;
  r->addrlen = sizeof(r->addr);
  switch (c->op) {
  case SF_OP_SOCKET:
    return sf_socket(st, c->a, c->b, c->c);
  case SF_OP_BIND:
    return sf_bind(st, c->fd, addr, sizeof(c->addr));
  case SF_OP_LISTEN:
    return sf_listen(st, c->fd, c->a);
  case SF_OP_ACCEPT:
    return sf_accept(st, c->fd, out, &r->addrlen);
  case SF_OP_CONNECT:
    return sf_connect(st, c->fd, addr, sizeof(c->addr));
  case SF_OP_READ:
  case SF_OP_RECV:
  case SF_OP_WRITE:
  case SF_OP_SEND:
    return io_call(s, c);
  case SF_OP_SHUTDOWN:
    return sf_shutdown(st, c->fd, c->a);
  case SF_OP_CLOSE:
    return sf_close(st, c->fd);
  case SF_OP_SETSOCKOPT:
    return sf_setsockopt(st, c->fd, c->a, c->b, c->opt, c->optlen);
  case SF_OP_GETSOCKOPT:
    r->optlen = c->optlen;
    return sf_getsockopt(st, c->fd, c->a, c->b, r->opt, &r->optlen);
  case SF_OP_FCNTL:
    return sf_fcntl(st, c->fd, c->a, c->b);
  case SF_OP_POLL:
    memcpy(r->pfd, c->pfd, sizeof(c->pfd));
    return sf_poll(st, r->pfd, c->npfd);
  case SF_OP_GETSOCKNAME:
    return sf_getsockname(st, c->fd, out, &r->addrlen);
  case SF_OP_GETPEERNAME:
    return sf_getpeername(st, c->fd, out, &r->addrlen);
  }
  return -ENOSYS;
}

static bool blocking(sf_sut *base, int fd) {
  int fl = sf_fcntl(S(base)->st, fd, F_GETFL, 0);
  return fl >= 0 && !(fl & O_NONBLOCK);
}

/* A call that would block on a blocking descriptor is reported as pending;
 * the stack itself never blocks. */
static bool would_block(sf_sut *base, const sf_call *c, long rc) {
  switch (c->op) {
  case SF_OP_ACCEPT:
  case SF_OP_READ:
  case SF_OP_RECV:
  case SF_OP_WRITE:
  case SF_OP_SEND:
    return rc == -EAGAIN && blocking(base, c->fd) &&
           !((c->op == SF_OP_RECV || c->op == SF_OP_SEND) &&
             (c->a & MSG_DONTWAIT));
  case SF_OP_CONNECT:
    return (rc == -EINPROGRESS || rc == -EALREADY) && blocking(base, c->fd);
  case SF_OP_POLL:
    return rc == 0 && c->timeout_ms != 0;
  default:
    return false;
  }
}

static int call(sf_sut *base, const sf_call *c, sf_call_result *r) {
  struct stack_sut *s = S(base);
  memset(r, 0, sizeof(*r));
  long rc = dispatch(s, c, r);
  r->t_us = sf_stack_now(s->st);
  if (would_block(base, c, rc))
    return -EAGAIN;
  if (rc < 0) {
    r->ret = -1;
    r->err = (int)-rc;
  } else {
    r->ret = rc;
  }
  return 0;
}

static int command(sf_sut *base, const char *text) {
  (void)base;
  (void)text;
  return -ENOTSUP; /* the runner maps sysctls to profile values instead */
}

static int profile_set(sf_sut *base, const char *key, const char *value) {
  struct stack_sut *s = S(base);
  sf_profile p = sf_stack_config(s->st)->profile;
  int rc = sf_profile_set(&p, key, value);
  if (rc == 0)
    sf_stack_set_profile(s->st, &p);
  return rc;
}

static uint64_t trace_hash(sf_sut *base) {
  return S(base)->trace.h;
}

static void start(sf_sut *base) {
  (void)base; /* virtual time starts at 0 anyway */
}

static const sf_sut_ops stack_ops = {
    .name = "stack",
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

int sf_sut_stack_new(const sf_profile *profile, uint32_t local, uint32_t mtu,
                     uint64_t seed, sf_sut **out) {
  struct stack_sut *s = calloc(1, sizeof(*s));
  if (!s)
    return -ENOMEM;
  sf_config cfg;
  sf_harness_stack_config(&cfg, profile, local, mtu, seed);
  cfg.output = on_output;
  cfg.output_ctx = s;
  int rc = sf_stack_new(&cfg, &s->st);
  if (rc < 0) {
    free(s);
    return rc;
  }
  sf_trace_hash_init(&s->trace);
  s->base.ops = &stack_ops;
  *out = &s->base;
  return 0;
}

sf_stack *sf_sut_stack_get(sf_sut *s) {
  return s->ops == &stack_ops ? S(s)->st : NULL;
}

void sf_sut_stack_set_hooks(sf_sut *s, const sf_sut_stack_hooks *h) {
  if (s->ops != &stack_ops)
    return;
  if (h)
    S(s)->hooks = *h;
  else
    memset(&S(s)->hooks, 0, sizeof(S(s)->hooks));
}
