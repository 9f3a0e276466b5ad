/* The structure-aware scenario mutator (harness/fuzz/mutator.c) and its
 * engine front ends: every output is a decodable canonical scenario within
 * max_size, a seed gives one output, each operator changes what it says
 * and nothing else, crossover splices events, and AFL++'s post-processing
 * repairs exactly what raw events ask. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../fuzz/mutator.h"
#include "../util/pktbuild.h"
#include "synfin/bytes.h"
#include "synfin/checksum.h"
#include "synfin/scenario_run.h"

Suite *tu_suite(void);

/* AFL++'s entry points (harness/fuzz/afl_mutator.c, linked in). */
void *afl_custom_init(void *afl, unsigned int seed);
size_t afl_custom_fuzz(void *data, unsigned char *buf, size_t buf_size,
                       unsigned char **out_buf, unsigned char *add_buf,
                       size_t add_buf_size, size_t max_size);
size_t afl_custom_post_process(void *data, unsigned char *buf, size_t buf_size,
                               unsigned char **out_buf);
const char *afl_custom_describe(void *data, size_t max_description_len);
void afl_custom_deinit(void *data);

#define BIG (1u << 20)

static sf_scenario *sa, *sb, *sc; /* 0.5 MiB each: not on the stack */
static uint8_t *buf, *buf2, *buf3;
static sf_mutator *mut;

static void setup(void) {
  sa = calloc(1, sizeof(*sa));
  sb = calloc(1, sizeof(*sb));
  sc = calloc(1, sizeof(*sc));
  buf = calloc(1, BIG);
  buf2 = calloc(1, BIG);
  buf3 = calloc(1, BIG);
  ck_assert_int_eq(sf_mutator_new(&mut, NULL, NULL), 0);
}

static void teardown(void) {
  sf_mutator_free(mut);
  free(sa);
  free(sb);
  free(sc);
  free(buf);
  free(buf2);
  free(buf3);
}

/* ---- building scenarios ---- */

static sf_scn_event *add(sf_scenario *s, uint8_t kind) {
  sf_scn_event *e = &s->ev[s->n++];
  memset(e, 0, sizeof(*e));
  e->kind = kind;
  return e;
}

static sf_scn_segment *add_segment(sf_scenario *s, uint8_t flags, int32_t seq,
                                   uint16_t len) {
  sf_scn_segment *g = &add(s, SF_SCN_SEGMENT)->seg;
  g->flags = flags;
  g->seq_delta = seq;
  g->len = len;
  return g;
}

/* A valid TCP datagram to the stack, as a raw event with these fix bits. */
static sf_scn_event *add_raw(sf_scenario *s, uint8_t fix) {
  sf_scn_event *e = add(s, SF_SCN_RAW);
  struct sf_tcp_pkt t = {.src = SF_SCN_PEER_ADDR,
                         .dst = SF_SCN_LOCAL_ADDR,
                         .sport = SF_SCN_PEER_PORT,
                         .dport = SF_SCN_PORT,
                         .seq = 1000001,
                         .flags = 0x10,
                         .win = 1000,
                         .len = 30};
  e->raw.fix = fix;
  e->raw.len = (uint16_t)sf_build_tcp(e->raw.bytes, SF_SCN_MAX_RAW, &t);
  return e;
}

/* Segments with options, a raw datagram, time, a timer and calls. */
static void rich(sf_scenario *s) {
  memset(&s->setup, 0, sizeof(s->setup));
  s->setup.start = SF_SCN_ESTABLISHED;
  s->setup.syn_opts = SF_SCN_OPT_MSS | SF_SCN_OPT_SACK | SF_SCN_OPT_TS;
  s->setup.prefill = 3000;
  s->n = 0;
  sf_scn_segment *g = add_segment(s, 0x18, 0, 100);
  static const uint8_t ts[12] = {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0};
  memcpy(g->opt, ts, sizeof(ts));
  g->nopt = sizeof(ts);
  g = add_segment(s, 0x10, 1448, 0);
  static const uint8_t sack[16] = {1, 1, 5,  10,   0, 0, 5, 0xb4,
                                   0, 0, 11, 0x68, 2, 4, 5, 0xb4};
  memcpy(g->opt, sack, sizeof(sack));
  g->nopt = sizeof(sack);
  add_raw(s, SF_SCN_FIX_IP | SF_SCN_FIX_L4);
  add(s, SF_SCN_ADVANCE)->advance_us = 200000;
  add(s, SF_SCN_TIMER);
  sf_scn_event *c = add(s, SF_SCN_CALL);
  c->call.op = SF_SCN_READ;
  c->call.arg = 1000;
  add_segment(s, 0x11, 0, 0);
}

