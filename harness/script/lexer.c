/* The lexer of the script language. Tokens point into the script buffer; the
 * lexer allocates nothing. It follows packetdrill's lexical rules (longest
 * match; on a tie a number beats a word), so that a packetdrill script splits
 * into the same tokens here. The parser asks for context-dependent scans
 * (TCP flags, IPv6 addresses, notes, option values, raw hex bytes) itself. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "script_internal.h"

static bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

static bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_word_char(char c) {
  return is_alpha(c) || is_digit(c) || c == '_';
}

static bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static bool is_space(char c) {
  return is_blank(c) || c == '\n';
}

/* The byte k after m, or '\0' past the end (the parser rejects NUL bytes
 * before lexing, so '\0' means the end). */
static char at(const sf_lexer *lx, const sf_lex_mark *m, size_t k) {
  if (m->off >= lx->len || k >= lx->len - m->off)
    return '\0';
  return lx->buf[m->off + k];
}

static bool at_end(const sf_lexer *lx, const sf_lex_mark *m) {
  return m->off >= lx->len;
}

static void bump(const sf_lexer *lx, sf_lex_mark *m) {
  if (m->off >= lx->len)
    return;
  if (lx->buf[m->off] == '\n') {
    m->line++;
    m->line_start = m->off + 1;
  }
  m->off++;
}

static void bump_n(const sf_lexer *lx, sf_lex_mark *m, size_t n) {
  while (n-- > 0)
    bump(lx, m);
}

static sf_script_pos pos_of(const sf_lex_mark *m) {
  sf_script_pos pos = {m->line, (uint32_t)(m->off - m->line_start + 1)};
  return pos;
}

static int lex_error(const sf_lexer *lx, sf_script_pos pos, const char *msg,
                     char ch) {
  if (ch == '\0')
    return sf_script_error_set(lx->err, lx->name, pos, -EINVAL, "%s", msg);
  if (ch >= 0x21 && ch <= 0x7e)
    return sf_script_error_set(lx->err, lx->name, pos, -EINVAL, "%s '%c'", msg,
                               ch);
  return sf_script_error_set(lx->err, lx->name, pos, -EINVAL, "%s '\\x%02x'",
                             msg, (unsigned)(unsigned char)ch);
}

void sf_lex_init(sf_lexer *lx, const char *buf, size_t len, const char *name,
                 sf_script_error *err) {
  memset(lx, 0, sizeof(*lx));
  lx->buf = buf;
  lx->len = len;
  lx->at.line = 1;
  lx->name = name;
  lx->err = err;
}

static int skip_space(const sf_lexer *lx, sf_lex_mark *m) {
  for (;;) {
    char c = at(lx, m, 0);
    if (at_end(lx, m)) {
      return 0;
    } else if (is_space(c)) {
      bump(lx, m);
    } else if (c == '/' && at(lx, m, 1) == '/') {
      while (!at_end(lx, m) && at(lx, m, 0) != '\n')
        bump(lx, m);
    } else if (c == '/' && at(lx, m, 1) == '*') {
      sf_script_pos start = pos_of(m);
      bump_n(lx, m, 2);
      for (;;) {
        if (at_end(lx, m))
          return lex_error(lx, start, "unterminated comment", '\0');
        if (at(lx, m, 0) == '*' && at(lx, m, 1) == '/') {
          bump_n(lx, m, 2);
          break;
        }
        bump(lx, m);
      }
    } else {
      return 0;
    }
  }
}

/* A "..." string or `...` command: a backslash escapes the next byte. */
static int lex_quoted(const sf_lexer *lx, sf_lex_mark *m, sf_tok *tok) {
  char quote = at(lx, m, 0);
  bump(lx, m);
  for (;;) {
    if (at_end(lx, m))
      return lex_error(lx, tok->pos,
                       quote == '"' ? "unterminated string"
                                    : "unterminated backquoted command",
                       '\0');
    char c = at(lx, m, 0);
    bump(lx, m);
    if (c == '\\')
      bump(lx, m);
    else if (c == quote)
      break;
  }
  tok->kind = quote == '"' ? SF_TOK_STRING : SF_TOK_BACKQUOTE;
  return 0;
}

static int lex_code(const sf_lexer *lx, sf_lex_mark *m, sf_tok *tok) {
  bump_n(lx, m, 2);
  for (;;) {
    if (at_end(lx, m))
      return lex_error(lx, tok->pos, "unterminated %{ code }% block", '\0');
    if (at(lx, m, 0) == '}' && at(lx, m, 1) == '%') {
      bump_n(lx, m, 2);
      break;
    }
    bump(lx, m);
  }
  tok->kind = SF_TOK_CODE;
  return 0;
}

