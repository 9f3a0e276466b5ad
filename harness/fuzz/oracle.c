/* The oracles of scenario_run.h (oracle.h): what the stack emits, what the
 * application reads, the stack's invariants, and the peer's bookkeeping
 * they need. Shared by the scenario runner and the script runner. */
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "synfin/bytes.h"
#include "synfin/checksum.h"
#include "synfin/ipv4_options.h"
#include "synfin/oracle.h"

#define SEQ_LT(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_GT(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) > 0)

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_ACK 0x10

/* The byte patterns of scenario_run.h, laid out once so that payloads are
 * made with memcpy and checked with memcmp instead of a loop per byte (the
 * fuzzing builds instrument every compare in such a loop).
 * sf_scn_peer_byte(k) depends on k mod 2^15, sf_scn_app_byte(k) on k mod
 * 2^17; each table repeats its pattern for one more span. */
#define PEER_PERIOD (1u << 15)
#define APP_PERIOD (1u << 17)
static uint8_t peer_pattern[PEER_PERIOD + SF_ORACLE_PATTERN_SPAN];
static uint8_t app_pattern[APP_PERIOD + SF_ORACLE_PATTERN_SPAN];

static void make_patterns(void) {
  if (peer_pattern[0])
    return; /* sf_scn_peer_byte(0) is 0x5a */
  for (uint32_t k = 0; k < sizeof(app_pattern); k++)
    app_pattern[k] = sf_scn_app_byte(k);
  for (uint32_t k = 0; k < sizeof(peer_pattern); k++)
    peer_pattern[k] = sf_scn_peer_byte(k);
}

static const uint8_t *peer_bytes(uint64_t k) {
  return peer_pattern + k % PEER_PERIOD;
}

static const uint8_t *app_bytes(uint64_t k) {
  return app_pattern + k % APP_PERIOD;
}

void sf_oracle_reset(sf_oracle *o, sf_stack *st, sf_scn_verdict *v,
                     uint32_t peer_isn) {
  make_patterns();
  memset(v, 0, sizeof(*v));
  o->st = st;
  o->v = v;
  o->event = SF_SCN_SETUP_EVENT;
  o->packet = 0;
  o->fd = -1;
  o->lport = SF_SCN_PORT;
  o->passive = false;
  o->reset_seen = o->shut_rd = o->raw_data = false;
  o->peer_isn = peer_isn;
  o->peer_max = 0;
  o->stack_ack = 0;
  o->stack_acked = false;
  o->peer_started = false;
  o->peer_syns = 0;
  o->last_in_flags = 0;
  o->last_in_ack = 0;
  o->injecting = false;
  o->iss_known = o->fin_seen = o->rst_sent = o->syn_after_rst = false;
  o->restart_syn_end = 0;
  o->iss = o->fin_seq = o->ts_last = 0;
  o->app_written = o->app_read = 0;
  o->packets_this_event = 0;
  o->test_snd_max = 0;
}

void sf_oracle_violate(sf_oracle *o, const char *oracle, const char *fmt, ...) {
  sf_scn_verdict *v = o->v;
  if (v->failed)
    return;
  v->failed = true;
  v->oracle = oracle;
  v->event = o->event;
  v->t_us = sf_stack_now(o->st);
  v->packet = o->packet;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(v->message, sizeof(v->message), fmt, ap);
  va_end(ap);
}

void sf_oracle_event(sf_oracle *o, size_t index) {
  o->event = index;
  o->packets_this_event = 0;
}

/* ---- the wire oracle ---- */

/* RFC 9293 3.1: options well formed (MUST-68), only zeros after EOL
 * (MUST-69), MSS only in SYNs (MUST-65). */
