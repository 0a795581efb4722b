/* Tests of Cluster-GCN: the induced subgraph of chosen parts (hand graph: kept and dropped
 * links, per-batch degrees, diagonal enhancement; all parts of cora: the full Â bit for bit),
 * capacity errors, the predicted peak equal to the counted peak of a training run, and
 * Cluster-GCN learning cora; store-backed batches training bit for bit as in-memory ones,
 * within their buffers, and a damaged store refused; whole-graph evaluation equal to the
 * full-batch forward pass of the same weights. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/flops.h"
#include "core/mem.h"
#include "core/status.h"
#include "datasets/dataset.h"
#include "datasets/store.h"
#include "gnn/cluster.h"
#include "gnn/loss.h"
#include "gnn/model.h"
#include "scaling/cluster_cost.h"
#include "sparse/graph.h"
#include "sparse/partition.h"
#include "sparse/subgraph.h"
#include "tests/test_counts.h"
#include "tests/test_files.h"
#include "tests/test_helpers.h"

Suite *gs_cluster_suite(void);

#define VALUE_TOL 1e-6
/* Cluster-GCN on cora (10 parts, 2 per batch, 2 x 16, 100 epochs) reaches about 78% on this
 * split; full batch about 81%. */
#define CORA_CLUSTER_MIN_ACC 0.72
/* The epoch priced from the average batch: counts rounded up to whole nodes and entries per
 * batch, so its FLOPs exceed the counted ones by at most a few per thousand on cora. */
#define EPOCH_FLOPS_REL_TOL 3e-3
#define SECONDS_REL_TOL 1e-12
/* The priced epoch's build bytes against the counted: batches rounded up to whole nodes and
 * entries (cora, 4 parts: a few in ten thousand). */
#define BUILD_BYTES_REL_TOL 1e-3
/* Whole-graph evaluation against the full-batch forward: the same sums in another order and
 * the normalisation applied to rows rather than to each entry. */
#define FULL_EVAL_LOSS_TOL 1e-5

/* Path 0-1-2-3-4-5 in parts {0,1}, {2,3}, {4,5}. */
static const int64_t path_rowptr[7] = {0, 1, 3, 5, 7, 9, 10};
static const uint32_t path_col[10] = {1, 0, 2, 1, 3, 2, 4, 3, 5, 4};
static const int64_t path_parts[4] = {0, 2, 4, 6};

START_TEST(test_induce_path_keeps_links_between_chosen_parts) {
  gs_graph *g = NULL;
  gs_error err;
  GS_ASSERT_OK(gs_graph_batch_new(&g, 6, 16, 3, GS_NORM_SYM, &err), err);
  int32_t chosen[2] = {0, 2};
  GS_ASSERT_OK(gs_graph_induce(g, path_rowptr, path_col, path_parts, chosen, 2, 0.0, &err), err);
  /* Local nodes 0,1 (global 0,1) and 2,3 (global 4,5): edges 0-1 and 2-3 only; 1-2 and 3-4
   * leave the batch. Degrees inside: all 1, so every entry is 1/2. */
  const gs_csr *a = gs_graph_csr(g);
  ck_assert_int_eq(a->nrows, 4);
  ck_assert_int_eq(a->nnz, 8);
  const int64_t want_col[8] = {0, 1, 0, 1, 2, 3, 2, 3};
  for (int k = 0; k < 8; k++) {
    ck_assert_int_eq(a->col[k], want_col[k]);
    ck_assert_double_eq_tol(a->val[k], 0.5, VALUE_TOL);
  }
  /* Adjacent parts 0 and 1: the link 1-2 is kept; node 1 has degree 2 in the batch. */
  int32_t adjacent[2] = {0, 1};
  GS_ASSERT_OK(gs_graph_induce(g, path_rowptr, path_col, path_parts, adjacent, 2, 0.0, &err), err);
  ck_assert_int_eq(a->nnz, 4 + 6);
  ck_assert_double_eq_tol(a->val[a->rowptr[1] + 1], 1.0 / 3.0, VALUE_TOL); /* (1,1): 1/3 */
  ck_assert_double_eq_tol(a->val[a->rowptr[1]], 1.0 / sqrt(6.0), VALUE_TOL); /* (1,0) */
  ck_assert_double_eq_tol(a->val[a->rowptr[1] + 2], 1.0 / 3.0, VALUE_TOL);     /* (1,2) */
  /* Diagonal enhancement: Â + λ diag(Â). */
  GS_ASSERT_OK(gs_graph_induce(g, path_rowptr, path_col, path_parts, adjacent, 2, 1.0, &err), err);
  ck_assert_double_eq_tol(a->val[a->rowptr[1] + 1], 2.0 / 3.0, VALUE_TOL);
  ck_assert_double_eq_tol(a->val[a->rowptr[1]], 1.0 / sqrt(6.0), VALUE_TOL);
  /* Errors. */
  int32_t unsorted[2] = {2, 0};
  ck_assert_int_eq(gs_graph_induce(g, path_rowptr, path_col, path_parts, unsorted, 2, 0, &err),
                   GS_ERR_INVALID);
  gs_graph_free(&g);
  GS_ASSERT_OK(gs_graph_batch_new(&g, 3, 16, 3, GS_NORM_SYM, &err), err);
  ck_assert_int_eq(gs_graph_induce(g, path_rowptr, path_col, path_parts, chosen, 2, 0, &err),
                   GS_ERR_RANGE);
  ck_assert_msg(strstr(err.msg, "capacity"), "%s", err.msg);
  gs_graph_free(&g);
}
END_TEST

