/* The generic expressions of system-call arguments and results:
 *
 *   expr    := or ['=' expr]           (left side a word or a call)
 *   or      := primary ('|' primary)*
 *   primary := '...' | INT | HEX | STRING+ ['...'] | WORD | WORD '(' [list] ')'
 *            | '[' [list] ']' | '{' [list] '}' | '{' gre '}' | '{' mpls '}'
 *   list    := expr (',' expr)*
 *
 * packetdrill spells out its structs (sockaddr, msghdr, pollfd, linger,
 * epoll_event, cmsg, ...) as fixed field sequences; every one of them is a
 * '{' list '}' of name=value fields here, and the runner checks the fields it
 * needs. Nesting is bounded by SF_SCRIPT_MAX_DEPTH. */
#include <errno.h>
#include <string.h>

#include "script_internal.h"

static int new_expr(sf_parser *p, sf_script_expr_kind kind, const sf_tok *at,
                    sf_script_expr **out) {
  sf_script_expr *e = sf_p_alloc(p, sizeof(*e));
  if (e == NULL)
    return sf_p_nomem(p);
  e->kind = kind;
  e->pos = at->pos;
  *out = e;
  return 0;
}

/* Items up to the closing character; the opening one is consumed. */
static int parse_items(sf_parser *p, int depth, char close, const char *what,
                       sf_script_expr ***items, size_t *n) {
  const sf_tok *pk;
  int rc = sf_lex_peek(&p->lx, &pk);
  if (rc < 0)
    return rc;
  size_t mark = p->n_stack;
  if (sf_tok_is_punct(pk, close)) {
    sf_lex_next(&p->lx, NULL);
  } else {
    for (;;) {
      sf_script_expr *e;
      if ((rc = sf_parse_expr(p, depth, true, &e)) < 0)
        return rc;
      if ((rc = sf_p_push(p, e)) < 0)
        return rc;
      sf_tok t;
      if ((rc = sf_lex_next(&p->lx, &t)) < 0)
        return rc;
      if (sf_tok_is_punct(&t, close))
        break;
      if (!sf_tok_is_punct(&t, ','))
        return sf_p_error(p, &t, true, "expected ',' or '%c' %s", close, what);
    }
  }
  return sf_p_pop_array(p, mark, (void ***)items, n);
}

/* "a" "b"... : adjacent strings are one string, as in packetdrill. */
static int parse_string(sf_parser *p, const sf_tok *first,
                        sf_script_expr **out) {
  int rc = new_expr(p, SF_SCR_EXPR_STRING, first, out);
  if (rc < 0)
    return rc;
  sf_lex_mark mark = sf_lex_save(&p->lx);
  size_t total = first->len - 2;
  const sf_tok *pk;
  for (;;) {
    if ((rc = sf_lex_peek(&p->lx, &pk)) < 0)
      return rc;
    if (pk->kind != SF_TOK_STRING)
      break;
    total += pk->len - 2;
    sf_lex_next(&p->lx, NULL);
  }
  sf_lex_restore(&p->lx, mark);
  char *s = sf_p_alloc(p, total + 1);
  if (s == NULL)
    return sf_p_nomem(p);
  memcpy(s, first->text + 1, first->len - 2);
  size_t o = first->len - 2;
  for (;;) {
    if ((rc = sf_lex_peek(&p->lx, &pk)) < 0)
      return rc;
    if (pk->kind != SF_TOK_STRING)
      break;
    memcpy(s + o, pk->text + 1, pk->len - 2);
    o += pk->len - 2;
    sf_lex_next(&p->lx, NULL);
  }
  (*out)->str.text = s;
  if (pk->kind == SF_TOK_ELLIPSIS) {
    sf_lex_next(&p->lx, NULL);
    (*out)->str.ellipsis = true;
  }
  return 0;
}

/* After '{': a GRE header ("flags" not followed by '='), an MPLS stack
 * (starting with '('), or a struct. */
static int parse_brace(sf_parser *p, int depth, const sf_tok *open,
                       sf_script_expr **out) {
  const sf_tok *pk;
  int rc = sf_lex_peek(&p->lx, &pk);
  if (rc < 0)
    return rc;
  if (sf_tok_is_punct(pk, '(')) {
    if ((rc = new_expr(p, SF_SCR_EXPR_MPLS, open, out)) < 0 ||
        (rc = sf_parse_mpls_entries(p, true, &(*out)->mpls.entries,
                                    &(*out)->mpls.n)) < 0)
      return rc;
    return sf_p_expect_punct(p, '}', "after the MPLS label stack");
  }
  if (sf_tok_is_word(pk, "flags") || sf_tok_is_word(pk, "Flags")) {
    sf_lex_mark mark = sf_lex_save(&p->lx);
    sf_lex_next(&p->lx, NULL);
    if ((rc = sf_lex_peek(&p->lx, &pk)) < 0)
      return rc;
    bool field = sf_tok_is_punct(pk, '=');
    sf_lex_restore(&p->lx, mark);
    if (!field) {
      if ((rc = new_expr(p, SF_SCR_EXPR_GRE, open, out)) < 0 ||
          (rc = sf_parse_gre_header(p, &(*out)->gre)) < 0)
        return rc;
      return sf_p_expect_punct(p, '}', "after the GRE header");
    }
  }
  if ((rc = new_expr(p, SF_SCR_EXPR_STRUCT, open, out)) < 0)
    return rc;
  return parse_items(p, depth + 1, '}', "in struct", &(*out)->list.items,
                     &(*out)->list.n);
}

