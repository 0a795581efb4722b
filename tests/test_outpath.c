/* Tests of core/outpath.h and core/tempfile.h: output checks before the work, whole-folder
 * replacement, and temporary files removed by a signal. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/outpath.h"
#include "core/tempfile.h"
#include "test_helpers.h"

static char root[256];

static void make_root(void) {
  snprintf(root, sizeof root, "/tmp/gs_outpath.XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(root));
}

static void touch(const char *dir, const char *name) {
  char p[1024];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  FILE *f = fopen(p, "w");
  ck_assert_ptr_nonnull(f);
  fputs("x\n", f);
  fclose(f);
}

static bool exists(const char *path) {
  struct stat sb;
  return lstat(path, &sb) == 0;
}

START_TEST(test_outpath_file_checks) {
  make_root();
  gs_error err;
  char p[512];
  ck_assert_int_eq(gs_outpath_check_file(root, &err), GS_ERR_INVALID);
  ck_assert_ptr_nonnull(strstr(err.msg, "is a folder"));
  snprintf(p, sizeof p, "%s/a/b/out.txt", root);
  ck_assert_int_eq(gs_outpath_check_file(p, &err), GS_OK); /* the writer makes a/b */
  ck_assert_int_eq(gs_outpath_check_file("/proc/gs-out.txt", &err), GS_ERR_IO);
  ck_assert_ptr_nonnull(strstr(err.msg, "cannot write there"));
  snprintf(p, sizeof p, "%s/f", root);
  touch(root, "f");
  snprintf(p, sizeof p, "%s/f/out.txt", root); /* a file where a folder should be */
  ck_assert_int_eq(gs_outpath_check_file(p, &err), GS_ERR_IO);
  ck_assert_ptr_nonnull(strstr(err.msg, "is not a folder"));
  /* The probe leaves nothing behind. */
  snprintf(p, sizeof p, "%s/f", root);
  unlink(p);
  ck_assert(!gs_outpath_dir_nonempty(root));
  gs_test_remove_tree(root);
}
END_TEST

START_TEST(test_outpath_dir_checks) {
  make_root();
  gs_error err;
  ck_assert_int_eq(gs_outpath_check_dir("/", false, &err), GS_ERR_INVALID);
  ck_assert_int_eq(gs_outpath_check_dir("/tmp/../", true, &err), GS_ERR_INVALID);
  ck_assert_ptr_nonnull(strstr(err.msg, "root folder"));
  ck_assert_int_eq(gs_outpath_check_dir(root, false, &err), GS_OK); /* empty */
  touch(root, "x");
  ck_assert_int_eq(gs_outpath_check_dir(root, false, &err), GS_ERR_INVALID);
  ck_assert_ptr_nonnull(strstr(err.msg, "is not empty"));
  ck_assert_int_eq(gs_outpath_check_dir(root, true, &err), GS_OK);
  gs_test_remove_tree(root);
}
END_TEST

START_TEST(test_outpath_swap_replaces_whole) {
  make_root();
  char old_dir[512], built[512], deep[512];
  snprintf(old_dir, sizeof old_dir, "%s/ds", root);
  snprintf(deep, sizeof deep, "%s/ds/split/public", root);
  ck_assert_int_eq(mkdir(old_dir, 0755), 0);
  snprintf(built, sizeof built, "%s/ds/split", root);
  ck_assert_int_eq(mkdir(built, 0755), 0);
  ck_assert_int_eq(mkdir(deep, 0755), 0);
  touch(deep, "train.csv.gz");
  snprintf(built, sizeof built, "%s/ds.tmp", root);
  ck_assert_int_eq(mkdir(built, 0755), 0);
  touch(built, "META.txt");
  gs_error err;
  GS_ASSERT_OK(gs_outpath_swap_in(built, old_dir, &err), err);
  char p[600];
  snprintf(p, sizeof p, "%s/META.txt", old_dir);
  ck_assert(exists(p));
  snprintf(p, sizeof p, "%s/split", old_dir);
  ck_assert(!exists(p)); /* nothing of the old folder is left in it */
  ck_assert(!exists(built)); /* and the old contents are gone */
  gs_test_remove_tree(root);
}
END_TEST

START_TEST(test_tempfile_removed_on_sigterm) {
  make_root();
  char templ[512], dir[512];
  snprintf(templ, sizeof templ, "%s/out.txt.tmp.XXXXXX", root);
  snprintf(dir, sizeof dir, "%s/building", root);
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    gs_temp_install_handlers();
    int fd = gs_temp_mkstemp(templ);
    if (fd < 0) _exit(3);
    if (mkdir(dir, 0755) != 0 || !gs_temp_register(dir)) _exit(4);
    touch(dir, "half-written");
    raise(SIGTERM);
    _exit(5); /* not reached: the handler re-raises with the default action */
  }
  int status = 0;
  ck_assert_int_eq(waitpid(pid, &status, 0), pid);
  ck_assert(WIFSIGNALED(status));
  ck_assert_int_eq(WTERMSIG(status), SIGTERM);
  ck_assert(!gs_outpath_dir_nonempty(root)); /* the temporary file and folder are gone */
  gs_test_remove_tree(root);
}
END_TEST

START_TEST(test_tempfile_forget_keeps_the_file) {
  make_root();
  char templ[512];
  snprintf(templ, sizeof templ, "%s/kept.XXXXXX", root);
  int fd = gs_temp_mkstemp(templ);
  ck_assert_int_ge(fd, 0);
  close(fd);
  gs_temp_forget(templ);
  gs_temp_remove_all();
  ck_assert(exists(templ));
  ck_assert(gs_temp_register(templ));
  gs_temp_remove_all();
  ck_assert(!exists(templ));
  gs_test_remove_tree(root);
}
END_TEST

Suite *gs_outpath_suite(void);
Suite *gs_outpath_suite(void) {
  Suite *s = suite_create("outpath");
  TCase *tc = tcase_create("outputs");
  tcase_add_test(tc, test_outpath_file_checks);
  tcase_add_test(tc, test_outpath_dir_checks);
  tcase_add_test(tc, test_outpath_swap_replaces_whole);
  tcase_add_test(tc, test_tempfile_removed_on_sigterm);
  tcase_add_test(tc, test_tempfile_forget_keeps_the_file);
  suite_add_tcase(s, tc);
  return s;
}
