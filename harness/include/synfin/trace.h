/* synfin trace: packet captures, a decoder of IPv4 datagrams and a printer of
 * decoded packets as lines of script text.
 *
 *  - pcap files through libpcap: a writer (LINKTYPE_RAW, nanosecond
 *    timestamps) for the runner's traces, and a reader of pcap and pcapng
 *    (from a file or from memory) for the repro and corpus tools.
 *  - sf_pkt_decode(): arbitrary bytes to a plain struct (sf_pkt_view). It
 *    never reads outside the bytes it is given and never asserts on them:
 *    it is fuzzed.
 *  - sf_pkt_format(): a decoded packet as one line of packetdrill script
 *    syntax (docs/script-language.md), with sequence numbers made relative,
 *    e.g. "> S. 0:0(0) ack 1 win 65535 <mss 1460,nop,nop,sackOK,nop,wscale 8>".
 *    sf_pkt_format_fields() gives the same facts as (name, value) pairs for a
 *    runner that prints expected and actual side by side.
 *
 * Errors are negative errno values. Nothing here keeps global state.
 */
#ifndef SYNFIN_TRACE_H
#define SYNFIN_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "synfin/stack.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ==== pcap files ==== */

/* Link types as pcap_datalink() reports them (DLT_* of <pcap/dlt.h>). synfin
 * writes SF_DLT_RAW: bare IP datagrams, LINKTYPE_RAW (101) in the file. */
#define SF_DLT_EN10MB 1
#define SF_DLT_RAW 12
#define SF_DLT_IPV4 228

/* The largest packet the writer takes: an IPv4 datagram. */
#define SF_PCAP_SNAPLEN 65535u

typedef struct sf_pcap_writer sf_pcap_writer;

/* Creates (or truncates) the file at path and writes a pcap file header:
 * LINKTYPE_RAW, nanosecond timestamps, snapshot length SF_PCAP_SNAPLEN.
 * Whether an existing file may be overwritten is the caller's decision.
 * Returns 0 and *out, or a negative errno (-ENOENT, -EACCES, -EISDIR, ...)
 * with a message naming the path in err (if err is not NULL). */
int sf_pcap_open(const char *path, sf_pcap_writer **out, char *err,
                 size_t errlen);

/* Appends one packet (an IPv4 datagram, len <= SF_PCAP_SNAPLEN) at t_us
 * microseconds of virtual time since the start of the run; the file's time
 * origin is the epoch, so Wireshark shows the run starting at 1970-01-01.
 * Returns 0, -EMSGSIZE for a packet too long, -EOVERFLOW for a time the
 * format cannot hold (2^31 s or later: libpcap reads the 32-bit seconds as
 * signed), or the error of an earlier failed
 * write (-EIO): once a write failed, every later call reports it. */
int sf_pcap_write(sf_pcap_writer *w, uint64_t t_us, const uint8_t *pkt,
                  size_t len);

/* The same with a timestamp in nanoseconds (real-time back ends). */
int sf_pcap_write_ns(sf_pcap_writer *w, uint64_t t_ns, const uint8_t *pkt,
                     size_t len);

/* Flushes and closes the file and frees w (NULL is a no-op). Returns 0 or
 * the first write error (-ENOSPC, -EIO, ...): a trace that could not be
 * written completely is reported here even if each write looked fine. */
int sf_pcap_close(sf_pcap_writer *w);

/* Called for each packet of a capture, in file order: t_ns is the
 * timestamp in nanoseconds since the epoch, link_type the capture's DLT_*
 * value (SF_DLT_RAW for synfin's own files), data the caplen bytes
 * captured of a packet that was wirelen bytes long. Return 0 to go on;
 * anything else stops the read and is returned by the reader. */
typedef int (*sf_pcap_visit_fn)(void *ctx, uint64_t t_ns, int link_type,
                                const uint8_t *data, size_t caplen,
                                size_t wirelen);

