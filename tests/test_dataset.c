/* Tests of datasets/: the bundled real graphs (counts from each META.txt), feature
 * transforms and column selection, one test per malformed input (status, file and line in
 * the message, nothing leaked), the writer's round trip, the generator, and the Matrix
 * Market and SNAP readers. Malformed inputs are written into a fresh mkdtemp folder. */
#include <check.h>
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "core/mem.h"
#include "core/runtime.h"
#include "core/status.h"
#include "core/rng.h"
#include "datasets/dataset.h"
#include "datasets/dataset_impl.h"
#include "datasets/generate.h"
#include "tests/test_files.h"
#include "tests/test_helpers.h"

Suite *gs_dataset_suite(void);

/* Row sums after normalisation: float rounding of ~20 terms. */
#define ROW_SUM_TOL 1e-5

/* ------------------------------------------------------------------ helpers */

static char *read_gz_text(const char *path) {
  gzFile g = gzopen(path, "rb");
  ck_assert_ptr_nonnull(g);
  size_t cap = 1 << 16, len = 0;
  char *buf = malloc(cap);
  int n;
  while ((n = gzread(g, buf + len, (unsigned)(cap - len - 1))) > 0) {
    len += (size_t)n;
    if (cap - len < 2) buf = realloc(buf, cap *= 2);
  }
  gzclose(g);
  buf[len] = '\0';
  return buf;
}

/* A valid tiny dataset: 4 nodes, 5 edge lines, 6 features, 3 classes, split "public". */
static const char *TINY_FEATS =
    "0,1,0,0,2.5,0\n"
    "0,0,0,3,0,0\n"
    "1,0,0.25,0,0,1\n"
    "0,0,0,0,0,0.5\n";

static void make_tiny(bool with_meta) {
  gs_test_make_tmp();
  gs_test_mkdir("raw");
  gs_test_mkdir("split");
  gs_test_mkdir("split/public");
  gs_test_write_plain("raw/num-node-list.csv", "4\n");
  gs_test_write_plain("raw/num-edge-list.csv", "5\n");
  gs_test_write_gz("raw/edge.csv.gz", "0,1\n1,2\n2,3\n3,0\n1,1\n");
  gs_test_write_gz("raw/node-feat.csv.gz", TINY_FEATS);
  gs_test_write_gz("raw/node-label.csv.gz", "0\n1\n2\n-1\n");
  gs_test_write_gz("split/public/train.csv.gz", "0\n");
  gs_test_write_gz("split/public/valid.csv.gz", "1\n");
  gs_test_write_gz("split/public/test.csv.gz", "2\n");
  if (with_meta)
    gs_test_write_plain("META.txt",
                "name: tiny\nnodes: 4\nedges: 5\nnum_features: 6\nnum_classes: 3\n"
                "source_files+: a: b\n");
}

/* Loads the tiny folder expecting failure `code`, with every needle in the message, and
 * checks that nothing stays allocated. */
static void expect_failure(gs_status code, const char *needle1, const char *needle2) {
  int64_t before = gs_mem_current();
  gs_dataset *ds = NULL;
  gs_error err;
  gs_status st = gs_dataset_load(&ds, gs_test_tmp_root, NULL, &err);
  ck_assert_msg(st == code, "expected %s, got %s: %s", gs_status_name(code), gs_status_name(st),
                err.msg);
  ck_assert_int_eq(err.code, code);
  if (getenv("GS_SHOW_ERRORS")) printf("%s\n", err.msg);
  ck_assert_ptr_null(ds);
  if (needle1) ck_assert_msg(strstr(err.msg, needle1), "'%s' not in '%s'", needle1, err.msg);
  if (needle2) ck_assert_msg(strstr(err.msg, needle2), "'%s' not in '%s'", needle2, err.msg);
  ck_assert_int_eq(gs_mem_current(), before);
  gs_test_clean_tmp();
}

static gs_dataset *load_ok(const char *dir, const gs_dataset_options *o) {
  gs_dataset *ds = NULL;
  gs_error err;
  gs_status st = gs_dataset_load(&ds, dir, o, &err);
  GS_ASSERT_OK(st, err);
  ck_assert_ptr_nonnull(ds);
  return ds;
}

/* Feature (i, c) whatever the storage. */
static float feat(const gs_dataset *ds, int64_t i, int64_t c) {
  const gs_features *x = &ds->x;
  if (x->kind == GS_FEATURES_DENSE) return x->dense[i * x->cols + c];
  for (int64_t k = x->sparse.rowptr[i]; k < x->sparse.rowptr[i + 1]; k++)
    if (x->sparse.col[k] == c) return x->sparse.val[k];
  return 0.0f;
}

/* Check sends a message for every assertion, so loops count violations and assert once. */
static void check_csr_valid(const gs_dataset *ds) {
  const gs_csr *m = &ds->x.sparse;
  ck_assert_int_eq(m->nrows, ds->x.rows);
  ck_assert_int_eq(m->ncols, ds->x.cols);
  ck_assert_int_eq(m->rowptr[0], 0);
  ck_assert_int_eq(m->rowptr[m->nrows], m->nnz);
  int64_t bad = 0;
  for (int64_t i = 0; i < m->nrows; i++)
    for (int64_t k = m->rowptr[i]; k < m->rowptr[i + 1]; k++) {
      bad += !(m->col[k] >= 0 && m->col[k] < m->ncols);
      if (k > m->rowptr[i]) bad += !(m->col[k] > m->col[k - 1]);
      bad += m->val[k] == 0.0f;
    }
  ck_assert_int_eq(bad, 0);
}

static void check_split(const gs_dataset *ds, const char *name, int64_t tr, int64_t va,
                        int64_t te) {
  ck_assert_str_eq(ds->split_name, name);
  ck_assert_int_eq(ds->num_train, tr);
  ck_assert_int_eq(ds->num_valid, va);
  ck_assert_int_eq(ds->num_test, te);
  const int64_t *sets[3] = {ds->train, ds->valid, ds->test};
  const int64_t counts[3] = {tr, va, te};
  int64_t bad = 0;
  for (int s = 0; s < 3; s++)
    for (int64_t k = 0; k < counts[s]; k++) {
      if (!(sets[s][k] >= 0 && sets[s][k] < ds->num_nodes)) {
        bad++;
        continue;
      }
      bad += ds->labels[sets[s][k]] < 0;
      if (k) bad += !(sets[s][k] > sets[s][k - 1]);
    }
  ck_assert_int_eq(bad, 0);
}

static int64_t count_label(const gs_dataset *ds, int32_t label) {
  int64_t k = 0;
  for (int64_t i = 0; i < ds->num_nodes; i++) k += ds->labels[i] == label;
  return k;
}

/* ------------------------------------------------------------------ numbers */

/* The fast float path must give strtof's float exactly, and the formatter's text must read
 * back to the same bits; checked on random decimals shaped like the data files' and on
 * random bit patterns. */
START_TEST(test_parse_float_matches_strtof) {
  int64_t parse_differ = 0, round_trip_differ = 0, exponent = 0;
  char text[96];
  for (uint64_t k = 0; k < 400000; k++) {
    uint64_t r = gs_rng_at(7, 99, k);
    /* Decimal text: up to 9 integer digits, up to 12 decimals, sometimes negative. */
    int int_digits = (int)(r % 10), decimals = (int)((r >> 8) % 13);
    size_t n = 0;
    if ((r >> 16) & 1) text[n++] = '-';
    uint64_t d = gs_rng_at(7, 100, k);
    for (int i = 0; i < (int_digits ? int_digits : 1); i++, d /= 10)
      text[n++] = (char)('0' + (i == 0 && int_digits > 1 ? 1 + d % 9 : d % 10));
    if (decimals) {
      text[n++] = '.';
      uint64_t e = gs_rng_at(7, 101, k);
      for (int i = 0; i < decimals; i++, e /= 7) text[n++] = (char)('0' + e % 10);
    }
    text[n++] = ',';
    text[n] = '\0';
    const char *p = text;
    float fast = 0;
    int rc = gs__parse_float(&p, &fast);
    float ref = strtof(text, NULL);
    parse_differ += rc != GS__NUM_OK || *p != ',' || memcmp(&fast, &ref, 4) != 0;
    /* Round trip of an arbitrary finite float. */
    uint32_t bits = (uint32_t)(r >> 32);
    float v;
    memcpy(&v, &bits, 4);
    if (!isfinite(v)) continue;
    size_t len = gs__format_float(v, text);
    text[len] = '\n';
    text[len + 1] = '\0';
    exponent += memchr(text, 'e', len) != NULL;
    p = text;
    float back = 0;
    rc = gs__parse_float(&p, &back);
    round_trip_differ +=
        rc != GS__NUM_OK || *p != '\n' || (v != back) || (signbit(v) != signbit(back));
  }
  ck_assert_int_eq(parse_differ, 0);
  ck_assert_int_eq(round_trip_differ, 0);
  ck_assert_int_eq(exponent, 0);
  /* Special tokens. */
  const char *bad[] = {"abc,", "0x1p3,", " 1,", "1..2,", "-,", ",", "1e,", "infinite,"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    const char *q = bad[i];
    float v;
    ck_assert_msg(gs__parse_float(&q, &v) == GS__NUM_BAD, "'%s'", bad[i]);
  }
  const char *nonfinite[] = {"nan,", "-inf,", "Infinity,", "1e39,", "-3.5e38000,"};
  for (size_t i = 0; i < sizeof nonfinite / sizeof *nonfinite; i++) {
    const char *q = nonfinite[i];
    float v;
    ck_assert_msg(gs__parse_float(&q, &v) == GS__NUM_NONFINITE, "'%s'", nonfinite[i]);
  }
}
END_TEST

/* ------------------------------------------------------------------ real data */

/* Tolerance on the feature statistics below (they are exact sums of the stored values). */
#define FEATURE_STATS_TOL 5e-4

/* --features auto on a bundled graph: its statistics, and the choice they give, which is the
 * preparation measured best on it (README "Feature preprocessing", bench/RESULTS.md section 9). */
static void check_auto_choice(const gs_dataset *ds, double mean_row_nnz, double row_sum_cv,
                              double max_row_sum, gs_featprep best) {
  gs_feature_stats s = gs_feature_stats_of(&ds->x);
  ck_assert_double_eq_tol(s.mean_row_nnz, mean_row_nnz, FEATURE_STATS_TOL);
  ck_assert_double_eq_tol(s.row_sum_cv, row_sum_cv, FEATURE_STATS_TOL);
  ck_assert_double_eq_tol(s.max_row_sum, max_row_sum, FEATURE_STATS_TOL);
  ck_assert_str_eq(gs_featprep_name(gs_featprep_choose(&s)), gs_featprep_name(best));
}

