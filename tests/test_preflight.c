/* Tests of the memory preflight (scaling/preflight.h) with the limits given, on Cora's counts:
 * a model beyond the headroom is refused with both figures and the nearest model that fits,
 * which really is the widest fitting one. */
#include <check.h>
#include <string.h>

#include "scaling/preflight.h"
#include "tests/test_counts.h"

static gs_memlimit limit_of(int64_t headroom) {
  gs_memlimit m;
  memset(&m, 0, sizeof m);
  m.cgroup_limit = headroom + (INT64_C(100) << 20);
  m.cgroup_usage = INT64_C(100) << 20;
  m.as_limit = m.mem_available = m.swap_free = -1;
  m.headroom = headroom;
  m.binding = "cgroup memory limit";
  return m;
}

START_TEST(test_preflight_fits) {
  gs_cost_data d = gs_test_cora_counts();
  gs_cost_options o = gs_cost_options_default();
  gs_memlimit m = limit_of(INT64_C(1) << 30);
  gs_preflight p;
  gs_error err;
  ck_assert_int_eq(gs_preflight_check_with(&p, &m, 2, 16, 1433, &o, &d, false, &err), GS_OK);
  ck_assert(p.fits);
  ck_assert_int_gt(p.need_bytes, 0);
  ck_assert_int_lt(p.need_bytes, INT64_C(16) << 20);
}
END_TEST

START_TEST(test_preflight_refuses_with_nearest) {
  gs_cost_data d = gs_test_cora_counts();
  gs_cost_options o = gs_cost_options_default();
  const int64_t room = INT64_C(64) << 20;
  gs_memlimit m = limit_of(room);
  gs_preflight p;
  gs_error err;
  gs_status st = gs_preflight_check_with(&p, &m, 2, 1 << 20, 1433, &o, &d, false, &err);
  ck_assert_int_eq(st, GS_ERR_NOMEM);
  ck_assert(!p.fits);
  ck_assert_int_gt(p.need_bytes, room);
  ck_assert_int_eq(p.fit_depth, 2);
  ck_assert_int_eq(p.fit_width % 8, 0);
  ck_assert_int_le(p.fit_bytes, room);
  /* The nearest really is the widest: 8 more does not fit. */
  gs_preflight q;
  ck_assert_int_eq(gs_preflight_check_with(&q, &m, 2, p.fit_width + 8, 1433, &o, &d, false, &err),
                   GS_ERR_NOMEM);
  ck_assert_ptr_nonnull(strstr(err.msg, "needs"));
  ck_assert_ptr_nonnull(strstr(err.msg, "this process can have 64.0 MiB more (cgroup memory "
                                        "limit"));
  ck_assert_ptr_nonnull(strstr(err.msg, "the nearest model that fits: depth 2, width"));
  ck_assert_ptr_nonnull(strstr(err.msg, "--force"));
  /* --force goes on, and says it did not fit. */
  ck_assert_int_eq(gs_preflight_check_with(&p, &m, 2, 1 << 20, 1433, &o, &d, true, &err), GS_OK);
  ck_assert(!p.fits);
}
END_TEST

START_TEST(test_preflight_nothing_fits) {
  gs_cost_data d = gs_test_cora_counts();
  gs_cost_options o = gs_cost_options_default();
  gs_memlimit m = limit_of(4096);
  gs_preflight p;
  gs_error err;
  ck_assert_int_eq(gs_preflight_check_with(&p, &m, 3, 64, 1433, &o, &d, false, &err),
                   GS_ERR_NOMEM);
  ck_assert_int_eq(p.fit_depth, 0);
  ck_assert_ptr_nonnull(strstr(err.msg, "no model fits on this data"));
}
END_TEST

Suite *gs_preflight_suite(void);
Suite *gs_preflight_suite(void) {
  Suite *s = suite_create("preflight");
  TCase *tc = tcase_create("preflight");
  tcase_add_test(tc, test_preflight_fits);
  tcase_add_test(tc, test_preflight_refuses_with_nearest);
  tcase_add_test(tc, test_preflight_nothing_fits);
  suite_add_tcase(s, tc);
  return s;
}
