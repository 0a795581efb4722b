/* The cost of Cluster-GCN training (gnn/cluster.h) from counts: the store reader (a byte per
 * node and the part boundaries: the graph and its features stay on disk), the store-backed
 * batch state (batch graph, features, labels, lists and the read buffers) and a model sized
 * for the worst batch of Q parts (the Q largest parts with all their rows' entries, i.e.
 * their boundary included), and the trainer's log, in the order they are allocated; so the
 * predicted peak is the counting allocator's peak of the run. Before a partition exists the
 * worst batch is estimated from METIS's balance tolerance
 * (gs_cluster_cost_capacity_estimate). */
#ifndef GS_CLUSTER_COST_H
#define GS_CLUSTER_COST_H

#include <stdint.h>

#include "core/status.h"
#include "datasets/store.h"
#include "gnn/cluster.h"
#include "gnn/model.h"

typedef struct {
  int64_t dataset_bytes; /* the store reader (gs_store_reader_bytes) */
  int64_t state_bytes;   /* batch graph, features, labels, lists, read buffers
                            (gs_cluster_store_state_bytes) */
  int64_t model_bytes;   /* the layout at the batch capacity, and the model object */
  int64_t log_bytes;     /* the trainer's per-epoch log */
  int64_t peak_bytes;    /* their sum (nothing is freed before training ends), or the reader's
                            peak while opening when larger */
} gs_cluster_cost;

/* Prices a Cluster-GCN run of model cfg (depth, width; dropout, residual, norm and order as
 * given) on the store described by info (the partition-ordered store, or the dataset's store
 * with parts and seed to come: its sections then gain the original ids and part boundaries),
 * at capacity cap, for `epochs` epochs. Errors: those of gs_model_layout_make. */
gs_status gs_cluster_cost_estimate(gs_cluster_cost *out, const gs_model_config *cfg,
                                   const gs_store_info *info, const gs_cluster_capacity *cap,
                                   gs_norm norm, int32_t epochs, gs_error *err);

/* The worst batch of q of `parts` parts before METIS has run, for planning: each part at most
 * 1.03·n/parts nodes (METIS's default imbalance tolerance), its rows' entries at most that
 * share of the adjacency scaled by the balance, and likewise for feature entries. An estimate,
 * not a bound: a partition's own capacity (gs_cluster_capacity_of) replaces it once made. */
gs_cluster_capacity gs_cluster_cost_capacity_estimate(const gs_store_info *info, int32_t parts,
                                                      int32_t q);

#endif
