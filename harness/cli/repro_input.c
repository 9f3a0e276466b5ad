/* Recognising what a file given to `synfin repro` (minimize, triage,
 * promote) is: a scenario, ip_packet_fuzzer datagrams, a script, a capture,
 * or, with --target, bytes for the parser and pcap reader targets. Names
 * carry no meaning (AFL++'s "id:000000,sig:06,..." and libFuzzer's
 * "crash-<sha1>" are ordinary files): only the bytes count. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "corpus_src.h"
#include "repro.h"
#include "synfin/script.h"

#define INPUT_LIMIT (16u << 20)
#define EXPECTED                                                               \
  "a scenario ('S' and version 1), a pcap or pcapng capture, a .pkt "          \
  "script, or ip_packet_fuzzer datagrams ([u16 length][IPv4 datagram]...)"

static const struct {
  const char *name;
  enum sf_rp_kind kind;
} targets[] = {
    {"tcp_scenario_fuzzer", SF_RP_SCENARIO},
    {"scenario", SF_RP_SCENARIO},
    {"ip_packet_fuzzer", SF_RP_DATAGRAMS},
    {"datagrams", SF_RP_DATAGRAMS},
    {"script", SF_RP_SCRIPT},
    {"pcap", SF_RP_PCAP},
    {"script_parser_fuzzer", SF_RP_PARSER},
    {"pcap_reader_fuzzer", SF_RP_PCAP_READER},
};

const char *sf_rp_target_name(enum sf_rp_kind kind) {
  switch (kind) {
  case SF_RP_SCENARIO:
  case SF_RP_PCAP:
    return "tcp_scenario_fuzzer";
  case SF_RP_DATAGRAMS:
    return "ip_packet_fuzzer";
  case SF_RP_SCRIPT:
  case SF_RP_PARSER:
    return "script_parser_fuzzer";
  case SF_RP_PCAP_READER:
    return "pcap_reader_fuzzer";
  }
  return "?";
}

int sf_rp_read_file(const char *path, size_t limit, uint8_t **buf,
                    size_t *len) {
  struct stat st;
  if (stat(path, &st) != 0)
    return -errno;
  if (S_ISDIR(st.st_mode))
    return -EISDIR;
  FILE *f = fopen(path, "rb");
  if (!f)
    return -errno;
  size_t cap = 4096, n = 0;
  uint8_t *b = malloc(cap);
  int rc = 0;
  while (b) {
    if (n == cap) {
      if (cap > limit) {
        rc = -EFBIG;
        break;
      }
      uint8_t *nb = realloc(b, cap * 2);
      if (!nb) {
        rc = -ENOMEM;
        break;
      }
      b = nb;
      cap *= 2;
    }
    size_t got = fread(b + n, 1, cap - n, f);
    n += got;
    if (got == 0)
      break;
  }
  if (!b)
    rc = -ENOMEM;
  else if (ferror(f))
    rc = -EIO;
  else if (n > limit)
    rc = -EFBIG;
  fclose(f);
  if (rc < 0) {
    free(b);
    return rc;
  }
  *buf = b;
  *len = n;
  return 0;
}

int sf_rp_write_file(const char *path, const void *buf, size_t len) {
  FILE *f = fopen(path, "wb");
  if (!f)
    return -errno;
  size_t w = fwrite(buf, 1, len, f);
  int err = ferror(f);
  if (fclose(f) != 0 || w != len || err)
    return -EIO;
  return 0;
}

static bool is_pcap(const uint8_t *b, size_t n) {
  static const uint8_t magics[][4] = {{0xa1, 0xb2, 0xc3, 0xd4},
                                      {0xd4, 0xc3, 0xb2, 0xa1},
                                      {0xa1, 0xb2, 0x3c, 0x4d},
                                      {0x4d, 0x3c, 0xb2, 0xa1},
                                      {0x0a, 0x0d, 0x0d, 0x0a}};
  for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++)
    if (n >= 4 && memcmp(b, magics[i], 4) == 0)
      return true;
  return false;
}

/* Script text: no NUL, and mostly printable (comments may hold UTF-8). */
static bool is_text(const uint8_t *b, size_t n) {
  size_t odd = 0;
  for (size_t i = 0; i < n; i++) {
    if (b[i] == 0)
      return false;
    if (b[i] < 0x20 && b[i] != '\n' && b[i] != '\t' && b[i] != '\r' &&
        b[i] != '\f')
      odd++;
  }
  return odd * 100 <= n;
}

/* ip_packet_fuzzer's framing, walked as the target walks it. Returns 0,
 * or -EBADMSG with where it breaks: a length past the end, a trailing
 * byte, a datagram longer than a raw event holds. */
