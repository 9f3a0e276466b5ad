/* The invariant checker (sf_stack_check): each test breaks one fact about a
 * live stack by hand and expects the checker to name it. Fuzz targets rely
 * on it after every event, so a check that stopped firing would hide bugs. */
#include <errno.h>
#include <string.h>

#include "stack_internal.h"
#include "test_util.h"

static struct tu t;
static struct tu_conn c;
static char why[256];

static void setup(void) {
  tu_setup(&t, SF_PROFILE_LINUX);
  tu_open_passive(&t, &c, tu_opts_mss, sizeof(tu_opts_mss));
  why[0] = 0;
}

/* Each test puts back what it broke: tu_teardown checks the invariants
 * (and the allocations) once more. */
static void teardown(void) {
  tu_teardown(&t);
}

static int verdict(void) {
  return sf_stack_check(t.st, why, sizeof(why));
}

static struct sf_sock *conn_sock(void) {
  return &t.st->socks[t.st->fd_slot[c.fd - SF_FD_BASE]];
}

START_TEST(test_live_connection_passes) {
  ck_assert_int_eq(verdict(), 0);
}
END_TEST

START_TEST(test_descriptor_mapped_to_a_socket_that_does_not_claim_it) {
  /* a second descriptor pointing at the connection's slot */
  int32_t slot = t.st->fd_slot[c.fd - SF_FD_BASE];
  uint32_t spare = t.st->cfg.max_sockets - 1;
  ck_assert_int_lt(t.st->fd_slot[spare], 0);
  t.st->fd_slot[spare] = slot;
  ck_assert_int_eq(verdict(), -EFAULT);
  ck_assert_ptr_nonnull(strstr(why, "descriptors mapped"));
  t.st->fd_slot[spare] = -1;
}
END_TEST

START_TEST(test_descriptor_mapped_past_the_used_slots) {
  uint32_t spare = t.st->cfg.max_sockets - 1;
  ck_assert_int_lt(t.st->fd_slot[spare], 0);
  t.st->fd_slot[spare] = (int32_t)t.st->socks_used;
  ck_assert_int_eq(verdict(), -EFAULT);
  ck_assert_ptr_nonnull(strstr(why, "maps to a wrong slot"));
  t.st->fd_slot[spare] = -1;
}
END_TEST

START_TEST(test_socket_whose_descriptor_is_not_in_the_table) {
  int32_t slot = t.st->fd_slot[c.fd - SF_FD_BASE];
  t.st->fd_slot[c.fd - SF_FD_BASE] = -1;
  ck_assert_int_eq(verdict(), -EFAULT);
  ck_assert_ptr_nonnull(strstr(why, "not in the table"));
  t.st->fd_slot[c.fd - SF_FD_BASE] = slot;
}
END_TEST

START_TEST(test_socket_descriptor_out_of_range) {
  struct sf_sock *sk = conn_sock();
  sk->fd = SF_FD_BASE + (int)t.st->cfg.max_sockets;
  ck_assert_int_eq(verdict(), -EFAULT);
  ck_assert_ptr_nonnull(strstr(why, "not in the table"));
  sk->fd = c.fd;
}
END_TEST

START_TEST(test_snd_una_above_snd_nxt) {
  struct sf_tcb *tcb = &conn_sock()->tcb;
  uint32_t una = tcb->snd_una;
  tcb->snd_una = tcb->snd_nxt + 1;
  ck_assert_int_eq(verdict(), -EFAULT);
  ck_assert_ptr_nonnull(strstr(why, "SND.UNA"));
  tcb->snd_una = una;
}
END_TEST

START_TEST(test_timer_overdue) {
  struct sf_tcb *tcb = &conn_sock()->tcb;
  struct sf_tcb saved = *tcb;
  t.st->now_us += 10;
  for (int i = 0; i < SF_T_COUNT; i++)
    tcb->timer[i] = 0;
  tcb->timer[SF_T_KEEP] = t.st->now_us - 1;
  tcb->deadline = tcb->timer[SF_T_KEEP];
  ck_assert_int_eq(verdict(), -EFAULT);
  ck_assert_ptr_nonnull(strstr(why, "overdue"));
  *tcb = saved;
  t.st->now_us -= 10;
}
END_TEST

START_TEST(test_cached_deadline_differs_from_the_timers) {
  struct sf_tcb *tcb = &conn_sock()->tcb;
  tcb->deadline += 1;
  ck_assert_int_eq(verdict(), -EFAULT);
  ck_assert_ptr_nonnull(strstr(why, "next deadline"));
  tcb->deadline -= 1;
}
END_TEST

START_TEST(test_reassembly_count_differs_from_the_slots) {
  t.st->reass.nused++;
  ck_assert_int_eq(verdict(), -EFAULT);
  ck_assert_ptr_nonnull(strstr(why, "reassembly"));
  t.st->reass.nused--;
}
END_TEST

Suite *tu_suite(void) {
  Suite *s = suite_create("check");
  TCase *tc = tcase_create("invariants");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_live_connection_passes);
  tcase_add_test(tc, test_descriptor_mapped_to_a_socket_that_does_not_claim_it);
  tcase_add_test(tc, test_descriptor_mapped_past_the_used_slots);
  tcase_add_test(tc, test_socket_whose_descriptor_is_not_in_the_table);
  tcase_add_test(tc, test_socket_descriptor_out_of_range);
  tcase_add_test(tc, test_snd_una_above_snd_nxt);
  tcase_add_test(tc, test_timer_overdue);
  tcase_add_test(tc, test_cached_deadline_differs_from_the_timers);
  tcase_add_test(tc, test_reassembly_count_differs_from_the_slots);
  suite_add_tcase(s, tc);
  return s;
}
