/* Running an input in a child process: the child reports what happened as
 * records on a pipe, written as they happen (a crash loses nothing
 * written before it), its stderr (a sanitizer's report) on another; the
 * parent collects both and how the child ended. */
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "repro.h"
#include "synfin/run.h"
#include "synfin/script.h"
#include "synfin/trace.h"

enum { REC_END = 100 };

/* One record on the pipe: this header, then len bytes. */
struct rec_hdr {
  uint8_t type, dir;
  uint16_t pad;
  uint32_t len;
  uint64_t t_us;
  int64_t a, b;
};

/* The fixed part of a SEGMENT record (its datagram follows). */
struct seg_fixed {
  uint8_t flags, corrupt, doff, nopt;
  uint32_t seq, ack;
  uint16_t win, urg, payload, ip_id;
  uint8_t opt[SF_SCN_MAX_OPTS];
};

/* The END record. */
struct end_fixed {
  uint8_t failed;
  char oracle[24];
  char message[256];
  uint64_t event, t_us, packet, hash, end_us;
};

/* ---- the child ---- */

static int rec_fd = -1;

static void write_all(const void *p, size_t n) {
  const uint8_t *b = p;
  while (n > 0) {
    ssize_t w = write(rec_fd, b, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      _exit(3);
    b += w;
    n -= (size_t)w;
  }
}

static void put(uint8_t type, uint8_t dir, uint64_t t, int64_t a, int64_t b,
                const void *d1, size_t n1, const void *d2, size_t n2) {
  struct rec_hdr h = {.type = type,
                      .dir = dir,
                      .len = (uint32_t)(n1 + n2),
                      .t_us = t,
                      .a = a,
                      .b = b};
  uint8_t buf[sizeof(h) + sizeof(struct seg_fixed)];
  if (n1 <= sizeof(struct seg_fixed)) {
    /* header and the fixed part in one write: one atomic pipe write */
    memcpy(buf, &h, sizeof(h));
    if (n1)
      memcpy(buf + sizeof(h), d1, n1);
    write_all(buf, sizeof(h) + n1);
  } else {
    write_all(&h, sizeof(h));
    write_all(d1, n1);
  }
  if (n2)
    write_all(d2, n2);
}

static void on_packet(void *ctx, int dir, uint64_t t, const uint8_t *pkt,
                      size_t len) {
  (void)ctx;
  put(SF_RP_REC_PACKET, (uint8_t)dir, t, 0, 0, pkt, len, NULL, 0);
}

static void on_event(void *ctx, size_t index, const sf_scn_event *ev,
                     uint64_t t) {
  (void)ctx;
  (void)ev;
  put(SF_RP_REC_EVENT, 0, t, (int64_t)index, 0, NULL, 0, NULL, 0);
}

static void on_state(void *ctx, int old_state, int new_state, uint64_t t) {
  (void)ctx;
  put(SF_RP_REC_STATE, 0, t, old_state, new_state, NULL, 0, NULL, 0);
}

static void on_begin(void *ctx, uint64_t t) {
  (void)ctx;
  put(SF_RP_REC_BEGIN, 0, t, 0, 0, NULL, 0, NULL, 0);
}

static void on_syscall(void *ctx, const char *text, long result, uint64_t t) {
  (void)ctx;
  put(SF_RP_REC_CALL, 0, t, result, 0, text, strlen(text) + 1, NULL, 0);
}

static void on_segment(void *ctx, const sf_scn_inbound *in, uint64_t t) {
  (void)ctx;
  struct seg_fixed f = {.flags = in->flags,
                        .corrupt = in->corrupt,
                        .doff = in->doff,
                        .nopt = in->nopt,
                        .seq = in->seq,
                        .ack = in->ack,
                        .win = in->win,
                        .urg = in->urg,
                        .payload = in->payload,
                        .ip_id = in->ip_id};
  memcpy(f.opt, in->opt, in->nopt);
  put(SF_RP_REC_SEGMENT, 0, t, 0, 0, &f, sizeof(f), in->pkt, in->len);
}

static void put_end(const sf_scn_verdict *v, uint64_t hash, uint64_t end) {
  struct end_fixed e = {.failed = v->failed,
                        .event = v->event,
                        .t_us = v->t_us,
                        .packet = v->packet,
                        .hash = hash,
                        .end_us = end};
  if (v->failed) {
    snprintf(e.oracle, sizeof(e.oracle), "%s", v->oracle ? v->oracle : "?");
    snprintf(e.message, sizeof(e.message), "%s", v->message);
  }
  put(REC_END, 0, 0, 0, 0, &e, sizeof(e), NULL, 0);
}

/* Made in the parent once, inherited by every child (copy on write). */
static sf_scn_runner *runner;

static void child_scenario(const sf_scenario *s, bool records) {
  if (!runner && sf_scn_runner_new(&runner) < 0)
    _exit(4);
  sf_scn_observer obs = {.packet = on_packet,
                         .event = on_event,
                         .state = on_state,
                         .syscall_begin = on_begin,
                         .syscall = on_syscall,
                         .segment = on_segment};
  sf_scn_verdict v;
  sf_scn_run(runner, s, records ? &obs : NULL, &v);
  put_end(&v, sf_scn_runner_trace_hash(runner),
          sf_stack_now(sf_scn_runner_stack(runner)));
}

/* script_parser_fuzzer's checks: parse, the runner's static checks, print
 * and parse again to the same script. */
static void child_parser(const uint8_t *buf, size_t len) {
  sf_scn_verdict v = {0};
  sf_script *s;
  sf_script_error err;
  if (sf_script_parse((const char *)buf, len, "fuzz.pkt", &s, &err) == 0) {
    char why[256];
    sf_run_check(s, "fuzz.pkt", why, sizeof(why));
    char *text;
    size_t tlen;
    if (sf_script_format(s, &text, &tlen) == 0) {
      sf_script *again;
      if (sf_script_parse(text, tlen, "formatted.pkt", &again, &err) < 0) {
        v.failed = true;
        v.oracle = "format";
        snprintf(v.message, sizeof(v.message),
                 "printed script does not parse: %.200s", err.message);
      } else {
        if (!sf_script_equal(s, again)) {
          v.failed = true;
          v.oracle = "format";
          snprintf(v.message, sizeof(v.message),
                   "printed script parses to a different script");
        }
        sf_script_free(again);
      }
      free(text);
    }
    sf_script_free(s);
  }
  put_end(&v, 0, 0);
}

static int visit_pcap(void *ctx, uint64_t t_ns, int link_type,
                      const uint8_t *data, size_t caplen, size_t wirelen) {
  (void)ctx;
  (void)t_ns;
  (void)link_type;
  (void)wirelen;
  sf_pkt_view v;
  sf_pkt_decode(data, caplen, &v);
  sf_pkt_fmt f = {.dir = SF_DIR_IN, .relative = false, .show_win = true};
  char line[1024];
  sf_pkt_format(&v, &f, line, sizeof(line));
  sf_pkt_field fields[SF_PKT_MAX_FIELDS];
  sf_pkt_format_fields(&v, &f, fields, SF_PKT_MAX_FIELDS);
  return 0;
}

/* pcap_reader_fuzzer's path: read from memory, decode and print. */
static void child_pcap_reader(const uint8_t *buf, size_t len) {
  char err[256];
  sf_scn_verdict v = {0};
  sf_pcap_read_mem(buf, len, visit_pcap, NULL, err, sizeof(err));
  put_end(&v, 0, 0);
}

/* ---- the parent ---- */

static int add_rec(sf_rp_outcome *o, const sf_rp_rec *r) {
  if (o->nrecs == o->caprecs) {
    size_t cap = o->caprecs ? o->caprecs * 2 : 256;
    sf_rp_rec *n = realloc(o->recs, cap * sizeof(*n));
    if (!n)
      return -ENOMEM;
    o->recs = n;
    o->caprecs = cap;
  }
  o->recs[o->nrecs++] = *r;
  return 0;
}

static void parse_records(sf_rp_outcome *o, const uint8_t *b, size_t n) {
  size_t pos = 0, event = SF_SCN_SETUP_EVENT;
  while (n - pos >= sizeof(struct rec_hdr)) {
    struct rec_hdr h;
    memcpy(&h, b + pos, sizeof(h));
    if (h.len > n - pos - sizeof(h))
      break; /* cut by a crash mid-record */
    const uint8_t *d = b + pos + sizeof(h);
    pos += sizeof(h) + h.len;
    if (h.type == REC_END) {
      struct end_fixed e;
      if (h.len < sizeof(e))
        break;
      memcpy(&e, d, sizeof(e));
      o->ran = true;
      o->verdict.failed = e.failed;
      o->verdict.event = e.event;
      o->verdict.t_us = e.t_us;
      o->verdict.packet = e.packet;
      snprintf(o->verdict.message, sizeof(o->verdict.message), "%s", e.message);
      static const char *const names[] = {"invariant", "wire",  "app",
                                          "hang",      "setup", "format"};
      o->verdict.oracle = "?";
      for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(e.oracle, names[i]) == 0)
          o->verdict.oracle = names[i];
      o->trace_hash = e.hash;
      o->end_us = e.end_us;
      continue;
    }
    sf_rp_rec r = {.type = h.type, .dir = h.dir, .t_us = h.t_us};
    if (h.type == SF_RP_REC_EVENT) {
      event = (size_t)h.a;
      o->last_event = event;
    }
    r.index = event;
    r.result = (long)h.a;
    r.old_state = (int)h.a;
    r.new_state = (int)h.b;
    size_t skip = h.type == SF_RP_REC_SEGMENT ? sizeof(struct seg_fixed) : 0;
    if (h.len < skip)
      continue;
    if (h.len > skip) {
      r.data = malloc(h.len - skip + 1);
      if (!r.data)
        break;
      memcpy(r.data, d + skip, h.len - skip);
      r.data[h.len - skip] = '\0';
      r.len = h.len - skip;
    }
    if (h.type == SF_RP_REC_SEGMENT) {
      struct seg_fixed f;
      memcpy(&f, d, sizeof(f));
      memcpy(r.opt, f.opt, sizeof(r.opt));
      r.in = (sf_scn_inbound){.len = r.len,
                              .flags = f.flags,
                              .seq = f.seq,
                              .ack = f.ack,
                              .win = f.win,
                              .urg = f.urg,
                              .payload = f.payload,
                              .corrupt = f.corrupt,
                              .doff = f.doff,
                              .nopt = f.nopt,
                              .ip_id = f.ip_id};
    }
    if (add_rec(o, &r) < 0) {
      free(r.data);
      break;
    }
  }
  /* pointers into records once the array no longer moves */
  for (size_t i = 0; i < o->nrecs; i++) {
    o->recs[i].in.pkt = o->recs[i].data;
    o->recs[i].in.opt = o->recs[i].opt;
  }
}

