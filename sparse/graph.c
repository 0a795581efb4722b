/* The propagation graph of a GCN: an edge list is symmetrised, de-duplicated and given one self
 * loop per node, then normalised to Â = D^-1/2 (A+I) D^-1/2 (Kipf & Welling 2017, eq. 2) or
 * (D+I)^-1 (A+I) (Cluster-GCN, Chiang et al. 2019), with D counting neighbours plus the self
 * loop. Â is stored once, as our own CSR arrays; GraphBLAS borrows them (GxB_Matrix_pack_CSR,
 * O(1)) only for the duration of a GrB_mxm. Aggregation Y = Â·X runs on either kernel. */
#include "sparse/graph.h"

#include <GraphBLAS.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "core/flops.h" /* the FLOP counters every kernel feeds (they live in gnn/ for now) */
#include "core/mem.h"
#include "core/runtime.h"
#include "core/stats.h"
#include "sparse/csr_impl.h"
#include "sparse/graph_impl.h"
#include "sparse/subgraph.h"

/* Counts beyond these are rejected before anything is allocated: 24·nedges + 20·n bytes (the
 * sort keys plus Â) then stays far below INT64_MAX, so no size computation can overflow. */
#define GS__GRAPH_MAX_NODES (INT64_MAX / 64)
#define GS__GRAPH_MAX_EDGES (INT64_MAX / 64)

/* Rows shorter than this are sorted by insertion, longer ones by qsort. */
#define GS__INSERTION_SORT_MAX 32

int64_t gs_graph_nodes(const gs_graph *g) { return g ? g->a.nrows : 0; }
int64_t gs_graph_nnz(const gs_graph *g) { return g ? g->a.nnz : 0; }
gs_norm gs_graph_norm(const gs_graph *g) { return g ? g->norm : GS_NORM_SYM; }
const gs_csr *gs_graph_csr(const gs_graph *g) { return g ? &g->a : NULL; }

const gs_csr *gs_graph_csr_transpose(const gs_graph *g) {
  if (!g) return NULL;
  return g->norm == GS_NORM_ROW ? &g->at : &g->a;
}

gs_graph_stats gs_graph_stats_of(const gs_graph *g) {
  gs_graph_stats s = {0};
  return g ? g->stats : s;
}

int64_t gs_graph_bytes(const gs_graph *g) {
  if (!g) return 0;
  if (g->capacity_nodes > 0) /* a batch graph: its capacity, scratch included */
    return gs_graph_batch_bytes(g->capacity_nodes, g->capacity_entries, g->parts, g->norm);
  int64_t bytes = gs_csr_bytes(g->a.nrows, g->a.nnz);
  if (g->norm == GS_NORM_ROW) bytes += gs_csr_bytes(g->at.nrows, g->at.nnz);
  return bytes;
}

void gs_graph_free(gs_graph **g) {
  if (!g || !*g) return;
  gs_csr_release(&(*g)->a);
  gs_csr_release(&(*g)->at);
  gs_mem_free((*g)->scale);
  gs_mem_free((*g)->part_base);
  gs_mem_free((void *)(*g)->part_rows);
  gs_mem_free((void *)(*g)->part_cols);
  free(*g);
  *g = NULL;
}

static void sort_int64(int64_t *v, int64_t len) {
  if (len > GS__INSERTION_SORT_MAX) {
    qsort(v, (size_t)len, sizeof *v, gs_compare_int64);
    return;
  }
  for (int64_t i = 1; i < len; i++) {
    int64_t x = v[i], j = i;
    while (j > 0 && v[j - 1] > x) {
      v[j] = v[j - 1];
      j--;
    }
    v[j] = x;
  }
}

/* Number of parts to split n rows over: the thread count, or 1 for small work. */
static int64_t parts_for(int64_t work) {
  return work < GS__SPMM_PARALLEL_MIN ? 1 : (int64_t)omp_get_max_threads();
}

