/* The recursive-descent parser: file reading, the structure of a script
 * (option lines, init command, timed events, cleanup command), event times,
 * system calls and the helpers the packet and expression parsers share. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "script_internal.h"

/* ---- shared helpers ---- */

int sf_p_error(sf_parser *p, const sf_tok *tok, bool got, const char *fmt,
               ...) {
  char text[320], what[64];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof(text), fmt, ap);
  va_end(ap);
  sf_script_pos pos = tok->pos;
  if (got) {
    sf_tok_describe(tok, what, sizeof(what));
    return sf_script_error_set(p->err, p->name, pos, -EINVAL, "%s, got %s",
                               text, what);
  }
  return sf_script_error_set(p->err, p->name, pos, -EINVAL, "%s", text);
}

int sf_p_nomem(sf_parser *p) {
  sf_script_pos none = {0, 0};
  if (p->arena != NULL && sf_arena_over_limit(p->arena))
    return sf_script_error_set(p->err, p->name, none, -EFBIG,
                               "script needs more than %u MiB of memory",
                               SF_SCRIPT_MAX_AST >> 20);
  return sf_script_error_set(p->err, p->name, none, -ENOMEM, "out of memory");
}

void *sf_p_alloc(sf_parser *p, size_t size) {
  return sf_arena_alloc(p->arena, size);
}

char *sf_p_strndup(sf_parser *p, const char *s, size_t n) {
  return sf_arena_strndup(p->arena, s, n);
}

int sf_p_expect_punct(sf_parser *p, char ch, const char *context) {
  sf_tok t;
  int rc = sf_lex_next(&p->lx, &t);
  if (rc < 0)
    return rc;
  if (!sf_tok_is_punct(&t, ch))
    return sf_p_error(p, &t, true, "expected '%c' %s", ch, context);
  return 0;
}

int sf_p_uint(sf_parser *p, const char *what, uint64_t max, uint64_t *val,
              sf_tok *tok) {
  sf_tok t;
  int rc = sf_lex_next(&p->lx, &t);
  if (rc < 0)
    return rc;
  if (tok != NULL)
    *tok = t;
  if (t.kind != SF_TOK_INT && t.kind != SF_TOK_HEX)
    return sf_p_error(p, &t, true, "expected %s", what);
  if (t.overflow || t.negative || t.uval > max)
    return sf_p_error(p, &t, false, "%s %.*s out of range (0..%llu)", what,
                      (int)(t.len > 40 ? 40 : t.len), t.text,
                      (unsigned long long)max);
  *val = t.uval;
  return 0;
}

int sf_p_push(sf_parser *p, void *item) {
  if (p->n_stack == p->cap_stack) {
    size_t cap = p->cap_stack ? p->cap_stack * 2 : 64;
    void **s = realloc(p->stack, cap * sizeof(*s));
    if (s == NULL)
      return sf_p_nomem(p);
    p->stack = s;
    p->cap_stack = cap;
  }
  p->stack[p->n_stack++] = item;
  return 0;
}

int sf_p_pop_array(sf_parser *p, size_t mark, void ***items, size_t *n) {
  size_t count = p->n_stack - mark;
  *items = NULL;
  *n = count;
  if (count > 0) {
    void **a = sf_p_alloc(p, count * sizeof(*a));
    if (a == NULL)
      return sf_p_nomem(p);
    memcpy(a, p->stack + mark, count * sizeof(*a));
    *items = a;
  }
  p->n_stack = mark;
  return 0;
}

/* ---- times ---- */

/* A time token (INT or FLOAT seconds) as microseconds. Digits beyond the
 * microsecond are dropped (packetdrill truncates its double too). */
