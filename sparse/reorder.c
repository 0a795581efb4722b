/* Reverse Cuthill-McKee ordering (see reorder.h). */
#include "sparse/reorder.h"

#include <stdlib.h>

#include "core/mem.h"

typedef struct {
  int64_t degree;
  int64_t id;
} node_key;

static int compare_key(const void *a, const void *b) {
  const node_key *x = a, *y = b;
  if (x->degree != y->degree) return x->degree < y->degree ? -1 : 1;
  return (x->id > y->id) - (x->id < y->id);
}

static int64_t degree_of(const gs_csr *adj, int64_t i) {
  int64_t d = 0;
  for (int64_t e = adj->rowptr[i]; e < adj->rowptr[i + 1]; e++) d += adj->col[e] != i;
  return d;
}

void gs_reorder_invert(int64_t *inverse, const int64_t *order, int64_t n) {
  for (int64_t i = 0; i < n; i++) inverse[order[i]] = i;
}

gs_status gs_reorder_rcm(int64_t *order, const gs_csr *adj, gs_error *err) {
  const int64_t n = adj->nrows;
  gs_status st = GS_OK;
  node_key *by_degree = gs_mem_alloc((size_t)n * sizeof *by_degree, "transient");
  unsigned char *visited = gs_mem_calloc((size_t)n, 1, "transient");
  int64_t max_degree = 0;
  node_key *scratch = NULL;
  if (!by_degree || !visited) goto nomem;
  for (int64_t i = 0; i < n; i++) {
    by_degree[i].degree = degree_of(adj, i);
    by_degree[i].id = i;
    if (by_degree[i].degree > max_degree) max_degree = by_degree[i].degree;
  }
  scratch = gs_mem_alloc((size_t)(max_degree + 1) * sizeof *scratch, "transient");
  if (!scratch) goto nomem;
  qsort(by_degree, (size_t)n, sizeof *by_degree, compare_key);
  /* order[] doubles as the BFS queue: head reads, tail appends. */
  int64_t tail = 0, head = 0;
  for (int64_t s = 0; s < n; s++) {
    int64_t start = by_degree[s].id;
    if (visited[start]) continue;
    visited[start] = 1;
    order[tail++] = start;
    while (head < tail) {
      int64_t v = order[head++];
      int64_t count = 0;
      for (int64_t e = adj->rowptr[v]; e < adj->rowptr[v + 1]; e++) {
        int64_t u = adj->col[e];
        if (visited[u]) continue;
        visited[u] = 1;
        scratch[count].degree = degree_of(adj, u);
        scratch[count].id = u;
        count++;
      }
      qsort(scratch, (size_t)count, sizeof *scratch, compare_key);
      for (int64_t c = 0; c < count; c++) order[tail++] = scratch[c].id;
    }
  }
  for (int64_t i = 0; i < n / 2; i++) {
    int64_t t = order[i];
    order[i] = order[n - 1 - i];
    order[n - 1 - i] = t;
  }
  goto done;
nomem:
  st = gs_error_set(err, GS_ERR_NOMEM, "out of memory computing the RCM ordering");
done:
  gs_mem_free(by_degree);
  gs_mem_free(visited);
  gs_mem_free(scratch);
  return st;
}

gs_status gs_graph_reorder_rcm(gs_graph **out, const gs_graph *g, gs_error *err) {
  const gs_csr *adj = gs_graph_csr(g);
  const int64_t n = adj->nrows;
  gs_status st = GS_OK;
  int64_t *order = gs_mem_alloc((size_t)n * sizeof *order, "transient");
  int64_t *inverse = gs_mem_alloc((size_t)n * sizeof *inverse, "transient");
  int64_t *src = gs_mem_alloc((size_t)(adj->nnz > 0 ? adj->nnz : 1) * sizeof *src, "transient");
  int64_t *dst = gs_mem_alloc((size_t)(adj->nnz > 0 ? adj->nnz : 1) * sizeof *dst, "transient");
  if (!order || !inverse || !src || !dst) {
    st = gs_error_set(err, GS_ERR_NOMEM, "out of memory renumbering the graph");
    goto done;
  }
  st = gs_reorder_rcm(order, adj, err);
  if (st != GS_OK) goto done;
  gs_reorder_invert(inverse, order, n);
  int64_t count = 0;
  for (int64_t i = 0; i < n; i++)
    for (int64_t e = adj->rowptr[i]; e < adj->rowptr[i + 1]; e++)
      if (adj->col[e] > i) { /* each undirected edge once; the builder symmetrises */
        src[count] = inverse[i];
        dst[count] = inverse[adj->col[e]];
        count++;
      }
  st = gs_graph_new(out, n, src, dst, count, gs_graph_norm(g), err);
done:
  gs_mem_free(order);
  gs_mem_free(inverse);
  gs_mem_free(src);
  gs_mem_free(dst);
  return st;
}