/* Writes cora's store and its partition-ordered store (p parts) into the scratch folder and
 * returns the ordered store's path. */
static const char *cora_ordered(int32_t p) {
  gs_dataset *ds = NULL, *st = NULL;
  gs_graph *g = NULL;
  gs_error err;
  gs_dataset_options o = gs_dataset_options_default();
  GS_ASSERT_OK(gs_dataset_load(&ds, gs_test_data("cora"), &o, &err), err);
  GS_ASSERT_OK(gs_dataset_graph_new(&g, ds, GS_NORM_NONE, &err), err);
  const char *base = gs_test_path("cora.store");
  GS_ASSERT_OK(gs_store_write(base, ds, g, 0, NULL, NULL, 0, 0, &err), err);
  GS_ASSERT_OK(gs_store_load(&st, base, &err), err);
  int32_t *part = malloc((size_t)st->num_nodes * sizeof *part);
  GS_ASSERT_OK(gs_partition_kway(part, NULL, st->num_nodes, st->adj_rowptr, st->adj_col, p, 0,
                                 &err), err);
  const char *ordered = gs_test_path("ordered.store");
  GS_ASSERT_OK(gs_store_write_ordered(ordered, st, part, p, 0, 1, &err), err);
  free(part);
  gs_graph_free(&g);
  gs_dataset_free(&st);
  gs_dataset_free(&ds);
  return ordered;
}

/* All parts chosen: the batch is the whole graph, Â bit for bit. */
START_TEST(test_induce_all_parts_is_the_graph) {
  gs_test_make_tmp();
  gs_dataset *ds = NULL;
  gs_graph *full = NULL, *b = NULL;
  gs_error err;
  GS_ASSERT_OK(gs_store_load(&ds, cora_ordered(5), &err), err);
  GS_ASSERT_OK(gs_dataset_graph_new(&full, ds, GS_NORM_SYM, &err), err);
  gs_cluster_capacity cap;
  GS_ASSERT_OK(gs_cluster_capacity_of(&cap, ds, 5, &err), err);
  ck_assert_int_eq(cap.nodes, 2708);
  GS_ASSERT_OK(gs_graph_batch_new(&b, cap.nodes, cap.entries, 5, GS_NORM_SYM, &err), err);
  int32_t all[5] = {0, 1, 2, 3, 4};
  GS_ASSERT_OK(gs_graph_induce(b, ds->adj_rowptr, ds->adj_col, ds->part_start, all, 5, 0, &err),
               err);
  const gs_csr *x = gs_graph_csr(full), *y = gs_graph_csr(b);
  ck_assert_int_eq(x->nnz, y->nnz);
  ck_assert_mem_eq(x->rowptr, y->rowptr, 2709 * sizeof(int64_t));
  ck_assert_mem_eq(x->col, y->col, (size_t)x->nnz * sizeof(int64_t));
  ck_assert_mem_eq(x->val, y->val, (size_t)x->nnz * sizeof(float));
  /* Two parts: gs_graph_induced_size agrees with the built batch. */
  int32_t two[2] = {1, 3};
  int64_t nodes, entries;
  gs_graph_induced_size(ds->adj_rowptr, ds->adj_col, ds->part_start, 5, two, 2, &nodes, &entries);
  GS_ASSERT_OK(gs_graph_induce(b, ds->adj_rowptr, ds->adj_col, ds->part_start, two, 2, 0, &err),
               err);
  ck_assert_int_eq(gs_graph_nodes(b), nodes);
  ck_assert_int_eq(gs_graph_nnz(b), entries);
  gs_graph_free(&b);
  gs_graph_free(&full);
  gs_dataset_free(&ds);
  gs_test_clean_tmp();
}
END_TEST

/* The run as `train --batching cluster` makes it (store-backed batches): the counted peak from
 * an empty allocator is the predicted one, byte for byte; the resident data (the reader and
 * the batch state with its read buffers) stays a fraction of the store loaded whole; and
 * Cluster-GCN learns cora. */
