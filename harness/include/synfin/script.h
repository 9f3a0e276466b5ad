/* synfin script: the parser of conformance scripts in packetdrill's language.
 *
 * sf_script_parse() turns script text into an AST that a runner walks in
 * order: option lines (sf_script.options), an optional untimed init command,
 * timed events (sf_script.events), an optional untimed cleanup command. The
 * language, including synfin's extensions, is described in
 * docs/script-language.md.
 *
 * The AST is plain data owned by the sf_script: every pointer in it stays valid
 * until sf_script_free(). Strings are NUL-terminated copies. Positions are
 * 1-based; columns count bytes. Errors are negative errno values; on a parse
 * error the sf_script_error names file:line:column and what was expected.
 *
 * A runner walks a script like this:
 *
 *   for (size_t i = 0; i < s->n_events; i++) {
 *     const sf_script_event *ev = &s->events[i];
 *     when = ev->time (kind, start_us, end_us);
 *     switch (ev->kind) {
 *     case SF_SCR_EV_PACKET:  ev->packet.tcp.seq.start, ev->packet.ip, ...
 *     case SF_SCR_EV_SYSCALL: ev->syscall.name, ev->syscall.args[i], ...
 *     case SF_SCR_EV_COMMAND: ev->command.text
 *     case SF_SCR_EV_CODE:    unsupported
 *     }
 *   }
 */
#ifndef SYNFIN_SCRIPT_H
#define SYNFIN_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Limits. Input beyond them is an error with a clear message, never a crash
 * or unbounded memory. */
#define SF_SCRIPT_MAX_SIZE (16u << 20) /* bytes in a script */
#define SF_SCRIPT_MAX_LINE 65536u      /* bytes in one line */
#define SF_SCRIPT_MAX_DEPTH 64         /* nesting of expressions */
#define SF_SCRIPT_MAX_AST (256u << 20) /* bytes of AST per script */
#define SF_SCRIPT_MAX_ENCAPS 8         /* encapsulation headers */
#define SF_SCRIPT_MAX_TCP_OPTIONS 40   /* items in one <...> list */
#define SF_SCRIPT_MAX_SACK_BLOCKS 4    /* blocks in one sack option */
#define SF_SCRIPT_MAX_OPT_BYTES 40     /* TCP option space */
#define SF_SCRIPT_MAX_HEX_BYTES 16     /* md5 digest, FO cookie */
#define SF_SCRIPT_NO_END (-1)          /* sf_script_time.end_us unset */
/* The largest time, in seconds. */
#define SF_SCRIPT_MAX_TIME_S INT64_C(1000000000000)

typedef struct sf_script_pos {
  uint32_t line;   /* 1-based */
  uint32_t column; /* 1-based, in bytes */
} sf_script_pos;

typedef struct sf_script_error {
  int code;          /* the negative errno also returned */
  sf_script_pos pos; /* 0:0 when the error has no position */
  char message[512]; /* "name:line:column: what was expected, got 'x'" */
} sf_script_error;

/* ---- option lines: --name[=value] ---- */

typedef struct sf_script_option {
  sf_script_pos pos;
  const char *name;  /* without the leading "--" */
  const char *value; /* NULL for a flag without '=' */
  bool quoted;       /* value was one "string"; value holds its content */
} sf_script_option;

/* ---- event times ---- */

typedef enum sf_script_time_kind {
  SF_SCR_TIME_ABSOLUTE,       /* 0.1 */
  SF_SCR_TIME_RELATIVE,       /* +0.1: after the previous event */
  SF_SCR_TIME_ANY,            /* *: any time (outbound packets only) */
  SF_SCR_TIME_ABSOLUTE_RANGE, /* 0.1~0.2 (outbound packets only) */
  SF_SCR_TIME_RELATIVE_RANGE, /* +0.1~+0.2 (outbound packets only) */
} sf_script_time_kind;

