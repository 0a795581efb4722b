/* Scratch files for tests that feed the readers malformed or tiny datasets: a temporary
 * folder per test, paths inside it, and plain or gzip text files written into it. Functions
 * are static inline so that a test file includes only what it uses without warnings. */
#ifndef GS_TEST_FILES_H
#define GS_TEST_FILES_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "tests/test_helpers.h"

/* The current test's scratch folder (one per test executable at a time). */
static char gs_test_tmp_root[256];

/* Creates a fresh scratch folder /tmp/gs-test-XXXXXX. */
static inline void gs_test_make_tmp(void) {
  snprintf(gs_test_tmp_root, sizeof gs_test_tmp_root, "/tmp/gs-test-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(gs_test_tmp_root));
}

/* Removes the scratch folder and everything in it. */
static inline void gs_test_clean_tmp(void) { gs_test_remove_tree(gs_test_tmp_root); }

/* gs_test_tmp_root/rel in a static buffer (one of four, so a test can hold several). */
static inline const char *gs_test_path(const char *rel) {
  static char bufs[4][4096];
  static int next;
  char *b = bufs[next++ % 4];
  snprintf(b, 4096, "%s/%s", gs_test_tmp_root, rel);
  return b;
}

static inline void gs_test_mkdir(const char *rel) {
  ck_assert_int_eq(mkdir(gs_test_path(rel), 0755), 0);
}

/* Writes text as the whole file rel (no compression). */
static inline void gs_test_write_plain(const char *rel, const char *text) {
  FILE *f = fopen(gs_test_path(rel), "wb");
  ck_assert_ptr_nonnull(f);
  fwrite(text, 1, strlen(text), f);
  fclose(f);
}

/* The whole file at path (up to 8191 bytes) in a static buffer, NUL-terminated. */
static inline const char *gs_test_read_plain(const char *path) {
  static char buf[8192];
  FILE *f = fopen(path, "rb");
  ck_assert_ptr_nonnull(f);
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = '\0';
  fclose(f);
  return buf;
}

/* The whole file at path, malloc'd (free it); *len gets its size. */
static inline char *gs_test_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  ck_assert_ptr_nonnull(f);
  ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
  const long size = ftell(f);
  ck_assert_int_ge(size, 0);
  rewind(f);
  char *buf = malloc((size_t)size + 1);
  ck_assert_ptr_nonnull(buf);
  ck_assert_int_eq(fread(buf, 1, (size_t)size, f), (size_t)size);
  fclose(f);
  *len = (size_t)size;
  return buf;
}

/* Writes text gzip-compressed as the file rel. */
static inline void gs_test_write_gz(const char *rel, const char *text) {
  gzFile g = gzopen(gs_test_path(rel), "wb9");
  ck_assert_ptr_nonnull(g);
  if (*text) ck_assert_int_eq(gzwrite(g, text, (unsigned)strlen(text)), (int)strlen(text));
  ck_assert_int_eq(gzclose(g), Z_OK);
}

#endif
