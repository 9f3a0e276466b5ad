/* Scenarios: the input of the tcp_scenario_fuzzer, a versioned binary
 * description of a setup and a list of events that drive one stack.
 *
 * Inbound segments store their sequence and acknowledgement numbers
 * relative to the stack's RCV.NXT and SND.UNA, resolved when the event is
 * injected, so that mutations stay near the window edges where bugs live.
 * A raw-bytes event keeps malformed headers reachable.
 *
 * The format (docs/scenario-format.md has the byte-level description):
 *
 *   'S' VERSION  setup (12 bytes)  event*
 *
 * Every byte string decodes (missing bytes read as zero, unknown values are
 * taken modulo their range, at most SF_SCN_MAX_EVENTS events), so a fuzzer
 * never wastes an input; sf_scn_encode() writes the canonical form, which
 * decodes to the same scenario. */
#ifndef SYNFIN_SCENARIO_H
#define SYNFIN_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "synfin/stack.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SF_SCN_MAGIC 'S'
#define SF_SCN_VERSION 1
#define SF_SCN_MAX_EVENTS 256
#define SF_SCN_MAX_PAYLOAD 4096 /* bytes of data in one inbound segment */
#define SF_SCN_MAX_RAW 2048     /* bytes of one raw datagram */
#define SF_SCN_MAX_OPTS 40

/* Where a scenario begins. The setup is driven by the harness (a listener
 * and, for the connected starts, a clean handshake) before the events. */
enum sf_scn_start {
  SF_SCN_LISTEN = 0,         /* a listener on 8080, nothing else */
  SF_SCN_SYN_RECEIVED,       /* the peer's SYN answered, not yet ACKed */
  SF_SCN_ESTABLISHED,        /* passive open done, connection accepted */
  SF_SCN_SYN_SENT,           /* connect() sent a SYN */
  SF_SCN_ACTIVE_ESTABLISHED, /* connect() completed */
  SF_SCN_CLOSE_WAIT,         /* the peer's FIN received */
  SF_SCN_FIN_WAIT_1,         /* close() sent our FIN */
  SF_SCN_START_COUNT
};

/* The peer's SYN options (setup.syn_opts bits). */
enum {
  SF_SCN_OPT_MSS = 1u << 0,
  SF_SCN_OPT_SACK = 1u << 1,
  SF_SCN_OPT_TS = 1u << 2,
  SF_SCN_OPT_WSCALE = 1u << 3,
};

/* Socket flags set before the handshake (setup.sock_flags bits). */
enum {
  SF_SCN_NODELAY = 1u << 0,
  SF_SCN_KEEPALIVE = 1u << 1,
  SF_SCN_SMALL_RCVBUF = 1u << 2, /* 4 KiB receive buffer: zero windows */
  SF_SCN_SMALL_SNDBUF = 1u << 3,
};

typedef struct sf_scn_setup {
  uint8_t start;      /* enum sf_scn_start */
  uint8_t profile;    /* enum sf_profile_id */
  uint8_t syn_opts;   /* SF_SCN_OPT_* */
  uint8_t sock_flags; /* SF_SCN_* */
  uint16_t peer_mss;  /* 0: 1460 */
  uint8_t peer_wscale;
  uint16_t peer_win; /* raw window field of the peer's segments */
  uint16_t prefill;  /* bytes the application writes after the setup */
  uint8_t seed;      /* the stack's seed */
} sf_scn_setup;

enum sf_scn_kind {
  SF_SCN_SEGMENT = 0, /* a TCP segment from the peer */
  SF_SCN_RAW,         /* a datagram, bytes as given */
  SF_SCN_ADVANCE,     /* time passes */
  SF_SCN_TIMER,       /* time jumps to the stack's next deadline */
  SF_SCN_CALL,        /* the application makes a socket call */
  SF_SCN_KIND_COUNT
};

/* Bits of sf_scn_segment.corrupt: what the harness breaks on purpose
 * (the mutator's post-processing keeps everything else valid). */
enum {
  SF_SCN_BAD_TCP_CSUM = 1u << 0,
  SF_SCN_BAD_IP_CSUM = 1u << 1,
  SF_SCN_BAD_DOFF = 1u << 2, /* data offset from `doff` instead */
  SF_SCN_FRAGMENT = 1u << 3, /* sent as fragments (sf_scn_fragment) */
  SF_SCN_FRAG_REVERSE = 1u << 4,
  SF_SCN_FRAG_OVERLAP = 1u << 5, /* each fragment also carries the next 8 */
  SF_SCN_CORRUPT_BITS = 0x3f,
};

/* A segment event with SF_SCN_FRAGMENT is sent as fragments of its
 * datagram (`len` bytes, a 20-byte header), in pieces of one size (a
 * multiple of 8) and at most SF_SCN_MAX_FRAGS of them: 8-byte fragments up
 * to 64 bytes of payload. The piece size, how many, and the k-th in the
 * order they are sent, written to `out` (SF_SCN_FRAG_MAX bytes) with its
 * length returned (0 past the last). */