typedef struct sf_script_time {
  sf_script_time_kind kind;
  int64_t start_us; /* 0 for SF_SCR_TIME_ANY */
  /* End of a range, or of a blocking system call (`+0...0.2 read(...)`);
   * SF_SCRIPT_NO_END otherwise. It is measured from the same base as
   * start_us: for a relative time both count from the previous event. */
  int64_t end_us;
} sf_script_time;

/* ---- packets ---- */

typedef enum sf_script_direction {
  SF_SCR_INBOUND,  /* <: injected into the system under test */
  SF_SCR_OUTBOUND, /* >: expected from the system under test */
} sf_script_direction;

typedef enum sf_script_ecn {
  SF_SCR_ECN_UNSPEC, /* no ECN attribute */
  SF_SCR_ECN_NOECN,
  SF_SCR_ECN_ECT0,
  SF_SCR_ECN_ECT1,
  SF_SCR_ECN_ECT01, /* ect0 or ect1 (outbound only) */
  SF_SCR_ECN_CE,
} sf_script_ecn;

typedef enum sf_script_frag_order {
  SF_SCR_FRAG_IN_ORDER,
  SF_SCR_FRAG_REVERSE,
  SF_SCR_FRAG_SHUFFLE, /* seeded by frag_seed */
} sf_script_frag_order;

/* Bits of sf_script_ip.present. */
enum {
  SF_SCR_IP_TOS = 1u << 0,
  SF_SCR_IP_FLOWLABEL = 1u << 1,
  SF_SCR_IP_TTL = 1u << 2,
  /* synfin extensions, inbound packets only */
  SF_SCR_IP_IP_CSUM_BAD = 1u << 3,
  SF_SCR_IP_TCP_CSUM_BAD = 1u << 4,
  SF_SCR_IP_IHL = 1u << 5,
  SF_SCR_IP_IP_LEN = 1u << 6,
  SF_SCR_IP_IP_ID = 1u << 7,
  SF_SCR_IP_IP_PROTO = 1u << 8,
  SF_SCR_IP_DF = 1u << 9,
  SF_SCR_IP_FRAG_SIZE = 1u << 10,
  SF_SCR_IP_FRAG_ORDER = 1u << 11,
  SF_SCR_IP_TCP_DOFF = 1u << 12,
  SF_SCR_IP_EXTENSIONS = 0x1ff8u, /* all the extension bits above */
  /* synfin extensions, both directions */
  SF_SCR_IP_IP_OPTS = 1u << 13, /* ip_opts <lsrr [A B] ptr 12, nop> */
  SF_SCR_IP_IP_DST = 1u << 14,  /* ip_dst 198.51.100.2 */
  /* synfin extension, outbound SYNs only */
  SF_SCR_IP_ISN_CLOCK = 1u << 15, /* isn_clock_ns 4000 */
};

/* IPv4 option bytes at most (RFC 791: a header of 60 bytes). */
#define SF_SCR_IP_OPTS_MAX 40

/* The attributes in parentheses after the direction: (ect0), (tos 0x10),
 * (ttl 64), (flowlabel 0x1), and synfin's (ip_csum bad, frag_size 8, ...). */
typedef struct sf_script_ip {
  uint32_t present; /* SF_SCR_IP_* */
  sf_script_ecn ecn;
  uint8_t tos;
  uint32_t flowlabel; /* 20 bits */
  uint8_t ttl;
  uint8_t ihl;     /* header length in 32-bit words, as sent */
  uint16_t ip_len; /* total length field, as sent */
  uint16_t ip_id;
  uint8_t ip_proto;
  uint16_t frag_size; /* payload bytes per fragment, a multiple of 8 */
  sf_script_frag_order frag_order;
  uint32_t frag_seed; /* SF_SCR_FRAG_SHUFFLE */
  uint8_t tcp_doff;   /* TCP data offset in 32-bit words, as sent */
  /* IPv4 options as written (nop, eol, lsrr, ssrr, rr), unpadded; on the
   * wire they are padded with EOL to a multiple of 4 bytes */
  uint8_t ip_opts[SF_SCR_IP_OPTS_MAX];
  uint8_t ip_opts_len;
  uint32_t ip_dst; /* IPv4 destination address, host byte order */
  /* the ISN moved on from the connection's previous one by the time
   * between them in ticks of this many nanoseconds */
  uint32_t isn_clock_ns;
} sf_script_ip;

