/* The cost model (see cost.h). FLOPs and seconds come from one replay of the kernels an epoch
 * calls, in the order gnn/model.c and gnn/train.c call them, so that each call can be charged
 * its own shape; bytes come from the model's layout (gnn/model.h), which lists exactly the
 * buffers gs_model_new allocates, plus the dataset, the graph and the trainer's logs. */
#include "scaling/cost.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "datasets/colrank.h"
#include "gnn/dense.h"
#include "sparse/csr.h"

/* Sums beyond this many FLOPs or bytes would overflow int64 somewhere in the layout. */
#define COST_MAX_COUNT 1e18

gs_cost_data gs_cost_data_default(void) {
  gs_cost_data d;
  memset(&d, 0, sizeof d);
  d.norm = GS_NORM_SYM;
  d.max_degree = -1;
  d.sparse_below = GS_COST_SPARSE_BELOW;
  return d;
}

gs_cost_options gs_cost_options_default(void) {
  gs_train_options t = gs_train_options_default();
  gs_cost_options o;
  memset(&o, 0, sizeof o);
  o.model = gs_model_config_default();
  o.decay_scope = t.decay_scope;
  o.weight_decay = t.weight_decay;
  o.epochs = t.epochs;
  o.theta = -1.0;
  o.draw_seconds = GS_COST_DRAW_SECONDS;
  return o;
}

const char *gs_cost_phase_name(gs_cost_phase phase) {
  switch (phase) {
    case GS_COST_PHASE_LOAD: return "load";
    case GS_COST_PHASE_GRAPH: return "graph";
    case GS_COST_PHASE_TRAIN: return "train";
  }
  return "unknown";
}

/* ------------------------------------------------------------------ column ranking */

gs_status gs_cost_column_ranking(int64_t **order, int64_t **prefix, const gs_features *x,
                                 gs_error *err) {
  gs_colrank r;
  memset(&r, 0, sizeof r);
  gs_status st = gs_colrank_features(&r, x, GS_COLRANK_DF, err);
  if (st != GS_OK) return st;
  /* The outputs take the ranking's arrays; the rest is released. */
  if (order) *order = r.order, r.order = NULL;
  if (prefix) *prefix = r.nnz_prefix, r.nnz_prefix = NULL;
  gs_colrank_free(&r);
  return GS_OK;
}

gs_status gs_cost_data_of_store(gs_cost_data *out, int64_t **prefix, const gs_store_info *info,
                                const int64_t *column_nnz, gs_norm norm, gs_error *err) {
  const int64_t f = info->file_features;
  if (info->feature_kind == GS_FEATURES_NONE || f < 1 || info->num_classes < 1 || !column_nnz)
    return gs_error_set(err, GS_ERR_INVALID, "%s: the cost model needs features and labels",
                        info->name);
  gs_cost_data d = gs_cost_data_default();
  d.nodes = info->graph.nodes;
  d.edge_lines = info->graph.edge_lines;
  d.self_loop_lines = info->graph.self_loop_lines;
  d.symmetric_entries = info->graph.symmetric_entries;
  d.max_degree = info->graph.max_degree;
  d.adj_nnz = info->graph.symmetric_entries + info->graph.nodes;
  d.norm = norm;
  d.file_features = f;
  d.feature_nnz = info->feature_nnz;
  d.classes = info->num_classes;
  d.num_train = info->num_train;
  d.num_valid = info->num_valid;
  d.num_test = info->num_test;
  d.store_load_bytes = gs_store_load_bytes(info);
  if (prefix) {
    /* The ranking of gs_cost_column_ranking, from the stored counts. */
    gs_colrank r;
    gs_status st = gs_colrank_counts(&r, column_nnz, f, info->graph.nodes, err);
    if (st != GS_OK) return st;
    d.column_nnz_prefix = r.nnz_prefix;
    *prefix = r.nnz_prefix;
    r.nnz_prefix = NULL;
    gs_colrank_free(&r);
  }
  *out = d;
  return GS_OK;
}

gs_cost_data gs_cost_data_counts(const gs_dataset *ds, const gs_graph *g) {
  const gs_graph_stats s = gs_graph_stats_of(g);
  gs_cost_data d = gs_cost_data_default();
  d.nodes = ds->num_nodes;
  d.edge_lines = ds->num_edge_lines;
  d.self_loop_lines = s.self_loop_lines;
  d.symmetric_entries = s.symmetric_entries;
  d.max_degree = s.max_degree;
  d.adj_nnz = gs_graph_nnz(g);
  d.norm = gs_graph_norm(g);
  d.classes = ds->num_classes;
  d.num_train = ds->num_train;
  d.num_valid = ds->num_valid;
  d.num_test = ds->num_test;
  return d;
}

gs_status gs_cost_data_of(gs_cost_data *out, int64_t **prefix, const gs_dataset *ds,
                          const gs_graph *g, gs_error *err) {
  if (ds->x.kind == GS_FEATURES_NONE || !ds->labels || ds->num_classes < 1)
    return gs_error_set(err, GS_ERR_INVALID, "%s: the cost model needs features and labels",
                        ds->name);
  if (ds->kept_columns)
    return gs_error_set(err, GS_ERR_INVALID,
                        "%s: the cost model needs every file column loaded (got %lld of %lld)",
                        ds->name, (long long)ds->x.cols, (long long)ds->file_features);
  gs_cost_data d = gs_cost_data_counts(ds, g);
  d.file_features = ds->x.cols;
  d.feature_nnz = ds->x.nnz;
  if (prefix) {
    int64_t *p = NULL;
    gs_status st = gs_cost_column_ranking(NULL, &p, &ds->x, err);
    if (st != GS_OK) return st;
    d.column_nnz_prefix = p;
    *prefix = p;
  }
  *out = d;
  return GS_OK;
}