static void check_options(sf_oracle *o, const uint8_t *opt, size_t n,
                          uint8_t flags) {
  for (size_t i = 0; i < n;) {
    uint8_t kind = opt[i];
    if (kind == 0) {
      for (size_t k = i; k < n; k++)
        if (opt[k])
          sf_oracle_violate(o, "wire",
                            "non-zero byte after EOL in the "
                            "options");
      return;
    }
    if (kind == 1) {
      i++;
      continue;
    }
    if (i + 1 >= n || opt[i + 1] < 2 || i + opt[i + 1] > n) {
      sf_oracle_violate(o, "wire", "malformed option kind %u", kind);
      return;
    }
    uint8_t len = opt[i + 1];
    static const uint8_t want[9] = {0, 0, 4, 3, 2, 0, 0, 0, 10};
    if (kind < 9 && want[kind] && want[kind] != len)
      sf_oracle_violate(o, "wire", "option kind %u with length %u", kind, len);
    if (kind == 5 && (len < 10 || (len - 2) % 8))
      sf_oracle_violate(o, "wire", "SACK option of length %u", len);
    if ((kind == 2 || kind == 3 || kind == 4) && !(flags & TH_SYN))
      sf_oracle_violate(o, "wire", "option kind %u in a segment without SYN",
                        kind);
    if (kind == 8)
      o->ts_last = sf_get32(opt + i + 2);
    i += len;
  }
}

static void check_sequence(sf_oracle *o, const uint8_t *th, uint32_t len) {
  uint8_t flags = th[13];
  uint32_t seq = sf_get32(th + 4), ack = sf_get32(th + 8);
  bool known = false; /* acknowledges exactly the end of a peer's SYN */
  for (uint8_t i = 0; i < o->peer_syns && i < 8; i++)
    known |= o->peer_syn_end[i] == ack;
  /* after our RST or FIN and the peer's new SYN, a new connection may well
   * get the same ISS (the clock has not moved) */
  bool syn_again =
      (flags & TH_SYN) && o->iss_known && seq == o->iss &&
      !(o->syn_after_rst && (flags & TH_ACK) && ack == o->restart_syn_end);
  if ((flags & TH_SYN) && !syn_again) {
    /* a connection of its own (after a reset or TIME-WAIT): its stream
     * starts again */
    o->rst_sent = o->syn_after_rst = false;
    o->iss = seq;
    o->iss_known = true;
    o->fin_seen = false;
    o->app_written = 0;
    o->test_snd_max = seq + 1;
  }
  if (flags & TH_RST)
    o->rst_sent = true;
  if ((flags & TH_RST) && o->injecting && (o->last_in_flags & TH_RST))
    sf_oracle_violate(o, "wire", "RST sent in answer to a RST");
  if ((flags & TH_RST) && seq == 0 && o->injecting &&
      !(o->last_in_flags & TH_ACK))
    return; /* RFC 9293 3.10.7.1: <SEQ=0><ACK=SEG.SEQ+SEG.LEN> */
  if ((flags & TH_RST) && !(flags & TH_ACK)) {
    /* RFC 9293 3.10.7.1: <SEQ=SEG.ACK><CTL=RST> */
    if (o->injecting && (o->last_in_flags & TH_ACK) && seq != o->last_in_ack)
      sf_oracle_violate(o, "wire", "RST seq %u is not the offending ack %u",
                        seq, o->last_in_ack);
    return;
  }
  if ((flags & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK)) {
    /* a SYN-ACK acknowledges exactly the peer's last SYN; the peer's
     * sequence space starts again there */
    /* a retransmitted SYN-ACK carries RCV.NXT, which may have moved past
     * the SYN since (the peer's data or FIN, taken while ours is unacked) */
    bool resent = syn_again && o->peer_started && !SEQ_GT(ack, o->peer_max);
    if (o->peer_syns && !known && !resent)
      sf_oracle_violate(o, "wire",
                        "SYN-ACK acknowledges %u, not the end of a SYN the "
                        "peer sent",
                        ack - o->peer_isn);
    if (!resent) /* a resent SYN-ACK takes back nothing the peer sent */
      o->peer_max = ack;
    o->peer_started = true;
  } else if ((flags & TH_ACK) && o->peer_started && SEQ_GT(ack, o->peer_max))
    sf_oracle_violate(o, "wire", "ack %u beyond what the peer sent (%u)",
                      ack - o->peer_isn, o->peer_max - o->peer_isn);
  if (flags & TH_ACK) {
    o->stack_ack = ack;
    o->stack_acked = true;
  }
  if (!o->iss_known)
    return;
  uint32_t end = seq + len + !!(flags & TH_SYN) + !!(flags & TH_FIN);
  uint32_t limit = o->iss + 1 + (uint32_t)o->app_written + 1;
  if (SEQ_LT(seq, o->iss) || SEQ_GT(end, limit))
    sf_oracle_violate(o, "wire",
                      "segment %u:%u outside the send space (ISS..%u)",
                      seq - o->iss, end - o->iss, limit - o->iss);
  if (o->fin_seen && SEQ_GT(end, o->fin_seq + 1))
    sf_oracle_violate(o, "wire", "sequence space used after our FIN at %u",
                      o->fin_seq - o->iss);
#ifdef SF_ORACLE_TEST_TRIP
  /* test builds only (synfin_bugs, harness/CMakeLists.txt): a wire oracle
   * that also fails any retransmission, so that the repro tests have an
   * oracle failure at a time event on a stack without bugs */
  if (len && SEQ_LT(seq, o->test_snd_max))
    sf_oracle_violate(o, "wire", "test trip: %u bytes sent again at %u", len,
                      seq - o->iss);
  if (SEQ_GT(seq + len, o->test_snd_max))
    o->test_snd_max = seq + len;
#endif
  if (flags & TH_FIN) {
    if (o->fin_seen && seq + len != o->fin_seq)
      sf_oracle_violate(o, "wire", "a second FIN at %u after one at %u",
                        seq + len - o->iss, o->fin_seq - o->iss);
    o->fin_seen = true;
    o->fin_seq = seq + len;
  }
  /* what the application wrote, byte for byte */
  const uint8_t *data = th + (th[12] >> 4) * 4;
  uint32_t off = seq + !!(flags & TH_SYN) - o->iss - 1;
  const uint8_t *want = app_bytes(off);
  if (memcmp(data, want, len) == 0)
    return;
  for (uint32_t i = 0; i < len; i++) {
    if (data[i] != want[i]) {
      sf_oracle_violate(o, "wire",
                        "payload byte %u is %02x, the application wrote %02x",
                        off + i, data[i], want[i]);
      return;
    }
  }
}

