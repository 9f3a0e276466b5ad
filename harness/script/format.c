/* Prints an AST back as script text in canonical packetdrill syntax (synfin
 * extensions only where the AST uses them), one event per line, such that
 * parsing the text gives an equal AST: parse(format(parse(x))) == parse(x).
 * Used to write .pkt files for fuzz findings and in runners' reports. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "script_internal.h"
#include "synfin/ipv4_options.h"

typedef struct sb {
  char *buf;
  size_t len;
  size_t cap;
  bool oom;
} sb;

static void sb_put(sb *b, const char *s, size_t n) {
  if (b->oom)
    return;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (b->len + n + 1 > cap)
      cap *= 2;
    char *nb = realloc(b->buf, cap);
    if (nb == NULL) {
      b->oom = true;
      return;
    }
    b->buf = nb;
    b->cap = cap;
  }
  memcpy(b->buf + b->len, s, n);
  b->len += n;
  b->buf[b->len] = '\0';
}

static void sb_puts(sb *b, const char *s) {
  sb_put(b, s, strlen(s));
}

static void sb_printf(sb *b, const char *fmt, ...) SF_PRINTF(2, 3);
static void sb_printf(sb *b, const char *fmt, ...) {
  char tmp[256];
  va_list ap, ap2;
  va_start(ap, fmt);
  va_copy(ap2, ap);
  int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
  va_end(ap);
  if (n < 0) {
    b->oom = true;
  } else if ((size_t)n < sizeof(tmp)) {
    sb_put(b, tmp, (size_t)n);
  } else {
    char *big = malloc((size_t)n + 1);
    if (big == NULL) {
      b->oom = true;
    } else {
      vsnprintf(big, (size_t)n + 1, fmt, ap2);
      sb_put(b, big, (size_t)n);
      free(big);
    }
  }
  va_end(ap2);
}

static int sb_finish(sb *b, char **out, size_t *len) {
  if (!b->oom && b->buf == NULL)
    sb_put(b, "", 0);
  if (b->oom) {
    free(b->buf);
    *out = NULL;
    if (len != NULL)
      *len = 0;
    return -ENOMEM;
  }
  *out = b->buf;
  if (len != NULL)
    *len = b->len;
  return 0;
}

/* ---- times ---- */

static void fmt_seconds(sb *b, int64_t us) {
  int64_t secs = us / 1000000, frac = us % 1000000;
  if (frac == 0) {
    sb_printf(b, "%" PRId64, secs);
    return;
  }
  char digits[8];
  snprintf(digits, sizeof(digits), "%06" PRId64, frac);
  size_t n = 6;
  while (n > 1 && digits[n - 1] == '0')
    n--;
  digits[n] = '\0';
  sb_printf(b, "%" PRId64 ".%s", secs, digits);
}

static void fmt_time(sb *b, const sf_script_time *t) {
  switch (t->kind) {
  case SF_SCR_TIME_ANY:
    sb_puts(b, "*");
    return;
  case SF_SCR_TIME_ABSOLUTE:
    fmt_seconds(b, t->start_us);
    return;
  case SF_SCR_TIME_RELATIVE:
    sb_puts(b, "+");
    fmt_seconds(b, t->start_us);
    return;
  case SF_SCR_TIME_ABSOLUTE_RANGE:
    fmt_seconds(b, t->start_us);
    sb_puts(b, "~");
    fmt_seconds(b, t->end_us);
    return;
  case SF_SCR_TIME_RELATIVE_RANGE:
    sb_puts(b, "+");
    fmt_seconds(b, t->start_us);
    sb_puts(b, "~+");
    fmt_seconds(b, t->end_us);
    return;
  }
}

/* ---- packets ---- */

