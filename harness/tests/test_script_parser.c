/* The script parser: every construct of packetdrill's language that synfin
 * accepts, synfin's extensions, and every error message with its position. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "synfin/script.h"

Suite *tu_suite(void);

static sf_script *parse_ok(const char *text) {
  sf_script *s = NULL;
  sf_script_error err;
  int rc = sf_script_parse(text, strlen(text), "t.pkt", &s, &err);
  ck_assert_msg(rc == 0, "parse failed: %s", err.message);
  ck_assert_ptr_nonnull(s);
  return s;
}

static void expect_error(const char *text, const char *msg) {
  sf_script *s = NULL;
  sf_script_error err;
  int rc = sf_script_parse(text, strlen(text), "t.pkt", &s, &err);
  ck_assert_msg(rc < 0, "unexpectedly parsed: %s", text);
  ck_assert_int_eq(rc, err.code);
  ck_assert_ptr_null(s);
  ck_assert_str_eq(err.message, msg);
}

/* The packet of a script holding one event: a packet. */
static const sf_script_packet *packet_of(const sf_script *s) {
  ck_assert_uint_eq(s->n_events, 1);
  ck_assert_int_eq(s->events[0].kind, SF_SCR_EV_PACKET);
  return &s->events[0].packet;
}

static const sf_script_syscall *syscall_of(const sf_script *s) {
  ck_assert_uint_eq(s->n_events, 1);
  ck_assert_int_eq(s->events[0].kind, SF_SCR_EV_SYSCALL);
  return &s->events[0].syscall;
}

static void expect_expr_text(const sf_script_expr *e, const char *text) {
  char *out;
  ck_assert_int_eq(sf_script_format_expr(e, &out, NULL), 0);
  ck_assert_str_eq(out, text);
  free(out);
}

/* ---- file structure ---- */

START_TEST(test_option_lines_keep_name_value_and_line) {
  sf_script *s = parse_ok("--tolerance_usecs=10000\n"
                          "// comment\n"
                          "--ip_version=ipv4-mapped-ipv6 --mss=1000\n"
                          "--no_such_option=x\n"
                          "0 close(3) = 0\n");
  ck_assert_uint_eq(s->n_options, 4);
  ck_assert_str_eq(s->options[0].name, "tolerance_usecs");
  ck_assert_str_eq(s->options[0].value, "10000");
  ck_assert_uint_eq(s->options[0].pos.line, 1);
  ck_assert_str_eq(s->options[1].name, "ip_version");
  ck_assert_str_eq(s->options[1].value, "ipv4-mapped-ipv6");
  ck_assert_uint_eq(s->options[1].pos.line, 3);
  ck_assert_str_eq(s->options[2].name, "mss");
  ck_assert_uint_eq(s->options[2].pos.column, 31);
  ck_assert_str_eq(s->options[3].name, "no_such_option");
  sf_script_free(s);
}
END_TEST

START_TEST(test_option_without_value_has_null_value) {
  sf_script *s = parse_ok("--strict_segments\n--dry_run   // just parse\n");
  ck_assert_uint_eq(s->n_options, 2);
  ck_assert_ptr_null(s->options[0].value);
  ck_assert_str_eq(s->options[1].name, "dry_run");
  ck_assert_ptr_null(s->options[1].value);
  ck_assert_uint_eq(s->n_events, 0);
  sf_script_free(s);
}
END_TEST

START_TEST(test_quoted_option_value_is_unquoted) {
  sf_script *s = parse_ok("--define=CC=\"reno\"\n--name=\"a b\"\n");
  ck_assert_str_eq(s->options[0].value, "CC=\"reno\"");
  ck_assert(!s->options[0].quoted);
  ck_assert_str_eq(s->options[1].value, "a b");
  ck_assert(s->options[1].quoted);
  sf_script_free(s);
}
END_TEST

START_TEST(test_profile_options_are_ordinary_options) {
  sf_script *s = parse_ok("--profile=rfc\n--profile.rto_min_us=1000000\n");
  ck_assert_str_eq(s->options[0].name, "profile");
  ck_assert_str_eq(s->options[0].value, "rfc");
  ck_assert_str_eq(s->options[1].name, "profile.rto_min_us");
  ck_assert_str_eq(s->options[1].value, "1000000");
  sf_script_free(s);
}
END_TEST

START_TEST(test_option_with_empty_value_is_rejected) {
  expect_error("--mss= // nothing\n",
               "t.pkt:1:8: expected a value after '--mss='");
}
END_TEST

START_TEST(test_option_after_event_is_rejected) {
  expect_error("0 close(3) = 0\n--mss=1000\n",
               "t.pkt:2:1: option lines must come before the init command "
               "and the events");
}
END_TEST

START_TEST(test_init_and_cleanup_commands) {
  sf_script *s = parse_ok("--x=1\n"
                          "`../common/defaults.sh\n"
                          "sysctl -q net.ipv4.tcp_sack=1`\n"
                          "0 close(3) = 0\n"
                          "`echo done`\n");
  ck_assert_str_eq(s->init_command,
                   "../common/defaults.sh\nsysctl -q net.ipv4.tcp_sack=1");
  ck_assert_uint_eq(s->init_pos.line, 2);
  ck_assert_str_eq(s->cleanup_command, "echo done");
  ck_assert_uint_eq(s->cleanup_pos.line, 5);
  ck_assert_uint_eq(s->n_events, 1);
  sf_script_free(s);
}
END_TEST

START_TEST(test_second_untimed_command_before_events_is_rejected) {
  expect_error("`a`\n`b`\n",
               "t.pkt:2:1: expected an event time before this command (only "
               "one untimed command may precede the events)");
}
END_TEST

START_TEST(test_anything_after_cleanup_command_is_rejected) {
  expect_error("0 close(3) = 0\n`a`\n+0 close(4) = 0\n",
               "t.pkt:3:1: expected end of file after the cleanup command, "
               "got '+'");
}
END_TEST

START_TEST(test_empty_script_parses_with_no_events) {
  sf_script *s = parse_ok("// nothing here\n");
  ck_assert_uint_eq(s->n_events, 0);
  ck_assert_uint_eq(s->n_options, 0);
  ck_assert_ptr_null(s->init_command);
  ck_assert_str_eq(s->name, "t.pkt");
  sf_script_free(s);
}
END_TEST

START_TEST(test_timed_command_and_code_are_events) {
  sf_script *s = parse_ok("+0 `sysctl -q x=1`\n"
                          "+0 %{ assert tcpi_rto == 1000 }%\n");
  ck_assert_uint_eq(s->n_events, 2);
  ck_assert_int_eq(s->events[0].kind, SF_SCR_EV_COMMAND);
  ck_assert_str_eq(s->events[0].command.text, "sysctl -q x=1");
  ck_assert_int_eq(s->events[1].kind, SF_SCR_EV_CODE);
  ck_assert_str_eq(s->events[1].code.text, "assert tcpi_rto == 1000");
  ck_assert_uint_eq(s->events[1].pos.line, 2);
  sf_script_free(s);
}
END_TEST

/* ---- times ---- */

START_TEST(test_absolute_time_in_microseconds) {
  sf_script *s = parse_ok("1.5 close(3) = 0\n");
  ck_assert_int_eq(s->events[0].time.kind, SF_SCR_TIME_ABSOLUTE);
  ck_assert_int_eq(s->events[0].time.start_us, 1500000);
  ck_assert_int_eq(s->events[0].time.end_us, SF_SCRIPT_NO_END);
  sf_script_free(s);
}
END_TEST

START_TEST(test_relative_time_is_parsed_as_offset) {
  sf_script *s = parse_ok("+0.25 close(3) = 0\n+2 close(3) = 0\n");
  ck_assert_int_eq(s->events[0].time.kind, SF_SCR_TIME_RELATIVE);
  ck_assert_int_eq(s->events[0].time.start_us, 250000);
  ck_assert_int_eq(s->events[1].time.start_us, 2000000);
  sf_script_free(s);
}
END_TEST

START_TEST(test_time_without_leading_digit) {
  sf_script *s = parse_ok("+.1 close(3) = 0\n.002 close(3) = 0\n");
  ck_assert_int_eq(s->events[0].time.start_us, 100000);
  ck_assert_int_eq(s->events[1].time.kind, SF_SCR_TIME_ABSOLUTE);
  ck_assert_int_eq(s->events[1].time.start_us, 2000);
  sf_script_free(s);
}
END_TEST

START_TEST(test_digits_beyond_microseconds_are_truncated) {
  sf_script *s = parse_ok("0.0000019 close(3) = 0\n");
  ck_assert_int_eq(s->events[0].time.start_us, 1);
  sf_script_free(s);
}
END_TEST

START_TEST(test_any_time_on_outbound_packet) {
  sf_script *s = parse_ok("* > F. 1:1(0) ack 1\n");
  ck_assert_int_eq(s->events[0].time.kind, SF_SCR_TIME_ANY);
  sf_script_free(s);
}
END_TEST

START_TEST(test_any_time_on_system_call_is_rejected) {
  expect_error("0 close(3) = 0\n  * close(3) = 0\n",
               "t.pkt:2:3: event time '*' can only be used with outbound "
               "packets");
}
END_TEST

START_TEST(test_absolute_time_range) {
  sf_script *s = parse_ok("0.1~0.2 > P. 1:41(40) ack 1\n");
  ck_assert_int_eq(s->events[0].time.kind, SF_SCR_TIME_ABSOLUTE_RANGE);
  ck_assert_int_eq(s->events[0].time.start_us, 100000);
  ck_assert_int_eq(s->events[0].time.end_us, 200000);
  sf_script_free(s);
}
END_TEST

START_TEST(test_relative_time_range) {
  sf_script *s = parse_ok("+.21~+.215 > P. 1:41(40) ack 1\n");
  ck_assert_int_eq(s->events[0].time.kind, SF_SCR_TIME_RELATIVE_RANGE);
  ck_assert_int_eq(s->events[0].time.start_us, 210000);
  ck_assert_int_eq(s->events[0].time.end_us, 215000);
  sf_script_free(s);
}
END_TEST

START_TEST(test_time_range_on_inbound_packet_is_rejected) {
  expect_error("+0~+1 < . 1:1(0) ack 1 win 100\n",
               "t.pkt:1:1: event time ranges can only be used with outbound "
               "packets");
}
END_TEST

START_TEST(test_backwards_time_range_is_rejected) {
  expect_error("0.2~0.1 > . 1:1(0)\n",
               "t.pkt:1:4: time range is backwards: it ends before it "
               "starts");
}
END_TEST

