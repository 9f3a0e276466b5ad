/* The script runner: walks a script's events in virtual time against a
 * system under test, checking every outbound packet and call result. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "run_internal.h"
#include "synfin/ladder.h"

/* How long `*`, a missing packet or a blocked call is waited for: an hour
 * costs nothing in virtual time; a live kernel gets ten real seconds. */
#define VIRTUAL_WAIT_US (3600LL * 1000000)
#define REAL_WAIT_US (10LL * 1000000)
#define CONTEXT_PACKETS 5

void sf_run_options_default(sf_run_options *o) {
  memset(o, 0, sizeof(*o));
  o->profile = SF_PROFILE_LINUX;
  o->seed = 1;
}

bool run_failed(const struct runner *r) {
  return r->status != SF_RESULT_PASS;
}

void run_fail(struct runner *r, const sf_script_event *ev, const char *fmt,
              ...) {
  if (run_failed(r))
    return;
  r->status = SF_RESULT_FAIL;
  r->fail_ev = ev;
  va_list ap;
  va_start(ap, fmt);
  sf_strbuf_vprintf(&r->reason, fmt, ap);
  va_end(ap);
}

void run_skip(struct runner *r, sf_script_pos pos, const char *fmt, ...) {
  if (run_failed(r))
    return;
  r->status = SF_RESULT_SKIP;
  va_list ap;
  va_start(ap, fmt);
  sf_strbuf_vprintf(&r->reason, fmt, ap);
  va_end(ap);
  sf_strbuf_printf(&r->reason, " (%s:%u)", r->path, pos.line);
}

void run_trace_add(struct runner *r, int dir, uint64_t t, const uint8_t *pkt,
                   size_t len) {
  if (r->ntrace == r->captrace) {
    size_t cap = r->captrace ? r->captrace * 2 : 64;
    struct run_trace_pkt *n = realloc(r->trace, cap * sizeof(*n));
    if (!n)
      return;
    r->trace = n;
    r->captrace = cap;
  }
  uint8_t *copy = malloc(len ? len : 1);
  if (!copy)
    return;
  memcpy(copy, pkt, len);
  r->trace[r->ntrace++] = (struct run_trace_pkt){t, dir, len, copy};
  if (r->opt->trace) {
    struct sf_strbuf line = {0};
    run_describe_packet(r, dir, pkt, len, &line);
    fprintf(r->opt->trace, "%10.6f %s\n", (double)t / 1e6,
            sf_strbuf_str(&line));
    sf_strbuf_free(&line);
  }
}

int run_live_fd(const struct runner *r, int script_fd) {
  for (size_t i = 0; i < r->nfds; i++)
    if (r->fds[i].script == script_fd)
      return r->fds[i].live;
  return script_fd;
}

void run_map_fd(struct runner *r, int script_fd, int live_fd) {
  for (size_t i = 0; i < r->nfds; i++) {
    if (r->fds[i].script == script_fd) {
      r->fds[i].live = live_fd;
      return;
    }
  }
  if (r->nfds < RUN_MAX_FDS) {
    r->fds[r->nfds].script = script_fd;
    r->fds[r->nfds].live = live_fd;
    r->nfds++;
  }
}

/* Packets without explicit ports belong to the current connection; with
 * them, to the connection of those ports (made on first use). */
struct run_conn *run_conn_for(struct runner *r, const sf_script_packet *p) {
  if (!p->has_ports)
    return &r->conns[r->cur];
  uint16_t lport = p->dir == SF_SCR_INBOUND ? p->dport : p->sport;
  uint16_t rport = p->dir == SF_SCR_INBOUND ? p->sport : p->dport;
  int free_slot = -1;
  for (int i = 0; i < RUN_MAX_CONNS; i++) {
    struct run_conn *c = &r->conns[i];
    if (c->used && c->lport == lport && c->rport == rport) {
      r->cur = i;
      return c;
    }
    if (!c->used && free_slot < 0)
      free_slot = i;
  }
  int i = free_slot >= 0 ? free_slot : RUN_MAX_CONNS - 1;
  r->conns[i] = (struct run_conn){.used = true, .lport = lport, .rport = rport};
  r->cur = i;
  return &r->conns[i];
}

static int64_t wait_limit(const struct runner *r) {
  return r->opt->sut == SF_SUT_LINUX ? REAL_WAIT_US : VIRTUAL_WAIT_US;
}

