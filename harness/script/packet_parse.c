/* Packet lines: `< (attrs) flags start:end(len) ack N win N urg N <opts>`,
 * udp, icmp, packetdrill's encapsulation headers and synfin's raw-hex
 * packets. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "script_internal.h"
#include "synfin/bytes.h"
#include "synfin/ipv4_options.h"

static int peek(sf_parser *p, const sf_tok **t) {
  return sf_lex_peek(&p->lx, t);
}

static bool peek_word(sf_parser *p, const char *w) {
  const sf_tok *t;
  return peek(p, &t) == 0 && sf_tok_is_word(t, w);
}

static bool peek_punct(sf_parser *p, char ch) {
  const sf_tok *t;
  return peek(p, &t) == 0 && sf_tok_is_punct(t, ch);
}

/* Consumes the word w or fails with "expected 'w' <context>". */
static int expect_word(sf_parser *p, const char *w, const char *context) {
  sf_tok t;
  int rc = sf_lex_next(&p->lx, &t);
  if (rc < 0)
    return rc;
  if (!sf_tok_is_word(&t, w))
    return sf_p_error(p, &t, true, "expected '%s' %s", w, context);
  return 0;
}

/* ---- IP attributes ---- */

/* Where a TCP-only attribute was given, to refuse it on other packets. */
typedef struct ip_ctx {
  bool inbound;
  bool encap;
  sf_tok tcp_only;  /* first tcp_csum / tcp_doff, kind EOF if none */
  sf_tok isn_clock; /* isn_clock_ns, kind EOF if none */
} ip_ctx;

static int attr_uint(sf_parser *p, sf_script_ip *ip, uint32_t bit,
                     const char *what, uint64_t max, uint64_t *v) {
  ip->present |= bit;
  return sf_p_uint(p, what, max, v, NULL);
}

/* An IPv4 address token as a host-order number. */
static int parse_ipv4_value(sf_parser *p, const char *context, uint32_t *out) {
  sf_tok t;
  int rc = sf_lex_next(&p->lx, &t);
  if (rc < 0)
    return rc;
  if (t.kind != SF_TOK_IPV4)
    return sf_p_error(p, &t, true, "expected an IPv4 address %s", context);
  char buf[24];
  struct in_addr a;
  snprintf(buf, sizeof(buf), "%.*s", (int)(t.len > 20 ? 20 : t.len), t.text);
  if (t.len > 20 || inet_pton(AF_INET, buf, &a) != 1)
    return sf_p_error(p, &t, false, "invalid IPv4 address '%s'", buf);
  *out = ntohl(a.s_addr);
  return 0;
}

/* Room for n more option bytes, padding to 32 bits included. */
static int ip_opts_room(sf_parser *p, const sf_script_ip *ip, size_t n,
                        const sf_tok *at) {
  if (((ip->ip_opts_len + n + 3) & ~(size_t)3) > SF_SCR_IP_OPTS_MAX)
    return sf_p_error(p, at, false, "IP options longer than %d bytes",
                      SF_SCR_IP_OPTS_MAX);
  return 0;
}

/* RFC 791 3.1: a route (lsrr, ssrr, rr) is type, length, pointer, then
 * the addresses: `lsrr [198.51.100.1 198.51.100.2] ptr 12`. */
static int parse_ip_route(sf_parser *p, sf_script_ip *ip, uint8_t type,
                          const sf_tok *w) {
  uint8_t item[SF_IPOPT_ROUTE_HDR + 4 * 9];
  size_t n = SF_IPOPT_ROUTE_HDR;
  int rc = sf_p_expect_punct(p, '[', "before the route's addresses");
  if (rc < 0)
    return rc;
  while (!peek_punct(p, ']')) {
    uint32_t a;
    if (n == sizeof(item)) {
      const sf_tok *t;
      peek(p, &t);
      return sf_p_error(p, t, false, "more than 9 addresses in a route");
    }
    if ((rc = parse_ipv4_value(p, "or ']' in a route", &a)) < 0)
      return rc;
    sf_put32(item + n, a);
    n += 4;
  }
  sf_lex_next(&p->lx, NULL);
  if ((rc = expect_word(p, "ptr", "after the route's addresses")) < 0)
    return rc;
  uint64_t ptr;
  if ((rc = sf_p_uint(p, "ptr", 255, &ptr, NULL)) < 0)
    return rc;
  if ((rc = ip_opts_room(p, ip, n, w)) < 0)
    return rc;
  item[0] = type;
  item[1] = (uint8_t)n;
  item[2] = (uint8_t)ptr;
  memcpy(ip->ip_opts + ip->ip_opts_len, item, n);
  ip->ip_opts_len = (uint8_t)(ip->ip_opts_len + n);
  return 0;
}

static int parse_ip_opt_item(sf_parser *p, sf_script_ip *ip) {
  static const struct {
    const char *name;
    uint8_t type;
  } items[] = {{"eol", SF_IPOPT_EOL},
               {"nop", SF_IPOPT_NOP},
               {"rr", SF_IPOPT_RR},
               {"lsrr", SF_IPOPT_LSRR},
               {"ssrr", SF_IPOPT_SSRR}};
  sf_tok w;
  int rc = sf_lex_next(&p->lx, &w);
  if (rc < 0)
    return rc;
  for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
    if (!sf_tok_is_word(&w, items[i].name))
      continue;
    if (items[i].type != SF_IPOPT_EOL && items[i].type != SF_IPOPT_NOP)
      return parse_ip_route(p, ip, items[i].type, &w);
    if ((rc = ip_opts_room(p, ip, 1, &w)) < 0)
      return rc;
    ip->ip_opts[ip->ip_opts_len++] = items[i].type;
    return 0;
  }
  return sf_p_error(p, &w, true,
                    "expected an IP option (nop, eol, lsrr, ssrr or rr)");
}

/* ip_opts <ITEM, ...>: the IPv4 options, byte for byte. */
static int parse_ip_opts(sf_parser *p, sf_script_ip *ip) {
  int rc = sf_p_expect_punct(p, '<', "after 'ip_opts'");
  if (rc < 0)
    return rc;
  for (;;) {
    if ((rc = parse_ip_opt_item(p, ip)) < 0)
      return rc;
    sf_tok t;
    if ((rc = sf_lex_next(&p->lx, &t)) < 0)
      return rc;
    if (sf_tok_is_punct(&t, '>'))
      return 0;
    if (!sf_tok_is_punct(&t, ','))
      return sf_p_error(p, &t, true, "expected ',' or '>' after an IP option");
  }
}

