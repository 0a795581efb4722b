/* GCN model: layout (what is allocated and computed), initialisation, forward, backward.
 * Two modes keep different activations (DESIGN.md §2):
 * - plain: hidden output Hin_{l+1} = dropout(relu(norm?(Z))) is all that is kept; the ReLU and
 *   dropout backward is recovered from it alone (inverted dropout: out > 0 iff active and kept);
 * - residual: H_{l+1} = H_l + relu(Y_l) needs the pre-activation Y_l (or LayerNorm's xhat) and
 *   an undropped H; dropout masks are regenerated from the counter RNG in the backward. */
#include "gnn/model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/rng.h"
#include "core/runtime.h"
#include "gnn/adam.h"
#include "gnn/dense.h"
#include "core/flops.h"
#include "gnn/input.h"
#include "gnn/model_impl.h"

typedef gs__buffer_roles buffer_roles;

gs_model_config gs_model_config_default(void) {
  gs_model_config cfg = {.depth = 2, .width = 16, .dropout = 0.5f, .residual = false,
                         .norm = false, .order = GS_ORDER_AUTO, .seed = 0,
                         .stack = GS_STACK_AS_SET};
  return cfg;
}

bool gs_model_stack_is_deep(gs_model_family family, int32_t depth) {
  const bool stacked = family == GS_MODEL_GCN || family == GS_MODEL_SAGE || family == GS_MODEL_GIN;
  return stacked && depth >= GS_MODEL_DEEP_DEPTH;
}

gs_model_config gs_model_config_resolve(const gs_model_config *cfg) {
  gs_model_config out = *cfg;
  if (cfg->stack != GS_STACK_AUTO) return out;
  const bool deep = gs_model_stack_is_deep(cfg->family, cfg->depth);
  /* GCN: identity map, no LayerNorm, which costs Cora 3.9 points already at depth 2; SAGE
   * and GIN keep the norm (no identity map there) (bench/RESULTS.md §11). */
  const bool gcn = cfg->family == GS_MODEL_GCN;
  out.residual = out.rezero = deep;
  out.identity_map = deep && gcn;
  out.norm = deep && !gcn;
  out.stack = GS_STACK_AS_SET;
  return out;
}

static const char *const gin_norm_names[] = {"auto", "batch", "none"};

const char *gs_gin_norm_name(gs_gin_norm norm) {
  if ((int)norm < 0 || (int)norm > GS_GIN_NORM_NONE) return NULL;
  return gin_norm_names[norm];
}

gs_gin_norm gs_gin_norm_choose(int64_t nodes, int64_t closed_nnz) {
  const double degree = nodes > 0 ? (double)closed_nnz / (double)nodes : 0.0;
  return degree > GS_GIN_BATCHNORM_ABOVE ? GS_GIN_NORM_BATCH : GS_GIN_NORM_NONE;
}

void gs_gin_norm_explain(int64_t nodes, int64_t closed_nnz, char *buf, size_t n) {
  const double degree = nodes > 0 ? (double)closed_nnz / (double)nodes : 0.0;
  snprintf(buf, n, "mean closed degree nnz(A+I)/n %.2f %s %g", degree,
           degree > GS_GIN_BATCHNORM_ABOVE ? ">" : "<=", GS_GIN_BATCHNORM_ABOVE);
}

gs_gin_norm gs_model_gin_norm(const gs_model_config *cfg, const gs_model_shape *s) {
  if (cfg->gin_norm != GS_GIN_NORM_AUTO) return cfg->gin_norm;
  return gs_gin_norm_choose(s->nodes, s->adj_nnz);
}

static const char *const family_names[GS_MODEL_FAMILIES] = {"gcn", "sage", "gin", "sgc", "appnp"};

const char *gs_model_family_name(gs_model_family family) {
  if ((int)family < 0 || (int)family >= GS_MODEL_FAMILIES) return NULL;
  return family_names[family];
}

gs_norm gs_model_family_norm(gs_model_family family, gs_norm requested) {
  if (family == GS_MODEL_SAGE) return GS_NORM_ROW;
  if (family == GS_MODEL_GIN) return GS_NORM_NONE;
  return requested;
}

gs_model_shape gs_model_shape_of(const gs_graph *g, const gs_features *x, int64_t classes) {
  gs_model_shape s = {0};
  s.nodes = gs_graph_nodes(g);
  s.adj_nnz = gs_graph_nnz(g);
  s.adj_transpose = gs_graph_norm(g) == GS_NORM_ROW;
  s.features = x->cols;
  s.sparse_features = x->kind == GS_FEATURES_SPARSE;
  s.feature_nnz = x->nnz;
  s.classes = classes;
  return s;
}

bool gs_model_sgc_csr(const gs_model_config *cfg, const gs_model_shape *s) {
  if (cfg->family != GS_MODEL_SGC || s->smoothed_nnz <= 0) return false;
  if (cfg->sgc_input != GS_SGC_INPUT_AUTO) return cfg->sgc_input == GS_SGC_INPUT_CSR;
  return (double)s->smoothed_nnz < GS_SGC_SPARSE_BELOW * (double)s->nodes * (double)s->features;
}

/* Appends a buffer of `bytes` to the layout and returns its index. */
static int add_buffer(gs_model_layout *L, const char *tag, int64_t bytes, bool kept) {
  /* The table's size is a bound of the layouts below (7 per layer + 32); a family that needs
   * more must raise GS_MAX_BUFFERS, not write past the table (a deep GIN with BatchNorm and
   * LayerNorm once did, and plan crashed). */
  if (L->num_buffers >= GS_MAX_BUFFERS) {
    fprintf(stderr, "gnnscale: internal error: the model layout needs more than %d buffers "
            "(GS_MAX_BUFFERS in gnn/model.h)\n", GS_MAX_BUFFERS);
    abort();
  }
  int i = L->num_buffers++;
  L->buffer[i].tag = tag;
  L->buffer[i].bytes = bytes;
  L->buffer[i].kept_for_backward = kept;
  L->total_bytes += bytes;
  if (kept) L->activation_bytes += bytes;
  return i;
}

