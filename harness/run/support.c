/* Static checks: a script that uses what the runner cannot do is skipped
 * with the feature and its line, never run half-way or passed. */
#include <stdio.h>
#include <string.h>

#include "run_internal.h"

static bool check_option(struct runner *r, const sf_script_option *o) {
  if (strcmp(o->name, "ip_version") == 0 && o->value &&
      strcmp(o->value, "ipv4") != 0) {
    run_skip(r, o->pos, "unsupported %s", o->value);
    return false;
  }
  return true;
}

static const char *option_problem(const sf_script_tcp_option *o, char *buf,
                                  size_t cap) {
  switch (o->kind) {
  case SF_SCR_OPT_MD5:
    return "md5 option";
  case SF_SCR_OPT_FAST_OPEN:
  case SF_SCR_OPT_FAST_OPEN_EXP:
    return "fastopen option";
  case SF_SCR_OPT_UNKNOWN:
    snprintf(buf, cap, "TCP option '%s'", o->name);
    return buf;
  default:
    return NULL;
  }
}

static bool check_packet(struct runner *r, const sf_script_event *ev) {
  const sf_script_packet *p = &ev->packet;
  if (p->n_encaps) {
    run_skip(r, ev->pos, "unsupported encapsulation");
    return false;
  }
  if (p->kind == SF_SCR_PKT_UDP) {
    run_skip(r, ev->pos, "unsupported udp");
    return false;
  }
  if (p->ip.present & SF_SCR_IP_FLOWLABEL) {
    run_skip(r, ev->pos, "unsupported flowlabel (ipv6)");
    return false;
  }
  if (p->kind == SF_SCR_PKT_ICMP && p->icmp.echoed == SF_SCR_ICMP_ECHOED_UDP) {
    run_skip(r, ev->pos, "unsupported icmp about udp");
    return false;
  }
  if (p->kind != SF_SCR_PKT_TCP)
    return true;
  if ((p->tcp.flags & SF_SCR_TCP_AE) || p->tcp.ace >= 0) {
    run_skip(r, ev->pos, "unsupported AccECN");
    return false;
  }
  for (size_t i = 0; i < p->tcp.n_options; i++) {
    char buf[96];
    const char *what = option_problem(&p->tcp.options[i], buf, sizeof(buf));
    if (what) {
      run_skip(r, p->tcp.options[i].pos, "unsupported %s", what);
      return false;
    }
  }
  return true;
}

bool run_check_support(struct runner *r) {
  for (size_t i = 0; i < r->s->n_options; i++)
    if (!check_option(r, &r->s->options[i]))
      return false;
  for (size_t i = 0; i < r->s->n_events; i++) {
    const sf_script_event *ev = &r->s->events[i];
    if (ev->kind == SF_SCR_EV_CODE) {
      run_skip(r, ev->pos, "unsupported python block");
      return false;
    }
    if (ev->kind == SF_SCR_EV_PACKET && !check_packet(r, ev))
      return false;
    if (ev->kind == SF_SCR_EV_SYSCALL) {
      sf_call call;
      char why[200];
      if (run_call_build(r, &ev->syscall, &call, why, sizeof(why)) < 0) {
        run_skip(r, ev->pos, "%s", why);
        return false;
      }
    }
  }
  return true;
}
