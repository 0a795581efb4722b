/* Cluster-GCN's memory from counts (cluster_cost.h): the same buffers, in the same order, as
 * gs_store_reader_open, gs_cluster_new_store, gs_model_new_capacity and gs_cluster_train
 * allocate. */
#include "scaling/cluster_cost.h"

#include <math.h>
#include <string.h>

#include "core/flops.h"

gs_status gs_cluster_cost_estimate(gs_cluster_cost *out, const gs_model_config *cfg,
                                   const gs_store_info *info, const gs_cluster_capacity *cap,
                                   gs_norm norm, bool eval_full, int32_t epochs, gs_error *err) {
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
  c.eval_bytes = eval_full ? gs_cluster_full_eval_bytes(info->graph.nodes, &L) : 0;
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

/* Bytes make_batch (gnn/cluster.c) streams for a batch of nb nodes from q parts whose rows
 * hold row_entries entries of the graph, keeping `kept` entries of Â (self loops included),
 * with fnnz sparse feature entries or dense rows of f, read part by part from the store:
 * - gs_store_reader_read_part: pread copies each part's row pointers (8 per node and one more
 *   per part), columns (4 per entry), labels (4 per node) and features (CSR: 8 per row pointer
 *   and 12 per entry; dense: 4 per value) from the page cache into the batch buffers (read
 *   and written: twice each), then checks them (row pointers, columns, labels and feature
 *   columns read once more); the sparse row pointers are rebased (read and written);
 * - gs_graph_induce_rows reads the row pointers and columns again, writes the kept columns
 *   and row pointers (8 each) and the node scales (8), and clears the part bases (8 per
 *   part); filling the values reads each kept column and writes its value (12, and 4 more for
 *   Âᵀ under row normalisation; the scale it gathers is a random access, priced apart);
 * - the features' preparation (rownorm, l2) reads and writes each value once more (4 + 4, and
 *   the row pointers for CSR);
 * - the split marker is read per node and the local lists written (8 per node at most). */
static double build_bytes(double nb, double row_entries, double kept, double fnnz, double f,
                          bool sparse, gs_norm norm, int32_t parts, int32_t q) {
  const double rows = 8.0 * (nb + q);
  double b = 2.0 * (rows + 4.0 * row_entries + 4.0 * nb);        /* pread: graph, labels */
  b += rows + 4.0 * row_entries + 4.0 * nb;                      /* their checks */
  b += 8.0 * parts + rows + 4.0 * row_entries + 8.0 * (kept + nb) + 8.0 * nb; /* induce */
  b += (norm == GS_NORM_ROW ? 16.0 : 12.0) * kept;               /* values */
  if (sparse)
    b += 2.0 * (rows + 12.0 * fnnz) + (rows + 8.0 * fnnz) + 2.0 * rows /* pread, checks, rebase */
         + 8.0 * fnnz + 8.0 * nb;                                 /* prepared */
  else
    b += 2.0 * 4.0 * nb * f + 8.0 * nb * f;
  return b + nb + 8.0 * nb;                                       /* marker, lists */
}

/* Random accesses of building that batch, each a cache line that the streamed count above
 * does not cover: filling the values gathers the scale of each kept entry's column (the row
 * kernel finds the neighbours' parts by walking the sorted rows along the chosen parts, which
 * the streamed count covers). */
static double build_accesses(double kept) { return kept; }

/* Bytes of gs_input_transpose_into on a batch's sparse features, streamed: the counts cleared,
 * summed and shifted (8, 16 and 16 per column), each entry's column read twice (count, fill)
 * and its value read, the row pointers read. */
static double bind_bytes(double nb, double fnnz, double f) {
  return 40.0 * f + 8.0 * nb + 20.0 * fnnz;
}

/* Its random accesses: each entry lands at its column's cursor, a random slot of Xᵀ where its
 * column, value and permutation are written (three independent stores to the same slot of three
 * arrays, which overlap: one access); the cursors and counts (8 per column) stay in cache. */
static double bind_accesses(double fnnz) { return fnnz; }

/* The bytes of the gather curve's count (profile.h) per neighbour entry of its rows of 16
 * floats with 8 neighbours per row: the entry's column and value (12), the row gathered (64),
 * and an eighth of the row pointer and output row (8 + 64). */
#define GATHER_BYTES_PER_ENTRY (12.0 + 64.0 + (8.0 + 64.0) / 8.0)

/* Seconds one thread takes per random access into an array of `bytes`: the gather curve's
 * time per neighbour entry at that operand size (a random row of 16 floats: a cache line),
 * the profile's threads' rate shared by one. */
static double access_seconds(const gs_profile *p, double bytes) {
  const double threads = (double)(p->threads > 0 ? p->threads : 1);
  return GATHER_BYTES_PER_ENTRY * threads / (gs_profile_gather_rate(p, bytes, 16) * 1e9);
}

static int64_t ceil_div(double a, double b) { return (int64_t)ceil(a / b); }

gs_status gs_cluster_cost_time(gs_cluster_time *out, int32_t depth, int64_t width,
                               const gs_cost_options *opts, const gs_store_info *info,
                               gs_norm norm, int32_t parts, int32_t q, int64_t edge_cut,
                               const gs_profile *profile, gs_error *err) {
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

  const double nb = (double)t.batch_nodes, f = (double)info->file_features;
  const double fnnz = (double)t.batch_feature_nnz, kept = (double)t.batch_entries;
  const double row_entries = (double)t.batch_row_entries;
  t.build_bytes = build_bytes(nb, row_entries, kept, fnnz, f, sparse, norm, parts, q);
  t.build_accesses = build_accesses(kept);
  t.bind_bytes = sparse ? bind_bytes(nb, fnnz, f) : 0.0;
  t.bind_accesses = sparse ? bind_accesses(fnnz) : 0.0;
  /* Both run on one thread: streamed bytes at a thread's share of the measured copy
   * bandwidth, random accesses at a thread's share of the gather curve at the size of the
   * array they fall in (the batch's node scales; Xᵀ's arrays). */
  const double serial_gbs =
      profile->copy_gbs / (double)(profile->threads > 0 ? profile->threads : 1);
  t.seconds_build = t.build_bytes / (serial_gbs * 1e9) +
                    t.build_accesses * access_seconds(profile, 8.0 * nb);
  t.seconds_bind = t.bind_bytes / (serial_gbs * 1e9) +
                   t.bind_accesses * access_seconds(profile, 20.0 * fnnz);
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
                                         gs_norm norm, const gs_profile *profile, gs_error *err) {
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
  /* Read from the store, each part in turn: the features once (pread: read and written, their
   * checks, the preparation), the rows once per layer (pread and checks), the labels once. */
  const double n = (double)d.nodes, S = (double)d.symmetric_entries, f = (double)d.file_features;
  const double fnnz = (double)info->feature_nnz, P = (double)info->parts;
  const double rows = 8.0 * (n + P);
  double bytes = sparse ? 2.0 * (rows + 12.0 * fnnz) + (rows + 8.0 * fnnz) + 2.0 * rows +
                              8.0 * fnnz + 8.0 * n
                        : 3.0 * 4.0 * n * f + 8.0 * n * f;
  bytes += (double)depth * 3.0 * (rows + 4.0 * S) + 3.0 * 4.0 * n;
  const double serial_gbs =
      profile->copy_gbs / (double)(profile->threads > 0 ? profile->threads : 1);
  t->eval_read_bytes = bytes;
  t->seconds_eval = whole.seconds_eval + bytes / (serial_gbs * 1e9);
  t->seconds_build_epoch = (double)t->batches * (t->seconds_build + t->seconds_bind) +
                           bytes / (serial_gbs * 1e9);
  t->seconds_per_epoch = t->seconds_train + t->seconds_eval;
  return GS_OK;
}
