/* `synfin repro FILE`: replays a fuzz finding (or any corpus file, script
 * or capture) deterministically in a child process and prints what
 * happened, up to the failure: virtual times, the packets both ways in
 * script syntax, socket calls and their results, TCP state changes, then
 * the oracle's message or the sanitizer's report. It can write the traffic
 * (--pcap), the equivalent script (--pkt) and a ladder diagram (--svg).
 *
 * Exit status: 0 nothing failed, 1 the failure reproduced, 2 bad input or
 * usage. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "repro.h"
#include "synfin/ladder.h"
#include "synfin/run.h"
#include "synfin/trace.h"

struct repro_args {
  const char *target, *pcap, *pkt, *svg;
  bool client, quiet;
  unsigned timeout_s;
};

static void usage(FILE *f) {
  fputs(
      "usage: synfin repro [options] FILE\n"
      "Replays FILE in a child process and prints the trace up to the\n"
      "failure. FILE is recognised by its bytes: a scenario\n"
      "(tcp_scenario_fuzzer), datagrams of ip_packet_fuzzer, a .pkt script\n"
      "or a pcap/pcapng capture (a scenario per TCP connection).\n"
      "  --target NAME   read FILE as tcp_scenario_fuzzer, ip_packet_fuzzer,\n"
      "                  script_parser_fuzzer or pcap_reader_fuzzer reads it\n"
      "                  (or: scenario, datagrams, script, pcap)\n"
      "  --pcap OUT      write the traffic as a capture\n"
      "  --pkt OUT       write the equivalent script (synfin run replays it)\n"
      "  --svg OUT       write a ladder diagram\n"
      "  --client        a capture: the stack plays the client\n"
      "  --timeout S     real seconds a run may take (default 60)\n"
      "  -q, --quiet     print the outcome only\n"
      "Exit status: 0 nothing failed, 1 the failure reproduced, 2 bad input.\n",
      f);
}

/* ---- the trace ---- */

struct isns {
  uint32_t out, in;
};

static void print_packet(const sf_rp_rec *r, const struct isns *k) {
  sf_pkt_view v;
  sf_pkt_decode(r->data, r->len, &v);
  sf_pkt_fmt f = {.dir = r->dir,
                  .relative = true,
                  .out_isn = k->out,
                  .in_isn = k->in,
                  .show_win = true,
                  .show_ts_val = true,
                  .show_ports = true};
  char line[2048];
  sf_pkt_format(&v, &f, line, sizeof(line));
  printf("%11.6f  %s\n", (double)r->t_us / 1e6, line);
}

/* harness/run/symbols.c: an errno's name ("EAGAIN"), "E?" if unknown */
const char *sf_errno_name(int err);

static void call_result(const sf_rp_rec *r, char *out, size_t cap) {
  if (r->result >= 0)
    snprintf(out, cap, "%s = %ld", (const char *)r->data, r->result);
  else
    snprintf(out, cap, "%s = -1 %s (%s)", (const char *)r->data,
             sf_errno_name(-(int)r->result), strerror(-(int)r->result));
}

/* The scenario's first line (its setup); the events follow in the trace. */
static void print_setup(const sf_scenario *s) {
  char *text = NULL;
  size_t len = 0;
  FILE *m = open_memstream(&text, &len);
  if (!m)
    return;
  sf_scenario *head = calloc(1, sizeof(*head));
  if (head) {
    head->setup = s->setup;
    sf_scn_dump(head, m);
  }
  fclose(m);
  fputs(text ? text : "", stdout);
  free(text);
  free(head);
}

static void event_text(const sf_scenario *s, size_t i, char *out, size_t cap) {
  out[0] = '\0';
  if (i >= s->n)
    return;
  char *text = NULL;
  size_t len = 0;
  FILE *m = open_memstream(&text, &len);
  if (!m)
    return;
  sf_scn_dump_event(&s->ev[i], m);
  fclose(m);
  if (text && len && text[len - 1] == '\n')
    text[len - 1] = '\0';
  snprintf(out, cap, "%s", text ? text : "");
  free(text);
}

