/* Tests of core/: status table, counting allocator, counter-based RNG, runtime. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "core/mem.h"
#include "core/rng.h"
#include "core/runtime.h"
#include "core/status.h"
#include "tests/test_helpers.h"

Suite *gs_core_suite(void);

START_TEST(test_status_names_and_messages) {
  ck_assert_str_eq(gs_status_name(GS_OK), "GS_OK");
  ck_assert_str_eq(gs_status_name(GS_ERR_PARSE), "GS_ERR_PARSE");
  ck_assert_str_eq(gs_status_message(GS_ERR_NOMEM), "out of memory");
  ck_assert_str_eq(gs_status_name((gs_status)-999), "GS_UNKNOWN");
  gs_error err;
  gs_status st = gs_error_set(&err, GS_ERR_RANGE, "%s:%d: id %d out of range", "f.csv", 3, 9);
  ck_assert_int_eq(st, GS_ERR_RANGE);
  ck_assert_int_eq(err.code, GS_ERR_RANGE);
  ck_assert_str_eq(err.msg, "f.csv:3: id 9 out of range");
  gs_error_prefix(&err, "loading %s: ", "cora");
  ck_assert_str_eq(err.msg, "loading cora: f.csv:3: id 9 out of range");
  ck_assert_int_eq(gs_error_set(NULL, GS_ERR_IO, "ignored"), GS_ERR_IO);
}
END_TEST

START_TEST(test_mem_counts_current_and_peak) {
  int64_t base = gs_mem_current();
  gs_mem_reset_peak();
  void *a = gs_mem_alloc(1000, "test-a");
  void *b = gs_mem_calloc(10, 100, "test-b");
  ck_assert_ptr_nonnull(a);
  ck_assert_ptr_nonnull(b);
  ck_assert_int_eq((uintptr_t)a % GS_MEM_ALIGN, 0);
  ck_assert_int_eq(((unsigned char *)b)[999], 0);
  ck_assert_int_eq(gs_mem_current() - base, 2000);
  ck_assert_int_eq(gs_mem_current_tag("test-a"), 1000);
  gs_mem_free(a);
  ck_assert_int_eq(gs_mem_current() - base, 1000);
  ck_assert_int_eq(gs_mem_peak() - base, 2000);
  b = gs_mem_realloc(b, 3000, "test-b");
  ck_assert_int_eq(gs_mem_current_tag("test-b"), 3000);
  GS_FREE(&b);
  ck_assert_ptr_null(b);
  ck_assert_int_eq(gs_mem_current(), base);
  ck_assert_int_eq(gs_mem_calloc(SIZE_MAX / 2, 4, "overflow") == NULL, 1);
}
END_TEST

START_TEST(test_mem_fail_after_injects_failure) {
  gs_mem_fail_after(1);
  void *a = gs_mem_alloc(8, "inject");
  void *b = gs_mem_alloc(8, "inject");
  gs_mem_fail_after(-1);
  void *c = gs_mem_alloc(8, "inject");
  ck_assert_ptr_nonnull(a);
  ck_assert_ptr_null(b);
  ck_assert_ptr_nonnull(c);
  gs_mem_free(a);
  gs_mem_free(c);
}
END_TEST

START_TEST(test_rng_is_a_pure_function_and_uniform) {
  ck_assert_uint_eq(gs_rng_at(1, 2, 3), gs_rng_at(1, 2, 3));
  ck_assert_uint_ne(gs_rng_at(1, 2, 3), gs_rng_at(1, 2, 4));
  ck_assert_uint_ne(gs_rng_at(1, 2, 3), gs_rng_at(2, 2, 3));
  ck_assert_uint_ne(gs_rng_at(1, 2, 3), gs_rng_at(1, 3, 3));
  /* Mean and variance of 100000 uniforms: 0.5 and 1/12, within 5 standard errors. */
  const int count = 100000;
  double sum = 0, sumsq = 0;
  for (int i = 0; i < count; i++) {
    float u = gs_rng_uniform(7, 1, (uint64_t)i);
    ck_assert(u >= 0.0f && u < 1.0f);
    sum += u;
    sumsq += (double)u * u;
  }
  double mean = sum / count, var = sumsq / count - mean * mean;
  ck_assert_double_lt(fabs(mean - 0.5), 5 * sqrt(1.0 / 12 / count));
  ck_assert_double_lt(fabs(var - 1.0 / 12), 0.002);
}
END_TEST

START_TEST(test_runtime_rejects_bad_thread_count) {
  gs_error err;
  ck_assert_int_eq(gs_runtime_init(-1, &err), GS_ERR_INVALID);
  ck_assert(strstr(err.msg, "thread count") != NULL);
  GS_TEST_RUNTIME(2);
  ck_assert_int_eq(gs_runtime_threads(), 2);
}
END_TEST

Suite *gs_core_suite(void) {
  Suite *s = suite_create("core");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_status_names_and_messages);
  tcase_add_test(tc, test_mem_counts_current_and_peak);
  tcase_add_test(tc, test_mem_fail_after_injects_failure);
  tcase_add_test(tc, test_rng_is_a_pure_function_and_uniform);
  tcase_add_test(tc, test_runtime_rejects_bad_thread_count);
  suite_add_tcase(s, tc);
  return s;
}
