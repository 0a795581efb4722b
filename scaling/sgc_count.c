/* SGC's Â^K X non-zeros for a planner (see sgc_count.h). */
#include "scaling/sgc_count.h"

#include <string.h>

#include "core/mem.h"
#include "core/runtime.h"
#include "datasets/colrank.h"
#include "gnn/model.h"

/* Whether every stored feature value is >= 0. */
static bool nonnegative(const gs_features *x) {
  const int64_t count = x->kind == GS_FEATURES_DENSE ? x->rows * x->cols : x->sparse.nnz;
  const float *v = x->kind == GS_FEATURES_DENSE ? x->dense : x->sparse.val;
  for (int64_t i = 0; i < count; i++)
    if (!(v[i] >= 0.0f)) return false;
  return true;
}

gs_status gs_sgc_counter_init(gs_sgc_counter *c, const gs_graph *g, const gs_features *x,
                              bool exact, gs_error *err) {
  memset(c, 0, sizeof *c);
  gs_colrank rank;
  memset(&rank, 0, sizeof rank);
  gs_status st = gs_colrank_features(&rank, x, GS_COLRANK_DF, err);
  if (st != GS_OK) return st;
  c->g = g;
  c->x = x;
  c->order = rank.order;
  c->exact = exact;
  c->nonnegative = nonnegative(x);
  rank.order = NULL;
  gs_colrank_free(&rank);
  return GS_OK;
}

void gs_sgc_counter_release(gs_sgc_counter *c) {
  gs_mem_free(c->order);
  gs_mem_free(c->prefix);
  memset(c, 0, sizeof *c);
}

/* Counts K = 1 .. hops afresh (one pass) into c->prefix. */
static gs_status count_pass(gs_sgc_counter *c, int32_t hops, gs_error *err) {
  const int64_t f = c->x->cols;
  const double t0 = gs_clock_seconds();
  int64_t *counts = gs_mem_alloc((size_t)hops * (size_t)f * sizeof *counts, "workspace");
  int64_t *prefix = gs_mem_alloc((size_t)hops * (size_t)(f + 1) * sizeof *prefix, "plan");
  gs_status st = GS_OK;
  if (!counts || !prefix) {
    st = gs_error_set(err, GS_ERR_NOMEM, "out of memory counting A_hat^K X for K <= %d",
                      (int)hops);
    goto fail;
  }
  if ((st = gs_model_smoothed_column_nnz(counts, c->g, c->x, hops, err)) != GS_OK) goto fail;
  for (int32_t k = 0; k < hops; k++) {
    int64_t *p = prefix + (int64_t)k * (f + 1);
    p[0] = 0;
    for (int64_t r = 0; r < f; r++) p[r + 1] = p[r] + counts[(int64_t)k * f + c->order[r]];
  }
  gs_mem_free(c->prefix);
  c->prefix = prefix;
  prefix = NULL;
  c->hops = hops;
  c->passes++;
  c->steps += hops;
  c->flops += 2.0 * (double)hops * (double)gs_graph_nnz(c->g) * (double)f;
  c->seconds += gs_clock_seconds() - t0;
  /* The first K from which every prefix is dense (see sgc_count.h), if any. */
  c->dense_from = 0;
  for (int32_t k = 0; k < hops && c->nonnegative && !c->exact && !c->dense_from; k++) {
    const int64_t *p = c->prefix + (int64_t)k * (f + 1);
    bool dense = true;
    for (int64_t r = 1; r <= f && dense; r++)
      dense = (double)p[r] >= GS_SGC_SPARSE_BELOW * (double)c->x->rows * (double)r;
    if (dense) c->dense_from = k + 1;
  }
fail:
  gs_mem_free(counts);
  gs_mem_free(prefix);
  return st;
}

gs_status gs_sgc_counter_count(void *ctx, int32_t hops, int64_t features, int64_t *nnz,
                               gs_error *err) {
  gs_sgc_counter *c = ctx;
  const int64_t f = c->x->cols;
  if (hops < 1 || hops > GS_MAX_LAYERS || features < 1 || features > f)
    return gs_error_set(err, GS_ERR_INVALID,
                        "SGC count: K = %d, %lld columns (1 .. %d steps, 1 .. %lld columns)",
                        (int)hops, (long long)features, GS_MAX_LAYERS, (long long)f);
  if (c->dense_from > 0 && hops > c->dense_from) hops = c->dense_from; /* dense from there */
  if (hops > c->hops) {
    int32_t to = 2 * c->hops > hops ? 2 * c->hops : hops;
    if (to > GS_MAX_LAYERS) to = GS_MAX_LAYERS;
    gs_status st = count_pass(c, to, err);
    if (st != GS_OK) return st;
  }
  *nnz = c->prefix[(int64_t)(hops - 1) * (f + 1) + features];
  return GS_OK;
}
