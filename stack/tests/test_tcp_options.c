/* TCP options: parsing (RFC 9293 3.1, 3.2; RFC 7323; RFC 2018), emission in
 * the profiles' layouts, MSS (RFC 9293 3.7.1, RFC 6691), window scaling
 * (RFC 7323 2), timestamps and PAWS (RFC 7323 3-5). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <string.h>

#include "tcp.h"
#include "synfin/bytes.h"
#include "test_util.h"

static struct tu t;

static void setup_linux(void) {
  tu_setup(&t, SF_PROFILE_LINUX);
}

static void setup_rfc(void) {
  tu_setup(&t, SF_PROFILE_RFC);
}

static void teardown(void) {
  tu_teardown(&t);
}

/* SYN options a peer may offer. */
static const uint8_t opts_none[1] = {0};
static const uint8_t opts_mss_sack_ws[10] = {2, 4, 0x05, 0xb4, 4,
                                             2, 1, 3,    3,    7};
static const uint8_t opts_mss_sack_ts[16] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10,
                                             0, 0, 0,    1,    0, 0, 0, 0};
static const uint8_t opts_mss_ts[16] = {2, 4, 0x05, 0xb4, 1, 1, 8, 10,
                                        0, 0, 0,    1,    0, 0, 0, 0};
static const uint8_t opts_mss_ws[8] = {2, 4, 0x05, 0xb4, 1, 3, 3, 7};
static const uint8_t opts_mss_sack[6] = {2, 4, 0x05, 0xb4, 4, 2};

static void listen_8080(void) {
  int fd = sf_socket(t.st, AF_INET, SOCK_STREAM, 0);
  ck_assert_int_eq(fd, 3);
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_port = htons(8080),
                          .sin_addr.s_addr = htonl(TU_LOCAL)};
  ck_assert_int_eq(sf_bind(t.st, fd, (struct sockaddr *)&a, sizeof(a)), 0);
  ck_assert_int_eq(sf_listen(t.st, fd, 16), 0);
}

/* Sends a SYN with the given options to a listener on 8080 and pops the
 * SYN-ACK. */
static void synack_for(const uint8_t *opts, uint8_t optlen, struct tu_out *o) {
  listen_8080();
  struct tu_seg syn = {.seq = 1000000,
                       .flags = TH_SYN,
                       .opts = optlen ? opts : NULL,
                       .optlen = optlen};
  tu_send_tcp(&t, &syn);
  tu_pop(&t, o);
  ck_assert_uint_eq(o->flags, TH_SYN | TH_ACK);
  ck_assert_uint_eq(o->ack, 1000001);
}

/* Connects to the peer and pops the SYN. */
static void syn_of_connect(struct tu_out *o) {
  tu_connect(&t);
  tu_pop(&t, o);
  ck_assert_uint_eq(o->flags, TH_SYN);
}

/* Compares the option bytes of o with want; the TS value and echo are
 * written into want at ts_off (when >= 0) from the decoded packet, so only
 * their position is checked there. */
static void expect_opts(const struct tu_out *o, const uint8_t *want_in,
                        uint8_t n, int ts_off) {
  uint8_t want[40];
  memcpy(want, want_in, n);
  if (ts_off >= 0) {
    ck_assert(o->has_ts);
    sf_put32(want + ts_off, o->ts_val);
    sf_put32(want + ts_off + 4, o->ts_ecr);
  }
  ck_assert_uint_eq(o->optlen, n);
  for (uint8_t i = 0; i < n; i++)
    ck_assert_msg(o->opts[i] == want[i], "option byte %u is %u, expected %u", i,
                  o->opts[i], want[i]);
}

static int parse(const uint8_t *opt, uint32_t len, struct sf_tcp_seg *seg) {
  memset(seg, 0, sizeof(*seg));
  return sf_tcp_parse_options(opt, len, seg);
}

/* ---- parsing, called directly ---- */

START_TEST(test_parse_mss) {
  const uint8_t o[] = {2, 4, 0x05, 0xb4};
  struct sf_tcp_seg s;
  ck_assert_int_eq(parse(o, sizeof(o), &s), 0);
  ck_assert(s.has_mss);
  ck_assert_uint_eq(s.mss, 1460);
}
END_TEST

START_TEST(test_parse_window_scale) {
  const uint8_t o[] = {1, 3, 3, 7};
  struct sf_tcp_seg s;
  ck_assert_int_eq(parse(o, sizeof(o), &s), 0);
  ck_assert(s.has_ws);
  ck_assert_uint_eq(s.ws, 7);
}
END_TEST

START_TEST(test_parse_sack_permitted) {
  const uint8_t o[] = {1, 1, 4, 2};
  struct sf_tcp_seg s;
  ck_assert_int_eq(parse(o, sizeof(o), &s), 0);
  ck_assert(s.has_sackok);
  ck_assert(!s.has_mss && !s.has_ws && !s.has_ts);
}
END_TEST

START_TEST(test_parse_timestamps) {
  const uint8_t o[] = {1,    1,    8,    10,   0x11, 0x22,
                       0x33, 0x44, 0xaa, 0xbb, 0xcc, 0xdd};
  struct sf_tcp_seg s;
  ck_assert_int_eq(parse(o, sizeof(o), &s), 0);
  ck_assert(s.has_ts);
  ck_assert_uint_eq(s.ts_val, 0x11223344u);
  ck_assert_uint_eq(s.ts_ecr, 0xaabbccddu);
}
END_TEST

START_TEST(test_parse_sack_blocks) {
  uint8_t o[36] = {1, 1, 5, 34};
  for (uint32_t i = 0; i < 8; i++)
    sf_put32(o + 4 + 4 * i, 1000 * (i + 1));
  struct sf_tcp_seg s;
  ck_assert_int_eq(parse(o, sizeof(o), &s), 0);
  ck_assert_uint_eq(s.nsack, 4);
  ck_assert_uint_eq(s.sack[0].start, 1000);
  ck_assert_uint_eq(s.sack[0].end, 2000);
  ck_assert_uint_eq(s.sack[3].start, 7000);
  ck_assert_uint_eq(s.sack[3].end, 8000);
}
END_TEST

