/* The layer families beside GCN (gnn/model.h): GraphSAGE-mean (Hamilton et al. 2017), GIN
 * (Xu et al. 2019), and the linear layers of SGC (Wu et al. 2019) and APPNP (Gasteiger et al.
 * 2019) with their propagation. Each conv is a drop-in for gnn/model.c's GCN conv: same
 * buffers by role, same shared hidden-layer steps (norm, ReLU, residual, dropout), and its
 * FLOPs are listed here for the layout in the order the kernels count them. */
#include <string.h>

#include "core/mem.h"
#include "gnn/dense.h"
#include "gnn/input.h"
#include "gnn/model_impl.h"

#define B gs__buf

void gs__family_params(gs_layer_dims *d, gs_model_family family, bool batchnorm,
                       int64_t *offset) {
  int64_t o = *offset;
  d->w_offset = o;
  if (family == GS_MODEL_SAGE) {
    /* [W_self (in x out) | W_neigh (in x out)], then b: the weights are one decayed range. */
    d->w2_offset = o + d->in * d->out;
    d->weights = 2 * d->in * d->out;
    o += d->weights;
    d->b_offset = o;
    o += d->out;
  } else { /* GIN: [W1 (in x mid) | W2 (mid x out)], b1 (mid), b2 (out), ε, [γ (mid)] */
    d->w2_offset = o + d->in * d->mid;
    d->weights = d->in * d->mid + d->mid * d->out;
    o += d->weights;
    d->b_offset = o;
    o += d->mid;
    d->b2_offset = o;
    o += d->out;
    d->eps_offset = o;
    o += 1;
    if (batchnorm) {
      d->bn_gamma_offset = o;
      o += d->mid;
    }
  }
  *offset = o;
}

static void add(gs_flops *f, int64_t agg, int64_t dense, int64_t sparse, int64_t elem) {
  f->aggregate += agg;
  f->dense += dense;
  f->sparse_input += sparse;
  f->elementwise += elem;
}