static int time_value(sf_parser *p, const sf_tok *t, int64_t *us) {
  if (t->kind != SF_TOK_INT && t->kind != SF_TOK_FLOAT)
    return sf_p_error(p, t, true, "expected a time in seconds");
  if (t->negative)
    return sf_p_error(p, t, false, "negative time %.*s", (int)t->len, t->text);
  const char *s = t->text, *end = t->text + t->len;
  uint64_t secs = 0;
  bool big = false;
  for (; s < end && *s != '.'; s++) {
    secs = secs * 10 + (uint64_t)(*s - '0');
    if (secs > (uint64_t)SF_SCRIPT_MAX_TIME_S) {
      big = true;
      break;
    }
  }
  if (big)
    return sf_p_error(p, t, false,
                      "time %.*s out of range (at most %lld seconds)",
                      (int)(t->len > 40 ? 40 : t->len), t->text,
                      (long long)SF_SCRIPT_MAX_TIME_S);
  int64_t frac = 0;
  int digits = 0;
  if (s < end && *s == '.') {
    for (s++; s < end; s++) {
      if (digits < 6) {
        frac = frac * 10 + (*s - '0');
        digits++;
      }
    }
  }
  for (; digits < 6; digits++)
    frac *= 10;
  *us = (int64_t)secs * 1000000 + frac;
  return 0;
}

/* [+]time [~ [+]time] or '*'. */
static int parse_time(sf_parser *p, sf_script_time *time) {
  sf_tok t;
  int rc = sf_lex_next(&p->lx, &t);
  if (rc < 0)
    return rc;
  time->end_us = SF_SCRIPT_NO_END;
  if (sf_tok_is_punct(&t, '*')) {
    time->kind = SF_SCR_TIME_ANY;
    time->start_us = 0;
    return 0;
  }
  bool rel = sf_tok_is_punct(&t, '+');
  if (rel && (rc = sf_lex_next(&p->lx, &t)) < 0)
    return rc;
  if (t.kind != SF_TOK_INT && t.kind != SF_TOK_FLOAT)
    return sf_p_error(p, &t, true, "expected %s",
                      rel ? "a time after '+'"
                          : "an event time (e.g. 0.1, +0.1 or *)");
  if ((rc = time_value(p, &t, &time->start_us)) < 0)
    return rc;
  time->kind = rel ? SF_SCR_TIME_RELATIVE : SF_SCR_TIME_ABSOLUTE;

  const sf_tok *pk;
  if ((rc = sf_lex_peek(&p->lx, &pk)) < 0)
    return rc;
  if (!sf_tok_is_punct(pk, '~'))
    return 0;
  sf_tok tilde;
  sf_lex_next(&p->lx, &tilde);
  if ((rc = sf_lex_next(&p->lx, &t)) < 0)
    return rc;
  if (rel) {
    if (!sf_tok_is_punct(&t, '+'))
      return sf_p_error(p, &t, true,
                        "expected '+' after '~' in a relative time range");
    if ((rc = sf_lex_next(&p->lx, &t)) < 0)
      return rc;
  } else if (sf_tok_is_punct(&t, '+')) {
    return sf_p_error(p, &t, false,
                      "a range from an absolute time must end at an "
                      "absolute time");
  }
  if (t.kind != SF_TOK_INT && t.kind != SF_TOK_FLOAT)
    return sf_p_error(p, &t, true, "expected a time after '~'");
  if ((rc = time_value(p, &t, &time->end_us)) < 0)
    return rc;
  if (time->end_us < time->start_us)
    return sf_p_error(p, &tilde, false,
                      "time range is backwards: it ends before it starts");
  time->kind = rel ? SF_SCR_TIME_RELATIVE_RANGE : SF_SCR_TIME_ABSOLUTE_RANGE;
  return 0;
}

/* ---- system calls ---- */

/* The text of a "(...)" note with runs of white space made one space. */
static int parse_note(sf_parser *p, const char **out) {
  sf_tok open;
  int rc = sf_lex_next(&p->lx, &open);
  if (rc < 0)
    return rc;
  const char *text;
  size_t len;
  if ((rc = sf_lex_note(&p->lx, &open, &text, &len)) < 0)
    return rc;
  char *s = sf_p_alloc(p, len + 1);
  if (s == NULL)
    return sf_p_nomem(p);
  size_t o = 0;
  bool space = false;
  for (size_t i = 0; i < len; i++) {
    char c = text[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
      space = o > 0;
      continue;
    }
    if (space)
      s[o++] = ' ';
    space = false;
    s[o++] = c;
  }
  s[o] = '\0';
  *out = s;
  return 0;
}