/* One event's encoding (after the 14-byte header). */
static size_t ev_bytes(const sf_scn_event *e, uint8_t *out) {
  static sf_scenario one;
  one.n = 1;
  one.ev[0] = *e;
  static uint8_t tmp[4096];
  size_t n = sf_scn_encode(&one, tmp, sizeof(tmp));
  memcpy(out, tmp + SF_MUT_MIN_SIZE, n - SF_MUT_MIN_SIZE);
  return n - SF_MUT_MIN_SIZE;
}

static bool ev_same(const sf_scn_event *a, const sf_scn_event *b) {
  static uint8_t x[4096], y[4096];
  size_t nx = ev_bytes(a, x), ny = ev_bytes(b, y);
  return nx == ny && memcmp(x, y, nx) == 0;
}

/* The only event at which a and b (with the same count) differ, or -1 when
 * none or more than one do. */
static int only_diff(const sf_scenario *a, const sf_scenario *b) {
  int at = -1;
  ck_assert_uint_eq(a->n, b->n);
  for (size_t i = 0; i < a->n; i++) {
    if (ev_same(&a->ev[i], &b->ev[i]))
      continue;
    if (at >= 0)
      return -1;
    at = (int)i;
  }
  return at;
}

/* Checks that bytes are the canonical encoding of what they decode to. */
static void assert_canonical(const uint8_t *p, size_t len) {
  static sf_scenario d;
  static uint8_t again[BIG];
  ck_assert_uint_ge(len, SF_MUT_MIN_SIZE);
  ck_assert(sf_scn_looks_like(p, len));
  sf_scn_decode(p, len, &d);
  size_t n = sf_scn_encode(&d, again, BIG);
  ck_assert_uint_eq(n, len);
  ck_assert(memcmp(again, p, len) == 0);
}

/* ---- outputs ---- */

START_TEST(test_mutate_output_is_canonical_within_max_size) {
  static const size_t maxes[] = {14, 15, 33, 64, 300, 4096, BIG};
  rich(sa);
  for (size_t m = 0; m < sizeof(maxes) / sizeof(maxes[0]); m++) {
    size_t len = sf_mut_encode(sa, buf, BIG);
    rich(sa);
    for (uint32_t seed = 0; seed < 400; seed++) {
      /* a chain: each output is the next input */
      len = sf_mut_mutate(mut, buf, len < maxes[m] ? len : maxes[m], maxes[m],
                          seed);
      ck_assert_uint_le(len, maxes[m]);
      assert_canonical(buf, len);
    }
  }
}
END_TEST

START_TEST(test_mutate_decodes_garbage_into_a_scenario) {
  sf_mut_rng r;
  sf_mut_rng_seed(&r, 7);
  for (uint32_t seed = 0; seed < 300; seed++) {
    size_t len = sf_mut_rng_next(&r) % 3000;
    for (size_t i = 0; i < len; i++)
      buf[i] = (uint8_t)sf_mut_rng_next(&r);
    len = sf_mut_mutate(mut, buf, len, 4096, seed);
    ck_assert_uint_le(len, 4096);
    assert_canonical(buf, len);
  }
}
END_TEST

START_TEST(test_mutate_is_deterministic_for_a_seed) {
  rich(sa);
  size_t len = sf_mut_encode(sa, buf, BIG);
  unsigned differ = 0;
  for (uint32_t seed = 0; seed < 300; seed++) {
    memcpy(buf2, buf, len);
    memcpy(buf3, buf, len);
    size_t n2 = sf_mut_mutate(mut, buf2, len, 8192, seed);
    sf_mutator *other;
    ck_assert_int_eq(sf_mutator_new(&other, NULL, NULL), 0);
    size_t n3 = sf_mut_mutate(other, buf3, len, 8192, seed);
    sf_mutator_free(other);
    ck_assert_uint_eq(n2, n3);
    ck_assert(memcmp(buf2, buf3, n2) == 0);
    differ += n2 != len || memcmp(buf2, buf, len) != 0;
  }
  /* and the seeds do differ: almost every mutation changes the input */
  ck_assert_uint_gt(differ, 250);
}
END_TEST

static unsigned fallback_calls;