void gs__family_layer_flops(const gs_model_layout *L, int32_t l, gs_flops *tf, gs_flops *ef) {
  const gs_layer_dims *d = &L->layer[l];
  const int64_t n = L->shape.nodes, m = L->shape.adj_nnz, fnnz = L->input_nnz;
  const int64_t in = d->in, out = d->out, mid = d->mid;
  const bool dx = l >= 1;
  gs_flops fwd = {0}, bwd = {0};
  switch (L->config.family) {
    case GS_MODEL_SAGE:
      if (d->sparse_input) /* XW_n, Â·T, XW_s, add, bias */
        add(&fwd, 2 * m * out, 0, 4 * fnnz * out, 2 * n * out);
      else if (d->aggregate_first) /* Â·H, G·W_n, + H·W_s, bias */
        add(&fwd, 2 * m * in, 4 * n * in * out, 0, n * out);
      else /* H·W_n, Â·T, + H·W_s, bias */
        add(&fwd, 2 * m * out, 4 * n * in * out, 0, n * out);
      add(&bwd, 0, 0, 0, n * out); /* bias */
      if (d->sparse_input) {
        add(&bwd, 2 * m * out, 0, 4 * fnnz * out, 0);
      } else {
        add(&bwd, 0, 4 * n * in * out, 0, 0); /* dW_n, dW_s */
        if (!d->aggregate_first) add(&bwd, 2 * m * out, 0, 0, 0);
        if (dx) add(&bwd, d->aggregate_first ? 2 * m * in : 0, 4 * n * in * out, 0, n * in);
      }
      break;
    case GS_MODEL_GIN: {
      /* first product and aggregation, then + ε, BatchNorm (8, its shift b1) or b1 (1), relu,
       * U·W2, b2 */
      const int64_t bn = d->bn_gamma_offset >= 0 ? 8 : 1;
      if (d->sparse_input)
        add(&fwd, 2 * m * mid, 0, 2 * fnnz * mid, 3 * n * mid);
      else if (d->aggregate_first)
        add(&fwd, 2 * m * in, 2 * n * in * mid, 0, 3 * n * in);
      else
        add(&fwd, 2 * m * mid, 2 * n * in * mid, 0, 3 * n * mid);
      add(&fwd, 0, 2 * n * mid * out, 0, (bn + 1) * n * mid + n * out);
      /* db2, dW2, dU, relu', BatchNorm (8, with db1 and dγ) or db1 (1) */
      add(&bwd, 0, 4 * n * mid * out, 0, n * out + (bn + 1) * n * mid);
      if (d->aggregate_first) { /* dW1, dG, dε, [Âᵀ dG, + ε dG] */
        add(&bwd, 0, 4 * n * in * mid, 0, 2 * n * in);
        if (dx) add(&bwd, 2 * m * in, 0, 0, 3 * n * in);
      } else { /* dε, Âᵀ dV, + ε dV, dW1, [dT W1ᵀ] */
        add(&bwd, 2 * m * mid, 0, 0, 5 * n * mid);
        if (d->sparse_input) add(&bwd, 0, 0, 2 * fnnz * mid, 0);
        else add(&bwd, 0, 2 * n * in * mid, 0, 0);
        if (dx) add(&bwd, 0, 2 * n * in * mid, 0, 0);
      }
      break;
    }
    default: /* linear: H·W + b */
      if (d->sparse_input) add(&fwd, 0, 0, 2 * fnnz * out, n * out);
      else add(&fwd, 0, 2 * n * in * out, 0, n * out);
      add(&bwd, 0, 0, 0, n * out);
      if (d->sparse_input) add(&bwd, 0, 0, 2 * fnnz * out, 0);
      else add(&bwd, 0, 2 * n * in * out * (dx ? 2 : 1), 0, 0);
      break;
  }
  add(tf, fwd.aggregate + bwd.aggregate, fwd.dense + bwd.dense,
      fwd.sparse_input + bwd.sparse_input, fwd.elementwise + bwd.elementwise);
  add(ef, fwd.aggregate, fwd.dense, fwd.sparse_input, fwd.elementwise);
}

void gs__family_propagation_flops(const gs_model_layout *L, gs_flops *tf, gs_flops *ef) {
  const int64_t n = L->shape.nodes, m = L->shape.adj_nnz, c = L->shape.classes, K = L->hops;
  /* forward: K·(Â·P, axpby); backward: K·(axpby, Âᵀ·g, scale) and the final add */
  add(tf, K * 2 * m * c, 0, 0, K * 3 * n * c);
  add(ef, K * 2 * m * c, 0, 0, K * 3 * n * c);
  add(tf, K * 2 * m * c, 0, 0, K * 4 * n * c + n * c);
}

/* ------------------------------------------------------------------ SAGE */