static int parse_ip_attr(sf_parser *p, sf_script_ip *ip, ip_ctx *c,
                         const sf_tok *w) {
  static const struct {
    const char *name;
    sf_script_ecn ecn;
  } ecns[] = {{"noecn", SF_SCR_ECN_NOECN},
              {"ect0", SF_SCR_ECN_ECT0},
              {"ect1", SF_SCR_ECN_ECT1},
              {"ect01", SF_SCR_ECN_ECT01},
              {"ce", SF_SCR_ECN_CE}};
  static const struct {
    const char *name;
    uint32_t bit;
  } attrs[] = {
      {"tos", SF_SCR_IP_TOS},
      {"flowlabel", SF_SCR_IP_FLOWLABEL},
      {"ttl", SF_SCR_IP_TTL},
      {"ip_csum", SF_SCR_IP_IP_CSUM_BAD},
      {"tcp_csum", SF_SCR_IP_TCP_CSUM_BAD},
      {"ihl", SF_SCR_IP_IHL},
      {"ip_len", SF_SCR_IP_IP_LEN},
      {"ip_id", SF_SCR_IP_IP_ID},
      {"ip_proto", SF_SCR_IP_IP_PROTO},
      {"df", SF_SCR_IP_DF},
      {"frag_size", SF_SCR_IP_FRAG_SIZE},
      {"frag_order", SF_SCR_IP_FRAG_ORDER},
      {"tcp_doff", SF_SCR_IP_TCP_DOFF},
      {"ip_opts", SF_SCR_IP_IP_OPTS},
      {"ip_dst", SF_SCR_IP_IP_DST},
      {"isn_clock_ns", SF_SCR_IP_ISN_CLOCK},
  };
  int rc;
  uint64_t v;
  char name[24];
  snprintf(name, sizeof(name), "%.*s", (int)(w->len > 20 ? 20 : w->len),
           w->text);

  for (size_t i = 0; i < sizeof(ecns) / sizeof(ecns[0]); i++) {
    if (!sf_tok_is_word(w, ecns[i].name))
      continue;
    if (ip->ecn != SF_SCR_ECN_UNSPEC)
      return sf_p_error(p, w, false, "duplicate ECN attribute '%s'", name);
    if (ip->present & SF_SCR_IP_TOS)
      return sf_p_error(p, w, false,
                        "'tos' and an ECN codepoint cannot both be given");
    if (ecns[i].ecn == SF_SCR_ECN_ECT01 && c->inbound)
      return sf_p_error(p, w, false,
                        "ect01 can only be used with outbound packets");
    ip->ecn = ecns[i].ecn;
    return 0;
  }

  uint32_t bit = 0;
  for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++)
    if (sf_tok_is_word(w, attrs[i].name))
      bit = attrs[i].bit;
  if (bit == 0)
    return sf_p_error(p, w, false,
                      "unknown IP attribute '%s' (expected e.g. ect0, "
                      "tos 0x10, ttl 64)",
                      name);
  if (ip->present & bit)
    return sf_p_error(p, w, false, "duplicate IP attribute '%s'", name);
  if ((bit & (SF_SCR_IP_IP_OPTS | SF_SCR_IP_IP_DST)) && c->encap)
    return sf_p_error(p, w, false,
                      "'%s' is not allowed in an encapsulation header", name);
  if (bit & SF_SCR_IP_EXTENSIONS) {
    if (c->encap)
      return sf_p_error(p, w, false,
                        "'%s' is not allowed in an encapsulation header", name);
    if (!c->inbound)
      return sf_p_error(p, w, false,
                        "'%s' can only be used with inbound packets", name);
  }
  if (bit == SF_SCR_IP_ISN_CLOCK && (c->encap || c->inbound))
    return sf_p_error(p, w, false,
                      "'%s' can only be used with outbound packets", name);
  if (bit == SF_SCR_IP_ISN_CLOCK)
    c->isn_clock = *w;
  if (bit == SF_SCR_IP_TCP_CSUM_BAD || bit == SF_SCR_IP_TCP_DOFF) {
    if (c->tcp_only.kind == SF_TOK_EOF)
      c->tcp_only = *w;
  }

  switch (bit) {
  case SF_SCR_IP_TOS:
    if (ip->ecn != SF_SCR_ECN_UNSPEC)
      return sf_p_error(p, w, false,
                        "'tos' and an ECN codepoint cannot both be given");
    rc = attr_uint(p, ip, bit, "tos", 0xff, &v);
    ip->tos = (uint8_t)v;
    return rc;
  case SF_SCR_IP_FLOWLABEL:
    rc = attr_uint(p, ip, bit, "flowlabel", 0xfffff, &v);
    ip->flowlabel = (uint32_t)v;
    return rc;
  case SF_SCR_IP_TTL:
    rc = attr_uint(p, ip, bit, "ttl", 0xff, &v);
    ip->ttl = (uint8_t)v;
    return rc;
  case SF_SCR_IP_IP_CSUM_BAD:
  case SF_SCR_IP_TCP_CSUM_BAD: {
    char ctx[48];
    snprintf(ctx, sizeof(ctx), "after '%s'", name);
    ip->present |= bit;
    return expect_word(p, "bad", ctx);
  }
  case SF_SCR_IP_IHL:
    rc = attr_uint(p, ip, bit, "ihl", 15, &v);
    ip->ihl = (uint8_t)v;
    return rc;
  case SF_SCR_IP_IP_LEN:
    rc = attr_uint(p, ip, bit, "ip_len", 0xffff, &v);
    ip->ip_len = (uint16_t)v;
    return rc;
  case SF_SCR_IP_IP_ID:
    rc = attr_uint(p, ip, bit, "ip_id", 0xffff, &v);
    ip->ip_id = (uint16_t)v;
    return rc;
  case SF_SCR_IP_IP_PROTO:
    rc = attr_uint(p, ip, bit, "ip_proto", 0xff, &v);
    ip->ip_proto = (uint8_t)v;
    return rc;
  case SF_SCR_IP_DF:
    ip->present |= bit;
    return 0;
  case SF_SCR_IP_FRAG_SIZE: {
    sf_tok t;
    ip->present |= bit;
    if ((rc = sf_p_uint(p, "frag_size", 0xffff, &v, &t)) < 0)
      return rc;
    if (v == 0 || v % 8 != 0)
      return sf_p_error(p, &t, false,
                        "frag_size %llu is not a positive multiple of 8",
                        (unsigned long long)v);
    ip->frag_size = (uint16_t)v;
    return 0;
  }
  case SF_SCR_IP_FRAG_ORDER: {
    sf_tok t;
    ip->present |= bit;
    if ((rc = sf_lex_next(&p->lx, &t)) < 0)
      return rc;
    if (sf_tok_is_word(&t, "reverse")) {
      ip->frag_order = SF_SCR_FRAG_REVERSE;
      return 0;
    }
    if (!sf_tok_is_word(&t, "shuffle"))
      return sf_p_error(p, &t, true,
                        "expected 'reverse' or 'shuffle(SEED)' after "
                        "'frag_order'");
    ip->frag_order = SF_SCR_FRAG_SHUFFLE;
    if ((rc = sf_p_expect_punct(p, '(', "after 'shuffle'")) < 0)
      return rc;
    if ((rc = sf_p_uint(p, "shuffle seed", UINT32_MAX, &v, NULL)) < 0)
      return rc;
    ip->frag_seed = (uint32_t)v;
    return sf_p_expect_punct(p, ')', "after the shuffle seed");
  }
  case SF_SCR_IP_TCP_DOFF:
    rc = attr_uint(p, ip, bit, "tcp_doff", 15, &v);
    ip->tcp_doff = (uint8_t)v;
    return rc;
  case SF_SCR_IP_IP_OPTS:
    ip->present |= bit;
    return parse_ip_opts(p, ip);
  case SF_SCR_IP_IP_DST:
    ip->present |= bit;
    return parse_ipv4_value(p, "after 'ip_dst'", &ip->ip_dst);
  case SF_SCR_IP_ISN_CLOCK: {
    sf_tok t;
    ip->present |= bit;
    if ((rc = sf_p_uint(p, "isn_clock_ns", 1000000000, &v, &t)) < 0)
      return rc;
    if (v == 0)
      return sf_p_error(p, &t, false, "isn_clock_ns must be positive");
    ip->isn_clock_ns = (uint32_t)v;
    return 0;
  }
  }
  return 0;
}

