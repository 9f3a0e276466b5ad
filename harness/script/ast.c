/* The script AST's memory (one arena per script), error messages, equality
 * and the small helpers runners use on expressions. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "script_internal.h"

/* ---- errors ---- */

int sf_script_error_set(sf_script_error *err, const char *name,
                        sf_script_pos pos, int code, const char *fmt, ...) {
  if (err == NULL)
    return code;
  char text[280];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof(text), fmt, ap);
  va_end(ap);
  if (name == NULL)
    name = "<input>";
  err->code = code;
  err->pos = pos;
  if (pos.line > 0)
    snprintf(err->message, sizeof(err->message), "%.200s:%u:%u: %s", name,
             pos.line, pos.column, text);
  else
    snprintf(err->message, sizeof(err->message), "%.200s: %s", name, text);
  return code;
}

/* ---- arena ---- */

#define ARENA_CHUNK 65536u
#define ARENA_ALIGN 16u

struct arena_chunk {
  struct arena_chunk *next;
  size_t cap;
  size_t used;
};

/* The chunk header, rounded up so that the data after it stays aligned. */
#define ARENA_HDR                                                              \
  ((sizeof(struct arena_chunk) + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1))

struct sf_script_arena {
  struct arena_chunk *head; /* the chunk being filled */
  size_t total;             /* bytes of all chunks */
  size_t limit;
  bool over;
};

sf_script_arena *sf_arena_new(size_t limit) {
  sf_script_arena *a = calloc(1, sizeof(*a));
  if (a != NULL)
    a->limit = limit;
  return a;
}

void sf_arena_free(sf_script_arena *a) {
  if (a == NULL)
    return;
  struct arena_chunk *c = a->head;
  while (c != NULL) {
    struct arena_chunk *next = c->next;
    free(c);
    c = next;
  }
  free(a);
}

bool sf_arena_over_limit(const sf_script_arena *a) {
  return a->over;
}