// Z = Hin * W_self + (A_hat * Hin) * W_neigh + b, A_hat = (D+I)^-1 (A+I): a closed-neighbourhood mean
static gs_status sage_forward(gs_model *m, int32_t l, float *Z, bool training, int64_t epoch,
                              gs_error *err) {
  const gs_layer_dims *d = &m->layout.layer[l];
  const int64_t n = m->layout.shape.nodes;
  const float *p = gs_model_params(m);
  const float *Ws = p + d->w_offset, *Wn = p + d->w2_offset;
  float *work = B(m, m->roles.work);
  const float rate = training ? m->layout.config.dropout : 0.0f;
  const uint64_t seed = m->layout.config.seed;
  gs_status st = GS_OK;
  if (d->sparse_input) {
    // T = dropout(X) * W_neigh ; Z = A_hat * T ; T = dropout(X) * W_self (same mask) ; Z += T
    gs_input_forward(work, &m->x->sparse, Wn, d->out, rate, seed, gs__dropout_stream(epoch, 0));
    st = gs_graph_aggregate(m->graph, Z, work, d->out, false, GS_AGG_AUTO, err);
    if (st != GS_OK) return st;
    gs_input_forward(work, &m->x->sparse, Ws, d->out, rate, seed, gs__dropout_stream(epoch, 0));
    gs_dense_add(Z, work, n * d->out);
  } else {
    const float *H = gs__layer_input(m, l, training);
    if (d->aggregate_first) {
      // G = A_hat * Hin ; Z = G * W_neigh
      float *G = B(m, m->roles.agg[l]);
      st = gs_graph_aggregate(m->graph, G, H, d->in, false, GS_AGG_AUTO, err);
      if (st != GS_OK) return st;
      gs_dense_matmul(Z, G, Wn, n, d->out, d->in, false, false, false);
    } else {
      // T = Hin * W_neigh ; Z = A_hat * T
      gs_dense_matmul(work, H, Wn, n, d->out, d->in, false, false, false);
      st = gs_graph_aggregate(m->graph, Z, work, d->out, false, GS_AGG_AUTO, err);
      if (st != GS_OK) return st;
    }
    // Z += Hin * W_self
    gs_dense_matmul(Z, H, Ws, n, d->out, d->in, false, false, true);
  }
  gs_dense_bias_add(Z, p + d->b_offset, n, d->out);
  return GS_OK;
}

static gs_status sage_backward(gs_model *m, int32_t l, const float *dZ, float *dHin,
                               int64_t epoch, gs_error *err) {
  const gs_layer_dims *d = &m->layout.layer[l];
  const int64_t n = m->layout.shape.nodes;
  const float *p = gs_model_params(m);
  float *g = gs_model_grads(m);
  float *work = B(m, m->roles.work), *work2 = B(m, m->roles.work2);
  const float rate = m->layout.config.dropout;
  const uint64_t seed = m->layout.config.seed;
  gs_status st = GS_OK;
  gs_dense_bias_backward(g + d->b_offset, dZ, n, d->out);
  if (d->sparse_input) {
    // dT = A_hat^T * dZ ; dW_neigh += dropout(X)^T * dT ; dW_self += dropout(X)^T * dZ
    st = gs_graph_aggregate(m->graph, work, dZ, d->out, true, GS_AGG_AUTO, err);
    if (st != GS_OK) return st;
    gs_input_backward(g + d->w2_offset, &m->xt, m->perm, work, d->out, rate, seed,
                      gs__dropout_stream(epoch, 0));
    gs_input_backward(g + d->w_offset, &m->xt, m->perm, dZ, d->out, rate, seed,
                      gs__dropout_stream(epoch, 0));
    return GS_OK;
  }
  const float *H = gs__layer_input(m, l, true);
  const bool dx = l >= 1 && dHin;
  // dW_self += Hin^T * dZ
  gs_dense_matmul(g + d->w_offset, H, dZ, d->in, d->out, n, true, false, true);
  if (d->aggregate_first) {
    // dW_neigh += G^T * dZ ; dG = dZ * W_neigh^T ; S = dZ * W_self^T ; dHin = A_hat^T * dG + S
    gs_dense_matmul(g + d->w2_offset, B(m, m->roles.agg[l]), dZ, d->in, d->out, n, true, false,
                    true);
    if (!dx) return GS_OK;
    gs_dense_matmul(work, dZ, p + d->w2_offset, n, d->in, d->out, false, true, false);
    gs_dense_matmul(work2, dZ, p + d->w_offset, n, d->in, d->out, false, true, false);
    st = gs_graph_aggregate(m->graph, dHin, work, d->in, true, GS_AGG_AUTO, err);
    if (st != GS_OK) return st;
  } else {
    // dT = A_hat^T * dZ ; dW_neigh += Hin^T * dT ; S = dZ * W_self^T ; dHin = dT * W_neigh^T + S
    st = gs_graph_aggregate(m->graph, work, dZ, d->out, true, GS_AGG_AUTO, err);
    if (st != GS_OK) return st;
    gs_dense_matmul(g + d->w2_offset, H, work, d->in, d->out, n, true, false, true);
    if (!dx) return GS_OK;
    gs_dense_matmul(work2, dZ, p + d->w_offset, n, d->in, d->out, false, true, false);
    gs_dense_matmul(dHin, work, p + d->w2_offset, n, d->in, d->out, false, true, false);
  }
  gs_dense_add(dHin, work2, n * d->in);
  return GS_OK;
}

