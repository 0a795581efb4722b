/* Tests of core/file (atomic writes, numbered line reading, mkdir -p) and core/stats
 * (comparators, median, mean and standard deviation). */
#include <check.h>
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/file.h"
#include "core/stats.h"
#include "tests/test_files.h"

Suite *gs_file_suite(void);

/* Files in the scratch folder whose names hold ".tmp.". */
static int temporary_files(void) {
  DIR *d = opendir(gs_test_tmp_root);
  ck_assert_ptr_nonnull(d);
  int count = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) count += strstr(e->d_name, ".tmp.") != NULL;
  closedir(d);
  return count;
}

START_TEST(test_atomic_write_replaces_and_leaves_no_temporary) {
  gs_test_make_tmp();
  gs_error err;
  const char *path = gs_test_path("out.txt");
  GS_ASSERT_OK(gs_atomic_write(path, "first\n", 6, &err), err);
  GS_ASSERT_OK(gs_atomic_write(path, "second\n", 7, &err), err);
  ck_assert_str_eq(gs_test_read_plain(path), "second\n");
  ck_assert_int_eq(temporary_files(), 0);
  /* A failure reported by the caller removes the temporary file and keeps the old one. */
  gs_atomic_file a;
  GS_ASSERT_OK(gs_atomic_open(&a, path, &err), err);
  fputs("half", a.f);
  ck_assert_int_eq(temporary_files(), 1);
  ck_assert_int_eq(gs_atomic_close(&a, GS_ERR_INVALID, &err), GS_ERR_INVALID);
  ck_assert_ptr_null(a.f);
  ck_assert_int_eq(temporary_files(), 0);
  ck_assert_str_eq(gs_test_read_plain(path), "second\n");
  /* A folder that does not exist: a clear message naming the path. */
  ck_assert_int_eq(gs_atomic_write(gs_test_path("no/such/out.txt"), "x", 1, &err), GS_ERR_IO);
  ck_assert_ptr_nonnull(strstr(err.msg, "no/such/out.txt: cannot create a temporary file"));
  gs_test_clean_tmp();
}
END_TEST

START_TEST(test_line_reader_numbers_skips_and_splits) {
  gs_test_make_tmp();
  gs_test_write_plain("kv.txt", "# comment\n\n  a = 1 \nb=two words\r\nno equals\n");
  gs_error err;
  char buf[64];
  gs_line_reader r;
  GS_ASSERT_OK(gs_line_open(&r, gs_test_path("kv.txt"), buf, sizeof buf, &err), err);
  char *line, *key, *value;
  GS_ASSERT_OK(gs_line_next(&r, &line, &err), err);
  ck_assert_int_eq(r.line, 3);
  GS_ASSERT_OK(gs_line_key_value(&r, line, &key, &value, &err), err);
  ck_assert_str_eq(key, "a");
  ck_assert_str_eq(value, "1");
  GS_ASSERT_OK(gs_line_next(&r, &line, &err), err);
  GS_ASSERT_OK(gs_line_key_value(&r, line, &key, &value, &err), err);
  ck_assert_str_eq(key, "b");
  ck_assert_str_eq(value, "two words");
  GS_ASSERT_OK(gs_line_next(&r, &line, &err), err);
  ck_assert_int_eq(gs_line_key_value(&r, line, &key, &value, &err), GS_ERR_PARSE);
  ck_assert_ptr_nonnull(strstr(err.msg, "kv.txt:5: expected \"key = value\", got \"no equals\""));
  GS_ASSERT_OK(gs_line_next(&r, &line, &err), err);
  ck_assert_ptr_null(line);
  gs_line_close(&r);
  gs_line_close(&r);
  /* A line longer than the buffer allows, and a missing file. */
  gs_test_write_plain("long.txt", "short\nthis line is far too long for the buffer\n");
  char small[16];
  GS_ASSERT_OK(gs_line_open(&r, gs_test_path("long.txt"), small, sizeof small, &err), err);
  GS_ASSERT_OK(gs_line_next(&r, &line, &err), err);
  ck_assert_int_eq(gs_line_next(&r, &line, &err), GS_ERR_PARSE);
  ck_assert_ptr_nonnull(strstr(err.msg, "long.txt:2: line longer than 14 characters"));
  gs_line_close(&r);
  ck_assert_int_eq(gs_line_open(&r, gs_test_path("missing.txt"), buf, sizeof buf, &err),
                   GS_ERR_NOT_FOUND);
  ck_assert_ptr_nonnull(strstr(err.msg, "missing.txt: cannot open"));
  gs_test_clean_tmp();
}
END_TEST

START_TEST(test_mkdir_p_makes_nested_folders_and_names_a_file_in_the_way) {
  gs_test_make_tmp();
  gs_error err;
  struct stat sb;
  GS_ASSERT_OK(gs_mkdir_p(gs_test_path("a/b/c"), &err), err);
  ck_assert(stat(gs_test_path("a/b/c"), &sb) == 0 && S_ISDIR(sb.st_mode));
  GS_ASSERT_OK(gs_mkdir_p(gs_test_path("a/b/c"), &err), err); /* again: nothing to do */
  GS_ASSERT_OK(gs_mkdir_parent(gs_test_path("x/y/file.txt"), &err), err);
  ck_assert(stat(gs_test_path("x/y"), &sb) == 0 && S_ISDIR(sb.st_mode));
  ck_assert(stat(gs_test_path("x/y/file.txt"), &sb) != 0);
  gs_test_write_plain("plain", "");
  ck_assert_int_eq(gs_mkdir_p(gs_test_path("plain/sub"), &err), GS_ERR_IO);
  ck_assert_ptr_nonnull(strstr(err.msg, "plain: cannot create folder: a file of that name"));
  gs_test_clean_tmp();
}
END_TEST

START_TEST(test_stats_median_mean_std_and_order) {
  double odd[5] = {5, 1, 4, 2, 3};
  ck_assert_double_eq(gs_median(odd, 5), 3.0);
  ck_assert_double_eq(odd[0], 1.0); /* sorted in place */
  double even[4] = {10, 1, 3, 2};
  ck_assert_double_eq(gs_median(even, 4), 2.5);
  ck_assert_double_eq(gs_median(even, 0), 0.0);
  double mean, std;
  const double x[4] = {1, 2, 3, 4};
  gs_mean_std(x, 4, &mean, &std);
  ck_assert_double_eq_tol(mean, 2.5, 1e-15);
  ck_assert_double_eq_tol(std, sqrt(5.0 / 3.0), 1e-15); /* sample standard deviation */
  gs_mean_std(x, 1, &mean, &std);
  ck_assert_double_eq(mean, 1.0);
  ck_assert_double_eq(std, 0.0);
  int64_t v[5] = {3, -7, INT64_MAX, 0, INT64_MIN};
  qsort(v, 5, sizeof *v, gs_compare_int64);
  const int64_t want[5] = {INT64_MIN, -7, 0, 3, INT64_MAX};
  for (int i = 0; i < 5; i++) ck_assert_int_eq(v[i], want[i]);
}
END_TEST

Suite *gs_file_suite(void) {
  Suite *s = suite_create("file");
  TCase *tc = tcase_create("file");
  tcase_add_test(tc, test_atomic_write_replaces_and_leaves_no_temporary);
  tcase_add_test(tc, test_line_reader_numbers_skips_and_splits);
  tcase_add_test(tc, test_mkdir_p_makes_nested_folders_and_names_a_file_in_the_way);
  tcase_add_test(tc, test_stats_median_mean_std_and_order);
  suite_add_tcase(s, tc);
  return s;
}