START_TEST(test_load_cora_counts_and_values) {
  int64_t before = gs_mem_current();
  gs_dataset *ds = load_ok(gs_test_data("cora"), NULL);
  ck_assert_str_eq(ds->name, "cora");
  ck_assert_int_eq(ds->num_nodes, 2708);
  ck_assert_int_eq(ds->num_edge_lines, 10858);
  ck_assert_int_eq(ds->src[0], 0);
  ck_assert_int_eq(ds->dst[0], 633);
  ck_assert_int_eq(ds->dst[2], 2582);
  ck_assert_int_eq(ds->file_features, 1433);
  ck_assert_int_eq(ds->x.rows, 2708);
  ck_assert_int_eq(ds->x.cols, 1433);
  ck_assert_int_eq(ds->x.nnz, 49216);
  ck_assert_int_eq(ds->x.kind, GS_FEATURES_SPARSE);
  ck_assert_ptr_null(ds->kept_columns);
  check_csr_valid(ds);
  /* Row 0 has ones in columns 19, 81, 146, ... (first lines of node-feat.csv.gz). */
  ck_assert_int_eq(ds->x.sparse.col[0], 19);
  ck_assert_int_eq(ds->x.sparse.col[1], 81);
  ck_assert_float_eq(ds->x.sparse.val[0], 1.0f);
  ck_assert_int_eq(gs_features_bytes(&ds->x), 8 * 2709 + 12 * 49216);
  ck_assert_int_eq(ds->num_classes, 7);
  ck_assert_int_eq(ds->labels[0], 3);
  ck_assert_int_eq(ds->labels[1], 4);
  /* class_counts: 351 217 418 818 426 298 180 */
  ck_assert_int_eq(count_label(ds, 0), 351);
  ck_assert_int_eq(count_label(ds, 3), 818);
  ck_assert_int_eq(count_label(ds, 6), 180);
  check_split(ds, "public", 140, 500, 1000);
  ck_assert_int_eq(ds->train[139], 139);
  check_auto_choice(ds, 18.1743, 0.3168, 30, GS_FEATPREP_ROWNORM);
  ck_assert_int_eq(ds->valid[0], 140);
  ck_assert_int_eq(ds->test[0], 1708);
  ck_assert_int_eq(ds->test[999], 2707);
  gs_dataset_free(&ds);
  ck_assert_ptr_null(ds);
  ck_assert_int_eq(gs_mem_current(), before);
}
END_TEST

START_TEST(test_load_citeseer_unlabelled_nodes) {
  gs_dataset *ds = load_ok(gs_test_data("citeseer"), NULL);
  ck_assert_int_eq(ds->num_nodes, 3327);
  ck_assert_int_eq(ds->num_edge_lines, 9464);
  ck_assert_int_eq(ds->x.cols, 3703);
  ck_assert_int_eq(ds->x.nnz, 105165);
  ck_assert_int_eq(ds->x.kind, GS_FEATURES_SPARSE);
  ck_assert_int_eq(ds->num_classes, 6);
  ck_assert_int_eq(count_label(ds, -1), 15);
  check_split(ds, "public", 120, 500, 1000);
  check_auto_choice(ds, 31.6096, 0.2002, 54, GS_FEATPREP_ROWNORM);
  /* The 15 unlabelled nodes have all-zero rows, which normalisation must leave alone. */
  gs_dataset_row_normalize(ds);
  int64_t zero_rows = 0, off = 0;
  for (int64_t i = 0; i < ds->num_nodes; i++) {
    double sum = 0;
    for (int64_t k = ds->x.sparse.rowptr[i]; k < ds->x.sparse.rowptr[i + 1]; k++)
      sum += ds->x.sparse.val[k];
    if (ds->x.sparse.rowptr[i] == ds->x.sparse.rowptr[i + 1])
      zero_rows++;
    else
      off += fabs(sum - 1.0) > ROW_SUM_TOL;
  }
  ck_assert_int_eq(zero_rows, 15);
  ck_assert_int_eq(off, 0);
  gs_dataset_free(&ds);
}
END_TEST

START_TEST(test_load_amazon_photo_dense) {
  gs_dataset *ds = load_ok(gs_test_data("amazon-photo"), NULL);
  ck_assert_int_eq(ds->num_nodes, 7650);
  ck_assert_int_eq(ds->num_edge_lines, 143663);
  ck_assert_int_eq(ds->x.cols, 745);
  ck_assert_int_eq(ds->x.nnz, 1979909);
  /* 34.7% dense: above the default 0.25, so held dense. */
  ck_assert_int_eq(ds->x.kind, GS_FEATURES_DENSE);
  ck_assert_int_eq(gs_features_bytes(&ds->x), 4LL * 7650 * 745);
  ck_assert_int_eq(ds->num_classes, 8);
  ck_assert_int_eq(count_label(ds, 6), 1941);
  check_split(ds, "random-20-30", 160, 240, 7250);
  check_auto_choice(ds, 258.8116, 0.7618, 745, GS_FEATPREP_L2);
  gs_dataset_free(&ds);
}
END_TEST

START_TEST(test_load_coauthor_cs_counts) {
  gs_dataset *ds = load_ok(gs_test_data("coauthor-cs"), NULL);
  ck_assert_int_eq(ds->num_nodes, 18333);
  ck_assert_int_eq(ds->num_edge_lines, 163788);
  ck_assert_int_eq(ds->x.cols, 6805);
  ck_assert_int_eq(ds->x.nnz, 1092079);
  ck_assert_int_eq(ds->x.kind, GS_FEATURES_SPARSE);
  check_csr_valid(ds);
  float maxv = 0;
  for (int64_t k = 0; k < ds->x.nnz; k++)
    if (ds->x.sparse.val[k] > maxv) maxv = ds->x.sparse.val[k];
  ck_assert_float_eq(maxv, 105.0f); /* keyword counts: max 105 per META */
  ck_assert_int_eq(ds->x.sparse.col[0], 49);
  ck_assert_int_eq(ds->num_classes, 15);
  ck_assert_int_eq(count_label(ds, 13), 4136);
  check_split(ds, "random-20-30", 300, 450, 17583);
  check_auto_choice(ds, 59.5690, 1.2473, 2549, GS_FEATPREP_L2);
  /* Binarising counts (Shchur et al.) leaves the pattern and sets every value to 1. */
  gs_dataset_binarize(ds);
  int64_t not_one = 0;
  for (int64_t k = 0; k < ds->x.nnz; k++) not_one += ds->x.sparse.val[k] != 1.0f;
  ck_assert_int_eq(not_one, 0);
  ck_assert_int_eq(ds->x.nnz, 1092079);
  gs_dataset_free(&ds);
}
END_TEST

START_TEST(test_load_facebook_counts) {
  gs_dataset *ds = load_ok(gs_test_data("facebook-page-page"), NULL);
  ck_assert_int_eq(ds->num_nodes, 22470);
  ck_assert_int_eq(ds->num_edge_lines, 171002);
  ck_assert_int_eq(ds->x.cols, 4714);
  ck_assert_int_eq(ds->x.nnz, 314583);
  ck_assert_int_eq(ds->x.kind, GS_FEATURES_SPARSE);
  ck_assert_int_eq(ds->num_classes, 4);
  ck_assert_int_eq(count_label(ds, 3), 6880);
  check_split(ds, "random-20-30", 80, 120, 22270);
  check_auto_choice(ds, 14.0001, 0.5677, 31, GS_FEATPREP_RAW);
  gs_dataset_free(&ds);
}
END_TEST

START_TEST(test_load_cora_forced_dense_matches_sparse) {
  gs_dataset_options o = gs_dataset_options_default();
  o.sparse_below = 0.0;
  gs_dataset *dense = load_ok(gs_test_data("cora"), &o);
  gs_dataset *sparse = load_ok(gs_test_data("cora"), NULL);
  ck_assert_int_eq(dense->x.kind, GS_FEATURES_DENSE);
  ck_assert_int_eq(dense->x.nnz, 49216);
  int64_t nz = 0;
  for (int64_t k = 0; k < 2708LL * 1433; k++) nz += dense->x.dense[k] != 0.0f;
  ck_assert_int_eq(nz, 49216);
  int64_t differ = 0;
  for (int64_t i = 0; i < 2708; i++)
    for (int64_t k = sparse->x.sparse.rowptr[i]; k < sparse->x.sparse.rowptr[i + 1]; k++)
      differ += dense->x.dense[i * 1433 + sparse->x.sparse.col[k]] != sparse->x.sparse.val[k];
  ck_assert_int_eq(differ, 0);
  gs_dataset_free(&dense);
  gs_dataset_free(&sparse);
}
END_TEST

START_TEST(test_load_without_features) {
  gs_dataset_options o = gs_dataset_options_default();
  o.load_features = false;
  gs_dataset *ds = load_ok(gs_test_data("cora"), &o);
  ck_assert_int_eq(ds->x.kind, GS_FEATURES_NONE);
  ck_assert_int_eq(ds->file_features, 1433); /* from META.txt */
  ck_assert_int_eq(gs_features_bytes(&ds->x), 0);
  gs_dataset_free(&ds);
}
END_TEST

/* ------------------------------------------------------------------ transforms, columns */

START_TEST(test_row_normalize_rows_sum_to_one) {
  gs_dataset *ds = load_ok(gs_test_data("cora"), NULL);
  gs_dataset_row_normalize(ds);
  int64_t off = 0;
  for (int64_t i = 0; i < ds->num_nodes; i++) {
    double sum = 0;
    for (int64_t k = ds->x.sparse.rowptr[i]; k < ds->x.sparse.rowptr[i + 1]; k++)
      sum += ds->x.sparse.val[k];
    off += fabs(sum - 1.0) > ROW_SUM_TOL;
  }
  ck_assert_int_eq(off, 0);
  gs_dataset_free(&ds);
  /* Dense storage, with a zero row left as it is. */
  make_tiny(true);
  gs_test_write_gz("raw/node-feat.csv.gz", "1,3,0,0,0,0\n0,0,0,0,0,0\n2,2,2,2,0,0\n0,0,0,0,0,0.5\n");
  gs_dataset_options o = gs_dataset_options_default();
  o.sparse_below = 0.0;
  ds = load_ok(gs_test_tmp_root, &o);
  gs_dataset_row_normalize(ds);
  ck_assert_float_eq(feat(ds, 0, 0), 0.25f);
  ck_assert_float_eq(feat(ds, 0, 1), 0.75f);
  ck_assert_float_eq(feat(ds, 1, 0), 0.0f);
  ck_assert_float_eq(feat(ds, 2, 3), 0.25f);
  ck_assert_float_eq(feat(ds, 3, 5), 1.0f);
  gs_dataset_free(&ds);
  gs_test_clean_tmp();
}
END_TEST

