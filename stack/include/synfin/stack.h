/* synfin stack: a small, deterministic, sans-IO TCP/IPv4 stack.
 *
 * The stack never reads a clock, never touches a socket and never draws an
 * unseeded random number. Time is an argument (microseconds of virtual time),
 * packets come in through sf_stack_input() and go out through the output
 * callback of the configuration, synchronously, during the call that caused
 * them. All memory is allocated by sf_stack_new(); nothing is allocated while
 * packets flow.
 *
 * Errors are negative errno values. Socket calls never block: on a socket
 * without O_NONBLOCK a call that would block returns -EAGAIN (connect:
 * -EINPROGRESS) just as with O_NONBLOCK set; a caller that wants blocking
 * semantics waits with sf_poll() and sf_stack_next_deadline(). As on Linux,
 * calling connect() again reports the attempt's outcome once: 0 when it
 * succeeded (-EISCONN after that), or the error that ended it.
 */
#ifndef SYNFIN_STACK_H
#define SYNFIN_STACK_H

#include <netinet/in.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sf_stack sf_stack;

#define SF_TIME_NEVER UINT64_MAX

enum sf_profile_id {
  SF_PROFILE_LINUX = 0, /* Linux's wire conventions (the default) */
  SF_PROFILE_RFC = 1,   /* the RFCs' own values */
};

/* Option layout of SYN and SYN-ACK segments. */
enum sf_synopt_layout {
  /* <mss,sackOK,TS,nop,wscale>; without TS: <mss,nop,nop,sackOK,nop,wscale> */
  SF_SYNOPT_LINUX = 0,
  /* each option 32-bit aligned on its own: <mss,nop,wscale,nop,nop,sackOK,
   * nop,nop,TS> (the layout of RFC 7323 Appendix A style stacks) */
  SF_SYNOPT_ALIGNED = 1,
};

/* RTO formula after the first RTT sample. */
enum sf_rto_formula {
  SF_RTO_RFC6298 = 0, /* max(rto_min, SRTT + max(G, 4*RTTVAR)) */
  SF_RTO_LINUX = 1,   /* SRTT + max(rto_min, 4*RTTVAR) */
};

/* How the receive window is chosen. */
enum sf_rcv_wnd_policy {
  /* the free buffer space, moved only by the receiver SWS rule of RFC 9293
   * 3.8.6.2.2 */
  SF_RCV_WND_RFC = 0,
  /* Linux's: a threshold (rcv_ssthresh) that starts at the initial window
   * and grows with each segment received, the free space counted as buffer
   * memory (rcv_space_ratio, rcv_truesize), aligned to the window
   * scale, zero when less than 1/16 of the buffer or one segment is free */
  SF_RCV_WND_LINUX = 1,
};

/* When a received segment is acknowledged at once. */
enum sf_ack_policy {
  /* RFC 9293 3.8.6.3 / RFC 1122 4.2.3.2: quick_ack_segs ACKs at once, then
   * an ACK for at least every second full-sized segment */
  SF_ACK_RFC = 0,
  /* Linux's (__tcp_ack_snd_check): quick ACKs counted from the window at
   * the first segment and kept going while the window grows; after them a
   * second full segment is ACKed at once only if the application read
   * everything or the window moved right */
  SF_ACK_LINUX = 1,
};

/* What a received segment costs in buffer memory. */
enum sf_rcv_truesize {
  SF_TRUESIZE_BYTES = 0, /* its payload bytes */
  /* Linux's sk_buff for a datagram from a TUN device (as packetdrill and
   * synfin --sut linux deliver it): NET_SKB_PAD (64) and the datagram,
   * 64-byte aligned, with skb_shared_info (320), in the 576-byte small-head
   * cache or a power-of-two kmalloc buffer, plus the sk_buff (256); the
   * window share then follows payload / truesize (scaling_ratio) */
  SF_TRUESIZE_LINUX_TUN = 1,
};

/* Behaviour where the RFCs leave a choice. Every value is a setting of its
 * own; sf_profile_set() changes one by name. */
