/* Behaviour profiles: the values where the RFCs leave a choice. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "synfin/stack.h"

/* Linux's wire conventions as packetdrill's Linux scripts expect them, with
 * the sysctls those suites set (tcp_rmem max 15728640: window scale 8). */
static void profile_linux(sf_profile *p) {
  memset(p, 0, sizeof(*p));
  strcpy(p->name, "linux");
  p->init_cwnd_segs = 10;      /* RFC 6928, TCP_INIT_CWND */
  p->rto_initial_us = 1000000; /* TCP_TIMEOUT_INIT */
  p->rto_min_us = 200000;      /* TCP_RTO_MIN */
  p->rto_max_us = 120000000;   /* TCP_RTO_MAX */
  p->rto_formula = SF_RTO_LINUX;
  p->delack_us = 40000;  /* TCP_DELACK_MIN */
  p->quickack_segs = 16; /* TCP_MAX_QUICKACKS */
  p->synopt_layout = SF_SYNOPT_LINUX;
  p->psh_last_segment = 1;
  p->timestamps = 1;
  p->sack = 1;
  p->window_scaling = 1;
  p->syn_retries = 6;
  p->synack_retries = 5;
  p->retries2 = 15;
  p->rmem_default = 540000; /* packetdrill's tcp_rmem "4096 540000 ..." */
  p->rmem_max = 15728640;
  p->wmem_default = 262144; /* packetdrill's tcp_wmem "4096 262144 ..." */
  p->init_rcv_wnd = 65535;  /* a SYN's window is never scaled */
  p->rcv_space_ratio = 128; /* TCP_DEFAULT_SCALING_RATIO: half */
  p->rcv_truesize = SF_TRUESIZE_LINUX_TUN;
  p->rcv_wnd_policy = SF_RCV_WND_LINUX;
  p->ack_policy = SF_ACK_LINUX;
  p->syn_linear_timeouts = 4; /* sysctl tcp_syn_linear_timeouts */
  p->tlp = 1;                 /* sysctl tcp_early_retrans 3 */
  p->tlp_delack_us = 200000;  /* TCP_RTO_MIN */
  p->tlp_extra_us = 8000;     /* TCP_TIMEOUT_MIN, 2 jiffies at HZ 250 */
  p->simopen_syn_options = 1; /* tcp_rcv_synsent_state_process */
  p->tso_chunk_psh = 1;
  p->ss_max_segs = 0;         /* tcp_slow_start */
  p->synrcvd_rst_refused = 0; /* tcp_reset: ECONNREFUSED in SYN-SENT only */
  p->user_timeout_from_rexmit = 1; /* retrans_stamp */
  p->time_wait_us = 60000000;      /* TCP_TIMEWAIT_LEN */
  p->keepidle_s = 7200;            /* tcp_keepalive_time */
  p->keepintvl_s = 75;             /* tcp_keepalive_intvl */
  p->keepcnt = 9;
  p->persist_min_us = 200000;
  p->persist_max_us = 120000000;
  p->ttl = 64;
  p->dont_fragment = 1;
  p->ts_hz = 1000;
  p->icmp_hard_abort = 0;
  p->icmp_opening_abort = 1; /* tcp_v4_err */
  p->mss_default = 536;
  p->zwp_data_byte = 0;
  p->syn_data_accept = 0;
  p->oow_ack_ratelimit_us = 500000;   /* sysctl tcp_invalid_ratelimit */
  p->fin_wait2_timeout_us = 60000000; /* sysctl tcp_fin_timeout */
  p->ts_required = 0;
  p->window_update_double = 1;
  p->nagle_minshall = 1;
  p->zero_wnd_drop_data = 1;
  p->urg_oob = 1;             /* tcp_check_urg, tcp_recv_urg */
  p->accept_source_route = 0; /* ip_rcv_options: conf/all is 0 */
  p->isn_tick_ns = 64;        /* secure_tcp_seq: ktime_get_real_ns() >> 6 */
}

/* The RFCs' own values: RFC 6298 minimum RTO of one second, RFC 5681
 * initial window, delayed ACK up to 200 ms, MSL of two minutes. */
