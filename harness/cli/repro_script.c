/* The packetdrill-syntax script of a scenario's run (`synfin repro --pkt`):
 * every call and inbound packet up to the event that broke an oracle, the
 * stack's packets before that event as expectations, and `--oracles`, so
 * that `synfin run` drives an identical stack (stack_config.h) with the
 * same bytes at the same virtual times: the buggy stack fails with the
 * same oracle message (or crash), a fixed one passes.
 *
 * Inbound sequence numbers are written as sent (packetdrill uses them as
 * written); acknowledgements, SACK blocks and outbound sequence numbers
 * relative to the stack's ISN as the runner will know it when it reads the
 * line, which this file tracks the way the runner does (run_conn_for()
 * and learn() in harness/run/). What a TCP line cannot say (unknown or
 * malformed options, a range across 2^32) is written as raw bytes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "repro.h"
#include "synfin/bytes.h"
#include "synfin/trace.h"

/* harness/run/symbols.c: an errno's name ("EAGAIN"), "E?" if unknown */
const char *sf_errno_name(int err);

#define TH_SYN 0x02
#define TH_ACK 0x10
#define TH_URG 0x20

#define RUN_MAX_CONNS 16 /* as harness/run/run_internal.h */
#define RUN_PORT 8080    /* the runner's first connection */
#define RUN_REMOTE_EPHEMERAL 48484
#define NONE ((size_t)-2)         /* no event failed */
#define CRASH_WAIT_US 3600000000u /* a timer event that crashed: wait */

struct conn {
  bool used;
  uint16_t lport, rport;
  bool isn_known;
  uint32_t isn;
};

struct gen {
  FILE *f;
  const sf_scenario *s;
  const sf_rp_outcome *o;
  struct conn conns[RUN_MAX_CONNS];
  uint16_t ip_id; /* the runner's counter of built datagrams */
  uint64_t last_t;
  int fd, lfd; /* the scenario's descriptors, from the calls */
  size_t fail; /* the event that failed, SETUP, or NONE */
};

/* Events in order, the setup first. */
static size_t order(size_t index) {
  return index == SF_SCN_SETUP_EVENT ? 0 : index + 1;
}

static struct conn *conn_for(struct gen *g, uint16_t lport, uint16_t rport) {
  int free_slot = -1;
  for (int i = 0; i < RUN_MAX_CONNS; i++) {
    struct conn *c = &g->conns[i];
    if (c->used && c->lport == lport && c->rport == rport)
      return c;
    if (!c->used && free_slot < 0)
      free_slot = i;
  }
  int i = free_slot >= 0 ? free_slot : RUN_MAX_CONNS - 1;
  g->conns[i] = (struct conn){.used = true, .lport = lport, .rport = rport};
  return &g->conns[i];
}

static void put_time(struct gen *g, uint64_t t) {
  fprintf(g->f, "%llu.%06llu ", (unsigned long long)(t / 1000000),
          (unsigned long long)(t % 1000000));
  g->last_t = t;
}

static void flags_text(uint8_t f, char *out) {
  static const struct {
    uint8_t bit;
    char c;
  } order_[] = {{0x01, 'F'}, {0x02, 'S'}, {0x04, 'R'}, {0x08, 'P'},
                {0x20, 'U'}, {0x40, 'E'}, {0x80, 'W'}, {0x10, '.'}};
  size_t n = 0;
  for (size_t i = 0; i < 8; i++)
    if (f & order_[i].bit)
      out[n++] = order_[i].c;
  if (!n)
    out[n++] = '-';
  out[n] = '\0';
}

/* TCP options in script syntax; SACK edges less `rel`. False for what a
 * script cannot say (the runner builds only these kinds). */