typedef struct sf_profile {
  char name[16];
  uint32_t init_cwnd_segs;      /* initial window in segments; 0: RFC 5681 */
  uint32_t rto_initial_us;      /* RFC 6298 2.1 */
  uint32_t rto_min_us;          /* RFC 6298 2.4 */
  uint32_t rto_max_us;          /* RFC 6298 2.5 */
  uint32_t rto_formula;         /* enum sf_rto_formula */
  uint32_t delack_us;           /* delayed-ACK timeout, RFC 9293 3.8.6.3 */
  uint32_t quickack_segs;       /* segments ACKed at once at connection start */
  uint32_t synopt_layout;       /* enum sf_synopt_layout */
  uint32_t psh_last_segment;    /* PSH on the last segment of a write */
  uint32_t timestamps;          /* offer RFC 7323 timestamps */
  uint32_t sack;                /* offer RFC 2018 SACK-permitted */
  uint32_t window_scaling;      /* offer RFC 7323 window scale */
  uint32_t syn_retries;         /* SYN retransmissions before giving up */
  uint32_t synack_retries;      /* SYN-ACK retransmissions before giving up */
  uint32_t retries2;            /* R2: data retransmissions before giving up */
  uint32_t rmem_default;        /* default SO_RCVBUF (bytes of memory) */
  uint32_t rmem_max;            /* largest receive buffer; sets window scale */
  uint32_t wmem_default;        /* default SO_SNDBUF */
  uint32_t init_rcv_wnd;        /* most window offered in a SYN/SYN-ACK */
  uint32_t rcv_space_ratio;     /* share of the receive buffer offered as
                                   window, in 1/256 (Linux's initial
                                   scaling_ratio: 128) */
  uint32_t rcv_truesize;        /* enum sf_rcv_truesize */
  uint32_t rcv_wnd_policy;      /* enum sf_rcv_wnd_policy */
  uint32_t ack_policy;          /* enum sf_ack_policy */
  uint32_t syn_linear_timeouts; /* SYN retransmissions before the RTO
                                   starts doubling (Linux 6.5+) */
  uint32_t tlp;                 /* RFC 8985 tail loss probes */
  uint32_t tlp_delack_us;       /* PTO extra with one segment in flight
                                   (WCDelAckT, RFC 8985 7.2) */
  uint32_t tlp_extra_us;        /* PTO extra otherwise (Linux: 2 jiffies) */
  uint32_t synrcvd_rst_refused; /* a RST in SYN-RECEIVED of an active open
                                   reports ECONNREFUSED (RFC 9293
                                   3.10.7.4); 0: ECONNRESET (Linux) */
  uint32_t user_timeout_from_rexmit; /* TCP_USER_TIMEOUT counts from the
                                        first retransmission (Linux); 0:
                                        from when the data was sent (RFC
                                        5482 3) */
  uint32_t ss_max_segs;         /* slow start grows cwnd by at most this many
                                   segments per ACK (RFC 5681 3.1: 1); 0: by every
                                   segment the ACK covers (Linux) */
  uint32_t tso_chunk_psh;       /* PSH also ends each burst Linux's TSO/GSO
                                   sends at once (tcp_tso_autosize,
                                   tcp_cwnd_test): half the congestion window
                                   or less, at least 2 segments */
  uint32_t simopen_syn_options; /* in a simultaneous open the SYN-ACK
                                   repeats our SYN's options, and our
                                   window stays scaled even if the peer's
                                   SYN offered no scaling (Linux); 0: the
                                   options both SYNs carry (RFC 7323) */
  uint32_t time_wait_us;        /* TIME-WAIT length (2*MSL) */
  uint32_t keepidle_s;          /* RFC 9293 3.8.4: at least two hours (seconds,
                                   as Linux's tcp_keepalive_time: two hours
                                   of microseconds overflow 32 bits) */
  uint32_t keepintvl_s;
  uint32_t keepcnt;
  uint32_t persist_min_us; /* zero-window probe interval bounds */
  uint32_t persist_max_us;
  uint32_t ttl;                /* IPv4 TTL of outgoing datagrams */
  uint32_t dont_fragment;      /* set DF on outgoing TCP segments */
  uint32_t ts_hz;              /* timestamp clock rate (RFC 7323 5.4) */
  uint32_t icmp_hard_abort;    /* ICMP hard errors abort in every state, not
                                  only in SYN-SENT (RFC 9293 SHLD-26) */
  uint32_t icmp_opening_abort; /* any ICMP error aborts an active open
                                  (Linux); 0: only hard ones (MUST-56) */
  uint32_t mss_default;        /* send MSS when the peer sent none (MUST-15) */
  uint32_t zwp_data_byte;      /* zero-window probes carry one byte of data;
                                  0: an empty segment at SND.UNA-1 (Linux) */
  uint32_t syn_data_accept;    /* queue data carried by a SYN-ACK */
  uint32_t oow_ack_ratelimit_us; /* at most one ACK to out-of-window or
                                    challenged segments per interval */
  uint32_t fin_wait2_timeout_us; /* orphaned FIN-WAIT-2 lifetime; 0: none */
  uint32_t ts_required;          /* drop non-RST segments lacking TS once
                                    negotiated (RFC 7323 3.2) */
  uint32_t nagle_minshall;       /* Nagle holds a small segment only while an
                                    earlier small one is unacknowledged (Linux,
                                    Minshall's variant); 0: while anything is */
  uint32_t window_update_double; /* after a read, announce the window only
                                    once it doubled (Linux); 0: when it grew
                                    by min(RCV.BUFF/2, MSS) (RFC 9293) */
  uint32_t zero_wnd_drop_data;   /* with a zero window and data queued, a
                                    segment carrying data is dropped whole
                                    (Linux tcp_sequence); 0: its ACK, URG
                                    and RST are taken (RFC 9293 MUST-66) */
  uint32_t urg_oob;              /* the last urgent octet is delivered out of
                                    band unless SO_OOBINLINE (Linux, RFC 6093
                                    3.4); 0: inline (RFC 9293 3.8.5) */
  uint32_t accept_source_route;  /* a datagram with a completed source route
                                    is taken and a connection it opens
                                    answers along the route reversed (RFC
                                    9293 3.9.2.1, MUST-53); 0: every
                                    source-routed datagram is dropped
                                    (Linux, sysctl accept_source_route 0) */
  uint32_t isn_tick_ns;          /* the ISN clock's tick (RFC 9293 3.4.1,
                                    MUST-8: about 4 us; Linux: 64 ns) */
} sf_profile;