/* "(" or "[" attr, attr, ... ")" or "]". */
static int parse_ip_info(sf_parser *p, sf_script_ip *ip, ip_ctx *c) {
  sf_tok open;
  int rc = sf_lex_next(&p->lx, &open);
  if (rc < 0)
    return rc;
  char close = open.ch == '(' ? ')' : ']';
  sf_tok frag_order = {.kind = SF_TOK_EOF};
  for (;;) {
    sf_tok w;
    if ((rc = sf_lex_next(&p->lx, &w)) < 0)
      return rc;
    if (w.kind != SF_TOK_WORD)
      return sf_p_error(p, &w, true,
                        "expected an IP attribute (e.g. ect0, tos 0x10, "
                        "ttl 64)");
    if (sf_tok_is_word(&w, "frag_order"))
      frag_order = w;
    if ((rc = parse_ip_attr(p, ip, c, &w)) < 0)
      return rc;
    sf_tok t;
    if ((rc = sf_lex_next(&p->lx, &t)) < 0)
      return rc;
    if (sf_tok_is_punct(&t, close))
      break;
    if (!sf_tok_is_punct(&t, ','))
      return sf_p_error(p, &t, true, "expected ',' or '%c' after IP attribute",
                        close);
  }
  if ((ip->present & SF_SCR_IP_FRAG_ORDER) &&
      !(ip->present & SF_SCR_IP_FRAG_SIZE))
    return sf_p_error(p, &frag_order, false, "'frag_order' needs 'frag_size'");
  return 0;
}

/* ---- encapsulation headers ---- */

static int gre_value(sf_parser *p, const char *name, uint64_t max,
                     uint64_t *v) {
  if (peek_punct(p, ','))
    sf_lex_next(&p->lx, NULL);
  int rc = expect_word(p, name, "in GRE header");
  if (rc < 0)
    return rc;
  if (strcmp(name, "key") == 0 && peek_punct(p, '='))
    sf_lex_next(&p->lx, NULL);
  return sf_p_uint(p, name, max, v, NULL);
}

int sf_parse_gre_header(sf_parser *p, sf_script_gre *gre) {
  sf_tok t;
  int rc = sf_lex_next(&p->lx, &t);
  if (rc < 0)
    return rc;
  if (!sf_tok_is_word(&t, "flags") && !sf_tok_is_word(&t, "Flags"))
    return sf_p_error(p, &t, true, "expected 'flags' in GRE header");
  uint64_t v;
  if (peek_punct(p, '[')) {
    sf_lex_next(&p->lx, NULL);
    uint16_t flags = 0;
    for (;;) {
      sf_tok f;
      if ((rc = sf_lex_next(&p->lx, &f)) < 0)
        return rc;
      uint16_t bit;
      if (sf_tok_is_word(&f, "none")) {
        bit = 0;
      } else if (sf_tok_is_word(&f, "checksum")) {
        bit = 0x8000;
      } else if (sf_tok_is_word(&f, "key")) {
        bit = 0x2000;
      } else if (sf_tok_is_word(&f, "sequence")) {
        bit = 0x1000;
        if ((rc = sf_p_expect_punct(p, '#', "after 'sequence'")) < 0)
          return rc;
      } else {
        return sf_p_error(p, &f, true,
                          "expected 'none', 'checksum present', 'key "
                          "present' or 'sequence# present'");
      }
      if (bit != 0 &&
          (rc = expect_word(p, "present", "after a GRE flag name")) < 0)
        return rc;
      flags |= bit;
      sf_tok s;
      if ((rc = sf_lex_next(&p->lx, &s)) < 0)
        return rc;
      if (sf_tok_is_punct(&s, ']'))
        break;
      if (!sf_tok_is_punct(&s, ','))
        return sf_p_error(p, &s, true, "expected ',' or ']' in GRE flags");
    }
    gre->flags = flags;
  } else {
    if ((rc = sf_p_uint(p, "GRE flags", 0xffff, &v, NULL)) < 0)
      return rc;
    gre->flags = (uint16_t)v;
  }
  gre->has_header = true;
  if ((rc = gre_value(p, "sum", 0xffff, &v)) < 0)
    return rc;
  gre->sum = (uint16_t)v;
  if ((rc = gre_value(p, "off", 0xffff, &v)) < 0)
    return rc;
  gre->off = (uint16_t)v;
  if ((rc = gre_value(p, "key", UINT32_MAX, &v)) < 0)
    return rc;
  gre->key = (uint32_t)v;
  if ((rc = gre_value(p, "seq", UINT32_MAX, &v)) < 0)
    return rc;
  gre->seq = (uint32_t)v;
  return 0;
}

#define MAX_MPLS 16