static size_t digits_at(const sf_lexer *lx, const sf_lex_mark *m, size_t i) {
  size_t j = i;
  while (is_digit(at(lx, m, j)))
    j++;
  return j - i;
}

/* Numbers, with packetdrill's longest-match choice against FLOAT, HEX,
 * WORD and IPv4 addresses. */
static void lex_number(const sf_lexer *lx, sf_lex_mark *m, sf_tok *tok) {
  bool neg = at(lx, m, 0) == '-';
  size_t i = neg ? 1 : 0;
  size_t ndig = digits_at(lx, m, i);
  size_t int_end = ndig > 0 ? i + ndig : 0;
  size_t float_end = 0, hex_end = 0, word_end = 0, ipv4_end = 0;

  if (at(lx, m, i + ndig) == '.' && is_digit(at(lx, m, i + ndig + 1)))
    float_end = i + ndig + 1 + digits_at(lx, m, i + ndig + 1);
  if (!neg) {
    if (at(lx, m, 0) == '0' && at(lx, m, 1) == 'x' && is_hex(at(lx, m, 2))) {
      hex_end = 2;
      while (is_hex(at(lx, m, hex_end)))
        hex_end++;
    }
    while (is_word_char(at(lx, m, word_end)))
      word_end++;
    size_t j = 0;
    int parts = 0;
    while (parts < 4) {
      size_t d = digits_at(lx, m, j);
      if (d == 0)
        break;
      j += d;
      parts++;
      if (parts < 4) {
        if (at(lx, m, j) != '.')
          break;
        j++;
      }
    }
    if (parts == 4)
      ipv4_end = j;
  }

  /* Longest match; ties go to the earlier rule: FLOAT, INT, HEX, WORD. */
  size_t best = float_end;
  tok->kind = SF_TOK_FLOAT;
  if (int_end > best) {
    best = int_end;
    tok->kind = SF_TOK_INT;
  }
  if (hex_end > best) {
    best = hex_end;
    tok->kind = SF_TOK_HEX;
  }
  if (word_end > best) {
    best = word_end;
    tok->kind = SF_TOK_WORD;
  }
  if (ipv4_end > best) {
    best = ipv4_end;
    tok->kind = SF_TOK_IPV4;
  }

  const char *s = lx->buf + m->off;
  tok->negative = neg;
  if (tok->kind == SF_TOK_INT) {
    uint64_t v = 0;
    for (size_t k = i; k < int_end; k++) {
      unsigned d = (unsigned)(s[k] - '0');
      if (v > (UINT64_MAX - d) / 10)
        tok->overflow = true;
      v = v * 10 + d;
    }
    tok->uval = v;
    if (neg) {
      if (v > (uint64_t)INT64_MAX + 1)
        tok->overflow = true;
      tok->ival = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    } else {
      if (v > (uint64_t)INT64_MAX)
        tok->overflow = true;
      tok->ival = (int64_t)v;
    }
  } else if (tok->kind == SF_TOK_HEX) {
    uint64_t v = 0;
    for (size_t k = 2; k < hex_end; k++) {
      char c = s[k];
      unsigned d = is_digit(c)              ? (unsigned)(c - '0')
                   : (c >= 'a' && c <= 'f') ? (unsigned)(c - 'a' + 10)
                                            : (unsigned)(c - 'A' + 10);
      if (v > (UINT64_MAX >> 4))
        tok->overflow = true;
      v = (v << 4) | d;
    }
    tok->uval = v;
    tok->ival = (int64_t)v;
  }
  bump_n(lx, m, best);
}

