/* Internals of the script parser: the lexer, the parser state shared by the
 * files that parse events, packets and expressions, and the AST arena. */
#ifndef SF_SCRIPT_INTERNAL_H
#define SF_SCRIPT_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "synfin/script.h"

#if defined(__GNUC__)
#define SF_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define SF_PRINTF(f, a)
#endif

/* ---- errors ---- */

/* Formats "name:line:column: message" (or "name: message" when pos.line is
 * 0) into err, if err is not NULL, and returns code. */
int sf_script_error_set(sf_script_error *err, const char *name,
                        sf_script_pos pos, int code, const char *fmt, ...)
    SF_PRINTF(5, 6);

/* ---- arena: all of a script's AST lives in one, freed at once ---- */

void *sf_arena_alloc(sf_script_arena *a, size_t size); /* zeroed */
char *sf_arena_strndup(sf_script_arena *a, const char *s, size_t n);
sf_script_arena *sf_arena_new(size_t limit);
void sf_arena_free(sf_script_arena *a);
bool sf_arena_over_limit(const sf_script_arena *a);

/* ---- lexer ---- */

typedef enum sf_tok_kind {
  SF_TOK_EOF,
  SF_TOK_INT,       /* [-]digits */
  SF_TOK_HEX,       /* 0x hex digits */
  SF_TOK_FLOAT,     /* [-]digits.digits or [-].digits */
  SF_TOK_WORD,      /* [A-Za-z0-9_]+ that is not a number */
  SF_TOK_STRING,    /* "..." (text includes the quotes) */
  SF_TOK_BACKQUOTE, /* `...` (text includes the backquotes) */
  SF_TOK_CODE,      /* %{ ... }% (text includes the delimiters) */
  SF_TOK_OPTION,    /* --name (text includes the dashes) */
  SF_TOK_IPV4,      /* digits.digits.digits.digits */
  SF_TOK_ELLIPSIS,  /* ... */
  SF_TOK_PUNCT,     /* one printable character, in ch */
} sf_tok_kind;

typedef struct sf_tok {
  sf_tok_kind kind;
  char ch;          /* SF_TOK_PUNCT */
  const char *text; /* into the script buffer */
  size_t len;
  sf_script_pos pos;
  int64_t ival;  /* SF_TOK_INT */
  uint64_t uval; /* SF_TOK_HEX; SF_TOK_INT when not negative */
  bool negative; /* SF_TOK_INT, SF_TOK_FLOAT */
  bool overflow; /* SF_TOK_INT beyond int64, SF_TOK_HEX beyond uint64 */
} sf_tok;

typedef struct sf_lex_mark {
  size_t off;
  size_t line_start;
  uint32_t line;
} sf_lex_mark;

typedef struct sf_lexer {
  const char *buf;
  size_t len;
  sf_lex_mark at; /* the next unread byte */
  bool has_peek;
  sf_tok peek;
  sf_lex_mark after_peek;
  const char *name;
  sf_script_error *err;
} sf_lexer;

void sf_lex_init(sf_lexer *lx, const char *buf, size_t len, const char *name,
                 sf_script_error *err);
/* The next token without consuming it; returns 0 or a negative errno. */
int sf_lex_peek(sf_lexer *lx, const sf_tok **tok);
/* Consumes the next token (a copy lands in tok if not NULL). */
int sf_lex_next(sf_lexer *lx, sf_tok *tok);
sf_lex_mark sf_lex_save(const sf_lexer *lx);
void sf_lex_restore(sf_lexer *lx, sf_lex_mark mark);

/* Context-dependent scans, from the current position (a peeked token is
 * dropped and scanned again). */

/* Skips white space and comments, then takes the longest run of
 * [A-Za-z0-9._-] as a WORD (len 0 if none): TCP flags such as "S.", ".6",
 * "-". */
int sf_lex_flags(sf_lexer *lx, sf_tok *tok);
/* Skips white space and comments, then takes an IPv6 address (a run of hex
 * digits, ':' and '.', less a last ':' that would make it invalid), as a
 * WORD. */
int sf_lex_ipv6(sf_lexer *lx, sf_tok *tok);
/* After "(": the text up to ")" on the same line, which is consumed. */
int sf_lex_note(sf_lexer *lx, const sf_tok *open, const char **text,
                size_t *len);
/* After "--name=": the value, up to white space or a comment; quoted parts
 * ("..." or `...`) may hold white space. */
int sf_lex_option_value(sf_lexer *lx, sf_tok *tok);

/* Hex bytes to the end of the line (or a comment), for `raw`. Each byte is
 * handed to put(ctx, byte), which returns 0 or a negative errno. */
int sf_lex_raw_hex(sf_lexer *lx, const sf_tok *raw_tok,
                   int (*put)(void *ctx, uint8_t byte), void *ctx);

/* Describes a token for messages: 'text' (truncated, escaped) or
 * "end of file". */
void sf_tok_describe(const sf_tok *tok, char *buf, size_t size);

bool sf_tok_is_punct(const sf_tok *tok, char ch);
bool sf_tok_is_word(const sf_tok *tok, const char *word);

/* ---- parser state ---- */

typedef struct sf_parser {
  sf_lexer lx;
  const char *name;
  sf_script_error *err;
  sf_script *script;
  sf_script_arena *arena;
  void **stack; /* scratch for collecting list items */
  size_t n_stack;
  size_t cap_stack;
  uint8_t *bytes; /* scratch for raw packet bytes */
  size_t n_bytes;
  size_t cap_bytes;
  sf_script_event *events; /* moved into the arena at the end */
  size_t n_events;
  size_t cap_events;
  sf_script_option *options;
  size_t n_options;
  size_t cap_options;
} sf_parser;

/* Records a syntax error at tok ("got 'x'" is appended when got is true). */
int sf_p_error(sf_parser *p, const sf_tok *tok, bool got, const char *fmt, ...)
    SF_PRINTF(4, 5);
int sf_p_nomem(sf_parser *p);
void *sf_p_alloc(sf_parser *p, size_t size);
char *sf_p_strndup(sf_parser *p, const char *s, size_t n);

/* Consumes the punctuation ch or fails with "expected 'ch' <context>". */
int sf_p_expect_punct(sf_parser *p, char ch, const char *context);
/* Consumes an unsigned INT or HEX token no larger than max, or fails with
 * "<what> N out of range (0..max)" or "expected <what>, got 'x'". */
int sf_p_uint(sf_parser *p, const char *what, uint64_t max, uint64_t *val,
              sf_tok *tok);

/* Scratch stack of pointers, for lists whose length is known at the end. */
int sf_p_push(sf_parser *p, void *item);
/* Moves the items pushed since mark into a new arena array. */
int sf_p_pop_array(sf_parser *p, size_t mark, void ***items, size_t *n);

int sf_parse_packet(sf_parser *p, const sf_tok *dir, sf_script_packet *pkt);
int sf_parse_expr(sf_parser *p, int depth, bool allow_call,
                  sf_script_expr **out);
/* GRE header fields (after "gre" or "{"); the first token is flags. */
int sf_parse_gre_header(sf_parser *p, sf_script_gre *gre);
/* MPLS label stack entries "(label N, tc N, [S], ttl N)" while the next
 * token is "("; at least one when need_one. */
int sf_parse_mpls_entries(sf_parser *p, bool need_one, sf_script_mpls **entries,
                          size_t *n);

#endif /* SF_SCRIPT_INTERNAL_H */