START_TEST(test_relative_range_needs_plus_on_its_end) {
  expect_error("+0.1~0.2 > . 1:1(0)\n",
               "t.pkt:1:6: expected '+' after '~' in a relative time range, "
               "got '0.2'");
}
END_TEST

START_TEST(test_absolute_range_with_relative_end_is_rejected) {
  expect_error("0.1~+0.2 > . 1:1(0)\n",
               "t.pkt:1:5: a range from an absolute time must end at an "
               "absolute time");
}
END_TEST

START_TEST(test_blocking_call_end_time) {
  sf_script *s = parse_ok("+0...0.100 read(4, ..., 2000) = 2000\n");
  const sf_script_event *ev = &s->events[0];
  ck_assert_int_eq(ev->time.kind, SF_SCR_TIME_RELATIVE);
  ck_assert_int_eq(ev->time.start_us, 0);
  ck_assert_int_eq(ev->time.end_us, 100000);
  ck_assert_str_eq(ev->syscall.name, "read");
  sf_script_free(s);
}
END_TEST

START_TEST(test_blocking_call_with_spaces_around_ellipsis) {
  sf_script *s = parse_ok("+.002 ... 0.052 connect(4, ..., ...) = 0\n");
  ck_assert_int_eq(s->events[0].time.start_us, 2000);
  ck_assert_int_eq(s->events[0].time.end_us, 52000);
  sf_script_free(s);
}
END_TEST

START_TEST(test_blocking_call_without_end_time_is_rejected) {
  expect_error("+0... read(4, ..., 1) = 1\n",
               "t.pkt:1:7: expected the end time of a blocking system call "
               "after '...', got 'read'");
}
END_TEST

START_TEST(test_negative_time_is_rejected) {
  expect_error("-1 close(3) = 0\n", "t.pkt:1:1: negative time -1");
}
END_TEST

START_TEST(test_time_beyond_limit_is_rejected) {
  expect_error("+1000000000001 close(3) = 0\n",
               "t.pkt:1:2: time 1000000000001 out of range (at most "
               "1000000000000 seconds)");
  sf_script *s = parse_ok("1000000000000.999999 close(3) = 0\n");
  ck_assert_int_eq(s->events[0].time.start_us, 1000000000000999999);
  sf_script_free(s);
}
END_TEST

START_TEST(test_missing_event_time_is_reported) {
  expect_error("close(3) = 0\n",
               "t.pkt:1:1: expected an event time (e.g. 0.1, +0.1 or *), got "
               "'close'");
  expect_error("+ close(3) = 0\n",
               "t.pkt:1:3: expected a time after '+', got 'close'");
}
END_TEST

START_TEST(test_missing_action_after_time_is_reported) {
  expect_error("0 ! x\n",
               "t.pkt:1:3: expected a packet ('<' or '>'), a system call, a "
               "`command` or %{ code }% after the event time, got '!'");
  expect_error("0",
               "t.pkt:1:2: expected a packet ('<' or '>'), a system call, a "
               "`command` or %{ code }% after the event time, got end of "
               "file");
}
END_TEST

/* ---- TCP packets ---- */

START_TEST(test_syn_packet_fields) {
  sf_script *s = parse_ok("+.1 < S 0:0(0) win 32792 <mss 1000,nop,wscale 7>\n");
  const sf_script_packet *p = packet_of(s);
  ck_assert_int_eq(p->dir, SF_SCR_INBOUND);
  ck_assert_int_eq(p->kind, SF_SCR_PKT_TCP);
  ck_assert_uint_eq(p->tcp.flags, SF_SCR_TCP_SYN);
  ck_assert_int_eq(p->tcp.ace, -1);
  ck_assert_uint_eq(p->tcp.seq.start, 0);
  ck_assert_uint_eq(p->tcp.seq.end, 0);
  ck_assert_uint_eq(p->tcp.seq.len, 0);
  ck_assert_uint_eq(p->tcp.present,
                    SF_SCR_TCP_HAS_WIN | SF_SCR_TCP_HAS_OPTIONS);
  ck_assert_uint_eq(p->tcp.win, 32792);
  ck_assert_uint_eq(p->tcp.n_options, 3);
  ck_assert_uint_eq(p->n_encaps, 0);
  ck_assert(!p->has_ports);
  ck_assert_uint_eq(p->ip.present, 0);
  sf_script_free(s);
}
END_TEST

START_TEST(test_flag_words_set_their_bits) {
  static const struct {
    const char *word;
    uint16_t flags;
  } cases[] = {
      {"S", SF_SCR_TCP_SYN},
      {"S.", SF_SCR_TCP_SYN | SF_SCR_TCP_ACK},
      {"F.", SF_SCR_TCP_FIN | SF_SCR_TCP_ACK},
      {"P.", SF_SCR_TCP_PSH | SF_SCR_TCP_ACK},
      {"R.", SF_SCR_TCP_RST | SF_SCR_TCP_ACK},
      {"R", SF_SCR_TCP_RST},
      {".", SF_SCR_TCP_ACK},
      {"FPU.",
       SF_SCR_TCP_FIN | SF_SCR_TCP_PSH | SF_SCR_TCP_URG | SF_SCR_TCP_ACK},
      {"SEW", SF_SCR_TCP_SYN | SF_SCR_TCP_ECE | SF_SCR_TCP_CWR},
      {"SEWA",
       SF_SCR_TCP_SYN | SF_SCR_TCP_ECE | SF_SCR_TCP_CWR | SF_SCR_TCP_AE},
      {"-", 0},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char text[64];
    snprintf(text, sizeof(text), "0 > %s 1:1(0)\n", cases[i].word);
    sf_script *s = parse_ok(text);
    ck_assert_msg(packet_of(s)->tcp.flags == cases[i].flags, "flags %s",
                  cases[i].word);
    sf_script_free(s);
  }
}
END_TEST

START_TEST(test_ace_digit_after_ack_flag) {
  sf_script *s = parse_ok("0 > P.6 1:101(100) ack 1\n");
  ck_assert_uint_eq(packet_of(s)->tcp.flags, SF_SCR_TCP_PSH | SF_SCR_TCP_ACK);
  ck_assert_int_eq(packet_of(s)->tcp.ace, 6);
  sf_script_free(s);
  s = parse_ok("0 > .5 1:1(0) ack 1\n");
  ck_assert_int_eq(packet_of(s)->tcp.ace, 5);
  sf_script_free(s);
}
END_TEST

START_TEST(test_ace_digit_conflicts_with_ecn_flags) {
  expect_error("0 > E.5 1:1(0)\n",
               "t.pkt:1:7: conflicting TCP flag '5' in 'E.5': ECN flags and "
               "an ACE digit exclude each other");
}
END_TEST

START_TEST(test_invalid_flag_reports_its_column) {
  expect_error("0 > SX. 1:1(0)\n",
               "t.pkt:1:6: invalid TCP flag 'X' in 'SX.' (flags are F S R P "
               ". U E W A, an ACE digit 0-7, or -)");
}
END_TEST

START_TEST(test_missing_flags_is_reported) {
  expect_error("0 > 1:1(0)\n",
               "t.pkt:1:5: expected TCP flags (e.g. S, S., ., P., F. or -), "
               "got '1'");
}
END_TEST

START_TEST(test_ack_win_urg_presence_is_recorded) {
  sf_script *s = parse_ok("0 < P. 1:11(10) ack 5 win 100 urg 3\n");
  const sf_script_tcp *t = &packet_of(s)->tcp;
  ck_assert_uint_eq(t->present, SF_SCR_TCP_HAS_ACK | SF_SCR_TCP_HAS_WIN |
                                    SF_SCR_TCP_HAS_URG);
  ck_assert_uint_eq(t->ack, 5);
  ck_assert_uint_eq(t->win, 100);
  ck_assert_uint_eq(t->urg, 3);
  ck_assert_uint_eq(t->seq.start, 1);
  ck_assert_uint_eq(t->seq.end, 11);
  ck_assert_uint_eq(t->seq.len, 10);
  sf_script_free(s);
}
END_TEST

START_TEST(test_outbound_packet_without_win_leaves_it_unchecked) {
  sf_script *s = parse_ok("0 > . 1:1(0) ack 1\n");
  ck_assert_uint_eq(packet_of(s)->tcp.present, SF_SCR_TCP_HAS_ACK);
  sf_script_free(s);
}
END_TEST

START_TEST(test_inbound_packet_without_win_is_rejected) {
  expect_error("0 < . 1:1(0) ack 1\n",
               "t.pkt:1:3: inbound TCP packets need a window ('win N')");
}
END_TEST

START_TEST(test_missing_ack_value_reports_line_and_column) {
  expect_error("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
               "+0 < . 1:1(0) ack win 257\n",
               "t.pkt:2:19: expected ack number, got 'win'");
}
END_TEST

START_TEST(test_unknown_word_after_sequence_range_is_reported) {
  expect_error("+0 > . 1:1(0) wnd 100\n",
               "t.pkt:1:15: expected 'ack', 'win', 'urg' or '<' after "
               "sequence range, got 'wnd'");
  expect_error("+0 > . 1:1(0) ack 1 wnd 100\n",
               "t.pkt:1:21: expected 'win', 'urg' or '<' after ack number, "
               "got 'wnd'");
  expect_error("+0 < . 1:1(0) win 1 ack 1\n",
               "t.pkt:1:21: expected 'urg' or '<' after window, got 'ack'");
}
END_TEST

START_TEST(test_sequence_number_out_of_range) {
  expect_error("0 > . 4294967296:4294967296(0)\n",
               "t.pkt:1:7: sequence number 4294967296 out of range "
               "(0..4294967295)");
  sf_script *s = parse_ok("0 > . 4294967295:4294967295(0) ack 4294967295\n");
  ck_assert_uint_eq(packet_of(s)->tcp.seq.start, 4294967295u);
  ck_assert_uint_eq(packet_of(s)->tcp.ack, 4294967295u);
  sf_script_free(s);
}
END_TEST

START_TEST(test_ack_number_out_of_range) {
  expect_error("0 > . 1:1(0) ack 4294967296\n",
               "t.pkt:1:18: ack number 4294967296 out of range "
               "(0..4294967295)");
  expect_error("0 > . 1:1(0) ack -1\n",
               "t.pkt:1:18: ack number -1 out of range (0..4294967295)");
}
END_TEST