/* Fills *p with a named profile. Returns 0 or -EINVAL. */
int sf_profile_init(sf_profile *p, enum sf_profile_id id);
/* Finds a profile by name ("linux", "rfc"). Returns 0 or -ENOENT. */
int sf_profile_by_name(sf_profile *p, const char *name);
/* Sets one value by its field name ("rto_min_us") from a decimal string.
 * Returns 0, -ENOENT for an unknown name, -EINVAL for a bad value. */
int sf_profile_set(sf_profile *p, const char *key, const char *value);
/* Iterates over setting names: returns NULL past the last one. */
const char *sf_profile_key(size_t index);
/* Reads one value by name. Returns 0 or -ENOENT. */
int sf_profile_get(const sf_profile *p, const char *key, uint32_t *value);

typedef struct sf_allocator {
  void *(*alloc)(void *ctx, size_t size); /* zeroed memory or NULL */
  void (*free)(void *ctx, void *ptr);
  void *ctx;
} sf_allocator;

/* Kinds of sf_event delivered to the event callback. */
enum sf_event_kind {
  SF_EV_STATE = 1, /* a connection changed TCP state */
  SF_EV_DROP = 2,  /* an inbound packet was dropped (reason names why) */
};

typedef struct sf_event {
  int kind;           /* enum sf_event_kind */
  int fd;             /* descriptor, or -1 when the connection has none */
  int old_state;      /* enum sf_tcp_state (SF_EV_STATE) */
  int new_state;      /* enum sf_tcp_state (SF_EV_STATE) */
  const char *reason; /* static text (SF_EV_DROP) */
} sf_event;

/* Receives each packet the stack sends; pkt is valid only during the call.
 * It must not call back into the same stack (no input, advance or socket
 * call): pkt lies in the transmit buffer that such a call would overwrite. */
typedef void (*sf_output_fn)(void *ctx, const uint8_t *pkt, size_t len);
typedef void (*sf_event_fn)(void *ctx, const sf_event *ev);

typedef struct sf_config {
  uint64_t seed;         /* drives ISNs, IP IDs, ephemeral ports, TS offsets */
  struct in_addr addr;   /* the stack's IPv4 address */
  uint32_t mtu;          /* bytes, at least 576 */
  uint32_t max_sockets;  /* connections, listeners and unaccepted sockets */
  uint32_t buf_capacity; /* bytes per socket per direction */
  uint32_t max_ooo;      /* out-of-order ranges held per connection */
  uint32_t reass_slots;  /* datagrams reassembled at once */
  uint32_t reass_bytes;  /* payload bytes per datagram being reassembled */
  uint32_t reass_timeout_us;
  sf_profile profile;
  sf_output_fn output; /* receives every packet the stack sends */
  void *output_ctx;
  sf_event_fn event; /* optional: state changes and drops */
  void *event_ctx;
  const sf_allocator *allocator; /* NULL: calloc/free */
} sf_config;

