/* Option lines (--name=value) and the untimed init command: what a script
 * sets before it runs. Against the built-in stack, sysctl settings that
 * map to a profile value are applied; other commands are not run. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "run_internal.h"

#define MAX_INCLUDE_DEPTH 4
#define MAX_INCLUDE_BYTES (1u << 20)

static bool parse_u64(const char *s, uint64_t *out) {
  if (!s || *s < '0' || *s > '9')
    return false;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end)
    return false;
  *out = v;
  return true;
}

static int bad_option(struct runner *r, const sf_script_option *o,
                      const char *what) {
  run_fail(r, NULL, "%s:%u:%u: --%s=%s: %s", r->path, o->pos.line,
           o->pos.column, o->name, o->value ? o->value : "", what);
  r->status = SF_RESULT_ERROR; /* the script cannot run as written */
  return -EINVAL;
}

/* packetdrill options that change nothing in virtual time. */
static bool ignorable(const char *name) {
  static const char *const names[] = {
      "verbose",
      "dry_run",
      "wire_client",
      "wire_server",
      "wire_server_ip",
      "wire_client_dev",
      "wire_server_port",
      "speed",
      "so_filename",
      "so_flags",
      "tcp_ts_tick_usecs",
      "tcp_ts_ecr_scaled",
      "send_omit_free",
      "gateway_ip",
      "netmask_ip",
      "init_scripts",
      "non_fatal",
      "define",
      "local_linklocal_ip",
      "strict",
      "mtu",
  };
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
    if (strcmp(names[i], name) == 0)
      return true;
  return false;
}

static int apply_option(struct runner *r, const sf_script_option *o) {
  uint64_t v;
  const char *n = o->name;
  if (strcmp(n, "tolerance_usecs") == 0) {
    if (!parse_u64(o->value, &v) || v > 60000000)
      return bad_option(r, o, "expected microseconds up to 60000000");
    r->tol_us = (int64_t)v;
  } else if (strcmp(n, "tolerance_percent") == 0) {
    char *end;
    double p = o->value ? strtod(o->value, &end) : -1;
    if (!o->value || *end || p < 0 || p > 100)
      return bad_option(r, o, "expected a percentage from 0 to 100");
    r->tol_pct = p;
  } else if (strcmp(n, "strict_segments") == 0) {
    r->strict_segments = true;
  } else if (strcmp(n, "ip_version") == 0) {
    if (!o->value || (strcmp(o->value, "ipv4") && strcmp(o->value, "ipv6") &&
                      strcmp(o->value, "ipv4-mapped-ipv6")))
      return bad_option(r, o, "expected ipv4, ipv6 or ipv4-mapped-ipv6");
  } else if (strcmp(n, "profile") == 0) {
    if (!o->value || sf_profile_by_name(&r->profile, o->value) < 0)
      return bad_option(r, o, "expected linux or rfc");
  } else if (strncmp(n, "profile.", 8) == 0) {
    /* applied after the init command's sysctls: see run_apply_init */
    uint32_t cur;
    if (sf_profile_get(&r->profile, n + 8, &cur) < 0)
      return bad_option(r, o, "unknown profile setting");
    sf_profile scratch = r->profile;
    if (sf_profile_set(&scratch, n + 8, o->value ? o->value : "") < 0)
      return bad_option(r, o, "bad value for this profile setting");
  } else if (strcmp(n, "oracles") == 0) {
    /* the fuzz scenarios' oracles (docs/script-language.md) */
    if (r->opt->sut != SF_SUT_STACK) {
      run_skip(r, o->pos,
               "unsupported option --oracles (the built-in stack "
               "only)");
      return -ENOTSUP;
    }
    r->oracles = true;
  } else if (strcmp(n, "oracles.peer_isn") == 0) {
    if (!parse_u64(o->value, &v) || v > UINT32_MAX)
      return bad_option(r, o, "expected a sequence number");
    r->oracle_peer_isn = (uint32_t)v;
  } else if (strcmp(n, "mss") == 0) {
    if (!parse_u64(o->value, &v) || v < 88 || v > 65495)
      return bad_option(r, o, "expected an MSS from 88 to 65495");
    r->mtu = (uint32_t)v + 40;
  } else if (strcmp(n, "local_ip") == 0 || strcmp(n, "remote_ip") == 0 ||
             strcmp(n, "bind_port") == 0 || strcmp(n, "connect_port") == 0) {
    run_skip(r, o->pos, "unsupported option --%s", n);
    return -ENOTSUP;
  } else if (ignorable(n)) {
    sf_strbuf_printf(&r->notices, "%s:%u: option --%s has no effect here\n",
                     r->path, o->pos.line, n);
  } else {
    run_skip(r, o->pos, "unsupported option --%s", n);
    return -ENOTSUP;
  }
  return 0;
}

