/* Shape sanity and the readers' messages on files that are not what their names say: class
 * counts and feature widths implied by one stray value, SNAP ids far beyond the edges, plain
 * text or random bytes named .gz, a corrupt gzip checksum, a symlink loop and a FIFO. */
#include <check.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "core/mem.h"
#include "datasets/dataset.h"
#include "tests/test_files.h"

/* A 4-node dataset without META: edges, labels (given), dense features unless `sparse`. */
static void write_tiny(const char *labels, const char *sparse) {
  gs_test_make_tmp();
  gs_test_mkdir("raw");
  gs_test_mkdir("split");
  gs_test_mkdir("split/s");
  gs_test_write_plain("raw/num-node-list.csv", "4\n");
  gs_test_write_plain("raw/num-edge-list.csv", "3\n");
  gs_test_write_gz("raw/edge.csv.gz", "0,1\n1,2\n2,3\n");
  gs_test_write_gz("raw/node-label.csv.gz", labels);
  if (sparse) gs_test_write_gz("raw/node-feat-sparse.csv.gz", sparse);
  else gs_test_write_gz("raw/node-feat.csv.gz", "1,0\n0,1\n1,1\n0,0\n");
  gs_test_write_gz("split/s/train.csv.gz", "0\n1\n");
  gs_test_write_gz("split/s/valid.csv.gz", "2\n");
  gs_test_write_gz("split/s/test.csv.gz", "3\n");
}

/* Loads the scratch dataset, expects `code` and a message containing `text`; no leak. */
static void expect_load(gs_status code, const char *text) {
  const int64_t before = gs_mem_current();
  gs_dataset *ds = NULL;
  gs_error err;
  gs_status st = gs_dataset_load(&ds, gs_test_tmp_root, NULL, &err);
  ck_assert_msg(st == code, "status %s, message: %s", gs_status_name(st), err.msg);
  if (text) ck_assert_msg(strstr(err.msg, text) != NULL, "message: %s", err.msg);
  gs_dataset_free(&ds);
  ck_assert_int_eq(gs_mem_current(), before);
  gs_test_clean_tmp();
}

START_TEST(test_shape_stray_label_without_meta) {
  write_tiny("0\n1\n1000000\n1\n", NULL);
  expect_load(GS_ERR_RANGE, "node-label.csv.gz:3: label 1000000 implies 1000001 classes for 4 "
                            "labelled nodes");
  write_tiny("0\n1\n2147483646\n1\n", NULL);
  expect_load(GS_ERR_RANGE, "implies 2147483647 classes");
  /* Small gaps in the class ids of tiny graphs stay accepted. */
  write_tiny("0\n1\n9\n1\n", NULL);
  expect_load(GS_OK, NULL);
}
END_TEST

START_TEST(test_shape_label_with_meta_is_trusted) {
  write_tiny("0\n1\n40\n1\n", NULL);
  gs_test_write_plain("META.txt", "num_classes: 41\n");
  expect_load(GS_OK, NULL);
}
END_TEST

START_TEST(test_shape_stray_sparse_column) {
  write_tiny("0\n1\n0\n1\n", "0,0,1\n1,1,1\n2,16000000,1\n");
  expect_load(GS_ERR_RANGE, "node-feat-sparse.csv.gz:3: column 16000000 implies 16000001 "
                            "feature columns for 3 entries");
  write_tiny("0\n1\n0\n1\n", "0,0,1\n1,1,1\n2,900,1\n");
  expect_load(GS_OK, NULL);
}
END_TEST

START_TEST(test_shape_snap_sparse_ids) {
  gs_test_make_tmp();
  gs_test_write_plain("g.txt", "# one edge\n0 100000000\n");
  gs_dataset *ds = NULL;
  gs_error err;
  ck_assert_int_eq(gs_dataset_load_edgelist(&ds, gs_test_path("g.txt"), &err), GS_ERR_RANGE);
  ck_assert_ptr_nonnull(strstr(err.msg, "g.txt:2: node id 100000000 implies 100000001 nodes"));
  gs_test_write_plain("h.txt", "0 1\n1 5000\n");
  GS_ASSERT_OK(gs_dataset_load_edgelist(&ds, gs_test_path("h.txt"), &err), err);
  ck_assert_int_eq(ds->num_nodes, 5001);
  gs_dataset_free(&ds);
  gs_test_clean_tmp();
}
END_TEST