static void fmt_ipv4(sb *b, const uint8_t *a) {
  sb_printf(b, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
}

/* RFC 791 3.1: the route options are type, length, pointer, then 4-byte
 * addresses. */
static const char *route_name(uint8_t type) {
  return type == SF_IPOPT_RR     ? "rr"
         : type == SF_IPOPT_LSRR ? "lsrr"
         : type == SF_IPOPT_SSRR ? "ssrr"
                                 : NULL;
}

/* The options as the `ip_opts` attribute writes them; false (text left
 * unfinished) at an option the language cannot write. */
static bool ip_opts_text(sb *b, const uint8_t *opt, size_t n) {
  sb_puts(b, "<");
  for (size_t i = 0; i < n;) {
    if (i)
      sb_puts(b, ",");
    if (opt[i] == SF_IPOPT_EOL || opt[i] == SF_IPOPT_NOP) {
      sb_puts(b, opt[i] == SF_IPOPT_NOP ? "nop" : "eol");
      i++;
      continue;
    }
    const char *name = route_name(opt[i]);
    size_t len = n - i >= 2 ? opt[i + 1] : 0;
    const size_t hdr = SF_IPOPT_ROUTE_HDR;
    if (!name || n - i < hdr || len < hdr || len > n - i || (len - hdr) % 4)
      return false;
    sb_printf(b, "%s [", name);
    for (size_t k = hdr; k < len; k += 4) {
      if (k > hdr)
        sb_puts(b, " ");
      fmt_ipv4(b, opt + i + k);
    }
    sb_printf(b, "] ptr %u", opt[i + 2]);
    i += len;
  }
  sb_puts(b, ">");
  return true;
}

size_t sf_script_format_ip_opts(const uint8_t *opt, size_t n, char *buf,
                                size_t cap) {
  sb t = {0};
  size_t len = ip_opts_text(&t, opt, n) && !t.oom ? t.len : 0;
  if (cap) {
    size_t k = len < cap ? len : cap - 1;
    memcpy(buf, t.buf ? t.buf : "", k);
    buf[k] = '\0';
  }
  free(t.buf);
  return len;
}

/* ip_opts <...>: the bytes were built from items, so they can be written. */
static void fmt_ip_opts(sb *b, const sf_script_ip *ip) {
  sb_puts(b, "ip_opts ");
  ip_opts_text(b, ip->ip_opts, ip->ip_opts_len);
}

static void fmt_ip(sb *b, const sf_script_ip *ip) {
  static const char *const ecns[] = {
      [SF_SCR_ECN_NOECN] = "noecn", [SF_SCR_ECN_ECT0] = "ect0",
      [SF_SCR_ECN_ECT1] = "ect1",   [SF_SCR_ECN_ECT01] = "ect01",
      [SF_SCR_ECN_CE] = "ce",
  };
  uint32_t p = ip->present;
  if (p == 0 && ip->ecn == SF_SCR_ECN_UNSPEC)
    return;
  const char *sep = "(";
#define ITEM(...)                                                              \
  do {                                                                         \
    sb_puts(b, sep);                                                           \
    sb_printf(b, __VA_ARGS__);                                                 \
    sep = ", ";                                                                \
  } while (0)
  if (ip->ecn != SF_SCR_ECN_UNSPEC &&
      (unsigned)ip->ecn < sizeof(ecns) / sizeof(ecns[0]))
    ITEM("%s", ecns[ip->ecn]);
  if (p & SF_SCR_IP_TOS)
    ITEM("tos 0x%x", ip->tos);
  if (p & SF_SCR_IP_FLOWLABEL)
    ITEM("flowlabel 0x%x", ip->flowlabel);
  if (p & SF_SCR_IP_TTL)
    ITEM("ttl %u", ip->ttl);
  if (p & SF_SCR_IP_IP_CSUM_BAD)
    ITEM("ip_csum bad");
  if (p & SF_SCR_IP_TCP_CSUM_BAD)
    ITEM("tcp_csum bad");
  if (p & SF_SCR_IP_IHL)
    ITEM("ihl %u", ip->ihl);
  if (p & SF_SCR_IP_IP_LEN)
    ITEM("ip_len %u", ip->ip_len);
  if (p & SF_SCR_IP_IP_ID)
    ITEM("ip_id %u", ip->ip_id);
  if (p & SF_SCR_IP_IP_PROTO)
    ITEM("ip_proto %u", ip->ip_proto);
  if (p & SF_SCR_IP_DF)
    ITEM("df");
  if (p & SF_SCR_IP_FRAG_SIZE)
    ITEM("frag_size %u", ip->frag_size);
  if (p & SF_SCR_IP_FRAG_ORDER) {
    if (ip->frag_order == SF_SCR_FRAG_SHUFFLE)
      ITEM("frag_order shuffle(%" PRIu32 ")", ip->frag_seed);
    else if (ip->frag_order == SF_SCR_FRAG_REVERSE)
      ITEM("frag_order reverse");
  }
  if (p & SF_SCR_IP_TCP_DOFF)
    ITEM("tcp_doff %u", ip->tcp_doff);
  if (p & SF_SCR_IP_IP_OPTS) {
    ITEM("%s", "");
    fmt_ip_opts(b, ip);
  }
  if (p & SF_SCR_IP_IP_DST) {
    uint8_t a[4] = {(uint8_t)(ip->ip_dst >> 24), (uint8_t)(ip->ip_dst >> 16),
                    (uint8_t)(ip->ip_dst >> 8), (uint8_t)ip->ip_dst};
    ITEM("ip_dst ");
    fmt_ipv4(b, a);
  }
  if (p & SF_SCR_IP_ISN_CLOCK)
    ITEM("isn_clock_ns %" PRIu32, ip->isn_clock_ns);
#undef ITEM
  if (sep[0] == ',')
    sb_puts(b, ") ");
}

static void fmt_gre_fields(sb *b, const sf_script_gre *g) {
  sb_printf(b, "flags 0x%x, sum %u, off %u, key %" PRIu32 ", seq %" PRIu32,
            g->flags, g->sum, g->off, g->key, g->seq);
}

static void fmt_mpls(sb *b, const sf_script_mpls *m, size_t n) {
  for (size_t i = 0; i < n; i++) {
    sb_printf(b, "%s(label %" PRIu32 ", tc %u, %sttl %u)", i ? " " : "",
              m[i].label, m[i].tc, m[i].bottom ? "[S], " : "", m[i].ttl);
  }
}

static void fmt_encap(sb *b, const sf_script_encap *e) {
  switch (e->kind) {
  case SF_SCR_ENCAP_IPV4:
  case SF_SCR_ENCAP_IPV6:
    sb_puts(b, e->kind == SF_SCR_ENCAP_IPV4 ? "ipv4 " : "ipv6 ");
    fmt_ip(b, &e->ip);
    /* " :" after an IPv6 address, which may itself end in ':' */
    sb_printf(b, "%s > %s%s ", e->src, e->dst,
              e->kind == SF_SCR_ENCAP_IPV6 ? " :" : ":");
    return;
  case SF_SCR_ENCAP_GRE:
    sb_puts(b, "gre");
    if (e->gre.has_header) {
      sb_puts(b, " ");
      fmt_gre_fields(b, &e->gre);
    }
    sb_puts(b, ": ");
    return;
  case SF_SCR_ENCAP_MPLS:
    sb_puts(b, "mpls ");
    fmt_mpls(b, e->mpls, e->n_mpls);
    sb_puts(b, ": ");
    return;
  }
}

static void fmt_seq(sb *b, const sf_script_seq *s) {
  sb_printf(b, "%" PRIu32 ":%" PRIu32 "(%u)", s->start, s->end, s->len);
}

static void fmt_hex(sb *b, const uint8_t *h, size_t n) {
  for (size_t i = 0; i < n; i++)
    sb_printf(b, "%02x", h[i]);
}

static void fmt_option(sb *b, const sf_script_tcp_option *o) {
  switch (o->kind) {
  case SF_SCR_OPT_NOP:
    sb_puts(b, "nop");
    return;
  case SF_SCR_OPT_EOL:
    sb_puts(b, "eol");
    return;
  case SF_SCR_OPT_MSS:
    sb_printf(b, "mss %u", o->mss);
    return;
  case SF_SCR_OPT_WSCALE:
    if (o->wscale_any)
      sb_puts(b, "wscale *");
    else
      sb_printf(b, "wscale %u", o->wscale);
    return;
  case SF_SCR_OPT_SACK_PERMITTED:
    sb_puts(b, "sackOK");
    return;
  case SF_SCR_OPT_SACK:
    sb_puts(b, "sack");
    for (size_t i = 0; i < o->n_sack; i++)
      sb_printf(b, " %" PRIu32 ":%" PRIu32, o->sack[i].left, o->sack[i].right);
    return;
  case SF_SCR_OPT_TIMESTAMP:
    sb_printf(b, "TS val %" PRIu32 " ecr %" PRIu32, o->ts_val, o->ts_ecr);
    return;
  case SF_SCR_OPT_MD5:
  case SF_SCR_OPT_FAST_OPEN:
  case SF_SCR_OPT_FAST_OPEN_EXP:
    sb_puts(b, o->kind == SF_SCR_OPT_MD5         ? "md5"
               : o->kind == SF_SCR_OPT_FAST_OPEN ? "FO"
                                                 : "FOEXP");
    if (o->n_hex > 0) {
      sb_puts(b, " ");
      fmt_hex(b, o->hex, o->n_hex);
    }
    return;
  case SF_SCR_OPT_UNKNOWN:
    sb_puts(b, o->name);
    if (o->args != NULL && o->args[0] != '\0') {
      sb_puts(b, " ");
      sb_puts(b, o->args);
    }
    return;
  }
}

static void fmt_flags(sb *b, const sf_script_tcp *t) {
  /* Letters in a fixed order, then '.', then the ACE digit: "S.", "FP.",
   * "SEWA", "P.6". */
  static const struct {
    uint16_t bit;
    char c;
  } letters[] = {
      {SF_SCR_TCP_FIN, 'F'}, {SF_SCR_TCP_SYN, 'S'}, {SF_SCR_TCP_RST, 'R'},
      {SF_SCR_TCP_PSH, 'P'}, {SF_SCR_TCP_URG, 'U'}, {SF_SCR_TCP_ECE, 'E'},
      {SF_SCR_TCP_CWR, 'W'}, {SF_SCR_TCP_AE, 'A'},  {SF_SCR_TCP_ACK, '.'}};
  char s[16];
  size_t n = 0;
  for (size_t i = 0; i < sizeof(letters) / sizeof(letters[0]); i++)
    if (t->flags & letters[i].bit)
      s[n++] = letters[i].c;
  if (t->ace >= 0 && t->ace <= 7)
    s[n++] = (char)('0' + t->ace);
  if (n == 0)
    s[n++] = '-';
  sb_put(b, s, n);
}

static void fmt_tcp(sb *b, const sf_script_tcp *t) {
  fmt_flags(b, t);
  sb_puts(b, " ");
  fmt_seq(b, &t->seq);
  if (t->present & SF_SCR_TCP_HAS_ACK)
    sb_printf(b, " ack %" PRIu32, t->ack);
  if (t->present & SF_SCR_TCP_HAS_WIN)
    sb_printf(b, " win %u", t->win);
  if (t->present & SF_SCR_TCP_HAS_URG)
    sb_printf(b, " urg %u", t->urg);
  if (t->present & SF_SCR_TCP_HAS_OPTIONS) {
    if (t->options_any) {
      sb_puts(b, " <...>");
    } else {
      sb_puts(b, " <");
      for (size_t i = 0; i < t->n_options; i++) {
        if (i > 0)
          sb_puts(b, ",");
        fmt_option(b, &t->options[i]);
      }
      sb_puts(b, ">");
    }
  }
}

static void fmt_icmp(sb *b, const sf_script_icmp *c) {
  sb_printf(b, "icmp %s", c->type);
  if (c->code != NULL)
    sb_printf(b, " %s", c->code);
  if (c->present & SF_SCR_ICMP_HAS_MTU)
    sb_printf(b, " mtu %" PRIu32, c->mtu);
  if (c->present & SF_SCR_ICMP_HAS_ID)
    sb_printf(b, " id %u", c->id);
  if (c->present & SF_SCR_ICMP_HAS_SEQ)
    sb_printf(b, " seq %u", c->seq);
  if (c->present & SF_SCR_ICMP_HAS_LEN)
    sb_printf(b, " (%u)", c->len);
  switch (c->echoed) {
  case SF_SCR_ICMP_ECHOED_NONE:
    break;
  case SF_SCR_ICMP_ECHOED_TCP:
    sb_puts(b, " [");
    fmt_seq(b, &c->echoed_seq);
    sb_puts(b, "]");
    break;
  case SF_SCR_ICMP_ECHOED_UDP:
    sb_printf(b, " [udp (%u)]", c->echoed_len);
    break;
  case SF_SCR_ICMP_ECHOED_RAW:
    sb_printf(b, " [raw (%u)]", c->echoed_len);
    break;
  }
}

static void fmt_packet(sb *b, const sf_script_packet *p) {
  sb_puts(b, p->dir == SF_SCR_INBOUND ? "< " : "> ");
  if (p->kind == SF_SCR_PKT_RAW) {
    sb_puts(b, "raw");
    for (size_t i = 0; i < p->raw_len; i++)
      sb_printf(b, " %02x", p->raw[i]);
    return;
  }
  for (size_t i = 0; i < p->n_encaps; i++)
    fmt_encap(b, &p->encaps[i]);
  fmt_ip(b, &p->ip);
  switch (p->kind) {
  case SF_SCR_PKT_TCP:
    if (p->has_ports)
      sb_printf(b, "%u>%u ", p->sport, p->dport);
    fmt_tcp(b, &p->tcp);
    return;
  case SF_SCR_PKT_UDP:
    sb_puts(b, "udp ");
    if (p->has_ports)
      sb_printf(b, "%u>%u ", p->sport, p->dport);
    sb_printf(b, "(%u)", p->udp.len);
    return;
  case SF_SCR_PKT_ICMP:
    fmt_icmp(b, &p->icmp);
    return;
  case SF_SCR_PKT_RAW:
    return;
  }
}

/* ---- expressions ---- */

static void fmt_expr(sb *b, const sf_script_expr *e);

static void fmt_exprs(sb *b, sf_script_expr *const *items, size_t n,
                      const char *sep) {
  for (size_t i = 0; i < n; i++) {
    if (i > 0)
      sb_puts(b, sep);
    fmt_expr(b, items[i]);
  }
}

static void fmt_expr(sb *b, const sf_script_expr *e) {
  if (e == NULL)
    return;
  switch (e->kind) {
  case SF_SCR_EXPR_ELLIPSIS:
    sb_puts(b, "...");
    return;
  case SF_SCR_EXPR_INT:
    if (e->num.hex)
      sb_printf(b, "0x%" PRIx64, (uint64_t)e->num.value);
    else
      sb_printf(b, "%" PRId64, e->num.value);
    return;
  case SF_SCR_EXPR_WORD:
    sb_puts(b, e->word);
    return;
  case SF_SCR_EXPR_STRING:
    sb_puts(b, "\"");
    sb_puts(b, e->str.text);
    sb_puts(b, e->str.ellipsis ? "\"..." : "\"");
    return;
  case SF_SCR_EXPR_LIST:
    sb_puts(b, "[");
    fmt_exprs(b, e->list.items, e->list.n, ", ");
    sb_puts(b, "]");
    return;
  case SF_SCR_EXPR_STRUCT:
    sb_puts(b, "{");
    fmt_exprs(b, e->list.items, e->list.n, ", ");
    sb_puts(b, "}");
    return;
  case SF_SCR_EXPR_CALL:
    sb_puts(b, e->call.name);
    sb_puts(b, "(");
    fmt_exprs(b, e->call.args, e->call.n_args, ", ");
    sb_puts(b, ")");
    return;
  case SF_SCR_EXPR_ASSIGN:
    fmt_expr(b, e->assign.lhs);
    sb_puts(b, "=");
    fmt_expr(b, e->assign.rhs);
    return;
  case SF_SCR_EXPR_OR:
    fmt_exprs(b, e->list.items, e->list.n, "|");
    return;
  case SF_SCR_EXPR_GRE:
    sb_puts(b, "{");
    fmt_gre_fields(b, &e->gre);
    sb_puts(b, "}");
    return;
  case SF_SCR_EXPR_MPLS:
    sb_puts(b, "{");
    fmt_mpls(b, e->mpls.entries, e->mpls.n);
    sb_puts(b, "}");
    return;
  }
}

/* ---- events and scripts ---- */

static void fmt_syscall(sb *b, const sf_script_syscall *s) {
  sb_puts(b, s->name);
  sb_puts(b, "(");
  fmt_exprs(b, s->args, s->n_args, ", ");
  sb_puts(b, ") = ");
  fmt_expr(b, s->result);
  if (s->errno_name != NULL) {
    sb_printf(b, " %s", s->errno_name);
    if (s->errno_text != NULL) {
      sb_puts(b, " (");
      sb_puts(b, s->errno_text);
      sb_puts(b, ")");
    }
  }
  if (s->note != NULL) {
    sb_puts(b, " (");
    sb_puts(b, s->note);
    sb_puts(b, ")");
  }
}

static void fmt_event(sb *b, const sf_script_event *ev) {
  fmt_time(b, &ev->time);
  switch (ev->kind) {
  case SF_SCR_EV_PACKET:
    sb_puts(b, " ");
    fmt_packet(b, &ev->packet);
    return;
  case SF_SCR_EV_SYSCALL:
    if (ev->time.end_us != SF_SCRIPT_NO_END) {
      sb_puts(b, "...");
      fmt_seconds(b, ev->time.end_us);
    }
    sb_puts(b, " ");
    fmt_syscall(b, &ev->syscall);
    return;
  case SF_SCR_EV_COMMAND:
    sb_puts(b, " `");
    sb_puts(b, ev->command.text);
    sb_puts(b, "`");
    return;
  case SF_SCR_EV_CODE:
    sb_puts(b, " %{");
    sb_puts(b, ev->code.text);
    sb_puts(b, "}%");
    return;
  }
}

int sf_script_format_event(const sf_script_event *event, char **out,
                           size_t *len) {
  sb b = {0};
  fmt_event(&b, event);
  return sb_finish(&b, out, len);
}

int sf_script_format_expr(const sf_script_expr *expr, char **out, size_t *len) {
  sb b = {0};
  fmt_expr(&b, expr);
  return sb_finish(&b, out, len);
}

int sf_script_format(const sf_script *s, char **out, size_t *len) {
  sb b = {0};
  for (size_t i = 0; i < s->n_options; i++) {
    const sf_script_option *o = &s->options[i];
    sb_printf(&b, "--%s", o->name);
    if (o->value != NULL) {
      sb_puts(&b, o->quoted ? "=\"" : "=");
      sb_puts(&b, o->value);
      if (o->quoted)
        sb_puts(&b, "\"");
    }
    sb_puts(&b, "\n");
  }
  if (s->init_command != NULL) {
    sb_puts(&b, "`");
    sb_puts(&b, s->init_command);
    sb_puts(&b, "`\n");
  }
  for (size_t i = 0; i < s->n_events; i++) {
    fmt_event(&b, &s->events[i]);
    sb_puts(&b, "\n");
  }
  if (s->cleanup_command != NULL) {
    sb_puts(&b, "`");
    sb_puts(&b, s->cleanup_command);
    sb_puts(&b, "`\n");
  }
  return sb_finish(&b, out, len);
}