int run_apply_options(struct runner *r) {
  for (size_t i = 0; i < r->s->n_options; i++) {
    int rc = apply_option(r, &r->s->options[i]);
    if (rc < 0)
      return rc;
  }
  return 0;
}

/* The profile value each sysctl maps to, and how its text converts. */
enum conv { AS_IS, BOOL, SECONDS_TO_US, MS_TO_US, MEM_DEFAULT, MEM_MAX };

static const struct sysctl_map {
  const char *name;
  const char *key;
  enum conv conv;
} sysctls[] = {
    {"net.ipv4.tcp_timestamps", "timestamps", BOOL},
    {"net.ipv4.tcp_sack", "sack", BOOL},
    {"net.ipv4.tcp_window_scaling", "window_scaling", BOOL},
    {"net.ipv4.tcp_syn_retries", "syn_retries", AS_IS},
    {"net.ipv4.tcp_synack_retries", "synack_retries", AS_IS},
    {"net.ipv4.tcp_syn_linear_timeouts", "syn_linear_timeouts", AS_IS},
    {"net.ipv4.tcp_retries2", "retries2", AS_IS},
    {"net.ipv4.tcp_fin_timeout", "fin_wait2_timeout_us", SECONDS_TO_US},
    {"net.ipv4.tcp_keepalive_time", "keepidle_s", AS_IS},
    {"net.ipv4.tcp_keepalive_intvl", "keepintvl_s", AS_IS},
    {"net.ipv4.tcp_keepalive_probes", "keepcnt", AS_IS},
    {"net.ipv4.tcp_invalid_ratelimit", "oow_ack_ratelimit_us", MS_TO_US},
    {"net.ipv4.tcp_rmem", "rmem_default", MEM_DEFAULT},
    {"net.ipv4.tcp_rmem", "rmem_max", MEM_MAX},
    {"net.ipv4.tcp_wmem", "wmem_default", MEM_DEFAULT},
};

/* The n-th whitespace-separated number of a value like "4096 87380 6291456". */
static bool nth_number(const char *v, int n, uint64_t *out) {
  for (int i = 0; *v; i++) {
    while (*v == ' ' || *v == '\t')
      v++;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (end == v || errno)
      return false;
    if (i == n) {
      *out = x;
      return true;
    }
    v = end;
  }
  return false;
}

