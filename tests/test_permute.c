/* Tests of datasets/permute: a random permutation followed by its inverse restores cora
 * exactly (CSR and dense features); what training relies on follows each node (its label,
 * feature row, degree, split membership); non-permutations and out-of-range ids are rejected
 * with the dataset untouched; allocation failures leak nothing; and the RCM order of cora
 * and of a scrambled path is a permutation that shortens the edges' index distances. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/rng.h"
#include "core/status.h"
#include "datasets/dataset.h"
#include "datasets/permute.h"
#include "sparse/reorder.h"
#include "tests/test_helpers.h"

Suite *gs_permute_suite(void);

/* Seed of the random permutations (any value: the properties hold for all). */
#define PERM_SEED 20261123

/* ------------------------------------------------------------------ helpers */

static gs_dataset *load_ok(const char *name, bool dense) {
  gs_dataset_options o = gs_dataset_options_default();
  if (dense) o.sparse_below = 0.0;
  gs_dataset *ds = NULL;
  gs_error err;
  gs_status st = gs_dataset_load(&ds, gs_test_data(name), &o, &err);
  GS_ASSERT_OK(st, err);
  return ds;
}

/* A uniform random permutation of n (Fisher-Yates on the counter-based generator). */
static int64_t *random_order(int64_t n, uint64_t stream) {
  int64_t *p = malloc((size_t)n * sizeof *p);
  for (int64_t i = 0; i < n; i++) p[i] = i;
  for (int64_t i = n - 1; i > 0; i--) {
    int64_t j = (int64_t)(gs_rng_at(PERM_SEED, stream, (uint64_t)i) % (uint64_t)(i + 1));
    int64_t t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

static int64_t *inverse_of(const int64_t *order, int64_t n) {
  int64_t *inv = malloc((size_t)n * sizeof *inv);
  gs_reorder_invert(inv, order, n);
  return inv;
}

static bool is_permutation(const int64_t *order, int64_t n) {
  char *seen = calloc((size_t)n, 1);
  bool ok = true;
  for (int64_t i = 0; i < n && ok; i++) {
    ok = order[i] >= 0 && order[i] < n && !seen[order[i]];
    if (ok) seen[order[i]] = 1;
  }
  free(seen);
  return ok;
}

/* Bitwise equality of everything gs_dataset_permute may touch. */
static bool same_dataset(const gs_dataset *a, const gs_dataset *b) {
  const int64_t n = a->num_nodes, e = a->num_edge_lines;
  if (n != b->num_nodes || e != b->num_edge_lines) return false;
  if (memcmp(a->src, b->src, (size_t)e * 8) || memcmp(a->dst, b->dst, (size_t)e * 8)) return false;
  if (memcmp(a->labels, b->labels, (size_t)n * 4)) return false;
  const int64_t *sa[3] = {a->train, a->valid, a->test}, *sb[3] = {b->train, b->valid, b->test};
  const int64_t ca[3] = {a->num_train, a->num_valid, a->num_test};
  const int64_t cb[3] = {b->num_train, b->num_valid, b->num_test};
  for (int s = 0; s < 3; s++)
    if (ca[s] != cb[s] || memcmp(sa[s], sb[s], (size_t)ca[s] * 8)) return false;
  const gs_features *x = &a->x, *y = &b->x;
  if (x->kind != y->kind || x->rows != y->rows || x->cols != y->cols || x->nnz != y->nnz)
    return false;
  if (x->kind == GS_FEATURES_DENSE)
    return memcmp(x->dense, y->dense, (size_t)(x->rows * x->cols) * 4) == 0;
  if (x->kind == GS_FEATURES_SPARSE)
    return memcmp(x->sparse.rowptr, y->sparse.rowptr, (size_t)(n + 1) * 8) == 0 &&
           memcmp(x->sparse.col, y->sparse.col, (size_t)x->nnz * 8) == 0 &&
           memcmp(x->sparse.val, y->sparse.val, (size_t)x->nnz * 4) == 0;
  return true;
}

/* Edge-line endpoint counts per node (a self loop counts twice). */
static int64_t *line_degrees(const gs_dataset *ds) {
  int64_t *deg = calloc((size_t)ds->num_nodes, sizeof *deg);
  for (int64_t e = 0; e < ds->num_edge_lines; e++) {
    deg[ds->src[e]]++;
    deg[ds->dst[e]]++;
  }
  return deg;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* Row i of the features as a dense vector in out[cols]. */
static void feature_row(const gs_dataset *ds, int64_t i, float *out) {
  const gs_features *x = &ds->x;
  if (x->kind == GS_FEATURES_DENSE) {
    memcpy(out, x->dense + i * x->cols, (size_t)x->cols * sizeof *out);
    return;
  }
  memset(out, 0, (size_t)x->cols * sizeof *out);
  for (int64_t k = x->sparse.rowptr[i]; k < x->sparse.rowptr[i + 1]; k++)
    out[x->sparse.col[k]] = x->sparse.val[k];
}

/* What training relies on: permuted `p` against original `a` under order. */
static void check_follows(const gs_dataset *p, const gs_dataset *a, const int64_t *order) {
  const int64_t n = a->num_nodes;
  int64_t *inv = inverse_of(order, n);
  int64_t bad_label = 0, bad_row = 0, bad_deg = 0, bad_edge = 0, bad_split = 0;
  float *ra = malloc((size_t)a->x.cols * sizeof *ra), *rp = malloc((size_t)a->x.cols * sizeof *rp);
  for (int64_t i = 0; i < n; i++) {
    bad_label += p->labels[i] != a->labels[order[i]];
    feature_row(p, i, rp);
    feature_row(a, order[i], ra);
    bad_row += memcmp(ra, rp, (size_t)a->x.cols * sizeof *ra) != 0;
  }
  int64_t *dp = line_degrees(p), *da = line_degrees(a);
  for (int64_t i = 0; i < n; i++) bad_deg += dp[i] != da[order[i]];
  /* Hence the degree multisets agree. */
  qsort(dp, (size_t)n, sizeof *dp, cmp_i64);
  qsort(da, (size_t)n, sizeof *da, cmp_i64);
  bad_deg += memcmp(dp, da, (size_t)n * sizeof *dp) != 0;
  for (int64_t e = 0; e < a->num_edge_lines; e++)
    bad_edge += p->src[e] != inv[a->src[e]] || p->dst[e] != inv[a->dst[e]];
  const int64_t *sp[3] = {p->train, p->valid, p->test}, *sa[3] = {a->train, a->valid, a->test};
  const int64_t cp[3] = {p->num_train, p->num_valid, p->num_test};
  const int64_t ca[3] = {a->num_train, a->num_valid, a->num_test};
  for (int s = 0; s < 3; s++) {
    ck_assert_int_eq(cp[s], ca[s]);
    int64_t *want = malloc((size_t)(ca[s] > 0 ? ca[s] : 1) * sizeof *want);
    for (int64_t k = 0; k < ca[s]; k++) want[k] = inv[sa[s][k]];
    qsort(want, (size_t)ca[s], sizeof *want, cmp_i64);
    bad_split += memcmp(want, sp[s], (size_t)ca[s] * sizeof *want) != 0;
    for (int64_t k = 1; k < cp[s]; k++) bad_split += sp[s][k] <= sp[s][k - 1];
    free(want);
  }
  ck_assert_int_eq(bad_label, 0);
  ck_assert_int_eq(bad_row, 0);
  ck_assert_int_eq(bad_deg, 0);
  ck_assert_int_eq(bad_edge, 0);
  ck_assert_int_eq(bad_split, 0);
  ck_assert_int_eq(p->x.nnz, a->x.nnz);
  ck_assert_int_eq(p->num_classes, a->num_classes);
  ck_assert_str_eq(p->split_name, a->split_name);
  free(dp);
  free(da);
  free(ra);
  free(rp);
  free(inv);
}

/* Mean and maximum |i - j| over the edge lines that are not self loops. */
static void edge_spans(const gs_dataset *ds, double *mean, int64_t *max) {
  double sum = 0;
  int64_t count = 0, m = 0;
  for (int64_t e = 0; e < ds->num_edge_lines; e++) {
    int64_t d = ds->src[e] - ds->dst[e];
    if (d < 0) d = -d;
    if (d == 0) continue;
    sum += (double)d;
    count++;
    if (d > m) m = d;
  }
  *mean = count ? sum / (double)count : 0.0;
  *max = m;
}

/* ------------------------------------------------------------------ permute */

static void check_round_trip(bool dense) {
  int64_t before = gs_mem_current();
  gs_dataset *ref = load_ok("cora", dense);
  gs_dataset *ds = load_ok("cora", dense);
  ck_assert_int_eq(ds->x.kind, dense ? GS_FEATURES_DENSE : GS_FEATURES_SPARSE);
  const int64_t n = ds->num_nodes;
  int64_t *order = random_order(n, dense ? 2 : 1);
  gs_error err;
  GS_ASSERT_OK(gs_dataset_permute(ds, order, &err), err);
  ck_assert(!same_dataset(ds, ref));
  check_follows(ds, ref, order);
  int64_t *inv = inverse_of(order, n);
  GS_ASSERT_OK(gs_dataset_permute(ds, inv, &err), err);
  ck_assert(same_dataset(ds, ref));
  /* The identity changes nothing. */
  for (int64_t i = 0; i < n; i++) order[i] = i;
  GS_ASSERT_OK(gs_dataset_permute(ds, order, &err), err);
  ck_assert(same_dataset(ds, ref));
  free(order);
  free(inv);
  gs_dataset_free(&ds);
  gs_dataset_free(&ref);
  ck_assert_int_eq(gs_mem_current(), before);
}

START_TEST(test_permute_then_inverse_restores_sparse) { check_round_trip(false); }
END_TEST

START_TEST(test_permute_then_inverse_restores_dense) { check_round_trip(true); }
END_TEST

/* Long cycles, fixed points and 2-cycles through the dense in-place path, on a dataset with
 * labels -1 (citeseer): a shift by one is a single n-cycle. */
START_TEST(test_permute_cycles_and_unlabelled_nodes) {
  gs_dataset *ref = load_ok("citeseer", true);
  gs_dataset *ds = load_ok("citeseer", true);
  const int64_t n = ds->num_nodes;
  int64_t *order = malloc((size_t)n * sizeof *order);
  for (int64_t i = 0; i < n; i++) order[i] = (i + 1) % n;
  gs_error err;
  GS_ASSERT_OK(gs_dataset_permute(ds, order, &err), err);
  check_follows(ds, ref, order);
  gs_dataset_free(&ds);
  ds = load_ok("citeseer", true);
  /* Fixed points (i % 3 == 0) and swapped pairs (i, i + 1) for i % 3 == 1. */
  for (int64_t i = 0; i < n; i++) order[i] = i;
  for (int64_t i = 1; i + 1 < n; i += 3) {
    order[i] = i + 1;
    order[i + 1] = i;
  }
  ck_assert(is_permutation(order, n));
  GS_ASSERT_OK(gs_dataset_permute(ds, order, &err), err);
  check_follows(ds, ref, order);
  free(order);
  gs_dataset_free(&ds);
  gs_dataset_free(&ref);
}
END_TEST

START_TEST(test_permute_rejects_non_permutation) {
  int64_t before = gs_mem_current();
  gs_dataset *ref = load_ok("cora", false);
  gs_dataset *ds = load_ok("cora", false);
  const int64_t n = ds->num_nodes;
  int64_t *order = random_order(n, 3);
  gs_error err;
  const int64_t saved17 = order[17];
  order[17] = n;
  ck_assert_int_eq(gs_dataset_permute(ds, order, &err), GS_ERR_INVALID);
  ck_assert_msg(strstr(err.msg, "order[17] = 2708 is out of range [0, 2708)"), "%s", err.msg);
  order[17] = -4;
  ck_assert_int_eq(gs_dataset_permute(ds, order, &err), GS_ERR_INVALID);
  ck_assert_msg(strstr(err.msg, "order[17] = -4"), "%s", err.msg);
  order[17] = order[3];
  ck_assert_int_eq(gs_dataset_permute(ds, order, &err), GS_ERR_INVALID);
  ck_assert_msg(strstr(err.msg, "order[17]") && strstr(err.msg, "repeats order[3]"), "%s",
                err.msg);
  order[17] = saved17;
  ck_assert(same_dataset(ds, ref));
  ck_assert_int_eq(gs_dataset_permute(NULL, order, &err), GS_ERR_INVALID);
  ck_assert_int_eq(gs_dataset_permute(ds, NULL, &err), GS_ERR_INVALID);
  /* Ids the dataset itself holds out of range: an edge line, a split entry. */
  const int64_t saved_src = ds->src[5];
  ds->src[5] = n + 7;
  ck_assert_int_eq(gs_dataset_permute(ds, order, &err), GS_ERR_RANGE);
  ck_assert_msg(strstr(err.msg, "edge line 5"), "%s", err.msg);
  ds->src[5] = saved_src;
  const int64_t saved_test = ds->test[2];
  ds->test[2] = -1;
  ck_assert_int_eq(gs_dataset_permute(ds, order, &err), GS_ERR_RANGE);
  ck_assert_msg(strstr(err.msg, "test[2]"), "%s", err.msg);
  ds->test[2] = saved_test;
  ck_assert(same_dataset(ds, ref));
  free(order);
  gs_dataset_free(&ds);
  gs_dataset_free(&ref);
  ck_assert_int_eq(gs_mem_current(), before);
}
END_TEST

/* Every allocation fails in turn: GS_ERR_NOMEM leaves the dataset as it was; nothing leaks. */
START_TEST(test_permute_allocation_failures_leave_dataset_untouched) {
  for (int dense = 0; dense < 2; dense++) {
    gs_dataset *ref = load_ok("cora", dense == 1);
    gs_dataset *ds = load_ok("cora", dense == 1);
    const int64_t n = ds->num_nodes;
    int64_t *order = random_order(n, 4);
    const int64_t before = gs_mem_current();
    bool done = false;
    for (int64_t k = 0; k < 100 && !done; k++) {
      gs_error err;
      gs_mem_fail_after(k);
      gs_status st = gs_dataset_permute(ds, order, &err);
      gs_mem_fail_after(-1);
      ck_assert_msg(st == GS_OK || st == GS_ERR_NOMEM, "allocation %lld: %s", (long long)k,
                    err.msg);
      done = st == GS_OK;
      if (!done) ck_assert(same_dataset(ds, ref));
      ck_assert_int_eq(gs_mem_current(), before);
    }
    ck_assert(done);
    check_follows(ds, ref, order);
    /* The RCM order likewise. */
    done = false;
    for (int64_t k = 0; k < 100 && !done; k++) {
      int64_t *rcm = NULL;
      gs_error err;
      gs_mem_fail_after(k);
      gs_status st = gs_dataset_order_rcm(&rcm, ds, &err);
      gs_mem_fail_after(-1);
      ck_assert_msg(st == GS_OK || st == GS_ERR_NOMEM, "allocation %lld: %s", (long long)k,
                    err.msg);
      done = st == GS_OK;
      if (!done) ck_assert_ptr_null(rcm);
      gs_mem_free(rcm);
      ck_assert_int_eq(gs_mem_current(), before);
    }
    ck_assert(done);
    free(order);
    gs_dataset_free(&ds);
    gs_dataset_free(&ref);
  }
}
END_TEST

/* ------------------------------------------------------------------ RCM */

START_TEST(test_rcm_cora_shortens_edges) {
  int64_t before = gs_mem_current();
  gs_dataset *ref = load_ok("cora", false);
  gs_dataset *ds = load_ok("cora", false);
  int64_t *order = NULL;
  gs_error err;
  GS_ASSERT_OK(gs_dataset_order_rcm(&order, ds, &err), err);
  ck_assert(is_permutation(order, ds->num_nodes));
  /* Deterministic: the same order again. */
  int64_t *again = NULL;
  GS_ASSERT_OK(gs_dataset_order_rcm(&again, ds, &err), err);
  ck_assert_int_eq(memcmp(order, again, (size_t)ds->num_nodes * sizeof *order), 0);
  gs_mem_free(again);
  double mean_before, mean_after;
  int64_t max_before, max_after;
  edge_spans(ds, &mean_before, &max_before);
  GS_ASSERT_OK(gs_dataset_permute(ds, order, &err), err);
  check_follows(ds, ref, order);
  edge_spans(ds, &mean_after, &max_after);
  if (getenv("GS_SHOW_SPANS"))
    printf("cora: mean |i-j| %.1f -> %.1f, bandwidth %lld -> %lld\n", mean_before, mean_after,
           (long long)max_before, (long long)max_after);
  /* Measured (GS_SHOW_SPANS=1): mean 836.4 -> 309.5, bandwidth 2657 -> 741. The bounds
   * leave room for tie-breaking changes in RCM, not for losing its effect. */
  ck_assert_double_lt(mean_after, 0.5 * mean_before);
  ck_assert_int_lt(max_after, max_before / 2);
  gs_mem_free(order);
  gs_dataset_free(&ds);
  gs_dataset_free(&ref);
  ck_assert_int_eq(gs_mem_current(), before);
}
END_TEST

/* A path 0-1-2-...-(n-1) under scrambled ids: RCM numbers it end to end (bandwidth 1). */
START_TEST(test_rcm_path_gets_bandwidth_one) {
  int64_t before = gs_mem_current();
  const int64_t n = 200;
  gs_dataset *ds = gs_mem_calloc(1, sizeof *ds, "dataset");
  snprintf(ds->name, sizeof ds->name, "path");
  ds->num_nodes = n;
  ds->num_edge_lines = 2 * (n - 1) + 1;
  ds->src = gs_mem_alloc((size_t)ds->num_edge_lines * 8, "dataset-edges");
  ds->dst = gs_mem_alloc((size_t)ds->num_edge_lines * 8, "dataset-edges");
  int64_t *scramble = random_order(n, 5);
  int64_t e = 0;
  for (int64_t i = 0; i + 1 < n; i++) {
    /* each edge in both directions, once reversed: duplicates must not matter */
    ds->src[e] = scramble[i];
    ds->dst[e++] = scramble[i + 1];
    ds->src[e] = scramble[i + 1];
    ds->dst[e++] = scramble[i];
  }
  ds->src[e] = ds->dst[e] = scramble[7]; /* and one self loop */
  int64_t *order = NULL;
  gs_error err;
  GS_ASSERT_OK(gs_dataset_order_rcm(&order, ds, &err), err);
  ck_assert(is_permutation(order, n));
  GS_ASSERT_OK(gs_dataset_permute(ds, order, &err), err);
  double mean;
  int64_t max;
  edge_spans(ds, &mean, &max);
  ck_assert_int_eq(max, 1);
  ck_assert_double_eq(mean, 1.0);
  gs_mem_free(order);
  free(scramble);
  gs_dataset_free(&ds);
  ck_assert_int_eq(gs_mem_current(), before);
}
END_TEST

START_TEST(test_rcm_rejects_bad_input) {
  int64_t before = gs_mem_current();
  gs_dataset *ds = load_ok("cora", false);
  int64_t *order = NULL;
  gs_error err;
  ck_assert_int_eq(gs_dataset_order_rcm(NULL, ds, &err), GS_ERR_INVALID);
  ck_assert_int_eq(gs_dataset_order_rcm(&order, NULL, &err), GS_ERR_INVALID);
  const int64_t saved = ds->dst[9];
  ds->dst[9] = ds->num_nodes;
  ck_assert_int_eq(gs_dataset_order_rcm(&order, ds, &err), GS_ERR_RANGE);
  ck_assert_msg(strstr(err.msg, "edge line 9"), "%s", err.msg);
  ds->dst[9] = saved;
  const int64_t n = ds->num_nodes;
  ds->num_nodes = 0;
  ck_assert_int_eq(gs_dataset_order_rcm(&order, ds, &err), GS_ERR_INVALID);
  ds->num_nodes = n;
  ck_assert_ptr_null(order);
  /* Edge lines and nothing else (no features, labels or split) permute too. */
  gs_dataset_options o = gs_dataset_options_default();
  o.load_features = false;
  gs_dataset *bare = NULL;
  GS_ASSERT_OK(gs_dataset_load(&bare, gs_test_data("cora"), &o, &err), err);
  gs_mem_free(bare->labels);
  bare->labels = NULL;
  GS_ASSERT_OK(gs_dataset_order_rcm(&order, bare, &err), err);
  GS_ASSERT_OK(gs_dataset_permute(bare, order, &err), err);
  gs_mem_free(order);
  gs_dataset_free(&bare);
  gs_dataset_free(&ds);
  ck_assert_int_eq(gs_mem_current(), before);
}
END_TEST

Suite *gs_permute_suite(void) {
  Suite *s = suite_create("permute");
  TCase *perm = tcase_create("permute");
  tcase_set_timeout(perm, 120);
  tcase_add_test(perm, test_permute_then_inverse_restores_sparse);
  tcase_add_test(perm, test_permute_then_inverse_restores_dense);
  tcase_add_test(perm, test_permute_cycles_and_unlabelled_nodes);
  tcase_add_test(perm, test_permute_rejects_non_permutation);
  tcase_add_test(perm, test_permute_allocation_failures_leave_dataset_untouched);
  suite_add_tcase(s, perm);

  TCase *rcm = tcase_create("rcm");
  tcase_set_timeout(rcm, 60);
  tcase_add_test(rcm, test_rcm_cora_shortens_edges);
  tcase_add_test(rcm, test_rcm_path_gets_bandwidth_one);
  tcase_add_test(rcm, test_rcm_rejects_bad_input);
  suite_add_tcase(s, rcm);
  return s;
}
