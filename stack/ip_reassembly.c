/* IPv4 fragment reassembly (RFC 791 3.2, RFC 815, RFC 1122 3.3.2) in a fixed
 * number of slots of fixed size, laid out in the stack's arena.
 *
 * Each slot keeps the payload at its final offset and one bit per 8-byte
 * block. Every fragment but the last starts and ends on a block boundary and
 * the last one starts on one, so fragments that share no block share no
 * byte: the bitmap tells new data, duplicates and overlaps apart in time
 * proportional to the fragment's length.
 *
 * Counters: a datagram that can never fit (longer than reass_bytes) and a
 * datagram evicted to make room both count as frag_drop_overflow; a fragment
 * that contradicts the ones held (overlap, different end, data past the end)
 * counts as frag_drop_overlap; a non-last fragment whose length is not a
 * positive multiple of 8 counts as ip_drop_len (the fragment alone is
 * dropped, its datagram lives on).
 */
#include <assert.h>
#include <errno.h>

#include "bugs.h"
#include "stack_internal.h"
#include "synfin/bytes.h"

#define IP_DF 0x4000u
#define IP_MF 0x2000u
#define IP_OFFMASK 0x1fffu
#define IP_MINHLEN 20u

/* ICMP Time Exceeded, code 1: fragment reassembly time exceeded. */
#define ICMP_TIMXCEED 11
#define ICMP_TIMXCEED_REASS 1

enum coverage { COVER_NONE, COVER_ALL, COVER_PART };

static size_t align16(size_t x) {
  return (x + 15u) & ~(size_t)15u;
}

/* One bit per 8-byte block. */
static size_t bitmap_bytes(uint32_t bytes) {
  return ((size_t)bytes + 63u) / 64u;
}

size_t sf_reass_memory_size(const sf_config *cfg) {
  size_t per_slot =
      align16(cfg->reass_bytes) + align16(bitmap_bytes(cfg->reass_bytes));
  return align16(sizeof(struct sf_reass_slot) * cfg->reass_slots) +
         per_slot * cfg->reass_slots;
}

void sf_reass_init(struct sf_reass *r, const sf_config *cfg, uint8_t *mem) {
  r->slots = (struct sf_reass_slot *)mem;
  r->nslots = cfg->reass_slots;
  r->bytes = cfg->reass_bytes;
  r->timeout_us = cfg->reass_timeout_us;
  r->seq = 0;
  r->nused = 0;
  uint8_t *p = mem + align16(sizeof(struct sf_reass_slot) * r->nslots);
  for (uint32_t i = 0; i < r->nslots; i++) {
    r->slots[i].data = p;
    p += align16(r->bytes);
    r->slots[i].have = p;
    p += align16(bitmap_bytes(r->bytes));
  }
}

void sf_reass_reset(struct sf_reass *r) {
  for (uint32_t i = 0; i < r->nslots; i++)
    r->slots[i].used = false;
  r->nused = 0;
  r->seq = 0;
}

static void slot_free(struct sf_reass *r, struct sf_reass_slot *s) {
  s->used = false;
  r->nused--;
}

/* RFC 791 3.2: fragments belong together when source, destination, protocol
 * and identification all match. */
static bool same_datagram(const struct sf_reass_slot *s,
                          const struct sf_ip_meta *ip) {
  return s->used && s->src == ip->src && s->dst == ip->dst &&
         s->proto == ip->proto && s->id == ip->id;
}

static struct sf_reass_slot *find_slot(struct sf_reass *r,
                                       const struct sf_ip_meta *ip) {
  if (!r->nused)
    return NULL;
  for (uint32_t i = 0; i < r->nslots; i++)
    if (same_datagram(&r->slots[i], ip))
      return &r->slots[i];
  return NULL;
}

/* A free slot, or else the one allocated first. */
static struct sf_reass_slot *free_or_oldest(struct sf_reass *r) {
  struct sf_reass_slot *oldest = NULL;
  for (uint32_t i = 0; i < r->nslots; i++) {
    struct sf_reass_slot *s = &r->slots[i];
    if (!s->used)
      return s;
    if (!oldest || s->born_seq < oldest->born_seq)
      oldest = s;
  }
  return oldest;
}

static int drop_fragment(sf_stack *st, uint64_t *counter, const char *why,
                         int err) {
  (*counter)++;
  sf_drop(st, why);
  return err;
}

/* The datagram can never be delivered: free its slot, if it has one. */
static int drop_datagram(sf_stack *st, struct sf_reass_slot *s,
                         uint64_t *counter, const char *why, int err) {
  if (s)
    slot_free(&st->reass, s);
  return drop_fragment(st, counter, why, err);
}

/* Memory is bounded: when every slot is busy, the oldest datagram makes room
 * (Linux's fragment evictor also drops the oldest queues first). */
