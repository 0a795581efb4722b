/* Node renumbering of a dataset (see permute.h): validates the permutation and sizes every
 * workspace first, so that the renumbering itself cannot fail half way, then moves feature
 * rows, labels, edge endpoints and split ids together. Also builds the symmetric pattern of
 * the edge lines to compute a Reverse Cuthill-McKee order (sparse/reorder.h). */
#include "datasets/permute.h"

#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/runtime.h"
#include "core/stats.h"
#include "sparse/csr.h"
#include "sparse/reorder.h"

/* The first edge line with an endpoint outside [0, n), or -1. */
static int64_t first_bad_edge(const gs_dataset *ds) {
  const int64_t n = ds->num_nodes;
  for (int64_t e = 0; e < ds->num_edge_lines; e++)
    if (ds->src[e] < 0 || ds->src[e] >= n || ds->dst[e] < 0 || ds->dst[e] >= n) return e;
  return -1;
}

static gs_status check_edges(const gs_dataset *ds, const char *fn, gs_error *err) {
  if (ds->num_edge_lines < 0 || (ds->num_edge_lines > 0 && (!ds->src || !ds->dst)))
    return gs_error_set(err, GS_ERR_INVALID, "%s: %s: edge arrays missing", fn, ds->name);
  int64_t e = first_bad_edge(ds);
  if (e >= 0)
    return gs_error_set(err, GS_ERR_RANGE,
                        "%s: %s: edge line %lld (%lld, %lld) has a node id outside [0, %lld)", fn,
                        ds->name, (long long)e, (long long)ds->src[e], (long long)ds->dst[e],
                        (long long)ds->num_nodes);
  return GS_OK;
}

/* Checks that the arrays indexed by node agree with num_nodes. */
static gs_status check_dataset(const gs_dataset *ds, gs_error *err) {
  static const char fn[] = "gs_dataset_permute";
  const int64_t n = ds->num_nodes;
  if (n < 1) return gs_error_set(err, GS_ERR_INVALID, "%s: %s: no nodes", fn, ds->name);
  gs_status st = check_edges(ds, fn, err);
  if (st != GS_OK) return st;
  const gs_features *x = &ds->x;
  if (x->kind == GS_FEATURES_DENSE && (!x->dense || x->rows != n || x->cols < 0))
    return gs_error_set(err, GS_ERR_INVALID, "%s: %s: dense features are %lld x %lld for %lld nodes",
                        fn, ds->name, (long long)x->rows, (long long)x->cols, (long long)n);
  if (x->kind == GS_FEATURES_SPARSE &&
      (!x->sparse.rowptr || x->rows != n || x->sparse.nrows != n ||
       x->sparse.rowptr[n] != x->sparse.nnz || (x->sparse.nnz > 0 && (!x->sparse.col || !x->sparse.val))))
    return gs_error_set(err, GS_ERR_INVALID, "%s: %s: sparse features malformed for %lld nodes", fn,
                        ds->name, (long long)n);
  const int64_t *sets[3] = {ds->train, ds->valid, ds->test};
  const int64_t counts[3] = {ds->num_train, ds->num_valid, ds->num_test};
  static const char *const names[3] = {"train", "valid", "test"};
  for (int s = 0; s < 3; s++) {
    if (counts[s] < 0 || (counts[s] > 0 && !sets[s]))
      return gs_error_set(err, GS_ERR_INVALID, "%s: %s: %s split array missing", fn, ds->name,
                          names[s]);
    for (int64_t k = 0; k < counts[s]; k++)
      if (sets[s][k] < 0 || sets[s][k] >= n)
        return gs_error_set(err, GS_ERR_RANGE, "%s: %s: %s[%lld] = %lld is outside [0, %lld)", fn,
                            ds->name, names[s], (long long)k, (long long)sets[s][k],
                            (long long)n);
  }
  return GS_OK;
}