START_TEST(test_parse_sack_with_bad_length_is_ignored) {
  /* RFC 2018 3: the length is 2 + 8n */
  uint8_t o[16] = {1, 1, 5, 12};
  sf_put32(o + 4, 1000);
  sf_put32(o + 8, 2000);
  struct sf_tcp_seg s;
  parse(o, sizeof(o), &s);
  ck_assert_uint_eq(s.nsack, 0);
}
END_TEST

START_TEST(test_parse_eol_ends_the_list) {
  const uint8_t o[] = {0, 2, 4, 0x05, 0xb4, 0, 0, 0};
  struct sf_tcp_seg s;
  ck_assert_int_eq(parse(o, sizeof(o), &s), 0);
  ck_assert(!s.has_mss);
}
END_TEST

START_TEST(test_parse_nops_are_skipped) {
  const uint8_t o[] = {1, 1, 1, 2, 4, 0x02, 0x18, 1};
  struct sf_tcp_seg s;
  ck_assert_int_eq(parse(o, sizeof(o), &s), 0);
  ck_assert(s.has_mss);
  ck_assert_uint_eq(s.mss, 536);
}
END_TEST

START_TEST(test_option_length_zero_stops_parsing_without_hanging) {
  /* RFC 9293 MUST-7: the MSS before the bad option stands */
  const uint8_t o[] = {2, 4, 0x05, 0xb4, 0xfe, 0, 1, 3, 3, 7, 0, 0};
  struct sf_tcp_seg s;
  ck_assert_int_eq(parse(o, sizeof(o), &s), -EINVAL);
  ck_assert(s.has_mss);
  ck_assert_uint_eq(s.mss, 1460);
  ck_assert(!s.has_ws);
}
END_TEST

START_TEST(test_option_length_one_stops_parsing_without_hanging) {
  const uint8_t o[] = {2, 4, 0x05, 0xb4, 8, 1, 1, 3, 3, 7, 0, 0};
  struct sf_tcp_seg s;
  ck_assert_int_eq(parse(o, sizeof(o), &s), -EINVAL);
  ck_assert(s.has_mss);
  ck_assert(!s.has_ts && !s.has_ws);
}
END_TEST

START_TEST(test_option_running_past_the_header_stops_parsing) {
  const uint8_t o[] = {2, 4, 0x05, 0xb4, 1, 3, 8, 7};
  struct sf_tcp_seg s;
  ck_assert_int_eq(parse(o, sizeof(o), &s), -EINVAL);
  ck_assert(s.has_mss);
  ck_assert(!s.has_ws);
}
END_TEST

START_TEST(test_option_kind_in_last_byte_without_length_stops_parsing) {
  const uint8_t o[] = {2, 4, 0x05, 0xb4, 1, 1, 1, 8};
  struct sf_tcp_seg s;
  ck_assert_int_eq(parse(o, sizeof(o), &s), -EINVAL);
  ck_assert(s.has_mss);
  ck_assert(!s.has_ts);
}
END_TEST

START_TEST(test_unknown_option_kind_is_skipped_by_its_length) {
  /* RFC 9293 MUST-6 */
  const uint8_t o[] = {0xfe, 6, 2, 4, 0x05, 0xb4, 2, 4, 0x02, 0x18, 1, 1};
  struct sf_tcp_seg s;
  ck_assert_int_eq(parse(o, sizeof(o), &s), 0);
  ck_assert(s.has_mss);
  ck_assert_uint_eq(s.mss, 536); /* not the bytes inside the unknown one */
}
END_TEST

START_TEST(test_known_option_with_wrong_length_is_ignored) {
  const uint8_t o[] = {2, 6, 0x05, 0xb4, 0, 0, 1, 3, 3, 7, 1, 1};
  struct sf_tcp_seg s;
  ck_assert_int_eq(parse(o, sizeof(o), &s), 0);
  ck_assert(!s.has_mss);
  ck_assert(s.has_ws);
  ck_assert_uint_eq(s.ws, 7);
}
END_TEST

START_TEST(test_options_are_parsed_at_any_alignment) {
  /* RFC 9293 MUST-64: MSS at offset 1, wscale at 5, sackOK at 8, TS at 10 */
  const uint8_t o[] = {1, 2, 4, 0x03, 0xe8, 3, 3, 5, 4, 2, 8, 10,
                       0, 0, 0, 9,    0,    0, 0, 3, 0, 0, 0, 0};
  struct sf_tcp_seg s;
  ck_assert_int_eq(parse(o, sizeof(o), &s), 0);
  ck_assert_uint_eq(s.mss, 1000);
  ck_assert_uint_eq(s.ws, 5);
  ck_assert(s.has_sackok);
  ck_assert_uint_eq(s.ts_val, 9);
  ck_assert_uint_eq(s.ts_ecr, 3);
}
END_TEST

/* ---- emission, called directly ---- */

START_TEST(test_write_linux_syn_layout_with_all_options) {
  struct sf_tcp_optreq r = {.syn = true,
                            .mss = true,
                            .mss_val = 1460,
                            .sackok = true,
                            .ts = true,
                            .ts_val = 0x01020304,
                            .ws = true,
                            .ws_val = 8};
  uint8_t out[40];
  const uint8_t want[] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 1, 2,
                          3, 4, 0,    0,    0, 0, 1, 3,  3, 8};
  ck_assert_uint_eq(sf_tcp_write_options(&r, SF_SYNOPT_LINUX, out),
                    sizeof(want));
  ck_assert_mem_eq(out, want, sizeof(want));
}
END_TEST

START_TEST(test_write_linux_syn_layout_without_timestamps) {
  struct sf_tcp_optreq r = {.syn = true,
                            .mss = true,
                            .mss_val = 1460,
                            .sackok = true,
                            .ws = true,
                            .ws_val = 8};
  uint8_t out[40];
  const uint8_t want[] = {2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, 8};
  ck_assert_uint_eq(sf_tcp_write_options(&r, SF_SYNOPT_LINUX, out),
                    sizeof(want));
  ck_assert_mem_eq(out, want, sizeof(want));
}
END_TEST

