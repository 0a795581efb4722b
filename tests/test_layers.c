/* Tests of gnn/ kernels: each backward against central finite differences of a scalar
 * objective, Adam against a hand-computed step, the loss against a hand-computed value. */
#include <check.h>
#include <math.h>
#include <string.h>

#include "core/flops.h"
#include "core/mem.h"
#include "core/rng.h"
#include "gnn/adam.h"
#include "gnn/dense.h"
#include "gnn/input.h"
#include "gnn/loss.h"
#include "tests/test_helpers.h"

Suite *gs_layers_suite(void);

/* Finite-difference step and the largest scale-free error accepted (float32 arithmetic). */
#define FD_STEP 1e-3
#define FD_TOLERANCE 2e-2
#define EXACT_TOLERANCE 1e-6

static void fill(float *x, int64_t count, uint64_t stream) {
  for (int64_t i = 0; i < count; i++) x[i] = 2.0f * gs_rng_uniform(42, stream, (uint64_t)i) - 1.0f;
}

/* Scale-free error |a - b| / max(|a|, |b|, 1e-3), as ggml's checker. */
static double rel_err(double a, double b) {
  double scale = fmax(fmax(fabs(a), fabs(b)), 1e-3);
  return fabs(a - b) / scale;
}

/* Objective: sum of out ⊙ weights (a random linear functional), so d out = weights. */
static double dot(const float *a, const float *w, int64_t count) {
  double s = 0;
  for (int64_t i = 0; i < count; i++) s += (double)a[i] * w[i];
  return s;
}

enum { N = 9, K = 6 };

START_TEST(test_layernorm_backward_matches_finite_differences) {
  GS_TEST_RUNTIME(2);
  float Z[N * K], Y[N * K], xhat[N * K], rstd[N], gamma[K], beta[K], W[N * K];
  float dZ[N * K], dgamma[K] = {0}, dbeta[K] = {0}, dY[N * K];
  fill(Z, N * K, 1);
  fill(gamma, K, 2);
  fill(beta, K, 3);
  fill(W, N * K, 4);
  gs_layernorm_forward(Y, xhat, rstd, Z, gamma, beta, N, K);
  memcpy(dY, W, sizeof dY);
  gs_layernorm_backward(dZ, dgamma, dbeta, dY, xhat, rstd, gamma, N, K);
  for (int i = 0; i < N * K; i++) {
    float saved = Z[i];
    Z[i] = saved + (float)FD_STEP;
    gs_layernorm_forward(Y, xhat, rstd, Z, gamma, beta, N, K);
    double up = dot(Y, W, N * K);
    Z[i] = saved - (float)FD_STEP;
    gs_layernorm_forward(Y, xhat, rstd, Z, gamma, beta, N, K);
    double down = dot(Y, W, N * K);
    Z[i] = saved;
    double fd = (up - down) / (2 * FD_STEP);
    ck_assert_msg(rel_err(fd, dZ[i]) < FD_TOLERANCE, "dZ[%d]: fd %g analytic %g", i, fd, (double)dZ[i]);
  }
  for (int j = 0; j < K; j++) {
    float saved = gamma[j];
    gamma[j] = saved + (float)FD_STEP;
    gs_layernorm_forward(Y, xhat, rstd, Z, gamma, beta, N, K);
    double up = dot(Y, W, N * K);
    gamma[j] = saved - (float)FD_STEP;
    gs_layernorm_forward(Y, xhat, rstd, Z, gamma, beta, N, K);
    double down = dot(Y, W, N * K);
    gamma[j] = saved;
    double fd = (up - down) / (2 * FD_STEP);
    ck_assert_msg(rel_err(fd, dgamma[j]) < FD_TOLERANCE, "dgamma[%d]: fd %g analytic %g", j, fd,
                  (double)dgamma[j]);
    /* dbeta is the column sum of dY, exactly */
    double col = 0;
    for (int i = 0; i < N; i++) col += W[i * K + j];
    ck_assert_double_lt(fabs(col - dbeta[j]), 1e-5);
  }
}
END_TEST

START_TEST(test_bias_backward_is_column_sum) {
  GS_TEST_RUNTIME(2);
  enum { ROWS = 1000, COLS = 70 }; /* more than one column block */
  float *dZ = gs_mem_alloc(ROWS * COLS * sizeof(float), "test");
  float db[COLS];
  fill(dZ, ROWS * COLS, 5);
  for (int j = 0; j < COLS; j++) db[j] = 1.0f;
  gs_dense_bias_backward(db, dZ, ROWS, COLS);
  for (int j = 0; j < COLS; j++) {
    double s = 1.0;
    for (int i = 0; i < ROWS; i++) s += dZ[i * COLS + j];
    ck_assert_double_lt(fabs(s - db[j]), 1e-4);
  }
  gs_mem_free(dZ);
}
END_TEST