/* Defaults: profile `id`, address 192.168.0.1, MTU 1500, 16 sockets,
 * 256 KiB buffers, seed 1, no output callback. */
void sf_config_default(sf_config *cfg, enum sf_profile_id id);

/* Bytes sf_stack_new() allocates for a configuration. */
size_t sf_stack_memory_size(const sf_config *cfg);
/* Bytes of memory each socket slot of the configuration costs. */
size_t sf_stack_socket_size(const sf_config *cfg);

int sf_stack_new(const sf_config *cfg, sf_stack **out);
void sf_stack_free(sf_stack *st);
/* Returns the stack to its state right after sf_stack_new(). Its cost grows
 * with the number of sockets used since the last reset, not with the size of
 * the configuration. */
void sf_stack_reset(sf_stack *st);
/* Swaps the output callback (for example between fuzz iterations). */
void sf_stack_set_output(sf_stack *st, sf_output_fn fn, void *ctx);
void sf_stack_set_event(sf_stack *st, sf_event_fn fn, void *ctx);
const sf_config *sf_stack_config(const sf_stack *st);
/* Changes the profile of a stack; connections opened later use it. */
void sf_stack_set_profile(sf_stack *st, const sf_profile *p);

/* Delivers one IPv4 datagram received at now_us. Timers due at or before
 * now_us fire first. Returns 0, or -EINVAL if time would go backwards. A
 * malformed packet is dropped (and counted), never an error. */
int sf_stack_input(sf_stack *st, uint64_t now_us, const void *pkt, size_t len);
/* Moves the clock to now_us and fires every timer due. */
int sf_stack_advance(sf_stack *st, uint64_t now_us);
/* The earliest time a timer is due, or SF_TIME_NEVER. */
uint64_t sf_stack_next_deadline(const sf_stack *st);
uint64_t sf_stack_now(const sf_stack *st);

/* Invariant checker: returns 0, or -EFAULT with the first broken invariant
 * described in msg. */
int sf_stack_check(const sf_stack *st, char *msg, size_t cap);

/* Counters of what the stack did with its input. */
typedef struct sf_stats {
  uint64_t ip_in, ip_out;
  uint64_t ip_drop_short, ip_drop_version, ip_drop_hlen, ip_drop_len;
  uint64_t ip_drop_csum, ip_drop_martian, ip_drop_not_local, ip_drop_proto;
  uint64_t ip_options_ignored;
  uint64_t frag_in, frag_reassembled, frag_drop_overflow, frag_drop_toolong;
  uint64_t frag_drop_timeout, frag_drop_overlap;
  uint64_t icmp_in, icmp_out, icmp_drop, icmp_soft_err, icmp_hard_err;
  uint64_t tcp_in, tcp_out, tcp_drop_short, tcp_drop_csum, tcp_drop_hlen;
  uint64_t tcp_bad_opt, tcp_drop_no_socket, tcp_drop_unacceptable;
  uint64_t tcp_drop_paws, tcp_drop_backlog, tcp_drop_ooo_full;
  uint64_t tcp_rst_out, tcp_challenge_ack, tcp_retransmit, tcp_fast_retransmit;
  uint64_t tcp_rto_expired, tcp_keepalive_probe, tcp_persist_probe;
  uint64_t tcp_delayed_ack, tcp_dupack_out;
  uint64_t tcp_loss_probe;   /* RFC 8985 tail loss probes sent */
  uint64_t ip_drop_srcroute; /* source routes refused or not completed */
} sf_stats;

const sf_stats *sf_stack_stats(const sf_stack *st);

enum sf_tcp_state {
  SF_TCP_CLOSED = 0,
  SF_TCP_LISTEN,
  SF_TCP_SYN_SENT,
  SF_TCP_SYN_RECEIVED,
  SF_TCP_ESTABLISHED,
  SF_TCP_FIN_WAIT_1,
  SF_TCP_FIN_WAIT_2,
  SF_TCP_CLOSE_WAIT,
  SF_TCP_CLOSING,
  SF_TCP_LAST_ACK,
  SF_TCP_TIME_WAIT,
  SF_TCP_NSTATES
};