int64_t gs_cost_feature_nnz(const gs_cost_data *data, int64_t features) {
  const int64_t f0 = data->file_features;
  if (features >= f0) return data->column_nnz_prefix ? data->column_nnz_prefix[f0] : data->feature_nnz;
  if (features <= 0) return 0;
  if (data->column_nnz_prefix) return data->column_nnz_prefix[features];
  /* Proportional: ceil(nnz·f / f0), in double since nnz·f may overflow. */
  return (int64_t)ceil((double)data->feature_nnz * (double)features / (double)f0);
}

bool gs_cost_features_sparse(const gs_cost_data *data, int64_t features) {
  /* The loader's rule, in its arithmetic: CSR while the non-zeros stay below
   * sparse_below·n·f (so a threshold of 0 means dense). */
  const double threshold = data->sparse_below * (double)data->nodes * (double)features;
  return threshold > 0.0 && (double)gs_cost_feature_nnz(data, features) < threshold;
}

/* ------------------------------------------------------------------ kernel replay */

/* One replayed epoch: FLOPs land in `flops` of the current phase, seconds in `seconds`. */
typedef struct {
  const gs_model_layout *L;
  const gs_profile *prof; /* NULL: FLOPs only */
  double theta;           /* < 0: estimated per call */
  double draw_seconds;    /* one dropout draw on one thread */
  float rate;             /* dropout rate of the pass being replayed (0 in evaluation) */
  gs_flops *flops;
  double *seconds;
  gs_cost *out;
} replay;

static void add_flops(replay *R, gs_flops_category c, int64_t flops) {
  switch (c) {
    case GS_FLOPS_AGGREGATE: R->flops->aggregate += flops; break;
    case GS_FLOPS_DENSE: R->flops->dense += flops; break;
    case GS_FLOPS_SPARSE_INPUT: R->flops->sparse_input += flops; break;
    case GS_FLOPS_ELEMENTWISE: R->flops->elementwise += flops; break;
    case GS_FLOPS_CATEGORIES: break;
  }
  R->flops->total += flops;
}

/* Charges one call of `seconds` (already the larger of its compute and memory times) plus a
 * per-call overhead, walking `entries` sparse non-zeros, through the profile's kernel fit of
 * the call's category. */
static void charge(replay *R, gs_flops_category c, double seconds, double overhead,
                   double entries) {
  gs_cost *out = R->out;
  if (c < GS_FLOPS_CATEGORIES) {
    double t = R->prof->kernel_scale[c] * (seconds + overhead) + R->prof->kernel_call_s[c] +
               R->prof->kernel_entry_s[c] * entries;
    out->seconds_roofline[c] += seconds + overhead;
    out->seconds_category[c] += t;
    out->calls_category[c]++;
    out->entries_category[c] += entries;
    out->seconds_overhead += overhead;
    out->kernel_calls++;
    *R->seconds += t;
  } else {
    out->seconds_memory += seconds + overhead;
    *R->seconds += seconds + overhead;
  }
}

/* The roofline: max(FLOPs / rate, bytes / bandwidth). */
static double roofline(double flops, double gflops, double bytes, double gbs) {
  double t = flops / (gflops * 1e9), tb = bytes / (gbs * 1e9);
  return t > tb ? t : tb;
}

/* Seconds of `draws` dropout draws of the counter RNG, spread over the profile's threads. */
static double draw_seconds(const replay *R, double draws) {
  return R->rate > 0.0f ? draws * R->draw_seconds / (double)R->prof->threads : 0.0;
}

/* C (m x n) = op(A)·op(B) over k, as gs_dense_matmul, op as in profile.h: the profile's rate
 * for that product shape, which already holds its memory-boundness; the roofline's memory
 * side covers shapes beyond the measured ones. */
static void k_sgemm(replay *R, gs_profile_op op, int64_t m, int64_t n, int64_t k,
                    bool accumulate) {
  int64_t flops = 2 * m * n * k;
  add_flops(R, GS_FLOPS_DENSE, flops);
  if (!R->prof) return;
  double bytes = 4.0 * ((double)m * (double)k + (double)k * (double)n +
                        (accumulate ? 2.0 : 1.0) * (double)m * (double)n);
  charge(R, GS_FLOPS_DENSE,
         roofline((double)flops, gs_profile_sgemm_rate_op(R->prof, op, m, n, k), bytes,
                  R->prof->bandwidth_gbs),
         R->prof->call_overhead_s +
             (flops < GS_MATMUL_SERIAL_FLOPS || R->prof->threads == 1 ? 0.0
                                                                       : R->prof->spmm_overhead_s),
         0.0);
}

/* Seconds of a sparse product that streams `streamed` bytes and gathers `gathered` bytes of
 * rows of k floats at random from an operand of `operand` bytes (DESIGN.md §4's byte count,
 * split in two). By default the profile's gather curve prices the whole byte count at the
 * rate the trainer's row kernel reached with an operand of that size. With θ given
 * (gs_cost_options.theta >= 0), the older blend: cached (θ = 0) the stream at STREAM
 * bandwidth and the gathered rows at GS_COST_CACHED_GATHER times it; missing (θ = 1) all
 * bytes at the random-neighbour SpMM bandwidth; linear in between. */
static double sparse_seconds(replay *R, double streamed, double gathered, double operand,
                             int64_t k) {
  const gs_profile *p = R->prof;
  if (R->theta < 0.0) return (streamed + gathered) / (gs_profile_gather_rate(p, operand, k) * 1e9);
  const double theta = R->theta;
  (void)operand;
  double cached = streamed / (p->bandwidth_gbs * 1e9) +
                  gathered / (GS_COST_CACHED_GATHER * p->bandwidth_gbs * 1e9);
  double missing = (streamed + gathered) / (p->spmm_random_gbs * 1e9);
  if (missing < cached) missing = cached;
  return (1.0 - theta) * cached + theta * missing;
}

