/* The scenario codec: every byte string decodes; encoding is canonical. */
#include <errno.h>
#include <string.h>

#include "../util/pktbuild.h"
#include "synfin/bytes.h"
#include "synfin/checksum.h"
#include "synfin/scenario.h"

#define SETUP_BYTES 12
#define SEGMENT_BYTES 18 /* with the option count, before the options */

/* A reader that yields zeros past the end, so any input decodes. */
struct rd {
  const uint8_t *p;
  size_t len, pos;
};

static uint8_t u8(struct rd *r) {
  return r->pos < r->len ? r->p[r->pos++] : (r->pos++, 0);
}

static uint16_t u16(struct rd *r) {
  uint16_t hi = u8(r);
  return (uint16_t)(hi << 8 | u8(r));
}

static uint32_t u32(struct rd *r) {
  uint32_t hi = u16(r);
  return hi << 16 | u16(r);
}

/* n bytes, zeros past the end of the input (as u8 reads them) */
static void bytes(struct rd *r, uint8_t *out, size_t n) {
  size_t have = r->pos < r->len ? r->len - r->pos : 0;
  if (have > n)
    have = n;
  if (have)
    memcpy(out, r->p + r->pos, have);
  memset(out + have, 0, n - have);
  r->pos += n;
}

bool sf_scn_looks_like(const uint8_t *buf, size_t len) {
  return len >= 2 && buf[0] == SF_SCN_MAGIC && buf[1] == SF_SCN_VERSION;
}

/* The fixed-size parts (setup, segment header) are taken in one copy and
 * parsed from it: a bounds test per field cost a tenth of the decoding that
 * every execution and every mutation does. */
static void decode_setup(struct rd *r, sf_scn_setup *s) {
  uint8_t b[SETUP_BYTES];
  bytes(r, b, sizeof(b));
  s->start = b[0] % SF_SCN_START_COUNT;
  s->profile = b[1] % 2;
  s->syn_opts = b[2] & 0x0f;
  s->sock_flags = b[3] & 0x0f;
  s->peer_mss = sf_get16(b + 4);
  s->peer_wscale = b[6] % 15;
  s->peer_win = sf_get16(b + 7);
  s->prefill = sf_get16(b + 9) % 8193;
  s->seed = b[11];
}

static void decode_segment(struct rd *r, sf_scn_segment *g) {
  uint8_t b[SEGMENT_BYTES];
  bytes(r, b, sizeof(b));
  g->flags = b[0];
  g->seq_delta = (int32_t)sf_get32(b + 1);
  g->ack_delta = (int32_t)sf_get32(b + 5);
  g->win = sf_get16(b + 9);
  g->urg = sf_get16(b + 11);
  g->len = sf_get16(b + 13) % (SF_SCN_MAX_PAYLOAD + 1);
  g->corrupt = b[15] & SF_SCN_CORRUPT_BITS;
  g->doff = b[16] & 0x0f;
  g->nopt = b[17] % (SF_SCN_MAX_OPTS + 1);
  bytes(r, g->opt, g->nopt);
}

void sf_scn_decode(const uint8_t *buf, size_t len, sf_scenario *s) {
  struct rd r = {buf, len, 0};
  s->n = 0;
  /* the magic and version are skipped whatever they say: a mutated header
   * is still a scenario */
  r.pos = 2;
  decode_setup(&r, &s->setup);
  while (r.pos < len && s->n < SF_SCN_MAX_EVENTS) {
    sf_scn_event *e = &s->ev[s->n++];
    memset(e, 0, sizeof(*e) < 64 ? sizeof(*e) : 64);
    e->kind = u8(&r) % SF_SCN_KIND_COUNT;
    switch (e->kind) {
    case SF_SCN_SEGMENT:
      decode_segment(&r, &e->seg);
      break;
    case SF_SCN_RAW:
      e->raw.fix = u8(&r) & 3;
      e->raw.len = u16(&r) % (SF_SCN_MAX_RAW + 1);
      bytes(&r, e->raw.bytes, e->raw.len);
      break;
    case SF_SCN_ADVANCE:
      e->advance_us = u32(&r);
      break;
    case SF_SCN_TIMER:
      break;
    case SF_SCN_CALL:
      e->call.op = u8(&r) % SF_SCN_OP_COUNT;
      e->call.arg = u16(&r);
      break;
    }
  }
}

