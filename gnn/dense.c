/* Dense GCN kernels: cblas_sgemm products and fused element-wise steps (see dense.h).
 * Column reductions are split over blocks of columns rather than rows, so each sum runs
 * over the rows in order and the result is the same for any thread count. */
#include "gnn/dense.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>

#include "core/rng.h"
#include "core/flops.h"

/* Columns summed together by one thread in a column reduction (doubles on the stack). */
#define COLUMN_BLOCK 64

/* Row blocks start at multiples of this many rows, so a thread's block of a transposed
 * operand (a column slice) starts on a 64-byte line. */
#define MATMUL_ROW_ALIGN 16

/* One cblas_sgemm on rows [r0, r1) of C: op(A)'s rows are A's rows (or, transposed, A's
 * columns); B is shared. */
static void matmul_rows(float *C, const float *A, const float *B, int64_t m, int64_t n,
                        int64_t k, bool trans_a, bool trans_b, bool accumulate, int64_t r0,
                        int64_t r1) {
  int lda = (int)(trans_a ? m : k);
  int ldb = (int)(trans_b ? k : n);
  const float *a = trans_a ? A + r0 : A + r0 * k;
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
              trans_b ? CblasTrans : CblasNoTrans, (int)(r1 - r0), (int)n, (int)k, 1.0f, a, lda,
              B, ldb, accumulate ? 1.0f : 0.0f, C + r0 * n, (int)n);
}

/* OpenBLAS runs single-threaded (core/runtime.c): each OpenMP thread multiplies its own block
 * of C's rows. One thread pool instead of two means no OpenBLAS threads waking against
 * spinning OpenMP ones, which cost 100-400 µs per small product on 2 cores; every element
 * of C is still summed by one call over the whole k, so the result depends only on the
 * thread count. */
/* (GS_MATMUL_SERIAL_FLOPS: a parallel region costs about 2 µs here, the time of some 10^5
 * FLOPs of a small product.) */
void gs_dense_matmul(float *C, const float *A, const float *B, int64_t m, int64_t n, int64_t k,
                     bool trans_a, bool trans_b, bool accumulate) {
  GS_KERNEL_BEGIN();
  const int64_t flops = 2 * m * n * k;
  if (m > 0 && n > 0 && k == 0 && !accumulate) {
    for (int64_t i = 0; i < m * n; i++) C[i] = 0.0f;
  } else if (m > 0 && n > 0 && k > 0) {
    int64_t threads = flops < GS_MATMUL_SERIAL_FLOPS ? 1 : omp_get_max_threads();
    if (threads > m / MATMUL_ROW_ALIGN) threads = m / MATMUL_ROW_ALIGN;
    if (threads <= 1) {
      matmul_rows(C, A, B, m, n, k, trans_a, trans_b, accumulate, 0, m);
    } else {
#pragma omp parallel num_threads((int)threads)
      {
        const int64_t t = omp_get_thread_num(), blocks = m / MATMUL_ROW_ALIGN;
        int64_t r0 = blocks * t / threads * MATMUL_ROW_ALIGN;
        int64_t r1 = t + 1 == threads ? m : blocks * (t + 1) / threads * MATMUL_ROW_ALIGN;
        if (r1 > r0) matmul_rows(C, A, B, m, n, k, trans_a, trans_b, accumulate, r0, r1);
      }
    }
  }
  GS_KERNEL_END(GS_FLOPS_DENSE, flops);
}

void gs_dense_bias_add(float *Z, const float *b, int64_t n, int64_t k) {
  GS_KERNEL_BEGIN();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; i++) {
    float *row = Z + i * k;
#pragma omp simd
    for (int64_t j = 0; j < k; j++) row[j] += b[j];
  }
  GS_KERNEL_END(GS_FLOPS_ELEMENTWISE, n * k);
}