/* Y (n x k) = Â·X or Âᵀ·X: 8(n+1) + 12m streamed with the output 4nk and the own rows 4nk,
 * and 4(m − n)k gathered from the δ − 1 further neighbour rows of each row. */
static void k_aggregate(replay *R, int64_t k) {
  const int64_t n = R->L->shape.nodes, m = R->L->shape.adj_nnz;
  int64_t flops = 2 * m * k;
  add_flops(R, GS_FLOPS_AGGREGATE, flops);
  if (!R->prof) return;
  double nk = (double)n * (double)k;
  double streamed = 8.0 * (double)(n + 1) + 12.0 * (double)m + 8.0 * nk;
  double gathered = 4.0 * (double)(m - n) * (double)k;
  double t = sparse_seconds(R, streamed, gathered, 4.0 * nk, k);
  charge(R, GS_FLOPS_AGGREGATE, t, R->prof->spmm_overhead_s, (double)m);
}

/* T = dropout(X)·W (forward: streams X and T, gathers a row of W per entry) or
 * dW += dropout(X)ᵀ·dT (backward: streams Xᵀ, its permutation and dW, gathers a row of dT per
 * entry). Each entry also draws its dropout mask from the counter RNG, in both directions. */
static void k_sparse_input(replay *R, int64_t nnz, int64_t out, bool backward) {
  const int64_t n = R->L->shape.nodes, f = R->L->shape.features;
  int64_t flops = 2 * nnz * out;
  add_flops(R, GS_FLOPS_SPARSE_INPUT, flops);
  if (!R->prof) return;
  double no = (double)n * (double)out, fo = (double)f * (double)out;
  double gathered = 4.0 * (double)nnz * (double)out;
  double t;
  if (!backward)
    t = sparse_seconds(R, 8.0 * (double)(n + 1) + 12.0 * (double)nnz + 4.0 * no, gathered,
                       4.0 * fo, out);
  else
    t = sparse_seconds(R, 8.0 * (double)(f + 1) + 20.0 * (double)nnz + 8.0 * fo, gathered,
                       4.0 * no, out);
  t += draw_seconds(R, (double)nnz);
  charge(R, GS_FLOPS_SPARSE_INPUT, t, R->prof->spmm_overhead_s, (double)nnz);
}

/* An OpenMP element-wise pass: `flops` counted, `bytes` streamed, `draws` dropout draws (made
 * only when the pass replayed has a dropout rate). */
static void k_elementwise(replay *R, int64_t flops, double bytes, double draws) {
  add_flops(R, GS_FLOPS_ELEMENTWISE, flops);
  if (!R->prof) return;
  double t = roofline((double)flops, R->prof->sgemm_gflops_peak, bytes, R->prof->bandwidth_gbs);
  /* Dense dropout passes draw in blocks (gnn/dense.c): scale the per-draw cost accordingly. */
  double block_draws = draws * (GS_COST_BLOCK_DRAW_SECONDS / GS_COST_DRAW_SECONDS);
  charge(R, GS_FLOPS_ELEMENTWISE, t + draw_seconds(R, block_draws), R->prof->spmm_overhead_s,
         0.0);
}

/* A serial memset: no FLOPs, bytes written at copy bandwidth. */
static void k_memset(replay *R, double bytes) {
  if (!R->prof) return;
  charge(R, GS_FLOPS_CATEGORIES, bytes / (R->prof->copy_gbs * 1e9), 0.0, 0.0);
}

/* The conv of the other families (gnn/family.c), forward and backward. */
static void family_conv_forward(replay *R, int32_t l);
static void family_conv_backward(replay *R, int32_t l, bool need_dx);

/* conv_forward of gnn/model.c: Z = Â·Hin·W + b in the layer's order. */
/* The identity map's W_eff = β·W + (1-β)·I (gs_dense_identity_mix), built before a layer's
 * product forward and again before its backward. */
static void identity_mix(replay *R, const gs_layer_dims *d) {
  if (d->identity_beta <= 0.0f) return;
  const int64_t k = d->in;
  k_elementwise(R, k * k + k, 8.0 * (double)(k * k), 0.0);
}

static void conv_forward(replay *R, int32_t l) {
  const gs_layer_dims *d = &R->L->layer[l];
  const int64_t n = R->L->shape.nodes;
  if (R->L->config.family != GS_MODEL_GCN) {
    family_conv_forward(R, l);
    return;
  }
  identity_mix(R, d);
  if (d->sparse_input) {
    k_sparse_input(R, R->L->input_nnz, d->out, false);
    k_aggregate(R, d->out);
  } else if (d->aggregate_first) {
    k_aggregate(R, d->in);
    k_sgemm(R, GS_PROFILE_NN, n, d->out, d->in, false);
  } else {
    k_sgemm(R, GS_PROFILE_NN, n, d->out, d->in, false);
    k_aggregate(R, d->out);
  }
  k_elementwise(R, n * d->out, 8.0 * (double)(n * d->out), 0.0); /* bias */
}