gs_status gs_dataset_permute(gs_dataset *ds, const int64_t *order, gs_error *err) {
  gs_status st = GS_OK;
  int64_t *inverse = NULL;
  int32_t *labels = NULL;
  uint8_t *visited = NULL;
  float *row = NULL;
  gs_csr csr;
  memset(&csr, 0, sizeof csr);
  if (!ds || !order) return gs_error_set(err, GS_ERR_INVALID, "gs_dataset_permute: NULL argument");
  GS_TRY(check_dataset(ds, err));
  const int64_t n = ds->num_nodes;
  gs_features *x = &ds->x;

  /* inverse[old] = new, built while checking that order is a permutation. */
  inverse = gs_mem_alloc((size_t)n * sizeof *inverse, "permute");
  if (!inverse) goto nomem;
  for (int64_t i = 0; i < n; i++) inverse[i] = -1;
  for (int64_t i = 0; i < n; i++) {
    const int64_t o = order[i];
    if (o < 0 || o >= n) {
      st = gs_error_set(err, GS_ERR_INVALID,
                        "gs_dataset_permute: order[%lld] = %lld is out of range [0, %lld)",
                        (long long)i, (long long)o, (long long)n);
      goto fail;
    }
    if (inverse[o] >= 0) {
      st = gs_error_set(err, GS_ERR_INVALID,
                        "gs_dataset_permute: order[%lld] = %lld repeats order[%lld]: not a "
                        "permutation",
                        (long long)i, (long long)o, (long long)inverse[o]);
      goto fail;
    }
    inverse[o] = i;
  }

  /* Every workspace first: after this point nothing can fail. */
  if (ds->labels) {
    labels = gs_mem_alloc((size_t)n * sizeof *labels, "dataset-labels");
    if (!labels) goto nomem;
  }
  if (x->kind == GS_FEATURES_DENSE) {
    visited = gs_mem_calloc((size_t)n / 8 + 1, 1, "permute");
    row = gs_mem_alloc((size_t)x->cols * sizeof *row, "permute");
    if (!visited || !row) goto nomem;
  } else if (x->kind == GS_FEATURES_SPARSE) {
    GS_TRY(gs_csr_alloc(&csr, n, x->sparse.ncols, x->sparse.nnz, "features", err));
  }

  /* Features: new row i = old row order[i]. */
  if (x->kind == GS_FEATURES_DENSE) {
    /* Follow each cycle s -> order[s] -> ...: row j takes row order[j] before that row is
     * overwritten in its turn; the cycle's first row waits in `row`. */
    const int64_t f = x->cols;
    const size_t bytes = (size_t)f * sizeof(float);
    for (int64_t s = 0; s < n; s++) {
      if (visited[s >> 3] & (1u << (s & 7))) continue;
      visited[s >> 3] |= (uint8_t)(1u << (s & 7));
      if (order[s] == s) continue;
      memcpy(row, x->dense + s * f, bytes);
      int64_t j = s;
      for (;;) {
        const int64_t k = order[j];
        if (k == s) {
          memcpy(x->dense + j * f, row, bytes);
          break;
        }
        memcpy(x->dense + j * f, x->dense + k * f, bytes);
        visited[k >> 3] |= (uint8_t)(1u << (k & 7));
        j = k;
      }
    }
  } else if (x->kind == GS_FEATURES_SPARSE) {
    const gs_csr *a = &x->sparse;
    csr.rowptr[0] = 0;
    for (int64_t i = 0; i < n; i++) {
      const int64_t o = order[i], len = a->rowptr[o + 1] - a->rowptr[o];
      memcpy(csr.col + csr.rowptr[i], a->col + a->rowptr[o], (size_t)len * sizeof *csr.col);
      memcpy(csr.val + csr.rowptr[i], a->val + a->rowptr[o], (size_t)len * sizeof *csr.val);
      csr.rowptr[i + 1] = csr.rowptr[i] + len;
    }
    gs_csr_release(&x->sparse);
    x->sparse = csr;
    memset(&csr, 0, sizeof csr);
  }

  if (labels) {
    for (int64_t i = 0; i < n; i++) labels[i] = ds->labels[order[i]];
    gs_mem_free(ds->labels);
    ds->labels = labels;
    labels = NULL;
  }

  /* Edge lines keep their positions; their endpoints take the new ids. */
  for (int64_t e = 0; e < ds->num_edge_lines; e++) {
    ds->src[e] = inverse[ds->src[e]];
    ds->dst[e] = inverse[ds->dst[e]];
  }

  int64_t *sets[3] = {ds->train, ds->valid, ds->test};
  const int64_t counts[3] = {ds->num_train, ds->num_valid, ds->num_test};
  for (int s = 0; s < 3; s++) {
    for (int64_t k = 0; k < counts[s]; k++) sets[s][k] = inverse[sets[s][k]];
    if (counts[s] > 1) qsort(sets[s], (size_t)counts[s], sizeof(int64_t), gs_compare_int64);
  }
  goto done;
nomem:
  st = gs_error_set(err, GS_ERR_NOMEM, "gs_dataset_permute: out of memory renumbering %lld nodes",
                    (long long)ds->num_nodes);
fail:
done:
  gs_mem_free(inverse);
  gs_mem_free(labels);
  gs_mem_free(visited);
  gs_mem_free(row);
  gs_csr_release(&csr);
  return st;
}