/* Builds the layout and, when roles is not NULL, where each role sits in it. */
static gs_status layout_make(gs_model_layout *L, buffer_roles *roles,
                             const gs_model_config *asked, const gs_model_shape *s,
                             gs_error *err) {
  gs_model_config resolved = gs_model_config_resolve(asked);
  if (resolved.family == GS_MODEL_GIN) resolved.gin_norm = gs_model_gin_norm(&resolved, s);
  const gs_model_config *cfg = &resolved;
  if (!gs_model_family_name(cfg->family))
    return gs_error_set(err, GS_ERR_INVALID, "unknown model family %d", (int)cfg->family);
  if (!gs_gin_norm_name(cfg->gin_norm))
    return gs_error_set(err, GS_ERR_INVALID, "unknown GIN normalisation %d", (int)cfg->gin_norm);
  if (cfg->depth < 1 || cfg->depth > GS_MAX_LAYERS)
    return gs_error_set(err, GS_ERR_INVALID, "depth %d is outside 1..%d", (int)cfg->depth,
                        GS_MAX_LAYERS);
  if (cfg->width < 1 || cfg->width > (1 << 20))
    return gs_error_set(err, GS_ERR_INVALID, "width %lld is outside 1..%d",
                        (long long)cfg->width, 1 << 20);
  if (!(cfg->dropout >= 0.0f && cfg->dropout < 1.0f))
    return gs_error_set(err, GS_ERR_INVALID, "dropout %g is outside [0, 1)", (double)cfg->dropout);
  if (cfg->rezero && !cfg->residual)
    return gs_error_set(err, GS_ERR_INVALID,
                        "rezero scales the residual branches: it needs residual connections");
  if (cfg->identity_map && !cfg->residual)
    return gs_error_set(err, GS_ERR_INVALID,
                        "the identity map is for residual layers: it needs residual connections");
  if (cfg->identity_map && cfg->family != GS_MODEL_GCN)
    return gs_error_set(err, GS_ERR_INVALID, "the identity map is for GCN layers, not %s",
                        gs_model_family_name(cfg->family));
  if (s->classes < 1) return gs_error_set(err, GS_ERR_INVALID, "the model needs at least 1 class");
  if (s->nodes < 1 || s->features < 1)
    return gs_error_set(err, GS_ERR_INVALID, "the model needs nodes and features (got %lld, %lld)",
                        (long long)s->nodes, (long long)s->features);
  /* Bytes of the largest buffer must fit comfortably in int64. */
  const double max_floats = 1e15;
  double widest = (double)(cfg->width > s->features ? cfg->width : s->features);
  if ((double)s->nodes * widest > max_floats || (double)s->features * (double)cfg->width > max_floats)
    return gs_error_set(err, GS_ERR_RANGE, "model of %lld nodes x %g columns is too large",
                        (long long)s->nodes, widest);

  buffer_roles local;
  buffer_roles *r = roles ? roles : &local;
  memset(r, -1, sizeof *r);
  memset(L, 0, sizeof *L);
  L->config = *cfg;
  L->shape = *s;
  const gs_model_family fam = cfg->family;
  const bool propagates = fam == GS_MODEL_SGC || fam == GS_MODEL_APPNP;
  /* SGC is one linear layer and APPNP a two-layer MLP; their depth is K propagation steps. */
  const int32_t depth = fam == GS_MODEL_SGC ? 1 : fam == GS_MODEL_APPNP ? 2 : cfg->depth;
  L->depth = depth;
  L->hops = propagates ? cfg->depth : 0;
  const int64_t n = s->nodes, h = cfg->width, c = s->classes;
  if (fam == GS_MODEL_SGC && cfg->sgc_input == GS_SGC_INPUT_CSR && s->smoothed_nnz <= 0)
    return gs_error_set(err, GS_ERR_INVALID,
                        "SGC's CSR input needs the non-zero count of A_hat^K X "
                        "(gs_model_smoothed_nnz)");
  /* Layer 0 reads CSR: the features when stored so (SGC: Â^K X, by gs_model_sgc_csr). */
  const bool sgc_csr = gs_model_sgc_csr(cfg, s);
  const bool csr_input = fam == GS_MODEL_SGC ? sgc_csr : s->sparse_features;
  L->input_nnz = !csr_input ? 0 : sgc_csr ? s->smoothed_nnz : s->feature_nnz;
  L->residual_mode = cfg->residual && depth >= 3;

  /* Layer dimensions, order and parameter offsets. */
  int64_t offset = 0;
  int32_t residual_layers = 0;
  for (int32_t l = 0; l < depth; l++) {
    gs_layer_dims *d = &L->layer[l];
    d->in = l == 0 ? s->features : h;
    d->out = l == depth - 1 ? c : h;
    d->hidden = l < depth - 1;
    d->sparse_input = l == 0 && csr_input;
    d->norm = cfg->norm && d->hidden;
    d->residual = L->residual_mode && l >= 1 && d->hidden && d->in == d->out;
    d->aggregates = !propagates;
    d->mid = fam == GS_MODEL_GIN ? h : 0;
    /* GIN aggregates before or after its first product, whose output is mid wide. */
    const int64_t first_out = fam == GS_MODEL_GIN ? d->mid : d->out;
    if (!d->aggregates || d->sparse_input || cfg->order == GS_ORDER_TRANSFORM_FIRST)
      d->aggregate_first = false;
    else if (cfg->order == GS_ORDER_AGGREGATE_FIRST)
      d->aggregate_first = true;
    else /* DESIGN.md §2: transform first is cheaper exactly when out < in; ties keep it. */
      d->aggregate_first = d->in < first_out;
    d->w2_offset = d->b2_offset = d->eps_offset = d->bn_gamma_offset = -1;
    if (fam == GS_MODEL_GCN || propagates) {
      d->w_offset = offset;
      d->weights = d->in * d->out;
      offset += d->weights;
      d->b_offset = offset;
      offset += d->out;
    } else {
      gs__family_params(d, fam, cfg->gin_norm == GS_GIN_NORM_BATCH, &offset);
    }
    d->gamma_offset = d->beta_offset = -1;
    if (d->norm) {
      d->gamma_offset = offset;
      offset += d->out;
      d->beta_offset = offset;
      offset += d->out;
    }
    d->rezero_offset = -1;
    if (d->residual && cfg->rezero) d->rezero_offset = offset++;
    /* GCNII numbers its layers from 1 after the input layer: our layer l is its l. */
    d->identity_beta = d->residual && cfg->identity_map
                           ? (float)log(GS_IDENTITY_MAP_LAMBDA / (double)l + 1.0) : 0.0f;
    if (d->residual) residual_layers++;
  }
  for (int32_t l = 0; l < depth; l++)
    if (L->layer[l].rezero_offset >= 0) L->layer[l].rezero_scale = 1.0f / (float)residual_layers;
  L->params = offset;
  L->decayed_params = L->layer[0].weights;

  const int64_t F = (int64_t)sizeof(float), P = L->params;
  r->params = add_buffer(L, "params", P * F, false);
  r->grads = add_buffer(L, "grads", P * F, false);
  r->adam_m = add_buffer(L, "adam", P * F, false);
  r->adam_v = add_buffer(L, "adam", P * F, false);

  const int64_t in_nnz = L->input_nnz;
  if (L->layer[0].sparse_input) {
    /* Xᵀ for the weight gradient of layer 0 (gs_csr_alloc: rowptr, col, val) and perm. */
    r->features_t_rowptr = add_buffer(L, "features_t", 8 * (s->features + 1), false);
    r->features_t = add_buffer(L, "features_t", 8 * in_nnz, false);
    r->features_t_val = add_buffer(L, "features_t", 4 * in_nnz, false);
    r->features_perm = add_buffer(L, "features_t", 8 * (in_nnz > 0 ? in_nnz : 1), false);
  } else if (cfg->dropout > 0.0f) {
    r->input_dropped = add_buffer(L, "activations", n * s->features * F, true);
  }
  if (fam == GS_MODEL_SGC) {
    const int64_t b = s->features < GS_SGC_BLOCK ? s->features : GS_SGC_BLOCK;
    if (sgc_csr) { /* as gs_csr_alloc lays out a CSR matrix */
      r->smoothed_rowptr = add_buffer(L, "activations", 8 * (n + 1), true);
      r->smoothed_col = add_buffer(L, "activations", 8 * in_nnz, true);
      r->smoothed_val = add_buffer(L, "activations", 4 * in_nnz, true);
    } else {
      r->smoothed = add_buffer(L, "activations", n * s->features * F, true);
    }
    r->block[0] = add_buffer(L, "workspace", n * b * F, false);
    r->block[1] = add_buffer(L, "workspace", n * b * F, false);
  }

  int64_t work_cols = 1, work2_cols = 0, grad_cols = c;
  for (int32_t l = 0; l < depth; l++) {
    const gs_layer_dims *d = &L->layer[l];
    if (l >= 1) r->hin[l] = add_buffer(L, "activations", n * d->in * F, true);
    if (d->aggregate_first) r->agg[l] = add_buffer(L, "activations", n * d->in * F, true);
    if (fam == GS_MODEL_GIN) {
      r->mlp[l] = add_buffer(L, "activations", n * d->mid * F, true);
      if (!d->aggregate_first) r->mlp_in[l] = add_buffer(L, "activations", n * d->mid * F, true);
      if (d->bn_gamma_offset >= 0) {
        r->mlp_xhat[l] = add_buffer(L, "activations", n * d->mid * F, true);
        r->mlp_rstd[l] = add_buffer(L, "activations", d->mid * F, true);
      }
      int64_t w2 = d->aggregate_first ? d->in : d->mid;
      if (w2 > work2_cols) work2_cols = w2;
    }
    if (fam == GS_MODEL_SAGE && l >= 1 && d->in > work2_cols) work2_cols = d->in;
    if (d->hidden && d->norm) {
      r->xhat[l] = add_buffer(L, "activations", n * d->out * F, true);
      r->rstd[l] = add_buffer(L, "activations", n * F, true);
    } else if (d->hidden && L->residual_mode) {
      r->pre[l] = add_buffer(L, "activations", n * d->out * F, true);
    }
    int64_t wc = !d->aggregates ? 1 : fam == GS_MODEL_GIN ? d->mid : d->aggregate_first ? d->in : d->out;
    if (wc > work_cols) work_cols = wc;
    if (d->hidden && d->out > grad_cols) grad_cols = d->out;
    if (l >= 1 && d->in > grad_cols) grad_cols = d->in;
  }
  if (L->residual_mode) {
    r->hbuf[0] = add_buffer(L, "activations", n * h * F, true);
    r->hbuf[1] = add_buffer(L, "activations", n * h * F, true);
  }
  r->logits = add_buffer(L, "activations", n * c * F, true);
  r->dlogits = add_buffer(L, "workspace", n * c * F, false);
  r->work = add_buffer(L, "workspace", n * work_cols * F, false);
  if (cfg->identity_map && L->residual_mode)
    r->identity_w = add_buffer(L, "workspace", 2 * h * h * F, false);
  /* Plain mode needs one gradient buffer: dZ is computed in place from dHin_{l+1}, and once
   * dT = Âᵀ·dZ (or dG = dZ·Wᵀ) is in `work`, dZ is dead and dHin_l overwrites it. Residual
   * mode also keeps dH_{l+1} and the identity path's carry. */
  int grad_buffers = depth == 1 ? 0 : (L->residual_mode ? 3 : 1);
  for (int i = 0; i < grad_buffers; i++) r->grad[i] = add_buffer(L, "workspace", n * grad_cols * F, false);
  if (work2_cols > 0) r->work2 = add_buffer(L, "workspace", n * work2_cols * F, false);
  if (fam == GS_MODEL_APPNP)
    for (int i = 0; i < 3; i++) r->prop[i] = add_buffer(L, "workspace", n * c * F, false);

  /* FLOPs of one training step and of one evaluation forward (the kernels count the same). */
  gs_flops *tf = &L->train_flops, *ef = &L->eval_flops;
  const int64_t m = s->adj_nnz;
  if (fam == GS_MODEL_SGC) {
    const int64_t passes = (sgc_csr ? 2 : 1) + (cfg->sgc_input != GS_SGC_INPUT_DENSE ? 1 : 0);
    L->setup_flops.aggregate = L->setup_flops.total = passes * L->hops * 2 * m * s->features;
  }
  for (int32_t l = 0; l < depth; l++) {
    const gs_layer_dims *d = &L->layer[l];
    int64_t in = d->in, out = d->out;
    bool need_dx = l >= 1;
    /* forward: product and aggregation (other families: gnn/family.c) */
    const bool gcn = fam == GS_MODEL_GCN;
    if (!gcn) gs__family_layer_flops(L, l, tf, ef);
    int64_t fwd_dense = 0, fwd_agg = 0, fwd_sparse = 0, fwd_elem = gcn ? n * out : 0; /* bias */
    if (!gcn) {
    } else if (d->sparse_input) {
      fwd_sparse = 2 * L->input_nnz * out;
      fwd_agg = 2 * m * out;
    } else if (d->aggregate_first) {
      fwd_agg = 2 * m * in;
      fwd_dense = 2 * n * in * out;
    } else {
      fwd_dense = 2 * n * in * out;
      fwd_agg = 2 * m * out;
    }
    int64_t elem_train = fwd_elem, elem_eval = fwd_elem;
    if (l == 0 && !d->sparse_input && cfg->dropout > 0.0f) elem_train += n * in; /* input dropout */
    if (d->hidden) {
      if (d->norm) {
        elem_train += 7 * n * out;
        elem_eval += 7 * n * out;
      }
      if (L->residual_mode) {
        /* relu (+ residual add, or ReZero's H_l + α·relu: 3 per element) into H, then dropout */
        int64_t add = !d->residual ? 0 : d->rezero_offset >= 0 ? 3 * n * out : n * out;
        int64_t e = n * out + add + n * out;
        elem_train += e;
        elem_eval += e;
      } else {
        elem_train += 2 * n * out; /* fused relu + dropout */
        elem_eval += 2 * n * out;
      }
    }
    if (d->identity_beta > 0.0f) { /* W_eff built in each forward, rebuilt in the backward */
      elem_train += in * out + in;
      elem_eval += in * out + in;
    }
    tf->dense += fwd_dense;
    tf->aggregate += fwd_agg;
    tf->sparse_input += fwd_sparse;
    tf->elementwise += elem_train;
    ef->dense += fwd_dense;
    ef->aggregate += fwd_agg;
    ef->sparse_input += fwd_sparse;
    ef->elementwise += elem_eval;

    /* backward */
    int64_t bwd_elem = gcn ? n * out : 0; /* bias gradient */
    if (d->hidden) {
      if (L->residual_mode) {
        bwd_elem += n * out;                     /* dropout backward of H_{l+1} */
        if (d->norm) bwd_elem += 2 * n * out;    /* recompute Y from xhat */
        bwd_elem += n * out;                     /* relu backward */
      } else {
        bwd_elem += n * out;                     /* fused relu+dropout backward */
      }
      if (d->norm) bwd_elem += 9 * n * out;
    }
    if (d->residual) bwd_elem += n * in;         /* carry of the identity path */
    if (d->rezero_offset >= 0) bwd_elem += 3 * n * out; /* dα = Σ Y⊙dZ, dZ *= α */
    if (d->identity_beta > 0.0f) bwd_elem += in * out + in + 3 * in * out; /* W_eff, dW += β·dW_eff */
    if (!gcn) {
    } else if (d->sparse_input) {
      tf->aggregate += 2 * m * out;
      tf->sparse_input += 2 * L->input_nnz * out;
    } else if (d->aggregate_first) {
      tf->dense += 2 * n * in * out;             /* dW = Gᵀ dZ */
      if (need_dx) {
        tf->dense += 2 * n * in * out;           /* dG = dZ Wᵀ */
        tf->aggregate += 2 * m * in;             /* dHin = Âᵀ dG */
      }
    } else {
      tf->aggregate += 2 * m * out;              /* dT = Âᵀ dZ */
      tf->dense += 2 * n * in * out;             /* dW = Hinᵀ dT */
      if (need_dx) tf->dense += 2 * n * in * out; /* dHin = dT Wᵀ */
    }
    tf->elementwise += bwd_elem;
  }
  if (fam == GS_MODEL_APPNP) gs__family_propagation_flops(L, tf, ef);
  /* loss + gradient on the training nodes is counted by the trainer (depends on the split);
   * the optimiser: Adam 10P plus decay 2·(decayed params) counted by the trainer as well. */
  tf->total = tf->aggregate + tf->dense + tf->sparse_input + tf->elementwise;
  ef->total = ef->aggregate + ef->dense + ef->sparse_input + ef->elementwise;
  return GS_OK;
}