/* Reads a pcap or pcapng capture of len bytes at buf (copied by nothing:
 * buf must stay valid during the call). Returns 0 after the last packet,
 * the callback's non-zero value if it stopped the read, or -EBADMSG for a
 * malformed or truncated capture (or an empty buffer, or a timestamp before
 * the epoch or beyond 2^64 ns), -ENOMEM; err then says what was wrong ("capture
 * <memory>: packet 3: truncated dump file; ..."). Packets before the error have
 * been visited. */
int sf_pcap_read_mem(const uint8_t *buf, size_t len, sf_pcap_visit_fn fn,
                     void *ctx, char *err, size_t errlen);

/* The same for the file at path; a file that cannot be opened gives its
 * -errno (-ENOENT, -EACCES, ...) with the path in err. */
int sf_pcap_read_file(const char *path, sf_pcap_visit_fn fn, void *ctx,
                      char *err, size_t errlen);

/* ==== decoding ==== */

/* IP protocol numbers the decoder knows. */
enum {
  SF_IPPROTO_ICMP = 1,
  SF_IPPROTO_TCP = 6,
  SF_IPPROTO_UDP = 17,
};

/* TCP flags: the bits of the header's flag byte, with AE (the former NS
 * bit, RFC 9768 AccECN) as bit 8. The values equal script.h's
 * SF_SCR_TCP_FIN... */
enum {
  SF_TCP_FIN = 0x01,
  SF_TCP_SYN = 0x02,
  SF_TCP_RST = 0x04,
  SF_TCP_PSH = 0x08,
  SF_TCP_ACK = 0x10,
  SF_TCP_URG = 0x20,
  SF_TCP_ECE = 0x40,
  SF_TCP_CWR = 0x80,
  SF_TCP_AE = 0x100,
};

/* TCP option kinds (IANA). */
enum {
  SF_TCPOPT_EOL = 0,
  SF_TCPOPT_NOP = 1,
  SF_TCPOPT_MSS = 2,
  SF_TCPOPT_WSCALE = 3,
  SF_TCPOPT_SACK_PERMITTED = 4,
  SF_TCPOPT_SACK = 5,
  SF_TCPOPT_TIMESTAMP = 8,
  SF_TCPOPT_MD5 = 19,
  SF_TCPOPT_FASTOPEN = 34,
  SF_TCPOPT_EXP = 254, /* RFC 6994 experimental; FOEXP with magic 0xf989 */
};

#define SF_PKT_MAX_OPTIONS 40    /* one byte each at most */
#define SF_PKT_MAX_SACK_BLOCKS 4 /* (40 - 2) / 8 */
#define SF_PKT_OPT_DATA_MAX 38   /* value bytes of one option */
#define SF_PKT_ERROR_MAX 160

typedef struct sf_pkt_sack_block {
  uint32_t left;
  uint32_t right;
} sf_pkt_sack_block;

/* One TCP option, in the order of the header. EOL is decoded like NOP (a
 * one-byte option) and decoding goes on after it, as packetdrill does, so
 * zero padding shows as a run of EOLs. */
typedef struct sf_pkt_tcp_option {
  uint8_t kind;
  uint8_t len;     /* the length byte; 1 for EOL and NOP, which have none */
  uint16_t offset; /* of the kind byte from the start of the datagram */
  /* A kind listed above with a length it allows (MSS 4, WSCALE 3,
   * SACK_PERMITTED 2, SACK 10/18/26/34, TIMESTAMP 10, MD5 2..18,
   * FASTOPEN 2..18, EXP 4..20 with the FOEXP magic): the values below are
   * set. Otherwise only kind, len and data describe it. */
  bool valid;
  uint16_t mss;
  uint8_t wscale;
  uint32_t ts_val;
  uint32_t ts_ecr;
  sf_pkt_sack_block sack[SF_PKT_MAX_SACK_BLOCKS];
  uint8_t n_sack;
  uint8_t data[SF_PKT_OPT_DATA_MAX]; /* the bytes after kind and length */
  uint8_t data_len;
} sf_pkt_tcp_option;