START_TEST(test_write_linux_syn_layout_timestamps_without_sack) {
  struct sf_tcp_optreq r = {
      .syn = true, .mss = true, .mss_val = 1460, .ts = true, .ts_val = 7};
  uint8_t out[40];
  const uint8_t want[] = {2, 4, 0x05, 0xb4, 1, 1, 8, 10,
                          0, 0, 0,    7,    0, 0, 0, 0};
  ck_assert_uint_eq(sf_tcp_write_options(&r, SF_SYNOPT_LINUX, out),
                    sizeof(want));
  ck_assert_mem_eq(out, want, sizeof(want));
}
END_TEST

START_TEST(test_write_aligned_syn_layout) {
  struct sf_tcp_optreq r = {.syn = true,
                            .mss = true,
                            .mss_val = 1460,
                            .sackok = true,
                            .ts = true,
                            .ts_val = 5,
                            .ts_ecr = 6,
                            .ws = true,
                            .ws_val = 8};
  uint8_t out[40];
  const uint8_t want[] = {2, 4, 0x05, 0xb4, 1, 3, 3, 8, 1, 1, 4, 2,
                          1, 1, 8,    10,   0, 0, 0, 5, 0, 0, 0, 6};
  ck_assert_uint_eq(sf_tcp_write_options(&r, SF_SYNOPT_ALIGNED, out),
                    sizeof(want));
  ck_assert_mem_eq(out, want, sizeof(want));
}
END_TEST

START_TEST(test_write_timestamps_on_data_segment_take_twelve_bytes) {
  struct sf_tcp_optreq r = {.ts = true, .ts_val = 0x10, .ts_ecr = 0x20};
  uint8_t out[40];
  const uint8_t want[] = {1, 1, 8, 10, 0, 0, 0, 0x10, 0, 0, 0, 0x20};
  ck_assert_uint_eq(sf_tcp_write_options(&r, SF_SYNOPT_LINUX, out), 12);
  ck_assert_mem_eq(out, want, sizeof(want));
}
END_TEST

START_TEST(test_write_sack_with_timestamps_fits_three_blocks) {
  /* RFC 2018 3: 40 bytes hold TS and at most three blocks */
  struct sf_tcp_optreq r = {.ts = true, .nsack = 4};
  for (int i = 0; i < 4; i++)
    r.sack[i] = (struct sf_seq_range){100u * (i + 1), 100u * (i + 1) + 50};
  uint8_t out[40];
  ck_assert_uint_eq(sf_tcp_write_options(&r, SF_SYNOPT_LINUX, out), 40);
  ck_assert_uint_eq(out[12], 1);
  ck_assert_uint_eq(out[13], 1);
  ck_assert_uint_eq(out[14], 5);
  ck_assert_uint_eq(out[15], 26);
  struct sf_tcp_seg s;
  ck_assert_int_eq(parse(out, 40, &s), 0);
  ck_assert_uint_eq(s.nsack, 3);
  ck_assert_uint_eq(s.sack[0].start, 100);
  ck_assert_uint_eq(s.sack[2].end, 350);
}
END_TEST

START_TEST(test_write_sack_without_timestamps_fits_four_blocks) {
  struct sf_tcp_optreq r = {.nsack = 4};
  for (int i = 0; i < 4; i++)
    r.sack[i] = (struct sf_seq_range){100u * (i + 1), 100u * (i + 1) + 50};
  uint8_t out[40];
  ck_assert_uint_eq(sf_tcp_write_options(&r, SF_SYNOPT_LINUX, out), 36);
  struct sf_tcp_seg s;
  ck_assert_int_eq(parse(out, 36, &s), 0);
  ck_assert_uint_eq(s.nsack, 4);
  ck_assert_uint_eq(s.sack[3].start, 400);
}
END_TEST

START_TEST(test_written_option_length_is_a_multiple_of_four) {
  struct sf_tcp_optreq r = {
      .syn = true, .mss = true, .mss_val = 536, .sackok = true};
  uint8_t out[40];
  uint32_t n = sf_tcp_write_options(&r, SF_SYNOPT_LINUX, out);
  ck_assert_uint_eq(n, 8);
  struct sf_tcp_seg s;
  ck_assert_int_eq(parse(out, n, &s), 0);
  ck_assert(s.has_sackok);
  ck_assert_uint_eq(s.mss, 536);
}
END_TEST

/* ---- SYN and SYN-ACK layouts on the wire ---- */

START_TEST(test_linux_syn_carries_mss_sackok_ts_nop_wscale_8) {
  struct tu_out o;
  syn_of_connect(&o);
  const uint8_t want[] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0,
                          0, 0, 0,    0,    0, 0, 1, 3,  3, 8};
  expect_opts(&o, want, sizeof(want), 8);
  ck_assert_uint_eq(o.ts_ecr, 0);
}
END_TEST

START_TEST(test_linux_synack_without_ts_is_mss_nop_nop_sackok_nop_wscale) {
  struct tu_out o;
  synack_for(opts_mss_sack_ws, sizeof(opts_mss_sack_ws), &o);
  const uint8_t want[] = {2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, 8};
  expect_opts(&o, want, sizeof(want), -1);
}
END_TEST

START_TEST(test_linux_synack_with_all_options_echoes_the_syn_tsval) {
  struct tu_out o;
  synack_for(tu_opts_full, sizeof(tu_opts_full), &o);
  const uint8_t want[] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0,
                          0, 0, 0,    0,    0, 0, 1, 3,  3, 8};
  expect_opts(&o, want, sizeof(want), 8);
  ck_assert_uint_eq(o.ts_ecr, 1); /* the SYN's TSval */
}
END_TEST

START_TEST(test_synack_has_no_wscale_when_the_syn_offered_none) {
  /* RFC 7323 2.2: a SYN-ACK carries wscale only in reply to one */
  struct tu_out o;
  synack_for(opts_mss_sack_ts, sizeof(opts_mss_sack_ts), &o);
  const uint8_t want[] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10,
                          0, 0, 0,    0,    0, 0, 0, 0};
  expect_opts(&o, want, sizeof(want), 8);
  ck_assert_uint_eq(o.ws, 0xff);
}
END_TEST