static void print_trace(const sf_scenario *s, const sf_rp_outcome *o) {
  struct isns k = {.in = SF_SCN_PEER_ISN + s->setup.seed};
  bool out_known = false, in_known = false;
  char line[1024];
  for (size_t i = 0; i < o->nrecs; i++) {
    const sf_rp_rec *r = &o->recs[i];
    switch (r->type) {
    case SF_RP_REC_EVENT:
      if (r->index >= s->n) {
        printf("-- the end: the application reads what is left\n");
        break;
      }
      event_text(s, r->index, line, sizeof(line));
      printf("-- event %zu: %s\n", r->index, line);
      break;
    case SF_RP_REC_PACKET: {
      sf_pkt_view v;
      if (sf_pkt_decode(r->data, r->len, &v) == 0 && v.l4 == SF_PKT_L4_TCP &&
          (v.tcp.flags & SF_TCP_SYN)) {
        /* relative to each side's first SYN */
        if (r->dir == SF_DIR_OUT && !out_known) {
          k.out = v.tcp.seq;
          out_known = true;
        } else if (r->dir == SF_DIR_IN && !in_known) {
          k.in = v.tcp.seq;
          in_known = true;
        }
      }
      print_packet(r, &k);
      break;
    }
    case SF_RP_REC_CALL:
      call_result(r, line, sizeof(line));
      printf("%11.6f  %s\n", (double)r->t_us / 1e6, line);
      break;
    case SF_RP_REC_STATE:
      printf("%11.6f  state %s -> %s\n", (double)r->t_us / 1e6,
             sf_tcp_state_name(r->old_state), sf_tcp_state_name(r->new_state));
      break;
    default:
      break;
    }
  }
}

/* ---- outputs ---- */

static int write_pcap(const char *path, const sf_rp_outcome *o) {
  char err[512];
  sf_pcap_writer *w;
  if (sf_pcap_open(path, &w, err, sizeof(err)) < 0) {
    fprintf(stderr, "synfin repro: --pcap %s\n", err);
    return -1;
  }
  for (size_t i = 0; i < o->nrecs; i++)
    if (o->recs[i].type == SF_RP_REC_PACKET)
      sf_pcap_write(w, o->recs[i].t_us, o->recs[i].data, o->recs[i].len);
  if (sf_pcap_close(w) < 0) {
    fprintf(stderr, "synfin repro: --pcap %s: write failed\n", path);
    return -1;
  }
  return 0;
}

static int write_svg(const char *path, const char *title, const sf_scenario *s,
                     const sf_rp_outcome *o) {
  sf_ladder *l = sf_ladder_new(title);
  if (!l)
    return -1;
  char line[1024];
  for (size_t i = 0; i < o->nrecs; i++) {
    const sf_rp_rec *r = &o->recs[i];
    switch (r->type) {
    case SF_RP_REC_EVENT: {
      char ev[900];
      event_text(s, r->index, ev, sizeof(ev));
      if (r->index >= s->n)
        snprintf(line, sizeof(line), "the end: the final reads");
      else
        snprintf(line, sizeof(line), "event %zu: %s", r->index, ev);
      sf_ladder_note(l, r->t_us, line);
      break;
    }
    case SF_RP_REC_PACKET:
      sf_ladder_packet(l, r->t_us, r->dir, r->data, r->len);
      break;
    case SF_RP_REC_CALL:
      call_result(r, line, sizeof(line));
      sf_ladder_call(l, r->t_us, line);
      break;
    case SF_RP_REC_STATE:
      sf_ladder_state(l, r->t_us, sf_tcp_state_name(r->new_state));
      break;
    default:
      break;
    }
  }
  if (o->verdict.failed && o->verdict.packet)
    sf_ladder_mark_packet(l, o->verdict.packet - 1);
  if (o->failed) {
    sf_rp_failure_line(o, line, sizeof(line));
    sf_ladder_failure(l, line);
  }
  char err[512];
  int rc = sf_ladder_write_file(l, path, err, sizeof(err));
  if (rc < 0)
    fprintf(stderr, "synfin repro: --svg %s\n", err);
  sf_ladder_free(l);
  return rc < 0 ? -1 : 0;
}

