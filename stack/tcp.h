/* TCP control block, socket slot and the TCP modules' internal interface. */
#ifndef SF_TCP_H
#define SF_TCP_H

#include <stdbool.h>
#include <stdint.h>

#include "ip_options.h"
#include "ringbuf.h"
#include "synfin/stack.h"

struct sf_ip_meta;

/* RFC 9293 3.4: sequence numbers compare modulo 2^32. */
#define SEQ_LT(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
#define SEQ_GT(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) > 0)
#define SEQ_GEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) >= 0)

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10
#define TH_URG 0x20
#define TH_ECE 0x40
#define TH_CWR 0x80

#define SF_TCP_HLEN 20
#define SF_TCP_MAXOPT 40
#define SF_MAX_SACK_BLOCKS 4 /* blocks held from the peer (scoreboard) */
#define SF_MAX_OOO 32        /* upper bound of cfg.max_ooo */
#define SF_RQ_SEGS 32        /* received segments tracked for their memory */
#define SF_WSCALE_NONE 0xff
#define SF_MAX_WSCALE 14 /* RFC 7323 2.3 */

struct sf_seq_range {
  uint32_t start, end; /* [start, end) */
};

/* A parsed TCP header and its options. */
struct sf_tcp_seg {
  uint16_t sport, dport;
  uint32_t seq, ack;
  uint8_t flags;
  uint8_t doff; /* header bytes */
  uint16_t wnd; /* raw field */
  uint16_t urp;
  const uint8_t *data;
  uint32_t len; /* payload bytes */
  /* options */
  bool has_mss, has_ws, has_sackok, has_ts;
  uint16_t mss;
  uint8_t ws;
  uint32_t ts_val, ts_ecr;
  uint8_t nsack;
  struct sf_seq_range sack[4];
  bool opt_malformed; /* parsing stopped at an illegal length */
};

/* Options to put in an outgoing segment. */
struct sf_tcp_optreq {
  bool syn; /* SYN or SYN-ACK layout */
  bool mss, ws, sackok, ts;
  uint16_t mss_val;
  uint8_t ws_val;
  uint32_t ts_val, ts_ecr;
  uint8_t nsack;
  struct sf_seq_range sack[4];
};

enum sf_timer {
  SF_T_REXMT = 0, /* retransmission (also SYN, SYN-ACK) */
  SF_T_PERSIST,   /* zero-window probe */
  SF_T_DELACK,    /* delayed ACK */
  SF_T_KEEP,      /* keep-alive */
  SF_T_2MSL,      /* TIME-WAIT */
  SF_T_TLP,       /* RFC 8985 tail loss probe */
  SF_T_COUNT
};

