/* Gradient check of the whole model: every parameter's gradient from gs_model_backward
 * (float) against central finite differences of the training loss computed in double
 * precision by a plain serial reference of the same model, on a tiny graph, for every
 * option. After ggml's checker (tests/test-grad0): central differences, a scale-free error,
 * kinks skipped; here every parameter is checked (the graph is tiny) and a kink is detected
 * exactly: an element is skipped when a ReLU input changes sign between the two evaluations.
 *
 * TO ADD A LAYER FAMILY (or a configuration): add one row to CASES below. A row names the
 * family's double-precision reference forward (ref_forward_gcn for GCN): for a new family,
 * write ref_forward_<family> beside it, reading the parameters at the layout's offsets and
 * reporting every ReLU input through relu_in() (so kinks are found), then list its options
 * as rows. The check itself (check_case) needs no change. The largest relative error of each
 * row is printed, and must stay below GRAD_TOLERANCE.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/rng.h"
#include "gnn/dense.h"
#include "gnn/loss.h"
#include "gnn/model.h"
#include "sparse/graph.h"
#include "tests/test_helpers.h"

Suite *gs_gradcheck_suite(void);

/* Central-difference step, relative to max(1, |p|): in double the truncation error
 * (h² f''') and the rounding error (1e-16 / h) are both below 1e-9 of the gradient. */
#define FD_STEP 1e-6
/* Largest allowed |analytic - fd| / max(|analytic|, |fd|, GRAD_FLOOR · max|fd|): the
 * analytic gradient is computed in float (about 1e-6 relative per product). */
#define GRAD_TOLERANCE 2e-4
/* Gradients smaller than this fraction of the largest are compared on that scale, so a
 * near-zero gradient computed as a float difference does not count as a large error. */
#define GRAD_FLOOR 1e-3
/* The model's float logits against the reference's double ones (same function). */
#define LOGIT_TOLERANCE 1e-4
/* At most this fraction of the parameters may be skipped as kinks. */
#define KINK_ALLOWANCE 0.05

enum { NODES = 24, FEATS = 10, CLASSES = 3, EDGES = 40, TRAIN = NODES / 2, EPOCH = 7 };

typedef struct {
  gs_graph *g;
  gs_features x;
  double *xd;     /* X dense, double (NODES x FEATS) */
  double *adj;    /* Â dense, double (NODES x NODES), from the graph's float values */
  int32_t labels[NODES];
  int64_t train[TRAIN];
} fixture;

/* ReLU inputs seen by one reference evaluation, to detect kinks. */
typedef struct {
  double *v;
  int64_t count, cap;
} relu_log;

static void relu_in(relu_log *log, const double *z, int64_t count) {
  if (!log) return;
  for (int64_t i = 0; i < count && log->count < log->cap; i++) log->v[log->count++] = z[i];
}

/* A reference forward: the logits (NODES x CLASSES, double) of the model with layout L at
 * parameters p (double), in training mode at EPOCH (dropout masks as the model draws them). */
typedef void (*ref_forward_fn)(double *logits, const gs_model_layout *L, const double *p,
                               const fixture *f, relu_log *log);