static struct sf_reass_slot *alloc_slot(sf_stack *st,
                                        const struct sf_ip_meta *ip) {
  struct sf_reass *r = &st->reass;
  struct sf_reass_slot *s = free_or_oldest(r);
  if (!s)
    return NULL;
  if (s->used)
    drop_fragment(st, &st->stats.frag_drop_overflow,
                  "ip: oldest reassembly evicted", 0);
  else
    r->nused++;
  memset(s->have, 0, bitmap_bytes(r->bytes));
  s->used = true;
  s->have_last = false;
  s->src = ip->src;
  s->dst = ip->dst;
  s->proto = ip->proto;
  s->id = ip->id;
  /* RFC 1122 3.3.2: the timer starts with the first fragment to arrive and
   * is not restarted by later ones (as in Linux). */
  s->expires_us = st->now_us + r->timeout_us;
  s->born_seq = r->seq++;
  s->total_len = 0;
  s->received = 0;
  s->max_end = 0;
  s->first_len = 0;
  s->hlen = 0;
  return s;
}

static bool block_held(const uint8_t *have, uint32_t block) {
  return have[block / 8] & (1u << (block % 8));
}

/* Blocks [first, last): none held, all held, or some of them. */
static enum coverage coverage(const uint8_t *have, uint32_t first,
                              uint32_t last) {
  uint32_t held = 0;
  for (uint32_t b = first; b < last; b++)
    held += block_held(have, b);
  if (held == 0)
    return COVER_NONE;
  return held == last - first ? COVER_ALL : COVER_PART;
}

static void mark_blocks(uint8_t *have, uint32_t first, uint32_t last) {
  for (uint32_t b = first; b < last; b++)
    have[b / 8] |= (uint8_t)(1u << (b % 8));
}

/* RFC 791 3.2: the fragment without MF fixes the datagram's end; a fragment
 * that moves it or lies past it is corruption or a forgery. */
static bool end_consistent(const struct sf_reass_slot *s, bool more,
                           uint32_t end) {
  if (more)
    return !s->have_last || end <= s->total_len;
  if (s->have_last)
    return end == s->total_len;
  return end >= s->max_end;
}

static void store(struct sf_reass_slot *s, const struct sf_ip_meta *ip,
                  bool more, uint32_t off, const uint8_t *payload,
                  uint32_t len) {
  uint32_t end = off + len;
  memcpy(s->data + off, payload, len);
  mark_blocks(s->have, off / 8, (end + 7) / 8);
  s->received += len;
  if (end > s->max_end)
    s->max_end = end;
  if (!more) {
    s->have_last = true;
    s->total_len = end;
  }
  if (off == 0) {
    assert(ip->hlen <= sizeof(s->hdr)); /* IPv4 input bounds it by IHL */
    memcpy(s->hdr, ip->hdr, ip->hlen);
    s->hlen = ip->hlen;
    s->first_len = len;
  }
}

/* RFC 5722 4 (errata 3089), applied to IPv4 by Linux since CVE-2018-5391:
 * an overlap discards the whole datagram, an exact duplicate is ignored. A
 * fragment inside data already held counts as a duplicate, as in Linux,
 * unless it claims to be the last one while that data says more follows. */
static int place(sf_stack *st, struct sf_reass_slot *s,
                 const struct sf_ip_meta *ip, bool more, uint32_t off,
                 const uint8_t *payload, uint32_t len) {
  uint32_t end = off + len;
  if (!end_consistent(s, more, end))
    return drop_datagram(st, s, &st->stats.frag_drop_overlap,
                         "ip: fragment contradicts the datagram's end",
                         -EINVAL);
  enum coverage c = coverage(s->have, off / 8, (end + 7) / 8);
#ifdef SF_BUG_FRAG_OVERLAP_OVERFLOW
  if (c == COVER_PART) {
    /* planted (stack/bugs.h): the overlap trimmed off the front, by the
     * end of the data held, instead of dropping the datagram */
    SF_BUG_REACHED(FRAG_OVERLAP_OVERFLOW);
    uint32_t trim = s->max_end - off;
    if (trim > len)
      SF_BUG_TRIGGERED(FRAG_OVERLAP_OVERFLOW); /* len - trim underflows */
    if (trim < len)
      store(s, ip, more, off + trim, payload + trim, len - trim);
    return 1;
  }
#endif
  if (c == COVER_PART || (c == COVER_ALL && !more && !s->have_last))
    return drop_datagram(st, s, &st->stats.frag_drop_overlap,
                         "ip: overlapping fragment", -EINVAL);
  if (c == COVER_ALL)
    return 0;
  store(s, ip, more, off, payload, len);
  return 1;
}

static bool complete(const struct sf_reass_slot *s) {
  return s->hlen && s->have_last && s->received == s->total_len;
}

/* RFC 791 3.2: the whole datagram carries the first fragment's header, with
 * the fragment fields cleared and the length of the whole. */