static int parse_syscall(sf_parser *p, sf_script_syscall *sc) {
  sf_tok name;
  int rc = sf_lex_next(&p->lx, &name);
  if (rc < 0)
    return rc;
  if (name.kind != SF_TOK_WORD)
    return sf_p_error(p, &name, true, "expected a system call name");
  if ((sc->name = sf_p_strndup(p, name.text, name.len)) == NULL)
    return sf_p_nomem(p);
  char ctx[96];
  snprintf(ctx, sizeof(ctx), "after system call name '%.*s'",
           (int)(name.len > 40 ? 40 : name.len), name.text);
  if ((rc = sf_p_expect_punct(p, '(', ctx)) < 0)
    return rc;

  const sf_tok *pk;
  if ((rc = sf_lex_peek(&p->lx, &pk)) < 0)
    return rc;
  size_t mark = p->n_stack;
  if (sf_tok_is_punct(pk, ')')) {
    sf_lex_next(&p->lx, NULL);
  } else {
    for (;;) {
      sf_script_expr *e;
      if ((rc = sf_parse_expr(p, 0, true, &e)) < 0)
        return rc;
      if ((rc = sf_p_push(p, e)) < 0)
        return rc;
      sf_tok t;
      if ((rc = sf_lex_next(&p->lx, &t)) < 0)
        return rc;
      if (sf_tok_is_punct(&t, ')'))
        break;
      if (!sf_tok_is_punct(&t, ','))
        return sf_p_error(p, &t, true,
                          "expected ',' or ')' in the arguments of '%s'",
                          sc->name);
    }
  }
  if ((rc = sf_p_pop_array(p, mark, (void ***)&sc->args, &sc->n_args)) < 0)
    return rc;
  snprintf(ctx, sizeof(ctx), "after the arguments of '%.*s'",
           (int)(name.len > 40 ? 40 : name.len), name.text);
  if ((rc = sf_p_expect_punct(p, '=', ctx)) < 0)
    return rc;
  /* No call syntax at the top of the result (but for inet_addr, inet6_addr
   * and htons): in "= -1 EAGAIN (text)" and "= 0 (note)" a parenthesis
   * starts a note. */
  if ((rc = sf_parse_expr(p, 0, false, &sc->result)) < 0)
    return rc;

  if ((rc = sf_lex_peek(&p->lx, &pk)) < 0)
    return rc;
  if (pk->kind == SF_TOK_WORD) {
    if ((sc->errno_name = sf_p_strndup(p, pk->text, pk->len)) == NULL)
      return sf_p_nomem(p);
    sf_lex_next(&p->lx, NULL);
    if ((rc = sf_lex_peek(&p->lx, &pk)) < 0)
      return rc;
    if (sf_tok_is_punct(pk, '(')) {
      if ((rc = parse_note(p, &sc->errno_text)) < 0)
        return rc;
      if ((rc = sf_lex_peek(&p->lx, &pk)) < 0)
        return rc;
    }
  }
  if (sf_tok_is_punct(pk, '('))
    return parse_note(p, &sc->note);
  return 0;
}

/* ---- events ---- */

static int push_event(sf_parser *p, sf_script_event **ev) {
  if (p->n_events == p->cap_events) {
    size_t cap = p->cap_events ? p->cap_events * 2 : 32;
    /* The array counts against the AST's memory limit too. */
    if (cap > SF_SCRIPT_MAX_AST / sizeof(*p->events)) {
      sf_script_pos none = {0, 0};
      return sf_script_error_set(p->err, p->name, none, -EFBIG,
                                 "script needs more than %u MiB of memory",
                                 SF_SCRIPT_MAX_AST >> 20);
    }
    sf_script_event *e = realloc(p->events, cap * sizeof(*e));
    if (e == NULL)
      return sf_p_nomem(p);
    p->events = e;
    p->cap_events = cap;
  }
  *ev = &p->events[p->n_events++];
  memset(*ev, 0, sizeof(**ev));
  return 0;
}