static int parse_primary(sf_parser *p, int depth, bool allow_call,
                         sf_script_expr **out) {
  sf_tok t;
  int rc = sf_lex_next(&p->lx, &t);
  if (rc < 0)
    return rc;
  switch (t.kind) {
  case SF_TOK_ELLIPSIS:
    return new_expr(p, SF_SCR_EXPR_ELLIPSIS, &t, out);
  case SF_TOK_INT:
  case SF_TOK_HEX:
    if (t.overflow)
      return sf_p_error(p, &t, false, "integer %.*s out of range",
                        (int)(t.len > 40 ? 40 : t.len), t.text);
    if ((rc = new_expr(p, SF_SCR_EXPR_INT, &t, out)) < 0)
      return rc;
    (*out)->num.value = t.ival;
    (*out)->num.hex = t.kind == SF_TOK_HEX;
    return 0;
  case SF_TOK_STRING:
    return parse_string(p, &t, out);
  case SF_TOK_WORD: {
    const sf_tok *pk;
    if ((rc = sf_lex_peek(&p->lx, &pk)) < 0)
      return rc;
    char *name = sf_p_strndup(p, t.text, t.len);
    if (name == NULL)
      return sf_p_nomem(p);
    /* Where calls are off (the top of a result, where "(" starts a note),
     * packetdrill's own call keywords still make calls. */
    bool call_kw = sf_tok_is_word(&t, "inet_addr") ||
                   sf_tok_is_word(&t, "inet6_addr") ||
                   sf_tok_is_word(&t, "htons");
    if ((allow_call || call_kw) && sf_tok_is_punct(pk, '(')) {
      sf_lex_next(&p->lx, NULL);
      if ((rc = new_expr(p, SF_SCR_EXPR_CALL, &t, out)) < 0)
        return rc;
      (*out)->call.name = name;
      return parse_items(p, depth + 1, ')', "in the arguments of a call",
                         &(*out)->call.args, &(*out)->call.n_args);
    }
    if ((rc = new_expr(p, SF_SCR_EXPR_WORD, &t, out)) < 0)
      return rc;
    (*out)->word = name;
    return 0;
  }
  case SF_TOK_PUNCT:
    if (t.ch == '[') {
      if ((rc = new_expr(p, SF_SCR_EXPR_LIST, &t, out)) < 0)
        return rc;
      return parse_items(p, depth + 1, ']', "in list", &(*out)->list.items,
                         &(*out)->list.n);
    }
    if (t.ch == '{')
      return parse_brace(p, depth, &t, out);
    break;
  default:
    break;
  }
  return sf_p_error(p, &t, true, "expected an expression");
}

static int parse_or(sf_parser *p, int depth, bool allow_call,
                    sf_script_expr **out) {
  int rc = parse_primary(p, depth, allow_call, out);
  if (rc < 0)
    return rc;
  const sf_tok *pk;
  if ((rc = sf_lex_peek(&p->lx, &pk)) < 0)
    return rc;
  if (!sf_tok_is_punct(pk, '|'))
    return 0;
  sf_script_expr *first = *out;
  size_t mark = p->n_stack;
  if ((rc = sf_p_push(p, first)) < 0)
    return rc;
  for (;;) {
    if ((rc = sf_lex_peek(&p->lx, &pk)) < 0)
      return rc;
    if (!sf_tok_is_punct(pk, '|'))
      break;
    sf_lex_next(&p->lx, NULL);
    sf_script_expr *e;
    if ((rc = parse_primary(p, depth, true, &e)) < 0)
      return rc;
    if ((rc = sf_p_push(p, e)) < 0)
      return rc;
  }
  sf_tok at = {.pos = first->pos};
  if ((rc = new_expr(p, SF_SCR_EXPR_OR, &at, out)) < 0)
    return rc;
  return sf_p_pop_array(p, mark, (void ***)&(*out)->list.items,
                        &(*out)->list.n);
}

int sf_parse_expr(sf_parser *p, int depth, bool allow_call,
                  sf_script_expr **out) {
  const sf_tok *pk;
  int rc = sf_lex_peek(&p->lx, &pk);
  if (rc < 0)
    return rc;
  if (depth >= SF_SCRIPT_MAX_DEPTH)
    return sf_p_error(p, pk, false,
                      "expression nested more than %d levels deep",
                      SF_SCRIPT_MAX_DEPTH);
  if ((rc = parse_or(p, depth, allow_call, out)) < 0)
    return rc;
  if ((rc = sf_lex_peek(&p->lx, &pk)) < 0)
    return rc;
  if (!sf_tok_is_punct(pk, '='))
    return 0;
  sf_tok eq = *pk;
  sf_script_expr *lhs = *out;
  if (lhs->kind != SF_SCR_EXPR_WORD && lhs->kind != SF_SCR_EXPR_CALL)
    return sf_p_error(p, &eq, false, "expected a name or a call before '='");
  sf_lex_next(&p->lx, NULL);
  sf_tok at = {.pos = lhs->pos};
  if ((rc = new_expr(p, SF_SCR_EXPR_ASSIGN, &at, out)) < 0)
    return rc;
  (*out)->assign.lhs = lhs;
  return sf_parse_expr(p, depth + 1, true, &(*out)->assign.rhs);
}