static void fixture_make(fixture *f, bool sparse, gs_norm norm) {
  memset(f, 0, sizeof *f);
  int64_t src[EDGES], dst[EDGES];
  for (int e = 0; e < EDGES; e++) {
    src[e] = (int64_t)(gs_rng_at(5, 1, (uint64_t)e) % NODES);
    dst[e] = (int64_t)(gs_rng_at(5, 2, (uint64_t)e) % NODES);
  }
  gs_error err;
  gs_status st = gs_graph_new(&f->g, NODES, src, dst, EDGES, norm, &err);
  GS_ASSERT_OK(st, err);
  f->xd = calloc(NODES * FEATS, sizeof *f->xd);
  f->adj = calloc(NODES * NODES, sizeof *f->adj);
  ck_assert(f->xd && f->adj);
  /* Â as the model sees it: aggregate the identity with the model's own kernel. */
  float *eye = calloc(NODES * NODES, sizeof *eye), *a = calloc(NODES * NODES, sizeof *a);
  ck_assert(eye && a);
  for (int i = 0; i < NODES; i++) eye[i * NODES + i] = 1.0f;
  st = gs_graph_aggregate(f->g, a, eye, NODES, false, GS_AGG_AUTO, &err);
  GS_ASSERT_OK(st, err);
  for (int i = 0; i < NODES * NODES; i++) f->adj[i] = a[i];
  free(eye);
  free(a);
  f->x.rows = NODES;
  f->x.cols = FEATS;
  if (sparse) {
    f->x.kind = GS_FEATURES_SPARSE;
    st = gs_csr_alloc(&f->x.sparse, NODES, FEATS, NODES * FEATS, "test", &err);
    GS_ASSERT_OK(st, err);
    int64_t nnz = 0;
    for (int i = 0; i < NODES; i++) {
      for (int j = 0; j < FEATS; j++)
        if (gs_rng_uniform(5, 3, (uint64_t)(i * FEATS + j)) < 0.3f) {
          f->x.sparse.col[nnz] = j;
          f->x.sparse.val[nnz] = gs_rng_uniform(5, 4, (uint64_t)nnz);
          f->xd[i * FEATS + j] = f->x.sparse.val[nnz];
          nnz++;
        }
      f->x.sparse.rowptr[i + 1] = nnz;
    }
    f->x.sparse.nnz = f->x.nnz = nnz;
  } else {
    f->x.kind = GS_FEATURES_DENSE;
    f->x.dense = gs_mem_alloc(NODES * FEATS * sizeof(float), "test");
    for (int i = 0; i < NODES * FEATS; i++) {
      f->x.dense[i] = 2 * gs_rng_uniform(5, 5, (uint64_t)i) - 1;
      f->xd[i] = f->x.dense[i];
    }
    f->x.nnz = NODES * FEATS;
  }
  for (int i = 0; i < NODES; i++) f->labels[i] = (int32_t)(gs_rng_at(5, 6, (uint64_t)i) % CLASSES);
  for (int i = 0; i < TRAIN; i++) f->train[i] = 2 * i;
}

static void fixture_free(fixture *f) {
  gs_graph_free(&f->g);
  if (f->x.kind == GS_FEATURES_SPARSE) gs_csr_release(&f->x.sparse);
  else gs_mem_free(f->x.dense);
  free(f->xd);
  free(f->adj);
}

/* The inverted-dropout multiplier of element `index` of layer `layer`'s input at EPOCH, as
 * gnn/model.c draws it (for sparse input, index is the entry's position in X's CSR). */
static double dropout_factor(const gs_model_layout *L, int32_t layer, int64_t index) {
  float rate = L->config.dropout;
  if (rate <= 0.0f) return 1.0;
  uint64_t stream = gs_rng_stream(GS_RNG_STREAM_DROPOUT, EPOCH, (uint64_t)layer);
  return gs_dropout_keep(L->config.seed, stream, (uint64_t)index, rate) ? gs_dropout_scale(rate)
                                                                        : 0.0;
}

/* out (n x k) = a (n x m) · b (m x k), double. */
static void matmul(double *out, const double *a, const double *b, int64_t n, int64_t m,
                   int64_t k) {
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < k; j++) {
      double s = 0.0;
      for (int64_t t = 0; t < m; t++) s += a[i * m + t] * b[t * k + j];
      out[i * k + j] = s;
    }
}

/* Hin_0 = dropout(X0) (NODES x FEATS): by CSR entry for sparse input to layer 0, else by
 * element. SGC's X0 = Â^K X held as CSR is numbered by its own non-zeros, row by row in
 * column order. */
static void ref_input(double *hin, const double *x0, const gs_model_layout *L, const fixture *f) {
  for (int64_t i = 0; i < NODES * FEATS; i++) hin[i] = x0[i];
  if (L->layer[0].sparse_input && L->config.family == GS_MODEL_SGC) {
    int64_t e = 0;
    for (int64_t i = 0; i < NODES * FEATS; i++)
      if (x0[i] != 0.0) hin[i] *= dropout_factor(L, 0, e++);
    ck_assert_int_eq(e, L->input_nnz);
  } else if (L->layer[0].sparse_input) {
    for (int64_t i = 0; i < NODES; i++)
      for (int64_t e = f->x.sparse.rowptr[i]; e < f->x.sparse.rowptr[i + 1]; e++)
        hin[i * FEATS + f->x.sparse.col[e]] *= dropout_factor(L, 0, e);
  } else {
    for (int64_t i = 0; i < NODES * FEATS; i++) hin[i] *= dropout_factor(L, 0, i);
  }
}

/* A hidden layer's steps after its conv output z (NODES x out): Y = LayerNorm(z) (if norm),
 * H = relu(Y) [+ H if residual], Hin = dropout(H) with layer l + 1's mask. */
