/* `synfin run PATH...`: runs scripts, each in a child process (a crash or
 * hang is that script's failure, not the run's), N at a time, and reports
 * in the order given. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "paths.h"
#include "run_html.h"
#include "run_items.h"
#include "synfin/report.h"
#include "synfin/run.h"

#define MAX_JOBS 256

struct job {
  pid_t pid;
  int fd;
  char *buf;
  size_t len, cap;
  uint64_t start_us;
};

struct run_args {
  sf_run_options ro;
  bool verbose, tap, color, progress;
  const char *junit, *pcap_dir;
  const char *html;     /* --html DIR: index.html, captures, diagrams */
  const char *svg;      /* --svg PATH as given */
  const char *svg_dir;  /* a diagram per script in this directory */
  const char *svg_file; /* one script: its diagram here */
  const char *status_check, *status_update; /* linux status document */
  int jobs;
  unsigned linux_retries; /* reruns of a spec whose linux status changed */
  unsigned timeout_s;
  int nsut;
  enum sf_sut_kind suts[SF_MAX_SUTS]; /* --sut both: stack, then linux */
};

static uint64_t wall_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ---- child: run one script, send the result up a pipe ---- */

static void put_str(FILE *f, const char *s) {
  uint32_t n = s ? (uint32_t)strlen(s) : UINT32_MAX;
  fwrite(&n, sizeof(n), 1, f);
  if (s)
    fwrite(s, 1, n, f);
}

static void pcap_name(const char *dir, const char *script, const char *sut,
                      char *out, size_t cap) {
  char flat[NAME_MAX - 5];
  size_t n = 0;
  for (const char *p = script; *p && n + 1 < sizeof(flat); p++) {
    if (p[0] == '.' && p[1] == '/')
      continue;
    flat[n++] = (*p == '/' || *p == '.') ? '_' : *p;
  }
  flat[n] = '\0';
  int w = snprintf(out, cap, "%s/%s%s%s.pcap", dir, flat, sut ? "." : "",
                   sut ? sut : "");
  if (w < 0 || (size_t)w >= cap)
    snprintf(out, cap, "%s/too-long.pcap", dir);
}

/* The ladder diagram's file beside the capture's. */
static void svg_name(const char *dir, const char *script, const char *sut,
                     char *out, size_t cap) {
  pcap_name(dir, script, sut, out, cap);
  size_t n = strlen(out);
  if (n >= 5 && strcmp(out + n - 5, ".pcap") == 0 && n + 4 < cap)
    strcpy(out + n - 5, ".svg");
}

static void send_result(FILE *f, const sf_run_result *res, const char *trace) {
  int32_t status = res->r.status;
  fwrite(&status, sizeof(status), 1, f);
  fwrite(&res->r.virtual_us, sizeof(uint64_t), 1, f);
  fwrite(&res->trace_hash, sizeof(uint64_t), 1, f);
  fwrite(&res->packets, sizeof(uint64_t), 1, f);
  put_str(f, res->r.reason);
  put_str(f, res->r.location);
  put_str(f, res->r.details);
  put_str(f, res->r.requirements);
  put_str(f, res->r.pcap_path);
  put_str(f, trace);
}

/* Runs the script against each SUT in turn (the stack first: the live
 * kernel's back end moves this process into a namespace of its own). */
static void child(const struct run_args *a, const char *path, int fd) {
  alarm(a->timeout_s);
  FILE *f = fdopen(fd, "wb");
  if (!f)
    _exit(3);
  for (int k = 0; k < a->nsut; k++) {
    sf_run_options ro = a->ro;
    ro.sut = a->suts[k];
    char *trace = NULL;
    size_t trace_len = 0;
    if (a->verbose)
      ro.trace = open_memstream(&trace, &trace_len);
    char pcap[PATH_MAX];
    if (a->pcap_dir) {
      pcap_name(a->pcap_dir, path, a->nsut > 1 ? sf_sut_name(ro.sut) : NULL,
                pcap, sizeof(pcap));
      ro.pcap_path = pcap;
    }
    char svg[PATH_MAX];
    if (a->svg_file) {
      ro.svg_path = a->svg_file;
    } else if (a->svg_dir) {
      svg_name(a->svg_dir, path, a->nsut > 1 ? sf_sut_name(ro.sut) : NULL, svg,
               sizeof(svg));
      ro.svg_path = svg;
    }
    sf_run_result res;
    sf_run_file(path, &ro, &res);
    if (ro.trace)
      fclose(ro.trace);
    send_result(f, &res, trace);
    fflush(f);
    sf_run_result_free(&res);
    free(trace);
  }
  fclose(f);
  _exit(0);
}

