/* System-call lines: the script's arguments become a live sf_call, and the
 * live result is compared with the script's (packetdrill semantics: `...`
 * is filled from the configured addresses, [N] is an int in memory). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>

#include "run_internal.h"
#include "synfin/ipv4_options.h"

struct call_spec {
  const char *name;
  int op;
  size_t min_args, max_args;
};

static const struct call_spec calls[] = {
    {"socket", SF_OP_SOCKET, 3, 3},
    {"bind", SF_OP_BIND, 3, 3},
    {"listen", SF_OP_LISTEN, 2, 2},
    {"accept", SF_OP_ACCEPT, 3, 3},
    {"accept4", SF_OP_ACCEPT, 4, 4},
    {"connect", SF_OP_CONNECT, 3, 3},
    {"read", SF_OP_READ, 3, 3},
    {"write", SF_OP_WRITE, 3, 3},
    {"send", SF_OP_SEND, 4, 4},
    {"recv", SF_OP_RECV, 4, 4},
    {"sendto", SF_OP_SEND, 6, 6},
    {"recvfrom", SF_OP_RECV, 6, 6},
    {"writev", SF_OP_WRITE, 3, 3},
    {"readv", SF_OP_READ, 3, 3},
    {"shutdown", SF_OP_SHUTDOWN, 2, 2},
    {"close", SF_OP_CLOSE, 1, 1},
    {"setsockopt", SF_OP_SETSOCKOPT, 5, 5},
    {"getsockopt", SF_OP_GETSOCKOPT, 5, 5},
    {"fcntl", SF_OP_FCNTL, 2, 3},
    {"poll", SF_OP_POLL, 3, 3},
    {"getsockname", SF_OP_GETSOCKNAME, 3, 3},
    {"getpeername", SF_OP_GETPEERNAME, 3, 3},
};

struct ctx {
  struct runner *r;
  char *why;
  size_t whylen;
};

static int unsupported(struct ctx *c, const sf_script_expr *e, const char *what,
                       const char *name) {
  (void)e;
  snprintf(c->why, c->whylen, "%s%s%s", what, name ? " " : "",
           name ? name : "");
  return -ENOTSUP;
}

/* An integer argument: a number, a symbol, an OR of them, or [N]. */
static int int_value(struct ctx *c, const sf_script_expr *e, long *out) {
  switch (e->kind) {
  case SF_SCR_EXPR_INT:
    *out = (long)e->num.value;
    return 0;
  case SF_SCR_EXPR_WORD:
    if (sf_sym_value(e->word, out))
      return 0;
    return unsupported(c, e, "unsupported symbol", e->word);
  case SF_SCR_EXPR_OR: {
    long v = 0;
    for (size_t i = 0; i < e->list.n; i++) {
      long x;
      int rc = int_value(c, e->list.items[i], &x);
      if (rc < 0)
        return rc;
      v |= x;
    }
    *out = v;
    return 0;
  }
  case SF_SCR_EXPR_LIST:
    if (e->list.n == 1)
      return int_value(c, e->list.items[0], out);
    return unsupported(c, e, "unsupported list argument", NULL);
  case SF_SCR_EXPR_CALL:
    if (strcmp(e->call.name, "htons") == 0 && e->call.n_args == 1) {
      long v;
      int rc = int_value(c, e->call.args[0], &v);
      *out = v;
      return rc;
    }
    return unsupported(c, e, "unsupported expression", e->call.name);
  default:
    return unsupported(c, e, "unsupported argument",
                       sf_script_expr_kind_name(e->kind));
  }
}

static int fd_value(struct ctx *c, const sf_script_expr *e, int *out) {
  long v;
  int rc = int_value(c, e, &v);
  if (rc < 0)
    return rc;
  *out = run_live_fd(c->r, (int)v);
  return 0;
}

/* `...` or a sockaddr struct {sin_family, sin_port=htons(P),
 * sin_addr=inet_addr("A")}. */