static int write_pkt(const char *path, const sf_rp_input *in,
                     const sf_scenario *s, const char *note,
                     const sf_rp_outcome *o) {
  FILE *f = fopen(path, "w");
  if (!f) {
    fprintf(stderr, "synfin repro: --pkt %s: %s\n", path, strerror(errno));
    return -1;
  }
  sf_rp_pkt_options po = {
      .source = in->path, .target = sf_rp_target_name(in->kind), .note = note};
  int rc = sf_rp_write_pkt(f, s, o, &po);
  if (fclose(f) != 0 || rc < 0) {
    fprintf(stderr, "synfin repro: --pkt %s: write failed\n", path);
    return -1;
  }
  return 0;
}

/* ---- the kinds ---- */

static void print_outcome(const sf_rp_outcome *o) {
  char line[1024];
  if (o->err_text && o->err_text[0]) {
    fflush(stdout);
    fputs(o->err_text, stdout);
    if (o->err_text[strlen(o->err_text) - 1] != '\n')
      putchar('\n');
  }
  if (o->failed) {
    if (o->verdict.failed)
      sf_rp_failure_line(o, line, sizeof(line));
    else if (o->timed_out)
      snprintf(line, sizeof(line), "timed out: a hang (--timeout)");
    else if (o->crashed)
      snprintf(line, sizeof(line), "crashed: signal %d (%s)", o->signal,
               strsignal(o->signal));
    else
      snprintf(line, sizeof(line), "the run ended early (exit status %d)",
               o->exit_status);
    printf("%s\n", line);
    char sig[512];
    sf_rp_signature(o, sig, sizeof(sig));
    printf("signature: %s\n", sig);
  } else {
    printf("no failure: every oracle held\n");
  }
}

static int repro_scenarios(const struct repro_args *a, sf_rp_input *in) {
  int status = 0, outputs = 0;
  for (size_t i = 0; i < in->nscn; i++) {
    const sf_scenario *s = in->scn[i];
    sf_rp_outcome o;
    if (sf_rp_run_scenario(s, true, a->timeout_s, &o) < 0) {
      fprintf(stderr, "synfin repro: cannot start a child: %s\n",
              strerror(errno));
      return 2;
    }
    if (in->scn_name[i][0])
      printf("== %s\n", in->scn_name[i]);
    if (!a->quiet) {
      print_setup(s);
      printf("%zu events\n", s->n);
      print_trace(s, &o);
    }
    print_outcome(&o);
    if (o.ran)
      printf("trace hash %016llx\n", (unsigned long long)o.trace_hash);
    /* the outputs describe the failing connection, or the last one */
    bool last = o.failed || i + 1 == in->nscn;
    if (last && !outputs) {
      outputs = 1;
      if (a->pcap && write_pcap(a->pcap, &o) < 0)
        status = 2;
      if (a->svg && write_svg(a->svg, in->path, s, &o) < 0)
        status = 2;
      if (a->pkt && write_pkt(a->pkt, in, s, in->scn_name[i], &o) < 0)
        status = 2;
    }
    bool failed = o.failed;
    sf_rp_outcome_free(&o);
    if (failed)
      return status ? status : 1;
  }
  return status;
}

/* A script: the runner, in a child, with its trace. */
static int repro_script(const struct repro_args *a, sf_rp_input *in) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0)
    return 2;
  if (pid == 0) {
    alarm(a->timeout_s);
    sf_run_options ro;
    sf_run_options_default(&ro);
    ro.trace = a->quiet ? NULL : stdout;
    ro.pcap_path = a->pcap;
    ro.svg_path = a->svg;
    sf_run_result res;
    sf_run_file(in->path, &ro, &res);
    const sf_script_result *r = &res.r;
    static const char *const word[] = {"ok", "FAIL", "SKIP", "ERROR"};
    printf("%s %s%s%s\n", word[r->status], r->location ? r->location : r->path,
           r->reason ? ": " : "", r->reason ? r->reason : "");
    if (r->details && r->status != SF_RESULT_PASS)
      fputs(r->details, stdout);
    if (a->quiet)
      printf("trace hash %016llx\n", (unsigned long long)res.trace_hash);
    fflush(stdout);
    _exit(r->status == SF_RESULT_PASS || r->status == SF_RESULT_SKIP ? 0
          : r->status == SF_RESULT_FAIL                              ? 1
                                                                     : 2);
  }
  int ws;
  while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
    ;
  if (WIFSIGNALED(ws)) {
    printf("crashed: signal %d (%s)\n", WTERMSIG(ws), strsignal(WTERMSIG(ws)));
    return 1;
  }
  int st = WEXITSTATUS(ws);
  if (a->pkt && sf_rp_write_file(a->pkt, in->bytes, in->len) < 0) {
    fprintf(stderr, "synfin repro: --pkt %s: %s\n", a->pkt, strerror(errno));
    return 2;
  }
  return st;
}