gs_status gs_model_layout_make(gs_model_layout *out, const gs_model_config *cfg,
                               const gs_model_shape *shape, gs_error *err) {
  return layout_make(out, NULL, cfg, shape, err);
}


#define B gs__buf

void gs_model_free(gs_model **pm) {
  if (!pm || !*pm) return;
  gs_model *m = *pm;
  for (int i = 0; i < m->layout.num_buffers; i++) gs_mem_free(m->buf[i]);
  gs_mem_free(m);
  *pm = NULL;
}

/* Glorot & Bengio (2010) uniform initialisation of a fan_in x fan_out matrix:
 * U(-a, a), a = sqrt(6 / (in + out)). */
static void glorot(float *w, int64_t fan_in, int64_t fan_out, uint64_t seed, uint64_t stream) {
  float a = (float)sqrt(6.0 / (double)(fan_in + fan_out));
  for (int64_t i = 0; i < fan_in * fan_out; i++)
    w[i] = (2.0f * gs_rng_uniform(seed, stream, (uint64_t)i) - 1.0f) * a;
}

/* Every weight matrix Glorot-uniform (SAGE's two and GIN's two each on its own stream);
 * biases, GIN's ε and norm shifts zero; norm scales (LayerNorm's, GIN's BatchNorm's) one. */