struct buf {
  uint8_t *p;
  size_t n, cap;
};

static bool drain(int fd, struct buf *b) {
  if (b->n == b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 65536;
    uint8_t *p = realloc(b->p, cap);
    if (!p)
      return false;
    b->p = p;
    b->cap = cap;
  }
  ssize_t got = read(fd, b->p + b->n, b->cap - b->n);
  if (got > 0) {
    b->n += (size_t)got;
    return true;
  }
  return got < 0 && errno == EINTR;
}

enum job { JOB_SCENARIO, JOB_PARSER, JOB_PCAP };

static int run_child(enum job job, const sf_scenario *s, const uint8_t *buf,
                     size_t len, bool records, unsigned timeout_s,
                     sf_rp_outcome *out) {
  memset(out, 0, sizeof(*out));
  out->last_event = SF_SCN_SETUP_EVENT;
  if (job == JOB_SCENARIO && !runner && sf_scn_runner_new(&runner) < 0)
    return -ENOMEM;
  int rp[2], ep[2];
  if (pipe(rp) != 0)
    return -errno;
  if (pipe(ep) != 0) {
    int e = errno;
    close(rp[0]);
    close(rp[1]);
    return -e;
  }
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    close(rp[0]);
    close(rp[1]);
    close(ep[0]);
    close(ep[1]);
    return -e;
  }
  if (pid == 0) {
    close(rp[0]);
    close(ep[0]);
    dup2(ep[1], STDERR_FILENO);
    close(ep[1]);
    rec_fd = rp[1];
    signal(SIGPIPE, SIG_DFL);
    alarm(timeout_s);
    if (job == JOB_SCENARIO)
      child_scenario(s, records);
    else if (job == JOB_PARSER)
      child_parser(buf, len);
    else
      child_pcap_reader(buf, len);
    _exit(0);
  }
  close(rp[1]);
  close(ep[1]);
  struct buf rb = {0}, eb = {0};
  bool r_open = true, e_open = true;
  while (r_open || e_open) {
    struct pollfd pfd[2] = {{.fd = r_open ? rp[0] : -1, .events = POLLIN},
                            {.fd = e_open ? ep[0] : -1, .events = POLLIN}};
    if (poll(pfd, 2, -1) < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    if (r_open && (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) &&
        !drain(rp[0], &rb))
      r_open = false;
    if (e_open && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)) &&
        !drain(ep[0], &eb))
      e_open = false;
  }
  close(rp[0]);
  close(ep[0]);
  int ws = 0;
  while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
    ;
  parse_records(out, rb.p, rb.n);
  free(rb.p);
  out->err_text = realloc(eb.p, eb.n + 1);
  if (out->err_text) {
    out->err_text[eb.n] = '\0';
    out->err_len = eb.n;
  } else {
    free(eb.p);
  }
  if (WIFSIGNALED(ws)) {
    out->crashed = true;
    out->signal = WTERMSIG(ws);
    out->timed_out = out->signal == SIGALRM;
  } else if (WIFEXITED(ws)) {
    out->exit_status = WEXITSTATUS(ws);
  }
  out->failed = out->verdict.failed || !out->ran || out->crashed;
  return 0;
}