static int64_t now_us(struct runner *r) {
  return (int64_t)r->sut->ops->now(r->sut);
}

static int64_t tolerance(const struct runner *r, int64_t gap) {
  int64_t pct = gap > 0 ? (int64_t)(r->tol_pct / 100.0 * (double)gap) : 0;
  return r->tol_us > pct ? r->tol_us : pct;
}

static const char *event_text(const sf_script_event *ev, char **owned) {
  size_t len;
  if (sf_script_format_event(ev, owned, &len) < 0)
    return "(event)";
  return *owned;
}

/* Adds the last packets of the trace to a failure's details. */
static void context(struct runner *r) {
  size_t from = r->ntrace > CONTEXT_PACKETS ? r->ntrace - CONTEXT_PACKETS : 0;
  if (from == r->ntrace)
    return;
  sf_strbuf_printf(&r->details, "  last packets:\n");
  for (size_t i = from; i < r->ntrace; i++) {
    struct sf_strbuf line = {0};
    run_describe_packet(r, r->trace[i].dir, r->trace[i].data, r->trace[i].len,
                        &line);
    sf_strbuf_printf(&r->details, "    %10.6f %s\n",
                     (double)r->trace[i].t_us / 1e6, sf_strbuf_str(&line));
    sf_strbuf_free(&line);
  }
}

void run_oracle_verdict(struct runner *r) {
  if (!r->oracle || !r->verdict.failed || run_failed(r))
    return;
  run_fail(r, r->cur_ev, "oracle %s: %s", r->verdict.oracle,
           r->verdict.message);
  context(r);
}

/* --oracles: what the scenario runner tells its oracles about the calls
 * that change the connection under test. */
static void oracle_call(struct runner *r, const sf_call *c,
                        const sf_call_result *res) {
  sf_oracle *o = r->oracle;
  if (!o)
    return;
  switch (c->op) {
  case SF_OP_LISTEN:
    if (res->ret == 0)
      sf_oracle_listening(o);
    break;
  case SF_OP_ACCEPT:
    if (res->ret >= 0)
      sf_oracle_accepted(o, (int)res->ret);
    break;
  case SF_OP_CONNECT:
    sf_oracle_connecting(o, c->fd);
    break;
  case SF_OP_CLOSE:
    sf_oracle_closed(o, c->fd);
    break;
  case SF_OP_SHUTDOWN:
    sf_oracle_shutdown(o, c->fd, c->a, res->ret < 0 ? -res->err : 0);
    break;
  }
}

static void expected_line(struct runner *r, const sf_script_event *ev) {
  char *owned = NULL;
  sf_strbuf_printf(&r->details, "  expected: %s\n", event_text(ev, &owned));
  free(owned);
}

/* ---- blocking calls ---- */

/* The script text of an event without its time ("read(4, ..., 10)"),
 * cut before " = " when `call`. */
static char *event_body(const sf_script_event *ev, bool call) {
  char *owned = NULL;
  const char *t = event_text(ev, &owned);
  const char *sp = strchr(t, ' ');
  char *body = strdup(sp ? sp + 1 : t);
  free(owned);
  char *eq = body && call ? strstr(body, " = ") : NULL;
  if (eq)
    *eq = '\0';
  return body;
}

/* --svg: the call with the result it returned, after the packets so far. */
static void note_call(struct runner *r, const sf_script_event *ev,
                      const sf_call_result *res) {
  if (!r->opt->svg_path)
    return;
  if (r->ncalls == r->capcalls) {
    size_t cap = r->capcalls ? r->capcalls * 2 : 32;
    struct run_trace_call *n = realloc(r->calls, cap * sizeof(*n));
    if (!n)
      return;
    r->calls = n;
    r->capcalls = cap;
  }
  char *body = event_body(ev, true);
  char text[600];
  if (res->ret == -1)
    snprintf(text, sizeof(text), "%s = -1 %s", body ? body : "?",
             sf_errno_name(res->err));
  else
    snprintf(text, sizeof(text), "%s = %ld", body ? body : "?", res->ret);
  free(body);
  r->calls[r->ncalls++] = (struct run_trace_call){
      .t_us = res->t_us, .after = r->ntrace, .text = strdup(text)};
}

