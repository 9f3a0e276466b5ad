/* The stack's memory: one allocation, sized by sf_stack_memory_size(). */
#include <stdlib.h>

#include "stack_internal.h"
#include "test_util.h"

static sf_config cfg;

static void setup(void) {
  sf_config_default(&cfg, SF_PROFILE_LINUX);
}

struct counting {
  size_t calls, last_size;
};

static void *counting_alloc(void *ctx, size_t size) {
  struct counting *c = ctx;
  c->calls++;
  c->last_size = size;
  return calloc(1, size);
}

static void counting_free(void *ctx, void *ptr) {
  (void)ctx;
  free(ptr);
}

START_TEST(test_stack_new_allocates_memory_size_once) {
  struct counting n = {0};
  sf_allocator a = {counting_alloc, counting_free, &n};
  cfg.allocator = &a;
  sf_stack *st;
  ck_assert_int_eq(sf_stack_new(&cfg, &st), 0);
  ck_assert_uint_eq(n.calls, 1);
  ck_assert_uint_eq(n.last_size, sf_stack_memory_size(&cfg));
  sf_stack_free(st);
}
END_TEST

/* Beside its sockets and reassembly slots the stack holds itself and one
 * transmit buffer of SF_IP_MAXPACKET bytes, nothing more. */
START_TEST(test_memory_is_sockets_reassembly_and_one_transmit_buffer) {
  size_t fixed = sf_stack_memory_size(&cfg) - sf_reass_memory_size(&cfg) -
                 cfg.max_sockets * sf_stack_socket_size(&cfg);
  ck_assert_uint_ge(fixed, SF_IP_MAXPACKET);
  ck_assert_uint_le(fixed, SF_IP_MAXPACKET + sizeof(sf_stack) + 64);
}
END_TEST

Suite *tu_suite(void) {
  Suite *s = suite_create("stack");
  TCase *tc = tcase_create("memory");
  tcase_add_checked_fixture(tc, setup, NULL);
  tcase_add_test(tc, test_stack_new_allocates_memory_size_once);
  tcase_add_test(tc, test_memory_is_sockets_reassembly_and_one_transmit_buffer);
  suite_add_tcase(s, tc);
  return s;
}