static void init_params(gs_model *m) {
  const gs_model_layout *L = &m->layout;
  float *p = B(m, m->roles.params);
  memset(p, 0, (size_t)L->params * sizeof *p);
  const uint64_t seed = L->config.seed;
  for (int32_t l = 0; l < L->depth; l++) {
    const gs_layer_dims *d = &L->layer[l];
    const int64_t first_out = d->mid > 0 ? d->mid : d->out;
    glorot(p + d->w_offset, d->in, first_out, seed, gs_rng_stream(GS_RNG_STREAM_INIT, 0, (uint64_t)l));
    if (d->w2_offset >= 0)
      glorot(p + d->w2_offset, d->mid > 0 ? d->mid : d->in, d->out, seed,
             gs_rng_stream(GS_RNG_STREAM_INIT, 1, (uint64_t)l));
    if (d->norm)
      for (int64_t j = 0; j < d->out; j++) p[d->gamma_offset + j] = 1.0f;
    if (d->bn_gamma_offset >= 0)
      for (int64_t j = 0; j < d->mid; j++) p[d->bn_gamma_offset + j] = 1.0f;
  }
}

gs_status gs_model_new_capacity(gs_model **out, const gs_model_config *cfg,
                                const gs_model_shape *capacity, gs_error *err) {
  gs_status st = GS_OK;
  gs_model *m = gs_mem_calloc(1, sizeof *m, "model");
  if (!m) return gs_error_set(err, GS_ERR_NOMEM, "out of memory for the model");
  GS_TRY(layout_make(&m->layout, &m->roles, cfg, capacity, err));
  for (int i = 0; i < m->layout.num_buffers; i++) {
    const gs_buffer_desc *b = &m->layout.buffer[i];
    m->buf[i] = gs_mem_alloc((size_t)b->bytes, b->tag);
    if (!m->buf[i]) {
      st = gs_error_set(err, GS_ERR_NOMEM, "out of memory allocating %s (%lld bytes)", b->tag,
                        (long long)b->bytes);
      goto fail;
    }
  }
  const buffer_roles *r = &m->roles;
  if (r->smoothed_rowptr >= 0) {
    m->smoothed.nrows = capacity->nodes;
    m->smoothed.ncols = capacity->features;
    m->smoothed.nnz = m->layout.input_nnz;
    m->smoothed.rowptr = m->buf[r->smoothed_rowptr];
    m->smoothed.col = m->buf[r->smoothed_col];
    m->smoothed.val = m->buf[r->smoothed_val];
  }
  if (m->layout.layer[0].sparse_input) {
    m->xt.rowptr = m->buf[r->features_t_rowptr];
    m->xt.col = m->buf[r->features_t];
    m->xt.val = m->buf[r->features_t_val];
    m->perm = m->buf[r->features_perm];
  }
  memset(m->buf[r->adam_m], 0, (size_t)m->layout.params * sizeof(float));
  memset(m->buf[r->adam_v], 0, (size_t)m->layout.params * sizeof(float));
  init_params(m);
  gs_model_zero_grad(m);
  *out = m;
  return GS_OK;
fail:
  gs_model_free(&m);
  return st;
}

