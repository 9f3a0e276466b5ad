/* The script lexer: packetdrill's token rules (longest match, numbers before
 * words), positions, context-dependent scans and lexical errors. */
#include <check.h>
#include <errno.h>
#include <string.h>

#include "../script/script_internal.h"

Suite *tu_suite(void);

typedef struct lexed {
  sf_lexer lx;
  sf_script_error err;
} lexed;

static void lex_start(lexed *l, const char *text) {
  memset(l, 0, sizeof(*l));
  sf_lex_init(&l->lx, text, strlen(text), "t.pkt", &l->err);
}

static sf_tok next_ok(lexed *l) {
  sf_tok t;
  int rc = sf_lex_next(&l->lx, &t);
  ck_assert_msg(rc == 0, "lex error: %s", l->err.message);
  return t;
}

static void expect_tok(lexed *l, sf_tok_kind kind, const char *text) {
  sf_tok t = next_ok(l);
  ck_assert_int_eq(t.kind, kind);
  ck_assert_uint_eq(t.len, strlen(text));
  ck_assert(memcmp(t.text, text, t.len) == 0);
}

static void expect_lex_error(const char *text, const char *msg) {
  lexed l;
  lex_start(&l, text);
  int rc = 0;
  for (int i = 0; i < 100 && rc == 0; i++) {
    sf_tok t;
    rc = sf_lex_next(&l.lx, &t);
    if (rc == 0 && t.kind == SF_TOK_EOF)
      break;
  }
  ck_assert_int_eq(rc, -EINVAL);
  ck_assert_str_eq(l.err.message, msg);
}

START_TEST(test_integer_token_has_value) {
  lexed l;
  lex_start(&l, "32792");
  sf_tok t = next_ok(&l);
  ck_assert_int_eq(t.kind, SF_TOK_INT);
  ck_assert_int_eq(t.ival, 32792);
  ck_assert(!t.negative && !t.overflow);
}
END_TEST

START_TEST(test_negative_integer_is_one_token) {
  lexed l;
  lex_start(&l, "-1 EAGAIN");
  sf_tok t = next_ok(&l);
  ck_assert_int_eq(t.kind, SF_TOK_INT);
  ck_assert_int_eq(t.ival, -1);
  ck_assert(t.negative);
  expect_tok(&l, SF_TOK_WORD, "EAGAIN");
}
END_TEST

START_TEST(test_hex_integer_token) {
  lexed l;
  lex_start(&l, "0xffffffff");
  sf_tok t = next_ok(&l);
  ck_assert_int_eq(t.kind, SF_TOK_HEX);
  ck_assert_uint_eq(t.uval, 0xffffffffu);
}
END_TEST

START_TEST(test_float_forms_with_and_without_leading_digit) {
  lexed l;
  lex_start(&l, "0.1 .25 -.5 12.000");
  expect_tok(&l, SF_TOK_FLOAT, "0.1");
  expect_tok(&l, SF_TOK_FLOAT, ".25");
  expect_tok(&l, SF_TOK_FLOAT, "-.5");
  expect_tok(&l, SF_TOK_FLOAT, "12.000");
  ck_assert_int_eq(next_ok(&l).kind, SF_TOK_EOF);
}
END_TEST

START_TEST(test_integer_then_dot_is_not_a_float) {
  lexed l;
  lex_start(&l, "1.");
  expect_tok(&l, SF_TOK_INT, "1");
  expect_tok(&l, SF_TOK_PUNCT, ".");
}
END_TEST

START_TEST(test_digits_followed_by_letters_are_a_word) {
  lexed l;
  lex_start(&l, "12ab34 0x 0x1fg");
  expect_tok(&l, SF_TOK_WORD, "12ab34");
  expect_tok(&l, SF_TOK_WORD, "0x");
  expect_tok(&l, SF_TOK_WORD, "0x1fg");
}
END_TEST