/* Fills the values of Â from its columns and each node's scale (1/sqrt(deg+1) for SYM,
 * 1/(deg+1) for ROW), products taken in double and rounded once to float:
 *   SYM:  Â_ij = 1/sqrt(deg_i + 1) · 1/sqrt(deg_j + 1)
 *   ROW:  Â_ij = 1/(deg_i + 1),  Âᵀ_ij = Â_ji = 1/(deg_j + 1)
 *   NONE: Â_ij = 1.
 * For ROW, Âᵀ's pattern is copied from Â's. */
void gs__graph_fill_values(gs_graph *g, const gs__node_word *deg) {
  const gs_norm norm = g->norm;
  const int64_t n = g->a.nrows, nnz = g->a.nnz;
  const int64_t parts = parts_for(nnz + n);
  const int64_t *rowptr = g->a.rowptr, *col = g->a.col;
  float *val = g->a.val, *val_t = g->at.val;
#pragma omp parallel for schedule(static) num_threads((int)parts)
  for (int64_t t = 0; t < parts; t++) {
    const int64_t r0 = gs__csr_part_start(rowptr, n, t, parts);
    const int64_t r1 = gs__csr_part_start(rowptr, n, t + 1, parts);
    for (int64_t i = r0; i < r1; i++) {
      const double si = deg[i].scale;
      switch (norm) {
        case GS_NORM_SYM:
          for (int64_t q = rowptr[i]; q < rowptr[i + 1]; q++)
            val[q] = (float)(si * deg[col[q]].scale);
          break;
        case GS_NORM_ROW:
          for (int64_t q = rowptr[i]; q < rowptr[i + 1]; q++) {
            val[q] = (float)si;
            val_t[q] = (float)deg[col[q]].scale;
          }
          break;
        case GS_NORM_NONE:
          for (int64_t q = rowptr[i]; q < rowptr[i + 1]; q++) val[q] = 1.0f;
          break;
      }
    }
  }
  if (norm == GS_NORM_ROW) {
    memcpy(g->at.rowptr, g->a.rowptr, (size_t)(n + 1) * sizeof *g->at.rowptr);
    memcpy(g->at.col, g->a.col, (size_t)nnz * sizeof *g->at.col);
  }
}

gs_status gs_graph_degree_stats(gs_graph_stats *s, int64_t n, const int64_t *rowptr,
                                int64_t self_loops, gs_error *err) {
  s->nodes = n;
  s->symmetric_entries = rowptr[n] - self_loops * n;
  s->nnz = s->symmetric_entries + n;
  s->mean_degree = (double)s->symmetric_entries / (double)n;
  s->isolated_nodes = 0;
  s->max_degree = 0;
  for (int64_t i = 0; i < n; i++) {
    const int64_t d = rowptr[i + 1] - rowptr[i] - self_loops;
    if (d == 0) s->isolated_nodes++;
    if (d > s->max_degree) s->max_degree = d;
  }
  int64_t *hist = gs_mem_calloc((size_t)s->max_degree + 1, sizeof *hist, "graph-build");
  if (!hist)
    return gs_error_set(err, GS_ERR_NOMEM, "out of memory for a degree histogram of %lld bins",
                        (long long)s->max_degree + 1);
  for (int64_t i = 0; i < n; i++) hist[rowptr[i + 1] - rowptr[i] - self_loops]++;
  for (int64_t d = 0, seen = 0; d <= s->max_degree; d++) {
    seen += hist[d];
    if (seen > (n - 1) / 2) {
      s->median_degree = d;
      break;
    }
  }
  gs_mem_free(hist);
  return GS_OK;
}

/* The degree statistics of a filled Â, whose rows hold their self loop (edge-line counts are
 * set by the caller). */
static gs_status finish_stats(gs_graph *g, gs_error *err) {
  return gs_graph_degree_stats(&g->stats, g->a.nrows, g->a.rowptr, 1, err);
}