typedef struct sf_pkt_ipv4 {
  uint8_t version;
  uint8_t ihl; /* header length in 32-bit words */
  uint8_t tos; /* DSCP and ECN */
  uint16_t total_len;
  uint16_t id;
  bool rf, df, mf;   /* reserved, don't fragment, more fragments */
  uint16_t frag_off; /* in 8-byte units */
  uint8_t ttl;
  uint8_t proto;
  uint16_t csum;
  bool csum_ok;
  uint32_t src, dst;  /* host byte order */
  uint8_t opt_len;    /* bytes of IP options: ihl * 4 - 20 */
  bool fragment;      /* frag_off != 0 or MF: the transport is not decoded */
  bool truncated;     /* fewer bytes than total_len */
  size_t trailing;    /* bytes after total_len */
  size_t payload_len; /* bytes after the header, up to total_len, as there */
} sf_pkt_ipv4;

typedef struct sf_pkt_tcp {
  uint16_t sport, dport;
  uint32_t seq, ack;
  uint8_t doff;     /* header length in 32-bit words */
  uint8_t reserved; /* the three reserved bits */
  uint16_t flags;   /* SF_TCP_* */
  uint16_t win;
  uint16_t csum;
  bool csum_checked; /* the whole segment was there to check */
  bool csum_ok;      /* over the pseudo header of RFC 9293 3.1 */
  uint16_t urg;
  size_t payload_len;
  const uint8_t *payload; /* into the decoded bytes */
  sf_pkt_tcp_option options[SF_PKT_MAX_OPTIONS];
  size_t n_options;
  /* An option whose length byte is missing, below 2 or runs past the
   * header: decoding stopped there; the undecoded option bytes are kept. */
  bool opt_malformed;
  uint16_t opt_malformed_off; /* from the start of the datagram */
  uint8_t opt_rest[40];
  uint8_t opt_rest_len;
} sf_pkt_tcp;

typedef struct sf_pkt_udp {
  uint16_t sport, dport;
  uint16_t len; /* the length field */
  uint16_t csum;
  bool csum_checked; /* a non-zero checksum over a complete datagram */
  bool csum_ok;
  size_t payload_len; /* from the IP total length */
} sf_pkt_udp;

/* The header fields an ICMP error quotes from the datagram it is about. */
typedef struct sf_pkt_icmp_quote {
  bool ok; /* an IPv4 header with ihl >= 5 is quoted in full */
  uint8_t ihl;
  uint16_t total_len;
  uint16_t id;
  uint8_t proto;
  uint32_t src, dst;
  size_t l4_len; /* bytes quoted after the IP header */
  bool has_ports;
  uint16_t sport, dport;
  bool has_seq; /* TCP: 8 bytes of the header quoted */
  uint32_t seq;
  bool has_doff; /* TCP: 13 bytes or more quoted */
  uint8_t doff;
  bool has_flags; /* TCP: 14 bytes or more quoted */
  uint16_t flags;
  bool has_udp_len; /* UDP: 8 bytes quoted */
  uint16_t udp_len;
} sf_pkt_icmp_quote;

typedef struct sf_pkt_icmp {
  uint8_t type, code;
  uint16_t csum;
  bool csum_checked;
  bool csum_ok;
  uint32_t rest;    /* bytes 4..7 of the header */
  uint16_t id, seq; /* echo request and reply (types 8 and 0) */
  uint16_t mtu;     /* destination unreachable, fragmentation needed */
  size_t data_len;  /* bytes after the 8-byte header */
  bool is_error;    /* types 3, 4, 5, 11, 12: quote an IP header */
  sf_pkt_icmp_quote q;
} sf_pkt_icmp;