/* gnn/family.c's SAGE, GIN and linear convs, kernel by kernel. */
static void family_conv_forward(replay *R, int32_t l) {
  const gs_layer_dims *d = &R->L->layer[l];
  const int64_t n = R->L->shape.nodes, nnz = R->L->input_nnz;
  const int64_t in = d->in, out = d->out, mid = d->mid;
  switch (R->L->config.family) {
    case GS_MODEL_SAGE:
      if (d->sparse_input) {
        k_sparse_input(R, nnz, out, false);
        k_aggregate(R, out);
        k_sparse_input(R, nnz, out, false);
        k_elementwise(R, n * out, 12.0 * (double)(n * out), 0.0);
      } else {
        if (d->aggregate_first) k_aggregate(R, in);
        k_sgemm(R, GS_PROFILE_NN, n, out, in, false);
        if (!d->aggregate_first) k_aggregate(R, out);
        k_sgemm(R, GS_PROFILE_NN, n, out, in, true);
      }
      break;
    case GS_MODEL_GIN:
      if (d->aggregate_first) {
        k_aggregate(R, in);
        k_elementwise(R, 3 * n * in, 12.0 * (double)(n * in), 0.0);
        k_sgemm(R, GS_PROFILE_NN, n, mid, in, false);
      } else {
        if (d->sparse_input) k_sparse_input(R, nnz, mid, false);
        else k_sgemm(R, GS_PROFILE_NN, n, mid, in, false);
        k_aggregate(R, mid);
        k_elementwise(R, 3 * n * mid, 12.0 * (double)(n * mid), 0.0);
      }
      if (d->bn_gamma_offset >= 0) /* BatchNorm, shift b1 (reads S three times, writes xhat, V) */
        k_elementwise(R, 8 * n * mid, 20.0 * (double)(n * mid), 0.0);
      else
        k_elementwise(R, n * mid, 8.0 * (double)(n * mid), 0.0); /* b1 */
      k_elementwise(R, n * mid, 8.0 * (double)(n * mid), 0.0); /* relu */
      k_sgemm(R, GS_PROFILE_NN, n, out, mid, false);
      break;
    default:
      if (d->sparse_input) k_sparse_input(R, nnz, out, false);
      else k_sgemm(R, GS_PROFILE_NN, n, out, in, false);
      break;
  }
  k_elementwise(R, n * out, 8.0 * (double)(n * out), 0.0); /* bias (GIN: b2) */
}

static void family_conv_backward(replay *R, int32_t l, bool need_dx) {
  const gs_layer_dims *d = &R->L->layer[l];
  const int64_t n = R->L->shape.nodes, nnz = R->L->input_nnz;
  const int64_t in = d->in, out = d->out, mid = d->mid;
  const bool dx = l >= 1 && need_dx;
  k_elementwise(R, n * out, 4.0 * (double)(n * out), 0.0); /* bias (GIN: b2) gradient */
  switch (R->L->config.family) {
    case GS_MODEL_SAGE:
      if (d->sparse_input) {
        k_aggregate(R, out);
        k_sparse_input(R, nnz, out, true);
        k_sparse_input(R, nnz, out, true);
        return;
      }
      k_sgemm(R, GS_PROFILE_TN, in, out, n, true); /* dW_self */
      if (d->aggregate_first) {
        k_sgemm(R, GS_PROFILE_TN, in, out, n, true);
        if (!dx) return;
        k_sgemm(R, GS_PROFILE_NT, n, in, out, false);
        k_sgemm(R, GS_PROFILE_NT, n, in, out, false);
        k_aggregate(R, in);
      } else {
        k_aggregate(R, out);
        k_sgemm(R, GS_PROFILE_TN, in, out, n, true);
        if (!dx) return;
        k_sgemm(R, GS_PROFILE_NT, n, in, out, false);
        k_sgemm(R, GS_PROFILE_NT, n, in, out, false);
      }
      k_elementwise(R, n * in, 12.0 * (double)(n * in), 0.0);
      return;
    case GS_MODEL_GIN:
      k_sgemm(R, GS_PROFILE_TN, mid, out, n, true);                 /* dW2 */
      k_sgemm(R, GS_PROFILE_NT, n, mid, out, false);                /* dU */
      k_elementwise(R, n * mid, 12.0 * (double)(n * mid), 0.0);     /* relu' */
      if (d->bn_gamma_offset >= 0)
        k_elementwise(R, 8 * n * mid, 20.0 * (double)(n * mid), 0.0); /* BatchNorm', db1, dγ */
      else
        k_elementwise(R, n * mid, 4.0 * (double)(n * mid), 0.0);      /* db1 */
      if (d->aggregate_first) {
        k_sgemm(R, GS_PROFILE_TN, in, mid, n, true);                /* dW1 */
        k_sgemm(R, GS_PROFILE_NT, n, in, mid, false);               /* dG */
        k_elementwise(R, 2 * n * in, 8.0 * (double)(n * in), 0.0);  /* dε */
        if (!dx) return;
        k_aggregate(R, in);
        k_elementwise(R, 3 * n * in, 12.0 * (double)(n * in), 0.0);
        return;
      }
      k_elementwise(R, 2 * n * mid, 8.0 * (double)(n * mid), 0.0); /* dε */
      k_aggregate(R, mid);
      k_elementwise(R, 3 * n * mid, 12.0 * (double)(n * mid), 0.0);
      if (d->sparse_input) {
        k_sparse_input(R, nnz, mid, true);
        return;
      }
      k_sgemm(R, GS_PROFILE_TN, in, mid, n, true);
      if (dx) k_sgemm(R, GS_PROFILE_NT, n, in, mid, false);
      return;
    default:
      if (d->sparse_input) {
        k_sparse_input(R, nnz, out, true);
        return;
      }
      k_sgemm(R, GS_PROFILE_TN, in, out, n, true);
      if (dx) k_sgemm(R, GS_PROFILE_NT, n, in, out, false);
      return;
  }
}

/* APPNP: K steps of P = (1−α)·Â·P + α·H, and their backward (gnn/family.c). */
static void appnp_forward(replay *R) {
  const int64_t count = R->L->shape.nodes * R->L->shape.classes;
  for (int32_t k = 0; k < R->L->hops; k++) {
    k_aggregate(R, R->L->shape.classes);
    k_elementwise(R, 3 * count, 12.0 * (double)count, 0.0);
  }
}

static void appnp_backward(replay *R) {
  const int64_t count = R->L->shape.nodes * R->L->shape.classes;
  k_memset(R, 4.0 * (double)count);
  for (int32_t k = 0; k < R->L->hops; k++) {
    k_elementwise(R, 3 * count, 12.0 * (double)count, 0.0);
    k_aggregate(R, R->L->shape.classes);
    k_elementwise(R, count, 8.0 * (double)count, 0.0);
  }
  k_elementwise(R, count, 12.0 * (double)count, 0.0);
}

