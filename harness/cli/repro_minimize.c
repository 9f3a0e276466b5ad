/* Scenario-aware delta debugging (Zeller's ddmin over events, then field
 * by field): drop events, drop options, shrink payloads and raw
 * datagrams, simplify numbers (deltas toward 0, times toward small, flags
 * toward fewer), keeping the failure's signature (repro.h). Every
 * candidate runs in a child process. Inputs without structure (the
 * parser's and the pcap reader's bytes) get ddmin over bytes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "repro.h"
#include "repro_minimize.h"

struct mz {
  const sf_rp_min_options *o;
  enum sf_rp_kind kind;
  const char *sig;
  sf_rp_min_stats *st;
  struct timespec start;
  bool out_of_budget;
};

static double elapsed(const struct mz *m) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)(now.tv_sec - m->start.tv_sec) +
         (double)(now.tv_nsec - m->start.tv_nsec) / 1e9;
}

static bool budget_left(struct mz *m) {
  if (m->st->runs >= m->o->max_runs ||
      (m->o->max_time_s > 0 && elapsed(m) >= m->o->max_time_s))
    m->out_of_budget = true;
  return !m->out_of_budget;
}

/* Whether the candidate fails with the same signature. */
static bool same_failure(struct mz *m, const sf_scenario *s,
                         const uint8_t *bytes, size_t len) {
  if (!budget_left(m))
    return false;
  sf_rp_outcome o;
  int rc = s ? sf_rp_run_scenario(s, false, m->o->timeout_s, &o)
             : sf_rp_run_bytes(m->kind, bytes, len, m->o->timeout_s, &o);
  m->st->runs++;
  if (rc < 0)
    return false;
  char sig[512];
  sf_rp_signature(&o, sig, sizeof(sig));
  sf_rp_outcome_free(&o);
  return strcmp(sig, m->sig) == 0;
}

/* ---- scenarios ---- */

static size_t scn_size(const sf_scenario *s) {
  return sf_scn_encode(s, NULL, 0);
}

/* ddmin over the events: remove chunks, halving their size. */
static bool drop_events(struct mz *m, sf_scenario *s, sf_scenario *tmp) {
  bool changed = false;
  for (size_t chunk = s->n / 2 ? s->n / 2 : 1; chunk >= 1; chunk /= 2) {
    for (size_t at = 0; at < s->n && budget_left(m);) {
      size_t k = at + chunk <= s->n ? chunk : s->n - at;
      tmp->setup = s->setup;
      tmp->n = 0;
      for (size_t i = 0; i < s->n; i++)
        if (i < at || i >= at + k)
          tmp->ev[tmp->n++] = s->ev[i];
      if (same_failure(m, tmp, NULL, 0)) {
        *s = *tmp; /* keep `at`: the next chunk moved here */
        changed = true;
      } else {
        at += k;
      }
    }
    if (chunk == 1)
      break;
  }
  return changed;
}

/* Tries one change of one event; keeps it if the failure stays. */
static bool try_event(struct mz *m, sf_scenario *s, sf_scenario *tmp, size_t i,
                      const sf_scn_event *e) {
  if (memcmp(e, &s->ev[i], sizeof(*e)) == 0)
    return false;
  *tmp = *s;
  tmp->ev[i] = *e;
  if (!same_failure(m, tmp, NULL, 0))
    return false;
  s->ev[i] = *e;
  return true;
}

/* A number toward 0: 0 itself, then halving while it keeps failing. */
#define SHRINK(m, s, tmp, i, field)                                            \
  do {                                                                         \
    sf_scn_event e_ = (s)->ev[i];                                              \
    if (!e_.field)                                                             \
      break;                                                                   \
    e_.field = 0;                                                              \
    if (try_event(m, s, tmp, i, &e_)) {                                        \
      changed = true;                                                          \
      break;                                                                   \
    }                                                                          \
    for (int k_ = 0; k_ < 24 && (s)->ev[i].field && budget_left(m); k_++) {    \
      e_ = (s)->ev[i];                                                         \
      e_.field /= 2;                                                           \
      if (!try_event(m, s, tmp, i, &e_))                                       \
        break;                                                                 \
      changed = true;                                                          \
    }                                                                          \
  } while (0)

/* The option list without the option at byte `at` (length known). */
static uint8_t option_len(const uint8_t *o, uint8_t n, uint8_t at) {
  if (o[at] <= 1)
    return 1;
  if (at + 1 >= n || o[at + 1] < 2 || at + o[at + 1] > n)
    return (uint8_t)(n - at); /* malformed: the rest */
  return o[at + 1];
}