typedef enum sf_pkt_l4 {
  SF_PKT_L4_NONE,  /* not decoded: a fragment, or decoding stopped */
  SF_PKT_L4_TCP,   /* v->tcp */
  SF_PKT_L4_UDP,   /* v->udp */
  SF_PKT_L4_ICMP,  /* v->icmp */
  SF_PKT_L4_OTHER, /* another protocol (v->ip.proto) */
} sf_pkt_l4;

typedef struct sf_pkt_view {
  const uint8_t *pkt; /* the bytes given to sf_pkt_decode(), not copied */
  size_t len;
  bool ip_ok; /* the IPv4 header (with options) was decoded */
  sf_pkt_ipv4 ip;
  sf_pkt_l4 l4;
  sf_pkt_tcp tcp;
  sf_pkt_udp udp;
  sf_pkt_icmp icmp;
  /* Empty when sf_pkt_decode() returned 0; otherwise what could not be
   * decoded, with its byte offset: "byte 20: truncated TCP header (12 of 20
   * bytes)". */
  char error[SF_PKT_ERROR_MAX];
  size_t error_off;
} sf_pkt_view;

/* Decodes an IPv4 datagram of len bytes. Returns 0 when the IP header and,
 * unless the datagram is a fragment or of another protocol, its TCP, UDP or
 * ICMP header were decoded (malformed TCP options and bad checksums are
 * facts of the view, not errors). Otherwise returns -EPROTONOSUPPORT (not
 * IPv4) or -EINVAL (too short, a header length or total length that does
 * not fit, a truncated transport header...) with v->error set and the view
 * describing what was readable. Reads only pkt[0..len). */
int sf_pkt_decode(const uint8_t *pkt, size_t len, sf_pkt_view *v);

/* ==== printing as script text ==== */

/* Directions are stack.h's enum sf_direction: SF_DIR_IN is into the system
 * under test ('<'), SF_DIR_OUT from it ('>'). */

typedef struct sf_pkt_fmt {
  int dir;          /* SF_DIR_IN or SF_DIR_OUT */
  bool relative;    /* sequence numbers relative to the ISNs below */
  uint32_t out_isn; /* the SUT's initial sequence number */
  uint32_t in_isn;  /* the peer's (the script's) initial sequence number */
  bool show_win;    /* win N on outbound lines (always on inbound ones) */
  bool show_ts_val; /* outbound TS val as sent; otherwise 0 (packetdrill
                       does not check it); inbound ones always show */
  bool show_ports;  /* SPORT>DPORT before the flags */
  bool show_ip;     /* IP attributes and the addresses, see below */
} sf_pkt_fmt;