/* ---- parent: decode what a child sent ---- */

static bool get(const char **p, const char *end, void *out, size_t n) {
  if ((size_t)(end - *p) < n)
    return false;
  memcpy(out, *p, n);
  *p += n;
  return true;
}

static bool get_str(const char **p, const char *end, const char **out) {
  uint32_t n;
  if (!get(p, end, &n, sizeof(n)))
    return false;
  if (n == UINT32_MAX) {
    *out = NULL;
    return true;
  }
  if ((size_t)(end - *p) < n)
    return false;
  *out = strndup(*p, n);
  *p += n;
  return *out != NULL;
}

static bool decode_one(const char **p, const char *end, sf_run_result *res,
                       char **trace_out) {
  sf_script_result *r = &res->r;
  int32_t status;
  const char *trace = NULL;
  bool ok = get(p, end, &status, sizeof(status)) &&
            get(p, end, &r->virtual_us, sizeof(uint64_t)) &&
            get(p, end, &res->trace_hash, sizeof(uint64_t)) &&
            get(p, end, &res->packets, sizeof(uint64_t)) &&
            get_str(p, end, &r->reason) && get_str(p, end, &r->location) &&
            get_str(p, end, &r->details) && get_str(p, end, &r->requirements) &&
            get_str(p, end, &r->pcap_path) && get_str(p, end, &trace);
  *trace_out = (char *)trace;
  if (ok)
    r->status = status;
  return ok;
}

static void decode(const struct run_args *a, struct job *j, int wstatus,
                   struct item *it) {
  const char *p = j->buf, *end = j->buf + j->len;
  for (int k = 0; k < a->nsut; k++) {
    sf_script_result *r = &it->res[k].r;
    if (!decode_one(&p, end, &it->res[k], &it->trace[k])) {
      char why[160];
      if (WIFSIGNALED(wstatus))
        snprintf(why, sizeof(why), "crashed: signal %d (%s)%s",
                 WTERMSIG(wstatus), strsignal(WTERMSIG(wstatus)),
                 WTERMSIG(wstatus) == SIGALRM ? ": timed out" : "");
      else
        snprintf(why, sizeof(why), "runner exited with status %d",
                 WEXITSTATUS(wstatus));
      r->status = SF_RESULT_ERROR;
      free((char *)r->reason);
      r->reason = strdup(why);
    }
    if (!r->requirements)
      r->requirements = strdup("");
    r->real_us = wall_us() - j->start_us;
  }
  it->done = true;
}

/* ---- reporting ---- */

static const char *colour(const struct run_args *a, sf_result_status s) {
  if (!a->color)
    return "";
  return s == SF_RESULT_PASS   ? "\033[32m"
         : s == SF_RESULT_SKIP ? "\033[33m"
                               : "\033[31m";
}

static void print_result(const struct run_args *a, const sf_run_result *res,
                         const char *trace, const char *sut) {
  const sf_script_result *r = &res->r;
  const char *reset = a->color ? "\033[0m" : "";
  static const char *const word[] = {"ok", "FAIL", "SKIP", "ERROR"};
  if (trace && *trace)
    fputs(trace, stdout);
  if (r->status == SF_RESULT_PASS && !a->verbose)
    return;
  printf("%s%-5s%s %s%s%s%s%s%s\n", colour(a, r->status), word[r->status],
         reset, sut ? "[" : "", sut ? sut : "", sut ? "] " : "",
         r->location ? r->location : r->path, r->reason ? ": " : "",
         r->reason ? r->reason : "");
  if (r->details && r->status != SF_RESULT_PASS)
    fputs(r->details, stdout);
  if (r->pcap_path && r->status == SF_RESULT_FAIL)
    printf("  pcap: %s\n", r->pcap_path);
}