gs_status gs_model_new(gs_model **out, const gs_model_config *cfg, const gs_graph *g,
                       const gs_features *x, int64_t classes, gs_error *err) {
  gs_model *m = NULL;
  if (x->kind == GS_FEATURES_NONE)
    return gs_error_set(err, GS_ERR_INVALID, "the model needs node features");
  if (x->rows != gs_graph_nodes(g))
    return gs_error_set(err, GS_ERR_MISMATCH, "features have %lld rows but the graph %lld nodes",
                        (long long)x->rows, (long long)gs_graph_nodes(g));
  const gs_norm want = gs_model_family_norm(cfg->family, gs_graph_norm(g));
  if (gs_graph_norm(g) != want)
    return gs_error_set(err, GS_ERR_INVALID, "the %s family needs a graph normalised %s",
                        gs_model_family_name(cfg->family),
                        want == GS_NORM_ROW ? "by rows, (D+I)^-1 (A+I)" : "not at all, A + I");
  gs_model_shape shape = gs_model_shape_of(g, x, classes);
  gs_status st = GS_OK;
  if (cfg->family == GS_MODEL_SGC && cfg->sgc_input != GS_SGC_INPUT_DENSE)
    st = gs_model_smoothed_nnz(&shape.smoothed_nnz, g, x, cfg->depth, err);
  if (st == GS_OK) st = gs_model_new_capacity(&m, cfg, &shape, err);
  if (st == GS_OK) st = gs_model_bind(m, g, x, err);
  if (st != GS_OK) {
    gs_model_free(&m);
    return st;
  }
  *out = m;
  return GS_OK;
}