/* RFC 791 3.1: the options a stack may send are whole: NOP, EOL padding,
 * and at most one source route, fresh (pointer 4) and with a slot for the
 * final destination (RFC 1122 3.2.1.8). */
static bool ip_options_ok(const uint8_t *opt, size_t n) {
  bool route = false;
  for (size_t i = 0; i < n;) {
    if (opt[i] == SF_IPOPT_EOL || opt[i] == SF_IPOPT_NOP) {
      i++;
      continue;
    }
    const size_t least = SF_IPOPT_ROUTE_HDR + 4; /* the final destination */
    if ((opt[i] != SF_IPOPT_LSRR && opt[i] != SF_IPOPT_SSRR) || route ||
        n - i < least || opt[i + 1] > n - i || opt[i + 1] < least ||
        (opt[i + 1] - SF_IPOPT_ROUTE_HDR) % 4 != 0 ||
        opt[i + 2] != SF_IPOPT_ROUTE_PTR0)
      return false;
    route = true;
    i += opt[i + 1];
  }
  return true;
}

static void wire_check(sf_oracle *o, const uint8_t *p, size_t len) {
  size_t hl = len ? (size_t)(p[0] & 15) * 4 : 0;
  if (len < 20 || (p[0] >> 4) != 4 || hl < 20 || hl > len ||
      sf_get16(p + 2) != len) {
    sf_oracle_violate(o, "wire", "malformed IPv4 header (%zu bytes)", len);
    return;
  }
  if (sf_csum(p, hl) != 0)
    sf_oracle_violate(o, "wire", "bad IPv4 header checksum");
  if (!ip_options_ok(p + 20, hl - 20))
    sf_oracle_violate(o, "wire", "malformed IPv4 options");
  if (sf_get32(p + 12) != SF_SCN_LOCAL_ADDR)
    sf_oracle_violate(o, "wire", "source address is not ours");
  /* a source route's final destination is the peer (RFC 1122 3.2.1.8) */
  uint32_t dst = sf_ipv4_pseudo_dst(p, hl);
  const uint8_t *th = p + hl;
  size_t tl = len - hl;
  uint16_t frag = sf_get16(p + 6);
  if (frag & 0x3fff) {
    /* RFC 791 3.2: every fragment but the last carries a multiple of 8
     * bytes; the transport's checksum covers the whole datagram, so a
     * fragment's cannot be checked (an echo reply larger than the MTU) */
    if ((frag & 0x2000) && tl % 8)
      sf_oracle_violate(o, "wire", "fragment of %zu bytes with MF", tl);
    return;
  }
  if (p[9] == 1) {
    if (tl < 8 || sf_csum(th, tl) != 0)
      sf_oracle_violate(o, "wire", "bad ICMP message");
    return;
  }
  if (p[9] != 6) {
    sf_oracle_violate(o, "wire", "protocol %u sent", p[9]);
    return;
  }
  size_t doff = (size_t)(th[12] >> 4) * 4;
  if (tl < 20 || doff < 20 || doff > tl) {
    sf_oracle_violate(o, "wire", "malformed TCP header");
    return;
  }
  uint32_t sum = sf_csum_pseudo(sf_get32(p + 12), dst, 6, (uint32_t)tl);
  if (sf_csum_fold(sf_csum_partial(sum, th, tl)) != 0)
    sf_oracle_violate(o, "wire", "bad TCP checksum");
  check_options(o, th + 20, doff - 20, th[13]);
  if (sf_get16(th) == o->lport && sf_get16(th + 2) == SF_SCN_PEER_PORT &&
      dst == SF_SCN_PEER_ADDR)
    check_sequence(o, th, (uint32_t)(tl - doff));
}

