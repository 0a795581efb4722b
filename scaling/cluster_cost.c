/* Cluster-GCN's memory from counts (cluster_cost.h): the same buffers, in the same order, as
 * gs_store_reader_open, gs_cluster_new_store, gs_model_new_capacity and gs_cluster_train
 * allocate. */
#include "scaling/cluster_cost.h"

#include <math.h>
#include <string.h>

#include "core/flops.h"

gs_status gs_cluster_cost_estimate(gs_cluster_cost *out, const gs_model_config *cfg,
                                   const gs_store_info *info, const gs_cluster_capacity *cap,
                                   gs_norm norm, gs_cluster_eval eval, int32_t epochs,
                                   gs_error *err) {
  gs_store_info ordered = *info;
  ordered.parts = cap->parts; /* the reader holds the part boundaries of the ordered store */
  const bool sparse = info->feature_kind == GS_FEATURES_SPARSE;
  const gs_model_shape shape =
      gs_cluster_shape_of(cap, info->file_features, sparse, info->num_classes, norm);
  gs_model_layout L;
  gs_status st = gs_model_layout_make(&L, cfg, &shape, err);
  if (st != GS_OK) return st;
  gs_cluster_cost c;
  memset(&c, 0, sizeof c);
  c.dataset_bytes = gs_store_reader_bytes(&ordered);
  c.state_bytes = gs_cluster_store_state_bytes(cap, info->file_features, sparse, norm);
  c.model_bytes = L.total_bytes + gs_model_object_bytes();
  c.log_bytes = (4 + GS_FLOPS_CATEGORIES) * 8 * (int64_t)epochs; /* gs_cluster_train's logs */
  c.eval_bytes = eval == GS_CLUSTER_EVAL_SPILL
                     ? gs_cluster_full_eval_spill_bytes(info->graph.nodes, cap->nodes, &L)
                 : eval == GS_CLUSTER_EVAL_FULL ? gs_cluster_full_eval_bytes(info->graph.nodes, &L)
                                                : 0;
  c.peak_bytes = c.dataset_bytes + c.state_bytes + c.model_bytes + c.log_bytes + c.eval_bytes;
  /* Opening the store streams it through a buffer freed before the batches are allocated:
   * the peak is the larger of the two moments. */
  const int64_t opening = gs_store_reader_open_peak_bytes(&ordered);
  if (opening > c.peak_bytes) c.peak_bytes = opening;
  *out = c;
  return GS_OK;
}

gs_cluster_capacity gs_cluster_cost_capacity_estimate(const gs_store_info *info, int32_t parts,
                                                      int32_t q) {
  const double balance = 1.03, n = (double)info->graph.nodes;
  const double share = balance * (double)q / (double)parts;
  gs_cluster_capacity c = {.parts = parts, .clusters_per_batch = q};
  c.nodes = (int64_t)ceil(share * n);
  if (c.nodes > info->graph.nodes) c.nodes = info->graph.nodes;
  c.entries = (int64_t)ceil(share * (double)info->graph.symmetric_entries) + c.nodes;
  if (c.entries > info->graph.nnz) c.entries = info->graph.nnz;
  c.feature_nnz = info->feature_kind == GS_FEATURES_SPARSE
                      ? (int64_t)ceil(share * (double)info->feature_nnz)
                      : 0;
  if (c.feature_nnz > info->feature_nnz) c.feature_nnz = info->feature_nnz;
  return c;
}

/* The work of building (and, with sparse features, binding) one batch of nb nodes from q
 * parts whose rows hold row_entries entries, keeping `kept` entries of Â, with fnnz sparse
 * feature entries: what gs_cluster_work_done counts for it. */
static gs_cluster_work batch_work(int32_t q, double nb, double row_entries, double kept,
                                  double fnnz, bool sparse) {
  gs_cluster_work w;
  memset(&w, 0, sizeof w);
  w.parts = q;
  w.rows = w.label_rows = w.feature_rows = w.batch_rows = (int64_t)nb;
  w.row_entries = w.batch_row_entries = (int64_t)row_entries;
  w.feature_nnz = sparse ? (int64_t)fnnz : 0;
  w.batches = 1;
  w.kept = (int64_t)kept;
  if (sparse) {
    w.bound = 1;
    w.bound_rows = (int64_t)nb;
    w.bound_nnz = (int64_t)fnnz;
  }
  return w;
}

/* w scaled by k (whole counts: k copies of a batch's work). */
static gs_cluster_work work_times(const gs_cluster_work *w, int64_t k) {
  gs_cluster_work r = *w;
  int64_t *f = (int64_t *)&r;
  for (size_t i = 0; i < sizeof r / sizeof(int64_t); i++) f[i] *= k;
  return r;
}

