#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int reserve(struct sf_strbuf *b, size_t extra) {
  if (b->failed)
    return -1;
  if (b->len + extra + 1 <= b->cap)
    return 0;
  size_t cap = b->cap ? b->cap : 128;
  while (cap < b->len + extra + 1)
    cap *= 2;
  char *p = realloc(b->p, cap);
  if (!p) {
    b->failed = 1;
    return -1;
  }
  b->p = p;
  b->cap = cap;
  return 0;
}

void sf_strbuf_append(struct sf_strbuf *b, const char *s, size_t n) {
  if (reserve(b, n) < 0)
    return;
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
}

void sf_strbuf_vprintf(struct sf_strbuf *b, const char *fmt, va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  if (n < 0 || reserve(b, (size_t)n) < 0)
    return;
  vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
  b->len += (size_t)n;
}

void sf_strbuf_printf(struct sf_strbuf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  sf_strbuf_vprintf(b, fmt, ap);
  va_end(ap);
}

const char *sf_strbuf_str(const struct sf_strbuf *b) {
  return b->p ? b->p : "";
}

char *sf_strbuf_take(struct sf_strbuf *b) {
  char *p = b->p ? b->p : strdup("");
  b->p = NULL;
  b->len = b->cap = 0;
  b->failed = 0;
  return p;
}

void sf_strbuf_free(struct sf_strbuf *b) {
  free(b->p);
  b->p = NULL;
  b->len = b->cap = 0;
  b->failed = 0;
}