/* Where decoding ran out of bytes, for sf_scn_validate(). */
static int ran_out(const struct rd *r, size_t start, const char *what,
                   size_t *off, char *msg, size_t cap) {
  if (r->pos <= r->len)
    return 0;
  *off = r->len;
  snprintf(msg, cap,
           "byte %zu: truncated %s (starting at byte %zu): %zu "
           "more bytes expected",
           r->len, what, start, r->pos - r->len);
  return -EBADMSG;
}

int sf_scn_validate(const uint8_t *buf, size_t len, size_t *off, char *msg,
                    size_t cap) {
  *off = 0;
  if (len == 0) {
    snprintf(msg, cap, "byte 0: empty, expected 'S' (0x53)");
    return -EBADMSG;
  }
  if (buf[0] != SF_SCN_MAGIC) {
    snprintf(msg, cap, "byte 0: 0x%02x, expected 'S' (0x53)", buf[0]);
    return -EBADMSG;
  }
  *off = 1;
  if (len < 2) {
    snprintf(msg, cap, "byte 1: truncated, expected the version (%d)",
             SF_SCN_VERSION);
    return -EBADMSG;
  }
  if (buf[1] != SF_SCN_VERSION) {
    snprintf(msg, cap, "byte 1: version %u, expected %d", buf[1],
             SF_SCN_VERSION);
    return -EPROTONOSUPPORT;
  }
  struct rd r = {buf, len, 2};
  sf_scn_setup u;
  decode_setup(&r, &u);
  int rc = ran_out(&r, 2, "setup", off, msg, cap);
  size_t n = 0;
  while (rc == 0 && r.pos < len && n++ < SF_SCN_MAX_EVENTS) {
    static const char *const what[SF_SCN_KIND_COUNT] = {
        "segment event", "raw event", "time event", "timer event",
        "call event"};
    size_t start = r.pos;
    sf_scn_event e;
    uint8_t kind = u8(&r) % SF_SCN_KIND_COUNT;
    switch (kind) {
    case SF_SCN_SEGMENT:
      decode_segment(&r, &e.seg);
      break;
    case SF_SCN_RAW:
      u8(&r);
      r.pos += u16(&r) % (SF_SCN_MAX_RAW + 1);
      break;
    case SF_SCN_ADVANCE:
      u32(&r);
      break;
    case SF_SCN_CALL:
      u8(&r);
      u16(&r);
      break;
    }
    rc = ran_out(&r, start, what[kind], off, msg, cap);
  }
  if (rc == 0 && r.pos < len) {
    *off = r.pos;
    snprintf(msg, cap,
             "byte %zu: %zu bytes after the %d events a scenario "
             "holds (ignored)",
             r.pos, len - r.pos, SF_SCN_MAX_EVENTS);
    return 1;
  }
  return rc;
}

size_t sf_scn_from_datagrams(const uint8_t *data, size_t size, sf_scenario *s) {
  memset(&s->setup, 0, sizeof(s->setup));
  s->setup.start = SF_SCN_ESTABLISHED;
  s->setup.syn_opts = SF_SCN_OPT_MSS | SF_SCN_OPT_SACK;
  s->n = 0;
  size_t pos = 0;
  while (pos + 2 <= size && s->n < SF_SCN_MAX_EVENTS) {
    size_t len = (size_t)data[pos] << 8 | data[pos + 1];
    pos += 2;
    if (len > size - pos)
      len = size - pos;
    if (len > SF_SCN_MAX_RAW)
      len = SF_SCN_MAX_RAW;
    sf_scn_event *e = &s->ev[s->n++];
    e->kind = SF_SCN_RAW;
    e->raw.fix = 0;
    e->raw.len = (uint16_t)len;
    memcpy(e->raw.bytes, data + pos, len);
    pos += len;
  }
  return pos;
}

