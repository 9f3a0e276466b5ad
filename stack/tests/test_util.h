/* Helpers shared by the stack's Check suites: a stack with a counting
 * allocator and a capture of what it sends, packet builders and parsers. */
#ifndef SF_TEST_UTIL_H
#define SF_TEST_UTIL_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "synfin/stack.h"
#include "tcp.h" /* TH_* flags, SEQ_* comparisons */

#define TU_LOCAL 0xc0a80001u  /* 192.168.0.1, the stack */
#define TU_REMOTE 0xc0000201u /* 192.0.2.1, the test's peer */
#define TU_MAX_OUT 4096

struct tu_pkt {
  uint64_t t_us;
  size_t len;
  uint8_t *buf; /* malloc'ed copy */
};

/* A decoded outbound packet. */
struct tu_out {
  uint64_t t_us;
  /* IPv4 */
  uint8_t tos, ttl, proto;
  uint16_t id, frag, total_len;
  uint32_t src, dst; /* host byte order */
  bool ip_csum_ok;
  /* TCP (proto 6) */
  uint16_t sport, dport;
  uint32_t seq, ack;
  uint8_t flags;
  uint16_t win, urp;
  bool tcp_csum_ok;
  uint8_t opts[40];
  uint8_t optlen;
  /* parsed options; mss == 0 / ws == 0xff when absent */
  uint16_t mss;
  uint8_t ws;
  bool sackok, has_ts;
  uint32_t ts_val, ts_ecr;
  uint8_t nsack;
  uint32_t sack[4][2];
  /* ICMP (proto 1) */
  uint8_t icmp_type, icmp_code;
  /* payload after the TCP or ICMP header (valid until the next tu_pop) */
  const uint8_t *data;
  uint32_t len;
  uint8_t raw[65536]; /* the whole datagram */
  size_t raw_len;
};

struct tu {
  sf_stack *st;
  sf_config cfg;
  uint64_t now;
  struct tu_pkt *out; /* TU_MAX_OUT captured packets */
  size_t nout, next;
  size_t allocs, frees;
  bool counting; /* count allocations while packets flow */
  size_t allocs_while_counting;
};

/* Every test executable defines its suite under this name. */
Suite *tu_suite(void);

/* A stack with the given profile; cfg can be changed before tu_start(). */
void tu_init(struct tu *t, enum sf_profile_id profile);
void tu_start(struct tu *t);
/* tu_init + tu_start. */
void tu_setup(struct tu *t, enum sf_profile_id profile);
/* Frees the stack; fails the test if memory leaked or an invariant broke. */
void tu_teardown(struct tu *t);

/* Tears the stack down and starts a fresh one with profile id and, unless
 * mtu is 0, that MTU. */
void tu_restart(struct tu *t, enum sf_profile_id id, uint32_t mtu);

/* Moves virtual time forward by us microseconds (timers fire). */
void tu_advance(struct tu *t, uint64_t us);
/* Delivers a datagram at the current time. */
void tu_inject(struct tu *t, const void *pkt, size_t len);
/* The same from a heap copy of exactly len bytes, so that ASan sees any
 * read past the end of the datagram. */
void tu_inject_exact(struct tu *t, const void *pkt, size_t len);

/* Number of captured packets not yet popped. */
size_t tu_pending(const struct tu *t);
/* Pops and decodes the next captured packet; fails the test if none. */
void tu_pop(struct tu *t, struct tu_out *o);
/* Fails the test if any captured packet is left unread. */
void tu_expect_silence(struct tu *t);
void tu_drain(struct tu *t);

/* A TCP segment to build. Zero fields take defaults: addresses TU_REMOTE ->
 * TU_LOCAL, ports 40000 -> 8080, window 65535, TTL 64. */
struct tu_seg {
  uint32_t src, dst;
  uint16_t sport, dport;
  uint32_t seq, ack;
  uint8_t flags;
  uint16_t win;
  bool win_zero; /* send a zero window (win 0 means "default") */
  uint16_t urp;
  const uint8_t *opts;
  uint8_t optlen;      /* padded to 4 by the builder with EOL (0) bytes */
  const uint8_t *data; /* NULL: len zero bytes */
  uint32_t len;
  bool bad_tcp_csum;
};

/* Builds IPv4 + TCP into buf; returns the datagram length. */
size_t tu_build_tcp(uint8_t *buf, const struct tu_seg *s);
/* Builds an IPv4 header in front of payload (copied) with a valid checksum;
 * returns the datagram length. frag is the host-order flags/offset field. */
size_t tu_build_ip(uint8_t *buf, uint32_t src, uint32_t dst, uint8_t proto,
                   uint16_t id, uint16_t frag, const void *payload, size_t len);
/* Builds and injects a TCP segment. */
void tu_send_tcp(struct tu *t, const struct tu_seg *s);

/* A TCP connection between the test (the peer) and the stack, with the
 * peer's view of the sequence spaces in absolute numbers. */
struct tu_conn {
  int fd;          /* the stack's descriptor for the connection */
  int lfd;         /* the listener it came from, or -1 */
  uint16_t lport;  /* the stack's port */
  uint16_t rport;  /* the peer's port */
  uint32_t iss;    /* the stack's ISN */
  uint32_t irs;    /* the peer's ISN */
  uint32_t seq;    /* the peer's next sequence number */
  uint32_t ack;    /* what the peer acknowledges */
  uint16_t win;    /* window the peer advertises (raw field) */
  bool ts;         /* timestamps negotiated: every segment carries TS */
  uint32_t ts_val; /* the peer's clock */
  uint32_t ts_ecr; /* last TSval seen from the stack */
};