/* Encapsulation headers before the packet proper (packetdrill's tunnels):
 * `ipv4 1.1.1.1 > 2.2.2.2:`, `gre:`, `mpls (label 1, tc 0, [S], ttl 64):`. */
typedef enum sf_script_encap_kind {
  SF_SCR_ENCAP_IPV4,
  SF_SCR_ENCAP_IPV6,
  SF_SCR_ENCAP_GRE,
  SF_SCR_ENCAP_MPLS,
} sf_script_encap_kind;

typedef struct sf_script_gre {
  bool has_header; /* fields were given: flags ..., sum, off, key, seq */
  uint16_t flags;
  uint16_t sum;
  uint16_t off;
  uint32_t key;
  uint32_t seq;
} sf_script_gre;

typedef struct sf_script_mpls {
  uint32_t label; /* 20 bits */
  uint8_t tc;     /* 3 bits */
  bool bottom;    /* [S] */
  uint8_t ttl;
} sf_script_mpls;

typedef struct sf_script_encap {
  sf_script_encap_kind kind;
  sf_script_pos pos;
  sf_script_ip ip; /* IPV4, IPV6 */
  const char *src; /* IPV4, IPV6: the addresses as written */
  const char *dst;
  sf_script_gre gre;    /* GRE */
  sf_script_mpls *mpls; /* MPLS */
  size_t n_mpls;
} sf_script_encap;

/* TCP flags: bits of sf_script_tcp.flags. */
enum {
  SF_SCR_TCP_FIN = 1u << 0, /* F */
  SF_SCR_TCP_SYN = 1u << 1, /* S */
  SF_SCR_TCP_RST = 1u << 2, /* R */
  SF_SCR_TCP_PSH = 1u << 3, /* P */
  SF_SCR_TCP_ACK = 1u << 4, /* . */
  SF_SCR_TCP_URG = 1u << 5, /* U */
  SF_SCR_TCP_ECE = 1u << 6, /* E */
  SF_SCR_TCP_CWR = 1u << 7, /* W */
  SF_SCR_TCP_AE = 1u << 8,  /* A (AccECN) */
};

/* Bits of sf_script_tcp.present. */
enum {
  SF_SCR_TCP_HAS_ACK = 1u << 0,
  SF_SCR_TCP_HAS_WIN = 1u << 1,
  SF_SCR_TCP_HAS_URG = 1u << 2,
  SF_SCR_TCP_HAS_OPTIONS = 1u << 3, /* a <...> list, possibly <...> itself */
};

typedef enum sf_script_tcp_option_kind {
  SF_SCR_OPT_NOP,
  SF_SCR_OPT_EOL,
  SF_SCR_OPT_MSS,
  SF_SCR_OPT_WSCALE,
  SF_SCR_OPT_SACK_PERMITTED, /* sackOK */
  SF_SCR_OPT_SACK,
  SF_SCR_OPT_TIMESTAMP, /* TS val V ecr E */
  SF_SCR_OPT_MD5,
  SF_SCR_OPT_FAST_OPEN,     /* FO [cookie] */
  SF_SCR_OPT_FAST_OPEN_EXP, /* FOEXP [cookie] */
  SF_SCR_OPT_UNKNOWN,       /* any other word, kept for the runner */
} sf_script_tcp_option_kind;

typedef struct sf_script_sack_block {
  uint32_t left;
  uint32_t right;
} sf_script_sack_block;