int sf_parse_mpls_entries(sf_parser *p, bool need_one, sf_script_mpls **entries,
                          size_t *n) {
  sf_script_mpls e[MAX_MPLS];
  size_t count = 0;
  int rc;
  const sf_tok *pk;
  *entries = NULL;
  *n = 0;
  for (;;) {
    if ((rc = peek(p, &pk)) < 0)
      return rc;
    if (!sf_tok_is_punct(pk, '('))
      break;
    if (count == MAX_MPLS)
      return sf_p_error(p, pk, false, "too many MPLS labels (at most %d)",
                        MAX_MPLS);
    sf_lex_next(&p->lx, NULL);
    sf_script_mpls *m = &e[count++];
    memset(m, 0, sizeof(*m));
    uint64_t v;
    if ((rc = expect_word(p, "label", "in MPLS label stack entry")) < 0 ||
        (rc = sf_p_uint(p, "MPLS label", 0xfffff, &v, NULL)) < 0)
      return rc;
    m->label = (uint32_t)v;
    if ((rc = sf_p_expect_punct(p, ',', "after the MPLS label")) < 0 ||
        (rc = expect_word(p, "tc", "in MPLS label stack entry")) < 0 ||
        (rc = sf_p_uint(p, "MPLS traffic class", 7, &v, NULL)) < 0)
      return rc;
    m->tc = (uint8_t)v;
    if ((rc = sf_p_expect_punct(p, ',', "after the MPLS traffic class")) < 0)
      return rc;
    if (peek_punct(p, '[')) {
      sf_lex_next(&p->lx, NULL);
      if ((rc = expect_word(p, "S", "for the bottom of the MPLS stack")) < 0 ||
          (rc = sf_p_expect_punct(p, ']', "after '[S'")) < 0 ||
          (rc = sf_p_expect_punct(p, ',', "after '[S]'")) < 0)
        return rc;
      m->bottom = true;
    }
    if ((rc = expect_word(p, "ttl", "in MPLS label stack entry")) < 0 ||
        (rc = sf_p_uint(p, "MPLS ttl", 0xff, &v, NULL)) < 0)
      return rc;
    m->ttl = (uint8_t)v;
    if ((rc = sf_p_expect_punct(p, ')', "after the MPLS ttl")) < 0)
      return rc;
  }
  if (count == 0 && need_one)
    return sf_p_error(p, pk, true, "expected an MPLS label stack entry '('");
  if (count > 0) {
    *entries = sf_p_alloc(p, count * sizeof(e[0]));
    if (*entries == NULL)
      return sf_p_nomem(p);
    memcpy(*entries, e, count * sizeof(e[0]));
    *n = count;
  }
  return 0;
}

static int parse_address(sf_parser *p, bool v6, const char *kw,
                         const char **out) {
  sf_tok t;
  int rc;
  if (v6) {
    if ((rc = sf_lex_ipv6(&p->lx, &t)) < 0)
      return rc;
    if (t.len == 0) {
      const sf_tok *pk;
      if ((rc = peek(p, &pk)) < 0)
        return rc;
      return sf_p_error(p, pk, true, "expected an IPv6 address in '%s'", kw);
    }
  } else {
    if ((rc = sf_lex_next(&p->lx, &t)) < 0)
      return rc;
    if (t.kind != SF_TOK_IPV4)
      return sf_p_error(p, &t, true, "expected an IPv4 address in '%s'", kw);
  }
  char buf[64];
  unsigned char bin[16];
  snprintf(buf, sizeof(buf), "%.*s", (int)(t.len > 60 ? 60 : t.len), t.text);
  if (t.len > 60 || inet_pton(v6 ? AF_INET6 : AF_INET, buf, bin) != 1)
    return sf_p_error(p, &t, false, "invalid %s address '%s'",
                      v6 ? "IPv6" : "IPv4", buf);
  if ((*out = sf_p_strndup(p, t.text, t.len)) == NULL)
    return sf_p_nomem(p);
  return 0;
}

static int parse_encap(sf_parser *p, sf_script_encap *e, bool inbound) {
  sf_tok kw;
  int rc = sf_lex_next(&p->lx, &kw);
  if (rc < 0)
    return rc;
  e->pos = kw.pos;
  if (sf_tok_is_word(&kw, "ipv4") || sf_tok_is_word(&kw, "ipv6")) {
    bool v6 = kw.text[3] == '6';
    e->kind = v6 ? SF_SCR_ENCAP_IPV6 : SF_SCR_ENCAP_IPV4;
    if (peek_punct(p, '(') || peek_punct(p, '[')) {
      ip_ctx c = {.inbound = inbound, .encap = true};
      c.tcp_only.kind = SF_TOK_EOF;
      c.isn_clock.kind = SF_TOK_EOF;
      if ((rc = parse_ip_info(p, &e->ip, &c)) < 0)
        return rc;
    }
    const char *kwname = v6 ? "ipv6" : "ipv4";
    if ((rc = parse_address(p, v6, kwname, &e->src)) < 0)
      return rc;
    if ((rc = sf_p_expect_punct(p, '>', "between the addresses")) < 0)
      return rc;
    if ((rc = parse_address(p, v6, kwname, &e->dst)) < 0)
      return rc;
    return sf_p_expect_punct(p, ':', "after the addresses");
  }
  if (sf_tok_is_word(&kw, "gre")) {
    e->kind = SF_SCR_ENCAP_GRE;
    if (peek_punct(p, ','))
      sf_lex_next(&p->lx, NULL);
    if (!peek_punct(p, ':') && (rc = sf_parse_gre_header(p, &e->gre)) < 0)
      return rc;
    return sf_p_expect_punct(p, ':', "after the GRE header");
  }
  e->kind = SF_SCR_ENCAP_MPLS;
  if ((rc = sf_parse_mpls_entries(p, false, &e->mpls, &e->n_mpls)) < 0)
    return rc;
  return sf_p_expect_punct(p, ':', "after the MPLS label stack");
}

/* ---- TCP ---- */

static int parse_flags(sf_parser *p, sf_script_tcp *tcp) {
  const sf_tok *pk;
  int rc = peek(p, &pk);
  if (rc < 0)
    return rc;
  char c0 = pk->len > 0 ? pk->text[0] : '\0';
  bool alpha = (c0 >= 'A' && c0 <= 'Z') || (c0 >= 'a' && c0 <= 'z');
  if (pk->kind == SF_TOK_EOF || !(alpha || c0 == '.' || c0 == '-'))
    return sf_p_error(p, pk, true,
                      "expected TCP flags (e.g. S, S., ., P., F. or -)");
  sf_tok f;
  if ((rc = sf_lex_flags(&p->lx, &f)) < 0)
    return rc;
  tcp->ace = -1;
  if (f.len == 1 && f.text[0] == '-')
    return 0;
  static const char letters[] = "FSRP.UEWA";
  for (size_t i = 0; i < f.len; i++) {
    char c = f.text[i];
    sf_tok at = f;
    at.pos.column += (uint32_t)i;
    const char *l = c != '\0' ? strchr(letters, c) : NULL;
    if (l != NULL) {
      if (tcp->ace >= 0 && (c == 'E' || c == 'W' || c == 'A'))
        return sf_p_error(p, &at, false,
                          "conflicting TCP flag '%c' in '%.*s': ECN flags "
                          "and an ACE digit exclude each other",
                          c, (int)(f.len > 20 ? 20 : f.len), f.text);
      tcp->flags |= (uint16_t)(1u << (l - letters));
    } else if (c >= '0' && c <= '7') {
      if (tcp->ace >= 0 ||
          (tcp->flags & (SF_SCR_TCP_ECE | SF_SCR_TCP_CWR | SF_SCR_TCP_AE)))
        return sf_p_error(p, &at, false,
                          "conflicting TCP flag '%c' in '%.*s': ECN flags "
                          "and an ACE digit exclude each other",
                          c, (int)(f.len > 20 ? 20 : f.len), f.text);
      tcp->ace = (int8_t)(c - '0');
    } else {
      return sf_p_error(p, &at, false,
                        "invalid TCP flag '%c' in '%.*s' (flags are "
                        "F S R P . U E W A, an ACE digit 0-7, or -)",
                        c, (int)(f.len > 20 ? 20 : f.len), f.text);
    }
  }
  return 0;
}