static void ref_hidden(double *hin, double *h, double *z, const gs_layer_dims *d,
                       const gs_model_layout *L, const double *p, int32_t l, relu_log *log) {
  const int64_t n = NODES;
  if (d->norm) {
    for (int64_t i = 0; i < n; i++) {
      double *r = z + i * d->out, mean = 0.0, var = 0.0;
      for (int64_t j = 0; j < d->out; j++) mean += r[j] / (double)d->out;
      for (int64_t j = 0; j < d->out; j++) var += (r[j] - mean) * (r[j] - mean) / (double)d->out;
      double rstd = 1.0 / sqrt(var + (double)GS_LAYERNORM_EPS);
      for (int64_t j = 0; j < d->out; j++)
        r[j] = p[d->gamma_offset + j] * (r[j] - mean) * rstd + p[d->beta_offset + j];
    }
  }
  relu_in(log, z, n * d->out);
  for (int64_t i = 0; i < n * d->out; i++) {
    double y = z[i] > 0.0 ? z[i] : 0.0;
    const double scale = d->rezero_offset >= 0 ? (double)d->rezero_scale * p[d->rezero_offset] : 1.0;
    h[i] = d->residual ? h[i] + scale * y : y;
    hin[i] = h[i] * dropout_factor(L, l + 1, i);
  }
}

/* GCN (gnn/model.c): Hin_0 = dropout(X); Z_l = Â·Hin_l·W_l + b_l, W_l replaced by
 * (1-β_l)·I + β_l·W_l with the identity map; on hidden layers Y = LayerNorm(Z) (if norm),
 * H_{l+1} = relu(Y) [+ α_l·H_l if residual], Hin_{l+1} = dropout(H). */
static void ref_forward_gcn(double *logits, const gs_model_layout *L, const double *p,
                            const fixture *f, relu_log *log) {
  const int64_t n = NODES, wmax = FEATS > L->config.width ? FEATS : L->config.width;
  const int64_t cap = n * (wmax > CLASSES ? wmax : CLASSES);
  double *hin = calloc(cap, sizeof *hin), *h = calloc(cap, sizeof *h);
  double *t = calloc(cap, sizeof *t), *z = calloc(cap, sizeof *z);
  double *w_eff = calloc((size_t)(wmax * wmax), sizeof *w_eff);
  ck_assert(hin && h && t && z && w_eff);
  ref_input(hin, f->xd, L, f);
  for (int32_t l = 0; l < L->depth; l++) {
    const gs_layer_dims *d = &L->layer[l];
    const double *W = p + d->w_offset;
    if (d->identity_beta > 0.0f) {
      const double beta = d->identity_beta;
      for (int64_t i = 0; i < d->in; i++)
        for (int64_t j = 0; j < d->out; j++)
          w_eff[i * d->out + j] = beta * W[i * d->out + j] + (i == j ? 1.0 - beta : 0.0);
      W = w_eff;
    }
    matmul(t, hin, W, n, d->in, d->out); /* H W */
    double *out = d->hidden ? z : logits;
    matmul(out, f->adj, t, n, n, d->out); /* Â (H W) */
    for (int64_t i = 0; i < n; i++)
      for (int64_t j = 0; j < d->out; j++) out[i * d->out + j] += p[d->b_offset + j];
    if (!d->hidden) break;
    ref_hidden(hin, h, z, d, L, p, l, log);
  }
  free(hin);
  free(h);
  free(t);
  free(z);
  free(w_eff);
}

/* out (n x k) += bias (k) on every row. */
static void add_bias(double *out, const double *bias, int64_t k) {
  for (int64_t i = 0; i < NODES; i++)
    for (int64_t j = 0; j < k; j++) out[i * k + j] += bias[j];
}

/* SAGE, GIN, SGC and APPNP (gnn/family.c), each conv written out plainly:
 * SAGE Z = H·W_self + Â·(H·W_neigh) + b (Â row-normalised); GIN V = BN(Â·(H·W1) + ε·H·W1)
 * with shift b1 (statistics over the nodes; without BatchNorm V = Â·(H·W1) + ε·H·W1 + b1),
 * Z = relu(V)·W2 + b2 (Â = A + I);
 * SGC Z = dropout(Â^K X)·W + b; APPNP H = MLP(X), then K steps P = (1 - α)·Â·P + α·H.
 * Hidden layers as GCN's (ref_hidden). */