static bool options_text(const uint8_t *o, size_t n, uint32_t rel, char *out,
                         size_t cap) {
  size_t w = 0;
  out[0] = '\0';
#define EMIT(...)                                                              \
  do {                                                                         \
    int k_ = snprintf(out + w, cap - w, __VA_ARGS__);                          \
    if (k_ < 0 || (size_t)k_ >= cap - w)                                       \
      return false;                                                            \
    w += (size_t)k_;                                                           \
  } while (0)
  for (size_t i = 0; i < n;) {
    const char *sep = w ? "," : "";
    if (o[i] == 0 || o[i] == 1) {
      EMIT("%s%s", sep, o[i] ? "nop" : "eol");
      i++;
      continue;
    }
    if (i + 1 >= n || o[i + 1] < 2 || i + o[i + 1] > n)
      return false;
    uint8_t kind = o[i], len = o[i + 1];
    const uint8_t *v = o + i + 2;
    if (kind == 2 && len == 4)
      EMIT("%smss %u", sep, sf_get16(v));
    else if (kind == 3 && len == 3)
      EMIT("%swscale %u", sep, v[0]);
    else if (kind == 4 && len == 2)
      EMIT("%ssackOK", sep);
    else if (kind == 8 && len == 10)
      EMIT("%sTS val %u ecr %u", sep, sf_get32(v), sf_get32(v + 4));
    else if (kind == 5 && len >= 10 && (len - 2) % 8 == 0) {
      EMIT("%ssack", sep);
      for (size_t b = 0; b < (size_t)(len - 2) / 8; b++)
        EMIT(" %u:%u", sf_get32(v + 8 * b) - rel,
             sf_get32(v + 8 * b + 4) - rel);
    } else
      return false;
    i += len;
  }
#undef EMIT
  return true;
}

static void raw_line(struct gen *g, uint64_t t, const uint8_t *p, size_t len,
                     const char *why) {
  if (len == 0)
    return;
  put_time(g, t);
  fputs("< raw", g->f);
  for (size_t i = 0; i < len; i++)
    fprintf(g->f, " %02x", p[i]);
  sf_pkt_view v;
  sf_pkt_decode(p, len, &v);
  sf_pkt_fmt fm = {.dir = SF_DIR_IN,
                   .relative = false,
                   .show_win = true,
                   .show_ports = true};
  char line[512];
  sf_pkt_format(&v, &fm, line, sizeof(line));
  /* the decoded form, minus a comment of its own */
  char *c = strstr(line, " //");
  if (c)
    *c = '\0';
  fprintf(g->f, "\n// %s%s%s\n", why ? why : "", why ? ": " : "", line);
}

/* An inbound segment as a TCP line, when the runner builds these bytes
 * from it; false otherwise. */
static bool segment_line(struct gen *g, const sf_rp_rec *r) {
  const sf_scn_inbound *in = &r->in;
  if (in->len < 40 || (uint64_t)in->seq + in->payload > UINT32_MAX)
    return false;
  if (in->corrupt & SF_SCN_FRAG_OVERLAP)
    return false; /* no attribute says it: the fragments go as raw lines */
  uint16_t lport = sf_get16(in->pkt + 22);
  struct conn *c = conn_for(g, lport, SF_SCN_PEER_PORT);
  uint32_t rel = c->isn_known ? c->isn : 0;
  char opts[400];
  if (!options_text(in->opt, in->nopt, rel, opts, sizeof(opts)))
    return false;
  char attrs[200] = "";
  size_t w = 0;
#define ATTR(...)                                                              \
  w += (size_t)snprintf(attrs + w, sizeof(attrs) - w, "%s", w ? ", " : ""),    \
      w += (size_t)snprintf(attrs + w, sizeof(attrs) - w, __VA_ARGS__)
  if (in->ip_id != g->ip_id)
    ATTR("ip_id %u", in->ip_id);
  if (in->corrupt & SF_SCN_BAD_IP_CSUM)
    ATTR("ip_csum bad");
  if (in->corrupt & SF_SCN_BAD_TCP_CSUM)
    ATTR("tcp_csum bad");
  if (in->corrupt & SF_SCN_FRAGMENT)
    ATTR("frag_size %zu", sf_scn_fragment_size(in->len));
  if ((in->corrupt & SF_SCN_FRAGMENT) && (in->corrupt & SF_SCN_FRAG_REVERSE))
    ATTR("frag_order reverse");
  if (in->corrupt & SF_SCN_BAD_DOFF)
    ATTR("tcp_doff %u", in->doff);
#undef ATTR
  g->ip_id++;
  char f[12];
  flags_text(in->flags, f);
  put_time(g, r->t_us);
  fprintf(g->f, "< %s%s%s%u>%u %s %u:%u(%u)", w ? "(" : "", attrs,
          w ? ") " : "", SF_SCN_PEER_PORT, lport, f, in->seq,
          in->seq + in->payload, in->payload);
  if ((in->flags & TH_ACK) || in->ack)
    fprintf(g->f, " ack %u", in->ack - rel);
  fprintf(g->f, " win %u", in->win);
  if (in->urg)
    fprintf(g->f, " urg %u", in->urg);
  if (in->nopt)
    fprintf(g->f, " <%s>", opts);
  fputc('\n', g->f);
  return true;
}