/* gs_model_forward: training applies dropout to the dense input; hidden layers end in
 * (norm,) ReLU and dropout, fused in plain mode, separate in residual mode. */
static void model_forward(replay *R, bool training) {
  const gs_model_layout *L = R->L;
  const int64_t n = L->shape.nodes;
  if (training && !L->layer[0].sparse_input && L->config.dropout > 0.0f)
    k_elementwise(R, n * L->shape.features, 8.0 * (double)(n * L->shape.features),
                  (double)(n * L->shape.features));
  for (int32_t l = 0; l < L->depth; l++) {
    const gs_layer_dims *d = &L->layer[l];
    conv_forward(R, l);
    if (!d->hidden) {
      if (L->config.family == GS_MODEL_APPNP) appnp_forward(R);
      break;
    }
    const int64_t count = n * d->out;
    if (d->norm) k_elementwise(R, 7 * count, 16.0 * (double)count, 0.0);
    if (!L->residual_mode) {
      k_elementwise(R, 2 * count, 8.0 * (double)count, (double)count); /* relu + dropout */
      continue;
    }
    k_elementwise(R, count, 8.0 * (double)count, 0.0);                  /* relu */
    if (d->rezero_offset >= 0) k_elementwise(R, 3 * count, 12.0 * (double)count, 0.0); /* α·+H_l */
    else if (d->residual) k_elementwise(R, count, 12.0 * (double)count, 0.0);          /* + H_l */
    k_elementwise(R, count, 8.0 * (double)count, (double)count);        /* dropout */
  }
}

/* conv_backward: bias gradient, then dW and (for l >= 1) dHin in the layer's order. */
static void conv_backward(replay *R, int32_t l, bool need_dx) {
  const gs_layer_dims *d = &R->L->layer[l];
  const int64_t n = R->L->shape.nodes;
  if (R->L->config.family != GS_MODEL_GCN) {
    family_conv_backward(R, l, need_dx);
    return;
  }
  k_elementwise(R, n * d->out, 4.0 * (double)(n * d->out), 0.0); /* bias gradient */
  identity_mix(R, d);
  if (d->sparse_input) {
    k_aggregate(R, d->out);
    k_sparse_input(R, R->L->input_nnz, d->out, true);
  } else if (d->aggregate_first) {
    k_sgemm(R, GS_PROFILE_TN, d->in, d->out, n, true);
    if (l >= 1 && need_dx) {
      k_sgemm(R, GS_PROFILE_NT, n, d->in, d->out, false);
      k_aggregate(R, d->in);
    }
  } else {
    k_aggregate(R, d->out);
    k_sgemm(R, GS_PROFILE_TN, d->in, d->out, n, true);
    if (l >= 1 && need_dx) k_sgemm(R, GS_PROFILE_NT, n, d->in, d->out, false);
  }
  if (d->identity_beta > 0.0f) /* dW += β·dW_eff */
    k_elementwise(R, 3 * d->in * d->out, 12.0 * (double)(d->in * d->out), 0.0);
}

static void model_backward(replay *R) {
  const gs_model_layout *L = R->L;
  const int64_t n = L->shape.nodes;
  const int32_t last = L->depth - 1;
  if (L->config.family == GS_MODEL_APPNP) appnp_backward(R);
  conv_backward(R, last, last >= 1);
  for (int32_t l = last - 1; l >= 0; l--) {
    const gs_layer_dims *d = &L->layer[l];
    const int64_t count = n * d->out;
    if (!L->residual_mode) {
      k_elementwise(R, count, 12.0 * (double)count, 0.0); /* relu + dropout from the output */
    } else {
      k_elementwise(R, count, 8.0 * (double)count, (double)count);                /* dropout */
      if (L->layer[l + 1].residual) k_elementwise(R, count, 12.0 * (double)count, 0.0); /* carry */
      if (d->residual) k_memset(R, 8.0 * (double)count);                        /* carry copy */
      if (d->norm) k_elementwise(R, 2 * count, 12.0 * (double)count, 0.0);      /* Y from xhat */
      k_elementwise(R, count, 12.0 * (double)count, 0.0);                       /* relu */
      if (d->rezero_offset >= 0) {
        k_elementwise(R, 2 * count, 8.0 * (double)count, 0.0); /* dα = Σ Y⊙dZ */
        k_elementwise(R, count, 8.0 * (double)count, 0.0);     /* dZ *= α */
      }
    }
    if (d->norm) k_elementwise(R, 9 * count, 24.0 * (double)count, 0.0);
    conv_backward(R, l, l >= 1);
  }
}

/* FLOPs of weight decay on the layers in scope (gs_model_apply_decay). */
static int64_t decayed_weights(const gs_model_layout *L, const gs_cost_options *o) {
  if (o->weight_decay == 0.0) return 0;
  int32_t layers = o->decay_scope == GS_DECAY_ALL ? L->depth : 1;
  int64_t count = 0;
  for (int32_t l = 0; l < layers; l++) count += L->layer[l].weights;
  return count;
}

/* One epoch of gs_train: training step (forward, loss, zero grad, backward, decay, Adam) and
 * evaluation (forward without dropout, validation loss and accuracy). */