static void complete_pending(struct runner *r, sf_call_result *res) {
  struct run_pending *p = &r->pend;
  int64_t t = (int64_t)res->t_us;
  int64_t tol =
      tolerance(r, p->expect_us >= 0 ? p->expect_us - p->start_us : 0);
  p->active = false;
  if (p->done && res->ret >= 0)
    res->ret += (long)p->done;
  oracle_call(r, &p->call, res);
  note_call(r, p->ev, res);
  if (p->expect_us >= 0 && (t < p->expect_us - tol || t > p->expect_us + tol))
    run_fail(r, p->ev, "%s returned at %.6f, expected at %.6f (+/- %.6f)",
             p->ev->syscall.name, (double)t / 1e6, (double)p->expect_us / 1e6,
             (double)tol / 1e6);
  else if (p->expect_us < 0 && t > p->start_us + tol)
    run_fail(r, p->ev,
             "%s blocked until %.6f; a call that blocks needs its end time "
             "(`+0...T %s(...)`)",
             p->ev->syscall.name, (double)t / 1e6, p->ev->syscall.name);
  else
    run_call_check(r, p->ev, &p->call, res);
  if (run_failed(r) && r->details.len == 0) {
    expected_line(r, p->ev);
    context(r);
  }
}

/* Tries the pending call again; it completes when the SUT lets it. */
static void retry_pending(struct runner *r) {
  struct run_pending *p = &r->pend;
  if (!p->active)
    return;
  sf_call c = p->call;
  bool poll_timed_out = c.op == SF_OP_POLL && c.timeout_ms > 0 &&
                        now_us(r) >= p->start_us + (int64_t)c.timeout_ms * 1000;
  if (poll_timed_out)
    c.timeout_ms = 0;
  if (p->done)
    c.len -= p->done;
  sf_call_result res;
  int rc = r->sut->ops->call(r->sut, &c, &res);
  if (rc == -EAGAIN)
    return;
  /* a blocking write moves everything; a non-blocking one returns what
   * it moved */
  bool io = (c.op == SF_OP_WRITE || c.op == SF_OP_SEND) &&
            r->sut->ops->blocking(r->sut, c.fd) &&
            !(c.op == SF_OP_SEND && (c.a & MSG_DONTWAIT));
  if (rc == 0 && io && res.ret >= 0 && (size_t)res.ret < c.len) {
    p->done += (size_t)res.ret; /* a blocking write moves everything */
    return;
  }
  if (rc < 0) {
    res.ret = -1;
    res.err = -rc;
  }
  complete_pending(r, &res);
}

static int64_t pending_deadline(const struct runner *r) {
  const struct run_pending *p = &r->pend;
  if (p->active && p->call.op == SF_OP_POLL && p->call.timeout_ms > 0)
    return p->start_us + (int64_t)p->call.timeout_ms * 1000;
  return INT64_MAX;
}

/* Lets virtual time pass until `until` or until an outbound packet waits,
 * timer by timer, retrying a pending call after each step. Returns 1 when
 * a packet waits. */
static int advance(struct runner *r, int64_t until) {
  for (;;) {
    int64_t step = until;
    uint64_t d = r->sut->ops->next_deadline(r->sut);
    if (d != SF_TIME_NEVER && (int64_t)d < step)
      step = (int64_t)d;
    if (pending_deadline(r) < step)
      step = pending_deadline(r);
    if (step < now_us(r))
      step = now_us(r);
    int rc = r->sut->ops->wait(r->sut, (uint64_t)step);
    if (rc < 0)
      return rc;
    retry_pending(r);
    run_oracle_verdict(r);
    if (rc == 1)
      return 1;
    if (now_us(r) >= until || run_failed(r))
      return 0;
  }
}

static long take_packet(struct runner *r, uint64_t *t) {
  long n = r->sut->ops->recv(r->sut, r->pkt, sizeof(r->pkt), t);
  if (n > 0)
    run_trace_add(r, SF_DIR_OUT, *t, r->pkt, (size_t)n);
  return n;
}

/* The last packet of the trace, for a failure's details. */
static void actual_line(struct runner *r, uint64_t t) {
  struct sf_strbuf line = {0};
  if (!r->fail_pkt)
    r->fail_pkt = r->ntrace;
  run_describe_packet(r, SF_DIR_OUT, r->trace[r->ntrace - 1].data,
                      r->trace[r->ntrace - 1].len, &line);
  sf_strbuf_printf(&r->details, "  actual:   %.6f %s\n", (double)t / 1e6,
                   sf_strbuf_str(&line));
  sf_strbuf_free(&line);
}

