/* Cluster-GCN training (Chiang et al., KDD 2019): the graph is split into P parts (METIS, in a
 * partition-ordered store), and each step trains on the subgraph induced by Q random parts,
 * links between the chosen parts kept, normalised per batch; an epoch visits every part once.
 * Evaluation runs over the same kind of batches, Q parts at a time in order, so that memory
 * is bounded by the largest batch whatever the graph's size (as Cluster-GCN's own code
 * evaluates). All buffers are allocated once, sized for the worst batch. */
#ifndef GS_CLUSTER_H
#define GS_CLUSTER_H

#include <stdint.h>

#include "core/status.h"
#include "datasets/dataset.h"
#include "gnn/model.h"
#include "gnn/train.h"
#include "sparse/graph.h"

typedef struct {
  int32_t clusters_per_batch; /* Q, in [1, P] (default 1) */
  double diag_lambda;         /* diagonal enhancement λ: Â + λ·diag(Â) (default 0: none) */
  gs_norm norm;               /* per-batch normalisation (default GS_NORM_SYM) */
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

/* The model shape a batch model is made for: capacity nodes and entries, ds's features. */
gs_model_shape gs_cluster_shape(const gs_cluster_capacity *cap, const gs_dataset *ds,
                                gs_norm norm);

/* Bytes the batch state holds (gs_cluster_new), from counts alone: the batch graph
 * (gs_graph_batch_bytes), the batch's features (dense 4·nodes·f or CSR at feature_nnz), the
 * local labels and three local index lists, a node marker (1 byte per node of the graph), and
 * the part order. The cost model prices a Cluster-GCN run with it. */
int64_t gs_cluster_state_bytes(const gs_cluster_capacity *cap, int64_t graph_nodes, int64_t f,
                               bool sparse_features, gs_norm norm);

typedef struct gs_cluster gs_cluster;

/* Allocates the batch state for ds (borrowed; must outlive it) at capacity cap. */
gs_status gs_cluster_new(gs_cluster **out, const gs_dataset *ds, const gs_cluster_capacity *cap,
                         const gs_cluster_options *opts, gs_error *err);

void gs_cluster_free(gs_cluster **c);

/* The batch features, at capacity before the first batch (to make the model with). */
const gs_features *gs_cluster_features(const gs_cluster *c);

/* Trains m (made with gs_model_new_capacity for gs_cluster_shape) by Cluster-GCN: per epoch the
 * parts in a random order (seeded by the model's seed and the epoch), Q at a time; one Adam
 * step per batch on the mean loss of the batch's training nodes; then the evaluation over all
 * parts. Model selection and early stopping as gs_train. result's times are per epoch
 * (training steps + evaluation). Errors: GS_ERR_INVALID (no training or validation nodes),
 * GS_ERR_NUMERIC (loss not finite), those of the batch builder. Allocates only the epoch log
 * before the first epoch. */
gs_status gs_cluster_train(gs_train_result *result, gs_model *m, gs_cluster *c,
                           const gs_train_options *opts, gs_error *err);

#endif