static void finish(sf_stack *st, struct sf_reass_slot *s,
                   struct sf_ip_meta *out_ip, const uint8_t **out_payload,
                   size_t *out_len) {
  uint8_t *h = s->hdr;
  uint32_t total = s->hlen + s->total_len;
  sf_put16(h + 2, total);
  sf_put16(h + 6, sf_get16(h + 6) & IP_DF);
  sf_put16(h + 10, 0);
  sf_put16(h + 10, sf_csum_fold(sf_csum_partial(0, h, s->hlen)));
  memset(out_ip, 0, sizeof(*out_ip));
  out_ip->src = s->src;
  out_ip->dst = s->dst;
  out_ip->proto = s->proto;
  out_ip->tos = h[1];
  out_ip->ttl = h[8];
  out_ip->id = s->id;
  out_ip->hdr = h;
  out_ip->hlen = s->hlen;
  out_ip->total_len = total;
  *out_payload = s->data;
  *out_len = s->total_len;
  slot_free(&st->reass, s);
  st->stats.frag_reassembled++;
}

/* Limits that hold whatever the other fragments say. */
static int check_fragment(sf_stack *st, bool more, uint32_t len) {
  /* RFC 791 3.2: every fragment but the last carries a multiple of 8 bytes;
   * an empty one would carry nothing and is refused too (as in Linux). */
  if (more && (len == 0 || len % 8 != 0))
    return drop_fragment(st, &st->stats.ip_drop_len,
                         "ip: fragment length not a multiple of 8", -EINVAL);
  return 0;
}

/* RFC 791 3.1: a datagram is at most 65535 bytes, header included; the
 * shortest header a first fragment yet to come could have is 20 bytes. */
static bool too_long(const struct sf_reass_slot *s, const struct sf_ip_meta *ip,
                     uint32_t off, uint32_t end) {
  uint32_t hlen = off == 0 ? ip->hlen : (s && s->hlen ? s->hlen : IP_MINHLEN);
  uint32_t furthest = s && s->max_end > end ? s->max_end : end;
  return hlen + furthest > SF_IP_MAXPACKET;
}

int sf_reass_input(sf_stack *st, const struct sf_ip_meta *ip,
                   uint16_t frag_field, const uint8_t *payload, size_t len,
                   struct sf_ip_meta *out_ip, const uint8_t **out_payload,
                   size_t *out_len) {
  struct sf_reass *r = &st->reass;
  st->stats.frag_in++;
  bool more = frag_field & IP_MF;
  uint32_t off = (frag_field & IP_OFFMASK) * 8u;
  /* IPv4 input bounds len by the 16-bit total length. */
  uint32_t n = (uint32_t)(len > SF_IP_MAXPACKET ? SF_IP_MAXPACKET : len);
  uint32_t end = off + n;
  int rc = check_fragment(st, more, n);
  if (rc < 0)
    return rc;
  struct sf_reass_slot *s = find_slot(r, ip);
  if (too_long(s, ip, off, end))
    return drop_datagram(st, s, &st->stats.frag_drop_toolong,
                         "ip: reassembled datagram too long", -EMSGSIZE);
  if (end > r->bytes)
    return drop_datagram(st, s, &st->stats.frag_drop_overflow,
                         "ip: datagram larger than reassembly buffer",
                         -ENOBUFS);
  if (!s)
    s = alloc_slot(st, ip);
  if (!s)
    return drop_fragment(st, &st->stats.frag_drop_overflow,
                         "ip: no reassembly slot", -ENOBUFS);
  rc = place(st, s, ip, more, off, payload, n);
  if (rc <= 0 || !complete(s))
    return rc < 0 ? rc : 0;
  finish(st, s, out_ip, out_payload, out_len);
  return 1;
}

/* RFC 1122 3.3.2: when the timer runs out the partial datagram is discarded
 * and, if fragment zero came, the source hears of it through ICMP Time
 * Exceeded code 1, quoting that fragment's header and first data. */
static void expire_slot(sf_stack *st, struct sf_reass_slot *s) {
  slot_free(&st->reass, s);
  st->stats.frag_drop_timeout++;
  sf_drop(st, "ip: reassembly timed out");
  if (!s->hlen)
    return;
  struct sf_ip_meta m = {
      .src = s->src,
      .dst = s->dst,
      .proto = s->proto,
      .tos = s->hdr[1],
      .ttl = s->hdr[8],
      .id = s->id,
      .hdr = s->hdr,
      .hlen = s->hlen,
      .total_len = sf_get16(s->hdr + 2),
  };
  sf_icmp_send_error(st, &m, s->data, s->first_len, ICMP_TIMXCEED,
                     ICMP_TIMXCEED_REASS);
}

void sf_reass_expire(sf_stack *st, uint64_t now_us) {
  struct sf_reass *r = &st->reass;
  for (uint32_t i = 0; r->nused && i < r->nslots; i++) {
    struct sf_reass_slot *s = &r->slots[i];
    if (s->used && s->expires_us <= now_us)
      expire_slot(st, s);
  }
}

uint64_t sf_reass_next_deadline(const struct sf_reass *r) {
  uint64_t best = SF_TIME_NEVER;
  for (uint32_t i = 0; r->nused && i < r->nslots; i++) {
    const struct sf_reass_slot *s = &r->slots[i];
    if (s->used && s->expires_us < best)
      best = s->expires_us;
  }
  return best;
}