/* Runs time up to `t` for an event that is not an outbound packet: any
 * packet the SUT sends meanwhile is unexpected. */
static void quiet_until(struct runner *r, const sf_script_event *ev,
                        int64_t t) {
  while (!run_failed(r)) {
    int rc = advance(r, t);
    if (rc < 0) {
      run_fail(r, ev, "system under test failed: %s", strerror(-rc));
      return;
    }
    if (rc == 0 || run_failed(r))
      return;
    uint64_t when;
    if (take_packet(r, &when) <= 0)
      continue;
    run_fail(r, ev, "unexpected outbound packet at %.6f", (double)when / 1e6);
    expected_line(r, ev);
    actual_line(r, when);
    context(r);
  }
}

/* ---- outbound packets ---- */

/* Appends contiguous segments sent at the same moment while the script's
 * segment is longer than what arrived (packetdrill's merging of TSO-like
 * bursts). */
static void merge_segments(struct runner *r, const sf_script_event *ev,
                           struct run_live *l) {
  const sf_script_packet *p = &ev->packet;
  while (l->len < p->tcp.seq.len) {
    uint64_t t;
    if (r->sut->ops->wait(r->sut, (uint64_t)now_us(r)) != 1)
      return;
    long n = take_packet(r, &t);
    struct run_live next;
    if (n <= 0 || run_live_parse(r->pkt, (size_t)n, &next) < 0 ||
        next.v.l4 != SF_PKT_L4_TCP || next.v.tcp.seq != l->v.tcp.seq + l->len ||
        next.v.tcp.sport != l->v.tcp.sport ||
        next.v.tcp.dport != l->v.tcp.dport) {
      /* the segments so far are shorter than the script's: compared
       * as they are, they fail on len */
      return;
      return;
    }
    l->len += next.len;
    l->payload_nonzero |= next.payload_nonzero;
    l->flags |= next.flags & (SF_TCP_FIN | SF_TCP_PSH);
    l->ack = next.ack;
    l->win = next.win;
  }
}

/* Takes the next outbound packet, merged with the segments that continue
 * it, and compares it with the script. */
static bool take_and_compare(struct runner *r, const sf_script_event *ev,
                             uint64_t *t, struct sf_strbuf *diff,
                             struct sf_strbuf *fields) {
  long n = take_packet(r, t);
  struct run_live l;
  if (n <= 0)
    return false;
  run_live_parse(r->pkt, (size_t)n, &l);
  l.t_us = *t;
  if (ev->packet.kind == SF_SCR_PKT_TCP && l.v.l4 == SF_PKT_L4_TCP &&
      !r->strict_segments)
    merge_segments(r, ev, &l);
  return run_expect_packet(r, ev, &l, diff, fields);
}

/* Nothing came in time. If the SUT sends the expected packet later, the
 * failure says so; the pending call is left alone while we look. */
static void missing_outbound(struct runner *r, const sf_script_event *ev,
                             int64_t start, int64_t hi, int64_t tol) {
  struct run_pending saved = r->pend;
  r->pend.active = false;
  uint64_t t = 0;
  struct sf_strbuf diff = {0}, fields = {0};
  bool late = advance(r, hi + wait_limit(r)) == 1 &&
              take_and_compare(r, ev, &t, &diff, &fields);
  sf_strbuf_free(&diff);
  sf_strbuf_free(&fields);
  r->pend = saved;
  if (late) {
    run_fail(r, ev,
             "outbound packet came too late: at %.6f, expected at "
             "%.6f (+/- %.6f)",
             (double)t / 1e6, (double)start / 1e6, (double)tol / 1e6);
    expected_line(r, ev);
    actual_line(r, t);
  } else {
    run_fail(r, ev,
             "expected outbound packet did not come (waited until "
             "%.6f)",
             (double)hi / 1e6);
    expected_line(r, ev);
  }
  context(r);
}