static const char *icmp_type_word(uint8_t type, char *buf, size_t cap) {
  switch (type) {
  case 0:
    return "echo_reply";
  case 3:
    return "unreachable";
  case 11:
    return "time_exceeded";
  case 12:
    return "parameter_problem";
  }
  snprintf(buf, cap, "type_%u", type);
  return buf;
}

/* The stack's datagram as an expectation. */
static void outbound_line(struct gen *g, const sf_rp_rec *r) {
  sf_pkt_view v;
  sf_pkt_decode(r->data, r->len, &v);
  if (v.l4 == SF_PKT_L4_ICMP) {
    char tb[16];
    put_time(g, r->t_us);
    fprintf(g->f, "> icmp %s code_%u",
            icmp_type_word(v.icmp.type, tb, sizeof(tb)), v.icmp.code);
    if (v.icmp.type == 0)
      fprintf(g->f, " id %u seq %u (%zu)", v.icmp.id, v.icmp.seq,
              v.icmp.data_len);
    fputc('\n', g->f);
    return;
  }
  if (v.l4 != SF_PKT_L4_TCP) {
    fprintf(g->f,
            "// (the stack sent a datagram no script line describes: "
            "%zu bytes)\n",
            r->len);
    return;
  }
  const sf_pkt_tcp *t = &v.tcp;
  struct conn *c = conn_for(g, t->sport, t->dport);
  bool syn = t->flags & TH_SYN;
  uint32_t seq = syn ? 0 : c->isn_known ? t->seq - c->isn : t->seq;
  if (syn) {
    c->isn = t->seq;
    c->isn_known = true;
  }
  char f[12], opts[400];
  flags_text((uint8_t)t->flags, f);
  size_t hl = (size_t)v.ip.ihl * 4;
  const uint8_t *o = r->data + hl + 20;
  size_t n = (size_t)t->doff * 4 - 20;
  /* trailing EOL padding: the runner leaves it out unless listed */
  while (n > 0 && o[n - 1] == 0)
    n--;
  bool known = options_text(o, n, 0, opts, sizeof(opts));
  put_time(g, r->t_us);
  fprintf(g->f, "> %u>%u %s %u:%u(%zu)", t->sport, t->dport, f, seq,
          (uint32_t)(seq + t->payload_len), t->payload_len);
  if (t->flags & TH_ACK)
    fprintf(g->f, " ack %u", t->ack);
  fprintf(g->f, " win %u", t->win);
  if (t->flags & TH_URG)
    fprintf(g->f, " urg %u", t->urg);
  if (!known)
    fputs(" <...>", g->f);
  else if (n)
    fprintf(g->f, " <%s>", opts);
  fputc('\n', g->f);
}

static void call_line(struct gen *g, const sf_rp_rec *r) {
  const char *text = (const char *)r->data;
  put_time(g, r->t_us);
  if (r->result >= 0)
    fprintf(g->f, "%s = %ld\n", text, r->result);
  else
    fprintf(g->f, "%s = -1 %s (%s)\n", text, sf_errno_name(-(int)r->result),
            strerror(-(int)r->result));
  char name[32];
  int fd = -1;
  if (sscanf(text, "%31[a-z](%d", name, &fd) < 1)
    return;
  if (strcmp(name, "socket") == 0 && r->result >= 0) {
    /* the runner waits on calls that block: the scenario's never do */
    put_time(g, r->t_us);
    fprintf(g->f, "fcntl(%ld, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n", r->result);
  } else if (strcmp(name, "listen") == 0) {
    g->lfd = fd;
  } else if (strcmp(name, "connect") == 0) {
    g->fd = fd;
  } else if (strcmp(name, "accept") == 0 && r->result >= 0) {
    g->fd = (int)r->result;
  } else if (strcmp(name, "close") == 0 && fd == g->fd) {
    g->fd = -1;
  }
}