static void print_item(const struct run_args *a, const struct item *it) {
  if (a->tap) /* stdout holds the TAP stream alone */
    return;
  for (int k = 0; k < a->nsut; k++)
    print_result(a, &it->res[k], it->trace[k],
                 a->nsut > 1 ? sf_sut_name(a->suts[k]) : NULL);
}

static int write_junit(const char *path, const sf_script_result *r, size_t n) {
  FILE *f = fopen(path, "w");
  if (!f) {
    fprintf(stderr, "synfin run: --junit %s: %s\n", path, strerror(errno));
    return -errno;
  }
  int rc = sf_report_junit(f, r, n);
  if (fclose(f) != 0 && rc == 0)
    rc = -errno;
  if (rc < 0)
    fprintf(stderr, "synfin run: --junit %s: %s\n", path, strerror(-rc));
  return rc;
}

/* ---- the scheduler ---- */

static int start_job(const struct run_args *a, struct job *j,
                     const char *path) {
  int p[2];
  if (pipe(p) != 0)
    return -errno;
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) {
    close(p[0]);
    close(p[1]);
    return -errno;
  }
  if (pid == 0) {
    close(p[0]);
    child(a, path, p[1]);
  }
  close(p[1]);
  *j = (struct job){.pid = pid, .fd = p[0], .start_us = wall_us()};
  return 0;
}

static bool read_job(struct job *j) {
  if (j->len == j->cap) {
    size_t cap = j->cap ? j->cap * 2 : 4096;
    char *b = realloc(j->buf, cap);
    if (!b)
      return false;
    j->buf = b;
    j->cap = cap;
  }
  ssize_t n = read(j->fd, j->buf + j->len, j->cap - j->len);
  if (n > 0) {
    j->len += (size_t)n;
    return true;
  }
  return n < 0 && errno == EINTR;
}

static void progress(const struct run_args *a, size_t done, size_t total) {
  if (a->progress)
    fprintf(stderr, "\r[%zu/%zu] running scripts...", done, total);
}

static void run_all(const struct run_args *a, struct item *items, size_t n) {
  struct job jobs[MAX_JOBS];
  size_t slot_item[MAX_JOBS];
  struct pollfd pfd[MAX_JOBS];
  size_t next = 0, printed = 0, done = 0, active = 0;
  while (printed < n) {
    while (active < (size_t)a->jobs && next < n) {
      if (start_job(a, &jobs[active], items[next].path) < 0) {
        for (int k = 0; k < a->nsut; k++) {
          items[next].res[k].r.status = SF_RESULT_ERROR;
          items[next].res[k].r.reason = strdup("cannot start a runner process");
          items[next].res[k].r.requirements = strdup("");
        }
        items[next].done = true;
        next++;
        continue;
      }
      slot_item[active++] = next++;
    }
    for (size_t i = 0; i < active; i++)
      pfd[i] = (struct pollfd){.fd = jobs[i].fd, .events = POLLIN};
    if (active > 0 && active <= MAX_JOBS && poll(pfd, (nfds_t)active, -1) < 0 &&
        errno != EINTR)
      break;
    for (size_t i = 0; i < active; i++) {
      if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) ||
          read_job(&jobs[i]))
        continue;
      close(jobs[i].fd);
      int ws = 0;
      waitpid(jobs[i].pid, &ws, 0);
      decode(a, &jobs[i], ws, &items[slot_item[i]]);
      free(jobs[i].buf);
      done++;
      progress(a, done, n);
      jobs[i] = jobs[active - 1];
      slot_item[i] = slot_item[active - 1];
      pfd[i] = pfd[active - 1];
      active--;
      i--; /* the slot now holds another job: look at it again */
    }
    while (printed < n && items[printed].done) {
      if (a->progress)
        fputs("\r\033[K", stderr);
      print_item(a, &items[printed++]);
    }
  }
}

