/* Peer traces to scenarios (corpus_build.h). The trace is played against
 * the scenario runner once; an observer keeps the peer's view the runner
 * resolves against (the connection, the peer's ISN, the stack's ISN and
 * last TSval) and, just before each segment is injected, writes its numbers
 * as deltas from that view. The run that builds the scenario is also the
 * replay that judges it: every event ran with its final bytes. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "corpus_build.h"
#include "sha1.h"
#include "synfin/bytes.h"
#include "synfin/checksum.h"

#define TH_SYN 0x02

void sf_cb_trace_init(sf_cb_trace *t) {
  memset(t, 0, sizeof(*t));
}

void sf_cb_trace_free(sf_cb_trace *t) {
  for (size_t i = 0; i < t->n; i++)
    free(t->items[i].raw);
  free(t->items);
  memset(t, 0, sizeof(*t));
}

int sf_cb_push(sf_cb_trace *t, const sf_cb_item *it) {
  if (t->n == t->cap) {
    size_t cap = t->cap ? t->cap * 2 : 64;
    sf_cb_item *n = realloc(t->items, cap * sizeof(*n));
    if (!n)
      return -ENOMEM;
    t->items = n;
    t->cap = cap;
  }
  sf_cb_item *d = &t->items[t->n];
  *d = *it;
  d->raw = NULL;
  if (it->kind == SF_CB_RAW) {
    d->raw = malloc(it->raw_len ? it->raw_len : 1);
    if (!d->raw)
      return -ENOMEM;
    memcpy(d->raw, it->raw, it->raw_len);
  }
  t->n++;
  return 0;
}

void sf_cb_sort(sf_cb_trace *t) {
  /* insertion sort: stable, and linear on the nearly sorted input
   * captures give */
  for (size_t i = 1; i < t->n; i++) {
    sf_cb_item x = t->items[i];
    size_t j = i;
    while (j > 0 && t->items[j - 1].t_us > x.t_us) {
      t->items[j] = t->items[j - 1];
      j--;
    }
    t->items[j] = x;
  }
}

/* ---- the build ---- */

struct pending {
  size_t item;       /* the trace item of a segment or ICMP event */
  bool out_ts_known; /* a TSval of the stack's side came before it */
  uint32_t out_ts;   /* the latest one */
  bool resolve;      /* a segment still to resolve */
};

struct builder {
  sf_scenario *s;
  const sf_cb_trace *t;
  struct pending *pend; /* one per event */
  sf_scn_runner *runner;
  bool active;
  /* the runner's view, kept the way scenario_run.c keeps it */
  uint16_t lport;
  uint32_t peer_isn;
  bool iss_known;
  uint32_t iss;
  uint32_t ts_last;
};

struct conn_find {
  uint16_t lport;
  bool found;
  sf_tcp_info info;
};

static void find_visit(void *ctx, int fd, const sf_tcp_info *info) {
  struct conn_find *f = ctx;
  (void)fd;
  if (info->state != SF_TCP_LISTEN && info->remote_port == SF_SCN_PEER_PORT &&
      info->local_port == f->lport && !f->found) {
    f->found = true;
    f->info = *info;
  }
}

static bool connection(struct builder *b, sf_tcp_info *info) {
  struct conn_find f = {.lport = b->lport};
  sf_stack_each_conn(sf_scn_runner_stack(b->runner), find_visit, &f);
  if (f.found)
    *info = f.info;
  return f.found;
}

static void active_port_visit(void *ctx, int fd, const sf_tcp_info *info) {
  uint16_t *port = ctx;
  (void)fd;
  if (info->remote_port == SF_SCN_PEER_PORT && !*port)
    *port = info->local_port;
}

/* What the runner's wire oracle learns from a packet the stack sent: its
 * last TSval (any TCP segment whose options parse up to a TS option) and
 * its ISN (a SYN of the connection under test). */