START_TEST(test_relu_dropout_backward_from_output_matches_mask) {
  GS_TEST_RUNTIME(2);
  enum { COUNT = 4096 };
  static float in[COUNT], out[COUNT], d_out[COUNT], d_in[COUNT];
  fill(in, COUNT, 6);
  fill(d_out, COUNT, 7);
  const float rate = 0.3f;
  gs_relu_dropout_forward(out, in, COUNT, rate, 9, 11);
  gs_relu_dropout_backward_from_output(d_in, d_out, out, COUNT, rate);
  int kept = 0;
  for (int i = 0; i < COUNT; i++) {
    bool keep = gs_dropout_keep(9, 11, (uint64_t)i, rate);
    kept += keep;
    float expect_out = keep && in[i] > 0 ? in[i] * gs_dropout_scale(rate) : 0.0f;
    float expect_d = keep && in[i] > 0 ? d_out[i] * gs_dropout_scale(rate) : 0.0f;
    ck_assert_float_eq_tol(out[i], expect_out, 1e-6f);
    ck_assert_float_eq_tol(d_in[i], expect_d, 1e-6f);
  }
  /* the kept fraction is 1 - rate within 5 standard errors */
  double frac = (double)kept / COUNT;
  ck_assert_double_lt(fabs(frac - 0.7), 5 * sqrt(0.21 / COUNT));
}
END_TEST

START_TEST(test_softmax_xent_value_and_gradient) {
  /* Two nodes, three classes; node 1 is not in the mask. */
  float logits[6] = {1.0f, 2.0f, 3.0f, 5.0f, 5.0f, 5.0f};
  int32_t labels[2] = {0, 1};
  int64_t nodes[1] = {0};
  float d[6];
  double loss = gs_softmax_xent(d, logits, labels, nodes, 1, 2, 3);
  double z = exp(1.0) + exp(2.0) + exp(3.0);
  ck_assert_double_lt(fabs(loss - (log(z) - 1.0)), EXACT_TOLERANCE);
  ck_assert_double_lt(fabs(d[0] - (exp(1.0) / z - 1.0)), 1e-6);
  ck_assert_double_lt(fabs(d[2] - exp(3.0) / z), 1e-6);
  ck_assert_float_eq(d[3], 0.0f);
  /* finite differences of the loss */
  for (int j = 0; j < 3; j++) {
    float saved = logits[j];
    logits[j] = saved + (float)FD_STEP;
    double up = gs_softmax_xent(NULL, logits, labels, nodes, 1, 2, 3);
    logits[j] = saved - (float)FD_STEP;
    double down = gs_softmax_xent(NULL, logits, labels, nodes, 1, 2, 3);
    logits[j] = saved;
    ck_assert_double_lt(rel_err((up - down) / (2 * FD_STEP), d[j]), FD_TOLERANCE);
  }
  int64_t both[2] = {0, 1};
  /* node 0 argmax is class 2 (wrong), node 1 ties: first maximum is class 0 (wrong) */
  ck_assert_double_eq(gs_accuracy(logits, labels, both, 2, 3), 0.0);
  labels[0] = 2;
  ck_assert_double_eq(gs_accuracy(logits, labels, both, 2, 3), 0.5);
}
END_TEST

START_TEST(test_adam_matches_hand_computed_steps) {
  GS_TEST_RUNTIME(1);
  float p[2] = {1.0f, -2.0f}, g[2] = {0.5f, -0.1f}, m[2] = {0}, v[2] = {0};
  gs_adam_config cfg = gs_adam_default();
  cfg.lr = 0.1;
  gs_adam_step(p, g, m, v, 2, 1, &cfg);
  /* Step 1: m = 0.1 g, v = 0.001 g², m̂ = g, v̂ = g², so p -= lr·g/(|g| + eps) = lr·sign(g). */
  ck_assert_double_lt(fabs(p[0] - (1.0 - 0.1 * 0.5 / (0.5 + 1e-8))), 1e-6);
  ck_assert_double_lt(fabs(p[1] - (-2.0 + 0.1 * 0.1 / (0.1 + 1e-8))), 1e-6);
  /* Step 2 with gradient 0.25 on p[0]: computed in double by hand. */
  double m0 = 0.1 * 0.5, v0 = 0.001 * 0.25;
  double g2 = 0.25;
  double m1 = 0.9 * m0 + 0.1 * g2, v1 = 0.999 * v0 + 0.001 * g2 * g2;
  double mhat = m1 / (1 - 0.81), vhat = v1 / (1 - 0.999 * 0.999);
  double expect = p[0] - 0.1 * mhat / (sqrt(vhat) + 1e-8);
  g[0] = 0.25f;
  g[1] = 0.0f;
  gs_adam_step(p, g, m, v, 2, 2, &cfg);
  ck_assert_double_lt(fabs(p[0] - expect), 1e-6);
  /* weight decay adds decay·p to the gradient */
  float gd[2] = {0, 0};
  gs_weight_decay(gd, p, 2, 0.5);
  ck_assert_float_eq_tol(gd[1], 0.5f * p[1], 1e-7f);
}
END_TEST

