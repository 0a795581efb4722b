/* Tests of datasets/colrank: columns kept at r against exact integer arithmetic; known
 * rankings of a hand-made dataset and, on cora and coauthor-cs, the top column against a plain
 * loop; the cache (hit, malformed, stale, unwritable, default folder); loading at r (supersets,
 * equality with the restricted full matrix, nnz = the prefix sum); every error status; no
 * leak when any allocation fails. Scratch files live in a mkdtemp folder. */
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
#include "core/status.h"
#include "datasets/colrank.h"
#include "datasets/dataset.h"
#include "tests/test_files.h"
#include "tests/test_helpers.h"

Suite *gs_colrank_suite(void);

/* Two variances closer than this (relative) count as tied when the test recomputes them with
 * a different formula (two passes instead of the library's sums). */
#define VARIANCE_TIE_REL 1e-12

/* ------------------------------------------------------------------ helpers */

static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  ck_assert_ptr_nonnull(f);
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  rewind(f);
  char *buf = malloc((size_t)size + 1);
  ck_assert_int_eq(fread(buf, 1, (size_t)size, f), (size_t)size);
  buf[size] = '\0';
  fclose(f);
  *len = (size_t)size;
  return buf;
}

static bool file_exists(const char *path) {
  struct stat sb;
  return stat(path, &sb) == 0;
}

/* A dataset folder "tiny" under gs_test_tmp_root: 4 nodes, 6 features with known statistics.
 *   df:       1 1 1 1 1 2               -> DF order 5,0,1,2,3,4
 *   variance: .1875 .1875 .01171875 1.6875 1.171875 .171875 -> 3,4,0,1,5,2 */
static const char *TINY_FEATS =
    "0,1,0,0,2.5,0\n"
    "0,0,0,3,0,0\n"
    "1,0,0.25,0,0,1\n"
    "0,0,0,0,0,0.5\n";
static const char *TINY_SPARSE =
    "0,1,1\n0,4,2.5\n1,3,3\n2,0,1\n2,2,0.25\n2,5,1\n3,5,0.5\n";

static const char *make_tiny(bool sparse_file) {
  gs_test_make_tmp();
  gs_test_mkdir("tiny");
  gs_test_mkdir("tiny/raw");
  gs_test_write_plain("tiny/raw/num-node-list.csv", "4\n");
  gs_test_write_plain("tiny/raw/num-edge-list.csv", "4\n");
  gs_test_write_gz("tiny/raw/edge.csv.gz", "0,1\n1,2\n2,3\n3,0\n");
  if (sparse_file)
    gs_test_write_gz("tiny/raw/node-feat-sparse.csv.gz", TINY_SPARSE);
  else
    gs_test_write_gz("tiny/raw/node-feat.csv.gz", TINY_FEATS);
  gs_test_write_gz("tiny/raw/node-label.csv.gz", "0\n1\n2\n1\n");
  gs_test_write_plain("tiny/META.txt", "name: tiny\nnodes: 4\nnum_features: 6\nnum_classes: 3\n");
  gs_test_mkdir("cache");
  static char dir[4096];
  snprintf(dir, sizeof dir, "%s", gs_test_path("tiny"));
  return dir;
}

static gs_dataset *load_ok(const char *dir, const gs_dataset_options *o) {
  gs_dataset *ds = NULL;
  gs_error err;
  gs_status st = gs_dataset_load(&ds, dir, o, &err);
  GS_ASSERT_OK(st, err);
  return ds;
}

static gs_colrank rank_ok(const char *dir, gs_colrank_method m, const char *cache) {
  gs_colrank r;
  memset(&r, 0, sizeof r);
  gs_error err;
  gs_status st = gs_colrank_load_or_compute(&r, dir, m, cache, &err);
  GS_ASSERT_OK(st, err);
  return r;
}

static gs_colrank compute_ok(const gs_dataset *ds, gs_colrank_method m) {
  gs_colrank r;
  memset(&r, 0, sizeof r);
  gs_error err;
  gs_status st = gs_colrank_compute(&r, ds, m, &err);
  GS_ASSERT_OK(st, err);
  return r;
}

/* Bitwise equality of two rankings (cache fields aside). */
static void assert_same_ranking(const gs_colrank *a, const gs_colrank *b) {
  ck_assert_int_eq(a->method, b->method);
  ck_assert_int_eq(a->f0, b->f0);
  ck_assert_int_eq(a->num_nodes, b->num_nodes);
  ck_assert_int_eq(memcmp(a->order, b->order, (size_t)a->f0 * sizeof(int64_t)), 0);
  ck_assert_int_eq(memcmp(a->nnz_prefix, b->nnz_prefix, (size_t)(a->f0 + 1) * sizeof(int64_t)),
                   0);
  ck_assert_int_eq(memcmp(a->score, b->score, (size_t)a->f0 * sizeof(double)), 0);
}

/* Structural checks every ranking must pass. */
static void check_ranking(const gs_colrank *r, const gs_dataset *full) {
  const int64_t f0 = r->f0;
  char *seen = calloc((size_t)f0, 1);
  int64_t *col_nnz = calloc((size_t)f0, sizeof(int64_t));
  const gs_features *x = &full->x;
  for (int64_t i = 0; i < x->rows; i++) {
    if (x->kind == GS_FEATURES_SPARSE) {
      for (int64_t k = x->sparse.rowptr[i]; k < x->sparse.rowptr[i + 1]; k++)
        col_nnz[x->sparse.col[k]]++;
    } else {
      for (int64_t c = 0; c < x->cols; c++) col_nnz[c] += x->dense[i * x->cols + c] != 0.0f;
    }
  }
  int64_t bad = 0;
  ck_assert_int_eq(r->nnz_prefix[0], 0);
  for (int64_t k = 0; k < f0; k++) {
    const int64_t c = r->order[k];
    if (c < 0 || c >= f0 || seen[c]) {
      bad++;
      continue;
    }
    seen[c] = 1;
    bad += r->nnz_prefix[k + 1] - r->nnz_prefix[k] != col_nnz[c];
    if (k > 0 && r->method != GS_COLRANK_INDEX)
      bad += r->score[k] > r->score[k - 1] ||
             (r->score[k] == r->score[k - 1] && c < r->order[k - 1]);
  }
  ck_assert_int_eq(bad, 0);
  ck_assert_int_eq(r->nnz_prefix[f0], x->nnz);
  free(seen);
  free(col_nnz);
}