void sf_oracle_outbound(sf_oracle *o, const uint8_t *pkt, size_t len) {
  o->packet++;
  if (++o->packets_this_event == SF_ORACLE_MAX_PACKETS_PER_EVENT)
    sf_oracle_violate(o, "hang", "%u packets in answer to one event",
                      SF_ORACLE_MAX_PACKETS_PER_EVENT);
  wire_check(o, pkt, len);
}

void sf_oracle_check(sf_oracle *o) {
  char why[256];
  if (!o->v->failed && sf_stack_check(o->st, why, sizeof(why)) < 0)
    sf_oracle_violate(o, "invariant", "%s", why);
}

/* ---- the peer ---- */

/* A reset connection whose descriptor is still open is not the one. */
bool sf_oracle_connection(const sf_oracle *o, sf_tcp_info *info) {
  return sf_stack_find_conn(o->st, o->lport, SF_SCN_PEER_PORT, info) == 0;
}

/* The peer's sequence space grows with what it sends; what lies more than
 * 2^30 past the stack's last ack is not "sent" (no window is that large),
 * nor can a chain of such jumps walk around the sequence space. */
static void peer_sent(sf_oracle *o, uint32_t end) {
  uint32_t base = o->stack_acked ? o->stack_ack : o->peer_max;
  if (!o->peer_started) {
    o->peer_started = true;
    o->peer_max = end;
  } else if (SEQ_GT(end, o->peer_max) && end - base < (1u << 30)) {
    o->peer_max = end;
  }
}

const uint8_t *sf_oracle_peer_payload(sf_oracle *o, uint32_t seq,
                                      uint8_t flags) {
  sf_tcp_info info;
  bool have = sf_oracle_connection(o, &info);
  bool synced = have && info.state >= SF_TCP_SYN_RECEIVED;
  if (synced && !o->passive)
    o->peer_isn = info.irs; /* an active open has no accept() to learn it */
  uint32_t base = (flags & TH_SYN) ? seq : synced ? info.irs : o->peer_isn;
  return peer_bytes(seq + !!(flags & TH_SYN) - base - 1);
}

static bool checksums_ok(const uint8_t *b, size_t hl, size_t len, bool whole) {
  if (sf_csum(b, hl) != 0)
    return false;
  if (!whole)
    return true; /* a first fragment: the segment is checked reassembled */
  uint32_t tl = (uint32_t)(len - hl);
  uint32_t sum = sf_csum_pseudo(sf_get32(b + 12), sf_get32(b + 16), 6, tl);
  return sf_csum_fold(sf_csum_partial(sum, b + hl, tl)) == 0;
}

