/* A growable string for building messages and reports. */
#ifndef SF_STRBUF_H
#define SF_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct sf_strbuf {
  char *p; /* NUL-terminated, or NULL while empty */
  size_t len;
  size_t cap;
  int failed; /* an allocation failed: the text is truncated */
};

void sf_strbuf_printf(struct sf_strbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void sf_strbuf_vprintf(struct sf_strbuf *b, const char *fmt, va_list ap);
void sf_strbuf_append(struct sf_strbuf *b, const char *s, size_t n);
/* The text ("" when empty); valid until the next change. */
const char *sf_strbuf_str(const struct sf_strbuf *b);
/* Hands the text over (caller frees); the buffer is empty afterwards. */
char *sf_strbuf_take(struct sf_strbuf *b);
void sf_strbuf_free(struct sf_strbuf *b);

#endif