gs_status gs_graph_new(gs_graph **out, int64_t n, const int64_t *src, const int64_t *dst,
                       int64_t nedges, gs_norm norm, gs_error *err) {
  gs_status st = GS_OK;
  gs_graph *g = NULL;
  int64_t *start = NULL; /* [n+1] start of each row's bucket in keys */
  int64_t *keys = NULL;  /* [2m] neighbour keys 2·id + (1 if from a reversed line) */
  gs__node_word *deg = NULL; /* [n] fill cursor, distinct neighbours, then scale (gs__node_word) */

  if (!out) return gs_error_set(err, GS_ERR_INVALID, "gs_graph_new: NULL output handle");
  if (n < 1)
    return gs_error_set(err, GS_ERR_INVALID, "a graph needs at least 1 node, got %lld",
                        (long long)n);
  if (nedges < 0)
    return gs_error_set(err, GS_ERR_INVALID, "negative edge count %lld", (long long)nedges);
  if (nedges > 0 && (!src || !dst))
    return gs_error_set(err, GS_ERR_INVALID, "gs_graph_new: NULL edge arrays for %lld edges",
                        (long long)nedges);
  if (norm != GS_NORM_SYM && norm != GS_NORM_ROW && norm != GS_NORM_NONE)
    return gs_error_set(err, GS_ERR_INVALID, "unknown normalisation %d", (int)norm);
  if (n > GS__GRAPH_MAX_NODES || nedges > GS__GRAPH_MAX_EDGES)
    return gs_error_set(err, GS_ERR_RANGE,
                        "%lld nodes and %lld edge lines: the adjacency's size (12 bytes per "
                        "entry) would overflow",
                        (long long)n, (long long)nedges);

  /* Validate every id; the first bad line (lowest index) is reported, whatever the schedule. */
  int64_t bad = nedges, self_loops = 0;
#pragma omp parallel for schedule(static) reduction(min : bad) reduction(+ : self_loops) \
    if (nedges > GS__SPMM_PARALLEL_MIN)
  for (int64_t e = 0; e < nedges; e++) {
    if (src[e] < 0 || src[e] >= n || dst[e] < 0 || dst[e] >= n) {
      if (e < bad) bad = e;
    } else if (src[e] == dst[e]) {
      self_loops++;
    }
  }
  if (bad < nedges) {
    int64_t id = (src[bad] < 0 || src[bad] >= n) ? src[bad] : dst[bad];
    return gs_error_set(err, GS_ERR_RANGE, "edge %lld (%lld -> %lld): node id %lld is outside [0, %lld)",
                        (long long)bad, (long long)src[bad], (long long)dst[bad], (long long)id,
                        (long long)n);
  }
  const int64_t entries = 2 * (nedges - self_loops); /* directed entries before de-duplication */

  g = calloc(1, sizeof *g); /* a few words, outside the counting allocator: see gs_graph_bytes */
  start = gs_mem_calloc((size_t)n + 1, sizeof *start, "graph-build");
  keys = gs_mem_alloc((size_t)entries * sizeof *keys, "graph-build");
  deg = gs_mem_alloc((size_t)n * sizeof *deg, "graph-build");
  if (!g || !start || !keys || !deg) goto nomem;
  g->norm = norm;

  /* Counting sort of the 2m directed entries by row (two passes, O(E + n)). A line (s, d)
   * puts key 2d in row s and key 2s+1 in row d: after sorting, a row's keys for neighbour d
   * list the lines s -> d (even keys) before the reversed lines d -> s (odd keys). */
  for (int64_t e = 0; e < nedges; e++) {
    if (src[e] == dst[e]) continue;
    start[src[e] + 1]++;
    start[dst[e] + 1]++;
  }
  for (int64_t i = 0; i < n; i++) start[i + 1] += start[i];
  for (int64_t i = 0; i < n; i++) deg[i].count = start[i];
  for (int64_t e = 0; e < nedges; e++) {
    const int64_t s = src[e], d = dst[e];
    if (s == d) continue;
    keys[deg[s].count++] = 2 * d;
    keys[deg[d].count++] = 2 * s + 1;
  }

  /* Sort and de-duplicate each row in place; deg[i] becomes the count of distinct
   * neighbours, which sit as plain ids at keys[start[i] .. start[i] + deg[i]). */
  int64_t duplicates = 0;
  {
    const int64_t parts = parts_for(entries + n);
#pragma omp parallel for schedule(static) num_threads((int)parts) reduction(+ : duplicates)
    for (int64_t t = 0; t < parts; t++) {
      const int64_t r0 = gs__csr_part_start(start, n, t, parts);
      const int64_t r1 = gs__csr_part_start(start, n, t + 1, parts);
      for (int64_t i = r0; i < r1; i++) {
        int64_t *v = keys + start[i];
        const int64_t len = start[i + 1] - start[i];
        sort_int64(v, len);
        int64_t distinct = 0;
        for (int64_t p = 0; p < len;) {
          const int64_t nbr = v[p] >> 1;
          int64_t forward = 0;
          for (; p < len && (v[p] >> 1) == nbr; p++) forward += (v[p] & 1) == 0;
          if (forward > 1) duplicates += forward - 1;
          v[distinct++] = nbr;
        }
        deg[i].count = distinct;
      }
    }
  }

  /* Row pointers of Â: distinct neighbours plus the self loop. */
  int64_t symmetric = 0;
  for (int64_t i = 0; i < n; i++) symmetric += deg[i].count;
  const int64_t nnz = symmetric + n;
  GS_TRY(gs_csr_alloc(&g->a, n, n, nnz, "graph", err));
  if (norm == GS_NORM_ROW) GS_TRY(gs_csr_alloc(&g->at, n, n, nnz, "graph", err));
  for (int64_t i = 0; i < n; i++) g->a.rowptr[i + 1] = g->a.rowptr[i] + deg[i].count + 1;
  /* From here on a row's neighbour count is rowptr[i+1] - rowptr[i] - 1 and deg holds scales,
   * computed in double. */
#pragma omp parallel for schedule(static) if (n > GS__SPMM_PARALLEL_MIN)
  for (int64_t i = 0; i < n; i++) {
    const double d = (double)(deg[i].count + 1);
    deg[i].scale = norm == GS_NORM_SYM ? 1.0 / sqrt(d) : 1.0 / d;
  }

  /* Fill columns, the self loop merged in order. */
  {
    const int64_t parts = parts_for(nnz + n);
    const int64_t *rowptr = g->a.rowptr;
    int64_t *col = g->a.col;
#pragma omp parallel for schedule(static) num_threads((int)parts)
    for (int64_t t = 0; t < parts; t++) {
      const int64_t r0 = gs__csr_part_start(rowptr, n, t, parts);
      const int64_t r1 = gs__csr_part_start(rowptr, n, t + 1, parts);
      for (int64_t i = r0; i < r1; i++) {
        const int64_t *nb = keys + start[i];
        const int64_t len = rowptr[i + 1] - rowptr[i] - 1;
        int64_t q = rowptr[i], p = 0;
        for (; p < len && nb[p] < i; p++) col[q++] = nb[p];
        col[q++] = i;
        for (; p < len; p++) col[q++] = nb[p];
      }
    }
  }
  gs__graph_fill_values(g, deg);
  g->stats.edge_lines = nedges;
  g->stats.duplicate_lines = duplicates;
  g->stats.self_loop_lines = self_loops;
  GS_TRY(finish_stats(g, err));

  gs_mem_free(deg);
  gs_mem_free(keys);
  gs_mem_free(start);
  *out = g;
  return GS_OK;

nomem:
  st = gs_error_set(err, GS_ERR_NOMEM, "out of memory building a graph of %lld nodes and %lld edge lines",
                    (long long)n, (long long)nedges);
fail:
  gs_mem_free(deg);
  gs_mem_free(keys);
  gs_mem_free(start);
  gs_graph_free(&g);
  return st;
}