static void ref_forward_family(double *logits, const gs_model_layout *L, const double *p,
                               const fixture *f, relu_log *log) {
  const int64_t n = NODES, wmax = FEATS > L->config.width ? FEATS : L->config.width;
  const int64_t cap = n * (wmax > CLASSES ? wmax : CLASSES);
  const gs_model_family fam = L->config.family;
  double *hin = calloc(cap, sizeof *hin), *h = calloc(cap, sizeof *h);
  double *t = calloc(cap, sizeof *t), *u = calloc(cap, sizeof *u), *z = calloc(cap, sizeof *z);
  double *x0 = calloc(n * FEATS, sizeof *x0), *hz = calloc(n * CLASSES, sizeof *hz);
  ck_assert(hin && h && t && u && z && x0 && hz);
  for (int64_t i = 0; i < n * FEATS; i++) x0[i] = f->xd[i];
  for (int32_t k = 0; fam == GS_MODEL_SGC && k < L->hops; k++) {
    matmul(t, f->adj, x0, n, n, FEATS); /* Â X */
    for (int64_t i = 0; i < n * FEATS; i++) x0[i] = t[i];
  }
  ref_input(hin, x0, L, f);
  for (int32_t l = 0; l < L->depth; l++) {
    const gs_layer_dims *d = &L->layer[l];
    double *out = d->hidden ? z : fam == GS_MODEL_APPNP ? hz : logits;
    if (fam == GS_MODEL_SAGE) {
      matmul(t, hin, p + d->w2_offset, n, d->in, d->out);    /* H W_neigh */
      matmul(out, f->adj, t, n, n, d->out);                  /* Â (H W_neigh) */
      matmul(t, hin, p + d->w_offset, n, d->in, d->out);     /* H W_self */
      for (int64_t i = 0; i < n * d->out; i++) out[i] += t[i];
      add_bias(out, p + d->b_offset, d->out);
    } else if (fam == GS_MODEL_GIN) {
      matmul(t, hin, p + d->w_offset, n, d->in, d->mid);     /* H W1 */
      matmul(u, f->adj, t, n, n, d->mid);                    /* (A + I) H W1 */
      for (int64_t i = 0; i < n * d->mid; i++) u[i] += p[d->eps_offset] * t[i];
      for (int64_t j = 0; d->bn_gamma_offset >= 0 && j < d->mid; j++) { /* BatchNorm, shift b1 */
        double mean = 0.0, var = 0.0;
        for (int64_t i = 0; i < n; i++) mean += u[i * d->mid + j] / (double)n;
        for (int64_t i = 0; i < n; i++)
          var += (u[i * d->mid + j] - mean) * (u[i * d->mid + j] - mean) / (double)n;
        const double rstd = 1.0 / sqrt(var + (double)GS_BATCHNORM_EPS);
        for (int64_t i = 0; i < n; i++)
          u[i * d->mid + j] = p[d->bn_gamma_offset + j] * (u[i * d->mid + j] - mean) * rstd;
      }
      add_bias(u, p + d->b_offset, d->mid);
      relu_in(log, u, n * d->mid);
      for (int64_t i = 0; i < n * d->mid; i++) u[i] = u[i] > 0.0 ? u[i] : 0.0;
      matmul(out, u, p + d->w2_offset, n, d->mid, d->out);   /* relu(V) W2 */
      add_bias(out, p + d->b2_offset, d->out);
    } else {
      matmul(out, hin, p + d->w_offset, n, d->in, d->out);   /* H W */
      add_bias(out, p + d->b_offset, d->out);
    }
    if (!d->hidden) break;
    ref_hidden(hin, h, z, d, L, p, l, log);
  }
  if (fam == GS_MODEL_APPNP) {
    const double alpha = GS_APPNP_TELEPORT;
    for (int64_t i = 0; i < n * CLASSES; i++) logits[i] = hz[i];
    for (int32_t k = 0; k < L->hops; k++) {
      matmul(t, f->adj, logits, n, n, CLASSES);              /* Â P */
      for (int64_t i = 0; i < n * CLASSES; i++) logits[i] = (1.0 - alpha) * t[i] + alpha * hz[i];
    }
  }
  free(hin);
  free(h);
  free(t);
  free(u);
  free(z);
  free(x0);
  free(hz);
}

