/* Tests of core/memlimit.h and the counting allocator's guard: the address-space limit is
 * lowered in the test itself (setrlimit), so the figures are known. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "core/mem.h"
#include "core/memlimit.h"

/* Room left under the lowered limit: enough for the test's own small allocations. */
#define ROOM_BYTES (INT64_C(96) << 20)

/* AddressSanitizer maps terabytes of shadow memory and cannot run under a lowered
 * address-space limit: the tests that lower it are built in the plain build only. */
#ifndef __SANITIZE_ADDRESS__
static struct rlimit saved;

/* Lowers RLIMIT_AS to the address space mapped now plus ROOM_BYTES. */
static void limit_address_space(void) {
  ck_assert_int_eq(getrlimit(RLIMIT_AS, &saved), 0);
  gs_memlimit m;
  gs_memlimit_query(&m);
  ck_assert_int_gt(m.as_used, 0);
  struct rlimit rl = saved;
  rl.rlim_cur = (rlim_t)(m.as_used + ROOM_BYTES);
  ck_assert_int_eq(setrlimit(RLIMIT_AS, &rl), 0);
}

static void restore_address_space(void) { ck_assert_int_eq(setrlimit(RLIMIT_AS, &saved), 0); }

START_TEST(test_memlimit_address_space_binds) {
  limit_address_space();
  gs_memlimit m;
  gs_memlimit_query(&m);
  restore_address_space();
  ck_assert_str_eq(m.binding, "address-space limit (ulimit -v)");
  ck_assert_int_le(m.headroom, ROOM_BYTES);
  ck_assert_int_gt(m.headroom, ROOM_BYTES / 2);
  gs_error err;
  ck_assert_int_eq(gs_memlimit_check(&m, m.headroom, "a run", &err), GS_OK);
  ck_assert_int_eq(gs_memlimit_check(&m, 2 * ROOM_BYTES, "a run", &err), GS_ERR_NOMEM);
  ck_assert_ptr_nonnull(strstr(err.msg, "a run needs 192.0 MiB more memory"));
  ck_assert_ptr_nonnull(strstr(err.msg, "ulimit -v"));
}
END_TEST

START_TEST(test_memlimit_allocator_refuses_beyond_the_limit) {
  limit_address_space();
  /* 256 MiB cannot fit in 96 MiB of room: refused before malloc (no OOM kill, no hang). */
  void *p = gs_mem_alloc((size_t)256 << 20, "huge-test-block");
  const char *tag = NULL;
  int64_t bytes = gs_mem_last_failure(&tag);
  /* A 32 MiB block below the guard still comes from malloc. */
  void *q = gs_mem_alloc((size_t)32 << 20, "small-test-block");
  restore_address_space();
  ck_assert_ptr_null(p);
  ck_assert_int_eq(bytes, INT64_C(256) << 20);
  ck_assert_str_eq(tag, "huge-test-block");
  ck_assert_ptr_nonnull(q);
  gs_mem_free(q);
}
END_TEST

START_TEST(test_memlimit_blas_reserve_fails_cleanly) {
  gs_error err;
  ck_assert_int_eq(gs_memlimit_blas_reserve(1, &err), GS_OK);
  limit_address_space();
  gs_status st = gs_memlimit_blas_reserve(1, &err);
  restore_address_space();
  ck_assert_int_eq(st, GS_ERR_NOMEM);
  ck_assert_ptr_nonnull(strstr(err.msg, "OpenBLAS needs 144.0 MiB of address space"));
}
END_TEST

#endif

START_TEST(test_memlimit_query_reads_the_machine) {
  gs_memlimit m;
  gs_memlimit_query(&m);
  ck_assert_int_gt(m.mem_available, 0);
  ck_assert_int_gt(m.rss, 0);
  ck_assert_int_gt(m.as_used, m.rss / 2);
  ck_assert_int_le(m.headroom, m.mem_available);
  ck_assert_ptr_nonnull(m.binding);
}
END_TEST

START_TEST(test_memlimit_format) {
  char b[32];
  ck_assert_str_eq(gs_memlimit_format(INT64_C(3) << 20, b, sizeof b), "3.0 MiB");
  ck_assert_str_eq(gs_memlimit_format(INT64_C(12) << 30, b, sizeof b), "12.0 GiB");
}
END_TEST

Suite *gs_memlimit_suite(void);
Suite *gs_memlimit_suite(void) {
  Suite *s = suite_create("memlimit");
  TCase *tc = tcase_create("limits");
  tcase_add_test(tc, test_memlimit_query_reads_the_machine);
  tcase_add_test(tc, test_memlimit_format);
#ifndef __SANITIZE_ADDRESS__
  tcase_add_test(tc, test_memlimit_address_space_binds);
  tcase_add_test(tc, test_memlimit_allocator_refuses_beyond_the_limit);
  tcase_add_test(tc, test_memlimit_blas_reserve_fails_cleanly);
#endif
  suite_add_tcase(s, tc);
  return s;
}
