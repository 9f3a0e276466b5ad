/* Names a script may use for constants, with the host's values (the same
 * values the stack's socket API takes). */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include "run_internal.h"

#define SYM(x)                                                                 \
  { #x, x }

static const struct sym {
  const char *name;
  long value;
} symbols[] = {
    SYM(AF_INET),
    SYM(AF_INET6),
    SYM(AF_UNSPEC),
    SYM(PF_INET),
    SYM(PF_INET6),
    SYM(SOCK_STREAM),
    SYM(SOCK_DGRAM),
    SYM(SOCK_NONBLOCK),
    SYM(SOCK_CLOEXEC),
    SYM(IPPROTO_TCP),
    SYM(IPPROTO_UDP),
    SYM(IPPROTO_IP),
    SYM(IPPROTO_IPV6),
    SYM(SOL_SOCKET),
    SYM(SOL_TCP),
    SYM(SOL_IP),
    SYM(SO_REUSEADDR),
    SYM(SO_REUSEPORT),
    SYM(SO_LINGER),
    SYM(SO_RCVBUF),
    SYM(SO_SNDBUF),
    SYM(SO_ERROR),
    SYM(SO_KEEPALIVE),
    SYM(SO_TYPE),
    SYM(SO_OOBINLINE),
    SYM(SO_RCVLOWAT),
    SYM(SO_SNDLOWAT),
    SYM(SO_DEBUG),
    SYM(TCP_NODELAY),
    SYM(TCP_MAXSEG),
    SYM(TCP_CORK),
    SYM(TCP_KEEPIDLE),
    SYM(TCP_KEEPINTVL),
    SYM(TCP_KEEPCNT),
    SYM(TCP_SYNCNT),
    SYM(TCP_LINGER2),
    SYM(TCP_DEFER_ACCEPT),
    SYM(TCP_WINDOW_CLAMP),
    SYM(TCP_INFO),
    SYM(TCP_QUICKACK),
    SYM(TCP_CONGESTION),
    SYM(TCP_USER_TIMEOUT),
    SYM(TCP_FASTOPEN),
    SYM(TCP_NOTSENT_LOWAT),
    SYM(IP_TOS),
    SYM(IP_OPTIONS),
    SYM(IP_TTL),
    SYM(F_GETFL),
    SYM(F_SETFL),
    SYM(F_GETFD),
    SYM(F_SETFD),
    SYM(O_RDWR),
    SYM(O_RDONLY),
    SYM(O_WRONLY),
    SYM(O_NONBLOCK),
    SYM(MSG_PEEK),
    SYM(MSG_DONTWAIT),
    SYM(MSG_OOB),
    SYM(MSG_WAITALL),
    SYM(MSG_NOSIGNAL),
    SYM(MSG_MORE),
    SYM(MSG_TRUNC),
    SYM(MSG_ZEROCOPY),
    SYM(MSG_FASTOPEN),
    SYM(MSG_ERRQUEUE),
    SYM(SHUT_RD),
    SYM(SHUT_WR),
    SYM(SHUT_RDWR),
    SYM(POLLIN),
    SYM(POLLOUT),
    SYM(POLLERR),
    SYM(POLLHUP),
    SYM(POLLNVAL),
    SYM(POLLPRI),
    SYM(POLLRDNORM),
    SYM(POLLWRNORM),
    SYM(POLLRDBAND),
    SYM(POLLWRBAND),
    {"POLLRDHUP", 0x2000},
    {"SO_ZEROCOPY", 60},
    {"TCP_ZEROCOPY_RECEIVE", 35},
    {"TCP_FASTOPEN_CONNECT", 30},
    {"TCP_MD5SIG", 14},
    {"TCP_TIMESTAMP", 24},
    {"TCP_REPAIR", 19},
    {"TCP_SAVE_SYN", 27},
    {"TCP_SAVED_SYN", 28},
    {"TCP_CC_INFO", 26},
    {"SO_MAX_PACING_RATE", 47},
    {"TCP_INQ", 36},
    {"TCP_TX_DELAY", 37},
};

static const struct sym errnos[] = {
    SYM(EPERM),           SYM(ENOENT),
    SYM(EINTR),           SYM(EIO),
    SYM(EBADF),           SYM(EAGAIN),
    SYM(ENOMEM),          SYM(EACCES),
    SYM(EFAULT),          SYM(EBUSY),
    SYM(EEXIST),          SYM(EINVAL),
    SYM(ENFILE),          SYM(EMFILE),
    SYM(ENOSPC),          SYM(EPIPE),
    SYM(ERANGE),          SYM(ENOSYS),
    SYM(ENOTSOCK),        SYM(EDESTADDRREQ),
    SYM(EMSGSIZE),        SYM(EPROTOTYPE),
    SYM(ENOPROTOOPT),     SYM(EPROTONOSUPPORT),
    SYM(ESOCKTNOSUPPORT), SYM(EOPNOTSUPP),
    SYM(EAFNOSUPPORT),    SYM(EADDRINUSE),
    SYM(EADDRNOTAVAIL),   SYM(ENETDOWN),
    SYM(ENETUNREACH),     SYM(ECONNABORTED),
    SYM(ECONNRESET),      SYM(ENOBUFS),
    SYM(EISCONN),         SYM(ENOTCONN),
    SYM(ETIMEDOUT),       SYM(ECONNREFUSED),
    SYM(EHOSTDOWN),       SYM(EHOSTUNREACH),
    SYM(EALREADY),        SYM(EINPROGRESS),
    SYM(EPROTO),          SYM(ENOTSUP),
    SYM(ESHUTDOWN),
};

#undef SYM

static bool find(const struct sym *t, size_t n, const char *name, long *value) {
  for (size_t i = 0; i < n; i++) {
    if (strcmp(t[i].name, name) == 0) {
      *value = t[i].value;
      return true;
    }
  }
  return false;
}

bool sf_sym_value(const char *name, long *value) {
  return find(symbols, sizeof(symbols) / sizeof(symbols[0]), name, value) ||
         sf_errno_value(name, value);
}

bool sf_errno_value(const char *name, long *value) {
  if (strcmp(name, "EWOULDBLOCK") == 0) {
    *value = EWOULDBLOCK;
    return true;
  }
  return find(errnos, sizeof(errnos) / sizeof(errnos[0]), name, value);
}

const char *sf_errno_name(int err) {
  for (size_t i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
    if (errnos[i].value == err)
      return errnos[i].name;
  return "E?";
}