static int parse_seq(sf_parser *p, sf_script_seq *seq, const char *context) {
  const sf_tok *pk;
  int rc = peek(p, &pk);
  if (rc < 0)
    return rc;
  if (pk->kind != SF_TOK_INT && pk->kind != SF_TOK_HEX)
    return sf_p_error(p, pk, true,
                      "expected sequence range start:end(length) %s", context);
  sf_tok first = *pk;
  uint64_t start, end, len;
  if ((rc = sf_p_uint(p, "sequence number", UINT32_MAX, &start, NULL)) < 0 ||
      (rc = sf_p_expect_punct(p, ':', "in sequence range start:end(length)")) <
          0 ||
      (rc = sf_p_uint(p, "sequence number", UINT32_MAX, &end, NULL)) < 0 ||
      (rc = sf_p_expect_punct(p, '(', "after sequence range end")) < 0 ||
      (rc = sf_p_uint(p, "payload length", 0xffff, &len, NULL)) < 0 ||
      (rc = sf_p_expect_punct(p, ')', "after payload length")) < 0)
    return rc;
  if (end != start + len)
    return sf_p_error(p, &first, false,
                      "inconsistent sequence range: end %llu is not start "
                      "%llu + length %llu",
                      (unsigned long long)end, (unsigned long long)start,
                      (unsigned long long)len);
  seq->start = (uint32_t)start;
  seq->end = (uint32_t)end;
  seq->len = (uint16_t)len;
  return 0;
}

/* A hex string after md5 / FO: a WORD or INT token of hex digit pairs. */
static int parse_hex_blob(sf_parser *p, const sf_tok *t, const char *kw,
                          sf_script_tcp_option *o) {
  if (t->len % 2 != 0)
    return sf_p_error(p, t, false, "odd number of hex digits after '%s'", kw);
  if (t->len / 2 > SF_SCRIPT_MAX_HEX_BYTES)
    return sf_p_error(p, t, false, "'%s' value longer than %d bytes", kw,
                      SF_SCRIPT_MAX_HEX_BYTES);
  for (size_t i = 0; i < t->len; i += 2) {
    unsigned b = 0;
    for (size_t k = i; k < i + 2; k++) {
      char c = t->text[k];
      unsigned d;
      if (c >= '0' && c <= '9')
        d = (unsigned)(c - '0');
      else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
        d = (unsigned)((c | 0x20) - 'a' + 10);
      else
        return sf_p_error(p, t, false, "invalid hex digit '%c' after '%s'", c,
                          kw);
      b = b << 4 | d;
    }
    o->hex[o->n_hex++] = (uint8_t)b;
  }
  return 0;
}

/* The tokens after an unknown option's name, up to ',' or '>' outside
 * brackets, joined by single spaces where the source had space. */
static int unknown_args(sf_parser *p, const sf_tok *name, const char **out) {
  size_t cap = 64, n = 0;
  char *buf = malloc(cap);
  if (buf == NULL)
    return sf_p_nomem(p);
  int depth = 0, rc = 0;
  const char *prev_end = name->text + name->len;
  for (;;) {
    const sf_tok *pk;
    if ((rc = peek(p, &pk)) < 0)
      break;
    if (pk->kind == SF_TOK_EOF || pk->kind == SF_TOK_BACKQUOTE ||
        pk->kind == SF_TOK_CODE || pk->kind == SF_TOK_OPTION ||
        sf_tok_is_punct(pk, '<')) {
      rc = sf_p_error(p, pk, true, "expected ',' or '>' after TCP option");
      break;
    }
    if (depth == 0 && (sf_tok_is_punct(pk, ',') || sf_tok_is_punct(pk, '>')))
      break;
    if (sf_tok_is_punct(pk, '(') || sf_tok_is_punct(pk, '[') ||
        sf_tok_is_punct(pk, '{')) {
      if (++depth > SF_SCRIPT_MAX_DEPTH) {
        rc = sf_p_error(p, pk, false, "TCP option nested too deeply");
        break;
      }
    } else if (depth > 0 &&
               (sf_tok_is_punct(pk, ')') || sf_tok_is_punct(pk, ']') ||
                sf_tok_is_punct(pk, '}'))) {
      depth--;
    }
    bool space = n > 0 && pk->text != prev_end;
    if (n + pk->len + 2 > cap) {
      while (n + pk->len + 2 > cap)
        cap *= 2;
      char *nb = realloc(buf, cap);
      if (nb == NULL) {
        rc = sf_p_nomem(p);
        break;
      }
      buf = nb;
    }
    if (space)
      buf[n++] = ' ';
    memcpy(buf + n, pk->text, pk->len);
    n += pk->len;
    prev_end = pk->text + pk->len;
    sf_lex_next(&p->lx, NULL);
  }
  if (rc == 0 && (*out = sf_p_strndup(p, buf, n)) == NULL)
    rc = sf_p_nomem(p);
  free(buf);
  return rc;
}

static size_t option_bytes(const sf_script_tcp_option *o) {
  switch (o->kind) {
  case SF_SCR_OPT_NOP:
  case SF_SCR_OPT_EOL:
    return 1;
  case SF_SCR_OPT_MSS:
    return 4;
  case SF_SCR_OPT_WSCALE:
    return 3;
  case SF_SCR_OPT_SACK_PERMITTED:
    return 2;
  case SF_SCR_OPT_SACK:
    return 2 + 8 * o->n_sack;
  case SF_SCR_OPT_TIMESTAMP:
    return 10;
  case SF_SCR_OPT_MD5:
  case SF_SCR_OPT_FAST_OPEN:
    return 2 + o->n_hex;
  case SF_SCR_OPT_FAST_OPEN_EXP:
    return 4 + o->n_hex;
  case SF_SCR_OPT_UNKNOWN:
    return 0; /* unknown; the runner decides */
  }
  return 0;
}