START_TEST(test_cluster_peak_predicted_and_learns_cora) {
  gs_test_make_tmp();
  gs_error err;
  const char *path = cora_ordered(10);
  gs_store_info info;
  GS_ASSERT_OK(gs_store_read_info(&info, path, &err), err);
  gs_store_reader *src = NULL;
  gs_cluster *c = NULL;
  gs_model *m = NULL;
  const int64_t base = gs_mem_current();
  gs_mem_reset_peak();
  GS_ASSERT_OK(gs_store_reader_open(&src, path, &err), err);
  gs_cluster_capacity cap;
  GS_ASSERT_OK(gs_cluster_capacity_of_store(&cap, src, 2, &err), err);
  gs_cluster_options co = gs_cluster_options_default();
  co.clusters_per_batch = 2;
  GS_ASSERT_OK(gs_cluster_new_store(&c, src, &cap, GS_FEATPREP_ROWNORM, &co, &err), err);
  const int64_t data_bytes = gs_mem_current() - base;
  gs_model_config cfg = gs_model_config_default();
  const gs_model_shape shape = gs_cluster_shape_of(
      &cap, info.file_features, info.feature_kind == GS_FEATURES_SPARSE, info.num_classes,
      GS_NORM_SYM);
  GS_ASSERT_OK(gs_model_new_capacity(&m, &cfg, &shape, &err), err);
  gs_train_options t = gs_train_options_default();
  t.epochs = 100;
  gs_train_result r;
  GS_ASSERT_OK(gs_cluster_train(&r, m, c, &t, &err), err);
  const int64_t counted = gs_mem_peak() - base;
  gs_cluster_cost pred;
  GS_ASSERT_OK(
      gs_cluster_cost_estimate(&pred, &cfg, &info, &cap, GS_NORM_SYM, false, t.epochs, &err), err);
  ck_assert_int_eq(pred.peak_bytes, counted);
  ck_assert_int_eq(pred.dataset_bytes + pred.state_bytes, data_bytes);
  /* 2 of 10 parts (the largest two with their boundary rows): well under half of the store. */
  ck_assert_msg(2 * data_bytes < gs_store_load_bytes(&info), "%lld resident of %lld",
                (long long)data_bytes, (long long)gs_store_load_bytes(&info));
  ck_assert_msg(r.test_acc >= CORA_CLUSTER_MIN_ACC, "test accuracy %f", r.test_acc);
  gs_model_free(&m);
  gs_cluster_free(&c);
  gs_store_reader_free(&src);
  ck_assert_int_eq(gs_mem_current(), base);
  gs_test_clean_tmp();
}
END_TEST

/* Trains q-of-10-parts Cluster-GCN on the store at path for a few epochs, from the store loaded
 * whole (store_backed false) or read per batch; gives the result and the final parameters
 * (malloc'd). */
static float *train_cora_cluster(gs_train_result *r, int64_t *nparams, gs_feature_stats *fs,
                                 gs_featprep *prep, const char *path, bool store_backed,
                                 int32_t q) {
  gs_error err;
  gs_dataset *ds = NULL;
  gs_store_reader *src = NULL;
  gs_cluster *c = NULL;
  gs_model *m = NULL;
  gs_cluster_capacity cap;
  gs_cluster_options co = gs_cluster_options_default();
  co.clusters_per_batch = q;
  co.diag_lambda = 0.5;
  gs_model_shape shape;
  if (store_backed) {
    GS_ASSERT_OK(gs_store_reader_open(&src, path, &err), err);
    GS_ASSERT_OK(gs_cluster_capacity_of_store(&cap, src, q, &err), err);
    GS_ASSERT_OK(gs_cluster_new_store(&c, src, &cap, GS_FEATPREP_AUTO, &co, &err), err);
    *prep = gs_cluster_prep(c, fs);
    const gs_store_info *info = gs_store_reader_info(src);
    shape = gs_cluster_shape_of(&cap, info->file_features,
                                info->feature_kind == GS_FEATURES_SPARSE, info->num_classes,
                                GS_NORM_SYM);
  } else {
    GS_ASSERT_OK(gs_store_load(&ds, path, &err), err);
    *prep = gs_dataset_prepare_features(ds, GS_FEATPREP_AUTO);
    *fs = ds->features_stats;
    GS_ASSERT_OK(gs_cluster_capacity_of(&cap, ds, q, &err), err);
    GS_ASSERT_OK(gs_cluster_new(&c, ds, &cap, &co, &err), err);
    shape = gs_cluster_shape(&cap, ds, GS_NORM_SYM);
  }
  gs_model_config cfg = gs_model_config_default();
  cfg.dropout = 0.5f;
  GS_ASSERT_OK(gs_model_new_capacity(&m, &cfg, &shape, &err), err);
  gs_train_options t = gs_train_options_default();
  t.epochs = 6;
  GS_ASSERT_OK(gs_cluster_train(r, m, c, &t, &err), err);
  *nparams = gs_model_layout_of(m)->params;
  float *params = malloc((size_t)*nparams * sizeof *params);
  memcpy(params, gs_model_params(m), (size_t)*nparams * sizeof *params);
  gs_model_free(&m);
  gs_cluster_free(&c);
  gs_store_reader_free(&src);
  gs_dataset_free(&ds);
  return params;
}

/* Batches read from the store per batch train exactly as batches cut from the store loaded
 * whole: same losses, accuracies and parameters, bit for bit (dropout, diagonal enhancement
 * and auto's row scaling included). */