/* The call of the event a crash cut short (it never reported back). */
static void crashed_call(struct gen *g, const sf_scn_event *e, uint64_t t) {
  int fd = g->fd;
  unsigned arg = e->call.arg;
  char text[160] = "";
  switch (e->call.op) {
  case SF_SCN_READ:
    snprintf(text, sizeof(text), "recv(%d, ..., %u, MSG_DONTWAIT)", fd,
             arg ? arg : 1);
    break;
  case SF_SCN_WRITE:
  case SF_SCN_URGENT:
    snprintf(text, sizeof(text), "send(%d, ..., %u, %sMSG_DONTWAIT)", fd,
             e->call.op == SF_SCN_URGENT && !arg ? 1 : arg,
             e->call.op == SF_SCN_URGENT ? "MSG_OOB|" : "");
    break;
  case SF_SCN_SHUT_RD:
  case SF_SCN_SHUT_WR:
    snprintf(text, sizeof(text), "shutdown(%d, %s)", fd,
             e->call.op == SF_SCN_SHUT_RD ? "SHUT_RD" : "SHUT_WR");
    break;
  case SF_SCN_CLOSE:
    snprintf(text, sizeof(text), "close(%d)", fd);
    break;
  case SF_SCN_ACCEPT:
    if (g->lfd >= 0 && fd < 0)
      snprintf(text, sizeof(text), "accept(%d, ..., ...)", g->lfd);
    fd = g->lfd;
    break;
  case SF_SCN_LINGER0:
    snprintf(text, sizeof(text),
             "setsockopt(%d, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8)",
             fd);
    break;
  case SF_SCN_NODELAY_ON:
    snprintf(text, sizeof(text),
             "setsockopt(%d, IPPROTO_TCP, TCP_NODELAY, [1], 4)", fd);
    break;
  }
  if (!text[0] || fd < 0)
    return;
  put_time(g, t);
  fprintf(g->f, "%s = ...   // the call during which it crashed\n", text);
}

/* The last line: a poll of nothing that blocks until t, so that the
 * runner lets time pass to t (the scenario's time events have no line of
 * their own) while what the stack sends meanwhile is not expected: after
 * the last event the runner lets packets pass, and a fixed stack may
 * send other ones than the buggy one. */
static void time_mark(struct gen *g, uint64_t t, const char *why) {
  uint64_t from = g->last_t;
  if (t <= from)
    return;
  uint64_t ms = (t - from + 999) / 1000;
  uint64_t end = from + ms * 1000;
  fprintf(g->f, "%llu.%06llu...%llu.%06llu poll([], 0, %llu) = 0   // %s\n",
          (unsigned long long)(from / 1000000),
          (unsigned long long)(from % 1000000),
          (unsigned long long)(end / 1000000),
          (unsigned long long)(end % 1000000), (unsigned long long)ms, why);
  g->last_t = end;
}

static void event_comment(struct gen *g, size_t i) {
  char *text = NULL;
  size_t len = 0;
  FILE *m = open_memstream(&text, &len);
  if (!m)
    return;
  sf_scn_dump_event(&g->s->ev[i], m);
  fclose(m);
  if (text && len && text[len - 1] == '\n')
    text[len - 1] = '\0';
  fprintf(g->f, "\n// event %zu: %s\n", i, text ? text : "");
  free(text);
}

static void header(struct gen *g, const sf_rp_pkt_options *po) {
  const sf_scn_setup *u = &g->s->setup;
  const sf_rp_outcome *o = g->o;
  char line[600];
  fprintf(g->f, "// synfin repro of %s (%s)\n", po->source ? po->source : "?",
          po->target ? po->target : "tcp_scenario_fuzzer");
  if (po->note && po->note[0])
    fprintf(g->f, "// %s\n", po->note);
  sf_rp_failure_line(o, line, sizeof(line));
  if (o->failed)
    fprintf(g->f, "// found: %s\n", line);
  else
    fprintf(g->f, "// no oracle broke: this replays the whole scenario\n");
  fprintf(g->f, "// `synfin run` replays this script on an identical stack "
                "with the scenario's\n"
                "// oracles (--oracles): it fails the same way while the bug "
                "is there, and\n"
                "// passes once it is fixed.\n");
  sf_profile base, p;
  enum sf_profile_id id = u->profile ? SF_PROFILE_RFC : SF_PROFILE_LINUX;
  sf_profile_init(&base, id);
  p = base; /* the scenario's stack runs the named profile as it is */
  fprintf(g->f, "--profile=%s\n", base.name);
  for (size_t i = 0; sf_profile_key(i); i++) {
    uint32_t a, b;
    const char *k = sf_profile_key(i);
    if (sf_profile_get(&base, k, &a) == 0 && sf_profile_get(&p, k, &b) == 0 &&
        a != b)
      fprintf(g->f, "--profile.%s=%u\n", k, b);
  }
  fprintf(g->f, "--oracles\n");
  if (SF_SCN_PEER_ISN + u->seed != SF_SCN_PEER_ISN)
    fprintf(g->f, "--oracles.peer_isn=%u\n", SF_SCN_PEER_ISN + u->seed);
  fprintf(g->f, "\n// the setup: %s\n",
          u->start == SF_SCN_SYN_SENT || u->start == SF_SCN_ACTIVE_ESTABLISHED
              ? "an active open"
              : "a listener on port 8080");
}