static int quoted_text(sf_parser *p, const sf_tok *t, size_t open, size_t close,
                       const char **out) {
  char *s = sf_p_strndup(p, t->text + open, t->len - open - close);
  if (s == NULL)
    return sf_p_nomem(p);
  *out = s;
  return 0;
}

/* %{ code }%: like packetdrill, blanks are trimmed at both ends. */
static int code_text(sf_parser *p, const sf_tok *t, const char **out) {
  const char *s = t->text + 2, *e = t->text + t->len - 2;
  while (s < e && (*s == ' ' || *s == '\t'))
    s++;
  while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
    e--;
  char *c = sf_p_strndup(p, s, (size_t)(e - s));
  if (c == NULL)
    return sf_p_nomem(p);
  *out = c;
  return 0;
}

static int parse_event(sf_parser *p) {
  sf_script_event *ev = NULL;
  int rc = push_event(p, &ev);
  if (rc < 0)
    return rc;
  const sf_tok *pk;
  if ((rc = sf_lex_peek(&p->lx, &pk)) < 0)
    return rc;
  sf_tok first = *pk;
  ev->pos = first.pos;
  if ((rc = parse_time(p, &ev->time)) < 0)
    return rc;

  sf_tok act;
  if ((rc = sf_lex_peek(&p->lx, &pk)) < 0)
    return rc;
  act = *pk;
  if (sf_tok_is_punct(&act, '<') || sf_tok_is_punct(&act, '>')) {
    sf_lex_next(&p->lx, NULL);
    ev->kind = SF_SCR_EV_PACKET;
    if ((rc = sf_parse_packet(p, &act, &ev->packet)) < 0)
      return rc;
  } else if (act.kind == SF_TOK_BACKQUOTE) {
    sf_lex_next(&p->lx, NULL);
    ev->kind = SF_SCR_EV_COMMAND;
    if ((rc = quoted_text(p, &act, 1, 1, &ev->command.text)) < 0)
      return rc;
  } else if (act.kind == SF_TOK_CODE) {
    sf_lex_next(&p->lx, NULL);
    ev->kind = SF_SCR_EV_CODE;
    if ((rc = code_text(p, &act, &ev->code.text)) < 0)
      return rc;
  } else if (act.kind == SF_TOK_ELLIPSIS || act.kind == SF_TOK_WORD) {
    ev->kind = SF_SCR_EV_SYSCALL;
    if (act.kind == SF_TOK_ELLIPSIS) {
      sf_tok t;
      sf_lex_next(&p->lx, NULL);
      if ((rc = sf_lex_next(&p->lx, &t)) < 0)
        return rc;
      if (t.kind != SF_TOK_INT && t.kind != SF_TOK_FLOAT)
        return sf_p_error(p, &t, true,
                          "expected the end time of a blocking system call "
                          "after '...'");
      if ((rc = time_value(p, &t, &ev->time.end_us)) < 0)
        return rc;
      if (ev->time.kind != SF_SCR_TIME_ABSOLUTE &&
          ev->time.kind != SF_SCR_TIME_RELATIVE)
        return sf_p_error(p, &first, false,
                          "a blocking system call needs a plain start "
                          "time, not a range or '*'");
    }
    if ((rc = parse_syscall(p, &ev->syscall)) < 0)
      return rc;
  } else {
    return sf_p_error(p, &act, true,
                      "expected a packet ('<' or '>'), a system call, a "
                      "`command` or %%{ code }%% after the event time");
  }

  bool outbound_packet =
      ev->kind == SF_SCR_EV_PACKET && ev->packet.dir == SF_SCR_OUTBOUND;
  if (ev->time.kind == SF_SCR_TIME_ANY && !outbound_packet)
    return sf_p_error(p, &first, false,
                      "event time '*' can only be used with outbound "
                      "packets");
  if ((ev->time.kind == SF_SCR_TIME_ABSOLUTE_RANGE ||
       ev->time.kind == SF_SCR_TIME_RELATIVE_RANGE) &&
      !outbound_packet)
    return sf_p_error(p, &first, false,
                      "event time ranges can only be used with outbound "
                      "packets");
  return 0;
}