START_TEST(test_cluster_store_backed_matches_in_memory) {
  gs_test_make_tmp();
  const char *path = cora_ordered(10);
  gs_train_result a, b;
  int64_t na = 0, nb = 0;
  gs_feature_stats fa, fb;
  gs_featprep prep_a, prep_b;
  float *pa = train_cora_cluster(&a, &na, &fa, &prep_a, path, false, 3);
  float *pb = train_cora_cluster(&b, &nb, &fb, &prep_b, path, true, 3);
  /* auto chose the same from the same statistics, gathered part by part. */
  ck_assert_int_eq(prep_a, prep_b);
  ck_assert_int_eq(prep_a, GS_FEATPREP_ROWNORM);
  ck_assert(fa.mean_row_nnz == fb.mean_row_nnz && fa.row_sum_cv == fb.row_sum_cv &&
            fa.max_row_sum == fb.max_row_sum && fa.binary == fb.binary);
  ck_assert_int_eq(na, nb);
  ck_assert_mem_eq(pa, pb, (size_t)na * sizeof *pa);
  ck_assert(a.final_train_loss == b.final_train_loss);
  ck_assert(a.best_val_loss == b.best_val_loss);
  ck_assert(a.test_acc == b.test_acc);
  ck_assert_int_eq(a.best_epoch, b.best_epoch);
  free(pa);
  free(pb);
  gs_test_clean_tmp();
}
END_TEST

/* The reader refuses a damaged store at open (a flipped feature byte, a truncated file, a
 * store without parts), and a batch state too small for the batches stops with GS_ERR_RANGE
 * instead of writing past its buffers. */
START_TEST(test_cluster_store_reader_refuses_damage_and_overflow) {
  gs_test_make_tmp();
  gs_error err;
  const char *path = cora_ordered(4);
  gs_store_info info;
  GS_ASSERT_OK(gs_store_read_info(&info, path, &err), err);
  gs_store_reader *src = NULL;
  /* Capacity of one part, batches of two. */
  GS_ASSERT_OK(gs_store_reader_open(&src, path, &err), err);
  gs_cluster_capacity one;
  GS_ASSERT_OK(gs_cluster_capacity_of_store(&one, src, 1, &err), err);
  one.clusters_per_batch = 2;
  gs_cluster_options co = gs_cluster_options_default();
  co.clusters_per_batch = 2;
  gs_cluster *c = NULL;
  gs_model *m = NULL;
  GS_ASSERT_OK(gs_cluster_new_store(&c, src, &one, GS_FEATPREP_ROWNORM, &co, &err), err);
  gs_model_config cfg = gs_model_config_default();
  const gs_model_shape shape = gs_cluster_shape_of(&one, info.file_features, true,
                                                   info.num_classes, GS_NORM_SYM);
  GS_ASSERT_OK(gs_model_new_capacity(&m, &cfg, &shape, &err), err);
  gs_train_options t = gs_train_options_default();
  t.epochs = 1;
  gs_train_result r;
  ck_assert_int_eq(gs_cluster_train(&r, m, c, &t, &err), GS_ERR_RANGE);
  ck_assert_msg(strstr(err.msg, "capacity"), "%s", err.msg);
  gs_model_free(&m);
  gs_cluster_free(&c);
  gs_store_reader_free(&src);
  /* A flipped byte in the middle of the feature values. */
  gs_test_flip_byte(path, 4096 + (long)(info.file_bytes - 4096) / 2);
  ck_assert_int_eq(gs_store_reader_open(&src, path, &err), GS_ERR_PARSE);
  ck_assert_msg(strstr(err.msg, "checksum mismatch"), "%s", err.msg);
  ck_assert_ptr_null(src);
  /* Truncated. */
  ck_assert_int_eq(truncate(path, info.file_bytes - 64), 0);
  ck_assert_int_eq(gs_store_reader_open(&src, path, &err), GS_ERR_PARSE);
  ck_assert_msg(strstr(err.msg, "truncated"), "%s", err.msg);
  /* The dataset's own store has no parts. */
  ck_assert_int_eq(gs_store_reader_open(&src, gs_test_path("cora.store"), &err), GS_ERR_INVALID);
  ck_assert_msg(strstr(err.msg, "partition-ordered"), "%s", err.msg);
  gs_test_clean_tmp();
}
END_TEST

/* Entries of the graph (each direction) between different parts of a partition-ordered store,
 * counted from the adjacency: twice the edge cut. */
static int64_t cut_entries(const gs_dataset *ds) {
  int64_t cut = 0;
  for (int32_t p = 0; p < ds->parts; p++)
    for (int64_t v = ds->part_start[p]; v < ds->part_start[p + 1]; v++)
      for (int64_t e = ds->adj_rowptr[v]; e < ds->adj_rowptr[v + 1]; e++)
        if ((int64_t)ds->adj_col[e] < ds->part_start[p] ||
            (int64_t)ds->adj_col[e] >= ds->part_start[p + 1])
          cut++;
  return cut;
}

/* Cora's partition-ordered store of `parts` parts loaded whole, features row-normalised; its
 * header in *info. */
static gs_dataset *cora_loaded(int32_t parts, gs_store_info *info) {
  gs_error err;
  const char *path = cora_ordered(parts);
  GS_ASSERT_OK(gs_store_read_info(info, path, &err), err);
  gs_dataset *ds = NULL;
  GS_ASSERT_OK(gs_store_load(&ds, path, &err), err);
  gs_dataset_row_normalize(ds);
  return ds;
}