/* ------------------------------------------------------------------ GIN */

// S = ((A+I) * Hin + eps * Hin) * W1 ; V = BN(S) (shift b1), or S + b1 without BatchNorm ;
// U = relu(V) ; Z = U * W2 + b2
static gs_status gin_forward(gs_model *m, int32_t l, float *Z, bool training, int64_t epoch,
                             gs_error *err) {
  const gs_layer_dims *d = &m->layout.layer[l];
  const int64_t n = m->layout.shape.nodes;
  const float *p = gs_model_params(m);
  const float eps = p[d->eps_offset];
  float *U = B(m, m->roles.mlp[l]);
  const float rate = training ? m->layout.config.dropout : 0.0f;
  gs_status st = GS_OK;
  if (d->aggregate_first) {
    // G = (A+I) * Hin + eps * Hin ; V = G * W1
    const float *H = gs__layer_input(m, l, training);
    float *G = B(m, m->roles.agg[l]);
    st = gs_graph_aggregate(m->graph, G, H, d->in, false, GS_AGG_AUTO, err);
    if (st != GS_OK) return st;
    gs_dense_axpby(G, eps, H, 1.0f, n * d->in);
    gs_dense_matmul(U, G, p + d->w_offset, n, d->mid, d->in, false, false, false);
  } else {
    // T = Hin * W1 (kept for d eps) ; V = (A+I) * T + eps * T: the same by linearity
    float *T = B(m, m->roles.mlp_in[l]);
    if (d->sparse_input)
      gs_input_forward(T, &m->x->sparse, p + d->w_offset, d->mid, rate, m->layout.config.seed,
                       gs__dropout_stream(epoch, 0));
    else
      gs_dense_matmul(T, gs__layer_input(m, l, training), p + d->w_offset, n, d->mid, d->in,
                      false, false, false);
    st = gs_graph_aggregate(m->graph, U, T, d->mid, false, GS_AGG_AUTO, err);
    if (st != GS_OK) return st;
    gs_dense_axpby(U, eps, T, 1.0f, n * d->mid);
  }
  // V = gamma . (S - mean) / sqrt(var + eps_bn) + b1, statistics over the n nodes
  if (d->bn_gamma_offset >= 0)
    gs_batchnorm_forward(U, B(m, m->roles.mlp_xhat[l]), B(m, m->roles.mlp_rstd[l]), U,
                         p + d->bn_gamma_offset, p + d->b_offset, n, d->mid);
  else
    gs_dense_bias_add(U, p + d->b_offset, n, d->mid);
  gs_relu_forward(U, U, n * d->mid);
  gs_dense_matmul(Z, U, p + d->w2_offset, n, d->out, d->mid, false, false, false);
  gs_dense_bias_add(Z, p + d->b2_offset, n, d->out);
  return GS_OK;
}

