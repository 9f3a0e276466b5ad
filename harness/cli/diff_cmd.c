/* `synfin diff FILE|DIR...`: a differential oracle outside the fuzz loop.
 * Each scenario is played by the same peer (diff_play.c) against the
 * built-in stack, in virtual time, and against the live kernel in a private
 * network namespace with a TUN device (a child process per scenario), and
 * the two transcripts are compared after normalising what the profile
 * allows to differ. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "diff_play.h"
#include "paths.h"
#include "synfin/stack.h"

#define SCENARIO_LIMIT (1u << 20)
#define STACK_SEED 1

struct diff_args {
  uint32_t tolerance_us, tolerance_pct;
  uint64_t max_time_us;
  size_t max_diffs;
  uint32_t settle_us;
};

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Files named, and the regular files of directories named (sorted). */
static int collect(int argc, char **argv, struct sf_paths *out) {
  for (int i = 0; i < argc; i++) {
    struct stat st;
    if (stat(argv[i], &st) != 0) {
      fprintf(stderr, "synfin diff: %s: %s\n", argv[i], strerror(errno));
      return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
      if (sf_paths_push(out, argv[i]) < 0)
        return -1;
      continue;
    }
    DIR *d = opendir(argv[i]);
    if (!d) {
      fprintf(stderr, "synfin diff: %s: %s\n", argv[i], strerror(errno));
      return -1;
    }
    size_t first = out->n;
    struct dirent *e;
    while ((e = readdir(d))) {
      if (e->d_name[0] == '.')
        continue;
      char path[4096];
      snprintf(path, sizeof(path), "%s/%s", argv[i], e->d_name);
      if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
          sf_paths_push(out, path) < 0) {
        closedir(d);
        return -1;
      }
    }
    closedir(d);
    if (out->n == first) {
      fprintf(stderr, "synfin diff: %s: no scenario files there\n", argv[i]);
      return -1;
    }
    qsort(out->v + first, out->n - first, sizeof(char *), cmp_str);
  }
  return 0;
}

static int read_scenario(const char *path, sf_scenario *s) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "synfin diff: %s: %s\n", path, strerror(errno));
    return -1;
  }
  uint8_t *buf = malloc(SCENARIO_LIMIT + 1);
  size_t n = buf ? fread(buf, 1, SCENARIO_LIMIT + 1, f) : 0;
  int err = ferror(f);
  fclose(f);
  if (!buf || err || n > SCENARIO_LIMIT) {
    fprintf(stderr, "synfin diff: %s: %s\n", path,
            !buf  ? "out of memory"
            : err ? "read error"
                  : "larger than 1 MiB: not a scenario");
    free(buf);
    return -1;
  }
  sf_scn_decode(buf, n, s);
  free(buf);
  return 0;
}

/* Whether the live back end can be made here: in a child, so that this
 * process keeps its namespace. */
static int probe_linux(char *err, size_t errlen) {
  int p[2];
  if (pipe(p) != 0) {
    snprintf(err, errlen, "pipe: %s", strerror(errno));
    return -1;
  }
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) {
    snprintf(err, errlen, "fork: %s", strerror(errno));
    return -1;
  }
  if (pid == 0) {
    close(p[0]);
    sf_sut *sut = NULL;
    char e[256] = "";
    int rc = sf_sut_linux_new(&sut, e, sizeof(e));
    if (rc == 0)
      sut->ops->destroy(sut);
    else if (write(p[1], e, strlen(e)) < 0)
      _exit(2);
    _exit(rc == 0 ? 0 : 1);
  }
  close(p[1]);
  ssize_t n = read(p[0], err, errlen - 1);
  err[n > 0 ? n : 0] = '\0';
  close(p[0]);
  int st;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* Plays s against the kernel in a child process. */