static int lex_token(const sf_lexer *lx, sf_lex_mark *m, sf_tok *tok) {
  int rc = skip_space(lx, m);
  if (rc < 0)
    return rc;
  memset(tok, 0, sizeof(*tok));
  tok->pos = pos_of(m);
  tok->text = lx->buf + m->off;
  size_t start = m->off;
  char c = at(lx, m, 0), c1 = at(lx, m, 1), c2 = at(lx, m, 2);

  if (at_end(lx, m)) {
    tok->kind = SF_TOK_EOF;
    tok->text = lx->buf + lx->len;
    return 0;
  }
  if (c == '"' || c == '`') {
    rc = lex_quoted(lx, m, tok);
  } else if (c == '%' && c1 == '{') {
    rc = lex_code(lx, m, tok);
  } else if (c == '-' && c1 == '-' && is_word_char(c2)) {
    bump_n(lx, m, 2);
    for (char d = at(lx, m, 0); is_word_char(d) || d == '.' || d == '-';
         d = at(lx, m, 0))
      bump(lx, m);
    tok->kind = SF_TOK_OPTION;
  } else if (c == '.' && c1 == '.' && c2 == '.') {
    bump_n(lx, m, 3);
    tok->kind = SF_TOK_ELLIPSIS;
  } else if (is_digit(c) || (c == '-' && is_digit(c1)) ||
             (c == '-' && c1 == '.' && is_digit(c2)) ||
             (c == '.' && is_digit(c1))) {
    lex_number(lx, m, tok);
  } else if (is_word_char(c)) {
    while (is_word_char(at(lx, m, 0)))
      bump(lx, m);
    tok->kind = SF_TOK_WORD;
  } else if (c >= 0x21 && c <= 0x7e) {
    bump(lx, m);
    tok->kind = SF_TOK_PUNCT;
    tok->ch = c;
  } else {
    return lex_error(lx, tok->pos, "unexpected character", c);
  }
  if (rc < 0)
    return rc;
  tok->len = m->off - start;
  return 0;
}

int sf_lex_peek(sf_lexer *lx, const sf_tok **tok) {
  if (!lx->has_peek) {
    sf_lex_mark m = lx->at;
    int rc = lex_token(lx, &m, &lx->peek);
    if (rc < 0)
      return rc;
    lx->after_peek = m;
    lx->has_peek = true;
  }
  *tok = &lx->peek;
  return 0;
}

int sf_lex_next(sf_lexer *lx, sf_tok *tok) {
  const sf_tok *t;
  int rc = sf_lex_peek(lx, &t);
  if (rc < 0)
    return rc;
  if (tok != NULL)
    *tok = *t;
  lx->at = lx->after_peek;
  lx->has_peek = false;
  return 0;
}

sf_lex_mark sf_lex_save(const sf_lexer *lx) {
  return lx->at;
}

void sf_lex_restore(sf_lexer *lx, sf_lex_mark mark) {
  lx->at = mark;
  lx->has_peek = false;
}

/* Starts a context-dependent scan: drops the peeked token and skips white
 * space and comments. */
static int begin_scan(sf_lexer *lx, sf_tok *tok) {
  lx->has_peek = false;
  int rc = skip_space(lx, &lx->at);
  if (rc < 0)
    return rc;
  memset(tok, 0, sizeof(*tok));
  tok->kind = SF_TOK_WORD;
  tok->pos = pos_of(&lx->at);
  tok->text = lx->buf + lx->at.off;
  return 0;
}

int sf_lex_flags(sf_lexer *lx, sf_tok *tok) {
  int rc = begin_scan(lx, tok);
  if (rc < 0)
    return rc;
  size_t n = 0;
  for (char c = at(lx, &lx->at, 0); is_word_char(c) || c == '.' || c == '-';
       c = at(lx, &lx->at, ++n))
    ;
  tok->len = n;
  bump_n(lx, &lx->at, n);
  return 0;
}

static bool valid_ipv6(const char *s, size_t n) {
  char buf[64];
  unsigned char bin[16];
  if (n >= sizeof(buf))
    return false;
  memcpy(buf, s, n);
  buf[n] = '\0';
  return inet_pton(AF_INET6, buf, bin) == 1;
}

int sf_lex_ipv6(sf_lexer *lx, sf_tok *tok) {
  int rc = begin_scan(lx, tok);
  if (rc < 0)
    return rc;
  size_t n = 0;
  for (char c = at(lx, &lx->at, 0); is_hex(c) || c == ':' || c == '.';
       c = at(lx, &lx->at, ++n))
    ;
  /* "1::1111:" and "1:::" are the addresses 1::1111 and 1:: followed by
   * the ':' that ends them (packetdrill's longest valid address). */
  if (n >= 2 && tok->text[n - 1] == ':' && !valid_ipv6(tok->text, n) &&
      valid_ipv6(tok->text, n - 1))
    n--;
  tok->len = n;
  bump_n(lx, &lx->at, n);
  return 0;
}

int sf_lex_note(sf_lexer *lx, const sf_tok *open, const char **text,
                size_t *len) {
  lx->has_peek = false;
  sf_lex_mark *m = &lx->at;
  size_t start = m->off;
  for (;;) {
    char c = at(lx, m, 0);
    if (at_end(lx, m) || c == '\n')
      return sf_script_error_set(lx->err, lx->name, open->pos, -EINVAL,
                                 "unterminated note: expected ')' before "
                                 "the end of the line");
    if (c == ')')
      break;
    bump(lx, m);
  }
  *text = lx->buf + start;
  *len = m->off - start;
  bump(lx, m);
  return 0;
}