/* One batch per part (Q = 1) keeps exactly the links inside each part, so the priced epoch's
 * entries are the graph's less the cut, and its FLOPs (B batches of the average batch) are
 * those the kernels count in one epoch of gs_cluster_train, training and evaluation. */
START_TEST(test_cluster_time_prices_the_epochs_work) {
  gs_test_make_tmp();
  gs_error err;
  const int32_t P = 4;
  gs_store_info info;
  gs_dataset *ds = cora_loaded(P, &info);
  gs_cluster *c = NULL;
  gs_model *m = NULL;
  const int64_t cut = cut_entries(ds);
  gs_cluster_capacity cap;
  GS_ASSERT_OK(gs_cluster_capacity_of(&cap, ds, 1, &err), err);
  gs_cluster_options co = gs_cluster_options_default();
  GS_ASSERT_OK(gs_cluster_new(&c, ds, &cap, &co, &err), err);
  gs_model_config cfg = gs_model_config_default();
  const gs_model_shape shape = gs_cluster_shape(&cap, ds, GS_NORM_SYM);
  GS_ASSERT_OK(gs_model_new_capacity(&m, &cfg, &shape, &err), err);
  gs_train_options t = gs_train_options_default();
  t.epochs = 1;
  gs_train_result r;
  gs_flops_reset();
  GS_ASSERT_OK(gs_cluster_train(&r, m, c, &t, &err), err);
  int64_t counted = 0;
  for (int k = 0; k < GS_FLOPS_CATEGORIES; k++) counted += gs_flops_get((gs_flops_category)k);

  gs_cost_options copt = gs_cost_options_default();
  copt.model = cfg;
  const gs_profile prof = gs_profile_default();
  gs_cluster_time ct;
  GS_ASSERT_OK(gs_cluster_cost_time(&ct, cfg.depth, cfg.width, &copt, &info, GS_NORM_SYM,
                                    GS_FEATPREP_ROWNORM, P, 1, cut / 2, &prof, &err), err);
  ck_assert_int_eq(ct.batches, P);
  ck_assert_double_eq_tol(ct.epoch_entries,
                          (double)(info.graph.nodes + info.graph.symmetric_entries - cut), 0.5);
  const double priced = (double)P * (double)ct.batch.epoch.total;
  ck_assert_msg(priced >= (double)counted && priced <= (1 + EPOCH_FLOPS_REL_TOL) * (double)counted,
                "priced %.0f FLOPs, counted %lld", priced, (long long)counted);
  /* The epoch is the batches' steps, evaluations, builds and binds, B times over. */
  const double per_batch = ct.batch.seconds_train + ct.batch.seconds_eval +
                           2.0 * (ct.seconds_build + ct.seconds_bind);
  ck_assert_double_eq_tol(ct.seconds_per_epoch, P * per_batch,
                          SECONDS_REL_TOL * ct.seconds_per_epoch);
  ck_assert(ct.seconds_build > 0.0 && ct.seconds_bind > 0.0); /* cora's features are sparse */
  gs_model_free(&m);
  gs_cluster_free(&c);
  gs_dataset_free(&ds);
  gs_test_clean_tmp();
}
END_TEST

/* |counted - priced| for each count of w: the priced epoch is B copies of the average batch,
 * each count rounded up to whole nodes or entries, so it exceeds the counted by less than one
 * per batch priced (`slack`); counts that need no rounding are equal. */
static void assert_work_as_priced(const gs_cluster_work *counted, const gs_cluster_work *priced,
                                  int64_t slack) {
  const int64_t *c = (const int64_t *)counted, *p = (const int64_t *)priced;
  static const char *const names[] = {"parts", "rows", "row_entries", "label_rows",
                                      "feature_rows", "feature_nnz", "batches", "batch_rows",
                                      "batch_row_entries", "kept", "bound", "bound_rows",
                                      "bound_nnz"};
  ck_assert_int_eq(sizeof names / sizeof names[0], sizeof *counted / sizeof(int64_t));
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    ck_assert_msg(p[i] >= c[i] && p[i] - c[i] <= slack, "%s: counted %lld, priced %lld",
                  names[i], (long long)c[i], (long long)p[i]);
}

/* The work of building and binding the batches, as the store-backed builder counts it
 * (gs_cluster_work_done), is the work the epoch's price counts (epoch_work: 2B batches of the
 * average batch, one part each, so the entries kept are the graph's less the cut), and so are
 * its bytes; with the whole-graph evaluation, every part's reads, layer by layer, too (beside
 * the first epoch's pass for the degrees). No clock: counts only. */