/* ---- option lines ---- */

static bool single_quoted(const sf_tok *v) {
  if (v->len < 2 || v->text[0] != '"' || v->text[v->len - 1] != '"')
    return false;
  for (size_t i = 1; i < v->len - 1; i++) {
    if (v->text[i] == '\\')
      i++;
    else if (v->text[i] == '"')
      return false;
  }
  return true;
}

static int parse_option(sf_parser *p) {
  sf_tok opt;
  int rc = sf_lex_next(&p->lx, &opt);
  if (rc < 0)
    return rc;
  if (p->n_options == p->cap_options) {
    size_t cap = p->cap_options ? p->cap_options * 2 : 16;
    sf_script_option *o = realloc(p->options, cap * sizeof(*o));
    if (o == NULL)
      return sf_p_nomem(p);
    p->options = o;
    p->cap_options = cap;
  }
  sf_script_option *o = &p->options[p->n_options++];
  memset(o, 0, sizeof(*o));
  o->pos = opt.pos;
  if ((o->name = sf_p_strndup(p, opt.text + 2, opt.len - 2)) == NULL)
    return sf_p_nomem(p);

  /* The value must follow right after "=" on the same line; "=" itself may
   * follow after blanks, as packetdrill's tokens allow. */
  const sf_tok *pk;
  if ((rc = sf_lex_peek(&p->lx, &pk)) < 0)
    return rc;
  if (!sf_tok_is_punct(pk, '=') || pk->pos.line != opt.pos.line)
    return 0;
  sf_tok eq;
  sf_lex_next(&p->lx, &eq);
  sf_tok v;
  if ((rc = sf_lex_option_value(&p->lx, &v)) < 0)
    return rc;
  if (v.len == 0)
    return sf_p_error(p, &v, false, "expected a value after '--%s='", o->name);
  if (single_quoted(&v)) {
    o->quoted = true;
    o->value = sf_p_strndup(p, v.text + 1, v.len - 2);
  } else {
    o->value = sf_p_strndup(p, v.text, v.len);
  }
  if (o->value == NULL)
    return sf_p_nomem(p);
  return 0;
}

/* ---- the script ---- */

static int parse_script(sf_parser *p) {
  sf_script *s = p->script;
  for (;;) {
    const sf_tok *pk;
    int rc = sf_lex_peek(&p->lx, &pk);
    if (rc < 0)
      return rc;
    sf_tok t = *pk;
    if (t.kind == SF_TOK_EOF)
      return 0;
    if (s->cleanup_command != NULL)
      return sf_p_error(p, &t, true,
                        "expected end of file after the cleanup command");
    if (t.kind == SF_TOK_OPTION) {
      if (p->n_events > 0 || s->init_command != NULL)
        return sf_p_error(p, &t, false,
                          "option lines must come before the init command "
                          "and the events");
      if ((rc = parse_option(p)) < 0)
        return rc;
    } else if (t.kind == SF_TOK_BACKQUOTE) {
      if (p->n_events == 0 && s->init_command != NULL)
        return sf_p_error(p, &t, false,
                          "expected an event time before this command "
                          "(only one untimed command may precede the "
                          "events)");
      sf_lex_next(&p->lx, NULL);
      if (p->n_events == 0) {
        s->init_pos = t.pos;
        rc = quoted_text(p, &t, 1, 1, &s->init_command);
      } else {
        s->cleanup_pos = t.pos;
        rc = quoted_text(p, &t, 1, 1, &s->cleanup_command);
      }
      if (rc < 0)
        return rc;
    } else {
      if ((rc = parse_event(p)) < 0)
        return rc;
    }
  }
}