START_TEST(test_l2_normalize_rows_have_unit_norm) {
  /* Dense and sparse storage; a zero row is left as it is. */
  for (int pass = 0; pass < 2; pass++) {
    make_tiny(true);
    gs_test_write_gz("raw/node-feat.csv.gz", "3,4,0,0,0,0\n0,0,0,0,0,0\n1,1,1,1,0,0\n0,0,0,0,0,0.5\n");
    gs_dataset_options o = gs_dataset_options_default();
    o.sparse_below = pass == 0 ? 0.0 : 2.0;
    gs_dataset *ds = load_ok(gs_test_tmp_root, &o);
    ck_assert_int_eq(ds->x.kind, pass == 0 ? GS_FEATURES_DENSE : GS_FEATURES_SPARSE);
    ck_assert_int_eq(gs_dataset_prepare_features(ds, GS_FEATPREP_L2), GS_FEATPREP_L2);
    ck_assert_float_eq_tol(feat(ds, 0, 0), 0.6f, 1e-7f);
    ck_assert_float_eq_tol(feat(ds, 0, 1), 0.8f, 1e-7f);
    ck_assert_float_eq(feat(ds, 1, 0), 0.0f);
    ck_assert_float_eq(feat(ds, 2, 3), 0.5f);
    ck_assert_float_eq(feat(ds, 3, 5), 1.0f);
    gs_dataset_free(&ds);
    gs_test_clean_tmp();
  }
}
END_TEST

START_TEST(test_featprep_auto_rule) {
  /* The documented rule, at each threshold: dense rows l2; sparse rows rownorm when their sums
   * are nearly equal, else raw when none is above GS_FEATPREP_RAW_MAX_ROW_SUM, else l2. */
  gs_feature_stats s = {GS_FEATPREP_DENSE_ROW_NNZ + 0.1, 0.1, 10.0, true, false};
  ck_assert_int_eq(gs_featprep_choose(&s), GS_FEATPREP_L2);
  s.mean_row_nnz = GS_FEATPREP_DENSE_ROW_NNZ;
  ck_assert_int_eq(gs_featprep_choose(&s), GS_FEATPREP_ROWNORM);
  s.row_sum_cv = GS_FEATPREP_ROW_SUM_CV;
  ck_assert_int_eq(gs_featprep_choose(&s), GS_FEATPREP_ROWNORM);
  s.row_sum_cv = GS_FEATPREP_ROW_SUM_CV + 0.01;
  ck_assert_int_eq(gs_featprep_choose(&s), GS_FEATPREP_RAW);
  s.max_row_sum = GS_FEATPREP_RAW_MAX_ROW_SUM;
  ck_assert_int_eq(gs_featprep_choose(&s), GS_FEATPREP_RAW);
  s.max_row_sum = GS_FEATPREP_RAW_MAX_ROW_SUM + 1.0;
  ck_assert_int_eq(gs_featprep_choose(&s), GS_FEATPREP_L2);
  char why[256];
  gs_featprep_explain(&s, why, sizeof why);
  ck_assert_ptr_nonnull(strstr(why, "cv 0.46 > 0.45"));
  ck_assert_ptr_nonnull(strstr(why, "unit Euclidean norm"));
  /* The statistics of a hand-made matrix: row sums 4, 0, 8, 0.5 (mean 3.125). */
  make_tiny(true);
  gs_test_write_gz("raw/node-feat.csv.gz", "1,3,0,0,0,0\n0,0,0,0,0,0\n2,2,2,2,0,0\n0,0,0,0,0,0.5\n");
  for (int pass = 0; pass < 2; pass++) {
    gs_dataset_options o = gs_dataset_options_default();
    o.sparse_below = pass == 0 ? 0.0 : 2.0;
    gs_dataset *ds = load_ok(gs_test_tmp_root, &o);
    s = gs_feature_stats_of(&ds->x);
    ck_assert_double_eq_tol(s.mean_row_nnz, 7.0 / 4.0, FEATURE_STATS_TOL);
    ck_assert_double_eq_tol(s.max_row_sum, 8.0, FEATURE_STATS_TOL);
    /* population std of (4, 0, 8, 0.5) is sqrt(10.296875) = 3.20888; / 3.125 */
    ck_assert_double_eq_tol(s.row_sum_cv, 1.02684, FEATURE_STATS_TOL);
    ck_assert(!s.binary);
    ck_assert_int_eq(gs_dataset_prepare_features(ds, GS_FEATPREP_AUTO), GS_FEATPREP_RAW);
    ck_assert_double_eq_tol(ds->features_stats.max_row_sum, 8.0, FEATURE_STATS_TOL);
    gs_dataset_free(&ds);
  }
  gs_test_clean_tmp();
  /* Signed values (rows summing to about 0, as a generated graph's centroid-plus-noise
   * features do) are kept as stored: never divided by their near-zero sums. */
  make_tiny(true);
  gs_test_write_gz("raw/node-feat.csv.gz",
                   "1,-1,0.5,-0.4,0,0\n0.35,-0.25,0,0,0,0\n2,-2,0,0,0,0.1\n-1,1.1,0,0,0,0\n");
  for (int pass = 0; pass < 2; pass++) {
    gs_dataset_options o = gs_dataset_options_default();
    o.sparse_below = pass == 0 ? 0.0 : 2.0;
    gs_dataset *ds = load_ok(gs_test_tmp_root, &o);
    s = gs_feature_stats_of(&ds->x);
    ck_assert(s.negative);
    /* Every row sums to 0.1: for counts this would say "rownorm" (x10 here). */
    ck_assert(s.row_sum_cv <= GS_FEATPREP_ROW_SUM_CV);
    ck_assert_int_eq(gs_dataset_prepare_features(ds, GS_FEATPREP_AUTO), GS_FEATPREP_RAW);
    gs_featprep_explain(&ds->features_stats, why, sizeof why);
    ck_assert_ptr_nonnull(strstr(why, "negative"));
    gs_dataset_free(&ds);
  }
  gs_test_clean_tmp();
  gs_featprep p = GS_FEATPREP_AUTO;
  ck_assert(gs_featprep_parse("l2", &p));
  ck_assert_int_eq(p, GS_FEATPREP_L2);
  ck_assert_str_eq(gs_featprep_name(GS_FEATPREP_L2), "l2");
}
END_TEST

START_TEST(test_binarize_dense_and_sparse) {
  make_tiny(true);
  for (int pass = 0; pass < 2; pass++) {
    gs_dataset_options o = gs_dataset_options_default();
    o.sparse_below = pass == 0 ? 0.0 : 2.0;
    gs_dataset *ds = load_ok(gs_test_tmp_root, &o);
    ck_assert_int_eq(ds->x.kind, pass == 0 ? GS_FEATURES_DENSE : GS_FEATURES_SPARSE);
    ck_assert_int_eq(ds->x.nnz, 7);
    ck_assert_float_eq(feat(ds, 0, 4), 2.5f);
    ck_assert_float_eq(feat(ds, 2, 2), 0.25f);
    gs_dataset_binarize(ds);
    ck_assert_float_eq(feat(ds, 0, 4), 1.0f);
    ck_assert_float_eq(feat(ds, 1, 3), 1.0f);
    ck_assert_float_eq(feat(ds, 2, 2), 1.0f);
    ck_assert_float_eq(feat(ds, 0, 0), 0.0f);
    ck_assert_float_eq(feat(ds, 3, 4), 0.0f);
    gs_dataset_free(&ds);
  }
  gs_test_clean_tmp();
}
END_TEST

START_TEST(test_columns_select_and_reorder) {
  make_tiny(true);
  const int64_t cols[2] = {5, 2};
  for (int pass = 0; pass < 2; pass++) {
    gs_dataset_options o = gs_dataset_options_default();
    o.columns = cols;
    o.num_columns = 2;
    o.sparse_below = pass == 0 ? 0.0 : 2.0;
    gs_dataset *ds = load_ok(gs_test_tmp_root, &o);
    ck_assert_int_eq(ds->x.cols, 2);
    ck_assert_int_eq(ds->file_features, 6);
    ck_assert_int_eq(ds->kept_columns[0], 5);
    ck_assert_int_eq(ds->kept_columns[1], 2);
    ck_assert_int_eq(ds->x.nnz, 3);
    /* Column 0 = file column 5 = (0, 0, 1, 0.5); column 1 = file column 2 = (0, 0, 0.25, 0). */
    ck_assert_float_eq(feat(ds, 0, 0), 0.0f);
    ck_assert_float_eq(feat(ds, 2, 0), 1.0f);
    ck_assert_float_eq(feat(ds, 3, 0), 0.5f);
    ck_assert_float_eq(feat(ds, 2, 1), 0.25f);
    ck_assert_float_eq(feat(ds, 3, 1), 0.0f);
    if (ds->x.kind == GS_FEATURES_SPARSE) check_csr_valid(ds);
    ck_assert_int_eq(gs_features_bytes(&ds->x), pass == 0 ? 4 * 4 * 2 : 8 * 5 + 12 * 3);
    gs_dataset_free(&ds);
  }
  gs_test_clean_tmp();
}
END_TEST

START_TEST(test_columns_on_cora_match_full_load) {
  const int64_t cols[3] = {81, 19, 1432};
  gs_dataset_options o = gs_dataset_options_default();
  o.columns = cols;
  o.num_columns = 3;
  gs_dataset *sel = load_ok(gs_test_data("cora"), &o);
  gs_dataset *full = load_ok(gs_test_data("cora"), NULL);
  int64_t nnz = 0, differ = 0;
  for (int64_t i = 0; i < 2708; i++)
    for (int c = 0; c < 3; c++) {
      differ += feat(sel, i, c) != feat(full, i, cols[c]);
      nnz += feat(full, i, cols[c]) != 0.0f;
    }
  ck_assert_int_eq(differ, 0);
  ck_assert_int_eq(sel->x.nnz, nnz);
  ck_assert_float_eq(feat(sel, 0, 0), 1.0f);
  ck_assert_float_eq(feat(sel, 0, 1), 1.0f);
  gs_dataset_free(&sel);
  gs_dataset_free(&full);
}
END_TEST

START_TEST(test_columns_invalid_rejected) {
  make_tiny(true);
  int64_t before = gs_mem_current();
  gs_dataset *ds = NULL;
  gs_error err;
  gs_dataset_options o = gs_dataset_options_default();
  const int64_t out_of_range[1] = {6};
  o.columns = out_of_range;
  o.num_columns = 1;
  ck_assert_int_eq(gs_dataset_load(&ds, gs_test_tmp_root, &o, &err), GS_ERR_RANGE);
  ck_assert_ptr_nonnull(strstr(err.msg, "column 6"));
  const int64_t twice[2] = {1, 1};
  o.columns = twice;
  o.num_columns = 2;
  ck_assert_int_eq(gs_dataset_load(&ds, gs_test_tmp_root, &o, &err), GS_ERR_INVALID);
  o.num_columns = 0;
  ck_assert_int_eq(gs_dataset_load(&ds, gs_test_tmp_root, &o, &err), GS_ERR_INVALID);
  ck_assert_ptr_null(ds);
  ck_assert_int_eq(gs_mem_current(), before);
  gs_test_clean_tmp();
}
END_TEST