static gs_status gin_backward(gs_model *m, int32_t l, const float *dZ, float *dHin,
                              int64_t epoch, gs_error *err) {
  const gs_layer_dims *d = &m->layout.layer[l];
  const int64_t n = m->layout.shape.nodes;
  const float *p = gs_model_params(m);
  float *g = gs_model_grads(m);
  const float eps = p[d->eps_offset];
  const float *U = B(m, m->roles.mlp[l]);
  float *dV = B(m, m->roles.work), *work2 = B(m, m->roles.work2);
  const bool dx = l >= 1 && dHin;
  gs_status st = GS_OK;
  // db2 += colsum(dZ) ; dW2 += U^T * dZ ; dU = dZ * W2^T ; dV = dU . [U > 0]
  gs_dense_bias_backward(g + d->b2_offset, dZ, n, d->out);
  gs_dense_matmul(g + d->w2_offset, U, dZ, d->mid, d->out, n, true, false, true);
  gs_dense_matmul(dV, dZ, p + d->w2_offset, n, d->mid, d->out, false, true, false);
  gs_relu_backward(dV, dV, U, n * d->mid);
  // dS = BN'(dV) in place (the name dV is kept below) ; db1 += colsum(dV) ; dgamma += ...
  if (d->bn_gamma_offset >= 0)
    gs_batchnorm_backward(dV, g + d->bn_gamma_offset, g + d->b_offset, dV,
                          B(m, m->roles.mlp_xhat[l]), B(m, m->roles.mlp_rstd[l]),
                          p + d->bn_gamma_offset, n, d->mid);
  else
    gs_dense_bias_backward(g + d->b_offset, dV, n, d->mid);
  if (d->aggregate_first) {
    // dW1 += G^T * dV ; dG = dV * W1^T ; d eps += <dG, Hin> ; dHin = (A+I)^T * dG + eps * dG
    const float *H = gs__layer_input(m, l, true);
    gs_dense_matmul(g + d->w_offset, B(m, m->roles.agg[l]), dV, d->in, d->mid, n, true, false,
                    true);
    gs_dense_matmul(work2, dV, p + d->w_offset, n, d->in, d->mid, false, true, false);
    g[d->eps_offset] += (float)gs_dense_dot(work2, H, n * d->in);
    if (!dx) return GS_OK;
    st = gs_graph_aggregate(m->graph, dHin, work2, d->in, true, GS_AGG_AUTO, err);
    if (st != GS_OK) return st;
    gs_dense_axpby(dHin, eps, work2, 1.0f, n * d->in);
    return GS_OK;
  }
  // d eps += <dV, T> ; dT = (A+I)^T * dV + eps * dV ; dW1 += Hin^T * dT ; dHin = dT * W1^T
  g[d->eps_offset] += (float)gs_dense_dot(dV, B(m, m->roles.mlp_in[l]), n * d->mid);
  st = gs_graph_aggregate(m->graph, work2, dV, d->mid, true, GS_AGG_AUTO, err);
  if (st != GS_OK) return st;
  gs_dense_axpby(work2, eps, dV, 1.0f, n * d->mid);
  if (d->sparse_input) {
    gs_input_backward(g + d->w_offset, &m->xt, m->perm, work2, d->mid, m->layout.config.dropout,
                      m->layout.config.seed, gs__dropout_stream(epoch, 0));
    return GS_OK;
  }
  gs_dense_matmul(g + d->w_offset, gs__layer_input(m, l, true), work2, d->in, d->mid, n, true,
                  false, true);
  if (dx) gs_dense_matmul(dHin, work2, p + d->w_offset, n, d->in, d->mid, false, true, false);
  return GS_OK;
}

/* ------------------------------------------------------------------ linear (SGC, APPNP) */

// Z = Hin * W + b
static void linear_forward(gs_model *m, int32_t l, float *Z, bool training, int64_t epoch) {
  const gs_layer_dims *d = &m->layout.layer[l];
  const int64_t n = m->layout.shape.nodes;
  const float *p = gs_model_params(m);
  if (d->sparse_input) /* the features, or SGC's Â^K X held as CSR */
    gs_input_forward(Z, gs__sparse_input(m), p + d->w_offset, d->out,
                     training ? m->layout.config.dropout : 0.0f, m->layout.config.seed,
                     gs__dropout_stream(epoch, 0));
  else
    gs_dense_matmul(Z, gs__layer_input(m, l, training), p + d->w_offset, n, d->out, d->in, false,
                    false, false);
  gs_dense_bias_add(Z, p + d->b_offset, n, d->out);
}

