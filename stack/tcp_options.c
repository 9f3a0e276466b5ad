/* TCP option parsing and emission (RFC 9293 3.1, 3.2; RFC 7323; RFC 2018). */
#include <errno.h>
#include <string.h>

#include "bugs.h"
#include "tcp.h"
#include "synfin/bytes.h"

#define OPT_EOL 0
#define OPT_NOP 1
#define OPT_MSS 2
#define OPT_WS 3
#define OPT_SACKOK 4
#define OPT_SACK 5
#define OPT_TS 8

/* RFC 9293 3.1 (MUST-6): a known kind with the wrong length is ignored like
 * an unknown option, as Linux does. */
static void take_option(uint8_t kind, const uint8_t *v, uint8_t len,
                        struct sf_tcp_seg *seg) {
  switch (kind) {
  case OPT_MSS:
    if (len == 4) {
      seg->has_mss = true;
      seg->mss = sf_get16(v);
    }
    break;
  case OPT_WS:
    if (len == 3) {
      seg->has_ws = true;
      seg->ws = v[0];
    }
    break;
  case OPT_SACKOK:
    if (len == 2)
      seg->has_sackok = true;
    break;
  case OPT_TS:
    if (len == 10) {
      seg->has_ts = true;
      seg->ts_val = sf_get32(v);
      seg->ts_ecr = sf_get32(v + 4);
    }
    break;
  case OPT_SACK:
    /* RFC 2018 3: 2 + 8n bytes; extra blocks beyond four are not possible */
    if (len >= 10 && (len - 2) % 8 == 0) {
      seg->nsack = 0;
      for (uint8_t i = 0; i < (len - 2) / 8 && i < 4; i++) {
        seg->sack[i].start = sf_get32(v + 8 * i);
        seg->sack[i].end = sf_get32(v + 8 * i + 4);
        seg->nsack++;
      }
    }
    break;
  default:
    break; /* RFC 9293 MUST-6: skip what we do not implement */
  }
}

/* RFC 9293 3.1 (MUST-7, MUST-64): any alignment; an illegal length (0, 1, or
 * past the header) stops parsing: the options before it stand, the segment
 * is processed, and the loop always advances. */
int sf_tcp_parse_options(const uint8_t *opt, uint32_t len,
                         struct sf_tcp_seg *seg) {
  uint32_t i = 0;
  while (i < len) {
    uint8_t kind = opt[i];
    if (kind == OPT_EOL)
      return 0; /* MUST-69: the rest is padding */
    if (kind == OPT_NOP) {
      i++;
      continue;
    }
    if (i + 1 >= len)
      return -EINVAL;
    uint8_t olen = opt[i + 1];
#ifdef SF_BUG_OPTLEN0_LOOP
    /* planted (stack/bugs.h): outside SYNs a zero length is not caught */
    if (!(seg->flags & TH_SYN)) {
      SF_BUG_REACHED(OPTLEN0_LOOP);
      if (olen == 0)
        SF_BUG_TRIGGERED(OPTLEN0_LOOP); /* i += 0: the walk never ends */
    }
#endif
    if (olen < 2 || olen > len - i)
      return -EINVAL;
    take_option(kind, opt + i + 2, olen, seg);
    i += olen;
  }
  return 0;
}

static uint32_t put_nops(uint8_t *out, uint32_t n) {
  memset(out, OPT_NOP, n);
  return n;
}

static uint32_t put_mss(uint8_t *out, uint16_t mss) {
  out[0] = OPT_MSS;
  out[1] = 4;
  sf_put16(out + 2, mss);
  return 4;
}

static uint32_t put_ws(uint8_t *out, uint8_t shift) {
  out[0] = OPT_NOP;
  out[1] = OPT_WS;
  out[2] = 3;
  out[3] = shift;
  return 4;
}

static uint32_t put_ts(uint8_t *out, uint32_t val, uint32_t ecr) {
  out[0] = OPT_TS;
  out[1] = 10;
  sf_put32(out + 2, val);
  sf_put32(out + 6, ecr);
  return 10;
}

static uint32_t put_sackok(uint8_t *out) {
  out[0] = OPT_SACKOK;
  out[1] = 2;
  return 2;
}

/* Linux's SYN layout: mss, then sackOK sharing a word with TS (or two NOPs
 * before whichever is alone), then nop,wscale. */
static uint32_t write_syn_linux(const struct sf_tcp_optreq *r, uint8_t *out) {
  uint32_t n = 0;
  if (r->mss)
    n += put_mss(out + n, r->mss_val);
  if (r->ts) {
    n += r->sackok ? put_sackok(out + n) : put_nops(out + n, 2);
    n += put_ts(out + n, r->ts_val, r->ts_ecr);
  } else if (r->sackok) {
    n += put_nops(out + n, 2);
    n += put_sackok(out + n);
  }
  if (r->ws)
    n += put_ws(out + n, r->ws_val);
  return n;
}

/* Each option on its own 32-bit word. */
static uint32_t write_syn_aligned(const struct sf_tcp_optreq *r, uint8_t *out) {
  uint32_t n = 0;
  if (r->mss)
    n += put_mss(out + n, r->mss_val);
  if (r->ws)
    n += put_ws(out + n, r->ws_val);
  if (r->sackok) {
    n += put_nops(out + n, 2);
    n += put_sackok(out + n);
  }
  if (r->ts) {
    n += put_nops(out + n, 2);
    n += put_ts(out + n, r->ts_val, r->ts_ecr);
  }
  return n;
}

/* RFC 7323 Appendix A and RFC 2018 3: NOP,NOP before TS and SACK keeps the
 * values aligned; SACK takes what room is left (40 bytes in all). */
static uint32_t write_plain(const struct sf_tcp_optreq *r, uint8_t *out) {
  uint32_t n = 0;
  if (r->ts) {
    n += put_nops(out + n, 2);
    n += put_ts(out + n, r->ts_val, r->ts_ecr);
  }
  uint32_t room = (SF_TCP_MAXOPT - n - 4) / 8;
  uint32_t blocks = r->nsack < room ? r->nsack : room;
  if (blocks) {
    n += put_nops(out + n, 2);
    out[n] = OPT_SACK;
    out[n + 1] = (uint8_t)(2 + 8 * blocks);
    n += 2;
    for (uint32_t i = 0; i < blocks; i++) {
      sf_put32(out + n, r->sack[i].start);
      sf_put32(out + n + 4, r->sack[i].end);
      n += 8;
    }
  }
  return n;
}

uint32_t sf_tcp_write_options(const struct sf_tcp_optreq *req, uint32_t layout,
                              uint8_t *out) {
  uint32_t n;
  if (!req->syn)
    n = write_plain(req, out);
  else if (layout == SF_SYNOPT_ALIGNED)
    n = write_syn_aligned(req, out);
  else
    n = write_syn_linux(req, out);
  while (n % 4) /* MUST-69: pad with zeros (EOL) */
    out[n++] = OPT_EOL;
  return n;
}
