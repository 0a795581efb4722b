/* Runs one module's Check suite (GS_TEST_SUITE names its constructor) and prints Check's
 * summary line. The exit status is the verdict: non-zero when any test failed. */
#include <check.h>
#include <stdlib.h>

Suite *GS_TEST_SUITE(void);

int main(void) {
  SRunner *runner = srunner_create(GS_TEST_SUITE());
  /* GCC's OpenMP runtime is not fork-safe once a parallel region ran, so by default tests
   * run in this process (CK_FORK=no is also set by meson); CK_FORK=yes still overrides. */
  const char *fork_env = getenv("CK_FORK");
  if (!fork_env) srunner_set_fork_status(runner, CK_NOFORK);
  srunner_run_all(runner, CK_NORMAL);
  int failed = srunner_ntests_failed(runner);
  srunner_free(runner);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