static bool simplify_segment(struct mz *m, sf_scenario *s, sf_scenario *tmp,
                             size_t i) {
  bool changed = false;
  sf_scn_event e = s->ev[i];
  if (e.seg.nopt) {
    e.seg.nopt = 0;
    if (try_event(m, s, tmp, i, &e))
      changed = true;
  }
  for (uint8_t at = 0; at < s->ev[i].seg.nopt && budget_left(m);) {
    e = s->ev[i];
    uint8_t len = option_len(e.seg.opt, e.seg.nopt, at);
    memmove(e.seg.opt + at, e.seg.opt + at + len,
            (size_t)(e.seg.nopt - at - len));
    e.seg.nopt = (uint8_t)(e.seg.nopt - len);
    if (try_event(m, s, tmp, i, &e))
      changed = true;
    else
      at = (uint8_t)(at + len);
  }
  SHRINK(m, s, tmp, i, seg.nopt); /* cut from the end */
  SHRINK(m, s, tmp, i, seg.len);
  SHRINK(m, s, tmp, i, seg.seq_delta);
  SHRINK(m, s, tmp, i, seg.ack_delta);
  SHRINK(m, s, tmp, i, seg.win);
  SHRINK(m, s, tmp, i, seg.urg);
  for (int b = 0; b < 8; b++) {
    e = s->ev[i];
    if (!(e.seg.corrupt & (1u << b)))
      continue;
    e.seg.corrupt = (uint8_t)(e.seg.corrupt & ~(1u << b));
    changed |= try_event(m, s, tmp, i, &e);
  }
  if (!(s->ev[i].seg.corrupt & SF_SCN_BAD_DOFF))
    SHRINK(m, s, tmp, i, seg.doff);
  for (int b = 0; b < 8; b++) {
    e = s->ev[i];
    if (!(e.seg.flags & (1u << b)))
      continue;
    e.seg.flags = (uint8_t)(e.seg.flags & ~(1u << b));
    changed |= try_event(m, s, tmp, i, &e);
  }
  return changed;
}

static bool simplify_raw(struct mz *m, sf_scenario *s, sf_scenario *tmp,
                         size_t i) {
  bool changed = false;
  sf_scn_event e;
  /* shorter from the end, then chunks from anywhere */
  for (int k = 0; k < 16 && s->ev[i].raw.len && budget_left(m); k++) {
    e = s->ev[i];
    e.raw.len /= 2;
    if (!try_event(m, s, tmp, i, &e))
      break;
    changed = true;
  }
  for (uint16_t chunk = (uint16_t)(s->ev[i].raw.len / 2); chunk >= 1;
       chunk /= 2) {
    for (uint16_t at = 0; at < s->ev[i].raw.len && budget_left(m);) {
      e = s->ev[i];
      uint16_t k = (uint16_t)(at + chunk <= e.raw.len ? chunk : e.raw.len - at);
      memmove(e.raw.bytes + at, e.raw.bytes + at + k,
              (size_t)(e.raw.len - at - k));
      e.raw.len = (uint16_t)(e.raw.len - k);
      if (try_event(m, s, tmp, i, &e))
        changed = true;
      else
        at = (uint16_t)(at + k);
    }
    if (chunk == 1)
      break;
  }
  if (s->ev[i].raw.fix) {
    e = s->ev[i];
    e.raw.fix = 0;
    changed |= try_event(m, s, tmp, i, &e);
  }
  return changed;
}

static bool simplify_events(struct mz *m, sf_scenario *s, sf_scenario *tmp) {
  bool changed = false;
  for (size_t i = 0; i < s->n && budget_left(m); i++) {
    switch (s->ev[i].kind) {
    case SF_SCN_SEGMENT:
      changed |= simplify_segment(m, s, tmp, i);
      break;
    case SF_SCN_RAW:
      changed |= simplify_raw(m, s, tmp, i);
      break;
    case SF_SCN_ADVANCE:
      SHRINK(m, s, tmp, i, advance_us);
      break;
    case SF_SCN_CALL:
      SHRINK(m, s, tmp, i, call.arg);
      break;
    }
  }
  return changed;
}

/* The setup's numbers and bits toward 0 (not for datagram inputs, whose
 * setup is the target's own). */