static const char *const status_word[] = {"pass", "fail", "skip", "error"};

/* --linux-status: a spec whose kernel status differs from the document
 * runs again, alone, before that counts as a change: the kernel runs in
 * real time, and a loaded machine can push a packet out of tolerance. */
static void rerun_changed(const struct run_args *a, struct item *items,
                          size_t n) {
  int lk = a->nsut - 1;
  bool *differs = calloc(n ? n : 1, sizeof(*differs));
  if (!differs)
    return;
  struct run_args one = *a;
  one.jobs = 1;
  one.progress = false;
  for (unsigned round = 0; round < a->linux_retries; round++) {
    int count =
        sf_linux_status_mismatches(a->status_check, items, n, lk, differs);
    if (count <= 0)
      break;
    if (!a->tap)
      printf("\nrunning %d spec%s again, alone: linux status differs "
             "from %s\n",
             count, count == 1 ? "" : "s", a->status_check);
    for (size_t i = 0; i < n; i++) {
      if (!differs[i])
        continue;
      for (int k = 0; k < a->nsut; k++) {
        sf_run_result_free(&items[i].res[k]);
        free(items[i].trace[k]);
        items[i].trace[k] = NULL;
        items[i].res[k] = (sf_run_result){0};
        items[i].res[k].r.path = strdup(items[i].path);
      }
      items[i].done = false;
      run_all(&one, &items[i], 1);
    }
  }
  free(differs);
}

/* --sut both: where the stack and the kernel agree and where not. */
static void comparison(const struct item *items, size_t n) {
  size_t cells[4][4] = {{0}};
  bool header = false;
  for (size_t i = 0; i < n; i++) {
    int s = items[i].res[0].r.status, l = items[i].res[1].r.status;
    cells[s][l]++;
    bool differ = (s == SF_RESULT_PASS) != (l == SF_RESULT_PASS);
    if (!differ)
      continue;
    if (!header) {
      printf("\n%-56s %-6s %s\n", "script", "stack", "linux");
      header = true;
    }
    const char *why = l != SF_RESULT_PASS ? items[i].res[1].r.reason
                                          : items[i].res[0].r.reason;
    printf("%-56s %-6s %-6s %s\n", items[i].path, status_word[s],
           status_word[l], why ? why : "");
  }
  printf("stack/linux: pass/pass %zu, pass/fail %zu, fail/pass %zu, "
         "fail/fail %zu, skipped %zu\n",
         cells[0][0], cells[0][1] + cells[0][3], cells[1][0] + cells[3][0],
         cells[1][1] + cells[1][3] + cells[3][1] + cells[3][3],
         cells[2][0] + cells[2][1] + cells[2][2] + cells[2][3] + cells[0][2] +
             cells[1][2] + cells[3][2]);
}