/* ------------------------------------------------------------------ malformed inputs */

START_TEST(test_tiny_loads_with_and_without_meta) {
  for (int meta = 0; meta < 2; meta++) {
    make_tiny(meta == 1);
    int64_t before = gs_mem_current();
    gs_dataset *ds = load_ok(gs_test_tmp_root, NULL);
    ck_assert_int_eq(ds->num_nodes, 4);
    ck_assert_int_eq(ds->num_edge_lines, 5);
    ck_assert_int_eq(ds->src[4], 1);
    ck_assert_int_eq(ds->dst[4], 1);
    ck_assert_int_eq(ds->num_classes, 3);
    ck_assert_int_eq(ds->labels[3], -1);
    ck_assert_int_eq(ds->x.nnz, 7);
    ck_assert_int_eq(ds->x.kind, GS_FEATURES_DENSE); /* 7 / 24 = 0.29 */
    check_split(ds, "public", 1, 1, 1);
    gs_dataset_free(&ds);
    ck_assert_int_eq(gs_mem_current(), before);
    gs_test_clean_tmp();
  }
}
END_TEST

START_TEST(test_load_missing_file_is_io) {
  make_tiny(true);
  unlink(gs_test_path("raw/edge.csv.gz"));
  expect_failure(GS_ERR_IO, "raw/edge.csv.gz", "cannot open");
  make_tiny(true);
  unlink(gs_test_path("raw/node-feat.csv.gz"));
  expect_failure(GS_ERR_IO, "node-feat.csv.gz", NULL);
  gs_dataset *ds = NULL;
  gs_error err;
  ck_assert_int_eq(gs_dataset_load(&ds, "/nonexistent/gs-dataset", NULL, &err), GS_ERR_IO);
}
END_TEST

START_TEST(test_load_truncated_gzip_is_io) {
  make_tiny(true);
  /* Enough distinct lines that half the compressed file is a real cut mid-stream. */
  char *text = malloc(1 << 20);
  size_t used = 0;
  for (int i = 0; i < 20000; i++)
    used += (size_t)sprintf(text + used, "%d,%d\n", i % 4, (i * 7) % 4);
  gs_test_write_gz("raw/edge.csv.gz", text);
  free(text);
  gs_test_write_plain("raw/num-edge-list.csv", "20000\n");
  gs_test_write_plain("META.txt", "nodes: 4\n");
  struct stat sb;
  ck_assert_int_eq(stat(gs_test_path("raw/edge.csv.gz"), &sb), 0);
  ck_assert_int_eq(truncate(gs_test_path("raw/edge.csv.gz"), sb.st_size / 2), 0);
  expect_failure(GS_ERR_IO, "raw/edge.csv.gz:", "unexpected end");
}
END_TEST

START_TEST(test_load_empty_file_is_parse) {
  make_tiny(true);
  gs_test_write_gz("raw/node-label.csv.gz", "");
  expect_failure(GS_ERR_PARSE, "node-label.csv.gz:1:", "empty file");
  make_tiny(true);
  gs_test_write_plain("raw/num-node-list.csv", "");
  expect_failure(GS_ERR_PARSE, "num-node-list.csv:1:", "empty");
  make_tiny(true);
  gs_test_write_gz("raw/node-feat.csv.gz", "");
  expect_failure(GS_ERR_PARSE, "node-feat.csv.gz:1:", "empty");
}
END_TEST

START_TEST(test_load_wrong_field_count_is_parse) {
  make_tiny(true);
  gs_test_write_gz("raw/edge.csv.gz", "0,1\n1,2\n2,3,1\n3,0\n1,1\n");
  expect_failure(GS_ERR_PARSE, "raw/edge.csv.gz:3:", "expected 2 fields, got 3");
  make_tiny(true);
  gs_test_write_gz("raw/edge.csv.gz", "0,1\n1\n2,3\n3,0\n1,1\n");
  expect_failure(GS_ERR_PARSE, "edge.csv.gz:2:", "expected 2 fields, got 1");
  make_tiny(true);
  gs_test_write_gz("raw/node-feat.csv.gz", "0,1,0,0,2.5,0\n0,0,0,3,0,0\n1,0,0.25,0,0\n0,0,0,0,0,0.5\n");
  expect_failure(GS_ERR_PARSE, "node-feat.csv.gz:3:", "expected 6 fields, got 5");
  make_tiny(true);
  gs_test_write_gz("raw/node-feat.csv.gz",
           "0,1,0,0,2.5,0\n0,0,0,3,0,0,0,0,0,0,0\n1,0,0.25,0,0,1\n0,0,0,0,0,0.5\n");
  expect_failure(GS_ERR_PARSE, "node-feat.csv.gz:2:", "expected 6 fields, got 11");
  make_tiny(true);
  gs_test_write_gz("raw/node-label.csv.gz", "0\n1\n\n-1\n");
  expect_failure(GS_ERR_PARSE, "node-label.csv.gz:3:", "empty");
}
END_TEST

START_TEST(test_load_non_numeric_is_parse) {
  make_tiny(true);
  gs_test_write_gz("raw/node-feat.csv.gz", "0,1,0,0,2.5,0\n0,0,abc,3,0,0\n1,0,0.25,0,0,1\n0,0,0,0,0,0.5\n");
  expect_failure(GS_ERR_PARSE, "node-feat.csv.gz:2:", "'abc' is not a number");
  make_tiny(true);
  gs_test_write_gz("raw/node-feat.csv.gz", "0,1,0,0,2.5,0\n0,0,0,3,0,0\n1,0,0x1p3,0,0,1\n0,0,0,0,0,0.5\n");
  expect_failure(GS_ERR_PARSE, "node-feat.csv.gz:3:", "field 3");
  make_tiny(true);
  gs_test_write_gz("raw/node-feat.csv.gz", "0,1,0,0,2.5,0\n0,0,0,3,0,0\n1,0,,0,0,1\n0,0,0,0,0,0.5\n");
  expect_failure(GS_ERR_PARSE, "node-feat.csv.gz:3:", "field 3 is empty");
  make_tiny(true);
  gs_test_write_gz("raw/edge.csv.gz", "0,1\n1,2\n2,3\n3,x\n1,1\n");
  expect_failure(GS_ERR_PARSE, "edge.csv.gz:4:", "'x'");
  make_tiny(true);
  gs_test_write_gz("raw/edge.csv.gz", "0,1\n1,2\n2,-3\n3,0\n1,1\n");
  expect_failure(GS_ERR_PARSE, "edge.csv.gz:3:", "non-negative integer");
  make_tiny(true);
  gs_test_write_plain("META.txt", "nodes: 4\nedges: many\n");
  expect_failure(GS_ERR_PARSE, "META.txt:2:", "edges");
  make_tiny(true);
  gs_test_write_gz("split/public/test.csv.gz", "2\n3.0\n");
  expect_failure(GS_ERR_PARSE, "test.csv.gz:2:", NULL);
}
END_TEST

START_TEST(test_load_node_id_out_of_range) {
  make_tiny(true);
  gs_test_write_gz("raw/edge.csv.gz", "0,1\n1,2\n2,3\n9,1\n1,1\n");
  expect_failure(GS_ERR_RANGE, "raw/edge.csv.gz:4:", "node id 9 is out of range [0, 4)");
  make_tiny(true);
  gs_test_write_gz("raw/edge.csv.gz", "0,1\n1,4\n2,3\n3,0\n1,1\n");
  expect_failure(GS_ERR_RANGE, "edge.csv.gz:2:", "node id 4");
}
END_TEST

START_TEST(test_load_count_mismatch) {
  /* num-edge-list says 6, the file has 5 lines. */
  make_tiny(false);
  gs_test_write_plain("raw/num-edge-list.csv", "6\n");
  expect_failure(GS_ERR_MISMATCH, "edge.csv.gz:5:", "num-edge-list.csv");
  /* num-edge-list says 4, the file has 5 lines. */
  make_tiny(false);
  gs_test_write_plain("raw/num-edge-list.csv", "4\n");
  expect_failure(GS_ERR_MISMATCH, "edge.csv.gz:5:", "more edge lines");
  /* num-node-list says 5: labels end after 4 lines. */
  make_tiny(false);
  gs_test_write_plain("raw/num-node-list.csv", "5\n");
  expect_failure(GS_ERR_MISMATCH, "node-label.csv.gz:4:", "num-node-list.csv");
  /* num-node-list says 3: the fourth label line is one too many. */
  make_tiny(false);
  gs_test_write_plain("raw/num-node-list.csv", "3\n");
  gs_test_write_gz("raw/edge.csv.gz", "0,1\n1,2\n2,0\n0,0\n1,1\n");
  gs_test_write_gz("raw/node-label.csv.gz", "0\n1\n2\n");
  expect_failure(GS_ERR_MISMATCH, "node-feat.csv.gz:4:", "more feature rows");
  /* META.txt disagrees with the count file and with the feature width. */
  make_tiny(false);
  gs_test_write_plain("META.txt", "name: tiny\nnodes: 7\n");
  expect_failure(GS_ERR_MISMATCH, "META.txt:2:", "num-node-list.csv gives 4");
  make_tiny(false);
  gs_test_write_plain("META.txt", "edges: 5\nnum_features: 7\n");
  expect_failure(GS_ERR_MISMATCH, "node-feat.csv.gz:1:", "num_features 7");
}
END_TEST

START_TEST(test_load_nonfinite_feature_is_numeric) {
  make_tiny(true);
  gs_test_write_gz("raw/node-feat.csv.gz", "0,1,0,0,2.5,0\n0,0,0,3,0,0\n1,0,nan,0,0,1\n0,0,0,0,0,0.5\n");
  expect_failure(GS_ERR_NUMERIC, "node-feat.csv.gz:3:", "not a finite number");
  make_tiny(true);
  gs_test_write_gz("raw/node-feat.csv.gz", "0,1,0,0,2.5,-inf\n0,0,0,3,0,0\n1,0,0,0,0,1\n0,0,0,0,0,0.5\n");
  expect_failure(GS_ERR_NUMERIC, "node-feat.csv.gz:1:", "field 6");
  make_tiny(true);
  gs_test_write_gz("raw/node-feat.csv.gz", "0,1,0,0,2.5,0\n0,0,0,3,0,0\n1,0,0,0,0,1\n0,0,0,0,1e39,0.5\n");
  expect_failure(GS_ERR_NUMERIC, "node-feat.csv.gz:4:", NULL);
}
END_TEST

