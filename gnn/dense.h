/* Dense kernels of a GCN layer on row-major float arrays: products through OpenBLAS's
 * cblas_sgemm (about 16x GraphBLAS's dense rate here), and the fused element-wise steps
 * (bias, ReLU, inverted dropout from the counter RNG, LayerNorm) with their backward.
 * Element-wise kernels are OpenMP loops over rows with schedule(static); reductions are
 * done per thread and combined in a fixed order, so results do not depend on scheduling. */
#ifndef GS_DENSE_H
#define GS_DENSE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/rng.h"

/* Products of fewer FLOPs than this run on the calling thread; larger ones split C's rows
 * over the OpenMP threads (one parallel region, priced so by the cost model). */
#define GS_MATMUL_SERIAL_FLOPS 131072

/* C (m x n) = op(A) * op(B) (+ C when accumulate), row-major; op transposes when trans_*.
 * A is m x k (k x m if trans_a), B is k x n (n x k if trans_b). 2·m·n·k FLOPs. Each OpenMP
 * thread runs single-threaded OpenBLAS on a block of C's rows; the result depends only on the
 * thread count. */
void gs_dense_matmul(float *C, const float *A, const float *B, int64_t m, int64_t n, int64_t k,
                     bool trans_a, bool trans_b, bool accumulate);

/* Z (n x k) += b broadcast over rows. */
void gs_dense_bias_add(float *Z, const float *b, int64_t n, int64_t k);

/* db (k) += column sums of dZ (n x k). Per-thread partial sums combined in thread order. */
void gs_dense_bias_backward(float *db, const float *dZ, int64_t n, int64_t k);

/* A dropout mask as a pure function of (seed, stream, index): element i is kept when the
 * 16-bit lane i mod 4 of gs_rng_at_key(key, i / 4) is at least `threshold`, so one hash
 * serves four elements and the forward and backward regenerate the same mask without storing
 * it. The keep probability is 1 - threshold / 65536 (the rate rounded to 1/65536), and kept
 * values are scaled by its inverse, so the dropout stays exactly unbiased. */
typedef struct {
  uint64_t key;
  uint32_t threshold; /* 0 = keep everything */
  float scale;        /* 65536 / (65536 - threshold) */
} gs_dropout;

gs_dropout gs_dropout_make(uint64_t seed, uint64_t stream, float rate);

static inline bool gs_dropout_keep_at(const gs_dropout *d, uint64_t index) {
  uint64_t bits = gs_rng_at_key(d->key, index >> 2) >> (16 * (index & 3));
  return (uint32_t)(bits & 0xffffu) >= d->threshold;
}

/* Keep-or-drop decision of element `index` under dropout rate `rate` for (seed, stream). */
bool gs_dropout_keep(uint64_t seed, uint64_t stream, uint64_t index, float rate);

/* The factor kept elements are multiplied by under `rate`. */
float gs_dropout_scale(float rate);

/* out (count) = in ⊙ mask / (1 - rate). rate == 0 copies. out may equal in. */
void gs_dropout_forward(float *out, const float *in, int64_t count, float rate, uint64_t seed,
                        uint64_t stream);

/* d_in (count) = d_out ⊙ mask / (1 - rate), the mask regenerated from (seed, stream). */
void gs_dropout_backward(float *d_in, const float *d_out, int64_t count, float rate,
                         uint64_t seed, uint64_t stream);

/* out = dropout(relu(in)), fused; count elements. */
void gs_relu_dropout_forward(float *out, const float *in, int64_t count, float rate,
                             uint64_t seed, uint64_t stream);

/* The backward of gs_relu_dropout_forward from its output alone: with inverted dropout,
 * out > 0 exactly where relu was active and the element kept, so d_in = d_out / (1 - rate)
 * there and 0 elsewhere (DESIGN.md §2): neither the pre-activation nor the mask is stored. */
void gs_relu_dropout_backward_from_output(float *d_in, const float *d_out, const float *out,
                                          int64_t count, float rate);

/* d_in = d_out ⊙ [pre > 0] (ReLU backward from its input); d_in may equal d_out. */
void gs_relu_backward(float *d_in, const float *d_out, const float *pre, int64_t count);

/* Y = relu(X) in place allowed. */
void gs_relu_forward(float *Y, const float *X, int64_t count);

/* LayerNorm over each row of Z (n x k): xhat = (z - mean) / sqrt(var + eps),
 * Y = gamma ⊙ xhat + beta. Stores xhat (n x k) and rstd (n) for the backward. */
void gs_layernorm_forward(float *Y, float *xhat, float *rstd, const float *Z, const float *gamma,
                          const float *beta, int64_t n, int64_t k);

/* Backward of gs_layernorm_forward: dZ = rstd/k ⊙ (k·g - Σg - xhat·Σ(g⊙xhat)) with
 * g = dY ⊙ gamma; dgamma += Σ_rows dY ⊙ xhat; dbeta += Σ_rows dY. dZ may equal dY. */
void gs_layernorm_backward(float *dZ, float *dgamma, float *dbeta, const float *dY,
                           const float *xhat, const float *rstd, const float *gamma, int64_t n,
                           int64_t k);

/* Y = gamma ⊙ xhat + beta recomputed row-wise (to recover the ReLU mask after a norm). */
void gs_layernorm_apply(float *Y, const float *xhat, const float *gamma, const float *beta,
                        int64_t n, int64_t k);

/* BatchNorm over each column of Z (n x k), the rows being the batch: xhat = (z - mean) /
 * sqrt(var + eps) with the column's mean and biased variance, Y = gamma ⊙ xhat + beta. Stores
 * xhat (n x k) and rstd (k) for the backward; Y may equal Z. 8·n·k FLOPs. Column statistics
 * are accumulated in double per column block, so results do not depend on the threads. */
void gs_batchnorm_forward(float *Y, float *xhat, float *rstd, const float *Z, const float *gamma,
                          const float *beta, int64_t n, int64_t k);

/* Backward of gs_batchnorm_forward: dZ = gamma·rstd/n ⊙ (n·dY - Σ_rows dY - xhat·Σ_rows
 * dY⊙xhat); dgamma += Σ_rows dY ⊙ xhat; dbeta += Σ_rows dY. dZ may equal dY. 8·n·k FLOPs. */
void gs_batchnorm_backward(float *dZ, float *dgamma, float *dbeta, const float *dY,
                           const float *xhat, const float *rstd, const float *gamma, int64_t n,
                           int64_t k);

/* y += x (count elements). */
void gs_dense_add(float *y, const float *x, int64_t count);

/* y = b·y + a·x (count elements): 3 FLOPs each. */
void gs_dense_axpby(float *y, float a, const float *x, float b, int64_t count);

/* W_eff (k x k) = β·W + (1-β)·I, GCNII's identity mapping: k² + k FLOPs. */
void gs_dense_identity_mix(float *W_eff, const float *W, float beta, int64_t k);

/* y = a·y (count elements): 1 FLOP each. */
void gs_dense_scale(float *y, float a, int64_t count);

/* Σ x⊙y in double (2 FLOPs an element); per-thread partial sums combined in thread order, so
 * the result depends only on the thread count. */
double gs_dense_dot(const float *x, const float *y, int64_t count);

#define GS_LAYERNORM_EPS 1e-5f
#define GS_BATCHNORM_EPS 1e-5f /* PyTorch's BatchNorm1d default */

#endif