START_TEST(test_inconsistent_sequence_range_is_rejected) {
  expect_error("0 > . 1:1002(1000)\n",
               "t.pkt:1:7: inconsistent sequence range: end 1002 is not "
               "start 1 + length 1000");
}
END_TEST

START_TEST(test_payload_length_out_of_range) {
  expect_error("0 > . 1:65538(65537)\n",
               "t.pkt:1:15: payload length 65537 out of range (0..65535)");
}
END_TEST

START_TEST(test_malformed_sequence_range_is_reported) {
  expect_error("0 > . 1-2(1)\n",
               "t.pkt:1:8: expected ':' in sequence range start:end(length), "
               "got '-2'");
  expect_error("0 > . 1:2 1\n",
               "t.pkt:1:11: expected '(' after sequence range end, got '1'");
  expect_error("0 > S win 1\n",
               "t.pkt:1:7: expected sequence range start:end(length) after "
               "TCP flags, got 'win'");
}
END_TEST

START_TEST(test_window_out_of_range) {
  expect_error("0 < . 1:1(0) ack 1 win 65536\n",
               "t.pkt:1:24: window 65536 out of range (0..65535)");
}
END_TEST

START_TEST(test_urgent_pointer_out_of_range) {
  expect_error("0 < . 1:1(0) win 1 urg 70000\n",
               "t.pkt:1:24: urgent pointer 70000 out of range (0..65535)");
}
END_TEST

START_TEST(test_explicit_ports) {
  sf_script *s = parse_ok("0 < 8080>80 S 0:0(0) win 100\n");
  const sf_script_packet *p = packet_of(s);
  ck_assert(p->has_ports);
  ck_assert_uint_eq(p->sport, 8080);
  ck_assert_uint_eq(p->dport, 80);
  sf_script_free(s);
}
END_TEST

START_TEST(test_port_out_of_range) {
  expect_error("0 < 70000>80 S 0:0(0) win 100\n",
               "t.pkt:1:5: source port 70000 out of range (0..65535)");
}
END_TEST

/* ---- TCP options ---- */

START_TEST(test_tcp_option_list_items) {
  sf_script *s =
      parse_ok("0 > S. 0:0(0) ack 1 <mss 1460,sackOK,TS val 100 ecr 0,nop,"
               "wscale 8,eol>\n");
  const sf_script_tcp *t = &packet_of(s)->tcp;
  ck_assert_uint_eq(t->n_options, 6);
  ck_assert_int_eq(t->options[0].kind, SF_SCR_OPT_MSS);
  ck_assert_uint_eq(t->options[0].mss, 1460);
  ck_assert_int_eq(t->options[1].kind, SF_SCR_OPT_SACK_PERMITTED);
  ck_assert_int_eq(t->options[2].kind, SF_SCR_OPT_TIMESTAMP);
  ck_assert_uint_eq(t->options[2].ts_val, 100);
  ck_assert_uint_eq(t->options[2].ts_ecr, 0);
  ck_assert_int_eq(t->options[3].kind, SF_SCR_OPT_NOP);
  ck_assert_int_eq(t->options[4].kind, SF_SCR_OPT_WSCALE);
  ck_assert_uint_eq(t->options[4].wscale, 8);
  ck_assert_int_eq(t->options[5].kind, SF_SCR_OPT_EOL);
  ck_assert_uint_eq(t->options[5].pos.column, 68);
  sf_script_free(s);
}
END_TEST

START_TEST(test_sack_blocks) {
  sf_script *s =
      parse_ok("0 > . 1:1(0) ack 1 <nop,nop,sack 1001:2001 3001:4001>\n");
  const sf_script_tcp_option *o = &packet_of(s)->tcp.options[2];
  ck_assert_int_eq(o->kind, SF_SCR_OPT_SACK);
  ck_assert_uint_eq(o->n_sack, 2);
  ck_assert_uint_eq(o->sack[0].left, 1001);
  ck_assert_uint_eq(o->sack[0].right, 2001);
  ck_assert_uint_eq(o->sack[1].left, 3001);
  ck_assert_uint_eq(o->sack[1].right, 4001);
  sf_script_free(s);
}
END_TEST

START_TEST(test_too_many_sack_blocks_is_rejected) {
  expect_error("0 > . 1:1(0) <sack 1:2 3:4 5:6 7:8 9:10>\n",
               "t.pkt:1:36: too many SACK blocks (at most 4)");
}
END_TEST

START_TEST(test_options_wildcard_on_outbound_packet) {
  sf_script *s = parse_ok("0 > S. 0:0(0) ack 1 <...>\n");
  const sf_script_tcp *t = &packet_of(s)->tcp;
  ck_assert(t->options_any);
  ck_assert(t->present & SF_SCR_TCP_HAS_OPTIONS);
  ck_assert_uint_eq(t->n_options, 0);
  sf_script_free(s);
}
END_TEST

START_TEST(test_options_wildcard_on_inbound_packet_is_rejected) {
  expect_error("0 < S 0:0(0) win 1 <...>\n",
               "t.pkt:1:20: <...> for TCP options can only be used with "
               "outbound packets");
}
END_TEST

START_TEST(test_mss_out_of_range) {
  expect_error("0 < S 0:0(0) win 1 <mss 65536>\n",
               "t.pkt:1:25: mss 65536 out of range (0..65535)");
}
END_TEST

START_TEST(test_wscale_range_is_a_byte) {
  expect_error("0 < S 0:0(0) win 1 <wscale 256>\n",
               "t.pkt:1:28: wscale 256 out of range (0..255)");
  sf_script *s = parse_ok("0 < S 0:0(0) win 1 <wscale 15>\n");
  ck_assert_uint_eq(packet_of(s)->tcp.options[0].wscale, 15);
  sf_script_free(s);
}
END_TEST

START_TEST(test_wscale_wildcard) {
  sf_script *s = parse_ok("0 > S. 0:0(0) ack 1 <wscale *>\n");
  ck_assert(packet_of(s)->tcp.options[0].wscale_any);
  sf_script_free(s);
}
END_TEST

START_TEST(test_timestamp_values_out_of_range) {
  expect_error("0 > . 1:1(0) <TS val 4294967296 ecr 0>\n",
               "t.pkt:1:22: TS val 4294967296 out of range (0..4294967295)");
  expect_error("0 > . 1:1(0) <TS 1 ecr 0>\n",
               "t.pkt:1:18: expected 'val' after 'TS', got '1'");
}
END_TEST

START_TEST(test_md5_and_fast_open_are_kept) {
  sf_script *s =
      parse_ok("0 > S 0:0(0) <md5 000102030405060708090a0b0c0d0e0f,FO "
               "12345678,FOEXP>\n");
  const sf_script_tcp *t = &packet_of(s)->tcp;
  ck_assert_int_eq(t->options[0].kind, SF_SCR_OPT_MD5);
  ck_assert_uint_eq(t->options[0].n_hex, 16);
  ck_assert_uint_eq(t->options[0].hex[15], 0x0f);
  ck_assert_int_eq(t->options[1].kind, SF_SCR_OPT_FAST_OPEN);
  ck_assert_uint_eq(t->options[1].n_hex, 4);
  ck_assert_uint_eq(t->options[1].hex[0], 0x12);
  ck_assert_int_eq(t->options[2].kind, SF_SCR_OPT_FAST_OPEN_EXP);
  ck_assert_uint_eq(t->options[2].n_hex, 0);
  sf_script_free(s);
}
END_TEST

START_TEST(test_bad_hex_after_fast_open_is_rejected) {
  expect_error("0 > S 0:0(0) <FO abc>\n",
               "t.pkt:1:18: odd number of hex digits after 'FO'");
  expect_error("0 > S 0:0(0) <FO abcg>\n",
               "t.pkt:1:18: invalid hex digit 'g' after 'FO'");
}
END_TEST

START_TEST(test_unknown_option_is_kept_with_its_arguments) {
  sf_script *s = parse_ok("0 > . 1:1(0) ack 1 <ECN e1b 1 ceb 0 e0b 1,nop,"
                          "mptcp key[a, b]=0x1>\n");
  const sf_script_tcp *t = &packet_of(s)->tcp;
  ck_assert_uint_eq(t->n_options, 3);
  ck_assert_int_eq(t->options[0].kind, SF_SCR_OPT_UNKNOWN);
  ck_assert_str_eq(t->options[0].name, "ECN");
  ck_assert_str_eq(t->options[0].args, "e1b 1 ceb 0 e0b 1");
  ck_assert_str_eq(t->options[2].name, "mptcp");
  ck_assert_str_eq(t->options[2].args, "key[a, b]=0x1");
  sf_script_free(s);
}
END_TEST

START_TEST(test_options_longer_than_40_bytes_are_rejected) {
  expect_error("0 > S 0:0(0) <mss 1,TS val 1 ecr 1,sack 1:2 3:4 5:6,wscale "
               "1>\n",
               "t.pkt:1:14: TCP options take 43 bytes, more than the 40 "
               "there is room for");
}
END_TEST

START_TEST(test_missing_comma_between_options_is_reported) {
  expect_error("0 > S 0:0(0) <mss 1460 nop>\n",
               "t.pkt:1:24: expected ',' or '>' after TCP option, got 'nop'");
  expect_error("0 > S 0:0(0) <mss>\n", "t.pkt:1:18: expected mss, got '>'");
  expect_error("0 > S 0:0(0) <,>\n",
               "t.pkt:1:15: expected a TCP option (e.g. mss 1460, nop, "
               "sackOK), got ','");
}
END_TEST

/* ---- IP attributes ---- */

START_TEST(test_ecn_attributes) {
  static const struct {
    const char *text;
    sf_script_ecn ecn;
  } cases[] = {
      {"0 > (noecn) . 1:1(0)\n", SF_SCR_ECN_NOECN},
      {"0 > (ect0) . 1:1(0)\n", SF_SCR_ECN_ECT0},
      {"0 > [ect1] . 1:1(0)\n", SF_SCR_ECN_ECT1},
      {"0 > [ect01] . 1:1(0)\n", SF_SCR_ECN_ECT01},
      {"0 < (ce) . 1:1(0) win 1\n", SF_SCR_ECN_CE},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    sf_script *s = parse_ok(cases[i].text);
    ck_assert_int_eq(packet_of(s)->ip.ecn, cases[i].ecn);
    sf_script_free(s);
  }
}
END_TEST