static void on_packet(void *ctx, int dir, uint64_t t_us, const uint8_t *p,
                      size_t len) {
  struct builder *b = ctx;
  (void)t_us;
  if (dir != SF_DIR_OUT || len < 40 || p[0] != 0x45 || sf_get16(p + 2) != len ||
      p[9] != 6)
    return;
  const uint8_t *th = p + 20;
  size_t doff = (size_t)(th[12] >> 4) * 4;
  if (doff < 20 || doff > len - 20)
    return;
  const uint8_t *o = th + 20;
  size_t n = doff - 20;
  for (size_t i = 0; i < n;) {
    if (o[i] == 0)
      break;
    if (o[i] == 1) {
      i++;
      continue;
    }
    if (i + 1 >= n || o[i + 1] < 2 || i + o[i + 1] > n)
      break;
    if (o[i] == 8 && o[i + 1] == 10)
      b->ts_last = sf_get32(o + i + 2);
    i += o[i + 1];
  }
  if (sf_get16(th) == b->lport && sf_get16(th + 2) == SF_SCN_PEER_PORT &&
      sf_get32(p + 16) == SF_SCN_PEER_ADDR && (th[13] & TH_SYN) &&
      (!b->iss_known || sf_get32(th + 4) != b->iss)) {
    b->iss = sf_get32(th + 4);
    b->iss_known = true;
  }
}

static void on_call(void *ctx, const char *what, long result, uint64_t t_us) {
  struct builder *b = ctx;
  (void)t_us;
  sf_tcp_info info;
  if (strcmp(what, "accept") == 0 && result >= 0 &&
      sf_tcp_get_info(sf_scn_runner_stack(b->runner), (int)result, &info) ==
          0 &&
      info.irs != b->peer_isn)
    b->peer_isn = info.irs;
}

/* The TSecr the source meant: the stack's TSval that stands where the
 * source's echoed value stood relative to the other side's latest one. */
static uint32_t ecr_target(const struct builder *b, const struct pending *pd,
                           uint32_t ecr) {
  if (ecr == 0)
    return 0;
  if (!pd->out_ts_known)
    return b->ts_last;
  return b->ts_last + (ecr - pd->out_ts);
}

/* Walks the options the way the runner's resolve_options() does and
 * writes TS and SACK values as the deltas it adds back. */
static void resolve_options(struct builder *b, const struct pending *pd,
                            bool have, const sf_tcp_info *info, uint32_t iss,
                            uint8_t *o, uint8_t n) {
  for (uint8_t i = 0; i < n;) {
    if (o[i] <= 1) {
      i++;
      continue;
    }
    if (i + 1 >= n || o[i + 1] < 2 || i + o[i + 1] > n)
      return;
    uint8_t len = o[i + 1];
    if (o[i] == 8 && len == 10) {
      uint32_t val = sf_get32(o + i + 2);
      uint32_t ecr = ecr_target(b, pd, sf_get32(o + i + 6));
      if (have) {
        sf_put32(o + i + 2, val - info->ts_recent);
        sf_put32(o + i + 6, ecr - b->ts_last);
      } else {
        sf_put32(o + i + 6, ecr);
      }
    } else if (o[i] == 5) {
      for (uint8_t k = 2; k + 4 <= len; k += 4) {
        uint32_t edge = iss + sf_get32(o + i + k);
        sf_put32(o + i + k, have ? edge - info->snd_una : edge);
      }
    }
    i += len;
  }
}

static void resolve_segment(struct builder *b, size_t index) {
  struct pending *pd = &b->pend[index];
  const sf_cb_item *it = &b->t->items[pd->item];
  sf_scn_segment *g = &b->s->ev[index].seg;
  sf_tcp_info info = {0};
  bool have = connection(b, &info);
  uint32_t seq = SF_SCN_PEER_ISN + b->s->setup.seed + it->seq;
  uint32_t iss = have ? info.iss : (b->iss_known ? b->iss : 0);
  g->seq_delta = (int32_t)(seq - (have ? info.rcv_nxt : b->peer_isn));
  g->ack_delta = (int32_t)(iss + it->ack - (have ? info.snd_una : iss));
  memcpy(g->opt, it->opt, it->nopt);
  g->nopt = it->nopt;
  resolve_options(b, pd, have, &info, iss, g->opt, g->nopt);
  pd->resolve = false;
}