/* A writer that counts what does not fit. */
struct wr {
  uint8_t *p;
  size_t cap, pos;
};

static void w8(struct wr *w, uint8_t v) {
  if (w->pos < w->cap)
    w->p[w->pos] = v;
  w->pos++;
}

static void w16(struct wr *w, uint16_t v) {
  w8(w, (uint8_t)(v >> 8));
  w8(w, (uint8_t)v);
}

static void w32(struct wr *w, uint32_t v) {
  w16(w, (uint16_t)(v >> 16));
  w16(w, (uint16_t)v);
}

static void wbytes(struct wr *w, const uint8_t *b, size_t n) {
  size_t room = w->pos < w->cap ? w->cap - w->pos : 0;
  if (room)
    memcpy(w->p + w->pos, b, n < room ? n : room);
  w->pos += n;
}

size_t sf_scn_encode(const sf_scenario *s, uint8_t *buf, size_t cap) {
  struct wr w = {buf, cap, 0};
  const sf_scn_setup *u = &s->setup;
  uint8_t h[2 + SETUP_BYTES] = {SF_SCN_MAGIC, SF_SCN_VERSION, u->start,
                                u->profile,   u->syn_opts,    u->sock_flags};
  sf_put16(h + 6, u->peer_mss);
  h[8] = u->peer_wscale;
  sf_put16(h + 9, u->peer_win);
  sf_put16(h + 11, u->prefill);
  h[13] = u->seed;
  wbytes(&w, h, sizeof(h));
  for (size_t i = 0; i < s->n; i++) {
    const sf_scn_event *e = &s->ev[i];
    w8(&w, e->kind);
    switch (e->kind) {
    case SF_SCN_SEGMENT: {
      const sf_scn_segment *g = &e->seg;
      uint8_t b[SEGMENT_BYTES];
      b[0] = g->flags;
      sf_put32(b + 1, (uint32_t)g->seq_delta);
      sf_put32(b + 5, (uint32_t)g->ack_delta);
      sf_put16(b + 9, g->win);
      sf_put16(b + 11, g->urg);
      sf_put16(b + 13, g->len);
      b[15] = g->corrupt;
      b[16] = g->doff;
      b[17] = g->nopt;
      wbytes(&w, b, sizeof(b));
      wbytes(&w, g->opt, g->nopt);
      break;
    }
    case SF_SCN_RAW:
      w8(&w, e->raw.fix);
      w16(&w, e->raw.len);
      wbytes(&w, e->raw.bytes, e->raw.len);
      break;
    case SF_SCN_ADVANCE:
      w32(&w, e->advance_us);
      break;
    case SF_SCN_TIMER:
      break;
    case SF_SCN_CALL:
      w8(&w, e->call.op);
      w16(&w, e->call.arg);
      break;
    }
  }
  return w.pos;
}

static const char *const start_names[SF_SCN_START_COUNT] = {
    "listen",    "syn-received",       "established",
    "syn-sent",  "active-established", "close-wait",
    "fin-wait-1"};

static const char *const op_names[SF_SCN_OP_COUNT] = {
    "read",   "write",   "shutdown(SHUT_RD)", "shutdown(SHUT_WR)", "close",
    "accept", "connect", "linger0",           "nodelay",           "urgent"};

static void flags_text(uint8_t f, char *out) {
  static const char letters[] = "FSRP.UEW";
  size_t n = 0;
  for (int i = 0; i < 8; i++)
    if (f & (1u << i))
      out[n++] = letters[i];
  if (!n)
    out[n++] = '-';
  out[n] = '\0';
}