gs_status gs_model_bind(gs_model *m, const gs_graph *g, const gs_features *x, gs_error *err) {
  const gs_model_shape *c = &m->layout.shape;
  const int64_t n = gs_graph_nodes(g);
  if (!g || !x || x->rows != n || x->cols != c->features ||
      (x->kind == GS_FEATURES_SPARSE) != c->sparse_features)
    return gs_error_set(err, GS_ERR_MISMATCH,
                        "gs_model_bind: a graph of %lld nodes with %lld x %lld features of "
                        "another kind or width than the model's %lld",
                        (long long)n, (long long)(x ? x->rows : 0), (long long)(x ? x->cols : 0),
                        (long long)c->features);
  if (n > c->nodes || gs_graph_nnz(g) > c->adj_nnz ||
      (c->sparse_features && x->sparse.nnz > c->feature_nnz))
    return gs_error_set(err, GS_ERR_RANGE,
                        "gs_model_bind: %lld nodes, %lld entries of A_hat, %lld feature entries "
                        "exceed the model's capacity (%lld, %lld, %lld)",
                        (long long)n, (long long)gs_graph_nnz(g),
                        (long long)(c->sparse_features ? x->sparse.nnz : 0), (long long)c->nodes,
                        (long long)c->adj_nnz, (long long)c->feature_nnz);
  /* SGC's Â^K X and APPNP's propagation need the whole graph: batches are for GCN. */
  if (m->layout.config.family != GS_MODEL_GCN && n != c->nodes)
    return gs_error_set(err, GS_ERR_INVALID,
                        "gs_model_bind: the %s family trains on the whole graph, not on batches "
                        "of %lld of its %lld nodes",
                        gs_model_family_name(m->layout.config.family), (long long)n,
                        (long long)c->nodes);
  m->graph = g;
  m->x = x;
  m->nodes = n;
  /* SGC's Â^K X first: its CSR form is what layer 0 transposes. */
  if (m->layout.config.family == GS_MODEL_SGC) {
    gs_status st = gs__sgc_precompute(m, err);
    if (st != GS_OK) return st;
  }
  if (m->layout.layer[0].sparse_input)
    gs_input_transpose_into(&m->xt, m->perm, gs__sparse_input(m));
  return GS_OK;
}

int64_t gs_model_nodes(const gs_model *m) { return m->nodes; }

const gs_model_layout *gs_model_layout_of(const gs_model *m) { return &m->layout; }

void gs_model_smoothed_input(const gs_model *m, const gs_csr **csr, const float **dense) {
  *csr = m->roles.smoothed_rowptr >= 0 ? &m->smoothed : NULL;
  *dense = m->roles.smoothed >= 0 ? m->buf[m->roles.smoothed] : NULL;
}
int64_t gs_model_object_bytes(void) { return (int64_t)sizeof(gs_model); }
float *gs_model_params(gs_model *m) { return B(m, m->roles.params); }
float *gs_model_grads(gs_model *m) { return B(m, m->roles.grads); }
float *gs_model_adam_m(gs_model *m) { return B(m, m->roles.adam_m); }
float *gs_model_adam_v(gs_model *m) { return B(m, m->roles.adam_v); }
float *gs_model_dlogits(gs_model *m) { return B(m, m->roles.dlogits); }

void gs_model_zero_grad(gs_model *m) {
  memset(B(m, m->roles.grads), 0, (size_t)m->layout.params * sizeof(float));
}

void gs_model_apply_decay(gs_model *m, double decay, gs_decay_scope scope) {
  if (decay == 0.0) return;
  const gs_model_layout *L = &m->layout;
  int32_t layers = scope == GS_DECAY_ALL ? L->depth : 1;
  for (int32_t l = 0; l < layers; l++) {
    const gs_layer_dims *d = &L->layer[l];
    gs_weight_decay(gs_model_grads(m) + d->w_offset, gs_model_params(m) + d->w_offset,
                    d->weights, decay);
  }
}

#define dropout_stream gs__dropout_stream
#define layer_input gs__layer_input

/* The weights layer d multiplies by: W itself, or with the identity map W_eff = (1-β)·I + β·W
 * built into the model's identity_w buffer (square: residual layers keep the width). */
static const float *identity_mapped(gs_model *m, const gs_layer_dims *d, const float *W) {
  if (d->identity_beta <= 0.0f) return W;
  float *W_eff = B(m, m->roles.identity_w);
  gs_dense_identity_mix(W_eff, W, d->identity_beta, d->in);
  return W_eff;
}

