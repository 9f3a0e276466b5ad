/* A packet capture as peer traces, one per TCP connection (corpus_src.h).
 *
 * libpcap reads the file (pcap or pcapng); the link layer is taken off
 * here (raw IP, Ethernet with VLAN tags, Linux cooked v1 and v2, BSD
 * loopback), IPv4 TCP segments are grouped by connection (a SYN with a new
 * ISN starts one), and each connection's segments become the peer's side
 * of a trace: the client's segments when the stack plays the server, with
 * the server's new data and FIN as the application's writes and shutdown,
 * and reads after the data the peer sends. Offloaded segments (TSO on the
 * sender, GRO on the receiver) are cut into MSS-sized ones. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "corpus_src.h"
#include "synfin/bytes.h"
#include "synfin/trace.h"

#define DLT_NULL_ 0
#define DLT_EN10MB_ 1
#define DLT_RAW_ 12
#define DLT_RAW_OPENBSD 14
#define LINKTYPE_RAW_ 101
#define DLT_LOOP_ 108
#define DLT_LINUX_SLL_ 113
#define DLT_IPV4_ 228
#define DLT_LINUX_SLL2_ 276

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_ACK 0x10
#define TH_URG 0x20

#define STACK_MSS 1460 /* what the scenario's stack advertises (MTU 1500) */

/* One segment as captured. */
struct seg {
  uint64_t t_ns;
  bool from_client;
  uint8_t flags;
  uint32_t seq, ack;
  uint16_t win, urg;
  uint32_t len; /* payload bytes on the wire (IP total length) */
  uint8_t nopt;
  uint8_t opt[40];
};

struct conn {
  uint32_t caddr, saddr;
  uint16_t cport, sport;
  bool syn_seen, closed;
  uint32_t client_isn;
  struct seg *segs;
  size_t n, cap;
};

struct reader {
  sf_capture *c;
  struct conn *conns;
  size_t n, cap;
  size_t visited;
  int link_type;
};

static const char *link_name(int lt) {
  switch (lt) {
  case DLT_NULL_:
    return "BSD loopback";
  case DLT_EN10MB_:
    return "Ethernet";
  case DLT_RAW_:
  case DLT_RAW_OPENBSD:
  case LINKTYPE_RAW_:
  case DLT_IPV4_:
    return "raw IP";
  case DLT_LOOP_:
    return "OpenBSD loopback";
  case DLT_LINUX_SLL_:
    return "Linux cooked v1";
  case DLT_LINUX_SLL2_:
    return "Linux cooked v2";
  }
  return NULL;
}

/* The IPv4 datagram in a frame; 0 with *ip set, 1 for a frame of another
 * protocol, -1 for one too short to say. */