void sf_oracle_inbound_built(sf_oracle *o, const uint8_t *b, size_t len,
                             const sf_oracle_built *known) {
  o->last_in_flags = 0;
  if (len < 20 || (b[0] >> 4) != 4 || b[9] != 6)
    return;
  size_t hl = (size_t)(b[0] & 15) * 4;
  uint16_t frag = sf_get16(b + 6), tot = sf_get16(b + 2);
  /* the bytes of a fragment cannot be told apart from the peer's pattern
   * until they are reassembled: the application may read anything (the
   * counts are still checked) */
  if (frag & 0x3fff)
    o->raw_data = true;
  if (hl < 20 || tot < hl + 20 || tot > len || (frag & 0x1fff) ||
      sf_get32(b + 12) != SF_SCN_PEER_ADDR)
    return;
  len = tot;
  const uint8_t *th = b + hl;
  if (sf_get16(th) != SF_SCN_PEER_PORT || sf_get16(th + 2) != o->lport)
    return;
  uint8_t flags = th[13];
  uint32_t seq = sf_get32(th + 4), data = 0;
  o->last_in_flags = flags;
  o->last_in_ack = sf_get32(th + 8);
  size_t doff = (size_t)(th[12] >> 4) * 4;
  if (doff >= 20 && hl + doff <= len) {
    data = (uint32_t)(len - hl - doff);
    if (data > SF_ORACLE_PATTERN_SPAN)
      o->raw_data = true;
    else if (known ? !known->pattern
                   : data && memcmp(th + doff,
                                    sf_oracle_peer_payload(o, seq, flags),
                                    data) != 0)
      o->raw_data = true; /* not the peer's pattern where it lies */
  }
  bool more = frag & 0x2000;
  if (more)
    data += 65535; /* the rest comes in fragments: up to a datagram */
  if (known ? !known->csum_ok : !checksums_ok(b, hl, len, !more))
    return; /* the stack drops it: nothing was sent */
  if (flags & TH_RST)
    o->rst_sent = true; /* a RST either way may end the connection */
  uint32_t end = seq + data + !!(flags & TH_SYN) + !!(flags & TH_FIN);
  if ((flags & TH_SYN) && !o->stack_acked) {
    /* the peer's stream starts at its first SYN the stack may take */
    o->peer_started = true;
    o->peer_max = end;
  } else if (o->stack_acked || o->peer_started) {
    peer_sent(o, end); /* before any SYN, nothing the stack could take */
  }
  if (flags & TH_SYN) {
    o->peer_syn_end[o->peer_syns++ % 8] = seq + 1;
    /* a SYN cannot open a new connection while the old one lives on in a
     * state other than TIME-WAIT: it is a retransmission, the stream goes on */
    sf_tcp_info info;
    if ((o->rst_sent || o->fin_seen) &&
        !(sf_oracle_connection(o, &info) && info.state != SF_TCP_TIME_WAIT)) {
      o->syn_after_rst = true;
      o->restart_syn_end = seq + 1;
    }
  }
}

void sf_oracle_inbound(sf_oracle *o, const uint8_t *b, size_t len) {
  sf_oracle_inbound_built(o, b, len, NULL);
}

void sf_oracle_injecting(sf_oracle *o, bool on) {
  if (on)
    o->packet++;
  o->injecting = on;
}

/* ---- the application ---- */

void sf_oracle_set_port(sf_oracle *o, uint16_t lport) {
  o->lport = lport;
}

void sf_oracle_listening(sf_oracle *o) {
  o->passive = true;
}

/* The stream oracle compares every byte the peer sent with what is read,
 * so urgent octets stay in the stream (the linux profile would take them
 * out of band). */
static void keep_urgent_inline(sf_oracle *o, int fd) {
  int on = 1;
  if (sf_setsockopt(o->st, fd, SOL_SOCKET, SO_OOBINLINE, &on, sizeof(on)) < 0)
    sf_oracle_violate(o, "harness", "SO_OOBINLINE refused on fd %d", fd);
}