static int parse_option(sf_parser *p, sf_script_tcp_option *o,
                        const sf_tok *w) {
  int rc;
  uint64_t v;
  o->pos = w->pos;
  if (sf_tok_is_word(w, "nop")) {
    o->kind = SF_SCR_OPT_NOP;
  } else if (sf_tok_is_word(w, "eol")) {
    o->kind = SF_SCR_OPT_EOL;
  } else if (sf_tok_is_word(w, "sackOK")) {
    o->kind = SF_SCR_OPT_SACK_PERMITTED;
  } else if (sf_tok_is_word(w, "mss")) {
    o->kind = SF_SCR_OPT_MSS;
    if ((rc = sf_p_uint(p, "mss", 0xffff, &v, NULL)) < 0)
      return rc;
    o->mss = (uint16_t)v;
  } else if (sf_tok_is_word(w, "wscale")) {
    o->kind = SF_SCR_OPT_WSCALE;
    if (peek_punct(p, '*')) {
      sf_lex_next(&p->lx, NULL);
      o->wscale_any = true;
    } else {
      if ((rc = sf_p_uint(p, "wscale", 0xff, &v, NULL)) < 0)
        return rc;
      o->wscale = (uint8_t)v;
    }
  } else if (sf_tok_is_word(w, "sack")) {
    o->kind = SF_SCR_OPT_SACK;
    const sf_tok *pk;
    for (;;) {
      if ((rc = peek(p, &pk)) < 0)
        return rc;
      if (pk->kind != SF_TOK_INT && pk->kind != SF_TOK_HEX)
        break;
      if (o->n_sack == SF_SCRIPT_MAX_SACK_BLOCKS)
        return sf_p_error(p, pk, false, "too many SACK blocks (at most %d)",
                          SF_SCRIPT_MAX_SACK_BLOCKS);
      uint64_t l, r;
      if ((rc = sf_p_uint(p, "SACK sequence number", UINT32_MAX, &l, NULL)) <
              0 ||
          (rc = sf_p_expect_punct(p, ':', "in SACK block left:right")) < 0 ||
          (rc = sf_p_uint(p, "SACK sequence number", UINT32_MAX, &r, NULL)) < 0)
        return rc;
      o->sack[o->n_sack].left = (uint32_t)l;
      o->sack[o->n_sack].right = (uint32_t)r;
      o->n_sack++;
    }
    if (o->n_sack == 0)
      return sf_p_error(p, pk, true, "expected a SACK block left:right");
  } else if (sf_tok_is_word(w, "TS")) {
    o->kind = SF_SCR_OPT_TIMESTAMP;
    if ((rc = expect_word(p, "val", "after 'TS'")) < 0 ||
        (rc = sf_p_uint(p, "TS val", UINT32_MAX, &v, NULL)) < 0)
      return rc;
    o->ts_val = (uint32_t)v;
    if ((rc = expect_word(p, "ecr", "after the TS val")) < 0 ||
        (rc = sf_p_uint(p, "TS ecr", UINT32_MAX, &v, NULL)) < 0)
      return rc;
    o->ts_ecr = (uint32_t)v;
  } else if (sf_tok_is_word(w, "md5") || sf_tok_is_word(w, "FO") ||
             sf_tok_is_word(w, "FOEXP")) {
    bool md5 = w->text[0] == 'm';
    o->kind = md5           ? SF_SCR_OPT_MD5
              : w->len == 2 ? SF_SCR_OPT_FAST_OPEN
                            : SF_SCR_OPT_FAST_OPEN_EXP;
    const char *kw = md5 ? "md5" : w->len == 2 ? "FO" : "FOEXP";
    const sf_tok *pk;
    if ((rc = peek(p, &pk)) < 0)
      return rc;
    if ((pk->kind == SF_TOK_WORD || pk->kind == SF_TOK_INT) && !pk->negative) {
      sf_tok t;
      sf_lex_next(&p->lx, &t);
      if ((rc = parse_hex_blob(p, &t, kw, o)) < 0)
        return rc;
    } else if (md5) {
      return sf_p_error(p, pk, true, "expected a hex digest after 'md5'");
    }
  } else {
    o->kind = SF_SCR_OPT_UNKNOWN;
    if ((o->name = sf_p_strndup(p, w->text, w->len)) == NULL)
      return sf_p_nomem(p);
    return unknown_args(p, w, &o->args);
  }
  return 0;
}

static int parse_options(sf_parser *p, sf_script_packet *pkt) {
  sf_script_tcp *tcp = &pkt->tcp;
  sf_tok open;
  int rc = sf_lex_next(&p->lx, &open);
  if (rc < 0)
    return rc;
  tcp->present |= SF_SCR_TCP_HAS_OPTIONS;
  const sf_tok *pk;
  if ((rc = peek(p, &pk)) < 0)
    return rc;
  if (pk->kind == SF_TOK_ELLIPSIS) {
    if (pkt->dir == SF_SCR_INBOUND)
      return sf_p_error(p, &open, false,
                        "<...> for TCP options can only be used with "
                        "outbound packets");
    sf_lex_next(&p->lx, NULL);
    tcp->options_any = true;
    return sf_p_expect_punct(p, '>', "after '<...'");
  }
  sf_script_tcp_option opts[SF_SCRIPT_MAX_TCP_OPTIONS];
  size_t n = 0, bytes = 0;
  for (;;) {
    sf_tok w;
    if ((rc = sf_lex_next(&p->lx, &w)) < 0)
      return rc;
    if (w.kind != SF_TOK_WORD)
      return sf_p_error(p, &w, true,
                        "expected a TCP option (e.g. mss 1460, nop, sackOK)");
    if (n == SF_SCRIPT_MAX_TCP_OPTIONS)
      return sf_p_error(p, &w, false, "too many TCP options (at most %d)",
                        SF_SCRIPT_MAX_TCP_OPTIONS);
    sf_script_tcp_option *o = &opts[n++];
    memset(o, 0, sizeof(*o));
    if ((rc = parse_option(p, o, &w)) < 0)
      return rc;
    bytes += option_bytes(o);
    sf_tok t;
    if ((rc = sf_lex_next(&p->lx, &t)) < 0)
      return rc;
    if (sf_tok_is_punct(&t, '>'))
      break;
    if (!sf_tok_is_punct(&t, ','))
      return sf_p_error(p, &t, true, "expected ',' or '>' after TCP option");
  }
  if (bytes > SF_SCRIPT_MAX_OPT_BYTES)
    return sf_p_error(p, &open, false,
                      "TCP options take %zu bytes, more than the %d there "
                      "is room for",
                      bytes, SF_SCRIPT_MAX_OPT_BYTES);
  tcp->options = sf_p_alloc(p, n * sizeof(opts[0]));
  if (tcp->options == NULL)
    return sf_p_nomem(p);
  memcpy(tcp->options, opts, n * sizeof(opts[0]));
  tcp->n_options = n;
  return 0;
}

/* True if t can start what follows a packet: the next event (a time or
 * '*'), the cleanup command or the end of the file. */
static bool ends_packet(const sf_tok *t) {
  return t->kind == SF_TOK_EOF || t->kind == SF_TOK_INT ||
         t->kind == SF_TOK_FLOAT || t->kind == SF_TOK_BACKQUOTE ||
         sf_tok_is_punct(t, '+') || sf_tok_is_punct(t, '*');
}