static int apply_sysctl(struct runner *r, const char *name, const char *value,
                        uint32_t line) {
  bool known = false;
  for (size_t i = 0; i < sizeof(sysctls) / sizeof(sysctls[0]); i++) {
    const struct sysctl_map *m = &sysctls[i];
    if (strcmp(m->name, name) != 0)
      continue;
    known = true;
    uint64_t v = 0;
    bool ok = m->conv == MEM_DEFAULT ? nth_number(value, 1, &v)
              : m->conv == MEM_MAX   ? nth_number(value, 2, &v)
                                     : nth_number(value, 0, &v);
    if (ok && m->conv == BOOL)
      v = v != 0;
    else if (ok && m->conv == SECONDS_TO_US)
      v *= 1000000;
    else if (ok && m->conv == MS_TO_US)
      v *= 1000;
    char text[32];
    snprintf(text, sizeof(text), "%llu", (unsigned long long)v);
    if (!ok || v > UINT32_MAX ||
        sf_profile_set(&r->profile, m->key, text) < 0) {
      run_fail(r, NULL, "%s:%u: sysctl %s=%s: bad value", r->path, line, name,
               value);
      r->status = SF_RESULT_ERROR;
      return -EINVAL;
    }
  }
  if (!known)
    sf_strbuf_printf(&r->notices,
                     "%s:%u: sysctl %s skipped (no stack "
                     "setting)\n",
                     r->path, line, name);
  return 0;
}

static char *trim(char *s) {
  while (*s == ' ' || *s == '\t')
    s++;
  char *e = s + strlen(s);
  while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
    *--e = '\0';
  return s;
}

static void unquote(char *v) {
  size_t n = strlen(v);
  if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
    memmove(v, v + 1, n - 2);
    v[n - 2] = '\0';
  }
}

static int run_commands(struct runner *r, const char *text, const char *dir,
                        uint32_t line, int depth);

/* `sysctl [-q] [-w] name=value` */
static int sysctl_command(struct runner *r, char *cmd, uint32_t line) {
  char *p = cmd + 6;
  for (;;) {
    p = trim(p);
    if (p[0] == '-' && p[1] && (p[2] == ' ' || p[2] == '\t')) {
      p += 2;
      continue;
    }
    break;
  }
  char *eq = strchr(p, '=');
  if (!eq) {
    sf_strbuf_printf(&r->notices, "%s:%u: skipped: %s\n", r->path, line, cmd);
    return 0;
  }
  *eq = '\0';
  char *name = trim(p), *value = trim(eq + 1);
  unquote(value);
  return apply_sysctl(r, name, value, line);
}

/* `echo V > /proc/sys/net/ipv4/NAME` (or `>>`); a redirection elsewhere is
 * skipped like any other command. */
static int echo_proc_command(struct runner *r, char *cmd, uint32_t line) {
  static const char proc[] = "/proc/sys/";
  char *gt = strchr(cmd, '>');
  char *path = trim(gt[1] == '>' ? gt + 2 : gt + 1);
  if (strncmp(path, proc, sizeof(proc) - 1) != 0) {
    sf_strbuf_printf(&r->notices, "%s:%u: skipped: %s\n", r->path, line, cmd);
    return 0;
  }
  *gt = '\0';
  char *value = trim(cmd + 4);
  unquote(value);
  char name[256];
  snprintf(name, sizeof(name), "%s", path + sizeof(proc) - 1);
  for (char *c = name; *c; c++)
    if (*c == '/')
      *c = '.';
  return apply_sysctl(r, name, value, line);
}

/* A shell script the init command runs (../common/defaults.sh): read it if
 * it exists so its sysctls apply. */
static int include_file(struct runner *r, const char *dir, const char *rel,
                        uint32_t line, int depth) {
  char path[PATH_MAX];
  if (rel[0] == '/')
    snprintf(path, sizeof(path), "%s", rel);
  else
    snprintf(path, sizeof(path), "%s/%s", dir, rel);
  FILE *f = fopen(path, "rb");
  if (!f) {
    sf_strbuf_printf(&r->notices, "%s:%u: skipped: %s (not found)\n", r->path,
                     line, rel);
    return 0;
  }
  char *buf = malloc(MAX_INCLUDE_BYTES + 1);
  size_t n = buf ? fread(buf, 1, MAX_INCLUDE_BYTES, f) : 0;
  fclose(f);
  if (!buf)
    return -ENOMEM;
  buf[n] = '\0';
  char sub[PATH_MAX];
  snprintf(sub, sizeof(sub), "%s", path);
  char *slash = strrchr(sub, '/');
  if (slash)
    *slash = '\0';
  int rc = run_commands(r, buf, slash ? sub : ".", line, depth + 1);
  free(buf);
  return rc;
}

