/* The script runner's internal state, shared by its modules. */
#ifndef SF_RUN_INTERNAL_H
#define SF_RUN_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../util/strbuf.h"
#include "synfin/oracle.h"
#include "synfin/run.h"
#include "synfin/script.h"
#include "synfin/sut.h"
#include "synfin/trace.h"

#define RUN_LOCAL_IP 0xc0a80001u   /* 192.168.0.1: the system under test */
#define RUN_REMOTE_IP 0xc0000201u  /* 192.0.2.1: the script's side */
#define RUN_PORT 8080              /* bind() and connect() default */
#define RUN_REMOTE_EPHEMERAL 48484 /* the script side's port, passive opens */
#define RUN_MAX_CONNS 16
#define RUN_MAX_FDS 64
#define RUN_TS_MAP 256
#define RUN_PKT_MAX 65536

/* One TCP connection as the script sees it. Inbound sequence numbers are
 * used as written (the script's ISN is the live one); the SUT's ISN is
 * learned from its SYN or SYN-ACK. */
struct run_conn {
  bool used;
  uint16_t lport, rport; /* the SUT's port, the script side's port */
  bool isn_known;
  uint32_t sut_isn;
  uint64_t isn_t_us; /* when the SYN that taught it was sent */
};

struct run_trace_pkt {
  uint64_t t_us;
  int dir; /* SF_DIR_IN / SF_DIR_OUT */
  size_t len;
  uint8_t *data;
};

/* A completed call, for the ladder diagram (--svg). */
struct run_trace_call {
  uint64_t t_us;
  size_t after; /* packets of the trace before it */
  char *text;
};

/* A live packet as the runner compares it: the decoded view, with the
 * fields that merging consecutive segments changes kept beside it. */
struct run_live {
  sf_pkt_view v;
  uint32_t len;   /* payload bytes, of all merged segments */
  uint16_t flags; /* SF_TCP_*; FIN and PSH of the last segment */
  uint32_t ack;
  uint16_t win;
  bool payload_nonzero; /* scripts expect zero bytes */
  uint64_t t_us;        /* when it was sent (script time) */
};

/* A blocking call waiting for the SUT. */
struct run_pending {
  bool active;
  const sf_script_event *ev;
  sf_call call;
  int64_t start_us;  /* when it was made */
  int64_t expect_us; /* when the script says it returns, -1: at once */
  size_t done;       /* bytes a blocking write already moved */
};

struct runner {
  const sf_script *s;
  const char *path;
  const sf_run_options *opt;
  sf_sut *sut;
  /* settings from option lines and sysctls */
  int64_t tol_us;
  double tol_pct;
  bool strict_segments;
  uint32_t mtu;
  sf_profile profile;
  /* descriptors: script -> live */
  struct {
    int script, live;
  } fds[RUN_MAX_FDS];
  size_t nfds;
  struct run_conn conns[RUN_MAX_CONNS];
  int cur; /* connection of packets without explicit ports */
  struct {
    uint32_t script, live;
  } ts[RUN_TS_MAP];
  size_t nts;
  uint16_t ip_id;
  /* time */
  int64_t prev_t;    /* scheduled time of the previous event */
  bool prev_inbound; /* it was an inbound packet */
  struct run_pending pend;
  /* --oracles: the fuzz scenarios' oracles watch the run */
  bool oracles;
  uint32_t oracle_peer_isn; /* --oracles.peer_isn */
  sf_oracle *oracle;
  sf_scn_verdict verdict;
  const sf_script_event *cur_ev; /* the event being run */
  /* outcome */
  int status; /* SF_RESULT_* */
  const sf_script_event *fail_ev;
  struct sf_strbuf reason, details, notices;
  /* every packet both ways */
  struct run_trace_pkt *trace;
  size_t ntrace, captrace;
  /* with --svg: the calls, and the packet that failed (1-based, 0: none) */
  struct run_trace_call *calls;
  size_t ncalls, capcalls;
  size_t fail_pkt;
  uint8_t pkt[RUN_PKT_MAX];
};

/* symbols.c */
bool sf_sym_value(const char *name, long *value);
bool sf_errno_value(const char *name, long *value);
const char *sf_errno_name(int err);

/* runner.c */
/* With --oracles: a broken oracle becomes the run's failure at the event
 * being run. */
void run_oracle_verdict(struct runner *r);
/* Records a failure at an event (the first one wins). */
void run_fail(struct runner *r, const sf_script_event *ev, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Marks the script unsupported (a skip) at a position. */
void run_skip(struct runner *r, sf_script_pos pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
bool run_failed(const struct runner *r);
void run_trace_add(struct runner *r, int dir, uint64_t t, const uint8_t *pkt,
                   size_t len);
int run_live_fd(const struct runner *r, int script_fd);
void run_map_fd(struct runner *r, int script_fd, int live_fd);
struct run_conn *run_conn_for(struct runner *r, const sf_script_packet *p);

/* syscalls.c: script system calls <-> sf_call */
/* Builds the live call; returns 0, or -ENOTSUP with *why set (static
 * text or formatted into why) for what the runner cannot do. */
int run_call_build(struct runner *r, const sf_script_syscall *sc, sf_call *call,
                   char *why, size_t whylen);
/* Compares a completed call with the script; on mismatch records it. */
void run_call_check(struct runner *r, const sf_script_event *ev,
                    const sf_call *call, const sf_call_result *res);

/* options.c: option lines, init command, sysctls */
int run_apply_options(struct runner *r);
int run_apply_init(struct runner *r);

/* support.c: what the runner can run */
bool run_check_support(struct runner *r);

/* inject.c: inbound packets from the script */
/* Builds the datagram(s) of an inbound packet event and injects them. */
int run_inject(struct runner *r, const sf_script_event *ev);

/* expect.c: outbound packets against the script */
/* Compares; returns true on a match, else fills diff (a table of every
 * field, the differing ones marked) and fields (their names, "flags, len").
 * Learns ISNs and timestamps on a match. live may be a merge of several
 * segments. */
bool run_expect_packet(struct runner *r, const sf_script_event *ev,
                       const struct run_live *l, struct sf_strbuf *diff,
                       struct sf_strbuf *fields);
/* Decodes a live datagram; returns 0 or the decoder's error. */
int run_live_parse(const uint8_t *pkt, size_t len, struct run_live *l);
/* One line describing a live packet in script syntax. */
void run_describe_packet(struct runner *r, int dir, const uint8_t *pkt,
                         size_t len, struct sf_strbuf *out);

#endif