/* Y = M·X with GraphBLAS, M being Â or Âᵀ (a CSR owned by the graph). M's arrays and X are
 * packed into GraphBLAS matrices in O(1) and unpacked afterwards: GraphBLAS allocates through
 * gs_mem (GxB_init), so the same pointers are valid on both sides. X is only read, so casting
 * away its const is safe; it is never freed by GraphBLAS because B is unpacked before GrB_free.
 * The product comes back in a buffer GraphBLAS allocated, copied into Y and freed. */
static gs_status aggregate_graphblas(gs_csr *m, float *Y, const float *X, int64_t k,
                                     gs_error *err) {
  gs_status st = GS_OK;
  GrB_Matrix A = NULL, B = NULL, C = NULL;
  const int64_t n = m->nrows;
  GrB_Index *Ap = (GrB_Index *)m->rowptr, *Aj = (GrB_Index *)m->col;
  void *Ax = m->val;
  GrB_Index Ap_size = (GrB_Index)(n + 1) * sizeof(int64_t);
  GrB_Index Aj_size = (GrB_Index)m->nnz * sizeof(int64_t);
  GrB_Index Ax_size = (GrB_Index)m->nnz * sizeof(float);
  void *Bx = (void *)(uintptr_t)X;
  GrB_Index Bx_size = (GrB_Index)(m->ncols * k) * sizeof(float);
  void *Cx = NULL;
  GrB_Index Cx_size = 0;
  bool a_packed = false, b_packed = false;

  GS_GRB_TRY(GrB_Matrix_new(&A, GrB_FP32, (GrB_Index)n, (GrB_Index)m->ncols));
  GS_GRB_TRY(GxB_Matrix_pack_CSR(A, &Ap, &Aj, &Ax, Ap_size, Aj_size, Ax_size, false, false, NULL));
  a_packed = true;
  GS_GRB_TRY(GrB_Matrix_new(&B, GrB_FP32, (GrB_Index)m->ncols, (GrB_Index)k));
  GS_GRB_TRY(GxB_Matrix_pack_FullR(B, &Bx, Bx_size, false, NULL));
  b_packed = true;
  GS_GRB_TRY(GrB_Matrix_new(&C, GrB_FP32, (GrB_Index)n, (GrB_Index)k));
  // Y = A_hat * X   (PLUS_TIMES over FP32; A_hat may be Âᵀ for the backward)
  GS_GRB_TRY(GrB_mxm(C, NULL, NULL, GrB_PLUS_TIMES_SEMIRING_FP32, A, B, NULL));
  /* Every row of Â holds its self loop, so C is full and unpacks as a row-major array. */
  GS_GRB_TRY(GxB_Matrix_unpack_FullR(C, &Cx, &Cx_size, NULL, NULL));
  if (Cx_size < (GrB_Index)(n * k) * sizeof(float)) {
    st = gs_error_set(err, GS_ERR_INTERNAL, "GraphBLAS returned %llu bytes for a %lld x %lld product",
                      (unsigned long long)Cx_size, (long long)n, (long long)k);
    goto fail;
  }
  memcpy(Y, Cx, (size_t)(n * k) * sizeof(float));

fail:
  gs_mem_free(Cx);
  if (b_packed) {
    /* X goes back to the caller. Should the unpack fail, B is leaked rather than freed:
     * GrB_free would release the caller's buffer. */
    GrB_Info info = GxB_Matrix_unpack_FullR(B, &Bx, &Bx_size, NULL, NULL);
    if (info == GrB_SUCCESS && Bx != (const void *)X) gs_mem_free(Bx);
    if (info != GrB_SUCCESS || Bx != (const void *)X) {
      if (st == GS_OK)
        st = gs_error_set(err, GS_ERR_GRAPHBLAS, "GxB_Matrix_unpack_FullR of X failed (status %d)",
                          (int)info);
      B = NULL;
    }
  }
  if (a_packed) {
    /* M's arrays come back to the graph. With iso and jumbled NULL GraphBLAS returns plain
     * sorted CSR; should it hand back other arrays than those packed (it never did in
     * testing) they are adopted, since the packed ones then belong to GraphBLAS. */
    GrB_Index *rp = NULL, *cj = NULL;
    void *vx = NULL;
    GrB_Info info = GxB_Matrix_unpack_CSR(A, &rp, &cj, &vx, &Ap_size, &Aj_size, &Ax_size, NULL,
                                          NULL, NULL);
    if (info == GrB_SUCCESS) {
      m->rowptr = (int64_t *)rp;
      m->col = (int64_t *)cj;
      m->val = vx;
    } else {
      /* The arrays stay with A and are freed with it; the graph is left empty. */
      m->rowptr = NULL;
      m->col = NULL;
      m->val = NULL;
      m->nnz = 0;
      m->nrows = 0;
      if (st == GS_OK) st = gs__graphblas_error((int)info, "GxB_Matrix_unpack_CSR", err);
    }
  }
  GrB_Matrix_free(&C);
  GrB_Matrix_free(&B);
  GrB_Matrix_free(&A);
  return st;
}