static size_t count_bytes(void *ctx, uint8_t *data, size_t size, size_t max) {
  (void)ctx;
  fallback_calls++;
  if (size < max)
    data[size++] = 0x02; /* an event more: time passes */
  return size;
}

START_TEST(test_mutate_falls_back_to_the_engine_bytes_sometimes) {
  sf_mutator *m;
  ck_assert_int_eq(sf_mutator_new(&m, count_bytes, NULL), 0);
  rich(sa);
  size_t len = sf_mut_encode(sa, buf, BIG);
  fallback_calls = 0;
  for (uint32_t seed = 0; seed < 800; seed++) {
    memcpy(buf2, buf, len);
    size_t n = sf_mut_mutate(m, buf2, len, 8192, seed);
    assert_canonical(buf2, n);
  }
  sf_mutator_free(m);
  /* one in eight */
  ck_assert_uint_gt(fallback_calls, 50);
  ck_assert_uint_lt(fallback_calls, 200);
}
END_TEST

START_TEST(test_havoc_stays_within_max) {
  sf_mut_rng r;
  sf_mut_rng_seed(&r, 1);
  for (int k = 0; k < 2000; k++) {
    size_t max = 1 + sf_mut_rng_next(&r) % 200;
    size_t n = sf_mut_rng_next(&r) % (max + 1);
    n = sf_mut_havoc(buf, n, max, &r);
    ck_assert_uint_le(n, max);
  }
}
END_TEST

/* ---- each operator changes what it says ---- */