void gs_dense_bias_backward(float *db, const float *dZ, int64_t n, int64_t k) {
  GS_KERNEL_BEGIN();
  int64_t blocks = (k + COLUMN_BLOCK - 1) / COLUMN_BLOCK;
#pragma omp parallel for schedule(static)
  for (int64_t blk = 0; blk < blocks; blk++) {
    int64_t j0 = blk * COLUMN_BLOCK, j1 = j0 + COLUMN_BLOCK < k ? j0 + COLUMN_BLOCK : k;
    double acc[COLUMN_BLOCK] = {0};
    for (int64_t i = 0; i < n; i++)
      for (int64_t j = j0; j < j1; j++) acc[j - j0] += dZ[i * k + j];
    for (int64_t j = j0; j < j1; j++) db[j] += (float)acc[j - j0];
  }
  GS_KERNEL_END(GS_FLOPS_ELEMENTWISE, n * k);
}

gs_dropout gs_dropout_make(uint64_t seed, uint64_t stream, float rate) {
  gs_dropout d;
  d.key = gs_rng_key(seed, stream);
  double t = rate > 0.0f ? floor((double)rate * 65536.0 + 0.5) : 0.0;
  if (t > 65535.0) t = 65535.0;
  d.threshold = (uint32_t)t;
  d.scale = (float)(65536.0 / (65536.0 - t));
  return d;
}

bool gs_dropout_keep(uint64_t seed, uint64_t stream, uint64_t index, float rate) {
  gs_dropout d = gs_dropout_make(seed, stream, rate);
  return gs_dropout_keep_at(&d, index);
}

float gs_dropout_scale(float rate) { return gs_dropout_make(0, 0, rate).scale; }

/* Elements per block of dropout_apply: their 16-bit random lanes are generated first (a
 * scalar loop of 64-bit hashes), then applied in a branch-free loop the compiler vectorises. */
#define DROPOUT_BLOCK 256

/* Applies out[i] = f(in[i]) · mask(i) · scale, f = ReLU when `relu`, identity otherwise. */
static void dropout_apply(float *out, const float *in, int64_t count, float rate, uint64_t seed,
                          uint64_t stream, bool relu) {
  const gs_dropout d = gs_dropout_make(seed, stream, rate);
  const int64_t blocks = (count + DROPOUT_BLOCK - 1) / DROPOUT_BLOCK;
#pragma omp parallel for schedule(static)
  for (int64_t b = 0; b < blocks; b++) {
    const int64_t i0 = b * DROPOUT_BLOCK;
    const int64_t len = count - i0 < DROPOUT_BLOCK ? count - i0 : DROPOUT_BLOCK;
    uint16_t lane[DROPOUT_BLOCK];
    if (d.threshold) {
      /* i0 is a multiple of 4, so group g of the block is hash (i0 / 4 + g), lanes in order */
      for (int64_t g = 0; g < (len + 3) / 4; g++) {
        uint64_t h = gs_rng_at_key(d.key, (uint64_t)(i0 / 4 + g));
        lane[4 * g] = (uint16_t)h;
        lane[4 * g + 1] = (uint16_t)(h >> 16);
        lane[4 * g + 2] = (uint16_t)(h >> 32);
        lane[4 * g + 3] = (uint16_t)(h >> 48);
      }
    } else {
      for (int64_t j = 0; j < len; j++) lane[j] = 0xffff;
    }
    const float *x = in + i0;
    float *y = out + i0;
    const int32_t threshold = (int32_t)d.threshold;
    const float scale = d.scale;
    /* Branch-free: with 50% dropout a data-dependent branch mispredicts half the time. */
    if (relu) {
#pragma omp simd
      for (int64_t j = 0; j < len; j++) {
        float v = x[j] > 0.0f ? x[j] : 0.0f;
        float m = (float)((int32_t)lane[j] >= threshold) * scale;
        y[j] = v * m;
      }
    } else {
#pragma omp simd
      for (int64_t j = 0; j < len; j++) {
        float m = (float)((int32_t)lane[j] >= threshold) * scale;
        y[j] = x[j] * m;
      }
    }
  }
}