START_TEST(test_cluster_build_work_counted_as_priced) {
  gs_test_make_tmp();
  gs_error err;
  const int32_t P = 4;
  gs_store_info info;
  gs_dataset *ds = cora_loaded(P, &info);
  const int64_t cut = cut_entries(ds), n = info.graph.nodes, S = info.graph.symmetric_entries;
  gs_store_reader *src = NULL;
  GS_ASSERT_OK(gs_store_reader_open(&src, cora_ordered(P), &err), err);
  const gs_profile prof = gs_profile_default();
  for (int full = 0; full < 2; full++) {
    gs_cluster_capacity cap;
    GS_ASSERT_OK(gs_cluster_capacity_of_store(&cap, src, 1, &err), err);
    gs_cluster_options co = gs_cluster_options_default();
    co.eval_full = full;
    gs_cluster *c = NULL;
    gs_model *m = NULL;
    GS_ASSERT_OK(gs_cluster_new_store(&c, src, &cap, GS_FEATPREP_L2, &co, &err), err);
    gs_model_config cfg = gs_model_config_default();
    const gs_model_shape shape =
        gs_cluster_shape_of(&cap, info.file_features, true, info.num_classes, GS_NORM_SYM);
    GS_ASSERT_OK(gs_model_new_capacity(&m, &cfg, &shape, &err), err);
    gs_train_options t = gs_train_options_default();
    t.epochs = 1;
    gs_train_result r;
    GS_ASSERT_OK(gs_cluster_train(&r, m, c, &t, &err), err);
    gs_cluster_work counted = gs_cluster_work_done(c);
    gs_cost_options copt = gs_cost_options_default();
    copt.model = cfg;
    gs_cluster_time ct;
    GS_ASSERT_OK(gs_cluster_cost_time(&ct, cfg.depth, cfg.width, &copt, &info, GS_NORM_SYM,
                                      GS_FEATPREP_L2, P, 1, cut / 2, &prof, &err), err);
    if (full) {
      GS_ASSERT_OK(gs_cluster_cost_time_eval_full(&ct, cfg.depth, cfg.width, &copt, &info,
                                                  GS_NORM_SYM, GS_FEATPREP_L2, &prof, &err),
                   err);
      counted.parts -= P; /* the degrees' pass, first epoch only */
      counted.rows -= n;
      counted.row_entries -= S;
    }
    const int64_t batches = full ? P : 2 * P;
    ck_assert_int_eq(counted.batches, batches);
    ck_assert_int_eq(counted.kept, (batches / P) * (n + S - cut));
    assert_work_as_priced(&counted, &ct.epoch_work, batches);
    const gs_build_bytes bc = gs_build_work_bytes(&counted, info.file_features, true,
                                                  GS_NORM_SYM, true, P);
    const gs_build_bytes bp = gs_build_work_bytes(&ct.epoch_work, info.file_features, true,
                                                  GS_NORM_SYM, true, P);
    ck_assert_double_eq_tol(bp.copied, bc.copied, BUILD_BYTES_REL_TOL * bc.copied);
    ck_assert_double_eq_tol(bp.looped, bc.looped, BUILD_BYTES_REL_TOL * bc.looped);
    ck_assert_double_eq_tol(bp.bound, bc.bound, BUILD_BYTES_REL_TOL * bc.bound);
    /* The epoch's price is its batches' (and reads'): B builds and binds of one batch each. */
    if (!full)
      ck_assert_double_eq_tol(
          ct.seconds_build_epoch,
          gs_build_work_seconds(&bp, &prof), SECONDS_REL_TOL * ct.seconds_build_epoch);
    gs_model_free(&m);
    gs_cluster_free(&c);
  }
  gs_store_reader_free(&src);
  gs_dataset_free(&ds);
  gs_test_clean_tmp();
}
END_TEST

/* All parts in one batch: the batch is the graph, priced as the full-batch epoch of the same
 * counts (gs_cost_estimate), plus building and binding it; an unknown cut prices every link
 * (the upper bound); more parts per batch cost fewer steps but never fewer entries. */