START_TEST(test_ellipsis_between_times_splits_into_three_tokens) {
  lexed l;
  lex_start(&l, "+0...0.2 +.1...0.200");
  expect_tok(&l, SF_TOK_PUNCT, "+");
  expect_tok(&l, SF_TOK_INT, "0");
  expect_tok(&l, SF_TOK_ELLIPSIS, "...");
  expect_tok(&l, SF_TOK_FLOAT, "0.2");
  expect_tok(&l, SF_TOK_PUNCT, "+");
  expect_tok(&l, SF_TOK_FLOAT, ".1");
  expect_tok(&l, SF_TOK_ELLIPSIS, "...");
  expect_tok(&l, SF_TOK_FLOAT, "0.200");
}
END_TEST

START_TEST(test_option_token_takes_dots_and_dashes) {
  lexed l;
  lex_start(&l, "--profile.rto-min=200");
  expect_tok(&l, SF_TOK_OPTION, "--profile.rto-min");
  expect_tok(&l, SF_TOK_PUNCT, "=");
  expect_tok(&l, SF_TOK_INT, "200");
}
END_TEST

START_TEST(test_ipv4_address_is_one_token) {
  lexed l;
  lex_start(&l, "192.0.2.1: 1.2.3");
  expect_tok(&l, SF_TOK_IPV4, "192.0.2.1");
  expect_tok(&l, SF_TOK_PUNCT, ":");
  expect_tok(&l, SF_TOK_FLOAT, "1.2");
  expect_tok(&l, SF_TOK_FLOAT, ".3");
}
END_TEST

START_TEST(test_string_with_escaped_quote_is_one_token) {
  lexed l;
  lex_start(&l, "\"a\\\"b\" x");
  expect_tok(&l, SF_TOK_STRING, "\"a\\\"b\"");
  expect_tok(&l, SF_TOK_WORD, "x");
}
END_TEST

START_TEST(test_backquote_spans_lines_and_lines_are_counted) {
  lexed l;
  lex_start(&l, "`a\nb\nc` x");
  expect_tok(&l, SF_TOK_BACKQUOTE, "`a\nb\nc`");
  sf_tok t = next_ok(&l);
  ck_assert_uint_eq(t.pos.line, 3);
  ck_assert_uint_eq(t.pos.column, 4);
}
END_TEST

START_TEST(test_code_block_is_one_token) {
  lexed l;
  lex_start(&l, "%{ x = {1: 2} }% y");
  expect_tok(&l, SF_TOK_CODE, "%{ x = {1: 2} }%");
  expect_tok(&l, SF_TOK_WORD, "y");
}
END_TEST

START_TEST(test_comments_are_skipped_and_positions_stay_right) {
  lexed l;
  lex_start(&l, "// one\n/* two\n three */ +0 // four");
  sf_tok t = next_ok(&l);
  ck_assert(sf_tok_is_punct(&t, '+'));
  ck_assert_uint_eq(t.pos.line, 3);
  ck_assert_uint_eq(t.pos.column, 11);
  expect_tok(&l, SF_TOK_INT, "0");
  ck_assert_int_eq(next_ok(&l).kind, SF_TOK_EOF);
}
END_TEST

START_TEST(test_columns_count_bytes_from_one) {
  lexed l;
  lex_start(&l, "\tab  cd");
  sf_tok t = next_ok(&l);
  ck_assert_uint_eq(t.pos.line, 1);
  ck_assert_uint_eq(t.pos.column, 2);
  t = next_ok(&l);
  ck_assert_uint_eq(t.pos.column, 6);
}
END_TEST

START_TEST(test_unterminated_block_comment_reports_its_start) {
  expect_lex_error("x\n  /* never closed", "t.pkt:2:3: unterminated comment");
}
END_TEST

START_TEST(test_unterminated_string_reports_its_start) {
  expect_lex_error("f(\"abc", "t.pkt:1:3: unterminated string");
}
END_TEST

START_TEST(test_unterminated_command_reports_its_start) {
  expect_lex_error("`ls", "t.pkt:1:1: unterminated backquoted command");
}
END_TEST

START_TEST(test_unterminated_code_block_reports_its_start) {
  expect_lex_error(" %{ x", "t.pkt:1:2: unterminated %{ code }% block");
}
END_TEST