/* Prints one line (no newline, no time) such as
 *
 *   > S. 0:0(0) ack 1 win 65535 <mss 1460,nop,nop,sackOK,nop,wscale 8>
 *   < P. 1:1001(1000) ack 1 win 257 <nop,nop,TS val 100 ecr 200>
 *
 * into buf, NUL-terminated and truncated to cap bytes; returns the length
 * the whole line has (snprintf-style: buf may be NULL when cap is 0).
 *
 * Sequence numbers, with f->relative: an outbound segment's seq relative
 * to out_isn and its ack to in_isn; an inbound one's seq to in_isn and ack
 * to out_isn; SACK blocks like the ack (they describe the other side's
 * data); SYNs the same way, so a SYN's seq prints as 0. Without it,
 * absolute. START:END(LEN) wraps END modulo 2^32 as packetdrill prints it.
 *
 * Every TCP, UDP and ICMP line, and every inbound raw line, parses with
 * sf_script_parse() (after a time such as "+0 ") and prints back unchanged
 * by sf_script_format_event() up to the comment, except: a range whose END
 * wrapped (the parser wants END = START + LEN without wrapping; also in an
 * ICMP quote), an outbound raw line (the parser takes raw inbound only)
 * and an empty packet ("raw" needs a byte).
 *
 * TCP: flags in the canonical order of sf_script_format() (FSRPUEWA, then
 * '.' for ACK; '-' for none), `ack N` when ACK is set, `win N` (inbound
 * always, since the script grammar needs it; outbound with show_win),
 * `urg N` when URG is set, options in packetdrill's names: nop, eol,
 * mss N, wscale N, sackOK, sack L:R..., TS val V ecr E, md5 HEX, FO [HEX],
 * FOEXP [HEX]. Options synfin does not know, or known kinds with a length
 * they do not allow, print as `kind K len L [HEX]` (HEX: the value bytes);
 * a malformed option list ends in `malformed HEX` (the undecoded bytes).
 * The parser keeps both as unknown options.
 *
 * UDP: `udp [SPORT>DPORT] (LEN)`. ICMP: `icmp TYPE [CODE] [mtu N]
 * [id N seq N (LEN)] [QUOTE]` with packetdrill's type and code names
 * (type_N, code_N otherwise); QUOTE, for errors, is [START:END(LEN)] for a
 * quoted TCP segment (seq relative like an ack; LEN from the quoted IP total
 * length, less a 20-byte TCP header unless its data offset was quoted),
 * [udp (LEN)], or [raw (N)] with N the bytes of the ICMP message.
 *
 * Fragments, other protocols and packets that did not decode print as
 * `raw HH HH ...` (synfin's extension; the parser takes it inbound only).
 *
 * In parentheses after the direction (the script's IP attributes): inbound
 * packets with a bad checksum get synfin's `ip_csum bad` / `tcp_csum bad`;
 * with show_ip, the ECN codepoint word (TCP) or `tos 0xNN`, `ttl N`, and on
 * inbound lines `ip_id N` and `df`. Facts the script cannot say follow as a
 * comment, e.g. " // tcp_csum bad" on an outbound line, "ack field 5" for an
 * ack number without ACK, "reserved bits 0x1", "ip options 4 bytes",
 * "trailing 6 bytes", and with show_ip "192.0.2.1 > 192.168.0.1 id 7 df";
 * a raw line's comment says why it is raw. */
size_t sf_pkt_format(const sf_pkt_view *v, const sf_pkt_fmt *f, char *buf,
                     size_t cap);

#define SF_PKT_MAX_FIELDS 32
#define SF_PKT_FIELD_VALUE_MAX 256

typedef struct sf_pkt_field {
  const char *name; /* static */
  char value[SF_PKT_FIELD_VALUE_MAX];
} sf_pkt_field;

/* IPv4 option bytes in the script language's `ip_opts` form, "<lsrr
 * [198.51.100.1 192.0.2.1] ptr 4,eol>", or as "N bytes: 83 0b ..." when an
 * option is not one it can write. Returns the length it needed, like
 * snprintf. */
size_t sf_pkt_format_ip_opts(const uint8_t *opt, size_t n, char *buf,
                             size_t cap);

/* The decoded packet as (name, value) pairs, printed the way sf_pkt_format()
 * prints them (relative numbers, option names), for a runner that shows
 * expected and actual side by side. A fixed list of names per kind of packet
 * (values "" where a field is absent, e.g. ack without ACK):
 *
 *   TCP:  flags seq ack win urg options sport dport tcp_csum
 *   UDP:  sport dport len udp_csum
 *   ICMP: type code mtu id seq len quote icmp_csum
 *   all:  src dst tos ttl ip_id df ip_csum (when the IP header decoded)
 *   raw:  error (why the packet prints raw: the decode error, "fragment
 *         ...", "protocol N") and raw (hex bytes, "..." past 84 of them)
 *
 * Checksums read "ok", "bad" or "unchecked". Writes at most cap fields and
 * returns how many there are (at most SF_PKT_MAX_FIELDS). */
size_t sf_pkt_format_fields(const sf_pkt_view *v, const sf_pkt_fmt *f,
                            sf_pkt_field *out, size_t cap);

#ifdef __cplusplus
}
#endif

#endif /* SYNFIN_TRACE_H */
