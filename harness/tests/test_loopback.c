/* Two stacks wired by a seeded link that drops, reorders and duplicates:
 * both applications receive exactly the bytes sent, and a seed fixes the
 * whole trace. */
#include <check.h>
#include <stdio.h>

#include "synfin/sim.h"

#define TEN_MB (10ull * 1024 * 1024)

Suite *tu_suite(void);

static void lossy(sf_transfer_config *cfg, uint64_t seed) {
  sf_transfer_config_default(cfg);
  cfg->bytes = TEN_MB;
  cfg->link.seed = seed;
  cfg->link.delay_us = 5000;
  cfg->link.jitter_us = 4000; /* reorders packets sent < 4 ms apart */
  cfg->link.loss_ppm = 10000; /* 1 % */
  cfg->link.dup_ppm = 5000;   /* 0.5 % */
  cfg->seed_a = seed * 3 + 1;
  cfg->seed_b = seed * 7 + 2;
}

static void expect_exact(const sf_transfer_config *cfg,
                         const sf_transfer_result *res, int rc) {
  ck_assert_msg(rc == 0, "transfer failed: %s", res->error);
  for (int s = 0; s < 2; s++) {
    ck_assert_uint_eq(res->written[s], cfg->bytes);
    ck_assert_uint_eq(res->read[s], cfg->bytes);
  }
}

START_TEST(test_clean_link_moves_10_mb_each_way) {
  sf_transfer_config cfg;
  sf_transfer_result res;
  sf_transfer_config_default(&cfg);
  cfg.bytes = TEN_MB;
  expect_exact(&cfg, &res, sf_transfer_run(&cfg, &res));
  ck_assert_uint_eq(res.link.lost[0] + res.link.lost[1], 0);
}
END_TEST

START_TEST(test_lossy_link_moves_10_mb_each_way_exactly) {
  sf_transfer_config cfg;
  sf_transfer_result res;
  lossy(&cfg, 42);
  expect_exact(&cfg, &res, sf_transfer_run(&cfg, &res));
  /* the link really did misbehave */
  ck_assert_uint_gt(res.link.lost[0] + res.link.lost[1], 100);
  ck_assert_uint_gt(res.link.duplicated[0] + res.link.duplicated[1], 50);
}
END_TEST

START_TEST(test_same_seed_gives_same_trace_hash) {
  sf_transfer_config cfg;
  sf_transfer_result a, b;
  lossy(&cfg, 7);
  cfg.bytes = 2 * 1024 * 1024;
  expect_exact(&cfg, &a, sf_transfer_run(&cfg, &a));
  expect_exact(&cfg, &b, sf_transfer_run(&cfg, &b));
  ck_assert_uint_eq(a.trace.h, b.trace.h);
  ck_assert_uint_eq(a.trace.packets, b.trace.packets);
  ck_assert_uint_eq(a.virtual_us, b.virtual_us);
}
END_TEST

START_TEST(test_different_seeds_give_different_traces_and_exact_bytes) {
  sf_transfer_config cfg;
  sf_transfer_result res;
  uint64_t first = 0;
  for (uint64_t seed = 100; seed < 104; seed++) {
    lossy(&cfg, seed);
    cfg.bytes = 1024 * 1024;
    expect_exact(&cfg, &res, sf_transfer_run(&cfg, &res));
    if (seed == 100)
      first = res.trace.h;
    else
      ck_assert_uint_ne(res.trace.h, first);
  }
}
END_TEST

START_TEST(test_rfc_profile_lossy_link_delivers_exactly) {
  sf_transfer_config cfg;
  sf_transfer_result res;
  lossy(&cfg, 9);
  cfg.profile = SF_PROFILE_RFC;
  cfg.bytes = 2 * 1024 * 1024;
  expect_exact(&cfg, &res, sf_transfer_run(&cfg, &res));
}
END_TEST

START_TEST(test_small_buffers_and_heavy_loss_still_deliver) {
  sf_transfer_config cfg;
  sf_transfer_result res;
  lossy(&cfg, 11);
  cfg.bytes = 256 * 1024;
  cfg.buf_capacity = 4096;
  cfg.link.loss_ppm = 100000; /* 10 % */
  expect_exact(&cfg, &res, sf_transfer_run(&cfg, &res));
}
END_TEST

Suite *tu_suite(void) {
  Suite *s = suite_create("loopback");
  TCase *tc = tcase_create("loopback");
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, test_clean_link_moves_10_mb_each_way);
  tcase_add_test(tc, test_lossy_link_moves_10_mb_each_way_exactly);
  tcase_add_test(tc, test_same_seed_gives_same_trace_hash);
  tcase_add_test(tc,
                 test_different_seeds_give_different_traces_and_exact_bytes);
  tcase_add_test(tc, test_rfc_profile_lossy_link_delivers_exactly);
  tcase_add_test(tc, test_small_buffers_and_heavy_loss_still_deliver);
  suite_add_tcase(s, tc);
  return s;
}