START_TEST(test_cluster_time_one_batch_is_full_batch) {
  gs_error err;
  const gs_cost_data d = gs_test_cora_counts();
  gs_store_info info;
  memset(&info, 0, sizeof info);
  info.graph.nodes = d.nodes;
  info.graph.symmetric_entries = d.symmetric_entries;
  info.file_features = d.file_features;
  info.feature_kind = GS_FEATURES_SPARSE;
  info.feature_nnz = d.feature_nnz;
  info.num_classes = (int32_t)d.classes;
  info.num_train = d.num_train;
  info.num_valid = d.num_valid;
  info.num_test = d.num_test;
  const gs_profile prof = gs_profile_default();
  gs_cost_options copt = gs_cost_options_default();
  gs_cluster_time one, cut, few;
  GS_ASSERT_OK(gs_cluster_cost_time(&one, 2, 16, &copt, &info, GS_NORM_SYM, GS_FEATPREP_L2, 8, 8, -1, &prof, &err),
               err);
  gs_cost full;
  GS_ASSERT_OK(gs_cost_estimate(&full, 2, 16, d.file_features, &copt, &d, &prof, &err), err);
  ck_assert_int_eq(one.batches, 1);
  ck_assert_int_eq(one.batch_entries, d.adj_nnz);
  ck_assert_double_eq_tol(one.seconds_per_epoch - 2.0 * (one.seconds_build + one.seconds_bind),
                          full.seconds_per_epoch, SECONDS_REL_TOL * full.seconds_per_epoch);
  ck_assert(one.seconds_build > 0.0 && one.seconds_bind > 0.0); /* sparse: Xᵀ rebuilt */
  /* Whole-graph evaluation: the full-batch evaluation forward, plus the store's bytes read. */
  gs_cluster_time whole = one;
  GS_ASSERT_OK(gs_cluster_cost_time_eval_full(&whole, 2, 16, &copt, &info, GS_NORM_SYM,
                                              GS_FEATPREP_L2, &prof, &err), err);
  ck_assert(whole.eval_read_bytes.copied > 2.0 * 12.0 * (double)d.feature_nnz);
  /* its two layers' products scaled by D^-1/2: n x 16 and n x classes floats, 8 bytes each */
  const gs_build_bytes scale = {8.0 * (double)d.nodes * (16.0 + (double)d.classes), 0.0, 0.0};
  ck_assert_double_eq_tol(whole.seconds_eval - gs_build_work_seconds(&whole.eval_read_bytes, &prof) -
                              gs_build_work_seconds(&scale, &prof),
                          full.seconds_eval, SECONDS_REL_TOL * full.seconds_eval);
  ck_assert_double_eq_tol(whole.seconds_per_epoch, whole.seconds_train + whole.seconds_eval,
                          SECONDS_REL_TOL * whole.seconds_per_epoch);
  /* A cut of 1000 edges (2000 of the 10556 entries) and batches of 2 of 8 parts keep 1/7 of
   * the cut entries over the epoch. */
  GS_ASSERT_OK(gs_cluster_cost_time(&cut, 2, 16, &copt, &info, GS_NORM_SYM, GS_FEATPREP_L2, 8, 2, 1000, &prof,
                                    &err), err);
  ck_assert_int_eq(cut.batches, 4);
  ck_assert_double_eq_tol(cut.epoch_entries, 2708.0 + 8556.0 + 2000.0 / 7.0, 1e-9);
  ck_assert_int_eq(cut.batch_nodes, 677);
  GS_ASSERT_OK(gs_cluster_cost_time(&few, 2, 16, &copt, &info, GS_NORM_SYM, GS_FEATPREP_L2, 8, 2, -1, &prof, &err),
               err);
  ck_assert_double_eq_tol(few.epoch_entries, (double)d.adj_nnz, 1e-9);
  ck_assert(few.batch.epoch.total > cut.batch.epoch.total);
  ck_assert_int_eq(
      gs_cluster_cost_time(&few, 2, 16, &copt, &info, GS_NORM_SYM, GS_FEATPREP_L2, 8, 9, -1, &prof, &err),
      GS_ERR_INVALID);
  ck_assert_int_eq(
      gs_cluster_cost_time(&few, 2, 16, &copt, &info, GS_NORM_SYM, GS_FEATPREP_L2, 8, 2, -1, NULL, &err),
      GS_ERR_INVALID);
}
END_TEST

/* Whole-graph evaluation (eval_full) of a Cluster-GCN model is the full-batch forward pass of
 * the same weights on the whole graph: the same validation loss and accuracies; and its
 * buffers are priced exactly, with two layers resident or one spilled to disk (the same
 * figures bit for bit). Deep stacks are refused with their reason. */