START_TEST(test_load_label_out_of_range) {
  make_tiny(true);
  gs_test_write_gz("raw/node-label.csv.gz", "0\n1\n3\n-1\n");
  expect_failure(GS_ERR_RANGE, "node-label.csv.gz:3:", "label 3 is out of range");
  make_tiny(false);
  gs_test_write_gz("raw/node-label.csv.gz", "0\n-2\n2\n-1\n");
  expect_failure(GS_ERR_RANGE, "node-label.csv.gz:2:", "label -2");
}
END_TEST

START_TEST(test_load_split_duplicate_is_invalid) {
  make_tiny(true);
  gs_test_write_gz("split/public/test.csv.gz", "2\n2\n");
  expect_failure(GS_ERR_INVALID, "test.csv.gz:2:", "node 2 is already in test");
  make_tiny(true);
  gs_test_write_gz("split/public/valid.csv.gz", "1\n0\n");
  expect_failure(GS_ERR_INVALID, "valid.csv.gz:2:", "already in train");
}
END_TEST

START_TEST(test_load_split_out_of_range) {
  make_tiny(true);
  gs_test_write_gz("split/public/test.csv.gz", "2\n4\n");
  expect_failure(GS_ERR_RANGE, "test.csv.gz:2:", "node id 4 is out of range");
}
END_TEST

START_TEST(test_load_split_unlabelled_is_invalid) {
  make_tiny(true);
  gs_test_write_gz("split/public/test.csv.gz", "2\n3\n");
  expect_failure(GS_ERR_INVALID, "test.csv.gz:2:", "no label");
}
END_TEST

START_TEST(test_load_absurd_size_is_range) {
  make_tiny(true);
  gs_test_write_plain("raw/num-node-list.csv", "1000000000000000\n");
  expect_failure(GS_ERR_RANGE, "num-node-list.csv:1:", "1000000000000000");
  make_tiny(true);
  gs_test_write_plain("raw/num-edge-list.csv", "1000000000000000\n");
  expect_failure(GS_ERR_RANGE, "num-edge-list.csv:1:", NULL);
  make_tiny(true);
  gs_test_write_plain("raw/num-node-list.csv", "0\n");
  expect_failure(GS_ERR_RANGE, "num-node-list.csv:1:", NULL);
}
END_TEST

START_TEST(test_load_integer_overflow_is_range) {
  make_tiny(true);
  gs_test_write_gz("raw/edge.csv.gz", "0,1\n1,2\n99999999999999999999999,3\n3,0\n1,1\n");
  expect_failure(GS_ERR_RANGE, "edge.csv.gz:3:", "does not fit in 64 bits");
  make_tiny(true);
  gs_test_write_gz("raw/node-label.csv.gz", "0\n1\n2\n-9223372036854775809\n");
  expect_failure(GS_ERR_RANGE, "node-label.csv.gz:4:", NULL);
}
END_TEST

START_TEST(test_load_carriage_return_is_parse) {
  make_tiny(true);
  gs_test_write_gz("raw/edge.csv.gz", "0,1\n1,2\r\n2,3\n3,0\n1,1\n");
  expect_failure(GS_ERR_PARSE, "edge.csv.gz:2:", "'\\r'");
}
END_TEST

START_TEST(test_load_missing_final_newline_accepted) {
  make_tiny(true);
  gs_test_write_gz("raw/edge.csv.gz", "0,1\n1,2\n2,3\n3,0\n1,1");
  gs_test_write_gz("raw/node-feat.csv.gz", "0,1,0,0,2.5,0\n0,0,0,3,0,0\n1,0,0.25,0,0,1\n0,0,0,0,0,0.5");
  gs_test_write_plain("raw/num-node-list.csv", "4");
  gs_dataset *ds = load_ok(gs_test_tmp_root, NULL);
  ck_assert_int_eq(ds->num_edge_lines, 5);
  ck_assert_int_eq(ds->dst[4], 1);
  ck_assert_float_eq(feat(ds, 3, 5), 0.5f);
  gs_dataset_free(&ds);
  gs_test_clean_tmp();
}
END_TEST

START_TEST(test_load_split_selection) {
  make_tiny(true);
  gs_test_mkdir("split/alpha");
  gs_test_write_gz("split/alpha/train.csv.gz", "2\n");
  gs_test_write_gz("split/alpha/valid.csv.gz", "");
  gs_test_write_gz("split/alpha/test.csv.gz", "0\n1\n");
  /* Default: "public" although "alpha" sorts first. */
  gs_dataset *ds = load_ok(gs_test_tmp_root, NULL);
  ck_assert_str_eq(ds->split_name, "public");
  gs_dataset_free(&ds);
  gs_dataset_options o = gs_dataset_options_default();
  o.split = "alpha";
  ds = load_ok(gs_test_tmp_root, &o);
  check_split(ds, "alpha", 1, 0, 2);
  ck_assert_int_eq(ds->train[0], 2);
  gs_dataset_free(&ds);
  /* Without "public", the alphabetically first. */
  gs_test_remove_tree(gs_test_path("split/public"));
  ds = load_ok(gs_test_tmp_root, NULL);
  ck_assert_str_eq(ds->split_name, "alpha");
  gs_dataset_free(&ds);
  /* A split that does not exist lists the ones that do. */
  int64_t before = gs_mem_current();
  gs_error err;
  o.split = "random-20-30";
  ck_assert_int_eq(gs_dataset_load(&ds, gs_test_tmp_root, &o, &err), GS_ERR_NOT_FOUND);
  ck_assert_ptr_nonnull(strstr(err.msg, "no split 'random-20-30' (available: alpha)"));
  ck_assert_int_eq(gs_mem_current(), before);
  gs_test_clean_tmp();
}
END_TEST

START_TEST(test_load_sparse_feature_file) {
  make_tiny(true);
  unlink(gs_test_path("raw/node-feat.csv.gz"));
  gs_test_write_gz("raw/node-feat-sparse.csv.gz",
           "0,1,1\n0,4,2.5\n1,3,3\n2,0,1\n2,2,0.25\n2,5,1\n3,5,0.5\n");
  gs_dataset *ds = load_ok(gs_test_tmp_root, NULL);
  ck_assert_int_eq(ds->x.cols, 6);
  ck_assert_int_eq(ds->x.nnz, 7);
  ck_assert_int_eq(ds->x.kind, GS_FEATURES_DENSE);
  ck_assert_float_eq(feat(ds, 0, 4), 2.5f);
  ck_assert_float_eq(feat(ds, 3, 5), 0.5f);
  gs_dataset_free(&ds);
  const int64_t cols[2] = {5, 2};
  gs_dataset_options o = gs_dataset_options_default();
  o.columns = cols;
  o.num_columns = 2;
  o.sparse_below = 1.0;
  ds = load_ok(gs_test_tmp_root, &o);
  ck_assert_int_eq(ds->x.kind, GS_FEATURES_SPARSE);
  check_csr_valid(ds);
  ck_assert_int_eq(ds->x.nnz, 3);
  ck_assert_float_eq(feat(ds, 2, 0), 1.0f);
  ck_assert_float_eq(feat(ds, 2, 1), 0.25f);
  ck_assert_float_eq(feat(ds, 3, 0), 0.5f);
  gs_dataset_free(&ds);
  gs_test_clean_tmp();
  /* Out of order and out of range. */
  make_tiny(true);
  unlink(gs_test_path("raw/node-feat.csv.gz"));
  gs_test_write_gz("raw/node-feat-sparse.csv.gz", "0,1,1\n0,4,2.5\n0,3,3\n");
  expect_failure(GS_ERR_PARSE, "node-feat-sparse.csv.gz:3:", "out of order");
  make_tiny(true);
  unlink(gs_test_path("raw/node-feat.csv.gz"));
  gs_test_write_gz("raw/node-feat-sparse.csv.gz", "0,1,1\n1,6,2.5\n");
  expect_failure(GS_ERR_RANGE, "node-feat-sparse.csv.gz:2:", "column 6");
}
END_TEST

START_TEST(test_load_allocation_failures_leak_nothing) {
  make_tiny(true);
  int64_t before = gs_mem_current();
  int failures = 0;
  for (int64_t k = 0; k < 1000; k++) {
    gs_dataset *ds = NULL;
    gs_error err;
    gs_mem_fail_after(k);
    gs_status st = gs_dataset_load(&ds, gs_test_tmp_root, NULL, &err);
    gs_mem_fail_after(-1);
    if (st == GS_OK) {
      gs_dataset_free(&ds);
      ck_assert_int_eq(gs_mem_current(), before);
      break;
    }
    failures++;
    ck_assert_msg(st == GS_ERR_NOMEM, "allocation %lld: %s", (long long)k, err.msg);
    ck_assert_ptr_null(ds);
    ck_assert_int_eq(gs_mem_current(), before);
  }
  ck_assert_int_gt(failures, 10);
  gs_test_clean_tmp();
}
END_TEST

START_TEST(test_load_leaks_nothing_on_success_and_failure) {
  int64_t before = gs_mem_current();
  gs_dataset *ds = load_ok(gs_test_data("citeseer"), NULL);
  gs_dataset_free(&ds);
  ck_assert_int_eq(gs_mem_current(), before);
  /* A failure in the very last file read (features) after everything else was built. */
  make_tiny(true);
  gs_test_write_gz("raw/node-feat.csv.gz", "0,1,0,0,2.5,0\n0,0,0,3,0,0\n1,0,0.25,0,0,1\n0,0,0,0,0,nan\n");
  expect_failure(GS_ERR_NUMERIC, "node-feat.csv.gz:4:", NULL);
  ck_assert_int_eq(gs_mem_current(), before);
}
END_TEST

/* ------------------------------------------------------------------ writer */