/* Z (n x out) = Â·Hin·W + b for layer l (dense or sparse input), in either order. */
static gs_status conv_forward(gs_model *m, int32_t l, float *Z, bool training, int64_t epoch,
                              gs_error *err) {
  if (m->layout.config.family != GS_MODEL_GCN)
    return gs__family_conv_forward(m, l, Z, training, epoch, err);
  const gs_layer_dims *d = &m->layout.layer[l];
  const int64_t n = m->nodes;
  const float *W = identity_mapped(m, d, gs_model_params(m) + d->w_offset);
  float *work = B(m, m->roles.work);
  gs_status st = GS_OK;
  float rate = training ? m->layout.config.dropout : 0.0f;
  if (d->sparse_input) {
    // T = dropout(X) * W ; Z = A_hat * T
    gs_input_forward(work, &m->x->sparse, W, d->out, rate, m->layout.config.seed,
                     dropout_stream(epoch, 0));
    st = gs_graph_aggregate(m->graph, Z, work, d->out, false, GS_AGG_AUTO, err);
  } else if (d->aggregate_first) {
    // G = A_hat * Hin ; Z = G * W
    float *G = B(m, m->roles.agg[l]);
    st = gs_graph_aggregate(m->graph, G, layer_input(m, l, training), d->in, false, GS_AGG_AUTO, err);
    if (st == GS_OK) gs_dense_matmul(Z, G, W, n, d->out, d->in, false, false, false);
  } else {
    // T = Hin * W ; Z = A_hat * T
    gs_dense_matmul(work, layer_input(m, l, training), W, n, d->out, d->in, false, false, false);
    st = gs_graph_aggregate(m->graph, Z, work, d->out, false, GS_AGG_AUTO, err);
  }
  if (st != GS_OK) return st;
  gs_dense_bias_add(Z, gs_model_params(m) + d->b_offset, n, d->out);
  return GS_OK;
}

gs_status gs_model_forward(gs_model *m, bool training, int64_t epoch, const float **logits,
                           gs_error *err) {
  const gs_model_layout *L = &m->layout;
  const buffer_roles *r = &m->roles;
  const int64_t n = m->nodes;
  const float rate = training ? L->config.dropout : 0.0f;
  const uint64_t seed = L->config.seed;
  gs_status st = GS_OK;
  if (training && r->input_dropped >= 0)
    gs_dropout_forward(B(m, r->input_dropped), gs__dense_input(m), n * L->shape.features, rate, seed,
                       dropout_stream(epoch, 0));
  for (int32_t l = 0; l < L->depth; l++) {
    const gs_layer_dims *d = &L->layer[l];
    if (!d->hidden) {
      const bool appnp = L->config.family == GS_MODEL_APPNP;
      st = conv_forward(m, l, B(m, appnp ? r->prop[0] : r->logits), training, epoch, err);
      if (st == GS_OK && appnp) st = gs__appnp_forward(m, err);
      if (st != GS_OK) return st;
      break;
    }
    float *next_in = B(m, r->hin[l + 1]);
    const int64_t count = n * d->out;
    const uint64_t stream = dropout_stream(epoch, l + 1);
    if (!L->residual_mode) {
      /* Z -> norm in place -> dropout(relu) in place: only next_in (and xhat) is kept. */
      st = conv_forward(m, l, next_in, training, epoch, err);
      if (st != GS_OK) return st;
      if (d->norm) {
        float *p = gs_model_params(m);
        gs_layernorm_forward(next_in, B(m, r->xhat[l]), B(m, r->rstd[l]), next_in,
                             p + d->gamma_offset, p + d->beta_offset, n, d->out);
      }
      gs_relu_dropout_forward(next_in, next_in, count, rate, seed, stream);
      continue;
    }
    /* Residual mode: Y kept (pre or via xhat), H_{l+1} = [H_l +] relu(Y), Hin = dropout(H). */
    float *Y = d->norm ? next_in : B(m, r->pre[l]);
    st = conv_forward(m, l, Y, training, epoch, err);
    if (st != GS_OK) return st;
    if (d->norm) {
      float *p = gs_model_params(m);
      gs_layernorm_forward(Y, B(m, r->xhat[l]), B(m, r->rstd[l]), Y, p + d->gamma_offset,
                           p + d->beta_offset, n, d->out);
    }
    float *H_next = B(m, r->hbuf[(l + 1) % 2]);
    gs_relu_forward(H_next, Y, count);
    // H_{l+1} = H_l + relu(Y), or with ReZero H_l + α_l·relu(Y), α_l = scale·θ_l
    if (d->rezero_offset >= 0)
      gs_dense_axpby(H_next, 1.0f, B(m, r->hbuf[l % 2]),
                     d->rezero_scale * gs_model_params(m)[d->rezero_offset], count);
    else if (d->residual)
      gs_dense_add(H_next, B(m, r->hbuf[l % 2]), count);
    gs_dropout_forward(next_in, H_next, count, rate, seed, stream);
  }
  *logits = B(m, r->logits);
  return GS_OK;
}

/* Backward of conv_forward: adds dW, db; writes dHin (n x in) when l >= 1 and dHin != NULL.
 * dHin may alias dZ: every read of dZ comes before dHin is written. */