START_TEST(test_tos_ttl_and_flowlabel) {
  sf_script *s = parse_ok("0 < (tos 0x10, ttl 64, flowlabel 0x12345) . "
                          "1:1(0) win 1\n");
  const sf_script_ip *ip = &packet_of(s)->ip;
  ck_assert_uint_eq(ip->present,
                    SF_SCR_IP_TOS | SF_SCR_IP_TTL | SF_SCR_IP_FLOWLABEL);
  ck_assert_uint_eq(ip->tos, 0x10);
  ck_assert_uint_eq(ip->ttl, 64);
  ck_assert_uint_eq(ip->flowlabel, 0x12345);
  ck_assert_int_eq(ip->ecn, SF_SCR_ECN_UNSPEC);
  sf_script_free(s);
}
END_TEST

START_TEST(test_ttl_out_of_range) {
  expect_error("0 < (ttl 256) . 1:1(0) win 1\n",
               "t.pkt:1:10: ttl 256 out of range (0..255)");
}
END_TEST

START_TEST(test_tos_with_ecn_codepoint_is_rejected) {
  expect_error("0 > (ect0, tos 0x4) . 1:1(0)\n",
               "t.pkt:1:12: 'tos' and an ECN codepoint cannot both be given");
}
END_TEST

START_TEST(test_ect01_on_inbound_packet_is_rejected) {
  expect_error("0 < [ect01] . 1:1(0) win 1\n",
               "t.pkt:1:6: ect01 can only be used with outbound packets");
}
END_TEST

START_TEST(test_extension_attributes_parse) {
  sf_script *s =
      parse_ok("0 < (ip_csum bad, tcp_csum bad, ihl 4, ip_len 20, ip_id 7, "
               "ip_proto 17, df, frag_size 16, frag_order shuffle(42), "
               "tcp_doff 3) S 0:0(0) win 1\n");
  const sf_script_ip *ip = &packet_of(s)->ip;
  ck_assert_uint_eq(ip->present, SF_SCR_IP_EXTENSIONS);
  ck_assert_uint_eq(ip->ihl, 4);
  ck_assert_uint_eq(ip->ip_len, 20);
  ck_assert_uint_eq(ip->ip_id, 7);
  ck_assert_uint_eq(ip->ip_proto, 17);
  ck_assert_uint_eq(ip->frag_size, 16);
  ck_assert_int_eq(ip->frag_order, SF_SCR_FRAG_SHUFFLE);
  ck_assert_uint_eq(ip->frag_seed, 42);
  ck_assert_uint_eq(ip->tcp_doff, 3);
  sf_script_free(s);
  s = parse_ok("0 < (frag_size 8, frag_order reverse) . 1:1(0) win 1\n");
  ck_assert_int_eq(packet_of(s)->ip.frag_order, SF_SCR_FRAG_REVERSE);
  sf_script_free(s);
}
END_TEST

START_TEST(test_extension_attribute_on_outbound_packet_is_rejected) {
  expect_error("0 > (ttl 64, ip_csum bad) . 1:1(0)\n",
               "t.pkt:1:14: 'ip_csum' can only be used with inbound packets");
}
END_TEST

START_TEST(test_extension_attribute_values_are_checked) {
  expect_error("0 < (ihl 16) . 1:1(0) win 1\n",
               "t.pkt:1:10: ihl 16 out of range (0..15)");
  expect_error("0 < (ip_csum good) . 1:1(0) win 1\n",
               "t.pkt:1:14: expected 'bad' after 'ip_csum', got 'good'");
  expect_error("0 < (frag_order random) . 1:1(0) win 1\n",
               "t.pkt:1:17: expected 'reverse' or 'shuffle(SEED)' after "
               "'frag_order', got 'random'");
}
END_TEST

START_TEST(test_frag_size_must_be_a_multiple_of_8) {
  expect_error("0 < (frag_size 12) . 1:1(0) win 1\n",
               "t.pkt:1:16: frag_size 12 is not a positive multiple of 8");
}
END_TEST

START_TEST(test_frag_order_needs_frag_size) {
  expect_error("0 < (frag_order reverse) . 1:1(0) win 1\n",
               "t.pkt:1:6: 'frag_order' needs 'frag_size'");
}
END_TEST

START_TEST(test_ip_opts_are_kept_as_bytes) {
  sf_script *s = parse_ok("0 < (ip_opts <nop, lsrr [198.51.100.1 "
                          "198.51.100.2] ptr 12>) S 0:0(0) win 1\n");
  const sf_script_ip *ip = &packet_of(s)->ip;
  static const uint8_t want[] = {1,   131, 11,  12, 198, 51,
                                 100, 1,   198, 51, 100, 2};
  ck_assert(ip->present & SF_SCR_IP_IP_OPTS);
  ck_assert_uint_eq(ip->ip_opts_len, sizeof(want));
  ck_assert_mem_eq(ip->ip_opts, want, sizeof(want));
  sf_script_free(s);
}
END_TEST

START_TEST(test_ip_opts_and_ip_dst_on_outbound_packet) {
  sf_script *s = parse_ok("0 > (ip_opts <ssrr [192.0.2.1] ptr 4, eol>, "
                          "ip_dst 198.51.100.2) S. 0:0(0) ack 1\n");
  const sf_script_ip *ip = &packet_of(s)->ip;
  static const uint8_t want[] = {137, 7, 4, 192, 0, 2, 1, 0};
  ck_assert_uint_eq(ip->ip_opts_len, sizeof(want));
  ck_assert_mem_eq(ip->ip_opts, want, sizeof(want));
  ck_assert(ip->present & SF_SCR_IP_IP_DST);
  ck_assert_uint_eq(ip->ip_dst, 0xc6336402u);
  sf_script_free(s);
}
END_TEST

START_TEST(test_isn_clock_on_an_outbound_syn) {
  sf_script *s = parse_ok("0 > (isn_clock_ns 4000) S. 0:0(0) ack 1\n");
  const sf_script_ip *ip = &packet_of(s)->ip;
  ck_assert(ip->present & SF_SCR_IP_ISN_CLOCK);
  ck_assert_uint_eq(ip->isn_clock_ns, 4000);
  sf_script_free(s);
}
END_TEST

START_TEST(test_isn_clock_only_on_an_outbound_syn) {
  expect_error("0 < (isn_clock_ns 4000) S 0:0(0) win 1\n",
               "t.pkt:1:6: 'isn_clock_ns' can only be used with outbound "
               "packets");
  expect_error("0 > (isn_clock_ns 4000) . 1:1(0) ack 1\n",
               "t.pkt:1:6: 'isn_clock_ns' can only be used with a SYN");
  expect_error("0 > (isn_clock_ns 4000) icmp echo_reply\n",
               "t.pkt:1:6: 'isn_clock_ns' can only be used with a SYN");
  expect_error("0 > (isn_clock_ns 0) S. 0:0(0) ack 1\n",
               "t.pkt:1:19: isn_clock_ns must be positive");
}
END_TEST

START_TEST(test_ip_opts_errors_name_what_was_expected) {
  expect_error("0 < (ip_opts lsrr) S 0:0(0) win 1\n",
               "t.pkt:1:14: expected '<' after 'ip_opts', got 'lsrr'");
  expect_error("0 < (ip_opts <ts>) S 0:0(0) win 1\n",
               "t.pkt:1:15: expected an IP option (nop, eol, lsrr, ssrr or "
               "rr), got 'ts'");
  expect_error("0 < (ip_opts <lsrr [1.2.3.4] 8>) S 0:0(0) win 1\n",
               "t.pkt:1:30: expected 'ptr' after the route's addresses, got "
               "'8'");
  expect_error("0 < (ip_opts <lsrr [1.2.3.4 x] ptr 8>) S 0:0(0) win 1\n",
               "t.pkt:1:29: expected an IPv4 address or ']' in a route, got "
               "'x'");
  expect_error("0 < (ip_opts <nop lsrr>) S 0:0(0) win 1\n",
               "t.pkt:1:19: expected ',' or '>' after an IP option, got "
               "'lsrr'");
  expect_error("0 < (ip_opts <lsrr [1.2.3.4] ptr 256>) S 0:0(0) win 1\n",
               "t.pkt:1:34: ptr 256 out of range (0..255)");
  expect_error("0 < (ip_dst 1.2.3) S 0:0(0) win 1\n",
               "t.pkt:1:13: expected an IPv4 address after 'ip_dst', got "
               "'1.2'");
}
END_TEST

START_TEST(test_ip_opts_longer_than_40_bytes_are_rejected) {
  expect_error("0 < (ip_opts <lsrr [1.1.1.1 1.1.1.2 1.1.1.3 1.1.1.4 1.1.1.5 "
               "1.1.1.6 1.1.1.7 1.1.1.8 1.1.1.9] ptr 4, nop, nop>) S 0:0(0) "
               "win 1\n",
               "t.pkt:1:106: IP options longer than 40 bytes");
  expect_error("0 < (ip_opts <lsrr [1.1.1.1 1.1.1.2 1.1.1.3 1.1.1.4 1.1.1.5 "
               "1.1.1.6 1.1.1.7 1.1.1.8 1.1.1.9 1.1.1.10] ptr 4>) S 0:0(0) "
               "win 1\n",
               "t.pkt:1:93: more than 9 addresses in a route");
}
END_TEST

START_TEST(test_ip_opts_not_allowed_in_encapsulation) {
  expect_error("0 < ipv4 (ip_opts <nop>) 1.1.1.1 > 2.2.2.2: S 0:0(0) win 1\n",
               "t.pkt:1:11: 'ip_opts' is not allowed in an encapsulation "
               "header");
}
END_TEST

START_TEST(test_tcp_only_attribute_on_udp_is_rejected) {
  expect_error("0 < (tcp_doff 5) udp (10)\n",
               "t.pkt:1:6: 'tcp_doff' can only be used with TCP packets");
}
END_TEST

START_TEST(test_duplicate_attribute_is_rejected) {
  expect_error("0 < (ttl 1, ttl 2) . 1:1(0) win 1\n",
               "t.pkt:1:13: duplicate IP attribute 'ttl'");
}
END_TEST

START_TEST(test_unknown_attribute_is_rejected) {
  expect_error("0 < (dscp 4) . 1:1(0) win 1\n",
               "t.pkt:1:6: unknown IP attribute 'dscp' (expected e.g. ect0, "
               "tos 0x10, ttl 64)");
  expect_error("0 > (ect0] . 1:1(0)\n",
               "t.pkt:1:10: expected ',' or ')' after IP attribute, got ']'");
}
END_TEST

/* ---- ICMP, UDP, raw, encapsulation ---- */