START_TEST(test_synack_has_no_sackok_when_the_syn_offered_none) {
  /* RFC 2018 2 */
  struct tu_out o;
  synack_for(opts_mss_ts, sizeof(opts_mss_ts), &o);
  const uint8_t want[] = {2, 4, 0x05, 0xb4, 1, 1, 8, 10,
                          0, 0, 0,    0,    0, 0, 0, 0};
  expect_opts(&o, want, sizeof(want), 8);
  ck_assert(!o.sackok);
}
END_TEST

START_TEST(test_synack_has_no_timestamps_when_the_syn_offered_none) {
  /* RFC 7323 3.2 */
  struct tu_out o;
  synack_for(opts_mss_ws, sizeof(opts_mss_ws), &o);
  const uint8_t want[] = {2, 4, 0x05, 0xb4, 1, 3, 3, 8};
  expect_opts(&o, want, sizeof(want), -1);
}
END_TEST

START_TEST(test_synack_to_a_syn_without_options_carries_only_mss) {
  /* RFC 9293 MUST-14: the MSS option is sent in every SYN-ACK (MAY-3) */
  struct tu_out o;
  synack_for(opts_none, 0, &o);
  const uint8_t want[] = {2, 4, 0x05, 0xb4};
  expect_opts(&o, want, sizeof(want), -1);
}
END_TEST

START_TEST(test_rfc_syn_uses_the_aligned_layout) {
  struct tu_out o;
  syn_of_connect(&o);
  const uint8_t want[] = {2, 4, 0x05, 0xb4, 1, 3, 3, 8, 1, 1, 4, 2,
                          1, 1, 8,    10,   0, 0, 0, 0, 0, 0, 0, 0};
  expect_opts(&o, want, sizeof(want), 16);
}
END_TEST

START_TEST(test_rfc_synack_uses_the_aligned_layout) {
  struct tu_out o;
  synack_for(opts_mss_sack, sizeof(opts_mss_sack), &o);
  const uint8_t want[] = {2, 4, 0x05, 0xb4, 1, 1, 4, 2};
  expect_opts(&o, want, sizeof(want), -1);
}
END_TEST

/* ---- options in the connection ---- */

START_TEST(test_syn_options_at_odd_offsets_are_taken) {
  /* RFC 9293 MUST-64 */
  const uint8_t o[] = {1, 2, 4, 0x03, 0xe8, 3, 3, 5, 4, 2, 8, 10,
                       0, 0, 0, 9,    0,    0, 0, 0, 0, 0, 0, 0};
  struct tu_conn c;
  tu_open_passive(&t, &c, o, sizeof(o));
  sf_tcp_info i = tu_info(&t, c.fd);
  ck_assert_uint_eq(i.peer_mss, 1000);
  ck_assert_uint_eq(i.snd_wscale, 5);
  ck_assert(i.sack_ok && i.ts_ok);
}
END_TEST

START_TEST(test_syn_with_unknown_option_still_takes_the_known_ones) {
  /* RFC 9293 MUST-6 */
  const uint8_t o[] = {0xfd, 4, 0xde, 0xad, 2, 4, 0x03, 0xe8};
  struct tu_conn c;
  tu_open_passive(&t, &c, o, sizeof(o));
  ck_assert_uint_eq(tu_info(&t, c.fd).peer_mss, 1000);
}
END_TEST

START_TEST(test_syn_with_option_past_the_header_keeps_the_mss_before_it) {
  /* RFC 9293 MUST-7: the connection opens; the wscale is not taken */
  const uint8_t o[] = {2, 4, 0x03, 0xe8, 1, 3, 9, 7};
  struct tu_conn c;
  tu_open_passive(&t, &c, o, sizeof(o));
  sf_tcp_info i = tu_info(&t, c.fd);
  ck_assert_uint_eq(i.peer_mss, 1000);
  ck_assert_uint_eq(i.snd_wscale, 0xff);
  ck_assert_uint_eq(sf_stack_stats(t.st)->tcp_bad_opt, 1);
}
END_TEST

START_TEST(test_data_segment_with_bad_option_length_is_still_processed) {
  /* RFC 9293 MUST-7: the TS before the bad option is echoed, data kept */
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_full, sizeof(tu_opts_full));
  const uint8_t bad[] = {0xfe, 0};
  c.ts_val = 500;
  tu_conn_send_seg(
      &t, &c,
      &(struct tu_seg){
          .flags = TH_ACK, .len = 10, .opts = bad, .optlen = sizeof(bad)});
  c.seq += 10;
  struct tu_out o;
  tu_conn_pop(&t, &c, &o);
  ck_assert_uint_eq(o.ack, c.seq);
  ck_assert_uint_eq(o.ts_ecr, 500);
  ck_assert_uint_eq(tu_info(&t, c.fd).rcv_queued, 10);
  ck_assert_uint_eq(sf_stack_stats(t.st)->tcp_bad_opt, 1);
}
END_TEST

START_TEST(test_unknown_option_on_data_segment_is_skipped) {
  /* RFC 9293 MUST-5, MUST-6 */
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  const uint8_t unk[] = {0xfe, 4, 1, 2};
  tu_conn_send_seg(
      &t, &c,
      &(struct tu_seg){
          .flags = TH_ACK, .len = 20, .opts = unk, .optlen = sizeof(unk)});
  c.seq += 20;
  tu_conn_expect(&t, &c, TH_ACK, 1, 21, 0);
  ck_assert_uint_eq(tu_info(&t, c.fd).rcv_queued, 20);
}
END_TEST

