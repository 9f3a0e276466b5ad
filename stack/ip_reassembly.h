/* IPv4 fragment reassembly (RFC 791 3.2, RFC 815) with bounded memory. */
#ifndef SF_IP_REASSEMBLY_H
#define SF_IP_REASSEMBLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "synfin/stack.h"

struct sf_ip_meta;

/* A datagram being reassembled. Memory comes from the stack's arena. */
struct sf_reass_slot {
  bool used;
  bool have_last;    /* the fragment without MF came: total_len is known */
  uint32_t src, dst; /* key, with proto and id */
  uint8_t proto;
  uint16_t id;
  uint64_t expires_us;
  uint64_t born_seq;  /* allocation order, to evict the oldest */
  uint32_t total_len; /* payload bytes, known once the last fragment came */
  uint32_t received;  /* payload bytes held (fragments never overlap) */
  uint32_t max_end;   /* end of the furthest fragment held */
  uint32_t first_len; /* payload bytes of the first fragment (offset 0) */
  uint8_t hdr[60];    /* header of the first fragment (offset 0) */
  uint32_t hlen;      /* 0 until the first fragment came */
  uint8_t *data;      /* reass_bytes bytes */
  uint8_t *have;      /* one bit per 8-byte block of data */
};

struct sf_reass {
  struct sf_reass_slot *slots;
  uint32_t nslots;
  uint32_t bytes; /* capacity of each slot's data */
  uint64_t timeout_us;
  uint64_t seq;   /* allocation counter */
  uint32_t nused; /* slots in use: most traffic is not fragmented */
};

/* Bytes of arena memory the reassembly state of cfg needs. */
size_t sf_reass_memory_size(const sf_config *cfg);
/* Lays the state out in mem (sf_reass_memory_size bytes, zeroed). */
void sf_reass_init(struct sf_reass *r, const sf_config *cfg, uint8_t *mem);
void sf_reass_reset(struct sf_reass *r);

/* Offers one fragment: `ip` describes it, frag_field is the host-order flags
 * and offset field, payload its data. Returns 1 when the datagram is complete
 * (then *out_ip and *out_payload, *out_len describe it, valid until the next
 * call: they point into the slot, which is free again), 0 when the fragment
 * is held or was an exact duplicate, or a negative errno when it (or its
 * whole datagram) was dropped; the drop is counted here. */
int sf_reass_input(sf_stack *st, const struct sf_ip_meta *ip,
                   uint16_t frag_field, const uint8_t *payload, size_t len,
                   struct sf_ip_meta *out_ip, const uint8_t **out_payload,
                   size_t *out_len);
/* Drops every datagram whose time ran out at now_us. */
void sf_reass_expire(sf_stack *st, uint64_t now_us);
uint64_t sf_reass_next_deadline(const struct sf_reass *r);

#endif