static void replay_epoch(replay *R, const gs_cost_options *o, const gs_cost_data *data,
                         double *train_seconds, double *eval_seconds) {
  const gs_model_layout *L = R->L;
  const int64_t n = L->shape.nodes, c = L->shape.classes, P = L->params;
  gs_cost *out = R->out;
  R->seconds = train_seconds;

  R->rate = L->config.dropout;
  R->flops = &out->forward;
  model_forward(R, true);
  k_memset(R, 4.0 * (double)(n * c));                       /* dlogits cleared */
  k_elementwise(R, 5 * data->num_train * c, 0.0, 0.0);      /* loss and its gradient */
  R->flops = &out->backward;
  k_memset(R, 4.0 * (double)P);                             /* zero the gradients */
  model_backward(R);
  R->flops = &out->optimizer;
  int64_t decayed = decayed_weights(L, o);
  if (decayed > 0) {
    int32_t layers = o->decay_scope == GS_DECAY_ALL ? L->depth : 1;
    for (int32_t l = 0; l < layers; l++) {
      int64_t w = L->layer[l].weights;
      k_elementwise(R, 2 * w, 12.0 * (double)w, 0.0);
    }
  }
  k_elementwise(R, 10 * P, 28.0 * (double)P, 0.0);          /* Adam: DESIGN.md §2 */

  R->seconds = eval_seconds;
  R->rate = 0.0f;
  R->flops = &out->eval;
  model_forward(R, false);
  k_elementwise(R, 5 * data->num_valid * c, 0.0, 0.0);      /* validation loss; accuracy is
                                                               not counted by the kernels */
}

/* ------------------------------------------------------------------ memory replay */

/* Bytes alive in the counting allocator, and their high-water mark. */
typedef struct {
  int64_t now, peak;
} mem_replay;

static void mem_alloc(mem_replay *m, int64_t bytes) {
  m->now += bytes;
  if (m->now > m->peak) m->peak = m->now;
}
static void mem_free(mem_replay *m, int64_t bytes) { m->now -= bytes; }
/* gs_mem_realloc allocates the new block and copies before it frees the old one. */
static void mem_realloc(mem_replay *m, int64_t old_bytes, int64_t new_bytes) {
  mem_alloc(m, new_bytes);
  mem_free(m, old_bytes);
}

/* Arrays filled one item at a time through gs__grow, in lockstep (the loader grows src and
 * dst together, and col and val together): first sized for first_need, then regrown each
 * time an item does not fit, until `count` items are in. elem[i] is the item size of array
 * i, max_items the cap of every regrowth. Returns the final capacity. */
static int64_t mem_grow(mem_replay *m, int arrays, const int64_t *elem, int64_t first_need,
                        int64_t first_max, int64_t count, int64_t max_items) {
  int64_t cap = gs_dataset_grow_capacity(0, first_need, first_max);
  for (int a = 0; a < arrays; a++) mem_alloc(m, cap * elem[a]);
  while (cap < count) {
    int64_t next = gs_dataset_grow_capacity(cap, cap + 1, max_items);
    for (int a = 0; a < arrays; a++) mem_realloc(m, cap * elem[a], next * elem[a]);
    cap = next;
  }
  return cap;
}

/* Replays gs_dataset_load for a dense feature file (every dataset of datasets/data) keeping
 * `features` columns: returns the bytes it leaves allocated, and raises m->peak to its
 * high-water mark. The order of allocations is that of datasets/dataset.c. */
static int64_t replay_load(mem_replay *m, const gs_cost_data *d, int64_t features) {
  const int64_t n = d->nodes, E = d->edge_lines, f0 = d->file_features;
  const int64_t start = m->now;
  const gs_dataset_load_sizes z = gs_dataset_load_allocations();
  mem_alloc(m, (int64_t)sizeof(gs_dataset));
  mem_alloc(m, z.meta_bytes);
  /* META.txt and the two count files, one reader each */
  mem_alloc(m, z.reader_bytes);
  mem_free(m, z.reader_bytes);

  /* edges: src and dst sized from the count (up to z.first_edges lines), regrown beyond */
  mem_alloc(m, z.reader_bytes);
  const int64_t edge_elem[2] = {8, 8};
  mem_grow(m, 2, edge_elem, E < z.first_edges ? E : z.first_edges, E > 0 ? E : 1, E, E);
  mem_free(m, z.reader_bytes);

  /* labels: one int32 per node */
  mem_alloc(m, z.reader_bytes);
  const int64_t label_elem[1] = {4};
  mem_grow(m, 1, label_elem, n < z.first_labels ? n : z.first_labels, n, n, n);
  mem_free(m, z.reader_bytes);

  /* split: folder names and a marker per node for the read, then one id array per set,
   * grown from z.first_split_ids ids and never trimmed */
  mem_alloc(m, z.split_names_bytes);
  mem_alloc(m, n);
  const int64_t counts[3] = {d->num_train, d->num_valid, d->num_test};
  const int64_t id_elem[1] = {8};
  for (int s = 0; s < 3; s++) {
    mem_alloc(m, z.reader_bytes);
    mem_grow(m, 1, id_elem, n < z.first_split_ids ? n : z.first_split_ids, n, counts[s], n);
    mem_free(m, z.reader_bytes);
  }
  mem_free(m, n);
  mem_free(m, z.split_names_bytes);

  /* features: a reader, the column map and kept list and a scratch row when columns are
   * chosen, row pointers, then CSR arrays grown entry by entry until the density threshold
   * turns the matrix dense, or trimmed to the non-zeros at the end */
  mem_alloc(m, z.reader_bytes);
  const bool subset = features < f0;
  if (subset) {
    mem_alloc(m, 8 * f0);       /* map, freed at the end */
    mem_alloc(m, 8 * features); /* kept_columns, kept */
    mem_alloc(m, 4 * features); /* scratch row */
  }
  const int64_t nnz = gs_cost_feature_nnz(d, features);
  const double threshold = d->sparse_below * (double)n * (double)features;
  const int64_t rowptr_first = n + 1 < z.first_rowptr ? n + 1 : z.first_rowptr;
  const int64_t row_elem[1] = {8};
  int64_t rowptr_cap = mem_grow(m, 1, row_elem, rowptr_first, n + 1, rowptr_first, n + 1);
  const int64_t csr_elem[2] = {8, 4};
  if (threshold <= 0.0) {
    mem_alloc(m, 4 * n * features);
    mem_free(m, 8 * rowptr_cap);
  } else if ((double)nnz >= threshold) {
    /* Turns dense at the end of the row that reaches the threshold: its exact count needs
     * the rows, so the first count at or above the threshold stands for it. */
    int64_t at = (int64_t)ceil(threshold);
    int64_t cap = at > 0 ? mem_grow(m, 2, csr_elem, 1, INT64_MAX / 16, at, INT64_MAX / 16) : 0;
    mem_alloc(m, 4 * n * features);
    mem_free(m, 8 * rowptr_cap + 12 * cap);
  } else {
    /* Row pointers regrow as rows arrive beyond the first z.first_rowptr (to n + 1 at most). */
    while (rowptr_cap < n + 1) {
      int64_t next = gs_dataset_grow_capacity(rowptr_cap, rowptr_cap + 1, n + 1);
      mem_realloc(m, 8 * rowptr_cap, 8 * next);
      rowptr_cap = next;
    }
    int64_t cap = nnz > 0 ? mem_grow(m, 2, csr_elem, 1, INT64_MAX / 16, nnz, INT64_MAX / 16) : 0;
    mem_realloc(m, 8 * cap, 8 * nnz);
    mem_realloc(m, 4 * cap, 4 * nnz);
  }
  if (subset) {
    mem_free(m, 4 * features);
    mem_free(m, 8 * f0);
  }
  mem_free(m, z.reader_bytes);
  mem_free(m, z.meta_bytes);
  return m->now - start;
}

