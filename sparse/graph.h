/* The graph a GCN propagates over: built from an edge list, symmetrised, de-duplicated,
 * with exactly one self loop per node, and normalised to Â = D^-1/2 (A+I) D^-1/2 (Kipf &
 * Welling 2017) or, as an option, (D+I)^-1 (A+I) (Cluster-GCN, Chiang et al. 2019).
 * Aggregation Y = Â·X (X dense row-major n x k) runs on GraphBLAS or on a row kernel. */
#ifndef GS_GRAPH_H
#define GS_GRAPH_H

#include <stdbool.h>
#include <stdint.h>

#include "core/status.h"
#include "sparse/csr.h"

typedef enum {
  GS_NORM_SYM = 0, /* D^-1/2 (A+I) D^-1/2: symmetric, so the backward uses Â itself */
  GS_NORM_ROW = 1, /* (D+I)^-1 (A+I): the backward needs Âᵀ, built once and kept */
  GS_NORM_NONE = 2 /* A + I, unweighted */
} gs_norm;

typedef enum {
  GS_AGG_AUTO = 0,      /* the faster kernel measured on this machine (the row kernel) */
  GS_AGG_ROWS = 1,      /* our OpenMP row kernel: deterministic for any thread count */
  GS_AGG_GRAPHBLAS = 2  /* GrB_mxm with the dense operand packed in place (no copy) */
} gs_agg_kernel;

/* What building the graph found in the edge list. */
typedef struct {
  int64_t nodes;
  int64_t edge_lines;        /* lines given */
  int64_t duplicate_lines;   /* lines repeating an earlier (src, dst) */
  int64_t self_loop_lines;   /* lines with src == dst (dropped before I is added) */
  int64_t symmetric_entries; /* directed entries after symmetrising, no self loops */
  int64_t nnz;               /* entries of Â: symmetric_entries + nodes */
  int64_t isolated_nodes;    /* nodes with no neighbour but themselves */
  int64_t max_degree;        /* largest neighbour count (self loop excluded) */
  double mean_degree;        /* symmetric_entries / nodes */
  int64_t median_degree;
} gs_graph_stats;

typedef struct gs_graph gs_graph;

/* Builds Â from `nedges` lines (src[i], dst[i]), node ids in [0, n). The reverse of every
 * line is added, duplicates removed, self loops dropped, then I added and the normalisation
 * applied. Errors: GS_ERR_RANGE for an id outside [0, n), GS_ERR_INVALID for n < 1,
 * GS_ERR_NOMEM. Memory: 8(n+1) + 12·nnz for Â (twice for GS_NORM_ROW), plus a transient
 * 16·(2·nedges) for sorting. */
gs_status gs_graph_new(gs_graph **out, int64_t n, const int64_t *src, const int64_t *dst,
                       int64_t nedges, gs_norm norm, gs_error *err);

/* Frees the graph and clears *g. NULL-safe. */
void gs_graph_free(gs_graph **g);

int64_t gs_graph_nodes(const gs_graph *g);
int64_t gs_graph_nnz(const gs_graph *g);
gs_norm gs_graph_norm(const gs_graph *g);
gs_graph_stats gs_graph_stats_of(const gs_graph *g);

/* Â as CSR (borrowed; valid while g lives). */
const gs_csr *gs_graph_csr(const gs_graph *g);

/* Bytes the graph holds (Â, and Âᵀ for row normalisation). */
int64_t gs_graph_bytes(const gs_graph *g);

/* Y (n x k) = Â·X, or Âᵀ·X when transpose (the backward of an aggregation). X and Y are
 * row-major n x k and must not alias. 2·nnz·k FLOPs. */
gs_status gs_graph_aggregate(const gs_graph *g, float *Y, const float *X, int64_t k,
                             bool transpose, gs_agg_kernel kernel, gs_error *err);

/* Plain serial twin of gs_graph_aggregate (double accumulation), for tests. */
void gs_graph_aggregate_reference(const gs_graph *g, float *Y, const float *X, int64_t k,
                                  bool transpose);

#endif