static int unframe(int lt, const uint8_t *d, size_t n, const uint8_t **ip,
                   size_t *iplen) {
  size_t off = 0;
  uint16_t proto = 0x0800;
  switch (lt) {
  case DLT_RAW_:
  case DLT_RAW_OPENBSD:
  case LINKTYPE_RAW_:
  case DLT_IPV4_:
    if (n < 1)
      return -1;
    if ((d[0] >> 4) != 4)
      return 1;
    break;
  case DLT_EN10MB_:
    if (n < 14)
      return -1;
    proto = sf_get16(d + 12);
    off = 14;
    for (int tags = 0;
         tags < 2 && (proto == 0x8100 || proto == 0x88a8 || proto == 0x9100);
         tags++) {
      if (n < off + 4)
        return -1;
      proto = sf_get16(d + off + 2);
      off += 4;
    }
    break;
  case DLT_LINUX_SLL_:
    if (n < 16)
      return -1;
    proto = sf_get16(d + 14);
    off = 16;
    break;
  case DLT_LINUX_SLL2_:
    if (n < 20)
      return -1;
    proto = sf_get16(d);
    off = 20;
    break;
  case DLT_NULL_:
  case DLT_LOOP_: {
    if (n < 4)
      return -1;
    /* DLT_NULL: AF_INET (2) in the writer's byte order; DLT_LOOP: in
     * network order */
    uint32_t be = sf_get32(d);
    uint32_t le = (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 |
                  (uint32_t)d[3] << 24;
    proto = (be == 2 || (lt == DLT_NULL_ && le == 2)) ? 0x0800 : 0;
    off = 4;
    break;
  }
  default:
    return -1;
  }
  if (proto != 0x0800)
    return 1;
  *ip = d + off;
  *iplen = n - off;
  return 0;
}

static struct conn *find_conn(struct reader *r, uint32_t src, uint16_t sp,
                              uint32_t dst, uint16_t dp, bool *from_client) {
  for (size_t i = r->n; i > 0; i--) {
    struct conn *c = &r->conns[i - 1];
    if (c->caddr == src && c->cport == sp && c->saddr == dst &&
        c->sport == dp) {
      *from_client = true;
      return c;
    }
    if (c->caddr == dst && c->cport == dp && c->saddr == src &&
        c->sport == sp) {
      *from_client = false;
      return c;
    }
  }
  return NULL;
}

static struct conn *new_conn(struct reader *r) {
  if (r->n == r->cap) {
    size_t cap = r->cap ? r->cap * 2 : 16;
    struct conn *n = realloc(r->conns, cap * sizeof(*n));
    if (!n)
      return NULL;
    r->conns = n;
    r->cap = cap;
  }
  struct conn *c = &r->conns[r->n++];
  memset(c, 0, sizeof(*c));
  return c;
}

static int add_seg(struct conn *c, const struct seg *s) {
  if (c->n == c->cap) {
    size_t cap = c->cap ? c->cap * 2 : 64;
    struct seg *n = realloc(c->segs, cap * sizeof(*n));
    if (!n)
      return -ENOMEM;
    c->segs = n;
    c->cap = cap;
  }
  c->segs[c->n++] = *s;
  return 0;
}

static int visit(void *ctx, uint64_t t_ns, int lt, const uint8_t *data,
                 size_t caplen, size_t wirelen) {
  struct reader *r = ctx;
  r->visited++;
  r->c->packets++;
  if (r->visited == 1)
    r->link_type = lt;
  if (!link_name(lt))
    return -EPROTONOSUPPORT;
  const uint8_t *p;
  size_t len;
  int u = unframe(lt, data, caplen, &p, &len);
  if (u != 0) {
    r->c->not_ipv4++;
    return 0;
  }
  if (len < 20 || (p[0] >> 4) != 4 || (p[0] & 15) < 5 ||
      (size_t)(p[0] & 15) * 4 > len) {
    r->c->not_tcp++;
    return 0;
  }
  size_t hl = (size_t)(p[0] & 15) * 4;
  if ((sf_get16(p + 6) & 0x3fff) != 0) {
    r->c->fragments++;
    return 0;
  }
  if (p[9] != 6) {
    r->c->not_tcp++;
    return 0;
  }
  if (len < hl + 20) {
    r->c->not_captured++;
    return 0;
  }
  const uint8_t *th = p + hl;
  size_t doff = (size_t)(th[12] >> 4) * 4;
  if (doff < 20 || len < hl + doff) {
    r->c->not_captured++;
    return 0;
  }
  /* the payload length from the IP header (a snapshot length may have cut
   * the bytes); a TSO frame may carry total length 0 */
  size_t total = sf_get16(p + 2);
  if (total == 0)
    total = len + (wirelen > caplen ? wirelen - caplen : 0);
  if (total < hl + doff) {
    r->c->not_tcp++;
    return 0;
  }
  struct seg s = {.t_ns = t_ns,
                  .flags = th[13],
                  .seq = sf_get32(th + 4),
                  .ack = sf_get32(th + 8),
                  .win = sf_get16(th + 14),
                  .urg = sf_get16(th + 18),
                  .len = (uint32_t)(total - hl - doff),
                  .nopt = (uint8_t)(doff - 20)};
  memcpy(s.opt, th + 20, s.nopt);
  uint32_t src = sf_get32(p + 12), dst = sf_get32(p + 16);
  uint16_t sp = sf_get16(th), dp = sf_get16(th + 2);
  bool from_client = false;
  struct conn *c = find_conn(r, src, sp, dst, dp, &from_client);
  bool bare_syn = (s.flags & (TH_SYN | TH_ACK)) == TH_SYN;
  if (bare_syn &&
      (!c || !from_client || !c->syn_seen || c->client_isn != s.seq)) {
    /* a new connection (or a new incarnation of the same ports) */
    c = new_conn(r);
    if (!c)
      return -ENOMEM;
    c->caddr = src, c->cport = sp, c->saddr = dst, c->sport = dp;
    c->syn_seen = true;
    c->client_isn = s.seq;
    from_client = true;
  } else if (!c) {
    /* the capture begins inside this connection: the lower port is
     * taken for the server's */
    c = new_conn(r);
    if (!c)
      return -ENOMEM;
    bool src_server = sp < dp;
    c->caddr = src_server ? dst : src, c->cport = src_server ? dp : sp;
    c->saddr = src_server ? src : dst, c->sport = src_server ? sp : dp;
    from_client = !src_server;
  }
  s.from_client = from_client;
  return add_seg(c, &s);
}

/* ---- where an error is in the file ---- */

static uint32_t rd32e(const uint8_t *p, bool swap) {
  uint32_t v = sf_get32(p);
  return swap ? __builtin_bswap32(v) : v;
}

/* The byte offset of packet n (1-based) of a capture, or of the end of the
 * bytes when the structure stops before it; *lt_off is where the link type
 * is stored (pcap file header, or the first pcapng interface block). */
static size_t packet_offset(const uint8_t *b, size_t len, size_t n,
                            size_t *lt_off) {
  *lt_off = 0;
  if (len < 4)
    return 0;
  uint32_t magic = sf_get32(b);
  if (magic == 0xa1b2c3d4 || magic == 0xd4c3b2a1 || magic == 0xa1b23c4d ||
      magic == 0x4d3cb2a1) {
    bool swap = magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1;
    *lt_off = 20;
    size_t off = 24;
    for (size_t k = 1; k < n; k++) {
      if (off + 16 > len)
        return off;
      off += 16 + (size_t)rd32e(b + off + 8, swap);
      if (off > len)
        return len;
    }
    return off < len ? off : len;
  }
  if (magic != 0x0a0d0d0a)
    return 0;
  bool swap = false;
  size_t off = 0, k = 0;
  while (off + 12 <= len) {
    uint32_t type = rd32e(b + off, swap);
    if (type == 0x0a0d0d0a)
      swap = sf_get32(b + off + 8) == 0x4d3c2b1a;
    type = rd32e(b + off, swap);
    uint32_t blen = rd32e(b + off + 4, swap);
    if (type == 1 && !*lt_off)
      *lt_off = off + 8;
    if (type == 2 || type == 3 || type == 6) {
      if (++k == n)
        return off;
    }
    if (blen < 12 || off + blen > len)
      return off;
    off += blen;
  }
  return off;
}

static uint8_t *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  size_t cap = 1 << 16, n = 0;
  uint8_t *b = malloc(cap);
  while (b) {
    n += fread(b + n, 1, cap - n, f);
    if (n < cap)
      break;
    uint8_t *nb = cap < (1u << 30) ? realloc(b, cap * 2) : NULL;
    if (!nb) {
      free(b);
      b = NULL;
      break;
    }
    b = nb;
    cap *= 2;
  }
  fclose(f);
  *len = n;
  return b;
}