static void expect_outbound(struct runner *r, const sf_script_event *ev,
                            int64_t start, int64_t end, int64_t tol) {
  bool any = ev->time.kind == SF_SCR_TIME_ANY;
  int64_t hi = any ? now_us(r) + wait_limit(r) : end + tol;
  int rc = advance(r, hi);
  if (run_failed(r))
    return;
  if (rc < 0) {
    run_fail(r, ev, "system under test failed: %s", strerror(-rc));
    return;
  }
  if (rc == 0) {
    if (any)
      run_fail(r, ev,
               "expected outbound packet did not come (waited until "
               "%.6f)",
               (double)hi / 1e6);
    else
      missing_outbound(r, ev, start, hi, tol);
    return;
  }
  uint64_t t;
  struct sf_strbuf diff = {0}, fields = {0};
  bool match = take_and_compare(r, ev, &t, &diff, &fields);
  if (!match) {
    run_fail(r, ev, "outbound packet differs from the script in %s",
             fields.len ? sf_strbuf_str(&fields) : "its kind");
    expected_line(r, ev);
    actual_line(r, t);
    sf_strbuf_printf(&r->details, "%s", sf_strbuf_str(&diff));
    context(r);
  } else if (!any && (int64_t)t < start - tol) {
    run_fail(r, ev,
             "outbound packet came too early: at %.6f, expected at "
             "%.6f (+/- %.6f)",
             (double)t / 1e6, (double)start / 1e6, (double)tol / 1e6);
    expected_line(r, ev);
    actual_line(r, t);
    context(r);
  }
  sf_strbuf_free(&diff);
  sf_strbuf_free(&fields);
}

/* ---- events ---- */

static void do_syscall(struct runner *r, const sf_script_event *ev,
                       int64_t start, int64_t end) {
  sf_call call;
  char why[200];
  if (run_call_build(r, &ev->syscall, &call, why, sizeof(why)) < 0) {
    run_skip(r, ev->pos, "%s", why);
    return;
  }
  if (r->pend.active) {
    run_fail(r, ev, "%s while %s (line %u) still blocks", ev->syscall.name,
             r->pend.ev->syscall.name, r->pend.ev->pos.line);
    expected_line(r, ev);
    context(r);
    return;
  }
  r->pend = (struct run_pending){
      .active = true,
      .ev = ev,
      .call = call,
      .start_us = now_us(r),
      .expect_us = ev->time.end_us != SF_SCRIPT_NO_END ? end : -1};
  (void)start;
  retry_pending(r);
}

/* A live kernel runs shell commands in its namespace; the stack does not
 * (its sysctls are read from the init command before it starts). */
static void do_command(struct runner *r, const sf_script_event *ev) {
  int rc = r->sut->ops->command(r->sut, ev->command.text);
  if (rc == -ENOTSUP)
    sf_strbuf_printf(&r->notices, "%s:%u: command not run against the stack\n",
                     r->path, ev->pos.line);
  else if (rc != 0)
    run_fail(r, ev, "command exited with status %d", rc);
}

/* When an event is due: relative times count from the previous event's
 * script time when both are inbound packets, else from the clock. */
static void schedule(struct runner *r, const sf_script_event *ev, bool inbound,
                     int64_t *start, int64_t *end) {
  const sf_script_time *t = &ev->time;
  int64_t base = (r->prev_inbound && inbound) ? r->prev_t : now_us(r);
  bool rel =
      t->kind == SF_SCR_TIME_RELATIVE || t->kind == SF_SCR_TIME_RELATIVE_RANGE;
  int64_t b = rel ? base : 0;
  *start = t->kind == SF_SCR_TIME_ANY ? now_us(r) : b + t->start_us;
  *end = t->end_us != SF_SCRIPT_NO_END ? b + t->end_us : *start;
}

static void run_event(struct runner *r, const sf_script_event *ev) {
  bool inbound =
      ev->kind == SF_SCR_EV_PACKET && ev->packet.dir == SF_SCR_INBOUND;
  r->cur_ev = ev;
  if (r->oracle)
    sf_oracle_event(r->oracle, (size_t)(ev - r->s->events));
  int64_t start, end;
  schedule(r, ev, inbound, &start, &end);
  int64_t tol = tolerance(r, start - r->prev_t);
  if (ev->kind == SF_SCR_EV_PACKET && !inbound) {
    expect_outbound(r, ev, start, end, tol);
  } else {
    quiet_until(r, ev, start > now_us(r) ? start : now_us(r));
    if (run_failed(r))
      return;
    if (inbound) {
      int rc = run_inject(r, ev);
      if (rc < 0)
        run_fail(r, ev, "could not inject the packet: %s", strerror(-rc));
    } else if (ev->kind == SF_SCR_EV_SYSCALL) {
      do_syscall(r, ev, start, end);
    } else {
      do_command(r, ev);
    }
    run_oracle_verdict(r);
  }
  r->prev_t = start;
  r->prev_inbound = inbound;
}