int sf_rp_run_scenario(const sf_scenario *s, bool records, unsigned timeout_s,
                       sf_rp_outcome *out) {
  return run_child(JOB_SCENARIO, s, NULL, 0, records, timeout_s, out);
}

int sf_rp_run_bytes(enum sf_rp_kind kind, const uint8_t *buf, size_t len,
                    unsigned timeout_s, sf_rp_outcome *out) {
  return run_child(kind == SF_RP_PARSER ? JOB_PARSER : JOB_PCAP, NULL, buf, len,
                   false, timeout_s, out);
}

void sf_rp_outcome_free(sf_rp_outcome *o) {
  for (size_t i = 0; i < o->nrecs; i++)
    free(o->recs[i].data);
  free(o->recs);
  free(o->err_text);
  memset(o, 0, sizeof(*o));
}

/* ---- signatures ---- */

/* Copies text with every run of digits (and 0x hex) made one '#'. */
static void blank_numbers(const char *in, char *out, size_t cap) {
  size_t n = 0;
  for (const char *p = in; *p && n + 1 < cap;) {
    if (p[0] == '0' && p[1] == 'x' && isxdigit((unsigned char)p[2])) {
      p += 2;
      while (isxdigit((unsigned char)*p))
        p++;
      out[n++] = '#';
    } else if (isdigit((unsigned char)*p)) {
      while (isdigit((unsigned char)*p))
        p++;
      out[n++] = '#';
    } else {
      out[n++] = *p++;
    }
  }
  out[n] = '\0';
}