typedef struct sf_script_tcp_option {
  sf_script_tcp_option_kind kind;
  sf_script_pos pos;
  uint16_t mss;
  uint8_t wscale;
  bool wscale_any; /* wscale * */
  uint32_t ts_val;
  uint32_t ts_ecr;
  sf_script_sack_block sack[SF_SCRIPT_MAX_SACK_BLOCKS];
  size_t n_sack;
  uint8_t hex[SF_SCRIPT_MAX_HEX_BYTES]; /* md5 digest or FO cookie */
  size_t n_hex;
  const char *name; /* UNKNOWN: the option's word */
  const char *args; /* UNKNOWN: the rest as written, one space between
                     * tokens separated by white space; "" if none */
} sf_script_tcp_option;

typedef struct sf_script_seq {
  uint32_t start;
  uint32_t end; /* start + len, checked */
  uint16_t len;
} sf_script_seq;

typedef struct sf_script_tcp {
  uint16_t flags; /* SF_SCR_TCP_FIN ... */
  int8_t ace;     /* AccECN ACE digit 0..7, -1 if none */
  sf_script_seq seq;
  uint32_t present; /* SF_SCR_TCP_HAS_* */
  uint32_t ack;
  uint16_t win;
  uint16_t urg;
  bool options_any; /* <...>: options not checked (outbound only) */
  sf_script_tcp_option *options;
  size_t n_options;
} sf_script_tcp;

typedef struct sf_script_udp {
  uint16_t len; /* payload bytes */
} sf_script_udp;

/* Bits of sf_script_icmp.present. */
enum {
  SF_SCR_ICMP_HAS_MTU = 1u << 0,
  SF_SCR_ICMP_HAS_ID = 1u << 1,
  SF_SCR_ICMP_HAS_SEQ = 1u << 2, /* synfin extension (echo) */
  SF_SCR_ICMP_HAS_LEN = 1u << 3, /* synfin extension (echo) */
};

typedef enum sf_script_icmp_echoed {
  SF_SCR_ICMP_ECHOED_NONE, /* no [...]: packetdrill quotes a TCP header */
  SF_SCR_ICMP_ECHOED_TCP,  /* [start:end(len)] */
  SF_SCR_ICMP_ECHOED_UDP,  /* [udp (len)] */
  SF_SCR_ICMP_ECHOED_RAW,  /* [raw (len)] */
} sf_script_icmp_echoed;

/* icmp TYPE [CODE] [mtu N] [id N] [seq N] [(LEN)] [[quoted segment]] */
typedef struct sf_script_icmp {
  const char *type; /* as written: unreachable, echo_request, type_3, ... */
  const char *code; /* as written, NULL if absent */
  uint32_t present; /* SF_SCR_ICMP_HAS_* */
  uint32_t mtu;
  uint16_t id;
  uint16_t seq; /* echo sequence number (extension) */
  uint16_t len; /* echo data bytes after the 8-byte header (extension) */
  sf_script_icmp_echoed echoed;
  sf_script_seq echoed_seq; /* SF_SCR_ICMP_ECHOED_TCP */
  uint16_t echoed_len;      /* SF_SCR_ICMP_ECHOED_UDP and _RAW */
} sf_script_icmp;

typedef enum sf_script_packet_kind {
  SF_SCR_PKT_TCP,
  SF_SCR_PKT_UDP,
  SF_SCR_PKT_ICMP,
  SF_SCR_PKT_RAW, /* synfin extension: `< raw 45 00 ...` (inbound only) */
} sf_script_packet_kind;