/* After the last event: a call still blocked gets time to return (a late
 * return is reported as such, one that never comes after an hour of
 * virtual time as never returned); with --strict, packets the SUT still
 * sends are unexpected. */
static void finish(struct runner *r) {
  const sf_script_event *last =
      r->s->n_events ? &r->s->events[r->s->n_events - 1] : NULL;
  uint64_t t;
  if (r->pend.active) {
    int64_t from =
        r->pend.expect_us > now_us(r) ? r->pend.expect_us : now_us(r);
    int64_t limit = from + wait_limit(r);
    while (r->pend.active && !run_failed(r) && now_us(r) < limit) {
      int rc = advance(r, limit);
      if (rc < 0) {
        run_fail(r, r->pend.ev, "system under test failed: %s", strerror(-rc));
        return;
      }
      if (rc == 1 && take_packet(r, &t) > 0 && r->opt->strict) {
        run_fail(r, last, "unexpected outbound packet after the last event");
        actual_line(r, t);
        context(r);
      }
    }
    if (r->pend.active && !run_failed(r)) {
      run_fail(r, r->pend.ev, "%s never returned", r->pend.ev->syscall.name);
      expected_line(r, r->pend.ev);
      context(r);
    }
  }
  if (r->opt->strict && !run_failed(r)) {
    if (r->sut->ops->wait(r->sut, (uint64_t)now_us(r)) == 1 &&
        take_packet(r, &t) > 0) {
      run_fail(r, last, "unexpected outbound packet after the last event");
      actual_line(r, t);
      context(r);
    }
  }
  if (r->oracle && !run_failed(r)) {
    /* the app oracle's last word: everything acknowledged is readable */
    r->cur_ev = last;
    sf_oracle_final(r->oracle);
    run_oracle_verdict(r);
  }
}

/* The run as a ladder diagram: packets, calls, the failure. */
static void write_svg(struct runner *r, const char *path, sf_run_result *res) {
  sf_ladder *l = sf_ladder_new(r->path);
  if (!l)
    return;
  size_t c = 0;
  for (size_t i = 0; i <= r->ntrace; i++) {
    for (; c < r->ncalls && r->calls[c].after == i; c++)
      sf_ladder_call(l, r->calls[c].t_us, r->calls[c].text);
    if (i < r->ntrace)
      sf_ladder_packet(l, r->trace[i].t_us, r->trace[i].dir, r->trace[i].data,
                       r->trace[i].len);
  }
  if (r->status == SF_RESULT_FAIL) {
    if (r->fail_pkt)
      sf_ladder_mark_packet(l, r->fail_pkt - 1);
    const sf_script_event *ev = r->fail_ev;
    if (ev && ev->kind == SF_SCR_EV_PACKET &&
        ev->packet.dir == SF_SCR_OUTBOUND) {
      char *body = event_body(ev, false);
      sf_ladder_expected(l, SF_DIR_OUT, body ? body + 2 : "?");
      free(body);
    }
    char text[1024];
    snprintf(text, sizeof(text), "FAIL %s:%u: %s", r->path,
             ev ? ev->pos.line : 0, sf_strbuf_str(&r->reason));
    sf_ladder_failure(l, text);
  } else if (r->status != SF_RESULT_PASS) {
    sf_ladder_failure(l, sf_strbuf_str(&r->reason));
  }
  char err[512];
  if (sf_ladder_write_file(l, path, err, sizeof(err)) < 0)
    sf_strbuf_printf(&r->notices, "%s\n", err);
  else
    res->svg_path = strdup(path);
  sf_ladder_free(l);
}