gs_status gs_dataset_order_rcm(int64_t **order, const gs_dataset *ds, gs_error *err) {
  gs_status st = GS_OK;
  gs_csr adj;
  memset(&adj, 0, sizeof adj);
  int64_t *out = NULL;
  if (!order || !ds) return gs_error_set(err, GS_ERR_INVALID, "gs_dataset_order_rcm: NULL argument");
  const int64_t n = ds->num_nodes;
  if (n < 1) return gs_error_set(err, GS_ERR_INVALID, "gs_dataset_order_rcm: %s: no nodes", ds->name);
  GS_TRY(check_edges(ds, "gs_dataset_order_rcm", err));

  /* Both directions of every line that is not a self loop, bucketed by source. */
  adj.rowptr = gs_mem_calloc((size_t)n + 1, sizeof *adj.rowptr, "transient");
  out = gs_mem_alloc((size_t)n * sizeof *out, "permute");
  if (!adj.rowptr || !out) goto nomem;
  for (int64_t e = 0; e < ds->num_edge_lines; e++)
    if (ds->src[e] != ds->dst[e]) {
      adj.rowptr[ds->src[e] + 1]++;
      adj.rowptr[ds->dst[e] + 1]++;
    }
  for (int64_t i = 0; i < n; i++) adj.rowptr[i + 1] += adj.rowptr[i];
  const int64_t entries = adj.rowptr[n];
  adj.col = gs_mem_alloc((size_t)(entries > 0 ? entries : 1) * sizeof *adj.col, "transient");
  if (!adj.col) goto nomem;
  /* `out` serves as the fill cursors until the ordering overwrites it. */
  for (int64_t i = 0; i < n; i++) out[i] = adj.rowptr[i];
  for (int64_t e = 0; e < ds->num_edge_lines; e++) {
    const int64_t u = ds->src[e], v = ds->dst[e];
    if (u == v) continue;
    adj.col[out[u]++] = v;
    adj.col[out[v]++] = u;
  }
  /* Sort each row and drop repeated neighbours (duplicate or reversed lines), compacting in
   * place: the write position never passes the read position. */
  int64_t w = 0, start = 0;
  for (int64_t i = 0; i < n; i++) {
    const int64_t end = adj.rowptr[i + 1];
    if (end - start > 1) qsort(adj.col + start, (size_t)(end - start), sizeof *adj.col, gs_compare_int64);
    adj.rowptr[i] = w;
    for (int64_t k = start; k < end; k++)
      if (w == adj.rowptr[i] || adj.col[w - 1] != adj.col[k]) adj.col[w++] = adj.col[k];
    start = end;
  }
  adj.rowptr[n] = w;
  adj.nrows = adj.ncols = n;
  adj.nnz = w;
  GS_TRY(gs_reorder_rcm(out, &adj, err));
  gs_mem_free(adj.rowptr);
  gs_mem_free(adj.col);
  *order = out;
  return GS_OK;
nomem:
  st = gs_error_set(err, GS_ERR_NOMEM, "gs_dataset_order_rcm: %s: out of memory for %lld nodes",
                    ds->name, (long long)n);
fail:
  gs_mem_free(adj.rowptr);
  gs_mem_free(adj.col);
  gs_mem_free(out);
  return st;
}