/* An ICMP error's quote of the stack's segment, on the connection as it
 * is. */
static void resolve_icmp(struct builder *b, size_t index) {
  struct pending *pd = &b->pend[index];
  const sf_cb_item *it = &b->t->items[pd->item];
  uint8_t *p = b->s->ev[index].raw.bytes;
  size_t len = b->s->ev[index].raw.len;
  sf_tcp_info info = {0};
  bool have = connection(b, &info);
  uint32_t iss = have ? info.iss : (b->iss_known ? b->iss : 0);
  if (len >= 56) {
    sf_put16(p + 48, b->lport);
    sf_put16(p + 50, SF_SCN_PEER_PORT);
    sf_put32(p + 52, iss + it->seq);
    sf_put16(p + 22, 0);
    sf_put16(p + 22, sf_csum(p + 20, len - 20));
  }
  pd->resolve = false;
}

static void on_event(void *ctx, size_t index, const sf_scn_event *ev,
                     uint64_t t_us) {
  struct builder *b = ctx;
  (void)ev;
  (void)t_us;
  if (index == 0 && b->active) {
    uint16_t port = 0;
    sf_stack_each_conn(sf_scn_runner_stack(b->runner), active_port_visit,
                       &port);
    if (port)
      b->lport = port;
  }
  if (index < b->s->n && b->pend[index].resolve)
    b->s->ev[index].kind == SF_SCN_RAW ? resolve_icmp(b, index)
                                       : resolve_segment(b, index);
}

static sf_scn_event *add_event(sf_scenario *s, uint8_t kind) {
  if (s->n == SF_SCN_MAX_EVENTS)
    return NULL;
  sf_scn_event *e = &s->ev[s->n++];
  memset(e, 0, sizeof(*e));
  e->kind = kind;
  return e;
}

/* The events, with segments still unresolved; returns how many trace items
 * did not fit. */
static size_t lay_out(struct builder *b) {
  const sf_cb_trace *t = b->t;
  sf_scenario *s = b->s;
  uint64_t now = 0;
  bool out_known = false;
  uint32_t out_ts = 0;
  for (size_t i = 0; i < t->n; i++) {
    const sf_cb_item *it = &t->items[i];
    if (it->kind == SF_CB_OUT_TS) {
      out_known = true;
      out_ts = it->ts_val;
      continue;
    }
    size_t mark = s->n;
    bool fits = true;
    while (it->t_us > now && fits) {
      uint64_t step = it->t_us - now;
      if (step > UINT32_MAX)
        step = UINT32_MAX;
      sf_scn_event *e = add_event(s, SF_SCN_ADVANCE);
      if (!e) {
        fits = false;
        break;
      }
      e->advance_us = (uint32_t)step;
      now += step;
    }
    sf_scn_event *e = fits ? add_event(s, SF_SCN_SEGMENT) : NULL;
    if (!e) {
      s->n = mark;
      size_t left = 0;
      for (size_t k = i; k < t->n; k++)
        left += t->items[k].kind != SF_CB_OUT_TS;
      return left;
    }
    size_t idx = s->n - 1;
    b->pend[idx] = (struct pending){0};
    switch (it->kind) {
    case SF_CB_SEGMENT: {
      sf_scn_segment *g = &e->seg;
      g->flags = it->flags;
      g->win = it->win;
      g->urg = it->urg;
      g->len = it->len;
      g->corrupt = it->corrupt;
      g->doff = it->doff;
      g->nopt = it->nopt;
      memcpy(g->opt, it->opt, it->nopt);
      b->pend[idx] = (struct pending){.item = i,
                                      .out_ts_known = out_known,
                                      .out_ts = out_ts,
                                      .resolve = true};
      break;
    }
    case SF_CB_RAW:
      e->kind = SF_SCN_RAW;
      e->raw.fix = 0;
      e->raw.len = it->raw_len;
      memcpy(e->raw.bytes, it->raw, it->raw_len);
      if (it->icmp_quote)
        b->pend[idx] = (struct pending){.item = i, .resolve = true};
      break;
    case SF_CB_CALL:
      e->kind = SF_SCN_CALL;
      e->call.op = it->op;
      e->call.arg = it->arg;
      break;
    }
  }
  return 0;
}