static int parse_tcp(sf_parser *p, sf_script_packet *pkt, const sf_tok *dir) {
  sf_script_tcp *tcp = &pkt->tcp;
  int rc;
  uint64_t v;
  if ((rc = parse_flags(p, tcp)) < 0 ||
      (rc = parse_seq(p, &tcp->seq, "after TCP flags")) < 0)
    return rc;
  const char *expect = "'ack', 'win', 'urg' or '<' after sequence range";
  if (peek_word(p, "ack")) {
    sf_lex_next(&p->lx, NULL);
    if ((rc = sf_p_uint(p, "ack number", UINT32_MAX, &v, NULL)) < 0)
      return rc;
    tcp->ack = (uint32_t)v;
    tcp->present |= SF_SCR_TCP_HAS_ACK;
    expect = "'win', 'urg' or '<' after ack number";
  }
  if (peek_word(p, "win")) {
    sf_lex_next(&p->lx, NULL);
    if ((rc = sf_p_uint(p, "window", 0xffff, &v, NULL)) < 0)
      return rc;
    tcp->win = (uint16_t)v;
    tcp->present |= SF_SCR_TCP_HAS_WIN;
    expect = "'urg' or '<' after window";
  }
  if (peek_word(p, "urg")) {
    sf_lex_next(&p->lx, NULL);
    if ((rc = sf_p_uint(p, "urgent pointer", 0xffff, &v, NULL)) < 0)
      return rc;
    tcp->urg = (uint16_t)v;
    tcp->present |= SF_SCR_TCP_HAS_URG;
    expect = "'<' after urgent pointer";
  }
  if (peek_punct(p, '<')) {
    if ((rc = parse_options(p, pkt)) < 0)
      return rc;
    expect = "the next event after TCP options";
  }
  const sf_tok *pk;
  if ((rc = peek(p, &pk)) < 0)
    return rc;
  if (!ends_packet(pk))
    return sf_p_error(p, pk, true, "expected %s", expect);
  if (pkt->dir == SF_SCR_INBOUND && !(tcp->present & SF_SCR_TCP_HAS_WIN))
    return sf_p_error(p, dir, false,
                      "inbound TCP packets need a window ('win N')");
  return 0;
}

/* ---- UDP, ICMP, raw ---- */

/* Optional "sport>dport". */
static int parse_ports(sf_parser *p, sf_script_packet *pkt) {
  sf_lex_mark mark = sf_lex_save(&p->lx);
  const sf_tok *pk;
  int rc = peek(p, &pk);
  if (rc < 0)
    return rc;
  if (pk->kind != SF_TOK_INT)
    return 0;
  sf_lex_next(&p->lx, NULL);
  bool ports = peek_punct(p, '>');
  sf_lex_restore(&p->lx, mark);
  if (!ports)
    return 0;
  uint64_t s, d;
  if ((rc = sf_p_uint(p, "source port", 0xffff, &s, NULL)) < 0 ||
      (rc = sf_p_expect_punct(p, '>', "between the ports")) < 0 ||
      (rc = sf_p_uint(p, "destination port", 0xffff, &d, NULL)) < 0)
    return rc;
  pkt->has_ports = true;
  pkt->sport = (uint16_t)s;
  pkt->dport = (uint16_t)d;
  return 0;
}

static int parse_udp(sf_parser *p, sf_script_packet *pkt, const sf_tok *kw) {
  uint64_t v;
  int rc;
  if (pkt->ip.ecn != SF_SCR_ECN_UNSPEC)
    return sf_p_error(p, kw, false, "ECN can only be used with TCP packets");
  if ((rc = parse_ports(p, pkt)) < 0 ||
      (rc = sf_p_expect_punct(p, '(', "after 'udp'")) < 0 ||
      (rc = sf_p_uint(p, "UDP payload length", 0xffff, &v, NULL)) < 0 ||
      (rc = sf_p_expect_punct(p, ')', "after UDP payload length")) < 0)
    return rc;
  pkt->udp.len = (uint16_t)v;
  return 0;
}

static bool is_echo(const sf_script_icmp *icmp) {
  return strcmp(icmp->type, "echo_request") == 0 ||
         strcmp(icmp->type, "echo_reply") == 0;
}

static int parse_icmp(sf_parser *p, sf_script_packet *pkt) {
  sf_script_icmp *icmp = &pkt->icmp;
  sf_tok t;
  uint64_t v;
  int rc = sf_lex_next(&p->lx, &t);
  if (rc < 0)
    return rc;
  if (t.kind != SF_TOK_WORD)
    return sf_p_error(p, &t, true,
                      "expected an ICMP type (e.g. unreachable, "
                      "echo_request)");
  if ((icmp->type = sf_p_strndup(p, t.text, t.len)) == NULL)
    return sf_p_nomem(p);
  const sf_tok *pk;
  if ((rc = peek(p, &pk)) < 0)
    return rc;
  if (pk->kind == SF_TOK_WORD && !sf_tok_is_word(pk, "mtu") &&
      !sf_tok_is_word(pk, "id") && !sf_tok_is_word(pk, "seq")) {
    if ((icmp->code = sf_p_strndup(p, pk->text, pk->len)) == NULL)
      return sf_p_nomem(p);
    sf_lex_next(&p->lx, NULL);
  }
  if (peek_word(p, "mtu")) {
    sf_lex_next(&p->lx, NULL);
    if ((rc = sf_p_uint(p, "ICMP mtu", UINT32_MAX, &v, NULL)) < 0)
      return rc;
    icmp->mtu = (uint32_t)v;
    icmp->present |= SF_SCR_ICMP_HAS_MTU;
  }
  if (peek_word(p, "id")) {
    sf_lex_next(&p->lx, NULL);
    if ((rc = sf_p_uint(p, "ICMP id", 0xffff, &v, NULL)) < 0)
      return rc;
    icmp->id = (uint16_t)v;
    icmp->present |= SF_SCR_ICMP_HAS_ID;
  }
  /* synfin: echo sequence number and data length, where packetdrill
   * accepts neither 'seq' nor '(' */
  if ((rc = peek(p, &pk)) < 0)
    return rc;
  if ((sf_tok_is_word(pk, "seq") || sf_tok_is_punct(pk, '(')) && !is_echo(icmp))
    return sf_p_error(p, pk, true,
                      "expected the end of the ICMP packet ('seq' and "
                      "'(length)' are for echo_request and echo_reply)");
  if (sf_tok_is_word(pk, "seq")) {
    sf_lex_next(&p->lx, NULL);
    if ((rc = sf_p_uint(p, "ICMP sequence number", 0xffff, &v, NULL)) < 0)
      return rc;
    icmp->seq = (uint16_t)v;
    icmp->present |= SF_SCR_ICMP_HAS_SEQ;
  }
  if (peek_punct(p, '(')) {
    sf_lex_next(&p->lx, NULL);
    if ((rc = sf_p_uint(p, "ICMP echo data length", 0xffff, &v, NULL)) < 0 ||
        (rc = sf_p_expect_punct(p, ')', "after ICMP echo data length")) < 0)
      return rc;
    icmp->len = (uint16_t)v;
    icmp->present |= SF_SCR_ICMP_HAS_LEN;
  }
  if (peek_punct(p, '[')) {
    sf_lex_next(&p->lx, NULL);
    if ((rc = peek(p, &pk)) < 0)
      return rc;
    if (sf_tok_is_word(pk, "udp") || sf_tok_is_word(pk, "raw")) {
      bool udp = pk->text[0] == 'u';
      sf_lex_next(&p->lx, NULL);
      icmp->echoed = udp ? SF_SCR_ICMP_ECHOED_UDP : SF_SCR_ICMP_ECHOED_RAW;
      if ((rc = sf_p_expect_punct(p, '(',
                                  udp ? "after 'udp'" : "after 'raw'")) < 0 ||
          (rc = sf_p_uint(p, "payload length", 0xffff, &v, NULL)) < 0 ||
          (rc = sf_p_expect_punct(p, ')', "after payload length")) < 0)
        return rc;
      icmp->echoed_len = (uint16_t)v;
    } else {
      icmp->echoed = SF_SCR_ICMP_ECHOED_TCP;
      if ((rc = parse_seq(p, &icmp->echoed_seq,
                          "or 'udp (N)' in the quoted packet")) < 0)
        return rc;
    }
    if ((rc = sf_p_expect_punct(p, ']', "after the quoted packet")) < 0)
      return rc;
  }
  if ((rc = peek(p, &pk)) < 0)
    return rc;
  if (!ends_packet(pk))
    return sf_p_error(p, pk, true, "expected the end of the ICMP packet");
  return 0;
}