void *sf_arena_alloc(sf_script_arena *a, size_t size) {
  if (size > a->limit) {
    a->over = true;
    return NULL;
  }
  size = size == 0 ? ARENA_ALIGN
                   : (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
  struct arena_chunk *h = a->head;
  if (h != NULL && h->cap - h->used >= size) {
    void *p = (char *)h + ARENA_HDR + h->used;
    h->used += size;
    return p;
  }
  /* Large blocks get a chunk of their own behind the head, so the space
   * left in the head is not wasted. */
  bool own = size > ARENA_CHUNK / 4;
  size_t cap = own ? size : ARENA_CHUNK;
  if (cap + ARENA_HDR > a->limit - a->total || a->total > a->limit) {
    a->over = true;
    return NULL;
  }
  struct arena_chunk *c = calloc(1, ARENA_HDR + cap);
  if (c == NULL)
    return NULL;
  a->total += ARENA_HDR + cap;
  c->cap = cap;
  c->used = size;
  if (own && h != NULL) {
    c->next = h->next;
    h->next = c;
  } else {
    c->next = h;
    a->head = c;
  }
  return (char *)c + ARENA_HDR;
}

char *sf_arena_strndup(sf_script_arena *a, const char *s, size_t n) {
  if (n == SIZE_MAX)
    return NULL;
  char *p = sf_arena_alloc(a, n + 1);
  if (p != NULL && n > 0)
    memcpy(p, s, n);
  return p;
}

void sf_script_free(sf_script *script) {
  if (script != NULL)
    sf_arena_free(script->arena); /* the script itself lives in its arena */
}

/* ---- equality ---- */

static bool str_eq(const char *a, const char *b) {
  if (a == NULL || b == NULL)
    return a == b;
  return strcmp(a, b) == 0;
}

static bool ip_eq(const sf_script_ip *a, const sf_script_ip *b) {
  uint32_t p = a->present;
  if (p != b->present || a->ecn != b->ecn)
    return false;
  if ((p & SF_SCR_IP_TOS) && a->tos != b->tos)
    return false;
  if ((p & SF_SCR_IP_FLOWLABEL) && a->flowlabel != b->flowlabel)
    return false;
  if ((p & SF_SCR_IP_TTL) && a->ttl != b->ttl)
    return false;
  if ((p & SF_SCR_IP_IHL) && a->ihl != b->ihl)
    return false;
  if ((p & SF_SCR_IP_IP_LEN) && a->ip_len != b->ip_len)
    return false;
  if ((p & SF_SCR_IP_IP_ID) && a->ip_id != b->ip_id)
    return false;
  if ((p & SF_SCR_IP_IP_PROTO) && a->ip_proto != b->ip_proto)
    return false;
  if ((p & SF_SCR_IP_FRAG_SIZE) && a->frag_size != b->frag_size)
    return false;
  if ((p & SF_SCR_IP_FRAG_ORDER) &&
      (a->frag_order != b->frag_order ||
       (a->frag_order == SF_SCR_FRAG_SHUFFLE && a->frag_seed != b->frag_seed)))
    return false;
  if ((p & SF_SCR_IP_TCP_DOFF) && a->tcp_doff != b->tcp_doff)
    return false;
  if ((p & SF_SCR_IP_IP_OPTS) &&
      (a->ip_opts_len != b->ip_opts_len ||
       memcmp(a->ip_opts, b->ip_opts, a->ip_opts_len) != 0))
    return false;
  if ((p & SF_SCR_IP_IP_DST) && a->ip_dst != b->ip_dst)
    return false;
  if ((p & SF_SCR_IP_ISN_CLOCK) && a->isn_clock_ns != b->isn_clock_ns)
    return false;
  return true;
}

static bool gre_eq(const sf_script_gre *a, const sf_script_gre *b) {
  if (a->has_header != b->has_header)
    return false;
  return !a->has_header ||
         (a->flags == b->flags && a->sum == b->sum && a->off == b->off &&
          a->key == b->key && a->seq == b->seq);
}

static bool mpls_eq(const sf_script_mpls *a, size_t na, const sf_script_mpls *b,
                    size_t nb) {
  if (na != nb)
    return false;
  for (size_t i = 0; i < na; i++)
    if (a[i].label != b[i].label || a[i].tc != b[i].tc ||
        a[i].bottom != b[i].bottom || a[i].ttl != b[i].ttl)
      return false;
  return true;
}

static bool encap_eq(const sf_script_encap *a, const sf_script_encap *b) {
  if (a->kind != b->kind)
    return false;
  switch (a->kind) {
  case SF_SCR_ENCAP_IPV4:
  case SF_SCR_ENCAP_IPV6:
    return ip_eq(&a->ip, &b->ip) && str_eq(a->src, b->src) &&
           str_eq(a->dst, b->dst);
  case SF_SCR_ENCAP_GRE:
    return gre_eq(&a->gre, &b->gre);
  case SF_SCR_ENCAP_MPLS:
    return mpls_eq(a->mpls, a->n_mpls, b->mpls, b->n_mpls);
  }
  return false;
}

static bool seq_eq(const sf_script_seq *a, const sf_script_seq *b) {
  return a->start == b->start && a->end == b->end && a->len == b->len;
}

static bool option_eq(const sf_script_tcp_option *a,
                      const sf_script_tcp_option *b) {
  if (a->kind != b->kind)
    return false;
  switch (a->kind) {
  case SF_SCR_OPT_NOP:
  case SF_SCR_OPT_EOL:
  case SF_SCR_OPT_SACK_PERMITTED:
    return true;
  case SF_SCR_OPT_MSS:
    return a->mss == b->mss;
  case SF_SCR_OPT_WSCALE:
    return a->wscale_any == b->wscale_any &&
           (a->wscale_any || a->wscale == b->wscale);
  case SF_SCR_OPT_SACK:
    if (a->n_sack != b->n_sack)
      return false;
    for (size_t i = 0; i < a->n_sack; i++)
      if (a->sack[i].left != b->sack[i].left ||
          a->sack[i].right != b->sack[i].right)
        return false;
    return true;
  case SF_SCR_OPT_TIMESTAMP:
    return a->ts_val == b->ts_val && a->ts_ecr == b->ts_ecr;
  case SF_SCR_OPT_MD5:
  case SF_SCR_OPT_FAST_OPEN:
  case SF_SCR_OPT_FAST_OPEN_EXP:
    return a->n_hex == b->n_hex && memcmp(a->hex, b->hex, a->n_hex) == 0;
  case SF_SCR_OPT_UNKNOWN:
    return str_eq(a->name, b->name) && str_eq(a->args, b->args);
  }
  return false;
}

static bool tcp_eq(const sf_script_tcp *a, const sf_script_tcp *b) {
  if (a->flags != b->flags || a->ace != b->ace || !seq_eq(&a->seq, &b->seq) ||
      a->present != b->present || a->options_any != b->options_any ||
      a->n_options != b->n_options)
    return false;
  if ((a->present & SF_SCR_TCP_HAS_ACK) && a->ack != b->ack)
    return false;
  if ((a->present & SF_SCR_TCP_HAS_WIN) && a->win != b->win)
    return false;
  if ((a->present & SF_SCR_TCP_HAS_URG) && a->urg != b->urg)
    return false;
  for (size_t i = 0; i < a->n_options; i++)
    if (!option_eq(&a->options[i], &b->options[i]))
      return false;
  return true;
}

static bool icmp_eq(const sf_script_icmp *a, const sf_script_icmp *b) {
  uint32_t p = a->present;
  if (!str_eq(a->type, b->type) || !str_eq(a->code, b->code) ||
      p != b->present || a->echoed != b->echoed)
    return false;
  if ((p & SF_SCR_ICMP_HAS_MTU) && a->mtu != b->mtu)
    return false;
  if ((p & SF_SCR_ICMP_HAS_ID) && a->id != b->id)
    return false;
  if ((p & SF_SCR_ICMP_HAS_SEQ) && a->seq != b->seq)
    return false;
  if ((p & SF_SCR_ICMP_HAS_LEN) && a->len != b->len)
    return false;
  if (a->echoed == SF_SCR_ICMP_ECHOED_TCP)
    return seq_eq(&a->echoed_seq, &b->echoed_seq);
  if (a->echoed != SF_SCR_ICMP_ECHOED_NONE)
    return a->echoed_len == b->echoed_len;
  return true;
}

static bool packet_eq(const sf_script_packet *a, const sf_script_packet *b) {
  if (a->dir != b->dir || a->kind != b->kind || a->n_encaps != b->n_encaps ||
      !ip_eq(&a->ip, &b->ip) || a->has_ports != b->has_ports)
    return false;
  if (a->has_ports && (a->sport != b->sport || a->dport != b->dport))
    return false;
  for (size_t i = 0; i < a->n_encaps; i++)
    if (!encap_eq(&a->encaps[i], &b->encaps[i]))
      return false;
  switch (a->kind) {
  case SF_SCR_PKT_TCP:
    return tcp_eq(&a->tcp, &b->tcp);
  case SF_SCR_PKT_UDP:
    return a->udp.len == b->udp.len;
  case SF_SCR_PKT_ICMP:
    return icmp_eq(&a->icmp, &b->icmp);
  case SF_SCR_PKT_RAW:
    return a->raw_len == b->raw_len &&
           (a->raw_len == 0 || memcmp(a->raw, b->raw, a->raw_len) == 0);
  }
  return false;
}

static bool expr_eq(const sf_script_expr *a, const sf_script_expr *b);

static bool exprs_eq(sf_script_expr *const *a, size_t na,
                     sf_script_expr *const *b, size_t nb) {
  if (na != nb)
    return false;
  for (size_t i = 0; i < na; i++)
    if (!expr_eq(a[i], b[i]))
      return false;
  return true;
}

static bool expr_eq(const sf_script_expr *a, const sf_script_expr *b) {
  if (a == NULL || b == NULL)
    return a == b;
  if (a->kind != b->kind)
    return false;
  switch (a->kind) {
  case SF_SCR_EXPR_ELLIPSIS:
    return true;
  case SF_SCR_EXPR_INT:
    return a->num.value == b->num.value && a->num.hex == b->num.hex;
  case SF_SCR_EXPR_WORD:
    return str_eq(a->word, b->word);
  case SF_SCR_EXPR_STRING:
    return str_eq(a->str.text, b->str.text) &&
           a->str.ellipsis == b->str.ellipsis;
  case SF_SCR_EXPR_LIST:
  case SF_SCR_EXPR_STRUCT:
  case SF_SCR_EXPR_OR:
    return exprs_eq(a->list.items, a->list.n, b->list.items, b->list.n);
  case SF_SCR_EXPR_CALL:
    return str_eq(a->call.name, b->call.name) &&
           exprs_eq(a->call.args, a->call.n_args, b->call.args, b->call.n_args);
  case SF_SCR_EXPR_ASSIGN:
    return expr_eq(a->assign.lhs, b->assign.lhs) &&
           expr_eq(a->assign.rhs, b->assign.rhs);
  case SF_SCR_EXPR_GRE:
    return gre_eq(&a->gre, &b->gre);
  case SF_SCR_EXPR_MPLS:
    return mpls_eq(a->mpls.entries, a->mpls.n, b->mpls.entries, b->mpls.n);
  }
  return false;
}

static bool syscall_eq(const sf_script_syscall *a, const sf_script_syscall *b) {
  return str_eq(a->name, b->name) &&
         exprs_eq(a->args, a->n_args, b->args, b->n_args) &&
         expr_eq(a->result, b->result) &&
         str_eq(a->errno_name, b->errno_name) &&
         str_eq(a->errno_text, b->errno_text) && str_eq(a->note, b->note);
}

static bool event_eq(const sf_script_event *a, const sf_script_event *b) {
  if (a->kind != b->kind || a->time.kind != b->time.kind ||
      a->time.start_us != b->time.start_us || a->time.end_us != b->time.end_us)
    return false;
  switch (a->kind) {
  case SF_SCR_EV_PACKET:
    return packet_eq(&a->packet, &b->packet);
  case SF_SCR_EV_SYSCALL:
    return syscall_eq(&a->syscall, &b->syscall);
  case SF_SCR_EV_COMMAND:
    return str_eq(a->command.text, b->command.text);
  case SF_SCR_EV_CODE:
    return str_eq(a->code.text, b->code.text);
  }
  return false;
}

bool sf_script_equal(const sf_script *a, const sf_script *b) {
  if (a == NULL || b == NULL)
    return a == b;
  if (a->n_options != b->n_options || a->n_events != b->n_events ||
      !str_eq(a->init_command, b->init_command) ||
      !str_eq(a->cleanup_command, b->cleanup_command))
    return false;
  for (size_t i = 0; i < a->n_options; i++) {
    const sf_script_option *x = &a->options[i], *y = &b->options[i];
    if (!str_eq(x->name, y->name) || !str_eq(x->value, y->value) ||
        x->quoted != y->quoted)
      return false;
  }
  for (size_t i = 0; i < a->n_events; i++)
    if (!event_eq(&a->events[i], &b->events[i]))
      return false;
  return true;
}

/* ---- helpers ---- */

bool sf_script_expr_is_word(const sf_script_expr *e, const char *w) {
  return e != NULL && e->kind == SF_SCR_EXPR_WORD && strcmp(e->word, w) == 0;
}

const sf_script_expr *sf_script_expr_field(const sf_script_expr *e,
                                           const char *name) {
  if (e == NULL || e->kind != SF_SCR_EXPR_STRUCT)
    return NULL;
  for (size_t i = 0; i < e->list.n; i++) {
    const sf_script_expr *it = e->list.items[i];
    if (it->kind == SF_SCR_EXPR_ASSIGN &&
        sf_script_expr_is_word(it->assign.lhs, name))
      return it->assign.rhs;
  }
  return NULL;
}

const char *sf_script_event_kind_name(sf_script_event_kind kind) {
  switch (kind) {
  case SF_SCR_EV_PACKET:
    return "packet";
  case SF_SCR_EV_SYSCALL:
    return "system call";
  case SF_SCR_EV_COMMAND:
    return "command";
  case SF_SCR_EV_CODE:
    return "code block";
  }
  return "?";
}

const char *sf_script_expr_kind_name(sf_script_expr_kind kind) {
  static const char *const names[] = {
      [SF_SCR_EXPR_ELLIPSIS] = "ellipsis", [SF_SCR_EXPR_INT] = "integer",
      [SF_SCR_EXPR_WORD] = "word",         [SF_SCR_EXPR_STRING] = "string",
      [SF_SCR_EXPR_LIST] = "list",         [SF_SCR_EXPR_STRUCT] = "struct",
      [SF_SCR_EXPR_CALL] = "call",         [SF_SCR_EXPR_ASSIGN] = "assignment",
      [SF_SCR_EXPR_OR] = "bitwise or",     [SF_SCR_EXPR_GRE] = "GRE header",
      [SF_SCR_EXPR_MPLS] = "MPLS stack",
  };
  if ((unsigned)kind < sizeof(names) / sizeof(names[0]))
    return names[kind];
  return "?";
}