START_TEST(test_icmp_unreachable_with_mtu_and_quoted_segment) {
  sf_script *s =
      parse_ok("0 < icmp unreachable frag_needed mtu 1200 [1:1461(1460)]\n");
  const sf_script_packet *p = packet_of(s);
  ck_assert_int_eq(p->kind, SF_SCR_PKT_ICMP);
  ck_assert_str_eq(p->icmp.type, "unreachable");
  ck_assert_str_eq(p->icmp.code, "frag_needed");
  ck_assert_uint_eq(p->icmp.present, SF_SCR_ICMP_HAS_MTU);
  ck_assert_uint_eq(p->icmp.mtu, 1200);
  ck_assert_int_eq(p->icmp.echoed, SF_SCR_ICMP_ECHOED_TCP);
  ck_assert_uint_eq(p->icmp.echoed_seq.start, 1);
  ck_assert_uint_eq(p->icmp.echoed_seq.len, 1460);
  sf_script_free(s);
}
END_TEST

START_TEST(test_icmp_without_code_or_quote) {
  sf_script *s = parse_ok("0 < icmp time_exceeded\n+0 < icmp type_3 code_4 "
                          "[udp (20)]\n");
  ck_assert_ptr_null(s->events[0].packet.icmp.code);
  ck_assert_int_eq(s->events[0].packet.icmp.echoed, SF_SCR_ICMP_ECHOED_NONE);
  ck_assert_str_eq(s->events[1].packet.icmp.code, "code_4");
  ck_assert_int_eq(s->events[1].packet.icmp.echoed, SF_SCR_ICMP_ECHOED_UDP);
  ck_assert_uint_eq(s->events[1].packet.icmp.echoed_len, 20);
  sf_script_free(s);
}
END_TEST

START_TEST(test_icmp_echo_extension) {
  sf_script *s = parse_ok("0 < icmp echo_request id 7 seq 1 (56)\n"
                          "+0 > icmp echo_reply id 7 seq 1 (56)\n");
  const sf_script_icmp *c = &s->events[0].packet.icmp;
  ck_assert_str_eq(c->type, "echo_request");
  ck_assert_ptr_null(c->code);
  ck_assert_uint_eq(c->present, SF_SCR_ICMP_HAS_ID | SF_SCR_ICMP_HAS_SEQ |
                                    SF_SCR_ICMP_HAS_LEN);
  ck_assert_uint_eq(c->id, 7);
  ck_assert_uint_eq(c->seq, 1);
  ck_assert_uint_eq(c->len, 56);
  ck_assert_int_eq(s->events[1].packet.dir, SF_SCR_OUTBOUND);
  sf_script_free(s);
}
END_TEST

START_TEST(test_icmp_seq_on_non_echo_type_is_rejected) {
  expect_error("0 < icmp unreachable seq 1\n",
               "t.pkt:1:22: expected the end of the ICMP packet ('seq' and "
               "'(length)' are for echo_request and echo_reply), got 'seq'");
}
END_TEST

START_TEST(test_udp_packet) {
  sf_script *s = parse_ok("0 < (tos 0x4) udp 5000>53 (100)\n+0 > udp (0)\n");
  const sf_script_packet *p = &s->events[0].packet;
  ck_assert_int_eq(p->kind, SF_SCR_PKT_UDP);
  ck_assert(p->has_ports);
  ck_assert_uint_eq(p->sport, 5000);
  ck_assert_uint_eq(p->dport, 53);
  ck_assert_uint_eq(p->udp.len, 100);
  ck_assert(!s->events[1].packet.has_ports);
  sf_script_free(s);
}
END_TEST

START_TEST(test_udp_with_ecn_is_rejected) {
  expect_error("0 < (ect0) udp (10)\n",
               "t.pkt:1:12: ECN can only be used with TCP packets");
}
END_TEST

START_TEST(test_raw_packet_bytes) {
  sf_script *s = parse_ok("+0 < raw 45 00 00 28 ab CD // the header\n"
                          "+0 close(3) = 0\n");
  const sf_script_packet *p = &s->events[0].packet;
  ck_assert_int_eq(p->kind, SF_SCR_PKT_RAW);
  ck_assert_uint_eq(p->raw_len, 6);
  static const uint8_t want[] = {0x45, 0x00, 0x00, 0x28, 0xab, 0xcd};
  ck_assert(memcmp(p->raw, want, 6) == 0);
  ck_assert_uint_eq(s->n_events, 2);
  sf_script_free(s);
}
END_TEST

START_TEST(test_raw_hex_pairs_may_run_together) {
  sf_script *s = parse_ok("+0 < raw 4500 0028/* c */\n");
  const sf_script_packet *p = packet_of(s);
  ck_assert_uint_eq(p->raw_len, 4);
  ck_assert_uint_eq(p->raw[3], 0x28);
  sf_script_free(s);
}
END_TEST

START_TEST(test_raw_odd_number_of_digits_reports_position) {
  expect_error("+0 < raw 45 000 28\n",
               "t.pkt:1:13: odd number of hex digits in '000' in raw packet");
}
END_TEST

START_TEST(test_raw_non_hex_digit_reports_position) {
  expect_error("+0 < raw 45 0g\n",
               "t.pkt:1:14: expected hex digits in raw packet, got 'g'");
}
END_TEST

START_TEST(test_raw_packet_rules) {
  expect_error("+0 > raw 45\n", "t.pkt:1:6: raw packets can only be inbound");
  expect_error("+0 < (ttl 1) raw 45\n",
               "t.pkt:1:14: raw packets take no IP attributes or "
               "encapsulation");
  expect_error("+0 < raw // none\n",
               "t.pkt:1:6: expected hex bytes after 'raw'");
}
END_TEST

START_TEST(test_encapsulation_headers) {
  sf_script *s =
      parse_ok("+0 < ipv4 2.2.2.2 > 1.1.1.1: gre:\n"
               "     mpls (label 0, tc 0, ttl 0) (label 1048575, tc 7, [S], "
               "ttl 255): . 1:1001(1000) ack 1 win 123\n");
  const sf_script_packet *p = packet_of(s);
  ck_assert_uint_eq(p->n_encaps, 3);
  ck_assert_int_eq(p->encaps[0].kind, SF_SCR_ENCAP_IPV4);
  ck_assert_str_eq(p->encaps[0].src, "2.2.2.2");
  ck_assert_str_eq(p->encaps[0].dst, "1.1.1.1");
  ck_assert_int_eq(p->encaps[1].kind, SF_SCR_ENCAP_GRE);
  ck_assert(!p->encaps[1].gre.has_header);
  ck_assert_int_eq(p->encaps[2].kind, SF_SCR_ENCAP_MPLS);
  ck_assert_uint_eq(p->encaps[2].n_mpls, 2);
  ck_assert_uint_eq(p->encaps[2].mpls[1].label, 1048575);
  ck_assert(p->encaps[2].mpls[1].bottom);
  ck_assert(!p->encaps[2].mpls[0].bottom);
  ck_assert_uint_eq(p->tcp.seq.len, 1000);
  sf_script_free(s);
}
END_TEST

START_TEST(test_ipv6_encapsulation_with_gre_fields) {
  sf_script *s = parse_ok("+0 < ipv6 2::2222 > 1::1111: gre flags 0xb000, sum "
                          "511, off 1023, key 0x80001234, seq 512: . "
                          "1:1001(1000) ack 1 win 123\n");
  const sf_script_packet *p = packet_of(s);
  ck_assert_int_eq(p->encaps[0].kind, SF_SCR_ENCAP_IPV6);
  ck_assert_str_eq(p->encaps[0].dst, "1::1111");
  const sf_script_gre *g = &p->encaps[1].gre;
  ck_assert(g->has_header);
  ck_assert_uint_eq(g->flags, 0xb000);
  ck_assert_uint_eq(g->key, 0x80001234u);
  ck_assert_uint_eq(g->seq, 512);
  sf_script_free(s);
}
END_TEST

START_TEST(test_invalid_encapsulation_address_is_rejected) {
  expect_error("+0 < ipv4 2.2.2.300 > 1.1.1.1: . 1:1(0) win 1\n",
               "t.pkt:1:11: invalid IPv4 address '2.2.2.300'");
  expect_error("+0 < ipv4 2.2.2.2 1.1.1.1: . 1:1(0) win 1\n",
               "t.pkt:1:19: expected '>' between the addresses, got "
               "'1.1.1.1'");
}
END_TEST

/* ---- system calls ---- */

START_TEST(test_syscall_arguments_and_result) {
  sf_script *s = parse_ok("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n");
  const sf_script_syscall *c = syscall_of(s);
  ck_assert_str_eq(c->name, "socket");
  ck_assert_uint_eq(c->n_args, 3);
  ck_assert_int_eq(c->args[0]->kind, SF_SCR_EXPR_ELLIPSIS);
  ck_assert(sf_script_expr_is_word(c->args[1], "SOCK_STREAM"));
  ck_assert_int_eq(c->result->kind, SF_SCR_EXPR_INT);
  ck_assert_int_eq(c->result->num.value, 3);
  ck_assert_ptr_null(c->errno_name);
  ck_assert_ptr_null(c->note);
  ck_assert_uint_eq(c->args[2]->pos.column, 28);
  sf_script_free(s);
}
END_TEST

START_TEST(test_errno_with_its_text) {
  sf_script *s = parse_ok("0 read(3, ..., 10) = -1 EAGAIN (Resource   "
                          "temporarily unavailable)\n");
  const sf_script_syscall *c = syscall_of(s);
  ck_assert_int_eq(c->result->num.value, -1);
  ck_assert_str_eq(c->errno_name, "EAGAIN");
  ck_assert_str_eq(c->errno_text, "Resource temporarily unavailable");
  ck_assert_ptr_null(c->note);
  sf_script_free(s);
}
END_TEST

START_TEST(test_errno_without_text_and_note_without_errno) {
  sf_script *s = parse_ok("0 connect(3, ..., ...) = -1 EINPROGRESS\n"
                          "+0 getsockopt(3, SOL_SOCKET, SO_ERROR, [0], [4]) = "
                          "0 (no error)\n");
  ck_assert_str_eq(s->events[0].syscall.errno_name, "EINPROGRESS");
  ck_assert_ptr_null(s->events[0].syscall.errno_text);
  ck_assert_ptr_null(s->events[1].syscall.errno_name);
  ck_assert_str_eq(s->events[1].syscall.note, "no error");
  sf_script_free(s);
}
END_TEST

