/* The oracles of scenario_run.h as a module of their own, shared by the
 * scenario runner (harness/fuzz/scenario_run.c) and the script runner's
 * `--oracles` mode (harness/run/), so that a scenario and the script that
 * `synfin repro --pkt` writes for it are judged by the same code:
 *
 *  - wire: every datagram the stack emits (sf_oracle_outbound());
 *  - app: every read of the connection under test (sf_oracle_read()), and
 *    at the end everything acknowledged in order is readable
 *    (sf_oracle_final());
 *  - invariant: sf_stack_check() (sf_oracle_check());
 *  - hang: packets per event.
 *
 * The driver plays the peer and the application and tells the oracle what
 * they did: every datagram before it is injected (sf_oracle_inbound()),
 * the calls that change the connection under test (accept, connect, close,
 * shutdown) and the bytes it writes (sf_oracle_write_begin/end). The
 * peer's payload is the pattern sf_scn_peer_byte() of its stream offset
 * (sf_oracle_peer_payload()), the application's sf_scn_app_byte().
 *
 * The first broken oracle fills the verdict; later ones are ignored. */
#ifndef SYNFIN_ORACLE_H
#define SYNFIN_ORACLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "synfin/scenario_run.h"
#include "synfin/stack.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SF_ORACLE_MAX_PACKETS_PER_EVENT 20000
#define SF_ORACLE_PATTERN_SPAN 65536u /* pattern bytes readable at once */

typedef struct sf_oracle {
  sf_stack *st;
  sf_scn_verdict *v;
  size_t event;    /* reported in the verdict */
  uint64_t packet; /* the datagram being judged, 1-based, or 0 */
  /* the connection under test: its descriptor and the stack's port */
  int fd;
  uint16_t lport;
  bool passive; /* opened by a listener (else by connect()) */
  bool reset_seen, shut_rd;
  bool raw_data; /* the peer may have sent bytes other than its pattern */
  /* the peer's view */
  uint32_t peer_isn, peer_max;
  uint32_t stack_ack; /* the last ack the stack sent (its RCV.NXT) */
  bool stack_acked;
  uint32_t peer_syn_end[8]; /* ends of the peer's recent SYNs */
  uint8_t peer_syns;
  bool peer_started;
  uint8_t last_in_flags;
  uint32_t last_in_ack;
  bool injecting;
  /* the stack's side, as seen on the wire */
  bool iss_known, fin_seen;
  bool rst_sent;            /* we sent a RST ... */
  bool syn_after_rst;       /* ... and the peer a SYN since: a SYN-ACK with the
                               same ISS may start a new connection */
  uint32_t restart_syn_end; /* the end of that SYN */
  uint32_t iss, fin_seq, ts_last;
  uint64_t app_written, app_read;
  uint32_t packets_this_event;
  uint32_t test_snd_max; /* SF_ORACLE_TEST_TRIP builds only */
  uint8_t buf[65536];
} sf_oracle;

/* Starts judging a fresh stack: the verdict is cleared; the connection
 * under test is on SF_SCN_PORT, with no descriptor yet; the peer's first
 * SYN will carry peer_isn. */
void sf_oracle_reset(sf_oracle *o, sf_stack *st, sf_scn_verdict *v,
                     uint32_t peer_isn);
/* Records a broken oracle (the first one wins). */
void sf_oracle_violate(sf_oracle *o, const char *oracle, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* An event begins (index for the verdict; the hang count restarts). */
void sf_oracle_event(sf_oracle *o, size_t index);

/* ---- the peer ---- */

/* The connection under test as the stack has it (the first one on the
 * stack's port with the peer's); false when there is none. */
bool sf_oracle_connection(const sf_oracle *o, sf_tcp_info *info);

/* The payload of a peer segment at seq with these flags: the pattern at
 * its offset in the stream the connection synchronized on (a SYN starts a
 * stream of its own). At least SF_ORACLE_PATTERN_SPAN bytes. */
const uint8_t *sf_oracle_peer_payload(sf_oracle *o, uint32_t seq,
                                      uint8_t flags);
/* A whole datagram the peer is about to send (before fragmentation): what
 * it sent, its SYNs, the flags a RST would answer, whether the payload is
 * its pattern. */
void sf_oracle_inbound(sf_oracle *o, const uint8_t *pkt, size_t len);
/* What the driver knows of a datagram it built: whether the data after the
 * TCP header is the peer's pattern at the segment's sequence number
 * (sf_oracle_peer_payload()), and whether both checksums are right. */
typedef struct sf_oracle_built {
  bool pattern;
  bool csum_ok;
} sf_oracle_built;
/* sf_oracle_inbound() for a datagram the driver built, taking its word for
 * the payload and checksums instead of comparing and summing every byte
 * again (known NULL: no word, every byte is inspected). */
void sf_oracle_inbound_built(sf_oracle *o, const uint8_t *pkt, size_t len,
                             const sf_oracle_built *known);
/* Brackets the stack's input of one datagram (or fragment). */
void sf_oracle_injecting(sf_oracle *o, bool on);

/* ---- the stack ---- */

/* Judges a datagram the stack sent (from its output callback). */
void sf_oracle_outbound(sf_oracle *o, const uint8_t *pkt, size_t len);
/* The invariant checker, after an event. */
void sf_oracle_check(sf_oracle *o);

/* ---- the application ---- */

void sf_oracle_set_port(sf_oracle *o, uint16_t lport);
/* A listener exists: the connection under test is a passive one. */
void sf_oracle_listening(sf_oracle *o);
/* accept() returned fd for the connection under test. */
void sf_oracle_accepted(sf_oracle *o, int fd);
/* connect() was called on fd: its local port names the connection.
 * Returns 0, or the error of getsockname(). */
int sf_oracle_connecting(sf_oracle *o, int fd);
void sf_oracle_closed(sf_oracle *o, int fd);
void sf_oracle_shutdown(sf_oracle *o, int fd, int how, int rc);
/* The bytes the application writes on fd (n at most
 * SF_ORACLE_PATTERN_SPAN), or NULL when fd is not the connection under
 * test; then sf_oracle_write_end() with the call's result. */
const uint8_t *sf_oracle_write_begin(sf_oracle *o, int fd, size_t n);
void sf_oracle_write_end(sf_oracle *o, int fd, size_t n, ssize_t written);
/* A read on fd returned got bytes (or -errno) into buf. */
void sf_oracle_read(sf_oracle *o, int fd, const uint8_t *buf, ssize_t got);
/* The end: reads what is left and checks that every byte the stack
 * acknowledged in order was read (unless reset or shut for reading). */
void sf_oracle_final(sf_oracle *o);

#ifdef __cplusplus
}
#endif

#endif