static int addr_value(struct ctx *c, const sf_script_expr *e, uint32_t ip,
                      struct sockaddr_in *out) {
  memset(out, 0, sizeof(*out));
  out->sin_family = AF_INET;
  out->sin_port = htons(RUN_PORT);
  out->sin_addr.s_addr = htonl(ip);
  if (e->kind == SF_SCR_EXPR_ELLIPSIS)
    return 0;
  if (e->kind != SF_SCR_EXPR_STRUCT)
    return unsupported(c, e, "unsupported address argument", NULL);
  const sf_script_expr *port = sf_script_expr_field(e, "sin_port");
  const sf_script_expr *addr = sf_script_expr_field(e, "sin_addr");
  const sf_script_expr *fam = sf_script_expr_field(e, "sin_family");
  long v;
  if (fam) {
    int rc = int_value(c, fam, &v);
    if (rc < 0)
      return rc;
    out->sin_family = (sa_family_t)v;
  }
  if (port) {
    int rc = int_value(c, port, &v);
    if (rc < 0)
      return rc;
    out->sin_port = htons((uint16_t)v);
  }
  if (addr) {
    if (addr->kind != SF_SCR_EXPR_CALL ||
        strcmp(addr->call.name, "inet_addr") != 0 || addr->call.n_args != 1 ||
        addr->call.args[0]->kind != SF_SCR_EXPR_STRING ||
        inet_pton(AF_INET, addr->call.args[0]->str.text, &out->sin_addr) != 1)
      return unsupported(c, addr, "unsupported sin_addr", NULL);
  }
  return 0;
}

/* Bytes an I/O call moves: a length, or the sum of an iovec list. */
static int io_len(struct ctx *c, const sf_script_expr *e, size_t *out) {
  if (e->kind == SF_SCR_EXPR_LIST) {
    size_t total = 0;
    for (size_t i = 0; i < e->list.n; i++) {
      const sf_script_expr *len =
          sf_script_expr_field(e->list.items[i], "iov_len");
      long v;
      if (!len)
        return unsupported(c, e, "iovec without iov_len", NULL);
      int rc = int_value(c, len, &v);
      if (rc < 0)
        return rc;
      total += (size_t)v;
    }
    *out = total;
    return 0;
  }
  long v;
  int rc = int_value(c, e, &v);
  if (rc == 0 && (v < 0 || v > (1L << 30)))
    return unsupported(c, e, "unsupported length", NULL);
  *out = (size_t)v;
  return rc;
}

/* synfin's IP_OPTIONS value: lsrr("A", "B", ...) or ssrr(...), a source
 * route in Linux's form (RFC 791 3.1 type, length, pointer 4, then the
 * hops, first hop first; the kernel pads the options to 32 bits). */
static int route_value(struct ctx *c, const sf_script_expr *e, uint8_t *buf,
                       socklen_t *len) {
  bool strict = strcmp(e->call.name, "ssrr") == 0;
  size_t n = e->call.n_args;
  if (n == 0 || n > 9)
    return unsupported(c, e, "a source route of 1 to 9 addresses in",
                       e->call.name);
  buf[0] = strict ? SF_IPOPT_SSRR : SF_IPOPT_LSRR;
  buf[1] = (uint8_t)(SF_IPOPT_ROUTE_HDR + 4 * n);
  buf[2] = SF_IPOPT_ROUTE_PTR0;
  for (size_t i = 0; i < n; i++) {
    const sf_script_expr *a = e->call.args[i];
    struct in_addr in;
    if (a->kind != SF_SCR_EXPR_STRING ||
        inet_pton(AF_INET, a->str.text, &in) != 1)
      return unsupported(c, a, "unsupported address in", e->call.name);
    memcpy(buf + SF_IPOPT_ROUTE_HDR + 4 * i, &in.s_addr, 4);
  }
  *len = (socklen_t)(SF_IPOPT_ROUTE_HDR + 4 * n);
  return 0;
}