/* dHin never aliases dZ here: only APPNP's output layer (dZ from the propagation) needs it. */
static void linear_backward(gs_model *m, int32_t l, const float *dZ, float *dHin,
                            int64_t epoch) {
  const gs_layer_dims *d = &m->layout.layer[l];
  const int64_t n = m->layout.shape.nodes;
  float *g = gs_model_grads(m);
  gs_dense_bias_backward(g + d->b_offset, dZ, n, d->out);
  if (d->sparse_input) {
    gs_input_backward(g + d->w_offset, &m->xt, m->perm, dZ, d->out, m->layout.config.dropout,
                      m->layout.config.seed, gs__dropout_stream(epoch, 0));
    return;
  }
  // dW += Hin^T * dZ ; dHin = dZ * W^T
  gs_dense_matmul(g + d->w_offset, gs__layer_input(m, l, true), dZ, d->in, d->out, n, true, false,
                  true);
  if (l >= 1 && dHin)
    gs_dense_matmul(dHin, dZ, gs_model_params(m) + d->w_offset, n, d->in, d->out, false, true,
                    false);
}

gs_status gs__family_conv_forward(gs_model *m, int32_t l, float *Z, bool training,
                                  int64_t epoch, gs_error *err) {
  switch (m->layout.config.family) {
    case GS_MODEL_SAGE: return sage_forward(m, l, Z, training, epoch, err);
    case GS_MODEL_GIN: return gin_forward(m, l, Z, training, epoch, err);
    default: linear_forward(m, l, Z, training, epoch); return GS_OK;
  }
}

gs_status gs__family_conv_backward(gs_model *m, int32_t l, const float *dZ, float *dHin,
                                   int64_t epoch, gs_error *err) {
  switch (m->layout.config.family) {
    case GS_MODEL_SAGE: return sage_backward(m, l, dZ, dHin, epoch, err);
    case GS_MODEL_GIN: return gin_backward(m, l, dZ, dHin, epoch, err);
    default: linear_backward(m, l, dZ, dHin, epoch); return GS_OK;
  }
}

/* ------------------------------------------------------------------ APPNP propagation */

gs_status gs__appnp_forward(gs_model *m, gs_error *err) {
  const gs_model_layout *L = &m->layout;
  const int64_t count = L->shape.nodes * L->shape.classes;
  const float alpha = GS_APPNP_TELEPORT;
  const float *H = B(m, m->roles.prop[0]);
  float *logits = B(m, m->roles.logits), *other = B(m, m->roles.prop[1]);
  /* Ping-pong so that step K lands in the logits. */
  const float *P = H;
  for (int32_t k = 0; k < L->hops; k++) {
    float *next = (L->hops - k) % 2 == 1 ? logits : other;
    // P = (1 - alpha) * A_hat * P + alpha * H
    gs_status st = gs_graph_aggregate(m->graph, next, P, L->shape.classes, false, GS_AGG_AUTO, err);
    if (st != GS_OK) return st;
    gs_dense_axpby(next, alpha, H, 1.0f - alpha, count);
    P = next;
  }
  return GS_OK;
}

gs_status gs__appnp_backward(gs_model *m, const float *dlogits, const float **dH, gs_error *err) {
  const gs_model_layout *L = &m->layout;
  const int64_t count = L->shape.nodes * L->shape.classes;
  const float alpha = GS_APPNP_TELEPORT;
  float *acc = B(m, m->roles.prop[0]);
  float *buf[2] = {B(m, m->roles.prop[1]), B(m, m->roles.prop[2])};
  memset(acc, 0, (size_t)count * sizeof *acc);
  const float *g = dlogits;
  for (int32_t k = 0; k < L->hops; k++) {
    // acc += alpha * g ; g = (1 - alpha) * A_hat^T * g
    gs_dense_axpby(acc, alpha, g, 1.0f, count);
    float *next = buf[k % 2];
    gs_status st = gs_graph_aggregate(m->graph, next, g, L->shape.classes, true, GS_AGG_AUTO, err);
    if (st != GS_OK) return st;
    gs_dense_scale(next, 1.0f - alpha, count);
    g = next;
  }
  // dH = acc + g (the path that never teleported)
  gs_dense_add(acc, g, count);
  *dH = acc;
  return GS_OK;
}