static int64_t ceil_div(double a, double b) { return (int64_t)ceil(a / b); }

gs_status gs_cluster_cost_time(gs_cluster_time *out, int32_t depth, int64_t width,
                               const gs_cost_options *opts, const gs_store_info *info,
                               gs_norm norm, gs_featprep prep, int32_t parts, int32_t q,
                               int64_t edge_cut, const gs_profile *profile, gs_error *err) {
  if (!profile || parts < 2 || q < 1 || q > parts)
    return gs_error_set(err, GS_ERR_INVALID,
                        "Cluster-GCN epoch time: %d parts, %d per batch%s", (int)parts, (int)q,
                        profile ? "" : ", no profile");
  gs_cluster_time t;
  memset(&t, 0, sizeof t);
  const double n = (double)info->graph.nodes, S = (double)info->graph.symmetric_entries;
  const bool sparse = info->feature_kind == GS_FEATURES_SPARSE;
  const int32_t B = (parts + q - 1) / q;
  t.batches = B;
  double cut = edge_cut > 0 ? 2.0 * (double)edge_cut / (S > 0 ? S : 1.0) : 0.0;
  if (cut > 1.0) cut = 1.0;
  t.epoch_entries = n + (1.0 - cut) * S + cut * S * (double)(q - 1) / (double)(parts - 1);
  t.batch_nodes = ceil_div(n, B);
  t.batch_entries = ceil_div(t.epoch_entries, B);
  if (t.batch_entries < t.batch_nodes) t.batch_entries = t.batch_nodes;
  t.batch_row_entries = ceil_div(S, B);
  t.batch_feature_nnz = sparse ? ceil_div((double)info->feature_nnz, B) : 0;
  if (t.batch_feature_nnz > t.batch_nodes * info->file_features)
    t.batch_feature_nnz = t.batch_nodes * info->file_features;

  /* The average batch as a dataset of its own, features kept as the store keeps them. */
  gs_cost_data d = gs_cost_data_default();
  d.nodes = t.batch_nodes;
  d.symmetric_entries = t.batch_entries - t.batch_nodes;
  d.edge_lines = d.symmetric_entries / 2;
  d.adj_nnz = t.batch_entries;
  d.norm = norm;
  d.file_features = info->file_features;
  d.feature_nnz = sparse ? t.batch_feature_nnz : t.batch_nodes * info->file_features;
  d.sparse_below = sparse ? 2.0 : 0.0; /* density is below 2 and never below 0 */
  d.classes = info->num_classes;
  d.num_train = ceil_div((double)info->num_train, B);
  d.num_valid = ceil_div((double)info->num_valid, B);
  d.num_test = ceil_div((double)info->num_test, B);
  if (d.num_train + d.num_valid + d.num_test > 3 * d.nodes) /* cannot happen: each <= nodes */
    d.num_test = 0;
  gs_status st = gs_cost_estimate(&t.batch, depth, width, info->file_features, opts, &d, profile,
                                  err);
  if (st != GS_OK) return st;

  const double nb = (double)t.batch_nodes, fnnz = (double)t.batch_feature_nnz;
  t.batch_work = batch_work(q, nb, (double)t.batch_row_entries, (double)t.batch_entries, fnnz,
                            sparse);
  t.epoch_work = work_times(&t.batch_work, 2 * (int64_t)B); /* training and evaluation */
  /* Building binds nothing, binding builds nothing: price the two apart. */
  gs_cluster_work build = t.batch_work, bind = t.batch_work;
  build.bound = build.bound_rows = build.bound_nnz = 0;
  memset(&bind, 0, sizeof bind);
  bind.bound = t.batch_work.bound;
  bind.bound_rows = t.batch_work.bound_rows;
  bind.bound_nnz = t.batch_work.bound_nnz;
  t.build_bytes = gs_build_work_bytes(&build, info->file_features, sparse, norm, prep != GS_FEATPREP_RAW, parts);
  t.bind_bytes = gs_build_work_bytes(&bind, info->file_features, sparse, norm, prep != GS_FEATPREP_RAW, parts);
  t.seconds_build = gs_build_work_seconds(&t.build_bytes, profile);
  t.seconds_bind = gs_build_work_seconds(&t.bind_bytes, profile);
  t.seconds_build_epoch = 2.0 * (double)B * (t.seconds_build + t.seconds_bind);
  for (int c = 0; c < GS_FLOPS_CATEGORIES; c++)
    t.seconds_category[c] = (double)B * t.batch.seconds_category[c];
  t.seconds_train = (double)B * (t.seconds_build + t.seconds_bind + t.batch.seconds_train);
  t.seconds_eval = (double)B * (t.seconds_build + t.seconds_bind + t.batch.seconds_eval);
  t.seconds_per_epoch = t.seconds_train + t.seconds_eval;
  *out = t;
  return GS_OK;
}