START_TEST(test_unexpected_byte_is_reported_in_hex) {
  expect_lex_error("a \xc3\xa9", "t.pkt:1:3: unexpected character '\\xc3'");
}
END_TEST

START_TEST(test_non_ascii_inside_comments_and_strings_is_fine) {
  lexed l;
  lex_start(&l, "// caf\xc3\xa9\n\"\xff\xfe\" /* \x80 */ x");
  expect_tok(&l, SF_TOK_STRING, "\"\xff\xfe\"");
  expect_tok(&l, SF_TOK_WORD, "x");
}
END_TEST

START_TEST(test_integer_overflow_is_flagged) {
  lexed l;
  lex_start(&l, "99999999999999999999 9223372036854775808 "
                "-9223372036854775808");
  ck_assert(next_ok(&l).overflow);
  ck_assert(next_ok(&l).overflow);
  sf_tok t = next_ok(&l);
  ck_assert(!t.overflow);
  ck_assert(t.ival == INT64_MIN);
}
END_TEST

START_TEST(test_peek_does_not_consume) {
  lexed l;
  lex_start(&l, "a b");
  const sf_tok *p;
  ck_assert_int_eq(sf_lex_peek(&l.lx, &p), 0);
  ck_assert(sf_tok_is_word(p, "a"));
  ck_assert_int_eq(sf_lex_peek(&l.lx, &p), 0);
  ck_assert(sf_tok_is_word(p, "a"));
  expect_tok(&l, SF_TOK_WORD, "a");
  expect_tok(&l, SF_TOK_WORD, "b");
}
END_TEST

START_TEST(test_restore_returns_to_a_saved_position) {
  lexed l;
  lex_start(&l, "a b c");
  sf_lex_next(&l.lx, NULL);
  sf_lex_mark m = sf_lex_save(&l.lx);
  sf_lex_next(&l.lx, NULL);
  sf_lex_restore(&l.lx, m);
  expect_tok(&l, SF_TOK_WORD, "b");
}
END_TEST

START_TEST(test_flags_scan_takes_dots_and_ace_digits) {
  lexed l;
  lex_start(&l, "  P.6 1:1(0)");
  const sf_tok *p;
  sf_lex_peek(&l.lx, &p); /* a peeked token is dropped by the scan */
  sf_tok f;
  ck_assert_int_eq(sf_lex_flags(&l.lx, &f), 0);
  ck_assert_uint_eq(f.len, 3);
  ck_assert(memcmp(f.text, "P.6", 3) == 0);
  ck_assert_uint_eq(f.pos.column, 3);
  expect_tok(&l, SF_TOK_INT, "1");
}
END_TEST

START_TEST(test_ipv6_scan_leaves_the_colon_that_ends_it) {
  lexed l;
  lex_start(&l, " 1::1111: gre");
  sf_tok a;
  ck_assert_int_eq(sf_lex_ipv6(&l.lx, &a), 0);
  ck_assert_uint_eq(a.len, 7);
  expect_tok(&l, SF_TOK_PUNCT, ":");
}
END_TEST

START_TEST(test_note_scan_stops_at_the_parenthesis) {
  lexed l;
  lex_start(&l, "(Resource temporarily unavailable) x");
  sf_tok open = next_ok(&l);
  const char *text;
  size_t len;
  ck_assert_int_eq(sf_lex_note(&l.lx, &open, &text, &len), 0);
  ck_assert_uint_eq(len, strlen("Resource temporarily unavailable"));
  expect_tok(&l, SF_TOK_WORD, "x");
}
END_TEST

START_TEST(test_note_without_close_on_its_line_is_an_error) {
  lexed l;
  lex_start(&l, "x (abc\n)");
  next_ok(&l);
  sf_tok open = next_ok(&l);
  const char *text;
  size_t len;
  ck_assert_int_eq(sf_lex_note(&l.lx, &open, &text, &len), -EINVAL);
  ck_assert_str_eq(l.err.message,
                   "t.pkt:1:3: unterminated note: expected ')' before the "
                   "end of the line");
}
END_TEST