/* ---- connections to traces ---- */

static int push(sf_cb_trace *t, const sf_cb_item *it) {
  return sf_cb_push(t, it);
}

/* SACK edges relative to the stack's ISN, walked like the runner does. */
static void relative_sack(uint8_t *o, uint8_t n, uint32_t stack_isn) {
  for (uint8_t i = 0; i < n;) {
    if (o[i] <= 1) {
      i++;
      continue;
    }
    if (i + 1 >= n || o[i + 1] < 2 || i + o[i + 1] > n)
      return;
    if (o[i] == 5)
      for (uint8_t k = 2; k + 4 <= o[i + 1]; k += 4)
        sf_put32(o + i + k, sf_get32(o + i + k) - stack_isn);
    i += o[i + 1];
  }
}

static bool option_value(const struct seg *s, uint8_t kind, uint8_t len,
                         const uint8_t **v) {
  for (uint8_t i = 0; i < s->nopt;) {
    if (s->opt[i] == 0)
      return false;
    if (s->opt[i] == 1) {
      i++;
      continue;
    }
    if (i + 1 >= s->nopt || s->opt[i + 1] < 2 || i + s->opt[i + 1] > s->nopt)
      return false;
    if (s->opt[i] == kind && s->opt[i + 1] == len) {
      *v = s->opt + i + 2;
      return true;
    }
    i += s->opt[i + 1];
  }
  return false;
}

