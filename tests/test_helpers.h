/* Shared helpers for the Check suites: where the bundled data lives, and a runtime set-up
 * that each test calls itself (never in main or an unchecked fixture: see STYLE.md traps). */
#ifndef GS_TEST_HELPERS_H
#define GS_TEST_HELPERS_H

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/runtime.h"
#include "core/status.h"

#ifndef GS_SOURCE_DIR
#error "GS_SOURCE_DIR must be defined by the build"
#endif

/* Path of a bundled dataset folder, e.g. gs_test_data("cora"). Returns a static buffer. */
static inline const char *gs_test_data(const char *name) {
  static char path[4096];
  snprintf(path, sizeof path, "%s/datasets/data/%s", GS_SOURCE_DIR, name);
  return path;
}

/* Removes path and, for a folder, everything below it (no error when it does not exist). */
static inline void gs_test_remove_tree(const char *path) {
  struct stat sb;
  if (lstat(path, &sb) != 0) return;
  if (S_ISDIR(sb.st_mode)) {
    DIR *d = opendir(path);
    if (d) {
      struct dirent *e;
      while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        char sub[4096];
        int k = snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
        if (k > 0 && (size_t)k < sizeof sub) gs_test_remove_tree(sub);
      }
      closedir(d);
    }
    rmdir(path);
  } else {
    unlink(path);
  }
}

/* Initialises the runtime with `threads` threads and fails the test on error. */
#define GS_TEST_RUNTIME(threads)                                   \
  do {                                                            \
    gs_error gs_test_err_;                                        \
    gs_status gs_test_st_ = gs_runtime_init((threads), &gs_test_err_); \
    ck_assert_msg(gs_test_st_ == GS_OK, "runtime: %s", gs_test_err_.msg); \
  } while (0)

/* Asserts a status is GS_OK and prints the error message otherwise. */
#define GS_ASSERT_OK(st, err) ck_assert_msg((st) == GS_OK, "status %s: %s", gs_status_name(st), (err).msg)

/* Flips some bits of the byte at offset of the file at path (a damaged file for the tests
 * of checksums). */
static inline void gs_test_flip_byte(const char *path, long offset) {
  FILE *f = fopen(path, "r+b");
  ck_assert_ptr_nonnull(f);
  ck_assert_int_eq(fseek(f, offset, SEEK_SET), 0);
  int c = fgetc(f);
  ck_assert_int_eq(fseek(f, offset, SEEK_SET), 0);
  fputc(c ^ 0x5a, f);
  fclose(f);
}

#endif