static void assert_same_dataset(const gs_dataset *a, const gs_dataset *b) {
  ck_assert_int_eq(a->num_nodes, b->num_nodes);
  ck_assert_int_eq(a->num_edge_lines, b->num_edge_lines);
  ck_assert_int_eq(memcmp(a->src, b->src, (size_t)a->num_edge_lines * 8), 0);
  ck_assert_int_eq(memcmp(a->dst, b->dst, (size_t)a->num_edge_lines * 8), 0);
  ck_assert_int_eq(a->num_classes, b->num_classes);
  ck_assert_int_eq(memcmp(a->labels, b->labels, (size_t)a->num_nodes * 4), 0);
  ck_assert_int_eq(a->x.kind, b->x.kind);
  ck_assert_int_eq(a->x.rows, b->x.rows);
  ck_assert_int_eq(a->x.cols, b->x.cols);
  ck_assert_int_eq(a->x.nnz, b->x.nnz);
  if (a->x.kind == GS_FEATURES_DENSE) {
    ck_assert_int_eq(memcmp(a->x.dense, b->x.dense, (size_t)(a->x.rows * a->x.cols) * 4), 0);
  } else if (a->x.kind == GS_FEATURES_SPARSE) {
    ck_assert_int_eq(memcmp(a->x.sparse.rowptr, b->x.sparse.rowptr, (size_t)(a->x.rows + 1) * 8),
                     0);
    ck_assert_int_eq(memcmp(a->x.sparse.col, b->x.sparse.col, (size_t)a->x.nnz * 8), 0);
    ck_assert_int_eq(memcmp(a->x.sparse.val, b->x.sparse.val, (size_t)a->x.nnz * 4), 0);
  }
  ck_assert_str_eq(a->split_name, b->split_name);
  ck_assert_int_eq(a->num_train, b->num_train);
  ck_assert_int_eq(a->num_valid, b->num_valid);
  ck_assert_int_eq(a->num_test, b->num_test);
  ck_assert_int_eq(memcmp(a->train, b->train, (size_t)a->num_train * 8), 0);
  ck_assert_int_eq(memcmp(a->valid, b->valid, (size_t)a->num_valid * 8), 0);
  ck_assert_int_eq(memcmp(a->test, b->test, (size_t)a->num_test * 8), 0);
}

START_TEST(test_write_round_trip_cora) {
  int64_t before = gs_mem_current();
  gs_test_make_tmp();
  gs_dataset *a = load_ok(gs_test_data("cora"), NULL);
  gs_error err;
  const char *out = gs_test_path("out/cora");
  GS_ASSERT_OK(gs_dataset_write(a, out, &err), err);
  gs_dataset *b = load_ok(out, NULL);
  assert_same_dataset(a, b);
  ck_assert_str_eq(b->name, "cora");
  char *meta = read_gz_text(gs_test_path("out/cora/META.txt"));
  ck_assert_ptr_nonnull(strstr(meta, "source: generated by gnnscale\n"));
  ck_assert_ptr_nonnull(strstr(meta, "nodes: 2708\n"));
  ck_assert_ptr_nonnull(strstr(meta, "num_features: 1433\n"));
  ck_assert_ptr_nonnull(strstr(meta, "num_classes: 7\n"));
  ck_assert_ptr_nonnull(strstr(meta, "split.public: train 140, valid 500, test 1000\n"));
  free(meta);
  /* No temporary file is left behind. */
  DIR *d = opendir(gs_test_path("out/cora/raw"));
  struct dirent *e;
  int files = 0;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    ck_assert_ptr_null(strstr(e->d_name, ".tmp"));
    files++;
  }
  closedir(d);
  ck_assert_int_eq(files, 5);
  /* Writing again over the folder works (rename replaces). */
  GS_ASSERT_OK(gs_dataset_write(b, out, &err), err);
  gs_dataset_free(&a);
  gs_dataset_free(&b);
  gs_test_clean_tmp();
  ck_assert_int_eq(gs_mem_current(), before);
}
END_TEST

START_TEST(test_write_round_trip_real_values_exact) {
  gs_test_make_tmp();
  gs_generate_options g = gs_generate_options_default();
  g.nodes = 50;
  g.edges = 100;
  g.features = 12;
  g.classes = 3;
  gs_dataset *a = NULL;
  gs_error err;
  GS_ASSERT_OK(gs_dataset_generate(&a, &g, &err), err);
  /* Values that need every path of the formatter: short decimals, 9 significant digits,
   * tiny and huge magnitudes (no exponent may be written), negative zero's neighbours. */
  const float special[12] = {0.1f,        1.0f / 3.0f, -2.5e-7f, 1e-30f,          3.4e38f,
                             16777217.0f, 123456.789f, -0.0282f, 1.17549435e-38f, 1e-45f,
                             7.0f,        -1e10f};
  for (int c = 0; c < 12; c++) a->x.dense[c] = special[c];
  int64_t nnz = 0;
  for (int64_t k = 0; k < 50 * 12; k++) nnz += a->x.dense[k] != 0.0f;
  a->x.nnz = nnz;
  GS_ASSERT_OK(gs_dataset_write(a, gs_test_path("gen"), &err), err);
  gs_dataset_options o = gs_dataset_options_default();
  o.sparse_below = 0.0;
  gs_dataset *b = load_ok(gs_test_path("gen"), &o);
  assert_same_dataset(a, b);
  ck_assert_str_eq(b->split_name, "random-20-30");
  char *text = read_gz_text(gs_test_path("gen/raw/node-feat.csv.gz"));
  ck_assert_ptr_null(strchr(text, 'e'));
  ck_assert_ptr_null(strchr(text, 'E'));
  ck_assert_ptr_nonnull(strstr(text, "0.1,"));
  ck_assert_ptr_nonnull(strstr(text, ",7,"));
  free(text);
  gs_dataset_free(&a);
  gs_dataset_free(&b);
  gs_test_clean_tmp();
}
END_TEST

START_TEST(test_write_output_independent_of_threads) {
  gs_test_make_tmp();
  gs_generate_options g = gs_generate_options_default();
  g.nodes = 20000;
  g.edges = 60000;
  g.features = 16;
  gs_dataset *a = NULL;
  gs_error err;
  GS_TEST_RUNTIME(1);
  GS_ASSERT_OK(gs_dataset_generate(&a, &g, &err), err);
  GS_ASSERT_OK(gs_dataset_write(a, gs_test_path("t1"), &err), err);
  gs_dataset *b = NULL;
  GS_TEST_RUNTIME(2);
  GS_ASSERT_OK(gs_dataset_generate(&b, &g, &err), err);
  assert_same_dataset(a, b);
  GS_ASSERT_OK(gs_dataset_write(b, gs_test_path("t2"), &err), err);
  const char *files[2] = {"raw/node-feat.csv.gz", "raw/edge.csv.gz"};
  for (int f = 0; f < 2; f++) {
    char p1[4200], p2[4200];
    snprintf(p1, sizeof p1, "%s/t1/%s", gs_test_tmp_root, files[f]);
    snprintf(p2, sizeof p2, "%s/t2/%s", gs_test_tmp_root, files[f]);
    FILE *f1 = fopen(p1, "rb"), *f2 = fopen(p2, "rb");
    ck_assert_ptr_nonnull(f1);
    ck_assert_ptr_nonnull(f2);
    int c1, c2;
    int64_t differ = 0;
    do {
      c1 = fgetc(f1);
      c2 = fgetc(f2);
      differ += c1 != c2;
    } while (c1 != EOF && c2 != EOF);
    ck_assert_int_eq(differ, 0);
    fclose(f1);
    fclose(f2);
  }
  gs_dataset *c = load_ok(gs_test_path("t2"), NULL);
  assert_same_dataset(a, c);
  gs_dataset_free(&a);
  gs_dataset_free(&b);
  gs_dataset_free(&c);
  gs_test_clean_tmp();
}
END_TEST

START_TEST(test_write_bad_folder_is_io) {
  gs_dataset *a = load_ok(gs_test_data("cora"),
                          &(gs_dataset_options){.load_features = false, .sparse_below = 0.25});
  gs_error err;
  gs_test_make_tmp();
  gs_test_write_plain("file", "x");
  ck_assert_int_eq(gs_dataset_write(a, gs_test_path("file/sub"), &err), GS_ERR_IO);
  gs_dataset_free(&a);
  gs_test_clean_tmp();
}
END_TEST

/* ------------------------------------------------------------------ generator */

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

START_TEST(test_generate_deterministic_by_seed) {
  gs_generate_options g = gs_generate_options_default();
  g.nodes = 5000;
  g.edges = 20000;
  g.features = 8;
  g.classes = 5;
  g.seed = 42;
  gs_dataset *a = NULL, *b = NULL, *c = NULL;
  gs_error err;
  GS_ASSERT_OK(gs_dataset_generate(&a, &g, &err), err);
  GS_ASSERT_OK(gs_dataset_generate(&b, &g, &err), err);
  assert_same_dataset(a, b);
  g.seed = 43;
  GS_ASSERT_OK(gs_dataset_generate(&c, &g, &err), err);
  ck_assert_int_ne(memcmp(a->src, c->src, 20000 * 8), 0);
  ck_assert_int_ne(memcmp(a->x.dense, c->x.dense, 5000 * 8 * 4), 0);
  ck_assert_int_ne(memcmp(a->labels, c->labels, 5000 * 4), 0);
  gs_dataset_free(&a);
  gs_dataset_free(&b);
  gs_dataset_free(&c);
}
END_TEST

/* Accuracy of the nearest class mean (means over all nodes of a class) on the raw features
 * and on the features averaged over each node and its neighbours. */
static void nearest_mean_accuracy(const gs_dataset *ds, double *raw, double *agg) {
  const int64_t n = ds->num_nodes, F = ds->x.cols;
  const int C = ds->num_classes;
  double *mean = calloc((size_t)(C * F), sizeof *mean);
  int64_t *size = calloc((size_t)C, sizeof *size);
  double *h = calloc((size_t)(n * F), sizeof *h);
  int64_t *deg = calloc((size_t)n, sizeof *deg);
  for (int64_t i = 0; i < n; i++) {
    size[ds->labels[i]]++;
    for (int64_t f = 0; f < F; f++) {
      mean[ds->labels[i] * F + f] += ds->x.dense[i * F + f];
      h[i * F + f] = ds->x.dense[i * F + f];
    }
  }
  for (int c = 0; c < C; c++)
    for (int64_t f = 0; f < F; f++) mean[c * F + f] /= (double)(size[c] ? size[c] : 1);
  for (int64_t e = 0; e < ds->num_edge_lines; e++) {
    int64_t u = ds->src[e], v = ds->dst[e];
    deg[u]++;
    deg[v]++;
    for (int64_t f = 0; f < F; f++) {
      h[u * F + f] += ds->x.dense[v * F + f];
      h[v * F + f] += ds->x.dense[u * F + f];
    }
  }
  int64_t hits[2] = {0, 0};
  for (int pass = 0; pass < 2; pass++)
    for (int64_t i = 0; i < n; i++) {
      int best = 0;
      double best_d = INFINITY;
      for (int c = 0; c < C; c++) {
        double d = 0;
        for (int64_t f = 0; f < F; f++) {
          double x = pass == 0 ? ds->x.dense[i * F + f] : h[i * F + f] / (double)(deg[i] + 1);
          d += (x - mean[c * F + f]) * (x - mean[c * F + f]);
        }
        if (d < best_d) {
          best_d = d;
          best = c;
        }
      }
      hits[pass] += best == ds->labels[i];
    }
  *raw = (double)hits[0] / (double)n;
  *agg = (double)hits[1] / (double)n;
  free(mean);
  free(size);
  free(h);
  free(deg);
}