static int conn_trace(const struct conn *c, bool stack_is_client,
                      sf_cap_conn *out) {
  sf_cb_trace *t = &out->trace;
  t->setup.start = stack_is_client ? SF_SCN_SYN_SENT : SF_SCN_LISTEN;
  if (!c->syn_seen) {
    snprintf(out->skip, sizeof(out->skip),
             "no SYN: the capture starts inside the connection");
    return 0;
  }
  /* the server's ISN, from its SYN-ACK */
  bool have_server = false;
  uint32_t server_isn = 0;
  uint32_t stack_mss = STACK_MSS;
  for (size_t i = 0; i < c->n; i++) {
    const struct seg *s = &c->segs[i];
    if (!s->from_client &&
        (s->flags & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK) && !have_server) {
      have_server = true;
      server_isn = s->seq;
    }
    const uint8_t *v;
    bool stack_side = s->from_client == stack_is_client;
    if (stack_side && (s->flags & TH_SYN) && option_value(s, 2, 4, &v) &&
        sf_get16(v) && sf_get16(v) < stack_mss)
      stack_mss = sf_get16(v);
  }
  if (!have_server) {
    snprintf(out->skip, sizeof(out->skip),
             "no SYN-ACK: the server never accepted the connection");
    return 0;
  }
  uint32_t peer_isn = stack_is_client ? server_isn : c->client_isn;
  uint32_t stack_isn = stack_is_client ? c->client_isn : server_isn;
  uint64_t t0 = c->segs[0].t_ns;
  bool accepted = stack_is_client, stack_sent_any = false, fin_done = false;
  uint32_t stack_max = stack_isn + 1;
  int rc = 0;
  for (size_t i = 0; i < c->n && rc == 0; i++) {
    const struct seg *s = &c->segs[i];
    uint64_t t_us = (s->t_ns - t0) / 1000;
    bool from_peer = s->from_client != stack_is_client;
    if (!from_peer) {
      const uint8_t *v;
      if (option_value(s, 8, 10, &v)) {
        sf_cb_item it = {
            .kind = SF_CB_OUT_TS, .t_us = t_us, .ts_val = sf_get32(v)};
        rc = push(t, &it);
      }
      if (s->flags & TH_SYN)
        continue; /* the stack sends its own SYN */
      /* new data: the application wrote it just now */
      uint32_t end = s->seq + s->len;
      if (s->len && (!stack_sent_any || (int32_t)(end - stack_max) > 0)) {
        uint32_t from = stack_sent_any && (int32_t)(s->seq - stack_max) < 0
                            ? stack_max
                            : s->seq;
        uint32_t n = end - from;
        if ((int32_t)(end - from) > 0 && n < (1u << 30)) {
          while (n && rc == 0) {
            uint32_t k = n > 65535 ? 65535 : n;
            sf_cb_item it = {.kind = SF_CB_CALL,
                             .t_us = t_us,
                             .op = SF_SCN_WRITE,
                             .arg = (uint16_t)k};
            rc = push(t, &it);
            n -= k;
          }
        }
        stack_max = end;
        stack_sent_any = true;
      }
      if ((s->flags & TH_FIN) && !fin_done) {
        fin_done = true;
        sf_cb_item it = {
            .kind = SF_CB_CALL, .t_us = t_us, .op = SF_SCN_SHUT_WR};
        rc = push(t, &it);
      }
      continue;
    }
    sf_cb_item it = {.kind = SF_CB_SEGMENT, .t_us = t_us};
    it.flags = s->flags;
    it.seq = s->seq - peer_isn;
    it.ack = (s->flags & TH_ACK) ? s->ack - stack_isn : 0;
    it.win = s->win;
    it.urg = (s->flags & TH_URG) ? s->urg : 0;
    it.nopt = s->nopt;
    memcpy(it.opt, s->opt, s->nopt);
    relative_sack(it.opt, it.nopt, stack_isn);
    /* offloaded segments: MSS-sized pieces, the FIN and PSH on the last */
    uint32_t left = s->len, seq = it.seq;
    uint8_t flags = s->flags;
    const uint8_t *tsv;
    uint32_t mss = stack_mss - (option_value(s, 8, 10, &tsv) ? 12 : 0);
    if (left > mss)
      out->split++;
    do {
      uint32_t k = left > mss ? mss : left;
      left -= k;
      it.len = (uint16_t)k;
      it.seq = seq;
      it.flags = left ? (uint8_t)(flags & ~(TH_FIN | 0x08)) : flags;
      rc = push(t, &it);
      seq += k + !!(it.flags & TH_SYN);
      flags &= (uint8_t)~TH_SYN;
    } while (left && rc == 0);
    if (s->len && rc == 0) {
      sf_cb_item rd = {.kind = SF_CB_CALL,
                       .t_us = t_us,
                       .op = SF_SCN_READ,
                       .arg = (uint16_t)(s->len > 65535 ? 65535 : s->len)};
      rc = push(t, &rd);
    }
    if (!accepted && rc == 0 &&
        (s->flags & (TH_SYN | TH_ACK | TH_RST)) == TH_ACK) {
      accepted = true;
      sf_cb_item ac = {.kind = SF_CB_CALL, .t_us = t_us, .op = SF_SCN_ACCEPT};
      rc = push(t, &ac);
    }
  }
  return rc;
}