static void check_op(enum sf_mut_op op, const sf_scenario *before,
                     const sf_scenario *after) {
  int at;
  const sf_scn_segment *g0, *g1;
  switch (op) {
  case SF_MUT_SETUP:
    ck_assert(memcmp(&before->setup, &after->setup, sizeof(before->setup)));
    ck_assert_int_eq(only_diff(before, after), -1);
    for (size_t i = 0; i < before->n; i++)
      ck_assert(ev_same(&before->ev[i], &after->ev[i]));
    return;
  case SF_MUT_RAW_IP:
  case SF_MUT_RAW_FIX:
    at = only_diff(before, after);
    ck_assert_int_ge(at, 0);
    ck_assert_uint_eq(after->ev[at].kind, SF_SCN_RAW);
    if (op == SF_MUT_RAW_FIX) {
      ck_assert_uint_ne(before->ev[at].raw.fix, after->ev[at].raw.fix);
      ck_assert_uint_eq(before->ev[at].raw.len, after->ev[at].raw.len);
      /* the repair touches the total length and checksums, no more */
      const uint8_t *x = before->ev[at].raw.bytes, *y = after->ev[at].raw.bytes;
      for (size_t k = 0; k < after->ev[at].raw.len; k++)
        if (k != 2 && k != 3 && k != 10 && k != 11 && k != 36 && k != 37 &&
            (x[0] & 15) == 5)
          ck_assert_uint_eq(x[k], y[k]);
    }
    return;
  case SF_MUT_EV_INSERT:
  case SF_MUT_EV_DUP:
  case SF_MUT_TIME:
  case SF_MUT_CALL:
    if (after->n == before->n + 1) {
      /* one event inserted: the rest in order */
      size_t i = 0, j = 0, extra = SIZE_MAX;
      while (j < after->n) {
        if (i < before->n && ev_same(&before->ev[i], &after->ev[j])) {
          i++, j++;
        } else {
          ck_assert_uint_eq(extra, SIZE_MAX);
          extra = j++;
        }
      }
      if (extra == SIZE_MAX)
        extra = after->n - 1;
      uint8_t kind = after->ev[extra].kind;
      if (op == SF_MUT_TIME)
        ck_assert(kind == SF_SCN_ADVANCE || kind == SF_SCN_TIMER);
      if (op == SF_MUT_CALL)
        ck_assert_uint_eq(kind, SF_SCN_CALL);
      if (op == SF_MUT_EV_DUP) {
        bool twin = false;
        for (size_t k = 0; k < after->n; k++)
          twin |= k != extra && ev_same(&after->ev[k], &after->ev[extra]);
        ck_assert(twin);
      }
      return;
    }
    ck_assert(op == SF_MUT_TIME || op == SF_MUT_CALL);
    at = only_diff(before, after);
    ck_assert_int_ge(at, 0);
    ck_assert_uint_eq(after->ev[at].kind,
                      op == SF_MUT_TIME ? SF_SCN_ADVANCE : SF_SCN_CALL);
    ck_assert_uint_eq(before->ev[at].kind, after->ev[at].kind);
    return;
  case SF_MUT_EV_DELETE: {
    ck_assert_uint_eq(after->n + 1, before->n);
    size_t i = 0, skipped = 0;
    for (size_t j = 0; j < after->n; j++, i++) {
      if (!ev_same(&before->ev[i], &after->ev[j])) {
        skipped++;
        i++;
        ck_assert(ev_same(&before->ev[i], &after->ev[j]));
      }
    }
    ck_assert_uint_le(skipped, 1);
    return;
  }
  case SF_MUT_EV_REORDER: {
    ck_assert_uint_eq(after->n, before->n);
    size_t d[3], nd = 0;
    for (size_t i = 0; i < before->n; i++)
      if (!ev_same(&before->ev[i], &after->ev[i])) {
        ck_assert_uint_lt(nd, 2);
        d[nd++] = i;
      }
    ck_assert_uint_eq(nd, 2);
    ck_assert(ev_same(&before->ev[d[0]], &after->ev[d[1]]));
    ck_assert(ev_same(&before->ev[d[1]], &after->ev[d[0]]));
    return;
  }
  default:
    break;
  }
  /* the rest change one segment, and only the fields they name */
  at = only_diff(before, after);
  ck_assert_int_ge(at, 0);
  ck_assert_uint_eq(after->ev[at].kind, SF_SCN_SEGMENT);
  g0 = &before->ev[at].seg;
  g1 = &after->ev[at].seg;
  bool opts_same = g0->nopt == g1->nopt && !memcmp(g0->opt, g1->opt, g0->nopt);
  bool flags = g0->flags != g1->flags, seq = g0->seq_delta != g1->seq_delta;
  bool ack = g0->ack_delta != g1->ack_delta, win = g0->win != g1->win;
  bool urg = g0->urg != g1->urg, len = g0->len != g1->len;
  bool corrupt = g0->corrupt != g1->corrupt || g0->doff != g1->doff;
  switch (op) {
  case SF_MUT_FLAGS:
    ck_assert(flags && !seq && !ack && !win && !urg && !len && !corrupt &&
              opts_same);
    break;
  case SF_MUT_SEQ:
    ck_assert(seq && !flags && !ack && !win && !urg && !len && !corrupt &&
              opts_same);
    break;
  case SF_MUT_ACK:
    ck_assert(ack && !flags && !seq && !win && !urg && !len && !corrupt &&
              opts_same);
    break;
  case SF_MUT_WINDOW:
    ck_assert(win && !flags && !seq && !ack && !urg && !len && !corrupt &&
              opts_same);
    break;
  case SF_MUT_URGENT:
    ck_assert(!seq && !ack && !win && !len && !corrupt && opts_same);
    ck_assert(urg || flags);
    ck_assert_uint_eq((g0->flags ^ g1->flags) & ~0x20u, 0);
    break;
  case SF_MUT_PAYLOAD:
    ck_assert(len && !flags && !seq && !ack && !win && !urg && !corrupt &&
              opts_same);
    break;
  case SF_MUT_CORRUPT:
    ck_assert(corrupt && !flags && !seq && !ack && !win && !urg && !len &&
              opts_same);
    break;
  default: /* the options */
    ck_assert(!flags && !seq && !ack && !win && !urg && !len && !corrupt);
    ck_assert(!opts_same);
    if (op == SF_MUT_OPT_INSERT)
      ck_assert_uint_gt(g1->nopt, g0->nopt);
    if (op == SF_MUT_OPT_DROP)
      ck_assert_uint_lt(g1->nopt, g0->nopt);
    if (op == SF_MUT_OPT_REORDER || op == SF_MUT_OPT_BADLEN) {
      ck_assert_uint_eq(g1->nopt, g0->nopt);
      unsigned h0[256] = {0}, h1[256] = {0}, changed = 0;
      for (uint8_t k = 0; k < g0->nopt; k++) {
        h0[g0->opt[k]]++;
        h1[g1->opt[k]]++;
        changed += g0->opt[k] != g1->opt[k];
      }
      if (op == SF_MUT_OPT_REORDER)
        ck_assert(!memcmp(h0, h1, sizeof(h0)));
      else
        ck_assert_uint_eq(changed, 1);
    }
    if (op == SF_MUT_OPT_SACK || op == SF_MUT_OPT_TS) {
      /* still (or now) an option of that kind, at the same size or more */
      uint8_t kind = op == SF_MUT_OPT_SACK ? 5 : 8;
      bool found = false;
      for (uint8_t k = 0; k + 1 < g1->nopt; k++)
        found |= g1->opt[k] == kind;
      ck_assert(found);
      ck_assert_uint_ge(g1->nopt, g0->nopt);
    }
    break;
  }
}