gs_status gs_cluster_cost_time_eval_full(gs_cluster_time *t, int32_t depth, int64_t width,
                                         const gs_cost_options *opts, const gs_store_info *info,
                                         gs_norm norm, gs_featprep prep,
                                         const gs_profile *profile, gs_error *err) {
  if (!t || !profile)
    return gs_error_set(err, GS_ERR_INVALID, "whole-graph evaluation time: no profile");
  const bool sparse = info->feature_kind == GS_FEATURES_SPARSE;
  gs_cost_data d = gs_cost_data_default();
  d.nodes = info->graph.nodes;
  d.symmetric_entries = info->graph.symmetric_entries;
  d.edge_lines = d.symmetric_entries / 2;
  d.adj_nnz = d.nodes + d.symmetric_entries;
  d.norm = norm;
  d.file_features = info->file_features;
  d.feature_nnz = sparse ? info->feature_nnz : d.nodes * info->file_features;
  d.sparse_below = sparse ? 2.0 : 0.0;
  d.classes = info->num_classes;
  d.num_train = info->num_train;
  d.num_valid = info->num_valid;
  d.num_test = info->num_test;
  gs_cost whole;
  gs_status st = gs_cost_estimate(&whole, depth, width, info->file_features, opts, &d, profile,
                                  err);
  if (st != GS_OK) return st;
  /* Read from the store part by part, as gs_cluster_work_done counts it: rows and features
   * for the first layer's products, rows for each layer's aggregation, labels with the last
   * (the first epoch reads the rows once more for the degrees: not per epoch). */
  const int64_t n = d.nodes, passes = (int64_t)depth + 1;
  gs_cluster_work reads;
  memset(&reads, 0, sizeof reads);
  reads.parts = passes * info->parts;
  reads.rows = passes * n;
  reads.row_entries = passes * d.symmetric_entries;
  reads.label_rows = n;
  reads.feature_rows = n;
  reads.feature_nnz = sparse ? info->feature_nnz : 0;
  t->eval_read_bytes = gs_build_work_bytes(&reads, d.file_features, sparse, norm,
                                           prep != GS_FEATPREP_RAW, info->parts);
  /* Each layer's products scaled by D^-1/2 row by row on one thread: its n x out floats read
   * and written once more, streamed at the serial copy rate. */
  gs_build_bytes scale = {0.0, 0.0, 0.0};
  for (int32_t l = 0; l < depth; l++)
    scale.copied += 8.0 * (double)n * (double)(l == depth - 1 ? d.classes : width);
  const double read_s = gs_build_work_seconds(&t->eval_read_bytes, profile);
  t->seconds_eval = whole.seconds_eval + read_s + gs_build_work_seconds(&scale, profile);
  t->seconds_build_epoch = (double)t->batches * (t->seconds_build + t->seconds_bind) + read_s;
  t->epoch_work = work_times(&t->batch_work, t->batches);
  gs_cluster_work *e = &t->epoch_work;
  e->parts += reads.parts;
  e->rows += reads.rows;
  e->row_entries += reads.row_entries;
  e->label_rows += reads.label_rows;
  e->feature_rows += reads.feature_rows;
  e->feature_nnz += reads.feature_nnz;
  t->seconds_per_epoch = t->seconds_train + t->seconds_eval;
  return GS_OK;
}

gs_status gs_cluster_cost_time_eval_spill(gs_cluster_time *t, int32_t depth, int64_t width,
                                          int64_t nodes, const gs_profile *profile, gs_error *err) {
  if (!t || !profile)
    return gs_error_set(err, GS_ERR_INVALID, "whole-graph evaluation time: no profile");
  /* each hidden layer's rows written to the file and read back: copies through the page cache
   * at the builder's copy rate, as its pread copies */
  gs_build_bytes spill = {0.0, 0.0, 0.0};
  spill.copied = 2.0 * 4.0 * (double)nodes * (double)width * (double)(depth > 1 ? depth - 1 : 0);
  const double seconds = gs_build_work_seconds(&spill, profile);
  t->eval_read_bytes.copied += spill.copied;
  t->seconds_eval += seconds;
  t->seconds_build_epoch += seconds;
  t->seconds_per_epoch = t->seconds_train + t->seconds_eval;
  return GS_OK;
}