START_TEST(test_sack_option_on_a_pure_ack_is_taken) {
  /* RFC 9293 MUST-5: options arrive on any segment. Two 500-byte segments,
   * the second SACKed: the fast retransmission stops where the SACKed
   * bytes begin instead of resending 1000 bytes. */
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_full, sizeof(tu_opts_full));
  int one = 1;
  ck_assert_int_eq(
      sf_setsockopt(t.st, c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)),
      0);
  uint8_t buf[500] = {0};
  ck_assert_int_eq(sf_write(t.st, c.fd, buf, 500), 500);
  ck_assert_int_eq(sf_write(t.st, c.fd, buf, 500), 500);
  tu_conn_expect(&t, &c, TH_ACK | TH_PSH, 1, 1, 500);
  tu_conn_expect(&t, &c, TH_ACK | TH_PSH, 501, 1, 500);
  uint8_t sack[12] = {1, 1, 5, 10};
  sf_put32(sack + 4, c.iss + 501);
  sf_put32(sack + 8, c.iss + 1001);
  for (int i = 0; i < 3; i++)
    tu_conn_send_seg(&t, &c,
                     &(struct tu_seg){.flags = TH_ACK,
                                      .opts = sack,
                                      .optlen = sizeof(sack)});
  tu_conn_expect(&t, &c, TH_ACK, 1, 1, 500);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_mss_is_never_sent_outside_syn_segments) {
  /* RFC 9293 MUST-65 */
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_full, sizeof(tu_opts_full));
  uint8_t buf[100] = {0};
  ck_assert_int_eq(sf_write(t.st, c.fd, buf, 100), 100);
  tu_conn_send(&t, &c, TH_ACK, 50);
  ck_assert_int_eq(sf_read(t.st, c.fd, buf, sizeof(buf)), 50);
  ck_assert_int_eq(sf_close(t.st, c.fd), 0);
  int n = 0;
  while (tu_pending(&t)) {
    struct tu_out o;
    tu_conn_pop(&t, &c, &o);
    ck_assert(!(o.flags & TH_SYN));
    ck_assert_uint_eq(o.mss, 0);
    n++;
  }
  ck_assert_int_ge(n, 2);
}
END_TEST

START_TEST(test_send_mss_defaults_to_536_without_mss_option) {
  /* RFC 9293 MUST-15 */
  struct tu_conn c;
  tu_open_passive(&t, &c, opts_none, 0);
  ck_assert_uint_eq(tu_info(&t, c.fd).mss, 536);
  uint8_t buf[1000] = {0};
  ck_assert_int_eq(sf_write(t.st, c.fd, buf, 1000), 1000);
  tu_conn_expect(&t, &c, TH_ACK, 1, 1, 536);
  tu_conn_expect(&t, &c, TH_ACK | TH_PSH, 537, 1, 464);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_send_mss_is_the_peer_mss_when_smaller_than_the_mtu) {
  const uint8_t o[] = {2, 4, 0x03, 0xe8};
  struct tu_conn c;
  tu_open_passive(&t, &c, o, sizeof(o));
  uint8_t buf[1500] = {0};
  ck_assert_int_eq(sf_write(t.st, c.fd, buf, 1500), 1500);
  tu_conn_expect(&t, &c, TH_ACK, 1, 1, 1000);
  tu_conn_expect(&t, &c, TH_ACK | TH_PSH, 1001, 1, 500);
}
END_TEST

START_TEST(test_send_mss_is_capped_by_the_mtu) {
  /* RFC 9293 MUST-16: min(SendMSS + 20, MMS_S) - 20 */
  const uint8_t o[] = {2, 4, 0x23, 0x28}; /* 9000 */
  struct tu_conn c;
  tu_open_passive(&t, &c, o, sizeof(o));
  ck_assert_uint_eq(tu_info(&t, c.fd).mss, 1460);
}
END_TEST

START_TEST(test_send_mss_leaves_room_for_the_timestamp_option) {
  /* RFC 9293 MUST-16: the TCP options of every segment count */
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_full, sizeof(tu_opts_full));
  uint8_t buf[3000] = {0};
  ck_assert_int_eq(sf_write(t.st, c.fd, buf, 3000), 3000);
  tu_conn_expect(&t, &c, TH_ACK, 1, 1, 1448);
  tu_conn_expect(&t, &c, TH_ACK, 1449, 1, 1448);
  tu_conn_expect(&t, &c, TH_ACK | TH_PSH, 2897, 1, 104);
}
END_TEST

/* An MSS option smaller than the timestamp option leaves the floor of 64
 * bytes, not a wrapped-around MSS (found by tcp_scenario_fuzzer: MSS 10
 * with timestamps made the congestion window zero). */
START_TEST(test_tiny_mss_with_timestamps_keeps_the_floor) {
  static const uint8_t o[16] = {2, 4, 0, 10, 1, 1, 8, 10,
                                0, 0, 0, 1,  0, 0, 0, 0};
  struct tu_conn c;
  tu_open_passive(&t, &c, o, sizeof(o));
  sf_tcp_info i = tu_info(&t, c.fd);
  ck_assert_uint_eq(i.mss, 64);
  ck_assert_uint_gt(i.cwnd, 0);
}
END_TEST

START_TEST(test_small_mtu_lowers_advertised_and_send_mss) {
  tu_restart(&t, SF_PROFILE_LINUX, 1000);
  struct tu_out o;
  synack_for(tu_opts_mss, sizeof(tu_opts_mss), &o);
  ck_assert_uint_eq(o.mss, 960);
  tu_drain(&t);
  tu_restart(&t, SF_PROFILE_LINUX, 1000);
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  ck_assert_uint_eq(tu_info(&t, c.fd).mss, 960);
}
END_TEST

/* ---- window scaling ---- */

/* A stack whose buffers hold the linux profile's 540000-byte receive
 * buffer (the fixture's are 64 KiB). */
static void restart_with_big_buffers(void) {
  tu_teardown(&t);
  tu_init(&t, SF_PROFILE_LINUX);
  t.cfg.buf_capacity = 1u << 20;
  tu_start(&t);
}

START_TEST(test_linux_initial_window_is_the_buffer_share_in_whole_segments) {
  /* Linux (tcp_select_initial_window): half of 540000 in segments of 1448
   * (timestamps): 269328, of which the SYN-ACK carries 65535; the first
   * ACK offers the rest (window_clamp less a segment, aligned: 1052 << 8;
   * as the kernel does) */
  restart_with_big_buffers();
  struct tu_out o;
  synack_for(tu_opts_full, sizeof(tu_opts_full), &o);
  ck_assert_uint_eq(o.win, 65535);
  struct tu_conn c;
  memset(&c, 0, sizeof(c));
  c.lport = 8080;
  c.rport = 40000;
  c.irs = 1000000;
  c.seq = c.irs + 1;
  c.iss = o.seq;
  c.ack = o.seq + 1;
  c.ts = true;
  c.ts_val = 200;
  c.ts_ecr = o.ts_val;
  tu_conn_send(&t, &c, TH_ACK, 0);
  c.fd = sf_accept(t.st, 3, NULL, NULL);
  ck_assert_int_ge(c.fd, 3);
  ck_assert_uint_eq(tu_info(&t, c.fd).rcv_wnd, 269328);
  tu_conn_send(&t, &c, TH_ACK | TH_PSH, 100);
  tu_conn_pop(&t, &c, &o);
  ck_assert_uint_eq(o.win, 1052);
}
END_TEST