int sf_corpus_from_pcap(const char *path, bool stack_is_client, sf_capture *c,
                        char *err, size_t errlen) {
  memset(c, 0, sizeof(*c));
  struct reader r = {.c = c, .link_type = -1};
  char perr[512] = "";
  int rc = sf_pcap_read_file(path, visit, &r, perr, sizeof(perr));
  if (rc != 0) {
    size_t blen = 0, lt_off = 0;
    uint8_t *b =
        (rc == -EBADMSG || rc == -EPROTONOSUPPORT) ? slurp(path, &blen) : NULL;
    size_t at =
        b ? packet_offset(b, blen, r.visited + (rc == -EBADMSG), &lt_off) : 0;
    free(b);
    if (rc == -EPROTONOSUPPORT) {
      snprintf(err, errlen,
               "%s: byte %zu: link type %d is not supported (synfin reads "
               "raw IP, Ethernet, Linux cooked v1/v2 and BSD loopback "
               "captures)",
               path, lt_off, r.link_type);
    } else if (rc == -EBADMSG && !strstr(perr, ": packet ")) {
      /* the file header: libpcap could not open it */
      const char *why = strstr(perr, ": ");
      snprintf(err, errlen,
               "%s: byte 0: not a readable pcap or pcapng capture%s", path,
               why ? why : "");
    } else if (rc == -EBADMSG) {
      /* libpcap's message names the packet already */
      const char *why = strstr(perr, ": packet ");
      snprintf(err, errlen, "%s: byte %zu: %s", path, at, why ? why + 2 : perr);
    } else if (rc == -ENOMEM) {
      snprintf(err, errlen, "%s: out of memory", path);
    } else {
      snprintf(err, errlen, "%s", perr);
    }
    for (size_t i = 0; i < r.n; i++)
      free(r.conns[i].segs);
    free(r.conns);
    return rc < 0 ? rc : -EIO;
  }
  rc = 0;
  for (size_t i = 0; i < r.n && rc == 0; i++) {
    const struct conn *k = &r.conns[i];
    if (c->n == c->cap) {
      size_t cap = c->cap ? c->cap * 2 : 16;
      sf_cap_conn *n = realloc(c->conns, cap * sizeof(*n));
      if (!n) {
        rc = -ENOMEM;
        break;
      }
      c->conns = n;
      c->cap = cap;
    }
    sf_cap_conn *o = &c->conns[c->n++];
    memset(o, 0, sizeof(*o));
    sf_cb_trace_init(&o->trace);
    o->client_addr = k->caddr;
    o->server_addr = k->saddr;
    o->client_port = k->cport;
    o->server_port = k->sport;
    o->first_ns = k->n ? k->segs[0].t_ns : 0;
    o->packets = k->n;
    rc = conn_trace(k, stack_is_client, o);
  }
  for (size_t i = 0; i < r.n; i++)
    free(r.conns[i].segs);
  free(r.conns);
  if (rc < 0)
    snprintf(err, errlen, "%s: out of memory", path);
  return rc;
}

void sf_capture_free(sf_capture *c) {
  for (size_t i = 0; i < c->n; i++)
    sf_cb_trace_free(&c->conns[i].trace);
  free(c->conns);
  memset(c, 0, sizeof(*c));
}