gs_status gs_graph_aggregate(const gs_graph *g, float *Y, const float *X, int64_t k,
                             bool transpose, gs_agg_kernel kernel, gs_error *err) {
  if (!g || !Y || !X)
    return gs_error_set(err, GS_ERR_INVALID, "gs_graph_aggregate: NULL graph or buffer");
  if (k < 0) return gs_error_set(err, GS_ERR_INVALID, "gs_graph_aggregate: k = %lld", (long long)k);
  if (k == 0) return GS_OK;
  if (g->a.nrows == 0)
    return gs_error_set(err, GS_ERR_INVALID, "gs_graph_aggregate: the graph lost its arrays");
  if (g->a.nrows > INT64_MAX / 4 / k)
    return gs_error_set(err, GS_ERR_RANGE, "gs_graph_aggregate: %lld x %lld floats overflow",
                        (long long)g->a.nrows, (long long)k);
  const uintptr_t bytes = (uintptr_t)(g->a.nrows * k) * sizeof(float);
  const uintptr_t x0 = (uintptr_t)X, y0 = (uintptr_t)Y;
  if (x0 < y0 + bytes && y0 < x0 + bytes)
    return gs_error_set(err, GS_ERR_INVALID, "gs_graph_aggregate: X and Y overlap");
  /* SYM and NONE are symmetric: Âᵀ = Â. The graph is logically const; the GraphBLAS path
   * lends its arrays to GraphBLAS for the call and takes them back, hence the cast. */
  gs_csr *m = (gs_csr *)(uintptr_t)((transpose && g->norm == GS_NORM_ROW) ? &g->at : &g->a);
  gs_status st = GS_OK;
  GS_KERNEL_BEGIN();
  switch (kernel) {
    case GS_AGG_AUTO:
    case GS_AGG_ROWS:
      gs_csr_spmm(m, X, k, Y, false);
      break;
    case GS_AGG_GRAPHBLAS:
      if (omp_in_parallel())
        return gs_error_set(err, GS_ERR_INVALID,
                            "gs_graph_aggregate: GraphBLAS may not be called inside an OpenMP region");
      st = aggregate_graphblas(m, Y, X, k, err);
      break;
    default:
      return gs_error_set(err, GS_ERR_INVALID, "unknown aggregation kernel %d", (int)kernel);
  }
  if (st == GS_OK) GS_KERNEL_END(GS_FLOPS_AGGREGATE, 2 * m->nnz * k);
  return st;
}

