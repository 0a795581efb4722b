/* Cluster-GCN training (Chiang et al., KDD 2019): the graph is split into P parts (METIS, in a
 * partition-ordered store), and each step trains on the subgraph induced by Q random parts,
 * links between the chosen parts kept, normalised per batch; an epoch visits every part once.
 * The batches come from the store itself (gs_cluster_new_store: each part's rows, features and
 * labels read with pread into buffers sized for the worst batch, nothing of the graph resident
 * but a byte per node) or from the store loaded whole (gs_cluster_new); both give the same
 * batches bit for bit.
 * Evaluation runs over the same kind of batches, Q parts at a time in order, so that memory is
 * bounded by the largest batch whatever the graph's size: as Cluster-GCN's own code
 * evaluates, it is the Cluster-GCN approximation, not the full-graph forward pass (links
 * between parts in different evaluation batches are not seen). The exact alternatives need
 * either each part's L-hop halo (on power-law graphs two hops reach most of the graph) or a
 * layer-wise pass over row chunks holding a whole layer's activations (n x width floats: 1.3
 * GB at 5M nodes and width 64), neither bounded by the batch. The layer-wise pass is the
 * option eval_full, for graphs whose layers fit (gs_cluster_full_eval_bytes): the exact
 * forward pass that the Cluster-GCN paper evaluates with, every link and the graph's own
 * degrees. */
#ifndef GS_CLUSTER_H
#define GS_CLUSTER_H

#include <stdint.h>

#include "core/status.h"
#include "datasets/dataset.h"
#include "datasets/store.h"
#include "gnn/model.h"
#include "gnn/train.h"
#include "sparse/graph.h"

/* How a Cluster-GCN run evaluates (the options eval_full and eval_spill), for pricing. */
typedef enum {
  GS_CLUSTER_EVAL_BATCHES = 0, /* in batches of Q parts */
  GS_CLUSTER_EVAL_FULL = 1,    /* over the whole graph, two layers resident */
  GS_CLUSTER_EVAL_SPILL = 2    /* over the whole graph, one layer resident, one on disk */
} gs_cluster_eval;

typedef struct {
  int32_t clusters_per_batch; /* Q, in [1, P] (default 1) */
  double diag_lambda;         /* diagonal enhancement λ: Â + λ·diag(Â) (default 0: none) */
  gs_norm norm;               /* per-batch normalisation (default GS_NORM_SYM) */
  bool eval_full;             /* evaluate over the whole graph, exactly (default false: in
                                 batches of Q parts; see the file comment) */
  bool eval_spill;            /* with eval_full: one layer of n x width resident, each layer's
                                 output written part by part to an unlinked temporary file
                                 (in $TMPDIR, else /tmp) and read back part by part by the next
                                 layer: the same figures bit for bit in about half the memory
                                 (gs_cluster_full_eval_spill_bytes) (default false) */
} gs_cluster_options;

gs_cluster_options gs_cluster_options_default(void);

/* The worst batch of Q parts, from the partition alone: the Q largest parts' nodes, the Q
 * largest (entries of their adjacency rows + nodes) as entries of Â (an induced subgraph keeps
 * at most its rows' entries, and adds one self loop per node), and the Q largest parts'
 * feature entries (sparse features). Upper bounds, so every batch fits. */
typedef struct {
  int32_t parts, clusters_per_batch;
  int64_t nodes, entries, feature_nnz;
} gs_cluster_capacity;

/* Capacity of batches of q parts of ds, a partition-ordered store (ds->parts > 0). Errors:
 * GS_ERR_INVALID (no partition, q outside [1, parts]). */
gs_status gs_cluster_capacity_of(gs_cluster_capacity *out, const gs_dataset *ds, int32_t q,
                                 gs_error *err);

/* The same from a partition-ordered store opened for reading (gs_store_reader_open). */
gs_status gs_cluster_capacity_of_store(gs_cluster_capacity *out, const gs_store_reader *r,
                                       int32_t q, gs_error *err);

/* The model shape a batch model is made for: capacity nodes and entries, ds's features (or
 * the given feature width, kind and classes). */
gs_model_shape gs_cluster_shape(const gs_cluster_capacity *cap, const gs_dataset *ds,
                                gs_norm norm);
gs_model_shape gs_cluster_shape_of(const gs_cluster_capacity *cap, int64_t features,
                                   bool sparse_features, int64_t classes, gs_norm norm);

/* Bytes the batch state holds (gs_cluster_new), from counts alone: the batch graph
 * (gs_graph_batch_bytes), the batch's features (dense 4·nodes·f or CSR at feature_nnz), the
 * local labels and three local index lists, a node marker (1 byte per node of the graph), and
 * the part order. The cost model prices a Cluster-GCN run with it. */
int64_t gs_cluster_state_bytes(const gs_cluster_capacity *cap, int64_t graph_nodes, int64_t f,
                               bool sparse_features, gs_norm norm);