static void write_pcap(struct runner *r, const char *path) {
  char err[256];
  sf_pcap_writer *w;
  if (sf_pcap_open(path, &w, err, sizeof(err)) < 0) {
    sf_strbuf_printf(&r->notices, "%s\n", err);
    return;
  }
  for (size_t i = 0; i < r->ntrace; i++)
    sf_pcap_write(w, r->trace[i].t_us, r->trace[i].data, r->trace[i].len);
  if (sf_pcap_close(w) < 0)
    sf_strbuf_printf(&r->notices, "%s: write failed\n", path);
}

/* `// requirement: MUST-7 SHLD-31` and `// rfc: 5961 3.2` lines. */
static char *requirements(const sf_script *s) {
  struct sf_strbuf b = {0};
  for (size_t i = 0; i < s->n_comments; i++) {
    const char *t = s->comments[i].text;
    if (strncmp(t, "requirement:", 12) == 0)
      sf_strbuf_printf(&b, "%s%s", b.len ? " " : "",
                       t + 12 + strspn(t + 12, " "));
    else if (strncmp(t, "rfc:", 4) == 0)
      sf_strbuf_printf(&b, "%sRFC%s", b.len ? " " : "",
                       t + 4 + strspn(t + 4, " "));
  }
  return sf_strbuf_take(&b);
}

static void run_events(struct runner *r) {
  for (size_t i = 0; i < r->s->n_events && !run_failed(r); i++) {
    run_event(r, &r->s->events[i]);
    retry_pending(r);
    if (r->oracle) {
      sf_oracle_check(r->oracle);
      run_oracle_verdict(r);
    }
  }
  if (!run_failed(r))
    finish(r);
}

static void hook_output(void *ctx, const uint8_t *pkt, size_t len) {
  sf_oracle_outbound(ctx, pkt, len);
}

static const uint8_t *hook_write_begin(void *ctx, int fd, size_t n) {
  return sf_oracle_write_begin(ctx, fd, n);
}

static void hook_write_end(void *ctx, int fd, size_t n, long written) {
  sf_oracle_write_end(ctx, fd, n, written);
}

static void hook_read(void *ctx, int fd, const uint8_t *buf, long got) {
  sf_oracle_read(ctx, fd, buf, got);
}

/* --oracles: the oracles watch the stack as in a fuzz scenario whose peer
 * is 192.0.2.1 port 40000 with the ISN --oracles.peer_isn. */
static int make_oracle(struct runner *r) {
  r->oracle = malloc(sizeof(*r->oracle));
  if (!r->oracle) {
    run_fail(r, NULL, "cannot create the oracles: %s", strerror(ENOMEM));
    return -ENOMEM;
  }
  sf_oracle_reset(r->oracle, sf_sut_stack_get(r->sut), &r->verdict,
                  r->oracle_peer_isn);
  sf_sut_stack_hooks h = {.output = hook_output,
                          .write_begin = hook_write_begin,
                          .write_end = hook_write_end,
                          .read = hook_read,
                          .ctx = r->oracle};
  sf_sut_stack_set_hooks(r->sut, &h);
  return 0;
}

/* The stack takes its sysctls from the init command before it is made; a
 * live kernel runs the init command in its namespace once it is set up. */
static int make_sut(struct runner *r) {
  int rc;
  if (r->opt->sut == SF_SUT_STACK) {
    if ((rc = run_apply_init(r)) < 0)
      return rc;
    rc = sf_sut_stack_new(&r->profile, RUN_LOCAL_IP, r->mtu, r->opt->seed,
                          &r->sut);
    if (rc < 0)
      run_fail(r, NULL, "cannot create the stack: %s", strerror(-rc));
    else if (r->oracles)
      rc = make_oracle(r);
    return rc;
  }
  char err[256];
  rc = sf_sut_linux_new(&r->sut, err, sizeof(err));
  if (rc < 0) {
    r->status = SF_RESULT_ERROR;
    sf_strbuf_printf(&r->reason, "%s", err);
    return rc;
  }
  if (r->s->init_command &&
      (rc = r->sut->ops->command(r->sut, r->s->init_command)) != 0) {
    run_fail(r, NULL, "%s:%u: init command exited with status %d", r->path,
             r->s->init_pos.line, rc);
    return -EINVAL;
  }
  return 0;
}

