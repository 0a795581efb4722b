/* Declarations shared by the files of sparse/ only: the graph's struct, so that the batch
 * builder (subgraph.c) fills a graph's arrays in place, and the value fill both use. */
#ifndef GS_GRAPH_IMPL_H
#define GS_GRAPH_IMPL_H

#include <stdint.h>

#include "sparse/graph.h"

/* A node's word during the build: its fill cursor, then its count of distinct neighbours,
 * finally the scale its normalisation applies (1/sqrt(deg+1) for SYM, 1/(deg+1) for ROW), so
 * that an entry costs one multiply instead of a square root and a division. */
typedef union {
  int64_t count;
  double scale;
} gs__node_word;

struct gs_graph {
  gs_norm norm;
  gs_csr a;  /* Â, n x n, rows sorted, one self loop per row */
  gs_csr at; /* Âᵀ for GS_NORM_ROW (same pattern as Â, values 1/(deg_j+1)); empty otherwise */
  gs_graph_stats stats;
  /* A batch graph (subgraph.h): its arrays are sized for capacity_nodes rows and
   * capacity_entries entries of Â, of which a.nrows and a.nnz are in use. NULL / 0 otherwise. */
  int64_t capacity_nodes, capacity_entries;
  gs__node_word *scale;  /* [capacity_nodes] */
  int64_t *part_base;    /* [parts] local id of each chosen part's first node, -1 if not chosen */
  const int64_t **part_rows;  /* [parts] gs_graph_induce's row sources for gs_graph_induce_rows */
  const uint32_t **part_cols; /* [parts] */
  int32_t parts;
};


/* Fills the values of Â (and Âᵀ for GS_NORM_ROW, whose pattern is copied from Â's) from its
 * columns and each node's scale (graph.c). */
void gs__graph_fill_values(gs_graph *g, const gs__node_word *deg);

#endif