void gs_graph_aggregate_reference(const gs_graph *g, float *Y, const float *X, int64_t k,
                                  bool transpose) {
  const gs_csr *m = (transpose && g->norm == GS_NORM_ROW) ? &g->at : &g->a;
  gs_csr_spmm_reference(m, X, k, Y);
}

gs_status gs_graph_new_adjacency(gs_graph **out, int64_t n, const int64_t *rowptr,
                                 const uint32_t *col, gs_norm norm,
                                 const gs_graph_stats *lines, gs_error *err) {
  gs_status st = GS_OK;
  gs_graph *g = NULL;
  gs__node_word *deg = NULL; /* [n] the scale of each node's normalisation */
  if (!out || !rowptr || (!col && n > 0 && rowptr[n] > 0))
    return gs_error_set(err, GS_ERR_INVALID, "gs_graph_new_adjacency: NULL argument");
  if (n < 1 || n > ((int64_t)1 << 32))
    return gs_error_set(err, GS_ERR_INVALID, "a graph needs 1 to 2^32 nodes, got %lld",
                        (long long)n);
  if (norm != GS_NORM_SYM && norm != GS_NORM_ROW && norm != GS_NORM_NONE)
    return gs_error_set(err, GS_ERR_INVALID, "unknown normalisation %d", (int)norm);
  /* Each row ascending, in range, without self loops: what the store promises, checked rather
   * than trusted (one pass; symmetry is not checked, it would need a search per entry). */
  if (rowptr[0] != 0 || rowptr[n] < 0 || rowptr[n] > GS__GRAPH_MAX_EDGES)
    return gs_error_set(err, GS_ERR_RANGE, "adjacency: row pointers start at %lld and end at %lld",
                        (long long)rowptr[0], (long long)rowptr[n]);
  int64_t bad = n;
#pragma omp parallel for schedule(static) reduction(min : bad) if (n > GS__SPMM_PARALLEL_MIN)
  for (int64_t i = 0; i < n; i++) {
    bool ok = rowptr[i + 1] >= rowptr[i];
    for (int64_t q = rowptr[i]; ok && q < rowptr[i + 1]; q++)
      ok = (int64_t)col[q] < n && (int64_t)col[q] != i && (q == rowptr[i] || col[q] > col[q - 1]);
    if (!ok && i < bad) bad = i;
  }
  if (bad < n)
    return gs_error_set(err, GS_ERR_RANGE,
                        "adjacency row %lld: entries out of order, out of range or a self loop",
                        (long long)bad);
  const int64_t nnz = rowptr[n] + n;
  g = calloc(1, sizeof *g); /* a few words, outside the counting allocator: see gs_graph_bytes */
  deg = gs_mem_alloc((size_t)n * sizeof *deg, "graph-build");
  if (!g || !deg) {
    st = gs_error_set(err, GS_ERR_NOMEM, "out of memory building a graph of %lld nodes",
                      (long long)n);
    goto fail;
  }
  g->norm = norm;
  GS_TRY(gs_csr_alloc(&g->a, n, n, nnz, "graph", err));
  if (norm == GS_NORM_ROW) GS_TRY(gs_csr_alloc(&g->at, n, n, nnz, "graph", err));
  for (int64_t i = 0; i < n; i++) g->a.rowptr[i + 1] = rowptr[i + 1] + i + 1;
  {
    const int64_t parts = parts_for(nnz + n);
    const int64_t *arow = g->a.rowptr;
    int64_t *acol = g->a.col;
#pragma omp parallel for schedule(static) num_threads((int)parts)
    for (int64_t t = 0; t < parts; t++) {
      const int64_t r0 = gs__csr_part_start(arow, n, t, parts);
      const int64_t r1 = gs__csr_part_start(arow, n, t + 1, parts);
      for (int64_t i = r0; i < r1; i++) {
        int64_t q = arow[i], p = rowptr[i];
        for (; p < rowptr[i + 1] && (int64_t)col[p] < i; p++) acol[q++] = col[p];
        acol[q++] = i;
        for (; p < rowptr[i + 1]; p++) acol[q++] = col[p];
        const double d = (double)(rowptr[i + 1] - rowptr[i] + 1);
        deg[i].scale = norm == GS_NORM_SYM ? 1.0 / sqrt(d) : 1.0 / d;
      }
    }
  }
  gs__graph_fill_values(g, deg);
  if (lines) {
    g->stats.edge_lines = lines->edge_lines;
    g->stats.duplicate_lines = lines->duplicate_lines;
    g->stats.self_loop_lines = lines->self_loop_lines;
  }
  GS_TRY(finish_stats(g, err));
  gs_mem_free(deg);
  *out = g;
  return GS_OK;
fail:
  gs_mem_free(deg);
  gs_graph_free(&g);
  return st;
}