static int repro_bytes(const struct repro_args *a, sf_rp_input *in) {
  sf_rp_outcome o;
  if (sf_rp_run_bytes(in->kind, in->bytes, in->len, a->timeout_s, &o) < 0)
    return 2;
  printf("%s: %zu bytes through %s\n", in->path, in->len,
         sf_rp_target_name(in->kind));
  print_outcome(&o);
  if (a->pkt || a->pcap || a->svg)
    fprintf(stderr,
            "synfin repro: --pkt, --pcap and --svg describe "
            "traffic: %s has none\n",
            sf_rp_target_name(in->kind));
  int rc = o.failed ? 1 : 0;
  sf_rp_outcome_free(&o);
  return rc;
}

static int parse_args(int argc, char **argv, struct repro_args *a) {
  static const struct option longs[] = {{"target", required_argument, 0, 'T'},
                                        {"pcap", required_argument, 0, 'P'},
                                        {"pkt", required_argument, 0, 'K'},
                                        {"svg", required_argument, 0, 'S'},
                                        {"client", no_argument, 0, 'C'},
                                        {"timeout", required_argument, 0, 't'},
                                        {"quiet", no_argument, 0, 'q'},
                                        {"help", no_argument, 0, 'h'},
                                        {0, 0, 0, 0}};
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "qh", longs, NULL)) != -1) {
    switch (c) {
    case 'T':
      a->target = optarg;
      break;
    case 'P':
      a->pcap = optarg;
      break;
    case 'K':
      a->pkt = optarg;
      break;
    case 'S':
      a->svg = optarg;
      break;
    case 'C':
      a->client = true;
      break;
    case 't': {
      char *end;
      unsigned long v = strtoul(optarg, &end, 10);
      if (*end || v == 0 || v > 86400) {
        fprintf(stderr, "synfin repro: --timeout %s: expected 1 to 86400\n",
                optarg);
        return -1;
      }
      a->timeout_s = (unsigned)v;
      break;
    }
    case 'q':
      a->quiet = true;
      break;
    case 'h':
      usage(stdout);
      exit(0);
    default:
      usage(stderr);
      return -1;
    }
  }
  if (optind != argc - 1) {
    fputs("synfin repro: expected one FILE\n", stderr);
    usage(stderr);
    return -1;
  }
  return optind;
}

int sf_cmd_repro(int argc, char **argv) {
  struct repro_args a = {.timeout_s = 60};
  int first = parse_args(argc, argv, &a);
  if (first < 0)
    return 2;
  sf_rp_input in;
  char err[1024];
  if (sf_rp_load(argv[first], a.target, false, a.client, &in, err,
                 sizeof(err)) < 0) {
    fprintf(stderr, "synfin repro: %s\n", err);
    sf_rp_input_free(&in);
    return 2;
  }
  if (in.note[0])
    printf("# %s\n", in.note);
  int rc;
  switch (in.kind) {
  case SF_RP_SCRIPT:
    rc = repro_script(&a, &in);
    break;
  case SF_RP_PARSER:
  case SF_RP_PCAP_READER:
    rc = repro_bytes(&a, &in);
    break;
  default:
    rc = repro_scenarios(&a, &in);
    break;
  }
  sf_rp_input_free(&in);
  return rc;
}