static int report(const struct run_args *a, struct item *items, size_t n) {
  size_t total = n * (size_t)a->nsut;
  sf_script_result *rs = calloc(total ? total : 1, sizeof(*rs));
  char **names = calloc(total ? total : 1, sizeof(*names));
  if (!rs || !names) {
    free(rs);
    free(names);
    return 2;
  }
  bool bad = false;
  for (int k = 0; k < a->nsut; k++) {
    size_t counts[4] = {0};
    for (size_t i = 0; i < n; i++) {
      sf_script_result *r = &rs[(size_t)k * n + i];
      *r = items[i].res[k].r;
      if (a->nsut > 1) {
        size_t len = strlen(r->path) + 16;
        char *name = malloc(len);
        if (name) {
          snprintf(name, len, "%s [%s]", r->path, sf_sut_name(a->suts[k]));
          names[(size_t)k * n + i] = name;
          r->path = name;
        }
      }
      counts[r->status]++;
    }
    if (!a->tap)
      printf("%s%s%zu passed, %zu failed, %zu skipped%s\n",
             a->nsut > 1 ? sf_sut_name(a->suts[k]) : "",
             a->nsut > 1 ? ": " : "", counts[SF_RESULT_PASS],
             counts[SF_RESULT_FAIL] + counts[SF_RESULT_ERROR],
             counts[SF_RESULT_SKIP],
             counts[SF_RESULT_ERROR] ? " (errors included)" : "");
    bad |= counts[SF_RESULT_FAIL] || counts[SF_RESULT_ERROR] ||
           counts[SF_RESULT_PASS] == 0;
  }
  if (a->tap)
    sf_report_tap(stdout, rs, total);
  if (a->nsut == 2 && !a->tap)
    comparison(items, n);
  int rc = 0;
  if (a->junit && write_junit(a->junit, rs, total) < 0)
    rc = 2;
  int lk = a->suts[a->nsut - 1] == SF_SUT_LINUX ? a->nsut - 1 : -1;
  if (a->status_update && lk >= 0 &&
      sf_linux_status_update(a->status_update, items, n, lk,
                             a->nsut > 1 ? 0 : -1) < 0)
    rc = 2;
  if (a->status_check && lk >= 0) {
    int changed = sf_linux_status_check(a->status_check, items, n, lk);
    bad = changed != 0;
    if (changed < 0)
      rc = 2;
  }
  for (size_t i = 0; i < total; i++)
    free(names[i]);
  free(names);
  free(rs);
  return rc ? rc : bad ? 1 : 0;
}

static void usage(FILE *f) {
  fputs("usage: synfin run [options] PATH...\n"
        "Runs packetdrill-syntax scripts (files, or directories searched for\n"
        "*.pkt) against the built-in stack in virtual time.\n"
        "  -v, --verbose        print the trace of every script\n"
        "  -j, --jobs N         run N scripts at once (default 1)\n"
        "      --junit FILE     write a JUnit XML report\n"
        "      --tap            print TAP version 13 instead of the summary\n"
        "      --pcap DIR       write one pcap per script into DIR\n"
        "      --svg PATH       write a ladder diagram per script into the\n"
        "                       directory PATH (one script: the file PATH\n"
        "                       when it ends in .svg)\n"
        "      --html DIR       a report: DIR/index.html with the results,\n"
        "                       the captures and diagrams beside it\n"
        "      --strict         packets after the last event fail a script\n"
        "      --profile NAME   linux (default) or rfc, before --profile in\n"
        "                       the script\n"
        "      --seed N         seed of the stack (ISNs, ports, IP IDs)\n"
        "      --sut KIND       stack (default), linux (the live kernel in a\n"
        "                       private network namespace; needs root) or\n"
        "                       both (a table of where they differ)\n"
        "      --tolerance-usecs N  timing tolerance of scripts that set none\n"
        "                       (default 4000; a busy machine needs more for\n"
        "                       --sut linux)\n"
        "      --linux-status FILE   compare the kernel's results with the\n"
        "                       document FILE; exit 1 if any changed\n"
        "      --update-linux-status FILE   rewrite that document\n"
        "      --linux-retries N   with --linux-status, run a spec whose\n"
        "                       status changed again, alone, up to N times\n"
        "                       (default 2)\n"
        "      --timeout S      real seconds a script may take (default 60)\n"
        "      --color/--no-color\n",
        f);
}

static bool parse_uint(const char *s, unsigned long max, unsigned long *out) {
  char *end;
  errno = 0;
  unsigned long v = strtoul(s, &end, 10);
  if (!*s || *end || errno || v > max || s[0] == '-')
    return false;
  *out = v;
  return true;
}