struct sf_tcb {
  uint32_t iss, irs;
  /* RFC 9293 3.3.1 send sequence variables */
  uint32_t snd_una, snd_nxt, snd_max, snd_wnd, snd_wl1, snd_wl2, snd_up;
  uint32_t max_snd_wnd; /* RFC 5961 5.2 MAX.SND.WND */
  uint32_t snd_sml;     /* end of the last sub-MSS segment sent (Nagle) */
  /* receive sequence variables */
  uint32_t rcv_nxt, rcv_wnd, rcv_up;
  uint32_t rcv_adv; /* right edge last advertised (RFC 9293 3.8.6) */
  uint32_t syn_wnd; /* window offered in our SYN or SYN-ACK */
  /* Linux's receive window (SF_RCV_WND_LINUX) */
  uint32_t rcv_wnd_init; /* initial window, whole segments; beyond syn_wnd */
  uint32_t rcv_ssthresh; /* the window grows towards the free space */
  uint32_t window_clamp; /* largest window to offer */
  uint32_t rcv_mem;      /* buffer memory charged for in-order data */
  uint32_t ooo_mem;      /* ... and for out-of-order data */
  uint16_t rcv_ratio;    /* window share of buffer memory, in 1/256 */
  /* in-order segments not yet read, oldest first: a segment's memory is
   * freed when the application has read all of it (the newest are merged
   * when more arrive than fit) */
  struct {
    uint32_t end;  /* sequence number after the segment */
    uint32_t mem;  /* its truesize */
    uint32_t room; /* bytes a following segment may be copied into */
  } rq[SF_RQ_SEGS];
  uint8_t rq_head, rq_n;
  uint8_t snd_wscale, rcv_wscale; /* SF_WSCALE_NONE unless negotiated */
  bool ws_ok, ts_ok, sack_ok;
  bool ws_offered, ts_offered, sack_offered; /* in our SYN */
  uint32_t ts_recent, ts_recent_age_ms;      /* RFC 7323 4.3, 5.5 */
  uint32_t ts_offset;
  uint32_t last_ack_sent;
  uint16_t peer_mss; /* from the MSS option, or the profile's default */
  uint16_t mss;      /* effective send MSS (data bytes per segment) */
  uint16_t rcv_mss;  /* estimate of the peer's segment size */
  uint16_t adv_mss;  /* what we advertised */
  /* RFC 5681 congestion control */
  uint32_t cwnd, ssthresh, bytes_acked, recover;
  uint32_t dupacks;
  bool in_recovery;
  /* RFC 6298 */
  uint32_t srtt_us, rttvar_us, rto_us;
  bool rtt_valid;      /* at least one sample taken */
  uint32_t min_rtt_us; /* smallest sample (Linux: tcp_min_rtt) */
  bool rtt_timing;     /* a segment is being timed (Karn) */
  uint32_t rtt_seq;
  uint64_t rtt_start_us;
  uint32_t backoff;        /* RTO doublings */
  uint32_t retransmits;    /* consecutive expirations without progress */
  uint64_t first_rexmt_us; /* when the oldest unacked data was sent (valid
                              once retransmits > 0) */
  uint64_t ut_start_us;    /* where TCP_USER_TIMEOUT counts from */
  /* RFC 8985 7: tail loss probe */
  bool tlp_out;         /* a probe is out: the episode ends at tlp_high */
  bool tlp_retrans;     /* ... and it was a retransmission */
  uint32_t tlp_high;    /* SND.NXT when the probe went out */
  uint32_t last_seg;    /* where the last new segment (data, FIN) began */
  uint64_t tlp_rto_due; /* when the RTO the probe timer stands in for is due */
  bool rto_loss;        /* an RTO's loss recovery runs up to rto_loss_high */
  uint32_t rto_loss_high;
  /* zero-window probing */
  uint32_t persist_backoff;
  uint32_t persist_unanswered; /* probes since the peer last sent an ACK */
  /* delayed ACK */
  bool ack_now; /* an ACK must go out before the call returns */
  bool delack_pending;
  uint32_t unacked_full_segs;
  uint32_t quickacks;
  bool data_seen;       /* in-order data arrived (Linux: icsk_ack.ato set) */
  uint64_t data_rcv_us; /* when in-order data last arrived */
  /* keep-alive */
  uint32_t keep_probes;
  uint64_t last_rcv_us;
  /* FIN */
  bool fin_queued; /* the application closed its sending side */
  bool fin_rcvd;
  bool fin_sent;
  uint32_t fin_seq; /* sequence number of our FIN, valid once sent */
  bool ooo_fin;     /* a FIN arrived beyond RCV.NXT */
  uint32_t ooo_fin_seq;
  uint64_t last_oow_ack_us; /* last rate-limited ACK (challenge, OOW) */
  bool oow_acked;           /* last_oow_ack_us is valid */
  bool syn_rexmitted;       /* RFC 6298 5.7 */
  /* SACK */
  struct sf_seq_range sacked[SF_MAX_SACK_BLOCKS]; /* peer's blocks */
  uint8_t nsacked;
  struct sf_seq_range ooo[SF_MAX_OOO]; /* our out-of-order data, sorted */
  uint8_t nooo;
  /* RFC 2018 4: a sequence number in each block we reported first, most
   * recent first; our SACK option repeats the blocks in this order */
  uint32_t ooo_recent[4];
  uint8_t nooo_recent;
  /* urgent data (RFC 9293 3.8.5) */
  bool urg_pending; /* rcv_up ahead of the bytes read */
  bool urg_read;    /* the urgent octet was taken with MSG_OOB */
  bool snd_urg;     /* snd_up valid */
  /* timers: absolute deadlines, 0 when stopped */
  uint64_t timer[SF_T_COUNT];
  uint64_t deadline; /* the earliest of timer[], 0 when none runs */
};