static void fill_result(struct runner *r, sf_run_result *res) {
  sf_script_result *o = &res->r;
  o->status = r->status;
  if (r->status == SF_RESULT_FAIL && r->fail_ev) {
    char loc[512];
    snprintf(loc, sizeof(loc), "%s:%u", r->path, r->fail_ev->pos.line);
    o->location = strdup(loc);
  }
  o->reason = r->reason.len ? sf_strbuf_take(&r->reason) : NULL;
  o->details = r->details.len ? sf_strbuf_take(&r->details) : NULL;
  if (r->sut) {
    o->virtual_us = r->sut->ops->now(r->sut);
    res->trace_hash = r->sut->ops->trace_hash(r->sut);
  }
  res->packets = r->ntrace;
}

static void runner_free(struct runner *r) {
  for (size_t i = 0; i < r->ntrace; i++)
    free(r->trace[i].data);
  free(r->trace);
  for (size_t i = 0; i < r->ncalls; i++)
    free(r->calls[i].text);
  free(r->calls);
  sf_strbuf_free(&r->reason);
  sf_strbuf_free(&r->details);
  sf_strbuf_free(&r->notices);
  if (r->sut)
    r->sut->ops->destroy(r->sut);
  free(r->oracle);
}

static void runner_init(struct runner *r, const sf_script *s, const char *path,
                        const sf_run_options *o) {
  r->s = s;
  r->path = path;
  r->opt = o;
  r->tol_us = o->tolerance_us ? o->tolerance_us : 4000;
  r->tol_pct = 12.5;
  r->mtu = 1500;
  r->oracle_peer_isn = SF_SCN_PEER_ISN;
  r->conns[0] = (struct run_conn){
      .used = true, .lport = RUN_PORT, .rport = RUN_REMOTE_EPHEMERAL};
  sf_profile_init(&r->profile, o->profile);
}

int sf_run_check(const sf_script *s, const char *name, char *why,
                 size_t whylen) {
  sf_run_options o;
  sf_run_options_default(&o);
  struct runner *r = calloc(1, sizeof(*r));
  if (!r)
    return -ENOMEM;
  runner_init(r, s, name, &o);
  int rc = 0;
  if (run_apply_options(r) < 0 || !run_check_support(r) ||
      run_apply_init(r) < 0)
    rc = r->status == SF_RESULT_SKIP ? 1 : -EINVAL;
  snprintf(why, whylen, "%s", sf_strbuf_str(&r->reason));
  runner_free(r);
  free(r);
  return rc;
}

void sf_run_file(const char *path, const sf_run_options *o,
                 sf_run_result *res) {
  memset(res, 0, sizeof(*res));
  res->r.path = strdup(path);
  sf_script *s = NULL;
  sf_script_error err;
  if (sf_script_parse_file(path, &s, &err) < 0) {
    res->r.status = SF_RESULT_ERROR;
    res->r.reason = strdup(err.message);
    res->r.requirements = strdup("");
    return;
  }
  struct runner *r = calloc(1, sizeof(*r));
  if (!r) {
    res->r.status = SF_RESULT_ERROR;
    res->r.reason = strdup("out of memory");
    sf_script_free(s);
    return;
  }
  runner_init(r, s, path, o);
  res->r.requirements = requirements(s);
  if (run_apply_options(r) == 0 && run_check_support(r) && make_sut(r) == 0) {
    r->sut->ops->start(r->sut);
    run_events(r);
    if (s->cleanup_command)
      r->sut->ops->command(r->sut, s->cleanup_command);
  }
  if (o->pcap_path)
    write_pcap(r, o->pcap_path);
  if (o->svg_path)
    write_svg(r, o->svg_path, res);
  if (r->notices.len && o->trace)
    fputs(sf_strbuf_str(&r->notices), o->trace);
  fill_result(r, res);
  if (o->trace && r->sut)
    fprintf(o->trace, "trace hash %016llx (%llu packets)\n",
            (unsigned long long)res->trace_hash,
            (unsigned long long)res->packets);
  if (o->pcap_path && r->ntrace)
    res->r.pcap_path = strdup(o->pcap_path);
  runner_free(r);
  free(r);
  sf_script_free(s);
}

void sf_run_result_free(sf_run_result *res) {
  free((char *)res->r.path);
  free((char *)res->r.reason);
  free((char *)res->r.location);
  free((char *)res->r.details);
  free((char *)res->r.requirements);
  free((char *)res->r.pcap_path);
  free((char *)res->svg_path);
  memset(res, 0, sizeof(*res));
}