/* An option value: [N] (an int) or a linger struct. */
static int opt_value(struct ctx *c, const sf_script_expr *e, uint8_t *buf,
                     socklen_t *len) {
  if (e->kind == SF_SCR_EXPR_CALL &&
      (strcmp(e->call.name, "lsrr") == 0 || strcmp(e->call.name, "ssrr") == 0))
    return route_value(c, e, buf, len);
  const sf_script_expr *on = sf_script_expr_field(e, "onoff");
  if (!on)
    on = sf_script_expr_field(e, "l_onoff");
  if (e->kind == SF_SCR_EXPR_STRUCT && on) {
    const sf_script_expr *lg = sf_script_expr_field(e, "linger");
    if (!lg)
      lg = sf_script_expr_field(e, "l_linger");
    long a, b = 0;
    int rc = int_value(c, on, &a);
    if (rc == 0 && lg)
      rc = int_value(c, lg, &b);
    if (rc < 0)
      return rc;
    struct linger l = {.l_onoff = (int)a, .l_linger = (int)b};
    memcpy(buf, &l, sizeof(l));
    *len = sizeof(l);
    return 0;
  }
  if (e->kind == SF_SCR_EXPR_STRING)
    return unsupported(c, e, "unsupported string option value", NULL);
  long v;
  int rc = int_value(c, e, &v);
  if (rc < 0)
    return rc;
  int iv = (int)v;
  memcpy(buf, &iv, sizeof(iv));
  *len = sizeof(iv);
  return 0;
}

/* Options the stack implements; anything else is a skip, not a failure. */
static bool known_sockopt(long level, long name) {
  static const long sol[] = {SO_REUSEADDR, SO_LINGER,    SO_RCVBUF, SO_SNDBUF,
                             SO_ERROR,     SO_KEEPALIVE, SO_TYPE};
  static const long tcp[] = {TCP_NODELAY,  TCP_MAXSEG,    TCP_USER_TIMEOUT,
                             TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT};
  const long *t = level == SOL_SOCKET ? sol : level == IPPROTO_TCP ? tcp : NULL;
  size_t n = level == SOL_SOCKET ? sizeof(sol) / sizeof(sol[0])
                                 : sizeof(tcp) / sizeof(tcp[0]);
  if (level == IPPROTO_IP)
    return name == IP_TOS || name == IP_OPTIONS;
  for (size_t i = 0; t && i < n; i++)
    if (t[i] == name)
      return true;
  return false;
}

static int poll_args(struct ctx *c, const sf_script_syscall *sc,
                     sf_call *call) {
  const sf_script_expr *list = sc->args[0];
  if (list->kind != SF_SCR_EXPR_LIST || list->list.n > SF_CALL_MAX_POLLFD)
    return unsupported(c, list, "unsupported poll array", NULL);
  call->npfd = (unsigned)list->list.n;
  for (size_t i = 0; i < list->list.n; i++) {
    const sf_script_expr *pfd = list->list.items[i];
    const sf_script_expr *fd = sf_script_expr_field(pfd, "fd");
    const sf_script_expr *ev = sf_script_expr_field(pfd, "events");
    long e = 0;
    int rc = fd ? fd_value(c, fd, &call->pfd[i].fd)
                : unsupported(c, pfd, "pollfd without fd", NULL);
    if (rc == 0 && ev)
      rc = int_value(c, ev, &e);
    if (rc < 0)
      return rc;
    call->pfd[i].events = (short)e;
  }
  long t;
  int rc = int_value(c, sc->args[2], &t);
  call->timeout_ms = (int)t;
  return rc;
}

static const struct call_spec *find_call(const char *name) {
  for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
    if (strcmp(calls[i].name, name) == 0)
      return &calls[i];
  return NULL;
}

static int build_sockopt(struct ctx *c, const sf_script_syscall *sc,
                         sf_call *call) {
  long level, name;
  int rc = int_value(c, sc->args[1], &level);
  if (rc == 0)
    rc = int_value(c, sc->args[2], &name);
  if (rc < 0)
    return rc;
  if (!known_sockopt(level, name)) {
    const sf_script_expr *n = sc->args[2];
    return unsupported(c, n, "unsupported socket option",
                       n->kind == SF_SCR_EXPR_WORD ? n->word : NULL);
  }
  call->a = (int)level;
  call->b = (int)name;
  if (call->op == SF_OP_SETSOCKOPT)
    return opt_value(c, sc->args[3], call->opt, &call->optlen);
  uint8_t scratch[SF_CALL_MAX_OPT];
  socklen_t n = sizeof(int);
  if (sc->args[3]->kind != SF_SCR_EXPR_ELLIPSIS &&
      (rc = opt_value(c, sc->args[3], scratch, &n)) < 0)
    return rc;
  call->optlen = n;
  return 0;
}