/* The line of text that contains `needle`, copied without its end. */
static bool line_with(const char *text, const char *needle, char *out,
                      size_t cap) {
  const char *p = strstr(text, needle);
  if (!p)
    return false;
  const char *s = p;
  while (s > text && s[-1] != '\n')
    s--;
  const char *e = strchr(p, '\n');
  size_t n = e ? (size_t)(e - s) : strlen(s);
  if (n >= cap)
    n = cap - 1;
  memcpy(out, s, n);
  out[n] = '\0';
  return true;
}

/* The functions of the first frames of a sanitizer's stack trace
 * ("    #0 0x4f2a1b in sf_tcp_input /path/tcp_input.c:123:5"), skipping
 * the sanitizer's and libc's own. */
static void frames(const char *text, char *out, size_t cap, int want) {
  size_t n = 0;
  int got = 0;
  out[0] = '\0';
  for (const char *p = text; p && *p && got < want;) {
    const char *e = strchr(p, '\n');
    char line[512];
    size_t len = e ? (size_t)(e - p) : strlen(p);
    if (len >= sizeof(line))
      len = sizeof(line) - 1;
    memcpy(line, p, len);
    line[len] = '\0';
    p = e ? e + 1 : NULL;
    const char *l = line + strspn(line, " \t");
    unsigned idx;
    char fn[128];
    if (sscanf(l, "#%u %*s in %127s", &idx, fn) != 2) {
      if (got > 0 && l[0] != '#')
        break; /* the first stack ended */
      continue;
    }
    if (strncmp(fn, "__", 2) == 0 || strcmp(fn, "abort") == 0 ||
        strcmp(fn, "raise") == 0 || strcmp(fn, "gsignal") == 0 ||
        strstr(fn, "sanitizer") || strncmp(fn, "sf_bug_", 7) == 0)
      continue;
    int w = snprintf(out + n, cap - n, "%s%s", got ? " < " : "", fn);
    if (w > 0 && (size_t)w < cap - n)
      n += (size_t)w;
    got++;
  }
}