/* NUL bytes and over-long lines are refused before lexing. */
static int prescan(sf_parser *p, const char *buf, size_t len) {
  uint32_t line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < len; i++) {
    if (buf[i] == '\0') {
      sf_script_pos pos = {line, (uint32_t)(i - line_start + 1)};
      return sf_script_error_set(p->err, p->name, pos, -EINVAL,
                                 "NUL byte in script (is it a binary file?)");
    }
    if (buf[i] == '\n') {
      line++;
      line_start = i + 1;
    } else if (i - line_start >= SF_SCRIPT_MAX_LINE) {
      sf_script_pos pos = {line, SF_SCRIPT_MAX_LINE + 1};
      return sf_script_error_set(p->err, p->name, pos, -EINVAL,
                                 "line is longer than %u bytes",
                                 SF_SCRIPT_MAX_LINE);
    }
  }
  return 0;
}

/* Moves the growable arrays into the arena, so that the arena alone owns
 * the script. */
static int finish(sf_parser *p) {
  sf_script *s = p->script;
  if (p->n_events > 0) {
    s->events = sf_p_alloc(p, p->n_events * sizeof(*s->events));
    if (s->events == NULL)
      return sf_p_nomem(p);
    memcpy(s->events, p->events, p->n_events * sizeof(*s->events));
    s->n_events = p->n_events;
  }
  if (p->n_options > 0) {
    s->options = sf_p_alloc(p, p->n_options * sizeof(*s->options));
    if (s->options == NULL)
      return sf_p_nomem(p);
    memcpy(s->options, p->options, p->n_options * sizeof(*s->options));
    s->n_options = p->n_options;
  }
  return 0;
}

/* Whole-line // comments: the tags of a spec live there. */
static int collect_comments(sf_parser *p, const char *buf, size_t len) {
  size_t count = 0;
  for (int pass = 0; pass < 2; pass++) {
    size_t n = 0;
    uint32_t line = 1;
    for (size_t i = 0; i < len;) {
      size_t j = i;
      while (j < len && (buf[j] == ' ' || buf[j] == '\t'))
        j++;
      size_t eol = j;
      while (eol < len && buf[eol] != '\n')
        eol++;
      if (j + 1 < eol && buf[j] == '/' && buf[j + 1] == '/') {
        if (pass == 1) {
          size_t a = j + 2, b = eol;
          while (a < b && (buf[a] == ' ' || buf[a] == '\t' || buf[a] == '/'))
            a++;
          while (b > a && (buf[b - 1] == ' ' || buf[b - 1] == '\t' ||
                           buf[b - 1] == '\r'))
            b--;
          sf_script_comment *c = &p->script->comments[n];
          c->pos.line = line;
          c->pos.column = (uint32_t)(j - i + 1);
          c->text = sf_p_strndup(p, buf + a, b - a);
          if (c->text == NULL)
            return sf_p_nomem(p);
        }
        n++;
      }
      line++;
      i = eol + 1;
    }
    if (pass == 0) {
      count = n;
      if (count == 0)
        return 0;
      p->script->comments = sf_p_alloc(p, count * sizeof(*p->script->comments));
      if (p->script->comments == NULL)
        return sf_p_nomem(p);
      p->script->n_comments = count;
    }
  }
  return 0;
}