START_TEST(test_so_rcvbuf_limits_the_syn_window_and_its_scale) {
  /* Linux: SO_RCVBUF 10000 (20000 of memory, 10000 of window) gives 6 * 1460
   * and, as the window can never grow past it, no scaling (as the kernel) */
  int fd = sf_socket(t.st, AF_INET, SOCK_STREAM, 0);
  int v = 10000;
  ck_assert_int_eq(
      sf_setsockopt(t.st, fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)), 0);
  tu_connect_fd(&t, fd);
  struct tu_out o;
  tu_pop(&t, &o);
  ck_assert_uint_eq(o.win, 8760);
  ck_assert_uint_eq(o.ws, 0);
}
END_TEST

START_TEST(test_window_scale_above_14_is_taken_as_14) {
  /* RFC 7323 2.3 */
  const uint8_t o[] = {2, 4, 0x05, 0xb4, 1, 3, 3, 15};
  struct tu_conn c;
  tu_open_passive(&t, &c, o, sizeof(o));
  ck_assert_uint_eq(tu_info(&t, c.fd).snd_wscale, 14);
  tu_conn_send_seg(&t, &c, &(struct tu_seg){.flags = TH_ACK, .win = 1});
  ck_assert_uint_eq(tu_info(&t, c.fd).snd_wnd, 1u << 14);
}
END_TEST

START_TEST(test_synack_window_is_never_scaled) {
  /* RFC 7323 2.2; Linux offers 65535 rounded down to whole MSS */
  struct tu_out o;
  synack_for(opts_mss_sack_ws, sizeof(opts_mss_sack_ws), &o);
  ck_assert_uint_eq(o.win, 64240);
}
END_TEST

START_TEST(test_window_of_a_received_syn_is_not_scaled) {
  /* RFC 7323 2.2: the SYN-ACK's window 1000 is 1000 bytes, not 1000 << 7 */
  int fd = tu_connect(&t);
  struct tu_out syn;
  tu_pop(&t, &syn);
  struct tu_seg sa = {.sport = 8080,
                      .dport = syn.sport,
                      .seq = 5000,
                      .ack = syn.seq + 1,
                      .flags = TH_SYN | TH_ACK,
                      .win = 1000,
                      .opts = opts_mss_ws,
                      .optlen = sizeof(opts_mss_ws)};
  tu_send_tcp(&t, &sa);
  tu_drain(&t);
  sf_tcp_info i = tu_info(&t, fd);
  ck_assert_uint_eq(i.snd_wscale, 7);
  ck_assert_uint_eq(i.snd_wnd, 1000);
  uint8_t buf[3000] = {0};
  ck_assert_int_eq(sf_write(t.st, fd, buf, 3000), 3000);
  struct tu_out d;
  tu_pop(&t, &d);
  ck_assert_uint_eq(d.len, 1000); /* half the largest window (MUST-38) */
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_peer_window_is_scaled_after_the_handshake) {
  struct tu_conn c;
  tu_open_passive(&t, &c, opts_mss_ws, sizeof(opts_mss_ws));
  tu_conn_send_seg(&t, &c, &(struct tu_seg){.flags = TH_ACK, .win = 20});
  ck_assert_uint_eq(tu_info(&t, c.fd).snd_wnd, 20u << 7);
  uint8_t buf[3000] = {0};
  ck_assert_int_eq(sf_write(t.st, c.fd, buf, 3000), 3000);
  /* Linux: the burst the window ends carries PSH */
  tu_conn_expect(&t, &c, TH_ACK | TH_PSH, 1, 1, 1460);
  tu_expect_silence(&t); /* 1100 more would fit, but not a full segment */
}
END_TEST

START_TEST(test_own_window_is_scaled_after_the_handshake) {
  struct tu_conn c;
  tu_open_passive(&t, &c, opts_mss_ws, sizeof(opts_mss_ws));
  tu_conn_send(&t, &c, TH_ACK, 1000);
  struct tu_out o;
  tu_conn_pop(&t, &c, &o);
  sf_tcp_info i = tu_info(&t, c.fd);
  ck_assert_uint_eq(i.rcv_wscale, 8);
  ck_assert_uint_le(o.win, 256);
  ck_assert_uint_ge(o.win, 240);
  ck_assert_uint_eq((uint32_t)o.win << 8, i.rcv_wnd);
}
END_TEST

START_TEST(test_no_scaling_either_way_when_the_peer_offered_none) {
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  sf_tcp_info i = tu_info(&t, c.fd);
  ck_assert_uint_eq(i.snd_wscale, 0xff);
  ck_assert_uint_eq(i.rcv_wscale, 0xff);
  tu_conn_send_seg(&t, &c, &(struct tu_seg){.flags = TH_ACK, .win = 3000});
  ck_assert_uint_eq(tu_info(&t, c.fd).snd_wnd, 3000);
  tu_conn_send(&t, &c, TH_ACK, 2000);
  struct tu_out o;
  tu_conn_pop(&t, &c, &o);
  ck_assert_uint_gt(o.win, 60000); /* bytes, not units of 256 */
}
END_TEST

START_TEST(test_syn_omits_wscale_when_window_scaling_is_off) {
  tu_profile_set(&t, "window_scaling", 0);
  struct tu_out o;
  syn_of_connect(&o);
  ck_assert_uint_eq(o.ws, 0xff);
  const uint8_t want[] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10,
                          0, 0, 0,    0,    0, 0, 0, 0};
  expect_opts(&o, want, sizeof(want), 8);
}
END_TEST

/* ---- timestamps and PAWS ---- */