enum sf_sock_flags {
  SF_SOCK_NONBLOCK = 1u << 0,
  SF_SOCK_REUSEADDR = 1u << 1,
  SF_SOCK_NODELAY = 1u << 2,
  SF_SOCK_KEEPALIVE = 1u << 3,
  SF_SOCK_LINGER = 1u << 4,
  SF_SOCK_BOUND = 1u << 5,
  SF_SOCK_SHUT_RD = 1u << 6,
  SF_SOCK_SHUT_WR = 1u << 7,
  SF_SOCK_PASSIVE = 1u << 8,      /* opened by a LISTEN (RFC 9293 MUST-11) */
  SF_SOCK_ORPHAN = 1u << 9,       /* the application closed its descriptor */
  SF_SOCK_RESET = 1u << 10,       /* connection ended by RST or error */
  SF_SOCK_EOF = 1u << 11,         /* FIN read by the application */
  SF_SOCK_CONNECTED = 1u << 12,   /* reached ESTABLISHED at least once */
  SF_SOCK_CONNECTING = 1u << 13,  /* connect() began an attempt whose outcome
                                     no connect() has reported yet (Linux's
                                     SS_CONNECTING) */
  SF_SOCK_RCVBUF_LOCK = 1u << 14, /* SO_RCVBUF was set (Linux's
                                     SOCK_RCVBUF_LOCK) */
  SF_SOCK_OOBINLINE = 1u << 15    /* SO_OOBINLINE */
};

struct sf_sock {
  bool used;
  uint8_t state; /* enum sf_tcp_state */
  int32_t fd;    /* -1 while the connection has no descriptor */
  uint32_t flags;
  int so_error;          /* pending error (positive errno) */
  int soft_error;        /* last ICMP soft error (positive errno) */
  uint32_t laddr, raddr; /* host byte order */
  uint16_t lport, rport;
  /* listener bookkeeping */
  int32_t parent; /* slot of the listener of an unaccepted socket */
  int32_t next_q; /* next slot in the listener's accept queue */
  int32_t q_head, q_tail;
  uint32_t backlog, q_ready, q_syn;
  /* options */
  uint32_t sndbuf, rcvbuf; /* limits (<= buffer capacity) */
  uint32_t linger_s;
  uint16_t user_mss;        /* TCP_MAXSEG, 0: none */
  uint32_t user_timeout_ms; /* TCP_USER_TIMEOUT, 0: none */
  uint32_t keepidle_s, keepintvl_s, keepcnt;
  uint8_t tos;
  struct sf_ip_route route; /* IP options of every segment (IP_OPTIONS) */
  struct sf_ring snd, rcv;
  struct sf_tcb tcb;
};

/* Our SYN is not yet acknowledged: in SYN-SENT and SYN-RECEIVED, and in
 * FIN-WAIT-1 or CLOSING after a CLOSE in SYN-RECEIVED (RFC 9293 3.10.4). A
 * connection that never reached ESTABLISHED sent no data, so SND.UNA is
 * still the ISS. */
static inline bool sf_tcp_syn_unacked(const struct sf_sock *sk) {
  return !(sk->flags & SF_SOCK_CONNECTED) && sk->tcb.snd_una == sk->tcb.iss;
}

/* The sequence number of the first byte the application has not read. */
static inline uint32_t sf_rcv_first(const struct sf_sock *sk) {
  return sk->tcb.rcv_nxt - sk->rcv.len - (sk->tcb.fin_rcvd ? 1u : 0u);
}

/* Linux (tcp_check_urg, RFC 6093 3.4): unless SO_OOBINLINE, the octet
 * before the urgent pointer leaves the stream and is read with MSG_OOB. */
static inline bool sf_urg_out_of_band(const struct sf_sock *sk, bool profile) {
  return profile && sk->tcb.urg_pending && !(sk->flags & SF_SOCK_OOBINLINE);
}