int sf_lex_option_value(sf_lexer *lx, sf_tok *tok) {
  lx->has_peek = false;
  sf_lex_mark *m = &lx->at;
  while (is_blank(at(lx, m, 0)))
    bump(lx, m);
  memset(tok, 0, sizeof(*tok));
  tok->kind = SF_TOK_WORD;
  tok->pos = pos_of(m);
  tok->text = lx->buf + m->off;
  size_t start = m->off;
  for (;;) {
    char c = at(lx, m, 0);
    if (at_end(lx, m) || is_space(c))
      break;
    if (c == '/' && (at(lx, m, 1) == '/' || at(lx, m, 1) == '*'))
      break;
    if (c == '"' || c == '`') {
      sf_tok q = *tok;
      q.pos = pos_of(m);
      int rc = lex_quoted(lx, m, &q);
      if (rc < 0)
        return rc;
      continue;
    }
    bump(lx, m);
  }
  tok->len = m->off - start;
  return 0;
}

int sf_lex_raw_hex(sf_lexer *lx, const sf_tok *raw_tok,
                   int (*put)(void *ctx, uint8_t byte), void *ctx) {
  (void)raw_tok;
  lx->has_peek = false;
  sf_lex_mark *m = &lx->at;
  for (;;) {
    while (is_blank(at(lx, m, 0)))
      bump(lx, m);
    char c = at(lx, m, 0);
    if (at_end(lx, m) || c == '\n')
      return 0;
    if (c == '/' && (at(lx, m, 1) == '/' || at(lx, m, 1) == '*'))
      return 0;
    sf_script_pos group = pos_of(m);
    const char *text = lx->buf + m->off;
    size_t n = 0;
    while (n < lx->len - m->off) {
      c = text[n];
      if (is_space(c))
        break;
      if (c == '/' && (at(lx, m, n + 1) == '/' || at(lx, m, n + 1) == '*'))
        break;
      if (!is_hex(c)) {
        sf_lex_mark bad = *m;
        bump_n(lx, &bad, n);
        return lex_error(lx, pos_of(&bad),
                         "expected hex digits in raw packet, got", c);
      }
      n++;
    }
    if (n % 2 != 0)
      return sf_script_error_set(lx->err, lx->name, group, -EINVAL,
                                 "odd number of hex digits in '%.*s' in raw "
                                 "packet",
                                 n > 40 ? 40 : (int)n, text);
    for (size_t k = 0; k < n; k += 2) {
      char h = text[k], l = text[k + 1];
      unsigned hv =
          is_digit(h) ? (unsigned)(h - '0') : (unsigned)((h | 0x20) - 'a' + 10);
      unsigned lv =
          is_digit(l) ? (unsigned)(l - '0') : (unsigned)((l | 0x20) - 'a' + 10);
      int rc = put(ctx, (uint8_t)(hv << 4 | lv));
      if (rc < 0)
        return rc;
    }
    bump_n(lx, m, n);
  }
}

void sf_tok_describe(const sf_tok *tok, char *buf, size_t size) {
  if (tok->kind == SF_TOK_EOF || tok->len == 0) {
    snprintf(buf, size, "%s",
             tok->kind == SF_TOK_EOF ? "end of file" : "nothing");
    return;
  }
  size_t o = 0, max = 40;
  bool cut = false;
  if (size < 16) {
    snprintf(buf, size, "?");
    return;
  }
  buf[o++] = '\'';
  for (size_t i = 0; i < tok->len; i++) {
    char c = tok->text[i];
    if (i >= max || c == '\n') {
      cut = true;
      break;
    }
    if (o + 8 >= size) {
      cut = true;
      break;
    }
    if (c >= 0x20 && c <= 0x7e) {
      buf[o++] = c;
    } else {
      o += (size_t)snprintf(buf + o, size - o, "\\x%02x",
                            (unsigned)(unsigned char)c);
    }
  }
  if (cut) {
    memcpy(buf + o, "...", 3);
    o += 3;
  }
  buf[o++] = '\'';
  buf[o] = '\0';
}

bool sf_tok_is_punct(const sf_tok *tok, char ch) {
  return tok->kind == SF_TOK_PUNCT && tok->ch == ch;
}

bool sf_tok_is_word(const sf_tok *tok, const char *word) {
  return tok->kind == SF_TOK_WORD && strlen(word) == tok->len &&
         memcmp(tok->text, word, tok->len) == 0;
}