typedef struct raw_ctx {
  sf_parser *p;
  const sf_tok *kw;
} raw_ctx;

static int raw_put(void *ctx, uint8_t byte) {
  raw_ctx *c = ctx;
  sf_parser *p = c->p;
  if (p->n_bytes == 0xffff)
    return sf_p_error(p, c->kw, false, "raw packet longer than 65535 bytes");
  if (p->n_bytes == p->cap_bytes) {
    size_t cap = p->cap_bytes ? p->cap_bytes * 2 : 256;
    uint8_t *b = realloc(p->bytes, cap);
    if (b == NULL)
      return sf_p_nomem(p);
    p->bytes = b;
    p->cap_bytes = cap;
  }
  p->bytes[p->n_bytes++] = byte;
  return 0;
}

static int parse_raw(sf_parser *p, sf_script_packet *pkt, const sf_tok *kw) {
  if (pkt->dir != SF_SCR_INBOUND)
    return sf_p_error(p, kw, false, "raw packets can only be inbound");
  if (pkt->n_encaps > 0 || pkt->ip.present != 0 ||
      pkt->ip.ecn != SF_SCR_ECN_UNSPEC)
    return sf_p_error(p, kw, false,
                      "raw packets take no IP attributes or encapsulation");
  raw_ctx c = {p, kw};
  p->n_bytes = 0;
  int rc = sf_lex_raw_hex(&p->lx, kw, raw_put, &c);
  if (rc < 0)
    return rc;
  if (p->n_bytes == 0)
    return sf_p_error(p, kw, false, "expected hex bytes after 'raw'");
  uint8_t *b = sf_p_alloc(p, p->n_bytes);
  if (b == NULL)
    return sf_p_nomem(p);
  memcpy(b, p->bytes, p->n_bytes);
  pkt->raw = b;
  pkt->raw_len = p->n_bytes;
  return 0;
}

/* ---- the packet ---- */

int sf_parse_packet(sf_parser *p, const sf_tok *dir, sf_script_packet *pkt) {
  pkt->dir = dir->ch == '<' ? SF_SCR_INBOUND : SF_SCR_OUTBOUND;
  pkt->tcp.ace = -1;
  bool inbound = pkt->dir == SF_SCR_INBOUND;
  int rc;

  sf_script_encap encaps[SF_SCRIPT_MAX_ENCAPS];
  size_t n = 0;
  for (;;) {
    const sf_tok *pk;
    if ((rc = peek(p, &pk)) < 0)
      return rc;
    if (!sf_tok_is_word(pk, "ipv4") && !sf_tok_is_word(pk, "ipv6") &&
        !sf_tok_is_word(pk, "gre") && !sf_tok_is_word(pk, "mpls"))
      break;
    if (n == SF_SCRIPT_MAX_ENCAPS)
      return sf_p_error(p, pk, false,
                        "too many encapsulation headers (at most %d)",
                        SF_SCRIPT_MAX_ENCAPS);
    memset(&encaps[n], 0, sizeof(encaps[n]));
    if ((rc = parse_encap(p, &encaps[n++], inbound)) < 0)
      return rc;
  }
  if (n > 0) {
    pkt->encaps = sf_p_alloc(p, n * sizeof(encaps[0]));
    if (pkt->encaps == NULL)
      return sf_p_nomem(p);
    memcpy(pkt->encaps, encaps, n * sizeof(encaps[0]));
    pkt->n_encaps = n;
  }

  ip_ctx c = {.inbound = inbound};
  c.tcp_only.kind = SF_TOK_EOF;
  c.isn_clock.kind = SF_TOK_EOF;
  if (peek_punct(p, '(') || peek_punct(p, '[')) {
    if ((rc = parse_ip_info(p, &pkt->ip, &c)) < 0)
      return rc;
  }

  const sf_tok *pk;
  if ((rc = peek(p, &pk)) < 0)
    return rc;
  sf_tok kw = *pk;
  if (sf_tok_is_word(&kw, "udp") || sf_tok_is_word(&kw, "icmp") ||
      sf_tok_is_word(&kw, "raw")) {
    sf_lex_next(&p->lx, NULL);
    if (c.isn_clock.kind != SF_TOK_EOF)
      return sf_p_error(p, &c.isn_clock, false,
                        "'isn_clock_ns' can only be used with a SYN");
    if (c.tcp_only.kind != SF_TOK_EOF)
      return sf_p_error(p, &c.tcp_only, false,
                        "'%.*s' can only be used with TCP packets",
                        (int)c.tcp_only.len, c.tcp_only.text);
    if (kw.text[0] == 'u') {
      pkt->kind = SF_SCR_PKT_UDP;
      return parse_udp(p, pkt, &kw);
    }
    if (kw.text[0] == 'i') {
      pkt->kind = SF_SCR_PKT_ICMP;
      return parse_icmp(p, pkt);
    }
    pkt->kind = SF_SCR_PKT_RAW;
    return parse_raw(p, pkt, &kw);
  }
  pkt->kind = SF_SCR_PKT_TCP;
  if ((rc = parse_ports(p, pkt)) < 0)
    return rc;
  if ((rc = parse_tcp(p, pkt, dir)) < 0)
    return rc;
  if (c.isn_clock.kind != SF_TOK_EOF && !(pkt->tcp.flags & SF_SCR_TCP_SYN))
    return sf_p_error(p, &c.isn_clock, false,
                      "'isn_clock_ns' can only be used with a SYN");
  return 0;
}