START_TEST(test_shape_plain_text_named_gz) {
  write_tiny("0\n1\n0\n1\n", NULL);
  gs_test_write_plain("raw/node-label.csv.gz", "0\n1\n0\n1\n");
  expect_load(GS_ERR_PARSE, "node-label.csv.gz: not gzip data");
}
END_TEST

START_TEST(test_shape_random_bytes_named_gz) {
  write_tiny("0\n1\n0\n1\n", NULL);
  FILE *f = fopen(gs_test_path("raw/node-feat.csv.gz"), "wb");
  for (int i = 0; i < 4096; i++) fputc((i * 2654435761u) >> 13 & 0xff, f);
  fclose(f);
  expect_load(GS_ERR_PARSE, "node-feat.csv.gz: not gzip data");
}
END_TEST

START_TEST(test_shape_crc_error_names_the_file_once) {
  write_tiny("0\n1\n0\n1\n", NULL);
  /* Flip a byte of the CRC in the gzip trailer (the 8 bytes before the end). */
  const char *p = gs_test_path("raw/node-label.csv.gz");
  struct stat sb;
  ck_assert_int_eq(stat(p, &sb), 0);
  int fd = open(p, O_RDWR);
  unsigned char b;
  ck_assert_int_eq(pread(fd, &b, 1, sb.st_size - 8), 1);
  b ^= 0xff;
  ck_assert_int_eq(pwrite(fd, &b, 1, sb.st_size - 8), 1);
  close(fd);
  char path[4200];
  snprintf(path, sizeof path, "%s", p);
  const int64_t before = gs_mem_current();
  gs_dataset *ds = NULL;
  gs_error err;
  ck_assert_int_eq(gs_dataset_load(&ds, gs_test_tmp_root, NULL, &err), GS_ERR_IO);
  ck_assert_ptr_nonnull(strstr(err.msg, "corrupt gzip file: incorrect data check"));
  /* The path appears once, and no line is blamed for a whole-file checksum. */
  const char *first = strstr(err.msg, "node-label.csv.gz");
  ck_assert_ptr_nonnull(first);
  ck_assert_ptr_null(strstr(first + 1, "node-label.csv.gz"));
  ck_assert_ptr_null(strstr(err.msg, ".gz:1:"));
  ck_assert_int_eq(gs_mem_current(), before);
  gs_test_clean_tmp();
}
END_TEST

START_TEST(test_shape_symlink_loop) {
  write_tiny("0\n1\n0\n1\n", NULL);
  unlink(gs_test_path("raw/node-feat.csv.gz"));
  ck_assert_int_eq(symlink("node-feat.csv.gz", gs_test_path("raw/node-feat.csv.gz")), 0);
  expect_load(GS_ERR_IO, "Too many levels of symbolic links");
}
END_TEST

START_TEST(test_shape_fifo_does_not_block) {
  write_tiny("0\n1\n0\n1\n", NULL);
  unlink(gs_test_path("raw/node-label.csv.gz"));
  ck_assert_int_eq(mkfifo(gs_test_path("raw/node-label.csv.gz"), 0600), 0);
  expect_load(GS_ERR_IO, "not a regular file (a FIFO");
}
END_TEST

Suite *gs_shape_suite(void);
Suite *gs_shape_suite(void) {
  Suite *s = suite_create("shape");
  TCase *tc = tcase_create("shape");
  tcase_add_test(tc, test_shape_stray_label_without_meta);
  tcase_add_test(tc, test_shape_label_with_meta_is_trusted);
  tcase_add_test(tc, test_shape_stray_sparse_column);
  tcase_add_test(tc, test_shape_snap_sparse_ids);
  tcase_add_test(tc, test_shape_plain_text_named_gz);
  tcase_add_test(tc, test_shape_random_bytes_named_gz);
  tcase_add_test(tc, test_shape_crc_error_names_the_file_once);
  tcase_add_test(tc, test_shape_symlink_loop);
  tcase_add_test(tc, test_shape_fifo_does_not_block);
  suite_add_tcase(s, tc);
  return s;
}