START_TEST(test_timestamp_of_the_peer_is_echoed) {
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_full, sizeof(tu_opts_full));
  c.ts_val = 777;
  tu_conn_send(&t, &c, TH_ACK, 10);
  struct tu_out o;
  tu_conn_pop(&t, &c, &o);
  ck_assert(o.has_ts);
  ck_assert_uint_eq(o.ts_ecr, 777);
}
END_TEST

START_TEST(test_every_segment_carries_timestamps_once_negotiated) {
  /* RFC 7323 3.2 */
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_full, sizeof(tu_opts_full));
  uint8_t buf[2000] = {0};
  ck_assert_int_eq(sf_write(t.st, c.fd, buf, 2000), 2000);
  tu_conn_send(&t, &c, TH_ACK | TH_FIN, 0);
  int n = 0;
  while (tu_pending(&t)) {
    struct tu_out o;
    tu_conn_pop(&t, &c, &o);
    ck_assert(o.has_ts);
    ck_assert_uint_eq(o.optlen, 12);
    n++;
  }
  ck_assert_int_ge(n, 3);
}
END_TEST

START_TEST(test_timestamp_clock_advances_with_virtual_time) {
  /* RFC 7323 5.4: the linux profile ticks every millisecond */
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_full, sizeof(tu_opts_full));
  tu_conn_send(&t, &c, TH_ACK, 1);
  struct tu_out a, b;
  tu_conn_pop(&t, &c, &a);
  tu_advance(&t, 1250000);
  tu_conn_send(&t, &c, TH_ACK, 1);
  tu_conn_pop(&t, &c, &b);
  ck_assert_uint_eq(b.ts_val - a.ts_val, 1250);
}
END_TEST

START_TEST(test_ts_recent_is_not_taken_from_an_out_of_order_segment) {
  /* RFC 7323 4.3: only a segment covering Last.ACK.sent updates TS.Recent */
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_full, sizeof(tu_opts_full));
  c.ts_val = 200;
  tu_conn_send(&t, &c, TH_ACK, 100);
  tu_drain(&t);
  c.ts_val = 900;
  tu_conn_send_seg(&t, &c,
                   &(struct tu_seg){.flags = TH_ACK, .seq = 100, .len = 100});
  struct tu_out o;
  tu_conn_pop(&t, &c, &o);
  ck_assert_uint_eq(o.ack, c.seq); /* duplicate ACK */
  ck_assert_uint_eq(o.ts_ecr, 200);
  ck_assert_uint_eq(tu_info(&t, c.fd).ts_recent, 200);
}
END_TEST

START_TEST(test_ts_recent_follows_the_in_order_segment) {
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_full, sizeof(tu_opts_full));
  c.ts_val = 300;
  tu_conn_send(&t, &c, TH_ACK, 100);
  ck_assert_uint_eq(tu_info(&t, c.fd).ts_recent, 300);
  struct tu_out o;
  tu_conn_pop(&t, &c, &o);
  ck_assert_uint_eq(o.ts_ecr, 300);
}
END_TEST

START_TEST(test_paws_drops_a_segment_with_an_old_tsval_and_acks_it) {
  /* RFC 7323 5.3 R1 */
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_full, sizeof(tu_opts_full));
  c.ts_val = 1000;
  tu_conn_send(&t, &c, TH_ACK, 10);
  tu_drain(&t);
  c.ts_val = 999;
  tu_conn_send(&t, &c, TH_ACK, 10);
  c.seq -= 10;
  struct tu_out o;
  tu_conn_pop(&t, &c, &o);
  ck_assert_uint_eq(o.flags, TH_ACK);
  ck_assert_uint_eq(o.ack, c.seq);
  ck_assert_uint_eq(o.ts_ecr, 1000);
  ck_assert_uint_eq(tu_info(&t, c.fd).rcv_queued, 10);
  ck_assert_uint_eq(sf_stack_stats(t.st)->tcp_drop_paws, 1);
}
END_TEST

START_TEST(test_paws_does_not_drop_a_rst) {
  /* RFC 7323 5.3: PAWS applies to non-RST segments only */
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_full, sizeof(tu_opts_full));
  c.ts_val = 50;
  uint8_t ts[12] = {1, 1, 8, 10, 0, 0, 0, 50};
  tu_send_tcp(&t, &(struct tu_seg){.sport = c.rport,
                                   .dport = c.lport,
                                   .seq = c.seq,
                                   .flags = TH_RST,
                                   .opts = ts,
                                   .optlen = sizeof(ts)});
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_CLOSED);
}
END_TEST

START_TEST(test_linux_accepts_a_segment_without_timestamps) {
  /* Linux takes a segment lacking TS once negotiated (RFC 7323 3.2 leaves
   * it a SHOULD) */
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_full, sizeof(tu_opts_full));
  tu_send_tcp(&t, &(struct tu_seg){.sport = c.rport,
                                   .dport = c.lport,
                                   .seq = c.seq,
                                   .ack = c.ack,
                                   .flags = TH_ACK,
                                   .len = 10});
  c.seq += 10;
  tu_conn_expect(&t, &c, TH_ACK, 1, 11, 0);
  ck_assert_uint_eq(tu_info(&t, c.fd).rcv_queued, 10);
}
END_TEST

START_TEST(test_rfc_silently_drops_a_segment_without_timestamps) {
  /* RFC 7323 3.2: "a TCP SHOULD silently drop the segment" */
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_full, sizeof(tu_opts_full));
  tu_send_tcp(&t, &(struct tu_seg){.sport = c.rport,
                                   .dport = c.lport,
                                   .seq = c.seq,
                                   .ack = c.ack,
                                   .flags = TH_ACK,
                                   .len = 10});
  ck_assert_uint_eq(tu_info(&t, c.fd).rcv_queued, 0);
  tu_expect_silence(&t);
}
END_TEST

START_TEST(test_rfc_accepts_a_rst_without_timestamps) {
  /* RFC 7323 3.2: a received RST MUST NOT be dropped for lacking TS */
  struct tu_conn c;
  tu_open_passive(&t, &c, tu_opts_full, sizeof(tu_opts_full));
  tu_send_tcp(&t, &(struct tu_seg){.sport = c.rport,
                                   .dport = c.lport,
                                   .seq = c.seq,
                                   .flags = TH_RST});
  ck_assert_int_eq(tu_state(&t, c.fd), SF_TCP_CLOSED);
  tu_expect_silence(&t);
}
END_TEST