void sf_rp_signature(const sf_rp_outcome *o, char *sig, size_t cap) {
  char line[512], tmp[512], fr[256];
  const char *err = o->err_text ? o->err_text : "";
  sig[0] = '\0';
  if (o->verdict.failed) {
    blank_numbers(o->verdict.message, tmp, sizeof(tmp));
    snprintf(sig, cap, "oracle %s: %s", o->verdict.oracle, tmp);
    return;
  }
  if (!o->failed)
    return;
  if (o->timed_out) {
    snprintf(sig, cap, "timeout");
    return;
  }
  frames(err, fr, sizeof(fr), 3);
  const char *bug = strstr(err, "synfin bug ");
  if (bug && sscanf(bug, "synfin bug %127s triggered", tmp) == 1) {
    snprintf(sig, cap, "bug %s triggered", tmp);
    return;
  }
  const char *san = strstr(err, "ERROR: AddressSanitizer: ");
  if (!san)
    san = strstr(err, "ERROR: LeakSanitizer: ");
  if (san) {
    const char *kind = strchr(san + 7, ':') + 2;
    size_t k = strcspn(kind, " \n");
    snprintf(sig, cap, "%.*s%s%s", (int)k, kind, fr[0] ? " in " : "", fr);
    return;
  }
  if (line_with(err, "runtime error: ", line, sizeof(line))) {
    const char *what = strstr(line, "runtime error: ") + 15;
    blank_numbers(what, tmp, sizeof(tmp));
    snprintf(sig, cap, "ubsan: %s%s%s", tmp, fr[0] ? " in " : "", fr);
    return;
  }
  if (o->crashed)
    snprintf(sig, cap, "signal %d (%s)%s%s", o->signal, strsignal(o->signal),
             fr[0] ? " in " : "", fr);
  else
    snprintf(sig, cap, "exit status %d%s%s", o->exit_status,
             fr[0] ? " in " : "", fr);
}

void sf_rp_failure_line(const sf_rp_outcome *o, char *out, size_t cap) {
  const char *err = o->err_text ? o->err_text : "";
  char line[512];
  out[0] = '\0';
  if (o->verdict.failed) {
    if (o->verdict.event == SF_SCN_SETUP_EVENT)
      snprintf(out, cap, "synfin oracle %s: %s (the setup)", o->verdict.oracle,
               o->verdict.message);
    else
      snprintf(out, cap, "synfin oracle %s: %s (event %zu)", o->verdict.oracle,
               o->verdict.message, o->verdict.event);
    return;
  }
  if (!o->failed)
    return;
  if (o->timed_out) {
    snprintf(out, cap, "timed out (a hang)");
  } else if (line_with(err, "synfin bug ", line, sizeof(line)) ||
             line_with(err, "ERROR: AddressSanitizer", line, sizeof(line)) ||
             line_with(err, "ERROR: LeakSanitizer", line, sizeof(line)) ||
             line_with(err, "runtime error:", line, sizeof(line))) {
    snprintf(out, cap, "%s", line);
  } else if (o->crashed) {
    snprintf(out, cap, "crashed: signal %d (%s)", o->signal,
             strsignal(o->signal));
  } else {
    snprintf(out, cap, "the run ended early (exit status %d)", o->exit_status);
  }
}