static int parse_args(int argc, char **argv, struct run_args *a) {
  static const struct option longs[] = {
      {"verbose", no_argument, 0, 'v'},
      {"jobs", required_argument, 0, 'j'},
      {"junit", required_argument, 0, 'J'},
      {"tap", no_argument, 0, 'T'},
      {"pcap", required_argument, 0, 'P'},
      {"strict", no_argument, 0, 'S'},
      {"svg", required_argument, 0, 'G'},
      {"html", required_argument, 0, 'H'},
      {"profile", required_argument, 0, 'p'},
      {"sut", required_argument, 0, 'U'},
      {"tolerance-usecs", required_argument, 0, 'O'},
      {"linux-status", required_argument, 0, 'L'},
      {"update-linux-status", required_argument, 0, 'W'},
      {"linux-retries", required_argument, 0, 'R'},
      {"seed", required_argument, 0, 's'},
      {"timeout", required_argument, 0, 't'},
      {"color", no_argument, 0, 'C'},
      {"no-color", no_argument, 0, 'N'},
      {"help", no_argument, 0, 'h'},
      {0, 0, 0, 0}};
  unsigned long v;
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "vj:h", longs, NULL)) != -1) {
    switch (c) {
    case 'v':
      a->verbose = true;
      break;
    case 'j':
      if (!parse_uint(optarg, MAX_JOBS, &v) || v == 0) {
        fprintf(stderr, "synfin run: -j %s: expected 1 to %d\n", optarg,
                MAX_JOBS);
        return -1;
      }
      a->jobs = (int)v;
      break;
    case 'J':
      a->junit = optarg;
      break;
    case 'T':
      a->tap = true;
      break;
    case 'P':
      a->pcap_dir = optarg;
      break;
    case 'G':
      a->svg = optarg;
      break;
    case 'H':
      a->html = optarg;
      break;
    case 'S':
      a->ro.strict = true;
      break;
    case 'U':
      if (strcmp(optarg, "stack") == 0) {
        a->nsut = 1;
        a->suts[0] = SF_SUT_STACK;
      } else if (strcmp(optarg, "linux") == 0) {
        a->nsut = 1;
        a->suts[0] = SF_SUT_LINUX;
      } else if (strcmp(optarg, "both") == 0) {
        a->nsut = 2;
        a->suts[0] = SF_SUT_STACK;
        a->suts[1] = SF_SUT_LINUX;
      } else {
        fprintf(stderr, "synfin run: --sut %s: expected stack, linux or both\n",
                optarg);
        return -1;
      }
      break;
    case 'L':
      a->status_check = optarg;
      break;
    case 'O':
      if (!parse_uint(optarg, 60000000, &v) || v == 0) {
        fprintf(stderr,
                "synfin run: --tolerance-usecs %s: expected 1 to 60000000\n",
                optarg);
        return -1;
      }
      a->ro.tolerance_us = (uint32_t)v;
      break;
    case 'W':
      a->status_update = optarg;
      break;
    case 'R':
      if (!parse_uint(optarg, 10, &v)) {
        fprintf(stderr, "synfin run: --linux-retries %s: expected 0 to 10\n",
                optarg);
        return -1;
      }
      a->linux_retries = (unsigned)v;
      break;
    case 'p': {
      sf_profile p;
      if (sf_profile_by_name(&p, optarg) < 0) {
        fprintf(stderr, "synfin run: --profile %s: expected linux or rfc\n",
                optarg);
        return -1;
      }
      a->ro.profile =
          strcmp(optarg, "rfc") == 0 ? SF_PROFILE_RFC : SF_PROFILE_LINUX;
      break;
    }
    case 's':
      if (!parse_uint(optarg, ULONG_MAX, &v)) {
        fprintf(stderr, "synfin run: --seed %s: expected a number\n", optarg);
        return -1;
      }
      a->ro.seed = v;
      break;
    case 't':
      if (!parse_uint(optarg, 86400, &v) || v == 0) {
        fprintf(stderr, "synfin run: --timeout %s: expected 1 to 86400\n",
                optarg);
        return -1;
      }
      a->timeout_s = (unsigned)v;
      break;
    case 'C':
      a->color = true;
      break;
    case 'N':
      a->color = false;
      break;
    case 'h':
      usage(stdout);
      exit(0);
    default:
      usage(stderr);
      return -1;
    }
  }
  if (optind >= argc) {
    fputs("synfin run: no script or directory given\n", stderr);
    usage(stderr);
    return -1;
  }
  return optind;
}