void gs_dropout_forward(float *out, const float *in, int64_t count, float rate, uint64_t seed,
                        uint64_t stream) {
  GS_KERNEL_BEGIN();
  if (rate > 0.0f) {
    dropout_apply(out, in, count, rate, seed, stream, false);
  } else if (out != in) {
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < count; i++) out[i] = in[i];
  }
  GS_KERNEL_END(GS_FLOPS_ELEMENTWISE, count);
}

void gs_dropout_backward(float *d_in, const float *d_out, int64_t count, float rate,
                         uint64_t seed, uint64_t stream) {
  /* Same arithmetic as the forward: the mask is regenerated, not stored. */
  gs_dropout_forward(d_in, d_out, count, rate, seed, stream);
}

void gs_relu_dropout_forward(float *out, const float *in, int64_t count, float rate,
                             uint64_t seed, uint64_t stream) {
  GS_KERNEL_BEGIN();
  dropout_apply(out, in, count, rate, seed, stream, true);
  GS_KERNEL_END(GS_FLOPS_ELEMENTWISE, 2 * count);
}

void gs_relu_dropout_backward_from_output(float *d_in, const float *d_out, const float *out,
                                          int64_t count, float rate) {
  GS_KERNEL_BEGIN();
  const float scale = gs_dropout_scale(rate);
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < count; i++) d_in[i] = out[i] > 0.0f ? d_out[i] * scale : 0.0f;
  GS_KERNEL_END(GS_FLOPS_ELEMENTWISE, count);
}

void gs_relu_backward(float *d_in, const float *d_out, const float *pre, int64_t count) {
  GS_KERNEL_BEGIN();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < count; i++) d_in[i] = pre[i] > 0.0f ? d_out[i] : 0.0f;
  GS_KERNEL_END(GS_FLOPS_ELEMENTWISE, count);
}

void gs_relu_forward(float *Y, const float *X, int64_t count) {
  GS_KERNEL_BEGIN();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < count; i++) Y[i] = X[i] > 0.0f ? X[i] : 0.0f;
  GS_KERNEL_END(GS_FLOPS_ELEMENTWISE, count);
}

void gs_dense_add(float *y, const float *x, int64_t count) {
  GS_KERNEL_BEGIN();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < count; i++) y[i] += x[i];
  GS_KERNEL_END(GS_FLOPS_ELEMENTWISE, count);
}

void gs_layernorm_forward(float *Y, float *xhat, float *rstd, const float *Z, const float *gamma,
                          const float *beta, int64_t n, int64_t k) {
  GS_KERNEL_BEGIN();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; i++) {
    const float *z = Z + i * k;
    double sum = 0.0, sumsq = 0.0;
    for (int64_t j = 0; j < k; j++) sum += z[j];
    double mean = sum / (double)k;
    for (int64_t j = 0; j < k; j++) {
      double d = z[j] - mean;
      sumsq += d * d;
    }
    float r = (float)(1.0 / sqrt(sumsq / (double)k + (double)GS_LAYERNORM_EPS));
    rstd[i] = r;
    float *xh = xhat + i * k, *y = Y + i * k;
    for (int64_t j = 0; j < k; j++) {
      xh[j] = (float)((z[j] - mean) * r);
      y[j] = gamma[j] * xh[j] + beta[j];
    }
  }
  GS_KERNEL_END(GS_FLOPS_ELEMENTWISE, 7 * n * k);
}

void gs_layernorm_apply(float *Y, const float *xhat, const float *gamma, const float *beta,
                        int64_t n, int64_t k) {
  GS_KERNEL_BEGIN();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < k; j++) Y[i * k + j] = gamma[j] * xhat[i * k + j] + beta[j];
  GS_KERNEL_END(GS_FLOPS_ELEMENTWISE, 2 * n * k);
}

