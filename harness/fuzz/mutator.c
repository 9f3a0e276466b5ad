/* The structure-aware scenario mutator (mutator.h): operators that know
 * what each field of a scenario means, a byte-level fallback, crossover. */
#include "mutator.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/pktbuild.h"
#include "synfin/bytes.h"
#include "synfin/checksum.h"
#include "synfin/scenario_run.h"

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10
#define TH_URG 0x20
#define TH_ECE 0x40
#define TH_CWR 0x80

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define PICK(r, a) ((a)[below((r), (uint32_t)COUNT(a))])
#define TRIES 8 /* attempts at drawing a value that differs from the old */

struct sf_mutator {
  sf_mut_bytes_fn bytes;
  void *ctx;
  char last[96];
  sf_scenario a, b;
};

/* ---- randomness (splitmix64: every draw from the caller's seed) ---- */

void sf_mut_rng_seed(sf_mut_rng *rng, uint64_t seed) {
  rng->s = seed * 0x9e3779b97f4a7c15ull ^ 0x632be59bd9b4e019ull;
}

uint64_t sf_mut_rng_next(sf_mut_rng *rng) {
  uint64_t z = (rng->s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static uint32_t below(sf_mut_rng *r, uint32_t n) {
  return n ? (uint32_t)(sf_mut_rng_next(r) % n) : 0;
}

static bool one_in(sf_mut_rng *r, uint32_t n) {
  return below(r, n) == 0;
}

/* ---- interesting values ---- */

/* Flag combinations, each bit alone and the ones stacks get wrong. */
static const uint8_t flag_sets[] = {
    0,
    TH_FIN,
    TH_SYN,
    TH_RST,
    TH_ACK,
    TH_URG,
    TH_PSH,
    TH_ECE,
    TH_CWR,
    TH_SYN | TH_ACK,
    TH_FIN | TH_ACK,
    TH_RST | TH_ACK,
    TH_PSH | TH_ACK,
    TH_FIN | TH_PSH | TH_ACK,
    TH_URG | TH_ACK,
    TH_URG | TH_PSH | TH_ACK,
    TH_SYN | TH_FIN,
    TH_SYN | TH_RST,
    TH_SYN | TH_FIN | TH_ACK,
    TH_RST | TH_FIN,
    TH_SYN | TH_ECE | TH_CWR,
    TH_ECE | TH_ACK,
    TH_CWR | TH_ACK,
    TH_FIN | TH_PSH | TH_URG,                            /* xmas */
    TH_FIN | TH_SYN | TH_RST | TH_PSH | TH_ACK | TH_URG, /* all six */
    0xff,
};

/* Sequence-space distances: zero, one, segment sizes, windows (with and
 * without scaling), 2^31 and the values around it. */
static const int64_t seq_values[] = {
    0,          1,          2,          3,          100,        535,
    536,        537,        1000,       1447,       1448,       1449,
    1459,       1460,       1461,       2048,       2920,       4095,
    4096,       4097,       8192,       14600,      16384,      29200,
    32767,      32768,      64240,      65535,      65536,      131072,
    262144,     1 << 20,    1 << 24,    1 << 30,    0x7ffffffe, 0x7fffffff,
    0x80000000, 0x80000001, 0xfffffffe, 0xffffffff,
};

static const uint16_t window_values[] = {
    0,    1,    2,    100,   512,   535,   536,   1024,  1460,  1461,  2048,
    2920, 4096, 8192, 16384, 29200, 32767, 32768, 64240, 65534, 65535,
};

static const uint16_t len_values[] = {
    0,    1,    2,    7,    8,    9,    100,  511,  512,  535,  536,  537,
    1000, 1447, 1448, 1449, 1459, 1460, 1461, 2047, 2048, 2920, 4095, 4096,
};

/* Microseconds that fire the timers of the linux and rfc profiles: delayed
 * ACK (40 ms after quick ACKs, 200 ms, 500 ms), RTO (200 ms minimum or 1 s
 * initial, doubling up to 120 s), TIME-WAIT (60 s, 2 MSL = 240 s),
 * keep-alive (10 s idle in the setup, 75 s between probes), zero-window
 * probes (RTO-based), and one tick either side. */
static const uint32_t time_values[] = {
    1,         1000,      10000,     39999,     40000,       40001,
    199999,    200000,    200001,    400000,    500000,      800000,
    999999,    1000000,   1000001,   1600000,   2000000,     3000000,
    3200000,   6400000,   9999999,   10000000,  10000001,    12800000,
    25600000,  30000000,  51200000,  59999999,  60000000,    60000001,
    75000000,  102400000, 119999999, 120000000, 120000001,   239999999,
    240000000, 240000001, 300000000, 675000000, 0xffffffffu,
};

static const uint16_t arg_values[] = {
    0, 1, 2, 100, 536, 1460, 1461, 2048, 4096, 8192, 16384, 32768, 65535};

/* A delta from one of the tables, negated half of the time, or a small
 * step from the old value. */
static uint32_t delta_near(sf_mut_rng *r, uint32_t old, const sf_scn_setup *u) {
  uint32_t v;
  switch (below(r, 6)) {
  case 0: /* a small step */
    v = old + (one_in(r, 2) ? 1u : (uint32_t)-1) * (1 + below(r, 16));
    return v;
  case 1: /* the other side of 2^31 */
    return old + 0x80000000u + (uint32_t)((int32_t)below(r, 5) - 2);
  case 2: { /* the MSS of either side, plus or minus one */
    uint32_t mss = u->peer_mss ? u->peer_mss : 1460;
    if (one_in(r, 2))
      mss = 1460;
    v = mss + (uint32_t)((int32_t)below(r, 3) - 1);
    break;
  }
  case 3: /* what the application wrote in the setup, and its FIN */
    v = u->prefill + below(r, 3);
    break;
  default:
    v = (uint32_t)PICK(r, seq_values);
    break;
  }
  return one_in(r, 2) ? v : (uint32_t)0 - v;
}

/* ---- picking what to change ---- */

static sf_scn_event *pick_kind(sf_scenario *s, uint8_t kind, sf_mut_rng *r) {
  size_t count = 0;
  for (size_t i = 0; i < s->n; i++)
    count += s->ev[i].kind == kind;
  if (!count)
    return NULL;
  size_t k = below(r, (uint32_t)count);
  for (size_t i = 0; i < s->n; i++)
    if (s->ev[i].kind == kind && k-- == 0)
      return &s->ev[i];
  return NULL;
}

static sf_scn_segment *pick_segment(sf_scenario *s, sf_mut_rng *r) {
  sf_scn_event *e = pick_kind(s, SF_SCN_SEGMENT, r);
  return e ? &e->seg : NULL;
}

/* Room for one more event at a random place; NULL when full. */
static sf_scn_event *insert_at(sf_scenario *s, size_t at) {
  if (s->n >= SF_SCN_MAX_EVENTS)
    return NULL;
  memmove(&s->ev[at + 1], &s->ev[at], (s->n - at) * sizeof(s->ev[0]));
  s->n++;
  memset(&s->ev[at], 0, offsetof(sf_scn_event, seg) + sizeof(s->ev[at].seg));
  return &s->ev[at];
}

static sf_scn_event *insert_random(sf_scenario *s, sf_mut_rng *r) {
  return insert_at(s, below(r, (uint32_t)s->n + 1));
}

/* ---- events made from scratch ---- */

static void new_segment(sf_scn_segment *g, const sf_scn_setup *u,
                        sf_mut_rng *r) {
  static const uint8_t common[] = {
      TH_ACK,          TH_ACK,          TH_PSH | TH_ACK, TH_PSH | TH_ACK,
      TH_FIN | TH_ACK, TH_RST,          TH_RST | TH_ACK, TH_SYN,
      TH_SYN | TH_ACK, TH_URG | TH_ACK, TH_FIN,          0,
  };
  memset(g, 0, sizeof(*g));
  g->flags = PICK(r, common);
  if (g->flags & TH_PSH)
    g->len = PICK(r, len_values);
  if (g->flags & TH_URG) {
    g->len = 1 + (uint16_t)below(r, 100);
    g->urg = g->len;
  }
  if (one_in(r, 3))
    g->seq_delta = (int32_t)delta_near(r, 0, u);
  if (one_in(r, 3))
    g->ack_delta = (int32_t)delta_near(r, 0, u);
  if (u->syn_opts & SF_SCN_OPT_TS) {
    /* NOP, NOP, TS: TSval one tick past TS.Recent, echoing the stack's */
    static const uint8_t ts[12] = {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0};
    memcpy(g->opt, ts, sizeof(ts));
    g->nopt = sizeof(ts);
  }
}

/* A TCP segment to the stack's listening port (seq one past the peer's
 * ISN with the setup's seed), ICMP errors about the connection, an echo
 * request, a UDP datagram, or the first fragment of a segment. */
static uint16_t new_datagram(uint8_t *p, const sf_scn_setup *u, sf_mut_rng *r) {
  uint8_t flags = PICK(r, flag_sets);
  struct sf_tcp_pkt t = {.src = SF_SCN_PEER_ADDR,
                         .dst = SF_SCN_LOCAL_ADDR,
                         .sport = SF_SCN_PEER_PORT,
                         .dport = SF_SCN_PORT,
                         .seq = SF_SCN_PEER_ISN + u->seed + 1,
                         .flags = flags,
                         .win = 65535,
                         .ip_id = (uint16_t)below(r, 65536),
                         .len = below(r, 3) ? 0 : 1 + below(r, 64),
                         .df = true};
  size_t n;
  switch (below(r, 6)) {
  case 0:
  case 1:
    return (uint16_t)sf_build_tcp(p, SF_SCN_MAX_RAW, &t);
  case 2: { /* ICMP Destination Unreachable about the stack's segment */
    static const uint8_t codes[] = {0, 1, 2, 3, 4, 4, 4, 13};
    static const uint16_t mtus[] = {0,    68,   296,  552,  576,
                                    1280, 1492, 1500, 9000, 65535};
    memset(p, 0, 56);
    struct sf_tcp_pkt q = {.src = SF_SCN_LOCAL_ADDR,
                           .dst = SF_SCN_PEER_ADDR,
                           .sport = SF_SCN_PORT,
                           .dport = SF_SCN_PEER_PORT,
                           .flags = TH_ACK,
                           .win = 65535,
                           .df = true};
    sf_build_tcp(p + 28, 40, &q);
    p[20] = 3;
    p[21] = PICK(r, codes);
    sf_put16(p + 26, PICK(r, mtus));
    n = 20 + 8 + 28; /* the quoted IP header and 8 bytes of TCP */
    p[8] = 64;
    p[9] = 1;
    break;
  }
  case 3: /* ICMP echo request */
    n = 20 + 8 + below(r, 32);
    memset(p, 0, n);
    p[20] = 8;
    p[8] = 64;
    p[9] = 1;
    break;
  case 4: /* UDP to a closed port */
    n = 20 + 8 + below(r, 16);
    memset(p, 0, n);
    sf_put16(p + 20, 5353);
    sf_put16(p + 22, 53);
    sf_put16(p + 24, (uint16_t)(n - 20));
    p[8] = 64;
    p[9] = 17;
    break;
  default: { /* the first half of a segment, as a fragment */
    t.len = 16 + 8 * below(r, 8);
    n = sf_build_tcp(p, SF_SCN_MAX_RAW, &t);
    size_t half = 20 + ((n - 20) / 2 & ~(size_t)7);
    sf_put16(p + 6, 0x2000);
    n = half;
    break;
  }
  }
  p[0] = 0x45;
  sf_put16(p + 2, (uint16_t)n);
  sf_put16(p + 4, (uint16_t)below(r, 65536));
  if (p[9] != 6) {
    sf_put32(p + 12, p[9] == 1 && one_in(r, 2) ? 0xc00002feu /* a router */
                                               : SF_SCN_PEER_ADDR);
    sf_put32(p + 16, SF_SCN_LOCAL_ADDR);
  }
  sf_fix_ip_csum(p, n);
  if (p[9] == 1) {
    sf_put16(p + 22, 0);
    sf_put16(p + 22, sf_csum(p + 20, n - 20));
  } else if (!(sf_get16(p + 6) & 0x2000)) {
    sf_fix_tcp_csum(p, n); /* a fragment keeps the whole segment's sum */
  }
  return (uint16_t)n;
}

static void new_event(sf_scn_event *e, const sf_scn_setup *u, sf_mut_rng *r) {
  uint32_t k = below(r, 20);
  if (k < 10) {
    e->kind = SF_SCN_SEGMENT;
    new_segment(&e->seg, u, r);
  } else if (k < 12) {
    e->kind = SF_SCN_RAW;
    e->raw.fix = SF_SCN_FIX_IP | SF_SCN_FIX_L4;
    e->raw.len = new_datagram(e->raw.bytes, u, r);
  } else if (k < 15) {
    e->kind = SF_SCN_ADVANCE;
    e->advance_us = PICK(r, time_values);
  } else if (k < 17) {
    e->kind = SF_SCN_TIMER;
  } else {
    e->kind = SF_SCN_CALL;
    e->call.op = (uint8_t)below(r, SF_SCN_OP_COUNT);
    e->call.arg = PICK(r, arg_values);
  }
}

/* ---- the operators ---- */

static bool op_setup(sf_scenario *s, sf_mut_rng *r) {
  static const uint16_t mss[] = {0,    1,    64,   88,   536,
                                 1220, 1440, 1460, 8960, 65535};
  static const uint16_t win[] = {0, 1, 512, 1024, 4096, 29200, 65535};
  static const uint16_t prefill[] = {0, 1, 100, 1460, 1461, 4096, 8192};
  static const uint8_t wscale[] = {0, 1, 2, 7, 8, 14};
  sf_scn_setup *u = &s->setup, old = *u;
  for (int t = 0; t < TRIES && !memcmp(&old, u, sizeof(old)); t++) {
    switch (below(r, 9)) {
    case 0:
      u->start = (uint8_t)((u->start + 1 + below(r, SF_SCN_START_COUNT - 1)) %
                           SF_SCN_START_COUNT);
      break;
    case 1:
      u->profile ^= 1;
      break;
    case 2:
      u->syn_opts ^= (uint8_t)(1u << below(r, 4));
      break;
    case 3:
      u->sock_flags ^= (uint8_t)(1u << below(r, 4));
      break;
    case 4:
      u->peer_mss = PICK(r, mss);
      break;
    case 5:
      u->peer_wscale = PICK(r, wscale);
      break;
    case 6:
      u->peer_win = PICK(r, win);
      break;
    case 7:
      u->prefill = PICK(r, prefill);
      break;
    default:
      u->seed = (uint8_t)below(r, 256);
      break;
    }
  }
  return memcmp(&old, u, sizeof(old)) != 0;
}

static bool op_flags(sf_scenario *s, sf_mut_rng *r) {
  sf_scn_segment *g = pick_segment(s, r);
  if (!g)
    return false;
  uint8_t old = g->flags;
  for (int t = 0; t < TRIES && g->flags == old; t++)
    g->flags = one_in(r, 3) ? (uint8_t)(old ^ (1u << below(r, 8)))
                            : PICK(r, flag_sets);
  return g->flags != old;
}

static bool op_seq_ack(sf_scenario *s, sf_mut_rng *r, bool ack) {
  sf_scn_segment *g = pick_segment(s, r);
  if (!g)
    return false;
  int32_t *f = ack ? &g->ack_delta : &g->seq_delta, old = *f;
  for (int t = 0; t < TRIES && *f == old; t++) {
    if (!ack && one_in(r, 4)) {
      /* overlaps: old data, partly old, just past this segment */
      static const int32_t k[] = {-2, -1, 1, 2};
      *f = (int32_t)((int64_t)g->len * PICK(r, k) / 2);
    } else {
      *f = (int32_t)delta_near(r, (uint32_t)old, &s->setup);
    }
  }
  return *f != old;
}

static bool op_window(sf_scenario *s, sf_mut_rng *r) {
  sf_scn_segment *g = pick_segment(s, r);
  if (!g)
    return false;
  uint16_t old = g->win;
  for (int t = 0; t < TRIES && g->win == old; t++)
    g->win = one_in(r, 4) ? (uint16_t)(old + below(r, 33) - 16)
                          : PICK(r, window_values);
  return g->win != old;
}

static bool op_urgent(sf_scenario *s, sf_mut_rng *r) {
  sf_scn_segment *g = pick_segment(s, r);
  if (!g)
    return false;
  uint16_t old = g->urg;
  uint8_t oldf = g->flags;
  for (int t = 0; t < TRIES && g->urg == old && g->flags == oldf; t++) {
    uint16_t v[] = {0,      1,
                    2,      (uint16_t)(g->len - 1),
                    g->len, (uint16_t)(g->len + 1),
                    0x7fff, 0x8000,
                    0xffff, (uint16_t)below(r, 65536)};
    g->urg = PICK(r, v);
    if (one_in(r, 2))
      g->flags ^= TH_URG;
  }
  return g->urg != old || g->flags != oldf;
}

/* Options as spans: kinds 0 and 1 take one byte; a bad length takes the
 * rest of the option bytes. */
struct span {
  uint8_t off, len;
};

static size_t spans(const sf_scn_segment *g, struct span *sp) {
  size_t n = 0;
  for (uint8_t i = 0; i < g->nopt;) {
    uint8_t len = 1;
    if (g->opt[i] > 1) {
      len = (uint8_t)(g->nopt - i);
      if (i + 1 < g->nopt && g->opt[i + 1] >= 2 && i + g->opt[i + 1] <= g->nopt)
        len = g->opt[i + 1];
    }
    sp[n].off = i;
    sp[n++].len = len;
    i = (uint8_t)(i + len);
  }
  return n;
}

/* Inserts len bytes at off; false when the options would pass 40 bytes. */
static bool opt_insert(sf_scn_segment *g, uint8_t off, const uint8_t *b,
                       uint8_t len) {
  if (g->nopt + len > SF_SCN_MAX_OPTS || len == 0)
    return false;
  memmove(g->opt + off + len, g->opt + off, (size_t)(g->nopt - off));
  memcpy(g->opt + off, b, len);
  g->nopt = (uint8_t)(g->nopt + len);
  return true;
}

static void opt_remove(sf_scn_segment *g, struct span sp) {
  memmove(g->opt + sp.off, g->opt + sp.off + sp.len,
          (size_t)(g->nopt - sp.off - sp.len));
  g->nopt = (uint8_t)(g->nopt - sp.len);
}

/* A boundary between options, to insert at. */
static uint8_t opt_boundary(const sf_scn_segment *g, sf_mut_rng *r) {
  struct span sp[SF_SCN_MAX_OPTS];
  size_t n = spans(g, sp);
  size_t k = below(r, (uint32_t)n + 1);
  return k == n ? g->nopt : sp[k].off;
}

static uint8_t sack_option(uint8_t *b, uint8_t room, const sf_scn_setup *u,
                           sf_mut_rng *r) {
  if (room < 10)
    return 0;
  uint8_t blocks =
      (uint8_t)(1 + below(r, (room - 2) / 8 < 4 ? (room - 2) / 8 : 4));
  b[0] = 5;
  b[1] = (uint8_t)(2 + 8 * blocks);
  for (uint8_t k = 0; k < blocks; k++) {
    uint32_t left = delta_near(r, 0, u);
    if (one_in(r, 3))
      left = 1 + below(r, 3000);
    uint32_t right =
        one_in(r, 2) ? left + PICK(r, len_values) : delta_near(r, left, u);
    sf_put32(b + 2 + 8 * k, left);
    sf_put32(b + 6 + 8 * k, right);
  }
  return b[1];
}

static uint32_t ts_delta(sf_mut_rng *r) {
  static const uint32_t v[] = {0,          1,          2,          1000,
                               0x3fffffff, 0x40000000, 0x7ffffffe, 0x7fffffff,
                               0x80000000, 0x80000001, 0xfffffc18, 0xfffffffe,
                               0xffffffff};
  return one_in(r, 4) ? (uint32_t)sf_mut_rng_next(r) : PICK(r, v);
}

static uint8_t ts_option(uint8_t *b) {
  b[0] = 8;
  b[1] = 10;
  return 10;
}

static bool op_opt_insert(sf_scenario *s, sf_mut_rng *r) {
  sf_scn_segment *g = pick_segment(s, r);
  if (!g)
    return false;
  uint8_t b[SF_SCN_MAX_OPTS], n = 0, room = SF_SCN_MAX_OPTS - g->nopt;
  static const uint16_t mss[] = {0, 1, 536, 1460, 65535};
  static const uint8_t ws[] = {0, 7, 14, 15, 255};
  static const uint8_t unknown[] = {6,  7,  9,  14, 15,  19,  27,  28,
                                    29, 30, 34, 69, 253, 254, 255, 76};
  switch (below(r, 9)) {
  case 0:
    b[n++] = 2, b[n++] = 4;
    sf_put16(b + n, PICK(r, mss));
    n += 2;
    break;
  case 1:
    b[n++] = 3, b[n++] = 3, b[n++] = PICK(r, ws);
    break;
  case 2:
    b[n++] = 4, b[n++] = 2;
    break;
  case 3:
    n = ts_option(b);
    sf_put32(b + 2, ts_delta(r));
    sf_put32(b + 6, ts_delta(r));
    break;
  case 4:
    n = sack_option(b, room, &s->setup, r);
    break;
  case 5:
    b[n++] = 1;
    break;
  case 6:
    b[n++] = 0;
    break;
  case 7: /* MD5 signature (RFC 2385), 18 bytes */
    b[n++] = 19, b[n++] = 18;
    for (; n < 18; n++)
      b[n] = (uint8_t)below(r, 256);
    break;
  default: /* a kind the stack does not know */
    b[n++] = one_in(r, 3) ? (uint8_t)below(r, 256) : PICK(r, unknown);
    b[n++] = (uint8_t)(2 + below(r, 9));
    for (; n < b[1]; n++)
      b[n] = (uint8_t)below(r, 256);
    break;
  }
  if (n > room)
    return false;
  return opt_insert(g, opt_boundary(g, r), b, n);
}

static bool op_opt_drop(sf_scenario *s, sf_mut_rng *r) {
  sf_scn_segment *g = pick_segment(s, r);
  if (!g || !g->nopt)
    return false;
  struct span sp[SF_SCN_MAX_OPTS];
  size_t n = spans(g, sp);
  opt_remove(g, sp[below(r, (uint32_t)n)]);
  return true;
}

static bool op_opt_reorder(sf_scenario *s, sf_mut_rng *r) {
  sf_scn_segment *g = pick_segment(s, r);
  if (!g)
    return false;
  struct span sp[SF_SCN_MAX_OPTS];
  size_t n = spans(g, sp);
  if (n < 2)
    return false;
  for (int t = 0; t < TRIES; t++) {
    size_t i = below(r, (uint32_t)n), j = below(r, (uint32_t)n);
    if (i == j)
      continue;
    if (i > j) {
      size_t x = i;
      i = j, j = x;
    }
    /* [.. A .. mid .. B ..] -> [.. B .. mid .. A ..] */
    uint8_t tmp[SF_SCN_MAX_OPTS], k = 0;
    memcpy(tmp + k, g->opt + sp[j].off, sp[j].len), k += sp[j].len;
    uint8_t mid = (uint8_t)(sp[j].off - sp[i].off - sp[i].len);
    memcpy(tmp + k, g->opt + sp[i].off + sp[i].len, mid), k += mid;
    memcpy(tmp + k, g->opt + sp[i].off, sp[i].len), k += sp[i].len;
    if (memcmp(tmp, g->opt + sp[i].off, k) == 0)
      continue;
    memcpy(g->opt + sp[i].off, tmp, k);
    return true;
  }
  return false;
}

static bool op_opt_badlen(sf_scenario *s, sf_mut_rng *r) {
  sf_scn_segment *g = pick_segment(s, r);
  if (!g)
    return false;
  struct span sp[SF_SCN_MAX_OPTS];
  size_t n = spans(g, sp), cand = 0;
  for (size_t i = 0; i < n; i++)
    cand += sp[i].len >= 2;
  if (!cand)
    return false;
  size_t k = below(r, (uint32_t)cand);
  for (size_t i = 0; i < n; i++) {
    if (sp[i].len < 2 || k-- != 0)
      continue;
    uint8_t *l = &g->opt[sp[i].off + 1], old = *l;
    for (int t = 0; t < TRIES && *l == old; t++) {
      uint8_t v[] = {0,
                     1,
                     2,
                     3,
                     4,
                     10,
                     18,
                     40,
                     41,
                     255,
                     254,
                     (uint8_t)(old - 1),
                     (uint8_t)(old + 1)};
      *l = PICK(r, v);
    }
    return *l != old;
  }
  return false;
}

/* Finds an option of a kind and its full length, or returns false. */
static bool find_opt(const sf_scn_segment *g, uint8_t kind, uint8_t len,
                     sf_mut_rng *r, struct span *out) {
  struct span sp[SF_SCN_MAX_OPTS];
  size_t n = spans(g, sp), cand = 0;
  for (size_t i = 0; i < n; i++)
    cand += g->opt[sp[i].off] == kind && sp[i].len >= len;
  if (!cand)
    return false;
  size_t k = below(r, (uint32_t)cand);
  for (size_t i = 0; i < n; i++)
    if (g->opt[sp[i].off] == kind && sp[i].len >= len && k-- == 0) {
      *out = sp[i];
      return true;
    }
  return false;
}

/* SACK edges are deltas from SND.UNA: edges at zero, one segment, the
 * prefill, a window and 2^31 away. */
static bool op_opt_sack(sf_scenario *s, sf_mut_rng *r) {
  sf_scn_segment *g = pick_segment(s, r);
  if (!g)
    return false;
  struct span sp;
  if (find_opt(g, 5, 10, r, &sp) && !one_in(r, 4)) {
    uint8_t edges = (uint8_t)((sp.len - 2) / 4);
    uint8_t *e = g->opt + sp.off + 2 + 4 * below(r, edges);
    uint32_t old = sf_get32(e), v = old;
    for (int t = 0; t < TRIES && v == old; t++)
      v = delta_near(r, old, &s->setup);
    sf_put32(e, v);
    return v != old;
  }
  uint8_t b[SF_SCN_MAX_OPTS];
  uint8_t room = SF_SCN_MAX_OPTS - g->nopt, n = 0;
  if (room >= 12 && one_in(r, 2))
    b[n++] = 1, b[n++] = 1, room -= 2; /* NOP, NOP: aligned as Linux does */
  uint8_t k = sack_option(b + n, room, &s->setup, r);
  return k && opt_insert(g, opt_boundary(g, r), b, (uint8_t)(n + k));
}

/* TSval is a delta from TS.Recent, TSecr one from the stack's last TSval. */
static bool op_opt_ts(sf_scenario *s, sf_mut_rng *r) {
  sf_scn_segment *g = pick_segment(s, r);
  if (!g)
    return false;
  struct span sp;
  if (find_opt(g, 8, 10, r, &sp) && !one_in(r, 4)) {
    uint8_t *f = g->opt + sp.off + (one_in(r, 3) ? 6 : 2);
    uint32_t old = sf_get32(f), v = old;
    for (int t = 0; t < TRIES && v == old; t++)
      v = ts_delta(r);
    sf_put32(f, v);
    return v != old;
  }
  uint8_t b[12], n = 0;
  if (one_in(r, 2))
    b[n++] = 1, b[n++] = 1;
  n = (uint8_t)(n + ts_option(b + n));
  sf_put32(b + n - 8, one_in(r, 2) ? 1 : ts_delta(r));
  sf_put32(b + n - 4, one_in(r, 2) ? 0 : ts_delta(r));
  return opt_insert(g, opt_boundary(g, r), b, n);
}

static bool op_payload(sf_scenario *s, sf_mut_rng *r) {
  sf_scn_segment *g = pick_segment(s, r);
  if (!g)
    return false;
  uint16_t old = g->len;
  for (int t = 0; t < TRIES && g->len == old; t++) {
    if (one_in(r, 4))
      g->len = (uint16_t)below(r, SF_SCN_MAX_PAYLOAD + 1);
    else if (one_in(r, 3) && s->setup.peer_mss &&
             s->setup.peer_mss < SF_SCN_MAX_PAYLOAD)
      g->len = (uint16_t)(s->setup.peer_mss + below(r, 3) - 1);
    else
      g->len = PICK(r, len_values);
  }
  return g->len != old;
}

static bool op_corrupt(sf_scenario *s, sf_mut_rng *r) {
  sf_scn_segment *g = pick_segment(s, r);
  if (!g)
    return false;
  uint8_t oc = g->corrupt, od = g->doff;
  if (one_in(r, 3)) {
    static const uint8_t doff[] = {0, 1, 4, 5, 6, 10, 15};
    g->corrupt |= SF_SCN_BAD_DOFF;
    for (int t = 0; t < TRIES && g->doff == od; t++)
      g->doff = one_in(r, 3) ? (uint8_t)below(r, 16) : PICK(r, doff);
  } else {
    g->corrupt ^= (uint8_t)(1u << below(r, 6));
  }
  return g->corrupt != oc || g->doff != od;
}

/* IP fields of a raw datagram; a field that post-processing would repair
 * asks it not to. An empty or non-IPv4 datagram is first made anew. */
static bool op_raw_ip(sf_scenario *s, sf_mut_rng *r) {
  sf_scn_event *e = pick_kind(s, SF_SCN_RAW, r);
  if (!e)
    return false;
  uint8_t *p = e->raw.bytes;
  if (e->raw.len < 20 || (p[0] >> 4) != 4) {
    e->raw.len = new_datagram(p, &s->setup, r);
    e->raw.fix = SF_SCN_FIX_IP | SF_SCN_FIX_L4;
    return true;
  }
  uint16_t len = e->raw.len;
  uint8_t before[128];
  size_t seen = sizeof(before) < len ? sizeof(before) : len;
  memcpy(before, p, seen);
  uint8_t ofix = e->raw.fix;
  static const uint32_t addrs[] = {
      SF_SCN_PEER_ADDR, SF_SCN_LOCAL_ADDR, 0,           0xffffffffu,
      0xe0000001u,      0x7f000001u,       0xc0a800ffu, 0xc0000202u};
  size_t hl = (size_t)(p[0] & 15) * 4;
  switch (below(r, 12)) {
  case 0: { /* IHL */
    static const uint8_t ihl[] = {0, 1, 4, 5, 6, 7, 15};
    p[0] = (uint8_t)(0x40 | PICK(r, ihl));
    break;
  }
  case 1: /* version */
    p[0] = (uint8_t)((one_in(r, 2) ? 6 : below(r, 16)) << 4 | (p[0] & 15));
    break;
  case 2: { /* total length, kept broken */
    uint16_t v[] = {0,   19,    20, (uint16_t)(len - 1), (uint16_t)(len + 1),
                    576, 0xffff};
    sf_put16(p + 2, PICK(r, v));
    e->raw.fix &= (uint8_t)~SF_SCN_FIX_IP;
    break;
  }
  case 3:
    sf_put16(p + 4, one_in(r, 2) ? 0 : (uint16_t)below(r, 65536));
    break;
  case 4: { /* fragment flags and offset */
    static const uint16_t v[] = {0,      0x4000, 0x2000,       0x2001,
                                 0x0001, 0x1fff, 0x3fff,       0x8000,
                                 0x00b9, 0x6000, 0x2000 | 185, 1};
    sf_put16(p + 6, v[below(r, COUNT(v))]);
    break;
  }
  case 5: { /* TTL */
    static const uint8_t v[] = {0, 1, 2, 64, 128, 255};
    p[8] = PICK(r, v);
    break;
  }
  case 6: { /* protocol */
    static const uint8_t v[] = {0, 1, 2, 4, 6, 17, 41, 47, 132, 255};
    p[9] = PICK(r, v);
    break;
  }
  case 7: /* source address: broadcast, multicast, loopback, ourselves */
    sf_put32(p + 12, PICK(r, addrs));
    break;
  case 8:
    sf_put32(p + 16, PICK(r, addrs));
    break;
  case 9: /* the header checksum, kept broken */
    p[10] ^= (uint8_t)(1 + below(r, 255));
    e->raw.fix &= (uint8_t)~SF_SCN_FIX_IP;
    break;
  case 10: { /* the datagram's length itself: cut or grown */
    uint16_t v[] = {20,
                    (uint16_t)hl,
                    (uint16_t)(hl + 8),
                    (uint16_t)(hl + 19),
                    (uint16_t)(len - 1),
                    (uint16_t)(len + 1),
                    (uint16_t)(len + 8)};
    uint16_t nl = PICK(r, v);
    if (nl < 20 || nl > SF_SCN_MAX_RAW || nl == len)
      nl = (uint16_t)(len > 20 ? len - 1 : len + 1);
    if (nl > len)
      memset(p + len, 0, (size_t)(nl - len));
    e->raw.len = nl;
    break;
  }
  default: /* a field above IP: TCP flags and data offset, ICMP type */
    if (hl < 20 || hl + 14 > len)
      p[1] = (uint8_t)below(r, 256); /* nothing above: the TOS */
    else if (p[9] == 6 && one_in(r, 2))
      p[hl + 13] = PICK(r, flag_sets);
    else if (p[9] == 6)
      p[hl + 12] = (uint8_t)(below(r, 16) << 4);
    else if (p[9] == 1) {
      static const uint8_t types[] = {0, 3, 4, 5, 8, 11, 12, 13, 17, 255};
      p[hl] = PICK(r, types);
      p[hl + 1] = (uint8_t)below(r, 16);
    } else
      p[hl] ^= 0xff;
    break;
  }
  return e->raw.len != len || e->raw.fix != ofix || memcmp(before, p, seen);
}

static bool op_raw_fix(sf_scenario *s, sf_mut_rng *r) {
  sf_scn_event *e = pick_kind(s, SF_SCN_RAW, r);
  if (!e)
    return false;
  e->raw.fix = (uint8_t)((e->raw.fix + 1 + below(r, 3)) & 3);
  return true;
}

static bool op_ev_insert(sf_scenario *s, sf_mut_rng *r) {
  sf_scn_event *e = insert_random(s, r);
  if (!e)
    return false;
  new_event(e, &s->setup, r);
  return true;
}

static bool op_ev_delete(sf_scenario *s, sf_mut_rng *r) {
  if (!s->n)
    return false;
  size_t i = below(r, (uint32_t)s->n);
  memmove(&s->ev[i], &s->ev[i + 1], (s->n - i - 1) * sizeof(s->ev[0]));
  s->n--;
  return true;
}

static bool op_ev_dup(sf_scenario *s, sf_mut_rng *r) {
  if (!s->n || s->n >= SF_SCN_MAX_EVENTS)
    return false;
  size_t from = below(r, (uint32_t)s->n), to = below(r, (uint32_t)s->n + 1);
  insert_at(s, to);
  s->ev[to] = s->ev[from + (from >= to)];
  return true;
}

static size_t ev_size(const sf_scn_event *e) {
  switch (e->kind) {
  case SF_SCN_SEGMENT:
    return 19 + (size_t)e->seg.nopt;
  case SF_SCN_RAW:
    return 4 + (size_t)e->raw.len;
  case SF_SCN_ADVANCE:
    return 5;
  case SF_SCN_CALL:
    return 4;
  default:
    return 1;
  }
}

static bool ev_equal(const sf_scn_event *a, const sf_scn_event *b) {
  if (a->kind != b->kind)
    return false;
  switch (a->kind) {
  case SF_SCN_SEGMENT:
    return a->seg.flags == b->seg.flags &&
           a->seg.seq_delta == b->seg.seq_delta &&
           a->seg.ack_delta == b->seg.ack_delta && a->seg.win == b->seg.win &&
           a->seg.urg == b->seg.urg && a->seg.len == b->seg.len &&
           a->seg.corrupt == b->seg.corrupt && a->seg.doff == b->seg.doff &&
           a->seg.nopt == b->seg.nopt &&
           !memcmp(a->seg.opt, b->seg.opt, a->seg.nopt);
  case SF_SCN_RAW:
    return a->raw.fix == b->raw.fix && a->raw.len == b->raw.len &&
           !memcmp(a->raw.bytes, b->raw.bytes, a->raw.len);
  case SF_SCN_ADVANCE:
    return a->advance_us == b->advance_us;
  case SF_SCN_CALL:
    return a->call.op == b->call.op && a->call.arg == b->call.arg;
  default:
    return true;
  }
}

static bool op_ev_reorder(sf_scenario *s, sf_mut_rng *r) {
  if (s->n < 2)
    return false;
  for (int t = 0; t < TRIES; t++) {
    size_t i = below(r, (uint32_t)s->n), j = below(r, (uint32_t)s->n);
    if (i == j || ev_equal(&s->ev[i], &s->ev[j]))
      continue;
    sf_scn_event tmp = s->ev[i];
    s->ev[i] = s->ev[j];
    s->ev[j] = tmp;
    return true;
  }
  return false;
}

static bool op_time(sf_scenario *s, sf_mut_rng *r) {
  sf_scn_event *e = pick_kind(s, SF_SCN_ADVANCE, r);
  if (e && one_in(r, 2)) {
    uint32_t old = e->advance_us;
    for (int t = 0; t < TRIES && e->advance_us == old; t++)
      e->advance_us =
          one_in(r, 4) ? old + below(r, 3) - 1 : PICK(r, time_values);
    return e->advance_us != old;
  }
  e = insert_random(s, r);
  if (!e)
    return false;
  if (one_in(r, 3)) {
    e->kind = SF_SCN_TIMER;
  } else {
    e->kind = SF_SCN_ADVANCE;
    e->advance_us = PICK(r, time_values);
  }
  return true;
}

static bool op_call(sf_scenario *s, sf_mut_rng *r) {
  sf_scn_event *e = pick_kind(s, SF_SCN_CALL, r);
  if (e && one_in(r, 2)) {
    uint8_t op = e->call.op;
    uint16_t arg = e->call.arg;
    for (int t = 0; t < TRIES && op == e->call.op && arg == e->call.arg; t++) {
      if (one_in(r, 2))
        e->call.op = (uint8_t)below(r, SF_SCN_OP_COUNT);
      else
        e->call.arg = PICK(r, arg_values);
    }
    return op != e->call.op || arg != e->call.arg;
  }
  e = insert_random(s, r);
  if (!e)
    return false;
  e->kind = SF_SCN_CALL;
  e->call.op = (uint8_t)below(r, SF_SCN_OP_COUNT);
  e->call.arg = PICK(r, arg_values);
  return true;
}

bool sf_mut_apply(sf_scenario *s, enum sf_mut_op op, sf_mut_rng *rng) {
  switch (op) {
  case SF_MUT_SETUP:
    return op_setup(s, rng);
  case SF_MUT_FLAGS:
    return op_flags(s, rng);
  case SF_MUT_SEQ:
    return op_seq_ack(s, rng, false);
  case SF_MUT_ACK:
    return op_seq_ack(s, rng, true);
  case SF_MUT_WINDOW:
    return op_window(s, rng);
  case SF_MUT_URGENT:
    return op_urgent(s, rng);
  case SF_MUT_OPT_INSERT:
    return op_opt_insert(s, rng);
  case SF_MUT_OPT_DROP:
    return op_opt_drop(s, rng);
  case SF_MUT_OPT_REORDER:
    return op_opt_reorder(s, rng);
  case SF_MUT_OPT_BADLEN:
    return op_opt_badlen(s, rng);
  case SF_MUT_OPT_SACK:
    return op_opt_sack(s, rng);
  case SF_MUT_OPT_TS:
    return op_opt_ts(s, rng);
  case SF_MUT_PAYLOAD:
    return op_payload(s, rng);
  case SF_MUT_CORRUPT:
    return op_corrupt(s, rng);
  case SF_MUT_RAW_IP:
    return op_raw_ip(s, rng);
  case SF_MUT_RAW_FIX:
    return op_raw_fix(s, rng);
  case SF_MUT_EV_INSERT:
    return op_ev_insert(s, rng);
  case SF_MUT_EV_DELETE:
    return op_ev_delete(s, rng);
  case SF_MUT_EV_DUP:
    return op_ev_dup(s, rng);
  case SF_MUT_EV_REORDER:
    return op_ev_reorder(s, rng);
  case SF_MUT_TIME:
    return op_time(s, rng);
  case SF_MUT_CALL:
    return op_call(s, rng);
  default:
    return false;
  }
}

static const char *const op_names[SF_MUT_OP_COUNT] = {
    "setup",    "flags",      "seq",       "ack",       "window",
    "urgent",   "opt-insert", "opt-drop",  "opt-order", "opt-badlen",
    "opt-sack", "opt-ts",     "payload",   "corrupt",   "raw-ip",
    "raw-fix",  "ev-insert",  "ev-delete", "ev-dup",    "ev-order",
    "time",     "call",       "bytes"};

const char *sf_mut_op_name(enum sf_mut_op op) {
  return (unsigned)op < SF_MUT_OP_COUNT ? op_names[op] : "?";
}

/* How often each operator is drawn: the segment's numbers most. */
static const uint8_t op_weight[SF_MUT_OP_COUNT] = {
    [SF_MUT_SETUP] = 3,      [SF_MUT_FLAGS] = 6,      [SF_MUT_SEQ] = 8,
    [SF_MUT_ACK] = 8,        [SF_MUT_WINDOW] = 4,     [SF_MUT_URGENT] = 2,
    [SF_MUT_OPT_INSERT] = 3, [SF_MUT_OPT_DROP] = 2,   [SF_MUT_OPT_REORDER] = 1,
    [SF_MUT_OPT_BADLEN] = 2, [SF_MUT_OPT_SACK] = 3,   [SF_MUT_OPT_TS] = 3,
    [SF_MUT_PAYLOAD] = 4,    [SF_MUT_CORRUPT] = 2,    [SF_MUT_RAW_IP] = 3,
    [SF_MUT_RAW_FIX] = 1,    [SF_MUT_EV_INSERT] = 8,  [SF_MUT_EV_DELETE] = 4,
    [SF_MUT_EV_DUP] = 4,     [SF_MUT_EV_REORDER] = 3, [SF_MUT_TIME] = 6,
    [SF_MUT_CALL] = 5,
};

static enum sf_mut_op pick_op(sf_mut_rng *r) {
  static unsigned total;
  if (!total)
    for (int i = 0; i < SF_MUT_OP_COUNT; i++)
      total += op_weight[i];
  unsigned k = below(r, total);
  for (int i = 0; i < SF_MUT_OP_COUNT; i++) {
    if (k < op_weight[i])
      return (enum sf_mut_op)i;
    k -= op_weight[i];
  }
  return SF_MUT_EV_INSERT;
}

/* ---- encoding ---- */

/* Takes every field into its range as the decoder does, so that the
 * encoding decodes to the same scenario. */
static void normalize(sf_scenario *s) {
  sf_scn_setup *u = &s->setup;
  u->start %= SF_SCN_START_COUNT;
  u->profile %= 2;
  u->syn_opts &= 0x0f;
  u->sock_flags &= 0x0f;
  u->peer_wscale %= 15;
  u->prefill %= 8193;
  if (s->n > SF_SCN_MAX_EVENTS)
    s->n = SF_SCN_MAX_EVENTS;
  for (size_t i = 0; i < s->n; i++) {
    sf_scn_event *e = &s->ev[i];
    e->kind %= SF_SCN_KIND_COUNT;
    switch (e->kind) {
    case SF_SCN_SEGMENT:
      e->seg.len %= SF_SCN_MAX_PAYLOAD + 1;
      e->seg.corrupt &= SF_SCN_CORRUPT_BITS;
      e->seg.doff &= 0x0f;
      e->seg.nopt %= SF_SCN_MAX_OPTS + 1;
      break;
    case SF_SCN_RAW:
      e->raw.fix &= 3;
      e->raw.len %= SF_SCN_MAX_RAW + 1;
      break;
    case SF_SCN_CALL:
      e->call.op %= SF_SCN_OP_COUNT;
      break;
    }
  }
}

size_t sf_mut_encode(sf_scenario *s, uint8_t *out, size_t max_size) {
  normalize(s);
  size_t total = SF_MUT_MIN_SIZE;
  for (size_t i = 0; i < s->n; i++)
    total += ev_size(&s->ev[i]);
  while (total > max_size && s->n)
    total -= ev_size(&s->ev[--s->n]);
  size_t len = sf_scn_encode(s, out, max_size);
  if (len > max_size)
    len = max_size; /* below SF_MUT_MIN_SIZE: a prefix is all there is */
  sf_scn_fix_raw(out, len);
  return len;
}

/* ---- byte-level havoc ---- */

size_t sf_mut_havoc(uint8_t *d, size_t n, size_t max, sf_mut_rng *r) {
  static const uint8_t i8[] = {0, 1, 16, 32, 64, 100, 0x7f, 0x80, 0xff};
  static const uint16_t i16[] = {0,    0x80, 0xff,   0x100,  536,
                                 1460, 4096, 0x7fff, 0x8000, 0xffff};
  static const uint32_t i32[] = {0,          1,          0x7fffffff,
                                 0x80000000, 0xffffffff, 0xfffffffe,
                                 65535,      65536,      1000001};
  uint32_t rounds = 1u << (1 + below(r, 4));
  for (uint32_t k = 0; k < rounds; k++) {
    size_t pos = below(r, (uint32_t)(n ? n : 1));
    switch (below(r, 10)) {
    case 0:
      if (n)
        d[pos] ^= (uint8_t)(1u << below(r, 8));
      break;
    case 1:
      if (n)
        d[pos] = PICK(r, i8);
      break;
    case 2:
      if (pos + 2 <= n)
        sf_put16(d + pos, PICK(r, i16));
      break;
    case 3:
      if (pos + 4 <= n)
        sf_put32(d + pos, PICK(r, i32));
      break;
    case 4:
      if (n)
        d[pos] = (uint8_t)(d[pos] + below(r, 71) - 35);
      break;
    case 5:
      if (pos + 2 <= n)
        sf_put16(d + pos, (uint16_t)(sf_get16(d + pos) + below(r, 71) - 35));
      break;
    case 6:
      if (n)
        d[pos] = (uint8_t)below(r, 256);
      break;
    case 7: { /* delete a block */
      size_t len = 1 + below(r, 32);
      if (pos + len < n) {
        memmove(d + pos, d + pos + len, n - pos - len);
        n -= len;
      }
      break;
    }
    case 8: { /* clone a block to another place */
      size_t len = 1 + below(r, 32), from = below(r, (uint32_t)n + 1);
      if (from + len <= n && n + len <= max) {
        memmove(d + pos + len, d + pos, n - pos);
        memmove(d + pos, d + from + (from >= pos ? len : 0), len);
        n += len;
      }
      break;
    }
    default: { /* insert random bytes */
      size_t len = 1 + below(r, 8);
      if (n + len <= max && pos <= n) {
        memmove(d + pos + len, d + pos, n - pos);
        for (size_t i = 0; i < len; i++)
          d[pos + i] = (uint8_t)below(r, 256);
        n += len;
      }
      break;
    }
    }
  }
  return n;
}

/* ---- the entry points ---- */

int sf_mutator_new(sf_mutator **out, sf_mut_bytes_fn bytes, void *ctx) {
  sf_mutator *m = calloc(1, sizeof(*m));
  if (!m)
    return -ENOMEM;
  m->bytes = bytes;
  m->ctx = ctx;
  *out = m;
  return 0;
}

void sf_mutator_free(sf_mutator *m) {
  free(m);
}

const char *sf_mut_last(const sf_mutator *m) {
  return m->last;
}

static void note(sf_mutator *m, const char *what) {
  size_t n = strlen(m->last);
  snprintf(m->last + n, sizeof(m->last) - n, "%s%s", n ? "+" : "", what);
}

size_t sf_mut_mutate(sf_mutator *m, uint8_t *data, size_t size, size_t max_size,
                     uint32_t seed) {
  sf_mut_rng r;
  sf_mut_rng_seed(&r, seed);
  sf_scenario *s = &m->a;
  if (size > max_size)
    size = max_size;
  sf_scn_decode(data, size, s);
  m->last[0] = '\0';
  if (max_size >= SF_MUT_MIN_SIZE && one_in(&r, 8)) {
    size_t n = sf_mut_encode(s, data, max_size);
    n = m->bytes ? m->bytes(m->ctx, data, n, max_size)
                 : sf_mut_havoc(data, n, max_size, &r);
    sf_scn_decode(data, n < max_size ? n : max_size, s);
    note(m, op_names[SF_MUT_BYTES]);
  } else {
    uint32_t ops = one_in(&r, 2) ? 1 : 2 + below(&r, 3);
    for (uint32_t k = 0; k < ops; k++) {
      for (int t = 0; t < 16; t++) {
        enum sf_mut_op op = pick_op(&r);
        if (sf_mut_apply(s, op, &r)) {
          note(m, op_names[op]);
          break;
        }
      }
    }
  }
  return sf_mut_encode(s, data, max_size);
}

size_t sf_mut_crossover(sf_mutator *m, const uint8_t *a, size_t a_size,
                        const uint8_t *b, size_t b_size, uint8_t *out,
                        size_t max_size, uint32_t seed) {
  sf_mut_rng r;
  sf_mut_rng_seed(&r, seed);
  sf_scenario *s = &m->a, *t = &m->b;
  sf_scn_decode(a, a_size, s);
  sf_scn_decode(b, b_size, t);
  if (one_in(&r, 4))
    s->setup = t->setup;
  /* a[0, i) + b[j, k) + a[i2, n): the run of b is never empty when b has
   * events */
  size_t i = below(&r, (uint32_t)s->n + 1);
  size_t i2 = one_in(&r, 2) ? s->n : i + below(&r, (uint32_t)(s->n - i) + 1);
  size_t j = t->n ? below(&r, (uint32_t)t->n) : 0;
  size_t run = t->n ? 1 + below(&r, (uint32_t)(t->n - j)) : 0;
  size_t tail = s->n - i2;
  if (i + run > SF_SCN_MAX_EVENTS)
    run = SF_SCN_MAX_EVENTS - i;
  if (i + run + tail > SF_SCN_MAX_EVENTS)
    tail = SF_SCN_MAX_EVENTS - i - run;
  memmove(&s->ev[i + run], &s->ev[i2], tail * sizeof(s->ev[0]));
  memcpy(&s->ev[i], &t->ev[j], run * sizeof(s->ev[0]));
  s->n = i + run + tail;
  snprintf(m->last, sizeof(m->last), "splice");
  return sf_mut_encode(s, out, max_size);
}