/* SYN options of a peer: <mss 1460> and <mss 1460,sackOK,TS,nop,wscale 7>. */
extern const uint8_t tu_opts_mss[4];
extern const uint8_t tu_opts_full[20];

/* Listens on 8080, sends the peer's SYN (options as given), checks the
 * SYN-ACK, completes the handshake and accepts. */
void tu_open_passive(struct tu *t, struct tu_conn *c, const uint8_t *opts,
                     uint8_t optlen);
/* A new socket connect()ing to the peer at 192.0.2.1:8080 (-EINPROGRESS);
 * returns its descriptor. The SYN is left in the capture. */
int tu_connect(struct tu *t);
/* connect()s socket fd (set up as the test needs) to the peer at
 * 192.0.2.1:8080 (-EINPROGRESS). */
void tu_connect_fd(struct tu *t, int fd);
/* tu_connect, then pops and checks the SYN: the socket is in SYN-SENT and c
 * describes the connection (the peer's ISN will be 2000000). */
void tu_syn_sent(struct tu *t, struct tu_conn *c);
/* Connects to the peer at 192.0.2.1:8080, checks the SYN, answers with a
 * SYN-ACK (options as given) and checks the stack's ACK. */
void tu_open_active(struct tu *t, struct tu_conn *c, const uint8_t *opts,
                    uint8_t optlen);
/* Sends a segment at the connection's current seq/ack (adding TS when
 * negotiated) and advances c->seq by what it occupies. */
void tu_conn_send(struct tu *t, struct tu_conn *c, uint8_t flags, uint32_t len);
/* Sends a segment with seq and ack offset from the connection's current
 * ones; c is not changed. */
void tu_conn_send_at(struct tu *t, struct tu_conn *c, uint8_t flags,
                     int32_t dseq, int32_t dack, uint32_t len);
/* Pops the next packet, checks it belongs to the connection, records its
 * TSval for the next echo. */
void tu_conn_pop(struct tu *t, struct tu_conn *c, struct tu_out *o);
/* Pops a segment and checks flags, seq and ack relative to the ISNs
 * (seq - iss, ack - irs) and its payload length. */
void tu_conn_expect(struct tu *t, struct tu_conn *c, uint8_t flags,
                    uint32_t rel_seq, uint32_t rel_ack, uint32_t len);
/* The connection's state in the stack. */
int tu_state(struct tu *t, int fd);
/* getsockopt(SO_ERROR): the pending error, which reading clears. */
int tu_so_error(struct tu *t, int fd);

/* RFC 1071 checksum over buf (for building test packets). */
uint16_t tu_csum(const void *buf, size_t len, uint32_t initial);
/* Recomputes the IPv4 header checksum of a datagram in place. */
void tu_fix_ip_csum(uint8_t *pkt);

/* Options, timing and sending side (test_tcp_options/rtt_cc/timers/send). */

/* The connection's control block; fails the test if fd has none. */
sf_tcp_info tu_info(struct tu *t, int fd);
/* tu_open_passive, but the peer's ACK of the SYN-ACK comes rtt_us later
 * (so the stack takes an RTT sample of rtt_us). */
void tu_open_passive_rtt(struct tu *t, struct tu_conn *c, const uint8_t *opts,
                         uint8_t optlen, uint64_t rtt_us);
/* Sends s on the connection: ports from c, s->seq and s->ack taken as
 * offsets from c->seq and c->ack, window c->win unless s sets one (or
 * win_zero); when timestamps are negotiated, <nop,nop,TS val c->ts_val ecr
 * c->ts_ecr> goes before s's own options (unless s is a RST). c is not
 * changed. */
void tu_conn_send_seg(struct tu *t, struct tu_conn *c, const struct tu_seg *s);
/* Sets one profile value of the running stack by name; connections opened
 * afterwards (and timers of existing ones) use it. */
void tu_profile_set(struct tu *t, const char *key, uint32_t value);
/* tu_conn_expect, and checks that the segment left at virtual time at_us. */
void tu_conn_expect_at(struct tu *t, struct tu_conn *c, uint8_t flags,
                       uint32_t rel_seq, uint32_t rel_ack, uint32_t len,
                       uint64_t at_us);
/* Writes len zero bytes (at most 65536) and checks all were taken. */
void tu_write_n(struct tu *t, int fd, uint32_t len);

/* States, resets and acceptability (test_tcp_states/reset/acceptability). */

/* A socket bound to TU_LOCAL:port and listening with `backlog`; returns
 * its descriptor. */
int tu_listen(struct tu *t, uint16_t port, int backlog);
/* The three-way handshake from the peer's port rport (ISN irs, SYN options
 * as given) to the listener lfd on lport; checks the SYN-ACK and sends the
 * final ACK but does not accept (c->fd is -1, c->lfd is lfd). */
void tu_handshake(struct tu *t, struct tu_conn *c, int lfd, uint16_t lport,
                  uint16_t rport, uint32_t irs, const uint8_t *opts,
                  uint8_t optlen);
/* tu_open_passive with the peer's ISN chosen (to test sequence numbers
 * around 2^32). */
void tu_open_passive_isn(struct tu *t, struct tu_conn *c, const uint8_t *opts,
                         uint8_t optlen, uint32_t irs);
/* The state of the connection c names by its ports, whether or not it has a
 * descriptor; -1 when no socket slot holds it any more. */
int tu_conn_state(struct tu *t, const struct tu_conn *c);

/* Moves an ESTABLISHED connection whose data is all acknowledged (the
 * stack's SND.NXT is c->ack) to `state` with shutdown(SHUT_WR) and the peer's
 * FIN and ACKs, checking every segment on the way; the descriptor stays
 * open. Returns the stack's SND.NXT relative to its ISN. */
uint32_t tu_drive_to(struct tu *t, struct tu_conn *c, int state);

#endif