/* Replays gs_graph_new on top of what is allocated: the row buckets, the directed entries
 * and the fill cursors, then Â (and Âᵀ), then the degree histogram; Â stays allocated. */
static void replay_graph(mem_replay *m, const gs_cost_data *d, int64_t graph_bytes) {
  const int64_t n = d->nodes;
  const int64_t entries = 2 * (d->edge_lines - d->self_loop_lines);
  const int64_t max_degree = d->max_degree >= 0 ? d->max_degree : n - 1;
  const int64_t build = 8 * (n + 1) + 8 * entries + 8 * n;
  mem_alloc(m, build);
  mem_alloc(m, graph_bytes);
  mem_alloc(m, 8 * (max_degree + 1));
  mem_free(m, 8 * (max_degree + 1) + build);
}

/* Replays gs_graph_new_adjacency (Â built from a store's adjacency) on top of the loaded store:
 * a word per node for the degree scales, then Â (and Âᵀ), then the degree histogram; Â stays
 * allocated. */
static void replay_graph_adjacency(mem_replay *m, const gs_cost_data *d, int64_t graph_bytes) {
  const int64_t n = d->nodes;
  const int64_t max_degree = d->max_degree >= 0 ? d->max_degree : n - 1;
  mem_alloc(m, 8 * n);
  mem_alloc(m, graph_bytes);
  mem_alloc(m, 8 * (max_degree + 1));
  mem_free(m, 8 * (max_degree + 1) + 8 * n);
}

static gs_flops flops_sum(gs_flops a, gs_flops b) {
  gs_flops s = {a.aggregate + b.aggregate, a.dense + b.dense, a.sparse_input + b.sparse_input,
                a.elementwise + b.elementwise, a.total + b.total};
  return s;
}