/* Bytes the store-backed batch state holds (gs_cluster_new_store): gs_cluster_state_bytes
 * without the node marker (the reader holds it), plus the read buffers: the chosen parts' row
 * pointers 8(nodes + Q), their adjacency entries 4·entries, and 16·Q of per-part pointers. */
int64_t gs_cluster_store_state_bytes(const gs_cluster_capacity *cap, int64_t f,
                                     bool sparse_features, gs_norm norm);

/* Bytes of the whole-graph evaluation (options eval_full) of model L on a graph of
 * graph_nodes nodes, allocated by gs_cluster_train before its first epoch: D^-1/2 (4 per
 * node) and two layers' rows at the widest layer output (H·W and the layer's output). */
int64_t gs_cluster_full_eval_bytes(int64_t graph_nodes, const gs_model_layout *L);

/* The same with eval_spill: D^-1/2, one layer's rows at the widest output (H·W) and a chunk
 * of chunk_nodes rows (the batch capacity: a part's rows, read back or aggregated). Disk: the
 * temporary file holds 4·graph_nodes·(widest hidden output) bytes. */
int64_t gs_cluster_full_eval_spill_bytes(int64_t graph_nodes, int64_t chunk_nodes,
                                         const gs_model_layout *L);

/* GS_OK when the whole-graph evaluation covers model L with normalisation norm (plain GCN
 * layers, symmetric normalisation), else GS_ERR_INVALID saying so. */
gs_status gs_cluster_full_eval_check(const gs_model_layout *L, gs_norm norm, gs_error *err);

typedef struct gs_cluster gs_cluster;

/* Allocates the batch state for ds (borrowed; must outlive it) at capacity cap. */
gs_status gs_cluster_new(gs_cluster **out, const gs_dataset *ds, const gs_cluster_capacity *cap,
                         const gs_cluster_options *opts, gs_error *err);

/* Allocates the store-backed batch state at capacity cap, reading batches from src (borrowed;
 * must outlive it); prep is applied to each batch's feature rows, GS_FEATPREP_AUTO resolved
 * by gs_featprep_choose on the stored features' statistics, gathered in one pass over the
 * parts through the batch's own feature buffer (gs_cluster_prep gives both). Errors:
 * GS_ERR_INVALID (no features or labels), GS_ERR_NOMEM, those of reading the store. */
gs_status gs_cluster_new_store(gs_cluster **out, const gs_store_reader *src,
                               const gs_cluster_capacity *cap, gs_featprep prep,
                               const gs_cluster_options *opts, gs_error *err);

void gs_cluster_free(gs_cluster **c);

/* The feature preparation a store-backed state applies (resolved), and the stored features'
 * statistics it was chosen from (stats may be NULL; zeros for an in-memory state). */
gs_featprep gs_cluster_prep(const gs_cluster *c, gs_feature_stats *stats);

/* The batch features, at capacity before the first batch (to make the model with). */
const gs_features *gs_cluster_features(const gs_cluster *c);

/* The work a state has done reading parts, building batches and binding them, counted as it
 * runs (the cost model counts the same quantities to price it: scaling/build_work.h). Reads
 * and batches are a store-backed state's (the batches' and the whole-graph evaluation's
 * passes); binds are counted for either state. */
typedef struct {
  int64_t parts;        /* parts read from the store */
  int64_t rows;         /* nodes whose adjacency rows were read */
  int64_t row_entries;  /* entries of those rows, cut links included */
  int64_t label_rows;   /* nodes whose labels were read */
  int64_t feature_rows; /* nodes whose features were read and prepared */
  int64_t feature_nnz;  /* their sparse feature entries (0 for dense features) */
  int64_t batches;      /* batch graphs induced from the rows read */
  int64_t batch_rows;   /* their nodes (each marked in the split lists) */
  int64_t batch_row_entries; /* the entries of their rows walked by the row kernel */
  int64_t kept;         /* their entries of Â, self loops included */
  int64_t bound;        /* batches bound with sparse features (Xᵀ rebuilt) */
  int64_t bound_rows;   /* their nodes */
  int64_t bound_nnz;    /* their feature entries */
} gs_cluster_work;

/* The work done since the state was made. */
gs_cluster_work gs_cluster_work_done(const gs_cluster *c);

/* Trains m (made with gs_model_new_capacity for gs_cluster_shape) by Cluster-GCN: per epoch the
 * parts in a random order (seeded by the model's seed and the epoch), Q at a time; one Adam
 * step per batch on the mean loss of the batch's training nodes; then the evaluation over all
 * parts (Q at a time, or over the whole graph layer by layer with eval_full: the layers'
 * buffers allocated before the first epoch). Model selection and early stopping as gs_train. result's times are per epoch
 * (training steps + evaluation). Errors: GS_ERR_INVALID (no training or validation nodes),
 * GS_ERR_NUMERIC (loss not finite), those of the batch builder. Allocates only the epoch log
 * before the first epoch. */
gs_status gs_cluster_train(gs_train_result *result, gs_model *m, gs_cluster *c,
                           const gs_train_options *opts, gs_error *err);

#endif