static int play_linux(const sf_scenario *s, const sf_dp_options *o,
                      uint64_t budget_s, sf_dp_transcript *t) {
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
    alarm((unsigned)budget_s);
    sf_sut *sut = NULL;
    sf_dp_transcript lt;
    memset(&lt, 0, sizeof(lt));
    char e[256] = "";
    if (sf_sut_linux_new(&sut, e, sizeof(e)) < 0) {
      snprintf(lt.error, sizeof(lt.error), "%s", e);
    } else {
      sf_dp_play(sut, s, o, &lt);
      sut->ops->destroy(sut);
    }
    int rc = sf_dp_send(p[1], &lt);
    _exit(rc == 0 ? 0 : 1);
  }
  close(p[1]);
  int rc = sf_dp_receive(p[0], t);
  close(p[0]);
  int st;
  waitpid(pid, &st, 0);
  if (rc == 0 && !(WIFEXITED(st) && WEXITSTATUS(st) == 0))
    rc = -EIO;
  if (rc < 0 && WIFSIGNALED(st))
    snprintf(t->error, sizeof(t->error), "the kernel's player died (%s)",
             strsignal(WTERMSIG(st)));
  return rc;
}

static void usage(FILE *f) {
  fputs("usage: synfin diff [options] FILE|DIR...\n"
        "\n"
        "Replays tcp_scenario_fuzzer scenarios against the built-in stack and\n"
        "against this machine's kernel (a private network namespace with a\n"
        "TUN device: needs root, or CAP_SYS_ADMIN and CAP_NET_ADMIN), and\n"
        "reports where their answers differ: flags, sequence and\n"
        "acknowledgement numbers, data, options, resets, call results.\n"
        "Windows, TS values, IP IDs, option order and timing within the\n"
        "tolerance are not differences.\n"
        "\n"
        "  --tolerance-ms N   packet times may differ this much (default 25)\n"
        "  --tolerance-percent P  and P% of the time since the event that\n"
        "                     drew the packet (default 5)\n"
        "  --max-time S       skip scenarios that need more than S seconds\n"
        "                     of real time (default 10)\n"
        "  --max-diffs N      differences shown per scenario (default 5)\n"
        "\n"
        "Exit status: 0 when no scenario differs, 1 when one does, 2 for bad\n"
        "usage, unreadable input or no live back end.\n",
        f);
}

static bool number(const char *s, double *v) {
  char *end;
  errno = 0;
  *v = strtod(s, &end);
  return errno == 0 && end != s && *end == '\0' && *v >= 0;
}