START_TEST(test_generate_shape_and_skew) {
  int64_t before = gs_mem_current();
  gs_generate_options g = gs_generate_options_default();
  g.nodes = 30000;
  g.edges = 200000;
  g.features = 16;
  g.classes = 10;
  gs_dataset *ds = NULL;
  gs_error err;
  GS_ASSERT_OK(gs_dataset_generate(&ds, &g, &err), err);
  ck_assert_int_eq(ds->num_nodes, 30000);
  ck_assert_int_eq(ds->num_edge_lines, 200000);
  ck_assert_int_eq(ds->x.kind, GS_FEATURES_DENSE);
  ck_assert_int_eq(ds->x.cols, 16);
  ck_assert_int_eq(ds->num_classes, 10);
  /* Distinct pairs, no self-loops; degrees skewed; mostly within a class. */
  uint64_t *keys = malloc(200000 * sizeof *keys);
  int64_t *deg = calloc(30000, sizeof *deg);
  int64_t same = 0, bad = 0;
  for (int64_t e = 0; e < 200000; e++) {
    int64_t u = ds->src[e], v = ds->dst[e];
    if (!(u >= 0 && u < 30000 && v >= 0 && v < 30000)) {
      bad++;
      continue;
    }
    bad += u == v;
    keys[e] = (uint64_t)(u < v ? u : v) * 30000u + (uint64_t)(u < v ? v : u);
    deg[u]++;
    deg[v]++;
    same += ds->labels[u] == ds->labels[v];
  }
  ck_assert_int_eq(bad, 0);
  qsort(keys, 200000, sizeof *keys, cmp_u64);
  int64_t repeated = 0;
  for (int64_t e = 1; e < 200000; e++) repeated += keys[e] == keys[e - 1];
  ck_assert_int_eq(repeated, 0);
  int64_t maxdeg = 0;
  for (int64_t i = 0; i < 30000; i++)
    if (deg[i] > maxdeg) maxdeg = deg[i];
  double mean = 2.0 * 200000 / 30000;
  ck_assert_msg(maxdeg > 20 * mean, "max degree %lld, mean %.1f", (long long)maxdeg, mean);
  ck_assert_msg(same > 0.75 * 200000, "same-class edges %lld", (long long)same);
  free(keys);
  free(deg);
  /* 20 / 30 per class, the rest test; every class has about 3000 nodes. */
  check_split(ds, "random-20-30", 200, 300, 30000 - 500);
  /* Something to learn: nearest class mean classifies nodes above chance from their own
   * features, and far better after one GCN-style mean over the node and its neighbours. */
  double acc_raw, acc_agg;
  nearest_mean_accuracy(ds, &acc_raw, &acc_agg);
  if (getenv("GS_SHOW_ERRORS"))
    printf("nearest mean: raw %.3f, aggregated %.3f\n", acc_raw, acc_agg);
  ck_assert_msg(acc_raw > 0.15 && acc_agg > acc_raw + 0.2, "raw %.3f, aggregated %.3f", acc_raw,
                acc_agg);
  gs_dataset_free(&ds);
  ck_assert_int_eq(gs_mem_current(), before);
}
END_TEST

/* The adjacency form (what `generate --format store` writes) holds the same edges as the edge
 * lines: each line u < v once, in both rows, rows ascending, and the degree statistics of a
 * built graph; same features, labels and split. */
START_TEST(test_generate_adjacency_matches_edge_lines) {
  const int64_t before = gs_mem_current();
  gs_generate_options g = gs_generate_options_default();
  g.nodes = 3000;
  g.edges = 20000;
  g.features = 6;
  g.classes = 4;
  gs_dataset *lines = NULL, *adj = NULL;
  gs_graph *built = NULL;
  gs_error err;
  GS_ASSERT_OK(gs_dataset_generate(&lines, &g, &err), err);
  g.adjacency = true;
  GS_ASSERT_OK(gs_dataset_generate(&adj, &g, &err), err);
  ck_assert_ptr_null(adj->src);
  ck_assert_int_eq(adj->adj_rowptr[3000], 40000);
  for (int64_t i = 0; i < 3000; i++)
    for (int64_t q = adj->adj_rowptr[i] + 1; q < adj->adj_rowptr[i + 1]; q++)
      ck_assert_uint_lt(adj->adj_col[q - 1], adj->adj_col[q]);
  for (int64_t e = 0; e < 20000; e++) {
    const int64_t u = lines->src[e], v = lines->dst[e];
    ck_assert_int_lt(u, v);
    int found = 0;
    for (int64_t q = adj->adj_rowptr[u]; q < adj->adj_rowptr[u + 1]; q++) found += adj->adj_col[q] == v;
    for (int64_t q = adj->adj_rowptr[v]; q < adj->adj_rowptr[v + 1]; q++) found += adj->adj_col[q] == u;
    ck_assert_int_eq(found, 2);
  }
  GS_ASSERT_OK(gs_dataset_graph_new(&built, lines, GS_NORM_NONE, &err), err);
  const gs_graph_stats a = gs_graph_stats_of(built), b = adj->store_stats;
  ck_assert_int_eq(a.symmetric_entries, b.symmetric_entries);
  ck_assert_int_eq(a.max_degree, b.max_degree);
  ck_assert_int_eq(a.median_degree, b.median_degree);
  ck_assert_int_eq(a.isolated_nodes, b.isolated_nodes);
  ck_assert_int_eq(b.edge_lines, 20000);
  ck_assert_mem_eq(lines->x.dense, adj->x.dense, 3000 * 6 * sizeof(float));
  ck_assert_mem_eq(lines->labels, adj->labels, 3000 * sizeof(int32_t));
  ck_assert_int_eq(lines->num_test, adj->num_test);
  gs_graph_free(&built);
  gs_dataset_free(&lines);
  gs_dataset_free(&adj);
  ck_assert_int_eq(gs_mem_current(), before);
}
END_TEST

START_TEST(test_generate_dense_request_uses_all_pairs) {
  gs_generate_options g = gs_generate_options_default();
  g.nodes = 10;
  g.edges = 45;
  g.features = 2;
  g.classes = 2;
  gs_dataset *ds = NULL;
  gs_error err;
  GS_ASSERT_OK(gs_dataset_generate(&ds, &g, &err), err);
  int seen[10][10] = {{0}};
  for (int64_t e = 0; e < 45; e++) {
    int64_t u = ds->src[e], v = ds->dst[e];
    ck_assert_int_ne(u, v);
    ck_assert_int_eq(seen[u][v] + seen[v][u], 0);
    seen[u][v] = 1;
  }
  gs_dataset_free(&ds);
}
END_TEST

START_TEST(test_generate_and_write_allocation_failures_leak_nothing) {
  gs_test_make_tmp();
  gs_generate_options g = gs_generate_options_default();
  g.nodes = 200;
  g.edges = 600;
  g.features = 4;
  g.classes = 4;
  int64_t before = gs_mem_current();
  bool generated = false, written = false;
  for (int64_t k = 0; k < 1000 && !(generated && written); k++) {
    gs_dataset *ds = NULL;
    gs_error err;
    gs_mem_fail_after(k);
    gs_status st = gs_dataset_generate(&ds, &g, &err);
    if (st == GS_OK) {
      generated = true;
      st = gs_dataset_write(ds, gs_test_path("w"), &err);
      written = st == GS_OK;
    }
    gs_mem_fail_after(-1);
    ck_assert_msg(st == GS_OK || st == GS_ERR_NOMEM, "allocation %lld: %s", (long long)k, err.msg);
    gs_dataset_free(&ds);
    ck_assert_int_eq(gs_mem_current(), before);
  }
  ck_assert(generated && written);
  /* The folder finally written reads back. */
  gs_dataset *back = load_ok(gs_test_path("w"), NULL);
  ck_assert_int_eq(back->num_edge_lines, 600);
  gs_dataset_free(&back);
  gs_test_clean_tmp();
}
END_TEST

START_TEST(test_generate_rejects_bad_options) {
  gs_dataset *ds = NULL;
  gs_error err;
  gs_generate_options g = gs_generate_options_default();
  g.nodes = 0;
  ck_assert_int_eq(gs_dataset_generate(&ds, &g, &err), GS_ERR_INVALID);
  g = gs_generate_options_default();
  g.nodes = 10;
  g.edges = 46;
  ck_assert_int_eq(gs_dataset_generate(&ds, &g, &err), GS_ERR_RANGE);
  g = gs_generate_options_default();
  g.nodes = 5;
  g.edges = 3;
  g.classes = 6;
  ck_assert_int_eq(gs_dataset_generate(&ds, &g, &err), GS_ERR_RANGE);
  g = gs_generate_options_default();
  g.p_in = 1.5;
  ck_assert_int_eq(gs_dataset_generate(&ds, &g, &err), GS_ERR_INVALID);
  g = gs_generate_options_default();
  g.nodes = (int64_t)1 << 40;
  ck_assert_int_eq(gs_dataset_generate(&ds, &g, &err), GS_ERR_RANGE);
  g = gs_generate_options_default();
  g.nodes = 100000000;
  g.features = 1000;
  ck_assert_int_eq(gs_dataset_generate(&ds, &g, &err), GS_ERR_RANGE);
  g = gs_generate_options_default();
  g.degree_exponent = 1.5;
  ck_assert_int_eq(gs_dataset_generate(&ds, &g, &err), GS_ERR_INVALID);
  ck_assert_ptr_null(ds);
}
END_TEST

/* ------------------------------------------------------------------ edge lists */

static gs_status load_edgelist_text(const char *name, const char *text, bool gz, gs_dataset **ds,
                                    gs_error *err) {
  if (gz)
    gs_test_write_gz(name, text);
  else
    gs_test_write_plain(name, text);
  return gs_dataset_load_edgelist(ds, gs_test_path(name), err);
}

