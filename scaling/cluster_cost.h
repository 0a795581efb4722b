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
#include "scaling/build_work.h"
#include "scaling/cost.h"
#include "scaling/profile.h"

typedef struct {
  int64_t dataset_bytes; /* the store reader (gs_store_reader_bytes) */
  int64_t state_bytes;   /* batch graph, features, labels, lists, read buffers
                            (gs_cluster_store_state_bytes) */
  int64_t model_bytes;   /* the layout at the batch capacity, and the model object */
  int64_t log_bytes;     /* the trainer's per-epoch log */
  int64_t eval_bytes;    /* the whole-graph evaluation's layers (gs_cluster_full_eval_bytes,
                            or gs_cluster_full_eval_spill_bytes), 0 for batched evaluation */
  int64_t peak_bytes;    /* their sum (nothing is freed before training ends), or the reader's
                            peak while opening when larger */
} gs_cluster_cost;

/* Prices a Cluster-GCN run of model cfg (depth, width; dropout, residual, norm and order as
 * given) on the store described by info (the partition-ordered store, or the dataset's store
 * with parts and seed to come: its sections then gain the original ids and part boundaries),
 * at capacity cap, for `epochs` epochs, evaluated as eval says (in batches, or over the
 * whole graph with two layers resident or one spilled). Errors: those of gs_model_layout_make. */
gs_status gs_cluster_cost_estimate(gs_cluster_cost *out, const gs_model_config *cfg,
                                   const gs_store_info *info, const gs_cluster_capacity *cap,
                                   gs_norm norm, gs_cluster_eval eval, int32_t epochs,
                                   gs_error *err);

/* The worst batch of q of `parts` parts before METIS has run, for planning: each part at most
 * 1.03·n/parts nodes (METIS's default imbalance tolerance), its rows' entries at most that
 * share of the adjacency scaled by the balance, and likewise for feature entries. An estimate,
 * not a bound: a partition's own capacity (gs_cluster_capacity_of) replaces it once made. */
gs_cluster_capacity gs_cluster_cost_capacity_estimate(const gs_store_info *info, int32_t parts,
                                                      int32_t q);

/* The seconds of one Cluster-GCN epoch (gs_cluster_train), from the same profile (rates, kernel
 * fit, probe correction) as a full-batch epoch. An epoch runs B = ceil(P/Q) batches twice:
 * training (build the batch, bind it, one step: forward, loss, backward, decay, Adam) and
 * evaluation (build, bind, forward, validation loss). Each batch is priced as the average batch
 * of the epoch: n/B nodes, its entries of Â and its feature entries, the split's nodes / B,
 * by gs_cost_estimate on that shape (so the aggregation walks the batch's entries, the dense
 * transforms its rows, and Adam runs once per batch over every parameter); building and
 * binding a batch are priced from the work gs_cluster_work_done counts for them (its parts,
 * rows, entries kept, feature entries: batch_work), in the bytes of gs_build_work_bytes, at
 * the profile's build rates (measured by running the builder's own loops on one thread). */
typedef struct {
  int32_t batches;              /* B = ceil(P/Q), of training and of evaluation */
  double epoch_entries;         /* entries of Â over the epoch's batches, self loops included:
                                   n + (1 - c)·S + c·S·(Q - 1)/(P - 1), S the graph's directed
                                   entries and c the cut's share of them (0 when unknown: an
                                   upper bound on the batches' links) */
  int64_t batch_nodes;          /* the average batch: ceil(n / B) */
  int64_t batch_entries;        /* ceil(epoch_entries / B) */
  int64_t batch_row_entries;    /* the graph's entries of its rows, cut links included */
  int64_t batch_feature_nnz;    /* sparse features: the average batch's share */
  gs_cost batch;                /* one training step and one evaluation of the average batch */
  gs_cluster_work batch_work;   /* building and binding the average batch, as counted */
  gs_cluster_work epoch_work;   /* the epoch's: 2B batches (B with whole-graph evaluation, plus
                                   its reads of every part) */
  gs_build_bytes build_bytes;   /* the bytes of building one batch (no bind) */
  gs_build_bytes bind_bytes;    /* the bytes of binding it (sparse features: Xᵀ rebuilt) */
  double seconds_build;         /* one batch built */
  double seconds_bind;          /* one batch bound */
  double seconds_build_epoch;   /* 2B · (build + bind): the epoch's batches built and bound */
  double seconds_category[GS_FLOPS_CATEGORIES]; /* B · batch.seconds_category: the epoch's
                                                   kernels by category (core/flops.h) */
  double seconds_train;         /* B · (build + bind + batch.seconds_train) */
  double seconds_eval;          /* B · (build + bind + batch.seconds_eval) */
  double seconds_per_epoch;     /* their sum */
  gs_build_bytes eval_read_bytes; /* whole-graph evaluation: its reads of the store per epoch */
} gs_cluster_time;

/* Prices an epoch of Cluster-GCN with P = parts, Q = q of a GCN of `depth` layers and hidden
 * `width` on all feature columns of the store described by info, set up by opts, its features
 * prepared by prep (GS_FEATPREP_RAW: not touched; AUTO when not yet chosen prices a
 * preparation), with the profile (not NULL). edge_cut: undirected edges between parts (gs_partition_report), < 0
 * when no partition exists yet. Errors: GS_ERR_INVALID (q outside [1, parts], parts < 2, no
 * profile), those of gs_cost_estimate. Cost: two gs_cost_estimate calls' worth, no allocation. */
gs_status gs_cluster_cost_time(gs_cluster_time *out, int32_t depth, int64_t width,
                               const gs_cost_options *opts, const gs_store_info *info,
                               gs_norm norm, gs_featprep prep, int32_t parts, int32_t q,
                               int64_t edge_cut, const gs_profile *profile, gs_error *err);

/* Re-prices t's evaluation (from gs_cluster_cost_time, same arguments) as the whole-graph
 * evaluation of eval_full: the full-batch evaluation forward of the same model on the whole
 * graph (gs_cost_estimate's seconds_eval); reading every part from the store (rows and
 * features for the first layer, rows for each layer's aggregation, labels once: the work
 * gs_cluster_work_done counts, added to epoch_work) at the profile's build rates; and each
 * layer's products scaled by D^-1/2 on one thread (n x out floats read and written) at its
 * serial copy rate. seconds_category keeps the batches' training and evaluation kernels: it
 * describes batched evaluation only. Errors: GS_ERR_INVALID (no profile), those of
 * gs_cost_estimate. */
gs_status gs_cluster_cost_time_eval_full(gs_cluster_time *t, int32_t depth, int64_t width,
                                         const gs_cost_options *opts, const gs_store_info *info,
                                         gs_norm norm, gs_featprep prep,
                                         const gs_profile *profile, gs_error *err);

/* Adds to t (priced by gs_cluster_cost_time_eval_full) the spill of the evaluation's option
 * eval_spill: each hidden layer's nodes x width floats written to the temporary file and read
 * back, part by part (page cache: a copy each way), at the builder's copy rate
 * (gs_build_work_seconds). Errors: GS_ERR_INVALID (no profile). */
gs_status gs_cluster_cost_time_eval_spill(gs_cluster_time *t, int32_t depth, int64_t width,
                                          int64_t nodes, const gs_profile *profile, gs_error *err);

#endif