static int check_datagrams(const uint8_t *b, size_t n, char *msg, size_t cap) {
  size_t pos = 0, count = 0;
  while (pos < n) {
    if (pos + 2 > n) {
      snprintf(msg, cap, "byte %zu: truncated length field (1 of 2 bytes)",
               pos);
      return -EBADMSG;
    }
    size_t len = (size_t)b[pos] << 8 | b[pos + 1];
    if (len > SF_SCN_MAX_RAW) {
      snprintf(msg, cap, "byte %zu: datagram length %zu, expected at most %d",
               pos, len, SF_SCN_MAX_RAW);
      return -EBADMSG;
    }
    if (len > n - pos - 2) {
      snprintf(msg, cap,
               "byte %zu: truncated datagram %zu: %zu bytes declared, %zu "
               "left",
               pos + 2, count + 1, len, n - pos - 2);
      return -EBADMSG;
    }
    pos += 2 + len;
    if (++count > SF_SCN_MAX_EVENTS) {
      snprintf(msg, cap, "byte %zu: more than %d datagrams", pos,
               SF_SCN_MAX_EVENTS);
      return -EBADMSG;
    }
  }
  return 0;
}

static bool looks_like_datagrams(const uint8_t *b, size_t n) {
  return n >= 3 && (b[2] >> 4) == 4 && ((size_t)b[0] << 8 | b[1]) >= 20;
}

static int add_scenario(sf_rp_input *in, sf_scenario *s, const char *name) {
  sf_scenario **v = realloc(in->scn, (in->nscn + 1) * sizeof(*v));
  char **nv = realloc(in->scn_name, (in->nscn + 1) * sizeof(*nv));
  if (v)
    in->scn = v;
  if (nv)
    in->scn_name = nv;
  if (!v || !nv)
    return -ENOMEM;
  in->scn[in->nscn] = s;
  in->scn_name[in->nscn] = strdup(name ? name : "");
  in->nscn++;
  return 0;
}

static sf_scenario *new_scenario(void) {
  return calloc(1, sizeof(sf_scenario));
}

static int load_pcap(sf_rp_input *in, bool stack_is_client, char *err,
                     size_t errlen) {
  sf_capture cap;
  int rc = sf_corpus_from_pcap(in->path, stack_is_client, &cap, err, errlen);
  if (rc < 0) {
    sf_capture_free(&cap);
    return rc;
  }
  size_t skipped = 0;
  for (size_t i = 0; i < cap.n && rc == 0; i++) {
    sf_cap_conn *c = &cap.conns[i];
    if (c->skip[0]) {
      skipped++;
      continue;
    }
    sf_scenario *s = new_scenario();
    sf_cb_result res;
    if (!s || sf_cb_build(&c->trace, s, &res) < 0) {
      free(s);
      rc = -ENOMEM;
      break;
    }
    char name[160];
    uint32_t ca = c->client_addr, sa = c->server_addr;
    snprintf(name, sizeof(name),
             "connection %zu: %u.%u.%u.%u:%u > %u.%u.%u.%u:%u, %zu packets",
             i + 1, ca >> 24, (ca >> 16) & 255, (ca >> 8) & 255, ca & 255,
             c->client_port, sa >> 24, (sa >> 16) & 255, (sa >> 8) & 255,
             sa & 255, c->server_port, c->packets);
    rc = add_scenario(in, s, name);
    if (rc < 0)
      free(s);
  }
  if (rc == 0 && in->nscn == 0) {
    snprintf(err, errlen,
             "%s: no TCP connection to replay (%zu packets, %zu connections "
             "skipped)",
             in->path, cap.packets, skipped);
    rc = -EBADMSG;
  } else if (rc == 0) {
    snprintf(in->note, sizeof(in->note),
             "capture: %zu TCP connections replayed as scenarios "
             "(the stack as the %s)%s",
             in->nscn, stack_is_client ? "client" : "server",
             skipped ? ", some skipped" : "");
  }
  sf_capture_free(&cap);
  return rc;
}

static int load_kind(sf_rp_input *in, bool lenient, bool stack_is_client,
                     char *err, size_t errlen) {
  char msg[256];
  size_t off;
  int rc;
  sf_scenario *s;
  switch (in->kind) {
  case SF_RP_SCENARIO:
    if (!lenient) {
      rc = sf_scn_validate(in->bytes, in->len, &off, msg, sizeof(msg));
      if (rc < 0) {
        snprintf(err, errlen,
                 "%s: %s (--target tcp_scenario_fuzzer reads it as the "
                 "fuzzer does)",
                 in->path, msg);
        return rc;
      }
      if (rc > 0)
        snprintf(in->note, sizeof(in->note), "%s", msg);
    }
    if (!(s = new_scenario()))
      return -ENOMEM;
    sf_scn_decode(in->bytes, in->len, s);
    return add_scenario(in, s, NULL);
  case SF_RP_DATAGRAMS:
    if (!lenient &&
        (rc = check_datagrams(in->bytes, in->len, msg, sizeof(msg))) < 0) {
      snprintf(err, errlen,
               "%s: %s (--target ip_packet_fuzzer reads it as the fuzzer "
               "does)",
               in->path, msg);
      return rc;
    }
    if (!(s = new_scenario()))
      return -ENOMEM;
    sf_scn_from_datagrams(in->bytes, in->len, s);
    return add_scenario(in, s, NULL);
  case SF_RP_SCRIPT: {
    sf_script *sc;
    sf_script_error e;
    rc = sf_script_parse((const char *)in->bytes, in->len, in->path, &sc, &e);
    if (rc < 0) {
      snprintf(err, errlen, "%s", e.message);
      return rc;
    }
    sf_script_free(sc);
    return 0;
  }
  case SF_RP_PCAP:
    return load_pcap(in, stack_is_client, err, errlen);
  case SF_RP_PARSER:
  case SF_RP_PCAP_READER:
    return 0;
  }
  return -EINVAL;
}