static bool simplify_setup(struct mz *m, sf_scenario *s, sf_scenario *tmp) {
  bool changed = false;
#define TRY_SETUP(expr)                                                        \
  do {                                                                         \
    *tmp = *s;                                                                 \
    expr;                                                                      \
    if (memcmp(&tmp->setup, &s->setup, sizeof(s->setup)) != 0 &&               \
        same_failure(m, tmp, NULL, 0)) {                                       \
      s->setup = tmp->setup;                                                   \
      changed = true;                                                          \
    }                                                                          \
  } while (0)
  TRY_SETUP(tmp->setup.prefill = 0);
  if (s->setup.prefill)
    TRY_SETUP(tmp->setup.prefill = (uint16_t)(s->setup.prefill / 2));
  for (int b = 0; b < 4; b++) {
    TRY_SETUP(tmp->setup.syn_opts &= (uint8_t) ~(1u << b));
    TRY_SETUP(tmp->setup.sock_flags &= (uint8_t) ~(1u << b));
  }
  TRY_SETUP(tmp->setup.peer_mss = 0);
  TRY_SETUP(tmp->setup.peer_wscale = 0);
  TRY_SETUP(tmp->setup.peer_win = 0);
  TRY_SETUP(tmp->setup.seed = 0);
  TRY_SETUP(tmp->setup.profile = 0);
#undef TRY_SETUP
  return changed;
}

static int minimize_scenario(struct mz *m, const sf_scenario *in,
                             sf_scenario **out) {
  sf_scenario *s = malloc(sizeof(*s)), *tmp = malloc(sizeof(*tmp));
  if (!s || !tmp) {
    free(s);
    free(tmp);
    return -ENOMEM;
  }
  *s = *in;
  /* fixpoint, within the budget */
  for (int round = 0; round < 8 && budget_left(m); round++) {
    bool changed = drop_events(m, s, tmp);
    changed |= simplify_events(m, s, tmp);
    if (m->kind == SF_RP_SCENARIO || m->kind == SF_RP_PCAP)
      changed |= simplify_setup(m, s, tmp);
    if (m->o->verbose)
      fprintf(stderr,
              "synfin minimize: round %d: %zu events, %zu bytes, "
              "%zu runs\n",
              round + 1, s->n, scn_size(s), m->st->runs);
    if (!changed)
      break;
  }
  free(tmp);
  *out = s;
  return 0;
}

/* ---- bytes ---- */

static int minimize_bytes(struct mz *m, const uint8_t *in, size_t len,
                          uint8_t **out, size_t *outlen) {
  uint8_t *b = malloc(len ? len : 1), *t = malloc(len ? len : 1);
  if (!b || !t) {
    free(b);
    free(t);
    return -ENOMEM;
  }
  memcpy(b, in, len);
  size_t n = len;
  for (size_t chunk = n / 2 ? n / 2 : 1; chunk >= 1; chunk /= 2) {
    for (size_t at = 0; at < n && budget_left(m);) {
      size_t k = at + chunk <= n ? chunk : n - at;
      memcpy(t, b, at);
      memcpy(t + at, b + at + k, n - at - k);
      if (same_failure(m, NULL, t, n - k)) {
        memcpy(b, t, n - k);
        n -= k;
      } else {
        at += k;
      }
    }
    if (chunk == 1)
      break;
  }
  free(t);
  *out = b;
  *outlen = n;
  return 0;
}

int sf_rp_minimize(const sf_rp_input *in, size_t which, const char *sig,
                   const sf_rp_min_options *o, uint8_t **out, size_t *outlen,
                   sf_rp_min_stats *st) {
  struct mz m = {.o = o, .kind = in->kind, .sig = sig, .st = st};
  clock_gettime(CLOCK_MONOTONIC, &m.start);
  memset(st, 0, sizeof(*st));
  int rc;
  if (in->kind == SF_RP_PARSER || in->kind == SF_RP_PCAP_READER) {
    st->before_bytes = in->len;
    rc = minimize_bytes(&m, in->bytes, in->len, out, outlen);
    st->after_bytes = *outlen;
  } else if (which < in->nscn) {
    sf_scenario *s;
    st->before_events = in->scn[which]->n;
    uint8_t *orig = NULL;
    st->before_bytes = in->kind == SF_RP_PCAP
                           ? in->len
                           : sf_rp_encode(in->kind, in->scn[which], &orig);
    free(orig);
    rc = minimize_scenario(&m, in->scn[which], &s);
    if (rc == 0) {
      enum sf_rp_kind k =
          in->kind == SF_RP_DATAGRAMS ? SF_RP_DATAGRAMS : SF_RP_SCENARIO;
      *outlen = sf_rp_encode(k, s, out);
      st->after_events = s->n;
      st->after_bytes = *outlen;
      if (!*out)
        rc = -ENOMEM;
      free(s);
    }
  } else {
    rc = -EINVAL;
  }
  st->seconds = elapsed(&m);
  st->budget_hit = m.out_of_budget;
  return rc;
}