START_TEST(test_each_operator_changes_what_it_says) {
  for (int op = 0; op < SF_MUT_BYTES; op++) {
    unsigned applied = 0;
    for (uint32_t seed = 0; seed < 300; seed++) {
      sf_mut_rng r;
      sf_mut_rng_seed(&r, seed);
      rich(sa);
      /* mutate a mutated scenario too, not only the pristine one */
      if (seed % 3 == 0)
        for (int k = 0; k < 3; k++)
          sf_mut_apply(sa, (enum sf_mut_op)((seed + k) % SF_MUT_BYTES), &r);
      size_t len = sf_mut_encode(sa, buf, BIG);
      sf_scn_decode(buf, len, sa); /* before, normalized */
      sf_scn_decode(buf, len, sb);
      if (!sf_mut_apply(sb, (enum sf_mut_op)op, &r)) {
        /* nothing changed when it says so */
        size_t n2 = sf_mut_encode(sb, buf2, BIG);
        ck_assert_uint_eq(n2, len);
        ck_assert(!memcmp(buf, buf2, len));
        continue;
      }
      applied++;
      size_t n2 = sf_mut_encode(sb, buf2, BIG);
      sf_scn_decode(buf2, n2, sb);
      check_op((enum sf_mut_op)op, sa, sb);
    }
    ck_assert_msg(applied > 100, "%s applied %u times",
                  sf_mut_op_name((enum sf_mut_op)op), applied);
  }
}
END_TEST

START_TEST(test_segment_operators_need_a_segment) {
  static const enum sf_mut_op ops[] = {
      SF_MUT_FLAGS,  SF_MUT_SEQ,       SF_MUT_ACK,       SF_MUT_OPT_DROP,
      SF_MUT_RAW_IP, SF_MUT_EV_DELETE, SF_MUT_EV_REORDER};
  memset(sa, 0, sizeof(*sa));
  for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
    sf_mut_rng r;
    sf_mut_rng_seed(&r, i);
    ck_assert(!sf_mut_apply(sa, ops[i], &r));
    ck_assert_uint_eq(sa->n, 0);
  }
}
END_TEST

/* ---- crossover ---- */

START_TEST(test_crossover_splices_events) {
  /* a's events advance 1..8 us, b's 101..108: the result is a prefix of
   * a, a non-empty run of b, and a suffix of a */
  memset(sa, 0, sizeof(*sa));
  memset(sb, 0, sizeof(*sb));
  for (uint32_t i = 0; i < 8; i++) {
    add(sa, SF_SCN_ADVANCE)->advance_us = 1 + i;
    add(sb, SF_SCN_ADVANCE)->advance_us = 101 + i;
  }
  sb->setup.start = SF_SCN_SYN_SENT;
  size_t na = sf_mut_encode(sa, buf, BIG), nb = sf_mut_encode(sb, buf2, BIG);
  unsigned mixed = 0, setup_b = 0;
  for (uint32_t seed = 0; seed < 500; seed++) {
    size_t n = sf_mut_crossover(mut, buf, na, buf2, nb, buf3, 4096, seed);
    assert_canonical(buf3, n);
    sf_scn_decode(buf3, n, sc);
    size_t i = 0;
    uint32_t last_a = 0;
    while (i < sc->n && sc->ev[i].advance_us < 100) {
      ck_assert_uint_eq(sc->ev[i].advance_us, i + 1); /* a's prefix */
      last_a = sc->ev[i++].advance_us;
    }
    bool prefix = i > 0;
    ck_assert_uint_lt(i, sc->n); /* some of b */
    uint32_t prev = sc->ev[i++].advance_us;
    while (i < sc->n && sc->ev[i].advance_us > 100) {
      ck_assert_uint_eq(sc->ev[i].advance_us, prev + 1); /* a run of b */
      prev = sc->ev[i++].advance_us;
    }
    bool tail = i < sc->n;
    for (; i < sc->n; i++) { /* a's suffix, in order, after the prefix */
      ck_assert_uint_gt(sc->ev[i].advance_us, last_a);
      last_a = sc->ev[i].advance_us;
      ck_assert_uint_lt(last_a, 100);
    }
    mixed += prefix || tail;
    setup_b += sc->setup.start == SF_SCN_SYN_SENT;
  }
  ck_assert_uint_gt(mixed, 200);
  ck_assert_uint_gt(setup_b, 50); /* the other setup, sometimes */
}
END_TEST