static int make_dir(const char *dir) {
  char path[PATH_MAX];
  snprintf(path, sizeof(path), "%s", dir);
  for (char *p = path + 1; *p; p++) {
    if (*p != '/')
      continue;
    *p = '\0';
    if (mkdir(path, 0777) != 0 && errno != EEXIST)
      return -errno;
    *p = '/';
  }
  if (mkdir(path, 0777) != 0 && errno != EEXIST)
    return -errno;
  return 0;
}

int sf_cmd_run(int argc, char **argv) {
  struct run_args a = {.jobs = 1,
                       .linux_retries = 2,
                       .timeout_s = 60,
                       .nsut = 1,
                       .suts = {SF_SUT_STACK}};
  sf_run_options_default(&a.ro);
  a.color = isatty(STDOUT_FILENO);
  a.progress = isatty(STDERR_FILENO);
  int first = parse_args(argc, argv, &a);
  if (first < 0)
    return 2;
  if (a.tap)
    a.progress = a.color = false;
  if ((a.status_check || a.status_update) &&
      a.suts[a.nsut - 1] != SF_SUT_LINUX) {
    fputs("synfin run: --linux-status needs --sut linux or --sut both\n",
          stderr);
    return 2;
  }
  if (a.html) {
    if (make_dir(a.html) < 0) {
      fprintf(stderr, "synfin run: --html %s: %s\n", a.html, strerror(errno));
      return 2;
    }
    if (!a.pcap_dir)
      a.pcap_dir = a.html;
    a.svg_dir = a.html;
  }
  if (a.pcap_dir && make_dir(a.pcap_dir) < 0) {
    fprintf(stderr, "synfin run: --pcap %s: %s\n", a.pcap_dir, strerror(errno));
    return 2;
  }
  struct sf_paths paths = {0};
  if (sf_collect_scripts("run", argc - first, argv + first, &paths) < 0)
    return 2;
  if (paths.n == 0) {
    /* nothing ran: not a success, but not bad usage either */
    fputs("synfin run: no .pkt scripts found\n", stderr);
    puts(a.tap ? "TAP version 13\n1..0 # SKIP no scripts"
               : "0 passed, 0 failed, 0 skipped");
    return 1;
  }
  if (a.svg) {
    size_t len = strlen(a.svg);
    if (paths.n == 1 && len > 4 && strcmp(a.svg + len - 4, ".svg") == 0) {
      a.svg_file = a.svg;
    } else if (make_dir(a.svg) < 0) {
      fprintf(stderr, "synfin run: --svg %s: %s\n", a.svg, strerror(errno));
      return 2;
    } else {
      a.svg_dir = a.svg;
    }
  }
  struct item *items = calloc(paths.n, sizeof(*items));
  if (!items)
    return 2;
  for (size_t i = 0; i < paths.n; i++) {
    items[i].path = paths.v[i];
    for (int k = 0; k < a.nsut; k++)
      items[i].res[k].r.path = strdup(paths.v[i]);
  }
  struct run_args quiet = a;
  if (a.tap)
    quiet.verbose = false;
  run_all(a.tap ? &quiet : &a, items, paths.n);
  if (a.status_check)
    rerun_changed(&quiet, items, paths.n);
  int rc = report(&a, items, paths.n);
  char err[512];
  if (a.html && sf_run_html_write(a.html, items, paths.n, a.suts, a.nsut,
                                  svg_name, err, sizeof(err)) < 0) {
    fprintf(stderr, "synfin run: --html %s\n", err);
    rc = 2;
  } else if (a.html && !a.tap) {
    printf("report: %s/index.html\n", a.html);
  }
  for (size_t i = 0; i < paths.n; i++) {
    for (int k = 0; k < a.nsut; k++) {
      sf_run_result_free(&items[i].res[k]);
      free(items[i].trace[k]);
    }
    free(paths.v[i]);
  }
  free(items);
  free(paths.v);
  return rc;
}
