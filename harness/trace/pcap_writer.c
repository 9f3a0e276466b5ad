/* pcap files through libpcap: the writer of run traces (LINKTYPE_RAW,
 * nanosecond timestamps) and a reader of pcap and pcapng captures, from a
 * file or from memory, for the repro and corpus tools. libpcap knows both
 * formats and is fuzzed itself; we only keep its errors from becoming ours. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <pcap/pcap.h>

#include "synfin/trace.h"

_Static_assert(SF_DLT_RAW == DLT_RAW, "SF_DLT_RAW is this platform's DLT_RAW");
_Static_assert(SF_DLT_EN10MB == DLT_EN10MB, "SF_DLT_EN10MB");
_Static_assert(SF_DLT_IPV4 == DLT_IPV4, "SF_DLT_IPV4");

#define NS_PER_S UINT64_C(1000000000)

struct sf_pcap_writer {
  pcap_t *dead; /* carries link type, snaplen and precision */
  pcap_dumper_t *dumper;
  int err; /* first write error, reported by every later call */
};

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void
set_err(char *err, size_t errlen, const char *fmt, ...) {
  if (err == NULL || errlen == 0)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

int sf_pcap_open(const char *path, sf_pcap_writer **out, char *err,
                 size_t errlen) {
  if (out != NULL)
    *out = NULL;
  if (path == NULL || out == NULL) {
    set_err(err, errlen, "pcap: no path");
    return -EINVAL;
  }
  sf_pcap_writer *w = calloc(1, sizeof(*w));
  if (w == NULL) {
    set_err(err, errlen, "cannot write pcap %s: out of memory", path);
    return -ENOMEM;
  }
  w->dead = pcap_open_dead_with_tstamp_precision(DLT_RAW, SF_PCAP_SNAPLEN,
                                                 PCAP_TSTAMP_PRECISION_NANO);
  if (w->dead == NULL) {
    free(w);
    set_err(err, errlen, "cannot write pcap %s: out of memory", path);
    return -ENOMEM;
  }
  errno = 0;
  /* pcap_dump_open() takes "-" for stdout; we mean a file of that name. */
  w->dumper = pcap_dump_open(w->dead, strcmp(path, "-") == 0 ? "./-" : path);
  if (w->dumper == NULL) {
    /* pcap_dump_open() fails in fopen() or in writing the header; errno is
     * still theirs. */
    int e = errno != 0 ? errno : EIO;
    set_err(err, errlen, "cannot write pcap %s: %s", path, strerror(e));
    pcap_close(w->dead);
    free(w);
    return -e;
  }
  *out = w;
  return 0;
}

int sf_pcap_write_ns(sf_pcap_writer *w, uint64_t t_ns, const uint8_t *pkt,
                     size_t len) {
  if (w == NULL || (pkt == NULL && len > 0))
    return -EINVAL;
  if (w->err != 0)
    return w->err;
  if (len > SF_PCAP_SNAPLEN)
    return -EMSGSIZE;
  /* The file holds 32-bit seconds, which libpcap reads back as signed. */
  if (t_ns / NS_PER_S > INT32_MAX)
    return -EOVERFLOW;
  struct pcap_pkthdr h;
  memset(&h, 0, sizeof(h));
  h.ts.tv_sec = (time_t)(t_ns / NS_PER_S);
  /* With nanosecond precision, tv_usec carries nanoseconds. */
  h.ts.tv_usec = (suseconds_t)(t_ns % NS_PER_S);
  h.caplen = (bpf_u_int32)len;
  h.len = (bpf_u_int32)len;
  static const u_char empty[1] = {0};
  pcap_dump((u_char *)w->dumper, &h, len > 0 ? pkt : empty);
  if (ferror(pcap_dump_file(w->dumper)))
    w->err = -EIO;
  return w->err;
}

int sf_pcap_write(sf_pcap_writer *w, uint64_t t_us, const uint8_t *pkt,
                  size_t len) {
  if (t_us > UINT64_MAX / 1000)
    return -EOVERFLOW;
  return sf_pcap_write_ns(w, t_us * 1000, pkt, len);
}

int sf_pcap_close(sf_pcap_writer *w) {
  if (w == NULL)
    return 0;
  int rc = w->err;
  errno = 0;
  if (pcap_dump_flush(w->dumper) != 0 && rc == 0)
    rc = errno != 0 ? -errno : -EIO;
  if (ferror(pcap_dump_file(w->dumper)) && rc == 0)
    rc = -EIO;
  /* pcap_dump_close() ignores fclose()'s result; everything buffered was
   * flushed above, so a failure there has been seen. */
  pcap_dump_close(w->dumper);
  pcap_close(w->dead);
  free(w);
  return rc;
}

/* ---- reading ---- */

/* Takes ownership of fp. */
static int read_stream(FILE *fp, const char *name, sf_pcap_visit_fn fn,
                       void *ctx, char *err, size_t errlen) {
  char ebuf[PCAP_ERRBUF_SIZE];
  ebuf[0] = '\0';
  pcap_t *p = pcap_fopen_offline_with_tstamp_precision(
      fp, PCAP_TSTAMP_PRECISION_NANO, ebuf);
  if (p == NULL) {
    /* On failure the stream is still ours. */
    fclose(fp);
    set_err(err, errlen, "capture %s: %s", name,
            ebuf[0] != '\0' ? ebuf : "unreadable");
    return -EBADMSG;
  }
  int link_type = pcap_datalink(p);
  int rc = 0;
  for (size_t n = 1;; n++) {
    struct pcap_pkthdr *h;
    const u_char *data;
    int r = pcap_next_ex(p, &h, &data);
    if (r == PCAP_ERROR_BREAK)
      break; /* end of the capture */
    if (r != 1) {
      set_err(err, errlen, "capture %s: packet %zu: %s", name, n,
              pcap_geterr(p));
      rc = -EBADMSG;
      break;
    }
    /* libpcap checks caplen against its buffer; make sure anyway. */
    if (h->caplen > h->len) {
      set_err(err, errlen,
              "capture %s: packet %zu: captured length %u above packet "
              "length %u",
              name, n, h->caplen, h->len);
      rc = -EBADMSG;
      break;
    }
    if (h->ts.tv_sec < 0 || h->ts.tv_usec < 0 ||
        (uint64_t)h->ts.tv_sec > (UINT64_MAX - NS_PER_S) / NS_PER_S) {
      set_err(err, errlen, "capture %s: packet %zu: timestamp out of range",
              name, n);
      rc = -EBADMSG;
      break;
    }
    uint64_t t_ns =
        (uint64_t)h->ts.tv_sec * NS_PER_S + (uint64_t)h->ts.tv_usec % NS_PER_S;
    rc = fn(ctx, t_ns, link_type, data, h->caplen, h->len);
    if (rc != 0)
      break;
  }
  pcap_close(p); /* closes fp */
  return rc;
}

int sf_pcap_read_mem(const uint8_t *buf, size_t len, sf_pcap_visit_fn fn,
                     void *ctx, char *err, size_t errlen) {
  const char *name = "<memory>";
  if (fn == NULL || (buf == NULL && len > 0)) {
    set_err(err, errlen, "capture %s: no buffer or callback", name);
    return -EINVAL;
  }
  if (len == 0) {
    /* fmemopen() refuses an empty buffer */
    set_err(err, errlen, "capture %s: empty (no file header)", name);
    return -EBADMSG;
  }
  /* A read-only stream never writes to the buffer. */
  FILE *fp = fmemopen((void *)(uintptr_t)buf, len, "rb");
  if (fp == NULL) {
    int e = errno != 0 ? errno : ENOMEM;
    set_err(err, errlen, "capture %s: %s", name, strerror(e));
    return -e;
  }
  return read_stream(fp, name, fn, ctx, err, errlen);
}

int sf_pcap_read_file(const char *path, sf_pcap_visit_fn fn, void *ctx,
                      char *err, size_t errlen) {
  if (path == NULL || fn == NULL) {
    set_err(err, errlen, "capture: no path or callback");
    return -EINVAL;
  }
  FILE *fp = fopen(path, "rb");
  struct stat st;
  if (fp != NULL && fstat(fileno(fp), &st) == 0 && S_ISDIR(st.st_mode)) {
    fclose(fp);
    fp = NULL;
    errno = EISDIR;
  }
  if (fp == NULL) {
    int e = errno;
    set_err(err, errlen, "cannot read capture %s: %s", path, strerror(e));
    return -e;
  }
  return read_stream(fp, path, fn, ctx, err, errlen);
}