START_TEST(test_mtx_pattern_symmetric) {
  gs_test_make_tmp();
  gs_dataset *ds = NULL;
  gs_error err;
  gs_status st = load_edgelist_text("g.mtx",
                                    "%%MatrixMarket matrix coordinate pattern symmetric\n"
                                    "% a comment\n%\n4 4 3\n2 1\n3 1\n4  3\n",
                                    false, &ds, &err);
  GS_ASSERT_OK(st, err);
  ck_assert_str_eq(ds->name, "g");
  ck_assert_int_eq(ds->num_nodes, 4);
  ck_assert_int_eq(ds->num_edge_lines, 3);
  ck_assert_int_eq(ds->src[0], 1);
  ck_assert_int_eq(ds->dst[0], 0);
  ck_assert_int_eq(ds->src[2], 3);
  ck_assert_int_eq(ds->dst[2], 2);
  ck_assert_int_eq(ds->x.kind, GS_FEATURES_NONE);
  ck_assert_ptr_null(ds->labels);
  gs_dataset_free(&ds);
  st = load_edgelist_text(
      "w.mtx.gz", "%%MatrixMarket matrix coordinate real general\n3 3 2\n1 2 0.5\n3 3 -1e3\n", true,
      &ds, &err);
  GS_ASSERT_OK(st, err);
  ck_assert_str_eq(ds->name, "w");
  ck_assert_int_eq(ds->num_edge_lines, 2);
  ck_assert_int_eq(ds->src[1], 2);
  gs_dataset_free(&ds);
  st = load_edgelist_text("i.mtx",
                          "%%MatrixMarket matrix coordinate integer general\n2 2 1\n1 2 -7\n",
                          false, &ds, &err);
  GS_ASSERT_OK(st, err);
  gs_dataset_free(&ds);
  gs_test_clean_tmp();
}
END_TEST

static void expect_edgelist_failure(const char *name, const char *text, gs_status code,
                                    const char *needle) {
  int64_t before = gs_mem_current();
  gs_dataset *ds = NULL;
  gs_error err;
  gs_status st = load_edgelist_text(name, text, false, &ds, &err);
  ck_assert_msg(st == code, "%s: expected %s, got %s: %s", name, gs_status_name(code),
                gs_status_name(st), err.msg);
  ck_assert_ptr_null(ds);
  if (getenv("GS_SHOW_ERRORS")) printf("%s\n", err.msg);
  ck_assert_msg(strstr(err.msg, name), "'%s' not in '%s'", name, err.msg);
  if (needle) ck_assert_msg(strstr(err.msg, needle), "'%s' not in '%s'", needle, err.msg);
  ck_assert_int_eq(gs_mem_current(), before);
}

START_TEST(test_mtx_errors) {
  gs_test_make_tmp();
  const char *hdr = "%%MatrixMarket matrix coordinate pattern general\n";
  char buf[512];
  expect_edgelist_failure("a.mtx", "hello\n", GS_ERR_PARSE, "a.mtx:1:");
  expect_edgelist_failure("b.mtx", "%%MatrixMarket matrix array real general\n2 2\n", GS_ERR_PARSE,
                          ":1:");
  expect_edgelist_failure("c.mtx", "%%MatrixMarket matrix coordinate complex general\n",
                          GS_ERR_PARSE, ":1:");
  expect_edgelist_failure("d.mtx", "%%MatrixMarket matrix coordinate real skew-symmetric\n",
                          GS_ERR_PARSE, ":1:");
  snprintf(buf, sizeof buf, "%s3 4 1\n1 2\n", hdr);
  expect_edgelist_failure("e.mtx", buf, GS_ERR_INVALID, "e.mtx:2:");
  snprintf(buf, sizeof buf, "%s3 3 2\n1 2\n4 1\n", hdr);
  expect_edgelist_failure("f.mtx", buf, GS_ERR_RANGE, "f.mtx:4:");
  snprintf(buf, sizeof buf, "%s3 3 2\n1 2\n0 1\n", hdr);
  expect_edgelist_failure("g.mtx", buf, GS_ERR_RANGE, "g.mtx:4:");
  snprintf(buf, sizeof buf, "%s3 3 1\n1 2\n2 3\n", hdr);
  expect_edgelist_failure("h.mtx", buf, GS_ERR_MISMATCH, "h.mtx:4:");
  snprintf(buf, sizeof buf, "%s3 3 3\n1 2\n2 3\n", hdr);
  expect_edgelist_failure("i.mtx", buf, GS_ERR_MISMATCH, "i.mtx:4:");
  snprintf(buf, sizeof buf, "%s3 3 1\n1 2 5\n", hdr);
  expect_edgelist_failure("j.mtx", buf, GS_ERR_PARSE, "j.mtx:3:");
  expect_edgelist_failure("k.mtx",
                          "%%MatrixMarket matrix coordinate real general\n3 3 1\n1 2 nan\n",
                          GS_ERR_NUMERIC, "k.mtx:3:");
  snprintf(buf, sizeof buf, "%s3 3\n", hdr);
  expect_edgelist_failure("l.mtx", buf, GS_ERR_PARSE, "l.mtx:2:");
  snprintf(buf, sizeof buf, "%s3 3 1\n1 b\n", hdr);
  expect_edgelist_failure("m.mtx", buf, GS_ERR_PARSE, "m.mtx:3:");
  gs_test_clean_tmp();
}
END_TEST

START_TEST(test_snap_edge_list) {
  gs_test_make_tmp();
  gs_dataset *ds = NULL;
  gs_error err;
  gs_status st = load_edgelist_text(
      "web.txt", "# Directed graph\n# FromNodeId\tToNodeId\n0 1\n1\t2\n\n5 0\n", false, &ds, &err);
  GS_ASSERT_OK(st, err);
  ck_assert_str_eq(ds->name, "web");
  ck_assert_int_eq(ds->num_nodes, 6);
  ck_assert_int_eq(ds->num_edge_lines, 3);
  ck_assert_int_eq(ds->src[2], 5);
  ck_assert_int_eq(ds->dst[2], 0);
  gs_dataset_free(&ds);
  st = load_edgelist_text("z.txt.gz", "3 4\n4 3", true, &ds, &err);
  GS_ASSERT_OK(st, err);
  ck_assert_int_eq(ds->num_nodes, 5);
  ck_assert_int_eq(ds->num_edge_lines, 2);
  gs_dataset_free(&ds);
  expect_edgelist_failure("s1.txt", "# c\n0 1\n1 2 3\n", GS_ERR_PARSE, "s1.txt:3:");
  expect_edgelist_failure("s2.txt", "0 1\nx 2\n", GS_ERR_PARSE, "s2.txt:2:");
  expect_edgelist_failure("s3.txt", "# only comments\n", GS_ERR_PARSE, "no edges");
  expect_edgelist_failure("s4.txt", "0 1\n-1 2\n", GS_ERR_PARSE, "s4.txt:2:");
  expect_edgelist_failure("s5.txt", "0 1\n1 99999999999\n", GS_ERR_RANGE, "s5.txt:2:");
  expect_edgelist_failure("s6.txt", "0 1\r\n", GS_ERR_PARSE, "s6.txt:1:");
  gs_dataset *none = NULL;
  ck_assert_int_eq(gs_dataset_load_edgelist(&none, gs_test_path("missing.txt"), &err), GS_ERR_IO);
  gs_test_clean_tmp();
}
END_TEST

Suite *gs_dataset_suite(void) {
  Suite *s = suite_create("dataset");
  TCase *num = tcase_create("numbers");
  tcase_set_timeout(num, 60);
  tcase_add_test(num, test_parse_float_matches_strtof);
  suite_add_tcase(s, num);

  TCase *real = tcase_create("real");
  tcase_set_timeout(real, 120);
  tcase_add_test(real, test_load_cora_counts_and_values);
  tcase_add_test(real, test_load_citeseer_unlabelled_nodes);
  tcase_add_test(real, test_load_amazon_photo_dense);
  tcase_add_test(real, test_load_coauthor_cs_counts);
  tcase_add_test(real, test_load_facebook_counts);
  tcase_add_test(real, test_load_cora_forced_dense_matches_sparse);
  tcase_add_test(real, test_load_without_features);
  suite_add_tcase(s, real);

  TCase *tr = tcase_create("transforms");
  tcase_set_timeout(tr, 60);
  tcase_add_test(tr, test_row_normalize_rows_sum_to_one);
  tcase_add_test(tr, test_l2_normalize_rows_have_unit_norm);
  tcase_add_test(tr, test_featprep_auto_rule);
  tcase_add_test(tr, test_binarize_dense_and_sparse);
  tcase_add_test(tr, test_columns_select_and_reorder);
  tcase_add_test(tr, test_columns_on_cora_match_full_load);
  tcase_add_test(tr, test_columns_invalid_rejected);
  suite_add_tcase(s, tr);

  TCase *bad = tcase_create("malformed");
  tcase_set_timeout(bad, 60);
  tcase_add_test(bad, test_tiny_loads_with_and_without_meta);
  tcase_add_test(bad, test_load_missing_file_is_io);
  tcase_add_test(bad, test_load_truncated_gzip_is_io);
  tcase_add_test(bad, test_load_empty_file_is_parse);
  tcase_add_test(bad, test_load_wrong_field_count_is_parse);
  tcase_add_test(bad, test_load_non_numeric_is_parse);
  tcase_add_test(bad, test_load_node_id_out_of_range);
  tcase_add_test(bad, test_load_count_mismatch);
  tcase_add_test(bad, test_load_nonfinite_feature_is_numeric);
  tcase_add_test(bad, test_load_label_out_of_range);
  tcase_add_test(bad, test_load_split_duplicate_is_invalid);
  tcase_add_test(bad, test_load_split_out_of_range);
  tcase_add_test(bad, test_load_split_unlabelled_is_invalid);
  tcase_add_test(bad, test_load_absurd_size_is_range);
  tcase_add_test(bad, test_load_integer_overflow_is_range);
  tcase_add_test(bad, test_load_carriage_return_is_parse);
  tcase_add_test(bad, test_load_missing_final_newline_accepted);
  tcase_add_test(bad, test_load_split_selection);
  tcase_add_test(bad, test_load_sparse_feature_file);
  tcase_add_test(bad, test_load_allocation_failures_leak_nothing);
  tcase_add_test(bad, test_load_leaks_nothing_on_success_and_failure);
  suite_add_tcase(s, bad);

  TCase *wr = tcase_create("write");
  tcase_set_timeout(wr, 120);
  tcase_add_test(wr, test_write_round_trip_cora);
  tcase_add_test(wr, test_write_round_trip_real_values_exact);
  tcase_add_test(wr, test_write_output_independent_of_threads);
  tcase_add_test(wr, test_write_bad_folder_is_io);
  suite_add_tcase(s, wr);

  TCase *gen = tcase_create("generate");
  tcase_set_timeout(gen, 120);
  tcase_add_test(gen, test_generate_deterministic_by_seed);
  tcase_add_test(gen, test_generate_shape_and_skew);
  tcase_add_test(gen, test_generate_adjacency_matches_edge_lines);
  tcase_add_test(gen, test_generate_dense_request_uses_all_pairs);
  tcase_add_test(gen, test_generate_and_write_allocation_failures_leak_nothing);
  tcase_add_test(gen, test_generate_rejects_bad_options);
  suite_add_tcase(s, gen);

  TCase *el = tcase_create("edgelist");
  tcase_add_test(el, test_mtx_pattern_symmetric);
  tcase_add_test(el, test_mtx_errors);
  tcase_add_test(el, test_snap_edge_list);
  suite_add_tcase(s, el);
  return s;
}