/* ------------------------------------------------------------------ SGC precomputation */

/* Adds the non-zeros of each column of block B (n x w) to counts[j] (w of them). */
static void count_columns(int64_t *counts, const float *B, int64_t n, int64_t w) {
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < w; j++) counts[j] += B[i * w + j] != 0.0f;
}

/* Columns j0 .. j0 + w of Â^K X (n x w, dense) into one of blk[2], which it returns; the
 * other is scratch. counts (NULL, or [hops][stride]): after hop k the non-zeros of column j
 * of Â^k X are added to counts[(k - 1) * stride + j0 + j]. */
static gs_status smoothed_block(float **result, float *blk[2], const gs_graph *g,
                                const gs_features *x, int32_t hops, int64_t j0, int64_t w,
                                int64_t *counts, int64_t stride, gs_error *err) {
  const int64_t n = x->rows, f = x->cols;
  /* the columns j0 .. j0 + w of X, densely */
  if (x->kind == GS_FEATURES_DENSE) {
    for (int64_t i = 0; i < n; i++)
      memcpy(blk[0] + i * w, x->dense + i * f + j0, (size_t)w * sizeof(float));
  } else {
    memset(blk[0], 0, (size_t)(n * w) * sizeof(float));
    for (int64_t i = 0; i < n; i++)
      for (int64_t e = x->sparse.rowptr[i]; e < x->sparse.rowptr[i + 1]; e++) {
        int64_t j = x->sparse.col[e];
        if (j >= j0 && j < j0 + w) blk[0][i * w + j - j0] = x->sparse.val[e];
      }
  }
  int cur = 0;
  for (int32_t k = 0; k < hops; k++) {
    // B' = A_hat * B
    gs_status st = gs_graph_aggregate(g, blk[1 - cur], blk[cur], w, false, GS_AGG_AUTO, err);
    if (st != GS_OK) return st;
    cur = 1 - cur;
    if (counts) count_columns(counts + k * stride + j0, blk[cur], n, w);
  }
  *result = blk[cur];
  return GS_OK;
}

/* Adds the non-zeros of each row of block B (n x w) to counts[i] (counts may be NULL) and
 * returns their total. */
static int64_t count_block(int64_t *counts, const float *B, int64_t n, int64_t w) {
  int64_t total = 0;
  for (int64_t i = 0; i < n; i++) {
    int64_t c = 0;
    for (int64_t j = 0; j < w; j++) c += B[i * w + j] != 0.0f;
    if (counts) counts[i] += c;
    total += c;
  }
  return total;
}

/* One pass over Â^K X's column blocks: its total non-zeros into *total and/or every column's
 * after every step into counts ([hops][f], smoothed_block's), either may be NULL. */
static gs_status smoothed_pass(int64_t *total, int64_t *counts, const gs_graph *g,
                               const gs_features *x, int32_t hops, gs_error *err) {
  const int64_t n = x->rows, f = x->cols, b = f < GS_SGC_BLOCK ? f : GS_SGC_BLOCK;
  gs_status st = GS_OK;
  float *blk[2] = {gs_mem_alloc((size_t)(n * b) * sizeof(float), "workspace"),
                   gs_mem_alloc((size_t)(n * b) * sizeof(float), "workspace")};
  int64_t sum = 0;
  if (!blk[0] || !blk[1]) {
    st = gs_error_set(err, GS_ERR_NOMEM, "out of memory counting A_hat^K X (2 x %lld floats)",
                      (long long)(n * b));
    goto fail;
  }
  if (counts) memset(counts, 0, (size_t)hops * (size_t)f * sizeof *counts);
  for (int64_t j0 = 0; j0 < f; j0 += GS_SGC_BLOCK) {
    const int64_t w = f - j0 < GS_SGC_BLOCK ? f - j0 : GS_SGC_BLOCK;
    float *B = NULL;
    st = smoothed_block(&B, blk, g, x, hops, j0, w, counts, f, err);
    if (st != GS_OK) goto fail;
    if (total) sum += count_block(NULL, B, n, w);
  }
  if (total) *total = sum;
fail:
  gs_mem_free(blk[0]);
  gs_mem_free(blk[1]);
  return st;
}