START_TEST(test_sparse_input_matches_dense_product_with_mask) {
  GS_TEST_RUNTIME(2);
  /* X: 5 x 4 sparse; W: 4 x 3. */
  enum { R = 5, C = 4, O = 3 };
  int64_t rowptr[R + 1] = {0, 2, 3, 3, 5, 7};
  int64_t col[7] = {0, 3, 1, 0, 2, 1, 3};
  float val[7] = {1.0f, 2.0f, -1.0f, 0.5f, 3.0f, 1.5f, -2.0f};
  gs_csr x = {.nrows = R, .ncols = C, .nnz = 7, .rowptr = rowptr, .col = col, .val = val};
  float W[C * O], T[R * O], dT[R * O], dW[C * O] = {0};
  fill(W, C * O, 12);
  fill(dT, R * O, 13);
  const float rate = 0.4f;
  gs_input_forward(T, &x, W, O, rate, 3, 5);
  gs_csr xt;
  int64_t *perm = NULL;
  gs_error err;
  gs_status st = gs_input_transpose(&xt, &perm, &x, "test", &err);
  GS_ASSERT_OK(st, err);
  gs_input_backward(dW, &xt, perm, dT, O, rate, 3, 5);
  /* dense reference with the same mask */
  float Xd[R * C] = {0};
  for (int i = 0; i < R; i++)
    for (int64_t e = rowptr[i]; e < rowptr[i + 1]; e++)
      Xd[i * C + col[e]] = gs_dropout_keep(3, 5, (uint64_t)e, rate) ? val[e] * gs_dropout_scale(rate) : 0.0f;
  for (int i = 0; i < R; i++)
    for (int o = 0; o < O; o++) {
      double s = 0;
      for (int j = 0; j < C; j++) s += (double)Xd[i * C + j] * W[j * O + o];
      ck_assert_double_lt(fabs(s - T[i * O + o]), 1e-5);
    }
  for (int j = 0; j < C; j++)
    for (int o = 0; o < O; o++) {
      double s = 0;
      for (int i = 0; i < R; i++) s += (double)Xd[i * C + j] * dT[i * O + o];
      ck_assert_double_lt(fabs(s - dW[j * O + o]), 1e-5);
    }
  gs_csr_release(&xt);
  gs_mem_free(perm);
}
END_TEST

START_TEST(test_matmul_transposes_match_reference) {
  GS_TEST_RUNTIME(2);
  enum { M = 7, NN = 5, KK = 3 };
  float A[M * KK], At[KK * M], Bm[KK * NN], Bt[NN * KK], C1[M * NN], C2[M * NN];
  fill(A, M * KK, 20);
  fill(Bm, KK * NN, 21);
  for (int i = 0; i < M; i++)
    for (int k = 0; k < KK; k++) At[k * M + i] = A[i * KK + k];
  for (int k = 0; k < KK; k++)
    for (int j = 0; j < NN; j++) Bt[j * KK + k] = Bm[k * NN + j];
  gs_dense_matmul(C1, A, Bm, M, NN, KK, false, false, false);
  gs_dense_matmul(C2, At, Bt, M, NN, KK, true, true, false);
  for (int i = 0; i < M; i++)
    for (int j = 0; j < NN; j++) {
      double s = 0;
      for (int k = 0; k < KK; k++) s += (double)A[i * KK + k] * Bm[k * NN + j];
      ck_assert_double_lt(fabs(s - C1[i * NN + j]), 1e-5);
      ck_assert_double_lt(fabs(s - C2[i * NN + j]), 1e-5);
    }
  gs_dense_matmul(C1, A, Bm, M, NN, KK, false, false, true); /* accumulate: doubles */
  ck_assert_double_lt(fabs(C1[3] - 2.0 * C2[3]), 1e-5);
}
END_TEST