void sf_oracle_accepted(sf_oracle *o, int fd) {
  sf_tcp_info info;
  o->fd = fd;
  keep_urgent_inline(o, fd);
  if (sf_tcp_get_info(o->st, fd, &info) == 0) {
    /* every accept is a new incarnation, even with the same ISN: the
     * peer's stream starts again */
    o->peer_isn = info.irs;
    o->app_read = 0;
  }
}

int sf_oracle_connecting(sf_oracle *o, int fd) {
  struct sockaddr_in me;
  socklen_t ml = sizeof(me);
  o->fd = fd;
  keep_urgent_inline(o, fd);
  int rc = sf_getsockname(o->st, fd, (struct sockaddr *)&me, &ml);
  if (rc == 0)
    o->lport = ntohs(me.sin_port);
  return rc;
}

void sf_oracle_closed(sf_oracle *o, int fd) {
  if (fd == o->fd)
    o->fd = -1;
}

void sf_oracle_shutdown(sf_oracle *o, int fd, int how, int rc) {
  if (fd == o->fd && how == SHUT_RD && rc == 0)
    o->shut_rd = true;
}

const uint8_t *sf_oracle_write_begin(sf_oracle *o, int fd, size_t n) {
  if (fd < 0 || fd != o->fd)
    return NULL;
  /* the stack may send during the call: count the bytes first */
  const uint8_t *bytes = app_bytes(o->app_written);
  o->app_written += n;
  return bytes;
}

void sf_oracle_write_end(sf_oracle *o, int fd, size_t n, ssize_t written) {
  if (fd < 0 || fd != o->fd)
    return;
  o->app_written -= n;
  o->app_written += written > 0 ? (uint64_t)written : 0;
}

void sf_oracle_read(sf_oracle *o, int fd, const uint8_t *buf, ssize_t got) {
  if (fd < 0 || fd != o->fd)
    return;
  if (got < 0) {
    if (got == -ECONNRESET)
      o->reset_seen = true;
    return;
  }
  const uint8_t *sent = peer_bytes(o->app_read);
  if (!o->raw_data && memcmp(buf, sent, (size_t)got) != 0) {
    for (ssize_t i = 0; i < got; i++) {
      if (buf[i] != sent[i]) {
        sf_oracle_violate(
            o, "app", "byte %llu read as %02x, the peer sent %02x there",
            (unsigned long long)(o->app_read + (uint64_t)i), buf[i], sent[i]);
        return;
      }
    }
  }
  o->app_read += (uint64_t)got;
}

static bool fin_received(int state) {
  return state == SF_TCP_CLOSE_WAIT || state == SF_TCP_LAST_ACK ||
         state == SF_TCP_CLOSING || state == SF_TCP_TIME_WAIT;
}

/* Every in-order byte the stack acknowledged must be readable (nothing
 * lost), unless the connection was reset or reading was shut. */
void sf_oracle_final(sf_oracle *o) {
  sf_tcp_info info;
  if (o->v->failed || o->fd < 0 || o->reset_seen || o->shut_rd)
    return;
  for (int guard = 0; guard < 64 && !o->v->failed; guard++) {
    uint64_t before = o->app_read;
    ssize_t got = sf_recv(o->st, o->fd, o->buf, sizeof(o->buf), MSG_DONTWAIT);
    sf_oracle_read(o, o->fd, o->buf, got);
    if (o->app_read == before)
      break;
  }
  if (o->v->failed || o->reset_seen ||
      sf_tcp_get_info(o->st, o->fd, &info) < 0 ||
      info.state < SF_TCP_ESTABLISHED || info.irs != o->peer_isn)
    return;
  uint64_t acked = (uint32_t)(info.rcv_nxt - info.irs - 1) -
                   (fin_received(info.state) ? 1u : 0u);
  if (o->app_read != acked)
    sf_oracle_violate(o, "app", "%llu bytes acknowledged in order, %llu read",
                      (unsigned long long)acked,
                      (unsigned long long)o->app_read);
}