Suite *tu_suite(void) {
  Suite *s = suite_create("tcp_options");
  TCase *p = tcase_create("parse");
  tcase_add_checked_fixture(p, setup_linux, teardown);
  tcase_add_test(p, test_parse_mss);
  tcase_add_test(p, test_parse_window_scale);
  tcase_add_test(p, test_parse_sack_permitted);
  tcase_add_test(p, test_parse_timestamps);
  tcase_add_test(p, test_parse_sack_blocks);
  tcase_add_test(p, test_parse_sack_with_bad_length_is_ignored);
  tcase_add_test(p, test_parse_eol_ends_the_list);
  tcase_add_test(p, test_parse_nops_are_skipped);
  tcase_add_test(p, test_option_length_zero_stops_parsing_without_hanging);
  tcase_add_test(p, test_option_length_one_stops_parsing_without_hanging);
  tcase_add_test(p, test_option_running_past_the_header_stops_parsing);
  tcase_add_test(p, test_option_kind_in_last_byte_without_length_stops_parsing);
  tcase_add_test(p, test_unknown_option_kind_is_skipped_by_its_length);
  tcase_add_test(p, test_known_option_with_wrong_length_is_ignored);
  tcase_add_test(p, test_options_are_parsed_at_any_alignment);
  suite_add_tcase(s, p);

  TCase *w = tcase_create("write");
  tcase_add_checked_fixture(w, setup_linux, teardown);
  tcase_add_test(w, test_write_linux_syn_layout_with_all_options);
  tcase_add_test(w, test_write_linux_syn_layout_without_timestamps);
  tcase_add_test(w, test_write_linux_syn_layout_timestamps_without_sack);
  tcase_add_test(w, test_write_aligned_syn_layout);
  tcase_add_test(w, test_write_timestamps_on_data_segment_take_twelve_bytes);
  tcase_add_test(w, test_write_sack_with_timestamps_fits_three_blocks);
  tcase_add_test(w, test_write_sack_without_timestamps_fits_four_blocks);
  tcase_add_test(w, test_written_option_length_is_a_multiple_of_four);
  suite_add_tcase(s, w);

  TCase *l = tcase_create("linux");
  tcase_add_checked_fixture(l, setup_linux, teardown);
  tcase_add_test(l, test_linux_syn_carries_mss_sackok_ts_nop_wscale_8);
  tcase_add_test(l,
                 test_linux_synack_without_ts_is_mss_nop_nop_sackok_nop_wscale);
  tcase_add_test(l, test_linux_synack_with_all_options_echoes_the_syn_tsval);
  tcase_add_test(l, test_synack_has_no_wscale_when_the_syn_offered_none);
  tcase_add_test(l, test_synack_has_no_sackok_when_the_syn_offered_none);
  tcase_add_test(l, test_synack_has_no_timestamps_when_the_syn_offered_none);
  tcase_add_test(l, test_synack_to_a_syn_without_options_carries_only_mss);
  tcase_add_test(l, test_syn_options_at_odd_offsets_are_taken);
  tcase_add_test(l, test_syn_with_unknown_option_still_takes_the_known_ones);
  tcase_add_test(l,
                 test_syn_with_option_past_the_header_keeps_the_mss_before_it);
  tcase_add_test(l,
                 test_data_segment_with_bad_option_length_is_still_processed);
  tcase_add_test(l, test_unknown_option_on_data_segment_is_skipped);
  tcase_add_test(l, test_sack_option_on_a_pure_ack_is_taken);
  tcase_add_test(l, test_mss_is_never_sent_outside_syn_segments);
  tcase_add_test(l, test_send_mss_defaults_to_536_without_mss_option);
  tcase_add_test(l, test_send_mss_is_the_peer_mss_when_smaller_than_the_mtu);
  tcase_add_test(l, test_send_mss_is_capped_by_the_mtu);
  tcase_add_test(l, test_send_mss_leaves_room_for_the_timestamp_option);
  tcase_add_test(l, test_tiny_mss_with_timestamps_keeps_the_floor);
  tcase_add_test(l, test_small_mtu_lowers_advertised_and_send_mss);
  tcase_add_test(l, test_window_scale_above_14_is_taken_as_14);
  tcase_add_test(l, test_synack_window_is_never_scaled);
  tcase_add_test(l, test_window_of_a_received_syn_is_not_scaled);
  tcase_add_test(l, test_peer_window_is_scaled_after_the_handshake);
  tcase_add_test(l, test_own_window_is_scaled_after_the_handshake);
  tcase_add_test(l, test_no_scaling_either_way_when_the_peer_offered_none);
  tcase_add_test(l, test_syn_omits_wscale_when_window_scaling_is_off);
  tcase_add_test(l, test_timestamp_of_the_peer_is_echoed);
  tcase_add_test(l, test_every_segment_carries_timestamps_once_negotiated);
  tcase_add_test(l, test_timestamp_clock_advances_with_virtual_time);
  tcase_add_test(l, test_ts_recent_is_not_taken_from_an_out_of_order_segment);
  tcase_add_test(l, test_ts_recent_follows_the_in_order_segment);
  tcase_add_test(l, test_paws_drops_a_segment_with_an_old_tsval_and_acks_it);
  tcase_add_test(l, test_paws_does_not_drop_a_rst);
  tcase_add_test(l, test_linux_accepts_a_segment_without_timestamps);
  tcase_add_test(
      l, test_linux_initial_window_is_the_buffer_share_in_whole_segments);
  tcase_add_test(l, test_so_rcvbuf_limits_the_syn_window_and_its_scale);
  suite_add_tcase(s, l);

  TCase *r = tcase_create("rfc");
  tcase_add_checked_fixture(r, setup_rfc, teardown);
  tcase_add_test(r, test_rfc_syn_uses_the_aligned_layout);
  tcase_add_test(r, test_rfc_synack_uses_the_aligned_layout);
  tcase_add_test(r, test_rfc_silently_drops_a_segment_without_timestamps);
  tcase_add_test(r, test_rfc_accepts_a_rst_without_timestamps);
  suite_add_tcase(s, r);
  return s;
}