/* "ESTABLISHED", ... ; "?" for an unknown value. */
const char *sf_tcp_state_name(int state);

/* A connection's control block, for tests, traces and fuzzers. */
typedef struct sf_tcp_info {
  int state;
  uint32_t iss, irs;
  uint32_t snd_una, snd_nxt, snd_max, snd_wnd, max_snd_wnd;
  uint32_t rcv_nxt, rcv_wnd;
  uint32_t snd_wscale, rcv_wscale; /* 0xff: not in use */
  uint32_t mss;                    /* effective send MSS */
  uint32_t peer_mss;
  uint32_t cwnd, ssthresh;
  uint32_t srtt_us, rttvar_us, rto_us;
  uint32_t retransmits; /* consecutive, for R1/R2 */
  uint32_t dupacks;
  uint32_t ts_ok, sack_ok;
  uint32_t ts_recent;
  uint32_t snd_queued; /* bytes in the send buffer */
  uint32_t rcv_queued; /* in-order bytes not yet read */
  uint32_t ooo_ranges;
  uint16_t local_port, remote_port;
  struct in_addr local_addr, remote_addr;
} sf_tcp_info;

/* Fills *info for descriptor fd. Returns 0, -EBADF or -ENOTCONN (no TCB). */
int sf_tcp_get_info(const sf_stack *st, int fd, sf_tcp_info *info);
/* Visits every connection, with or without a descriptor (fd -1). */
typedef void (*sf_conn_visit_fn)(void *ctx, int fd, const sf_tcp_info *info);
void sf_stack_each_conn(const sf_stack *st, sf_conn_visit_fn fn, void *ctx);
/* Fills *info for the first connection (in slot order) from local port
 * lport to remote port rport that is neither listening nor closed: 0, or
 * -ENOENT when there is none. */
int sf_stack_find_conn(const sf_stack *st, uint16_t lport, uint16_t rport,
                       sf_tcp_info *info);

/* The BSD-like socket API. Descriptors start at 3, lowest free first. */
int sf_socket(sf_stack *st, int domain, int type, int protocol);
int sf_bind(sf_stack *st, int fd, const struct sockaddr *addr, socklen_t len);
int sf_listen(sf_stack *st, int fd, int backlog);
int sf_accept(sf_stack *st, int fd, struct sockaddr *addr, socklen_t *len);
int sf_connect(sf_stack *st, int fd, const struct sockaddr *addr,
               socklen_t len);
ssize_t sf_read(sf_stack *st, int fd, void *buf, size_t len);
ssize_t sf_write(sf_stack *st, int fd, const void *buf, size_t len);
ssize_t sf_recv(sf_stack *st, int fd, void *buf, size_t len, int flags);
ssize_t sf_send(sf_stack *st, int fd, const void *buf, size_t len, int flags);
int sf_shutdown(sf_stack *st, int fd, int how);
int sf_close(sf_stack *st, int fd);
int sf_setsockopt(sf_stack *st, int fd, int level, int name, const void *val,
                  socklen_t len);
int sf_getsockopt(sf_stack *st, int fd, int level, int name, void *val,
                  socklen_t *len);
int sf_fcntl(sf_stack *st, int fd, int cmd, int arg);
int sf_poll(sf_stack *st, struct pollfd *fds, nfds_t nfds);
int sf_getsockname(sf_stack *st, int fd, struct sockaddr *addr, socklen_t *len);
int sf_getpeername(sf_stack *st, int fd, struct sockaddr *addr, socklen_t *len);

/* Trace hash: FNV-1a over (time, direction, bytes) of every packet, to prove
 * that two runs were byte-identical. */
typedef struct sf_trace_hash {
  uint64_t h;
  uint64_t packets;
} sf_trace_hash;

enum sf_direction { SF_DIR_IN = 0, SF_DIR_OUT = 1 };

void sf_trace_hash_init(sf_trace_hash *th);
void sf_trace_hash_packet(sf_trace_hash *th, uint64_t now_us, int dir,
                          const void *pkt, size_t len);
/* Mixes arbitrary bytes (socket call results, data read). */
void sf_trace_hash_bytes(sf_trace_hash *th, const void *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif
