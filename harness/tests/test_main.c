/* Runs the one suite a test executable holds; fails when no test ran, since
 * Check reports success for an empty run. */
#include <check.h>
#include <stdlib.h>

Suite *tu_suite(void);

int main(void) {
  SRunner *sr = srunner_create(tu_suite());
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  int run = srunner_ntests_run(sr);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  if (run == 0)
    return EXIT_FAILURE;
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