START_TEST(test_lists_and_bitwise_or) {
  sf_script *s = parse_ok("0 fcntl(4, F_SETFL, O_RDWR|O_NONBLOCK|0x800) = 0\n"
                          "+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) "
                          "= 0\n");
  const sf_script_expr * or = s->events[0].syscall.args[2];
  ck_assert_int_eq(or->kind, SF_SCR_EXPR_OR);
  ck_assert_uint_eq(or->list.n, 3);
  ck_assert(sf_script_expr_is_word(or->list.items[1], "O_NONBLOCK"));
  ck_assert(or->list.items[2]->num.hex);
  const sf_script_expr *l = s->events[1].syscall.args[3];
  ck_assert_int_eq(l->kind, SF_SCR_EXPR_LIST);
  ck_assert_uint_eq(l->list.n, 1);
  ck_assert_int_eq(l->list.items[0]->num.value, 1);
  sf_script_free(s);
}
END_TEST

START_TEST(test_struct_fields_are_found_by_name) {
  sf_script *s = parse_ok("0 setsockopt(3, SOL_SOCKET, SO_LINGER, {onoff=1, "
                          "linger=0}, 8) = 0\n");
  const sf_script_expr *st = syscall_of(s)->args[3];
  ck_assert_int_eq(st->kind, SF_SCR_EXPR_STRUCT);
  ck_assert_int_eq(sf_script_expr_field(st, "onoff")->num.value, 1);
  ck_assert_int_eq(sf_script_expr_field(st, "linger")->num.value, 0);
  ck_assert_ptr_null(sf_script_expr_field(st, "l_onoff"));
  ck_assert_ptr_null(sf_script_expr_field(syscall_of(s)->args[0], "x"));
  sf_script_free(s);
}
END_TEST

START_TEST(test_sockaddr_with_calls) {
  sf_script *s =
      parse_ok("0 connect(3, {sa_family=AF_INET, sin_port=htons(8080), "
               "sin_addr=inet_addr(\"192.0.2.1\")}, 16) = 0\n");
  const sf_script_expr *sa = syscall_of(s)->args[1];
  const sf_script_expr *port = sf_script_expr_field(sa, "sin_port");
  ck_assert_int_eq(port->kind, SF_SCR_EXPR_CALL);
  ck_assert_str_eq(port->call.name, "htons");
  ck_assert_uint_eq(port->call.n_args, 1);
  ck_assert_int_eq(port->call.args[0]->num.value, 8080);
  const sf_script_expr *addr = sf_script_expr_field(sa, "sin_addr");
  ck_assert_str_eq(addr->call.args[0]->str.text, "192.0.2.1");
  sf_script_free(s);
}
END_TEST

START_TEST(test_msghdr_with_call_fields_and_cmsg) {
  sf_script *s =
      parse_ok("0 recvmsg(3, {msg_name(...)=...,\n"
               "              msg_iov(1)=[{..., 1000}],\n"
               "              msg_flags=0,\n"
               "              msg_control=[{cmsg_level=SOL_TCP,\n"
               "                            cmsg_type=TCP_CM_INQ,\n"
               "                            cmsg_data=9000}]}, 0) = 1000\n");
  const sf_script_expr *m = syscall_of(s)->args[1];
  ck_assert_uint_eq(m->list.n, 4);
  const sf_script_expr *name = m->list.items[0];
  ck_assert_int_eq(name->kind, SF_SCR_EXPR_ASSIGN);
  ck_assert_int_eq(name->assign.lhs->kind, SF_SCR_EXPR_CALL);
  ck_assert_int_eq(name->assign.rhs->kind, SF_SCR_EXPR_ELLIPSIS);
  const sf_script_expr *iov = m->list.items[1]->assign.rhs;
  ck_assert_int_eq(iov->kind, SF_SCR_EXPR_LIST);
  ck_assert_int_eq(iov->list.items[0]->kind, SF_SCR_EXPR_STRUCT);
  const sf_script_expr *ctl = sf_script_expr_field(m, "msg_control");
  const sf_script_expr *cm = ctl->list.items[0];
  ck_assert_int_eq(sf_script_expr_field(cm, "cmsg_data")->num.value, 9000);
  ck_assert_uint_eq(sf_script_expr_field(cm, "cmsg_data")->pos.line, 6);
  sf_script_free(s);
}
END_TEST

START_TEST(test_epoll_event_with_flag_union) {
  sf_script *s = parse_ok("0 epoll_ctl(5, EPOLL_CTL_ADD, 4, "
                          "{events=EPOLLOUT|EPOLLIN|EPOLLET, fd=4}) = 0\n");
  const sf_script_expr *ev = syscall_of(s)->args[3];
  const sf_script_expr *events = sf_script_expr_field(ev, "events");
  ck_assert_int_eq(events->kind, SF_SCR_EXPR_OR);
  ck_assert_uint_eq(events->list.n, 3);
  sf_script_free(s);
}
END_TEST

START_TEST(test_strings_keep_escapes_raw_and_concatenate) {
  sf_script *s =
      parse_ok("0 f(\"a\\\"b\\n\", \"x\" \"y\", \"abc\"..., NULL) = 0\n");
  const sf_script_syscall *c = syscall_of(s);
  ck_assert_str_eq(c->args[0]->str.text, "a\\\"b\\n");
  ck_assert_str_eq(c->args[1]->str.text, "xy");
  ck_assert(!c->args[1]->str.ellipsis);
  ck_assert_str_eq(c->args[2]->str.text, "abc");
  ck_assert(c->args[2]->str.ellipsis);
  ck_assert(sf_script_expr_is_word(c->args[3], "NULL"));
  sf_script_free(s);
}
END_TEST

START_TEST(test_negative_and_hex_integers) {
  sf_script *s =
      parse_ok("0 f(-5, 0x10, 0xffffffffffffffff, -9223372036854775808) = 0\n");
  const sf_script_syscall *c = syscall_of(s);
  ck_assert_int_eq(c->args[0]->num.value, -5);
  ck_assert(!c->args[0]->num.hex);
  ck_assert_int_eq(c->args[1]->num.value, 16);
  ck_assert(c->args[1]->num.hex);
  ck_assert((uint64_t)c->args[2]->num.value == UINT64_MAX);
  ck_assert(c->args[3]->num.value == INT64_MIN);
  sf_script_free(s);
}
END_TEST

START_TEST(test_integer_overflow_in_expression_is_rejected) {
  expect_error("0 f(99999999999999999999) = 0\n",
               "t.pkt:1:5: integer 99999999999999999999 out of range");
}
END_TEST

START_TEST(test_empty_argument_list_and_empty_containers) {
  sf_script *s = parse_ok("0 getpid() = 1\n+0 f([], {}) = 0\n");
  ck_assert_uint_eq(s->events[0].syscall.n_args, 0);
  ck_assert_ptr_null(s->events[0].syscall.args);
  ck_assert_uint_eq(s->events[1].syscall.args[0]->list.n, 0);
  ck_assert_int_eq(s->events[1].syscall.args[1]->kind, SF_SCR_EXPR_STRUCT);
  sf_script_free(s);
}
END_TEST

START_TEST(test_gre_and_mpls_expressions) {
  sf_script *s = parse_ok("0 f({flags [checksum present, key present, "
                          "sequence# present], sum 1, off 2, key=3, seq 4}, "
                          "{(label 1, tc 0, [S], ttl 255)}) = 0\n");
  const sf_script_syscall *c = syscall_of(s);
  ck_assert_int_eq(c->args[0]->kind, SF_SCR_EXPR_GRE);
  ck_assert_uint_eq(c->args[0]->gre.flags, 0xb000);
  ck_assert_uint_eq(c->args[0]->gre.key, 3);
  ck_assert_int_eq(c->args[1]->kind, SF_SCR_EXPR_MPLS);
  ck_assert_uint_eq(c->args[1]->mpls.n, 1);
  ck_assert(c->args[1]->mpls.entries[0].bottom);
  sf_script_free(s);
}
END_TEST

START_TEST(test_result_may_be_any_expression) {
  sf_script *s = parse_ok("0 getsockopt(4, SOL_SOCKET, SO_LINGER, {onoff=1, "
                          "linger=0}, [8]) = [1]\n");
  expect_expr_text(syscall_of(s)->result, "[1]");
  sf_script_free(s);
}
END_TEST

START_TEST(test_result_word_before_parenthesis_is_a_note_not_a_call) {
  sf_script *s = parse_ok("0 f() = FOO (a note)\n"
                          "+0 g() = inet_addr(\"192.0.2.1\")\n");
  ck_assert(sf_script_expr_is_word(s->events[0].syscall.result, "FOO"));
  ck_assert_str_eq(s->events[0].syscall.note, "a note");
  const sf_script_expr *r = s->events[1].syscall.result;
  ck_assert_int_eq(r->kind, SF_SCR_EXPR_CALL);
  ck_assert_str_eq(r->call.name, "inet_addr");
  ck_assert_ptr_null(s->events[1].syscall.note);
  sf_script_free(s);
}
END_TEST

START_TEST(test_nesting_limit_is_enforced) {
  char text[512];
  size_t n = (size_t)snprintf(text, sizeof(text), "0 f(");
  for (int i = 0; i < 65; i++)
    text[n++] = '[';
  for (int i = 0; i < 65; i++)
    text[n++] = ']';
  snprintf(text + n, sizeof(text) - n, ") = 0\n");
  expect_error(text, "t.pkt:1:69: expression nested more than 64 levels "
                     "deep");
  /* 64 levels are fine */
  n = (size_t)snprintf(text, sizeof(text), "0 f(");
  for (int i = 0; i < 64; i++)
    text[n++] = '[';
  for (int i = 0; i < 64; i++)
    text[n++] = ']';
  snprintf(text + n, sizeof(text) - n, ") = 0\n");
  sf_script_free(parse_ok(text));
}
END_TEST

START_TEST(test_syscall_syntax_errors_are_reported) {
  expect_error("0 close(3)\n+0 close(4) = 0\n",
               "t.pkt:2:1: expected '=' after the arguments of 'close', got "
               "'+'");
  expect_error("0 f(1 2) = 0\n",
               "t.pkt:1:7: expected ',' or ')' in the arguments of 'f', got "
               "'2'");
  expect_error("0 f([1, 2) = 0\n",
               "t.pkt:1:10: expected ',' or ']' in list, got ')'");
  expect_error("0 f(, 1) = 0\n", "t.pkt:1:5: expected an expression, got ','");
  expect_error("0 f(1) = \n", "t.pkt:2:1: expected an expression, got end of "
                              "file");
  expect_error("0 f 1\n",
               "t.pkt:1:5: expected '(' after system call name 'f', got '1'");
}
END_TEST