/* Mean softmax cross-entropy over the fixture's training nodes, in double. */
static double ref_loss(const double *logits, const fixture *f) {
  double total = 0.0;
  for (int t = 0; t < TRAIN; t++) {
    const double *z = logits + f->train[t] * CLASSES;
    double zmax = z[0], s = 0.0;
    for (int j = 1; j < CLASSES; j++) zmax = z[j] > zmax ? z[j] : zmax;
    for (int j = 0; j < CLASSES; j++) s += exp(z[j] - zmax);
    total += log(s) + zmax - z[f->labels[f->train[t]]];
  }
  return total / TRAIN;
}

typedef struct {
  const char *name;
  ref_forward_fn ref;
  int32_t depth;
  int64_t width;
  bool residual, norm;
  gs_layer_order order;
  float dropout;
  bool sparse_input;
  gs_model_family family;
  bool rezero;
  bool identity_map;
  gs_sgc_input sgc_input; /* SGC: Â^K X's storage (rows that omit it: auto) */
  bool gin_plain;         /* GIN: the plain sum, no BatchNorm (rows that omit it: BatchNorm) */
} gradcheck_case;

/* Rows that end before the sgc_input column leave it at auto (0), and GIN's BatchNorm on. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
static const gradcheck_case CASES[] = {
    /* name                              reference        L  H  res    norm   order          drop  sparse family rezero identity */
    {"gcn 1 layer, dense",               ref_forward_gcn, 1, 8, false, false, GS_ORDER_AUTO, 0.0f, false, GS_MODEL_GCN, false, false},
    {"gcn 1 layer, sparse, dropout",     ref_forward_gcn, 1, 8, false, false, GS_ORDER_AUTO, 0.3f, true, GS_MODEL_GCN, false, false},
    {"gcn 2, sparse, dropout",           ref_forward_gcn, 2, 8, false, false, GS_ORDER_AUTO, 0.3f, true, GS_MODEL_GCN, false, false},
    {"gcn 2, sparse, dropout off",       ref_forward_gcn, 2, 8, false, false, GS_ORDER_AUTO, 0.0f, true, GS_MODEL_GCN, false, false},
    {"gcn 3, dense, transform first",    ref_forward_gcn, 3, 6, false, false, GS_ORDER_TRANSFORM_FIRST, 0.3f, false, GS_MODEL_GCN, false, false},
    {"gcn 3, dense, aggregate first",    ref_forward_gcn, 3, 6, false, false, GS_ORDER_AGGREGATE_FIRST, 0.3f, false, GS_MODEL_GCN, false, false},
    {"gcn 3, dense, aggregate, no drop", ref_forward_gcn, 3, 6, false, false, GS_ORDER_AGGREGATE_FIRST, 0.0f, false, GS_MODEL_GCN, false, false},
    {"gcn 3, layernorm, sparse",         ref_forward_gcn, 3, 6, false, true,  GS_ORDER_AUTO, 0.3f, true, GS_MODEL_GCN, false, false},
    {"gcn 3, layernorm, dense, aggr",    ref_forward_gcn, 3, 6, false, true,  GS_ORDER_AGGREGATE_FIRST, 0.0f, false, GS_MODEL_GCN, false, false},
    {"gcn 4, residual, sparse",          ref_forward_gcn, 4, 6, true,  false, GS_ORDER_AUTO, 0.3f, true, GS_MODEL_GCN, false, false},
    {"gcn 4, residual, dense, no drop",  ref_forward_gcn, 4, 6, true,  false, GS_ORDER_TRANSFORM_FIRST, 0.0f, false, GS_MODEL_GCN, false, false},
    {"gcn 4, residual+norm, dense",      ref_forward_gcn, 4, 6, true,  true,  GS_ORDER_TRANSFORM_FIRST, 0.3f, false, GS_MODEL_GCN, false, false},
    {"gcn 4, residual+norm, dense, aggr",ref_forward_gcn, 4, 6, true,  true,  GS_ORDER_AGGREGATE_FIRST, 0.3f, false, GS_MODEL_GCN, false, false},
    {"gcn 5, residual+norm, sparse",     ref_forward_gcn, 5, 6, true,  true,  GS_ORDER_AUTO, 0.0f, true, GS_MODEL_GCN, false, false},
    /* ReZero (α_l from 0, so the check starts it away from 0: see check_case) */
    {"gcn 4, residual+rezero, sparse",   ref_forward_gcn, 4, 6, true,  false, GS_ORDER_AUTO, 0.3f, true, GS_MODEL_GCN, true, false},
    {"gcn 5, residual+rezero, dense, aggr", ref_forward_gcn, 5, 6, true, false, GS_ORDER_AGGREGATE_FIRST, 0.0f, false, GS_MODEL_GCN, true, false},
    {"gcn 4, rezero+norm, dense",        ref_forward_gcn, 4, 6, true,  true,  GS_ORDER_TRANSFORM_FIRST, 0.3f, false, GS_MODEL_GCN, true, false},
    /* the identity map (GCNII's (1-β_l)·I + β_l·W_l), with ReZero as the deep stack has it */
    {"gcn 5, rezero+identity map, sparse", ref_forward_gcn, 5, 6, true, false, GS_ORDER_AUTO, 0.3f, true, GS_MODEL_GCN, true, true},
    {"gcn 5, rezero+identity map, dense, aggr", ref_forward_gcn, 5, 6, true, false, GS_ORDER_AGGREGATE_FIRST, 0.0f, false, GS_MODEL_GCN, true, true},
    {"gcn 4, residual+identity map+norm, dense", ref_forward_gcn, 4, 6, true, true, GS_ORDER_TRANSFORM_FIRST, 0.3f, false, GS_MODEL_GCN, false, true},
    /* the other families (gnn/family.c); L is K for sgc and appnp. APPNP's sparse input is
     * left to tests/test_model.c: the fixture's empty rows put its first ReLU at exactly the
     * zero bias, a kink for every bias entry. */
    {"sage 2, sparse, dropout", ref_forward_family, 2, 8,
     false, false, GS_ORDER_AUTO, 0.3f, true, GS_MODEL_SAGE, false, false},
    {"sage 3, dense, transform first", ref_forward_family, 3, 6,
     false, false, GS_ORDER_TRANSFORM_FIRST, 0.3f, false, GS_MODEL_SAGE, false, false},
    {"sage 3, dense, aggregate first", ref_forward_family, 3, 6,
     false, false, GS_ORDER_AGGREGATE_FIRST, 0.0f, false, GS_MODEL_SAGE, false, false},
    {"sage 4, residual+norm, dense", ref_forward_family, 4, 6,
     true, true, GS_ORDER_AUTO, 0.3f, false, GS_MODEL_SAGE, false, false},
    {"gin 2, sparse, dropout", ref_forward_family, 2, 8,
     false, false, GS_ORDER_AUTO, 0.3f, true, GS_MODEL_GIN, false, false},
    {"gin 3, sparse, transform first", ref_forward_family, 3, 6,
     false, false, GS_ORDER_TRANSFORM_FIRST, 0.2f, true, GS_MODEL_GIN, false, false},
    {"gin 3, sparse, aggregate first", ref_forward_family, 3, 6,
     false, false, GS_ORDER_AGGREGATE_FIRST, 0.2f, true, GS_MODEL_GIN, false, false},
    {"gin 3, dense, transform first", ref_forward_family, 3, 6,
     false, false, GS_ORDER_TRANSFORM_FIRST, 0.3f, false, GS_MODEL_GIN, false, false},
    {"gin 3, dense, aggregate first", ref_forward_family, 3, 6,
     false, false, GS_ORDER_AGGREGATE_FIRST, 0.0f, false, GS_MODEL_GIN, false, false},
    {"gin 4, residual+norm, dense", ref_forward_family, 4, 6,
     true, true, GS_ORDER_AUTO, 0.3f, false, GS_MODEL_GIN, false, false},
    /* GIN without BatchNorm (--gin-norm none, auto's choice on low-degree graphs) */
    {"gin 2, plain sum, sparse, dropout", ref_forward_family, 2, 8,
     false, false, GS_ORDER_AUTO, 0.3f, true, GS_MODEL_GIN, false, false, GS_SGC_INPUT_AUTO, true},
    {"gin 3, plain sum, dense, aggregate first", ref_forward_family, 3, 6,
     false, false, GS_ORDER_AGGREGATE_FIRST, 0.0f, false, GS_MODEL_GIN, false, false, GS_SGC_INPUT_AUTO, true},
    {"gin 3, plain sum, dense, transform first", ref_forward_family, 3, 6,
     false, false, GS_ORDER_TRANSFORM_FIRST, 0.3f, false, GS_MODEL_GIN, false, false, GS_SGC_INPUT_AUTO, true},
    {"sage 4, residual+rezero, dense", ref_forward_family, 4, 6,
     true, false, GS_ORDER_AUTO, 0.3f, false, GS_MODEL_SAGE, true, false},
    {"gin 4, residual+rezero, dense", ref_forward_family, 4, 6,
     true, false, GS_ORDER_AUTO, 0.0f, false, GS_MODEL_GIN, true, false},
    {"sgc K=2, sparse X, dropout", ref_forward_family, 2, 8,
     false, false, GS_ORDER_AUTO, 0.3f, true, GS_MODEL_SGC, false, false},
    {"sgc K=3, dense X, dropout off", ref_forward_family, 3, 8,
     false, false, GS_ORDER_AUTO, 0.0f, false, GS_MODEL_SGC, false, false},
    {"sgc K=2, CSR A^K X, dropout", ref_forward_family, 2, 8,
     false, false, GS_ORDER_AUTO, 0.3f, true, GS_MODEL_SGC, false, false, GS_SGC_INPUT_CSR},
    {"sgc K=2, dense A^K X, dropout", ref_forward_family, 2, 8,
     false, false, GS_ORDER_AUTO, 0.3f, true, GS_MODEL_SGC, false, false, GS_SGC_INPUT_DENSE},
    {"appnp K=2, dense, dropout", ref_forward_family, 2, 6,
     false, false, GS_ORDER_AUTO, 0.3f, false, GS_MODEL_APPNP, false, false},
    {"appnp K=10, dense, norm", ref_forward_family, 10, 6,
     false, true, GS_ORDER_AUTO, 0.0f, false, GS_MODEL_APPNP, false, false},
};
#pragma GCC diagnostic pop