/* tcp_options.c */
/* Parses the options of a segment whose header is already checked; returns
 * 0 or -EINVAL for a malformed option list (RFC 9293 MUST-7). */
int sf_tcp_parse_options(const uint8_t *opt, uint32_t len,
                         struct sf_tcp_seg *seg);
/* Writes options; returns their length (a multiple of 4). */
uint32_t sf_tcp_write_options(const struct sf_tcp_optreq *req, uint32_t layout,
                              uint8_t *out);

/* tcp_input.c */
void sf_tcp_input(sf_stack *st, const struct sf_ip_meta *ip, const uint8_t *seg,
                  size_t len);

struct sf_icmp_err {
  uint8_t type, code;
  uint32_t src, dst; /* of the quoted datagram, i.e. our own segment */
  uint16_t sport, dport;
  uint32_t seq;
  bool hard; /* RFC 1122 4.2.3.9 */
};
void sf_tcp_icmp_error(sf_stack *st, const struct sf_icmp_err *err);

void sf_tcp_established_data(sf_stack *st, struct sf_sock *sk,
                             const struct sf_tcp_seg *seg);

/* tcp_output.c */
/* Sends what the connection may send now: data, FIN, a due ACK. */
void sf_tcp_output(sf_stack *st, struct sf_sock *sk);
void sf_tcp_send_ack(sf_stack *st, struct sf_sock *sk);
void sf_tcp_sack_note(struct sf_tcb *tcb, uint32_t seq);
void sf_tcp_send_syn(sf_stack *st, struct sf_sock *sk);
/* RST for a connection we abort (RFC 9293 3.10.4 ABORT). */
void sf_tcp_send_rst_conn(sf_stack *st, struct sf_sock *sk);
/* RFC 9293 3.10.7.1: RST in reply to a segment that has no connection. */
void sf_tcp_send_rst_reply(sf_stack *st, const struct sf_ip_meta *ip,
                           const struct sf_tcp_seg *seg);
/* Retransmits from SND.UNA (one segment); returns bytes sent. */
uint32_t sf_tcp_retransmit(sf_stack *st, struct sf_sock *sk);
void sf_tcp_send_probe(sf_stack *st, struct sf_sock *sk, bool keepalive);
/* RFC 8985 7.3: a tail loss probe: one new segment if the peer's window
 * allows, else the last segment again. Returns whether one went out. */
bool sf_tcp_send_loss_probe(sf_stack *st, struct sf_sock *sk);
/* Receive window to advertise now (unscaled bytes). */
uint32_t sf_tcp_rcv_window(const sf_stack *st, const struct sf_sock *sk);
/* The window the receive policy would choose now, before the rule that
 * never moves the right edge left (Linux's __tcp_select_window). */
uint32_t sf_tcp_select_window(const sf_stack *st, const struct sf_sock *sk);
/* Receive buffer space as window bytes: all of it, and what is free
 * (Linux's tcp_full_space and tcp_space). */
uint32_t sf_tcp_full_space(const struct sf_sock *sk);
uint32_t sf_tcp_free_space(const sf_stack *st, const struct sf_sock *sk);
/* Buffer memory a received segment costs: len payload bytes in a datagram
 * of iplen bytes; *room (if not NULL) is what its buffer has left. */
uint32_t sf_tcp_truesize(const sf_stack *st, uint32_t iplen, uint32_t len,
                         uint32_t *room);
/* Queues in-order data [end - len, end) costing mem (room left in its
 * buffer): Linux (tcp_try_coalesce) copies it into the room of the segment
 * before it when it fits, at no cost. Frees the memory of segments read
 * once the application has read up to `read`. */
void sf_tcp_rq_charge(struct sf_tcb *tcb, uint32_t end, uint32_t len,
                      uint32_t mem, uint32_t room);
void sf_tcp_rq_release(struct sf_tcb *tcb, uint32_t read);
/* Linux (tcp_measure_rcv_mss, tcp_grow_window, tcp_incr_quickack): what an
 * in-order data segment of len bytes teaches the receive window and the
 * quick-ACK count. */
void sf_tcp_rcv_learn(sf_stack *st, struct sf_sock *sk, uint32_t len,
                      uint32_t truesize);