#define SF_SCN_MAX_FRAGS 8
/* the header, the piece of the largest datagram (65515 bytes of payload in
 * 8 pieces of 8192) and the 8 bytes an overlap adds */
#define SF_SCN_FRAG_MAX (20 + 8192 + 8)
size_t sf_scn_fragment_size(size_t len);
size_t sf_scn_fragment_count(size_t len);
size_t sf_scn_fragment(const uint8_t *dgram, size_t len, uint8_t corrupt,
                       size_t k, uint8_t *out);

typedef struct sf_scn_segment {
  uint8_t flags;     /* TCP flag bits as on the wire */
  int32_t seq_delta; /* seq = stack's RCV.NXT + seq_delta */
  int32_t ack_delta; /* ack = stack's SND.UNA + ack_delta */
  uint16_t win;
  uint16_t urg;
  uint16_t len;    /* payload bytes (the peer's data pattern) */
  uint8_t corrupt; /* SF_SCN_BAD_* */
  uint8_t doff;    /* with SF_SCN_BAD_DOFF: the data offset in words */
  uint8_t nopt;    /* bytes of TCP options as written */
  uint8_t opt[SF_SCN_MAX_OPTS];
} sf_scn_segment;

/* Bits of a raw event's `fix`: the mutator's post-processing (AFL++'s
 * afl_custom_post_process, and libFuzzer's mutator after each mutation)
 * repairs these in the datagram; bits left clear keep it broken. */
enum {
  SF_SCN_FIX_IP = 1u << 0, /* total length and header checksum */
  SF_SCN_FIX_L4 = 1u << 1, /* TCP or ICMP checksum */
};

/* Repairs what the raw events of an encoded scenario ask to be repaired,
 * in place; returns how many datagrams changed. */
size_t sf_scn_fix_raw(uint8_t *buf, size_t len);

enum sf_scn_op {
  SF_SCN_READ = 0, /* arg: bytes */
  SF_SCN_WRITE,    /* arg: bytes of the application's pattern */
  SF_SCN_SHUT_RD,
  SF_SCN_SHUT_WR,
  SF_SCN_CLOSE,
  SF_SCN_ACCEPT,
  SF_SCN_CONNECT, /* a second, active connection */
  SF_SCN_LINGER0, /* SO_LINGER {1, 0} */
  SF_SCN_NODELAY_ON,
  SF_SCN_URGENT, /* send(arg bytes, MSG_OOB) */
  SF_SCN_OP_COUNT
};

typedef struct sf_scn_event {
  uint8_t kind; /* enum sf_scn_kind */
  union {
    sf_scn_segment seg;
    struct {
      uint8_t fix; /* SF_SCN_FIX_*: what post-processing repairs */
      uint16_t len;
      uint8_t bytes[SF_SCN_MAX_RAW];
    } raw;
    uint32_t advance_us;
    struct {
      uint8_t op; /* enum sf_scn_op */
      uint16_t arg;
    } call;
  };
} sf_scn_event;

typedef struct sf_scenario {
  sf_scn_setup setup;
  size_t n;
  sf_scn_event ev[SF_SCN_MAX_EVENTS];
} sf_scenario;

/* Decodes any byte string (see above); never fails. */
void sf_scn_decode(const uint8_t *buf, size_t len, sf_scenario *s);
/* Writes the canonical encoding; returns its length (at most cap bytes are
 * written; a return value above cap means the buffer was too small). */
size_t sf_scn_encode(const sf_scenario *s, uint8_t *buf, size_t cap);
/* Whether the bytes start like a scenario ('S' and a known version). */
bool sf_scn_looks_like(const uint8_t *buf, size_t len);
/* Prints a scenario readably, one event per line. */
void sf_scn_dump(const sf_scenario *s, FILE *out);
/* Prints one event as sf_scn_dump() does (without its index). */
void sf_scn_dump_event(const sf_scn_event *e, FILE *out);

/* Checks that the bytes are a whole scenario: 'S', the version, and no
 * field running past the end (which sf_scn_decode() reads as zeros).
 * Returns 0; 1 when bytes follow the last event a scenario holds (they
 * are ignored); -EBADMSG (bad magic, truncated) or -EPROTONOSUPPORT (an
 * unknown version), with *off the byte offset and msg saying what was
 * expected there ("byte 9: truncated setup ..."). */
int sf_scn_validate(const uint8_t *buf, size_t len, size_t *off, char *msg,
                    size_t cap);

/* The input of ip_packet_fuzzer, datagrams as [u16 length][bytes], as the
 * scenario it runs: an established connection (peer SYN options MSS and
 * SACK), then one raw event per datagram (a length past the end takes
 * what is left; at most SF_SCN_MAX_RAW bytes each, the rest read as the
 * next length). Returns the bytes used. */
size_t sf_scn_from_datagrams(const uint8_t *data, size_t size, sf_scenario *s);

#ifdef __cplusplus
}
#endif

#endif
