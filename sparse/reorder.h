/* Locality orderings of a graph's nodes: Reverse Cuthill-McKee (Cuthill & McKee 1969; George
 * 1971) numbers nodes in breadth-first order from a low-degree node, neighbours by ascending
 * degree, then reverses; neighbours get nearby numbers, so an aggregation reads rows of X
 * that are close in memory and more of them hit cache. */
#ifndef GS_REORDER_H
#define GS_REORDER_H

#include <stdint.h>

#include "core/status.h"
#include "sparse/csr.h"
#include "sparse/graph.h"

/* order[new] = old id, for every node of the square matrix adj (self loops ignored). Each
 * connected component is numbered from its lowest-degree node (ties: lowest id), so the
 * result is deterministic. O(nnz log maxdeg) time, 32·n bytes of workspace. */
gs_status gs_reorder_rcm(int64_t *order, const gs_csr *adj, gs_error *err);

/* inverse[old] = new for a permutation order[new] = old of n nodes. */
void gs_reorder_invert(int64_t *inverse, const int64_t *order, int64_t n);

/* A copy of g with its nodes renumbered by RCM (same normalisation). For benchmarks: training
 * renumbers the dataset instead (gs_dataset_permute), so that features and labels follow. */
gs_status gs_graph_reorder_rcm(gs_graph **out, const gs_graph *g, gs_error *err);

#endif