void sf_scn_dump_event(const sf_scn_event *e, FILE *out) {
  switch (e->kind) {
  case SF_SCN_SEGMENT: {
    const sf_scn_segment *g = &e->seg;
    char f[10];
    flags_text(g->flags, f);
    fprintf(out, "< %s seq RCV.NXT%+d ack SND.UNA%+d len %u win %u", f,
            g->seq_delta, g->ack_delta, g->len, g->win);
    if (g->urg)
      fprintf(out, " urg %u", g->urg);
    if (g->nopt) {
      fprintf(out, " opts");
      for (uint8_t k = 0; k < g->nopt; k++)
        fprintf(out, " %02x", g->opt[k]);
    }
    if (g->corrupt)
      fprintf(out, " [%s%s%s%s%s%s]",
              (g->corrupt & SF_SCN_BAD_TCP_CSUM) ? " tcp_csum bad" : "",
              (g->corrupt & SF_SCN_BAD_IP_CSUM) ? " ip_csum bad" : "",
              (g->corrupt & SF_SCN_BAD_DOFF) ? " doff" : "",
              (g->corrupt & SF_SCN_FRAGMENT) ? " fragments" : "",
              (g->corrupt & SF_SCN_FRAG_REVERSE) ? " reversed" : "",
              (g->corrupt & SF_SCN_FRAG_OVERLAP) ? " overlapping" : "");
    fputc('\n', out);
    break;
  }
  case SF_SCN_RAW:
    fprintf(out, "< raw%s%s %u bytes:",
            (e->raw.fix & SF_SCN_FIX_IP) ? " (fix ip)" : "",
            (e->raw.fix & SF_SCN_FIX_L4) ? " (fix l4)" : "", e->raw.len);
    for (uint16_t k = 0; k < e->raw.len && k < 64; k++)
      fprintf(out, " %02x", e->raw.bytes[k]);
    fprintf(out, "%s\n", e->raw.len > 64 ? " ..." : "");
    break;
  case SF_SCN_ADVANCE:
    fprintf(out, "+%u us\n", e->advance_us);
    break;
  case SF_SCN_TIMER:
    fprintf(out, "+ until the next timer\n");
    break;
  case SF_SCN_CALL:
    fprintf(out, "%s(%u)\n", op_names[e->call.op % SF_SCN_OP_COUNT],
            e->call.arg);
    break;
  }
}

void sf_scn_dump(const sf_scenario *s, FILE *out) {
  const sf_scn_setup *u = &s->setup;
  fprintf(out,
          "scenario v%d: start %s, profile %s, peer SYN options%s%s%s%s, "
          "peer mss %u, wscale %u, window %u, prefill %u, seed %u%s%s%s%s\n",
          SF_SCN_VERSION, start_names[u->start % SF_SCN_START_COUNT],
          u->profile ? "rfc" : "linux",
          (u->syn_opts & SF_SCN_OPT_MSS) ? " mss" : "",
          (u->syn_opts & SF_SCN_OPT_SACK) ? " sackOK" : "",
          (u->syn_opts & SF_SCN_OPT_TS) ? " TS" : "",
          (u->syn_opts & SF_SCN_OPT_WSCALE) ? " wscale" : "",
          u->peer_mss ? u->peer_mss : 1460, u->peer_wscale, u->peer_win,
          u->prefill, u->seed,
          (u->sock_flags & SF_SCN_NODELAY) ? ", nodelay" : "",
          (u->sock_flags & SF_SCN_KEEPALIVE) ? ", keepalive" : "",
          (u->sock_flags & SF_SCN_SMALL_RCVBUF) ? ", small rcvbuf" : "",
          (u->sock_flags & SF_SCN_SMALL_SNDBUF) ? ", small sndbuf" : "");
  for (size_t i = 0; i < s->n; i++) {
    fprintf(out, "%3zu ", i);
    sf_scn_dump_event(&s->ev[i], out);
  }
}