START_TEST(test_assignment_needs_a_name_on_the_left) {
  expect_error("0 f({1=2}) = 0\n",
               "t.pkt:1:7: expected a name or a call before '='");
}
END_TEST

START_TEST(test_unterminated_note_is_reported) {
  expect_error("0 f() = -1 EAGAIN (Resource\n",
               "t.pkt:1:19: unterminated note: expected ')' before the end "
               "of the line");
}
END_TEST

/* ---- input limits and files ---- */

START_TEST(test_nul_byte_is_rejected_with_position) {
  static const char text[] = "0 close(3) = 0\n+0 clo\0se(3) = 0\n";
  sf_script *s = NULL;
  sf_script_error err;
  ck_assert_int_eq(sf_script_parse(text, sizeof(text) - 1, "t.pkt", &s, &err),
                   -EINVAL);
  ck_assert_str_eq(err.message,
                   "t.pkt:2:7: NUL byte in script (is it a binary file?)");
  ck_assert_uint_eq(err.pos.line, 2);
  ck_assert_uint_eq(err.pos.column, 7);
}
END_TEST

START_TEST(test_line_over_length_limit_is_rejected) {
  size_t len = SF_SCRIPT_MAX_LINE + 20;
  char *text = malloc(len + 1);
  memcpy(text, "0 close(3) = 0\n// ", 18);
  memset(text + 18, 'x', len - 18);
  text[len] = '\0';
  sf_script *s = NULL;
  sf_script_error err;
  ck_assert_int_eq(sf_script_parse(text, len, "t.pkt", &s, &err), -EINVAL);
  ck_assert_str_eq(err.message,
                   "t.pkt:2:65537: line is longer than 65536 bytes");
  free(text);
}
END_TEST

START_TEST(test_buffer_over_size_limit_is_rejected) {
  sf_script *s = NULL;
  sf_script_error err;
  /* The size is checked before a byte is read. */
  ck_assert_int_eq(
      sf_script_parse("", SF_SCRIPT_MAX_SIZE + 1u, "t.pkt", &s, &err), -EFBIG);
  ck_assert_str_eq(err.message, "t.pkt: script is larger than 16 MiB");
  ck_assert_ptr_null(s);
}
END_TEST

START_TEST(test_null_error_pointer_still_returns_the_code) {
  sf_script *s = NULL;
  ck_assert_int_eq(sf_script_parse("0 ?", 3, NULL, &s, NULL), -EINVAL);
  ck_assert_ptr_null(s);
  sf_script_error err;
  ck_assert_int_eq(sf_script_parse("0 ?", 3, NULL, &s, &err), -EINVAL);
  ck_assert_str_eq(err.message,
                   "<input>:1:3: expected a packet ('<' or '>'), a system "
                   "call, a `command` or %{ code }% after the event time, got "
                   "'?'");
}
END_TEST

static char tmpdir[64];

