/* Sources of fuzz seeds: conformance scripts (corpus_spec.c) and packet
 * captures (corpus_pcap.c), each turned into peer traces (corpus_build.h). */
#ifndef SF_CORPUS_SRC_H
#define SF_CORPUS_SRC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/strbuf.h"
#include "corpus_build.h"
#include "synfin/script.h"

/* A script's inbound traffic and calls as a peer trace: the start state
 * from its opening (listen: the handshake is replayed from the listener;
 * connect: from SYN-SENT), the profile from --profile=rfc, socket options
 * that have a scenario equivalent. What has none is named in notes, one
 * "; "-separated item each. Returns 0 or -ENOMEM. */
int sf_corpus_from_script(const sf_script *s, sf_cb_trace *t,
                          struct sf_strbuf *notes);

/* One TCP connection of a capture. */
typedef struct sf_cap_conn {
  uint32_t client_addr, server_addr; /* host order */
  uint16_t client_port, server_port;
  uint64_t first_ns; /* time of its first packet */
  size_t packets;    /* of this connection in the capture */
  size_t split;      /* segments above the MSS split for the scenario */
  sf_cb_trace trace; /* the peer's side as a trace */
  char skip[160];    /* non-empty: no scenario, and why */
} sf_cap_conn;

typedef struct sf_capture {
  sf_cap_conn *conns;
  size_t n, cap;
  size_t packets;      /* in the file */
  size_t not_ipv4;     /* link frames that are not IPv4 (ARP, IPv6...) */
  size_t not_tcp;      /* IPv4 without a TCP header to read */
  size_t fragments;    /* IPv4 fragments (not reassembled) */
  size_t not_captured; /* TCP headers cut by the snapshot length */
} sf_capture;

/* Reads the capture at path (pcap or pcapng; raw IP, Ethernet, Linux
 * cooked v1 and v2, BSD loopback) and builds one trace per TCP connection,
 * the stack taking the server's side (stack_is_client false: the peer is
 * the client that sent the SYN) or the client's. Returns 0, or -errno with
 * err naming the file, the packet and its byte offset where that applies.
 * Free with sf_capture_free() in either case. */
int sf_corpus_from_pcap(const char *path, bool stack_is_client, sf_capture *c,
                        char *err, size_t errlen);
void sf_capture_free(sf_capture *c);

#endif