/* Checks every parameter of one case and returns the largest relative error. `corrupt`
 * multiplies the analytic gradient of the largest-gradient parameter first (1 for none), so
 * that the checker itself can be shown to fail on a wrong gradient. */
static double check_case(const gradcheck_case *c, double corrupt) {
  fixture f;
  fixture_make(&f, c->sparse_input, gs_model_family_norm(c->family, GS_NORM_SYM));
  gs_model_config cfg = gs_model_config_default();
  cfg.family = c->family;
  cfg.depth = c->depth;
  cfg.width = c->width;
  cfg.residual = c->residual;
  cfg.norm = c->norm;
  cfg.order = c->order;
  cfg.dropout = c->dropout;
  cfg.seed = 3;
  cfg.rezero = c->rezero;
  cfg.identity_map = c->identity_map;
  cfg.sgc_input = c->sgc_input;
  cfg.gin_norm = c->gin_plain ? GS_GIN_NORM_NONE : GS_GIN_NORM_BATCH;
  gs_model *m = NULL;
  gs_error err;
  gs_status st = gs_model_new(&m, &cfg, f.g, &f.x, CLASSES, &err);
  GS_ASSERT_OK(st, err);
  const gs_model_layout *L = gs_model_layout_of(m);
  const int64_t P = L->params;
  /* ReZero's scales start at 0, where the branches' weights get no gradient at all: move
   * them to distinct non-zero values so that every parameter is checked. */
  for (int32_t l = 0; l < L->depth; l++)
    if (L->layer[l].rezero_offset >= 0)
      gs_model_params(m)[L->layer[l].rezero_offset] = 0.5f + 0.25f * (float)l;

  /* The analytic gradient, in float. */
  const float *logits = NULL;
  st = gs_model_forward(m, true, EPOCH, &logits, &err);
  GS_ASSERT_OK(st, err);
  float *dlogits = gs_model_dlogits(m);
  gs_softmax_xent(dlogits, logits, f.labels, f.train, TRAIN, NODES, CLASSES);
  gs_model_zero_grad(m);
  st = gs_model_backward(m, dlogits, EPOCH, &err);
  GS_ASSERT_OK(st, err);
  float *grad = gs_model_grads(m);

  /* The reference computes the same function: its logits match the model's. */
  double *p = malloc((size_t)P * sizeof *p), *ref_logits = malloc(NODES * CLASSES * sizeof(double));
  double *fd = malloc((size_t)P * sizeof *fd);
  bool *kink = calloc((size_t)P, sizeof *kink);
  relu_log base = {0}, probe = {0};
  /* GIN logs two ReLU inputs per layer (its MLP's and the layer's) */
  base.cap = probe.cap = 2 * (int64_t)L->depth * NODES * (c->width > FEATS ? c->width : FEATS);
  base.v = malloc((size_t)base.cap * sizeof(double));
  probe.v = malloc((size_t)probe.cap * sizeof(double));
  ck_assert(p && ref_logits && fd && kink && base.v && probe.v);
  for (int64_t i = 0; i < P; i++) p[i] = gs_model_params(m)[i];
  c->ref(ref_logits, L, p, &f, &base);
  double logit_scale = 1e-30, logit_err = 0.0;
  for (int i = 0; i < NODES * CLASSES; i++) {
    logit_scale = fmax(logit_scale, fabs(ref_logits[i]));
    logit_err = fmax(logit_err, fabs(ref_logits[i] - (double)logits[i]));
  }
  ck_assert_msg(logit_err / logit_scale < LOGIT_TOLERANCE,
                "%s: the reference's logits differ from the model's by %g (relative)", c->name,
                logit_err / logit_scale);

  /* Central differences in double; an element whose step moves a ReLU input across 0 is a
   * kink and is skipped. */
  int64_t kinks = 0;
  double fd_max = 0.0;
  for (int64_t i = 0; i < P; i++) {
    const double saved = p[i], h = FD_STEP * fmax(1.0, fabs(saved));
    double loss[2];
    for (int s = 0; s < 2; s++) {
      p[i] = saved + (s ? -h : h);
      probe.count = 0;
      c->ref(ref_logits, L, p, &f, &probe);
      loss[s] = ref_loss(ref_logits, &f);
      for (int64_t k = 0; k < base.count; k++)
        if ((probe.v[k] > 0.0) != (base.v[k] > 0.0)) kink[i] = true;
    }
    p[i] = saved;
    fd[i] = (loss[0] - loss[1]) / (2.0 * h);
    if (kink[i]) kinks++;
    else fd_max = fmax(fd_max, fabs(fd[i]));
  }
  if (corrupt != 1.0) {
    int64_t big = 0;
    for (int64_t i = 1; i < P; i++)
      if (!kink[i] && fabs(fd[i]) > fabs(fd[big])) big = i;
    grad[big] = (float)(grad[big] * corrupt);
  }
  double worst = 0.0;
  int64_t worst_at = -1;
  for (int64_t i = 0; i < P; i++) {
    if (kink[i]) continue;
    double scale = fmax(fmax(fabs(fd[i]), fabs((double)grad[i])), GRAD_FLOOR * fd_max);
    double e = scale > 0.0 ? fabs(fd[i] - (double)grad[i]) / scale : 0.0;
    if (e > worst) worst = e, worst_at = i;
  }
  if (corrupt == 1.0)
    printf("gradcheck %-36s %4lld params, %2lld kinks skipped, largest relative error %.2e\n",
         c->name, (long long)P, (long long)kinks, worst);
  ck_assert_msg(fd_max > 0.0, "%s: every gradient is zero", c->name);
  ck_assert_msg(kinks <= (int64_t)(KINK_ALLOWANCE * (double)P), "%s: %lld of %lld are kinks",
                c->name, (long long)kinks, (long long)P);
  ck_assert_msg(corrupt != 1.0 || worst < GRAD_TOLERANCE,
                "%s: parameter %lld: analytic %.9g, finite difference %.9g (relative error %g)",
                c->name, (long long)worst_at, worst_at >= 0 ? (double)grad[worst_at] : 0.0,
                worst_at >= 0 ? fd[worst_at] : 0.0, worst);
  free(p);
  free(ref_logits);
  free(fd);
  free(kink);
  free(base.v);
  free(probe.v);
  gs_model_free(&m);
  fixture_free(&f);
  return worst;
}

START_TEST(test_gradcheck_every_case) {
  GS_TEST_RUNTIME(2);
  check_case(&CASES[_i], 1.0);
}
END_TEST

/* The checker fails on a wrong gradient: one gradient 0.1% off is caught. */
START_TEST(test_gradcheck_detects_a_wrong_gradient) {
  GS_TEST_RUNTIME(2);
  ck_assert_double_gt(check_case(&CASES[2], 1.001), GRAD_TOLERANCE);
}
END_TEST

Suite *gs_gradcheck_suite(void) {
  Suite *s = suite_create("gradcheck");
  TCase *tc = tcase_create("gradcheck");
  tcase_add_loop_test(tc, test_gradcheck_every_case, 0, (int)(sizeof CASES / sizeof CASES[0]));
  tcase_add_test(tc, test_gradcheck_detects_a_wrong_gradient);
  suite_add_tcase(s, tc);
  return s;
}
