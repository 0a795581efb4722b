/* Sparse-feature first layer with counter-RNG dropout (see input.h). Rows of T and of dW are
 * independent, so both loops are parallel over rows with no reduction. */
#include "gnn/input.h"

#include "core/mem.h"
#include "gnn/dense.h"
#include "core/flops.h"

void gs_input_transpose_into(gs_csr *xt, int64_t *perm, const gs_csr *x) {
  xt->nrows = x->ncols;
  xt->ncols = x->nrows;
  xt->nnz = x->nnz;
  /* Counting sort by column. rowptr[j + 1] first counts column j; after the prefix sum,
   * rowptr[j] is the cursor of row j of Xᵀ, and after the fill it has advanced to the start
   * of row j + 1, so one shift restores the row pointers. Rows of X are visited in order,
   * so each row of Xᵀ comes out sorted. */
  for (int64_t j = 0; j <= x->ncols; j++) xt->rowptr[j] = 0;
  for (int64_t e = 0; e < x->nnz; e++) xt->rowptr[x->col[e] + 1]++;
  for (int64_t j = 0; j < x->ncols; j++) xt->rowptr[j + 1] += xt->rowptr[j];
  for (int64_t i = 0; i < x->nrows; i++)
    for (int64_t e = x->rowptr[i]; e < x->rowptr[i + 1]; e++) {
      int64_t slot = xt->rowptr[x->col[e]]++;
      xt->col[slot] = i;
      xt->val[slot] = x->val[e];
      perm[slot] = e;
    }
  for (int64_t j = x->ncols; j > 0; j--) xt->rowptr[j] = xt->rowptr[j - 1];
  xt->rowptr[0] = 0;
}

gs_status gs_input_transpose(gs_csr *xt, int64_t **perm, const gs_csr *x, const char *tag,
                             gs_error *err) {
  gs_status st = gs_csr_alloc(xt, x->ncols, x->nrows, x->nnz, tag, err);
  if (st != GS_OK) return st;
  int64_t *p = gs_mem_alloc((size_t)(x->nnz > 0 ? x->nnz : 1) * sizeof *p, tag);
  if (!p) {
    gs_csr_release(xt);
    return gs_error_set(err, GS_ERR_NOMEM, "out of memory transposing the features");
  }
  gs_input_transpose_into(xt, p, x);
  *perm = p;
  return GS_OK;
}

void gs_input_forward(float *T, const gs_csr *x, const float *W, int64_t out, float rate,
                      uint64_t seed, uint64_t stream) {
  GS_KERNEL_BEGIN();
  const gs_dropout d = gs_dropout_make(seed, stream, rate);
  const float scale = d.scale;
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < x->nrows; i++) {
    float *t = T + i * out;
    for (int64_t j = 0; j < out; j++) t[j] = 0.0f;
    for (int64_t e = x->rowptr[i]; e < x->rowptr[i + 1]; e++) {
      if (d.threshold && !gs_dropout_keep_at(&d, (uint64_t)e)) continue;
      const float v = x->val[e] * scale;
      const float *w = W + x->col[e] * out;
#pragma omp simd
      for (int64_t j = 0; j < out; j++) t[j] += v * w[j];
    }
  }
  GS_KERNEL_END(GS_FLOPS_SPARSE_INPUT, 2 * x->nnz * out);
}

void gs_input_backward(float *dW, const gs_csr *xt, const int64_t *perm, const float *dT,
                       int64_t out, float rate, uint64_t seed, uint64_t stream) {
  GS_KERNEL_BEGIN();
  const gs_dropout d = gs_dropout_make(seed, stream, rate);
  const float scale = d.scale;
  /* Dynamic schedule: column frequencies are skewed, and each row of dW is still summed by
   * one thread in index order, so the result does not depend on the schedule. */
#pragma omp parallel for schedule(dynamic, 64)
  for (int64_t c = 0; c < xt->nrows; c++) {
    float *dw = dW + c * out;
    for (int64_t e = xt->rowptr[c]; e < xt->rowptr[c + 1]; e++) {
      if (d.threshold && !gs_dropout_keep_at(&d, (uint64_t)perm[e])) continue;
      const float v = xt->val[e] * scale;
      const float *g = dT + xt->col[e] * out;
#pragma omp simd
      for (int64_t j = 0; j < out; j++) dw[j] += v * g[j];
    }
  }
  GS_KERNEL_END(GS_FLOPS_SPARSE_INPUT, 2 * xt->nnz * out);
}