typedef struct sf_script_packet {
  sf_script_direction dir;
  sf_script_packet_kind kind;
  sf_script_encap *encaps; /* outermost first */
  size_t n_encaps;
  sf_script_ip ip; /* the innermost IP header */
  bool has_ports;  /* explicit sport>dport */
  uint16_t sport;
  uint16_t dport;
  sf_script_tcp tcp;   /* SF_SCR_PKT_TCP */
  sf_script_udp udp;   /* SF_SCR_PKT_UDP */
  sf_script_icmp icmp; /* SF_SCR_PKT_ICMP */
  const uint8_t *raw;  /* SF_SCR_PKT_RAW: the whole IP datagram */
  size_t raw_len;
} sf_script_packet;

/* ---- expressions (system call arguments and results) ---- */

typedef enum sf_script_expr_kind {
  SF_SCR_EXPR_ELLIPSIS, /* ... */
  SF_SCR_EXPR_INT,      /* 42, -1, 0x10 */
  SF_SCR_EXPR_WORD,     /* SOL_SOCKET, O_NONBLOCK, NULL, EAGAIN */
  SF_SCR_EXPR_STRING,   /* "text" or "text"... */
  SF_SCR_EXPR_LIST,     /* [a, b] */
  SF_SCR_EXPR_STRUCT,   /* {a, b} or {fd=3, events=POLLIN} */
  SF_SCR_EXPR_CALL,     /* htons(8080), inet_addr("..."), msg_iov(1) */
  SF_SCR_EXPR_ASSIGN,   /* name=value, call=value (struct fields) */
  SF_SCR_EXPR_OR,       /* a|b|c */
  SF_SCR_EXPR_GRE,      /* {flags ..., sum ..., off ..., key ..., seq ...} */
  SF_SCR_EXPR_MPLS,     /* {(label 1, tc 0, [S], ttl 64) ...} */
} sf_script_expr_kind;

typedef struct sf_script_expr sf_script_expr;
struct sf_script_expr {
  sf_script_expr_kind kind;
  sf_script_pos pos;
  union {
    struct {
      int64_t value; /* a hex literal above INT64_MAX wraps */
      bool hex;
    } num;            /* INT */
    const char *word; /* WORD */
    struct {
      /* The text between the quotes as written: like packetdrill, escapes
       * delimit the string but are not decoded. */
      const char *text;
      bool ellipsis; /* "text"... */
    } str;           /* STRING */
    struct {
      sf_script_expr **items;
      size_t n;
    } list; /* LIST, STRUCT, OR (operands, at least two) */
    struct {
      const char *name;
      sf_script_expr **args;
      size_t n_args;
    } call; /* CALL */
    struct {
      sf_script_expr *lhs; /* a WORD or a CALL */
      sf_script_expr *rhs;
    } assign;          /* ASSIGN */
    sf_script_gre gre; /* GRE */
    struct {
      sf_script_mpls *entries;
      size_t n;
    } mpls; /* MPLS */
  };
};

/* ---- system calls: name(args) = result [ERRNO (text)] [(note)] ---- */

typedef struct sf_script_syscall {
  const char *name;
  sf_script_expr **args;
  size_t n_args;
  sf_script_expr *result;
  const char *errno_name; /* EAGAIN, or NULL */
  const char *errno_text; /* "Resource temporarily unavailable", or NULL */
  const char *note;       /* a further "(...)", or NULL */
} sf_script_syscall;

/* ---- events ---- */

typedef enum sf_script_event_kind {
  SF_SCR_EV_PACKET,
  SF_SCR_EV_SYSCALL,
  SF_SCR_EV_COMMAND, /* `shell command` */
  SF_SCR_EV_CODE,    /* %{ python }% */
} sf_script_event_kind;

typedef struct sf_script_event {
  sf_script_event_kind kind;
  sf_script_pos pos; /* of the event time */
  sf_script_time time;
  union {
    sf_script_packet packet;
    sf_script_syscall syscall;
    struct {
      const char *text; /* between the backquotes */
    } command;
    struct {
      const char *text; /* between %{ and }%, blanks trimmed */
    } code;
  };
} sf_script_event;

typedef struct sf_script_arena sf_script_arena;