int sf_cmd_diff(int argc, char **argv) {
  struct diff_args a = {.tolerance_us = 25000,
                        .tolerance_pct = 5,
                        .max_time_us = 10000000,
                        .max_diffs = 5,
                        .settle_us = 500};
  static const struct option longopts[] = {
      {"tolerance-ms", required_argument, 0, 't'},
      {"tolerance-percent", required_argument, 0, 'p'},
      {"max-time", required_argument, 0, 'm'},
      {"max-diffs", required_argument, 0, 'd'},
      {"help", no_argument, 0, 'h'},
      {0, 0, 0, 0}};
  optind = 1;
  int c;
  double v;
  while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    switch (c) {
    case 't':
      if (!number(optarg, &v) || v > 60000) {
        fprintf(stderr,
                "synfin diff: --tolerance-ms %s: not a number of "
                "milliseconds\n",
                optarg);
        return 2;
      }
      a.tolerance_us = (uint32_t)(v * 1000);
      break;
    case 'p':
      if (!number(optarg, &v) || v > 100) {
        fprintf(stderr,
                "synfin diff: --tolerance-percent %s: not a "
                "percentage\n",
                optarg);
        return 2;
      }
      a.tolerance_pct = (uint32_t)v;
      break;
    case 'm':
      if (!number(optarg, &v) || v > 86400) {
        fprintf(stderr,
                "synfin diff: --max-time %s: not a number of "
                "seconds\n",
                optarg);
        return 2;
      }
      a.max_time_us = (uint64_t)(v * 1e6);
      break;
    case 'd':
      if (!number(optarg, &v) || v < 1) {
        fprintf(stderr, "synfin diff: --max-diffs %s: not a count\n", optarg);
        return 2;
      }
      a.max_diffs = (size_t)v;
      break;
    case 'h':
      usage(stdout);
      return 0;
    default:
      usage(stderr);
      return 2;
    }
  }
  if (optind >= argc) {
    usage(stderr);
    return 2;
  }
  struct sf_paths files = {0};
  if (collect(argc - optind, argv + optind, &files) < 0) {
    sf_paths_free(&files);
    return 2;
  }
  char err[512];
  if (probe_linux(err, sizeof(err)) < 0) {
    fprintf(stderr,
            "synfin diff: the live kernel back end is not available: %s\n",
            err[0] ? err : "unknown error");
    sf_paths_free(&files);
    return 2;
  }
  sf_scenario *s = malloc(sizeof(*s));
  if (!s) {
    sf_paths_free(&files);
    return 2;
  }
  size_t same = 0, differ = 0, skipped = 0;
  int status = 0;
  sf_dp_compare cmp = {.tolerance_us = a.tolerance_us,
                       .tolerance_pct = a.tolerance_pct,
                       .max_diffs = a.max_diffs};
  for (size_t i = 0; i < files.n; i++) {
    const char *path = files.v[i];
    if (read_scenario(path, s) < 0) {
      status = 2;
      continue;
    }
    sf_profile prof;
    sf_profile_init(&prof,
                    s->setup.profile ? SF_PROFILE_RFC : SF_PROFILE_LINUX);
    sf_sut *sut = NULL;
    int rc = sf_sut_stack_new(&prof, 0xc0a80001u, 1500, STACK_SEED, &sut);
    if (rc < 0) {
      fprintf(stderr, "synfin diff: cannot make a stack: %s\n", strerror(-rc));
      status = 2;
      break;
    }
    sf_dp_transcript ts, tl;
    sf_dp_options so = {.settle_us = 0, .timer_us = NULL};
    sf_dp_play(sut, s, &so, &ts);
    sut->ops->destroy(sut);
    uint64_t need = sf_dp_duration(s, ts.timer_us);
    if (need > a.max_time_us) {
      printf("%s: skipped: needs %.1f s of real time (--max-time %.0f)\n", path,
             (double)need / 1e6, (double)a.max_time_us / 1e6);
      skipped++;
      sf_dp_free(&ts);
      continue;
    }
    sf_dp_options lo = {.settle_us = a.settle_us,
                        .timer_us = ts.timer_us,
                        .tail_us = 300000 + 2 * a.tolerance_us};
    rc = play_linux(s, &lo, need / 1000000 + 30, &tl);
    if (rc < 0 && !tl.error[0])
      snprintf(tl.error, sizeof(tl.error), "the kernel's player failed: %s",
               strerror(-rc));
    char *text = NULL;
    size_t tlen = 0;
    FILE *mem = open_memstream(&text, &tlen);
    size_t n = mem ? sf_dp_diff(s, &ts, &tl, &cmp, mem) : 1;
    if (mem)
      fclose(mem);
    if (n == 0) {
      printf("%s: same (%zu packets, %zu calls)\n", path, ts.npkts, ts.ncalls);
      same++;
    } else {
      printf("%s: %zu difference%s\n%s", path, n, n == 1 ? "" : "s",
             text ? text : "");
      differ++;
    }
    fflush(stdout);
    free(text);
    sf_dp_free(&ts);
    sf_dp_free(&tl);
  }
  printf("synfin diff: %zu scenarios: %zu same, %zu differ, %zu skipped\n",
         files.n, same, differ, skipped);
  free(s);
  sf_paths_free(&files);
  if (status)
    return status;
  return differ ? 1 : 0;
}
