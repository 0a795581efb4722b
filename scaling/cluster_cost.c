/* Cluster-GCN's memory from counts (cluster_cost.h): the same buffers, in the same order, as
 * gs_store_reader_open, gs_cluster_new_store, gs_model_new_capacity and gs_cluster_train
 * allocate. */
#include "scaling/cluster_cost.h"

#include <math.h>
#include <string.h>

#include "core/flops.h"

gs_status gs_cluster_cost_estimate(gs_cluster_cost *out, const gs_model_config *cfg,
                                   const gs_store_info *info, const gs_cluster_capacity *cap,
                                   gs_norm norm, int32_t epochs, gs_error *err) {
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
  c.log_bytes = (3 + GS_FLOPS_CATEGORIES) * 8 * (int64_t)epochs;
  c.peak_bytes = c.dataset_bytes + c.state_bytes + c.model_bytes + c.log_bytes;
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
