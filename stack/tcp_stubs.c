/* TEMPORARY: stands in for the TCP modules while they are written. */
#include "stack_internal.h"

void sf_tcp_input(sf_stack *st, const struct sf_ip_meta *ip,
                  const uint8_t *seg, size_t len) {
  (void)st; (void)ip; (void)seg; (void)len;
}
void sf_tcp_icmp_error(sf_stack *st, const struct sf_icmp_err *err) {
  (void)st; (void)err;
}
void sf_tcp_timers_fire(sf_stack *st, struct sf_sock *sk) {
  (void)st; (void)sk;
}
uint64_t sf_tcp_next_deadline(const struct sf_sock *sk) {
  (void)sk;
  return SF_TIME_NEVER;
}
int sf_stack_check(const sf_stack *st, char *msg, size_t cap) {
  (void)st; (void)msg; (void)cap;
  return 0;
}