START_TEST(test_crossover_fits_max_size) {
  rich(sa);
  rich(sb);
  for (int i = 0; i < 40; i++)
    add_segment(sb, 0x10, i, (uint16_t)i);
  size_t na = sf_mut_encode(sa, buf, BIG), nb = sf_mut_encode(sb, buf2, BIG);
  for (uint32_t seed = 0; seed < 300; seed++) {
    size_t max = 14 + seed % 200;
    size_t n = sf_mut_crossover(mut, buf, na, buf2, nb, buf3, max, seed);
    ck_assert_uint_le(n, max);
    assert_canonical(buf3, n);
  }
}
END_TEST

/* ---- AFL++ ---- */

static bool ip_ok(const uint8_t *p, size_t len) {
  return sf_get16(p + 2) == len && sf_csum(p, 20) == 0;
}

static bool tcp_ok(const uint8_t *p, size_t len) {
  uint32_t sum = sf_csum_pseudo(sf_get32(p + 12), sf_get32(p + 16), 6,
                                (uint32_t)(len - 20));
  return sf_csum_fold(sf_csum_partial(sum, p + 20, len - 20)) == 0;
}

START_TEST(test_post_process_repairs_only_what_raw_events_ask) {
  memset(sa, 0, sizeof(*sa));
  sf_scn_segment *g = add_segment(sa, 0x10, 0, 0);
  g->corrupt = SF_SCN_BAD_TCP_CSUM; /* a segment: not post-processing's */
  for (uint8_t fix = 0; fix < 4; fix++) {
    sf_scn_event *e = add_raw(sa, fix);
    /* a datagram grown by 4 bytes: total length, IP and TCP sums wrong */
    e->raw.len += 4;
    e->raw.bytes[e->raw.len - 1] = 0x77;
  }
  size_t len = sf_scn_encode(sa, buf, BIG);
  memcpy(buf2, buf, len);
  void *afl = afl_custom_init(NULL, 1);
  ck_assert_ptr_nonnull(afl);
  uint8_t *out;
  size_t n = afl_custom_post_process(afl, buf, len, &out);
  ck_assert_uint_eq(n, len);
  ck_assert(!memcmp(buf, buf2, len)); /* the input is left alone */
  sf_scn_decode(out, n, sb);
  ck_assert_uint_eq(sb->n, 5);
  ck_assert(ev_same(&sa->ev[0], &sb->ev[0]));
  for (uint8_t fix = 0; fix < 4; fix++) {
    const sf_scn_event *e = &sb->ev[1 + fix];
    ck_assert_uint_eq(e->raw.fix, fix);
    ck_assert_int_eq(ip_ok(e->raw.bytes, e->raw.len),
                     (fix & SF_SCN_FIX_IP) != 0);
    ck_assert_int_eq(tcp_ok(e->raw.bytes, e->raw.len),
                     (fix & SF_SCN_FIX_L4) != 0);
    /* nothing but the header fields moved */
    ck_assert_uint_eq(e->raw.len, sa->ev[1 + fix].raw.len);
    ck_assert(!memcmp(e->raw.bytes + 40, sa->ev[1 + fix].raw.bytes + 40,
                      e->raw.len - 40));
  }
  afl_custom_deinit(afl);
}
END_TEST

START_TEST(test_afl_fuzz_outputs_canonical_scenarios) {
  void *afl = afl_custom_init(NULL, 42);
  rich(sa);
  rich(sb);
  add(sb, SF_SCN_TIMER);
  size_t na = sf_mut_encode(sa, buf, BIG), nb = sf_mut_encode(sb, buf2, BIG);
  for (int i = 0; i < 500; i++) {
    uint8_t *out;
    size_t max = 14 + (size_t)i * 7;
    size_t n =
        afl_custom_fuzz(afl, buf, na, &out, i % 2 ? buf2 : NULL, nb, max);
    ck_assert_uint_gt(n, 0);
    ck_assert_uint_le(n, max);
    assert_canonical(out, n);
    ck_assert_ptr_nonnull(afl_custom_describe(afl, 64));
  }
  afl_custom_deinit(afl);
}
END_TEST

