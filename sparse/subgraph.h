/* Cluster-GCN batches (Chiang et al., KDD 2019, §3.2): the subgraph induced by a few parts of a
 * partition-ordered graph (each part a contiguous range of node ids), with the links between
 * the chosen parts kept, normalised per batch as the full graph would be (with Cluster-GCN's
 * diagonal enhancement, eq. 11, as an option), built in place into a graph allocated once for
 * the largest batch, so that training allocates nothing per step. */
#ifndef GS_SUBGRAPH_H
#define GS_SUBGRAPH_H

#include <stdint.h>

#include "core/status.h"
#include "sparse/graph.h"

/* Allocates a batch graph for at most capacity_nodes nodes and capacity_entries entries of Â
 * (self loops included) of a graph of `parts` parts, normalised by norm; it holds no batch
 * until gs_graph_induce. Memory gs_graph_batch_bytes, under "batch-graph". Errors:
 * GS_ERR_INVALID (non-positive sizes, unknown norm), GS_ERR_NOMEM. */
gs_status gs_graph_batch_new(gs_graph **out, int64_t capacity_nodes, int64_t capacity_entries,
                             int32_t parts, gs_norm norm, gs_error *err);

/* Bytes of a batch graph: Â's arrays at capacity (twice for GS_NORM_ROW), the per-node scale
 * (8 bytes) and, per part, its base and two row-source pointers (24 bytes). */
int64_t gs_graph_batch_bytes(int64_t capacity_nodes, int64_t capacity_entries, int32_t parts,
                             gs_norm norm);

/* Fills batch graph g with the subgraph of the symmetric adjacency (rowptr [n + 1], col,
 * no self loops, ascending rows: the binary store's form) induced by the parts chosen[0..q)
 * (ascending, distinct) of the partition part_start [parts + 1]: local node ids run through
 * the chosen parts in order, an entry is kept when both ends are chosen, a self loop is
 * added, and Â is normalised with the degrees inside the batch. With diag_lambda > 0 each
 * diagonal entry is then multiplied by 1 + diag_lambda (Cluster-GCN's diagonal enhancement:
 * Â + λ·diag(Â)). Row kernel, O(entries of the chosen rows). Errors: GS_ERR_INVALID (a part
 * repeated, out of order or out of range), GS_ERR_RANGE (more nodes or entries than the
 * capacity: the message gives both). *nodes gets the batch's node count. */
gs_status gs_graph_induce(gs_graph *g, const int64_t *rowptr, const uint32_t *col,
                          const int64_t *part_start, const int32_t *chosen, int32_t q,
                          double diag_lambda, gs_error *err);

/* As gs_graph_induce, with each chosen part's rows given apart (as read from a store into a
 * batch's buffers): rows[k] [len_k + 1] are the row pointers of part chosen[k]'s len_k nodes
 * (any base: row r's neighbours are cols[k][rows[k][r] - rows[k][0] .. rows[k][r + 1] -
 * rows[k][0])), global node ids. The same inputs give the same batch, bit for bit, whichever
 * form they come in. A neighbour id outside the partition is GS_ERR_RANGE. */
gs_status gs_graph_induce_rows(gs_graph *g, const int64_t *const *rows,
                               const uint32_t *const *cols, const int64_t *part_start,
                               const int32_t *chosen, int32_t q, double diag_lambda,
                               gs_error *err);

/* Nodes and entries of Â (self loops included) that the batch of the chosen parts would have,
 * without building it: for sizing. */
void gs_graph_induced_size(const int64_t *rowptr, const uint32_t *col, const int64_t *part_start,
                           int32_t parts, const int32_t *chosen, int32_t q, int64_t *nodes,
                           int64_t *entries);

#endif