void gs_layernorm_backward(float *dZ, float *dgamma, float *dbeta, const float *dY,
                           const float *xhat, const float *rstd, const float *gamma, int64_t n,
                           int64_t k) {
  GS_KERNEL_BEGIN();
  /* Parameter gradients first (column reduction), since dZ may overwrite dY. */
  int64_t blocks = (k + COLUMN_BLOCK - 1) / COLUMN_BLOCK;
#pragma omp parallel for schedule(static)
  for (int64_t blk = 0; blk < blocks; blk++) {
    int64_t j0 = blk * COLUMN_BLOCK, j1 = j0 + COLUMN_BLOCK < k ? j0 + COLUMN_BLOCK : k;
    double ag[COLUMN_BLOCK] = {0}, ab[COLUMN_BLOCK] = {0};
    for (int64_t i = 0; i < n; i++)
      for (int64_t j = j0; j < j1; j++) {
        ag[j - j0] += (double)dY[i * k + j] * xhat[i * k + j];
        ab[j - j0] += dY[i * k + j];
      }
    for (int64_t j = j0; j < j1; j++) {
      dgamma[j] += (float)ag[j - j0];
      dbeta[j] += (float)ab[j - j0];
    }
  }
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; i++) {
    const float *dy = dY + i * k, *xh = xhat + i * k;
    double sum_g = 0.0, sum_gx = 0.0;
    for (int64_t j = 0; j < k; j++) {
      double g = (double)dy[j] * gamma[j];
      sum_g += g;
      sum_gx += g * xh[j];
    }
    float *dz = dZ + i * k;
    double scale = (double)rstd[i] / (double)k;
    for (int64_t j = 0; j < k; j++) {
      double g = (double)dy[j] * gamma[j];
      dz[j] = (float)(scale * ((double)k * g - sum_g - xh[j] * sum_gx));
    }
  }
  GS_KERNEL_END(GS_FLOPS_ELEMENTWISE, 9 * n * k);
}

/* The statistics are column reductions over all n rows: column blocks across threads (as
 * gs_dense_bias_backward), each summed in row order in double, then a row-parallel pass. */
void gs_batchnorm_forward(float *Y, float *xhat, float *rstd, const float *Z, const float *gamma,
                          const float *beta, int64_t n, int64_t k) {
  GS_KERNEL_BEGIN();
  float mean[COLUMN_BLOCK];
  for (int64_t j0 = 0; j0 < k; j0 += COLUMN_BLOCK) {
    const int64_t j1 = j0 + COLUMN_BLOCK < k ? j0 + COLUMN_BLOCK : k;
    double sum[COLUMN_BLOCK] = {0}, sumsq[COLUMN_BLOCK] = {0};
    for (int64_t i = 0; i < n; i++)
      for (int64_t j = j0; j < j1; j++) sum[j - j0] += Z[i * k + j];
    for (int64_t j = j0; j < j1; j++) mean[j - j0] = (float)(sum[j - j0] / (double)n);
    for (int64_t i = 0; i < n; i++)
      for (int64_t j = j0; j < j1; j++) {
        double d = (double)Z[i * k + j] - mean[j - j0];
        sumsq[j - j0] += d * d;
      }
    for (int64_t j = j0; j < j1; j++)
      rstd[j] = (float)(1.0 / sqrt(sumsq[j - j0] / (double)n + (double)GS_BATCHNORM_EPS));
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; i++)
      for (int64_t j = j0; j < j1; j++) {
        const float xh = (Z[i * k + j] - mean[j - j0]) * rstd[j];
        xhat[i * k + j] = xh;
        Y[i * k + j] = gamma[j] * xh + beta[j];
      }
  }
  GS_KERNEL_END(GS_FLOPS_ELEMENTWISE, 8 * n * k);
}