int run_call_build(struct runner *r, const sf_script_syscall *sc, sf_call *call,
                   char *why, size_t whylen) {
  struct ctx c = {r, why, whylen};
  const struct call_spec *spec = find_call(sc->name);
  memset(call, 0, sizeof(*call));
  const sf_script_expr *first = sc->n_args ? sc->args[0] : NULL;
  if (!spec)
    return unsupported(&c, first, "unsupported system call", sc->name);
  if (sc->n_args < spec->min_args || sc->n_args > spec->max_args)
    return unsupported(&c, first, "wrong number of arguments to", sc->name);
  call->op = spec->op;
  int rc = 0;
  long v = 0;
  if (spec->op != SF_OP_SOCKET && spec->op != SF_OP_POLL &&
      (rc = fd_value(&c, sc->args[0], &call->fd)) < 0)
    return rc;
  switch (spec->op) {
  case SF_OP_SOCKET:
    call->a = AF_INET;
    if (sc->args[0]->kind != SF_SCR_EXPR_ELLIPSIS &&
        (rc = int_value(&c, sc->args[0], &v)) == 0)
      call->a = (int)v;
    if (rc == 0 && (rc = int_value(&c, sc->args[1], &v)) == 0)
      call->b = (int)v;
    if (rc == 0 && (rc = int_value(&c, sc->args[2], &v)) == 0)
      call->c = (int)v;
    if (rc == 0 && call->a == AF_INET6)
      return unsupported(&c, sc->args[0], "unsupported ipv6 socket", NULL);
    if (rc == 0 && call->a != AF_INET)
      return unsupported(&c, sc->args[0], "unsupported address family", NULL);
    return rc;
  case SF_OP_BIND:
    return addr_value(&c, sc->args[1], RUN_LOCAL_IP, &call->addr);
  case SF_OP_CONNECT:
    return addr_value(&c, sc->args[1], RUN_REMOTE_IP, &call->addr);
  case SF_OP_LISTEN:
  case SF_OP_SHUTDOWN:
    rc = int_value(&c, sc->args[1], &v);
    call->a = (int)v;
    return rc;
  case SF_OP_ACCEPT:
    if (sc->n_args == 4 && (rc = int_value(&c, sc->args[3], &v)) == 0 && v)
      return unsupported(&c, sc->args[3], "unsupported accept4 flags", NULL);
    return rc;
  case SF_OP_READ:
  case SF_OP_WRITE:
    return io_len(&c, sc->args[sc->n_args == 3 ? 2 : 1], &call->len);
  case SF_OP_SEND:
  case SF_OP_RECV:
    rc = io_len(&c, sc->args[2], &call->len);
    if (rc == 0)
      rc = int_value(&c, sc->args[3], &v);
    if (rc == 0 && (v & MSG_FASTOPEN))
      return unsupported(&c, sc->args[3], "unsupported fastopen",
                         "(MSG_FASTOPEN)");
    if (rc == 0 && (v & MSG_ZEROCOPY))
      return unsupported(&c, sc->args[3], "unsupported zerocopy",
                         "(MSG_ZEROCOPY)");
    if (rc == 0 && (v & MSG_ERRQUEUE))
      return unsupported(&c, sc->args[3], "unsupported message flag",
                         "MSG_ERRQUEUE");
    call->a = (int)v;
    return rc;
  case SF_OP_CLOSE:
  case SF_OP_GETSOCKNAME:
  case SF_OP_GETPEERNAME:
    return 0;
  case SF_OP_SETSOCKOPT:
  case SF_OP_GETSOCKOPT:
    return build_sockopt(&c, sc, call);
  case SF_OP_FCNTL:
    rc = int_value(&c, sc->args[1], &v);
    call->a = (int)v;
    if (rc == 0 && call->a != F_GETFL && call->a != F_SETFL)
      return unsupported(&c, sc->args[1], "unsupported fcntl command", NULL);
    if (rc == 0 && sc->n_args == 3 &&
        (rc = int_value(&c, sc->args[2], &v)) == 0)
      call->b = (int)v;
    return rc;
  case SF_OP_POLL:
    return poll_args(&c, sc, call);
  }
  return unsupported(&c, first, "unsupported system call", sc->name);
}