START_TEST(test_option_value_scan_keeps_quoted_spaces_and_stops_at_comment) {
  lexed l;
  lex_start(&l, "CC=\"a b\" // comment");
  sf_tok v;
  ck_assert_int_eq(sf_lex_option_value(&l.lx, &v), 0);
  ck_assert_uint_eq(v.len, 8);
  ck_assert(memcmp(v.text, "CC=\"a b\"", 8) == 0);
  ck_assert_int_eq(next_ok(&l).kind, SF_TOK_EOF);
}
END_TEST

START_TEST(test_token_description_truncates_and_escapes) {
  char buf[64];
  sf_tok t = {.kind = SF_TOK_WORD,
              .text = "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz",
              .len = 52};
  sf_tok_describe(&t, buf, sizeof(buf));
  ck_assert_str_eq(buf, "'abcdefghijklmnopqrstuvwxyzabcdefghijklmn...'");
  sf_tok s = {.kind = SF_TOK_STRING, .text = "\"a\x01\nb\"", .len = 6};
  sf_tok_describe(&s, buf, sizeof(buf));
  ck_assert_str_eq(buf, "'\"a\\x01...'");
  sf_tok e = {.kind = SF_TOK_EOF};
  sf_tok_describe(&e, buf, sizeof(buf));
  ck_assert_str_eq(buf, "end of file");
}
END_TEST

START_TEST(test_comment_at_end_of_file_without_newline) {
  lexed l;
  lex_start(&l, "x // no newline");
  expect_tok(&l, SF_TOK_WORD, "x");
  ck_assert_int_eq(next_ok(&l).kind, SF_TOK_EOF);
}
END_TEST

Suite *tu_suite(void) {
  Suite *s = suite_create("script_lexer");
  TCase *tc = tcase_create("lexer");
  tcase_add_test(tc, test_integer_token_has_value);
  tcase_add_test(tc, test_negative_integer_is_one_token);
  tcase_add_test(tc, test_hex_integer_token);
  tcase_add_test(tc, test_float_forms_with_and_without_leading_digit);
  tcase_add_test(tc, test_integer_then_dot_is_not_a_float);
  tcase_add_test(tc, test_digits_followed_by_letters_are_a_word);
  tcase_add_test(tc, test_ellipsis_between_times_splits_into_three_tokens);
  tcase_add_test(tc, test_option_token_takes_dots_and_dashes);
  tcase_add_test(tc, test_ipv4_address_is_one_token);
  tcase_add_test(tc, test_string_with_escaped_quote_is_one_token);
  tcase_add_test(tc, test_backquote_spans_lines_and_lines_are_counted);
  tcase_add_test(tc, test_code_block_is_one_token);
  tcase_add_test(tc, test_comments_are_skipped_and_positions_stay_right);
  tcase_add_test(tc, test_columns_count_bytes_from_one);
  tcase_add_test(tc, test_unterminated_block_comment_reports_its_start);
  tcase_add_test(tc, test_unterminated_string_reports_its_start);
  tcase_add_test(tc, test_unterminated_command_reports_its_start);
  tcase_add_test(tc, test_unterminated_code_block_reports_its_start);
  tcase_add_test(tc, test_unexpected_byte_is_reported_in_hex);
  tcase_add_test(tc, test_non_ascii_inside_comments_and_strings_is_fine);
  tcase_add_test(tc, test_integer_overflow_is_flagged);
  tcase_add_test(tc, test_peek_does_not_consume);
  tcase_add_test(tc, test_restore_returns_to_a_saved_position);
  tcase_add_test(tc, test_flags_scan_takes_dots_and_ace_digits);
  tcase_add_test(tc, test_ipv6_scan_leaves_the_colon_that_ends_it);
  tcase_add_test(tc, test_note_scan_stops_at_the_parenthesis);
  tcase_add_test(tc, test_note_without_close_on_its_line_is_an_error);
  tcase_add_test(
      tc, test_option_value_scan_keeps_quoted_spaces_and_stops_at_comment);
  tcase_add_test(tc, test_token_description_truncates_and_escapes);
  tcase_add_test(tc, test_comment_at_end_of_file_without_newline);
  suite_add_tcase(s, tc);
  return s;
}