/* A comment on a line of its own: `// requirement: MUST-7` gives text
 * "requirement: MUST-7". Specs carry their tags this way. */
typedef struct sf_script_comment {
  sf_script_pos pos;
  const char *text; /* after the slashes, blanks trimmed */
} sf_script_comment;

typedef struct sf_script {
  const char *name; /* as given to the parser */
  sf_script_option *options;
  size_t n_options;
  const char *init_command; /* untimed `...` before the events, or NULL */
  sf_script_pos init_pos;
  sf_script_event *events;
  size_t n_events;
  const char *cleanup_command; /* untimed `...` after the events, or NULL */
  sf_script_pos cleanup_pos;
  sf_script_comment *comments; /* whole-line // comments, in order */
  size_t n_comments;
  sf_script_arena *arena; /* private: owns the AST's memory */
} sf_script;

/* Parses len bytes at buf (need not be NUL-terminated). name is used in error
 * messages (NULL: "<input>"). On success *out is a new script for
 * sf_script_free() and 0 is returned; otherwise *out is NULL, err (if not
 * NULL) describes the error and a negative errno is returned: -EINVAL for
 * syntax and range errors, -EFBIG for input or AST over the limits, -ENOMEM
 * when memory ran out. */
int sf_script_parse(const char *buf, size_t len, const char *name,
                    sf_script **out, sf_script_error *err);

/* Reads and parses the file at path (used as the name). File errors are
 * -errno of the failing call (-ENOENT, -EACCES, ...), -EISDIR for a
 * directory, -EINVAL for other non-regular files, -EFBIG over
 * SF_SCRIPT_MAX_SIZE. */
int sf_script_parse_file(const char *path, sf_script **out,
                         sf_script_error *err);

void sf_script_free(sf_script *script);

/* Prints a script as canonical packetdrill-syntax text, such that parsing it
 * gives a script equal (sf_script_equal) to the one printed. *out is a
 * NUL-terminated malloc'ed string of *len bytes (len may be NULL); returns 0
 * or -ENOMEM. */
int sf_script_format(const sf_script *script, char **out, size_t *len);

/* Prints one event as a line of script text (no newline), e.g. for a
 * runner's mismatch report. Same conventions as sf_script_format(). */
int sf_script_format_event(const sf_script_event *event, char **out,
                           size_t *len);

/* Prints one expression. Same conventions as sf_script_format(). */
int sf_script_format_expr(const sf_script_expr *expr, char **out, size_t *len);

/* IPv4 option bytes as the `ip_opts` attribute writes them, "<nop,lsrr
 * [198.51.100.1 192.0.2.1] ptr 4,eol>", into buf (cap bytes, NUL-terminated
 * when cap > 0; buf may be NULL with cap 0 to check only). Returns the
 * length the text needs, as snprintf, or 0 when an option is one the
 * language cannot write (rr, lsrr, ssrr, nop and eol are) or malformed. */
size_t sf_script_format_ip_opts(const uint8_t *opt, size_t n, char *buf,
                                size_t cap);

/* True if the two scripts mean the same: equal options, commands and events,
 * ignoring names and positions. */
bool sf_script_equal(const sf_script *a, const sf_script *b);

/* Helpers for runners interpreting system-call arguments. */

/* True if e is the word w (e.g. "NULL", "SOL_SOCKET"). */
bool sf_script_expr_is_word(const sf_script_expr *e, const char *w);

/* In a STRUCT, the value of the field `name=value`; NULL if absent or if e
 * is not a STRUCT. */
const sf_script_expr *sf_script_expr_field(const sf_script_expr *e,
                                           const char *name);

/* Short names for messages: "packet", "system call", ...; "INT", ... */
const char *sf_script_event_kind_name(sf_script_event_kind kind);
const char *sf_script_expr_kind_name(sf_script_expr_kind kind);

#ifdef __cplusplus
}
#endif

#endif /* SYNFIN_SCRIPT_H */