static void describe_result(struct sf_strbuf *b, long ret, int err) {
  if (ret == -1)
    sf_strbuf_printf(b, "-1 %s (%s)", sf_errno_name(err), strerror(err));
  else
    sf_strbuf_printf(b, "%ld", ret);
}

/* getsockopt's value and length, poll's revents: the out-parameters. */
static void check_out_params(struct runner *r, const sf_script_event *ev,
                             const sf_call *call, const sf_call_result *res) {
  const sf_script_syscall *sc = &ev->syscall;
  char why[160];
  struct ctx c = {r, why, sizeof(why)};
  if (call->op == SF_OP_GETSOCKOPT && res->ret == 0 &&
      sc->args[3]->kind != SF_SCR_EXPR_ELLIPSIS) {
    uint8_t want[SF_CALL_MAX_OPT];
    socklen_t wlen = 0;
    if (opt_value(&c, sc->args[3], want, &wlen) == 0 &&
        (wlen != res->optlen || memcmp(want, res->opt, wlen) != 0)) {
      int got = 0, exp = 0;
      memcpy(&got, res->opt, sizeof(int));
      memcpy(&exp, want, sizeof(int));
      run_fail(r, ev, "%s option value %d, expected %d", sc->name, got, exp);
      return;
    }
    long l;
    if (sc->args[4]->kind != SF_SCR_EXPR_ELLIPSIS &&
        int_value(&c, sc->args[4], &l) == 0 && l != (long)res->optlen) {
      run_fail(r, ev, "%s option length %u, expected %ld", sc->name,
               (unsigned)res->optlen, l);
      return;
    }
  }
  if (call->op == SF_OP_POLL && res->ret >= 0) {
    const sf_script_expr *list = sc->args[0];
    for (size_t i = 0; i < list->list.n && i < call->npfd; i++) {
      const sf_script_expr *re =
          sf_script_expr_field(list->list.items[i], "revents");
      long want;
      if (re && int_value(&c, re, &want) == 0 &&
          (short)want != res->pfd[i].revents) {
        run_fail(r, ev, "poll revents 0x%x for fd %d, expected 0x%lx",
                 (unsigned)(uint16_t)res->pfd[i].revents, call->pfd[i].fd,
                 want);
        return;
      }
    }
  }
}

void run_call_check(struct runner *r, const sf_script_event *ev,
                    const sf_call *call, const sf_call_result *res) {
  const sf_script_syscall *sc = &ev->syscall;
  char why[160];
  struct ctx c = {r, why, sizeof(why)};
  long want = 0;
  if (sc->result->kind != SF_SCR_EXPR_ELLIPSIS &&
      int_value(&c, sc->result, &want) < 0) {
    run_fail(r, ev, "cannot read the expected result: %s", why);
    return;
  }
  long want_err = 0;
  if (sc->errno_name && !sf_errno_value(sc->errno_name, &want_err)) {
    run_fail(r, ev, "unknown errno %s", sc->errno_name);
    return;
  }
  bool new_fd = call->op == SF_OP_SOCKET || call->op == SF_OP_ACCEPT;
  bool ret_ok = sc->result->kind == SF_SCR_EXPR_ELLIPSIS || res->ret == want ||
                (new_fd && res->ret >= 0 && want >= 0);
  bool err_ok = res->ret != -1 || (sc->errno_name && res->err == want_err);
  if (!ret_ok || !err_ok) {
    struct sf_strbuf got = {0};
    describe_result(&got, res->ret, res->err);
    run_fail(r, ev, "%s returned %s, expected %ld%s%s", sc->name,
             sf_strbuf_str(&got), want, sc->errno_name ? " " : "",
             sc->errno_name ? sc->errno_name : "");
    sf_strbuf_free(&got);
    return;
  }
  if (new_fd && res->ret >= 0)
    run_map_fd(r, (int)want, (int)res->ret);
  check_out_params(r, ev, call, res);
}