/* Repairs one raw datagram as its flags ask. */
static bool fix_datagram(uint8_t *p, size_t len, uint8_t fix) {
  if (len < 20 || (p[0] >> 4) != 4)
    return false;
  size_t hl = (size_t)(p[0] & 15) * 4;
  if (hl < 20 || hl > len)
    return false;
  bool changed = false;
  if (fix & SF_SCN_FIX_IP) {
    uint16_t old = sf_get16(p + 10);
    sf_put16(p + 2, (uint16_t)len);
    sf_fix_ip_csum(p, len);
    changed = old != sf_get16(p + 10);
  }
  bool first = (sf_get16(p + 6) & 0x1fff) == 0 && !(sf_get16(p + 6) & 0x2000);
  if ((fix & SF_SCN_FIX_L4) && first) {
    if (p[9] == 6 && len >= hl + 20) {
      sf_fix_tcp_csum(p, len);
      changed = true;
    } else if (p[9] == 1 && len >= hl + 8) {
      sf_put16(p + hl + 2, 0);
      sf_put16(p + hl + 2, sf_csum(p + hl, len - hl));
      changed = true;
    }
  }
  return changed;
}

size_t sf_scn_fix_raw(uint8_t *buf, size_t len) {
  struct rd r = {buf, len, 0};
  size_t fixed = 0, n = 0;
  r.pos = 2 + SETUP_BYTES;
  while (r.pos < len && n++ < SF_SCN_MAX_EVENTS) {
    uint8_t kind = u8(&r) % SF_SCN_KIND_COUNT;
    if (kind == SF_SCN_SEGMENT) {
      r.pos += SEGMENT_BYTES - 1;
      uint8_t nopt = u8(&r) % (SF_SCN_MAX_OPTS + 1);
      r.pos += nopt;
    } else if (kind == SF_SCN_RAW) {
      uint8_t fix = u8(&r) & 3;
      uint16_t rl = u16(&r) % (SF_SCN_MAX_RAW + 1);
      if (r.pos + rl <= len && fix && fix_datagram(buf + r.pos, rl, fix))
        fixed++;
      r.pos += rl;
    } else if (kind == SF_SCN_ADVANCE) {
      r.pos += 4;
    } else if (kind == SF_SCN_CALL) {
      r.pos += 3;
    }
  }
  return fixed;
}

/* RFC 791 3.2: pieces of one size, a multiple of 8, and at most
 * SF_SCN_MAX_FRAGS of them: 8-byte fragments up to 64 bytes of payload,
 * larger ones beyond, so that one event is not hundreds of packets through
 * the stack (it was 512 for a 4 KiB segment, and such inputs took a third
 * of the fuzzer's time). */
size_t sf_scn_fragment_size(size_t len) {
  size_t payload = len > 20 ? len - 20 : 0;
  size_t per = (payload + SF_SCN_MAX_FRAGS - 1) / SF_SCN_MAX_FRAGS;
  return per > 8 ? (per + 7) / 8 * 8 : 8;
}

size_t sf_scn_fragment_count(size_t len) {
  size_t unit = sf_scn_fragment_size(len);
  return len > 20 ? (len - 20 + unit - 1) / unit : 0;
}

/* Fragment i in datagram order, with SF_SCN_FRAG_OVERLAP 8 bytes more so
 * that neighbours overlap (the Teardrop class of reassembly bugs); MF on
 * all that stop short of the end. */
size_t sf_scn_fragment(const uint8_t *dgram, size_t len, uint8_t corrupt,
                       size_t k, uint8_t *out) {
  size_t count = sf_scn_fragment_count(len);
  if (k >= count)
    return 0;
  size_t payload = len - 20, unit = sf_scn_fragment_size(len);
  size_t i = (corrupt & SF_SCN_FRAG_REVERSE) ? count - 1 - k : k;
  size_t off = i * unit;
  size_t want = unit + ((corrupt & SF_SCN_FRAG_OVERLAP) ? 8 : 0);
  size_t n = payload - off < want ? payload - off : want;
  memcpy(out, dgram, 20);
  memcpy(out + 20, dgram + 20 + off, n);
  sf_put16(out + 2, (uint16_t)(20 + n));
  sf_put16(out + 6, (uint16_t)(off / 8 | (off + n < payload ? 0x2000 : 0)));
  sf_fix_ip_csum(out, 20 + n);
  if (corrupt & SF_SCN_BAD_IP_CSUM) {
    out[10] ^= 0x0f;
    out[11] ^= 0x0f;
  }
  return 20 + n;
}
