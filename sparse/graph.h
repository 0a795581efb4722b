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

/* Measured on the arxiv shape (169,343 nodes, 2.5M entries of Â, random graph, 2 cores of an
 * AMD EPYC VM, medians): the row kernel takes about 6, 35 and 200 ms at k = 16, 64 and 256,
 * GrB_mxm about 35, 145 and 420 ms; the difference is mostly software prefetch of the
 * gathered rows of X. So AUTO runs the row kernel.
 *
 * Repeatability. ROWS sums each output element in float in the row's index order: results
 * are bitwise identical for any thread count and over repeated calls (tested). GraphBLAS 7.4
 * computes the product as "saxpy, dot F = F*S" (one sequential dot product per output element,
 * the sparse side sliced over threads): repeated calls at a fixed thread count gave identical
 * bytes, and so did 1 and 2 threads (tested), but its summation order differs from ROWS, so
 * the two kernels agree only to rounding (about 1e-7 relative). That is an observation of
 * this GraphBLAS version, not a promise of its API: use ROWS where bits must not move. */

/* What building the graph found in the edge list. */
typedef struct {
  int64_t nodes;
  int64_t edge_lines;        /* lines given */
  int64_t duplicate_lines;   /* lines repeating an earlier directed (src, dst); a reversed
                                line (dst, src) is not a duplicate, and self-loop lines are
                                counted only in self_loop_lines */
  int64_t self_loop_lines;   /* lines with src == dst (dropped before I is added) */
  int64_t symmetric_entries; /* directed entries after symmetrising, no self loops */
  int64_t nnz;               /* entries of Â: symmetric_entries + nodes */
  int64_t isolated_nodes;    /* nodes with no neighbour but themselves */
  int64_t max_degree;        /* largest neighbour count (self loop excluded) */
  double mean_degree;        /* symmetric_entries / nodes */
  int64_t median_degree;     /* lower median of the neighbour counts: element (n-1)/2 sorted */
} gs_graph_stats;

/* Fills the degree fields of s (nodes, symmetric_entries, nnz, isolated_nodes, max_degree,
 * mean_degree, median_degree: the lower median, element (n-1)/2 of the sorted degrees) from
 * the row pointers [n + 1] of a symmetric pattern whose every row holds `self_loops` (0 or 1)
 * self loop; the edge-line counts are left to the caller. Its histogram, 8(max_degree+1)
 * bytes under "graph-build", is freed before return. GS_ERR_NOMEM. */
gs_status gs_graph_degree_stats(gs_graph_stats *s, int64_t n, const int64_t *rowptr,
                                int64_t self_loops, gs_error *err);

typedef struct gs_graph gs_graph;

/* Builds Â from `nedges` lines (src[i], dst[i]), node ids in [0, n). The reverse of every
 * line is added, duplicates removed, self loops dropped, then I added and the normalisation
 * applied (D counts the self loop: deg_i = neighbours + 1; values computed in double, rounded
 * once to float). Rows of Â are sorted. Errors: GS_ERR_RANGE for an id outside [0, n) (the
 * message names the first such edge index and the id) and for counts so large that the bytes
 * of Â would overflow; GS_ERR_INVALID for n < 1, nedges < 0, NULL arrays or an unknown norm;
 * GS_ERR_NOMEM. *out is set only on success.
 * Memory: 8(n+1) + 12·nnz for Â (twice for GS_NORM_ROW; Âᵀ has Â's pattern but is kept whole
 * so that it can be lent to GraphBLAS on its own), counted under the tag "graph" and equal to
 * gs_graph_bytes; the handle itself (a few hundred bytes) comes from malloc. Transient, under
 * "graph-build", in this order: 8(n+1) row buckets, 16·(nedges - self loop lines) directed
 * entries and 8n per-node words, live while Â is allocated, then 8(max_degree+1) for the
 * median; all freed before return. Time O(E·log(max_degree) + n), counting sort by source then
 * a sort of each row, rows spread over OpenMP threads in ranges of equal work. */
gs_status gs_graph_new(gs_graph **out, int64_t n, const int64_t *src, const int64_t *dst,
                       int64_t nedges, gs_norm norm, gs_error *err);

/* Builds Â from a symmetric adjacency pattern without self loops (the binary store's form):
 * rowptr [n + 1], col [rowptr[n]] ascending within each row, ids below n (32-bit, so
 * n <= 2^32). Â is the same as gs_graph_new gives for edge lines with this symmetrised
 * pattern. Each row's order, range and the absence of self loops are checked (GS_ERR_RANGE
 * naming the row); symmetry is the caller's promise. lines (may be NULL) gives the edge-line
 * counts the stats report (edge_lines, duplicate_lines, self_loop_lines). Memory: Â as in
 * gs_graph_new; transient 8n bytes under "graph-build", then the median's histogram.
 * Errors: GS_ERR_INVALID (NULL, n outside [1, 2^32], unknown norm), GS_ERR_RANGE, GS_ERR_NOMEM. */
gs_status gs_graph_new_adjacency(gs_graph **out, int64_t n, const int64_t *rowptr,
                                 const uint32_t *col, gs_norm norm,
                                 const gs_graph_stats *lines, gs_error *err);

/* Frees the graph and clears *g. NULL-safe. */
void gs_graph_free(gs_graph **g);

int64_t gs_graph_nodes(const gs_graph *g);
int64_t gs_graph_nnz(const gs_graph *g);
gs_norm gs_graph_norm(const gs_graph *g);
gs_graph_stats gs_graph_stats_of(const gs_graph *g);

/* Â as CSR (borrowed; valid while g lives). */
const gs_csr *gs_graph_csr(const gs_graph *g);

/* Âᵀ as CSR (borrowed): the kept transpose for GS_NORM_ROW, Â itself for SYM and NONE. */
const gs_csr *gs_graph_csr_transpose(const gs_graph *g);

/* Bytes the graph holds (Â, and Âᵀ for row normalisation). */
int64_t gs_graph_bytes(const gs_graph *g);

/* Y (n x k) = Â·X, or Âᵀ·X when transpose (the backward of an aggregation). X and Y are
 * row-major n x k and must not alias. 2·nnz·k FLOPs; bytes moved about 8(n+1) + 12·nnz +
 * 4·n·k·(1 + θ(δ-1)) + 4·n·k (DESIGN.md §4). k = 0 does nothing. Errors: GS_ERR_INVALID for
 * NULL or aliased buffers, k < 0, an unknown kernel, or GS_AGG_GRAPHBLAS called inside an
 * OpenMP region; GraphBLAS failures are translated (GS_ERR_NOMEM, GS_ERR_GRAPHBLAS).
 * GS_AGG_GRAPHBLAS lends the graph's arrays to GraphBLAS for the call (GxB_Matrix_pack_CSR,
 * O(1), and back with GxB_Matrix_unpack_CSR) and holds a transient n·k floats for the product
 * (GraphBLAS's own buffer, copied into Y): two such calls must not run concurrently on one
 * graph. GS_AGG_ROWS and AUTO allocate nothing and may run concurrently. A successful call
 * adds 2·nnz·k to the GS_FLOPS_AGGREGATE counter (gnn/flops.h). */
gs_status gs_graph_aggregate(const gs_graph *g, float *Y, const float *X, int64_t k,
                             bool transpose, gs_agg_kernel kernel, gs_error *err);

/* Plain serial twin of gs_graph_aggregate (double accumulation), for tests. */
void gs_graph_aggregate_reference(const gs_graph *g, float *Y, const float *X, int64_t k,
                                  bool transpose);

#endif
