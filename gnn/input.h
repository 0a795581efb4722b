/* The first GCN layer's product with sparse (CSR) features under inverted dropout: the
 * dropout mask of entry e of X is drawn from the counter RNG at index e, so neither a
 * dropped copy of X nor a mask is stored, and the backward Xᵀ·dT walks a transposed copy
 * whose `perm` maps each of its entries back to e. 2·nnz(X)·out FLOPs each way. */
#ifndef GS_INPUT_H
#define GS_INPUT_H

#include <stdint.h>

#include "core/status.h"
#include "sparse/csr.h"

/* Fills xt = Xᵀ and perm[e'] = index in x of Xᵀ entry e', into arrays the caller
 * allocated: xt->rowptr [x.ncols + 1], xt->col and xt->val [x.nnz], perm [x.nnz]. Needs no
 * workspace (the row pointers serve as insertion cursors), so it adds nothing to the peak. */
void gs_input_transpose_into(gs_csr *xt, int64_t *perm, const gs_csr *x);

/* As gs_input_transpose_into, allocating the arrays under `tag`. */
gs_status gs_input_transpose(gs_csr *xt, int64_t **perm, const gs_csr *x, const char *tag,
                             gs_error *err);

/* T (n x out) = dropout(X) · W, W (f x out). rate 0 disables dropout. */
void gs_input_forward(float *T, const gs_csr *x, const float *W, int64_t out, float rate,
                      uint64_t seed, uint64_t stream);

/* dW (f x out) += dropout(X)ᵀ · dT, dT (n x out), with the mask of the forward. */
void gs_input_backward(float *dW, const gs_csr *xt, const int64_t *perm, const float *dT,
                       int64_t out, float rate, uint64_t seed, uint64_t stream);

#endif