/* What the bytes are, when no target says it. */
static int recognise(sf_rp_input *in, char *err, size_t errlen) {
  const uint8_t *b = in->bytes;
  size_t n = in->len;
  if (n == 0) {
    snprintf(err, errlen, "%s: byte 0: empty file, expected %s", in->path,
             EXPECTED);
    return -EBADMSG;
  }
  if (b[0] == SF_SCN_MAGIC && (n < 2 || !is_text(b, n))) {
    in->kind = SF_RP_SCENARIO;
    return 0;
  }
  if (is_pcap(b, n)) {
    in->kind = SF_RP_PCAP;
    return 0;
  }
  if (n < 4 && (b[0] == 0xa1 || b[0] == 0xd4 || b[0] == 0x4d || b[0] == 0x0a)) {
    snprintf(err, errlen,
             "%s: byte %zu: truncated, expected a 4-byte pcap or pcapng "
             "magic number",
             in->path, n);
    return -EBADMSG;
  }
  if (is_text(b, n)) {
    in->kind = SF_RP_SCRIPT;
    return 0;
  }
  if (looks_like_datagrams(b, n)) {
    in->kind = SF_RP_DATAGRAMS;
    return 0;
  }
  snprintf(err, errlen, "%s: byte 0: unknown format (0x%02x%s), expected %s",
           in->path, b[0], n > 1 ? "..." : "", EXPECTED);
  return -EBADMSG;
}

int sf_rp_load(const char *path, const char *target, bool lenient,
               bool stack_is_client, sf_rp_input *in, char *err,
               size_t errlen) {
  memset(in, 0, sizeof(*in));
  in->path = strdup(path);
  if (!in->path)
    return -ENOMEM;
  int rc = sf_rp_read_file(path, INPUT_LIMIT, &in->bytes, &in->len);
  if (rc < 0) {
    snprintf(err, errlen, "%s: %s", path,
             rc == -EFBIG ? "larger than 16 MiB: not a fuzz input"
                          : strerror(-rc));
    return rc;
  }
  if (target) {
    size_t i;
    for (i = 0; i < sizeof(targets) / sizeof(targets[0]); i++)
      if (strcmp(targets[i].name, target) == 0)
        break;
    if (i == sizeof(targets) / sizeof(targets[0])) {
      snprintf(err, errlen,
               "--target %s: expected tcp_scenario_fuzzer, ip_packet_fuzzer, "
               "script_parser_fuzzer, pcap_reader_fuzzer, scenario, "
               "datagrams, script or pcap",
               target);
      return -EINVAL;
    }
    in->kind = targets[i].kind;
    lenient = true;
  } else if ((rc = recognise(in, err, errlen)) < 0) {
    return rc;
  }
  return load_kind(in, lenient, stack_is_client, err, errlen);
}

void sf_rp_input_free(sf_rp_input *in) {
  for (size_t i = 0; i < in->nscn; i++) {
    free(in->scn[i]);
    free(in->scn_name[i]);
  }
  free(in->scn);
  free(in->scn_name);
  free(in->bytes);
  free(in->path);
  memset(in, 0, sizeof(*in));
}

size_t sf_rp_encode(enum sf_rp_kind kind, const sf_scenario *s, uint8_t **out) {
  *out = NULL;
  if (kind == SF_RP_DATAGRAMS) {
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++)
      if (s->ev[i].kind == SF_SCN_RAW)
        n += 2 + s->ev[i].raw.len;
    uint8_t *b = malloc(n ? n : 1);
    if (!b)
      return 0;
    size_t pos = 0;
    for (size_t i = 0; i < s->n; i++) {
      if (s->ev[i].kind != SF_SCN_RAW)
        continue;
      b[pos++] = (uint8_t)(s->ev[i].raw.len >> 8);
      b[pos++] = (uint8_t)s->ev[i].raw.len;
      memcpy(b + pos, s->ev[i].raw.bytes, s->ev[i].raw.len);
      pos += s->ev[i].raw.len;
    }
    *out = b;
    return n;
  }
  size_t n = sf_scn_encode(s, NULL, 0);
  uint8_t *b = malloc(n);
  if (!b)
    return 0;
  sf_scn_encode(s, b, n);
  *out = b;
  return n;
}