START_TEST(test_afl_seed_makes_it_deterministic) {
  void *a = afl_custom_init(NULL, 9), *b = afl_custom_init(NULL, 9);
  rich(sa);
  size_t na = sf_mut_encode(sa, buf, BIG);
  for (int i = 0; i < 100; i++) {
    uint8_t *oa, *ob;
    size_t n1 = afl_custom_fuzz(a, buf, na, &oa, NULL, 0, 4096);
    size_t n2 = afl_custom_fuzz(b, buf, na, &ob, NULL, 0, 4096);
    ck_assert_uint_eq(n1, n2);
    ck_assert(!memcmp(oa, ob, n1));
  }
  afl_custom_deinit(a);
  afl_custom_deinit(b);
}
END_TEST

/* ---- the mutated scenarios run ---- */

START_TEST(test_mutated_scenarios_run_without_harness_failures) {
  /* a chain of mutations of a clean transfer never trips the runner's
   * own setup (findings by the oracles are the stack's business) */
  sf_scn_runner *r;
  ck_assert_int_eq(sf_scn_runner_new(&r), 0);
  rich(sa);
  size_t len = sf_mut_encode(sa, buf, BIG);
  for (uint32_t seed = 0; seed < 300; seed++) {
    len = sf_mut_mutate(mut, buf, len, 4096, seed);
    sf_scn_decode(buf, len, sb);
    sf_scn_verdict v;
    sf_scn_run(r, sb, NULL, &v);
    ck_assert_msg(!v.failed || strcmp(v.oracle, "setup") != 0, "%s", v.message);
  }
  sf_scn_runner_free(r);
}
END_TEST

/* ---- fragments ---- */

/* A datagram of a 20-byte header and 40 bytes of payload 0, 1, ... 39. */
static size_t datagram_60(uint8_t *d) {
  memset(d, 0, 60);
  d[0] = 0x45;
  sf_put16(d + 2, 60);
  d[9] = 6;
  for (int i = 0; i < 40; i++)
    d[20 + i] = (uint8_t)i;
  return 60;
}

static void expect_fragment(const uint8_t *f, size_t n, uint32_t off,
                            uint32_t len, bool more) {
  ck_assert_uint_eq(n, 20 + len);
  ck_assert_uint_eq(sf_get16(f + 2), 20 + len);
  ck_assert_uint_eq(sf_get16(f + 6) & 0x1fff, off / 8);
  ck_assert_int_eq(!!(sf_get16(f + 6) & 0x2000), more);
  ck_assert_uint_eq(f[20], off); /* the payload from its offset */
  ck_assert_uint_eq(sf_csum(f, 20), 0);
}

START_TEST(test_fragments_are_8_bytes_in_order) {
  uint8_t d[60], f[SF_SCN_FRAG_MAX];
  size_t len = datagram_60(d);
  ck_assert_uint_eq(sf_scn_fragment_count(len), 5);
  for (size_t k = 0; k < 5; k++)
    expect_fragment(f, sf_scn_fragment(d, len, SF_SCN_FRAGMENT, k, f),
                    (uint32_t)k * 8, 8, k < 4);
  ck_assert_uint_eq(sf_scn_fragment(d, len, SF_SCN_FRAGMENT, 5, f), 0);
}
END_TEST

START_TEST(test_reversed_fragments_start_with_the_last) {
  uint8_t d[60], f[SF_SCN_FRAG_MAX];
  size_t len = datagram_60(d);
  uint8_t c = SF_SCN_FRAGMENT | SF_SCN_FRAG_REVERSE;
  expect_fragment(f, sf_scn_fragment(d, len, c, 0, f), 32, 8, false);
  expect_fragment(f, sf_scn_fragment(d, len, c, 4, f), 0, 8, true);
}
END_TEST

/* Each overlapping fragment carries its own 8 bytes and the next 8: MF is
 * clear on both that reach the end. */
START_TEST(test_overlapping_fragments_carry_the_next_block_too) {
  uint8_t d[60], f[SF_SCN_FRAG_MAX];
  size_t len = datagram_60(d);
  uint8_t c = SF_SCN_FRAGMENT | SF_SCN_FRAG_OVERLAP;
  expect_fragment(f, sf_scn_fragment(d, len, c, 0, f), 0, 16, true);
  expect_fragment(f, sf_scn_fragment(d, len, c, 2, f), 16, 16, true);
  expect_fragment(f, sf_scn_fragment(d, len, c, 3, f), 24, 16, false);
  expect_fragment(f, sf_scn_fragment(d, len, c, 4, f), 32, 8, false);
}
END_TEST