static gs_status conv_backward(gs_model *m, int32_t l, const float *dZ, float *dHin,
                               int64_t epoch, gs_error *err) {
  const gs_layer_dims *d = &m->layout.layer[l];
  const int64_t n = m->nodes;
  if (m->layout.config.family != GS_MODEL_GCN)
    return gs__family_conv_backward(m, l, dZ, dHin, epoch, err);
  const float *W = identity_mapped(m, d, gs_model_params(m) + d->w_offset);
  /* With the identity map the product's gradient is dW_eff, of which W gets β·dW_eff. */
  const bool mapped = d->identity_beta > 0.0f;
  float *dW = mapped ? B(m, m->roles.identity_w) + d->in * d->out : gs_model_grads(m) + d->w_offset;
  float *work = B(m, m->roles.work);
  gs_status st = GS_OK;
  gs_dense_bias_backward(gs_model_grads(m) + d->b_offset, dZ, n, d->out);
  if (d->sparse_input) {
    // dT = A_hat^T * dZ ; dW += dropout(X)^T * dT
    st = gs_graph_aggregate(m->graph, work, dZ, d->out, true, GS_AGG_AUTO, err);
    if (st != GS_OK) return st;
    gs_input_backward(dW, &m->xt, m->perm, work, d->out, m->layout.config.dropout,
                      m->layout.config.seed, dropout_stream(epoch, 0));
  } else if (d->aggregate_first) {
    // dW += G^T * dZ ; dG = dZ * W^T ; dHin = A_hat^T * dG
    gs_dense_matmul(dW, B(m, m->roles.agg[l]), dZ, d->in, d->out, n, true, false, !mapped);
    if (l >= 1 && dHin) {
      gs_dense_matmul(work, dZ, W, n, d->in, d->out, false, true, false);
      st = gs_graph_aggregate(m->graph, dHin, work, d->in, true, GS_AGG_AUTO, err);
    }
  } else {
    // dT = A_hat^T * dZ ; dW += Hin^T * dT ; dHin = dT * W^T
    st = gs_graph_aggregate(m->graph, work, dZ, d->out, true, GS_AGG_AUTO, err);
    if (st != GS_OK) return st;
    gs_dense_matmul(dW, layer_input(m, l, true), work, d->in, d->out, n, true, false, !mapped);
    if (l >= 1 && dHin) gs_dense_matmul(dHin, work, W, n, d->in, d->out, false, true, false);
  }
  // dW += beta * dW_eff
  if (st == GS_OK && mapped)
    gs_dense_axpby(gs_model_grads(m) + d->w_offset, d->identity_beta, dW, 1.0f, d->in * d->out);
  return st;
}

gs_status gs_model_backward(gs_model *m, const float *dlogits, int64_t epoch, gs_error *err) {
  const gs_model_layout *L = &m->layout;
  const buffer_roles *r = &m->roles;
  const int64_t n = m->nodes;
  const float rate = L->config.dropout;
  const uint64_t seed = L->config.seed;
  gs_status st = GS_OK;
  const int32_t last = L->depth - 1;
  /* dHin of the layer being processed flows in grad[0], and in plain mode dZ of a hidden layer
   * is computed in place there too; in residual mode grad[1] holds dZ and grad[2] carries
   * dH_{l+1} along the identity path. */
  float *d_in = last >= 1 ? B(m, r->grad[0]) : NULL;
  if (L->config.family == GS_MODEL_APPNP) {
    st = gs__appnp_backward(m, dlogits, &dlogits, err); /* dlogits becomes dH of the MLP */
    if (st != GS_OK) return st;
  }
  st = conv_backward(m, last, dlogits, d_in, epoch, err);
  if (st != GS_OK) return st;
  float *carry = L->residual_mode ? B(m, r->grad[2]) : NULL;
  for (int32_t l = last - 1; l >= 0; l--) {
    const gs_layer_dims *d = &L->layer[l];
    const int64_t count = n * d->out;
    float *dZ = L->residual_mode ? B(m, r->grad[1]) : d_in;
    float *hin_next = B(m, r->hin[l + 1]);
    if (!L->residual_mode) {
      gs_relu_dropout_backward_from_output(dZ, d_in, hin_next, count, rate);
    } else {
      /* dH_{l+1} = dropout'(dHin_{l+1}) + carry (if layer l+1 is residual) */
      float *dH = dZ;
      gs_dropout_backward(dH, d_in, count, rate, seed, dropout_stream(epoch, l + 1));
      if (L->layer[l + 1].residual) gs_dense_add(dH, carry, count);
      /* the identity path of layer l carries dH_{l+1} on to dH_l */
      if (d->residual) memcpy(carry, dH, (size_t)count * sizeof *carry);
      const float *Y;
      if (d->norm) {
        float *p = gs_model_params(m);
        gs_layernorm_apply(d_in, B(m, r->xhat[l]), p + d->gamma_offset, p + d->beta_offset, n,
                           d->out);
        Y = d_in;
      } else {
        Y = B(m, r->pre[l]);
      }
      gs_relu_backward(dZ, dH, Y, count);
      if (d->rezero_offset >= 0) {
        /* dθ = scale·Σ relu(Y)⊙dH = scale·Σ Y⊙dZ (dZ is 0 where Y <= 0); the branch's dZ
         * is α·dZ */
        gs_model_grads(m)[d->rezero_offset] +=
            d->rezero_scale * (float)gs_dense_dot(Y, dZ, count);
        gs_dense_scale(dZ, d->rezero_scale * gs_model_params(m)[d->rezero_offset], count);
      }
    }
    if (d->norm) {
      float *g = gs_model_grads(m);
      gs_layernorm_backward(dZ, g + d->gamma_offset, g + d->beta_offset, dZ, B(m, r->xhat[l]),
                            B(m, r->rstd[l]), gs_model_params(m) + d->gamma_offset, n, d->out);
    }
    st = conv_backward(m, l, dZ, l >= 1 ? d_in : NULL, epoch, err);
    if (st != GS_OK) return st;
  }
  return GS_OK;
}