void gs_batchnorm_backward(float *dZ, float *dgamma, float *dbeta, const float *dY,
                           const float *xhat, const float *rstd, const float *gamma, int64_t n,
                           int64_t k) {
  GS_KERNEL_BEGIN();
  for (int64_t j0 = 0; j0 < k; j0 += COLUMN_BLOCK) {
    const int64_t j1 = j0 + COLUMN_BLOCK < k ? j0 + COLUMN_BLOCK : k;
    double sg[COLUMN_BLOCK] = {0}, sgx[COLUMN_BLOCK] = {0};
    for (int64_t i = 0; i < n; i++)
      for (int64_t j = j0; j < j1; j++) {
        sg[j - j0] += dY[i * k + j];
        sgx[j - j0] += (double)dY[i * k + j] * xhat[i * k + j];
      }
    float a[COLUMN_BLOCK], b[COLUMN_BLOCK], c[COLUMN_BLOCK];
    for (int64_t j = j0; j < j1; j++) {
      dbeta[j] += (float)sg[j - j0];
      dgamma[j] += (float)sgx[j - j0];
      /* dZ = a·dY - b - c·xhat with a = gamma·rstd, b = a·mean(dY), c = a·mean(dY⊙xhat) */
      a[j - j0] = gamma[j] * rstd[j];
      b[j - j0] = (float)((double)a[j - j0] * sg[j - j0] / (double)n);
      c[j - j0] = (float)((double)a[j - j0] * sgx[j - j0] / (double)n);
    }
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; i++)
      for (int64_t j = j0; j < j1; j++)
        dZ[i * k + j] = a[j - j0] * dY[i * k + j] - b[j - j0] - c[j - j0] * xhat[i * k + j];
  }
  GS_KERNEL_END(GS_FLOPS_ELEMENTWISE, 8 * n * k);
}

void gs_dense_axpby(float *y, float a, const float *x, float b, int64_t count) {
  GS_KERNEL_BEGIN();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < count; i++) y[i] = b * y[i] + a * x[i];
  GS_KERNEL_END(GS_FLOPS_ELEMENTWISE, 3 * count);
}

void gs_dense_identity_mix(float *W_eff, const float *W, float beta, int64_t k) {
  GS_KERNEL_BEGIN();
  /* k x k is small (the hidden width): serial, no region to open. */
  const float keep = 1.0f - beta;
  for (int64_t i = 0; i < k * k; i++) W_eff[i] = beta * W[i];
  for (int64_t i = 0; i < k; i++) W_eff[i * k + i] += keep;
  GS_KERNEL_END(GS_FLOPS_ELEMENTWISE, k * k + k);
}

void gs_dense_scale(float *y, float a, int64_t count) {
  GS_KERNEL_BEGIN();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < count; i++) y[i] *= a;
  GS_KERNEL_END(GS_FLOPS_ELEMENTWISE, count);
}

/* Threads beyond this share the last partial sums' slots (never on a 2-core machine). */
#define DOT_MAX_THREADS 256

double gs_dense_dot(const float *x, const float *y, int64_t count) {
  GS_KERNEL_BEGIN();
  double partial[DOT_MAX_THREADS] = {0};
#pragma omp parallel
  {
    /* Contiguous chunks by thread number: the same split for the same thread count. */
    const int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
    const int64_t lo = count * t / nt, hi = count * (t + 1) / nt;
    double acc = 0.0;
    for (int64_t i = lo; i < hi; i++) acc += (double)x[i] * (double)y[i];
    if (t < DOT_MAX_THREADS) partial[t] = acc;
    else {
#pragma omp critical
      partial[DOT_MAX_THREADS - 1] += acc;
    }
  }
  double sum = 0.0;
  for (int t = 0; t < DOT_MAX_THREADS; t++) sum += partial[t];
  GS_KERNEL_END(GS_FLOPS_ELEMENTWISE, 2 * count);
  return sum;
}