/* Linux (tcp_init_buffer_space): the window clamp once established. */
void sf_tcp_init_buffer_space(sf_stack *st, struct sf_sock *sk);

/* tcp_timer.c */
void sf_tcp_timer_set(struct sf_sock *sk, enum sf_timer t, uint64_t at);
void sf_tcp_timer_stop(struct sf_sock *sk, enum sf_timer t);
void sf_tcp_timers_fire(sf_stack *st, struct sf_sock *sk);
uint64_t sf_tcp_next_deadline(const struct sf_sock *sk);
/* The earliest of the running timers, 0 when none runs: what
 * tcb.deadline caches (and the invariant checker compares). */
uint64_t sf_tcp_earliest_timer(const struct sf_tcb *tcb);
void sf_tcp_rexmt_arm(sf_stack *st, struct sf_sock *sk);
/* Data is in flight: arms the tail loss probe where allowed, else the
 * retransmission timer. `advancing`: an ACK of new data restarts the RTO
 * from now (RFC 6298 5.3). */
void sf_tcp_xmit_timer(sf_stack *st, struct sf_sock *sk, bool advancing);
/* RFC 8985 7.4: an ACK of new data ends a probe's episode. */
void sf_tcp_tlp_ack(sf_stack *st, struct sf_sock *sk, uint32_t ack);
void sf_tcp_keep_arm(sf_stack *st, struct sf_sock *sk);
void sf_tcp_schedule_ack(sf_stack *st, struct sf_sock *sk, bool full_seg);

/* tcp_rtt.c: RFC 6298 arithmetic */
void sf_rtt_sample(struct sf_tcb *tcb, const sf_profile *p, uint32_t rtt_us);
uint32_t sf_rto_backed_off(const struct sf_tcb *tcb, const sf_profile *p);

/* tcp_cc.c: RFC 5681 arithmetic */
uint32_t sf_cc_initial_window(const sf_profile *p, uint32_t smss);
void sf_cc_on_ack(struct sf_tcb *tcb, uint32_t acked, uint32_t smss,
                  uint32_t ss_max_segs);
void sf_cc_on_rto(struct sf_tcb *tcb, uint32_t flight, uint32_t smss);
void sf_cc_enter_recovery(struct sf_tcb *tcb, uint32_t flight, uint32_t smss);
void sf_cc_exit_recovery(struct sf_tcb *tcb);

/* tcp_conn.c: connection lifetime */
void sf_tcp_set_state(sf_stack *st, struct sf_sock *sk, int state);
/* Ends the connection with error `err` (positive errno, 0 for none). */
void sf_tcp_drop(sf_stack *st, struct sf_sock *sk, int err);
/* The socket reached CLOSED and its slot is freed if nobody holds it. */
void sf_tcp_closed(sf_stack *st, struct sf_sock *sk);
uint32_t sf_tcp_new_isn(sf_stack *st, const struct sf_sock *sk);
void sf_tcp_init_tcb(sf_stack *st, struct sf_sock *sk);
/* Starts the send sequence space at iss. */
void sf_tcp_set_iss(struct sf_sock *sk, uint32_t iss);
/* Window of our SYN or SYN-ACK, once the options are known. */
void sf_tcp_finish_syn_window(sf_stack *st, struct sf_sock *sk, bool passive);
struct sf_sock *sf_tcp_lookup(sf_stack *st, uint32_t laddr, uint16_t lport,
                              uint32_t raddr, uint16_t rport);
uint32_t sf_tcp_ts_now(const sf_stack *st, const struct sf_sock *sk);
void sf_tcp_unqueue(sf_stack *st, struct sf_sock *child);
/* Gives the connection the IP options `r` from now on (a source route,
 * RFC 1122 4.2.3.8), its send MSS adjusted to their length. */
void sf_tcp_set_route(struct sf_sock *sk, const struct sf_ip_route *r);
struct sf_sock *sf_tcp_accept_head(sf_stack *st, struct sf_sock *lsk);
bool sf_tcp_port_in_use(sf_stack *st, uint32_t laddr, uint16_t lport,
                        const struct sf_sock *except, bool reuse);

#endif