static void make_tmpdir(void) {
  snprintf(tmpdir, sizeof(tmpdir), "/tmp/sf_script_XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void write_file(const char *path, const void *data, size_t len) {
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(fwrite(data, 1, len, f), len);
  fclose(f);
}

START_TEST(test_parse_file_reads_and_names_the_script) {
  make_tmpdir();
  char path[128];
  snprintf(path, sizeof(path), "%s/ok.pkt", tmpdir);
  const char *text = "0 close(3) = 0\n+0 x\n";
  write_file(path, text, strlen(text));
  sf_script *s = NULL;
  sf_script_error err;
  ck_assert_int_eq(sf_script_parse_file(path, &s, &err), -EINVAL);
  char want[256];
  snprintf(want, sizeof(want),
           "%s:3:1: expected '(' after system call name "
           "'x', got end of file",
           path);
  ck_assert_str_eq(err.message, want);
  write_file(path, text, 15);
  ck_assert_int_eq(sf_script_parse_file(path, &s, &err), 0);
  ck_assert_str_eq(s->name, path);
  ck_assert_uint_eq(s->n_events, 1);
  sf_script_free(s);
  unlink(path);
  rmdir(tmpdir);
}
END_TEST

START_TEST(test_nonexistent_file_is_reported) {
  sf_script *s = NULL;
  sf_script_error err;
  ck_assert_int_eq(sf_script_parse_file("/nonexistent/x.pkt", &s, &err),
                   -ENOENT);
  ck_assert_str_eq(err.message,
                   "/nonexistent/x.pkt: cannot open: No such file or "
                   "directory");
  ck_assert_ptr_null(s);
}
END_TEST

START_TEST(test_directory_is_reported) {
  sf_script *s = NULL;
  sf_script_error err;
  ck_assert_int_eq(sf_script_parse_file("/tmp", &s, &err), -EISDIR);
  ck_assert_str_eq(err.message, "/tmp: is a directory, not a script");
}
END_TEST

START_TEST(test_unreadable_file_is_reported) {
  make_tmpdir();
  char path[128];
  snprintf(path, sizeof(path), "%s/secret.pkt", tmpdir);
  write_file(path, "0 close(3) = 0\n", 15);
  chmod(path, 0);
  sf_script *s = NULL;
  sf_script_error err;
  int rc = sf_script_parse_file(path, &s, &err);
  char want[256];
  if (geteuid() == 0) {
    /* root reads anything; a path through a file fails to open instead */
    sf_script_free(s);
    snprintf(path, sizeof(path), "%s/secret.pkt/x", tmpdir);
    rc = sf_script_parse_file(path, &s, &err);
    ck_assert_int_eq(rc, -ENOTDIR);
    snprintf(want, sizeof(want), "%s: cannot open: Not a directory", path);
  } else {
    ck_assert_int_eq(rc, -EACCES);
    snprintf(want, sizeof(want), "%s: cannot open: Permission denied", path);
  }
  ck_assert_str_eq(err.message, want);
  snprintf(path, sizeof(path), "%s/secret.pkt", tmpdir);
  unlink(path);
  rmdir(tmpdir);
}
END_TEST

START_TEST(test_fifo_is_not_a_regular_file) {
  make_tmpdir();
  char path[128];
  snprintf(path, sizeof(path), "%s/fifo", tmpdir);
  ck_assert_int_eq(mkfifo(path, 0600), 0);
  sf_script *s = NULL;
  sf_script_error err;
  ck_assert_int_eq(sf_script_parse_file(path, &s, &err), -EINVAL);
  char want[256];
  snprintf(want, sizeof(want), "%s: not a regular file", path);
  ck_assert_str_eq(err.message, want);
  unlink(path);
  rmdir(tmpdir);
}
END_TEST

START_TEST(test_file_over_size_limit_is_rejected) {
  make_tmpdir();
  char path[128];
  snprintf(path, sizeof(path), "%s/big.pkt", tmpdir);
  int fd = open(path, O_WRONLY | O_CREAT, 0600);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(ftruncate(fd, (off_t)SF_SCRIPT_MAX_SIZE + 1), 0);
  close(fd);
  sf_script *s = NULL;
  sf_script_error err;
  ck_assert_int_eq(sf_script_parse_file(path, &s, &err), -EFBIG);
  char want[256];
  snprintf(want, sizeof(want), "%s: script is larger than 16 MiB", path);
  ck_assert_str_eq(err.message, want);
  unlink(path);
  rmdir(tmpdir);
}
END_TEST

START_TEST(test_binary_file_is_rejected) {
  make_tmpdir();
  char path[128];
  snprintf(path, sizeof(path), "%s/bin.pkt", tmpdir);
  static const unsigned char elf[] = {0x7f, 'E', 'L', 'F', 2, 1, 1, 0};
  write_file(path, elf, sizeof(elf));
  sf_script *s = NULL;
  sf_script_error err;
  ck_assert_int_eq(sf_script_parse_file(path, &s, &err), -EINVAL);
  char want[256];
  snprintf(want, sizeof(want),
           "%s:1:8: NUL byte in script (is it a binary "
           "file?)",
           path);
  ck_assert_str_eq(err.message, want);
  unlink(path);
  rmdir(tmpdir);
}
END_TEST

/* Every prefix of a script that uses every construct either parses or fails
 * with a positioned message; nothing crashes or leaks (ASan checks). */
static const char everything[] =
    "--tolerance_usecs=10000\n"
    "--define=CC=\"reno\"\n"
    "`init\nmore`\n"
    "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
    "+0...0.2 read(4, ..., 2000) = -1 EAGAIN (Resource unavailable)\n"
    "+.1 < (tos 0x10, ttl 64) 8080>80 S 0:0(0) win 32792 <mss 1000,nop,"
    "wscale 7,sack 1:2,TS val 1 ecr 0,FO abcd,ECN e0b 1>\n"
    "0.1~0.2 > [ect0] P.6 1:41(40) ack 1 urg 1 <...>\n"
    "* > F. 41:41(0) ack 1\n"
    "+0 < icmp unreachable frag_needed mtu 1200 [1:1461(1460)]\n"
    "+0 < icmp echo_request id 7 seq 1 (56)\n"
    "+0 < (ip_csum bad, frag_size 8, frag_order shuffle(3)) udp 1>2 (10)\n"
    "+0 < raw 4500 0028 /* c */\n"
    "+0 < ipv4 2.2.2.2 > 1.1.1.1: gre flags [key present] sum 1 off 2 key 3 "
    "seq 4: mpls (label 1, tc 0, [S], ttl 2): . 1:1(0) win 1\n"
    "+0 recvmsg(3, {msg_name(...)=..., msg_iov(1)=[{..., 10}], msg_flags=0}, "
    "0) = 10 (note)\n"
    "+0 f(\"a\" \"b\"..., [{x=1|2}], {flags 0x0, sum 0, off 0, key 0, seq 0},"
    " {(label 1, tc 0, ttl 1)}, 0x10, -1) = 0\n"
    "+0 %{ code }%\n"
    "+0 `cmd`\n"
    "`cleanup`\n";

START_TEST(test_every_prefix_parses_or_fails_cleanly) {
  sf_script *s = parse_ok(everything);
  ck_assert_uint_eq(s->n_events, 14);
  sf_script_free(s);
  size_t len = strlen(everything);
  for (size_t n = 0; n <= len; n++) {
    char *copy = malloc(n > 0 ? n : 1);
    memcpy(copy, everything, n); /* exact size: no terminator to lean on */
    sf_script_error err;
    int rc = sf_script_parse(copy, n, "p.pkt", &s, &err);
    if (rc == 0) {
      sf_script_free(s);
    } else {
      ck_assert_int_eq(rc, -EINVAL);
      ck_assert_msg(strncmp(err.message, "p.pkt:", 6) == 0 &&
                        err.pos.line > 0 && err.pos.column > 0,
                    "prefix %zu: %s", n, err.message);
    }
    free(copy);
  }
}
END_TEST

Suite *tu_suite(void) {
  Suite *s = suite_create("script_parser");
  TCase *tc = tcase_create("structure");
  tcase_add_test(tc, test_option_lines_keep_name_value_and_line);
  tcase_add_test(tc, test_option_without_value_has_null_value);
  tcase_add_test(tc, test_quoted_option_value_is_unquoted);
  tcase_add_test(tc, test_profile_options_are_ordinary_options);
  tcase_add_test(tc, test_option_with_empty_value_is_rejected);
  tcase_add_test(tc, test_option_after_event_is_rejected);
  tcase_add_test(tc, test_init_and_cleanup_commands);
  tcase_add_test(tc, test_second_untimed_command_before_events_is_rejected);
  tcase_add_test(tc, test_anything_after_cleanup_command_is_rejected);
  tcase_add_test(tc, test_empty_script_parses_with_no_events);
  tcase_add_test(tc, test_timed_command_and_code_are_events);
  suite_add_tcase(s, tc);

  tc = tcase_create("times");
  tcase_add_test(tc, test_absolute_time_in_microseconds);
  tcase_add_test(tc, test_relative_time_is_parsed_as_offset);
  tcase_add_test(tc, test_time_without_leading_digit);
  tcase_add_test(tc, test_digits_beyond_microseconds_are_truncated);
  tcase_add_test(tc, test_any_time_on_outbound_packet);
  tcase_add_test(tc, test_any_time_on_system_call_is_rejected);
  tcase_add_test(tc, test_absolute_time_range);
  tcase_add_test(tc, test_relative_time_range);
  tcase_add_test(tc, test_time_range_on_inbound_packet_is_rejected);
  tcase_add_test(tc, test_backwards_time_range_is_rejected);
  tcase_add_test(tc, test_relative_range_needs_plus_on_its_end);
  tcase_add_test(tc, test_absolute_range_with_relative_end_is_rejected);
  tcase_add_test(tc, test_blocking_call_end_time);
  tcase_add_test(tc, test_blocking_call_with_spaces_around_ellipsis);
  tcase_add_test(tc, test_blocking_call_without_end_time_is_rejected);
  tcase_add_test(tc, test_negative_time_is_rejected);
  tcase_add_test(tc, test_time_beyond_limit_is_rejected);
  tcase_add_test(tc, test_missing_event_time_is_reported);
  tcase_add_test(tc, test_missing_action_after_time_is_reported);
  suite_add_tcase(s, tc);

  tc = tcase_create("tcp");
  tcase_add_test(tc, test_syn_packet_fields);
  tcase_add_test(tc, test_flag_words_set_their_bits);
  tcase_add_test(tc, test_ace_digit_after_ack_flag);
  tcase_add_test(tc, test_ace_digit_conflicts_with_ecn_flags);
  tcase_add_test(tc, test_invalid_flag_reports_its_column);
  tcase_add_test(tc, test_missing_flags_is_reported);
  tcase_add_test(tc, test_ack_win_urg_presence_is_recorded);
  tcase_add_test(tc, test_outbound_packet_without_win_leaves_it_unchecked);
  tcase_add_test(tc, test_inbound_packet_without_win_is_rejected);
  tcase_add_test(tc, test_missing_ack_value_reports_line_and_column);
  tcase_add_test(tc, test_unknown_word_after_sequence_range_is_reported);
  tcase_add_test(tc, test_sequence_number_out_of_range);
  tcase_add_test(tc, test_ack_number_out_of_range);
  tcase_add_test(tc, test_inconsistent_sequence_range_is_rejected);
  tcase_add_test(tc, test_payload_length_out_of_range);
  tcase_add_test(tc, test_malformed_sequence_range_is_reported);
  tcase_add_test(tc, test_window_out_of_range);
  tcase_add_test(tc, test_urgent_pointer_out_of_range);
  tcase_add_test(tc, test_explicit_ports);
  tcase_add_test(tc, test_port_out_of_range);
  suite_add_tcase(s, tc);

  tc = tcase_create("tcp_options");
  tcase_add_test(tc, test_tcp_option_list_items);
  tcase_add_test(tc, test_sack_blocks);
  tcase_add_test(tc, test_too_many_sack_blocks_is_rejected);
  tcase_add_test(tc, test_options_wildcard_on_outbound_packet);
  tcase_add_test(tc, test_options_wildcard_on_inbound_packet_is_rejected);
  tcase_add_test(tc, test_mss_out_of_range);
  tcase_add_test(tc, test_wscale_range_is_a_byte);
  tcase_add_test(tc, test_wscale_wildcard);
  tcase_add_test(tc, test_timestamp_values_out_of_range);
  tcase_add_test(tc, test_md5_and_fast_open_are_kept);
  tcase_add_test(tc, test_bad_hex_after_fast_open_is_rejected);
  tcase_add_test(tc, test_unknown_option_is_kept_with_its_arguments);
  tcase_add_test(tc, test_options_longer_than_40_bytes_are_rejected);
  tcase_add_test(tc, test_missing_comma_between_options_is_reported);
  suite_add_tcase(s, tc);

  tc = tcase_create("ip_attributes");
  tcase_add_test(tc, test_ecn_attributes);
  tcase_add_test(tc, test_tos_ttl_and_flowlabel);
  tcase_add_test(tc, test_ttl_out_of_range);
  tcase_add_test(tc, test_tos_with_ecn_codepoint_is_rejected);
  tcase_add_test(tc, test_ect01_on_inbound_packet_is_rejected);
  tcase_add_test(tc, test_extension_attributes_parse);
  tcase_add_test(tc, test_extension_attribute_on_outbound_packet_is_rejected);
  tcase_add_test(tc, test_extension_attribute_values_are_checked);
  tcase_add_test(tc, test_frag_size_must_be_a_multiple_of_8);
  tcase_add_test(tc, test_frag_order_needs_frag_size);
  tcase_add_test(tc, test_ip_opts_are_kept_as_bytes);
  tcase_add_test(tc, test_ip_opts_and_ip_dst_on_outbound_packet);
  tcase_add_test(tc, test_isn_clock_on_an_outbound_syn);
  tcase_add_test(tc, test_isn_clock_only_on_an_outbound_syn);
  tcase_add_test(tc, test_ip_opts_errors_name_what_was_expected);
  tcase_add_test(tc, test_ip_opts_longer_than_40_bytes_are_rejected);
  tcase_add_test(tc, test_ip_opts_not_allowed_in_encapsulation);
  tcase_add_test(tc, test_tcp_only_attribute_on_udp_is_rejected);
  tcase_add_test(tc, test_duplicate_attribute_is_rejected);
  tcase_add_test(tc, test_unknown_attribute_is_rejected);
  suite_add_tcase(s, tc);

  tc = tcase_create("other_packets");
  tcase_add_test(tc, test_icmp_unreachable_with_mtu_and_quoted_segment);
  tcase_add_test(tc, test_icmp_without_code_or_quote);
  tcase_add_test(tc, test_icmp_echo_extension);
  tcase_add_test(tc, test_icmp_seq_on_non_echo_type_is_rejected);
  tcase_add_test(tc, test_udp_packet);
  tcase_add_test(tc, test_udp_with_ecn_is_rejected);
  tcase_add_test(tc, test_raw_packet_bytes);
  tcase_add_test(tc, test_raw_hex_pairs_may_run_together);
  tcase_add_test(tc, test_raw_odd_number_of_digits_reports_position);
  tcase_add_test(tc, test_raw_non_hex_digit_reports_position);
  tcase_add_test(tc, test_raw_packet_rules);
  tcase_add_test(tc, test_encapsulation_headers);
  tcase_add_test(tc, test_ipv6_encapsulation_with_gre_fields);
  tcase_add_test(tc, test_invalid_encapsulation_address_is_rejected);
  suite_add_tcase(s, tc);

  tc = tcase_create("syscalls");
  tcase_add_test(tc, test_syscall_arguments_and_result);
  tcase_add_test(tc, test_errno_with_its_text);
  tcase_add_test(tc, test_errno_without_text_and_note_without_errno);
  tcase_add_test(tc, test_lists_and_bitwise_or);
  tcase_add_test(tc, test_struct_fields_are_found_by_name);
  tcase_add_test(tc, test_sockaddr_with_calls);
  tcase_add_test(tc, test_msghdr_with_call_fields_and_cmsg);
  tcase_add_test(tc, test_epoll_event_with_flag_union);
  tcase_add_test(tc, test_strings_keep_escapes_raw_and_concatenate);
  tcase_add_test(tc, test_negative_and_hex_integers);
  tcase_add_test(tc, test_integer_overflow_in_expression_is_rejected);
  tcase_add_test(tc, test_empty_argument_list_and_empty_containers);
  tcase_add_test(tc, test_gre_and_mpls_expressions);
  tcase_add_test(tc, test_result_may_be_any_expression);
  tcase_add_test(tc, test_result_word_before_parenthesis_is_a_note_not_a_call);
  tcase_add_test(tc, test_nesting_limit_is_enforced);
  tcase_add_test(tc, test_syscall_syntax_errors_are_reported);
  tcase_add_test(tc, test_assignment_needs_a_name_on_the_left);
  tcase_add_test(tc, test_unterminated_note_is_reported);
  suite_add_tcase(s, tc);

  tc = tcase_create("input");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_nul_byte_is_rejected_with_position);
  tcase_add_test(tc, test_line_over_length_limit_is_rejected);
  tcase_add_test(tc, test_buffer_over_size_limit_is_rejected);
  tcase_add_test(tc, test_null_error_pointer_still_returns_the_code);
  tcase_add_test(tc, test_parse_file_reads_and_names_the_script);
  tcase_add_test(tc, test_nonexistent_file_is_reported);
  tcase_add_test(tc, test_directory_is_reported);
  tcase_add_test(tc, test_unreadable_file_is_reported);
  tcase_add_test(tc, test_fifo_is_not_a_regular_file);
  tcase_add_test(tc, test_file_over_size_limit_is_rejected);
  tcase_add_test(tc, test_binary_file_is_rejected);
  tcase_add_test(tc, test_every_prefix_parses_or_fails_cleanly);
  suite_add_tcase(s, tc);
  return s;
}