/* Feature (i, c) whatever the storage. */
static float feat(const gs_dataset *ds, int64_t i, int64_t c) {
  const gs_features *x = &ds->x;
  if (x->kind == GS_FEATURES_DENSE) return x->dense[i * x->cols + c];
  for (int64_t k = x->sparse.rowptr[i]; k < x->sparse.rowptr[i + 1]; k++)
    if (x->sparse.col[k] == c) return x->sparse.val[k];
  return 0.0f;
}

static uint64_t fnv1a64(const char *p, size_t n) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < n; i++) {
    h ^= (unsigned char)p[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

/* Writes `body` (header and rank lines) to path with a correct "end" checksum line. */
static void write_cache_with_checksum(const char *path, const char *body) {
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  fputs(body, f);
  fprintf(f, "end %016llx\n", (unsigned long long)fnv1a64(body, strlen(body)));
  fclose(f);
}

/* ------------------------------------------------------------------ columns_for */

START_TEST(test_columns_for_matches_exact_ceiling) {
  int64_t bad = 0;
  for (int64_t f0 = 1; f0 <= 3000; f0++)
    for (int64_t p = 1; p <= 100; p++) {
      /* r = p/100 as a decimal: the exact answer is ceil(p·f0/100) in integers. */
      int64_t want = (p * f0 + 99) / 100;
      if (want < 1) want = 1;
      bad += gs_colrank_columns_for((double)p / 100.0, f0) != want;
    }
  ck_assert_int_eq(bad, 0);
  ck_assert_int_eq(gs_colrank_columns_for(0.5, 1433), 717);
  ck_assert_int_eq(gs_colrank_columns_for(0.1, 30), 3);
  ck_assert_int_eq(gs_colrank_columns_for(0.25, 6805), 1702);
  ck_assert_int_eq(gs_colrank_columns_for(1.0, 6805), 6805);
  ck_assert_int_eq(gs_colrank_columns_for(1e-9, 6805), 1);
  ck_assert_int_eq(gs_colrank_columns_for(0.0, 10), 1);
  ck_assert_int_eq(gs_colrank_columns_for(-1.0, 10), 1);
  ck_assert_int_eq(gs_colrank_columns_for(NAN, 10), 1);
  ck_assert_int_eq(gs_colrank_columns_for(2.0, 10), 10);
  ck_assert_int_eq(gs_colrank_columns_for(0.5, 0), 0);
  /* Monotone in r, so r' > r never keeps fewer columns. */
  int64_t prev = 0, drops = 0;
  for (int k = 1; k <= 1000; k++) {
    int64_t f = gs_colrank_columns_for(k / 1000.0, 1433);
    drops += f < prev;
    prev = f;
  }
  ck_assert_int_eq(drops, 0);
}
END_TEST

START_TEST(test_method_names_round_trip) {
  const gs_colrank_method all[3] = {GS_COLRANK_DF, GS_COLRANK_VARIANCE, GS_COLRANK_INDEX};
  for (int k = 0; k < 3; k++) {
    gs_colrank_method m;
    gs_error err;
    gs_status st = gs_colrank_method_parse(&m, gs_colrank_method_name(all[k]), &err);
    GS_ASSERT_OK(st, err);
    ck_assert_int_eq(m, all[k]);
  }
  ck_assert_str_eq(gs_colrank_method_name(GS_COLRANK_DF), "df");
  ck_assert_str_eq(gs_colrank_method_name((gs_colrank_method)7), "?");
  gs_colrank_method m = GS_COLRANK_INDEX;
  gs_error err;
  ck_assert_int_eq(gs_colrank_method_parse(&m, "tfidf", &err), GS_ERR_INVALID);
  ck_assert_ptr_nonnull(strstr(err.msg, "tfidf"));
  ck_assert_int_eq(m, GS_COLRANK_INDEX);
  ck_assert_int_eq(gs_colrank_method_parse(&m, NULL, &err), GS_ERR_INVALID);
}
END_TEST

/* ------------------------------------------------------------------ known answers */

START_TEST(test_tiny_known_rankings) {
  for (int sparse_file = 0; sparse_file < 2; sparse_file++) {
    const char *dir = make_tiny(sparse_file == 1);
    int64_t before = gs_mem_current();
    gs_dataset *ds = load_ok(dir, NULL);
    const int64_t df_order[6] = {5, 0, 1, 2, 3, 4};
    const int64_t df_prefix[7] = {0, 2, 3, 4, 5, 6, 7};
    const int64_t var_order[6] = {3, 4, 0, 1, 5, 2};
    const double var_score[6] = {1.6875, 1.171875, 0.1875, 0.1875, 0.171875, 0.01171875};
    const int64_t var_prefix[7] = {0, 1, 2, 3, 4, 6, 7};
    for (int from_file = 0; from_file < 2; from_file++) {
      gs_colrank df = from_file ? rank_ok(dir, GS_COLRANK_DF, "") : compute_ok(ds, GS_COLRANK_DF);
      gs_colrank var = from_file ? rank_ok(dir, GS_COLRANK_VARIANCE, "")
                                 : compute_ok(ds, GS_COLRANK_VARIANCE);
      gs_colrank idx =
          from_file ? rank_ok(dir, GS_COLRANK_INDEX, "") : compute_ok(ds, GS_COLRANK_INDEX);
      ck_assert_int_eq(df.f0, 6);
      ck_assert_int_eq(df.num_nodes, 4);
      for (int k = 0; k < 6; k++) {
        ck_assert_int_eq(df.order[k], df_order[k]);
        ck_assert_int_eq(var.order[k], var_order[k]);
        ck_assert_double_eq(var.score[k], var_score[k]);
        ck_assert_int_eq(idx.order[k], k);
      }
      for (int k = 0; k < 7; k++) {
        ck_assert_int_eq(df.nnz_prefix[k], df_prefix[k]);
        ck_assert_int_eq(var.nnz_prefix[k], var_prefix[k]);
      }
      ck_assert_int_eq(idx.nnz_prefix[6], 7);
      ck_assert_int_eq(df.cache_state, GS_COLRANK_CACHE_NONE);
      ck_assert(!df.cache_written);
      ck_assert_str_eq(df.cache_path, "");
      gs_colrank_free(&df);
      gs_colrank_free(&var);
      gs_colrank_free(&idx);
      ck_assert_ptr_null(df.order);
    }
    gs_dataset_free(&ds);
    ck_assert_int_eq(gs_mem_current(), before);
    gs_test_clean_tmp();
  }
  gs_colrank_free(NULL);
}
END_TEST

/* The top column of each method on a real dataset, recomputed here with a plain loop over
 * the loaded matrix (two-pass variance, not the library's sums) and compared with the
 * expected ids. */
static void check_top_columns(const char *name, int64_t expect_df_top, int64_t expect_var_top) {
  int64_t before = gs_mem_current();
  gs_dataset *full = load_ok(gs_test_data(name), NULL);
  const gs_features *x = &full->x;
  const int64_t n = full->num_nodes, f0 = x->cols;
  ck_assert_int_eq(x->kind, GS_FEATURES_SPARSE);
  int64_t *cnt = calloc((size_t)f0, sizeof *cnt);
  double *sum = calloc((size_t)f0, sizeof *sum), *dev = calloc((size_t)f0, sizeof *dev);
  for (int64_t k = 0; k < x->sparse.nnz; k++) {
    cnt[x->sparse.col[k]]++;
    sum[x->sparse.col[k]] += x->sparse.val[k];
  }
  for (int64_t k = 0; k < x->sparse.nnz; k++) {
    const double d = x->sparse.val[k] - sum[x->sparse.col[k]] / (double)n;
    dev[x->sparse.col[k]] += d * d;
  }
  int64_t df_top = 0, var_top = 0;
  double var_max = -1;
  for (int64_t c = 0; c < f0; c++) {
    const double mean = sum[c] / (double)n;
    const double var = (dev[c] + (double)(n - cnt[c]) * mean * mean) / (double)n;
    if (cnt[c] > cnt[df_top]) df_top = c;
    if (var > var_max * (1 + VARIANCE_TIE_REL)) {
      var_max = var;
      var_top = c;
    }
  }
  ck_assert_int_eq(df_top, expect_df_top);
  ck_assert_int_eq(var_top, expect_var_top);
  gs_colrank df = compute_ok(full, GS_COLRANK_DF);
  gs_colrank var = compute_ok(full, GS_COLRANK_VARIANCE);
  gs_colrank idx = compute_ok(full, GS_COLRANK_INDEX);
  ck_assert_int_eq(df.order[0], df_top);
  ck_assert_int_eq(df.nnz_prefix[1], cnt[df_top]);
  ck_assert_int_eq(var.order[0], var_top);
  ck_assert_double_le(fabs(var.score[0] - var_max), VARIANCE_TIE_REL * var_max);
  ck_assert_int_eq(idx.order[0], 0);
  check_ranking(&df, full);
  check_ranking(&var, full);
  check_ranking(&idx, full);
  /* Streaming the file gives the same bits as ranking the loaded matrix. */
  gs_colrank df2 = rank_ok(gs_test_data(name), GS_COLRANK_DF, "");
  gs_colrank var2 = rank_ok(gs_test_data(name), GS_COLRANK_VARIANCE, "");
  assert_same_ranking(&df, &df2);
  assert_same_ranking(&var, &var2);
  gs_colrank_free(&df);
  gs_colrank_free(&var);
  gs_colrank_free(&idx);
  gs_colrank_free(&df2);
  gs_colrank_free(&var2);
  free(cnt);
  free(sum);
  free(dev);
  gs_dataset_free(&full);
  ck_assert_int_eq(gs_mem_current(), before);
}

START_TEST(test_cora_top_column_each_method) {
  /* Cora is binary with every df below n/2, so variance p(1-p) agrees with df: 1177 both. */
  check_top_columns("cora", 1177, 1177);
}
END_TEST

START_TEST(test_coauthor_top_column_each_method) {
  /* Keyword counts: variance and df disagree (2926 is in 5166 rows; 3858 has variance
   * 11.19). Both also found by a Python loop over node-feat.csv.gz. */
  check_top_columns("coauthor-cs", 2926, 3858);
}
END_TEST

/* ------------------------------------------------------------------ cache */

START_TEST(test_cache_hit_identical_to_recompute) {
  gs_test_make_tmp();
  char cache[4096];
  snprintf(cache, sizeof cache, "%s", gs_test_path("c"));
  const gs_colrank_method all[3] = {GS_COLRANK_DF, GS_COLRANK_VARIANCE, GS_COLRANK_INDEX};
  for (int k = 0; k < 3; k++) {
    int64_t before = gs_mem_current();
    gs_colrank first = rank_ok(gs_test_data("cora"), all[k], cache);
    ck_assert_int_eq(first.cache_state, GS_COLRANK_CACHE_NONE);
    ck_assert(first.cache_written);
    char want[4300];
    snprintf(want, sizeof want, "%s/cora.%s.colrank", cache, gs_colrank_method_name(all[k]));
    ck_assert_str_eq(first.cache_path, want);
    ck_assert(file_exists(want));
    gs_colrank again = rank_ok(gs_test_data("cora"), all[k], cache);
    ck_assert_int_eq(again.cache_state, GS_COLRANK_CACHE_HIT);
    ck_assert(!again.cache_written);
    assert_same_ranking(&first, &again);
    gs_colrank fresh = rank_ok(gs_test_data("cora"), all[k], "");
    assert_same_ranking(&fresh, &again);
    /* A trailing slash names the same dataset. */
    char slash[4200];
    snprintf(slash, sizeof slash, "%s/", gs_test_data("cora"));
    gs_colrank third = rank_ok(slash, all[k], cache);
    ck_assert_int_eq(third.cache_state, GS_COLRANK_CACHE_HIT);
    /* So does "." from inside the folder (its real name is used). */
    char cwd[4096];
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    ck_assert_int_eq(chdir(gs_test_data("cora")), 0);
    gs_colrank dot = rank_ok(".", all[k], cache);
    ck_assert_int_eq(chdir(cwd), 0);
    ck_assert_int_eq(dot.cache_state, GS_COLRANK_CACHE_HIT);
    ck_assert_str_eq(dot.cache_path, want);
    gs_colrank_free(&dot);
    gs_colrank_free(&first);
    gs_colrank_free(&again);
    gs_colrank_free(&fresh);
    gs_colrank_free(&third);
    ck_assert_int_eq(gs_mem_current(), before);
  }
  gs_test_clean_tmp();
}
END_TEST

/* Damages the cache file in several ways: each is reported as malformed, recomputed to the
 * same ranking and rewritten, after which the next call hits. */
START_TEST(test_cache_malformed_is_recomputed) {
  const char *dir = make_tiny(false);
  char cache[4096];
  snprintf(cache, sizeof cache, "%s", gs_test_path("cache"));
  gs_colrank good = rank_ok(dir, GS_COLRANK_VARIANCE, cache);
  char path[4200];
  snprintf(path, sizeof path, "%s", good.cache_path);
  size_t len;
  char *text = read_file(path, &len);
  const char *body_start = strchr(text, '\n') + 1;
  const size_t header_len = (size_t)(body_start - text);
  char header[1024];
  memcpy(header, text, header_len);
  header[header_len] = '\0';
  char buf[4096];
  const char *damaged[] = {
      "garbage\n",
      "",
      NULL, /* truncated: filled below */
      NULL, /* one digit changed, checksum not updated */
      NULL, /* valid checksum, a column repeated */
      NULL, /* valid checksum, scores out of order */
      NULL, /* valid checksum, f0 disagrees with the lines */
      NULL, /* valid checksum, a count above the node count */
  };
  const size_t ndamaged = sizeof damaged / sizeof *damaged;
  for (size_t d = 0; d < ndamaged; d++) {
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    switch (d) {
      case 0:
      case 1:
        fputs(damaged[d], f);
        break;
      case 2:
        fwrite(text, 1, len - 10, f);
        break;
      case 3: {
        memcpy(buf, text, len);
        buf[header_len] = buf[header_len] == '3' ? '4' : '3';
        fwrite(buf, 1, len, f);
        break;
      }
      default:
        break;
    }
    fclose(f);
    if (d == 4) {
      snprintf(buf, sizeof buf, "%s3,1,1.6875\n3,1,1.171875\n0,1,0.1875\n1,1,0.1875\n5,2,0.171875\n"
               "2,1,0.01171875\n", header);
      write_cache_with_checksum(path, buf);
    } else if (d == 5) {
      snprintf(buf, sizeof buf, "%s4,1,1.171875\n3,1,1.6875\n0,1,0.1875\n1,1,0.1875\n5,2,0.171875\n"
               "2,1,0.01171875\n", header);
      write_cache_with_checksum(path, buf);
    } else if (d == 6) {
      snprintf(buf, sizeof buf, "%s3,1,1.6875\n4,1,1.171875\n", header);
      write_cache_with_checksum(path, buf);
    } else if (d == 7) {
      snprintf(buf, sizeof buf, "%s3,9,1.6875\n4,1,1.171875\n0,1,0.1875\n1,1,0.1875\n5,2,0.171875\n"
               "2,1,0.01171875\n", header);
      write_cache_with_checksum(path, buf);
    }
    int64_t before = gs_mem_current();
    gs_colrank r = rank_ok(dir, GS_COLRANK_VARIANCE, cache);
    ck_assert_msg(r.cache_state == GS_COLRANK_CACHE_MALFORMED, "damage %zu: state %d", d,
                  (int)r.cache_state);
    ck_assert(r.cache_written);
    assert_same_ranking(&good, &r);
    gs_colrank_free(&r);
    r = rank_ok(dir, GS_COLRANK_VARIANCE, cache);
    ck_assert_int_eq(r.cache_state, GS_COLRANK_CACHE_HIT);
    assert_same_ranking(&good, &r);
    gs_colrank_free(&r);
    ck_assert_int_eq(gs_mem_current(), before);
  }
  /* The undamaged text with a correct checksum written by the test itself is accepted, so
   * the checks above failed for the damage and not for the test's checksum. */
  text[len - 21] = '\0'; /* drop "end <16 hex>\n" */
  write_cache_with_checksum(path, text);
  gs_colrank r = rank_ok(dir, GS_COLRANK_VARIANCE, cache);
  ck_assert_int_eq(r.cache_state, GS_COLRANK_CACHE_HIT);
  gs_colrank_free(&r);
  free(text);
  gs_colrank_free(&good);
  gs_test_clean_tmp();
}
END_TEST

/* A cache made for other data (the feature file changed, another format version) is stale. */
START_TEST(test_cache_stale_is_recomputed) {
  const char *dir = make_tiny(false);
  char cache[4096];
  snprintf(cache, sizeof cache, "%s", gs_test_path("cache"));
  gs_colrank r = rank_ok(dir, GS_COLRANK_DF, cache);
  ck_assert_int_eq(r.order[0], 5);
  gs_colrank_free(&r);
  /* Column 1 now has three non-zeros. */
  gs_test_write_gz("tiny/raw/node-feat.csv.gz",
           "0,1,0,0,2.5,0\n0,7,0,3,0,0\n1,1,0.25,0,0,1\n0,0,0,0,0,0.5\n");
  r = rank_ok(dir, GS_COLRANK_DF, cache);
  ck_assert_int_eq(r.cache_state, GS_COLRANK_CACHE_STALE);
  ck_assert(r.cache_written);
  ck_assert_int_eq(r.order[0], 1);
  ck_assert_int_eq(r.nnz_prefix[1], 3);
  char path[4200];
  snprintf(path, sizeof path, "%s", r.cache_path);
  gs_colrank_free(&r);
  r = rank_ok(dir, GS_COLRANK_DF, cache);
  ck_assert_int_eq(r.cache_state, GS_COLRANK_CACHE_HIT);
  ck_assert_int_eq(r.order[0], 1);
  gs_colrank_free(&r);
  /* Another version of the format. */
  write_cache_with_checksum(path, "gnnscale-colrank 999 method=df\n");
  r = rank_ok(dir, GS_COLRANK_DF, cache);
  ck_assert_int_eq(r.cache_state, GS_COLRANK_CACHE_STALE);
  gs_colrank_free(&r);
  /* A rewritten feature file is seen as changed (plain text under a .gz name is refused by
   * the reader since issue 12, so the rewrite is gzip too). */
  gs_test_write_gz("tiny/raw/node-feat.csv.gz", TINY_FEATS);
  r = rank_ok(dir, GS_COLRANK_DF, cache);
  ck_assert_int_eq(r.cache_state, GS_COLRANK_CACHE_STALE);
  ck_assert_int_eq(r.order[0], 5);
  gs_colrank_free(&r);
  r = rank_ok(dir, GS_COLRANK_DF, cache);
  ck_assert_int_eq(r.cache_state, GS_COLRANK_CACHE_HIT);
  gs_colrank_free(&r);
  gs_test_write_gz("tiny/raw/node-feat.csv.gz",
                   "0,1,0,0,2.5,0\n0,0,0,3,0,0\n1,0,0.25,0,0,1\n0,0,0,0,0,0.6\n");
  r = rank_ok(dir, GS_COLRANK_DF, cache);
  ck_assert_int_eq(r.cache_state, GS_COLRANK_CACHE_STALE);
  gs_colrank_free(&r);
  gs_test_clean_tmp();
}
END_TEST

START_TEST(test_cache_unwritable_computes_without_error) {
  const char *dir = make_tiny(false);
  gs_test_write_plain("file", "not a folder\n");
  int64_t before = gs_mem_current();
  gs_colrank r = rank_ok(dir, GS_COLRANK_DF, gs_test_path("file/sub"));
  ck_assert_int_eq(r.cache_state, GS_COLRANK_CACHE_NONE);
  ck_assert(!r.cache_written);
  ck_assert_str_eq(r.cache_path, "");
  ck_assert_int_eq(r.order[0], 5);
  gs_colrank_free(&r);
  /* A folder without write permission (root may write anyway: then it simply caches). */
  gs_test_mkdir("ro");
  chmod(gs_test_path("ro"), 0555);
  r = rank_ok(dir, GS_COLRANK_DF, gs_test_path("ro"));
  ck_assert_int_eq(r.order[0], 5);
  if (geteuid() != 0) ck_assert(!r.cache_written);
  gs_colrank_free(&r);
  chmod(gs_test_path("ro"), 0755);
  ck_assert_int_eq(gs_mem_current(), before);
  gs_test_clean_tmp();
}
END_TEST

/* Saves and restores one environment variable around a test. */
typedef struct {
  const char *name;
  char value[4096];
  bool set;
} saved_env;

static void env_save(saved_env *s, const char *name) {
  s->name = name;
  const char *v = getenv(name);
  s->set = v != NULL;
  snprintf(s->value, sizeof s->value, "%s", v ? v : "");
}

static void env_restore(const saved_env *s) {
  if (s->set)
    setenv(s->name, s->value, 1);
  else
    unsetenv(s->name);
}

START_TEST(test_default_cache_dir_from_environment) {
  saved_env saved[3];
  env_save(&saved[0], "GNNSCALE_CACHE");
  env_save(&saved[1], "XDG_CACHE_HOME");
  env_save(&saved[2], "HOME");
  const char *dir = make_tiny(false);
  char out[4096];
  gs_error err;

  setenv("GNNSCALE_CACHE", gs_test_path("g/deep/er"), 1);
  setenv("XDG_CACHE_HOME", gs_test_path("xdg"), 1);
  GS_ASSERT_OK(gs_colrank_default_cache_dir(out, sizeof out, &err), err);
  ck_assert_str_eq(out, gs_test_path("g/deep/er"));
  gs_colrank r = rank_ok(dir, GS_COLRANK_DF, NULL);
  ck_assert(r.cache_written);
  ck_assert(file_exists(gs_test_path("g/deep/er/tiny.df.colrank")));
  gs_colrank_free(&r);

  unsetenv("GNNSCALE_CACHE");
  GS_ASSERT_OK(gs_colrank_default_cache_dir(out, sizeof out, &err), err);
  ck_assert_str_eq(out, gs_test_path("xdg/gnnscale"));
  r = rank_ok(dir, GS_COLRANK_INDEX, NULL);
  ck_assert(file_exists(gs_test_path("xdg/gnnscale/tiny.index.colrank")));
  gs_colrank_free(&r);

  /* A relative XDG_CACHE_HOME is ignored, as the XDG specification says. */
  setenv("XDG_CACHE_HOME", "relative/path", 1);
  setenv("HOME", gs_test_path("home"), 1);
  GS_ASSERT_OK(gs_colrank_default_cache_dir(out, sizeof out, &err), err);
  ck_assert_str_eq(out, gs_test_path("home/.cache/gnnscale"));
  r = rank_ok(dir, GS_COLRANK_VARIANCE, NULL);
  ck_assert(file_exists(gs_test_path("home/.cache/gnnscale/tiny.variance.colrank")));
  gs_colrank_free(&r);

  /* Nothing to go on: no default folder, and ranking still works, uncached. */
  unsetenv("XDG_CACHE_HOME");
  unsetenv("HOME");
  ck_assert_int_eq(gs_colrank_default_cache_dir(out, sizeof out, &err), GS_ERR_NOT_FOUND);
  char tiny_buf[8];
  setenv("HOME", "/a/long/home/folder", 1);
  ck_assert_int_eq(gs_colrank_default_cache_dir(tiny_buf, sizeof tiny_buf, &err), GS_ERR_INVALID);
  unsetenv("HOME");
  r = rank_ok(dir, GS_COLRANK_DF, NULL);
  ck_assert(!r.cache_written);
  ck_assert_str_eq(r.cache_path, "");
  gs_colrank_free(&r);

  for (int k = 0; k < 3; k++) env_restore(&saved[k]);
  gs_test_clean_tmp();
}
END_TEST

/* ------------------------------------------------------------------ resolution */

/* Checks a dataset loaded at resolution r against the full one and the ranking. */
static void check_resolution(const gs_dataset *ds, const gs_dataset *full, const gs_colrank *rank,
                             double r) {
  const int64_t f = gs_colrank_columns_for(r, rank->f0);
  ck_assert_int_eq(ds->x.cols, f);
  ck_assert_int_eq(ds->file_features, rank->f0);
  ck_assert_int_eq(ds->x.nnz, rank->nnz_prefix[f]);
  if (f == rank->f0) {
    ck_assert_ptr_null(ds->kept_columns);
  } else {
    /* The kept set is the first f ranked columns, stored in ascending file order. */
    int64_t *want = malloc((size_t)f * sizeof *want);
    memcpy(want, rank->order, (size_t)f * sizeof *want);
    for (int64_t a = 1; a < f; a++)
      for (int64_t b = a; b > 0 && want[b - 1] > want[b]; b--) {
        int64_t t = want[b];
        want[b] = want[b - 1];
        want[b - 1] = t;
      }
    ck_assert_int_eq(memcmp(ds->kept_columns, want, (size_t)f * sizeof *want), 0);
    free(want);
  }
  /* X at r equals the full X restricted to the kept columns, value for value. */
  float *dense_row = calloc((size_t)full->x.cols, sizeof(float));
  int64_t differ = 0;
  for (int64_t i = 0; i < full->num_nodes; i++) {
    const gs_csr *a = &full->x.sparse;
    for (int64_t k = a->rowptr[i]; k < a->rowptr[i + 1]; k++) dense_row[a->col[k]] = a->val[k];
    for (int64_t c = 0; c < f; c++) {
      const int64_t fc = ds->kept_columns ? ds->kept_columns[c] : c;
      differ += feat(ds, i, c) != dense_row[fc];
    }
    for (int64_t k = a->rowptr[i]; k < a->rowptr[i + 1]; k++) dense_row[a->col[k]] = 0.0f;
  }
  free(dense_row);
  ck_assert_int_eq(differ, 0);
}

START_TEST(test_load_resolution_cora_properties) {
  gs_test_make_tmp();
  char cache[4096];
  snprintf(cache, sizeof cache, "%s", gs_test_path("c"));
  int64_t before = gs_mem_current();
  gs_dataset *full = load_ok(gs_test_data("cora"), NULL);
  const double rs[] = {0.01, 0.1, 0.25, 0.5, 0.75, 1.0};
  const gs_colrank_method ms[2] = {GS_COLRANK_DF, GS_COLRANK_VARIANCE};
  for (int mi = 0; mi < 2; mi++) {
    gs_colrank rank = rank_ok(gs_test_data("cora"), ms[mi], cache);
    int64_t *prev = NULL, prev_f = 0, prev_bytes = 0;
    for (size_t k = 0; k < sizeof rs / sizeof *rs; k++) {
      gs_dataset *ds = NULL;
      gs_error err;
      gs_status st = gs_dataset_load_resolution(&ds, gs_test_data("cora"), NULL, rs[k], ms[mi],
                                                cache, &err);
      GS_ASSERT_OK(st, err);
      check_resolution(ds, full, &rank, rs[k]);
      /* r' > r keeps a superset of columns, and never more feature bytes for less. */
      const int64_t f = ds->x.cols;
      if (prev) {
        int64_t missing = 0;
        for (int64_t a = 0; a < prev_f; a++) {
          bool found = !ds->kept_columns;
          for (int64_t b = 0; b < f && !found; b++) found = ds->kept_columns[b] == prev[a];
          missing += !found;
        }
        ck_assert_int_eq(missing, 0);
        ck_assert_int_ge(gs_features_bytes(&ds->x), prev_bytes);
      }
      free(prev);
      prev = NULL;
      if (ds->kept_columns) {
        prev = malloc((size_t)f * sizeof *prev);
        memcpy(prev, ds->kept_columns, (size_t)f * sizeof *prev);
      }
      prev_f = f;
      prev_bytes = gs_features_bytes(&ds->x);
      /* The same ds is split, labelled and connected as the full load. */
      ck_assert_int_eq(ds->num_edge_lines, full->num_edge_lines);
      ck_assert_int_eq(ds->num_train, full->num_train);
      gs_dataset_free(&ds);
    }
    free(prev);
    gs_colrank_free(&rank);
  }
  /* Forced dense storage gives the same values, and r shrinks its bytes linearly. */
  gs_dataset_options o = gs_dataset_options_default();
  o.sparse_below = 0.0;
  gs_colrank rank = rank_ok(gs_test_data("cora"), GS_COLRANK_DF, cache);
  gs_dataset *ds = NULL;
  gs_error err;
  GS_ASSERT_OK(gs_dataset_load_resolution(&ds, gs_test_data("cora"), &o, 0.25, GS_COLRANK_DF,
                                          cache, &err),
               err);
  ck_assert_int_eq(ds->x.kind, GS_FEATURES_DENSE);
  check_resolution(ds, full, &rank, 0.25);
  ck_assert_int_eq(gs_features_bytes(&ds->x), 4LL * 2708 * 359);
  gs_dataset_free(&ds);
  /* load_features false: a plain load, no ranking. */
  o = gs_dataset_options_default();
  o.load_features = false;
  GS_ASSERT_OK(gs_dataset_load_resolution(&ds, gs_test_data("cora"), &o, 0.5, GS_COLRANK_DF,
                                          "", &err),
               err);
  ck_assert_int_eq(ds->x.kind, GS_FEATURES_NONE);
  gs_dataset_free(&ds);
  gs_colrank_free(&rank);
  gs_dataset_free(&full);
  ck_assert_int_eq(gs_mem_current(), before);
  gs_test_clean_tmp();
}
END_TEST

START_TEST(test_load_resolution_sparse_feature_file) {
  const char *dir = make_tiny(true);
  gs_dataset *ds = NULL;
  gs_error err;
  /* f = ceil(0.5·6) = 3 columns by variance: {3, 4, 0}, stored as 0, 3, 4. */
  GS_ASSERT_OK(gs_dataset_load_resolution(&ds, dir, NULL, 0.5, GS_COLRANK_VARIANCE, gs_test_path("cache"),
                                          &err),
               err);
  ck_assert_int_eq(ds->x.cols, 3);
  ck_assert_int_eq(ds->kept_columns[0], 0);
  ck_assert_int_eq(ds->kept_columns[1], 3);
  ck_assert_int_eq(ds->kept_columns[2], 4);
  ck_assert_int_eq(ds->x.nnz, 3);
  ck_assert_float_eq(feat(ds, 0, 2), 2.5f);
  ck_assert_float_eq(feat(ds, 1, 1), 3.0f);
  ck_assert_float_eq(feat(ds, 2, 0), 1.0f);
  gs_dataset_free(&ds);
  gs_test_clean_tmp();
}
END_TEST

/* ------------------------------------------------------------------ errors */

static void expect_rank_failure(const char *dir, gs_status code, const char *needle) {
  int64_t before = gs_mem_current();
  gs_colrank r;
  memset(&r, 0, sizeof r);
  gs_error err;
  gs_status st = gs_colrank_load_or_compute(&r, dir, GS_COLRANK_DF, "", &err);
  ck_assert_msg(st == code, "expected %s, got %s: %s", gs_status_name(code), gs_status_name(st),
                err.msg);
  if (getenv("GS_SHOW_ERRORS")) printf("%s\n", err.msg);
  if (needle) ck_assert_msg(strstr(err.msg, needle), "'%s' not in '%s'", needle, err.msg);
  ck_assert_ptr_null(r.order);
  ck_assert_int_eq(gs_mem_current(), before);
}

START_TEST(test_stream_errors_name_file_and_line) {
  const char *dir = make_tiny(false);
  gs_test_write_gz("tiny/raw/node-feat.csv.gz", "0,1,0,0,2.5,0\n0,0,0,3,0,0\n1,0,0.25,0,0\n0,0,0,0,0,1\n");
  expect_rank_failure(dir, GS_ERR_PARSE, "node-feat.csv.gz:3: expected 6 fields, got 5");
  gs_test_write_gz("tiny/raw/node-feat.csv.gz", "0,1,0,0,2.5,0\n0,0,0,3,0,x\n1,0,0.25,0,0,1\n0,0,0,0,0,1\n");
  expect_rank_failure(dir, GS_ERR_PARSE, "node-feat.csv.gz:2: field 6");
  gs_test_write_gz("tiny/raw/node-feat.csv.gz", "0,1,0,0,2.5,0\n0,0,nan,3,0,0\n1,0,0,0,0,1\n0,0,0,0,0,1\n");
  expect_rank_failure(dir, GS_ERR_NUMERIC, "node-feat.csv.gz:2:");
  gs_test_write_gz("tiny/raw/node-feat.csv.gz", "0,1,0,0,2.5,0\n0,0,0,3,0,0\n");
  expect_rank_failure(dir, GS_ERR_MISMATCH, "file ends after 2 feature rows");
  gs_test_write_gz("tiny/raw/node-feat.csv.gz", "0,1\n0,0\n0,0\n0,0\n");
  expect_rank_failure(dir, GS_ERR_MISMATCH, "num_features 6");
  gs_test_write_gz("tiny/raw/node-feat.csv.gz", "");
  expect_rank_failure(dir, GS_ERR_PARSE, "empty file");
  gs_test_write_gz("tiny/raw/node-feat.csv.gz", TINY_FEATS);
  gs_test_write_plain("tiny/raw/num-node-list.csv", "3\n");
  expect_rank_failure(dir, GS_ERR_MISMATCH, "more feature rows than the 3 nodes");
  gs_test_write_plain("tiny/raw/num-node-list.csv", "99999999999999\n");
  expect_rank_failure(dir, GS_ERR_RANGE, "num-node-list.csv:1:");
  gs_test_write_plain("tiny/raw/num-node-list.csv", "four\n");
  expect_rank_failure(dir, GS_ERR_PARSE, "num-node-list.csv:1:");
  unlink(gs_test_path("tiny/raw/num-node-list.csv"));
  expect_rank_failure(dir, GS_ERR_IO, "num-node-list.csv");
  gs_test_write_plain("tiny/raw/num-node-list.csv", "4\n");
  unlink(gs_test_path("tiny/raw/node-feat.csv.gz"));
  expect_rank_failure(dir, GS_ERR_IO, "node-feat-sparse.csv.gz");
  gs_test_write_gz("tiny/raw/node-feat-sparse.csv.gz", "0,1,1\n2,0,1\n1,3,3\n");
  expect_rank_failure(dir, GS_ERR_PARSE, "node-feat-sparse.csv.gz:3: entry (1, 3) is out of order");
  gs_test_write_gz("tiny/raw/node-feat-sparse.csv.gz", "0,1,1\n0,6,1\n");
  expect_rank_failure(dir, GS_ERR_RANGE, "node-feat-sparse.csv.gz:2: column 6");
  gs_test_write_gz("tiny/raw/node-feat-sparse.csv.gz", "0,1,1\n7,2,1\n");
  expect_rank_failure(dir, GS_ERR_RANGE, "node-feat-sparse.csv.gz:2: node id 7");
  gs_test_write_gz("tiny/raw/node-feat-sparse.csv.gz", "0,1,inf\n");
  expect_rank_failure(dir, GS_ERR_NUMERIC, "node-feat-sparse.csv.gz:1:");
  gs_test_write_gz("tiny/raw/node-feat-sparse.csv.gz", "0,1\n");
  expect_rank_failure(dir, GS_ERR_PARSE, "node-feat-sparse.csv.gz:1: expected 3 fields");
  /* Without META, the width is the largest column + 1. */
  gs_test_write_gz("tiny/raw/node-feat-sparse.csv.gz", "0,1,1\n3,8,2\n");
  unlink(gs_test_path("tiny/META.txt"));
  gs_colrank r = rank_ok(dir, GS_COLRANK_DF, "");
  ck_assert_int_eq(r.f0, 9);
  ck_assert_int_eq(r.order[0], 1);
  ck_assert_int_eq(r.order[1], 8);
  ck_assert_int_eq(r.nnz_prefix[9], 2);
  gs_colrank_free(&r);
  gs_test_write_plain("tiny/META.txt", "num_features: many\n");
  expect_rank_failure(dir, GS_ERR_PARSE, "META.txt:1:");
  expect_rank_failure(gs_test_path("nothing-here"), GS_ERR_IO, "nothing-here");
  gs_test_clean_tmp();
}
END_TEST

START_TEST(test_invalid_arguments_rejected) {
  const char *dir = make_tiny(false);
  int64_t before = gs_mem_current();
  gs_colrank r;
  memset(&r, 0, sizeof r);
  gs_error err;
  gs_dataset *ds = NULL;
  ck_assert_int_eq(gs_colrank_load_or_compute(NULL, dir, GS_COLRANK_DF, "", &err), GS_ERR_INVALID);
  ck_assert_int_eq(gs_colrank_load_or_compute(&r, NULL, GS_COLRANK_DF, "", &err), GS_ERR_INVALID);
  ck_assert_int_eq(gs_colrank_load_or_compute(&r, "", GS_COLRANK_DF, "", &err), GS_ERR_INVALID);
  ck_assert_int_eq(gs_colrank_load_or_compute(&r, dir, (gs_colrank_method)9, "", &err),
                   GS_ERR_INVALID);
  ck_assert_int_eq(gs_colrank_compute(&r, NULL, GS_COLRANK_DF, &err), GS_ERR_INVALID);
  /* Ranking needs every column of a loaded dataset. */
  const int64_t cols[2] = {1, 4};
  gs_dataset_options o = gs_dataset_options_default();
  o.columns = cols;
  o.num_columns = 2;
  gs_dataset *sel = load_ok(dir, &o);
  ck_assert_int_eq(gs_colrank_compute(&r, sel, GS_COLRANK_DF, &err), GS_ERR_INVALID);
  ck_assert_ptr_nonnull(strstr(err.msg, "column selection"));
  ck_assert_int_eq(gs_colrank_compute(&r, sel, (gs_colrank_method)-1, &err), GS_ERR_INVALID);
  gs_dataset_free(&sel);
  o = gs_dataset_options_default();
  o.load_features = false;
  gs_dataset *none = load_ok(dir, &o);
  ck_assert_int_eq(gs_colrank_compute(&r, none, GS_COLRANK_DF, &err), GS_ERR_INVALID);
  ck_assert_ptr_nonnull(strstr(err.msg, "no features"));
  gs_dataset_free(&none);
  ck_assert_ptr_null(r.order);
  /* Resolution outside (0, 1], a column list of the caller's own. */
  const double bad_r[] = {0.0, -0.5, 1.5, NAN, INFINITY};
  for (size_t k = 0; k < sizeof bad_r / sizeof *bad_r; k++) {
    ck_assert_int_eq(gs_dataset_load_resolution(&ds, dir, NULL, bad_r[k], GS_COLRANK_DF, "", &err),
                     GS_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(err.msg, "outside (0, 1]"));
  }
  o = gs_dataset_options_default();
  o.columns = cols;
  o.num_columns = 2;
  ck_assert_int_eq(gs_dataset_load_resolution(&ds, dir, &o, 0.5, GS_COLRANK_DF, "", &err),
                   GS_ERR_INVALID);
  ck_assert_int_eq(gs_dataset_load_resolution(NULL, dir, NULL, 0.5, GS_COLRANK_DF, "", &err),
                   GS_ERR_INVALID);
  ck_assert_int_eq(
      gs_dataset_load_resolution(&ds, gs_test_path("missing"), NULL, 0.5, GS_COLRANK_DF, "", &err),
      GS_ERR_IO);
  ck_assert_ptr_null(ds);
  ck_assert_int_eq(gs_mem_current(), before);
  gs_test_clean_tmp();
}
END_TEST

/* A cache file that passes every check but was made for other data (hand-crafted: counts
 * that do not match the features) is caught when the loaded non-zeros disagree. */
START_TEST(test_load_resolution_mismatch_with_cache) {
  const char *dir = make_tiny(false);
  char cache[4096];
  snprintf(cache, sizeof cache, "%s", gs_test_path("cache"));
  gs_colrank r = rank_ok(dir, GS_COLRANK_INDEX, cache);
  char path[4200];
  snprintf(path, sizeof path, "%s", r.cache_path);
  gs_colrank_free(&r);
  size_t len;
  char *text = read_file(path, &len);
  char *eol = strchr(text, '\n');
  eol[1] = '\0';
  char body[2048];
  /* Column 0 claims 3 non-zeros; it has 1. */
  snprintf(body, sizeof body, "%s0,3,0\n1,1,1\n2,1,2\n3,1,3\n4,1,4\n5,2,5\n", text);
  free(text);
  write_cache_with_checksum(path, body);
  r = rank_ok(dir, GS_COLRANK_INDEX, cache);
  ck_assert_int_eq(r.cache_state, GS_COLRANK_CACHE_HIT);
  gs_colrank_free(&r);
  int64_t before = gs_mem_current();
  gs_dataset *ds = NULL;
  gs_error err;
  ck_assert_int_eq(gs_dataset_load_resolution(&ds, dir, NULL, 0.5, GS_COLRANK_INDEX, cache, &err),
                   GS_ERR_MISMATCH);
  ck_assert_ptr_nonnull(strstr(err.msg, "tiny.index.colrank"));
  ck_assert_ptr_null(ds);
  ck_assert_int_eq(gs_mem_current(), before);
  gs_test_clean_tmp();
}
END_TEST

/* Every allocation made by ranking (computing, writing and reading the cache) and by loading
 * at a resolution fails in turn: the result is GS_OK or GS_ERR_NOMEM, never a leak. */
START_TEST(test_allocation_failures_leak_nothing) {
  const char *dir = make_tiny(false);
  char cache[4096];
  snprintf(cache, sizeof cache, "%s", gs_test_path("cache"));
  char cache_file[4200];
  snprintf(cache_file, sizeof cache_file, "%s/tiny.variance.colrank", cache);
  const int64_t before = gs_mem_current();
  for (int pass = 0; pass < 3; pass++) {
    if (pass > 0) { /* make sure the cache file exists: pass 0 may not have written it */
      gs_colrank w = rank_ok(dir, GS_COLRANK_VARIANCE, cache);
      gs_colrank_free(&w);
    }
    bool succeeded = false;
    for (int64_t k = 0; k < 500 && !succeeded; k++) {
      if (pass == 0) unlink(cache_file); /* pass 0 computes; pass 1 hits; pass 2 loads */
      gs_colrank r;
      memset(&r, 0, sizeof r);
      gs_dataset *ds = NULL;
      gs_error err;
      gs_mem_fail_after(k);
      gs_status st = pass < 2 ? gs_colrank_load_or_compute(&r, dir, GS_COLRANK_VARIANCE, cache, &err)
                              : gs_dataset_load_resolution(&ds, dir, NULL, 0.5,
                                                           GS_COLRANK_VARIANCE, cache, &err);
      gs_mem_fail_after(-1);
      ck_assert_msg(st == GS_OK || st == GS_ERR_NOMEM, "pass %d allocation %lld: %s", pass,
                    (long long)k, err.msg);
      succeeded = st == GS_OK;
      if (succeeded && pass < 2) {
        ck_assert_int_eq(r.order[0], 3);
        if (pass == 1) ck_assert_int_eq(r.cache_state, GS_COLRANK_CACHE_HIT);
      }
      if (succeeded && pass == 2) ck_assert_int_eq(ds->x.nnz, 3);
      gs_colrank_free(&r);
      gs_dataset_free(&ds);
      ck_assert_int_eq(gs_mem_current(), before);
    }
    ck_assert(succeeded);
  }
  gs_test_clean_tmp();
}
END_TEST

Suite *gs_colrank_suite(void) {
  Suite *s = suite_create("colrank");
  TCase *basic = tcase_create("basic");
  tcase_set_timeout(basic, 60);
  tcase_add_test(basic, test_columns_for_matches_exact_ceiling);
  tcase_add_test(basic, test_method_names_round_trip);
  tcase_add_test(basic, test_tiny_known_rankings);
  suite_add_tcase(s, basic);

  TCase *real = tcase_create("real");
  tcase_set_timeout(real, 120);
  tcase_add_test(real, test_cora_top_column_each_method);
  tcase_add_test(real, test_coauthor_top_column_each_method);
  suite_add_tcase(s, real);

  TCase *cache = tcase_create("cache");
  tcase_set_timeout(cache, 60);
  tcase_add_test(cache, test_cache_hit_identical_to_recompute);
  tcase_add_test(cache, test_cache_malformed_is_recomputed);
  tcase_add_test(cache, test_cache_stale_is_recomputed);
  tcase_add_test(cache, test_cache_unwritable_computes_without_error);
  tcase_add_test(cache, test_default_cache_dir_from_environment);
  suite_add_tcase(s, cache);

  TCase *res = tcase_create("resolution");
  tcase_set_timeout(res, 120);
  tcase_add_test(res, test_load_resolution_cora_properties);
  tcase_add_test(res, test_load_resolution_sparse_feature_file);
  suite_add_tcase(s, res);

  TCase *bad = tcase_create("errors");
  tcase_set_timeout(bad, 60);
  tcase_add_test(bad, test_stream_errors_name_file_and_line);
  tcase_add_test(bad, test_invalid_arguments_rejected);
  tcase_add_test(bad, test_load_resolution_mismatch_with_cache);
  tcase_add_test(bad, test_allocation_failures_leak_nothing);
  suite_add_tcase(s, bad);
  return s;
}