/* Cuts a shell comment: a '#' at the start of a word, outside quotes. */
static void cut_comment(char *cmd) {
  char quote = 0;
  for (char *c = cmd; *c; c++) {
    if (quote) {
      if (*c == quote)
        quote = 0;
    } else if (*c == '"' || *c == '\'') {
      quote = *c;
    } else if (*c == '#' && (c == cmd || c[-1] == ' ' || c[-1] == '\t')) {
      *c = '\0';
      return;
    }
  }
}

static int one_command(struct runner *r, char *cmd, const char *dir,
                       uint32_t line, int depth) {
  cut_comment(cmd);
  cmd = trim(cmd);
  if (!*cmd)
    return 0;
  if (strncmp(cmd, "sysctl", 6) == 0 && (cmd[6] == ' ' || cmd[6] == '\t'))
    return sysctl_command(r, cmd, line);
  if (strncmp(cmd, "echo ", 5) == 0 && strstr(cmd, "/proc/sys/") &&
      strchr(cmd, '>'))
    return echo_proc_command(r, cmd, line);
  char *word = cmd;
  if (strncmp(cmd, "source ", 7) == 0)
    word = trim(cmd + 7);
  else if (cmd[0] == '.' && (cmd[1] == ' ' || cmd[1] == '\t'))
    word = trim(cmd + 1);
  size_t len = strcspn(word, " \t");
  if (len > 3 && strncmp(word + len - 3, ".sh", 3) == 0 &&
      depth < MAX_INCLUDE_DEPTH) {
    word[len] = '\0';
    return include_file(r, dir, word, line, depth);
  }
  sf_strbuf_printf(&r->notices, "%s:%u: skipped: %s\n", r->path, line, cmd);
  return 0;
}

/* Splits shell text at newlines, ';' and '&&' (line continuations joined). */
static int run_commands(struct runner *r, const char *text, const char *dir,
                        uint32_t line, int depth) {
  char *copy = strdup(text);
  if (!copy)
    return -ENOMEM;
  for (char *c = copy; *c; c++)
    if (c[0] == '\\' && c[1] == '\n')
      c[0] = c[1] = ' ';
  int rc = 0;
  char *save_line = NULL;
  for (char *ln = strtok_r(copy, "\n", &save_line); ln && rc == 0;
       ln = strtok_r(NULL, "\n", &save_line)) {
    cut_comment(ln); /* a ';' in a comment separates nothing */
    char *save = NULL;
    for (char *part = strtok_r(ln, ";", &save); part && rc == 0;
         part = strtok_r(NULL, ";", &save)) {
      char *amp;
      while ((amp = strstr(part, "&&")) && rc == 0) {
        *amp = '\0';
        rc = one_command(r, part, dir, line, depth);
        part = amp + 2;
      }
      if (rc == 0)
        rc = one_command(r, part, dir, line, depth);
    }
  }
  free(copy);
  return rc;
}

int run_apply_init(struct runner *r) {
  if (r->s->init_command) {
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", r->path);
    char *slash = strrchr(dir, '/');
    if (slash)
      *slash = '\0';
    int rc = run_commands(r, r->s->init_command, slash ? dir : ".",
                          r->s->init_pos.line, 0);
    if (rc < 0)
      return rc;
  }
  /* --profile.KEY=VALUE wins over sysctls */
  for (size_t i = 0; i < r->s->n_options; i++) {
    const sf_script_option *o = &r->s->options[i];
    if (strncmp(o->name, "profile.", 8) == 0)
      sf_profile_set(&r->profile, o->name + 8, o->value ? o->value : "");
  }
  return 0;
}