int sf_cb_build(const sf_cb_trace *t, sf_scenario *out, sf_cb_result *res) {
  memset(res, 0, sizeof(*res));
  struct builder b = {.s = out, .t = t};
  b.pend = calloc(SF_SCN_MAX_EVENTS, sizeof(*b.pend));
  if (!b.pend)
    return -ENOMEM;
  int rc = sf_scn_runner_new(&b.runner);
  if (rc < 0) {
    free(b.pend);
    return rc;
  }
  out->setup = t->setup;
  out->n = 0;
  res->truncated = lay_out(&b);
  res->events = out->n;
  b.active = t->setup.start == SF_SCN_SYN_SENT ||
             t->setup.start == SF_SCN_ACTIVE_ESTABLISHED;
  b.lport = SF_SCN_PORT;
  b.peer_isn = SF_SCN_PEER_ISN + t->setup.seed;
  sf_scn_observer obs = {
      .packet = on_packet, .event = on_event, .call = on_call, .ctx = &b};
  sf_scn_run(b.runner, out, &obs, &res->verdict);
  sf_scn_runner_free(b.runner);
  free(b.pend);
  return 0;
}

/* ---- writing ---- */

static int mkdirs(const char *dir) {
  char path[4096];
  size_t n = strlen(dir);
  if (n == 0 || n >= sizeof(path))
    return -ENAMETOOLONG;
  memcpy(path, dir, n + 1);
  for (size_t i = 1; i <= n; i++) {
    if (path[i] != '/' && path[i] != '\0')
      continue;
    char c = path[i];
    path[i] = '\0';
    if (mkdir(path, 0777) != 0 && errno != EEXIST)
      return -errno;
    path[i] = c;
  }
  struct stat st;
  if (stat(dir, &st) != 0)
    return -errno;
  return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

/* Whether the file at path holds exactly len bytes equal to buf. */
static int same_bytes(const char *path, const uint8_t *buf, size_t len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return -errno;
  int same = 1;
  uint8_t chunk[4096];
  size_t off = 0, got;
  while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0) {
    if (off + got > len || memcmp(chunk, buf + off, got) != 0) {
      same = 0;
      break;
    }
    off += got;
  }
  int err = ferror(f);
  fclose(f);
  if (err)
    return -EIO;
  return same && off == len;
}

int sf_corpus_put(const char *dir, const uint8_t *buf, size_t len,
                  char name[41], char *err, size_t errlen) {
  sf_sha1_hex(buf, len, name);
  int rc = mkdirs(dir);
  if (rc < 0) {
    snprintf(err, errlen, "cannot create %s: %s", dir, strerror(-rc));
    return rc;
  }
  char path[4096];
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0 && errno == EEXIST) {
    int same = same_bytes(path, buf, len);
    if (same == 1)
      return SF_CORPUS_EXISTS;
    snprintf(err, errlen,
             same < 0 ? "%s exists and cannot be read: %s"
                      : "%s exists with other bytes than its name says%s; "
                        "not overwritten",
             path, same < 0 ? strerror(-same) : "");
    return -EEXIST;
  }
  if (fd < 0) {
    rc = -errno;
    snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
    return rc;
  }
  size_t off = 0;
  while (off < len) {
    ssize_t w = write(fd, buf + off, len - off);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0) {
      rc = w < 0 ? -errno : -EIO;
      snprintf(err, errlen, "cannot write %s: %s", path, strerror(-rc));
      close(fd);
      unlink(path);
      return rc;
    }
    off += (size_t)w;
  }
  if (close(fd) != 0) {
    rc = -errno;
    snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
    unlink(path);
    return rc;
  }
  return SF_CORPUS_WRITTEN;
}
