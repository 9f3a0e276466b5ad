/* Prints a decoded packet as one line of packetdrill script syntax (and as
 * (name, value) fields), in the canonical forms of sf_script_format() so
 * that a TCP, UDP or ICMP line parses back with sf_script_parse(). The
 * conventions are documented in synfin/trace.h. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "synfin/checksum.h"
#include "synfin/script.h"
#include "synfin/trace.h"

/* ---- a bounded, snprintf-style output buffer ---- */

typedef struct out {
  char *buf;
  size_t cap; /* bytes at buf, including the NUL */
  size_t len; /* bytes the whole text has */
} out;

static void put(out *o, const char *s, size_t n) {
  if (o->cap > 0 && o->len < o->cap - 1) {
    size_t room = o->cap - 1 - o->len;
    memcpy(o->buf + o->len, s, n < room ? n : room);
  }
  o->len += n;
}

static void puts_(out *o, const char *s) {
  put(o, s, strlen(s));
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void
putf(out *o, const char *fmt, ...) {
  char tmp[128]; /* every format here prints a few numbers */
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
  va_end(ap);
  if (n > 0)
    put(o, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

static void finish(out *o) {
  if (o->cap > 0)
    o->buf[o->len < o->cap ? o->len : o->cap - 1] = '\0';
}

static void put_hex(out *o, const uint8_t *p, size_t n) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    char h[2] = {digits[p[i] >> 4], digits[p[i] & 0xf]};
    put(o, h, 2);
  }
}

/* ---- pieces ---- */

typedef struct bases {
  uint32_t seq; /* subtracted from this packet's sequence numbers */
  uint32_t ack; /* from its ack, SACK blocks and an ICMP quote's seq */
} bases;

static bases bases_of(const sf_pkt_fmt *f) {
  bases b = {0, 0};
  if (f->relative) {
    bool in = f->dir == SF_DIR_IN;
    b.seq = in ? f->in_isn : f->out_isn;
    b.ack = in ? f->out_isn : f->in_isn;
  }
  return b;
}

/* An inbound TS val is what the script sends; an outbound one is a clock
 * packetdrill does not check. */
static bool ts_val_shown(const sf_pkt_fmt *f) {
  return f->show_ts_val || f->dir == SF_DIR_IN;
}

static void put_flags(out *o, uint16_t flags) {
  /* sf_script_format()'s canonical order: letters, then '.' */
  static const struct {
    uint16_t bit;
    char c;
  } letters[] = {{SF_TCP_FIN, 'F'}, {SF_TCP_SYN, 'S'}, {SF_TCP_RST, 'R'},
                 {SF_TCP_PSH, 'P'}, {SF_TCP_URG, 'U'}, {SF_TCP_ECE, 'E'},
                 {SF_TCP_CWR, 'W'}, {SF_TCP_AE, 'A'},  {SF_TCP_ACK, '.'}};
  size_t n = 0;
  for (size_t i = 0; i < sizeof(letters) / sizeof(letters[0]); i++) {
    if (flags & letters[i].bit) {
      put(o, &letters[i].c, 1);
      n++;
    }
  }
  if (n == 0)
    put(o, "-", 1);
}

static void put_seq(out *o, uint32_t start, size_t len) {
  /* END wraps modulo 2^32, as packetdrill prints it */
  putf(o, "%" PRIu32 ":%" PRIu32 "(%zu)", start, (uint32_t)(start + len), len);
}

static void put_option(out *o, const sf_pkt_tcp_option *op, uint32_t sack_base,
                       bool show_ts_val) {
  if (op->valid) {
    switch (op->kind) {
    case SF_TCPOPT_EOL:
      puts_(o, "eol");
      return;
    case SF_TCPOPT_NOP:
      puts_(o, "nop");
      return;
    case SF_TCPOPT_MSS:
      putf(o, "mss %u", op->mss);
      return;
    case SF_TCPOPT_WSCALE:
      putf(o, "wscale %u", op->wscale);
      return;
    case SF_TCPOPT_SACK_PERMITTED:
      puts_(o, "sackOK");
      return;
    case SF_TCPOPT_SACK:
      puts_(o, "sack");
      for (size_t i = 0; i < op->n_sack; i++)
        putf(o, " %" PRIu32 ":%" PRIu32, op->sack[i].left - sack_base,
             op->sack[i].right - sack_base);
      return;
    case SF_TCPOPT_TIMESTAMP:
      putf(o, "TS val %" PRIu32 " ecr %" PRIu32, show_ts_val ? op->ts_val : 0,
           op->ts_ecr);
      return;
    case SF_TCPOPT_MD5:
      /* the script grammar needs a digest after md5 */
      if (op->data_len == 0)
        break;
      puts_(o, "md5 ");
      put_hex(o, op->data, op->data_len);
      return;
    case SF_TCPOPT_FASTOPEN:
      puts_(o, "FO");
      if (op->data_len > 0) {
        puts_(o, " ");
        put_hex(o, op->data, op->data_len);
      }
      return;
    case SF_TCPOPT_EXP:
      puts_(o, "FOEXP");
      if (op->data_len > 2) {
        puts_(o, " ");
        put_hex(o, op->data + 2, op->data_len - 2u);
      }
      return;
    default:
      break;
    }
  }
  putf(o, "kind %u len %u", op->kind, op->len);
  if (op->data_len > 0) {
    puts_(o, " ");
    put_hex(o, op->data, op->data_len);
  }
}

/* The option list without the brackets; nothing if there is none. */
static void put_options(out *o, const sf_pkt_tcp *t, uint32_t sack_base,
                        bool show_ts_val) {
  for (size_t i = 0; i < t->n_options; i++) {
    if (i > 0)
      puts_(o, ",");
    put_option(o, &t->options[i], sack_base, show_ts_val);
  }
  if (t->opt_malformed) {
    if (t->n_options > 0)
      puts_(o, ",");
    puts_(o, "malformed ");
    put_hex(o, t->opt_rest, t->opt_rest_len);
  }
}

static const char *icmp_type_name(uint8_t type) {
  /* packetdrill's names (icmp_packet.c) */
  switch (type) {
  case 0:
    return "echo_reply";
  case 3:
    return "unreachable";
  case 4:
    return "source_quench";
  case 5:
    return "redirect";
  case 8:
    return "echo_request";
  case 11:
    return "time_exceeded";
  case 12:
    return "parameter_problem";
  case 13:
    return "timestamp_request";
  case 14:
    return "timestamp_reply";
  case 15:
    return "information_request";
  case 16:
    return "information_reply";
  case 17:
    return "address_mask_request";
  case 18:
    return "address_mask_reply";
  default:
    return NULL;
  }
}

static const char *const unreachable_codes[] = {
    "net_unreachable",
    "host_unreachable",
    "protocol_unreachable",
    "port_unreachable",
    "frag_needed",
    "source_route_failed",
    "net_unknown",
    "host_unknown",
    "source_host_isolated",
    "net_prohibited",
    "host_prohibited",
    "net_unreachable_for_tos",
    "host_unreachable_for_tos",
    "packet_filtered",
    "precedence_violation",
    "precedence_cutoff",
};

static void put_icmp_type_code(out *o, const sf_pkt_icmp *c) {
  const char *t = icmp_type_name(c->type);
  if (t != NULL)
    puts_(o, t);
  else
    putf(o, "type_%u", c->type);
  if (c->type == 3 &&
      c->code < sizeof(unreachable_codes) / sizeof(unreachable_codes[0]))
    putf(o, " %s", unreachable_codes[c->code]);
  else if (c->code != 0)
    putf(o, " code_%u", c->code); /* packetdrill: no code means 0 */
}

static size_t sat_sub(size_t a, size_t b) {
  return a > b ? a - b : 0;
}

/* The quoted segment of an ICMP error, without brackets. */
static void put_icmp_quote(out *o, const sf_pkt_icmp *c, uint32_t base) {
  const sf_pkt_icmp_quote *q = &c->q;
  size_t ip_payload = q->ok ? sat_sub(q->total_len, (size_t)q->ihl * 4) : 0;
  if (q->ok && q->proto == SF_IPPROTO_TCP && q->has_seq) {
    /* packetdrill builds the quoted header with a 20-byte TCP header */
    size_t hl = q->has_doff && q->doff >= 5 ? (size_t)q->doff * 4 : 20;
    put_seq(o, q->seq - base, sat_sub(ip_payload, hl));
  } else if (q->ok && q->proto == SF_IPPROTO_UDP) {
    putf(o, "udp (%zu)", sat_sub(ip_payload, 8));
  } else {
    /* packetdrill's [raw (N)]: an ICMP message of N bytes */
    putf(o, "raw (%zu)", 8 + c->data_len);
  }
}

static void put_addr(out *o, uint32_t a) {
  putf(o, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}

/* ---- the attribute list in parentheses, and the trailing comment ---- */

typedef struct list {
  out *o;
  const char *open;
  const char *sep;
  bool any;
} list;

static void item(list *l) {
  puts_(l->o, l->any ? l->sep : l->open);
  l->any = true;
}

/* True if the script language can write these options (ip_opts). */
static bool ip_opts_writable(const uint8_t *opt, size_t n) {
  return sf_script_format_ip_opts(opt, n, NULL, 0) != 0;
}

size_t sf_pkt_format_ip_opts(const uint8_t *opt, size_t n, char *buf,
                             size_t cap) {
  size_t k = sf_script_format_ip_opts(opt, n, buf, cap);
  if (k)
    return k;
  out o = {buf, cap, 0};
  putf(&o, "%zu bytes:", n);
  for (size_t i = 0; i < n; i++)
    putf(&o, " %02x", opt[i]);
  if (cap)
    buf[o.len < cap ? o.len : cap - 1] = '\0';
  return o.len;
}

/* Options the script language can write, as `ip_opts <...>`, with the
 * EOL padding that follows the last option left out as the parser adds it
 * again. */
static void put_ip_opts(out *o, const sf_pkt_view *v) {
  const uint8_t *opt = v->pkt + 20;
  size_t n = v->ip.opt_len;
  size_t end = n;
  for (size_t e = n; e > 0 && opt[e - 1] == 0 && ((e + 2) & ~(size_t)3) == n;
       e--)
    if (ip_opts_writable(opt, e - 1))
      end = e - 1;
  char text[256];
  sf_script_format_ip_opts(opt, end, text, sizeof(text));
  putf(o, "ip_opts %s", text);
}

static void put_attrs(out *o, const sf_pkt_view *v, const sf_pkt_fmt *f) {
  bool in = f->dir == SF_DIR_IN;
  list l = {o, "(", ", ", false};
  if (f->show_ip) {
    unsigned ecn = v->ip.tos & 3;
    /* an ECN word on TCP only: the parser refuses ECN on UDP */
    if (v->l4 == SF_PKT_L4_TCP && (v->ip.tos & 0xfc) == 0 && ecn != 0) {
      static const char *const words[] = {"", "ect1", "ect0", "ce"};
      item(&l);
      puts_(o, words[ecn]);
    } else if (v->ip.tos != 0) {
      item(&l);
      putf(o, "tos 0x%x", v->ip.tos);
    }
    item(&l);
    putf(o, "ttl %u", v->ip.ttl);
  }
  /* synfin's extensions, inbound only */
  if (in && !v->ip.csum_ok) {
    item(&l);
    puts_(o, "ip_csum bad");
  }
  if (in && v->l4 == SF_PKT_L4_TCP && v->tcp.csum_checked && !v->tcp.csum_ok) {
    item(&l);
    puts_(o, "tcp_csum bad");
  }
  if (v->ip_ok && v->ip.opt_len > 0 &&
      ip_opts_writable(v->pkt + 20, v->ip.opt_len)) {
    item(&l);
    put_ip_opts(o, v);
    /* a source route under way goes to its next hop, not the peer */
    if (sf_ipv4_pseudo_dst(v->pkt, 20u + v->ip.opt_len) != v->ip.dst) {
      item(&l);
      puts_(o, "ip_dst ");
      put_addr(o, v->ip.dst);
    }
  }
  if (in && f->show_ip) {
    item(&l);
    putf(o, "ip_id %u", v->ip.id);
    if (v->ip.df) {
      item(&l);
      puts_(o, "df");
    }
  }
  if (l.any)
    puts_(o, ") ");
}

static void put_notes(out *o, const sf_pkt_view *v, const sf_pkt_fmt *f) {
  bool in = f->dir == SF_DIR_IN;
  list l = {o, " // ", ", ", false};
  if (f->show_ip && v->ip_ok) {
    item(&l);
    put_addr(o, v->ip.src);
    puts_(o, " > ");
    put_addr(o, v->ip.dst);
    if (!in)
      putf(o, " id %u%s", v->ip.id, v->ip.df ? " df" : "");
  }
  if (!in && v->ip_ok && !v->ip.csum_ok) {
    item(&l);
    puts_(o, "ip_csum bad");
  }
  if (v->ip.rf) {
    item(&l);
    puts_(o, "reserved IP flag");
  }
  if (v->ip.opt_len > 0 && !ip_opts_writable(v->pkt + 20, v->ip.opt_len)) {
    item(&l);
    putf(o, "ip options %u bytes", v->ip.opt_len);
  }
  if (v->ip.trailing > 0) {
    item(&l);
    putf(o, "trailing %zu bytes", v->ip.trailing);
  }
  switch (v->l4) {
  case SF_PKT_L4_TCP: {
    const sf_pkt_tcp *t = &v->tcp;
    if (!in && t->csum_checked && !t->csum_ok) {
      item(&l);
      puts_(o, "tcp_csum bad");
    }
    if (t->reserved != 0) {
      item(&l);
      putf(o, "reserved bits 0x%x", t->reserved);
    }
    if (!(t->flags & SF_TCP_ACK) && t->ack != 0) {
      item(&l);
      putf(o, "ack field %" PRIu32, t->ack);
    }
    if (!(t->flags & SF_TCP_URG) && t->urg != 0) {
      item(&l);
      putf(o, "urg field %u", t->urg);
    }
    break;
  }
  case SF_PKT_L4_UDP:
    if (v->udp.csum_checked && !v->udp.csum_ok) {
      item(&l);
      puts_(o, "udp_csum bad");
    }
    if (v->udp.len != v->udp.payload_len + 8) {
      item(&l);
      putf(o, "udp len field %u", v->udp.len);
    }
    break;
  case SF_PKT_L4_ICMP:
    if (v->icmp.csum_checked && !v->icmp.csum_ok) {
      item(&l);
      puts_(o, "icmp_csum bad");
    }
    break;
  case SF_PKT_L4_NONE:
  case SF_PKT_L4_OTHER:
    break;
  }
}

/* Why a packet prints as raw bytes. */
static void put_raw_reason(out *o, const sf_pkt_view *v) {
  if (v->error[0] != '\0') {
    puts_(o, v->error);
  } else if (v->ip.fragment) {
    putf(o, "fragment id %u offset %u%s, protocol %u", v->ip.id,
         v->ip.frag_off * 8u, v->ip.mf ? " MF" : "", v->ip.proto);
  } else {
    putf(o, "protocol %u", v->ip.proto);
  }
}

static bool prints_raw(const sf_pkt_view *v) {
  return v->error[0] != '\0' || !v->ip_ok || v->l4 == SF_PKT_L4_NONE ||
         v->l4 == SF_PKT_L4_OTHER;
}

/* ---- lines ---- */

static void fmt_tcp(out *o, const sf_pkt_view *v, const sf_pkt_fmt *f) {
  const sf_pkt_tcp *t = &v->tcp;
  bases b = bases_of(f);
  if (f->show_ports)
    putf(o, "%u>%u ", t->sport, t->dport);
  put_flags(o, t->flags);
  puts_(o, " ");
  put_seq(o, t->seq - b.seq, t->payload_len);
  if (t->flags & SF_TCP_ACK)
    putf(o, " ack %" PRIu32, t->ack - b.ack);
  if (f->show_win || f->dir == SF_DIR_IN)
    putf(o, " win %u", t->win);
  if (t->flags & SF_TCP_URG)
    putf(o, " urg %u", t->urg);
  if (t->n_options > 0 || t->opt_malformed) {
    puts_(o, " <");
    put_options(o, t, b.ack, ts_val_shown(f));
    puts_(o, ">");
  }
}

static void fmt_udp(out *o, const sf_pkt_view *v, const sf_pkt_fmt *f) {
  puts_(o, "udp ");
  if (f->show_ports)
    putf(o, "%u>%u ", v->udp.sport, v->udp.dport);
  putf(o, "(%zu)", v->udp.payload_len);
}

static void fmt_icmp(out *o, const sf_pkt_view *v, const sf_pkt_fmt *f) {
  const sf_pkt_icmp *c = &v->icmp;
  puts_(o, "icmp ");
  put_icmp_type_code(o, c);
  if (c->type == 3 && c->code == 4)
    putf(o, " mtu %u", c->mtu);
  if (c->type == 0 || c->type == 8)
    putf(o, " id %u seq %u (%zu)", c->id, c->seq, c->data_len);
  if (c->is_error) {
    puts_(o, " [");
    put_icmp_quote(o, c, bases_of(f).ack);
    puts_(o, "]");
  }
}

size_t sf_pkt_format(const sf_pkt_view *v, const sf_pkt_fmt *f, char *buf,
                     size_t cap) {
  out o = {buf, buf != NULL ? cap : 0, 0};
  char dir = f != NULL && f->dir == SF_DIR_IN ? '<' : '>';
  put(&o, &dir, 1);
  puts_(&o, " ");
  if (v == NULL || f == NULL) {
    puts_(&o, "raw // nothing decoded");
  } else if (prints_raw(v)) {
    puts_(&o, "raw");
    for (size_t i = 0; i < v->len; i++) {
      puts_(&o, " ");
      put_hex(&o, v->pkt + i, 1);
    }
    puts_(&o, " // ");
    put_raw_reason(&o, v);
  } else {
    put_attrs(&o, v, f);
    if (v->l4 == SF_PKT_L4_TCP)
      fmt_tcp(&o, v, f);
    else if (v->l4 == SF_PKT_L4_UDP)
      fmt_udp(&o, v, f);
    else
      fmt_icmp(&o, v, f);
    put_notes(&o, v, f);
  }
  finish(&o);
  return o.len;
}

/* ---- fields ---- */

typedef struct fields {
  sf_pkt_field *arr;
  size_t cap;
  size_t n;
  sf_pkt_field scratch; /* written when the caller's array is full */
} fields;

/* Starts a field; the caller writes its value into the returned buffer and
 * ends it with finish(). */
static out field(fields *fs, const char *name) {
  sf_pkt_field *fl = fs->n < fs->cap ? &fs->arr[fs->n] : &fs->scratch;
  fs->n++;
  fl->name = name;
  fl->value[0] = '\0';
  out o = {fl->value, sizeof(fl->value), 0};
  return o;
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void
fieldf(fields *fs, const char *name, const char *fmt, ...) {
  out o = field(fs, name);
  char tmp[128];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
  va_end(ap);
  if (n > 0)
    put(&o, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
  finish(&o);
}

static const char *csum_word(bool checked, bool ok) {
  return !checked ? "unchecked" : ok ? "ok" : "bad";
}

static void tcp_fields(fields *fs, const sf_pkt_tcp *t, const sf_pkt_fmt *f) {
  bases b = bases_of(f);
  out o = field(fs, "flags");
  put_flags(&o, t->flags);
  finish(&o);
  o = field(fs, "seq");
  put_seq(&o, t->seq - b.seq, t->payload_len);
  finish(&o);
  if (t->flags & SF_TCP_ACK)
    fieldf(fs, "ack", "%" PRIu32, t->ack - b.ack);
  else
    fieldf(fs, "ack", "%s", "");
  fieldf(fs, "win", "%u", t->win);
  if (t->flags & SF_TCP_URG)
    fieldf(fs, "urg", "%u", t->urg);
  else
    fieldf(fs, "urg", "%s", "");
  o = field(fs, "options");
  put_options(&o, t, b.ack, ts_val_shown(f));
  finish(&o);
  fieldf(fs, "sport", "%u", t->sport);
  fieldf(fs, "dport", "%u", t->dport);
  fieldf(fs, "tcp_csum", "%s", csum_word(t->csum_checked, t->csum_ok));
}

static void icmp_fields(fields *fs, const sf_pkt_icmp *c, const sf_pkt_fmt *f) {
  bool echo = c->type == 0 || c->type == 8;
  const char *tn = icmp_type_name(c->type);
  if (tn != NULL)
    fieldf(fs, "type", "%s", tn);
  else
    fieldf(fs, "type", "type_%u", c->type);
  fieldf(fs, "code", "%u", c->code);
  if (c->type == 3 && c->code == 4)
    fieldf(fs, "mtu", "%u", c->mtu);
  else
    fieldf(fs, "mtu", "%s", "");
  if (echo) {
    fieldf(fs, "id", "%u", c->id);
    fieldf(fs, "seq", "%u", c->seq);
    fieldf(fs, "len", "%zu", c->data_len);
  } else {
    fieldf(fs, "id", "%s", "");
    fieldf(fs, "seq", "%s", "");
    fieldf(fs, "len", "%s", "");
  }
  out o = field(fs, "quote");
  if (c->is_error)
    put_icmp_quote(&o, c, bases_of(f).ack);
  finish(&o);
  fieldf(fs, "icmp_csum", "%s", csum_word(c->csum_checked, c->csum_ok));
}

size_t sf_pkt_format_fields(const sf_pkt_view *v, const sf_pkt_fmt *f,
                            sf_pkt_field *arr, size_t cap) {
  if (v == NULL || f == NULL)
    return 0;
  fields fs;
  memset(&fs, 0, sizeof(fs));
  fs.arr = arr;
  fs.cap = arr != NULL ? cap : 0;
  bool raw = prints_raw(v);
  if (!raw && v->l4 == SF_PKT_L4_TCP) {
    tcp_fields(&fs, &v->tcp, f);
  } else if (!raw && v->l4 == SF_PKT_L4_UDP) {
    const sf_pkt_udp *u = &v->udp;
    fieldf(&fs, "sport", "%u", u->sport);
    fieldf(&fs, "dport", "%u", u->dport);
    fieldf(&fs, "len", "%zu", u->payload_len);
    fieldf(&fs, "udp_csum", "%s", csum_word(u->csum_checked, u->csum_ok));
  } else if (!raw && v->l4 == SF_PKT_L4_ICMP) {
    icmp_fields(&fs, &v->icmp, f);
  }
  if (v->ip_ok) {
    out o = field(&fs, "src");
    put_addr(&o, v->ip.src);
    finish(&o);
    o = field(&fs, "dst");
    put_addr(&o, v->ip.dst);
    finish(&o);
    fieldf(&fs, "tos", "0x%02x", v->ip.tos);
    fieldf(&fs, "ttl", "%u", v->ip.ttl);
    fieldf(&fs, "ip_id", "%u", v->ip.id);
    fieldf(&fs, "df", "%s", v->ip.df ? "1" : "0");
    fieldf(&fs, "ip_csum", "%s", v->ip.csum_ok ? "ok" : "bad");
  }
  if (raw) {
    out o = field(&fs, "error");
    put_raw_reason(&o, v);
    finish(&o);
    /* as many bytes as fit, then "..." */
    o = field(&fs, "raw");
    size_t max = (SF_PKT_FIELD_VALUE_MAX - 4) / 3;
    size_t n = v->len < max ? v->len : max;
    for (size_t i = 0; i < n; i++) {
      if (i > 0)
        puts_(&o, " ");
      put_hex(&o, v->pkt + i, 1);
    }
    if (n < v->len)
      puts_(&o, "...");
    finish(&o);
  }
  return fs.n;
}