/* Past 64 bytes of payload the pieces grow so that there are at most 8:
 * in datagram order the fragments tile the payload exactly, all but the
 * last of sf_scn_fragment_size() bytes (a multiple of 8), each within
 * SF_SCN_FRAG_MAX. */
START_TEST(test_fragments_tile_any_datagram_in_at_most_8) {
  static uint8_t d[65535], f[SF_SCN_FRAG_MAX];
  for (size_t i = 0; i < sizeof(d); i++)
    d[i] = (uint8_t)(i * 7 + i / 251);
  for (size_t len = 21; len <= sizeof(d); len += len < 200 ? 1 : 97) {
    size_t count = sf_scn_fragment_count(len), unit = sf_scn_fragment_size(len);
    ck_assert_uint_ge(count, 1);
    ck_assert_uint_le(count, SF_SCN_MAX_FRAGS);
    ck_assert_uint_eq(unit % 8, 0);
    if (len <= 20 + 64)
      ck_assert_uint_eq(unit, 8);
    size_t at = 0;
    for (size_t k = 0; k < count; k++) {
      size_t n = sf_scn_fragment(d, len, SF_SCN_FRAGMENT, k, f);
      ck_assert_uint_gt(n, 20);
      ck_assert_uint_le(n, SF_SCN_FRAG_MAX);
      ck_assert_uint_eq((size_t)(sf_get16(f + 6) & 0x1fff) * 8, at);
      ck_assert_int_eq(memcmp(f + 20, d + 20 + at, n - 20), 0);
      at += n - 20;
      bool more = sf_get16(f + 6) & 0x2000;
      ck_assert_int_eq(more, at < len - 20);
      if (more)
        ck_assert_uint_eq(n - 20, unit);
    }
    ck_assert_uint_eq(at, len - 20);
  }
}
END_TEST

START_TEST(test_largest_overlapping_fragment_fits_the_buffer) {
  static uint8_t d[65535], f[SF_SCN_FRAG_MAX];
  uint8_t c = SF_SCN_FRAGMENT | SF_SCN_FRAG_OVERLAP;
  ck_assert_uint_eq(sf_scn_fragment_count(sizeof(d)), SF_SCN_MAX_FRAGS);
  ck_assert_uint_eq(sf_scn_fragment(d, sizeof(d), c, 0, f), SF_SCN_FRAG_MAX);
}
END_TEST

START_TEST(test_fragments_keep_a_bad_ip_checksum_bad) {
  uint8_t d[60], f[SF_SCN_FRAG_MAX];
  size_t len = datagram_60(d);
  size_t n =
      sf_scn_fragment(d, len, SF_SCN_FRAGMENT | SF_SCN_BAD_IP_CSUM, 1, f);
  ck_assert_uint_eq(n, 28);
  ck_assert_uint_ne(sf_csum(f, 20), 0);
}
END_TEST

Suite *tu_suite(void) {
  Suite *s = suite_create("mutator");
  TCase *tc = tcase_create("mutator");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_mutate_output_is_canonical_within_max_size);
  tcase_add_test(tc, test_mutate_decodes_garbage_into_a_scenario);
  tcase_add_test(tc, test_mutate_is_deterministic_for_a_seed);
  tcase_add_test(tc, test_mutate_falls_back_to_the_engine_bytes_sometimes);
  tcase_add_test(tc, test_havoc_stays_within_max);
  tcase_add_test(tc, test_each_operator_changes_what_it_says);
  tcase_add_test(tc, test_segment_operators_need_a_segment);
  tcase_add_test(tc, test_crossover_splices_events);
  tcase_add_test(tc, test_crossover_fits_max_size);
  tcase_add_test(tc, test_post_process_repairs_only_what_raw_events_ask);
  tcase_add_test(tc, test_afl_fuzz_outputs_canonical_scenarios);
  tcase_add_test(tc, test_afl_seed_makes_it_deterministic);
  tcase_add_test(tc, test_mutated_scenarios_run_without_harness_failures);
  tcase_add_test(tc, test_fragments_are_8_bytes_in_order);
  tcase_add_test(tc, test_reversed_fragments_start_with_the_last);
  tcase_add_test(tc, test_overlapping_fragments_carry_the_next_block_too);
  tcase_add_test(tc, test_fragments_keep_a_bad_ip_checksum_bad);
  tcase_add_test(tc, test_fragments_tile_any_datagram_in_at_most_8);
  tcase_add_test(tc, test_largest_overlapping_fragment_fits_the_buffer);
  suite_add_tcase(s, tc);
  return s;
}