static void profile_rfc(sf_profile *p) {
  profile_linux(p);
  strcpy(p->name, "rfc");
  p->init_cwnd_segs = 0; /* RFC 5681 3.1 formula */
  p->rto_min_us = 1000000;
  p->rto_max_us = 60000000; /* RFC 6298 2.5 allows an upper bound >= 60 s */
  p->rto_formula = SF_RTO_RFC6298;
  p->delack_us = 200000;
  p->quickack_segs = 0;
  p->synopt_layout = SF_SYNOPT_ALIGNED;
  p->time_wait_us = 240000000; /* 2 * MSL, MSL = 2 minutes */
  p->persist_min_us = 1000000;
  p->persist_max_us = 60000000;
  p->icmp_hard_abort = 1;    /* RFC 9293 SHLD-26 */
  p->icmp_opening_abort = 0; /* RFC 9293 MUST-56 */
  p->zwp_data_byte = 1;      /* RFC 9293 3.8.6.1 */
  p->syn_data_accept = 1;    /* RFC 9293 3.10.7.3: continue at the sixth step */
  p->oow_ack_ratelimit_us = 0;
  p->fin_wait2_timeout_us = 0;
  p->ts_required = 1;
  p->window_update_double = 0;
  p->nagle_minshall = 0;
  p->zero_wnd_drop_data = 0;
  p->urg_oob = 0;
  p->syn_retries = 7;       /* RFC 9293 MUST-23: retransmit a SYN for at least
                               3 minutes (1+2+4+8+16+32+60+60 s) */
  p->rcv_space_ratio = 256; /* the whole buffer is window */
  p->rcv_truesize = SF_TRUESIZE_BYTES;
  p->rcv_wnd_policy = SF_RCV_WND_RFC;
  p->ack_policy = SF_ACK_RFC;
  p->syn_linear_timeouts = 0; /* RFC 6298 5.5: double on every expiry */
  p->tlp = 0;
  p->simopen_syn_options = 0; /* RFC 7323 2.2, 3.2 */
  p->tso_chunk_psh = 0;
  p->ss_max_segs = 1;         /* RFC 5681 3.1: cwnd += min(N, SMSS) */
  p->synrcvd_rst_refused = 1; /* RFC 9293 3.10.7.4: "connection refused" */
  p->user_timeout_from_rexmit = 0;
  p->accept_source_route = 1; /* RFC 1122 3.2.1.8, RFC 9293 MUST-53 */
  p->isn_tick_ns = 4000;      /* RFC 9293 3.4.1 */
}

int sf_profile_init(sf_profile *p, enum sf_profile_id id) {
  switch (id) {
  case SF_PROFILE_LINUX:
    profile_linux(p);
    return 0;
  case SF_PROFILE_RFC:
    profile_rfc(p);
    return 0;
  }
  return -EINVAL;
}

int sf_profile_by_name(sf_profile *p, const char *name) {
  if (strcmp(name, "linux") == 0)
    return sf_profile_init(p, SF_PROFILE_LINUX);
  if (strcmp(name, "rfc") == 0)
    return sf_profile_init(p, SF_PROFILE_RFC);
  return -ENOENT;
}