int sf_script_parse(const char *buf, size_t len, const char *name,
                    sf_script **out, sf_script_error *err) {
  sf_parser p;
  sf_script_pos none = {0, 0};
  if (out != NULL)
    *out = NULL;
  if (err != NULL)
    memset(err, 0, sizeof(*err));
  memset(&p, 0, sizeof(p));
  p.name = name != NULL ? name : "<input>";
  p.err = err;
  if (out == NULL || (buf == NULL && len > 0))
    return sf_script_error_set(err, p.name, none, -EINVAL, "invalid arguments");
  if (len > SF_SCRIPT_MAX_SIZE)
    return sf_script_error_set(err, p.name, none, -EFBIG,
                               "script is larger than %u MiB",
                               SF_SCRIPT_MAX_SIZE >> 20);
  if (buf == NULL)
    buf = "";
  int rc = prescan(&p, buf, len);
  if (rc < 0)
    return rc;

  p.arena = sf_arena_new(SF_SCRIPT_MAX_AST);
  if (p.arena == NULL)
    return sf_p_nomem(&p);
  p.script = sf_p_alloc(&p, sizeof(*p.script));
  if (p.script == NULL) {
    sf_arena_free(p.arena);
    return sf_p_nomem(&p);
  }
  p.script->arena = p.arena;
  p.script->name = sf_p_strndup(&p, p.name, strlen(p.name));
  if (p.script->name == NULL)
    rc = sf_p_nomem(&p);
  sf_lex_init(&p.lx, buf, len, p.name, err);
  if (rc == 0)
    rc = parse_script(&p);
  if (rc == 0)
    rc = finish(&p);
  if (rc == 0)
    rc = collect_comments(&p, buf, len);
  free(p.stack);
  free(p.bytes);
  free(p.events);
  free(p.options);
  if (rc < 0) {
    sf_arena_free(p.arena);
    return rc;
  }
  *out = p.script;
  return 0;
}

/* ---- files ---- */

static int file_error(sf_script_error *err, const char *path, int code,
                      const char *what) {
  char msg[128];
  sf_script_pos none = {0, 0};
  if (strerror_r(-code, msg, sizeof(msg)) != 0)
    snprintf(msg, sizeof(msg), "error %d", -code);
  return sf_script_error_set(err, path, none, code, "%s: %s", what, msg);
}

int sf_script_parse_file(const char *path, sf_script **out,
                         sf_script_error *err) {
  sf_script_pos none = {0, 0};
  if (out != NULL)
    *out = NULL;
  if (err != NULL)
    memset(err, 0, sizeof(*err));
  if (path == NULL || out == NULL)
    return sf_script_error_set(err, "<input>", none, -EINVAL,
                               "invalid arguments");
  /* O_NONBLOCK: opening a FIFO must not wait for a writer. */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0)
    return file_error(err, path, -errno, "cannot open");
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int e = -errno;
    close(fd);
    return file_error(err, path, e, "cannot stat");
  }
  if (S_ISDIR(st.st_mode)) {
    close(fd);
    return sf_script_error_set(err, path, none, -EISDIR,
                               "is a directory, not a script");
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return sf_script_error_set(err, path, none, -EINVAL, "not a regular file");
  }
  if (st.st_size > (off_t)SF_SCRIPT_MAX_SIZE) {
    close(fd);
    return sf_script_error_set(err, path, none, -EFBIG,
                               "script is larger than %u MiB",
                               SF_SCRIPT_MAX_SIZE >> 20);
  }
  /* Read at most one byte past the limit, in case the file grew. */
  size_t cap = (size_t)st.st_size + 1, len = 0;
  char *buf = malloc(cap);
  if (buf == NULL) {
    close(fd);
    return sf_script_error_set(err, path, none, -ENOMEM, "out of memory");
  }
  for (;;) {
    if (len == cap) {
      if (cap > SF_SCRIPT_MAX_SIZE)
        break;
      size_t ncap = cap * 2 > (size_t)SF_SCRIPT_MAX_SIZE + 1
                        ? (size_t)SF_SCRIPT_MAX_SIZE + 1
                        : cap * 2;
      char *nb = realloc(buf, ncap);
      if (nb == NULL) {
        free(buf);
        close(fd);
        return sf_script_error_set(err, path, none, -ENOMEM, "out of memory");
      }
      buf = nb;
      cap = ncap;
    }
    ssize_t n = read(fd, buf + len, cap - len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int e = -errno;
      free(buf);
      close(fd);
      return file_error(err, path, e, "cannot read");
    }
    if (n == 0)
      break;
    len += (size_t)n;
  }
  close(fd);
  int rc;
  if (len > SF_SCRIPT_MAX_SIZE)
    rc = sf_script_error_set(err, path, none, -EFBIG,
                             "script is larger than %u MiB",
                             SF_SCRIPT_MAX_SIZE >> 20);
  else
    rc = sf_script_parse(buf, len, path, out, err);
  free(buf);
  return rc;
}