gs_status gs_cost_estimate(gs_cost *out, int32_t depth, int64_t width, int64_t features,
                           const gs_cost_options *opts, const gs_cost_data *data,
                           const gs_profile *profile, gs_error *err) {
  const gs_cost_data *d = data;
  if (d->nodes < 1 || d->adj_nnz < d->nodes || d->edge_lines < 0 || d->symmetric_entries < 0)
    return gs_error_set(err, GS_ERR_INVALID,
                        "cost model: %lld nodes and %lld non-zeros of A_hat (needs n >= 1, "
                        "nnz >= n)",
                        (long long)d->nodes, (long long)d->adj_nnz);
  if (d->file_features < 1 || d->feature_nnz < 0 ||
      (double)d->feature_nnz > (double)d->nodes * (double)d->file_features)
    return gs_error_set(err, GS_ERR_INVALID, "cost model: %lld features with %lld non-zeros",
                        (long long)d->file_features, (long long)d->feature_nnz);
  if (features < 1 || features > d->file_features)
    return gs_error_set(err, GS_ERR_INVALID, "cost model: %lld features is outside 1..%lld",
                        (long long)features, (long long)d->file_features);
  if (d->classes < 1 || d->num_train < 0 || d->num_valid < 0 || d->num_test < 0 ||
      d->num_train + d->num_valid + d->num_test > 3 * d->nodes)
    return gs_error_set(err, GS_ERR_INVALID,
                        "cost model: %lld classes, split %lld/%lld/%lld of %lld nodes",
                        (long long)d->classes, (long long)d->num_train, (long long)d->num_valid,
                        (long long)d->num_test, (long long)d->nodes);
  if (!(d->sparse_below >= 0.0) || isinf(d->sparse_below))
    return gs_error_set(err, GS_ERR_INVALID, "cost model: sparse_below %g must be finite and >= 0",
                        d->sparse_below);
  if (d->self_loop_lines < 0 || d->self_loop_lines > d->edge_lines)
    return gs_error_set(err, GS_ERR_INVALID, "cost model: %lld self-loop lines of %lld",
                        (long long)d->self_loop_lines, (long long)d->edge_lines);
  if (opts->epochs < 1)
    return gs_error_set(err, GS_ERR_INVALID, "cost model: epochs must be at least 1");
  if (!(opts->theta <= 1.0))
    return gs_error_set(err, GS_ERR_INVALID, "cost model: theta %g is above 1", opts->theta);
  if (!(opts->draw_seconds >= 0.0) || isinf(opts->draw_seconds))
    return gs_error_set(err, GS_ERR_INVALID, "cost model: draw_seconds %g must be finite and >= 0",
                        opts->draw_seconds);
  /* The layout counts in int64: reject models whose FLOPs could overflow it. */
  double widest = (double)(width > features ? width : features);
  double rough = 8.0 * (double)depth * (double)d->nodes * widest * (double)(width + d->classes) +
                 8.0 * (double)depth * (double)d->adj_nnz * widest;
  if (rough > COST_MAX_COUNT)
    return gs_error_set(err, GS_ERR_RANGE,
                        "cost model: depth %d, width %lld on %lld nodes is too large to count",
                        (int)depth, (long long)width, (long long)d->nodes);

  gs_cost c;
  memset(&c, 0, sizeof c);
  c.depth = depth;
  c.width = width;
  c.features = features;
  c.feature_nnz = gs_cost_feature_nnz(d, features);
  c.nnz_proportional = d->column_nnz_prefix == NULL && features < d->file_features;
  c.sparse_features = gs_cost_features_sparse(d, features);

  gs_model_config cfg = opts->model;
  cfg.depth = depth;
  cfg.width = width;
  gs_model_shape shape = {.nodes = d->nodes, .adj_nnz = d->adj_nnz,
                          .adj_transpose = d->norm == GS_NORM_ROW, .features = features,
                          .sparse_features = c.sparse_features, .feature_nnz = c.feature_nnz,
                          .classes = d->classes};
  gs_status st = GS_OK;
  if (cfg.family == GS_MODEL_SGC && cfg.sgc_input != GS_SGC_INPUT_DENSE && d->smoothed_count) {
    st = d->smoothed_count(d->smoothed_ctx, depth, features, &shape.smoothed_nnz, err);
    if (st != GS_OK) return st;
  } else if (cfg.family == GS_MODEL_SGC && d->smoothed_hops == depth &&
             d->smoothed_features == features) {
    shape.smoothed_nnz = d->smoothed_nnz;
  }
  /* About 30 kB on the stack: the library keeps no hidden state to put it in (STYLE.md 8). */
  gs_model_layout L;
  st = gs_model_layout_make(&L, &cfg, &shape, err);
  if (st != GS_OK) return st;
  for (int32_t l = 0; l < L.depth; l++) c.aggregate_first[l] = L.layer[l].aggregate_first;

  /* FLOPs and seconds of one epoch. */
  replay R = {.L = &L, .prof = profile, .theta = opts->theta,
              .draw_seconds = opts->draw_seconds, .out = &c};
  c.theta = opts->theta; /* < 0: the gather curve */
  replay_epoch(&R, opts, d, &c.seconds_train, &c.seconds_eval);
  c.epoch = flops_sum(flops_sum(c.forward, c.backward), flops_sum(c.optimizer, c.eval));
  c.setup = L.setup_flops;
  if (profile) {
    c.seconds_per_epoch = c.seconds_train + c.seconds_eval;
  } else {
    for (int i = 0; i < GS_FLOPS_CATEGORIES; i++)
      c.seconds_category[i] = c.seconds_roofline[i] = -1.0;
    c.seconds_memory = c.seconds_overhead = c.seconds_train = c.seconds_eval = -1.0;
    c.seconds_per_epoch = -1.0;
    c.theta = opts->theta;
  }

  /* Bytes: the layout's buffers by role. */
  c.params = L.params;
  for (int32_t i = 0; i < L.num_buffers; i++) {
    const gs_buffer_desc *b = &L.buffer[i];
    if (!strcmp(b->tag, "params")) c.param_bytes += b->bytes;
    else if (!strcmp(b->tag, "grads")) c.grad_bytes += b->bytes;
    else if (!strcmp(b->tag, "adam")) c.optimizer_bytes += b->bytes;
    else if (!strcmp(b->tag, "features_t")) c.input_transpose_bytes += b->bytes;
    else if (b->kept_for_backward) c.activation_bytes += b->bytes;
    else c.workspace_bytes += b->bytes;
  }
  c.model_bytes = L.total_bytes + gs_model_object_bytes();
  const int64_t adj = gs_csr_bytes(d->nodes, d->adj_nnz);
  c.graph_bytes = d->norm == GS_NORM_ROW ? 2 * adj : adj;
  c.feature_bytes = c.sparse_features ? gs_csr_bytes(d->nodes, c.feature_nnz)
                                      : 4 * d->nodes * features;
  c.log_bytes = (3 + GS_FLOPS_CATEGORIES) * 8 * (int64_t)opts->epochs; /* gnn/train.c's logs */

  /* Peak: the allocation schedule of load, graph, model and training, phase by phase. */
  mem_replay mem = {0, 0};
  /* The store keeps the features as the loader held them under its default threshold. */
  const bool from_store = d->store_load_bytes > 0 && features == d->file_features &&
                          d->sparse_below == GS_COST_SPARSE_BELOW;
  if (from_store) {
    /* gs_store_load: the dataset object and one buffer per section, read in turn. */
    mem_alloc(&mem, d->store_load_bytes);
    c.dataset_bytes = d->store_load_bytes;
  } else {
    c.dataset_bytes = replay_load(&mem, d, features);
  }
  c.phase_peak[GS_COST_PHASE_LOAD] = mem.peak;
  mem.peak = mem.now;
  if (from_store) replay_graph_adjacency(&mem, d, c.graph_bytes);
  else replay_graph(&mem, d, c.graph_bytes);
  c.phase_peak[GS_COST_PHASE_GRAPH] = mem.peak;
  c.graph_build_bytes = mem.peak - c.dataset_bytes - c.graph_bytes;
  mem.peak = mem.now; /* dataset and graph */
  mem_alloc(&mem, c.model_bytes);
  mem_alloc(&mem, c.log_bytes);
  c.phase_peak[GS_COST_PHASE_TRAIN] = mem.peak;
  c.peak_phase = GS_COST_PHASE_LOAD;
  for (int p = 1; p < 3; p++)
    if (c.phase_peak[p] > c.phase_peak[c.peak_phase]) c.peak_phase = (gs_cost_phase)p;
  c.peak_bytes = c.phase_peak[c.peak_phase];
  *out = c;
  return GS_OK;
}