int sf_rp_write_pkt(FILE *f, const sf_scenario *s, const sf_rp_outcome *o,
                    const sf_rp_pkt_options *po) {
  struct gen g = {.f = f, .s = s, .o = o, .fd = -1, .lfd = -1};
  g.conns[0] = (struct conn){
      .used = true, .lport = RUN_PORT, .rport = RUN_REMOTE_EPHEMERAL};
  if (o->verdict.failed)
    g.fail = o->verdict.event;
  else if (o->failed)
    g.fail = o->last_event;
  else
    g.fail = NONE;
  header(&g, po);
  size_t skip_in = 0;   /* datagrams of a segment written as a line */
  size_t raw_frags = 0; /* ... or to be written raw */
  bool fail_has_line = false;
  uint64_t fail_start = 0;
  /* what a call sends comes before its report: written after its line */
  size_t *held = malloc(o->nrecs * sizeof(*held) + 1);
  size_t nheld = 0;
  bool in_call = false;
  if (!held)
    return -ENOMEM;
  for (size_t i = 0; i < o->nrecs; i++) {
    const sf_rp_rec *r = &o->recs[i];
    bool in_fail = g.fail != NONE && r->index == g.fail;
    if ((g.fail != NONE && order(r->index) > order(g.fail)) ||
        (r->index != SF_SCN_SETUP_EVENT && r->index >= s->n))
      break; /* after the failure; the final check is --oracles' own */
    switch (r->type) {
    case SF_RP_REC_EVENT:
      if (r->index < s->n)
        event_comment(&g, r->index);
      if (in_fail)
        fail_start = r->t_us;
      break;
    case SF_RP_REC_SEGMENT: {
      size_t frags = 1;
      if (r->in.corrupt & SF_SCN_FRAGMENT)
        frags = sf_scn_fragment_count(r->in.len);
      if (segment_line(&g, r)) {
        skip_in = frags;
      } else {
        raw_frags = frags;
      }
      fail_has_line |= in_fail;
      break;
    }
    case SF_RP_REC_PACKET:
      if (r->dir == SF_DIR_IN) {
        if (skip_in) {
          skip_in--;
        } else {
          raw_line(&g, r->t_us, r->data, r->len,
                   raw_frags ? "a segment no TCP line can say" : NULL);
          if (raw_frags)
            raw_frags--;
          fail_has_line |= in_fail;
        }
      } else if (!in_fail && in_call) {
        held[nheld++] = i;
      } else if (!in_fail) {
        /* the stack's packets before the failing event: expected */
        outbound_line(&g, r);
      }
      break;
    case SF_RP_REC_BEGIN:
      in_call = true;
      nheld = 0;
      break;
    case SF_RP_REC_CALL:
      call_line(&g, r);
      for (size_t k = 0; k < nheld; k++)
        outbound_line(&g, &o->recs[held[k]]);
      nheld = 0;
      in_call = false;
      fail_has_line |= in_fail;
      break;
    case SF_RP_REC_STATE:
      break;
    }
  }
  /* what the failing event did that has no line yet */
  if (g.fail != NONE && g.fail < s->n && !fail_has_line) {
    const sf_scn_event *e = &s->ev[g.fail];
    if (e->kind == SF_SCN_CALL && !o->verdict.failed)
      crashed_call(&g, e, fail_start);
    else if (o->verdict.failed)
      time_mark(&g, o->verdict.t_us, "the failing event: time passes");
    else if (e->kind == SF_SCN_ADVANCE)
      time_mark(&g, fail_start + e->advance_us,
                "the failing event: time passes");
    else if (e->kind == SF_SCN_TIMER)
      time_mark(&g, fail_start + CRASH_WAIT_US,
                "the failing event: the next timer fires");
  } else if ((g.fail == NONE || g.fail >= s->n) && o->end_us > g.last_t) {
    time_mark(&g, o->end_us, "the scenario's last events: time passes");
  }
  free(held);
  return ferror(f) ? -EIO : 0;
}