/* Products big enough to be split over threads (gs_dense_matmul splits C's rows): each of
 * NN, TN and NT, plain and accumulating, against a double reference, with 1, 2 and 3 threads
 * (3 leaves an uneven last block), and bitwise equal across repeated runs. Also the kernel
 * clock: the seconds of the dense category grow by the time of the calls. */
START_TEST(test_matmul_row_split_matches_reference) {
  enum { M = 203, KK = 37, NN = 29 }; /* 2·M·NN·KK = 435,638 FLOPs: above the serial limit */
  ck_assert_int_gt(2 * M * NN * KK, GS_MATMUL_SERIAL_FLOPS);
  float *A = gs_mem_alloc(sizeof(float) * M * KK, "test");
  float *Bm = gs_mem_alloc(sizeof(float) * KK * NN, "test");
  float *C = gs_mem_alloc(sizeof(float) * M * NN, "test");
  float *C2 = gs_mem_alloc(sizeof(float) * M * NN, "test");
  float *G = gs_mem_alloc(sizeof(float) * M * NN, "test");  /* dZ, M x NN */
  float *dW = gs_mem_alloc(sizeof(float) * KK * NN, "test"); /* Aᵀ·dZ, KK x NN */
  float *dH = gs_mem_alloc(sizeof(float) * M * KK, "test");  /* dZ·Bᵀ, M x KK */
  ck_assert(A && Bm && C && C2 && G && dW && dH);
  fill(A, M * KK, 30);
  fill(Bm, KK * NN, 31);
  fill(G, M * NN, 32);
  for (int threads = 1; threads <= 3; threads++) {
    GS_TEST_RUNTIME(threads);
    gs_flops_reset();
    gs_dense_matmul(C, A, Bm, M, NN, KK, false, false, false);
    gs_dense_matmul(C2, A, Bm, M, NN, KK, false, false, false);
    ck_assert_int_eq(memcmp(C, C2, sizeof(float) * M * NN), 0);
    ck_assert_int_eq(gs_flops_get(GS_FLOPS_DENSE), 2 * 2 * M * NN * KK);
    ck_assert(gs_flops_seconds(GS_FLOPS_DENSE) > 0.0);
    for (int i = 0; i < M; i++)
      for (int j = 0; j < NN; j++) {
        double s = 0;
        for (int k = 0; k < KK; k++) s += (double)A[i * KK + k] * Bm[k * NN + j];
        ck_assert_double_lt(fabs(s - C[i * NN + j]), 1e-4);
      }
    for (int64_t i = 0; i < KK * NN; i++) dW[i] = 1.0f; /* accumulate onto ones */
    gs_dense_matmul(dW, A, G, KK, NN, M, true, false, true);
    for (int k = 0; k < KK; k++)
      for (int j = 0; j < NN; j++) {
        double s = 1.0;
        for (int i = 0; i < M; i++) s += (double)A[i * KK + k] * G[i * NN + j];
        ck_assert_double_lt(fabs(s - dW[k * NN + j]), 1e-4);
      }
    gs_dense_matmul(dH, G, Bm, M, KK, NN, false, true, false);
    for (int i = 0; i < M; i++)
      for (int k = 0; k < KK; k++) {
        double s = 0;
        for (int j = 0; j < NN; j++) s += (double)G[i * NN + j] * Bm[k * NN + j];
        ck_assert_double_lt(fabs(s - dH[i * KK + k]), 1e-4);
      }
  }
  gs_mem_free(A);
  gs_mem_free(Bm);
  gs_mem_free(C);
  gs_mem_free(C2);
  gs_mem_free(G);
  gs_mem_free(dW);
  gs_mem_free(dH);
}
END_TEST

Suite *gs_layers_suite(void) {
  Suite *s = suite_create("layers");
  TCase *tc = tcase_create("layers");
  tcase_add_test(tc, test_layernorm_backward_matches_finite_differences);
  tcase_add_test(tc, test_bias_backward_is_column_sum);
  tcase_add_test(tc, test_relu_dropout_backward_from_output_matches_mask);
  tcase_add_test(tc, test_softmax_xent_value_and_gradient);
  tcase_add_test(tc, test_adam_matches_hand_computed_steps);
  tcase_add_test(tc, test_sparse_input_matches_dense_product_with_mask);
  tcase_add_test(tc, test_matmul_transposes_match_reference);
  tcase_add_test(tc, test_matmul_row_split_matches_reference);
  suite_add_tcase(s, tc);
  return s;
}