#define FIELD(f)                                                               \
  { #f, offsetof(sf_profile, f) }
static const struct {
  const char *key;
  size_t off;
} fields[] = {
    FIELD(init_cwnd_segs),
    FIELD(rto_initial_us),
    FIELD(rto_min_us),
    FIELD(rto_max_us),
    FIELD(rto_formula),
    FIELD(delack_us),
    FIELD(quickack_segs),
    FIELD(synopt_layout),
    FIELD(psh_last_segment),
    FIELD(timestamps),
    FIELD(sack),
    FIELD(window_scaling),
    FIELD(syn_retries),
    FIELD(synack_retries),
    FIELD(retries2),
    FIELD(rmem_default),
    FIELD(rmem_max),
    FIELD(wmem_default),
    FIELD(init_rcv_wnd),
    FIELD(rcv_space_ratio),
    FIELD(rcv_truesize),
    FIELD(rcv_wnd_policy),
    FIELD(ack_policy),
    FIELD(syn_linear_timeouts),
    FIELD(tlp),
    FIELD(tlp_delack_us),
    FIELD(tlp_extra_us),
    FIELD(simopen_syn_options),
    FIELD(tso_chunk_psh),
    FIELD(ss_max_segs),
    FIELD(synrcvd_rst_refused),
    FIELD(user_timeout_from_rexmit),
    FIELD(time_wait_us),
    FIELD(keepidle_s),
    FIELD(keepintvl_s),
    FIELD(keepcnt),
    FIELD(persist_min_us),
    FIELD(persist_max_us),
    FIELD(ttl),
    FIELD(dont_fragment),
    FIELD(ts_hz),
    FIELD(icmp_hard_abort),
    FIELD(icmp_opening_abort),
    FIELD(mss_default),
    FIELD(zwp_data_byte),
    FIELD(syn_data_accept),
    FIELD(oow_ack_ratelimit_us),
    FIELD(fin_wait2_timeout_us),
    FIELD(ts_required),
    FIELD(window_update_double),
    FIELD(nagle_minshall),
    FIELD(zero_wnd_drop_data),
    FIELD(urg_oob),
    FIELD(accept_source_route),
    FIELD(isn_tick_ns),
};
#undef FIELD

static uint32_t *field_ptr(sf_profile *p, const char *key) {
  for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
    if (strcmp(fields[i].key, key) == 0)
      return (uint32_t *)((char *)p + fields[i].off);
  return NULL;
}

const char *sf_profile_key(size_t index) {
  if (index >= sizeof(fields) / sizeof(fields[0]))
    return NULL;
  return fields[index].key;
}

/* Limits that keep the stack's arithmetic meaningful. */
static int check_value(const char *key, unsigned long v) {
  if (strcmp(key, "rto_formula") == 0 && v > SF_RTO_LINUX)
    return -EINVAL;
  if (strcmp(key, "synopt_layout") == 0 && v > SF_SYNOPT_ALIGNED)
    return -EINVAL;
  if (strcmp(key, "rcv_wnd_policy") == 0 && v > SF_RCV_WND_LINUX)
    return -EINVAL;
  if (strcmp(key, "ack_policy") == 0 && v > SF_ACK_LINUX)
    return -EINVAL;
  if (strcmp(key, "rcv_truesize") == 0 && v > SF_TRUESIZE_LINUX_TUN)
    return -EINVAL;
  if (strcmp(key, "rcv_space_ratio") == 0 && (v == 0 || v > 256))
    return -EINVAL;
  if (strcmp(key, "ttl") == 0 && (v == 0 || v > 255))
    return -EINVAL;
  if (strcmp(key, "ts_hz") == 0 && (v == 0 || v > 1000000))
    return -EINVAL;
  if (strcmp(key, "isn_tick_ns") == 0 && (v == 0 || v > 1000000000))
    return -EINVAL;
  if ((strcmp(key, "mss_default") == 0 || strcmp(key, "init_rcv_wnd") == 0) &&
      (v == 0 || v > 65535))
    return -EINVAL;
  if ((strcmp(key, "rto_min_us") == 0 || strcmp(key, "rto_initial_us") == 0 ||
       strcmp(key, "rto_max_us") == 0) &&
      v == 0)
    return -EINVAL;
  return 0;
}

int sf_profile_set(sf_profile *p, const char *key, const char *value) {
  uint32_t *f = field_ptr(p, key);
  if (!f)
    return -ENOENT;
  if (!value || *value < '0' || *value > '9')
    return -EINVAL;
  char *end;
  errno = 0;
  unsigned long v = strtoul(value, &end, 10);
  if (errno || *end || v > UINT32_MAX)
    return -EINVAL;
  int rc = check_value(key, v);
  if (rc < 0)
    return rc;
  *f = (uint32_t)v;
  return 0;
}

int sf_profile_get(const sf_profile *p, const char *key, uint32_t *value) {
  uint32_t *f = field_ptr((sf_profile *)p, key);
  if (!f)
    return -ENOENT;
  *value = *f;
  return 0;
}