gs_status gs_model_smoothed_nnz(int64_t *nnz, const gs_graph *g, const gs_features *x,
                                int32_t hops, gs_error *err) {
  return smoothed_pass(nnz, NULL, g, x, hops, err);
}

gs_status gs_model_smoothed_column_nnz(int64_t *counts, const gs_graph *g, const gs_features *x,
                                       int32_t hops, gs_error *err) {
  return smoothed_pass(NULL, counts, g, x, hops, err);
}

gs_status gs__sgc_precompute(gs_model *m, gs_error *err) {
  const gs_model_layout *L = &m->layout;
  const int64_t n = L->shape.nodes, f = L->shape.features;
  float *blk[2] = {B(m, m->roles.block[0]), B(m, m->roles.block[1])};
  gs_csr *S = m->roles.smoothed_rowptr >= 0 ? &m->smoothed : NULL;
  gs_status st = GS_OK;
  float *R = NULL;
  if (!S) {
    float *D = B(m, m->roles.smoothed);
    for (int64_t j0 = 0; j0 < f; j0 += GS_SGC_BLOCK) {
      const int64_t w = f - j0 < GS_SGC_BLOCK ? f - j0 : GS_SGC_BLOCK;
      st = smoothed_block(&R, blk, m->graph, m->x, L->hops, j0, w, NULL, 0, err);
      if (st != GS_OK) return st;
      for (int64_t i = 0; i < n; i++)
        memcpy(D + i * f + j0, R + i * w, (size_t)w * sizeof(float));
    }
    return GS_OK;
  }
  /* CSR in two passes over the blocks, as no n x f buffer exists: row counts into rowptr
   * (shifted by one), then the values, rowptr[i] serving as row i's cursor; blocks come in
   * column order, so each row comes out sorted. */
  int64_t *rowptr = S->rowptr;
  memset(rowptr, 0, (size_t)(n + 1) * sizeof *rowptr);
  for (int64_t j0 = 0; j0 < f; j0 += GS_SGC_BLOCK) {
    const int64_t w = f - j0 < GS_SGC_BLOCK ? f - j0 : GS_SGC_BLOCK;
    st = smoothed_block(&R, blk, m->graph, m->x, L->hops, j0, w, NULL, 0, err);
    if (st != GS_OK) return st;
    count_block(rowptr + 1, R, n, w);
  }
  for (int64_t i = 0; i < n; i++) rowptr[i + 1] += rowptr[i];
  if (rowptr[n] != S->nnz)
    return gs_error_set(err, GS_ERR_MISMATCH,
                        "SGC: A_hat^%d X has %lld non-zeros, the model was sized for %lld",
                        (int)L->hops, (long long)rowptr[n], (long long)S->nnz);
  for (int64_t j0 = 0; j0 < f; j0 += GS_SGC_BLOCK) {
    const int64_t w = f - j0 < GS_SGC_BLOCK ? f - j0 : GS_SGC_BLOCK;
    st = smoothed_block(&R, blk, m->graph, m->x, L->hops, j0, w, NULL, 0, err);
    if (st != GS_OK) return st;
    for (int64_t i = 0; i < n; i++)
      for (int64_t j = 0; j < w; j++)
        if (R[i * w + j] != 0.0f) {
          const int64_t slot = rowptr[i]++;
          S->col[slot] = j0 + j;
          S->val[slot] = R[i * w + j];
        }
  }
  for (int64_t i = n; i > 0; i--) rowptr[i] = rowptr[i - 1];
  rowptr[0] = 0;
  return GS_OK;
}