START_TEST(test_cluster_full_eval_is_the_full_batch_forward) {
  gs_test_make_tmp();
  gs_error err;
  gs_store_info info;
  gs_dataset *ds = cora_loaded(4, &info);
  gs_cluster *c = NULL;
  gs_model *m = NULL, *full = NULL;
  gs_graph *g = NULL;
  gs_cluster_capacity cap;
  GS_ASSERT_OK(gs_cluster_capacity_of(&cap, ds, 2, &err), err);
  gs_cluster_options co = gs_cluster_options_default();
  co.clusters_per_batch = 2;
  co.eval_full = true;
  GS_ASSERT_OK(gs_cluster_new(&c, ds, &cap, &co, &err), err);
  gs_model_config cfg = gs_model_config_default();
  const gs_model_shape shape = gs_cluster_shape(&cap, ds, GS_NORM_SYM);
  GS_ASSERT_OK(gs_model_new_capacity(&m, &cfg, &shape, &err), err);
  gs_train_options t = gs_train_options_default();
  t.epochs = 3;
  t.patience = 0;
  gs_train_result r;
  const int64_t base = gs_mem_current();
  gs_mem_reset_peak();
  GS_ASSERT_OK(gs_cluster_train(&r, m, c, &t, &err), err);
  const int64_t grew = gs_mem_peak() - base;
  /* The last epoch's weights, evaluated full-batch: the same figures when it was the best. */
  ck_assert_int_eq(r.best_epoch, 3);
  GS_ASSERT_OK(gs_dataset_graph_new(&g, ds, GS_NORM_SYM, &err), err);
  GS_ASSERT_OK(gs_model_new(&full, &cfg, g, &ds->x, ds->num_classes, &err), err);
  memcpy(gs_model_params(full), gs_model_params(m),
         (size_t)gs_model_layout_of(m)->params * sizeof(float));
  const float *logits = NULL;
  GS_ASSERT_OK(gs_model_forward(full, false, 1, &logits, &err), err);
  const int64_t n = ds->num_nodes, k = ds->num_classes;
  const double val_loss =
      gs_softmax_xent(NULL, logits, ds->labels, ds->valid, ds->num_valid, n, k);
  ck_assert_double_eq_tol(r.best_val_loss, val_loss, FULL_EVAL_LOSS_TOL);
  ck_assert_double_eq_tol(r.best_val_acc,
                          gs_accuracy(logits, ds->labels, ds->valid, ds->num_valid, k),
                          1.0 / (double)ds->num_valid);
  ck_assert_double_eq_tol(r.test_acc, gs_accuracy(logits, ds->labels, ds->test, ds->num_test, k),
                          1.0 / (double)ds->num_test);
  /* Its buffers, beside the log: D^-1/2 and two layers of n x 16 floats. */
  const int64_t eval_bytes = gs_cluster_full_eval_bytes(n, gs_model_layout_of(m));
  ck_assert_int_eq(eval_bytes, 4 * n + 2 * 4 * n * 16);
  ck_assert_int_eq(grew, (4 + GS_FLOPS_CATEGORIES) * 8 * t.epochs + eval_bytes);
  /* One layer resident, the other spilled to disk part by part: the same figures bit for bit,
   * in the smaller buffers it is priced at (the cost model's too). */
  gs_cluster *cs = NULL;
  gs_model *ms = NULL;
  co.eval_spill = true;
  GS_ASSERT_OK(gs_cluster_new(&cs, ds, &cap, &co, &err), err);
  GS_ASSERT_OK(gs_model_new_capacity(&ms, &cfg, &shape, &err), err);
  gs_train_result rs;
  const int64_t base_s = gs_mem_current();
  gs_mem_reset_peak();
  GS_ASSERT_OK(gs_cluster_train(&rs, ms, cs, &t, &err), err);
  const int64_t grew_s = gs_mem_peak() - base_s;
  ck_assert(rs.best_val_loss == r.best_val_loss);
  ck_assert(rs.best_val_acc == r.best_val_acc);
  ck_assert(rs.test_acc == r.test_acc);
  ck_assert_int_eq(rs.best_epoch, r.best_epoch);
  const int64_t spill_bytes = gs_cluster_full_eval_spill_bytes(n, cap.nodes, gs_model_layout_of(ms));
  ck_assert_int_eq(spill_bytes, 4 * n + 4 * (n + cap.nodes) * 16);
  ck_assert_int_lt(spill_bytes, eval_bytes);
  ck_assert_int_eq(grew_s, (4 + GS_FLOPS_CATEGORIES) * 8 * t.epochs + spill_bytes);
  gs_cluster_cost pc;
  GS_ASSERT_OK(gs_cluster_cost_estimate(&pc, &cfg, &info, &cap, GS_NORM_SYM, GS_CLUSTER_EVAL_SPILL,
                                        t.epochs, &err), err);
  ck_assert_int_eq(pc.eval_bytes, spill_bytes);
  GS_ASSERT_OK(gs_cluster_cost_estimate(&pc, &cfg, &info, &cap, GS_NORM_SYM, GS_CLUSTER_EVAL_FULL,
                                        t.epochs, &err), err);
  ck_assert_int_eq(pc.eval_bytes, eval_bytes);
  gs_model_free(&ms);
  gs_cluster_free(&cs);
  /* A residual, normalised stack is not a plain GCN: refused, saying why. */
  gs_model_config deep = cfg;
  deep.depth = 4;
  deep.residual = true;
  deep.norm = true;
  gs_model *d = NULL;
  GS_ASSERT_OK(gs_model_new_capacity(&d, &deep, &shape, &err), err);
  ck_assert_int_eq(gs_cluster_train(&r, d, c, &t, &err), GS_ERR_INVALID);
  ck_assert_ptr_nonnull(strstr(err.msg, "plain GCN"));
  gs_model_free(&d);
  gs_model_free(&full);
  gs_graph_free(&g);
  gs_model_free(&m);
  gs_cluster_free(&c);
  gs_dataset_free(&ds);
  gs_test_clean_tmp();
}
END_TEST

Suite *gs_cluster_suite(void) {
  Suite *s = suite_create("cluster");
  TCase *t = tcase_create("cluster");
  tcase_set_timeout(t, 120);
  tcase_add_test(t, test_induce_path_keeps_links_between_chosen_parts);
  tcase_add_test(t, test_induce_all_parts_is_the_graph);
  tcase_add_test(t, test_cluster_peak_predicted_and_learns_cora);
  tcase_add_test(t, test_cluster_store_backed_matches_in_memory);
  tcase_add_test(t, test_cluster_store_reader_refuses_damage_and_overflow);
  tcase_add_test(t, test_cluster_build_work_counted_as_priced);
  tcase_add_test(t, test_cluster_time_prices_the_epochs_work);
  tcase_add_test(t, test_cluster_time_one_batch_is_full_batch);
  tcase_add_test(t, test_cluster_full_eval_is_the_full_batch_forward);
  suite_add_tcase(s, t);
  return s;
}
